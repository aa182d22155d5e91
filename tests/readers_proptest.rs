//! Every reader, fed random bytes and random mutations of valid files, never panics
//! and either parses or gives an error naming the file (issue 18).

use std::path::Path;

use proptest::prelude::*;

use grn::evaluate::GoldStandard;
use grn::expression::{self, ReadOptions};
use grn::network::{self, EdgeTable, Format, GeneNetwork, ReadError};
use grn::perturb::Signature;

const EXPRESSION: &str =
    "id\tG1\tG2\tG3\nS1\t1\t2.5\t3\nS2\t4\t5\t7e-1\nS3\t7\t9\t1\nS4\t2\t1\t8\n";
const EDGES: &str = "regulator\ttarget\tscore\tsign\nG1\tG2\t0.9\t+\nG2\tG3\t0.5\t-\n";
const GOLD: &str = "G1\tG2\t1\nG2\tG3\t1\nG1\tG3\t0\n";
const SIGNATURE: &str = "gene\tweight\nG1\tup\nG3\t-0.5\n";
const TFS: &str = "# TFs\nG1\nG2\n";
const SIF: &str = "G1\tactivates\tG2\tG3\nG2\trepresses\tG3\nG4\n";
const GRAPHML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key id="score" for="edge" attr.name="score" attr.type="double"/>
  <graph edgedefault="directed">
    <node id="G1"/><node id="G2"/>
    <edge source="G1" target="G2"><data key="score">0.5</data></edge>
  </graph>
</graphml>
"#;

/// A valid file with random bytes overwritten, inserted and deleted.
fn mutated(valid: &'static str) -> impl Strategy<Value = Vec<u8>> {
    let n = valid.len();
    prop::collection::vec((0..3u8, 0..n, any::<u8>()), 0..8).prop_map(move |edits| {
        let mut bytes = valid.as_bytes().to_vec();
        for (kind, at, b) in edits {
            let at = at.min(bytes.len().saturating_sub(1));
            match kind {
                0 if !bytes.is_empty() => bytes[at] = b,
                1 => bytes.insert(at, b),
                _ if !bytes.is_empty() => {
                    bytes.remove(at);
                }
                _ => {}
            }
        }
        bytes
    })
}

/// Random bytes, or a mutated valid file, or a valid file with a random byte
/// from a small alphabet of delimiters and quotes spliced in.
fn input(valid: &'static str) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        mutated(valid),
        (
            0..valid.len(),
            prop::sample::select(vec![b'\t', b'\n', b'"', b',', b'#', b'\r', 0xff])
        )
            .prop_map(move |(at, b)| {
                let mut bytes = valid.as_bytes().to_vec();
                bytes.insert(at, b);
                bytes
            }),
    ]
}

/// Reads a network through the library's one entry point.
fn read_network(path: &Path, format: Option<Format>) -> Result<GeneNetwork, ReadError> {
    let options = network::ReadOptions {
        format,
        ..Default::default()
    };
    network::read(path, &options)
}

/// Writes `bytes` and checks that `read` either succeeds or names the file.
fn check<T, E: std::fmt::Display>(
    name: &str,
    bytes: &[u8],
    read: impl Fn(&Path) -> Result<T, E>,
) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    if let Err(e) = read(&path) {
        let message = e.to_string();
        prop_assert!(message.contains(name), "{message}");
    }
    Ok(())
}

fn genes() -> Vec<String> {
    ["G1", "G2", "G3", "G4"].map(String::from).to_vec()
}

/// 200 cases from a fixed seed, so a CI run is reproducible; set
/// `PROPTEST_RNG_SEED` (and `PROPTEST_CASES`) to explore others.
fn config() -> ProptestConfig {
    let mut config = ProptestConfig::with_cases(200);
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = proptest::test_runner::RngSeed::Fixed(0x0067_726e);
    }
    config
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn expression_reader(bytes in input(EXPRESSION), rows in any::<bool>()) {
        let options = ReadOptions { genes_in_rows: rows, ..ReadOptions::default() };
        check("expr.tsv", &bytes, |p| expression::read(p, &options))?;
    }

    #[test]
    fn edge_list_reader(bytes in input(EDGES)) {
        check("net.tsv", &bytes, EdgeTable::read_tsv)?;
    }

    #[test]
    fn graphml_reader(bytes in input(GRAPHML)) {
        check("net.graphml", &bytes, |p| read_network(p, Some(Format::GraphMl)))?;
    }

    #[test]
    fn sif_reader(bytes in input(SIF)) {
        check("net.sif", &bytes, |p| read_network(p, Some(Format::Sif)))?;
    }

    #[test]
    fn gold_standard_reader(bytes in input(GOLD)) {
        check("gold.tsv", &bytes, GoldStandard::read)?;
    }

    #[test]
    fn signature_reader(bytes in input(SIGNATURE)) {
        let names = genes();
        check("sig.tsv", &bytes, |p| Signature::read_names(p, &names))?;
    }

    #[test]
    fn tf_list_reader(bytes in input(TFS)) {
        check("tfs.txt", &bytes, expression::read_gene_list)?;
    }
}

#[test]
fn the_valid_files_parse() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let m = expression::read(&write("e.tsv", EXPRESSION), &ReadOptions::default()).unwrap();
    assert_eq!(m.matrix.n_genes(), 3);
    assert_eq!(
        EdgeTable::read_tsv(&write("n.tsv", EDGES)).unwrap().len(),
        2
    );
    let g = read_network(&write("n.graphml", GRAPHML), None).unwrap();
    assert_eq!(g.n_regulations(), 1);
    let s = read_network(&write("n.sif", SIF), None).unwrap();
    assert_eq!(s.n_regulations(), 3);
    assert_eq!(
        GoldStandard::read(&write("g.tsv", GOLD)).unwrap().n_true(),
        2
    );
    let (sig, missing) = Signature::read_names(&write("s.tsv", SIGNATURE), &genes()).unwrap();
    assert_eq!(sig.genes().len(), 2);
    assert!(missing.is_empty());
    assert_eq!(
        expression::read_gene_list(&write("t.txt", TFS)).unwrap(),
        ["G1", "G2"]
    );
}

/// Found by the signature proptest: a signature whose weights are all 0 was refused
/// without naming the file.
#[test]
fn an_all_zero_signature_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zero.tsv");
    std::fs::write(&path, "G1\t0\nG2\t0\n").unwrap();
    let e = Signature::read_names(&path, &genes())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("zero.tsv") && e.contains("non-zero weight"),
        "{e}"
    );
}
