//! The SOP / knowledge-base library: parse Markdown files with front matter, index them, search.
//!
//! An SOP file looks like this:
//!
//! ```text
//! ---
//! id: password-reset
//! title: Reset a forgotten or expired password
//! tier: L1
//! audience: client
//! keywords: [password, expired password, pasword, passwort]
//! url: https://help.example.com/kb/password-reset
//! ---
//! When to use: ...
//! 1. ...
//! ```
//!
//! The index is a tf-idf vector space over stemmed words (`printing`/`printer` meet at `print`) and
//! character n-grams (`pasword`, `outlok` still share most n-grams with the right word), with the
//! title and keywords counted three times and twice. Search is a sparse dot product through an
//! inverted index, so its cost grows with the postings the query touches, not with the library.
//! Scores are cosine similarities in `0..=1`.

use crate::error::{Error, Result};
use crate::features::{FeatureConfig, SparseVec, Vocab, for_each_feature_word, run_lengths};
use crate::text::{normalize, stem};
use serde::{Deserialize, Serialize};

/// Who may see an SOP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    /// A self-help article the client may follow.
    Client,
    /// A procedure or runbook for technicians only.
    Staff,
}

/// One SOP as stored in the model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sop {
    /// Stable identifier (the file name without `.md`).
    pub id: String,
    /// Title shown to people.
    pub title: String,
    /// The tier that normally performs it.
    pub tier: String,
    /// Client self-help or staff only.
    pub audience: Audience,
    /// Terms a ticket about it would contain.
    pub keywords: Vec<String>,
    /// Link to the full article, if published.
    pub url: Option<String>,
    /// The opening of the body (what it is for), indexed and shown as a preview.
    pub summary: String,
    /// Word stems typical of the tickets that use this SOP, learned by training from labelled
    /// tickets (empty without them): they widen what the SOP's keywords match.
    pub learned: Vec<String>,
}

/// Characters of the body kept as the summary.
pub const SUMMARY_CHARS: usize = 320;

/// The summary of an SOP body: its text without heading lines, whitespace collapsed, clipped to
/// [`SUMMARY_CHARS`] characters.
pub(crate) fn summary_of(body: &str) -> String {
    let text: Vec<&str> = body
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect();
    clip_summary(&text.join(" "))
}

/// A text with its whitespace collapsed, clipped to [`SUMMARY_CHARS`] characters.
pub(crate) fn clip_summary(text: &str) -> String {
    let summary = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut clipped: String = summary.chars().take(SUMMARY_CHARS).collect();
    if clipped.len() < summary.len() {
        clipped.push('…');
    }
    clipped
}

/// Features of the SOP space: stemmed words and character 4-grams (no word pairs). Four
/// characters keep `pasword` and `password` close while keeping the postings short.
pub const SOP_FEATURES: FeatureConfig = FeatureConfig {
    word_ngrams: 1,
    char_min: 4,
    char_max: 4,
};

/// An `http:` or `https:` URL, or a relative one (no scheme at all). Spaces and ASCII control
/// characters are refused outright, as browsers drop them (`java\tscript:` is `javascript:`).
pub(crate) fn is_web_link(url: &str) -> bool {
    let b = url.as_bytes();
    if b.is_empty() || b.iter().any(|&c| c <= b' ' || c == 0x7f) {
        return false;
    }
    // a colon before the first '/', '?' or '#' ends a scheme
    match b
        .iter()
        .position(|c| matches!(c, b':' | b'/' | b'?' | b'#'))
    {
        Some(i) if b[i] == b':' => {
            b[..i].eq_ignore_ascii_case(b"http") || b[..i].eq_ignore_ascii_case(b"https")
        }
        _ => true,
    }
}

impl Sop {
    /// Parses one SOP Markdown file. `path` is only used in error messages.
    pub fn parse(path: &str, text: &str) -> Result<Sop> {
        let bad = |reason: String| Error::InvalidSop {
            path: path.to_string(),
            reason,
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let rest = text
            .strip_prefix("---")
            .ok_or_else(|| bad("no front matter: the file must start with a '---' line".into()))?;
        let end = rest
            .find("\n---")
            .ok_or_else(|| bad("front matter is not closed by a '---' line".into()))?;
        let front = &rest[..end];
        let body = rest[end + 4..].trim_start_matches(|c| c != '\n').trim();
        let (mut id, mut title, mut tier, mut audience, mut url) = (None, None, None, None, None);
        let mut keywords = Vec::new();
        // `front` starts right after the opening '---': its line n is the file's line n + 1
        for (n, line) in front.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (k, v) = line.split_once(':').ok_or_else(|| {
                bad(format!(
                    "front matter line {} is not 'key: value': {line:?}",
                    n + 1
                ))
            })?;
            let v = v.trim().trim_matches('"').to_string();
            match k.trim() {
                "id" => id = Some(v),
                "title" => title = Some(v),
                "tier" => tier = Some(v),
                "audience" => audience = Some(v),
                "url" if !v.is_empty() && !is_web_link(&v) => {
                    return Err(bad(format!(
                        "front matter line {}: url {v:?} is not an http(s) or relative link \
                         (javascript:, data:, vbscript: and other schemes are refused)",
                        n + 1
                    )));
                }
                "url" => url = Some(v).filter(|u| !u.is_empty()),
                "keywords" => {
                    keywords = v
                        .trim_start_matches('[')
                        .trim_end_matches(']')
                        .split(',')
                        .map(|s| s.trim().trim_matches('"').to_string())
                        .filter(|s| !s.is_empty())
                        .collect()
                }
                _ => {}
            }
        }
        let need = |v: Option<String>, key: &str| {
            v.filter(|s| !s.is_empty())
                .ok_or_else(|| bad(format!("front matter has no {key:?}")))
        };
        let audience = match need(audience, "audience")?.as_str() {
            "client" => Audience::Client,
            "staff" => Audience::Staff,
            other => {
                return Err(bad(format!(
                    "audience must be 'client' or 'staff', not {other:?}"
                )));
            }
        };
        Ok(Sop {
            id: need(id, "id")?,
            title: need(title, "title")?,
            tier: need(tier, "tier")?,
            audience,
            keywords,
            url,
            summary: summary_of(body),
            learned: Vec::new(),
        })
    }

    /// The SOP's `(feature, count)` runs, sorted by feature: the title counts three times, the
    /// keywords twice and the summary once, so a ticket that names the SOP's subject matches it
    /// before one that shares words of its description.
    fn index_counts(&self) -> Vec<(u32, u32)> {
        let mut hs: Vec<(u32, u32)> = Vec::with_capacity(512);
        let keywords = self.keywords.join(" ");
        for (part, times) in [(&self.title, 3), (&keywords, 2), (&self.summary, 1)] {
            sop_features(&normalize(part), |h| hs.push((h, times)));
        }
        hs.sort_unstable_by_key(|&(h, _)| h);
        let mut out: Vec<(u32, u32)> = Vec::with_capacity(hs.len());
        for (h, n) in hs {
            match out.last_mut() {
                Some((last, c)) if *last == h => *c += n,
                _ => out.push((h, n)),
            }
        }
        out
    }
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SopMatch {
    /// SOP id.
    pub id: String,
    /// SOP title.
    pub title: String,
    /// Cosine similarity, `0..=1`, rounded to 3 decimals.
    #[serde(serialize_with = "crate::decimal::serialize")]
    pub score: f32,
    /// Tier that performs it.
    pub tier: String,
    /// Client self-help or staff only.
    pub audience: Audience,
    /// Link, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// How likely the SOP fits the ticket (`0..=1`, rounded to 4 decimals), when the model has
    /// learned it from labelled tickets; answers list only SOPs likely enough to fit.
    #[serde(
        serialize_with = "crate::decimal::serialize_option",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub relevance: Option<f32>,
}

/// Matches below this score are not worth showing.
pub const MIN_SCORE: f32 = 0.12;

/// One SOP of a search: its index in the library and its cosine with the ticket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SopHit {
    /// Index of the SOP in the library.
    pub sop: usize,
    /// Cosine with the ticket.
    pub score: f32,
}

/// A cosine as answers show it (and the rubric reads it): at most 1, to three decimals.
pub fn shown_score(score: f32) -> f32 {
    (score.min(1.0) * 1000.0).round() / 1000.0
}

/// Searchable SOP library.
#[derive(Debug, Clone)]
pub struct SopIndex {
    sops: Vec<Sop>,
    text: Postings,
}

/// A tf-idf inverted index over documents given as `(feature hash, count)` runs; a query's
/// cosine with every document is a sparse dot product through it.
#[derive(Debug, Clone)]
pub(crate) struct Postings {
    vocab: Vocab,
    /// `postings[offsets[i]..offsets[i + 1]]`: the (document, weight) pairs of feature `i`.
    offsets: Vec<u32>,
    postings: Vec<(u32, f32)>,
    docs: usize,
}

impl Postings {
    /// Indexes `docs`. Features in more than half of 20 or more documents carry no signal and
    /// are left out, which keeps the postings short on large libraries.
    pub(crate) fn new(docs: &[Vec<(u32, u32)>]) -> Postings {
        // This runs in the browser at every page load: sorted vectors, no hash maps and no
        // per-feature allocations.
        let n = docs.len();
        // document frequency: each document's distinct hashes, sorted together, counted in runs
        let df = run_lengths(docs.iter().flatten().map(|&(h, _)| h).collect());
        let max_df = if n >= 20 { n as u32 / 2 } else { u32::MAX };
        let (hashes, idf): (Vec<u32>, Vec<f32>) = df
            .iter()
            .filter(|&&(_, c)| c <= max_df)
            .map(|&(h, c)| (h, 1.0 + libm::logf((1.0 + n as f32) / (1.0 + c as f32))))
            .unzip();
        let vocab = Vocab::new(hashes, idf);
        let vecs: Vec<SparseVec> = docs.iter().map(|d| vocab.vectorize_counts(d)).collect();
        // postings in compressed rows: count per feature, prefix sums, fill in document order
        let mut offsets = vec![0u32; vocab.len() + 1];
        for v in &vecs {
            for &i in &v.idx {
                offsets[i as usize + 1] += 1;
            }
        }
        for i in 1..offsets.len() {
            offsets[i] += offsets[i - 1];
        }
        let total = offsets[vocab.len()] as usize;
        let mut postings = vec![(0u32, 0f32); total];
        let mut next = offsets.clone();
        for (d, v) in vecs.iter().enumerate() {
            for (&i, &w) in v.idx.iter().zip(&v.val) {
                postings[next[i as usize] as usize] = (d as u32, w);
                next[i as usize] += 1;
            }
        }
        Postings {
            vocab,
            offsets,
            postings,
            docs: n,
        }
    }

    /// The feature space.
    pub(crate) fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    /// The cosine of a query vector with every document, in index order.
    pub(crate) fn scores(&self, q: &SparseVec) -> Vec<f32> {
        let mut acc = vec![0f32; self.docs];
        for (&i, &qw) in q.idx.iter().zip(&q.val) {
            let (a, b) = (
                self.offsets[i as usize] as usize,
                self.offsets[i as usize + 1] as usize,
            );
            for &(d, w) in &self.postings[a..b] {
                acc[d as usize] += qw * w;
            }
        }
        acc
    }
}

/// Features for the SOP space: stemmed word hashes and character n-grams of a normalized text.
fn sop_features(norm: &str, mut f: impl FnMut(u32)) {
    for_each_feature_word(norm, &SOP_FEATURES, |h, kind, _, w| {
        f(sop_feature(h, kind, w))
    });
}

/// The SOP-space hash of a feature from the model's feature stream: words are stemmed, character
/// n-grams are shared with the classifier.
#[inline]
pub fn sop_feature(h: u32, kind: crate::features::Kind, word: &str) -> u32 {
    match kind {
        crate::features::Kind::Word => {
            let s = stem(word);
            if s.len() == word.len() {
                h
            } else {
                crate::features::word_hash(s)
            }
        }
        _ => h,
    }
}

impl SopIndex {
    /// Indexes a library (see [`Postings::new`]).
    pub fn new(sops: Vec<Sop>) -> SopIndex {
        let docs: Vec<Vec<(u32, u32)>> = sops.iter().map(Sop::index_counts).collect();
        SopIndex {
            text: Postings::new(&docs),
            sops,
        }
    }

    /// The SOPs, in index order.
    pub fn sops(&self) -> &[Sop] {
        &self.sops
    }

    /// Number of SOPs.
    pub fn len(&self) -> usize {
        self.sops.len()
    }

    /// Whether the library is empty.
    pub fn is_empty(&self) -> bool {
        self.sops.is_empty()
    }

    /// The SOP feature space.
    pub fn vocab(&self) -> &Vocab {
        self.text.vocab()
    }

    /// The query vector of an already normalized text.
    pub fn query_normalized(&self, norm: &str) -> SparseVec {
        let mut hits = Vec::with_capacity(256);
        sop_features(norm, |h| {
            if let Some(i) = self.vocab().get(h) {
                hits.push(i);
            }
        });
        self.vocab().weigh_hits(hits)
    }

    /// The best `k` SOPs for raw ticket text, best first, scores at least [`MIN_SCORE`].
    pub fn search(&self, text: &str, k: usize) -> Vec<SopMatch> {
        self.search_normalized(&normalize(text), k)
    }

    /// As [`search`](Self::search), for text already passed through [`normalize`].
    pub fn search_normalized(&self, norm: &str, k: usize) -> Vec<SopMatch> {
        self.hits_normalized(norm, k)
            .into_iter()
            .map(|h| self.match_of(h.sop, h.score))
            .collect()
    }

    /// As [`search_normalized`](Self::search_normalized), without copying out the SOPs' texts.
    pub fn hits_normalized(&self, norm: &str, k: usize) -> Vec<SopHit> {
        if k == 0 || self.sops.is_empty() || norm.is_empty() {
            return Vec::new();
        }
        self.hits(&self.scores(&self.query_normalized(norm)), k)
    }

    /// The cosine of a query vector with every SOP, in index order.
    pub fn scores(&self, q: &SparseVec) -> Vec<f32> {
        self.text.scores(q)
    }

    /// SOP `d` as a match with cosine `score`.
    pub fn match_of(&self, d: usize, score: f32) -> SopMatch {
        let sop = &self.sops[d];
        SopMatch {
            id: sop.id.clone(),
            title: sop.title.clone(),
            score: shown_score(score),
            tier: sop.tier.clone(),
            audience: sop.audience,
            url: sop.url.clone(),
            relevance: None,
        }
    }

    /// The best `k` SOPs for the cosines `acc` (one per SOP), best first, scores at least
    /// [`MIN_SCORE`]; the lower index first among equals.
    pub fn hits(&self, acc: &[f32], k: usize) -> Vec<SopHit> {
        let mut best: Vec<SopHit> = acc
            .iter()
            .enumerate()
            .filter(|&(_, &s)| s >= MIN_SCORE)
            .map(|(sop, &score)| SopHit { sop, score })
            .collect();
        best.sort_unstable_by(|a, b| b.score.total_cmp(&a.score).then(a.sop.cmp(&b.sop)));
        best.truncate(k);
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sop(id: &str, title: &str, kw: &[&str], summary: &str) -> Sop {
        Sop {
            id: id.into(),
            title: title.into(),
            tier: "L1".into(),
            audience: Audience::Client,
            keywords: kw.iter().map(|s| s.to_string()).collect(),
            url: None,
            summary: summary.into(),
            learned: Vec::new(),
        }
    }

    fn library() -> SopIndex {
        SopIndex::new(vec![
            sop(
                "password-reset",
                "Reset a forgotten or expired password",
                &["password", "expired", "locked out"],
                "Use when a user forgot their password or it expired.",
            ),
            sop(
                "outlook-profile",
                "Rebuild an Outlook profile",
                &["outlook", "mail client", "profile"],
                "Use when Outlook will not open or keeps asking for credentials.",
            ),
            sop(
                "printer-queue",
                "Clear a stuck printer queue",
                &["printer", "print queue", "spooler"],
                "Use when documents sit in the print queue and nothing prints.",
            ),
        ])
    }

    #[test]
    fn parses_front_matter() {
        let s = Sop::parse(
            "x.md",
            "---\nid: vpn-reset\ntitle: Reset the VPN client\ntier: L1\naudience: client\nkeywords: [vpn, anyconnect, \"globalprotect\"]\nurl: https://kb/vpn\n---\n## When\nThe VPN does not connect.\n\n1. Quit it.\n",
        )
        .unwrap();
        assert_eq!(s.id, "vpn-reset");
        assert_eq!(s.keywords, vec!["vpn", "anyconnect", "globalprotect"]);
        assert_eq!(s.url.as_deref(), Some("https://kb/vpn"));
        assert_eq!(s.summary, "The VPN does not connect. 1. Quit it.");
    }

    #[test]
    fn rejects_bad_files_with_reason() {
        let e = Sop::parse("a.md", "no front matter")
            .unwrap_err()
            .to_string();
        assert!(e.contains("a.md") && e.contains("front matter"), "{e}");
        let e = Sop::parse("b.md", "---\nid: x\ntitle: y\ntier: L1\n---\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("audience"), "{e}");
        let e = Sop::parse("c.md", "---\nid: x\n").unwrap_err().to_string();
        assert!(e.contains("not closed"), "{e}");
    }

    #[test]
    fn only_web_links_pass() {
        for ok in [
            "https://help.example.com/kb/x",
            "HTTP://host/x?a=b:c",
            "kb/password-reset",
            "/kb/x#part:2",
            "//cdn.example.com/x",
            "?q=a:b",
        ] {
            assert!(is_web_link(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "java\tscript:alert(1)",
            " javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:x",
            "file:///etc/passwd",
            "https\n://x",
            "",
        ] {
            assert!(!is_web_link(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_url_that_is_not_a_web_link_is_refused_with_its_file_and_line() {
        for url in [
            "javascript:alert(1)",
            "\"JavaScript:alert(document.cookie)\"",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "java\tscript:alert(1)",
            "file:///etc/passwd",
        ] {
            let text = format!(
                "---\nid: x\ntitle: y\ntier: L1\n\naudience: client\nurl: {url}\n---\nbody\n"
            );
            let e = Sop::parse("kb/evil.md", &text).unwrap_err().to_string();
            assert!(
                e.starts_with("kb/evil.md: front matter line 7: url ") && e.contains("http(s)"),
                "{e}"
            );
        }
        for url in [
            "https://kb.example.com/x?a=b:c",
            "/kb/x",
            "kb/x",
            "\"HTTP://kb/x\"",
        ] {
            let text =
                format!("---\nid: x\ntitle: y\ntier: L1\naudience: client\nurl: {url}\n---\n");
            assert!(Sop::parse("ok.md", &text).is_ok(), "{url}");
        }
    }

    #[test]
    fn a_bad_front_matter_line_is_named_by_its_line_in_the_file() {
        for text in [
            "---\nid: x\ntitle: y\nthis line is broken\n---\nbody\n",
            "\u{feff}---\r\nid: x\r\ntitle: y\r\nthis line is broken\r\n---\r\nbody\r\n",
            "---\n# a comment\n\nid: x\nthis line is broken\n---\nbody\n",
        ] {
            let e = Sop::parse("d.md", text).unwrap_err().to_string();
            let line = 1 + text.lines().position(|l| l.contains("broken")).unwrap();
            assert!(
                e.contains(&format!("front matter line {line} is not")),
                "{e} (the broken line is line {line})"
            );
        }
    }

    #[test]
    fn finds_through_typos_and_word_forms() {
        let idx = library();
        assert_eq!(
            idx.search("my pasword expird", 1)[0].id,
            "password-reset",
            "typos"
        );
        assert_eq!(idx.search("outlok wont start", 1)[0].id, "outlook-profile");
        assert_eq!(
            idx.search("printing is stuck, nothing comes out", 1)[0].id,
            "printer-queue"
        );
        let r = idx.search("Passwort abgelaufen", 3);
        assert_eq!(r[0].id, "password-reset");
        assert!(r.windows(2).all(|w| w[0].score >= w[1].score));
        assert!(idx.search("", 3).is_empty());
        assert!(idx.search("zzqx", 3).is_empty());
    }
}
