//! Kinetics: the ODE model of every gene and its random parameters.
//!
//! Each gene `i` follows the non-dimensional model of GeneNetWeaver (Marbach et al.
//! 2010; Schaffter et al. 2011):
//!
//! ```text
//! dx_i/dt = s_i * λ_i * a_i(regulators) - λ_i * x_i             (mRNA)
//! dy_i/dt = μ_i * x_i - μ_i * y_i                               (protein, two-stage only)
//! ```
//!
//! The maximal transcription rate equals the degradation rate (`m_i = λ_i`,
//! `r_i = μ_i`, as GeneNetWeaver), so unperturbed levels lie in [0, 1] and at steady
//! state `y = x`: the two-stage model changes dynamics (time series, noise), never
//! steady states. Regulators act through their protein (two-stage) or their mRNA
//! (one-stage). `s_i` is 1, or the factor of a knockout (0), knockdown or
//! over-expression.
//!
//! The activation `a_i` combines Hill terms `h = v^n / (k^n + v^n)` of the
//! regulators `v` (repressors enter as `1 - h`):
//!
//! ```text
//! additive:        R_i = Σ_j w_j g_j / Σ_j w_j      (a weighted OR, SERGIO-like)
//! multiplicative:  R_i = Π_j g_j                     (an AND of independent sites)
//! a_i = clamp(β_i + (1 - β_i) R_i + δ_i, 0, 1)
//! ```
//!
//! with basal (leaky) activation `β_i` and `δ_i` a multifactorial shift of the basal
//! activation (0 unless perturbed; GeneNetWeaver shifts every state's activation by
//! `δ` and truncates to [0, 1], as here). Genes without regulators have `R_i = 1`:
//! constitutively expressed, as GeneNetWeaver sets `α_0 = 1` for them.
//!
//! Random parameters follow GeneNetWeaver's defaults (`GnwSettings`): half-lives of
//! mRNA and protein from a Gaussian on [5, 50] min truncated, `λ = ln 2 / t½`; Hill
//! thresholds `k ~ U[0.01, 1]`; Hill coefficients from a Gaussian with mean 2 and
//! sd 2 truncated to [1, 10]; weights from a Gaussian on [0.25, 1] (GeneNetWeaver's
//! per-module activation change); basal activation of regulated genes from its "low
//! basal rate", a Gaussian with mean 0 and sd 0.05 truncated to [0, 0.25]. Gaussians
//! "on [a, b]" have mean (a+b)/2 and sd (b-a)/6, redrawn until inside, as
//! GeneNetWeaver's `RandomParameterGaussian`.
//!
//! Evaluating every gene's production costs O(E) for E edges.

mod model;
mod params;
mod perturbation;

pub use model::{Gene, Input, Model, ModelSpec};
pub use params::{Combination, KineticParams, Range};
pub(crate) use perturbation::Applied;
pub use perturbation::KineticPerturbation;
