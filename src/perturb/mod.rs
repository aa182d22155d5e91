//! Perturbation prediction: in silico knockouts, knockdowns and over-expression
//! propagated through a regulatory network, and screens of candidate targets.
//!
//! The pieces, one submodule each:
//! - [`model`]: a [`ResponseModel`] fitted on expression data, one model per target
//!   gene on its top regulators in the network: ridge regression with the penalty
//!   chosen by generalised cross-validation (Golub, Heath & Wahba 1979,
//!   Technometrics 21:215) and spread over the regulators by their edges' scores
//!   (an adaptive ridge, [`WeightPrior`]), or a tree ensemble (random forest), with
//!   each target's cross-validated R²;
//! - [`propagation`]: a [`Perturbation`] applied at a [`Baseline`] and propagated by
//!   a [`Predictor`], either CellOracle's `n`-step signal propagation (Kamimoto et al.
//!   2023, Nature 614:742) or to the steady state of the fitted system, with the
//!   perturbed genes clamped;
//! - [`effects`]: per-gene [`Effects`] (baseline, predicted, delta, log2 fold change,
//!   R², strongest path from a perturbed gene);
//! - [`screen`]: ranking candidate perturbations by how well they move a
//!   [`Signature`], singly and in pairs.
//!
//! ```
//! use std::sync::Arc;
//! use grn::expression::ExpressionMatrix;
//! use grn::network::{Cut, EdgeTable, GeneNetwork, Sign};
//! use grn::perturb::{Baseline, ModelParams, Perturbation, PropagationParams, Predictor, fit};
//! // A -> B -> C, each a linear function of its regulator plus noise.
//! let n = 50;
//! let a: Vec<f32> = (0..n).map(|i| 1.0 + (i as f32 * 0.7).sin()).collect();
//! let b: Vec<f32> = a.iter().enumerate().map(|(i, v)| 0.5 * v + 0.05 * (i as f32).cos()).collect();
//! let c: Vec<f32> = b.iter().enumerate().map(|(i, v)| 2.0 * v + 0.05 * (i as f32 * 1.3).sin()).collect();
//! let values = ndarray::Array2::from_shape_vec((3, n), [a, b, c].concat()).unwrap();
//! let samples = (0..n).map(|i| format!("s{i}")).collect();
//! let matrix = ExpressionMatrix::new(vec!["A".into(), "B".into(), "C".into()], samples, values).unwrap();
//! let genes: Arc<[String]> = ["A", "B", "C"].map(String::from).into();
//! let mut table = EdgeTable::new(genes, true);
//! table.push(0, 1, 1.0, Sign::Activation);
//! table.push(1, 2, 1.0, Sign::Activation);
//! let network = GeneNetwork::from_table(&table, &Cut::default(), None).unwrap();
//!
//! let model = fit(&matrix, &network, &ModelParams::default(), &grn::Quiet).unwrap();
//! let baseline = Baseline::Mean.resolve(&matrix).unwrap();
//! let predictor = Predictor::new(&model, baseline, &PropagationParams::default()).unwrap();
//! let knockout = Perturbation::knockout(&[model.gene_index("A").unwrap()]);
//! let effects = predictor.effects(&knockout).unwrap();
//! // Knocking out A lowers B by about half of A's level and C by about twice that.
//! let c = effects.row("C").unwrap();
//! assert!(c.delta < 0.0);
//! assert_eq!(effects.path_string(c), "A>B>C");
//! ```
//!
//! Cost: fitting O(genes x (n k² + 100 k)) for the ridge models (n samples, k
//! regulators per target, 100 candidate penalties), one tree ensemble per target for
//! the forest; a prediction O(E) for E edges plus sparse triangular solves of the
//! feedback blocks (factorised once per [`Predictor`]).

pub mod attribution;
pub mod effects;
pub mod model;
pub mod propagation;
pub mod screen;

pub use effects::{Effects, GeneEffect};
pub use model::{
    Alpha, BoostingModelParams, ForestModelParams, INTERVAL_LEVELS, ModelKind, ModelParams,
    ResponseKind, ResponseModel, ValidModelParams, WeightPrior, conformal_half_width, fit,
};
pub use propagation::{
    Baseline, DampedBlock, Perturbation, Prediction, Predictor, Propagation, PropagationParams,
};
pub use screen::{Hit, ScreenParams, Signature, screen};

use crate::files::FileError;
use crate::trees::ParamError;

/// Why a model could not be fitted or a perturbation predicted.
#[derive(Debug, thiserror::Error)]
pub enum PerturbError {
    /// A parameter is out of range; the message names it and its valid range.
    #[error("{0}")]
    Param(String),
    /// A tree-ensemble parameter is out of range.
    #[error(transparent)]
    Trees(#[from] ParamError),
    /// A gene named by the user is not a gene of the expression matrix.
    #[error(
        "gene {gene:?} ({what}) is not a gene of the expression matrix; check the spelling \
         and that the matrix and network use the same gene identifiers"
    )]
    UnknownGene {
        /// The name as given.
        gene: String,
        /// Where it was named (e.g. "--knockout").
        what: String,
    },
    /// The inputs cannot give any prediction.
    #[error("{0}")]
    Input(String),
    /// A linear system could not be solved.
    #[error("{0}")]
    Solver(String),
    /// An input file could not be read.
    #[error(transparent)]
    File(#[from] FileError),
    /// A signature or candidate file is malformed at a known line.
    #[error(transparent)]
    Parse(#[from] crate::files::ParseError),
}
