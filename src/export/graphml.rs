//! GraphML (Brandes et al., "GraphML Progress Report", 2001; the XML schema at
//! graphml.graphdrawing.org). Every attribute is declared in a `<key>` with its
//! `attr.type`, so Cytoscape's and networkx's importers read numbers and booleans as
//! such. Node ids are the gene names.

use std::collections::{BTreeSet, HashMap};
use std::io::{self, Write};
use std::path::Path;

use crate::files;
use crate::network::{Gene, GeneNetwork, RawEdge, Regulation, Sign};

use super::{ExportError, fmt_f64, interaction};

/// Prefix of the per-method score attributes (`score_genie3`, ...).
const METHOD_SCORE_PREFIX: &str = "score_";

/// Node attributes derived from the graph: written for the importing tool, not read
/// back.
const DERIVED_NODE_KEYS: [&str; 3] = ["in_degree", "out_degree", "degree"];

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

/// A declared attribute.
struct Key {
    name: String,
    ty: String,
    default: Option<String>,
    on: String,
}

/// A typed attribute value.
enum Value {
    Bool(bool),
    Number(f64),
    Text(String),
}

fn is(node: &roxmltree::Node, name: &str) -> bool {
    node.is_element() && node.tag_name().name() == name
}

pub(crate) fn read(path: &Path) -> Result<GeneNetwork, ExportError> {
    let text = files::read_to_string(path)?;
    let doc = roxmltree::Document::parse(&text).map_err(|e| {
        let pos = e.pos();
        ExportError::Invalid {
            path: path.to_path_buf(),
            line: pos.row as usize,
            column: pos.col as usize,
            message: format!("not well-formed XML: {e}"),
        }
    })?;
    let invalid = |node: roxmltree::Node, message: String| {
        let pos = doc.text_pos_at(node.range().start);
        ExportError::Invalid {
            path: path.to_path_buf(),
            line: pos.row as usize,
            column: pos.col as usize,
            message,
        }
    };
    let root = doc.root_element();
    if root.tag_name().name() != "graphml" {
        return Err(invalid(
            root,
            format!(
                "expected a <graphml> document, found <{}>",
                root.tag_name().name()
            ),
        ));
    }
    let mut keys: HashMap<String, Key> = HashMap::new();
    for k in root.children().filter(|c| is(c, "key")) {
        let id = k
            .attribute("id")
            .ok_or_else(|| invalid(k, "<key> without an id".into()))?;
        let default = k
            .children()
            .find(|c| is(c, "default"))
            .map(|d| d.text().unwrap_or("").to_string());
        keys.insert(
            id.to_string(),
            Key {
                name: k.attribute("attr.name").unwrap_or(id).to_string(),
                ty: k.attribute("attr.type").unwrap_or("string").to_string(),
                default,
                on: k.attribute("for").unwrap_or("all").to_string(),
            },
        );
    }
    let graph = root
        .children()
        .find(|c| is(c, "graph"))
        .ok_or_else(|| invalid(root, "no <graph> element".into()))?;
    if graph.attribute("edgedefault") == Some("undirected") {
        return Err(invalid(
            graph,
            "the graph is undirected (edgedefault=\"undirected\"); a regulatory network \
             needs directed edges from regulator (source) to target"
                .into(),
        ));
    }

    // Attribute values of an element: declared defaults for its kind, then its data.
    let attributes = |el: roxmltree::Node,
                      kind: &str|
     -> Result<Vec<(String, Value)>, ExportError> {
        let mut values: Vec<(String, String, roxmltree::Node)> = Vec::new();
        for (id, k) in &keys {
            if let Some(d) = &k.default
                && (k.on == kind || k.on == "all")
            {
                values.push((id.clone(), d.clone(), el));
            }
        }
        values.sort_by(|a, b| a.0.cmp(&b.0));
        for d in el.children().filter(|c| is(c, "data")) {
            let id = d
                .attribute("key")
                .ok_or_else(|| invalid(d, "<data> without a key".into()))?;
            if !keys.contains_key(id) {
                return Err(invalid(
                    d,
                    format!("<data key=\"{id}\"> refers to no declared <key>"),
                ));
            }
            values.retain(|v| v.0 != id);
            values.push((id.to_string(), d.text().unwrap_or("").to_string(), d));
        }
        values
            .into_iter()
            .map(|(id, text, at)| {
                let k = &keys[&id];
                let v = match k.ty.as_str() {
                    "boolean" => match text.trim().to_ascii_lowercase().as_str() {
                        "true" | "1" => Value::Bool(true),
                        "false" | "0" => Value::Bool(false),
                        _ => {
                            return Err(invalid(
                                at,
                                format!("expected true or false for {:?}, found {text:?}", k.name),
                            ));
                        }
                    },
                    "int" | "long" | "float" | "double" => {
                        Value::Number(text.trim().parse::<f64>().map_err(|_| {
                            invalid(
                                at,
                                format!("expected a number for {:?}, found {text:?}", k.name),
                            )
                        })?)
                    }
                    _ => Value::Text(text),
                };
                Ok((k.name.clone(), v))
            })
            .collect()
    };

    let mut genes = Vec::new();
    let mut id_to_name: HashMap<&str, String> = HashMap::new();
    for n in graph.children().filter(|c| is(c, "node")) {
        let id = n
            .attribute("id")
            .ok_or_else(|| invalid(n, "<node> without an id".into()))?;
        let mut gene = Gene {
            name: id.to_string(),
            ..Gene::default()
        };
        for (name, v) in attributes(n, "node")? {
            match (name.as_str(), v) {
                ("name", Value::Text(t)) if !t.is_empty() => gene.name = t,
                ("is_tf", Value::Bool(b)) => gene.is_tf = b,
                ("is_tf", _) => {
                    return Err(invalid(
                        n,
                        "is_tf must be declared attr.type=\"boolean\"".into(),
                    ));
                }
                (k, _) if DERIVED_NODE_KEYS.contains(&k) || k == "name" => {}
                (k, v) => {
                    let text = match v {
                        Value::Bool(b) => b.to_string(),
                        Value::Number(x) => fmt_f64(x),
                        Value::Text(t) => t,
                    };
                    gene.annotations.insert(k.to_string(), text);
                }
            }
        }
        if id_to_name.insert(id, gene.name.clone()).is_some() {
            return Err(invalid(n, format!("node id {id:?} is used twice")));
        }
        genes.push(gene);
    }

    let mut edges = Vec::new();
    let mut all_ranked = true;
    for e in graph.children().filter(|c| is(c, "edge")) {
        let end = |which: &str| -> Result<String, ExportError> {
            let id = e
                .attribute(which)
                .ok_or_else(|| invalid(e, format!("<edge> without a {which}")))?;
            id_to_name
                .get(id)
                .cloned()
                .ok_or_else(|| invalid(e, format!("edge {which} {id:?} is not a declared node")))
        };
        let (regulator, target) = (end("source")?, end("target")?);
        let mut reg = Regulation::new(f64::NAN, Sign::Unknown);
        let (mut weight, mut sign_text, mut interaction_text, mut rank) = (None, None, None, None);
        for (name, v) in attributes(e, "edge")? {
            match (name.as_str(), v) {
                ("score", Value::Number(x)) => reg.score = x,
                ("weight", Value::Number(x)) => weight = Some(x),
                ("rank", Value::Number(x)) => rank = Some(x),
                ("sign", Value::Number(x)) => sign_text = Some(Sign::of(x).as_str().to_string()),
                ("sign", Value::Text(t)) => sign_text = Some(t),
                ("interaction", Value::Text(t)) => interaction_text = Some(t),
                ("method", Value::Text(t)) => reg.method = Some(t),
                (k, Value::Number(x)) if k.starts_with(METHOD_SCORE_PREFIX) => {
                    reg.method_scores
                        .insert(k[METHOD_SCORE_PREFIX.len()..].to_string(), x);
                }
                ("score" | "rank", _) => {
                    return Err(invalid(
                        e,
                        format!("{name} must be declared with a numeric attr.type"),
                    ));
                }
                _ => {}
            }
        }
        if reg.score.is_nan() {
            // No score: a weight if there is one, else every edge counts the same.
            reg.score = weight.unwrap_or(1.0);
        }
        if let Some(t) = sign_text {
            reg.sign = Sign::parse(&t).ok_or_else(|| {
                invalid(
                    e,
                    format!("expected a sign (+, - or 0) for \"sign\", found {t:?}"),
                )
            })?;
        } else if let Some(t) = interaction_text {
            reg.sign = Sign::parse(&t).unwrap_or(Sign::Unknown);
        }
        match rank {
            Some(r) if r >= 1.0 && r.fract() == 0.0 => reg.rank = r as usize,
            Some(r) => {
                return Err(invalid(
                    e,
                    format!("rank must be a positive integer, found {r}"),
                ));
            }
            None => all_ranked = false,
        }
        edges.push(RawEdge {
            regulator,
            target,
            regulation: reg,
        });
    }
    Ok(GeneNetwork::assemble(genes, edges, all_ranked))
}
