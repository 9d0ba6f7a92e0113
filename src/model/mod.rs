//! The model: a versioned file ([`file`]), 8-bit weights ([`quantize`]), and inference ([`infer`],
//! with a per-thread word cache, [`cache`]). One small file serves the CLI and the browser alike.

mod cache;
mod check;
mod file;
mod infer;
mod quantize;
#[cfg(feature = "train")]
mod write;

pub use check::{
    MAX_COMMAND_BYTES, MAX_FEATURES, MAX_IDF, MAX_KEYWORDS, MAX_LABELS, MAX_SOPS, MAX_TEXT_BYTES,
    MAX_WEIGHT, RUBRIC_FACTOR_MAX, TEMPERATURE_RANGE,
};
pub use file::{FORMAT_VERSION, MAGIC, MAX_MODEL_BYTES, Payload, TrainMeta, decode, encode};
pub(crate) use infer::{Analysis, argmax, softmax};
pub(crate) use quantize::{LinearWeights, Quantized};
#[cfg(feature = "train")]
pub use write::{check_target, write_atomically};

use crate::cues::RubricParams;
use crate::error::{Error, Result};
use crate::features::Vocab;
use crate::relevance::{KeyIndex, SopRelevance};
use crate::sop::{Sop, SopIndex};

/// What decides an answer besides the weights, fitted on held-out folds at training time.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionParams {
    /// Softmax temperature.
    pub temperature: f32,
    /// Answers whose confidence is below this are marked `abstain`.
    pub abstain_below: f32,
    /// With the rubric's labels: answers below this are routed to L1 intake (rubric rule 4).
    pub intake_below: f32,
    /// Rubric cue factors (only for the L1/L2/L3 label set).
    pub rubric: Option<RubricParams>,
    /// When SOPs are shown (learned from labelled tickets).
    pub relevance: Option<SopRelevance>,
}

impl DecisionParams {
    /// Plain softmax, no abstain, no intake, no cues: the model's raw scores as they are.
    pub fn untrained() -> DecisionParams {
        DecisionParams {
            temperature: 1.0,
            abstain_below: 0.0,
            intake_below: 0.0,
            rubric: None,
            relevance: None,
        }
    }
}

/// A loaded model: classify and search.
#[derive(Debug, Clone)]
pub struct Model {
    payload: Payload,
    vocab: Vocab,
    weights: Vec<f32>,
    sops: SopIndex,
    keys: KeyIndex,
    /// Tells this model's entries in the per-thread word cache from another model's.
    id: u64,
}

/// Distinct ids for loaded models (see [`Model::id`]).
static NEXT_MODEL_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl Model {
    /// Loads a model from the bytes of a model file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model> {
        Model::from_payload(decode(bytes)?)
    }

    /// Reads a model file, at most [`MAX_MODEL_BYTES`] of it.
    pub fn load(path: &std::path::Path) -> Result<Model> {
        Model::from_bytes(&file::read(path)?)
    }

    /// Builds the in-memory model from a decoded payload, checking that its parts agree and that
    /// it holds nothing a trainer could not have written (see the limits in [`check`]).
    pub fn from_payload(payload: Payload) -> Result<Model> {
        let c = payload.labels.len();
        let k = payload.hash_deltas.len();
        let corrupt = |reason: String| Err(Error::CorruptModel { reason });
        check::payload(&payload).map_err(|reason| Error::CorruptModel { reason })?;
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
        let keys = KeyIndex::new(&payload.sops);
        Ok(Model {
            keys,
            vocab: Vocab::new(hashes, idf),
            weights,
            sops,
            payload,
            id: NEXT_MODEL_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        })
    }

    /// Builds a model from trained weights, its decision parameters, the SOPs and the metadata;
    /// what a model file may not hold (see [`check`]) is a training error here.
    pub fn build(
        w: &LinearWeights,
        decision: DecisionParams,
        sops: Vec<Sop>,
        meta: TrainMeta,
    ) -> Result<Model> {
        let Quantized {
            weights_q,
            scales,
            idf_q,
            idf_min,
            idf_step,
        } = w.quantize();
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
        let payload = Payload {
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
            temperature: decision.temperature,
            abstain_below: decision.abstain_below,
            intake_below: decision.intake_below,
            rubric: decision.rubric,
            sops,
            meta,
            relevance: decision.relevance,
        };
        let size = encode(&payload).len();
        if size > MAX_MODEL_BYTES {
            return Err(Error::Training {
                reason: format!(
                    "the model would take {size} bytes, more than a model file may hold ({MAX_MODEL_BYTES} bytes): keep fewer features (--max-features) or fewer labels"
                ),
            });
        }
        Model::from_payload(payload).map_err(|e| match e {
            Error::CorruptModel { reason } => Error::Training {
                reason: format!("the model would break a limit of the model file: {reason}"),
            },
            other => other,
        })
    }

    /// The model file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(&self.payload)
    }

    /// Writes the model file atomically (a temporary file beside it, renamed over it), refusing a
    /// target that is not a regular file; see [`check_target`].
    #[cfg(feature = "train")]
    pub fn save(&self, path: &std::path::Path) -> Result<()> {
        write::write_atomically(path, &self.to_bytes())
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

    /// The SOPs' key-field index (titles, keywords, learned words).
    pub(crate) fn key_index(&self) -> &KeyIndex {
        &self.keys
    }

    /// When SOPs are shown, if the model learned it.
    pub(crate) fn relevance(&self) -> Option<&SopRelevance> {
        self.payload.relevance.as_ref()
    }

    /// The SOP index.
    pub fn sop_index(&self) -> &SopIndex {
        &self.sops
    }

    /// Dequantized weight of feature `i` for label `l`.
    #[inline]
    pub(crate) fn weight(&self, i: u32, l: usize) -> f32 {
        self.weights[i as usize * self.payload.labels.len() + l]
    }

    /// Rubric cue factors, if this model uses them.
    pub(crate) fn rubric(&self) -> Option<&RubricParams> {
        self.payload.rubric.as_ref()
    }

    /// Abstain threshold.
    pub(crate) fn abstain_below(&self) -> f32 {
        self.payload.abstain_below
    }

    /// Intake threshold (rubric labels only).
    pub(crate) fn intake_below(&self) -> f32 {
        self.payload.intake_below
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::FeatureConfig;
    use crate::sop::Sop;

    fn tiny() -> Model {
        let w = LinearWeights {
            labels: vec!["A".into(), "B".into()],
            features: FeatureConfig::default(),
            hashes: vec![3, 10, 4000],
            idf: vec![1.0, 2.0, 3.0],
            weights: vec![1.0, -1.0, 0.5, 0.0, -2.0, 2.0],
            bias: vec![0.1, -0.1],
        };
        let decision = DecisionParams {
            temperature: 1.5,
            abstain_below: 0.6,
            intake_below: 0.0,
            rubric: None,
            relevance: None,
        };
        Model::build(&w, decision, vec![], TrainMeta::default()).unwrap()
    }

    #[test]
    fn round_trips_through_bytes() {
        let m = tiny();
        let bytes = m.to_bytes();
        let m2 = Model::from_bytes(&bytes).unwrap();
        assert_eq!(m.payload(), m2.payload());
        assert_eq!(bytes, m2.to_bytes());
        assert_eq!(m2.vocab.hashes, vec![3, 10, 4000]);
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

    /// The reason a re-checksummed payload is refused for, which must name `field`.
    fn refused(p: &Payload, field: &str) {
        match Model::from_bytes(&encode(p)) {
            Err(Error::CorruptModel { reason }) => {
                assert!(reason.contains(field), "{field}: {reason}")
            }
            other => panic!("{field}: {other:?}"),
        }
    }

    fn with_sop() -> Payload {
        let mut p = tiny().payload().clone();
        p.sops = vec![Sop {
            id: "printer".into(),
            title: "Printer".into(),
            tier: "L1".into(),
            audience: crate::sop::Audience::Client,
            keywords: vec!["printer".into()],
            url: Some("https://kb.example.com/printer".into()),
            summary: "When the printer jams.".into(),
            learned: vec!["jam".into()],
        }];
        p.rubric = Some(RubricParams {
            security: 3.0,
            scope: 1.0,
            sop_l1: 0.0,
        });
        p.relevance = Some(SopRelevance {
            weights: vec![1.0; crate::relevance::EVIDENCE_LEN],
            bias: -1.0,
            show_above: 0.3,
            show_client_above: 0.6,
        });
        p
    }

    #[test]
    fn values_no_trainer_writes_are_refused_despite_a_valid_checksum() {
        let base = with_sop();
        Model::from_bytes(&encode(&base)).expect("the base payload loads");
        /// A field a tampered payload gets wrong, and the change.
        struct Tamper(&'static str, fn(&mut Payload));
        let edits = [
            Tamper("rubric factor", |p| {
                p.rubric.as_mut().unwrap().security = f32::NAN
            }),
            Tamper("rubric factor", |p| {
                p.rubric.as_mut().unwrap().scope = f32::INFINITY
            }),
            Tamper("rubric factor", |p| {
                p.rubric.as_mut().unwrap().sop_l1 = -1.0
            }),
            Tamper("rubric factor", |p| {
                p.rubric.as_mut().unwrap().security = 11.0
            }),
            Tamper("temperature", |p| p.temperature = f32::NAN),
            Tamper("temperature", |p| p.temperature = f32::INFINITY),
            Tamper("temperature", |p| p.temperature = 1.0e-9),
            Tamper("abstain_below", |p| p.abstain_below = f32::NAN),
            Tamper("abstain_below", |p| p.abstain_below = 1.5),
            Tamper("intake_below", |p| p.intake_below = -0.1),
            Tamper("weight scale", |p| p.scales[0] = f32::NAN),
            Tamper("SOP relevance", |p| {
                p.relevance.as_mut().unwrap().weights[2] = f32::NAN
            }),
            Tamper("SOP relevance", |p| {
                p.relevance.as_mut().unwrap().weights.pop();
            }),
            Tamper("SOP relevance", |p| {
                p.relevance.as_mut().unwrap().show_client_above = 2.0
            }),
            Tamper("too many keywords in SOP", |p| {
                p.sops[0].learned = vec!["w".into(); 1001]
            }),
            Tamper("weight scale", |p| p.scales[1] = 0.0),
            Tamper("weight scale", |p| p.scales[1] = 1.0e30),
            Tamper("bias", |p| p.bias[1] = f32::NEG_INFINITY),
            Tamper("bias", |p| p.bias[0] = f32::NAN),
            Tamper("idf_step", |p| p.idf_step = 0.0),
            Tamper("idf_step", |p| p.idf_min = f32::NAN),
            Tamper("idf_step", |p| p.idf_step = f32::INFINITY),
            Tamper("idf_step", |p| p.idf_min = -1.0),
            Tamper("feature settings", |p| p.features.word_ngrams = 9),
            Tamper("feature settings", |p| p.features.char_max = 200),
            Tamper("duplicate label \"A\"", |p| p.labels[1] = "A".into()),
            Tamper("label empty", |p| p.labels[1] = " ".into()),
            Tamper("label empty or too long", |p| {
                p.labels[0] = "x".repeat(5000)
            }),
            Tamper("too many labels", |p| {
                p.labels = (0..1001).map(|i| i.to_string()).collect()
            }),
            Tamper("too many features", |p| {
                p.hash_deltas = vec![1; MAX_FEATURES + 1]
            }),
            Tamper("SOP with an empty id", |p| p.sops[0].id = String::new()),
            Tamper("duplicate SOP id \"printer\"", |p| {
                let s = p.sops[0].clone();
                p.sops.push(s)
            }),
            Tamper("url not http(s) or relative in SOP \"printer\"", |p| {
                p.sops[0].url = Some("javascript:alert(1)".into())
            }),
            Tamper("url not http(s) or relative in SOP \"printer\"", |p| {
                p.sops[0].url = Some("data:text/html,x".into())
            }),
            Tamper("url not http(s) or relative in SOP \"printer\"", |p| {
                p.sops[0].url = Some("java\nscript:alert(1)".into())
            }),
            Tamper("SOP text too long", |p| {
                p.sops[0].title = "t".repeat(MAX_TEXT_BYTES + 1)
            }),
            Tamper("summary too long in SOP", |p| {
                p.sops[0].summary = "s".repeat(4 * 321 + 1)
            }),
            Tamper("too many keywords in SOP", |p| {
                p.sops[0].keywords = vec!["k".into(); MAX_KEYWORDS + 1]
            }),
            Tamper("too many SOPs", |p| {
                let s = p.sops[0].clone();
                p.sops = (0..=MAX_SOPS)
                    .map(|i| Sop {
                        id: i.to_string(),
                        ..s.clone()
                    })
                    .collect()
            }),
            Tamper("meta cv figure", |p| p.meta.cv_accuracy = f32::NAN),
            Tamper("meta text too long", |p| {
                p.meta.command = "c".repeat(MAX_COMMAND_BYTES + 1)
            }),
        ];
        for Tamper(field, edit) in edits {
            let mut p = base.clone();
            edit(&mut p);
            refused(&p, field);
        }
    }

    #[test]
    fn training_what_no_file_may_hold_is_a_training_error() {
        let mut w = LinearWeights {
            labels: vec!["A".into(), "A".into()],
            features: FeatureConfig::default(),
            hashes: vec![3],
            idf: vec![1.0],
            weights: vec![1.0, -1.0],
            bias: vec![0.0, 0.0],
        };
        let e = Model::build(
            &w,
            DecisionParams::untrained(),
            vec![],
            TrainMeta::default(),
        )
        .unwrap_err();
        assert!(matches!(e, Error::Training { .. }), "{e:?}");
        assert!(e.to_string().contains("duplicate label"), "{e}");
        w.labels[1] = "B".into();
        Model::build(
            &w,
            DecisionParams::untrained(),
            vec![],
            TrainMeta::default(),
        )
        .unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn load_reads_no_more_than_the_header_allows() {
        let d = tempfile::tempdir().unwrap();
        // an endless stream of zeros is refused by its first bytes
        let e = Model::load(std::path::Path::new("/dev/zero")).unwrap_err();
        assert!(matches!(e, Error::BadMagic { .. }), "{e:?}");
        // a header declaring more than the limit is refused before its payload is read
        let big = d.path().join("big.model");
        let mut head = MAGIC.to_vec();
        head.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        head.extend_from_slice(&(MAX_MODEL_BYTES as u32).to_le_bytes());
        std::fs::write(&big, &head).unwrap();
        let f = std::fs::OpenOptions::new().append(true).open(&big).unwrap();
        f.set_len(200 << 20).unwrap(); // sparse: 200 MB that take no disk
        let e = Model::load(&big).unwrap_err().to_string();
        assert!(e.contains("more bytes than a model file may hold"), "{e}");
        // a valid model followed by more bytes
        let mut bytes = tiny().to_bytes();
        let exact = d.path().join("exact.model");
        std::fs::write(&exact, &bytes).unwrap();
        Model::load(&exact).unwrap();
        bytes.extend_from_slice(&[0; 1000]);
        std::fs::write(&exact, &bytes).unwrap();
        let e = Model::load(&exact).unwrap_err().to_string();
        assert!(e.contains("bytes after the end"), "{e}");
    }
}
