//! The decision: the model's calibrated scores, the rubric's scope and security cues, and the SOP
//! evidence, combined into a tier, a confidence, an abstain flag and reasons a technician can read.
//!
//! The rubric's tie-breakers are applied as evidence, not as overrides: each cue multiplies the odds
//! of the tier it points at by a factor that training fits on held-out folds (see
//! [`RubricParams`]). A cue the corpus already teaches the linear model gets a factor near 1; one
//! that it does not gets more. Cues only exist for the default `L1`/`L2`/`L3` label set.

use crate::model::{Model, WordFacts};
use crate::sop::{Audience, SopMatch};
use crate::text::normalize;
use serde::{Deserialize, Serialize};

/// Phrases (normalized form) that suggest compromise: rubric tie-breaker 3, "security wins".
const SECURITY: &[&str] = &[
    "ransomware",
    "ransom",
    "encrypted my files",
    "files are encrypted",
    "files encrypted",
    "locked extension",
    "strange extension",
    "renamed to locked",
    "renamed to encrypted",
    "files renamed",
    "ending in locked",
    "weird extension",
    "unknown extension",
    "extension changed",
    "ransom note",
    "how to decrypt",
    "decrypt your files",
    "hacked",
    "gehackt",
    "compromised",
    "kompromittiert",
    "breach",
    "malware",
    "trojan",
    "virus",
    "clicked the link",
    "clicked on the link",
    "clicked a link",
    "entered my password",
    "typed my password",
    "gave my password",
    "sending spam",
    "sent spam",
    "spam from my",
    "inbox rules",
    "rules i didn t",
    "suspicious sign in",
    "suspicious login",
    "unknown login",
    "impossible travel",
    "data leak",
    "exfiltration",
    "exfiltrated",
    "keylogger",
    "remote access tool",
    "someone logged into",
    "someone is logged into",
    // acting on a gift-card scam
    "sent him the codes",
    "sent her the codes",
    "sent them the codes",
    "emailed the codes",
    "bought the gift cards",
    "bought gift cards",
    "bought the vouchers",
    "verschluesselt",
    "erpressung",
    "phishing link geklickt",
    "auf den link geklickt",
    "security incident",
    "sicherheitsvorfall",
    "gutscheine gekauft",
];

/// Phrases that widen the scope to many users or shared infrastructure: tie-breaker 1.
const SCOPE: &[&str] = &[
    "everyone",
    "everybody",
    "nobody",
    "no one can",
    "noone",
    "all users",
    "all staff",
    "all of us",
    "none of us",
    "whole office",
    "entire office",
    "whole company",
    "entire company",
    "whole site",
    "whole building",
    "whole floor",
    "entire floor",
    "whole team",
    "entire team",
    "whole department",
    "all pcs",
    "all computers",
    "all printers",
    "company wide",
    "companywide",
    "site down",
    "site is down",
    "server down",
    "server is down",
    "servers are down",
    "internet down",
    "internet is down",
    "network down",
    "network is down",
    "outage",
    "hard down",
    "all sites",
    "multiple users",
    "several users",
    "many users",
    "every user",
    "entire building",
    "entire site",
    "entire department",
    "all workstations",
    "all laptops",
    "all phones",
    "all branches",
    "every pc",
    "every computer",
    "alle mitarbeiter",
    "alle benutzer",
    "alle kollegen",
    "allen kollegen",
    "allen mitarbeitern",
    "allen benutzern",
    "alle nutzer",
    "allen nutzern",
    "alle pcs",
    "alle rechner",
    "alle arbeitsplaetze",
    "ganze etage",
    "ganzen etage",
    "ganze stockwerk",
    "ganzen stockwerk",
    "ganze abteilung",
    "ganzen abteilung",
    "ganze haus",
    "ganzen haus",
    "niemand",
    "keiner kann",
    "ganze buero",
    "ganzen buero",
    "gesamte",
    "ganze firma",
    "ganzen firma",
    "ausfall",
    "server ist down",
    "standort",
];

/// Phrases that narrow the scope back to the writer ("everyone can print, except me"; "bei allen
/// Kollegen geht es, nur bei mir nicht"): with one of them, scope cues do not count. Not after
/// "not" ("nicht nur bei mir": not just me).
const NARROW: &[&str] = &[
    "nur bei mir",
    "nur ich nicht",
    "ausser mir",
    "ausser bei mir",
    "except me",
    "except for me",
    "except mine",
    "apart from me",
    "but me",
];

/// Which list a cue phrase is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CueKind {
    Security,
    Scope,
    Narrow,
}

/// Which rubric cues a ticket shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cues {
    /// The security phrases found.
    pub security: Vec<&'static str>,
    /// The scope phrases found.
    pub scope: Vec<&'static str>,
}

/// A cue phrase split into words: `(words, phrase, list)`.
type Phrase = (Vec<&'static str>, &'static str, CueKind);

/// Every cue phrase, grouped by its first word; the groups sorted by the first word's feature hash,
/// so finding a word's group is an integer binary search. The word cache does it once per word it
/// learns ([`word_facts`]); the cues of a ticket are then found only at the words that start one.
struct PhraseIndex {
    by_first: Vec<(u32, &'static str, Vec<Phrase>)>,
}

impl PhraseIndex {
    /// The group of phrases starting with `word` (whose [`crate::features::word_hash`] is `h`).
    fn group(&self, h: u32, word: &str) -> Option<usize> {
        let i = self.by_first.partition_point(|g| g.0 < h);
        self.by_first[i..]
            .iter()
            .take_while(|g| g.0 == h)
            .position(|g| g.1 == word)
            .map(|k| i + k)
    }
}

/// The [`WordFacts`] of a word whose [`crate::features::word_hash`] is `h` (the word cache calls
/// this once per word it learns).
pub(crate) fn word_facts(h: u32, word: &str) -> WordFacts {
    WordFacts {
        cue: phrase_index().group(h, word).map_or(0, |g| {
            u16::try_from(g + 1).expect("fewer cue groups than u16::MAX")
        }),
        stop: is_stopword(word),
    }
}

fn phrase_index() -> &'static PhraseIndex {
    static INDEX: std::sync::OnceLock<PhraseIndex> = std::sync::OnceLock::new();
    INDEX.get_or_init(|| {
        let mut by_first: Vec<(u32, &'static str, Vec<Phrase>)> = Vec::new();
        for (list, kind) in [
            (SECURITY, CueKind::Security),
            (SCOPE, CueKind::Scope),
            (NARROW, CueKind::Narrow),
        ] {
            for &p in list {
                let words: Vec<&'static str> = p.split(' ').collect();
                match by_first.iter_mut().find(|g| g.1 == words[0]) {
                    Some(g) => g.2.push((words, p, kind)),
                    None => by_first.push((
                        crate::features::word_hash(words[0]),
                        words[0],
                        vec![(words, p, kind)],
                    )),
                }
            }
        }
        by_first.sort_by_key(|g| (g.0, g.1));
        PhraseIndex { by_first }
    })
}

/// The words of a normalized text.
pub fn words_of(norm: &str) -> Vec<&str> {
    crate::text::words(norm).collect()
}

impl Cues {
    /// Finds the cues in an already normalized text.
    pub fn detect(norm: &str) -> Cues {
        let words = words_of(norm);
        let facts: Vec<WordFacts> = words
            .iter()
            .map(|w| word_facts(crate::features::word_hash(w), w))
            .collect();
        Cues::detect_words(&words, &facts)
    }

    /// Finds the cues in the words of a normalized text, given their [`WordFacts`] (one each).
    pub(crate) fn detect_words(words: &[&str], facts: &[WordFacts]) -> Cues {
        debug_assert_eq!(words.len(), facts.len());
        let index = phrase_index();
        let mut cues = Cues::default();
        let mut narrowed = false;
        for (i, f) in facts.iter().enumerate().take(words.len()) {
            if f.cue == 0 {
                continue;
            }
            for (pw, phrase, kind) in &index.by_first[f.cue as usize - 1].2 {
                if words[i..].starts_with(pw) {
                    let list = match kind {
                        CueKind::Security => &mut cues.security,
                        CueKind::Scope => &mut cues.scope,
                        CueKind::Narrow => {
                            let negated = i > 0 && matches!(words[i - 1], "not" | "nicht");
                            narrowed |= !negated;
                            continue;
                        }
                    };
                    if !list.contains(phrase) {
                        list.push(phrase);
                    }
                }
            }
        }
        if narrowed {
            cues.scope.clear();
        }
        // report in the order the phrases are listed, whatever the text order
        cues.security
            .sort_by_key(|p| SECURITY.iter().position(|x| x == p));
        cues.scope
            .sort_by_key(|p| SCOPE.iter().position(|x| x == p));
        cues
    }
}

/// Evidence factors, fitted on held-out folds at training time: log-odds added to a tier.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RubricParams {
    /// Added to L3's log-score when a security cue is present.
    pub security: f32,
    /// Added to L3's log-score when a scope cue is present.
    pub scope: f32,
    /// Times the best matching L1 SOP's score, added to L1's log-score.
    pub sop_l1: f32,
}

/// Rubric label indices of a label set, when it is the default `L1`/`L2`/`L3` one.
pub fn rubric_labels(labels: &[String]) -> Option<(usize, usize, usize)> {
    let pos = |l: &str| labels.iter().position(|x| x == l);
    if labels.len() != 3 {
        return None;
    }
    Some((pos("L1")?, pos("L2")?, pos("L3")?))
}

/// Applies the cue factors to calibrated probabilities; returns the new probabilities.
pub fn apply_rubric(
    probs: &[f32],
    labels: (usize, usize, usize),
    params: &RubricParams,
    cues: &Cues,
    best_l1_sop: f32,
) -> Vec<f32> {
    let mut logp: Vec<f32> = probs.iter().map(|p| libm::logf(p.max(1e-9))).collect();
    if !cues.security.is_empty() {
        logp[labels.2] += params.security;
    }
    if !cues.scope.is_empty() {
        logp[labels.2] += params.scope;
    }
    logp[labels.0] += params.sop_l1 * best_l1_sop;
    crate::model::softmax(&logp, 1.0)
}

/// A probability or score already rounded to at most four decimals, as the f64 nearest that
/// decimal. Every serializer then shows the same number: JSON text prints `0.91` either way, and
/// serde-wasm-bindgen's JS number is the one `JSON.parse("0.91")` gives, not the widened f32
/// `0.9100000262260437`.
pub fn decimal4(x: f32) -> f64 {
    ((x as f64) * 10_000.0).round() / 10_000.0
}

/// `serialize_with` form of [`decimal4`].
pub fn serialize_decimal4<S: serde::Serializer>(x: &f32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(decimal4(*x))
}

/// Label scores in label order, serialized as a JSON object.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores(pub Vec<(String, f32)>);

impl Serialize for Scores {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, &decimal4(*v))?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Scores {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let m: std::collections::BTreeMap<String, f32> = Deserialize::deserialize(d)?;
        Ok(Scores(m.into_iter().collect()))
    }
}

/// The answer for one ticket: the CLI's JSON line and the JS object have exactly these fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    /// The caller's id, echoed.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub id: Option<String>,
    /// Suggested tier (label).
    pub tier: String,
    /// Calibrated probability of that tier, rounded to 4 decimals.
    #[serde(serialize_with = "serialize_decimal4")]
    pub confidence: f32,
    /// Calibrated probability of every label.
    pub scores: Scores,
    /// True when the model is not sure enough: a person should triage.
    pub abstain: bool,
    /// Words, phrases and cues that drove the answer.
    pub reasons: Vec<String>,
    /// Best matching SOPs.
    pub sops: Vec<SopMatch>,
}

/// Words that never make a reason on their own (nor a pair of them).
fn is_stopword(w: &str) -> bool {
    matches!(
        w,
        "a" | "an"
            | "and"
            | "the"
            | "to"
            | "of"
            | "in"
            | "on"
            | "for"
            | "is"
            | "it"
            | "my"
            | "i"
            | "we"
            | "our"
            | "with"
            | "at"
            | "be"
            | "this"
            | "that"
            | "are"
            | "was"
            | "me"
            | "can"
            | "not"
            | "you"
            | "please"
            | "pls"
            | "hi"
            | "hello"
            | "thanks"
            | "der"
            | "die"
            | "das"
            | "und"
            | "ist"
            | "im"
            | "ein"
            | "eine"
            | "mit"
            | "zu"
            | "den"
            | "es"
            | "ich"
            | "nicht"
            | "bitte"
            | "wir"
    )
}

/// How many SOPs an answer lists by default.
pub const DEFAULT_SOPS: usize = 3;
/// How many word reasons an answer gives at most.
const MAX_WORD_REASONS: usize = 5;

fn round4(x: f32) -> f32 {
    (x * 10_000.0).round() / 10_000.0
}

impl Model {
    /// Classifies a ticket given as subject and body.
    pub fn classify(&self, subject: &str, body: &str) -> Classification {
        self.classify_text(&ticket_text(subject, body), DEFAULT_SOPS)
    }

    /// Classifies one ticket text, listing up to `k` SOPs.
    pub fn classify_text(&self, text: &str, k: usize) -> Classification {
        let norm = normalize(text);
        let labels = self.labels();
        let rubric = rubric_labels(labels).zip(self.rubric());
        if norm.is_empty() {
            // Nothing to read: rubric rule 4 sends it to intake when the labels are the rubric's.
            let c = labels.len();
            let tier = rubric.map(|((l1, _, _), _)| l1).unwrap_or(0);
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
        let sops = self.sop_index().search_query(&a.sop_query, k.max(1));
        let mut cue_reasons = Vec::new();
        if let Some((idx, params)) = rubric {
            let cues = Cues::detect_words(&words, &a.facts);
            let best_l1 = best_l1_sop(&sops);
            probs = apply_rubric(&probs, idx, params, &cues, best_l1);
            if let Some(p) = cues.security.first() {
                cue_reasons.push(format!("security cue: \"{p}\""));
            }
            if let Some(p) = cues.scope.first() {
                cue_reasons.push(format!("scope cue: \"{p}\""));
            }
            if best_l1 > 0.0 && params.sop_l1 > 0.0 && sops[0].tier == "L1" {
                cue_reasons.push(format!("fits L1 procedure: {}", sops[0].id));
            }
        }
        let mut best = argmax(&probs);
        let abstain = probs[best] < self.abstain_below();
        let unsure = probs[best] < self.intake_below();
        let intake = rubric.map(|((l1, _, _), _)| l1);
        if let Some(l1) = intake.filter(|&l1| unsure && best != l1) {
            // Rubric tie-breaker 4: not enough to tell, so intake (L1) picks it up and asks.
            cue_reasons.push("unsure: routed to L1 intake (rubric rule 4)".to_string());
            best = l1;
        }
        let mut reasons = self.word_reasons(&words, &a, best);
        reasons.extend(cue_reasons);
        let confidence = round4(probs[best]);
        let mut sops = sops;
        sops.truncate(k);
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

    /// The words and word pairs of the ticket that pushed hardest toward label `best`, against the
    /// average of the other labels. Character n-gram evidence is credited to the word it came from.
    fn word_reasons(&self, words: &[&str], a: &crate::model::Analysis, best: usize) -> Vec<String> {
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
        for &(f, i, kind, x) in &a.hits {
            let x = x * lean(f);
            match kind {
                crate::features::Kind::Bigram => per_pair[i as usize] += x,
                _ => per_word[i as usize] += x,
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
        // best first; equal scores (rare: a repeated word) in term order
        cands.sort_by(|x, y| {
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

/// A ticket's text from its subject and body, joined by a newline (either alone when the other is
/// blank). The CLI, the WASM API and [`Model::classify`] all read tickets this way.
pub fn ticket_text(subject: &str, body: &str) -> String {
    if body.trim().is_empty() {
        subject.to_string()
    } else if subject.trim().is_empty() {
        body.to_string()
    } else {
        format!("{subject}\n{body}")
    }
}

/// The body of a JSON ticket that may carry `body`, `text` or both (joined by a newline).
pub fn body_or_text(body: Option<String>, text: Option<String>) -> String {
    match (body, text) {
        (Some(b), Some(t)) => format!("{b}\n{t}"),
        (b, t) => b.or(t).unwrap_or_default(),
    }
}

/// Score of the best client-facing or L1 SOP among matches (0 when none).
pub fn best_l1_sop(sops: &[SopMatch]) -> f32 {
    sops.iter()
        .filter(|s| s.tier == "L1" || s.audience == Audience::Client)
        .map(|s| s.score)
        .fold(0.0, f32::max)
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
    fn detects_security_and_scope_cues() {
        let c = Cues::detect(&normalize(
            "I clicked the link and now our files are encrypted",
        ));
        assert!(c.security.contains(&"clicked the link"));
        assert!(c.security.contains(&"files are encrypted"));
        // acting on a gift-card scam is an incident, not a reported phish
        let c = Cues::detect(&normalize("I bought gift cards and sent him the codes"));
        assert_eq!(c.security, vec!["sent him the codes", "bought gift cards"]);
        let c = Cues::detect(&normalize("Ich habe die Gutscheine gekauft"));
        assert_eq!(c.security, vec!["gutscheine gekauft"]);
        // ordinary requests that share words with a lure are not cues
        for t in [
            "The authenticator sent the codes to my old phone",
            "We changed the bank details, please update the invoice template",
            "Mir werden keine SMS Codes geschickt",
        ] {
            assert!(Cues::detect(&normalize(t)).security.is_empty(), "{t}");
        }
        let c = Cues::detect(&normalize("Nobody in the whole office can print"));
        assert_eq!(c.scope, vec!["nobody", "whole office"]);
        let c = Cues::detect(&normalize("Drucker: niemand im Büro kann drucken"));
        assert_eq!(c.scope, vec!["niemand"]);
        // German as it is written: inflected, with the umlaut spelled out by the normalizer
        let c = Cues::detect(&normalize(
            "Seit heute kommt nichts aus dem Drucker, bei allen Kollegen auf der ganzen Etage.",
        ));
        assert_eq!(c.scope, vec!["allen kollegen", "ganzen etage"]);
        let c = Cues::detect(&normalize(
            "Die ganze Abteilung hat kein Netz, alle Arbeitsplätze",
        ));
        assert_eq!(c.scope, vec!["alle arbeitsplaetze", "ganze abteilung"]);
        let c = Cues::detect(&normalize("Every PC on the 3rd floor lost the network"));
        assert_eq!(c.scope, vec!["every pc"]);
        // the writer's exception narrows the scope back: no scope cue, unless it is negated
        for t in [
            "Bei allen Kollegen funktioniert Outlook, nur bei mir nicht",
            "Everyone on the floor can print except me",
        ] {
            assert!(Cues::detect(&normalize(t)).scope.is_empty(), "{t}");
        }
        let c = Cues::detect(&normalize(
            "Outlook geht nicht, und zwar nicht nur bei mir, sondern bei allen Kollegen",
        ));
        assert_eq!(c.scope, vec!["allen kollegen"]);
        // whole words only
        assert!(Cues::detect("antivirus update").security.is_empty());
        assert!(Cues::detect("my password expired").security.is_empty());
    }

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
        let q = apply_rubric(&p, (0, 1, 2), &params, &cues, 0.0);
        assert_eq!(argmax(&q), 2);
        let none = apply_rubric(&p, (0, 1, 2), &params, &Cues::default(), 0.0);
        assert!((none[0] - 0.6).abs() < 1e-5);
    }

    /// The cues and stop words classify reads from the word cache are the listed phrases found in
    /// the text and the words `is_stopword` names, over every ticket of the project's corpus, and
    /// `Cues::detect` (which training uses) finds the same cues.
    #[test]
    fn the_word_cache_knows_the_cues_and_stop_words() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let m = Model::load(&root.join("model/tiermatch.model")).expect("bundled model");
        let mut texts = vec![
            "Nobody in the whole office can print, the whole office is down".to_string(),
            "clicked the link clicked the link; niemand im ganzen buero".to_string(),
            "Bei allen Kollegen geht es, nur bei mir nicht".to_string(),
            "nicht nur bei mir, bei allen Kollegen".to_string(),
        ];
        for f in std::fs::read_dir(root.join("model/data/tickets")).unwrap() {
            for line in std::fs::read_to_string(f.unwrap().path()).unwrap().lines() {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                let (s, b) = (v["subject"].as_str(), v["body"].as_str());
                texts.push(ticket_text(s.unwrap_or(""), b.unwrap_or("")));
            }
        }
        let mut with_cues = 0;
        for t in &texts {
            let norm = normalize(t);
            let mut words = Vec::new();
            let a = m.analyze_words(&norm, &mut words);
            assert_eq!(words, words_of(&norm));
            let cues = Cues::detect_words(&words, &a.facts);
            // the plain definition: each listed phrase that occurs as consecutive words
            let occurs = |list: &[&'static str]| -> Vec<&'static str> {
                let occurs = |p: &&str| {
                    let pw: Vec<&str> = p.split(' ').collect();
                    words.windows(pw.len()).any(|w| w == pw.as_slice())
                };
                list.iter().copied().filter(occurs).collect()
            };
            // a writer's exception (not after "not") cancels the scope cues
            let narrowed = NARROW.iter().any(|p| {
                let pw: Vec<&str> = p.split(' ').collect();
                (0..words.len()).any(|i| {
                    words[i..].starts_with(&pw)
                        && !(i > 0 && matches!(words[i - 1], "not" | "nicht"))
                })
            });
            let expected = Cues {
                security: occurs(SECURITY),
                scope: if narrowed { Vec::new() } else { occurs(SCOPE) },
            };
            assert_eq!(cues, expected, "{t}");
            assert_eq!(Cues::detect(&norm), expected, "{t}");
            with_cues += usize::from(!cues.security.is_empty() || !cues.scope.is_empty());
            for (w, f) in words.iter().zip(&a.facts) {
                assert_eq!(f.stop, is_stopword(w), "{w}");
            }
        }
        assert!(with_cues > 500, "only {with_cues} tickets with cues");
    }

    #[test]
    fn rubric_labels_need_the_default_set() {
        let l = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(rubric_labels(&l(&["L1", "L2", "L3"])), Some((0, 1, 2)));
        assert_eq!(rubric_labels(&l(&["L3", "L1", "L2"])), Some((1, 2, 0)));
        assert_eq!(rubric_labels(&l(&["L1", "L2", "Projects"])), None);
        assert_eq!(rubric_labels(&l(&["L1", "L2"])), None);
    }
}
