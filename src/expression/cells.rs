//! What the single-cell readers share: choosing cells, dropping genes seen in too
//! few cells, building the gene-major matrix from sparse entries, and making gene
//! names unique the way scanpy does.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use ndarray::Array2;

use crate::named::first_few;

use super::{ExpressionError, ExpressionMatrix, Loaded, MIN_SAMPLES, ReadOptions};

/// Which cells of a file are read, in file order.
pub(crate) struct Selection {
    /// For each cell of the file, its column in the matrix read, or `None`.
    pub column: Vec<Option<usize>>,
    /// Names of the cells read.
    pub names: Vec<String>,
}

impl Selection {
    /// Every cell.
    fn all(names: Vec<String>) -> Self {
        Selection {
            column: (0..names.len()).map(Some).collect(),
            names,
        }
    }

    fn keep(names: &[String], keep: impl Fn(usize) -> bool) -> Self {
        let mut column = Vec::with_capacity(names.len());
        let mut kept = Vec::new();
        for (i, n) in names.iter().enumerate() {
            if keep(i) {
                column.push(Some(kept.len()));
                kept.push(n.clone());
            } else {
                column.push(None);
            }
        }
        Selection {
            column,
            names: kept,
        }
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }
}

/// Chooses the cells `options` asks for. `obs_column` fetches an annotation column
/// by name, one value per cell, for `--obs COLUMN=VALUE`; readers of formats without
/// annotations pass a function that explains that.
pub(crate) fn select_cells(
    path: &Path,
    names: Vec<String>,
    options: &ReadOptions,
    obs_column: &dyn Fn(&str) -> Result<Vec<String>, ExpressionError>,
    warnings: &mut Vec<String>,
) -> Result<Selection, ExpressionError> {
    let mut wanted: Option<Vec<bool>> = None;
    if let Some(list) = &options.cells {
        let listed: HashSet<&str> = list.iter().map(String::as_str).collect();
        let present: HashSet<&str> = names.iter().map(String::as_str).collect();
        let missing: Vec<String> = list
            .iter()
            .filter(|c| !present.contains(c.as_str()))
            .cloned()
            .collect();
        if missing.len() == list.len() {
            return Err(ExpressionError::at(
                path,
                None,
                None,
                format!(
                    "none of the {} listed cells is a cell of this file (first listed: \
                     {}; first in the file: {}); check that the list holds the file's \
                     cell barcodes",
                    list.len(),
                    list.iter().take(3).cloned().collect::<Vec<_>>().join(", "),
                    names.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        if !missing.is_empty() {
            warnings.push(format!(
                "{} of {} listed cells are not in {} and are ignored ({})",
                missing.len(),
                list.len(),
                path.display(),
                first_few(&missing)
            ));
        }
        wanted = Some(names.iter().map(|n| listed.contains(n.as_str())).collect());
    }
    if let Some(filter) = &options.obs {
        let values = obs_column(&filter.column)?;
        if values.len() != names.len() {
            return Err(ExpressionError::at(
                path,
                None,
                None,
                format!(
                    "annotation column {:?} has {} values for {} cells",
                    filter.column,
                    values.len(),
                    names.len()
                ),
            ));
        }
        if !values.contains(&filter.value) {
            let mut seen: Vec<String> = values
                .iter()
                .cloned()
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            seen.sort();
            return Err(ExpressionError::at(
                path,
                None,
                None,
                format!(
                    "no cell has {}={:?}; the values of {:?} are: {}",
                    filter.column,
                    filter.value,
                    filter.column,
                    first_few(&seen)
                ),
            ));
        }
        let matches = values.iter().map(|v| *v == filter.value);
        wanted = Some(match wanted {
            None => matches.collect(),
            Some(w) => w.into_iter().zip(matches).map(|(a, b)| a && b).collect(),
        });
    }
    Ok(match wanted {
        None => Selection::all(names),
        Some(w) => Selection::keep(&names, |i| w[i]),
    })
}

/// Calls its argument with `(gene, cell, value)` for every stored entry.
pub(crate) type Entries<'a> = &'a dyn Fn(&mut dyn FnMut(usize, usize, f32));

/// Builds the genes x selected-cells matrix from sparse entries, keeping only the
/// genes detected (non-zero) in at least `min_cells` selected cells.
///
/// `entries` is called twice (count, then fill) and must call its argument with
/// `(gene, cell, value)` for every stored entry, indices already checked in range.
/// Repeated entries add up, as scipy sums duplicates of a COO matrix. Memory is
/// 4 bytes x kept genes x selected cells.
pub(crate) fn assemble_sparse(
    n_genes: usize,
    cells: &Selection,
    min_cells: usize,
    entries: Entries<'_>,
) -> (Array2<f32>, Vec<usize>) {
    let mut detected = vec![0usize; n_genes];
    entries(&mut |g, c, v| {
        if v != 0.0 && cells.column[c].is_some() {
            detected[g] += 1;
        }
    });
    let kept: Vec<usize> = (0..n_genes).filter(|&g| detected[g] >= min_cells).collect();
    let mut row = vec![usize::MAX; n_genes];
    for (r, &g) in kept.iter().enumerate() {
        row[g] = r;
    }
    let mut values = Array2::<f32>::zeros((kept.len(), cells.len()));
    entries(&mut |g, c, v| {
        if let (r, Some(col)) = (row[g], cells.column[c])
            && r != usize::MAX
        {
            values[[r, col]] += v;
        }
    });
    (values, kept)
}

/// Keeps the genes (rows) of a dense genes x cells matrix detected in at least
/// `min_cells` cells.
pub(crate) fn filter_dense(values: Array2<f32>, min_cells: usize) -> (Array2<f32>, Vec<usize>) {
    let kept: Vec<usize> = values
        .rows()
        .into_iter()
        .enumerate()
        .filter(|(_, r)| r.iter().filter(|&&v| v != 0.0).count() >= min_cells)
        .map(|(g, _)| g)
        .collect();
    if kept.len() == values.nrows() {
        return (values, kept);
    }
    let mut keep = vec![false; values.nrows()];
    for &g in &kept {
        keep[g] = true;
    }
    (super::matrix::keep_rows(values, &keep), kept)
}

/// Makes names unique as anndata's `var_names_make_unique` does: the second
/// occurrence of `X` becomes `X-1`, the third `X-2`, skipping suffixes that are
/// already names. Returns a warning when anything was renamed.
pub(crate) fn make_unique(names: &mut [String], path: &Path) -> Option<String> {
    let mut seen: HashSet<String> = HashSet::with_capacity(names.len());
    let duplicated: Vec<bool> = names.iter().map(|n| !seen.insert(n.clone())).collect();
    if !duplicated.contains(&true) {
        return None;
    }
    let mut counter: HashMap<String, usize> = HashMap::new();
    let mut renamed = Vec::new();
    for (name, dup) in names.iter_mut().zip(duplicated) {
        if !dup {
            continue;
        }
        let n = counter.entry(name.clone()).or_insert(0);
        loop {
            *n += 1;
            let candidate = format!("{name}-{n}");
            if seen.insert(candidate.clone()) {
                renamed.push(format!("{name} -> {candidate}"));
                *name = candidate;
                break;
            }
        }
    }
    Some(format!(
        "{}: {} duplicated gene name(s) made unique the way scanpy's \
         var_names_make_unique does ({})",
        path.display(),
        renamed.len(),
        first_few(&renamed)
    ))
}

/// The end of every single-cell read: checks the size, builds the matrix,
/// normalises and drops constant genes, as the text reader does.
pub(crate) fn finish(
    path: &Path,
    mut genes: Vec<String>,
    kept: &[usize],
    cells: Selection,
    values: Array2<f32>,
    options: &ReadOptions,
    mut warnings: Vec<String>,
) -> Result<Loaded, ExpressionError> {
    let at = |m: String| ExpressionError::at(path, None, None, m);
    if let Some(i) = genes.iter().position(String::is_empty) {
        return Err(at(format!(
            "gene {} has an empty name; choose another `var_names` column",
            i + 1
        )));
    }
    warnings.extend(make_unique(&mut genes, path));
    let dropped_rare = genes.len() - kept.len();
    if dropped_rare > 0 {
        warnings.push(format!(
            "dropped {dropped_rare} gene(s) detected in fewer than {} cells (`min_cells`)",
            options.min_cells
        ));
    }
    let genes: Vec<String> = kept.iter().map(|&g| genes[g].clone()).collect();
    if cells.len() < MIN_SAMPLES {
        return Err(at(format!(
            "only {} cell(s) selected; at least {MIN_SAMPLES} are needed to score \
             regulators",
            cells.len()
        )));
    }
    let matrix = ExpressionMatrix::new(genes, cells.names, values).map_err(&at)?;
    super::finish(matrix, options.normalize, warnings, at)
}

/// Checks a compressed sparse matrix (CSR or CSC) and calls `f(major, minor, value)`
/// for each entry. `what` names the group for messages.
pub(crate) struct Compressed {
    pub data: Vec<f32>,
    pub indices: Vec<i64>,
    pub indptr: Vec<i64>,
}

impl Compressed {
    /// Validates the arrays against `(n_major, n_minor)`; the message names the
    /// dataset at fault.
    pub fn check(&self, n_major: usize, n_minor: usize) -> Result<(), (String, String)> {
        if self.indptr.len() != n_major + 1 {
            return Err((
                "indptr".into(),
                format!(
                    "has {} entries, expected {} (one more than the {n_major} rows or \
                     columns of the compressed axis)",
                    self.indptr.len(),
                    n_major + 1
                ),
            ));
        }
        if self.data.len() != self.indices.len() {
            return Err((
                "indices".into(),
                format!(
                    "has {} entries but data has {}",
                    self.indices.len(),
                    self.data.len()
                ),
            ));
        }
        if self.indptr[0] != 0
            || self.indptr.windows(2).any(|w| w[1] < w[0])
            || *self.indptr.last().expect("n_major + 1 >= 1") != self.data.len() as i64
        {
            return Err((
                "indptr".into(),
                format!(
                    "is not a valid pointer array: it must start at 0, never decrease \
                     and end at the {} stored entries",
                    self.data.len()
                ),
            ));
        }
        if let Some((k, &i)) = self
            .indices
            .iter()
            .enumerate()
            .find(|(_, i)| **i < 0 || **i as u64 >= n_minor as u64)
        {
            return Err((
                "indices".into(),
                format!("entry {k} is {i}, outside 0..{n_minor}"),
            ));
        }
        Ok(())
    }

    /// Calls `f(major, minor, value)` for every entry (after [`Compressed::check`]).
    pub fn for_each(&self, f: &mut dyn FnMut(usize, usize, f32)) {
        for (major, w) in self.indptr.windows(2).enumerate() {
            for k in w[0] as usize..w[1] as usize {
                f(major, self.indices[k] as usize, self.data[k]);
            }
        }
    }
}
