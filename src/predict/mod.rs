//! Predicting new samples with a fitted [`ResponseModel`]: each target's level
//! from the measured levels of its regulators (held-out samples, another batch, a
//! new condition), with conformal prediction intervals, and scores against the
//! measured truth.
//!
//! Genes are matched by name, so the new matrix may hold other genes or another
//! order. A target whose regulators are not all in the new matrix is not predicted
//! (it is listed in [`Predictions::skipped`] with the regulators it lacks): filling
//! them with zeros or means would be a guess presented as a prediction.
//!
//! Intervals: the model's conformal half-width at a level (from its
//! cross-validation residuals, see [`crate::perturb::conformal_half_width`]) around
//! each prediction. Scores per gene: `R² = 1 - Σ(y - ŷ)² / Σ(y - ȳ)²` with `ȳ` the
//! mean of the new samples (negative when the prediction is worse than that mean),
//! RMSE, Pearson correlation and the intervals' coverage; overall: the pooled R²
//! and RMSE over all predicted values, and the mean correlation and coverage.
//!
//! Cost: O(samples x edges) for linear models, O(samples x trees x depth) per
//! target for tree models; samples in parallel.
//!
//! ```
//! use grn::expression::ExpressionMatrix;
//! use grn::perturb::ResponseModel;
//! use grn::predict::predict;
//! // C = 2 A - B.
//! let genes: Vec<String> = ["A", "B", "C"].map(String::from).into();
//! let model = ResponseModel::linear(genes, &[(0, 2, 2.0), (1, 2, -1.0)]).unwrap();
//! let values = ndarray::Array2::from_shape_vec((2, 2), vec![1.0, 2.0, 0.0, 1.0]).unwrap();
//! let new = ExpressionMatrix::new(vec!["A".into(), "B".into()], vec!["s1".into(), "s2".into()], values).unwrap();
//! let p = predict(&model, &new);
//! assert_eq!(p.targets(), [2]);
//! assert_eq!(p.value(0, 1), 3.0); // 2 x 2 - 1
//! ```

use std::io::{self, Write};
use std::path::Path;

use rayon::prelude::*;

use crate::expression::ExpressionMatrix;
use crate::files::{self, FileError};
use crate::perturb::ResponseModel;

/// A target that could not be predicted.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    /// The target (model gene index).
    pub gene: usize,
    /// Its regulators absent from the new matrix (names).
    pub missing: Vec<String>,
}

/// Predicted levels of every target whose regulators were all measured.
#[derive(Debug, Clone)]
pub struct Predictions {
    targets: Vec<usize>,
    samples: Vec<String>,
    // values[s * targets.len() + i]: target i at sample s.
    values: Vec<f64>,
    skipped: Vec<Skipped>,
}

impl Predictions {
    /// Predicted targets (model gene indices), in model order.
    pub fn targets(&self) -> &[usize] {
        &self.targets
    }

    /// The samples, in the new matrix's order.
    pub fn samples(&self) -> &[String] {
        &self.samples
    }

    /// Prediction of the `i`-th predicted target at sample `s`.
    pub fn value(&self, i: usize, s: usize) -> f64 {
        self.values[s * self.targets.len() + i]
    }

    /// Targets with regulators that could not be predicted, and why.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// Writes the predictions as a samples x genes TSV (the layout `grn` reads):
    /// a header `sample` and the target names, then one row per sample.
    ///
    /// Values are written at `f32` precision, the precision `grn` reads matrices
    /// in, so a prediction read back loses nothing, and the text is half as long
    /// as `f64`'s 17 digits (shortest round-trip digits, Adams 2018's Ryū). Rows
    /// are formatted in parallel, a batch at a time, and written in order, so the
    /// bytes do not depend on the thread count.
    pub fn write_tsv(&self, model: &ResponseModel, w: &mut dyn Write) -> io::Result<()> {
        // Rows formatted per batch: enough to keep every thread busy, few enough
        // that the batch's text stays small beside the predictions.
        const BATCH_ROWS: usize = 1024;
        w.write_all(b"sample")?;
        for &t in &self.targets {
            write!(w, "\t{}", model.genes()[t])?;
        }
        w.write_all(b"\n")?;
        let k = self.targets.len();
        for (b, names) in self.samples.chunks(BATCH_ROWS).enumerate() {
            let first = b * BATCH_ROWS;
            let rows: Vec<Vec<u8>> = names
                .par_iter()
                .enumerate()
                .map(|(i, name)| {
                    let row = &self.values[(first + i) * k..(first + i + 1) * k];
                    let mut line = Vec::with_capacity(name.len() + 12 * k + 1);
                    line.extend_from_slice(name.as_bytes());
                    let mut digits = ryu::Buffer::new();
                    for &v in row {
                        line.push(b'\t');
                        line.extend_from_slice(digits.format(v as f32).as_bytes());
                    }
                    line.push(b'\n');
                    line
                })
                .collect();
            for line in &rows {
                w.write_all(line)?;
            }
        }
        Ok(())
    }

    /// Writes the predictions atomically to `path` (gzipped when it ends in `.gz`).
    pub fn save_tsv(&self, model: &ResponseModel, path: &Path) -> Result<(), FileError> {
        files::write_atomic(path, |w| self.write_tsv(model, w))
    }
}

/// Predicts every target of `model` whose regulators are all genes of `matrix`.
pub fn predict(model: &ResponseModel, matrix: &ExpressionMatrix) -> Predictions {
    let n_genes = model.n_genes();
    // Model gene -> row of the new matrix.
    let row: Vec<Option<usize>> = model.genes().iter().map(|g| matrix.gene_index(g)).collect();
    let mut targets = Vec::new();
    let mut skipped = Vec::new();
    for t in 0..n_genes {
        let regs = model.regulators(t);
        if regs.is_empty() {
            continue;
        }
        let missing: Vec<String> = regs
            .iter()
            .filter(|&&r| row[r].is_none())
            .map(|&r| model.genes()[r].clone())
            .collect();
        if missing.is_empty() {
            targets.push(t);
        } else {
            skipped.push(Skipped { gene: t, missing });
        }
    }
    let n = matrix.n_samples();
    let k = targets.len();
    let mut values = vec![0.0; n * k];
    values.par_chunks_mut(k.max(1)).enumerate().for_each_init(
        || (vec![f64::NAN; n_genes], Vec::new()),
        |(x, buf), (s, out)| {
            // Genes absent from the matrix stay NaN and are never read: their
            // targets were skipped.
            for (xg, r) in x.iter_mut().zip(&row) {
                if let Some(r) = r {
                    *xg = matrix.values()[[*r, s]] as f64;
                }
            }
            for (o, &t) in out.iter_mut().zip(&targets) {
                *o = model.predict_one(t, x, buf);
            }
        },
    );
    Predictions {
        targets,
        samples: matrix.samples().to_vec(),
        values,
        skipped,
    }
}

/// How well one target was predicted.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneScore {
    /// The target (model gene index).
    pub gene: usize,
    /// `1 - SSE / SST` around the new samples' mean (`None` when the measured
    /// levels do not vary).
    pub r2: Option<f64>,
    /// Root-mean-square error.
    pub rmse: f64,
    /// Pearson correlation of prediction and truth (`None` when either is constant).
    pub correlation: Option<f64>,
    /// Fraction of samples inside the conformal interval (`None` without one).
    pub coverage: Option<f64>,
}

/// Scores over all predicted targets.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    /// Per predicted target, in [`Predictions::targets`] order.
    pub genes: Vec<GeneScore>,
    /// `1 - ΣSSE / ΣSST` over all targets.
    pub r2: Option<f64>,
    /// RMSE over all predicted values.
    pub rmse: f64,
    /// Mean of the per-gene correlations that are defined.
    pub correlation: Option<f64>,
    /// Fraction of all predicted values inside their interval.
    pub coverage: Option<f64>,
    /// Predicted targets that are not genes of the truth matrix (names).
    pub unmeasured: Vec<String>,
}

/// Why predictions cannot be scored against a truth matrix.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    /// The truth's samples are not the predicted samples.
    #[error(
        "the truth matrix has samples {truth} but the predictions are of {predicted}; give \
         the measured levels of the same samples in the same order"
    )]
    Samples {
        /// First sample names of the truth.
        truth: String,
        /// First sample names of the predictions.
        predicted: String,
    },
}

/// Scores `predictions` against the measured levels in `truth` (the same samples,
/// genes matched by name), with intervals at `level` (one of
/// [`crate::perturb::INTERVAL_LEVELS`]).
pub fn score(
    model: &ResponseModel,
    predictions: &Predictions,
    truth: &ExpressionMatrix,
    level: f64,
) -> Result<Scores, ScoreError> {
    if truth.samples() != predictions.samples() {
        return Err(ScoreError::Samples {
            truth: crate::named::first_few(truth.samples()),
            predicted: crate::named::first_few(predictions.samples()),
        });
    }
    let n = predictions.samples.len();
    let (mut sse_all, mut sst_all, mut count) = (0.0, 0.0, 0usize);
    let (mut inside_all, mut with_interval) = (0usize, 0usize);
    let mut genes = Vec::new();
    let mut unmeasured = Vec::new();
    for (i, &t) in predictions.targets.iter().enumerate() {
        let Some(row) = truth.gene_index(&model.genes()[t]) else {
            unmeasured.push(model.genes()[t].clone());
            continue;
        };
        let y: Vec<f64> = truth.gene(row).iter().map(|&v| v as f64).collect();
        let p: Vec<f64> = (0..n).map(|s| predictions.value(i, s)).collect();
        let my = y.iter().sum::<f64>() / n as f64;
        let mp = p.iter().sum::<f64>() / n as f64;
        let sse: f64 = y.iter().zip(&p).map(|(a, b)| (a - b).powi(2)).sum();
        let sst: f64 = y.iter().map(|a| (a - my).powi(2)).sum();
        let spp: f64 = p.iter().map(|b| (b - mp).powi(2)).sum();
        let spy: f64 = y.iter().zip(&p).map(|(a, b)| (a - my) * (b - mp)).sum();
        let half = model.interval(t, level);
        let coverage = half.map(|h| {
            let inside = y
                .iter()
                .zip(&p)
                .filter(|(a, b)| (*a - *b).abs() <= h)
                .count();
            inside_all += inside;
            with_interval += n;
            inside as f64 / n as f64
        });
        sse_all += sse;
        sst_all += sst;
        count += n;
        genes.push(GeneScore {
            gene: t,
            r2: (sst > 0.0).then(|| 1.0 - sse / sst),
            rmse: (sse / n as f64).sqrt(),
            correlation: (sst > 0.0 && spp > 0.0).then(|| spy / (sst * spp).sqrt()),
            coverage,
        });
    }
    let correlations: Vec<f64> = genes.iter().filter_map(|g| g.correlation).collect();
    Ok(Scores {
        r2: (sst_all > 0.0).then(|| 1.0 - sse_all / sst_all),
        rmse: if count > 0 {
            (sse_all / count as f64).sqrt()
        } else {
            f64::NAN
        },
        correlation: (!correlations.is_empty())
            .then(|| correlations.iter().sum::<f64>() / correlations.len() as f64),
        coverage: (with_interval > 0).then(|| inside_all as f64 / with_interval as f64),
        genes,
        unmeasured,
    })
}
