//! Feedback blocks: the strongly connected components of a regulatory graph (Tarjan
//! 1972), listed regulators-first. Solving a network's steady state block by block
//! in this order only ever needs the blocks already solved, so a feed-forward
//! network reduces to one gene at a time and only feedback loops need a joint solve.
//!
//! [`BlockPlan`] is that order together with, for every feedback block, the sparsity
//! pattern of its Jacobian (the diagonal plus one entry per internal edge) and the
//! pattern's symbolic sparse LU factorisation (faer), computed once and reused by
//! every numeric factorisation of the block. Perturbation prediction factorises
//! `I - W` of each linear block once; simulation factorises each Newton step's
//! Jacobian. Both fill values through [`CoupledBlock::diagonal`] and
//! [`CoupledBlock::entry`].
//!
//! O(genes + edges) for the order; the symbolic factorisations are near O(b + e) per
//! block of `b` genes and `e` internal edges for the sparse, low-fill patterns of
//! regulatory networks.

use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::sparse::linalg::lu::{LuRef, NumericLu, SymbolicLu, factorize_symbolic_lu};
use faer::sparse::{SparseColMatRef, SymbolicSparseColMat};
use faer::{Conj, MatMut, Par};
use petgraph::graph::DiGraph;

/// The blocks of the graph whose gene `t` has the regulators `regulators(t)`, in
/// topological order (a block's regulators outside it come in earlier blocks), each
/// block's genes sorted.
///
/// ```
/// // a -> b <-> c -> d
/// let regs: [&[usize]; 4] = [&[], &[0, 2], &[1], &[2]];
/// let blocks = grn::network::feedback_blocks(4, |t| regs[t].iter().copied());
/// assert_eq!(blocks, vec![vec![0], vec![1, 2], vec![3]]);
/// ```
pub fn feedback_blocks<I>(n_genes: usize, regulators: impl Fn(usize) -> I) -> Vec<Vec<usize>>
where
    I: IntoIterator<Item = usize>,
{
    let mut graph = DiGraph::<(), ()>::with_capacity(n_genes, n_genes);
    let nodes: Vec<_> = (0..n_genes).map(|_| graph.add_node(())).collect();
    for t in 0..n_genes {
        for r in regulators(t) {
            graph.add_edge(nodes[r], nodes[t], ());
        }
    }
    // Tarjan returns components in reverse topological order.
    let mut blocks: Vec<Vec<usize>> = petgraph::algo::tarjan_scc(&graph)
        .into_iter()
        .rev()
        .map(|scc| {
            let mut genes: Vec<usize> = scc.iter().map(|v| v.index()).collect();
            genes.sort_unstable();
            genes
        })
        .collect();
    blocks.shrink_to_fit();
    blocks
}

/// Why a block could not be factorised.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BlockError {
    /// The symbolic factorisation of a block's pattern failed.
    #[error("symbolic factorisation of a {genes}-gene feedback block: {detail}")]
    Symbolic {
        /// Genes in the block.
        genes: usize,
        /// faer's report.
        detail: String,
    },
    /// A block's matrix is singular.
    #[error("the {genes}-gene feedback block is singular: {detail}")]
    Singular {
        /// Genes in the block.
        genes: usize,
        /// faer's report.
        detail: String,
    },
}

/// One step of a [`BlockPlan`].
#[derive(Debug)]
pub enum Block {
    /// A gene in no feedback loop (and without a self-loop): solved alone.
    Single(usize),
    /// A feedback block: solved jointly.
    Coupled(Box<CoupledBlock>),
}

impl Block {
    /// The genes of the block, sorted.
    pub fn genes(&self) -> &[usize] {
        match self {
            Block::Single(g) => std::slice::from_ref(g),
            Block::Coupled(c) => &c.genes,
        }
    }
}

const OUTSIDE: u32 = u32::MAX;

/// A feedback block: its genes, the sparsity pattern of its Jacobian in local
/// indices (row and column `l` are `genes[l]`) and the pattern's symbolic LU.
#[derive(Debug)]
pub struct CoupledBlock {
    genes: Vec<usize>,
    pattern: SymbolicSparseColMat<usize>,
    lu: SymbolicLu<usize>,
    diagonal: Vec<u32>,
    /// `entries[entry_start[l]..entry_start[l + 1]]`: per regulator of `genes[l]`
    /// (in the order given to [`BlockPlan::new`]) the position of d(row l)/d(that
    /// regulator) in the values array, or `OUTSIDE`.
    entry_start: Vec<usize>,
    entries: Vec<u32>,
}

impl CoupledBlock {
    /// The genes, sorted.
    pub fn genes(&self) -> &[usize] {
        &self.genes
    }

    /// Number of stored entries: the length of a values array.
    pub fn n_entries(&self) -> usize {
        self.pattern.row_idx().len()
    }

    /// Position in the values array of diagonal entry `l`.
    pub fn diagonal(&self, l: usize) -> usize {
        self.diagonal[l] as usize
    }

    /// Position in the values array of row `l`'s entry for the `k`-th regulator of
    /// `genes[l]`; `None` for a regulator outside the block.
    pub fn entry(&self, l: usize, k: usize) -> Option<usize> {
        let p = self.entries[self.entry_start[l] + k];
        (p != OUTSIDE).then_some(p as usize)
    }

    /// The internal edges: (row, column, k) for the `k`-th regulator of `genes[row]`,
    /// which is `genes[column]`.
    pub fn internal_edges(&self) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
        (0..self.genes.len()).flat_map(move |l| {
            let entries = &self.entries[self.entry_start[l]..self.entry_start[l + 1]];
            entries
                .iter()
                .enumerate()
                .filter(|&(_, &p)| p != OUTSIDE)
                .map(move |(k, &p)| (l, self.column_of(p as usize), k))
        })
    }

    fn column_of(&self, position: usize) -> usize {
        let ptr = self.pattern.col_ptr();
        ptr.partition_point(|&s| s <= position) - 1
    }

    /// Factorises the block's matrix with `values` (one per entry) into `factors`.
    /// A singular matrix is an error when faer detects it; an exactly zero pivot it
    /// passes over makes [`CoupledBlock::solve`] return non-finite values, so
    /// callers check the solution.
    pub fn factorize(
        &self,
        values: &[f64],
        factors: &mut Factors,
        work: &mut MemBuffer,
    ) -> Result<(), BlockError> {
        let matrix = SparseColMatRef::new(self.pattern.as_ref(), values);
        self.lu
            .factorize_numeric_lu(
                &mut factors.0,
                matrix,
                Par::Seq,
                MemStack::new(work),
                Default::default(),
            )
            .map(|_| ())
            .map_err(|e| BlockError::Singular {
                genes: self.genes.len(),
                detail: format!("{e:?}"),
            })
    }

    /// Solves `A y = rhs` in place for the matrix `factors` holds.
    pub fn solve(&self, factors: &Factors, rhs: &mut [f64], work: &mut MemBuffer) {
        let lu = LuRef::new_unchecked(&self.lu, &factors.0);
        lu.solve_in_place_with_conj(
            Conj::No,
            MatMut::from_column_major_slice_mut(rhs, self.genes.len(), 1),
            Par::Seq,
            MemStack::new(work),
        );
    }
}

/// The numeric LU factors of one block. faer's simplicial LU keeps the sizes of
/// the first matrix it factorised, so factors are never shared across blocks.
#[derive(Debug, Default)]
pub struct Factors(NumericLu<usize, f64>);

impl Factors {
    /// Empty factors, filled by [`CoupledBlock::factorize`].
    pub fn new() -> Self {
        Factors(NumericLu::new())
    }
}

/// The blocks of a network in solving order, with the symbolic factorisation of
/// every feedback block.
#[derive(Debug)]
pub struct BlockPlan {
    blocks: Vec<Block>,
    block_of: Vec<u32>,
    scratch: StackReq,
    max_block: usize,
}

impl BlockPlan {
    /// The plan of the network whose gene `t` has the regulators `regulators(t)`
    /// (each listed once). A gene regulating itself is a feedback block of one.
    ///
    /// ```
    /// use grn::network::{Block, BlockPlan};
    /// // a -> b <-> c -> d
    /// let regs: [&[usize]; 4] = [&[], &[0, 2], &[1], &[2]];
    /// let plan = BlockPlan::new(4, |t| regs[t].iter().copied()).unwrap();
    /// assert_eq!(plan.feedback_sizes(), [2]);
    /// let Block::Coupled(bc) = &plan.blocks()[1] else { panic!() };
    /// assert_eq!(bc.genes(), [1, 2]);
    /// assert_eq!(bc.entry(0, 0), None); // a is outside the block
    /// assert!(bc.entry(0, 1).is_some()); // c -> b is inside
    /// ```
    pub fn new<I>(n_genes: usize, regulators: impl Fn(usize) -> I) -> Result<Self, BlockError>
    where
        I: IntoIterator<Item = usize>,
    {
        let sccs = feedback_blocks(n_genes, &regulators);
        let mut block_of = vec![0u32; n_genes];
        let mut local = vec![OUTSIDE; n_genes];
        let mut blocks = Vec::with_capacity(sccs.len());
        let mut scratch = StackReq::empty();
        let mut max_block = 0;
        for (b, genes) in sccs.into_iter().enumerate() {
            for &g in &genes {
                block_of[g] = b as u32;
            }
            if genes.len() == 1 && !regulators(genes[0]).into_iter().any(|r| r == genes[0]) {
                blocks.push(Block::Single(genes[0]));
                continue;
            }
            let block = CoupledBlock::new(genes, &regulators, &block_of, &mut local)?;
            scratch = scratch.or(block
                .lu
                .factorize_numeric_lu_scratch::<f64>(Par::Seq, Default::default()));
            scratch = scratch.or(block.lu.solve_in_place_scratch::<f64>(1, Par::Seq));
            max_block = max_block.max(block.genes.len());
            blocks.push(Block::Coupled(Box::new(block)));
        }
        Ok(BlockPlan {
            blocks,
            block_of,
            scratch,
            max_block,
        })
    }

    /// The blocks, regulators first.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// Index in [`BlockPlan::blocks`] of the block holding `gene`.
    pub fn block_of(&self, gene: usize) -> usize {
        self.block_of[gene] as usize
    }

    /// Sizes of the feedback blocks, largest first.
    pub fn feedback_sizes(&self) -> Vec<usize> {
        let mut sizes: Vec<usize> = self
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Coupled(c) => Some(c.genes.len()),
                Block::Single(_) => None,
            })
            .collect();
        sizes.sort_unstable_by(|a, b| b.cmp(a));
        sizes
    }

    /// Genes in the largest feedback block (0 without feedback).
    pub fn max_block(&self) -> usize {
        self.max_block
    }

    /// Scratch memory for factorising and solving any block of the plan.
    pub fn workspace(&self) -> MemBuffer {
        MemBuffer::new(self.scratch)
    }
}

impl CoupledBlock {
    /// `local` maps genes to local indices (written for this block's genes).
    fn new<I>(
        genes: Vec<usize>,
        regulators: &impl Fn(usize) -> I,
        block_of: &[u32],
        local: &mut [u32],
    ) -> Result<Self, BlockError>
    where
        I: IntoIterator<Item = usize>,
    {
        for (l, &g) in genes.iter().enumerate() {
            local[g] = l as u32;
        }
        let b = genes.len();
        let this = block_of[genes[0]];
        let inside = |r: usize| block_of[r] == this;
        // Column c holds d(row)/d(x_c): rows are c itself and c's targets in the block.
        let mut columns: Vec<Vec<usize>> = (0..b).map(|c| vec![c]).collect();
        for (l, &g) in genes.iter().enumerate() {
            for r in regulators(g) {
                if inside(r) {
                    columns[local[r] as usize].push(l);
                }
            }
        }
        let mut col_ptr = Vec::with_capacity(b + 1);
        let mut row_idx = Vec::new();
        col_ptr.push(0);
        for col in &mut columns {
            col.sort_unstable();
            col.dedup();
            row_idx.extend_from_slice(col);
            col_ptr.push(row_idx.len());
        }
        let position = |row: usize, col: usize| -> u32 {
            let (lo, hi) = (col_ptr[col], col_ptr[col + 1]);
            let k = row_idx[lo..hi]
                .binary_search(&row)
                .expect("entry is in the pattern");
            (lo + k) as u32
        };
        let mut diagonal = Vec::with_capacity(b);
        let mut entry_start = Vec::with_capacity(b + 1);
        let mut entries = Vec::new();
        entry_start.push(0);
        for (l, &g) in genes.iter().enumerate() {
            diagonal.push(position(l, l));
            entries.extend(regulators(g).into_iter().map(|r| {
                if inside(r) {
                    position(l, local[r] as usize)
                } else {
                    OUTSIDE
                }
            }));
            entry_start.push(entries.len());
        }
        let pattern = SymbolicSparseColMat::new_checked(b, b, col_ptr, None, row_idx);
        let lu = factorize_symbolic_lu(pattern.as_ref(), Default::default()).map_err(|e| {
            BlockError::Symbolic {
                genes: b,
                detail: format!("{e:?}"),
            }
        })?;
        Ok(CoupledBlock {
            genes,
            pattern,
            lu,
            diagonal,
            entry_start,
            entries,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3-gene loop a -> b -> c -> a (gains 0.5 each) and d regulating itself:
    /// `(I - W) y = e_a` solved through the plan matches the analytic inverse.
    #[test]
    fn factorised_blocks_solve_their_systems() {
        let regs: [&[usize]; 4] = [&[2], &[0], &[1], &[3, 0]];
        let plan = BlockPlan::new(4, |t| regs[t].iter().copied()).unwrap();
        assert_eq!(plan.feedback_sizes(), [3, 1]);
        assert_eq!(plan.max_block(), 3);
        let mut work = plan.workspace();
        let Block::Coupled(c) = &plan.blocks()[0] else {
            panic!("the loop comes first")
        };
        let mut values = vec![0.0; c.n_entries()];
        for l in 0..3 {
            values[c.diagonal(l)] = 1.0;
            values[c.entry(l, 0).unwrap()] -= 0.5;
        }
        let edges: Vec<_> = c.internal_edges().collect();
        assert_eq!(edges, [(0, 2, 0), (1, 0, 0), (2, 1, 0)]);
        let mut factors = Factors::new();
        c.factorize(&values, &mut factors, &mut work).unwrap();
        let mut y = vec![1.0, 0.0, 0.0];
        c.solve(&factors, &mut y, &mut work);
        // (I - W)^-1 = (I + W + W²) / (1 - 1/8).
        let expect = [1.0 / 0.875, 0.5 / 0.875, 0.25 / 0.875];
        for (a, b) in y.iter().zip(expect) {
            assert!((a - b).abs() < 1e-14, "{y:?}");
        }
        let Block::Coupled(d) = &plan.blocks()[1] else {
            panic!("a self-loop is a block")
        };
        assert_eq!(d.genes(), [3]);
        assert_eq!(d.entry(0, 1), None);
        // A singular block is never a silent finite answer: faer either reports it
        // or the solve is not finite (which both callers check).
        let singular = vec![0.0; d.n_entries()];
        let mut factors = Factors::new();
        if d.factorize(&singular, &mut factors, &mut work).is_ok() {
            let mut y = vec![1.0];
            d.solve(&factors, &mut y, &mut work);
            assert!(!y[0].is_finite(), "{y:?}");
        }
    }
}
