//! Propagating a perturbation through a fitted [`ResponseModel`].
//!
//! A [`Perturbation`] sets some genes to a multiple of their [`Baseline`] level
//! (0 for a knockout) and holds them there (clamping): a gene under direct control
//! does not respond to its regulators. Every other gene responds to its regulators'
//! changes through its model:
//! - linear: `Δx = W Δx` on free genes, `W` the ridge weights;
//! - forest: `x_t = b_t + f_t(x) - f_t(b)`, the forest's change added to the
//!   baseline `b` (keeping the part of each gene the model does not explain).
//!
//! Two propagations:
//! - [`Propagation::Steps`]: CellOracle's signal propagation (Kamimoto et al. 2023,
//!   Nature 614:742): `n` synchronous updates of every free gene from the clamped
//!   start, default 3 as CellOracle. Effects further than `n` edges away are cut off.
//! - [`Propagation::Steady`]: the fixed point, where every free gene agrees with its
//!   regulators. For the linear model that is the solution of `(I - W) Δx = Δx₀`
//!   with the clamped genes' rows replaced by their imposed change; for forests the
//!   limit of the updates (iterated until no gene moves by more than `tolerance`
//!   standard deviations).
//!
//! Both are solved block by block: the network's strongly connected components
//! (Tarjan 1972) in topological order, so a gene outside feedback loops costs one
//! evaluation. A linear feedback block is factorised once per [`Predictor`] (faer's
//! sparse LU) and clamps inside it are imposed exactly with one extra solve per
//! clamped gene (a source term chosen to hold each clamped gene at its value).
//!
//! Feedback amplifies: the steady gain of a loop is `1 / (1 - ρ)` for spectral
//! radius ρ, and for ρ ≥ 1 the linear system has no stable fixed point (the updates
//! diverge). Each linear feedback block's ρ is estimated by power iteration
//! (Gelfand's formula over 1000 products, exact for any dominant eigenvalue
//! structure up to O(1/1000) in log ρ) and blocks above `max_radius` have their
//! internal edges scaled down to it; [`Predictor::damped`] lists them so callers can
//! warn. CellOracle's `n`-step propagation is finite and left undamped.
//!
//! Cost per prediction: O(E) plus, for each feedback block reached, one sparse
//! triangular solve per clamped gene in it plus one (linear), or up to
//! `max_iterations` sweeps over its edges (forest).

use crate::network::feedback_blocks;
use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::sparse::linalg::lu::{LuRef, NumericLu, SymbolicLu, factorize_symbolic_lu};
use faer::sparse::{SparseColMat, Triplet};
use faer::{Conj, MatMut, Par};
use rand::Rng as _;

use crate::expression::ExpressionMatrix;
use crate::random;

use super::PerturbError;
use super::effects::{self, Effects};
use super::model::ResponseModel;

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

    fn validate(&self, names: &[String]) -> Result<(), PerturbError> {
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

/// A model, a baseline and a propagation, prepared for many predictions (feedback
/// blocks are analysed and factorised once).
pub struct Predictor<'m> {
    model: &'m ResponseModel,
    baseline: Vec<f64>,
    params: PropagationParams,
    blocks: Vec<Block>,
    /// Block index of each gene.
    block_of: Vec<u32>,
    /// Linear: effective weights, aligned with the model's regulator lists (damped
    /// inside damped blocks).
    weights: Vec<f64>,
    /// Position in `weights` of each target's first regulator (n + 1 entries).
    edge_start: Vec<usize>,
    /// Outgoing edges of each gene: (target, position in `weights`).
    out_start: Vec<usize>,
    out_edges: Vec<(u32, u32)>,
    damped: Vec<DampedBlock>,
    /// Forest: each target's prediction at the baseline.
    base_fit: Vec<f64>,
}

enum Block {
    Single(usize),
    Coupled(Box<Coupled>),
}

struct Coupled {
    genes: Vec<usize>,
    /// Linear steady state only: factors of `I - W_bb`.
    lu: Option<(SymbolicLu<usize>, NumericLu<usize, f64>)>,
    scratch: StackReq,
}

/// Products in the power iteration of spectral radii.
const POWER_ITERATIONS: usize = 1000;

impl<'m> Predictor<'m> {
    /// Prepares predictions from `baseline` (one level per model gene, e.g. from
    /// [`Baseline::resolve`]).
    pub fn new(
        model: &'m ResponseModel,
        baseline: Vec<f64>,
        params: &PropagationParams,
    ) -> Result<Self, PerturbError> {
        params.validate()?;
        let n = model.n_genes();
        if baseline.len() != n || baseline.iter().any(|v| !v.is_finite()) {
            return Err(PerturbError::Param(format!(
                "the baseline must have one finite level per gene ({n}), got {}",
                baseline.len()
            )));
        }
        // Edges regulator -> target; position p indexes the model's regulator lists.
        let mut out_count = vec![0usize; n + 1];
        for t in 0..n {
            for &r in model.regulators(t) {
                out_count[r + 1] += 1;
            }
        }
        let mut out_start = out_count;
        for g in 0..n {
            out_start[g + 1] += out_start[g];
        }
        let mut fill = out_start.clone();
        let mut out_edges = vec![(0u32, 0u32); model.n_edges()];
        let mut p = 0u32;
        for t in 0..n {
            for &r in model.regulators(t) {
                out_edges[fill[r]] = (t as u32, p);
                fill[r] += 1;
                p += 1;
            }
        }
        let sccs = feedback_blocks(n, |t| model.regulators(t).iter().copied());
        let mut local = vec![0u32; n];
        let mut block_of = vec![0u32; n];
        let linear = model.is_linear();
        let mut weights: Vec<f64> = if linear {
            (0..n)
                .flat_map(|t| model.weights(t).unwrap().iter().copied())
                .collect()
        } else {
            Vec::new()
        };
        let steady = params.propagation == Propagation::Steady;
        let mut blocks = Vec::with_capacity(sccs.len());
        let mut damped = Vec::new();
        let edge_start: Vec<usize> = {
            let mut s = Vec::with_capacity(n + 1);
            s.push(0);
            for t in 0..n {
                s.push(s[t] + model.regulators(t).len());
            }
            s
        };
        for scc in sccs {
            let b = blocks.len() as u32;
            let genes = scc;
            for (l, &g) in genes.iter().enumerate() {
                local[g] = l as u32;
                block_of[g] = b;
            }
            if genes.len() == 1 {
                blocks.push(Block::Single(genes[0]));
                continue;
            }
            let mut coupled = Coupled {
                genes,
                lu: None,
                scratch: StackReq::empty(),
            };
            if linear && steady {
                // Internal edges: (row, col, position in weights).
                let mut internal = Vec::new();
                for (l, &t) in coupled.genes.iter().enumerate() {
                    for (k, &r) in model.regulators(t).iter().enumerate() {
                        if block_of[r] == b {
                            internal.push((l, local[r] as usize, edge_start[t] + k));
                        }
                    }
                }
                let radius = spectral_radius(coupled.genes.len(), &internal, &weights);
                if radius > params.max_radius {
                    let scale = params.max_radius / radius;
                    for &(_, _, p) in &internal {
                        weights[p] *= scale;
                    }
                    damped.push(DampedBlock {
                        genes: coupled.genes.len(),
                        radius,
                        scale,
                    });
                }
                let size = coupled.genes.len();
                let mut triplets: Vec<Triplet<usize, usize, f64>> =
                    (0..size).map(|l| Triplet::new(l, l, 1.0)).collect();
                triplets.extend(
                    internal
                        .iter()
                        .map(|&(row, col, p)| Triplet::new(row, col, -weights[p])),
                );
                let matrix =
                    SparseColMat::<usize, f64>::try_new_from_triplets(size, size, &triplets)
                        .map_err(|e| {
                            PerturbError::Solver(format!("feedback block matrix: {e:?}"))
                        })?;
                let symbolic = factorize_symbolic_lu(matrix.symbolic(), Default::default())
                    .map_err(|e| {
                        PerturbError::Solver(format!(
                            "symbolic factorisation of a {size}-gene feedback block: {e:?}"
                        ))
                    })?;
                let mut numeric = NumericLu::<usize, f64>::new();
                let mut buf = MemBuffer::new(
                    symbolic.factorize_numeric_lu_scratch::<f64>(Par::Seq, Default::default()),
                );
                symbolic
                    .factorize_numeric_lu(
                        &mut numeric,
                        matrix.as_ref(),
                        Par::Seq,
                        MemStack::new(&mut buf),
                        Default::default(),
                    )
                    .map_err(|e| {
                        PerturbError::Solver(format!(
                            "the {size}-gene feedback block (I - W) is singular: {e:?}"
                        ))
                    })?;
                coupled.scratch = symbolic.solve_in_place_scratch::<f64>(1, Par::Seq);
                coupled.lu = Some((symbolic, numeric));
            }
            blocks.push(Block::Coupled(Box::new(coupled)));
        }
        let mut predictor = Predictor {
            model,
            baseline,
            params: params.clone(),
            blocks,
            block_of,
            weights,
            edge_start,
            out_start,
            out_edges,
            damped,
            base_fit: Vec::new(),
        };
        if !linear {
            let mut buf = Vec::new();
            predictor.base_fit = (0..n)
                .map(|t| {
                    if model.regulators(t).is_empty() {
                        0.0
                    } else {
                        model.forest_predict(t, &predictor.baseline, &mut buf)
                    }
                })
                .collect();
        }
        Ok(predictor)
    }

    /// The model.
    pub fn model(&self) -> &ResponseModel {
        self.model
    }

    /// The baseline level of every gene.
    pub fn baseline(&self) -> &[f64] {
        &self.baseline
    }

    /// The settings.
    pub fn params(&self) -> &PropagationParams {
        &self.params
    }

    /// Linear feedback blocks that were damped (empty when none diverged).
    pub fn damped(&self) -> &[DampedBlock] {
        &self.damped
    }

    /// Sizes of the feedback blocks (strongly connected components of more than
    /// one gene), largest first.
    pub fn feedback_blocks(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Coupled(c) => Some(c.genes.len()),
                Block::Single(_) => None,
            })
            .collect();
        v.sort_unstable_by(|a, b| b.cmp(a));
        v
    }

    /// Predicts the change of every gene under `perturbation`.
    pub fn predict(&self, perturbation: &Perturbation) -> Result<Prediction, PerturbError> {
        perturbation.validate(self.model.genes())?;
        let n = self.model.n_genes();
        let mut clamp: Vec<Option<f64>> = vec![None; n];
        for &(g, f) in perturbation.changes() {
            clamp[g] = Some((f - 1.0) * self.baseline[g]);
        }
        let linear = self.model.is_linear();
        match (linear, self.params.propagation) {
            (true, Propagation::Steps(k)) => Ok(self.linear_steps(&clamp, k)),
            (true, Propagation::Steady) => self.linear_steady(&clamp),
            (false, Propagation::Steps(k)) => Ok(self.forest_steps(&clamp, k)),
            (false, Propagation::Steady) => Ok(self.forest_steady(&clamp)),
        }
    }

    /// Predicts the change of every gene and explains it (see [`Effects`]).
    pub fn effects(&self, perturbation: &Perturbation) -> Result<Effects, PerturbError> {
        let prediction = self.predict(perturbation)?;
        Ok(effects::build(self, perturbation, prediction))
    }

    /// How much of target `t`'s change comes through each of its regulators, as
    /// absolute changes in expression units (linear: `|w Δx_r|`; forest: the
    /// forest's change when only that regulator moves).
    pub(crate) fn contributions(&self, t: usize, delta: &[f64], out: &mut Vec<f64>) {
        out.clear();
        let regs = self.model.regulators(t);
        if self.model.is_linear() {
            let start = self.edge_start[t];
            out.extend(
                regs.iter()
                    .enumerate()
                    .map(|(k, &r)| (self.weights[start + k] * delta[r]).abs()),
            );
        } else {
            let mut x = self.baseline.clone();
            let mut buf = Vec::new();
            for &r in regs {
                if delta[r] == 0.0 {
                    out.push(0.0);
                    continue;
                }
                x[r] = self.baseline[r] + delta[r];
                let f = self.model.forest_predict(t, &x, &mut buf);
                x[r] = self.baseline[r];
                out.push((f - self.base_fit[t]).abs());
            }
        }
    }

    fn linear_steps(&self, clamp: &[Option<f64>], steps: usize) -> Prediction {
        let n = clamp.len();
        let mut dx: Vec<f64> = clamp.iter().map(|c| c.unwrap_or(0.0)).collect();
        let mut next = vec![0.0; n];
        for _ in 0..steps {
            next.iter_mut().for_each(|v| *v = 0.0);
            for (j, &d) in dx.iter().enumerate() {
                if d == 0.0 {
                    continue;
                }
                for &(t, p) in &self.out_edges[self.out_start[j]..self.out_start[j + 1]] {
                    next[t as usize] += self.weights[p as usize] * d;
                }
            }
            for (g, c) in clamp.iter().enumerate() {
                if let Some(c) = c {
                    next[g] = *c;
                }
            }
            std::mem::swap(&mut dx, &mut next);
        }
        Prediction {
            delta: dx,
            unconverged: Vec::new(),
        }
    }

    fn linear_steady(&self, clamp: &[Option<f64>]) -> Result<Prediction, PerturbError> {
        let n = clamp.len();
        let mut dx = vec![0.0; n];
        // Which blocks receive a change: those holding a clamped gene, and the
        // targets of changed genes (marked as blocks are visited in order).
        let mut reached = vec![false; self.blocks.len()];
        for (g, c) in clamp.iter().enumerate() {
            if c.is_some() {
                reached[self.block_of[g] as usize] = true;
            }
        }
        for (b, block) in self.blocks.iter().enumerate() {
            if !reached[b] {
                continue;
            }
            match block {
                Block::Single(g) => {
                    let g = *g;
                    dx[g] = match clamp[g] {
                        Some(c) => c,
                        None => self.linear_input(g, &dx),
                    };
                }
                Block::Coupled(c) => self.solve_block(c, clamp, &mut dx)?,
            }
            let genes: &[usize] = match block {
                Block::Single(g) => std::slice::from_ref(g),
                Block::Coupled(c) => &c.genes,
            };
            for &g in genes {
                if dx[g] != 0.0 {
                    for &(t, _) in &self.out_edges[self.out_start[g]..self.out_start[g + 1]] {
                        reached[self.block_of[t as usize] as usize] = true;
                    }
                }
            }
        }
        Ok(Prediction {
            delta: dx,
            unconverged: Vec::new(),
        })
    }

    /// `Σ_r W[t][r] Δx_r` over all of t's regulators.
    fn linear_input(&self, t: usize, dx: &[f64]) -> f64 {
        let regs = self.model.regulators(t);
        let start = self.edge_start[t];
        regs.iter()
            .enumerate()
            .map(|(k, &r)| self.weights[start + k] * dx[r])
            .sum()
    }

    /// One linear feedback block: `(I - W_bb) y = r + E_C c` with `r` the input from
    /// outside the block and `c` chosen so clamped genes take their values.
    fn solve_block(
        &self,
        c: &Coupled,
        clamp: &[Option<f64>],
        dx: &mut [f64],
    ) -> Result<(), PerturbError> {
        let (symbolic, numeric) = c.lu.as_ref().expect("linear steady blocks are factorised");
        let lu = LuRef::new_unchecked(symbolic, numeric);
        let size = c.genes.len();
        let b = self.block_of[c.genes[0]];
        let mut buf = MemBuffer::new(c.scratch);
        let mut y = vec![0.0; size];
        let mut clamped: Vec<(usize, f64)> = Vec::new();
        for (l, &t) in c.genes.iter().enumerate() {
            if let Some(v) = clamp[t] {
                clamped.push((l, v));
            }
            let regs = self.model.regulators(t);
            let start = self.edge_start[t];
            y[l] = regs
                .iter()
                .enumerate()
                .filter(|&(_, &r)| self.block_of[r] != b)
                .map(|(k, &r)| self.weights[start + k] * dx[r])
                .sum();
        }
        let mut solve = |v: &mut [f64]| {
            lu.solve_in_place_with_conj(
                Conj::No,
                MatMut::from_column_major_slice_mut(v, size, 1),
                Par::Seq,
                MemStack::new(&mut buf),
            );
        };
        if y.iter().any(|&v| v != 0.0) {
            solve(&mut y);
        }
        if !clamped.is_empty() {
            let m = clamped.len();
            let mut columns: Vec<Vec<f64>> = Vec::with_capacity(m);
            for &(l, _) in &clamped {
                let mut z = vec![0.0; size];
                z[l] = 1.0;
                solve(&mut z);
                columns.push(z);
            }
            // Z_CC c = d_C - y_C.
            let mut a: Vec<Vec<f64>> = clamped
                .iter()
                .map(|&(row, _)| columns.iter().map(|z| z[row]).collect())
                .collect();
            let mut rhs: Vec<f64> = clamped.iter().map(|&(l, v)| v - y[l]).collect();
            let coef = solve_dense(&mut a, &mut rhs).ok_or_else(|| {
                PerturbError::Solver(
                    "the perturbed genes of a feedback block cannot be held at their levels \
                     (the clamped system is singular)"
                        .into(),
                )
            })?;
            for (z, k) in columns.iter().zip(&coef) {
                for (yl, zl) in y.iter_mut().zip(z) {
                    *yl += k * zl;
                }
            }
            // Exact values for the clamped genes (the solve leaves rounding error).
            for &(l, v) in &clamped {
                y[l] = v;
            }
        }
        if y.iter().any(|v| !v.is_finite()) {
            return Err(PerturbError::Solver(format!(
                "the steady state of a {size}-gene feedback block is not finite"
            )));
        }
        for (l, &g) in c.genes.iter().enumerate() {
            dx[g] = y[l];
        }
        Ok(())
    }

    /// A forest target's change given all current changes.
    fn forest_delta(&self, t: usize, dx: &[f64], x: &mut [f64], buf: &mut Vec<f32>) -> f64 {
        let regs = self.model.regulators(t);
        if regs.iter().all(|&r| dx[r] == 0.0) {
            return 0.0;
        }
        for &r in regs {
            x[r] = self.baseline[r] + dx[r];
        }
        self.model.forest_predict(t, x, buf) - self.base_fit[t]
    }

    fn forest_steps(&self, clamp: &[Option<f64>], steps: usize) -> Prediction {
        let n = clamp.len();
        let mut dx: Vec<f64> = clamp.iter().map(|c| c.unwrap_or(0.0)).collect();
        let mut x = self.baseline.clone();
        let mut buf = Vec::new();
        let mut affected = vec![false; n];
        for _ in 0..steps {
            affected.iter_mut().for_each(|a| *a = false);
            for (j, &d) in dx.iter().enumerate() {
                if d != 0.0 {
                    for &(t, _) in &self.out_edges[self.out_start[j]..self.out_start[j + 1]] {
                        affected[t as usize] = true;
                    }
                }
            }
            let next: Vec<f64> = (0..n)
                .map(|g| match clamp[g] {
                    Some(c) => c,
                    None if affected[g] => self.forest_delta(g, &dx, &mut x, &mut buf),
                    None => 0.0,
                })
                .collect();
            dx = next;
        }
        Prediction {
            delta: dx,
            unconverged: Vec::new(),
        }
    }

    fn forest_steady(&self, clamp: &[Option<f64>]) -> Prediction {
        let n = clamp.len();
        let mut dx = vec![0.0; n];
        let mut x = self.baseline.clone();
        let mut buf = Vec::new();
        let mut unconverged = Vec::new();
        for block in &self.blocks {
            match block {
                Block::Single(g) => {
                    let g = *g;
                    dx[g] = match clamp[g] {
                        Some(c) => c,
                        None => self.forest_delta(g, &dx, &mut x, &mut buf),
                    };
                }
                Block::Coupled(c) => {
                    for &g in &c.genes {
                        if let Some(v) = clamp[g] {
                            dx[g] = v;
                        }
                    }
                    let mut converged = false;
                    let mut moved = vec![false; c.genes.len()];
                    for _ in 0..self.params.max_iterations {
                        // Synchronous (Jacobi) sweep: every gene sees the previous
                        // sweep's values, so the result does not depend on gene order.
                        let next: Vec<f64> = c
                            .genes
                            .iter()
                            .map(|&g| match clamp[g] {
                                Some(v) => v,
                                None => self.forest_delta(g, &dx, &mut x, &mut buf),
                            })
                            .collect();
                        converged = true;
                        for (l, (&g, &v)) in c.genes.iter().zip(&next).enumerate() {
                            let tol = self.params.tolerance * self.model.sd(g);
                            moved[l] = (v - dx[g]).abs() > tol;
                            converged &= !moved[l];
                            dx[g] = v;
                        }
                        if converged {
                            break;
                        }
                    }
                    if !converged {
                        unconverged.extend(
                            c.genes
                                .iter()
                                .zip(&moved)
                                .filter(|&(_, &m)| m)
                                .map(|(&g, _)| g),
                        );
                    }
                }
            }
        }
        unconverged.sort_unstable();
        Prediction {
            delta: dx,
            unconverged,
        }
    }
}

/// Spectral radius of a block's internal edge matrix (`internal`: row, column,
/// weight position) by power iteration: `(|W^K x| / |W^(K/2) x|)^(2/K)` from a
/// fixed pseudo-random start, which tends to ρ whatever the structure of the
/// dominant eigenvalues (real, complex pairs, or several of equal modulus).
fn spectral_radius(size: usize, internal: &[(usize, usize, usize)], weights: &[f64]) -> f64 {
    let mut rng = random::stream(0x5eed, size as u64);
    let mut x: Vec<f64> = (0..size).map(|_| rng.random::<f64>() - 0.5).collect();
    let norm = |v: &[f64]| v.iter().map(|a| a * a).sum::<f64>().sqrt();
    let n0 = norm(&x);
    x.iter_mut().for_each(|v| *v /= n0);
    let mut y = vec![0.0; size];
    let mut log_growth = 0.0;
    let half = POWER_ITERATIONS / 2;
    for k in 0..POWER_ITERATIONS {
        y.iter_mut().for_each(|v| *v = 0.0);
        for &(row, col, p) in internal {
            y[row] += weights[p] * x[col];
        }
        let ny = norm(&y);
        if ny == 0.0 || !ny.is_finite() {
            return if ny == 0.0 { 0.0 } else { f64::INFINITY };
        }
        if k >= half {
            log_growth += ny.ln();
        }
        for (xi, yi) in x.iter_mut().zip(&y) {
            *xi = yi / ny;
        }
    }
    (log_growth / (POWER_ITERATIONS - half) as f64).exp()
}

/// Solves a small dense system by Gaussian elimination with partial pivoting;
/// `None` when it is singular.
fn solve_dense(a: &mut [Vec<f64>], b: &mut [f64]) -> Option<Vec<f64>> {
    let m = b.len();
    let scale = a
        .iter()
        .flatten()
        .fold(0.0f64, |s, v| s.max(v.abs()))
        .max(f64::MIN_POSITIVE);
    for col in 0..m {
        let pivot = (col..m).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() <= 1e-12 * scale {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let (top, rest) = a.split_at_mut(col + 1);
        let pivot_row = &top[col];
        for (r, row) in rest.iter_mut().enumerate() {
            let f = row[col] / pivot_row[col];
            for (x, p) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                *x -= f * p;
            }
            b[col + 1 + r] -= f * b[col];
        }
    }
    let mut x = vec![0.0; m];
    for row in (0..m).rev() {
        let s: f64 = (row + 1..m).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn steady() -> PropagationParams {
        PropagationParams::default()
    }

    fn steps(k: usize) -> PropagationParams {
        PropagationParams {
            propagation: Propagation::Steps(k),
            ..PropagationParams::default()
        }
    }

    /// A -> B -> C with W[B][A] = 0.5, W[C][B] = 2.
    fn chain() -> ResponseModel {
        ResponseModel::linear(names(&["A", "B", "C"]), &[(0, 1, 0.5), (1, 2, 2.0)]).unwrap()
    }

    #[test]
    fn chain_steady_state_is_analytic() {
        let model = chain();
        let p = Predictor::new(&model, vec![4.0, 3.0, 7.0], &steady()).unwrap();
        let d = p.predict(&Perturbation::knockout(&[0])).unwrap().delta;
        assert_eq!(d, [-4.0, -2.0, -4.0]);
        // Knocking B down to 30% holds B there; A is upstream and does not move.
        let d = p.predict(&Perturbation::scale(1, 0.3)).unwrap().delta;
        assert_eq!(d[0], 0.0);
        assert!((d[1] + 0.7 * 3.0).abs() < 1e-15);
        assert!((d[2] - 2.0 * d[1]).abs() < 1e-15);
        // Over-expressing A and knocking out B: B's clamp cuts A's effect on C.
        let both = Perturbation::scale(0, 2.0).and(&Perturbation::knockout(&[1]));
        let d = p.predict(&both).unwrap().delta;
        assert_eq!(d, [4.0, -3.0, -6.0]);
    }

    #[test]
    fn steps_cut_off_after_n_edges_and_reach_steady_on_chains() {
        let model = chain();
        let base = vec![4.0, 3.0, 7.0];
        let ko = Perturbation::knockout(&[0]);
        let one = Predictor::new(&model, base.clone(), &steps(1)).unwrap();
        assert_eq!(one.predict(&ko).unwrap().delta, [-4.0, -2.0, 0.0]);
        let three = Predictor::new(&model, base, &steps(3)).unwrap();
        assert_eq!(three.predict(&ko).unwrap().delta, [-4.0, -2.0, -4.0]);
    }

    /// U -> A, A <-> B (W[B][A] = 0.5, W[A][B] = 0.4), B -> C.
    fn feedback() -> ResponseModel {
        ResponseModel::linear(
            names(&["U", "A", "B", "C"]),
            &[(0, 1, 1.0), (2, 1, 0.4), (1, 2, 0.5), (2, 3, 1.0)],
        )
        .unwrap()
    }

    #[test]
    fn feedback_loop_steady_state_is_analytic() {
        let model = feedback();
        let p = Predictor::new(&model, vec![2.0, 1.0, 1.0, 1.0], &steady()).unwrap();
        assert_eq!(p.feedback_blocks(), [2]);
        assert!(p.damped().is_empty());
        // dA = dU + 0.4 dB, dB = 0.5 dA: dA = dU / 0.8.
        let d = p.predict(&Perturbation::knockout(&[0])).unwrap().delta;
        let du = -2.0;
        let expect = [du, du / 0.8, 0.5 * du / 0.8, 0.5 * du / 0.8];
        for (a, b) in d.iter().zip(expect) {
            assert!((a - b).abs() < 1e-12, "{d:?} vs {expect:?}");
        }
    }

    #[test]
    fn clamping_inside_a_loop_holds_the_gene() {
        let model = feedback();
        let p = Predictor::new(&model, vec![2.0, 1.0, 1.0, 1.0], &steady()).unwrap();
        // B knocked down to half: its feedback onto itself through A is cut.
        let d = p.predict(&Perturbation::scale(2, 0.5)).unwrap().delta;
        assert_eq!(d[2], -0.5);
        assert!((d[1] - 0.4 * -0.5).abs() < 1e-12, "{d:?}");
        assert!((d[3] + 0.5).abs() < 1e-12);
        assert_eq!(d[0], 0.0);
        // Both loop genes clamped, plus an upstream knockout that cannot pass.
        let all = Perturbation::knockout(&[0]).and(&Perturbation::scale(1, 3.0));
        let all = all.and(&Perturbation::scale(2, 0.0));
        let d = p.predict(&all).unwrap().delta;
        assert_eq!(d, [-2.0, 2.0, -1.0, -1.0]);
        // Steps propagation clamps too.
        let s = Predictor::new(&model, vec![2.0, 1.0, 1.0, 1.0], &steps(3)).unwrap();
        let d = s.predict(&Perturbation::scale(2, 0.5)).unwrap().delta;
        assert_eq!(d[2], -0.5);
    }

    #[test]
    fn divergent_loops_are_damped_and_reported() {
        // A <-> B with gains 2 and 1.5: spectral radius sqrt(3).
        let model = ResponseModel::linear(
            names(&["U", "A", "B"]),
            &[(0, 1, 1.0), (2, 1, 2.0), (1, 2, 1.5)],
        )
        .unwrap();
        let p = Predictor::new(&model, vec![1.0; 3], &steady()).unwrap();
        let damped = p.damped();
        assert_eq!(damped.len(), 1);
        assert!((damped[0].radius - 3f64.sqrt()).abs() < 1e-6, "{damped:?}");
        let s = damped[0].scale;
        assert!((s - 0.9 / 3f64.sqrt()).abs() < 1e-6);
        // The damped loop's steady state: dA = dU / (1 - s² * 3).
        let d = p.predict(&Perturbation::knockout(&[0])).unwrap().delta;
        let da = -1.0 / (1.0 - s * s * 3.0);
        assert!((d[1] - da).abs() < 1e-9, "{d:?}");
        assert!((d[2] - 1.5 * s * da).abs() < 1e-9, "{d:?}");
    }

    #[test]
    fn spectral_radius_of_rotations_and_cycles() {
        // A 3-cycle with gains 1, 2, 4: eigenvalues are the cube roots of 8 (one real,
        // a complex pair), all of modulus 2. The norm grows unevenly within each
        // cycle (by 1, 2 or 4), so 500 products leave an O(ln 4 / 500) error.
        let w = [1.0, 2.0, 4.0];
        let internal = [(1, 0, 0), (2, 1, 1), (0, 2, 2)];
        let rho = spectral_radius(3, &internal, &w);
        assert!((rho - 2.0).abs() < 2.0 * 4f64.ln() / 500.0, "{rho}");
        // Nilpotent: 0.
        let internal = [(1, 0, 0), (2, 1, 1)];
        assert_eq!(spectral_radius(3, &internal, &w), 0.0);
    }

    #[test]
    fn bad_perturbations_are_errors() {
        let model = chain();
        let p = Predictor::new(&model, vec![1.0; 3], &steady()).unwrap();
        assert!(p.predict(&Perturbation::default()).is_err());
        let twice = Perturbation::knockout(&[1]).and(&Perturbation::scale(1, 2.0));
        let e = p.predict(&twice).unwrap_err().to_string();
        assert!(e.contains("\"B\"") && e.contains("twice"), "{e}");
        assert!(p.predict(&Perturbation::scale(0, -1.0)).is_err());
        assert!(Predictor::new(&model, vec![1.0; 2], &steady()).is_err());
        assert!(Predictor::new(&model, vec![1.0; 3], &steps(0)).is_err());
    }

    #[test]
    fn forest_fixed_point_on_a_chain_matches_enough_steps_and_clamps() {
        use crate::network::{Cut, EdgeTable, GeneNetwork, Sign};
        use crate::perturb::{ForestModelParams, ModelKind, ModelParams, fit};
        // A -> B -> C with saturating responses.
        let n = 300;
        let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.618).fract() * 2.0).collect();
        let b: Vec<f32> = a.iter().map(|v| v * v / (0.25 + v * v)).collect();
        let c: Vec<f32> = b.iter().map(|v| 1.0 - v).collect();
        let values = ndarray::Array2::from_shape_vec((3, n), [a, b, c].concat()).unwrap();
        let samples = (0..n).map(|i| format!("s{i}")).collect();
        let m = ExpressionMatrix::new(names(&["A", "B", "C"]), samples, values).unwrap();
        let mut t = EdgeTable::new(names(&["A", "B", "C"]).into(), true);
        t.push(0, 1, 1.0, Sign::Activation);
        t.push(1, 2, 1.0, Sign::Repression);
        let net = GeneNetwork::from_table(&t, &Cut::default(), None).unwrap();
        let params = ModelParams {
            kind: ModelKind::Forest(ForestModelParams::breiman()),
            ..ModelParams::default()
        };
        let model = fit(&m, &net, &params, &crate::Quiet).unwrap();
        let base = Baseline::Mean.resolve(&m).unwrap();
        let ko = Perturbation::knockout(&[0]);
        let fixed = Predictor::new(&model, base.clone(), &steady()).unwrap();
        let d = fixed.predict(&ko).unwrap();
        assert!(d.unconverged.is_empty());
        assert_eq!(d.delta[0], -base[0]);
        // B falls towards 0 (A = 0 switches it off), C rises towards 1.
        assert!(
            d.delta[1] < -0.4 && base[1] + d.delta[1] < 0.1,
            "{:?}",
            d.delta
        );
        assert!(d.delta[2] > 0.4, "{:?}", d.delta);
        let two = Predictor::new(&model, base, &steps(2)).unwrap();
        assert_eq!(two.predict(&ko).unwrap().delta, d.delta);
    }

    #[test]
    fn baselines() {
        let values =
            ndarray::Array2::from_shape_vec((2, 3), vec![1.0, 2.0, 6.0, 0.0, 3.0, 3.0]).unwrap();
        let m =
            ExpressionMatrix::new(names(&["a", "b"]), names(&["s1", "s2", "s3"]), values).unwrap();
        assert_eq!(Baseline::Mean.resolve(&m).unwrap(), [3.0, 2.0]);
        assert_eq!(
            Baseline::Sample("s2".into()).resolve(&m).unwrap(),
            [2.0, 3.0]
        );
        let g = Baseline::Group(names(&["s1", "s3"]));
        assert_eq!(g.resolve(&m).unwrap(), [3.5, 1.5]);
        let e = Baseline::Sample("s9".into())
            .resolve(&m)
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"s9\""), "{e}");
    }
}
