//! What a model's payload may hold: a checksum only detects damage, so every value a trainer
//! could not have written (non-finite or out-of-range numbers, duplicate or empty names, links
//! that are not web links, sizes over the limits below) is refused before the model answers.
//!
//! The messages name the field and what is wrong, tersely, and never format a number: each
//! message and `format!` costs the WASM build (a float's formatting about 15 KB); the limits are
//! documented here and in the README.

use super::file::Payload;
use crate::cues::RubricParams;
use crate::sop::is_web_link;

/// The most labels a model may have.
pub const MAX_LABELS: usize = 1_000;
/// The most features a model may keep (a quarter of the 24-bit hash space).
pub const MAX_FEATURES: usize = 1 << 22;
/// The most SOPs a model may carry.
pub const MAX_SOPS: usize = 10_000;
/// The most keywords one SOP may have.
pub const MAX_KEYWORDS: usize = 1_000;
/// The most bytes of a label, an SOP's id, title, tier, keyword or URL, and of each training
/// metadata text but the command line.
pub const MAX_TEXT_BYTES: usize = 4 * 1024;
/// The most bytes of the recorded training command line.
pub const MAX_COMMAND_BYTES: usize = 64 * 1024;
/// The widest range of a rubric cue factor, in log-odds (training picks them from 0 to 3).
pub const RUBRIC_FACTOR_MAX: f32 = 10.0;
/// The range of the calibration temperature (training fits it within 0.01 to 100).
pub const TEMPERATURE_RANGE: std::ops::RangeInclusive<f32> = 0.001..=1000.0;
/// The largest magnitude of a weight (`127 × scale`) or a bias; trained ones stay below 1,000.
pub const MAX_WEIGHT: f32 = 1.0e6;
/// The largest idf (trained ones are `1 + ln((1 + n) / (1 + df))`, below 25).
pub const MAX_IDF: f32 = 1.0e3;

/// Checks everything in a payload but the agreement of its sizes (see `Model::from_payload`);
/// the error is the reason, naming the field.
pub(crate) fn payload(p: &Payload) -> Result<(), String> {
    // one message built in one place: each `format!` costs the WASM build
    all(p).map_err(|f| match f.name {
        "" => f.what.to_string(),
        name => format!("{} {name:?}", f.what),
    })
}

/// What is wrong, and the label or SOP id it is wrong about (empty when none).
struct Fault<'a> {
    what: &'static str,
    name: &'a str,
}

/// A fault about no name in particular.
fn bad(what: &'static str) -> Result<(), Fault<'static>> {
    Err(Fault { what, name: "" })
}

fn all(p: &Payload) -> Result<(), Fault<'_>> {
    labels(&p.labels)?;
    let f = &p.features;
    let char_grams_ok = f.char_min == 0 || (f.char_min <= f.char_max && f.char_max <= 16);
    if p.hash_deltas.len() > MAX_FEATURES {
        return bad("too many features");
    } else if !(1..=2).contains(&f.word_ngrams) || !char_grams_ok {
        return bad("feature settings out of range");
    }
    numbers(p)?;
    sops(p)?;
    let m = &p.meta;
    let texts = [&p.crate_version, &m.corpus_hash, &m.date, &m.algorithm];
    if texts.iter().any(|t| t.len() > MAX_TEXT_BYTES) || m.command.len() > MAX_COMMAND_BYTES {
        bad("meta text too long")
    } else if !unit(m.cv_accuracy) || !unit(m.cv_macro_f1) {
        bad("meta cv figure out of range")
    } else {
        Ok(())
    }
}

/// A number from 0 to 1 (not NaN).
fn unit(x: f32) -> bool {
    (0.0..=1.0).contains(&x)
}

fn labels(labels: &[String]) -> Result<(), Fault<'_>> {
    if labels.len() > MAX_LABELS {
        return bad("too many labels");
    }
    if labels.iter().any(|l| blank(l) || l.len() > MAX_TEXT_BYTES) {
        return bad("label empty or too long");
    }
    match first_duplicate(labels, |l| l) {
        Some(name) => Err(Fault {
            what: "duplicate label",
            name,
        }),
        None => Ok(()),
    }
}

/// Empty, or only ASCII spaces.
fn blank(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_whitespace())
}

/// The first item whose name appears again later (quadratic, and small in the WASM build, unlike
/// a sort: the lists are short, and at most [`MAX_SOPS`] long).
fn first_duplicate<T>(items: &[T], name: fn(&T) -> &str) -> Option<&str> {
    let mut rest = items.iter();
    items.iter().map(name).find(|n| {
        rest.next();
        rest.clone().any(|m| name(m) == *n)
    })
}

fn numbers(p: &Payload) -> Result<(), Fault<'static>> {
    let factors = p
        .rubric
        .map_or([0.0; 3], |r: RubricParams| [r.security, r.scope, r.sop_l1]);
    let weight_ok = |x: &f32| x.abs() <= MAX_WEIGHT; // false for NaN
    let idf_max = p.idf_min + 255.0 * p.idf_step;
    if !TEMPERATURE_RANGE.contains(&p.temperature) {
        bad("temperature out of range")
    } else if !unit(p.abstain_below) || !unit(p.intake_below) {
        bad("abstain_below/intake_below out of range")
    } else if !factors
        .iter()
        .all(|x| (0.0..=RUBRIC_FACTOR_MAX).contains(x))
    {
        bad("rubric factor out of range")
    } else if !p.scales.iter().all(|s| *s > 0.0 && weight_ok(&(s * 127.0))) {
        bad("weight scale out of range")
    } else if !p.bias.iter().all(weight_ok) {
        bad("bias out of range")
    } else if !(p.idf_min >= 0.0 && p.idf_step > 0.0 && idf_max <= MAX_IDF) {
        bad("idf_min/idf_step out of range")
    } else if let Some(r) = &p.relevance
        && !(r.weights.len() == crate::relevance::EVIDENCE_LEN
            && r.weights.iter().all(weight_ok)
            && weight_ok(&r.bias)
            && unit(r.show_above)
            && unit(r.show_client_above))
    {
        bad("SOP relevance out of range")
    } else {
        Ok(())
    }
}

fn sops(p: &Payload) -> Result<(), Fault<'_>> {
    if p.sops.len() > MAX_SOPS {
        return bad("too many SOPs");
    }
    for s in &p.sops {
        let longest = s.id.len().max(s.title.len()).max(s.tier.len());
        let longest = longest.max(s.url.as_ref().map_or(0, String::len));
        if blank(&s.id) {
            return bad("SOP with an empty id");
        } else if longest > MAX_TEXT_BYTES
            || s.keywords
                .iter()
                .chain(&s.learned)
                .any(|k| k.len() > MAX_TEXT_BYTES)
        {
            return bad("SOP text too long");
        }
        let what = if s.summary.len() > 4 * (crate::sop::SUMMARY_CHARS + 1) {
            "summary too long in SOP"
        } else if s.keywords.len() > MAX_KEYWORDS || s.learned.len() > MAX_KEYWORDS {
            "too many keywords in SOP"
        } else if s.url.as_deref().is_some_and(|u| !is_web_link(u)) {
            "url not http(s) or relative in SOP"
        } else {
            continue;
        };
        return Err(Fault { what, name: &s.id });
    }
    match first_duplicate(&p.sops, |s| &s.id) {
        Some(name) => Err(Fault {
            what: "duplicate SOP id",
            name,
        }),
        None => Ok(()),
    }
}
