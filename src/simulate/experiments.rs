//! Experiments on a [`Model`]: the data sets GeneNetWeaver produces for DREAM4, plus
//! stochastic single-cell snapshots.
//!
//! - Multifactorial steady states (DREAM4): every gene's basal activation is shifted
//!   by `δ ~ N(0, σ)` (GeneNetWeaver's `multifactorialAllGenesWeak`, σ = 0.33), or
//!   only a random fraction of genes when `perturbed_fraction < 1`.
//! - Single-gene knockouts (transcription 0), knockdowns (×0.5, DREAM4) and
//!   over-expression (×2, GeneNetWeaver's settings file: +100%), each to steady
//!   state, plus the wild type.
//! - Time series from random initial conditions (levels uniform in [0, 1]), 21 points
//!   over 1000 minutes as DREAM4, integrated with Dormand-Prince.
//! - Stochastic snapshots: the chemical Langevin equation (Gillespie 2000) integrated
//!   by Euler-Maruyama from the wild type, `dx = (P - λx) dt + q (√P dW₁ - √(λx) dW₂)`,
//!   with GeneNetWeaver's noise coefficient q = 0.05, step 1 min and duration 100 min
//!   (`noiseCoefficientSDE`, `timeStepSDE`, `mintSDE`); an optional count layer
//!   samples UMI-like counts (Poisson or negative binomial, log-normal library sizes
//!   and SERGIO's logistic dropout; Dibaeinia & Sinha 2020).
//!
//! Samples run in parallel (rayon); sample `i` of an experiment draws from
//! `random::stream(experiment seed, i)`, so output does not depend on the number of
//! threads. Steady states cost what [`super::steady`] says per sample; snapshots
//! O(steps × E) per cell; time series O(steps × E) per series.

use rand::Rng as _;
use rand_distr::{Distribution, Gamma, LogNormal, Normal, Poisson, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::Progress;
use crate::random;

use super::SimulateError;
use super::kinetics::{Applied, KineticPerturbation, Model};
use super::ode::{self, OdeOptions, OdeStop};
use super::steady::{SteadyParams, SteadyState};

/// What to simulate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentParams {
    /// Multifactorial steady-state samples (`expression.tsv`).
    pub samples: usize,
    /// Standard deviation of the basal-activation shifts (GeneNetWeaver's
    /// `multifactorialStdev`, 0.33).
    pub multifactorial_sd: f64,
    /// Fraction of genes shifted in each sample (1: all, as DREAM4's steady states).
    pub perturbed_fraction: f64,
    /// Single-gene knockouts.
    pub knockouts: bool,
    /// Single-gene knockdowns.
    pub knockdowns: bool,
    /// Transcription factor of a knockdown (DREAM4: 0.5).
    pub knockdown_factor: f64,
    /// Single-gene over-expression.
    pub overexpression: bool,
    /// Transcription factor of an over-expression (GeneNetWeaver's settings: +100%).
    pub overexpression_factor: f64,
    /// Number of time series.
    pub time_series: usize,
    /// Points per time series, including t = 0 (DREAM4: 21).
    pub time_points: usize,
    /// Length of a time series in minutes (DREAM4: 1000).
    pub duration: f64,
    /// Stochastic single-cell snapshots.
    pub cells: usize,
    /// Langevin noise coefficient q (GeneNetWeaver: 0.05).
    pub noise_amplitude: f64,
    /// Euler-Maruyama step in minutes (GeneNetWeaver: 1).
    pub sde_step: f64,
    /// Simulated minutes from the wild type to the snapshot (GeneNetWeaver: 100).
    pub sde_time: f64,
    /// Count layer on the snapshots.
    pub counts: Option<CountParams>,
    /// Standard deviation of Gaussian measurement noise added to steady states and
    /// time series (values then floored at 0); 0 writes exact model values.
    pub measurement_noise: f64,
    /// Steady-state solver settings.
    pub steady: SteadyParams,
}

impl Default for ExperimentParams {
    fn default() -> Self {
        ExperimentParams {
            samples: 100,
            multifactorial_sd: 0.33,
            perturbed_fraction: 1.0,
            knockouts: false,
            knockdowns: false,
            knockdown_factor: 0.5,
            overexpression: false,
            overexpression_factor: 2.0,
            time_series: 0,
            time_points: 21,
            duration: 1000.0,
            cells: 0,
            noise_amplitude: 0.05,
            sde_step: 1.0,
            sde_time: 100.0,
            counts: None,
            measurement_noise: 0.0,
            steady: SteadyParams::default(),
        }
    }
}

impl ExperimentParams {
    /// Checks every setting.
    pub fn validate(&self) -> Result<(), SimulateError> {
        let bad = |m: String| Err(SimulateError::Param(m));
        let finite_nonneg = |v: f64| v.is_finite() && v >= 0.0;
        if !finite_nonneg(self.multifactorial_sd) {
            return bad(format!(
                "multifactorial sd must be finite and non-negative, got {}",
                self.multifactorial_sd
            ));
        }
        if !(0.0..=1.0).contains(&self.perturbed_fraction) {
            return bad(format!(
                "`perturbed_fraction` must be in [0, 1], got {}",
                self.perturbed_fraction
            ));
        }
        if !(finite_nonneg(self.knockdown_factor) && self.knockdown_factor < 1.0) {
            return bad(format!(
                "`knockdown_factor` must be in [0, 1), got {}",
                self.knockdown_factor
            ));
        }
        if !(self.overexpression_factor.is_finite() && self.overexpression_factor > 1.0) {
            return bad(format!(
                "`overexpression_factor` must be greater than 1, got {}",
                self.overexpression_factor
            ));
        }
        if self.time_series > 0 {
            if self.time_points < 2 {
                return bad(format!(
                    "`time_points` must be at least 2, got {}",
                    self.time_points
                ));
            }
            if !(self.duration.is_finite() && self.duration > 0.0) {
                return bad(format!(
                    "`duration` must be positive, got {}",
                    self.duration
                ));
            }
        }
        if self.cells > 0 {
            if !finite_nonneg(self.noise_amplitude) {
                return bad(format!(
                    "`noise_amplitude` must be finite and non-negative, got {}",
                    self.noise_amplitude
                ));
            }
            if !(self.sde_step.is_finite() && self.sde_step > 0.0 && finite_nonneg(self.sde_time)) {
                return bad(
                    "the Langevin step must be positive and its duration non-negative".into(),
                );
            }
        }
        if let Some(c) = &self.counts {
            if self.cells == 0 {
                return bad("a count layer needs `single_cell` N cells".into());
            }
            c.validate()?;
        }
        if !finite_nonneg(self.measurement_noise) {
            return bad(format!(
                "`measurement_noise` must be finite and non-negative, got {}",
                self.measurement_noise
            ));
        }
        self.steady.validate()
    }
}

/// Distribution of counts given their expected value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CountModel {
    /// Poisson sampling (UMI counts of droplet protocols are close to Poisson for a
    /// fixed expression: Svensson 2020).
    #[default]
    Poisson,
    /// Gamma-Poisson with the dispersion of [`CountParams::dispersion`].
    NegativeBinomial,
}

/// The single-cell count layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountParams {
    /// Poisson or negative binomial.
    pub model: CountModel,
    /// Negative-binomial dispersion φ (variance μ + φμ²).
    pub dispersion: f64,
    /// Median total count per cell (a typical droplet library: 5000 UMIs).
    pub library_size: f64,
    /// Standard deviation of log library size (SERGIO's `lib_size_effect`: 0.4).
    pub library_sd: f64,
    /// Logistic dropout, when set.
    pub dropout: Option<Dropout>,
}

impl CountParams {
    /// Defaults with the given count model.
    pub fn new(model: CountModel) -> Self {
        CountParams {
            model,
            dispersion: 0.1,
            library_size: 5000.0,
            library_sd: 0.4,
            dropout: None,
        }
    }

    /// Largest median library size: counts are written as 32-bit integers, and
    /// real droplet libraries hold 10^3-10^5 UMIs per cell.
    pub const MAX_LIBRARY_SIZE: f64 = 1e9;

    fn validate(&self) -> Result<(), SimulateError> {
        let ok = self.dispersion.is_finite()
            && self.dispersion > 0.0
            && self.library_size.is_finite()
            && self.library_size > 0.0
            && self.library_sd.is_finite()
            && self.library_sd >= 0.0;
        if !ok {
            return Err(SimulateError::Param(
                "count dispersion and library size must be positive, library sd non-negative"
                    .into(),
            ));
        }
        if self.library_size > Self::MAX_LIBRARY_SIZE {
            return Err(SimulateError::Param(format!(
                "`library_size` {:e} is above {:e}: counts are 32-bit integers, and real \
                 droplet libraries hold 1e3-1e5 UMIs per cell",
                self.library_size,
                Self::MAX_LIBRARY_SIZE
            )));
        }
        if let Some(d) = &self.dropout
            && !(d.shape.is_finite() && d.shape > 0.0 && (0.0..=100.0).contains(&d.percentile))
        {
            return Err(SimulateError::Param(format!(
                "dropout shape must be positive and percentile in [0, 100], got {} and {}",
                d.shape, d.percentile
            )));
        }
        Ok(())
    }
}

/// SERGIO's dropout: an entry with expected count μ is kept with probability
/// `1 / (1 + exp(-shape (ln(μ+1) - m)))`, `m` the given percentile of `ln(μ+1)` over
/// the matrix (defaults of SERGIO's `dropout_indicator`: shape 1, percentile 65).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Dropout {
    /// Steepness of the logistic.
    pub shape: f64,
    /// Percentile (0-100) of log expected counts at which half the entries drop.
    pub percentile: f64,
}

impl Default for Dropout {
    fn default() -> Self {
        Dropout {
            shape: 1.0,
            percentile: 65.0,
        }
    }
}

/// Rows of one experiment: names and values, `None` for a sample that did not
/// converge.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Samples {
    /// One name per row.
    pub names: Vec<String>,
    /// One row per sample, one value per gene.
    pub rows: Vec<Option<Vec<f64>>>,
}

/// A sample whose steady state was not reached.
#[derive(Debug, Clone, PartialEq)]
pub struct Unconverged {
    /// Which experiment (`multifactorial`, `knockouts`, ...).
    pub experiment: &'static str,
    /// Which sample.
    pub sample: String,
    /// Genes above tolerance, with their residuals.
    pub genes: Vec<(usize, f64)>,
}

/// Everything one run produced.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Simulation {
    /// The unperturbed steady state (one row).
    pub wild_type: Samples,
    /// Multifactorial steady states.
    pub multifactorial: Samples,
    /// One row per gene knocked out, in gene order.
    pub knockouts: Option<Samples>,
    /// One row per gene knocked down.
    pub knockdowns: Option<Samples>,
    /// One row per gene over-expressed.
    pub overexpression: Option<Samples>,
    /// Time-series points (`s<series>_t<minute>`).
    pub time_series: Option<Samples>,
    /// Stochastic snapshots (mRNA levels).
    pub cells: Option<Samples>,
    /// Counts of the snapshots, cells x genes.
    pub counts: Option<Vec<Vec<u32>>>,
    /// Samples that did not reach steady state (their rows are `None`).
    pub unconverged: Vec<Unconverged>,
}

// Stream tags: each experiment draws from its own family of streams.
const MULTIFACTORIAL: u64 = 101;
const TIME_SERIES: u64 = 102;
const CELLS: u64 = 103;
const COUNTS: u64 = 104;
const NOISE: u64 = 105;

fn sub_seed(seed: u64, tag: u64) -> u64 {
    random::stream(seed, tag).random()
}

/// Runs every experiment `params` asks for.
pub fn run(
    model: &Model,
    params: &ExperimentParams,
    seed: u64,
    progress: &dyn Progress,
) -> Result<Simulation, SimulateError> {
    params.validate()?;
    let n = model.n_genes();
    let names = model.gene_names();
    let mut sim = Simulation::default();

    let wt = model.wild_type().clone();
    let noise_seed = sub_seed(seed, NOISE);
    sim.wild_type = collect(
        "wildtype",
        vec![("wildtype".to_string(), wt.clone())],
        params.measurement_noise,
        noise_seed,
        0,
        &mut sim.unconverged,
    );

    if params.samples > 0 {
        progress.start("multifactorial", params.samples as u64);
        let mf_seed = sub_seed(seed, MULTIFACTORIAL);
        let states: Vec<(String, SteadyState)> = (0..params.samples)
            .into_par_iter()
            .map(|s| {
                let mut rng = random::stream(mf_seed, s as u64);
                let delta = multifactorial_shift(n, params, &mut rng);
                let state = model
                    .solve_unchecked(&KineticPerturbation::basal_shift(&delta), &params.steady);
                progress.advance(1);
                (format!("S{}", s + 1), state)
            })
            .collect();
        sim.multifactorial = collect(
            "multifactorial",
            states,
            params.measurement_noise,
            noise_seed,
            1,
            &mut sim.unconverged,
        );
    }

    let single =
        |what: &'static str, factor: f64, offset: u64, unconverged: &mut Vec<Unconverged>| {
            progress.start(what, n as u64);
            let states: Vec<(String, SteadyState)> = (0..n)
                .into_par_iter()
                .map(|g| {
                    let state = model
                        .solve_unchecked(&KineticPerturbation::scale(g, factor), &params.steady);
                    progress.advance(1);
                    (names[g].clone(), state)
                })
                .collect();
            collect(
                what,
                states,
                params.measurement_noise,
                noise_seed,
                offset,
                unconverged,
            )
        };
    // Noise streams: row r of experiment k uses stream (noise seed, k * 2^40 + r).
    if params.knockouts {
        sim.knockouts = Some(single("knockouts", 0.0, 2, &mut sim.unconverged));
    }
    if params.knockdowns {
        sim.knockdowns = Some(single(
            "knockdowns",
            params.knockdown_factor,
            3,
            &mut sim.unconverged,
        ));
    }
    if params.overexpression {
        sim.overexpression = Some(single(
            "overexpression",
            params.overexpression_factor,
            4,
            &mut sim.unconverged,
        ));
    }

    if params.time_series > 0 {
        progress.start("time series", params.time_series as u64);
        let ts_seed = sub_seed(seed, TIME_SERIES);
        let series: Vec<Result<Vec<Row>, SimulateError>> = (0..params.time_series)
            .into_par_iter()
            .map(|s| {
                let mut rng = random::stream(ts_seed, s as u64);
                let r = time_series(model, params, s, &mut rng);
                progress.advance(1);
                r
            })
            .collect();
        let mut samples = Samples::default();
        for rows in series {
            for (name, values) in rows? {
                samples.names.push(name);
                samples.rows.push(Some(values));
            }
        }
        add_noise(&mut samples, params.measurement_noise, noise_seed, 5);
        sim.time_series = Some(samples);
    }

    if params.cells > 0 {
        progress.start("cells", params.cells as u64);
        let cell_seed = sub_seed(seed, CELLS);
        let rows: Vec<Vec<f64>> = (0..params.cells)
            .into_par_iter()
            .map(|c| {
                let mut rng = random::stream(cell_seed, c as u64);
                let x = langevin(model, &wt.values, params, &mut rng);
                progress.advance(1);
                x
            })
            .collect();
        if let Some(counts) = &params.counts {
            sim.counts = Some(count_layer(&rows, counts, sub_seed(seed, COUNTS)));
        }
        sim.cells = Some(Samples {
            names: (1..=params.cells).map(|c| format!("C{c}")).collect(),
            rows: rows.into_iter().map(Some).collect(),
        });
    }
    Ok(sim)
}

/// DREAM4's multifactorial shift of basal activations.
fn multifactorial_shift(n: usize, params: &ExperimentParams, rng: &mut random::Rng) -> Vec<f64> {
    let normal = Normal::new(0.0, params.multifactorial_sd).expect("validated sd");
    (0..n)
        .map(|_| {
            let d = normal.sample(rng);
            if params.perturbed_fraction >= 1.0 || rng.random::<f64>() < params.perturbed_fraction {
                d
            } else {
                0.0
            }
        })
        .collect()
}

/// Turns steady states into rows, recording the ones that did not converge.
fn collect(
    experiment: &'static str,
    states: Vec<(String, SteadyState)>,
    noise: f64,
    noise_seed: u64,
    offset: u64,
    unconverged: &mut Vec<Unconverged>,
) -> Samples {
    let mut samples = Samples::default();
    for (name, state) in states {
        if state.converged() {
            samples.rows.push(Some(state.values));
        } else {
            unconverged.push(Unconverged {
                experiment,
                sample: name.clone(),
                genes: state.unconverged,
            });
            samples.rows.push(None);
        }
        samples.names.push(name);
    }
    add_noise(&mut samples, noise, noise_seed, offset);
    samples
}

/// Gaussian measurement noise, floored at zero; row `r` of experiment `offset` draws
/// from its own stream.
fn add_noise(samples: &mut Samples, sd: f64, seed: u64, offset: u64) {
    if sd == 0.0 {
        return;
    }
    samples
        .rows
        .par_iter_mut()
        .enumerate()
        .for_each(|(r, row)| {
            if let Some(row) = row {
                let mut rng = random::stream(seed, (offset << 40) + r as u64);
                for v in row.iter_mut() {
                    let z: f64 = StandardNormal.sample(&mut rng);
                    *v = (*v + sd * z).max(0.0);
                }
            }
        });
}

/// A named row of values.
type Row = (String, Vec<f64>);

/// One time series from a random initial state.
fn time_series(
    model: &Model,
    params: &ExperimentParams,
    series: usize,
    rng: &mut random::Rng,
) -> Result<Vec<Row>, SimulateError> {
    let n = model.n_genes();
    let two = model.two_stage();
    let dim = if two { 2 * n } else { n };
    let mut y: Vec<f64> = (0..dim).map(|_| rng.random::<f64>()).collect();
    let applied = Applied::none(n);
    let lambda = model.degradation();
    let mu = model.protein_degradation();
    let mut production = vec![0.0; n];
    let mut rhs = |_: f64, y: &[f64], dy: &mut [f64]| {
        let regulators = if two { &y[n..] } else { &y[..n] };
        model.production(regulators, &applied, &mut production);
        for i in 0..n {
            dy[i] = production[i] - lambda[i] * y[i];
        }
        if two {
            for i in 0..n {
                dy[n + i] = mu[i] * (y[i] - y[n + i]);
            }
        }
    };
    let mut out = Vec::with_capacity(params.time_points);
    let dt = params.duration / (params.time_points - 1) as f64;
    let mut h = 0.0;
    let options = OdeOptions::default();
    for k in 0..params.time_points {
        let t = k as f64 * dt;
        if k > 0 {
            match ode::integrate(&mut rhs, &mut y, t - dt, t, &mut h, &options, |_, _, _| {
                false
            }) {
                OdeStop::Done | OdeStop::Stopped(_) => {}
                OdeStop::Failed(at) => {
                    return Err(SimulateError::Solver(format!(
                        "time series {} could not be integrated past minute {at:.1}",
                        series + 1
                    )));
                }
            }
        }
        out.push((
            format!("s{}_t{}", series + 1, fmt_time(t)),
            y[..n].iter().map(|v| v.max(0.0)).collect(),
        ));
    }
    Ok(out)
}

fn fmt_time(t: f64) -> String {
    if t.fract() == 0.0 {
        format!("{t:.0}")
    } else {
        format!("{t}")
    }
}

/// One stochastic snapshot: Euler-Maruyama on the chemical Langevin equation from
/// the wild type.
fn langevin(
    model: &Model,
    wild_type: &[f64],
    params: &ExperimentParams,
    rng: &mut random::Rng,
) -> Vec<f64> {
    let n = model.n_genes();
    let two = model.two_stage();
    let lambda = model.degradation();
    let mu = model.protein_degradation();
    let applied = Applied::none(n);
    let mut x = wild_type.to_vec();
    let mut p = wild_type.to_vec();
    let mut production = vec![0.0; n];
    let steps = (params.sde_time / params.sde_step).ceil() as usize;
    let dt = params.sde_step;
    let q = params.noise_amplitude * dt.sqrt();
    for _ in 0..steps {
        model.production(if two { &p } else { &x }, &applied, &mut production);
        for i in 0..n {
            let (z1, z2): (f64, f64) = (StandardNormal.sample(rng), StandardNormal.sample(rng));
            let degradation = lambda[i] * x[i];
            let old = x[i];
            x[i] = (old
                + (production[i] - degradation) * dt
                + q * (production[i].sqrt() * z1 - degradation.sqrt() * z2))
                .max(0.0);
            if two {
                let (z3, z4): (f64, f64) = (StandardNormal.sample(rng), StandardNormal.sample(rng));
                let made = mu[i] * old;
                let lost = mu[i] * p[i];
                p[i] = (p[i] + (made - lost) * dt + q * (made.sqrt() * z3 - lost.sqrt() * z4))
                    .max(0.0);
            }
        }
    }
    x
}

/// Samples counts from snapshot levels (see [`CountParams`]).
fn count_layer(rows: &[Vec<f64>], params: &CountParams, seed: u64) -> Vec<Vec<u32>> {
    let library = LogNormal::new(params.library_size.ln(), params.library_sd).expect("validated");
    // Expected counts per cell.
    let means: Vec<Vec<f64>> = rows
        .iter()
        .enumerate()
        .map(|(c, x)| {
            let mut rng = random::stream(seed, 2 * c as u64);
            let total: f64 = x.iter().sum();
            let size = library.sample(&mut rng);
            x.iter()
                .map(|&v| if total > 0.0 { size * v / total } else { 0.0 })
                .collect()
        })
        .collect();
    let midpoint = params.dropout.map(|d| {
        let mut logs: Vec<f64> = means.iter().flatten().map(|&m| m.ln_1p()).collect();
        logs.sort_unstable_by(f64::total_cmp);
        let k = ((d.percentile / 100.0) * (logs.len() - 1) as f64).round() as usize;
        (d, logs[k])
    });
    means
        .par_iter()
        .enumerate()
        .map(|(c, mu)| {
            let mut rng = random::stream(seed, 2 * c as u64 + 1);
            mu.iter()
                .map(|&m| {
                    if let Some((d, mid)) = midpoint {
                        let keep = 1.0 / (1.0 + (-d.shape * (m.ln_1p() - mid)).exp());
                        if rng.random::<f64>() >= keep {
                            return 0;
                        }
                    }
                    sample_count(m, params, &mut rng)
                })
                .collect()
        })
        .collect()
}

fn sample_count(mean: f64, params: &CountParams, rng: &mut random::Rng) -> u32 {
    if mean <= 0.0 {
        return 0;
    }
    let rate = match params.model {
        CountModel::Poisson => mean,
        // A dispersion so small that 1/φ overflows is Poisson.
        CountModel::NegativeBinomial => {
            let shape = 1.0 / params.dispersion;
            match Gamma::new(shape, mean / shape) {
                Ok(gamma) => gamma.sample(rng),
                Err(_) => mean,
            }
        }
    };
    if rate <= 0.0 {
        return 0;
    }
    // Beyond the sampler's range (a rate near 2^64, reachable only in a gamma tail)
    // the Poisson's relative spread is below 1e-9: the rate is the count. Counts
    // saturate at the 32-bit maximum.
    let v: f64 = Poisson::new(rate).map_or(rate, |p| p.sample(rng));
    v.min(u32::MAX as f64) as u32
}
