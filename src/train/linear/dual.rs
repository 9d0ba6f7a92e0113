//! The two dual coordinate-descent solvers of LIBLINEAR, each on one binary problem, apart from
//! the parameters and the one-vs-rest split around them so that their loops read like the
//! papers' algorithms.

use super::SolveStats;
use crate::features::SparseVec;
use crate::train::folds::splitmix;

/// The rows a fit reads: those with a positive weight, their norms, and their costs before the
/// one-vs-rest split.
pub(super) struct Problem<'a> {
    pub rows: Vec<&'a SparseVec>,
    pub labels: Vec<usize>,
    /// `C × class weight × sample weight` per kept row.
    pub costs: Vec<f64>,
    /// `‖x‖² + B²` per kept row.
    pub norms: Vec<f64>,
    /// The bias feature's value, 0 without one.
    pub bias: f64,
    pub features: usize,
}

impl<'a> Problem<'a> {
    fn dot(&self, w: &[f64], i: usize) -> f64 {
        let x = self.rows[i];
        let mut s = w[self.features] * self.bias;
        for (&j, &v) in x.idx.iter().zip(&x.val) {
            s += w[j as usize] * v as f64;
        }
        s
    }

    fn axpy(&self, a: f64, i: usize, w: &mut [f64]) {
        let x = self.rows[i];
        w[self.features] += a * self.bias;
        for (&j, &v) in x.idx.iter().zip(&x.val) {
            w[j as usize] += a * v as f64;
        }
    }

    /// `+1` for the rows of `positive`, `−1` for the rest.
    pub fn signs(&self, positive: usize) -> Vec<f64> {
        self.labels
            .iter()
            .map(|&l| if l == positive { 1.0 } else { -1.0 })
            .collect()
    }
}

/// SplitMix64 over the crate's `splitmix` mixer: a seeded stream for the permutations.
pub(super) struct Rng(pub u64);

impl Rng {
    /// Uniform in `0..n` (`n ≥ 1`), by multiply-shift.
    pub fn below(&mut self, n: usize) -> usize {
        let r = splitmix(self.0);
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        ((r as u128 * n as u128) >> 64) as usize
    }

    /// Shuffles `v` in place (Fisher–Yates, front to back as LIBLINEAR does).
    fn shuffle(&mut self, v: &mut [usize]) {
        for i in 0..v.len() {
            let j = i + self.below(v.len() - i);
            v.swap(i, j);
        }
    }
}

/// One binary problem's solution.
pub(super) struct Solved {
    /// `w = Σ α_i y_i x_i`, the bias feature's weight last.
    pub w: Vec<f64>,
    pub stats: SolveStats,
}

/// The squared-hinge SVM dual, `min ½αᵀ(Q + D)α − eᵀα, α ≥ 0` with `Q_ij = y_i y_j x_iᵀx_j`
/// and `D_ii = 1 / (2 C_i)`.
pub(super) fn solve_svc(
    prob: &Problem,
    y: &[f64],
    eps: f64,
    max_iter: usize,
    rng: &mut Rng,
) -> Solved {
    let l = prob.rows.len();
    let diag: Vec<f64> = prob.costs.iter().map(|c| 0.5 / c).collect();
    let qd: Vec<f64> = prob.norms.iter().zip(&diag).map(|(n, d)| n + d).collect();
    let mut alpha = vec![0f64; l];
    let mut w = vec![0f64; prob.features + 1];
    let mut index: Vec<usize> = (0..l).collect();
    let mut active = l;
    // the largest projected gradient of the last pass: a row at α = 0 whose gradient is above it
    // is unlikely to move and is shrunk out of the active set
    let mut pg_max_old = f64::INFINITY;
    let mut iter = 0;
    let mut converged = false;
    while iter < max_iter {
        let mut pg_max = f64::NEG_INFINITY;
        let mut pg_min = f64::INFINITY;
        rng.shuffle(&mut index[..active]);
        let mut s = 0;
        while s < active {
            let i = index[s];
            let g = y[i] * prob.dot(&w, i) - 1.0 + alpha[i] * diag[i];
            let mut pg = 0.0;
            if alpha[i] == 0.0 {
                if g > pg_max_old {
                    active -= 1;
                    index.swap(s, active);
                    continue;
                }
                if g < 0.0 {
                    pg = g;
                }
            } else {
                pg = g;
            }
            pg_max = pg_max.max(pg);
            pg_min = pg_min.min(pg);
            if pg.abs() > 1e-12 {
                let old = alpha[i];
                alpha[i] = (old - g / qd[i]).max(0.0);
                prob.axpy((alpha[i] - old) * y[i], i, &mut w);
            }
            s += 1;
        }
        iter += 1;
        if pg_max - pg_min <= eps {
            if active == l {
                converged = true;
                break;
            }
            active = l;
            pg_max_old = f64::INFINITY;
            continue;
        }
        pg_max_old = if pg_max <= 0.0 { f64::INFINITY } else { pg_max };
    }
    Solved {
        w,
        stats: SolveStats {
            iterations: iter,
            converged,
        },
    }
}

/// The logistic-regression dual, `min ½αᵀQα + Σ α_i log α_i + (C_i − α_i) log(C_i − α_i)` with
/// `0 < α_i < C_i`, each coordinate solved by a safeguarded Newton method.
pub(super) fn solve_lr(
    prob: &Problem,
    y: &[f64],
    eps: f64,
    max_iter: usize,
    rng: &mut Rng,
) -> Solved {
    const MAX_INNER: usize = 100;
    const ETA: f64 = 0.1;
    let l = prob.rows.len();
    let c = &prob.costs;
    // alpha[2i] is α_i, alpha[2i + 1] is C_i − α_i, kept apart to avoid cancellation near C_i
    let mut alpha = vec![0f64; 2 * l];
    let mut w = vec![0f64; prob.features + 1];
    for i in 0..l {
        alpha[2 * i] = (0.001 * c[i]).min(1e-8);
        alpha[2 * i + 1] = c[i] - alpha[2 * i];
        prob.axpy(y[i] * alpha[2 * i], i, &mut w);
    }
    let mut index: Vec<usize> = (0..l).collect();
    let mut inner_eps = 1e-2;
    let inner_eps_min = eps.min(1e-8);
    let mut iter = 0;
    let mut converged = false;
    while iter < max_iter {
        rng.shuffle(&mut index);
        let mut newton_steps = 0;
        let mut g_max = 0f64;
        for &i in &index {
            let ci = c[i];
            let a = prob.norms[i];
            let b = y[i] * prob.dot(&w, i);
            // minimize over whichever of α_i and C_i − α_i is the smaller at the optimum
            let (mut i1, mut i2, mut sign) = (2 * i, 2 * i + 1, 1.0);
            if 0.5 * a * (alpha[i2] - alpha[i1]) + b < 0.0 {
                (i1, i2, sign) = (i2, i1, -1.0);
            }
            let old = alpha[i1];
            let mut z = if ci - old < 0.5 * ci { 0.1 * old } else { old };
            let grad = |z: f64| a * (z - old) + sign * b + (z / (ci - z)).ln();
            let mut gp = grad(z);
            g_max = g_max.max(gp.abs());
            let mut inner = 0;
            while inner <= MAX_INNER && gp.abs() >= inner_eps {
                let gpp = a + ci / (ci - z) / z;
                let next = z - gp / gpp;
                z = if next <= 0.0 { z * ETA } else { next };
                gp = grad(z);
                newton_steps += 1;
                inner += 1;
            }
            if inner > 0 {
                alpha[i1] = z;
                alpha[i2] = ci - z;
                prob.axpy(sign * (z - old) * y[i], i, &mut w);
            }
        }
        iter += 1;
        if g_max < eps {
            converged = true;
            break;
        }
        if newton_steps <= l / 10 {
            inner_eps = inner_eps_min.max(0.1 * inner_eps);
        }
    }
    Solved {
        w,
        stats: SolveStats {
            iterations: iter,
            converged,
        },
    }
}
