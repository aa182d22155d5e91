//! `grn infer`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;

use grn::expression::ExpressionMatrix;
use grn::infer::time_series::TimeCourse;
use grn::infer::{self, InferParams, Method, Prepared, SingleMethod};
use grn::mutual_info::aracne::AracneParams;
use grn::mutual_info::{Estimator, MiParams};
use grn::network::EdgeTable;
use grn::shard::{self, Shard};
use grn::trees::{BoostingParams, OobImprovement};

use super::prior::PriorArgs;
use super::{Bar, ExpressionArgs, Global, check_output, info};

#[derive(Debug, Args)]
pub struct InferArgs {
    #[command(flatten)]
    input: ExpressionArgs,
    /// Inference method: genie3, genie3-et, grnboost2 (tree ensembles); relevance,
    /// clr, aracne, mrnet (mutual information); pearson, spearman, partial-corr;
    /// consensus (see --members).
    #[arg(long, short, default_value = "genie3")]
    method: Method,
    /// Trees per target for forest methods (default 1000, as GENIE3).
    #[arg(long, value_name = "N")]
    trees: Option<usize>,
    /// grnboost2: stop boosting a target once its out-of-bag improvement, averaged
    /// over this many rounds, is negative (arboreto's window) [default: 25].
    #[arg(long, value_name = "N")]
    early_stop_window: Option<usize>,
    /// grnboost2: what a round's out-of-bag improvement compares. paired (default):
    /// the loss on the round's out-of-bag cells before and after its tree, as
    /// scikit-learn before 1.3 (the GRNBoost2 paper's arboreto); consecutive: the
    /// loss against the previous round's, each on its own out-of-bag cells, as
    /// arboreto with scikit-learn 1.3+ and rustscenic: many times fewer rounds and
    /// faster, less accurate.
    #[arg(long, value_name = "RULE")]
    oob_improvement: Option<OobImprovement>,
    /// Random seed; the same seed gives byte-identical output.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Keep only the N highest-scoring edges.
    #[arg(long, value_name = "N")]
    top: Option<usize>,
    /// MI estimator of relevance, clr, aracne and mrnet: gaussian, empirical,
    /// miller-madow, shrink, bspline (Daub et al. 2004, the CLR paper's) or ksg.
    #[arg(long, value_name = "NAME", default_value_t = Estimator::default())]
    mi_estimator: Estimator,
    /// Bins of the binned and B-spline estimators (default: floor(sqrt(samples)) for
    /// binned, as minet; 10 for B-splines, as Daub et al. 2004).
    #[arg(long, value_name = "N")]
    bins: Option<usize>,
    /// Order of the B-splines.
    #[arg(long, value_name = "K", default_value_t = MiParams::DAUB_ORDER)]
    spline_order: usize,
    /// Neighbours of the KSG estimator (Kraskov et al. 2004).
    #[arg(long, value_name = "K", default_value_t = MiParams::KRASKOV_K)]
    ksg_k: usize,
    /// ARACNe: data processing inequality tolerance in [0, 1).
    #[arg(long, value_name = "EPS", default_value_t = AracneParams::lachmann2016().dpi_eps)]
    dpi_eps: f64,
    /// ARACNe: p-value of the MI threshold from a permutation null (as ARACNe-AP;
    /// 1 keeps every pair).
    #[arg(long, value_name = "P", default_value_t = AracneParams::lachmann2016().pvalue)]
    pvalue: f64,
    /// ARACNe: bootstraps combined by ARACNe-AP's Poisson consensus (0: one run).
    #[arg(long, value_name = "N", default_value_t = AracneParams::lachmann2016().bootstraps)]
    bootstraps: usize,
    /// Methods combined by `--method consensus`, comma separated [default:
    /// genie3,clr,aracne].
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    members: Vec<SingleMethod>,
    #[command(flatten)]
    prior: PriorArgs,
    /// Time series (tree methods): fit each gene's rate of change between
    /// consecutive time points from the levels at the first, dynGENIE3's model
    /// (Huynh-Thu & Geurts 2018), which orients edges. Needs a first column `Time`;
    /// a series ends where the time does not increase.
    #[arg(long)]
    time_series: bool,
    /// Score only the I-th of N blocks of targets (tree methods) into a shard file;
    /// `grn merge` combines the N shards into the bytes of the single run.
    #[arg(long, value_name = "I/N")]
    targets_shard: Option<Shard>,
    /// Output edge list (TSV: regulator, target, score, sign; `.gz` to compress).
    #[arg(long, short, value_name = "FILE")]
    output: PathBuf,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shard files of one run (`grn infer --targets-shard I/N`), all N of them,
    /// in any order.
    #[arg(required = true, value_name = "SHARD")]
    shards: Vec<PathBuf>,
    /// Output edge list, the bytes `grn infer` writes without shards.
    #[arg(long, short, value_name = "FILE")]
    output: PathBuf,
}

pub fn run_merge(args: MergeArgs, global: &Global) -> Result<()> {
    let inputs: Vec<&std::path::Path> = args.shards.iter().map(PathBuf::as_path).collect();
    check_output(&args.output, &inputs)?;
    let started = Instant::now();
    let edges = shard::merge_files(&args.shards)?;
    edges
        .save_tsv(&args.output)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    info(
        global,
        &format!(
            "{} edges of {} shards written to {} in {:.1} s",
            edges.len(),
            args.shards.len(),
            args.output.display(),
            started.elapsed().as_secs_f64()
        ),
    );
    Ok(())
}

pub fn run(args: InferArgs, global: &Global) -> Result<()> {
    let mut inputs = vec![args.input.expr.as_path()];
    inputs.extend(args.prior.path());
    check_output(&args.output, &inputs)?;
    let started = Instant::now();
    let (matrix, regulators, times) = args.input.load_timed()?;
    let prior = args.prior.load(&matrix, global)?;
    let method = match args.method {
        Method::Consensus(_) if !args.members.is_empty() => Method::Consensus(args.members),
        m => m,
    };
    let params = InferParams {
        method,
        trees: args.trees,
        boosting: boosting(args.early_stop_window, args.oob_improvement),
        seed: args.seed,
        top: args.top,
        mi: MiParams {
            estimator: args.mi_estimator,
            bins: args.bins,
            spline_order: args.spline_order,
            ksg_k: args.ksg_k,
        },
        aracne: AracneParams {
            dpi_eps: args.dpi_eps,
            pvalue: args.pvalue,
            bootstraps: args.bootstraps,
            ..AracneParams::default()
        },
    };
    let bar = Bar::new(global);
    if args.time_series {
        let Some(times) = times else {
            anyhow::bail!(
                "{}: --time-series needs the samples' times as a first column named `Time` \
                 (samples x genes, one row per time point, series one after another)",
                args.input.expr.display()
            );
        };
        if args.targets_shard.is_some() {
            anyhow::bail!(
                "--time-series and --targets-shard cannot be combined: a time course is \
                 scored in one run"
            );
        }
        let course = TimeCourse::new(times)?;
        let edges = params.check()?.infer_time_series(
            &Prepared::new(&matrix),
            &course,
            &regulators,
            prior.as_ref(),
            &bar,
        )?;
        bar.finish();
        return write_network(&edges, &params, &matrix, &args.output, global, started);
    }
    if let Some(shard) = args.targets_shard {
        let table = params.check()?.infer_shard(
            &Prepared::new(&matrix),
            &regulators,
            shard,
            prior.as_ref(),
            &bar,
        )?;
        bar.finish();
        table
            .save_tsv(&args.output)
            .with_context(|| format!("cannot write {}", args.output.display()))?;
        let targets = shard.targets(matrix.n_genes());
        info(
            global,
            &format!(
                "{}: shard {shard} (targets {}-{} of {}): {} edges written to {} in {:.1} s",
                params.method,
                targets.start + 1,
                targets.end,
                matrix.n_genes(),
                table.edges.len(),
                args.output.display(),
                started.elapsed().as_secs_f64()
            ),
        );
        return Ok(());
    }
    let edges = infer::infer_with_prior(&matrix, &regulators, &params, prior.as_ref(), &bar)?;
    bar.finish();
    write_network(&edges, &params, &matrix, &args.output, global, started)
}

fn write_network(
    edges: &EdgeTable,
    params: &InferParams,
    matrix: &ExpressionMatrix,
    output: &Path,
    global: &Global,
    started: Instant,
) -> Result<()> {
    edges
        .save_tsv(output)
        .with_context(|| format!("cannot write {}", output.display()))?;
    info(
        global,
        &format!(
            "{}: {} edges over {} genes x {} samples written to {} in {:.1} s",
            params.method,
            edges.len(),
            matrix.n_genes(),
            matrix.n_samples(),
            output.display(),
            started.elapsed().as_secs_f64()
        ),
    );
    Ok(())
}

/// GRNBoost2's settings with the early stopping asked for (`None`: the paper's).
fn boosting(window: Option<usize>, rule: Option<OobImprovement>) -> Option<BoostingParams> {
    if window.is_none() && rule.is_none() {
        return None;
    }
    let mut b = BoostingParams::grnboost2();
    b.early_stop_window = window.or(b.early_stop_window);
    b.oob_improvement = rule.unwrap_or(b.oob_improvement);
    Some(b)
}
