//! Installs the tools the web build and the browser tests need when they are missing, and says so,
//! so that `cargo xtask` works on a fresh machine: the `wasm32-unknown-unknown` target (rustup),
//! `wasm-bindgen-cli` at the version the crate pins (cargo install), the npm tools of
//! `tests/e2e/package.json` (`npm ci`: binaryen's `wasm-opt`, `playwright-core`), Debian's
//! `chromium` and Debian's Request Tracker 5 (apt-get, when running as root).

use crate::cmd::{cargo, e2e_dir, output, run, say};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The wasm-bindgen version `Cargo.toml` pins; the CLI must match it exactly.
const WASM_BINDGEN_VERSION: &str = "0.2.130";
/// The binaryen (wasm-opt) major version `tests/e2e/package.json` pins.
const WASM_OPT_VERSION: &str = "version 132";
/// Debian's Chromium, which playwright-core drives.
const CHROMIUM: &str = "/usr/bin/chromium";

/// A cargo-installed tool: on PATH, else in `$CARGO_HOME/bin`, else `~/.cargo/bin`.
pub(crate) fn cargo_tool(name: &str) -> PathBuf {
    let in_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
        .unwrap_or(false);
    if in_path {
        return PathBuf::from(name);
    }
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    match home {
        Some(h) if h.join("bin").join(name).is_file() => h.join("bin").join(name),
        _ => PathBuf::from(name),
    }
}

pub(crate) fn ensure_wasm_target() -> Result<(), String> {
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"]));
    match installed {
        Some(list) if list.lines().any(|l| l.trim() == "wasm32-unknown-unknown") => Ok(()),
        Some(_) => {
            say(
                "installing the wasm32-unknown-unknown target (rustup target add wasm32-unknown-unknown)",
            );
            run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
        }
        None => {
            say("rustup not found: assuming the wasm32-unknown-unknown target is installed");
            Ok(())
        }
    }
}

pub(crate) fn ensure_wasm_bindgen() -> Result<PathBuf, String> {
    let want = format!("wasm-bindgen {WASM_BINDGEN_VERSION}");
    let have = output(Command::new(cargo_tool("wasm-bindgen")).arg("--version"));
    if have.as_deref().map(str::trim) != Some(want.as_str()) {
        say(format!(
            "installing wasm-bindgen-cli {WASM_BINDGEN_VERSION} (found: {}); cargo install takes about 3 minutes",
            have.as_deref().unwrap_or("none")
        ));
        run(Command::new(cargo()).args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            WASM_BINDGEN_VERSION,
        ]))?;
    }
    Ok(cargo_tool("wasm-bindgen"))
}

pub(crate) fn ensure_npm_tools(root: &Path) -> Result<(), String> {
    let dir = e2e_dir(root);
    let ok = output(Command::new(wasm_opt(root)).arg("--version"))
        .is_some_and(|v| v.contains(WASM_OPT_VERSION))
        && dir
            .join("node_modules/playwright-core/package.json")
            .is_file();
    if ok {
        return Ok(());
    }
    say(
        "installing the npm tools of tests/e2e/package.json (binaryen for wasm-opt, playwright-core) with npm ci",
    );
    let ci = run(Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir));
    if ci.is_err() {
        say("npm ci failed; trying npm install");
        run(Command::new("npm")
            .args(["install", "--no-audit", "--no-fund"])
            .current_dir(&dir))?;
    }
    Ok(())
}

fn is_root() -> bool {
    output(Command::new("id").arg("-u")).as_deref() == Some("0")
}

pub(crate) fn ensure_chromium() -> Result<(), String> {
    if Path::new(CHROMIUM).exists() {
        return Ok(());
    }
    if !is_root() {
        return Err(format!(
            "{CHROMIUM} is missing; install Debian's chromium as root: apt-get install -y chromium chromium-driver"
        ));
    }
    say(
        "installing Debian's chromium (apt-get update && apt-get install -y chromium chromium-driver)",
    );
    run(Command::new("apt-get").arg("update"))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "chromium", "chromium-driver"])
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

/// Debian's Request Tracker 5 with SQLite and its standalone server, for the portal suite: about
/// 30 s of apt-get. Its own system instance is left as the package sets it up; the suite runs a
/// throw-away one (see rt.rs).
pub(crate) fn ensure_request_tracker() -> Result<(), String> {
    if Path::new(crate::rt::RT_SERVER).exists() {
        return Ok(());
    }
    let packages = ["request-tracker5", "rt5-db-sqlite", "rt5-standalone"];
    if !is_root() {
        return Err(format!(
            "{} is missing; install Debian's Request Tracker as root: apt-get install -y --no-install-recommends {}",
            crate::rt::RT_SERVER,
            packages.join(" ")
        ));
    }
    say(format!(
        "installing Debian's Request Tracker 5 for the portal suite (apt-get install --no-install-recommends {}; about 30 s)",
        packages.join(" ")
    ));
    run(Command::new("apt-get").arg("update"))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "--no-install-recommends"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

/// binaryen's `wasm-opt`, installed by [`ensure_npm_tools`].
pub(crate) fn wasm_opt(root: &Path) -> PathBuf {
    e2e_dir(root).join("node_modules/.bin/wasm-opt")
}
