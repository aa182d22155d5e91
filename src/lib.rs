//! grn: gene regulatory network inference and perturbation prediction.
//!
//! The flow: an [`expression::ExpressionMatrix`] is read from a file; an
//! [`infer::Method`] scores every regulator -> target pair into a
//! [`network::EdgeTable`]; the table is scored against a gold standard
//! ([`evaluate`]), cut into a graph and exported, or used to predict the effect of
//! perturbations.
//!
//! Library code never prints: it returns values and typed errors, and reports
//! progress of long work through a [`Progress`] callback.

pub mod consensus;
pub mod evaluate;
pub mod explain;
pub mod export;
pub mod expression;
pub mod files;
pub mod infer;
pub mod mutual_info;
pub mod named;
pub mod network;
pub mod perturb;
pub mod predict;
pub mod prior;
pub mod random;
pub mod shard;
pub mod simulate;
pub mod trees;

/// Receives progress of long-running work (the CLI draws a progress bar).
/// Implementations must be cheap: `advance` is called from worker threads.
pub trait Progress: Sync {
    /// A new phase of `total` steps begins.
    fn start(&self, _what: &str, _total: u64) {}
    /// `n` more steps are done.
    fn advance(&self, _n: u64) {}
}

/// Ignores progress.
pub struct Quiet;

impl Progress for Quiet {}
