//! `--prior` on infer, perturb and screen, and `grn prior` (a prior from ATAC).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;

use grn::expression::{self, ExpressionMatrix};
use grn::prior::atac::{self, AtacParams, PeakTable};
use grn::prior::{self, PriorGuide, PriorParams};

use super::{Global, check_output, first_few, info, warn};

/// Prior knowledge flags.
#[derive(Debug, Args, Clone)]
pub struct PriorArgs {
    /// Prior edges weighting regulators: `regulator target [weight]` TSV (header
    /// optional, weights in [0, 1]; a list without weights gives every edge 1), a
    /// CellOracle base GRN (peak_id, gene_short_name, one 0/1 column per TF) or a
    /// DoRothEA/CollecTRI table (source, target, weight or mor). See `grn prior` to
    /// build one from ATAC data.
    #[arg(long, value_name = "FILE")]
    prior: Option<PathBuf>,
    /// How much the prior counts: 0 ignores it, 1 keeps only edges with evidence;
    /// in between an edge without evidence keeps the weight 1 - S (iRafNet-style
    /// sampling of split candidates; edge scores are multiplied by the same factor
    /// elsewhere).
    #[arg(long, value_name = "S", default_value_t = PriorParams::DEFAULT_STRENGTH)]
    prior_strength: f64,
}

impl PriorArgs {
    /// The prior file, when given (an input, for output checks).
    pub fn path(&self) -> Option<&Path> {
        self.prior.as_deref()
    }

    /// Reads and resolves the prior on the matrix's genes, warning about names the
    /// matrix lacks.
    pub fn load(&self, matrix: &ExpressionMatrix, global: &Global) -> Result<Option<PriorGuide>> {
        let params = PriorParams {
            strength: self.prior_strength,
        }
        .check()?;
        let Some(path) = &self.prior else {
            return Ok(None);
        };
        let read = prior::read(path)?;
        let (resolved, report) = read
            .resolve(matrix.genes())
            .with_context(|| format!("cannot use the prior {}", path.display()))?;
        let unknown: Vec<String> = report
            .unknown_regulators
            .iter()
            .chain(&report.unknown_targets)
            .cloned()
            .collect();
        if report.unknown_edges > 0 {
            warn(&format!(
                "{} of {} edges of the prior {} name genes the matrix lacks and are \
                 ignored: {} regulator and {} target name(s) ({})",
                report.unknown_edges,
                read.edges().len(),
                path.display(),
                report.unknown_regulators.len(),
                report.unknown_targets.len(),
                first_few(&unknown)
            ));
        }
        info(
            global,
            &format!(
                "prior ({}): {} edges on genes of the matrix, strength {}",
                read.format.name(),
                report.edges,
                params.strength()
            ),
        );
        Ok(Some(params.guide(resolved)))
    }
}

/// `grn prior`.
#[derive(Debug, Args)]
pub struct PriorCommandArgs {
    /// Accessibility matrix: cells x peaks (any matrix `infer` reads: TSV/CSV,
    /// .h5ad, 10x, loom), peak ids as its gene names.
    #[arg(long, value_name = "FILE")]
    atac: PathBuf,
    /// The text matrix is peaks x cells (rows are peaks).
    #[arg(long)]
    peaks_in_rows: bool,
    /// Peak-gene links: header `peak_id, gene[, score]` (promoter peaks and Cicero
    /// co-accessible peaks, scores in [0, 1]).
    #[arg(long, value_name = "FILE")]
    peak_gene: PathBuf,
    /// TF motif hits: header `peak_id, tf[, score]` (scores in [0, 1]).
    #[arg(long, value_name = "FILE")]
    motifs: PathBuf,
    /// Cells a peak must be open in (non-zero) to count.
    #[arg(long, value_name = "N", default_value_t = AtacParams::default().min_cells)]
    min_cells: usize,
    /// Smallest peak-gene link score kept (CellOracle's co-accessibility cut-off).
    #[arg(long, value_name = "X", default_value_t = AtacParams::CELLORACLE_MIN_LINK)]
    min_link: f64,
    /// Output prior (TSV: regulator, target, score; `.gz` to compress).
    #[arg(long, short, value_name = "FILE")]
    output: PathBuf,
}

pub fn run(args: PriorCommandArgs, global: &Global) -> Result<()> {
    check_output(&args.output, &[&args.atac, &args.peak_gene, &args.motifs])?;
    let options = expression::ReadOptions {
        genes_in_rows: args.peaks_in_rows,
        ..Default::default()
    };
    let matrix = expression::read(&args.atac, &options)?.matrix;
    let links = PeakTable::read(&args.peak_gene, "gene")?;
    let motifs = PeakTable::read(&args.motifs, "TF")?;
    let params = AtacParams {
        min_cells: args.min_cells,
        min_link: args.min_link,
    };
    let (built, report) = atac::base_grn(&matrix, &links, &motifs, &params)
        .map_err(|e| anyhow::anyhow!(super::name_flags(&e.to_string())))?;
    if report.unknown_peaks > 0 {
        warn(&format!(
            "{} peak(s) of the link and motif tables are not in the accessibility matrix \
             (or never open) and are ignored",
            report.unknown_peaks
        ));
    }
    prior::save_tsv(&built, &args.output)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    info(
        global,
        &format!(
            "prior: {} TF -> gene edges from {} peaks x {} cells ({} peaks closed, {} weak \
             links) written to {}",
            built.edges().len(),
            matrix.n_genes(),
            matrix.n_samples(),
            report.closed_peaks,
            report.weak_links,
            args.output.display()
        ),
    );
    Ok(())
}
