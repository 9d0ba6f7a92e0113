//! Naive Bayes from linfa's class histograms: one linfa fit per block of columns gives the
//! histograms, from which every smoothing value and both forms follow without fitting again.

use super::dense::dense_columns;
use super::scorer::{ABSENT_BIAS, Scorer};
use crate::error::{Error, Result};
use crate::features::SparseVec;
use linfa::prelude::*;
use ndarray::{Array1, Array2};

/// Which naive Bayes weights to derive from the class histograms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NbForm {
    /// Multinomial: `ln((N_cj + α) / (N_c + αK))`.
    Multinomial,
    /// Complement: `-ln((N_~c,j + α) / (N_~c + αK))`, each label scored against all the others.
    Complement,
}

/// Per label, linfa's histogram of feature mass and its log prior.
struct NbHistograms {
    /// `None` for a label without rows.
    counts: Vec<Option<Vec<f64>>>,
    /// [`ABSENT_BIAS`] for a label without rows.
    log_prior: Vec<f32>,
}

/// Fits linfa's multinomial naive Bayes once on the dense `x` and derives, for each smoothing
/// value, the weights of each form in `forms`.
#[cfg(test)]
fn fit_nb(
    x: Array2<f64>,
    t: Array1<usize>,
    c: usize,
    k: usize,
    alphas: &[f64],
    forms: &[NbForm],
) -> Result<Vec<Vec<Scorer>>> {
    let h = nb_histograms(x, t, c)?;
    let fit = NbCounts {
        counts: h.counts,
        log_prior: h.log_prior,
        k,
    };
    Ok(alphas.iter().map(|&a| fit.scorers(a, forms)).collect())
}

/// At most this many matrix cells (8 bytes each) in one linfa naive Bayes fit.
const NB_BLOCK_CELLS: usize = 1 << 24;

/// Columns per block of [`fit_nb_rows`] for `n` rows: about [`NB_BLOCK_CELLS`] cells, at least
/// 256 columns.
pub(crate) fn nb_block_width(n: usize) -> usize {
    (NB_BLOCK_CELLS / n.max(1)).max(256)
}

/// The class histograms of one naive Bayes fit over `k` features, from which the scorers of every
/// smoothing value and form follow: kept instead of the scorers, so a fit holds one set of
/// weights at a time.
pub(crate) struct NbCounts {
    /// `None` for a label without rows.
    counts: Vec<Option<Vec<f64>>>,
    log_prior: Vec<f32>,
    k: usize,
}

/// Naive Bayes from sparse rows, as class histograms (see [`NbCounts::scorers`]). The class histograms are sums over rows, column by column, so linfa fits them on
/// blocks of `width` columns (see [`nb_block_width`]) and the blocks' histograms are joined: memory
/// stays bounded whatever the number of features, and the histograms are the ones one fit of the
/// whole matrix would give.
pub(crate) fn fit_nb_rows(
    rows: &[SparseVec],
    t: Array1<usize>,
    c: usize,
    k: usize,
    width: usize,
) -> Result<NbCounts> {
    let width = width.max(1);
    let mut counts: Vec<Option<Vec<f64>>> = vec![None; c];
    let mut log_prior = Vec::new();
    let mut cursor = vec![0usize; rows.len()];
    let mut start = 0;
    while start < k {
        let end = (start + width).min(k);
        let x = dense_columns(rows, &mut cursor, start, end);
        let block = nb_histograms(x, t.clone(), c)?;
        for (all, part) in counts.iter_mut().zip(block.counts) {
            if let Some(part) = part {
                all.get_or_insert_with(|| Vec::with_capacity(k))
                    .extend(part);
            }
        }
        log_prior = block.log_prior;
        start = end;
    }
    Ok(NbCounts {
        counts,
        log_prior,
        k,
    })
}

/// linfa's multinomial naive Bayes on `x`, read back as class histograms.
fn nb_histograms(x: Array2<f64>, t: Array1<usize>, c: usize) -> Result<NbHistograms> {
    let ds = Dataset::new(x, t);
    let nb = linfa_bayes::MultinomialNb::params()
        .fit(&ds)
        .map_err(|e| Error::Training {
            reason: format!("naive Bayes: {e}"),
        })?;
    // linfa keeps the per-class histograms private; its serde form exposes them.
    let v = serde_json::to_value(&nb).map_err(|e| Error::Training {
        reason: format!("reading the naive Bayes model: {e}"),
    })?;
    let info = v
        .get("class_info")
        .and_then(|x| x.as_object())
        .ok_or_else(|| Error::Training {
            reason: "naive Bayes model has no class_info".into(),
        })?;
    let mut counts: Vec<Option<Vec<f64>>> = vec![None; c];
    let mut log_prior = vec![ABSENT_BIAS; c];
    for (label, h) in info {
        let l: usize = label.parse().map_err(|_| Error::Training {
            reason: format!("unexpected class key {label}"),
        })?;
        let prior = h.get("prior").and_then(|p| p.as_f64()).unwrap_or(0.0);
        log_prior[l] = prior.max(1e-300).ln() as f32;
        let cnt: Vec<f64> = h
            .get("feature_count")
            .and_then(|f| f.get("data"))
            .and_then(|d| d.as_array())
            .map(|a| a.iter().map(|x| x.as_f64().unwrap_or(0.0)).collect())
            .ok_or_else(|| Error::Training {
                reason: "naive Bayes class has no feature_count".into(),
            })?;
        counts[l] = Some(cnt);
    }
    Ok(NbHistograms { counts, log_prior })
}

impl NbCounts {
    /// Naive Bayes weights for the smoothing value `alpha`, one scorer per entry of `forms`.
    pub(crate) fn scorers(&self, alpha: f64, forms: &[NbForm]) -> Vec<Scorer> {
        let (counts, log_prior, k) = (&self.counts, &self.log_prior, self.k);
        let c = counts.len();
        let mut total = vec![0f64; k];
        for cnt in counts.iter().flatten() {
            for (t, x) in total.iter_mut().zip(cnt) {
                *t += x;
            }
        }
        let variant = |form: NbForm| -> Scorer {
            let complement = form == NbForm::Complement;
            let mut weights = vec![0f32; k * c];
            let mut bias = log_prior.to_vec();
            let none = vec![0f64; k];
            for (l, cnt) in counts.iter().enumerate() {
                // A label absent from this fold's training rows gets the weights of zero counts
                // (not zeros, which would make its block scores the highest of all in the
                // stacker's inputs) and keeps ABSENT_BIAS, so it is never predicted.
                let present = cnt.is_some();
                let cnt = cnt.as_ref().unwrap_or(&none);
                let smoothed: Vec<f64> = if complement {
                    // a label wins where its complement explains the ticket worst
                    total
                        .iter()
                        .zip(cnt)
                        .map(|(t, x)| (t - x).max(0.0) + alpha)
                        .collect()
                } else {
                    cnt.iter().map(|x| x + alpha).collect()
                };
                let sum: f64 = smoothed.iter().sum();
                let sign = if complement { -1.0 } else { 1.0 };
                for (j, x) in smoothed.iter().enumerate() {
                    weights[j * c + l] = (sign * (x / sum).ln()) as f32;
                }
                if complement && present {
                    bias[l] = 0.0;
                }
            }
            Scorer { weights, bias }
        };
        forms.iter().map(|&form| variant(form)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::dense::dense;
    use super::*;
    use NbForm::{Complement, Multinomial};

    #[test]
    fn naive_bayes_on_column_blocks_is_naive_bayes_on_the_whole_matrix() {
        // 7 rows, 11 columns, 3 labels; sparse rows in index order
        let rows: Vec<SparseVec> = (0..7u32)
            .map(|r| {
                let idx: Vec<u32> = (0..11u32).filter(|j| (r * 7 + j * 3) % 4 != 0).collect();
                let val = idx.iter().map(|&j| 0.1 + ((r + j) % 5) as f32).collect();
                SparseVec { idx, val }
            })
            .collect();
        let t = ndarray::array![0usize, 1, 2, 0, 1, 0, 0];
        let both = [Multinomial, Complement];
        let whole = fit_nb(dense(&rows, 11), t.clone(), 3, 11, &[0.1, 1.0], &both);
        for width in [1, 2, 4, 10, 11, 300] {
            let blocks = fit_nb_rows(&rows, t.clone(), 3, 11, width).unwrap();
            let scorers: Vec<Vec<Scorer>> = [0.1, 1.0]
                .iter()
                .map(|&a| blocks.scorers(a, &both))
                .collect();
            assert_eq!(scorers, *whole.as_ref().unwrap(), "width {width}");
        }
        // fewer features than the smallest block
        let few = fit_nb_rows(&rows, t, 3, 11, nb_block_width(7)).unwrap();
        assert_eq!(few.scorers(1.0, &[Multinomial])[0].weights.len(), 11 * 3);
    }

    #[test]
    fn a_label_missing_from_a_fold_is_smoothed_and_never_predicted() {
        // three labels, but the rows only carry labels 0 and 1 (as in a fold without the
        // only row of a rare label)
        let x = ndarray::array![[1.0, 0.0, 2.0], [0.0, 3.0, 1.0], [2.0, 0.0, 1.0]];
        let t = ndarray::array![0usize, 1, 0];
        let fits = fit_nb(x, t, 3, 3, &[0.5], &[Multinomial, Complement]).unwrap();
        let (mnb, cnb) = (&fits[0][0], &fits[0][1]);
        for j in 0..3 {
            // zero counts smoothed: ln(1/K) for the multinomial form, not 0
            assert!((mnb.weights[j * 3 + 2] - (1.0f32 / 3.0).ln()).abs() < 1e-6);
            assert!(cnb.weights[j * 3 + 2] != 0.0);
        }
        assert_eq!(mnb.bias[2], ABSENT_BIAS);
        assert_eq!(cnb.bias[2], ABSENT_BIAS);
        assert!(mnb.bias[0] > ABSENT_BIAS && cnb.bias[0] == 0.0);
    }
}
