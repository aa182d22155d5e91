//! Command-line interface: argument structs, progress bars and messages. No
//! algorithm lives here; every subcommand maps its flags onto library parameters.

mod eval;
mod export;
mod fit;
mod infer;
mod perturb;
mod prior;
mod simulate;
mod stats;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use grn::expression::{self, ExpressionMatrix, Normalization, ReadOptions, Regulators};
pub use grn::named::first_few;

/// Gene regulatory network inference and perturbation prediction.
#[derive(Debug, Parser)]
#[command(name = "grn", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    global: Global,
}

/// Options every subcommand accepts.
#[derive(Debug, Args, Clone)]
pub struct Global {
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, global = true, value_name = "N")]
    threads: Option<usize>,
    /// No progress bars or summaries (warnings and errors are still printed).
    #[arg(long, short, global = true)]
    quiet: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Infer a regulatory network from an expression matrix.
    Infer(infer::InferArgs),
    /// Combine the shard files of `grn infer --targets-shard` into one network.
    Merge(infer::MergeArgs),
    /// Score a predicted network against a gold standard (AUROC, AUPR, early precision).
    Eval(eval::EvalArgs),
    /// Simulate expression data from a known (given or random) network.
    Simulate(simulate::SimulateArgs),
    /// Write a network (with optional cuts) as GraphML, DOT, SIF, Cytoscape.js JSON or TSV.
    Export(export::ExportArgs),
    /// Summarise a network: degrees, hubs, components, feed-forward and feedback loops.
    Stats(stats::StatsArgs),
    /// Predict the effect of knockouts, knockdowns and over-expression on every gene.
    Perturb(perturb::PerturbArgs),
    /// Rank candidate perturbations by how well they move a gene signature.
    Screen(perturb::ScreenArgs),
    /// Build a prior (TF -> gene evidence) from ATAC peaks, peak-gene links and TF
    /// motifs, for --prior.
    Prior(prior::PriorCommandArgs),
    /// Fit every target's response model on its regulators once and save it.
    Fit(fit::FitArgs),
    /// Predict genes in new samples from their regulators with a saved model.
    Predict(fit::PredictArgs),
    /// Each regulator's contribution to a gene's predictions (Shapley values).
    Explain(fit::ExplainArgs),
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> Result<()> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = cli.global.threads {
        anyhow::ensure!(n >= 1, "--threads must be at least 1");
        pool = pool.num_threads(n);
    }
    let pool = pool.build().context("cannot start worker threads")?;
    let global = cli.global;
    pool.install(|| match cli.command {
        Command::Infer(a) => infer::run(a, &global),
        Command::Merge(a) => infer::run_merge(a, &global),
        Command::Eval(a) => eval::run(a, &global),
        Command::Simulate(a) => simulate::run(a, &global),
        Command::Export(a) => export::run(a, &global),
        Command::Stats(a) => stats::run(a, &global),
        Command::Perturb(a) => perturb::run_perturb(a, &global),
        Command::Screen(a) => perturb::run_screen(a, &global),
        Command::Prior(a) => prior::run(a, &global),
        Command::Fit(a) => fit::run_fit(a, &global),
        Command::Predict(a) => fit::run_predict(a, &global),
        Command::Explain(a) => fit::run_explain(a, &global),
    })
}

/// Expression input flags shared by the commands that read a matrix.
#[derive(Debug, Args, Clone)]
pub struct ExpressionArgs {
    /// Expression matrix: TSV or CSV, optionally gzipped; samples x genes with a header
    /// row of gene names (first column of sample ids optional). Single-cell inputs
    /// are recognised by content: AnnData .h5ad, a 10x Matrix Market directory or
    /// .h5 file, loom.
    #[arg(long, short = 'e', value_name = "FILE")]
    expr: PathBuf,
    /// Single-cell: read this layer (.h5ad or loom layers/NAME) instead of X.
    #[arg(long, value_name = "NAME")]
    layer: Option<String>,
    /// .h5ad: read raw/X with the gene names of raw/var (scanpy's `use_raw`).
    #[arg(long = "use-raw", visible_alias = "raw")]
    raw: bool,
    /// Single-cell: the gene annotation that names genes (.h5ad var column such as
    /// gene_symbols; 10x gene_symbols or gene_ids; loom row attribute).
    #[arg(long, value_name = "COLUMN")]
    var_names: Option<String>,
    /// Single-cell: read only the cells listed in FILE (one barcode per line).
    #[arg(long, value_name = "FILE")]
    cells: Option<PathBuf>,
    /// Single-cell: read only cells whose obs column (loom column attribute) has
    /// this value, e.g. --obs cell_type=B: one network per cell type.
    #[arg(long, value_name = "COLUMN=VALUE")]
    obs: Option<expression::ObsFilter>,
    /// Single-cell: drop genes detected in fewer than N of the selected cells.
    #[arg(long, value_name = "N", default_value_t = 0)]
    min_cells: usize,
    /// The matrix is genes x samples (rows are genes), as R and Seurat write it.
    #[arg(long)]
    genes_in_rows: bool,
    /// Field delimiter (default: from the extension, else detected).
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    delimiter: Option<u8>,
    /// Normalise count data on reading: `total` scales every sample to 10,000
    /// (removes sequencing depth), `log1p` takes ln(1 + x), `log-total` does both
    /// (Seurat's LogNormalize, Scanpy's normalize_total + log1p); `none` reads
    /// values as they are.
    #[arg(long, value_name = "HOW", default_value_t = Normalization::None)]
    normalize: Normalization,
    /// Candidate regulators (e.g. transcription factors), one gene name per line.
    #[arg(long, value_name = "FILE")]
    tfs: Option<PathBuf>,
}

fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "\\t" | "tab" => Ok(b'\t'),
        "," | "comma" => Ok(b','),
        _ if s.len() == 1 => Ok(s.as_bytes()[0]),
        _ => Err("expected one character, 'tab' or 'comma'".into()),
    }
}

impl ExpressionArgs {
    /// Reads the matrix and resolves the TF list, warning about what was dropped.
    pub fn load(&self) -> Result<(ExpressionMatrix, Regulators)> {
        self.load_timed().map(|(m, r, _)| (m, r))
    }

    /// [`ExpressionArgs::load`] with the samples' time points, when the file has a
    /// `Time` column.
    pub fn load_timed(&self) -> Result<(ExpressionMatrix, Regulators, Option<Vec<f64>>)> {
        let options = ReadOptions {
            genes_in_rows: self.genes_in_rows,
            delimiter: self.delimiter,
            normalize: self.normalize,
            layer: self.layer.clone(),
            use_raw: self.raw,
            var_names: self.var_names.clone(),
            cells: match &self.cells {
                Some(path) => Some(expression::read_name_list(path, "cell")?),
                None => None,
            },
            obs: self.obs.clone(),
            min_cells: self.min_cells,
        };
        let loaded = expression::read(&self.expr, &options)?;
        for w in &loaded.warnings {
            warn(w);
        }
        if !loaded.dropped_constant.is_empty() {
            warn(&format!(
                "dropped {} gene(s) with zero variance, which cannot be scored ({})",
                loaded.dropped_constant.len(),
                first_few(&loaded.dropped_constant)
            ));
        }
        let (matrix, times) = (loaded.matrix, loaded.times);
        let regulators = match &self.tfs {
            None => Regulators::All,
            Some(path) => {
                let names = expression::read_gene_list(path)?;
                let (regs, missing) = matrix
                    .resolve_regulators(&names)
                    .map_err(|m| anyhow::anyhow!("{}: {m}", path.display()))?;
                if !missing.is_empty() {
                    warn(&format!(
                        "{} of {} regulator names in {} are not (varying) genes of the \
                         matrix and are ignored ({})",
                        missing.len(),
                        names.len(),
                        path.display(),
                        first_few(&missing)
                    ));
                }
                regs
            }
        };
        Ok((matrix, regulators, times))
    }
}

/// Writes a command's report to stdout. A reader that stops early (`| head`)
/// closes the pipe: that is not an error of ours, so the rest is dropped quietly, as
/// ripgrep does, rather than panicking as `println!` would.
pub fn print_report(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("cannot write to standard output")
        }
        _ => Ok(()),
    }
}

/// Prints a warning to stderr.
pub fn warn(message: &str) {
    eprintln!("warning: {message}");
}

/// Prints a summary line unless `--quiet`.
pub fn info(global: &Global, message: &str) {
    if !global.quiet {
        eprintln!("{message}");
    }
}

/// A progress bar on stderr, hidden when stderr is not a terminal or with `--quiet`.
pub struct Bar(ProgressBar);

impl Bar {
    pub fn new(global: &Global) -> Self {
        let visible = !global.quiet && std::io::stderr().is_terminal();
        let bar = if visible {
            ProgressBar::new(0)
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} ({eta} left)")
                .expect("valid template")
                .progress_chars("=> "),
        );
        Bar(bar)
    }

    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}

impl grn::Progress for Bar {
    fn start(&self, what: &str, total: u64) {
        self.0.set_message(what.to_string());
        self.0.set_length(total);
        self.0.set_position(0);
    }

    fn advance(&self, n: u64) {
        self.0.inc(n);
    }
}

/// Checks, before any work, that the output can be written (see
/// [`grn::files::check_output_path`]) and is not one of the inputs.
pub fn check_output(output: &Path, inputs: &[&Path]) -> Result<()> {
    grn::files::check_output_path(output)?;
    for input in inputs {
        let same = match (output.canonicalize(), input.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        anyhow::ensure!(
            !same,
            "the output {} is also an input; choose another output name",
            output.display()
        );
    }
    Ok(())
}

/// The long flags of every subcommand (`mean-degree`, ...).
fn long_flags() -> std::collections::HashSet<String> {
    use clap::CommandFactory;
    fn walk(cmd: &clap::Command, out: &mut std::collections::HashSet<String>) {
        out.extend(
            cmd.get_arguments()
                .filter_map(|a| a.get_long().map(String::from)),
        );
        for sub in cmd.get_subcommands() {
            walk(sub, out);
        }
    }
    let mut flags = std::collections::HashSet::new();
    walk(&Cli::command(), &mut flags);
    flags
}

/// Library errors name parameters (`` `mean_degree` ``), as a Python caller sees
/// them; on the command line each is the flag that sets it (`--mean-degree`).
/// Quoted words that are not flags are left as they are.
pub fn name_flags(message: &str) -> String {
    let flags = long_flags();
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('`') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let word = &after[..end];
        let flag = word.replace('_', "-");
        let is_param = !word.is_empty()
            && word
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if is_param && flags.contains(&flag) {
            out.push_str("--");
            out.push_str(&flag);
            rest = &after[end + 1..];
        } else {
            out.push('`');
            out.push_str(word);
            out.push('`');
            rest = &after[end + 1..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::name_flags;

    #[test]
    fn parameters_become_flags() {
        assert_eq!(
            name_flags("`mean_degree` must be positive; run `dot -Tsvg` or use `tfs` FILE"),
            "--mean-degree must be positive; run `dot -Tsvg` or use --tfs FILE"
        );
        assert_eq!(name_flags("odd ` quote"), "odd ` quote");
    }
}
