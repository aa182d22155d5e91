//! Which genes may regulate: every gene, or a TF list resolved against a matrix.

use std::path::Path;

use super::{ExpressionError, ExpressionMatrix};
use crate::files;

/// Which genes may act as regulators.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Regulators {
    /// Every gene (the default when no TF list is given).
    #[default]
    All,
    /// Only these gene indices (sorted, unique).
    Only(Vec<usize>),
}

impl Regulators {
    /// The regulator indices for a matrix with `n_genes` genes.
    pub fn indices(&self, n_genes: usize) -> Vec<usize> {
        match self {
            Regulators::All => (0..n_genes).collect(),
            Regulators::Only(v) => v.clone(),
        }
    }

    /// Whether gene `i` may regulate.
    pub fn contains(&self, i: usize) -> bool {
        match self {
            Regulators::All => true,
            Regulators::Only(v) => v.binary_search(&i).is_ok(),
        }
    }
}

impl ExpressionMatrix {
    /// Resolves a list of regulator (TF) names against this matrix. Names absent from
    /// the matrix are returned so the caller can warn; an empty result is an error
    /// because no gene could then be scored.
    pub fn resolve_regulators(
        &self,
        names: &[String],
    ) -> Result<(Regulators, Vec<String>), String> {
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for name in names {
            match self.gene_index(name) {
                Some(i) => found.push(i),
                None => missing.push(name.clone()),
            }
        }
        found.sort_unstable();
        found.dedup();
        if found.is_empty() {
            return Err(format!(
                "none of the {} regulator names is a gene of the expression matrix \
                 (first: {}); check that the TF list uses the same gene identifiers",
                names.len(),
                names.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        Ok((Regulators::Only(found), missing))
    }
}

/// Reads a list of gene names, one per line (first field of tab/comma separated
/// lines; blank lines and `#` comments ignored; quotes stripped; duplicates kept once).
pub fn read_gene_list(path: &Path) -> Result<Vec<String>, ExpressionError> {
    read_name_list(path, "gene")
}

/// Reads a list of names (genes, cells), one per line, as [`read_gene_list`]
/// does; `what` names them in the error for an empty list.
pub fn read_name_list(path: &Path, what: &str) -> Result<Vec<String>, ExpressionError> {
    let text = files::read_to_string(path)?;
    let mut seen = std::collections::HashSet::new();
    let mut names = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let name = line
            .split(['\t', ','])
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        if !name.is_empty() && seen.insert(name.to_string()) {
            names.push(name.to_string());
        }
    }
    if names.is_empty() {
        return Err(ExpressionError::at(
            path,
            None,
            None,
            format!("the {what} list is empty; expected one {what} name per line"),
        ));
    }
    Ok(names)
}
