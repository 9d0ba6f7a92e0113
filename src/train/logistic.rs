//! linfa's multinomial logistic regression as a [`Scorer`]: the `logistic` algorithm over all
//! features, and the stacker over the naive Bayes block scores.

use super::options::TrainOptions;
use super::scorer::{ABSENT_BIAS, Scorer};
use crate::error::{Error, Result};
use linfa::prelude::*;
use ndarray::{Array1, Array2};

/// Fits linfa's multinomial logistic regression with L2 strength `l2`; returns `k × c` weights.
pub(crate) fn fit_logistic(
    x: Array2<f64>,
    t: Array1<usize>,
    c: usize,
    l2: f64,
    opts: &TrainOptions,
) -> Result<Scorer> {
    let k = x.ncols();
    let ds = Dataset::new(x, t);
    let lr = linfa_logistic::MultiLogisticRegression::default()
        .alpha(l2)
        .max_iterations(opts.lr_max_iter)
        .fit(&ds)
        .map_err(|e| Error::Training {
            reason: format!("logistic regression: {e}"),
        })?;
    let mut weights = vec![0f32; k * c];
    let mut bias = vec![ABSENT_BIAS; c];
    let params = lr.params();
    for (col, &l) in lr.classes().iter().enumerate() {
        bias[l] = lr.intercept()[col] as f32;
        for j in 0..k {
            weights[j * c + l] = params[[j, col]] as f32;
        }
    }
    Ok(Scorer { weights, bias })
}
