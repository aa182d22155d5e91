//! MRNET: minimum-redundancy maximum-relevance forward selection per target (Meyer
//! et al. 2007, EURASIP J. Bioinformatics and Systems Biology 2007:79879).
//!
//! For target Y the regulator with the largest MI with Y is selected first; then,
//! repeatedly, the regulator X maximising I(X; Y) - mean over selected S of I(X; S),
//! until that score is no longer positive. Each selected regulator's score is its
//! mRMR score when it was selected. A pair of two regulators is scored in both
//! directions; as in the paper both directions get the larger of the two. Targets
//! run in parallel; O(r) memory and O(s r) time per target for s selected.
//!
//! ```
//! use grn::mutual_info::{mrnet::mrnet, PairMatrix};
//! // 0 drives 1 and 2; 2's MI with 1 is mostly redundant with 0.
//! let mut mi = PairMatrix::zeros(vec![0, 1, 2], 3);
//! for (i, j, v) in [(0, 1, 0.9f32), (0, 2, 0.8), (1, 2, 0.7)] {
//!     mi.values_mut()[[i, j]] = v;
//!     mi.values_mut()[[j, i]] = v;
//! }
//! let s = mrnet(mi);
//! assert_eq!(s.get(0, 1), 0.9);
//! assert!(s.get(2, 1) < 0.1 + 1e-6);
//! ```

use rayon::prelude::*;

use super::PairMatrix;

/// The regulators selected for `target` with their mRMR scores.
fn select(mi: &PairMatrix, target: usize) -> Vec<(usize, f32)> {
    let regs = mi.regulators();
    let relevance: Vec<f32> = regs.iter().map(|&r| mi.get(r, target)).collect();
    let mut redundancy = vec![0f64; regs.len()];
    let mut chosen = vec![false; regs.len()];
    if let Some(row) = mi.row_of(target) {
        chosen[row] = true;
    }
    let mut selected: Vec<(usize, f32)> = Vec::new();
    loop {
        let k = selected.len() as f64;
        let best = (0..regs.len())
            .filter(|&c| !chosen[c])
            .map(|c| {
                let red = if k > 0.0 { redundancy[c] / k } else { 0.0 };
                (c, f64::from(relevance[c]) - red)
            })
            // Ties go to the lowest gene index, for a result that does not depend
            // on iteration details.
            .fold(None, |best: Option<(usize, f64)>, (c, s)| match best {
                Some((_, bs)) if bs >= s => best,
                _ => Some((c, s)),
            });
        let Some((c, score)) = best else { break };
        if score <= 0.0 {
            break;
        }
        chosen[c] = true;
        selected.push((regs[c], score as f32));
        for (other, red) in redundancy.iter_mut().enumerate() {
            if !chosen[other] {
                *red += f64::from(mi.get(regs[other], regs[c]));
            }
        }
    }
    selected
}

/// MRNET scores from an MI matrix, which is reused for them (no second matrix).
pub fn mrnet(mi: PairMatrix) -> PairMatrix {
    let per_target: Vec<Vec<(usize, f32)>> = (0..mi.n_genes())
        .into_par_iter()
        .map(|g| select(&mi, g))
        .collect();
    let mut out = mi;
    out.values_mut().fill(0.0);
    for (g, picks) in per_target.into_iter().enumerate() {
        for (r, s) in picks {
            let row = out.row_of(r).expect("selected from regulators");
            out.values_mut()[[row, g]] = s;
        }
    }
    let regs = out.regulators().to_vec();
    for (ra, &a) in regs.iter().enumerate() {
        for (rb, &b) in regs.iter().enumerate().skip(ra + 1) {
            let v = out.values()[[ra, b]].max(out.values()[[rb, a]]);
            out.values_mut()[[ra, b]] = v;
            out.values_mut()[[rb, a]] = v;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_selection_by_hand() {
        // Target 3; regulators 0, 1, 2 with relevance 0.9, 0.6, 0.5.
        // Step 1: 0 (0.9). Step 2: 1: 0.6 - 0.5 = 0.1; 2: 0.5 - 0.1 = 0.4 -> 2.
        // Step 3: 1: 0.6 - (0.5 + 0.2) / 2 = 0.25 -> selected with 0.25.
        let mut mi = PairMatrix::zeros(vec![0, 1, 2], 4);
        for (i, j, v) in [
            (0, 3, 0.9f32),
            (1, 3, 0.6),
            (2, 3, 0.5),
            (0, 1, 0.5),
            (0, 2, 0.1),
            (1, 2, 0.2),
        ] {
            mi.values_mut()[[i, j]] = v;
            if j < 3 {
                mi.values_mut()[[j, i]] = v;
            }
        }
        let picks = select(&mi, 3);
        let want = [(0, 0.9f32), (2, 0.4), (1, 0.25)];
        assert_eq!(picks.len(), 3);
        for ((r, s), (wr, ws)) in picks.iter().zip(want) {
            assert_eq!(*r, wr);
            assert!((s - ws).abs() < 1e-6);
        }
    }

    #[test]
    fn stops_when_redundancy_dominates_and_symmetrises() {
        let mut mi = PairMatrix::zeros(vec![0, 1], 3);
        // Both regulators explain 2, but they are nearly the same gene.
        for (i, j, v) in [(0, 2, 0.8f32), (1, 2, 0.7), (0, 1, 2.0)] {
            mi.values_mut()[[i, j]] = v;
            if j < 2 {
                mi.values_mut()[[j, i]] = v;
            }
        }
        let s = mrnet(mi);
        assert_eq!(s.get(0, 2), 0.8);
        assert_eq!(s.get(1, 2), 0.0);
        // 0 -> 1 and 1 -> 0 are both first picks with MI 2.0.
        assert_eq!((s.get(0, 1), s.get(1, 0)), (2.0, 2.0));
    }
}
