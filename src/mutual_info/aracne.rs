//! ARACNe: an MI threshold from a permutation null, then the data processing
//! inequality (DPI) on every triangle (Margolin et al. 2006, BMC Bioinformatics
//! 7(Suppl 1):S7), optionally over bootstraps with the ARACNe-AP consensus (Lachmann
//! et al. 2016, Bioinformatics 32(14):2233).
//!
//! - Threshold: the MI of [`AracneParams::null_pairs`] pairs of genes whose samples
//!   were independently permuted gives the null distribution; its upper tail (the top
//!   [`AracneParams::TAIL_FRACTION`]) is fitted by an exponential, ln P(MI > t) =
//!   a - b t (least squares on the empirical survival), and the threshold is where
//!   that fit reaches `pvalue` (the empirical quantile when `pvalue` is inside the
//!   sampled range). Pairs with MI at or below it are dropped.
//! - DPI: edge (i, j) is removed when a third gene k has
//!   MI(i, j) < min(MI(i, k), MI(k, j)) (1 - eps) among the kept edges; removals are
//!   decided on the thresholded network as a whole, not one after another. With a
//!   regulator list, k ranges over regulators (only their MI with every gene is
//!   known), as in ARACNe-AP.
//! - Bootstraps: each resamples the samples with replacement (seeded by its index),
//!   recomputes MI, thresholds at the original data's threshold and applies DPI. An
//!   edge is kept when the number of bootstraps that kept it is significant under a
//!   Poisson null whose mean is the average edge density (Bonferroni-corrected over
//!   all candidate pairs at [`AracneParams::CONSENSUS_ALPHA`]); its score is its mean
//!   MI over those bootstraps, as ARACNe-AP reports.
//!
//! Cost: the MI matrix, plus for DPI O(sum over kept edges of the smaller regulator
//! neighbourhood of its ends), which is small once the threshold has removed most
//! pairs and O(r^2 g) without a threshold (`pvalue` 1).
//!
//! ```
//! use grn::mutual_info::aracne::dpi;
//! use grn::mutual_info::PairMatrix;
//! // A chain 0 - 1 - 2: the indirect pair 0 - 2 has the smallest MI of the triangle.
//! let mut mi = PairMatrix::zeros(vec![0, 1, 2], 3);
//! for (i, j, v) in [(0, 1, 0.9f32), (1, 2, 0.8), (0, 2, 0.5)] {
//!     mi.values_mut()[[i, j]] = v;
//!     mi.values_mut()[[j, i]] = v;
//! }
//! let kept = dpi(mi, 0.0, 0.0);
//! assert_eq!(kept.get(0, 2), 0.0);
//! assert_eq!(kept.get(0, 1), 0.9);
//! ```

use ndarray::{Array2, ArrayView2, Axis};
use rand::Rng;
use rand::seq::SliceRandom;
use rayon::prelude::*;
use statrs::distribution::{DiscreteCDF, Poisson};

use super::{MiError, MiParams, PairMatrix, mi_matrix};
use crate::{Progress, random};

/// Settings of ARACNe.
#[derive(Debug, Clone, PartialEq)]
pub struct AracneParams {
    /// DPI tolerance: an edge survives a triangle when its MI is at least
    /// (1 - eps) times the triangle's other two (Margolin et al. 2006; default 0,
    /// the strict inequality, as ARACNe-AP).
    pub dpi_eps: f64,
    /// P-value of the MI threshold (default 1e-8, ARACNe-AP's documented setting: a
    /// Bonferroni-style correction of 0.05 over millions of candidate pairs). 1 keeps
    /// every pair with positive MI.
    pub pvalue: f64,
    /// Bootstraps (0: one run on the data itself; ARACNe-AP's protocol uses 100).
    pub bootstraps: usize,
    /// Permuted pairs sampled for the null distribution (default 100,000, so that
    /// its fitted tail holds 1,000 values).
    pub null_pairs: usize,
}

impl AracneParams {
    /// Share of the null sample whose tail is fitted (the top 1%).
    pub const TAIL_FRACTION: f64 = 0.01;
    /// Family-wise level of the bootstrap consensus (ARACNe-AP: 0.05, Bonferroni).
    pub const CONSENSUS_ALPHA: f64 = 0.05;

    /// ARACNe-AP's defaults (Lachmann et al. 2016).
    pub fn lachmann2016() -> Self {
        AracneParams {
            dpi_eps: 0.0,
            pvalue: 1e-8,
            bootstraps: 0,
            null_pairs: 100_000,
        }
    }

    /// Checks the ranges.
    pub fn validate(&self) -> Result<(), MiError> {
        if !(0.0..1.0).contains(&self.dpi_eps) {
            return Err(MiError::Param(format!(
                "`dpi_eps` must be in [0, 1), got {}",
                self.dpi_eps
            )));
        }
        if !(self.pvalue > 0.0 && self.pvalue <= 1.0) {
            return Err(MiError::Param(format!(
                "`pvalue` must be in (0, 1], got {}",
                self.pvalue
            )));
        }
        if self.null_pairs < 100 {
            return Err(MiError::Param(format!(
                "the null needs at least 100 pairs, got {}",
                self.null_pairs
            )));
        }
        Ok(())
    }
}

impl Default for AracneParams {
    fn default() -> Self {
        Self::lachmann2016()
    }
}

/// ARACNe network scores (kept edges carry their MI, or mean MI over bootstraps;
/// removed pairs 0). `values` is genes x samples.
pub fn aracne(
    values: ArrayView2<'_, f32>,
    regs: &[usize],
    mi_params: &MiParams,
    params: &AracneParams,
    seed: u64,
    progress: &dyn Progress,
) -> Result<PairMatrix, MiError> {
    params.validate()?;
    aracne_checked(values, regs, mi_params, params, seed, progress)
}

/// [`aracne`] for settings already checked.
pub(crate) fn aracne_checked(
    values: ArrayView2<'_, f32>,
    regs: &[usize],
    mi_params: &MiParams,
    params: &AracneParams,
    seed: u64,
    progress: &dyn Progress,
) -> Result<PairMatrix, MiError> {
    let threshold = mi_threshold(values, mi_params, params, seed)?;
    if params.bootstraps == 0 {
        let mi = mi_matrix(values, regs, mi_params, seed, progress)?;
        return Ok(dpi(mi, threshold, params.dpi_eps));
    }
    let (n_genes, n) = values.dim();
    let mut count = Array2::<u32>::zeros((regs.len(), n_genes));
    let mut sum = Array2::<f32>::zeros((regs.len(), n_genes));
    let mut total_edges = 0u64;
    progress.start("bootstraps", params.bootstraps as u64);
    for b in 0..params.bootstraps {
        let mut rng = random::stream(seed ^ BOOTSTRAP_DOMAIN, b as u64);
        let picks: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
        let resampled = values
            .select(Axis(1), &picks)
            .as_standard_layout()
            .into_owned();
        let mi = mi_matrix(resampled.view(), regs, mi_params, seed, &crate::Quiet)?;
        let kept = dpi(mi, threshold, params.dpi_eps);
        ndarray::Zip::from(&mut count)
            .and(&mut sum)
            .and(kept.values())
            .for_each(|c, s, &v| {
                if v > 0.0 {
                    *c += 1;
                    *s += v;
                    total_edges += 1;
                }
            });
        progress.advance(1);
    }
    let candidates = regs.len() * n_genes - regs.len();
    let min_count = consensus_min_count(total_edges, params.bootstraps, candidates);
    let mut out = PairMatrix::zeros(regs.to_vec(), n_genes);
    ndarray::Zip::from(out.values_mut())
        .and(&count)
        .and(&sum)
        .for_each(|o, &c, &s| {
            if c > 0 && c >= min_count {
                *o = s / c as f32;
            }
        });
    Ok(out)
}

/// Separates the bootstrap streams from the null's under the same user seed.
const BOOTSTRAP_DOMAIN: u64 = 0xB007_57A9;
const NULL_DOMAIN: u64 = 0x0000_AB1E;

/// Smallest number of appearances, over `bootstraps` runs that kept `total_edges`
/// edges out of `candidates` pairs each, that a Poisson null makes significant.
fn consensus_min_count(total_edges: u64, bootstraps: usize, candidates: usize) -> u32 {
    let mean = total_edges as f64 / candidates.max(1) as f64;
    if mean <= 0.0 {
        return u32::MAX;
    }
    let alpha = AracneParams::CONSENSUS_ALPHA / candidates.max(1) as f64;
    let poisson = Poisson::new(mean).expect("positive mean");
    (1..=bootstraps as u64)
        // P(X >= c) = sf(c - 1).
        .find(|&c| poisson.sf(c - 1) < alpha)
        .map_or(u32::MAX, |c| c as u32)
}

/// The MI above which a pair is significant at `params.pvalue` (0 for pvalue 1).
pub fn mi_threshold(
    values: ArrayView2<'_, f32>,
    mi_params: &MiParams,
    params: &AracneParams,
    seed: u64,
) -> Result<f64, MiError> {
    if params.pvalue >= 1.0 {
        return Ok(0.0);
    }
    let (n_genes, n) = values.dim();
    // g genes give g (g - 1) / 2 pairs; each null gene is a random gene, permuted.
    let g = ((1.0 + (1.0 + 8.0 * params.null_pairs as f64).sqrt()) / 2.0).ceil() as usize;
    let mut null = Array2::<f32>::zeros((g, n));
    null.as_slice_mut()
        .expect("standard layout")
        .par_chunks_mut(n)
        .enumerate()
        .for_each(|(i, row)| {
            let mut rng = random::stream(seed ^ NULL_DOMAIN, i as u64);
            let source = rng.random_range(0..n_genes);
            let mut perm: Vec<usize> = (0..n).collect();
            perm.shuffle(&mut rng);
            for (s, &p) in perm.iter().enumerate() {
                row[s] = values[[source, p]];
            }
        });
    let all: Vec<usize> = (0..g).collect();
    let mi = mi_matrix(null.view(), &all, mi_params, seed, &crate::Quiet)?;
    let mut sample: Vec<f64> = (0..g)
        .flat_map(|i| (i + 1..g).map(move |j| (i, j)))
        .map(|(i, j)| f64::from(mi.get(i, j)))
        .collect();
    sample.sort_by(f64::total_cmp);
    Ok(tail_quantile(&sample, params.pvalue))
}

/// The value exceeded with probability `p` by the distribution of the sorted
/// `sample`: empirical inside the sample, beyond it by an exponential fitted to the
/// top [`AracneParams::TAIL_FRACTION`].
fn tail_quantile(sorted: &[f64], p: f64) -> f64 {
    let m = sorted.len();
    let tail = ((m as f64 * AracneParams::TAIL_FRACTION).ceil() as usize).clamp(2, m);
    if p * m as f64 >= tail as f64 {
        let k = ((1.0 - p) * m as f64).floor() as usize;
        return sorted[k.min(m - 1)];
    }
    // Survival of the i-th largest value: i / m. Fit ln S = a - b t.
    let points: Vec<(f64, f64)> = (1..=tail)
        .map(|i| (sorted[m - i], (i as f64 / m as f64).ln()))
        .collect();
    let k = points.len() as f64;
    let (mx, my) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), &(x, y)| (a + x / k, b + y / k));
    let (sxy, sxx) = points.iter().fold((0.0, 0.0), |(a, b), &(x, y)| {
        (a + (x - mx) * (y - my), b + (x - mx) * (x - mx))
    });
    if sxx <= 0.0 || sxy >= 0.0 {
        // A degenerate tail (all equal): nothing above it is expected under the null.
        return sorted[m - 1];
    }
    let slope = sxy / sxx;
    mx + (p.ln() - my) / slope
}

/// The data processing inequality on the pairs with MI above `threshold`: returns
/// their MI where they survive every triangle, 0 elsewhere. Works in place, with one
/// bit per pair for the decisions.
pub fn dpi(mut mi: PairMatrix, threshold: f64, eps: f64) -> PairMatrix {
    let regs = mi.regulators().to_vec();
    let n_genes = mi.n_genes();
    let keep = |v: f32| f64::from(v) > threshold;
    // For every gene, the regulators it keeps an edge with (sorted by gene index).
    let neighbours: Vec<Vec<u32>> = (0..n_genes)
        .into_par_iter()
        .map(|g| {
            regs.iter()
                .enumerate()
                .filter(|&(row, &r)| r != g && keep(mi.row(row)[g]))
                .map(|(_, &r)| r as u32)
                .collect()
        })
        .collect();
    let factor = (1.0 - eps) as f32;
    let words = n_genes.div_ceil(64);
    let removed: Vec<Vec<u64>> = regs
        .par_iter()
        .enumerate()
        .map(|(row, &r)| {
            let mut bits = vec![0u64; words];
            for g in 0..n_genes {
                let v = mi.row(row)[g];
                if g == r || !keep(v) {
                    bits[g / 64] |= 1 << (g % 64);
                    continue;
                }
                let (a, b) = (&neighbours[r], &neighbours[g]);
                let (mut i, mut j) = (0, 0);
                let mut survives = true;
                while i < a.len() && j < b.len() {
                    match a[i].cmp(&b[j]) {
                        std::cmp::Ordering::Less => i += 1,
                        std::cmp::Ordering::Greater => j += 1,
                        std::cmp::Ordering::Equal => {
                            let k = a[i] as usize;
                            let weaker = mi.get(k, r).min(mi.get(k, g));
                            if v < weaker * factor {
                                survives = false;
                                break;
                            }
                            i += 1;
                            j += 1;
                        }
                    }
                }
                if !survives {
                    bits[g / 64] |= 1 << (g % 64);
                }
            }
            bits
        })
        .collect();
    mi.values_mut()
        .as_slice_mut()
        .expect("standard layout")
        .par_chunks_mut(n_genes.max(1))
        .zip(removed.par_iter())
        .for_each(|(scores, bits)| {
            for (g, s) in scores.iter_mut().enumerate() {
                if bits[g / 64] >> (g % 64) & 1 == 1 {
                    *s = 0.0;
                }
            }
        });
    mi
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mutual_info::Estimator;
    use crate::mutual_info::testing::bivariate;

    fn symmetric(n: usize, regs: Vec<usize>, pairs: &[(usize, usize, f32)]) -> PairMatrix {
        let mut m = PairMatrix::zeros(regs, n);
        for &(i, j, v) in pairs {
            if let Some(r) = m.row_of(i) {
                m.values_mut()[[r, j]] = v;
            }
            if let Some(r) = m.row_of(j) {
                m.values_mut()[[r, i]] = v;
            }
        }
        m
    }

    #[test]
    fn dpi_removes_weakest_edge_of_each_triangle_and_respects_tolerance() {
        let pairs = [(0, 1, 0.9f32), (1, 2, 0.8), (0, 2, 0.7), (2, 3, 0.3)];
        let m = symmetric(4, vec![0, 1, 2, 3], &pairs);
        let k = dpi(m.clone(), 0.0, 0.0);
        assert_eq!(k.get(0, 2), 0.0);
        assert_eq!(k.get(2, 0), 0.0);
        assert_eq!((k.get(0, 1), k.get(1, 2), k.get(3, 2)), (0.9, 0.8, 0.3));
        // 0.7 >= 0.8 * (1 - 0.15): tolerated.
        assert_eq!(dpi(m.clone(), 0.0, 0.15).get(0, 2), 0.7);
        // The threshold removes 2 - 3, and the triangle no longer needs checking
        // once 1 - 2 is below it.
        let t = dpi(m.clone(), 0.75, 0.0);
        assert_eq!((t.get(2, 3), t.get(0, 2)), (0.0, 0.0));
        let t = dpi(m, 0.85, 0.0);
        assert_eq!((t.get(0, 1), t.get(1, 2)), (0.9, 0.0));
    }

    #[test]
    fn dpi_with_tfs_uses_only_regulators_as_third_genes() {
        // Regulators 0, 1; gene 2 targeted by both; the indirect 0 -> 2 goes.
        let pairs = [(0, 1, 0.9f32), (1, 2, 0.8), (0, 2, 0.5), (2, 3, 0.99)];
        let m = symmetric(4, vec![0, 1], &pairs);
        let k = dpi(m.clone(), 0.0, 0.0);
        assert_eq!(k.get(0, 2), 0.0);
        assert_eq!(k.get(1, 2), 0.8);
        assert_eq!(k.get(1, 0), 0.9);
    }

    #[test]
    fn tail_quantile_inverts_an_exponential() {
        // Quantiles of Exp(1): P(X > t) = e^-t; -ln(1 - u) at evenly spaced u.
        let m = 100_000;
        let sample: Vec<f64> = (0..m)
            .map(|i| -(1.0 - (i as f64 + 0.5) / m as f64).ln())
            .collect();
        for p in [1e-2, 1e-4, 1e-8] {
            let t = tail_quantile(&sample, p);
            assert!((t - (-p.ln())).abs() < 0.05 * -p.ln(), "p {p}: {t}");
        }
        assert!((tail_quantile(&sample, 0.5) - 2f64.ln()).abs() < 1e-3);
    }

    #[test]
    fn threshold_controls_false_edges_on_independent_genes() {
        let rows: Vec<Vec<f32>> = (0..30).map(|s| bivariate(100, 0.0, s).0).collect();
        let values = crate::mutual_info::testing::matrix(&rows);
        let p = AracneParams {
            null_pairs: 20_000,
            ..Default::default()
        };
        let mi_params = MiParams {
            estimator: Estimator::Gaussian,
            ..Default::default()
        };
        let regs: Vec<usize> = (0..30).collect();
        let net = aracne(values.view(), &regs, &mi_params, &p, 1, &crate::Quiet).unwrap();
        assert!(net.values().iter().all(|&v| v == 0.0), "no edge at 1e-8");
        // Gaussian null: 2 n MI ~ chi^2(1), so P(MI > t) = P(chi2 > 200 t).
        let t = mi_threshold(values.view(), &mi_params, &p, 1).unwrap();
        let chi2_1e8 = 32.84; // chi^2(1) quantile at 1 - 1e-8
        assert!((t * 200.0 - chi2_1e8).abs() < 0.25 * chi2_1e8, "{t}");
    }

    #[test]
    fn bootstrap_consensus_keeps_strong_edges() {
        let (a, b) = bivariate(200, 0.95, 1);
        let (c, _) = bivariate(200, 0.0, 2);
        let (d, _) = bivariate(200, 0.0, 3);
        let values = crate::mutual_info::testing::matrix(&[a, b, c, d]);
        let p = AracneParams {
            bootstraps: 20,
            pvalue: 1e-3,
            null_pairs: 1_000,
            ..Default::default()
        };
        let mi_params = MiParams {
            estimator: Estimator::Gaussian,
            ..Default::default()
        };
        let net = aracne(
            values.view(),
            &[0, 1, 2, 3],
            &mi_params,
            &p,
            5,
            &crate::Quiet,
        )
        .unwrap();
        assert!(net.get(0, 1) > 1.0 && net.get(1, 0) == net.get(0, 1));
        assert_eq!(net.get(2, 3), 0.0);
        assert_eq!(consensus_min_count(0, 10, 100), u32::MAX);
        // Density 0.5 per bootstrap over 10 bootstraps: mean 5; 10 of 10 is not
        // significant at 0.05/100 (P = 0.0318), so no count qualifies; density 0.01:
        // mean 0.1, P(X >= 3) = 1.5e-4 < 5e-4 while P(X >= 2) = 4.7e-3.
        assert_eq!(consensus_min_count(500, 10, 100), u32::MAX);
        assert_eq!(consensus_min_count(10, 10, 100), 3);
    }
}
