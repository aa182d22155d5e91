//! Fitting one target's ensemble (forest or boosting) and reading off regulator
//! importances; optionally keeping the trees as a predictive model.

use rand::Rng;

use super::params::{BoostingParams, EnsembleParams, ForestParams, OobImprovement};
use super::tree::{FeatureSet, Grower, Tree, Weighted};
use super::{BinnedMatrix, sum_over};

/// A target's fitted ensemble, in the target's original units.
#[derive(Debug, Clone)]
pub struct TreeModel {
    /// Gene indices of the model's features, in the order `predict` expects.
    pub features: Vec<usize>,
    trees: Vec<Tree>,
    /// Trees are averaged (forest) or summed with this shrinkage (boosting).
    learning_rate: Option<f32>,
    mean: f32,
    scale: f32,
}

impl TreeModel {
    /// Predicts the target from the values of [`TreeModel::features`].
    pub fn predict(&self, x: &[f32]) -> f32 {
        let total: f32 = self.trees.iter().map(|t| t.predict(x)).sum();
        let scaled = match self.learning_rate {
            Some(lr) => lr * total,
            None => total / self.trees.len().max(1) as f32,
        };
        self.mean + self.scale * scaled
    }

    /// The trees.
    pub fn trees(&self) -> &[Tree] {
        &self.trees
    }

    /// The boosting shrinkage, or `None` for a forest (trees averaged).
    pub fn learning_rate(&self) -> Option<f32> {
        self.learning_rate
    }

    /// The target's mean and scale: a prediction is `mean + scale x` the trees'
    /// average (forest) or shrunken sum (boosting).
    pub fn mean_scale(&self) -> (f32, f32) {
        (self.mean, self.scale)
    }

    /// A model from its parts (as the accessors give them), for stored models.
    pub fn from_parts(
        features: Vec<usize>,
        trees: Vec<Tree>,
        learning_rate: Option<f32>,
        mean: f32,
        scale: f32,
    ) -> Self {
        TreeModel {
            features,
            trees,
            learning_rate,
            mean,
            scale,
        }
    }
}

/// What fitting one target gives.
#[derive(Debug, Clone)]
pub struct TargetFit {
    /// Importance of each feature (same order as the features passed in): its
    /// share of the variance reduction achieved by the ensemble's splits. Shares sum
    /// to 1 for every target that could be split at all (0 everywhere otherwise).
    pub importances: Vec<f64>,
    /// Trees grown (boosting rounds before early stopping, or forest size).
    pub trees: usize,
    /// The ensemble, when asked for.
    pub model: Option<TreeModel>,
}

/// Fits an ensemble predicting `target` (one value per sample) from the genes
/// `features` (never the target itself) and returns their importances.
pub fn fit<R: Rng>(
    binned: &BinnedMatrix,
    target: &[f32],
    features: Vec<usize>,
    params: &EnsembleParams,
    rng: &mut R,
    keep_model: bool,
) -> TargetFit {
    fit_weighted(binned, target, features, None, params, rng, keep_model)
}

/// [`fit`] drawing each node's candidate features with probability proportional
/// to `weights` (one per feature, positive; iRafNet, Petralia et al. 2015) instead
/// of uniformly. `None` is [`fit`], draw for draw.
pub fn fit_weighted<R: Rng>(
    binned: &BinnedMatrix,
    target: &[f32],
    features: Vec<usize>,
    weights: Option<&[f64]>,
    params: &EnsembleParams,
    rng: &mut R,
    keep_model: bool,
) -> TargetFit {
    assert_eq!(
        target.len(),
        binned.n_samples(),
        "one target value per sample"
    );
    let n = target.len();
    let mean = target.iter().map(|&v| v as f64).sum::<f64>() / n as f64;
    let var = target
        .iter()
        .map(|&v| (v as f64 - mean).powi(2))
        .sum::<f64>()
        / n as f64;
    let scale = if var > 0.0 { var.sqrt() } else { 1.0 };
    let y: Vec<f64> = target.iter().map(|&v| (v as f64 - mean) / scale).collect();
    let mut x = FeatureSet::new(binned, features);
    if let Some(w) = weights {
        x = x.with_weights(w);
    }
    let mut fit = match params {
        EnsembleParams::Forest(p) => fit_forest(&x, &y, p, rng, keep_model),
        EnsembleParams::Boosting(p) => fit_boosting(&x, y, p, rng, keep_model),
    };
    if let Some(m) = &mut fit.model {
        m.features = x.genes;
        m.mean = mean as f32;
        m.scale = scale as f32;
    }
    fit
}

fn model(trees: Vec<Tree>, learning_rate: Option<f32>) -> TreeModel {
    TreeModel {
        features: Vec::new(),
        trees,
        learning_rate,
        mean: 0.0,
        scale: 1.0,
    }
}

fn fit_forest<R: Rng>(
    x: &FeatureSet<'_>,
    y: &[f64],
    p: &ForestParams,
    rng: &mut R,
    keep_model: bool,
) -> TargetFit {
    let n = y.len();
    let mut importances = vec![0.0; x.len()];
    let mut tree_importances = vec![0.0; x.len()];
    let mut grower = Grower::new(x.len());
    let mut w = vec![1u32; n];
    let mut wy = y.to_vec();
    let mut inbag: Vec<u32> = Vec::with_capacity(n);
    let mut trees = Vec::with_capacity(if keep_model { p.n_trees } else { 0 });
    for _ in 0..p.n_trees {
        inbag.clear();
        if p.bootstrap {
            w.fill(0);
            for _ in 0..n {
                w[rng.random_range(0..n)] += 1;
            }
            inbag.extend((0..n as u32).filter(|&i| w[i as usize] > 0));
            for i in 0..n {
                wy[i] = w[i] as f64 * y[i];
            }
        } else {
            inbag.extend(0..n as u32);
        }
        let mut tree = Tree::default();
        tree_importances.fill(0.0);
        grower.grow(
            x,
            &Weighted { wy: &wy, w: &w },
            &mut inbag,
            &mut [],
            &p.tree,
            rng,
            &mut tree_importances,
            |_, _, _| {},
            keep_model.then_some(&mut tree),
        );
        // Each tree votes with shares of its own variance reduction (scikit-learn's
        // and arboreto's convention). A fully grown tree removes all the in-bag
        // variance, so its raw total is the variance of its bootstrap sample:
        // noise unrelated to the regulators, which the shares divide out.
        let total: f64 = tree_importances.iter().sum();
        if total > 0.0 {
            for (imp, t) in importances.iter_mut().zip(&tree_importances) {
                *imp += t / total;
            }
        }
        if keep_model {
            trees.push(tree);
        }
    }
    importances.iter_mut().for_each(|v| *v /= p.n_trees as f64);
    TargetFit {
        importances,
        trees: p.n_trees,
        model: keep_model.then(|| model(trees, None)),
    }
}

fn fit_boosting<R: Rng>(
    x: &FeatureSet<'_>,
    y: Vec<f64>,
    p: &BoostingParams,
    rng: &mut R,
    keep_model: bool,
) -> TargetFit {
    let n = y.len();
    let n_inbag = ((p.subsample * n as f64).floor() as usize).clamp(1, n);
    let mut importances = vec![0.0; x.len()];
    let mut grower = Grower::new(x.len());
    // The initial prediction is the mean, 0 for the centred target, so the residual
    // starts as the target itself.
    let mut residual = y;
    let ones = vec![1u32; n];
    let mut leaf_value = vec![0.0f64; n];
    let mut inbag: Vec<u32> = Vec::with_capacity(n_inbag);
    let mut oob: Vec<u32> = Vec::with_capacity(n - n_inbag);
    let mut drawn = Vec::with_capacity(n);
    let mut improvements: Vec<f64> = Vec::new();
    let mut trees = Vec::new();
    let mut rounds = 0;
    let mut last_oob_loss = None;
    for round in 0..p.max_rounds {
        sample_without_replacement(n, n_inbag, rng, &mut drawn, &mut inbag, &mut oob);
        let before = match (p.oob_improvement, last_oob_loss) {
            (OobImprovement::Consecutive, Some(loss)) => loss,
            _ => mean_square(&residual, &oob),
        };
        let mut tree = Tree::default();
        grower.grow(
            x,
            &Weighted {
                wy: &residual,
                w: &ones,
            },
            &mut inbag,
            &mut oob,
            &p.tree,
            rng,
            &mut importances,
            |leaf_in, leaf_oob, value| {
                for &i in leaf_in.iter().chain(leaf_oob) {
                    leaf_value[i as usize] = value;
                }
            },
            keep_model.then_some(&mut tree),
        );
        for (r, v) in residual.iter_mut().zip(&leaf_value) {
            *r -= p.learning_rate * v;
        }
        if keep_model {
            trees.push(tree);
        }
        rounds = round + 1;
        // Early stopping on the out-of-bag improvement, as arboreto's monitor: stop
        // once the improvement averaged over the last `window` rounds is negative.
        if let Some(window) = p.early_stop_window {
            let after = mean_square(&residual, &oob);
            last_oob_loss = Some(after);
            improvements.push(before - after);
            let len = improvements.len();
            if len >= window && improvements[len - window..].iter().sum::<f64>() < 0.0 {
                break;
            }
        }
    }
    // Shares of the whole ensemble's variance reduction (scikit-learn's
    // feature_importances_). Raw totals would mostly measure how many rounds ran
    // before early stopping, a decision made on a few out-of-bag samples.
    let total: f64 = importances.iter().sum();
    if total > 0.0 {
        importances.iter_mut().for_each(|v| *v /= total);
    }
    TargetFit {
        importances,
        trees: rounds,
        model: keep_model.then(|| model(trees, Some(p.learning_rate as f32))),
    }
}

/// Mean of `r[i]^2` over the indices `idx` (0 when empty).
fn mean_square(r: &[f64], idx: &[u32]) -> f64 {
    sum_over(idx, |i| r[i] * r[i]) / idx.len().max(1) as f64
}

/// Splits `0..n` into `k` in-bag and `n - k` out-of-bag indices, both sorted, each
/// k-subset equally likely. Draws only the smaller side (Floyd's algorithm, one
/// random number per drawn index) and marks it in `drawn`.
fn sample_without_replacement<R: Rng>(
    n: usize,
    k: usize,
    rng: &mut R,
    drawn: &mut Vec<bool>,
    inbag: &mut Vec<u32>,
    oob: &mut Vec<u32>,
) {
    let small = k.min(n - k);
    drawn.clear();
    drawn.resize(n, false);
    for j in n - small..n {
        let t = rng.random_range(0..=j);
        let pick = if drawn[t] { j } else { t };
        drawn[pick] = true;
    }
    let drawn_is_inbag = small == k;
    inbag.clear();
    oob.clear();
    for (i, &d) in drawn.iter().enumerate() {
        if d == drawn_is_inbag {
            inbag.push(i as u32);
        } else {
            oob.push(i as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn subsamples_have_the_right_sizes_and_are_uniform() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(4);
        let (mut drawn, mut inbag, mut oob) = (vec![], vec![], vec![]);
        let mut hits = [0usize; 10];
        for _ in 0..20_000 {
            sample_without_replacement(10, 9, &mut rng, &mut drawn, &mut inbag, &mut oob);
            assert_eq!((inbag.len(), oob.len()), (9, 1));
            assert!(inbag.windows(2).all(|w| w[0] < w[1]));
            hits[oob[0] as usize] += 1;
        }
        // Each index is out of bag with probability 1/10.
        assert!(hits.iter().all(|&h| (1700..2300).contains(&h)), "{hits:?}");
        sample_without_replacement(10, 3, &mut rng, &mut drawn, &mut inbag, &mut oob);
        assert_eq!((inbag.len(), oob.len()), (3, 7));
    }
}
