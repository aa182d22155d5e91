//! Gaussian MI and the correlation matrix it is built on.

use ndarray::{Array2, ArrayView2};

use super::{gram_pairs, is_constant};
use crate::Progress;
use crate::mutual_info::PairMatrix;

/// Largest r^2 used in -1/2 ln(1 - r^2): `f32` correlations cannot resolve 1 - r^2
/// below its machine epsilon, so identical genes get the largest MI that `f32`
/// precision can express (about 7.97 nats) instead of infinity.
const MAX_R2: f64 = 1.0 - f32::EPSILON as f64;

/// The MI of a bivariate normal with correlation `r`.
pub(crate) fn mi_of_correlation(r: f32) -> f32 {
    let r2 = (f64::from(r) * f64::from(r)).min(MAX_R2);
    (-0.5 * (1.0 - r2).ln()) as f32
}

/// Each gene centred and scaled to unit norm (population variance 1/n), so that
/// the dot product of two rows is their Pearson correlation. Constant genes become
/// zero rows (correlation 0 with everything). Accumulates in `f64`.
pub(crate) fn standardize(values: ArrayView2<'_, f32>) -> Array2<f32> {
    let mut z = values.as_standard_layout().into_owned();
    for mut row in z.rows_mut() {
        standardize_row(row.as_slice_mut().expect("owned rows are contiguous"));
    }
    z
}

/// One row of [`standardize`], in place.
pub(crate) fn standardize_row(x: &mut [f32]) {
    if is_constant(x) {
        x.fill(0.0);
        return;
    }
    let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / x.len() as f64;
    let ss = x
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>();
    let scale = 1.0 / ss.sqrt();
    for v in x.iter_mut() {
        *v = ((f64::from(*v) - mean) * scale) as f32;
    }
}

/// Pearson correlation of every regulator with every gene, from rows standardised by
/// [`standardize`]: one blocked matrix product, O(r g n).
pub(crate) fn correlation_matrix(
    z: ArrayView2<'_, f32>,
    regs: Vec<usize>,
    progress: &dyn Progress,
) -> PairMatrix {
    gram_pairs(z, 1, regs, progress, |_, _, block, _| {
        block[0].clamp(-1.0, 1.0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mutual_info::testing::matrix;

    #[test]
    fn correlation_matches_direct_formula() {
        let a = vec![1.0f32, 2.0, 3.0, 4.0, 10.0];
        let b = vec![2.0f32, 1.0, 4.0, 3.0, 5.0];
        let c = vec![5.0f32, 4.0, 3.0, 2.0, 1.0];
        let z = standardize(matrix(&[a.clone(), b.clone(), c]).view());
        let m = correlation_matrix(z.view(), vec![0, 1, 2], &crate::Quiet);
        // Hand-computed: mean a = 4, mean b = 3; sxy = 18, sxx = 50, syy = 10.
        let r = 18.0 / (50.0f64 * 10.0).sqrt();
        assert!((f64::from(m.get(0, 1)) - r).abs() < 1e-6);
        assert!((f64::from(m.get(1, 2)) + 0.8).abs() < 1e-6);
        assert!((mi_of_correlation(0.5) as f64 - (-0.5 * 0.75f64.ln())).abs() < 1e-7);
        assert!(mi_of_correlation(1.0).is_finite() && mi_of_correlation(-1.0) > 7.0);
    }
}
