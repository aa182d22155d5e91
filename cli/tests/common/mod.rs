//! Fixtures shared by the CLI test files (each test file is its own crate and
//! includes this module).

use std::path::{Path, PathBuf};

/// `samples` samples of A -> B -> C (B = 0.5 A, C = 3 B, plus small noise), D
/// independent, and a network naming those edges plus a weak D -> C.
pub fn chain(dir: &Path, samples: usize) -> (PathBuf, PathBuf) {
    let mut expr = String::from("A\tB\tC\tD\n");
    for i in 0..samples {
        let a = 3.0 + (i as f64 * 0.37).sin();
        let b = 0.5 * a + 0.02 * (i as f64 * 1.7).cos();
        let c = 3.0 * b + 0.02 * (i as f64 * 2.3).sin();
        let d = 1.0 + 0.5 * (i as f64 * 0.91).cos();
        expr.push_str(&format!("{a}\t{b}\t{c}\t{d}\n"));
    }
    let e = dir.join("expr.tsv");
    std::fs::write(&e, expr).unwrap();
    let n = dir.join("net.tsv");
    std::fs::write(
        &n,
        "regulator\ttarget\tscore\tsign\nA\tB\t0.9\t+\nB\tC\t0.8\t+\nD\tC\t0.1\t+\n",
    )
    .unwrap();
    (e, n)
}
