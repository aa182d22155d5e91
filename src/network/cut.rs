//! [`Cut`]: which edges of a ranked prediction make up the network.
//!
//! Inference methods score every candidate pair, so a usable network is a cut of the
//! ranked list. The usual cuts are offered and composed in a fixed order: first the
//! filters (minimum score, TF-only regulators), then the best `per_target` regulators
//! of every target (the "top K regulators per target" modules of SCENIC, Aibar et al.
//! 2017), then the `top` edges overall. Ties at any boundary are broken by regulator
//! name, then target name, as in [`EdgeTable::sort_by_score`](super::EdgeTable), so a
//! cut never depends on input order. Cost: O(E log E) for the sort.
//!
//! ```
//! use grn::network::Cut;
//! let cut = Cut { top: Some(1000), per_target: Some(10), ..Cut::default() };
//! assert!(cut.validate(false).is_ok());
//! ```

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hasher};

use rayon::prelude::*;

/// Which edges to keep. The default keeps every edge: no threshold is principled
/// for every method and data set, so cuts are the user's explicit choice.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cut {
    /// Keep the `top` highest-scoring edges overall (applied last).
    pub top: Option<usize>,
    /// Keep the `per_target` highest-scoring regulators of every target.
    pub per_target: Option<usize>,
    /// Keep edges scoring at least this.
    pub min_score: Option<f64>,
    /// Keep only edges whose regulator is a TF.
    pub tf_only: bool,
}

/// A cut parameter is out of range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CutError {
    /// `top` or `per_target` is zero.
    #[error("{0} must be at least 1 (it is a number of edges to keep)")]
    Zero(&'static str),
    /// `min_score` is NaN.
    #[error("the minimum score must be a number, not NaN")]
    NanScore,
    /// `tf_only` without any way to tell TFs.
    #[error(
        "keeping only TF regulators needs a list of TFs (`tfs` FILE): the network file does \
         not say which genes are TFs"
    )]
    NoTfs,
}

impl Cut {
    /// Checks the parameters; `knows_tfs` says whether TFs can be told apart (a TF
    /// list was given, or the network records them).
    pub fn validate(&self, knows_tfs: bool) -> Result<(), CutError> {
        if self.top == Some(0) {
            return Err(CutError::Zero("top"));
        }
        if self.per_target == Some(0) {
            return Err(CutError::Zero("per-target"));
        }
        if self.min_score.is_some_and(f64::is_nan) {
            return Err(CutError::NanScore);
        }
        if self.tf_only && !knows_tfs {
            return Err(CutError::NoTfs);
        }
        Ok(())
    }

    /// True when the cut keeps every edge.
    pub fn is_none(&self) -> bool {
        *self == Cut::default()
    }

    /// Indices (in `0..n`) of the edges that pass, in rank order. Edges are given by
    /// their score and (regulator, target) gene ids; `name` and `is_tf` describe a
    /// gene id. Edges with a NaN score are dropped, and a pair listed twice keeps its
    /// best edge.
    pub(crate) fn select<'a>(
        &self,
        n: usize,
        score: impl Fn(usize) -> f64 + Sync,
        ends: impl Fn(usize) -> (usize, usize) + Sync,
        name: impl Fn(usize) -> &'a str + Sync,
        is_tf: impl Fn(usize) -> bool,
    ) -> Vec<usize> {
        // (score, index) pairs sorted in place: the score comparison, which decides
        // almost every pair, reads contiguous memory. The index is the last key, so
        // the order is total and any sort (here a parallel one) gives the same result.
        // Signed scores (correlations, signed weights of other tools) rank by
        // strength, |score|, as `infer` ranks its signed methods: a strong repression
        // is as confident an edge as a strong activation.
        let signed = (0..n).any(|i| score(i) < 0.0);
        let mut order: Vec<(f64, usize)> = (0..n)
            .filter_map(|i| {
                let s = score(i);
                let keep = !s.is_nan()
                    && self.min_score.is_none_or(|m| s >= m)
                    && (!self.tf_only || is_tf(ends(i).0));
                keep.then_some((if signed { s.abs() } else { s }, i))
            })
            .collect();
        order.par_sort_unstable_by(|&(sa, a), &(sb, b)| {
            sb.total_cmp(&sa)
                .then_with(|| {
                    let ((ra, ta), (rb, tb)) = (ends(a), ends(b));
                    name(ra).cmp(name(rb)).then_with(|| name(ta).cmp(name(tb)))
                })
                .then(a.cmp(&b))
        });
        let mut order: Vec<usize> = order.into_iter().map(|(_, i)| i).collect();
        let mut seen: HashSet<(usize, usize), BuildPairHasher> =
            HashSet::with_capacity_and_hasher(order.len(), BuildPairHasher);
        order.retain(|&i| seen.insert(ends(i)));
        if let Some(k) = self.per_target {
            let mut count: HashMap<usize, usize> = HashMap::new();
            order.retain(|&i| {
                let c = count.entry(ends(i).1).or_insert(0);
                *c += 1;
                *c <= k
            });
        }
        if let Some(top) = self.top {
            order.truncate(top);
        }
        order
    }
}

/// Hashes a (regulator, target) pair of small integers: a multiply-xorshift mix
/// (SplitMix64's finaliser) instead of SipHash, whose protection against chosen
/// keys is not needed for gene ids and costs a third of the cut's time.
#[derive(Clone, Copy, Default)]
struct BuildPairHasher;

#[derive(Default)]
struct PairHasher(u64);

impl BuildHasher for BuildPairHasher {
    type Hasher = PairHasher;
    fn build_hasher(&self) -> PairHasher {
        PairHasher(0)
    }
}

impl Hasher for PairHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }
    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }
    fn write_u64(&mut self, x: u64) {
        let mut z = (self.0 ^ x).wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        self.0 = z ^ (z >> 31);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Genes 0..4 named "g0".."g3"; gene 0 and 1 are TFs.
    const EDGES: [(usize, usize, f64); 6] = [
        (0, 2, 0.5),
        (1, 2, 0.9),
        (0, 3, 0.5),
        (2, 3, 0.7),
        (1, 3, f64::NAN),
        (1, 2, 0.1),
    ];
    const NAMES: [&str; 4] = ["g0", "g1", "g2", "g3"];

    fn run(cut: &Cut) -> Vec<usize> {
        cut.select(
            EDGES.len(),
            |i| EDGES[i].2,
            |i| (EDGES[i].0, EDGES[i].1),
            |g| NAMES[g],
            |g| g < 2,
        )
    }

    #[test]
    fn ranks_dedups_and_drops_nan() {
        // 0.9, 0.7, then the 0.5 tie by target name (g2 before g3); the duplicate
        // 1->2 at 0.1 and the NaN edge are gone.
        assert_eq!(run(&Cut::default()), [1, 3, 0, 2]);
    }

    #[test]
    fn cuts_compose_in_order() {
        let per_target = Cut {
            per_target: Some(1),
            ..Cut::default()
        };
        assert_eq!(run(&per_target), [1, 3]);
        let tf_top = Cut {
            tf_only: true,
            top: Some(2),
            ..Cut::default()
        };
        assert_eq!(run(&tf_top), [1, 0]);
        let min = Cut {
            min_score: Some(0.6),
            ..Cut::default()
        };
        assert_eq!(run(&min), [1, 3]);
    }

    #[test]
    fn validation() {
        let zero = Cut {
            top: Some(0),
            ..Cut::default()
        };
        assert_eq!(zero.validate(true), Err(CutError::Zero("top")));
        let tf = Cut {
            tf_only: true,
            ..Cut::default()
        };
        assert_eq!(tf.validate(false), Err(CutError::NoTfs));
        assert!(tf.validate(true).is_ok());
    }
}
