//! Round trips and validity of the network file formats.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use graphviz_rust::dot_structures::{EdgeTy, Graph, Id, Stmt, Vertex};
use grn::export::{self, Format};
use grn::network::{self, Cut, EdgeTable, GeneNetwork, ReadOptions, Sign};

/// Names every writer must escape correctly.
const NAMES: [&str; 8] = [
    "TP53",
    "gene with spaces",
    "say \"hi\"",
    "a<b>&c",
    "Ωmega-gène",
    "it's",
    "back\\slash",
    "漢字",
];

fn table() -> EdgeTable {
    let genes: Arc<[String]> = NAMES.map(String::from).into();
    let mut t = EdgeTable::new(genes, true);
    let signs = [Sign::Activation, Sign::Repression, Sign::Unknown];
    let mut k = 0;
    for r in 0..4 {
        for g in 0..NAMES.len() {
            if r != g {
                // Distinct scores, some with long binary expansions.
                let score = 1.0 / (k as f64 + 3.0) + 1e-9 * k as f64;
                t.push(r, g, score, signs[k % 3]);
                k += 1;
            }
        }
    }
    t.push(5, 5, 0.0, Sign::Activation); // self-loop
    t
}

fn network() -> GeneNetwork {
    let tfs: Vec<String> = NAMES[..4].iter().map(|s| s.to_string()).collect();
    let mut net = GeneNetwork::from_table(&table(), &Cut::default(), Some(&tfs)).unwrap();
    let n = net.node("a<b>&c").unwrap();
    net.annotate(n, "description", "kinase & <friend> \"quoted\"");
    net.annotate(n, "chromosome", "17");
    net
}

type Node = (String, bool, BTreeMap<String, String>);
type Link = (
    String,
    String,
    f64,
    usize,
    Sign,
    Option<String>,
    Vec<(String, f64)>,
);

fn nodes(net: &GeneNetwork) -> Vec<Node> {
    net.genes()
        .map(|(_, g)| (g.name.clone(), g.is_tf, g.annotations.clone()))
        .collect()
}

fn links(net: &GeneNetwork) -> Vec<Link> {
    net.regulations()
        .map(|(r, t, e)| {
            (
                net.gene(r).name.clone(),
                net.gene(t).name.clone(),
                e.score,
                e.rank,
                e.sign,
                e.method.clone(),
                e.method_scores
                    .iter()
                    .map(|(k, v)| (k.clone(), *v))
                    .collect(),
            )
        })
        .collect()
}

fn write(net: &GeneNetwork, format: Format) -> String {
    let mut out = Vec::new();
    export::write(net, format, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn graphml_round_trip_keeps_every_attribute() {
    let net = network();
    assert_eq!(net.n_regulations(), 4 * 7 + 1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("net.graphml.gz");
    export::save(&net, Format::GraphMl, &path).unwrap();
    let back = network::read(&path, &ReadOptions::default()).unwrap();
    assert_eq!(nodes(&back), nodes(&net));
    assert_eq!(links(&back), links(&net));
    assert!(back.is_signed());

    // Method and per-method scores survive too.
    let mut net = net;
    net.set_method("consensus");
    let mut with_scores = GeneNetwork::new();
    for (r, t, e) in net.regulations() {
        let mut e = e.clone();
        e.method_scores.insert("genie3".into(), e.score * 2.0);
        e.method_scores.insert("clr".into(), -e.score);
        with_scores.add_regulation(&net.gene(r).name, &net.gene(t).name, e);
    }
    let path = dir.path().join("methods.graphml");
    export::save(&with_scores, Format::GraphMl, &path).unwrap();
    let back = network::read(&path, &ReadOptions::default()).unwrap();
    assert_eq!(links(&back), links(&with_scores));
    assert_eq!(links(&back)[0].5.as_deref(), Some("consensus"));
}

#[test]
fn graphml_is_well_formed_and_every_data_key_is_declared_with_a_type() {
    let net = network();
    let text = write(&net, Format::GraphMl);
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "graphml");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://graphml.graphdrawing.org/xmlns")
    );
    let valid_types = ["boolean", "int", "long", "float", "double", "string"];
    let mut keys: HashMap<String, (String, String, String)> = HashMap::new();
    for k in root.children().filter(|c| c.has_tag_name("key")) {
        let ty = k.attribute("attr.type").expect("typed key");
        assert!(valid_types.contains(&ty), "{ty}");
        keys.insert(
            k.attribute("id").unwrap().into(),
            (
                k.attribute("for").unwrap().into(),
                k.attribute("attr.name").unwrap().into(),
                ty.into(),
            ),
        );
    }
    let mut seen_types = HashMap::new();
    let mut node_names = Vec::new();
    for el in doc.descendants().filter(|n| n.is_element()) {
        let kind = el.tag_name().name();
        if kind == "node" {
            node_names.push(el.attribute("id").unwrap().to_string());
        }
        if kind != "node" && kind != "edge" {
            continue;
        }
        for d in el.children().filter(|c| c.has_tag_name("data")) {
            let (on, name, ty) = keys
                .get(d.attribute("key").unwrap())
                .expect("data key declared");
            assert_eq!(on, kind);
            let text = d.text().unwrap_or("");
            match ty.as_str() {
                "boolean" => assert!(text == "true" || text == "false", "{text}"),
                "int" => {
                    text.parse::<i32>().unwrap();
                }
                "double" => {
                    text.parse::<f64>().unwrap();
                }
                _ => {}
            }
            seen_types.insert(name.clone(), ty.clone());
        }
    }
    // The attributes, with the types the importers need.
    for (name, ty) in [
        ("score", "double"),
        ("rank", "int"),
        ("sign", "string"),
        ("is_tf", "boolean"),
        ("degree", "int"),
    ] {
        assert_eq!(seen_types.get(name).map(String::as_str), Some(ty), "{name}");
    }
    // The XML parser unescapes node ids back to the exact names.
    let expected: HashSet<String> = NAMES.iter().map(|s| s.to_string()).collect();
    assert_eq!(node_names.into_iter().collect::<HashSet<_>>(), expected);
}

#[test]
fn sif_and_tsv_round_trip_topology_signs_and_order() {
    let net = network();
    let dir = tempfile::tempdir().unwrap();
    for format in [Format::Sif, Format::Tsv] {
        let path = dir.path().join(format!("net.{format}"));
        export::save(&net, format, &path).unwrap();
        let back = network::read(&path, &ReadOptions::default()).unwrap();
        let names =
            |n: &GeneNetwork| -> Vec<String> { n.genes().map(|(_, g)| g.name.clone()).collect() };
        assert_eq!(names(&back), names(&net), "{format}");
        let strip = |l: Vec<Link>, keep_score: bool| -> Vec<(String, String, f64, usize, Sign)> {
            l.into_iter()
                .map(|(a, b, s, r, g, _, _)| (a, b, if keep_score { s } else { 0.0 }, r, g))
                .collect()
        };
        // SIF has no scores; TSV keeps them exactly.
        let keep = format == Format::Tsv;
        assert_eq!(
            strip(links(&back), keep),
            strip(links(&net), keep),
            "{format}"
        );
        // Neither format records TFs: regulators are marked as TFs.
        for (n, g) in back.genes() {
            assert_eq!(g.is_tf, back.out_degree(n) > 0, "{format} {}", g.name);
        }
    }
}

#[test]
fn sif_reader_accepts_cytoscape_variants() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.sif");
    std::fs::write(&path, "A pp B C\nB\t-\tgene D\nlonely\ngene E\t\n").unwrap();
    let net = network::read(&path, &ReadOptions::default()).unwrap();
    assert_eq!(net.n_genes(), 6);
    assert!(net.node("gene E").is_some());
    let l = links(&net);
    assert_eq!(l.len(), 3);
    assert_eq!((l[1].1.as_str(), l[1].4), ("C", Sign::Unknown));
    assert_eq!((l[2].1.as_str(), l[2].4), ("gene D", Sign::Repression));
    // Written back, the isolated gene with a space stays one gene.
    let out = dir.path().join("out.sif");
    export::save(&net, Format::Sif, &out).unwrap();
    let again = network::read(&out, &ReadOptions::default()).unwrap();
    assert_eq!(nodes(&again), nodes(&net));
    assert_eq!(links(&again), links(&net));
    std::fs::write(&path, "A\tactivates\n").unwrap();
    let e = network::read(&path, &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("in.sif:1:"), "{e}");
}

fn unquote(id: &Id) -> String {
    match id {
        Id::Escaped(q) => {
            let inner = &q[1..q.len() - 1];
            let mut s = String::new();
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    s.push(chars.next().unwrap());
                } else {
                    s.push(c);
                }
            }
            s
        }
        Id::Plain(p) => p.clone(),
        other => panic!("unexpected id {other:?}"),
    }
}

#[test]
fn dot_parses_with_graphviz_rust_and_keeps_names_signs_and_widths() {
    let net = network();
    let text = write(&net, Format::Dot);
    let graph = graphviz_rust::parse(&text).expect("valid DOT");
    let Graph::DiGraph { stmts, .. } = graph else {
        panic!("expected a digraph")
    };
    let mut node_shapes: HashMap<String, Option<String>> = HashMap::new();
    let mut edges = Vec::new();
    for s in &stmts {
        match s {
            Stmt::Node(n) => {
                let shape = n
                    .attributes
                    .iter()
                    .find(|a| unquote(&a.0) == "shape")
                    .map(|a| unquote(&a.1));
                node_shapes.insert(unquote(&n.id.0), shape);
            }
            Stmt::Edge(e) => {
                let EdgeTy::Pair(Vertex::N(a), Vertex::N(b)) = &e.ty else {
                    panic!("pair edges only")
                };
                let attr: HashMap<String, String> = e
                    .attributes
                    .iter()
                    .map(|x| (unquote(&x.0), unquote(&x.1)))
                    .collect();
                edges.push((unquote(&a.0), unquote(&b.0), attr));
            }
            _ => {}
        }
    }
    assert_eq!(node_shapes.len(), NAMES.len());
    for (_, g) in net.genes() {
        let shape = node_shapes.get(&g.name).expect("node survives");
        assert_eq!(shape.as_deref() == Some("box"), g.is_tf, "{}", g.name);
    }
    let expected = links(&net);
    assert_eq!(edges.len(), expected.len());
    let mut last_width = f64::INFINITY;
    for ((a, b, attr), l) in edges.iter().zip(&expected) {
        assert_eq!((a, b), (&l.0, &l.1));
        assert_eq!(attr["score"].parse::<f64>().unwrap(), l.2);
        let arrow = attr.get("arrowhead").map(String::as_str);
        match l.4 {
            Sign::Activation => assert_eq!(arrow, Some("normal")),
            Sign::Repression => assert_eq!(arrow, Some("tee")),
            Sign::Unknown => assert_eq!(arrow, None),
        }
        // Edges come in rank order, so widths never grow.
        let w: f64 = attr["penwidth"].parse().unwrap();
        assert!(w <= last_width && (0.5..=4.0).contains(&w));
        last_width = w;
    }
    assert_eq!(edges[0].2["penwidth"], "4.00");
}

#[test]
fn cytoscape_js_keeps_names_and_json_types() {
    let net = network();
    let v: serde_json::Value = serde_json::from_str(&write(&net, Format::Cyjs)).unwrap();
    let nodes = v["elements"]["nodes"].as_array().unwrap();
    let edges = v["elements"]["edges"].as_array().unwrap();
    assert_eq!(nodes.len(), net.n_genes());
    assert_eq!(edges.len(), net.n_regulations());
    let names: HashSet<&str> = nodes
        .iter()
        .map(|n| n["data"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, NAMES.into_iter().collect());
    let special = nodes.iter().find(|n| n["data"]["id"] == "a<b>&c").unwrap();
    assert_eq!(special["data"]["is_tf"], true);
    assert_eq!(special["data"]["chromosome"], "17");
    let first = &edges[0]["data"];
    let l = &links(&net)[0];
    assert_eq!(first["score"].as_f64().unwrap(), l.2);
    assert_eq!(first["rank"], 1);
    assert_eq!(first["source"].as_str().unwrap(), l.0);
    // Every edge end is a node id.
    let ids: HashSet<&str> = nodes
        .iter()
        .map(|n| n["data"]["id"].as_str().unwrap())
        .collect();
    for e in edges {
        assert!(ids.contains(e["data"]["source"].as_str().unwrap()));
        assert!(ids.contains(e["data"]["target"].as_str().unwrap()));
    }
}

#[test]
fn line_formats_refuse_names_they_cannot_hold() {
    let mut net = GeneNetwork::new();
    net.add_regulation(
        "tab\there",
        "B",
        grn::network::Regulation::new(1.0, Sign::Unknown),
    );
    for format in [Format::Sif, Format::Tsv] {
        let mut out = Vec::new();
        let e = export::write(&net, format, &mut out)
            .unwrap_err()
            .to_string();
        assert!(e.contains("tab") && e.contains("GraphML"), "{e}");
    }
    // GraphML holds it (escaped as a character reference) and reads it back.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.graphml");
    export::save(&net, Format::GraphMl, &path).unwrap();
    let back = network::read(&path, &ReadOptions::default()).unwrap();
    assert!(back.node("tab\there").is_some());
}

#[test]
fn graphml_reader_reports_where_the_file_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.graphml");
    let head = "<?xml version=\"1.0\"?>\n<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\n\
                <key id=\"w\" for=\"edge\" attr.name=\"score\" attr.type=\"double\"/>\n\
                <graph edgedefault=\"directed\">\n<node id=\"a\"/><node id=\"b\"/>\n";
    let cases = [
        (
            "<edge source=\"a\" target=\"b\"><data key=\"x\">1</data></edge>\n",
            "line 6",
            "no declared <key>",
        ),
        (
            "<edge source=\"a\" target=\"b\"><data key=\"w\">high</data></edge>\n",
            "line 6",
            "expected a number",
        ),
        (
            "<edge source=\"a\" target=\"zz\"/>\n",
            "line 6",
            "not a declared node",
        ),
        ("<edge source=\"a\" target=\"b\">\n", "", "not well-formed"),
    ];
    for (body, line, what) in cases {
        std::fs::write(&path, format!("{head}{body}</graph></graphml>\n")).unwrap();
        let e = network::read(&path, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains(what), "{e}");
        if !line.is_empty() {
            assert!(e.contains("bad.graphml:6:"), "{e}");
        }
    }
    // A networkx-style file: no score key, a weight instead, undeclared ranks.
    std::fs::write(
        &path,
        "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\
         <key id=\"d0\" for=\"edge\" attr.name=\"weight\" attr.type=\"double\"/>\
         <graph edgedefault=\"directed\"><node id=\"a\"/><node id=\"b\"/><node id=\"c\"/>\
         <edge source=\"a\" target=\"b\"><data key=\"d0\">0.5</data></edge>\
         <edge source=\"b\" target=\"c\"><data key=\"d0\">2</data></edge></graph></graphml>",
    )
    .unwrap();
    let net = network::read(&path, &ReadOptions::default()).unwrap();
    let l = links(&net);
    assert_eq!((l[0].0.as_str(), l[0].2, l[0].3), ("b", 2.0, 1));
    assert_eq!((l[1].0.as_str(), l[1].2, l[1].3), ("a", 0.5, 2));
}
