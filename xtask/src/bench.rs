//! `cargo xtask bench`: the figures the issues ask for, measured in one run and printed.
//!
//! 1. the trainer on the real 74-group routing benchmark, beside the peers (scikit-learn
//!    TF-IDF + LinearSVC, fastText) run from benches/peers.py in a venv this step makes;
//! 2. the bundled model on the rubric-labelled dev set (macro-F1, L3 recall, abstain rate);
//! 3. `classify --jsonl` end to end over the 7,849 routing tickets;
//! 4. criterion: classify one ~500-character ticket with SOP search, and SOP search over the
//!    Microsoft KB corpora;
//! 5. the browser: sizes and timings in headless Chromium;
//! 6. training at scale: MSP exports of 10,000, 100,000 and 1,000,000 tickets made by
//!    `cargo xtask export`, each trained with its wall time and peak memory.
//! 7. a real page: what tiermatch adds to Request Tracker's self-service create page (load event,
//!    keystroke response, longest main-thread task).

use crate::cmd::run_in;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

fn tiermatch(root: &Path) -> std::path::PathBuf {
    root.join("target/release/tiermatch")
}

fn output(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The number at `path` in a JSON document (NaN when it is not there).
fn json_f64(v: &str, path: &[&str]) -> f64 {
    let mut node: serde_json::Value = match serde_json::from_str(v.trim()) {
        Ok(n) => n,
        Err(_) => return f64::NAN,
    };
    for key in path {
        node = match node.get_mut(*key) {
            Some(n) => n.take(),
            None => return f64::NAN,
        };
    }
    node.as_f64().unwrap_or(f64::NAN)
}

/// Accuracy and macro-F1 from `tiermatch eval --json`.
fn eval_figures(ev: &str) -> (f64, f64) {
    (
        json_f64(ev, &["report", "accuracy"]),
        json_f64(ev, &["report", "macro_f1"]),
    )
}

/// Runs every benchmark and prints the figures.
pub fn bench(root: &Path) -> Result<(), String> {
    run_in(
        root,
        Command::new(env!("CARGO")).args(["build", "--release", "--bin", "tiermatch"]),
    )?;
    let shared = root.join("../shared/data");
    let bench_dir = root.join("target/bench");
    std::fs::create_dir_all(&bench_dir).map_err(|e| e.to_string())?;
    let mut report = String::new();

    // 1. routing benchmark
    let train = shared.join("bench/ata-routing-train.csv");
    let test = shared.join("bench/ata-routing-test.csv");
    if train.exists() {
        let model = bench_dir.join("routing.model");
        let t = Instant::now();
        output(Command::new(tiermatch(root)).args([
            "train",
            "--input",
            train.to_str().unwrap(),
            "--label-column",
            "label",
            "--out",
            model.to_str().unwrap(),
            "--quiet",
        ]))?;
        let secs = t.elapsed().as_secs_f64();
        let ev = output(Command::new(tiermatch(root)).args([
            "eval",
            "--model",
            model.to_str().unwrap(),
            "--input",
            test.to_str().unwrap(),
            "--label-column",
            "label",
            "--json",
        ]))?;
        let (accuracy, macro_f1) = eval_figures(&ev);
        report.push_str(&format!(
            "routing benchmark (74 groups, train 6,519 / test 1,330)\n  tiermatch (default trainer; naive Bayes at 71 labels): accuracy {:.3}  macro-F1 {:.3}  train {:.1} s (5-fold CV included)\n",
            accuracy,
            macro_f1,
            secs
        ));
        match peers(root) {
            Ok(lines) => report.push_str(&lines),
            Err(e) => report.push_str(&format!("  peers not run: {e}\n")),
        }

        // 3. classify --jsonl end to end over train + test tickets
        let mut input = String::new();
        for f in [&train, &test] {
            let text = std::fs::read_to_string(f).map_err(|e| e.to_string())?;
            input.push_str(&csv_to_jsonl(&text));
        }
        let n = input.lines().count();
        let t = Instant::now();
        let mut child = Command::new(tiermatch(root))
            .args(["classify", "--jsonl"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?;
        {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .map_err(|e| e.to_string())?;
        }
        child.wait().map_err(|e| e.to_string())?;
        report.push_str(&format!(
            "classify --jsonl, bundled model: {n} tickets in {:.3} s end to end\n",
            t.elapsed().as_secs_f64()
        ));
    } else {
        report.push_str("routing benchmark skipped: ../shared/data/bench is missing\n");
    }

    // 2. dev set
    let dev = shared.join("eval/ata-tier-dev.jsonl");
    if dev.exists() {
        let judged = shared.join("eval/ata-sop-dev.jsonl");
        let mut eval = Command::new(tiermatch(root));
        eval.args(["eval", "--input", dev.to_str().unwrap()]);
        if judged.exists() {
            eval.arg("--sop-judgements").arg(&judged);
        }
        let table = output(&mut eval)?;
        report.push_str(
            "bundled model on ata-tier-dev.jsonl (385 real tickets; SOPs judged on 200):\n",
        );
        for l in table.lines() {
            report.push_str(&format!("  {l}\n"));
        }
    }

    // 4. criterion
    run_in(
        root,
        Command::new(env!("CARGO")).args(["bench", "--bench", "classify"]),
    )?;

    // 5. browser
    match crate::suites::bench_web(root) {
        Ok(s) => report.push_str(&s),
        Err(e) => report.push_str(&format!("browser benchmark failed: {e}\n")),
    }

    // 6. training at scale
    match train_at_scale(root, &bench_dir) {
        Ok(s) => report.push_str(&s),
        Err(e) => report.push_str(&format!("training at scale failed: {e}\n")),
    }

    // 7. a real page: Request Tracker's self-service create page with and without tiermatch
    match crate::suites::bench_portal(root) {
        Ok(s) => report.push_str(&s),
        Err(e) => report.push_str(&format!("portal benchmark failed: {e}\n")),
    }
    println!("\n==== tiermatch bench ====\n{report}");
    Ok(())
}

/// Export sizes trained by [`train_at_scale`].
const SCALE_TICKETS: [usize; 3] = [10_000, 100_000, 1_000_000];

/// What one training run cost, as GNU time measures a child.
struct Cost {
    wall: f64,
    cpu: f64,
    peak_mb: f64,
}

/// Runs `cmd` under `/usr/bin/time` and reads its wall time, CPU time and peak resident memory.
fn timed(cmd: &[&str]) -> Result<Cost, String> {
    let out = Command::new("/usr/bin/time")
        .args(["-f", "tmcost %e %U %S %M"])
        .args(cmd)
        .stdout(Stdio::null())
        .output()
        .map_err(|e| format!("cannot start /usr/bin/time (Debian package `time`): {e}"))?;
    let err = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("{cmd:?} failed: {err}"));
    }
    let line = err
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("tmcost "))
        .ok_or_else(|| format!("no timing from /usr/bin/time: {err}"))?;
    let f: Vec<f64> = line
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(f64::NAN))
        .collect();
    match f[..] {
        [wall, user, sys, kb] => Ok(Cost {
            wall,
            cpu: user + sys,
            peak_mb: kb / 1024.0,
        }),
        _ => Err(format!("unreadable timing {line:?}")),
    }
}

/// Trains on exports of [`SCALE_TICKETS`] tickets (made here from the project corpus), the
/// largest also with the SOP library, and prints time and peak memory of each.
fn train_at_scale(root: &Path, dir: &Path) -> Result<String, String> {
    let bin = tiermatch(root);
    let sops = root.join("model/sops");
    let mut out = String::from(
        "training at scale (exports made by `cargo xtask export`; wall / CPU time, peak memory)\n",
    );
    for &n in &SCALE_TICKETS {
        let csv = dir.join(format!("export-{n}.csv"));
        crate::export::write_export(root, n, 13, &csv)?;
        let model = dir.join(format!("export-{n}.model"));
        let (csv_s, model_s) = (csv.to_str().unwrap(), model.to_str().unwrap());
        let mut runs = vec![(
            "",
            vec!["train", "--input", csv_s, "--out", model_s, "--quiet"],
        )];
        if n == SCALE_TICKETS[SCALE_TICKETS.len() - 1] {
            let mut with = runs[0].1.clone();
            with.extend(["--sops", sops.to_str().unwrap()]);
            runs.push((" with --sops", with));
        }
        for (what, args) in runs {
            let mut cmd = vec![bin.to_str().unwrap()];
            cmd.extend(args);
            let c = timed(&cmd)?;
            out.push_str(&format!(
                "  {n:>9} tickets{what}: {:.1} s wall, {:.1} s CPU, peak {:.0} MB ({:.2} KB a ticket)\n",
                c.wall,
                c.cpu,
                c.peak_mb,
                c.peak_mb * 1024.0 / n as f64
            ));
        }
        let _ = std::fs::remove_file(&csv);
    }
    Ok(out)
}

/// Runs benches/peers.py in a venv under target/bench (scikit-learn, fasttext-wheel).
fn peers(root: &Path) -> Result<String, String> {
    let venv = root.join("target/bench/venv");
    let py = venv.join("bin/python");
    if !py.exists() {
        run_in(
            root,
            Command::new("python3").args(["-m", "venv", venv.to_str().unwrap()]),
        )?;
        run_in(
            root,
            Command::new(&py).args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "scikit-learn",
                "fasttext-wheel",
                "numpy<2",
            ]),
        )?;
    }
    output(
        Command::new(&py)
            .arg(root.join("benches/peers.py"))
            .current_dir(root),
    )
}

/// The routing CSV (id, subject, body, label) as JSON lines, with a minimal CSV reader.
fn csv_to_jsonl(text: &str) -> String {
    let mut out = String::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut header = true;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            '\n' if !quoted => {
                fields.push(std::mem::take(&mut field));
                if !header && fields.len() >= 3 {
                    out.push_str(&format!(
                        "{{\"id\":{},\"subject\":{},\"body\":{}}}\n",
                        js(&fields[0]),
                        js(&fields[1]),
                        js(&fields[2])
                    ));
                }
                header = false;
                fields.clear();
            }
            '\r' if !quoted => {}
            _ => field.push(c),
        }
    }
    out
}

fn js(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

#[cfg(test)]
mod tests {
    use super::{eval_figures, json_f64};

    #[test]
    fn json_paths_reach_the_nested_key() {
        // `eval --json` as serde_json writes it: keys sorted, so the calibration bins (with their
        // own "accuracy") come before the report
        let ev = r#"{"abstain_rate":0.5,"answered_accuracy":0.7,"calibration":{"bins":[{"accuracy":0.25,"n":3}],"ece":0.1},"report":{"accuracy":0.64,"macro_f1":0.29}}"#;
        assert_eq!(eval_figures(ev), (0.64, 0.29));
        assert_eq!(json_f64(ev, &["calibration", "ece"]), 0.1);
        assert!(json_f64(ev, &["missing"]).is_nan());
        // a key missing where the path says does not match one elsewhere
        assert!(json_f64(ev, &["calibration", "accuracy"]).is_nan());
        assert!(json_f64("not json", &["report"]).is_nan());
    }
}
