//! Network inference: methods as presets over one engine.
//!
//! As in arboreto, GENIE3 and GRNBoost2 are not separate programs but settings of one
//! routine, [`tree_importances`]: bin the matrix once, then for every target fit an
//! ensemble on its candidate regulators and keep their importances. Targets are
//! independent and run in parallel (rayon, in the caller's thread pool); each draws
//! from its own random stream seeded by (seed, target index), so the output is the
//! same whatever the number of threads.
//!
//! ```
//! use grn::expression::{ExpressionMatrix, Regulators};
//! use grn::infer::{infer, InferParams, Method};
//! let n = 30;
//! let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
//! let b: Vec<f32> = a.iter().map(|v| 2.0 * v + 0.1).collect();
//! let c: Vec<f32> = (0..n).map(|i| ((i * 13 % 7) as f32)).collect();
//! let values = ndarray::Array2::from_shape_vec((3, n), [a, b, c].concat()).unwrap();
//! let samples = (0..n).map(|i| format!("s{i}")).collect();
//! let m = ExpressionMatrix::new(vec!["A".into(), "B".into(), "C".into()], samples, values).unwrap();
//! let params = InferParams { method: Method::GrnBoost2, ..Default::default() };
//! let edges = infer(&m, &Regulators::All, &params, &grn::Quiet).unwrap();
//! let top = edges.get(0);
//! assert!(matches!((top.regulator, top.target), (0, 1) | (1, 0)));
//! ```

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use rayon::prelude::*;

use crate::Progress;
use crate::expression::{ExpressionMatrix, Regulators};
use crate::network::{EdgeTable, Sign};
use crate::random;
use crate::trees::{self, BinnedMatrix, BoostingParams, EnsembleParams, ForestParams, ParamError};

/// Why inference could not run.
#[derive(Debug, thiserror::Error)]
pub enum InferError {
    /// A parameter is out of range.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// The inputs cannot give any edge.
    #[error("{0}")]
    Input(String),
}

/// An inference method (a preset of the engine).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// GENIE3 with random forests (Huynh-Thu et al. 2010).
    #[default]
    Genie3,
    /// GENIE3 with extra-trees.
    Genie3Et,
    /// GRNBoost2: stochastic gradient boosting with early stopping (Moerman et al.
    /// 2019).
    GrnBoost2,
}

impl Method {
    /// Every method, in the order the CLI lists them.
    pub const ALL: [Method; 3] = [Method::Genie3, Method::Genie3Et, Method::GrnBoost2];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Method::Genie3 => "genie3",
            Method::Genie3Et => "genie3-et",
            Method::GrnBoost2 => "grnboost2",
        }
    }

    /// The tree-ensemble settings of the method's paper.
    pub fn default_ensemble(self) -> EnsembleParams {
        match self {
            Method::Genie3 => EnsembleParams::Forest(ForestParams::genie3()),
            Method::Genie3Et => EnsembleParams::Forest(ForestParams::genie3_et()),
            Method::GrnBoost2 => EnsembleParams::Boosting(BoostingParams::grnboost2()),
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Method {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Method::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let names: Vec<_> = Method::ALL.iter().map(|m| m.name()).collect();
                format!("unknown method {s:?}; expected one of {}", names.join(", "))
            })
    }
}

/// Settings of [`infer`].
#[derive(Debug, Clone, Default)]
pub struct InferParams {
    /// The method.
    pub method: Method,
    /// Number of trees for forest methods (default: the paper's 1000).
    pub trees: Option<usize>,
    /// Seed of every random choice.
    pub seed: u64,
    /// Keep only the `top` highest-scoring edges.
    pub top: Option<usize>,
}

impl InferParams {
    /// The engine settings this asks for.
    pub fn ensemble(&self) -> EnsembleParams {
        let mut e = self.method.default_ensemble();
        if let (EnsembleParams::Forest(f), Some(n)) = (&mut e, self.trees) {
            f.n_trees = n;
        }
        e
    }
}

/// Infers a network: every (regulator, target) pair scored, highest first. Pairs
/// scored exactly 0 (never used by any split) are left out, as arboreto does; they
/// rank last in evaluation either way.
pub fn infer(
    matrix: &ExpressionMatrix,
    regulators: &Regulators,
    params: &InferParams,
    progress: &dyn Progress,
) -> Result<EdgeTable, InferError> {
    let ensemble = params.ensemble();
    if params.trees.is_some() && matches!(ensemble, EnsembleParams::Boosting(_)) {
        return Err(InferError::Input(format!(
            "--trees applies to forest methods; {} decides its number of rounds by early \
             stopping",
            params.method
        )));
    }
    let mut edges = tree_importances(matrix, regulators, &ensemble, params.seed, progress)?;
    edges.sort_by_score();
    if let Some(top) = params.top {
        edges.truncate(top);
    }
    Ok(edges)
}

/// The engine: fits `ensemble` for every target on its candidate regulators and
/// returns the importances as an (unsorted) edge table, targets in matrix order.
pub fn tree_importances(
    matrix: &ExpressionMatrix,
    regulators: &Regulators,
    ensemble: &EnsembleParams,
    seed: u64,
    progress: &dyn Progress,
) -> Result<EdgeTable, InferError> {
    ensemble.validate()?;
    let n_genes = matrix.n_genes();
    let regs = regulators.indices(n_genes);
    let binned = BinnedMatrix::new(matrix);
    progress.start("targets", n_genes as u64);
    let per_target: Vec<Vec<(usize, f64)>> = (0..n_genes)
        .into_par_iter()
        .map(|target| {
            let features: Vec<usize> = regs.iter().copied().filter(|&r| r != target).collect();
            let scores = if features.is_empty() {
                Vec::new()
            } else {
                let y = matrix.gene(target);
                let mut rng = random::stream(seed, target as u64);
                let fit = trees::fit(
                    &binned,
                    y.as_slice().expect("genes are contiguous"),
                    features.clone(),
                    ensemble,
                    &mut rng,
                    false,
                );
                features
                    .into_iter()
                    .zip(fit.importances)
                    .filter(|&(_, s)| s > 0.0)
                    .collect()
            };
            progress.advance(1);
            scores
        })
        .collect();
    let genes: Arc<[String]> = matrix.genes().to_vec().into();
    let mut edges = EdgeTable::new(genes, false);
    for (target, scores) in per_target.into_iter().enumerate() {
        for (regulator, score) in scores {
            edges.push(regulator, target, score, Sign::Unknown);
        }
    }
    Ok(edges)
}
