//! `cargo xtask serve | test [portal] | build-web | package-rt | bench | fuzz`: the project's one entry point.

mod bench;
mod build;
mod cmd;
mod export;
mod fuzz;
mod install;
mod rt;
mod serve;
mod suites;

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the repository")
        .to_path_buf()
}

const USAGE: &str = "usage: cargo xtask <command>

  serve [ADDR]   build the WASM and the pages, serve www/ on 127.0.0.1:8080 (or ADDR), print the URL
  test           every test: native, wasm (node), browser end-to-end, real portal; ends with
                 \"N passed, N failed\"
  test portal    only the real-portal suite (Request Tracker 5, installed when missing), same line
  package-rt [DIR]
                 build the web files and assemble the Request Tracker extension in DIR
                 (default target/rt/RT-Extension-TierMatch); see integrations/request-tracker/
  build-web      build only: www/pkg/ (wasm, JS glue, .d.ts, package.json) and www/model/
  bench          benchmarks and side-by-side peer runs; prints the figures
  export --tickets N --out FILE [--seed S]
                 an MSP's CSV export of N tickets made from the project corpus (for scale runs)
  fuzz [--minutes N]
                 the property tests (tests/properties.rs) in a loop for N minutes (default 5);
                 ends with \"fuzz: N cases in M min, F failures\", non-zero on a failure";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = root();
    let result = match args.first().map(String::as_str) {
        Some("serve") => build::build_web(&root).and_then(|_| {
            serve::serve(
                &root,
                args.get(1).map(String::as_str).unwrap_or("127.0.0.1:8080"),
            )
        }),
        Some("build-web") => build::build_web(&root),
        Some("test") => match args.get(1).map(String::as_str) {
            None => suites::test(&root, suites::Suites::All),
            Some("portal") => suites::test(&root, suites::Suites::Portal),
            Some(other) => Err(format!("unknown suite {other:?}\n{USAGE}")),
        },
        Some("package-rt") => rt::package_rt_command(&root, args.get(1).map(String::as_str)),
        Some("bench") => bench::bench(&root),
        Some("fuzz") => fuzz::fuzz(&root, &args[1..]),
        Some("export") => export::export(&root, &args[1..]),
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
