//! `grn stats`.

use anyhow::Result;
use clap::Args;

use grn::network::stats::{Hub, NetworkStats, StatsParams};

use super::Global;
use super::export::NetworkArgs;

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
        println!("{}", serde_json::to_string(&s)?);
        return Ok(());
    }
    println!("genes\t{}", s.genes);
    println!("regulations\t{}", s.regulations);
    println!("TFs\t{}", s.tfs);
    println!("regulators\t{} (genes with targets)", s.regulators);
    println!("targets\t{} (genes with regulators)", s.targets);
    println!("density\t{:.6}", s.density);
    println!(
        "signs\t{} activating, {} repressing, {} unknown",
        s.activations, s.repressions, s.unsigned
    );
    for (name, d) in [("in-degree", &s.in_degree), ("out-degree", &s.out_degree)] {
        println!(
            "{name}\tmin {}, median {}, mean {:.2}, max {}",
            d.min, d.median, d.mean, d.max
        );
    }
    for (name, c) in [
        ("weak components", &s.weak_components),
        ("strong components", &s.strong_components),
    ] {
        println!(
            "{name}\t{} (largest {} genes; {} with more than one gene)",
            c.count, c.largest, c.non_trivial
        );
    }
    let m = &s.motifs;
    println!(
        "feed-forward loops\t{} ({} coherent, {} incoherent)",
        m.feed_forward_loops, m.coherent_feed_forward, m.incoherent_feed_forward
    );
    println!(
        "feedback loops\t{} self, {} of 2 genes, {} of 3 genes",
        m.self_loops, m.feedback_loops_2, m.feedback_loops_3
    );
    if !s.pagerank_converged {
        super::warn("PageRank did not converge within its iteration cap");
    }
    let table = |title: &str, hubs: &[Hub]| {
        println!("\nhubs by {title}");
        println!("gene\tout_degree\tin_degree\tpagerank\tbetweenness");
        for h in hubs {
            println!(
                "{}\t{}\t{}\t{:.6}\t{:.6}",
                h.name, h.out_degree, h.in_degree, h.pagerank, h.betweenness
            );
        }
    };
    table("out-degree", &s.hubs.out_degree);
    table("PageRank (reversed edges)", &s.hubs.pagerank);
    table("betweenness", &s.hubs.betweenness);
    Ok(())
}
