//! `grn infer` with the MI, correlation and consensus methods.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn expr() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/insilico_size100_1_multifactorial.tsv")
}

fn infer(out: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    Command::cargo_bin("grn")
        .unwrap()
        .args(["infer", "-q", "-e"])
        .arg(expr())
        .arg("-o")
        .arg(out)
        .args(args)
        .assert()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

#[test]
fn every_method_writes_a_signed_edge_list() {
    let dir = tempfile::tempdir().unwrap();
    for method in [
        "relevance",
        "clr",
        "aracne",
        "mrnet",
        "pearson",
        "spearman",
        "partial-corr",
        "grnboost2",
    ] {
        let out = dir.path().join(format!("{method}.tsv"));
        infer(&out, &["--method", method]).success();
        let text = read(&out);
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("regulator\ttarget\tscore\tsign"),
            "{method}"
        );
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split('\t').collect()).collect();
        assert!(!rows.is_empty(), "{method}");
        for r in &rows {
            assert!(["+", "-"].contains(&r[3]), "{method}: {r:?}");
            assert!(r[2].parse::<f64>().unwrap() > 0.0);
        }
        // Sorted, highest first.
        let scores: Vec<f64> = rows.iter().map(|r| r[2].parse().unwrap()).collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{method}");
    }
}

#[test]
fn output_does_not_depend_on_threads() {
    let dir = tempfile::tempdir().unwrap();
    let runs: [&[&str]; 5] = [
        &["--method", "clr", "--mi-estimator", "empirical"],
        &[
            "--method",
            "aracne",
            "--bootstraps",
            "3",
            "--pvalue",
            "1e-3",
        ],
        &["--method", "mrnet", "--mi-estimator", "ksg", "--seed", "4"],
        &[
            "--method",
            "relevance",
            "--mi-estimator",
            "bspline",
            "--top",
            "50",
        ],
        &[
            "--method",
            "consensus",
            "--members",
            "genie3,clr",
            "--trees",
            "20",
        ],
    ];
    for (k, args) in runs.iter().enumerate() {
        let one = dir.path().join(format!("{k}_1.tsv"));
        let two = dir.path().join(format!("{k}_2.tsv"));
        infer(&one, &[args, &["--threads", "1"][..]].concat()).success();
        infer(&two, &[args, &["--threads", "2"][..]].concat()).success();
        assert_eq!(read(&one), read(&two), "{args:?}");
    }
}

#[test]
fn tf_list_scores_only_tf_pairs_and_both_directions_between_tfs() {
    let dir = tempfile::tempdir().unwrap();
    let tfs = dir.path().join("tfs.txt");
    std::fs::write(&tfs, "G1\nG2\nG3\n").unwrap();
    let out = dir.path().join("clr.tsv");
    infer(&out, &["--method", "clr", "--tfs", tfs.to_str().unwrap()]).success();
    let text = read(&out);
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect())
        .collect();
    assert!(rows.iter().all(|r| ["G1", "G2", "G3"].contains(&r[0])));
    let score = |a: &str, b: &str| {
        rows.iter()
            .find(|r| r[0] == a && r[1] == b)
            .map(|r| r[2].to_string())
    };
    for (a, b) in [("G1", "G2"), ("G1", "G3"), ("G2", "G3")] {
        assert_eq!(score(a, b), score(b, a), "{a} {b}");
    }
}

#[test]
fn bad_settings_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.tsv");
    let cases: [(&[&str], &str); 7] = [
        (
            &["--method", "consensus", "--members", "genie3"],
            "at least two",
        ),
        (
            &["--method", "consensus", "--members", "clr,consensus"],
            "cannot be a member",
        ),
        (&["--method", "consensus", "--members", "clr,clr"], "twice"),
        (&["--method", "clr", "--trees", "10"], "has no trees"),
        (
            &["--method", "clr", "--mi-estimator", "kde"],
            "unknown MI estimator",
        ),
        (
            &[
                "--method",
                "clr",
                "--mi-estimator",
                "empirical",
                "--bins",
                "1",
            ],
            "--bins",
        ),
        (&["--method", "aracne", "--pvalue", "0"], "--pvalue"),
    ];
    for (args, message) in cases {
        infer(&out, args)
            .failure()
            .stderr(predicate::str::contains(message));
    }
    assert!(!out.exists());
}
