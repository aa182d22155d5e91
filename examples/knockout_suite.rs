//! The knockout validation suite of docs/perturb.md (issue 15): knockout predictions
//! of `grn perturb` scored on several independent sources, against two baselines.
//!
//! ```sh
//! cargo run --release --example knockout_suite -- SOURCE [DATA_DIR]
//! ```
//! `SOURCE` is one of
//! - `dream4`: the five DREAM4 size-100 knockout networks (GeneNetWeaver), models
//!   fitted on each network's time series only, every knockout of a gene with
//!   targets; `DATA_DIR` holds the challenge files (`insilico_size100_N_*.tsv`);
//!   its networks are inferred from the time course (dynGENIE3, `grn infer
//!   --time-series`);
//! - `dream4-dual`: the same fits, the 20 noiseless double knockouts per network;
//! - `sim-scale-free`, `sim-erdos-renyi`, `sim-modular`: `grn::simulate` networks
//!   (100 genes, 100 multifactorial samples, seeds 1-5);
//! - `sergio`: SERGIO-style data (Dibaeinia & Sinha 2020, Cell Systems 11:252),
//!   written from the paper: a DAG with master regulators, additive signed Hill
//!   production, cells of several types sampled from the chemical Langevin equation;
//!   truth from the noise-free ODE (the held-out source).
//!
//! Every source is run with the network inferred by GENIE3 without and with the true
//! regulator list (`--tfs`), and with the true network. Metrics (the definitions of
//! `score_knockouts.py`): median over knockouts of the Pearson correlation of
//! predicted and true changes of all other genes; sign accuracy on "changed" genes,
//! pooled; AUROC of |predicted change| for finding changed genes, pooled.
//! "Changed": beyond 10% of the wild-type level (and, on DREAM4, beyond 0.05 and 3
//! robust SDs of the gene over the knockouts, its noise).
//!
//! With `--prior-quality Q` (`rRqP`, e.g. `r50q50`: recall R% and precision P% of
//! the true edges, or `random`) the run measures instead what a prior does (issue
//! 17): for each of the `--prior-seeds` draws (default 1,2,3) of such a prior
//! (`grn::prior::simulated`), GENIE3 (no TF list) is inferred with the prior and the
//! default linear model fitted on the network guided by it at the default strength,
//! as `grn perturb --prior` does; rows per data set and pooled, against no prior.
//!
//! `KO_LINEAR_ONLY=1` skips the forest rows (forest steady states on inferred
//! networks, which are one large feedback block, cost most of the time).
//! The environment variable `KO_CACHE` names a directory where inferred networks are
//! kept between runs (GENIE3 with 1000 trees is most of the cost).

use std::path::{Path, PathBuf};

use grn::expression::{ExpressionMatrix, Regulators};
use grn::infer::time_series::TimeCourse;
use grn::infer::{self, InferParams, Prepared, TreeMethod};
use grn::network::{Cut, EdgeTable, GeneNetwork, Sign};
use grn::perturb::{
    Baseline, ForestModelParams, ModelKind, ModelParams, Perturbation, Predictor,
    PropagationParams, ResponseModel, fit,
};
use grn::prior::{self, PriorGuide, PriorParams, Quality};
use grn::random;
use grn::simulate::{self, ExperimentParams, KineticParams, TopologyParams};
use rand::Rng;

/// One data set: training matrix, true network, regulators, knockouts with truth.
struct Case {
    name: String,
    matrix: ExpressionMatrix,
    truth: EdgeTable,
    tfs: Vec<String>,
    knockouts: Vec<Knockout>,
    /// The samples' time course when the training data are time series: networks
    /// are then inferred with dynGENIE3 (`grn infer --time-series`).
    course: Option<TimeCourse>,
}

struct Knockout {
    genes: Vec<usize>,
    /// True change of every matrix gene.
    delta: Vec<f64>,
    /// A change beyond this counts as "changed".
    threshold: Vec<f64>,
}

fn matrix_from(genes: Vec<String>, rows: &[Vec<f64>]) -> ExpressionMatrix {
    let n = rows.len();
    let values = ndarray::Array2::from_shape_fn((genes.len(), n), |(g, s)| rows[s][g] as f32);
    let samples = (0..n).map(|s| format!("S{s}")).collect();
    ExpressionMatrix::new(genes, samples, values).unwrap()
}

/// A DREAM4 TSV of steady states: quoted header, `Time` dropped.
fn read_dream(path: &Path) -> (Vec<String>, Vec<Vec<f64>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split('\t')
        .map(|s| s.trim_matches('"').to_string())
        .collect();
    let skip = usize::from(header[0] == "Time");
    let rows = lines
        .map(|l| {
            l.split('\t')
                .skip(skip)
                .map(|v| v.parse::<f64>().unwrap())
                .collect()
        })
        .collect();
    (header[skip..].to_vec(), rows)
}

fn median(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let m = s.len() / 2;
    if s.len() % 2 == 1 {
        s[m]
    } else {
        (s[m - 1] + s[m]) / 2.0
    }
}

fn dream4(dir: &Path, dual: bool) -> Vec<Case> {
    (1..=5)
        .map(|i| {
            let f = |s: &str| dir.join(format!("insilico_size100_{i}_{s}.tsv"));
            // The time series as `grn infer` reads them, with their time column.
            let loaded = grn::expression::read(&f("timeseries"), &Default::default()).unwrap();
            assert!(loaded.dropped_constant.is_empty());
            let genes = loaded.matrix.genes().to_vec();
            let (_, ko) = read_dream(&f("knockouts"));
            let g = genes.len();
            // The scorer's wild type: each gene's median over the knockouts; its noise
            // 1.4826 x the median absolute deviation from it.
            let wt: Vec<f64> = (0..g)
                .map(|j| median(&ko.iter().map(|r| r[j]).collect::<Vec<_>>()))
                .collect();
            let noise: Vec<f64> = (0..g)
                .map(|j| {
                    1.4826 * median(&ko.iter().map(|r| (r[j] - wt[j]).abs()).collect::<Vec<_>>())
                })
                .collect();
            let threshold: Vec<f64> = (0..g)
                .map(|j| (0.1 * wt[j].max(1e-9)).max(0.05).max(3.0 * noise[j]))
                .collect();
            let gold = std::fs::read_to_string(f("goldstandard")).unwrap();
            let index = |n: &str| genes.iter().position(|x| x == n).unwrap();
            let names: std::sync::Arc<[String]> = genes.clone().into();
            let mut truth = EdgeTable::new(names, true);
            let mut is_reg = vec![false; g];
            for l in gold.lines() {
                let c: Vec<&str> = l.split('\t').collect();
                if c.len() == 3 && c[2].trim() == "1" {
                    truth.push(index(c[0]), index(c[1]), 1.0, Sign::Unknown);
                    is_reg[index(c[0])] = true;
                }
            }
            let knockouts = if dual {
                let (_, dko) = read_dream(&f("nonoise_dualknockouts"));
                let pairs = std::fs::read_to_string(f("dualknockouts_indexes")).unwrap();
                pairs
                    .lines()
                    .filter(|l| !l.trim().is_empty() && !l.starts_with('"'))
                    .zip(&dko)
                    .map(|(l, row)| {
                        let ids: Vec<usize> = l
                            .split(['\t', ',', ' '])
                            .filter(|s| !s.is_empty())
                            .map(|s| {
                                s.trim_matches('"')
                                    .trim_start_matches('G')
                                    .parse::<usize>()
                                    .unwrap()
                                    - 1
                            })
                            .collect();
                        Knockout {
                            genes: ids,
                            delta: (0..g).map(|j| row[j] - wt[j]).collect(),
                            threshold: threshold.clone(),
                        }
                    })
                    .collect()
            } else {
                (0..g)
                    .filter(|&k| is_reg[k])
                    .map(|k| Knockout {
                        genes: vec![k],
                        delta: (0..g).map(|j| ko[k][j] - wt[j]).collect(),
                        threshold: threshold.clone(),
                    })
                    .collect()
            };
            let tfs = (0..g)
                .filter(|&k| is_reg[k])
                .map(|k| genes[k].clone())
                .collect();
            Case {
                name: format!("dream4-{i}"),
                matrix: loaded.matrix,
                truth,
                tfs,
                knockouts,
                course: loaded.times.map(|t| TimeCourse::new(t).unwrap()),
            }
        })
        .collect()
}

fn ours(topology: simulate::Topology, seed: u64) -> Case {
    let genes = 100;
    let net = simulate::random_network(&TopologyParams::new(topology, genes), seed).unwrap();
    let model = simulate::random_model(&net, &KineticParams::default(), seed).unwrap();
    let params = ExperimentParams {
        samples: 100,
        ..ExperimentParams::default()
    };
    let sim = simulate::experiments::run(&model, &params, seed, &grn::Quiet).unwrap();
    let names = model.gene_names();
    let rows: Vec<Vec<f64>> = sim.multifactorial.rows.iter().flatten().cloned().collect();
    let (matrix, _) = matrix_from(names.clone(), &rows).drop_constant_genes();
    let knockouts = model
        .knockout_truths(&net, &matrix)
        .unwrap()
        .into_iter()
        .map(|t| Knockout {
            genes: vec![t.gene],
            // Genes the model lacks: no change, and never counted as changed.
            delta: t
                .delta
                .iter()
                .map(|d| if d.is_nan() { 0.0 } else { *d })
                .collect(),
            threshold: t
                .wild_type
                .iter()
                .map(|w| if w.is_nan() { f64::INFINITY } else { 0.1 * w })
                .collect(),
        })
        .collect();
    let out = net.out_degrees();
    let tfs = (0..genes)
        .filter(|&g| out[g] > 0)
        .map(|g| names[g].clone())
        .collect();
    Case {
        name: format!("{topology:?}-{seed}"),
        matrix,
        truth: net.to_edge_table(),
        tfs,
        knockouts,
        course: None,
    }
}

/// SERGIO-style kinetics (Dibaeinia & Sinha 2020), from the paper's description:
/// master regulators produce at a cell-type-specific basal rate; every other gene at
/// `Σ_j K_ij h(x_j)`, `h` an activating `x^n / (x^n + k^n)` or repressing
/// `k^n / (x^n + k^n)` Hill function with `k` the regulator's mean level over cell
/// types (as SERGIO sets its half responses) and `n = 2`; decay `λ = 0.8`. Cells are
/// snapshots of the chemical Langevin equation
/// `dx = (P - λx) dt + q (√P dW₁ - √(λx) dW₂)` after burn-in. Knockout truth: the
/// noise-free steady state of the middle cell type (mean basal rates) with the gene's
/// production set to 0, minus the same without the knockout.
fn sergio(seed: u64) -> Case {
    let (genes, masters, types, cells_per_type) = (60, 8, 8, 50);
    let mut rng = random::stream(seed, 0xD1BA);
    // Regulators of gene g > masters: 1-3 earlier genes (a DAG, as SERGIO requires).
    let mut regs: Vec<Vec<(usize, f64)>> = vec![Vec::new(); genes];
    for (g, r) in regs.iter_mut().enumerate().skip(masters) {
        let k = rng.random_range(1..=3usize.min(g));
        while r.len() < k {
            // Prefer recent layers half of the time, so paths get longer than one edge.
            let j = if rng.random_bool(0.5) {
                rng.random_range(0..masters)
            } else {
                rng.random_range(masters.min(g)..g.max(masters + 1))
                    .min(g - 1)
            };
            if r.iter().all(|&(q, _)| q != j) {
                let strength = rng.random_range(1.0..5.0);
                let sign = if rng.random_bool(0.7) { 1.0 } else { -1.0 };
                r.push((j, sign * strength));
            }
        }
    }
    let basal: Vec<Vec<f64>> = (0..types)
        .map(|_| (0..masters).map(|_| rng.random_range(0.5..4.0)).collect())
        .collect();
    let mean_basal: Vec<f64> = (0..masters)
        .map(|m| basal.iter().map(|b| b[m]).sum::<f64>() / types as f64)
        .collect();
    let (decay, hill_n, q) = (0.8, 2.0, 0.3);
    // Half responses: steady state of each cell type in gene order (a DAG), with the
    // regulators' mean over types as `k` (SERGIO's choice).
    let mut half = vec![1.0; genes];
    let production = |x: &[f64], g: usize, b: &[f64], half: &[f64], ko: &[usize]| -> f64 {
        if ko.contains(&g) {
            return 0.0;
        }
        if g < masters {
            return b[g];
        }
        regs[g]
            .iter()
            .map(|&(j, k)| {
                let xn = x[j].max(0.0).powf(hill_n);
                let hn = half[j].powf(hill_n);
                let act = xn / (xn + hn);
                if k > 0.0 { k * act } else { -k * (1.0 - act) }
            })
            .sum()
    };
    let steady = |b: &[f64], half: &[f64], ko: &[usize]| -> Vec<f64> {
        let mut x = vec![0.0; genes];
        for g in 0..genes {
            x[g] = production(&x, g, b, half, ko) / decay;
        }
        x
    };
    let per_type: Vec<Vec<f64>> = basal.iter().map(|b| steady(b, &half, &[])).collect();
    for g in 0..genes {
        half[g] = (per_type.iter().map(|x| x[g]).sum::<f64>() / types as f64).max(1e-3);
    }
    let names: Vec<String> = (0..genes).map(|g| format!("S{g}")).collect();
    let mut rows = Vec::new();
    let dt = 0.01;
    for b in &basal {
        let mut x = steady(b, &half, &[]);
        for _ in 0..cells_per_type {
            // 300 steps of Euler-Maruyama between snapshots (2.4 decay times).
            for _ in 0..300 {
                let p: Vec<f64> = (0..genes)
                    .map(|g| production(&x, g, b, &half, &[]))
                    .collect();
                for g in 0..genes {
                    let (w1, w2): (f64, f64) = (
                        rng.sample(rand_distr::StandardNormal),
                        rng.sample(rand_distr::StandardNormal),
                    );
                    let noise =
                        q * ((p[g].max(0.0)).sqrt() * w1 - (decay * x[g].max(0.0)).sqrt() * w2);
                    x[g] = (x[g] + (p[g] - decay * x[g]) * dt + noise * dt.sqrt()).max(0.0);
                }
            }
            rows.push(x.clone());
        }
    }
    let (matrix, _) = matrix_from(names.clone(), &rows).drop_constant_genes();
    let wt = steady(&mean_basal, &half, &[]);
    let mut truth = EdgeTable::new(names.clone().into(), true);
    let mut is_reg = vec![false; genes];
    for (t, r) in regs.iter().enumerate() {
        for &(j, k) in r {
            truth.push(
                j,
                t,
                1.0,
                if k > 0.0 {
                    Sign::Activation
                } else {
                    Sign::Repression
                },
            );
            is_reg[j] = true;
        }
    }
    let knockouts = (0..genes)
        .filter(|&g| is_reg[g])
        .filter_map(|g| {
            let gi = matrix.gene_index(&names[g])?;
            let ko = steady(&mean_basal, &half, &[g]);
            let mut delta = vec![0.0; matrix.n_genes()];
            let mut threshold = vec![f64::INFINITY; matrix.n_genes()];
            for (k, name) in names.iter().enumerate() {
                if let Some(i) = matrix.gene_index(name) {
                    delta[i] = ko[k] - wt[k];
                    threshold[i] = 0.1 * wt[k];
                }
            }
            Some(Knockout {
                genes: vec![gi],
                delta,
                threshold,
            })
        })
        .collect();
    Case {
        name: format!("sergio-{seed}"),
        matrix,
        truth,
        tfs: (0..genes)
            .filter(|&g| is_reg[g])
            .map(|g| names[g].clone())
            .collect(),
        knockouts,
        course: None,
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Net {
    Genie3,
    Genie3Tfs,
    Truth,
}

fn network(c: &Case, net: Net) -> GeneNetwork {
    guided_network(c, net, None)
}

/// The model's network; with a prior (named for the cache), inferred with it and
/// its edges reweighted by it before the per-target cut, as `grn perturb --prior`.
fn guided_network(c: &Case, net: Net, prior: Option<(&str, &PriorGuide)>) -> GeneNetwork {
    let cut = Cut {
        per_target: Some(ModelParams::PER_TARGET),
        ..Cut::default()
    };
    let table = match net {
        Net::Truth => c.truth.clone(),
        _ => {
            let cache = std::env::var_os("KO_CACHE").map(PathBuf::from);
            let mut label = prior.map(|p| format!("-{}", p.0)).unwrap_or_default();
            if c.course.is_some() {
                label += "-dynamic";
            }
            let file = cache
                .as_ref()
                .map(|d| d.join(format!("{}-{net:?}{label}.tsv", c.name)));
            if let Some(f) = file.as_ref().filter(|f| f.exists()) {
                EdgeTable::read_tsv(f).unwrap()
            } else {
                let regulators = match net {
                    Net::Genie3Tfs => c.matrix.resolve_regulators(&c.tfs).unwrap().0,
                    _ => Regulators::All,
                };
                let params = InferParams {
                    method: TreeMethod::Genie3.into(),
                    ..InferParams::default()
                };
                let guide = prior.map(|p| p.1);
                let t = match &c.course {
                    Some(course) => params
                        .check()
                        .unwrap()
                        .infer_time_series(
                            &Prepared::new(&c.matrix),
                            course,
                            &regulators,
                            guide,
                            &grn::Quiet,
                        )
                        .unwrap(),
                    None => {
                        infer::infer_with_prior(&c.matrix, &regulators, &params, guide, &grn::Quiet)
                            .unwrap()
                    }
                };
                if let Some(f) = &file {
                    std::fs::create_dir_all(f.parent().unwrap()).unwrap();
                    t.save_tsv(f).unwrap();
                }
                t
            }
        }
    };
    match prior {
        None => GeneNetwork::from_table(&table, &cut, None).unwrap(),
        Some((_, guide)) => {
            let full = GeneNetwork::from_table(&table, &Cut::default(), None).unwrap();
            guide.guide_network(&full).cut(&cut).unwrap()
        }
    }
}

#[derive(Default)]
struct Tally {
    pearson: Vec<f64>,
    right: usize,
    changed: usize,
    scores: Vec<(f64, bool)>,
}

impl Tally {
    fn add(&mut self, ko: &Knockout, predicted: &[f64]) {
        let others: Vec<usize> = (0..ko.delta.len())
            .filter(|g| !ko.genes.contains(g))
            .collect();
        let p: Vec<f64> = others.iter().map(|&g| predicted[g]).collect();
        let t: Vec<f64> = others.iter().map(|&g| ko.delta[g]).collect();
        self.pearson.push(pearson(&p, &t));
        for (k, &g) in others.iter().enumerate() {
            let big = t[k].abs() > ko.threshold[g];
            if big {
                self.changed += 1;
                if p[k] != 0.0 && (p[k] > 0.0) == (t[k] > 0.0) {
                    self.right += 1;
                }
            }
            self.scores.push((p[k].abs(), big));
        }
    }

    fn absorb(&mut self, other: &Tally) {
        self.pearson.extend(&other.pearson);
        self.right += other.right;
        self.changed += other.changed;
        self.scores.extend(&other.scores);
    }

    fn row(&self) -> [f64; 3] {
        [
            median(&self.pearson),
            self.right as f64 / self.changed.max(1) as f64,
            auroc(&self.scores),
        ]
    }
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma).powi(2);
        sbb += (y - mb).powi(2);
    }
    if saa > 0.0 && sbb > 0.0 {
        sab / (saa * sbb).sqrt()
    } else {
        0.0
    }
}

/// Mann-Whitney AUROC, average ranks for ties.
fn auroc(s: &[(f64, bool)]) -> f64 {
    let pos = s.iter().filter(|x| x.1).count();
    let neg = s.len() - pos;
    if pos == 0 || neg == 0 {
        return f64::NAN;
    }
    let mut o: Vec<usize> = (0..s.len()).collect();
    o.sort_by(|&a, &b| s[a].0.total_cmp(&s[b].0));
    let (mut sum, mut i) = (0.0, 0);
    while i < o.len() {
        let mut j = i;
        while j + 1 < o.len() && s[o[j + 1]].0 == s[o[i]].0 {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        sum += rank * o[i..=j].iter().filter(|&&k| s[k].1).count() as f64;
        i = j + 1;
    }
    (sum - (pos * (pos + 1)) as f64 / 2.0) / (pos * neg) as f64
}

/// CellOracle's recipe (`oracle_GRN.py`): scikit-learn `Ridge(alpha=10)` on the
/// unscaled centred data, 3 steps of `Δ <- Δ W` re-imposing the knockout and
/// flooring levels at 0 each step.
fn celloracle(
    m: &ExpressionMatrix,
    regs_from: &ResponseModel,
    base: &[f64],
    ko: &[usize],
) -> Vec<f64> {
    let n = m.n_samples();
    let centred = |g: usize| -> Vec<f64> {
        let v: Vec<f64> = m.gene(g).iter().map(|&x| x as f64).collect();
        let mean = v.iter().sum::<f64>() / n as f64;
        v.iter().map(|x| x - mean).collect()
    };
    let weights: Vec<Vec<(usize, f64)>> = (0..m.n_genes())
        .map(|t| {
            let regs = regs_from.regulators(t);
            let k = regs.len();
            if k == 0 {
                return Vec::new();
            }
            let xs: Vec<Vec<f64>> = regs.iter().map(|&r| centred(r)).collect();
            let y = centred(t);
            let mut a = faer::Mat::<f64>::zeros(k, k);
            let mut b = faer::Mat::<f64>::zeros(k, 1);
            for p in 0..k {
                b[(p, 0)] = xs[p].iter().zip(&y).map(|(u, v)| u * v).sum();
                for q in 0..k {
                    a[(p, q)] = xs[p].iter().zip(&xs[q]).map(|(u, v)| u * v).sum();
                }
                a[(p, p)] += 10.0;
            }
            use faer::linalg::solvers::Solve;
            let w = a.partial_piv_lu().solve(&b);
            regs.iter()
                .enumerate()
                .map(|(p, &r)| (r, w[(p, 0)]))
                .collect()
        })
        .collect();
    let g = base.len();
    let mut delta = vec![0.0; g];
    for &k in ko {
        delta[k] = -base[k];
    }
    for _ in 0..3 {
        let mut next: Vec<f64> = (0..g)
            .map(|t| weights[t].iter().map(|&(r, w)| w * delta[r]).sum())
            .collect();
        for &k in ko {
            next[k] = -base[k];
        }
        for (d, &b) in next.iter_mut().zip(base) {
            if b + *d < 0.0 {
                *d = -b;
            }
        }
        delta = next;
    }
    delta
}

/// Every gene regressed on each knocked-out gene alone (least squares), the
/// predicted changes added over the knocked-out genes.
fn single(m: &ExpressionMatrix, base: &[f64], ko: &[usize]) -> Vec<f64> {
    let n = m.n_samples() as f64;
    let col = |g: usize| -> Vec<f64> { m.gene(g).iter().map(|&v| v as f64).collect() };
    let mut out = vec![0.0; m.n_genes()];
    for &k in ko {
        let x = col(k);
        let mx = x.iter().sum::<f64>() / n;
        let vx: f64 = x.iter().map(|v| (v - mx).powi(2)).sum();
        for (g, o) in out.iter_mut().enumerate() {
            let y = col(g);
            let my = y.iter().sum::<f64>() / n;
            let c: f64 = x.iter().zip(&y).map(|(a, b)| (a - mx) * (b - my)).sum();
            *o += c / vx * (0.0 - base[k]);
        }
    }
    out
}

const METHODS: [&str; 11] = [
    "linear, steady (default)",
    "linear, 3 steps",
    "forest, steady",
    "forest, 3 steps",
    "CellOracle recipe (ridge α=10, 3 steps)",
    "single-gene regression",
    "linear, steady, weaker direction of reciprocal pairs dropped",
    "linear, steady, CV selection (null model when CV R² <= 0)",
    "linear, 3 steps, no CV selection",
    "forest, steady, CV selection",
    "linear, 3 steps, CV selection",
];

/// One knockout's default prediction as a tally of its own.
fn ko_tally(ko: &Knockout, e: &grn::perturb::Effects) -> Tally {
    let d: Vec<f64> = (0..ko.delta.len()).map(|g| e.of(g).delta).collect();
    let mut t = Tally::default();
    t.add(ko, &d);
    t
}

type Confidence = Vec<(f64, f64, Tally)>;

fn run(cases: &[Case], net: Net) -> (Vec<Tally>, Confidence) {
    let mut t: Vec<Tally> = (0..METHODS.len()).map(|_| Tally::default()).collect();
    let mut confidence = Vec::new();
    for c in cases {
        let network = network(c, net);
        let base = Baseline::Mean.resolve(&c.matrix).unwrap();
        let linear = fit(&c.matrix, &network, &ModelParams::default(), &grn::Quiet).unwrap();
        let linear_only = std::env::var_os("KO_LINEAR_ONLY").is_some();
        let forest_kind = if linear_only {
            ModelParams::default().kind
        } else {
            ModelKind::Forest(ForestModelParams::breiman())
        };
        let forest = fit(
            &c.matrix,
            &network,
            &ModelParams {
                kind: forest_kind,
                ..ModelParams::default()
            },
            &grn::Quiet,
        )
        .unwrap();
        let legacy = |drop_reciprocal: bool, cv_select: bool, kind: ModelKind| {
            let params = ModelParams {
                kind,
                drop_reciprocal,
                cv_select,
                ..ModelParams::default()
            };
            fit(&c.matrix, &network, &params, &grn::Quiet).unwrap()
        };
        let linear_kind = ModelParams::default().kind;
        let old = legacy(false, false, linear_kind.clone());
        let cv = legacy(false, true, linear_kind.clone());
        let keep_pairs = legacy(true, false, linear_kind);
        let old_forest = if linear_only {
            forest.clone()
        } else {
            legacy(false, true, ModelKind::Forest(ForestModelParams::breiman()))
        };
        let steady = PropagationParams::default();
        let steps = PropagationParams::celloracle();
        let preds = [
            (0, Predictor::new(&linear, base.clone(), &steady).unwrap()),
            (1, Predictor::new(&linear, base.clone(), &steps).unwrap()),
            (2, Predictor::new(&forest, base.clone(), &steady).unwrap()),
            (3, Predictor::new(&forest, base.clone(), &steps).unwrap()),
            (
                6,
                Predictor::new(&keep_pairs, base.clone(), &steady).unwrap(),
            ),
            (7, Predictor::new(&cv, base.clone(), &steady).unwrap()),
            (
                9,
                Predictor::new(&old_forest, base.clone(), &steady).unwrap(),
            ),
            (10, Predictor::new(&cv, base.clone(), &steps).unwrap()),
        ];
        for ko in &c.knockouts {
            let p = Perturbation::knockout(&ko.genes);
            for (k, pr) in &preds {
                if linear_only && matches!(k, 2 | 3 | 9) {
                    continue;
                }
                t[*k].add(ko, &pr.predict(&p).unwrap().delta);
            }
            // The baselines use the network's regulators (the model before any
            // selection).
            t[4].add(ko, &celloracle(&c.matrix, &old, &base, &ko.genes));
            t[5].add(ko, &single(&c.matrix, &base, &ko.genes));
            let e = preds[0].1.effects(&p).unwrap();
            let conf = e.confidence(|g| linear.sd(g)).unwrap_or(0.0);
            let n = t[0].pearson.len();
            confidence.push((conf, t[0].pearson[n - 1], ko_tally(ko, &e)));
        }
    }
    (t, confidence)
}

/// The default's metrics over knockouts split into terciles of their confidence.
fn terciles(mut c: Confidence) {
    c.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = c.len();
    println!(
        "\n| confidence tercile (default) | confidence range | median Pearson | sign accuracy | AUROC |\n|---|---|---|---|---|"
    );
    for (k, name) in ["low", "middle", "high"].iter().enumerate() {
        let part = &c[k * n / 3..(k + 1) * n / 3];
        if part.is_empty() {
            continue;
        }
        let mut all = Tally::default();
        for (_, _, t) in part {
            all.absorb(t);
        }
        let [p, s, a] = all.row();
        println!(
            "| {name} | {:.2}-{:.2} | {p:.3} | {s:.3} | {a:.3} |",
            part[0].0,
            part[part.len() - 1].0
        );
    }
}

/// `random` or `rRqP` (percent).
fn parse_quality(s: &str) -> Quality {
    if s == "random" {
        return Quality::Random;
    }
    let parsed = s.strip_prefix('r').and_then(|rest| {
        let (r, q) = rest.split_once('q')?;
        Some((
            r.parse::<f64>().ok()? / 100.0,
            q.parse::<f64>().ok()? / 100.0,
        ))
    });
    let (recall, precision) =
        parsed.unwrap_or_else(|| panic!("--prior-quality: `random` or rRqP like r50q50, got {s}"));
    Quality::Known { recall, precision }
}

/// Knockout prediction of the default linear model on GENIE3 networks, without and
/// with priors of `quality` (one per seed) at the default strength.
fn run_prior(cases: &[Case], label: &str, quality: Quality, seeds: &[u64]) {
    let predict = |c: &Case, network: &GeneNetwork| -> Tally {
        let model = fit(&c.matrix, network, &ModelParams::default(), &grn::Quiet).unwrap();
        let base = Baseline::Mean.resolve(&c.matrix).unwrap();
        let pr = Predictor::new(&model, base, &PropagationParams::default()).unwrap();
        let mut t = Tally::default();
        for ko in &c.knockouts {
            t.add(
                ko,
                &pr.predict(&Perturbation::knockout(&ko.genes))
                    .unwrap()
                    .delta,
            );
        }
        t
    };
    println!(
        "\nGENIE3 network, default linear model, prior {label} at strength {}\n\n| data set | prior | median Pearson | sign accuracy | AUROC |\n|---|---|---|---|---|",
        PriorParams::DEFAULT_STRENGTH
    );
    let print = |set: &str, prior: &str, t: &Tally| {
        let [p, s, a] = t.row();
        println!("| {set} | {prior} | {p:.3} | {s:.3} | {a:.3} |");
    };
    let (mut none, mut with) = (Tally::default(), Tally::default());
    let mut per_seed: Vec<Tally> = seeds.iter().map(|_| Tally::default()).collect();
    for c in cases {
        let genes = c.matrix.genes();
        let names = c.truth.genes();
        let truth: Vec<(usize, usize)> = c
            .truth
            .iter()
            .filter_map(|e| {
                Some((
                    c.matrix.gene_index(&names[e.regulator])?,
                    c.matrix.gene_index(&names[e.target])?,
                ))
            })
            .collect();
        let t = predict(c, &network(c, Net::Genie3));
        print(&c.name, "none", &t);
        none.absorb(&t);
        let mut pooled = Tally::default();
        for (k, &seed) in seeds.iter().enumerate() {
            let p = prior::simulated(genes, &truth, quality, seed).unwrap();
            let guide = PriorParams::default()
                .check()
                .unwrap()
                .guide(p.resolve(genes).unwrap().0);
            let name = format!("prior-{label}-{seed}");
            let t = predict(c, &guided_network(c, Net::Genie3, Some((&name, &guide))));
            pooled.absorb(&t);
            per_seed[k].absorb(&t);
        }
        print(&c.name, &format!("{label}, {} draws", seeds.len()), &pooled);
        with.absorb(&pooled);
    }
    print("all", "none", &none);
    for (seed, t) in seeds.iter().zip(&per_seed) {
        print("all", &format!("{label}, draw {seed}"), t);
    }
    print("all", &format!("{label}, {} draws", seeds.len()), &with);
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut flag = |name: &str| -> Option<String> {
        let i = args.iter().position(|a| a == name)?;
        let v = args.get(i + 1).cloned();
        args.drain(i..(i + 2).min(args.len()));
        Some(v.unwrap_or_else(|| panic!("{name} needs a value")))
    };
    let quality = flag("--prior-quality");
    let seeds: Vec<u64> = flag("--prior-seeds")
        .map(|s| s.split(',').map(|v| v.parse().unwrap()).collect())
        .unwrap_or_else(|| vec![1, 2, 3]);
    let source = args.first().map(String::as_str).unwrap_or("dream4");
    let dir = PathBuf::from(
        args.get(1)
            .cloned()
            .unwrap_or_else(|| "../shared/data/dream4_knockouts".into()),
    );
    let cases: Vec<Case> = match source {
        "dream4" => dream4(&dir, false),
        "dream4-dual" => dream4(&dir, true),
        "sim-scale-free" => (1..=5)
            .map(|s| ours(simulate::Topology::ScaleFree, s))
            .collect(),
        "sim-erdos-renyi" => (1..=5)
            .map(|s| ours(simulate::Topology::ErdosRenyi, s))
            .collect(),
        "sim-modular" => (1..=5)
            .map(|s| ours(simulate::Topology::Modular, s))
            .collect(),
        "sergio" => (1..=5).map(sergio).collect(),
        other => panic!("unknown source {other}"),
    };
    let nets: Vec<Net> = match std::env::var("KO_NETS").ok().as_deref() {
        Some("truth") => vec![Net::Truth],
        Some("inferred") => vec![Net::Genie3, Net::Genie3Tfs],
        _ => vec![Net::Genie3, Net::Genie3Tfs, Net::Truth],
    };
    let kos: usize = cases.iter().map(|c| c.knockouts.len()).sum();
    println!("## {source}: {} data sets, {kos} knockouts", cases.len());
    if let Some(q) = quality {
        run_prior(&cases, &q, parse_quality(&q), &seeds);
        return;
    }
    let genie3 = if cases.iter().all(|c| c.course.is_some()) {
        "dynGENIE3"
    } else {
        "GENIE3"
    };
    for net in nets {
        let label = match net {
            Net::Genie3 => format!("{genie3} network, no TF list"),
            Net::Genie3Tfs => format!("{genie3} network with the true regulators as TF list"),
            Net::Truth => "true network".into(),
        };
        let (t, confidence) = run(&cases, net);
        println!(
            "\n{label}\n\n| method | median Pearson | sign accuracy | AUROC |\n|---|---|---|---|"
        );
        for (name, tally) in METHODS.iter().zip(&t) {
            if tally.pearson.is_empty() {
                continue;
            }
            let [p, s, a] = tally.row();
            println!("| {name} | {p:.3} | {s:.3} | {a:.3} |");
        }
        terciles(confidence);
    }
}
