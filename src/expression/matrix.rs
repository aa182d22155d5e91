//! The matrix type: gene and sample names over a gene-major `f32` array.

use std::collections::HashMap;

use ndarray::{Array2, ArrayView1};

/// A numeric expression matrix with gene and sample names.
///
/// Stored gene-major (`values[[gene, sample]]`, each gene's values contiguous)
/// because every method reads whole genes far more often than whole samples.
#[derive(Debug, Clone)]
pub struct ExpressionMatrix {
    pub(super) genes: Vec<String>,
    pub(super) samples: Vec<String>,
    pub(super) values: Array2<f32>,
    pub(super) index: HashMap<String, usize>,
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
        // A copy only when the layout is not gene-major already: `as_standard_layout`
        // alone would copy a standard array too, doubling the peak memory.
        let values = if values.is_standard_layout() {
            values
        } else {
            values.as_standard_layout().into_owned()
        };
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

    /// Removes genes whose values are all equal and returns their names: they carry
    /// no information and make scaled scores undefined.
    pub fn drop_constant_genes(self) -> (Self, Vec<String>) {
        let varying: Vec<bool> = self
            .values
            .rows()
            .into_iter()
            .map(|row| {
                let first = row[0];
                row.iter().any(|&v| v != first)
            })
            .collect();
        if !varying.contains(&false) {
            return (self, Vec::new());
        }
        let (kept, dropped): (Vec<_>, Vec<_>) =
            self.genes.into_iter().zip(&varying).partition(|(_, v)| **v);
        let genes = kept.into_iter().map(|(name, _)| name).collect();
        let dropped = dropped.into_iter().map(|(name, _)| name).collect();
        let values = keep_rows(self.values, &varying);
        let matrix = ExpressionMatrix::new(genes, self.samples, values)
            .expect("a subset of a valid matrix is valid");
        (matrix, dropped)
    }
}

/// The rows of `values` where `keep` is true, moved up in place: a copy of the
/// kept rows (`select`) would double the peak memory of a large input.
pub(crate) fn keep_rows(values: Array2<f32>, keep: &[bool]) -> Array2<f32> {
    let n = values.ncols();
    let values = if values.is_standard_layout() {
        values
    } else {
        values.as_standard_layout().into_owned()
    };
    let (mut data, offset) = values.into_raw_vec_and_offset();
    let start = offset.unwrap_or(0);
    let mut kept = 0;
    for (g, _) in keep.iter().enumerate().filter(|(_, k)| **k) {
        data.copy_within(start + g * n..start + (g + 1) * n, kept * n);
        kept += 1;
    }
    data.truncate(kept * n);
    data.shrink_to_fit();
    Array2::from_shape_vec((kept, n), data).expect("kept rows of n values")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Axis, Slice, array, s};

    #[test]
    fn keep_rows_keeps_the_rows_in_order_whatever_the_layout() {
        let m = array![[1.0f32, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]];
        let keep = [false, true, false, true];
        let expected = array![[3.0f32, 4.0], [7.0, 8.0]];
        assert_eq!(keep_rows(m.clone(), &keep), expected);
        // Genes in columns (a transposed, non-standard layout).
        let t = m.t().as_standard_layout().into_owned().reversed_axes();
        assert!(!t.is_standard_layout());
        assert_eq!(keep_rows(t, &keep), expected);
        // An owned array sliced in place starts at an offset into its buffer.
        let mut sliced = array![
            [0.0f32, 0.0],
            [1.0, 2.0],
            [3.0, 4.0],
            [5.0, 6.0],
            [7.0, 8.0]
        ];
        sliced.slice_axis_inplace(Axis(0), Slice::from(1..));
        assert_eq!(keep_rows(sliced, &keep), expected);
        assert_eq!(keep_rows(m.clone(), &[false; 4]).dim(), (0, 2));
        assert_eq!(keep_rows(m.slice(s![.., ..]).to_owned(), &[true; 4]), m);
    }

    #[test]
    fn constant_genes_are_dropped_by_name() {
        let values = array![
            [1.0f32, 1.0, 1.0],
            [1.0, 2.0, 3.0],
            [0.0, 0.0, 0.0],
            [3.0, 2.0, 1.0]
        ];
        let genes = ["a", "b", "c", "d"].map(String::from).to_vec();
        let samples = ["s1", "s2", "s3"].map(String::from).to_vec();
        let (m, dropped) = ExpressionMatrix::new(genes, samples, values)
            .unwrap()
            .drop_constant_genes();
        assert_eq!(dropped, ["a", "c"]);
        assert_eq!(m.genes(), ["b", "d"]);
        assert_eq!(m.gene_index("d"), Some(1));
        assert_eq!(m.values(), &array![[1.0f32, 2.0, 3.0], [3.0, 2.0, 1.0]]);
    }
}
