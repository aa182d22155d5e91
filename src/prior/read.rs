//! Reading prior tables: plain TSV, CellOracle base GRNs and DoRothEA/CollecTRI
//! regulons, told apart by their header.

use std::collections::HashMap;
use std::path::Path;

use crate::files::{self, ParseError};

use super::{Prior, PriorError, PriorFormat};

/// A delimited text table: its header (when it has one) and its data rows, each
/// with its 1-based line number. Tab separated, or comma separated when the first
/// line has a comma and no tab; quotes around fields are stripped; blank lines and
/// `#` comments are skipped.
pub(crate) struct Table {
    pub rows: Vec<(u64, Vec<String>)>,
    pub delimiter: char,
}

pub(crate) fn read_table(path: &Path) -> Result<Table, PriorError> {
    let text = files::read_to_string(path)?;
    let mut rows = Vec::new();
    let mut delimiter = None;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let d = *delimiter.get_or_insert(if !line.contains('\t') && line.contains(',') {
            ','
        } else {
            '\t'
        });
        let fields = line
            .split(d)
            .map(|f| f.trim().trim_matches('"').to_string())
            .collect();
        rows.push((i as u64 + 1, fields));
    }
    Ok(Table {
        rows,
        delimiter: delimiter.unwrap_or('\t'),
    })
}

/// Column names, lower-cased, that each role accepts.
const REGULATOR: [&str; 5] = ["regulator", "tf", "source", "from", "factor"];
const TARGET: [&str; 4] = ["target", "gene", "to", "target_gene"];
const WEIGHT: [&str; 6] = [
    "weight",
    "score",
    "mor",
    "importance",
    "likelihood",
    "confidence",
];

fn find(header: &[String], names: &[&str]) -> Option<usize> {
    names
        .iter()
        .find_map(|n| header.iter().position(|h| h.to_ascii_lowercase() == *n))
}

/// DoRothEA's confidence levels (Garcia-Alonso et al. 2019, Genome Research
/// 29:1363): A (curated and supported by every evidence type) to E (one
/// computational source), mapped to evenly spaced weights 1, 0.8, ..., 0.2.
fn confidence_letter(s: &str) -> Option<f64> {
    match s {
        "A" => Some(1.0),
        "B" => Some(0.8),
        "C" => Some(0.6),
        "D" => Some(0.4),
        "E" => Some(0.2),
        _ => None,
    }
}

/// Reads a prior; see [`super::read`].
pub(crate) fn read(path: &Path) -> Result<Prior, PriorError> {
    let table = read_table(path)?;
    let Some((first_line, first)) = table.rows.first() else {
        return Err(ParseError::new(
            path,
            None,
            None,
            "the prior is empty; expected regulator, target[, weight] lines, a CellOracle \
             base GRN (peak_id, gene_short_name, one column per TF) or a DoRothEA/CollecTRI \
             table (source, target, weight)",
        )
        .into());
    };
    let lower: Vec<String> = first.iter().map(|h| h.to_ascii_lowercase()).collect();
    let at = |line: u64, col: usize, msg: String| ParseError::new(path, Some(line), Some(col), msg);
    if lower.len() >= 2 && lower[0] == "peak_id" && lower[1] == "gene_short_name" {
        return read_celloracle(path, &table, first);
    }
    let (format, columns, body) = match (find(first, &REGULATOR), find(first, &TARGET)) {
        (Some(r), Some(t)) => {
            let format = if lower.contains(&"source".to_string()) {
                PriorFormat::Regulon
            } else {
                PriorFormat::Tsv
            };
            // The signed mode of regulation (CollecTRI, DoRothEA) before other
            // weights, then DoRothEA's confidence letters.
            let w = find(first, &["weight", "mor"]).or_else(|| find(first, &WEIGHT));
            (format, (r, t, w), &table.rows[1..])
        }
        (None, None) if first.len() >= 2 && first.len() <= 3 => {
            let numeric_third = first.get(2).is_none_or(|w| w.parse::<f64>().is_ok());
            if !numeric_third {
                return Err(at(
                    *first_line,
                    3,
                    format!(
                        "expected a weight (a number in [0, 1]) or a header naming the \
                         regulator and target columns (regulator/tf/source and \
                         target/gene), got {:?}",
                        first[2]
                    ),
                )
                .into());
            }
            let w = (first.len() == 3).then_some(2);
            (PriorFormat::Tsv, (0, 1, w), &table.rows[..])
        }
        _ => {
            return Err(at(
                *first_line,
                1,
                "expected a header naming the regulator and target columns (regulator, tf \
                 or source; target or gene), a CellOracle base GRN header (peak_id, \
                 gene_short_name, TF...), or headerless regulator, target[, weight] lines"
                    .into(),
            )
            .into());
        }
    };
    let (r, t, w) = columns;
    let needed = r.max(t).max(w.unwrap_or(0)) + 1;
    let mut edges: HashMap<(String, String), f64> = HashMap::new();
    let mut order = Vec::new();
    for (line, fields) in body {
        if fields.len() < needed {
            return Err(at(
                *line,
                fields.len() + 1,
                format!(
                    "expected at least {needed} fields ({}-separated), got {}",
                    if table.delimiter == '\t' {
                        "tab"
                    } else {
                        "comma"
                    },
                    fields.len()
                ),
            )
            .into());
        }
        let (reg, tgt) = (&fields[r], &fields[t]);
        for (c, name) in [(r, reg), (t, tgt)] {
            if name.is_empty() {
                return Err(at(
                    *line,
                    c + 1,
                    "expected a gene name, got an empty field".into(),
                )
                .into());
            }
        }
        let weight = match w {
            None => 1.0,
            Some(c) => {
                let text = &fields[c];
                let value = text
                    .parse::<f64>()
                    .ok()
                    .or_else(|| confidence_letter(text))
                    .filter(|v| v.is_finite() && v.abs() <= 1.0);
                match value {
                    // The sign of a mode of regulation says which way, not how sure.
                    Some(v) => v.abs(),
                    None => {
                        return Err(at(
                            *line,
                            c + 1,
                            format!(
                                "expected a weight in [0, 1] (or a signed mode of \
                                 regulation in [-1, 1], or a DoRothEA confidence A-E), got \
                                 {text:?}; rescale scores to [0, 1] first"
                            ),
                        )
                        .into());
                    }
                }
            }
        };
        let key = (reg.clone(), tgt.clone());
        match edges.get_mut(&key) {
            Some(old) => *old = old.max(weight),
            None => {
                edges.insert(key.clone(), weight);
                order.push(key);
            }
        }
    }
    Ok(Prior::from_edges(
        format,
        order
            .into_iter()
            .map(|k| {
                let w = edges[&k];
                (k.0, k.1, w)
            })
            .collect(),
    ))
}

/// CellOracle's base GRN (Kamimoto et al. 2023, Nature 614:742): one row per
/// (peak, target gene), one 0/1 column per TF whose motif is in the peak. A TF ->
/// gene edge is supported by any of the gene's peaks; its weight is the largest
/// value over them.
fn read_celloracle(path: &Path, table: &Table, header: &[String]) -> Result<Prior, PriorError> {
    let tfs = &header[2..];
    if tfs.is_empty() {
        return Err(ParseError::new(
            path,
            Some(table.rows[0].0),
            Some(3),
            "a CellOracle base GRN needs one column per TF after peak_id and \
             gene_short_name",
        )
        .into());
    }
    let mut edges: HashMap<(usize, String), f64> = HashMap::new();
    let mut order = Vec::new();
    for (line, fields) in &table.rows[1..] {
        if fields.len() != header.len() {
            return Err(ParseError::new(
                path,
                Some(*line),
                Some(fields.len().min(header.len()) + 1),
                format!(
                    "expected {} fields as in the header (peak_id, gene_short_name and {} \
                     TFs), got {}",
                    header.len(),
                    tfs.len(),
                    fields.len()
                ),
            )
            .into());
        }
        let gene = &fields[1];
        if gene.is_empty() {
            return Err(ParseError::new(
                path,
                Some(*line),
                Some(2),
                "expected a gene name, got an empty field",
            )
            .into());
        }
        for (k, text) in fields[2..].iter().enumerate() {
            let v = text
                .parse::<f64>()
                .ok()
                .filter(|v| (0.0..=1.0).contains(v))
                .ok_or_else(|| {
                    ParseError::new(
                        path,
                        Some(*line),
                        Some(k + 3),
                        format!(
                            "expected 0 or 1 (or a motif score in [0, 1]) for TF {}, got \
                             {text:?}",
                            tfs[k]
                        ),
                    )
                })?;
            if v == 0.0 {
                continue;
            }
            let key = (k, gene.clone());
            match edges.get_mut(&key) {
                Some(old) => *old = old.max(v),
                None => {
                    edges.insert(key.clone(), v);
                    order.push(key);
                }
            }
        }
    }
    Ok(Prior::from_edges(
        PriorFormat::CellOracle,
        order
            .into_iter()
            .map(|k| {
                let w = edges[&k];
                (tfs[k.0].clone(), k.1, w)
            })
            .collect(),
    ))
}
