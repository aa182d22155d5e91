//! Screening candidate perturbations against a [`Signature`]: which knockouts (or
//! knockdowns, over-expressions) move a set of genes in the wanted directions?
//!
//! Each candidate is predicted with the same [`Predictor`] (feedback blocks
//! factorised once) and scored by the weighted mean change of the signature genes
//! in their wanted direction, each change measured in standard deviations of the
//! gene in the data so genes on different scales count alike:
//!
//! ```text
//! score = Σ_i w_i Δx_i / σ_i  /  Σ_i |w_i|
//! ```
//!
//! (w_i > 0: gene i should go up; < 0: down). With [`ScreenParams::pairs`], the best
//! single candidates are also combined two at a time, predicted together (not
//! summed: in a network, one perturbation can block or relay the other), and the
//! pair's synergy `score(a+b) - score(a) - score(b)` is reported.
//!
//! Candidates run in parallel (rayon) and are collected in order, so the ranking
//! does not depend on the number of threads. Cost: one prediction per candidate
//! (see [`super::propagation`]) plus O(genes) to score it.

use std::io::{self, Write};
use std::path::Path;

use rayon::prelude::*;

use crate::Progress;
use crate::files::{self, FileError};

use super::PerturbError;
use super::model::ResponseModel;
use super::propagation::{Perturbation, Predictor};

/// Genes and the direction (sign) and weight (magnitude) in which they should move.
#[derive(Debug, Clone, PartialEq)]
pub struct Signature {
    genes: Vec<(usize, f64)>,
}

impl Signature {
    /// A signature of `(gene index, weight)` pairs. Fails when empty, when a weight
    /// is not finite, when a gene is listed twice, or when every weight is 0.
    pub fn new(genes: Vec<(usize, f64)>) -> Result<Self, PerturbError> {
        if genes.iter().all(|&(_, w)| w == 0.0) {
            return Err(PerturbError::Input(
                "the signature has no gene with a non-zero weight".into(),
            ));
        }
        for (i, &(g, w)) in genes.iter().enumerate() {
            if !w.is_finite() {
                return Err(PerturbError::Input(format!(
                    "signature weight {w} of gene index {g} is not finite"
                )));
            }
            if genes[..i].iter().any(|&(h, _)| h == g) {
                return Err(PerturbError::Input(format!(
                    "gene index {g} is listed twice in the signature"
                )));
            }
        }
        Ok(Signature { genes })
    }

    /// The genes and weights.
    pub fn genes(&self) -> &[(usize, f64)] {
        &self.genes
    }

    /// Reads a signature file: one gene per line, `gene<TAB>weight` (or comma
    /// separated), the weight a number or a direction (`up`/`+`: 1, `down`/`-`:
    /// -1). A first line whose weight is neither is a header; `#` starts a comment
    /// line. Returns the signature and the names not in the model (ignored; an
    /// error when that is all of them).
    pub fn read(path: &Path, model: &ResponseModel) -> Result<(Self, Vec<String>), PerturbError> {
        Self::read_names(path, model.genes())
    }

    /// [`Signature::read`] against gene names (a model's genes are its matrix's, in
    /// the same order, so a signature can be checked before fitting). A first line
    /// is a header only by its content: its weight is not a weight and its gene is
    /// not one of `names`.
    pub fn read_names(path: &Path, names: &[String]) -> Result<(Self, Vec<String>), PerturbError> {
        let index: std::collections::HashMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let text = files::read_to_string(path)?;
        let invalid = |line: usize, message: String| {
            PerturbError::from(crate::files::ParseError::at_line(path, line, message))
        };
        let mut genes: Vec<(usize, f64)> = Vec::new();
        let mut missing = Vec::new();
        let mut first = true;
        let mut header: Option<(usize, String)> = None;
        for (i, line) in text.lines().enumerate() {
            let line_no = i + 1;
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = trimmed
                .split(['\t', ','])
                .map(|f| f.trim().trim_matches('"'))
                .collect();
            let was_first = std::mem::replace(&mut first, false);
            if fields.len() < 2 {
                return Err(invalid(
                    line_no,
                    format!(
                        "expected a gene and a weight or direction (up, down, +, -, or a \
                         number) separated by a tab or comma, found {trimmed:?}"
                    ),
                ));
            }
            let weight = match fields[1].to_ascii_lowercase().as_str() {
                "up" | "+" => Some(1.0),
                "down" | "-" => Some(-1.0),
                other => other.parse::<f64>().ok().filter(|w| w.is_finite()),
            };
            let Some(weight) = weight else {
                if was_first && !index.contains_key(fields[0]) {
                    header = Some((line_no, trimmed.to_string()));
                    continue;
                }
                return Err(invalid(
                    line_no,
                    format!(
                        "expected a weight or direction (up, down, +, -, or a finite number) \
                         in column 2, found {:?}",
                        fields[1]
                    ),
                ));
            };
            match index.get(fields[0]).copied() {
                Some(g) => {
                    if genes.iter().any(|&(h, _)| h == g) {
                        return Err(invalid(
                            line_no,
                            format!("gene {:?} is listed twice", fields[0]),
                        ));
                    }
                    genes.push((g, weight));
                }
                None => missing.push(fields[0].to_string()),
            }
        }
        if genes.is_empty() && missing.is_empty() {
            return Err(match header {
                Some((line, text)) => invalid(
                    line,
                    format!(
                        "the only line, {text:?}, is not `gene<TAB>weight` (weight: up, down, \
                         +, - or a number), and was taken for a header; the signature lists \
                         no genes"
                    ),
                ),
                None => PerturbError::Input(format!(
                    "{}: the signature is empty; expected one `gene<TAB>weight` line per gene \
                     (weight: up, down, +, - or a number)",
                    path.display()
                )),
            });
        }
        if genes.is_empty() {
            return Err(PerturbError::Input(format!(
                "{}: none of the {} signature genes is a gene of the expression matrix; check \
                 that they use the same gene identifiers",
                path.display(),
                missing.len()
            )));
        }
        // Name the file in what `new` finds wrong (all weights 0) too.
        let signature = Signature::new(genes).map_err(|e| match e {
            PerturbError::Input(m) => PerturbError::Input(format!("{}: {m}", path.display())),
            e => e,
        })?;
        Ok((signature, missing))
    }
}

/// Settings of [`screen`].
#[derive(Debug, Clone, PartialEq)]
pub struct ScreenParams {
    /// Level of each perturbed gene as a multiple of its baseline (0: knockout).
    pub factor: f64,
    /// Also screen all pairs of the best `pair_top` single candidates.
    pub pairs: bool,
    /// Single candidates combined into pairs.
    pub pair_top: usize,
    /// Most-changed genes listed per candidate.
    pub top_genes: usize,
    /// A signature gene counts as moved when it changes by more than this fraction
    /// of its baseline level.
    pub min_change: f64,
}

impl ScreenParams {
    /// Pairs are formed from the 20 best single candidates: 190 pairs, a tenth of
    /// the cost of a 1,800-TF single screen (our choice).
    pub const PAIR_TOP: usize = 20;
    /// Genes listed per candidate (our choice: a readable column).
    pub const TOP_GENES: usize = 5;
    /// A change counts at 10% of the baseline level, the threshold the validation
    /// uses for "changed" genes (issue 7; docs/perturb.md).
    pub const MIN_CHANGE: f64 = 0.1;

    /// Checks ranges.
    pub fn validate(&self) -> Result<(), PerturbError> {
        if !(self.factor.is_finite() && self.factor >= 0.0) || self.factor == 1.0 {
            return Err(PerturbError::Param(format!(
                "the perturbation factor must be finite, non-negative and not 1 (0 is a \
                 knockout), got {}",
                self.factor
            )));
        }
        if self.pairs && self.pair_top < 2 {
            return Err(PerturbError::Param(format!(
                "pairs need at least 2 top candidates, got {}",
                self.pair_top
            )));
        }
        if !(self.min_change.is_finite() && self.min_change >= 0.0) {
            return Err(PerturbError::Param(format!(
                "the minimum change must be finite and non-negative, got {}",
                self.min_change
            )));
        }
        Ok(())
    }
}

impl Default for ScreenParams {
    fn default() -> Self {
        ScreenParams {
            factor: 0.0,
            pairs: false,
            pair_top: Self::PAIR_TOP,
            top_genes: Self::TOP_GENES,
            min_change: Self::MIN_CHANGE,
        }
    }
}

/// One screened perturbation.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// What was perturbed.
    pub perturbation: Perturbation,
    /// Weighted mean change of the signature in the wanted directions, in standard
    /// deviations (higher is better).
    pub score: f64,
    /// Signature genes moved in the wanted direction by more than `min_change`.
    pub wanted: usize,
    /// Signature genes moved against the wanted direction by more than
    /// `min_change`.
    pub against: usize,
    /// `score - Σ score(single)` for pairs; `None` for single perturbations.
    pub synergy: Option<f64>,
    /// The most-changed genes other than the perturbed ones: (gene, change in
    /// standard deviations), largest |change| first.
    pub top: Vec<(usize, f64)>,
}

/// Predicts every candidate (gene indices) and, with `pairs`, every pair of the
/// best ones; returns all hits ranked by score (highest first, ties by name).
pub fn screen(
    predictor: &Predictor<'_>,
    signature: &Signature,
    candidates: &[usize],
    params: &ScreenParams,
    progress: &dyn Progress,
) -> Result<Vec<Hit>, PerturbError> {
    params.validate()?;
    let model = predictor.model();
    let names = model.genes();
    let mut unique = Vec::with_capacity(candidates.len());
    for &c in candidates {
        if c >= model.n_genes() {
            return Err(PerturbError::Param(format!(
                "candidate gene index {c} is out of range ({} genes)",
                model.n_genes()
            )));
        }
        if !unique.contains(&c) {
            unique.push(c);
        }
    }
    if unique.is_empty() {
        return Err(PerturbError::Input("no candidate to screen".into()));
    }
    progress.start("candidates", unique.len() as u64);
    let singles: Vec<Hit> = unique
        .par_iter()
        .map(|&g| {
            let hit = evaluate(
                predictor,
                signature,
                Perturbation::scale(g, params.factor),
                params,
            );
            progress.advance(1);
            hit
        })
        .collect::<Result<_, _>>()?;
    let mut hits = singles;
    let by_score = |a: &Hit, b: &Hit| {
        b.score.total_cmp(&a.score).then_with(|| {
            a.perturbation
                .label(names)
                .cmp(&b.perturbation.label(names))
        })
    };
    hits.sort_by(by_score);
    if params.pairs {
        let top: Vec<&Hit> = hits.iter().take(params.pair_top).collect();
        let mut jobs = Vec::new();
        for i in 0..top.len() {
            for j in i + 1..top.len() {
                jobs.push((top[i], top[j]));
            }
        }
        progress.start("pairs", jobs.len() as u64);
        let pairs: Vec<Hit> = jobs
            .par_iter()
            .map(|&(a, b)| {
                let mut hit = evaluate(
                    predictor,
                    signature,
                    a.perturbation.clone().and(&b.perturbation),
                    params,
                )?;
                hit.synergy = Some(hit.score - a.score - b.score);
                progress.advance(1);
                Ok(hit)
            })
            .collect::<Result<_, PerturbError>>()?;
        hits.extend(pairs);
        hits.sort_by(by_score);
    }
    Ok(hits)
}

fn evaluate(
    predictor: &Predictor<'_>,
    signature: &Signature,
    perturbation: Perturbation,
    params: &ScreenParams,
) -> Result<Hit, PerturbError> {
    let model = predictor.model();
    let delta = predictor.predict(&perturbation)?.delta;
    let baseline = predictor.baseline();
    let z = |g: usize| {
        let sd = model.sd(g);
        if sd > 0.0 { delta[g] / sd } else { 0.0 }
    };
    let (mut sum, mut total) = (0.0, 0.0);
    let (mut wanted, mut against) = (0, 0);
    for &(g, w) in signature.genes() {
        sum += w * z(g);
        total += w.abs();
        if delta[g] != 0.0 && delta[g].abs() > params.min_change * baseline[g].abs() {
            if (delta[g] > 0.0) == (w > 0.0) {
                wanted += 1;
            } else if w != 0.0 {
                against += 1;
            }
        }
    }
    let perturbed: Vec<usize> = perturbation.changes().iter().map(|&(g, _)| g).collect();
    let mut moved: Vec<(usize, f64)> = (0..delta.len())
        .filter(|&g| delta[g] != 0.0 && !perturbed.contains(&g))
        .map(|g| (g, z(g)))
        .collect();
    let names = model.genes();
    moved.sort_by(|a, b| {
        b.1.abs()
            .total_cmp(&a.1.abs())
            .then_with(|| names[a.0].cmp(&names[b.0]))
    });
    moved.truncate(params.top_genes);
    Ok(Hit {
        perturbation,
        score: sum / total,
        wanted,
        against,
        synergy: None,
        top: moved,
    })
}

/// Writes the ranking as TSV: `rank perturbation score moved_wanted moved_against
/// synergy top_genes`, the top genes as `gene:change` in standard deviations.
pub fn write_ranking(hits: &[Hit], names: &[String], w: &mut dyn Write) -> io::Result<()> {
    w.write_all(b"rank\tperturbation\tscore\tmoved_wanted\tmoved_against\tsynergy\ttop_genes\n")?;
    for (i, h) in hits.iter().enumerate() {
        let synergy = h
            .synergy
            .map_or_else(|| "NA".to_string(), |s| s.to_string());
        let top: Vec<String> = h
            .top
            .iter()
            .map(|&(g, z)| format!("{}:{z:+.3}", names[g]))
            .collect();
        writeln!(
            w,
            "{}\t{}\t{}\t{}\t{}\t{synergy}\t{}",
            i + 1,
            h.perturbation.label(names),
            h.score,
            h.wanted,
            h.against,
            if top.is_empty() {
                "NA".to_string()
            } else {
                top.join(",")
            }
        )?;
    }
    Ok(())
}

/// Writes the ranking atomically to `path` (gzipped when it ends in `.gz`).
pub fn save_ranking(hits: &[Hit], names: &[String], path: &Path) -> Result<(), FileError> {
    files::write_atomic(path, |w| write_ranking(hits, names, w))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::perturb::PropagationParams;

    /// A -> B -> C (0.5, 2) and D -> C (-1), all sd 1 (a model without data).
    fn model() -> ResponseModel {
        let genes: Vec<String> = ["A", "B", "C", "D"].map(String::from).into();
        ResponseModel::linear(genes, &[(0, 1, 0.5), (1, 2, 2.0), (3, 2, -1.0)]).unwrap()
    }

    #[test]
    fn scores_are_weighted_standardised_changes() {
        let m = model();
        let p =
            Predictor::new(&m, vec![2.0, 1.0, 2.0, 1.0], &PropagationParams::default()).unwrap();
        // C should go down (weight -2), B up (weight 1).
        let sig = Signature::new(vec![(2, -2.0), (1, 1.0)]).unwrap();
        let hits = screen(
            &p,
            &sig,
            &[0, 3, 0],
            &ScreenParams::default(),
            &crate::Quiet,
        )
        .unwrap();
        assert_eq!(hits.len(), 2, "duplicates are screened once");
        // KO A: dB = -1, dC = -2: score (-2 * -2 + 1 * -1) / 3 = 1.
        // KO D: dC = +1: score (-2 * 1) / 3.
        assert_eq!(hits[0].perturbation.label(m.genes()), "A");
        assert!((hits[0].score - 1.0).abs() < 1e-12);
        assert_eq!((hits[0].wanted, hits[0].against), (1, 1));
        assert_eq!(hits[0].top, [(2, -2.0), (1, -1.0)]);
        assert!((hits[1].score + 2.0 / 3.0).abs() < 1e-12);
        assert_eq!((hits[1].wanted, hits[1].against), (0, 1));

        let pairs = ScreenParams {
            pairs: true,
            ..ScreenParams::default()
        };
        let hits = screen(&p, &sig, &[0, 3], &pairs, &crate::Quiet).unwrap();
        assert_eq!(hits.len(), 3);
        let pair = hits.iter().find(|h| h.synergy.is_some()).unwrap();
        // Linear and no shared clamp: the pair is additive, synergy 0.
        assert!(pair.synergy.unwrap().abs() < 1e-12);
        assert!((pair.score - (1.0 - 2.0 / 3.0)).abs() < 1e-12);
    }

    #[test]
    fn signature_files() {
        let m = model();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sig.tsv");
        std::fs::write(&p, "gene,weight\n# comment\nC,down\nB,+\nX,up\nA,0.5\n").unwrap();
        let (sig, missing) = Signature::read(&p, &m).unwrap();
        assert_eq!(sig.genes(), [(2, -1.0), (1, 1.0), (0, 0.5)]);
        assert_eq!(missing, ["X"]);
        std::fs::write(&p, "C\tdown\nC\tup\n").unwrap();
        let e = Signature::read(&p, &m).unwrap_err().to_string();
        assert!(e.contains(":2:") && e.contains("twice"), "{e}");
        std::fs::write(&p, "X\tdown\n").unwrap();
        assert!(Signature::read(&p, &m).is_err());
        std::fs::write(&p, "C\n").unwrap();
        let e = Signature::read(&p, &m).unwrap_err().to_string();
        assert!(e.contains(":1:"), "{e}");
    }
}
