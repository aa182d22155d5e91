//! `grn eval`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use grn::evaluate::{self, EvalOptions, GoldStandard};
use grn::network::EdgeTable;

use super::{Global, warn};

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Gold standard: regulator, target, 1 (edge) or 0 (listed non-edge), tab separated.
    #[arg(long, short, value_name = "FILE")]
    gold: PathBuf,
    /// Predicted network: regulator, target, score (our `grn infer` output, or any
    /// tab-separated edge list).
    #[arg(long, short, value_name = "FILE")]
    pred: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Ignore edge direction.
    #[arg(long)]
    undirected: bool,
}

pub fn run(args: EvalArgs, _global: &Global) -> Result<()> {
    let gold = GoldStandard::read(&args.gold)?;
    let pred = EdgeTable::read_tsv(&args.pred)?;
    let opts = EvalOptions {
        undirected: args.undirected,
    };
    let m = evaluate::score(&gold, &pred, &opts)
        .with_context(|| format!("cannot score {}", args.pred.display()))?;
    if m.n_predicted == 0 {
        warn(&format!(
            "no predicted pair of {} names two genes of the gold standard; check that \
             both use the same gene identifiers",
            args.pred.display()
        ));
    }
    if args.json {
        println!("{}", serde_json::to_string(&m)?);
    } else {
        println!("AUROC\t{:.6}", m.auroc);
        println!("AUPR\t{:.6}", m.aupr);
        println!("EPR\t{:.6}", m.epr);
        println!(
            "pairs\t{} ({} true, {} genes, {} predicted)",
            m.n_pairs, m.n_true, m.n_genes, m.n_predicted
        );
    }
    Ok(())
}
