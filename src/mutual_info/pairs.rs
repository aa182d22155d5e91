//! [`PairMatrix`]: dense regulator x gene scores, and the drivers that fill it.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::Arc;

use ndarray::{Array2, ArrayView1};
use rayon::prelude::*;

use crate::Progress;
use crate::network::{EdgeTable, Sign};

const NO_ROW: u32 = u32::MAX;

/// Scores of regulator -> gene pairs: one `f32` row per regulator (in increasing
/// gene order), one column per gene. A gene's score with itself is 0.
#[derive(Debug, Clone)]
pub struct PairMatrix {
    regs: Vec<usize>,
    row_of: Vec<u32>,
    values: Array2<f32>,
}

impl PairMatrix {
    /// All-zero scores for these regulators (sorted, unique gene indices) over
    /// `n_genes` genes.
    pub fn zeros(regs: Vec<usize>, n_genes: usize) -> Self {
        debug_assert!(regs.windows(2).all(|w| w[0] < w[1]));
        debug_assert!(regs.last().is_none_or(|&r| r < n_genes));
        let mut row_of = vec![NO_ROW; n_genes];
        for (k, &r) in regs.iter().enumerate() {
            row_of[r] = k as u32;
        }
        let values = Array2::zeros((regs.len(), n_genes));
        PairMatrix {
            regs,
            row_of,
            values,
        }
    }

    /// Regulator gene indices, one per row.
    pub fn regulators(&self) -> &[usize] {
        &self.regs
    }

    /// Number of genes (columns).
    pub fn n_genes(&self) -> usize {
        self.row_of.len()
    }

    /// The row of gene `gene` when it is a regulator.
    pub fn row_of(&self, gene: usize) -> Option<usize> {
        let r = self.row_of[gene];
        (r != NO_ROW).then_some(r as usize)
    }

    /// Row `row` (regulator `regulators()[row]`) over all genes.
    pub fn row(&self, row: usize) -> ArrayView1<'_, f32> {
        self.values.row(row)
    }

    /// The score of regulator gene `regulator` with gene `target`.
    ///
    /// # Panics
    /// When `regulator` is not a regulator.
    pub fn get(&self, regulator: usize, target: usize) -> f32 {
        let row = self.row_of(regulator).expect("a regulator");
        self.values[[row, target]]
    }

    /// The score of the pair in the direction available (`i` -> `j` first), `None`
    /// when neither gene is a regulator.
    pub fn pair(&self, i: usize, j: usize) -> Option<f32> {
        match (self.row_of(i), self.row_of(j)) {
            (Some(r), _) => Some(self.values[[r, j]]),
            (None, Some(r)) => Some(self.values[[r, i]]),
            (None, None) => None,
        }
    }

    /// Every score, regulators x genes.
    pub fn values(&self) -> &Array2<f32> {
        &self.values
    }

    /// Every score, mutable.
    pub fn values_mut(&mut self) -> &mut Array2<f32> {
        &mut self.values
    }

    /// Copies the score of every regulator pair `(a, b)`, `a < b`, from row `a` to
    /// row `b`, so that symmetric scorers compute each such pair once.
    pub(crate) fn mirror_regulator_pairs(&mut self) {
        for (rb, &b) in self.regs.iter().enumerate() {
            for (ra, &a) in self.regs[..rb].iter().enumerate() {
                self.values[[rb, a]] = self.values[[ra, b]];
            }
        }
    }

    /// Fills every pair that a symmetric scorer must compute: for each regulator row
    /// the genes other than itself and other than regulators before it (those are
    /// mirrored afterwards). `score(scratch, regulator, gene)` runs in parallel over
    /// rows, each worker with its own scratch from `init`.
    pub(crate) fn fill_symmetric<S>(
        regs: Vec<usize>,
        n_genes: usize,
        progress: &dyn Progress,
        init: impl Fn() -> S + Sync + Send,
        score: impl Fn(&mut S, usize, usize) -> f32 + Sync + Send,
    ) -> PairMatrix {
        let mut m = PairMatrix::zeros(regs, n_genes);
        progress.start("pairs", m.regs.len() as u64);
        let regs = m.regs.clone();
        let row_of = m.row_of.clone();
        m.values
            .as_slice_mut()
            .expect("standard layout")
            .par_chunks_mut(n_genes.max(1))
            .zip(regs.par_iter())
            .for_each_init(&init, |scratch, (row, &r)| {
                for g in 0..n_genes {
                    if g != r && !(row_of[g] != NO_ROW && g < r) {
                        row[g] = score(scratch, r, g);
                    }
                }
                progress.advance(1);
            });
        m.mirror_regulator_pairs();
        m
    }

    /// The edges `regulator -> gene` with a positive score, unsorted, as an
    /// unsigned [`EdgeTable`] over `genes`. With `top`, only the `top` best edges
    /// (in [`EdgeTable::sort_by_score`] order) are kept, through a bounded heap, so
    /// memory stays O(top) whatever the matrix size.
    pub fn edges(&self, genes: &Arc<[String]>, top: Option<usize>) -> EdgeTable {
        self.edges_with(genes, top, false)
    }

    /// As [`PairMatrix::edges`] for signed scores (correlations): each edge is
    /// scored by the absolute value and signed by the sign.
    pub fn signed_edges(&self, genes: &Arc<[String]>, top: Option<usize>) -> EdgeTable {
        self.edges_with(genes, top, true)
    }

    fn edges_with(&self, genes: &Arc<[String]>, top: Option<usize>, signed: bool) -> EdgeTable {
        assert_eq!(genes.len(), self.n_genes(), "one name per gene");
        let score_sign = |v: f32| {
            if signed {
                (v.abs(), Sign::of(f64::from(v)))
            } else {
                (v, Sign::Unknown)
            }
        };
        let mut table = EdgeTable::new(genes.clone(), signed);
        let mut push = |r: usize, g: usize, v: f32| {
            let (score, sign) = score_sign(v);
            table.push(r, g, short_f64(score), sign);
        };
        let pairs = self.regs.iter().enumerate().flat_map(|(row, &r)| {
            (0..self.n_genes()).filter_map(move |g| {
                let v = self.values[[row, g]];
                (g != r).then_some((r, g, v))
            })
        });
        match top {
            None => {
                for (r, g, v) in pairs {
                    if score_sign(v).0 > 0.0 {
                        push(r, g, v);
                    }
                }
            }
            Some(top) => {
                // Name ranks reproduce sort_by_score's tie order without touching strings.
                let mut order: Vec<usize> = (0..genes.len()).collect();
                order.sort_unstable_by(|&a, &b| genes[a].cmp(&genes[b]));
                let mut name_rank = vec![0u32; genes.len()];
                for (k, &g) in order.iter().enumerate() {
                    name_rank[g] = k as u32;
                }
                let mut heap: BinaryHeap<Worse> = BinaryHeap::with_capacity(top + 1);
                for (r, g, v) in pairs {
                    let score = score_sign(v).0;
                    if score <= 0.0 || top == 0 {
                        continue;
                    }
                    if heap.len() == top && score < heap.peek().expect("full").score {
                        continue;
                    }
                    heap.push(Worse {
                        score,
                        reg_rank: name_rank[r],
                        target_rank: name_rank[g],
                        value: v,
                        regulator: r as u32,
                        target: g as u32,
                    });
                    if heap.len() > top {
                        heap.pop();
                    }
                }
                for c in heap.into_sorted_vec() {
                    push(c.regulator as usize, c.target as usize, c.value);
                }
            }
        }
        table
    }
}

/// The `f64` whose shortest decimal form is that of the `f32` score, so tables print
/// `0.25` rather than `0.25000000372529`. Monotone, so rankings are unchanged.
fn short_f64(v: f32) -> f64 {
    v.to_string().parse().expect("a float prints as a float")
}

/// A heap entry ordered so that the greatest is the worst edge (lowest score, then
/// the last in name order), which the bounded heap evicts first.
#[derive(Debug, Clone, Copy)]
struct Worse {
    score: f32,
    reg_rank: u32,
    target_rank: u32,
    value: f32,
    regulator: u32,
    target: u32,
}

impl Ord for Worse {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .score
            .total_cmp(&self.score)
            .then(self.reg_rank.cmp(&other.reg_rank))
            .then(self.target_rank.cmp(&other.target_rank))
    }
}

impl PartialOrd for Worse {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Worse {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Worse {}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Arc<[String]> {
        (0..n).map(|i| format!("g{i}")).collect::<Vec<_>>().into()
    }

    #[test]
    fn symmetric_fill_computes_each_pair_once_and_mirrors() {
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let m = PairMatrix::fill_symmetric(
            vec![0, 2, 3],
            5,
            &crate::Quiet,
            || (),
            |_, a, b| {
                calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                (a * 10 + b) as f32
            },
        );
        // 3 regulator pairs once each, plus 3 x 2 pairs with non-regulators.
        assert_eq!(calls.into_inner(), 3 + 6);
        assert_eq!(m.get(0, 2), 2.0);
        assert_eq!(m.get(2, 0), 2.0);
        assert_eq!(m.get(3, 2), 23.0);
        assert_eq!(m.get(2, 4), 24.0);
        assert_eq!(m.get(3, 3), 0.0);
        assert_eq!(m.pair(1, 0), Some(1.0));
        assert_eq!(m.pair(1, 4), None);
    }

    #[test]
    fn top_edges_match_full_sort() {
        let mut m = PairMatrix::zeros(vec![0, 1, 2, 3], 6);
        let vals = [0.5f32, 0.1, 0.5, 0.0, 0.9, 0.5, 0.2, 0.3];
        for (k, v) in m.values_mut().iter_mut().enumerate() {
            *v = vals[k % vals.len()];
        }
        let genes = names(6);
        let mut all = m.edges(&genes, None);
        all.sort_by_score();
        assert!(all.iter().all(|e| e.score > 0.0 && e.regulator != e.target));
        for top in [0, 1, 3, 7, 100] {
            let mut t = m.edges(&genes, Some(top));
            t.sort_by_score();
            let mut want = all.clone();
            want.truncate(top);
            assert_eq!(
                t.iter().collect::<Vec<_>>(),
                want.iter().collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn signed_edges_take_sign_from_value() {
        let mut m = PairMatrix::zeros(vec![0, 1], 2);
        m.values_mut()[[0, 1]] = -0.5;
        m.values_mut()[[1, 0]] = -0.5;
        let t = m.signed_edges(&names(2), None);
        assert!(t.is_signed());
        assert_eq!(t.len(), 2);
        assert!(
            t.iter()
                .all(|e| e.sign == Sign::Repression && e.score == 0.5)
        );
    }
}
