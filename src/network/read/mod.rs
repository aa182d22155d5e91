//! The one way networks come in: [`read`] loads a TSV edge list (`grn infer`
//! output, or arboreto/pySCENIC `TF target importance` adjacencies), GraphML or
//! SIF into a [`GeneNetwork`], cut and with TFs marked. Every command that takes a
//! network (`perturb`, `screen`, `stats`, `export`, `simulate --network`) loads it
//! here, so each accepts every readable format.
//!
//! The format is the one asked for, else the one the extension names, else the
//! one the content shows (`<` opens GraphML; a third field that is a number, or a
//! header, is a TSV edge list; a word between two names is SIF). A file that looks
//! like an expression matrix (many numeric columns) is refused with a message
//! saying so, rather than read as edges between numbers.
//!
//! What the formats carry: TSV has scores and signs; GraphML has everything
//! (scores, ranks, signs, TF flags, methods, annotations); SIF has topology, signs
//! and order but no scores (every edge scores 1.0, ranked in file order). Reading
//! is O(file size) plus the cut's O(E log E) sort.
//!
//! ```
//! use grn::network::{self, Cut, ReadOptions};
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("net.sif");
//! std::fs::write(&path, "TF1\tactivates\tG1\nTF1\trepresses\tG2\n").unwrap();
//! let options = ReadOptions { cut: Cut { top: Some(1), ..Cut::default() }, ..ReadOptions::default() };
//! let net = network::read(&path, &options).unwrap();
//! assert_eq!((net.n_genes(), net.n_regulations()), (2, 1));
//! ```

mod graphml;
mod sif;

use std::io::BufRead;
use std::path::{Path, PathBuf};

use crate::files::{self, FileError, ParseError};

use super::{Cut, CutError, EdgeTable, Format, GeneNetwork, NetworkError};

/// How to read a network file.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The format; `None` detects it from the extension, else from the content.
    pub format: Option<Format>,
    /// Which edges to keep.
    pub cut: Cut,
    /// Transcription factors: these genes are marked as TFs. Without a list, TSV and
    /// SIF mark every regulator; GraphML keeps its recorded `is_tf`.
    pub tfs: Option<Vec<String>>,
}

/// Why a network could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened, or its content is malformed.
    #[error(transparent)]
    Input(#[from] files::InputError),
    /// The network could not be built or cut.
    #[error("{path}: {source}")]
    Network {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: NetworkError,
    },
    /// The format can be written but not read.
    #[error("{path}: reading {format} files is not supported; read TSV, GraphML or SIF")]
    NotReadable {
        /// The file.
        path: PathBuf,
        /// Its format.
        format: Format,
    },
}

files::from_input_errors!(ReadError);

/// Reads the network in `path`, keeps the edges that pass `options.cut` and marks
/// TFs (see the module documentation).
pub fn read(path: &Path, options: &ReadOptions) -> Result<GeneNetwork, ReadError> {
    let format = detect(path, options.format)?;
    let tfs = options.tfs.as_deref();
    let built = |e: NetworkError| ReadError::Network {
        path: path.to_path_buf(),
        source: e,
    };
    if format == Format::Tsv {
        // Cut the table before building the graph: cheaper on full predictions.
        let table = EdgeTable::read_tsv(path)?;
        return GeneNetwork::from_table(&table, &options.cut, tfs).map_err(built);
    }
    let mut net = read_graph(path, format)?;
    if let Some(list) = tfs {
        net.set_tfs(list);
    }
    let cut = &options.cut;
    cut.validate(tfs.is_some() || format == Format::GraphMl)
        .map_err(|e: CutError| built(e.into()))?;
    if cut.is_none() {
        Ok(net)
    } else {
        net.cut(cut).map_err(built)
    }
}

/// Every edge of the network in `path` as listed, uncut: for callers that must see
/// pairs listed twice or the file's gene order (`simulate` refuses a pair listed
/// with both signs). GraphML and SIF edges come in rank order.
pub fn read_edges(path: &Path, format: Option<Format>) -> Result<EdgeTable, ReadError> {
    match detect(path, format)? {
        Format::Tsv => Ok(EdgeTable::read_tsv(path)?),
        f => Ok(read_graph(path, f)?.to_edge_table()),
    }
}

fn read_graph(path: &Path, format: Format) -> Result<GeneNetwork, ReadError> {
    match format {
        Format::GraphMl => graphml::read(path),
        Format::Sif => sif::read(path),
        f => Err(ReadError::NotReadable {
            path: path.to_path_buf(),
            format: f,
        }),
    }
}

/// Lines looked at to tell a format from the content.
const SNIFF_LINES: usize = 5;

/// The format to read `path` in; an edge list that looks like an expression matrix
/// is refused.
fn detect(path: &Path, asked: Option<Format>) -> Result<Format, ReadError> {
    let format = asked.or_else(|| Format::from_path(path));
    if matches!(format, Some(f) if f != Format::Tsv) {
        return Ok(format.expect("matched"));
    }
    let mut lines = Vec::new();
    for line in files::open_input(path)?.lines() {
        let line = line.map_err(|e| FileError::new(path, e))?;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        lines.push(line);
        if lines.len() == SNIFF_LINES {
            break;
        }
    }
    if looks_like_matrix(&lines) {
        return Err(ParseError::at_line(
            path,
            1,
            "this looks like an expression matrix (many numeric columns), not a network; \
             give it as the expression input and pass a network (regulator, target, score \
             edge list, GraphML or SIF) here, e.g. the output of `grn infer`",
        )
        .into());
    }
    if let Some(f) = format {
        return Ok(f);
    }
    let first = lines
        .first()
        .map_or("", |l| l.trim_start_matches('\u{feff}'));
    if first.trim_start().starts_with('<') {
        return Ok(Format::GraphMl);
    }
    // The third field is a score in TSV (after an optional header) and a target
    // name in SIF, whose lines may also be a lone gene.
    let word = |x: &str| x.parse::<f64>().is_err();
    let is_sif = lines.iter().any(|l| split(l).len() >= 3)
        && lines.iter().all(|l| {
            let f = split(l);
            f.len() == 1 || (f.len() >= 3 && word(f[1]) && word(f[2]))
        });
    Ok(if is_sif { Format::Sif } else { Format::Tsv })
}

fn split(line: &str) -> Vec<&str> {
    if line.contains('\t') {
        line.split('\t').map(str::trim).collect()
    } else if line.contains(',') {
        line.split(',').map(str::trim).collect()
    } else {
        line.split_whitespace().collect()
    }
}

/// An edge list has a few columns with two names; a matrix has many columns of
/// numbers (a header of gene names, then rows of values).
fn looks_like_matrix(lines: &[String]) -> bool {
    const MIN_COLUMNS: usize = 5;
    let data: Vec<Vec<&str>> = lines.iter().skip(1).map(|l| split(l)).collect();
    !data.is_empty()
        && data.iter().all(|f| {
            let numeric = f.iter().filter(|x| x.parse::<f64>().is_ok()).count();
            f.len() >= MIN_COLUMNS && numeric + 1 >= f.len()
        })
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

    fn write(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    #[test]
    fn format_comes_from_the_content_without_an_extension() {
        let (_d, p) = write("net", "TF1\tactivates\tG1\nTF1\tpp\tG2\n");
        assert_eq!(detect(&p, None).unwrap(), Format::Sif);
        let (_d, p) = write("net", "TF\ttarget\timportance\nTF1\tG1\t0.5\n");
        assert_eq!(detect(&p, None).unwrap(), Format::Tsv);
        let (_d, p) = write("net", "  <?xml version=\"1.0\"?>\n<graphml/>\n");
        assert_eq!(detect(&p, None).unwrap(), Format::GraphMl);
    }

    #[test]
    fn an_expression_matrix_is_named_as_such() {
        let (_d, p) = write("expr.tsv", "G1\tG2\tG3\tG4\tG5\n0.1\t0.2\t0.3\t0.4\t0.5\n");
        let e = read(&p, &ReadOptions::default()).unwrap_err().to_string();
        assert!(
            e.contains("expression matrix") && e.contains("expr.tsv:1"),
            "{e}"
        );
        // Numeric gene ids (Entrez) in an edge list are not a matrix.
        let (_d, p) = write("ids.tsv", "7157\t1026\t0.5\n7157\t4193\t0.25\n");
        assert_eq!(
            read(&p, &ReadOptions::default()).unwrap().n_regulations(),
            2
        );
    }
}
