//! Target shards: one tree-method run split into blocks of targets that run on
//! different machines (Slurm jobs, Dask workers) and merge into exactly the bytes of
//! the single run.
//!
//! A tree method fits one model per target, on its own random stream seeded by
//! (seed, global target index) ([`crate::infer`]), so any block of targets can be
//! scored anywhere; arboreto (Moerman et al. 2019, Bioinformatics 35:2159) spreads
//! targets over a Dask cluster the same way. Shard `I/N` scores the `I`-th of `N`
//! contiguous blocks ([`Shard::targets`]), ranks its edges exactly as the single run
//! ranks all of them (score, then regulator and target name), keeps its own best
//! `top` (an edge of the global top `top` is in the top `top` of its shard) and signs
//! them. [`merge`] concatenates the shards, ranks again and cuts at `top`: the same
//! total order over the same edges gives the same table.
//!
//! Pairwise and consensus methods cannot be split this way (a CLR, ARACNe or MRNET
//! score uses the scores of every gene; a consensus ranks all pairs at once), and
//! [`crate::infer::ValidInferParams::infer_shard`] refuses them.
//!
//! A shard file is an edge list ([`EdgeTable::write_tsv`]) under one comment line
//! that describes the run ([`RunKey`]): method, a hash of every setting, seed, `top`,
//! and a fingerprint of the input (gene names, regulators and values), so [`merge`]
//! refuses shards of different runs, a missing or repeated shard, or a truncated
//! file, instead of writing a wrong network.
//!
//! Cost: a shard costs `1/N` of the run's model fits plus one binning of the
//! matrix and one ranking of its regulators (`O(genes x samples log samples)`,
//! and the block's targets are ranked for their signs), which shards scored
//! in one process on the same [`crate::infer::Prepared`] matrix share; merging `E`
//! edges costs `O(E log E)`.
//!
//! ```
//! use grn::expression::{ExpressionMatrix, Regulators};
//! use grn::infer::{InferParams, Prepared, TreeMethod};
//! use grn::shard::{merge, Shard};
//! let n = 30;
//! let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
//! let b: Vec<f32> = a.iter().map(|v| 2.0 * v + 0.1).collect();
//! let c: Vec<f32> = (0..n).map(|i| ((i * 13 % 7) as f32)).collect();
//! let values = ndarray::Array2::from_shape_vec((3, n), [a, b, c].concat()).unwrap();
//! let samples = (0..n).map(|i| format!("s{i}")).collect();
//! let m = ExpressionMatrix::new(vec!["A".into(), "B".into(), "C".into()], samples, values).unwrap();
//! let params = InferParams { method: TreeMethod::GrnBoost2.into(), ..Default::default() };
//! let valid = params.check().unwrap();
//! // Binned and ranked once, for both shards.
//! let input = Prepared::new(&m);
//! let shards = (0..2)
//!     .map(|i| valid.infer_shard(&input, &Regulators::All, Shard::new(i, 2).unwrap(), None, &grn::Quiet))
//!     .collect::<Result<Vec<_>, _>>()
//!     .unwrap();
//! let merged = merge(shards).unwrap();
//! let single = valid.infer(&input, &Regulators::All, &grn::Quiet).unwrap();
//! let tsv = |t: &grn::network::EdgeTable| {
//!     let mut out = Vec::new();
//!     t.write_tsv(&mut out).unwrap();
//!     out
//! };
//! assert_eq!(tsv(&merged), tsv(&single));
//! ```

use std::collections::HashMap;
use std::io::{self, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::expression::{ExpressionMatrix, Regulators};
use crate::files::{self, FileError, InputError, ParseError};
use crate::network::EdgeTable;

/// Why a shard could not be named, read or merged.
#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    /// A shard spec is not `I/N` with `1 <= I <= N`.
    #[error("{0}")]
    Spec(String),
    /// A shard file could not be read, or is not a shard file.
    #[error(transparent)]
    Input(#[from] InputError),
    /// A shard file could not be written.
    #[error(transparent)]
    File(#[from] FileError),
    /// The shards do not make one whole run.
    #[error("{0}")]
    Merge(String),
}

/// The `index`-th (0-based) of `count` contiguous blocks of targets; written and
/// parsed 1-based, as `I/N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shard {
    index: usize,
    count: usize,
}

impl Shard {
    /// Block `index` (0-based) of `count`.
    pub fn new(index: usize, count: usize) -> Result<Shard, ShardError> {
        if count == 0 || index >= count {
            return Err(ShardError::Spec(format!(
                "shard {}/{count}: expected I/N with 1 <= I <= N",
                index + 1
            )));
        }
        Ok(Shard { index, count })
    }

    /// The whole run as one shard.
    pub fn whole() -> Shard {
        Shard { index: 0, count: 1 }
    }

    /// 0-based index.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Number of shards of the run.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The targets (gene indices) of this block among `n_genes`: blocks differ in
    /// size by at most one, and `N` shards cover every target exactly once. A shard
    /// can be empty when there are more shards than genes.
    pub fn targets(&self, n_genes: usize) -> Range<usize> {
        let at = |i: usize| (i as u128 * n_genes as u128 / self.count as u128) as usize;
        at(self.index)..at(self.index + 1)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index + 1, self.count)
    }
}

impl std::str::FromStr for Shard {
    type Err = ShardError;

    fn from_str(s: &str) -> Result<Shard, ShardError> {
        let bad = || {
            ShardError::Spec(format!(
                "shard {s:?}: expected I/N, the I-th of N blocks of targets (1 <= I <= N), \
                 e.g. 2/8"
            ))
        };
        let (i, n) = s.trim().split_once('/').ok_or_else(bad)?;
        let i: usize = i.trim().parse().map_err(|_| bad())?;
        let n: usize = n.trim().parse().map_err(|_| bad())?;
        if i == 0 || n == 0 || i > n {
            return Err(bad());
        }
        Shard::new(i - 1, n)
    }
}

/// What every shard of one run shares. Two shards merge only when their keys are
/// equal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunKey {
    /// The method's name.
    pub method: String,
    /// Hash of every setting of the run (the ensemble and the inference
    /// parameters), so shards of runs that differ in any setting do not merge.
    pub settings: u64,
    /// The seed.
    pub seed: u64,
    /// The run's `top` cut.
    pub top: Option<usize>,
    /// Genes of the matrix (the targets that the shards split).
    pub genes: usize,
    /// Samples of the matrix.
    pub samples: usize,
    /// Fingerprint of the input: gene names, regulators and values.
    pub input: u64,
    /// Version of the library that scored the shard.
    pub version: String,
}

impl RunKey {
    /// The key of a run of `method` with settings described by `settings` (a
    /// `Debug` rendering of every parameter) on this input.
    pub fn new(
        matrix: &ExpressionMatrix,
        regulators: &Regulators,
        method: &str,
        settings: &str,
        seed: u64,
        top: Option<usize>,
    ) -> RunKey {
        let mut h = Fnv::default();
        h.bytes(settings.as_bytes());
        RunKey {
            method: method.to_string(),
            settings: h.0,
            seed,
            top,
            genes: matrix.n_genes(),
            samples: matrix.n_samples(),
            input: fingerprint(matrix, regulators),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    /// The fields as written in the header, in order.
    fn fields(&self) -> [(&'static str, String); 8] {
        [
            ("method", self.method.clone()),
            ("seed", self.seed.to_string()),
            ("top", self.top.map_or("all".into(), |t| t.to_string())),
            ("genes", self.genes.to_string()),
            ("samples", self.samples.to_string()),
            ("input", format!("{:016x}", self.input)),
            ("settings", format!("{:016x}", self.settings)),
            ("grn", self.version.clone()),
        ]
    }
}

/// 64-bit FNV-1a, over bytes and over 32-bit words (the values): stable across
/// platforms and builds, unlike `std`'s hasher, so shards scored on different
/// machines compare.
#[derive(Clone, Copy)]
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(Self::PRIME);
        }
    }

    fn word(&mut self, w: u64) {
        self.0 = (self.0 ^ w).wrapping_mul(Self::PRIME);
    }
}

/// Fingerprint of what the scores depend on: the gene names in order, the
/// regulators and every value's bits.
fn fingerprint(matrix: &ExpressionMatrix, regulators: &Regulators) -> u64 {
    let mut h = Fnv::default();
    h.word(matrix.n_genes() as u64);
    h.word(matrix.n_samples() as u64);
    for g in matrix.genes() {
        h.word(g.len() as u64);
        h.bytes(g.as_bytes());
    }
    match regulators {
        Regulators::All => h.word(u64::MAX),
        Regulators::Only(regs) => {
            h.word(regs.len() as u64);
            for &r in regs {
                h.word(r as u64);
            }
        }
    }
    for &v in matrix.values().iter() {
        h.word(u64::from(v.to_bits()));
    }
    h.0
}

/// One shard's ranked, signed edges and the run they belong to.
#[derive(Debug, Clone)]
pub struct ShardTable {
    /// Which block.
    pub shard: Shard,
    /// The run.
    pub key: RunKey,
    /// The block's edges, ranked as the single run ranks them.
    pub edges: EdgeTable,
    /// Where the shard was read from (or a name for one in memory), for messages.
    pub origin: PathBuf,
}

/// The first word of a shard file.
const MAGIC: &str = "#grn-shard";

impl ShardTable {
    /// Writes the header line, then the edges as [`EdgeTable::write_tsv`].
    pub fn write_tsv(&self, w: &mut dyn Write) -> io::Result<()> {
        let targets = self.shard.targets(self.key.genes);
        write!(
            w,
            "{MAGIC}\tshard={}\ttargets={}-{}",
            self.shard, targets.start, targets.end
        )?;
        for (k, v) in self.key.fields() {
            write!(w, "\t{k}={v}")?;
        }
        writeln!(w, "\tedges={}", self.edges.len())?;
        self.edges.write_tsv(w)
    }

    /// Writes the shard atomically to `path` (gzipped when it ends in `.gz`).
    pub fn save_tsv(&self, path: &Path) -> Result<(), ShardError> {
        Ok(files::write_atomic(path, |w| self.write_tsv(w))?)
    }

    /// Reads a shard file written by [`ShardTable::save_tsv`].
    pub fn read_tsv(path: &Path) -> Result<ShardTable, ShardError> {
        let text = files::read_to_string(path).map_err(InputError::from)?;
        Self::parse_tsv(&text, path)
    }

    /// [`ShardTable::read_tsv`] of text in memory; `origin` names it in errors.
    pub fn parse_tsv(text: &str, origin: &Path) -> Result<ShardTable, ShardError> {
        let invalid = |column: Option<usize>, message: String| {
            ShardError::Input(ParseError::new(origin, Some(1), column, message).into())
        };
        let first = text.lines().next().unwrap_or("");
        let fields: Vec<&str> = first.split('\t').collect();
        if fields[0] != MAGIC {
            return Err(invalid(
                None,
                format!(
                    "not a shard file: expected a first line starting with {MAGIC:?}, as \
                     `grn infer --targets-shard I/N` writes; `grn merge` takes only shard \
                     files"
                ),
            ));
        }
        let mut values: HashMap<&str, (usize, &str)> = HashMap::new();
        for (i, f) in fields.iter().enumerate().skip(1) {
            let (k, v) = f
                .split_once('=')
                .ok_or_else(|| invalid(Some(i + 1), format!("expected key=value, found {f:?}")))?;
            values.insert(k, (i + 1, v));
        }
        let get = |key: &str| -> Result<(usize, &str), ShardError> {
            values
                .get(key)
                .copied()
                .ok_or_else(|| invalid(None, format!("the header has no {key}=")))
        };
        fn number<T: TryFrom<u64>>(
            invalid: &dyn Fn(Option<usize>, String) -> ShardError,
            (col, v): (usize, &str),
            what: &str,
            radix16: bool,
        ) -> Result<T, ShardError> {
            let parsed = if radix16 {
                u64::from_str_radix(v, 16).ok()
            } else {
                v.parse::<u64>().ok()
            };
            parsed.and_then(|x| T::try_from(x).ok()).ok_or_else(|| {
                invalid(Some(col), format!("{what}: expected a number, found {v:?}"))
            })
        }
        let (col, spec) = get("shard")?;
        let shard: Shard = spec
            .parse()
            .map_err(|e: ShardError| invalid(Some(col), e.to_string()))?;
        let top = match get("top")? {
            (_, "all") => None,
            t => Some(number::<usize>(&invalid, t, "top", false)?),
        };
        let key = RunKey {
            method: get("method")?.1.to_string(),
            settings: number(&invalid, get("settings")?, "settings", true)?,
            seed: number(&invalid, get("seed")?, "seed", false)?,
            top,
            genes: number(&invalid, get("genes")?, "genes", false)?,
            samples: number(&invalid, get("samples")?, "samples", false)?,
            input: number(&invalid, get("input")?, "input", true)?,
            version: get("grn")?.1.to_string(),
        };
        let declared: usize = number(&invalid, get("edges")?, "edges", false)?;
        let (col, targets) = get("targets")?;
        let expected = shard.targets(key.genes);
        if targets != format!("{}-{}", expected.start, expected.end) {
            return Err(invalid(
                Some(col),
                format!(
                    "targets {targets} are not block {shard} of {} genes ({}-{})",
                    key.genes, expected.start, expected.end
                ),
            ));
        }
        let edges = EdgeTable::parse_tsv(text, origin)?;
        if edges.len() != declared || !edges.is_signed() {
            return Err(ShardError::Merge(format!(
                "{}: the header declares {declared} signed edges but the file holds {}{}; \
                 it was cut short or edited: score shard {shard} again",
                origin.display(),
                edges.len(),
                if edges.is_signed() {
                    ""
                } else {
                    " without signs"
                }
            )));
        }
        Ok(ShardTable {
            shard,
            key,
            edges,
            origin: origin.to_path_buf(),
        })
    }
}

/// Merges the shards of one run into the table the single run gives. Checks that
/// they belong to one run (equal [`RunKey`]s), that each of the `N` shards is there
/// exactly once, then ranks all edges and applies the run's `top` cut.
pub fn merge(shards: Vec<ShardTable>) -> Result<EdgeTable, ShardError> {
    let Some(first) = shards.first() else {
        return Err(ShardError::Merge("no shard to merge".into()));
    };
    let count = first.shard.count;
    let mut seen: Vec<Option<&Path>> = vec![None; count];
    for s in &shards {
        if s.key != first.key {
            let (a, b) = (first.key.fields(), s.key.fields());
            let (k, va, vb) = a
                .iter()
                .zip(&b)
                .find(|(x, y)| x.1 != y.1)
                .map(|(x, y)| (x.0, x.1.clone(), y.1.clone()))
                .expect("keys differ in a field");
            return Err(ShardError::Merge(format!(
                "{} and {} are shards of different runs ({k} {va} vs {vb}); merge the shards \
                 of one run, scored with the same input, method and settings",
                first.origin.display(),
                s.origin.display()
            )));
        }
        if s.shard.count != count {
            return Err(ShardError::Merge(format!(
                "{} is shard {} but {} is shard {}: all shards must split the run into the \
                 same number of blocks",
                first.origin.display(),
                first.shard,
                s.origin.display(),
                s.shard
            )));
        }
        if let Some(other) = seen[s.shard.index] {
            return Err(ShardError::Merge(format!(
                "shard {} is given twice ({} and {}); give each shard once",
                s.shard,
                other.display(),
                s.origin.display()
            )));
        }
        seen[s.shard.index] = Some(&s.origin);
    }
    let missing: Vec<String> = (0..count)
        .filter(|&i| seen[i].is_none())
        .map(|i| format!("{}/{count}", i + 1))
        .collect();
    if !missing.is_empty() {
        return Err(ShardError::Merge(format!(
            "{} of {count} shards missing ({}); score them with --targets-shard and merge \
             all {count}",
            missing.len(),
            crate::named::first_few(&missing)
        )));
    }
    let key = first.key.clone();
    // One name table for all shards; ranking compares names, not indices, so the
    // order of this table does not matter.
    let mut names: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut rows = Vec::with_capacity(shards.iter().map(|s| s.edges.len()).sum());
    for s in &shards {
        let local: Vec<usize> = s
            .edges
            .genes()
            .iter()
            .map(|g| {
                *index.entry(g.clone()).or_insert_with(|| {
                    names.push(g.clone());
                    names.len() - 1
                })
            })
            .collect();
        rows.extend(
            s.edges
                .iter()
                .map(|e| (local[e.regulator], local[e.target], e.score, e.sign)),
        );
    }
    drop(shards);
    let genes: Arc<[String]> = names.into();
    let mut edges = EdgeTable::new(genes, true);
    for (r, t, score, sign) in rows {
        edges.push(r, t, score, sign);
    }
    edges.sort_by_score();
    if let Some(top) = key.top {
        edges.truncate(top);
    }
    Ok(edges)
}

/// Reads shard files and merges them ([`merge`]).
pub fn merge_files(paths: &[PathBuf]) -> Result<EdgeTable, ShardError> {
    let shards = paths
        .iter()
        .map(|p| ShardTable::read_tsv(p))
        .collect::<Result<Vec<_>, _>>()?;
    merge(shards)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_cover_every_target_once() {
        for n_genes in [0, 1, 7, 100, 101] {
            for count in 1..12 {
                let mut next = 0;
                for i in 0..count {
                    let r = Shard::new(i, count).unwrap().targets(n_genes);
                    assert_eq!(r.start, next);
                    assert!(r.len() <= n_genes / count + 1);
                    next = r.end;
                }
                assert_eq!(next, n_genes);
            }
        }
    }

    #[test]
    fn specs_parse_one_based() {
        let s: Shard = "2/8".parse().unwrap();
        assert_eq!((s.index(), s.count()), (1, 8));
        assert_eq!(s.to_string(), "2/8");
        for bad in ["0/8", "9/8", "1/0", "2", "a/b", "-1/3"] {
            let e = bad.parse::<Shard>().unwrap_err().to_string();
            assert!(e.contains("expected I/N"), "{bad}: {e}");
        }
    }
}
