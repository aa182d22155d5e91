//! Expression matrices: reading them from TSV/CSV (plain or gzipped) and the set of
//! genes allowed to act as regulators.
//!
//! The default orientation is samples x genes with a header row of gene names (the
//! arboreto and DREAM layout); R and Seurat exports are genes x samples
//! ([`ReadOptions::genes_in_rows`]). A first column of sample (or gene) ids is
//! detected when it is not numeric, or when the header is one field shorter than the
//! rows (as `write.table` writes it). Values are parsed straight into `f32`; the text
//! is streamed, never held whole.
//!
//! Count data (single-cell UMIs, raw RNA-seq counts) can be normalised on reading
//! ([`Normalization`]): each sample scaled to the same total, removing sequencing
//! depth, and/or `ln(1 + x)`, as Seurat's `LogNormalize` and Scanpy's
//! `normalize_total` + `log1p` do. Bulk matrices that are already normalised (and
//! DREAM files) are read as they are, the default.
//!
//! Reading is O(cells) time and 4 bytes a cell of memory (plus a transient copy
//! when transposing samples x genes into the gene-major store).
//!
//! ```
//! use grn::expression::{read, ReadOptions};
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("expr.tsv");
//! std::fs::write(&path, "\"G1\"\t\"G2\"\n1\t2\n2\t1\n3\t5\n").unwrap();
//! let loaded = read(&path, &ReadOptions::default()).unwrap();
//! assert_eq!(loaded.matrix.genes(), ["G1", "G2"]);
//! assert_eq!(loaded.matrix.gene(1).to_vec(), vec![2.0, 1.0, 5.0]);
//! ```

use std::path::Path;

use crate::files::{self, FileError, ParseError};

mod cells;
pub mod h5ad;
mod hdf5;
mod loom;
mod matrix;
mod normalize;
mod regulators;
pub mod tenx;
mod text;

pub use matrix::ExpressionMatrix;
pub use normalize::Normalization;
pub use regulators::{Regulators, read_gene_list, read_name_list};

/// Fewest samples a matrix may have: with two, every gene pair is perfectly
/// (anti-)correlated and no method can tell regulators apart.
pub const MIN_SAMPLES: usize = 3;

/// Why an expression matrix or gene list could not be read.
pub type ExpressionError = files::InputError;

impl ExpressionError {
    fn at(path: &Path, line: Option<u64>, column: Option<usize>, message: String) -> Self {
        ExpressionError::Parse(ParseError::new(path, line, column, message))
    }
}
/// How to read an expression file.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The file is genes x samples (rows are genes), as R and Seurat write it.
    pub genes_in_rows: bool,
    /// Field delimiter; `None` takes it from the extension (`.csv` comma, `.tsv` and
    /// `.txt` tab) or, failing that, from the first line.
    pub delimiter: Option<u8>,
    /// Transformation of the values (none by default).
    pub normalize: Normalization,
    /// Single-cell files: read this layer (`.h5ad` `layers/NAME`, loom
    /// `layers/NAME`) instead of the main matrix.
    pub layer: Option<String>,
    /// `.h5ad`: read `raw/X`, with the gene names of `raw/var`.
    pub use_raw: bool,
    /// Single-cell files: the gene annotation column that names the genes (`.h5ad`
    /// `var` column, 10x `gene_symbols` or `gene_ids`, loom row attribute); `None`
    /// takes the format's default (`var` index, symbols, `Gene`).
    pub var_names: Option<String>,
    /// Single-cell files: read only these cells (by name), in file order.
    pub cells: Option<Vec<String>>,
    /// Single-cell files: read only the cells whose annotation `column` is `value`.
    pub obs: Option<ObsFilter>,
    /// Single-cell files: drop genes detected (non-zero) in fewer than this many
    /// of the selected cells, as scanpy's `filter_genes(min_cells=N)`; 0 keeps all.
    pub min_cells: usize,
}

/// Selects cells by one annotation (`--obs cell_type=B`): one network per cell type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObsFilter {
    /// The `obs` column (`.h5ad`) or column attribute (loom).
    pub column: String,
    /// The value the cells must have, compared as text (category labels as shown).
    pub value: String,
}

impl std::str::FromStr for ObsFilter {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once('=') {
            Some((c, v)) if !c.is_empty() => Ok(ObsFilter {
                column: c.to_string(),
                value: v.to_string(),
            }),
            _ => Err(format!("expected COLUMN=VALUE, found {s:?}")),
        }
    }
}

/// A matrix as read, with the genes that were dropped for having zero variance.
#[derive(Debug)]
pub struct Loaded {
    /// The matrix (constant genes removed).
    pub matrix: ExpressionMatrix,
    /// Names of genes removed because all their values were equal.
    pub dropped_constant: Vec<String>,
    /// What the reader changed or left out that the user should hear about
    /// (renamed duplicate genes, skipped features, unknown cells), for the caller
    /// to show.
    pub warnings: Vec<String>,
    /// The samples' time points, from a leading `Time` column (time-series files):
    /// what [`crate::infer::time_series::TimeCourse`] is made from.
    pub times: Option<Vec<f64>>,
}

/// The steps every reader ends with: normalise, drop genes without variance, and
/// refuse a matrix with fewer than 2 varying genes. `at` turns a message into an
/// error naming the reader's file (and dataset).
fn finish(
    mut matrix: ExpressionMatrix,
    normalize: Normalization,
    warnings: Vec<String>,
    at: impl Fn(String) -> ExpressionError,
) -> Result<Loaded, ExpressionError> {
    matrix.normalize(normalize).map_err(&at)?;
    let (matrix, dropped_constant) = matrix.drop_constant_genes();
    if matrix.n_genes() < 2 {
        return Err(at(format!(
            "fewer than 2 genes with varying values ({} constant genes dropped); \
             nothing to infer",
            dropped_constant.len()
        )));
    }
    Ok(Loaded {
        matrix,
        dropped_constant,
        warnings,
        times: None,
    })
}

/// The single-cell formats, by content: HDF5 files by the groups they hold.
fn read_single_cell(path: &Path, options: &ReadOptions) -> Result<Option<Loaded>, ExpressionError> {
    let mtx_dir = if path.is_dir() {
        Some(path.to_path_buf())
    } else {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        (name == "matrix.mtx" || name == "matrix.mtx.gz")
            .then(|| path.parent().unwrap_or(Path::new(".")).to_path_buf())
    };
    let hdf5 = mtx_dir.is_none() && hdf5::is_hdf5(path);
    let single_cell_option = options.layer.is_some()
        || options.use_raw
        || options.var_names.is_some()
        || options.cells.is_some()
        || options.obs.is_some()
        || options.min_cells > 0;
    if mtx_dir.is_none() && !hdf5 {
        if single_cell_option {
            return Err(ExpressionError::at(
                path,
                None,
                None,
                "`layer`, `use_raw`, `var_names`, `cells`, `obs` and `min_cells` apply to \
                 single-cell inputs (.h5ad, 10x, loom), not to text matrices"
                    .into(),
            ));
        }
        return Ok(None);
    }
    if options.genes_in_rows || options.delimiter.is_some() {
        return Err(ExpressionError::at(
            path,
            None,
            None,
            "`genes_in_rows` and `delimiter` apply to text matrices; single-cell \
             formats fix their own orientation"
                .into(),
        ));
    }
    if let Some(dir) = mtx_dir {
        if !tenx::is_mtx_dir(&dir) {
            return Err(ExpressionError::at(
                &dir,
                None,
                None,
                "is a directory, not a file, and without matrix.mtx[.gz] it is not a 10x \
                 Matrix Market directory (matrix.mtx, features.tsv or genes.tsv, \
                 barcodes.tsv)"
                    .into(),
            ));
        }
        return tenx::read_mtx_dir(&dir, options).map(Some);
    }
    let h5 = hdf5::H5::open(path)?;
    let is = |name: &str| h5.kind(name);
    let loaded = if is("matrix")? == Some(hdf5::Kind::Dataset) && is("row_attrs")?.is_some() {
        loom::read(&h5, options)?
    } else if is("X")?.is_some() {
        h5ad::read(&h5, options)?
    } else if is("matrix")? == Some(hdf5::Kind::Group)
        || files::logical_extension(path).as_deref() == Some("h5")
    {
        tenx::read_h5(&h5, options)?
    } else {
        return Err(h5.err(
            "/",
            "is HDF5 but neither AnnData (.h5ad: X, obs, var), 10x (matrix group) nor \
             loom (matrix, row_attrs, col_attrs)",
        ));
    };
    Ok(Some(loaded))
}

/// Reads an expression matrix. See the module documentation for the layouts
/// accepted.
pub fn read(path: &Path, options: &ReadOptions) -> Result<Loaded, ExpressionError> {
    if let Some(loaded) = read_single_cell(path, options)? {
        return Ok(loaded);
    }
    text::read(path, options)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn write(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    fn err(name: &str, text: &str, opts: &ReadOptions) -> String {
        let (_d, p) = write(name, text);
        read(&p, opts).unwrap_err().to_string()
    }

    #[test]
    fn reads_dream_layout() {
        let (_d, p) = write(
            "x.tsv",
            "\"G1\"\t\"G2\"\t\"G3\"\n1\t2\t3\n4\t5\t7\n7\t9\t1\n",
        );
        let m = read(&p, &ReadOptions::default()).unwrap().matrix;
        assert_eq!(m.genes(), ["G1", "G2", "G3"]);
        assert_eq!(m.samples(), ["S1", "S2", "S3"]);
        assert_eq!(m.gene(2).to_vec(), vec![3.0, 7.0, 1.0]);
    }

    #[test]
    fn time_series_time_column_is_not_a_gene() {
        // DREAM4's time-series layout: quoted names, a `Time` column, a blank line
        // between series.
        let (_d, p) = write(
            "ts.tsv",
            "\"Time\"\t\"G1\"\t\"G2\"\n0\t1\t2\n50\t2\t1\n\n0\t3\t5\n50\t4\t2\n",
        );
        let l = read(&p, &ReadOptions::default()).unwrap();
        assert_eq!(l.matrix.genes(), ["G1", "G2"]);
        assert_eq!(l.matrix.n_samples(), 4);
        assert_eq!(l.matrix.gene(0).to_vec(), vec![1.0, 2.0, 3.0, 4.0]);
        assert_eq!(l.warnings.len(), 1);
        assert!(l.warnings[0].contains("`Time` read as the samples' time points"));
        assert_eq!(l.times, Some(vec![0.0, 50.0, 0.0, 50.0]));
        // Only a first column is a time: elsewhere `time` is a gene's name.
        let (_d, p) = write("x.tsv", "G1\ttime\n1\t2\n2\t1\n3\t5\n");
        let l = read(&p, &ReadOptions::default()).unwrap();
        assert_eq!(l.matrix.genes(), ["G1", "time"]);
        assert!(l.warnings.is_empty() && l.times.is_none());
    }

    #[test]
    fn detects_sample_id_column_with_and_without_header_label() {
        for text in [
            "id,a,b\ns1,1,2\ns2,3,5\ns3,2,2\n",
            "a,b\ns1,1,2\ns2,3,5\ns3,2,2\n",
        ] {
            let (_d, p) = write("x.csv", text);
            let m = read(&p, &ReadOptions::default()).unwrap().matrix;
            assert_eq!(m.genes(), ["a", "b"]);
            assert_eq!(m.samples(), ["s1", "s2", "s3"]);
            assert_eq!(m.gene(1).to_vec(), vec![2.0, 5.0, 2.0]);
        }
    }

    #[test]
    fn genes_in_rows() {
        let (_d, p) = write("x.txt", "gene\tc1\tc2\tc3\nA\t1\t2\t3\nB\t3\t1\t0\n");
        let opts = ReadOptions {
            genes_in_rows: true,
            ..Default::default()
        };
        let m = read(&p, &opts).unwrap().matrix;
        assert_eq!(m.genes(), ["A", "B"]);
        assert_eq!(m.samples(), ["c1", "c2", "c3"]);
        assert_eq!(m.gene(1).to_vec(), vec![3.0, 1.0, 0.0]);
    }

    #[test]
    fn drops_constant_genes() {
        let (_d, p) = write("x.tsv", "a\tb\tc\n1\t5\t2\n2\t5\t3\n3\t5\t1\n");
        let l = read(&p, &ReadOptions::default()).unwrap();
        assert_eq!(l.matrix.genes(), ["a", "c"]);
        assert_eq!(l.dropped_constant, ["b"]);
    }

    #[test]
    fn normalisation_scales_samples_then_logs() {
        // Gene b is 5 in every sample: constant raw, but not after scaling, so it
        // is kept.
        let (_d, p) = write("x.tsv", "a\tb\tc\n5\t5\t0\n15\t5\t0\n0\t5\t15\n");
        let read_as = |normalize| {
            read(
                &p,
                &ReadOptions {
                    normalize,
                    ..Default::default()
                },
            )
            .unwrap()
            .matrix
        };
        let total = read_as(Normalization::Total);
        assert_eq!(total.genes(), ["a", "b", "c"]);
        assert_eq!(total.gene(0).to_vec(), vec![5000.0, 7500.0, 0.0]);
        assert_eq!(total.gene(1).to_vec(), vec![5000.0, 2500.0, 2500.0]);
        assert_eq!(total.gene(2).to_vec(), vec![0.0, 0.0, 7500.0]);
        let log_total = read_as(Normalization::LogTotal);
        let expect = [5000f64.ln_1p(), 7500f64.ln_1p(), 0.0].map(|v| v as f32);
        assert_eq!(log_total.gene(0).to_vec(), expect);
        let log = read_as(Normalization::Log1p);
        assert_eq!(log.genes(), ["a", "c"]);
        assert_eq!(
            log.gene(0).to_vec(),
            [5f64, 15.0, 0.0].map(|v| v.ln_1p() as f32)
        );
        assert_eq!(read_as(Normalization::None).genes(), ["a", "c"]);
    }

    #[test]
    fn normalisation_needs_counts() {
        let opts = |normalize| ReadOptions {
            normalize,
            ..Default::default()
        };
        let e = err(
            "x.tsv",
            "a\tb\n1\t2\n3\t-1\n4\t5\n",
            &opts(Normalization::Log1p),
        );
        assert!(
            e.contains("\"S2\", gene \"b\": value -1 is negative"),
            "{e}"
        );
        assert!(e.contains("expects counts"), "{e}");
        let e = err(
            "x.tsv",
            "a\tb\n1\t2\n0\t0\n4\t5\n",
            &opts(Normalization::Total),
        );
        assert!(e.contains("sample \"S2\" has no counts"), "{e}");
        // Without scaling, an empty sample is just a sample.
        let (_d, p) = write("x.tsv", "a\tb\n1\t2\n0\t0\n4\t5\n");
        assert!(read(&p, &opts(Normalization::Log1p)).is_ok());
        assert_eq!("log-total".parse(), Ok(Normalization::LogTotal));
    }

    #[test]
    fn errors_name_line_and_column() {
        let o = ReadOptions::default();
        let e = err("x.tsv", "a\tb\n1\t2\n3\tx\n4\t5\n", &o);
        assert!(
            e.contains(":3:2:") && e.contains("expected a number"),
            "{e}"
        );
        let e = err("x.tsv", "a\tb\n1\t2\n3\n4\t5\n", &o);
        assert!(e.contains(":3:") && e.contains("fields"), "{e}");
        let e = err("x.tsv", "a\tb\n1\tNaN\n3\t4\n4\t5\n", &o);
        assert!(e.contains(":2:2:") && e.contains("finite"), "{e}");
        let e = err("x.tsv", "a\tb\n1\tNA\n3\t4\n4\t5\n", &o);
        assert!(e.contains("missing value"), "{e}");
        let e = err("x.tsv", "a\ta\n1\t2\n3\t4\n4\t5\n", &o);
        assert!(e.contains("appears twice"), "{e}");
        let e = err("x.tsv", "", &o);
        assert!(e.contains("empty"), "{e}");
        let e = err("x.tsv", "a\tb\n1\t2\n3\t4\n", &o);
        assert!(e.contains("at least 3"), "{e}");
    }

    #[test]
    fn regulators_resolve_and_report_missing() {
        let (_d, p) = write("x.tsv", "a\tb\tc\n1\t5\t2\n2\t4\t3\n3\t5\t1\n");
        let m = read(&p, &ReadOptions::default()).unwrap().matrix;
        let (r, missing) = m
            .resolve_regulators(&["c".into(), "zz".into(), "a".into()])
            .unwrap();
        assert_eq!(r, Regulators::Only(vec![0, 2]));
        assert_eq!(missing, ["zz"]);
        assert!(m.resolve_regulators(&["q".into()]).is_err());
    }
}
