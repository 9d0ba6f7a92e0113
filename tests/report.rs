//! `eval --report`: the owner's HTML report holds the figures `eval --json` prints, loads nothing
//! from outside, shows hostile ticket text as text, and sets two models side by side.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// `tiermatch ARGS`, finished.
fn tiermatch(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tiermatch"))
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1764000000")
        .output()
        .expect("tiermatch runs")
}

fn p(s: &str) -> &Path {
    Path::new(s)
}

fn ok(o: &Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "tiermatch failed: {err}");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A ticket whose every field is an attack on an HTML page, labelled with a label no model knows,
/// so that it is a mistake, and listed among the most confident ones.
const HOSTILE: &str = r#"{"id": "<script>alert(1)</script>", "subject": "<img src=x onerror=alert(1)>", "body": "\"quoted\" & 'single' </td></table><style>body{display:none}</style>", "tier": "<b>L9</b>"}"#;

/// The fixture tickets and the hostile one, in a file of their own.
fn tickets(dir: &Path) -> PathBuf {
    let mut text = std::fs::read_to_string(fixtures().join("tiers.jsonl")).unwrap();
    text.push_str(HOSTILE);
    text.push('\n');
    let path = dir.join("tickets.jsonl");
    std::fs::write(&path, text).unwrap();
    path
}

/// The text of the figure `name` of model `model` in the report (`data-figure` / `data-model`).
fn figure(html: &str, name: &str, model: usize) -> String {
    let name = name
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let key = format!("data-figure=\"{name}\" data-model=\"{model}\">");
    let start = html
        .find(&key)
        .unwrap_or_else(|| panic!("no figure {key} in the report"))
        + key.len();
    html[start..start + html[start..].find('<').unwrap()].to_string()
}

fn pct(x: &serde_json::Value) -> String {
    format!("{:.1}%", x.as_f64().unwrap() * 100.0)
}

fn dec3(x: &serde_json::Value) -> String {
    format!("{:.3}", x.as_f64().unwrap())
}

/// Checks that the figures of model `model` in the report are those of `eval --json`'s `v`.
fn assert_figures_match(html: &str, v: &serde_json::Value, model: usize) {
    let r = &v["report"];
    assert_eq!(figure(html, "accuracy", model), pct(&r["accuracy"]));
    assert_eq!(figure(html, "macro-f1", model), dec3(&r["macro_f1"]));
    assert_eq!(figure(html, "abstain-rate", model), pct(&v["abstain_rate"]));
    assert_eq!(
        figure(html, "answered-accuracy", model),
        pct(&v["answered_accuracy"])
    );
    assert_eq!(figure(html, "ece", model), dec3(&v["calibration"]["ece"]));
    for c in r["per_class"].as_array().unwrap() {
        let label = c["label"].as_str().unwrap();
        for what in ["precision", "recall", "f1"] {
            assert_eq!(
                figure(html, &format!("{what}:{label}"), model),
                dec3(&c[what]),
                "{what} of {label}"
            );
        }
    }
    let bins = v["calibration"]["bins"].as_array().unwrap();
    let diagram = html
        .split("<svg class=\"reliability\"")
        .nth(model + 1)
        .unwrap();
    let diagram = &diagram[..diagram.find("</svg>").unwrap()];
    assert_eq!(
        diagram.matches("<rect class=\"bar\"").count(),
        bins.len(),
        "a bar per confidence bin"
    );
    for b in bins {
        let answers = format!(": {} answers, stated {}", b["n"], dec3(&b["confidence"]));
        assert!(diagram.contains(&answers), "{answers} not in the diagram");
    }
}

/// Every tag of the document: its name and the names of its attributes.
fn tags(html: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        let end = rest[i..].find('>').expect("tags are closed") + i;
        let inner = rest[i + 1..end].trim_start_matches('/');
        rest = &rest[end + 1..];
        if inner.starts_with('!') {
            continue;
        }
        let mut words = inner.split_whitespace();
        let name = words.next().unwrap_or("").to_ascii_lowercase();
        let attrs = words
            .filter_map(|w| w.split_once('=').map(|(k, _)| k.to_ascii_lowercase()))
            .collect();
        out.push((name, attrs));
    }
    out
}

/// The report of the bundled model on the fixture tickets and the hostile one: written, with the
/// figures of `eval --json`, no request to anywhere, no script, and the hostile text as text.
#[test]
fn the_report_holds_evals_figures_and_nothing_that_runs_or_loads() {
    let d = tempfile::tempdir().unwrap();
    let input = tickets(d.path());
    let report = d.path().join("report.html");
    let json = ok(&tiermatch(&[
        p("eval"),
        p("--input"),
        &input,
        p("--json"),
        p("--report"),
        &report,
    ]));
    let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.starts_with("<!doctype html>") && html.ends_with("</html>\n"));
    assert_figures_match(&html, &v, 0);
    assert_eq!(v["report"]["n"], 97);

    // nothing that runs, loads or links
    let allowed = [
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "main",
        "header",
        "footer",
        "section",
        "h1",
        "h2",
        "h3",
        "p",
        "b",
        "i",
        "code",
        "div",
        "span",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "figure",
        "figcaption",
        "svg",
        "g",
        "rect",
        "line",
        "text",
    ];
    for (name, attrs) in tags(&html) {
        assert!(
            allowed.contains(&name.as_str()),
            "tag <{name}> in the report"
        );
        for a in attrs {
            assert!(
                !(a == "src" || a.ends_with("href") || a.starts_with("on") || a == "action"),
                "attribute {a} on <{name}>"
            );
        }
    }
    for needle in ["http:", "https:", "//", "url(", "@import"] {
        assert!(!html.contains(needle), "{needle} in the report");
    }

    // the hostile ticket is a mistake, shown as text
    for shown in [
        "&lt;img src=x onerror=alert(1)&gt;",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "&quot;quoted&quot; &amp; &#39;single&#39; &lt;/td&gt;&lt;/table&gt;&lt;style&gt;",
        "<span class=\"label right\">&lt;b&gt;L9&lt;/b&gt;</span>",
    ] {
        assert!(html.contains(shown), "{shown} not in the report");
    }
    assert_eq!(
        html.matches("<style>").count(),
        1,
        "only the report's own style"
    );
    assert_eq!(figure(&html, "support:<b>L9</b>", 0), "1");
}

/// `--compare`: both models side by side, each with its own figures as `--json` prints them, and
/// the tickets that change tier between them.
#[test]
fn compare_sets_both_models_side_by_side() {
    let d = tempfile::tempdir().unwrap();
    let other = d.path().join("small.model");
    ok(&tiermatch(&[
        p("train"),
        p("--input"),
        &fixtures().join("train-small.jsonl"),
        p("--folds"),
        p("3"),
        p("--quiet"),
        p("--out"),
        &other,
    ]));
    let input = fixtures().join("tiers.jsonl");
    let report = d.path().join("both.html");
    let json = ok(&tiermatch(&[
        p("eval"),
        p("--input"),
        &input,
        p("--compare"),
        &other,
        p("--json"),
        p("--report"),
        &report,
    ]));
    let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    let html = std::fs::read_to_string(&report).unwrap();
    let c = &v["compare"];
    assert_eq!(c["model"], other.display().to_string());
    assert_figures_match(&html, &v, 0);
    assert_figures_match(&html, c, 1);
    assert_ne!(v["report"]["accuracy"], c["report"]["accuracy"]);
    let changes = &c["changes"];
    let changed = changes["changed"].as_u64().unwrap();
    assert!(changed > 0, "the small model answers otherwise: {changes}");
    assert_eq!(figure(&html, "changed", 1), changed.to_string());
    let moved: u64 = changes["moves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["n"].as_u64().unwrap())
        .sum();
    assert_eq!(moved, changed);
    let (raised, lowered) = (&changes["raised"], &changes["lowered"]);
    assert_eq!(
        raised.as_u64().unwrap() + lowered.as_u64().unwrap(),
        changed
    );
    assert_eq!(figure(&html, "raised", 1), raised.to_string());
    // both models' mistakes
    assert!(html.contains("id=\"mistakes-0\"") && html.contains("id=\"mistakes-1\""));

    // the table names the other model and prints the changes
    let text = ok(&tiermatch(&[
        p("eval"),
        p("--input"),
        &input,
        p("--compare"),
        &other,
    ]));
    assert!(
        text.contains(&format!("compared with {}", other.display())),
        "{text}"
    );
    assert!(
        text.contains(&format!("{changed} of 96 tickets change label")),
        "{text}"
    );
}

/// `--report` replaces nothing but a report: not an input, not a device or folder.
#[test]
fn the_report_never_replaces_an_input() {
    let d = tempfile::tempdir().unwrap();
    let input = tickets(d.path());
    let before = std::fs::read(&input).unwrap();
    for (target, why) in [
        (input.clone(), "is one of the inputs"),
        (d.path().to_path_buf(), "not a regular file"),
    ] {
        let o = tiermatch(&[p("eval"), p("--input"), &input, p("--report"), &target]);
        assert_eq!(o.status.code(), Some(1));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(why), "{err}");
    }
    assert_eq!(std::fs::read(&input).unwrap(), before);
}
