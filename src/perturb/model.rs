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

use std::collections::HashMap;
use std::sync::Arc;

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::{Mat, Par};
use rand::seq::SliceRandom;
use rayon::prelude::*;

use crate::expression::ExpressionMatrix;
use crate::network::GeneNetwork;
use crate::trees::{
    self, BinnedMatrix, EnsembleParams, ForestParams, MaxFeatures, SplitRule, TreeModel, TreeParams,
};
use crate::{Progress, random};

use super::PerturbError;

/// How the ridge penalty is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Alpha {
    /// One penalty for every target, minimising the sum over targets of their
    /// generalised cross-validation scores (Golub, Heath & Wahba 1979), each in
    /// units of the target's variance: a shared prior on standardised weights,
    /// estimated from all genes at once.
    Gcv,
    /// Each target's own GCV minimum. Noisier: with tens of samples and little
    /// signal a single target's GCV curve is flat and its minimum often lands on an
    /// almost empty model (docs/perturb.md measures both).
    GcvPerTarget,
    /// The same penalty for every target, on the scale of unit-variance regulators
    /// (the objective is `|y - Xβ|² + α|β|²` with `X`'s columns standardised).
    Fixed(f64),
}

/// Settings of the forest response model.
#[derive(Debug, Clone, PartialEq)]
pub struct ForestModelParams {
    /// The ensemble.
    pub forest: ForestParams,
    /// Folds of the cross-validated R².
    pub folds: usize,
}

impl ForestModelParams {
    /// Trees per forest: scikit-learn's default since 0.22; Oshiro, Perez & Baranauskas
    /// (2012, MLDM) found no significant gain beyond 64-128 trees.
    pub const TREES: usize = 100;
    /// Smallest leaf: 5 samples, the regression default of Breiman's random forests
    /// (`nodesize`, Liaw & Wiener 2002, R News 2:18).
    pub const MIN_LEAF: usize = 5;
    /// Folds of cross-validation: 5, the usual bias-variance compromise (Hastie,
    /// Tibshirani & Friedman 2009, ESL §7.10).
    pub const FOLDS: usize = 5;

    /// Breiman's regression forest (Breiman 2001; Liaw & Wiener 2002): bootstrap
    /// samples, a third of the regulators tried at each split (`mtry = p/3`), leaves
    /// of at least 5 samples, with 100 trees.
    pub fn breiman() -> Self {
        ForestModelParams {
            forest: ForestParams {
                n_trees: Self::TREES,
                bootstrap: true,
                tree: TreeParams {
                    max_features: MaxFeatures::Fraction(1.0 / 3.0),
                    split: SplitRule::Best,
                    max_depth: None,
                    min_samples_leaf: Self::MIN_LEAF,
                },
            },
            folds: Self::FOLDS,
        }
    }
}

/// How the ridge penalty is spread over a target's regulators.
///
/// Ridge regression is the posterior mean under the prior `β_j ~ N(0, σ²v_j/α)` on
/// the standardised weights; `v_j` says how large a weight is expected before
/// seeing the data (an adaptive ridge: Grandvalet 1998, ICANN 98:201; the
/// adaptive lasso's data-driven weights, Zou 2006, JASA 101:1418).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightPrior {
    /// `v_j` proportional to the edge's score, normalised to mean 1 over the
    /// target's regulators. Tree-ensemble scores are each regulator's share of the
    /// variance the ensemble explains in the unit-variance target, and for a
    /// standardised regulator that share is what `β_j²` measures, so the network's
    /// own estimate sets the prior. Targets whose kept edges do not all have
    /// positive finite scores fall back to [`WeightPrior::Uniform`] (counted by
    /// [`ResponseModel::uniform_prior_targets`]).
    Score,
    /// Every regulator alike: plain ridge.
    Uniform,
}

impl WeightPrior {
    /// Every prior, in command-line order.
    pub const ALL: [WeightPrior; 2] = [WeightPrior::Score, WeightPrior::Uniform];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            WeightPrior::Score => "score",
            WeightPrior::Uniform => "uniform",
        }
    }
}

crate::named::named_enum!(WeightPrior, "weight prior");

/// Which response model.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelKind {
    /// Ridge regression with the given penalty rule.
    Linear(Alpha),
    /// Random forests.
    Forest(ForestModelParams),
}

impl ModelKind {
    /// The name used on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            ModelKind::Linear(_) => "linear",
            ModelKind::Forest(_) => "forest",
        }
    }
}

/// Settings of [`fit`].
#[derive(Debug, Clone, PartialEq)]
pub struct ModelParams {
    /// The model of each target.
    pub kind: ModelKind,
    /// Regulators per target: the `k` best-ranked edges into it (`None`: all).
    pub per_target: Option<usize>,
    /// Prior scale of each ridge weight (linear model; forests ignore it).
    pub prior: WeightPrior,
    /// Seed of the forests and of the cross-validation folds.
    pub seed: u64,
}

impl ModelParams {
    /// Regulators per target: 10, the largest of the "top regulators per target"
    /// modules of SCENIC (top 5 and 10; Aibar et al. 2017, Nature Methods 14:1083),
    /// and few enough for a stable fit on tens of samples.
    pub const PER_TARGET: usize = 10;
    /// Candidate penalties of the GCV search: a grid of 100 values, as glmnet's path
    /// (Friedman, Hastie & Tibshirani 2010, J Stat Softw 33:1).
    pub const GCV_GRID: usize = 100;
    /// The grid spans `[10^-4, 10^2] x scale`, the scale `n` (samples) for the shared
    /// penalty (standardised regulators have `Σ s² = n k`) and `s²_max` (the largest
    /// squared singular value) per target: from glmnet's ratio 10^-4 (an almost
    /// unpenalised fit) up to shrinking every direction about a hundredfold (an
    /// almost empty model).
    pub const GCV_RANGE: (f64, f64) = (1e-4, 1e2);

    /// Checks ranges.
    pub fn validate(&self) -> Result<(), PerturbError> {
        if self.per_target == Some(0) {
            return Err(PerturbError::Param(
                "`per_target` must be at least 1 (regulators per target)".into(),
            ));
        }
        match &self.kind {
            ModelKind::Linear(Alpha::Fixed(a)) if !(a.is_finite() && *a >= 0.0) => Err(
                PerturbError::Param(format!("`alpha` must be finite and non-negative, got {a}")),
            ),
            ModelKind::Linear(_) => Ok(()),
            ModelKind::Forest(f) => {
                f.forest.validate()?;
                if f.folds < 2 {
                    return Err(PerturbError::Param(format!(
                        "cross-validation needs at least 2 folds, got {}",
                        f.folds
                    )));
                }
                Ok(())
            }
        }
    }
}

impl Default for ModelParams {
    fn default() -> Self {
        ModelParams {
            kind: ModelKind::Linear(Alpha::Gcv),
            per_target: Some(Self::PER_TARGET),
            prior: WeightPrior::Score,
            seed: 0,
        }
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
    kind: &'static str,
    missing: Vec<String>,
    uniform_prior_targets: usize,
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
            kind: "linear",
            missing: Vec::new(),
            uniform_prior_targets: 0,
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

    /// "linear" or "forest".
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// Whether the model is linear (has edge weights).
    pub fn is_linear(&self) -> bool {
        self.kind == "linear"
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
    params.validate()?;
    let n_genes = matrix.n_genes();
    let n = matrix.n_samples();
    if n < crate::expression::MIN_SAMPLES {
        return Err(PerturbError::Input(format!(
            "the expression matrix has {n} samples; fitting needs at least {}",
            crate::expression::MIN_SAMPLES
        )));
    }
    let (per_target, scores, missing) = regulators_of(matrix, network, params.per_target);
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
    let (weights, forests, r2, alpha, kind) = match &params.kind {
        ModelKind::Linear(rule) => {
            let prior: Vec<Vec<f64>> = scores
                .iter()
                .map(|s| {
                    prior_variances(s, params.prior).unwrap_or_else(|| {
                        uniform_prior_targets += 1;
                        vec![1.0; s.len()]
                    })
                })
                .collect();
            let fits = ridge_all(matrix, &per_target, &prior, &mean, &sd, *rule, progress);
            let mut weights = Vec::with_capacity(regulators.len());
            let (mut r2, mut alpha) = (Vec::with_capacity(n_genes), Vec::with_capacity(n_genes));
            for f in fits {
                match f {
                    Some(f) => {
                        weights.extend_from_slice(&f.weights);
                        r2.push(Some(f.r2));
                        alpha.push(Some(f.alpha));
                    }
                    None => {
                        r2.push(None);
                        alpha.push(None);
                    }
                }
            }
            (weights, Vec::new(), r2, alpha, "linear")
        }
        ModelKind::Forest(fp) => {
            let (forests, r2) = forests(matrix, &per_target, fp, params.seed, progress);
            (Vec::new(), forests, r2, vec![None; n_genes], "forest")
        }
    };
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
    })
}

/// Prior variances of a target's standardised weights from its edges' scores
/// (see [`WeightPrior`]): mean 1, so the penalty keeps its scale. `None` when the
/// scores cannot serve (one is not positive and finite).
fn prior_variances(scores: &[f64], prior: WeightPrior) -> Option<Vec<f64>> {
    match prior {
        WeightPrior::Uniform => Some(vec![1.0; scores.len()]),
        WeightPrior::Score => {
            if !scores.iter().all(|s| s.is_finite() && *s > 0.0) {
                return None;
            }
            let mean = scores.iter().sum::<f64>() / scores.len().max(1) as f64;
            Some(scores.iter().map(|s| s / mean).collect())
        }
    }
}

/// Per matrix gene, its regulators (matrix indices) in network rank order, at most
/// `k`, and their edges' scores; and the network genes missing from the matrix.
fn regulators_of(
    matrix: &ExpressionMatrix,
    network: &GeneNetwork,
    k: Option<usize>,
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

/// One target's ridge fit.
struct RidgeFit {
    weights: Vec<f64>,
    alpha: f64,
    r2: f64,
}

/// The thin SVD `X = U S Vᵀ` of a target's centred, standardised regulators (each
/// scaled by the square root of its prior variance, see [`WeightPrior`]), and
/// what every penalty's fit needs: `β(α) = V diag(s/(s²+α)) Uᵀy`, hat matrix
/// `1/n + U diag(s²/(s²+α)) Uᵀ` (the 1/n for the intercept).
struct Decomposed {
    /// Positions (in the regulator list) of the regulators with variance.
    used: Vec<usize>,
    u: Mat<f64>,
    vt: Mat<f64>,
    s: Vec<f64>,
    /// `Uᵀy`.
    uy: Vec<f64>,
    /// The centred target.
    y: Vec<f64>,
    /// `|y|²`.
    tss: f64,
    /// `√v_j` of each used regulator (see [`WeightPrior`]).
    scale: Vec<f64>,
}

impl Decomposed {
    fn new(
        matrix: &ExpressionMatrix,
        t: usize,
        regs: &[usize],
        prior: &[f64],
        mean: &[f64],
        sd: &[f64],
    ) -> Option<Self> {
        let n = matrix.n_samples();
        let y: Vec<f64> = matrix.gene(t).iter().map(|&x| x as f64 - mean[t]).collect();
        let tss: f64 = y.iter().map(|v| v * v).sum();
        // Regulators without variance cannot be fitted; they keep weight 0.
        let used: Vec<usize> = (0..regs.len()).filter(|&j| sd[regs[j]] > 0.0).collect();
        // A penalty α/v_j on β_j is plain ridge on the column scaled by √v_j.
        let scale: Vec<f64> = used.iter().map(|&j| prior[j].sqrt()).collect();
        let k = used.len();
        if k == 0 || tss == 0.0 {
            return None;
        }
        let x = Mat::<f64>::from_fn(n, k, |i, j| {
            let g = regs[used[j]];
            (matrix.values()[[g, i]] as f64 - mean[g]) / sd[g] * scale[j]
        });
        let size = n.min(k);
        let mut u = Mat::<f64>::zeros(n, size);
        let mut vt = Mat::<f64>::zeros(k, size);
        let mut s = faer::diag::Diag::<f64>::zeros(size);
        let compute = faer::linalg::svd::ComputeSvdVectors::Thin;
        let mut buf = MemBuffer::new(faer::linalg::svd::svd_scratch::<f64>(
            n,
            k,
            compute,
            compute,
            Par::Seq,
            Default::default(),
        ));
        faer::linalg::svd::svd(
            x.as_ref(),
            s.as_mut(),
            Some(u.as_mut()),
            Some(vt.as_mut()),
            Par::Seq,
            MemStack::new(&mut buf),
            Default::default(),
        )
        .ok()?;
        let s: Vec<f64> = (0..size).map(|j| s[j]).collect();
        let uy: Vec<f64> = (0..size)
            .map(|j| (0..n).map(|i| u[(i, j)] * y[i]).sum())
            .collect();
        Some(Decomposed {
            used,
            u,
            vt,
            s,
            uy,
            y,
            tss,
            scale,
        })
    }

    /// Generalised cross-validation `n |y - ŷ|² / (n - df)²` at penalty `a`, in
    /// units of the target's variance (so targets can be pooled); `None` when the
    /// fit leaves no degrees of freedom.
    fn gcv(&self, a: f64) -> Option<f64> {
        let n = self.y.len() as f64;
        let explained: f64 = self.uy.iter().map(|v| v * v).sum();
        let mut rss = self.tss - explained;
        let mut df = 1.0;
        for (&sj, &uyj) in self.s.iter().zip(&self.uy) {
            let d = sj * sj + a;
            if d > 0.0 {
                rss += (a / d).powi(2) * uyj * uyj;
                df += sj * sj / d;
            }
        }
        let rest = n - df;
        (rest > 0.0).then(|| n * n * rss.max(0.0) / (rest * rest * self.tss))
    }

    /// The fit at penalty `alpha`: weights in expression units and the exact
    /// leave-one-out R².
    fn solve(&self, alpha: f64, regs: &[usize], sd: &[f64]) -> RidgeFit {
        let n = self.y.len();
        let size = self.s.len();
        let shrink: Vec<f64> = self
            .s
            .iter()
            .map(|&sj| {
                let d = sj * sj + alpha;
                if d > 0.0 { sj * sj / d } else { 0.0 }
            })
            .collect();
        let coef: Vec<f64> = (0..size)
            .map(|j| {
                let d = self.s[j] * self.s[j] + alpha;
                if d > 0.0 {
                    self.s[j] / d * self.uy[j]
                } else {
                    0.0
                }
            })
            .collect();
        let mut weights = vec![0.0; regs.len()];
        for (jj, &j) in self.used.iter().enumerate() {
            let b: f64 = (0..size).map(|c| self.vt[(jj, c)] * coef[c]).sum();
            weights[j] = b * self.scale[jj] / sd[regs[j]];
        }
        let mut press = 0.0;
        for i in 0..n {
            let mut fitted = 0.0;
            let mut h = 1.0 / n as f64;
            for (j, (&sh, &uyj)) in shrink.iter().zip(&self.uy).enumerate() {
                let uij = self.u[(i, j)];
                fitted += uij * sh * uyj;
                h += uij * uij * sh;
            }
            let e = self.y[i] - fitted;
            // A sample with leverage 1 is fitted exactly whatever its value: its
            // held-out error is unknown, so it counts as the mean's.
            press += if h < 1.0 - 1e-12 {
                (e / (1.0 - h)).powi(2)
            } else {
                self.y[i] * self.y[i]
            };
        }
        RidgeFit {
            weights,
            alpha,
            r2: 1.0 - press / self.tss,
        }
    }
}

/// The candidate penalties: [`ModelParams::GCV_GRID`] values log-spaced over
/// `scale x` [`ModelParams::GCV_RANGE`].
fn alpha_grid(scale: f64) -> impl Iterator<Item = f64> {
    let (lo, hi) = ModelParams::GCV_RANGE;
    let g = ModelParams::GCV_GRID;
    (0..g).map(move |i| scale * lo * (hi / lo).powf(i as f64 / (g - 1) as f64))
}

/// Ridge fits of every target. Shared GCV needs two passes (the pooled criterion,
/// then the fits); the SVDs are recomputed rather than kept, as they would take
/// n x k numbers per target.
fn ridge_all(
    matrix: &ExpressionMatrix,
    per_target: &[Vec<usize>],
    prior: &[Vec<f64>],
    mean: &[f64],
    sd: &[f64],
    rule: Alpha,
    progress: &dyn Progress,
) -> Vec<Option<RidgeFit>> {
    let n = matrix.n_samples() as f64;
    let decompose = |t: usize| {
        (!per_target[t].is_empty())
            .then(|| Decomposed::new(matrix, t, &per_target[t], &prior[t], mean, sd))
            .flatten()
    };
    let empty = |t: usize| {
        (!per_target[t].is_empty()).then(|| RidgeFit {
            weights: vec![0.0; per_target[t].len()],
            alpha: 0.0,
            r2: 0.0,
        })
    };
    let shared = match rule {
        Alpha::Fixed(a) => Some(a),
        Alpha::GcvPerTarget => None,
        Alpha::Gcv => {
            // Standardised regulators with prior variances of mean 1: Σ s² = n k, so
            // n is the natural unit.
            let grid: Vec<f64> = alpha_grid(n).collect();
            // Per-target curves collected in order and summed sequentially, so the
            // choice does not depend on the number of threads.
            let curves: Vec<Vec<f64>> = (0..per_target.len())
                .into_par_iter()
                .map(|t| match decompose(t) {
                    Some(d) => grid
                        .iter()
                        .map(|&a| d.gcv(a).unwrap_or(f64::INFINITY))
                        .collect(),
                    None => Vec::new(),
                })
                .collect();
            let mut totals = vec![0.0; grid.len()];
            for c in curves.iter().filter(|c| !c.is_empty()) {
                totals.iter_mut().zip(c).for_each(|(x, y)| *x += y);
            }
            let best = (0..grid.len())
                .min_by(|&i, &j| totals[i].total_cmp(&totals[j]))
                .expect("the grid is not empty");
            Some(grid[best])
        }
    };
    (0..per_target.len())
        .into_par_iter()
        .map(|t| {
            let fit = match decompose(t) {
                None => empty(t),
                Some(d) => {
                    let alpha = shared.unwrap_or_else(|| {
                        let s2max = d.s[0] * d.s[0];
                        alpha_grid(s2max)
                            .filter_map(|a| d.gcv(a).map(|g| (g, a)))
                            .min_by(|x, y| x.0.total_cmp(&y.0))
                            .map_or(0.0, |(_, a)| a)
                    });
                    Some(d.solve(alpha, &per_target[t], sd))
                }
            };
            progress.advance(1);
            fit
        })
        .collect()
}

fn mean_of(v: &[f32]) -> f64 {
    v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64
}

// Stream tag of the cross-validation folds (targets use their own index).
const FOLDS_STREAM: u64 = u64::MAX;

/// Forests of every target with regulators, and their cross-validated R².
fn forests(
    matrix: &ExpressionMatrix,
    per_target: &[Vec<usize>],
    params: &ForestModelParams,
    seed: u64,
    progress: &dyn Progress,
) -> (Vec<Option<TreeModel>>, Vec<Option<f64>>) {
    let n = matrix.n_samples();
    let folds = params.folds.min(n);
    // Samples dealt into folds in a random order shared by every target.
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut random::stream(seed, FOLDS_STREAM));
    let mut fold_of = vec![0usize; n];
    for (pos, &s) in order.iter().enumerate() {
        fold_of[s] = pos % folds;
    }
    let train_sets: Vec<Vec<usize>> = (0..folds)
        .map(|f| (0..n).filter(|&s| fold_of[s] != f).collect())
        .collect();
    let binned_folds: Vec<BinnedMatrix> = train_sets
        .iter()
        .map(|train| {
            let values = matrix.values().select(ndarray::Axis(1), train);
            let names = train.iter().map(|&s| matrix.samples()[s].clone()).collect();
            let sub = ExpressionMatrix::new(matrix.genes().to_vec(), names, values)
                .expect("a subset of a valid matrix is valid");
            BinnedMatrix::new(&sub)
        })
        .collect();
    let binned = BinnedMatrix::new(matrix);
    let ensemble = EnsembleParams::Forest(params.forest.clone());
    let fitted: Vec<(Option<TreeModel>, Option<f64>)> = (0..matrix.n_genes())
        .into_par_iter()
        .map(|t| {
            let regs = &per_target[t];
            if regs.is_empty() {
                progress.advance(1);
                return (None, None);
            }
            let y: Vec<f32> = matrix.gene(t).to_vec();
            let mut rng = random::stream(seed, t as u64);
            let full = trees::fit(&binned, &y, regs.clone(), &ensemble, &mut rng, true)
                .model
                .expect("asked to keep the model");
            let mut predicted = vec![0.0f64; n];
            let mut x = Vec::with_capacity(regs.len());
            for (f, train) in train_sets.iter().enumerate() {
                let y_train: Vec<f32> = train.iter().map(|&s| y[s]).collect();
                let model = trees::fit(
                    &binned_folds[f],
                    &y_train,
                    regs.clone(),
                    &ensemble,
                    &mut rng,
                    true,
                )
                .model
                .expect("asked to keep the model");
                for s in (0..n).filter(|&s| fold_of[s] == f) {
                    x.clear();
                    x.extend(regs.iter().map(|&r| matrix.values()[[r, s]]));
                    predicted[s] = model.predict(&x) as f64;
                }
            }
            let mean = mean_of(&y);
            let tss: f64 = y.iter().map(|&v| (v as f64 - mean).powi(2)).sum();
            let sse: f64 = y
                .iter()
                .zip(&predicted)
                .map(|(&v, &p)| (v as f64 - p).powi(2))
                .sum();
            progress.advance(1);
            (Some(full), (tss > 0.0).then(|| 1.0 - sse / tss))
        })
        .collect();
    fitted.into_iter().unzip()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{Cut, EdgeTable, Sign};
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
}
