//! Count normalisation on reading: scaling every sample to one total and/or
//! `ln(1 + x)` (Seurat's `LogNormalize`, Scanpy's `normalize_total` + `log1p`).

use rayon::prelude::*;

use super::ExpressionMatrix;

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

impl ExpressionMatrix {
    /// Applies a [`Normalization`] in place. Scaling and logs need counts: a negative
    /// value, or a sample whose values sum to 0 when scaling, is an error naming it.
    pub(super) fn normalize(&mut self, how: Normalization) -> Result<(), String> {
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
        let n = self.n_samples();
        self.values
            .as_slice_mut()
            .expect("gene-major layout")
            .par_chunks_mut(n.max(1))
            .for_each(|gene| {
                for (v, f) in gene.iter_mut().zip(&factor) {
                    let x = *v as f64 * f;
                    *v = if log { x.ln_1p() } else { x } as f32;
                }
            });
        Ok(())
    }
}
