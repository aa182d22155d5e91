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

use std::collections::HashMap;

use std::path::Path;

use ndarray::{Array2, ArrayView1};

use crate::files::{self, FileError, ParseError};

mod cells;
pub mod h5ad;
mod hdf5;
mod loom;
pub mod tenx;

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

/// A numeric expression matrix with gene and sample names.
///
/// Stored gene-major (`values[[gene, sample]]`, each gene's values contiguous)
/// because every method reads whole genes far more often than whole samples.
#[derive(Debug, Clone)]
pub struct ExpressionMatrix {
    genes: Vec<String>,
    samples: Vec<String>,
    values: Array2<f32>,
    index: HashMap<String, usize>,
}

impl ExpressionMatrix {
    /// Builds a matrix from a genes x samples array. Fails on mismatched name counts,
    /// duplicated gene names or non-finite values.
    pub fn new(
        genes: Vec<String>,
        samples: Vec<String>,
        values: Array2<f32>,
    ) -> Result<Self, String> {
        if values.nrows() != genes.len() || values.ncols() != samples.len() {
            return Err(format!(
                "values are {} x {} but there are {} gene and {} sample names",
                values.nrows(),
                values.ncols(),
                genes.len(),
                samples.len()
            ));
        }
        if let Some(v) = values.iter().find(|v| !v.is_finite()) {
            return Err(format!("non-finite value {v}"));
        }
        let mut index = HashMap::with_capacity(genes.len());
        for (i, g) in genes.iter().enumerate() {
            if index.insert(g.clone(), i).is_some() {
                return Err(format!("gene name {g:?} appears twice"));
            }
        }
        let values = values.as_standard_layout().into_owned();
        Ok(ExpressionMatrix {
            genes,
            samples,
            values,
            index,
        })
    }

    /// Number of genes.
    pub fn n_genes(&self) -> usize {
        self.genes.len()
    }

    /// Number of samples.
    pub fn n_samples(&self) -> usize {
        self.samples.len()
    }

    /// Gene names, in column order of the input.
    pub fn genes(&self) -> &[String] {
        &self.genes
    }

    /// Sample names (`S1`, `S2`, ... when the file had none).
    pub fn samples(&self) -> &[String] {
        &self.samples
    }

    /// Index of a gene by name.
    pub fn gene_index(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// One gene's values over all samples (contiguous).
    pub fn gene(&self, i: usize) -> ArrayView1<'_, f32> {
        self.values.row(i)
    }

    /// All values, genes x samples.
    pub fn values(&self) -> &Array2<f32> {
        &self.values
    }

    /// Applies a [`Normalization`] in place. Scaling and logs need counts: a negative
    /// value, or a sample whose values sum to 0 when scaling, is an error naming it.
    fn normalize(&mut self, how: Normalization) -> Result<(), String> {
        let (scale, log) = match how {
            Normalization::None => return Ok(()),
            Normalization::Total => (true, false),
            Normalization::Log1p => (false, true),
            Normalization::LogTotal => (true, true),
        };
        if let Some(((g, s), v)) = self.values.indexed_iter().find(|(_, v)| **v < 0.0) {
            return Err(format!(
                "sample {:?}, gene {:?}: value {v} is negative, but `normalize` {how} \
                 expects counts; give raw (non-negative) counts, or drop `normalize` if \
                 the matrix is already normalised",
                self.samples[s], self.genes[g]
            ));
        }
        let mut factor = vec![1.0f64; self.n_samples()];
        if scale {
            let mut totals = vec![0.0f64; self.n_samples()];
            for gene in self.values.rows() {
                for (t, &v) in totals.iter_mut().zip(gene) {
                    *t += v as f64;
                }
            }
            if let Some(s) = totals.iter().position(|&t| t == 0.0) {
                return Err(format!(
                    "sample {:?} has no counts (all values 0), so it cannot be scaled to \
                     a common total; remove it",
                    self.samples[s]
                ));
            }
            for (f, t) in factor.iter_mut().zip(&totals) {
                *f = Normalization::SCALE_FACTOR / t;
            }
        }
        for mut gene in self.values.rows_mut() {
            for (v, f) in gene.iter_mut().zip(&factor) {
                let x = *v as f64 * f;
                *v = if log { x.ln_1p() } else { x } as f32;
            }
        }
        Ok(())
    }

    /// Removes genes whose values are all equal and returns their names: they carry
    /// no information and make scaled scores undefined.
    pub fn drop_constant_genes(self) -> (Self, Vec<String>) {
        let keep: Vec<usize> = (0..self.n_genes())
            .filter(|&g| {
                let row = self.values.row(g);
                let first = row[0];
                row.iter().any(|&v| v != first)
            })
            .collect();
        if keep.len() == self.n_genes() {
            return (self, Vec::new());
        }
        let dropped = (0..self.n_genes())
            .filter(|g| !keep.contains(g))
            .map(|g| self.genes[g].clone())
            .collect();
        let values = self.values.select(ndarray::Axis(0), &keep);
        let genes = keep.iter().map(|&g| self.genes[g].clone()).collect();
        let matrix = ExpressionMatrix::new(genes, self.samples, values)
            .expect("a subset of a valid matrix is valid");
        (matrix, dropped)
    }

    /// Resolves a list of regulator (TF) names against this matrix. Names absent from
    /// the matrix are returned so the caller can warn; an empty result is an error
    /// because no gene could then be scored.
    pub fn resolve_regulators(
        &self,
        names: &[String],
    ) -> Result<(Regulators, Vec<String>), String> {
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for name in names {
            match self.gene_index(name) {
                Some(i) => found.push(i),
                None => missing.push(name.clone()),
            }
        }
        found.sort_unstable();
        found.dedup();
        if found.is_empty() {
            return Err(format!(
                "none of the {} regulator names is a gene of the expression matrix \
                 (first: {}); check that the TF list uses the same gene identifiers",
                names.len(),
                names.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        Ok((Regulators::Only(found), missing))
    }
}

/// Which genes may act as regulators.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Regulators {
    /// Every gene (the default when no TF list is given).
    #[default]
    All,
    /// Only these gene indices (sorted, unique).
    Only(Vec<usize>),
}

impl Regulators {
    /// The regulator indices for a matrix with `n_genes` genes.
    pub fn indices(&self, n_genes: usize) -> Vec<usize> {
        match self {
            Regulators::All => (0..n_genes).collect(),
            Regulators::Only(v) => v.clone(),
        }
    }

    /// Whether gene `i` may regulate.
    pub fn contains(&self, i: usize) -> bool {
        match self {
            Regulators::All => true,
            Regulators::Only(v) => v.binary_search(&i).is_ok(),
        }
    }
}

/// How values are transformed after reading (before genes without variance are
/// dropped, so a gene constant in raw counts but not after scaling is kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Normalization {
    /// Values as they are: matrices already normalised (bulk RNA-seq, arrays, DREAM).
    #[default]
    None,
    /// Each sample scaled to a total of [`Normalization::SCALE_FACTOR`] (counts per
    /// 10,000): removes differences in sequencing depth, which would otherwise
    /// correlate every gene with every other.
    Total,
    /// `ln(1 + x)` of every value.
    Log1p,
    /// [`Normalization::Total`], then `ln(1 + x)`: Seurat's `LogNormalize` (Stuart
    /// et al. 2019) and Scanpy's `normalize_total(target_sum=1e4)` + `log1p`.
    LogTotal,
}

impl Normalization {
    /// Every choice, in command-line order.
    pub const ALL: [Normalization; 4] = [
        Normalization::None,
        Normalization::Total,
        Normalization::Log1p,
        Normalization::LogTotal,
    ];
    /// Total per sample after scaling: Seurat's default `scale.factor` (10,000).
    pub const SCALE_FACTOR: f64 = 1e4;

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Normalization::None => "none",
            Normalization::Total => "total",
            Normalization::Log1p => "log1p",
            Normalization::LogTotal => "log-total",
        }
    }
}

crate::named::named_enum!(Normalization, "normalization");

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
                "--layer, --raw, --var-names, --cells, --obs and --min-cells apply to \
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
            "--genes-in-rows and --delimiter apply to text matrices; single-cell \
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
                "is a directory without matrix.mtx[.gz]; expected a 10x Matrix Market \
                 directory (matrix.mtx, features.tsv or genes.tsv, barcodes.tsv)"
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
    let delimiter = match options.delimiter {
        Some(d) => d,
        None => detect_delimiter(path)?,
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(files::open_input(path)?);
    let parse_err = |e: csv::Error| {
        let line = e.position().map(|p| p.line());
        ExpressionError::at(path, line, None, format!("cannot parse: {e}"))
    };

    let mut record = csv::ByteRecord::new();
    let mut header_line = None;
    while reader.read_byte_record(&mut record).map_err(parse_err)? {
        if !is_blank(&record) {
            header_line = record.position().map(|p| p.line());
            break;
        }
    }
    let Some(header_line) = header_line else {
        return Err(ExpressionError::at(
            path,
            None,
            None,
            "the file is empty; expected a header row of gene names followed by one row \
             per sample"
                .into(),
        ));
    };
    let header: Vec<String> = record
        .iter()
        .enumerate()
        .map(|(k, f)| utf8_field(path, header_line, k, f))
        .collect::<Result<_, _>>()?;

    // Rows of labelled values: one row per sample (default) or per gene.
    let mut row_labels: Vec<String> = Vec::new();
    let mut values: Vec<f32> = Vec::new();
    let mut has_label_column: Option<bool> = None;
    let mut n_values = 0usize;
    while reader.read_byte_record(&mut record).map_err(parse_err)? {
        if is_blank(&record) {
            continue;
        }
        let line = record.position().map(|p| p.line());
        let labelled = *has_label_column
            .get_or_insert_with(|| record.len() == header.len() + 1 || is_label(&record[0]));
        if row_labels.is_empty() {
            n_values = if labelled {
                record.len() - 1
            } else {
                record.len()
            };
            let header_fits =
                header.len() == n_values || (labelled && header.len() == n_values + 1);
            if !header_fits {
                return Err(ExpressionError::at(
                    path,
                    line,
                    None,
                    format!(
                        "this row has {} fields but the header (line {header_line}) has {}; \
                         every row needs one value per header name{}",
                        record.len(),
                        header.len(),
                        if labelled {
                            " plus an optional leading id"
                        } else {
                            ""
                        }
                    ),
                ));
            }
        }
        let offset = usize::from(labelled);
        if record.len() != n_values + offset {
            return Err(ExpressionError::at(
                path,
                line,
                None,
                format!(
                    "this row has {} fields, expected {} like the first data row; \
                     is a value missing or a delimiter inside a name?",
                    record.len(),
                    n_values + offset
                ),
            ));
        }
        row_labels.push(if labelled {
            utf8_field(path, line.unwrap_or(0), 0, &record[0])?
        } else {
            String::new()
        });
        for (k, field) in record.iter().enumerate().skip(offset) {
            let v = parse_value(field)
                .map_err(|problem| ExpressionError::at(path, line, Some(k + 1), problem))?;
            values.push(v);
        }
    }
    let labelled = has_label_column.unwrap_or(false);
    if row_labels.is_empty() {
        return Err(ExpressionError::at(
            path,
            Some(header_line),
            None,
            "the file has a header but no data rows".into(),
        ));
    }
    // Column names: the header minus its leading id label when it has one.
    let skip = usize::from(header.len() == n_values + 1);
    let column_names: Vec<String> = header[skip..].to_vec();
    let n_rows = row_labels.len();

    let (genes, samples, gene_major) = if options.genes_in_rows {
        if !labelled {
            return Err(ExpressionError::at(
                path,
                Some(header_line + 1),
                Some(1),
                "with `genes_in_rows` the first column must hold gene names, but it is \
                 numeric; drop `genes_in_rows` if rows are samples"
                    .into(),
            ));
        }
        let m = Array2::from_shape_vec((n_rows, n_values), values).expect("sized above");
        (row_labels, column_names, m)
    } else {
        let samples = if labelled {
            row_labels
        } else {
            (1..=n_rows).map(|i| format!("S{i}")).collect()
        };
        let m = Array2::from_shape_vec((n_rows, n_values), values)
            .expect("sized above")
            .reversed_axes();
        (column_names, samples, m)
    };
    check_gene_names(path, header_line, &genes, options.genes_in_rows, skip)?;
    check_sample_ids(path, &samples)?;
    if samples.len() < MIN_SAMPLES {
        return Err(ExpressionError::at(
            path,
            None,
            None,
            format!(
                "only {} sample(s); at least {MIN_SAMPLES} are needed to score regulators{}",
                samples.len(),
                if options.genes_in_rows {
                    ""
                } else {
                    " (if rows are genes, add `genes_in_rows`)"
                }
            ),
        ));
    }
    let mut matrix = ExpressionMatrix::new(genes, samples, gene_major)
        .map_err(|m| ExpressionError::at(path, None, None, m))?;
    matrix
        .normalize(options.normalize)
        .map_err(|m| ExpressionError::at(path, None, None, m))?;
    let (matrix, dropped_constant) = matrix.drop_constant_genes();
    if matrix.n_genes() < 2 {
        return Err(ExpressionError::at(
            path,
            None,
            None,
            format!(
                "fewer than 2 genes with varying values ({} constant genes dropped); \
                 nothing to infer",
                dropped_constant.len()
            ),
        ));
    }
    Ok(Loaded {
        matrix,
        dropped_constant,
        warnings: Vec::new(),
    })
}

fn check_gene_names(
    path: &Path,
    header_line: u64,
    genes: &[String],
    genes_in_rows: bool,
    header_skip: usize,
) -> Result<(), ExpressionError> {
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(genes.len());
    for (i, g) in genes.iter().enumerate() {
        let (line, column) = if genes_in_rows {
            (None, Some(1))
        } else {
            (Some(header_line), Some(i + 1 + header_skip))
        };
        if g.is_empty() {
            return Err(ExpressionError::at(
                path,
                line,
                column,
                format!("gene {} has an empty name", i + 1),
            ));
        }
        if g.contains(['\t', '\n', '\r']) {
            return Err(ExpressionError::at(
                path,
                line,
                column,
                format!(
                    "gene name {g:?} contains a tab or line break, which would break every \
                     tab-separated output; rename the gene"
                ),
            ));
        }
        if let Some(first) = seen.insert(g.as_str(), i) {
            return Err(ExpressionError::at(
                path,
                line,
                column,
                format!(
                    "gene name {g:?} appears twice (genes {} and {}); gene names must be \
                     unique: merge or rename the duplicates",
                    first + 1,
                    i + 1
                ),
            ));
        }
    }
    Ok(())
}

/// A field as text, or an error naming its place when it is not UTF-8 (never
/// silently replaced by U+FFFD).
fn utf8_field(path: &Path, line: u64, k: usize, field: &[u8]) -> Result<String, ExpressionError> {
    std::str::from_utf8(field).map(str::to_string).map_err(|_| {
        ExpressionError::at(
            path,
            Some(line),
            Some(k + 1),
            "the field is not UTF-8 text; convert the file to UTF-8 (e.g. `iconv -f latin1 \
             -t utf-8 FILE > FILE.utf8` for Latin-1)"
                .into(),
        )
    })
}

/// Sample ids must be unique (`--baseline` names one) and must not hold tabs or line
/// breaks (outputs list them).
fn check_sample_ids(path: &Path, samples: &[String]) -> Result<(), ExpressionError> {
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(samples.len());
    for (i, s) in samples.iter().enumerate() {
        if s.contains(['\t', '\n', '\r']) {
            return Err(ExpressionError::at(
                path,
                None,
                None,
                format!("sample id {s:?} contains a tab or line break; rename the sample"),
            ));
        }
        if let Some(first) = seen.insert(s.as_str(), i) {
            return Err(ExpressionError::at(
                path,
                None,
                None,
                format!(
                    "sample id {s:?} appears twice (samples {} and {}); sample ids must be \
                     unique so that --baseline can name one: rename the duplicates",
                    first + 1,
                    i + 1
                ),
            ));
        }
    }
    Ok(())
}

/// Cells that mean "no value" in the usual exports (R, pandas, Excel).
const MISSING_MARKERS: [&str; 8] = ["", "NA", "N/A", "na", "null", "NULL", "None", "."];

/// A first cell that is neither a number nor a missing-value marker is an id.
fn is_label(field: &[u8]) -> bool {
    match std::str::from_utf8(field) {
        Ok(text) => !MISSING_MARKERS.contains(&text) && text.parse::<f32>().is_err(),
        Err(_) => true,
    }
}

/// Parses one cell. Missing-value markers and non-finite numbers are errors: every
/// method here needs a complete matrix, and silently reading them would poison scores.
fn parse_value(field: &[u8]) -> Result<f32, String> {
    let text =
        std::str::from_utf8(field).map_err(|_| "the cell is not valid UTF-8 text".to_string())?;
    if MISSING_MARKERS.contains(&text) {
        return Err(format!(
            "missing value {text:?}; grn needs a complete matrix: impute the values or \
             remove the gene or sample"
        ));
    }
    match text.parse::<f32>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) if text.parse::<f64>().is_ok_and(f64::is_finite) => Err(format!(
            "{text:?} is outside the range of 32-bit floats (about ±3.4e38) in which \
             values are stored; rescale the data (e.g. log-transform it)"
        )),
        Ok(_) => Err(format!(
            "{text:?} is not a finite number (NaN and infinities cannot be scored); \
             impute or remove it"
        )),
        Err(_) => Err(format!("expected a number, found {text:?}")),
    }
}

fn is_blank(record: &csv::ByteRecord) -> bool {
    record.iter().all(|f| f.is_empty())
}

/// Picks the delimiter from the extension, else from the first line (tab if it has
/// more tabs than commas).
fn detect_delimiter(path: &Path) -> Result<u8, ExpressionError> {
    match files::logical_extension(path).as_deref() {
        Some("csv") => return Ok(b','),
        Some("tsv" | "tab") => return Ok(b'\t'),
        _ => {}
    }
    let mut first = String::new();
    std::io::BufRead::read_line(&mut files::open_input(path)?, &mut first)
        .map_err(|e| FileError::new(path, e))?;
    let tabs = first.matches('\t').count();
    let commas = first.matches(',').count();
    Ok(if commas > tabs { b',' } else { b'\t' })
}

/// Reads a list of gene names, one per line (first field of tab/comma separated
/// lines; blank lines and `#` comments ignored; quotes stripped; duplicates kept once).
pub fn read_gene_list(path: &Path) -> Result<Vec<String>, ExpressionError> {
    read_name_list(path, "gene")
}

/// Reads a list of names (genes, cells), one per line, as [`read_gene_list`]
/// does; `what` names them in the error for an empty list.
pub fn read_name_list(path: &Path, what: &str) -> Result<Vec<String>, ExpressionError> {
    let text = files::read_to_string(path)?;
    let mut seen = std::collections::HashSet::new();
    let mut names = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let name = line
            .split(['\t', ','])
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        if !name.is_empty() && seen.insert(name.to_string()) {
            names.push(name.to_string());
        }
    }
    if names.is_empty() {
        return Err(ExpressionError::at(
            path,
            None,
            None,
            format!("the {what} list is empty; expected one {what} name per line"),
        ));
    }
    Ok(names)
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
