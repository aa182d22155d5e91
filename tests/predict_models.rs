//! Stored response models (issue 16): exact save/load round trips, clear errors
//! for other versions, and explanations that add up, on DREAM4 data with its gold
//! network.

use std::path::Path;

use grn::expression::{self, ExpressionMatrix, ReadOptions};
use grn::network::{self, GeneNetwork};
use grn::perturb::{
    BoostingModelParams, ForestModelParams, INTERVAL_LEVELS, ModelKind, ModelParams, ResponseModel,
    fit,
};

fn dream4() -> (ExpressionMatrix, GeneNetwork) {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let m = expression::read(
        &data.join("insilico_size100_1_multifactorial.tsv"),
        &ReadOptions::default(),
    )
    .unwrap()
    .matrix;
    let n = network::read(
        &data.join("insilico_size100_1_goldstandard.tsv"),
        &network::ReadOptions::default(),
    )
    .unwrap();
    (m, n)
}

fn kinds() -> Vec<ModelKind> {
    let mut forest = ForestModelParams::breiman();
    forest.forest.n_trees = 20;
    let mut boosting = BoostingModelParams::grnboost2();
    boosting.boosting.max_rounds = 200;
    vec![
        ModelParams::default().kind,
        ModelKind::Forest(forest),
        ModelKind::Boosting(boosting),
    ]
}

fn bytes(model: &ResponseModel) -> Vec<u8> {
    let mut out = Vec::new();
    model.write_model(&mut out).unwrap();
    out
}

#[test]
fn save_load_round_trip_is_exact() {
    let (m, net) = dream4();
    let dir = tempfile::tempdir().unwrap();
    for kind in kinds() {
        let params = ModelParams {
            kind,
            ..ModelParams::default()
        };
        let model = fit(&m, &net, &params, &grn::Quiet).unwrap();
        for name in ["m.grnm", "m.grnm.gz"] {
            let path = dir.path().join(name);
            model.save(&path).unwrap();
            let loaded = ResponseModel::load(&path).unwrap();
            // The same bytes again, so every stored number came back exactly.
            assert_eq!(bytes(&loaded), bytes(&model), "{}", params.kind.name());
            assert_eq!(loaded.kind(), model.kind());
            assert_eq!(loaded.params(), Some(&params));
            let (mut b1, mut b2) = (Vec::new(), Vec::new());
            for s in 0..m.n_samples() {
                let x: Vec<f64> = (0..m.n_genes())
                    .map(|g| m.values()[[g, s]] as f64)
                    .collect();
                for t in 0..m.n_genes() {
                    assert_eq!(
                        model.predict_one(t, &x, &mut b1).to_bits(),
                        loaded.predict_one(t, &x, &mut b2).to_bits()
                    );
                }
            }
            for g in 0..m.n_genes() {
                assert_eq!(loaded.r2(g), model.r2(g));
                assert_eq!(loaded.alpha(g), model.alpha(g));
                assert_eq!(loaded.cv_rmse(g), model.cv_rmse(g));
                assert_eq!(loaded.regulators(g), model.regulators(g));
                for l in INTERVAL_LEVELS {
                    assert_eq!(loaded.interval(g, l), model.interval(g, l));
                }
            }
        }
    }
}

#[test]
fn other_versions_and_damaged_files_are_clear_errors() {
    let (m, net) = dream4();
    let model = fit(&m, &net, &ModelParams::default(), &grn::Quiet).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let good = bytes(&model);
    let text = String::from_utf8(good.clone()).unwrap();
    let cases = [
        (
            text.replacen("grn-model 1", "grn-model 2", 1),
            "version 2, but this grn reads version 1",
        ),
        ("gene\tvalue\n".to_string(), "not a grn model file"),
        (
            text.replacen("\"kind\":\"linear\"", "\"kind\":\"forest\"", 1),
            "inconsistent model",
        ),
        (text[..text.len() / 2].to_string(), "malformed model"),
    ];
    for (content, expected) in cases {
        let path = dir.path().join("bad.grnm");
        std::fs::write(&path, content).unwrap();
        let e = ResponseModel::load(&path).unwrap_err().to_string();
        assert!(e.contains(expected) && e.contains("bad.grnm"), "{e}");
    }
    // Another gene set.
    let genes: Vec<String> = m.genes()[1..].to_vec();
    let e = model
        .check_same_genes(&genes, "the matrix")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("fitted on 100 genes, the matrix has 99") && e.contains("G1"),
        "{e}"
    );
}

#[test]
fn shap_adds_up_to_prediction_minus_expected_value() {
    let (m, net) = dream4();
    for kind in kinds() {
        let params = ModelParams {
            kind,
            ..ModelParams::default()
        };
        let model = fit(&m, &net, &params, &grn::Quiet).unwrap();
        let mut buf = Vec::new();
        let mut expected_sum = 0.0;
        for s in (0..m.n_samples()).step_by(7) {
            let x: Vec<f64> = (0..m.n_genes())
                .map(|g| m.values()[[g, s]] as f64)
                .collect();
            for t in (0..m.n_genes()).step_by(5) {
                if model.regulators(t).is_empty() {
                    continue;
                }
                let e = grn::explain::explain(&model, t, &x).unwrap();
                let total: f64 = e.contributions.iter().sum();
                assert!(
                    (total - (e.prediction - e.expected)).abs() < 1e-6,
                    "{}: {total} vs {}",
                    params.kind.name(),
                    e.prediction - e.expected
                );
                // The model's own (32-bit for trees) prediction agrees.
                let p = model.predict_one(t, &x, &mut buf);
                assert!((p - e.prediction).abs() < 1e-5, "{p} vs {}", e.prediction);
                expected_sum += e.expected;
            }
        }
        // The expected value is the mean prediction over the training samples.
        let t = (0..m.n_genes())
            .find(|&t| !model.regulators(t).is_empty())
            .unwrap();
        let e0 = grn::explain::explain(&model, t, &vec![0.0; m.n_genes()]).unwrap();
        let mean_pred: f64 = (0..m.n_samples())
            .map(|s| {
                let x: Vec<f64> = (0..m.n_genes())
                    .map(|g| m.values()[[g, s]] as f64)
                    .collect();
                grn::explain::explain(&model, t, &x).unwrap().prediction
            })
            .sum::<f64>()
            / m.n_samples() as f64;
        assert!(
            (e0.expected - mean_pred).abs() < 1e-6,
            "{} vs {mean_pred}",
            e0.expected
        );
        assert!(expected_sum.is_finite());
    }
}
