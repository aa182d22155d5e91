//! Prior knowledge of regulation (motifs, ChIP, curated regulons, ATAC) weighting
//! inference and perturbation.
//!
//! A prior gives regulator -> target edges a weight in [0, 1] (a binary list gives
//! every listed edge 1). It is read from a plain TSV (`regulator target [weight]`,
//! header optional), CellOracle's base GRN (Kamimoto et al. 2023, Nature
//! 614:742-751: `peak_id, gene_short_name`, one 0/1 column per TF) or a
//! DoRothEA/CollecTRI regulon (`source, target, weight` or `mor`; Garcia-Alonso et al.
//! 2019, Genome Research 29:1363; Müller-Dott et al. 2023, NAR 51:10934), told apart
//! by the header ([`read`]). [`Prior::resolve`] maps it onto a matrix's genes and
//! counts the names it does not know; a prior that names no edge between genes of
//! the matrix is an error.
//!
//! How it is used, with strength s in [0, 1] ([`PriorParams`]): an edge of prior
//! weight w gets the factor `(1 - s) + s w`, so s = 0 ignores the prior and s = 1
//! keeps only edges with evidence, and in between an edge without evidence keeps the
//! floor 1 - s.
//! - Tree ensembles (GENIE3, GRNBoost2) draw each node's candidate regulators with
//!   probability proportional to the factor, iRafNet's scheme (Petralia et al. 2015,
//!   Bioinformatics 31(13):2118-2125) with the floor added so that the data can still
//!   pick a regulator the prior missed ([`PriorGuide::candidates`]). A target with no
//!   prior edge is fitted exactly as without a prior.
//! - Pairwise scorers (CLR, ARACNe, correlations) multiply their scores by the
//!   factor ([`PriorGuide::reweight`]); a consensus averages the ranks of members
//!   that each used the prior, so the consensus is prior-aware through its members.
//! - Perturbation response models fit each target on the network edges into it;
//!   [`PriorGuide::guide_network`] multiplies edge scores by the factor before the
//!   per-target cut picks them, as CellOracle restricts each target's model to the
//!   TFs its base GRN allows (s = 1), so a knockout propagates along edges with
//!   evidence.
//!
//! The default strength, 1/2 ([`PriorParams::DEFAULT_STRENGTH`]), is a defensive
//! mixture (Hesterberg 1995, Technometrics 37:185): half of every regulator's
//! sampling weight is the uniform weight of plain GENIE3, so an edge with full
//! evidence is drawn at most twice as often as one without, and a wrong prior can
//! at most halve a true regulator's chance to be a split candidate, a loss the data
//! recover from (measured in `docs/priors.md`).
//!
//! [`atac`] builds a prior from a peak x cell accessibility matrix, peak-gene links
//! and TF motif hits (CellOracle's recipe); [`simulated`] draws a prior of known
//! recall and precision from a gold standard, for benchmarks. Reading is O(file
//! size); resolving O(E) for E prior edges; a target's sampling weights O(p).
//!
//! ```
//! use grn::prior::{Prior, PriorFormat, PriorParams};
//! let prior = Prior::from_edges(PriorFormat::Tsv, vec![
//!     ("TF1".into(), "G1".into(), 1.0),
//!     ("TF9".into(), "G1".into(), 1.0),
//! ]);
//! let genes: Vec<String> = ["TF1", "TF2", "G1"].map(String::from).to_vec();
//! let (resolved, report) = prior.resolve(&genes).unwrap();
//! assert_eq!(report.unknown_regulators, vec!["TF9".to_string()]);
//! let guide = PriorParams::default().check().unwrap().guide(resolved);
//! // TF1 -> G1 has evidence: factor 1; TF2 -> G1 has none: the floor 1 - 1/2.
//! assert_eq!(guide.factor(0, 2), 1.0);
//! assert_eq!(guide.factor(1, 2), 0.5);
//! ```

pub mod atac;
mod read;
mod simulated;

pub use simulated::{Quality, simulated};

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::files::{self, FileError, InputError};
use crate::named::first_few;
use crate::network::{EdgeTable, GeneNetwork, Regulation, Sign};
use crate::trees::ParamError;

/// Why a prior could not be read or used.
#[derive(Debug, thiserror::Error)]
pub enum PriorError {
    /// The file could not be read, or its content is malformed.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The prior names no edge between genes of the matrix.
    #[error("{0}")]
    NoOverlap(String),
    /// A parameter is out of range.
    #[error(transparent)]
    Param(#[from] ParamError),
}

files::from_input_errors!(PriorError);

/// The layout a prior was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriorFormat {
    /// `regulator target [weight]`, header optional.
    Tsv,
    /// CellOracle's base GRN: `peak_id, gene_short_name, TF...`.
    CellOracle,
    /// DoRothEA/CollecTRI: `source, target, weight|mor[, confidence]`.
    Regulon,
}

impl PriorFormat {
    /// The format's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            PriorFormat::Tsv => "regulator-target TSV",
            PriorFormat::CellOracle => "CellOracle base GRN",
            PriorFormat::Regulon => "DoRothEA/CollecTRI regulon",
        }
    }
}

/// One prior edge, by name.
#[derive(Debug, Clone, PartialEq)]
pub struct PriorEdge {
    /// The regulator.
    pub regulator: String,
    /// The target.
    pub target: String,
    /// Evidence in [0, 1].
    pub weight: f64,
}

/// A prior as read: edges by name, each pair once (its largest weight).
#[derive(Debug, Clone, PartialEq)]
pub struct Prior {
    /// The layout it came from.
    pub format: PriorFormat,
    edges: Vec<PriorEdge>,
}

/// Reads a prior, detecting the format from the header (see the module docs).
/// Weights outside [0, 1] are errors (a signed mode of regulation in [-1, 1] gives
/// its absolute value; DoRothEA confidence letters A-E give 1, 0.8, ..., 0.2).
pub fn read(path: &Path) -> Result<Prior, PriorError> {
    read::read(path)
}

/// How a prior's names matched the matrix.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resolution {
    /// Prior edges used: both genes in the matrix, a positive weight, not a self-loop.
    pub edges: usize,
    /// Regulator names not in the matrix (sorted).
    pub unknown_regulators: Vec<String>,
    /// Target names not in the matrix (sorted).
    pub unknown_targets: Vec<String>,
    /// Edges left out because a name is unknown.
    pub unknown_edges: usize,
}

/// A prior on a matrix's genes, by target.
#[derive(Debug, Clone)]
pub struct GenePrior {
    genes: Arc<[String]>,
    index: HashMap<String, usize>,
    /// Per target, (regulator, weight) sorted by regulator.
    by_target: Vec<Vec<(usize, f64)>>,
}

impl Prior {
    /// A prior from (regulator, target, weight) triples; a pair listed twice keeps
    /// its largest weight.
    pub fn from_edges(format: PriorFormat, edges: Vec<(String, String, f64)>) -> Self {
        let mut seen: HashMap<(String, String), usize> = HashMap::new();
        let mut out: Vec<PriorEdge> = Vec::with_capacity(edges.len());
        for (regulator, target, weight) in edges {
            match seen.get(&(regulator.clone(), target.clone())) {
                Some(&i) => out[i].weight = out[i].weight.max(weight),
                None => {
                    seen.insert((regulator.clone(), target.clone()), out.len());
                    out.push(PriorEdge {
                        regulator,
                        target,
                        weight,
                    });
                }
            }
        }
        Prior { format, edges: out }
    }

    /// The edges, in file order.
    pub fn edges(&self) -> &[PriorEdge] {
        &self.edges
    }

    /// Maps the prior onto `genes` (a matrix's gene names), counting the names it
    /// does not know. Fails when no edge joins two genes of the matrix.
    pub fn resolve(&self, genes: &[String]) -> Result<(GenePrior, Resolution), PriorError> {
        let index: HashMap<String, usize> = genes
            .iter()
            .enumerate()
            .map(|(i, g)| (g.clone(), i))
            .collect();
        let mut by_target = vec![Vec::new(); genes.len()];
        let mut report = Resolution::default();
        let mut unknown_r = std::collections::BTreeSet::new();
        let mut unknown_t = std::collections::BTreeSet::new();
        for e in &self.edges {
            let (r, t) = (index.get(&e.regulator), index.get(&e.target));
            if r.is_none() {
                unknown_r.insert(e.regulator.clone());
            }
            if t.is_none() {
                unknown_t.insert(e.target.clone());
            }
            let (Some(&r), Some(&t)) = (r, t) else {
                report.unknown_edges += 1;
                continue;
            };
            if r != t && e.weight > 0.0 {
                by_target[t].push((r, e.weight));
                report.edges += 1;
            }
        }
        report.unknown_regulators = unknown_r.into_iter().collect();
        report.unknown_targets = unknown_t.into_iter().collect();
        if report.edges == 0 {
            let named: Vec<String> = self
                .edges
                .iter()
                .flat_map(|e| [e.regulator.clone(), e.target.clone()])
                .take(10)
                .collect();
            return Err(PriorError::NoOverlap(format!(
                "the {} prior has no edge of positive weight between two genes of the \
                 matrix ({} edges, {} of them naming a gene the matrix lacks); the prior \
                 names {}, the matrix has {}: check that both use the same gene \
                 identifiers (symbols vs Ensembl ids, case)",
                self.format.name(),
                self.edges.len(),
                report.unknown_edges,
                first_few(&named),
                first_few(genes)
            )));
        }
        for list in &mut by_target {
            list.sort_unstable_by_key(|&(r, _)| r);
        }
        Ok((
            GenePrior {
                genes: genes.to_vec().into(),
                index,
                by_target,
            },
            report,
        ))
    }
}

impl GenePrior {
    /// The prior weight of regulator -> target (0 without evidence).
    pub fn weight(&self, regulator: usize, target: usize) -> f64 {
        let list = &self.by_target[target];
        list.binary_search_by_key(&regulator, |&(r, _)| r)
            .map_or(0.0, |i| list[i].1)
    }

    /// The genes it was resolved on.
    pub fn genes(&self) -> &[String] {
        &self.genes
    }

    /// The regulators with evidence for `target`, with their weights.
    pub fn regulators_of(&self, target: usize) -> &[(usize, f64)] {
        &self.by_target[target]
    }
}

/// Settings of prior use.
#[derive(Debug, Clone, PartialEq)]
pub struct PriorParams {
    /// 0 ignores the prior, 1 keeps only edges with evidence; in between an edge
    /// without evidence keeps the weight 1 - strength (see the module docs).
    pub strength: f64,
}

impl PriorParams {
    /// Half uniform, half prior: a defensive mixture (see the module docs).
    pub const DEFAULT_STRENGTH: f64 = 0.5;

    /// Checks the range.
    pub fn check(&self) -> Result<ValidPriorParams, PriorError> {
        if !(0.0..=1.0).contains(&self.strength) {
            return Err(ParamError {
                name: "prior_strength",
                message: format!("must be in [0, 1], got {}", self.strength),
            }
            .into());
        }
        Ok(ValidPriorParams {
            strength: self.strength,
        })
    }
}

impl Default for PriorParams {
    fn default() -> Self {
        PriorParams {
            strength: Self::DEFAULT_STRENGTH,
        }
    }
}

/// [`PriorParams`] checked by [`PriorParams::check`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidPriorParams {
    strength: f64,
}

impl ValidPriorParams {
    /// The strength.
    pub fn strength(&self) -> f64 {
        self.strength
    }

    /// A resolved prior applied with these settings.
    pub fn guide(self, prior: GenePrior) -> PriorGuide {
        PriorGuide {
            prior,
            strength: self.strength,
        }
    }
}

/// A resolved prior with its strength: what inference and perturbation take.
#[derive(Debug, Clone)]
pub struct PriorGuide {
    prior: GenePrior,
    strength: f64,
}

impl PriorGuide {
    /// The prior.
    pub fn prior(&self) -> &GenePrior {
        &self.prior
    }

    /// The strength.
    pub fn strength(&self) -> f64 {
        self.strength
    }

    /// The factor `(1 - s) + s w` of regulator -> target.
    pub fn factor(&self, regulator: usize, target: usize) -> f64 {
        (1.0 - self.strength) + self.strength * self.prior.weight(regulator, target)
    }

    /// A tree ensemble's candidate regulators of `target` among `features`, and
    /// their sampling weights: `None` for uniform draws, which is what a target
    /// without prior evidence (or strength 0) gets, so it is fitted exactly as
    /// without a prior. At strength 1 the candidates are the regulators with
    /// evidence (possibly none).
    pub fn candidates(
        &self,
        target: usize,
        features: Vec<usize>,
    ) -> (Vec<usize>, Option<Vec<f64>>) {
        if self.strength == 0.0 || self.prior.by_target[target].is_empty() {
            return (features, None);
        }
        let features: Vec<usize> = if self.strength == 1.0 {
            features
                .into_iter()
                .filter(|&r| self.prior.weight(r, target) > 0.0)
                .collect()
        } else {
            features
        };
        let weights: Vec<f64> = features.iter().map(|&r| self.factor(r, target)).collect();
        let uniform = weights.windows(2).all(|w| w[0] == w[1]);
        (features, (!uniform).then_some(weights))
    }

    /// Multiplies every score by its edge's factor, dropping edges whose factor is 0
    /// (no evidence at strength 1). The table must be over the prior's genes.
    pub fn reweight(&self, table: &EdgeTable) -> EdgeTable {
        assert_eq!(
            table.genes().len(),
            self.prior.genes.len(),
            "the table and the prior must share the matrix's genes"
        );
        if self.strength == 0.0 {
            return table.clone();
        }
        let mut out = EdgeTable::new(table.genes().clone(), table.is_signed());
        for e in table.iter() {
            let f = self.factor(e.regulator, e.target);
            if f > 0.0 {
                out.push(e.regulator, e.target, e.score * f, e.sign);
            }
        }
        out
    }

    /// The network with every edge's score multiplied by its factor (genes matched
    /// by name; a gene the prior's matrix lacks has no evidence), edges of factor 0
    /// dropped and ranks renumbered by the new scores. Cut it afterwards to pick
    /// each target's regulators.
    pub fn guide_network(&self, network: &GeneNetwork) -> GeneNetwork {
        let mut edges: Vec<(&str, &str, Regulation)> = Vec::with_capacity(network.n_regulations());
        for (r, t, reg) in network.regulations() {
            let (rn, tn) = (&network.gene(r).name, &network.gene(t).name);
            let w = match (self.prior.index.get(rn), self.prior.index.get(tn)) {
                (Some(&ri), Some(&ti)) => self.prior.weight(ri, ti),
                _ => 0.0,
            };
            let f = (1.0 - self.strength) + self.strength * w;
            if f <= 0.0 {
                continue;
            }
            let mut regulation = reg.clone();
            regulation.score = reg.score * f;
            edges.push((rn, tn, regulation));
        }
        edges.sort_by(|a, b| {
            b.2.score
                .total_cmp(&a.2.score)
                .then_with(|| a.0.cmp(b.0))
                .then_with(|| a.1.cmp(b.1))
        });
        let mut net = GeneNetwork::new();
        for (_, gene) in network.genes() {
            let node = net.add_gene(&gene.name);
            net.set_tf(node, gene.is_tf);
            for (k, v) in &gene.annotations {
                net.annotate(node, k, v);
            }
        }
        for (r, t, regulation) in edges {
            net.add_regulation(r, t, regulation);
        }
        net
    }
}

/// Writes a prior as `regulator target score` TSV (the layout [`read`] reads back),
/// highest weight first.
pub fn save_tsv(prior: &Prior, path: &Path) -> Result<(), FileError> {
    let mut names: Vec<String> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for e in &prior.edges {
        for n in [&e.regulator, &e.target] {
            if !index.contains_key(n.as_str()) {
                index.insert(n, names.len());
                names.push(n.clone());
            }
        }
    }
    let mut table = EdgeTable::new(names.into(), false);
    for e in &prior.edges {
        table.push(
            index[e.regulator.as_str()],
            index[e.target.as_str()],
            e.weight,
            Sign::Unknown,
        );
    }
    table.sort_by_score();
    table.save_tsv(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    fn triples(p: &Prior) -> Vec<(String, String, f64)> {
        p.edges()
            .iter()
            .map(|e| (e.regulator.clone(), e.target.clone(), e.weight))
            .collect()
    }

    fn t(r: &str, g: &str, w: f64) -> (String, String, f64) {
        (r.into(), g.into(), w)
    }

    #[test]
    fn reads_every_format() {
        let (_d, p) = write("a.tsv", "TF1\tG1\nTF2\tG1\nTF1\tG1\n");
        let prior = read(&p).unwrap();
        assert_eq!(prior.format, PriorFormat::Tsv);
        assert_eq!(triples(&prior), [t("TF1", "G1", 1.0), t("TF2", "G1", 1.0)]);

        let (_d, p) = write("b.tsv", "TF1\tG1\t0.25\nTF1\tG1\t0.5\n");
        assert_eq!(triples(&read(&p).unwrap()), [t("TF1", "G1", 0.5)]);

        let (_d, p) = write(
            "c.tsv",
            "# motifs\nregulator\ttarget\tscore\nTF1\tG2\t0.3\n",
        );
        assert_eq!(triples(&read(&p).unwrap()), [t("TF1", "G2", 0.3)]);

        let (_d, p) = write(
            "base_grn.csv",
            "peak_id,gene_short_name,TF1,TF2\nchr1_1_100,G1,1,0\nchr1_200_300,G1,0,1\n\
             chr2_1_100,G2,1,1\nchr2_5_50,G2,1,0\n",
        );
        let prior = read(&p).unwrap();
        assert_eq!(prior.format, PriorFormat::CellOracle);
        assert_eq!(
            triples(&prior),
            [
                t("TF1", "G1", 1.0),
                t("TF2", "G1", 1.0),
                t("TF1", "G2", 1.0),
                t("TF2", "G2", 1.0)
            ]
        );

        let (_d, p) = write(
            "dorothea.tsv",
            "source\tconfidence\ttarget\tmor\nTF1\tA\tG1\t1\nTF2\tC\tG1\t-1\n",
        );
        let prior = read(&p).unwrap();
        assert_eq!(prior.format, PriorFormat::Regulon);
        // The mode of regulation's magnitude: repression is evidence too.
        assert_eq!(triples(&prior), [t("TF1", "G1", 1.0), t("TF2", "G1", 1.0)]);

        let (_d, p) = write(
            "dorothea_ab.tsv",
            "source,target,confidence\nTF1,G1,A\nTF2,G1,D\n",
        );
        assert_eq!(
            triples(&read(&p).unwrap()),
            [t("TF1", "G1", 1.0), t("TF2", "G1", 0.4)]
        );

        let (_d, p) = write(
            "collectri.tsv",
            "source\ttarget\tweight\nTF1\tG1\t-1\nTF1\tG2\t0.5\n",
        );
        assert_eq!(
            triples(&read(&p).unwrap()),
            [t("TF1", "G1", 1.0), t("TF1", "G2", 0.5)]
        );

        // Any layout gzipped reads the same.
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("collectri.tsv.gz");
        let mut enc = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).unwrap(),
            flate2::Compression::default(),
        );
        std::io::Write::write_all(&mut enc, std::fs::read(&p).unwrap().as_slice()).unwrap();
        enc.finish().unwrap();
        assert_eq!(read(&gz).unwrap(), read(&p).unwrap());
    }

    #[test]
    fn bad_content_names_line_and_column() {
        let cases = [
            ("TF1\tG1\t2.5\n", ":1:3:", "weight in [0, 1]"),
            ("regulator\ttarget\nTF1\n", ":2:2:", "at least 2 fields"),
            ("TF1\tG1\tstrong\n", ":1:3:", "expected a weight"),
            ("a\tb\tc\td\n", ":1:1:", "header"),
            (
                "peak_id\tgene_short_name\tTF1\np1\tG1\tyes\n",
                ":2:3:",
                "TF TF1",
            ),
            ("", "", "empty"),
        ];
        for (text, at, what) in cases {
            let (_d, p) = write("bad.tsv", text);
            let e = read(&p).unwrap_err().to_string();
            assert!(
                e.contains(&format!("bad.tsv{at}")) && e.contains(what),
                "{text:?}: {e}"
            );
        }
    }

    fn genes() -> Vec<String> {
        ["TF1", "TF2", "G1", "G2"].map(String::from).to_vec()
    }

    #[test]
    fn unknown_names_are_counted_and_no_overlap_is_an_error() {
        let prior = Prior::from_edges(
            PriorFormat::Tsv,
            vec![
                t("TF1", "G1", 1.0),
                t("TF9", "G1", 1.0),
                t("TF1", "X", 1.0),
                t("G1", "G1", 1.0),
            ],
        );
        let (resolved, report) = prior.resolve(&genes()).unwrap();
        assert_eq!(report.edges, 1);
        assert_eq!(report.unknown_edges, 2);
        assert_eq!(report.unknown_regulators, ["TF9"]);
        assert_eq!(report.unknown_targets, ["X"]);
        assert_eq!(resolved.weight(0, 2), 1.0);
        assert_eq!(resolved.weight(1, 2), 0.0);

        let foreign = Prior::from_edges(PriorFormat::Tsv, vec![t("ENSG1", "ENSG2", 1.0)]);
        let e = foreign.resolve(&genes()).unwrap_err();
        assert!(matches!(e, PriorError::NoOverlap(_)));
        let msg = e.to_string();
        assert!(msg.contains("ENSG1") && msg.contains("TF1"), "{msg}");
    }

    #[test]
    fn strength_sets_the_floor() {
        let prior = Prior::from_edges(
            PriorFormat::Tsv,
            vec![t("TF1", "G1", 1.0), t("TF2", "G1", 0.5)],
        );
        let (resolved, _) = prior.resolve(&genes()).unwrap();
        let guide = |s| {
            PriorParams { strength: s }
                .check()
                .unwrap()
                .guide(resolved.clone())
        };
        // G1 (index 2) from TF1, TF2, G2.
        assert_eq!(
            guide(0.0).candidates(2, vec![0, 1, 3]),
            (vec![0, 1, 3], None)
        );
        assert_eq!(
            guide(0.5).candidates(2, vec![0, 1, 3]),
            (vec![0, 1, 3], Some(vec![1.0, 0.75, 0.5]))
        );
        assert_eq!(
            guide(1.0).candidates(2, vec![0, 1, 3]),
            (vec![0, 1], Some(vec![1.0, 0.5]))
        );
        // A target without evidence is drawn uniformly.
        assert_eq!(
            guide(0.5).candidates(3, vec![0, 1, 2]),
            (vec![0, 1, 2], None)
        );
        assert!(PriorParams { strength: 1.5 }.check().is_err());
        assert!(PriorParams { strength: f64::NAN }.check().is_err());

        let names: Arc<[String]> = genes().into();
        let mut table = EdgeTable::new(names, false);
        table.push(3, 2, 1.0, Sign::Unknown);
        table.push(0, 2, 0.8, Sign::Unknown);
        let reweighted = guide(1.0).reweight(&table);
        assert_eq!(reweighted.len(), 1);
        assert_eq!(reweighted.get(0).regulator, 0);
        let half = guide(0.5).reweight(&table);
        assert_eq!((half.get(0).score, half.get(1).score), (0.5, 0.8));

        let net = GeneNetwork::from_table(&table, &crate::network::Cut::default(), None).unwrap();
        let guided = guide(0.5).guide_network(&net);
        let top = guided.regulations().find(|(_, _, r)| r.rank == 1).unwrap();
        assert_eq!(guided.gene(top.0).name, "TF1");
        assert_eq!(guide(1.0).guide_network(&net).n_regulations(), 1);
    }

    #[test]
    fn saved_priors_read_back() {
        let prior = Prior::from_edges(
            PriorFormat::Tsv,
            vec![t("TF1", "G1", 0.5), t("TF2", "G2", 1.0)],
        );
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("prior.tsv");
        save_tsv(&prior, &p).unwrap();
        let back = read(&p).unwrap();
        assert_eq!(triples(&back), [t("TF2", "G2", 1.0), t("TF1", "G1", 0.5)]);
    }
}
