//! Cytoscape.js JSON, the format Cytoscape desktop exports as `.cyjs` and imports via
//! File > Import > Network from File: `{"elements": {"nodes": [{"data": {...}}],
//! "edges": [{"data": {"source", "target", ...}}]}}`. Node ids are the gene names;
//! every attribute keeps its JSON type (numbers, booleans).

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::network::GeneNetwork;

use super::interaction;

#[derive(Serialize)]
struct NodeData<'a> {
    id: &'a str,
    name: &'a str,
    is_tf: bool,
    in_degree: usize,
    out_degree: usize,
    degree: usize,
    #[serde(flatten)]
    annotations: BTreeMap<&'a str, &'a str>,
}

/// Node fields an annotation may not overwrite.
const RESERVED: [&str; 6] = ["id", "name", "is_tf", "in_degree", "out_degree", "degree"];

#[derive(Serialize)]
struct EdgeData<'a> {
    id: String,
    source: &'a str,
    target: &'a str,
    /// JSON has no infinities: a non-finite score is written as null.
    score: Option<f64>,
    rank: usize,
    sign: &'a str,
    interaction: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    method: Option<&'a str>,
    #[serde(flatten)]
    method_scores: BTreeMap<String, Option<f64>>,
}

#[derive(Serialize)]
struct Element<T> {
    data: T,
}

fn json(e: serde_json::Error) -> io::Error {
    io::Error::other(e)
}

pub(crate) fn write(net: &GeneNetwork, w: &mut dyn Write) -> io::Result<()> {
    write!(
        w,
        "{{\"format_version\":\"1.0\",\"generated_by\":\"grn {}\",\
         \"target_cytoscapejs_version\":\"~2.1\",\"data\":{{\"name\":\"grn\"}},\
         \"elements\":{{\"nodes\":[",
        env!("CARGO_PKG_VERSION")
    )?;
    let degrees = net.degrees();
    for (i, (n, g)) in net.genes().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        w.write_all(b"\n")?;
        let (din, dout) = degrees[n.index()];
        let data = NodeData {
            id: &g.name,
            name: &g.name,
            is_tf: g.is_tf,
            in_degree: din,
            out_degree: dout,
            degree: din + dout,
            annotations: g
                .annotations
                .iter()
                .filter(|(k, _)| !RESERVED.contains(&k.as_str()))
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
        };
        serde_json::to_writer(&mut *w, &Element { data }).map_err(json)?;
    }
    w.write_all(b"\n],\"edges\":[")?;
    for (i, (r, t, e)) in net.regulations().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        w.write_all(b"\n")?;
        let finite = |x: f64| x.is_finite().then_some(x);
        let data = EdgeData {
            id: format!("e{}", e.rank),
            source: &net.gene(r).name,
            target: &net.gene(t).name,
            score: finite(e.score),
            rank: e.rank,
            sign: e.sign.as_str(),
            interaction: interaction(e.sign),
            method: e.method.as_deref(),
            method_scores: e
                .method_scores
                .iter()
                .map(|(m, &s)| (format!("score_{m}"), finite(s)))
                .collect(),
        };
        serde_json::to_writer(&mut *w, &Element { data }).map_err(json)?;
    }
    w.write_all(b"\n]}}\n")
}
