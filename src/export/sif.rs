//! SIF, the Simple Interaction Format of Cytoscape: `source<TAB>interaction<TAB>target`
//! per line, the interaction being `activates`, `represses` or `regulates` (unknown
//! sign). Lines are written in rank order; a gene without edges is a line of its own.
//! Tab separated, so names may contain spaces (Cytoscape splits on tabs whenever a
//! line contains one).

use std::io::{self, Write};
use std::path::Path;

use crate::files;
use crate::network::{Gene, GeneNetwork, RawEdge, Regulation, Sign};

use super::{ExportError, check_line_safe, interaction, mark_regulators};

pub(crate) fn write(net: &GeneNetwork, w: &mut dyn Write) -> io::Result<()> {
    let degrees = net.degrees();
    for (n, g) in net.genes() {
        check_line_safe(&g.name, "SIF")?;
        if g.name.trim() != g.name {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "gene name {:?} starts or ends with white space, which SIF cannot \
                     hold; write GraphML or Cytoscape.js JSON instead",
                    g.name
                ),
            ));
        }
        if degrees[n.index()] == (0, 0) {
            // A trailing tab keeps a name with spaces one field (readers split on
            // tabs when a line has one, and drop trailing empty fields).
            let tab = if g.name.contains(char::is_whitespace) {
                "\t"
            } else {
                ""
            };
            writeln!(w, "{}{tab}", g.name)?;
        }
    }
    for (r, t, e) in net.regulations() {
        writeln!(
            w,
            "{}\t{}\t{}",
            net.gene(r).name,
            interaction(e.sign),
            net.gene(t).name
        )?;
    }
    Ok(())
}

/// Reads SIF. Edges have no score (1.0 each) and are ranked in file order; the
/// interaction gives the sign (`activates`/`represses`/... or `+`/`-`; any other
/// word, such as `pp`, is an unsigned edge). A line may list several targets.
/// Fields are tab separated when the line holds a tab (trailing empty fields
/// dropped), else whitespace separated. SIF has no comments: every line counts.
pub(crate) fn read(path: &Path) -> Result<GeneNetwork, ExportError> {
    let text = files::read_to_string(path)?;
    let mut genes = Vec::new();
    let mut edges = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = if line.contains('\t') {
            let mut f: Vec<&str> = line.split('\t').map(str::trim).collect();
            while f.last() == Some(&"") {
                f.pop();
            }
            f
        } else {
            line.split_whitespace().collect()
        };
        match fields.as_slice() {
            [gene] => genes.push(Gene {
                name: gene.to_string(),
                ..Gene::default()
            }),
            [_, _] => {
                return Err(ExportError::Invalid {
                    path: path.to_path_buf(),
                    line: n + 1,
                    column: 1,
                    message: "expected `source<TAB>interaction<TAB>target`, found two fields"
                        .into(),
                });
            }
            [source, kind, targets @ ..] => {
                let sign = Sign::parse(kind).unwrap_or(Sign::Unknown);
                for target in targets {
                    if source.is_empty() || target.is_empty() {
                        return Err(ExportError::Invalid {
                            path: path.to_path_buf(),
                            line: n + 1,
                            column: 1,
                            message: "empty gene name".into(),
                        });
                    }
                    let mut regulation = Regulation::new(1.0, sign);
                    regulation.rank = edges.len() + 1;
                    edges.push(RawEdge {
                        regulator: source.to_string(),
                        target: target.to_string(),
                        regulation,
                    });
                }
            }
            [] => unreachable!("blank lines are skipped"),
        }
    }
    let mut net = GeneNetwork::assemble(genes, edges, true);
    mark_regulators(&mut net);
    Ok(net)
}
