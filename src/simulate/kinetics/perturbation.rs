//! Changes applied to a kinetic model: knockouts, knockdowns, over-expression and
//! multifactorial shifts of basal activation.

use crate::simulate::SimulateError;

/// A change applied to a model: per gene, a factor on its transcription rate (0 for
/// a knockout) and a shift of its basal activation (multifactorial experiments).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KineticPerturbation {
    scale: Vec<(usize, f64)>,
    shift: Vec<(usize, f64)>,
}

impl KineticPerturbation {
    /// No change (the wild type).
    pub fn none() -> Self {
        KineticPerturbation::default()
    }

    /// Knocks out every gene of `genes` (transcription rate 0).
    pub fn knockout(genes: &[usize]) -> Self {
        KineticPerturbation {
            scale: genes.iter().map(|&g| (g, 0.0)).collect(),
            shift: Vec::new(),
        }
    }

    /// Multiplies the transcription rate of `gene` by `factor` (below 1: knockdown;
    /// above 1: over-expression; 0: knockout).
    pub fn scale(gene: usize, factor: f64) -> Self {
        KineticPerturbation {
            scale: vec![(gene, factor)],
            shift: Vec::new(),
        }
    }

    /// Adds `delta[i]` to the basal activation of every gene `i` (DREAM4
    /// multifactorial).
    pub fn basal_shift(delta: &[f64]) -> Self {
        KineticPerturbation {
            scale: Vec::new(),
            shift: delta
                .iter()
                .enumerate()
                .filter(|&(_, &d)| d != 0.0)
                .map(|(i, &d)| (i, d))
                .collect(),
        }
    }

    /// This perturbation and `other` together (factors multiply, shifts add).
    pub fn and(mut self, other: &KineticPerturbation) -> Self {
        self.scale.extend_from_slice(&other.scale);
        self.shift.extend_from_slice(&other.shift);
        self
    }

    /// The genes whose transcription rate is scaled, with their factors.
    pub fn scaled(&self) -> &[(usize, f64)] {
        &self.scale
    }

    /// Checks gene indices and factors against a model of `n` genes.
    pub(crate) fn validate(&self, n: usize) -> Result<(), SimulateError> {
        for &(g, f) in &self.scale {
            if g >= n || !(f.is_finite() && f >= 0.0) {
                return Err(SimulateError::Param(format!(
                    "perturbation of gene {g} by factor {f}: the gene must exist (0..{n}) \
                     and the factor be finite and non-negative"
                )));
            }
        }
        for &(g, d) in &self.shift {
            if g >= n || !d.is_finite() {
                return Err(SimulateError::Param(format!(
                    "basal shift {d} of gene {g} must be finite for an existing gene"
                )));
            }
        }
        Ok(())
    }

    /// Dense per-gene factors and shifts.
    pub(crate) fn dense(&self, n: usize) -> Applied {
        let mut scale = vec![1.0; n];
        let mut shift = vec![0.0; n];
        for &(g, f) in &self.scale {
            scale[g] *= f;
        }
        for &(g, d) in &self.shift {
            shift[g] += d;
        }
        Applied { scale, shift }
    }
}

/// A perturbation as dense per-gene arrays.
#[derive(Debug, Clone)]
pub(crate) struct Applied {
    pub scale: Vec<f64>,
    pub shift: Vec<f64>,
}

impl Applied {
    pub fn none(n: usize) -> Self {
        Applied {
            scale: vec![1.0; n],
            shift: vec![0.0; n],
        }
    }
}
