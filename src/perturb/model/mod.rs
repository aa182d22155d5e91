//! [`ResponseModel`]: how each gene responds to its regulators, fitted on expression
//! data.
//!
//! Every target gene gets a model of its top `k` regulators in the network (by edge
//! rank; the target itself never counts):
//! - linear (default): ridge regression on centred data, the regulators scaled to
//!   unit variance so one penalty fits genes of any scale. The coefficients, back in
//!   expression units, are the signed edge weights `W[target][regulator]` that
//!   propagation multiplies changes by. By default one penalty `α` serves every
//!   target: the one minimising the sum of the targets' generalised cross-validation
//!   scores (Golub, Heath & Wahba 1979, Technometrics 21:215), each in units of the
//!   target's variance, over a grid; or each target's own GCV minimum; or a fixed
//!   value. Every penalty's fit comes from one thin SVD of the regulator matrix.
//!   The penalty is weighted by the network's confidence in each edge: the prior
//!   variance of a standardised weight is proportional to the edge's score
//!   ([`WeightPrior::Score`]), which for tree importances (each regulator's share of
//!   the target's explained variance) is the share that weight's square estimates.
//! - forest: a random forest of the target on the same regulators (the crate's tree
//!   ensembles), so saturating and combinatorial (Hill-like) responses are captured.
//!
//! Each target's cross-validated R² says how well its regulators predict it, so a
//! prediction through a badly fitted gene is visibly uncertain. For ridge it is the
//! exact leave-one-out R² of the chosen penalty from the PRESS residuals
//! `e_i / (1 - h_ii)` (Allen 1974, Technometrics 16:125); for forests, `folds`-fold
//! cross-validation. Either is `1 - Σ(y - ŷ_cv)² / Σ(y - ȳ)²`, so it is negative
//! when the model predicts worse than the mean.
//!
//! Targets are fitted in parallel (rayon), forest `t` drawing from
//! `random::stream(seed, t)`, so models do not depend on the number of threads.
//! Cost per target: O(n k² + G k) for ridge (n samples, k regulators, G grid
//! points); one forest plus one per fold for the forest model.

mod conformal;
mod forest;
mod params;
mod persist;
mod ridge;

pub use conformal::{INTERVAL_LEVELS, conformal_half_width};
pub use params::{
    Alpha, BoostingModelParams, ForestModelParams, ModelKind, ModelParams, ValidModelParams,
    WeightPrior,
};
pub use persist::{FORMAT_MAGIC, FORMAT_VERSION};

use std::collections::HashMap;
use std::sync::Arc;

use crate::Progress;
use crate::expression::{ExpressionMatrix, Normalization};
use crate::network::GeneNetwork;
use crate::trees::TreeModel;

use super::PerturbError;

/// The family of a fitted [`ResponseModel`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseKind {
    /// Ridge regression: signed edge weights.
    Linear,
    /// Random forests.
    Forest,
    /// Gradient-boosted trees.
    Boosting,
}

impl ResponseKind {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ResponseKind::Linear => "linear",
            ResponseKind::Forest => "forest",
            ResponseKind::Boosting => "boosting",
        }
    }
}

impl std::fmt::Display for ResponseKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The fitted response of every gene of a matrix to its regulators.
#[derive(Debug, Clone)]
pub struct ResponseModel {
    genes: Arc<[String]>,
    index: HashMap<String, usize>,
    mean: Vec<f64>,
    sd: Vec<f64>,
    // Regulators of target t: regulators[start[t]..start[t + 1]] (matrix indices).
    start: Vec<usize>,
    regulators: Vec<usize>,
    // Linear: one weight per regulator entry. Forest: empty.
    weights: Vec<f64>,
    forests: Vec<Option<TreeModel>>,
    r2: Vec<Option<f64>>,
    alpha: Vec<Option<f64>>,
    kind: ResponseKind,
    missing: Vec<String>,
    uniform_prior_targets: usize,
    // Added for stored models and predictions (issue 16); every field is written
    // and read by `persist.rs`, so a new field belongs there too.
    /// Root-mean-square cross-validated residual per gene.
    cv_rmse: Vec<Option<f64>>,
    /// Per gene with regulators: conformal half-widths at [`INTERVAL_LEVELS`]
    /// (`None` when too few samples for that level).
    intervals: Vec<Vec<Option<f64>>>,
    /// Tree models: per target, per tree, per node, the training samples reaching
    /// it (TreeSHAP's node covers). Empty for linear models.
    covers: Vec<Vec<Vec<u32>>>,
    /// The settings that fitted the model (`None` for [`ResponseModel::linear`]).
    params: Option<ModelParams>,
    /// How the expression matrix was normalised on reading.
    normalization: Normalization,
}

impl ResponseModel {
    /// A linear model with given weights: `edges` are `(regulator, target, weight)`
    /// over `genes`, in the order regulators are listed for each target. Gene means
    /// are 0 and standard deviations 1 (there is no data), and no gene has an R².
    /// For weights fitted elsewhere, and for exact tests.
    pub fn linear(genes: Vec<String>, edges: &[(usize, usize, f64)]) -> Result<Self, PerturbError> {
        let n = genes.len();
        let mut per_target: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
        for &(r, t, w) in edges {
            if r >= n || t >= n || r == t || !w.is_finite() {
                return Err(PerturbError::Param(format!(
                    "edge {r} -> {t} with weight {w}: genes must exist and differ, weights \
                     be finite"
                )));
            }
            if per_target[t].iter().any(|&(q, _)| q == r) {
                return Err(PerturbError::Param(format!(
                    "edge {r} -> {t} is listed twice"
                )));
            }
            per_target[t].push((r, w));
        }
        let mut start = vec![0];
        let (mut regulators, mut weights) = (Vec::new(), Vec::new());
        for regs in &per_target {
            regulators.extend(regs.iter().map(|&(r, _)| r));
            weights.extend(regs.iter().map(|&(_, w)| w));
            start.push(regulators.len());
        }
        let mut index = HashMap::with_capacity(n);
        for (i, g) in genes.iter().enumerate() {
            if index.insert(g.clone(), i).is_some() {
                return Err(PerturbError::Param(format!(
                    "gene name {g:?} appears twice"
                )));
            }
        }
        Ok(ResponseModel {
            genes: genes.into(),
            index,
            mean: vec![0.0; n],
            sd: vec![1.0; n],
            start,
            regulators,
            weights,
            forests: Vec::new(),
            r2: vec![None; n],
            alpha: vec![None; n],
            kind: ResponseKind::Linear,
            missing: Vec::new(),
            uniform_prior_targets: 0,
            cv_rmse: vec![None; n],
            intervals: vec![Vec::new(); n],
            covers: Vec::new(),
            params: None,
            normalization: Normalization::None,
        })
    }

    /// Gene names (those of the expression matrix, in its order).
    pub fn genes(&self) -> &Arc<[String]> {
        &self.genes
    }

    /// Number of genes.
    pub fn n_genes(&self) -> usize {
        self.genes.len()
    }

    /// Index of a gene by name.
    pub fn gene_index(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// Index of a gene by name, or an error naming it and where it came from.
    pub fn require(&self, name: &str, what: &str) -> Result<usize, PerturbError> {
        self.gene_index(name)
            .ok_or_else(|| PerturbError::UnknownGene {
                gene: name.to_string(),
                what: what.to_string(),
            })
    }

    /// Linear or forest.
    pub fn kind(&self) -> ResponseKind {
        self.kind
    }

    /// Whether the model is linear (has edge weights).
    pub fn is_linear(&self) -> bool {
        self.kind == ResponseKind::Linear
    }

    /// The regulators of a target (matrix indices), best-ranked first.
    pub fn regulators(&self, target: usize) -> &[usize] {
        &self.regulators[self.start[target]..self.start[target + 1]]
    }

    /// The ridge weights of a target's regulators (expression units per unit of
    /// regulator), in [`ResponseModel::regulators`] order; `None` for forests.
    pub fn weights(&self, target: usize) -> Option<&[f64]> {
        self.is_linear()
            .then(|| &self.weights[self.start[target]..self.start[target + 1]])
    }

    /// Cross-validated R² of a target's model; `None` for genes without regulators.
    pub fn r2(&self, gene: usize) -> Option<f64> {
        self.r2[gene]
    }

    /// The ridge penalty chosen for a target; `None` for forests and genes without
    /// regulators.
    pub fn alpha(&self, gene: usize) -> Option<f64> {
        self.alpha[gene]
    }

    /// Mean of a gene in the data.
    pub fn mean(&self, gene: usize) -> f64 {
        self.mean[gene]
    }

    /// Standard deviation of a gene in the data.
    pub fn sd(&self, gene: usize) -> f64 {
        self.sd[gene]
    }

    /// Genes with at least one target in the model (candidate regulators), in
    /// index order.
    pub fn regulating_genes(&self) -> Vec<usize> {
        let mut is = vec![false; self.n_genes()];
        for &r in &self.regulators {
            is[r] = true;
        }
        (0..self.n_genes()).filter(|&g| is[g]).collect()
    }

    /// Genes of the network that are not in the expression matrix (their edges
    /// were ignored).
    pub fn missing_genes(&self) -> &[String] {
        &self.missing
    }

    /// Number of targets fitted with a uniform prior although
    /// [`WeightPrior::Score`] was asked for (some kept edge had a score that is not
    /// positive and finite).
    pub fn uniform_prior_targets(&self) -> usize {
        self.uniform_prior_targets
    }

    /// Number of regulator -> target edges in the model.
    pub fn n_edges(&self) -> usize {
        self.regulators.len()
    }

    /// Root-mean-square cross-validated (for ridge: leave-one-out) residual of a
    /// target; `None` for genes without regulators.
    pub fn cv_rmse(&self, gene: usize) -> Option<f64> {
        self.cv_rmse[gene]
    }

    /// Half-width of a target's conformal prediction interval at `level`, one of
    /// [`INTERVAL_LEVELS`]: the prediction ± this covers a new sample's level with
    /// probability at least `level` (see [`conformal_half_width`]). `None` for genes
    /// without regulators, levels not in the list, or too few samples.
    pub fn interval(&self, gene: usize, level: f64) -> Option<f64> {
        let i = INTERVAL_LEVELS.iter().position(|&l| l == level)?;
        self.intervals[gene].get(i).copied().flatten()
    }

    /// The tree ensemble of a target (forest and boosting models).
    pub fn tree_model(&self, target: usize) -> Option<&TreeModel> {
        self.forests.get(target).and_then(Option::as_ref)
    }

    /// Node covers of a target's trees (see [`crate::explain`]): per tree, per
    /// node, the training samples that reach it.
    pub fn covers(&self, target: usize) -> Option<&[Vec<u32>]> {
        self.covers
            .get(target)
            .filter(|c| !c.is_empty())
            .map(Vec::as_slice)
    }

    /// The settings the model was fitted with (`None` for
    /// [`ResponseModel::linear`]).
    pub fn params(&self) -> Option<&ModelParams> {
        self.params.as_ref()
    }

    /// How the expression matrix was normalised when read (recorded by
    /// [`ResponseModel::with_normalization`], stored with the model, so new samples
    /// can be read the same way).
    pub fn normalization(&self) -> Normalization {
        self.normalization
    }

    /// Records how the fitted matrix was normalised on reading.
    pub fn with_normalization(mut self, normalization: Normalization) -> Self {
        self.normalization = normalization;
        self
    }

    /// The model's prediction of `target` from the levels `x` of all genes: the
    /// gene's mean for genes without regulators.
    pub fn predict_one(&self, target: usize, x: &[f64], buf: &mut Vec<f32>) -> f64 {
        if self.regulators(target).is_empty() {
            return self.mean[target];
        }
        if self.is_linear() {
            let w = &self.weights[self.start[target]..self.start[target + 1]];
            self.mean[target]
                + self
                    .regulators(target)
                    .iter()
                    .zip(w)
                    .map(|(&r, &w)| w * (x[r] - self.mean[r]))
                    .sum::<f64>()
        } else {
            self.forest_predict(target, x, buf)
        }
    }

    /// A forest's prediction of `target` at gene levels `x` (all genes).
    pub(crate) fn forest_predict(&self, target: usize, x: &[f64], buf: &mut Vec<f32>) -> f64 {
        let model = self.forests[target]
            .as_ref()
            .expect("forest predictions are asked for targets with regulators");
        buf.clear();
        buf.extend(self.regulators(target).iter().map(|&r| x[r] as f32));
        model.predict(buf) as f64
    }
}

/// Fits the response model of every gene of `matrix` on its regulators in
/// `network`. Network genes absent from the matrix are ignored (listed by
/// [`ResponseModel::missing_genes`]); genes of the matrix without regulators keep
/// no model (they change only when perturbed directly).
pub fn fit(
    matrix: &ExpressionMatrix,
    network: &GeneNetwork,
    params: &ModelParams,
    progress: &dyn Progress,
) -> Result<ResponseModel, PerturbError> {
    params.check()?.fit(matrix, network, progress)
}

impl ValidModelParams {
    /// [`fit`] with settings already checked.
    pub fn fit(
        &self,
        matrix: &ExpressionMatrix,
        network: &GeneNetwork,
        progress: &dyn Progress,
    ) -> Result<ResponseModel, PerturbError> {
        fit_checked(matrix, network, self, progress)
    }
}

fn fit_checked(
    matrix: &ExpressionMatrix,
    network: &GeneNetwork,
    params: &ModelParams,
    progress: &dyn Progress,
) -> Result<ResponseModel, PerturbError> {
    let n_genes = matrix.n_genes();
    let n = matrix.n_samples();
    if n < crate::expression::MIN_SAMPLES {
        return Err(PerturbError::Input(format!(
            "the expression matrix has {n} samples; fitting needs at least {}",
            crate::expression::MIN_SAMPLES
        )));
    }
    let (per_target, scores, missing) =
        regulators_of(matrix, network, params.per_target, params.drop_reciprocal);
    if per_target.iter().all(Vec::is_empty) {
        return Err(PerturbError::Input(
            "no edge of the network joins two genes of the expression matrix; check that \
             both use the same gene identifiers"
                .into(),
        ));
    }
    let (mean, sd): (Vec<f64>, Vec<f64>) = (0..n_genes)
        .map(|g| mean_sd(matrix.gene(g).as_slice().expect("genes are contiguous")))
        .unzip();

    let mut start = Vec::with_capacity(n_genes + 1);
    start.push(0);
    for regs in &per_target {
        start.push(start.last().unwrap() + regs.len());
    }
    let regulators: Vec<usize> = per_target.concat();

    let mut uniform_prior_targets = 0;
    progress.start("targets", n_genes as u64);
    let mut residuals: Vec<Vec<f64>> = Vec::with_capacity(n_genes);
    let mut covers: Vec<Vec<Vec<u32>>> = Vec::new();
    let (mut weights, mut forests, r2, alpha, kind) = match &params.kind {
        ModelKind::Linear(rule) => {
            let prior: Vec<Vec<f64>> = scores
                .iter()
                .map(|s| {
                    ridge::prior_variances(s, params.prior).unwrap_or_else(|| {
                        uniform_prior_targets += 1;
                        vec![1.0; s.len()]
                    })
                })
                .collect();
            let fits = ridge::ridge_all(matrix, &per_target, &prior, &mean, &sd, *rule, progress);
            let mut weights = Vec::with_capacity(regulators.len());
            let (mut r2, mut alpha) = (Vec::with_capacity(n_genes), Vec::with_capacity(n_genes));
            for f in fits {
                match f {
                    Some(f) => {
                        weights.extend_from_slice(&f.weights);
                        r2.push(Some(f.r2));
                        alpha.push(Some(f.alpha));
                        residuals.push(f.residuals);
                    }
                    None => {
                        r2.push(None);
                        alpha.push(None);
                        residuals.push(Vec::new());
                    }
                }
            }
            (weights, Vec::new(), r2, alpha, ResponseKind::Linear)
        }
        ModelKind::Forest(_) | ModelKind::Boosting(_) => {
            let (ensemble, folds, kind) = match &params.kind {
                ModelKind::Forest(fp) => (
                    crate::trees::EnsembleParams::Forest(fp.forest.clone()),
                    fp.folds,
                    ResponseKind::Forest,
                ),
                ModelKind::Boosting(bp) => (
                    crate::trees::EnsembleParams::Boosting(bp.boosting.clone()),
                    bp.folds,
                    ResponseKind::Boosting,
                ),
                ModelKind::Linear(_) => unreachable!("matched above"),
            };
            let fits =
                forest::ensembles(matrix, &per_target, &ensemble, folds, params.seed, progress);
            let mut forests = Vec::with_capacity(n_genes);
            let mut r2 = Vec::with_capacity(n_genes);
            for f in fits {
                forests.push(f.model);
                r2.push(f.r2);
                residuals.push(f.residuals);
                covers.push(f.covers);
            }
            (Vec::new(), forests, r2, vec![None; n_genes], kind)
        }
    };
    let cv_rmse: Vec<Option<f64>> = residuals
        .iter()
        .map(|r| {
            (!r.is_empty()).then(|| (r.iter().map(|e| e * e).sum::<f64>() / r.len() as f64).sqrt())
        })
        .collect();
    let intervals: Vec<Vec<Option<f64>>> = residuals
        .iter()
        .map(|r| {
            if r.is_empty() {
                return Vec::new();
            }
            let mut abs: Vec<f64> = r.iter().map(|e| e.abs()).collect();
            abs.sort_by(f64::total_cmp);
            INTERVAL_LEVELS
                .iter()
                .map(|&l| conformal_half_width(&abs, l))
                .collect()
        })
        .collect();
    let mut regulators = regulators;
    if params.cv_select {
        null_models(
            &r2,
            &mut start,
            &mut regulators,
            &mut weights,
            &mut forests,
            &mut covers,
        );
    }
    let genes: Arc<[String]> = matrix.genes().to_vec().into();
    let index = genes
        .iter()
        .enumerate()
        .map(|(i, g)| (g.clone(), i))
        .collect();
    Ok(ResponseModel {
        genes,
        index,
        mean,
        sd,
        start,
        regulators,
        weights,
        forests,
        r2,
        alpha,
        kind,
        missing,
        uniform_prior_targets,
        cv_rmse,
        intervals,
        covers,
        params: Some((*params).clone()),
        normalization: Normalization::None,
    })
}

/// Removes the regulators of every target whose cross-validated R² is not positive
/// (see [`ModelParams::cv_select`]), keeping the flattened lists aligned.
fn null_models(
    r2: &[Option<f64>],
    start: &mut Vec<usize>,
    regulators: &mut Vec<usize>,
    weights: &mut Vec<f64>,
    forests: &mut [Option<TreeModel>],
    covers: &mut [Vec<Vec<u32>>],
) {
    let linear = !weights.is_empty();
    let (mut new_regs, mut new_weights) = (Vec::new(), Vec::new());
    let mut new_start = vec![0];
    for t in 0..r2.len() {
        let keep = r2[t].is_some_and(|v| v > 0.0);
        if keep {
            new_regs.extend_from_slice(&regulators[start[t]..start[t + 1]]);
            if linear {
                new_weights.extend_from_slice(&weights[start[t]..start[t + 1]]);
            }
        } else if let Some(f) = forests.get_mut(t) {
            *f = None;
            covers[t].clear();
        }
        new_start.push(new_regs.len());
    }
    *start = new_start;
    *regulators = new_regs;
    *weights = new_weights;
}

/// Per matrix gene, its regulators (matrix indices) in network rank order, at most
/// `k`, and their edges' scores; and the network genes missing from the matrix.
/// With `drop_reciprocal`, an edge whose reverse has a higher score is left out
/// (see [`ModelParams::drop_reciprocal`]).
fn regulators_of(
    matrix: &ExpressionMatrix,
    network: &GeneNetwork,
    k: Option<usize>,
    drop_reciprocal: bool,
) -> (Vec<Vec<usize>>, Vec<Vec<f64>>, Vec<String>) {
    let mut missing = Vec::new();
    let mut node_to_gene = HashMap::new();
    for (node, gene) in network.genes() {
        match matrix.gene_index(&gene.name) {
            Some(i) => {
                node_to_gene.insert(node, i);
            }
            None => missing.push(gene.name.clone()),
        }
    }
    let mut ranked: Vec<Vec<(usize, usize, f64)>> = vec![Vec::new(); matrix.n_genes()];
    for (r, t, e) in network.regulations() {
        if let (Some(&ri), Some(&ti)) = (node_to_gene.get(&r), node_to_gene.get(&t))
            && ri != ti
        {
            ranked[ti].push((e.rank, ri, e.score));
        }
    }
    if drop_reciprocal {
        let mut best: HashMap<(usize, usize), f64> = HashMap::new();
        for (t, v) in ranked.iter().enumerate() {
            for &(_, r, s) in v {
                let e = best.entry((r, t)).or_insert(s);
                *e = e.max(s);
            }
        }
        for (t, v) in ranked.iter_mut().enumerate() {
            v.retain(|&(_, r, s)| best.get(&(t, r)).is_none_or(|&back| back <= s));
        }
    }
    let (per_target, scores) = ranked
        .into_iter()
        .map(|mut v| {
            // Ranks are distinct, so the order is total.
            v.sort_unstable_by_key(|&(rank, _, _)| rank);
            let mut regs: Vec<usize> = Vec::with_capacity(v.len());
            let mut scores = Vec::with_capacity(v.len());
            for (_, r, s) in v {
                if !regs.contains(&r) {
                    regs.push(r);
                    scores.push(s);
                }
            }
            if let Some(k) = k {
                regs.truncate(k);
                scores.truncate(k);
            }
            (regs, scores)
        })
        .unzip();
    (per_target, scores, missing)
}

fn mean_sd(v: &[f32]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().map(|&x| x as f64).sum::<f64>() / n;
    let var = v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{Cut, EdgeTable, Sign};
    use faer::Mat;
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};

    /// Genes x0..x3 independent normal; y = 2 x0 - x1 + noise; z unrelated.
    fn data(n: usize, noise: f64) -> (ExpressionMatrix, GeneNetwork) {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
        let mut draw = || -> f64 { StandardNormal.sample(&mut rng) };
        let mut rows: Vec<Vec<f32>> = vec![Vec::new(); 6];
        for _ in 0..n {
            let x: Vec<f64> = (0..4).map(|_| draw()).collect();
            let y = 2.0 * x[0] - x[1] + noise * draw();
            let z = draw();
            for (g, v) in x.iter().chain([y, z].iter()).enumerate() {
                rows[g].push(*v as f32);
            }
        }
        let names: Vec<String> = ["x0", "x1", "x2", "x3", "y", "z"].map(String::from).into();
        let values = ndarray::Array2::from_shape_vec((6, n), rows.concat()).unwrap();
        let samples = (0..n).map(|i| format!("s{i}")).collect();
        let m = ExpressionMatrix::new(names.clone(), samples, values).unwrap();
        let mut t = EdgeTable::new(names.into(), true);
        for (r, s) in [(0, 0.9), (1, 0.8), (2, 0.3), (3, 0.2)] {
            t.push(r, 4, s, Sign::Unknown);
        }
        t.push(0, 5, 0.5, Sign::Unknown);
        (
            m,
            GeneNetwork::from_table(&t, &Cut::default(), None).unwrap(),
        )
    }

    #[test]
    fn ridge_recovers_weights_and_reports_r2() {
        let (m, net) = data(400, 0.1);
        let model = fit(&m, &net, &ModelParams::default(), &crate::Quiet).unwrap();
        let y = model.gene_index("y").unwrap();
        assert_eq!(model.regulators(y), [0, 1, 2, 3]);
        let w = model.weights(y).unwrap();
        assert!((w[0] - 2.0).abs() < 0.02, "{w:?}");
        assert!((w[1] + 1.0).abs() < 0.02, "{w:?}");
        assert!(w[2].abs() < 0.02 && w[3].abs() < 0.02, "{w:?}");
        assert!(model.r2(y).unwrap() > 0.99);
        // z is unrelated to x0: its R² is near or below zero.
        assert!(model.r2(model.gene_index("z").unwrap()).unwrap() < 0.05);
        assert_eq!(model.r2(0), None);
    }

    #[test]
    fn score_prior_is_an_adaptive_ridge() {
        // Orthogonal standardised regulators and y = x1 + x2: a penalty α/v_j gives
        // the weight n v_j / (n v_j + α) exactly, with v = scores / mean score.
        let n = 4;
        let names: Vec<String> = ["x1", "x2", "y"].map(String::from).into();
        let values = ndarray::Array2::from_shape_vec(
            (3, n),
            vec![1., 1., -1., -1., 1., -1., 1., -1., 2., 0., 0., -2.],
        )
        .unwrap();
        let samples = (0..n).map(|i| format!("s{i}")).collect();
        let m = ExpressionMatrix::new(names.clone(), samples, values).unwrap();
        let network = |scores: [f64; 2]| {
            let mut t = EdgeTable::new(names.clone().into(), true);
            t.push(0, 2, scores[0], Sign::Unknown);
            t.push(1, 2, scores[1], Sign::Unknown);
            GeneNetwork::from_table(&t, &Cut::default(), None).unwrap()
        };
        let alpha = 2.0;
        let weights = |scores: [f64; 2], prior: WeightPrior| {
            let params = ModelParams {
                kind: ModelKind::Linear(Alpha::Fixed(alpha)),
                prior,
                ..ModelParams::default()
            };
            let model = fit(&m, &network(scores), &params, &crate::Quiet).unwrap();
            assert_eq!(model.uniform_prior_targets(), 0);
            model.weights(2).unwrap().to_vec()
        };
        let expect = |v: f64| n as f64 * v / (n as f64 * v + alpha);
        let w = weights([0.6, 0.2], WeightPrior::Score);
        assert!((w[0] - expect(1.5)).abs() < 1e-12, "{w:?}");
        assert!((w[1] - expect(0.5)).abs() < 1e-12, "{w:?}");
        // Only the scores' ratios matter; equal scores are plain ridge.
        assert_eq!(weights([6.0, 2.0], WeightPrior::Score), w);
        let plain = weights([0.6, 0.2], WeightPrior::Uniform);
        assert!(
            plain.iter().all(|x| (x - expect(1.0)).abs() < 1e-12),
            "{plain:?}"
        );
        assert_eq!(weights([0.3, 0.3], WeightPrior::Score), plain);
        // A score that cannot be a variance falls back to plain ridge, counted.
        let params = ModelParams {
            kind: ModelKind::Linear(Alpha::Fixed(alpha)),
            ..ModelParams::default()
        };
        let model = fit(&m, &network([0.6, -0.2]), &params, &crate::Quiet).unwrap();
        assert_eq!(model.uniform_prior_targets(), 1);
        assert_eq!(model.weights(2).unwrap(), plain);
    }

    #[test]
    fn per_target_keeps_best_ranked_regulators() {
        let (m, net) = data(50, 0.1);
        let params = ModelParams {
            per_target: Some(2),
            ..ModelParams::default()
        };
        let model = fit(&m, &net, &params, &crate::Quiet).unwrap();
        assert_eq!(model.regulators(4), [0, 1]);
        assert_eq!(model.regulating_genes(), [0, 1]);
    }

    #[test]
    fn gcv_shrinks_noise_more_than_signal() {
        // Per target: pure noise gets a large penalty, signal a small one. Shared:
        // one penalty for both.
        let (m, net) = data(60, 0.1);
        let per_target = ModelParams {
            kind: ModelKind::Linear(Alpha::GcvPerTarget),
            ..ModelParams::default()
        };
        let model = fit(&m, &net, &per_target, &crate::Quiet).unwrap();
        let a_signal = model.alpha(4).unwrap();
        let a_noise = model.alpha(5).unwrap();
        assert!(a_noise > 10.0 * a_signal, "{a_noise} vs {a_signal}");
        let shared = fit(&m, &net, &ModelParams::default(), &crate::Quiet).unwrap();
        assert_eq!(shared.alpha(4), shared.alpha(5));
        assert!(shared.alpha(4).unwrap() < a_noise);
    }

    #[test]
    fn loo_r2_matches_explicit_refits() {
        // Fixed alpha: the PRESS formula equals refitting without each sample (the
        // intercept and standardisation held at the full-data values), and the
        // scaled columns of the score prior equal a penalty α / v_j on weight j.
        let (m, net) = data(30, 1.0);
        let scores = [0.9, 0.8, 0.3, 0.2];
        let v: Vec<f64> = scores.iter().map(|s| s / 0.55).collect();
        let alpha = 3.0;
        let params = ModelParams {
            kind: ModelKind::Linear(Alpha::Fixed(alpha)),
            ..ModelParams::default()
        };
        let model = fit(&m, &net, &params, &crate::Quiet).unwrap();
        let n = 30;
        let regs = [0usize, 1, 2, 3];
        let sd: Vec<f64> = (0..6).map(|g| model.sd(g)).collect();
        let col = |g: usize| -> Vec<f64> {
            let mean = model.mean(g);
            m.gene(g).iter().map(|&v| v as f64 - mean).collect()
        };
        let y = col(4);
        let xs: Vec<Vec<f64>> = regs.iter().map(|&g| col(g)).collect();
        let mut press = 0.0;
        for out in 0..n {
            // Normal equations on standardised columns without sample `out`, with the
            // intercept fitted: augment with a constant column left unpenalised.
            let k = regs.len() + 1;
            let mut a = Mat::<f64>::zeros(k, k);
            let mut b = Mat::<f64>::zeros(k, 1);
            let row = |i: usize| -> Vec<f64> {
                let mut r: Vec<f64> = (0..regs.len()).map(|j| xs[j][i] / sd[regs[j]]).collect();
                r.push(1.0);
                r
            };
            for i in (0..n).filter(|&i| i != out) {
                let r = row(i);
                for p in 0..k {
                    b[(p, 0)] += r[p] * y[i];
                    for q in 0..k {
                        a[(p, q)] += r[p] * r[q];
                    }
                }
            }
            for p in 0..regs.len() {
                a[(p, p)] += alpha / v[p];
            }
            use faer::linalg::solvers::Solve;
            let sol = a.partial_piv_lu().solve(&b);
            let r = row(out);
            let pred: f64 = (0..k).map(|p| r[p] * sol[(p, 0)]).sum();
            press += (y[out] - pred).powi(2);
        }
        let tss: f64 = y.iter().map(|v| v * v).sum();
        let explicit = 1.0 - press / tss;
        let formula = model.r2(4).unwrap();
        assert!((explicit - formula).abs() < 1e-9, "{explicit} vs {formula}");
    }

    #[test]
    fn forest_fits_and_cross_validates() {
        let (m, net) = data(200, 0.1);
        let params = ModelParams {
            kind: ModelKind::Forest(ForestModelParams::breiman()),
            ..ModelParams::default()
        };
        let model = fit(&m, &net, &params, &crate::Quiet).unwrap();
        assert!(!model.is_linear());
        assert!(model.weights(4).is_none());
        let r2 = model.r2(4).unwrap();
        assert!(r2 > 0.6 && r2 < 1.0, "{r2}");
        let mut x = vec![0.0; 6];
        let mut buf = Vec::new();
        let lo = model.forest_predict(4, &x, &mut buf);
        x[0] = 1.5;
        let hi = model.forest_predict(4, &x, &mut buf);
        assert!(hi - lo > 1.5, "{lo} -> {hi}");
    }

    #[test]
    fn unknown_names_and_bad_params_are_errors() {
        let (m, net) = data(20, 0.1);
        let model = fit(&m, &net, &ModelParams::default(), &crate::Quiet).unwrap();
        let e = model.require("nope", "--knockout").unwrap_err().to_string();
        assert!(e.contains("\"nope\"") && e.contains("--knockout"), "{e}");
        let bad = ModelParams {
            kind: ModelKind::Linear(Alpha::Fixed(-1.0)),
            ..ModelParams::default()
        };
        assert!(fit(&m, &net, &bad, &crate::Quiet).is_err());
    }

    #[test]
    fn reciprocal_pairs_keep_the_better_scored_direction() {
        let (m, _) = data(100, 0.1);
        let names: Arc<[String]> = m.genes().to_vec().into();
        let mut t = EdgeTable::new(names, true);
        t.push(0, 4, 0.9, Sign::Unknown); // x0 -> y
        t.push(4, 0, 0.5, Sign::Unknown); // y -> x0, weaker: dropped
        t.push(1, 4, 0.4, Sign::Unknown); // x1 <-> y with equal scores: both kept
        t.push(4, 1, 0.4, Sign::Unknown);
        let net = GeneNetwork::from_table(&t, &Cut::default(), None).unwrap();
        let params = ModelParams {
            cv_select: false,
            drop_reciprocal: true,
            ..ModelParams::default()
        };
        let model = fit(&m, &net, &params, &crate::Quiet).unwrap();
        assert_eq!(model.regulators(4), [0, 1]);
        assert!(model.regulators(0).is_empty());
        assert_eq!(model.regulators(1), [4]);
        let kept = ModelParams {
            drop_reciprocal: false,
            ..params
        };
        let model = fit(&m, &net, &kept, &crate::Quiet).unwrap();
        assert_eq!(model.regulators(0), [4]);
    }

    #[test]
    fn targets_their_regulators_cannot_predict_keep_none() {
        let (m, net) = data(400, 0.1);
        let select = ModelParams {
            cv_select: true,
            ..ModelParams::default()
        };
        let model = fit(&m, &net, &select, &crate::Quiet).unwrap();
        let z = model.gene_index("z").unwrap();
        // z is independent of x0: the cross-validated R² is not positive, so the
        // null model is chosen and a knockout of x0 cannot move z.
        let r2 = model.r2(z).unwrap();
        assert!(r2 <= 0.0, "{r2}");
        assert!(model.regulators(z).is_empty());
        assert_eq!(model.regulators(4), [0, 1, 2, 3]);
        assert_eq!(model.n_edges(), 4);
        let all = ModelParams::default();
        let model = fit(&m, &net, &all, &crate::Quiet).unwrap();
        assert_eq!(model.regulators(z), [0]);
        assert_eq!(model.n_edges(), 5);
        // Forests too.
        let forest = ModelParams {
            kind: ModelKind::Forest(ForestModelParams::breiman()),
            ..select
        };
        let model = fit(&m, &net, &forest, &crate::Quiet).unwrap();
        assert!(model.r2(z).unwrap() <= 0.0);
        assert!(model.regulators(z).is_empty());
        assert_eq!(model.regulators(4), [0, 1, 2, 3]);
    }
}
