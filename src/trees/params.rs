//! Hyper-parameters of the tree ensembles, with the published defaults.

use std::fmt;

/// An invalid hyper-parameter, named.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid parameter `{name}`: {message}")]
pub struct ParamError {
    /// The parameter.
    pub name: &'static str,
    /// What is allowed.
    pub message: String,
}

fn check(ok: bool, name: &'static str, message: impl Into<String>) -> Result<(), ParamError> {
    if ok {
        Ok(())
    } else {
        Err(ParamError {
            name,
            message: message.into(),
        })
    }
}

/// How many candidate regulators a node may consider for its split.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MaxFeatures {
    /// Every candidate.
    All,
    /// `max(1, round(sqrt(p)))`: GENIE3's K = sqrt(p) (Huynh-Thu et al. 2010), rounded
    /// as the authors' R implementation does (`round(sqrt(num.input.genes))`).
    Sqrt,
    /// `max(1, floor(f * p))`, as scikit-learn reads a float `max_features`.
    Fraction(f64),
    /// A fixed number (capped at p).
    Count(usize),
}

impl MaxFeatures {
    /// Number of features to draw among `p`.
    pub fn resolve(self, p: usize) -> usize {
        let k = match self {
            MaxFeatures::All => p,
            MaxFeatures::Sqrt => (p as f64).sqrt().round() as usize,
            MaxFeatures::Fraction(f) => (f * p as f64).floor() as usize,
            MaxFeatures::Count(k) => k,
        };
        k.clamp(1, p.max(1))
    }

    fn validate(self) -> Result<(), ParamError> {
        match self {
            MaxFeatures::Fraction(f) => check(
                f > 0.0 && f <= 1.0,
                "max_features",
                format!("a fraction must be in (0, 1], got {f}"),
            ),
            MaxFeatures::Count(k) => check(k >= 1, "max_features", "a count must be at least 1"),
            _ => Ok(()),
        }
    }
}

impl fmt::Display for MaxFeatures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MaxFeatures::All => write!(f, "all"),
            MaxFeatures::Sqrt => write!(f, "sqrt"),
            MaxFeatures::Fraction(x) => write!(f, "{x}"),
            MaxFeatures::Count(k) => write!(f, "{k}"),
        }
    }
}

/// How a node chooses the threshold for a candidate feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitRule {
    /// The threshold that reduces variance most (CART, random forests).
    Best,
    /// One threshold drawn uniformly between the feature's minimum and maximum in the
    /// node (extremely randomised trees, Geurts et al. 2006).
    Random,
}

/// How one regression tree is grown.
#[derive(Debug, Clone, PartialEq)]
pub struct TreeParams {
    /// Candidate features drawn (without replacement) at each node.
    pub max_features: MaxFeatures,
    /// Threshold choice.
    pub split: SplitRule,
    /// Depth limit (`None`: grow until leaves are pure or hold one sample).
    pub max_depth: Option<usize>,
    /// Smallest (bootstrap-weighted) number of samples in a leaf.
    pub min_samples_leaf: usize,
}

impl TreeParams {
    /// Checks ranges.
    pub fn validate(&self) -> Result<(), ParamError> {
        self.max_features.validate()?;
        check(
            self.max_depth != Some(0),
            "max_depth",
            "must be at least 1 (or unlimited)",
        )?;
        check(
            self.min_samples_leaf >= 1,
            "min_samples_leaf",
            "must be at least 1",
        )
    }
}

/// A random forest or extra-trees ensemble whose importances are averaged.
#[derive(Debug, Clone, PartialEq)]
pub struct ForestParams {
    /// Number of trees.
    pub n_trees: usize,
    /// Draw a bootstrap sample for each tree (random forests) or use all samples
    /// (extra-trees).
    pub bootstrap: bool,
    /// How each tree is grown.
    pub tree: TreeParams,
}

impl ForestParams {
    /// Number of trees in GENIE3 (Huynh-Thu et al. 2010, PLoS ONE 5(9):e12776).
    pub const GENIE3_TREES: usize = 1000;

    /// GENIE3 with random forests: 1000 bootstrap trees grown fully, K = sqrt(p)
    /// candidate regulators per node (Huynh-Thu et al. 2010).
    pub fn genie3() -> Self {
        ForestParams {
            n_trees: Self::GENIE3_TREES,
            bootstrap: true,
            tree: TreeParams {
                max_features: MaxFeatures::Sqrt,
                split: SplitRule::Best,
                max_depth: None,
                min_samples_leaf: 1,
            },
        }
    }

    /// GENIE3 with extra-trees: as [`ForestParams::genie3`] but without bootstrap
    /// and with one random threshold per candidate (Huynh-Thu et al. 2010).
    pub fn genie3_et() -> Self {
        ForestParams {
            bootstrap: false,
            tree: TreeParams {
                split: SplitRule::Random,
                ..Self::genie3().tree
            },
            ..Self::genie3()
        }
    }

    /// Checks ranges.
    pub fn validate(&self) -> Result<(), ParamError> {
        check(self.n_trees >= 1, "trees", "must be at least 1")?;
        self.tree.validate()
    }
}

/// What a boosting round's out-of-bag improvement compares, for early stopping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OobImprovement {
    /// The loss on this round's out-of-bag samples before and after its tree
    /// (Friedman 2002's estimate, scikit-learn before 1.3: what arboreto ran when
    /// GRNBoost2 was published). The difference is the tree's own effect, so the
    /// trailing mean turns negative only once trees stop helping.
    #[default]
    Paired,
    /// This round's out-of-bag loss against the previous round's, each on its own
    /// out-of-bag samples (scikit-learn 1.3 and later, so arboreto today, and
    /// rustscenic's `arboreto` mode). The draw-to-draw spread of the two samples'
    /// losses dwarfs a tree's effect late in boosting, so this stops much earlier:
    /// faster, fewer rounds, less accurate networks.
    Consecutive,
}

impl OobImprovement {
    /// Every rule, in the order the command line lists them.
    pub const ALL: [OobImprovement; 2] = [OobImprovement::Paired, OobImprovement::Consecutive];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            OobImprovement::Paired => "paired",
            OobImprovement::Consecutive => "consecutive",
        }
    }
}

crate::named::named_enum!(OobImprovement, "out-of-bag improvement");

/// Stochastic gradient boosting of shallow trees with out-of-bag early stopping.
#[derive(Debug, Clone, PartialEq)]
pub struct BoostingParams {
    /// Shrinkage of each tree's contribution.
    pub learning_rate: f64,
    /// Most boosting rounds.
    pub max_rounds: usize,
    /// Fraction of samples drawn (without replacement) for each tree; the rest are
    /// out-of-bag and measure the round's improvement.
    pub subsample: f64,
    /// Stop when the mean out-of-bag improvement over this many rounds is negative
    /// (`None`: always run `max_rounds`).
    pub early_stop_window: Option<usize>,
    /// What each round's out-of-bag improvement compares.
    pub oob_improvement: OobImprovement,
    /// How each tree is grown.
    pub tree: TreeParams,
}

impl BoostingParams {
    /// GRNBoost2 (Moerman et al. 2019, Bioinformatics 35(12):2159-2161; arboreto's
    /// defaults): learning rate 0.01, subsample 0.9, max_features 0.1, trees of depth
    /// 3 (scikit-learn's default), early stopping over a window of 25 rounds, at most
    /// 5000 rounds.
    pub fn grnboost2() -> Self {
        BoostingParams {
            learning_rate: 0.01,
            max_rounds: 5000,
            subsample: 0.9,
            early_stop_window: Some(25),
            oob_improvement: OobImprovement::Paired,
            tree: TreeParams {
                max_features: MaxFeatures::Fraction(0.1),
                split: SplitRule::Best,
                max_depth: Some(3),
                min_samples_leaf: 1,
            },
        }
    }

    /// Checks ranges.
    pub fn validate(&self) -> Result<(), ParamError> {
        check(
            self.learning_rate > 0.0 && self.learning_rate <= 1.0,
            "learning_rate",
            "must be in (0, 1]",
        )?;
        check(self.max_rounds >= 1, "max_rounds", "must be at least 1")?;
        check(
            self.subsample > 0.0 && self.subsample <= 1.0,
            "subsample",
            "must be in (0, 1]",
        )?;
        check(
            self.early_stop_window.is_none() || self.subsample < 1.0,
            "subsample",
            "early stopping needs out-of-bag samples: use a subsample below 1",
        )?;
        check(
            self.early_stop_window != Some(0),
            "early_stop_window",
            "must be at least 1",
        )?;
        self.tree.validate()
    }
}

/// Either kind of ensemble.
#[derive(Debug, Clone, PartialEq)]
pub enum EnsembleParams {
    /// Averaged independent trees (GENIE3).
    Forest(ForestParams),
    /// Boosted shallow trees (GRNBoost2).
    Boosting(BoostingParams),
}

impl EnsembleParams {
    /// Checks ranges.
    pub fn validate(&self) -> Result<(), ParamError> {
        match self {
            EnsembleParams::Forest(p) => p.validate(),
            EnsembleParams::Boosting(p) => p.validate(),
        }
    }
}
