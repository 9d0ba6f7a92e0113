//! The bundled default model: it classifies the project's clear-cut fixture right, and rebuilding
//! it from model/data with the command recorded in it gives the committed file byte for byte.

use std::path::PathBuf;
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
    // any day: the training date is the one field that may differ, and it is set back below
    let status = Command::new(env!("CARGO_BIN_EXE_tiermatch"))
        .args(&args)
        .args(["--out", out.to_str().unwrap(), "--quiet"])
        .env("SOURCE_DATE_EPOCH", "0")
        .current_dir(root())
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let mut rebuilt = tiermatch::Model::load(&out).unwrap().payload().clone();
    assert_eq!(rebuilt.meta.date, "1970-01-01");
    rebuilt.meta.date = meta.date.clone();
    assert!(
        tiermatch::model::encode(&rebuilt) == committed,
        "rebuilding with `{}` gives different bytes: the corpus, the SOPs or the code changed \
         without rebuilding the model (model/README.md gives the command)",
        meta.command
    );
}
