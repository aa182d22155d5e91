//! `grn fit`, `grn predict` and `grn explain`: response models kept in a file,
//! predictions of new samples and their explanations.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};

use grn::expression::{ExpressionMatrix, Regulators};
use grn::network::{self, Cut};
use grn::perturb::{
    BoostingModelParams, ForestModelParams, INTERVAL_LEVELS, ModelKind, ModelParams, ResponseModel,
    WeightPrior, fit,
};
use grn::{explain, predict};

use super::perturb::AlphaArg;
use super::prior::PriorArgs;
use super::{Bar, ExpressionArgs, Global, check_output, first_few, info, print_report, warn};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum ModelChoice {
    /// Ridge regression on the regulators (signed edge weights).
    Linear,
    /// Random forests on the regulators (saturating, combinatorial responses).
    Forest,
    /// Gradient-boosted shallow trees (GRNBoost2's engine, early stopping).
    Boosting,
}

/// The flags that choose and fit the response models (shared by `fit`,
/// `perturb` and `screen`).
#[derive(Debug, Args)]
pub(super) struct FitFlags {
    /// Network: a `grn infer` edge list (regulator, target, score[, sign]), any
    /// `regulator target score` TSV, GraphML or SIF (no scores: every edge 1.0).
    #[arg(long, short = 'n', value_name = "FILE")]
    pub(super) network: Option<PathBuf>,
    /// Response model of each target on its regulators.
    #[arg(long, value_enum, default_value_t = ModelChoice::Linear)]
    model: ModelChoice,
    /// Regulators per target: the best-ranked K edges into it (SCENIC's top-10
    /// regulators per target module).
    #[arg(long, value_name = "K", default_value_t = ModelParams::PER_TARGET)]
    per_target: usize,
    /// Ridge penalty (linear model): `gcv` (one penalty for all targets by pooled
    /// generalised cross-validation), `gcv-per-target`, or a number (on
    /// unit-variance regulators).
    #[arg(long, value_name = "A", default_value = "gcv")]
    alpha: AlphaArg,
    /// Prior size of each ridge weight (linear model): `score`, proportional to the
    /// edge's score (tree importances: its share of the target's explained
    /// variance), or `uniform` (plain ridge).
    #[arg(long, value_name = "PRIOR", default_value_t = WeightPrior::Score)]
    weight_prior: WeightPrior,
    /// Trees per forest (forest model).
    #[arg(long, value_name = "N", default_value_t = ForestModelParams::TREES)]
    trees: usize,
    /// Random seed (forests and their cross-validation folds).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Prior edges: each network edge's score is multiplied by its prior factor
    /// before --per-target picks a target's regulators, so responses propagate
    /// along edges with evidence (CellOracle's base GRN at --prior-strength 1).
    #[command(flatten)]
    pub(super) prior: PriorArgs,
}

impl FitFlags {
    fn params(&self) -> ModelParams {
        let kind = match self.model {
            ModelChoice::Linear => ModelKind::Linear(self.alpha.0),
            ModelChoice::Forest => {
                let mut f = ForestModelParams::breiman();
                f.forest.n_trees = self.trees;
                ModelKind::Forest(f)
            }
            ModelChoice::Boosting => ModelKind::Boosting(BoostingModelParams::grnboost2()),
        };
        ModelParams {
            kind,
            per_target: Some(self.per_target),
            prior: self.weight_prior,
            seed: self.seed,
            ..ModelParams::default()
        }
    }

    /// Reads the network and fits every target's model on `matrix`.
    pub(super) fn fit(
        &self,
        input: &ExpressionArgs,
        matrix: &ExpressionMatrix,
        regulators: &Regulators,
        global: &Global,
    ) -> Result<ResponseModel> {
        let Some(path) = &self.network else {
            bail!("give the network (-n FILE) to fit models on, or a fitted --model-file");
        };
        let tfs: Option<Vec<String>> = match regulators {
            Regulators::All => None,
            Regulators::Only(idx) => Some(idx.iter().map(|&i| matrix.genes()[i].clone()).collect()),
        };
        let guide = self.prior.load(matrix, global)?;
        let options = network::ReadOptions {
            format: None,
            cut: Cut {
                // A prior reorders each target's edges, so the cut comes after it.
                per_target: guide.is_none().then_some(self.per_target),
                tf_only: tfs.is_some(),
                ..Cut::default()
            },
            tfs,
        };
        let mut network = network::read(path, &options)
            .with_context(|| format!("cannot read the network {}", path.display()))?;
        if let Some(guide) = &guide {
            network = guide.guide_network(&network).cut(&Cut {
                per_target: Some(self.per_target),
                ..Cut::default()
            })?;
        }
        let bar = Bar::new(global);
        let model = fit(matrix, &network, &self.params(), &bar)
            .with_context(|| format!("cannot fit models on {}", path.display()))?
            .with_normalization(input.normalize);
        bar.finish();
        let missing = model.missing_genes();
        if !missing.is_empty() {
            warn(&format!(
                "{} gene(s) of the network are not (varying) genes of the expression matrix; \
                 their edges are ignored ({})",
                missing.len(),
                first_few(missing)
            ));
        }
        if model.uniform_prior_targets() > 0 {
            warn(&format!(
                "{} target(s) have edges whose score is not positive, so the score cannot \
                 size their weights' prior; they are fitted with --weight-prior uniform",
                model.uniform_prior_targets()
            ));
        }
        summarize(&model, global);
        Ok(model)
    }
}

fn summarize(model: &ResponseModel, global: &Global) {
    let mut r2: Vec<f64> = (0..model.n_genes()).filter_map(|g| model.r2(g)).collect();
    r2.sort_by(f64::total_cmp);
    info(
        global,
        &format!(
            "{} model: {} targets with regulators ({} edges), median cross-validated R² {}",
            model.kind(),
            r2.len(),
            model.n_edges(),
            r2.get(r2.len() / 2)
                .map_or("NA".to_string(), |v| format!("{v:.3}"))
        ),
    );
}

/// Loads a stored model for the matrix it was fitted on.
pub(super) fn load_model(
    path: &Path,
    input: &ExpressionArgs,
    matrix: &ExpressionMatrix,
    global: &Global,
) -> Result<ResponseModel> {
    let model = read_model(path, input)?;
    model
        .check_same_genes(
            matrix.genes(),
            &format!("the matrix {}", input.expr.display()),
        )
        .with_context(|| format!("cannot use the model {}", path.display()))?;
    summarize(&model, global);
    Ok(model)
}

/// Loads a stored model and checks that the matrix is read as the fitted one was.
fn read_model(path: &Path, input: &ExpressionArgs) -> Result<ResponseModel> {
    let model = ResponseModel::load(path)?;
    if model.normalization() != input.normalize {
        bail!(
            "the model {} was fitted on data read with --normalize {}, but this matrix is \
             read with --normalize {}; pass --normalize {} so the levels are comparable",
            path.display(),
            model.normalization(),
            input.normalize,
            model.normalization()
        );
    }
    Ok(model)
}

/// Checks an interval level against the stored ones.
pub(super) fn check_level(level: f64) -> Result<()> {
    if !INTERVAL_LEVELS.contains(&level) {
        bail!(
            "--level {level}: models store conformal intervals at {}; choose one of them",
            INTERVAL_LEVELS.map(|l| l.to_string()).join(", ")
        );
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct FitArgs {
    #[command(flatten)]
    input: ExpressionArgs,
    #[command(flatten)]
    fit: FitFlags,
    /// Output model file (`.grnm`; `.gz` to compress): genes, settings, the
    /// normalisation, every target's model, cross-validated R², error and intervals.
    #[arg(long, short, value_name = "MODEL.grnm")]
    output: PathBuf,
}

pub fn run_fit(args: FitArgs, global: &Global) -> Result<()> {
    let mut inputs: Vec<&Path> = vec![&args.input.expr];
    inputs.extend(args.fit.network.as_deref());
    inputs.extend(args.fit.prior.path());
    check_output(&args.output, &inputs)?;
    let started = Instant::now();
    let (matrix, regulators) = args.input.load()?;
    let model = args.fit.fit(&args.input, &matrix, &regulators, global)?;
    model
        .save(&args.output)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    info(
        global,
        &format!(
            "model written to {} in {:.1} s",
            args.output.display(),
            started.elapsed().as_secs_f64()
        ),
    );
    Ok(())
}

#[derive(Debug, Args)]
pub struct PredictArgs {
    /// A model saved by `grn fit`.
    #[arg(long, value_name = "MODEL.grnm")]
    model_file: PathBuf,
    /// The new samples (read with the flags the model was fitted with; genes matched
    /// by name).
    #[command(flatten)]
    input: ExpressionArgs,
    /// Output TSV: samples x predicted genes (`.gz` to compress).
    #[arg(long, short, value_name = "FILE")]
    output: PathBuf,
    /// Measured levels of the same samples: score the predictions (per gene and
    /// overall R², RMSE, correlation, interval coverage).
    #[arg(long, value_name = "FILE")]
    truth: Option<PathBuf>,
    /// Per-gene TSV: status, regulators missing from the new samples, the model's
    /// cross-validated R², RMSE and interval half-width, and with --truth the
    /// scores (default: none written).
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Coverage of the prediction intervals: 0.5, 0.8, 0.9, 0.95 or 0.99.
    #[arg(long, value_name = "P", default_value_t = 0.9)]
    level: f64,
}

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| "NA".to_string(), |v| v.to_string())
}

pub fn run_predict(args: PredictArgs, global: &Global) -> Result<()> {
    let mut inputs: Vec<&Path> = vec![&args.input.expr, &args.model_file];
    inputs.extend(args.truth.as_deref());
    check_output(&args.output, &inputs)?;
    if let Some(r) = &args.report {
        check_output(r, &inputs)?;
    }
    check_level(args.level)?;
    let started = Instant::now();
    let model = read_model(&args.model_file, &args.input)?;
    let (matrix, _) = args.input.load()?;
    let predictions = predict::predict(&model, &matrix);
    if predictions.targets().is_empty() {
        bail!(
            "no target of the model {} can be predicted: every one lacks regulators in {} \
             (check that both use the same gene identifiers)",
            args.model_file.display(),
            args.input.expr.display()
        );
    }
    let skipped = predictions.skipped();
    if !skipped.is_empty() {
        let names: Vec<String> = skipped
            .iter()
            .map(|s| model.genes()[s.gene].clone())
            .collect();
        warn(&format!(
            "{} target(s) are not predicted because some of their regulators are not \
             (varying) genes of {} ({}); --report lists what each lacks",
            skipped.len(),
            args.input.expr.display(),
            first_few(&names)
        ));
    }
    predictions
        .save_tsv(&model, &args.output)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    let scores = match &args.truth {
        None => None,
        Some(path) => {
            let mut truth_args = args.input.clone();
            truth_args.expr = path.clone();
            let (truth, _) = truth_args.load()?;
            let scores = predict::score(&model, &predictions, &truth, args.level)
                .with_context(|| format!("cannot score against {}", path.display()))?;
            if !scores.unmeasured.is_empty() {
                warn(&format!(
                    "{} predicted gene(s) are not in {} and are not scored ({})",
                    scores.unmeasured.len(),
                    path.display(),
                    first_few(&scores.unmeasured)
                ));
            }
            Some(scores)
        }
    };
    if let Some(path) = &args.report {
        grn::files::write_atomic(path, |w| {
            write_report(w, &model, &predictions, scores.as_ref(), args.level)
        })
        .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(s) = &scores {
        let mut r2: Vec<f64> = s.genes.iter().filter_map(|g| g.r2).collect();
        r2.sort_by(f64::total_cmp);
        let mut text = String::from("measure\tvalue\n");
        let _ = writeln!(text, "genes_scored\t{}", s.genes.len());
        let _ = writeln!(text, "r2_pooled\t{}", opt(s.r2));
        let _ = writeln!(text, "r2_median\t{}", opt(r2.get(r2.len() / 2).copied()));
        let _ = writeln!(text, "rmse\t{}", s.rmse);
        let _ = writeln!(text, "correlation_mean\t{}", opt(s.correlation));
        let _ = writeln!(text, "coverage_{}\t{}", args.level, opt(s.coverage));
        print_report(&text)?;
    }
    info(
        global,
        &format!(
            "predicted {} gene(s) in {} sample(s); written to {} in {:.1} s",
            predictions.targets().len(),
            predictions.samples().len(),
            args.output.display(),
            started.elapsed().as_secs_f64()
        ),
    );
    Ok(())
}

fn write_report(
    w: &mut dyn std::io::Write,
    model: &ResponseModel,
    predictions: &predict::Predictions,
    scores: Option<&predict::Scores>,
    level: f64,
) -> std::io::Result<()> {
    write!(
        w,
        "gene\tstatus\tmissing_regulators\tregulators\tcv_r2\tcv_rmse\tinterval_{level}"
    )?;
    if scores.is_some() {
        w.write_all(b"\tr2\trmse\tcorrelation\tcoverage")?;
    }
    w.write_all(b"\n")?;
    let mut score_of = vec![None; model.n_genes()];
    if let Some(s) = scores {
        for g in &s.genes {
            score_of[g.gene] = Some(g);
        }
    }
    let mut missing_of = vec![None; model.n_genes()];
    for s in predictions.skipped() {
        missing_of[s.gene] = Some(s.missing.join(","));
    }
    for t in 0..model.n_genes() {
        if model.regulators(t).is_empty() {
            continue;
        }
        let status = if missing_of[t].is_some() {
            "missing_regulators"
        } else if scores.is_some() && score_of[t].is_none() {
            "not_measured"
        } else {
            "predicted"
        };
        write!(
            w,
            "{}\t{status}\t{}\t{}\t{}\t{}\t{}",
            model.genes()[t],
            missing_of[t].as_deref().unwrap_or("NA"),
            model.regulators(t).len(),
            opt(model.r2(t)),
            opt(model.cv_rmse(t)),
            opt(model.interval(t, level)),
        )?;
        if scores.is_some() {
            match score_of[t] {
                Some(g) => write!(
                    w,
                    "\t{}\t{}\t{}\t{}",
                    opt(g.r2),
                    g.rmse,
                    opt(g.correlation),
                    opt(g.coverage)
                )?,
                None => w.write_all(b"\tNA\tNA\tNA\tNA")?,
            }
        }
        w.write_all(b"\n")?;
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A model saved by `grn fit`.
    #[arg(long, value_name = "MODEL.grnm")]
    model_file: PathBuf,
    /// Samples to explain (read with the flags the model was fitted with).
    #[command(flatten)]
    input: ExpressionArgs,
    /// The target gene whose predictions are explained.
    #[arg(long, value_name = "G")]
    gene: String,
    /// Output TSV: per sample the expected value, the prediction and each
    /// regulator's contribution (`-` for standard output; `.gz` to compress).
    #[arg(long, short, value_name = "FILE", default_value = "-")]
    output: PathBuf,
    /// Summary TSV over samples: per regulator the mean |contribution| and the mean
    /// contribution, largest first (default: standard error).
    #[arg(long, value_name = "FILE")]
    summary: Option<PathBuf>,
}

pub fn run_explain(args: ExplainArgs, global: &Global) -> Result<()> {
    let inputs: Vec<&Path> = vec![&args.input.expr, &args.model_file];
    check_output(&args.output, &inputs)?;
    if let Some(s) = &args.summary {
        check_output(s, &inputs)?;
    }
    let model = read_model(&args.model_file, &args.input)?;
    let target = model.require(&args.gene, "--gene")?;
    let regs = model.regulators(target).to_vec();
    if regs.is_empty() {
        bail!(
            "--gene {}: it has no regulators in the model {}, so its prediction is its mean \
             and there is nothing to explain",
            args.gene,
            args.model_file.display()
        );
    }
    let (matrix, _) = args.input.load()?;
    let rows: Vec<Option<usize>> = model.genes().iter().map(|g| matrix.gene_index(g)).collect();
    let absent: Vec<String> = regs
        .iter()
        .filter(|&&r| rows[r].is_none())
        .map(|&r| model.genes()[r].clone())
        .collect();
    if !absent.is_empty() {
        bail!(
            "--gene {}: its regulators {} are not (varying) genes of {}; it cannot be \
             predicted there",
            args.gene,
            absent.join(", "),
            args.input.expr.display()
        );
    }
    let mut explanations = Vec::with_capacity(matrix.n_samples());
    for s in 0..matrix.n_samples() {
        let x: Vec<f64> = rows
            .iter()
            .map(|r| r.map_or(f64::NAN, |r| matrix.values()[[r, s]] as f64))
            .collect();
        explanations.push(explain::explain(&model, target, &x)?);
    }
    let names: Vec<&str> = regs.iter().map(|&r| model.genes()[r].as_str()).collect();
    grn::files::write_atomic(&args.output, |w| {
        write!(w, "sample\texpected\tprediction")?;
        for n in &names {
            write!(w, "\t{n}")?;
        }
        w.write_all(b"\n")?;
        for (s, e) in matrix.samples().iter().zip(&explanations) {
            write!(w, "{s}\t{}\t{}", e.expected, e.prediction)?;
            for c in &e.contributions {
                write!(w, "\t{c}")?;
            }
            w.write_all(b"\n")?;
        }
        Ok(())
    })
    .with_context(|| format!("cannot write {}", args.output.display()))?;
    let summary = explain::summarize(&explanations);
    let mut order: Vec<usize> = (0..regs.len()).collect();
    order.sort_by(|&a, &b| {
        summary[b]
            .0
            .total_cmp(&summary[a].0)
            .then_with(|| names[a].cmp(names[b]))
    });
    let mut text = String::from("regulator\tmean_abs_contribution\tmean_contribution\n");
    for &k in &order {
        let _ = writeln!(text, "{}\t{}\t{}", names[k], summary[k].0, summary[k].1);
    }
    match &args.summary {
        Some(path) => grn::files::write_atomic(path, |w| w.write_all(text.as_bytes()))
            .with_context(|| format!("cannot write {}", path.display()))?,
        None if !global.quiet => eprint!("{text}"),
        None => {}
    }
    Ok(())
}
