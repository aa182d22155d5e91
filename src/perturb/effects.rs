//! [`Effects`]: the predicted change of every gene, with what explains it.
//!
//! Per gene: its baseline level, the predicted level, the change (delta), the log2
//! fold change, the cross-validated R² of its model, and the strongest path from a
//! perturbed gene. The path is the one along which the largest share of the change
//! flows: each edge `r -> t` carries the share of `t`'s incoming change that comes
//! through `r` (its regulators' absolute contributions `|w Δx_r|` for the linear
//! model, the forest's change when only `r` moves for the forest model, normalised
//! to sum to 1), and the path maximises the product of shares. Shares are at most 1,
//! so this is a shortest path with costs `-ln share` (Dijkstra 1959), found from all
//! perturbed genes at once in O(E log V).
//!
//! Rows are sorted by |delta| (largest first; ties by gene name), and written as
//! TSV by [`Effects::write_tsv`].

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;

use crate::files::{self, FileError};

use super::PerturbError;
use super::propagation::{Perturbation, Prediction, Predictor};

impl Predictor<'_> {
    /// Predicts the change of every gene and explains it (see [`Effects`]).
    pub fn effects(&self, perturbation: &Perturbation) -> Result<Effects, PerturbError> {
        let prediction = self.predict(perturbation)?;
        Ok(build(self, perturbation, prediction))
    }
}

/// The predicted effect on one gene.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneEffect {
    /// Gene index.
    pub gene: usize,
    /// Level before the perturbation.
    pub baseline: f64,
    /// Predicted level.
    pub predicted: f64,
    /// `predicted - baseline`.
    pub delta: f64,
    /// Cross-validated R² of the gene's model (`None`: the gene has no
    /// regulators, so it changes only when perturbed directly).
    pub r2: Option<f64>,
    /// Strongest path from a perturbed gene (gene indices, perturbed gene first;
    /// just the gene for perturbed genes; empty when the gene does not change).
    pub path: Vec<usize>,
    /// The smallest cross-validated R² of the models along [`GeneEffect::path`]
    /// (the perturbed gene excluded): the weakest fitted link the predicted change
    /// passes through. `None` for perturbed genes and genes that do not change.
    pub path_r2: Option<f64>,
    /// Whether the gene was perturbed directly (clamped).
    pub perturbed: bool,
}

impl GeneEffect {
    /// `log2(predicted / baseline)`: `-inf` when the gene is predicted at exactly 0
    /// (a knockout), `None` when undefined (a baseline at or below 0, or a negative
    /// prediction, which a linear model can give by extrapolating).
    pub fn log2_fold_change(&self) -> Option<f64> {
        if self.baseline <= 0.0 || self.predicted < 0.0 {
            None
        } else if self.predicted == 0.0 {
            Some(f64::NEG_INFINITY)
        } else {
            Some((self.predicted / self.baseline).log2())
        }
    }
}

/// Predicted effects of one perturbation on every gene.
#[derive(Debug, Clone)]
pub struct Effects {
    genes: Arc<[String]>,
    rows: Vec<GeneEffect>,
    row_of: Vec<usize>,
    unconverged: Vec<usize>,
}

impl Effects {
    /// One row per gene, sorted by |delta| (largest first, ties by name).
    pub fn rows(&self) -> &[GeneEffect] {
        &self.rows
    }

    /// The row of a gene, by name.
    pub fn row(&self, name: &str) -> Option<&GeneEffect> {
        let g = self.genes.iter().position(|n| n == name)?;
        Some(&self.rows[self.row_of[g]])
    }

    /// The row of a gene, by index.
    pub fn of(&self, gene: usize) -> &GeneEffect {
        &self.rows[self.row_of[gene]]
    }

    /// Gene names.
    pub fn genes(&self) -> &Arc<[String]> {
        &self.genes
    }

    /// Genes of forest feedback loops that did not settle (their values are the
    /// last iterate).
    pub fn unconverged(&self) -> &[usize] {
        &self.unconverged
    }

    /// A row's path as `G3>G17>G42` (`NA` when the gene does not change).
    pub fn path_string(&self, row: &GeneEffect) -> String {
        if row.path.is_empty() {
            return "NA".into();
        }
        let names: Vec<&str> = row.path.iter().map(|&g| self.genes[g].as_str()).collect();
        names.join(">")
    }

    /// How far the data support the prediction as a whole: the mean of
    /// `max(path_r2, 0)` over the changed, unperturbed genes, each weighted by its
    /// change in standard deviations of the gene in the data. 1 when every change
    /// flows through models that predict their genes exactly out of sample, 0 when
    /// it flows only through models no better than the mean; `None` when nothing
    /// changes.
    pub fn confidence(&self, sd: impl Fn(usize) -> f64) -> Option<f64> {
        let (mut num, mut den) = (0.0, 0.0);
        for row in self.rows.iter().filter(|r| !r.perturbed && r.delta != 0.0) {
            let s = sd(row.gene);
            let w = if s > 0.0 { row.delta.abs() / s } else { 0.0 };
            num += w * row.path_r2.unwrap_or(0.0).clamp(0.0, 1.0);
            den += w;
        }
        (den > 0.0).then(|| num / den)
    }

    /// Writes `gene baseline predicted delta log2_fold_change r2 path path_r2` with
    /// a header line; undefined values are `NA`.
    pub fn write_tsv(&self, w: &mut dyn Write) -> io::Result<()> {
        self.write_tsv_with(w, &[])
    }

    /// [`Effects::write_tsv`] with extra columns after `path_r2`: a header and one
    /// value per gene, indexed by gene (see [`super::attribution`]).
    pub fn write_tsv_with(
        &self,
        w: &mut dyn Write,
        extra: &[(&str, Vec<String>)],
    ) -> io::Result<()> {
        w.write_all(b"gene\tbaseline\tpredicted\tdelta\tlog2_fold_change\tr2\tpath\tpath_r2")?;
        for (name, _) in extra {
            write!(w, "\t{name}")?;
        }
        w.write_all(b"\n")?;
        for row in &self.rows {
            let fc = match row.log2_fold_change() {
                Some(v) => v.to_string(),
                None => "NA".into(),
            };
            let na = |v: Option<f64>| v.map_or_else(|| "NA".to_string(), |v| v.to_string());
            write!(
                w,
                "{}\t{}\t{}\t{}\t{fc}\t{}\t{}\t{}",
                self.genes[row.gene],
                row.baseline,
                row.predicted,
                row.delta,
                na(row.r2),
                self.path_string(row),
                na(row.path_r2)
            )?;
            for (_, values) in extra {
                write!(w, "\t{}", values[row.gene])?;
            }
            w.write_all(b"\n")?;
        }
        Ok(())
    }

    /// Writes the table atomically to `path` (gzipped when it ends in `.gz`).
    pub fn save_tsv(&self, path: &Path) -> Result<(), FileError> {
        files::write_atomic(path, |w| self.write_tsv(w))
    }

    /// [`Effects::save_tsv`] with extra columns ([`Effects::write_tsv_with`]).
    pub fn save_tsv_with(
        &self,
        path: &Path,
        extra: &[(&str, Vec<String>)],
    ) -> Result<(), FileError> {
        files::write_atomic(path, |w| self.write_tsv_with(w, extra))
    }
}

/// Assembles the effects of a prediction.
fn build(
    predictor: &Predictor<'_>,
    perturbation: &Perturbation,
    prediction: Prediction,
) -> Effects {
    let model = predictor.model();
    let n = model.n_genes();
    let delta = prediction.delta;
    let mut perturbed = vec![false; n];
    for &(g, _) in perturbation.changes() {
        perturbed[g] = true;
    }
    let paths = strongest_paths(predictor, &delta, &perturbed);
    let mut rows: Vec<GeneEffect> = paths
        .into_iter()
        .enumerate()
        .map(|(g, path)| {
            let baseline = predictor.baseline()[g];
            let path_r2 = (!perturbed[g] && path.len() > 1)
                .then(|| {
                    path[1..]
                        .iter()
                        .filter_map(|&q| model.r2(q))
                        .fold(f64::INFINITY, f64::min)
                })
                .filter(|v| v.is_finite());
            GeneEffect {
                gene: g,
                baseline,
                predicted: baseline + delta[g],
                delta: delta[g],
                r2: model.r2(g),
                path,
                path_r2,
                perturbed: perturbed[g],
            }
        })
        .collect();
    let names = model.genes();
    rows.sort_by(|a, b| {
        b.delta
            .abs()
            .total_cmp(&a.delta.abs())
            .then_with(|| names[a.gene].cmp(&names[b.gene]))
    });
    let mut row_of = vec![0; n];
    for (i, r) in rows.iter().enumerate() {
        row_of[r.gene] = i;
    }
    Effects {
        genes: names.clone(),
        rows,
        row_of,
        unconverged: prediction.unconverged,
    }
}

/// For every gene, the path from a perturbed gene maximising the product of the
/// shares of change along it.
fn strongest_paths(
    predictor: &Predictor<'_>,
    delta: &[f64],
    perturbed: &[bool],
) -> Vec<Vec<usize>> {
    let model = predictor.model();
    let n = model.n_genes();
    // Incoming shares of every changed, free gene: share[t][k] for regulator k.
    let mut shares: Vec<Vec<f64>> = vec![Vec::new(); n];
    let mut buf = Vec::new();
    for t in 0..n {
        if perturbed[t] || delta[t] == 0.0 || model.regulators(t).is_empty() {
            continue;
        }
        predictor.contributions(t, delta, &mut buf);
        let total: f64 = buf.iter().sum();
        if total > 0.0 {
            shares[t] = buf.iter().map(|c| c / total).collect();
        }
    }
    // Outgoing edges with their share: (target, share).
    let mut out: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    for (t, s) in shares.iter().enumerate() {
        for (&r, &share) in model.regulators(t).iter().zip(s) {
            if share > 0.0 {
                out[r].push((t, share));
            }
        }
    }
    let mut cost = vec![f64::INFINITY; n];
    let mut pred: Vec<Option<usize>> = vec![None; n];
    let mut heap = BinaryHeap::new();
    for g in 0..n {
        if perturbed[g] {
            cost[g] = 0.0;
            heap.push(Reverse((0.0f64.to_bits(), g)));
        }
    }
    // Costs are non-negative, so their bit patterns order like the values.
    while let Some(Reverse((bits, g))) = heap.pop() {
        let c = f64::from_bits(bits);
        if c > cost[g] {
            continue;
        }
        for &(t, share) in &out[g] {
            if perturbed[t] {
                continue;
            }
            let next = c - share.ln();
            if next < cost[t] {
                cost[t] = next;
                pred[t] = Some(g);
                heap.push(Reverse((next.to_bits(), t)));
            }
        }
    }
    (0..n)
        .map(|g| {
            if !cost[g].is_finite() {
                return Vec::new();
            }
            let mut path = vec![g];
            let mut at = g;
            while let Some(p) = pred[at] {
                path.push(p);
                at = p;
            }
            path.reverse();
            path
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::perturb::{PropagationParams, ResponseModel};

    #[test]
    fn paths_follow_the_largest_share_and_rows_sort_by_change() {
        // A -> B -> D (strong), A -> C -> D (weak), E untouched.
        let genes: Vec<String> = ["A", "B", "C", "D", "E"].map(String::from).into();
        let model =
            ResponseModel::linear(genes, &[(0, 1, 1.0), (0, 2, 1.0), (1, 3, 0.9), (2, 3, 0.1)])
                .unwrap();
        let p = Predictor::new(
            &model,
            vec![2.0, 1.0, 1.0, 1.0, 1.0],
            &PropagationParams::default(),
        )
        .unwrap();
        let e = p.effects(&Perturbation::knockout(&[0])).unwrap();
        let order: Vec<&str> = e
            .rows()
            .iter()
            .map(|r| e.genes()[r.gene].as_str())
            .collect();
        assert_eq!(order, ["A", "B", "C", "D", "E"]);
        let d = e.row("D").unwrap();
        assert_eq!(e.path_string(d), "A>B>D");
        assert!((d.delta + 2.0).abs() < 1e-12);
        assert_eq!(d.log2_fold_change(), None); // predicted -1: below zero
        assert_eq!(e.path_string(e.row("A").unwrap()), "A");
        assert_eq!(
            e.row("A").unwrap().log2_fold_change(),
            Some(f64::NEG_INFINITY)
        );
        assert_eq!(e.path_string(e.row("E").unwrap()), "NA");
        let mut out = Vec::new();
        e.write_tsv(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "gene\tbaseline\tpredicted\tdelta\tlog2_fold_change\tr2\tpath\tpath_r2"
        );
        assert_eq!(lines[1], "A\t2\t0\t-2\t-inf\tNA\tA\tNA");
        assert_eq!(lines[5], "E\t1\t1\t0\t0\tNA\tNA\tNA");
        // A model without data has no R²: no path R², and no confidence to give.
        assert_eq!(d.path_r2, None);
        assert_eq!(e.confidence(|_| 1.0), Some(0.0));
    }
}
