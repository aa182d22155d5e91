//! Networks: the scored edge list every method produces ([`EdgeTable`]), the
//! regulatory graph built from it ([`GeneNetwork`]) with a [`Cut`], summarised by
//! [`stats`], and [`read`], the one way a network file comes in (TSV, arboreto
//! adjacencies, GraphML, SIF).

mod blocks;
mod cut;
mod edges;
pub(crate) mod format;
mod graph;
mod read;
pub mod stats;

pub use blocks::{Block, BlockError, BlockPlan, CoupledBlock, Factors, feedback_blocks};
pub use cut::{Cut, CutError};
pub use edges::{Edge, EdgeTable, EdgeTableError, Sign};
pub use format::Format;
pub(crate) use graph::RawEdge;
pub use graph::{Gene, GeneNetwork, NetworkError, Regulation};
pub use read::{ReadError, ReadOptions, read, read_edges};
