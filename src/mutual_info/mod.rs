//! Information-theoretic and correlation scoring of gene pairs: mutual-information
//! estimators, the networks built on them (relevance, CLR, ARACNe, MRNET) and
//! correlation networks (Pearson, Spearman, Ledoit-Wolf partial correlation).
//!
//! Every scorer fills a [`PairMatrix`]: one row per regulator, one column per gene,
//! `f32` scores. MI is symmetric, so a pair of two regulators is computed once and
//! both directions get the score. That one matrix is the memory peak: 4 bytes x
//! regulators x genes (1.6 GB for 20,000 genes all regulating; 144 MB with 1,800
//! TFs); CLR, ARACNe's DPI and MRNET transform it in place. [`PairMatrix::edges`]
//! streams it into an [`crate::network::EdgeTable`] and with `top` keeps only the
//! best edges in a bounded heap, so the edge list never holds every pair (without
//! `top` it costs 17 bytes per non-zero pair).
//!
//! | step | reference | cost (g genes, r regulators, n samples) |
//! |---|---|---|
//! | Gaussian MI, Pearson, Spearman | -1/2 ln(1 - rho^2) | one blocked matrix product, O(r g n) |
//! | empirical MI (+ Miller-Madow, shrink) | Meyer et al. 2008 (minet); Hausser & Strimmer 2009 | O(r g (n + b^2)) |
//! | B-spline MI | Daub et al. 2004 | blocked product of spline weights, O(r g n M^2) |
//! | KSG MI | Kraskov et al. 2004 | O(r g n log n), 2-d k-d tree per pair |
//! | CLR | Faith et al. 2007 | O(r g) |
//! | ARACNe (DPI) | Margolin et al. 2006; Lachmann et al. 2016 | O(edges x shared neighbours) |
//! | MRNET | Meyer et al. 2007 | O(g r s) for s selected per target |
//! | partial correlation | Ledoit & Wolf 2004 | O(g^2 n + g^3), dense g x g `f64` |
//!
//! ```
//! use grn::mutual_info::{self, clr, Estimator, MiParams};
//! // Gene 1 follows gene 0, gene 2 is unrelated.
//! let n = 200;
//! let a: Vec<f32> = (0..n).map(|i| ((i * 37) % 101) as f32).collect();
//! let b: Vec<f32> = a.iter().map(|v| v.sqrt()).collect();
//! let c: Vec<f32> = (0..n).map(|i| ((i * 53) % 97) as f32).collect();
//! let values = ndarray::Array2::from_shape_vec((3, n), [a, b, c].concat()).unwrap();
//! let params = MiParams { estimator: Estimator::Empirical, ..Default::default() };
//! let mi = mutual_info::mi_matrix(values.view(), &[0, 1, 2], &params, 0, &grn::Quiet).unwrap();
//! assert!(mi.pair(0, 1).unwrap() > 2.0 * mi.pair(0, 2).unwrap());
//! let scores = clr::clr(mi);
//! assert!(scores.pair(0, 1).unwrap() > scores.pair(0, 2).unwrap());
//! ```

pub mod aracne;
pub mod clr;
pub mod correlation;
pub mod estimators;
pub mod mrnet;
mod pairs;

pub use estimators::{Estimator, MiParams, mi_matrix, mi_pair};
pub use pairs::PairMatrix;

/// Why a scorer could not run.
#[derive(Debug, thiserror::Error)]
pub enum MiError {
    /// A parameter is out of range; the message says which and what is allowed.
    #[error("{0}")]
    Param(String),
    /// The data cannot be scored (too few samples, sizes that do not match).
    #[error("{0}")]
    Input(String),
}

#[cfg(test)]
pub(crate) mod testing {
    //! Shared test data.
    use ndarray::Array2;
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};

    /// `n` samples of a standard bivariate normal with correlation `rho`.
    pub fn bivariate(n: usize, rho: f64, seed: u64) -> (Vec<f32>, Vec<f32>) {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut x = Vec::with_capacity(n);
        let mut y = Vec::with_capacity(n);
        for _ in 0..n {
            let a: f64 = StandardNormal.sample(&mut rng);
            let b: f64 = StandardNormal.sample(&mut rng);
            x.push(a as f32);
            y.push((rho * a + (1.0 - rho * rho).sqrt() * b) as f32);
        }
        (x, y)
    }

    /// The MI of a bivariate normal with correlation `rho`, in nats.
    pub fn gaussian_mi(rho: f64) -> f64 {
        -0.5 * (1.0 - rho * rho).ln()
    }

    /// Genes x samples matrix from rows.
    pub fn matrix(rows: &[Vec<f32>]) -> Array2<f32> {
        let n = rows[0].len();
        Array2::from_shape_vec((rows.len(), n), rows.concat()).unwrap()
    }
}
