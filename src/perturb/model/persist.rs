//! Saving and loading a [`ResponseModel`] (`.grnm` files). The one place that
//! knows the stored layout: a new field of [`ResponseModel`] is written and read
//! here, and a change that old readers would misread bumps [`FORMAT_VERSION`].
//!
//! The format is a first line `grn-model <version>` and then one JSON document
//! (gzipped as a whole when the name ends in `.gz`; reading detects gzip by
//! content). Why: the magic line lets a reader reject another file, or another
//! version, before parsing anything, with a message that says what to do; JSON
//! names every field, so a model file describes itself (genes, settings,
//! normalisation, per-gene cross-validated R², error and intervals) and can be read
//! by any language without this crate; numbers are written by `serde_json` in the
//! shortest form that parses back to the same `f64` (Ryū, Adams 2018, PLDI), and
//! read with its exact (`float_roundtrip`) parser, so a loaded model predicts
//! bit-for-bit what the fitted one did. Tree thresholds and leaf values (`f32`)
//! are stored through `f64`, which holds them exactly. A binary format would be
//! smaller but opaque and tied to one layout; the size of a stored model is
//! dominated by forests, which compress well with `.gz`.
//!
//! Cost: O(size of the model) both ways.

use std::io::{BufRead, Read, Write};
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::expression::Normalization;
use crate::files::{self, ParseError};
use crate::trees::{
    BoostingParams, ForestParams, LEAF, MaxFeatures, Node, OobImprovement, SplitRule, Tree,
    TreeModel, TreeParams,
};

use super::conformal::INTERVAL_LEVELS;
use super::params::{Alpha, BoostingModelParams, ForestModelParams, ModelKind, ModelParams};
use super::{PerturbError, ResponseKind, ResponseModel, WeightPrior};

/// The first word of a model file.
pub const FORMAT_MAGIC: &str = "grn-model";
/// The layout version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileV1 {
    kind: String,
    normalization: String,
    params: Option<ParamsV1>,
    interval_levels: Vec<f64>,
    genes: Vec<String>,
    mean: Vec<f64>,
    sd: Vec<f64>,
    missing_network_genes: Vec<String>,
    uniform_prior_targets: usize,
    /// Genes with regulators only, in gene order.
    targets: Vec<TargetV1>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetV1 {
    gene: String,
    regulators: Vec<String>,
    r2: Option<f64>,
    cv_rmse: Option<f64>,
    /// Conformal half-widths at `interval_levels`.
    intervals: Vec<Option<f64>>,
    alpha: Option<f64>,
    weights: Option<Vec<f64>>,
    ensemble: Option<EnsembleV1>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnsembleV1 {
    /// Boosting shrinkage; absent for forests (trees averaged).
    learning_rate: Option<f64>,
    mean: f64,
    scale: f64,
    trees: Vec<TreeV1>,
}

/// A tree as parallel node arrays (root first); `feature` -1 marks a leaf, and
/// features index the target's `regulators`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TreeV1 {
    feature: Vec<i64>,
    threshold: Vec<f64>,
    left: Vec<u32>,
    right: Vec<u32>,
    value: Vec<f64>,
    cover: Vec<u32>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamsV1 {
    model: String,
    per_target: Option<usize>,
    weight_prior: String,
    seed: u64,
    /// See [`ModelParams::drop_reciprocal`]; absent means false.
    #[serde(default)]
    drop_reciprocal: bool,
    /// See [`ModelParams::cv_select`]; absent means false.
    #[serde(default)]
    cv_select: bool,
    /// `gcv`, `gcv-per-target` or `fixed` (linear).
    alpha_rule: Option<String>,
    alpha: Option<f64>,
    folds: Option<usize>,
    n_trees: Option<usize>,
    bootstrap: Option<bool>,
    learning_rate: Option<f64>,
    max_rounds: Option<usize>,
    subsample: Option<f64>,
    early_stop_window: Option<usize>,
    /// `paired` or `consecutive` (boosting); absent means `paired`.
    #[serde(default)]
    oob_improvement: Option<String>,
    tree: Option<TreeParamsV1>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TreeParamsV1 {
    /// `all`, `sqrt`, `fraction` or `count`, with `max_features_value`.
    max_features: String,
    max_features_value: Option<f64>,
    split: String,
    max_depth: Option<usize>,
    min_samples_leaf: usize,
}

fn tree_params_out(t: &TreeParams) -> TreeParamsV1 {
    let (max_features, value) = match t.max_features {
        MaxFeatures::All => ("all", None),
        MaxFeatures::Sqrt => ("sqrt", None),
        MaxFeatures::Fraction(f) => ("fraction", Some(f)),
        MaxFeatures::Count(k) => ("count", Some(k as f64)),
    };
    TreeParamsV1 {
        max_features: max_features.into(),
        max_features_value: value,
        split: match t.split {
            SplitRule::Best => "best",
            SplitRule::Random => "random",
        }
        .into(),
        max_depth: t.max_depth,
        min_samples_leaf: t.min_samples_leaf,
    }
}

fn tree_params_in(t: &TreeParamsV1) -> Result<TreeParams, String> {
    let value = || {
        t.max_features_value
            .ok_or_else(|| format!("max_features {:?} needs max_features_value", t.max_features))
    };
    let max_features = match t.max_features.as_str() {
        "all" => MaxFeatures::All,
        "sqrt" => MaxFeatures::Sqrt,
        "fraction" => MaxFeatures::Fraction(value()?),
        "count" => MaxFeatures::Count(value()? as usize),
        other => return Err(format!("unknown max_features {other:?}")),
    };
    let split = match t.split.as_str() {
        "best" => SplitRule::Best,
        "random" => SplitRule::Random,
        other => return Err(format!("unknown split rule {other:?}")),
    };
    Ok(TreeParams {
        max_features,
        split,
        max_depth: t.max_depth,
        min_samples_leaf: t.min_samples_leaf,
    })
}

fn params_out(p: &ModelParams) -> ParamsV1 {
    let mut out = ParamsV1 {
        model: p.kind.name().into(),
        per_target: p.per_target,
        weight_prior: p.prior.name().into(),
        drop_reciprocal: p.drop_reciprocal,
        cv_select: p.cv_select,
        seed: p.seed,
        alpha_rule: None,
        alpha: None,
        folds: None,
        n_trees: None,
        bootstrap: None,
        learning_rate: None,
        max_rounds: None,
        subsample: None,
        early_stop_window: None,
        oob_improvement: None,
        tree: None,
    };
    match &p.kind {
        ModelKind::Linear(a) => {
            let (rule, value) = match a {
                Alpha::Gcv => ("gcv", None),
                Alpha::GcvPerTarget => ("gcv-per-target", None),
                Alpha::Fixed(v) => ("fixed", Some(*v)),
            };
            out.alpha_rule = Some(rule.into());
            out.alpha = value;
        }
        ModelKind::Forest(f) => {
            out.folds = Some(f.folds);
            out.n_trees = Some(f.forest.n_trees);
            out.bootstrap = Some(f.forest.bootstrap);
            out.tree = Some(tree_params_out(&f.forest.tree));
        }
        ModelKind::Boosting(b) => {
            out.folds = Some(b.folds);
            out.learning_rate = Some(b.boosting.learning_rate);
            out.max_rounds = Some(b.boosting.max_rounds);
            out.subsample = Some(b.boosting.subsample);
            out.early_stop_window = b.boosting.early_stop_window;
            out.oob_improvement = Some(b.boosting.oob_improvement.name().into());
            out.tree = Some(tree_params_out(&b.boosting.tree));
        }
    }
    out
}

fn params_in(p: &ParamsV1) -> Result<ModelParams, String> {
    fn need<T: Copy>(v: Option<T>, name: &str) -> Result<T, String> {
        v.ok_or_else(|| format!("the settings lack {name}"))
    }
    let tree = || -> Result<TreeParams, String> {
        tree_params_in(p.tree.as_ref().ok_or("the settings lack tree")?)
    };
    let kind = match p.model.as_str() {
        "linear" => ModelKind::Linear(match p.alpha_rule.as_deref() {
            Some("gcv") => Alpha::Gcv,
            Some("gcv-per-target") => Alpha::GcvPerTarget,
            Some("fixed") => Alpha::Fixed(need(p.alpha, "alpha")?),
            other => return Err(format!("unknown alpha rule {other:?}")),
        }),
        "forest" => ModelKind::Forest(ForestModelParams {
            forest: ForestParams {
                n_trees: need(p.n_trees, "n_trees")?,
                bootstrap: need(p.bootstrap, "bootstrap")?,
                tree: tree()?,
            },
            folds: need(p.folds, "folds")?,
        }),
        "boosting" => ModelKind::Boosting(BoostingModelParams {
            boosting: BoostingParams {
                learning_rate: need(p.learning_rate, "learning_rate")?,
                max_rounds: need(p.max_rounds, "max_rounds")?,
                subsample: need(p.subsample, "subsample")?,
                early_stop_window: p.early_stop_window,
                oob_improvement: match &p.oob_improvement {
                    Some(rule) => rule.parse::<OobImprovement>()?,
                    None => OobImprovement::Paired,
                },
                tree: tree()?,
            },
            folds: need(p.folds, "folds")?,
        }),
        other => return Err(format!("unknown model {other:?}")),
    };
    Ok(ModelParams {
        kind,
        per_target: p.per_target,
        prior: p.weight_prior.parse::<WeightPrior>()?,
        seed: p.seed,
        drop_reciprocal: p.drop_reciprocal,
        cv_select: p.cv_select,
    })
}

fn ensemble_out(model: &TreeModel, covers: &[Vec<u32>]) -> EnsembleV1 {
    let (mean, scale) = model.mean_scale();
    EnsembleV1 {
        learning_rate: model.learning_rate().map(f64::from),
        mean: mean as f64,
        scale: scale as f64,
        trees: model
            .trees()
            .iter()
            .zip(covers)
            .map(|(t, cover)| {
                let nodes = t.nodes();
                TreeV1 {
                    feature: nodes
                        .iter()
                        .map(|n| {
                            if n.feature == LEAF {
                                -1
                            } else {
                                n.feature as i64
                            }
                        })
                        .collect(),
                    threshold: nodes.iter().map(|n| n.threshold as f64).collect(),
                    left: nodes.iter().map(|n| n.left).collect(),
                    right: nodes.iter().map(|n| n.right).collect(),
                    value: nodes.iter().map(|n| n.value as f64).collect(),
                    cover: cover.clone(),
                }
            })
            .collect(),
    }
}

/// An `f64` that must be an `f32` stored exactly.
fn exact_f32(v: f64, what: &str) -> Result<f32, String> {
    let f = v as f32;
    if f as f64 == v || v.is_nan() {
        Ok(f)
    } else {
        Err(format!("{what} {v} is not a 32-bit number"))
    }
}

fn ensemble_in(e: &EnsembleV1, features: Vec<usize>) -> Result<(TreeModel, Vec<Vec<u32>>), String> {
    let k = features.len();
    let mut trees = Vec::with_capacity(e.trees.len());
    let mut covers = Vec::with_capacity(e.trees.len());
    for (i, t) in e.trees.iter().enumerate() {
        let len = t.feature.len();
        if [
            t.threshold.len(),
            t.left.len(),
            t.right.len(),
            t.value.len(),
            t.cover.len(),
        ]
        .iter()
        .any(|&l| l != len)
        {
            return Err(format!("tree {i}: its node arrays differ in length"));
        }
        let mut nodes = Vec::with_capacity(len);
        for j in 0..len {
            let feature = match t.feature[j] {
                -1 => LEAF,
                f if f >= 0 && (f as usize) < k => f as u32,
                f => {
                    return Err(format!(
                        "tree {i}, node {j}: feature {f} is not one of the {k} regulators"
                    ));
                }
            };
            nodes.push(Node {
                feature,
                threshold: exact_f32(t.threshold[j], "threshold")?,
                left: t.left[j],
                right: t.right[j],
                value: exact_f32(t.value[j], "leaf value")?,
            });
        }
        trees.push(Tree::from_nodes(nodes, k).map_err(|m| format!("tree {i}: {m}"))?);
        covers.push(t.cover.clone());
    }
    let learning_rate = match e.learning_rate {
        Some(lr) => Some(exact_f32(lr, "learning rate")?),
        None => None,
    };
    let model = TreeModel::from_parts(
        features,
        trees,
        learning_rate,
        exact_f32(e.mean, "mean")?,
        exact_f32(e.scale, "scale")?,
    );
    Ok((model, covers))
}

impl ResponseModel {
    /// Writes the model to `w` (see the module documentation for the format).
    pub fn write_model(&self, w: &mut dyn Write) -> std::io::Result<()> {
        let mut targets = Vec::new();
        for t in 0..self.n_genes() {
            let regs = self.regulators(t);
            if regs.is_empty() {
                continue;
            }
            let ensemble = self
                .tree_model(t)
                .map(|m| ensemble_out(m, self.covers(t).unwrap_or(&[])));
            targets.push(TargetV1 {
                gene: self.genes[t].clone(),
                regulators: regs.iter().map(|&r| self.genes[r].clone()).collect(),
                r2: self.r2[t],
                cv_rmse: self.cv_rmse[t],
                intervals: self.intervals[t].clone(),
                alpha: self.alpha[t],
                weights: self.weights(t).map(<[f64]>::to_vec),
                ensemble,
            });
        }
        let file = FileV1 {
            kind: self.kind.name().into(),
            normalization: self.normalization.name().into(),
            params: self.params.as_ref().map(params_out),
            interval_levels: INTERVAL_LEVELS.to_vec(),
            genes: self.genes.to_vec(),
            mean: self.mean.clone(),
            sd: self.sd.clone(),
            missing_network_genes: self.missing.clone(),
            uniform_prior_targets: self.uniform_prior_targets,
            targets,
        };
        writeln!(w, "{FORMAT_MAGIC} {FORMAT_VERSION}")?;
        serde_json::to_writer(&mut *w, &file)?;
        w.write_all(b"\n")
    }

    /// Saves the model atomically to `path` (gzipped when it ends in `.gz`).
    pub fn save(&self, path: &Path) -> Result<(), PerturbError> {
        Ok(files::write_atomic(path, |w| self.write_model(w))?)
    }

    /// Loads a model saved by [`ResponseModel::save`] (gzipped or not). Another
    /// file, another format version, or an inconsistent model is an error naming
    /// the file and what to do.
    pub fn load(path: &Path) -> Result<ResponseModel, PerturbError> {
        let mut reader = files::open_input(path)?;
        let mut first = String::new();
        reader
            .read_line(&mut first)
            .map_err(|e| files::FileError::new(path, e))?;
        let mut words = first.split_whitespace();
        if words.next() != Some(FORMAT_MAGIC) {
            return Err(ParseError::at_line(
                path,
                1,
                format!(
                    "not a grn model file: expected a first line \"{FORMAT_MAGIC} \
                     {FORMAT_VERSION}\"; write one with `grn fit`"
                ),
            )
            .into());
        }
        let version = words.next().and_then(|v| v.parse::<u32>().ok());
        if version != Some(FORMAT_VERSION) {
            let found = version.map_or_else(|| "unreadable".to_string(), |v| v.to_string());
            return Err(ParseError::at_line(
                path,
                1,
                format!(
                    "model format version {found}, but this grn reads version \
                     {FORMAT_VERSION}; refit the model with this version's `grn fit`"
                ),
            )
            .into());
        }
        let mut body = Vec::new();
        reader
            .read_to_end(&mut body)
            .map_err(|e| files::FileError::new(path, e))?;
        let file: FileV1 = serde_json::from_slice(&body).map_err(|e| {
            ParseError::new(
                path,
                Some(e.line() as u64 + 1),
                Some(e.column()),
                format!("malformed model: {e}; the file is damaged or not written by `grn fit`"),
            )
        })?;
        from_file(file).map_err(|m| {
            ParseError::new(
                path,
                None,
                None,
                format!("inconsistent model: {m}; refit it with `grn fit`"),
            )
            .into()
        })
    }

    /// Checks that `genes` (an expression matrix's, in order) are the model's genes:
    /// commands that use a stored model with the data it was fitted on index both
    /// alike.
    pub fn check_same_genes(&self, genes: &[String], what: &str) -> Result<(), PerturbError> {
        if genes == &self.genes[..] {
            return Ok(());
        }
        let missing: Vec<&str> = self
            .genes
            .iter()
            .filter(|g| !genes.contains(g))
            .map(String::as_str)
            .take(3)
            .collect();
        let extra: Vec<&str> = genes
            .iter()
            .filter(|g| self.gene_index(g).is_none())
            .map(String::as_str)
            .take(3)
            .collect();
        Err(PerturbError::Input(format!(
            "the model was fitted on {} genes, {what} has {}{}{}{}; use the matrix the model \
             was fitted on (same genes in the same order and the same reading flags), or \
             refit with `grn fit`",
            self.n_genes(),
            genes.len(),
            if missing.is_empty() {
                String::new()
            } else {
                format!("; not in {what}: {}", missing.join(", "))
            },
            if extra.is_empty() {
                String::new()
            } else {
                format!("; not in the model: {}", extra.join(", "))
            },
            if missing.is_empty() && extra.is_empty() {
                " (the same genes in another order)"
            } else {
                ""
            }
        )))
    }
}

fn from_file(file: FileV1) -> Result<ResponseModel, String> {
    let n = file.genes.len();
    if file.interval_levels != INTERVAL_LEVELS {
        return Err(format!(
            "interval levels {:?}, expected {INTERVAL_LEVELS:?}",
            file.interval_levels
        ));
    }
    if file.mean.len() != n || file.sd.len() != n {
        return Err(format!(
            "{n} genes but {} means and {} standard deviations",
            file.mean.len(),
            file.sd.len()
        ));
    }
    let kind = match file.kind.as_str() {
        "linear" => ResponseKind::Linear,
        "forest" => ResponseKind::Forest,
        "boosting" => ResponseKind::Boosting,
        other => return Err(format!("unknown model kind {other:?}")),
    };
    let normalization: Normalization = file.normalization.parse()?;
    let params = file.params.as_ref().map(params_in).transpose()?;
    if let Some(p) = &params
        && p.kind.name() != kind.name()
    {
        return Err(format!("a {kind} model with {} settings", p.kind.name()));
    }
    let mut index = std::collections::HashMap::with_capacity(n);
    for (i, g) in file.genes.iter().enumerate() {
        if index.insert(g.clone(), i).is_some() {
            return Err(format!("gene {g:?} is listed twice"));
        }
    }
    let mut per_target: Vec<Option<TargetV1>> = (0..n).map(|_| None).collect();
    let mut last = None;
    for t in file.targets {
        let &g = index
            .get(&t.gene)
            .ok_or_else(|| format!("target {:?} is not one of the genes", t.gene))?;
        if last.is_some_and(|l| l >= g) {
            return Err(format!(
                "target {:?} is out of gene order or repeated",
                t.gene
            ));
        }
        last = Some(g);
        per_target[g] = Some(t);
    }
    let mut start = vec![0];
    let (mut regulators, mut weights) = (Vec::new(), Vec::new());
    let (mut r2, mut alpha, mut cv_rmse) = (vec![None; n], vec![None; n], vec![None; n]);
    let mut intervals = vec![Vec::new(); n];
    let mut forests: Vec<Option<TreeModel>> = Vec::new();
    let mut covers: Vec<Vec<Vec<u32>>> = Vec::new();
    if kind != ResponseKind::Linear {
        forests = (0..n).map(|_| None).collect();
        covers = vec![Vec::new(); n];
    }
    for (g, t) in per_target.into_iter().enumerate() {
        if let Some(t) = t {
            let name = &file.genes[g];
            if t.regulators.is_empty() {
                return Err(format!("target {name:?} has no regulators"));
            }
            let mut regs = Vec::with_capacity(t.regulators.len());
            for r in &t.regulators {
                let &ri = index
                    .get(r)
                    .ok_or_else(|| format!("regulator {r:?} of {name:?} is not a gene"))?;
                if ri == g || regs.contains(&ri) {
                    return Err(format!("{name:?} lists regulator {r:?} twice or itself"));
                }
                regs.push(ri);
            }
            if t.intervals.len() != INTERVAL_LEVELS.len() {
                return Err(format!(
                    "{name:?} has {} interval widths",
                    t.intervals.len()
                ));
            }
            match (kind, &t.weights, &t.ensemble) {
                (ResponseKind::Linear, Some(w), None) if w.len() == regs.len() => {
                    weights.extend_from_slice(w);
                }
                (ResponseKind::Forest | ResponseKind::Boosting, None, Some(e)) => {
                    if (kind == ResponseKind::Boosting) != e.learning_rate.is_some() {
                        return Err(format!(
                            "{name:?}: a {kind} model needs {} learning rate",
                            if kind == ResponseKind::Boosting {
                                "a"
                            } else {
                                "no"
                            }
                        ));
                    }
                    let (m, c) =
                        ensemble_in(e, regs.clone()).map_err(|m| format!("{name:?}: {m}"))?;
                    forests[g] = Some(m);
                    covers[g] = c;
                }
                _ => {
                    return Err(format!(
                        "{name:?} needs one weight per regulator (linear) or an ensemble \
                         (forest, boosting) as the model kind says"
                    ));
                }
            }
            regulators.extend(regs);
            r2[g] = t.r2;
            alpha[g] = t.alpha;
            cv_rmse[g] = t.cv_rmse;
            intervals[g] = t.intervals;
        }
        start.push(regulators.len());
    }
    Ok(ResponseModel {
        genes: Arc::from(file.genes),
        index,
        mean: file.mean,
        sd: file.sd,
        start,
        regulators,
        weights,
        forests,
        r2,
        alpha,
        kind,
        missing: file.missing_network_genes,
        uniform_prior_targets: file.uniform_prior_targets,
        cv_rmse,
        intervals,
        covers,
        params,
        normalization,
    })
}
