//! The output directory of `grn simulate`.
//!
//! | file | content |
//! |---|---|
//! | `gold.tsv` | the true network: `regulator target score sign`, score 1 (read by `grn eval --gold` and by `grn simulate --network`) |
//! | `wildtype.tsv` | the unperturbed steady state (DREAM layout: header of gene names, one row) |
//! | `expression.tsv` | multifactorial steady states, samples x genes (DREAM4 `multifactorial` layout) |
//! | `knockouts.tsv`, `knockdowns.tsv`, `overexpression.tsv` | one row per perturbed gene, in gene order (DREAM layout) |
//! | `timeseries.tsv` | time-series points, a first column `s<series>_t<minute>` then genes |
//! | `singlecell.tsv` | stochastic snapshots, cells x genes, first column the cell id |
//! | `counts.tsv` | the count layer of the snapshots, cells x genes |
//! | `counts.h5ad` | the same counts as AnnData (CSR `X`), for scanpy and single-cell runs |
//! | `counts_10x/` | the same counts as a 10x Matrix Market directory (`matrix.mtx.gz`, `features.tsv.gz`, `barcodes.tsv.gz`) |
//! | `unconverged.tsv` | experiment, sample, gene, residual of every steady state not reached |
//! | `model.json` | every kinetic parameter ([`ModelSpec`](super::ModelSpec)) |
//! | `params.json` | the settings and seed that reproduce the run ([`SimulateParams`]) |
//!
//! Values have six decimals, as the DREAM4 files. A sample that did not reach steady
//! state is written as a row of `NA` in the DREAM-layout files (so row `k` is still
//! gene `k`) and left out of `expression.tsv`; `unconverged.tsv` says why. Each file
//! is written atomically.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::files;

use super::experiments::{Samples, Simulation};
use super::kinetics::Model;
use super::topology::SignedNetwork;
use super::{SimulateError, SimulateParams};

/// Every file name this module may write.
pub const FILES: [&str; 17] = [
    "gold.tsv",
    "wildtype.tsv",
    "expression.tsv",
    "knockouts.tsv",
    "knockdowns.tsv",
    "overexpression.tsv",
    "timeseries.tsv",
    "singlecell.tsv",
    "counts.tsv",
    "counts.h5ad",
    "counts_10x/matrix.mtx.gz",
    "counts_10x/features.tsv.gz",
    "counts_10x/barcodes.tsv.gz",
    "unconverged.tsv",
    "model.json",
    "params.json",
    "tfs.txt",
];

/// Writes a run into `dir` (created when missing) and returns the files written.
/// Files of an earlier run that this one does not produce are removed, so the
/// directory never mixes two runs; any other file is left alone.
pub fn write_dir(
    dir: &Path,
    params: &SimulateParams,
    model: &Model,
    simulation: &Simulation,
) -> Result<Vec<PathBuf>, SimulateError> {
    std::fs::create_dir_all(dir).map_err(|e| files::FileError::new(dir, e))?;
    let genes = model.gene_names();
    let mut written = Vec::new();
    let mut single_cell_files = Vec::new();
    let mut put = |name: &str,
                   write: &dyn Fn(&mut dyn Write) -> io::Result<()>|
     -> Result<(), SimulateError> {
        let path = dir.join(name);
        files::write_atomic(&path, |w| write(w))?;
        written.push(path);
        Ok(())
    };

    let network: SignedNetwork = model.network();
    put("gold.tsv", &|w| network.to_edge_table().write_tsv(w))?;
    // The regulators as a TF list (`--tfs`): inference restricted to them is what a
    // real analysis with a curated TF list does.
    put("tfs.txt", &|w| {
        for (g, d) in network.out_degrees().into_iter().enumerate() {
            if d > 0 {
                writeln!(w, "{}", genes[g])?;
            }
        }
        Ok(())
    })?;
    put("wildtype.tsv", &|w| {
        write_rows(w, &genes, &simulation.wild_type, false, true)
    })?;
    if !simulation.multifactorial.rows.is_empty() {
        put("expression.tsv", &|w| {
            write_rows(w, &genes, &simulation.multifactorial, false, false)
        })?;
    }
    for (name, samples) in [
        ("knockouts.tsv", &simulation.knockouts),
        ("knockdowns.tsv", &simulation.knockdowns),
        ("overexpression.tsv", &simulation.overexpression),
    ] {
        if let Some(s) = samples {
            put(name, &|w| write_rows(w, &genes, s, false, true))?;
        }
    }
    if let Some(s) = &simulation.time_series {
        put("timeseries.tsv", &|w| write_rows(w, &genes, s, true, false))?;
    }
    if let Some(s) = &simulation.cells {
        put("singlecell.tsv", &|w| write_rows(w, &genes, s, true, false))?;
        if let Some(counts) = &simulation.counts {
            put("counts.tsv", &|w| {
                write!(w, "cell")?;
                for g in &genes {
                    write!(w, "\t{g}")?;
                }
                writeln!(w)?;
                for (name, row) in s.names.iter().zip(counts) {
                    write!(w, "{name}")?;
                    for v in row {
                        write!(w, "\t{v}")?;
                    }
                    writeln!(w)?;
                }
                Ok(())
            })?;
            let h5ad = dir.join("counts.h5ad");
            crate::expression::h5ad::write_counts(&h5ad, &genes, &s.names, counts)?;
            single_cell_files.push(h5ad);
            single_cell_files.extend(crate::expression::tenx::write_counts_mtx(
                &dir.join("counts_10x"),
                &genes,
                &s.names,
                counts,
            )?);
        }
    }
    if !simulation.unconverged.is_empty() {
        put("unconverged.tsv", &|w| {
            writeln!(w, "experiment\tsample\tgene\tresidual")?;
            for u in &simulation.unconverged {
                for &(g, r) in &u.genes {
                    writeln!(w, "{}\t{}\t{}\t{:e}", u.experiment, u.sample, genes[g], r)?;
                }
            }
            Ok(())
        })?;
    }
    let spec = serde_json::to_string_pretty(model.spec())
        .map_err(|e| SimulateError::Output(e.to_string()))?;
    put("model.json", &|w| {
        w.write_all(spec.as_bytes())?;
        writeln!(w)
    })?;
    let json =
        serde_json::to_string_pretty(params).map_err(|e| SimulateError::Output(e.to_string()))?;
    put("params.json", &|w| {
        w.write_all(json.as_bytes())?;
        writeln!(w)
    })?;
    written.extend(single_cell_files);

    for name in FILES {
        let path = dir.join(name);
        if !written.contains(&path) && path.exists() {
            std::fs::remove_file(&path).map_err(|e| files::FileError::new(&path, e))?;
        }
    }
    Ok(written)
}

/// Header of gene names (after an id column when `ids`), then one row per sample;
/// unconverged rows as `NA` when `keep_missing`, else left out.
fn write_rows(
    w: &mut dyn Write,
    genes: &[String],
    samples: &Samples,
    ids: bool,
    keep_missing: bool,
) -> io::Result<()> {
    let mut first = true;
    if ids {
        w.write_all(b"sample")?;
        first = false;
    }
    for g in genes {
        if !first {
            w.write_all(b"\t")?;
        }
        w.write_all(g.as_bytes())?;
        first = false;
    }
    w.write_all(b"\n")?;
    for (name, row) in samples.names.iter().zip(&samples.rows) {
        if row.is_none() && !keep_missing {
            continue;
        }
        if ids {
            w.write_all(name.as_bytes())?;
        }
        for k in 0..genes.len() {
            if ids || k > 0 {
                w.write_all(b"\t")?;
            }
            match row {
                Some(values) => write!(w, "{:.6}", values[k])?,
                None => w.write_all(b"NA")?,
            }
        }
        w.write_all(b"\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::experiments::Unconverged;
    use crate::simulate::{Topology, TopologyParams, random_model, random_network};

    #[test]
    fn unconverged_samples_are_na_or_left_out_and_listed() {
        let topology = TopologyParams {
            regulators: Some(2),
            mean_degree: 1.0,
            ..TopologyParams::new(Topology::ScaleFree, 3)
        };
        let net = random_network(&topology, 1).unwrap();
        let model = random_model(&net, &Default::default(), 1).unwrap();
        let row = |v: f64| Some(vec![v; 3]);
        let samples = |rows: Vec<Option<Vec<f64>>>| Samples {
            names: (1..=rows.len()).map(|i| format!("S{i}")).collect(),
            rows,
        };
        let sim = Simulation {
            wild_type: samples(vec![row(0.5)]),
            multifactorial: samples(vec![row(0.1), None, row(0.3)]),
            knockouts: Some(samples(vec![row(0.0), None, row(0.25)])),
            unconverged: vec![Unconverged {
                experiment: "knockouts",
                sample: "G2".into(),
                genes: vec![(2, 0.5)],
            }],
            ..Default::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let params = SimulateParams::random(Topology::ScaleFree, 3, 1);
        write_dir(dir.path(), &params, &model, &sim).unwrap();
        let read = |f: &str| std::fs::read_to_string(dir.path().join(f)).unwrap();
        assert_eq!(
            read("knockouts.tsv"),
            "G1\tG2\tG3\n0.000000\t0.000000\t0.000000\nNA\tNA\tNA\n0.250000\t0.250000\t0.250000\n"
        );
        assert_eq!(
            read("expression.tsv"),
            "G1\tG2\tG3\n0.100000\t0.100000\t0.100000\n0.300000\t0.300000\t0.300000\n"
        );
        assert_eq!(
            read("unconverged.tsv"),
            "experiment\tsample\tgene\tresidual\nknockouts\tG2\tG3\t5e-1\n"
        );
        let back: SimulateParams = serde_json::from_str(&read("params.json")).unwrap();
        assert_eq!(back, params);
        let spec: crate::simulate::ModelSpec = serde_json::from_str(&read("model.json")).unwrap();
        assert_eq!(&spec, model.spec());
    }
}
