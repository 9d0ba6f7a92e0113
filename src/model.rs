//! The model file: a versioned, checksummed envelope around a compact payload, and inference.
//!
//! Layout (all integers little-endian):
//!
//! | bytes | what |
//! |---|---|
//! | 8 | magic `TIERMTCH` |
//! | 2 | format version ([`FORMAT_VERSION`]) |
//! | 4 | payload length `n` |
//! | n | payload: [postcard](https://docs.rs/postcard)-encoded [`Payload`] |
//! | 4 | CRC-32 of everything before it |
//!
//! The payload holds the labels, the feature settings, the selected feature hashes (delta-encoded),
//! their idf (8-bit), the weights (8-bit with one scale per label), the calibration temperature,
//! the abstain threshold, the rubric-cue factors, the SOP library and the training metadata.
//! [`Model::from_bytes`] rejects a wrong magic, an unknown version, a truncated file, a checksum
//! mismatch and an inconsistent payload, each with its own [`Error`] variant.

use crate::decide::{Cues, RubricParams};
use crate::error::{Error, Result};
use crate::features::{
    FeatureConfig, Kind, SparseVec, Tally, Vocab, for_each_char_gram, for_each_word, word_hash,
};
use crate::sop::sop_feature;
use crate::sop::{Sop, SopIndex};
use serde::{Deserialize, Serialize};

/// First bytes of every model file.
pub const MAGIC: &[u8; 8] = b"TIERMTCH";
/// The payload format this build reads and writes.
pub const FORMAT_VERSION: u16 = 1;
/// Magic + version + length.
const HEADER_LEN: usize = 8 + 2 + 4;

/// How and from what a model was trained.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainMeta {
    /// FNV-64 hash of the training rows (text and label), hex.
    pub corpus_hash: String,
    /// Number of training rows.
    pub rows: u32,
    /// Training date, `YYYY-MM-DD` (from `SOURCE_DATE_EPOCH` when set, for reproducible builds).
    pub date: String,
    /// The command line that trained it.
    pub command: String,
    /// The classifier: `multinomial-nb` or `logistic-regression`.
    pub algorithm: String,
    /// Cross-validated accuracy on the training corpus.
    pub cv_accuracy: f32,
    /// Cross-validated macro-F1 on the training corpus.
    pub cv_macro_f1: f32,
}

/// The serialized model, as stored in the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    /// Version of the crate that wrote it.
    pub crate_version: String,
    /// Class labels, in weight order.
    pub labels: Vec<String>,
    /// Feature settings.
    pub features: FeatureConfig,
    /// Selected feature hashes, ascending, delta-encoded.
    pub hash_deltas: Vec<u32>,
    /// idf per feature: `idf_min + q * idf_step`.
    pub idf_q: Vec<u8>,
    /// Smallest idf.
    pub idf_min: f32,
    /// idf quantization step.
    pub idf_step: f32,
    /// Weights, feature-major (`feature * labels + label`): `q * scale[label]`.
    pub weights_q: Vec<i8>,
    /// Weight scale per label.
    pub scales: Vec<f32>,
    /// Bias per label.
    pub bias: Vec<f32>,
    /// Softmax temperature fitted on held-out folds.
    pub temperature: f32,
    /// Answers whose confidence is below this are marked `abstain`.
    pub abstain_below: f32,
    /// With the rubric's labels: answers below this are routed to L1 intake (rubric rule 4).
    pub intake_below: f32,
    /// Rubric cue factors (only for the L1/L2/L3 label set), fitted on held-out folds.
    pub rubric: Option<RubricParams>,
    /// The SOP library.
    pub sops: Vec<Sop>,
    /// Training metadata.
    pub meta: TrainMeta,
}

/// What one pass over a ticket's features yields.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// The classifier's feature vector.
    pub vec: SparseVec,
    /// The SOP index's query vector.
    pub sop_query: SparseVec,
    /// `(feature index, word index, kind, weighted value)` of every word and word-pair feature
    /// found, in text order (character n-grams are counted in `vec` but not listed).
    pub hits: Vec<(u32, u32, Kind, f32)>,
    /// Per word of the text: the rubric cue phrases that start with it (an index for
    /// [`crate::decide::Cues`], 0 for none) and whether it is a stop word, as the word cache
    /// remembers them.
    pub(crate) facts: Vec<WordFacts>,
}

/// What the decision needs to know of one word of a ticket, besides its features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct WordFacts {
    /// 1 + the index of the group of cue phrases that start with this word; 0 when none does.
    pub(crate) cue: u16,
    /// The word never makes a reason on its own.
    pub(crate) stop: bool,
}

/// Float weights before quantization, as training produces them.
#[derive(Debug, Clone)]
pub struct LinearWeights {
    /// Class labels.
    pub labels: Vec<String>,
    /// Feature settings.
    pub features: FeatureConfig,
    /// Feature hashes, ascending.
    pub hashes: Vec<u32>,
    /// idf per feature.
    pub idf: Vec<f32>,
    /// Feature-major weights.
    pub weights: Vec<f32>,
    /// Bias per label.
    pub bias: Vec<f32>,
}

impl LinearWeights {
    /// Quantizes to the stored form. Each feature's weights are first centred across labels (which
    /// changes no softmax output), then stored as 8-bit integers with one scale per label.
    pub fn quantize(&self) -> (Vec<i8>, Vec<f32>, Vec<u8>, f32, f32) {
        let c = self.labels.len();
        let mut w = self.weights.clone();
        for row in w.chunks_mut(c) {
            let mean = row.iter().sum::<f32>() / c as f32;
            row.iter_mut().for_each(|x| *x -= mean);
        }
        let mut scales = vec![0f32; c];
        for row in w.chunks(c) {
            for (l, x) in row.iter().enumerate() {
                scales[l] = scales[l].max(x.abs());
            }
        }
        for s in scales.iter_mut() {
            *s = if *s > 0.0 { *s / 127.0 } else { 1.0 };
        }
        let q: Vec<i8> = w
            .chunks(c)
            .flat_map(|row| {
                row.iter()
                    .enumerate()
                    .map(|(l, x)| (x / scales[l]).round().clamp(-127.0, 127.0) as i8)
                    .collect::<Vec<_>>()
            })
            .collect();
        let lo = self.idf.iter().copied().fold(f32::INFINITY, f32::min);
        let hi = self.idf.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let (lo, step) = if self.idf.is_empty() {
            (0.0, 1.0)
        } else {
            (lo, ((hi - lo) / 255.0).max(1e-6))
        };
        let idf_q = self
            .idf
            .iter()
            .map(|x| ((x - lo) / step).round().clamp(0.0, 255.0) as u8)
            .collect();
        (q, scales, idf_q, lo, step)
    }
}

/// A loaded model: classify and search.
#[derive(Debug, Clone)]
pub struct Model {
    payload: Payload,
    vocab: Vocab,
    weights: Vec<f32>,
    sops: SopIndex,
    /// Tells this model's entries in the per-thread [`WordCache`] from another model's.
    id: u64,
}

/// Distinct ids for loaded models (see [`Model::id`]).
static NEXT_MODEL_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Most words a thread remembers (see [`WordCache`]): a few times the distinct words of a month
/// of tickets. Typically about 1 MB; the text and feature arenas are also capped
/// ([`CACHE_HITS`], [`CACHE_TEXT`]), so at most about 2.5 MB a thread.
pub const CACHE_WORDS: usize = 8192;
/// Most feature ids the word cache keeps (4 bytes each) before it starts over.
const CACHE_HITS: usize = 1 << 19;
/// Most bytes of word text the word cache keeps before it starts over.
const CACHE_TEXT: usize = 1 << 17;
const CACHE_SLOTS: usize = 2 * CACHE_WORDS;
const NO_FEATURE: u32 = u32::MAX;

/// One remembered word: where its text and its features are kept in the [`WordCache`].
#[derive(Debug, Clone, Copy)]
struct WordEntry {
    key: u32,
    text: u32,
    len: u32,
    /// The word's own classifier feature, or [`NO_FEATURE`].
    word: u32,
    /// `hits[at..at + chars]`: the classifier features of its character n-grams, in order;
    /// `hits[at + chars..at + chars + sops]`: its SOP features (the stemmed word, then 4-grams).
    at: u32,
    chars: u32,
    sops: u32,
    facts: WordFacts,
}

/// The features of a word that do not depend on its neighbours (the word itself, its character
/// n-grams and its SOP-space features), remembered per thread across tickets: words repeat (a
/// ticket reuses about a fifth of its words, and most words of a ticket were in earlier ones), and
/// a remembered word costs one probe instead of hashing and looking up its dozen n-grams. The
/// features are replayed in the order they were found, so results are bit-identical with or
/// without the cache. Keys are verified against the stored text; full, it starts over.
#[derive(Debug, Default)]
struct WordCache {
    model: u64,
    slots: Vec<u32>,
    entries: Vec<WordEntry>,
    text: Vec<u8>,
    hits: Vec<u32>,
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

    /// The entry of word `w` (whose [`word_hash`] is `key`) for model `m`, computed if new.
    fn entry(&mut self, m: &Model, key: u32, w: &str, sops_shared: bool) -> WordEntry {
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
            facts: crate::decide::word_facts(key, w),
        };
        self.text.extend_from_slice(w.as_bytes());
        self.entries.push(entry);
        self.slots[s] = self.entries.len() as u32;
        entry
    }
}

/// CRC-32 (IEEE 802.3, as zlib and PNG use it), bytewise with a 1 KB table built at compile time:
/// small in the WASM build, and fast enough for a model of a few hundred kilobytes.
pub fn crc32(bytes: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut t = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            t[i] = c;
            i += 1;
        }
        t
    };
    let mut c = !0u32;
    for &b in bytes {
        c = TABLE[((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8);
    }
    !c
}

/// Builds the checksummed envelope around a payload.
pub fn encode(payload: &Payload) -> Vec<u8> {
    let body = postcard::to_allocvec(payload).expect("serializing to memory cannot fail");
    let mut out = Vec::with_capacity(HEADER_LEN + body.len() + 4);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    let crc = crc32(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Checks the envelope and decodes the payload.
pub fn decode(bytes: &[u8]) -> Result<Payload> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        let head = &bytes[..bytes.len().min(MAGIC.len())];
        return Err(Error::BadMagic {
            found: String::from_utf8_lossy(head).into_owned(),
            expected: String::from_utf8_lossy(MAGIC).into_owned(),
        });
    }
    if bytes.len() < HEADER_LEN {
        return Err(Error::Truncated {
            expected: HEADER_LEN + 4,
            actual: bytes.len(),
        });
    }
    let version = u16::from_le_bytes([bytes[8], bytes[9]]);
    if version != FORMAT_VERSION {
        return Err(Error::UnsupportedVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let n = u32::from_le_bytes([bytes[10], bytes[11], bytes[12], bytes[13]]) as usize;
    let expected = HEADER_LEN + n + 4;
    if bytes.len() < expected {
        return Err(Error::Truncated {
            expected,
            actual: bytes.len(),
        });
    }
    if bytes.len() > expected {
        return Err(Error::CorruptModel {
            reason: format!(
                "{} unexpected bytes after the end of the model",
                bytes.len() - expected
            ),
        });
    }
    let stored = u32::from_le_bytes(bytes[expected - 4..].try_into().expect("4 bytes"));
    let computed = crc32(&bytes[..expected - 4]);
    if stored != computed {
        return Err(Error::ChecksumMismatch { stored, computed });
    }
    postcard::from_bytes(&bytes[HEADER_LEN..HEADER_LEN + n]).map_err(|e| Error::CorruptModel {
        reason: format!("payload does not decode: {e}"),
    })
}

impl Model {
    /// Loads a model from the bytes of a model file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model> {
        Model::from_payload(decode(bytes)?)
    }

    /// Reads a model file.
    pub fn load(path: &std::path::Path) -> Result<Model> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path.display(), e))?;
        Model::from_bytes(&bytes)
    }

    /// Builds the in-memory model from a decoded payload, checking that its parts agree.
    pub fn from_payload(payload: Payload) -> Result<Model> {
        let c = payload.labels.len();
        let k = payload.hash_deltas.len();
        let corrupt = |reason: String| Err(Error::CorruptModel { reason });
        if c < 2 {
            return corrupt(format!("{c} labels; a model needs at least 2"));
        }
        if payload.idf_q.len() != k || payload.weights_q.len() != k * c {
            return corrupt(format!(
                "{k} features but {} idf values and {} weights for {c} labels",
                payload.idf_q.len(),
                payload.weights_q.len()
            ));
        }
        if payload.scales.len() != c || payload.bias.len() != c {
            return corrupt("scales or biases do not match the labels".into());
        }
        if !(payload.temperature.is_finite() && payload.temperature > 0.0) {
            // no float formatting here: it would link about 15 KB of it into the WASM build
            return corrupt("the calibration temperature is not a positive number".into());
        }
        let mut hashes = Vec::with_capacity(k);
        let mut h: u32 = 0;
        for (i, &d) in payload.hash_deltas.iter().enumerate() {
            if i > 0 && d == 0 {
                return corrupt("feature hashes are not strictly ascending".into());
            }
            h = match h.checked_add(d) {
                Some(x) => x,
                None => return corrupt("feature hash overflows".into()),
            };
            hashes.push(h);
        }
        let idf = payload
            .idf_q
            .iter()
            .map(|&q| payload.idf_min + q as f32 * payload.idf_step)
            .collect();
        let weights = payload
            .weights_q
            .chunks(c)
            .flat_map(|row| row.iter().zip(&payload.scales).map(|(&q, &s)| q as f32 * s))
            .collect();
        let sops = SopIndex::new(payload.sops.clone());
        Ok(Model {
            vocab: Vocab::new(hashes, idf),
            weights,
            sops,
            payload,
            id: NEXT_MODEL_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        })
    }

    /// Builds a model from trained weights and the rest of the payload's fields.
    pub fn build(
        w: &LinearWeights,
        temperature: f32,
        abstain_below: f32,
        intake_below: f32,
        rubric: Option<RubricParams>,
        sops: Vec<Sop>,
        meta: TrainMeta,
    ) -> Result<Model> {
        let (weights_q, scales, idf_q, idf_min, idf_step) = w.quantize();
        let mut prev = 0u32;
        let hash_deltas = w
            .hashes
            .iter()
            .map(|&h| {
                let d = h - prev;
                prev = h;
                d
            })
            .collect();
        Model::from_payload(Payload {
            crate_version: env!("CARGO_PKG_VERSION").to_string(),
            labels: w.labels.clone(),
            features: w.features,
            hash_deltas,
            idf_q,
            idf_min,
            idf_step,
            weights_q,
            scales,
            bias: w.bias.clone(),
            temperature,
            abstain_below,
            intake_below,
            rubric,
            sops,
            meta,
        })
    }

    /// The model file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(&self.payload)
    }

    /// Writes the model file atomically: to a temporary file beside it, then renamed over it, so
    /// no reader ever sees a half-written model.
    pub fn save(&self, path: &std::path::Path) -> Result<()> {
        let bytes = self.to_bytes();
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        let name = path
            .file_name()
            .ok_or_else(|| Error::InvalidInput {
                reason: format!("{} is not a file path", path.display()),
            })?
            .to_string_lossy();
        let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
        let write = || -> std::io::Result<()> {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::io(path.display(), e)
        })
    }

    /// The stored payload (labels, metadata, SOPs …).
    pub fn payload(&self) -> &Payload {
        &self.payload
    }

    /// Class labels.
    pub fn labels(&self) -> &[String] {
        &self.payload.labels
    }

    /// Training metadata.
    pub fn meta(&self) -> &TrainMeta {
        &self.payload.meta
    }

    /// The SOP index.
    pub fn sop_index(&self) -> &SopIndex {
        &self.sops
    }

    /// The selected features and their idf.
    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    /// Dequantized weight of feature `i` for label `l`.
    #[inline]
    pub fn weight(&self, i: u32, l: usize) -> f32 {
        self.weights[i as usize * self.payload.labels.len() + l]
    }

    /// One pass over a normalized text's features: the classifier's vector, the SOP query, and
    /// which word each classifier feature came from (for the reasons).
    pub fn analyze(&self, norm: &str) -> Analysis {
        self.analyze_words(norm, &mut Vec::new())
    }

    /// [`Model::analyze`], also listing the words of the text in `words` (cleared first).
    pub(crate) fn analyze_words<'a>(&self, norm: &'a str, words: &mut Vec<&'a str>) -> Analysis {
        thread_local! {
            static SCRATCH: std::cell::RefCell<(Tally, Tally, WordCache)> = Default::default();
        }
        let cfg = &self.payload.features;
        // the SOP space's 4-grams are among the classifier's n-grams: one pass serves both
        let shared_grams = cfg.char_min <= 4 && cfg.char_max >= 4;
        let sop_vocab = self.sops.vocab();
        let mut hits: Vec<(u32, u32, Kind, f32)> = Vec::with_capacity(norm.len() / 2);
        let mut facts: Vec<WordFacts> = Vec::with_capacity(norm.len() / 4);
        words.clear();
        SCRATCH.with(|t| {
            let (model_tally, sop_tally, cache) = &mut *t.borrow_mut();
            // the same features, in the same order, as `for_each_feature_word` gives
            for_each_word(norm, cfg, |i, w, pair| {
                let e = cache.entry(self, word_hash(w), w, shared_grams);
                facts.push(e.facts);
                words.push(w);
                if e.word != NO_FEATURE {
                    model_tally.add(e.word);
                    hits.push((e.word, i as u32, Kind::Word, 0.0));
                }
                if let Some(f) = pair.and_then(|(_, h)| self.vocab.get(h)) {
                    model_tally.add(f);
                    hits.push((f, i as u32 - 1, Kind::Bigram, 0.0));
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
                h.3 = model_tally.value(h.0);
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
            }
        })
    }

    /// Feature vector of a normalized text.
    pub fn vectorize(&self, norm: &str) -> SparseVec {
        self.vocab.vectorize(norm, &self.payload.features)
    }

    /// Raw linear scores (before temperature) of a feature vector.
    pub fn logits(&self, v: &SparseVec) -> Vec<f32> {
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
    pub fn calibrated(&self, logits: &[f32]) -> Vec<f32> {
        softmax(logits, self.payload.temperature)
    }

    /// Rubric cue factors, if this model uses them.
    pub fn rubric(&self) -> Option<&RubricParams> {
        self.payload.rubric.as_ref()
    }

    /// Abstain threshold.
    pub fn abstain_below(&self) -> f32 {
        self.payload.abstain_below
    }

    /// Intake threshold (rubric labels only).
    pub fn intake_below(&self) -> f32 {
        self.payload.intake_below
    }

    /// Cues found in a normalized text (empty when the model does not use rubric cues).
    pub fn cues(&self, norm: &str) -> Cues {
        if self.payload.rubric.is_some() {
            Cues::detect(norm)
        } else {
            Cues::default()
        }
    }
}

/// Softmax of `z / t`, computed with `libm` so native and WASM builds agree to the bit.
pub fn softmax(z: &[f32], t: f32) -> Vec<f32> {
    let m = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e: Vec<f32> = z.iter().map(|&x| libm::expf((x - m) / t)).collect();
    let s: f32 = e.iter().sum();
    e.into_iter().map(|x| x / s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Model {
        let w = LinearWeights {
            labels: vec!["A".into(), "B".into()],
            features: FeatureConfig::default(),
            hashes: vec![3, 10, 4000],
            idf: vec![1.0, 2.0, 3.0],
            weights: vec![1.0, -1.0, 0.5, 0.0, -2.0, 2.0],
            bias: vec![0.1, -0.1],
        };
        Model::build(&w, 1.5, 0.6, 0.0, None, vec![], TrainMeta::default()).unwrap()
    }

    #[test]
    fn round_trips_through_bytes() {
        let m = tiny();
        let bytes = m.to_bytes();
        let m2 = Model::from_bytes(&bytes).unwrap();
        assert_eq!(m.payload(), m2.payload());
        assert_eq!(bytes, m2.to_bytes());
        assert_eq!(m2.vocab().hashes, vec![3, 10, 4000]);
        // centred and quantized: feature 0 is (1, -1).
        assert!((m2.weight(0, 0) - 1.0).abs() < 0.02);
        assert!((m2.weight(2, 1) - 2.0).abs() < 0.02);
    }

    #[test]
    fn each_kind_of_damage_has_its_error() {
        let bytes = tiny().to_bytes();
        assert!(matches!(
            Model::from_bytes(b"PK\x03\x04 zip file"),
            Err(Error::BadMagic { .. })
        ));
        assert!(matches!(
            Model::from_bytes(&[]),
            Err(Error::BadMagic { .. })
        ));
        let mut v = bytes.clone();
        v[8] = 9;
        assert!(matches!(
            Model::from_bytes(&v),
            Err(Error::UnsupportedVersion { found: 9, .. })
        ));
        assert!(matches!(
            Model::from_bytes(&bytes[..bytes.len() - 10]),
            Err(Error::Truncated { .. })
        ));
        assert!(matches!(
            Model::from_bytes(&bytes[..11]),
            Err(Error::Truncated { .. })
        ));
        let mut v = bytes.clone();
        let mid = v.len() / 2;
        v[mid] ^= 0x40;
        assert!(matches!(
            Model::from_bytes(&v),
            Err(Error::ChecksumMismatch { .. })
        ));
        let mut v = bytes.clone();
        v.push(0);
        assert!(matches!(
            Model::from_bytes(&v),
            Err(Error::CorruptModel { .. })
        ));
    }

    #[test]
    fn inconsistent_payload_is_rejected() {
        let mut p = tiny().payload().clone();
        p.weights_q.pop();
        let e = Model::from_bytes(&encode(&p)).unwrap_err().to_string();
        assert!(e.contains("weights"), "{e}");
        let mut p = tiny().payload().clone();
        p.temperature = 0.0;
        assert!(Model::from_bytes(&encode(&p)).is_err());
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn softmax_is_calibrated_by_temperature() {
        let p = softmax(&[2.0, 0.0], 1.0);
        let q = softmax(&[2.0, 0.0], 4.0);
        assert!(p[0] > q[0] && q[0] > 0.5);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
    }
}
