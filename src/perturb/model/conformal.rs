//! Conformal prediction intervals from cross-validation residuals.
//!
//! Given the absolute held-out residuals `|R_1| <= ... <= |R_n|` of a target's
//! model, the interval `ŷ ± |R|_(k)` with `k = ⌈(n + 1) level⌉` covers a new
//! exchangeable sample with probability at least `level`: the new residual is
//! equally likely to fall at any of the `n + 1` ranks (Vovk, Gammerman & Shafer
//! 2005, *Algorithmic Learning in a Random World*; split conformal, Lei et al.
//! 2018, JASA 113:1094). With leave-one-out or K-fold residuals around the model
//! refitted on all samples this is the jackknife / CV interval of Barber, Candès,
//! Ramdas & Tibshirani (2021, Ann. Statist. 49:486): its guarantee needs the
//! full-data model to be stable, and the coverage test in `predict` measures it.
//! The `(n + 1)` in `k` is the finite-sample correction; when `k > n` no finite
//! width is guaranteed and the width is `None`.
//!
//! Cost: a sort of the n residuals per target, then O(1) per level.

/// The interval levels stored with every model (prediction intervals of 50% to
/// 99%; 90% is the usual report, as in Barber et al. 2021).
pub const INTERVAL_LEVELS: [f64; 5] = [0.5, 0.8, 0.9, 0.95, 0.99];

/// The conformal half-width at `level` from residual magnitudes sorted ascending:
/// the `⌈(n + 1) level⌉`-th smallest, `None` if that rank exceeds `n`.
pub fn conformal_half_width(sorted_abs: &[f64], level: f64) -> Option<f64> {
    let n = sorted_abs.len();
    // A tolerance so that e.g. (19 + 1) x 0.9 = 18 is not rounded up to 19 by the
    // binary representation of 0.9.
    let k = ((n as f64 + 1.0) * level - 1e-9).ceil() as usize;
    (k >= 1 && k <= n).then(|| sorted_abs[k - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_has_the_finite_sample_correction() {
        let r: Vec<f64> = (1..=19).map(f64::from).collect();
        // (19 + 1) x 0.9 = 18: the 18th smallest.
        assert_eq!(conformal_half_width(&r, 0.9), Some(18.0));
        // (19 + 1) x 0.99 = 19.8 -> 20 > 19: no finite guarantee.
        assert_eq!(conformal_half_width(&r, 0.99), None);
        assert_eq!(conformal_half_width(&r, 0.5), Some(10.0));
    }
}
