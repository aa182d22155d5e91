//! Kinetics: the ODE model of every gene and its random parameters.
//!
//! Each gene `i` follows the non-dimensional model of GeneNetWeaver (Marbach et al.
//! 2010; Schaffter et al. 2011):
//!
//! ```text
//! dx_i/dt = s_i * λ_i * a_i(regulators) - λ_i * x_i             (mRNA)
//! dy_i/dt = μ_i * x_i - μ_i * y_i                               (protein, two-stage only)
//! ```
//!
//! The maximal transcription rate equals the degradation rate (`m_i = λ_i`,
//! `r_i = μ_i`, as GeneNetWeaver), so unperturbed levels lie in [0, 1] and at steady
//! state `y = x`: the two-stage model changes dynamics (time series, noise), never
//! steady states. Regulators act through their protein (two-stage) or their mRNA
//! (one-stage). `s_i` is 1, or the factor of a knockout (0), knockdown or
//! over-expression.
//!
//! The activation `a_i` combines Hill terms `h = v^n / (k^n + v^n)` of the
//! regulators `v` (repressors enter as `1 - h`):
//!
//! ```text
//! additive:        R_i = Σ_j w_j g_j / Σ_j w_j      (a weighted OR, SERGIO-like)
//! multiplicative:  R_i = Π_j g_j                     (an AND of independent sites)
//! a_i = clamp(β_i + (1 - β_i) R_i + δ_i, 0, 1)
//! ```
//!
//! with basal (leaky) activation `β_i` and `δ_i` a multifactorial shift of the basal
//! activation (0 unless perturbed; GeneNetWeaver shifts every state's activation by
//! `δ` and truncates to [0, 1], as here). Genes without regulators have `R_i = 1`:
//! constitutively expressed, as GeneNetWeaver sets `α_0 = 1` for them.
//!
//! Random parameters follow GeneNetWeaver's defaults (`GnwSettings`): half-lives of
//! mRNA and protein from a Gaussian on [5, 50] min truncated, `λ = ln 2 / t½`; Hill
//! thresholds `k ~ U[0.01, 1]`; Hill coefficients from a Gaussian with mean 2 and
//! sd 2 truncated to [1, 10]; weights from a Gaussian on [0.25, 1] (GeneNetWeaver's
//! per-module activation change); basal activation of regulated genes from its "low
//! basal rate", a Gaussian with mean 0 and sd 0.05 truncated to [0, 0.25]. Gaussians
//! "on [a, b]" have mean (a+b)/2 and sd (b-a)/6, redrawn until inside, as
//! GeneNetWeaver's `RandomParameterGaussian`.
//!
//! Evaluating every gene's production costs O(E) for E edges.

use std::sync::{Arc, OnceLock};

use rand::Rng as _;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use crate::network::Sign;
use crate::random::Rng;

use super::SimulateError;
use super::steady::{SolvePlan, SteadyParams, SteadyState};
use super::topology::SignedNetwork;

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

    fn uniform(&self, rng: &mut Rng) -> f64 {
        if self.min == self.max {
            self.min
        } else {
            rng.random_range(self.min..=self.max)
        }
    }

    /// GeneNetWeaver's truncated Gaussian: mean and sd given, redrawn until inside.
    fn truncated_normal(&self, mean: f64, sd: f64, rng: &mut Rng) -> f64 {
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
    fn centred_normal(&self, rng: &mut Rng) -> f64 {
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

/// A change applied to a model: per gene, a factor on its transcription rate (0 for
/// a knockout) and a shift of its basal activation (multifactorial experiments).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Perturbation {
    scale: Vec<(usize, f64)>,
    shift: Vec<(usize, f64)>,
}

impl Perturbation {
    /// No change (the wild type).
    pub fn none() -> Self {
        Perturbation::default()
    }

    /// Knocks out every gene of `genes` (transcription rate 0).
    pub fn knockout(genes: &[usize]) -> Self {
        Perturbation {
            scale: genes.iter().map(|&g| (g, 0.0)).collect(),
            shift: Vec::new(),
        }
    }

    /// Multiplies the transcription rate of `gene` by `factor` (below 1: knockdown;
    /// above 1: over-expression; 0: knockout).
    pub fn scale(gene: usize, factor: f64) -> Self {
        Perturbation {
            scale: vec![(gene, factor)],
            shift: Vec::new(),
        }
    }

    /// Adds `delta[i]` to the basal activation of every gene `i` (DREAM4
    /// multifactorial).
    pub fn basal_shift(delta: &[f64]) -> Self {
        Perturbation {
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
    pub fn and(mut self, other: &Perturbation) -> Self {
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
    plan: Arc<SolvePlan>,
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
        let plan = SolvePlan::new(n, &start, &inputs)?;
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
        self.plan.feedback_blocks()
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

    /// The unperturbed steady state, computed once and cached.
    pub fn wild_type(&self) -> &SteadyState {
        self.wild_type.get_or_init(|| {
            self.plan.solve(
                self,
                &Applied::none(self.n_genes()),
                None,
                &SteadyParams::default(),
            )
        })
    }

    /// The steady state under `perturbation`, found by Newton's method from the wild
    /// type (the state the cells are in when the perturbation is applied), falling
    /// back to integrating the ODEs from the wild type when Newton fails. Genes
    /// whose residual stays above tolerance are listed in
    /// [`SteadyState::unconverged`].
    pub fn steady_state(
        &self,
        perturbation: &Perturbation,
        params: &SteadyParams,
    ) -> Result<SteadyState, SimulateError> {
        perturbation.validate(self.n_genes())?;
        params.validate()?;
        Ok(self.solve_unchecked(perturbation, params))
    }

    /// [`Model::steady_state`] for inputs already validated.
    pub(crate) fn solve_unchecked(
        &self,
        perturbation: &Perturbation,
        params: &SteadyParams,
    ) -> SteadyState {
        let applied = perturbation.dense(self.n_genes());
        self.plan
            .solve(self, &applied, Some(&self.wild_type().values), params)
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
