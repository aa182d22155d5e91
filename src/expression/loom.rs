//! Loom files (pySCENIC's input format), read.
//!
//! Layout, from the loom specification (<https://linnarssonlab.org/loompy/format/>):
//! `/matrix` is a dense genes x cells dataset (loompy writes it chunked and
//! gzipped), `/layers/NAME` are more matrices of the same shape, `/row_attrs/Gene`
//! names the genes and `/col_attrs/CellID` the cells; other row and column
//! attributes are per-gene and per-cell annotations (`--var-names Accession`,
//! `--obs ClusterName=T`).
//!
//! Cost: O(genes x cells). The matrix is read a window of genes at a time into the
//! gene-major store, so what is held is the dense result (4 bytes x genes x
//! selected cells) plus one window.
//!
//! ```
//! use grn::expression::{read, ReadOptions};
//! let path = std::path::Path::new("tests/data/singlecell/cells.loom");
//! let loaded = read(path, &ReadOptions::default()).unwrap();
//! assert_eq!(loaded.matrix.samples()[0], "AAAC00-1");
//! ```

use ndarray::Array2;

use super::cells;
use super::hdf5::H5;
use super::{ExpressionError, Loaded, ReadOptions};

/// Reads a loom file.
pub(crate) fn read(h5: &H5, options: &ReadOptions) -> Result<Loaded, ExpressionError> {
    if options.use_raw {
        return Err(h5.err(
            "/",
            "loom files keep no raw matrix; `use_raw` applies to .h5ad",
        ));
    }
    let matrix = match &options.layer {
        Some(l) => format!("layers/{l}"),
        None => "matrix".to_string(),
    };
    if h5.kind(&matrix)?.is_none() {
        return Err(h5.err(&matrix, "does not exist"));
    }
    let attr = |group: &str, name: &str| {
        let path = format!("{group}/{name}");
        if h5.kind(&path)?.is_none() {
            let have = h5.members(group).unwrap_or_default();
            return Err(h5.err(
                group,
                format!(
                    "has no attribute {name:?} (attributes: {})",
                    have.join(", ")
                ),
            ));
        }
        h5.strings(&path)
    };
    let genes = attr("row_attrs", options.var_names.as_deref().unwrap_or("Gene"))?;
    let cell_names = attr("col_attrs", "CellID")?;
    let shape = h5.shape(&matrix)?;
    let (n_genes, n_cells) = (genes.len(), cell_names.len());
    if shape != [n_genes as u64, n_cells as u64] {
        return Err(h5.err(
            &matrix,
            format!(
                "has shape {shape:?}, expected [{n_genes}, {n_cells}] (genes in row_attrs, \
                 cells in col_attrs)"
            ),
        ));
    }
    let mut warnings = Vec::new();
    let obs = |column: &str| attr("col_attrs", column);
    let selection = cells::select_cells(h5.path(), cell_names, options, &obs, &mut warnings)?;
    let window = (4 << 20) / n_cells.max(1) + 1;
    let mut values = Array2::<f32>::zeros((n_genes, selection.len()));
    let mut start = 0;
    while start < n_genes {
        let count = window.min(n_genes - start);
        let block = h5.float_rows(&matrix, start as u64, count as u64)?;
        for (i, row) in block.chunks_exact(n_cells.max(1)).enumerate() {
            let mut out = values.row_mut(start + i);
            for (c, &v) in row.iter().enumerate() {
                if let Some(col) = selection.column[c] {
                    out[col] = v;
                }
            }
        }
        start += count;
    }
    let (values, kept) = cells::filter_dense(values, options.min_cells);
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
