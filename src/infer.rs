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
//! use grn::infer::{infer, InferParams, TreeMethod};
//! let n = 30;
//! let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
//! let b: Vec<f32> = a.iter().map(|v| 2.0 * v + 0.1).collect();
//! let c: Vec<f32> = (0..n).map(|i| ((i * 13 % 7) as f32)).collect();
//! let values = ndarray::Array2::from_shape_vec((3, n), [a, b, c].concat()).unwrap();
//! let samples = (0..n).map(|i| format!("s{i}")).collect();
//! let m = ExpressionMatrix::new(vec!["A".into(), "B".into(), "C".into()], samples, values).unwrap();
//! let params = InferParams { method: TreeMethod::GrnBoost2.into(), ..Default::default() };
//! let edges = infer(&m, &Regulators::All, &params, &grn::Quiet).unwrap();
//! let top = edges.get(0);
//! assert!(matches!((top.regulator, top.target), (0, 1) | (1, 0)));
//! ```

use std::borrow::Cow;
use std::sync::{Arc, Mutex, MutexGuard};

use rayon::prelude::*;

use crate::expression::{ExpressionMatrix, Regulators};
use crate::mutual_info::aracne::{self, AracneParams};
use crate::mutual_info::{self, MiError, MiParams, clr, correlation, mrnet};
use crate::network::{EdgeTable, Sign};
use crate::prior::PriorGuide;
use crate::shard::{RunKey, Shard, ShardTable};
use crate::trees::{self, BinnedMatrix, BoostingParams, EnsembleParams, ForestParams, ParamError};
use crate::{Progress, Quiet, consensus, random};

pub mod time_series;

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

/// An expression matrix with what inference derives from it, each part computed
/// on first use and kept: the binned rows of the candidate regulators that the
/// tree methods split on ([`BinnedMatrix`]) and the standardised ranks of the
/// regulators that edge signs are read from ([`correlation::SignRanks`]). Neither
/// depends on any setting but the regulators, so every run and every shard on the
/// same `Prepared` shares them: a worker that scores many blocks of targets of one
/// matrix (Dask) bins and ranks its regulators once, as a single run does. Costs,
/// once used, beside the matrix: 1 byte per value of a candidate regulator (bins)
/// and 4 bytes per value of a regulator with an edge (ranks).
#[derive(Debug)]
pub struct Prepared<'m> {
    matrix: Cow<'m, ExpressionMatrix>,
    binned: Mutex<Option<Arc<BinnedMatrix>>>,
    ranks: correlation::SignRanks,
}

impl<'m> Prepared<'m> {
    /// A matrix prepared lazily, borrowed.
    pub fn new(matrix: &'m ExpressionMatrix) -> Self {
        Self::of(Cow::Borrowed(matrix))
    }

    fn of(matrix: Cow<'m, ExpressionMatrix>) -> Self {
        Prepared {
            ranks: correlation::SignRanks::new(matrix.n_genes()),
            matrix,
            binned: Mutex::new(None),
        }
    }

    /// The matrix.
    pub fn matrix(&self) -> &ExpressionMatrix {
        &self.matrix
    }

    /// The binned matrix with at least the rows of `regulators`, binned on first
    /// use. Regulators not binned yet (a later run with another TF list) are binned
    /// with the ones kept, so alternating runs settle on their union.
    pub fn binned(&self, regulators: &Regulators) -> Arc<BinnedMatrix> {
        let wanted = regulators.indices(self.matrix.n_genes());
        let kept = self.kept_bins().clone();
        if let Some(b) = kept.as_ref().filter(|b| b.has_rows(&wanted)) {
            return Arc::clone(b);
        }
        let mut rows = wanted;
        if let Some(b) = &kept {
            rows.extend_from_slice(b.rows());
            rows.sort_unstable();
            rows.dedup();
        }
        // Binned outside the lock: binning runs on the thread pool, where a thread
        // waiting in it may take up another task that asks for the bins.
        let binned = Arc::new(BinnedMatrix::of_rows(self.matrix.values().view(), &rows));
        *self.kept_bins() = Some(Arc::clone(&binned));
        binned
    }

    fn kept_bins(&self) -> MutexGuard<'_, Option<Arc<BinnedMatrix>>> {
        // A panic elsewhere cannot leave the slot half-written: it holds an Arc.
        self.binned.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ranks these regulators now, on the caller's pool, for the signs of later
    /// runs (which otherwise rank them on first use).
    pub fn rank_regulators(&self, regulators: &[usize]) {
        self.ranks.rank(self.matrix.values().view(), regulators);
    }

    /// The sign of the Spearman correlation of each edge's regulator and target.
    pub fn signs(&self, edges: &EdgeTable) -> Vec<Sign> {
        self.ranks.signs(self.matrix.values().view(), edges)
    }
}

impl Prepared<'static> {
    /// A matrix prepared lazily, owned (one that lives as long as its caches, as
    /// in a long-lived worker).
    pub fn owned(matrix: ExpressionMatrix) -> Self {
        Self::of(Cow::Owned(matrix))
    }
}

/// A tree-ensemble method: a preset of the [`tree_importances`] engine with the
/// settings of its paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TreeMethod {
    /// GENIE3 with random forests (Huynh-Thu et al. 2010).
    #[default]
    Genie3,
    /// GENIE3 with extra-trees.
    Genie3Et,
    /// GRNBoost2: stochastic gradient boosting with early stopping (Moerman et al.
    /// 2019).
    GrnBoost2,
}

impl TreeMethod {
    /// Every tree method, in the order the CLI lists them.
    pub const ALL: [TreeMethod; 3] = [
        TreeMethod::Genie3,
        TreeMethod::Genie3Et,
        TreeMethod::GrnBoost2,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            TreeMethod::Genie3 => "genie3",
            TreeMethod::Genie3Et => "genie3-et",
            TreeMethod::GrnBoost2 => "grnboost2",
        }
    }

    /// The tree-ensemble settings of the method's paper.
    pub fn ensemble(self) -> EnsembleParams {
        match self {
            TreeMethod::Genie3 => EnsembleParams::Forest(ForestParams::genie3()),
            TreeMethod::Genie3Et => EnsembleParams::Forest(ForestParams::genie3_et()),
            TreeMethod::GrnBoost2 => EnsembleParams::Boosting(BoostingParams::grnboost2()),
        }
    }
}

crate::named::named_enum!(TreeMethod, "tree method");

/// A pairwise method: every (regulator, target) pair scored from a mutual
/// information or correlation matrix ([`crate::mutual_info`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairMethod {
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
}

impl PairMethod {
    /// Every pairwise method, in the order the CLI lists them.
    pub const ALL: [PairMethod; 7] = [
        PairMethod::Relevance,
        PairMethod::Clr,
        PairMethod::Aracne,
        PairMethod::Mrnet,
        PairMethod::Pearson,
        PairMethod::Spearman,
        PairMethod::PartialCorr,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            PairMethod::Relevance => "relevance",
            PairMethod::Clr => "clr",
            PairMethod::Aracne => "aracne",
            PairMethod::Mrnet => "mrnet",
            PairMethod::Pearson => "pearson",
            PairMethod::Spearman => "spearman",
            PairMethod::PartialCorr => "partial-corr",
        }
    }

    /// Whether the method scores pairs from an MI matrix (and so uses
    /// [`InferParams::mi`]).
    pub fn uses_mi(self) -> bool {
        matches!(
            self,
            PairMethod::Relevance | PairMethod::Clr | PairMethod::Aracne | PairMethod::Mrnet
        )
    }
}

crate::named::named_enum!(PairMethod, "pairwise method");

/// One method that scores pairs by itself: a possible member of a consensus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SingleMethod {
    /// A tree ensemble.
    Trees(TreeMethod),
    /// A pairwise scorer.
    Pairs(PairMethod),
}

impl SingleMethod {
    /// Every single method, in the order the CLI lists them.
    pub const ALL: [SingleMethod; 10] = [
        SingleMethod::Trees(TreeMethod::Genie3),
        SingleMethod::Trees(TreeMethod::Genie3Et),
        SingleMethod::Trees(TreeMethod::GrnBoost2),
        SingleMethod::Pairs(PairMethod::Relevance),
        SingleMethod::Pairs(PairMethod::Clr),
        SingleMethod::Pairs(PairMethod::Aracne),
        SingleMethod::Pairs(PairMethod::Mrnet),
        SingleMethod::Pairs(PairMethod::Pearson),
        SingleMethod::Pairs(PairMethod::Spearman),
        SingleMethod::Pairs(PairMethod::PartialCorr),
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            SingleMethod::Trees(m) => m.name(),
            SingleMethod::Pairs(m) => m.name(),
        }
    }
}

impl std::fmt::Display for SingleMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for SingleMethod {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("consensus") {
            return Err("consensus cannot be a member of a consensus".into());
        }
        crate::named::parse(s, &Self::ALL, Self::name, "method")
    }
}

impl From<TreeMethod> for SingleMethod {
    fn from(m: TreeMethod) -> Self {
        SingleMethod::Trees(m)
    }
}

impl From<PairMethod> for SingleMethod {
    fn from(m: PairMethod) -> Self {
        SingleMethod::Pairs(m)
    }
}

/// An inference method, by family. A consensus is made of single methods only, so
/// a consensus of consensuses cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    /// A tree ensemble (GENIE3, GRNBoost2).
    Trees(TreeMethod),
    /// A pairwise MI or correlation scorer.
    Pairs(PairMethod),
    /// Borda average of the ranks of several methods (DREAM5 community network,
    /// Marbach et al. 2012), each run with the same [`InferParams`].
    Consensus(Vec<SingleMethod>),
}

impl Default for Method {
    /// GENIE3.
    fn default() -> Self {
        Method::Trees(TreeMethod::default())
    }
}

impl Method {
    /// Consensus members when none are given: one method of each family that
    /// DREAM5 found complementary (regression trees, MI with context, MI with DPI).
    pub const DEFAULT_MEMBERS: [SingleMethod; 3] = [
        SingleMethod::Trees(TreeMethod::Genie3),
        SingleMethod::Pairs(PairMethod::Clr),
        SingleMethod::Pairs(PairMethod::Aracne),
    ];

    /// The consensus of [`Method::DEFAULT_MEMBERS`].
    pub fn consensus() -> Self {
        Method::Consensus(Self::DEFAULT_MEMBERS.to_vec())
    }

    /// The name used on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            Method::Trees(m) => m.name(),
            Method::Pairs(m) => m.name(),
            Method::Consensus(_) => "consensus",
        }
    }

    /// The single methods that run: the method itself or a consensus's members.
    pub fn members(&self) -> Vec<SingleMethod> {
        match self {
            Method::Trees(m) => vec![SingleMethod::Trees(*m)],
            Method::Pairs(m) => vec![SingleMethod::Pairs(*m)],
            Method::Consensus(members) => members.clone(),
        }
    }
}

impl From<SingleMethod> for Method {
    fn from(m: SingleMethod) -> Self {
        match m {
            SingleMethod::Trees(m) => Method::Trees(m),
            SingleMethod::Pairs(m) => Method::Pairs(m),
        }
    }
}

impl From<TreeMethod> for Method {
    fn from(m: TreeMethod) -> Self {
        Method::Trees(m)
    }
}

impl From<PairMethod> for Method {
    fn from(m: PairMethod) -> Self {
        Method::Pairs(m)
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Method {
    type Err = String;

    /// A single method's name, or `consensus` (of [`Method::DEFAULT_MEMBERS`]).
    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("consensus") {
            return Ok(Method::consensus());
        }
        s.parse::<SingleMethod>()
            .map(Method::from)
            .map_err(|e| format!("{e}, consensus"))
    }
}

/// Settings of [`infer`].
#[derive(Debug, Clone, Default)]
pub struct InferParams {
    /// The method.
    pub method: Method,
    /// Number of trees for forest methods (default: the paper's 1000).
    pub trees: Option<usize>,
    /// GRNBoost2's boosting settings in place of the paper's
    /// ([`BoostingParams::grnboost2`]), e.g. another early-stopping rule.
    pub boosting: Option<BoostingParams>,
    /// Seed of every random choice.
    pub seed: u64,
    /// Keep only the `top` highest-scoring edges.
    pub top: Option<usize>,
    /// MI estimator of the MI methods (default: B-spline, Daub et al. 2004).
    pub mi: MiParams,
    /// ARACNe's DPI tolerance, p-value and bootstraps (default: ARACNe-AP's).
    pub aracne: AracneParams,
}

impl InferParams {
    /// Checks that the settings fit the method (and, for a consensus, its members),
    /// once: every member's settings are checked before any member runs, so a
    /// consensus fails at once rather than after its slow members.
    pub fn check(&self) -> Result<ValidInferParams, InferError> {
        let members = self.method.members();
        if let Method::Consensus(_) = self.method {
            if members.len() < 2 {
                return Err(InferError::Input(format!(
                    "a consensus needs at least two `members`, got {}",
                    members.len()
                )));
            }
            for (i, m) in members.iter().enumerate() {
                if members[..i].contains(m) {
                    return Err(InferError::Input(format!(
                        "{m} is listed twice in `members`"
                    )));
                }
            }
        }
        let mut runs = Vec::with_capacity(members.len());
        for m in &members {
            runs.push(match m {
                SingleMethod::Trees(t) => {
                    let mut e = t.ensemble();
                    match &mut e {
                        EnsembleParams::Forest(f) => f.n_trees = self.trees.unwrap_or(f.n_trees),
                        EnsembleParams::Boosting(b) => {
                            *b = self.boosting.clone().unwrap_or_else(|| b.clone())
                        }
                    }
                    e.validate()?;
                    Run::Trees(e)
                }
                SingleMethod::Pairs(p) => Run::Pairs(*p),
            });
        }
        let forest = |r: &Run| matches!(r, Run::Trees(EnsembleParams::Forest(_)));
        if self.trees.is_some() && !runs.iter().any(forest) {
            return Err(InferError::Input(format!(
                "`trees` applies to forest methods (genie3, genie3-et); {} {}",
                self.method,
                if self.method == Method::Trees(TreeMethod::GrnBoost2) {
                    "decides its number of rounds by early stopping"
                } else {
                    "has no trees"
                }
            )));
        }
        let boosting = |r: &Run| matches!(r, Run::Trees(EnsembleParams::Boosting(_)));
        if self.boosting.is_some() && !runs.iter().any(boosting) {
            return Err(InferError::Input(format!(
                "boosting settings (early stopping) apply to grnboost2; {} does not boost",
                self.method
            )));
        }
        if members.contains(&SingleMethod::Pairs(PairMethod::Aracne)) {
            self.aracne.validate()?;
        }
        Ok(ValidInferParams {
            params: self.clone(),
            runs,
        })
    }

    /// Checks the settings ([`InferParams::check`]) without keeping the result.
    pub fn validate(&self) -> Result<(), InferError> {
        self.check().map(|_| ())
    }
}

/// [`InferParams`] checked by [`InferParams::check`], with what runs: the method
/// or each member of a consensus.
#[derive(Debug, Clone)]
pub struct ValidInferParams {
    params: InferParams,
    runs: Vec<Run>,
}

/// One engine run, with checked settings.
#[derive(Debug, Clone)]
enum Run {
    /// Tree importances with the method's ensemble (`trees` applied).
    Trees(EnsembleParams),
    /// A pair scorer.
    Pairs(PairMethod),
}

impl std::ops::Deref for ValidInferParams {
    type Target = InferParams;

    fn deref(&self) -> &InferParams {
        &self.params
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
    params
        .check()?
        .infer(&Prepared::new(matrix), regulators, progress)
}

/// [`infer`] guided by a prior ([`crate::prior`]): tree ensembles draw their split
/// candidates with prior weights (iRafNet), pairwise scorers weight their scores,
/// and a consensus averages members that each used the prior.
pub fn infer_with_prior(
    matrix: &ExpressionMatrix,
    regulators: &Regulators,
    params: &InferParams,
    prior: Option<&PriorGuide>,
    progress: &dyn Progress,
) -> Result<EdgeTable, InferError> {
    params
        .check()?
        .infer_with_prior(&Prepared::new(matrix), regulators, prior, progress)
}

impl ValidInferParams {
    /// [`infer`] with settings already checked, on a prepared matrix.
    pub fn infer(
        &self,
        input: &Prepared<'_>,
        regulators: &Regulators,
        progress: &dyn Progress,
    ) -> Result<EdgeTable, InferError> {
        self.infer_with_prior(input, regulators, None, progress)
    }

    /// [`infer_with_prior`] with settings already checked, on a prepared matrix.
    pub fn infer_with_prior(
        &self,
        input: &Prepared<'_>,
        regulators: &Regulators,
        prior: Option<&PriorGuide>,
        progress: &dyn Progress,
    ) -> Result<EdgeTable, InferError> {
        let matrix = input.matrix();
        check_prior_genes(prior, matrix)?;
        let mut edges = if let Method::Consensus(_) = self.method {
            // Binned before the members start, so that the tree members share
            // one binning instead of each making its own at the same time.
            if self.runs.iter().any(|r| matches!(r, Run::Trees(_))) {
                input.binned(regulators);
            }
            let candidates = regulators.indices(matrix.n_genes());
            let n_pairs = candidates.len() * matrix.n_genes() - candidates.len();
            progress.start("members", self.runs.len() as u64);
            // Members run at once; each parallelises inside over the same pool.
            let tables = self
                .runs
                .par_iter()
                .map(|run| {
                    let t = self.scores(input, regulators, run, None, prior, &Quiet);
                    progress.advance(1);
                    t
                })
                .collect::<Result<Vec<_>, _>>()?;
            consensus::borda(&tables, n_pairs)
        } else {
            self.scores(input, regulators, &self.runs[0], self.top, prior, progress)?
        };
        rank(&mut edges, self.top, input);
        Ok(edges)
    }

    /// One block of targets of a tree method, ranked, cut and signed as [`infer`]
    /// treats the whole table, for [`crate::shard::merge`] to combine with the other blocks
    /// into the single run's table. Pairwise methods and consensus score pairs
    /// from all genes at once and cannot be split by target.
    pub fn infer_shard(
        &self,
        input: &Prepared<'_>,
        regulators: &Regulators,
        shard: Shard,
        prior: Option<&PriorGuide>,
        progress: &dyn Progress,
    ) -> Result<ShardTable, InferError> {
        match (&self.method, &self.runs[0]) {
            (Method::Trees(_), Run::Trees(ensemble)) => {
                check_prior_genes(prior, input.matrix())?;
                Ok(tree_shard(
                    input,
                    regulators,
                    &self.params,
                    ensemble,
                    shard,
                    prior,
                    progress,
                ))
            }
            (method, _) => Err(InferError::Input(format!(
                "{method} cannot be split by target: {}; only the tree methods ({}) score \
                 each target on its own. Run {method} on one machine",
                if let Method::Consensus(_) = method {
                    "a consensus ranks every pair of every member at once"
                } else {
                    "it scores pairs from one MI or correlation matrix of all genes (and \
                     for clr, aracne, mrnet and partial-corr each score depends on every \
                     gene)"
                },
                TreeMethod::ALL.map(TreeMethod::name).join(", ")
            ))),
        }
    }

    /// One method's edges, unsorted; `top` lets pair scorers keep only the best
    /// edges while reading their score matrix.
    fn scores(
        &self,
        input: &Prepared<'_>,
        regulators: &Regulators,
        run: &Run,
        top: Option<usize>,
        prior: Option<&PriorGuide>,
        progress: &dyn Progress,
    ) -> Result<EdgeTable, InferError> {
        let matrix = input.matrix();
        let method = match run {
            Run::Trees(ensemble) => {
                return Ok(importances(
                    input,
                    regulators,
                    ensemble,
                    self.seed,
                    0..matrix.n_genes(),
                    prior,
                    progress,
                ));
            }
            Run::Pairs(m) => *m,
        };
        // The prior reorders scores, so the best edges are known only after it.
        let top = if prior.is_some() { None } else { top };
        let values = matrix.values().view();
        let regs = regulators.indices(matrix.n_genes());
        let genes: Arc<[String]> = matrix.genes().to_vec().into();
        let mi = || mutual_info::mi_matrix(values, &regs, &self.mi, self.seed, progress);
        let table = match method {
            PairMethod::Relevance => mi()?.edges(&genes, top),
            PairMethod::Clr => clr::clr(mi()?).edges(&genes, top),
            PairMethod::Mrnet => mrnet::mrnet(mi()?).edges(&genes, top),
            PairMethod::Aracne => {
                aracne::aracne_checked(values, &regs, &self.mi, &self.aracne, self.seed, progress)?
                    .edges(&genes, top)
            }
            PairMethod::Pearson => {
                correlation::pearson(values, &regs, progress).signed_edges(&genes, top)
            }
            PairMethod::Spearman => {
                correlation::spearman(values, &regs, progress).signed_edges(&genes, top)
            }
            PairMethod::PartialCorr => {
                correlation::partial_correlation(values, &regs, progress)?.signed_edges(&genes, top)
            }
        };
        Ok(match prior {
            Some(g) => g.reweight(&table),
            None => table,
        })
    }
}

/// Ranks a method's edges (highest first, ties by names), keeps the `top` and signs
/// them: what every run does after its engine.
fn rank(edges: &mut EdgeTable, top: Option<usize>, input: &Prepared<'_>) {
    edges.sort_by_score();
    if let Some(top) = top {
        edges.truncate(top);
    }
    if !edges.is_signed() {
        let signs = input.signs(edges);
        edges.set_signs(signs);
    }
}

/// A prior must be resolved on the matrix it guides.
fn check_prior_genes(
    prior: Option<&PriorGuide>,
    matrix: &ExpressionMatrix,
) -> Result<(), InferError> {
    match prior {
        Some(g) if g.prior().genes() != matrix.genes() => Err(InferError::Input(
            "the prior was resolved on other genes than the matrix's".into(),
        )),
        _ => Ok(()),
    }
}

/// [`ValidInferParams::infer_shard`] for a tree method: the block's importances,
/// ranked, cut at `params.top` and signed, keyed by the input, `params`, the
/// ensemble and the prior.
fn tree_shard(
    input: &Prepared<'_>,
    regulators: &Regulators,
    params: &InferParams,
    ensemble: &EnsembleParams,
    shard: Shard,
    prior: Option<&PriorGuide>,
    progress: &dyn Progress,
) -> ShardTable {
    let matrix = input.matrix();
    let targets = shard.targets(matrix.n_genes());
    let mut edges = importances(
        input,
        regulators,
        ensemble,
        params.seed,
        targets,
        prior,
        progress,
    );
    rank(&mut edges, params.top, input);
    // The prior's weights by target, not its Debug text: that holds a HashMap,
    // whose order differs from process to process.
    let prior = prior.map(|g| {
        let by_target: Vec<_> = (0..matrix.n_genes())
            .map(|t| g.prior().regulators_of(t))
            .collect();
        format!("strength {} {by_target:?}", g.strength())
    });
    let key = RunKey::new(
        matrix,
        regulators,
        params.method.name(),
        &format!("{ensemble:?} {params:?} {prior:?}"),
        params.seed,
        params.top,
    );
    ShardTable {
        shard,
        key,
        edges,
        origin: format!("shard {shard}").into(),
    }
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
    Ok(importances(
        &Prepared::new(matrix),
        regulators,
        ensemble,
        seed,
        0..matrix.n_genes(),
        None,
        progress,
    ))
}

/// [`tree_importances`] for settings already checked, of the `targets` only (a
/// shard); a target's random stream is keyed by its index in the matrix, so a
/// target scores the same in any block.
fn importances(
    input: &Prepared<'_>,
    regulators: &Regulators,
    ensemble: &EnsembleParams,
    seed: u64,
    targets: std::ops::Range<usize>,
    prior: Option<&PriorGuide>,
    progress: &dyn Progress,
) -> EdgeTable {
    let matrix = input.matrix();
    importances_of(
        &input.binned(regulators),
        matrix.values().view(),
        matrix.genes(),
        regulators,
        ensemble,
        seed,
        targets,
        prior,
        false,
        progress,
    )
}

/// The engine's loop: gene `target`'s row of `responses` fitted on the binned
/// rows of its candidate regulators. The responses are the matrix itself for
/// static data, where a target is never its own candidate; for a time series
/// ([`time_series`]) they are the genes' rates of change, of which the target's
/// own level is a candidate input (`own_level`), its self-edge not reported.
#[allow(clippy::too_many_arguments)]
fn importances_of(
    binned: &BinnedMatrix,
    responses: ndarray::ArrayView2<'_, f32>,
    genes: &[String],
    regulators: &Regulators,
    ensemble: &EnsembleParams,
    seed: u64,
    targets: std::ops::Range<usize>,
    prior: Option<&PriorGuide>,
    own_level: bool,
    progress: &dyn Progress,
) -> EdgeTable {
    let regs = regulators.indices(genes.len());
    progress.start("targets", targets.len() as u64);
    let per_target: Vec<Vec<(usize, f64)>> = targets
        .clone()
        .into_par_iter()
        .map(|target| {
            let features: Vec<usize> = regs
                .iter()
                .copied()
                .filter(|&r| own_level || r != target)
                .collect();
            let (features, weights) = match prior {
                Some(g) => g.candidates(target, features),
                None => (features, None),
            };
            let scores = if features.is_empty() {
                Vec::new()
            } else {
                let y = responses.row(target);
                let mut rng = random::stream(seed, target as u64);
                let fit = trees::fit_weighted(
                    binned,
                    y.as_slice().expect("responses are gene-major"),
                    features.clone(),
                    weights.as_deref(),
                    ensemble,
                    &mut rng,
                    false,
                );
                features
                    .into_iter()
                    .zip(fit.importances)
                    .filter(|&(r, s)| s > 0.0 && r != target)
                    .collect()
            };
            progress.advance(1);
            scores
        })
        .collect();
    let genes: Arc<[String]> = genes.to_vec().into();
    let mut edges = EdgeTable::new(genes, false);
    for (target, scores) in targets.zip(per_target) {
        for (regulator, score) in scores {
            edges.push(regulator, target, score, Sign::Unknown);
        }
    }
    edges
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tsv(edges: &EdgeTable) -> Vec<u8> {
        let mut out = Vec::new();
        edges.write_tsv(&mut out).unwrap();
        out
    }

    /// One `Prepared` serving runs with different TF lists (a long-lived Python
    /// matrix, a Dask worker) bins only what they ask for and gives each run the
    /// bytes of a fresh one.
    #[test]
    fn runs_with_other_regulators_on_one_prepared_match_fresh_runs() {
        let (g, n) = (12, 80);
        let values = ndarray::Array2::from_shape_fn((g, n), |(i, s)| {
            let x = ((s * 7919 + i * 104_729) % 1_000) as f32 / 1_000.0;
            if i >= 6 {
                x + ((s * 31) % 100) as f32 / 100.0
            } else {
                x
            }
        });
        let names = |p: &str, k| (0..k).map(|i| format!("{p}{i}")).collect();
        let matrix = ExpressionMatrix::new(names("g", g), names("s", n), values).unwrap();
        let params = InferParams {
            method: TreeMethod::GrnBoost2.into(),
            ..InferParams::default()
        }
        .check()
        .unwrap();
        let shared = Prepared::new(&matrix);
        for regulators in [vec![0, 2, 5], vec![1, 2, 9], vec![0, 2, 5]] {
            let regulators = Regulators::Only(regulators);
            let again = params.infer(&shared, &regulators, &Quiet).unwrap();
            let fresh = params
                .infer(&Prepared::new(&matrix), &regulators, &Quiet)
                .unwrap();
            assert_eq!(tsv(&again), tsv(&fresh));
        }
        assert_eq!(
            shared.binned(&Regulators::Only(vec![1])).rows(),
            &[0, 1, 2, 5, 9]
        );
    }
}
