//! `grn eval`.

use std::fmt::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use grn::evaluate::plot;
use grn::evaluate::{self, EvalOptions, GoldStandard, Metrics};
use grn::network::EdgeTable;

use super::{Global, check_output, info, print_report, warn};

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Gold standard: regulator, target, 1 (edge) or 0 (listed non-edge), tab separated.
    #[arg(long, short, value_name = "FILE")]
    gold: PathBuf,
    /// Predicted network: regulator, target, score (our `grn infer` output, or any
    /// tab-separated edge list). Repeat to compare several predictions.
    #[arg(long, short, value_name = "FILE", required = true)]
    pred: Vec<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Ignore edge direction.
    #[arg(long)]
    undirected: bool,
    /// Draw the precision-recall and ROC curves of every prediction into this SVG.
    #[arg(long, value_name = "FILE.svg")]
    plot: Option<PathBuf>,
}

pub fn run(args: EvalArgs, global: &Global) -> Result<()> {
    if let Some(out) = &args.plot {
        // Only SVG: a bitmap needs fonts, which would mean system libraries.
        let svg = out.as_os_str() == grn::files::STDIO
            || grn::files::logical_extension(out).as_deref() == Some("svg");
        anyhow::ensure!(
            svg,
            "--plot {}: the curves are drawn as SVG only; name the file .svg (convert it \
             with any SVG viewer or `rsvg-convert` if a bitmap is needed)",
            out.display()
        );
        let mut inputs: Vec<&std::path::Path> = args.pred.iter().map(PathBuf::as_path).collect();
        inputs.push(&args.gold);
        check_output(out, &inputs)?;
    }
    let gold = GoldStandard::read(&args.gold)?;
    let opts = EvalOptions {
        undirected: args.undirected,
    };
    let mut scored: Vec<(String, Metrics, Option<evaluate::Curves>)> = Vec::new();
    for path in &args.pred {
        let pred = EdgeTable::read_tsv(path)?;
        let m = evaluate::score(&gold, &pred, &opts)
            .with_context(|| format!("cannot score {}", path.display()))?;
        if m.n_predicted == 0 {
            warn(&format!(
                "no predicted pair of {} names two genes of the gold standard; check that \
                 both use the same gene identifiers",
                path.display()
            ));
        }
        let curves = match &args.plot {
            Some(_) => Some(evaluate::curves(&gold, &pred, &opts)?),
            None => None,
        };
        scored.push((path.display().to_string(), m, curves));
    }
    if let Some(out) = &args.plot {
        let series: Vec<plot::Series> = scored
            .iter()
            .map(|(label, metrics, curves)| plot::Series {
                label,
                curves: curves.as_ref().expect("curves computed when plotting"),
                metrics,
            })
            .collect();
        plot::save_svg(out, &series).with_context(|| format!("cannot plot {}", out.display()))?;
        info(global, &format!("curves drawn to {}", out.display()));
    }
    let mut report = String::new();
    if let [(_, m, _)] = scored.as_slice() {
        if args.json {
            writeln!(report, "{}", serde_json::to_string(m)?)?;
        } else {
            writeln!(report, "AUROC\t{:.6}", m.auroc)?;
            writeln!(report, "AUPR\t{:.6}", m.aupr)?;
            writeln!(report, "EPR\t{:.6}", m.epr)?;
            writeln!(
                report,
                "pairs\t{} ({} true, {} genes, {} predicted)",
                m.n_pairs, m.n_true, m.n_genes, m.n_predicted
            )?;
        }
    } else if args.json {
        let rows: Vec<serde_json::Value> = scored
            .iter()
            .map(|(label, m, _)| {
                let mut v = serde_json::to_value(m).expect("metrics serialise");
                v["prediction"] = label.clone().into();
                v
            })
            .collect();
        writeln!(report, "{}", serde_json::to_string(&rows)?)?;
    } else {
        writeln!(report, "prediction\tAUROC\tAUPR\tEPR\tpredicted")?;
        for (label, m, _) in &scored {
            writeln!(
                report,
                "{label}\t{:.6}\t{:.6}\t{:.6}\t{}",
                m.auroc, m.aupr, m.epr, m.n_predicted
            )?;
        }
    }
    print_report(&report)
}
