//! GraphML (Brandes et al., "GraphML Progress Report", 2001; the XML schema at
//! graphml.graphdrawing.org). Every attribute is declared in a `<key>` with its
//! `attr.type`, so Cytoscape's and networkx's importers read numbers and booleans as
//! such. Node ids are the gene names.

use std::collections::BTreeSet;
use std::io::{self, Write};

use crate::network::GeneNetwork;
use crate::network::format::METHOD_SCORE_PREFIX;

use super::{fmt_f64, interaction};

/// Writes `s` escaped for XML text or a double-quoted attribute value. Characters
/// XML 1.0 cannot hold at all are an error rather than silently dropped.
pub(crate) fn write_escaped(w: &mut dyn Write, s: &str) -> io::Result<()> {
    let bytes = s.as_bytes();
    let mut from = 0;
    for (i, c) in s.char_indices() {
        let rep = match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '"' => "&quot;",
            '\'' => "&apos;",
            // Escaped so attribute-value normalisation keeps them.
            '\t' => "&#9;",
            '\n' => "&#10;",
            '\r' => "&#13;",
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{s:?} contains the character {c:?}, which XML cannot hold"),
                ));
            }
            _ => continue,
        };
        w.write_all(&bytes[from..i])?;
        w.write_all(rep.as_bytes())?;
        from = i + c.len_utf8();
    }
    w.write_all(&bytes[from..])
}

struct Keys {
    annotations: Vec<String>,
    methods: Vec<String>,
    has_method: bool,
}

pub(crate) fn write(net: &GeneNetwork, w: &mut dyn Write) -> io::Result<()> {
    let mut annotations = BTreeSet::new();
    for (_, g) in net.genes() {
        annotations.extend(g.annotations.keys().cloned());
    }
    let mut methods = BTreeSet::new();
    let mut has_method = false;
    for (_, _, e) in net.regulations() {
        methods.extend(e.method_scores.keys().cloned());
        has_method |= e.method.is_some();
    }
    let keys = Keys {
        annotations: annotations.into_iter().collect(),
        methods: methods.into_iter().collect(),
        has_method,
    };

    w.write_all(
        b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\" \
xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
xsi:schemaLocation=\"http://graphml.graphdrawing.org/xmlns \
http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd\">\n",
    )?;
    let key = |w: &mut dyn Write, id: &str, on: &str, name: &str, ty: &str| -> io::Result<()> {
        write!(w, "  <key id=\"{id}\" for=\"{on}\" attr.name=\"")?;
        write_escaped(w, name)?;
        writeln!(w, "\" attr.type=\"{ty}\"/>")
    };
    key(w, "n_name", "node", "name", "string")?;
    key(w, "n_tf", "node", "is_tf", "boolean")?;
    key(w, "n_in", "node", "in_degree", "int")?;
    key(w, "n_out", "node", "out_degree", "int")?;
    key(w, "n_deg", "node", "degree", "int")?;
    for (i, a) in keys.annotations.iter().enumerate() {
        key(w, &format!("n_a{i}"), "node", a, "string")?;
    }
    key(w, "e_score", "edge", "score", "double")?;
    key(w, "e_rank", "edge", "rank", "int")?;
    key(w, "e_sign", "edge", "sign", "string")?;
    key(w, "e_int", "edge", "interaction", "string")?;
    if keys.has_method {
        key(w, "e_method", "edge", "method", "string")?;
    }
    for (i, m) in keys.methods.iter().enumerate() {
        key(
            w,
            &format!("e_m{i}"),
            "edge",
            &format!("{METHOD_SCORE_PREFIX}{m}"),
            "double",
        )?;
    }
    w.write_all(b"  <graph id=\"G\" edgedefault=\"directed\">\n")?;

    let degrees = net.degrees();
    for (n, g) in net.genes() {
        let (din, dout) = degrees[n.index()];
        w.write_all(b"    <node id=\"")?;
        write_escaped(w, &g.name)?;
        w.write_all(b"\"><data key=\"n_name\">")?;
        write_escaped(w, &g.name)?;
        write!(
            w,
            "</data><data key=\"n_tf\">{}</data><data key=\"n_in\">{din}</data>\
             <data key=\"n_out\">{dout}</data><data key=\"n_deg\">{}</data>",
            g.is_tf,
            din + dout
        )?;
        for (i, a) in keys.annotations.iter().enumerate() {
            if let Some(v) = g.annotations.get(a) {
                write!(w, "<data key=\"n_a{i}\">")?;
                write_escaped(w, v)?;
                w.write_all(b"</data>")?;
            }
        }
        w.write_all(b"</node>\n")?;
    }
    for (r, t, e) in net.regulations() {
        write!(w, "    <edge id=\"e{}\" source=\"", e.rank)?;
        write_escaped(w, &net.gene(r).name)?;
        w.write_all(b"\" target=\"")?;
        write_escaped(w, &net.gene(t).name)?;
        write!(
            w,
            "\"><data key=\"e_score\">{}</data><data key=\"e_rank\">{}</data>\
             <data key=\"e_sign\">{}</data><data key=\"e_int\">{}</data>",
            fmt_f64(e.score),
            e.rank,
            e.sign.as_str(),
            interaction(e.sign)
        )?;
        if let Some(m) = &e.method {
            w.write_all(b"<data key=\"e_method\">")?;
            write_escaped(w, m)?;
            w.write_all(b"</data>")?;
        }
        for (i, m) in keys.methods.iter().enumerate() {
            if let Some(v) = e.method_scores.get(m) {
                write!(w, "<data key=\"e_m{i}\">{}</data>", fmt_f64(*v))?;
            }
        }
        w.write_all(b"</edge>\n")?;
    }
    w.write_all(b"  </graph>\n</graphml>\n")
}
