//! `grn perturb` and `grn screen`.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};

use grn::expression::{self, ExpressionMatrix, Regulators};
use grn::network::{self, Cut};
use grn::perturb::screen::save_ranking;
use grn::perturb::{
    Alpha, Baseline, ForestModelParams, ModelKind, ModelParams, Perturbation, Predictor,
    Propagation, PropagationParams, ResponseModel, ScreenParams, Signature, WeightPrior, fit,
    screen,
};

use super::{Bar, ExpressionArgs, Global, check_output, first_few, info, warn};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModelChoice {
    /// Ridge regression on the regulators (signed edge weights).
    Linear,
    /// Random forests on the regulators (saturating, combinatorial responses).
    Forest,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PropagationChoice {
    /// CellOracle's n-step signal propagation (see --steps).
    Steps,
    /// The fixed point of the fitted system.
    Steady,
}

/// `--alpha`: `gcv`, `gcv-per-target` or a number.
#[derive(Debug, Clone, Copy)]
struct AlphaArg(Alpha);

impl FromStr for AlphaArg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "gcv" => Ok(AlphaArg(Alpha::Gcv)),
            "gcv-per-target" => Ok(AlphaArg(Alpha::GcvPerTarget)),
            _ => s
                .parse::<f64>()
                .ok()
                .filter(|a| a.is_finite() && *a >= 0.0)
                .map(|a| AlphaArg(Alpha::Fixed(a)))
                .ok_or_else(|| "expected gcv, gcv-per-target or a non-negative number".to_string()),
        }
    }
}

/// Flags shared by `perturb` and `screen`: the data, the network and the model.
#[derive(Debug, Args)]
struct ModelArgs {
    #[command(flatten)]
    input: ExpressionArgs,
    /// Network: a `grn infer` edge list (regulator, target, score[, sign]), any
    /// `regulator target score` TSV, GraphML or SIF (no scores: every edge 1.0).
    #[arg(long, short = 'n', value_name = "FILE")]
    network: PathBuf,
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
    /// Start point: `mean` of all samples, a sample name, or `group:FILE` (the
    /// mean of the samples named in FILE, one per line).
    #[arg(long, value_name = "WHERE", default_value = "mean")]
    baseline: String,
    /// How far changes propagate.
    #[arg(long, value_enum, default_value_t = PropagationChoice::Steady)]
    propagation: PropagationChoice,
    /// Steps of `--propagation steps` (CellOracle's default 3).
    #[arg(long, value_name = "N")]
    steps: Option<usize>,
    /// Largest spectral radius of a linear feedback loop in `--propagation steady`;
    /// stronger loops are damped to it, with a warning.
    #[arg(long, value_name = "R", default_value_t = PropagationParams::MAX_RADIUS)]
    max_radius: f64,
}

/// A fitted model and what it was fitted on.
struct Loaded {
    matrix: ExpressionMatrix,
    regulators: Regulators,
    model: ResponseModel,
}

impl ModelArgs {
    fn inputs(&self) -> Vec<&Path> {
        vec![&self.input.expr, &self.network]
    }

    /// Reads the inputs, runs `check` on the matrix (flags naming genes are checked
    /// before the possibly long fit), then fits.
    fn load(
        &self,
        global: &Global,
        check: impl FnOnce(&ExpressionMatrix) -> Result<()>,
    ) -> Result<Loaded> {
        let (matrix, regulators) = self.input.load()?;
        check(&matrix)?;
        let tfs: Option<Vec<String>> = match &regulators {
            Regulators::All => None,
            Regulators::Only(idx) => Some(idx.iter().map(|&i| matrix.genes()[i].clone()).collect()),
        };
        let options = network::ReadOptions {
            format: None,
            cut: Cut {
                per_target: Some(self.per_target),
                tf_only: tfs.is_some(),
                ..Cut::default()
            },
            tfs,
        };
        let network = network::read(&self.network, &options)
            .with_context(|| format!("cannot read the network {}", self.network.display()))?;
        let kind = match self.model {
            ModelChoice::Linear => ModelKind::Linear(self.alpha.0),
            ModelChoice::Forest => {
                let mut f = ForestModelParams::breiman();
                f.forest.n_trees = self.trees;
                ModelKind::Forest(f)
            }
        };
        let params = ModelParams {
            kind,
            per_target: Some(self.per_target),
            prior: self.weight_prior,
            seed: self.seed,
            ..ModelParams::default()
        };
        let bar = Bar::new(global);
        let model = fit(&matrix, &network, &params, &bar)
            .with_context(|| format!("cannot fit models on {}", self.network.display()))?;
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
        Ok(Loaded {
            matrix,
            regulators,
            model,
        })
    }

    fn baseline(&self, matrix: &ExpressionMatrix) -> Result<Vec<f64>> {
        let baseline = match self.baseline.as_str() {
            "mean" => Baseline::Mean,
            b => match b.strip_prefix("group:") {
                Some(file) => Baseline::Group(
                    expression::read_gene_list(Path::new(file))
                        .with_context(|| format!("cannot read the baseline group {file}"))?,
                ),
                None => Baseline::Sample(b.to_string()),
            },
        };
        Ok(baseline.resolve(matrix)?)
    }

    fn propagation(&self) -> Result<PropagationParams> {
        let propagation = match (self.propagation, self.steps) {
            (PropagationChoice::Steps, s) => {
                Propagation::Steps(s.unwrap_or(PropagationParams::CELLORACLE_STEPS))
            }
            (PropagationChoice::Steady, None) => Propagation::Steady,
            (PropagationChoice::Steady, Some(_)) => {
                bail!("--steps applies to --propagation steps; the steady state has no steps")
            }
        };
        Ok(PropagationParams {
            propagation,
            max_radius: self.max_radius,
            ..PropagationParams::default()
        })
    }

    fn predictor<'m>(&self, loaded: &'m Loaded, global: &Global) -> Result<Predictor<'m>> {
        let baseline = self.baseline(&loaded.matrix)?;
        let predictor = Predictor::new(&loaded.model, baseline, &self.propagation()?)?;
        for d in predictor.damped() {
            warn(&format!(
                "a feedback loop of {} genes has spectral radius {:.3}: its linear steady state \
                 would {}; its internal edges were damped by a factor {:.3} to radius {}. \
                 Consider --propagation steps or a sparser network (--per-target)",
                d.genes,
                d.radius,
                if d.radius >= 1.0 {
                    "diverge"
                } else {
                    "amplify changes more than tenfold"
                },
                d.scale,
                self.max_radius
            ));
        }
        let blocks = predictor.feedback_blocks();
        if !blocks.is_empty() {
            info(
                global,
                &format!(
                    "{} feedback loop(s) in the model, the largest of {} genes",
                    blocks.len(),
                    blocks[0]
                ),
            );
        }
        Ok(predictor)
    }
}

#[derive(Debug, Args)]
pub struct PerturbArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Genes knocked out (level 0), comma separated; repeatable.
    #[arg(long, value_name = "G1,G2", value_delimiter = ',')]
    knockout: Vec<String>,
    /// Genes knocked down to a fraction of their baseline: `GENE=0.3`, comma
    /// separated; repeatable.
    #[arg(long, value_name = "G=F", value_delimiter = ',')]
    knockdown: Vec<String>,
    /// Genes over-expressed to a multiple of their baseline: `GENE=2.0`, comma
    /// separated; repeatable.
    #[arg(long, value_name = "G=F", value_delimiter = ',')]
    overexpress: Vec<String>,
    /// Output TSV: gene, baseline, predicted, delta, log2 fold change, r2, path
    /// (sorted by |delta|; `.gz` to compress).
    #[arg(long, short, value_name = "FILE")]
    output: PathBuf,
}

/// Largest perturbation factor: a millionfold over-expression (2^20), beyond any
/// experimental system (strong promoters and CRISPRa reach 10^2 to 10^4-fold), so
/// predicted levels stay well inside the 32-bit range the data are stored in (our
/// choice: a bound, not a fitted value).
const MAX_FACTOR: f64 = 1e6;

/// `GENE=FACTOR`.
fn gene_factor(flag: &str, s: &str) -> Result<(String, f64)> {
    let (gene, factor) = s
        .rsplit_once('=')
        .with_context(|| format!("{flag} {s:?}: expected GENE=FACTOR, e.g. {flag} TP53=0.3"))?;
    let factor: f64 = factor
        .trim()
        .parse()
        .ok()
        .filter(|f: &f64| f.is_finite())
        .with_context(|| format!("{flag} {s:?}: the factor {factor:?} is not a number"))?;
    Ok((gene.trim().to_string(), factor))
}

pub fn run_perturb(args: PerturbArgs, global: &Global) -> Result<()> {
    check_output(&args.output, &args.model.inputs())?;
    let started = Instant::now();
    // Flags are checked before the (possibly long) fit.
    let mut requested: Vec<(&str, String, f64)> = args
        .knockout
        .iter()
        .map(|g| ("--knockout", g.trim().to_string(), 0.0))
        .collect();
    for s in &args.knockdown {
        let (g, f) = gene_factor("--knockdown", s)?;
        if !(0.0..1.0).contains(&f) {
            bail!("--knockdown {s}: the factor must be in [0, 1) (a fraction of the baseline)");
        }
        requested.push(("--knockdown", g, f));
    }
    for s in &args.overexpress {
        let (g, f) = gene_factor("--overexpress", s)?;
        if f <= 1.0 || f > MAX_FACTOR {
            bail!(
                "--overexpress {s}: the factor must be above 1 and at most {MAX_FACTOR:e} (a \
                 multiple of the baseline; no experiment over-expresses a gene a millionfold)"
            );
        }
        requested.push(("--overexpress", g, f));
    }
    if requested.is_empty() {
        bail!("nothing to perturb: give --knockout, --knockdown or --overexpress");
    }
    args.model.propagation()?.validate()?;
    let loaded = args.model.load(global, |matrix| {
        for (flag, gene, _) in &requested {
            if matrix.gene_index(gene).is_none() {
                bail!(
                    "{flag} {gene:?}: not a (varying) gene of the expression matrix {}",
                    args.model.input.expr.display()
                );
            }
        }
        Ok(())
    })?;
    let model = &loaded.model;
    let mut perturbation = Perturbation::default();
    for (flag, gene, factor) in &requested {
        perturbation = perturbation.and(&Perturbation::scale(model.require(gene, flag)?, *factor));
    }
    let regulating = model.regulating_genes();
    for &(g, _) in perturbation.changes() {
        if regulating.binary_search(&g).is_err() {
            warn(&format!(
                "{} has no targets in the network model; only its own level changes",
                model.genes()[g]
            ));
        }
    }
    let predictor = args.model.predictor(&loaded, global)?;
    let effects = predictor.effects(&perturbation)?;
    if !effects.unconverged().is_empty() {
        let names: Vec<String> = effects
            .unconverged()
            .iter()
            .map(|&g| model.genes()[g].clone())
            .collect();
        warn(&format!(
            "{} gene(s) of forest feedback loops did not settle; their values are the last \
             iterate ({})",
            names.len(),
            first_few(&names)
        ));
    }
    if let Some(r) = effects
        .rows()
        .iter()
        .find(|r| r.predicted.is_nan() || r.predicted.abs() > f32::MAX as f64)
    {
        bail!(
            "the predicted level of {} ({}) is outside the 32-bit range of the data; the \
             perturbation is too strong for the fitted model: use a smaller factor",
            model.genes()[r.gene],
            r.predicted
        );
    }
    effects
        .save_tsv(&args.output)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    let moved = effects
        .rows()
        .iter()
        .filter(|r| r.delta != 0.0 && !r.perturbed)
        .count();
    info(
        global,
        &format!(
            "{}: {moved} other gene(s) change; effects written to {} in {:.1} s",
            perturbation.label(model.genes()),
            args.output.display(),
            started.elapsed().as_secs_f64()
        ),
    );
    Ok(())
}

#[derive(Debug, Args)]
pub struct ScreenArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Signature: `gene<TAB>weight` per line, the weight a number or a direction
    /// (up, down, +, -): the genes to move, and which way.
    #[arg(long, short = 's', value_name = "FILE")]
    signature: PathBuf,
    /// Candidate genes to perturb, one per line (default: the --tfs list, or every
    /// gene with a target in the model).
    #[arg(long, value_name = "FILE")]
    candidates: Option<PathBuf>,
    /// Level of each perturbed gene as a multiple of its baseline: 0 knocks out,
    /// 0.5 knocks down, 2 over-expresses.
    #[arg(long, value_name = "F", default_value_t = 0.0)]
    factor: f64,
    /// Also screen every pair of the --top best single candidates.
    #[arg(long)]
    pairs: bool,
    /// Single candidates combined by --pairs.
    #[arg(long, value_name = "N", default_value_t = ScreenParams::PAIR_TOP)]
    top: usize,
    /// Most-changed genes listed per candidate.
    #[arg(long, value_name = "N", default_value_t = ScreenParams::TOP_GENES)]
    top_genes: usize,
    /// Output TSV ranking: rank, perturbation, score, moved_wanted, moved_against,
    /// synergy, top_genes (`.gz` to compress).
    #[arg(long, short, value_name = "FILE")]
    output: PathBuf,
}

pub fn run_screen(args: ScreenArgs, global: &Global) -> Result<()> {
    let mut inputs = args.model.inputs();
    inputs.push(&args.signature);
    if let Some(c) = &args.candidates {
        inputs.push(c);
    }
    check_output(&args.output, &inputs)?;
    let started = Instant::now();
    if !(0.0..=MAX_FACTOR).contains(&args.factor) {
        bail!("--factor {}: must be in [0, {MAX_FACTOR:e}]", args.factor);
    }
    args.model.propagation()?.validate()?;
    let mut read_signature = None;
    let loaded = args.model.load(global, |matrix| {
        read_signature = Some(Signature::read_names(&args.signature, matrix.genes())?);
        if let Some(path) = &args.candidates {
            expression::read_gene_list(path)?;
        }
        Ok(())
    })?;
    let model = &loaded.model;
    let (signature, missing) = read_signature.expect("checked before fitting");
    if !missing.is_empty() {
        warn(&format!(
            "{} signature gene(s) are not (varying) genes of the expression matrix and are \
             ignored ({})",
            missing.len(),
            first_few(&missing)
        ));
    }
    let candidates: Vec<usize> = match &args.candidates {
        Some(path) => {
            let names = expression::read_gene_list(path)?;
            let mut found = Vec::new();
            let mut absent = Vec::new();
            for n in &names {
                match model.gene_index(n) {
                    Some(g) => found.push(g),
                    None => absent.push(n.clone()),
                }
            }
            if found.is_empty() {
                bail!(
                    "{}: none of the {} candidates is a gene of the expression matrix (first: {})",
                    path.display(),
                    names.len(),
                    first_few(&names)
                );
            }
            if !absent.is_empty() {
                warn(&format!(
                    "{} candidate(s) in {} are not (varying) genes of the expression matrix and \
                     are skipped ({})",
                    absent.len(),
                    path.display(),
                    first_few(&absent)
                ));
            }
            found
        }
        None => {
            let regulating = model.regulating_genes();
            match &loaded.regulators {
                Regulators::All => regulating,
                Regulators::Only(tfs) => tfs
                    .iter()
                    .copied()
                    .filter(|g| regulating.binary_search(g).is_ok())
                    .collect(),
            }
        }
    };
    if candidates.is_empty() {
        bail!("no candidate to screen: no gene has a target in the network model");
    }
    let params = ScreenParams {
        factor: args.factor,
        pairs: args.pairs,
        pair_top: args.top,
        top_genes: args.top_genes,
        ..ScreenParams::default()
    };
    let predictor = args.model.predictor(&loaded, global)?;
    let bar = Bar::new(global);
    let hits = screen(&predictor, &signature, &candidates, &params, &bar)?;
    bar.finish();
    save_ranking(&hits, model.genes(), &args.output)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    info(
        global,
        &format!(
            "screened {} candidate(s){} against {} signature genes; best {} (score {:.3}); \
             ranking written to {} in {:.1} s",
            candidates.len(),
            if args.pairs {
                " and their best pairs"
            } else {
                ""
            },
            signature.genes().len(),
            hits[0].perturbation.label(model.genes()),
            hits[0].score,
            args.output.display(),
            started.elapsed().as_secs_f64()
        ),
    );
    Ok(())
}
