//! Writing a [`GeneNetwork`] for Cytoscape, Graphviz and other tools. Output only:
//! networks are read back by [`crate::network::read`].
//!
//! | format | write | read | carries |
//! |---|---|---|---|
//! | [`Format::Tsv`] | yes | yes (also arboreto/pySCENIC adjacencies) | score, sign |
//! | [`Format::GraphMl`] | yes | yes | everything, typed (`<key attr.type>`) |
//! | [`Format::Sif`] | yes | yes | topology, sign (as the interaction), order |
//! | [`Format::Cyjs`] | yes | no | everything (Cytoscape.js `elements`) |
//! | [`Format::Dot`] | yes | no | drawing: sign as colour/arrowhead, score as width |
//!
//! Every writer streams (O(V + E) time, O(1) extra memory beyond the network) and
//! escapes names for its format, so names with spaces, quotes, `<`, `&` or non-ASCII
//! letters survive; TSV and SIF cannot hold tabs or line breaks in names and refuse
//! them. Files are written atomically, gzipped when the name ends in `.gz`.
//!
//! ```
//! use grn::export::{self, Format};
//! use grn::network::{GeneNetwork, Regulation, Sign};
//! let mut net = GeneNetwork::new();
//! net.add_regulation("TF <1>", "gène & co", Regulation::new(0.9, Sign::Activation));
//! let mut out = Vec::new();
//! export::write(&net, Format::GraphMl, &mut out).unwrap();
//! let text = String::from_utf8(out).unwrap();
//! assert!(text.contains("TF &lt;1&gt;") && text.contains("gène &amp; co"));
//! ```

mod cyjs;
mod dot;
mod graphml;
mod sif;

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::files::{self, FileError};
use crate::network::GeneNetwork;
pub(crate) use crate::network::format::fmt_f64;

/// The file formats (shared with [`crate::network::read`], which reads three of them).
pub use crate::network::Format;

pub use dot::DotStyle;

/// Why a network could not be written, or a drawing made.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Opening, reading or writing a file failed.
    #[error(transparent)]
    File(#[from] FileError),
    /// Graphviz is not installed.
    #[error(
        "the Graphviz `dot` program was not found on PATH, so {dot} was written but not \
         rendered. Install Graphviz (Debian/Ubuntu: `apt install graphviz`; macOS: \
         `brew install graphviz`; conda: `conda install -c conda-forge graphviz`; others: \
         https://graphviz.org/download/) and rerun, or render it yourself: \
         `dot -T{format} {dot} -o {output}`"
    )]
    DotNotFound {
        /// The DOT file that was written.
        dot: PathBuf,
        /// The requested output format.
        format: String,
        /// The drawing that was requested.
        output: PathBuf,
    },
    /// Graphviz failed.
    #[error("`dot -T{format} {dot}` failed: {message}")]
    DotFailed {
        /// The DOT file.
        dot: PathBuf,
        /// The requested output format.
        format: String,
        /// What `dot` said.
        message: String,
    },
}

/// Writes `net` in `format` to `w`.
pub fn write(net: &GeneNetwork, format: Format, w: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Tsv => write_tsv(net, w),
        Format::GraphMl => graphml::write(net, w),
        Format::Dot => dot::write(net, &DotStyle::default(), w),
        Format::Sif => sif::write(net, w),
        Format::Cyjs => cyjs::write(net, w),
    }
}

/// Writes `net` as DOT drawn with `style` ([`write`] uses the default style).
pub fn write_dot(net: &GeneNetwork, style: &DotStyle, w: &mut dyn Write) -> io::Result<()> {
    dot::write(net, style, w)
}

/// Writes `net` in `format` to `path`, atomically (gzipped when it ends in `.gz`).
pub fn save(net: &GeneNetwork, format: Format, path: &Path) -> Result<(), FileError> {
    files::write_atomic(path, |w| write(net, format, w))
}

fn write_tsv(net: &GeneNetwork, w: &mut dyn Write) -> io::Result<()> {
    for (_, g) in net.genes() {
        check_line_safe(&g.name, "TSV")?;
    }
    net.to_edge_table().write_tsv(w)
}

/// TSV and SIF are line- and tab-delimited: a name holding either cannot be written.
fn check_line_safe(name: &str, format: &str) -> io::Result<()> {
    if name.contains(['\t', '\n', '\r']) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "gene name {name:?} contains a tab or line break, which {format} cannot \
                 hold; write GraphML or Cytoscape.js JSON instead"
            ),
        ));
    }
    Ok(())
}

/// Renders a DOT file with Graphviz's `dot` into `output` in `format` (`svg`,
/// `png`, `pdf`, ...). Fails with [`ExportError::DotNotFound`] and install
/// instructions when Graphviz is missing.
pub fn render_dot(dot: &Path, format: &str, output: &Path) -> Result<(), ExportError> {
    let result = Command::new("dot")
        .arg(format!("-T{format}"))
        .arg(dot)
        .output();
    let out = match result {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(ExportError::DotNotFound {
                dot: dot.to_path_buf(),
                format: format.to_string(),
                output: output.to_path_buf(),
            });
        }
        Err(e) => return Err(FileError::new(Path::new("dot"), e).into()),
        Ok(out) => out,
    };
    if !out.status.success() {
        return Err(ExportError::DotFailed {
            dot: dot.to_path_buf(),
            format: format.to_string(),
            message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    files::write_atomic(output, |w| w.write_all(&out.stdout))?;
    Ok(())
}

/// The SIF interaction word for a sign.
fn interaction(sign: crate::network::Sign) -> &'static str {
    use crate::network::Sign;
    match sign {
        Sign::Activation => "activates",
        Sign::Repression => "represses",
        Sign::Unknown => "regulates",
    }
}
