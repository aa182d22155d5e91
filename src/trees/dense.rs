//! Split search for large nodes: several candidate features at once.
//!
//! In a large node nearly every bin is occupied, so the scan over bins costs as
//! much as the histogram itself. Here up to [`LANES`] features share one pass: the
//! histogram stores one lane per feature, and the scan updates all lanes with the
//! same arithmetic in vector registers (AVX-512, else AVX2, chosen at run time, else
//! portable code; the operations are identical on every path, so the result does
//! not depend on the machine).
//!
//! Each sample contributes one number, `w * y + w * scale` (the weighted target
//! plus its weight times a power of two larger than twice the node's total |w y|),
//! so a bin needs one addition per sample instead of two; the prefix sums decode
//! back into (count, sum) exactly because `scale` keeps the two apart.

use super::binned::MAX_BINS;
use super::sum_over;

/// Features scanned together (eight f64 lanes fill a 512-bit vector, two 256-bit
/// ones).
pub(crate) const LANES: usize = 8;

/// Lanes of a 256-bit vector of f64.
const HALF: usize = 4;

/// Adding then subtracting 1.5 * 2^52 rounds an f64 below 2^51 to the nearest
/// integer with plain additions.
const ROUND: f64 = 6_755_399_441_055_744.0;

/// Per-bin sums, one lane per feature.
pub(crate) type LaneHist = [[f64; LANES]; MAX_BINS];

/// Samples' weights and weighted targets packed into one value each.
#[derive(Default)]
pub(crate) struct Packed {
    values: Vec<f64>,
    scale: f64,
    /// `values` of the current node's samples and 0 elsewhere, while a sparse
    /// feature is scanned in the node ([`Packed::mask`]).
    masked: Vec<f64>,
    /// The sum of `masked`.
    node_total: f64,
}

impl Packed {
    /// Packs the samples `idx` (every sample of the tree).
    pub fn fill(&mut self, idx: &[u32], wy: &[f64], w: &[u32]) {
        let total = sum_over(idx, |i| wy[i].abs());
        // A power of two above 2 * total: any partial sum of w * y lies strictly
        // within +-scale/2 and the count is the nearest integer of sum/scale.
        self.scale = (2.0 * total).max(f64::MIN_POSITIVE).log2().floor().exp2() * 2.0;
        self.values.resize(wy.len(), 0.0);
        for &i in idx {
            let i = i as usize;
            self.values[i] = wy[i] + w[i] as f64 * self.scale;
        }
    }

    /// Makes the node `idx` (a subset of the filled samples) the one sparse lanes
    /// sum over; undo with [`Packed::unmask`] before the next node.
    pub fn mask(&mut self, idx: &[u32]) {
        self.masked.resize(self.values.len(), 0.0);
        for &i in idx {
            self.masked[i as usize] = self.values[i as usize];
        }
        self.node_total = sum_over(idx, |i| self.values[i]);
    }

    /// Clears what [`Packed::mask`] set for `idx`.
    pub fn unmask(&mut self, idx: &[u32]) {
        for &i in idx {
            self.masked[i as usize] = 0.0;
        }
    }
}

/// A feature histogrammed through its samples outside the mode bin: the node's
/// samples among them add their packed values (the others add 0 through
/// [`Packed::mask`]), and the mode bin gets the node total minus the rest. Each
/// entry visited costs one histogram update, as each node sample does in the dense
/// lanes, so a feature goes sparse in a node its rest list is shorter than.
#[derive(Default)]
pub(crate) struct SparseLane<'a> {
    pub codes: &'a [u8],
    pub mode: u8,
    pub samples: &'a [u32],
}

/// The best threshold of each lane: `None` when the feature is constant in the
/// node, else the best `(code, proxy, left_sum, left_weight)` if any threshold
/// leaves `min_leaf` on both sides. `proxy` is SL^2/WL + SR^2/WR, as in the exact
/// scan; the left sums are decoded from the packed prefix sum (exact count, sum to
/// within rounding of the packed magnitude, about 1e-16 relative to W * scale).
pub(crate) type LaneResult = Option<Option<(u8, f64, f64, u32)>>;

/// What the scan needs to know about the node.
pub(crate) struct NodeTotals {
    pub sum: f64,
    pub weight: u32,
    pub min_leaf: u32,
}

/// Histograms the features `codes` over the node samples `idx`, and the `sparse`
/// ones through their rest lists (the node must be [`Packed::mask`]ed), at most
/// [`LANES`] in all, and scans them; entry `j` of the result is for `codes[j]`,
/// then entry `codes.len() + j` for `sparse[j]`, and later entries are `None`.
pub(crate) fn best_thresholds(
    codes: &[&[u8]],
    sparse: &[SparseLane<'_>],
    n_bins: usize,
    idx: &[u32],
    packed: &Packed,
    hist: &mut LaneHist,
    node: &NodeTotals,
) -> [LaneResult; LANES] {
    let used = codes.len() + sparse.len();
    assert!(
        (1..=LANES).contains(&used),
        "between 1 and {LANES} features per scan, got {used}"
    );
    match codes.len() {
        0 => {}
        1 => scatter::<1>(codes, idx, packed, hist),
        2 => scatter::<2>(codes, idx, packed, hist),
        3 => scatter::<3>(codes, idx, packed, hist),
        4 => scatter::<4>(codes, idx, packed, hist),
        5 => scatter::<5>(codes, idx, packed, hist),
        6 => scatter::<6>(codes, idx, packed, hist),
        7 => scatter::<7>(codes, idx, packed, hist),
        8 => scatter::<8>(codes, idx, packed, hist),
        _ => unreachable!("checked above"),
    }
    for (j, lane) in sparse.iter().enumerate() {
        scatter_sparse(lane, codes.len() + j, n_bins, packed, hist);
    }
    let lanes = scan(hist, used, n_bins, packed.scale, node);
    let weight = node.weight as f64;
    let parent = node.sum * node.sum / weight;
    std::array::from_fn(|j| {
        let l = &lanes[j];
        (j < used && l.separates).then(|| {
            (l.code >= 0.0).then(|| {
                let left_weight = ((l.running / packed.scale + ROUND) - ROUND) as u32;
                let left_sum = l.running - left_weight as f64 * packed.scale;
                (
                    l.code as u8,
                    parent + l.num / l.den / weight,
                    left_sum,
                    left_weight,
                )
            })
        })
    })
}

/// Adds every sample's packed value to its bin in each of the `N` lanes.
fn scatter<const N: usize>(codes: &[&[u8]], idx: &[u32], packed: &Packed, hist: &mut LaneHist) {
    let codes: [&[u8]; N] = codes.try_into().expect("N features");
    let n = packed.values.len();
    assert!(codes.iter().all(|c| c.len() == n), "one code per sample");
    for &i in idx {
        let i = i as usize;
        assert!(i < n, "sample index out of range");
        let v = packed.values[i];
        for j in 0..N {
            // SAFETY: i < n == codes[j].len(), checked above; this loop is the
            // hottest in boosting and the per-feature bounds checks are measurable.
            let c = unsafe { *codes[j].get_unchecked(i) };
            hist[c as usize][j] += v;
        }
    }
}

/// Fills lane `j` from a sparse feature's rest list.
fn scatter_sparse(
    lane: &SparseLane<'_>,
    j: usize,
    n_bins: usize,
    packed: &Packed,
    hist: &mut LaneHist,
) {
    let n = packed.masked.len();
    assert_eq!(lane.codes.len(), n, "one code per sample");
    for &i in lane.samples {
        let i = i as usize;
        assert!(i < n, "sample index out of range");
        // SAFETY: i < n == lane.codes.len(), checked above (as in `scatter`).
        let c = unsafe { *lane.codes.get_unchecked(i) };
        hist[c as usize][j] += packed.masked[i];
    }
    // Four running sums, as in `sum_over`.
    let mut acc = [0.0f64; 4];
    for bins in hist[..n_bins].chunks(4) {
        for (a, bin) in acc.iter_mut().zip(bins) {
            *a += bin[j];
        }
    }
    let rest = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    hist[lane.mode as usize][j] = packed.node_total - rest;
}

/// A lane's best threshold as the fraction num/den (see [`scan_lanes`]).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Lane {
    num: f64,
    den: f64,
    /// The best code, or -1 when no threshold is allowed.
    code: f64,
    /// The packed prefix sum at the best code.
    running: f64,
    separates: bool,
}

/// Bins visited per step of the scan. The running sum advances by a whole step's
/// total and each position in the step keeps its own best-so-far, so the chains
/// of dependent operations are a quarter as long as the bins; the step results
/// are merged at the end (ties to the lowest code).
const STEP: usize = 4;
const _: () = assert!(MAX_BINS.is_multiple_of(STEP), "the scan reads whole steps");

/// Vector paths, checked once per process.
#[derive(Clone, Copy, PartialEq)]
enum Vectors {
    Avx512,
    Avx2,
    Portable,
}

fn vectors() -> Vectors {
    static DETECTED: std::sync::OnceLock<Vectors> = std::sync::OnceLock::new();
    *DETECTED.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                return Vectors::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Vectors::Avx2;
            }
        }
        Vectors::Portable
    })
}

/// Scans the first `used` lanes (the others are empty and their results
/// meaningless).
fn scan(
    hist: &mut LaneHist,
    used: usize,
    n_bins: usize,
    scale: f64,
    node: &NodeTotals,
) -> [Lane; LANES] {
    // With leaves of one sample a threshold is allowed exactly when it separates,
    // which saves the separate test in the loop.
    if node.min_leaf <= 1 {
        scan_with::<true>(vectors(), hist, used, n_bins, scale, node)
    } else {
        scan_with::<false>(vectors(), hist, used, n_bins, scale, node)
    }
}

fn scan_with<const WHOLE: bool>(
    vectors: Vectors,
    hist: &mut LaneHist,
    used: usize,
    n_bins: usize,
    scale: f64,
    node: &NodeTotals,
) -> [Lane; LANES] {
    match vectors {
        // SAFETY: the CPU has AVX-512F / AVX2, detected in `vectors`.
        #[cfg(target_arch = "x86_64")]
        Vectors::Avx512 => unsafe { scan_avx512::<WHOLE>(hist, n_bins, scale, node) },
        #[cfg(target_arch = "x86_64")]
        Vectors::Avx2 => {
            let lo = unsafe { scan_avx2::<WHOLE>(hist, 0, n_bins, scale, node) };
            // A batch of at most four features (the last of a node's draws) leaves
            // the upper half empty: a second scan would cost as much as the first.
            let hi = if used > HALF {
                unsafe { scan_avx2::<WHOLE>(hist, HALF, n_bins, scale, node) }
            } else {
                lo
            };
            std::array::from_fn(|j| if j < HALF { lo[j] } else { hi[j - HALF] })
        }
        _ => scan_lanes::<WHOLE>(hist, n_bins, scale, node),
    }
}

/// Merges the per-position bests of one lane. Accumulator `b` holds the first
/// code of its step; its bin is that plus `b`.
fn merge(mut candidates: [Lane; STEP]) -> Lane {
    for (b, c) in candidates.iter_mut().enumerate() {
        if c.code >= 0.0 {
            c.code += b as f64;
        }
    }
    let separates = candidates.iter().any(|c| c.separates);
    let mut best = candidates[0];
    for c in &candidates[1..] {
        if c.code < 0.0 {
            continue;
        }
        let (mine, theirs) = (c.num * best.den, best.num * c.den);
        if best.code < 0.0 || mine > theirs || (mine == theirs && c.code < best.code) {
            best = *c;
        }
    }
    Lane { separates, ..best }
}

/// Walks the bins in order, keeping per lane the running packed sum and the best
/// threshold so far. A threshold's score SL^2/WL + SR^2/WR equals
/// S^2/W + (SL W - S WL)^2 / (W WL WR), so it is ranked by the fraction
/// (SL W - S WL)^2 / (WL WR), compared as num1 * den2 > num2 * den1 to keep the
/// loop free of division; ties keep the lowest code. With the packed prefix sum
/// R = SL + WL * scale, SL W - S WL = R W - WL (scale W + S). Clears the histogram
/// for the next node. This is the reference; [`scan_avx2`] and [`scan_avx512`] do
/// the same operations. `WHOLE`: `min_leaf` is at most 1.
fn scan_lanes<const WHOLE: bool>(
    hist: &mut LaneHist,
    n_bins: usize,
    scale: f64,
    node: &NodeTotals,
) -> [Lane; LANES] {
    let inv_scale = 1.0 / scale;
    let weight = node.weight as f64;
    let min_leaf = node.min_leaf as f64;
    let shift = scale * weight + node.sum;
    let empty = Lane {
        num: 0.0,
        den: 1.0,
        code: -1.0,
        running: 0.0,
        separates: false,
    };
    let mut best = [[empty; LANES]; STEP];
    let mut run = [0.0f64; LANES];
    for base in (0..n_bins).step_by(STEP) {
        let mut h = [[0.0f64; LANES]; STEP];
        for (b, bin) in h.iter_mut().enumerate() {
            *bin = std::mem::replace(&mut hist[base + b], [0.0; LANES]);
        }
        for j in 0..LANES {
            let p01 = h[0][j] + h[1][j];
            let p23 = h[2][j] + h[3][j];
            let r1 = run[j] + p01;
            let running = [run[j] + h[0][j], r1, r1 + h[2][j], run[j] + (p01 + p23)];
            run[j] = running[3];
            for b in 0..STEP {
                let acc = &mut best[b][j];
                let lc = (running[b] * inv_scale + ROUND) - ROUND;
                let rc = weight - lc;
                let diff = running[b] * weight - lc * shift;
                let n = diff * diff;
                let d = lc * rc;
                // With whole samples, both sides are non-empty exactly when d > 0.
                let valid = if WHOLE {
                    d > 0.5
                } else {
                    lc >= min_leaf && rc >= min_leaf
                };
                if valid && n * acc.den > acc.num * d {
                    acc.num = n;
                    acc.den = d;
                    acc.code = base as f64;
                    acc.running = running[b];
                }
                acc.separates |= if WHOLE { valid } else { lc > 0.5 && rc > 0.5 };
            }
        }
    }
    std::array::from_fn(|j| merge(std::array::from_fn(|b| best[b][j])))
}

/// [`scan_lanes`] for the four lanes from `offset`, with AVX2 intrinsics: the same
/// operations in the same order, so the same results bit for bit. Clears those
/// lanes of the histogram.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn scan_avx2<const WHOLE: bool>(
    hist: &mut LaneHist,
    offset: usize,
    n_bins: usize,
    scale: f64,
    node: &NodeTotals,
) -> [Lane; HALF] {
    use std::arch::x86_64::*;

    struct Consts {
        inv_scale: __m256d,
        weight: __m256d,
        shift: __m256d,
        min_leaf: __m256d,
        half: __m256d,
        round: __m256d,
    }
    #[derive(Clone, Copy)]
    struct Acc {
        num: __m256d,
        den: __m256d,
        code: __m256d,
        running: __m256d,
        separates: __m256d,
    }
    #[target_feature(enable = "avx2")]
    #[inline]
    fn update<const WHOLE: bool>(acc: &mut Acc, running: __m256d, code: __m256d, k: &Consts) {
        let lc = _mm256_sub_pd(
            _mm256_add_pd(_mm256_mul_pd(running, k.inv_scale), k.round),
            k.round,
        );
        let rc = _mm256_sub_pd(k.weight, lc);
        let diff = _mm256_sub_pd(_mm256_mul_pd(running, k.weight), _mm256_mul_pd(lc, k.shift));
        let n = _mm256_mul_pd(diff, diff);
        let d = _mm256_mul_pd(lc, rc);
        let valid = if WHOLE {
            _mm256_cmp_pd::<_CMP_GT_OQ>(d, k.half)
        } else {
            _mm256_and_pd(
                _mm256_cmp_pd::<_CMP_GE_OQ>(lc, k.min_leaf),
                _mm256_cmp_pd::<_CMP_GE_OQ>(rc, k.min_leaf),
            )
        };
        let better = _mm256_and_pd(
            valid,
            _mm256_cmp_pd::<_CMP_GT_OQ>(_mm256_mul_pd(n, acc.den), _mm256_mul_pd(acc.num, d)),
        );
        acc.num = _mm256_blendv_pd(acc.num, n, better);
        acc.den = _mm256_blendv_pd(acc.den, d, better);
        acc.code = _mm256_blendv_pd(acc.code, code, better);
        acc.running = _mm256_blendv_pd(acc.running, running, better);
        let inside = if WHOLE {
            valid
        } else {
            _mm256_and_pd(
                _mm256_cmp_pd::<_CMP_GT_OQ>(lc, k.half),
                _mm256_cmp_pd::<_CMP_GT_OQ>(rc, k.half),
            )
        };
        acc.separates = _mm256_or_pd(acc.separates, inside);
    }

    let splat = _mm256_set1_pd;
    let weight = node.weight as f64;
    let k = Consts {
        inv_scale: splat(1.0 / scale),
        weight: splat(weight),
        shift: splat(scale * weight + node.sum),
        min_leaf: splat(node.min_leaf as f64),
        half: splat(0.5),
        round: splat(ROUND),
    };
    let empty = Acc {
        num: splat(0.0),
        den: splat(1.0),
        code: splat(-1.0),
        running: splat(0.0),
        separates: _mm256_setzero_pd(),
    };
    let mut acc = [empty; STEP];
    let mut run = splat(0.0);
    let mut code = splat(0.0);
    let step = splat(STEP as f64);
    // No closures below: they would not inherit AVX2, and passing vectors between
    // functions with different target features breaks the calling convention.
    for base in (0..n_bins).step_by(STEP) {
        let mut h = [_mm256_setzero_pd(); STEP];
        for (b, v) in h.iter_mut().enumerate() {
            let lanes = &mut hist[base + b][offset..offset + HALF];
            // SAFETY: `lanes` is 4 contiguous f64; unaligned loads and stores are
            // allowed.
            *v = unsafe { _mm256_loadu_pd(lanes.as_ptr()) };
            unsafe { _mm256_storeu_pd(lanes.as_mut_ptr(), _mm256_setzero_pd()) };
        }
        let p01 = _mm256_add_pd(h[0], h[1]);
        let p23 = _mm256_add_pd(h[2], h[3]);
        let r1 = _mm256_add_pd(run, p01);
        let running = [
            _mm256_add_pd(run, h[0]),
            r1,
            _mm256_add_pd(r1, h[2]),
            _mm256_add_pd(run, _mm256_add_pd(p01, p23)),
        ];
        run = running[3];
        for b in 0..STEP {
            update::<WHOLE>(&mut acc[b], running[b], code, &k);
        }
        code = _mm256_add_pd(code, step);
    }
    let mut fields = [[[0.0f64; HALF]; 4]; STEP];
    let mut separates = [0i32; STEP];
    for b in 0..STEP {
        let a = &acc[b];
        for (f, v) in [a.num, a.den, a.code, a.running].into_iter().enumerate() {
            // SAFETY: each field array holds 4 f64.
            unsafe { _mm256_storeu_pd(fields[b][f].as_mut_ptr(), v) };
        }
        separates[b] = _mm256_movemask_pd(a.separates);
    }
    let lane = |b: usize, j: usize| Lane {
        num: fields[b][0][j],
        den: fields[b][1][j],
        code: fields[b][2][j],
        running: fields[b][3][j],
        separates: separates[b] & (1 << j) != 0,
    };
    std::array::from_fn(|j| merge(std::array::from_fn(|b| lane(b, j))))
}

/// [`scan_lanes`] with AVX-512 intrinsics, all eight lanes in one register: the
/// same operations in the same order, so the same results bit for bit.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn scan_avx512<const WHOLE: bool>(
    hist: &mut LaneHist,
    n_bins: usize,
    scale: f64,
    node: &NodeTotals,
) -> [Lane; LANES] {
    use std::arch::x86_64::*;

    struct Consts {
        inv_scale: __m512d,
        weight: __m512d,
        shift: __m512d,
        min_leaf: __m512d,
        half: __m512d,
        round: __m512d,
    }
    #[derive(Clone, Copy)]
    struct Acc {
        num: __m512d,
        den: __m512d,
        code: __m512d,
        running: __m512d,
        separates: __mmask8,
    }
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn update<const WHOLE: bool>(acc: &mut Acc, running: __m512d, code: __m512d, k: &Consts) {
        let lc = _mm512_sub_pd(
            _mm512_add_pd(_mm512_mul_pd(running, k.inv_scale), k.round),
            k.round,
        );
        let rc = _mm512_sub_pd(k.weight, lc);
        let diff = _mm512_sub_pd(_mm512_mul_pd(running, k.weight), _mm512_mul_pd(lc, k.shift));
        let n = _mm512_mul_pd(diff, diff);
        let d = _mm512_mul_pd(lc, rc);
        let valid = if WHOLE {
            _mm512_cmp_pd_mask::<_CMP_GT_OQ>(d, k.half)
        } else {
            _mm512_cmp_pd_mask::<_CMP_GE_OQ>(lc, k.min_leaf)
                & _mm512_cmp_pd_mask::<_CMP_GE_OQ>(rc, k.min_leaf)
        };
        let better = valid
            & _mm512_cmp_pd_mask::<_CMP_GT_OQ>(
                _mm512_mul_pd(n, acc.den),
                _mm512_mul_pd(acc.num, d),
            );
        acc.num = _mm512_mask_blend_pd(better, acc.num, n);
        acc.den = _mm512_mask_blend_pd(better, acc.den, d);
        acc.code = _mm512_mask_blend_pd(better, acc.code, code);
        acc.running = _mm512_mask_blend_pd(better, acc.running, running);
        let inside = if WHOLE {
            valid
        } else {
            _mm512_cmp_pd_mask::<_CMP_GT_OQ>(lc, k.half)
                & _mm512_cmp_pd_mask::<_CMP_GT_OQ>(rc, k.half)
        };
        acc.separates |= inside;
    }

    let splat = _mm512_set1_pd;
    let weight = node.weight as f64;
    let k = Consts {
        inv_scale: splat(1.0 / scale),
        weight: splat(weight),
        shift: splat(scale * weight + node.sum),
        min_leaf: splat(node.min_leaf as f64),
        half: splat(0.5),
        round: splat(ROUND),
    };
    let empty = Acc {
        num: splat(0.0),
        den: splat(1.0),
        code: splat(-1.0),
        running: splat(0.0),
        separates: 0,
    };
    let mut acc = [empty; STEP];
    let mut run = splat(0.0);
    let mut code = splat(0.0);
    let step = splat(STEP as f64);
    // No closures below (see `scan_avx2`).
    for base in (0..n_bins).step_by(STEP) {
        let mut h = [_mm512_setzero_pd(); STEP];
        for (b, v) in h.iter_mut().enumerate() {
            let bin = &mut hist[base + b];
            // SAFETY: `bin` is 8 contiguous f64; unaligned loads and stores are allowed.
            *v = unsafe { _mm512_loadu_pd(bin.as_ptr()) };
            unsafe { _mm512_storeu_pd(bin.as_mut_ptr(), _mm512_setzero_pd()) };
        }
        let p01 = _mm512_add_pd(h[0], h[1]);
        let p23 = _mm512_add_pd(h[2], h[3]);
        let r1 = _mm512_add_pd(run, p01);
        let running = [
            _mm512_add_pd(run, h[0]),
            r1,
            _mm512_add_pd(r1, h[2]),
            _mm512_add_pd(run, _mm512_add_pd(p01, p23)),
        ];
        run = running[3];
        for b in 0..STEP {
            update::<WHOLE>(&mut acc[b], running[b], code, &k);
        }
        code = _mm512_add_pd(code, step);
    }
    let mut fields = [[[0.0f64; LANES]; 4]; STEP];
    for b in 0..STEP {
        let a = &acc[b];
        for (f, v) in [a.num, a.den, a.code, a.running].into_iter().enumerate() {
            // SAFETY: each field array holds 8 f64.
            unsafe { _mm512_storeu_pd(fields[b][f].as_mut_ptr(), v) };
        }
    }
    let lane = |b: usize, j: usize| Lane {
        num: fields[b][0][j],
        den: fields[b][1][j],
        code: fields[b][2][j],
        running: fields[b][3][j],
        separates: acc[b].separates & (1 << j) != 0,
    };
    std::array::from_fn(|j| merge(std::array::from_fn(|b| lane(b, j))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_direct_search() {
        // Two features over 12 samples with weights; compare with brute force.
        let c0: Vec<u8> = vec![0, 3, 1, 2, 2, 5, 4, 0, 1, 3, 5, 4];
        let c1: Vec<u8> = vec![7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7];
        let c2: Vec<u8> = vec![1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0];
        let y: Vec<f64> = vec![
            0.3, -1.2, 0.8, 2.0, -0.5, 1.1, 0.0, -2.2, 0.9, 0.4, -0.7, 1.5,
        ];
        let w: Vec<u32> = vec![1, 2, 1, 1, 3, 1, 1, 2, 1, 1, 1, 1];
        let wy: Vec<f64> = y.iter().zip(&w).map(|(y, &w)| y * w as f64).collect();
        let idx: Vec<u32> = (0..12).collect();
        let mut packed = Packed::default();
        packed.fill(&idx, &wy, &w);
        let node = NodeTotals {
            sum: wy.iter().sum(),
            weight: w.iter().sum(),
            min_leaf: 2,
        };
        let mut hist = [[0.0; LANES]; MAX_BINS];
        let got = best_thresholds(
            &[&c0[..], &c1, &c2],
            &[],
            8,
            &idx,
            &packed,
            &mut hist,
            &node,
        );
        assert_eq!(got[1], None, "constant feature");
        for (lane, codes) in [(0, &c0), (2, &c2)] {
            let mut best: Option<(u8, f64)> = None;
            for t in 0..8u8 {
                let (mut ls, mut lw) = (0.0, 0u32);
                for i in 0..12 {
                    if codes[i] <= t {
                        ls += wy[i];
                        lw += w[i];
                    }
                }
                let rw = node.weight - lw;
                if lw < 2 || rw < 2 {
                    continue;
                }
                let rs = node.sum - ls;
                let p = ls * ls / lw as f64 + rs * rs / rw as f64;
                if best.is_none_or(|b| p > b.1 + 1e-12) {
                    best = Some((t, p));
                }
            }
            let (code, proxy, left_sum, left_weight) = got[lane].unwrap().unwrap();
            let (want_code, want_proxy) = best.unwrap();
            assert_eq!(code, want_code, "lane {lane}");
            assert!(
                (proxy - want_proxy).abs() < 1e-9,
                "lane {lane}: {proxy} {want_proxy}"
            );
            let on_left = |i: usize| codes[i] <= code;
            let want_weight: u32 = (0..12).filter(|&i| on_left(i)).map(|i| w[i]).sum();
            let want_sum: f64 = (0..12).filter(|&i| on_left(i)).map(|i| wy[i]).sum();
            assert_eq!(left_weight, want_weight);
            assert!((left_sum - want_sum).abs() < 1e-12);
        }
        assert!(
            hist.iter().all(|b| b.iter().all(|&v| v == 0.0)),
            "histogram cleared"
        );
    }

    #[test]
    fn matches_a_direct_search_on_random_data() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(8);
        for n_bins in [5usize, 37, 64, 255, 256] {
            let n = 300;
            let codes: Vec<Vec<u8>> = (0..4)
                .map(|_| (0..n).map(|_| rng.random_range(0..n_bins) as u8).collect())
                .collect();
            let wy: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
            let w = vec![1u32; n];
            let idx: Vec<u32> = (0..n as u32).filter(|i| i % 3 != 0).collect();
            let mut packed = Packed::default();
            packed.fill(&idx, &wy, &w);
            let node = NodeTotals {
                sum: idx.iter().map(|&i| wy[i as usize]).sum(),
                weight: idx.len() as u32,
                min_leaf: 1,
            };
            let mut hist = [[0.0; LANES]; MAX_BINS];
            let got = best_thresholds(
                &[&codes[0][..], &codes[1], &codes[2], &codes[3]],
                &[],
                n_bins,
                &idx,
                &packed,
                &mut hist,
                &node,
            );
            for (lane, codes) in codes.iter().enumerate() {
                let mut best: Option<(u8, f64)> = None;
                for t in (0..n_bins).map(|t| t as u8) {
                    let on_left: Vec<u32> = idx
                        .iter()
                        .copied()
                        .filter(|&i| codes[i as usize] <= t)
                        .collect();
                    let lw = on_left.len() as f64;
                    let rw = node.weight as f64 - lw;
                    if lw < 1.0 || rw < 1.0 {
                        continue;
                    }
                    let ls: f64 = on_left.iter().map(|&i| wy[i as usize]).sum();
                    let rs = node.sum - ls;
                    let p = ls * ls / lw + rs * rs / rw;
                    if best.is_none_or(|b| p > b.1 + 1e-9) {
                        best = Some((t, p));
                    }
                }
                let (code, proxy, _, _) = got[lane].unwrap().unwrap();
                let (want_code, want_proxy) = best.unwrap();
                assert!(
                    (proxy - want_proxy).abs() < 1e-9,
                    "bins {n_bins} lane {lane}: {proxy} {want_proxy} codes {code} {want_code}"
                );
            }
        }
    }

    #[test]
    fn sparse_lanes_find_the_splits_of_dense_lanes() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(5);
        let n = 400;
        // Mostly zeros (code 0), as single-cell genes; one feature's mode is not 0.
        let codes: Vec<Vec<u8>> = (0..LANES)
            .map(|j| {
                (0..n)
                    .map(|_| match rng.random_range(0..10) {
                        0..7 if j == 5 => 9,
                        0..7 => 0,
                        _ => rng.random_range(0..40) as u8,
                    })
                    .collect()
            })
            .collect();
        let rests: Vec<(u8, Vec<u32>)> = codes
            .iter()
            .map(|c| {
                let mode = if c.iter().filter(|&&v| v == 9).count() > n / 2 {
                    9
                } else {
                    0
                };
                (
                    mode,
                    (0..n as u32).filter(|&i| c[i as usize] != mode).collect(),
                )
            })
            .collect();
        let wy: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
        let w: Vec<u32> = (0..n).map(|_| rng.random_range(0..3)).collect();
        let wy: Vec<f64> = wy.iter().zip(&w).map(|(y, &w)| y * w as f64).collect();
        let all: Vec<u32> = (0..n as u32).collect();
        let mut packed = Packed::default();
        packed.fill(&all, &wy, &w);
        // A child node: a subset of the tree's samples.
        let idx: Vec<u32> = all.iter().copied().filter(|i| i % 4 != 1).collect();
        let node = NodeTotals {
            sum: idx.iter().map(|&i| wy[i as usize]).sum(),
            weight: idx.iter().map(|&i| w[i as usize]).sum(),
            min_leaf: 2,
        };
        let mut hist = [[0.0; LANES]; MAX_BINS];
        let dense: Vec<&[u8]> = codes.iter().map(|c| &c[..]).collect();
        let want = best_thresholds(&dense, &[], 40, &idx, &packed, &mut hist, &node);
        // Half the features sparse, in the lanes after the dense ones.
        packed.mask(&idx);
        let sparse: Vec<SparseLane<'_>> = (4..LANES)
            .map(|j| SparseLane {
                codes: &codes[j],
                mode: rests[j].0,
                samples: &rests[j].1,
            })
            .collect();
        let got = best_thresholds(&dense[..4], &sparse, 40, &idx, &packed, &mut hist, &node);
        packed.unmask(&idx);
        assert!(packed.masked.iter().all(|&v| v == 0.0), "unmasked");
        for j in 0..LANES {
            let (want, got) = (want[j].unwrap().unwrap(), got[j].unwrap().unwrap());
            assert_eq!(
                (want.0, want.3),
                (got.0, got.3),
                "lane {j}: code, left weight"
            );
            assert!((want.1 - got.1).abs() < 1e-9 && (want.2 - got.2).abs() < 1e-9);
        }
        assert!(hist.iter().all(|b| b.iter().all(|&v| v == 0.0)), "cleared");
    }

    #[test]
    fn vector_and_portable_scans_agree_bit_for_bit() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
        let mut paths = vec![Vectors::Portable];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                paths.push(Vectors::Avx2);
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                paths.push(Vectors::Avx512);
            }
        }
        for min_leaf in [1, 3] {
            let scale = 1024.0;
            let mut hist = [[0.0; LANES]; MAX_BINS];
            let (mut sum, mut weight) = (0.0, 0u32);
            let mut bins = vec![0.0; 200];
            for bin in bins.iter_mut() {
                let w = rng.random_range(0..3u32);
                let wy: f64 = if w > 0 {
                    rng.random_range(-2.0..2.0)
                } else {
                    0.0
                };
                sum += wy;
                weight += w;
                *bin = wy + w as f64 * scale;
            }
            // The same samples in every lane, permuted differently across bins.
            for (j, step) in [1, 3, 7, 9, 11, 13, 17, 19].into_iter().enumerate() {
                for (c, &v) in bins.iter().enumerate() {
                    hist[(c * step + 3) % 200][j] = v;
                }
            }
            let node = NodeTotals {
                sum,
                weight,
                min_leaf,
            };
            let run = |path: Vectors| {
                let mut copy = hist;
                let lanes = if min_leaf <= 1 {
                    scan_with::<true>(path, &mut copy, LANES, 200, scale, &node)
                } else {
                    scan_with::<false>(path, &mut copy, LANES, 200, scale, &node)
                };
                assert!(copy.iter().all(|b| b.iter().all(|&v| v == 0.0)));
                lanes
            };
            let reference = run(Vectors::Portable);
            assert!(reference.iter().all(|l| l.code >= 0.0 && l.separates));
            for &path in &paths[1..] {
                assert_eq!(run(path), reference);
            }
        }
    }
}
