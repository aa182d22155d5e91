//! Reading SIF, the Simple Interaction Format of Cytoscape: `source<TAB>interaction<TAB>target`
//! per line, the interaction being `activates`, `represses` or `regulates` (unknown
//! sign). Lines are written in rank order; a gene without edges is a line of its own.
//! Tab separated, so names may contain spaces (Cytoscape splits on tabs whenever a
//! line contains one).

use std::path::Path;

use crate::files::{self, ParseError};
use crate::network::{Gene, GeneNetwork, RawEdge, Regulation, Sign};

use super::{ReadError, mark_regulators};

/// Reads SIF. Edges have no score (1.0 each) and are ranked in file order; the
/// interaction gives the sign (`activates`/`represses`/... or `+`/`-`; any other
/// word, such as `pp`, is an unsigned edge). A line may list several targets.
/// Fields are tab separated when the line holds a tab (trailing empty fields
/// dropped), else whitespace separated. SIF has no comments: every line counts.
pub(crate) fn read(path: &Path) -> Result<GeneNetwork, ReadError> {
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
                return Err(ParseError::new(
                    path,
                    Some(n as u64 + 1),
                    Some(1),
                    "expected `source<TAB>interaction<TAB>target`, found two fields",
                )
                .into());
            }
            [source, kind, targets @ ..] => {
                let sign = Sign::parse(kind).unwrap_or(Sign::Unknown);
                for target in targets {
                    if source.is_empty() || target.is_empty() {
                        return Err(ParseError::new(
                            path,
                            Some(n as u64 + 1),
                            Some(1),
                            "empty gene name",
                        )
                        .into());
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
