//! Naive Bayes from class histograms: summed from the sparse rows as linfa's `MultinomialNb`
//! sums them (checked bit for bit against it), and every smoothing value and both forms follow
//! from them without fitting again.

use super::scorer::{ABSENT_BIAS, Scorer};
#[cfg(test)]
use crate::error::{Error, Result};
use crate::features::SparseVec;
#[cfg(test)]
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
#[cfg(test)]
struct NbHistograms {
    /// `None` for a label without rows.
    counts: Vec<Option<Vec<f64>>>,
    /// [`ABSENT_BIAS`] for a label without rows.
    log_prior: Vec<f32>,
}

/// Fits linfa's multinomial naive Bayes once on the dense `x` and derives, for each smoothing
/// value, the weights of each form in `forms`: the reference [`nb_counts`] is checked against.
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

/// The class histograms of one naive Bayes fit over `k` features, from which the scorers of every
/// smoothing value and form follow: kept instead of the scorers, so a fit holds one set of
/// weights at a time.
pub(crate) struct NbCounts {
    /// `None` for a label without rows.
    counts: Vec<Option<Vec<f64>>>,
    log_prior: Vec<f32>,
    k: usize,
}

/// Naive Bayes class histograms over `k` features from labelled sparse rows, streamed: per label,
/// the sum of its rows' vectors, added in row order in `f64` as linfa's `MultinomialNb` adds the
/// rows of a dense matrix (so the histograms are bit for bit linfa's), and the log of its share of
/// the rows. Memory is the histograms, whatever the number of rows.
pub(crate) fn nb_counts(
    rows: impl Iterator<Item = (usize, SparseVec)>,
    c: usize,
    k: usize,
) -> NbCounts {
    let mut counts: Vec<Option<Vec<f64>>> = vec![None; c];
    let mut rows_of = vec![0usize; c];
    for (l, v) in rows {
        let h = counts[l].get_or_insert_with(|| vec![0.0; k]);
        for (&j, &x) in v.idx.iter().zip(&v.val) {
            h[j as usize] += x as f64;
        }
        rows_of[l] += 1;
    }
    let n: usize = rows_of.iter().sum();
    let log_prior = rows_of
        .iter()
        .map(|&m| match m {
            0 => ABSENT_BIAS,
            m => (m as f64 / n as f64).max(1e-300).ln() as f32,
        })
        .collect();
    NbCounts {
        counts,
        log_prior,
        k,
    }
}

/// linfa's multinomial naive Bayes on `x`, read back as class histograms.
#[cfg(test)]
fn nb_histograms(x: Array2<f64>, t: Array1<usize>, c: usize) -> Result<NbHistograms> {
    use linfa::prelude::{Dataset, Fit};
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
    fn streamed_histograms_are_linfas_bit_for_bit() {
        // 7 rows, 11 columns, 3 labels; sparse rows in index order, values that round differently
        // in another order of addition
        let rows: Vec<SparseVec> = (0..7u32)
            .map(|r| {
                let idx: Vec<u32> = (0..11u32).filter(|j| (r * 7 + j * 3) % 4 != 0).collect();
                let val = idx
                    .iter()
                    .map(|&j| 0.1 + ((r + j) % 5) as f32 / 3.0)
                    .collect();
                SparseVec { idx, val }
            })
            .collect();
        let t = ndarray::array![0usize, 1, 2, 0, 1, 0, 0];
        let both = [Multinomial, Complement];
        let whole = fit_nb(dense(&rows, 11), t.clone(), 3, 11, &[0.1, 1.0], &both).unwrap();
        let streamed = nb_counts(t.iter().copied().zip(rows.iter().cloned()), 3, 11);
        let reference = nb_histograms(dense(&rows, 11), t.clone(), 3).unwrap();
        assert_eq!(streamed.counts, reference.counts);
        assert_eq!(streamed.log_prior, reference.log_prior);
        let scorers: Vec<Vec<Scorer>> = [0.1, 1.0]
            .iter()
            .map(|&a| streamed.scorers(a, &both))
            .collect();
        assert_eq!(scorers, whole);
        // a label without rows
        let two = nb_counts(t.iter().map(|&l| l.min(1)).zip(rows.iter().cloned()), 3, 11);
        assert!(two.counts[2].is_none());
        assert_eq!(two.log_prior[2], ABSENT_BIAS);
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
