//! MI from equal-frequency bins: plug-in, Miller-Madow and James-Stein shrinkage
//! entropies. Per pair: one pass over the samples to count the joint table and one
//! over its b^2 cells, with `c ln c` looked up in a table, O(n + b^2).

use ndarray::ArrayView2;

use super::{Estimator, is_constant};
use crate::Progress;
use crate::mutual_info::PairMatrix;

/// Equal-frequency bin codes: the value of sorted position s goes to bin
/// floor(s b / n), and tied values all go to the bin of the first of them, so a
/// constant gene has a single bin and identical genes identical codes.
pub(crate) fn bin_codes(x: &[f32], bins: usize) -> Vec<u8> {
    let n = x.len();
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_by(|&a, &b| x[a as usize].total_cmp(&x[b as usize]));
    let mut codes = vec![0u8; n];
    let mut start = 0;
    while start < n {
        let v = x[order[start] as usize];
        let mut end = start + 1;
        while end < n && x[order[end] as usize] == v {
            end += 1;
        }
        let code = (start * bins / n) as u8;
        for &i in &order[start..end] {
            codes[i as usize] = code;
        }
        start = end;
    }
    codes
}

/// Entropy estimation over tables of counts summing to `n`.
pub(crate) struct Entropy {
    n: usize,
    correction: Estimator,
    /// `c ln c` for c = 0..=n.
    xlnx: Vec<f64>,
}

/// Per-worker buffers for [`Entropy::of_counts`].
#[derive(Default)]
pub(crate) struct Scratch {
    joint: Vec<u32>,
    /// How many cells hold each count (shrinkage groups cells by count).
    cells_with: Vec<u32>,
    distinct: Vec<u32>,
}

impl Entropy {
    pub(crate) fn new(n: usize, correction: Estimator) -> Self {
        let xlnx = (0..=n)
            .map(|c| {
                if c == 0 {
                    0.0
                } else {
                    c as f64 * (c as f64).ln()
                }
            })
            .collect();
        Entropy {
            n,
            correction,
            xlnx,
        }
    }

    /// The entropy (nats) of `cells` cells with these counts (the cells not listed
    /// are empty); the counts are reset to zero on the way.
    pub(crate) fn of_counts(&self, counts: &mut [u32], cells: usize, s: &mut Scratch) -> f64 {
        let n = self.n as f64;
        let (mut sum_clnc, mut nonzero, mut sum_c2) = (0.0, 0usize, 0.0);
        let shrink = self.correction == Estimator::Shrink;
        if shrink && s.cells_with.len() <= self.n {
            s.cells_with.resize(self.n + 1, 0);
        }
        for c in counts.iter_mut() {
            if *c > 0 {
                let k = *c as usize;
                sum_clnc += self.xlnx[k];
                nonzero += 1;
                if shrink {
                    sum_c2 += (k * k) as f64;
                    if s.cells_with[k] == 0 {
                        s.distinct.push(*c);
                    }
                    s.cells_with[k] += 1;
                }
                *c = 0;
            }
        }
        let plugin = n.ln() - sum_clnc / n;
        match self.correction {
            Estimator::MillerMadow => plugin + (nonzero as f64 - 1.0) / (2.0 * n),
            Estimator::Shrink => {
                // Hausser & Strimmer 2009, eq. 8: shrink towards 1/cells with the
                // intensity that minimises the estimated mean squared error.
                let m = cells as f64;
                let sum_p2 = sum_c2 / (n * n);
                let denom = (n - 1.0) * (sum_p2 - 1.0 / m);
                let lambda = if denom > 0.0 {
                    ((1.0 - sum_p2) / denom).clamp(0.0, 1.0)
                } else {
                    1.0
                };
                let t = |c: f64| lambda / m + (1.0 - lambda) * c / n;
                let h = |p: f64| if p > 0.0 { -p * p.ln() } else { 0.0 };
                let mut entropy = (cells - nonzero) as f64 * h(t(0.0));
                for &c in &s.distinct {
                    entropy += f64::from(s.cells_with[c as usize]) * h(t(f64::from(c)));
                    s.cells_with[c as usize] = 0;
                }
                s.distinct.clear();
                entropy
            }
            _ => plugin,
        }
    }
}

/// MI of every regulator with every gene from `bins` equal-frequency bins.
pub(super) fn mi_matrix(
    values: ArrayView2<'_, f32>,
    regs: Vec<usize>,
    bins: usize,
    correction: Estimator,
    progress: &dyn Progress,
) -> PairMatrix {
    let (n_genes, n) = values.dim();
    let entropy = Entropy::new(n, correction);
    let rows: Vec<Vec<f32>> = values.rows().into_iter().map(|r| r.to_vec()).collect();
    let constant: Vec<bool> = rows.iter().map(|r| is_constant(r)).collect();
    let codes: Vec<Vec<u8>> = rows.iter().map(|r| bin_codes(r, bins)).collect();
    let mut s = Scratch::default();
    let marginal: Vec<f64> = codes
        .iter()
        .map(|c| {
            let mut counts = vec![0u32; bins];
            c.iter().for_each(|&k| counts[k as usize] += 1);
            entropy.of_counts(&mut counts, bins, &mut s)
        })
        .collect();
    PairMatrix::fill_symmetric(
        regs,
        n_genes,
        progress,
        || Scratch {
            joint: vec![0; bins * bins],
            ..Default::default()
        },
        |s, a, b| {
            if constant[a] || constant[b] {
                return 0.0;
            }
            let mut joint = std::mem::take(&mut s.joint);
            for (&x, &y) in codes[a].iter().zip(&codes[b]) {
                joint[x as usize * bins + y as usize] += 1;
            }
            let h_ab = entropy.of_counts(&mut joint, bins * bins, s);
            s.joint = joint;
            // Bias corrections can push a near-zero MI below zero; MI is not.
            (marginal[a] + marginal[b] - h_ab).max(0.0) as f32
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mutual_info::estimators::{MiParams, mi_pair};

    fn mi(x: &[f32], y: &[f32], e: Estimator, bins: usize) -> f64 {
        let p = MiParams {
            estimator: e,
            bins: Some(bins),
            ..Default::default()
        };
        mi_pair(x, y, &p, 0).unwrap()
    }

    #[test]
    fn codes_are_equal_frequency_and_ties_share_a_bin() {
        assert_eq!(
            bin_codes(&[5.0, 1.0, 3.0, 2.0, 4.0, 0.0], 3),
            [2, 0, 1, 1, 2, 0]
        );
        assert_eq!(bin_codes(&[1.0, 1.0, 1.0, 2.0], 2), [0, 0, 0, 1]);
        assert_eq!(bin_codes(&[7.0; 5], 2), [0; 5]);
    }

    /// The 2 x 2 table [[3, 1], [1, 3]] over 8 samples, by hand:
    /// H(X) = H(Y) = ln 2, H(X,Y) = ln 8 - (2 * 3 ln 3) / 8.
    #[test]
    fn hand_computed_table() {
        let x = [0.0f32, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0];
        let y = [0.0f32, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0];
        let hx = 2f64.ln();
        let hxy = 8f64.ln() - 6.0 * 3f64.ln() / 8.0;
        let plugin = 2.0 * hx - hxy;
        assert!((mi(&x, &y, Estimator::Empirical, 2) - plugin).abs() < 1e-6);
        // Miller-Madow: +1/16 for each marginal (2 cells), +3/16 for the joint (4).
        let mm = plugin + 2.0 / 16.0 - 3.0 / 16.0;
        assert!((mi(&x, &y, Estimator::MillerMadow, 2) - mm.max(0.0)).abs() < 1e-6);
        // Shrinkage: marginals are uniform already (lambda = 1 there, H = ln 2). The
        // joint has sum p^2 = 20/64, so lambda = (44/64) / (7 (20/64 - 1/4)) = 11/7,
        // clipped to 1: the joint becomes uniform and the MI 0.
        assert!(mi(&x, &y, Estimator::Shrink, 2).abs() < 1e-6);
    }

    #[test]
    fn shrinkage_matches_direct_formula_on_a_larger_table() {
        // 3 bins, 30 samples: compare with the estimator written out cell by cell.
        let x: Vec<f32> = (0..30).map(|i| i as f32).collect();
        let y: Vec<f32> = (0..30)
            .map(|i| ((i * 7) % 30) as f32 + (i / 10) as f32 * 9.0)
            .collect();
        let cx = bin_codes(&x, 3);
        let cy = bin_codes(&y, 3);
        let shrink_h = |counts: &[f64]| {
            let n: f64 = counts.iter().sum();
            let m = counts.len() as f64;
            let p: Vec<f64> = counts.iter().map(|c| c / n).collect();
            let num = 1.0 - p.iter().map(|v| v * v).sum::<f64>();
            let den = (n - 1.0) * p.iter().map(|v| (1.0 / m - v).powi(2)).sum::<f64>();
            let l = (num / den).clamp(0.0, 1.0);
            p.iter()
                .map(|v| l / m + (1.0 - l) * v)
                .map(|t| if t > 0.0 { -t * t.ln() } else { 0.0 })
                .sum::<f64>()
        };
        let mut joint = vec![0.0; 9];
        let (mut mx, mut my) = (vec![0.0; 3], vec![0.0; 3]);
        for (&a, &b) in cx.iter().zip(&cy) {
            joint[a as usize * 3 + b as usize] += 1.0;
            mx[a as usize] += 1.0;
            my[b as usize] += 1.0;
        }
        let want = shrink_h(&mx) + shrink_h(&my) - shrink_h(&joint);
        let got = mi(&x, &y, Estimator::Shrink, 3);
        assert!((got - want.max(0.0)).abs() < 1e-6, "{got} vs {want}");
        assert!(want > 0.01, "the example must have dependence");
    }
}
