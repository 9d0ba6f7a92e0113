//! Reads a folder of knowledge-base articles into SOPs, so an existing KB (HTML or Markdown
//! without front matter) can be indexed as it is exported.

use crate::error::{Error, Result};
use crate::sop::{Audience, Sop, clip_summary, summary_of};
use std::io::Read;
use std::path::Path;

/// What an article without front matter cannot say about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleDefaults {
    /// Who may see the articles.
    pub audience: Audience,
    /// The tier that performs them.
    pub tier: String,
}

impl Default for ArticleDefaults {
    fn default() -> Self {
        ArticleDefaults {
            audience: Audience::Staff,
            tier: "L1".into(),
        }
    }
}

/// How an article file is written, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Markdown,
    Html,
}

impl Format {
    fn of(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "md" | "markdown" => Some(Format::Markdown),
            "html" | "htm" => Some(Format::Html),
            _ => None,
        }
    }
}

impl Sop {
    /// Reads every `.md`, `.markdown`, `.html` and `.htm` file of a folder (sorted by name),
    /// skipping `README.md`. A file that starts with front matter is parsed by [`Sop::parse`];
    /// any other is an article whose id comes from its file name, title from its first heading
    /// and audience and tier from `defaults`.
    pub fn load_dir(dir: &Path, defaults: &ArticleDefaults) -> Result<Vec<Sop>> {
        let rd = std::fs::read_dir(dir).map_err(|e| Error::io(dir.display(), e))?;
        let mut paths: Vec<_> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                Format::of(p).is_some()
                    && !p
                        .file_name()
                        .is_some_and(|n| n.eq_ignore_ascii_case("README.md"))
            })
            .collect();
        paths.sort();
        let mut sops = Vec::with_capacity(paths.len());
        let mut seen = std::collections::HashMap::new();
        for p in paths {
            let sop = read_article(&p, &read_text(&p)?, defaults)?;
            if let Some(first) = seen.insert(sop.id.clone(), p.clone()) {
                return Err(Error::InvalidSop {
                    path: p.display().to_string(),
                    reason: format!(
                        "duplicate id {:?}, already the id of {} (rename one of them)",
                        sop.id,
                        first.display()
                    ),
                });
            }
            sops.push(sop);
        }
        Ok(sops)
    }
}

/// A file's text: UTF-8, or UTF-16 with a byte-order mark.
fn read_text(path: &Path) -> Result<String> {
    let mut text = String::new();
    crate::data::open_utf8(path, None)?
        .read_to_string(&mut text)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::InvalidData => Error::InvalidSop {
                path: path.display().to_string(),
                reason: "not UTF-8 text (nor UTF-16 with a byte-order mark): save it as UTF-8"
                    .into(),
            },
            _ => Error::io(path.display(), e),
        })?;
    Ok(text)
}

/// One file of the folder as an SOP.
fn read_article(path: &Path, text: &str, defaults: &ArticleDefaults) -> Result<Sop> {
    let name = path.display().to_string();
    if text
        .strip_prefix('\u{feff}')
        .unwrap_or(text)
        .starts_with("---")
    {
        return Sop::parse(&name, text);
    }
    let bad = |reason: &str| Error::InvalidSop {
        path: name.clone(),
        reason: reason.to_string(),
    };
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let id = id_of(stem);
    if id.is_empty() {
        return Err(bad(
            "no id: the file name has no letter or digit to make one from (rename the file or \
             give it front matter with an id)",
        ));
    }
    let article = match Format::of(path) {
        Some(Format::Html) => html_article(text).ok_or_else(|| {
            bad("no title: the article has no front matter, no <h1> heading and no <title>")
        })?,
        _ => markdown_article(text)
            .ok_or_else(|| bad("no title: the article has no front matter and no '# ' heading"))?,
    };
    Ok(Sop {
        id,
        title: article.title,
        tier: defaults.tier.clone(),
        audience: defaults.audience,
        keywords: Vec::new(),
        url: None,
        summary: article.summary,
        learned: Vec::new(),
    })
}

/// An article's title and summary.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Article {
    title: String,
    summary: String,
}

/// The id of a file stem: lower-cased, each run of characters other than `a-z`, `0-9` and `-`
/// turned into one `-`, with no `-` at either end.
fn id_of(stem: &str) -> String {
    let mut id = String::with_capacity(stem.len());
    let mut gap = false;
    for c in stem.to_lowercase().chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' {
            if gap {
                id.push('-');
            }
            gap = false;
            id.push(c);
        } else {
            gap = true;
        }
    }
    id.trim_matches('-').to_string()
}

/// A Markdown article: the title is its first `# ` heading outside code fences; the summary is
/// its text without heading lines, as for an SOP.
fn markdown_article(text: &str) -> Option<Article> {
    let mut fenced = false;
    let title = text.lines().find_map(|line| {
        let line = line.trim_start();
        if line.starts_with("```") || line.starts_with("~~~") {
            fenced = !fenced;
            return None;
        }
        if fenced {
            return None;
        }
        let title = line.strip_prefix("# ")?.trim().trim_end_matches('#').trim();
        (!title.is_empty()).then(|| title.to_string())
    })?;
    Some(Article {
        title,
        summary: summary_of(text),
    })
}

/// An HTML article: the title is its first `<h1>`, or else its `<title>`; the summary is the
/// text of the page without the head, scripts, styles, comments and that `<h1>`.
fn html_article(html: &str) -> Option<Article> {
    let lower = html.to_ascii_lowercase();
    let h1 = element(&lower, "h1");
    let h1_title = h1.as_ref().map(|e| html_text(&html[e.inner.clone()]));
    let title = h1_title
        .filter(|t| !t.is_empty())
        .or_else(|| element(&lower, "title").map(|e| html_text(&html[e.inner])))
        .filter(|t| !t.is_empty())?;
    let body = match h1 {
        Some(e) => format!("{} {}", &html[..e.outer.start], &html[e.outer.end..]),
        None => html.to_string(),
    };
    Some(Article {
        title,
        summary: clip_summary(&html_text(&body)),
    })
}

/// Where an element sits in a page: the whole element and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Element {
    outer: std::ops::Range<usize>,
    inner: std::ops::Range<usize>,
}

/// The first `<tag ...>...</tag>` of a lower-cased page (whose byte offsets are the page's).
fn element(lower: &str, tag: &str) -> Option<Element> {
    let open = format!("<{tag}");
    let mut from = 0;
    while let Some(i) = lower[from..].find(&open).map(|i| from + i) {
        let after = i + open.len();
        if lower[after..].starts_with(|c: char| c == '>' || c == '/' || c.is_whitespace()) {
            let start = after + lower[after..].find('>')? + 1;
            let close = format!("</{tag}");
            let end = start + lower[start..].find(&close)?;
            let outer_end = end + lower[end..].find('>').map_or(lower.len() - end, |j| j + 1);
            return Some(Element {
                outer: i..outer_end,
                inner: start..end,
            });
        }
        from = after;
    }
    None
}

/// The visible text of an HTML fragment: tags become spaces; the head, scripts, styles and
/// comments are dropped; entities are decoded; whitespace is collapsed.
fn html_text(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len());
    let mut i = 0;
    while i < html.len() {
        let rest = &lower[i..];
        if !rest.starts_with('<') {
            let next = rest.find('<').map_or(html.len(), |j| i + j);
            out.push_str(&decode_entities(&html[i..next]));
            i = next;
            continue;
        }
        if rest.starts_with("<!--") {
            i = rest.find("-->").map_or(html.len(), |j| i + j + 3);
            continue;
        }
        let dropped = ["script", "style", "head"].into_iter().find(|t| {
            rest[1..].starts_with(t)
                && rest[1 + t.len()..].starts_with(|c: char| c == '>' || c.is_whitespace())
        });
        if let Some(tag) = dropped {
            let close = format!("</{tag}");
            i = match rest.find(&close) {
                Some(j) => i + j + rest[j..].find('>').map_or(rest.len() - j, |k| k + 1),
                None => html.len(),
            };
            out.push(' ');
            continue;
        }
        if rest[1..]
            .starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!' || c == '?')
        {
            i = rest.find('>').map_or(html.len(), |j| i + j + 1);
            out.push(' ');
        } else {
            out.push('<');
            i += 1;
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Decodes the common named entities and numeric ones; others are left as written.
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let decoded = rest.find(';').filter(|&j| j <= 10).and_then(|j| {
            let c = match &rest[1..j] {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                "nbsp" => ' ',
                n => {
                    let code = match n.strip_prefix("#x").or_else(|| n.strip_prefix("#X")) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok(),
                        None => n.strip_prefix('#').and_then(|d| d.parse().ok()),
                    };
                    char::from_u32(code?)?
                }
            };
            Some((c, j + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(name: &str, text: &str) -> Result<Sop> {
        read_article(Path::new(name), text, &ArticleDefaults::default())
    }

    #[test]
    fn ids_come_from_file_names() {
        assert_eq!(id_of("Reset VPN (AnyConnect)"), "reset-vpn-anyconnect");
        assert_eq!(id_of("KB_0042--outlook"), "kb-0042--outlook");
        assert_eq!(id_of("Überblick"), "berblick");
        assert_eq!(id_of("(*)"), "");
    }

    #[test]
    fn reads_a_markdown_article() {
        let s = read(
            "kb/Outlook Search Broken.md",
            "Intro line before the title.\n\n```\n# not a title in code\n```\n# Outlook search finds nothing ##\n\n## Cause\nThe index is *rebuilding*.\n",
        )
        .unwrap();
        assert_eq!(s.id, "outlook-search-broken");
        assert_eq!(s.title, "Outlook search finds nothing");
        assert_eq!(
            s.summary,
            "Intro line before the title. ``` ``` The index is *rebuilding*."
        );
        assert_eq!((s.tier.as_str(), s.audience), ("L1", Audience::Staff));
        assert_eq!(s.url, None);
    }

    #[test]
    fn reads_an_html_article() {
        let html = "<!DOCTYPE html><html><head><title>Ignored</title>\
            <style>p { color: red }</style></head><body>\
            <H1 class=\"t\">Printer &amp; scanner &#39;offline&#39;</H1>\
            <script type=\"text/javascript\">var x = \"<p>hidden</p>\";</script>\
            <!-- a comment -->\
            <p>Restart the&nbsp;spooler &lt;service&gt; &quot;now&quot; &#x2192; done.</p>\
            <SCRIPT>alert(1)</SCRIPT><p>5 &lt 6 &unknown; x < y</p></body></html>";
        let s = read("Printer.HTML", html).unwrap();
        assert_eq!(s.id, "printer");
        assert_eq!(s.title, "Printer & scanner 'offline'");
        assert_eq!(
            s.summary,
            "Restart the spooler <service> \"now\" → done. 5 &lt 6 &unknown; x < y"
        );
    }

    #[test]
    fn an_html_article_without_h1_takes_its_title_element() {
        let s = read(
            "a.htm",
            "<html><head><title>VPN &amp; MFA</title></head><body><h2>Steps</h2>Reconnect.</body></html>",
        )
        .unwrap();
        assert_eq!(s.title, "VPN & MFA");
        assert_eq!(s.summary, "Steps Reconnect.");
    }

    #[test]
    fn an_article_without_a_title_is_refused_by_name() {
        let e = read("kb/notes.md", "## Only a subheading\ntext\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("kb/notes.md") && e.contains("no '# ' heading"),
            "{e}"
        );
        let e = read(
            "kb/page.html",
            "<html><body><h1> </h1><p>text</p></body></html>",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("kb/page.html") && e.contains("no <h1>"), "{e}");
        let e = read("kb/(!).md", "# Title\n").unwrap_err().to_string();
        assert!(e.contains("no id"), "{e}");
    }

    #[test]
    fn a_folder_reads_utf16_and_names_both_files_of_a_duplicate_id_and_a_non_utf8_one() {
        let d = tempfile::tempdir().unwrap();
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(
                "<h1>Wi-Fi drops</h1>"
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            )
            .collect();
        std::fs::write(d.path().join("wifi.htm"), utf16).unwrap();
        std::fs::write(d.path().join("README.md"), "no heading").unwrap();
        std::fs::write(d.path().join("notes.txt"), "not an article").unwrap();
        let sops = Sop::load_dir(d.path(), &ArticleDefaults::default()).unwrap();
        assert_eq!(sops.len(), 1);
        assert_eq!(
            (sops[0].id.as_str(), sops[0].title.as_str()),
            ("wifi", "Wi-Fi drops")
        );

        std::fs::write(d.path().join("Wi Fi.md"), "# Other\n").unwrap();
        std::fs::write(d.path().join("wi_fi.html"), "<h1>Same id</h1>").unwrap();
        let e = Sop::load_dir(d.path(), &ArticleDefaults::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("wi_fi.html")
                && e.contains("duplicate id \"wi-fi\"")
                && e.contains("Wi Fi.md"),
            "{e}"
        );
        std::fs::remove_file(d.path().join("wi_fi.html")).unwrap();
        std::fs::write(d.path().join("zz.html"), b"<h1>caf\xe9</h1>").unwrap();
        let e = Sop::load_dir(d.path(), &ArticleDefaults::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("zz.html") && e.contains("not UTF-8"), "{e}");
    }

    #[test]
    fn a_folder_with_a_script_url_is_refused_naming_the_file_and_line() {
        let d = tempfile::tempdir().unwrap();
        let sop = |url: &str| {
            format!("---\nid: x\ntitle: y\ntier: L1\naudience: client\nurl: {url}\n---\nbody\n")
        };
        std::fs::write(d.path().join("good.md"), sop("https://kb.example.com/x")).unwrap();
        std::fs::write(
            d.path().join("evil.md"),
            sop("javascript:alert(1)").replace("id: x", "id: z"),
        )
        .unwrap();
        let e = Sop::load_dir(d.path(), &ArticleDefaults::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("evil.md: front matter line 6: url"), "{e}");
    }

    #[test]
    fn a_file_with_front_matter_parses_as_an_sop() {
        let text = "---\nid: vpn\ntitle: VPN\ntier: L2\naudience: client\n---\n# Heading\nBody.\n";
        let s = read("Other Name.md", text).unwrap();
        assert_eq!(s, Sop::parse("Other Name.md", text).unwrap());
        assert_eq!((s.id.as_str(), s.tier.as_str()), ("vpn", "L2"));
    }
}
