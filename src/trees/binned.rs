//! [`BinnedMatrix`]: every gene quantised once into at most 256 ordered bins, shared
//! read-only by all targets' models.
//!
//! Split search then works on `u8` codes: a histogram of the node's target sums per
//! bin replaces sorting, and the codes of a 1,000-sample gene fit in one kilobyte.
//! When a gene has at most 256 distinct values each value is its own bin, so splits
//! are exactly those of a sorted-values search; otherwise bins are equal-frequency
//! (quantile) bins that never separate equal values.
//!
//! Single-cell genes are mostly zeros, so one bin (the gene's mode) holds most
//! samples. For such genes the matrix also keeps the samples outside the mode
//! ([`Rest`]), built on first use: a histogram then visits only those and gets the
//! mode's bin as the node total minus the rest, as LightGBM does for sparse
//! features (Ke et al. 2017, NeurIPS), which saves most of the work on sparse data.

use std::sync::OnceLock;

use rayon::prelude::*;

use ndarray::ArrayView2;

/// Most bins per gene (codes are `u8`).
pub const MAX_BINS: usize = 256;

/// Per-gene bin codes and the value range each bin covers.
#[derive(Debug, Clone)]
pub struct BinnedMatrix {
    n_samples: usize,
    /// Per gene (row of the matrix), its position among the binned genes, or
    /// [`NOT_BINNED`].
    slot: Vec<u32>,
    /// The binned genes, ascending.
    genes: Vec<usize>,
    /// Slot-major codes: `codes[slot * n_samples + sample]`.
    codes: Vec<u8>,
    /// Per slot, the smallest and largest value falling in each bin.
    lower: Vec<Vec<f32>>,
    upper: Vec<Vec<f32>>,
    /// Per slot, its samples outside the mode bin, when few enough (see [`Rest`]).
    rest: Vec<OnceLock<Option<Rest>>>,
}

const NOT_BINNED: u32 = u32::MAX;

/// The samples of a gene whose code is not the gene's most frequent one, kept when
/// they are at most [`MAX_REST_SHARE`] of all samples.
#[derive(Debug, Clone)]
pub(crate) struct Rest {
    /// The most frequent code (lowest on ties).
    pub mode: u8,
    /// The other samples, ascending.
    pub samples: Vec<u32>,
}

/// Largest share of samples outside the mode for which [`Rest`] is kept. A node
/// visits the rest list only when it is shorter than the node, and at most one
/// node per tree level holds more than half the samples, so a longer list would
/// pay only in the root and a chain of large children, while costing over twice
/// the memory of the codes (4 bytes per entry against 1 byte per sample).
const MAX_REST_SHARE: f64 = 0.5;

impl BinnedMatrix {
    /// Bins every row of `values` (genes x samples; cross-validation bins a
    /// subset of the columns), in parallel. O(genes x samples log samples).
    pub fn new(values: ArrayView2<'_, f32>) -> Self {
        Self::of_rows(values, &(0..values.nrows()).collect::<Vec<_>>())
    }

    /// Bins only the rows `genes` of `values` (sorted, unique): the trees split on
    /// the candidate regulators alone, so with a TF list the other genes' codes
    /// would be bytes and sorting spent on nothing. Asking for a gene's bins that
    /// were not made panics.
    pub fn of_rows(values: ArrayView2<'_, f32>, genes: &[usize]) -> Self {
        let (g, n) = values.dim();
        assert!(
            genes.windows(2).all(|w| w[0] < w[1]) && genes.last().is_none_or(|&r| r < g),
            "rows to bin must be sorted, unique and in the matrix"
        );
        let mut slot = vec![NOT_BINNED; g];
        for (k, &r) in genes.iter().enumerate() {
            slot[r] = k as u32;
        }
        // Each gene's codes go straight to their place: collecting them per gene
        // first and then concatenating would hold the codes twice at the peak.
        let mut codes = vec![0u8; genes.len() * n];
        let bin_row = |k: usize, out: &mut [u8]| {
            let row = values.row(genes[k]);
            let (c, lo, hi) = match row.as_slice() {
                Some(v) => bin_values(v),
                None => bin_values(&row.to_vec()),
            };
            out.copy_from_slice(&c);
            (lo, hi)
        };
        let bounds: Vec<(Vec<f32>, Vec<f32>)> = if n == 0 {
            (0..genes.len()).map(|k| bin_row(k, &mut [])).collect()
        } else {
            codes
                .par_chunks_mut(n)
                .enumerate()
                .map(|(k, out)| bin_row(k, out))
                .collect()
        };
        let (lower, upper): (Vec<_>, Vec<_>) = bounds.into_iter().unzip();
        BinnedMatrix {
            n_samples: n,
            rest: (0..lower.len()).map(|_| OnceLock::new()).collect(),
            slot,
            genes: genes.to_vec(),
            codes,
            lower,
            upper,
        }
    }

    /// Whether every one of `genes` is binned.
    pub fn has_rows(&self, genes: &[usize]) -> bool {
        genes
            .iter()
            .all(|&g| self.slot.get(g).is_some_and(|&s| s != NOT_BINNED))
    }

    /// The binned genes, ascending.
    pub fn rows(&self) -> &[usize] {
        &self.genes
    }

    fn slot(&self, gene: usize) -> usize {
        match self.slot.get(gene) {
            Some(&s) if s != NOT_BINNED => s as usize,
            _ => panic!("gene {gene} was not binned"),
        }
    }

    /// Number of samples.
    pub fn n_samples(&self) -> usize {
        self.n_samples
    }

    /// Number of genes (rows) of the matrix binned, binned or not.
    pub fn n_genes(&self) -> usize {
        self.slot.len()
    }

    /// One gene's bin code per sample.
    pub fn codes(&self, gene: usize) -> &[u8] {
        let s = self.slot(gene);
        &self.codes[s * self.n_samples..(s + 1) * self.n_samples]
    }

    /// Number of bins of a gene.
    pub fn n_bins(&self, gene: usize) -> usize {
        self.lower[self.slot(gene)].len()
    }

    /// Smallest value in each bin of a gene.
    pub fn lower(&self, gene: usize) -> &[f32] {
        &self.lower[self.slot(gene)]
    }

    /// Largest value in each bin of a gene.
    pub fn upper(&self, gene: usize) -> &[f32] {
        &self.upper[self.slot(gene)]
    }

    /// A gene's samples outside its mode bin, or `None` when they are more than
    /// [`MAX_REST_SHARE`] of the samples. Built on the gene's first use as a
    /// feature (O(samples)), so genes that are never candidates cost nothing.
    pub(crate) fn rest(&self, gene: usize) -> Option<&Rest> {
        self.rest[self.slot(gene)]
            .get_or_init(|| rest_of(self.codes(gene), self.n_bins(gene)))
            .as_ref()
    }
}

fn rest_of(codes: &[u8], n_bins: usize) -> Option<Rest> {
    let mut counts = [0usize; MAX_BINS];
    for &c in codes {
        counts[c as usize] += 1;
    }
    let mode = (0..n_bins).rev().max_by_key(|&c| counts[c])? as u8;
    let outside = codes.len() - counts[mode as usize];
    if outside as f64 > MAX_REST_SHARE * codes.len() as f64 {
        return None;
    }
    let samples = (0..codes.len() as u32)
        .filter(|&i| codes[i as usize] != mode)
        .collect();
    Some(Rest { mode, samples })
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
    fn a_row_subset_bins_as_the_whole_matrix_does() {
        let values = ndarray::Array2::from_shape_fn((5, 300), |(g, s)| {
            ((s * (g + 3)) % 97) as f32 / (g + 1) as f32
        });
        let all = BinnedMatrix::new(values.view());
        let some = BinnedMatrix::of_rows(values.view(), &[1, 4]);
        assert_eq!(some.n_genes(), 5);
        assert_eq!(some.rows(), &[1, 4]);
        assert!(some.has_rows(&[4, 1]) && !some.has_rows(&[1, 2]));
        for g in [1, 4] {
            assert_eq!(some.codes(g), all.codes(g));
            assert_eq!(some.lower(g), all.lower(g));
            assert_eq!(some.upper(g), all.upper(g));
        }
        let missing = std::panic::catch_unwind(|| some.codes(2).len());
        assert!(missing.is_err(), "a gene that was not binned has no codes");
    }

    #[test]
    fn rest_lists_the_samples_outside_the_mode_when_few() {
        let sparse = [0.0, 2.0, 0.0, 0.0, 1.0, 0.0, 0.0, 2.0];
        let values =
            ndarray::Array2::from_shape_fn(
                (2, 8),
                |(g, s)| {
                    if g == 0 { sparse[s] } else { s as f32 }
                },
            );
        let binned = BinnedMatrix::new(values.view());
        let rest = binned.rest(0).expect("5 of 8 samples are zero");
        assert_eq!(rest.mode, 0);
        assert_eq!(rest.samples, [1, 4, 7]);
        assert!(binned.rest(1).is_none(), "every value distinct");
    }

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
