//! Network inference: methods as presets over engines.
//!
//! As in arboreto, GENIE3 and GRNBoost2 are not separate programs but settings of one
//! routine, [`tree_importances`]: bin the matrix once, then for every target fit an
//! ensemble on its candidate regulators and keep their importances. Targets are
//! independent and run in parallel (rayon, in the caller's thread pool); each draws
//! from its own random stream seeded by (seed, target index), so the output is the
//! same whatever the number of threads.
//!
//! The other engines are pair scorers ([`crate::mutual_info`]): an MI matrix from one
//! of its estimators turned into relevance, CLR, ARACNe or MRNET scores, or a
//! correlation matrix. `consensus` runs several methods and averages their ranks
//! ([`crate::consensus`]). Every edge gets a sign: the correlation's for correlation
//! methods, otherwise that of the Spearman correlation of regulator and target.
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

use std::sync::Arc;

use rayon::prelude::*;

use crate::expression::{ExpressionMatrix, Regulators};
use crate::mutual_info::aracne::{self, AracneParams};
use crate::mutual_info::{self, MiError, MiParams, clr, correlation, mrnet};
use crate::network::{EdgeTable, Sign};
use crate::trees::{self, BinnedMatrix, BoostingParams, EnsembleParams, ForestParams, ParamError};
use crate::{Progress, Quiet, consensus, random};

/// Why inference could not run.
#[derive(Debug, thiserror::Error)]
pub enum InferError {
    /// A parameter is out of range.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// The inputs cannot give any edge.
    #[error("{0}")]
    Input(String),
    /// A pair scorer failed.
    #[error(transparent)]
    Mi(#[from] MiError),
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
    /// Relevance network: the MI itself (Butte & Kohane 2000).
    Relevance,
    /// Context likelihood of relatedness (Faith et al. 2007).
    Clr,
    /// ARACNe: MI threshold and data processing inequality (Margolin et al. 2006;
    /// ARACNe-AP, Lachmann et al. 2016).
    Aracne,
    /// Minimum-redundancy maximum-relevance networks (Meyer et al. 2007).
    Mrnet,
    /// Absolute Pearson correlation.
    Pearson,
    /// Absolute Spearman correlation.
    Spearman,
    /// Absolute partial correlation from the Ledoit-Wolf shrunk correlation matrix.
    PartialCorr,
    /// Borda average of the ranks of several methods (DREAM5 community network,
    /// Marbach et al. 2012); see [`InferParams::members`].
    Consensus,
}

impl Method {
    /// Every method, in the order the CLI lists them.
    pub const ALL: [Method; 11] = [
        Method::Genie3,
        Method::Genie3Et,
        Method::GrnBoost2,
        Method::Relevance,
        Method::Clr,
        Method::Aracne,
        Method::Mrnet,
        Method::Pearson,
        Method::Spearman,
        Method::PartialCorr,
        Method::Consensus,
    ];

    /// Consensus members when none are given: one method of each family that
    /// DREAM5 found complementary (regression trees, MI with context, MI with DPI).
    pub const DEFAULT_MEMBERS: [Method; 3] = [Method::Genie3, Method::Clr, Method::Aracne];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Method::Genie3 => "genie3",
            Method::Genie3Et => "genie3-et",
            Method::GrnBoost2 => "grnboost2",
            Method::Relevance => "relevance",
            Method::Clr => "clr",
            Method::Aracne => "aracne",
            Method::Mrnet => "mrnet",
            Method::Pearson => "pearson",
            Method::Spearman => "spearman",
            Method::PartialCorr => "partial-corr",
            Method::Consensus => "consensus",
        }
    }

    /// The tree-ensemble settings of the method's paper, `None` for methods that
    /// are not tree ensembles.
    pub fn tree_ensemble(self) -> Option<EnsembleParams> {
        match self {
            Method::Genie3 => Some(EnsembleParams::Forest(ForestParams::genie3())),
            Method::Genie3Et => Some(EnsembleParams::Forest(ForestParams::genie3_et())),
            Method::GrnBoost2 => Some(EnsembleParams::Boosting(BoostingParams::grnboost2())),
            _ => None,
        }
    }

    /// Whether the method scores pairs from an MI matrix (and so uses
    /// [`InferParams::mi`]).
    pub fn uses_mi(self) -> bool {
        matches!(
            self,
            Method::Relevance | Method::Clr | Method::Aracne | Method::Mrnet
        )
    }
}

crate::named::named_enum!(Method, "method");

/// Settings of [`infer`].
#[derive(Debug, Clone)]
pub struct InferParams {
    /// The method.
    pub method: Method,
    /// Number of trees for forest methods (default: the paper's 1000).
    pub trees: Option<usize>,
    /// Seed of every random choice.
    pub seed: u64,
    /// Keep only the `top` highest-scoring edges.
    pub top: Option<usize>,
    /// MI estimator of the MI methods (default: B-spline, Daub et al. 2004).
    pub mi: MiParams,
    /// ARACNe's DPI tolerance, p-value and bootstraps (default: ARACNe-AP's).
    pub aracne: AracneParams,
    /// Members of a consensus (default [`Method::DEFAULT_MEMBERS`]); each runs with
    /// the settings above.
    pub members: Vec<Method>,
}

impl Default for InferParams {
    fn default() -> Self {
        InferParams {
            method: Method::default(),
            trees: None,
            seed: 0,
            top: None,
            mi: MiParams::default(),
            aracne: AracneParams::default(),
            members: Method::DEFAULT_MEMBERS.to_vec(),
        }
    }
}

impl InferParams {
    /// The tree-ensemble settings of `method` with `trees` applied (`None` for
    /// methods that are not tree ensembles).
    fn ensemble_of(&self, method: Method) -> Option<EnsembleParams> {
        let mut e = method.tree_ensemble()?;
        if let (EnsembleParams::Forest(f), Some(n)) = (&mut e, self.trees) {
            f.n_trees = n;
        }
        Some(e)
    }

    /// Checks that the settings fit the method (and, for a consensus, its members).
    pub fn validate(&self) -> Result<(), InferError> {
        let methods: Vec<Method> = if self.method == Method::Consensus {
            if self.members.len() < 2 {
                return Err(InferError::Input(format!(
                    "a consensus needs at least two `members`, got {}",
                    self.members.len()
                )));
            }
            for (i, m) in self.members.iter().enumerate() {
                if *m == Method::Consensus {
                    return Err(InferError::Input(
                        "consensus cannot be a member of a consensus".into(),
                    ));
                }
                if self.members[..i].contains(m) {
                    return Err(InferError::Input(format!(
                        "{m} is listed twice in `members`"
                    )));
                }
            }
            self.members.clone()
        } else {
            vec![self.method]
        };
        let forest = |m: &Method| matches!(m.tree_ensemble(), Some(EnsembleParams::Forest(_)));
        if self.trees.is_some() && !methods.iter().any(forest) {
            return Err(InferError::Input(format!(
                "`trees` applies to forest methods (genie3, genie3-et); {} {}",
                self.method,
                if self.method == Method::GrnBoost2 {
                    "decides its number of rounds by early stopping"
                } else {
                    "has no trees"
                }
            )));
        }
        // Checked before any member runs, so a consensus fails at once rather than
        // after its slow members.
        for m in &methods {
            if let Some(e) = self.ensemble_of(*m) {
                e.validate()?;
            }
        }
        if methods.contains(&Method::Aracne) {
            self.aracne.validate()?;
        }
        Ok(())
    }
}

/// Infers a network: every (regulator, target) pair scored, highest first, with a
/// sign column. Pairs scored exactly 0 (never used by any split, clipped by CLR,
/// removed by ARACNe, not selected by MRNET) are left out, as arboreto does; they
/// rank last in evaluation either way. With a regulator list only regulator -> gene
/// pairs are scored; symmetric scores give both directions of a regulator pair.
pub fn infer(
    matrix: &ExpressionMatrix,
    regulators: &Regulators,
    params: &InferParams,
    progress: &dyn Progress,
) -> Result<EdgeTable, InferError> {
    params.validate()?;
    let mut edges = if params.method == Method::Consensus {
        let candidates = regulators.indices(matrix.n_genes());
        let n_pairs = candidates.len() * matrix.n_genes() - candidates.len();
        progress.start("members", params.members.len() as u64);
        // Members run at once; each parallelises inside over the same pool.
        let tables = params
            .members
            .par_iter()
            .map(|&m| {
                let t = scores(matrix, regulators, params, m, None, &Quiet);
                progress.advance(1);
                t
            })
            .collect::<Result<Vec<_>, _>>()?;
        consensus::borda(&tables, n_pairs)
    } else {
        scores(
            matrix,
            regulators,
            params,
            params.method,
            params.top,
            progress,
        )?
    };
    edges.sort_by_score();
    if let Some(top) = params.top {
        edges.truncate(top);
    }
    if !edges.is_signed() {
        let signs = correlation::spearman_signs(matrix.values().view(), &edges);
        edges.set_signs(signs);
    }
    Ok(edges)
}

/// One method's edges, unsorted; `top` lets pair scorers keep only the best edges
/// while reading their score matrix.
fn scores(
    matrix: &ExpressionMatrix,
    regulators: &Regulators,
    params: &InferParams,
    method: Method,
    top: Option<usize>,
    progress: &dyn Progress,
) -> Result<EdgeTable, InferError> {
    if let Some(ensemble) = params.ensemble_of(method) {
        return tree_importances(matrix, regulators, &ensemble, params.seed, progress);
    }
    let values = matrix.values().view();
    let regs = regulators.indices(matrix.n_genes());
    let genes: Arc<[String]> = matrix.genes().to_vec().into();
    let mi = || mutual_info::mi_matrix(values, &regs, &params.mi, params.seed, progress);
    Ok(match method {
        Method::Relevance => mi()?.edges(&genes, top),
        Method::Clr => clr::clr(mi()?).edges(&genes, top),
        Method::Mrnet => mrnet::mrnet(mi()?).edges(&genes, top),
        Method::Aracne => aracne::aracne(
            values,
            &regs,
            &params.mi,
            &params.aracne,
            params.seed,
            progress,
        )?
        .edges(&genes, top),
        Method::Pearson => correlation::pearson(values, &regs, progress).signed_edges(&genes, top),
        Method::Spearman => {
            correlation::spearman(values, &regs, progress).signed_edges(&genes, top)
        }
        Method::PartialCorr => {
            correlation::partial_correlation(values, &regs, progress)?.signed_edges(&genes, top)
        }
        Method::Genie3 | Method::Genie3Et | Method::GrnBoost2 | Method::Consensus => {
            unreachable!("{method} is not a pair scorer")
        }
    })
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
