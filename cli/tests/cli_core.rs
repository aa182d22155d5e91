//! `grn infer` and `grn eval` from the command line: bad input, determinism,
//! output format, and agreement with the DREAM scorer.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

const NET1: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../data/insilico_size100_1_multifactorial.tsv"
);
const GOLD1: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../data/insilico_size100_1_goldstandard.tsv"
);

fn grn() -> Command {
    Command::cargo_bin("grn").unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs `grn infer` on `text` and expects a failure whose message contains every
/// fragment of `expected`, with no output file left behind.
fn rejects(name: &str, text: &str, expected: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), name, text);
    let out = dir.path().join("net.tsv");
    let assert = grn()
        .args(["infer", "-e"])
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    for fragment in expected {
        assert!(
            stderr.contains(fragment),
            "{name}: {fragment:?} not in {stderr:?}"
        );
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!out.exists(), "a failed run wrote {}", out.display());
}

#[test]
fn bad_input_is_a_clear_error_with_location() {
    let ok_rows = "1\t2\t3\n4\t5\t7\n7\t8\t1\n";
    rejects(
        "ragged.tsv",
        &format!("a\tb\tc\n{ok_rows}1\t2\n"),
        &["ragged.tsv:5:", "2 fields, expected 3"],
    );
    rejects(
        "text.tsv",
        &format!("a\tb\tc\n{ok_rows}1\tabc\t2\n"),
        &["text.tsv:5:2:", "expected a number", "abc"],
    );
    rejects(
        "nan.tsv",
        &format!("a\tb\tc\n1\tNaN\t2\n{ok_rows}"),
        &["nan.tsv:2:2:", "finite"],
    );
    rejects(
        "inf.tsv",
        &format!("a\tb\tc\n{ok_rows}1\t2\tinf\n"),
        &["inf.tsv:5:3:", "finite"],
    );
    rejects(
        "na.tsv",
        &format!("a\tb\tc\n{ok_rows}NA\t2\t1\n"),
        &["na.tsv:5:1:", "missing value"],
    );
    rejects(
        "dup.tsv",
        &format!("a\tb\ta\n{ok_rows}"),
        &["dup.tsv:1:3:", "\"a\" appears twice"],
    );
    rejects("empty.tsv", "", &["empty.tsv", "empty"]);
    rejects("header.tsv", "a\tb\tc\n", &["header.tsv:1", "no data rows"]);
    rejects(
        "two.tsv",
        "a\tb\tc\n1\t2\t3\n4\t5\t7\n",
        &["only 2 sample(s)", "at least 3"],
    );
    rejects(
        "const.tsv",
        "a\tb\n1\t1\n2\t1\n3\t1\n",
        &["fewer than 2 genes"],
    );
}

#[test]
fn missing_files_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    grn()
        .args(["infer", "-e", "no/such/file.tsv", "-o"])
        .arg(dir.path().join("o.tsv"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("no/such/file.tsv"));
}

#[test]
fn constant_genes_and_unknown_tfs_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let expr = write(
        dir.path(),
        "e.tsv",
        "a\tb\tflat\tc\n1\t2\t5\t0\n2\t1\t5\t3\n3\t5\t5\t1\n4\t3\t5\t2\n",
    );
    let tfs = write(dir.path(), "tfs.txt", "a\nnot_a_gene\nflat\n");
    let out = dir.path().join("net.tsv");
    grn()
        .args(["infer", "-m", "grnboost2", "-e"])
        .arg(&expr)
        .arg("--tfs")
        .arg(&tfs)
        .arg("-o")
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "dropped 1 gene(s) with zero variance",
        ))
        .stderr(predicate::str::contains("2 of 3 regulator names"))
        .stderr(predicate::str::contains("not_a_gene"));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.lines().skip(1).all(|l| l.starts_with("a\t")), "{text}");

    let none = write(dir.path(), "none.txt", "x\ny\n");
    grn()
        .args(["infer", "-e"])
        .arg(&expr)
        .arg("--tfs")
        .arg(&none)
        .arg("-o")
        .arg(&out)
        .assert()
        .failure()
        .stderr(predicate::str::contains("none of the 2 regulator names"));
}

#[test]
fn layouts_give_the_same_network() {
    // The same matrix as TSV, gzipped CSV with sample ids, and genes x samples.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(NET1).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    let csv: String = std::iter::once(format!("id,{}", rows[0].join(",")))
        .chain(
            rows[1..]
                .iter()
                .enumerate()
                .map(|(i, r)| format!("s{i},{}", r.join(","))),
        )
        .collect::<Vec<_>>()
        .join("\n");
    let gz = dir.path().join("e.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, csv.as_bytes()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let transposed: String = (0..rows[0].len())
        .map(|g| rows.iter().map(|r| r[g]).collect::<Vec<_>>().join("\t"))
        .collect::<Vec<_>>()
        .join("\n");
    let samples: Vec<String> = (1..rows.len()).map(|i| format!("s{i}")).collect();
    let t = write(
        dir.path(),
        "t.txt",
        &format!("gene\t{}\n{transposed}\n", samples.join("\t")),
    );
    let run = |input: &Path, extra: &[&str]| -> Vec<u8> {
        let out = dir.path().join("out.tsv");
        grn()
            .args(["infer", "-q", "-m", "grnboost2", "-e"])
            .arg(input)
            .args(extra)
            .arg("-o")
            .arg(&out)
            .assert()
            .success();
        std::fs::read(&out).unwrap()
    };
    let reference = run(Path::new(NET1), &[]);
    assert_eq!(reference, run(&gz, &[]));
    assert_eq!(reference, run(&t, &["--genes-in-rows"]));
}

#[test]
fn output_is_identical_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    for (method, extra) in [
        ("genie3", &["--trees", "100"][..]),
        ("genie3-et", &["--trees", "100"][..]),
        ("grnboost2", &[][..]),
        ("grnboost2", &["--oob-improvement", "consecutive"][..]),
    ] {
        let run = |threads: &str| -> Vec<u8> {
            let out = dir.path().join(format!("{method}-{threads}.tsv.gz"));
            grn()
                .args([
                    "infer",
                    "-q",
                    "--seed",
                    "7",
                    "--threads",
                    threads,
                    "-m",
                    method,
                    "-e",
                    NET1,
                ])
                .args(extra)
                .arg("-o")
                .arg(&out)
                .assert()
                .success();
            std::fs::read(&out).unwrap()
        };
        assert_eq!(run("1"), run("2"), "{method}");
    }
}

#[test]
fn early_stopping_options_change_grnboost2_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        let out = dir.path().join("net.tsv");
        grn()
            .args(["infer", "-q", "-m", "grnboost2", "-e", NET1])
            .args(extra)
            .arg("-o")
            .arg(&out)
            .assert()
            .success();
        std::fs::read(&out).unwrap()
    };
    let paired = run(&[]);
    assert_eq!(
        paired,
        run(&["--oob-improvement", "paired", "--early-stop-window", "25"])
    );
    assert_ne!(paired, run(&["--oob-improvement", "consecutive"]));
    assert_ne!(paired, run(&["--early-stop-window", "5"]));
    for (extra, message) in [
        (
            &["-m", "genie3", "--oob-improvement", "consecutive"][..],
            "apply to grnboost2; genie3 does not boost",
        ),
        (
            &["-m", "grnboost2", "--early-stop-window", "0"][..],
            "--early-stop-window: must be at least 1",
        ),
    ] {
        grn()
            .args(["infer", "-q", "-e", NET1])
            .args(extra)
            .arg("-o")
            .arg(dir.path().join("x.tsv"))
            .assert()
            .failure()
            .stderr(predicate::str::contains(message));
    }
}

#[test]
fn output_is_a_ranked_edge_list() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("net.tsv");
    grn()
        .args([
            "infer",
            "-q",
            "-m",
            "grnboost2",
            "--top",
            "50",
            "-e",
            NET1,
            "-o",
        ])
        .arg(&out)
        .assert()
        .success();
    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("regulator\ttarget\tscore\tsign"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 50);
    let scores: Vec<f64> = rows.iter().map(|r| r[2].parse().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "not sorted");
    assert!(
        rows.iter()
            .all(|r| r[0] != r[1] && ["+", "-", "0"].contains(&r[3]))
    );
}

#[test]
fn a_failed_run_keeps_the_previous_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = write(dir.path(), "net.tsv", "previous result\n");
    let bad = write(dir.path(), "bad.tsv", "a\tb\n1\t2\n3\tx\n4\t4\n");
    grn()
        .args(["infer", "-e"])
        .arg(&bad)
        .arg("-o")
        .arg(&out)
        .assert()
        .failure();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous result\n");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 2, "temporary files left behind");
}

/// Expected values were computed with the peers' scorer
/// (`shared/peers/evaluate.py`, scikit-learn 1.9) on the committed fixtures:
/// a top-2000 prediction, one with rounded scores (ties), duplicated pairs, a
/// self-loop and an unknown gene, against the DREAM4 gold standard and against a
/// DREAM5-style one that lists negatives.
#[test]
fn eval_agrees_with_the_dream_scorer() {
    let negatives = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/gold_with_negatives.tsv"
    );
    let cases = [
        (
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../tests/data/eval_pred_top2000.tsv"
            ),
            GOLD1,
            [0.6745242558243895, 0.14963413208032725, 11.825284090909092],
        ),
        (
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../tests/data/eval_pred_top2000.tsv"
            ),
            negatives,
            [0.6741136363636364, 0.265325014237304, 5.639204545454546],
        ),
        (
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../tests/data/eval_pred_ties.tsv"
            ),
            GOLD1,
            [0.7071114463744812, 0.12963033979555236, 12.464488636363637],
        ),
        (
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../tests/data/eval_pred_ties.tsv"
            ),
            negatives,
            [0.7084839015151514, 0.23517514155845012, 5.331611570247934],
        ),
    ];
    for (pred, gold, want) in cases {
        let out = grn()
            .args(["eval", "--json", "-g", gold, "-p", pred])
            .output()
            .unwrap();
        assert!(out.status.success());
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        for (key, want) in ["auroc", "aupr", "epr"].iter().zip(want) {
            let got = json[key].as_f64().unwrap();
            assert!(
                (got - want).abs() < 1e-9,
                "{pred} vs {gold}: {key} {got} != {want}"
            );
        }
    }
}

#[test]
fn eval_reports_bad_gold_lines() {
    let dir = tempfile::tempdir().unwrap();
    let gold = write(dir.path(), "gold.tsv", "A\tB\t1\nB\tC\n");
    grn()
        .args([
            "eval",
            "-p",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../tests/data/eval_pred_ties.tsv"
            ),
            "-g",
        ])
        .arg(&gold)
        .assert()
        .failure()
        .stderr(predicate::str::contains("gold.tsv:2:"));
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    // `grn eval ... | head -1`: the pipe closes before the report is written. The
    // reader is dropped before the process has read its inputs, so every write
    // meets a closed pipe.
    let pred = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/eval_pred_top2000.tsv"
    );
    let runs: [&[&str]; 2] = [&["eval", "-g", GOLD1, "-p", pred], &["stats", "-n", pred]];
    for args in runs {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("grn"))
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn count_normalisation_on_reading() {
    // Counts with a depth that differs per sample: `--normalize log-total` must give
    // the network of the matrix normalised beforehand (ln(1 + x 10^4 / total),
    // computed in the same order so that the f32 values are identical).
    let dir = tempfile::tempdir().unwrap();
    let genes = ["A", "B", "C", "D", "E"];
    let mut counts = String::from("cell\tA\tB\tC\tD\tE\n");
    let mut normalised = counts.clone();
    for s in 0..40u64 {
        let depth = 1 + s % 4;
        let row: Vec<f64> = (0..genes.len() as u64)
            .map(|g| (depth * ((s * 7 + g * 13) % 11 + g)) as f64)
            .collect();
        let total: f64 = row.iter().sum();
        let fmt = |v: Vec<String>| format!("c{s}\t{}\n", v.join("\t"));
        counts.push_str(&fmt(row.iter().map(|v| v.to_string()).collect()));
        normalised.push_str(&fmt(row
            .iter()
            .map(|v| ((v * (1e4 / total)).ln_1p() as f32).to_string())
            .collect()));
    }
    let counts = write(dir.path(), "counts.tsv", &counts);
    let normalised = write(dir.path(), "normalised.tsv", &normalised);
    let infer = |input: &Path, extra: &[&str]| -> Vec<u8> {
        let out = dir.path().join("net.tsv");
        grn()
            .args(["infer", "-q", "--trees", "50", "-e"])
            .arg(input)
            .args(extra)
            .arg("-o")
            .arg(&out)
            .assert()
            .success();
        std::fs::read(&out).unwrap()
    };
    let inline = infer(&counts, &["--normalize", "log-total"]);
    assert_eq!(inline, infer(&normalised, &[]));
    assert_ne!(inline, infer(&counts, &[]));

    let negative = write(dir.path(), "neg.tsv", "A\tB\n1\t2\n3\t-1\n4\t5\n");
    grn()
        .args(["infer", "--normalize", "total", "-e"])
        .arg(&negative)
        .arg("-o")
        .arg(dir.path().join("x.tsv"))
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("neg.tsv").and(predicate::str::contains(
                "\"S2\", gene \"B\": value -1 is negative",
            )),
        );
}

#[test]
fn time_series_are_read_with_their_time_column() {
    let dir = tempfile::tempdir().unwrap();
    // Two series (the time restarts), a blank line between them as DREAM writes.
    let mut text = String::from("\"Time\"\t\"a\"\t\"b\"\t\"c\"\n");
    for s in 0..2 {
        for k in 0..6 {
            let a = ((k * 5 + s * 3) % 7) as f32;
            text += &format!("{}\t{a}\t{}\t{}\n", k * 10, (k * 3 % 5) + s, (k * k) % 4);
        }
        text += "\n";
    }
    let expr = write(dir.path(), "ts.tsv", &text);
    let out = dir.path().join("net.tsv");
    let infer = |extra: &[&str]| {
        let mut c = grn();
        c.args(["infer", "-e"])
            .arg(&expr)
            .arg("-o")
            .arg(&out)
            .args(extra);
        c.assert()
    };
    // Without --time-series: the time column is not a gene, and the user hears so.
    infer(&[]).success().stderr(predicate::str::contains(
        "`Time` read as the samples' time points",
    ));
    let net = std::fs::read_to_string(&out).unwrap();
    assert!(!net.contains("Time"), "{net}");
    infer(&["--time-series", "--trees", "50"]).success();
    let net = std::fs::read_to_string(&out).unwrap();
    assert!(net.lines().count() > 1 && !net.contains("Time"), "{net}");
    for (args, message) in [
        (
            &["--time-series", "-m", "clr"][..],
            "clr cannot model a time series",
        ),
        (
            &["--time-series", "--targets-shard", "1/2"][..],
            "--time-series and --targets-shard cannot be combined",
        ),
    ] {
        infer(args)
            .failure()
            .stderr(predicate::str::contains(message));
    }
    // A file without a time column.
    let plain = write(dir.path(), "plain.tsv", "a\tb\n1\t2\n2\t1\n3\t5\n4\t4\n");
    grn()
        .args(["infer", "--time-series", "-e"])
        .arg(&plain)
        .arg("-o")
        .arg(dir.path().join("x.tsv"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("a first column named `Time`"));
}
