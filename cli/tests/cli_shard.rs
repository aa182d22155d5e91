//! `grn infer --targets-shard I/N` and `grn merge`: the shards of a tree method
//! merge into the bytes of the single run; methods that cannot be split by target,
//! and shards that do not make one run, are refused with a clear error.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

const NET1: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../data/insilico_size100_1_multifactorial.tsv"
);

fn grn() -> Command {
    Command::cargo_bin("grn").unwrap()
}

/// Runs `grn infer -e NET1 ARGS -o OUT` and returns OUT.
fn infer(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let out = dir.join(name);
    grn()
        .args(["-q", "infer", "-e", NET1])
        .args(args)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    out
}

/// The shard files of a run split `n` ways.
fn shards(dir: &Path, tag: &str, args: &[&str], n: usize) -> Vec<PathBuf> {
    (1..=n)
        .map(|i| {
            let spec = format!("{i}/{n}");
            let mut a = args.to_vec();
            a.extend(["--targets-shard", &spec]);
            infer(dir, &format!("{tag}.{i}.tsv"), &a)
        })
        .collect()
}

fn merge(dir: &Path, name: &str, shards: &[PathBuf]) -> (bool, String, PathBuf) {
    let out = dir.join(name);
    let output = grn()
        .args(["-q", "merge"])
        .args(shards)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (output.status.success(), stderr, out)
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap()
}

#[test]
fn shards_merge_into_the_bytes_of_the_single_run_for_every_tree_method() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tfs = d.join("tfs.txt");
    let names: Vec<String> = (1..=100).step_by(7).map(|i| format!("G{i}")).collect();
    std::fs::write(&tfs, names.join("\n")).unwrap();
    let tfs = tfs.to_str().unwrap();
    let runs: [(&str, Vec<&str>, usize); 5] = [
        ("genie3", vec!["-m", "genie3", "--trees", "30"], 3),
        (
            "genie3-et",
            vec!["-m", "genie3-et", "--trees", "30", "--seed", "5"],
            4,
        ),
        ("grnboost2", vec!["-m", "grnboost2"], 3),
        ("grnboost2-top", vec!["-m", "grnboost2", "--top", "200"], 7),
        ("grnboost2-tfs", vec!["-m", "grnboost2", "--tfs", tfs], 2),
    ];
    for (tag, args, n) in runs {
        let single = infer(d, &format!("{tag}.single.tsv"), &args);
        // Shards on one thread, the single run on all: neither changes a byte.
        let mut one_thread = args.clone();
        one_thread.extend(["--threads", "1"]);
        let mut parts = shards(d, tag, &one_thread, n);
        parts.reverse();
        let (ok, stderr, merged) = merge(d, &format!("{tag}.merged.tsv"), &parts);
        assert!(ok, "{tag}: {stderr}");
        let (a, b) = (read(&single), read(&merged));
        assert!(a.len() > 1000, "{tag}: a real network");
        assert!(a == b, "{tag}: merged shards differ from the single run");
    }
}

#[test]
fn a_prior_and_early_stopping_settings_shard_too_and_belong_to_the_run_key() {
    let dir = tempfile::tempdir().unwrap();
    let prior = dir.path().join("prior.tsv");
    std::fs::write(&prior, "G1\tG2\nG3\tG4\nG5\tG10\n").unwrap();
    let p = prior.to_str().unwrap();
    for args in [
        &["-m", "grnboost2", "--prior", p][..],
        &["-m", "grnboost2", "--oob-improvement", "consecutive"][..],
    ] {
        let single = infer(dir.path(), "single.tsv", args);
        let parts = shards(dir.path(), "s", args, 3);
        let (ok, stderr, merged) = merge(dir.path(), "merged.tsv", &parts);
        assert!(ok, "{args:?}: {stderr}");
        assert_eq!(read(&merged), read(&single), "{args:?}");
    }
    // Shards of a guided and an unguided run do not merge.
    let guided = shards(dir.path(), "g", &["-m", "grnboost2", "--prior", p], 2);
    let plain = shards(dir.path(), "p", &["-m", "grnboost2"], 2);
    let (ok, stderr, _) = merge(
        dir.path(),
        "mixed.tsv",
        &[guided[0].clone(), plain[1].clone()],
    );
    assert!(!ok && stderr.contains("settings"), "{stderr}");
}

#[test]
fn more_shards_than_genes_leave_empty_shards_that_still_merge() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let small = d.join("small.tsv");
    let mut text = String::from("a\tb\tc\td\n");
    for i in 0..20 {
        let x = i as f64;
        text.push_str(&format!(
            "{}\t{}\t{}\t{}\n",
            (x * 0.7).sin(),
            (x * 0.7).sin() * 2.0 + (x * 1.3).cos() * 0.1,
            (x * 0.31).cos(),
            (i * 7 % 5) as f64
        ));
    }
    std::fs::write(&small, text).unwrap();
    let run = |out: &Path, shard: Option<&str>| {
        let mut c = grn();
        c.args(["-q", "infer", "-m", "genie3", "--trees", "20", "-e"])
            .arg(&small)
            .arg("-o")
            .arg(out);
        if let Some(s) = shard {
            c.args(["--targets-shard", s]);
        }
        c.assert().success();
    };
    let single = d.join("single.tsv");
    run(&single, None);
    let parts: Vec<PathBuf> = (1..=6)
        .map(|i| {
            let p = d.join(format!("part{i}.tsv.gz"));
            run(&p, Some(&format!("{i}/6")));
            p
        })
        .collect();
    let (ok, stderr, merged) = merge(d, "merged.tsv", &parts);
    assert!(ok, "{stderr}");
    assert_eq!(read(&single), read(&merged));
}

#[test]
fn pairwise_methods_and_consensus_refuse_to_shard() {
    let dir = tempfile::tempdir().unwrap();
    for method in [
        "relevance",
        "clr",
        "aracne",
        "mrnet",
        "pearson",
        "spearman",
        "partial-corr",
        "consensus",
    ] {
        let out = dir.path().join(format!("{method}.tsv"));
        let output = grn()
            .args(["-q", "infer", "-e", NET1, "-m", method])
            .args(["--targets-shard", "1/2", "-o"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(!output.status.success(), "{method} sharded");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!("{method} cannot be split by target"))
                && stderr.contains("genie3, genie3-et, grnboost2"),
            "{method}: {stderr}"
        );
        assert!(!out.exists());
    }
    let output = grn()
        .args(["infer", "-e", NET1, "--targets-shard", "3/2", "-o", "x.tsv"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stderr).contains("expected I/N"));
}

#[test]
fn merge_refuses_shards_that_do_not_make_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let base = ["-m", "grnboost2"];
    let three = shards(d, "a", &base, 3);
    let other_seed = shards(d, "b", &["-m", "grnboost2", "--seed", "1"], 3);
    let two = shards(d, "c", &base, 2);
    let expect = |files: &[PathBuf], fragments: &[&str]| {
        let (ok, stderr, out) = merge(d, "out.tsv", files);
        assert!(!ok, "merged {files:?}");
        for f in fragments {
            assert!(stderr.contains(f), "{f:?} not in {stderr:?}");
        }
        assert!(!out.exists(), "a failed merge wrote its output");
    };
    expect(&three[..2], &["1 of 3 shards missing (3/3)"]);
    expect(
        &[
            three[0].clone(),
            three[0].clone(),
            three[1].clone(),
            three[2].clone(),
        ],
        &["shard 1/3 is given twice"],
    );
    expect(
        &[three[0].clone(), other_seed[1].clone(), three[2].clone()],
        &["shards of different runs (seed 0 vs 1)"],
    );
    expect(
        &[three[0].clone(), two[1].clone()],
        &["all shards must split the run into the same number of blocks"],
    );
    // Another input (a different matrix with the same genes) is caught by the
    // fingerprint.
    let other = d.join("other.tsv");
    let text = std::fs::read_to_string(NET1).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.swap(1, 2);
    std::fs::write(&other, lines.join("\n")).unwrap();
    let moved = d.join("moved.tsv");
    grn()
        .args([
            "-q",
            "infer",
            "-m",
            "grnboost2",
            "--targets-shard",
            "2/3",
            "-e",
        ])
        .arg(&other)
        .arg("-o")
        .arg(&moved)
        .assert()
        .success();
    expect(
        &[three[0].clone(), moved, three[2].clone()],
        &["shards of different runs (input "],
    );
    // A whole network is not a shard; a cut-short shard is noticed.
    let single = infer(d, "single.tsv", &base);
    expect(&[single], &["single.tsv:1: not a shard file"]);
    let cut = d.join("cut.tsv");
    let text = std::fs::read_to_string(&three[0]).unwrap();
    let half: Vec<&str> = text.lines().take(text.lines().count() / 2).collect();
    std::fs::write(&cut, half.join("\n") + "\n").unwrap();
    expect(
        &[cut, three[1].clone(), three[2].clone()],
        &["cut.tsv: the header declares", "cut short"],
    );
}
