//! Estimators of the mutual information between two genes, for one pair
//! ([`mi_pair`]) or all regulator x gene pairs at once ([`mi_matrix`]). MI is in
//! nats; a gene that is constant has MI 0 with every gene (MI <= H(X) = 0).
//!
//! - [`Estimator::Gaussian`]: -1/2 ln(1 - r^2) from the Pearson correlation r, exact
//!   for jointly normal data; all pairs as one blocked matrix product.
//! - [`Estimator::Empirical`], [`Estimator::MillerMadow`], [`Estimator::Shrink`]:
//!   plug-in entropies of equal-frequency bins (default floor(sqrt(n)) bins, as minet,
//!   Meyer et al. 2008, BMC Bioinformatics 9:461), with the Miller-Madow bias
//!   correction (+(m - 1)/(2n) per entropy, m the non-empty cells) or the
//!   James-Stein shrinkage of the cell frequencies towards uniform (Hausser &
//!   Strimmer 2009, JMLR 10:1469). Tied values share a bin. Rank-based, so
//!   invariant to monotone transforms of either gene.
//! - [`Estimator::BSpline`]: B-spline soft binning (Daub et al. 2004, BMC
//!   Bioinformatics 5:118; 10 bins of order 3, the CLR paper's estimator). Each
//!   value spreads weight over `order` neighbouring bins of its gene's min-max range;
//!   all pairs' joint tables are one blocked product of the weight matrices.
//! - [`Estimator::Ksg`]: the Kraskov-Stoegbauer-Grassberger k-nearest-neighbour
//!   estimator (algorithm 1 of Kraskov et al. 2004, Phys. Rev. E 69:066138; k = 3),
//!   max-norm neighbours found with a 2-d k-d tree. For continuous data: each gene is
//!   scaled to unit variance and, as the paper advises, jittered by noise of
//!   amplitude 1e-10 (seeded per gene) so that ties do not give zero distances.

mod bspline;
mod empirical;
mod gaussian;
mod ksg;

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

use super::{MiError, PairMatrix};
use crate::Progress;

pub(crate) use gaussian::{correlation_matrix, standardize, standardize_row};

/// How MI is estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Estimator {
    /// -1/2 ln(1 - r^2) from the Pearson correlation.
    Gaussian,
    /// Plug-in entropies of equal-frequency bins.
    Empirical,
    /// Equal-frequency bins with the Miller-Madow bias correction.
    MillerMadow,
    /// Equal-frequency bins with James-Stein shrinkage of the frequencies.
    Shrink,
    /// B-spline soft binning (Daub et al. 2004), the CLR paper's estimator.
    #[default]
    BSpline,
    /// Kraskov-Stoegbauer-Grassberger k-nearest neighbours.
    Ksg,
}

impl Estimator {
    /// Every estimator, in the order the CLI lists them.
    pub const ALL: [Estimator; 6] = [
        Estimator::Gaussian,
        Estimator::Empirical,
        Estimator::MillerMadow,
        Estimator::Shrink,
        Estimator::BSpline,
        Estimator::Ksg,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Estimator::Gaussian => "gaussian",
            Estimator::Empirical => "empirical",
            Estimator::MillerMadow => "miller-madow",
            Estimator::Shrink => "shrink",
            Estimator::BSpline => "bspline",
            Estimator::Ksg => "ksg",
        }
    }

    fn is_binned(self) -> bool {
        matches!(
            self,
            Estimator::Empirical | Estimator::MillerMadow | Estimator::Shrink
        )
    }
}

crate::named::named_enum!(Estimator, "MI estimator");

/// Settings of the MI estimators.
#[derive(Debug, Clone, PartialEq)]
pub struct MiParams {
    /// The estimator (default B-spline, the estimator of the CLR paper, Faith et al.
    /// 2007).
    pub estimator: Estimator,
    /// Number of bins: `None` takes floor(sqrt(n_samples)) for the binned estimators
    /// (minet's default) and [`MiParams::DAUB_BINS`] for B-splines.
    pub bins: Option<usize>,
    /// Order of the B-splines (Daub et al. 2004: 3).
    pub spline_order: usize,
    /// Neighbours for KSG (Kraskov et al. 2004 recommend k = 2..4; 3).
    pub ksg_k: usize,
}

impl MiParams {
    /// B-spline bins of Daub et al. 2004 and Faith et al. 2007.
    pub const DAUB_BINS: usize = 10;
    /// B-spline order of Daub et al. 2004 and Faith et al. 2007.
    pub const DAUB_ORDER: usize = 3;
    /// KSG neighbours (Kraskov et al. 2004).
    pub const KRASKOV_K: usize = 3;
    /// Largest number of bins of the binned estimators (codes are bytes).
    pub const MAX_BINS: usize = 256;

    /// The defaults: B-spline MI with 10 bins of order 3 (Daub et al. 2004).
    pub fn daub2004() -> Self {
        MiParams {
            estimator: Estimator::BSpline,
            bins: None,
            spline_order: Self::DAUB_ORDER,
            ksg_k: Self::KRASKOV_K,
        }
    }

    /// The number of bins used for `n_samples` samples.
    pub fn bins_for(&self, n_samples: usize) -> usize {
        self.bins.unwrap_or(match self.estimator {
            Estimator::BSpline => Self::DAUB_BINS,
            _ => ((n_samples as f64).sqrt().floor() as usize).clamp(2, Self::MAX_BINS),
        })
    }

    /// Checks the settings against a number of samples.
    pub fn validate(&self, n_samples: usize) -> Result<(), MiError> {
        let bad = |m: String| Err(MiError::Param(m));
        if n_samples < crate::expression::MIN_SAMPLES {
            return Err(MiError::Input(format!(
                "MI needs at least {} samples, got {n_samples}",
                crate::expression::MIN_SAMPLES
            )));
        }
        let bins = self.bins_for(n_samples);
        match self.estimator {
            e if e.is_binned() && !(2..=Self::MAX_BINS).contains(&bins) => bad(format!(
                "`bins` must be between 2 and {} for the {e} estimator, got {bins}",
                Self::MAX_BINS
            )),
            Estimator::BSpline if self.spline_order == 0 || self.spline_order > bins => {
                bad(format!(
                    "`spline_order` must be between 1 and the number of bins ({bins}), got {}",
                    self.spline_order
                ))
            }
            Estimator::BSpline if bins > Self::MAX_BINS => bad(format!(
                "`bins` must be at most {} for B-splines, got {bins}",
                Self::MAX_BINS
            )),
            Estimator::Ksg if self.ksg_k == 0 || self.ksg_k >= n_samples => bad(format!(
                "`ksg_k` must be between 1 and the number of samples minus one ({}), got {}",
                n_samples - 1,
                self.ksg_k
            )),
            _ => Ok(()),
        }
    }
}

impl Default for MiParams {
    fn default() -> Self {
        Self::daub2004()
    }
}

/// MI of every regulator (sorted, unique gene indices into the rows of `values`)
/// with every gene. `values` is genes x samples. `seed` drives KSG's jitter only.
pub fn mi_matrix(
    values: ArrayView2<'_, f32>,
    regs: &[usize],
    params: &MiParams,
    seed: u64,
    progress: &dyn Progress,
) -> Result<PairMatrix, MiError> {
    let (n_genes, n) = values.dim();
    params.validate(n)?;
    let values = values.as_standard_layout();
    let values = values.view();
    if let Some(&r) = regs.iter().find(|&&r| r >= n_genes) {
        return Err(MiError::Input(format!(
            "regulator index {r} is out of range for {n_genes} genes"
        )));
    }
    if !regs.windows(2).all(|w| w[0] < w[1]) {
        return Err(MiError::Input(
            "regulator indices must be sorted and unique".into(),
        ));
    }
    let regs = regs.to_vec();
    let bins = params.bins_for(n);
    Ok(match params.estimator {
        Estimator::Gaussian => {
            let mut m = correlation_matrix(standardize(values).view(), regs, progress);
            m.values_mut().mapv_inplace(gaussian::mi_of_correlation);
            m
        }
        e @ (Estimator::Empirical | Estimator::MillerMadow | Estimator::Shrink) => {
            empirical::mi_matrix(values, regs, bins, e, progress)
        }
        Estimator::BSpline => bspline::mi_matrix(values, regs, bins, params.spline_order, progress),
        Estimator::Ksg => ksg::mi_matrix(values, regs, params.ksg_k, seed, progress),
    })
}

/// MI of two genes' values (same length), with the same computation as
/// [`mi_matrix`].
///
/// ```
/// use grn::mutual_info::{mi_pair, Estimator, MiParams};
/// let x: Vec<f32> = (0..100).map(|i| i as f32).collect();
/// let y: Vec<f32> = x.iter().map(|v| v.sqrt()).collect();
/// let p = MiParams { estimator: Estimator::Empirical, ..Default::default() };
/// // 10 equal-frequency bins, y a monotone function of x: MI = H = ln 10.
/// assert!((mi_pair(&x, &y, &p, 0).unwrap() - 10f64.ln()).abs() < 1e-6);
/// ```
pub fn mi_pair(x: &[f32], y: &[f32], params: &MiParams, seed: u64) -> Result<f64, MiError> {
    if x.len() != y.len() {
        return Err(MiError::Input(format!(
            "the two genes have {} and {} values",
            x.len(),
            y.len()
        )));
    }
    let values = Array2::from_shape_vec((2, x.len()), [x, y].concat()).expect("sized");
    let m = mi_matrix(values.view(), &[0, 1], params, seed, &crate::Quiet)?;
    Ok(f64::from(m.get(0, 1)))
}

/// True when all of a gene's values are equal.
pub(crate) fn is_constant(x: &[f32]) -> bool {
    x.iter().all(|&v| v == x[0])
}

/// Rows per block of the tiled products: enough to amortise packing, small enough
/// for a tile to stay in cache.
const TILE_ROWS: usize = 256;
/// Columns per tile.
const TILE_COLS: usize = 2048;

/// For every pair a symmetric scorer needs (see [`PairMatrix::fill_symmetric`]),
/// the `m x m` block of `features features^T` between the regulator's and the gene's
/// rows, reduced to a score by `visit(regulator, gene, block, stride)` (the block
/// starts at `block[0]`, row `a` at `block[a * stride]`). `features` has `m` consecutive rows per gene and one
/// column per sample.
///
/// Row blocks run in parallel; each tile is one sequential `faer` product with a
/// fixed shape, so results do not depend on the number of threads.
pub(crate) fn gram_pairs(
    features: ArrayView2<'_, f32>,
    m: usize,
    regs: Vec<usize>,
    progress: &dyn Progress,
    visit: impl Fn(usize, usize, &[f32], usize) -> f32 + Sync,
) -> PairMatrix {
    let n_genes = features.nrows() / m;
    let n = features.ncols();
    let features = features.as_standard_layout();
    let feats = features.as_slice().expect("standard layout");
    let mut out = PairMatrix::zeros(regs.clone(), n_genes);
    let all_regulate = regs.len() == n_genes;
    let row_block = (TILE_ROWS / m).max(1);
    let col_block = (TILE_COLS / m).max(1);
    progress.start("pairs", regs.len() as u64);
    let is_reg: Vec<bool> = {
        let mut v = vec![false; n_genes];
        regs.iter().for_each(|&r| v[r] = true);
        v
    };
    out.values_mut()
        .as_slice_mut()
        .expect("standard layout")
        .par_chunks_mut((row_block * n_genes).max(1))
        .zip(regs.par_chunks(row_block))
        .for_each(|(rows, block_regs)| {
            let mut lhs = Vec::with_capacity(block_regs.len() * m * n);
            for &r in block_regs {
                lhs.extend_from_slice(&feats[r * m * n..(r + 1) * m * n]);
            }
            let lhs = MatRef::from_row_major_slice(&lhs, block_regs.len() * m, n);
            // With every gene a regulator, pairs left of the block are mirrored later.
            let first = if all_regulate { block_regs[0] } else { 0 };
            let mut tile = vec![0f32; block_regs.len() * m * col_block * m];
            let mut g0 = first;
            while g0 < n_genes {
                let g1 = (g0 + col_block).min(n_genes);
                let width = (g1 - g0) * m;
                let rhs = MatRef::from_row_major_slice(&feats[g0 * m * n..g1 * m * n], width, n);
                let dst = MatMut::from_row_major_slice_mut(
                    &mut tile[..block_regs.len() * m * width],
                    block_regs.len() * m,
                    width,
                );
                matmul(dst, Accum::Replace, lhs, rhs.transpose(), 1.0, Par::Seq);
                for (i, &r) in block_regs.iter().enumerate() {
                    for g in g0..g1 {
                        if g != r && !(is_reg[g] && g < r) {
                            rows[i * n_genes + g] =
                                visit(r, g, &tile[i * m * width + (g - g0) * m..], width);
                        }
                    }
                }
                g0 = g1;
            }
            progress.advance(block_regs.len() as u64);
        });
    out.mirror_regulator_pairs();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mutual_info::testing::{bivariate, gaussian_mi, matrix};

    fn params(e: Estimator) -> MiParams {
        MiParams {
            estimator: e,
            ..Default::default()
        }
    }

    #[test]
    fn names_round_trip_and_unknown_is_an_error() {
        for e in Estimator::ALL {
            assert_eq!(e.name().parse::<Estimator>().unwrap(), e);
        }
        let err = "kde".parse::<Estimator>().unwrap_err();
        assert!(err.contains("gaussian") && err.contains("ksg"), "{err}");
    }

    #[test]
    fn invalid_settings_are_rejected() {
        let mut p = params(Estimator::Empirical);
        p.bins = Some(1);
        assert!(p.validate(100).is_err());
        p.bins = Some(300);
        assert!(p.validate(100).is_err());
        let mut p = params(Estimator::BSpline);
        p.spline_order = 11;
        assert!(p.validate(100).is_err());
        let mut p = params(Estimator::Ksg);
        p.ksg_k = 10;
        assert!(p.validate(10).is_err());
        assert!(params(Estimator::Gaussian).validate(2).is_err());
        assert!(
            mi_pair(
                &[1.0, 2.0, 3.0],
                &[1.0, 2.0],
                &params(Estimator::Gaussian),
                0
            )
            .is_err()
        );
    }

    /// Every estimator, every degenerate case: constant genes give 0, identical
    /// genes give the largest MI, results are symmetric and finite.
    #[test]
    fn degenerate_inputs() {
        let n = 60;
        let x: Vec<f32> = (0..n).map(|i| ((i * 17) % 23) as f32).collect();
        let constant = vec![3.5f32; n];
        let ties: Vec<f32> = (0..n).map(|i| (i % 3) as f32).collect();
        let other: Vec<f32> = (0..n).map(|i| ((i * 7) % 11) as f32).collect();
        let values = matrix(&[x.clone(), constant, x.clone(), ties, other]);
        for e in Estimator::ALL {
            let m = mi_matrix(
                values.view(),
                &[0, 1, 2, 3, 4],
                &params(e),
                1,
                &crate::Quiet,
            )
            .unwrap();
            for i in 0..5 {
                for j in 0..5 {
                    let v = m.get(i, j);
                    assert!(v.is_finite() && v >= 0.0, "{e}: {i},{j} = {v}");
                    assert_eq!(v, m.get(j, i), "{e}: symmetric");
                }
                assert_eq!(m.get(1, i), 0.0, "{e}: constant gene");
            }
            let identical = m.get(0, 2);
            for j in [3, 4] {
                assert!(identical > m.get(0, j), "{e}: identical {identical} vs {j}");
            }
            // The tied gene still carries information about itself.
            assert!(m.get(3, 3) == 0.0 && m.get(3, 0) >= 0.0);
        }
    }

    /// Binned estimators get 10 bins in the closed-form checks: with the default
    /// sqrt(n) bins the joint table is too sparse for them to be near the truth at
    /// these sizes (see `plug_in_bias_matches_theory`).
    fn closed_form_params(e: Estimator) -> MiParams {
        MiParams {
            estimator: e,
            bins: e.is_binned().then_some(10),
            ..Default::default()
        }
    }

    #[test]
    fn independent_genes_have_near_zero_mi_and_dependence_orders() {
        let n = 2000;
        let (x, y0) = bivariate(n, 0.0, 3);
        let (_, y5) = bivariate(n, 0.5, 3);
        let (_, y9) = bivariate(n, 0.9, 3);
        for e in Estimator::ALL {
            let p = closed_form_params(e);
            let i0 = mi_pair(&x, &y0, &p, 0).unwrap();
            let i5 = mi_pair(&x, &y5, &p, 0).unwrap();
            let i9 = mi_pair(&x, &y9, &p, 0).unwrap();
            // The largest bias at independence is the plug-in's, (b - 1)^2 / (2n) = 0.02.
            assert!(i0 < 0.03, "{e}: independent {i0}");
            assert!(i0 < i5 && i5 < i9, "{e}: {i0} {i5} {i9}");
        }
    }

    /// Plug-in MI at independence is biased by about (b - 1)^2 / (2n) (Miller 1955);
    /// Miller-Madow removes much of it and shrinkage all of it.
    #[test]
    fn plug_in_bias_matches_theory() {
        let n = 2000;
        let b = 44.0; // floor(sqrt(2000))
        let (x, y) = bivariate(n, 0.0, 8);
        let mi = |e| mi_pair(&x, &y, &params(e), 0).unwrap();
        let theory = (b - 1.0f64).powi(2) / (2.0 * n as f64);
        let plugin = mi(Estimator::Empirical);
        assert!(
            plugin > 0.8 * theory && plugin < 1.3 * theory,
            "{plugin} vs {theory}"
        );
        assert!(mi(Estimator::MillerMadow) < 0.6 * plugin);
        assert!(mi(Estimator::Shrink) < 0.01);
    }

    #[test]
    fn matrix_equals_pairs_with_and_without_regulator_subsets() {
        let rows: Vec<Vec<f32>> = (0..7).map(|s| bivariate(80, 0.6, s).1).collect();
        let values = matrix(&rows);
        for e in Estimator::ALL {
            let p = params(e);
            let all =
                mi_matrix(values.view(), &[0, 1, 2, 3, 4, 5, 6], &p, 9, &crate::Quiet).unwrap();
            let some = mi_matrix(values.view(), &[1, 4], &p, 9, &crate::Quiet).unwrap();
            for r in [1, 4] {
                for g in 0..7 {
                    assert_eq!(all.get(r, g), some.get(r, g), "{e} {r} {g}");
                }
            }
            if e != Estimator::Ksg {
                // KSG's jitter is seeded per gene index, so only compare the others.
                let pair = mi_pair(&rows[2], &rows[5], &p, 0).unwrap();
                assert!((pair - f64::from(all.get(2, 5))).abs() < 1e-5, "{e}");
            }
        }
    }

    /// Bivariate normal MI -1/2 ln(1 - rho^2), averaged over 4 samples of 4,000.
    /// Gaussian and KSG are unbiased here, so only sampling noise is allowed. The
    /// others estimate the MI of a discretised or smoothed pair, which by the data
    /// processing inequality is below the truth (plus a small positive finite-sample
    /// bias for plug-in): B-splines with 10 bins keep 40-70% of it, equal-frequency
    /// bins 80-90%, shrinkage pulls weak dependence further towards 0.
    #[test]
    fn estimators_against_the_gaussian_closed_form() {
        let n = 4000;
        let bounds = [
            (Estimator::Gaussian, 0.95, 1.05, 0.005),
            (Estimator::Ksg, 0.95, 1.05, 0.015),
            (Estimator::Empirical, 0.8, 1.2, 0.01),
            (Estimator::MillerMadow, 0.8, 1.05, 0.005),
            (Estimator::Shrink, 0.55, 1.0, 0.005),
            (Estimator::BSpline, 0.4, 1.0, 0.005),
        ];
        for rho in [0.3, 0.6, 0.9] {
            let truth = gaussian_mi(rho);
            let samples: Vec<_> = (1..=4).map(|seed| bivariate(n, rho, seed)).collect();
            for (e, low, high, noise) in bounds {
                let p = closed_form_params(e);
                let mean = samples
                    .iter()
                    .map(|(x, y)| mi_pair(x, y, &p, 0).unwrap())
                    .sum::<f64>()
                    / 4.0;
                assert!(
                    mean > low * truth - noise && mean < high * truth + noise,
                    "{e} rho {rho}: {mean} vs {truth}"
                );
            }
        }
    }

    #[test]
    fn rank_based_estimators_ignore_monotone_transforms() {
        let (x, y) = bivariate(500, 0.7, 5);
        let fx: Vec<f32> = x.iter().map(|v| (2.0 * v).exp()).collect();
        let fy: Vec<f32> = y.iter().map(|v| v * v * v - 4.0).collect();
        for e in [
            Estimator::Empirical,
            Estimator::MillerMadow,
            Estimator::Shrink,
        ] {
            let p = params(e);
            let a = mi_pair(&x, &y, &p, 0).unwrap();
            let b = mi_pair(&fx, &fy, &p, 0).unwrap();
            assert!((a - b).abs() < 1e-6, "{e}: {a} vs {b}");
        }
    }
}
