//! `grn simulate`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;

use grn::network::{self, Sign};
use grn::simulate::{
    self, Combination, CountModel, CountParams, Dropout, ExperimentParams, KineticParams,
    NetworkSource, SignedNetwork, SimulateParams, Topology, TopologyParams, output,
};

use super::{Bar, Global, info, warn};

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Network to simulate: a TSV edge list (regulator, target, score) with an
    /// optional `sign` column (+, -, 0), such as a `gold.tsv` of an earlier run.
    /// Edges without a sign get one at random (half repressions, as GeneNetWeaver).
    #[arg(long, value_name = "FILE", conflicts_with_all = [
        "genes", "topology", "regulators", "mean_degree", "repressor_fraction",
        "hub_exponent", "modules", "within_module",
    ])]
    network: Option<PathBuf>,
    /// Number of genes of a random network (named G1 ... GN).
    #[arg(long, value_name = "N", required_unless_present = "network")]
    genes: Option<usize>,
    /// Random network family.
    #[arg(long, default_value_t = Topology::ScaleFree)]
    topology: Topology,
    /// Number of regulators (default: 10% of the genes).
    #[arg(long, value_name = "M")]
    regulators: Option<usize>,
    /// Mean number of regulators per gene (DREAM4 size-100 networks: 2).
    #[arg(long, value_name = "D", default_value_t = TopologyParams::DREAM4_MEAN_DEGREE)]
    mean_degree: f64,
    /// Fraction of edges that are repressions.
    #[arg(long, value_name = "F", default_value_t = TopologyParams::REPRESSOR_FRACTION)]
    repressor_fraction: f64,
    /// Power-law exponent of regulator out-degrees (scale-free, modular).
    #[arg(long, value_name = "GAMMA", default_value_t = TopologyParams::HUB_EXPONENT)]
    hub_exponent: f64,
    /// Number of modules (modular).
    #[arg(long, value_name = "K", default_value_t = 10)]
    modules: usize,
    /// Probability that an edge stays inside its module (modular).
    #[arg(long, value_name = "P", default_value_t = 0.9)]
    within_module: f64,

    /// How a gene combines its regulators' Hill terms.
    #[arg(long, default_value_t = Combination::Additive)]
    combination: Combination,
    /// Model proteins: regulators act through a translated protein stage (changes
    /// time series and noise, not steady states).
    #[arg(long)]
    two_stage: bool,

    /// Multifactorial steady-state samples written to expression.tsv (default: one
    /// per gene, as GeneNetWeaver; 0 for none).
    #[arg(long, value_name = "N")]
    samples: Option<usize>,
    /// Standard deviation of the multifactorial basal-activation shifts.
    #[arg(long, value_name = "SD", default_value_t = ExperimentParams::default().multifactorial_sd)]
    multifactorial_sd: f64,
    /// Fraction of genes shifted in each multifactorial sample (1: all, as DREAM4).
    #[arg(long, value_name = "F", default_value_t = 1.0)]
    perturbed_fraction: f64,
    /// Write single-gene knockouts (knockouts.tsv).
    #[arg(long)]
    knockouts: bool,
    /// Write single-gene knockdowns (knockdowns.tsv).
    #[arg(long)]
    knockdowns: bool,
    /// Transcription factor of a knockdown.
    #[arg(long, value_name = "F", default_value_t = ExperimentParams::default().knockdown_factor)]
    knockdown_factor: f64,
    /// Write single-gene over-expression (overexpression.tsv).
    #[arg(long)]
    overexpression: bool,
    /// Transcription factor of an over-expression.
    #[arg(long, value_name = "F", default_value_t = ExperimentParams::default().overexpression_factor)]
    overexpression_factor: f64,
    /// Time series from random initial conditions (timeseries.tsv).
    #[arg(long, value_name = "N", default_value_t = 0)]
    time_series: usize,
    /// Points per time series, including time 0.
    #[arg(long, value_name = "N", default_value_t = ExperimentParams::default().time_points)]
    time_points: usize,
    /// Length of each time series (minutes).
    #[arg(long, value_name = "MIN", default_value_t = ExperimentParams::default().duration)]
    duration: f64,
    /// Stochastic single-cell snapshots (chemical Langevin) from the wild type
    /// (singlecell.tsv).
    #[arg(long, value_name = "CELLS", default_value_t = 0)]
    single_cell: usize,
    /// Langevin noise coefficient.
    #[arg(long, value_name = "Q", default_value_t = ExperimentParams::default().noise_amplitude)]
    noise_amplitude: f64,
    /// Sample counts from the snapshots (counts.tsv).
    #[arg(long, value_name = "MODEL")]
    counts: Option<CountArg>,
    /// Negative-binomial dispersion (variance mu + phi mu^2).
    #[arg(long, value_name = "PHI", default_value_t = CountParams::new(CountModel::Poisson).dispersion)]
    dispersion: f64,
    /// Median total count per cell.
    #[arg(long, value_name = "N", default_value_t = CountParams::new(CountModel::Poisson).library_size)]
    library_size: f64,
    /// Add SERGIO's logistic dropout to the counts.
    #[arg(long, requires = "counts")]
    dropout: bool,
    /// Gaussian measurement noise (sd) added to steady states and time series.
    #[arg(long, value_name = "SD", default_value_t = 0.0)]
    measurement_noise: f64,

    /// Random seed; the same seed gives byte-identical output.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output directory (created if missing).
    #[arg(long, short, value_name = "DIR")]
    output: PathBuf,
    /// Run even when the simulated values would take more than 2 GB of memory.
    #[arg(long)]
    allow_large: bool,
}

/// Simulated values held at once above which a run needs --allow-large: 2^28
/// values of 8 bytes, 2 GB, more than a laptop spares and hours of ODE solving
/// (our choice: a guard against a typo such as an extra zero in --genes).
const LARGE_VALUES: f64 = (1u64 << 28) as f64;

/// Values a run holds: every sample, knockout, time point and cell is one value
/// per gene, and the model holds a handful of kinetic parameters per gene and edge.
fn simulated_values(n_genes: usize, n_edges: usize, e: &ExperimentParams) -> f64 {
    let n = n_genes as f64;
    let model = 8.0 * (n + n_edges as f64);
    let singles = [e.knockouts, e.knockdowns, e.overexpression]
        .iter()
        .filter(|&&b| b)
        .count() as f64;
    let counts = if e.counts.is_some() { 2.0 } else { 1.0 };
    model
        + n * (1.0
            + e.samples as f64
            + singles * n
            + e.time_series as f64 * e.time_points as f64
            + counts * e.cells as f64)
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum CountArg {
    Poisson,
    NegativeBinomial,
}

pub fn run(args: SimulateArgs, global: &Global) -> Result<()> {
    grn::files::check_output_dir(&args.output)?;
    let started = Instant::now();
    let file_network = match &args.network {
        Some(path) => {
            let table = network::read_edges(path, None)?;
            let net = SignedNetwork::from_edge_table(&table)
                .with_context(|| format!("cannot simulate {}", path.display()))?;
            let unsigned = net.edges().filter(|e| e.2 == Sign::Unknown).count();
            if unsigned > 0 {
                warn(&format!(
                    "{unsigned} of {} edges in {} have no sign; each becomes an activation \
                     or a repression at random (see gold.tsv for the signs used)",
                    net.n_edges(),
                    path.display()
                ));
            }
            Some(net)
        }
        None => None,
    };
    let network = match &args.network {
        Some(path) => NetworkSource::File {
            path: path.display().to_string(),
        },
        None => NetworkSource::Random(TopologyParams {
            topology: args.topology,
            genes: args.genes.expect("clap requires --genes without --network"),
            regulators: args.regulators,
            mean_degree: args.mean_degree,
            repressor_fraction: args.repressor_fraction,
            hub_exponent: args.hub_exponent,
            modules: args.modules,
            within_module: args.within_module,
        }),
    };
    let n_genes = match (&file_network, &network) {
        (Some(net), _) => net.n_genes(),
        (None, NetworkSource::Random(t)) => t.genes,
        (None, NetworkSource::File { .. }) => unreachable!("a file network was read"),
    };
    let defaults = ExperimentParams::default();
    let counts = args.counts.map(|c| {
        let mut p = CountParams::new(match c {
            CountArg::Poisson => CountModel::Poisson,
            CountArg::NegativeBinomial => CountModel::NegativeBinomial,
        });
        p.dispersion = args.dispersion;
        p.library_size = args.library_size;
        p.dropout = args.dropout.then(Dropout::default);
        p
    });
    let params = SimulateParams {
        grn_version: env!("CARGO_PKG_VERSION").to_string(),
        seed: args.seed,
        network,
        kinetics: KineticParams {
            two_stage: args.two_stage,
            ..KineticParams::gnw(args.combination)
        },
        experiments: ExperimentParams {
            samples: args.samples.unwrap_or(n_genes),
            multifactorial_sd: args.multifactorial_sd,
            perturbed_fraction: args.perturbed_fraction,
            knockouts: args.knockouts,
            knockdowns: args.knockdowns,
            knockdown_factor: args.knockdown_factor,
            overexpression: args.overexpression,
            overexpression_factor: args.overexpression_factor,
            time_series: args.time_series,
            time_points: args.time_points,
            duration: args.duration,
            cells: args.single_cell,
            noise_amplitude: args.noise_amplitude,
            counts,
            measurement_noise: args.measurement_noise,
            ..defaults
        },
    };
    let n_edges = match (&file_network, &params.network) {
        (Some(net), _) => net.n_edges(),
        (None, NetworkSource::Random(t)) => t.n_edges(),
        (None, NetworkSource::File { .. }) => unreachable!("a file network was read"),
    };
    let values = simulated_values(n_genes, n_edges, &params.experiments);
    if values > LARGE_VALUES && !args.allow_large {
        bail!(
            "this run would simulate about {values:.2e} values ({:.1} GB of memory, and \
             comparably long ODE solving) for {n_genes} genes; use fewer --genes, --samples, \
             --single-cell or time points, or pass --allow-large to run it anyway",
            values * 8.0 / 1e9
        );
    }
    let bar = Bar::new(global);
    let (model, sim) = simulate::simulate(&params, file_network.as_ref(), &bar)?;
    bar.finish();
    let written = output::write_dir(&args.output, &params, &model, &sim)
        .with_context(|| format!("cannot write the simulation to {}", args.output.display()))?;
    if !sim.unconverged.is_empty() {
        let samples: Vec<String> = sim
            .unconverged
            .iter()
            .map(|u| format!("{} {}", u.experiment, u.sample))
            .collect();
        warn(&format!(
            "{} steady state(s) were not reached and are written as NA or left out ({}); \
             see {}",
            samples.len(),
            super::first_few(&samples),
            args.output.join("unconverged.tsv").display()
        ));
    }
    let blocks = model.feedback_blocks();
    info(
        global,
        &format!(
            "simulated {} genes, {} edges ({} feedback block(s), largest {} genes): {} \
             file(s) written to {} in {:.1} s",
            model.n_genes(),
            model.network().n_edges(),
            blocks.len(),
            blocks.first().copied().unwrap_or(0),
            written.len(),
            args.output.display(),
            started.elapsed().as_secs_f64()
        ),
    );
    Ok(())
}
