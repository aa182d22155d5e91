//! [`EdgeTable`]: the ranked list of scored regulator -> target pairs that every
//! inference method returns and that evaluation, consensus and export consume.
//!
//! Columnar (indices into one name table plus parallel score and sign columns) so a
//! few million edges stay compact, with one sort and one TSV reader/writer for the
//! whole crate.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;

use crate::files::{self, FileError, ParseError};

/// Direction of a regulatory effect, when a method can tell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sign {
    /// The regulator raises the target (`+`).
    Activation,
    /// The regulator lowers the target (`-`).
    Repression,
    /// Not known, or no association (`0`).
    Unknown,
}

impl Sign {
    /// The sign of a correlation-like number (zero and NaN give `Unknown`).
    pub fn of(x: f64) -> Sign {
        if x > 0.0 {
            Sign::Activation
        } else if x < 0.0 {
            Sign::Repression
        } else {
            Sign::Unknown
        }
    }

    /// The text written in the `sign` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Sign::Activation => "+",
            Sign::Repression => "-",
            Sign::Unknown => "0",
        }
    }

    /// +1, -1 or 0.
    pub fn as_f64(self) -> f64 {
        match self {
            Sign::Activation => 1.0,
            Sign::Repression => -1.0,
            Sign::Unknown => 0.0,
        }
    }

    /// Parses `+`/`-`/`0` and the words used by SIF and other tools.
    pub fn parse(text: &str) -> Option<Sign> {
        match text.trim().to_ascii_lowercase().as_str() {
            "+" | "1" | "+1" | "activation" | "activates" | "activator" | "up" => {
                Some(Sign::Activation)
            }
            "-" | "-1" | "repression" | "represses" | "repressor" | "inhibits" | "down" => {
                Some(Sign::Repression)
            }
            "0" | "?" | "" | "unknown" | "regulates" | "na" => Some(Sign::Unknown),
            _ => None,
        }
    }
}

/// One scored edge, as yielded by [`EdgeTable::iter`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    /// Index of the regulator in [`EdgeTable::genes`].
    pub regulator: usize,
    /// Index of the target.
    pub target: usize,
    /// Score (higher is more confident).
    pub score: f64,
    /// Direction, `Unknown` when the table has no signs.
    pub sign: Sign,
}

/// Why an edge table could not be read.
pub type EdgeTableError = files::InputError;

/// Scored regulator -> target pairs over a table of gene names.
#[derive(Debug, Clone, Default)]
pub struct EdgeTable {
    genes: Arc<[String]>,
    regulator: Vec<u32>,
    target: Vec<u32>,
    score: Vec<f64>,
    sign: Option<Vec<Sign>>,
}

impl EdgeTable {
    /// An empty table over these gene names; `signed` says whether it has a sign
    /// column.
    pub fn new(genes: Arc<[String]>, signed: bool) -> Self {
        EdgeTable {
            genes,
            sign: signed.then(Vec::new),
            ..Default::default()
        }
    }

    /// Gene names that edge indices refer to.
    pub fn genes(&self) -> &Arc<[String]> {
        &self.genes
    }

    /// Number of edges.
    pub fn len(&self) -> usize {
        self.score.len()
    }

    /// True when there are no edges.
    pub fn is_empty(&self) -> bool {
        self.score.is_empty()
    }

    /// Whether edges carry a sign.
    pub fn is_signed(&self) -> bool {
        self.sign.is_some()
    }

    /// Appends an edge; `sign` is ignored (and may be `Unknown`) for unsigned tables.
    pub fn push(&mut self, regulator: usize, target: usize, score: f64, sign: Sign) {
        debug_assert!(regulator < self.genes.len() && target < self.genes.len());
        self.regulator.push(regulator as u32);
        self.target.push(target as u32);
        self.score.push(score);
        if let Some(s) = &mut self.sign {
            s.push(sign);
        }
    }

    /// The `i`-th edge.
    pub fn get(&self, i: usize) -> Edge {
        Edge {
            regulator: self.regulator[i] as usize,
            target: self.target[i] as usize,
            score: self.score[i],
            sign: self.sign.as_ref().map_or(Sign::Unknown, |s| s[i]),
        }
    }

    /// Edges in table order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Edge> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Replaces every sign (makes the table signed).
    pub fn set_signs(&mut self, signs: Vec<Sign>) {
        assert_eq!(signs.len(), self.len(), "one sign per edge");
        self.sign = Some(signs);
    }

    /// Sorts by score, highest first; ties by regulator name, then target name, so the
    /// order never depends on how the edges were produced.
    pub fn sort_by_score(&mut self) {
        let mut order: Vec<usize> = (0..self.len()).collect();
        let g = &self.genes;
        order.sort_unstable_by(|&a, &b| {
            self.score[b]
                .total_cmp(&self.score[a])
                .then_with(|| g[self.regulator[a] as usize].cmp(&g[self.regulator[b] as usize]))
                .then_with(|| g[self.target[a] as usize].cmp(&g[self.target[b] as usize]))
        });
        self.permute(&order);
    }

    /// Keeps only the edges for which `keep` is true, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&Edge) -> bool) {
        let order: Vec<usize> = (0..self.len()).filter(|&i| keep(&self.get(i))).collect();
        self.permute(&order);
    }

    /// Keeps the first `n` edges.
    pub fn truncate(&mut self, n: usize) {
        self.regulator.truncate(n);
        self.target.truncate(n);
        self.score.truncate(n);
        if let Some(s) = &mut self.sign {
            s.truncate(n);
        }
    }

    fn permute(&mut self, order: &[usize]) {
        self.regulator = order.iter().map(|&i| self.regulator[i]).collect();
        self.target = order.iter().map(|&i| self.target[i]).collect();
        self.score = order.iter().map(|&i| self.score[i]).collect();
        if let Some(s) = &mut self.sign {
            *s = order.iter().map(|&i| s[i]).collect();
        }
    }

    /// Writes `regulator<TAB>target<TAB>score[<TAB>sign]` with a header line.
    pub fn write_tsv(&self, w: &mut dyn Write) -> io::Result<()> {
        let signed = self.is_signed();
        w.write_all(if signed {
            b"regulator\ttarget\tscore\tsign\n"
        } else {
            b"regulator\ttarget\tscore\n"
        })?;
        for e in self.iter() {
            write!(
                w,
                "{}\t{}\t{}",
                quote_name(&self.genes[e.regulator]),
                quote_name(&self.genes[e.target]),
                e.score
            )?;
            if signed {
                write!(w, "\t{}", e.sign.as_str())?;
            }
            w.write_all(b"\n")?;
        }
        Ok(())
    }

    /// Writes the table atomically to `path` (gzipped when it ends in `.gz`).
    pub fn save_tsv(&self, path: &Path) -> Result<(), FileError> {
        files::write_atomic(path, |w| self.write_tsv(w))
    }

    /// Reads an edge list: our own TSV output, or any `regulator target score` file
    /// such as arboreto/pySCENIC adjacencies (`TF target importance`). Tab separated,
    /// header optional (recognised by a non-numeric score), quotes stripped, a fourth
    /// column read as the sign when the header names it `sign`. Gene names are
    /// indexed in order of first appearance.
    pub fn read_tsv(path: &Path) -> Result<EdgeTable, EdgeTableError> {
        let text = files::read_to_string(path)?;
        Self::parse_tsv(&text, path)
    }

    /// [`EdgeTable::read_tsv`] of text already in memory; `path` names it in errors.
    pub fn parse_tsv(text: &str, path: &Path) -> Result<EdgeTable, EdgeTableError> {
        let invalid = |line: usize, message: String| {
            EdgeTableError::from(ParseError::at_line(path, line, message))
        };
        let mut names: Vec<String> = Vec::new();
        let mut index: HashMap<String, u32> = HashMap::new();
        let mut intern = |name: &str| -> u32 {
            if let Some(&i) = index.get(name) {
                return i;
            }
            let i = names.len() as u32;
            names.push(name.to_string());
            index.insert(name.to_string(), i);
            i
        };
        let (mut reg, mut tgt, mut score, mut sign) = (vec![], vec![], vec![], vec![]);
        let mut sign_column: Option<usize> = None;
        let mut seen_data = false;
        for (n, line) in text.lines().enumerate() {
            let line_no = n + 1;
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let unquoted: Vec<std::borrow::Cow<str>> = line.split('\t').map(unquote_name).collect();
            let fields: Vec<&str> = unquoted.iter().map(|f| f.as_ref()).collect();
            if fields.len() < 3 {
                return Err(invalid(
                    line_no,
                    format!(
                        "expected at least 3 tab-separated fields (regulator, target, score), \
                         found {}",
                        fields.len()
                    ),
                ));
            }
            if looks_like_matrix_row(&fields) {
                return Err(invalid(
                    line_no,
                    format!(
                        "{} tab-separated fields, all numeric after the first: this looks \
                         like an expression matrix, not an edge list (regulator, target, \
                         score[, sign]); give the matrix with -e and a network from \
                         `grn infer` with -n",
                        fields.len()
                    ),
                ));
            }
            let value = fields[2].parse::<f64>();
            if !seen_data && value.is_err() {
                // Header line.
                sign_column = fields.iter().position(|f| f.eq_ignore_ascii_case("sign"));
                seen_data = true;
                continue;
            }
            seen_data = true;
            let value = value.ok().filter(|v| !v.is_nan()).ok_or_else(|| {
                invalid(
                    line_no,
                    format!(
                        "expected a numeric score in column 3, found {:?}",
                        fields[2]
                    ),
                )
            })?;
            if fields[0].is_empty() || fields[1].is_empty() {
                return Err(invalid(line_no, "empty gene name".into()));
            }
            reg.push(intern(fields[0]));
            tgt.push(intern(fields[1]));
            score.push(value);
            if let Some(c) = sign_column {
                let text = fields.get(c).copied().unwrap_or("");
                sign.push(Sign::parse(text).ok_or_else(|| {
                    invalid(
                        line_no,
                        format!(
                            "expected a sign (+, - or 0) in column {}, found {text:?}",
                            c + 1
                        ),
                    )
                })?);
            }
        }
        Ok(EdgeTable {
            genes: names.into(),
            regulator: reg,
            target: tgt,
            score,
            sign: sign_column.map(|_| sign),
        })
    }
}

/// Edge lists have 3 or 4 columns (a few more for other tools' extras); a row of 5
/// or more in which everything after the first field is a number is a row of an
/// expression matrix, which would otherwise be read as edges between "genes"
/// named by its values.
fn looks_like_matrix_row(fields: &[&str]) -> bool {
    fields.len() >= 5 && fields[1..].iter().all(|f| f.parse::<f64>().is_ok())
}

/// A name as a TSV field: quoted CSV-style (`"` doubled) when reading it back
/// would otherwise change it (surrounding quotes or spaces, or a leading `#` that
/// would start a comment line).
fn quote_name(name: &str) -> std::borrow::Cow<'_, str> {
    let needs = name.starts_with(['"', '#']) || name.ends_with('"') || name.trim() != name;
    if needs {
        format!("\"{}\"", name.replace('"', "\"\"")).into()
    } else {
        name.into()
    }
}

/// A TSV field as written by [`quote_name`] or by pandas/R: surrounding spaces
/// dropped, and a quoted field unquoted with `""` read as `"`. Quotes inside an
/// unquoted field are part of the name.
fn unquote_name(field: &str) -> std::borrow::Cow<'_, str> {
    let f = field.trim();
    if f.len() >= 2 && f.starts_with('"') && f.ends_with('"') {
        f[1..f.len() - 1].replace("\"\"", "\"").into()
    } else {
        f.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> EdgeTable {
        let genes: Arc<[String]> = ["b", "a", "c"].map(String::from).into();
        let mut t = EdgeTable::new(genes, true);
        t.push(0, 2, 0.5, Sign::Activation);
        t.push(1, 2, 0.5, Sign::Repression);
        t.push(2, 0, 0.9, Sign::Unknown);
        t
    }

    #[test]
    fn sorts_by_score_then_names() {
        let mut t = table();
        t.sort_by_score();
        let names: Vec<_> = t
            .iter()
            .map(|e| (t.genes()[e.regulator].clone(), e.sign))
            .collect();
        assert_eq!(
            names,
            [
                ("c".into(), Sign::Unknown),
                ("a".into(), Sign::Repression),
                ("b".into(), Sign::Activation)
            ]
        );
    }

    #[test]
    fn tsv_round_trip() {
        let mut t = table();
        t.sort_by_score();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("e.tsv.gz");
        t.save_tsv(&p).unwrap();
        let back = EdgeTable::read_tsv(&p).unwrap();
        assert!(back.is_signed());
        let show = |t: &EdgeTable| -> Vec<(String, String, f64, Sign)> {
            t.iter()
                .map(|e| {
                    (
                        t.genes()[e.regulator].clone(),
                        t.genes()[e.target].clone(),
                        e.score,
                        e.sign,
                    )
                })
                .collect()
        };
        assert_eq!(show(&t), show(&back));
    }

    #[test]
    fn names_with_quotes_spaces_and_hashes_round_trip() {
        let names = ["say \"hi\"", "\"quoted\"", " padded ", "#hash", "plain"];
        let genes: Arc<[String]> = names.map(String::from).into();
        let mut t = EdgeTable::new(genes, false);
        for i in 0..names.len() {
            t.push(
                i,
                (i + 1) % names.len(),
                1.0 - i as f64 / 10.0,
                Sign::Unknown,
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("q.tsv");
        t.save_tsv(&p).unwrap();
        let back = EdgeTable::read_tsv(&p).unwrap();
        assert_eq!(back.len(), names.len());
        for (a, b) in t.iter().zip(back.iter()) {
            assert_eq!(t.genes()[a.regulator], back.genes()[b.regulator]);
            assert_eq!(t.genes()[a.target], back.genes()[b.target]);
        }
    }

    #[test]
    fn reads_headerless_arboreto_and_reports_bad_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("adj.tsv");
        std::fs::write(&p, "TF1\tG1\t3.5\nTF2\tG1\t1e-3\n").unwrap();
        let t = EdgeTable::read_tsv(&p).unwrap();
        assert_eq!(t.len(), 2);
        assert!(!t.is_signed());
        std::fs::write(&p, "TF\ttarget\timportance\nTF1\tG1\tabc\n").unwrap();
        let e = EdgeTable::read_tsv(&p).unwrap_err().to_string();
        assert!(e.contains(":2:") && e.contains("numeric score"), "{e}");
    }
}
