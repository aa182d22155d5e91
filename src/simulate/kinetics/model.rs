//! The kinetic [`Model`]: every gene's parameters and its activation.

use std::sync::{Arc, OnceLock};

use rand::Rng as _;

use serde::{Deserialize, Serialize};

use crate::network::{BlockPlan, Sign};
use crate::random::Rng;
use crate::simulate::SimulateError;
use crate::simulate::state::SteadyState;
use crate::simulate::topology::SignedNetwork;

use super::params::{Combination, KineticParams};
use super::perturbation::Applied;

/// One regulatory input of a gene.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Input {
    /// Index of the regulator.
    pub regulator: usize,
    /// True for a repression.
    pub repression: bool,
    /// Hill threshold `k` (regulator level of half effect).
    pub threshold: f64,
    /// Hill coefficient `n`.
    pub hill: f64,
    /// Weight in the additive combination (ignored by the multiplicative one).
    pub weight: f64,
}

/// The parameters of one gene.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gene {
    /// Name.
    pub name: String,
    /// mRNA degradation rate `λ` (also the maximal transcription rate).
    pub degradation: f64,
    /// Protein degradation rate `μ` (also the translation rate); used by the
    /// two-stage model only.
    pub protein_degradation: f64,
    /// Basal activation `β` in [0, 1].
    pub basal: f64,
    /// Regulatory inputs.
    pub inputs: Vec<Input>,
}

/// Everything that defines a kinetic model; what `model.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSpec {
    /// How inputs combine.
    pub combination: Combination,
    /// Whether proteins are modelled.
    pub two_stage: bool,
    /// Every gene.
    pub genes: Vec<Gene>,
}

/// A kinetic model of a gene network, ready to simulate.
///
/// Built from a [`SignedNetwork`] with random parameters ([`Model::random`]) or from
/// explicit parameters ([`Model::new`]). The steady-state solver's plan (the strongly
/// connected blocks and their sparse symbolic factorisations) is built once here and
/// shared by every experiment.
#[derive(Debug, Clone)]
pub struct Model {
    spec: Arc<ModelSpec>,
    // Flattened inputs, by target: inputs of gene i are [start[i], start[i+1]).
    start: Vec<usize>,
    inputs: Vec<Input>,
    degradation: Vec<f64>,
    protein_degradation: Vec<f64>,
    basal: Vec<f64>,
    plan: Arc<BlockPlan>,
    wild_type: Arc<OnceLock<SteadyState>>,
}

impl Model {
    /// A model with explicit parameters. Fails on out-of-range values, unknown
    /// regulators or a regulator listed twice for one gene.
    pub fn new(spec: ModelSpec) -> Result<Self, SimulateError> {
        let n = spec.genes.len();
        if n == 0 {
            return Err(SimulateError::Network("the model has no genes".into()));
        }
        let mut start = Vec::with_capacity(n + 1);
        let mut inputs = Vec::new();
        start.push(0);
        for g in &spec.genes {
            let bad = |m: String| Err(SimulateError::Param(format!("gene {}: {m}", g.name)));
            if !(g.degradation.is_finite() && g.degradation > 0.0) {
                return bad(format!(
                    "degradation rate {} must be positive",
                    g.degradation
                ));
            }
            if spec.two_stage && !(g.protein_degradation.is_finite() && g.protein_degradation > 0.0)
            {
                return bad(format!(
                    "protein degradation rate {} must be positive",
                    g.protein_degradation
                ));
            }
            if !(0.0..=1.0).contains(&g.basal) {
                return bad(format!("basal activation {} must lie in [0, 1]", g.basal));
            }
            let mut seen = std::collections::HashSet::new();
            for input in &g.inputs {
                if input.regulator >= n {
                    return bad(format!("regulator index {} out of range", input.regulator));
                }
                if !seen.insert(input.regulator) {
                    return bad(format!(
                        "regulator {} is listed twice",
                        spec.genes[input.regulator].name
                    ));
                }
                let positive = |v: f64| v.is_finite() && v > 0.0;
                if !(positive(input.threshold) && positive(input.hill) && positive(input.weight)) {
                    return bad(format!(
                        "input from {}: threshold, Hill coefficient and weight must be positive",
                        spec.genes[input.regulator].name
                    ));
                }
                inputs.push(*input);
            }
            start.push(inputs.len());
        }
        let degradation = spec.genes.iter().map(|g| g.degradation).collect();
        let protein_degradation = spec.genes.iter().map(|g| g.protein_degradation).collect();
        let basal = spec.genes.iter().map(|g| g.basal).collect();
        let plan = BlockPlan::new(n, |t| {
            inputs[start[t]..start[t + 1]].iter().map(|i| i.regulator)
        })
        .map_err(|e| SimulateError::Solver(e.to_string()))?;
        Ok(Model {
            spec: Arc::new(spec),
            start,
            inputs,
            degradation,
            protein_degradation,
            basal,
            plan: Arc::new(plan),
            wild_type: Arc::new(OnceLock::new()),
        })
    }

    /// A model of `network` with parameters drawn from `params` (see the module
    /// documentation). Edges of unknown sign become repressions with probability
    /// `params.unknown_repression`.
    pub fn random(
        network: &SignedNetwork,
        params: &KineticParams,
        rng: &mut Rng,
    ) -> Result<Self, SimulateError> {
        params.validate()?;
        let n = network.n_genes();
        let mut by_target: Vec<Vec<(usize, Sign)>> = vec![Vec::new(); n];
        for (r, t, s) in network.edges() {
            by_target[t].push((r, s));
        }
        let half_life =
            |rng: &mut Rng| std::f64::consts::LN_2 / params.half_life.centred_normal(rng);
        let genes = network
            .genes()
            .iter()
            .zip(by_target)
            .map(|(name, regs)| {
                let degradation = half_life(rng);
                let protein_degradation = half_life(rng);
                let inputs: Vec<Input> = regs
                    .into_iter()
                    .map(|(regulator, sign)| {
                        let repression = match sign {
                            Sign::Activation => false,
                            Sign::Repression => true,
                            Sign::Unknown => rng.random::<f64>() < params.unknown_repression,
                        };
                        Input {
                            regulator,
                            repression,
                            threshold: params.threshold.uniform(rng),
                            hill: params.hill.truncated_normal(
                                params.hill_mean,
                                params.hill_sd,
                                rng,
                            ),
                            weight: params.weight.centred_normal(rng),
                        }
                    })
                    .collect();
                let basal = if inputs.is_empty() {
                    0.0
                } else {
                    params.basal.truncated_normal(0.0, params.basal_sd, rng)
                };
                Gene {
                    name: name.clone(),
                    degradation,
                    protein_degradation,
                    basal,
                    inputs,
                }
            })
            .collect();
        Model::new(ModelSpec {
            combination: params.combination,
            two_stage: params.two_stage,
            genes,
        })
    }

    /// The parameters (what `model.json` holds).
    pub fn spec(&self) -> &ModelSpec {
        &self.spec
    }

    /// Number of genes.
    pub fn n_genes(&self) -> usize {
        self.degradation.len()
    }

    /// Gene names.
    pub fn gene_names(&self) -> Vec<String> {
        self.spec.genes.iter().map(|g| g.name.clone()).collect()
    }

    /// Whether proteins are modelled.
    pub fn two_stage(&self) -> bool {
        self.spec.two_stage
    }

    /// The signed network the model implements.
    pub fn network(&self) -> SignedNetwork {
        let genes: Arc<[String]> = self.gene_names().into();
        let edges = (0..self.n_genes())
            .flat_map(|t| {
                self.inputs_of(t).iter().map(move |i| {
                    let sign = if i.repression {
                        Sign::Repression
                    } else {
                        Sign::Activation
                    };
                    (i.regulator, t, sign)
                })
            })
            .collect();
        SignedNetwork::new(genes, edges).expect("a valid model has a valid network")
    }

    pub(crate) fn inputs_of(&self, gene: usize) -> &[Input] {
        &self.inputs[self.start[gene]..self.start[gene + 1]]
    }

    pub(crate) fn degradation(&self) -> &[f64] {
        &self.degradation
    }

    pub(crate) fn protein_degradation(&self) -> &[f64] {
        &self.protein_degradation
    }

    /// Sizes of the feedback blocks (strongly connected components with more than
    /// one gene or a self-loop), largest first: the part solved by Newton.
    pub fn feedback_blocks(&self) -> Vec<usize> {
        self.plan.feedback_sizes()
    }

    /// The activation `a_i` of gene `i` given regulator levels `v` (proteins in the
    /// two-stage model, mRNA otherwise) and a basal shift.
    #[inline]
    pub(crate) fn activation(&self, i: usize, v: &[f64], shift: f64) -> f64 {
        let inputs = self.inputs_of(i);
        let r = if inputs.is_empty() {
            1.0
        } else {
            match self.spec.combination {
                Combination::Additive => {
                    let (mut num, mut den) = (0.0, 0.0);
                    for input in inputs {
                        num += input.weight * hill_term(input, v[input.regulator]).0;
                        den += input.weight;
                    }
                    num / den
                }
                Combination::Multiplicative => inputs
                    .iter()
                    .map(|input| hill_term(input, v[input.regulator]).0)
                    .product(),
            }
        };
        let b = self.basal[i];
        (b + (1.0 - b) * r + shift).clamp(0.0, 1.0)
    }

    /// The activation of gene `i` and its derivative with respect to each input's
    /// regulator level, written to `grad` (one entry per input, in input order).
    pub(crate) fn activation_with_gradient(
        &self,
        i: usize,
        v: &[f64],
        shift: f64,
        grad: &mut Vec<f64>,
    ) -> f64 {
        let inputs = self.inputs_of(i);
        grad.clear();
        let b = self.basal[i];
        if inputs.is_empty() {
            return (b + (1.0 - b) + shift).clamp(0.0, 1.0);
        }
        let r = match self.spec.combination {
            Combination::Additive => {
                let den: f64 = inputs.iter().map(|input| input.weight).sum();
                let mut num = 0.0;
                for input in inputs {
                    let (g, dg) = hill_term(input, v[input.regulator]);
                    num += input.weight * g;
                    grad.push(input.weight * dg / den);
                }
                num / den
            }
            Combination::Multiplicative => {
                // Derivative of a product without dividing by a factor that may be 0:
                // prefix products forward, suffix products backward.
                let terms: Vec<(f64, f64)> = inputs
                    .iter()
                    .map(|input| hill_term(input, v[input.regulator]))
                    .collect();
                let mut prefix = 1.0;
                for &(g, _) in &terms {
                    grad.push(prefix);
                    prefix *= g;
                }
                let mut suffix = 1.0;
                for (k, &(g, dg)) in terms.iter().enumerate().rev() {
                    grad[k] *= suffix * dg;
                    suffix *= g;
                }
                prefix
            }
        };
        let raw = b + (1.0 - b) * r + shift;
        if !(0.0..=1.0).contains(&raw) {
            // Clamped: locally flat.
            grad.iter_mut().for_each(|d| *d = 0.0);
            return raw.clamp(0.0, 1.0);
        }
        grad.iter_mut().for_each(|d| *d *= 1.0 - b);
        raw
    }

    /// The solving order of the steady state, built once per model.
    pub(crate) fn plan(&self) -> &BlockPlan {
        &self.plan
    }

    /// Where the wild type is cached.
    pub(crate) fn wild_type_cell(&self) -> &OnceLock<SteadyState> {
        &self.wild_type
    }

    /// The mRNA production rates `s_i λ_i a_i` at regulator levels `v`.
    pub(crate) fn production(&self, v: &[f64], applied: &Applied, out: &mut [f64]) {
        for (i, o) in out.iter_mut().enumerate() {
            *o = applied.scale[i] * self.degradation[i] * self.activation(i, v, applied.shift[i]);
        }
    }
}

/// A Hill term and its derivative: `h` for an activation, `1 - h` for a repression.
#[inline]
fn hill_term(input: &Input, v: f64) -> (f64, f64) {
    let (h, dh) = if v <= 0.0 {
        // d/dv (v^n/(k^n+v^n)) at 0 is 1/k for n = 1 and 0 for n > 1.
        (
            0.0,
            if input.hill == 1.0 {
                1.0 / input.threshold
            } else {
                0.0
            },
        )
    } else {
        let ratio = (v / input.threshold).powf(input.hill);
        let h = ratio / (1.0 + ratio);
        // dh/dv = n h (1 - h) / v.
        (h, input.hill * h * (1.0 - h) / v)
    };
    if input.repression {
        (1.0 - h, -dh)
    } else {
        (h, dh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(regulator: usize, repression: bool, threshold: f64, hill: f64, weight: f64) -> Input {
        Input {
            regulator,
            repression,
            threshold,
            hill,
            weight,
        }
    }

    fn model(combination: Combination, inputs: Vec<Input>) -> Model {
        let mk = |name: &str, inputs: Vec<Input>| Gene {
            name: name.into(),
            degradation: 0.1,
            protein_degradation: 0.1,
            basal: 0.1,
            inputs,
        };
        Model::new(ModelSpec {
            combination,
            two_stage: false,
            genes: vec![mk("A", vec![]), mk("B", vec![]), mk("C", inputs)],
        })
        .unwrap()
    }

    #[test]
    fn gradients_match_finite_differences() {
        for combination in Combination::ALL {
            let m = model(
                combination,
                vec![
                    input(0, false, 0.3, 2.5, 0.7),
                    input(1, true, 0.6, 1.5, 0.4),
                ],
            );
            let v = [0.4, 0.5, 0.0];
            let mut grad = Vec::new();
            let a = m.activation_with_gradient(2, &v, 0.0, &mut grad);
            assert!((a - m.activation(2, &v, 0.0)).abs() < 1e-15);
            for (k, j) in [0usize, 1].into_iter().enumerate() {
                let eps = 1e-6;
                let mut up = v;
                up[j] += eps;
                let mut down = v;
                down[j] -= eps;
                let fd = (m.activation(2, &up, 0.0) - m.activation(2, &down, 0.0)) / (2.0 * eps);
                assert!(
                    (fd - grad[k]).abs() < 1e-7,
                    "{combination}: {fd} vs {}",
                    grad[k]
                );
            }
        }
    }

    #[test]
    fn activation_is_bounded_and_signed() {
        let m = model(
            Combination::Additive,
            vec![
                input(0, false, 0.5, 2.0, 1.0),
                input(1, true, 0.5, 2.0, 1.0),
            ],
        );
        // Activator high, repressor absent: fully on.
        assert!(m.activation(2, &[100.0, 0.0, 0.0], 0.0) > 0.99);
        // Activator absent, repressor high: basal.
        assert!((m.activation(2, &[0.0, 100.0, 0.0], 0.0) - 0.1).abs() < 1e-3);
        assert_eq!(m.activation(2, &[0.0, 100.0, 0.0], -1.0), 0.0);
        assert_eq!(m.activation(0, &[0.0; 3], 0.0), 1.0);
    }

    #[test]
    fn duplicate_regulators_are_refused() {
        let r = Model::new(ModelSpec {
            combination: Combination::Additive,
            two_stage: false,
            genes: vec![
                Gene {
                    name: "A".into(),
                    degradation: 1.0,
                    protein_degradation: 1.0,
                    basal: 0.0,
                    inputs: vec![],
                },
                Gene {
                    name: "B".into(),
                    degradation: 1.0,
                    protein_degradation: 1.0,
                    basal: 0.0,
                    inputs: vec![
                        input(0, false, 1.0, 1.0, 1.0),
                        input(0, true, 1.0, 1.0, 1.0),
                    ],
                },
            ],
        });
        assert!(r.unwrap_err().to_string().contains("listed twice"));
    }
}
