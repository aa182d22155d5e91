//! Inference speed: GENIE3 (1000 trees) and GRNBoost2 on DREAM4 network 1, and
//! GRNBoost2 on the synthetic 1,000-sample x 2,000-gene matrix with 200 TFs.
//!
//! `cargo bench --bench infer` runs everything (the synthetic run takes about a
//! minute per sample on 2 cores, ten samples); `cargo bench --bench infer -- dream4`
//! runs only the DREAM4 group. The synthetic matrix is looked for in
//! `$GRN_SYNTHETIC_DIR` (default `../shared/data/synthetic_1000x2000`) and skipped
//! with a message when absent.

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};

use grn::expression::{self, ExpressionMatrix, ReadOptions, Regulators};
use grn::infer::{self, InferParams, TreeMethod};

fn load(path: &Path) -> ExpressionMatrix {
    expression::read(path, &ReadOptions::default())
        .expect("readable matrix")
        .matrix
}

fn run(m: &ExpressionMatrix, regulators: &Regulators, method: TreeMethod) {
    let params = InferParams {
        method: method.into(),
        ..Default::default()
    };
    infer::infer(m, regulators, &params, &grn::Quiet).expect("inference runs");
}

/// The repository root (this crate is its `benches/` folder).
fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("benches/ is inside the repository")
}

fn dream4(c: &mut Criterion) {
    let m = load(&repo_root().join("data/insilico_size100_1_multifactorial.tsv"));
    let mut group = c.benchmark_group("dream4_net1");
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    for method in [TreeMethod::Genie3, TreeMethod::GrnBoost2] {
        group.bench_function(method.name(), |b| {
            b.iter(|| run(&m, &Regulators::All, method))
        });
    }
    group.finish();
}

fn synthetic(c: &mut Criterion) {
    let dir = std::env::var_os("GRN_SYNTHETIC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/data/synthetic_1000x2000"));
    let expr = dir.join("expression.tsv.gz");
    if !expr.exists() {
        eprintln!(
            "skipping the synthetic benchmark: {} not found (set GRN_SYNTHETIC_DIR)",
            expr.display()
        );
        return;
    }
    let m = load(&expr);
    let tfs = expression::read_gene_list(&dir.join("tfs.txt")).expect("TF list");
    let (regulators, _) = m.resolve_regulators(&tfs).expect("TFs are genes");
    let mut group = c.benchmark_group("synthetic_1000x2000");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(600));
    group.bench_function("grnboost2_200tfs", |b| {
        b.iter(|| run(&m, &regulators, TreeMethod::GrnBoost2))
    });
    group.finish();
}

criterion_group!(benches, dream4, synthetic);
criterion_main!(benches);
