//! Tree methods on time series: dynGENIE3 (Huynh-Thu & Geurts 2018, "dynGENIE3:
//! dynamical GENIE3 for the inference of gene networks from time series expression
//! data", Sci. Rep. 8:3384).
//!
//! Scored as independent samples, a time course cannot say which of two correlated
//! genes drives the other: GENIE3 fits each gene on the others' levels *at the same
//! time*, and A→B fits B from A as well as A from B. dynGENIE3 models each gene by an
//! ordinary differential equation, `dx_j/dt = f_j(x) − α_j x_j`, and learns the
//! production term `f_j` with the tree ensemble: the inputs are the levels at one
//! time point, the response the finite-difference estimate at the next,
//!
//! ```text
//! y_j(k) = (x_j(t_{k+1}) − x_j(t_k)) / (t_{k+1} − t_k) + α_j x_j(t_k),
//! ```
//!
//! one response per pair of consecutive points of a series. A regulator's level now
//! predicts its target's change next; the target's level does not predict the
//! regulator's, so edges come out oriented. The decay rate α_j is the paper's
//! estimate from the data: in each series, assume the gene decays exponentially
//! towards the smallest value of the whole data set, `C_min`, between its highest
//! and its lowest point, `α = (ln(x_max − C_min) − ln(x_min − C_min)) / |t_max −
//! t_min|` (differences floored at 10⁻⁶), and take the largest over the series.
//!
//! Any tree method runs this way with its own settings (dynGENIE3 is GENIE3's
//! forest). As in dynGENIE3, a candidate regulator's own level is among the inputs
//! of its production term (self-regulation, decay that is not first-order); its share of
//! the importance is kept out of the network, not redistributed. Importances are
//! read as for static data; signs are the Spearman signs of regulator and target
//! over all samples, as for every other method.
//!
//! Cost: that of the tree method on `samples − series` samples, plus O(genes ×
//! samples) to build the design.
//!
//! ```
//! use grn::expression::{ExpressionMatrix, Regulators};
//! use grn::infer::time_series::TimeCourse;
//! use grn::infer::{InferParams, Prepared, TreeMethod};
//! // Two series of 20 points: A fluctuates, B integrates A with a lag, C is noise.
//! let t: Vec<f64> = (0..40).map(|k| (k % 20) as f64).collect();
//! let a: Vec<f32> = (0..40).map(|k| ((k * 37 % 17) as f32) / 17.0).collect();
//! let mut b = vec![1.0f32; 40];
//! for k in 1..40 {
//!     if k % 20 != 0 {
//!         b[k] = 0.5 * b[k - 1] + a[k - 1];
//!     }
//! }
//! let c: Vec<f32> = (0..40).map(|k| ((k * 7 % 11) as f32) * 0.1).collect();
//! let values = ndarray::Array2::from_shape_vec((3, 40), [a, b, c].concat()).unwrap();
//! let samples = (0..40).map(|k| format!("s{k}")).collect();
//! let m = ExpressionMatrix::new(vec!["A".into(), "B".into(), "C".into()], samples, values).unwrap();
//! let course = TimeCourse::new(t).unwrap();
//! let params = InferParams { method: TreeMethod::Genie3.into(), trees: Some(200), ..Default::default() };
//! let edges = params.check().unwrap()
//!     .infer_time_series(&Prepared::new(&m), &course, &Regulators::All, None, &grn::Quiet)
//!     .unwrap();
//! let top = edges.get(0);
//! assert_eq!((top.regulator, top.target), (0, 1)); // A -> B, oriented
//! ```

use std::ops::Range;

use ndarray::Array2;

use super::{
    InferError, Method, Prepared, Run, ValidInferParams, check_prior_genes, importances_of, rank,
};
use crate::Progress;
use crate::expression::{ExpressionMatrix, MIN_SAMPLES, Regulators};
use crate::network::EdgeTable;
use crate::prior::PriorGuide;
use crate::trees::BinnedMatrix;

/// The floor of `x − C_min` in the decay-rate estimate (dynGENIE3's), so that the
/// gene holding the data set's minimum has a finite logarithm.
const DECAY_FLOOR: f64 = 1e-6;

/// The sampling times of a matrix's samples, in sample order, cut into series: a
/// series ends where the time does not increase (a new experiment starts again at
/// its first time point, as in DREAM's files).
#[derive(Debug, Clone, PartialEq)]
pub struct TimeCourse {
    times: Vec<f64>,
    series: Vec<Range<usize>>,
}

impl TimeCourse {
    /// The course of samples taken at `times`.
    pub fn new(times: Vec<f64>) -> Result<Self, InferError> {
        if let Some(i) = times.iter().position(|t| !t.is_finite()) {
            return Err(InferError::Input(format!(
                "time point {} of sample {} is not a finite number",
                times[i],
                i + 1
            )));
        }
        let mut series = Vec::new();
        let mut start = 0;
        for i in 1..=times.len() {
            if i == times.len() || times[i] <= times[i - 1] {
                series.push(start..i);
                start = i;
            }
        }
        Ok(TimeCourse { times, series })
    }

    /// The time of every sample.
    pub fn times(&self) -> &[f64] {
        &self.times
    }

    /// The samples of each series.
    pub fn series(&self) -> &[Range<usize>] {
        &self.series
    }

    /// Pairs of consecutive points of one series: the responses dynGENIE3 fits.
    pub fn n_transitions(&self) -> usize {
        self.times.len() - self.series.len()
    }

    fn transitions(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.series
            .iter()
            .flat_map(|s| s.clone().zip(s.clone().skip(1)))
    }
}

/// dynGENIE3's decay rate of every gene (module documentation): per series, the
/// exponential decay from the gene's highest to its lowest point towards the data
/// set's minimum, the largest over the series. 0 for a gene flat in every series.
pub fn decay_rates(matrix: &ExpressionMatrix, course: &TimeCourse) -> Vec<f64> {
    let values = matrix.values();
    let c_min = values
        .iter()
        .fold(f64::INFINITY, |m, &v| m.min(f64::from(v)));
    let times = course.times();
    (0..matrix.n_genes())
        .map(|g| {
            let x = matrix.gene(g);
            course
                .series()
                .iter()
                .filter_map(|s| {
                    // The first point of the highest and of the lowest value.
                    let (mut lo, mut hi) = (s.start, s.start);
                    for i in s.clone() {
                        if x[i] < x[lo] {
                            lo = i;
                        }
                        if x[i] > x[hi] {
                            hi = i;
                        }
                    }
                    (lo != hi).then(|| {
                        let ln = |v: f32| (f64::from(v) - c_min).max(DECAY_FLOOR).ln();
                        (ln(x[hi]) - ln(x[lo])) / (times[hi] - times[lo]).abs()
                    })
                })
                .fold(0.0, f64::max)
        })
        .collect()
}

/// The inputs (levels at the earlier point) and the responses `y_j(k)` of every
/// transition, each genes x transitions.
fn design(
    matrix: &ExpressionMatrix,
    course: &TimeCourse,
    decay: &[f64],
) -> (Array2<f32>, Array2<f32>) {
    let pairs: Vec<(usize, usize)> = course.transitions().collect();
    let times = course.times();
    let n_genes = matrix.n_genes();
    let mut inputs = Array2::<f32>::zeros((n_genes, pairs.len()));
    let mut responses = Array2::<f32>::zeros((n_genes, pairs.len()));
    for g in 0..n_genes {
        let x = matrix.gene(g);
        for (k, &(a, b)) in pairs.iter().enumerate() {
            let (xa, xb) = (f64::from(x[a]), f64::from(x[b]));
            inputs[[g, k]] = x[a];
            responses[[g, k]] = ((xb - xa) / (times[b] - times[a]) + decay[g] * xa) as f32;
        }
    }
    (inputs, responses)
}

impl ValidInferParams {
    /// Infers a network from a time course with a tree method, dynGENIE3's way
    /// (module documentation); otherwise as [`super::infer_with_prior`]: highest
    /// first, `top` kept, signed (from `input`'s ranks of the regulators, made once
    /// per matrix).
    pub fn infer_time_series(
        &self,
        input: &Prepared<'_>,
        course: &TimeCourse,
        regulators: &Regulators,
        prior: Option<&PriorGuide>,
        progress: &dyn Progress,
    ) -> Result<EdgeTable, InferError> {
        let matrix = input.matrix();
        let ensemble = match (&self.method, &self.runs[0]) {
            (Method::Trees(_), Run::Trees(e)) => e,
            (method, _) => {
                return Err(InferError::Input(format!(
                    "{method} cannot model a time series; the tree methods (genie3, \
                     genie3-et, grnboost2) can, or score the samples as independent \
                     observations without the time course"
                )));
            }
        };
        if course.times().len() != matrix.n_samples() {
            return Err(InferError::Input(format!(
                "the time course has {} time points for {} samples",
                course.times().len(),
                matrix.n_samples()
            )));
        }
        if course.n_transitions() < MIN_SAMPLES {
            return Err(InferError::Input(format!(
                "the time course has {} pairs of consecutive time points ({} samples in \
                 {} series); at least {MIN_SAMPLES} are needed to score regulators",
                course.n_transitions(),
                matrix.n_samples(),
                course.series().len()
            )));
        }
        check_prior_genes(prior, matrix)?;
        let (inputs, responses) = design(matrix, course, &decay_rates(matrix, course));
        let mut edges = importances_of(
            &BinnedMatrix::new(inputs.view()),
            responses.view(),
            matrix.genes(),
            regulators,
            ensemble,
            self.seed,
            0..matrix.n_genes(),
            prior,
            true,
            progress,
        );
        rank(&mut edges, self.top, input);
        Ok(edges)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(rows: &[&[f32]]) -> ExpressionMatrix {
        let n = rows[0].len();
        let values = Array2::from_shape_vec((rows.len(), n), rows.concat()).unwrap();
        let genes = (0..rows.len()).map(|g| format!("G{g}")).collect();
        let samples = (0..n).map(|s| format!("s{s}")).collect();
        ExpressionMatrix::new(genes, samples, values).unwrap()
    }

    #[test]
    fn series_end_where_time_does_not_increase() {
        let c = TimeCourse::new(vec![0.0, 10.0, 20.0, 0.0, 10.0, 10.0, 5.0]).unwrap();
        assert_eq!(c.series(), [0..3, 3..5, 5..6, 6..7]);
        assert_eq!(c.n_transitions(), 3);
        assert_eq!(
            c.transitions().collect::<Vec<_>>(),
            [(0, 1), (1, 2), (3, 4)]
        );
        assert!(TimeCourse::new(vec![0.0, f64::NAN]).is_err());
    }

    #[test]
    fn decay_rate_of_an_exponential_towards_the_minimum() {
        // G0 = e^{-0.1 t} + 1 over t = 0..50; G1 holds the data set's minimum, 1.
        let t: Vec<f64> = (0..6).map(|k| 10.0 * k as f64).collect();
        let g0: Vec<f32> = t.iter().map(|&t| ((-0.1 * t).exp() + 1.0) as f32).collect();
        let g1 = [1.0, 3.0, 2.0, 5.0, 4.0, 6.0];
        let m = matrix(&[&g0, &g1]);
        let a = decay_rates(&m, &TimeCourse::new(t).unwrap());
        assert!((a[0] - 0.1).abs() < 1e-6, "{}", a[0]);
        // G1: from its lowest (1 at t=0, floored) to its highest (6 at t=50).
        assert!((a[1] - (5f64.ln() - DECAY_FLOOR.ln()) / 50.0).abs() < 1e-9);
    }

    #[test]
    fn responses_are_rates_of_change_plus_decay() {
        let m = matrix(&[&[1.0, 3.0, 2.0, 4.0], &[2.0, 2.5, 1.0, 0.0]]);
        let c = TimeCourse::new(vec![0.0, 2.0, 0.0, 1.0]).unwrap();
        let (x, y) = design(&m, &c, &[0.5, 0.0]);
        assert_eq!(x.row(0).to_vec(), [1.0, 2.0]);
        assert_eq!(y.row(0).to_vec(), [(3.0 - 1.0) / 2.0 + 0.5, 2.0 + 1.0]);
        assert_eq!(y.row(1).to_vec(), [0.25, -1.0]);
    }

    #[test]
    fn pairwise_methods_and_mismatched_courses_are_refused() {
        let m = matrix(&[&[1.0, 3.0, 2.0, 4.0, 5.0], &[2.0, 2.5, 1.0, 0.0, 3.0]]);
        let pearson = super::super::InferParams {
            method: "pearson".parse().unwrap(),
            ..Default::default()
        };
        let c = TimeCourse::new(vec![0.0, 1.0, 2.0, 3.0, 4.0]).unwrap();
        let m = Prepared::new(&m);
        let e = pearson.check().unwrap().infer_time_series(
            &m,
            &c,
            &Regulators::All,
            None,
            &crate::Quiet,
        );
        assert!(
            e.unwrap_err()
                .to_string()
                .contains("cannot model a time series")
        );
        let genie3 = super::super::InferParams::default().check().unwrap();
        let short = TimeCourse::new(vec![0.0, 1.0, 2.0]).unwrap();
        let e = genie3.infer_time_series(&m, &short, &Regulators::All, None, &crate::Quiet);
        assert!(
            e.unwrap_err()
                .to_string()
                .contains("3 time points for 5 samples")
        );
        let few = TimeCourse::new(vec![0.0, 1.0, 0.0, 1.0, 0.0]).unwrap();
        let e = genie3.infer_time_series(&m, &few, &Regulators::All, None, &crate::Quiet);
        assert!(
            e.unwrap_err()
                .to_string()
                .contains("2 pairs of consecutive time points")
        );
    }
}
