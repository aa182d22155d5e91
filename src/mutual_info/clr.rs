//! Context likelihood of relatedness (Faith et al. 2007, PLoS Biology 5(1):e8).
//!
//! Each MI value is compared with the background of both its genes: z_i is its
//! z-score among all MI values of gene i, negative z-scores are clipped to 0 and the
//! two combine as sqrt(z_i^2 + z_j^2). A gene's background is every pair it is scored
//! in: a regulator's row (its MI with all genes), a non-regulator's column (its MI
//! with all regulators), the diagonal excluded. The score is therefore symmetric, and
//! both directions of a regulator-regulator pair get it. O(r g) time.
//!
//! ```
//! use grn::mutual_info::{clr::clr, PairMatrix};
//! let mut mi = PairMatrix::zeros(vec![0, 1, 2], 3);
//! for (i, j, v) in [(0, 1, 0.9f32), (0, 2, 0.1), (1, 2, 0.2)] {
//!     mi.values_mut()[[i, j]] = v;
//!     mi.values_mut()[[j, i]] = v;
//! }
//! let s = clr(mi);
//! assert!(s.get(0, 1) > 0.0 && s.get(0, 1) == s.get(1, 0));
//! assert_eq!(s.get(0, 2), 0.0); // below both genes' means
//! ```

use rayon::prelude::*;

use super::PairMatrix;

/// Mean and population standard deviation.
fn moments(values: impl Iterator<Item = f32>) -> (f64, f64) {
    let (mut n, mut sum, mut sum2) = (0.0, 0.0, 0.0);
    for v in values {
        let v = f64::from(v);
        n += 1.0;
        sum += v;
        sum2 += v * v;
    }
    if n == 0.0 {
        return (0.0, 0.0);
    }
    let mean = sum / n;
    (mean, (sum2 / n - mean * mean).max(0.0).sqrt())
}

/// CLR scores from an MI matrix, computed in place (no second matrix).
pub fn clr(mut mi: PairMatrix) -> PairMatrix {
    let n_genes = mi.n_genes();
    let regs = mi.regulators().to_vec();
    let background: Vec<(f64, f64)> = (0..n_genes)
        .into_par_iter()
        .map(|g| match mi.row_of(g) {
            Some(row) => moments(
                mi.row(row)
                    .iter()
                    .enumerate()
                    .filter(|&(j, _)| j != g)
                    .map(|(_, &v)| v),
            ),
            None => moments(mi.values().column(g).iter().copied()),
        })
        .collect();
    let z = |g: usize, v: f64| {
        let (mean, sd) = background[g];
        if sd > 0.0 {
            ((v - mean) / sd).max(0.0)
        } else {
            0.0
        }
    };
    mi.values_mut()
        .as_slice_mut()
        .expect("standard layout")
        .par_chunks_mut(n_genes.max(1))
        .zip(regs.par_iter())
        .for_each(|(scores, &r)| {
            for (g, s) in scores.iter_mut().enumerate() {
                let v = f64::from(*s);
                *s = if g == r {
                    0.0
                } else {
                    z(r, v).hypot(z(g, v)) as f32
                };
            }
        });
    mi
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_hand_computation() {
        // 4 genes, all regulators. Backgrounds (diagonal excluded):
        // g0: {0.9, 0.1, 0.2}, g1: {0.9, 0.3, 0.3}, g2: {0.1, 0.3, 0.5},
        // g3: {0.2, 0.3, 0.5}.
        let mut mi = PairMatrix::zeros(vec![0, 1, 2, 3], 4);
        for (i, j, v) in [
            (0, 1, 0.9f32),
            (0, 2, 0.1),
            (0, 3, 0.2),
            (1, 2, 0.3),
            (1, 3, 0.3),
            (2, 3, 0.5),
        ] {
            mi.values_mut()[[i, j]] = v;
            mi.values_mut()[[j, i]] = v;
        }
        let s = clr(mi);
        let z = |v: f64, bg: [f64; 3]| {
            let m = bg.iter().sum::<f64>() / 3.0;
            let sd = (bg.iter().map(|b| (b - m).powi(2)).sum::<f64>() / 3.0).sqrt();
            ((v - m) / sd).max(0.0)
        };
        let want01 = z(0.9, [0.9, 0.1, 0.2]).hypot(z(0.9, [0.9, 0.3, 0.3]));
        let want23 = z(0.5, [0.1, 0.3, 0.5]).hypot(z(0.5, [0.2, 0.3, 0.5]));
        assert!((f64::from(s.get(0, 1)) - want01).abs() < 1e-6);
        assert!((f64::from(s.get(3, 2)) - want23).abs() < 1e-6);
        assert_eq!(s.get(1, 0), s.get(0, 1));
        assert_eq!(s.get(2, 2), 0.0);
    }

    #[test]
    fn regulator_subset_uses_columns_for_targets_and_is_symmetric_between_tfs() {
        let mut mi = PairMatrix::zeros(vec![0, 1], 4);
        let rows = [[0.0f32, 0.8, 0.2, 0.4], [0.8, 0.0, 0.6, 0.1]];
        for (r, row) in rows.iter().enumerate() {
            for (g, &v) in row.iter().enumerate() {
                mi.values_mut()[[r, g]] = v;
            }
        }
        let s = clr(mi);
        assert_eq!(s.get(0, 1), s.get(1, 0));
        // Gene 2's background is its column {0.2, 0.6}: 0.6 is one sd above.
        let z_tf = |v: f64, bg: [f64; 3]| {
            let m = bg.iter().sum::<f64>() / 3.0;
            let sd = (bg.iter().map(|b| (b - m).powi(2)).sum::<f64>() / 3.0).sqrt();
            ((v - m) / sd).max(0.0)
        };
        let want = z_tf(0.6, [0.8, 0.6, 0.1]).hypot(1.0);
        assert!((f64::from(s.get(1, 2)) - want).abs() < 1e-6);
    }

    #[test]
    fn constant_background_gives_zero_not_nan() {
        let mut mi = PairMatrix::zeros(vec![0, 1, 2], 3);
        mi.values_mut().fill(0.5);
        let s = clr(mi);
        assert!(s.values().iter().all(|&v| v == 0.0));
    }
}
