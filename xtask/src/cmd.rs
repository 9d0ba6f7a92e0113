//! Running commands and naming the directories they work in, shared by every xtask step so each
//! reports and fails the same way.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub(crate) fn say(msg: impl AsRef<str>) {
    eprintln!("xtask: {}", msg.as_ref());
}

/// The cargo that runs xtask (`$CARGO`), else the one on PATH.
pub(crate) fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Cargo's target directory: `$CARGO_TARGET_DIR` (relative to the repository), else `target/`.
pub(crate) fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => root.join(d),
        None => root.join("target"),
    }
}

/// `tests/e2e/`, where the npm tools live (package.json + package-lock.json are committed).
pub(crate) fn e2e_dir(root: &Path) -> PathBuf {
    root.join("tests").join("e2e")
}

/// Runs a command, its output going to the terminal; an error names the command.
pub(crate) fn run(cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

/// Runs a command in the repository root, announcing it, inheriting output; fails on a non-zero
/// exit.
pub(crate) fn run_in(root: &Path, cmd: &mut Command) -> Result<(), String> {
    eprintln!("xtask: running {cmd:?}");
    run(cmd.current_dir(root))
}

/// stdout of a command, or None when it cannot run or fails.
pub(crate) fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}
