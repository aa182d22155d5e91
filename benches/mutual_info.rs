//! All-pairs MI speed (issue 4): Gaussian MI + CLR on 1,000 samples x 5,000 genes,
//! and the empirical and B-spline estimators on 1,000 samples x 1,000 genes (their
//! cost is per pair, so the 5,000-gene time is 5000*4999 / (1000*999) = 25.02 times
//! that; measuring it directly would take criterion's ten samples of minutes each).
//!
//! `cargo bench --bench mutual_info`

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::Array2;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

use grn::mutual_info::{Estimator, MiParams, clr, mi_matrix};

/// Genes x samples: standard normal noise, each gene after the first also mixing in
/// an earlier gene, so MI values are not all near zero.
fn data(genes: usize, samples: usize) -> Array2<f32> {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(42);
    let mut m = Array2::<f32>::zeros((genes, samples));
    for g in 0..genes {
        for s in 0..samples {
            let noise: f32 = StandardNormal.sample(&mut rng);
            m[[g, s]] = noise + if g > 0 { 0.5 * m[[g / 2, s]] } else { 0.0 };
        }
    }
    m
}

fn params(estimator: Estimator) -> MiParams {
    MiParams {
        estimator,
        ..Default::default()
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("mutual_info");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(30));

    let big = data(5000, 1000);
    let all: Vec<usize> = (0..5000).collect();
    group.bench_function("gaussian_mi_clr_1000x5000", |b| {
        b.iter(|| {
            let mi = mi_matrix(
                big.view(),
                &all,
                &params(Estimator::Gaussian),
                0,
                &grn::Quiet,
            )
            .unwrap();
            clr::clr(mi)
        })
    });
    drop(big);

    let small = data(1000, 1000);
    let all: Vec<usize> = (0..1000).collect();
    for e in [Estimator::Empirical, Estimator::BSpline] {
        group.bench_function(format!("{e}_mi_1000x1000"), |b| {
            b.iter(|| mi_matrix(small.view(), &all, &params(e), 0, &grn::Quiet).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
