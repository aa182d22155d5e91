//! The network file formats, named by extension or flag; shared by the readers
//! ([`super::read`]) and the writers ([`crate::export`]).

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crate::files;

/// Prefix of the per-method score attributes (`score_genie3`, ...) in GraphML.
pub(crate) const METHOD_SCORE_PREFIX: &str = "score_";

/// GraphML node attributes derived from the graph: written for the importing tool,
/// not read back.
pub(crate) const DERIVED_NODE_KEYS: [&str; 3] = ["in_degree", "out_degree", "degree"];

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

    /// Whether [`crate::network::read`] can read this format.
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

/// Shortest text that reads back as the same `f64`, in a form XML Schema, JSON-ish
/// tools and Rust all parse (`INF`/`-INF`/`NaN` for the non-finite values).
pub(crate) fn fmt_f64(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 { "INF" } else { "-INF" }.into()
    } else {
        format!("{x:?}")
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
