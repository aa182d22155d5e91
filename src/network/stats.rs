//! Summary statistics of a [`GeneNetwork`]: size, degree distributions, hub
//! regulators, connected components and network motifs.
//!
//! - Hubs are ranked by out-degree (number of targets), by PageRank on the reversed
//!   graph, and by betweenness. PageRank (Brin & Page 1998; damping 0.85, tolerance
//!   and iteration cap as networkx) runs on reversed edges because influence flows
//!   from a regulator to its targets: reversed, a gene ranks high when it regulates
//!   many genes that are themselves influential, which is what "hub regulator" means;
//!   on the original edges PageRank would rank the most-regulated targets. O(E) per
//!   iteration.
//! - Betweenness is Brandes' (2001) exact algorithm on unweighted directed paths,
//!   normalised by (V-1)(V-2) as networkx does. O(V E) in the worst case, but a
//!   breadth-first search only starts from genes with targets, so in a GRN the cost
//!   is about (number of regulators) x E.
//! - Components: weakly connected (union-find) and strongly connected (Tarjan).
//! - Motifs (Milo et al. 2002; Shen-Orr et al. 2002): feed-forward loops X -> Y -> Z
//!   with X -> Z over distinct genes, split into coherent and incoherent (Mangan &
//!   Alon 2003) when all three edges are signed; feedback loops of length 1
//!   (autoregulation), 2 (mutual regulation) and 3 (directed 3-cycles), each
//!   counted once. O(sum over edges X -> Y of out-degree(Y)).
//!
//! Every number is deterministic: parallel sums of floats are reduced in a fixed
//! order, whatever the number of threads.
//!
//! ```
//! use grn::network::{GeneNetwork, Regulation, Sign, stats::{NetworkStats, StatsParams}};
//! let mut net = GeneNetwork::new();
//! for (r, t) in [("X", "Y"), ("Y", "Z"), ("X", "Z")] {
//!     net.add_regulation(r, t, Regulation::new(1.0, Sign::Activation));
//! }
//! let s = NetworkStats::compute(&net, &StatsParams::default()).unwrap();
//! assert_eq!(s.motifs.feed_forward_loops, 1);
//! assert_eq!(s.motifs.coherent_feed_forward, 1);
//! assert_eq!(s.hubs.out_degree[0].name, "X");
//! ```

use petgraph::algo::tarjan_scc;
use petgraph::unionfind::UnionFind;
use petgraph::visit::NodeIndexable;
use rayon::prelude::*;
use serde::Serialize;

use super::{GeneNetwork, Sign};

/// Parameters of [`NetworkStats::compute`].
#[derive(Debug, Clone, PartialEq)]
pub struct StatsParams {
    /// How many hub genes to list per ranking.
    pub hubs: usize,
    /// PageRank damping factor (0.85, Brin & Page 1998).
    pub damping: f64,
    /// PageRank stops when the L1 change per gene falls below this (1e-6, networkx).
    pub tolerance: f64,
    /// PageRank iteration cap (100, networkx).
    pub max_iterations: usize,
}

impl Default for StatsParams {
    fn default() -> Self {
        StatsParams {
            hubs: 10,
            damping: 0.85,
            tolerance: 1e-6,
            max_iterations: 100,
        }
    }
}

/// A statistics parameter is out of range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct StatsError(String);

impl StatsParams {
    /// Checks the ranges.
    pub fn validate(&self) -> Result<(), StatsError> {
        if !(0.0..1.0).contains(&self.damping) {
            return Err(StatsError(format!(
                "PageRank damping must be in [0, 1), got {}",
                self.damping
            )));
        }
        if self.tolerance.is_nan() || self.tolerance <= 0.0 {
            return Err(StatsError(format!(
                "PageRank tolerance must be positive, got {}",
                self.tolerance
            )));
        }
        if self.max_iterations == 0 {
            return Err(StatsError("PageRank needs at least one iteration".into()));
        }
        Ok(())
    }
}

/// Distribution of a degree over genes.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DegreeSummary {
    /// Smallest degree.
    pub min: usize,
    /// Median degree.
    pub median: f64,
    /// Mean degree.
    pub mean: f64,
    /// Largest degree.
    pub max: usize,
    /// (degree, number of genes with it), increasing degree, zero counts omitted.
    pub histogram: Vec<(usize, usize)>,
}

/// Connected components of one kind.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Components {
    /// Number of components.
    pub count: usize,
    /// Genes in the largest one.
    pub largest: usize,
    /// Components with more than one gene.
    pub non_trivial: usize,
}

/// Counts of regulatory motifs.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Motifs {
    /// X -> Y -> Z and X -> Z, three distinct genes.
    pub feed_forward_loops: u64,
    /// Feed-forward loops whose direct sign equals the product of the indirect ones.
    pub coherent_feed_forward: u64,
    /// Fully signed feed-forward loops that are not coherent.
    pub incoherent_feed_forward: u64,
    /// Autoregulation (self-loops).
    pub self_loops: u64,
    /// Pairs regulating each other.
    pub feedback_loops_2: u64,
    /// Directed cycles through three distinct genes.
    pub feedback_loops_3: u64,
}

/// One gene in a hub ranking.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Hub {
    /// Gene name.
    pub name: String,
    /// Number of targets.
    pub out_degree: usize,
    /// Number of regulators.
    pub in_degree: usize,
    /// PageRank on reversed edges.
    pub pagerank: f64,
    /// Normalised betweenness.
    pub betweenness: f64,
}

/// The top genes by each centrality.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Hubs {
    /// By out-degree (ties by PageRank, then name).
    pub out_degree: Vec<Hub>,
    /// By PageRank on reversed edges.
    pub pagerank: Vec<Hub>,
    /// By betweenness.
    pub betweenness: Vec<Hub>,
}

/// Summary statistics of a network.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NetworkStats {
    /// Genes (nodes).
    pub genes: usize,
    /// Regulations (edges).
    pub regulations: usize,
    /// Genes marked as TFs.
    pub tfs: usize,
    /// Genes with at least one target.
    pub regulators: usize,
    /// Genes with at least one regulator.
    pub targets: usize,
    /// Edges over ordered pairs of distinct genes, E / (V (V - 1)).
    pub density: f64,
    /// Edges with sign +.
    pub activations: usize,
    /// Edges with sign -.
    pub repressions: usize,
    /// Edges of unknown sign.
    pub unsigned: usize,
    /// Regulators per gene.
    pub in_degree: DegreeSummary,
    /// Targets per gene.
    pub out_degree: DegreeSummary,
    /// Weakly connected components.
    pub weak_components: Components,
    /// Strongly connected components.
    pub strong_components: Components,
    /// Motif counts.
    pub motifs: Motifs,
    /// Hub regulators.
    pub hubs: Hubs,
    /// Whether PageRank met its tolerance within the iteration cap.
    pub pagerank_converged: bool,
}

/// Compressed adjacency over dense gene positions, with edge signs.
struct Csr {
    start: Vec<usize>,
    adj: Vec<u32>,
    sign: Vec<Sign>,
}

impl Csr {
    fn row(&self, v: usize) -> &[u32] {
        &self.adj[self.start[v]..self.start[v + 1]]
    }
    fn signs(&self, v: usize) -> &[Sign] {
        &self.sign[self.start[v]..self.start[v + 1]]
    }
    fn degree(&self, v: usize) -> usize {
        self.start[v + 1] - self.start[v]
    }
}

fn csr(n: usize, edges: &[(u32, u32, Sign)], reverse: bool) -> Csr {
    let mut start = vec![0usize; n + 1];
    for &(a, b, _) in edges {
        start[if reverse { b } else { a } as usize + 1] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut adj = vec![0u32; edges.len()];
    let mut sign = vec![Sign::Unknown; edges.len()];
    for &(a, b, s) in edges {
        let (from, to) = if reverse { (b, a) } else { (a, b) };
        let slot = &mut fill[from as usize];
        adj[*slot] = to;
        sign[*slot] = s;
        *slot += 1;
    }
    Csr { start, adj, sign }
}

/// Dense positions of the nodes and the edge list over them.
fn dense(
    net: &GeneNetwork,
) -> (
    Vec<petgraph::stable_graph::NodeIndex>,
    Vec<(u32, u32, Sign)>,
) {
    let nodes: Vec<_> = net.graph().node_indices().collect();
    let mut pos = vec![0u32; net.graph().node_bound()];
    for (i, n) in nodes.iter().enumerate() {
        pos[n.index()] = i as u32;
    }
    let edges = net
        .regulations()
        .map(|(r, t, e)| (pos[r.index()], pos[t.index()], e.sign))
        .collect();
    (nodes, edges)
}

/// PageRank of every gene (node order) on the reversed edges; the flag says whether
/// it converged.
pub fn pagerank(net: &GeneNetwork, params: &StatsParams) -> (Vec<f64>, bool) {
    let (nodes, edges) = dense(net);
    let out = csr(nodes.len(), &edges, false);
    let inc = csr(nodes.len(), &edges, true);
    pagerank_csr(&out, &inc, params)
}

fn pagerank_csr(out: &Csr, inc: &Csr, params: &StatsParams) -> (Vec<f64>, bool) {
    let n = out.start.len() - 1;
    if n == 0 {
        return (Vec::new(), true);
    }
    let d = params.damping;
    let nf = n as f64;
    let mut pr = vec![1.0 / nf; n];
    // In the reversed graph a gene's out-degree is its in-degree here, and a gene
    // receives rank from its targets.
    for _ in 0..params.max_iterations {
        let dangling: f64 = (0..n).filter(|&v| inc.degree(v) == 0).map(|v| pr[v]).sum();
        let base = (1.0 - d) / nf + d * dangling / nf;
        let next: Vec<f64> = (0..n)
            .into_par_iter()
            .map(|v| {
                let flow: f64 = out
                    .row(v)
                    .iter()
                    .map(|&t| pr[t as usize] / inc.degree(t as usize) as f64)
                    .sum();
                base + d * flow
            })
            .collect();
        let change: f64 = next.iter().zip(&pr).map(|(a, b)| (a - b).abs()).sum();
        pr = next;
        if change < nf * params.tolerance {
            return (pr, true);
        }
    }
    (pr, false)
}

/// Normalised betweenness centrality of every gene (node order).
pub fn betweenness(net: &GeneNetwork) -> Vec<f64> {
    let (nodes, edges) = dense(net);
    betweenness_csr(&csr(nodes.len(), &edges, false))
}

fn betweenness_csr(out: &Csr) -> Vec<f64> {
    let n = out.start.len() - 1;
    if n < 3 {
        return vec![0.0; n];
    }
    let sources: Vec<usize> = (0..n).filter(|&s| out.degree(s) > 0).collect();
    // A fixed number of blocks, each summed sequentially and added in block order,
    // so the floating-point result does not depend on the thread count.
    const BLOCKS: usize = 64;
    let per_block = sources.len().div_ceil(BLOCKS).max(1);
    let partial: Vec<Vec<f64>> = sources
        .par_chunks(per_block)
        .map(|block| {
            let mut acc = vec![0.0; n];
            let mut sigma = vec![0.0f64; n];
            let mut dist = vec![u32::MAX; n];
            let mut delta = vec![0.0f64; n];
            let mut order: Vec<u32> = Vec::with_capacity(n);
            let mut queue = std::collections::VecDeque::new();
            for &s in block {
                for &v in &order {
                    sigma[v as usize] = 0.0;
                    dist[v as usize] = u32::MAX;
                    delta[v as usize] = 0.0;
                }
                order.clear();
                sigma[s] = 1.0;
                dist[s] = 0;
                queue.push_back(s as u32);
                while let Some(v) = queue.pop_front() {
                    order.push(v);
                    let dv = dist[v as usize];
                    for &w in out.row(v as usize) {
                        let w = w as usize;
                        if dist[w] == u32::MAX {
                            dist[w] = dv + 1;
                            queue.push_back(w as u32);
                        }
                        if dist[w] == dv + 1 {
                            sigma[w] += sigma[v as usize];
                        }
                    }
                }
                // Dependencies in order of decreasing distance: predecessors of w
                // are the v with an edge v -> w one step closer to s.
                for &v in order.iter().rev() {
                    let v = v as usize;
                    let dv = dist[v];
                    let mut dep = 0.0;
                    for &w in out.row(v) {
                        let w = w as usize;
                        if dist[w] == dv + 1 {
                            dep += sigma[v] / sigma[w] * (1.0 + delta[w]);
                        }
                    }
                    delta[v] = dep;
                    if v != s {
                        acc[v] += dep;
                    }
                }
            }
            acc
        })
        .collect();
    let scale = 1.0 / ((n - 1) * (n - 2)) as f64;
    let mut total = vec![0.0; n];
    for p in &partial {
        for (t, x) in total.iter_mut().zip(p) {
            *t += x;
        }
    }
    total.iter_mut().for_each(|t| *t *= scale);
    total
}

fn degree_summary(deg: &[usize]) -> DegreeSummary {
    if deg.is_empty() {
        return DegreeSummary {
            min: 0,
            median: 0.0,
            mean: 0.0,
            max: 0,
            histogram: Vec::new(),
        };
    }
    let mut sorted = deg.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2] as f64
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0
    };
    let mut histogram: Vec<(usize, usize)> = Vec::new();
    for &d in &sorted {
        match histogram.last_mut() {
            Some((v, c)) if *v == d => *c += 1,
            _ => histogram.push((d, 1)),
        }
    }
    DegreeSummary {
        min: sorted[0],
        median,
        mean: sorted.iter().sum::<usize>() as f64 / n as f64,
        max: sorted[n - 1],
        histogram,
    }
}

fn motifs(out: &Csr, inc: &Csr) -> Motifs {
    let n = out.start.len() - 1;
    let per_gene = |scratch: &mut (Vec<u32>, Vec<Sign>, Vec<u32>), x: usize| -> Motifs {
        let (out_mark, out_sign, in_mark) = scratch;
        let xm = x as u32;
        for (&z, &s) in out.row(x).iter().zip(out.signs(x)) {
            out_mark[z as usize] = xm;
            out_sign[z as usize] = s;
        }
        for &w in inc.row(x) {
            in_mark[w as usize] = xm;
        }
        let mut m = Motifs::default();
        for (&y, &sxy) in out.row(x).iter().zip(out.signs(x)) {
            let y = y as usize;
            if y == x {
                m.self_loops += 1;
                continue;
            }
            if y > x && in_mark[y] == xm {
                m.feedback_loops_2 += 1;
            }
            for (&z, &syz) in out.row(y).iter().zip(out.signs(y)) {
                let z = z as usize;
                if z == x || z == y {
                    continue;
                }
                if out_mark[z] == xm {
                    m.feed_forward_loops += 1;
                    let sxz = out_sign[z];
                    if sxy != Sign::Unknown && syz != Sign::Unknown && sxz != Sign::Unknown {
                        if sxz.as_f64() == sxy.as_f64() * syz.as_f64() {
                            m.coherent_feed_forward += 1;
                        } else {
                            m.incoherent_feed_forward += 1;
                        }
                    }
                }
                // Counted once, from the cycle's smallest gene.
                if y > x && z > x && in_mark[z] == xm {
                    m.feedback_loops_3 += 1;
                }
            }
        }
        m
    };
    (0..n)
        .into_par_iter()
        .map_init(
            || (vec![u32::MAX; n], vec![Sign::Unknown; n], vec![u32::MAX; n]),
            per_gene,
        )
        .reduce(Motifs::default, |a, b| Motifs {
            feed_forward_loops: a.feed_forward_loops + b.feed_forward_loops,
            coherent_feed_forward: a.coherent_feed_forward + b.coherent_feed_forward,
            incoherent_feed_forward: a.incoherent_feed_forward + b.incoherent_feed_forward,
            self_loops: a.self_loops + b.self_loops,
            feedback_loops_2: a.feedback_loops_2 + b.feedback_loops_2,
            feedback_loops_3: a.feedback_loops_3 + b.feedback_loops_3,
        })
}

impl NetworkStats {
    /// Computes every statistic.
    pub fn compute(net: &GeneNetwork, params: &StatsParams) -> Result<Self, StatsError> {
        params.validate()?;
        let (nodes, edges) = dense(net);
        let n = nodes.len();
        let out = csr(n, &edges, false);
        let inc = csr(n, &edges, true);
        let out_deg: Vec<usize> = (0..n).map(|v| out.degree(v)).collect();
        let in_deg: Vec<usize> = (0..n).map(|v| inc.degree(v)).collect();
        let (pr, converged) = pagerank_csr(&out, &inc, params);
        let btw = betweenness_csr(&out);

        let mut uf = UnionFind::<u32>::new(n);
        for &(a, b, _) in &edges {
            uf.union(a, b);
        }
        let mut sizes = vec![0usize; n];
        for v in 0..n as u32 {
            sizes[uf.find(v) as usize] += 1;
        }
        let weak = sizes.iter().filter(|&&s| s > 0);
        let weak_components = Components {
            count: weak.clone().count(),
            largest: weak.clone().copied().max().unwrap_or(0),
            non_trivial: weak.filter(|&&s| s > 1).count(),
        };
        let scc = tarjan_scc(net.graph());
        let strong_components = Components {
            count: scc.len(),
            largest: scc.iter().map(Vec::len).max().unwrap_or(0),
            non_trivial: scc.iter().filter(|c| c.len() > 1).count(),
        };

        let hub = |v: usize| Hub {
            name: net.gene(nodes[v]).name.clone(),
            out_degree: out_deg[v],
            in_degree: in_deg[v],
            pagerank: pr[v],
            betweenness: btw[v],
        };
        let name = |v: usize| &net.gene(nodes[v]).name;
        let top = |key: &dyn Fn(usize, usize) -> std::cmp::Ordering| -> Vec<Hub> {
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by(|&a, &b| key(a, b).then_with(|| name(a).cmp(name(b))));
            order.into_iter().take(params.hubs).map(hub).collect()
        };
        let hubs = Hubs {
            out_degree: top(&|a, b| out_deg[b].cmp(&out_deg[a]).then(pr[b].total_cmp(&pr[a]))),
            pagerank: top(&|a, b| pr[b].total_cmp(&pr[a])),
            betweenness: top(&|a, b| btw[b].total_cmp(&btw[a])),
        };
        let count_sign = |s: Sign| edges.iter().filter(|e| e.2 == s).count();
        Ok(NetworkStats {
            genes: n,
            regulations: edges.len(),
            tfs: net.genes().filter(|(_, g)| g.is_tf).count(),
            regulators: out_deg.iter().filter(|&&d| d > 0).count(),
            targets: in_deg.iter().filter(|&&d| d > 0).count(),
            density: if n > 1 {
                edges.len() as f64 / (n * (n - 1)) as f64
            } else {
                0.0
            },
            activations: count_sign(Sign::Activation),
            repressions: count_sign(Sign::Repression),
            unsigned: count_sign(Sign::Unknown),
            in_degree: degree_summary(&in_deg),
            out_degree: degree_summary(&out_deg),
            weak_components,
            strong_components,
            motifs: motifs(&out, &inc),
            hubs,
            pagerank_converged: converged,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::Regulation;

    fn net(edges: &[(&str, &str, Sign)]) -> GeneNetwork {
        let mut g = GeneNetwork::new();
        for &(a, b, s) in edges {
            g.add_regulation(a, b, Regulation::new(1.0, s));
        }
        g
    }

    #[test]
    fn motifs_components_and_degrees() {
        use Sign::*;
        // FFL A->B->C, A->C (coherent: + * + = +), plus an incoherent FFL
        // A->B->D with A -| D; cycle C->E->F->C; mutual pair D<->G; self-loop G.
        let g = net(&[
            ("A", "B", Activation),
            ("B", "C", Activation),
            ("A", "C", Activation),
            ("B", "D", Activation),
            ("A", "D", Repression),
            ("C", "E", Unknown),
            ("E", "F", Unknown),
            ("F", "C", Unknown),
            ("D", "G", Activation),
            ("G", "D", Activation),
            ("G", "G", Activation),
            ("X", "Y", Unknown),
        ]);
        let s = NetworkStats::compute(&g, &StatsParams::default()).unwrap();
        assert_eq!((s.genes, s.regulations), (9, 12));
        assert_eq!(s.motifs.feed_forward_loops, 2);
        assert_eq!(s.motifs.coherent_feed_forward, 1);
        assert_eq!(s.motifs.incoherent_feed_forward, 1);
        assert_eq!(s.motifs.feedback_loops_3, 1);
        assert_eq!(s.motifs.feedback_loops_2, 1);
        assert_eq!(s.motifs.self_loops, 1);
        assert_eq!(s.weak_components.count, 2);
        assert_eq!(s.weak_components.largest, 7);
        // SCCs: {C,E,F}, {D,G}, and singletons A, B, X, Y.
        assert_eq!(s.strong_components.count, 6);
        assert_eq!(s.strong_components.largest, 3);
        assert_eq!(s.strong_components.non_trivial, 2);
        assert_eq!(s.out_degree.max, 3);
        assert_eq!(s.hubs.out_degree[0].name, "A");
        assert_eq!((s.activations, s.repressions, s.unsigned), (7, 1, 4));
    }

    #[test]
    fn betweenness_on_a_path_matches_hand_computation() {
        // A -> B -> C -> D: B lies on A->C, A->D; C on A->D, B->D.
        // Normalised by (n-1)(n-2) = 6.
        let g = net(&[
            ("A", "B", Sign::Unknown),
            ("B", "C", Sign::Unknown),
            ("C", "D", Sign::Unknown),
        ]);
        let b = betweenness(&g);
        let expect = [0.0, 2.0 / 6.0, 2.0 / 6.0, 0.0];
        for (x, y) in b.iter().zip(expect) {
            assert!((x - y).abs() < 1e-12, "{b:?}");
        }
        // Two shortest paths A->D through B and C split the credit.
        let g = net(&[
            ("A", "B", Sign::Unknown),
            ("A", "C", Sign::Unknown),
            ("B", "D", Sign::Unknown),
            ("C", "D", Sign::Unknown),
        ]);
        let b = betweenness(&g);
        assert!((b[1] - 0.5 / 6.0).abs() < 1e-12 && (b[2] - 0.5 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn pagerank_ranks_regulators_and_sums_to_one() {
        // A regulates B, C, D; B regulates C. Reversed, A collects most rank.
        let g = net(&[
            ("A", "B", Sign::Unknown),
            ("A", "C", Sign::Unknown),
            ("A", "D", Sign::Unknown),
            ("B", "C", Sign::Unknown),
        ]);
        let (pr, converged) = pagerank(&g, &StatsParams::default());
        assert!(converged);
        assert!((pr.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        let best = (0..4).max_by(|&a, &b| pr[a].total_cmp(&pr[b])).unwrap();
        assert_eq!(best, 0);
        assert!(pr[1] > pr[2], "B has a target, C none: {pr:?}");
    }
}
