//! Text to sparse feature vectors: hashed word uni/bi-grams and character n-grams, tf-idf weighted.
//!
//! Every feature is a 32-bit hash. Word features have the top bit clear, character n-grams
//! ("char_wb" style: taken inside each word padded with spaces, so `pasword` still shares most of
//! its n-grams with `password`) have it set. Nothing is stored as a string: a model keeps the
//! hashes of the features it selected, and [`Vocab`] maps them to dense indices at load time.
//!
//! Weighting is sublinear tf (`1 + ln tf`) times the idf learnt at training time, L2-normalized
//! separately for the word block and the character block, each block then scaled by `1/√2`, so
//! both kinds of evidence weigh the same whatever the ticket's length.

use serde::{Deserialize, Serialize};

/// Feature hashes have this many bits. 24 bits keep a model's sorted hash list at about two bytes
/// a feature (delta-encoded) while a ticket's ~1,000 n-grams meet a 14,000-feature model by
/// chance about once (hashing-trick collisions of the kind learners with 2^18 buckets live with).
pub const HASH_BITS: u32 = 24;
/// Marks character n-gram hashes (the top feature-hash bit).
pub const CHAR_BIT: u32 = 1 << (HASH_BITS - 1);

/// How text becomes features. Stored in the model file so inference matches training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureConfig {
    /// 1 for words only, 2 for words and adjacent word pairs.
    pub word_ngrams: u8,
    /// Shortest character n-gram (0 disables character n-grams).
    pub char_min: u8,
    /// Longest character n-gram.
    pub char_max: u8,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            word_ngrams: 2,
            char_min: 3,
            char_max: 5,
        }
    }
}

/// What kind of evidence a feature is, for the reasons shown to a technician.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One word, at the given word index.
    Word,
    /// Two adjacent words; the index is the first one's.
    Bigram,
    /// A character n-gram of the given length inside the word at the index.
    Char(u8),
}

const FNV_OFFSET: u32 = 0x811c_9dc5;
const FNV_PRIME: u32 = 0x0100_0193;
/// Separates n-grams of different lengths that share a prefix state.
const GRAM_SALT: u32 = 0x9e37_79b1;

#[inline]
fn fnv(mut h: u32, bytes: &[u8]) -> u32 {
    for &b in bytes {
        h ^= b as u32;
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// MurmurHash3's finalizer, then the top [`HASH_BITS`] bits.
#[inline]
fn mix(h: u32) -> u32 {
    fmix(h) >> (32 - HASH_BITS)
}

/// MurmurHash3's finalizer: spreads FNV's output over all bits.
#[inline]
fn fmix(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h
}

/// Hash of one word feature (as used by the model and the SOP index).
#[inline]
pub fn word_hash(word: &str) -> u32 {
    mix(fnv(FNV_OFFSET, word.as_bytes())) & !CHAR_BIT
}

#[inline]
fn bigram_hash(a: &str, b: &str) -> u32 {
    let h = fnv(fnv(FNV_OFFSET ^ 0x5bd1_e995, a.as_bytes()), b" ");
    mix(fnv(h, b.as_bytes())) & !CHAR_BIT
}

/// Calls `f(hash, kind, word_index)` for every feature of an already [normalized] text, in text
/// order. Bounded by the normalizer's input cap.
///
/// [normalized]: crate::text::normalize
pub fn for_each_feature(norm: &str, cfg: &FeatureConfig, mut f: impl FnMut(u32, Kind, usize)) {
    for_each_feature_word(norm, cfg, |h, k, i, _| f(h, k, i));
}

/// As [`for_each_feature`], also passing the word a feature belongs to (the first word of a pair).
pub fn for_each_feature_word<'a>(
    norm: &'a str,
    cfg: &FeatureConfig,
    mut f: impl FnMut(u32, Kind, usize, &'a str),
) {
    let mut padded: Vec<u8> = Vec::with_capacity(64);
    for_each_word(norm, cfg, |i, w, pair| {
        f(word_hash(w), Kind::Word, i, w);
        if let Some((p, h)) = pair {
            f(h, Kind::Bigram, i - 1, p);
        }
        for_each_char_gram(w, cfg, &mut padded, |h, n| f(h, Kind::Char(n), i, w));
    });
}

/// Calls `f(index, word, pair)` for every word of a normalized text, in order; `pair` is the
/// previous word and the hash of the two as a pair, when `cfg` counts word pairs.
pub fn for_each_word<'a>(
    norm: &'a str,
    cfg: &FeatureConfig,
    mut f: impl FnMut(usize, &'a str, Option<(&'a str, u32)>),
) {
    let mut prev: Option<&str> = None;
    for (i, w) in crate::text::words(norm).enumerate() {
        let pair = if cfg.word_ngrams >= 2 {
            let pair = prev.map(|p| (p, bigram_hash(p, w)));
            prev = Some(w);
            pair
        } else {
            None
        };
        f(i, w, pair);
    }
}

/// Calls `f(hash, length)` for every character n-gram of one word, in order. `padded` is scratch
/// space, reused across calls.
#[inline]
pub fn for_each_char_gram(
    w: &str,
    cfg: &FeatureConfig,
    padded: &mut Vec<u8>,
    mut f: impl FnMut(u32, u8),
) {
    let (cmin, cmax) = (cfg.char_min as usize, cfg.char_max as usize);
    if cmin == 0 {
        return;
    }
    padded.clear();
    padded.push(b' ');
    padded.extend_from_slice(w.as_bytes());
    padded.push(b' ');
    // every n-gram starting at a position extends the shorter one's FNV state
    for start in 0..padded.len() {
        let mut h = FNV_OFFSET;
        for (k, &b) in padded[start..].iter().take(cmax).enumerate() {
            h = (h ^ b as u32).wrapping_mul(FNV_PRIME);
            let n = k + 1;
            if n >= cmin {
                f(
                    mix(h ^ (n as u32).wrapping_mul(GRAM_SALT)) | CHAR_BIT,
                    n as u8,
                );
            }
        }
    }
}

/// All features of a normalized text as sorted `(hash, count)` pairs, as training counts them;
/// inference goes straight through a [`Vocab`].
#[cfg(any(test, feature = "train"))]
pub fn count_features(norm: &str, cfg: &FeatureConfig) -> Vec<(u32, u32)> {
    let mut hashes = Vec::with_capacity(norm.len() * 4);
    for_each_feature(norm, cfg, |h, _, _| hashes.push(h));
    run_lengths(hashes)
}

/// Sorts hashes and turns them into `(hash, count)` runs.
pub fn run_lengths(mut hashes: Vec<u32>) -> Vec<(u32, u32)> {
    hashes.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::with_capacity(hashes.len() / 2);
    for h in hashes {
        match out.last_mut() {
            Some((last, n)) if *last == h => *n += 1,
            _ => out.push((h, 1)),
        }
    }
    out
}

/// An open-addressing map from feature hash to dense index, built at load time. The keys are
/// already well-mixed hashes, so the slot is just their high bits.
#[derive(Debug, Clone)]
pub struct HashIndex {
    /// `(key, value)` slots, interleaved so a probe touches one cache line.
    slots: Vec<(u32, u32)>,
    shift: u32,
}

const EMPTY: u32 = u32::MAX;

impl HashIndex {
    /// Builds the map `keys[i] -> i`. Keys must be unique and not `u32::MAX`.
    pub fn new(keys: &[u32]) -> Self {
        let cap = (keys.len() * 2).next_power_of_two().max(16);
        let shift = 32 - cap.trailing_zeros();
        let mut m = HashIndex {
            slots: vec![(EMPTY, 0); cap],
            shift,
        };
        for (i, &k) in keys.iter().enumerate() {
            let mut s = m.slot(k);
            while m.slots[s].0 != EMPTY {
                s = (s + 1) & (cap - 1);
            }
            m.slots[s] = (k, i as u32);
        }
        m
    }

    #[inline]
    fn slot(&self, k: u32) -> usize {
        (k.wrapping_mul(0x9e37_79b9) >> self.shift) as usize
    }

    /// The dense index of a hash, if the map holds it.
    #[inline]
    pub fn get(&self, k: u32) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let mut s = self.slot(k);
        loop {
            let (key, val) = self.slots[s];
            if key == k {
                return Some(val);
            }
            if key == EMPTY {
                return None;
            }
            s = (s + 1) & mask;
        }
    }
}

/// `1 + ln n` for the small counts nearly every feature has (index `n`; `0` maps like `1`).
fn sublinear_tf_table() -> &'static [f32; 64] {
    static TABLE: std::sync::OnceLock<[f32; 64]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| std::array::from_fn(|k| 1.0 + libm::logf(k.max(1) as f32)))
}

/// Counts feature indices with a dense tally reused across calls, instead of sorting every
/// occurrence: only the distinct indices are sorted.
#[derive(Debug, Default)]
pub struct Tally {
    count: Vec<u32>,
    touched: Vec<u32>,
    value: Vec<f32>,
}

impl Tally {
    /// Parks a value for index `i` (a scratch map for the caller; reset it to 0 when done).
    #[inline]
    pub fn set_value(&mut self, i: u32, x: f32) {
        let u = i as usize;
        if u >= self.value.len() {
            self.value.resize(u + 1, 0.0);
        }
        self.value[u] = x;
    }

    /// The value parked for index `i` (0 when none).
    #[inline]
    pub fn value(&self, i: u32) -> f32 {
        self.value.get(i as usize).copied().unwrap_or(0.0)
    }

    /// Counts one occurrence of index `i`.
    #[inline]
    pub fn add(&mut self, i: u32) {
        let u = i as usize;
        if u >= self.count.len() {
            self.count.resize(u + 1, 0);
        }
        if self.count[u] == 0 {
            self.touched.push(i);
        }
        self.count[u] += 1;
    }

    /// The `(index, count, is_char)` runs in first-seen order; the tally is empty again
    /// afterwards. `is_char` tells character n-gram indices from word ones.
    pub fn take_runs(&mut self, is_char: impl Fn(u32) -> bool) -> Vec<(u32, u32, bool)> {
        let count = &mut self.count;
        let out = self
            .touched
            .iter()
            .map(|&i| (i, std::mem::take(&mut count[i as usize]), is_char(i)))
            .collect();
        self.touched.clear();
        out
    }
}

/// A sparse, tf-idf weighted, block-normalized feature vector over a vocabulary's dense indices.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseVec {
    /// Dense feature indices, ascending.
    pub idx: Vec<u32>,
    /// Weights, one per index.
    pub val: Vec<f32>,
}

impl SparseVec {
    /// Builds the weighted vector from `(index, count, is_char)` runs (distinct indices; the
    /// vector keeps their order).
    pub fn weigh(runs: &[(u32, u32, bool)], idf: &[f32]) -> SparseVec {
        let mut v = SparseVec {
            idx: Vec::with_capacity(runs.len()),
            val: Vec::with_capacity(runs.len()),
        };
        let tf = sublinear_tf_table();
        let (mut nw, mut nc) = (0f32, 0f32);
        for &(i, n, is_char) in runs {
            let tf = match tf.get(n as usize) {
                Some(&t) => t,
                None => 1.0 + libm::logf(n as f32),
            };
            let w = tf * idf[i as usize];
            if is_char {
                nc += w * w;
            } else {
                nw += w * w;
            }
            v.idx.push(i);
            v.val.push(w);
        }
        let half = core::f32::consts::FRAC_1_SQRT_2;
        let sw = if nw > 0.0 {
            half / libm::sqrtf(nw)
        } else {
            0.0
        };
        let sc = if nc > 0.0 {
            half / libm::sqrtf(nc)
        } else {
            0.0
        };
        for (x, &(_, _, is_char)) in v.val.iter_mut().zip(runs) {
            *x *= if is_char { sc } else { sw };
        }
        v
    }

    /// Number of non-zero features.
    pub fn len(&self) -> usize {
        self.idx.len()
    }

    /// Whether no feature was found.
    pub fn is_empty(&self) -> bool {
        self.idx.is_empty()
    }
}

/// The features a model selected, their idf, and the map from hash to index.
#[derive(Debug, Clone)]
pub struct Vocab {
    /// Feature hashes, in dense-index order.
    pub hashes: Vec<u32>,
    /// Inverse document frequency per feature.
    pub idf: Vec<f32>,
    index: HashIndex,
    /// When the hashes ascend within [`HASH_BITS`] (as every model's do), the character n-grams
    /// (top bit set) are the indices from here on, which spares [`Vocab::is_char`] a lookup.
    char_start: Option<u32>,
}

impl Vocab {
    /// Builds the lookup for the given hashes (unique) and idf values.
    pub fn new(hashes: Vec<u32>, idf: Vec<f32>) -> Self {
        let index = HashIndex::new(&hashes);
        let char_start = (hashes.windows(2).all(|w| w[0] < w[1])
            && hashes.last().is_none_or(|&h| h < 1 << HASH_BITS))
        .then(|| hashes.partition_point(|&h| h & CHAR_BIT == 0) as u32);
        Vocab {
            hashes,
            idf,
            index,
            char_start,
        }
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Whether the vocabulary is empty.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Dense index of a hash.
    #[inline]
    pub fn get(&self, h: u32) -> Option<u32> {
        self.index.get(h)
    }

    /// The weighted vector of a normalized text; features outside the vocabulary are ignored.
    pub fn vectorize(&self, norm: &str, cfg: &FeatureConfig) -> SparseVec {
        let mut hits: Vec<u32> = Vec::with_capacity(256);
        for_each_feature(norm, cfg, |h, _, _| {
            if let Some(i) = self.index.get(h) {
                hits.push(i);
            }
        });
        self.weigh_hits(hits)
    }

    /// Whether dense index `i` is a character n-gram.
    #[inline]
    pub fn is_char(&self, i: u32) -> bool {
        match self.char_start {
            Some(start) => i >= start,
            None => self.hashes[i as usize] & CHAR_BIT != 0,
        }
    }

    /// The weighted vector of the dense indices a text hit (one entry per occurrence), in index
    /// order.
    pub fn weigh_hits(&self, hits: Vec<u32>) -> SparseVec {
        let runs: Vec<(u32, u32, bool)> = run_lengths(hits)
            .into_iter()
            .map(|(i, n)| (i, n, self.is_char(i)))
            .collect();
        SparseVec::weigh(&runs, &self.idf)
    }

    /// The weighted vector of the indices counted in a tally, in first-seen order; empties it.
    pub fn weigh_tally(&self, tally: &mut Tally) -> SparseVec {
        let runs = tally.take_runs(|i| self.is_char(i));
        SparseVec::weigh(&runs, &self.idf)
    }

    /// The weighted vector of already counted `(hash, count)` runs (sorted by hash).
    pub fn vectorize_counts(&self, counts: &[(u32, u32)]) -> SparseVec {
        let mut runs: Vec<(u32, u32, bool)> = counts
            .iter()
            .filter_map(|&(h, n)| self.index.get(h).map(|i| (i, n, h & CHAR_BIT != 0)))
            .collect();
        runs.sort_unstable_by_key(|r| r.0);
        SparseVec::weigh(&runs, &self.idf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::normalize;

    #[test]
    fn words_bigrams_and_char_grams_are_emitted_in_order() {
        let cfg = FeatureConfig::default();
        let mut kinds = Vec::new();
        for_each_feature("vpn down", &cfg, |h, k, i| kinds.push((h, k, i)));
        // " vpn " has 3+2+1 grams of length 3..5, " down " 4+3+2.
        let chars = kinds
            .iter()
            .filter(|k| matches!(k.1, Kind::Char(_)))
            .count();
        assert_eq!(chars, 6 + 9);
        assert_eq!(kinds.iter().filter(|k| k.1 == Kind::Word).count(), 2);
        assert_eq!(kinds.iter().filter(|k| k.1 == Kind::Bigram).count(), 1);
        for (h, k, _) in kinds {
            assert_eq!(h & CHAR_BIT != 0, matches!(k, Kind::Char(_)));
        }
    }

    #[test]
    fn typos_share_most_char_grams() {
        let cfg = FeatureConfig::default();
        let a: Vec<u32> = count_features("password", &cfg)
            .iter()
            .map(|x| x.0)
            .collect();
        let b: Vec<u32> = count_features("pasword", &cfg)
            .iter()
            .map(|x| x.0)
            .collect();
        let shared = a.iter().filter(|h| b.contains(h)).count();
        assert!(shared >= 6, "only {shared} shared features");
    }

    #[test]
    fn hash_index_finds_every_key_and_nothing_else() {
        let keys: Vec<u32> = (0..5000u32).map(|i| fmix(i.wrapping_mul(7919))).collect();
        let m = HashIndex::new(&keys);
        for (i, &k) in keys.iter().enumerate() {
            assert_eq!(m.get(k), Some(i as u32));
        }
        let missing = (5000..6000u32)
            .map(|i| fmix(i.wrapping_mul(7919)))
            .filter(|k| m.get(*k).is_some())
            .count();
        assert_eq!(missing, 0);
    }

    #[test]
    fn vectors_are_block_normalized() {
        let cfg = FeatureConfig::default();
        let counts = count_features(&normalize("printer jam printer"), &cfg);
        let hashes: Vec<u32> = counts.iter().map(|c| c.0).collect();
        let vocab = Vocab::new(hashes.clone(), vec![1.5; hashes.len()]);
        let v = vocab.vectorize(&normalize("printer jam printer"), &cfg);
        let norm2: f32 = v.val.iter().map(|x| x * x).sum();
        assert!((norm2 - 1.0).abs() < 1e-5, "{norm2}");
        assert_eq!(v, vocab.vectorize_counts(&counts));
        assert!(vocab.vectorize("", &cfg).is_empty());
    }
}
