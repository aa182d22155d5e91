//! Scoring a predicted network against a gold standard the DREAM way: area under the
//! ROC curve, area under the precision-recall curve (average precision) and the early
//! precision ratio.
//!
//! Conventions (Marbach et al. 2010, 2012; the same as the peers' `evaluate.py`):
//! - the universe of pairs is exactly the listed pairs when the gold standard lists
//!   negatives (rows with 0, as DREAM5 files do), otherwise every ordered pair
//!   (i != j) of the genes it names;
//! - a predicted pair scored twice keeps its highest score; pairs naming genes
//!   outside the gold standard, and self-loops, are ignored;
//! - pairs missing from the prediction rank last, all tied;
//! - ties are scored as scikit-learn does (one ROC/PR point per distinct score),
//!   which equals averaging over all orders of the tied pairs for AUROC;
//! - early precision ratio: precision among the top k pairs (k = number of true
//!   edges; ties broken by the row-major order of (regulator, target) over sorted
//!   gene names) divided by the density of true edges in the universe.
//!
//! The universe is never materialised: unpredicted pairs are one tied block, so the
//! cost is O(P log P) in the number P of predicted pairs (plus the listed pairs),
//! whatever the number of genes.
//!
//! ```
//! use grn::evaluate::{GoldStandard, score, EvalOptions};
//! use grn::network::{EdgeTable, Sign};
//! let gold = GoldStandard::from_pairs([("A", "B", true), ("B", "C", true)]).unwrap();
//! let genes: std::sync::Arc<[String]> = ["A", "B", "C"].map(String::from).into();
//! let mut pred = EdgeTable::new(genes, false);
//! pred.push(0, 1, 0.9, Sign::Unknown);
//! pred.push(1, 2, 0.8, Sign::Unknown);
//! let m = score(&gold, &pred, &EvalOptions::default()).unwrap();
//! assert_eq!(m.auroc, 1.0);
//! assert_eq!(m.aupr, 1.0);
//! ```

pub mod plot;

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use crate::files::{self, ParseError};
use crate::network::EdgeTable;

/// Why a gold standard could not be read or scored against.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The gold standard could not be read.
    #[error(transparent)]
    Input(#[from] files::InputError),
    /// The gold standard cannot score anything (no true or no false pairs).
    #[error("{0}")]
    Degenerate(String),
}

files::from_input_errors!(EvalError);

/// A set of true (and, optionally, listed false) regulator -> target pairs.
#[derive(Debug, Clone)]
pub struct GoldStandard {
    genes: Vec<String>,
    index: HashMap<String, u32>,
    /// Listed pairs (i != j), unique, sorted row-major; with the label.
    listed: Vec<((u32, u32), bool)>,
    has_negatives: bool,
}

impl GoldStandard {
    /// Builds a gold standard from (regulator, target, is_true) triples.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str, bool)>,
    ) -> Result<Self, EvalError> {
        let pairs: Vec<(&str, &str, bool)> = pairs.into_iter().collect();
        let mut genes: Vec<String> = pairs
            .iter()
            .flat_map(|&(a, b, _)| [a.to_string(), b.to_string()])
            .collect();
        genes.sort();
        genes.dedup();
        let index: HashMap<String, u32> = genes
            .iter()
            .enumerate()
            .map(|(i, g)| (g.clone(), i as u32))
            .collect();
        let has_negatives = pairs.iter().any(|&(_, _, t)| !t);
        let mut map: HashMap<(u32, u32), bool> = HashMap::new();
        for &(a, b, t) in &pairs {
            let key = (index[a], index[b]);
            if key.0 != key.1 {
                // A pair listed as both true and false counts as true, as a
                // dense label matrix filled in file order with `max` would.
                *map.entry(key).or_insert(false) |= t;
            }
        }
        let mut listed: Vec<_> = map.into_iter().collect();
        listed.sort_unstable();
        Ok(GoldStandard {
            genes,
            index,
            listed,
            has_negatives,
        })
    }

    /// Reads a DREAM gold standard: `regulator<TAB>target<TAB>1|0` per line (quotes
    /// stripped; a first line whose third field is not a number is a header).
    pub fn read(path: &Path) -> Result<Self, EvalError> {
        let text = files::read_to_string(path)?;
        let mut triples = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let f: Vec<&str> = line
                .split('\t')
                .map(|x| x.trim().trim_matches('"'))
                .collect();
            let invalid =
                |message: String| EvalError::from(ParseError::at_line(path, n + 1, message));
            if f.len() < 3 {
                return Err(invalid(format!(
                    "expected regulator<TAB>target<TAB>1 (or 0), found {} field(s)",
                    f.len()
                )));
            }
            match f[2].parse::<f64>() {
                Ok(v) if v == 1.0 || v == 0.0 => triples.push((f[0], f[1], v == 1.0)),
                Ok(_) => {
                    return Err(invalid(format!(
                        "expected 1 (true edge) or 0 (listed non-edge) in column 3, found {:?}; \
                         a gold standard labels pairs, it does not score them",
                        f[2]
                    )));
                }
                Err(_) if triples.is_empty() => continue,
                Err(_) => {
                    return Err(invalid(format!(
                        "expected 1 (true edge) or 0 (listed non-edge) in column 3, found {:?}",
                        f[2]
                    )));
                }
            }
        }
        if triples.is_empty() {
            return Err(EvalError::Degenerate(format!(
                "{}: the gold standard lists no pairs",
                path.display()
            )));
        }
        Self::from_pairs(triples)
    }

    /// Genes named by the gold standard, sorted.
    pub fn genes(&self) -> &[String] {
        &self.genes
    }

    /// Number of true edges (i != j).
    pub fn n_true(&self) -> usize {
        self.listed.iter().filter(|p| p.1).count()
    }
}

/// Options of [`score`].
#[derive(Debug, Clone, Default)]
pub struct EvalOptions {
    /// Score edges without direction: a pair is true if either direction is, and
    /// scored with the higher of its two predicted scores.
    pub undirected: bool,
}

/// Scores of one prediction.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Metrics {
    /// Area under the ROC curve.
    pub auroc: f64,
    /// Area under the precision-recall curve (average precision).
    pub aupr: f64,
    /// Early precision ratio: precision in the top k (k = `n_true`) over density.
    pub epr: f64,
    /// True edges in the universe.
    pub n_true: usize,
    /// Genes named by the gold standard.
    pub n_genes: usize,
    /// Pairs in the universe.
    pub n_pairs: usize,
    /// Pairs of the universe the prediction scores.
    pub n_predicted: usize,
}

/// ROC and precision-recall curves, one point per distinct score threshold.
#[derive(Debug, Clone, Default)]
pub struct Curves {
    /// (false positive rate, true positive rate), from (0, 0) to (1, 1).
    pub roc: Vec<(f64, f64)>,
    /// (recall, precision), in order of decreasing threshold.
    pub pr: Vec<(f64, f64)>,
}

/// The prediction restricted to the universe: labels in ranked order, grouped into
/// tie blocks, plus what is needed for early precision.
struct Ranked {
    /// (true positives, false positives) at the end of each tie block, cumulative.
    blocks: Vec<(usize, usize)>,
    positives: usize,
    universe: usize,
    predicted: usize,
    top_k_true: usize,
}

fn rank(gold: &GoldStandard, pred: &EdgeTable, opts: &EvalOptions) -> Result<Ranked, EvalError> {
    let n = gold.genes.len();
    let to_gold: Vec<Option<u32>> = pred
        .genes()
        .iter()
        .map(|g| gold.index.get(g).copied())
        .collect();
    let mut labels: HashMap<(u32, u32), bool> = gold.listed.iter().copied().collect();
    let mut scores: HashMap<(u32, u32), f64> = HashMap::with_capacity(pred.len());
    for e in pred.iter() {
        let (Some(a), Some(b)) = (to_gold[e.regulator], to_gold[e.target]) else {
            continue;
        };
        if a == b || !e.score.is_finite() {
            continue;
        }
        let s = scores.entry((a, b)).or_insert(f64::NEG_INFINITY);
        *s = s.max(e.score);
    }
    if opts.undirected {
        let sym = |m: &mut HashMap<(u32, u32), f64>| {
            let pairs: Vec<_> = m.iter().map(|(&k, &v)| (k, v)).collect();
            for ((a, b), v) in pairs {
                let s = m.entry((b, a)).or_insert(f64::NEG_INFINITY);
                *s = s.max(v);
            }
        };
        sym(&mut scores);
        let trues: Vec<_> = labels.iter().filter(|p| *p.1).map(|(&k, _)| k).collect();
        for (a, b) in trues {
            if let Some(l) = labels.get_mut(&(b, a)) {
                *l = true;
            } else if !gold.has_negatives {
                labels.insert((b, a), true);
            }
        }
    }
    // Universe membership and row-major position of a pair.
    let listed: Vec<(u32, u32)> = if gold.has_negatives {
        let mut v: Vec<_> = labels.keys().copied().collect();
        v.sort_unstable();
        v
    } else {
        Vec::new()
    };
    let universe = if gold.has_negatives {
        listed.len()
    } else {
        n * n.saturating_sub(1)
    };
    let position = |(a, b): (u32, u32)| -> Option<usize> {
        if gold.has_negatives {
            listed.binary_search(&(a, b)).ok()
        } else {
            let (a, b) = (a as usize, b as usize);
            Some(a * (n - 1) + if b < a { b } else { b - 1 })
        }
    };
    let is_true = |p: (u32, u32)| labels.get(&p).copied().unwrap_or(false);
    let positives = labels.values().filter(|&&t| t).count();
    if positives == 0 || positives == universe {
        return Err(EvalError::Degenerate(format!(
            "the gold standard has {positives} true pairs among {universe}: both true and \
             false pairs are needed to score a prediction"
        )));
    }

    // Predicted pairs in the universe: (score, position, label), ranked.
    let mut items: Vec<(f64, usize, bool)> = scores
        .iter()
        .filter_map(|(&p, &s)| position(p).map(|pos| (s, pos, is_true(p))))
        .collect();
    items.sort_unstable_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));

    let mut blocks = Vec::new();
    let (mut tp, mut fp) = (0usize, 0usize);
    for (i, item) in items.iter().enumerate() {
        if item.2 {
            tp += 1;
        } else {
            fp += 1;
        }
        if items.get(i + 1).is_none_or(|next| next.0 != item.0) {
            blocks.push((tp, fp));
        }
    }
    let predicted = items.len();
    if predicted < universe {
        blocks.push((positives, universe - positives));
    }

    // Early precision: the top k by score, ties (and the unpredicted block) in
    // row-major order.
    let k = positives;
    let top_k_true = if k <= predicted {
        items[..k].iter().filter(|x| x.2).count()
    } else {
        let from_tail = k - predicted;
        let mut predicted_pos: Vec<usize> = items.iter().map(|x| x.1).collect();
        predicted_pos.sort_unstable();
        let tail_true = labels
            .iter()
            .filter(|&(p, &t)| t && !scores.contains_key(p))
            .filter_map(|(&p, _)| position(p))
            .filter(|&pos| pos - predicted_pos.partition_point(|&q| q < pos) < from_tail)
            .count();
        tp + tail_true
    };
    Ok(Ranked {
        blocks,
        positives,
        universe,
        predicted,
        top_k_true,
    })
}

/// Scores a prediction against a gold standard.
pub fn score(
    gold: &GoldStandard,
    pred: &EdgeTable,
    opts: &EvalOptions,
) -> Result<Metrics, EvalError> {
    let r = rank(gold, pred, opts)?;
    let p = r.positives as f64;
    let neg = (r.universe - r.positives) as f64;
    let (mut auroc, mut aupr) = (0.0, 0.0);
    let (mut prev_tp, mut prev_fp) = (0usize, 0usize);
    for &(tp, fp) in &r.blocks {
        // Trapezoid under ROC; step under PR at each distinct threshold.
        auroc += (fp - prev_fp) as f64 / neg * (tp + prev_tp) as f64 / (2.0 * p);
        aupr += (tp - prev_tp) as f64 / p * tp as f64 / (tp + fp) as f64;
        (prev_tp, prev_fp) = (tp, fp);
    }
    let density = p / r.universe as f64;
    Ok(Metrics {
        auroc,
        aupr,
        epr: r.top_k_true as f64 / r.positives as f64 / density,
        n_true: r.positives,
        n_genes: gold.genes.len(),
        n_pairs: r.universe,
        n_predicted: r.predicted,
    })
}

/// The ROC and precision-recall curves of a prediction, for plotting.
pub fn curves(
    gold: &GoldStandard,
    pred: &EdgeTable,
    opts: &EvalOptions,
) -> Result<Curves, EvalError> {
    let r = rank(gold, pred, opts)?;
    let p = r.positives as f64;
    let neg = (r.universe - r.positives) as f64;
    let mut c = Curves {
        roc: vec![(0.0, 0.0)],
        pr: Vec::with_capacity(r.blocks.len()),
    };
    for &(tp, fp) in &r.blocks {
        c.roc.push((fp as f64 / neg, tp as f64 / p));
        c.pr.push((tp as f64 / p, tp as f64 / (tp + fp) as f64));
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::Sign;
    use std::sync::Arc;

    fn pred(edges: &[(&str, &str, f64)]) -> EdgeTable {
        let mut names: Vec<String> = edges
            .iter()
            .flat_map(|e| [e.0.to_string(), e.1.to_string()])
            .collect();
        names.sort();
        names.dedup();
        let genes: Arc<[String]> = names.clone().into();
        let mut t = EdgeTable::new(genes, false);
        let ix = |g: &str| names.iter().position(|n| n == g).unwrap();
        for &(a, b, s) in edges {
            t.push(ix(a), ix(b), s, Sign::Unknown);
        }
        t
    }

    #[test]
    fn hand_computed_small_case() {
        // Universe: 3 genes, 6 ordered pairs; true: A->B, B->C.
        let gold = GoldStandard::from_pairs([("A", "B", true), ("B", "C", true)]).unwrap();
        // Ranking: A->B (T) 0.9, C->A (F) 0.8, B->C (T) 0.7, rest missing.
        let p = pred(&[("A", "B", 0.9), ("C", "A", 0.8), ("B", "C", 0.7)]);
        let m = score(&gold, &p, &EvalOptions::default()).unwrap();
        // AP = 1/2 * 1 + 1/2 * 2/3.
        assert!((m.aupr - (0.5 + 1.0 / 3.0)).abs() < 1e-12);
        // ROC: positives ranked 1 and 3 of 6; negatives: 1 above one positive.
        // AUROC = P(pos > neg) = (4 + 3) / 8.
        assert!((m.auroc - 7.0 / 8.0).abs() < 1e-12);
        // Top 2 hold one true edge: precision 0.5, density 2/6.
        assert!((m.epr - 1.5).abs() < 1e-12);
        assert_eq!((m.n_true, m.n_pairs, m.n_predicted), (2, 6, 3));
    }

    #[test]
    fn missing_pairs_tie_last_and_listed_negatives_define_universe() {
        let gold =
            GoldStandard::from_pairs([("A", "B", true), ("A", "C", false), ("B", "C", false)])
                .unwrap();
        let p = pred(&[("B", "C", 1.0)]);
        let m = score(&gold, &p, &EvalOptions::default()).unwrap();
        assert_eq!(m.n_pairs, 3);
        // The true pair ties with A->C below B->C: AUROC = (0 + 0.5) / 2.
        assert!((m.auroc - 0.25).abs() < 1e-12);
        // One block after the predicted one: AP = 1 * 1/3.
        assert!((m.aupr - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn degenerate_gold_is_an_error() {
        let gold = GoldStandard::from_pairs([("A", "B", false)]).unwrap();
        assert!(score(&gold, &pred(&[("A", "B", 1.0)]), &EvalOptions::default()).is_err());
    }
}
