//! The rubric's cue lexicon and its evidence factors: the phrases that carry the rubric's
//! tie-breakers (security wins, scope beats symptom), kept apart from the model so the lexicon can
//! be read and changed in one place.
//!
//! The tie-breakers are applied as evidence, not as overrides: each cue multiplies the odds of the
//! tier it points at by a factor that training fits on held-out folds (see [`RubricParams`]). A cue
//! the corpus already teaches the linear model gets a factor near 1; one that it does not gets
//! more. Cues only exist for the default `L1`/`L2`/`L3` label set ([`RubricLabels`]).

use crate::features::word_hash;
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

/// A cue phrase split into words, and the list it is on.
struct Phrase {
    words: Vec<&'static str>,
    text: &'static str,
    kind: CueKind,
}

/// The cue phrases that start with one word.
struct PhraseGroup {
    /// [`word_hash`] of the first word.
    hash: u32,
    first: &'static str,
    phrases: Vec<Phrase>,
}

/// Every cue phrase, grouped by its first word; the groups sorted by the first word's feature hash,
/// so finding a word's group is an integer binary search. The word cache does it once per word it
/// learns ([`word_facts`]); the cues of a ticket are then found only at the words that start one.
struct PhraseIndex {
    by_first: Vec<PhraseGroup>,
}

impl PhraseIndex {
    /// The group of phrases starting with `word` (whose [`word_hash`] is `h`).
    fn group(&self, h: u32, word: &str) -> Option<usize> {
        let i = self.by_first.partition_point(|g| g.hash < h);
        self.by_first[i..]
            .iter()
            .take_while(|g| g.hash == h)
            .position(|g| g.first == word)
            .map(|k| i + k)
    }
}

/// What the decision needs to know of one word of a ticket, besides its features: computed once
/// per word and remembered by the model's word cache, so cue detection and reasons do not hash and
/// search each word again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct WordFacts {
    /// 1 + the index of the group of cue phrases that start with this word; 0 when none does.
    pub(crate) cue: u16,
    /// The word never makes a reason on its own.
    pub(crate) stop: bool,
}

/// The [`WordFacts`] of a word whose [`word_hash`] is `h` (the word cache calls this once per
/// word it learns).
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
        let mut by_first: Vec<PhraseGroup> = Vec::new();
        for (list, kind) in [
            (SECURITY, CueKind::Security),
            (SCOPE, CueKind::Scope),
            (NARROW, CueKind::Narrow),
        ] {
            for &text in list {
                let words: Vec<&'static str> = text.split(' ').collect();
                let first = words[0];
                let phrase = Phrase { words, text, kind };
                match by_first.iter_mut().find(|g| g.first == first) {
                    Some(g) => g.phrases.push(phrase),
                    None => by_first.push(PhraseGroup {
                        hash: word_hash(first),
                        first,
                        phrases: vec![phrase],
                    }),
                }
            }
        }
        by_first.sort_by_key(|g| (g.hash, g.first));
        PhraseIndex { by_first }
    })
}

impl Cues {
    /// Finds the cues in an already normalized text (training reads tickets this way; classify
    /// reads the word cache, [`Cues::detect_words`]).
    #[cfg(any(test, feature = "train"))]
    pub fn detect(norm: &str) -> Cues {
        let words: Vec<&str> = crate::text::words(norm).collect();
        let facts: Vec<WordFacts> = words.iter().map(|w| word_facts(word_hash(w), w)).collect();
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
            for phrase in &index.by_first[f.cue as usize - 1].phrases {
                if words[i..].starts_with(&phrase.words) {
                    let list = match phrase.kind {
                        CueKind::Security => &mut cues.security,
                        CueKind::Scope => &mut cues.scope,
                        CueKind::Narrow => {
                            let negated = i > 0 && matches!(words[i - 1], "not" | "nicht");
                            narrowed |= !negated;
                            continue;
                        }
                    };
                    if !list.contains(&phrase.text) {
                        list.push(phrase.text);
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

/// Where the rubric's three tiers stand in a model's labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RubricLabels {
    /// Index of `L1`.
    pub l1: usize,
    /// Index of `L2`.
    pub l2: usize,
    /// Index of `L3`.
    pub l3: usize,
}

impl RubricLabels {
    /// The rubric's label indices, when a label set is exactly the default `L1`/`L2`/`L3` one.
    pub fn of(labels: &[String]) -> Option<RubricLabels> {
        let pos = |l: &str| labels.iter().position(|x| x == l);
        if labels.len() != 3 {
            return None;
        }
        Some(RubricLabels {
            l1: pos("L1")?,
            l2: pos("L2")?,
            l3: pos("L3")?,
        })
    }
}

/// Words that never make a reason on their own (nor a pair of them).
pub(crate) fn is_stopword(w: &str) -> bool {
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::text::normalize;

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
    fn rubric_labels_need_the_default_set() {
        let l = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let at = |l1, l2, l3| Some(RubricLabels { l1, l2, l3 });
        assert_eq!(RubricLabels::of(&l(&["L1", "L2", "L3"])), at(0, 1, 2));
        assert_eq!(RubricLabels::of(&l(&["L3", "L1", "L2"])), at(1, 2, 0));
        assert_eq!(RubricLabels::of(&l(&["L1", "L2", "Projects"])), None);
        assert_eq!(RubricLabels::of(&l(&["L1", "L2"])), None);
    }

    /// The project's corpus, as ticket texts.
    pub(crate) fn corpus_texts() -> Vec<String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut texts = Vec::new();
        for f in std::fs::read_dir(root.join("model/data/tickets")).unwrap() {
            for line in std::fs::read_to_string(f.unwrap().path()).unwrap().lines() {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                let (s, b) = (v["subject"].as_str(), v["body"].as_str());
                texts.push(crate::answer::ticket_text(s.unwrap_or(""), b.unwrap_or("")));
            }
        }
        texts
    }

    /// The phrase index finds what a plain scan of the words finds, over the whole corpus: every
    /// listed security phrase that occurs as consecutive words, and the scope phrases (all of them
    /// when the writer names no exception, which only ever removes scope cues).
    #[test]
    fn the_phrase_index_finds_what_a_plain_scan_finds() {
        let mut with_cues = 0;
        for t in corpus_texts() {
            let norm = normalize(&t);
            let words: Vec<&str> = crate::text::words(&norm).collect();
            let occurs = |list: &[&'static str]| -> Vec<&'static str> {
                let occurs = |p: &&str| {
                    let pw: Vec<&str> = p.split(' ').collect();
                    words.windows(pw.len()).any(|w| w == pw.as_slice())
                };
                list.iter().copied().filter(occurs).collect()
            };
            let cues = Cues::detect(&norm);
            assert_eq!(cues.security, occurs(SECURITY), "{t}");
            let scope = occurs(SCOPE);
            if occurs(NARROW).is_empty() {
                assert_eq!(cues.scope, scope, "{t}");
            } else {
                assert!(cues.scope.iter().all(|p| scope.contains(p)), "{t}");
            }
            with_cues += usize::from(!cues.security.is_empty() || !cues.scope.is_empty());
        }
        assert!(with_cues > 500, "only {with_cues} tickets with cues");
    }
}
