//! Networks: the scored edge list every method produces ([`EdgeTable`]).

mod edges;

pub use edges::{Edge, EdgeTable, EdgeTableError, Sign};
