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

/// The fixture tickets the bundled model misroutes today, with the tier it gives them: accepted
/// (issue tracker), and kept here so that a change that fixes or breaks one shows.
const KNOWN_MISSES: [(&str, &str); 3] = [
    ("fx-L1-24", "L2"), // "Lost my P: drive": "only my PC", "colleagues are fine" read as L2
    ("fx-L1-30", "L2"), // "Outlook stuck on loading profile": the client's "tried" reads as L2
    ("fx-L2-30", "L1"), // German new-starter workstation request
];

#[test]
fn classifies_the_clear_cut_fixture_right() {
    let m = bundled();
    let text = std::fs::read_to_string(root().join("tests/fixtures/tiers.jsonl")).unwrap();
    let mut misses: Vec<(String, String)> = Vec::new();
    let mut n = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let got = m.classify(v["subject"].as_str().unwrap(), v["body"].as_str().unwrap());
        n += 1;
        if got.tier != v["tier"] {
            misses.push((v["id"].as_str().unwrap().to_string(), got.tier));
        }
    }
    assert!(n >= 90, "fixture has {n} tickets");
    let known: Vec<(String, String)> = KNOWN_MISSES
        .iter()
        .map(|(id, tier)| (id.to_string(), tier.to_string()))
        .collect();
    assert_eq!(
        misses, known,
        "the misrouted fixture tickets (id, tier given) changed: update KNOWN_MISSES when a \
         change fixes one, and look again when it breaks one"
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
