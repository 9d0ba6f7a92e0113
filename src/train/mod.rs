//! Training (feature `train`): every number a model file holds besides its weights is chosen on
//! held-out folds, so the stated confidence means what it says, and every step is seeded, so the
//! same corpus and options give a byte-identical model file.
//!
//! The tickets are read twice and kept once, as coded feature ids (`corpus`). One fit, on a
//! fold's training part or on all rows: chi² selection (`select`), tf-idf (as
//! [`Vocab::vectorize_counts`] weighs), then multinomial naive Bayes (`naive_bayes`), by default
//! with its block scores stacked under logistic regression (`stack`). The out-of-fold scores then
//! calibrate the answer (`calibrate`). Why these learners, measured: `model/README.md`.

mod calibrate;
mod corpus;
mod dense;
mod folds;
mod labels;
mod linear;
mod logistic;
mod meta;
mod naive_bayes;
mod oof;
mod options;
mod relevance;
mod scorer;
mod select;
mod stack;

pub use calibrate::ABSTAIN_COST;
pub use labels::OTHER_LABEL;
pub use options::{
    ALPHA_GRID, Algorithm, DEFAULT_FEATURES_PER_LABEL, MAX_LABELS, MIN_DEFAULT_FEATURES,
    TrainOptions,
};
pub use stack::{STACK_MAX_LABELS, STACK_MIN_GAIN};

use crate::classify::{apply_rubric, best_l1_sop};
use crate::cues::{Cues, RubricLabels, RubricParams};
use crate::data::{Row, RowSource};
use crate::error::{Error, Result};
use crate::features::{SparseVec, Vocab};
use crate::metrics::{CALIBRATION_BINS, Calibration, Report, SopFigures};
use crate::model::{DecisionParams, Model, TrainMeta, softmax};
use crate::sop::{Sop, SopIndex};
use calibrate::{
    Abstain, fit_abstain, fit_intake_threshold, fit_rubric, fit_temperature, macro_f1, route,
};
use corpus::Corpus;
use labels::{LabelSet, label_set};
use naive_bayes::{NbCounts, NbForm, nb_counts};
use ndarray::Array1;
use oof::{HeldOut, OutOfFold};
use scorer::Scorer;
use stack::{StackFit, Stacker, fit_stacker, stack_inputs};
use std::time::Instant;

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
    /// When to show SOPs, learned from `--sop-labels`.
    pub sop_relevance: Option<RelevanceReport>,
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
        if let Some(r) = &self.sop_relevance {
            let f = &r.held_out;
            s.push_str(&format!(
                "SOP relevance from {} labelled tickets: staff SOPs shown above {:.2}, client articles above {:.2}; out of fold the staff view's first SOP fits {:.3} of the time, a fitting SOP is in its first three for {:.3} of the tickets some SOP fits, it is silent on {:.3} of those none fits; the client panel's first article fits {:.3}, a fitting one is shown for {:.3}\n",
                r.tickets, r.show_above, r.show_client_above, f.staff_first_relevant, f.staff_top3_recall, f.silent_when_none_fits, f.client_first_relevant, f.client_recall
            ));
        }
        s.push_str(&format!(
            "{} features; trained in {:.1} s\n",
            self.features, self.seconds
        ));
        s
    }
}

/// What `--sop-labels` taught: from how many tickets, the cuts, and the out-of-fold figures.
#[derive(Debug, Clone, PartialEq)]
pub struct RelevanceReport {
    /// Labelled tickets learned from.
    pub tickets: usize,
    /// The staff SOPs' cut.
    pub show_above: f32,
    /// The client articles' cut.
    pub show_client_above: f32,
    /// Out of fold at those cuts.
    pub held_out: SopFigures,
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

/// What each fit of a training run produces: the smoothing values to try, the naive Bayes forms,
/// and whether the stacker's inputs are kept.
struct Plan {
    /// One value of 0 for logistic regression.
    alphas: Vec<f64>,
    /// The forms each fit needs; the stacker reads both.
    forms: &'static [NbForm],
    stacking: bool,
}

impl Plan {
    fn new(opts: &TrainOptions, labels: usize) -> Plan {
        let alphas = match (opts.algorithm, opts.nb_alpha) {
            (Algorithm::Logistic, _) => vec![0.0],
            (_, Some(a)) => vec![a],
            (_, None) => ALPHA_GRID.to_vec(),
        };
        let stacking = opts.algorithm == Algorithm::Stacked && labels <= STACK_MAX_LABELS;
        let forms: &'static [NbForm] = match opts.algorithm {
            Algorithm::ComplementNb => &[NbForm::Complement],
            Algorithm::Stacked if stacking => &[NbForm::Multinomial, NbForm::Complement],
            _ => &[NbForm::Multinomial],
        };
        Plan {
            alphas,
            forms,
            stacking,
        }
    }
}

/// The features chosen on a set of rows and the base model fitted there.
struct BaseFit {
    vocab: Vocab,
    base: Base,
}

/// A fitted base model: naive Bayes class histograms, from which the scorers of every smoothing
/// value follow one at a time, or the one logistic regression.
enum Base {
    NaiveBayes(NbCounts),
    Logistic(Scorer),
}

impl BaseFit {
    /// The scorers for the smoothing value `alpha`, one per entry of `forms` (the logistic
    /// regression alone for that learner).
    fn variants(&self, alpha: f64, forms: &[NbForm]) -> Vec<Scorer> {
        match &self.base {
            Base::NaiveBayes(nb) => nb.scorers(alpha, forms),
            Base::Logistic(s) => vec![s.clone()],
        }
    }
}

/// Trains a model on labelled rows (and an SOP library), with cross-validation.
pub fn train(rows: &[Row], sops: Vec<Sop>, opts: &TrainOptions) -> Result<(Model, TrainReport)> {
    train_from(rows, sops, opts)
}

/// What the second reading keeps of a ticket besides its features.
struct Kept {
    /// Its rubric cues and best L1 SOP score, when the labels are the rubric's.
    evidence: Option<(Cues, f32)>,
    /// Its id and normalized text, when `--sop-labels` judges it.
    judged: Option<(String, String)>,
}

/// Trains a model on labelled rows read from `source` (twice: see `corpus`), with
/// cross-validation. Memory follows the features the tickets keep, not the export's size on disk.
pub fn train_from(
    source: &(impl RowSource + ?Sized),
    sops: Vec<Sop>,
    opts: &TrainOptions,
) -> Result<(Model, TrainReport)> {
    let pr = Progress {
        on: opts.progress,
        start: Instant::now(),
    };
    opts.check()?;
    pr.say("reading the tickets: counting features");
    let mut corpus_hash = meta::CorpusHash::new();
    let census = corpus::census(source, &opts.features, opts.threads, |r| corpus_hash.add(r))?;
    let n = census.rows();
    let LabelSet {
        labels,
        y,
        folded,
        single,
    } = label_set(&census.labels(), opts)?;
    if folded > 0 {
        pr.say(format!(
            "{folded} labels with fewer than {} tickets folded into {OTHER_LABEL:?}",
            opts.min_label_count
        ));
    }
    if !single.is_empty() {
        pr.say(format!(
            "{} label(s) with a single ticket, never held out right: {}",
            single.len(),
            single.join(", ")
        ));
    }
    if n < opts.folds * 2 {
        return Err(Error::Training {
            reason: format!("{n} rows are too few for {} folds", opts.folds),
        });
    }
    pr.say(format!(
        "{n} tickets, {} labels; keeping their features",
        labels.len()
    ));
    let sop_index = SopIndex::new(sops.clone());
    let rubric_idx = RubricLabels::of(&labels);
    let judged: std::collections::HashSet<&str> =
        opts.sop_labels.iter().map(|j| j.id.as_str()).collect();
    let (corpus, kept) = corpus::keep(
        source,
        census,
        &opts.features,
        opts.min_df,
        opts.threads,
        |row, norm| Kept {
            evidence: rubric_idx.map(|_| {
                (
                    Cues::detect(norm),
                    best_l1_sop(sop_index.sops(), &sop_index.hits_normalized(norm, 3)),
                )
            }),
            judged: row
                .id
                .as_deref()
                .filter(|id| judged.contains(id))
                .map(|id| (id.to_string(), norm.to_string())),
        },
    )?;
    if corpus.len() != n {
        return Err(Error::InvalidInput {
            reason: format!(
                "the input changed while it was read: {n} tickets, then {}",
                corpus.len()
            ),
        });
    }
    let mut ids: Vec<Option<String>> = Vec::new();
    let mut norms: Vec<String> = Vec::new();
    let mut evidence: Vec<(Cues, f32)> = Vec::new();
    for (i, k) in kept.into_iter().enumerate() {
        if let Some(e) = k.evidence {
            evidence.push(e);
        }
        if let Some((id, norm)) = k.judged {
            ids.resize(i + 1, None);
            norms.resize(i + 1, String::new());
            ids[i] = Some(id);
            norms[i] = norm;
        }
    }
    pr.say(format!(
        "{} features in at least {} tickets kept, {:.1} MB",
        corpus.features(),
        opts.min_df.max(1),
        corpus.bytes() as f64 / 1e6
    ));

    // Cross-validation: out-of-fold raw scores for every row.
    let fold_of = folds::folds(&y, opts.folds, opts.seed);
    pr.say(format!(
        "cross-validating: {} folds, {} on {} worker(s)",
        opts.folds,
        opts.algorithm.name(),
        opts.threads
    ));
    let plan = Plan::new(opts, labels.len());
    let (mut by_alpha, fit) = cross_validate(&corpus, &y, &fold_of, &labels, opts, &plan, &pr)?;
    drop(corpus);
    let (best_alpha, _) =
        plan.alphas
            .iter()
            .enumerate()
            .fold((0, f64::NEG_INFINITY), |best, (a, _)| {
                let f = macro_f1(&by_alpha[a].logit_rows(), &y, labels.len());
                if f > best.1 + 1e-9 { (a, f) } else { best }
            });
    let alpha = plan.alphas[best_alpha];
    let chosen = by_alpha.swap_remove(best_alpha);
    drop(by_alpha);
    let mut oof = chosen.logit_rows();
    if plan.alphas.len() > 1 {
        pr.say(format!(
            "smoothing chosen by cross-validation: alpha {alpha}"
        ));
    }
    let stacker = if plan.stacking {
        stack_if_better(
            &chosen.stack_input_rows(),
            &mut oof,
            &y,
            &fold_of,
            labels.len(),
            opts,
            &pr,
        )
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
        let params = fit_rubric(&probs, &y, idx, &evidence, labels.len());
        probs = probs
            .iter()
            .zip(&evidence)
            .map(|(p, (c, s))| apply_rubric(p, idx, &params, c, *s))
            .collect();
        params
    });
    let intake = rubric_idx.map(|idx| idx.l1);
    let intake_below = intake.map_or(0.0, |l1| fit_intake_threshold(&probs, &y, l1, labels.len()));
    let Abstain {
        below: abstain_below,
        rate: abstain_rate,
        answered_accuracy,
    } = fit_abstain(&probs, &y);
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

    // the final fit needs the complement form only for a kept stacker
    let final_forms = if stacker.is_some() {
        plan.forms
    } else {
        &plan.forms[..1]
    };
    let variants = fit.variants(alpha, final_forms);
    let vocab = fit.vocab;
    let w = match &stacker {
        Some(st) => st
            .compose(&vocab, &variants)
            .linear_weights(&vocab, &labels, opts.features),
        None => variants[0].linear_weights(&vocab, &labels, opts.features),
    };
    let meta = TrainMeta {
        corpus_hash: corpus_hash.hex(),
        rows: n as u32,
        date: meta::build_date(),
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
    let mut sops = sops;
    let mut sop_relevance = None;
    let mut relevance = None;
    if !opts.sop_labels.is_empty() {
        pr.say("learning when to show SOPs from the labelled tickets");
        // only the judged rows' ids and texts are kept
        ids.resize(n, None);
        norms.resize(n, String::new());
        match relevance::fit(
            &opts.sop_labels,
            &ids,
            &norms,
            &probs,
            &labels,
            &sops,
            &sop_index,
            opts.seed,
        )? {
            Some(fit) => {
                sop_relevance = Some(RelevanceReport {
                    tickets: fit.tickets,
                    held_out: fit.held_out,
                    show_above: fit.relevance.show_above,
                    show_client_above: fit.relevance.show_client_above,
                });
                relevance = Some(fit.relevance);
                sops = fit.sops;
            }
            None => pr.say(
                "too few labelled tickets (or none with a fitting SOP): SOPs are shown above a fixed floor",
            ),
        }
    }
    let decision = DecisionParams {
        temperature,
        abstain_below,
        intake_below,
        rubric,
        relevance,
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
        sop_relevance,
    };
    pr.say("done");
    Ok((model, report))
}

/// Weights (of all smoothing values together) a fold scores its held-out tickets with at once:
/// few labels score every value in one pass over the tickets, hundreds one value at a time.
const SCORING_WEIGHTS: usize = 1 << 23;

/// What one worker's job of [`cross_validate`] gives.
enum Fitted {
    /// A fold's held-out rows and, per smoothing value, their scores.
    Fold(Vec<usize>, Vec<HeldOut>),
    /// The base fit on every row.
    All(BaseFit),
}

/// Fits every fold's training part and scores its held-out rows: per smoothing value of `plan`,
/// every row's out-of-fold raw scores (and stacker inputs). The base fit on all rows, which the
/// folds do not change, runs on the same workers.
fn cross_validate(
    corpus: &Corpus,
    y: &[usize],
    fold_of: &[usize],
    labels: &[String],
    opts: &TrainOptions,
    plan: &Plan,
    pr: &Progress,
) -> Result<(Vec<OutOfFold>, BaseFit)> {
    let c = labels.len();
    // the folds, then the fit on all rows
    let jobs: Vec<usize> = (0..=opts.folds).collect();
    let fold_scores: Vec<Result<Fitted>> = folds::parallel_map(&jobs, opts.threads, |&f| {
        if f == opts.folds {
            let all: Vec<usize> = (0..y.len()).collect();
            let fit = fit_base(corpus, y, &all, c, opts)?;
            pr.say("base model fitted on all tickets");
            return Ok(Fitted::All(fit));
        }
        let train_ix: Vec<usize> = (0..y.len()).filter(|&i| fold_of[i] != f).collect();
        let test_ix: Vec<usize> = (0..y.len()).filter(|&i| fold_of[i] == f).collect();
        let fit = fit_base(corpus, y, &train_ix, labels.len(), opts)?;
        let vocab = &fit.vocab;
        let weighing = corpus.weighing(vocab);
        let mut out = Vec::with_capacity(plan.alphas.len());
        // as many smoothing values' weights at a time as fit in SCORING_WEIGHTS, each held-out
        // ticket weighed once for all of them
        let per_alpha = vocab.len() * c * plan.forms.len();
        let at_once = (SCORING_WEIGHTS / per_alpha.max(1)).max(1);
        for alphas in plan.alphas.chunks(at_once) {
            let scoring = alphas
                .iter()
                .map(|&alpha| {
                    let variants = fit.variants(alpha, plan.forms);
                    let w = variants[0].linear_weights(vocab, labels, opts.features);
                    let m = Model::build(
                        &w,
                        DecisionParams::untrained(),
                        Vec::new(),
                        TrainMeta::default(),
                    )?;
                    Ok((m, variants))
                })
                .collect::<Result<Vec<_>>>()?;
            let mut held: Vec<HeldOut> = alphas
                .iter()
                .map(|_| HeldOut {
                    logits: Vec::with_capacity(test_ix.len() * c),
                    stack_inputs: Vec::new(),
                })
                .collect();
            for &i in &test_ix {
                // the fold's vocabulary is the model's, index for index
                let v = weighing.vector(i);
                for ((m, variants), h) in scoring.iter().zip(&mut held) {
                    h.logits.extend(m.logits(&v));
                    if plan.stacking {
                        h.stack_inputs.extend(stack_inputs(vocab, &v, variants));
                    }
                }
            }
            out.extend(held);
        }
        pr.say(format!("fold {}/{} fitted", f + 1, opts.folds));
        Ok(Fitted::Fold(test_ix, out))
    });
    let mut by_alpha: Vec<OutOfFold> = Vec::new();
    let mut all = None;
    for scores in fold_scores {
        let (test_ix, held) = match scores? {
            Fitted::Fold(test_ix, held) => (test_ix, held),
            Fitted::All(fit) => {
                all = Some(fit);
                continue;
            }
        };
        for (a, h) in held.into_iter().enumerate() {
            if by_alpha.len() == a {
                by_alpha.push(OutOfFold::new(y.len(), c, &h, test_ix.len()));
            }
            by_alpha[a].put(&test_ix, &h);
        }
    }
    Ok((by_alpha, all.expect("the fit on all rows is a job")))
}

/// Fits the stacker on the out-of-fold naive Bayes scores and keeps it only when its own held-out
/// macro-F1 beats naive Bayes alone by [`STACK_MIN_GAIN`]; then `oof` becomes its held-out logits.
fn stack_if_better(
    inputs: &[Vec<f32>],
    oof: &mut Vec<Vec<f32>>,
    y: &[usize],
    fold_of: &[usize],
    c: usize,
    opts: &TrainOptions,
    pr: &Progress,
) -> Option<Stacker> {
    let base_f1 = macro_f1(oof, y, c);
    match fit_stacker(inputs, y, fold_of, c, opts) {
        Ok(StackFit {
            stacker,
            held_out,
            macro_f1: f1,
        }) if f1 >= base_f1 + STACK_MIN_GAIN => {
            pr.say(format!(
                "stacked logistic regression kept: held-out macro-F1 {f1:.3} against {base_f1:.3} for naive Bayes alone"
            ));
            *oof = held_out;
            Some(stacker)
        }
        Ok(StackFit { macro_f1: f1, .. }) => {
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
}

/// Selects features on the rows `ix`, weighs them and fits the base model there: naive Bayes
/// class histograms or the one logistic regression.
fn fit_base(
    corpus: &Corpus,
    y: &[usize],
    ix: &[usize],
    c: usize,
    opts: &TrainOptions,
) -> Result<BaseFit> {
    let vocab = select::select_features(corpus, y, ix, c, opts);
    if vocab.is_empty() {
        return Err(Error::Training {
            reason: format!(
                "no feature occurs in at least {} tickets; add data or lower --min-df",
                opts.min_df
            ),
        });
    }
    let k = vocab.len();
    let weighing = corpus.weighing(&vocab);
    let base = match opts.algorithm {
        Algorithm::NaiveBayes | Algorithm::ComplementNb | Algorithm::Stacked => Base::NaiveBayes(
            nb_counts(ix.iter().map(|&i| (y[i], weighing.vector(i))), c, k),
        ),
        Algorithm::Logistic => {
            let rows: Vec<SparseVec> = ix.iter().map(|&i| weighing.vector(i)).collect();
            let x = dense::dense(&rows, k);
            let t = Array1::from_iter(ix.iter().map(|&i| y[i]));
            Base::Logistic(logistic::fit_logistic(x, t, c, opts.lr_alpha, opts)?)
        }
    };
    drop(weighing);
    Ok(BaseFit { vocab, base })
}
