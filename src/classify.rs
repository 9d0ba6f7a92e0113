//! Classification: the model's calibrated scores, the rubric's cues and the SOP evidence,
//! combined into one answer (tier, confidence, abstain, reasons, SOPs) a technician can read.

use crate::answer::{Classification, Scores, Ticket, ticket_text};
use crate::cues::{Cues, RubricLabels, RubricParams};
use crate::decimal::round4;
use crate::features::Kind;
use crate::model::{Analysis, Model, argmax, softmax};
use crate::relevance::{SopRelevance, best_first, candidates};
use crate::sop::{Audience, Sop, SopHit, SopMatch, shown_score};
use crate::text::normalize;

/// How many SOPs an answer lists by default.
pub const DEFAULT_SOPS: usize = 3;
/// How many word reasons an answer gives at most.
const MAX_WORD_REASONS: usize = 5;

impl Model {
    /// Classifies a ticket given as subject and body.
    pub fn classify(&self, subject: &str, body: &str) -> Classification {
        self.classify_text(&ticket_text(subject, body), DEFAULT_SOPS)
    }

    /// Classifies a ticket as callers hand it in, echoing its id, listing up to `k` SOPs.
    pub fn classify_ticket(&self, ticket: &Ticket, k: usize) -> Classification {
        let mut c = self.classify_text(&ticket.full_text(), k);
        c.id = ticket.id.clone();
        c
    }

    /// Classifies one ticket text, listing up to `k` SOPs.
    pub fn classify_text(&self, text: &str, k: usize) -> Classification {
        let norm = normalize(text);
        let labels = self.labels();
        let rubric = RubricLabels::of(labels).zip(self.rubric());
        if norm.is_empty() {
            // Nothing to read: rubric rule 4 sends it to intake when the labels are the rubric's.
            let c = labels.len();
            let tier = rubric.map_or(0, |(idx, _)| idx.l1);
            return Classification {
                id: None,
                tier: labels[tier].clone(),
                confidence: round4(1.0 / c as f32),
                scores: Scores(
                    labels
                        .iter()
                        .map(|l| (l.clone(), round4(1.0 / c as f32)))
                        .collect(),
                ),
                abstain: true,
                reasons: vec!["empty ticket: no words to classify".to_string()],
                sops: Vec::new(),
            };
        }
        let mut words = Vec::with_capacity(norm.len() / 4);
        let a = self.analyze_words(&norm, &mut words);
        let logits = self.logits(&a.vec);
        let mut probs = self.calibrated(&logits);
        // The rubric's SOP evidence reads the first DEFAULT_SOPS matches, as training did, so the
        // tier never depends on how many SOPs the caller asks to see.
        let text_scores = self.sop_index().scores(&a.sop_query);
        let hits = self.sop_index().hits(&text_scores, k.max(DEFAULT_SOPS));
        let mut cue_reasons = Vec::new();
        if let Some((idx, params)) = rubric {
            let cues = Cues::detect_words(&words, &a.facts);
            let best_l1 = best_l1_sop(
                self.sop_index().sops(),
                &hits[..hits.len().min(DEFAULT_SOPS)],
            );
            probs = apply_rubric(&probs, idx, params, &cues, best_l1);
            if let Some(p) = cues.security.first() {
                cue_reasons.push(format!("security cue: \"{p}\""));
            }
            if let Some(p) = cues.scope.first() {
                cue_reasons.push(format!("scope cue: \"{p}\""));
            }
            let first = hits.first().map(|h| &self.sop_index().sops()[h.sop]);
            if let Some(sop) =
                first.filter(|s| best_l1 > 0.0 && params.sop_l1 > 0.0 && s.tier == "L1")
            {
                cue_reasons.push(format!("fits L1 procedure: {}", sop.id));
            }
        }
        let mut best = argmax(&probs);
        let abstain = probs[best] < self.abstain_below();
        let unsure = probs[best] < self.intake_below();
        let intake = rubric.map(|(idx, _)| idx.l1);
        if let Some(l1) = intake.filter(|&l1| unsure && best != l1) {
            // Rubric tie-breaker 4: not enough to tell, so intake (L1) picks it up and asks.
            cue_reasons.push("unsure: routed to L1 intake (rubric rule 4)".to_string());
            best = l1;
        }
        let mut reasons = self.word_reasons(&words, &a, best);
        reasons.extend(cue_reasons);
        let confidence = round4(probs[best]);
        let sops = match self.relevance() {
            Some(relevance) => {
                self.relevant_sops(relevance, &text_scores, &a, words.len(), &probs, k)
            }
            None => hits
                .iter()
                .take(k)
                .map(|h| self.sop_index().match_of(h.sop, h.score))
                .collect(),
        };
        Classification {
            id: None,
            tier: labels[best].clone(),
            confidence,
            scores: Scores(
                labels
                    .iter()
                    .zip(&probs)
                    .map(|(l, p)| (l.clone(), round4(*p)))
                    .collect(),
            ),
            abstain,
            reasons,
            sops,
        }
    }

    /// The SOPs likely enough to fit, most likely first, at most `k`: the candidates of both SOP
    /// indexes weighed by the learned relevance, given the answer's probabilities `probs`.
    fn relevant_sops(
        &self,
        relevance: &SopRelevance,
        text: &[f32],
        a: &Analysis,
        words: usize,
        probs: &[f32],
        k: usize,
    ) -> Vec<SopMatch> {
        let keys = self.key_index().scores(&a.stems);
        let labels = self.labels();
        let tier_probability = |tier: &str| {
            labels
                .iter()
                .position(|l| l == tier)
                .map_or(0.0, |i| probs[i])
        };
        let sops = self.sop_index().sops();
        let cands = candidates(sops, text, &keys, words, tier_probability);
        // the probability of each candidate that is shown, -1 for the others
        let shown: Vec<f32> = cands
            .iter()
            .map(|c| {
                let p = relevance.probability(&c.evidence);
                if relevance.shows(p, &c.evidence) {
                    p
                } else {
                    -1.0
                }
            })
            .collect();
        best_first(&shown, k, -1.0)
            .into_iter()
            .map(|i| SopMatch {
                relevance: Some(round4(shown[i])),
                ..self.sop_index().match_of(cands[i].sop, text[cands[i].sop])
            })
            .collect()
    }

    /// The words and word pairs of the ticket that pushed hardest toward label `best`, against the
    /// average of the other labels. Character n-gram evidence is credited to the word it came from.
    fn word_reasons(&self, words: &[&str], a: &Analysis, best: usize) -> Vec<String> {
        let c = self.labels().len();
        let lean = |i: u32| {
            let w = self.weight(i, best);
            let others: f32 = (0..c)
                .filter(|&l| l != best)
                .map(|l| self.weight(i, l))
                .sum::<f32>()
                / (c - 1) as f32;
            w - others
        };
        // Contribution per word (index) and per bigram (first index).
        let mut per_word = vec![0f32; words.len()];
        let mut per_pair = vec![0f32; words.len()];
        for hit in &a.hits {
            let x = hit.value * lean(hit.feature);
            match hit.kind {
                Kind::Bigram => per_pair[hit.word as usize] += x,
                _ => per_word[hit.word as usize] += x,
            }
        }
        // Candidates that pushed toward `best`: (score, first word, is a pair). Terms are only
        // spelled out for the few that are listed.
        let stop = |i: usize| a.facts[i].stop;
        let mut cands: Vec<(f32, usize, bool)> = Vec::new();
        for (i, w) in words.iter().enumerate() {
            if per_word[i] > 0.0
                && w.len() > 2
                && !w.bytes().all(|b| b.is_ascii_digit())
                && !stop(i)
            {
                cands.push((per_word[i], i, false));
            }
            if i + 1 < words.len() && per_pair[i] > 0.0 && !(stop(i) && stop(i + 1)) {
                let score = per_pair[i] + per_word[i] + per_word[i + 1];
                if score > 0.0 {
                    cands.push((score, i, true));
                }
            }
        }
        // the words of a candidate's term: one, or the pair
        let parts = |&(_, i, pair): &(f32, usize, bool)| &words[i..=i + pair as usize];
        // best first; equal scores (rare: a repeated word) in term order, and equal terms are
        // interchangeable, so an unstable sort gives the same list
        cands.sort_unstable_by(|x, y| {
            y.0.total_cmp(&x.0)
                .then_with(|| parts(x).join(" ").cmp(&parts(y).join(" ")))
        });
        let mut out: Vec<String> = Vec::new();
        let mut listed: Vec<&str> = Vec::new();
        for cand in &cands {
            if out.len() == MAX_WORD_REASONS {
                break;
            }
            // one mention of each word: skip a term sharing a word with one already listed
            if parts(cand).iter().any(|w| listed.contains(w)) {
                continue;
            }
            listed.extend(parts(cand));
            out.push(parts(cand).join(" "));
        }
        out
    }

    /// The best SOPs for a text (all audiences).
    pub fn search_sops(&self, text: &str, k: usize) -> Vec<SopMatch> {
        self.sop_index().search(text, k)
    }
}

/// Applies the cue factors to calibrated probabilities; returns the new probabilities.
pub fn apply_rubric(
    probs: &[f32],
    labels: RubricLabels,
    params: &RubricParams,
    cues: &Cues,
    best_l1_sop: f32,
) -> Vec<f32> {
    let mut logp: Vec<f32> = probs.iter().map(|p| libm::logf(p.max(1e-9))).collect();
    if !cues.security.is_empty() {
        logp[labels.l3] += params.security;
    }
    if !cues.scope.is_empty() {
        logp[labels.l3] += params.scope;
    }
    logp[labels.l1] += params.sop_l1 * best_l1_sop;
    softmax(&logp, 1.0)
}

/// Shown score of the best client-facing or L1 SOP among the hits in `sops` (0 when none).
pub fn best_l1_sop(sops: &[Sop], hits: &[SopHit]) -> f32 {
    hits.iter()
        .filter(|h| sops[h.sop].tier == "L1" || sops[h.sop].audience == Audience::Client)
        .map(|h| shown_score(h.score))
        .fold(0.0, f32::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LABELS: RubricLabels = RubricLabels {
        l1: 0,
        l2: 1,
        l3: 2,
    };

    #[test]
    fn rubric_factors_move_probability_toward_l3() {
        let p = [0.6, 0.3, 0.1];
        let params = RubricParams {
            security: 3.0,
            scope: 1.0,
            sop_l1: 0.0,
        };
        let cues = Cues {
            security: vec!["ransomware"],
            scope: vec![],
        };
        let q = apply_rubric(&p, LABELS, &params, &cues, 0.0);
        assert_eq!(argmax(&q), 2);
        let none = apply_rubric(&p, LABELS, &params, &Cues::default(), 0.0);
        assert!((none[0] - 0.6).abs() < 1e-5);
    }
}
