//! The model: a versioned file ([`file`]), 8-bit weights ([`quantize`]), and inference ([`infer`],
//! with a per-thread word cache, [`cache`]). One small file serves the CLI and the browser alike.

mod cache;
mod file;
mod infer;
mod quantize;

pub use file::{FORMAT_VERSION, MAGIC, Payload, TrainMeta, decode, encode};
pub(crate) use infer::{Analysis, argmax, softmax};
pub(crate) use quantize::{LinearWeights, Quantized};

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

    /// Builds a model from trained weights, its decision parameters, the SOPs and the metadata.
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
            temperature: decision.temperature,
            abstain_below: decision.abstain_below,
            intake_below: decision.intake_below,
            rubric: decision.rubric,
            sops,
            meta,
            relevance: decision.relevance,
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
}
