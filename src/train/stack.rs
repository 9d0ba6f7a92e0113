//! The stacker: logistic regression pays where its input is small, so it learns how far to trust
//! each naive Bayes block score per label, and being linear it folds back into one weight matrix.

use super::calibrate::macro_f1;
use super::folds::{parallel_map, splitmix};
use super::logistic::fit_logistic;
use super::options::TrainOptions;
use super::scorer::Scorer;
use crate::error::Result;
use crate::features::{SparseVec, Vocab};
use ndarray::{Array1, Array2};

/// The stacker's inputs for one ticket vector: for each base scorer and each feature block
/// (words, characters), the block's score for every label, centred over the labels.
/// Laid out as `[(scorer * 2 + block) * c + label]`.
pub(crate) fn stack_inputs(vocab: &Vocab, v: &SparseVec, scorers: &[Scorer]) -> Vec<f32> {
    let c = scorers[0].bias.len();
    let mut out = vec![0f32; scorers.len() * 2 * c];
    for (&j, &x) in v.idx.iter().zip(&v.val) {
        let b = vocab.is_char(j) as usize;
        for (s, scorer) in scorers.iter().enumerate() {
            let row = &scorer.weights[j as usize * c..(j as usize + 1) * c];
            let o = &mut out[(s * 2 + b) * c..(s * 2 + b + 1) * c];
            for (ol, wl) in o.iter_mut().zip(row) {
                *ol += x * wl;
            }
        }
    }
    for group in out.chunks_mut(c) {
        let mean = group.iter().sum::<f32>() / c as f32;
        group.iter_mut().for_each(|g| *g -= mean);
    }
    out
}

/// Logistic regression over the base scorers' block scores (see
/// [`Algorithm::Stacked`](super::Algorithm::Stacked)).
pub(crate) struct Stacker {
    /// One scale per (scorer, block) group: the inputs are divided by it before the regression.
    scale: Vec<f32>,
    /// Regression weights, `(groups × c) × c`, input-major.
    weights: Vec<f32>,
    bias: Vec<f32>,
    /// The L2 strength chosen by cross-validation.
    pub l2: f64,
}

/// The stacker has `(4 × labels) × labels` weights: beyond this many labels it costs more
/// training time than it is worth (measured in `model/README.md`), so plain naive Bayes is kept.
pub const STACK_MAX_LABELS: usize = 20;

/// The held-out macro-F1 the stacker must gain over naive Bayes alone to be kept. Its own figure is
/// the best of `STACK_L2_GRID` and a little flattered (see `fit_stacker`), so a tie or a
/// hair's gain does not switch the model.
pub const STACK_MIN_GAIN: f64 = 0.005;

/// Rows the stacker is fitted on at most. It has `(4 × labels) × labels` weights, which this many
/// rows pin down as well as a million do, and linfa's solver takes time in proportion to the
/// rows: on a 100,000-ticket export the stacker's 16 fits on every row took longer than all the
/// rest of training.
pub const STACK_MAX_ROWS: usize = 25_000;

/// Which rows the stacker is fitted on: every row up to [`STACK_MAX_ROWS`], else a seeded sample
/// of about that many, stratified by label (each label keeps its share, at least one row).
fn stack_sample(y: &[usize], c: usize, seed: u64) -> Vec<bool> {
    let n = y.len();
    if n <= STACK_MAX_ROWS {
        return vec![true; n];
    }
    let mut rows_of = vec![0usize; c];
    for &l in y {
        rows_of[l] += 1;
    }
    let mut order: Vec<usize> = (0..n).collect();
    // a salt apart from the folds' order, so the sample does not follow the folds
    order.sort_by_key(|&i| (y[i], splitmix(seed ^ 0x5eed_57ac ^ ((i as u64) << 1))));
    let mut keep = vec![false; n];
    let mut taken = vec![0usize; c];
    for i in order {
        let l = y[i];
        if taken[l] < (rows_of[l] * STACK_MAX_ROWS).div_ceil(n) {
            keep[i] = true;
            taken[l] += 1;
        }
    }
    keep
}

/// L2 strengths tried for the stacker (linfa's penalty `α/2 ‖W‖²` on the summed log-loss).
const STACK_L2_GRID: [f64; 3] = [1.0, 10.0, 100.0];

impl Stacker {
    fn logits(&self, s: &[f32]) -> Vec<f32> {
        let c = self.bias.len();
        let mut z = self.bias.clone();
        for (i, &x) in s.iter().enumerate() {
            let x = x / self.scale[i / c];
            for (zl, w) in z.iter_mut().zip(&self.weights[i * c..(i + 1) * c]) {
                *zl += x * w;
            }
        }
        z
    }

    /// Folds the stacker into the base scorers: one weight matrix over the vocabulary.
    pub fn compose(&self, vocab: &Vocab, scorers: &[Scorer]) -> Scorer {
        let c = self.bias.len();
        let k = vocab.len();
        let mut out = vec![0f32; k * c];
        for j in 0..k {
            let b = vocab.is_char(j as u32) as usize;
            let dst = &mut out[j * c..(j + 1) * c];
            for (s, scorer) in scorers.iter().enumerate() {
                let g = s * 2 + b;
                let row = &scorer.weights[j * c..(j + 1) * c];
                let mean = row.iter().sum::<f32>() / c as f32;
                for (l, &wl) in row.iter().enumerate() {
                    let x = (wl - mean) / self.scale[g];
                    let i = g * c + l;
                    for (d, w2) in dst.iter_mut().zip(&self.weights[i * c..(i + 1) * c]) {
                        *d += x * w2;
                    }
                }
            }
        }
        Scorer {
            weights: out,
            bias: self.bias.clone(),
        }
    }
}

/// A fitted stacker with its own out-of-fold logits and their macro-F1.
pub(crate) struct StackFit {
    /// Fitted on all rows, with the L2 strength chosen on the folds.
    pub stacker: Stacker,
    /// Per row, the logits of the stacker fitted without that row's fold.
    pub held_out: Vec<Vec<f32>>,
    /// Macro-F1 of `held_out`.
    pub macro_f1: f64,
}

/// Fits the stacker on the out-of-fold base scores: its L2 strength by cross-validation over the
/// same folds (macro-F1), then on all rows (on a sample of [`STACK_MAX_ROWS`] above that many;
/// every row is still scored out of fold).
///
/// Each row's inputs come from the naive Bayes fit that did not see that row, but that fit did see
/// the other rows of the stacker's held-out fold: the usual small leak of stacking on one set of
/// folds, which flatters the stacker's held-out figure a little. That is why the gain was also
/// checked on data training never sees (the real development set, see `model/README.md`).
pub(crate) fn fit_stacker(
    inputs: &[Vec<f32>],
    y: &[usize],
    fold_of: &[usize],
    c: usize,
    opts: &TrainOptions,
) -> Result<StackFit> {
    let groups = inputs[0].len() / c;
    let scale: Vec<f32> = (0..groups)
        .map(|g| {
            let (mut sum, mut n) = (0f64, 0f64);
            for s in inputs {
                for x in &s[g * c..(g + 1) * c] {
                    sum += (*x as f64).powi(2);
                    n += 1.0;
                }
            }
            ((sum / n.max(1.0)).sqrt() as f32).max(1e-6)
        })
        .collect();
    let fit = |ix: &[usize], l2: f64| -> Result<Stacker> {
        let x = Array2::from_shape_fn((ix.len(), groups * c), |(r, j)| {
            (inputs[ix[r]][j] / scale[j / c]) as f64
        });
        let t = Array1::from_iter(ix.iter().map(|&i| y[i]));
        let Scorer { weights, bias } = fit_logistic(x, t, c, l2, opts)?;
        Ok(Stacker {
            scale: scale.clone(),
            weights,
            bias,
            l2,
        })
    };
    let folds = fold_of.iter().max().map_or(0, |m| m + 1);
    let jobs: Vec<(usize, usize)> = (0..STACK_L2_GRID.len())
        .flat_map(|g| (0..folds).map(move |f| (g, f)))
        .collect();
    type Logits = Vec<(usize, Vec<f32>)>;
    let sample = stack_sample(y, c, opts.seed);
    let held: Vec<Result<Logits>> = parallel_map(&jobs, opts.threads, |&(g, f)| {
        let train_ix: Vec<usize> = (0..y.len())
            .filter(|&i| fold_of[i] != f && sample[i])
            .collect();
        let st = fit(&train_ix, STACK_L2_GRID[g])?;
        Ok((0..y.len())
            .filter(|&i| fold_of[i] == f)
            .map(|i| (i, st.logits(&inputs[i])))
            .collect())
    });
    let mut by_l2 = vec![vec![Vec::new(); y.len()]; STACK_L2_GRID.len()];
    for ((g, _), h) in jobs.iter().zip(held) {
        for (i, z) in h? {
            by_l2[*g][i] = z;
        }
    }
    let best = (0..STACK_L2_GRID.len())
        .map(|g| (g, macro_f1(&by_l2[g], y, c)))
        .fold((0, f64::NEG_INFINITY), |b, (g, f)| {
            if f > b.1 + 1e-9 { (g, f) } else { b }
        });
    let all: Vec<usize> = (0..y.len()).filter(|&i| sample[i]).collect();
    Ok(StackFit {
        stacker: fit(&all, STACK_L2_GRID[best.0])?,
        held_out: by_l2.swap_remove(best.0),
        macro_f1: best.1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::CHAR_BIT;

    #[test]
    fn a_large_stacker_sample_keeps_each_labels_share() {
        let small: Vec<usize> = (0..STACK_MAX_ROWS).map(|i| i % 3).collect();
        assert!(stack_sample(&small, 3, 1).iter().all(|&k| k));
        // 100,000 rows: 70% label 0, 29.99% label 1, 10 rows of label 2
        let n = 100_000;
        let y: Vec<usize> = (0..n)
            .map(|i| match i % 10 {
                _ if i < 10 => 2,
                0..=6 => 0,
                _ => 1,
            })
            .collect();
        let keep = stack_sample(&y, 3, 1);
        assert_eq!(keep, stack_sample(&y, 3, 1));
        assert_ne!(keep, stack_sample(&y, 3, 2));
        let kept = |l: usize| (0..n).filter(|&i| keep[i] && y[i] == l).count();
        let total = kept(0) + kept(1) + kept(2);
        assert!(
            (STACK_MAX_ROWS..STACK_MAX_ROWS + 3).contains(&total),
            "{total}"
        );
        assert!((kept(0) as f64 / total as f64 - 0.7).abs() < 0.001);
        assert_eq!(kept(2), 3);
    }

    #[test]
    fn the_stacker_folds_into_one_weight_matrix() {
        // Two words and two character grams, three labels, two base scorers.
        let hashes = vec![1, 2, CHAR_BIT | 3, CHAR_BIT | 4];
        let vocab = Vocab::new(hashes, vec![1.0; 4]);
        let c = 3;
        let scorer = |seed: f32| -> Scorer {
            let w = (0..4 * c)
                .map(|i| ((i as f32 + seed) * 0.37).sin())
                .collect();
            Scorer {
                weights: w,
                bias: vec![0.0; c],
            }
        };
        let scorers = vec![scorer(0.5), scorer(2.0)];
        let groups = scorers.len() * 2;
        let stacker = Stacker {
            scale: (0..groups).map(|g| 0.5 + g as f32).collect(),
            weights: (0..groups * c * c)
                .map(|i| ((i as f32) * 0.11).cos())
                .collect(),
            bias: vec![0.1, -0.2, 0.3],
            l2: 1.0,
        };
        let Scorer {
            weights: w,
            bias: b,
        } = stacker.compose(&vocab, &scorers);
        let v = SparseVec {
            idx: vec![0, 2, 3],
            val: vec![0.6, 0.3, 0.74],
        };
        let direct = stacker.logits(&stack_inputs(&vocab, &v, &scorers));
        let mut folded = b.clone();
        for (&j, &x) in v.idx.iter().zip(&v.val) {
            for l in 0..c {
                folded[l] += x * w[j as usize * c + l];
            }
        }
        for l in 0..c {
            assert!(
                (direct[l] - folded[l]).abs() < 1e-4,
                "{direct:?} vs {folded:?}"
            );
        }
        // the word block and the character block really are scored apart
        let inputs = stack_inputs(&vocab, &v, &scorers);
        let word_only: f32 = inputs[0..c].iter().map(|x| x.abs()).sum();
        assert!(word_only > 0.0);
        assert!(
            inputs[0..c].iter().sum::<f32>().abs() < 1e-5,
            "centred over labels"
        );
    }
}
