//! `grn fit`, `grn predict`, `grn explain` and `--model-file` (issue 16).

use std::path::{Path, PathBuf};

mod common;

use assert_cmd::Command;
use predicates::prelude::*;

fn grn() -> Command {
    Command::cargo_bin("grn").unwrap()
}

fn run(args: &[&std::ffi::OsStr]) {
    grn().arg("-q").args(args).assert().success();
}

fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}

/// Rows of a TSV.
fn rows(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split('\t').map(String::from).collect())
        .collect()
}

#[test]
fn model_file_gives_the_fresh_fit_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let (e, n) = common::chain(dir.path(), 120);
    let sig = dir.path().join("sig.tsv");
    std::fs::write(&sig, "C\tdown\n").unwrap();
    for model in ["linear", "forest", "boosting"] {
        let m = dir.path().join(format!("{model}.grnm"));
        run(&[
            os("fit"),
            os("--model"),
            os(model),
            os("-e"),
            e.as_os_str(),
            os("-n"),
            n.as_os_str(),
            os("-o"),
            m.as_os_str(),
        ]);
        let fresh = dir.path().join("fresh.tsv");
        let stored = dir.path().join("stored.tsv");
        for (out, source) in [(&fresh, None), (&stored, Some(&m))] {
            let mut cmd = grn();
            cmd.args(["-q", "perturb", "--knockout", "A", "--explain", "-e"])
                .arg(&e);
            match source {
                Some(m) => cmd.arg("--model-file").arg(m),
                None => cmd.args(["--model", model, "-n"]).arg(&n),
            };
            cmd.arg("-o").arg(out).assert().success();
        }
        assert_eq!(
            std::fs::read(&fresh).unwrap(),
            std::fs::read(&stored).unwrap(),
            "{model}"
        );
        let r = rows(&stored);
        assert_eq!(
            &r[0][7..],
            ["path_r2", "path_contributions", "lower", "upper"]
        );
        let c = r.iter().find(|row| row[0] == "C").unwrap();
        assert!(c[8].starts_with("A>B:") && c[8].contains("|B>C:"), "{c:?}");
        let (lo, pred, hi): (f64, f64, f64) = (
            c[9].parse().unwrap(),
            c[2].parse().unwrap(),
            c[10].parse().unwrap(),
        );
        assert!(lo < pred && pred < hi, "{c:?}");

        let fresh = dir.path().join("fresh_rank.tsv");
        let stored = dir.path().join("stored_rank.tsv");
        for (out, source) in [(&fresh, None), (&stored, Some(&m))] {
            let mut cmd = grn();
            cmd.args(["-q", "screen", "-s"]).arg(&sig).arg("-e").arg(&e);
            match source {
                Some(m) => cmd.arg("--model-file").arg(m),
                None => cmd.args(["--model", model, "-n"]).arg(&n),
            };
            cmd.arg("-o").arg(out).assert().success();
        }
        assert_eq!(
            std::fs::read(&fresh).unwrap(),
            std::fs::read(&stored).unwrap(),
            "{model}"
        );
    }
}

#[test]
fn model_file_refuses_other_genes_and_fit_flags() {
    let dir = tempfile::tempdir().unwrap();
    let (e, n) = common::chain(dir.path(), 60);
    let m = dir.path().join("m.grnm");
    run(&[
        os("fit"),
        os("-e"),
        e.as_os_str(),
        os("-n"),
        n.as_os_str(),
        os("-o"),
        m.as_os_str(),
    ]);
    let other = dir.path().join("other.tsv");
    let text = std::fs::read_to_string(&e)
        .unwrap()
        .replacen("D\n", "E\n", 1);
    std::fs::write(&other, text).unwrap();
    let out = dir.path().join("o.tsv");
    grn()
        .args(["perturb", "--knockout", "A", "-e"])
        .arg(&other)
        .arg("--model-file")
        .arg(&m)
        .arg("-o")
        .arg(&out)
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("fitted on 4 genes")
                .and(predicate::str::contains("not in the model: E")),
        );
    grn()
        .args(["perturb", "--knockout", "A", "--model", "forest", "-e"])
        .arg(&e)
        .arg("--model-file")
        .arg(&m)
        .arg("-o")
        .arg(&out)
        .assert()
        .failure()
        .stderr(predicate::str::contains("--model-file").and(predicate::str::contains("--model")));
    grn()
        .args(["perturb", "--knockout", "A", "--normalize", "log1p", "-e"])
        .arg(&e)
        .arg("--model-file")
        .arg(&m)
        .arg("-o")
        .arg(&out)
        .assert()
        .failure()
        .stderr(predicate::str::contains("--normalize none"));
    assert!(!out.exists());
}

/// Splits a samples x genes TSV into its first `k` samples and the rest.
fn split(path: &Path, k: usize, dir: &Path) -> (PathBuf, PathBuf) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let body: Vec<&str> = lines.collect();
    let write = |name: &str, part: &[&str]| {
        let p = dir.join(name);
        std::fs::write(&p, format!("{header}\n{}\n", part.join("\n"))).unwrap();
        p
    };
    (
        write("train.tsv", &body[..k]),
        write("test.tsv", &body[k..]),
    )
}

#[test]
fn conformal_intervals_cover_held_out_samples() {
    // 400 training and 300 held-out multifactorial samples of a simulated network,
    // models fitted on the true network: 90% intervals hold 90% +- 3% of the
    // held-out levels.
    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("sim");
    grn()
        .args([
            "-q",
            "simulate",
            "--genes",
            "40",
            "--samples",
            "700",
            "--seed",
            "5",
        ])
        .args(["--measurement-noise", "0.05", "-o"])
        .arg(&sim)
        .assert()
        .success();
    let (train, test) = split(&sim.join("expression.tsv"), 400, dir.path());
    for model in ["linear", "boosting"] {
        let m = dir.path().join("m.grnm");
        run(&[
            os("fit"),
            os("--model"),
            os(model),
            os("-e"),
            train.as_os_str(),
            os("-n"),
            sim.join("gold.tsv").as_os_str(),
            os("-o"),
            m.as_os_str(),
        ]);
        let pred = dir.path().join("pred.tsv");
        let report = dir.path().join("report.tsv");
        let out = grn()
            .args(["-q", "predict", "--model-file"])
            .arg(&m)
            .arg("-e")
            .arg(&test)
            .arg("--truth")
            .arg(&test)
            .arg("--report")
            .arg(&report)
            .arg("-o")
            .arg(&pred)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let text = String::from_utf8(out).unwrap();
        let coverage: f64 = text
            .lines()
            .find_map(|l| l.strip_prefix("coverage_0.9\t"))
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            (coverage - 0.9).abs() <= 0.03,
            "{model}: coverage {coverage}\n{text}"
        );
        let p = rows(&pred);
        assert_eq!(p.len(), 301);
        assert_eq!(p[0][0], "sample");
        let r = rows(&report);
        assert_eq!(r[0][..3], ["gene", "status", "missing_regulators"]);
        assert!(r[1..].iter().all(|row| row[1] == "predicted"));
    }
}

#[test]
fn predict_reports_genes_whose_regulators_are_missing() {
    let dir = tempfile::tempdir().unwrap();
    let (e, n) = common::chain(dir.path(), 60);
    let m = dir.path().join("m.grnm");
    run(&[
        os("fit"),
        os("-e"),
        e.as_os_str(),
        os("-n"),
        n.as_os_str(),
        os("-o"),
        m.as_os_str(),
    ]);
    // Without A: B cannot be predicted; C (from B and D) can.
    let text = std::fs::read_to_string(&e).unwrap();
    let no_a: String = text
        .lines()
        .map(|l| l.split('\t').skip(1).collect::<Vec<_>>().join("\t") + "\n")
        .collect();
    let new = dir.path().join("new.tsv");
    std::fs::write(&new, no_a).unwrap();
    let pred = dir.path().join("pred.tsv");
    let report = dir.path().join("report.tsv");
    grn()
        .args(["predict", "--model-file"])
        .arg(&m)
        .arg("-e")
        .arg(&new)
        .arg("--report")
        .arg(&report)
        .arg("-o")
        .arg(&pred)
        .assert()
        .success()
        .stderr(predicate::str::contains("1 target(s) are not predicted"));
    let p = rows(&pred);
    assert_eq!(p[0], ["sample", "C"]);
    let r = rows(&report);
    let b = r.iter().find(|row| row[0] == "B").unwrap();
    assert_eq!(&b[1..3], ["missing_regulators", "A"]);
}

#[test]
fn explain_contributions_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let (e, n) = common::chain(dir.path(), 80);
    for model in ["linear", "forest"] {
        let m = dir.path().join("m.grnm");
        run(&[
            os("fit"),
            os("--model"),
            os(model),
            os("-e"),
            e.as_os_str(),
            os("-n"),
            n.as_os_str(),
            os("-o"),
            m.as_os_str(),
        ]);
        let out = dir.path().join("explain.tsv");
        let summary = dir.path().join("summary.tsv");
        run(&[
            os("explain"),
            os("--model-file"),
            m.as_os_str(),
            os("-e"),
            e.as_os_str(),
            os("--gene"),
            os("C"),
            os("-o"),
            out.as_os_str(),
            os("--summary"),
            summary.as_os_str(),
        ]);
        let r = rows(&out);
        assert_eq!(r[0], ["sample", "expected", "prediction", "B", "D"]);
        assert_eq!(r.len(), 81);
        for row in &r[1..] {
            let v: Vec<f64> = row[1..].iter().map(|x| x.parse().unwrap()).collect();
            assert!((v[0] + v[2] + v[3] - v[1]).abs() < 1e-6, "{row:?}");
        }
        // C = 3 B: B carries nearly all of it.
        let s = rows(&summary);
        assert_eq!(s[1][0], "B", "{s:?}");
    }
    grn()
        .args(["explain", "--gene", "A", "--model-file"])
        .arg(dir.path().join("m.grnm"))
        .arg("-e")
        .arg(&e)
        .assert()
        .failure()
        .stderr(predicate::str::contains("no regulators"));
}
