//! What a training run is asked to do, checked before any work starts, so a bad setting fails
//! with its name instead of as a model that abstains on everything.

use crate::error::{Error, Result};
use crate::features::FeatureConfig;
use crate::metrics::SopJudgement;

/// Which linear model to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// Multinomial naive Bayes, with the class histograms of `linfa-bayes`' MultinomialNb
    /// (summed from the sparse rows, checked bit for bit against it).
    NaiveBayes,
    /// `linfa-logistic` MultiLogisticRegression.
    Logistic,
    /// Complement naive Bayes (Rennie et al. 2003) from the same class histograms:
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
    /// Labels with fewer tickets than this are folded into one `"other"` label (1: none are).
    pub min_label_count: usize,
    /// Cross-validation folds (at least 2).
    pub folds: usize,
    /// Seed of the fold assignment.
    pub seed: u64,
    /// Naive Bayes smoothing (finite, above 0); `None` chooses it by cross-validation from
    /// [`ALPHA_GRID`].
    pub nb_alpha: Option<f64>,
    /// Logistic regression L2 strength.
    pub lr_alpha: f64,
    /// Logistic regression iteration cap.
    pub lr_max_iter: u64,
    /// Feature settings.
    pub features: FeatureConfig,
    /// Worker threads for the folds (at least 1).
    pub threads: usize,
    /// Print progress to stderr.
    pub progress: bool,
    /// The command line, recorded in the model.
    pub command: String,
    /// Tickets labelled with the SOPs that fit them (`--sop-labels`), by id: the model then
    /// learns when to show an SOP. Empty: every match above a fixed cosine floor is shown.
    pub sop_labels: Vec<SopJudgement>,
}

/// Features a model keeps by default: at least this many ...
pub const MIN_DEFAULT_FEATURES: usize = 14_000;
/// ... and this many per label. Chi² selection keeps the features most tied to any one label, so
/// each label gets about `K / labels` of them; on the routing benchmark accuracy keeps rising with
/// more features while macro-F1 holds up to about 400 a label (figures in `model/README.md`).
/// Three tiers stay at 14,000 (the bundled model's budget).
pub const DEFAULT_FEATURES_PER_LABEL: usize = 400;

/// Most labels a model is trained for. The features kept grow with the labels
/// ([`DEFAULT_FEATURES_PER_LABEL`] each) and the weights are features × labels, so memory, time
/// and the model file grow with the square of the labels. On 5,700 tickets (2 cores): 100 labels
/// 7 s, 0.35 GB peak, a 4 MB model; 300 labels 31 s, 0.9 GB, 20 MB; 1,000 labels 4.6 min,
/// 2.9 GB, 66 MB, and more on a larger export, whose features fill the 400 a label.
pub const MAX_LABELS: usize = 300;

/// Naive Bayes smoothing values tried when none is given: each fold is fitted once and the
/// weights for every value come from the same class histograms, so the choice costs little.
pub const ALPHA_GRID: [f64; 5] = [0.01, 0.03, 0.1, 0.3, 1.0];

impl TrainOptions {
    /// The number of features kept for `labels` labels: [`TrainOptions::max_features`] when set,
    /// else the larger of [`MIN_DEFAULT_FEATURES`] and [`DEFAULT_FEATURES_PER_LABEL`] per label.
    pub fn features_for(&self, labels: usize) -> usize {
        self.max_features
            .unwrap_or(MIN_DEFAULT_FEATURES.max(DEFAULT_FEATURES_PER_LABEL * labels))
    }

    /// Refuses settings no training can use, naming the command-line option that sets each.
    pub fn check(&self) -> Result<()> {
        let refuse = |reason: String| Err(Error::InvalidInput { reason });
        if self.folds < 2 {
            return refuse(format!("--folds must be at least 2, not {}", self.folds));
        }
        if self.threads < 1 {
            return refuse("--threads must be at least 1, not 0".to_string());
        }
        if self.min_label_count == 0 {
            return refuse("--min-label-count must be at least 1, not 0".to_string());
        }
        if self.max_features == Some(0) {
            return refuse("--max-features must be at least 1, not 0".to_string());
        }
        if let Some(a) = self.nb_alpha
            && !(a.is_finite() && a > 0.0)
        {
            // infinite smoothing makes every weight NaN: the model would abstain on everything
            return refuse(format!(
                "--nb-alpha must be a positive finite number or auto, not {a}"
            ));
        }
        if !(self.lr_alpha.is_finite() && self.lr_alpha >= 0.0) {
            return refuse(format!(
                "the logistic regression L2 strength must be a finite number of at least 0, not {}",
                self.lr_alpha
            ));
        }
        Ok(())
    }
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            algorithm: Algorithm::Stacked,
            max_features: None,
            min_df: 2,
            min_label_count: 1,
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
            sop_labels: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(opts: TrainOptions, needle: &str) {
        match opts.check() {
            Err(Error::InvalidInput { reason }) => {
                assert!(reason.contains(needle), "{reason:?} should name {needle:?}")
            }
            other => panic!("{opts:?} gave {other:?}, not InvalidInput"),
        }
    }

    #[test]
    fn the_defaults_pass_the_check() {
        TrainOptions::default().check().unwrap();
        let chosen = TrainOptions {
            nb_alpha: Some(0.1),
            folds: 2,
            threads: 1,
            ..TrainOptions::default()
        };
        chosen.check().unwrap();
    }

    #[test]
    fn settings_no_training_can_use_are_refused() {
        for alpha in [f64::INFINITY, f64::NAN, 0.0, -1.0, f64::NEG_INFINITY] {
            let opts = TrainOptions {
                nb_alpha: Some(alpha),
                ..TrainOptions::default()
            };
            refused(opts, "--nb-alpha");
        }
        for folds in [0, 1] {
            let opts = TrainOptions {
                folds,
                ..TrainOptions::default()
            };
            refused(opts, "--folds");
        }
        let opts = TrainOptions {
            threads: 0,
            ..TrainOptions::default()
        };
        refused(opts, "--threads");
        let opts = TrainOptions {
            max_features: Some(0),
            ..TrainOptions::default()
        };
        refused(opts, "--max-features");
        let opts = TrainOptions {
            min_label_count: 0,
            ..TrainOptions::default()
        };
        refused(opts, "--min-label-count");
        let opts = TrainOptions {
            lr_alpha: f64::NAN,
            ..TrainOptions::default()
        };
        refused(opts, "L2 strength");
    }
}
