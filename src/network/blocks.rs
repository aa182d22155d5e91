//! Feedback blocks: the strongly connected components of a regulatory graph (Tarjan
//! 1972), listed regulators-first. Solving a network's steady state block by block
//! in this order only ever needs the blocks already solved, so a feed-forward
//! network reduces to one gene at a time and only feedback loops need a joint solve.
//!
//! O(genes + edges).

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
