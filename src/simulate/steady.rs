//! Steady states: block-triangular Newton iteration with an ODE fallback.
//!
//! A steady state solves `x_i = s_i a_i(x)` for every gene. The network is split into
//! strongly connected components (Tarjan 1972), visited in topological order, so each
//! block sees its regulators already at their steady values:
//! - a gene in no feedback loop (most genes of a transcriptional network) is solved
//!   exactly by one evaluation of its activation;
//! - a feedback block is solved by damped Newton iteration (Armijo backtracking) whose
//!   linear systems use faer's sparse LU. The symbolic factorisation of every block's
//!   Jacobian pattern is computed once per model and reused by every iteration of
//!   every experiment.
//!
//! When Newton fails (singular Jacobian, no descent, too many iterations) the block's
//! ODEs are integrated from the starting state (the wild type for perturbations, as
//! GeneNetWeaver simulates them) until the residual is small, then Newton polishes.
//! Genes whose residual `|s_i a_i(x) - x_i|` is still above tolerance are reported in
//! [`SteadyState::unconverged`], never silently returned as a steady state.
//!
//! The wild type itself is found by integrating feedback blocks from zero expression
//! before Newton polishes, so multistable loops settle where the dynamics would take
//! them rather than at an arbitrary (possibly unstable) fixed point.
//!
//! Cost per experiment: O(E) for the acyclic part plus, per feedback block of `b`
//! genes and `e` internal edges, a few sparse LU factorisations (near O(b + e) for
//! the sparse, low-fill Jacobians of regulatory networks).

use crate::network::feedback_blocks;
use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::sparse::linalg::lu::{NumericLu, SymbolicLu, factorize_symbolic_lu};
use faer::sparse::{SparseColMatRef, SymbolicSparseColMat};
use faer::{Conj, MatMut, Par};
use serde::{Deserialize, Serialize};

use super::SimulateError;
use super::kinetics::{Applied, Input, Model};
use super::ode::{self, OdeOptions, OdeStop};

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

const NONE: u32 = u32::MAX;

/// How to solve one model: its blocks in topological order.
#[derive(Debug)]
pub(crate) struct SolvePlan {
    blocks: Vec<Block>,
    scratch: StackReq,
    max_block: usize,
}

#[derive(Debug)]
enum Block {
    /// A gene outside any feedback loop.
    Single(u32),
    /// A feedback block.
    Coupled(Box<Coupled>),
}

#[derive(Debug)]
struct Coupled {
    genes: Vec<u32>,
    symbolic: SymbolicSparseColMat<u32>,
    lu: SymbolicLu<u32>,
    /// For each block gene (row), per input: where d(row)/d(regulator) goes in the
    /// values array, or NONE for a regulator outside the block.
    input_pos: Vec<Vec<u32>>,
    diag_pos: Vec<u32>,
}

impl SolvePlan {
    pub(crate) fn new(n: usize, start: &[usize], inputs: &[Input]) -> Result<Self, SimulateError> {
        let mut self_loop = vec![false; n];
        for t in 0..n {
            for input in &inputs[start[t]..start[t + 1]] {
                if input.regulator == t {
                    self_loop[t] = true;
                }
            }
        }
        let sccs = feedback_blocks(n, |t| {
            inputs[start[t]..start[t + 1]].iter().map(|i| i.regulator)
        });
        let mut local = vec![NONE; n];
        let mut blocks = Vec::with_capacity(sccs.len());
        let mut scratch = StackReq::empty();
        let mut max_block = 0;
        for scc in sccs {
            let genes: Vec<u32> = scc.iter().map(|&g| g as u32).collect();
            if genes.len() == 1 && !self_loop[genes[0] as usize] {
                blocks.push(Block::Single(genes[0]));
                continue;
            }
            for (l, &g) in genes.iter().enumerate() {
                local[g as usize] = l as u32;
            }
            let b = genes.len();
            // Column c holds d(row)/d(x_c): rows are c itself and c's targets in
            // the block.
            let mut columns: Vec<Vec<u32>> = (0..b as u32).map(|c| vec![c]).collect();
            for (l, &g) in genes.iter().enumerate() {
                for input in &inputs[start[g as usize]..start[g as usize + 1]] {
                    let c = local[input.regulator];
                    if c != NONE && is_member(&genes, input.regulator) {
                        columns[c as usize].push(l as u32);
                    }
                }
            }
            let mut col_ptr = Vec::with_capacity(b + 1);
            let mut row_idx = Vec::new();
            col_ptr.push(0u32);
            for col in &mut columns {
                col.sort_unstable();
                col.dedup();
                row_idx.extend_from_slice(col);
                col_ptr.push(row_idx.len() as u32);
            }
            let position = |row: u32, col: u32| -> u32 {
                let (lo, hi) = (
                    col_ptr[col as usize] as usize,
                    col_ptr[col as usize + 1] as usize,
                );
                let k = row_idx[lo..hi]
                    .binary_search(&row)
                    .expect("entry is in the pattern");
                (lo + k) as u32
            };
            let mut input_pos = Vec::with_capacity(b);
            let mut diag_pos = Vec::with_capacity(b);
            for (l, &g) in genes.iter().enumerate() {
                let l = l as u32;
                diag_pos.push(position(l, l));
                input_pos.push(
                    inputs[start[g as usize]..start[g as usize + 1]]
                        .iter()
                        .map(|input| {
                            if is_member(&genes, input.regulator) {
                                position(l, local[input.regulator])
                            } else {
                                NONE
                            }
                        })
                        .collect(),
                );
            }
            let symbolic = SymbolicSparseColMat::new_checked(b, b, col_ptr, None, row_idx);
            let lu = factorize_symbolic_lu(symbolic.as_ref(), Default::default()).map_err(|e| {
                SimulateError::Solver(format!(
                    "symbolic factorisation of a {b}-gene feedback block: {e:?}"
                ))
            })?;
            scratch =
                scratch.or(lu.factorize_numeric_lu_scratch::<f64>(Par::Seq, Default::default()));
            scratch = scratch.or(lu.solve_in_place_scratch::<f64>(1, Par::Seq));
            max_block = max_block.max(b);
            blocks.push(Block::Coupled(Box::new(Coupled {
                genes,
                symbolic,
                lu,
                input_pos,
                diag_pos,
            })));
        }
        Ok(SolvePlan {
            blocks,
            scratch,
            max_block,
        })
    }

    /// Sizes of the feedback blocks, largest first.
    pub(crate) fn feedback_blocks(&self) -> Vec<usize> {
        let mut sizes: Vec<usize> = self
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Coupled(c) => Some(c.genes.len()),
                Block::Single(_) => None,
            })
            .collect();
        sizes.sort_unstable_by(|a, b| b.cmp(a));
        sizes
    }

    /// Solves the model under `applied`, starting from `start` (the wild type) or,
    /// when `None`, from zero expression with integration first.
    pub(crate) fn solve(
        &self,
        model: &Model,
        applied: &Applied,
        start: Option<&[f64]>,
        params: &SteadyParams,
    ) -> SteadyState {
        let n = model.n_genes();
        let mut x = match start {
            Some(s) => s.to_vec(),
            None => vec![0.0; n],
        };
        let mut work = Work::new(self);
        let mut unconverged = Vec::new();
        let mut integrated_blocks = 0;
        for block in &self.blocks {
            match block {
                Block::Single(g) => {
                    let g = *g as usize;
                    x[g] = applied.scale[g] * model.activation(g, &x, applied.shift[g]);
                }
                Block::Coupled(c) => {
                    let initial: Vec<f64> = c.genes.iter().map(|&g| x[g as usize]).collect();
                    let mut ok = false;
                    if start.is_some() {
                        ok = newton(model, applied, c, &mut x, params, &mut work);
                    }
                    if !ok {
                        integrated_blocks += 1;
                        for (&g, &v) in c.genes.iter().zip(&initial) {
                            x[g as usize] = v;
                        }
                        integrate_block(model, applied, c, &mut x, params);
                        ok = newton(model, applied, c, &mut x, params, &mut work);
                    }
                    if !ok {
                        for &g in &c.genes {
                            let g = g as usize;
                            let r = (applied.scale[g] * model.activation(g, &x, applied.shift[g])
                                - x[g])
                                .abs();
                            if r.is_nan() || r > params.tolerance {
                                unconverged.push((g, r));
                            }
                        }
                    }
                }
            }
        }
        SteadyState {
            values: x,
            unconverged,
            integrated_blocks,
        }
    }
}

fn is_member(sorted_genes: &[u32], g: usize) -> bool {
    sorted_genes.binary_search(&(g as u32)).is_ok()
}

/// Buffers reused across the blocks of one solve.
struct Work {
    buffer: MemBuffer,
    values: Vec<f64>,
    grad: Vec<f64>,
    residual: Vec<f64>,
    step: Vec<f64>,
    saved: Vec<f64>,
}

impl Work {
    fn new(plan: &SolvePlan) -> Self {
        Work {
            buffer: MemBuffer::new(plan.scratch),
            values: Vec::new(),
            grad: Vec::new(),
            residual: vec![0.0; plan.max_block],
            step: vec![0.0; plan.max_block],
            saved: vec![0.0; plan.max_block],
        }
    }
}

/// Residual `s a(x) - x` of the block's genes into `out`; returns its max norm and
/// squared 2-norm.
fn residual(
    model: &Model,
    applied: &Applied,
    c: &Coupled,
    x: &[f64],
    out: &mut [f64],
) -> (f64, f64) {
    let mut max: f64 = 0.0;
    let mut sq = 0.0;
    for (l, &g) in c.genes.iter().enumerate() {
        let g = g as usize;
        let r = applied.scale[g] * model.activation(g, x, applied.shift[g]) - x[g];
        out[l] = r;
        max = max.max(r.abs());
        sq += r * r;
        if r.is_nan() {
            return (f64::NAN, f64::NAN);
        }
    }
    (max, sq)
}

/// Damped Newton on one block; true when the residual reached tolerance.
fn newton(
    model: &Model,
    applied: &Applied,
    c: &Coupled,
    x: &mut [f64],
    params: &SteadyParams,
    work: &mut Work,
) -> bool {
    let b = c.genes.len();
    // One numeric factorisation per block: faer's simplicial LU keeps the sizes of
    // the first matrix it factorised, so it cannot be reused across blocks.
    let mut numeric = NumericLu::<u32, f64>::new();
    let (mut max, mut sq) = residual(model, applied, c, x, &mut work.residual[..b]);
    for _ in 0..params.max_iterations {
        if max.is_nan() {
            return false;
        }
        if max <= params.tolerance {
            return true;
        }
        // Jacobian of s a(x) - x.
        work.values.clear();
        work.values.resize(c.symbolic.row_idx().len(), 0.0);
        for (l, &g) in c.genes.iter().enumerate() {
            let g = g as usize;
            work.values[c.diag_pos[l] as usize] -= 1.0;
            model.activation_with_gradient(g, x, applied.shift[g], &mut work.grad);
            for (&p, &d) in c.input_pos[l].iter().zip(&work.grad) {
                if p != NONE {
                    work.values[p as usize] += applied.scale[g] * d;
                }
            }
        }
        let stack = MemStack::new(&mut work.buffer);
        let matrix = SparseColMatRef::new(c.symbolic.as_ref(), &work.values);
        let lu = match c.lu.factorize_numeric_lu(
            &mut numeric,
            matrix,
            Par::Seq,
            stack,
            Default::default(),
        ) {
            Ok(lu) => lu,
            Err(_) => return false,
        };
        let step = &mut work.step[..b];
        for (s, r) in step.iter_mut().zip(&work.residual[..b]) {
            *s = -r;
        }
        let stack = MemStack::new(&mut work.buffer);
        lu.solve_in_place_with_conj(
            Conj::No,
            MatMut::from_column_major_slice_mut(step, b, 1),
            Par::Seq,
            stack,
        );
        if step.iter().any(|v| !v.is_finite()) {
            return false;
        }
        // Backtracking on the squared residual (Armijo with c = 1e-4).
        for (l, &g) in c.genes.iter().enumerate() {
            work.saved[l] = x[g as usize];
        }
        let mut t = 1.0;
        let mut accepted = false;
        for _ in 0..30 {
            for (l, &g) in c.genes.iter().enumerate() {
                x[g as usize] = (work.saved[l] + t * work.step[l]).max(0.0);
            }
            let (m, s) = residual(model, applied, c, x, &mut work.residual[..b]);
            if s <= (1.0 - 1e-4 * t) * sq || m <= params.tolerance {
                max = m;
                sq = s;
                accepted = true;
                break;
            }
            t *= 0.5;
        }
        if !accepted {
            for (l, &g) in c.genes.iter().enumerate() {
                x[g as usize] = work.saved[l];
            }
            return false;
        }
    }
    max <= params.tolerance
}

/// Integrates the block's mRNA ODEs (regulators outside the block held at their
/// steady values) until the residual is a hundred times the tolerance or time runs
/// out. The two-stage model has the same fixed points, so its one-stage reduction
/// serves to reach them.
fn integrate_block(
    model: &Model,
    applied: &Applied,
    c: &Coupled,
    x: &mut [f64],
    params: &SteadyParams,
) {
    let mut y: Vec<f64> = c.genes.iter().map(|&g| x[g as usize]).collect();
    let lambda: Vec<f64> = c
        .genes
        .iter()
        .map(|&g| model.degradation()[g as usize])
        .collect();
    let mut full = x.to_vec();
    let target = 100.0 * params.tolerance;
    let mut h = 0.0;
    let result = ode::integrate(
        |_, y, dy| {
            for (l, &g) in c.genes.iter().enumerate() {
                full[g as usize] = y[l].max(0.0);
            }
            for (l, &g) in c.genes.iter().enumerate() {
                let g = g as usize;
                dy[l] = lambda[l]
                    * (applied.scale[g] * model.activation(g, &full, applied.shift[g]) - full[g]);
            }
        },
        &mut y,
        0.0,
        params.max_time,
        &mut h,
        &OdeOptions {
            rtol: 1e-8,
            atol: 1e-10,
            ..Default::default()
        },
        |_, _, dy| dy.iter().zip(&lambda).all(|(d, l)| (d / l).abs() <= target),
    );
    let _: OdeStop = result;
    for (l, &g) in c.genes.iter().enumerate() {
        x[g as usize] = y[l].max(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::kinetics::{Combination, Gene, ModelSpec, Perturbation};

    fn gene(name: &str, basal: f64, inputs: Vec<Input>) -> Gene {
        Gene {
            name: name.into(),
            degradation: 0.05,
            protein_degradation: 0.02,
            basal,
            inputs,
        }
    }

    fn input(regulator: usize, repression: bool, threshold: f64, hill: f64) -> Input {
        Input {
            regulator,
            repression,
            threshold,
            hill,
            weight: 1.0,
        }
    }

    /// A activates B, B represses A, Hill coefficients 1 and no leak:
    /// `x_A = k_B / (k_B + x_B)`, `x_B = x_A / (k_A + x_A)`, so `x_A` is the positive
    /// root of `(k_B + 1) x² + k_B (k_A - 1) x - k_A k_B = 0`.
    #[test]
    fn activator_repressor_pair_has_the_analytic_steady_state() {
        let (ka, kb) = (0.3, 0.2);
        for combination in Combination::ALL {
            let model = Model::new(ModelSpec {
                combination,
                two_stage: false,
                genes: vec![
                    gene("A", 0.0, vec![input(1, true, kb, 1.0)]),
                    gene("B", 0.0, vec![input(0, false, ka, 1.0)]),
                ],
            })
            .unwrap();
            assert_eq!(model.feedback_blocks(), vec![2]);
            let (a, b, c) = (kb + 1.0, kb * (ka - 1.0), -ka * kb);
            let xa = (-b + (b * b - 4.0 * a * c).sqrt()) / (2.0 * a);
            let xb = xa / (ka + xa);
            let wt = model.wild_type();
            assert!(wt.converged());
            assert!((wt.values[0] - xa).abs() < 1e-8, "{} vs {xa}", wt.values[0]);
            assert!((wt.values[1] - xb).abs() < 1e-8, "{} vs {xb}", wt.values[1]);

            // Knocking B out frees A completely: x_A = 1.
            let ko = model
                .steady_state(&Perturbation::knockout(&[1]), &SteadyParams::default())
                .unwrap();
            assert_eq!(ko.values[1], 0.0);
            assert!((ko.values[0] - 1.0).abs() < 1e-8);
        }
    }

    /// Without feedback the steady state is one Hill evaluation per gene.
    #[test]
    fn cascade_with_leak_and_hill_coefficient() {
        let model = Model::new(ModelSpec {
            combination: Combination::Additive,
            two_stage: true,
            genes: vec![
                gene("TF", 0.0, vec![]),
                gene("up", 0.1, vec![input(0, false, 0.5, 3.0)]),
                gene("down", 0.2, vec![input(1, true, 0.4, 2.0)]),
            ],
        })
        .unwrap();
        assert!(model.feedback_blocks().is_empty());
        let wt = &model.wild_type().values;
        let up = 0.1 + 0.9 * 1.0 / (1.0 + 0.5f64.powi(3));
        let down = 0.2 + 0.8 * (1.0 - up * up / (0.16 + up * up));
        assert!((wt[0] - 1.0).abs() < 1e-15);
        assert!((wt[1] - up).abs() < 1e-12);
        assert!((wt[2] - down).abs() < 1e-12);
        // A knockdown of TF to 0.5 halves its level.
        let kd = model
            .steady_state(&Perturbation::scale(0, 0.5), &SteadyParams::default())
            .unwrap();
        assert!((kd.values[0] - 0.5).abs() < 1e-15);
        let up_kd = 0.1 + 0.9 * 0.125 / (0.125 + 0.125);
        assert!((kd.values[1] - up_kd).abs() < 1e-12);
    }

    /// Newton's answer agrees with integrating the ODEs to equilibrium.
    #[test]
    fn newton_agrees_with_integration_on_a_random_network() {
        let params = crate::simulate::TopologyParams {
            regulators: Some(30),
            mean_degree: 3.0,
            ..crate::simulate::TopologyParams::new(crate::simulate::Topology::ErdosRenyi, 60)
        };
        let net = crate::simulate::random_network(&params, 5).unwrap();
        let model =
            crate::simulate::random_model(&net, &crate::simulate::KineticParams::default(), 5)
                .unwrap();
        assert!(
            !model.feedback_blocks().is_empty(),
            "the test needs feedback loops"
        );
        let ko = Perturbation::knockout(&[net.edges().next().unwrap().0]);
        let newton = model.steady_state(&ko, &SteadyParams::default()).unwrap();
        assert!(newton.converged());
        // Integrate the whole system from the wild type for a long time.
        let applied = ko.dense(model.n_genes());
        let mut y = model.wild_type().values.clone();
        let mut h = 0.0;
        let mut prod = vec![0.0; model.n_genes()];
        ode::integrate(
            |_, y, dy| {
                model.production(y, &applied, &mut prod);
                for i in 0..y.len() {
                    dy[i] = prod[i] - model.degradation()[i] * y[i];
                }
            },
            &mut y,
            0.0,
            20_000.0,
            &mut h,
            &OdeOptions {
                rtol: 1e-10,
                atol: 1e-12,
                ..Default::default()
            },
            |_, _, _| false,
        );
        for (a, b) in newton.values.iter().zip(&y) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
    }

    /// Blocks of different sizes one after the other (a 3-gene loop feeding a 2-gene
    /// loop): each gets its own factorisation.
    #[test]
    fn successive_feedback_blocks_of_different_sizes() {
        let model = Model::new(ModelSpec {
            combination: Combination::Additive,
            two_stage: false,
            genes: vec![
                gene("a", 0.05, vec![input(2, true, 0.3, 2.0)]),
                gene("b", 0.05, vec![input(0, false, 0.4, 2.0)]),
                gene("c", 0.05, vec![input(1, false, 0.5, 2.0)]),
                gene(
                    "d",
                    0.05,
                    vec![input(2, false, 0.3, 1.5), input(4, true, 0.6, 3.0)],
                ),
                gene("e", 0.05, vec![input(3, false, 0.2, 2.0)]),
            ],
        })
        .unwrap();
        assert_eq!(model.feedback_blocks(), vec![3, 2]);
        let wt = model.wild_type();
        assert!(wt.converged());
        let kd = model
            .steady_state(&Perturbation::scale(1, 0.5), &SteadyParams::default())
            .unwrap();
        assert!(kd.converged());
        for g in 0..5 {
            let r = model.activation(g, &kd.values, 0.0) * if g == 1 { 0.5 } else { 1.0 };
            assert!((r - kd.values[g]).abs() < 1e-8);
        }
    }

    #[test]
    fn failures_are_reported_not_hidden() {
        let model = Model::new(ModelSpec {
            combination: Combination::Multiplicative,
            two_stage: false,
            genes: vec![
                gene("A", 0.0, vec![input(1, true, 0.1, 4.0)]),
                gene("B", 0.0, vec![input(0, false, 0.2, 4.0)]),
            ],
        })
        .unwrap();
        let hopeless = SteadyParams {
            tolerance: 1e-8,
            max_iterations: 1,
            max_time: 1e-3,
        };
        let r = model
            .steady_state(&Perturbation::scale(0, 0.3), &hopeless)
            .unwrap();
        assert!(!r.converged());
        assert!(r.unconverged.iter().all(|&(_, res)| res > 1e-8));
        assert_eq!(r.integrated_blocks, 1);
    }
}
