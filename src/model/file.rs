//! The model file: a versioned, checksummed envelope around a compact payload, so a damaged or
//! foreign file is refused with its cause instead of being read as a model.
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
//! mismatch and an inconsistent payload, each with its own [`Error`] variant; a checksum only
//! detects damage, so the payload's values are checked as well (`check.rs`). A file is at most
//! [`MAX_MODEL_BYTES`] long.

use crate::cues::RubricParams;
use crate::error::{Error, Result};
use crate::features::FeatureConfig;
use crate::relevance::SopRelevance;
use crate::sop::Sop;
use serde::{Deserialize, Serialize};

/// First bytes of every model file.
pub const MAGIC: &[u8; 8] = b"TIERMTCH";
/// The payload format this build reads and writes.
pub const FORMAT_VERSION: u16 = 2;
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
    /// The learner and its settings, e.g. `nb-lr alpha=0.1 l2=10` (naive Bayes stacked under
    /// logistic regression), `multinomial-nb alpha=0.1`, `complement-nb alpha=0.1` or
    /// `logistic-regression`.
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
    /// When SOPs are shown, learned from labelled tickets (`None`: every match above a fixed
    /// cosine floor is listed).
    pub relevance: Option<SopRelevance>,
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

/// The most bytes a model file may have (64 MiB, a few hundred times the bundled model): a file
/// that declares more is refused before any of it is read.
pub const MAX_MODEL_BYTES: usize = 64 << 20;

/// The payload length the header at the start of `bytes` declares, once the magic, the version
/// and the size limit are checked.
fn payload_len(bytes: &[u8]) -> Result<usize> {
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
    if n > MAX_MODEL_BYTES - HEADER_LEN - 4 {
        return Err(Error::CorruptModel {
            reason: "it declares more bytes than a model file may hold (64 MiB)".into(),
        });
    }
    Ok(n)
}

/// Reads a model file: the header first, then at most the length it declares (and one byte more,
/// to tell a file that goes on), so `/dev/zero` or a huge foreign file costs a few bytes.
pub(crate) fn read(path: &std::path::Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let io = |e| Error::io(path.display(), e);
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::with_capacity(HEADER_LEN);
    (&mut file)
        .take(HEADER_LEN as u64)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    let n = payload_len(&bytes)?;
    file.take(n as u64 + 4 + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    Ok(bytes)
}

/// Checks the envelope and decodes the payload.
pub fn decode(bytes: &[u8]) -> Result<Payload> {
    let n = payload_len(bytes)?;
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
                "there are bytes after the end of the model (its envelope declares {expected} bytes)"
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }
}
