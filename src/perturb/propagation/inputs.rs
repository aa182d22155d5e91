//! What a prediction starts from: the [`Baseline`] state and the [`Perturbation`]
//! applied to it.

use crate::expression::ExpressionMatrix;

use crate::perturb::PerturbError;

/// The expression state a perturbation is applied to.
#[derive(Debug, Clone, PartialEq)]
pub enum Baseline {
    /// The mean of every sample.
    Mean,
    /// One sample, by name.
    Sample(String),
    /// The mean of a group of samples, by name.
    Group(Vec<String>),
}

impl Baseline {
    /// The baseline level of every gene of `matrix`.
    pub fn resolve(&self, matrix: &ExpressionMatrix) -> Result<Vec<f64>, PerturbError> {
        let index = |name: &str| -> Result<usize, PerturbError> {
            matrix
                .samples()
                .iter()
                .position(|s| s == name)
                .ok_or_else(|| {
                    let first: Vec<&str> = matrix
                        .samples()
                        .iter()
                        .take(3)
                        .map(String::as_str)
                        .collect();
                    PerturbError::Input(format!(
                        "baseline sample {name:?} is not a sample of the expression matrix \
                         (its samples are {}, ...); give a sample name, `mean`, or \
                         `group:FILE` with one sample name per line",
                        first.join(", ")
                    ))
                })
        };
        let samples: Vec<usize> = match self {
            Baseline::Mean => (0..matrix.n_samples()).collect(),
            Baseline::Sample(s) => vec![index(s)?],
            Baseline::Group(names) => {
                if names.is_empty() {
                    return Err(PerturbError::Input(
                        "the baseline group names no samples".into(),
                    ));
                }
                names.iter().map(|s| index(s)).collect::<Result<_, _>>()?
            }
        };
        Ok((0..matrix.n_genes())
            .map(|g| {
                let v = matrix.gene(g);
                samples.iter().map(|&s| v[s] as f64).sum::<f64>() / samples.len() as f64
            })
            .collect())
    }
}

/// Genes set to a multiple of their baseline level and held there.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Perturbation {
    changes: Vec<(usize, f64)>,
}

impl Perturbation {
    /// Knocks out every gene of `genes` (level 0).
    pub fn knockout(genes: &[usize]) -> Self {
        Perturbation {
            changes: genes.iter().map(|&g| (g, 0.0)).collect(),
        }
    }

    /// Sets `gene` to `factor` times its baseline level (below 1: knockdown; above
    /// 1: over-expression; 0: knockout).
    pub fn scale(gene: usize, factor: f64) -> Self {
        Perturbation {
            changes: vec![(gene, factor)],
        }
    }

    /// This perturbation and `other` at once.
    pub fn and(mut self, other: &Perturbation) -> Self {
        self.changes.extend_from_slice(&other.changes);
        self
    }

    /// The perturbed genes with their factors.
    pub fn changes(&self) -> &[(usize, f64)] {
        &self.changes
    }

    /// Whether no gene is perturbed.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Names joined by `+` (`G1+G2`).
    pub fn label(&self, names: &[String]) -> String {
        let v: Vec<&str> = self
            .changes
            .iter()
            .map(|&(g, _)| names[g].as_str())
            .collect();
        v.join("+")
    }

    pub(super) fn validate(&self, names: &[String]) -> Result<(), PerturbError> {
        if self.changes.is_empty() {
            return Err(PerturbError::Param(
                "no perturbation given: use `knockout`, `knockdown` or `overexpress`".into(),
            ));
        }
        for (i, &(g, f)) in self.changes.iter().enumerate() {
            if g >= names.len() {
                return Err(PerturbError::Param(format!(
                    "perturbed gene index {g} is out of range (the model has {} genes)",
                    names.len()
                )));
            }
            if !(f.is_finite() && f >= 0.0) {
                return Err(PerturbError::Param(format!(
                    "gene {:?} is scaled by {f}; the factor must be finite and non-negative",
                    names[g]
                )));
            }
            if self.changes[..i].iter().any(|&(h, _)| h == g) {
                return Err(PerturbError::Param(format!(
                    "gene {:?} is perturbed twice; give each gene once",
                    names[g]
                )));
            }
        }
        Ok(())
    }
}
