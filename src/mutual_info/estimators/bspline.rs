//! B-spline MI (Daub et al. 2004). A value scaled to the spline domain [0, M - k + 1]
//! of its gene's min-max range belongs to bin a with weight B_{a,k}(z), the a-th
//! B-spline of order k on the uniform clamped knot vector; the weights of a value sum
//! to 1. Bin probabilities are mean weights, the joint of two genes is the mean of
//! the products of their weights, so all joint tables are one product of the
//! (genes M) x samples weight matrix with itself: O(r g n M^2) flops, plus
//! M x n `f32` weights per gene of memory.

use ndarray::{Array2, ArrayView2};

use super::{gram_pairs, is_constant};
use crate::Progress;
use crate::mutual_info::PairMatrix;

/// The `bins` B-spline weights of order `order` at `z` in [0, bins - order + 1].
pub(crate) fn weights(z: f64, bins: usize, order: usize, out: &mut [f64]) {
    debug_assert_eq!(out.len(), bins);
    let k = order;
    let last = (bins - k + 1) as f64;
    // Clamped uniform knots: t_i = 0 (i < k), i - k + 1, then M - k + 1 (i >= M).
    let knot = |i: usize| -> f64 {
        if i < k {
            0.0
        } else if i < bins {
            (i - k + 1) as f64
        } else {
            last
        }
    };
    let z = z.clamp(0.0, last);
    // Order 1: the indicator of the knot interval holding z; the right end belongs
    // to the last interval so that the maximum value has weight too.
    let mut b = vec![0.0; bins + k];
    let interval = (z.floor() as usize).min(bins - k);
    b[interval + k - 1] = 1.0;
    for j in 2..=k {
        for i in 0..bins + k - j {
            let left = {
                let d = knot(i + j - 1) - knot(i);
                if d > 0.0 {
                    (z - knot(i)) / d * b[i]
                } else {
                    0.0
                }
            };
            let right = {
                let d = knot(i + j) - knot(i + 1);
                if d > 0.0 {
                    (knot(i + j) - z) / d * b[i + 1]
                } else {
                    0.0
                }
            };
            b[i] = left + right;
        }
    }
    out.copy_from_slice(&b[..bins]);
}

/// The weight matrix: `bins` rows per gene (row g M + a holds B_a of gene g's
/// scaled values) and one column per sample. Constant genes get all weight on a
/// single bin.
fn weight_matrix(values: ArrayView2<'_, f32>, bins: usize, order: usize) -> Array2<f32> {
    let (n_genes, n) = values.dim();
    let mut w = Array2::<f32>::zeros((n_genes * bins, n));
    let span = (bins - order + 1) as f64;
    let mut buf = vec![0.0; bins];
    for (g, row) in values.rows().into_iter().enumerate() {
        let (lo, hi) = row
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &v| {
                (l.min(v), h.max(v))
            });
        let range = f64::from(hi) - f64::from(lo);
        for (s, &v) in row.iter().enumerate() {
            let z = if range > 0.0 {
                (f64::from(v) - f64::from(lo)) / range * span
            } else {
                0.0
            };
            weights(z, bins, order, &mut buf);
            for (a, &b) in buf.iter().enumerate() {
                w[[g * bins + a, s]] = b as f32;
            }
        }
    }
    w
}

fn entropy(p: impl Iterator<Item = f64>) -> f64 {
    p.filter(|&p| p > 0.0).map(|p| -p * p.ln()).sum()
}

/// MI of every regulator with every gene from B-spline weights.
pub(super) fn mi_matrix(
    values: ArrayView2<'_, f32>,
    regs: Vec<usize>,
    bins: usize,
    order: usize,
    progress: &dyn Progress,
) -> PairMatrix {
    let n = values.ncols() as f64;
    let constant: Vec<bool> = values
        .rows()
        .into_iter()
        .map(|r| is_constant(r.as_slice().expect("standard layout")))
        .collect();
    let w = weight_matrix(values, bins, order);
    let marginal: Vec<f64> = (0..values.nrows())
        .map(|g| entropy((0..bins).map(|a| w.row(g * bins + a).sum() as f64 / n)))
        .collect();
    gram_pairs(w.view(), bins, regs, progress, |r, g, block, stride| {
        if constant[r] || constant[g] {
            return 0.0;
        }
        let joint = (0..bins)
            .flat_map(|a| &block[a * stride..a * stride + bins])
            .map(|&v| f64::from(v) / n);
        (marginal[r] + marginal[g] - entropy(joint)).max(0.0) as f32
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mutual_info::estimators::{Estimator, MiParams, mi_pair};

    #[test]
    fn weights_are_a_partition_of_unity_with_order_nonzeros() {
        let mut w = vec![0.0; 10];
        for step in 0..=80 {
            let z = step as f64 / 10.0;
            weights(z, 10, 3, &mut w);
            assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12, "z {z}");
            assert!(w.iter().filter(|&&v| v > 0.0).count() <= 3);
            assert!(w.iter().all(|&v| v >= 0.0));
        }
        // Ends are clamped: all weight on the first and on the last bin.
        weights(0.0, 10, 3, &mut w);
        assert_eq!(w[0], 1.0);
        weights(8.0, 10, 3, &mut w);
        assert_eq!(w[9], 1.0);
        // Quadratic B-splines in the middle of a knot interval: 1/8, 3/4, 1/8.
        weights(3.5, 10, 3, &mut w);
        assert!((w[3] - 0.125).abs() < 1e-12 && (w[4] - 0.75).abs() < 1e-12);
        assert!((w[5] - 0.125).abs() < 1e-12);
    }

    /// Order 1 is an equal-width histogram: check against a table counted by hand.
    #[test]
    fn order_one_is_an_equal_width_histogram() {
        // Range [0, 4] in 2 bins: x in {0,1} -> bin 0, {3,4} -> bin 1.
        let x = [0.0f32, 1.0, 3.0, 4.0, 0.5, 3.5];
        let y = [0.0f32, 0.2, 1.0, 0.9, 0.9, 0.1];
        // y range [0, 1]: bins {0, 0.2, 0.1} -> 0 and {1, 0.9, 0.9} -> 1.
        // Joint: (0,0) 2, (1,1) 2, (0,1) 1, (1,0) 1 over 6 samples.
        let h = |p: &[f64]| -p.iter().map(|v| v * v.ln()).sum::<f64>();
        let want = 2.0 * h(&[0.5, 0.5]) - h(&[2.0 / 6.0, 2.0 / 6.0, 1.0 / 6.0, 1.0 / 6.0]);
        let p = MiParams {
            estimator: Estimator::BSpline,
            bins: Some(2),
            spline_order: 1,
            ..Default::default()
        };
        assert!((mi_pair(&x, &y, &p, 0).unwrap() - want).abs() < 1e-6);
    }
}
