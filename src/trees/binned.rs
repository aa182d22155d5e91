//! [`BinnedMatrix`]: every gene quantised once into at most 256 ordered bins, shared
//! read-only by all targets' models.
//!
//! Split search then works on `u8` codes: a histogram of the node's target sums per
//! bin replaces sorting, and the codes of a 1,000-sample gene fit in one kilobyte.
//! When a gene has at most 256 distinct values each value is its own bin, so splits
//! are exactly those of a sorted-values search; otherwise bins are equal-frequency
//! (quantile) bins that never separate equal values.

use rayon::prelude::*;

use ndarray::ArrayView2;

/// Most bins per gene (codes are `u8`).
pub const MAX_BINS: usize = 256;

/// Per-gene bin codes and the value range each bin covers.
#[derive(Debug, Clone)]
pub struct BinnedMatrix {
    n_samples: usize,
    /// Gene-major codes: `codes[gene * n_samples + sample]`.
    codes: Vec<u8>,
    /// Per gene, the smallest and largest value falling in each bin.
    lower: Vec<Vec<f32>>,
    upper: Vec<Vec<f32>>,
}

impl BinnedMatrix {
    /// Bins every row of `values` (genes x samples; cross-validation bins a
    /// subset of the columns), in parallel. O(genes x samples log samples).
    pub fn new(values: ArrayView2<'_, f32>) -> Self {
        let n = values.ncols();
        let per_gene: Vec<(Vec<u8>, Vec<f32>, Vec<f32>)> = (0..values.nrows())
            .into_par_iter()
            .map(|g| {
                let row = values.row(g);
                match row.as_slice() {
                    Some(v) => bin_values(v),
                    None => bin_values(&row.to_vec()),
                }
            })
            .collect();
        let mut codes = Vec::with_capacity(n * per_gene.len());
        let mut lower = Vec::with_capacity(per_gene.len());
        let mut upper = Vec::with_capacity(per_gene.len());
        for (c, lo, hi) in per_gene {
            codes.extend_from_slice(&c);
            lower.push(lo);
            upper.push(hi);
        }
        BinnedMatrix {
            n_samples: n,
            codes,
            lower,
            upper,
        }
    }

    /// Number of samples.
    pub fn n_samples(&self) -> usize {
        self.n_samples
    }

    /// Number of genes.
    pub fn n_genes(&self) -> usize {
        self.lower.len()
    }

    /// One gene's bin code per sample.
    pub fn codes(&self, gene: usize) -> &[u8] {
        &self.codes[gene * self.n_samples..(gene + 1) * self.n_samples]
    }

    /// Number of bins of a gene.
    pub fn n_bins(&self, gene: usize) -> usize {
        self.lower[gene].len()
    }

    /// Smallest value in each bin of a gene.
    pub fn lower(&self, gene: usize) -> &[f32] {
        &self.lower[gene]
    }

    /// Largest value in each bin of a gene.
    pub fn upper(&self, gene: usize) -> &[f32] {
        &self.upper[gene]
    }
}

/// The value threshold equivalent to "code <= `code`" for a gene with these bin
/// ranges: halfway between the bin's largest value and the next bin's smallest, as
/// exact split searches place it.
pub(crate) fn cut_value(lower: &[f32], upper: &[f32], code: u8) -> f32 {
    let c = code as usize;
    match lower.get(c + 1) {
        Some(&next) => upper[c] + (next - upper[c]) / 2.0,
        None => f32::INFINITY,
    }
}

/// Codes and bin ranges for one gene.
fn bin_values(values: &[f32]) -> (Vec<u8>, Vec<f32>, Vec<f32>) {
    let n = values.len();
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_unstable_by(|&a, &b| values[a as usize].total_cmp(&values[b as usize]));
    let distinct = 1 + order
        .windows(2)
        .filter(|w| values[w[0] as usize] != values[w[1] as usize])
        .count();
    let mut codes = vec![0u8; n];
    let (mut lower, mut upper) = (Vec::new(), Vec::new());
    // With few distinct values every value gets its own bin; otherwise bin k starts
    // at the first value change at or after rank k * n / MAX_BINS.
    let per_bin = if distinct <= MAX_BINS {
        0.0
    } else {
        n as f64 / MAX_BINS as f64
    };
    for (rank, &s) in order.iter().enumerate() {
        let v = values[s as usize];
        let new_value = rank == 0 || v != values[order[rank - 1] as usize];
        if new_value && rank as f64 >= lower.len() as f64 * per_bin {
            lower.push(v);
            upper.push(v);
        }
        *upper.last_mut().expect("a bin was opened") = v;
        codes[s as usize] = (lower.len() - 1) as u8;
    }
    (codes, lower, upper)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_distinct_values_are_exact_bins() {
        let (codes, lo, hi) = bin_values(&[3.0, 1.0, 2.0, 1.0, 3.0]);
        assert_eq!(codes, [2, 0, 1, 0, 2]);
        assert_eq!(lo, [1.0, 2.0, 3.0]);
        assert_eq!(hi, lo);
    }

    #[test]
    fn many_values_get_equal_frequency_bins_without_splitting_ties() {
        let mut v: Vec<f32> = (0..10_000).map(|i| (i / 3) as f32).collect();
        v.reverse();
        let (codes, lo, hi) = bin_values(&v);
        assert_eq!(lo.len(), MAX_BINS);
        // Equal values share a bin, and bins are ordered.
        for i in 0..v.len() {
            for j in 0..v.len().min(i + 5) {
                if v[i] == v[j] {
                    assert_eq!(codes[i], codes[j]);
                }
                if v[i] < v[j] {
                    assert!(codes[i] <= codes[j]);
                }
            }
        }
        for b in 1..lo.len() {
            assert!(hi[b - 1] < lo[b]);
        }
        let mut counts = vec![0usize; MAX_BINS];
        for &c in &codes {
            counts[c as usize] += 1;
        }
        let (min, max) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
        assert!(*min >= 30 && *max <= 50, "{min} {max}");
    }
}
