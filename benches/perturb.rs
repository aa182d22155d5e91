//! Screen speed (issue 7): all 1,800 single-TF knockouts on a 20,000-gene network
//! with 10 regulators per target (target: under 30 s on 2 cores), propagated to the
//! steady state and by CellOracle's 3 steps; and fitting the ridge models of the
//! 20,000 targets on 200 samples.
//!
//! The network is generated: genes 0..1800 are the TFs, every gene gets 10 distinct
//! TF regulators drawn uniformly (so the TFs form one strongly connected block of
//! 1,800 genes, the hard case for the steady-state solve), with weights uniform in
//! ±[0.05, 0.15]. The signature is 200 random genes with random directions.
//!
//! `cargo bench --bench perturb`

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use rand::seq::index::sample;
use rand::{Rng, SeedableRng};

use grn::expression::ExpressionMatrix;
use grn::network::{Cut, EdgeTable, GeneNetwork, Sign};
use grn::perturb::{
    Baseline, ModelParams, Predictor, PropagationParams, ResponseModel, ScreenParams, Signature,
    fit, screen,
};

const GENES: usize = 20_000;
const TFS: usize = 1_800;
const PER_TARGET: usize = 10;

fn edges(rng: &mut impl Rng) -> Vec<(usize, usize, f64)> {
    let mut e = Vec::with_capacity(GENES * PER_TARGET);
    for t in 0..GENES {
        let regs = sample(rng, TFS, PER_TARGET + 1);
        for r in regs.iter().filter(|&r| r != t).take(PER_TARGET) {
            let w = rng.random_range(0.05..0.15) * if rng.random::<bool>() { 1.0 } else { -1.0 };
            e.push((r, t, w));
        }
    }
    e
}

fn names() -> Vec<String> {
    (0..GENES).map(|g| format!("G{g}")).collect()
}

fn bench(c: &mut Criterion) {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
    let edges = edges(&mut rng);
    let model = ResponseModel::linear(names(), &edges).unwrap();
    let baseline: Vec<f64> = (0..GENES).map(|_| rng.random_range(1.0..10.0)).collect();
    let signature = Signature::new(
        sample(&mut rng, GENES, 200)
            .iter()
            .map(|g| (g, if rng.random::<bool>() { 1.0 } else { -1.0 }))
            .collect(),
    )
    .unwrap();
    let candidates: Vec<usize> = (0..TFS).collect();

    let mut group = c.benchmark_group("perturb");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20));
    for (name, params) in [
        (
            "screen_1800_ko_20000_genes_steady",
            PropagationParams::default(),
        ),
        (
            "screen_1800_ko_20000_genes_3_steps",
            PropagationParams::celloracle(),
        ),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                // The factorisation is part of the screen's cost.
                let predictor = Predictor::new(&model, baseline.clone(), &params).unwrap();
                screen(
                    &predictor,
                    &signature,
                    &candidates,
                    &ScreenParams::default(),
                    &grn::Quiet,
                )
                .unwrap()
            })
        });
    }

    // Fitting: expression from the linear model plus noise, 200 samples.
    let samples = 200;
    let mut values = ndarray::Array2::<f32>::zeros((GENES, samples));
    for s in 0..samples {
        for g in 0..TFS {
            values[[g, s]] = rng.random_range(0.0..2.0);
        }
    }
    for &(r, t, w) in &edges {
        if t >= TFS {
            for s in 0..samples {
                values[[t, s]] += (w * values[[r, s]] as f64) as f32;
            }
        }
    }
    for g in TFS..GENES {
        for s in 0..samples {
            values[[g, s]] += rng.random_range(0.0..0.1);
        }
    }
    let sample_names = (0..samples).map(|s| format!("S{s}")).collect();
    let matrix = ExpressionMatrix::new(names(), sample_names, values).unwrap();
    let mut table = EdgeTable::new(names().into(), false);
    for &(r, t, w) in &edges {
        table.push(r, t, w.abs(), Sign::Unknown);
    }
    let network = GeneNetwork::from_table(&table, &Cut::default(), None).unwrap();
    group.bench_function("fit_linear_20000_targets_200_samples", |b| {
        b.iter(|| fit(&matrix, &network, &ModelParams::default(), &grn::Quiet).unwrap())
    });
    let fitted = fit(&matrix, &network, &ModelParams::default(), &grn::Quiet).unwrap();
    let mean = Baseline::Mean.resolve(&matrix).unwrap();
    group.bench_function("fitted_screen_1800_ko_steady", |b| {
        b.iter(|| {
            let predictor =
                Predictor::new(&fitted, mean.clone(), &PropagationParams::default()).unwrap();
            screen(
                &predictor,
                &signature,
                &candidates,
                &ScreenParams::default(),
                &grn::Quiet,
            )
            .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
