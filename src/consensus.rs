//! Consensus networks: the Borda average of per-method ranks, as the DREAM5
//! community network (Marbach et al. 2012, Nature Methods 9:796-804), which beat
//! every single method there.
//!
//! Each member's edges are ranked by score (1 = best, tied scores share the mean of
//! their ranks); a pair a member did not predict shares the mean rank of the tied
//! block of all its unpredicted pairs, i.e. it ranks last. A pair's consensus score
//! is 1 - (mean rank - 1) / N over the N candidate pairs, in (0, 1], higher is better.
//! Only pairs some member predicted are listed (the others would all tie last).
//! O(E log E) for E member edges.
//!
//! ```
//! use grn::consensus::borda;
//! use grn::network::{EdgeTable, Sign};
//! let genes: std::sync::Arc<[String]> = ["a", "b", "c"].map(String::from).into();
//! let mut m1 = EdgeTable::new(genes.clone(), false);
//! m1.push(0, 1, 0.9, Sign::Unknown);
//! m1.push(0, 2, 0.1, Sign::Unknown);
//! let mut m2 = EdgeTable::new(genes, false);
//! m2.push(0, 1, 5.0, Sign::Unknown);
//! let c = borda(&[m1, m2], 6);
//! assert_eq!(c.len(), 2);
//! let top = c.get(0);
//! assert_eq!((top.regulator, top.target, top.score), (0, 1, 1.0));
//! ```

use std::collections::HashMap;

use crate::network::{EdgeTable, Sign};

/// The Borda consensus of `members` (tables over the same gene names) among
/// `candidates` possible pairs; sorted by score, unsigned.
///
/// # Panics
/// When there is no member, or the members' gene tables differ.
pub fn borda(members: &[EdgeTable], candidates: usize) -> EdgeTable {
    assert!(!members.is_empty(), "a consensus needs members");
    let genes = members[0].genes().clone();
    assert!(
        members.iter().all(|m| m.genes()[..] == genes[..]),
        "members must share one gene table"
    );
    let n_genes = genes.len() as u64;
    let key = |r: usize, t: usize| r as u64 * n_genes + t as u64;
    // Per pair: the sum of the member ranks it has, and how many members had it.
    let mut ranks: HashMap<u64, (f64, usize)> = HashMap::new();
    let mut missing_rank_sum = 0.0;
    for member in members {
        let mut table = member.clone();
        table.sort_by_score();
        // A pair listed twice keeps its best (first) score.
        let mut seen = std::collections::HashSet::new();
        table.retain(|e| e.regulator != e.target && seen.insert(key(e.regulator, e.target)));
        let predicted = table.len();
        let mut start = 0;
        while start < predicted {
            let score = table.get(start).score;
            let mut end = start + 1;
            while end < predicted && table.get(end).score == score {
                end += 1;
            }
            let mean_rank = (start + end + 1) as f64 / 2.0;
            for i in start..end {
                let e = table.get(i);
                let entry = ranks.entry(key(e.regulator, e.target)).or_insert((0.0, 0));
                // Store the rank minus this member's missing rank, so pairs that a
                // member lacks get its missing rank by default below.
                entry.0 += mean_rank - missing_rank(predicted, candidates);
                entry.1 += 1;
            }
            start = end;
        }
        missing_rank_sum += missing_rank(predicted, candidates);
    }
    let m = members.len() as f64;
    let n = candidates.max(1) as f64;
    let mut out = EdgeTable::new(genes, false);
    let mut pairs: Vec<(u64, f64)> = ranks
        .into_iter()
        .map(|(k, (delta, _))| (k, (missing_rank_sum + delta) / m))
        .collect();
    pairs.sort_unstable_by_key(|&(k, _)| k);
    for (k, mean_rank) in pairs {
        let (r, t) = ((k / n_genes) as usize, (k % n_genes) as usize);
        out.push(r, t, 1.0 - (mean_rank - 1.0) / n, Sign::Unknown);
    }
    out.sort_by_score();
    out
}

/// The mean rank of the tied block of unpredicted pairs: positions predicted + 1 to
/// candidates.
fn missing_rank(predicted: usize, candidates: usize) -> f64 {
    let candidates = candidates.max(predicted);
    (predicted + 1 + candidates) as f64 / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn table(edges: &[(usize, usize, f64)]) -> EdgeTable {
        let genes: Arc<[String]> = ["a", "b", "c", "d"].map(String::from).into();
        let mut t = EdgeTable::new(genes, false);
        for &(r, g, s) in edges {
            t.push(r, g, s, Sign::Unknown);
        }
        t
    }

    #[test]
    fn averages_ranks_with_missing_pairs_last() {
        // 12 candidate pairs. Member 1 ranks (0,1)=1, (1,2)=2.5, (2,3)=2.5;
        // member 2 ranks (2,3)=1 and misses the others (mean rank of 2..=12 = 7).
        let m1 = table(&[(0, 1, 3.0), (1, 2, 1.0), (2, 3, 1.0)]);
        let m2 = table(&[(2, 3, 0.2)]);
        let c = borda(&[m1, m2], 12);
        let got: Vec<(usize, usize, f64)> =
            c.iter().map(|e| (e.regulator, e.target, e.score)).collect();
        let score = |rank: f64| 1.0 - (rank - 1.0) / 12.0;
        assert_eq!(
            got,
            [
                (2, 3, score((2.5 + 1.0) / 2.0)),
                (0, 1, score((1.0 + 7.0) / 2.0)),
                (1, 2, score((2.5 + 7.0) / 2.0)),
            ]
        );
    }

    #[test]
    fn a_single_member_keeps_its_order() {
        let m = table(&[(0, 1, 0.5), (1, 0, 0.7), (3, 2, 0.1), (3, 2, 0.9)]);
        let c = borda(&[m], 12);
        let order: Vec<(usize, usize)> = c.iter().map(|e| (e.regulator, e.target)).collect();
        assert_eq!(order, [(3, 2), (1, 0), (0, 1)]);
    }
}
