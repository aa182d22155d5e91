//! Graphviz DOT, built and printed with `graphviz-rust`'s DOT structures. Activation
//! and repression differ in colour and arrowhead (the `normal` arrow and the flat
//! `tee` bar of biology diagrams), edge width grows linearly with the score, and TFs
//! are boxes while other genes are ellipses. Statements are printed one at a time, so
//! a million edges never sit in memory as one string.

use std::io::{self, Write};

use graphviz_rust::dot_structures::{
    Attribute, Edge, EdgeTy, Graph, GraphAttributes, Id, Node, NodeId, Stmt, Vertex,
};
use graphviz_rust::printer::{DotPrinter, PrinterContext};

use petgraph::stable_graph::NodeIndex;
use petgraph::visit::NodeIndexable;
use rayon::prelude::*;

use crate::network::{GeneNetwork, Regulation, Sign};

use super::fmt_f64;

/// How the DOT drawing looks.
#[derive(Debug, Clone, PartialEq)]
pub struct DotStyle {
    /// Colour of activating edges (ColorBrewer RdBu blue, readable by the
    /// colour-blind alongside the red).
    pub activation: String,
    /// Colour of repressing edges (ColorBrewer RdBu red).
    pub repression: String,
    /// Colour of edges of unknown sign.
    pub unknown: String,
    /// Fill of TF nodes.
    pub tf_fill: String,
    /// Fill of other genes.
    pub gene_fill: String,
    /// Pen width (points) of the lowest-scoring edge; Graphviz's default width is 1.
    pub min_width: f64,
    /// Pen width of the highest-scoring edge.
    pub max_width: f64,
}

impl Default for DotStyle {
    fn default() -> Self {
        DotStyle {
            activation: "#2166ac".into(),
            repression: "#b2182b".into(),
            unknown: "#7f7f7f".into(),
            tf_fill: "#fdd49e".into(),
            gene_fill: "#f0f0f0".into(),
            min_width: 0.5,
            max_width: 4.0,
        }
    }
}

/// A DOT double-quoted string: `"` and `\` escaped, everything else (including
/// `<`, `&` and non-ASCII letters) kept, as DOT files are UTF-8.
pub(crate) fn quote(s: &str) -> Id {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            q.push('\\');
        }
        q.push(c);
    }
    q.push('"');
    Id::Escaped(q)
}

fn attr(key: &str, value: Id) -> Attribute {
    Attribute(Id::Plain(key.to_string()), value)
}

fn plain(v: &str) -> Id {
    Id::Plain(v.to_string())
}

type Edge3<'a> = (NodeIndex, NodeIndex, &'a Regulation);

/// A printer context in digraph mode (`->`), printing each statement on one line.
fn digraph_context() -> PrinterContext {
    let mut ctx = PrinterContext::default();
    Graph::DiGraph {
        id: plain("g"),
        strict: false,
        stmts: Vec::new(),
    }
    .print(&mut ctx);
    ctx.always_inline();
    ctx
}

pub(crate) fn write(net: &GeneNetwork, style: &DotStyle, w: &mut dyn Write) -> io::Result<()> {
    let header = Graph::DiGraph {
        id: plain("grn"),
        strict: false,
        stmts: vec![
            Stmt::GAttribute(GraphAttributes::Graph(vec![attr(
                "outputorder",
                plain("edgesfirst"),
            )])),
            Stmt::GAttribute(GraphAttributes::Node(vec![
                attr("shape", plain("ellipse")),
                attr("style", plain("filled")),
                attr("fillcolor", quote(&style.gene_fill)),
                attr("fontname", plain("Helvetica")),
            ])),
            Stmt::GAttribute(GraphAttributes::Edge(vec![
                attr("color", quote(&style.unknown)),
                attr("arrowhead", plain("vee")),
            ])),
        ],
    };
    // Printing the header graph also puts the printer in digraph mode (`->`) for
    // the statements printed after it.
    let mut ctx = PrinterContext::default();
    let text = header.print(&mut ctx);
    let open = text
        .strip_suffix('}')
        .expect("graphviz-rust prints a graph ending in '}'")
        .trim_end();
    writeln!(w, "{open}")?;
    // One statement per line: inline mode prints each statement once (in multi-line
    // mode the printer formats short edges twice).
    ctx.always_inline();

    for (_, g) in net.genes() {
        let attributes = if g.is_tf {
            vec![
                attr("shape", plain("box")),
                attr("fillcolor", quote(&style.tf_fill)),
            ]
        } else {
            Vec::new()
        };
        let node = Stmt::Node(Node::new(NodeId(quote(&g.name), None), attributes));
        writeln!(w, "  {}", node.print(&mut ctx))?;
    }

    let (lo, hi) = net
        .regulations()
        .map(|(_, _, e)| e.score)
        .filter(|s| s.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), s| {
            (lo.min(s), hi.max(s))
        });
    let width = |s: f64| -> f64 {
        if !s.is_finite() || hi <= lo {
            (style.min_width + style.max_width) / 2.0
        } else {
            style.min_width + (style.max_width - style.min_width) * (s - lo) / (hi - lo)
        }
    };
    let edges: Vec<_> = net.regulations().collect();
    // Quoted once per gene and per sign, cloned per edge.
    let mut vertex = vec![None; net.graph().node_bound()];
    for (n, g) in net.genes() {
        vertex[n.index()] = Some(Vertex::N(NodeId(quote(&g.name), None)));
    }
    let sign_attributes = |sign: Sign| match sign {
        Sign::Activation => vec![
            attr("color", quote(&style.activation)),
            attr("arrowhead", plain("normal")),
        ],
        Sign::Repression => vec![
            attr("color", quote(&style.repression)),
            attr("arrowhead", plain("tee")),
        ],
        Sign::Unknown => Vec::new(),
    };
    let by_sign = [Sign::Activation, Sign::Repression, Sign::Unknown].map(sign_attributes);
    let edge_line = |ctx: &mut PrinterContext, out: &mut String, (r, t, e): &Edge3| {
        let mut attributes = Vec::with_capacity(4);
        attributes.extend_from_slice(match e.sign {
            Sign::Activation => &by_sign[0],
            Sign::Repression => &by_sign[1],
            Sign::Unknown => &by_sign[2],
        });
        attributes.push(attr("penwidth", plain(&format!("{:.2}", width(e.score)))));
        // Not a Graphviz attribute (ignored when drawing) but kept for tools that
        // read DOT, such as networkx.
        attributes.push(attr("score", quote(&fmt_f64(e.score))));
        let end = |n: &NodeIndex| vertex[n.index()].clone().expect("edge ends are genes");
        let edge = Stmt::Edge(Edge {
            ty: EdgeTy::Pair(end(r), end(t)),
            attributes,
        });
        out.push_str("  ");
        out.push_str(&edge.print(ctx));
        out.push('\n');
    };
    // The printer allocates a lot per statement: format blocks of edges in
    // parallel, then write them in order (same bytes whatever the thread count),
    // a bounded batch at a time.
    const BLOCK: usize = 4096;
    const BATCH: usize = 64 * BLOCK;
    for batch in edges.chunks(BATCH) {
        let texts: Vec<String> = batch
            .par_chunks(BLOCK)
            .map_init(digraph_context, |ctx, block| {
                let mut out = String::with_capacity(block.len() * 96);
                for e in block {
                    edge_line(ctx, &mut out, e);
                }
                out
            })
            .collect();
        for t in texts {
            w.write_all(t.as_bytes())?;
        }
    }
    w.write_all(b"}\n")
}
