//! Correlation networks and edge signs.
//!
//! - Pearson and Spearman (Pearson on average ranks) correlation of every regulator
//!   with every gene: one blocked matrix product on standardised data, O(r g n).
//! - Partial correlation: -P_ij / sqrt(P_ii P_jj) from the precision matrix P of the
//!   Ledoit-Wolf shrunk correlation matrix (Ledoit & Wolf 2004, J. Multivariate
//!   Analysis 88:365; shrinkage towards the scaled identity with the intensity that
//!   minimises the expected squared error, as scikit-learn's `ledoit_wolf`), so it
//!   exists even with fewer samples than genes. Every gene is conditioned on, also
//!   with a regulator list. Dense: O(g^2 n + g^3) time and g x g `f64` (3.2 GB at
//!   20,000 genes).
//! - Signs: the sign of the Spearman correlation of regulator and target, for edges
//!   of methods that do not give one.
//!
//! ```
//! use grn::mutual_info::correlation;
//! let x = [1.0f32, 2.0, 3.0, 4.0, 5.0];
//! let y = [10.0f32, 8.0, 9.0, 3.0, 1.0];
//! let values = ndarray::Array2::from_shape_vec((2, 5), [x, y].concat()).unwrap();
//! let rho = correlation::spearman(values.view(), &[0, 1], &grn::Quiet);
//! assert!((rho.get(0, 1) + 0.9).abs() < 1e-6);
//! ```

use std::sync::OnceLock;

use faer::linalg::solvers::DenseSolveCore;
use faer::{Mat, Side};
use ndarray::{Array2, ArrayView1, ArrayView2};
use rayon::prelude::*;

use super::estimators::{correlation_matrix, standardize, standardize_row};
use super::{MiError, PairMatrix};
use crate::Progress;
use crate::network::{EdgeTable, Sign};

/// Average ranks (1-based; tied values share the mean of their ranks).
pub fn ranks(x: ArrayView1<'_, f32>) -> Vec<f32> {
    let n = x.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut r = vec![0f32; n];
    let mut start = 0;
    while start < n {
        let mut end = start + 1;
        while end < n && x[order[end]] == x[order[start]] {
            end += 1;
        }
        let mean = (start + end + 1) as f32 / 2.0;
        for &i in &order[start..end] {
            r[i] = mean;
        }
        start = end;
    }
    r
}

/// Every gene replaced by its average ranks.
pub fn rank_matrix(values: ArrayView2<'_, f32>) -> Array2<f32> {
    let (g, n) = values.dim();
    let rows: Vec<Vec<f32>> = (0..g)
        .into_par_iter()
        .map(|i| ranks(values.row(i)))
        .collect();
    Array2::from_shape_vec((g, n), rows.concat()).expect("g rows of n ranks")
}

/// Pearson correlation of every regulator with every gene (constant genes: 0).
pub fn pearson(values: ArrayView2<'_, f32>, regs: &[usize], progress: &dyn Progress) -> PairMatrix {
    correlation_matrix(standardize(values).view(), regs.to_vec(), progress)
}

/// Spearman correlation of every regulator with every gene (constant genes: 0).
pub fn spearman(
    values: ArrayView2<'_, f32>,
    regs: &[usize],
    progress: &dyn Progress,
) -> PairMatrix {
    pearson(rank_matrix(values).view(), regs, progress)
}

/// Partial correlation of every regulator with every gene given all other genes,
/// from the Ledoit-Wolf shrunk correlation matrix.
pub fn partial_correlation(
    values: ArrayView2<'_, f32>,
    regs: &[usize],
    progress: &dyn Progress,
) -> Result<PairMatrix, MiError> {
    let (g, n) = values.dim();
    // Standardised rows: x_i / sqrt(n) has unit norm, so X X^T is the correlation.
    let z = standardize(values);
    let zf = Mat::<f64>::from_fn(g, n, |i, s| f64::from(z[[i, s]]));
    progress.start("precision", 1);
    let cov = &zf * zf.transpose();
    // Ledoit-Wolf with the data scaled to unit variance (x = z sqrt(n)):
    // emp = cov, mu = trace / g, delta = ||emp - mu I||^2 / g,
    // beta = (sum_s ||x_s||^4 / n - ||emp||^2) / (g n), shrinkage = min(beta, delta) / delta
    // (scikit-learn's ledoit_wolf_shrinkage).
    let constant: Vec<bool> = (0..g).map(|i| cov[(i, i)] == 0.0).collect();
    let mu = (0..g).map(|i| cov[(i, i)]).sum::<f64>() / g as f64;
    let mut frob2 = 0.0;
    let mut dev2 = 0.0;
    for j in 0..g {
        for i in 0..g {
            let c = cov[(i, j)];
            frob2 += c * c;
            let d = if i == j { c - mu } else { c };
            dev2 += d * d;
        }
    }
    let nf = n as f64;
    let sample_fourth: f64 = (0..n)
        .map(|s| {
            let norm2: f64 = (0..g).map(|i| (zf[(i, s)] * nf.sqrt()).powi(2)).sum();
            norm2 * norm2
        })
        .sum::<f64>()
        / nf;
    let delta = dev2 / g as f64;
    let beta = ((sample_fourth - frob2) / (g as f64 * nf)).min(delta);
    let shrinkage = if delta > 0.0 {
        beta.max(0.0) / delta
    } else {
        1.0
    };
    let mut shrunk = Mat::<f64>::from_fn(g, g, |i, j| {
        let c = (1.0 - shrinkage) * cov[(i, j)];
        if i == j { c + shrinkage * mu } else { c }
    });
    // A constant gene has a zero row and column: give it a unit variance so the
    // matrix stays invertible; its partial correlations are then 0.
    for i in (0..g).filter(|&i| constant[i]) {
        shrunk[(i, i)] = 1.0;
    }
    let precision = shrunk
        .llt(Side::Lower)
        .map_err(|_| {
            MiError::Input(
                "the shrunk correlation matrix is not positive definite; are genes \
                 duplicated many times over?"
                    .into(),
            )
        })?
        .inverse();
    let mut out = PairMatrix::zeros(regs.to_vec(), g);
    out.values_mut()
        .as_slice_mut()
        .expect("standard layout")
        .par_chunks_mut(g.max(1))
        .zip(regs.par_iter())
        .for_each(|(row, &r)| {
            for j in 0..g {
                if j != r && !constant[r] && !constant[j] {
                    let p = -precision[(r, j)] / (precision[(r, r)] * precision[(j, j)]).sqrt();
                    row[j] = p.clamp(-1.0, 1.0) as f32;
                }
            }
        });
    progress.advance(1);
    Ok(out)
}

/// Standardised ranks of genes, made one gene at a time on first use, from which
/// the sign of an edge is read: the dot product of two genes' rows is their
/// Spearman correlation. Only regulators' rows are kept (a target's serve only its
/// own edges and are made again per call), so the cache holds 4 bytes x samples
/// per regulator with an edge, not per gene: 360 MB at 1,800 TFs x 50,000 cells,
/// where all genes' would take 4 GB at 20,000 genes. Every call must pass the
/// same `values`, the matrix the cache belongs to ([`crate::infer::Prepared`]
/// pairs them).
#[derive(Debug)]
pub struct SignRanks {
    rows: Vec<OnceLock<Box<[f32]>>>,
}

impl SignRanks {
    /// An empty cache for a matrix of `n_genes` genes.
    pub fn new(n_genes: usize) -> Self {
        SignRanks {
            rows: (0..n_genes).map(|_| OnceLock::new()).collect(),
        }
    }

    /// Ranks `genes` of `values` (genes x samples) now, in parallel, unless done.
    pub fn rank(&self, values: ArrayView2<'_, f32>, genes: &[usize]) {
        genes.par_iter().for_each(|&g| {
            self.row(values, g);
        });
    }

    fn row(&self, values: ArrayView2<'_, f32>, g: usize) -> &[f32] {
        self.rows[g].get_or_init(|| standard_rank_row(values.row(g)))
    }

    /// The sign of the Spearman correlation of each edge's regulator and target
    /// (`values` in the table's gene order). O(samples) per edge, plus O(samples
    /// log samples) per gene ranked.
    pub fn signs(&self, values: ArrayView2<'_, f32>, edges: &EdgeTable) -> Vec<Sign> {
        let mut regulators: Vec<usize> = (0..edges.len()).map(|i| edges.get(i).regulator).collect();
        regulators.sort_unstable();
        regulators.dedup();
        self.rank(values, &regulators);
        let mut by_target: Vec<(usize, usize)> =
            (0..edges.len()).map(|i| (edges.get(i).target, i)).collect();
        by_target.sort_unstable();
        let signed: Vec<(usize, Sign)> = by_target
            .par_chunk_by(|a, b| a.0 == b.0)
            .flat_map_iter(|group| {
                let t = group[0].0;
                let own;
                let target = match self.rows[t].get() {
                    Some(row) => row,
                    None => {
                        own = standard_rank_row(values.row(t));
                        &own
                    }
                };
                let sign = |&(_, i): &(usize, usize)| {
                    let reg = self.row(values, edges.get(i).regulator);
                    (i, Sign::of(dot(reg, target)))
                };
                group.iter().map(sign).collect::<Vec<_>>()
            })
            .collect();
        let mut signs = vec![Sign::Unknown; edges.len()];
        for (i, s) in signed {
            signs[i] = s;
        }
        signs
    }
}

/// A gene's average ranks, standardised as [`standardize`] does.
fn standard_rank_row(x: ArrayView1<'_, f32>) -> Box<[f32]> {
    let mut r = ranks(x);
    standardize_row(&mut r);
    r.into_boxed_slice()
}

/// A dot product in eight independent lanes, which the compiler vectorises.
fn dot(a: &[f32], b: &[f32]) -> f64 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    f64::from(acc.iter().sum::<f32>() + tail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mutual_info::testing::{bivariate, matrix};
    use std::sync::Arc;

    #[test]
    fn ranks_average_ties() {
        let x = ndarray::arr1(&[3.0f32, 1.0, 3.0, 2.0, 3.0]);
        assert_eq!(ranks(x.view()), [4.0, 1.0, 4.0, 2.0, 4.0]);
    }

    #[test]
    fn spearman_is_pearson_of_ranks_and_ignores_monotone_transforms() {
        let (x, y) = bivariate(200, 0.6, 1);
        let fy: Vec<f32> = y.iter().map(|v| v.exp()).collect();
        let m = matrix(&[x.clone(), y, fy, vec![1.0; 200]]);
        let s = spearman(m.view(), &[0, 1, 2, 3], &crate::Quiet);
        assert!((s.get(0, 1) - s.get(0, 2)).abs() < 1e-6);
        assert!((s.get(1, 2) - 1.0).abs() < 1e-6);
        assert_eq!(s.get(3, 0), 0.0);
        let p = pearson(m.view(), &[0, 1, 2, 3], &crate::Quiet);
        assert!((p.get(0, 1) - 0.6).abs() < 0.1);
        assert!(p.get(0, 2) < p.get(0, 1));
    }

    /// A chain x -> y -> w: x and w are correlated, but not given y.
    #[test]
    fn partial_correlation_removes_indirect_links() {
        let n = 3000;
        let (x, e1) = bivariate(n, 0.0, 1);
        let (e2, _) = bivariate(n, 0.0, 2);
        let y: Vec<f32> = x.iter().zip(&e1).map(|(a, b)| a + 0.5 * b).collect();
        let w: Vec<f32> = y.iter().zip(&e2).map(|(a, b)| a + 0.5 * b).collect();
        let m = matrix(&[x, y, w, vec![2.0; n]]);
        let pc = partial_correlation(m.view(), &[0, 1, 2, 3], &crate::Quiet).unwrap();
        let r = pearson(m.view(), &[0, 1, 2], &crate::Quiet);
        assert!(r.get(0, 2) > 0.7);
        assert!(pc.get(0, 2).abs() < 0.05, "{}", pc.get(0, 2));
        assert!(pc.get(0, 1) > 0.5 && pc.get(1, 2) > 0.5);
        assert_eq!(pc.get(0, 1), pc.get(1, 0));
        assert_eq!(pc.get(3, 0), 0.0);
    }

    #[test]
    fn partial_correlation_exists_with_more_genes_than_samples() {
        let rows: Vec<Vec<f32>> = (0..40).map(|s| bivariate(10, 0.3, s).1).collect();
        let m = matrix(&rows);
        let regs: Vec<usize> = (0..40).collect();
        let pc = partial_correlation(m.view(), &regs, &crate::Quiet).unwrap();
        assert!(pc.values().iter().all(|v| v.is_finite() && v.abs() <= 1.0));
    }

    #[test]
    fn signs_follow_rank_correlation() {
        let a = vec![1.0f32, 2.0, 3.0, 4.0];
        let b = vec![2.0f32, 4.0, 5.0, 9.0];
        let c = vec![9.0f32, 3.0, 2.0, 1.0];
        let m = matrix(&[a, b, c, vec![1.0; 4]]);
        let genes: Arc<[String]> = ["a", "b", "c", "d"].map(String::from).into();
        let mut t = EdgeTable::new(genes, false);
        t.push(0, 1, 1.0, Sign::Unknown);
        t.push(0, 2, 1.0, Sign::Unknown);
        t.push(3, 2, 1.0, Sign::Unknown);
        let ranks = SignRanks::new(4);
        let signs = [Sign::Activation, Sign::Repression, Sign::Unknown];
        assert_eq!(ranks.signs(m.view(), &t), signs);
        // Again with a cache that has every gene: the same signs.
        ranks.rank(m.view(), &[0, 1, 2, 3]);
        assert_eq!(ranks.signs(m.view(), &t), signs);
    }
}
