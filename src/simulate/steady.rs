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

use crate::network::{Block, CoupledBlock, Factors};
use faer::dyn_stack::MemBuffer;

use super::SimulateError;
use super::kinetics::{Applied, KineticPerturbation, Model};
use super::ode::{self, OdeOptions, OdeStop};
pub use super::state::{SteadyParams, SteadyState};
use super::topology::SignedNetwork;
use crate::expression::ExpressionMatrix;

/// One gene's knockout as an expression matrix's genes see it: the truth that
/// knockout predictions fitted on that matrix are scored against.
#[derive(Debug, Clone)]
pub struct KnockoutTruth {
    /// The knocked-out gene, as an index of the matrix.
    pub gene: usize,
    /// Per matrix gene, its knockout steady state minus its wild-type level (NaN
    /// for genes the model does not have).
    pub delta: Vec<f64>,
    /// Per matrix gene, its wild-type level (NaN for genes the model does not have).
    pub wild_type: Vec<f64>,
}

impl Model {
    /// The knockout of every gene with targets in `network` (the network the model
    /// was built on) that is a gene of `matrix`, one steady state each; knockouts
    /// whose steady state does not converge are left out, since their truth is not
    /// known.
    pub fn knockout_truths(
        &self,
        network: &SignedNetwork,
        matrix: &ExpressionMatrix,
    ) -> Result<Vec<KnockoutTruth>, SimulateError> {
        let names = self.gene_names();
        let wild = &self.wild_type().values;
        let mut truths = Vec::new();
        let out = network.out_degrees();
        for g in (0..names.len()).filter(|&g| out[g] > 0) {
            let Some(gene) = matrix.gene_index(&names[g]) else {
                continue;
            };
            let ko = self.steady_state(
                &KineticPerturbation::knockout(&[g]),
                &SteadyParams::default(),
            )?;
            if !ko.converged() {
                continue;
            }
            let mut delta = vec![f64::NAN; matrix.n_genes()];
            let mut wild_type = vec![f64::NAN; matrix.n_genes()];
            for (k, name) in names.iter().enumerate() {
                if let Some(i) = matrix.gene_index(name) {
                    delta[i] = ko.values[k] - wild[k];
                    wild_type[i] = wild[k];
                }
            }
            truths.push(KnockoutTruth {
                gene,
                delta,
                wild_type,
            });
        }
        Ok(truths)
    }

    /// The unperturbed steady state, computed once and cached.
    pub fn wild_type(&self) -> &SteadyState {
        self.wild_type_cell().get_or_init(|| {
            solve(
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
        perturbation: &KineticPerturbation,
        params: &SteadyParams,
    ) -> Result<SteadyState, SimulateError> {
        perturbation.validate(self.n_genes())?;
        params.validate()?;
        Ok(self.solve_unchecked(perturbation, params))
    }

    /// [`Model::steady_state`] for inputs already validated.
    pub(crate) fn solve_unchecked(
        &self,
        perturbation: &KineticPerturbation,
        params: &SteadyParams,
    ) -> SteadyState {
        let applied = perturbation.dense(self.n_genes());
        solve(self, &applied, Some(&self.wild_type().values), params)
    }
}

/// Solves the model under `applied`, starting from `start` (the wild type) or,
/// when `None`, from zero expression with integration first.
fn solve(
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
    let plan = model.plan();
    let mut work = Work::new(plan.workspace(), plan.max_block());
    let mut unconverged = Vec::new();
    let mut integrated_blocks = 0;
    for block in plan.blocks() {
        match block {
            Block::Single(g) => {
                let g = *g;
                x[g] = applied.scale[g] * model.activation(g, &x, applied.shift[g]);
            }
            Block::Coupled(c) => {
                let initial: Vec<f64> = c.genes().iter().map(|&g| x[g]).collect();
                let mut ok = false;
                if start.is_some() {
                    ok = newton(model, applied, c, &mut x, params, &mut work);
                }
                if !ok {
                    integrated_blocks += 1;
                    for (&g, &v) in c.genes().iter().zip(&initial) {
                        x[g] = v;
                    }
                    integrate_block(model, applied, c, &mut x, params);
                    ok = newton(model, applied, c, &mut x, params, &mut work);
                }
                if !ok {
                    for &g in c.genes() {
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
    fn new(buffer: MemBuffer, max_block: usize) -> Self {
        Work {
            buffer,
            values: Vec::new(),
            grad: Vec::new(),
            residual: vec![0.0; max_block],
            step: vec![0.0; max_block],
            saved: vec![0.0; max_block],
        }
    }
}

/// Residual `s a(x) - x` of the block's genes into `out`; returns its max norm and
/// squared 2-norm.
fn residual(
    model: &Model,
    applied: &Applied,
    c: &CoupledBlock,
    x: &[f64],
    out: &mut [f64],
) -> (f64, f64) {
    let mut max: f64 = 0.0;
    let mut sq = 0.0;
    for (l, &g) in c.genes().iter().enumerate() {
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
    c: &CoupledBlock,
    x: &mut [f64],
    params: &SteadyParams,
    work: &mut Work,
) -> bool {
    let b = c.genes().len();
    // One numeric factorisation per block: faer's simplicial LU keeps the sizes of
    // the first matrix it factorised, so it cannot be reused across blocks.
    let mut factors = Factors::new();
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
        work.values.resize(c.n_entries(), 0.0);
        for (l, &g) in c.genes().iter().enumerate() {
            work.values[c.diagonal(l)] -= 1.0;
            model.activation_with_gradient(g, x, applied.shift[g], &mut work.grad);
            for (k, &d) in work.grad.iter().enumerate() {
                if let Some(p) = c.entry(l, k) {
                    work.values[p] += applied.scale[g] * d;
                }
            }
        }
        if c.factorize(&work.values, &mut factors, &mut work.buffer)
            .is_err()
        {
            return false;
        }
        let step = &mut work.step[..b];
        for (s, r) in step.iter_mut().zip(&work.residual[..b]) {
            *s = -r;
        }
        c.solve(&factors, step, &mut work.buffer);
        if step.iter().any(|v| !v.is_finite()) {
            return false;
        }
        // Backtracking on the squared residual (Armijo with c = 1e-4).
        for (l, &g) in c.genes().iter().enumerate() {
            work.saved[l] = x[g];
        }
        let mut t = 1.0;
        let mut accepted = false;
        for _ in 0..30 {
            for (l, &g) in c.genes().iter().enumerate() {
                x[g] = (work.saved[l] + t * work.step[l]).max(0.0);
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
            for (l, &g) in c.genes().iter().enumerate() {
                x[g] = work.saved[l];
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
    c: &CoupledBlock,
    x: &mut [f64],
    params: &SteadyParams,
) {
    let mut y: Vec<f64> = c.genes().iter().map(|&g| x[g]).collect();
    let lambda: Vec<f64> = c.genes().iter().map(|&g| model.degradation()[g]).collect();
    let mut full = x.to_vec();
    let target = 100.0 * params.tolerance;
    let mut h = 0.0;
    let result = ode::integrate(
        |_, y, dy| {
            for (l, &g) in c.genes().iter().enumerate() {
                full[g] = y[l].max(0.0);
            }
            for (l, &g) in c.genes().iter().enumerate() {
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
    for (l, &g) in c.genes().iter().enumerate() {
        x[g] = y[l].max(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::kinetics::{Combination, Gene, Input, KineticPerturbation, ModelSpec};

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
                .steady_state(
                    &KineticPerturbation::knockout(&[1]),
                    &SteadyParams::default(),
                )
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
            .steady_state(
                &KineticPerturbation::scale(0, 0.5),
                &SteadyParams::default(),
            )
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
        let ko = KineticPerturbation::knockout(&[net.edges().next().unwrap().0]);
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
            .steady_state(
                &KineticPerturbation::scale(1, 0.5),
                &SteadyParams::default(),
            )
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
            .steady_state(&KineticPerturbation::scale(0, 0.3), &hopeless)
            .unwrap();
        assert!(!r.converged());
        assert!(r.unconverged.iter().all(|&(_, res)| res > 1e-8));
        assert_eq!(r.integrated_blocks, 1);
    }
}
