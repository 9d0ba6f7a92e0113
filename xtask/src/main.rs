//! `cargo xtask serve | test | build-web | bench`: the project's one entry point.

mod bench;
mod web;

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the repository")
        .to_path_buf()
}

const USAGE: &str = "usage: cargo xtask <command>

  serve [ADDR]   build the WASM and the pages, serve www/ on 127.0.0.1:8080 (or ADDR), print the URL
  test           every test: native, wasm (node), browser end-to-end; ends with \"N passed, N failed\"
  build-web      build only: www/pkg/ (wasm, JS glue, .d.ts, package.json) and www/model/
  bench          benchmarks and side-by-side peer runs; prints the figures";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = root();
    let result = match args.first().map(String::as_str) {
        Some("serve") => web::build_web(&root).and_then(|_| {
            web::serve(
                &root,
                args.get(1).map(String::as_str).unwrap_or("127.0.0.1:8080"),
            )
        }),
        Some("build-web") => web::build_web(&root),
        Some("test") => test(&root),
        Some("bench") => bench::bench(&root),
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    if let Err(e) = result {
        eprintln!("xtask: {e}");
        std::process::exit(1);
    }
}

/// Runs a command in the repository root, inheriting output; fails on a non-zero exit.
pub fn run(root: &Path, cmd: &mut Command) -> Result<(), String> {
    eprintln!("xtask: running {cmd:?}");
    web::run(cmd.current_dir(root))
}

fn test(root: &Path) -> Result<(), String> {
    eprintln!("xtask: native tests (cargo test --release), the library's and this tool's own");
    let out = Command::new(env!("CARGO"))
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
    let (mut passed, mut failed) = web::cargo_counts(&text).unwrap_or((0, 0));
    let doc = Command::new(env!("CARGO"))
        .args(["test", "--release", "--package", "tiermatch", "--doc"])
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run cargo test --doc: {e}"))?;
    let doc_text = String::from_utf8_lossy(&doc.stdout).into_owned();
    print!("{doc_text}");
    let (p, f) = web::cargo_counts(&doc_text).unwrap_or((0, 0));
    passed += p;
    failed += f;
    let native_ok = out.status.success() && doc.status.success();
    if !native_ok && failed == 0 {
        failed += 1;
        eprintln!("xtask: native tests did not run to completion");
    }
    match web::test_web(root) {
        Ok((p, f)) => {
            passed += p;
            failed += f;
        }
        Err(e) => {
            eprintln!("xtask: web tests failed to run: {e}");
            failed += 1;
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        Err(format!("{failed} test(s) failed"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::web::cargo_counts;

    #[test]
    fn counts_cargo_summaries() {
        let out = "running 3 tests\ntest result: ok. 3 passed; 0 failed; 0 ignored\n\
                   test result: FAILED. 5 passed; 2 failed; 1 ignored; 0 measured\n";
        assert_eq!(cargo_counts(out), Some((8, 2)));
    }
}
