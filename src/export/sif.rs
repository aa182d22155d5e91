//! Writing SIF, the Simple Interaction Format of Cytoscape: `source<TAB>interaction<TAB>target`
//! per line, the interaction being `activates`, `represses` or `regulates` (unknown
//! sign). Lines are written in rank order; a gene without edges is a line of its own.
//! Tab separated, so names may contain spaces (Cytoscape splits on tabs whenever a
//! line contains one).

use std::io::{self, Write};

use crate::network::GeneNetwork;

use super::{check_line_safe, interaction};

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
