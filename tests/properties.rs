//! Properties of everything that reads outside input (the normalizer, classification, the CSV/JSONL
//! readers, the SOP parser, the model loader with mutated but re-checksummed payloads), checked on
//! generated input: a few cases each in `cargo test`, and for as long as asked by the ignored
//! `fuzz_until_deadline` (`cargo xtask fuzz`).
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fmt::Debug;
use std::path::PathBuf;
use std::sync::LazyLock;
use tiermatch::data::{Columns, read_labelled};
use tiermatch::model::{MAX_MODEL_BYTES, decode, encode};
use tiermatch::{Model, Sop, normalize};

// ---------------------------------------------------------------------------------------------
// The largest single allocation of this thread, so the loader's cost on hostile input is checked.

/// The system allocator, noting the largest block each thread asks for.
struct Noting;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) {
    let _ = LARGEST.try_with(|c| c.set(c.get().max(size)));
}

// SAFETY: every call is passed on to `System` unchanged.
unsafe impl GlobalAlloc for Noting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Noting = Noting;

/// Runs `f` and returns its result with the largest single allocation it made on this thread.
fn largest_allocation<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LARGEST.with(|c| c.set(0));
    let out = f();
    (out, LARGEST.with(Cell::get))
}

// ---------------------------------------------------------------------------------------------
// Shared inputs.

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

static MODEL_BYTES: LazyLock<Vec<u8>> = LazyLock::new(|| {
    std::fs::read(root().join("model/tiermatch.model")).expect("the bundled model is readable")
});

static MODEL: LazyLock<Model> =
    LazyLock::new(|| Model::from_bytes(&MODEL_BYTES).expect("the bundled model loads"));

/// Postcard bytes of the bundled model's payload.
static PAYLOAD_BYTES: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let wrapped = encode(&decode(&MODEL_BYTES).expect("the bundled model decodes"));
    wrapped[HEADER_LEN..wrapped.len() - 4].to_vec()
});

/// One valid SOP file.
static SOP_TEXT: LazyLock<String> = LazyLock::new(|| {
    std::fs::read_to_string(root().join("model/sops/account-unlock.md")).expect("a bundled SOP")
});

/// The bytes of a ticket the normalizer reads (16 KiB, README "What is inside").
const MAX_TICKET_BYTES: usize = 16 * 1024;

/// Magic, version and payload length, as documented in `src/model/file.rs`.
const HEADER_LEN: usize = 8 + 2 + 4;

/// CRC-32 (IEEE), bit by bit: the model file's checksum, computed independently of the crate.
fn crc32_ieee(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// A model file around `payload`, with the header and the checksum a writer would give it.
fn envelope(payload: &[u8]) -> Vec<u8> {
    let mut out = MODEL_BYTES[..10].to_vec(); // magic and version
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(payload);
    let crc = crc32_ieee(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

// ---------------------------------------------------------------------------------------------
// Generators.

/// Fragments real tickets are made of, including the ones the normalizer treats specially.
const TICKET_PIECES: &[&str] = &[
    "From: Jane Doe <jane.doe@example.com>\n",
    "Sent: Monday, 3 March 2025 09:14\n",
    "Subject: RE: FW: VPN down\n",
    "Betreff: AW: Drucker druckt nicht\n",
    "Von: Müller, Jürgen\n",
    "[cid:image001.png@01D2A3B4.5C6D7E80]",
    "https://portal.example.com/tickets/4711?x=1&y=2",
    "www.example.org",
    "mailto:helpdesk@example.com",
    "Ticket #20250303123456",
    "+49 (0) 89 123456-78",
    "ransom\u{ad}ware",
    "pass\u{200b}word",
    "\u{feff}",
    "Ã¤Ã¶Ã¼ÃŸ",
    "â€™â€œâ€",
    "Drucker prüfen, Straße, Größe",
    "İstanbul ǅ ẞ ﬁle",
    "🔥🔥 URGENT!!! 🔥",
    "┌──┐│x│└──┘",
    "aGVsbG8gd29ybGQgdGhpcyBpcyBhIGxvbmcgYmFzZTY0IGJsb2I=",
    "the whole office internet is down, nobody can work",
    "forgot my password",
    "server crashed after the update, RAID degraded",
    "\r\n",
    "\n\n",
    "\t",
    "   ",
    ":",
    "---",
];

/// Ticket-like text: fragments, punctuation-heavy ASCII, Unicode and arbitrary strings mixed.
fn ticket_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => prop::sample::select(TICKET_PIECES).prop_map(str::to_string),
        2 => "[a-zA-Z0-9 .,!?:;/@()\\[\\]<>'\"#_-]{0,40}",
        1 => "[äöüÄÖÜßéèàçñ€’“”…\u{ad}\u{200b}\u{200d}ÃâŸ¤ \n]{0,12}",
        1 => any::<String>(),
    ];
    prop::collection::vec(piece, 0..16).prop_map(|v| v.concat())
}

/// Any text: arbitrary strings, ticket-like ones, and long ones past the normalizer's limit.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => any::<String>(),
        4 => ticket_text(),
        1 => (ticket_text(), 1usize..3000).prop_map(|(t, n)| t.repeat(n.min(40_000 / (t.len() + 1) + 1))),
    ]
}

/// Fragments of CSV and JSON-lines files, well- and ill-formed.
const FILE_PIECES: &[&str] = &[
    "text,label",
    "subject,body,tier",
    "id,subject,body,tier",
    "id;text;label",
    "forgot my password,L1",
    "\"quoted, with comma\",L2",
    "\"unterminated,L3",
    "\"a \"\"quoted\"\" word\",L1",
    "'=cmd|' /C calc'!A0,L1",
    ",",
    "\"\"",
    "{\"text\":\"vpn down\",\"label\":\"L2\"}",
    "{\"subject\":\"a\",\"body\":\"b\",\"tier\":\"L3\",\"id\":7}",
    "{\"text\":\"\\ud800\",\"label\":\"L1\"}",
    "{\"text\":1e999,\"label\":\"L1\"}",
    "{\"text\":null,\"label\":[]}",
    "{\"text\":",
    "[{\"text\":\"x\",\"label\":\"L1\"}]",
    "[1,2,3]",
    "null",
    "\u{feff}",
    "",
];

/// Bytes of a would-be input file: arbitrary bytes, or lines of CSV/JSON fragments, maybe with a
/// UTF-16 byte-order mark or bytes that are not UTF-8.
fn file_bytes() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        4 => prop::sample::select(FILE_PIECES).prop_map(str::to_string),
        1 => any::<String>(),
    ];
    let sep = prop::sample::select(&["\n", "\r\n", "\r", "\n\n"][..]);
    let text = prop::collection::vec((line, sep), 0..12).prop_map(|v| {
        v.into_iter()
            .flat_map(|(l, s)| [l, s.to_string()])
            .collect::<String>()
    });
    prop_oneof![
        2 => prop::collection::vec(any::<u8>(), 0..600),
        4 => text.clone().prop_map(String::into_bytes),
        1 => text.clone().prop_map(|t| {
            let mut b = vec![0xFF, 0xFE];
            b.extend(t.encode_utf16().flat_map(u16::to_le_bytes));
            b
        }),
        1 => (text, prop::collection::vec(any::<u8>(), 1..8), any::<prop::sample::Index>()).prop_map(
            |(t, junk, at)| {
                let mut b = t.into_bytes();
                let i = at.index(b.len() + 1);
                b.splice(i..i, junk);
                b
            }
        ),
    ]
}

/// One edit of a byte string.
#[derive(Debug, Clone)]
enum Mutation {
    FlipBit {
        at: prop::sample::Index,
        bit: u8,
    },
    Set {
        at: prop::sample::Index,
        byte: u8,
    },
    Insert {
        at: prop::sample::Index,
        bytes: Vec<u8>,
    },
    Delete {
        at: prop::sample::Index,
        len: usize,
    },
    Duplicate {
        at: prop::sample::Index,
        len: usize,
    },
    Truncate {
        at: prop::sample::Index,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    use prop::sample::Index;
    prop_oneof![
        4 => (any::<Index>(), 0u8..8).prop_map(|(at, bit)| Mutation::FlipBit { at, bit }),
        4 => (any::<Index>(), prop_oneof![Just(0u8), Just(0x7F), Just(0x80), Just(0xFF), any::<u8>()])
            .prop_map(|(at, byte)| Mutation::Set { at, byte }),
        2 => (any::<Index>(), prop::collection::vec(any::<u8>(), 1..6))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        2 => (any::<Index>(), 1usize..64).prop_map(|(at, len)| Mutation::Delete { at, len }),
        1 => (any::<Index>(), 1usize..64).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
        1 => any::<Index>().prop_map(|at| Mutation::Truncate { at }),
    ]
}

impl Mutation {
    fn apply(&self, b: &mut Vec<u8>) {
        let pos = |at: &prop::sample::Index, len: usize| at.index(len + 1).min(len);
        match self {
            Mutation::FlipBit { at, bit } if !b.is_empty() => {
                let i = at.index(b.len());
                b[i] ^= 1 << bit;
            }
            Mutation::Set { at, byte } if !b.is_empty() => {
                let i = at.index(b.len());
                b[i] = *byte;
            }
            Mutation::Insert { at, bytes } => {
                let i = pos(at, b.len());
                b.splice(i..i, bytes.iter().copied());
            }
            Mutation::Delete { at, len } => {
                let i = pos(at, b.len());
                b.drain(i..(i + len).min(b.len()));
            }
            Mutation::Duplicate { at, len } => {
                let i = pos(at, b.len());
                let copy = b[i..(i + len).min(b.len())].to_vec();
                b.splice(i..i, copy);
            }
            Mutation::Truncate { at } => b.truncate(pos(at, b.len())),
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The properties.

/// One property: how many cases `cargo test` tries, and the check itself, which runs the cases
/// `runner` is configured for and returns the (shrunk) failing input when one fails.
struct Property {
    name: &'static str,
    quick_cases: u32,
    check: fn(&mut TestRunner) -> Result<(), String>,
}

/// Runs `test` over `strategy` and shows the minimal failing input, if any.
fn run<S: Strategy>(
    runner: &mut TestRunner,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) -> Result<(), String>
where
    S::Value: Debug,
{
    runner.run(&strategy, test).map_err(|e| format!("{e}"))
}

/// Checks the shape of a classification: a known tier, probabilities that sum to one, the
/// confidence equal to the tier's probability, at most `k` SOPs.
fn well_formed(m: &Model, c: &tiermatch::Classification, k: usize) -> Result<(), TestCaseError> {
    prop_assert!(m.labels().contains(&c.tier), "unknown tier {:?}", c.tier);
    prop_assert_eq!(c.scores.0.len(), m.labels().len());
    let sum: f32 = c.scores.0.iter().map(|(_, p)| p).sum();
    prop_assert!((sum - 1.0).abs() < 1e-3, "probabilities sum to {sum}");
    for (label, p) in &c.scores.0 {
        prop_assert!(p.is_finite() && (0.0..=1.0).contains(p), "{label}: {p}");
    }
    let tier_score = c
        .scores
        .0
        .iter()
        .find(|(l, _)| *l == c.tier)
        .map(|(_, p)| *p);
    prop_assert_eq!(Some(c.confidence), tier_score);
    prop_assert!(c.sops.len() <= k, "{} SOPs", c.sops.len());
    Ok(())
}

fn normalizer(runner: &mut TestRunner) -> Result<(), String> {
    run(runner, any_text(), |raw| {
        let out = normalize(&raw);
        prop_assert!(!out.starts_with(' ') && !out.ends_with(' ') && !out.contains("  "));
        prop_assert!(
            !out.chars().any(|c| {
                (c.is_whitespace() && c != ' ') || c.to_lowercase().ne(std::iter::once(c))
            }),
            "not lower-case words separated by single spaces: {out:?}"
        );
        prop_assert!(out.len() <= 3 * MAX_TICKET_BYTES, "{} bytes out", out.len());
        prop_assert!(idempotent(&out), "normalizing again changes {out:?}");
        Ok(())
    })
}

/// Normalizing output again changes nothing, except that output past the bytes the normalizer
/// reads ([`MAX_TICKET_BYTES`]: lower-casing can grow text, `Ⱥ` → `ⱥ`) is clipped to a prefix.
fn idempotent(out: &str) -> bool {
    let again = normalize(out);
    if out.len() <= MAX_TICKET_BYTES {
        again == out
    } else {
        out.starts_with(&again)
    }
}

#[test]
fn normalizing_again_only_clips_what_lower_casing_grew_past_the_limit() {
    let words = MAX_TICKET_BYTES / "ȺȺȺ ".len();
    let out = normalize(&"ȺȺȺ ".repeat(words));
    assert_eq!(out, vec!["ⱥⱥⱥ"; words].join(" "));
    assert!(out.len() > MAX_TICKET_BYTES && idempotent(&out));
    assert!(normalize(&out).len() <= MAX_TICKET_BYTES);
}

fn classify(runner: &mut TestRunner) -> Result<(), String> {
    let k = tiermatch::DEFAULT_SOPS;
    run(runner, (any_text(), any_text()), |(subject, body)| {
        well_formed(&MODEL, &MODEL.classify(&subject, &body), k)
    })
}

fn readers(runner: &mut TestRunner) -> Result<(), String> {
    let ext = prop::sample::select(&["csv", "jsonl", "json"][..]);
    let encoding = prop::sample::select(&[None, Some("windows-1252"), Some("utf-16le")][..]);
    run(
        runner,
        (file_bytes(), ext, encoding),
        |(bytes, ext, encoding)| {
            let file = tempfile::Builder::new()
                .suffix(&format!(".{ext}"))
                .tempfile()
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            std::fs::write(file.path(), &bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let cols = Columns {
                encoding: encoding.map(|e| e.parse().expect("a known encoding")),
                ..Columns::default()
            };
            if let Ok(rows) = read_labelled(file.path(), &cols) {
                for r in rows {
                    prop_assert!(!r.label.is_empty(), "a row without a label: {r:?}");
                }
            }
            Ok(())
        },
    )
}

/// A SOP file: arbitrary text, or the lines of a valid one deleted, repeated and interleaved with
/// front-matter-like lines.
fn sop_text() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just("---".to_string()),
        Just("".to_string()),
        "(id|title|tier|audience|url|keywords|# x)?:? ?\\[?[a-z\" ,\\]-]{0,12}",
        any::<String>(),
    ];
    let lines = SOP_TEXT.lines().count();
    let edit = (0..lines + 1, 0..3usize, line);
    prop_oneof![
        1 => any::<String>(),
        4 => prop::collection::vec(edit, 0..6).prop_map(|edits| {
            let mut v: Vec<String> = SOP_TEXT.lines().map(str::to_string).collect();
            for (at, kind, line) in edits {
                let at = at.min(v.len());
                match kind {
                    0 if at < v.len() => { v.remove(at); }
                    1 if at < v.len() => { let l = v[at].clone(); v.insert(at, l); }
                    _ => v.insert(at, line),
                }
            }
            v.join("\n")
        }),
    ]
}

fn sop_parser(runner: &mut TestRunner) -> Result<(), String> {
    run(runner, sop_text(), |text| {
        if let Ok(sop) = Sop::parse("fuzz.md", &text) {
            prop_assert!(!sop.id.is_empty() && !sop.title.is_empty() && !sop.tier.is_empty());
        }
        Ok(())
    })
}

/// A model file loads or is refused; one that loads answers well-formed, and loading costs no
/// single allocation above 4 MiB plus 64 times the file (the bundled model's is well below).
fn loads_or_refuses(bytes: &[u8]) -> Result<(), TestCaseError> {
    let (loaded, largest) = largest_allocation(|| Model::from_bytes(bytes));
    let bound = (4 << 20) + 64 * bytes.len();
    prop_assert!(
        largest <= bound,
        "{largest} bytes at once for a {}-byte file",
        bytes.len()
    );
    if let Ok(m) = loaded {
        let k = tiermatch::DEFAULT_SOPS;
        for (subject, body) in [
            ("VPN down", "whole office offline"),
            ("", "passwort vergessen"),
        ] {
            well_formed(&m, &m.classify(subject, body), k)?;
        }
    }
    Ok(())
}

fn model_bytes(runner: &mut TestRunner) -> Result<(), String> {
    let bytes = prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..64),
        1 => prop::collection::vec(mutation(), 1..4).prop_map(|ms| {
            let mut b = MODEL_BYTES.clone();
            ms.iter().for_each(|m| m.apply(&mut b));
            b
        }),
    ];
    run(runner, bytes, |b| loads_or_refuses(&b))
}

fn model_payload(runner: &mut TestRunner) -> Result<(), String> {
    run(runner, prop::collection::vec(mutation(), 1..4), |ms| {
        let mut payload = PAYLOAD_BYTES.clone();
        ms.iter().for_each(|m| m.apply(&mut payload));
        prop_assert!(payload.len() < MAX_MODEL_BYTES);
        loads_or_refuses(&envelope(&payload))
    })
}

const PROPERTIES: [Property; 6] = [
    Property {
        name: "normalizer",
        quick_cases: 1024,
        check: normalizer,
    },
    Property {
        name: "classify",
        quick_cases: 256,
        check: classify,
    },
    Property {
        name: "readers",
        quick_cases: 256,
        check: readers,
    },
    Property {
        name: "sop_parser",
        quick_cases: 1024,
        check: sop_parser,
    },
    Property {
        name: "model_bytes",
        quick_cases: 128,
        check: model_bytes,
    },
    Property {
        name: "model_payload",
        quick_cases: 256,
        check: model_payload,
    },
];

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// `cargo test`'s round of one property: its quick cases (or `PROPTEST_CASES`), seeded anew.
fn quick(name: &str) {
    let p = PROPERTIES
        .iter()
        .find(|p| p.name == name)
        .expect("a property");
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(p.quick_cases);
    if let Err(e) = (p.check)(&mut TestRunner::new(config(cases))) {
        panic!("property {name}: {e}");
    }
}

#[test]
fn normalizer_output_is_single_spaced_lower_case_and_idempotent() {
    quick("normalizer");
}

#[test]
fn classify_answers_well_formed_on_any_text() {
    quick("classify");
}

#[test]
fn readers_return_rows_or_an_error_on_any_bytes() {
    quick("readers");
}

#[test]
fn sop_parser_returns_a_sop_or_an_error_on_any_text() {
    quick("sop_parser");
}

#[test]
fn model_loader_refuses_or_loads_damaged_files() {
    quick("model_bytes");
}

#[test]
fn model_loader_checks_rechecksummed_mutated_payloads() {
    quick("model_payload");
}

#[test]
fn the_envelope_here_matches_the_crates() {
    assert_eq!(crc32_ieee(b"123456789"), 0xCBF4_3926);
    assert_eq!(envelope(&PAYLOAD_BYTES), *MODEL_BYTES);
}

/// Cases per round of the fuzz loop: each round draws a fresh seed.
const ROUND_CASES: u32 = 100;

/// How long the fuzz loop stays with one property before the next one's turn.
const SLICE: std::time::Duration = std::time::Duration::from_secs(3);

/// The fuzz loop: every property in turn for an equal slice of time, in rounds of fresh seeds,
/// until `TIERMATCH_FUZZ_SECONDS` have passed; prints `fuzz: N cases in M min, F failures` and
/// each failure with its seed and minimal input, and fails when there was one. A property that
/// failed is not run again.
#[test]
#[ignore = "runs for as long as asked: cargo xtask fuzz [--minutes N]"]
fn fuzz_until_deadline() {
    use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
    let seconds: u64 = std::env::var("TIERMATCH_FUZZ_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let base = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut cases = [0u64; PROPERTIES.len()];
    let mut failures: Vec<String> = Vec::new();
    let mut failed = [false; PROPERTIES.len()];
    let mut round = 0u64;
    while Instant::now() < deadline && failed.contains(&false) {
        for (i, p) in PROPERTIES.iter().enumerate() {
            let slice_end = (Instant::now() + SLICE).min(deadline);
            while !failed[i] && Instant::now() < slice_end {
                round += 1;
                let seed = base ^ round.wrapping_mul(0x9E37_79B9_7F4A_7C15);
                let mut seed_bytes = [0u8; 32];
                seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
                let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes);
                match (p.check)(&mut TestRunner::new_with_rng(config(ROUND_CASES), rng)) {
                    Ok(()) => cases[i] += u64::from(ROUND_CASES),
                    Err(e) => {
                        failed[i] = true;
                        failures.push(format!("{} (seed {seed:#x}): {e}", p.name));
                    }
                }
            }
        }
    }
    let total: u64 = cases.iter().sum();
    for (p, n) in PROPERTIES.iter().zip(cases) {
        println!("fuzz: {}: {n} cases clean", p.name);
    }
    for f in &failures {
        println!("fuzz: FAILED {f}");
    }
    println!(
        "fuzz: {total} cases in {:.1} min, {} failures",
        start.elapsed().as_secs_f64() / 60.0,
        failures.len()
    );
    assert!(failures.is_empty(), "{} properties failed", failures.len());
}
