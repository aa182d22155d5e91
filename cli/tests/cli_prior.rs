//! `--prior` on infer, perturb and screen, and `grn prior`.

use std::path::Path;

mod common;

use assert_cmd::Command;
use predicates::prelude::*;

fn grn() -> Command {
    Command::cargo_bin("grn").unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// C's delta in `grn perturb --knockout A` output.
fn delta_of_c(effects: &Path) -> f64 {
    let text = std::fs::read_to_string(effects).unwrap();
    let row = text.lines().find(|l| l.starts_with("C\t")).unwrap();
    row.split('\t').nth(3).unwrap().parse().unwrap()
}

#[test]
fn a_restricting_prior_stops_a_knockout_where_evidence_ends() {
    let dir = tempfile::tempdir().unwrap();
    let (e, n) = common::chain(dir.path(), 200);
    // Evidence for D -> C only (a CollecTRI-style table).
    let prior = write(dir.path(), "prior.tsv", "source\ttarget\tweight\nD\tC\t1\n");
    let run = |extra: &[&str], out: &Path| {
        grn()
            .args(["perturb", "-q", "--knockout", "A", "-e"])
            .arg(&e)
            .arg("-n")
            .arg(&n)
            .args(extra)
            .arg("-o")
            .arg(out)
            .assert()
            .success();
    };
    let plain = dir.path().join("plain.tsv");
    run(&[], &plain);
    assert!((delta_of_c(&plain) + 4.5).abs() < 0.05);
    let p = prior.to_str().unwrap();
    let strict = dir.path().join("strict.tsv");
    run(&["--prior", p, "--prior-strength", "1"], &strict);
    assert_eq!(delta_of_c(&strict), 0.0);
    // At the default strength the edges without evidence are down-weighted, not cut.
    let soft = dir.path().join("soft.tsv");
    run(&["--prior", p], &soft);
    assert!(delta_of_c(&soft) < -1.0, "{}", delta_of_c(&soft));
}

#[test]
fn a_model_fitted_with_a_prior_is_kept_and_used_as_a_fresh_fit() {
    let dir = tempfile::tempdir().unwrap();
    let (e, n) = common::chain(dir.path(), 200);
    let prior = write(dir.path(), "prior.tsv", "source\ttarget\tweight\nD\tC\t1\n");
    let model = dir.path().join("m.grnm");
    grn()
        .args(["fit", "-q", "--prior-strength", "1", "-e"])
        .arg(&e)
        .arg("-n")
        .arg(&n)
        .arg("--prior")
        .arg(&prior)
        .arg("-o")
        .arg(&model)
        .assert()
        .success();
    let perturb = |extra: &[&std::ffi::OsStr], out: &Path| {
        grn()
            .args(["perturb", "-q", "--knockout", "A", "-e"])
            .arg(&e)
            .args(extra)
            .arg("-o")
            .arg(out)
            .assert()
            .success();
    };
    let fresh = dir.path().join("fresh.tsv");
    perturb(
        &[
            "-n".as_ref(),
            n.as_os_str(),
            "--prior".as_ref(),
            prior.as_os_str(),
            "--prior-strength".as_ref(),
            "1".as_ref(),
        ],
        &fresh,
    );
    let kept = dir.path().join("kept.tsv");
    perturb(&["--model-file".as_ref(), model.as_os_str()], &kept);
    assert_eq!(
        std::fs::read(&fresh).unwrap(),
        std::fs::read(&kept).unwrap()
    );
    assert_eq!(delta_of_c(&kept), 0.0);
    // The prior acts at fitting time, so it cannot be given with a fitted model.
    grn()
        .args(["perturb", "-q", "--knockout", "A", "-e"])
        .arg(&e)
        .arg("--model-file")
        .arg(&model)
        .arg("--prior")
        .arg(&prior)
        .arg("-o")
        .arg(dir.path().join("x.tsv"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("--prior"));
}

#[test]
fn infer_reports_unknown_names_and_refuses_a_foreign_prior() {
    let dir = tempfile::tempdir().unwrap();
    let (e, _) = common::chain(dir.path(), 60);
    let out = dir.path().join("net.tsv");
    let prior = write(dir.path(), "p.tsv", "A\tB\nX1\tB\nA\tY1\n");
    grn()
        .args(["infer", "--trees", "50", "-e"])
        .arg(&e)
        .arg("--prior")
        .arg(&prior)
        .arg("-o")
        .arg(&out)
        .assert()
        .success()
        .stderr(
            predicate::str::contains("2 of 3 edges of the prior")
                .and(predicate::str::contains("X1")),
        );
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .starts_with("regulator\ttarget\tscore")
    );

    let foreign = write(dir.path(), "f.tsv", "ENSG1\tENSG2\t1\n");
    grn()
        .args(["infer", "-q", "-e"])
        .arg(&e)
        .arg("--prior")
        .arg(&foreign)
        .arg("-o")
        .arg(dir.path().join("x.tsv"))
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "no edge of positive weight between two genes",
        ));

    let bad = write(dir.path(), "bad.tsv", "A\tB\t7\n");
    grn()
        .args(["infer", "-q", "-e"])
        .arg(&e)
        .arg("--prior")
        .arg(&bad)
        .arg("-o")
        .arg(dir.path().join("x.tsv"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("bad.tsv:1:3:"));
    grn()
        .args(["infer", "-q", "-e"])
        .arg(&e)
        .arg("--prior")
        .arg(&prior)
        .args(["--prior-strength", "2", "-o"])
        .arg(dir.path().join("x.tsv"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("--prior-strength"));
}

#[test]
fn prior_from_atac_feeds_infer() {
    let dir = tempfile::tempdir().unwrap();
    let (e, _) = common::chain(dir.path(), 60);
    // Cells x peaks; peak p3 is never open.
    let atac = write(
        dir.path(),
        "atac.tsv",
        "p1\tp2\tp3\n1\t0\t0\n2\t1\t0\n0\t3\t0\n",
    );
    let links = write(
        dir.path(),
        "links.tsv",
        "peak_id\tgene\tscore\np1\tB\t1\np2\tC\t0.9\np3\tC\t1\n",
    );
    let motifs = write(
        dir.path(),
        "motifs.tsv",
        "peak_id\ttf\np1\tA\np2\tB\np3\tD\n",
    );
    let prior = dir.path().join("prior.tsv");
    grn()
        .args(["prior", "-q", "--atac"])
        .arg(&atac)
        .arg("--peak-gene")
        .arg(&links)
        .arg("--motifs")
        .arg(&motifs)
        .arg("-o")
        .arg(&prior)
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(&prior).unwrap(),
        "regulator\ttarget\tscore\nA\tB\t1\nB\tC\t0.9\n"
    );
    grn()
        .args(["infer", "-q", "--trees", "20", "-e"])
        .arg(&e)
        .arg("--prior")
        .arg(&prior)
        .arg("-o")
        .arg(dir.path().join("net.tsv"))
        .assert()
        .success();
}
