//! KSG MI (Kraskov, Stoegbauer & Grassberger 2004, algorithm 1):
//! I = psi(k) + psi(n) - < psi(n_x + 1) + psi(n_y + 1) >, where eps_i is the max-norm
//! distance from sample i to its k-th nearest neighbour in the joint space and
//! n_x(i), n_y(i) count the samples strictly closer than eps_i in each marginal.
//! Per pair: a 2-d k-d tree for the joint neighbours and binary searches in the
//! sorted marginals, O(n log n).

use ndarray::ArrayView2;
use rand::Rng;
use statrs::function::gamma::digamma;

use super::is_constant;
use crate::Progress;
use crate::mutual_info::PairMatrix;
use crate::random;

/// Amplitude of the jitter that breaks ties (Kraskov et al. 2004, section II.B,
/// relative to unit variance).
const JITTER: f64 = 1e-10;

/// Buckets at most this many points: below it a linear scan beats descending.
const LEAF: usize = 8;

/// A gene ready for KSG: unit-variance values with jitter, and the same sorted.
struct Prepared {
    values: Vec<f64>,
    sorted: Vec<f64>,
    constant: bool,
}

fn prepare(x: &[f32], seed: u64, gene: usize) -> Prepared {
    let constant = is_constant(x);
    let n = x.len() as f64;
    let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let sd = (x
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n)
        .sqrt();
    let mut rng = random::stream(seed, gene as u64);
    let values: Vec<f64> = x
        .iter()
        .map(|&v| {
            let z = if sd > 0.0 {
                (f64::from(v) - mean) / sd
            } else {
                0.0
            };
            z + JITTER * (rng.random::<f64>() - 0.5)
        })
        .collect();
    let mut sorted = values.clone();
    sorted.sort_by(f64::total_cmp);
    Prepared {
        values,
        sorted,
        constant,
    }
}

/// Number of values of `sorted` strictly within `eps` of `v`. The differences are
/// formed as in the distance (`s - v`), so a neighbour exactly at `eps` is excluded
/// whatever the rounding of `v +- eps`.
fn count_within(sorted: &[f64], v: f64, eps: f64) -> usize {
    let lo = sorted.partition_point(|&s| v - s >= eps);
    let hi = sorted.partition_point(|&s| s - v < eps);
    hi - lo
}

/// A static 2-d k-d tree over points with their sample index, stored as a
/// median-split array: the node of `pts[lo..hi]` is at `(lo + hi) / 2`.
pub(crate) struct KdTree {
    pts: Vec<([f64; 2], u32)>,
}

impl KdTree {
    pub(crate) fn new(points: impl Iterator<Item = [f64; 2]>) -> Self {
        let mut pts: Vec<([f64; 2], u32)> =
            points.enumerate().map(|(i, p)| (p, i as u32)).collect();
        let len = pts.len();
        Self::build(&mut pts[..len], 0);
        KdTree { pts }
    }

    fn build(pts: &mut [([f64; 2], u32)], axis: usize) {
        if pts.len() <= LEAF {
            return;
        }
        let mid = pts.len() / 2;
        pts.select_nth_unstable_by(mid, |a, b| a.0[axis].total_cmp(&b.0[axis]));
        let (left, right) = pts.split_at_mut(mid);
        Self::build(left, 1 - axis);
        Self::build(&mut right[1..], 1 - axis);
    }

    /// Max-norm distance from `q` (sample `skip`, which is excluded) to its k-th
    /// nearest neighbour; `best` must hold k slots.
    pub(crate) fn kth_distance(&self, q: [f64; 2], skip: u32, best: &mut [f64]) -> f64 {
        best.fill(f64::INFINITY);
        self.search(0, self.pts.len(), 0, q, skip, best);
        best[best.len() - 1]
    }

    fn offer(best: &mut [f64], d: f64) {
        let k = best.len();
        if d < best[k - 1] {
            let mut i = k - 1;
            while i > 0 && best[i - 1] > d {
                best[i] = best[i - 1];
                i -= 1;
            }
            best[i] = d;
        }
    }

    fn search(&self, lo: usize, hi: usize, axis: usize, q: [f64; 2], skip: u32, best: &mut [f64]) {
        let dist = |p: &[f64; 2]| (p[0] - q[0]).abs().max((p[1] - q[1]).abs());
        if hi - lo <= LEAF {
            for (p, i) in &self.pts[lo..hi] {
                if *i != skip {
                    Self::offer(best, dist(p));
                }
            }
            return;
        }
        let mid = (lo + hi) / 2;
        let (p, i) = &self.pts[mid];
        if *i != skip {
            Self::offer(best, dist(p));
        }
        let diff = q[axis] - p[axis];
        let (near, far) = if diff < 0.0 {
            ((lo, mid), (mid + 1, hi))
        } else {
            ((mid + 1, hi), (lo, mid))
        };
        self.search(near.0, near.1, 1 - axis, q, skip, best);
        if diff.abs() <= best[best.len() - 1] {
            self.search(far.0, far.1, 1 - axis, q, skip, best);
        }
    }
}

fn ksg_pair(x: &Prepared, y: &Prepared, k: usize, psi: &[f64], best: &mut [f64]) -> f64 {
    let n = x.values.len();
    let tree = KdTree::new(x.values.iter().zip(&y.values).map(|(&a, &b)| [a, b]));
    let mut sum = 0.0;
    for i in 0..n {
        let (a, b) = (x.values[i], y.values[i]);
        let eps = tree.kth_distance([a, b], i as u32, best);
        // Counts exclude the point itself, which is always within eps.
        let nx = count_within(&x.sorted, a, eps) - 1;
        let ny = count_within(&y.sorted, b, eps) - 1;
        sum += psi[nx + 1] + psi[ny + 1];
    }
    psi[k] + psi[n] - sum / n as f64
}

/// MI of every regulator with every gene by KSG with `k` neighbours.
pub(super) fn mi_matrix(
    values: ArrayView2<'_, f32>,
    regs: Vec<usize>,
    k: usize,
    seed: u64,
    progress: &dyn Progress,
) -> PairMatrix {
    let (n_genes, n) = values.dim();
    let prepared: Vec<Prepared> = values
        .rows()
        .into_iter()
        .enumerate()
        .map(|(g, r)| prepare(r.as_slice().expect("standard layout"), seed, g))
        .collect();
    // psi[0] is never used (counts are at least 0, indices at least 1).
    let psi: Vec<f64> = (0..=n)
        .map(|i| if i == 0 { f64::NAN } else { digamma(i as f64) })
        .collect();
    PairMatrix::fill_symmetric(
        regs,
        n_genes,
        progress,
        || vec![0.0; k],
        |best, a, b| {
            let (x, y) = (&prepared[a], &prepared[b]);
            if x.constant || y.constant {
                return 0.0;
            }
            // The estimator is unbiased at independence, so it scatters around 0
            // there; MI itself is never negative.
            ksg_pair(x, y, k, &psi, best).max(0.0) as f32
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn kd_tree_matches_brute_force() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(4);
        let pts: Vec<[f64; 2]> = (0..300)
            .map(|i| {
                // Include duplicated coordinates to exercise ties.
                let a = if i % 5 == 0 { 0.5 } else { rng.random::<f64>() };
                [a, rng.random::<f64>()]
            })
            .collect();
        let tree = KdTree::new(pts.iter().copied());
        let mut best = vec![0.0; 3];
        for (i, q) in pts.iter().enumerate() {
            let mut d: Vec<f64> = pts
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(_, p)| (p[0] - q[0]).abs().max((p[1] - q[1]).abs()))
                .collect();
            d.sort_by(f64::total_cmp);
            assert_eq!(tree.kth_distance(*q, i as u32, &mut best), d[2]);
        }
    }

    #[test]
    fn counts_are_strict() {
        let s = [0.0, 1.0, 2.0, 3.0, 4.0];
        assert_eq!(count_within(&s, 2.0, 1.0), 1);
        assert_eq!(count_within(&s, 2.0, 1.5), 3);
        assert_eq!(count_within(&s, 0.0, 10.0), 5);
    }

    /// Five points, k = 2, counted by hand (y is a permutation of x, so unit-variance
    /// scaling shrinks both axes alike and leaves every comparison unchanged; no
    /// distance is within jitter of another).
    #[test]
    fn hand_computed_five_points() {
        let xs = [0.0f32, 1.3, 2.9, 7.6, 4.1];
        let ys = [1.3f32, 7.6, 4.1, 0.0, 2.9];
        // (eps, n_x, n_y): p0 (4.1, 2, 3), p1 (4.7, 3, 1), p2 (2.9, 2, 2),
        // p3 (4.7, 1, 3), p4 (3.5, 2, 3).
        let x = prepare(&xs, 0, 0);
        let y = prepare(&ys, 0, 1);
        let psi: Vec<f64> = (0..=5)
            .map(|i| if i == 0 { 0.0 } else { digamma(i as f64) })
            .collect();
        let mut best = vec![0.0; 2];
        let got = ksg_pair(&x, &y, 2, &psi, &mut best);
        let want = psi[2] + psi[5] - (4.0 * psi[3] + 4.0 * psi[4] + 2.0 * psi[2]) / 5.0;
        assert!((got - want).abs() < 1e-9, "{got} vs {want}");
    }
}
