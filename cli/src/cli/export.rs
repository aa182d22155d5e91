//! `grn export`, and the network input and cut flags it shares with `grn stats`.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;

use grn::export::{self, Format};
use grn::expression;
use grn::network::{self, Cut, GeneNetwork};

use super::{Global, check_output, info, warn};

/// A network file and the cut applied to it.
#[derive(Debug, Args)]
pub struct NetworkArgs {
    /// Network: TSV edge list (`grn infer` output, or arboreto/pySCENIC `TF target
    /// importance` adjacencies), GraphML or SIF; by extension, else by content.
    #[arg(long, short = 'n', value_name = "FILE")]
    network: PathBuf,
    /// Keep the N highest-scoring edges (applied after the other cuts; ranked by
    /// |score| when some scores are negative).
    #[arg(long, value_name = "N")]
    top: Option<usize>,
    /// Keep the K highest-scoring regulators of every target.
    #[arg(long, value_name = "K")]
    per_target: Option<usize>,
    /// Keep edges scoring at least S.
    #[arg(long, value_name = "S", allow_negative_numbers = true)]
    min_score: Option<f64>,
    /// Keep only edges whose regulator is a TF (needs --tfs, unless the network is
    /// GraphML recording is_tf).
    #[arg(long)]
    tf_only: bool,
    /// Transcription factors, one gene name per line: marks genes as TFs.
    #[arg(long, value_name = "FILE")]
    tfs: Option<PathBuf>,
}

impl NetworkArgs {
    /// Reads the network, marks TFs and applies the cut.
    pub fn load(&self) -> Result<GeneNetwork> {
        let cut = Cut {
            top: self.top,
            per_target: self.per_target,
            min_score: self.min_score,
            tf_only: self.tf_only,
        };
        let tfs = match &self.tfs {
            Some(p) => Some(expression::read_gene_list(p)?),
            None => None,
        };
        let path = &self.network;
        let options = network::ReadOptions {
            format: None,
            cut,
            tfs,
        };
        let net = network::read(path, &options)?;
        let tfs = options.tfs;
        if let (Some(list), Some(p)) = (&tfs, &self.tfs)
            && !list.iter().any(|t| net.node(t).is_some())
            && net.n_genes() > 0
        {
            warn(&format!(
                "none of the {} TF names in {} is a gene of the network; check that both \
                 use the same gene identifiers",
                list.len(),
                p.display()
            ));
        }
        if net.n_regulations() == 0 {
            warn(&format!("no edge of {} passes the cut", path.display()));
        }
        Ok(net)
    }
}

/// Above this many edges `dot` layout takes long (measured: 1,000 edges, 70 s),
/// worth a note before rendering.
const SLOW_LAYOUT_EDGES: usize = 500;

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    input: NetworkArgs,
    /// Output file; the extension picks the format: .graphml, .dot/.gv, .sif,
    /// .cyjs/.json (Cytoscape.js), .tsv (`.gz` to compress).
    #[arg(long, short, value_name = "FILE")]
    output: PathBuf,
    /// Output format, overriding the extension.
    #[arg(long, short, value_name = "FORMAT")]
    format: Option<Format>,
    /// Record this method name in every edge's `method` attribute.
    #[arg(long, value_name = "NAME")]
    method: Option<String>,
    /// Also draw the DOT output into OUTPUT with this extension (svg, png, pdf).
    /// Needs the Graphviz `dot` program on PATH (https://graphviz.org/download/).
    #[arg(long, value_name = "FORMAT", value_parser = ["svg", "png", "pdf"])]
    render: Option<String>,
}

pub fn run(args: ExportArgs, global: &Global) -> Result<()> {
    check_output(&args.output, &[&args.input.network])?;
    let format = match args.format.or_else(|| Format::from_path(&args.output)) {
        Some(f) => f,
        None => bail!(
            "cannot tell the format from the name {}; use an extension (.graphml, .dot, .sif, \
             .cyjs, .tsv) or --format",
            args.output.display()
        ),
    };
    let rendered = match &args.render {
        None => None,
        Some(_) if format != Format::Dot => {
            bail!("--render draws DOT output; write a .dot file (or use --format dot)")
        }
        Some(_) if grn::files::is_gz_name(&args.output) => {
            bail!("--render needs an uncompressed .dot file (Graphviz cannot read gzip)")
        }
        Some(ext) => {
            let drawing = args.output.with_extension(ext);
            check_output(&drawing, &[&args.input.network])?;
            Some((ext.clone(), drawing))
        }
    };
    let mut net = args.input.load()?;
    if let Some(m) = &args.method {
        net.set_method(m);
    }
    export::save(&net, format, &args.output)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    info(
        global,
        &format!(
            "{} genes and {} edges written to {} ({format})",
            net.n_genes(),
            net.n_regulations(),
            args.output.display()
        ),
    );
    if let Some((ext, drawing)) = rendered {
        if net.n_regulations() > SLOW_LAYOUT_EDGES {
            info(
                global,
                &format!(
                    "laying out {} edges with Graphviz dot can take minutes (1,000 took 70 s \
                     on a 2-core machine); --top 200 or --per-target 2 keeps the drawing \
                     readable",
                    net.n_regulations()
                ),
            );
        }
        export::render_dot(&args.output, &ext, &drawing)?;
        info(global, &format!("drawn to {}", drawing.display()));
    }
    Ok(())
}
