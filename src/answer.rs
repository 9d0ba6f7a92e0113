//! What goes in and what comes out: the ticket as callers hand it in and the answer with its JSON
//! contract, one definition each for the CLI and the browser, so the two cannot drift apart.

use crate::sop::SopMatch;
use serde::{Deserialize, Serialize};

/// A ticket as callers hand it in: the CLI's JSON line `{"id","subject","body"}` (or `"text"`)
/// and the JS object `classify()` takes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ticket {
    /// The caller's id, echoed in the answer.
    pub id: Option<String>,
    /// The subject line.
    pub subject: Option<String>,
    /// The description.
    pub body: Option<String>,
    /// Stands for the body when there is none (joined after it when both are given).
    pub text: Option<String>,
}

impl Ticket {
    /// True when the ticket has none of the fields that carry text (an error for every caller).
    pub fn is_blank(&self) -> bool {
        self.subject.is_none() && self.body.is_none() && self.text.is_none()
    }

    /// The text classified: subject and body (or `text`) joined by a newline.
    pub fn full_text(&self) -> String {
        let body = match (&self.body, &self.text) {
            (Some(b), Some(t)) => format!("{b}\n{t}"),
            (b, t) => b.as_ref().or(t.as_ref()).cloned().unwrap_or_default(),
        };
        ticket_text(self.subject.as_deref().unwrap_or_default(), &body)
    }
}

/// A ticket's text from its subject and body, joined by a newline (either alone when the other is
/// blank). The CLI, the WASM API and [`crate::Model::classify`] all read tickets this way.
pub fn ticket_text(subject: &str, body: &str) -> String {
    if body.trim().is_empty() {
        subject.to_string()
    } else if subject.trim().is_empty() {
        body.to_string()
    } else {
        format!("{subject}\n{body}")
    }
}

/// Label scores in label order, serialized as a JSON object.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores(pub Vec<(String, f32)>);

impl Serialize for Scores {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, &crate::decimal::decimal4(*v))?;
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
    #[serde(serialize_with = "crate::decimal::serialize")]
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(subject: Option<&str>, body: Option<&str>, text: Option<&str>) -> Ticket {
        let s = |x: Option<&str>| x.map(str::to_string);
        Ticket {
            id: None,
            subject: s(subject),
            body: s(body),
            text: s(text),
        }
    }

    #[test]
    fn a_tickets_text_joins_subject_and_body() {
        assert_eq!(
            ticket(Some("VPN"), Some("down"), None).full_text(),
            "VPN\ndown"
        );
        assert_eq!(
            ticket(Some("VPN"), None, Some("down")).full_text(),
            "VPN\ndown"
        );
        assert_eq!(ticket(None, Some("a"), Some("b")).full_text(), "a\nb");
        assert_eq!(ticket(Some("VPN"), Some("  "), None).full_text(), "VPN");
        assert_eq!(ticket(Some(" "), Some("down"), None).full_text(), "down");
        assert!(ticket(None, None, None).is_blank());
        assert!(!ticket(Some(""), None, None).is_blank());
    }
}
