//! Every command that takes a network reads it through `grn::network::read`, so the
//! same network as TSV, GraphML or SIF gives the same results.
//!
//! What the formats carry: TSV scores and signs; GraphML everything; SIF topology,
//! signs and order but no scores (every edge reads as 1.0). So the network used for
//! all three has equal scores (the gold standard's true edges, a known network as
//! one would perturb it), and a second network with distinct scores is compared
//! between TSV and GraphML, which both keep scores exactly.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

const EXPR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../data/insilico_size100_1_multifactorial.tsv"
);
const GOLD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../data/insilico_size100_1_goldstandard.tsv"
);
const SCORED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/data/eval_pred_top2000.tsv"
);

fn grn(args: &[&str]) -> Vec<u8> {
    let out = Command::cargo_bin("grn")
        .unwrap()
        .arg("--quiet")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "grn {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The network in `dir` as TSV, GraphML and SIF, all written from the TSV.
fn formats(dir: &Path, source: &str, cut: &[&str]) -> Vec<PathBuf> {
    let tsv = dir.join("net.tsv");
    let mut args = vec!["export", "-n", source];
    args.extend_from_slice(cut);
    args.extend_from_slice(&["-o", s(&tsv)]);
    grn(&args);
    let mut paths = vec![tsv.clone()];
    for ext in ["graphml", "sif"] {
        let p = dir.join(format!("net.{ext}"));
        grn(&["export", "-n", s(&tsv), "-o", s(&p)]);
        paths.push(p);
    }
    paths
}

/// Everything each command produces from `net`, by name.
fn results(net: &Path, out: &Path) -> Vec<(String, Vec<u8>)> {
    std::fs::create_dir_all(out).unwrap();
    let sig = out.join("sig.tsv");
    std::fs::write(&sig, "G10\t1\nG20\t-1\n").unwrap();
    let mut r = Vec::new();
    let effects = out.join("effects.tsv");
    grn(&[
        "perturb",
        "-e",
        EXPR,
        "-n",
        s(net),
        "--knockout",
        "G1",
        "-o",
        s(&effects),
    ]);
    r.push(("perturb".into(), std::fs::read(&effects).unwrap()));
    let ranking = out.join("ranking.tsv");
    grn(&[
        "screen",
        "-e",
        EXPR,
        "-n",
        s(net),
        "--signature",
        s(&sig),
        "-o",
        s(&ranking),
    ]);
    r.push(("screen".into(), std::fs::read(&ranking).unwrap()));
    r.push(("stats".into(), grn(&["stats", "-n", s(net)])));
    for ext in ["tsv", "graphml", "sif"] {
        let p = out.join(format!("exported.{ext}"));
        grn(&["export", "-n", s(net), "-o", s(&p)]);
        r.push((format!("export {ext}"), std::fs::read(&p).unwrap()));
    }
    let sim = out.join("sim");
    grn(&[
        "simulate",
        "--network",
        s(net),
        "--seed",
        "3",
        "-o",
        s(&sim),
    ]);
    let mut files: Vec<_> = std::fs::read_dir(&sim)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read(&f).unwrap();
        // The run's parameters record the network file's name, which differs.
        let text = String::from_utf8_lossy(&text).replace(s(net), "NETWORK");
        r.push((format!("simulate {name}"), text.into_bytes()));
    }
    r
}

fn assert_same(a: &[(String, Vec<u8>)], b: &[(String, Vec<u8>)], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: different outputs");
    for ((name, x), (_, y)) in a.iter().zip(b) {
        assert!(x == y, "{what}: {name} differs");
    }
}

#[test]
fn tsv_graphml_and_sif_give_identical_results() {
    let dir = tempfile::tempdir().unwrap();
    let nets = formats(dir.path(), GOLD, &["--min-score", "1"]);
    let reference = results(&nets[0], &dir.path().join("out_tsv"));
    assert!(reference.len() > 6 && reference.iter().all(|(_, x)| !x.is_empty()));
    for (i, net) in nets.iter().enumerate().skip(1) {
        let got = results(net, &dir.path().join(format!("out_{i}")));
        assert_same(&reference, &got, s(net));
    }
}

#[test]
fn scores_survive_graphml() {
    let dir = tempfile::tempdir().unwrap();
    let nets = formats(dir.path(), SCORED, &["--per-target", "3"]);
    let reference = results(&nets[0], &dir.path().join("out_tsv"));
    let got = results(&nets[1], &dir.path().join("out_graphml"));
    assert_same(&reference, &got, "GraphML");
}
