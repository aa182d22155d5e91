//! Small numerical helpers of the linear propagation: spectral radii of feedback
//! blocks and dense solves of the clamp conditions.

use rand::Rng as _;

use crate::random;

/// Products in the power iteration of spectral radii.
const POWER_ITERATIONS: usize = 1000;

/// Spectral radius of a block's internal edge matrix (`internal`: row, column,
/// weight position) by power iteration: `(|W^K x| / |W^(K/2) x|)^(2/K)` from a
/// fixed pseudo-random start, which tends to ρ whatever the structure of the
/// dominant eigenvalues (real, complex pairs, or several of equal modulus).
pub(super) fn spectral_radius(
    size: usize,
    internal: &[(usize, usize, usize)],
    weights: &[f64],
) -> f64 {
    let mut rng = random::stream(0x5eed, size as u64);
    let mut x: Vec<f64> = (0..size).map(|_| rng.random::<f64>() - 0.5).collect();
    let norm = |v: &[f64]| v.iter().map(|a| a * a).sum::<f64>().sqrt();
    let n0 = norm(&x);
    x.iter_mut().for_each(|v| *v /= n0);
    let mut y = vec![0.0; size];
    let mut log_growth = 0.0;
    let half = POWER_ITERATIONS / 2;
    for k in 0..POWER_ITERATIONS {
        y.iter_mut().for_each(|v| *v = 0.0);
        for &(row, col, p) in internal {
            y[row] += weights[p] * x[col];
        }
        let ny = norm(&y);
        if ny == 0.0 || !ny.is_finite() {
            return if ny == 0.0 { 0.0 } else { f64::INFINITY };
        }
        if k >= half {
            log_growth += ny.ln();
        }
        for (xi, yi) in x.iter_mut().zip(&y) {
            *xi = yi / ny;
        }
    }
    (log_growth / (POWER_ITERATIONS - half) as f64).exp()
}

/// Solves a small dense system by Gaussian elimination with partial pivoting;
/// `None` when it is singular.
pub(super) fn solve_dense(a: &mut [Vec<f64>], b: &mut [f64]) -> Option<Vec<f64>> {
    let m = b.len();
    let scale = a
        .iter()
        .flatten()
        .fold(0.0f64, |s, v| s.max(v.abs()))
        .max(f64::MIN_POSITIVE);
    for col in 0..m {
        let pivot = (col..m).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() <= 1e-12 * scale {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let (top, rest) = a.split_at_mut(col + 1);
        let pivot_row = &top[col];
        for (r, row) in rest.iter_mut().enumerate() {
            let f = row[col] / pivot_row[col];
            for (x, p) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                *x -= f * p;
            }
            b[col + 1 + r] -= f * b[col];
        }
    }
    let mut x = vec![0.0; m];
    for row in (0..m).rev() {
        let s: f64 = (row + 1..m).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spectral_radius_of_rotations_and_cycles() {
        // A 3-cycle with gains 1, 2, 4: eigenvalues are the cube roots of 8 (one real,
        // a complex pair), all of modulus 2. The norm grows unevenly within each
        // cycle (by 1, 2 or 4), so 500 products leave an O(ln 4 / 500) error.
        let w = [1.0, 2.0, 4.0];
        let internal = [(1, 0, 0), (2, 1, 1), (0, 2, 2)];
        let rho = spectral_radius(3, &internal, &w);
        assert!((rho - 2.0).abs() < 2.0 * 4f64.ln() / 500.0, "{rho}");
        // Nilpotent: 0.
        let internal = [(1, 0, 0), (2, 1, 1)];
        assert_eq!(spectral_radius(3, &internal, &w), 0.0);
    }
}
