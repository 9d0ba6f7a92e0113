//! The bundled default model: it classifies the project's clear-cut fixture right, and rebuilding
//! it from model/data with the command recorded in it gives the committed file byte for byte.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bundled() -> tiermatch::Model {
    tiermatch::Model::load(&root().join("model/tiermatch.model")).expect("bundled model loads")
}

#[test]
fn classifies_the_clear_cut_fixture_right() {
    let m = bundled();
    let text = std::fs::read_to_string(root().join("tests/fixtures/tiers.jsonl")).unwrap();
    let mut wrong = Vec::new();
    let mut n = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let got = m.classify(v["subject"].as_str().unwrap(), v["body"].as_str().unwrap());
        n += 1;
        if got.tier != v["tier"] {
            wrong.push(format!(
                "{} expected {} got {} ({}): {}",
                v["id"], v["tier"], got.tier, got.confidence, v["subject"]
            ));
        }
    }
    assert!(n >= 90, "fixture has {n} tickets");
    for w in &wrong {
        eprintln!("misrouted: {w}");
    }
    // The goal is every one right; the bundled model of this release misses 3 of 96 (listed on
    // stderr and in the issue tracker). This bound keeps it from getting any worse.
    assert!(
        wrong.len() <= 3,
        "{} of {n} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// Every ticket of the project's corpus and fixture, as (subject, body).
fn corpus_tickets() -> Vec<(String, String)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("model/data/tickets"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files.push(root().join("tests/fixtures/tiers.jsonl"));
    let mut out = Vec::new();
    for f in files {
        for line in std::fs::read_to_string(f).unwrap().lines() {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
                let field = |k: &str| v[k].as_str().unwrap_or("").to_string();
                out.push((field("subject"), field("body")));
            }
        }
    }
    out
}

/// What a thread whose word cache starts empty gives for each ticket: the analysis (feature
/// vector, SOP query, word hits, compared exactly) and the answer.
fn fresh(m: &tiermatch::Model, tickets: &[String]) -> Vec<(tiermatch::model::Analysis, String)> {
    std::thread::scope(|s| {
        s.spawn(|| tickets.iter().map(|t| seen(m, t)).collect())
            .join()
            .unwrap()
    })
}

fn seen(m: &tiermatch::Model, t: &str) -> (tiermatch::model::Analysis, String) {
    let a = m.analyze(&tiermatch::text::normalize(t));
    (a, serde_json::to_string(&m.classify_text(t, 3)).unwrap())
}

#[test]
fn the_word_cache_changes_no_answer() {
    let m = bundled();
    let all: Vec<String> = corpus_tickets()
        .into_iter()
        .map(|(a, b)| format!("{a}\n{b}"))
        .collect();
    // a second model with other SOPs, so the two cannot share remembered features
    let mut p = m.payload().clone();
    p.sops.truncate(5);
    let other = tiermatch::Model::from_payload(p).unwrap();
    let probe: Vec<String> = all.iter().step_by(97).cloned().collect();
    let expected = fresh(&m, &probe);
    let expected_other = fresh(&other, &probe);
    // words no ticket has, in tickets of at most 16 KiB (what normalize reads)
    let junk: Vec<String> = (0..6)
        .map(|j| (0..1500).map(|i| format!("zq{j}x{i} ")).collect())
        .collect();
    let mut distinct = std::collections::HashSet::new();
    for t in all.iter().chain(&junk) {
        for w in tiermatch::text::normalize(t).split(' ') {
            distinct.insert(w.to_string());
        }
    }
    assert!(
        distinct.len() > 2 * tiermatch::model::CACHE_WORDS,
        "the warm-up must overflow the cache: {} words",
        distinct.len()
    );
    std::thread::scope(|s| {
        s.spawn(|| {
            // one model: every ticket and the junk pass through this thread's cache, which
            // fills past its capacity (it starts over) with entries that later tickets reuse
            for t in all.iter().chain(&junk).chain(&all) {
                std::hint::black_box(m.analyze(&tiermatch::text::normalize(t)));
            }
            for (k, t) in probe.iter().enumerate() {
                assert!(seen(&m, t) == expected[k], "ticket {k} with a warm cache");
            }
            // the other model must not see the first one's entries, nor the first the other's
            for (k, t) in probe.iter().enumerate() {
                assert!(
                    seen(&other, t) == expected_other[k],
                    "ticket {k}, other model"
                );
            }
            for (k, t) in probe.iter().enumerate().take(20) {
                assert!(seen(&m, t) == expected[k], "ticket {k}, back to the first");
            }
        });
    });
}

#[test]
fn rebuilding_from_model_data_gives_the_committed_file() {
    let committed = std::fs::read(root().join("model/tiermatch.model")).unwrap();
    let m = tiermatch::Model::from_bytes(&committed).unwrap();
    let meta = m.meta();
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("rebuilt.model");
    let args: Vec<&str> = meta.command.split(' ').skip(1).collect();
    assert_eq!(
        args.first(),
        Some(&"train"),
        "recorded command: {}",
        meta.command
    );
    // the recorded date pins SOURCE_DATE_EPOCH: midnight UTC of that day
    let days = days_from_civil(&meta.date);
    let status = Command::new(env!("CARGO_BIN_EXE_tiermatch"))
        .args(&args)
        .args(["--out", out.to_str().unwrap(), "--quiet"])
        .env("SOURCE_DATE_EPOCH", (days * 86_400).to_string())
        .current_dir(root())
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let rebuilt = std::fs::read(&out).unwrap();
    assert!(
        rebuilt == committed,
        "rebuilding with `{}` gives different bytes: the corpus, the SOPs or the code changed \
         without `cargo xtask retrain`",
        meta.command
    );
    let _ = Path::new(&out);
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date.
fn days_from_civil(date: &str) -> i64 {
    let p: Vec<i64> = date.split('-').map(|x| x.parse().unwrap()).collect();
    let (y, m, d) = (p[0] - i64::from(p[1] <= 2), p[1], p[2]);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[test]
fn civil_days_round_trip() {
    assert_eq!(days_from_civil("1970-01-01"), 0);
    assert_eq!(days_from_civil("2000-02-29"), 11_016);
    assert_eq!(days_from_civil("2025-11-23"), 20_415);
}
