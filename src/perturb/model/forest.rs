//! Tree-ensemble response models of every target (the crate's random forests or
//! gradient boosting) and their `folds`-fold cross-validated R² and residuals. Each
//! fold's training samples are binned straight from the expression array.
//!
//! Cost per target: one ensemble on all samples plus one per fold, and one pass of
//! every sample down every tree for the node covers (TreeSHAP's `r_j`).

use rand::seq::SliceRandom;
use rayon::prelude::*;

use crate::expression::ExpressionMatrix;
use crate::trees::{self, BinnedMatrix, EnsembleParams, LEAF, TreeModel};
use crate::{Progress, random};

fn mean_of(v: &[f32]) -> f64 {
    v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64
}

// Stream tag of the cross-validation folds (targets use their own index).
const FOLDS_STREAM: u64 = u64::MAX;

/// One target's fitted ensemble.
pub(super) struct EnsembleFit {
    pub(super) model: Option<TreeModel>,
    pub(super) r2: Option<f64>,
    /// Cross-validated residuals `y - ŷ_cv`, one per sample (empty without a model).
    pub(super) residuals: Vec<f64>,
    /// Per tree, per node: training samples reaching it.
    pub(super) covers: Vec<Vec<u32>>,
}

/// Ensembles of every target with regulators, and their cross-validated R².
pub(super) fn ensembles(
    matrix: &ExpressionMatrix,
    per_target: &[Vec<usize>],
    ensemble: &EnsembleParams,
    folds: usize,
    seed: u64,
    progress: &dyn Progress,
) -> Vec<EnsembleFit> {
    let n = matrix.n_samples();
    let folds = folds.min(n);
    // Samples dealt into folds in a random order shared by every target.
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut random::stream(seed, FOLDS_STREAM));
    let mut fold_of = vec![0usize; n];
    for (pos, &s) in order.iter().enumerate() {
        fold_of[s] = pos % folds;
    }
    let train_sets: Vec<Vec<usize>> = (0..folds)
        .map(|f| (0..n).filter(|&s| fold_of[s] != f).collect())
        .collect();
    let binned_folds: Vec<BinnedMatrix> = train_sets
        .iter()
        .map(|train| BinnedMatrix::new(matrix.values().select(ndarray::Axis(1), train).view()))
        .collect();
    let binned = BinnedMatrix::new(matrix.values().view());
    (0..matrix.n_genes())
        .into_par_iter()
        .map(|t| {
            let regs = &per_target[t];
            if regs.is_empty() {
                progress.advance(1);
                return EnsembleFit {
                    model: None,
                    r2: None,
                    residuals: Vec::new(),
                    covers: Vec::new(),
                };
            }
            let y: Vec<f32> = matrix.gene(t).to_vec();
            let mut rng = random::stream(seed, t as u64);
            let full = trees::fit(&binned, &y, regs.clone(), ensemble, &mut rng, true)
                .model
                .expect("asked to keep the model");
            let mut predicted = vec![0.0f64; n];
            let mut x = Vec::with_capacity(regs.len());
            for (f, train) in train_sets.iter().enumerate() {
                let y_train: Vec<f32> = train.iter().map(|&s| y[s]).collect();
                let model = trees::fit(
                    &binned_folds[f],
                    &y_train,
                    regs.clone(),
                    ensemble,
                    &mut rng,
                    true,
                )
                .model
                .expect("asked to keep the model");
                for s in (0..n).filter(|&s| fold_of[s] == f) {
                    x.clear();
                    x.extend(regs.iter().map(|&r| matrix.values()[[r, s]]));
                    predicted[s] = model.predict(&x) as f64;
                }
            }
            let mean = mean_of(&y);
            let tss: f64 = y.iter().map(|&v| (v as f64 - mean).powi(2)).sum();
            let residuals: Vec<f64> = y
                .iter()
                .zip(&predicted)
                .map(|(&v, &p)| v as f64 - p)
                .collect();
            let sse: f64 = residuals.iter().map(|r| r * r).sum();
            let covers = covers(&full, matrix, regs);
            progress.advance(1);
            EnsembleFit {
                model: Some(full),
                r2: (tss > 0.0).then(|| 1.0 - sse / tss),
                residuals,
                covers,
            }
        })
        .collect()
}

/// How many of the matrix's samples reach each node of each tree (routed as
/// [`crate::trees::Tree::predict`] routes them).
fn covers(model: &TreeModel, matrix: &ExpressionMatrix, regs: &[usize]) -> Vec<Vec<u32>> {
    let n = matrix.n_samples();
    let xs: Vec<Vec<f32>> = (0..n)
        .map(|s| regs.iter().map(|&r| matrix.values()[[r, s]]).collect())
        .collect();
    model
        .trees()
        .iter()
        .map(|tree| {
            let nodes = tree.nodes();
            let mut cover = vec![0u32; nodes.len()];
            for x in &xs {
                let mut i = 0usize;
                loop {
                    cover[i] += 1;
                    let node = nodes[i];
                    if node.feature == LEAF {
                        break;
                    }
                    i = if x[node.feature as usize] <= node.threshold {
                        node.left
                    } else {
                        node.right
                    } as usize;
                }
            }
            cover
        })
        .collect()
}
