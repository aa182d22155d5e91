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
}
