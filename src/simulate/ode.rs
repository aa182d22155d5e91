//! Adaptive Dormand-Prince 5(4) integration of ODEs (Dormand & Prince 1980; the
//! step control of Hairer, Nørsett & Wanner, *Solving ODEs I*, II.4), used for time
//! series and as the steady-state fallback. Gene networks with half-lives of 5 to 50
//! minutes are not stiff, so an explicit method is the right tool. Each step costs
//! seven right-hand-side evaluations (six with first-same-as-last).

/// Integration settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct OdeOptions {
    /// Relative tolerance per component.
    pub rtol: f64,
    /// Absolute tolerance per component.
    pub atol: f64,
    /// Most steps before giving up.
    pub max_steps: usize,
}

impl Default for OdeOptions {
    /// GeneNetWeaver integrates with relative precision 1e-3 and absolute 1e-5; we ask
    /// for ten times more of each since the fallback is followed by Newton polishing
    /// and time series are written with six decimals.
    fn default() -> Self {
        OdeOptions {
            rtol: 1e-4,
            atol: 1e-6,
            max_steps: 1_000_000,
        }
    }
}

/// Why an integration stopped early.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum OdeStop {
    /// `stop` returned true at this time.
    Stopped(f64),
    /// Reached the end time.
    Done,
    /// Too many steps, or the step size underflowed (the state is left at time `t`).
    Failed(f64),
}

const C: [f64; 7] = [0.0, 1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0, 1.0, 1.0];
const A: [[f64; 6]; 7] = [
    [0.0; 6],
    [1.0 / 5.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [3.0 / 40.0, 9.0 / 40.0, 0.0, 0.0, 0.0, 0.0],
    [44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0, 0.0, 0.0, 0.0],
    [
        19372.0 / 6561.0,
        -25360.0 / 2187.0,
        64448.0 / 6561.0,
        -212.0 / 729.0,
        0.0,
        0.0,
    ],
    [
        9017.0 / 3168.0,
        -355.0 / 33.0,
        46732.0 / 5247.0,
        49.0 / 176.0,
        -5103.0 / 18656.0,
        0.0,
    ],
    [
        35.0 / 384.0,
        0.0,
        500.0 / 1113.0,
        125.0 / 192.0,
        -2187.0 / 6784.0,
        11.0 / 84.0,
    ],
];
/// Fifth-order solution minus the embedded fourth-order one.
const E: [f64; 7] = [
    71.0 / 57600.0,
    0.0,
    -71.0 / 16695.0,
    71.0 / 1920.0,
    -17253.0 / 339200.0,
    22.0 / 525.0,
    -1.0 / 40.0,
];

/// Integrates `dy/dt = f(t, y)` from `t0` to `t1` in place. After every accepted
/// step `stop(t, y, dy/dt)` may end the integration early. `h` is the initial step
/// size (0 picks one) and is updated to the last step size, so consecutive calls
/// continue smoothly.
pub(crate) fn integrate<F, S>(
    mut f: F,
    y: &mut [f64],
    t0: f64,
    t1: f64,
    h: &mut f64,
    options: &OdeOptions,
    mut stop: S,
) -> OdeStop
where
    F: FnMut(f64, &[f64], &mut [f64]),
    S: FnMut(f64, &[f64], &[f64]) -> bool,
{
    let n = y.len();
    let mut k: Vec<Vec<f64>> = vec![vec![0.0; n]; 7];
    let mut tmp = vec![0.0; n];
    let mut y_new = vec![0.0; n];
    let mut t = t0;
    f(t, y, &mut k[0]);
    if *h <= 0.0 {
        *h = initial_step(y, &k[0], options, t1 - t0);
    }
    let mut steps = 0;
    while t < t1 {
        if steps >= options.max_steps {
            return OdeStop::Failed(t);
        }
        steps += 1;
        let step = h.min(t1 - t);
        if step <= f64::EPSILON * t.abs().max(1.0) {
            return OdeStop::Failed(t);
        }
        for s in 1..7 {
            for i in 0..n {
                let mut acc = y[i];
                for (j, kj) in k.iter().enumerate().take(s) {
                    acc += step * A[s][j] * kj[i];
                }
                tmp[i] = acc;
            }
            f(t + C[s] * step, &tmp, &mut k[s]);
        }
        // Stage 7 was evaluated at the fifth-order solution (FSAL).
        y_new.copy_from_slice(&tmp);
        let mut err = 0.0;
        for i in 0..n {
            let mut e = 0.0;
            for (j, kj) in k.iter().enumerate() {
                e += E[j] * kj[i];
            }
            let scale = options.atol + options.rtol * y[i].abs().max(y_new[i].abs());
            let r = step * e / scale;
            err += r * r;
        }
        let err = (err / n.max(1) as f64).sqrt();
        if err <= 1.0 {
            t += step;
            y.copy_from_slice(&y_new);
            let last = k.pop().expect("seven stages");
            k.insert(0, last);
            if stop(t, y, &k[0]) {
                *h = step;
                return OdeStop::Stopped(t);
            }
        }
        let factor = if err == 0.0 {
            5.0
        } else {
            (0.9 * err.powf(-0.2)).clamp(0.2, 5.0)
        };
        *h = step * factor;
    }
    OdeStop::Done
}

/// A first step from the size of the derivative (Hairer et al. II.4, simplified).
fn initial_step(y: &[f64], dy: &[f64], options: &OdeOptions, span: f64) -> f64 {
    let mut d0 = 0.0;
    let mut d1 = 0.0;
    for (&yi, &di) in y.iter().zip(dy) {
        let scale = options.atol + options.rtol * yi.abs();
        d0 += (yi / scale).powi(2);
        d1 += (di / scale).powi(2);
    }
    let h = if d0 < 1e-10 || d1 < 1e-10 {
        1e-6
    } else {
        0.01 * (d0 / d1).sqrt()
    };
    h.min(span.abs()).max(1e-12)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_decay_is_accurate() {
        let mut y = [1.0, 2.0];
        let mut h = 0.0;
        let opts = OdeOptions {
            rtol: 1e-9,
            atol: 1e-12,
            ..Default::default()
        };
        let r = integrate(
            |_, y, dy| {
                dy[0] = -0.5 * y[0];
                dy[1] = 1.0 - y[1];
            },
            &mut y,
            0.0,
            4.0,
            &mut h,
            &opts,
            |_, _, _| false,
        );
        assert_eq!(r, OdeStop::Done);
        assert!((y[0] - (-2.0f64).exp()).abs() < 1e-8, "{}", y[0]);
        assert!((y[1] - (1.0 + (-4.0f64).exp())).abs() < 1e-8, "{}", y[1]);
    }

    #[test]
    fn stops_when_asked() {
        let mut y = [1.0];
        let mut h = 0.0;
        let r = integrate(
            |_, y, dy| dy[0] = -y[0],
            &mut y,
            0.0,
            100.0,
            &mut h,
            &OdeOptions::default(),
            |_, _, dy| dy[0].abs() < 1e-3,
        );
        match r {
            OdeStop::Stopped(t) => assert!(t > 6.0 && t < 8.0, "{t}"),
            other => panic!("{other:?}"),
        }
    }
}
