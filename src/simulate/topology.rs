//! Network structure: signed regulator -> target edge lists, read from an
//! [`EdgeTable`] or drawn at random (Erdos-Renyi, scale-free with hub regulators,
//! modular).
//!
//! Every random topology is drawn the same way, so that the three differ only in
//! how a regulator is chosen for an edge:
//! 1. `regulators` genes are chosen at random to be the regulators (transcription
//!    factors); only they have out-edges, and every one of them gets at least one
//!    target.
//! 2. Every gene that is not a regulator gets at least one regulator (a gene in a
//!    curated network is there because something regulates it; DREAM4 size-100
//!    networks have none without an edge), so the gold standard names all genes.
//! 3. The remaining edges, up to `round(genes * mean_degree)`, go to targets chosen
//!    uniformly, so in-degrees are 1 + Poisson-like (real in-degree distributions
//!    are narrow: Guelzim et al. 2002).
//! 4. The regulator of each edge is drawn by weight, never a self-loop or a
//!    duplicate: uniform weights (Erdos-Renyi); Chung-Lu weights
//!    `w_r ∝ rank_r^(-1/(γ-1))`, which give out-degrees with a power-law tail of
//!    exponent γ (Goh et al. 2001; hubs, as in real TF networks: Barabási & Oltvai
//!    2004); or, for modular networks, the same hub weights restricted to the
//!    target's module with probability `within_module`, else to the other modules.
//! 5. Each edge is a repression with probability `repressor_fraction`.
//!
//! Drawing takes O(E + M) time with alias-free cumulative weights and a binary
//! search per edge: O(E log M) overall.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use rand::Rng as _;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::network::{EdgeTable, Sign};
use crate::random::Rng;

use super::SimulateError;

/// The family of random networks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Topology {
    /// Every regulator equally likely for every edge (Erdos & Renyi 1959).
    ErdosRenyi,
    /// Hub regulators: out-degrees with a power-law tail (Barabási & Oltvai 2004).
    #[default]
    ScaleFree,
    /// Genes split into modules, regulators mostly regulating their own module, with
    /// hubs inside each module.
    Modular,
}

impl Topology {
    /// Every topology, in the order the CLI lists them.
    pub const ALL: [Topology; 3] = [Topology::ScaleFree, Topology::ErdosRenyi, Topology::Modular];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Topology::ErdosRenyi => "erdos-renyi",
            Topology::ScaleFree => "scale-free",
            Topology::Modular => "modular",
        }
    }
}

crate::named::named_enum!(Topology, "topology");

/// Settings of a random network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopologyParams {
    /// The family.
    pub topology: Topology,
    /// Number of genes, named `G1` ... `GN` as in DREAM.
    pub genes: usize,
    /// Number of regulators; `None` takes [`TopologyParams::REGULATOR_FRACTION`] of
    /// the genes.
    pub regulators: Option<usize>,
    /// Mean number of regulators per gene (edges / genes).
    pub mean_degree: f64,
    /// Fraction of edges that are repressions.
    pub repressor_fraction: f64,
    /// Power-law exponent γ of the out-degree tail (scale-free and modular).
    pub hub_exponent: f64,
    /// Number of modules (modular only).
    pub modules: usize,
    /// Probability that an edge stays inside its target's module (modular only).
    pub within_module: f64,
}

impl TopologyParams {
    /// Mean in-degree of the DREAM4 size-100 gold standards (176 to 249 edges over
    /// 100 genes, mean 2.05; Marbach et al. 2010), rounded.
    pub const DREAM4_MEAN_DEGREE: f64 = 2.0;
    /// Transcription factors are about 8% of human protein-coding genes (Lambert et
    /// al. 2018) and of E. coli genes; rounded to 10%.
    pub const REGULATOR_FRACTION: f64 = 0.1;
    /// Activations are the majority of signed interactions in curated networks
    /// (GeneNetWeaver also makes activators the majority of every module's inputs);
    /// 40% repressions.
    pub const REPRESSOR_FRACTION: f64 = 0.4;
    /// Middle of the range 2 < γ < 3 reported for biological networks (Barabási &
    /// Oltvai 2004).
    pub const HUB_EXPONENT: f64 = 2.5;

    /// The defaults for `genes` genes.
    pub fn new(topology: Topology, genes: usize) -> Self {
        TopologyParams {
            topology,
            genes,
            regulators: None,
            mean_degree: Self::DREAM4_MEAN_DEGREE,
            repressor_fraction: Self::REPRESSOR_FRACTION,
            hub_exponent: Self::HUB_EXPONENT,
            modules: 10,
            within_module: 0.9,
        }
    }

    /// The number of regulators these settings give. The default,
    /// [`TopologyParams::REGULATOR_FRACTION`] of the genes, is raised where needed
    /// so the regulators can carry every edge without self-loops (10 genes with
    /// mean degree 2 need 3 regulators, not 1).
    pub fn n_regulators(&self) -> usize {
        self.regulators.unwrap_or_else(|| {
            let share = (self.genes as f64 * Self::REGULATOR_FRACTION).round() as usize;
            let capacity = self.n_edges().div_ceil(self.genes.saturating_sub(1).max(1));
            share.max(capacity).clamp(1, self.genes.max(1))
        })
    }

    /// The number of edges these settings give.
    pub fn n_edges(&self) -> usize {
        (self.genes as f64 * self.mean_degree).round() as usize
    }

    /// Checks that a network with these settings exists.
    pub fn validate(&self) -> Result<(), SimulateError> {
        let bad = |m: String| Err(SimulateError::Param(m));
        let n = self.genes;
        let m = self.n_regulators();
        if n < 3 {
            return bad(format!(
                "`genes` must be at least 3 (2 genes hold at most 2 edges, fewer than the \
                 default mean degree asks for), got {n}"
            ));
        }
        if m == 0 || m > n {
            return bad(format!(
                "`regulators` must be between 1 and the number of genes ({n}), got {m}"
            ));
        }
        if !(self.mean_degree.is_finite() && self.mean_degree > 0.0) {
            return bad(format!(
                "`mean_degree` must be positive, got {}",
                self.mean_degree
            ));
        }
        let edges = self.n_edges();
        // Every non-regulator needs a regulator and every regulator a target.
        let needed = (n - m) + m.saturating_sub(n - m);
        if edges < needed {
            return bad(format!(
                "`mean_degree` {} gives {edges} edges, but {n} genes with {m} regulators need \
                 at least {needed} (one regulator per target gene and one target per \
                 regulator); raise `mean_degree` to at least {:.3}",
                self.mean_degree,
                needed as f64 / n as f64
            ));
        }
        // Regulators cannot regulate themselves.
        let capacity = m * (n - 1);
        if edges > capacity {
            return bad(format!(
                "`mean_degree` {} asks for {edges} edges but {m} regulators can have at most \
                 {capacity} distinct targets; lower `mean_degree` or raise `regulators`",
                self.mean_degree
            ));
        }
        if !(0.0..=1.0).contains(&self.repressor_fraction) {
            return bad(format!(
                "`repressor_fraction` must be in [0, 1], got {}",
                self.repressor_fraction
            ));
        }
        if !(self.hub_exponent.is_finite() && self.hub_exponent > 1.0) {
            return bad(format!(
                "`hub_exponent` must be greater than 1, got {}",
                self.hub_exponent
            ));
        }
        if self.topology == Topology::Modular {
            if self.modules == 0 || self.modules > m {
                return bad(format!(
                    "`modules` must be between 1 and the number of regulators ({m}), got {}",
                    self.modules
                ));
            }
            if !(0.0..=1.0).contains(&self.within_module) {
                return bad(format!(
                    "`within_module` must be in [0, 1], got {}",
                    self.within_module
                ));
            }
        }
        Ok(())
    }
}

/// A directed network with signed edges over named genes.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedNetwork {
    genes: Arc<[String]>,
    edges: Vec<(u32, u32, Sign)>,
    modules: Option<Vec<u32>>,
}

impl SignedNetwork {
    /// A network over `genes` with `(regulator, target, sign)` edges. Fails on an
    /// index out of range or a pair listed twice.
    pub fn new(
        genes: Arc<[String]>,
        edges: Vec<(usize, usize, Sign)>,
    ) -> Result<Self, SimulateError> {
        let n = genes.len();
        let mut seen = HashSet::with_capacity(edges.len());
        let mut out = Vec::with_capacity(edges.len());
        for (r, t, s) in edges {
            if r >= n || t >= n {
                return Err(SimulateError::Network(format!(
                    "edge ({r}, {t}) names a gene index outside 0..{n}"
                )));
            }
            if !seen.insert((r, t)) {
                return Err(SimulateError::Network(format!(
                    "the edge {} -> {} is listed twice",
                    genes[r], genes[t]
                )));
            }
            out.push((r as u32, t as u32, s));
        }
        Ok(SignedNetwork {
            genes,
            edges: out,
            modules: None,
        })
    }

    /// The network of an edge list (for instance a `gold.tsv` written by `grn
    /// simulate`, or any TSV with a `sign` column). Scores are ignored; an edge listed
    /// more than once is kept once when its signs agree (or one is unknown) and is an
    /// error when they conflict, because the kinetics need one sign per edge.
    pub fn from_edge_table(table: &EdgeTable) -> Result<Self, SimulateError> {
        let genes = table.genes().clone();
        let mut index: HashMap<(usize, usize), usize> = HashMap::new();
        let mut edges: Vec<(usize, usize, Sign)> = Vec::new();
        for e in table.iter() {
            match index.get(&(e.regulator, e.target)) {
                None => {
                    index.insert((e.regulator, e.target), edges.len());
                    edges.push((e.regulator, e.target, e.sign));
                }
                Some(&k) => {
                    let old = edges[k].2;
                    if old == Sign::Unknown {
                        edges[k].2 = e.sign;
                    } else if e.sign != Sign::Unknown && e.sign != old {
                        return Err(SimulateError::Network(format!(
                            "the edge {} -> {} is listed both as activation and as \
                             repression; keep one sign per edge",
                            genes[e.regulator], genes[e.target]
                        )));
                    }
                }
            }
        }
        if edges.is_empty() {
            return Err(SimulateError::Network("the network has no edges".into()));
        }
        SignedNetwork::new(genes, edges)
    }

    /// Draws a random network (see the module documentation).
    pub fn random(params: &TopologyParams, rng: &mut Rng) -> Result<Self, SimulateError> {
        params.validate()?;
        let n = params.genes;
        let m = params.n_regulators();
        let genes: Arc<[String]> = (1..=n).map(|i| format!("G{i}")).collect();

        // Which genes regulate, and their hub rank (rank 0 is the biggest hub).
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(rng);
        let regulators: Vec<usize> = order[..m].to_vec();
        let is_regulator = {
            let mut v = vec![false; n];
            for &r in &regulators {
                v[r] = true;
            }
            v
        };
        let weight = |rank: usize| -> f64 {
            match params.topology {
                Topology::ErdosRenyi => 1.0,
                Topology::ScaleFree | Topology::Modular => {
                    ((rank + 1) as f64).powf(-1.0 / (params.hub_exponent - 1.0))
                }
            }
        };

        // Modules: genes dealt round-robin in random order, so every module gets
        // regulators and targets in proportion.
        let n_modules = if params.topology == Topology::Modular {
            params.modules
        } else {
            1
        };
        let mut module = vec![0usize; n];
        // Regulators first so each module gets ceil/floor(M / K) of them.
        for (k, &r) in regulators.iter().enumerate() {
            module[r] = k % n_modules;
        }
        for (k, &g) in order[m..].iter().enumerate() {
            module[g] = k % n_modules;
        }
        let pools: Vec<WeightedPool> = (0..n_modules)
            .map(|k| {
                let members: Vec<usize> = regulators
                    .iter()
                    .copied()
                    .filter(|&r| module[r] == k)
                    .collect();
                WeightedPool::new(&members, &weight)
            })
            .collect();
        let all = WeightedPool::new(&regulators, &weight);

        let mut acc = Accumulator {
            edges: Vec::with_capacity(params.n_edges()),
            present: HashSet::with_capacity(params.n_edges()),
            out_degree: vec![0; n],
            repressor_fraction: params.repressor_fraction,
        };

        // Draws a regulator for target `t` that does not already regulate it.
        let draw = |t: usize, rng: &mut Rng, present: &HashSet<(usize, usize)>| -> Option<usize> {
            let pool = if n_modules > 1 {
                let k = module[t];
                if rng.random::<f64>() < params.within_module || n_modules == 1 {
                    &pools[k]
                } else {
                    // Another module, chosen uniformly.
                    let mut other = rng.random_range(0..n_modules - 1);
                    if other >= k {
                        other += 1;
                    }
                    &pools[other]
                }
            } else {
                &all
            };
            // Rejection: a few tries from the preferred pool, then any regulator.
            for _ in 0..32 {
                let r = pool.draw(rng)?;
                if r != t && !present.contains(&(r, t)) {
                    return Some(r);
                }
            }
            for _ in 0..256 {
                let r = all.draw(rng)?;
                if r != t && !present.contains(&(r, t)) {
                    return Some(r);
                }
            }
            // Dense corner: scan for any free regulator.
            let free: Vec<usize> = regulators
                .iter()
                .copied()
                .filter(|&r| r != t && !present.contains(&(r, t)))
                .collect();
            (!free.is_empty()).then(|| free[rng.random_range(0..free.len())])
        };

        // Every target gene gets a regulator.
        for &t in &order[m..] {
            let r = draw(t, rng, &acc.present).expect("a non-regulator can take any regulator");
            acc.add(r, t, rng);
        }
        // Every regulator gets a target (a regulator without one would not be one).
        for &r in &regulators {
            if acc.out_degree[r] == 0 {
                let candidates: Vec<usize> = (0..n)
                    .filter(|&t| t != r && !acc.present.contains(&(r, t)))
                    .collect();
                let t = candidates[rng.random_range(0..candidates.len())];
                acc.add(r, t, rng);
            }
        }
        // The rest, to targets chosen uniformly (a target whose every possible
        // regulator is taken is skipped).
        let total = params.n_edges();
        while acc.edges.len() < total {
            let t = rng.random_range(0..n);
            if let Some(r) = draw(t, rng, &acc.present) {
                acc.add(r, t, rng);
            }
        }
        debug_assert!(
            regulators
                .iter()
                .all(|&r| is_regulator[r] && acc.out_degree[r] > 0)
        );
        let mut network = SignedNetwork::new(genes, acc.edges)?;
        if params.topology == Topology::Modular {
            network.modules = Some(module.iter().map(|&k| k as u32).collect());
        }
        Ok(network)
    }

    /// Gene names.
    pub fn genes(&self) -> &Arc<[String]> {
        &self.genes
    }

    /// Number of genes.
    pub fn n_genes(&self) -> usize {
        self.genes.len()
    }

    /// `(regulator, target, sign)` edges, in the order they were given or drawn.
    pub fn edges(&self) -> impl ExactSizeIterator<Item = (usize, usize, Sign)> + '_ {
        self.edges
            .iter()
            .map(|&(r, t, s)| (r as usize, t as usize, s))
    }

    /// Number of edges.
    pub fn n_edges(&self) -> usize {
        self.edges.len()
    }

    /// The module of every gene, for modular random networks.
    pub fn modules(&self) -> Option<&[u32]> {
        self.modules.as_deref()
    }

    /// Number of regulators of each gene.
    pub fn in_degrees(&self) -> Vec<usize> {
        let mut d = vec![0; self.n_genes()];
        for &(_, t, _) in &self.edges {
            d[t as usize] += 1;
        }
        d
    }

    /// Number of targets of each gene.
    pub fn out_degrees(&self) -> Vec<usize> {
        let mut d = vec![0; self.n_genes()];
        for &(r, _, _) in &self.edges {
            d[r as usize] += 1;
        }
        d
    }

    /// The network as an edge table with score 1 and the sign of every edge, sorted
    /// by regulator then target name: the gold standard.
    pub fn to_edge_table(&self) -> EdgeTable {
        let mut table = EdgeTable::new(self.genes.clone(), true);
        for (r, t, s) in self.edges() {
            table.push(r, t, 1.0, s);
        }
        table.sort_by_score();
        table
    }
}

/// Edges drawn so far.
struct Accumulator {
    edges: Vec<(usize, usize, Sign)>,
    present: HashSet<(usize, usize)>,
    out_degree: Vec<usize>,
    repressor_fraction: f64,
}

impl Accumulator {
    fn add(&mut self, r: usize, t: usize, rng: &mut Rng) {
        let sign = if rng.random::<f64>() < self.repressor_fraction {
            Sign::Repression
        } else {
            Sign::Activation
        };
        self.present.insert((r, t));
        self.out_degree[r] += 1;
        self.edges.push((r, t, sign));
    }
}

/// Regulators with cumulative weights, for drawing one in O(log M).
struct WeightedPool {
    members: Vec<usize>,
    cumulative: Vec<f64>,
}

impl WeightedPool {
    /// `weight(k)` is the weight of the `k`-th member (members are in hub order).
    fn new(members: &[usize], weight: &dyn Fn(usize) -> f64) -> Self {
        let mut total = 0.0;
        let cumulative = (0..members.len())
            .map(|k| {
                total += weight(k);
                total
            })
            .collect();
        WeightedPool {
            members: members.to_vec(),
            cumulative,
        }
    }

    fn draw(&self, rng: &mut Rng) -> Option<usize> {
        let total = *self.cumulative.last()?;
        let u = rng.random::<f64>() * total;
        let k = self.cumulative.partition_point(|&c| c <= u);
        Some(self.members[k.min(self.members.len() - 1)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random;

    fn draw(params: &TopologyParams, seed: u64) -> SignedNetwork {
        SignedNetwork::random(params, &mut random::stream(seed, 0)).unwrap()
    }

    /// Maximum-likelihood power-law exponent of the values >= `k_min` (discrete
    /// approximation of Clauset, Shalizi & Newman 2009).
    fn power_law_exponent(values: &[usize], k_min: usize) -> f64 {
        let tail: Vec<f64> = values
            .iter()
            .filter(|&&k| k >= k_min)
            .map(|&k| k as f64)
            .collect();
        let s: f64 = tail.iter().map(|k| (k / (k_min as f64 - 0.5)).ln()).sum();
        1.0 + tail.len() as f64 / s
    }

    #[test]
    fn degree_statistics_match_the_request() {
        for topology in Topology::ALL {
            let mut p = TopologyParams::new(topology, 3000);
            p.regulators = Some(300);
            p.mean_degree = 3.0;
            p.repressor_fraction = 0.3;
            let net = draw(&p, 7);
            assert_eq!(net.n_edges(), 9000, "{topology}");
            let out = net.out_degrees();
            let inn = net.in_degrees();
            let regs = out.iter().filter(|&&d| d > 0).count();
            assert_eq!(regs, 300, "{topology}: every regulator has a target");
            let targets_without = (0..3000).filter(|&g| out[g] == 0 && inn[g] == 0).count();
            assert_eq!(targets_without, 0, "{topology}: every gene is connected");
            let mean_in = inn.iter().sum::<usize>() as f64 / 3000.0;
            assert!((mean_in - 3.0).abs() < 1e-9);
            let rep = net.edges().filter(|e| e.2 == Sign::Repression).count() as f64 / 9000.0;
            // Binomial(9000, 0.3): sd 0.0048.
            assert!((rep - 0.3).abs() < 0.02, "{topology}: repressions {rep}");
            assert!(net.edges().all(|(r, t, _)| r != t));
        }
    }

    #[test]
    fn scale_free_has_hubs_with_the_requested_exponent() {
        let mut p = TopologyParams::new(Topology::ScaleFree, 20_000);
        p.regulators = Some(4000);
        p.mean_degree = 4.0;
        let out: Vec<usize> = draw(&p, 3)
            .out_degrees()
            .into_iter()
            .filter(|&d| d > 0)
            .collect();
        let gamma = power_law_exponent(&out, 40);
        assert!((gamma - 2.5).abs() < 0.35, "estimated exponent {gamma}");
        let er = {
            let mut p = p.clone();
            p.topology = Topology::ErdosRenyi;
            draw(&p, 3).out_degrees()
        };
        let max_sf = *out.iter().max().unwrap();
        let max_er = *er.iter().max().unwrap();
        assert!(
            max_sf > 10 * max_er,
            "hub {max_sf} vs Erdos-Renyi max {max_er}"
        );
    }

    #[test]
    fn modular_edges_stay_in_modules() {
        let mut p = TopologyParams::new(Topology::Modular, 2000);
        p.regulators = Some(200);
        p.modules = 5;
        p.within_module = 0.8;
        let net = draw(&p, 11);
        let module = net.modules().expect("modular networks keep their modules");
        assert_eq!(module.iter().copied().max(), Some(4));
        let within = net
            .edges()
            .filter(|&(r, t, _)| module[r] == module[t])
            .count() as f64
            / net.n_edges() as f64;
        // Binomial(4000, 0.8): sd 0.006.
        assert!(
            (within - 0.8).abs() < 0.03,
            "within-module fraction {within}"
        );
        let er = {
            let mut p = p.clone();
            p.topology = Topology::ErdosRenyi;
            draw(&p, 11)
        };
        assert!(er.modules().is_none());
    }

    #[test]
    fn same_seed_same_network() {
        let p = TopologyParams::new(Topology::ScaleFree, 200);
        assert_eq!(draw(&p, 1), draw(&p, 1));
        assert_ne!(draw(&p, 1), draw(&p, 2));
    }

    #[test]
    fn impossible_settings_are_refused() {
        let mut p = TopologyParams::new(Topology::ErdosRenyi, 100);
        p.mean_degree = 0.5;
        let e = p.validate().unwrap_err().to_string();
        assert!(e.contains("at least"), "{e}");
        p.mean_degree = 50.0;
        p.regulators = Some(2);
        assert!(p.validate().is_err());
    }
}
