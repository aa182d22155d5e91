//! Random-forest response models of every target (the crate's tree ensembles) and
//! their `folds`-fold cross-validated R². Each fold's training samples are binned
//! straight from the expression array.
//!
//! Cost per target: one forest on all samples plus one per fold.

use rand::seq::SliceRandom;
use rayon::prelude::*;

use crate::expression::ExpressionMatrix;
use crate::trees::{self, BinnedMatrix, EnsembleParams, TreeModel};
use crate::{Progress, random};

use super::params::ForestModelParams;

fn mean_of(v: &[f32]) -> f64 {
    v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64
}

// Stream tag of the cross-validation folds (targets use their own index).
const FOLDS_STREAM: u64 = u64::MAX;

/// Forests of every target with regulators, and their cross-validated R².
pub(super) fn forests(
    matrix: &ExpressionMatrix,
    per_target: &[Vec<usize>],
    params: &ForestModelParams,
    seed: u64,
    progress: &dyn Progress,
) -> (Vec<Option<TreeModel>>, Vec<Option<f64>>) {
    let n = matrix.n_samples();
    let folds = params.folds.min(n);
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
    let ensemble = EnsembleParams::Forest(params.forest.clone());
    let fitted: Vec<(Option<TreeModel>, Option<f64>)> = (0..matrix.n_genes())
        .into_par_iter()
        .map(|t| {
            let regs = &per_target[t];
            if regs.is_empty() {
                progress.advance(1);
                return (None, None);
            }
            let y: Vec<f32> = matrix.gene(t).to_vec();
            let mut rng = random::stream(seed, t as u64);
            let full = trees::fit(&binned, &y, regs.clone(), &ensemble, &mut rng, true)
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
                    &ensemble,
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
            let sse: f64 = y
                .iter()
                .zip(&predicted)
                .map(|(&v, &p)| (v as f64 - p).powi(2))
                .sum();
            progress.advance(1);
            (Some(full), (tss > 0.0).then(|| 1.0 - sse / tss))
        })
        .collect();
    fitted.into_iter().unzip()
}
