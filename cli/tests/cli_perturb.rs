//! `grn perturb` and `grn screen`.

use std::path::{Path, PathBuf};

mod common;

use assert_cmd::Command;
use predicates::prelude::*;

fn grn() -> Command {
    Command::cargo_bin("grn").unwrap()
}

/// The chain fixture with 200 samples.
fn chain(dir: &Path) -> (PathBuf, PathBuf) {
    common::chain(dir, 200)
}

fn rows(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split('\t').map(String::from).collect())
        .collect()
}

#[test]
fn knockout_propagates_down_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let (e, n) = chain(dir.path());
    let out = dir.path().join("effects.tsv");
    grn()
        .args(["perturb", "-q", "--knockout", "A", "-e"])
        .arg(&e)
        .arg("-n")
        .arg(&n)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let r = rows(&out);
    assert_eq!(
        r[0],
        [
            "gene",
            "baseline",
            "predicted",
            "delta",
            "log2_fold_change",
            "r2",
            "path",
            "path_r2"
        ]
    );
    // Sorted by |delta|: C (about -4.5), A (-3), B (-1.5), D (0).
    let genes: Vec<&str> = r[1..].iter().map(|row| row[0].as_str()).collect();
    assert_eq!(genes, ["C", "A", "B", "D"]);
    let c = &r[1];
    let delta: f64 = c[3].parse().unwrap();
    assert!((delta + 4.5).abs() < 0.05, "{c:?}");
    assert_eq!(c[6], "A>B>C");
    let r2: f64 = c[5].parse().unwrap();
    assert!(r2 > 0.99, "{c:?}");
    assert_eq!(r[2][4], "-inf");
    assert_eq!(r[2][5], "NA"); // A has no regulators
    assert_eq!(r[4][6], "NA"); // D does not change
    // C's change passes through B's and C's models, both fitted almost exactly.
    let path_r2: f64 = c[7].parse().unwrap();
    assert!(path_r2 > 0.99 && path_r2 <= r2, "{c:?}");
    assert_eq!(r[2][7], "NA"); // A is perturbed
}

#[test]
fn knockdown_and_overexpression_with_steps() {
    let dir = tempfile::tempdir().unwrap();
    let (e, n) = chain(dir.path());
    let out = dir.path().join("effects.tsv");
    // One step: B is held at 30%; C moves, A does not.
    grn()
        .args([
            "perturb",
            "-q",
            "--knockdown",
            "B=0.3",
            "--overexpress",
            "D=2",
            "--propagation",
            "steps",
            "--steps",
            "1",
            "-e",
        ])
        .arg(&e)
        .arg("-n")
        .arg(&n)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let r = rows(&out);
    let get = |g: &str| r.iter().find(|row| row[0] == g).unwrap().clone();
    assert_eq!(get("A")[3], "0");
    let b = get("B");
    let ratio: f64 = b[2].parse::<f64>().unwrap() / b[1].parse::<f64>().unwrap();
    assert!((ratio - 0.3).abs() < 1e-9, "{b:?}");
    assert!(get("C")[3].parse::<f64>().unwrap() < -2.0);
    assert_eq!(get("D")[6], "D");
}

#[test]
fn clear_errors_for_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let (e, n) = chain(dir.path());
    let out = dir.path().join("x.tsv");
    let run = |extra: &[&str]| {
        grn()
            .arg("perturb")
            .arg("-e")
            .arg(&e)
            .arg("-n")
            .arg(&n)
            .arg("-o")
            .arg(&out)
            .args(extra)
            .assert()
            .failure()
    };
    run(&["--knockout", "NOPE"])
        .stderr(predicate::str::contains("\"NOPE\"").and(predicate::str::contains("--knockout")));
    run(&["--knockdown", "B=abc"]).stderr(predicate::str::contains("not a number"));
    run(&["--knockdown", "B=1.5"]).stderr(predicate::str::contains("[0, 1)"));
    run(&["--overexpress", "B"]).stderr(predicate::str::contains("GENE=FACTOR"));
    run(&["--knockout", "A", "--steps", "2"])
        .stderr(predicate::str::contains("--propagation steps"));
    run(&["--knockout", "A", "--baseline", "S999"]).stderr(predicate::str::contains("\"S999\""));
    run(&[]).stderr(predicate::str::contains("nothing to perturb"));
    run(&["--knockout", "A", "--weight-prior", "flat"])
        .stderr(predicate::str::contains("expected one of score, uniform"));
    assert!(!out.exists());
}

#[test]
fn scores_that_cannot_size_a_prior_fall_back_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let (e, _) = chain(dir.path());
    let n = dir.path().join("signed.tsv");
    std::fs::write(
        &n,
        "regulator\ttarget\tscore\nA\tB\t0.9\nB\tC\t0.8\nD\tC\t-0.1\n",
    )
    .unwrap();
    let run = |prior: &str| {
        let out = dir.path().join(format!("{prior}.tsv"));
        let assert = grn()
            .args(["perturb", "--knockout", "A", "--weight-prior", prior, "-e"])
            .arg(&e)
            .arg("-n")
            .arg(&n)
            .arg("-o")
            .arg(&out)
            .assert()
            .success();
        (std::fs::read(&out).unwrap(), assert)
    };
    let (score, assert) = run("score");
    assert.stderr(predicate::str::contains(
        "1 target(s) have edges whose score is not positive",
    ));
    // C fell back to plain ridge and B's single regulator has weight 1 either way.
    let (uniform, assert) = run("uniform");
    assert.stderr(predicate::str::contains("not positive").not());
    assert_eq!(score, uniform);
}

#[test]
fn baseline_sample_and_group() {
    let dir = tempfile::tempdir().unwrap();
    let (e, n) = chain(dir.path());
    let group = dir.path().join("group.txt");
    std::fs::write(&group, "S1\nS2\n").unwrap();
    let run = |baseline: &str, out: &Path| {
        grn()
            .args([
                "perturb",
                "-q",
                "--knockout",
                "A",
                "--baseline",
                baseline,
                "-e",
            ])
            .arg(&e)
            .arg("-n")
            .arg(&n)
            .arg("-o")
            .arg(out)
            .assert()
            .success();
        rows(out)
    };
    let one = run("S1", &dir.path().join("one.tsv"));
    let a = one.iter().find(|r| r[0] == "A").unwrap();
    assert_eq!(a[1].parse::<f64>().unwrap(), 3.0); // sin(0) = 0
    let g = run(
        &format!("group:{}", group.display()),
        &dir.path().join("g.tsv"),
    );
    let a = g.iter().find(|r| r[0] == "A").unwrap();
    let expect = (3.0 + 3.0 + (0.37f64).sin()) / 2.0;
    assert!((a[1].parse::<f64>().unwrap() - expect).abs() < 1e-6);
}

#[test]
fn screen_ranks_candidates_and_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let (e, n) = chain(dir.path());
    let sig = dir.path().join("sig.tsv");
    std::fs::write(&sig, "gene\tdirection\nC\tdown\nZZZ\tup\n").unwrap();
    let out = dir.path().join("rank.tsv");
    grn()
        .args(["screen", "--pairs", "-e"])
        .arg(&e)
        .arg("-n")
        .arg(&n)
        .arg("-s")
        .arg(&sig)
        .arg("-o")
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains("ZZZ"));
    let r = rows(&out);
    assert_eq!(
        r[0],
        [
            "rank",
            "perturbation",
            "score",
            "moved_wanted",
            "moved_against",
            "synergy",
            "top_genes"
        ]
    );
    // Candidates: the regulators A, B, D, and their three pairs.
    assert_eq!(r.len(), 1 + 3 + 3);
    // Knocking out B or A lowers C the most (B directly); both move C down.
    assert!(r[1][1].contains('B'), "{r:?}");
    let singles: Vec<&Vec<String>> = r[1..].iter().filter(|row| !row[1].contains('+')).collect();
    for row in &singles {
        if row[1] != "D" {
            assert_eq!(row[3], "1", "{row:?}");
            assert!(row[2].parse::<f64>().unwrap() > 1.0);
        }
    }
    // A pair with B: clamping B blocks A's effect, so A+B scores as B alone.
    let ab = r
        .iter()
        .find(|row| row[1] == "B+A" || row[1] == "A+B")
        .unwrap();
    let b = r.iter().find(|row| row[1] == "B").unwrap();
    let (sab, sb): (f64, f64) = (ab[2].parse().unwrap(), b[2].parse().unwrap());
    assert!((sab - sb).abs() < 1e-9, "{ab:?} {b:?}");
    assert!(ab[5].parse::<f64>().unwrap() < 0.0); // no synergy: A adds nothing
}

#[test]
fn screen_candidates_file_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (e, n) = chain(dir.path());
    let sig = dir.path().join("sig.tsv");
    let out = dir.path().join("rank.tsv");
    let cands = dir.path().join("cands.txt");
    std::fs::write(&cands, "D\nQQ\n").unwrap();
    std::fs::write(&sig, "C\t-1\n").unwrap();
    grn()
        .args(["screen", "-q", "-e"])
        .arg(&e)
        .arg("-n")
        .arg(&n)
        .arg("-s")
        .arg(&sig)
        .arg("--candidates")
        .arg(&cands)
        .arg("-o")
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains("QQ"));
    assert_eq!(rows(&out).len(), 2);
    std::fs::write(&sig, "C\t-1\nB\tsideways\n").unwrap();
    grn()
        .args(["screen", "-e"])
        .arg(&e)
        .arg("-n")
        .arg(&n)
        .arg("-s")
        .arg(&sig)
        .arg("-o")
        .arg(&out)
        .assert()
        .failure()
        .stderr(predicate::str::contains("sig.tsv:2").and(predicate::str::contains("sideways")));
}

#[test]
fn output_does_not_depend_on_threads() {
    // DREAM4 network 1 with its gold standard as the network, forest models (the
    // randomised part) and a screen with pairs.
    let dir = tempfile::tempdir().unwrap();
    let expr = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/insilico_size100_1_multifactorial.tsv"
    );
    let gold = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/insilico_size100_1_goldstandard.tsv"
    ))
    .unwrap();
    let net = dir.path().join("net.tsv");
    let mut text = String::from("regulator\ttarget\tscore\n");
    for line in gold.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() == 3 && f[2] == "1" {
            text.push_str(&format!("{}\t{}\t1\n", f[0], f[1]));
        }
    }
    std::fs::write(&net, text).unwrap();
    let sig = dir.path().join("sig.tsv");
    std::fs::write(&sig, "G10\tup\nG20\tdown\nG30\t0.5\n").unwrap();
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let eff = dir.path().join(format!("eff{threads}.tsv"));
        grn()
            .args([
                "perturb",
                "-q",
                "--threads",
                threads,
                "--model",
                "forest",
                "--trees",
                "30",
                "--knockout",
                "G1",
                "--seed",
                "4",
                "-e",
                expr,
            ])
            .arg("-n")
            .arg(&net)
            .arg("-o")
            .arg(&eff)
            .assert()
            .success();
        let rank = dir.path().join(format!("rank{threads}.tsv"));
        grn()
            .args(["screen", "-q", "--threads", threads, "--pairs", "-e", expr])
            .arg("-n")
            .arg(&net)
            .arg("-s")
            .arg(&sig)
            .arg("-o")
            .arg(&rank)
            .assert()
            .success();
        outputs.push((std::fs::read(&eff).unwrap(), std::fs::read(&rank).unwrap()));
    }
    assert_eq!(outputs[0].0, outputs[1].0);
    assert_eq!(outputs[0].1, outputs[1].1);
}
