//! `grn._native`: the Python binding of the `grn` library.
//!
//! Thin on purpose: every function maps its Python arguments onto the same library
//! parameters as the command line (`src/cli`), releases the GIL and runs the library
//! in rayon's pool, so the same input and seed give the same bytes as `grn infer`,
//! `grn perturb` and `grn screen`. Python-facing conveniences (AnnData, DataFrames,
//! logging) live in the pure-Python package around it.
//!
//! The mapping from Python arguments to library parameters lives in the functions
//! named `*_params`, one per command, so a change of the library's parameter types
//! is adapted in one place.

use std::error::Error;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ndarray::{Array2, ArrayView1};
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use grn::expression::{
    self, ExpressionMatrix, MIN_SAMPLES, Normalization, ReadOptions, Regulators,
};
use grn::infer::time_series::TimeCourse;
use grn::infer::{InferParams, Method, Prepared, SingleMethod};
use grn::mutual_info::aracne::AracneParams;
use grn::mutual_info::{Estimator, MiParams};
use grn::named::first_few;
use grn::network::{Cut, EdgeTable, GeneNetwork, Sign};
use grn::perturb::{
    Alpha, Baseline, ForestModelParams, ModelKind, ModelParams, Perturbation, Predictor,
    Propagation, PropagationParams, ResponseModel, ScreenParams, Signature, WeightPrior,
};
use grn::shard::{Shard, ShardTable, merge};
use grn::trees::{BoostingParams, OobImprovement};

/// A library error as the Python exception a Python user expects: a missing file is
/// `FileNotFoundError`, another I/O failure `OSError`, anything else (bad input or
/// parameters) `ValueError`; the message is the library's.
fn py_err(e: &(dyn Error + 'static)) -> PyErr {
    let message = e.to_string();
    let mut cause: Option<&(dyn Error + 'static)> = Some(e);
    while let Some(c) = cause {
        // The library's file errors keep the OS error as a field, not as a `source`
        // (so the CLI does not print the reason twice).
        let file = c.downcast_ref::<grn::files::FileError>().or_else(|| match c
            .downcast_ref::<grn::files::InputError>(
        ) {
            Some(grn::files::InputError::File(f)) => Some(f),
            _ => None,
        });
        let io = file
            .map(|f| &f.source)
            .or_else(|| c.downcast_ref::<std::io::Error>());
        if let Some(io) = io {
            return if io.kind() == std::io::ErrorKind::NotFound {
                PyFileNotFoundError::new_err(message)
            } else {
                PyOSError::new_err(message)
            };
        }
        cause = c.source();
    }
    PyValueError::new_err(message)
}

fn value_err(message: impl Into<String>) -> PyErr {
    PyValueError::new_err(message.into())
}

/// Runs `work` in a pool of `threads` workers (default: rayon's global pool, all
/// cores). Results never depend on the number of threads.
fn in_pool<T: Send>(threads: Option<usize>, work: impl FnOnce() -> T + Send) -> PyResult<T> {
    match threads {
        None => Ok(work()),
        Some(0) => Err(value_err("threads must be at least 1")),
        Some(n) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| PyOSError::new_err(format!("cannot start worker threads: {e}")))?;
            Ok(pool.install(work))
        }
    }
}

/// Progress of long work reported to a Python `logging.Logger` at INFO, every tenth
/// of a phase. Only built when that logger would show it, so quiet runs never take
/// the GIL from worker threads.
struct LogProgress {
    logger: Py<PyAny>,
    what: std::sync::Mutex<String>,
    total: AtomicU64,
    done: AtomicU64,
}

impl LogProgress {
    fn log(&self, message: String) {
        Python::attach(|py| {
            // A failing handler must not abort the computation.
            let _ = self.logger.bind(py).call_method1("info", (message,));
        });
    }
}

impl grn::Progress for LogProgress {
    fn start(&self, what: &str, total: u64) {
        *self.what.lock().expect("not poisoned") = what.to_string();
        self.total.store(total, Ordering::Relaxed);
        self.done.store(0, Ordering::Relaxed);
        self.log(format!("{what}: 0/{total}"));
    }

    fn advance(&self, n: u64) {
        let total = self.total.load(Ordering::Relaxed).max(1);
        let before = self.done.fetch_add(n, Ordering::Relaxed);
        let after = before + n;
        if before * 10 / total != after * 10 / total {
            let what = self.what.lock().expect("not poisoned").clone();
            self.log(format!("{what}: {after}/{total}"));
        }
    }
}

/// The progress sink for a call: the logger when given, else nothing.
fn progress(logger: Option<Py<PyAny>>) -> Box<dyn grn::Progress + Send> {
    match logger {
        Some(logger) => Box::new(LogProgress {
            logger,
            what: Default::default(),
            total: AtomicU64::new(0),
            done: AtomicU64::new(0),
        }),
        None => Box::new(grn::Quiet),
    }
}

/// An expression matrix in the library's gene-major `f32` layout, with the genes
/// dropped for having no variance (as `grn infer` drops them when reading). It
/// keeps what inference derives from the matrix ([`Prepared`]), so every `infer`
/// and `infer_shard` call on one `Expression` (a Dask worker's blocks) bins and
/// ranks it once.
#[pyclass(module = "grn._native", frozen)]
struct Expression {
    input: Prepared<'static>,
    dropped: Vec<String>,
    warnings: Vec<String>,
    times: Option<Vec<f64>>,
}

impl Expression {
    /// The checks `expression::read` makes on a file, for a matrix from memory.
    fn checked(genes: Vec<String>, samples: Vec<String>, values: Array2<f32>) -> PyResult<Self> {
        if samples.len() < MIN_SAMPLES {
            return Err(value_err(format!(
                "only {} sample(s); at least {MIN_SAMPLES} are needed to score regulators \
                 (rows are cells/samples, columns genes)",
                samples.len()
            )));
        }
        if let Some(i) = genes.iter().position(String::is_empty) {
            return Err(value_err(format!("gene {} has an empty name", i + 1)));
        }
        let matrix = ExpressionMatrix::new(genes, samples, values).map_err(value_err)?;
        let (matrix, dropped) = matrix.drop_constant_genes();
        if matrix.n_genes() < 2 {
            return Err(value_err(format!(
                "fewer than 2 genes with varying values ({} constant genes dropped); nothing \
                 to infer",
                dropped.len()
            )));
        }
        Ok(Expression {
            input: Prepared::owned(matrix),
            dropped,
            warnings: Vec::new(),
            times: None,
        })
    }
}

/// Values a sparse or dense matrix may hold, read as `f32` as the library stores them.
trait Value: numpy::Element + Copy {
    fn to_f32(self) -> f32;
}
impl Value for f32 {
    fn to_f32(self) -> f32 {
        self
    }
}
impl Value for f64 {
    fn to_f32(self) -> f32 {
        self as f32
    }
}

/// Index types of scipy's compressed matrices.
trait Index: numpy::Element + Copy {
    fn to_i64(self) -> i64;
}
impl Index for i32 {
    fn to_i64(self) -> i64 {
        self as i64
    }
}
impl Index for i64 {
    fn to_i64(self) -> i64 {
        self
    }
}

/// Scatters a compressed (CSR over cells or CSC over genes) matrix into the
/// gene-major store. Duplicate entries add up, as scipy's `toarray` does.
fn scatter<V: Value, I: Index>(
    data: ArrayView1<'_, V>,
    indices: ArrayView1<'_, I>,
    indptr: ArrayView1<'_, I>,
    n_cells: usize,
    n_genes: usize,
    by_gene: bool,
) -> PyResult<Array2<f32>> {
    let (n_major, n_minor) = if by_gene {
        (n_genes, n_cells)
    } else {
        (n_cells, n_genes)
    };
    if indptr.len() != n_major + 1 {
        return Err(value_err(format!(
            "malformed sparse matrix: indptr has {} entries, expected {}",
            indptr.len(),
            n_major + 1
        )));
    }
    if data.len() != indices.len() {
        return Err(value_err(format!(
            "malformed sparse matrix: {} values but {} indices",
            data.len(),
            indices.len()
        )));
    }
    let mut out = Array2::<f32>::zeros((n_genes, n_cells));
    let store = out.as_slice_mut().expect("fresh arrays are contiguous");
    for major in 0..n_major {
        let (lo, hi) = (indptr[major].to_i64(), indptr[major + 1].to_i64());
        if lo < 0 || hi < lo || hi as usize > data.len() {
            return Err(value_err(format!(
                "malformed sparse matrix: indptr[{major}..{}] = {lo}..{hi} is not a range \
                 of the {} stored values",
                major + 1,
                data.len()
            )));
        }
        for k in lo as usize..hi as usize {
            let minor = indices[k].to_i64();
            if minor < 0 || minor as usize >= n_minor {
                return Err(value_err(format!(
                    "malformed sparse matrix: index {minor} is outside 0..{n_minor}"
                )));
            }
            let (gene, cell) = if by_gene {
                (major, minor as usize)
            } else {
                (minor as usize, major)
            };
            store[gene * n_cells + cell] += data[k].to_f32();
        }
    }
    Ok(out)
}

fn sparse_typed<V: Value>(
    data: ArrayView1<'_, V>,
    indices: &Bound<'_, PyAny>,
    indptr: &Bound<'_, PyAny>,
    shape: (usize, usize),
    by_gene: bool,
) -> PyResult<Array2<f32>> {
    let (cells, genes) = shape;
    if let (Ok(i), Ok(p)) = (
        indices.extract::<PyReadonlyArray1<'_, i32>>(),
        indptr.extract::<PyReadonlyArray1<'_, i32>>(),
    ) {
        return scatter(data, i.as_array(), p.as_array(), cells, genes, by_gene);
    }
    if let (Ok(i), Ok(p)) = (
        indices.extract::<PyReadonlyArray1<'_, i64>>(),
        indptr.extract::<PyReadonlyArray1<'_, i64>>(),
    ) {
        return scatter(data, i.as_array(), p.as_array(), cells, genes, by_gene);
    }
    Err(value_err(
        "sparse indices and indptr must both be int32 or both int64 numpy arrays",
    ))
}

#[pymethods]
impl Expression {
    /// Reads an expression file exactly as `grn infer --expr` does.
    #[staticmethod]
    #[pyo3(signature = (path, genes_in_rows=false, delimiter=None, normalize="none"))]
    fn read(
        py: Python<'_>,
        path: PathBuf,
        genes_in_rows: bool,
        delimiter: Option<&str>,
        normalize: &str,
    ) -> PyResult<Self> {
        let delimiter = match delimiter {
            None => None,
            Some("\\t" | "\t" | "tab") => Some(b'\t'),
            Some("," | "comma") => Some(b','),
            Some(s) if s.len() == 1 => Some(s.as_bytes()[0]),
            Some(s) => {
                return Err(value_err(format!(
                    "delimiter {s:?}: expected one character, 'tab' or 'comma'"
                )));
            }
        };
        let options = ReadOptions {
            genes_in_rows,
            delimiter,
            normalize: normalize.parse::<Normalization>().map_err(value_err)?,
            ..ReadOptions::default()
        };
        let loaded = py
            .detach(|| expression::read(&path, &options))
            .map_err(|e| py_err(&e))?;
        Ok(Expression {
            input: Prepared::owned(loaded.matrix),
            dropped: loaded.dropped_constant,
            warnings: loaded.warnings,
            times: loaded.times,
        })
    }

    /// A dense cells x genes array (float32 or float64, any memory layout).
    #[staticmethod]
    fn from_dense(
        values: &Bound<'_, PyAny>,
        genes: Vec<String>,
        samples: Vec<String>,
    ) -> PyResult<Self> {
        // One transposing copy into the gene-major store, whatever the layout.
        let gene_major = if let Ok(a) = values.extract::<PyReadonlyArray2<'_, f32>>() {
            let view = a.as_array();
            let mut out = Array2::<f32>::zeros((view.ncols(), view.nrows()));
            out.assign(&view.t());
            out
        } else if let Ok(a) = values.extract::<PyReadonlyArray2<'_, f64>>() {
            let view = a.as_array();
            let mut out = Array2::<f32>::zeros((view.ncols(), view.nrows()));
            ndarray::Zip::from(&mut out)
                .and(view.t())
                .for_each(|o, &v| *o = v as f32);
            out
        } else {
            return Err(value_err(
                "expression values must be a 2-d float32 or float64 numpy array",
            ));
        };
        Self::checked(genes, samples, gene_major)
    }

    /// A scipy compressed matrix, cells x genes: `format` is "csr" (rows are cells)
    /// or "csc" (columns are genes). Filled gene by gene into the library's store;
    /// never densified on the Python side.
    #[staticmethod]
    #[allow(clippy::too_many_arguments)]
    fn from_sparse(
        format: &str,
        data: &Bound<'_, PyAny>,
        indices: &Bound<'_, PyAny>,
        indptr: &Bound<'_, PyAny>,
        genes: Vec<String>,
        samples: Vec<String>,
    ) -> PyResult<Self> {
        let by_gene = match format {
            "csr" => false,
            "csc" => true,
            f => {
                return Err(value_err(format!(
                    "sparse format {f:?}: expected csr or csc"
                )));
            }
        };
        let shape = (samples.len(), genes.len());
        let values = if let Ok(d) = data.extract::<PyReadonlyArray1<'_, f32>>() {
            sparse_typed(d.as_array(), indices, indptr, shape, by_gene)?
        } else if let Ok(d) = data.extract::<PyReadonlyArray1<'_, f64>>() {
            sparse_typed(d.as_array(), indices, indptr, shape, by_gene)?
        } else {
            return Err(value_err("sparse values must be float32 or float64"));
        };
        Self::checked(genes, samples, values)
    }

    /// Gene names (constant genes removed).
    #[getter]
    fn genes(&self) -> Vec<String> {
        self.input.matrix().genes().to_vec()
    }

    /// Sample (cell) names.
    #[getter]
    fn samples(&self) -> Vec<String> {
        self.input.matrix().samples().to_vec()
    }

    /// Genes removed for having zero variance.
    #[getter]
    fn dropped_constant(&self) -> Vec<String> {
        self.dropped.clone()
    }

    /// What the reader changed or left out (renamed duplicate genes, a time
    /// column, skipped features), as the CLI prints them.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }

    /// The samples' time points, when the file has a `Time` column.
    #[getter]
    fn times(&self) -> Option<Vec<f64>> {
        self.times.clone()
    }

    /// The values, genes x samples, as float32 (a copy).
    fn values<'py>(&self, py: Python<'py>) -> Bound<'py, numpy::PyArray2<f32>> {
        self.input.matrix().values().clone().into_pyarray(py)
    }
}

/// The regulators named by `tfs` (all genes when `None`) and the names that are not
/// genes of the matrix, as `grn infer --tfs` resolves them.
fn regulators(
    matrix: &ExpressionMatrix,
    tfs: Option<Vec<String>>,
) -> PyResult<(Regulators, Vec<String>)> {
    match tfs {
        None => Ok((Regulators::All, Vec::new())),
        Some(names) => matrix.resolve_regulators(&names).map_err(value_err),
    }
}

/// Python's `infer` arguments as the library's parameters: the same mapping as
/// `grn infer`'s flags (`src/cli/infer.rs`), `None` meaning the CLI's default.
#[allow(clippy::too_many_arguments)]
fn infer_params(
    method: &str,
    seed: u64,
    trees: Option<usize>,
    top: Option<usize>,
    mi_estimator: Option<&str>,
    bins: Option<usize>,
    spline_order: Option<usize>,
    ksg_k: Option<usize>,
    dpi_eps: Option<f64>,
    pvalue: Option<f64>,
    bootstraps: Option<usize>,
    members: Option<Vec<String>>,
    boosting: Option<BoostingParams>,
) -> PyResult<InferParams> {
    let aracne = AracneParams::lachmann2016();
    // As `grn infer --members`: members replace the default ones of a consensus.
    let method = match (method.parse::<Method>().map_err(value_err)?, members) {
        (Method::Consensus(_), Some(m)) if !m.is_empty() => Method::Consensus(
            m.iter()
                .map(|s| s.parse::<SingleMethod>())
                .collect::<Result<_, _>>()
                .map_err(value_err)?,
        ),
        (m, _) => m,
    };
    Ok(InferParams {
        method,
        trees,
        boosting,
        seed,
        top,
        mi: MiParams {
            estimator: match mi_estimator {
                None => Estimator::default(),
                Some(e) => e.parse().map_err(value_err)?,
            },
            bins,
            spline_order: spline_order.unwrap_or(MiParams::DAUB_ORDER),
            ksg_k: ksg_k.unwrap_or(MiParams::KRASKOV_K),
        },
        aracne: AracneParams {
            dpi_eps: dpi_eps.unwrap_or(aracne.dpi_eps),
            pvalue: pvalue.unwrap_or(aracne.pvalue),
            bootstraps: bootstraps.unwrap_or(aracne.bootstraps),
            ..AracneParams::default()
        },
    })
}

/// GRNBoost2's settings with the early stopping asked for (`None`: the paper's, so
/// the call is exactly `grn infer`'s). A window of 0 turns early stopping off, as
/// arboreto's `early_stop_window_length=None`.
fn boosting(window: Option<usize>, rule: Option<&str>) -> PyResult<Option<BoostingParams>> {
    if window.is_none() && rule.is_none() {
        return Ok(None);
    }
    let mut b = BoostingParams::grnboost2();
    if let Some(w) = window {
        b.early_stop_window = (w > 0).then_some(w);
    }
    if let Some(rule) = rule {
        b.oob_improvement = rule.parse::<OobImprovement>().map_err(value_err)?;
    }
    Ok(Some(b))
}

type EdgeColumns<'py> = (
    Vec<String>,
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<i8>>,
    Vec<String>,
);

/// Infers a network; returns (genes, regulator indices, target indices, scores,
/// signs as -1/0/1, TF names not in the matrix), highest score first.
#[pyfunction]
#[pyo3(signature = (
    expr, method="genie3", tfs=None, seed=0, trees=None, top=None, mi_estimator=None,
    bins=None, spline_order=None, ksg_k=None, dpi_eps=None, pvalue=None, bootstraps=None,
    members=None, early_stop_window=None, oob_improvement=None, times=None, threads=None,
    logger=None
))]
#[allow(clippy::too_many_arguments)]
fn infer<'py>(
    py: Python<'py>,
    expr: &Bound<'py, Expression>,
    method: &str,
    tfs: Option<Vec<String>>,
    seed: u64,
    trees: Option<usize>,
    top: Option<usize>,
    mi_estimator: Option<&str>,
    bins: Option<usize>,
    spline_order: Option<usize>,
    ksg_k: Option<usize>,
    dpi_eps: Option<f64>,
    pvalue: Option<f64>,
    bootstraps: Option<usize>,
    members: Option<Vec<String>>,
    early_stop_window: Option<usize>,
    oob_improvement: Option<&str>,
    times: Option<Vec<f64>>,
    threads: Option<usize>,
    logger: Option<Py<PyAny>>,
) -> PyResult<EdgeColumns<'py>> {
    let matrix = expr.get().input.matrix();
    let params = infer_params(
        method,
        seed,
        trees,
        top,
        mi_estimator,
        bins,
        spline_order,
        ksg_k,
        dpi_eps,
        pvalue,
        bootstraps,
        members,
        boosting(early_stop_window, oob_improvement)?,
    )?;
    let (regs, missing) = regulators(matrix, tfs)?;
    let progress = progress(logger);
    let input = &expr.get().input;
    let course = times
        .map(TimeCourse::new)
        .transpose()
        .map_err(|e| py_err(&e))?;
    let edges = py.detach(|| {
        in_pool(threads, || {
            let params = params.check()?;
            match &course {
                Some(c) => params.infer_time_series(input, c, &regs, None, progress.as_ref()),
                None => params.infer(input, &regs, progress.as_ref()),
            }
        })
    })?;
    let edges = edges.map_err(|e| py_err(&e))?;
    Ok(edge_columns(py, &edges, missing))
}

/// A table as (genes, regulator indices, target indices, scores, signs as -1/0/1,
/// TF names not in the matrix).
fn edge_columns<'py>(py: Python<'py>, edges: &EdgeTable, missing: Vec<String>) -> EdgeColumns<'py> {
    let n = edges.len();
    let (mut reg, mut tgt, mut score, mut sign) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for e in edges.iter() {
        reg.push(e.regulator as u32);
        tgt.push(e.target as u32);
        score.push(e.score);
        sign.push(e.sign.as_f64() as i8);
    }
    (
        edges.genes().to_vec(),
        reg.into_pyarray(py),
        tgt.into_pyarray(py),
        score.into_pyarray(py),
        sign.into_pyarray(py),
        missing,
    )
}

/// Scores one block of targets of a tree method (`grn infer --targets-shard`):
/// returns the shard file's text (which `merge_shards` takes) and the TF names not
/// in the matrix.
#[pyfunction]
#[pyo3(signature = (
    expr, shard, method="genie3", tfs=None, seed=0, trees=None, top=None,
    early_stop_window=None, oob_improvement=None, threads=None, logger=None
))]
#[allow(clippy::too_many_arguments)]
fn infer_shard(
    py: Python<'_>,
    expr: &Bound<'_, Expression>,
    shard: &str,
    method: &str,
    tfs: Option<Vec<String>>,
    seed: u64,
    trees: Option<usize>,
    top: Option<usize>,
    early_stop_window: Option<usize>,
    oob_improvement: Option<&str>,
    threads: Option<usize>,
    logger: Option<Py<PyAny>>,
) -> PyResult<(String, Vec<String>)> {
    let input = &expr.get().input;
    let params = infer_params(
        method,
        seed,
        trees,
        top,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        boosting(early_stop_window, oob_improvement)?,
    )?;
    let shard: Shard = shard.parse().map_err(|e| py_err(&e))?;
    let (regs, missing) = regulators(input.matrix(), tfs)?;
    let progress = progress(logger);
    let table = py.detach(|| {
        // The bins and the regulators' ranks serve every block this process
        // scores, so they are made on the process's whole pool, not the block's
        // `threads`: on a worker with two 1-thread tasks, one would otherwise wait
        // idle while the other bins and ranks alone.
        input.binned(&regs);
        input.rank_regulators(&regs.indices(input.matrix().n_genes()));
        in_pool(threads, || {
            params
                .check()?
                .infer_shard(input, &regs, shard, None, progress.as_ref())
        })
    })?;
    let table = table.map_err(|e| py_err(&e))?;
    let mut text = Vec::new();
    table
        .write_tsv(&mut text)
        .map_err(|e| PyOSError::new_err(e.to_string()))?;
    let text = String::from_utf8(text).map_err(|e| value_err(e.to_string()))?;
    Ok((text, missing))
}

/// Merges the texts of the shards of one run (`grn merge`) into the single run's
/// table, as `infer` returns it.
#[pyfunction]
fn merge_shards<'py>(py: Python<'py>, shards: Vec<String>) -> PyResult<EdgeColumns<'py>> {
    let edges = py
        .detach(|| {
            let tables = shards
                .iter()
                .enumerate()
                .map(|(i, text)| {
                    ShardTable::parse_tsv(text, std::path::Path::new(&format!("<shard {}>", i + 1)))
                })
                .collect::<Result<Vec<_>, _>>()?;
            merge(tables)
        })
        .map_err(|e| py_err(&e))?;
    Ok(edge_columns(py, &edges, Vec::new()))
}

/// A network from DataFrame columns, as `EdgeTable::read_tsv` would read the same
/// rows from a file: names interned in order of first appearance (regulator, then
/// target, row by row), NaN scores refused, signs parsed the same way.
fn edge_table(
    regulators: Vec<String>,
    targets: Vec<String>,
    scores: Vec<f64>,
    signs: Option<Vec<String>>,
) -> PyResult<EdgeTable> {
    if regulators.len() != targets.len() || regulators.len() != scores.len() {
        return Err(value_err("network columns differ in length"));
    }
    let mut names: Vec<String> = Vec::new();
    let mut index = std::collections::HashMap::new();
    let mut intern = |name: &str| -> usize {
        *index.entry(name.to_string()).or_insert_with(|| {
            names.push(name.to_string());
            names.len() - 1
        })
    };
    let mut rows = Vec::with_capacity(scores.len());
    for (i, ((r, t), &s)) in regulators.iter().zip(&targets).zip(&scores).enumerate() {
        if s.is_nan() {
            return Err(value_err(format!("network row {i}: the score is NaN")));
        }
        if r.is_empty() || t.is_empty() {
            return Err(value_err(format!("network row {i}: empty gene name")));
        }
        let sign = match &signs {
            None => Sign::Unknown,
            Some(signs) => Sign::parse(&signs[i]).ok_or_else(|| {
                value_err(format!(
                    "network row {i}: expected a sign (+, - or 0), found {:?}",
                    signs[i]
                ))
            })?,
        };
        rows.push((intern(r), intern(t), s, sign));
    }
    let genes: Arc<[String]> = names.into();
    let mut table = EdgeTable::new(genes, signs.is_some());
    for (r, t, s, sign) in rows {
        table.push(r, t, s, sign);
    }
    Ok(table)
}

/// The model options shared by `perturb` and `screen` (`grn perturb`'s model flags).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct ModelOptions {
    model: String,
    per_target: usize,
    alpha: String,
    weight_prior: String,
    trees: usize,
    seed: u64,
    baseline: Option<String>,
    baseline_group: Option<Vec<String>>,
    propagation: String,
    steps: Option<usize>,
    max_radius: f64,
}

/// A network given as DataFrame columns.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct NetworkColumns {
    regulator: Vec<String>,
    target: Vec<String>,
    score: Vec<f64>,
    sign: Option<Vec<String>>,
}

/// Model options as the library's parameters: `src/cli/perturb.rs`'s mapping.
fn model_params(o: &ModelOptions) -> PyResult<(ModelParams, PropagationParams)> {
    let kind = match o.model.as_str() {
        "linear" => ModelKind::Linear(match o.alpha.as_str() {
            "gcv" => Alpha::Gcv,
            "gcv-per-target" => Alpha::GcvPerTarget,
            s => Alpha::Fixed(
                s.parse::<f64>()
                    .ok()
                    .filter(|a| a.is_finite() && *a >= 0.0)
                    .ok_or_else(|| {
                        value_err(format!(
                            "alpha {s:?}: expected gcv, gcv-per-target or a non-negative number"
                        ))
                    })?,
            ),
        }),
        "forest" => {
            let mut f = ForestModelParams::breiman();
            f.forest.n_trees = o.trees;
            ModelKind::Forest(f)
        }
        m => {
            return Err(value_err(format!("model {m:?}: expected linear or forest")));
        }
    };
    let params = ModelParams {
        kind,
        per_target: Some(o.per_target),
        prior: o.weight_prior.parse::<WeightPrior>().map_err(value_err)?,
        seed: o.seed,
        ..ModelParams::default()
    };
    let propagation = match (o.propagation.as_str(), o.steps) {
        ("steps", s) => Propagation::Steps(s.unwrap_or(PropagationParams::CELLORACLE_STEPS)),
        ("steady", None) => Propagation::Steady,
        ("steady", Some(_)) => {
            return Err(value_err(
                "steps applies to propagation='steps'; the steady state has no steps",
            ));
        }
        (p, _) => {
            return Err(value_err(format!(
                "propagation {p:?}: expected steps or steady"
            )));
        }
    };
    let propagation = PropagationParams {
        propagation,
        max_radius: o.max_radius,
        ..PropagationParams::default()
    };
    propagation.validate().map_err(|e| py_err(&e))?;
    Ok((params, propagation))
}

/// A fitted model and the predictor set-up of `grn perturb`/`grn screen`, with the
/// warnings the CLI would print.
fn fit_model(
    matrix: &ExpressionMatrix,
    regulators: &Regulators,
    network: NetworkColumns,
    params: &ModelParams,
    progress: &dyn grn::Progress,
    warnings: &mut Vec<String>,
) -> PyResult<ResponseModel> {
    let table = edge_table(
        network.regulator,
        network.target,
        network.score,
        network.sign,
    )?;
    let tfs: Option<Vec<String>> = match regulators {
        Regulators::All => None,
        Regulators::Only(idx) => Some(idx.iter().map(|&i| matrix.genes()[i].clone()).collect()),
    };
    let cut = Cut {
        per_target: params.per_target,
        tf_only: tfs.is_some(),
        ..Cut::default()
    };
    let network = GeneNetwork::from_table(&table, &cut, tfs.as_deref()).map_err(|e| py_err(&e))?;
    let model = grn::perturb::fit(matrix, &network, params, progress).map_err(|e| py_err(&e))?;
    let missing = model.missing_genes();
    if !missing.is_empty() {
        warnings.push(format!(
            "{} gene(s) of the network are not (varying) genes of the expression matrix; \
             their edges are ignored ({})",
            missing.len(),
            first_few(missing)
        ));
    }
    if model.uniform_prior_targets() > 0 {
        warnings.push(format!(
            "{} target(s) have edges whose score is not positive, so the score cannot size \
             their weights' prior; they are fitted with weight_prior='uniform'",
            model.uniform_prior_targets()
        ));
    }
    Ok(model)
}

fn predictor<'m>(
    matrix: &ExpressionMatrix,
    model: &'m ResponseModel,
    options: &ModelOptions,
    propagation: &PropagationParams,
    warnings: &mut Vec<String>,
) -> PyResult<Predictor<'m>> {
    let baseline = match (&options.baseline, &options.baseline_group) {
        (Some(_), Some(_)) => {
            return Err(value_err(
                "give a baseline sample or a baseline group, not both",
            ));
        }
        (None, None) => Baseline::Mean,
        (Some(s), None) if s == "mean" => Baseline::Mean,
        (Some(s), None) => Baseline::Sample(s.clone()),
        (None, Some(g)) => Baseline::Group(g.clone()),
    };
    let baseline = baseline.resolve(matrix).map_err(|e| py_err(&e))?;
    let predictor = Predictor::new(model, baseline, propagation).map_err(|e| py_err(&e))?;
    for d in predictor.damped() {
        warnings.push(format!(
            "a feedback loop of {} genes has spectral radius {:.3}: its linear steady state \
             would {}; its internal edges were damped by a factor {:.3} to radius {}. \
             Consider propagation='steps' or a sparser network (per_target)",
            d.genes,
            d.radius,
            if d.radius >= 1.0 {
                "diverge"
            } else {
                "amplify changes more than tenfold"
            },
            d.scale,
            options.max_radius
        ));
    }
    Ok(predictor)
}

type EffectRow = (
    String,
    f64,
    f64,
    f64,
    Option<f64>,
    Option<f64>,
    Option<String>,
    Option<f64>,
);

/// Predicts a perturbation: rows (gene, baseline, predicted, delta, log2 fold
/// change, r2, path, path_r2) sorted as `grn perturb` writes them, and the warnings.
#[pyfunction]
#[pyo3(signature = (expr, network, changes, options, tfs=None, threads=None, logger=None))]
#[allow(clippy::too_many_arguments)]
fn perturb(
    py: Python<'_>,
    expr: &Bound<'_, Expression>,
    network: NetworkColumns,
    changes: Vec<(String, String, f64)>,
    options: ModelOptions,
    tfs: Option<Vec<String>>,
    threads: Option<usize>,
    logger: Option<Py<PyAny>>,
) -> PyResult<(Vec<EffectRow>, Vec<String>)> {
    let matrix = expr.get().input.matrix();
    // Checked before the (possibly long) fit, as the CLI does.
    for (what, gene, factor) in &changes {
        match what.as_str() {
            "knockout" => {}
            "knockdown" if !(0.0..1.0).contains(factor) => {
                return Err(value_err(format!(
                    "knockdown {gene}={factor}: the factor must be in [0, 1) (a fraction of \
                     the baseline)"
                )));
            }
            "overexpress" if !(factor.is_finite() && *factor > 1.0) => {
                return Err(value_err(format!(
                    "overexpress {gene}={factor}: the factor must be above 1 (a multiple of \
                     the baseline)"
                )));
            }
            "knockdown" | "overexpress" => {}
            w => return Err(value_err(format!("unknown perturbation {w:?}"))),
        }
    }
    if changes.is_empty() {
        return Err(value_err(
            "nothing to perturb: give knockout, knockdown or overexpress",
        ));
    }
    let (params, propagation) = model_params(&options)?;
    let (regs, _) = regulators(matrix, tfs)?;
    let progress = progress(logger);
    py.detach(|| {
        in_pool(threads, || -> PyResult<_> {
            let mut warnings = Vec::new();
            let model = fit_model(
                matrix,
                &regs,
                network,
                &params,
                progress.as_ref(),
                &mut warnings,
            )?;
            let mut perturbation = Perturbation::default();
            for (what, gene, factor) in &changes {
                let g = model.require(gene, what).map_err(|e| py_err(&e))?;
                perturbation = perturbation.and(&Perturbation::scale(g, *factor));
            }
            let regulating = model.regulating_genes();
            for &(g, _) in perturbation.changes() {
                if regulating.binary_search(&g).is_err() {
                    warnings.push(format!(
                        "{} has no targets in the network model; only its own level changes",
                        model.genes()[g]
                    ));
                }
            }
            let predictor = predictor(matrix, &model, &options, &propagation, &mut warnings)?;
            let effects = predictor.effects(&perturbation).map_err(|e| py_err(&e))?;
            if !effects.unconverged().is_empty() {
                let names: Vec<String> = effects
                    .unconverged()
                    .iter()
                    .map(|&g| model.genes()[g].clone())
                    .collect();
                warnings.push(format!(
                    "{} gene(s) of forest feedback loops did not settle; their values are \
                     the last iterate ({})",
                    names.len(),
                    first_few(&names)
                ));
            }
            let rows = effects
                .rows()
                .iter()
                .map(|r| {
                    (
                        effects.genes()[r.gene].clone(),
                        r.baseline,
                        r.predicted,
                        r.delta,
                        r.log2_fold_change(),
                        r.r2,
                        (!r.path.is_empty()).then(|| effects.path_string(r)),
                        r.path_r2,
                    )
                })
                .collect();
            Ok((rows, warnings))
        })
    })?
}

type HitRow = (
    usize,
    String,
    f64,
    usize,
    usize,
    Option<f64>,
    Option<String>,
);

/// Screens candidate perturbations against a signature: rows (rank, perturbation,
/// score, moved_wanted, moved_against, synergy, top_genes) as `grn screen` writes
/// them, and the warnings.
#[pyfunction]
#[pyo3(signature = (
    expr, network, signature, options, tfs=None, candidates=None, factor=0.0,
    pairs=false, top=None, top_genes=None, threads=None, logger=None
))]
#[allow(clippy::too_many_arguments)]
fn screen(
    py: Python<'_>,
    expr: &Bound<'_, Expression>,
    network: NetworkColumns,
    signature: Vec<(String, f64)>,
    options: ModelOptions,
    tfs: Option<Vec<String>>,
    candidates: Option<Vec<String>>,
    factor: f64,
    pairs: bool,
    top: Option<usize>,
    top_genes: Option<usize>,
    threads: Option<usize>,
    logger: Option<Py<PyAny>>,
) -> PyResult<(Vec<HitRow>, Vec<String>)> {
    let matrix = expr.get().input.matrix();
    let (params, propagation) = model_params(&options)?;
    let (regs, _) = regulators(matrix, tfs)?;
    let screen_params = ScreenParams {
        factor,
        pairs,
        pair_top: top.unwrap_or(ScreenParams::PAIR_TOP),
        top_genes: top_genes.unwrap_or(ScreenParams::TOP_GENES),
        ..ScreenParams::default()
    };
    let progress = progress(logger);
    py.detach(|| {
        in_pool(threads, || -> PyResult<_> {
            let mut warnings = Vec::new();
            let model = fit_model(
                matrix,
                &regs,
                network,
                &params,
                progress.as_ref(),
                &mut warnings,
            )?;
            let mut genes = Vec::new();
            let mut missing = Vec::new();
            for (name, weight) in &signature {
                match model.gene_index(name) {
                    Some(g) => genes.push((g, *weight)),
                    None => missing.push(name.clone()),
                }
            }
            if genes.is_empty() {
                return Err(value_err(format!(
                    "none of the {} signature genes is a gene of the expression matrix; check \
                     that they use the same gene identifiers",
                    missing.len()
                )));
            }
            if !missing.is_empty() {
                warnings.push(format!(
                    "{} signature gene(s) are not (varying) genes of the expression matrix and \
                     are ignored ({})",
                    missing.len(),
                    first_few(&missing)
                ));
            }
            let signature = Signature::new(genes).map_err(|e| py_err(&e))?;
            let candidates: Vec<usize> = match &candidates {
                Some(names) => {
                    let mut found = Vec::new();
                    let mut absent = Vec::new();
                    for n in names {
                        match model.gene_index(n) {
                            Some(g) => found.push(g),
                            None => absent.push(n.clone()),
                        }
                    }
                    if found.is_empty() {
                        return Err(value_err(format!(
                            "none of the {} candidates is a gene of the expression matrix \
                             (first: {})",
                            names.len(),
                            first_few(names)
                        )));
                    }
                    if !absent.is_empty() {
                        warnings.push(format!(
                            "{} candidate(s) are not (varying) genes of the expression matrix \
                             and are skipped ({})",
                            absent.len(),
                            first_few(&absent)
                        ));
                    }
                    found
                }
                None => {
                    let regulating = model.regulating_genes();
                    match &regs {
                        Regulators::All => regulating,
                        Regulators::Only(tfs) => tfs
                            .iter()
                            .copied()
                            .filter(|g| regulating.binary_search(g).is_ok())
                            .collect(),
                    }
                }
            };
            if candidates.is_empty() {
                return Err(value_err(
                    "no candidate to screen: no gene has a target in the network model",
                ));
            }
            let predictor = predictor(matrix, &model, &options, &propagation, &mut warnings)?;
            let hits = grn::perturb::screen(
                &predictor,
                &signature,
                &candidates,
                &screen_params,
                progress.as_ref(),
            )
            .map_err(|e| py_err(&e))?;
            let names = model.genes();
            let rows = hits
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    let top: Vec<String> = h
                        .top
                        .iter()
                        .map(|&(g, z)| format!("{}:{z:+.3}", names[g]))
                        .collect();
                    (
                        i + 1,
                        h.perturbation.label(names),
                        h.score,
                        h.wanted,
                        h.against,
                        h.synergy,
                        (!top.is_empty()).then(|| top.join(",")),
                    )
                })
                .collect();
            Ok((rows, warnings))
        })
    })?
}

/// Reads a gene list file as `--tfs` and `--candidates` do.
#[pyfunction]
fn read_gene_list(py: Python<'_>, path: PathBuf) -> PyResult<Vec<String>> {
    py.detach(|| expression::read_gene_list(&path))
        .map_err(|e| py_err(&e))
}

/// Formats floats as the CLI writes them (Rust's shortest round-trip decimal,
/// `NA` for NaN, which stands for a missing value in our tables).
#[pyfunction]
fn format_floats(values: PyReadonlyArray1<'_, f64>) -> Vec<String> {
    values
        .as_array()
        .iter()
        .map(|v| {
            if v.is_nan() {
                "NA".to_string()
            } else {
                v.to_string()
            }
        })
        .collect()
}

/// Method names in the CLI's order.
fn method_names() -> Vec<&'static str> {
    SingleMethod::ALL
        .iter()
        .map(|m| m.name())
        .chain([Method::consensus().name()])
        .collect()
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Expression>()?;
    m.add_function(wrap_pyfunction!(infer, m)?)?;
    m.add_function(wrap_pyfunction!(infer_shard, m)?)?;
    m.add_function(wrap_pyfunction!(merge_shards, m)?)?;
    m.add_function(wrap_pyfunction!(perturb, m)?)?;
    m.add_function(wrap_pyfunction!(screen, m)?)?;
    m.add_function(wrap_pyfunction!(read_gene_list, m)?)?;
    m.add_function(wrap_pyfunction!(format_floats, m)?)?;
    m.add("METHODS", method_names())?;
    let defaults = PyDict::new(m.py());
    defaults.set_item("per_target", ModelParams::PER_TARGET)?;
    defaults.set_item("forest_trees", ForestModelParams::TREES)?;
    defaults.set_item("max_radius", PropagationParams::MAX_RADIUS)?;
    defaults.set_item("pair_top", ScreenParams::PAIR_TOP)?;
    defaults.set_item("top_genes", ScreenParams::TOP_GENES)?;
    defaults.set_item("steps", PropagationParams::CELLORACLE_STEPS)?;
    defaults.set_item("spline_order", MiParams::DAUB_ORDER)?;
    defaults.set_item("ksg_k", MiParams::KRASKOV_K)?;
    m.add("DEFAULTS", defaults)?;
    m.add("VERSION", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
