//! The per-thread word cache: words repeat across tickets, so each word's neighbour-free features
//! are computed once and replayed, with results bit-identical to computing them afresh.

use super::Model;
use crate::cues::{WordFacts, word_facts};
use crate::features::{Kind, for_each_char_gram};
use crate::sop::sop_feature;

/// Most words a thread remembers (see [`WordCache`]): a few times the distinct words of a month
/// of tickets. Typically about 1 MB; the text and feature arenas are also capped
/// ([`CACHE_HITS`], [`CACHE_TEXT`]), so at most about 2.5 MB a thread.
pub const CACHE_WORDS: usize = 8192;
/// Most feature ids the word cache keeps (4 bytes each) before it starts over.
const CACHE_HITS: usize = 1 << 19;
/// Most bytes of word text the word cache keeps before it starts over.
const CACHE_TEXT: usize = 1 << 17;
const CACHE_SLOTS: usize = 2 * CACHE_WORDS;
pub(super) const NO_FEATURE: u32 = u32::MAX;

/// One remembered word: where its text and its features are kept in the [`WordCache`].
#[derive(Debug, Clone, Copy)]
pub(super) struct WordEntry {
    key: u32,
    text: u32,
    len: u32,
    /// The word's own classifier feature, or [`NO_FEATURE`].
    pub(super) word: u32,
    /// `hits[at..at + chars]`: the classifier features of its character n-grams, in order;
    /// `hits[at + chars..at + chars + sops]`: its SOP features (the stemmed word, then 4-grams).
    pub(super) at: u32,
    pub(super) chars: u32,
    pub(super) sops: u32,
    pub(super) facts: WordFacts,
    /// The stemmed word's hash (what the SOP spaces index).
    pub(super) stem: u32,
}

/// The features of a word that do not depend on its neighbours (the word itself, its character
/// n-grams and its SOP-space features), remembered per thread across tickets: words repeat (a
/// ticket reuses about a fifth of its words, and most words of a ticket were in earlier ones), and
/// a remembered word costs one probe instead of hashing and looking up its dozen n-grams. The
/// features are replayed in the order they were found, so results are bit-identical with or
/// without the cache. Keys are verified against the stored text; full, it starts over.
#[derive(Debug, Default)]
pub(super) struct WordCache {
    model: u64,
    slots: Vec<u32>,
    entries: Vec<WordEntry>,
    text: Vec<u8>,
    pub(super) hits: Vec<u32>,
    padded: Vec<u8>,
    sop_scratch: Vec<u32>,
}

impl WordCache {
    fn reset(&mut self, model: u64) {
        self.model = model;
        self.slots.clear();
        self.slots.resize(CACHE_SLOTS, 0);
        self.entries.clear();
        self.text.clear();
        self.hits.clear();
    }

    /// The entry of word `w` (whose [`crate::features::word_hash`] is `key`) for model `m`,
    /// computed if new.
    pub(super) fn entry(&mut self, m: &Model, key: u32, w: &str, sops_shared: bool) -> WordEntry {
        if self.model != m.id
            || self.entries.len() == CACHE_WORDS
            || self.hits.len() > CACHE_HITS
            || self.text.len() > CACHE_TEXT
        {
            self.reset(m.id);
        }
        let mask = CACHE_SLOTS - 1;
        let mut s = (key.wrapping_mul(0x9e37_79b9) >> (32 - CACHE_SLOTS.trailing_zeros())) as usize;
        loop {
            match self.slots[s] {
                0 => break,
                e => {
                    let entry = self.entries[e as usize - 1];
                    let at = entry.text as usize;
                    if entry.key == key && &self.text[at..at + entry.len as usize] == w.as_bytes() {
                        return entry;
                    }
                }
            }
            s = (s + 1) & mask;
        }
        let cfg = &m.payload.features;
        let sop_vocab = m.sops.vocab();
        let at = self.hits.len();
        self.sop_scratch.clear();
        if let Some(f) = sops_shared
            .then(|| sop_vocab.get(sop_feature(key, Kind::Word, w)))
            .flatten()
        {
            self.sop_scratch.push(f);
        }
        let (hits, sop_hits) = (&mut self.hits, &mut self.sop_scratch);
        for_each_char_gram(w, cfg, &mut self.padded, |h, n| {
            if let Some(f) = m.vocab.get(h) {
                hits.push(f);
            }
            if let Some(f) = (sops_shared && n == 4).then(|| sop_vocab.get(h)).flatten() {
                sop_hits.push(f);
            }
        });
        let chars = self.hits.len() - at;
        self.hits.extend_from_slice(&self.sop_scratch);
        let entry = WordEntry {
            key,
            text: self.text.len() as u32,
            len: w.len() as u32,
            word: m.vocab.get(key).unwrap_or(NO_FEATURE),
            at: at as u32,
            chars: chars as u32,
            sops: self.sop_scratch.len() as u32,
            facts: word_facts(key, w),
            stem: sop_feature(key, Kind::Word, w),
        };
        self.text.extend_from_slice(w.as_bytes());
        self.entries.push(entry);
        self.slots[s] = self.entries.len() as u32;
        entry
    }
}

#[cfg(test)]
mod tests {
    use super::CACHE_WORDS;
    use crate::cues::{Cues, word_facts};
    use crate::features::word_hash;
    use crate::model::{Analysis, Model};
    use crate::text::normalize;

    /// What classify reads from the word cache (each word's cue group and stop-word flag) is what
    /// is computed afresh for that word, so cues found through the cache are `Cues::detect`'s,
    /// over every ticket of the corpus with one warm cache.
    #[test]
    fn the_cache_remembers_each_words_facts() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let m = crate::Model::load(&root.join("model/tiermatch.model")).expect("bundled model");
        for t in crate::cues::tests::corpus_texts() {
            let norm = normalize(&t);
            let mut words = Vec::new();
            let a = m.analyze_words(&norm, &mut words);
            assert_eq!(words, crate::text::words(&norm).collect::<Vec<_>>());
            for ((w, f), s) in words.iter().zip(&a.facts).zip(&a.stems) {
                assert_eq!(*f, word_facts(word_hash(w), w), "{w}");
                assert_eq!(*s, crate::relevance::stem_hash(w), "{w}");
            }
            assert_eq!(
                Cues::detect_words(&words, &a.facts),
                Cues::detect(&norm),
                "{t}"
            );
        }
    }

    /// What a thread whose word cache starts empty gives for each ticket: the analysis (feature
    /// vector, SOP query, word hits, compared exactly) and the answer.
    fn fresh(m: &Model, tickets: &[String]) -> Vec<(Analysis, String)> {
        std::thread::scope(|s| {
            s.spawn(|| tickets.iter().map(|t| seen(m, t)).collect())
                .join()
                .unwrap()
        })
    }

    fn seen(m: &Model, t: &str) -> (Analysis, String) {
        let a = m.analyze_words(&normalize(t), &mut Vec::new());
        (a, serde_json::to_string(&m.classify_text(t, 3)).unwrap())
    }

    #[test]
    fn the_word_cache_changes_no_answer() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let m = Model::load(&root.join("model/tiermatch.model")).expect("bundled model");
        let all = crate::cues::tests::corpus_texts();
        // a second model with other SOPs, so the two cannot share remembered features
        let mut p = m.payload().clone();
        p.sops.truncate(5);
        let other = Model::from_payload(p).unwrap();
        let probe: Vec<String> = all.iter().step_by(97).cloned().collect();
        let expected = fresh(&m, &probe);
        let expected_other = fresh(&other, &probe);
        // words no ticket has, in tickets of at most 16 KiB (what normalize reads)
        let junk: Vec<String> = (0..6)
            .map(|j| (0..1500).map(|i| format!("zq{j}x{i} ")).collect())
            .collect();
        let mut distinct = std::collections::HashSet::new();
        for t in all.iter().chain(&junk) {
            for w in normalize(t).split(' ') {
                distinct.insert(w.to_string());
            }
        }
        assert!(
            distinct.len() > 2 * CACHE_WORDS,
            "the warm-up must overflow the cache: {} words",
            distinct.len()
        );
        std::thread::scope(|s| {
            s.spawn(|| {
                // one model: every ticket and the junk pass through this thread's cache, which
                // fills past its capacity (it starts over) with entries that later tickets reuse
                for t in all.iter().chain(&junk).chain(&all) {
                    std::hint::black_box(m.analyze_words(&normalize(t), &mut Vec::new()));
                }
                for (k, t) in probe.iter().enumerate() {
                    assert!(seen(&m, t) == expected[k], "ticket {k} with a warm cache");
                }
                // the other model must not see the first one's entries, nor the first the other's
                for (k, t) in probe.iter().enumerate() {
                    assert!(
                        seen(&other, t) == expected_other[k],
                        "ticket {k}, other model"
                    );
                }
                for (k, t) in probe.iter().enumerate().take(20) {
                    assert!(seen(&m, t) == expected[k], "ticket {k}, back to the first");
                }
            });
        });
    }
}
