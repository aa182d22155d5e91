//! Export speed on a genome-scale network: 20,000 genes, 1,000,000 edges from 1,600
//! regulators (about the number of human TFs, Lambert et al. 2018), random scores
//! and signs. Measures building the graph from the edge table and writing each
//! format to a file (atomic write, as `grn export` does).

use std::collections::HashSet;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use rand::Rng;

use grn::export::{self, Format};
use grn::network::{Cut, EdgeTable, GeneNetwork, Sign};

const GENES: usize = 20_000;
const TFS: usize = 1_600;
const EDGES: usize = 1_000_000;

fn random_table() -> (EdgeTable, Vec<String>) {
    let names: Vec<String> = (0..GENES).map(|i| format!("GENE{i:05}")).collect();
    let tfs = names[..TFS].to_vec();
    let mut rng = grn::random::stream(42, 0);
    let mut table = EdgeTable::new(Arc::from(names), true);
    let mut seen = HashSet::with_capacity(EDGES);
    while table.len() < EDGES {
        let r = rng.random_range(0..TFS);
        let t = rng.random_range(0..GENES);
        if r == t || !seen.insert((r, t)) {
            continue;
        }
        let score: f64 = -rng.random::<f64>().ln();
        let sign = if rng.random::<bool>() {
            Sign::Activation
        } else {
            Sign::Repression
        };
        table.push(r, t, score, sign);
    }
    (table, tfs)
}

fn bench(c: &mut Criterion) {
    let (table, tfs) = random_table();
    let mut group = c.benchmark_group("export_20k_genes_1M_edges");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(15));
    group.bench_function("build", |b| {
        b.iter(|| GeneNetwork::from_table(black_box(&table), &Cut::default(), Some(&tfs)).unwrap())
    });
    let net = GeneNetwork::from_table(&table, &Cut::default(), Some(&tfs)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for format in Format::ALL {
        let path = dir.path().join(format!("net.{format}"));
        group.bench_function(format.name(), |b| {
            b.iter(|| export::save(black_box(&net), format, &path).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
