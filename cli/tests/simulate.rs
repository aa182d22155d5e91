//! `grn simulate`: knockout truth, determinism, and inference on simulated data.

use std::path::Path;

use assert_cmd::Command;
use grn::simulate::{
    self, CountModel, CountParams, Dropout, ExperimentParams, KineticParams, KineticPerturbation,
    SimulateParams, SteadyParams, Topology, TopologyParams,
};

fn grn() -> Command {
    Command::cargo_bin("grn").unwrap()
}

fn model(topology: Topology, genes: usize, seed: u64) -> simulate::Model {
    let net = simulate::random_network(&TopologyParams::new(topology, genes), seed).unwrap();
    simulate::random_model(&net, &KineticParams::default(), seed).unwrap()
}

#[test]
fn knocking_out_a_gene_without_targets_changes_nothing_else() {
    for topology in Topology::ALL {
        let m = model(topology, 100, 3);
        let out = m.network().out_degrees();
        let wt = m.wild_type().values.clone();
        let leaves: Vec<usize> = (0..100).filter(|&g| out[g] == 0).collect();
        assert!(
            leaves.len() > 50,
            "{topology}: most genes are not regulators"
        );
        for &g in &leaves {
            let ko = m
                .steady_state(
                    &KineticPerturbation::knockout(&[g]),
                    &SteadyParams::default(),
                )
                .unwrap();
            assert!(ko.converged());
            assert_eq!(ko.values[g], 0.0);
            for (k, (&a, &b)) in ko.values.iter().zip(&wt).enumerate() {
                if k != g {
                    assert!((a - b).abs() < 1e-12, "{topology}: KO {g} moved gene {k}");
                }
            }
        }
    }
}

#[test]
fn knocking_out_a_regulator_moves_its_targets() {
    let m = model(Topology::ScaleFree, 100, 4);
    let net = m.network();
    let out = net.out_degrees();
    let hub = (0..100).max_by_key(|&g| out[g]).unwrap();
    let wt = m.wild_type().values.clone();
    let ko = m
        .steady_state(
            &KineticPerturbation::knockout(&[hub]),
            &SteadyParams::default(),
        )
        .unwrap();
    let moved = net
        .edges()
        .filter(|&(r, t, _)| r == hub && (ko.values[t] - wt[t]).abs() > 1e-6)
        .count();
    // A Hill term saturated at both levels can hide an edge, but not most of them.
    assert!(
        moved * 2 > out[hub],
        "only {moved} of {} targets moved",
        out[hub]
    );
}

fn all_experiments() -> ExperimentParams {
    ExperimentParams {
        samples: 20,
        knockouts: true,
        knockdowns: true,
        overexpression: true,
        time_series: 2,
        time_points: 5,
        cells: 30,
        counts: Some(CountParams {
            dropout: Some(Dropout::default()),
            ..CountParams::new(CountModel::NegativeBinomial)
        }),
        measurement_noise: 0.01,
        ..Default::default()
    }
}

#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let mut params = SimulateParams::random(Topology::Modular, 60, 9);
    if let simulate::NetworkSource::Random(t) = &mut params.network {
        t.regulators = Some(20);
        t.mean_degree = 3.0;
        t.modules = 3;
    }
    params.kinetics.two_stage = true;
    params.experiments = all_experiments();
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| simulate::simulate(&params, None, &grn::Quiet).unwrap().1)
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert_eq!(one.multifactorial.rows.len(), 20);
    assert_eq!(one.knockouts.as_ref().unwrap().rows.len(), 60);
    assert_eq!(one.time_series.as_ref().unwrap().rows.len(), 10);
    assert_eq!(one.counts.as_ref().unwrap().len(), 30);
}

#[test]
fn time_series_settle_at_the_wild_type() {
    for two_stage in [false, true] {
        let net =
            simulate::random_network(&TopologyParams::new(Topology::ScaleFree, 50), 2).unwrap();
        let kinetics = KineticParams {
            two_stage,
            ..KineticParams::default()
        };
        let m = simulate::random_model(&net, &kinetics, 2).unwrap();
        let params = ExperimentParams {
            samples: 0,
            time_series: 2,
            time_points: 3,
            duration: 5000.0,
            ..Default::default()
        };
        let sim = simulate::experiments::run(&m, &params, 1, &grn::Quiet).unwrap();
        let ts = sim.time_series.unwrap();
        assert_eq!(ts.names[2], "s1_t5000");
        let wt = &m.wild_type().values;
        for row in [&ts.rows[2], &ts.rows[5]] {
            let row = row.as_ref().unwrap();
            let worst = row
                .iter()
                .zip(wt)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            assert!(worst < 1e-3, "two_stage {two_stage}: {worst}");
        }
        // The first point is the random start, not the wild type.
        let first = ts.rows[0].as_ref().unwrap();
        assert!(first.iter().zip(wt).any(|(a, b)| (a - b).abs() > 0.1));
    }
}

#[test]
fn langevin_snapshots_scatter_around_the_wild_type() {
    let m = model(Topology::ScaleFree, 40, 5);
    let wt = m.wild_type().values.clone();
    let run = |q: f64| {
        let params = ExperimentParams {
            samples: 0,
            cells: 400,
            noise_amplitude: q,
            ..Default::default()
        };
        let sim = simulate::experiments::run(&m, &params, 1, &grn::Quiet).unwrap();
        sim.cells
            .unwrap()
            .rows
            .into_iter()
            .map(Option::unwrap)
            .collect::<Vec<_>>()
    };
    // Without noise the wild type is a fixed point of the Euler map.
    for cell in run(0.0) {
        for (a, b) in cell.iter().zip(&wt) {
            assert!((a - b).abs() < 1e-6);
        }
    }
    let cells = run(0.05);
    let mut spread = 0.0;
    for g in 0..40 {
        let mean = cells.iter().map(|c| c[g]).sum::<f64>() / 400.0;
        let var = cells.iter().map(|c| (c[g] - mean).powi(2)).sum::<f64>() / 399.0;
        spread += var.sqrt();
        // The noise is small (q = 0.05), so the mean stays near the fixed point.
        assert!((mean - wt[g]).abs() < 0.05, "gene {g}: {mean} vs {}", wt[g]);
    }
    assert!(spread / 40.0 > 0.005, "snapshots are noisy");
}

#[test]
fn poisson_counts_follow_the_library_size() {
    let m = model(Topology::ErdosRenyi, 30, 6);
    let params = ExperimentParams {
        samples: 0,
        cells: 300,
        counts: Some(CountParams {
            library_sd: 0.0,
            library_size: 1000.0,
            ..CountParams::new(CountModel::Poisson)
        }),
        ..Default::default()
    };
    let sim = simulate::experiments::run(&m, &params, 1, &grn::Quiet).unwrap();
    let counts = sim.counts.unwrap();
    let mean_total = counts
        .iter()
        .map(|c| c.iter().sum::<u32>() as f64)
        .sum::<f64>()
        / counts.len() as f64;
    // Sum of Poissons with total mean 1000: sd of the mean over 300 cells ~ 1.8.
    assert!((mean_total - 1000.0).abs() < 10.0, "{mean_total}");
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn cli_output_is_reproducible_and_thread_independent() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, threads: &str| {
        let out = dir.path().join(name);
        grn()
            .args(["simulate", "--genes", "40", "--knockouts", "--knockdowns"])
            .args([
                "--time-series",
                "2",
                "--single-cell",
                "20",
                "--counts",
                "poisson",
            ])
            .args(["--seed", "5", "--threads", threads, "-q", "-o"])
            .arg(&out)
            .assert()
            .success();
        out
    };
    let a = run("a", "1");
    let b = run("b", "2");
    for f in [
        "gold.tsv",
        "wildtype.tsv",
        "expression.tsv",
        "knockouts.tsv",
        "knockdowns.tsv",
        "timeseries.tsv",
        "singlecell.tsv",
        "counts.tsv",
        "model.json",
        "params.json",
    ] {
        assert_eq!(read(&a.join(f)), read(&b.join(f)), "{f}");
    }
    // DREAM layout: header of gene names, one row per gene.
    let ko = read(&a.join("knockouts.tsv"));
    assert_eq!(ko.lines().count(), 41);
    assert!(ko.starts_with("G1\tG2\t"));
    // A different seed gives a different network.
    let c = dir.path().join("c");
    grn()
        .args(["simulate", "--genes", "40", "--seed", "6", "-q", "-o"])
        .arg(&c)
        .assert()
        .success();
    assert_ne!(read(&a.join("gold.tsv")), read(&c.join("gold.tsv")));
    // A rerun into c removes nothing it writes again, and files of the earlier run
    // it does not write are gone.
    grn()
        .args(["simulate", "--genes", "40", "--samples", "0", "-q", "-o"])
        .arg(&a)
        .assert()
        .success();
    assert!(!a.join("knockouts.tsv").exists());
    assert!(!a.join("expression.tsv").exists());
}

#[test]
fn gold_standard_round_trips_through_network() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    grn()
        .args([
            "simulate",
            "--genes",
            "30",
            "--topology",
            "erdos-renyi",
            "-q",
            "-o",
        ])
        .arg(&first)
        .assert()
        .success();
    let second = dir.path().join("second");
    grn()
        .args(["simulate", "-q", "--network"])
        .arg(first.join("gold.tsv"))
        .arg("-o")
        .arg(&second)
        .assert()
        .success();
    assert_eq!(
        read(&first.join("gold.tsv")),
        read(&second.join("gold.tsv"))
    );
    // grn eval reads the gold standard directly: the truth scores perfectly.
    let out = grn()
        .args(["eval", "--json", "--gold"])
        .arg(first.join("gold.tsv"))
        .arg("--pred")
        .arg(second.join("gold.tsv"))
        .output()
        .unwrap();
    let m: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(m["auroc"], 1.0);
}

#[test]
fn bad_networks_and_settings_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let net = dir.path().join("net.tsv");
    std::fs::write(
        &net,
        "regulator\ttarget\tscore\tsign\nA\tB\t1\t+\nA\tB\t1\t-\n",
    )
    .unwrap();
    grn()
        .args(["simulate", "--network"])
        .arg(&net)
        .arg("-o")
        .arg(dir.path().join("out"))
        .assert()
        .failure()
        .stderr(predicates::str::contains("net.tsv"))
        .stderr(predicates::str::contains(
            "both as activation and as repression",
        ));
    grn()
        .args(["simulate", "--genes", "100", "--mean-degree", "0.5", "-o"])
        .arg(dir.path().join("out"))
        .assert()
        .failure()
        .stderr(predicates::str::contains("raise --mean-degree"));
    grn()
        .args(["simulate", "--genes", "10", "--network"])
        .arg(&net)
        .arg("-o")
        .arg(dir.path().join("out"))
        .assert()
        .failure()
        .stderr(predicates::str::contains("cannot be used with"));
    let counts = [
        "simulate",
        "--genes",
        "50",
        "--samples",
        "0",
        "--single-cell",
        "5",
    ];
    grn()
        .args(counts)
        .args(["--counts", "poisson", "--library-size", "1e300", "-o"])
        .arg(dir.path().join("out"))
        .assert()
        .failure()
        .stderr(predicates::str::contains("is above 1e9"));
    // A dispersion whose inverse overflows is Poisson sampling, not a crash.
    grn()
        .args(counts)
        .args([
            "--counts",
            "negative-binomial",
            "--dispersion",
            "1e-310",
            "-o",
        ])
        .arg(dir.path().join("out"))
        .assert()
        .success();
}

/// Inference on simulated data behaves like on DREAM4: GENIE3 finds the network
/// well above chance.
#[test]
fn genie3_recovers_a_simulated_scale_free_network() {
    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("sim");
    grn()
        .args(["simulate", "--genes", "100", "--seed", "1", "-q", "-o"])
        .arg(&sim)
        .assert()
        .success();
    let pred = dir.path().join("pred.tsv");
    grn()
        .args(["infer", "--trees", "300", "-q", "-e"])
        .arg(sim.join("expression.tsv"))
        .arg("-o")
        .arg(&pred)
        .assert()
        .success();
    let out = grn()
        .args(["eval", "--json", "--gold"])
        .arg(sim.join("gold.tsv"))
        .arg("--pred")
        .arg(&pred)
        .output()
        .unwrap();
    assert!(out.status.success());
    let m: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let auroc = m["auroc"].as_f64().unwrap();
    assert!(auroc > 0.6, "AUROC {auroc}");
    assert_eq!(m["n_genes"], 100);
}
