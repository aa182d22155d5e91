//! `grn stats`.

use std::fmt::Write;

use anyhow::Result;
use clap::Args;

use grn::network::stats::{NetworkStats, StatsParams};

use super::export::NetworkArgs;
use super::{Global, print_report};

#[derive(Debug, Args)]
pub struct StatsArgs {
    #[command(flatten)]
    input: NetworkArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Genes listed per hub ranking.
    #[arg(long, value_name = "N", default_value_t = StatsParams::default().hubs)]
    hubs: usize,
}

pub fn run(args: StatsArgs, _global: &Global) -> Result<()> {
    let net = args.input.load()?;
    let params = StatsParams {
        hubs: args.hubs,
        ..StatsParams::default()
    };
    let s = NetworkStats::compute(&net, &params)?;
    if args.json {
        return print_report(&format!("{}\n", serde_json::to_string(&s)?));
    }
    let mut out = String::new();
    writeln!(out, "genes\t{}", s.genes)?;
    writeln!(out, "regulations\t{}", s.regulations)?;
    writeln!(out, "TFs\t{}", s.tfs)?;
    writeln!(out, "regulators\t{} (genes with targets)", s.regulators)?;
    writeln!(out, "targets\t{} (genes with regulators)", s.targets)?;
    writeln!(out, "density\t{:.6}", s.density)?;
    writeln!(
        out,
        "signs\t{} activating, {} repressing, {} unknown",
        s.activations, s.repressions, s.unsigned
    )?;
    for (name, d) in [("in-degree", &s.in_degree), ("out-degree", &s.out_degree)] {
        writeln!(
            out,
            "{name}\tmin {}, median {}, mean {:.2}, max {}",
            d.min, d.median, d.mean, d.max
        )?;
    }
    for (name, c) in [
        ("weak components", &s.weak_components),
        ("strong components", &s.strong_components),
    ] {
        writeln!(
            out,
            "{name}\t{} (largest {} genes; {} with more than one gene)",
            c.count, c.largest, c.non_trivial
        )?;
    }
    let m = &s.motifs;
    writeln!(
        out,
        "feed-forward loops\t{} ({} coherent, {} incoherent)",
        m.feed_forward_loops, m.coherent_feed_forward, m.incoherent_feed_forward
    )?;
    writeln!(
        out,
        "feedback loops\t{} self, {} of 2 genes, {} of 3 genes",
        m.self_loops, m.feedback_loops_2, m.feedback_loops_3
    )?;
    if !s.pagerank_converged {
        super::warn("PageRank did not converge within its iteration cap");
    }
    for (title, hubs) in [
        ("out-degree", &s.hubs.out_degree),
        ("PageRank (reversed edges)", &s.hubs.pagerank),
        ("betweenness", &s.hubs.betweenness),
    ] {
        writeln!(out, "\nhubs by {title}")?;
        writeln!(out, "gene\tout_degree\tin_degree\tpagerank\tbetweenness")?;
        for h in hubs {
            writeln!(
                out,
                "{}\t{}\t{}\t{:.6}\t{:.6}",
                h.name, h.out_degree, h.in_degree, h.pagerank, h.betweenness
            )?;
        }
    }
    print_report(&out)
}
