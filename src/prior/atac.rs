//! A prior from chromatin accessibility, CellOracle's base-GRN recipe (Kamimoto et
//! al. 2023, Nature 614:742-751): a TF may regulate a gene when the TF's motif lies
//! in an accessible peak linked to the gene (its promoter, or a distal peak
//! co-accessible with it, as Cicero scores; Pliner et al. 2018, Mol Cell 71:858).
//!
//! Inputs: a cell x peak accessibility matrix (any matrix [`crate::expression`]
//! reads, peaks as its genes), a peak-gene table (`peak_id, gene[, score]`) and a
//! TF-motif-peak table (`peak_id, tf[, score]`), scores in [0, 1] (1 when absent).
//! A peak counts when it is open (non-zero) in at least `min_cells` cells; a link
//! counts when its score reaches `min_link` (CellOracle keeps Cicero co-accessibility
//! of at least 0.8). Each (open peak, linked gene, TF with a motif in it) is one
//! piece of evidence of strength link x motif; independent pieces combine by
//! noisy-OR, `w = 1 - prod (1 - link x motif)`, so a promoter hit gives 1 and
//! several weak distal hits add up without exceeding 1. O(L + M + cells x peaks).
//!
//! ```
//! use grn::expression::ExpressionMatrix;
//! use grn::prior::atac::{base_grn, AtacParams, PeakTable};
//! // Two cells x two peaks: p1 open in both, p2 closed everywhere.
//! let values = ndarray::Array2::from_shape_vec((2, 2), vec![1.0, 2.0, 0.0, 0.0]).unwrap();
//! let atac = ExpressionMatrix::new(vec!["p1".into(), "p2".into()], vec!["c1".into(), "c2".into()], values).unwrap();
//! let links = PeakTable::new(vec![("p1".into(), "G".into(), 1.0), ("p2".into(), "H".into(), 1.0)]);
//! let motifs = PeakTable::new(vec![("p1".into(), "TF".into(), 1.0), ("p2".into(), "TF".into(), 1.0)]);
//! let (prior, report) = base_grn(&atac, &links, &motifs, &AtacParams::default()).unwrap();
//! assert_eq!(prior.edges().len(), 1); // TF -> G; p2 is closed, so no TF -> H
//! assert_eq!(report.closed_peaks, 1);
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::expression::ExpressionMatrix;
use crate::files::ParseError;
use crate::trees::ParamError;

use super::read::read_table;
use super::{Prior, PriorError, PriorFormat};

/// Settings of [`base_grn`].
#[derive(Debug, Clone, PartialEq)]
pub struct AtacParams {
    /// Cells in which a peak must be open (non-zero) to count.
    pub min_cells: usize,
    /// Smallest peak-gene link score kept.
    pub min_link: f64,
}

impl AtacParams {
    /// CellOracle's co-accessibility cut-off for Cicero links (Kamimoto et al. 2023).
    pub const CELLORACLE_MIN_LINK: f64 = 0.8;

    fn check(&self) -> Result<(), PriorError> {
        if !(0.0..=1.0).contains(&self.min_link) {
            return Err(ParamError {
                name: "min_link",
                message: format!("must be in [0, 1], got {}", self.min_link),
            }
            .into());
        }
        if self.min_cells == 0 {
            return Err(ParamError {
                name: "min_cells",
                message: "must be at least 1 (a peak open in no cell is no evidence)".into(),
            }
            .into());
        }
        Ok(())
    }
}

impl Default for AtacParams {
    /// One cell (a called peak is evidence; sparser filters depend on the data
    /// set) and CellOracle's 0.8.
    fn default() -> Self {
        AtacParams {
            min_cells: 1,
            min_link: Self::CELLORACLE_MIN_LINK,
        }
    }
}

/// A two-column table keyed by peak (peak-gene links or TF motif hits), with a score
/// in [0, 1] per row.
#[derive(Debug, Clone, PartialEq)]
pub struct PeakTable {
    rows: Vec<(String, String, f64)>,
}

impl PeakTable {
    /// A table of (peak, name, score) rows.
    pub fn new(rows: Vec<(String, String, f64)>) -> Self {
        PeakTable { rows }
    }

    /// Reads `peak_id<TAB>name[<TAB>score]` with a header naming the peak column
    /// (`peak_id` or `peak`) first; `what` names the second column in messages
    /// ("gene", "TF"). Comma separated files are read too.
    pub fn read(path: &Path, what: &str) -> Result<Self, PriorError> {
        let table = read_table(path)?;
        let Some((first_line, header)) = table.rows.first() else {
            return Err(ParseError::new(
                path,
                None,
                None,
                format!("the table is empty; expected a header peak_id, {what}[, score]"),
            )
            .into());
        };
        let h0 = header[0].to_ascii_lowercase();
        if header.len() < 2 || (h0 != "peak_id" && h0 != "peak") {
            return Err(ParseError::new(
                path,
                Some(*first_line),
                Some(1),
                format!(
                    "expected a header whose first columns are peak_id and the {what}, then \
                     optionally a score in [0, 1]"
                ),
            )
            .into());
        }
        let scored = header.len() >= 3;
        let mut rows = Vec::with_capacity(table.rows.len());
        for (line, fields) in &table.rows[1..] {
            let at = |col: usize, msg: String| ParseError::new(path, Some(*line), Some(col), msg);
            if fields.len() < 2 || fields[0].is_empty() || fields[1].is_empty() {
                return Err(at(
                    fields.len().min(2) + 1,
                    format!("expected a peak and a {what}"),
                )
                .into());
            }
            let score = if scored {
                let text = fields.get(2).map_or("", String::as_str);
                text.parse::<f64>()
                    .ok()
                    .filter(|v| (0.0..=1.0).contains(v))
                    .ok_or_else(|| {
                        at(
                            3,
                            format!(
                                "expected a score in [0, 1], got {text:?}; rescale motif or \
                                 link scores to [0, 1] or drop the column"
                            ),
                        )
                    })?
            } else {
                1.0
            };
            rows.push((fields[0].clone(), fields[1].clone(), score));
        }
        Ok(PeakTable { rows })
    }
}

/// What [`base_grn`] used and left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AtacReport {
    /// Peaks of the tables absent from the accessibility matrix (left out).
    pub unknown_peaks: usize,
    /// Peaks of the matrix open in fewer than `min_cells` cells.
    pub closed_peaks: usize,
    /// Links below `min_link`.
    pub weak_links: usize,
}

/// Builds the prior (see the module docs); edges sorted by TF, then gene.
pub fn base_grn(
    accessibility: &ExpressionMatrix,
    links: &PeakTable,
    motifs: &PeakTable,
    params: &AtacParams,
) -> Result<(Prior, AtacReport), PriorError> {
    params.check()?;
    let mut report = AtacReport::default();
    let peak_index: HashMap<&str, usize> = accessibility
        .genes()
        .iter()
        .enumerate()
        .map(|(i, p)| (p.as_str(), i))
        .collect();
    let open: Vec<bool> = (0..accessibility.n_genes())
        .map(|p| accessibility.gene(p).iter().filter(|&&v| v != 0.0).count() >= params.min_cells)
        .collect();
    report.closed_peaks = open.iter().filter(|&&o| !o).count();
    let mut unknown = std::collections::HashSet::new();
    let mut peak_of = |name: &str| match peak_index.get(name) {
        Some(&p) => Some(p),
        None => {
            unknown.insert(name.to_string());
            None
        }
    };
    let mut genes_of: HashMap<usize, Vec<(&str, f64)>> = HashMap::new();
    let mut link_peaks = 0;
    for (peak, gene, score) in &links.rows {
        let Some(p) = peak_of(peak) else { continue };
        link_peaks += 1;
        if *score < params.min_link {
            report.weak_links += 1;
            continue;
        }
        if open[p] {
            genes_of.entry(p).or_default().push((gene, *score));
        }
    }
    let mut motif_peaks = 0;
    // Product of (1 - evidence) per (TF, gene); BTreeMap for a sorted output.
    let mut miss: BTreeMap<(&str, &str), f64> = BTreeMap::new();
    for (peak, tf, score) in &motifs.rows {
        let Some(p) = peak_of(peak) else { continue };
        motif_peaks += 1;
        for &(gene, link) in genes_of.get(&p).map_or(&[][..], |v| v.as_slice()) {
            if gene != tf.as_str() {
                *miss.entry((tf.as_str(), gene)).or_insert(1.0) *= 1.0 - link * score;
            }
        }
    }
    report.unknown_peaks = unknown.len();
    if motif_peaks == 0 || link_peaks == 0 {
        return Err(PriorError::NoOverlap(format!(
            "the peak tables name no peak of the accessibility matrix ({} unknown peaks); \
             check that peak ids use the same form (e.g. chr1_100_600) in all three inputs",
            report.unknown_peaks
        )));
    }
    let edges: Vec<(String, String, f64)> = miss
        .into_iter()
        .map(|((tf, gene), m)| (tf.to_string(), gene.to_string(), 1.0 - m))
        .filter(|e| e.2 > 0.0)
        .collect();
    if edges.is_empty() {
        return Err(PriorError::NoOverlap(
            "no TF motif lies in an open peak linked to a gene, so the prior would be empty; \
             check min_cells and min_link"
                .into(),
        ));
    }
    Ok((Prior::from_edges(PriorFormat::Tsv, edges), report))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn atac() -> ExpressionMatrix {
        // Three cells x three peaks: p1 open in 3 cells, p2 in 1, p3 in none.
        let values = ndarray::Array2::from_shape_vec(
            (3, 3),
            vec![1.0, 1.0, 2.0, 0.0, 3.0, 0.0, 0.0, 0.0, 0.0],
        )
        .unwrap();
        let peaks = ["p1", "p2", "p3"].map(String::from).to_vec();
        let cells = ["c1", "c2", "c3"].map(String::from).to_vec();
        ExpressionMatrix::new(peaks, cells, values).unwrap()
    }

    fn rows(v: &[(&str, &str, f64)]) -> PeakTable {
        PeakTable::new(v.iter().map(|&(a, b, s)| (a.into(), b.into(), s)).collect())
    }

    #[test]
    fn evidence_combines_by_noisy_or_over_open_linked_peaks() {
        let links = rows(&[
            ("p1", "G", 0.9),
            ("p2", "G", 0.8),
            ("p3", "H", 1.0),
            ("p2", "K", 0.5),
        ]);
        let motifs = rows(&[
            ("p1", "TF", 0.5),
            ("p2", "TF", 1.0),
            ("p3", "TF", 1.0),
            ("p9", "TF", 1.0),
        ]);
        let (prior, report) = base_grn(&atac(), &links, &motifs, &AtacParams::default()).unwrap();
        let e = prior.edges();
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!((e[0].regulator.as_str(), e[0].target.as_str()), ("TF", "G"));
        let want = 1.0 - (1.0 - 0.9 * 0.5) * (1.0 - 0.8);
        assert!((e[0].weight - want).abs() < 1e-12);
        assert_eq!(report.closed_peaks, 1);
        assert_eq!(report.weak_links, 1);
        assert_eq!(report.unknown_peaks, 1);
        // p2 is open in one cell only.
        let strict = AtacParams {
            min_cells: 2,
            ..AtacParams::default()
        };
        let (prior, _) = base_grn(&atac(), &links, &motifs, &strict).unwrap();
        assert!((prior.edges()[0].weight - 0.45).abs() < 1e-12);
    }

    #[test]
    fn tables_with_no_peak_of_the_matrix_are_an_error() {
        let links = rows(&[("chr1_1_2", "G", 1.0)]);
        let motifs = rows(&[("chr1_1_2", "TF", 1.0)]);
        let e = base_grn(&atac(), &links, &motifs, &AtacParams::default()).unwrap_err();
        assert!(e.to_string().contains("name no peak"), "{e}");
    }

    #[test]
    fn reads_peak_tables() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("links.tsv");
        std::fs::write(&p, "peak_id\tgene\tcoaccess\np1\tG\t0.9\n").unwrap();
        assert_eq!(
            PeakTable::read(&p, "gene").unwrap(),
            rows(&[("p1", "G", 0.9)])
        );
        std::fs::write(&p, "peak_id\tgene\tcoaccess\np1\tG\t9\n").unwrap();
        let e = PeakTable::read(&p, "gene").unwrap_err().to_string();
        assert!(e.contains("links.tsv:2:3:"), "{e}");
        std::fs::write(&p, "gene\tpeak\n").unwrap();
        assert!(PeakTable::read(&p, "gene").is_err());
    }
}
