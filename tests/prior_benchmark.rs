//! What a prior of known quality does to inference and to knockout prediction
//! (issue 17).
//!
//! A simulated prior of recall r and precision q holds round(r |T|) true edges of
//! the gold standard T, drawn at random, and as many false regulator -> target
//! pairs as make the precision q; a random prior draws |T| pairs uniformly (its
//! precision is the density of T). Inference is GENIE3 with its paper's settings on
//! the DREAM4 size-100 multifactorial sets and on `grn::simulate` networks; scores
//! are the AUPR against the gold standard. Knockout prediction fits the default
//! linear response model on a GENIE3 network (with and without the prior), trained
//! on multifactorial samples only, and compares predicted with simulated knockout
//! deltas (median Pearson, sign accuracy on genes changed by >10%, median AUROC of
//! |delta| for the changed genes; as tests/perturb_validation.rs).
//!
//! `a_good_prior_helps_and_a_random_one_costs_little` is the fast regression test;
//! the tables and figure of docs/priors.md come from `cargo test --release --test
//! prior_benchmark -- --ignored --nocapture`.

use std::collections::HashSet;
use std::path::Path;

use grn::evaluate::{self, EvalOptions, GoldStandard};
use grn::expression::{self, ExpressionMatrix, Regulators};
use grn::infer::{self, InferParams, TreeMethod};
use grn::network::{Cut, EdgeTable, GeneNetwork};
use grn::perturb::{Baseline, ModelParams, Perturbation, Predictor, PropagationParams, fit};
use grn::prior::{Prior, PriorFormat, PriorGuide, PriorParams};
use grn::simulate::{self, ExperimentParams, KineticParams, Topology, TopologyParams};
use rand::SeedableRng;
use rand::seq::SliceRandom;

/// A data set with its truth.
struct Case {
    matrix: ExpressionMatrix,
    gold: GoldStandard,
    /// True edges by gene index of `matrix`.
    truth: Vec<(usize, usize)>,
    /// (knocked-out gene, true delta per gene, wild type), when simulated.
    knockouts: Vec<(usize, Vec<f64>, Vec<f64>)>,
}

fn dream4(net: usize) -> Case {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let expr = root.join(format!("insilico_size100_{net}_multifactorial.tsv"));
    let matrix = expression::read(&expr, &Default::default()).unwrap().matrix;
    let gold_path = root.join(format!("insilico_size100_{net}_goldstandard.tsv"));
    let text = std::fs::read_to_string(&gold_path).unwrap();
    let truth = text
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() == 3 && f[2].trim() == "1").then(|| {
                (
                    matrix.gene_index(f[0]).unwrap(),
                    matrix.gene_index(f[1]).unwrap(),
                )
            })
        })
        .collect();
    Case {
        gold: GoldStandard::read(&gold_path).unwrap(),
        matrix,
        truth,
        knockouts: Vec::new(),
    }
}

fn simulated(genes: usize, samples: usize, seed: u64) -> Case {
    let net =
        simulate::random_network(&TopologyParams::new(Topology::ScaleFree, genes), seed).unwrap();
    let model = simulate::random_model(&net, &KineticParams::default(), seed).unwrap();
    let params = ExperimentParams {
        samples,
        ..ExperimentParams::default()
    };
    let sim = simulate::experiments::run(&model, &params, seed, &grn::Quiet).unwrap();
    let names = model.gene_names();
    let rows: Vec<&Vec<f64>> = sim.multifactorial.rows.iter().flatten().collect();
    let n = rows.len();
    let values = ndarray::Array2::from_shape_fn((genes, n), |(g, s)| rows[s][g] as f32);
    let (matrix, _) = ExpressionMatrix::new(
        names.clone(),
        (0..n).map(|s| format!("S{s}")).collect(),
        values,
    )
    .unwrap()
    .drop_constant_genes();
    let table = net.to_edge_table();
    let truth: Vec<(usize, usize)> = table
        .iter()
        .filter_map(|e| {
            let g = table.genes();
            Some((
                matrix.gene_index(&g[e.regulator])?,
                matrix.gene_index(&g[e.target])?,
            ))
        })
        .collect();
    let gold = GoldStandard::from_pairs(
        matrix
            .genes()
            .iter()
            .flat_map(|a| matrix.genes().iter().map(move |b| (a, b)))
            .map(|(a, b)| {
                let t =
                    truth.contains(&(matrix.gene_index(a).unwrap(), matrix.gene_index(b).unwrap()));
                (a.as_str(), b.as_str(), t)
            }),
    )
    .unwrap();
    let knockouts = model
        .knockout_truths(&net, &matrix)
        .unwrap()
        .into_iter()
        .map(|t| (t.gene, t.delta, t.wild_type))
        .collect();
    Case {
        matrix,
        gold,
        truth,
        knockouts,
    }
}

/// A prior of the given quality (`None`: random), as a guide of `strength`.
fn prior(c: &Case, quality: Option<(f64, f64)>, strength: f64, seed: u64) -> PriorGuide {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    let n = c.matrix.n_genes();
    let truth: HashSet<(usize, usize)> = c.truth.iter().copied().collect();
    let mut pairs: Vec<(usize, usize)> = (0..n)
        .flat_map(|a| (0..n).map(move |b| (a, b)))
        .filter(|&(a, b)| a != b)
        .collect();
    let edges: Vec<(usize, usize)> = match quality {
        None => {
            pairs.shuffle(&mut rng);
            pairs[..truth.len()].to_vec()
        }
        Some((recall, precision)) => {
            let mut t = c.truth.clone();
            t.shuffle(&mut rng);
            let tp = (recall * t.len() as f64).round() as usize;
            let fp = (tp as f64 * (1.0 - precision) / precision).round() as usize;
            let mut f: Vec<_> = pairs.into_iter().filter(|p| !truth.contains(p)).collect();
            f.shuffle(&mut rng);
            t[..tp].iter().chain(&f[..fp]).copied().collect()
        }
    };
    let g = c.matrix.genes();
    let p = Prior::from_edges(
        PriorFormat::Tsv,
        edges
            .iter()
            .map(|&(a, b)| (g[a].clone(), g[b].clone(), 1.0))
            .collect(),
    );
    let (resolved, _) = p.resolve(g).unwrap();
    PriorParams { strength }.check().unwrap().guide(resolved)
}

fn genie3(c: &Case, trees: usize, guide: Option<&PriorGuide>) -> EdgeTable {
    let params = InferParams {
        method: TreeMethod::Genie3.into(),
        trees: Some(trees),
        ..InferParams::default()
    };
    infer::infer_with_prior(&c.matrix, &Regulators::All, &params, guide, &grn::Quiet).unwrap()
}

fn aupr(c: &Case, edges: &EdgeTable) -> f64 {
    evaluate::score(&c.gold, edges, &EvalOptions::default())
        .unwrap()
        .aupr
}

#[derive(Debug, Default, Clone, Copy)]
struct Ko {
    pearson: f64,
    sign: f64,
    auroc: f64,
}

/// Knockout prediction of the default linear model on `network` (guided by the
/// prior before the per-target cut, as `grn perturb --prior` does).
fn knockouts(c: &Case, network: &EdgeTable, guide: Option<&PriorGuide>) -> Ko {
    let cut = Cut {
        per_target: Some(ModelParams::PER_TARGET),
        ..Cut::default()
    };
    let mut net = GeneNetwork::from_table(network, &Cut::default(), None).unwrap();
    if let Some(g) = guide {
        net = g.guide_network(&net);
    }
    let net = net.cut(&cut).unwrap();
    let model = fit(&c.matrix, &net, &ModelParams::default(), &grn::Quiet).unwrap();
    let baseline = Baseline::Mean.resolve(&c.matrix).unwrap();
    let predictor = Predictor::new(&model, baseline, &PropagationParams::default()).unwrap();
    let (mut pearsons, mut aurocs, mut right, mut total) = (vec![], vec![], 0, 0);
    for (ko, truth, wild) in &c.knockouts {
        let d = predictor
            .predict(&Perturbation::knockout(&[*ko]))
            .unwrap()
            .delta;
        let others: Vec<usize> = (0..truth.len()).filter(|g| g != ko).collect();
        let p: Vec<f64> = others.iter().map(|&g| d[g]).collect();
        let t: Vec<f64> = others.iter().map(|&g| truth[g]).collect();
        pearsons.push(pearson(&p, &t).unwrap_or(0.0));
        let changed: Vec<bool> = others
            .iter()
            .map(|&g| truth[g].abs() > 0.1 * wild[g])
            .collect();
        for (k, &ch) in changed.iter().enumerate() {
            if ch {
                total += 1;
                right += usize::from(p[k] != 0.0 && (p[k] > 0.0) == (t[k] > 0.0));
            }
        }
        let abs: Vec<f64> = p.iter().map(|v| v.abs()).collect();
        if let Some(a) = auroc(&abs, &changed) {
            aurocs.push(a);
        }
    }
    Ko {
        pearson: median(&pearsons),
        sign: right as f64 / total.max(1) as f64,
        auroc: median(&aurocs),
    }
}

fn pearson(a: &[f64], b: &[f64]) -> Option<f64> {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma).powi(2);
        sbb += (y - mb).powi(2);
    }
    (saa > 0.0 && sbb > 0.0).then(|| sab / (saa * sbb).sqrt())
}

/// Mann-Whitney AUROC with ties at half.
fn auroc(score: &[f64], positive: &[bool]) -> Option<f64> {
    let pos: Vec<f64> = (0..score.len())
        .filter(|&i| positive[i])
        .map(|i| score[i])
        .collect();
    let neg: Vec<f64> = (0..score.len())
        .filter(|&i| !positive[i])
        .map(|i| score[i])
        .collect();
    if pos.is_empty() || neg.is_empty() {
        return None;
    }
    let mut wins = 0.0;
    for &p in &pos {
        for &n in &neg {
            wins += if p > n {
                1.0
            } else if p == n {
                0.5
            } else {
                0.0
            };
        }
    }
    Some(wins / (pos.len() * neg.len()) as f64)
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

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

#[test]
fn a_good_prior_helps_and_a_random_one_costs_little() {
    let c = simulated(100, 100, 3);
    let trees = 200;
    let s = PriorParams::DEFAULT_STRENGTH;
    let base = aupr(&c, &genie3(&c, trees, None));
    let good = prior(&c, Some((0.5, 0.5)), s, 1);
    let with_good = aupr(&c, &genie3(&c, trees, Some(&good)));
    let random: Vec<f64> = (0..3)
        .map(|k| aupr(&c, &genie3(&c, trees, Some(&prior(&c, None, s, 10 + k)))))
        .collect();
    assert!(
        with_good > base + 0.05,
        "a 50%-recall, 50%-precision prior: AUPR {with_good:.3} vs {base:.3} without"
    );
    // Mean of three random priors: one random draw can land on true edges.
    assert!(
        mean(&random) >= base - 0.01,
        "random priors: AUPR {random:?} vs {base:.3} without"
    );
    // Strength 0 is the unguided forest, draw for draw.
    let off = prior(&c, Some((0.5, 0.5)), 0.0, 1);
    let a = genie3(&c, trees, None);
    let b = genie3(&c, trees, Some(&off));
    assert_eq!(a.iter().collect::<Vec<_>>(), b.iter().collect::<Vec<_>>());
}

/// The numbers and figure of docs/priors.md.
#[test]
#[ignore]
fn benchmark() {
    let strengths = [0.25, 0.5, 1.0];
    let qualities: [(&str, Option<(f64, f64)>); 4] = [
        ("random", None),
        ("r50 p25", Some((0.5, 0.25))),
        ("r50 p50", Some((0.5, 0.5))),
        ("r50 p100", Some((0.5, 1.0))),
    ];
    let mut cases: Vec<(String, Case)> = (1..=5)
        .map(|n| (format!("DREAM4 {n}"), dream4(n)))
        .collect();
    for seed in [1, 2] {
        cases.push((
            format!("simulated 100 genes seed {seed}"),
            simulated(100, 100, seed),
        ));
    }
    // gains[quality][strength] over cases
    let mut gains = vec![vec![Vec::new(); strengths.len()]; qualities.len()];
    println!(
        "| data | no prior | {} |",
        qualities.map(|q| q.0).join(" | ")
    );
    for (name, c) in &cases {
        let base = aupr(c, &genie3(c, 1000, None));
        let mut row = format!("| {name} | {base:.3} |");
        for (qi, (_, q)) in qualities.iter().enumerate() {
            let mut cell = Vec::new();
            for (si, &s) in strengths.iter().enumerate() {
                let a = aupr(c, &genie3(c, 1000, Some(&prior(c, *q, s, 7))));
                gains[qi][si].push(a - base);
                cell.push(format!("{a:.3}"));
            }
            row.push_str(&format!(" {} |", cell.join(" / ")));
        }
        println!("{row}");
    }
    println!("\nmean AUPR gain (strengths {strengths:?}):");
    for (qi, (q, _)) in qualities.iter().enumerate() {
        let g: Vec<String> = gains[qi]
            .iter()
            .map(|v| format!("{:+.4}", mean(v)))
            .collect();
        println!("| {q} | {} |", g.join(" | "));
    }
    let lines: Vec<(String, Vec<(f64, f64)>)> = strengths
        .iter()
        .enumerate()
        .map(|(si, s)| {
            let pts = [0.25, 0.5, 1.0]
                .iter()
                .enumerate()
                .map(|(k, &p)| (p, mean(&gains[k + 1][si])))
                .collect();
            (format!("strength {s}"), pts)
        })
        .collect();
    let random_line: Vec<(String, Vec<(f64, f64)>)> = vec![(
        "random prior (x: strength)".to_string(),
        strengths
            .iter()
            .enumerate()
            .map(|(si, &s)| (s, mean(&gains[0][si])))
            .collect(),
    )];
    let all: Vec<(String, Vec<(f64, f64)>)> = lines.into_iter().chain(random_line).collect();
    let series: Vec<(&str, &[(f64, f64)])> = all
        .iter()
        .map(|(l, p)| (l.as_str(), p.as_slice()))
        .collect();
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/priors.svg");
    evaluate::plot::save_lines_svg(
        &out,
        "AUPR gain of GENIE3 with a prior of 50% recall (DREAM4 1-5, 1 simulated)",
        "prior precision",
        "AUPR gain",
        &series,
    )
    .unwrap();
}

/// Knockout prediction with and without a prior (docs/priors.md).
#[test]
#[ignore]
fn knockout_benchmark() {
    println!("\nknockouts (simulated, GENIE3 network, linear model): pearson / sign / auroc");
    for seed in [1, 2] {
        let c = simulated(100, 100, seed);
        let net = genie3(&c, 1000, None);
        let none = knockouts(&c, &net, None);
        let good = prior(&c, Some((0.5, 0.5)), PriorParams::DEFAULT_STRENGTH, 7);
        let good_net = genie3(&c, 1000, Some(&good));
        let g1 = knockouts(&c, &good_net, Some(&good));
        let rnd = prior(&c, None, PriorParams::DEFAULT_STRENGTH, 7);
        let rnd_net = genie3(&c, 1000, Some(&rnd));
        let r1 = knockouts(&c, &rnd_net, Some(&rnd));
        let celloracle = prior(&c, Some((0.5, 0.5)), 1.0, 7);
        let c1 = knockouts(&c, &good_net, Some(&celloracle));
        println!(
            "| seed {seed} | {:.3} / {:.3} / {:.3} | {:.3} / {:.3} / {:.3} | {:.3} / {:.3} / {:.3} | {:.3} / {:.3} / {:.3} |",
            none.pearson,
            none.sign,
            none.auroc,
            g1.pearson,
            g1.sign,
            g1.auroc,
            c1.pearson,
            c1.sign,
            c1.auroc,
            r1.pearson,
            r1.sign,
            r1.auroc,
        );
    }
}

/// docs/priors-dream4-1.svg: PR and ROC curves of GENIE3 on DREAM4 network 1 with
/// priors of rising quality at the default strength.
#[test]
#[ignore]
fn figure() {
    let c = dream4(1);
    let s = PriorParams::DEFAULT_STRENGTH;
    let runs: Vec<(&str, EdgeTable)> = vec![
        ("no prior", genie3(&c, 1000, None)),
        (
            "random prior",
            genie3(&c, 1000, Some(&prior(&c, None, s, 7))),
        ),
        (
            "recall 50%, precision 25%",
            genie3(&c, 1000, Some(&prior(&c, Some((0.5, 0.25)), s, 7))),
        ),
        (
            "recall 50%, precision 50%",
            genie3(&c, 1000, Some(&prior(&c, Some((0.5, 0.5)), s, 7))),
        ),
        (
            "recall 50%, precision 100%",
            genie3(&c, 1000, Some(&prior(&c, Some((0.5, 1.0)), s, 7))),
        ),
    ];
    let opts = EvalOptions::default();
    let scored: Vec<_> = runs
        .iter()
        .map(|(l, t)| {
            (
                *l,
                evaluate::curves(&c.gold, t, &opts).unwrap(),
                evaluate::score(&c.gold, t, &opts).unwrap(),
            )
        })
        .collect();
    for (l, _, m) in &scored {
        println!("| {l} | {:.3} | {:.3} |", m.aupr, m.auroc);
    }
    let series: Vec<evaluate::plot::Series> = scored
        .iter()
        .map(|(label, curves, metrics)| evaluate::plot::Series {
            label,
            curves,
            metrics,
        })
        .collect();
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/priors-dream4-1.svg");
    evaluate::plot::save_svg(&out, &series).unwrap();
}
