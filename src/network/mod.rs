//! Networks: the scored edge list every method produces ([`EdgeTable`]), and the
//! regulatory graph built from it ([`GeneNetwork`]) with a [`Cut`], summarised by
//! [`stats`].

mod blocks;
mod cut;
mod edges;
mod graph;
pub mod stats;

pub use blocks::{Block, BlockError, BlockPlan, CoupledBlock, Factors, feedback_blocks};
pub use cut::{Cut, CutError};
pub use edges::{Edge, EdgeTable, EdgeTableError, Sign};
pub(crate) use graph::RawEdge;
pub use graph::{Gene, GeneNetwork, NetworkError, Regulation};
