//! Single-cell readers against files written by anndata, scipy, h5py (Cell Ranger
//! layout) and loompy, compared with what those packages read back
//! (tests/data/singlecell/expected.json, written by make_fixtures.py), and the
//! bad-input treatment for every reader.

use std::path::{Path, PathBuf};

use grn::expression::{self, Loaded, ObsFilter, ReadOptions};
use serde_json::Value;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/singlecell")
        .join(name)
}

fn expected() -> Value {
    let text = std::fs::read_to_string(data("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn read(name: &str, options: &ReadOptions) -> Loaded {
    expression::read(&data(name), options).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn err(path: &Path, options: &ReadOptions) -> String {
    match expression::read(path, options) {
        Ok(_) => panic!("{} read without error", path.display()),
        Err(e) => e.to_string(),
    }
}

/// Every gene read equals what the Python reader saw, genes and cells in the same
/// order; genes not read are exactly the constant ones.
fn matches(loaded: &Loaded, want: &Value) {
    let genes = strings(&want["genes"]);
    let cells = strings(&want["cells"]);
    let values = want["values"].as_array().unwrap();
    let m = &loaded.matrix;
    assert_eq!(m.samples(), cells);
    let mut kept = 0;
    for (g, name) in genes.iter().enumerate() {
        let row: Vec<f32> = values[g]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect();
        match m.gene_index(name) {
            Some(i) => {
                assert_eq!(i, kept, "gene {name} out of order");
                kept += 1;
                assert_eq!(m.gene(i).to_vec(), row, "gene {name}");
            }
            None => {
                assert!(loaded.dropped_constant.contains(name), "{name} missing");
                assert!(row.iter().all(|&v| v == row[0]));
            }
        }
    }
    assert_eq!(kept, m.n_genes());
}

#[test]
fn anndata_dense_sparse_and_compressed_match_anndata() {
    let e = expected();
    for name in [
        "dense.h5ad",
        "csr.h5ad",
        "csc.h5ad",
        "gzip.h5ad",
        "lzf.h5ad",
        "lzf_csr.h5ad",
    ] {
        let loaded = read(name, &ReadOptions::default());
        matches(&loaded, &e[name]);
        assert!(loaded.warnings.is_empty(), "{name}: {:?}", loaded.warnings);
    }
}

#[test]
fn anndata_layer_raw_and_var_column() {
    let e = expected();
    let layer = ReadOptions {
        layer: Some("counts".into()),
        ..Default::default()
    };
    matches(&read("dense.h5ad", &layer), &e["dense.h5ad:layer=counts"]);
    let raw = ReadOptions {
        use_raw: true,
        ..Default::default()
    };
    for name in ["dense.h5ad", "lzf_csr.h5ad"] {
        let loaded = read(name, &raw);
        matches(&loaded, &e["dense.h5ad:raw"]);
        assert_eq!(loaded.matrix.n_genes() + loaded.dropped_constant.len(), 9);
    }
    // A categorical column with a repeated symbol: made unique as anndata does.
    for column in ["symbol_cat", "gene_symbols"] {
        let opts = ReadOptions {
            var_names: Some(column.into()),
            ..Default::default()
        };
        let loaded = read("csc.h5ad", &opts);
        assert_eq!(
            loaded.matrix.genes(),
            strings(&e["categorical"]["unique"]),
            "{column}"
        );
        assert_eq!(loaded.warnings.len(), 1);
        assert!(loaded.warnings[0].contains("MS4A1 -> MS4A1-1"));
    }
}

#[test]
fn cell_selection_by_obs_list_and_min_cells() {
    let e = expected();
    let by_type = ReadOptions {
        obs: Some("cell_type=T".parse::<ObsFilter>().unwrap()),
        ..Default::default()
    };
    let want = strings(&e["categorical"]["cells_T"]);
    for name in ["dense.h5ad", "csr.h5ad", "csc.h5ad"] {
        assert_eq!(read(name, &by_type).matrix.samples(), want, "{name}");
    }
    let loom = ReadOptions {
        obs: Some("ClusterName=T".parse().unwrap()),
        ..Default::default()
    };
    assert_eq!(read("cells.loom", &loom).matrix.samples(), want);

    // A list: file order, unknown names warned about.
    let mut list: Vec<String> = want.iter().rev().cloned().collect();
    list.push("NOT-A-CELL".into());
    let opts = ReadOptions {
        cells: Some(list),
        ..Default::default()
    };
    for name in ["csr.h5ad", "mtx_v3_gz", "tenx_v3.h5", "cells.loom"] {
        let loaded = read(name, &opts);
        assert_eq!(loaded.matrix.samples(), want, "{name}");
        assert!(
            loaded.warnings.iter().any(|w| w.contains("NOT-A-CELL")),
            "{name}"
        );
        // Values are those of the full read, restricted to the chosen cells.
        let full = read(name, &ReadOptions::default()).matrix;
        let g = loaded.matrix.genes()[0].clone();
        let cols: Vec<usize> = want
            .iter()
            .map(|c| full.samples().iter().position(|s| s == c).unwrap())
            .collect();
        let expect: Vec<f32> = cols
            .iter()
            .map(|&c| full.gene(full.gene_index(&g).unwrap())[c])
            .collect();
        assert_eq!(loaded.matrix.gene(0).to_vec(), expect, "{name}");
    }

    // --min-cells N keeps the genes with at least N non-zero cells, as scanpy's
    // filter_genes(min_cells=N).
    let values = e["csr.h5ad"]["values"].as_array().unwrap();
    let genes = strings(&e["csr.h5ad"]["genes"]);
    for n in [3usize, 5, 7] {
        let want: Vec<String> = genes
            .iter()
            .zip(values)
            .filter(|(_, row)| {
                row.as_array()
                    .unwrap()
                    .iter()
                    .filter(|v| v.as_f64().unwrap() != 0.0)
                    .count()
                    >= n
            })
            .map(|(g, _)| g.clone())
            .collect();
        let opts = ReadOptions {
            min_cells: n,
            ..Default::default()
        };
        for name in ["dense.h5ad", "csr.h5ad", "csc.h5ad", "cells.loom"] {
            let got = expression::read(&data(name), &opts);
            if want.len() < 2 {
                assert!(got.is_err());
                continue;
            }
            let got = got.unwrap();
            if name == "cells.loom" {
                assert_eq!(got.matrix.n_genes(), want.len(), "{name} {n}");
            } else {
                assert_eq!(got.matrix.genes(), want, "{name} {n}");
            }
        }
    }
}

#[test]
fn tenx_directories_and_h5_match_scanpy() {
    let e = expected();
    for name in ["mtx_v3_gz", "mtx_v3_plain", "mtx_v2", "tenx_v3.h5"] {
        for var_names in ["gene_symbols", "gene_ids"] {
            let opts = ReadOptions {
                var_names: Some(var_names.into()),
                ..Default::default()
            };
            let loaded = read(name, &opts);
            matches(&loaded, &e[format!("{name}:{var_names}").as_str()]);
            let renamed = loaded.warnings.iter().any(|w| w.contains("MS4A1-1"));
            assert_eq!(renamed, var_names == "gene_symbols", "{name}");
            let skipped = loaded
                .warnings
                .iter()
                .any(|w| w.contains("Gene Expression"));
            assert_eq!(skipped, name != "mtx_v2", "{name}");
        }
    }
    // The matrix file itself stands for its directory.
    let m = read("mtx_v3_gz/matrix.mtx.gz", &ReadOptions::default()).matrix;
    assert_eq!(m.genes()[4], "MS4A1-1");
}

#[test]
fn loom_matches_loompy() {
    let e = expected();
    matches(
        &read("cells.loom", &ReadOptions::default()),
        &e["cells.loom"],
    );
    let opts = ReadOptions {
        var_names: Some("Accession".into()),
        ..Default::default()
    };
    let m = read("cells.loom", &opts).matrix;
    assert_eq!(m.genes()[0], "ENSG00000");
}

#[test]
fn scanpy_pbmc68k_reduced_old_anndata_encoding() {
    let e = &expected()["pbmc68k_reduced.h5ad"];
    let loaded = read("pbmc68k_reduced.h5ad", &ReadOptions::default());
    let m = &loaded.matrix;
    assert_eq!(m.n_samples(), e["n_cells"].as_u64().unwrap() as usize);
    assert_eq!(
        m.n_genes() + loaded.dropped_constant.len(),
        e["n_genes"].as_u64().unwrap() as usize
    );
    assert_eq!(m.genes()[..5], strings(&e["first_genes"])[..]);
    assert_eq!(m.samples()[..5], strings(&e["first_cells"])[..]);
    let genes_all = |raw: bool| {
        let opts = ReadOptions {
            use_raw: raw,
            ..Default::default()
        };
        read("pbmc68k_reduced.h5ad", &opts)
    };
    for (key, raw) in [("X", false), ("raw_X", true)] {
        let l = genes_all(raw);
        if raw {
            assert_eq!(l.matrix.genes()[..5], strings(&e["raw_genes"])[..]);
            assert_eq!(
                l.matrix.n_genes() + l.dropped_constant.len(),
                e["raw_n_genes"].as_u64().unwrap() as usize
            );
        }
        // Indices in expected.json are anndata's (all genes); no gene of this
        // file is constant, so they are ours too.
        assert!(l.dropped_constant.is_empty());
        for pick in e[key].as_array().unwrap() {
            let (c, g, v) = (
                pick[0].as_u64().unwrap() as usize,
                pick[1].as_u64().unwrap() as usize,
                pick[2].as_f64().unwrap() as f32,
            );
            assert_eq!(l.matrix.gene(g)[c], v, "{key}[{c}, {g}]");
        }
    }
    // Old-style categorical obs column: codes in obs, labels in uns.
    let opts = ReadOptions {
        obs: Some("louvain=0".parse().unwrap()),
        ..Default::default()
    };
    let l = read("pbmc68k_reduced.h5ad", &opts);
    assert_eq!(
        l.matrix.n_samples(),
        e["louvain_0_count"].as_u64().unwrap() as usize
    );
    assert_eq!(l.matrix.samples()[..5], strings(&e["louvain_0"])[..]);
    let first = e["bulk_labels_first"].as_str().unwrap();
    let opts = ReadOptions {
        obs: Some(ObsFilter {
            column: "bulk_labels".into(),
            value: first.into(),
        }),
        ..Default::default()
    };
    assert_eq!(
        read("pbmc68k_reduced.h5ad", &opts).matrix.samples()[0],
        strings(&e["first_cells"])[0]
    );
}

#[test]
fn truncated_files_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "csr.h5ad",
        "dense.h5ad",
        "lzf.h5ad",
        "tenx_v3.h5",
        "cells.loom",
        "pbmc68k_reduced.h5ad",
    ] {
        let bytes = std::fs::read(data(name)).unwrap();
        for fraction in [0.02, 0.3, 0.6, 0.95] {
            let cut = dir.path().join(name);
            std::fs::write(&cut, &bytes[..(bytes.len() as f64 * fraction) as usize]).unwrap();
            let e = err(&cut, &ReadOptions::default());
            assert!(
                e.contains(&cut.display().to_string()),
                "{name} {fraction}: {e}"
            );
        }
    }
    // Matrix Market: fewer entries than the size line promises.
    let mtx = dir.path().join("mtx");
    std::fs::create_dir(&mtx).unwrap();
    for f in ["features.tsv", "barcodes.tsv", "matrix.mtx"] {
        std::fs::copy(data("mtx_v3_plain").join(f), mtx.join(f)).unwrap();
    }
    let text = std::fs::read_to_string(mtx.join("matrix.mtx")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(mtx.join("matrix.mtx"), lines[..lines.len() - 3].join("\n")).unwrap();
    let e = err(&mtx, &ReadOptions::default());
    assert!(e.contains("matrix.mtx") && e.contains("truncated"), "{e}");
}

/// Writes an HDF5 file in anndata's layout with the given `X` group contents.
fn h5ad_with(dir: &Path, name: &str, build: impl FnOnce(&mut hdf5_pure::FileBuilder)) -> PathBuf {
    let mut b = hdf5_pure::FileBuilder::new();
    build(&mut b);
    let path = dir.join(name);
    std::fs::write(&path, b.finish().unwrap()).unwrap();
    path
}

fn frame(b: &mut hdf5_pure::FileBuilder, name: &str, index: &[&str]) {
    use hdf5_pure::AttrValue;
    let mut g = b.create_group(name);
    g.set_attr("encoding-type", AttrValue::VarLenString("dataframe".into()));
    g.set_attr("_index", AttrValue::VarLenString("_index".into()));
    g.create_dataset("_index").with_vlen_strings(index);
    b.add_group(g.finish());
}

fn csr(b: &mut hdf5_pure::FileBuilder, data: &[f32], indices: &[i32], indptr: &[i64]) {
    use hdf5_pure::AttrValue;
    let mut x = b.create_group("X");
    x.set_attr(
        "encoding-type",
        AttrValue::VarLenString("csr_matrix".into()),
    );
    x.set_attr("shape", AttrValue::I64Array(vec![3, 2]));
    x.create_dataset("data").with_f32_data(data);
    x.create_dataset("indices").with_i32_data(indices);
    x.create_dataset("indptr").with_i64_data(indptr);
    b.add_group(x.finish());
}

const CELLS: [&str; 3] = ["c1", "c2", "c3"];

type Build = Box<dyn FnOnce(&mut hdf5_pure::FileBuilder)>;

#[test]
fn bad_anndata_contents_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = |b: &mut hdf5_pure::FileBuilder| {
        csr(b, &[1.0, 2.0, 3.0, 4.0], &[0, 1, 1, 0], &[0, 2, 3, 4]);
        frame(b, "obs", &CELLS);
        frame(b, "var", &["g1", "g2"]);
    };
    let ok = h5ad_with(d, "ok.h5ad", good);
    let m = expression::read(&ok, &ReadOptions::default())
        .unwrap()
        .matrix;
    assert_eq!(m.gene(0).to_vec(), vec![1.0, 0.0, 4.0]);
    assert_eq!(m.gene(1).to_vec(), vec![2.0, 3.0, 0.0]);

    let cases: Vec<(&str, Build, &str)> = vec![
        (
            "no_var",
            Box::new(|b| {
                csr(b, &[1.0, 2.0, 3.0, 4.0], &[0, 1, 1, 0], &[0, 2, 3, 4]);
                frame(b, "obs", &CELLS);
            }),
            "var: does not exist",
        ),
        (
            "nan",
            Box::new(|b| {
                csr(b, &[1.0, f32::NAN, 3.0, 4.0], &[0, 1, 1, 0], &[0, 2, 3, 4]);
                frame(b, "obs", &CELLS);
                frame(b, "var", &["g1", "g2"]);
            }),
            "X/data: element 1 is NaN",
        ),
        (
            "index_out_of_range",
            Box::new(|b| {
                csr(b, &[1.0, 2.0, 3.0, 4.0], &[0, 1, 2, 0], &[0, 2, 3, 4]);
                frame(b, "obs", &CELLS);
                frame(b, "var", &["g1", "g2"]);
            }),
            "X/indices: entry 2 is 2, outside 0..2",
        ),
        (
            "bad_indptr",
            Box::new(|b| {
                csr(b, &[1.0, 2.0, 3.0, 4.0], &[0, 1, 1, 0], &[0, 3, 2, 4]);
                frame(b, "obs", &CELLS);
                frame(b, "var", &["g1", "g2"]);
            }),
            "X/indptr: is not a valid pointer array",
        ),
        (
            "string_data",
            Box::new(|b| {
                use hdf5_pure::AttrValue;
                let mut x = b.create_group("X");
                x.set_attr(
                    "encoding-type",
                    AttrValue::VarLenString("csr_matrix".into()),
                );
                x.create_dataset("data")
                    .with_vlen_strings(&["a", "b", "c", "d"]);
                x.create_dataset("indices").with_i32_data(&[0, 1, 1, 0]);
                x.create_dataset("indptr").with_i64_data(&[0, 2, 3, 4]);
                b.add_group(x.finish());
                frame(b, "obs", &CELLS);
                frame(b, "var", &["g1", "g2"]);
            }),
            "X/data: holds",
        ),
        (
            "float_indices",
            Box::new(|b| {
                use hdf5_pure::AttrValue;
                let mut x = b.create_group("X");
                x.set_attr(
                    "encoding-type",
                    AttrValue::VarLenString("csr_matrix".into()),
                );
                x.create_dataset("data")
                    .with_f32_data(&[1.0, 2.0, 3.0, 4.0]);
                x.create_dataset("indices")
                    .with_f32_data(&[0.0, 1.0, 1.0, 0.0]);
                x.create_dataset("indptr").with_i64_data(&[0, 2, 3, 4]);
                b.add_group(x.finish());
                frame(b, "obs", &CELLS);
                frame(b, "var", &["g1", "g2"]);
            }),
            "X/indices: holds floats, expected integers",
        ),
        (
            "wrong_shape",
            Box::new(|b| {
                csr(b, &[1.0, 2.0, 3.0, 4.0], &[0, 1, 1, 0], &[0, 2, 3, 4]);
                frame(b, "obs", &CELLS);
                frame(b, "var", &["g1", "g2", "g3"]);
            }),
            "X: has shape [3, 2], expected [3, 3]",
        ),
        (
            "dense_nan",
            Box::new(|b| {
                b.create_dataset("X")
                    .with_f64_data(&[1.0, 2.0, 3.0, f64::INFINITY, 5.0, 6.0])
                    .with_shape(&[3, 2]);
                frame(b, "obs", &CELLS);
                frame(b, "var", &["g1", "g2"]);
            }),
            "X: element 3 is inf",
        ),
    ];
    for (name, build, want) in cases {
        let path = h5ad_with(d, &format!("{name}.h5ad"), build);
        let e = err(&path, &ReadOptions::default());
        assert!(e.contains(&path.display().to_string()), "{name}: {e}");
        assert!(e.contains(want), "{name}: {e}");
    }

    let opts = |f: fn(&mut ReadOptions)| {
        let mut o = ReadOptions::default();
        f(&mut o);
        o
    };
    let fixture = data("dense.h5ad");
    let e = err(&fixture, &opts(|o| o.var_names = Some("symbol".into())));
    assert!(
        e.contains("var: has no column \"symbol\"") && e.contains("gene_symbols"),
        "{e}"
    );
    let e = err(&fixture, &opts(|o| o.layer = Some("spliced".into())));
    assert!(
        e.contains("no layer \"spliced\"") && e.contains("counts"),
        "{e}"
    );
    let e = err(
        &fixture,
        &opts(|o| o.obs = Some("tissue=x".parse().unwrap())),
    );
    assert!(e.contains("obs: has no column \"tissue\""), "{e}");
    let e = err(
        &fixture,
        &opts(|o| o.obs = Some("cell_type=Z".parse().unwrap())),
    );
    assert!(
        e.contains("no cell has cell_type=\"Z\"") && e.contains("Mono"),
        "{e}"
    );
    let e = err(&fixture, &opts(|o| o.cells = Some(vec!["x".into()])));
    assert!(e.contains("none of the 1 listed cells"), "{e}");
    let e = err(&ok, &opts(|o| o.use_raw = true));
    assert!(e.contains("raw/X: does not exist"), "{e}");
    // Single-cell options on a text matrix are refused, not ignored.
    let tsv = d.join("x.tsv");
    std::fs::write(&tsv, "a\tb\n1\t2\n2\t1\n3\t5\n").unwrap();
    let e = err(&tsv, &opts(|o| o.min_cells = 2));
    assert!(e.contains("apply to single-cell inputs"), "{e}");
}

#[test]
fn bad_tenx_and_loom_inputs_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let copy = |edit: &dyn Fn(&str) -> String| {
        let d = tempfile::tempdir_in(dir.path()).unwrap().keep();
        for f in ["features.tsv", "barcodes.tsv", "matrix.mtx"] {
            std::fs::copy(data("mtx_v3_plain").join(f), d.join(f)).unwrap();
        }
        let text = std::fs::read_to_string(d.join("matrix.mtx")).unwrap();
        std::fs::write(d.join("matrix.mtx"), edit(&text)).unwrap();
        d
    };
    let last_entry = |text: &str, new: &str| {
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        *lines.last_mut().unwrap() = new.to_string();
        lines.join("\n")
    };
    let cases: Vec<(PathBuf, &str)> = vec![
        (
            copy(&|t| last_entry(t, "9 1 3")),
            "row index 9 is outside 1..=8",
        ),
        (copy(&|t| last_entry(t, "1 1 nan")), "not a finite number"),
        (
            copy(&|t| t.replacen("coordinate", "array", 1)),
            "array Matrix Market files are not supported",
        ),
        (copy(&|t| t.replacen("8 9", "7 9", 1)), "lists 8 features"),
    ];
    for (d, want) in cases {
        let e = err(&d, &ReadOptions::default());
        assert!(e.contains("matrix.mtx") && e.contains(want), "{want}: {e}");
    }
    let opts = ReadOptions {
        var_names: Some("symbol".into()),
        ..Default::default()
    };
    let e = err(&data("tenx_v3.h5"), &opts);
    assert!(e.contains("gene_symbols (the default) or gene_ids"), "{e}");
    let opts = ReadOptions {
        obs: Some("cell_type=T".parse().unwrap()),
        ..Default::default()
    };
    let e = err(&data("mtx_v2"), &opts);
    assert!(e.contains("`cells`"), "{e}");
    let opts = ReadOptions {
        var_names: Some("Symbol".into()),
        ..Default::default()
    };
    let e = err(&data("cells.loom"), &opts);
    assert!(
        e.contains("row_attrs: has no attribute \"Symbol\"") && e.contains("Accession"),
        "{e}"
    );
    let e = err(dir.path(), &ReadOptions::default());
    assert!(e.contains("without matrix.mtx"), "{e}");
}
