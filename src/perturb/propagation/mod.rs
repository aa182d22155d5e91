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

mod forest;
mod inputs;
mod linear;
mod numeric;
mod params;

pub use inputs::{Baseline, Perturbation};
pub use params::{DampedBlock, Prediction, Propagation, PropagationParams};

use crate::network::{BlockPlan, Factors};

use super::PerturbError;
use super::model::{ResponseKind, ResponseModel};

/// A model, a baseline and a propagation, prepared for many predictions (feedback
/// blocks are analysed and factorised once).
pub struct Predictor<'m> {
    model: &'m ResponseModel,
    baseline: Vec<f64>,
    params: PropagationParams,
    plan: BlockPlan,
    /// Linear steady state: the factors of `I - W_bb` of each feedback block, by
    /// block index (`None` for single genes and other propagations).
    factors: Vec<Option<Factors>>,
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
        let (out_start, out_edges) = outgoing_edges(model);
        let edge_start = edge_starts(model);
        let plan = BlockPlan::new(n, |t| model.regulators(t).iter().copied())
            .map_err(|e| PerturbError::Solver(e.to_string()))?;
        let mut predictor = Predictor {
            model,
            baseline,
            params: params.clone(),
            factors: (0..plan.blocks().len()).map(|_| None).collect(),
            plan,
            weights: Vec::new(),
            edge_start,
            out_start,
            out_edges,
            damped: Vec::new(),
            base_fit: Vec::new(),
        };
        match model.kind() {
            ResponseKind::Linear => {
                predictor.weights = (0..n)
                    .flat_map(|t| model.weights(t).unwrap().iter().copied())
                    .collect();
                if params.propagation == Propagation::Steady {
                    predictor.damp_and_factorise()?;
                }
            }
            ResponseKind::Forest | ResponseKind::Boosting => {
                predictor.base_fit = predictor.baseline_fits()
            }
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
        self.plan.feedback_sizes()
    }

    /// Predicts the change of every gene under `perturbation`.
    pub fn predict(&self, perturbation: &Perturbation) -> Result<Prediction, PerturbError> {
        perturbation.validate(self.model.genes())?;
        let n = self.model.n_genes();
        let mut clamp: Vec<Option<f64>> = vec![None; n];
        for &(g, f) in perturbation.changes() {
            clamp[g] = Some((f - 1.0) * self.baseline[g]);
        }
        match (self.model.kind(), self.params.propagation) {
            (ResponseKind::Linear, Propagation::Steps(k)) => Ok(self.linear_steps(&clamp, k)),
            (ResponseKind::Linear, Propagation::Steady) => self.linear_steady(&clamp),
            (ResponseKind::Forest | ResponseKind::Boosting, Propagation::Steps(k)) => {
                Ok(self.forest_steps(&clamp, k))
            }
            (ResponseKind::Forest | ResponseKind::Boosting, Propagation::Steady) => {
                Ok(self.forest_steady(&clamp))
            }
        }
    }

    /// How much of target `t`'s change comes through each of its regulators, as
    /// absolute changes in expression units (linear: `|w Δx_r|`; forest: the
    /// forest's change when only that regulator moves).
    pub(crate) fn contributions(&self, t: usize, delta: &[f64], out: &mut Vec<f64>) {
        out.clear();
        match self.model.kind() {
            ResponseKind::Linear => self.linear_contributions(t, delta, out),
            ResponseKind::Forest | ResponseKind::Boosting => {
                self.forest_contributions(t, delta, out)
            }
        }
    }

    /// The targets of gene `g`, with the position of each edge in the weights.
    fn targets_of(&self, g: usize) -> &[(u32, u32)] {
        &self.out_edges[self.out_start[g]..self.out_start[g + 1]]
    }
}

/// Edges regulator -> target grouped by regulator: `out_edges[out_start[r]..
/// out_start[r + 1]]` are `r`'s (target, position in the model's regulator lists).
fn outgoing_edges(model: &ResponseModel) -> (Vec<usize>, Vec<(u32, u32)>) {
    let n = model.n_genes();
    let mut out_start = vec![0usize; n + 1];
    for t in 0..n {
        for &r in model.regulators(t) {
            out_start[r + 1] += 1;
        }
    }
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
    (out_start, out_edges)
}

/// Position of each target's first regulator in the flattened regulator lists
/// (n + 1 entries).
fn edge_starts(model: &ResponseModel) -> Vec<usize> {
    let n = model.n_genes();
    let mut s = Vec::with_capacity(n + 1);
    s.push(0);
    for t in 0..n {
        s.push(s[t] + model.regulators(t).len());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expression::ExpressionMatrix;

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
