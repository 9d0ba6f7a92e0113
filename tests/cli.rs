//! The command line contract: train → save → load → classify round trip, determinism, every JSON
//! field of `classify`, `eval`'s report, and each bad input with its clear error.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tiermatch"))
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(bin())
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1764000000")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tiermatch runs");
    {
        let mut si = child.stdin.take().unwrap();
        if let Some(data) = stdin {
            // a command that refuses an input may stop reading it
            if let Err(e) = si.write_all(data) {
                assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
            }
        }
    }
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Each line of stdout as JSON.
fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `train --input INPUT --out OUT` on 3 folds, quietly, with extra arguments.
fn train_to(out: &Path, input: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "train",
        "--input",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--folds",
        "3",
        "--quiet",
    ];
    args.extend_from_slice(extra);
    run(&args, None)
}

fn train_small(dir: &Path, name: &str) -> PathBuf {
    let out = dir.join(name);
    let sops = fixtures().join("sops");
    let o = train_to(
        &out,
        &fixtures().join("train-small.jsonl"),
        &["--sops", sops.to_str().unwrap()],
    );
    assert!(o.status.success(), "train failed: {}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("3-fold cross-validation"), "{text}");
    assert!(text.contains("macro-F1"), "{text}");
    assert!(text.contains("out-of-fold calibration error"), "{text}");
    out
}

#[test]
fn train_is_deterministic_and_round_trips() {
    let d = tempfile::tempdir().unwrap();
    // The model records its command line, so both runs write to the same path.
    let a = train_small(d.path(), "a.model");
    let ba = std::fs::read(&a).unwrap();
    let b = train_small(d.path(), "a.model");
    let bb = std::fs::read(&b).unwrap();
    assert!(ba == bb, "same input and options must give the same bytes");
    // no temporary file is left beside the model
    let left: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["a.model"]);

    let m = tiermatch::Model::load(&a).unwrap();
    assert_eq!(m.labels(), ["L1", "L2", "L3"]);
    assert_eq!(m.sop_index().len(), 2);
    assert_eq!(m.meta().rows, 36);
    assert_eq!(m.meta().date, "2025-11-24");
    assert!(m.meta().command.starts_with("tiermatch train --input"));
    assert_eq!(m.to_bytes(), ba);

    let o = run(
        &[
            "classify",
            "--model",
            a.to_str().unwrap(),
            "my password expired, please reset it",
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["tier"], "L1");
    assert_eq!(v["sops"][0]["id"], "password-reset");
}

#[test]
fn classify_json_line_has_every_contract_field() {
    let o = run(&["classify", "Outlook won't open since this morning"], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let obj = v.as_object().unwrap();
    for k in ["tier", "confidence", "scores", "abstain", "reasons", "sops"] {
        assert!(obj.contains_key(k), "missing {k}: {v}");
    }
    assert!(["L1", "L2", "L3"].contains(&v["tier"].as_str().unwrap()));
    let conf = v["confidence"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&conf));
    let scores = v["scores"].as_object().unwrap();
    assert_eq!(scores.len(), 3);
    let sum: f64 = scores.values().map(|x| x.as_f64().unwrap()).sum();
    assert!((sum - 1.0).abs() < 1e-3, "{sum}");
    assert_eq!(scores[v["tier"].as_str().unwrap()].as_f64().unwrap(), conf);
    assert!(v["abstain"].is_boolean());
    assert!(
        v["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r.is_string())
    );
    for s in v["sops"].as_array().unwrap() {
        for k in ["id", "title", "score"] {
            assert!(s.get(k).is_some(), "sop lacks {k}: {s}");
        }
    }
}

#[test]
fn classify_jsonl_keeps_order_ids_and_reports_bad_lines() {
    let input = b"{\"id\": \"t1\", \"subject\": \"Outlook won't open\", \"body\": \"since this morning\"}\n\
{\"id\": \"t2\", \"text\": \"the whole office has no internet\"}\n\
this is not json\n\
{\"id\": \"t4\", \"priority\": 3}\n\
{\"id\": 5, \"subject\": \"\", \"body\": \"\"}\n";
    let o = run(&["classify", "--jsonl"], Some(input));
    assert_eq!(o.status.code(), Some(1), "bad lines give exit 1");
    let lines = json_lines(&o);
    assert_eq!(lines.len(), 5, "one output line per input line");
    assert_eq!(lines[0]["id"], "t1");
    assert_eq!(lines[1]["id"], "t2");
    assert_eq!(lines[2]["line"], 3);
    assert!(lines[2]["error"].as_str().unwrap().contains("JSON"));
    assert_eq!(lines[3]["line"], 4);
    assert!(lines[3]["error"].as_str().unwrap().contains("subject"));
    // an empty ticket is a clear answer, not an error
    assert_eq!(lines[4]["id"], "5");
    assert_eq!(lines[4]["abstain"], true);
    assert!(lines[4]["reasons"][0].as_str().unwrap().contains("empty"));
    let err = stderr(&o);
    assert!(err.contains("stdin:3") && err.contains("stdin:4"), "{err}");
}

#[test]
fn odd_tickets_get_answers_not_panics() {
    let o = run(&["classify", ""], None);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["abstain"], true);

    let mut junk: Vec<u8> = (0..=255u8).cycle().take(64 * 1024).collect();
    junk.extend_from_slice(b"\xff\xfe\x00printer");
    let o = run(&["classify"], Some(&junk));
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_str::<serde_json::Value>(stdout(&o).trim()).unwrap();

    let big = "the printer on floor two is jammed again ".repeat(26_000); // ~1 MB
    let line = serde_json::json!({"id": "big", "body": big}).to_string() + "\n";
    let t = std::time::Instant::now();
    let o = run(&["classify", "--jsonl"], Some(line.as_bytes()));
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["id"], "big");
    assert!(t.elapsed().as_secs_f64() < 5.0);
}

#[test]
fn eval_prints_table_and_json() {
    let input = fixtures().join("train-small.jsonl");
    let o = run(&["eval", "--input", input.to_str().unwrap()], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let t = stdout(&o);
    for needle in [
        "accuracy",
        "macro-F1",
        "precision",
        "recall",
        "confusion",
        "abstains",
        "expected calibration error",
    ] {
        assert!(t.contains(needle), "{needle} missing in {t}");
    }
    let o = run(
        &["eval", "--input", input.to_str().unwrap(), "--json"],
        None,
    );
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let r = &v["report"];
    assert_eq!(r["n"], 36);
    assert_eq!(r["labels"], serde_json::json!(["L1", "L2", "L3"]));
    assert_eq!(r["confusion"].as_array().unwrap().len(), 3);
    assert_eq!(r["per_class"].as_array().unwrap().len(), 3);
    assert!(v["abstain_rate"].is_number() && v["answered_accuracy"].is_number());
    let c = &v["calibration"];
    let ece = c["ece"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&ece), "{c}");
    let bins = c["bins"].as_array().unwrap();
    let n: u64 = bins.iter().map(|b| b["n"].as_u64().unwrap()).sum();
    assert_eq!(n, 36, "every answer is in one bin: {c}");
    for b in bins {
        for field in ["from", "to", "confidence", "accuracy"] {
            assert!(b[field].is_number(), "{field} missing in {b}");
        }
    }
}

#[test]
fn bad_inputs_name_their_cause() {
    let d = tempfile::tempdir().unwrap();
    let csv = d.path().join("t.csv");
    let out = d.path().join("m.model");
    let train = |path: &Path| train_to(&out, path, &[]);
    std::fs::write(&csv, "subject,body,priority\na,b,1\n").unwrap();
    let o = train(&csv);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("missing column \"tier (or label)\""),
        "{}",
        stderr(&o)
    );

    std::fs::write(&csv, "subject,tier\na,L1\nb,L2,extra\n").unwrap();
    let o = train(&csv);
    assert!(stderr(&o).contains("t.csv:3:"), "{}", stderr(&o));

    std::fs::write(&csv, "subject,tier\na,L1\nb,L1\n").unwrap();
    let o = train(&csv);
    assert!(stderr(&o).contains("at least 2"), "{}", stderr(&o));
    assert!(!out.exists(), "no model is written when training fails");

    let o = run(
        &[
            "classify",
            "--model",
            d.path().join("nope.model").to_str().unwrap(),
            "x",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("nope.model"), "{}", stderr(&o));

    let bad = d.path().join("bad.model");
    std::fs::write(&bad, b"not a model at all").unwrap();
    let o = run(&["classify", "--model", bad.to_str().unwrap(), "x"], None);
    assert!(
        stderr(&o).contains("not a tiermatch model file"),
        "{}",
        stderr(&o)
    );

    let sops = d.path().join("sops");
    std::fs::create_dir(&sops).unwrap();
    std::fs::write(
        sops.join("x.md"),
        "---\nid: x\ntitle: t\ntier: L1\naudience: everyone\n---\n",
    )
    .unwrap();
    let o = run(
        &[
            "train",
            "--input",
            fixtures().join("train-small.jsonl").to_str().unwrap(),
            "--sops",
            sops.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        None,
    );
    assert!(
        stderr(&o).contains("x.md") && stderr(&o).contains("audience"),
        "{}",
        stderr(&o)
    );

    let small = fixtures().join("train-small.jsonl");
    for (flag, value) in [("--max-features", "lots"), ("--nb-alpha", "none")] {
        let o = run(
            &[
                "train",
                "--input",
                small.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                flag,
                value,
            ],
            None,
        );
        assert_eq!(o.status.code(), Some(1));
        assert!(
            stderr(&o).contains(flag) && stderr(&o).contains(value),
            "{}",
            stderr(&o)
        );
    }
    assert!(
        !out.exists(),
        "no model is written when the options are wrong"
    );
}

/// The bundled model's answers for `tests/fixtures/parity.jsonl` are the committed golden file,
/// which the wasm parity test (tests/wasm_api.rs) also compares the browser build against.
#[test]
fn classify_matches_the_parity_golden_file() {
    let input = std::fs::read(fixtures().join("parity.jsonl")).unwrap();
    let golden = std::fs::read_to_string(fixtures().join("parity-expected.jsonl")).unwrap();
    let out = run(&["classify", "--jsonl"], Some(&input));
    assert!(out.status.success(), "{}", stderr(&out));
    let got = stdout(&out);
    if got != golden {
        let first = got
            .lines()
            .zip(golden.lines())
            .position(|(g, w)| g != w)
            .unwrap_or_else(|| got.lines().count().min(golden.lines().count()));
        panic!(
            "classify --jsonl differs from tests/fixtures/parity-expected.jsonl from line {}:\n  \
             now:    {}\n  golden: {}\nIf the change is intended (a retrained model, a new \
             answer), regenerate it:\n  cargo run --release --bin tiermatch -- classify --jsonl \
             < tests/fixtures/parity.jsonl > tests/fixtures/parity-expected.jsonl",
            first + 1,
            got.lines().nth(first).unwrap_or("(no line)"),
            golden.lines().nth(first).unwrap_or("(no line)"),
        );
    }
}

#[test]
fn untrainable_label_columns_are_refused_with_what_to_do() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("m.model");
    let small = std::fs::read_to_string(fixtures().join("train-small.jsonl")).unwrap();
    // a label per ticket: the id column given as the label
    let ids: String = small
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["id"] = format!("T-{i}").into();
            format!("{v}\n")
        })
        .collect();
    let input = d.path().join("ids.jsonl");
    std::fs::write(&input, &ids).unwrap();
    let train = |extra: &[&str]| {
        let mut args = vec!["train", "--input", input.to_str().unwrap()];
        args.extend(["--out", out.to_str().unwrap(), "--folds", "3", "--quiet"]);
        args.extend(extra);
        run(&args, None)
    };
    let o = train(&["--label-column", "id"]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("36 of the 36 labels have a single ticket") && e.contains("merge labels"),
        "{e}"
    );
    assert!(!out.exists());
    // three stragglers beside the tiers: refused, and --min-label-count 2 folds them
    let mut rows = small.clone();
    for (i, label) in ["billing", "facilities", "legal"].iter().enumerate() {
        rows += &format!(
            "{{\"subject\":\"odd request number {i}\",\"body\":\"\",\"tier\":\"{label}\"}}\n"
        );
    }
    std::fs::write(&input, rows).unwrap();
    let o = train(&[]);
    let e = stderr(&o);
    assert!(
        e.contains("3 of the 6 labels have a single ticket") && e.contains("--min-label-count 2"),
        "{e}"
    );
    assert!(!out.exists());
    let o = train(&["--min-label-count", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let m = tiermatch::Model::load(&out).unwrap();
    assert_eq!(m.labels(), ["L1", "L2", "L3", "other"]);
}

#[test]
fn hidden_characters_do_not_hide_the_security_cue() {
    let classify = |text: &str| stdout(&run(&["classify", text], None));
    let clean = classify("our files got ransomware overnight");
    assert!(
        clean.contains(r#""security cue: \"ransomware\"""#),
        "{clean}"
    );
    for hidden in ["\u{ad}", "\u{200b}", "\u{200d}", "\u{2060}", "\u{feff}"] {
        let text = format!("our files got ran{hidden}som{hidden}ware overnight");
        assert_eq!(classify(&text), clean, "{hidden:?}");
    }
}

#[test]
fn exports_in_windows_1252_and_utf16_are_read() {
    let d = tempfile::tempdir().unwrap();
    let cp1252 = d.path().join("psa.csv");
    std::fs::write(
        &cp1252,
        b"subject,body,tier\r\nDrucker im B\xfcro,druckt nicht,L1\r\nServer \x96 alle Nutzer,seit 8 Uhr,L3\r\n",
    )
    .unwrap();
    let eval = |path: &Path, extra: &[&str]| {
        let mut args = vec!["eval", "--input", path.to_str().unwrap(), "--json"];
        args.extend(extra);
        run(&args, None)
    };
    let o = eval(&cp1252, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("not valid UTF-8") && stderr(&o).contains("--encoding"),
        "{}",
        stderr(&o)
    );
    let o = eval(&cp1252, &["--encoding", "windows-1252"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["report"]["n"], 2, "{v}");
    let o = eval(&cp1252, &["--encoding", "ebcdic-klingon"]);
    assert!(stderr(&o).contains("unknown encoding"), "{}", stderr(&o));
    // what Excel writes as "Unicode text": UTF-16 LE with a byte-order mark
    let text = "subject,body,tier\r\nDrucker im Büro,druckt nicht,L1\r\n";
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let p = d.path().join("excel.csv");
    std::fs::write(&p, utf16).unwrap();
    let o = eval(&p, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// The names in a folder, sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[cfg(unix)]
#[test]
fn out_never_replaces_what_is_not_a_model_file() {
    use std::os::unix::fs::FileTypeExt;
    let d = tempfile::tempdir().unwrap();
    let small = fixtures().join("train-small.jsonl");

    // a fifo stands in for /dev/null: a special file must stay what it is
    let fifo = d.path().join("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let o = train_to(&fifo, &small, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
    let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(kind.is_fifo(), "the fifo was replaced");

    // a symlink is refused, and neither it nor what it points to changes
    let victim = d.path().join("victim.txt");
    std::fs::write(&victim, "keep me").unwrap();
    let link = d.path().join("link.model");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let o = train_to(&link, &small, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("symbolic link"), "{}", stderr(&o));
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");

    // a folder
    let dir = d.path().join("folder");
    std::fs::create_dir(&dir).unwrap();
    let o = train_to(&dir, &small, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
    assert!(dir.is_dir());

    // a folder that does not exist
    let o = train_to(&d.path().join("nowhere/m.model"), &small, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("nowhere"), "{}", stderr(&o));

    // nothing was trained for nothing, and no temporary file is left
    assert_eq!(
        names_in(d.path()),
        ["fifo", "folder", "link.model", "victim.txt"]
    );
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
}

#[test]
fn out_never_overwrites_an_input() {
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let tickets = data.join("t.jsonl");
    let original = std::fs::read(fixtures().join("train-small.jsonl")).unwrap();
    std::fs::write(&tickets, &original).unwrap();
    let sops = d.path().join("sops");
    std::fs::create_dir(&sops).unwrap();
    for e in std::fs::read_dir(fixtures().join("sops")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), sops.join(e.file_name())).unwrap();
    }
    let sop_names = names_in(&sops);
    let sops_arg = ["--sops", sops.to_str().unwrap()];

    // the input file itself, also spelt another way
    let other_spelling = data.join("../data/./t.jsonl");
    for (out, input, why) in [
        (&tickets, &tickets, "is one of the inputs"),
        (&other_spelling, &tickets, "is one of the inputs"),
        (&tickets, &data, "is inside an input folder"),
    ] {
        let o = train_to(out, input, &sops_arg);
        assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
        assert!(stderr(&o).contains(why), "{}", stderr(&o));
    }
    // a new file inside the --input folder or the --sops folder
    for out in [data.join("m.model"), sops.join("m.model")] {
        let o = train_to(&out, &data, &sops_arg);
        assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
        assert!(stderr(&o).contains("inside"), "{}", stderr(&o));
        assert!(!out.exists());
    }
    // an existing SOP file
    let sop_file = sops.join(&sop_names[0]);
    let before = std::fs::read(&sop_file).unwrap();
    let o = train_to(&sop_file, &tickets, &sops_arg);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read(&sop_file).unwrap(), before);

    assert_eq!(std::fs::read(&tickets).unwrap(), original);
    assert_eq!(names_in(&data), ["t.jsonl"]);
    assert_eq!(names_in(&sops), sop_names);

    // beside the inputs is fine
    let o = train_to(&d.path().join("m.model"), &data, &sops_arg);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn an_oversized_jsonl_line_is_answered_and_skipped() {
    let good = |id: &str| {
        serde_json::json!({"id": id, "subject": "printer jammed", "body": "paper stuck"})
            .to_string()
    };
    let huge = "x".repeat(20 * 1024 * 1024);
    let input = format!(
        "{}\n{{\"id\": \"huge\", \"body\": \"{huge}\"}}\n{}\n",
        good("a"),
        good("b")
    );
    let o = run(&["classify", "--jsonl"], Some(input.as_bytes()));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let lines = json_lines(&o);
    assert_eq!(lines.len(), 3, "one output line per input line");
    assert_eq!(lines[0]["id"], "a");
    assert_eq!(lines[1]["line"], 2);
    assert!(
        lines[1]["error"].as_str().unwrap().contains("MiB"),
        "{}",
        lines[1]
    );
    assert_eq!(lines[2]["id"], "b");
    assert!(stderr(&o).contains("stdin:2"), "{}", stderr(&o));

    // an oversized last line without its newline
    let input = format!("{}\n{huge}", good("a"));
    let o = run(&["classify", "--jsonl"], Some(input.as_bytes()));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[1].contains("\"line\":2"), "{}", lines[1]);

    // one ticket on stdin: refused, not held whole
    let o = run(&["classify"], Some(huge.as_bytes()));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("longer than 4 MiB"), "{}", stderr(&o));
}

#[test]
fn train_imports_markdown_and_html_articles_without_front_matter() {
    let d = tempfile::tempdir().unwrap();
    let kb = d.path().join("kb");
    std::fs::create_dir(&kb).unwrap();
    std::fs::write(
        kb.join("Outlook Profile Rebuild.md"),
        "# Rebuild a broken Outlook profile\n\nUse when Outlook hangs on the loading profile \
         screen or will not open.\n",
    )
    .unwrap();
    std::fs::write(
        kb.join("VPN_Error_809.html"),
        "<html><head><title>KB</title><script>var vpn = 1;</script></head><body>\
         <h1>VPN error 809 &amp; the VPN client</h1>\
         <p>The VPN client fails with error&nbsp;809 after a reinstall.</p></body></html>",
    )
    .unwrap();
    std::fs::copy(
        fixtures().join("sops/printer-queue.md"),
        kb.join("printer-queue.md"),
    )
    .unwrap();
    let model = d.path().join("kb.model");
    let o = train_to(
        &model,
        &fixtures().join("train-small.jsonl"),
        &[
            "--sops",
            kb.to_str().unwrap(),
            "--sop-audience",
            "client",
            "--sop-tier",
            "L2",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let m = tiermatch::Model::load(&model).unwrap();
    let sops = m.sop_index().sops();
    let ids: Vec<&str> = sops.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        ["outlook-profile-rebuild", "vpn-error-809", "printer-queue"]
    );
    let vpn = &sops[1];
    assert_eq!(vpn.title, "VPN error 809 & the VPN client");
    assert_eq!(
        (vpn.tier.as_str(), vpn.audience),
        ("L2", tiermatch::Audience::Client)
    );
    assert_eq!(vpn.url, None);
    assert!(!vpn.summary.contains("var vpn"), "{}", vpn.summary);
    // the front-matter file keeps its own tier
    assert_eq!(sops[2].tier, "L1");

    for (ticket, want) in [
        ("vpn fails with error 809 on my laptop", "vpn-error-809"),
        (
            "outlook hangs on loading profile",
            "outlook-profile-rebuild",
        ),
    ] {
        let o = run(
            &["classify", "--model", model.to_str().unwrap(), ticket],
            None,
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
        assert_eq!(v["sops"][0]["id"], want, "{ticket}: {v}");
    }

    // an article without a heading is refused, naming the file and what is missing
    std::fs::write(kb.join("notes.md"), "just some text\n").unwrap();
    let o = train_to(
        &d.path().join("x.model"),
        &fixtures().join("train-small.jsonl"),
        &["--sops", kb.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("notes.md") && stderr(&o).contains("no '# ' heading"),
        "{}",
        stderr(&o)
    );
    assert!(!d.path().join("x.model").exists());
}
