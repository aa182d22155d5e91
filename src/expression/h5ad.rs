//! AnnData `.h5ad` files (scanpy's format), read and written.
//!
//! Layout, from the anndata on-disk specification
//! (<https://anndata.readthedocs.io/en/latest/fileformat-prose.html>): `X` is cells
//! x genes, either a 2-d dataset (`encoding-type` `array`) or a group
//! (`csr_matrix`: `indptr` over cells, `indices` are genes; `csc_matrix`: `indptr`
//! over genes, `indices` are cells) with `data`, `indices`, `indptr` and a `shape`
//! attribute. `layers/NAME` are matrices of the same shape; `raw/X` with its own
//! `raw/var` keeps the unfiltered genes. `var` and `obs` are data frames: groups
//! whose `_index` attribute names the index column, each column a string array, a
//! numeric array or a `categorical` group (`categories` + integer `codes`, -1 for
//! missing). Files from anndata < 0.7 (such as scanpy's bundled PBMC 68k) are read
//! too: `obs`/`var` as compound datasets with an `index` field, categories under
//! `uns/COLUMN_categories`, sparse groups tagged `h5sparse_format`, `raw.X` and
//! `raw.var`.
//!
//! Cost: O(stored entries) time. A sparse `X` is held as its arrays (12 bytes per
//! stored entry: `f32` data, `i64` indices) while the dense genes x cells `f32`
//! matrix (4 bytes x kept genes x selected cells) is filled; a dense `X` is read a
//! window of cells at a time, so only the dense result is held whole.
//!
//! ```
//! use grn::expression::{read, ReadOptions};
//! let path = std::path::Path::new("tests/data/singlecell/csr.h5ad");
//! let loaded = read(path, &ReadOptions::default()).unwrap();
//! assert_eq!(loaded.matrix.samples().len(), 9); // cells
//! assert_eq!(loaded.matrix.genes()[0], "ENSG00000");
//! ```

use std::path::Path;

use ndarray::Array2;

use super::cells::{self, Compressed, Selection};
use super::hdf5::{CompoundColumn, H5, Kind};
use super::{ExpressionError, Loaded, ReadOptions};

/// Reads an `.h5ad` file.
pub(crate) fn read(h5: &H5, options: &ReadOptions) -> Result<Loaded, ExpressionError> {
    let mut warnings = Vec::new();
    let (x, var) = match (&options.layer, options.use_raw) {
        (Some(_), true) => {
            return Err(h5.err(
                "/",
                "`layer` and `use_raw` both choose the matrix; give one",
            ));
        }
        (Some(layer), false) => {
            let name = format!("layers/{layer}");
            if h5.kind(&name)?.is_none() {
                let have = if h5.kind("layers")? == Some(Kind::Group) {
                    h5.members("layers")?
                } else {
                    Vec::new()
                };
                return Err(h5.err(
                    &name,
                    format!(
                        "no layer {layer:?} in this file (layers: {})",
                        if have.is_empty() {
                            "none".to_string()
                        } else {
                            have.join(", ")
                        }
                    ),
                ));
            }
            (name, "var".to_string())
        }
        (None, true) => {
            if h5.kind("raw/X")?.is_some() {
                ("raw/X".to_string(), "raw/var".to_string())
            } else if h5.kind("raw.X")?.is_some() {
                ("raw.X".to_string(), "raw.var".to_string())
            } else {
                return Err(h5.err("raw/X", "does not exist: this file keeps no raw counts"));
            }
        }
        (None, false) => ("X".to_string(), "var".to_string()),
    };
    let genes = frame_column(h5, &var, options.var_names.as_deref(), "var")?;
    let cell_names = frame_column(h5, "obs", None, "obs")?;
    let obs = |column: &str| frame_column(h5, "obs", Some(column), "obs");
    let selection = cells::select_cells(h5.path(), cell_names, options, &obs, &mut warnings)?;
    let (values, kept) = read_matrix(
        h5,
        &x,
        selection.column.len(),
        genes.len(),
        &selection,
        options.min_cells,
    )?;
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

/// Reads the matrix at `x` (cells x genes on disk) into genes x selected cells.
fn read_matrix(
    h5: &H5,
    x: &str,
    n_cells: usize,
    n_genes: usize,
    selection: &Selection,
    min_cells: usize,
) -> Result<(Array2<f32>, Vec<usize>), ExpressionError> {
    match h5.kind(x)? {
        None => Err(h5.err(x, "does not exist: no expression matrix")),
        Some(Kind::Dataset) => {
            let shape = h5.shape(x)?;
            if shape.len() != 2 || shape[0] as usize != n_cells || shape[1] as usize != n_genes {
                return Err(h5.err(
                    x,
                    format!(
                        "has shape {shape:?}, expected [{n_cells}, {n_genes}] (cells in obs, \
                         genes in var)"
                    ),
                ));
            }
            // A window of cells at a time (about 4 M values) bounds the transient.
            let window = (4 << 20) / n_genes.max(1) + 1;
            let mut values = Array2::<f32>::zeros((n_genes, selection.len()));
            let mut start = 0;
            while start < n_cells {
                let count = window.min(n_cells - start);
                let block = h5.float_rows(x, start as u64, count as u64)?;
                for (i, row) in block.chunks_exact(n_genes).enumerate() {
                    if let Some(col) = selection.column[start + i] {
                        for (g, &v) in row.iter().enumerate() {
                            values[[g, col]] = v;
                        }
                    }
                }
                start += count;
            }
            Ok(cells::filter_dense(values, min_cells))
        }
        Some(Kind::Group) => {
            let encoding = match h5.attr_str(x, "encoding-type")? {
                Some(e) => e,
                None => match h5.attr_str(x, "h5sparse_format")? {
                    Some(f) => format!("{f}_matrix"),
                    None => {
                        return Err(h5.err(
                            x,
                            "is a group without an encoding-type attribute; expected a \
                             sparse matrix as anndata writes it",
                        ));
                    }
                },
            };
            let cells_major = match encoding.as_str() {
                "csr_matrix" => true,
                "csc_matrix" => false,
                other => {
                    return Err(h5.err(
                        x,
                        format!("has encoding-type {other:?}; expected csr_matrix or csc_matrix"),
                    ));
                }
            };
            let shape = match h5.attr_ints(x, "shape")? {
                Some(s) => Some(s),
                None => h5.attr_ints(x, "h5sparse_shape")?,
            };
            if let Some(shape) = shape
                && shape != [n_cells as i64, n_genes as i64]
            {
                return Err(h5.err(
                    x,
                    format!(
                        "has shape {shape:?}, expected [{n_cells}, {n_genes}] (cells in obs, \
                         genes in var)"
                    ),
                ));
            }
            let m = Compressed {
                data: h5.floats(&format!("{x}/data"))?,
                indices: h5.integers(&format!("{x}/indices"))?,
                indptr: h5.integers(&format!("{x}/indptr"))?,
            };
            let (n_major, n_minor) = if cells_major {
                (n_cells, n_genes)
            } else {
                (n_genes, n_cells)
            };
            m.check(n_major, n_minor)
                .map_err(|(ds, msg)| h5.err(&format!("{x}/{ds}"), msg))?;
            let entries = |f: &mut dyn FnMut(usize, usize, f32)| {
                if cells_major {
                    m.for_each(&mut |c, g, v| f(g, c, v));
                } else {
                    m.for_each(f);
                }
            };
            Ok(cells::assemble_sparse(
                n_genes, selection, min_cells, &entries,
            ))
        }
    }
}

/// One column of the data frame `frame` (`var` or `obs`), as text: the index when
/// `column` is `None`.
fn frame_column(
    h5: &H5,
    frame: &str,
    column: Option<&str>,
    role: &str,
) -> Result<Vec<String>, ExpressionError> {
    match h5.kind(frame)? {
        None => Err(h5.err(
            frame,
            format!(
                "does not exist: the file has no {role} table ({})",
                if role == "var" {
                    "gene names"
                } else {
                    "cell names"
                }
            ),
        )),
        // anndata < 0.7: one compound record per row.
        Some(Kind::Dataset) => {
            let Some(fields) = h5.compound_fields(frame)? else {
                return Err(h5.err(frame, "is neither a data frame group nor a record dataset"));
            };
            let field = column.unwrap_or("index");
            if !fields.iter().any(|f| f == field) {
                return Err(h5.err(
                    frame,
                    format!("has no column {field:?} (columns: {})", fields.join(", ")),
                ));
            }
            match h5.compound_field(frame, field)? {
                CompoundColumn::Text(v) => Ok(v),
                CompoundColumn::Integers(codes) => {
                    let cats = format!("uns/{field}_categories");
                    if h5.kind(&cats)? == Some(Kind::Dataset) {
                        decode_categories(h5, &cats, &codes)
                    } else {
                        Ok(codes.iter().map(i64::to_string).collect())
                    }
                }
            }
        }
        Some(Kind::Group) => {
            let index = h5
                .attr_str(frame, "_index")?
                .unwrap_or_else(|| "_index".to_string());
            let name = column.unwrap_or(&index);
            let path = format!("{frame}/{name}");
            match h5.kind(&path)? {
                None => {
                    let columns: Vec<String> = h5
                        .members(frame)?
                        .into_iter()
                        .filter(|c| *c != index && !c.starts_with("__"))
                        .collect();
                    Err(h5.err(
                        frame,
                        format!(
                            "has no column {name:?} (columns: {})",
                            if columns.is_empty() {
                                "none".into()
                            } else {
                                columns.join(", ")
                            }
                        ),
                    ))
                }
                Some(Kind::Dataset) => text_column(h5, &path),
                Some(Kind::Group) => {
                    let encoding = h5.attr_str(&path, "encoding-type")?.unwrap_or_default();
                    if encoding != "categorical" {
                        return Err(h5.err(
                            &path,
                            format!(
                                "has encoding-type {encoding:?}; a name column must be \
                                 strings, numbers or categorical"
                            ),
                        ));
                    }
                    let codes = h5.integers(&format!("{path}/codes"))?;
                    decode_categories(h5, &format!("{path}/categories"), &codes)
                }
            }
        }
    }
}

/// A dataset column as text (strings as they are, numbers formatted).
fn text_column(h5: &H5, path: &str) -> Result<Vec<String>, ExpressionError> {
    match h5.strings(path) {
        Ok(v) => Ok(v),
        Err(not_strings) => match h5.integers(path) {
            Ok(v) => Ok(v.iter().map(i64::to_string).collect()),
            Err(_) => match h5.floats(path) {
                Ok(v) => Ok(v.iter().map(f32::to_string).collect()),
                Err(_) => Err(not_strings),
            },
        },
    }
}

fn decode_categories(
    h5: &H5,
    categories: &str,
    codes: &[i64],
) -> Result<Vec<String>, ExpressionError> {
    let cats = text_column(h5, categories)?;
    codes
        .iter()
        .enumerate()
        .map(|(i, &c)| match c {
            -1 => Ok(String::new()),
            c if c >= 0 && (c as usize) < cats.len() => Ok(cats[c as usize].clone()),
            c => Err(h5.err(
                categories,
                format!(
                    "code {c} of row {i} is outside the {} categories",
                    cats.len()
                ),
            )),
        })
        .collect()
}

/// Writes counts (cells x genes, one row per cell) as an `.h5ad` file with a
/// `float32` CSR `X`, as anndata >= 0.8 writes one, so scanpy and this reader open
/// it.
pub fn write_counts(
    path: &Path,
    genes: &[String],
    cells: &[String],
    rows: &[Vec<u32>],
) -> Result<(), crate::files::FileError> {
    use hdf5_pure::{AttrValue, FileBuilder};
    let mut b = FileBuilder::new();
    let enc = |t: &str, v: &str| {
        [
            ("encoding-type", AttrValue::VarLenString(t.into())),
            ("encoding-version", AttrValue::VarLenString(v.into())),
        ]
    };
    for (k, v) in enc("anndata", "0.1.0") {
        b.set_attr(k, v);
    }
    let mut data = Vec::new();
    let mut indices = Vec::new();
    let mut indptr = vec![0i64];
    for row in rows {
        for (g, &v) in row.iter().enumerate() {
            if v != 0 {
                data.push(v as f32);
                indices.push(g as i32);
            }
        }
        indptr.push(data.len() as i64);
    }
    let mut x = b.create_group("X");
    for (k, v) in enc("csr_matrix", "0.1.0") {
        x.set_attr(k, v);
    }
    x.set_attr(
        "shape",
        AttrValue::I64Array(vec![cells.len() as i64, genes.len() as i64]),
    );
    x.create_dataset("data").with_f32_data(&data);
    x.create_dataset("indices").with_i32_data(&indices);
    x.create_dataset("indptr").with_i64_data(&indptr);
    b.add_group(x.finish());
    for (frame, names) in [("obs", cells), ("var", genes)] {
        let mut g = b.create_group(frame);
        for (k, v) in enc("dataframe", "0.2.0") {
            g.set_attr(k, v);
        }
        g.set_attr("_index", AttrValue::VarLenString("_index".into()));
        g.set_attr("column-order", AttrValue::VarLenStringArray(Vec::new()));
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let ds = g.create_dataset("_index").with_vlen_strings(&refs);
        for (k, v) in enc("string-array", "0.2.0") {
            ds.set_attr(k, v);
        }
        b.add_group(g.finish());
    }
    for empty in ["layers", "obsm", "obsp", "varm", "varp", "uns"] {
        let mut g = b.create_group(empty);
        for (k, v) in enc("dict", "0.1.0") {
            g.set_attr(k, v);
        }
        b.add_group(g.finish());
    }
    let bytes = b
        .finish()
        .map_err(|e| crate::files::FileError::new(path, std::io::Error::other(e.to_string())))?;
    crate::files::write_atomic(path, |w| w.write_all(&bytes))
}
