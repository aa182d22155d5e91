//! `grn simulate` writes counts that the single-cell readers read back exactly.

use grn::expression::{self, ReadOptions};

#[test]
fn simulated_counts_round_trip_through_h5ad_and_mtx() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sim");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_grn"))
        .args([
            "simulate",
            "--genes",
            "12",
            "--regulators",
            "3",
            "--samples",
            "0",
            "--single-cell",
            "40",
            "--counts",
            "poisson",
            "--seed",
            "3",
            "-q",
            "-o",
        ])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let tsv = expression::read(&out.join("counts.tsv"), &ReadOptions::default()).unwrap();
    for input in [out.join("counts.h5ad"), out.join("counts_10x")] {
        let sc = expression::read(&input, &ReadOptions::default()).unwrap();
        assert_eq!(sc.matrix.genes(), tsv.matrix.genes());
        assert_eq!(sc.matrix.samples(), tsv.matrix.samples());
        assert_eq!(sc.matrix.values(), tsv.matrix.values());
    }
    // anndata itself, when this machine has it.
    let python = std::env::var("GRN_ANNDATA_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = format!(
        "import anndata, pandas, numpy\n\
         a = anndata.read_h5ad({h:?})\n\
         t = pandas.read_csv({t:?}, sep='\\t', index_col=0)\n\
         assert numpy.array_equal(a.X.toarray(), t.values)\n\
         assert list(a.var_names) == list(t.columns)\n",
        h = out.join("counts.h5ad").display().to_string(),
        t = out.join("counts.tsv").display().to_string()
    );
    let has_anndata = std::process::Command::new(&python)
        .args(["-c", "import anndata"])
        .output()
        .is_ok_and(|o| o.status.success());
    if has_anndata {
        let o = std::process::Command::new(&python)
            .args(["-c", &script])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
}
