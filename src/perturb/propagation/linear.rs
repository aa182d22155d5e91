//! The linear response: `Δx = W Δx` on free genes, propagated `n` steps or solved
//! for its fixed point block by block.

use faer::dyn_stack::MemBuffer;

use crate::network::{Block, BlockError, CoupledBlock, Factors};

use super::numeric::{solve_dense, spectral_radius};
use super::{DampedBlock, Prediction, Predictor};
use crate::perturb::PerturbError;

impl Predictor<'_> {
    /// Damps every feedback block whose spectral radius exceeds `max_radius` and
    /// factorises `I - W_bb` of every feedback block.
    pub(super) fn damp_and_factorise(&mut self) -> Result<(), PerturbError> {
        let mut work = self.plan.workspace();
        for (b, block) in self.plan.blocks().iter().enumerate() {
            let Block::Coupled(c) = block else { continue };
            // Internal edges: (row, col, position in weights).
            let internal: Vec<(usize, usize, usize)> = c
                .internal_edges()
                .map(|(l, col, k)| (l, col, self.edge_start[c.genes()[l]] + k))
                .collect();
            let size = c.genes().len();
            let radius = spectral_radius(size, &internal, &self.weights);
            if radius > self.params.max_radius {
                let scale = self.params.max_radius / radius;
                for &(_, _, p) in &internal {
                    self.weights[p] *= scale;
                }
                self.damped.push(DampedBlock {
                    genes: size,
                    radius,
                    scale,
                });
            }
            let mut values = vec![0.0; c.n_entries()];
            for l in 0..size {
                values[c.diagonal(l)] = 1.0;
            }
            for &(l, _, p) in &internal {
                let k = p - self.edge_start[c.genes()[l]];
                let e = c.entry(l, k).expect("internal edges are in the pattern");
                values[e] -= self.weights[p];
            }
            let mut factors = Factors::new();
            c.factorize(&values, &mut factors, &mut work)
                .map_err(|e| match e {
                    BlockError::Singular { detail, .. } => PerturbError::Solver(format!(
                        "the {size}-gene feedback block (I - W) is singular: {detail}"
                    )),
                    other => PerturbError::Solver(other.to_string()),
                })?;
            self.factors[b] = Some(factors);
        }
        Ok(())
    }

    pub(super) fn linear_contributions(&self, t: usize, delta: &[f64], out: &mut Vec<f64>) {
        let start = self.edge_start[t];
        out.extend(
            self.model
                .regulators(t)
                .iter()
                .enumerate()
                .map(|(k, &r)| (self.weights[start + k] * delta[r]).abs()),
        );
    }

    pub(super) fn linear_steps(&self, clamp: &[Option<f64>], steps: usize) -> Prediction {
        let n = clamp.len();
        let mut dx: Vec<f64> = clamp.iter().map(|c| c.unwrap_or(0.0)).collect();
        let mut next = vec![0.0; n];
        for _ in 0..steps {
            next.iter_mut().for_each(|v| *v = 0.0);
            for (j, &d) in dx.iter().enumerate() {
                if d == 0.0 {
                    continue;
                }
                for &(t, p) in self.targets_of(j) {
                    next[t as usize] += self.weights[p as usize] * d;
                }
            }
            for (g, c) in clamp.iter().enumerate() {
                if let Some(c) = c {
                    next[g] = *c;
                }
            }
            std::mem::swap(&mut dx, &mut next);
        }
        Prediction {
            delta: dx,
            unconverged: Vec::new(),
        }
    }

    pub(super) fn linear_steady(&self, clamp: &[Option<f64>]) -> Result<Prediction, PerturbError> {
        let n = clamp.len();
        let mut dx = vec![0.0; n];
        let blocks = self.plan.blocks();
        // Which blocks receive a change: those holding a clamped gene, and the
        // targets of changed genes (marked as blocks are visited in order).
        let mut reached = vec![false; blocks.len()];
        for (g, c) in clamp.iter().enumerate() {
            if c.is_some() {
                reached[self.plan.block_of(g)] = true;
            }
        }
        let mut work = self.plan.workspace();
        for (b, block) in blocks.iter().enumerate() {
            if !reached[b] {
                continue;
            }
            match block {
                Block::Single(g) => {
                    let g = *g;
                    dx[g] = match clamp[g] {
                        Some(c) => c,
                        None => self.linear_input(g, &dx),
                    };
                }
                Block::Coupled(c) => {
                    let factors = self.factors[b]
                        .as_ref()
                        .expect("linear steady blocks are factorised");
                    self.solve_block(b, c, factors, clamp, &mut dx, &mut work)?
                }
            }
            for &g in block.genes() {
                if dx[g] != 0.0 {
                    for &(t, _) in self.targets_of(g) {
                        reached[self.plan.block_of(t as usize)] = true;
                    }
                }
            }
        }
        Ok(Prediction {
            delta: dx,
            unconverged: Vec::new(),
        })
    }

    /// `Σ_r W[t][r] Δx_r` over all of t's regulators.
    fn linear_input(&self, t: usize, dx: &[f64]) -> f64 {
        let regs = self.model.regulators(t);
        let start = self.edge_start[t];
        regs.iter()
            .enumerate()
            .map(|(k, &r)| self.weights[start + k] * dx[r])
            .sum()
    }

    /// One linear feedback block (index `b`): `(I - W_bb) y = r + E_C c` with `r`
    /// the input from outside the block and `c` chosen so clamped genes take their
    /// values.
    fn solve_block(
        &self,
        b: usize,
        c: &CoupledBlock,
        factors: &Factors,
        clamp: &[Option<f64>],
        dx: &mut [f64],
        work: &mut MemBuffer,
    ) -> Result<(), PerturbError> {
        let size = c.genes().len();
        let mut y = vec![0.0; size];
        let mut clamped: Vec<(usize, f64)> = Vec::new();
        for (l, &t) in c.genes().iter().enumerate() {
            if let Some(v) = clamp[t] {
                clamped.push((l, v));
            }
            let regs = self.model.regulators(t);
            let start = self.edge_start[t];
            y[l] = regs
                .iter()
                .enumerate()
                .filter(|&(_, &r)| self.plan.block_of(r) != b)
                .map(|(k, &r)| self.weights[start + k] * dx[r])
                .sum();
        }
        let mut solve = |v: &mut [f64]| c.solve(factors, v, work);
        if y.iter().any(|&v| v != 0.0) {
            solve(&mut y);
        }
        if !clamped.is_empty() {
            let m = clamped.len();
            let mut columns: Vec<Vec<f64>> = Vec::with_capacity(m);
            for &(l, _) in &clamped {
                let mut z = vec![0.0; size];
                z[l] = 1.0;
                solve(&mut z);
                columns.push(z);
            }
            // Z_CC c = d_C - y_C.
            let mut a: Vec<Vec<f64>> = clamped
                .iter()
                .map(|&(row, _)| columns.iter().map(|z| z[row]).collect())
                .collect();
            let mut rhs: Vec<f64> = clamped.iter().map(|&(l, v)| v - y[l]).collect();
            let coef = solve_dense(&mut a, &mut rhs).ok_or_else(|| {
                PerturbError::Solver(
                    "the perturbed genes of a feedback block cannot be held at their levels \
                     (the clamped system is singular)"
                        .into(),
                )
            })?;
            for (z, k) in columns.iter().zip(&coef) {
                for (yl, zl) in y.iter_mut().zip(z) {
                    *yl += k * zl;
                }
            }
            // Exact values for the clamped genes (the solve leaves rounding error).
            for &(l, v) in &clamped {
                y[l] = v;
            }
        }
        if y.iter().any(|v| !v.is_finite()) {
            return Err(PerturbError::Solver(format!(
                "the steady state of a {size}-gene feedback block is not finite"
            )));
        }
        for (l, &g) in c.genes().iter().enumerate() {
            dx[g] = y[l];
        }
        Ok(())
    }
}
