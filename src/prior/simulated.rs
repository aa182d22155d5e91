//! Priors of known quality drawn from a gold standard, to measure what a prior does
//! to inference and perturbation (docs/priors.md, issue 17).
//!
//! A prior of recall r and precision q holds round(r |T|) edges of the true set T,
//! drawn uniformly, and as many false regulator -> target pairs (drawn uniformly
//! from the ordered pairs of distinct genes outside T) as make its precision q
//! (fewer when there are not that many). A random prior draws |T| pairs uniformly
//! from all ordered pairs, so its precision is the density of T. Every edge has
//! weight 1. O(n^2) for n genes.

use std::collections::HashSet;

use rand::seq::SliceRandom;

use super::{Prior, PriorError, PriorFormat};
use crate::random;
use crate::trees::ParamError;

/// How good a simulated prior is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Quality {
    /// |T| pairs drawn uniformly.
    Random,
    /// A fraction `recall` of the true edges plus false ones to `precision`.
    Known {
        /// Fraction of true edges in the prior, in (0, 1].
        recall: f64,
        /// Fraction of the prior's edges that are true, in (0, 1].
        precision: f64,
    },
}

/// A prior of `quality` over `genes`, `truth` the true edges as (regulator, target)
/// indices into `genes`; the same `seed` gives the same prior.
pub fn simulated(
    genes: &[String],
    truth: &[(usize, usize)],
    quality: Quality,
    seed: u64,
) -> Result<Prior, PriorError> {
    let n = genes.len();
    let in_range = |v: f64| v > 0.0 && v <= 1.0;
    if let Quality::Known { recall, precision } = quality {
        for (name, v) in [("recall", recall), ("precision", precision)] {
            if !in_range(v) {
                return Err(ParamError {
                    name,
                    message: format!("must be in (0, 1], got {v}"),
                }
                .into());
            }
        }
    }
    if let Some(&(a, b)) = truth.iter().find(|&&(a, b)| a >= n || b >= n) {
        return Err(ParamError {
            name: "truth",
            message: format!("edge ({a}, {b}) names a gene beyond the {n} given"),
        }
        .into());
    }
    let mut rng = random::stream(seed, 0x9121_0a17);
    let true_set: HashSet<(usize, usize)> = truth.iter().copied().collect();
    let pairs = (0..n)
        .flat_map(|a| (0..n).map(move |b| (a, b)))
        .filter(|&(a, b)| a != b);
    let edges: Vec<(usize, usize)> = match quality {
        Quality::Random => {
            let mut all: Vec<_> = pairs.collect();
            all.shuffle(&mut rng);
            all.truncate(true_set.len());
            all
        }
        Quality::Known { recall, precision } => {
            let mut t: Vec<_> = true_set.iter().copied().collect();
            // HashSet order is not seeded: sort before shuffling for determinism.
            t.sort_unstable();
            t.shuffle(&mut rng);
            let tp = (recall * t.len() as f64).round() as usize;
            let mut f: Vec<_> = pairs.filter(|p| !true_set.contains(p)).collect();
            let fp = ((tp as f64 * (1.0 - precision) / precision).round() as usize).min(f.len());
            f.shuffle(&mut rng);
            t.truncate(tp);
            t.extend_from_slice(&f[..fp]);
            t
        }
    };
    Ok(Prior::from_edges(
        PriorFormat::Tsv,
        edges
            .into_iter()
            .map(|(a, b)| (genes[a].clone(), genes[b].clone(), 1.0))
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn genes(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("G{i}")).collect()
    }

    #[test]
    fn recall_and_precision_are_as_asked() {
        let g = genes(30);
        let truth: Vec<(usize, usize)> = (0..29).map(|i| (i, i + 1)).chain([(0, 5)]).collect();
        let q = Quality::Known {
            recall: 0.5,
            precision: 0.25,
        };
        let p = simulated(&g, &truth, q, 3).unwrap();
        let is_true = |e: &super::super::PriorEdge| {
            truth
                .iter()
                .any(|&(a, b)| g[a] == e.regulator && g[b] == e.target)
        };
        let tp = p.edges().iter().filter(|e| is_true(e)).count();
        assert_eq!(tp, 15);
        assert_eq!(p.edges().len(), 60);
        assert!(p.edges().iter().all(|e| e.regulator != e.target));
        assert_eq!(p, simulated(&g, &truth, q, 3).unwrap());
        assert_ne!(p, simulated(&g, &truth, q, 4).unwrap());
        let r = simulated(&g, &truth, Quality::Random, 3).unwrap();
        assert_eq!(r.edges().len(), truth.len());
    }

    #[test]
    fn bad_quality_or_truth_is_an_error() {
        let g = genes(3);
        let bad = Quality::Known {
            recall: 0.0,
            precision: 0.5,
        };
        assert!(matches!(
            simulated(&g, &[(0, 1)], bad, 1),
            Err(PriorError::Param(_))
        ));
        assert!(matches!(
            simulated(&g, &[(0, 7)], Quality::Random, 1),
            Err(PriorError::Param(_))
        ));
    }
}
