//! Safe output and honest input (issue 18): odd output paths, bad inputs that used
//! to be accepted silently, unbounded work and the messages for common mistakes.

use std::path::{Path, PathBuf};

mod common;

use assert_cmd::Command;
use predicates::prelude::*;

fn grn() -> Command {
    Command::cargo_bin("grn").unwrap()
}

/// The chain fixture with 60 samples.
fn chain(dir: &Path) -> (PathBuf, PathBuf) {
    common::chain(dir, 60)
}

fn infer(e: &Path, out: &str) -> assert_cmd::assert::Assert {
    grn()
        .args(["infer", "-q", "-m", "pearson", "-e"])
        .arg(e)
        .args(["-o", out])
        .assert()
}

#[cfg(unix)]
#[test]
fn dev_null_stays_a_character_device() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let (e, _) = chain(dir.path());
    infer(&e, "/dev/null").success();
    let meta = std::fs::metadata("/dev/null").unwrap();
    assert!(meta.file_type().is_char_device());
}

#[cfg(unix)]
#[test]
fn a_fifo_is_written_through_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let (e, _) = chain(dir.path());
    let fifo = dir.path().join("pipe.tsv");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("mkfifo not available; skipped");
        return;
    }
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    infer(&e, fifo.to_str().unwrap()).success();
    let text = reader.join().unwrap();
    assert!(
        text.starts_with("regulator\ttarget\tscore\tsign\n"),
        "{text}"
    );
    assert!(text.lines().count() > 1);
    let meta = std::fs::symlink_metadata(&fifo).unwrap();
    assert!(meta.file_type().is_fifo());
}

#[test]
fn dash_is_stdin_and_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let (e, _) = chain(dir.path());
    let file = dir.path().join("x.tsv");
    infer(&e, file.to_str().unwrap()).success();
    let out = grn()
        .args(["infer", "-q", "-m", "pearson", "-e", "-", "-o", "-"])
        .write_stdin(std::fs::read(&e).unwrap())
        .assert()
        .success();
    assert_eq!(out.get_output().stdout, std::fs::read(&file).unwrap());
}

#[cfg(unix)]
#[test]
fn symlinks_are_followed_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (e, _) = chain(dir.path());
    let real = dir.path().join("real.tsv");
    let link = dir.path().join("link.tsv");
    std::os::unix::fs::symlink("real.tsv", &link).unwrap();
    infer(&e, link.to_str().unwrap()).success();
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        std::fs::read_to_string(&real)
            .unwrap()
            .starts_with("regulator")
    );
}

#[cfg(unix)]
#[test]
fn read_only_outputs_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (e, _) = chain(dir.path());
    let ro = dir.path().join("ro.tsv");
    std::fs::write(&ro, "keep").unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o444)).unwrap();
    infer(&e, ro.to_str().unwrap())
        .failure()
        .stderr(predicate::str::contains("read-only"));
    assert_eq!(std::fs::read_to_string(&ro).unwrap(), "keep");
}

#[test]
fn outputs_are_checked_before_the_work() {
    let dir = tempfile::tempdir().unwrap();
    let (e, n) = chain(dir.path());
    let bad = dir.path().join("nodir/x/out.tsv");
    // GENIE3 with 100,000 trees per target would run for minutes: the path check
    // must come first.
    grn()
        .args(["infer", "-q", "--trees", "100000", "-e"])
        .arg(&e)
        .arg("-o")
        .arg(&bad)
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .failure()
        .stderr(predicate::str::contains("does not exist; create it first"))
        .stderr(predicate::str::contains(".grn-").not())
        .stderr(predicate::str::contains("at path").not());
    grn()
        .args(["infer", "-q", "-e"])
        .arg(&e)
        .arg("-o")
        .arg(dir.path())
        .assert()
        .failure()
        .stderr(predicate::str::contains("is a directory"));
    // Knockout genes and signatures are checked before fitting.
    grn()
        .args([
            "perturb", "-q", "--model", "forest", "--trees", "100000", "-e",
        ])
        .arg(&e)
        .arg("-n")
        .arg(&n)
        .args(["--knockout", "NOPE", "-o"])
        .arg(dir.path().join("p.tsv"))
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .failure()
        .stderr(predicate::str::contains("--knockout \"NOPE\""));
    let sig = dir.path().join("sig.tsv");
    std::fs::write(&sig, "").unwrap();
    grn()
        .args([
            "screen", "-q", "--model", "forest", "--trees", "100000", "-e",
        ])
        .arg(&e)
        .arg("-n")
        .arg(&n)
        .arg("-s")
        .arg(&sig)
        .arg("-o")
        .arg(dir.path().join("s.tsv"))
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .failure()
        .stderr(predicate::str::contains("the signature is empty"));
    grn()
        .args(["simulate", "-q", "--genes", "10", "-o"])
        .arg(e.join("sub"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("a directory"));
}

#[test]
fn the_os_reason_is_said_once() {
    let out = grn()
        .args(["infer", "-e", "nope.tsv", "-o", "x.tsv"])
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert_eq!(err.matches("os error 2").count(), 1, "{err}");
    let dir = tempfile::tempdir().unwrap();
    let out = grn()
        .args(["infer", "-e"])
        .arg(dir.path())
        .arg("-o")
        .arg(dir.path().join("x.tsv"))
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("is a directory, not a file"), "{err}");
}

#[test]
fn tabs_in_gene_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let e = dir.path().join("x.csv");
    std::fs::write(&e, "\"a\tb\",c\n1,2\n2,1\n3,5\n").unwrap();
    infer(&e, dir.path().join("o.tsv").to_str().unwrap())
        .failure()
        .stderr(predicate::str::contains("x.csv:1:1"))
        .stderr(predicate::str::contains("tab or line break"));
    assert!(!dir.path().join("o.tsv").exists());
}

#[test]
fn gold_labels_must_be_0_or_1() {
    let dir = tempfile::tempdir().unwrap();
    let gold = dir.path().join("gold.tsv");
    std::fs::write(&gold, "A\tB\t1\nB\tC\t2\n").unwrap();
    let pred = dir.path().join("pred.tsv");
    std::fs::write(&pred, "A\tB\t0.9\nB\tC\t0.5\n").unwrap();
    grn()
        .args(["eval", "-g"])
        .arg(&gold)
        .arg("-p")
        .arg(&pred)
        .assert()
        .failure()
        .stderr(predicate::str::contains("gold.tsv:2"))
        .stderr(predicate::str::contains("expected 1 (true edge) or 0"));
}

#[test]
fn duplicated_sample_ids_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let e = dir.path().join("x.tsv");
    std::fs::write(&e, "id\ta\tb\nS1\t1\t2\nS2\t2\t1\nS1\t3\t5\n").unwrap();
    infer(&e, dir.path().join("o.tsv").to_str().unwrap())
        .failure()
        .stderr(predicate::str::contains("sample id \"S1\" appears twice"));
}

#[test]
fn latin1_is_named_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let e = dir.path().join("x.tsv");
    std::fs::write(&e, b"a\tg\xe9ne\n1\t2\n2\t1\n3\t5\n").unwrap();
    infer(&e, dir.path().join("o.tsv").to_str().unwrap())
        .failure()
        .stderr(predicate::str::contains("x.tsv:1:2"))
        .stderr(predicate::str::contains("not UTF-8"));
    let tfs = dir.path().join("tfs.txt");
    std::fs::write(&tfs, b"A\nB\xe9\n").unwrap();
    let (e, _) = chain(dir.path());
    grn()
        .args(["infer", "-q", "-e"])
        .arg(&e)
        .arg("--tfs")
        .arg(&tfs)
        .arg("-o")
        .arg(dir.path().join("o.tsv"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("line 2, byte 2 is not UTF-8"));
}

#[test]
fn values_outside_f32_are_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let e = dir.path().join("x.tsv");
    std::fs::write(&e, "a\tb\n1\t2\n-1e40\t1\n3\t5\n").unwrap();
    infer(&e, dir.path().join("o.tsv").to_str().unwrap())
        .failure()
        .stderr(predicate::str::contains(
            "outside the range of 32-bit floats",
        ));
}

#[test]
fn perturbation_factors_and_steps_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let (e, n) = chain(dir.path());
    let out = dir.path().join("p.tsv");
    let run = |extra: &[&str]| {
        grn()
            .args(["perturb", "-q", "-e"])
            .arg(&e)
            .arg("-n")
            .arg(&n)
            .args(extra)
            .arg("-o")
            .arg(&out)
            .timeout(std::time::Duration::from_secs(60))
            .assert()
    };
    run(&["--overexpress", "A=1e308"])
        .failure()
        .stderr(predicate::str::contains("at most 1e6"));
    run(&[
        "--knockout",
        "A",
        "--propagation",
        "steps",
        "--steps",
        "1000000000",
    ])
    .failure()
    .stderr(predicate::str::contains("at most 1000 steps"));
    run(&["--overexpress", "A=1e6"]).success();
    assert!(out.exists());
    run(&[
        "--knockout",
        "A",
        "--propagation",
        "steps",
        "--steps",
        "1000",
    ])
    .success();
}

#[test]
fn export_top_ranks_by_strength() {
    let dir = tempfile::tempdir().unwrap();
    let n = dir.path().join("net.tsv");
    std::fs::write(&n, "A\tB\t0.2\nA\tC\t-0.9\nB\tC\t0.5\n").unwrap();
    let out = dir.path().join("top.tsv");
    grn()
        .args(["export", "-q", "--top", "2", "-n"])
        .arg(&n)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let text = std::fs::read_to_string(&out).unwrap();
    let pairs: Vec<String> = text
        .lines()
        .skip(1)
        .map(|l| l.split('\t').take(2).collect::<Vec<_>>().join("->"))
        .collect();
    assert_eq!(pairs, ["A->C", "B->C"], "{text}");
}

#[test]
fn simulation_defaults_work_small_and_large_runs_need_a_flag() {
    let dir = tempfile::tempdir().unwrap();
    for genes in ["3", "10", "20"] {
        let out = dir.path().join(format!("s{genes}"));
        grn()
            .args(["simulate", "-q", "--genes", genes, "-o"])
            .arg(&out)
            .assert()
            .success();
        let tfs = std::fs::read_to_string(out.join("tfs.txt")).unwrap();
        let gold = std::fs::read_to_string(out.join("gold.tsv")).unwrap();
        let mut regulators: Vec<&str> = gold
            .lines()
            .skip(1)
            .map(|l| l.split('\t').next().unwrap())
            .collect();
        regulators.sort_unstable();
        regulators.dedup();
        let mut listed: Vec<&str> = tfs.lines().collect();
        listed.sort_unstable();
        assert_eq!(listed, regulators);
    }
    grn()
        .args(["simulate", "-q", "--genes", "100000000", "-o"])
        .arg(dir.path().join("big"))
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .failure()
        .stderr(predicate::str::contains("--allow-large"));
    assert!(!dir.path().join("big").exists());
}

#[test]
fn mistaken_inputs_say_what_they_look_like() {
    let dir = tempfile::tempdir().unwrap();
    let e = dir.path().join("expr.tsv");
    let mut text = String::from("G1\tG2\tG3\tG4\tG5\n");
    for i in 0..5 {
        text.push_str(&format!("{i}.5\t1.25\t2\t3.5\t{}\n", i * 2));
    }
    std::fs::write(&e, text).unwrap();
    grn()
        .args(["export", "-n"])
        .arg(&e)
        .arg("-o")
        .arg(dir.path().join("x.tsv"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("looks like an expression matrix"));
    let (e, n) = chain(dir.path());
    let sig = dir.path().join("sig.tsv");
    std::fs::write(&sig, "C\tupward\n").unwrap();
    let screen = |sig: &Path| {
        grn()
            .args(["screen", "-q", "-e"])
            .arg(&e)
            .arg("-n")
            .arg(&n)
            .arg("-s")
            .arg(sig)
            .arg("-o")
            .arg(dir.path().join("s.tsv"))
            .assert()
    };
    // C is a gene, so the line is data with a bad weight, not a header.
    screen(&sig)
        .failure()
        .stderr(predicate::str::contains("sig.tsv:1"))
        .stderr(predicate::str::contains("\"upward\""));
    std::fs::write(&sig, "gene\tweight\n").unwrap();
    screen(&sig)
        .failure()
        .stderr(predicate::str::contains("the only line"));
    let gold = dir.path().join("gold.tsv");
    std::fs::write(&gold, "A\tB\t1\n").unwrap();
    grn()
        .args(["eval", "-g"])
        .arg(&gold)
        .arg("-p")
        .arg(&n)
        .args(["--plot", "c.png"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("SVG only"));
    assert!(!Path::new("c.png").exists());
}

#[test]
fn render_help_names_graphviz() {
    grn()
        .args(["export", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Graphviz `dot` program"));
}
