//! [`GeneNetwork`]: a regulatory network as a petgraph graph of genes and scored,
//! signed regulations, with a name -> node map.
//!
//! The graph is a [`StableDiGraph`] so that node and edge indices held by callers
//! (the perturbation code keeps them across walks) stay valid if genes are removed.
//! Edges are stored in rank order (highest score first), so iterating them gives the
//! ranked edge list back. Building costs O(E log E) for the sort plus O(V + E).
//!
//! ```
//! use std::sync::Arc;
//! use grn::network::{Cut, EdgeTable, GeneNetwork, Sign};
//! let genes: Arc<[String]> = ["TF1", "TF2", "G"].map(String::from).into();
//! let mut table = EdgeTable::new(genes, true);
//! table.push(0, 2, 0.9, Sign::Activation);
//! table.push(1, 2, 0.4, Sign::Repression);
//! table.push(0, 1, 0.7, Sign::Activation);
//! let cut = Cut { per_target: Some(1), ..Cut::default() };
//! let net = GeneNetwork::from_table(&table, &cut, None).unwrap();
//! assert_eq!(net.n_regulations(), 2);
//! let g = net.node("G").unwrap();
//! let regs: Vec<_> = net.regulators(g).map(|(r, e)| (net.gene(r).name.as_str(), e.sign)).collect();
//! assert_eq!(regs, [("TF1", Sign::Activation)]);
//! ```

use std::collections::{BTreeMap, HashMap, HashSet};

use petgraph::Direction;
use petgraph::stable_graph::{EdgeIndex, NodeIndex, StableDiGraph};
use petgraph::visit::{EdgeRef, IntoEdgeReferences, NodeIndexable};

use super::cut::{Cut, CutError};
use super::{EdgeTable, Sign};

/// A gene (node of the network).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Gene {
    /// The gene's name, unique in the network.
    pub name: String,
    /// Whether the gene is a candidate regulator (transcription factor): in the TF
    /// list when one was given, otherwise a regulator of some edge of the input.
    pub is_tf: bool,
    /// Free-form annotations (e.g. read from extra GraphML node attributes).
    pub annotations: BTreeMap<String, String>,
}

/// A regulatory edge.
#[derive(Debug, Clone, PartialEq)]
pub struct Regulation {
    /// Confidence score (higher is more confident).
    pub score: f64,
    /// 1-based rank among the network's edges by score (ties broken by regulator
    /// name, then target name).
    pub rank: usize,
    /// Direction of the effect, when known.
    pub sign: Sign,
    /// The method that produced the edge, when recorded.
    pub method: Option<String>,
    /// Scores of the individual methods behind a consensus edge, by method name.
    pub method_scores: BTreeMap<String, f64>,
}

impl Regulation {
    /// An edge with only a score and a sign (rank assigned when added to a network).
    pub fn new(score: f64, sign: Sign) -> Self {
        Regulation {
            score,
            rank: 0,
            sign,
            method: None,
            method_scores: BTreeMap::new(),
        }
    }
}

/// Why a network could not be built.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// The cut's parameters are invalid.
    #[error(transparent)]
    Cut(#[from] CutError),
}

/// A gene regulatory network: genes, and regulator -> target edges in rank order.
#[derive(Debug, Clone, Default)]
pub struct GeneNetwork {
    graph: StableDiGraph<Gene, Regulation>,
    index: HashMap<String, NodeIndex>,
    signed: bool,
}

/// One edge before the network is assembled: names and attributes.
pub(crate) struct RawEdge {
    pub regulator: String,
    pub target: String,
    pub regulation: Regulation,
}

impl GeneNetwork {
    /// An empty network.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds the network of the edges of `table` that pass `cut`. Genes are marked
    /// as TFs when they are in `tfs`, or, without a list, when they regulate some
    /// edge of the table (before the cut). A pair listed twice keeps its highest
    /// score. Only genes with a kept edge become nodes.
    pub fn from_table(
        table: &EdgeTable,
        cut: &Cut,
        tfs: Option<&[String]>,
    ) -> Result<Self, NetworkError> {
        let names = table.genes();
        let is_tf: Vec<bool> = match tfs {
            Some(list) => {
                let set: HashSet<&str> = list.iter().map(String::as_str).collect();
                names.iter().map(|n| set.contains(n.as_str())).collect()
            }
            None => {
                let mut v = vec![false; names.len()];
                for e in table.iter() {
                    v[e.regulator] = true;
                }
                v
            }
        };
        cut.validate(tfs.is_some())?;
        let edges: Vec<_> = table.iter().collect();
        let kept = cut.select(
            edges.len(),
            |i| edges[i].score,
            |i| (edges[i].regulator, edges[i].target),
            |g| names[g].as_str(),
            |g| is_tf[g],
        );
        let mut net = GeneNetwork {
            signed: table.is_signed(),
            ..Default::default()
        };
        // Table gene -> node, so the names are hashed once per gene, not per edge.
        let mut node_of = vec![NodeIndex::end(); names.len()];
        let mut node = |net: &mut GeneNetwork, g: usize| {
            if node_of[g] == NodeIndex::end() {
                node_of[g] = net.add_gene_flagged(&names[g], is_tf[g]);
            }
            node_of[g]
        };
        for (rank, &i) in kept.iter().enumerate() {
            let e = edges[i];
            let r = node(&mut net, e.regulator);
            let t = node(&mut net, e.target);
            let mut reg = Regulation::new(e.score, e.sign);
            reg.rank = rank + 1;
            net.graph.add_edge(r, t, reg);
        }
        Ok(net)
    }

    /// The sub-network of the edges that pass `cut` (ranks renumbered; genes left
    /// without edges dropped). TF-only cuts use each gene's `is_tf`.
    pub fn cut(&self, cut: &Cut) -> Result<Self, NetworkError> {
        cut.validate(true)?;
        let edges: Vec<EdgeIndex> = self.graph.edge_indices().collect();
        let ends: Vec<(usize, usize)> = edges
            .iter()
            .map(|&e| {
                let (a, b) = self.graph.edge_endpoints(e).expect("edge exists");
                (a.index(), b.index())
            })
            .collect();
        let scores: Vec<f64> = edges.iter().map(|&e| self.graph[e].score).collect();
        let kept = cut.select(
            edges.len(),
            |i| scores[i],
            |i| ends[i],
            |g| self.graph[NodeIndex::new(g)].name.as_str(),
            |g| self.graph[NodeIndex::new(g)].is_tf,
        );
        let mut net = GeneNetwork {
            signed: self.signed,
            ..Default::default()
        };
        for (rank, &i) in kept.iter().enumerate() {
            let (a, b) = ends[i];
            let r = net.add_gene_like(&self.graph[NodeIndex::new(a)]);
            let t = net.add_gene_like(&self.graph[NodeIndex::new(b)]);
            let mut reg = self.graph[edges[i]].clone();
            reg.rank = rank + 1;
            net.graph.add_edge(r, t, reg);
        }
        Ok(net)
    }

    /// Assembles a network from genes (in node order) and edges. Edges are put in
    /// rank order: by their `rank` when `ranked`, otherwise by score (highest first,
    /// ties by names) and numbered; a pair listed twice keeps its first edge in that
    /// order. Edge ends missing from `genes` are added as non-TF genes.
    pub(crate) fn assemble(genes: Vec<Gene>, mut edges: Vec<RawEdge>, ranked: bool) -> Self {
        if ranked {
            edges.sort_by_key(|e| e.regulation.rank);
        } else {
            edges.sort_by(|a, b| {
                b.regulation
                    .score
                    .total_cmp(&a.regulation.score)
                    .then_with(|| a.regulator.cmp(&b.regulator))
                    .then_with(|| a.target.cmp(&b.target))
            });
        }
        let mut net = GeneNetwork::new();
        for g in genes {
            net.add_gene_like(&g);
        }
        let mut seen = HashSet::with_capacity(edges.len());
        let mut rank = 0;
        for e in edges {
            let r = net.add_gene(&e.regulator);
            let t = net.add_gene(&e.target);
            if !seen.insert((r, t)) {
                continue;
            }
            rank += 1;
            let mut reg = e.regulation;
            reg.rank = rank;
            net.signed |= reg.sign != Sign::Unknown;
            net.graph.add_edge(r, t, reg);
        }
        net
    }

    /// Whether the edges carry signs (the source had a sign column, or some edge has
    /// a known sign).
    pub fn is_signed(&self) -> bool {
        self.signed
    }

    /// The petgraph graph, for algorithms.
    pub fn graph(&self) -> &StableDiGraph<Gene, Regulation> {
        &self.graph
    }

    /// Number of genes.
    pub fn n_genes(&self) -> usize {
        self.graph.node_count()
    }

    /// Number of regulatory edges.
    pub fn n_regulations(&self) -> usize {
        self.graph.edge_count()
    }

    /// The node of a gene, by name.
    pub fn node(&self, name: &str) -> Option<NodeIndex> {
        self.index.get(name).copied()
    }

    /// The gene at a node.
    pub fn gene(&self, node: NodeIndex) -> &Gene {
        &self.graph[node]
    }

    /// Marks a gene as a TF or not.
    pub fn set_tf(&mut self, node: NodeIndex, is_tf: bool) {
        self.graph[node].is_tf = is_tf;
    }

    /// Marks exactly the genes named in `tfs` as TFs.
    pub fn set_tfs(&mut self, tfs: &[String]) {
        let set: HashSet<&str> = tfs.iter().map(String::as_str).collect();
        for n in self.graph.node_indices().collect::<Vec<_>>() {
            let g = &mut self.graph[n];
            g.is_tf = set.contains(g.name.as_str());
        }
    }

    /// Sets an annotation of a gene.
    pub fn annotate(&mut self, node: NodeIndex, key: &str, value: &str) {
        self.graph[node]
            .annotations
            .insert(key.to_string(), value.to_string());
    }

    /// Records the method that produced every edge.
    pub fn set_method(&mut self, method: &str) {
        for e in self.graph.edge_weights_mut() {
            e.method = Some(method.to_string());
        }
    }

    /// Genes in node order.
    pub fn genes(&self) -> impl Iterator<Item = (NodeIndex, &Gene)> + '_ {
        self.graph.node_indices().map(|n| (n, &self.graph[n]))
    }

    /// Edges as (regulator, target, attributes), in rank order.
    pub fn regulations(&self) -> impl Iterator<Item = (NodeIndex, NodeIndex, &Regulation)> + '_ {
        (&self.graph)
            .edge_references()
            .map(|e| (e.source(), e.target(), e.weight()))
    }

    /// The regulators of `target`, with the edge from each.
    pub fn regulators(
        &self,
        target: NodeIndex,
    ) -> impl Iterator<Item = (NodeIndex, &Regulation)> + '_ {
        self.graph
            .edges_directed(target, Direction::Incoming)
            .map(|e| (e.source(), e.weight()))
    }

    /// The targets of `regulator`, with the edge to each.
    pub fn targets(
        &self,
        regulator: NodeIndex,
    ) -> impl Iterator<Item = (NodeIndex, &Regulation)> + '_ {
        self.graph
            .edges_directed(regulator, Direction::Outgoing)
            .map(|e| (e.target(), e.weight()))
    }

    /// The edge regulator -> target, if any (O(out-degree of the regulator)).
    pub fn regulation(&self, regulator: NodeIndex, target: NodeIndex) -> Option<&Regulation> {
        self.graph
            .find_edge(regulator, target)
            .map(|e| &self.graph[e])
    }

    /// (in-degree, out-degree) of every gene, indexed by `NodeIndex::index()`; one
    /// sequential pass over the edges, much faster than asking gene by gene.
    pub fn degrees(&self) -> Vec<(usize, usize)> {
        let mut d = vec![(0, 0); self.graph.node_bound()];
        for e in self.graph.edge_references() {
            d[e.target().index()].0 += 1;
            d[e.source().index()].1 += 1;
        }
        d
    }

    /// Number of edges into a gene.
    pub fn in_degree(&self, node: NodeIndex) -> usize {
        self.graph.edges_directed(node, Direction::Incoming).count()
    }

    /// Number of edges out of a gene.
    pub fn out_degree(&self, node: NodeIndex) -> usize {
        self.graph.edges_directed(node, Direction::Outgoing).count()
    }

    /// The gene's node, adding a non-TF gene when it is new.
    pub fn add_gene(&mut self, name: &str) -> NodeIndex {
        self.add_gene_flagged(name, false)
    }

    fn add_gene_flagged(&mut self, name: &str, is_tf: bool) -> NodeIndex {
        if let Some(&n) = self.index.get(name) {
            return n;
        }
        let n = self.graph.add_node(Gene {
            name: name.to_string(),
            is_tf,
            annotations: BTreeMap::new(),
        });
        self.index.insert(name.to_string(), n);
        n
    }

    fn add_gene_like(&mut self, gene: &Gene) -> NodeIndex {
        if let Some(&n) = self.index.get(&gene.name) {
            return n;
        }
        let n = self.graph.add_node(gene.clone());
        self.index.insert(gene.name.clone(), n);
        n
    }

    /// Adds (or replaces) the edge regulator -> target, adding missing genes. The
    /// edge gets the next rank; call on edges in decreasing score order to keep the
    /// ranks meaningful.
    pub fn add_regulation(&mut self, regulator: &str, target: &str, mut regulation: Regulation) {
        let r = self.add_gene(regulator);
        let t = self.add_gene(target);
        self.signed |= regulation.sign != Sign::Unknown;
        if let Some(e) = self.graph.find_edge(r, t) {
            regulation.rank = self.graph[e].rank;
            self.graph[e] = regulation;
        } else {
            regulation.rank = self.graph.edge_count() + 1;
            self.graph.add_edge(r, t, regulation);
        }
    }

    /// The edges as an [`EdgeTable`] (rank order; genes in node order).
    pub fn to_edge_table(&self) -> EdgeTable {
        let nodes: Vec<NodeIndex> = self.graph.node_indices().collect();
        let mut pos = vec![0usize; self.graph.node_bound()];
        for (i, n) in nodes.iter().enumerate() {
            pos[n.index()] = i;
        }
        let names: Vec<String> = nodes.iter().map(|&n| self.graph[n].name.clone()).collect();
        let mut t = EdgeTable::new(names.into(), self.signed);
        for (r, g, e) in self.regulations() {
            t.push(pos[r.index()], pos[g.index()], e.score, e.sign);
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn table() -> EdgeTable {
        let genes: Arc<[String]> = ["A", "B", "C", "D"].map(String::from).into();
        let mut t = EdgeTable::new(genes, true);
        t.push(0, 1, 0.5, Sign::Activation);
        t.push(0, 2, 0.9, Sign::Repression);
        t.push(1, 2, 0.7, Sign::Unknown);
        t.push(0, 1, 0.8, Sign::Repression); // duplicate pair, higher score wins
        t.push(2, 3, 0.1, Sign::Activation);
        t
    }

    fn edges(net: &GeneNetwork) -> Vec<(String, String, f64, usize, Sign)> {
        net.regulations()
            .map(|(r, t, e)| {
                (
                    net.gene(r).name.clone(),
                    net.gene(t).name.clone(),
                    e.score,
                    e.rank,
                    e.sign,
                )
            })
            .collect()
    }

    #[test]
    fn builds_ranked_deduplicated_graph() {
        let net = GeneNetwork::from_table(&table(), &Cut::default(), None).unwrap();
        assert_eq!(net.n_genes(), 4);
        let e = edges(&net);
        assert_eq!(e.len(), 4);
        assert_eq!(e[0], ("A".into(), "C".into(), 0.9, 1, Sign::Repression));
        assert_eq!(e[1], ("A".into(), "B".into(), 0.8, 2, Sign::Repression));
        assert_eq!(e[3], ("C".into(), "D".into(), 0.1, 4, Sign::Activation));
        // Regulators (A, B, C) are TFs without a list; D only a target.
        let tf: Vec<bool> = net.genes().map(|(_, g)| g.is_tf).collect();
        assert_eq!(tf, [true, true, true, false]);
        let c = net.node("C").unwrap();
        let mut regs: Vec<_> = net
            .regulators(c)
            .map(|(r, e)| (net.gene(r).name.as_str(), e.score))
            .collect();
        regs.sort_by(|a, b| a.0.cmp(b.0));
        assert_eq!(regs, [("A", 0.9), ("B", 0.7)]);
        assert_eq!(net.targets(c).count(), 1);
        assert_eq!(net.in_degree(c), 2);
        assert_eq!(
            net.regulation(net.node("A").unwrap(), c).unwrap().sign,
            Sign::Repression
        );
    }

    #[test]
    fn cut_of_network_matches_cut_of_table() {
        let cut = Cut {
            top: Some(2),
            min_score: Some(0.6),
            ..Cut::default()
        };
        let full = GeneNetwork::from_table(&table(), &Cut::default(), None).unwrap();
        let a = full.cut(&cut).unwrap();
        let b = GeneNetwork::from_table(&table(), &cut, None).unwrap();
        assert_eq!(edges(&a), edges(&b));
        assert_eq!(a.n_genes(), 3);
    }

    #[test]
    fn tf_list_marks_genes_and_edge_table_round_trips() {
        let tfs = vec!["B".to_string()];
        let cut = Cut {
            tf_only: true,
            ..Cut::default()
        };
        let net = GeneNetwork::from_table(&table(), &cut, Some(&tfs)).unwrap();
        assert_eq!(
            edges(&net),
            [("B".into(), "C".into(), 0.7, 1, Sign::Unknown)]
        );
        let back = GeneNetwork::from_table(&net.to_edge_table(), &Cut::default(), None).unwrap();
        assert_eq!(edges(&back), edges(&net));
    }

    #[test]
    fn add_regulation_replaces_existing_edge() {
        let mut net = GeneNetwork::new();
        net.add_regulation("A", "B", Regulation::new(2.0, Sign::Activation));
        net.add_regulation("A", "C", Regulation::new(1.0, Sign::Unknown));
        net.add_regulation("A", "B", Regulation::new(3.0, Sign::Repression));
        assert_eq!(net.n_regulations(), 2);
        let e = edges(&net);
        assert_eq!(e[0], ("A".into(), "B".into(), 3.0, 1, Sign::Repression));
        assert!(net.is_signed());
    }
}
