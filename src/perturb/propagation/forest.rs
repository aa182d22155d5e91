//! The forest response: `x_t = b_t + f_t(x) - f_t(b)`, propagated `n` steps or
//! iterated to its fixed point block by block.

use crate::network::Block;

use super::{Prediction, Predictor};

impl Predictor<'_> {
    /// Each target's forest prediction at the baseline (0 without regulators).
    pub(super) fn baseline_fits(&self) -> Vec<f64> {
        let mut buf = Vec::new();
        (0..self.model.n_genes())
            .map(|t| {
                if self.model.regulators(t).is_empty() {
                    0.0
                } else {
                    self.model.forest_predict(t, &self.baseline, &mut buf)
                }
            })
            .collect()
    }

    pub(super) fn forest_contributions(&self, t: usize, delta: &[f64], out: &mut Vec<f64>) {
        let mut x = self.baseline.clone();
        let mut buf = Vec::new();
        for &r in self.model.regulators(t) {
            if delta[r] == 0.0 {
                out.push(0.0);
                continue;
            }
            x[r] = self.baseline[r] + delta[r];
            let f = self.model.forest_predict(t, &x, &mut buf);
            x[r] = self.baseline[r];
            out.push((f - self.base_fit[t]).abs());
        }
    }

    /// A forest target's change given all current changes.
    fn forest_delta(&self, t: usize, dx: &[f64], x: &mut [f64], buf: &mut Vec<f32>) -> f64 {
        let regs = self.model.regulators(t);
        if regs.iter().all(|&r| dx[r] == 0.0) {
            return 0.0;
        }
        for &r in regs {
            x[r] = self.baseline[r] + dx[r];
        }
        self.model.forest_predict(t, x, buf) - self.base_fit[t]
    }

    pub(super) fn forest_steps(&self, clamp: &[Option<f64>], steps: usize) -> Prediction {
        let n = clamp.len();
        let mut dx: Vec<f64> = clamp.iter().map(|c| c.unwrap_or(0.0)).collect();
        let mut x = self.baseline.clone();
        let mut buf = Vec::new();
        let mut affected = vec![false; n];
        for _ in 0..steps {
            affected.iter_mut().for_each(|a| *a = false);
            for (j, &d) in dx.iter().enumerate() {
                if d != 0.0 {
                    for &(t, _) in self.targets_of(j) {
                        affected[t as usize] = true;
                    }
                }
            }
            let next: Vec<f64> = (0..n)
                .map(|g| match clamp[g] {
                    Some(c) => c,
                    None if affected[g] => self.forest_delta(g, &dx, &mut x, &mut buf),
                    None => 0.0,
                })
                .collect();
            dx = next;
        }
        Prediction {
            delta: dx,
            unconverged: Vec::new(),
        }
    }

    pub(super) fn forest_steady(&self, clamp: &[Option<f64>]) -> Prediction {
        let n = clamp.len();
        let mut dx = vec![0.0; n];
        let mut x = self.baseline.clone();
        let mut buf = Vec::new();
        let mut unconverged = Vec::new();
        for block in self.plan.blocks() {
            match block {
                Block::Single(g) => {
                    let g = *g;
                    dx[g] = match clamp[g] {
                        Some(c) => c,
                        None => self.forest_delta(g, &dx, &mut x, &mut buf),
                    };
                }
                Block::Coupled(c) => {
                    let genes = c.genes();
                    for &g in genes {
                        if let Some(v) = clamp[g] {
                            dx[g] = v;
                        }
                    }
                    let mut converged = false;
                    let mut moved = vec![false; genes.len()];
                    for _ in 0..self.params.max_iterations {
                        // Synchronous (Jacobi) sweep: every gene sees the previous
                        // sweep's values, so the result does not depend on gene order.
                        let next: Vec<f64> = genes
                            .iter()
                            .map(|&g| match clamp[g] {
                                Some(v) => v,
                                None => self.forest_delta(g, &dx, &mut x, &mut buf),
                            })
                            .collect();
                        converged = true;
                        for (l, (&g, &v)) in genes.iter().zip(&next).enumerate() {
                            let tol = self.params.tolerance * self.model.sd(g);
                            moved[l] = (v - dx[g]).abs() > tol;
                            converged &= !moved[l];
                            dx[g] = v;
                        }
                        if converged {
                            break;
                        }
                    }
                    if !converged {
                        unconverged.extend(
                            genes
                                .iter()
                                .zip(&moved)
                                .filter(|&(_, &m)| m)
                                .map(|(&g, _)| g),
                        );
                    }
                }
            }
        }
        unconverged.sort_unstable();
        Prediction {
            delta: dx,
            unconverged,
        }
    }
}
