//! Tree ensembles written for network inference: random forests and extra-trees
//! (GENIE3, Huynh-Thu et al. 2010, PLoS ONE 5(9):e12776) and stochastic gradient
//! boosting with early stopping (GRNBoost2, Moerman et al. 2019, Bioinformatics
//! 35(12):2159-2161).
//!
//! The speed comes from sharing work across targets: every gene is binned once into
//! at most 256 quantile bins ([`BinnedMatrix`]) and every target's trees split on
//! those `u8` codes with histogram sums, so a node of m samples costs O(m) per
//! candidate feature, with no sorting. For genes whose most frequent bin (zero, in
//! single-cell counts) holds at least half the samples, a node larger than the
//! other samples histograms only those and takes the mode's bin by subtraction, so
//! such a feature costs O(min(m, non-zero samples)).
//!
//! Importance of a regulator is the weighted variance reduction of the splits on it
//! (the target scaled to unit variance, as GENIE3 does), taken as a share of the
//! total: per tree and averaged over trees for forests, over the whole ensemble for
//! boosting, as scikit-learn's `feature_importances_` (which arboreto reports). Each
//! target's scores thus sum to 1. For fully grown forests this equals GENIE3's
//! variance share up to the bootstrap noise it removes; for boosting it keeps scores
//! from measuring how early a target's out-of-bag early stopping happened to fire.
//!
//! Cost per target: forests O(trees x sqrt(p) x n log n); boosting O(rounds x 0.1 p x
//! n x depth).
//!
//! ```
//! use grn::trees::{fit, BinnedMatrix, EnsembleParams, ForestParams, MaxFeatures};
//! use rand::SeedableRng;
//! // Gene 2 is a step function of gene 0; gene 1 is unrelated.
//! let x0: Vec<f32> = (0..60).map(|i| (i % 10) as f32).collect();
//! let x1: Vec<f32> = (0..60).map(|i| ((i * 7) % 11) as f32).collect();
//! let y: Vec<f32> = x0.iter().map(|&v| if v > 4.0 { 1.0 } else { 0.0 }).collect();
//! let values = ndarray::Array2::from_shape_vec((3, 60), [x0, x1, y.clone()].concat()).unwrap();
//! let binned = BinnedMatrix::new(values.view());
//! let mut params = ForestParams::genie3();
//! params.n_trees = 50;
//! params.tree.max_features = MaxFeatures::All;
//! let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
//! let fit = fit(&binned, &y, vec![0, 1], &EnsembleParams::Forest(params), &mut rng, false);
//! assert!(fit.importances[0] > 10.0 * fit.importances[1]);
//! ```

mod binned;
mod dense;
mod ensemble;
mod params;
mod tree;

pub use binned::{BinnedMatrix, MAX_BINS};
pub use ensemble::{TargetFit, TreeModel, fit, fit_weighted};
pub use params::{
    BoostingParams, EnsembleParams, ForestParams, MaxFeatures, OobImprovement, ParamError,
    SplitRule, TreeParams,
};
pub use tree::{LEAF, Node, Tree};

/// Sum of `f(i)` over the samples `idx`, kept in four running sums. With one, each
/// addition waits for the one before (four cycles of latency), and these per-tree
/// and per-node passes then cost as much as a node's histograms; the order is
/// fixed, so the result is too.
pub(crate) fn sum_over(idx: &[u32], f: impl Fn(usize) -> f64) -> f64 {
    let mut acc = [0.0f64; 4];
    let chunks = idx.chunks_exact(4);
    for (a, &i) in acc.iter_mut().zip(chunks.remainder()) {
        *a += f(i as usize);
    }
    for c in chunks {
        for (a, &i) in acc.iter_mut().zip(c) {
            *a += f(i as usize);
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// A matrix whose last gene is `f` of gene 0; the other genes are noise.
    fn data(n: usize, p: usize, seed: u64, f: impl Fn(f32) -> f32) -> (BinnedMatrix, Vec<f32>) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut rows: Vec<Vec<f32>> = (0..p)
            .map(|_| (0..n).map(|_| rng.random::<f32>()).collect())
            .collect();
        let y: Vec<f32> = rows[0].iter().map(|&v| f(v)).collect();
        rows.push(y.clone());
        let values = ndarray::Array2::from_shape_vec((p + 1, n), rows.concat()).unwrap();
        (BinnedMatrix::new(values.view()), y)
    }

    /// Feature 0 scores over ten times any other.
    fn assert_first_dominates(importances: &[f64], params: &EnsembleParams) {
        let other = importances[1..].iter().cloned().fold(0.0, f64::max);
        assert!(importances[0] > 10.0 * other, "{params:?}: {importances:?}");
    }

    fn all_methods() -> Vec<EnsembleParams> {
        let mut rf = ForestParams::genie3();
        rf.n_trees = 200;
        let mut et = ForestParams::genie3_et();
        et.n_trees = 200;
        vec![
            EnsembleParams::Forest(rf),
            EnsembleParams::Forest(et),
            EnsembleParams::Boosting(BoostingParams::grnboost2()),
        ]
    }

    #[test]
    fn exact_function_of_one_gene_gets_almost_all_importance() {
        let p = 10;
        let (binned, y) = data(300, p, 3, |v| (4.0 * v).sin());
        for mut params in all_methods() {
            // With every feature available at every node, the true regulator takes
            // nearly all the importance.
            match &mut params {
                EnsembleParams::Forest(f) => f.tree.max_features = MaxFeatures::All,
                EnsembleParams::Boosting(b) => b.tree.max_features = MaxFeatures::All,
            }
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
            let fit = fit(&binned, &y, (0..p).collect(), &params, &mut rng, false);
            assert!(
                fit.importances[0] > 0.95,
                "{params:?}: share {}",
                fit.importances[0]
            );
        }
        for params in all_methods() {
            // With the presets' random subsets, nodes that do not draw it split on
            // noise, but it still dwarfs every other gene.
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
            let fit = fit(&binned, &y, (0..p).collect(), &params, &mut rng, false);
            assert_first_dominates(&fit.importances, &params);
        }
    }

    #[test]
    fn zero_inflated_regulator_is_found_through_its_rest_list() {
        // Single-cell-like genes: 70% zeros, so their histograms go through the
        // samples outside the zero bin in nodes larger than that list.
        let (n, p) = (2000, 10);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let mut values = ndarray::Array2::from_shape_fn((p, n), |_| {
            if rng.random::<f64>() < 0.7 {
                0.0
            } else {
                rng.random::<f32>()
            }
        });
        let y: Vec<f32> = values.row(0).iter().map(|&v| (4.0 * v).sin()).collect();
        values.row_mut(p - 1).fill(0.0);
        let binned = BinnedMatrix::new(values.view());
        assert!((0..p).all(|g| binned.rest(g).is_some()));
        for params in all_methods() {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
            let fit = fit(&binned, &y, (0..p).collect(), &params, &mut rng, false);
            assert_first_dominates(&fit.importances, &params);
            assert_eq!(fit.importances[p - 1], 0.0, "a constant gene never splits");
        }
    }

    #[test]
    fn pure_noise_gives_near_uniform_importance() {
        let p = 10;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let noise: Vec<f32> = (0..300).map(|_| rng.random::<f32>()).collect();
        let (binned, _) = data(300, p, 4, |v| v);
        let mut rf = ForestParams::genie3();
        rf.n_trees = 300;
        let fit = fit(
            &binned,
            &noise,
            (0..p).collect(),
            &EnsembleParams::Forest(rf),
            &mut rng,
            false,
        );
        let total: f64 = fit.importances.iter().sum();
        for (f, &v) in fit.importances.iter().enumerate() {
            let share = v / total;
            assert!((share - 0.1).abs() < 0.03, "feature {f}: share {share}");
        }
    }

    #[test]
    fn importances_are_shares() {
        let (binned, y) = data(100, 5, 1, |v| v * v);
        for params in all_methods() {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
            let fit = fit(&binned, &y, (0..5).collect(), &params, &mut rng, false);
            let total: f64 = fit.importances.iter().sum();
            assert!((total - 1.0).abs() < 1e-9, "{params:?}: {total}");
        }
    }

    #[test]
    fn boosting_stops_early_on_noise_and_models_predict() {
        let (binned, y) = data(400, 8, 7, |v| if v > 0.5 { 2.0 } else { -1.0 });
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let mut boosting = BoostingParams::grnboost2();
        // Every feature at every node, so the step is found at the root each round.
        boosting.tree.max_features = MaxFeatures::All;
        let fit = fit(
            &binned,
            &y,
            (0..8).collect(),
            &EnsembleParams::Boosting(boosting),
            &mut rng,
            true,
        );
        assert!(fit.trees < 5000, "early stopping never triggered");
        let model = fit.model.unwrap();
        assert_eq!(model.features, (0..8).collect::<Vec<_>>());
        let mut x = vec![0.5f32; 8];
        x[0] = 0.9;
        assert!(
            (model.predict(&x) - 2.0).abs() < 0.1,
            "{}",
            model.predict(&x)
        );
        x[0] = 0.1;
        assert!(
            (model.predict(&x) + 1.0).abs() < 0.1,
            "{}",
            model.predict(&x)
        );

        let params = EnsembleParams::Boosting(BoostingParams::grnboost2());
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let mut rng_noise = Xoshiro256PlusPlus::seed_from_u64(11);
        let noise: Vec<f32> = (0..400).map(|_| rng_noise.random::<f32>()).collect();
        let fit = super::fit(&binned, &noise, (0..8).collect(), &params, &mut rng, false);
        assert!(fit.trees < 1000, "ran {} rounds on pure noise", fit.trees);
    }

    #[test]
    fn weighted_candidates_favour_the_weighted_copy() {
        // Genes 0 and 1 are the same signal: uniform draws split the importance,
        // prior weights 9:1 give most of it to gene 0, and unweighted fits are the
        // plain fits draw for draw.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(8);
        let mut rows: Vec<Vec<f32>> = (0..6)
            .map(|_| (0..200).map(|_| rng.random::<f32>()).collect())
            .collect();
        rows[1] = rows[0].clone();
        let y: Vec<f32> = rows[0].iter().map(|v| 3.0 * v).collect();
        let values = ndarray::Array2::from_shape_vec((6, 200), rows.concat()).unwrap();
        let binned = BinnedMatrix::new(values.view());
        let mut rf = ForestParams::genie3();
        rf.n_trees = 100;
        let params = EnsembleParams::Forest(rf);
        let run = |w: Option<&[f64]>| {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
            fit_weighted(&binned, &y, (0..6).collect(), w, &params, &mut rng, false).importances
        };
        let plain = {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
            fit(&binned, &y, (0..6).collect(), &params, &mut rng, false).importances
        };
        assert_eq!(run(None), plain);
        let uniform = run(None);
        assert!((uniform[0] / uniform[1] - 1.0).abs() < 0.5, "{uniform:?}");
        let weighted = run(Some(&[9.0, 1.0, 1.0, 1.0, 1.0, 1.0]));
        assert!(weighted[0] > 3.0 * weighted[1], "{weighted:?}");
    }

    #[test]
    fn same_seed_same_importances() {
        let (binned, y) = data(80, 6, 2, |v| v.exp());
        for params in all_methods() {
            let run = |s| {
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(s);
                fit(&binned, &y, (0..6).collect(), &params, &mut rng, false).importances
            };
            assert_eq!(run(1), run(1));
            assert_ne!(run(1), run(2));
        }
    }

    #[test]
    fn consecutive_oob_improvement_stops_sooner_and_still_finds_the_regulator() {
        // A smooth response: each round removes a little more of it, so paired
        // improvements stay positive for long while consecutive ones, differences of
        // losses on two samples of cells, soon average below zero.
        for seed in 0..4 {
            let (binned, y) = data(500, 10, seed, |v| v);
            let rounds = |rule| {
                let mut boosting = BoostingParams::grnboost2();
                boosting.oob_improvement = rule;
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
                let boosting = EnsembleParams::Boosting(boosting);
                let fit = fit(&binned, &y, (0..10).collect(), &boosting, &mut rng, false);
                let best =
                    (0..10).max_by(|&a, &b| fit.importances[a].total_cmp(&fit.importances[b]));
                assert_eq!(best, Some(0), "{rule}: {:?}", fit.importances);
                fit.trees
            };
            let (paired, consecutive) = (
                rounds(OobImprovement::Paired),
                rounds(OobImprovement::Consecutive),
            );
            assert!(
                consecutive * 3 < paired,
                "seed {seed}: consecutive {consecutive} rounds, paired {paired}"
            );
        }
    }
}
