//! Library errors name parameters, never command-line flags: a Python caller has
//! no `--mean-degree`, and the CLI turns parameter names into its flags itself.

use std::sync::Arc;

use grn::expression::{self, ReadOptions as ExpressionOptions};
use grn::network::{self, Cut, EdgeTable, GeneNetwork, ReadOptions, Sign};
use grn::simulate::{self, Topology, TopologyParams};

fn no_flags(message: String) {
    assert!(!message.contains("--"), "names a flag: {message}");
}

#[test]
fn common_errors_name_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };

    let mut params = TopologyParams::new(Topology::ErdosRenyi, 1);
    no_flags(
        simulate::random_network(&params, 0)
            .unwrap_err()
            .to_string(),
    );
    params.genes = 100;
    params.mean_degree = -1.0;
    let e = simulate::random_network(&params, 0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`mean_degree`"), "{e}");
    no_flags(e);

    let genes: Arc<[String]> = ["A", "B"].map(String::from).into();
    let mut table = EdgeTable::new(genes, false);
    table.push(0, 1, 1.0, Sign::Unknown);
    let cut = Cut {
        tf_only: true,
        ..Cut::default()
    };
    no_flags(
        GeneNetwork::from_table(&table, &cut, None)
            .unwrap_err()
            .to_string(),
    );

    let matrix = write(
        "expr.tsv",
        "G1\tG2\tG3\tG4\tG5\n1\t2\t3\t4\t5\n2\t3\t4\t5\t1\n",
    );
    no_flags(
        network::read(&matrix, &ReadOptions::default())
            .unwrap_err()
            .to_string(),
    );
    let rows = ExpressionOptions {
        genes_in_rows: true,
        ..ExpressionOptions::default()
    };
    no_flags(expression::read(&matrix, &rows).unwrap_err().to_string());

    let bad = write("net.tsv", "A\tB\n");
    let e = network::read(&bad, &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("net.tsv:1"), "{e}");
    no_flags(e);
}
