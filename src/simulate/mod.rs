//! Simulated expression data from known networks, with knockout truth: the
//! GeneNetWeaver (Marbach et al. 2010; Schaffter, Marbach & Floreano 2011) recipe,
//! with SERGIO-style single-cell counts (Dibaeinia & Sinha 2020) and BoolODE-style
//! mRNA-protein dynamics (Pratapa et al. 2020).
//!
//! The pieces, one submodule each:
//! - [`topology`]: a [`SignedNetwork`] from an [`EdgeTable`](crate::network::EdgeTable)
//!   with signs, or a random one (Erdos-Renyi, scale-free, modular);
//! - [`kinetics`]: the Hill-type ODE [`Model`] of every gene, with parameters drawn
//!   from GeneNetWeaver's documented ranges or given explicitly, and the
//!   [`KineticPerturbation`]s it can undergo;
//! - [`steady`]: steady states by block-triangular Newton iteration (faer sparse LU)
//!   with an ODE fallback, reporting what did not converge;
//! - [`experiments`]: DREAM4-style multifactorial, knockout, knockdown,
//!   over-expression and time-series data, and stochastic single-cell snapshots;
//! - [`output`]: the output directory.
//!
//! A model is a library value, so perturbation truth can be computed without files:
//!
//! ```
//! use grn::network::Sign;
//! use grn::simulate::{KineticParams, KineticPerturbation, Model, SignedNetwork, SteadyParams};
//! let genes: std::sync::Arc<[String]> = ["TF", "A", "B"].map(String::from).into();
//! let net = SignedNetwork::new(
//!     genes,
//!     vec![(0, 1, Sign::Activation), (0, 2, Sign::Repression)],
//! )
//! .unwrap();
//! let mut rng = grn::random::stream(1, 0);
//! let model = Model::random(&net, &KineticParams::default(), &mut rng).unwrap();
//! let wt = model.wild_type().values.clone();
//! let ko = model
//!     .steady_state(&KineticPerturbation::knockout(&[0]), &SteadyParams::default())
//!     .unwrap();
//! assert!(ko.converged());
//! assert_eq!(ko.values[0], 0.0);
//! assert!(ko.values[1] < wt[1]); // the activated target falls
//! assert!(ko.values[2] > wt[2]); // the repressed target rises
//! ```
//!
//! Cost: a random topology O(E log M); a steady state O(E) plus sparse LU of the
//! feedback blocks (see [`steady`]); everything parallel over samples.

pub mod experiments;
pub mod kinetics;
mod ode;
pub mod output;
mod state;
pub mod steady;
pub mod topology;

use serde::{Deserialize, Serialize};

use crate::Progress;
use crate::files::FileError;
use crate::random;

pub use experiments::{CountModel, CountParams, Dropout, ExperimentParams, Samples, Simulation};
pub use kinetics::{
    Combination, Gene, Input, KineticParams, KineticPerturbation, Model, ModelSpec, Range,
};
pub use steady::{KnockoutTruth, SteadyParams, SteadyState};
pub use topology::{SignedNetwork, Topology, TopologyParams};

/// Why a simulation could not run.
#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    /// A parameter is out of range; the message names it and its valid range.
    #[error("{0}")]
    Param(String),
    /// The network cannot be simulated.
    #[error("{0}")]
    Network(String),
    /// A numerical method failed where no fallback exists.
    #[error("{0}")]
    Solver(String),
    /// Writing an output file failed.
    #[error(transparent)]
    File(#[from] FileError),
    /// The output directory cannot be used.
    #[error("{0}")]
    Output(String),
}

/// Where the network of a run came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum NetworkSource {
    /// Read from a file.
    File {
        /// The path as given.
        path: String,
    },
    /// Drawn at random.
    Random(TopologyParams),
}

/// Everything that determines a run: with the same values (and, for a network file,
/// the same file) `grn simulate` writes byte-identical output. Saved as
/// `params.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulateParams {
    /// Version of grn that wrote the run.
    pub grn_version: String,
    /// Seed of every random choice.
    pub seed: u64,
    /// The network.
    pub network: NetworkSource,
    /// Kinetic parameter ranges.
    pub kinetics: KineticParams,
    /// The experiments.
    pub experiments: ExperimentParams,
}

impl SimulateParams {
    /// Defaults for a random network of `genes` genes.
    pub fn random(topology: Topology, genes: usize, seed: u64) -> Self {
        SimulateParams {
            grn_version: env!("CARGO_PKG_VERSION").to_string(),
            seed,
            network: NetworkSource::Random(TopologyParams::new(topology, genes)),
            kinetics: KineticParams::default(),
            experiments: ExperimentParams::default(),
        }
    }
}

// Stream tags of the two model-building steps.
const TOPOLOGY: u64 = 1;
const KINETICS: u64 = 2;

/// Draws the random network of `params` with stream `(seed, TOPOLOGY)`.
pub fn random_network(params: &TopologyParams, seed: u64) -> Result<SignedNetwork, SimulateError> {
    SignedNetwork::random(params, &mut random::stream(seed, TOPOLOGY))
}

/// Draws kinetic parameters for `network` with stream `(seed, KINETICS)`.
pub fn random_model(
    network: &SignedNetwork,
    params: &KineticParams,
    seed: u64,
) -> Result<Model, SimulateError> {
    Model::random(network, params, &mut random::stream(seed, KINETICS))
}

/// Builds the model of `params` (the network is `file_network` for a
/// [`NetworkSource::File`]) and runs its experiments.
pub fn simulate(
    params: &SimulateParams,
    file_network: Option<&SignedNetwork>,
    progress: &dyn Progress,
) -> Result<(Model, Simulation), SimulateError> {
    // Each step checks its own settings once, before any work of its own: the
    // topology as the network is drawn, the kinetics as the model is, the
    // experiments before the wild type is solved.
    let network = match (&params.network, file_network) {
        (NetworkSource::Random(t), _) => random_network(t, params.seed)?,
        (NetworkSource::File { .. }, Some(net)) => net.clone(),
        (NetworkSource::File { path }, None) => {
            return Err(SimulateError::Network(format!(
                "the network of {path} was not given"
            )));
        }
    };
    let model = random_model(&network, &params.kinetics, params.seed)?;
    let sim = experiments::run(&model, &params.experiments, params.seed, progress)?;
    Ok((model, sim))
}
