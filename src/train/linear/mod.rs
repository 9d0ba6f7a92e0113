//! A sparse linear classifier trained by dual coordinate descent, written here because linfa's
//! linear learners take dense matrices and the training rows have tens of thousands of sparse
//! features.
//!
//! It follows LIBLINEAR's two dual solvers (`linear.cpp`, Fan et al. 2008, JMLR 9):
//! - the L2-regularized L2-loss (squared hinge) SVM dual, LIBLINEAR `-s 1` and the solver behind
//!   scikit-learn's `LinearSVC`: Hsieh, Chang, Lin, Keerthi, Sundararajan (2008), "A Dual
//!   Coordinate Descent Method for Large-scale Linear SVM", ICML, Algorithm 1 with the random
//!   permutation per pass and the shrinking of Section 3;
//! - the L2-regularized logistic-regression dual, LIBLINEAR `-s 7`: Yu, Huang, Lin (2011), "Dual
//!   coordinate descent methods for logistic regression and maximum entropy models", Machine
//!   Learning 85, Algorithm 5 (a Newton step per coordinate; like LIBLINEAR, no shrinking).
//!
//! As in LIBLINEAR the bias is an extra constant feature `B` (regularized like the others), a pass
//! stops the solver when the projected gradient's max − min (SVM) or its largest magnitude
//! (logistic) falls below `eps`, and more than two classes are fitted one-vs-rest. Each row's
//! cost is `C × class weight of its label × its sample weight`; for more than two classes
//! LIBLINEAR gives the negative rows of each one-vs-rest problem the plain `C` instead, so the
//! two differ only when class weights are set. Two classes are one problem, class 1 positive.
//!
//! linfa's `Fit`/`Predict` traits take `ndarray` records, which would mean a dense copy of the
//! sparse rows, so the shape here is linfa's (params, `check`, `fit`, predict) without its traits.
#![cfg_attr(not(test), allow(dead_code))] // used by `train` once it chooses among learners

mod dual;

use super::folds::{parallel_map, splitmix};
use crate::error::{Error, Result};
use crate::features::SparseVec;
use dual::{Problem, Rng, Solved, solve_lr, solve_svc};

/// The loss of the primal problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Loss {
    /// Squared hinge, `max(0, 1 − y wᵀx)²` (LIBLINEAR `-s 1`, scikit-learn `LinearSVC`).
    SquaredHinge,
    /// Logistic, `log(1 + exp(−y wᵀx))` (LIBLINEAR `-s 7`).
    Logistic,
}

/// Settings of a fit, unchecked; [`LinearParams::check`] validates them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LinearParams {
    c: f64,
    loss: Loss,
    eps: f64,
    max_iter: usize,
    class_weights: Option<Vec<f64>>,
    bias: Option<f64>,
    seed: u64,
    threads: usize,
}

impl Default for LinearParams {
    /// LIBLINEAR's defaults: `C = 1`, squared hinge, `eps = 0.1`, 1000 passes, bias feature 1.
    fn default() -> Self {
        LinearParams {
            c: 1.0,
            loss: Loss::SquaredHinge,
            eps: 0.1,
            max_iter: 1000,
            class_weights: None,
            bias: Some(1.0),
            seed: 0,
            threads: 1,
        }
    }
}

impl LinearParams {
    /// Inverse regularization strength (finite, above 0).
    pub fn c(mut self, c: f64) -> Self {
        self.c = c;
        self
    }

    /// The loss.
    pub fn loss(mut self, loss: Loss) -> Self {
        self.loss = loss;
        self
    }

    /// Stopping tolerance on the projected gradient (finite, above 0).
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    /// Most passes over the rows per binary problem (at least 1).
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// One weight per class, multiplying `C` for that class's rows (finite, above 0).
    pub fn class_weights(mut self, weights: Vec<f64>) -> Self {
        self.class_weights = Some(weights);
        self
    }

    /// The constant feature standing for the intercept (finite, above 0), or `None` for none.
    pub fn bias(mut self, bias: Option<f64>) -> Self {
        self.bias = bias;
        self
    }

    /// Seed of the permutation of each pass.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Threads over the one-vs-rest problems (at least 1); the model does not depend on it.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// The settings, if each makes sense.
    pub fn check(self) -> Result<ValidLinearParams> {
        let bad = |reason: String| Err(Error::InvalidInput { reason });
        if !(self.c.is_finite() && self.c > 0.0) {
            return bad(format!(
                "linear solver: C = {} must be finite and above 0",
                self.c
            ));
        }
        if !(self.eps.is_finite() && self.eps > 0.0) {
            return bad(format!(
                "linear solver: eps = {} must be finite and above 0",
                self.eps
            ));
        }
        if self.max_iter == 0 {
            return bad("linear solver: max_iter = 0, it must be at least 1".into());
        }
        if self.threads == 0 {
            return bad("linear solver: threads = 0, it must be at least 1".into());
        }
        if let Some(b) = self.bias.filter(|b| !(b.is_finite() && *b > 0.0)) {
            return bad(format!(
                "linear solver: bias = {b} must be finite and above 0 (or no bias)"
            ));
        }
        if let Some(ws) = &self.class_weights
            && let Some((k, w)) = ws
                .iter()
                .enumerate()
                .find(|(_, w)| !(w.is_finite() && **w > 0.0))
        {
            return bad(format!(
                "linear solver: class weight {w} of class {k} must be finite and above 0"
            ));
        }
        Ok(ValidLinearParams(self))
    }
}

/// Checked settings: the only way to a fit.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ValidLinearParams(LinearParams);

/// How one binary problem's solver ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SolveStats {
    /// Passes over the rows.
    pub iterations: usize,
    /// Whether the stopping rule was met before `max_iter`.
    pub converged: bool,
}

/// A fitted model: one score per class, the largest wins.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LinearModel {
    /// Number of features (indices at or above it have no weight).
    features: usize,
    /// Number of classes.
    classes: usize,
    /// `features × classes`, feature-major: feature `j`'s weight for class `c` is at
    /// `j * classes + c`.
    weights: Vec<f32>,
    /// One intercept per class (the bias feature's weight times `B`).
    intercepts: Vec<f32>,
    /// One entry per binary problem solved.
    stats: Vec<SolveStats>,
}

impl LinearModel {
    /// One score per class.
    pub fn decision_function(&self, row: &SparseVec) -> Vec<f32> {
        let c = self.classes;
        let mut out = self.intercepts.clone();
        for (&j, &v) in row.idx.iter().zip(&row.val) {
            let j = j as usize;
            if j < self.features {
                for (o, w) in out.iter_mut().zip(&self.weights[j * c..(j + 1) * c]) {
                    *o += w * v;
                }
            }
        }
        out
    }

    /// The class with the largest score (the first on a tie).
    pub fn predict(&self, row: &SparseVec) -> usize {
        let scores = self.decision_function(row);
        let mut best = 0;
        for (k, &s) in scores.iter().enumerate() {
            if s > scores[best] {
                best = k;
            }
        }
        best
    }

    /// Weight of feature `j` for class `class`.
    pub fn weight(&self, j: usize, class: usize) -> f32 {
        self.weights[j * self.classes + class]
    }

    /// Intercept of class `class`.
    pub fn intercept(&self, class: usize) -> f32 {
        self.intercepts[class]
    }

    /// How each binary problem's solver ended (one for two classes, else one per class).
    pub fn stats(&self) -> &[SolveStats] {
        &self.stats
    }
}

impl ValidLinearParams {
    /// Fits on `rows` with class indices `labels` (classes are `0..=max label`), each row
    /// counting `sample_weights[i]` times (finite, at least 0; rows of weight 0 are left out).
    pub fn fit(
        &self,
        rows: &[SparseVec],
        labels: &[usize],
        sample_weights: Option<&[f64]>,
    ) -> Result<LinearModel> {
        let p = &self.0;
        let bad = |reason: String| Err(Error::InvalidInput { reason });
        if rows.len() != labels.len() {
            return bad(format!(
                "linear solver: {} rows but {} labels",
                rows.len(),
                labels.len()
            ));
        }
        if let Some(sw) = sample_weights {
            if sw.len() != rows.len() {
                return bad(format!(
                    "linear solver: {} rows but {} sample weights",
                    rows.len(),
                    sw.len()
                ));
            }
            if let Some((i, w)) = sw
                .iter()
                .enumerate()
                .find(|(_, w)| !(w.is_finite() && **w >= 0.0))
            {
                return bad(format!(
                    "linear solver: sample weight {w} of row {i} must be finite and at least 0"
                ));
            }
        }
        if let Some((i, _)) = rows
            .iter()
            .enumerate()
            .find(|(_, r)| r.idx.len() != r.val.len() || r.val.iter().any(|v| !v.is_finite()))
        {
            return bad(format!(
                "linear solver: row {i} has a non-finite value, or not as many indices as values"
            ));
        }
        let classes = labels.iter().max().map_or(0, |m| m + 1);
        let ones = vec![1.0; classes];
        let class_weights = p.class_weights.as_deref().unwrap_or(&ones);
        if class_weights.len() != classes {
            return bad(format!(
                "linear solver: {} class weights for {classes} classes",
                class_weights.len()
            ));
        }
        let bias = p.bias.unwrap_or(0.0);
        let features = rows
            .iter()
            .filter_map(|r| r.idx.iter().max())
            .max()
            .map_or(0, |&m| m as usize + 1);
        let mut prob = Problem {
            rows: Vec::with_capacity(rows.len()),
            labels: Vec::with_capacity(rows.len()),
            costs: Vec::with_capacity(rows.len()),
            norms: Vec::with_capacity(rows.len()),
            bias,
            features,
        };
        for (i, (row, &label)) in rows.iter().zip(labels).enumerate() {
            let sw = sample_weights.map_or(1.0, |s| s[i]);
            if sw == 0.0 {
                continue;
            }
            prob.rows.push(row);
            prob.labels.push(label);
            prob.costs.push(p.c * class_weights[label] * sw);
            let sq: f64 = row.val.iter().map(|&v| v as f64 * v as f64).sum();
            prob.norms.push(sq + bias * bias);
        }
        let mut present = vec![false; classes];
        for &l in &prob.labels {
            present[l] = true;
        }
        let n_present = present.iter().filter(|&&x| x).count();
        if n_present < 2 {
            return bad(format!(
                "linear solver: {n_present} class(es) among the {} rows of positive weight; at least 2 are needed",
                prob.rows.len()
            ));
        }
        let positives: Vec<usize> = if classes == 2 {
            vec![1]
        } else {
            (0..classes).collect()
        };
        let solved = parallel_map(&positives, p.threads, |&k| {
            let y = prob.signs(k);
            let mut rng = Rng(splitmix(
                p.seed ^ (k as u64).wrapping_mul(0x2545_f491_4f6c_dd1d),
            ));
            match p.loss {
                Loss::SquaredHinge => solve_svc(&prob, &y, p.eps, p.max_iter, &mut rng),
                Loss::Logistic => solve_lr(&prob, &y, p.eps, p.max_iter, &mut rng),
            }
        });
        let mut weights = vec![0f32; features * classes];
        let mut intercepts = vec![0f32; classes];
        let mut stats = Vec::with_capacity(solved.len());
        for (&k, Solved { w, stats: st }) in positives.iter().zip(solved) {
            stats.push(st);
            // two classes: class 0 scores the negative of class 1
            let columns: &[(usize, f64)] = if classes == 2 {
                &[(0, -1.0), (1, 1.0)]
            } else {
                &[(k, 1.0)]
            };
            for &(col, sign) in columns {
                for (j, &wj) in w[..features].iter().enumerate() {
                    weights[j * classes + col] = (sign * wj) as f32;
                }
                intercepts[col] = (sign * w[features] * bias) as f32;
            }
        }
        Ok(LinearModel {
            features,
            classes,
            weights,
            intercepts,
            stats,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(entries: &[(u32, f32)]) -> SparseVec {
        SparseVec {
            idx: entries.iter().map(|e| e.0).collect(),
            val: entries.iter().map(|e| e.1).collect(),
        }
    }

    /// A standard normal draw (Box–Muller).
    fn normal(rng: &mut Rng) -> f64 {
        let unit = |rng: &mut Rng| (rng.below(1 << 53) as f64 + 0.5) / (1u64 << 53) as f64;
        let (u, v) = (unit(rng), unit(rng));
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// `per` 2-D points around each centre, class = the centre's position.
    fn blobs(centres: &[(f64, f64)], per: &[usize], spread: f64) -> (Vec<SparseVec>, Vec<usize>) {
        let mut rng = Rng(42);
        let (mut rows, mut labels) = (vec![], vec![]);
        for (k, (&(cx, cy), &n)) in centres.iter().zip(per).enumerate() {
            for _ in 0..n {
                let x = cx + spread * normal(&mut rng);
                let y = cy + spread * normal(&mut rng);
                rows.push(row(&[(0, x as f32), (1, y as f32)]));
                labels.push(k);
            }
        }
        (rows, labels)
    }

    fn fit(p: LinearParams, rows: &[SparseVec], y: &[usize], sw: Option<&[f64]>) -> LinearModel {
        p.check().unwrap().fit(rows, y, sw).unwrap()
    }

    fn errors_of(m: &LinearModel, rows: &[SparseVec], y: &[usize], class: usize) -> usize {
        rows.iter()
            .zip(y)
            .filter(|(r, l)| **l == class && m.predict(r) != class)
            .count()
    }

    /// The largest entry of the primal gradient of class `k`'s problem (one-vs-rest, or class 1
    /// against class 0 for two classes) at the model's weights, with row costs `costs`.
    fn primal_gradient(
        m: &LinearModel,
        rows: &[SparseVec],
        y: &[usize],
        costs: &[f64],
        k: usize,
        loss: Loss,
    ) -> f64 {
        let mut grad: Vec<f64> = (0..m.features).map(|j| m.weight(j, k) as f64).collect();
        grad.push(m.intercept(k) as f64);
        for ((r, &l), &c) in rows.iter().zip(y).zip(costs) {
            let s = if l == k { 1.0 } else { -1.0 };
            let margin = s * m.decision_function(r)[k] as f64;
            let slope = match loss {
                Loss::SquaredHinge => 2.0 * c * (1.0 - margin).max(0.0),
                Loss::Logistic => c / (1.0 + margin.exp()),
            };
            for (&j, &v) in r.idx.iter().zip(&r.val) {
                grad[j as usize] -= slope * s * v as f64;
            }
            grad[m.features] -= slope * s;
        }
        grad.iter().fold(0f64, |a, g| a.max(g.abs()))
    }

    #[test]
    fn separable_data_is_separated_by_both_losses() {
        let (rows, y) = blobs(&[(-2.0, -2.0), (2.0, 2.0)], &[50, 50], 0.5);
        for loss in [Loss::SquaredHinge, Loss::Logistic] {
            let m = fit(LinearParams::default().loss(loss), &rows, &y, None);
            assert_eq!(errors_of(&m, &rows, &y, 0) + errors_of(&m, &rows, &y, 1), 0);
            assert!(m.stats()[0].converged, "{loss:?}: {:?}", m.stats());
            assert_eq!(m.stats().len(), 1, "two classes are one problem");
        }
    }

    #[test]
    fn two_points_match_the_dual_solved_by_hand() {
        // x = 1 (class 1) and x = 0 (class 0, an empty row), bias feature 1, C = 1: with both
        // α > 0 the dual's optimum solves (Q + I/2) α = 1, Q = [[2, −1], [−1, 1]], so
        // α = (10/11, 14/11) and w = α₁(1, 1) − α₂(0, 1) = (10/11, −4/11).
        let rows = [row(&[(0, 1.0)]), row(&[])];
        let m = fit(LinearParams::default().eps(1e-10), &rows, &[1, 0], None);
        let close = |a: f32, b: f64| (a as f64 - b).abs() < 1e-6;
        assert!(close(m.weight(0, 1), 10.0 / 11.0), "{}", m.weight(0, 1));
        assert!(close(m.intercept(1), -4.0 / 11.0), "{}", m.intercept(1));
        assert!(close(m.weight(0, 0), -10.0 / 11.0), "{}", m.weight(0, 0));
        assert!(close(m.intercept(0), 4.0 / 11.0), "{}", m.intercept(0));
        // without the bias feature: Q = [[1, 0], [0, 0]], α₁ = 1 / 1.5, w = 2/3
        let m = fit(
            LinearParams::default().eps(1e-10).bias(None),
            &rows,
            &[1, 0],
            None,
        );
        assert!(close(m.weight(0, 1), 2.0 / 3.0), "{}", m.weight(0, 1));
        assert_eq!(m.intercept(1), 0.0);
    }

    #[test]
    fn weighted_fits_reach_the_primal_optimum_of_their_costs() {
        let (rows, y) = blobs(&[(-1.0, 0.0), (1.0, 0.5), (0.0, -1.0)], &[40, 30, 20], 1.2);
        let cw = [1.0, 2.5, 0.5];
        let sw: Vec<f64> = (0..rows.len()).map(|i| 0.5 + (i % 4) as f64).collect();
        let costs: Vec<f64> = y.iter().zip(&sw).map(|(&l, s)| 0.7 * cw[l] * s).collect();
        for loss in [Loss::SquaredHinge, Loss::Logistic] {
            let p = LinearParams::default()
                .c(0.7)
                .loss(loss)
                .class_weights(cw.to_vec())
                .eps(1e-8)
                .max_iter(100_000);
            let m = fit(p, &rows, &y, Some(&sw));
            for k in 0..3 {
                let g = primal_gradient(&m, &rows, &y, &costs, k, loss);
                assert!(g < 1e-3, "{loss:?} class {k}: primal gradient {g}");
            }
        }
    }

    #[test]
    fn a_heavier_class_loses_fewer_rows() {
        let (rows, y) = blobs(&[(-1.0, 0.0), (1.0, 0.0)], &[200, 50], 1.5);
        let plain = fit(LinearParams::default(), &rows, &y, None);
        let heavy = fit(
            LinearParams::default().class_weights(vec![1.0, 4.0]),
            &rows,
            &y,
            None,
        );
        let (e0, e1) = (
            errors_of(&plain, &rows, &y, 0),
            errors_of(&plain, &rows, &y, 1),
        );
        let (h0, h1) = (
            errors_of(&heavy, &rows, &y, 0),
            errors_of(&heavy, &rows, &y, 1),
        );
        assert!(
            h1 < e1 && h0 > e0,
            "class 1 errors {e1} → {h1}, class 0 {e0} → {h0}"
        );
        // the same costs given per row make the same problem, so the same model
        let sw: Vec<f64> = y.iter().map(|&l| if l == 1 { 4.0 } else { 1.0 }).collect();
        assert_eq!(fit(LinearParams::default(), &rows, &y, Some(&sw)), heavy);
    }

    #[test]
    fn a_sample_weight_counts_like_copies_of_its_row() {
        let (rows, y) = blobs(&[(-1.0, 0.0), (1.0, 0.0)], &[30, 30], 1.5);
        let p = LinearParams::default().eps(1e-9).max_iter(100_000);
        let mut sw = vec![1.0; rows.len()];
        let (mut copied, mut y2) = (rows.clone(), y.clone());
        for i in [3, 40, 41] {
            sw[i] = 3.0;
            for _ in 0..2 {
                copied.push(rows[i].clone());
                y2.push(y[i]);
            }
        }
        let weighted = fit(p.clone(), &rows, &y, Some(&sw));
        let copies = fit(p.clone(), &copied, &y2, None);
        let unweighted = fit(p.clone(), &rows, &y, None);
        let gap = |a: &LinearModel, b: &LinearModel| {
            (0..2)
                .map(|j| (a.weight(j, 1) - b.weight(j, 1)).abs())
                .fold((a.intercept(1) - b.intercept(1)).abs(), f32::max)
        };
        assert!(
            gap(&weighted, &copies) < 1e-5,
            "{}",
            gap(&weighted, &copies)
        );
        assert!(
            gap(&weighted, &unweighted) > 1e-2,
            "{}",
            gap(&weighted, &unweighted)
        );
        // weight 0 leaves the row out
        sw = vec![1.0; rows.len()];
        sw[7] = 0.0;
        let (mut fewer, mut y3) = (rows.clone(), y.clone());
        fewer.remove(7);
        y3.remove(7);
        assert_eq!(
            fit(p.clone(), &rows, &y, Some(&sw)),
            fit(p, &fewer, &y3, None)
        );
    }

    #[test]
    fn three_classes_one_vs_rest() {
        let centres = [(3.0, 0.0), (-1.5, 2.6), (-1.5, -2.6)];
        let (rows, y) = blobs(&centres, &[30, 30, 30], 0.5);
        for loss in [Loss::SquaredHinge, Loss::Logistic] {
            let m = fit(LinearParams::default().loss(loss), &rows, &y, None);
            assert_eq!(m.stats().len(), 3);
            for (r, &l) in rows.iter().zip(&y) {
                let scores = m.decision_function(r);
                assert_eq!(m.predict(r), l, "{loss:?} {scores:?}");
                assert!(scores[l] > 0.0, "{loss:?}: own class scores {scores:?}");
            }
        }
    }

    #[test]
    fn the_seed_decides_the_model_and_threads_do_not() {
        let (rows, y) = blobs(&[(-1.0, 0.0), (1.0, 0.0), (0.0, 1.0)], &[60, 60, 60], 1.0);
        let p = LinearParams::default().seed(7);
        let a = fit(p.clone(), &rows, &y, None);
        assert_eq!(a, fit(p.clone(), &rows, &y, None));
        assert_eq!(a, fit(p.clone().threads(2), &rows, &y, None));
        assert_ne!(a, fit(p.seed(8), &rows, &y, None));
    }

    #[test]
    fn the_iteration_cap_is_reported() {
        let (rows, y) = blobs(&[(-1.0, 0.0), (1.0, 0.0)], &[50, 50], 1.5);
        let m = fit(
            LinearParams::default().eps(1e-12).max_iter(2),
            &rows,
            &y,
            None,
        );
        let st = m.stats()[0];
        assert_eq!((st.iterations, st.converged), (2, false));
    }

    #[test]
    fn bad_settings_and_inputs_are_refused_by_name() {
        let d = LinearParams::default;
        let cases = [
            (d().c(0.0), "C = 0"),
            (d().c(f64::NAN), "C = NaN"),
            (d().c(f64::INFINITY), "C = inf"),
            (d().eps(-0.1), "eps = -0.1"),
            (d().max_iter(0), "max_iter = 0"),
            (d().threads(0), "threads = 0"),
            (d().bias(Some(f64::NAN)), "bias = NaN"),
            (
                d().class_weights(vec![1.0, -2.0]),
                "class weight -2 of class 1",
            ),
        ];
        for (p, want) in cases {
            let e = p.check().expect_err(want).to_string();
            assert!(e.contains(want), "{e} lacks {want:?}");
        }
        let rows = [row(&[(0, 1.0)]), row(&[(1, 1.0)])];
        let ok = d().check().unwrap();
        let refused = |y: &[usize], sw: Option<&[f64]>, want: &str| {
            let e = ok.fit(&rows, y, sw).expect_err(want).to_string();
            assert!(e.contains(want), "{e} lacks {want:?}");
        };
        refused(&[0], None, "2 rows but 1 labels");
        refused(&[0, 1], Some(&[1.0]), "2 rows but 1 sample weights");
        refused(&[0, 1], Some(&[1.0, -1.0]), "sample weight -1 of row 1");
        refused(&[1, 1], None, "1 class(es)");
        refused(&[0, 1], Some(&[0.0, 1.0]), "1 class(es)");
        let e = d()
            .class_weights(vec![1.0; 3])
            .check()
            .unwrap()
            .fit(&rows, &[0, 1], None);
        assert!(
            e.unwrap_err()
                .to_string()
                .contains("3 class weights for 2 classes")
        );
        let nan = [row(&[(0, f32::NAN)]), row(&[])];
        let e = ok.fit(&nan, &[0, 1], None).unwrap_err().to_string();
        assert!(e.contains("row 0 has a non-finite value"), "{e}");
    }

    /// scikit-learn's LIBLINEAR on `tests/fixtures/linear-reference.json` (made by
    /// `benches/linear_reference.py`).
    #[test]
    fn agrees_with_scikit_learn() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/linear-reference.json"
        );
        let fx: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).expect("fixture parses");
        let mut rows = vec![];
        let mut y = vec![];
        for r in fx["rows"].as_array().unwrap() {
            let num = |v: &serde_json::Value| v.as_f64().unwrap();
            rows.push(SparseVec {
                idx: r["idx"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| num(v) as u32)
                    .collect(),
                val: r["val"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| num(v) as f32)
                    .collect(),
            });
            y.push(num(&r["label"]) as usize);
        }
        let tol = fx["tol"].as_f64().unwrap();
        for (key, loss) in [("svc", Loss::SquaredHinge), ("logistic", Loss::Logistic)] {
            let reference = &fx[key];
            for eps in [tol, 0.1] {
                let p = LinearParams::default()
                    .loss(loss)
                    .eps(eps)
                    .max_iter(100_000);
                let m = fit(p, &rows, &y, None);
                let same = rows
                    .iter()
                    .zip(reference["predictions"].as_array().unwrap())
                    .filter(|(r, want)| m.predict(r) as u64 == want.as_u64().unwrap())
                    .count();
                let mut gap = 0f64;
                let mut largest = 0f64;
                for (k, coef) in reference["coef"].as_array().unwrap().iter().enumerate() {
                    for (j, c) in coef.as_array().unwrap().iter().enumerate() {
                        let c = c.as_f64().unwrap();
                        gap = gap.max((m.weight(j, k) as f64 - c).abs());
                        largest = largest.max(c.abs());
                    }
                    let b = reference["intercept"][k].as_f64().unwrap();
                    gap = gap.max((m.intercept(k) as f64 - b).abs());
                }
                eprintln!(
                    "{key} eps {eps}: {same}/{} predictions equal, largest coefficient gap {gap:.2e} (largest coefficient {largest:.3})",
                    rows.len()
                );
                assert!(same * 100 >= rows.len() * 99, "{key} eps {eps}: {same}");
                if eps == tol {
                    assert!(gap < 1e-5 * largest, "{key}: coefficient gap {gap}");
                }
            }
        }
    }
}
