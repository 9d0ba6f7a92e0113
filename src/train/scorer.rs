//! The linear scorer every fit produces (naive Bayes, logistic regression, the folded stacker), in
//! the one layout the model file stores.

use crate::features::{FeatureConfig, Vocab};
use crate::model::LinearWeights;

/// A label missing from a fit's training rows gets this bias: never predicted there.
pub(crate) const ABSENT_BIAS: f32 = -1.0e4;

/// One fitted linear scorer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scorer {
    /// `k × c` weights, feature-major: feature `j`'s weight for label `l` is at `j * c + l`.
    pub weights: Vec<f32>,
    /// One bias per label.
    pub bias: Vec<f32>,
}

impl Scorer {
    /// The scorer over `vocab` as the weights a model is built from.
    pub fn linear_weights(
        &self,
        vocab: &Vocab,
        labels: &[String],
        features: FeatureConfig,
    ) -> LinearWeights {
        LinearWeights {
            labels: labels.to_vec(),
            features,
            hashes: vocab.hashes.clone(),
            idf: vocab.idf.clone(),
            weights: self.weights.clone(),
            bias: self.bias.clone(),
        }
    }
}
