//! Inference: one pass over a ticket's words gives the classifier's features, the SOP query and
//! where each feature came from, so classify never reads the text twice.

use super::Model;
use super::cache::{NO_FEATURE, WordCache};
use crate::cues::WordFacts;
use crate::features::{Kind, SparseVec, Tally, for_each_word, word_hash};

/// What one pass over a ticket's features yields.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// The classifier's feature vector.
    pub vec: SparseVec,
    /// The SOP index's query vector.
    pub sop_query: SparseVec,
    /// Every word and word-pair feature found, in text order (character n-grams are counted in
    /// `vec` but not listed).
    pub hits: Vec<FeatureHit>,
    /// Per word of the text: the rubric cue phrases that start with it (an index for
    /// [`crate::cues::Cues`], 0 for none) and whether it is a stop word, as the word cache
    /// remembers them.
    pub(crate) facts: Vec<WordFacts>,
    /// Per word of the text: the hash of its stem ([`crate::relevance::stem_hash`]).
    pub(crate) stems: Vec<u32>,
}

/// A word or word-pair feature of a ticket, and where it was found (for the reasons).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeatureHit {
    /// Index of the feature in the model's vocabulary.
    pub feature: u32,
    /// Index of the word it came from (the first word of a pair).
    pub word: u32,
    /// A word or a pair.
    pub kind: Kind,
    /// Its weighted value in the feature vector.
    pub value: f32,
}

impl Model {
    /// One pass over a normalized text's features: the classifier's vector, the SOP query, and
    /// which word each classifier feature came from (for the reasons); the words of the text are
    /// listed in `words` (cleared first).
    pub(crate) fn analyze_words<'a>(&self, norm: &'a str, words: &mut Vec<&'a str>) -> Analysis {
        thread_local! {
            static SCRATCH: std::cell::RefCell<(Tally, Tally, WordCache)> = Default::default();
        }
        let cfg = &self.payload.features;
        // the SOP space's 4-grams are among the classifier's n-grams: one pass serves both
        let shared_grams = cfg.char_min <= 4 && cfg.char_max >= 4;
        let sop_vocab = self.sops.vocab();
        let mut hits: Vec<FeatureHit> = Vec::with_capacity(norm.len() / 2);
        let mut facts: Vec<WordFacts> = Vec::with_capacity(norm.len() / 4);
        let mut stems: Vec<u32> = Vec::with_capacity(norm.len() / 4);
        words.clear();
        SCRATCH.with(|t| {
            let (model_tally, sop_tally, cache) = &mut *t.borrow_mut();
            // the same features, in the same order, as `for_each_feature_word` gives
            for_each_word(norm, cfg, |i, w, pair| {
                let e = cache.entry(self, word_hash(w), w, shared_grams);
                facts.push(e.facts);
                stems.push(e.stem);
                words.push(w);
                if e.word != NO_FEATURE {
                    model_tally.add(e.word);
                    hits.push(FeatureHit {
                        feature: e.word,
                        word: i as u32,
                        kind: Kind::Word,
                        value: 0.0,
                    });
                }
                if let Some(f) = pair.and_then(|(_, h)| self.vocab.get(h)) {
                    model_tally.add(f);
                    hits.push(FeatureHit {
                        feature: f,
                        word: i as u32 - 1,
                        kind: Kind::Bigram,
                        value: 0.0,
                    });
                }
                let (at, chars) = (e.at as usize, e.chars as usize);
                for &f in &cache.hits[at..at + chars] {
                    model_tally.add(f);
                }
                for &f in &cache.hits[at + chars..at + chars + e.sops as usize] {
                    sop_tally.add(f);
                }
            });
            let vec = self.vocab.weigh_tally(model_tally);
            // the weighted value of each listed word feature, through a dense scratch
            for (&i, &x) in vec.idx.iter().zip(&vec.val) {
                model_tally.set_value(i, x);
            }
            for h in hits.iter_mut() {
                h.value = model_tally.value(h.feature);
            }
            for &i in &vec.idx {
                model_tally.set_value(i, 0.0);
            }
            let sop_query = if shared_grams {
                sop_vocab.weigh_tally(sop_tally)
            } else {
                self.sops.query_normalized(norm)
            };
            Analysis {
                vec,
                sop_query,
                hits,
                facts,
                stems,
            }
        })
    }

    /// Raw linear scores (before temperature) of a feature vector.
    pub(crate) fn logits(&self, v: &SparseVec) -> Vec<f32> {
        let c = self.payload.labels.len();
        let mut z = self.payload.bias.clone();
        for (&i, &x) in v.idx.iter().zip(&v.val) {
            let row = &self.weights[i as usize * c..(i as usize + 1) * c];
            for (zl, w) in z.iter_mut().zip(row) {
                *zl += x * w;
            }
        }
        z
    }

    /// Calibrated probabilities from raw scores (temperature-scaled softmax).
    pub(crate) fn calibrated(&self, logits: &[f32]) -> Vec<f32> {
        softmax(logits, self.payload.temperature)
    }
}

/// Softmax of `z / t`, computed with `libm` so native and WASM builds agree to the bit.
pub fn softmax(z: &[f32], t: f32) -> Vec<f32> {
    let m = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e: Vec<f32> = z.iter().map(|&x| libm::expf((x - m) / t)).collect();
    let s: f32 = e.iter().sum();
    e.into_iter().map(|x| x / s).collect()
}

/// Index of the largest value (the first on ties).
pub fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_is_calibrated_by_temperature() {
        let p = softmax(&[2.0, 0.0], 1.0);
        let q = softmax(&[2.0, 0.0], 4.0);
        assert!(p[0] > q[0] && q[0] > 0.5);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
    }

    #[test]
    fn argmax_takes_the_first_of_equals() {
        assert_eq!(argmax(&[0.1, 0.7, 0.2]), 1);
        assert_eq!(argmax(&[0.4, 0.4, 0.2]), 0);
    }
}
