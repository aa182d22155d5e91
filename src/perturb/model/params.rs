//! Settings of [`fit`](super::fit): the response model of each target and how its
//! regulators are chosen, with the published defaults.

use crate::perturb::PerturbError;
use crate::trees::{BoostingParams, ForestParams, MaxFeatures, SplitRule, TreeParams};

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

/// Settings of the boosting response model.
#[derive(Debug, Clone, PartialEq)]
pub struct BoostingModelParams {
    /// The ensemble.
    pub boosting: BoostingParams,
    /// Folds of the cross-validated R².
    pub folds: usize,
}

impl BoostingModelParams {
    /// GRNBoost2's stochastic gradient boosting (Moerman et al. 2019; arboreto's
    /// defaults, [`BoostingParams::grnboost2`]: shrinkage 0.01, depth-3 trees, 90%
    /// subsamples, out-of-bag early stopping), cross-validated over
    /// [`ForestModelParams::FOLDS`] folds.
    pub fn grnboost2() -> Self {
        BoostingModelParams {
            boosting: BoostingParams::grnboost2(),
            folds: ForestModelParams::FOLDS,
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
    /// Gradient-boosted shallow trees (GRNBoost2's engine).
    Boosting(BoostingModelParams),
}

impl ModelKind {
    /// The name used on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            ModelKind::Linear(_) => "linear",
            ModelKind::Forest(_) => "forest",
            ModelKind::Boosting(_) => "boosting",
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
    /// Of two genes listed as regulating each other, keep only the better-scored
    /// direction (both when the scores are equal). A reciprocal pair fitted from
    /// observational data counts one covariance twice: regressing A on B and B on A
    /// gives a loop of gain r² (r their correlation), which the steady state
    /// amplifies by 1 / (1 - r²) although no feedback was observed; the reciprocal
    /// pair of a linear structural model is not identified without interventions
    /// (Haavelmo 1943, Econometrica 11:1), and symmetric statistics score both
    /// directions alike. Off by default: measured on DREAM4 (docs/perturb.md),
    /// GENIE3 ranks the reverse of a true edge above the true edge about as often
    /// as not, so keeping the better-scored direction cuts half of the true
    /// knockout paths (median Pearson 0.115 -> 0.079).
    pub drop_reciprocal: bool,
    /// A target whose model does not predict it better than its mean out of sample
    /// (cross-validated R² ≤ 0) keeps no regulators: cross-validation picks the
    /// null model among the candidates (Stone 1974, JRSS B 36:111), so no change
    /// is propagated through a gene the data cannot support. Its R² is still
    /// reported. Off by default: measured on DREAM4 with the true network
    /// (docs/perturb.md), many true targets have a cross-validated R² ≤ 0 on the
    /// time series yet carry knockout effects, and dropping them costs sign
    /// accuracy (0.779 -> 0.736) and AUROC (0.909 -> 0.872).
    pub cv_select: bool,
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

    /// Checks ranges once; the checked settings fit models
    /// ([`ValidModelParams::fit`]).
    pub fn check(&self) -> Result<ValidModelParams, PerturbError> {
        self.validate()?;
        Ok(ValidModelParams(self.clone()))
    }

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
            ModelKind::Boosting(b) => {
                b.boosting.validate()?;
                if b.folds < 2 {
                    return Err(PerturbError::Param(format!(
                        "cross-validation needs at least 2 folds, got {}",
                        b.folds
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
            drop_reciprocal: false,
            cv_select: false,
        }
    }
}

/// [`ModelParams`] whose ranges were checked ([`ModelParams::check`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ValidModelParams(ModelParams);

impl std::ops::Deref for ValidModelParams {
    type Target = ModelParams;

    fn deref(&self) -> &ModelParams {
        &self.0
    }
}
