//! Growing one regression tree on binned features, and the stored tree used for
//! prediction.
//!
//! A node's split search histograms the node's (weighted) target sums per bin of
//! each candidate feature: O(m) per feature for a node of m samples, with no sort.
//! Three paths, chosen by node size only (they find the same splits up to float
//! rounding): two or three samples are split directly; sparse nodes scan only the
//! occupied bins, found from a 256-bit mask; large nodes scan every bin of eight
//! features at once ([`super::dense`]).

use rand::Rng;

use super::binned::{BinnedMatrix, MAX_BINS, Rest, cut_value};
use super::dense::{self, LANES, LaneHist, NodeTotals, Packed, SparseLane};
use super::params::{SplitRule, TreeParams};
use super::sum_over;

/// Splits whose variance reduction is below this fraction of the node weight are
/// rounding noise (targets are scaled to unit variance), so the node becomes a leaf.
const MIN_RELATIVE_GAIN: f64 = 1e-12;

/// The candidate regulators of one target: their codes and bin ranges, in a local
/// order (feature `f` is `genes[f]`).
pub(crate) struct FeatureSet<'a> {
    pub genes: Vec<usize>,
    pub codes: Vec<&'a [u8]>,
    pub lower: Vec<&'a [f32]>,
    pub upper: Vec<&'a [f32]>,
    /// The samples outside each feature's mode bin, for sparse features.
    pub rest: Vec<Option<&'a Rest>>,
    /// Most bins of any feature.
    pub max_bins: usize,
    /// Cumulative sampling weights of the features (iRafNet's prior-weighted
    /// candidates); `None` draws candidates uniformly.
    pub cumulative: Option<Vec<f64>>,
}

impl<'a> FeatureSet<'a> {
    pub fn new(binned: &'a BinnedMatrix, genes: Vec<usize>) -> Self {
        FeatureSet {
            codes: genes.iter().map(|&g| binned.codes(g)).collect(),
            lower: genes.iter().map(|&g| binned.lower(g)).collect(),
            upper: genes.iter().map(|&g| binned.upper(g)).collect(),
            rest: genes.iter().map(|&g| binned.rest(g)).collect(),
            max_bins: genes.iter().map(|&g| binned.n_bins(g)).max().unwrap_or(0),
            genes,
            cumulative: None,
        }
    }

    /// Draws candidate features with probability proportional to `weights` (one
    /// per feature, each positive and finite) instead of uniformly.
    pub fn with_weights(mut self, weights: &[f64]) -> Self {
        assert_eq!(weights.len(), self.genes.len(), "one weight per feature");
        assert!(
            weights.iter().all(|w| w.is_finite() && *w > 0.0),
            "sampling weights must be positive"
        );
        let mut total = 0.0;
        self.cumulative = Some(
            weights
                .iter()
                .map(|w| {
                    total += w;
                    total
                })
                .collect(),
        );
        self
    }

    pub fn len(&self) -> usize {
        self.genes.len()
    }
}

/// A node of a stored tree. Leaves have `feature == LEAF`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Node {
    /// Local feature index, or [`LEAF`].
    pub feature: u32,
    /// Samples with `value <= threshold` go left.
    pub threshold: f32,
    /// Child indices.
    pub left: u32,
    /// Child indices.
    pub right: u32,
    /// Prediction at a leaf.
    pub value: f32,
}

/// Marks a leaf in [`Node::feature`].
pub const LEAF: u32 = u32::MAX;

/// A fitted regression tree over a target's local features.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tree {
    nodes: Vec<Node>,
}

impl Tree {
    /// Predicts from one sample's values of the local features.
    pub fn predict(&self, x: &[f32]) -> f32 {
        let mut i = 0usize;
        loop {
            let n = self.nodes[i];
            if n.feature == LEAF {
                return n.value;
            }
            i = if x[n.feature as usize] <= n.threshold {
                n.left
            } else {
                n.right
            } as usize;
        }
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True for an empty (unfitted) tree.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The nodes, root first.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// A tree from stored nodes (as [`Tree::nodes`] gives them), checked: every
    /// internal node's children come after it and exist, and its feature is one of
    /// the `n_features`, so prediction can neither loop nor index out of range.
    pub fn from_nodes(nodes: Vec<Node>, n_features: usize) -> Result<Self, String> {
        if nodes.is_empty() {
            return Err("a tree has no nodes".into());
        }
        for (i, n) in nodes.iter().enumerate() {
            if n.feature == LEAF {
                if !n.value.is_finite() {
                    return Err(format!("leaf {i} has value {}", n.value));
                }
                continue;
            }
            if n.feature as usize >= n_features {
                return Err(format!(
                    "node {i} splits on feature {} of {n_features}",
                    n.feature
                ));
            }
            let ok = |c: u32| (c as usize) > i && (c as usize) < nodes.len();
            if !ok(n.left) || !ok(n.right) || n.threshold.is_nan() {
                return Err(format!(
                    "node {i} has children {} and {} (of {} nodes) or no threshold",
                    n.left,
                    n.right,
                    nodes.len()
                ));
            }
        }
        Ok(Tree { nodes })
    }
}

struct Pending {
    node: u32,
    lo: usize,
    hi: usize,
    oob_lo: usize,
    oob_hi: usize,
    depth: usize,
    sum: f64,
    weight: u32,
}

#[derive(Clone, Copy)]
struct Split {
    feature: usize,
    code: u8,
    /// SL^2/WL + SR^2/WR: larger is a better split.
    proxy: f64,
    left_sum: f64,
    left_weight: u32,
}

/// The training data of one tree: per-sample weight (bootstrap multiplicity) and
/// weight x target.
pub(crate) struct Weighted<'a> {
    pub wy: &'a [f64],
    pub w: &'a [u32],
}

/// Reusable scratch space for growing trees.
pub(crate) struct Grower {
    hist: Vec<(f64, u32)>,
    lane_hist: Box<LaneHist>,
    packed: Packed,
    /// `inv[k] = 1 / k`: weights are whole counts, so split scores need no division.
    inv: Vec<f64>,
    order: Vec<u32>,
    scratch: Vec<u32>,
    stack: Vec<Pending>,
    marks: Marks,
}

/// Which features the current node has drawn, for weighted draws: feature `f` was
/// drawn when `stamp[f] == node`.
#[derive(Default)]
struct Marks {
    stamp: Vec<u32>,
    node: u32,
}

impl Grower {
    pub fn new(n_features: usize) -> Self {
        Grower {
            hist: vec![(0.0, 0); MAX_BINS],
            lane_hist: Box::new([[0.0; LANES]; MAX_BINS]),
            packed: Packed::default(),
            inv: Vec::new(),
            order: (0..n_features as u32).collect(),
            scratch: Vec::new(),
            stack: Vec::new(),
            marks: Marks::default(),
        }
    }

    /// Grows one tree on the in-bag samples `inbag` (unique indices, reordered in
    /// place), routing the out-of-bag samples `oob` alongside. Adds each feature's
    /// weighted variance reduction to `importances`, calls `on_leaf(inbag, oob, value)`
    /// for every leaf, and records the tree in `record` when given.
    #[allow(clippy::too_many_arguments)]
    pub fn grow<R: Rng>(
        &mut self,
        x: &FeatureSet<'_>,
        data: &Weighted<'_>,
        inbag: &mut [u32],
        oob: &mut [u32],
        params: &TreeParams,
        rng: &mut R,
        importances: &mut [f64],
        mut on_leaf: impl FnMut(&[u32], &[u32], f64),
        mut record: Option<&mut Tree>,
    ) {
        let k = params.max_features.resolve(x.len());
        let min_leaf = params.min_samples_leaf as u32;
        let sum = sum_over(inbag, |i| data.wy[i]);
        let weight: u32 = inbag.iter().map(|&i| data.w[i as usize]).sum();
        if self.inv.len() <= weight as usize {
            self.inv = (0..=weight).map(|k| 1.0 / k.max(1) as f64).collect();
        }
        if params.split == SplitRule::Best && is_dense(inbag.len(), x.max_bins) {
            self.packed.fill(inbag, data.wy, data.w);
        }
        if let Some(t) = record.as_deref_mut() {
            t.nodes.clear();
            t.nodes.push(leaf_node(0.0));
        }
        self.stack.clear();
        self.stack.push(Pending {
            node: 0,
            lo: 0,
            hi: inbag.len(),
            oob_lo: 0,
            oob_hi: oob.len(),
            depth: 0,
            sum,
            weight,
        });
        while let Some(p) = self.stack.pop() {
            let value = p.sum * self.inv[p.weight as usize];
            let can_split = p.hi - p.lo >= 2
                && p.weight >= 2 * min_leaf
                && params.max_depth.is_none_or(|d| p.depth < d);
            let split = if can_split {
                self.find_split(
                    x,
                    data,
                    &inbag[p.lo..p.hi],
                    params.split,
                    k,
                    min_leaf,
                    &p,
                    rng,
                )
            } else {
                None
            };
            let parent_proxy = p.sum * p.sum * self.inv[p.weight as usize];
            let split =
                split.filter(|s| s.proxy - parent_proxy > MIN_RELATIVE_GAIN * p.weight as f64);
            let Some(s) = split else {
                on_leaf(&inbag[p.lo..p.hi], &oob[p.oob_lo..p.oob_hi], value);
                if let Some(t) = record.as_deref_mut() {
                    t.nodes[p.node as usize] = leaf_node(value);
                }
                continue;
            };
            importances[s.feature] += s.proxy - parent_proxy;
            let codes = x.codes[s.feature];
            let goes_left = |i: u32| codes[i as usize] <= s.code;
            let mid = p.lo + stable_partition(&mut inbag[p.lo..p.hi], &mut self.scratch, goes_left);
            let oob_mid = p.oob_lo
                + stable_partition(&mut oob[p.oob_lo..p.oob_hi], &mut self.scratch, goes_left);
            let (left, right) = match record.as_deref_mut() {
                Some(t) => {
                    let l = t.nodes.len() as u32;
                    t.nodes.push(leaf_node(0.0));
                    t.nodes.push(leaf_node(0.0));
                    t.nodes[p.node as usize] = Node {
                        feature: s.feature as u32,
                        threshold: cut_value(x.lower[s.feature], x.upper[s.feature], s.code),
                        left: l,
                        right: l + 1,
                        value: value as f32,
                    };
                    (l, l + 1)
                }
                None => (0, 0),
            };
            self.stack.push(Pending {
                node: right,
                lo: mid,
                hi: p.hi,
                oob_lo: oob_mid,
                oob_hi: p.oob_hi,
                depth: p.depth + 1,
                sum: p.sum - s.left_sum,
                weight: p.weight - s.left_weight,
            });
            self.stack.push(Pending {
                node: left,
                lo: p.lo,
                hi: mid,
                oob_lo: p.oob_lo,
                oob_hi: oob_mid,
                depth: p.depth + 1,
                sum: s.left_sum,
                weight: s.left_weight,
            });
        }
    }

    /// Draws candidate features without replacement until `k` non-constant ones have
    /// been evaluated (constant ones do not count, as in scikit-learn), and returns
    /// the best split among them.
    #[allow(clippy::too_many_arguments)]
    fn find_split<R: Rng>(
        &mut self,
        x: &FeatureSet<'_>,
        data: &Weighted<'_>,
        idx: &[u32],
        rule: SplitRule,
        k: usize,
        min_leaf: u32,
        node: &Pending,
        rng: &mut R,
    ) -> Option<Split> {
        let p = self.order.len();
        let scan = NodeScan {
            data,
            inv: &self.inv,
            sum: node.sum,
            weight: node.weight,
            min_leaf,
        };
        if let ([a, b], SplitRule::Best) = (idx, rule) {
            return self.split_pair(x, data, [*a as usize, *b as usize], min_leaf, rng);
        }
        if rule == SplitRule::Best && is_dense(idx.len(), x.max_bins) {
            return self.find_split_dense(x, idx, k, min_leaf, node, rng);
        }
        let mut best: Option<Split> = None;
        let mut evaluated = 0;
        let mut i = 0;
        while i < p && evaluated < k {
            let f = draw(x, &mut self.order, &mut self.marks, i, rng);
            i += 1;
            let candidate = match rule {
                SplitRule::Best => best_threshold(x.codes[f], idx, &mut self.hist, &scan),
                SplitRule::Random => {
                    random_threshold(x.codes[f], x.lower[f], x.upper[f], idx, &scan, rng)
                }
            };
            let Some(candidate) = candidate else {
                continue;
            };
            evaluated += 1;
            keep_better(&mut best, f, candidate);
        }
        best
    }

    /// [`Grower::find_split`] for large nodes: the same features drawn in the same
    /// order, scanned [`LANES`] at a time.
    #[allow(clippy::too_many_arguments)]
    fn find_split_dense<R: Rng>(
        &mut self,
        x: &FeatureSet<'_>,
        idx: &[u32],
        k: usize,
        min_leaf: u32,
        node: &Pending,
        rng: &mut R,
    ) -> Option<Split> {
        let p = self.order.len();
        let totals = NodeTotals {
            sum: node.sum,
            weight: node.weight,
            min_leaf,
        };
        let mut best: Option<Split> = None;
        let mut evaluated = 0;
        let mut i = 0;
        let mut masked = false;
        while i < p && evaluated < k {
            let want = (k - evaluated).min(LANES).min(p - i);
            let mut batch = [0usize; LANES];
            for slot in batch.iter_mut().take(want) {
                *slot = draw(x, &mut self.order, &mut self.marks, i, rng);
                i += 1;
            }
            let n_bins = batch[..want]
                .iter()
                .map(|&f| x.lower[f].len())
                .max()
                .unwrap_or(0);
            // Dense lanes first, then sparse ones: draw b is `slot[b]` = (sparse?,
            // index within its group).
            let mut codes = [&[][..]; LANES];
            let mut sparse: [SparseLane<'_>; LANES] = Default::default();
            let (mut n_dense, mut n_sparse) = (0, 0);
            let mut slot = [(false, 0usize); LANES];
            for (b, &f) in batch[..want].iter().enumerate() {
                match x.rest[f].filter(|r| r.samples.len() < idx.len()) {
                    Some(rest) => {
                        slot[b] = (true, n_sparse);
                        sparse[n_sparse] = SparseLane {
                            codes: x.codes[f],
                            mode: rest.mode,
                            samples: &rest.samples,
                        };
                        n_sparse += 1;
                    }
                    None => {
                        slot[b] = (false, n_dense);
                        codes[n_dense] = x.codes[f];
                        n_dense += 1;
                    }
                }
            }
            if n_sparse > 0 && !masked {
                self.packed.mask(idx);
                masked = true;
            }
            let results = dense::best_thresholds(
                &codes[..n_dense],
                &sparse[..n_sparse],
                n_bins,
                idx,
                &self.packed,
                &mut self.lane_hist,
                &totals,
            );
            for b in 0..want {
                let (is_sparse, j) = slot[b];
                let Some(candidate) = results[if is_sparse { n_dense + j } else { j }] else {
                    continue;
                };
                evaluated += 1;
                keep_better(&mut best, batch[b], candidate);
            }
        }
        if masked {
            self.packed.unmask(idx);
        }
        best
    }

    /// A node of two distinct samples has one possible split, equally good on every
    /// feature that separates them, so the first such feature drawn takes it (ties
    /// go to the earlier draw in the general search too). Deep trees have many such
    /// nodes; this skips their histograms.
    fn split_pair<R: Rng>(
        &mut self,
        x: &FeatureSet<'_>,
        data: &Weighted<'_>,
        [a, b]: [usize; 2],
        min_leaf: u32,
        rng: &mut R,
    ) -> Option<Split> {
        if data.w[a] < min_leaf || data.w[b] < min_leaf {
            return None;
        }
        let p = self.order.len();
        for i in 0..p {
            let f = draw(x, &mut self.order, &mut self.marks, i, rng);
            let (ca, cb) = (x.codes[f][a], x.codes[f][b]);
            if ca == cb {
                continue;
            }
            let (left, right) = if ca < cb { (a, b) } else { (b, a) };
            let (ls, rs) = (data.wy[left], data.wy[right]);
            let (lw, rw) = (data.w[left], data.w[right]);
            return Some(Split {
                feature: f,
                code: ca.min(cb),
                proxy: ls * ls * self.inv[lw as usize] + rs * rs * self.inv[rw as usize],
                left_sum: ls,
                left_weight: lw,
            });
        }
        None
    }
}

/// Replaces `best` by feature `feature`'s best threshold when that scores higher
/// (ties keep the earlier draw).
fn keep_better(best: &mut Option<Split>, feature: usize, candidate: Candidate) {
    if let Some((code, proxy, left_sum, left_weight)) = candidate
        && best.is_none_or(|b| proxy > b.proxy)
    {
        *best = Some(Split {
            feature,
            code,
            proxy,
            left_sum,
            left_weight,
        });
    }
}

/// The `i`-th feature drawn without replacement at a node: uniformly, or with
/// probability proportional to the feature set's weights.
fn draw<R: Rng>(
    x: &FeatureSet<'_>,
    order: &mut [u32],
    marks: &mut Marks,
    i: usize,
    rng: &mut R,
) -> usize {
    match &x.cumulative {
        None => draw_uniform(order, i, rng),
        Some(cumulative) => draw_weighted(cumulative, marks, i, rng),
    }
}

/// A step of Fisher-Yates on the grower's persistent feature order, whose first `i`
/// positions hold this node's earlier draws.
fn draw_uniform<R: Rng>(order: &mut [u32], i: usize, rng: &mut R) -> usize {
    let j = rng.random_range(i..order.len());
    order.swap(i, j);
    order[i] as usize
}

/// Consecutive rejections after which a weighted draw scans the undrawn features.
const MAX_REJECTIONS: usize = 16;

/// A weighted draw without replacement: a feature is drawn from the cumulative
/// weights by bisection, O(log p), and drawn again when this node already has it.
/// Nodes draw few of the p features, so rejections are rare; when the drawn ones
/// hold most of the weight, a linear scan of the rest (O(p)) bounds the cost.
fn draw_weighted<R: Rng>(cumulative: &[f64], marks: &mut Marks, i: usize, rng: &mut R) -> usize {
    let p = cumulative.len();
    if marks.stamp.len() != p {
        marks.stamp = vec![0; p];
        marks.node = 0;
    }
    if i == 0 {
        marks.node = marks.node.wrapping_add(1);
        if marks.node == 0 {
            marks.stamp.fill(0);
            marks.node = 1;
        }
    }
    let total = cumulative[p - 1];
    let take = |f: usize, marks: &mut Marks| {
        marks.stamp[f] = marks.node;
        f
    };
    for _ in 0..MAX_REJECTIONS {
        let u = rng.random::<f64>() * total;
        let f = cumulative.partition_point(|&c| c <= u).min(p - 1);
        if marks.stamp[f] != marks.node {
            return take(f, marks);
        }
    }
    let weight = |f: usize| cumulative[f] - if f == 0 { 0.0 } else { cumulative[f - 1] };
    let left: f64 = (0..p)
        .filter(|&f| marks.stamp[f] != marks.node)
        .map(weight)
        .sum();
    let mut u = rng.random::<f64>() * left;
    let mut last = None;
    for f in (0..p).filter(|&f| marks.stamp[f] != marks.node) {
        last = Some(f);
        u -= weight(f);
        if u < 0.0 {
            return take(f, marks);
        }
    }
    take(last.expect("a node draws at most p features"), marks)
}

fn leaf_node(value: f64) -> Node {
    Node {
        feature: LEAF,
        threshold: 0.0,
        left: 0,
        right: 0,
        value: value as f32,
    }
}

/// A feature's evaluation: `None` when constant in the node; otherwise the best
/// `(code, proxy, left_sum, left_weight)` if any threshold respects `min_leaf`.
type Candidate = Option<(u8, f64, f64, u32)>;

/// What scoring the thresholds of one node needs.
struct NodeScan<'a, 'b> {
    data: &'a Weighted<'b>,
    inv: &'a [f64],
    sum: f64,
    weight: u32,
    min_leaf: u32,
}

impl NodeScan<'_, '_> {
    /// SL^2/WL + SR^2/WR for the left side (`left_sum`, `left_weight`), or `None`
    /// when a side would hold fewer than `min_leaf` (weighted) samples.
    #[inline(always)]
    fn proxy(&self, left_sum: f64, left_weight: u32) -> Option<f64> {
        let right_weight = self.weight.wrapping_sub(left_weight);
        let allowed = self.weight - 2 * self.min_leaf;
        if left_weight.wrapping_sub(self.min_leaf) > allowed {
            return None;
        }
        let right_sum = self.sum - left_sum;
        Some(
            left_sum * left_sum * self.inv[left_weight as usize]
                + right_sum * right_sum * self.inv[right_weight as usize],
        )
    }
}

/// Nodes with at least this many samples per bin scan every bin, several features
/// at once ([`dense`]); sparser ones track occupied bins in a bitmask and visit only
/// those. A speed setting, not a model one: the crossover measured on DREAM4
/// (100 bins) and the synthetic matrix (256 bins) lies between 0.2 and 0.35 with
/// AVX-512; with AVX2 only, 0.2 to 0.8 were within 5% of each other on simulated
/// single-cell counts, 0.2 the fastest.
const DENSE_SAMPLES_PER_BIN: f64 = 0.2;

fn is_dense(samples: usize, bins: usize) -> bool {
    samples as f64 >= DENSE_SAMPLES_PER_BIN * bins as f64
}

/// Best threshold of one feature by a histogram of the node's sums per bin,
/// scanning only the occupied bins (found from a bitmask); ties keep the lowest
/// code.
fn best_threshold(
    codes: &[u8],
    idx: &[u32],
    hist: &mut [(f64, u32)],
    scan: &NodeScan<'_, '_>,
) -> Option<Candidate> {
    if let &[a, b, c] = idx {
        return best_threshold_triple(codes, [a as usize, b as usize, c as usize], scan);
    }
    let data = scan.data;
    let mut mask = [0u64; MAX_BINS / 64];
    for &i in idx {
        let i = i as usize;
        let c = codes[i] as usize;
        let h = &mut hist[c];
        h.0 += data.wy[i];
        h.1 += data.w[i];
        mask[c >> 6] |= 1u64 << (c & 63);
    }
    let last_word = mask
        .iter()
        .rposition(|&m| m != 0)
        .expect("node is not empty");
    let last = last_word * 64 + 63 - mask[last_word].leading_zeros() as usize;
    // The last occupied bin puts everything on the left: not a split.
    mask[last_word] &= !(1u64 << (last & 63));
    hist[last] = (0.0, 0);
    if mask.iter().all(|&m| m == 0) {
        return None;
    }
    let mut best: Candidate = None;
    let (mut left_sum, mut left_weight) = (0.0, 0u32);
    for (word_index, word) in mask.iter().enumerate() {
        let mut bits = *word;
        while bits != 0 {
            let c = word_index * 64 + bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let (s, w) = std::mem::take(&mut hist[c]);
            left_sum += s;
            left_weight += w;
            if let Some(proxy) = scan.proxy(left_sum, left_weight)
                && best.is_none_or(|b| proxy > b.1)
            {
                best = Some((c as u8, proxy, left_sum, left_weight));
            }
        }
    }
    Some(best)
}

/// One threshold drawn uniformly between the feature's smallest and largest value
/// in the node (extra-trees).
fn random_threshold<R: Rng>(
    codes: &[u8],
    lower: &[f32],
    upper: &[f32],
    idx: &[u32],
    scan: &NodeScan<'_, '_>,
    rng: &mut R,
) -> Option<Candidate> {
    let (mut lo, mut hi) = (u8::MAX, 0u8);
    for &i in idx {
        let c = codes[i as usize];
        lo = lo.min(c);
        hi = hi.max(c);
    }
    if lo == hi {
        return None;
    }
    let (vmin, vmax) = (lower[lo as usize], upper[hi as usize]);
    let threshold = vmin + rng.random::<f32>() * (vmax - vmin);
    // Bins starting at or below the threshold go left; keep both sides non-empty.
    let code =
        (lower.partition_point(|&l| l <= threshold).saturating_sub(1) as u8).clamp(lo, hi - 1);
    let (mut left_sum, mut left_weight) = (0.0, 0u32);
    for &i in idx {
        let i = i as usize;
        if codes[i] <= code {
            left_sum += scan.data.wy[i];
            left_weight += scan.data.w[i];
        }
    }
    Some(
        scan.proxy(left_sum, left_weight)
            .map(|proxy| (code, proxy, left_sum, left_weight)),
    )
}

/// Moves the elements for which `left` holds to the front, keeping both sides in
/// their original order; returns how many went left.
fn stable_partition(v: &mut [u32], scratch: &mut Vec<u32>, left: impl Fn(u32) -> bool) -> usize {
    // Branch-free: every element is written to both sides and the side it belongs
    // to advances. Sides are random, so a branch would mispredict half the time.
    scratch.resize(v.len(), 0);
    let (mut n_left, mut n_right) = (0, 0);
    for k in 0..v.len() {
        let i = v[k];
        let goes_left = left(i);
        v[n_left] = i;
        scratch[n_right] = i;
        n_left += usize::from(goes_left);
        n_right += usize::from(!goes_left);
    }
    v[n_left..].copy_from_slice(&scratch[..n_right]);
    n_left
}

/// [`best_threshold`] for three samples: sorted by three compare-exchanges, with at
/// most two thresholds to score. Three-sample nodes are a quarter of a fully grown
/// tree's split searches.
fn best_threshold_triple(
    codes: &[u8],
    s: [usize; 3],
    scan: &NodeScan<'_, '_>,
) -> Option<Candidate> {
    let mut s = s;
    let key = |i: usize| codes[i];
    if key(s[0]) > key(s[1]) {
        s.swap(0, 1);
    }
    if key(s[1]) > key(s[2]) {
        s.swap(1, 2);
    }
    if key(s[0]) > key(s[1]) {
        s.swap(0, 1);
    }
    let (c0, c1, c2) = (key(s[0]), key(s[1]), key(s[2]));
    if c0 == c2 {
        return None;
    }
    let mut best: Candidate = None;
    let (mut left_sum, mut left_weight) = (0.0, 0u32);
    for (t, code, next) in [(0, c0, c1), (1, c1, c2)] {
        left_sum += scan.data.wy[s[t]];
        left_weight += scan.data.w[s[t]];
        if code == next {
            continue;
        }
        if let Some(proxy) = scan.proxy(left_sum, left_weight)
            && best.is_none_or(|b| proxy > b.1)
        {
            best = Some((code, proxy, left_sum, left_weight));
        }
    }
    Some(best)
}
