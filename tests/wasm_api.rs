//! The JavaScript API under node (wasm-bindgen-test): `TierMatch.fromBytes`, `classify`,
//! `searchSops`, `version`, `sops`, errors on damaged model files, and native/WASM parity.
//!
//! The parity test compares against `tests/fixtures/parity-expected.jsonl`, the native CLI's
//! answers with the bundled model, which tests/cli.rs checks are still the CLI's. Run by
//! `cargo xtask test`; by hand:
//!
//! ```text
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//!   cargo test --target wasm32-unknown-unknown --no-default-features --features wasm --test wasm_api
//! ```
#![cfg(all(target_arch = "wasm32", feature = "wasm"))]

use tiermatch::wasm::{TierMatch, crate_version, format_version};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

static MODEL: &[u8] = include_bytes!("../model/tiermatch.model");
static PARITY_INPUT: &str = include_str!("fixtures/parity.jsonl");
static PARITY_EXPECTED: &str = include_str!("fixtures/parity-expected.jsonl");

fn model() -> TierMatch {
    TierMatch::from_bytes(MODEL).expect("the bundled model loads")
}

fn get(v: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(v, &JsValue::from_str(key)).unwrap()
}

fn keys(v: &JsValue) -> Vec<String> {
    js_sys::Object::keys(v.unchecked_ref::<js_sys::Object>())
        .iter()
        .map(|k| k.as_string().unwrap())
        .collect()
}

fn json(v: &JsValue) -> String {
    js_sys::JSON::stringify(v).unwrap().into()
}

/// The message of the JS `Error` a `JsError` becomes.
fn message(e: wasm_bindgen::JsError) -> String {
    let v: JsValue = e.into();
    v.unchecked_into::<js_sys::Error>().message().into()
}

fn load_error(bytes: &[u8]) -> String {
    match TierMatch::from_bytes(bytes) {
        Ok(_) => panic!("damaged model loaded"),
        Err(e) => message(e),
    }
}

fn ticket(subject: &str, body: &str) -> JsValue {
    let o = js_sys::Object::new();
    js_sys::Reflect::set(&o, &"subject".into(), &subject.into()).unwrap();
    js_sys::Reflect::set(&o, &"body".into(), &body.into()).unwrap();
    o.into()
}

#[wasm_bindgen_test]
fn classify_returns_a_plain_object_with_the_cli_fields() {
    let r = model()
        .classify(ticket(
            "Password expired",
            "Windows says my password has expired and I cannot log in.",
        ))
        .unwrap();
    assert_eq!(
        keys(&r),
        ["tier", "confidence", "scores", "abstain", "reasons", "sops"]
    );
    let tier = get(&r, "tier").as_string().unwrap();
    let labels = model().labels();
    assert!(labels.contains(&tier), "{tier} not in {labels:?}");
    let confidence = get(&r, "confidence").as_f64().unwrap();
    assert!(confidence > 0.0 && confidence <= 1.0);
    let scores = get(&r, "scores");
    // a plain object (not a Map), one number per label
    assert_eq!(
        js_sys::Object::get_prototype_of(&scores),
        js_sys::Object::get_prototype_of(&js_sys::Object::new().into())
    );
    assert_eq!(keys(&scores), labels);
    assert_eq!(get(&scores, &tier).as_f64(), Some(confidence));
    assert!(get(&r, "abstain").as_bool().is_some());
    assert!(js_sys::Array::is_array(&get(&r, "reasons")));
    let sops: js_sys::Array = get(&r, "sops").unchecked_into();
    assert!(sops.length() >= 1);
    let first = sops.get(0);
    for k in ["id", "title", "score", "tier", "audience"] {
        assert!(
            !get(&first, k).is_undefined(),
            "sop lacks {k}: {}",
            json(&first)
        );
    }
}

#[wasm_bindgen_test]
fn classify_echoes_the_id_and_accepts_text_or_a_string() {
    let tm = model();
    let o = js_sys::Object::new();
    js_sys::Reflect::set(&o, &"id".into(), &"t-42".into()).unwrap();
    js_sys::Reflect::set(
        &o,
        &"text".into(),
        &"the whole office has no internet".into(),
    )
    .unwrap();
    let r = tm.classify(o.into()).unwrap();
    assert_eq!(keys(&r)[0], "id");
    assert_eq!(get(&r, "id").as_string().as_deref(), Some("t-42"));
    let from_string = tm
        .classify(JsValue::from_str("the whole office has no internet"))
        .unwrap();
    assert_eq!(get(&from_string, "tier"), get(&r, "tier"));
}

#[wasm_bindgen_test]
fn classify_rejects_what_is_not_a_ticket() {
    let tm = model();
    let e = message(tm.classify(js_sys::Object::new().into()).unwrap_err());
    assert!(e.contains("no \"subject\", \"body\" or \"text\""), "{e}");
    let e = message(tm.classify(JsValue::from_f64(3.0)).unwrap_err());
    assert!(e.contains("ticket object"), "{e}");
    let e = message(tm.classify(JsValue::UNDEFINED).unwrap_err());
    assert!(e.contains("invalid input"), "{e}");
}

#[wasm_bindgen_test]
fn an_empty_ticket_abstains() {
    let r = model().classify(ticket("  ", "")).unwrap();
    assert_eq!(get(&r, "abstain").as_bool(), Some(true));
    assert_eq!(js_sys::Array::from(&get(&r, "sops")).length(), 0);
}

#[wasm_bindgen_test]
fn search_sops_returns_the_best_matches_first() {
    let r: js_sys::Array = model()
        .search_sops("forgot my password, expired".into(), Some(3))
        .unwrap()
        .unchecked_into();
    assert!(r.length() >= 1 && r.length() <= 3);
    let scores: Vec<f64> = r
        .iter()
        .map(|s| get(&s, "score").as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert!(
        get(&r.get(0), "id")
            .as_string()
            .unwrap()
            .contains("password"),
        "{}",
        json(&r)
    );
    let none: js_sys::Array = model()
        .search_sops("".into(), Some(3))
        .unwrap()
        .unchecked_into();
    assert_eq!(none.length(), 0);
}

#[wasm_bindgen_test]
fn search_sops_takes_a_ticket_like_classify_and_three_by_default() {
    let tm = model();
    let by_ticket = tm
        .search_sops(
            ticket("Password expired", "I cannot log in to my laptop"),
            None,
        )
        .unwrap();
    let by_text = tm
        .search_sops(
            "Password expired\nI cannot log in to my laptop".into(),
            Some(3),
        )
        .unwrap();
    assert_eq!(json(&by_ticket), json(&by_text));
    assert_eq!(js_sys::Array::from(&by_ticket).length(), 3);
    let e = message(
        tm.search_sops(js_sys::Object::new().into(), None)
            .unwrap_err(),
    );
    assert!(e.contains("no \"subject\", \"body\" or \"text\""), "{e}");
    let e = message(tm.search_sops(JsValue::from_f64(3.0), None).unwrap_err());
    assert!(e.contains("searchSops() takes a ticket object"), "{e}");
}

#[wasm_bindgen_test]
fn version_names_package_model_labels_and_training() {
    let tm = model();
    let v = tm.version();
    assert_eq!(
        get(&v, "crateVersion").as_string().as_deref(),
        Some(env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(crate_version(), env!("CARGO_PKG_VERSION"));
    assert_eq!(
        get(&v, "formatVersion").as_f64(),
        Some(format_version() as f64)
    );
    assert!(get(&v, "modelCrateVersion").as_string().is_some());
    assert_eq!(
        get(&v, "modelCrateVersion").as_string(),
        Some(tm.model_crate_version())
    );
    assert_eq!(
        js_sys::Array::from(&get(&v, "labels")).length() as usize,
        tm.labels().len()
    );
    assert!(get(&v, "sopCount").as_f64().unwrap() > 0.0);
    let meta = get(&v, "meta");
    for k in ["corpus_hash", "rows", "date", "algorithm"] {
        assert!(!get(&meta, k).is_undefined(), "meta lacks {k}");
    }
    let sops: js_sys::Array = tm.sops().unchecked_into();
    assert_eq!(sops.length() as f64, get(&v, "sopCount").as_f64().unwrap());
}

#[wasm_bindgen_test]
fn damaged_model_files_are_errors_naming_the_cause() {
    let e = load_error(b"");
    assert!(e.contains("not a tiermatch model file"), "{e}");
    let e = load_error(b"<!doctype html><title>404 Not Found</title>");
    assert!(e.contains("not a tiermatch model file"), "{e}");
    // each kind of damage has its own native test (src/model); here: their message reaches JS
    let mut flipped = MODEL.to_vec();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x10;
    let e = load_error(&flipped);
    assert!(e.contains("checksum mismatch"), "{e}");
    // a large file that starts like a model: its heap reservation is capped and never fatal, the
    // answer is still the error (the model is then loaded again as usual)
    let mut big = MODEL.to_vec();
    big.resize(24 << 20, 0x5a);
    let e = load_error(&big);
    assert!(e.contains("bytes after the end"), "{e}");
    let big_html = vec![b'<'; 24 << 20];
    let e = load_error(&big_html);
    assert!(e.contains("not a tiermatch model file"), "{e}");
    assert!(get(&model().version(), "labels").is_object());
}

/// Every fixture ticket, classified in WASM through the JS API, gives exactly the native CLI's JSON
/// line: same fields in the same order, same strings, same numbers.
#[wasm_bindgen_test]
fn native_and_wasm_answers_are_identical() {
    let tm = model();
    let inputs: Vec<&str> = PARITY_INPUT
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    let expected: Vec<&str> = PARITY_EXPECTED
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(
        inputs.len(),
        expected.len(),
        "tests/fixtures/parity-expected.jsonl does not match tests/fixtures/parity.jsonl: regenerate it (see tests/cli.rs)"
    );
    assert!(inputs.len() >= 40);
    let mut differ = Vec::new();
    for (input, want) in inputs.iter().zip(&expected) {
        let ticket = js_sys::JSON::parse(input).unwrap();
        let got = json(&tm.classify(ticket).unwrap());
        // Through the engine's number formatting on both sides (serde_json writes `1.0`, JS `1`).
        let want = json(&js_sys::JSON::parse(want).unwrap());
        if got != want {
            differ.push(format!("native: {want}\n  wasm: {got}"));
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {} differ:\n{}",
        differ.len(),
        inputs.len(),
        differ.join("\n")
    );
}
