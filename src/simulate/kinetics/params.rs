//! The ranges random kinetic parameters are drawn from (GeneNetWeaver's
//! `GnwSettings` defaults) and how a gene combines its inputs.

use rand::Rng as _;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use crate::random::Rng;
use crate::simulate::SimulateError;

/// How a gene combines the effects of its regulators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Combination {
    /// Weighted mean of the regulators' Hill terms: any activator can switch the
    /// gene on (SERGIO's additive production, normalised to [0, 1]).
    #[default]
    Additive,
    /// Product of the Hill terms: all activators are needed and any repressor can
    /// switch the gene off (independent binding sites).
    Multiplicative,
}

impl Combination {
    /// Both, in the order the CLI lists them.
    pub const ALL: [Combination; 2] = [Combination::Additive, Combination::Multiplicative];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Combination::Additive => "additive",
            Combination::Multiplicative => "multiplicative",
        }
    }
}

crate::named::named_enum!(Combination, "combination");

/// A closed interval `[min, max]` a parameter is drawn from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Range {
    /// Lower bound.
    pub min: f64,
    /// Upper bound.
    pub max: f64,
}

impl Range {
    const fn new(min: f64, max: f64) -> Self {
        Range { min, max }
    }

    fn check(&self, what: &str, positive: bool) -> Result<(), SimulateError> {
        let ok = self.min.is_finite()
            && self.max.is_finite()
            && self.min <= self.max
            && (!positive || self.min > 0.0)
            && self.min >= 0.0;
        if ok {
            Ok(())
        } else {
            Err(SimulateError::Param(format!(
                "{what} range [{}, {}] must be finite, ordered and {}",
                self.min,
                self.max,
                if positive { "positive" } else { "non-negative" }
            )))
        }
    }

    pub(super) fn uniform(&self, rng: &mut Rng) -> f64 {
        if self.min == self.max {
            self.min
        } else {
            rng.random_range(self.min..=self.max)
        }
    }

    /// GeneNetWeaver's truncated Gaussian: mean and sd given, redrawn until inside.
    pub(super) fn truncated_normal(&self, mean: f64, sd: f64, rng: &mut Rng) -> f64 {
        if self.min == self.max || sd == 0.0 {
            return mean.clamp(self.min, self.max);
        }
        let normal = Normal::new(mean, sd).expect("finite mean and positive sd");
        loop {
            let v = normal.sample(rng);
            if (self.min..=self.max).contains(&v) {
                return v;
            }
        }
    }

    /// Mean (min+max)/2 and sd (max-min)/6, as `RandomParameterGaussian(min, max)`.
    pub(super) fn centred_normal(&self, rng: &mut Rng) -> f64 {
        self.truncated_normal(
            (self.min + self.max) / 2.0,
            (self.max - self.min) / 6.0,
            rng,
        )
    }
}

/// Ranges the random kinetic parameters are drawn from, with GeneNetWeaver's
/// defaults (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KineticParams {
    /// How inputs combine.
    pub combination: Combination,
    /// Model proteins (mRNA -> protein) as a second stage.
    pub two_stage: bool,
    /// mRNA and protein half-lives (minutes; centred truncated Gaussian).
    pub half_life: Range,
    /// Hill thresholds `k` (uniform).
    pub threshold: Range,
    /// Hill coefficients `n` (truncated Gaussian with the mean and sd below).
    pub hill: Range,
    /// Mean of the Hill coefficient Gaussian.
    pub hill_mean: f64,
    /// Standard deviation of the Hill coefficient Gaussian.
    pub hill_sd: f64,
    /// Input weights (centred truncated Gaussian).
    pub weight: Range,
    /// Basal activation of regulated genes (truncated Gaussian with mean 0 and the
    /// sd below).
    pub basal: Range,
    /// Standard deviation of the basal activation Gaussian.
    pub basal_sd: f64,
    /// Probability that an edge given without a sign is a repression.
    pub unknown_repression: f64,
}

impl KineticParams {
    /// GeneNetWeaver's `randomHalfLife_`: Gaussian on [5, 50] minutes.
    pub const GNW_HALF_LIFE: Range = Range::new(5.0, 50.0);
    /// GeneNetWeaver's `randomK_`: uniform on [0.01, 1].
    pub const GNW_THRESHOLD: Range = Range::new(0.01, 1.0);
    /// GeneNetWeaver's `randomN_`: Gaussian with mean 2 and sd 2 on [1, 10].
    pub const GNW_HILL: Range = Range::new(1.0, 10.0);
    /// GeneNetWeaver's `randomDeltaActivation_`: Gaussian on [0.25, 1].
    pub const GNW_WEIGHT: Range = Range::new(0.25, 1.0);
    /// GeneNetWeaver's `randomLowBasalRate_`: Gaussian with mean 0 and sd 0.05 on
    /// [0, 0.25].
    pub const GNW_BASAL: Range = Range::new(0.0, 0.25);

    /// GeneNetWeaver's defaults with the given combination.
    pub fn gnw(combination: Combination) -> Self {
        KineticParams {
            combination,
            two_stage: false,
            half_life: Self::GNW_HALF_LIFE,
            threshold: Self::GNW_THRESHOLD,
            hill: Self::GNW_HILL,
            hill_mean: 2.0,
            hill_sd: 2.0,
            weight: Self::GNW_WEIGHT,
            basal: Self::GNW_BASAL,
            basal_sd: 0.05,
            // GeneNetWeaver draws unknown signs as activation or repression with
            // equal chance.
            unknown_repression: 0.5,
        }
    }

    /// Checks every range.
    pub fn validate(&self) -> Result<(), SimulateError> {
        self.half_life.check("half-life", true)?;
        self.threshold.check("Hill threshold", true)?;
        self.hill.check("Hill coefficient", true)?;
        self.weight.check("input weight", true)?;
        self.basal.check("basal activation", false)?;
        if self.basal.max > 1.0 {
            return Err(SimulateError::Param(format!(
                "basal activation must lie in [0, 1], got max {}",
                self.basal.max
            )));
        }
        for (name, v) in [
            ("Hill mean", self.hill_mean),
            ("Hill sd", self.hill_sd),
            ("basal sd", self.basal_sd),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(SimulateError::Param(format!(
                    "{name} must be finite and non-negative, got {v}"
                )));
            }
        }
        if !(0.0..=1.0).contains(&self.unknown_repression) {
            return Err(SimulateError::Param(format!(
                "the repression probability of unsigned edges must be in [0, 1], got {}",
                self.unknown_repression
            )));
        }
        Ok(())
    }
}

impl Default for KineticParams {
    fn default() -> Self {
        Self::gnw(Combination::Additive)
    }
}
