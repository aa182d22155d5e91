//! Ridge fits of every target with the penalty chosen by generalised
//! cross-validation (Golub, Heath & Wahba 1979), the exact leave-one-out R² from
//! the PRESS residuals (Allen 1974), and the score-weighted adaptive penalty.
//!
//! Cost per target: one thin SVD of its n x k regulator matrix, O(n k²), then O(k)
//! per candidate penalty.

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::{Mat, Par};
use rayon::prelude::*;

use crate::Progress;
use crate::expression::ExpressionMatrix;

use super::params::{Alpha, ModelParams, WeightPrior};

/// Prior variances of a target's standardised weights from its edges' scores
/// (see [`WeightPrior`]): mean 1, so the penalty keeps its scale. `None` when the
/// scores cannot serve (one is not positive and finite).
pub(super) fn prior_variances(scores: &[f64], prior: WeightPrior) -> Option<Vec<f64>> {
    match prior {
        WeightPrior::Uniform => Some(vec![1.0; scores.len()]),
        WeightPrior::Score => {
            if !scores.iter().all(|s| s.is_finite() && *s > 0.0) {
                return None;
            }
            let mean = scores.iter().sum::<f64>() / scores.len().max(1) as f64;
            Some(scores.iter().map(|s| s / mean).collect())
        }
    }
}

/// One target's ridge fit.
pub(super) struct RidgeFit {
    pub(super) weights: Vec<f64>,
    pub(super) alpha: f64,
    pub(super) r2: f64,
    /// Leave-one-out residuals `e_i / (1 - h_ii)`, one per sample.
    pub(super) residuals: Vec<f64>,
}

/// The thin SVD `X = U S Vᵀ` of a target's centred, standardised regulators (each
/// scaled by the square root of its prior variance, see [`WeightPrior`]), and
/// what every penalty's fit needs: `β(α) = V diag(s/(s²+α)) Uᵀy`, hat matrix
/// `1/n + U diag(s²/(s²+α)) Uᵀ` (the 1/n for the intercept).
struct Decomposed {
    /// Positions (in the regulator list) of the regulators with variance.
    used: Vec<usize>,
    u: Mat<f64>,
    vt: Mat<f64>,
    s: Vec<f64>,
    /// `Uᵀy`.
    uy: Vec<f64>,
    /// The centred target.
    y: Vec<f64>,
    /// `|y|²`.
    tss: f64,
    /// `√v_j` of each used regulator (see [`WeightPrior`]).
    scale: Vec<f64>,
}

impl Decomposed {
    fn new(
        matrix: &ExpressionMatrix,
        t: usize,
        regs: &[usize],
        prior: &[f64],
        mean: &[f64],
        sd: &[f64],
    ) -> Option<Self> {
        let n = matrix.n_samples();
        let y: Vec<f64> = matrix.gene(t).iter().map(|&x| x as f64 - mean[t]).collect();
        let tss: f64 = y.iter().map(|v| v * v).sum();
        // Regulators without variance cannot be fitted; they keep weight 0.
        let used: Vec<usize> = (0..regs.len()).filter(|&j| sd[regs[j]] > 0.0).collect();
        // A penalty α/v_j on β_j is plain ridge on the column scaled by √v_j.
        let scale: Vec<f64> = used.iter().map(|&j| prior[j].sqrt()).collect();
        let k = used.len();
        if k == 0 || tss == 0.0 {
            return None;
        }
        let x = Mat::<f64>::from_fn(n, k, |i, j| {
            let g = regs[used[j]];
            (matrix.values()[[g, i]] as f64 - mean[g]) / sd[g] * scale[j]
        });
        let size = n.min(k);
        let mut u = Mat::<f64>::zeros(n, size);
        let mut vt = Mat::<f64>::zeros(k, size);
        let mut s = faer::diag::Diag::<f64>::zeros(size);
        let compute = faer::linalg::svd::ComputeSvdVectors::Thin;
        let mut buf = MemBuffer::new(faer::linalg::svd::svd_scratch::<f64>(
            n,
            k,
            compute,
            compute,
            Par::Seq,
            Default::default(),
        ));
        faer::linalg::svd::svd(
            x.as_ref(),
            s.as_mut(),
            Some(u.as_mut()),
            Some(vt.as_mut()),
            Par::Seq,
            MemStack::new(&mut buf),
            Default::default(),
        )
        .ok()?;
        let s: Vec<f64> = (0..size).map(|j| s[j]).collect();
        let uy: Vec<f64> = (0..size)
            .map(|j| (0..n).map(|i| u[(i, j)] * y[i]).sum())
            .collect();
        Some(Decomposed {
            used,
            u,
            vt,
            s,
            uy,
            y,
            tss,
            scale,
        })
    }

    /// Generalised cross-validation `n |y - ŷ|² / (n - df)²` at penalty `a`, in
    /// units of the target's variance (so targets can be pooled); `None` when the
    /// fit leaves no degrees of freedom.
    fn gcv(&self, a: f64) -> Option<f64> {
        let n = self.y.len() as f64;
        let explained: f64 = self.uy.iter().map(|v| v * v).sum();
        let mut rss = self.tss - explained;
        let mut df = 1.0;
        for (&sj, &uyj) in self.s.iter().zip(&self.uy) {
            let d = sj * sj + a;
            if d > 0.0 {
                rss += (a / d).powi(2) * uyj * uyj;
                df += sj * sj / d;
            }
        }
        let rest = n - df;
        (rest > 0.0).then(|| n * n * rss.max(0.0) / (rest * rest * self.tss))
    }

    /// The fit at penalty `alpha`: weights in expression units and the exact
    /// leave-one-out R².
    fn solve(&self, alpha: f64, regs: &[usize], sd: &[f64]) -> RidgeFit {
        let n = self.y.len();
        let size = self.s.len();
        let shrink: Vec<f64> = self
            .s
            .iter()
            .map(|&sj| {
                let d = sj * sj + alpha;
                if d > 0.0 { sj * sj / d } else { 0.0 }
            })
            .collect();
        let coef: Vec<f64> = (0..size)
            .map(|j| {
                let d = self.s[j] * self.s[j] + alpha;
                if d > 0.0 {
                    self.s[j] / d * self.uy[j]
                } else {
                    0.0
                }
            })
            .collect();
        let mut weights = vec![0.0; regs.len()];
        for (jj, &j) in self.used.iter().enumerate() {
            let b: f64 = (0..size).map(|c| self.vt[(jj, c)] * coef[c]).sum();
            weights[j] = b * self.scale[jj] / sd[regs[j]];
        }
        let mut press = 0.0;
        let mut residuals = Vec::with_capacity(n);
        for i in 0..n {
            let mut fitted = 0.0;
            let mut h = 1.0 / n as f64;
            for (j, (&sh, &uyj)) in shrink.iter().zip(&self.uy).enumerate() {
                let uij = self.u[(i, j)];
                fitted += uij * sh * uyj;
                h += uij * uij * sh;
            }
            let e = self.y[i] - fitted;
            // A sample with leverage 1 is fitted exactly whatever its value: its
            // held-out error is unknown, so it counts as the mean's.
            let held_out = if h < 1.0 - 1e-12 {
                e / (1.0 - h)
            } else {
                self.y[i]
            };
            press += held_out.powi(2);
            residuals.push(held_out);
        }
        RidgeFit {
            weights,
            alpha,
            r2: 1.0 - press / self.tss,
            residuals,
        }
    }
}

/// The candidate penalties: [`ModelParams::GCV_GRID`] values log-spaced over
/// `scale x` [`ModelParams::GCV_RANGE`].
fn alpha_grid(scale: f64) -> impl Iterator<Item = f64> {
    let (lo, hi) = ModelParams::GCV_RANGE;
    let g = ModelParams::GCV_GRID;
    (0..g).map(move |i| scale * lo * (hi / lo).powf(i as f64 / (g - 1) as f64))
}

/// Ridge fits of every target. Shared GCV needs two passes (the pooled criterion,
/// then the fits); the SVDs are recomputed rather than kept, as they would take
/// n x k numbers per target.
pub(super) fn ridge_all(
    matrix: &ExpressionMatrix,
    per_target: &[Vec<usize>],
    prior: &[Vec<f64>],
    mean: &[f64],
    sd: &[f64],
    rule: Alpha,
    progress: &dyn Progress,
) -> Vec<Option<RidgeFit>> {
    let n = matrix.n_samples() as f64;
    let decompose = |t: usize| {
        (!per_target[t].is_empty())
            .then(|| Decomposed::new(matrix, t, &per_target[t], &prior[t], mean, sd))
            .flatten()
    };
    let empty = |t: usize| {
        (!per_target[t].is_empty()).then(|| RidgeFit {
            weights: vec![0.0; per_target[t].len()],
            alpha: 0.0,
            r2: 0.0,
            residuals: matrix.gene(t).iter().map(|&x| x as f64 - mean[t]).collect(),
        })
    };
    let shared = match rule {
        Alpha::Fixed(a) => Some(a),
        Alpha::GcvPerTarget => None,
        Alpha::Gcv => {
            // Standardised regulators with prior variances of mean 1: Σ s² = n k, so
            // n is the natural unit.
            let grid: Vec<f64> = alpha_grid(n).collect();
            // Per-target curves collected in order and summed sequentially, so the
            // choice does not depend on the number of threads.
            let curves: Vec<Vec<f64>> = (0..per_target.len())
                .into_par_iter()
                .map(|t| match decompose(t) {
                    Some(d) => grid
                        .iter()
                        .map(|&a| d.gcv(a).unwrap_or(f64::INFINITY))
                        .collect(),
                    None => Vec::new(),
                })
                .collect();
            let mut totals = vec![0.0; grid.len()];
            for c in curves.iter().filter(|c| !c.is_empty()) {
                totals.iter_mut().zip(c).for_each(|(x, y)| *x += y);
            }
            let best = (0..grid.len())
                .min_by(|&i, &j| totals[i].total_cmp(&totals[j]))
                .expect("the grid is not empty");
            Some(grid[best])
        }
    };
    (0..per_target.len())
        .into_par_iter()
        .map(|t| {
            let fit = match decompose(t) {
                None => empty(t),
                Some(d) => {
                    let alpha = shared.unwrap_or_else(|| {
                        let s2max = d.s[0] * d.s[0];
                        alpha_grid(s2max)
                            .filter_map(|a| d.gcv(a).map(|g| (g, a)))
                            .min_by(|x, y| x.0.total_cmp(&y.0))
                            .map_or(0.0, |(_, a)| a)
                    });
                    Some(d.solve(alpha, &per_target[t], sd))
                }
            };
            progress.advance(1);
            fit
        })
        .collect()
}
