//! Network file formats: writing a [`GeneNetwork`] for Cytoscape, Graphviz and other
//! tools, reading it back, and plotting evaluation curves.
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
pub mod plot;
mod sif;

use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

use crate::files::{self, FileError};
use crate::network::{Cut, EdgeTable, EdgeTableError, GeneNetwork, NetworkError};

pub use dot::DotStyle;

/// A network file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `regulator<TAB>target<TAB>score[<TAB>sign]`, as `grn infer` writes.
    Tsv,
    /// GraphML with typed attributes (Cytoscape, networkx, Gephi, yEd).
    GraphMl,
    /// Graphviz DOT.
    Dot,
    /// Simple Interaction Format: `regulator activates|represses|regulates target`.
    Sif,
    /// Cytoscape.js JSON (`elements.nodes/edges` with `data`).
    Cyjs,
}

impl Format {
    /// Every format, in the order the CLI lists them.
    pub const ALL: [Format; 5] = [
        Format::Tsv,
        Format::GraphMl,
        Format::Dot,
        Format::Sif,
        Format::Cyjs,
    ];

    /// The name used by `--format`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Tsv => "tsv",
            Format::GraphMl => "graphml",
            Format::Dot => "dot",
            Format::Sif => "sif",
            Format::Cyjs => "cyjs",
        }
    }

    /// The format named by a file's extension (a trailing `.gz` is ignored).
    pub fn from_path(path: &Path) -> Option<Format> {
        match files::logical_extension(path)?.as_str() {
            "tsv" | "txt" | "tab" => Some(Format::Tsv),
            "graphml" | "xml" => Some(Format::GraphMl),
            "dot" | "gv" => Some(Format::Dot),
            "sif" => Some(Format::Sif),
            "cyjs" | "json" => Some(Format::Cyjs),
            _ => None,
        }
    }

    /// Whether [`read_network`] can read this format.
    pub fn is_readable(self) -> bool {
        matches!(self, Format::Tsv | Format::GraphMl | Format::Sif)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "gv" => Ok(Format::Dot),
            "json" => Ok(Format::Cyjs),
            "xml" => Ok(Format::GraphMl),
            _ => crate::named::parse(s, &Format::ALL, Format::name, "format"),
        }
    }
}

/// Why a network file could not be read, or a drawing made.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Opening, reading or writing a file failed.
    #[error(transparent)]
    File(#[from] FileError),
    /// A TSV edge list is malformed.
    #[error(transparent)]
    EdgeTable(#[from] EdgeTableError),
    /// The network could not be built.
    #[error(transparent)]
    Network(#[from] NetworkError),
    /// A GraphML or SIF file is malformed.
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What was expected.
        message: String,
    },
    /// The format can be written but not read.
    #[error("{path}: reading {format} files is not supported; read TSV, GraphML or SIF")]
    NotReadable {
        /// The file.
        path: PathBuf,
        /// Its format.
        format: Format,
    },
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

/// Reads a network from a TSV edge list (our output or arboreto/pySCENIC
/// adjacencies), GraphML or SIF; `format` defaults to the one named by the
/// extension, and to TSV for other extensions. TSV and SIF do not record TFs: their
/// regulators are marked as TFs.
pub fn read_network(path: &Path, format: Option<Format>) -> Result<GeneNetwork, ExportError> {
    let format = format.or_else(|| Format::from_path(path));
    match format.unwrap_or(Format::Tsv) {
        Format::Tsv => {
            let table = EdgeTable::read_tsv(path)?;
            Ok(GeneNetwork::from_table(&table, &Cut::default(), None)?)
        }
        Format::GraphMl => graphml::read(path),
        Format::Sif => sif::read(path),
        f => Err(ExportError::NotReadable {
            path: path.to_path_buf(),
            format: f,
        }),
    }
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

/// Shortest text that reads back as the same `f64`, in a form XML Schema, JSON-ish
/// tools and Rust all parse (`INF`/`-INF`/`NaN` for the non-finite values).
fn fmt_f64(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 { "INF" } else { "-INF" }.into()
    } else {
        format!("{x:?}")
    }
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

/// Marks every gene with a target as a TF (for formats that do not record TFs).
fn mark_regulators(net: &mut GeneNetwork) {
    let regs: Vec<_> = net
        .genes()
        .map(|(n, _)| n)
        .filter(|&n| net.out_degree(n) > 0)
        .collect();
    for n in regs {
        net.set_tf(n, true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_from_names_and_extensions() {
        assert_eq!(
            Format::from_path(Path::new("a/net.GraphML.gz")),
            Some(Format::GraphMl)
        );
        assert_eq!(Format::from_path(Path::new("n.cyjs")), Some(Format::Cyjs));
        assert_eq!(Format::from_path(Path::new("n.gv")), Some(Format::Dot));
        assert_eq!(Format::from_path(Path::new("n.csv")), None);
        assert_eq!("SIF".parse::<Format>(), Ok(Format::Sif));
        assert!("png".parse::<Format>().unwrap_err().contains("graphml"));
    }

    #[test]
    fn floats_round_trip_through_text() {
        for x in [
            0.1,
            1e-300,
            1e300,
            -2.5,
            3.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            assert_eq!(fmt_f64(x).parse::<f64>().unwrap(), x);
        }
        assert!(fmt_f64(f64::NAN).parse::<f64>().unwrap().is_nan());
    }
}
