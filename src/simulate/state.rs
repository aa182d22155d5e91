//! What a steady state is: the levels reached, what did not converge, and how
//! precisely it is asked for. The solver is in [`steady`](super::steady).

use serde::{Deserialize, Serialize};

use super::SimulateError;

/// Settings of the steady-state solver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SteadyParams {
    /// Largest accepted residual `|s_i a_i(x) - x_i|` (expression units, where the
    /// unperturbed maximum is 1). GeneNetWeaver accepts 1e-5 absolute; Newton
    /// reaches far below, so we ask for 1e-8.
    pub tolerance: f64,
    /// Newton iterations per block before falling back to integration.
    pub max_iterations: usize,
    /// Longest integration of the fallback (minutes), GeneNetWeaver's
    /// `maxtSteadyStateODE` (2000, 40 half-lives of the slowest gene).
    pub max_time: f64,
}

impl Default for SteadyParams {
    fn default() -> Self {
        SteadyParams {
            tolerance: 1e-8,
            max_iterations: 50,
            max_time: 2000.0,
        }
    }
}

impl SteadyParams {
    /// Checks the settings.
    pub fn validate(&self) -> Result<(), SimulateError> {
        if !(self.tolerance.is_finite() && self.tolerance > 0.0) {
            return Err(SimulateError::Param(format!(
                "steady-state tolerance must be positive, got {}",
                self.tolerance
            )));
        }
        if self.max_iterations == 0 || !(self.max_time.is_finite() && self.max_time > 0.0) {
            return Err(SimulateError::Param(
                "steady-state iterations and integration time must be positive".into(),
            ));
        }
        Ok(())
    }
}

/// A steady state, and the genes where it could not be reached.
#[derive(Debug, Clone, PartialEq)]
pub struct SteadyState {
    /// mRNA level of every gene (equal to its protein level at steady state).
    pub values: Vec<f64>,
    /// Genes whose residual stayed above tolerance, with the residual. Empty when
    /// the whole state converged.
    pub unconverged: Vec<(usize, f64)>,
    /// Feedback blocks that needed the integration fallback.
    pub integrated_blocks: usize,
}

impl SteadyState {
    /// True when every gene converged.
    pub fn converged(&self) -> bool {
        self.unconverged.is_empty()
    }
}
