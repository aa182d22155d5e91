//! Settings of a [`Predictor`](super::Predictor) and what it reports.

use crate::perturb::PerturbError;

/// How far a perturbation is propagated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    /// `n` synchronous updates (CellOracle).
    Steps(usize),
    /// To the fixed point.
    Steady,
}

/// Settings of a [`Predictor`].
#[derive(Debug, Clone, PartialEq)]
pub struct PropagationParams {
    /// How far to propagate.
    pub propagation: Propagation,
    /// Linear steady state: feedback blocks with a larger spectral radius are scaled
    /// down to it.
    pub max_radius: f64,
    /// Forest fixed point: converged when no gene moves by more than this many of
    /// its standard deviations in a sweep.
    pub tolerance: f64,
    /// Forest fixed point: most sweeps of a feedback block.
    pub max_iterations: usize,
}

impl PropagationParams {
    /// CellOracle's default number of propagation steps (`n_propagation=3`;
    /// Kamimoto et al. 2023).
    pub const CELLORACLE_STEPS: usize = 3;
    /// Largest spectral radius of a linear feedback block: 0.9, so a loop amplifies a
    /// sustained change at most `1 / (1 - 0.9) = 10`-fold (our choice: a bound, not a
    /// fitted value; only blocks that would otherwise come close to or past
    /// divergence are touched).
    pub const MAX_RADIUS: f64 = 0.9;
    /// Forest convergence: 1e-9 standard deviations, far below any measurable
    /// change (forests are piecewise constant, so iterations usually stop exactly).
    pub const TOLERANCE: f64 = 1e-9;
    /// Forest sweeps of a feedback block before giving up and reporting the block's
    /// genes as unconverged (our choice; a forest update moves on a finite set of
    /// leaf values, so a block either settles within tens of sweeps or cycles).
    pub const MAX_ITERATIONS: usize = 1000;
    /// Most steps of [`Propagation::Steps`]: 1,000, far past any signal path of a
    /// real network (each step crosses one regulatory layer; CellOracle uses 3), and
    /// cheap (1,000 times one pass over the edges); longer horizons only circle
    /// feedback loops, whose limit [`Propagation::Steady`] computes directly (our
    /// choice: a bound, so a typo cannot run for hours).
    pub const MAX_STEPS: usize = 1000;

    /// CellOracle's propagation: 3 steps.
    pub fn celloracle() -> Self {
        PropagationParams {
            propagation: Propagation::Steps(Self::CELLORACLE_STEPS),
            ..Self::default()
        }
    }

    /// Checks ranges.
    pub fn validate(&self) -> Result<(), PerturbError> {
        if self.propagation == Propagation::Steps(0) {
            return Err(PerturbError::Param("`steps` must be at least 1".into()));
        }
        if let Propagation::Steps(k) = self.propagation
            && k > Self::MAX_STEPS
        {
            return Err(PerturbError::Param(format!(
                "`steps` {k}: at most {} steps; each step crosses one regulatory layer, so \
                 longer horizons only circle feedback loops: use `propagation` steady for \
                 their limit",
                Self::MAX_STEPS
            )));
        }
        if !(self.max_radius > 0.0 && self.max_radius < 1.0) {
            return Err(PerturbError::Param(format!(
                "the largest spectral radius must be in (0, 1), got {}",
                self.max_radius
            )));
        }
        if !(self.tolerance.is_finite() && self.tolerance > 0.0) || self.max_iterations == 0 {
            return Err(PerturbError::Param(
                "the fixed-point tolerance must be positive and the iteration limit at least 1"
                    .into(),
            ));
        }
        Ok(())
    }
}

impl Default for PropagationParams {
    /// The steady state: the prediction does not depend on an arbitrary horizon, and
    /// for networks without feedback it is the exact fixed point of the fitted
    /// models (validated against simulated knockouts in docs/perturb.md).
    fn default() -> Self {
        PropagationParams {
            propagation: Propagation::Steady,
            max_radius: Self::MAX_RADIUS,
            tolerance: Self::TOLERANCE,
            max_iterations: Self::MAX_ITERATIONS,
        }
    }
}

/// A linear feedback block whose edges were scaled down to keep the steady state
/// finite.
#[derive(Debug, Clone, PartialEq)]
pub struct DampedBlock {
    /// Genes in the block.
    pub genes: usize,
    /// Its spectral radius as fitted.
    pub radius: f64,
    /// The factor its internal edges were multiplied by.
    pub scale: f64,
}

/// The predicted change of every gene.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// Predicted minus baseline level, per gene.
    pub delta: Vec<f64>,
    /// Genes of forest feedback blocks that did not settle (empty for linear
    /// models).
    pub unconverged: Vec<usize>,
}
