//! `cargo xtask fuzz [--minutes N]`: the property tests of `tests/properties.rs` run for as long as
//! asked (on stable Rust, no nightly fuzzer), ending with "fuzz: N cases in M min, F failures".

use crate::cmd::{cargo, run, say};
use std::path::Path;
use std::process::Command;

/// How long `cargo xtask fuzz` runs without `--minutes`.
const DEFAULT_MINUTES: f64 = 5.0;

/// The minutes asked for by `--minutes N` (or `--minutes=N`), else the default.
fn minutes(args: &[String]) -> Result<f64, String> {
    let mut it = args.iter();
    let mut found = None;
    while let Some(a) = it.next() {
        let value = match a.strip_prefix("--minutes") {
            Some("") => it.next().map(String::as_str),
            Some(rest) if rest.starts_with('=') => Some(&rest[1..]),
            _ => {
                return Err(format!(
                    "unknown argument {a:?}; usage: cargo xtask fuzz [--minutes N]"
                ));
            }
        };
        let n = value
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|n| n.is_finite() && *n > 0.0)
            .ok_or("--minutes takes a positive number, e.g. --minutes 5")?;
        found = Some(n);
    }
    Ok(found.unwrap_or(DEFAULT_MINUTES))
}

/// Runs the ignored `fuzz_until_deadline` test in release mode for the minutes asked; an error
/// (non-zero exit) when a property failed, whose input the test prints.
pub(crate) fn fuzz(root: &Path, args: &[String]) -> Result<(), String> {
    let minutes = minutes(args)?;
    let seconds = (minutes * 60.0).ceil() as u64;
    say(format!(
        "fuzzing the properties of tests/properties.rs for {minutes} min"
    ));
    run(Command::new(cargo())
        .current_dir(root)
        .env("TIERMATCH_FUZZ_SECONDS", seconds.to_string())
        .args([
            "test",
            "--release",
            "--package",
            "tiermatch",
            "--test",
            "properties",
            "--",
            "--ignored",
            "--exact",
            "fuzz_until_deadline",
            "--nocapture",
        ]))
    .map_err(|_| "fuzz: a property failed (its input is printed above)".to_string())
}

#[cfg(test)]
mod tests {
    use super::minutes;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_the_minutes() {
        assert_eq!(minutes(&args(&[])), Ok(5.0));
        assert_eq!(minutes(&args(&["--minutes", "2"])), Ok(2.0));
        assert_eq!(minutes(&args(&["--minutes=0.5"])), Ok(0.5));
        assert!(minutes(&args(&["--minutes"])).is_err());
        assert!(minutes(&args(&["--minutes", "-1"])).is_err());
        assert!(minutes(&args(&["--hours", "1"])).is_err());
    }
}
