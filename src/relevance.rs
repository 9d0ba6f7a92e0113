//! Whether a matched SOP fits the ticket: a small logistic model over the evidence of each match,
//! learned from labelled tickets, so an answer lists an SOP only when it likely fits and stays
//! silent otherwise (a wrong article teaches clients to ignore the panel).
//!
//! The evidence of a candidate SOP: its cosine with the ticket in the full-text index, its cosine
//! in the [`KeyIndex`] (title, keywords and the words training learned from the tickets that use
//! it), each relative to the best candidate's, whether it is the best candidate, the answer's
//! probability of the SOP's tier, and the ticket's length. Whether an SOP fits is a matter of its
//! content, not of who reads it: the audience only chooses the cut (clients get a stricter one).

use crate::features::{run_lengths, word_hash};
use crate::sop::{Audience, Postings, Sop};
use crate::text::{normalize, stem};
use serde::{Deserialize, Serialize};

/// How many candidate SOPs (best combined cosine first) are weighed for an answer.
pub const CANDIDATES: usize = 8;

/// How many values describe one candidate (see [`Evidence::values`]).
pub const EVIDENCE_LEN: usize = 7;

/// The SOPs' titles, keywords and learned words as a tf-idf index over stemmed words: a short,
/// curated field that a ticket naming the SOP's subject matches strongly.
#[derive(Debug, Clone)]
pub struct KeyIndex {
    keys: Postings,
}

/// The stemmed-word hash the key index and the word cache share.
pub fn stem_hash(word: &str) -> u32 {
    word_hash(stem(word))
}

impl KeyIndex {
    /// Indexes the title, keywords and learned words of each SOP.
    pub fn new(sops: &[Sop]) -> KeyIndex {
        let docs: Vec<Vec<(u32, u32)>> = sops.iter().map(|s| run_lengths(key_words(s))).collect();
        KeyIndex {
            keys: Postings::new(&docs),
        }
    }

    /// The cosine of a ticket, given as the [`stem_hash`] of each of its words, with every SOP.
    pub fn scores(&self, stems: &[u32]) -> Vec<f32> {
        let vocab = self.keys.vocab();
        let hits: Vec<u32> = stems.iter().filter_map(|&h| vocab.get(h)).collect();
        self.keys.scores(&vocab.weigh_hits(hits))
    }
}

/// The stemmed-word hashes of an SOP's key field: title, keywords, then the learned stems as
/// they are (they are stems already).
fn key_words(sop: &Sop) -> Vec<u32> {
    let text = normalize(&format!("{} {}", sop.title, sop.keywords.join(" ")));
    let mut out: Vec<u32> = crate::text::words(&text).map(stem_hash).collect();
    out.extend(sop.learned.iter().map(|s| word_hash(s)));
    out
}

/// What is known of one candidate SOP for one ticket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evidence {
    /// Cosine in the full-text index.
    pub text: f32,
    /// Cosine in the [`KeyIndex`].
    pub keys: f32,
    /// The best candidate's full-text cosine.
    pub best_text: f32,
    /// The best candidate's key cosine.
    pub best_keys: f32,
    /// It is the best candidate (by the sum of both cosines).
    pub first: bool,
    /// The answer's probability of the SOP's tier.
    pub tier_probability: f32,
    /// The SOP is client-facing.
    pub client: bool,
    /// Words in the ticket.
    pub words: usize,
}

impl Evidence {
    /// The values the logistic model weighs, in a fixed order.
    pub fn values(&self) -> [f32; EVIDENCE_LEN] {
        [
            self.text,
            self.keys,
            self.text / self.best_text.max(1e-6),
            self.keys / self.best_keys.max(1e-6),
            f32::from(u8::from(self.first)),
            self.tier_probability,
            libm::logf(1.0 + self.words as f32),
        ]
    }
}

/// A candidate SOP (index in the library) and its evidence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Index of the SOP in the library.
    pub sop: usize,
    /// What is known of it.
    pub evidence: Evidence,
}

/// The [`CANDIDATES`] SOPs with the highest sum of both cosines (none without any), best first,
/// with their evidence; `tier_probability` gives the answer's probability of a tier.
pub fn candidates(
    sops: &[Sop],
    text: &[f32],
    keys: &[f32],
    words: usize,
    tier_probability: impl Fn(&str) -> f32,
) -> Vec<Candidate> {
    let sum: Vec<f32> = text.iter().zip(keys).map(|(t, k)| t + k).collect();
    let order = best_first(&sum, CANDIDATES, 0.0);
    let best_text = order.iter().map(|&d| text[d]).fold(0.0, f32::max);
    let best_keys = order.iter().map(|&d| keys[d]).fold(0.0, f32::max);
    order
        .iter()
        .enumerate()
        .map(|(rank, &d)| Candidate {
            sop: d,
            evidence: Evidence {
                text: text[d],
                keys: keys[d],
                best_text,
                best_keys,
                first: rank == 0,
                tier_probability: tier_probability(&sops[d].tier),
                client: sops[d].audience == Audience::Client,
                words,
            },
        })
        .collect()
}

/// The indexes of the (at most) `k` largest `values` above `floor`, largest first, the lower index
/// first among equals. A selection, not a sort: `k` is small, and a generic sort of its own would
/// add kilobytes to the browser build.
pub fn best_first(values: &[f32], k: usize, floor: f32) -> Vec<usize> {
    // one pass, keeping the best `k` so far in order: an index goes before the first kept one it
    // beats, so among equals the earlier index stays first
    // `k` comes from callers (a `--sops` of four billion): room for what can be kept, no more
    let mut top: Vec<usize> = Vec::with_capacity(k.min(values.len()) + 1);
    for (i, &v) in values.iter().enumerate() {
        if k == 0 || v <= floor || (top.len() == k && v <= values[top[k - 1]]) {
            continue;
        }
        let at = top.iter().position(|&j| v > values[j]).unwrap_or(top.len());
        top.insert(at, i);
        top.truncate(k);
    }
    top
}

/// The learned relevance: logistic weights over [`Evidence::values`] and the probabilities above
/// which an SOP is shown, chosen by cross-validation for precision: one for what staff see, a
/// stricter one for the self-help articles clients see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SopRelevance {
    /// One weight per evidence value.
    pub weights: Vec<f32>,
    /// The intercept.
    pub bias: f32,
    /// Staff SOPs at least this likely to fit are shown.
    pub show_above: f32,
    /// Client-facing SOPs at least this likely to fit are shown (never below `show_above`).
    pub show_client_above: f32,
}

impl SopRelevance {
    /// The probability that a candidate with this evidence fits.
    pub fn probability(&self, e: &Evidence) -> f32 {
        let z = self
            .weights
            .iter()
            .zip(e.values())
            .fold(self.bias, |z, (w, x)| z + w * x);
        1.0 / (1.0 + libm::expf(-z))
    }

    /// Whether a candidate this likely to fit is shown.
    pub fn shows(&self, probability: f32, e: &Evidence) -> bool {
        passes_cuts(
            probability,
            e.client,
            self.show_above,
            self.show_client_above,
        )
    }
}

/// Whether a candidate this likely to fit is shown at these cuts: client-facing ones need the
/// stricter of both. Training chooses the cuts with this same rule.
pub fn passes_cuts(
    probability: f32,
    client: bool,
    show_above: f32,
    show_client_above: f32,
) -> bool {
    let cut = if client {
        show_client_above.max(show_above)
    } else {
        show_above
    };
    probability >= cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sop(id: &str, title: &str, keywords: &[&str], learned: &[&str]) -> Sop {
        Sop {
            id: id.into(),
            title: title.into(),
            tier: "L1".into(),
            audience: Audience::Client,
            keywords: keywords.iter().map(|s| s.to_string()).collect(),
            url: None,
            summary: String::new(),
            learned: learned.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn best_first_takes_any_k() {
        let v = [0.2, 0.9, 0.5];
        assert_eq!(best_first(&v, usize::MAX, 0.0), vec![1, 2, 0]);
        assert_eq!(best_first(&v, 2, 0.3), vec![1, 2]);
    }

    fn stems(text: &str) -> Vec<u32> {
        let norm = normalize(text);
        crate::text::words(&norm).map(stem_hash).collect()
    }

    #[test]
    fn the_key_index_is_a_cosine_over_stemmed_words() {
        let sops = [
            sop("vpn", "VPN will not connect", &["vpn", "anyconnect"], &[]),
            sop("erp", "ERP error", &["erp error"], &["sid", "posting"]),
        ];
        let k = KeyIndex::new(&sops);
        let s = k.scores(&stems("VPN not connecting since this morning"));
        assert!(s[0] > 0.3 && s[1] == 0.0, "{s:?}");
        // learned words count: a ticket in the words of the tickets that use the SOP matches it
        let s = k.scores(&stems("posting fails in SID 34"));
        assert!(s[1] > 0.1 && s[0] == 0.0, "{s:?}");
        // the same words give the highest score a words-only index gives: vectors are
        // block-normalized (words and character n-grams half each), so 0.5
        let s = k.scores(&stems("VPN will not connect vpn anyconnect"));
        assert!((s[0] - 0.5).abs() < 1e-4, "{s:?}");
        assert_eq!(k.scores(&[]), vec![0.0, 0.0]);
    }

    #[test]
    fn candidates_are_the_best_sums_with_their_evidence() {
        let sops = [
            sop("a", "a", &[], &[]),
            sop("b", "b", &[], &[]),
            sop("c", "c", &[], &[]),
        ];
        let c = candidates(&sops, &[0.1, 0.0, 0.4], &[0.3, 0.0, 0.1], 12, |t| {
            if t == "L1" { 0.7 } else { 0.1 }
        });
        assert_eq!(c.iter().map(|c| c.sop).collect::<Vec<_>>(), vec![2, 0]);
        assert!(c[0].evidence.first && !c[1].evidence.first);
        assert_eq!(c[1].evidence.best_text, 0.4);
        assert_eq!(c[1].evidence.best_keys, 0.3);
        assert_eq!(c[0].evidence.tier_probability, 0.7);
        let v = c[1].evidence.values();
        assert!((v[2] - 0.25).abs() < 1e-6 && (v[3] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn best_first_selects_the_largest_above_the_floor() {
        let v = [0.2, 0.9, 0.0, 0.5, 0.9, -1.0];
        assert_eq!(best_first(&v, 3, 0.0), vec![1, 4, 3]);
        assert_eq!(best_first(&v, 10, 0.0), vec![1, 4, 3, 0]);
        assert_eq!(best_first(&v, 10, 0.6), vec![1, 4]);
        assert!(best_first(&v, 0, 0.0).is_empty());
    }

    #[test]
    fn the_probability_is_logistic_in_the_evidence() {
        let r = SopRelevance {
            weights: vec![4.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            bias: -2.0,
            show_above: 0.5,
            show_client_above: 0.7,
        };
        let e = |text| Evidence {
            text,
            keys: 0.0,
            best_text: 1.0,
            best_keys: 0.0,
            first: true,
            tier_probability: 0.5,
            client: false,
            words: 3,
        };
        assert!((r.probability(&e(0.5)) - 0.5).abs() < 1e-6);
        assert!(r.probability(&e(0.9)) > 0.8 && r.probability(&e(0.1)) < 0.2);
        // client articles need the stricter cut
        let client = Evidence {
            client: true,
            ..e(0.5)
        };
        assert!(r.shows(0.6, &e(0.5)) && !r.shows(0.6, &client) && r.shows(0.7, &client));
    }
}
