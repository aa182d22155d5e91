//! Speed of `grn simulate`: the scale target (10,000 genes x 5,000
//! multifactorial steady states in under 5 minutes on 2 cores), and a network with a
//! large feedback block, where the sparse LU dominates.
//!
//! `cargo bench --bench simulate`. Timings on the shared 2-core machine are noisy:
//! report criterion's median.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use grn::simulate::{self, NetworkSource, SimulateParams, Topology};

fn params(topology: Topology, genes: usize, samples: usize) -> SimulateParams {
    let mut p = SimulateParams::random(topology, genes, 1);
    p.experiments.samples = samples;
    p
}

fn scale(c: &mut Criterion) {
    let mut group = c.benchmark_group("simulate");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(60));
    group.warm_up_time(Duration::from_secs(5));
    // The target: network, kinetics, wild type and 5000 samples.
    let p = params(Topology::ScaleFree, 10_000, 5_000);
    group.bench_function("scale_free_10000_genes_5000_samples", |b| {
        b.iter(|| simulate::simulate(&p, None, &grn::Quiet).unwrap())
    });
    // A regulator-dense random network: 30% regulators, mean degree 4, whose
    // regulators form one feedback block of several hundred genes.
    let mut p = params(Topology::ErdosRenyi, 2_000, 100);
    if let NetworkSource::Random(t) = &mut p.network {
        t.regulators = Some(600);
        t.mean_degree = 4.0;
    }
    group.bench_function("feedback_2000_genes_100_samples", |b| {
        b.iter(|| simulate::simulate(&p, None, &grn::Quiet).unwrap())
    });
    group.finish();
}

criterion_group!(benches, scale);
criterion_main!(benches);
