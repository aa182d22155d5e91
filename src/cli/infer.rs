//! `grn infer`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;

use grn::infer::{self, InferParams, Method};

use super::{Bar, ExpressionArgs, Global, check_output, info};

#[derive(Debug, Args)]
pub struct InferArgs {
    #[command(flatten)]
    input: ExpressionArgs,
    /// Inference method.
    #[arg(long, short, default_value = "genie3")]
    method: Method,
    /// Trees per target for forest methods (default 1000, as GENIE3).
    #[arg(long, value_name = "N")]
    trees: Option<usize>,
    /// Random seed; the same seed gives byte-identical output.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Keep only the N highest-scoring edges.
    #[arg(long, value_name = "N")]
    top: Option<usize>,
    /// Output edge list (TSV: regulator, target, score; `.gz` to compress).
    #[arg(long, short, value_name = "FILE")]
    output: PathBuf,
}

pub fn run(args: InferArgs, global: &Global) -> Result<()> {
    check_output(&args.output, &[&args.input.expr])?;
    let started = Instant::now();
    let (matrix, regulators) = args.input.load()?;
    let params = InferParams {
        method: args.method,
        trees: args.trees,
        seed: args.seed,
        top: args.top,
    };
    let bar = Bar::new(global);
    let edges = infer::infer(&matrix, &regulators, &params, &bar)?;
    bar.finish();
    edges
        .save_tsv(&args.output)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    info(
        global,
        &format!(
            "{}: {} edges over {} genes x {} samples written to {} in {:.1} s",
            args.method,
            edges.len(),
            matrix.n_genes(),
            matrix.n_samples(),
            args.output.display(),
            started.elapsed().as_secs_f64()
        ),
    );
    Ok(())
}
