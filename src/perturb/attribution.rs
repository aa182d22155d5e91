//! Extra columns of `perturb` output that explain each change: the signed
//! contribution of every edge along the gene's strongest path, and conformal
//! prediction intervals of the predicted levels.
//!
//! An edge `r -> t`'s contribution is `φ_r(x₁) - φ_r(x₀)`: the change of `r`'s
//! Shapley contribution to `t` ([`crate::explain`]) between the baseline `x₀` and
//! the perturbed state `x₁`. Over all of `t`'s regulators these add up to
//! `f_t(x₁) - f_t(x₀)`, the change the model predicts for `t` from its regulators'
//! changes; for a linear model it is exactly `w_r Δx_r`. (Where `perturb` damped a
//! feedback loop's weights, the propagated change uses the damped weights, so the
//! contributions, from the fitted ones, then add up to slightly more.)
//!
//! Cost: one explanation per changed gene at two states (O(k) linear, TreeSHAP
//! for trees).

use crate::explain::explain;

use super::effects::Effects;
use super::propagation::Predictor;

/// Per gene (indexed by gene), the path with each edge's contribution,
/// `A>B:-0.5|B>C:-1.2`; `NA` for genes with paths of fewer than two genes.
pub fn path_contributions(predictor: &Predictor<'_>, effects: &Effects) -> Vec<String> {
    let model = predictor.model();
    let n = model.n_genes();
    let x0 = predictor.baseline().to_vec();
    let mut x1 = x0.clone();
    for (g, x) in x1.iter_mut().enumerate() {
        *x += effects.of(g).delta;
    }
    // Each target's per-regulator change of contribution, computed once.
    let mut cache: Vec<Option<Vec<f64>>> = vec![None; n];
    let mut contribution = |r: usize, t: usize| -> f64 {
        let c = cache[t].get_or_insert_with(|| {
            match (explain(model, t, &x1), explain(model, t, &x0)) {
                (Ok(a), Ok(b)) => a
                    .contributions
                    .iter()
                    .zip(&b.contributions)
                    .map(|(p, q)| p - q)
                    .collect(),
                _ => vec![0.0; model.regulators(t).len()],
            }
        });
        model
            .regulators(t)
            .iter()
            .position(|&q| q == r)
            .map_or(0.0, |k| c[k])
    };
    (0..n)
        .map(|g| {
            let path = &effects.of(g).path;
            if path.len() < 2 {
                return "NA".to_string();
            }
            let names = model.genes();
            path.windows(2)
                .map(|e| {
                    format!(
                        "{}>{}:{}",
                        names[e[0]],
                        names[e[1]],
                        contribution(e[0], e[1])
                    )
                })
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

/// Per gene (indexed by gene), the predicted level's conformal interval at
/// `level` (lower and upper bounds; `NA` for perturbed genes, genes without a
/// model, or levels the model has no width for).
pub fn intervals(
    predictor: &Predictor<'_>,
    effects: &Effects,
    level: f64,
) -> (Vec<String>, Vec<String>) {
    let model = predictor.model();
    (0..model.n_genes())
        .map(|g| {
            let row = effects.of(g);
            match model.interval(g, level) {
                Some(h) if !row.perturbed => (
                    (row.predicted - h).to_string(),
                    (row.predicted + h).to_string(),
                ),
                _ => ("NA".to_string(), "NA".to_string()),
            }
        })
        .unzip()
}
