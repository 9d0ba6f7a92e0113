//! `cargo xtask test`: every suite (native, wasm under node, the browser end to end) run in one
//! go and summed into one "N passed, N failed" line, and the browser benchmark that shares their
//! setup.

use crate::build::build_web;
use crate::cmd::{cargo, e2e_dir, say, target_dir};
use crate::install::{cargo_tool, ensure_chromium};
use crate::serve::{CSP, start_server};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Numbers of passed and failed tests of one or more suites.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Counts {
    passed: usize,
    failed: usize,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        self.passed += other.passed;
        self.failed += other.failed;
    }
}

/// What a command printed on stdout, and whether it succeeded.
struct Echoed {
    stdout: String,
    success: bool,
}

/// Runs a command, echoing its stdout line by line, and returns what it printed and its status.
fn run_echo(cmd: &mut Command) -> Result<Echoed, String> {
    let shown = format!("{cmd:?}");
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    let mut all = String::new();
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines() {
            let line = line.map_err(|e| e.to_string())?;
            println!("{line}");
            all.push_str(&line);
            all.push('\n');
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    Ok(Echoed {
        stdout: all,
        success: status.success(),
    })
}

/// Sums the `test result: ... N passed; M failed` lines of cargo test / wasm-bindgen-test-runner;
/// None when there is none.
fn cargo_counts(out: &str) -> Option<Counts> {
    let mut found = None;
    for line in out.lines() {
        if let Some(rest) = line.trim().strip_prefix("test result:") {
            let num = |word: &str| {
                rest.split(';')
                    .find(|p| p.trim().ends_with(word))
                    .and_then(|p| p.split_whitespace().rev().nth(1))
                    .and_then(|n| n.parse::<usize>().ok())
                    .unwrap_or(0)
            };
            let mut sum: Counts = found.unwrap_or_default();
            sum += Counts {
                passed: num("passed"),
                failed: num("failed"),
            };
            found = Some(sum);
        }
    }
    found
}

/// Runs every suite and prints "N passed, N failed"; an error when any test failed or a suite
/// could not run.
pub(crate) fn test(root: &Path) -> Result<(), String> {
    let mut total = native(root)?;
    match web(root) {
        Ok(c) => total += c,
        Err(e) => {
            eprintln!("xtask: web tests failed to run: {e}");
            total.failed += 1;
        }
    }
    println!("{} passed, {} failed", total.passed, total.failed);
    if total.failed > 0 {
        Err(format!("{} test(s) failed", total.failed))
    } else {
        Ok(())
    }
}

/// `cargo test --release` of the library and of this tool, then the library's doc tests. A run
/// that fails without a failed test (a build error) counts as one failure.
fn native(root: &Path) -> Result<Counts, String> {
    eprintln!("xtask: native tests (cargo test --release), the library's and this tool's own");
    let out = Command::new(cargo())
        .args([
            "test",
            "--release",
            "--package",
            "tiermatch",
            "--package",
            "xtask",
            "--all-targets",
            "--no-fail-fast",
        ])
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run cargo test: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    print!("{text}");
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    let mut counts = cargo_counts(&text).unwrap_or_default();
    let doc = Command::new(cargo())
        .args(["test", "--release", "--package", "tiermatch", "--doc"])
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run cargo test --doc: {e}"))?;
    let doc_text = String::from_utf8_lossy(&doc.stdout).into_owned();
    print!("{doc_text}");
    counts += cargo_counts(&doc_text).unwrap_or_default();
    if !(out.status.success() && doc.status.success()) && counts.failed == 0 {
        counts.failed += 1;
        eprintln!("xtask: native tests did not run to completion");
    }
    Ok(counts)
}

/// Builds the pages, then runs the wasm tests under node and the browser suite.
fn web(root: &Path) -> Result<Counts, String> {
    build_web(root)?;
    ensure_chromium()?;
    let mut counts = wasm_under_node(root)?;
    counts += browser(root)?;
    Ok(counts)
}

/// The wasm-bindgen tests under node (API, errors, native/WASM parity).
fn wasm_under_node(root: &Path) -> Result<Counts, String> {
    say("running the wasm tests under node (wasm-bindgen-test-runner)");
    let runner = cargo_tool("wasm-bindgen-test-runner");
    let echoed = run_echo(
        Command::new(cargo())
            .current_dir(root)
            .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", &runner)
            .args([
                "test",
                "--target",
                "wasm32-unknown-unknown",
                "--no-default-features",
                "--features",
                "wasm",
                "--test",
                "wasm_api",
            ]),
    )?;
    match cargo_counts(&echoed.stdout) {
        Some(c) => Ok(c),
        None if echoed.success => Ok(Counts::default()),
        None => Err("the wasm tests did not build or run (see above)".into()),
    }
}

/// The browser end-to-end suite (`tests/e2e/*.test.mjs`) in Debian's Chromium against `www/`
/// served on 127.0.0.1, counted from its TAP report.
fn browser(root: &Path) -> Result<Counts, String> {
    say("running the browser end-to-end suite (node --test, playwright-core, Chromium)");
    let server = start_server(&root.join("www"), "127.0.0.1:0", false)?;
    let dir = e2e_dir(root);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    files.sort();
    let tap = target_dir(root).join("e2e-results.tap");
    let mut cmd = Command::new("node");
    cmd.current_dir(&dir)
        .env("TIERMATCH_BASE_URL", server.url())
        .env("TIERMATCH_CSP", CSP)
        .arg("--test")
        .arg("--test-reporter=spec")
        .arg("--test-reporter-destination=stdout")
        .arg("--test-reporter=tap")
        .arg(format!("--test-reporter-destination={}", tap.display()))
        .args(&files);
    run_echo(&mut cmd)?;
    drop(server);
    let tap_text = std::fs::read_to_string(&tap).unwrap_or_default();
    let count = |key: &str| {
        tap_text
            .lines()
            .filter_map(|l| l.strip_prefix(key))
            .filter_map(|n| n.trim().parse::<usize>().ok())
            .next_back()
    };
    match (count("# pass"), count("# fail")) {
        (Some(passed), Some(failed)) => Ok(Counts { passed, failed }),
        _ => Err("the browser suite printed no result (see above)".into()),
    }
}

/// Measures the demo page in headless Chromium: gzipped sizes of everything it downloads and of
/// wasm + glue + model, time to the first result after navigation starts, and `classify` (with
/// SOP search) p50/p99 over the dev-set tickets, timed in the page with `performance.now()`.
pub(crate) fn bench_web(root: &Path) -> Result<String, String> {
    build_web(root)?;
    ensure_chromium()?;
    let dev = root.join("../shared/data/eval/ata-tier-dev.jsonl");
    let server = start_server(&root.join("www"), "127.0.0.1:0", false)?;
    say("measuring the demo page in headless Chromium (tests/e2e/bench.mjs)");
    let out = Command::new("node")
        .current_dir(e2e_dir(root))
        .env("TIERMATCH_BASE_URL", server.url())
        .env("TIERMATCH_DEV_SET", &dev)
        .arg("bench.mjs")
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run node: {e}"))?;
    drop(server);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        return Err(format!(
            "the browser benchmark failed ({}):\n{text}",
            out.status
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::{Counts, cargo_counts};

    #[test]
    fn sums_cargo_test_summaries() {
        let out = "running 3 tests\ntest result: ok. 7 passed; 0 failed; 0 ignored\nx\n\
                   test result: FAILED. 2 passed; 1 failed; 1 ignored; 0 measured\n";
        assert_eq!(
            cargo_counts(out),
            Some(Counts {
                passed: 9,
                failed: 1
            })
        );
        assert_eq!(cargo_counts("running 0 tests\nnothing"), None);
    }
}
