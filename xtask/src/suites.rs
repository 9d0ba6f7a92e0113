//! `cargo xtask test [portal]`: every suite (native, wasm under node, the browser end to end, the
//! real portal) run in one go and summed into one "N passed, N failed" line, or the portal suite
//! alone; and the browser benchmarks that share their setup.

use crate::build::build_web;
use crate::cmd::{cargo, e2e_dir, say, target_dir};
use crate::install::{cargo_tool, ensure_chromium, ensure_request_tracker};
use crate::rt::RtInstance;
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

/// Which suites `cargo xtask test` runs.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Suites {
    /// Native, wasm under node, browser, portal.
    All,
    /// Only the real-portal suite (Request Tracker).
    Portal,
}

/// Adds a suite's counts to `total`; a suite that could not run counts as one failure.
fn tally(total: &mut Counts, what: &str, counts: Result<Counts, String>) {
    match counts {
        Ok(c) => *total += c,
        Err(e) => {
            eprintln!("xtask: {what} failed to run: {e}");
            total.failed += 1;
        }
    }
}

/// Runs the suites and prints "N passed, N failed"; an error when any test failed or a suite
/// could not run.
pub(crate) fn test(root: &Path, suites: Suites) -> Result<(), String> {
    let mut total = Counts::default();
    if suites == Suites::All {
        total += native(root)?;
        tally(&mut total, "web tests", web(root));
    } else {
        tally(
            &mut total,
            "web build",
            build_web(root).map(|_| Counts::default()),
        );
    }
    tally(&mut total, "the portal suite", portal(root));
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

/// The `*.test.mjs` files of a folder, sorted.
fn test_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    files.sort();
    Ok(files)
}

/// The browser end-to-end suite (`tests/e2e/*.test.mjs`) in Debian's Chromium against `www/`
/// served on 127.0.0.1, counted from its TAP report.
fn browser(root: &Path) -> Result<Counts, String> {
    say("running the browser end-to-end suite (node --test, playwright-core, Chromium)");
    let server = start_server(&root.join("www"), "127.0.0.1:0", false)?;
    let dir = e2e_dir(root);
    let mut cmd = Command::new("node");
    cmd.env("TIERMATCH_BASE_URL", server.url())
        .env("TIERMATCH_CSP", CSP);
    let counts = node_tests(root, cmd, &test_files(&dir)?, "e2e-results.tap");
    drop(server);
    counts
}

/// The real-portal suite (`tests/e2e/portal/*.test.mjs`): Request Tracker 5 with the extension
/// of `integrations/request-tracker/`, started for the suite on 127.0.0.1 and stopped after it,
/// driven in Debian's Chromium; the CLI gives the answers the ticket's fields must hold.
fn portal(root: &Path) -> Result<Counts, String> {
    say("building the CLI the portal suite compares with (cargo build --release --bin tiermatch)");
    crate::cmd::run(Command::new(cargo()).current_dir(root).args([
        "build",
        "--release",
        "--bin",
        "tiermatch",
    ]))?;
    let dir = e2e_dir(root).join("portal");
    let rt = start_rt(root)?;
    say(
        "running the portal suite against Request Tracker (node --test, playwright-core, Chromium)",
    );
    let mut cmd = Command::new("node");
    cmd.env("TIERMATCH_RT_URL", rt.url())
        .env("TIERMATCH_CLI", target_dir(root).join("release/tiermatch"));
    let counts = node_tests(root, cmd, &test_files(&dir)?, "portal-results.tap");
    drop(rt);
    counts
}

/// Chromium and Request Tracker installed, and a throw-away RT with the extension and the portal
/// suite's client (tests/e2e/portal/rt-testdata.pm) running.
fn start_rt(root: &Path) -> Result<RtInstance, String> {
    ensure_chromium()?;
    ensure_request_tracker()?;
    RtInstance::start(root, &[e2e_dir(root).join("portal/rt-testdata.pm")])
}

/// Runs node's test runner over `files` (from `tests/e2e/`, where the npm tools are), echoing its
/// spec report, and counts its TAP report (`target/TAP_NAME`).
fn node_tests(
    root: &Path,
    mut cmd: Command,
    files: &[PathBuf],
    tap_name: &str,
) -> Result<Counts, String> {
    let tap = target_dir(root).join(tap_name);
    let _ = std::fs::remove_file(&tap);
    cmd.current_dir(e2e_dir(root))
        .arg("--test")
        .arg("--test-reporter=spec")
        .arg("--test-reporter-destination=stdout")
        .arg("--test-reporter=tap")
        .arg(format!("--test-reporter-destination={}", tap.display()))
        .args(files);
    run_echo(&mut cmd)?;
    let tap_text = std::fs::read_to_string(&tap).unwrap_or_default();
    let count = |key: &str| {
        tap_text
            .lines()
            .filter_map(|l| l.strip_prefix(key))
            .filter_map(|n| n.trim().parse::<usize>().ok())
            .next_back()
    };
    // a test cancelled (its hook failed, or it outlived its parent) did not pass: a failure
    match (count("# pass"), count("# fail"), count("# cancelled")) {
        (Some(passed), Some(failed), cancelled) => Ok(Counts {
            passed,
            failed: failed + cancelled.unwrap_or(0),
        }),
        _ => Err(format!("{} printed no result (see above)", tap.display())),
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

/// What tiermatch costs on Request Tracker's self-service create page (tests/e2e/portal/rt-bench.mjs):
/// the page with and without tiermatch, cold and alternating, on a throw-away RT.
pub(crate) fn bench_portal(root: &Path) -> Result<String, String> {
    build_web(root)?;
    let rt = start_rt(root)?;
    say(
        "measuring Request Tracker's self-service page with and without tiermatch (tests/e2e/portal/rt-bench.mjs)",
    );
    let out = Command::new("node")
        .current_dir(e2e_dir(root))
        .env("TIERMATCH_RT_URL", rt.url())
        .arg("portal/rt-bench.mjs")
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run node: {e}"))?;
    drop(rt);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(text)
    } else {
        Err(format!(
            "the portal benchmark failed ({}):\n{text}",
            out.status
        ))
    }
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
