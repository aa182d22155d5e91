//! Reading GraphML (Brandes et al., "GraphML Progress Report", 2001): typed `<key>`
//! attributes, node ids as gene names, the attributes [`crate::export`] writes read
//! back (score, rank, sign, method, per-method scores, is_tf, annotations).

use std::collections::HashMap;
use std::path::Path;

use crate::files::{self, ParseError};
use crate::network::format::{DERIVED_NODE_KEYS, METHOD_SCORE_PREFIX, fmt_f64};
use crate::network::{Gene, GeneNetwork, RawEdge, Regulation, Sign};

use super::ReadError;

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

pub(crate) fn read(path: &Path) -> Result<GeneNetwork, ReadError> {
    let text = files::read_to_string(path)?;
    let doc = roxmltree::Document::parse(&text).map_err(|e| {
        let pos = e.pos();
        ReadError::from(ParseError::new(
            path,
            Some(u64::from(pos.row)),
            Some(pos.col as usize),
            format!("not well-formed XML: {e}"),
        ))
    })?;
    let invalid = |node: roxmltree::Node, message: String| {
        let pos = doc.text_pos_at(node.range().start);
        ReadError::from(ParseError::new(
            path,
            Some(u64::from(pos.row)),
            Some(pos.col as usize),
            message,
        ))
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
    let attributes = |el: roxmltree::Node, kind: &str| -> Result<Vec<(String, Value)>, ReadError> {
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
        let end = |which: &str| -> Result<String, ReadError> {
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
