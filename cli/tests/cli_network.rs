//! `grn export`, `grn stats` and `grn eval --plot`.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn grn() -> Command {
    Command::cargo_bin("grn").unwrap()
}

/// A prediction for DREAM4 network 1 over every ordered pair of its 100 genes: the
/// gold standard's true edges scored high and the others low, with scores perturbed
/// deterministically so ranks mix.
fn prediction(dir: &Path) -> PathBuf {
    let gold = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/insilico_size100_1_goldstandard.tsv"
    ))
    .unwrap();
    let truth: std::collections::HashSet<(String, String)> = gold
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), f[1].to_string())
        })
        .collect();
    let mut out = String::from("regulator\ttarget\tscore\n");
    let mut i = 0usize;
    for r in 1..=100 {
        for t in 1..=100 {
            if r == t {
                continue;
            }
            let (r, t) = (format!("G{r}"), format!("G{t}"));
            let label = if truth.contains(&(r.clone(), t.clone())) {
                0.6
            } else {
                0.0
            };
            let noise = ((i * 7919) % 1000) as f64 / 1000.0;
            out.push_str(&format!("{r}\t{t}\t{}\n", label + noise));
            i += 1;
        }
    }
    let p = dir.join("pred.tsv");
    std::fs::write(&p, out).unwrap();
    p
}

#[test]
fn export_picks_format_from_extension_and_applies_cuts() {
    let dir = tempfile::tempdir().unwrap();
    let pred = prediction(dir.path());
    let out = dir.path().join("net.graphml");
    grn()
        .args(["export", "-q", "--top", "50", "-n"])
        .arg(&pred)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.matches("<edge ").count(), 50);

    let sif = dir.path().join("net.sif");
    grn()
        .args([
            "export",
            "-q",
            "--per-target",
            "2",
            "--min-score",
            "0.5",
            "-n",
        ])
        .arg(&pred)
        .arg("-o")
        .arg(&sif)
        .assert()
        .success();
    let text = std::fs::read_to_string(&sif).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut per_target = std::collections::HashMap::new();
    for l in &lines {
        let f: Vec<&str> = l.split('\t').collect();
        assert_eq!(f[1], "regulates");
        *per_target.entry(f[2]).or_insert(0) += 1;
    }
    assert!(per_target.values().all(|&c| c <= 2));
    assert!(per_target.len() > 50, "{}", per_target.len());

    // --format overrides the extension; the result reads back.
    let gz = dir.path().join("net.txt.gz");
    grn()
        .args(["export", "-q", "--top", "10", "--format", "graphml", "-n"])
        .arg(&pred)
        .arg("-o")
        .arg(&gz)
        .assert()
        .success();
    let back = grn::network::read(
        &gz,
        &grn::network::ReadOptions {
            format: Some(grn::network::Format::GraphMl),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(back.n_regulations(), 10);
}

#[test]
fn export_errors_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let pred = prediction(dir.path());
    grn()
        .args(["export", "-n"])
        .arg(&pred)
        .arg("-o")
        .arg(dir.path().join("net.xyz"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("--format"));
    grn()
        .args(["export", "--tf-only", "-n"])
        .arg(&pred)
        .arg("-o")
        .arg(dir.path().join("net.sif"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("--tfs FILE"));
    grn()
        .args(["export", "--top", "0", "-n"])
        .arg(&pred)
        .arg("-o")
        .arg(dir.path().join("net.sif"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("top must be at least 1"));
    grn()
        .args(["export", "--render", "svg", "-n"])
        .arg(&pred)
        .arg("-o")
        .arg(dir.path().join("net.sif"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("--render draws DOT"));
}

#[test]
fn tf_only_uses_the_tf_list() {
    let dir = tempfile::tempdir().unwrap();
    let pred = prediction(dir.path());
    let tfs = dir.path().join("tfs.txt");
    std::fs::write(&tfs, "G1\nG2\nG3\n").unwrap();
    let out = dir.path().join("net.tsv");
    grn()
        .args(["export", "-q", "--tf-only", "-n"])
        .arg(&pred)
        .arg("--tfs")
        .arg(&tfs)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let text = std::fs::read_to_string(&out).unwrap();
    let regs: std::collections::BTreeSet<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(regs.into_iter().collect::<Vec<_>>(), ["G1", "G2", "G3"]);
}

#[test]
fn render_without_graphviz_says_how_to_get_it() {
    let dir = tempfile::tempdir().unwrap();
    let pred = prediction(dir.path());
    let dot = dir.path().join("net.dot");
    let empty = tempfile::tempdir().unwrap();
    grn()
        .env("PATH", empty.path())
        .args(["export", "--top", "20", "--render", "svg", "-n"])
        .arg(&pred)
        .arg("-o")
        .arg(&dot)
        .assert()
        .failure()
        .stderr(predicate::str::contains("Graphviz").and(predicate::str::contains("install")))
        .stderr(predicate::str::contains("dot -Tsvg"));
    // The DOT file itself was written and is valid.
    let text = std::fs::read_to_string(&dot).unwrap();
    graphviz_rust::parse(&text).unwrap();
}

#[test]
fn render_draws_svg_when_graphviz_is_installed() {
    if std::process::Command::new("dot")
        .arg("-V")
        .output()
        .is_err()
    {
        eprintln!("Graphviz not installed: skipping the rendering check");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pred = prediction(dir.path());
    grn()
        .args(["export", "-q", "--top", "20", "--render", "svg", "-n"])
        .arg(&pred)
        .arg("-o")
        .arg(dir.path().join("net.dot"))
        .assert()
        .success();
    let svg = std::fs::read_to_string(dir.path().join("net.svg")).unwrap();
    assert!(svg.contains("<svg") && svg.contains("G"));
}

#[test]
fn stats_table_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let pred = prediction(dir.path());
    let out = grn()
        .args(["stats", "--json", "--top", "300", "-n"])
        .arg(&pred)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["regulations"], 300);
    let in_sum: u64 = v["in_degree"]["histogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[0].as_u64().unwrap() * p[1].as_u64().unwrap())
        .sum();
    assert_eq!(in_sum, 300);
    assert_eq!(v["hubs"]["out_degree"].as_array().unwrap().len(), 10);
    grn()
        .args(["stats", "--top", "300", "-n"])
        .arg(&pred)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("regulations\t300")
                .and(predicate::str::contains("feed-forward loops"))
                .and(predicate::str::contains("hubs by PageRank")),
        );
}

#[test]
fn eval_plots_curves_and_keeps_single_output() {
    let dir = tempfile::tempdir().unwrap();
    let pred = prediction(dir.path());
    let gold = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/insilico_size100_1_goldstandard.tsv"
    );
    let single = grn()
        .args(["eval", "-g", gold, "-p"])
        .arg(&pred)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let single = String::from_utf8(single).unwrap();
    let keys: Vec<&str> = single
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(keys, ["AUROC", "AUPR", "EPR", "pairs"]);

    // A second, worse prediction: the same file with scores reversed.
    let text = std::fs::read_to_string(&pred).unwrap();
    let mut worse = String::from("regulator\ttarget\tscore\n");
    for l in text.lines().skip(1) {
        let f: Vec<&str> = l.split('\t').collect();
        let s: f64 = f[2].parse().unwrap();
        worse.push_str(&format!("{}\t{}\t{}\n", f[0], f[1], -s));
    }
    let worse_path = dir.path().join("worse.tsv");
    std::fs::write(&worse_path, worse).unwrap();
    let svg = dir.path().join("curves.svg");
    let out = grn()
        .args(["eval", "-q", "--json", "-g", gold, "-p"])
        .arg(&pred)
        .arg("-p")
        .arg(&worse_path)
        .arg("--plot")
        .arg(&svg)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let rows: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let (good, bad) = (&rows[0], &rows[1]);
    assert!(good["auroc"].as_f64().unwrap() > 0.9 && bad["auroc"].as_f64().unwrap() < 0.1);
    let picture = std::fs::read_to_string(&svg).unwrap();
    roxmltree::Document::parse(&picture).expect("SVG is well-formed XML");
    for m in [good, bad] {
        assert!(picture.contains(&format!("AUPR {:.3}", m["aupr"].as_f64().unwrap())));
        assert!(picture.contains(&format!("AUROC {:.3}", m["auroc"].as_f64().unwrap())));
    }
}

#[test]
fn outputs_do_not_depend_on_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let pred = prediction(dir.path());
    let run = |threads: &str, args: &[&str]| -> Vec<u8> {
        grn()
            .args(["--threads", threads])
            .args(args)
            .arg("-n")
            .arg(&pred)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone()
    };
    let stats = ["stats", "--json"];
    assert_eq!(run("1", &stats), run("2", &stats));
    let dot = |threads: &str| {
        let out = dir.path().join(format!("t{threads}.dot"));
        grn()
            .args(["--threads", threads, "export", "-q", "-n"])
            .arg(&pred)
            .arg("-o")
            .arg(&out)
            .assert()
            .success();
        std::fs::read(out).unwrap()
    };
    assert_eq!(dot("1"), dot("3"));
}
