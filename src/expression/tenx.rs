//! 10x Genomics Cell Ranger outputs: Matrix Market directories and the HDF5
//! feature-barcode matrix, read; Matrix Market directories written.
//!
//! Formats, from the Cell Ranger documentation ("Feature-barcode matrices"):
//! - a directory (`filtered_feature_bc_matrix/`) with `matrix.mtx[.gz]` (Matrix
//!   Market coordinate format, genes x cells, 1-based, integer or real),
//!   `features.tsv[.gz]` (id, symbol, feature type; Cell Ranger >= 3) or
//!   `genes.tsv` (id, symbol; Cell Ranger 2), and `barcodes.tsv[.gz]`;
//! - `filtered_feature_bc_matrix.h5`: group `matrix` with `data`, `indices`,
//!   `indptr` (compressed sparse columns: `indptr` over cells, `indices` are genes),
//!   `shape` = [genes, cells], `barcodes` and `features/{id,name,feature_type}`;
//!   Cell Ranger 2 files keep one group per genome with `genes` and `gene_names`.
//!
//! As scanpy's `read_10x_mtx` / `read_10x_h5` (`gex_only=True`) do, only "Gene
//! Expression" features are read when the file has feature types, gene symbols
//! name the genes unless `--var-names gene_ids` is given, and repeated symbols are
//! made unique (`X`, `X-1`, ...), with a warning.
//!
//! Cost: O(stored entries). The Matrix Market text is streamed into (gene, cell,
//! value) triples (16 bytes each) and the `.h5` arrays are held (12 bytes per
//! entry) while the dense genes x cells `f32` matrix is filled.
//!
//! ```
//! use grn::expression::{read, ReadOptions};
//! let dir = std::path::Path::new("tests/data/singlecell/mtx_v3_gz");
//! let loaded = read(dir, &ReadOptions::default()).unwrap();
//! assert_eq!(loaded.matrix.genes()[4], "MS4A1-1"); // the second MS4A1
//! ```

use std::io::BufRead;
use std::path::{Path, PathBuf};

use super::cells::{self, Compressed};
use super::hdf5::{H5, Kind};
use super::{ExpressionError, Loaded, ReadOptions};
use crate::files::{self, FileError};

/// The files [`write_counts_mtx`] writes.
pub const MTX_FILES: [&str; 3] = ["matrix.mtx.gz", "features.tsv.gz", "barcodes.tsv.gz"];

/// The feature type scanpy keeps with `gex_only`.
const GENE_EXPRESSION: &str = "Gene Expression";

/// Whether `dir` looks like a 10x Matrix Market directory.
pub(crate) fn is_mtx_dir(dir: &Path) -> bool {
    dir.is_dir() && find(dir, &["matrix.mtx"]).is_some()
}

fn find(dir: &Path, stems: &[&str]) -> Option<PathBuf> {
    stems.iter().find_map(|s| {
        [format!("{s}.gz"), s.to_string()]
            .into_iter()
            .map(|n| dir.join(n))
            .find(|p| p.is_file())
    })
}

fn no_annotations(path: &Path) -> impl Fn(&str) -> Result<Vec<String>, ExpressionError> + '_ {
    move |_| {
        Err(ExpressionError::at(
            path,
            None,
            None,
            "10x matrices carry no cell annotations, so `obs` cannot select cells; \
             list the barcodes to keep in a file and pass it as `cells`"
                .into(),
        ))
    }
}

/// Features as read: ids, symbols and which rows are gene expression.
struct Features {
    ids: Vec<String>,
    names: Vec<String>,
    types: Vec<Option<String>>,
}

impl Features {
    /// Which feature rows to read, and the gene names for them.
    fn genes(
        self,
        path: &Path,
        options: &ReadOptions,
        warnings: &mut Vec<String>,
    ) -> Result<(Vec<Option<usize>>, Vec<String>), ExpressionError> {
        let use_ids = match options.var_names.as_deref() {
            None | Some("gene_symbols") => false,
            Some("gene_ids") => true,
            Some(other) => {
                return Err(ExpressionError::at(
                    path,
                    None,
                    None,
                    format!(
                        "`var_names` {other:?} is not a 10x gene name column; use \
                         gene_symbols (the default) or gene_ids"
                    ),
                ));
            }
        };
        let any_gex = self
            .types
            .iter()
            .any(|t| t.as_deref() == Some(GENE_EXPRESSION));
        let mut row = Vec::with_capacity(self.ids.len());
        let mut names = Vec::new();
        let mut other = 0usize;
        for (i, t) in self.types.iter().enumerate() {
            if any_gex && t.as_deref() != Some(GENE_EXPRESSION) {
                row.push(None);
                other += 1;
                continue;
            }
            row.push(Some(names.len()));
            names.push(if use_ids {
                self.ids[i].clone()
            } else {
                self.names[i].clone()
            });
        }
        if other > 0 {
            warnings.push(format!(
                "{}: {other} feature(s) that are not \"{GENE_EXPRESSION}\" (antibody \
                 capture, CRISPR guides, ...) are left out, as scanpy's gex_only does",
                path.display()
            ));
        }
        Ok((row, names))
    }
}

/// Reads a Matrix Market directory (or the `matrix.mtx[.gz]` file in one).
pub(crate) fn read_mtx_dir(dir: &Path, options: &ReadOptions) -> Result<Loaded, ExpressionError> {
    let missing = |what: &str| {
        ExpressionError::at(dir, None, None, format!("no {what} in this 10x directory"))
    };
    let matrix = find(dir, &["matrix.mtx"]).ok_or_else(|| missing("matrix.mtx[.gz]"))?;
    let features_path = find(dir, &["features.tsv", "genes.tsv"])
        .ok_or_else(|| missing("features.tsv[.gz] or genes.tsv"))?;
    let barcodes_path = find(dir, &["barcodes.tsv"]).ok_or_else(|| missing("barcodes.tsv[.gz]"))?;

    let mut warnings = Vec::new();
    let mut features = Features {
        ids: Vec::new(),
        names: Vec::new(),
        types: Vec::new(),
    };
    for (n, line) in lines(&features_path)?.into_iter().enumerate() {
        let mut fields = line.split('\t');
        let id = fields.next().unwrap_or("").trim().to_string();
        if id.is_empty() {
            return Err(ExpressionError::at(
                &features_path,
                Some(n as u64 + 1),
                Some(1),
                "empty feature id; expected id<TAB>symbol[<TAB>type]".into(),
            ));
        }
        let name = fields.next().map(|s| s.trim().to_string());
        features
            .names
            .push(name.filter(|s| !s.is_empty()).unwrap_or_else(|| id.clone()));
        features
            .types
            .push(fields.next().map(|s| s.trim().to_string()));
        features.ids.push(id);
    }
    let barcodes: Vec<String> = lines(&barcodes_path)?
        .into_iter()
        .map(|l| l.split('\t').next().unwrap_or("").trim().to_string())
        .collect();
    let triples = read_mtx(
        &matrix,
        features.ids.len(),
        barcodes.len(),
        &features_path,
        &barcodes_path,
    )?;
    let (row, genes) = features.genes(dir, options, &mut warnings)?;
    let selection =
        cells::select_cells(dir, barcodes, options, &no_annotations(dir), &mut warnings)?;
    let entries = |f: &mut dyn FnMut(usize, usize, f32)| {
        for &(g, c, v) in &triples {
            if let Some(g) = row[g as usize] {
                f(g, c as usize, v);
            }
        }
    };
    let (values, kept) =
        cells::assemble_sparse(genes.len(), &selection, options.min_cells, &entries);
    cells::finish(dir, genes, &kept, selection, values, options, warnings)
}

/// Non-empty lines of a (possibly gzipped) text file.
fn lines(path: &Path) -> Result<Vec<String>, ExpressionError> {
    let mut out = Vec::new();
    for line in files::open_input(path)?.lines() {
        let line = line.map_err(|e| FileError::new(path, e))?;
        if !line.trim().is_empty() {
            out.push(line);
        }
    }
    Ok(out)
}

/// Parses a Matrix Market coordinate file into 0-based (gene, cell, value) triples,
/// checking its size line against the feature and barcode counts.
fn read_mtx(
    path: &Path,
    n_features: usize,
    n_barcodes: usize,
    features: &Path,
    barcodes: &Path,
) -> Result<Vec<(u32, u32, f32)>, ExpressionError> {
    let at = |line: u64, m: String| ExpressionError::at(path, Some(line), None, m);
    let mut reader = files::open_input(path)?;
    let mut line = String::new();
    let mut n = 0u64;
    let mut next = |line: &mut String| -> Result<bool, ExpressionError> {
        line.clear();
        n += 1;
        Ok(reader
            .read_line(line)
            .map_err(|e| FileError::new(path, e))?
            > 0)
    };
    if !next(&mut line)? {
        return Err(at(
            1,
            "the file is empty; expected a %%MatrixMarket header".into(),
        ));
    }
    let header: Vec<String> = line
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    if header.len() < 5 || header[0] != "%%matrixmarket" || header[1] != "matrix" {
        return Err(at(
            1,
            format!(
                "expected a %%MatrixMarket matrix header, found {:?}",
                line.trim()
            ),
        ));
    }
    if header[2] != "coordinate" {
        return Err(at(
            1,
            format!(
                "{} Matrix Market files are not supported; 10x writes coordinate",
                header[2]
            ),
        ));
    }
    let pattern = match header[3].as_str() {
        "integer" | "real" => false,
        "pattern" => true,
        other => {
            return Err(at(
                1,
                format!("field {other:?} is not supported; expected integer, real or pattern"),
            ));
        }
    };
    if header[4] != "general" {
        return Err(at(
            1,
            format!(
                "symmetry {:?} is not supported; expected general",
                header[4]
            ),
        ));
    }
    let mut line_no = 1u64;
    let size = loop {
        if !next(&mut line)? {
            return Err(at(line_no, "the file ends before its size line".into()));
        }
        line_no += 1;
        if !line.starts_with('%') && !line.trim().is_empty() {
            break line.clone();
        }
    };
    let dims: Vec<u64> = size
        .split_whitespace()
        .map(|f| f.parse::<u64>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            at(
                line_no,
                format!("expected `rows columns entries`, found {:?}", size.trim()),
            )
        })?;
    let [rows, cols, nnz] = dims[..] else {
        return Err(at(
            line_no,
            format!("expected `rows columns entries`, found {:?}", size.trim()),
        ));
    };
    if rows as usize != n_features {
        return Err(at(
            line_no,
            format!(
                "the matrix has {rows} rows (genes) but {} lists {n_features} features",
                features.display()
            ),
        ));
    }
    if cols as usize != n_barcodes {
        return Err(at(
            line_no,
            format!(
                "the matrix has {cols} columns (cells) but {} lists {n_barcodes} barcodes",
                barcodes.display()
            ),
        ));
    }
    let mut triples = Vec::with_capacity(nnz.min(1 << 28) as usize);
    while next(&mut line)? {
        line_no += 1;
        let text = line.trim();
        if text.is_empty() || text.starts_with('%') {
            continue;
        }
        let mut f = text.split_whitespace();
        let mut index = |what: &str, max: u64| -> Result<u32, ExpressionError> {
            let v: u64 = f
                .next()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| at(line_no, format!("expected a {what} index, found {text:?}")))?;
            if v == 0 || v > max {
                return Err(at(
                    line_no,
                    format!("{what} index {v} is outside 1..={max}"),
                ));
            }
            Ok((v - 1) as u32)
        };
        let g = index("row", rows)?;
        let c = index("column", cols)?;
        let v = if pattern {
            1.0
        } else {
            let s = f.next().ok_or_else(|| {
                at(
                    line_no,
                    format!("expected a value after the indices, found {text:?}"),
                )
            })?;
            match s.parse::<f32>() {
                Ok(v) if v.is_finite() => v,
                Ok(_) => {
                    return Err(at(
                        line_no,
                        format!(
                            "{s:?} is not a finite number (NaN and infinities cannot be scored)"
                        ),
                    ));
                }
                Err(_) => return Err(at(line_no, format!("expected a number, found {s:?}"))),
            }
        };
        triples.push((g, c, v));
    }
    if triples.len() as u64 != nnz {
        return Err(at(
            line_no,
            format!(
                "the size line promises {nnz} entries but the file has {}; it may be truncated",
                triples.len()
            ),
        ));
    }
    Ok(triples)
}

/// Reads a Cell Ranger `.h5` feature-barcode matrix.
pub(crate) fn read_h5(h5: &H5, options: &ReadOptions) -> Result<Loaded, ExpressionError> {
    let mut warnings = Vec::new();
    let (group, features) = if h5.kind("matrix")? == Some(Kind::Group) {
        let f = "matrix/features";
        let ids = h5.strings(&format!("{f}/id"))?;
        let names = h5.strings(&format!("{f}/name"))?;
        let types = if h5.kind(&format!("{f}/feature_type"))?.is_some() {
            h5.strings(&format!("{f}/feature_type"))?
                .into_iter()
                .map(Some)
                .collect()
        } else {
            vec![None; ids.len()]
        };
        ("matrix".to_string(), Features { ids, names, types })
    } else {
        // Cell Ranger 2: one group per genome.
        let genome = h5
            .members("/")?
            .into_iter()
            .find(|g| h5.kind(&format!("{g}/genes")).ok().flatten().is_some())
            .ok_or_else(|| {
                h5.err("/", "has neither a `matrix` group (Cell Ranger 3+) nor a genome group with `genes` (Cell Ranger 2)")
            })?;
        let ids = h5.strings(&format!("{genome}/genes"))?;
        let names = h5.strings(&format!("{genome}/gene_names"))?;
        let n = ids.len();
        (
            genome,
            Features {
                ids,
                names,
                types: vec![None; n],
            },
        )
    };
    for (name, len) in [
        ("names", features.names.len()),
        ("feature types", features.types.len()),
    ] {
        if len != features.ids.len() {
            return Err(h5.err(
                &group,
                format!(
                    "has {len} feature {name} for {} feature ids",
                    features.ids.len()
                ),
            ));
        }
    }
    let barcodes = h5.strings(&format!("{group}/barcodes"))?;
    let shape = h5.integers(&format!("{group}/shape"))?;
    if shape != [features.ids.len() as i64, barcodes.len() as i64] {
        return Err(h5.err(
            &format!("{group}/shape"),
            format!(
                "is {shape:?}, expected [{}, {}] (features, barcodes)",
                features.ids.len(),
                barcodes.len()
            ),
        ));
    }
    let m = Compressed {
        data: h5.floats(&format!("{group}/data"))?,
        indices: h5.integers(&format!("{group}/indices"))?,
        indptr: h5.integers(&format!("{group}/indptr"))?,
    };
    m.check(barcodes.len(), features.ids.len())
        .map_err(|(ds, msg)| h5.err(&format!("{group}/{ds}"), msg))?;
    let (row, genes) = features.genes(h5.path(), options, &mut warnings)?;
    let selection = cells::select_cells(
        h5.path(),
        barcodes,
        options,
        &no_annotations(h5.path()),
        &mut warnings,
    )?;
    let entries = |f: &mut dyn FnMut(usize, usize, f32)| {
        m.for_each(&mut |c, g, v| {
            if let Some(g) = row[g] {
                f(g, c, v)
            }
        })
    };
    let (values, kept) =
        cells::assemble_sparse(genes.len(), &selection, options.min_cells, &entries);
    cells::finish(
        h5.path(),
        genes,
        &kept,
        selection,
        values,
        options,
        warnings,
    )
}

/// Writes counts (one row per cell) as a Cell Ranger 3 Matrix Market directory:
/// gzipped `matrix.mtx.gz` (genes x cells, integer), `features.tsv.gz` (gene names
/// as ids and symbols) and `barcodes.tsv.gz`, which scanpy's `read_10x_mtx` opens.
/// Returns the files written.
pub fn write_counts_mtx(
    dir: &Path,
    genes: &[String],
    cells: &[String],
    rows: &[Vec<u32>],
) -> Result<Vec<PathBuf>, FileError> {
    std::fs::create_dir_all(dir).map_err(|e| FileError::new(dir, e))?;
    let nnz = rows.iter().flatten().filter(|&&v| v != 0).count();
    files::write_atomic(&dir.join("matrix.mtx.gz"), |w| {
        writeln!(w, "%%MatrixMarket matrix coordinate integer general")?;
        writeln!(
            w,
            "%metadata_json: {{\"software_version\": \"grn-{}\"}}",
            env!("CARGO_PKG_VERSION")
        )?;
        writeln!(w, "{} {} {nnz}", genes.len(), cells.len())?;
        for (c, row) in rows.iter().enumerate() {
            for (g, &v) in row.iter().enumerate() {
                if v != 0 {
                    writeln!(w, "{} {} {v}", g + 1, c + 1)?;
                }
            }
        }
        Ok(())
    })?;
    files::write_atomic(&dir.join("features.tsv.gz"), |w| {
        for g in genes {
            writeln!(w, "{g}\t{g}\t{GENE_EXPRESSION}")?;
        }
        Ok(())
    })?;
    files::write_atomic(&dir.join("barcodes.tsv.gz"), |w| {
        for c in cells {
            writeln!(w, "{c}")?;
        }
        Ok(())
    })?;
    Ok(MTX_FILES.iter().map(|f| dir.join(f)).collect())
}
