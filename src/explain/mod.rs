//! Explanations of a [`ResponseModel`]'s predictions: each regulator's
//! contribution `φ_r` to a target's predicted level, with `Σ_r φ_r = f(x) - E[f]`.
//!
//! - Linear models: `φ_r = w_r (x_r - x̄_r)` and `E[f]` the target's mean, the
//!   exact Shapley values of a linear model with independent features (Lundberg &
//!   Lee 2017, NeurIPS 30, Corollary 1).
//! - Tree ensembles: TreeSHAP, the exact Shapley values of each tree's
//!   path-dependent conditional expectation, where a feature outside the coalition
//!   follows both branches weighted by their training covers (Lundberg et al. 2020,
//!   Nat. Mach. Intell. 2:56, Algorithm 2), implemented from the paper. The
//!   ensemble's values are the trees' averaged (forest) or shrunken sum (boosting),
//!   in the target's units. The covers are the training samples reaching each
//!   node, so `E[f]` is the mean prediction over the training samples.
//!
//! Cost: O(L D²) per tree and sample for L leaves and depth D (TreeSHAP), O(k) for
//! a linear target of k regulators.
//!
//! ```
//! use std::sync::Arc;
//! use grn::explain::explain;
//! use grn::perturb::ResponseModel;
//! // C = 2 A - B around means of 0.
//! let genes: Vec<String> = ["A", "B", "C"].map(String::from).into();
//! let model = ResponseModel::linear(genes, &[(0, 2, 2.0), (1, 2, -1.0)]).unwrap();
//! let e = explain(&model, 2, &[1.0, 3.0, 0.0]).unwrap();
//! assert_eq!(e.contributions, vec![2.0, -3.0]);
//! assert_eq!(e.prediction - e.expected, -1.0);
//! ```

use crate::perturb::{PerturbError, ResponseModel};
use crate::trees::{LEAF, Tree};

/// One target's prediction at one sample, split over its regulators.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// The regulators (gene indices), in [`ResponseModel::regulators`] order.
    pub regulators: Vec<usize>,
    /// `φ_r` of each regulator, in the target's units.
    pub contributions: Vec<f64>,
    /// `E[f]`: the prediction when nothing is known about the regulators.
    pub expected: f64,
    /// The prediction (computed in `f64`; equals `expected + Σ contributions`).
    pub prediction: f64,
}

/// Explains `model`'s prediction of `target` at the gene levels `x` (one per
/// model gene).
pub fn explain(
    model: &ResponseModel,
    target: usize,
    x: &[f64],
) -> Result<Explanation, PerturbError> {
    let regs = model.regulators(target).to_vec();
    if regs.is_empty() {
        return Err(PerturbError::Input(format!(
            "{} has no regulators in the model, so there is nothing to explain",
            model.genes()[target]
        )));
    }
    if let Some(w) = model.weights(target) {
        let contributions: Vec<f64> = regs
            .iter()
            .zip(w)
            .map(|(&r, &w)| w * (x[r] - model.mean(r)))
            .collect();
        let expected = model.mean(target);
        return Ok(Explanation {
            prediction: expected + contributions.iter().sum::<f64>(),
            regulators: regs,
            contributions,
            expected,
        });
    }
    let ensemble = model
        .tree_model(target)
        .expect("tree models have ensembles");
    let covers = model.covers(target).ok_or_else(|| {
        PerturbError::Input(format!(
            "the model of {} has no node covers, which TreeSHAP needs",
            model.genes()[target]
        ))
    })?;
    let xs: Vec<f32> = regs.iter().map(|&r| x[r] as f32).collect();
    let mut phi = vec![0.0; regs.len()];
    let (mut expected, mut value) = (0.0, 0.0);
    for (tree, cover) in ensemble.trees().iter().zip(covers) {
        tree_shap(tree, cover, &xs, &mut phi);
        expected += expected_value(tree, cover);
        value += tree_value(tree, &xs);
    }
    let (mean, scale) = ensemble.mean_scale();
    let factor = scale as f64
        * match ensemble.learning_rate() {
            Some(lr) => lr as f64,
            None => 1.0 / ensemble.trees().len().max(1) as f64,
        };
    phi.iter_mut().for_each(|p| *p *= factor);
    Ok(Explanation {
        regulators: regs,
        contributions: phi,
        expected: mean as f64 + factor * expected,
        prediction: mean as f64 + factor * value,
    })
}

/// A tree's leaf value at `x`, in `f64`.
fn tree_value(tree: &Tree, x: &[f32]) -> f64 {
    tree.predict(x) as f64
}

/// The cover-weighted mean of a tree's leaves: its prediction with no feature
/// known.
pub fn expected_value(tree: &Tree, cover: &[u32]) -> f64 {
    let nodes = tree.nodes();
    let total = cover[0] as f64;
    if total == 0.0 {
        return 0.0;
    }
    nodes
        .iter()
        .zip(cover)
        .filter(|(n, _)| n.feature == LEAF)
        .map(|(n, &c)| n.value as f64 * c as f64)
        .sum::<f64>()
        / total
}

/// One element of TreeSHAP's path of unique features: the feature `d`, the
/// fraction `z` of zero (feature unknown) paths and `o` of one (feature known)
/// paths flowing through, and the permutation weight `w`.
#[derive(Clone, Copy)]
struct PathElement {
    d: usize,
    z: f64,
    o: f64,
    w: f64,
}

/// Adds the tree's SHAP values at `x` (its local features) to `phi` (Lundberg et
/// al. 2020, Algorithm 2: RECURSE with EXTEND and UNWIND).
pub fn tree_shap(tree: &Tree, cover: &[u32], x: &[f32], phi: &mut [f64]) {
    if tree.is_empty() {
        return;
    }
    recurse(tree, cover, x, phi, 0, Vec::new(), 1.0, 1.0, usize::MAX);
}

#[allow(clippy::too_many_arguments)]
fn recurse(
    tree: &Tree,
    cover: &[u32],
    x: &[f32],
    phi: &mut [f64],
    j: usize,
    mut m: Vec<PathElement>,
    pz: f64,
    po: f64,
    pi: usize,
) {
    extend(&mut m, pz, po, pi);
    let node = tree.nodes()[j];
    if node.feature == LEAF {
        // m[0] is the root's placeholder; every other element is a feature.
        for i in 1..m.len() {
            let w = unwound_sum(&m, i);
            let e = m[i];
            phi[e.d] += w * (e.o - e.z) * node.value as f64;
        }
        return;
    }
    let d = node.feature as usize;
    let (hot, cold) = if x[d] <= node.threshold {
        (node.left as usize, node.right as usize)
    } else {
        (node.right as usize, node.left as usize)
    };
    let (mut iz, mut io) = (1.0, 1.0);
    if let Some(k) = (1..m.len()).find(|&k| m[k].d == d) {
        iz = m[k].z;
        io = m[k].o;
        unwind(&mut m, k);
    }
    let rj = cover[j] as f64;
    recurse(
        tree,
        cover,
        x,
        phi,
        hot,
        m.clone(),
        iz * cover[hot] as f64 / rj,
        io,
        d,
    );
    // A cold branch no training sample reached carries no weight (z = o = 0).
    if cover[cold] > 0 {
        recurse(
            tree,
            cover,
            x,
            phi,
            cold,
            m,
            iz * cover[cold] as f64 / rj,
            0.0,
            d,
        );
    }
}

/// EXTEND: grows the path by a feature with zero fraction `pz`, one fraction `po`.
fn extend(m: &mut Vec<PathElement>, pz: f64, po: f64, pi: usize) {
    let l = m.len();
    m.push(PathElement {
        d: pi,
        z: pz,
        o: po,
        w: if l == 0 { 1.0 } else { 0.0 },
    });
    let lp1 = (l + 1) as f64;
    for i in (0..l).rev() {
        m[i + 1].w += po * m[i].w * (i + 1) as f64 / lp1;
        m[i].w = pz * m[i].w * (l - i) as f64 / lp1;
    }
}

/// UNWIND: removes element `i`, undoing its EXTEND.
fn unwind(m: &mut Vec<PathElement>, i: usize) {
    let l = m.len() - 1;
    let (o, z) = (m[i].o, m[i].z);
    let lp1 = (l + 1) as f64;
    let mut n = m[l].w;
    for j in (0..l).rev() {
        if o != 0.0 {
            let t = m[j].w;
            m[j].w = n * lp1 / ((j + 1) as f64 * o);
            n = t - m[j].w * z * (l - j) as f64 / lp1;
        } else {
            m[j].w = m[j].w * lp1 / (z * (l - j) as f64);
        }
    }
    for j in i..l {
        m[j].d = m[j + 1].d;
        m[j].z = m[j + 1].z;
        m[j].o = m[j + 1].o;
    }
    m.pop();
}

/// The total permutation weight of the path with element `i` unwound, without
/// changing the path.
fn unwound_sum(m: &[PathElement], i: usize) -> f64 {
    let l = m.len() - 1;
    let (o, z) = (m[i].o, m[i].z);
    let lp1 = (l + 1) as f64;
    let mut total = 0.0;
    if o != 0.0 {
        let mut n = m[l].w;
        for j in (0..l).rev() {
            let t = n * lp1 / ((j + 1) as f64 * o);
            total += t;
            n = m[j].w - t * z * (l - j) as f64 / lp1;
        }
    } else {
        for j in (0..l).rev() {
            total += m[j].w * lp1 / (z * (l - j) as f64);
        }
    }
    total
}

/// Per regulator, the mean of `|φ_r|` and of `φ_r` over explanations of one
/// target (the usual global summary of SHAP values, Lundberg et al. 2020).
pub fn summarize(explanations: &[Explanation]) -> Vec<(f64, f64)> {
    let Some(first) = explanations.first() else {
        return Vec::new();
    };
    let n = explanations.len() as f64;
    (0..first.contributions.len())
        .map(|k| {
            let (mut abs, mut sum) = (0.0, 0.0);
            for e in explanations {
                abs += e.contributions[k].abs();
                sum += e.contributions[k];
            }
            (abs / n, sum / n)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trees::Node;

    fn split(feature: u32, threshold: f32, left: u32, right: u32) -> Node {
        Node {
            feature,
            threshold,
            left,
            right,
            value: 0.0,
        }
    }

    fn leaf(value: f32) -> Node {
        Node {
            feature: LEAF,
            threshold: 0.0,
            left: 0,
            right: 0,
            value,
        }
    }

    /// A depth-3 tree over 3 features that uses feature 0 twice on one path.
    fn small_tree() -> (Tree, Vec<u32>) {
        let nodes = vec![
            split(0, 0.5, 1, 2), // 0
            split(1, 0.5, 3, 4), // 1
            split(2, 0.5, 5, 6), // 2
            leaf(1.0),           // 3
            split(0, 0.2, 7, 8), // 4
            leaf(-2.0),          // 5
            leaf(4.0),           // 6
            leaf(0.5),           // 7
            leaf(3.0),           // 8
        ];
        let cover = vec![100, 60, 40, 25, 35, 10, 30, 15, 20];
        (Tree::from_nodes(nodes, 3).unwrap(), cover)
    }

    /// The path-dependent conditional expectation `E[f(x) | x_S]` (Lundberg et
    /// al. 2020, Algorithm 1).
    fn cond_exp(tree: &Tree, cover: &[u32], x: &[f32], s: u32, j: usize) -> f64 {
        let n = tree.nodes()[j];
        if n.feature == LEAF {
            return n.value as f64;
        }
        let (l, r) = (n.left as usize, n.right as usize);
        if s & (1 << n.feature) != 0 {
            let next = if x[n.feature as usize] <= n.threshold {
                l
            } else {
                r
            };
            cond_exp(tree, cover, x, s, next)
        } else {
            (cover[l] as f64 * cond_exp(tree, cover, x, s, l)
                + cover[r] as f64 * cond_exp(tree, cover, x, s, r))
                / cover[j] as f64
        }
    }

    fn brute_force(tree: &Tree, cover: &[u32], x: &[f32], p: usize) -> Vec<f64> {
        let fact = |k: usize| (1..=k).product::<usize>() as f64;
        (0..p)
            .map(|i| {
                let mut phi = 0.0;
                for s in 0u32..(1 << p) {
                    if s & (1 << i) != 0 {
                        continue;
                    }
                    let size = s.count_ones() as usize;
                    let weight = fact(size) * fact(p - size - 1) / fact(p);
                    phi += weight
                        * (cond_exp(tree, cover, x, s | (1 << i), 0)
                            - cond_exp(tree, cover, x, s, 0));
                }
                phi
            })
            .collect()
    }

    #[test]
    fn tree_shap_matches_brute_force_shapley() {
        let (tree, cover) = small_tree();
        let grid = [0.1f32, 0.3, 0.7];
        for &a in &grid {
            for &b in &grid {
                for &c in &grid {
                    let x = [a, b, c];
                    let mut phi = vec![0.0; 3];
                    tree_shap(&tree, &cover, &x, &mut phi);
                    let exact = brute_force(&tree, &cover, &x, 3);
                    for k in 0..3 {
                        assert!(
                            (phi[k] - exact[k]).abs() < 1e-12,
                            "{x:?}: {phi:?} vs {exact:?}"
                        );
                    }
                    let total: f64 = phi.iter().sum();
                    let gap = tree.predict(&x) as f64 - expected_value(&tree, &cover);
                    assert!((total - gap).abs() < 1e-12, "{total} vs {gap}");
                }
            }
        }
    }
}
