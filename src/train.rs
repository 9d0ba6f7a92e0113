//! Training (feature `train`): feature selection, linfa fitting, k-fold cross-validation,
//! temperature calibration, rubric-cue factors and the abstain threshold.
//!
//! The pipeline that one fit runs, on the training part of a fold or on all rows:
//! 1. count each ticket's hashed features ([`count_features`]);
//! 2. keep features seen in at least `min_df` tickets, then the `max_features` with the highest
//!    chi² against any one label: linfa wants a dense matrix, and this keeps it compact (N × K);
//! 3. tf-idf weight and block-normalize ([`Vocab::vectorize_counts`]);
//! 4. fit a linear model with linfa: multinomial naive Bayes (`linfa-bayes`), by default with
//!    its scores stacked under a multinomial logistic regression (`linfa-logistic`).
//!
//! **Why naive Bayes, and why stacked.** Measured on this machine (2 cores): linfa's
//! `MultiLogisticRegression` is L-BFGS over a dense matrix, so its cost grows with tickets ×
//! features × labels. On the 3-tier corpus (about 3,500 × 20,000) it did not finish 5-fold
//! training within 15 minutes; on the 71-label routing benchmark with only 1,000 features it took
//! 72 s and scored 0.545 accuracy. `MultinomialNb` trains either with cross-validation in a few
//! seconds. Its smoothing is chosen by cross-validation: one linfa fit per fold gives the class
//! histograms, from which the weights for every value of [`ALPHA_GRID`] follow. Complement naive
//! Bayes (`--algorithm cnb`), from the same histograms, scored 0.629 / 0.251 on the routing test
//! set against 0.640 / 0.290 for the multinomial one (28,400 features, the default for 71 labels;
//! at 14,000 features 0.608 / 0.236 against 0.611 / 0.284). linfa fits naive Bayes on blocks of
//! columns (`fit_nb_rows`), so for naive Bayes the feature count is bounded by time, not memory
//! (`--algorithm logistic` still builds the whole N × K matrix).
//!
//! Logistic regression does pay where its input is small: over the held-out naive Bayes scores of
//! each label from the word block and from the character block, multinomial and complement
//! ([`Algorithm::Stacked`], `nb-lr`, the default). On the bundled tier corpus it raised the real
//! development set's macro-F1 from 0.656–0.713 to 0.680–0.724 over six runs (10,000, 14,000 and
//! 18,000 features × two seeds; 0.677–0.721 to 0.712–0.741 on the earlier 4,250-ticket corpus), and every step is linear, so it folds back into one weight matrix and
//! inference does not change. It is kept only when its own held-out macro-F1 beats naive Bayes
//! alone, and only up to [`STACK_MAX_LABELS`] labels. Naive Bayes' over-confidence is what the
//! temperature scaling on held-out folds corrects.
//!
//! Everything is deterministic: folds come from a seeded hash of the row index, ties break by
//! feature hash, and the fits themselves are deterministic, so the same input and options give a
//! byte-identical model file.

use crate::classify::best_l1_sop;
use crate::cues::{Cues, RubricLabels, RubricParams};
use crate::data::Row;
use crate::error::{Error, Result};
use crate::features::{FeatureConfig, SparseVec, Vocab, count_features};
use crate::metrics::{CALIBRATION_BINS, Calibration, Report};
use crate::model::argmax;
use crate::model::{DecisionParams, LinearWeights, Model, TrainMeta, softmax};
use crate::sop::{Sop, SopIndex};
use crate::text::normalize;
use linfa::prelude::*;
use ndarray::{Array1, Array2};
use std::time::Instant;

/// Which linear model to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// `linfa-bayes` MultinomialNb.
    NaiveBayes,
    /// `linfa-logistic` MultiLogisticRegression.
    Logistic,
    /// Complement naive Bayes (Rennie et al. 2003) from the class histograms `linfa-bayes` fits:
    /// each label is scored against the counts of all the other labels, which keeps rare labels
    /// from being drowned by a large one.
    ComplementNb,
    /// Naive Bayes scores stacked under logistic regression: multinomial and complement naive
    /// Bayes each score every label from the word block and from the character block; linfa's
    /// `MultiLogisticRegression` learns, on held-out folds, how far to trust each of those
    /// scores for each label. All steps are linear in the ticket vector, so the result folds back
    /// into one weight matrix of the same shape: inference costs nothing more.
    Stacked,
}

impl Algorithm {
    /// The name stored in the model file.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::NaiveBayes => "multinomial-nb",
            Algorithm::Logistic => "logistic-regression",
            Algorithm::ComplementNb => "complement-nb",
            Algorithm::Stacked => "nb-lr",
        }
    }
}

impl std::str::FromStr for Algorithm {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "nb" | "naive-bayes" | "multinomial-nb" => Ok(Algorithm::NaiveBayes),
            "logistic" | "lr" | "logistic-regression" => Ok(Algorithm::Logistic),
            "cnb" | "complement-nb" => Ok(Algorithm::ComplementNb),
            "nb-lr" | "stacked" => Ok(Algorithm::Stacked),
            _ => Err(Error::InvalidInput {
                reason: format!("unknown algorithm {s:?} (use nb, cnb, nb-lr or logistic)"),
            }),
        }
    }
}

/// Training settings. [`Default`] gives the documented defaults.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// The classifier.
    pub algorithm: Algorithm,
    /// Features kept after chi² selection; `None` for [`TrainOptions::features_for`]'s default.
    pub max_features: Option<usize>,
    /// Minimum number of tickets a feature must occur in.
    pub min_df: u32,
    /// Cross-validation folds (at least 2).
    pub folds: usize,
    /// Seed of the fold assignment.
    pub seed: u64,
    /// Naive Bayes smoothing; `None` chooses it by cross-validation from [`ALPHA_GRID`].
    pub nb_alpha: Option<f64>,
    /// Logistic regression L2 strength.
    pub lr_alpha: f64,
    /// Logistic regression iteration cap.
    pub lr_max_iter: u64,
    /// Feature settings.
    pub features: FeatureConfig,
    /// Worker threads for the folds.
    pub threads: usize,
    /// Print progress to stderr.
    pub progress: bool,
    /// The command line, recorded in the model.
    pub command: String,
}

/// Features a model keeps by default: at least this many ...
pub const MIN_DEFAULT_FEATURES: usize = 14_000;
/// ... and this many per label. Chi² selection keeps the features most tied to any one label, so
/// each label gets about `K / labels` of them: with 71 assignment groups, 14,000 leave each about
/// 200 and naive Bayes loses accuracy. On the routing benchmark's training tickets (5-fold CV,
/// accuracy / macro-F1): 14,000 features 0.597 / 0.334, 20,000 0.616 / 0.336, 28,000 0.632 /
/// 0.333, 40,000 0.651 / 0.322, 80,000 0.668 / 0.287: accuracy keeps rising while macro-F1 holds
/// up to about 400 a label. Three tiers stay at 14,000 (the bundled model's budget).
pub const DEFAULT_FEATURES_PER_LABEL: usize = 400;

impl TrainOptions {
    /// The number of features kept for `labels` labels: [`TrainOptions::max_features`] when set,
    /// else the larger of [`MIN_DEFAULT_FEATURES`] and [`DEFAULT_FEATURES_PER_LABEL`] per label.
    pub fn features_for(&self, labels: usize) -> usize {
        self.max_features
            .unwrap_or(MIN_DEFAULT_FEATURES.max(DEFAULT_FEATURES_PER_LABEL * labels))
    }
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            algorithm: Algorithm::Stacked,
            max_features: None,
            min_df: 2,
            folds: 5,
            seed: 42,
            nb_alpha: None,
            lr_alpha: 1e-3,
            lr_max_iter: 150,
            features: FeatureConfig::default(),
            threads: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
                .min(4),
            progress: false,
            command: String::new(),
        }
    }
}

/// Naive Bayes smoothing values tried when none is given: each fold is fitted once and the
/// weights for every value come from the same class histograms, so the choice costs little.
pub const ALPHA_GRID: [f64; 5] = [0.01, 0.03, 0.1, 0.3, 1.0];

/// A relative cost of abstaining (a person triages by hand) against a wrong route (cost 1), used
/// to choose the abstain threshold on held-out predictions.
pub const ABSTAIN_COST: f64 = 0.4;

/// What training measured.
#[derive(Debug, Clone)]
pub struct TrainReport {
    /// Cross-validated (out-of-fold) metrics of the final decision.
    pub cv: Report,
    /// Temperature fitted on the out-of-fold scores.
    pub temperature: f32,
    /// Rubric factors, when the labels are L1/L2/L3.
    pub rubric: Option<RubricParams>,
    /// Abstain threshold.
    pub abstain_below: f32,
    /// L1-intake threshold (rubric labels only; 0 when none).
    pub intake_below: f32,
    /// Out-of-fold share of abstentions at that threshold.
    pub abstain_rate: f64,
    /// Out-of-fold accuracy of the answers that did not abstain.
    pub answered_accuracy: f64,
    /// Calibration of the stated confidence on the out-of-fold predictions (the temperature, the
    /// rubric factors and the thresholds are fitted on the same folds, so it is optimistic).
    pub calibration: Calibration,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Features kept by the final fit.
    pub features: usize,
}

impl TrainReport {
    /// The summary printed at the end of `tiermatch train`.
    pub fn summary(&self, folds: usize) -> String {
        let mut s = format!(
            "{folds}-fold cross-validation ({} tickets)\n{}",
            self.cv.n,
            self.cv.table()
        );
        s.push_str(&format!(
            "calibration temperature {:.3} (out-of-fold calibration error {:.3}, on the folds it was fitted on); L1 intake below {:.2}; abstain below {:.2}: abstains on {:.1}%, accuracy of the rest {:.3}\n",
            self.temperature,
            self.calibration.ece,
            self.intake_below,
            self.abstain_below,
            self.abstain_rate * 100.0,
            self.answered_accuracy
        ));
        if let Some(r) = &self.rubric {
            s.push_str(&format!(
                "rubric factors (log-odds): security {:.1}, scope {:.1}, L1 SOP {:.1}\n",
                r.security, r.scope, r.sop_l1
            ));
        }
        s.push_str(&format!(
            "{} features; trained in {:.1} s\n",
            self.features, self.seconds
        ));
        s
    }
}

struct Progress {
    on: bool,
    start: Instant,
}

impl Progress {
    fn say(&self, msg: impl AsRef<str>) {
        if self.on {
            eprintln!(
                "[{:>6.1}s] {}",
                self.start.elapsed().as_secs_f64(),
                msg.as_ref()
            );
        }
    }
}

/// Trains a model on labelled rows (and an SOP library), with cross-validation.
pub fn train(rows: &[Row], sops: Vec<Sop>, opts: &TrainOptions) -> Result<(Model, TrainReport)> {
    let pr = Progress {
        on: opts.progress,
        start: Instant::now(),
    };
    if opts.folds < 2 {
        return Err(Error::InvalidInput {
            reason: format!("--folds must be at least 2, not {}", opts.folds),
        });
    }
    let mut labels: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
    labels.sort();
    labels.dedup();
    if labels.len() < 2 {
        return Err(Error::Training {
            reason: format!(
                "{} distinct label(s) in {} rows; at least 2 are needed",
                labels.len(),
                rows.len()
            ),
        });
    }
    if rows.len() < opts.folds * 2 {
        return Err(Error::Training {
            reason: format!("{} rows are too few for {} folds", rows.len(), opts.folds),
        });
    }
    let y: Vec<usize> = rows
        .iter()
        .map(|r| labels.binary_search(&r.label).expect("label listed"))
        .collect();
    pr.say(format!(
        "{} tickets, {} labels; extracting features",
        rows.len(),
        labels.len()
    ));
    let norms: Vec<String> = rows.iter().map(|r| normalize(&r.text)).collect();
    let docs: Vec<Vec<(u32, u32)>> =
        parallel_map(&norms, opts.threads, |n| count_features(n, &opts.features));
    let sop_index = SopIndex::new(sops.clone());
    let rubric_idx = RubricLabels::of(&labels);

    // Cross-validation: out-of-fold raw scores for every row.
    let fold_of = folds(&y, opts.folds, opts.seed);
    pr.say(format!(
        "cross-validating: {} folds, {} on {} worker(s)",
        opts.folds,
        opts.algorithm.name(),
        opts.threads
    ));
    let fold_ids: Vec<usize> = (0..opts.folds).collect();
    let alphas: Vec<f64> = match (opts.algorithm, opts.nb_alpha) {
        (Algorithm::Logistic, _) => vec![0.0],
        (_, Some(a)) => vec![a],
        (_, None) => ALPHA_GRID.to_vec(),
    };
    let stacking = opts.algorithm == Algorithm::Stacked && labels.len() <= STACK_MAX_LABELS;
    // the naive Bayes forms each fit needs (true: complement); the stacker reads both
    let forms: &[bool] = match opts.algorithm {
        Algorithm::ComplementNb => &[true],
        Algorithm::Stacked if stacking => &[false, true],
        _ => &[false],
    };
    // per fold: for each smoothing value, the held-out rows' raw scores (and stacker inputs)
    type HeldOut = Result<Vec<Vec<(usize, Vec<f32>, Vec<f32>)>>>;
    let fold_logits: Vec<HeldOut> = parallel_map(&fold_ids, opts.threads, |&f| {
        let train_ix: Vec<usize> = (0..rows.len()).filter(|&i| fold_of[i] != f).collect();
        let test_ix: Vec<usize> = (0..rows.len()).filter(|&i| fold_of[i] == f).collect();
        let (vocab, fits) = fit_base(&docs, &y, &train_ix, labels.len(), opts, &alphas, forms)?;
        let mut out = Vec::with_capacity(fits.len());
        for variants in &fits {
            let w = linear_weights(&vocab, &labels, opts, &variants[0]);
            let m = Model::build(
                &w,
                DecisionParams::untrained(),
                Vec::new(),
                TrainMeta::default(),
            )?;
            out.push(
                test_ix
                    .iter()
                    .map(|&i| {
                        // the fold's vocabulary is the model's, index for index
                        let v = vocab.vectorize_counts(&docs[i]);
                        let z = m.logits(&v);
                        let s = if stacking {
                            stack_inputs(&vocab, &v, variants)
                        } else {
                            Vec::new()
                        };
                        (i, z, s)
                    })
                    .collect(),
            );
        }
        pr.say(format!("fold {}/{} fitted", f + 1, opts.folds));
        Ok(out)
    });
    let mut oof_by_alpha: Vec<Vec<Vec<f32>>> = vec![vec![Vec::new(); rows.len()]; alphas.len()];
    let mut stack_by_alpha: Vec<Vec<Vec<f32>>> = vec![vec![Vec::new(); rows.len()]; alphas.len()];
    for r in fold_logits {
        for (a, held_out) in r?.into_iter().enumerate() {
            for (i, z, s) in held_out {
                oof_by_alpha[a][i] = z;
                stack_by_alpha[a][i] = s;
            }
        }
    }
    let (best_alpha, _) = alphas
        .iter()
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |best, (a, _)| {
            let f = macro_f1(&oof_by_alpha[a], &y, labels.len());
            if f > best.1 + 1e-9 { (a, f) } else { best }
        });
    let alpha = alphas[best_alpha];
    let mut oof = oof_by_alpha.swap_remove(best_alpha);
    if alphas.len() > 1 {
        pr.say(format!(
            "smoothing chosen by cross-validation: alpha {alpha}"
        ));
    }
    let stacker = if stacking {
        let inputs = stack_by_alpha.swap_remove(best_alpha);
        let base_f1 = macro_f1(&oof, &y, labels.len());
        match fit_stacker(&inputs, &y, &fold_of, labels.len(), opts) {
            Ok((stacker, held_out, f1)) if f1 >= base_f1 + STACK_MIN_GAIN => {
                pr.say(format!(
                    "stacked logistic regression kept: held-out macro-F1 {f1:.3} against {base_f1:.3} for naive Bayes alone"
                ));
                oof = held_out;
                Some(stacker)
            }
            Ok((_, _, f1)) => {
                pr.say(format!(
                    "stacked logistic regression dropped: held-out macro-F1 {f1:.3}, naive Bayes alone {base_f1:.3}"
                ));
                None
            }
            // naive Bayes is fitted and sound: a solver failure of the optional stage is no reason
            // to fail the training
            Err(e) => {
                pr.say(format!(
                    "stacked logistic regression dropped: {e}; naive Bayes alone is kept"
                ));
                None
            }
        }
    } else {
        if opts.algorithm == Algorithm::Stacked {
            pr.say(format!(
                "{} labels: more than {STACK_MAX_LABELS}, so naive Bayes is not stacked",
                labels.len()
            ));
        }
        None
    };
    let temperature = fit_temperature(&oof, &y);
    let mut probs: Vec<Vec<f32>> = oof.iter().map(|z| softmax(z, temperature)).collect();
    pr.say(format!("calibrated: temperature {temperature:.3}"));

    // Rubric factors, fitted on the out-of-fold probabilities.
    let rubric = rubric_idx.map(|idx| {
        let evidence: Vec<(Cues, f32)> = norms
            .iter()
            .map(|n| {
                (
                    Cues::detect(n),
                    best_l1_sop(&sop_index.search_normalized(n, 3)),
                )
            })
            .collect();
        let params = fit_rubric(&probs, &y, idx, &evidence, labels.len());
        probs = probs
            .iter()
            .zip(&evidence)
            .map(|(p, (c, s))| crate::classify::apply_rubric(p, idx, &params, c, *s))
            .collect();
        params
    });
    let intake = rubric_idx.map(|idx| idx.l1);
    let intake_below = intake.map_or(0.0, |l1| fit_intake_threshold(&probs, &y, l1, labels.len()));
    let (abstain_below, abstain_rate, answered_accuracy) = fit_abstain(&probs, &y);
    let truth: Vec<String> = y.iter().map(|&i| labels[i].clone()).collect();
    let routed: Vec<usize> = probs
        .iter()
        .map(|p| route(p, intake_below, intake))
        .collect();
    let pred: Vec<String> = routed.iter().map(|&l| labels[l].clone()).collect();
    let cv = Report::new(&truth, &pred, &labels);
    // what `classify` would state as confidence (the routed label's probability, rounded as it
    // prints it), out of fold
    let calibration = Calibration::new(
        &probs
            .iter()
            .zip(&routed)
            .zip(&y)
            .map(|((p, &l), &t)| (crate::decimal::decimal4(p[l]), l == t))
            .collect::<Vec<_>>(),
        CALIBRATION_BINS,
    );
    pr.say(format!(
        "cross-validated accuracy {:.3}, macro-F1 {:.3}; fitting the final model",
        cv.accuracy, cv.macro_f1
    ));

    let all: Vec<usize> = (0..rows.len()).collect();
    // the final fit needs the complement form only for a kept stacker
    let final_forms = if stacker.is_some() {
        forms
    } else {
        &forms[..1]
    };
    let (vocab, mut fits) = fit_base(&docs, &y, &all, labels.len(), opts, &[alpha], final_forms)?;
    let variants = fits.pop().expect("one fit per alpha");
    let w = match &stacker {
        Some(st) => linear_weights(&vocab, &labels, opts, &st.compose(&vocab, &variants)),
        None => linear_weights(&vocab, &labels, opts, &variants[0]),
    };
    let meta = TrainMeta {
        corpus_hash: corpus_hash(rows),
        rows: rows.len() as u32,
        date: build_date(),
        command: opts.command.clone(),
        algorithm: match opts.algorithm {
            Algorithm::Logistic => opts.algorithm.name().to_string(),
            Algorithm::Stacked => match &stacker {
                Some(st) => format!("{} alpha={alpha} l2={}", opts.algorithm.name(), st.l2),
                None => format!("{} alpha={alpha}", Algorithm::NaiveBayes.name()),
            },
            _ => format!("{} alpha={alpha}", opts.algorithm.name()),
        },
        cv_accuracy: cv.accuracy as f32,
        cv_macro_f1: cv.macro_f1 as f32,
    };
    let features = w.hashes.len();
    let decision = DecisionParams {
        temperature,
        abstain_below,
        intake_below,
        rubric,
    };
    let model = Model::build(&w, decision, sops, meta)?;
    let report = TrainReport {
        cv,
        temperature,
        rubric,
        abstain_below,
        intake_below,
        abstain_rate,
        answered_accuracy,
        calibration,
        seconds: pr.start.elapsed().as_secs_f64(),
        features,
    };
    pr.say("done");
    Ok((model, report))
}

/// Maps `f` over `items` on up to `threads` scoped threads, keeping the order.
fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = threads.max(1).min(items.len().max(1));
    if threads == 1 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| s.spawn(|| part.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("worker thread panicked"))
            .collect()
    })
}

/// Stratified fold assignment: rows are ordered by label, then by a seeded hash, and dealt round
/// robin, so every fold gets its share of every label and the folds differ in size by one at most.
fn folds(y: &[usize], k: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..y.len()).collect();
    order.sort_by_key(|&i| (y[i], splitmix(seed ^ i as u64)));
    let mut out = vec![0; y.len()];
    for (n, i) in order.into_iter().enumerate() {
        out[i] = n % k;
    }
    out
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// One fitted linear scorer: weights (`k × c`, feature-major) and biases.
type Scorer = (Vec<f32>, Vec<f32>);

/// Selects features on the rows `ix`, weighs them and fits the base model(s) there: for each
/// smoothing value in `alphas`, one naive Bayes scorer per entry of `forms` (`true` for the
/// complement form), or the one logistic regression.
fn fit_base(
    docs: &[Vec<(u32, u32)>],
    y: &[usize],
    ix: &[usize],
    c: usize,
    opts: &TrainOptions,
    alphas: &[f64],
    forms: &[bool],
) -> Result<(Vocab, Vec<Vec<Scorer>>)> {
    let vocab = select_features(docs, y, ix, c, opts);
    if vocab.is_empty() {
        return Err(Error::Training {
            reason: format!(
                "no feature occurs in at least {} tickets; add data or lower --min-df",
                opts.min_df
            ),
        });
    }
    let k = vocab.len();
    let rows: Vec<SparseVec> = ix
        .iter()
        .map(|&i| vocab.vectorize_counts(&docs[i]))
        .collect();
    let t = Array1::from_iter(ix.iter().map(|&i| y[i]));
    let fits = match opts.algorithm {
        Algorithm::NaiveBayes | Algorithm::ComplementNb | Algorithm::Stacked => {
            fit_nb_rows(&rows, t, c, k, alphas, forms, nb_block_width(rows.len()))?
        }
        Algorithm::Logistic => {
            let x = dense(&rows, k);
            vec![vec![fit_logistic(x, t, c, opts.lr_alpha, opts)?]]
        }
    };
    Ok((vocab, fits))
}

/// linfa fits dense matrices: one row per ticket, one column per selected feature.
fn dense(rows: &[SparseVec], k: usize) -> Array2<f64> {
    dense_columns(rows, &mut vec![0; rows.len()], 0, k)
}

/// Columns `start..end` of the rows as a dense matrix. Each row's entries are in index order and
/// `cursor[r]` is where row `r`'s column `start` begins (0 for the first block); it is moved to
/// `end`, so consecutive blocks read every entry once.
fn dense_columns(
    rows: &[SparseVec],
    cursor: &mut [usize],
    start: usize,
    end: usize,
) -> Array2<f64> {
    let mut x = Array2::<f64>::zeros((rows.len(), end - start));
    for ((r, v), p) in rows.iter().enumerate().zip(cursor.iter_mut()) {
        while *p < v.idx.len() && (v.idx[*p] as usize) < end {
            x[[r, v.idx[*p] as usize - start]] = v.val[*p] as f64;
            *p += 1;
        }
    }
    x
}

fn linear_weights(
    vocab: &Vocab,
    labels: &[String],
    opts: &TrainOptions,
    (weights, bias): &Scorer,
) -> LinearWeights {
    LinearWeights {
        labels: labels.to_vec(),
        features: opts.features,
        hashes: vocab.hashes.clone(),
        idf: vocab.idf.clone(),
        weights: weights.clone(),
        bias: bias.clone(),
    }
}

/// The stacker's inputs for one ticket vector: for each base scorer and each feature block
/// (words, characters), the block's score for every label, centred over the labels.
/// Laid out as `[(scorer * 2 + block) * c + label]`.
fn stack_inputs(vocab: &Vocab, v: &SparseVec, scorers: &[Scorer]) -> Vec<f32> {
    let c = scorers[0].1.len();
    let mut out = vec![0f32; scorers.len() * 2 * c];
    for (&j, &x) in v.idx.iter().zip(&v.val) {
        let b = vocab.is_char(j) as usize;
        for (s, (w, _)) in scorers.iter().enumerate() {
            let row = &w[j as usize * c..(j as usize + 1) * c];
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

/// Logistic regression over the base scorers' block scores (see [`Algorithm::Stacked`]).
struct Stacker {
    /// One scale per (scorer, block) group: the inputs are divided by it before the regression.
    scale: Vec<f32>,
    /// Regression weights, `(groups × c) × c`, input-major.
    weights: Vec<f32>,
    bias: Vec<f32>,
    /// The L2 strength chosen by cross-validation.
    l2: f64,
}

/// The stacker has `(4 × labels) × labels` weights: beyond this many labels it costs more
/// training time than it is worth (on the 71-label routing benchmark it took a minute and lost
/// macro-F1), so plain naive Bayes is kept.
pub const STACK_MAX_LABELS: usize = 20;

/// The held-out macro-F1 the stacker must gain over naive Bayes alone to be kept. Its own figure is
/// the best of [`STACK_L2_GRID`] and a little flattered (see [`fit_stacker`]), so a tie or a
/// hair's gain does not switch the model.
pub const STACK_MIN_GAIN: f64 = 0.005;

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
    fn compose(&self, vocab: &Vocab, scorers: &[Scorer]) -> Scorer {
        let c = self.bias.len();
        let k = vocab.len();
        let mut out = vec![0f32; k * c];
        for j in 0..k {
            let b = vocab.is_char(j as u32) as usize;
            let dst = &mut out[j * c..(j + 1) * c];
            for (s, (w, _)) in scorers.iter().enumerate() {
                let g = s * 2 + b;
                let row = &w[j * c..(j + 1) * c];
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
        (out, self.bias.clone())
    }
}

/// Fits the stacker on the out-of-fold base scores: its L2 strength by cross-validation over the
/// same folds (macro-F1), then on all rows. Returns it with its own out-of-fold logits and their
/// macro-F1.
///
/// Each row's inputs come from the naive Bayes fit that did not see that row, but that fit did see
/// the other rows of the stacker's held-out fold: the usual small leak of stacking on one set of
/// folds, which flatters the stacker's held-out figure a little. That is why the gain was also
/// checked on data training never sees (the real development set, see the module documentation).
fn fit_stacker(
    inputs: &[Vec<f32>],
    y: &[usize],
    fold_of: &[usize],
    c: usize,
    opts: &TrainOptions,
) -> Result<(Stacker, Vec<Vec<f32>>, f64)> {
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
    let scaled: Vec<Vec<f32>> = inputs
        .iter()
        .map(|s| {
            s.iter()
                .enumerate()
                .map(|(i, x)| x / scale[i / c])
                .collect()
        })
        .collect();
    let fit = |ix: &[usize], l2: f64| -> Result<Stacker> {
        let x = Array2::from_shape_fn((ix.len(), groups * c), |(r, j)| scaled[ix[r]][j] as f64);
        let t = Array1::from_iter(ix.iter().map(|&i| y[i]));
        let (weights, bias) = fit_logistic(x, t, c, l2, opts)?;
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
    let held: Vec<Result<Logits>> = parallel_map(&jobs, opts.threads, |&(g, f)| {
        let train_ix: Vec<usize> = (0..y.len()).filter(|&i| fold_of[i] != f).collect();
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
    let all: Vec<usize> = (0..y.len()).collect();
    Ok((
        fit(&all, STACK_L2_GRID[best.0])?,
        by_l2.swap_remove(best.0),
        best.1,
    ))
}

/// A label missing from a fold's training part gets this bias: never predicted there.
const ABSENT_BIAS: f32 = -1.0e4;

/// Fits linfa's multinomial naive Bayes once and derives, for each smoothing value, the weights
/// of the naive Bayes forms asked for in `complement` from its class histograms
/// (`feature_count`): multinomial (`false`), `ln((N_cj + α) / (N_c + αK))`, or complement
/// (`true`), `-ln((N_~c,j + α) / (N_~c + αK))`.
#[cfg(test)]
fn fit_nb(
    x: Array2<f64>,
    t: Array1<usize>,
    c: usize,
    k: usize,
    alphas: &[f64],
    complement: &[bool],
) -> Result<Vec<Vec<Scorer>>> {
    let (counts, log_prior) = nb_histograms(x, t, c)?;
    Ok(nb_scorers(&counts, &log_prior, k, alphas, complement))
}

/// At most this many matrix cells (8 bytes each) in one linfa naive Bayes fit.
const NB_BLOCK_CELLS: usize = 1 << 24;

/// Columns per block of [`fit_nb_rows`] for `n` rows: about [`NB_BLOCK_CELLS`] cells, at least
/// 256 columns.
fn nb_block_width(n: usize) -> usize {
    (NB_BLOCK_CELLS / n.max(1)).max(256)
}

/// As `fit_nb`, from sparse rows: naive Bayes' class histograms are sums over rows, column by
/// column, so linfa fits them on blocks of `width` columns (see [`nb_block_width`]), and the
/// blocks' histograms are joined. Memory stays at about 130 MB whatever the number of features
/// (the whole matrix of the 6,519-ticket routing benchmark at 56,000 features would be 2.9 GB),
/// and the histograms are the ones one fit would give.
fn fit_nb_rows(
    rows: &[SparseVec],
    t: Array1<usize>,
    c: usize,
    k: usize,
    alphas: &[f64],
    complement: &[bool],
    width: usize,
) -> Result<Vec<Vec<Scorer>>> {
    let width = width.max(1);
    let mut counts: Vec<Option<Vec<f64>>> = vec![None; c];
    let mut log_prior = Vec::new();
    let mut cursor = vec![0usize; rows.len()];
    let mut start = 0;
    while start < k {
        let end = (start + width).min(k);
        let x = dense_columns(rows, &mut cursor, start, end);
        let (block, prior) = nb_histograms(x, t.clone(), c)?;
        for (all, part) in counts.iter_mut().zip(block) {
            if let Some(part) = part {
                all.get_or_insert_with(|| Vec::with_capacity(k))
                    .extend(part);
            }
        }
        log_prior = prior;
        start = end;
    }
    Ok(nb_scorers(&counts, &log_prior, k, alphas, complement))
}

/// linfa's multinomial naive Bayes on `x`: per label, its histogram of feature mass (`None` for
/// a label without rows) and its log prior ([`ABSENT_BIAS`] without rows).
#[allow(clippy::type_complexity)]
fn nb_histograms(
    x: Array2<f64>,
    t: Array1<usize>,
    c: usize,
) -> Result<(Vec<Option<Vec<f64>>>, Vec<f32>)> {
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
    Ok((counts, log_prior))
}

/// Naive Bayes weights over `k` features, for each smoothing value and each form asked for in
/// `complement`, from the class histograms and log priors of [`nb_histograms`].
fn nb_scorers(
    counts: &[Option<Vec<f64>>],
    log_prior: &[f32],
    k: usize,
    alphas: &[f64],
    complement: &[bool],
) -> Vec<Vec<Scorer>> {
    let c = counts.len();
    let mut total = vec![0f64; k];
    for cnt in counts.iter().flatten() {
        for (t, x) in total.iter_mut().zip(cnt) {
            *t += x;
        }
    }
    let mut out = Vec::with_capacity(alphas.len());
    for &alpha in alphas {
        let variant = |complement: bool| -> Scorer {
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
            (weights, bias)
        };
        out.push(complement.iter().map(|&cnb| variant(cnb)).collect());
    }
    out
}

/// Fits linfa's multinomial logistic regression with L2 strength `l2`; returns `k × c` weights.
fn fit_logistic(
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
    Ok((weights, bias))
}

/// Document frequency filter, then chi² (max over labels) top-K, sorted by hash; idf attached.
fn select_features(
    docs: &[Vec<(u32, u32)>],
    y: &[usize],
    ix: &[usize],
    c: usize,
    opts: &TrainOptions,
) -> Vocab {
    let mut df: std::collections::HashMap<u32, u32> = std::collections::HashMap::new();
    for &i in ix {
        for &(h, _) in &docs[i] {
            *df.entry(h).or_default() += 1;
        }
    }
    let mut cand: Vec<u32> = df
        .iter()
        .filter(|&(_, &n)| n >= opts.min_df)
        .map(|(&h, _)| h)
        .collect();
    cand.sort_unstable();
    let pos: std::collections::HashMap<u32, usize> =
        cand.iter().enumerate().map(|(p, &h)| (h, p)).collect();
    let mut per_class = vec![0u32; cand.len() * c];
    let mut class_n = vec![0u32; c];
    for &i in ix {
        class_n[y[i]] += 1;
        for &(h, _) in &docs[i] {
            if let Some(&p) = pos.get(&h) {
                per_class[p * c + y[i]] += 1;
            }
        }
    }
    let n = ix.len() as f64;
    let mut scored: Vec<(f64, u32, usize)> = cand
        .iter()
        .enumerate()
        .map(|(p, &h)| {
            let f = df[&h] as f64;
            let mut best = 0f64;
            for l in 0..c {
                // 2x2 table: feature present/absent x label/other
                let a = per_class[p * c + l] as f64;
                let b = f - a;
                let cc = class_n[l] as f64 - a;
                let d = n - f - cc;
                let den = (a + b) * (cc + d) * (a + cc) * (b + d);
                if den > 0.0 {
                    let chi = n * (a * d - b * cc).powi(2) / den;
                    best = best.max(chi);
                }
            }
            (best, h, p)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.truncate(opts.features_for(c));
    scored.sort_by_key(|s| s.1);
    let hashes: Vec<u32> = scored.iter().map(|s| s.1).collect();
    let idf: Vec<f32> = hashes
        .iter()
        .map(|h| (1.0 + ((1.0 + n) / (1.0 + df[h] as f64)).ln()) as f32)
        .collect();
    Vocab::new(hashes, idf)
}

fn nll(logits: &[Vec<f32>], y: &[usize], t: f32) -> f64 {
    logits
        .iter()
        .zip(y)
        .map(|(z, &l)| -(softmax(z, t)[l].max(1e-12) as f64).ln())
        .sum::<f64>()
        / y.len().max(1) as f64
}

/// Temperature minimizing the negative log-likelihood of the held-out scores (golden-section
/// search over log T in [0.01, 100]).
fn fit_temperature(logits: &[Vec<f32>], y: &[usize]) -> f32 {
    let (mut a, mut b) = (0.01f64.ln(), 100f64.ln());
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let f = |lt: f64| nll(logits, y, lt.exp() as f32);
    let (mut x1, mut x2) = (b - g * (b - a), a + g * (b - a));
    let (mut f1, mut f2) = (f(x1), f(x2));
    for _ in 0..60 {
        if f1 < f2 {
            b = x2;
            x2 = x1;
            f2 = f1;
            x1 = b - g * (b - a);
            f1 = f(x1);
        } else {
            a = x1;
            x1 = x2;
            f1 = f2;
            x2 = a + g * (b - a);
            f2 = f(x2);
        }
    }
    (((a + b) / 2.0).exp() as f32 * 1000.0).round() / 1000.0
}

fn macro_f1(probs: &[Vec<f32>], y: &[usize], c: usize) -> f64 {
    let mut tp = vec![0f64; c];
    let mut pred_n = vec![0f64; c];
    let mut true_n = vec![0f64; c];
    for (p, &t) in probs.iter().zip(y) {
        let a = argmax(p);
        pred_n[a] += 1.0;
        true_n[t] += 1.0;
        if a == t {
            tp[a] += 1.0;
        }
    }
    let present = true_n.iter().filter(|&&n| n > 0.0).count().max(1) as f64;
    (0..c)
        .map(|l| {
            if tp[l] == 0.0 {
                0.0
            } else {
                2.0 * tp[l] / (pred_n[l] + true_n[l])
            }
        })
        .sum::<f64>()
        / present
}

/// Grid search of the rubric factors on held-out probabilities, maximizing macro-F1; the smallest
/// factors win ties, so a cue the model already knows gets no extra weight.
fn fit_rubric(
    probs: &[Vec<f32>],
    y: &[usize],
    idx: RubricLabels,
    evidence: &[(Cues, f32)],
    c: usize,
) -> RubricParams {
    const GRID: [f32; 6] = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0];
    let mut best = (
        macro_f1(probs, y, c),
        RubricParams {
            security: 0.0,
            scope: 0.0,
            sop_l1: 0.0,
        },
    );
    for &security in &GRID {
        for &scope in &GRID {
            for &sop_l1 in &GRID {
                let params = RubricParams {
                    security,
                    scope,
                    sop_l1,
                };
                let adjusted: Vec<Vec<f32>> = probs
                    .iter()
                    .zip(evidence)
                    .map(|(p, (cues, s))| crate::classify::apply_rubric(p, idx, &params, cues, *s))
                    .collect();
                let f = macro_f1(&adjusted, y, c);
                if f > best.0 + 1e-9 {
                    best = (f, params);
                }
            }
        }
    }
    best.1
}

/// The routed label: the most probable one, or the intake label when unsure (rubric rule 4).
fn route(p: &[f32], threshold: f32, intake: Option<usize>) -> usize {
    let a = argmax(p);
    match intake {
        Some(l1) if p[a] < threshold => l1,
        _ => a,
    }
}

/// For the rubric's labels, where an unsure answer goes to L1 intake: the threshold that gives
/// the best held-out macro-F1 of the routed tier (the lowest on ties; 0 means no fallback).
fn fit_intake_threshold(probs: &[Vec<f32>], y: &[usize], l1: usize, c: usize) -> f32 {
    let mut best = (f64::NEG_INFINITY, 0f32);
    for step in 0..=19 {
        let t = step as f32 * 0.05;
        let routed: Vec<Vec<f32>> = probs
            .iter()
            .map(|p| {
                let mut onehot = vec![0f32; c];
                onehot[route(p, t, Some(l1))] = 1.0;
                onehot
            })
            .collect();
        let f = macro_f1(&routed, y, c);
        if f > best.0 + 1e-9 {
            best = (f, t);
        }
    }
    best.1
}

/// Threshold on the top probability minimizing wrong answers + [`ABSTAIN_COST`] × abstentions on
/// held-out predictions. Returns (threshold, abstain rate, accuracy of the rest).
fn fit_abstain(probs: &[Vec<f32>], y: &[usize]) -> (f32, f64, f64) {
    let n = y.len().max(1) as f64;
    let mut best = (f64::INFINITY, 0f32, 0f64, 0f64);
    for step in 0..=19 {
        let t = step as f32 * 0.05;
        let (mut wrong, mut abstained, mut right) = (0f64, 0f64, 0f64);
        for (p, &l) in probs.iter().zip(y) {
            let a = argmax(p);
            if p[a] < t {
                abstained += 1.0;
            } else if a == l {
                right += 1.0;
            } else {
                wrong += 1.0;
            }
        }
        let cost = (wrong + ABSTAIN_COST * abstained) / n;
        if cost < best.0 - 1e-12 {
            let answered = right + wrong;
            let acc = if answered > 0.0 {
                right / answered
            } else {
                0.0
            };
            best = (cost, t, abstained / n, acc);
        }
    }
    (best.1, best.2, best.3)
}

/// FNV-64 over every row's label and text.
fn corpus_hash(rows: &[Row]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for r in rows {
        for b in r.label.bytes().chain([0]).chain(r.text.bytes()).chain([0]) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// `YYYY-MM-DD` of `SOURCE_DATE_EPOCH` when set (reproducible builds), else of now.
fn build_date() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        });
    civil_date(secs.div_euclid(86_400))
}

/// Days since 1970-01-01 to `YYYY-MM-DD` (Howard Hinnant's algorithm).
fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::CHAR_BIT;

    #[test]
    fn dates_from_epoch_days() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(20_415), "2025-11-23");
        assert_eq!(civil_date(11_016), "2000-02-29");
    }

    #[test]
    fn folds_are_stratified_and_deterministic() {
        let y: Vec<usize> = (0..100).map(|i| i % 3).collect();
        let f = folds(&y, 5, 7);
        assert_eq!(f, folds(&y, 5, 7));
        for k in 0..5 {
            let n = f.iter().filter(|&&x| x == k).count();
            assert_eq!(n, 20, "fold {k}");
            for label in 0..3 {
                let m = (0..100).filter(|&i| f[i] == k && y[i] == label).count();
                assert!((6..=7).contains(&m), "fold {k} label {label}: {m}");
            }
        }
        assert_ne!(f, folds(&y, 5, 8));
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
            (w, vec![0.0; c])
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
        let (w, b) = stacker.compose(&vocab, &scorers);
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
        let whole = fit_nb(
            dense(&rows, 11),
            t.clone(),
            3,
            11,
            &[0.1, 1.0],
            &[false, true],
        );
        for width in [1, 2, 4, 10, 11, 300] {
            let blocks = fit_nb_rows(&rows, t.clone(), 3, 11, &[0.1, 1.0], &[false, true], width);
            assert_eq!(blocks.unwrap(), *whole.as_ref().unwrap(), "width {width}");
        }
        // fewer features than the smallest block
        let few = fit_nb_rows(&rows, t, 3, 11, &[1.0], &[false], nb_block_width(7)).unwrap();
        assert_eq!(few[0][0].0.len(), 11 * 3);
    }

    #[test]
    fn a_label_missing_from_a_fold_is_smoothed_and_never_predicted() {
        // three labels, but the rows only carry labels 0 and 1 (as in a fold without the
        // only row of a rare label)
        let x = ndarray::array![[1.0, 0.0, 2.0], [0.0, 3.0, 1.0], [2.0, 0.0, 1.0]];
        let t = ndarray::array![0usize, 1, 0];
        let fits = fit_nb(x, t, 3, 3, &[0.5], &[false, true]).unwrap();
        let ((mnb, mnb_bias), (cnb, cnb_bias)) = (&fits[0][0], &fits[0][1]);
        for j in 0..3 {
            // zero counts smoothed: ln(1/K) for the multinomial form, not 0
            assert!((mnb[j * 3 + 2] - (1.0f32 / 3.0).ln()).abs() < 1e-6);
            assert!(cnb[j * 3 + 2] != 0.0);
        }
        assert_eq!(mnb_bias[2], ABSENT_BIAS);
        assert_eq!(cnb_bias[2], ABSENT_BIAS);
        assert!(mnb_bias[0] > ABSENT_BIAS && cnb_bias[0] == 0.0);
    }

    #[test]
    fn temperature_softens_overconfident_scores() {
        // Scores that are right 75% of the time with huge margins want a large temperature.
        let logits: Vec<Vec<f32>> = (0..100)
            .map(|i| {
                if i % 4 == 0 {
                    vec![0.0, 20.0]
                } else {
                    vec![20.0, 0.0]
                }
            })
            .collect();
        let y = vec![0usize; 100];
        let t = fit_temperature(&logits, &y);
        let p = softmax(&logits[1], t)[0];
        assert!((p - 0.75).abs() < 0.02, "t {t} p {p}");
    }

    #[test]
    fn abstain_threshold_follows_the_cost() {
        // Half the answers are confident and right; half unsure and wrong.
        let mut probs = Vec::new();
        let mut y = Vec::new();
        for i in 0..100 {
            if i % 2 == 0 {
                probs.push(vec![0.95, 0.05]);
                y.push(0);
            } else {
                probs.push(vec![0.4, 0.6]);
                y.push(0);
            }
        }
        let (t, rate, acc) = fit_abstain(&probs, &y);
        assert!(t > 0.6 && t <= 0.95, "{t}");
        assert!((rate - 0.5).abs() < 1e-9);
        assert!((acc - 1.0).abs() < 1e-9);
    }
}
