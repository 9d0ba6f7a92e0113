//! `cargo xtask build-web`: the WASM package in `www/pkg/` and the model in `www/model/`, built
//! only from inference code and optimized for size, so the pages can load them.

use crate::cmd::{cargo, output, run, say, target_dir};
use crate::install::{ensure_npm_tools, ensure_wasm_bindgen, ensure_wasm_target, wasm_opt};
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

/// `www/pkg/package.json` and `www/pkg/README.md`, with `{{version}}` standing for the crate's.
const PACKAGE_JSON: &str = include_str!("../templates/package.json");
const PACKAGE_README: &str = include_str!("../templates/README.md");

/// The `version` of the root package, read from Cargo.toml.
fn crate_version(root: &Path) -> Result<String, String> {
    let toml =
        std::fs::read_to_string(root.join("Cargo.toml")).map_err(|e| format!("Cargo.toml: {e}"))?;
    let mut in_package = false;
    for line in toml.lines() {
        let l = line.trim();
        if l.starts_with('[') {
            in_package = l == "[package]";
        } else if in_package
            && l.starts_with("version")
            && let Some(v) = l.split('"').nth(1)
        {
            return Ok(v.to_string());
        }
    }
    Err("no version in Cargo.toml's [package]".into())
}

fn mtime(p: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// Size of `bytes` compressed with `gzip -9`, when gzip is available.
fn gzip_size(bytes: &[u8]) -> Option<usize> {
    let mut child = Command::new("gzip")
        .args(["-9", "-c"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take()?;
    let data = bytes.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let mut out = Vec::new();
    child.stdout.take()?.read_to_end(&mut out).ok()?;
    writer.join().ok()?.ok()?;
    child.wait().ok()?.success().then_some(out.len())
}

fn kb(n: usize) -> String {
    format!("{:.1} KB", n as f64 / 1000.0)
}

/// Builds `www/pkg/` (wasm, JS glue, .d.ts, package.json, README.md), stamps the logo into the
/// pages and copies the bundled model to `www/model/`. Installs what is missing first, and says so.
pub(crate) fn build_web(root: &Path) -> Result<(), String> {
    ensure_wasm_target()?;
    let wasm_bindgen = ensure_wasm_bindgen()?;
    ensure_npm_tools(root)?;
    say(
        "building the WASM library (cargo build --target wasm32-unknown-unknown --profile wasm --no-default-features --features wasm)",
    );
    run(Command::new(cargo()).current_dir(root).args([
        "build",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm",
        "--no-default-features",
        "--features",
        "wasm",
        "--lib",
    ]))?;
    check_no_training_code(root)?;
    let built = target_dir(root).join("wasm32-unknown-unknown/wasm/tiermatch.wasm");
    let www = root.join("www");
    let pkg = www.join("pkg");
    let wasm_out = pkg.join("tiermatch_bg.wasm");
    let version = crate_version(root)?;
    let fresh = match (
        mtime(&built),
        mtime(&wasm_out),
        mtime(&pkg.join("package.json")),
    ) {
        (Some(b), Some(w), Some(_)) => w > b,
        _ => false,
    };
    if fresh {
        say("www/pkg is up to date");
    } else {
        say("generating the JS bindings (wasm-bindgen --target web --out-dir www/pkg)");
        let _ = std::fs::remove_dir_all(&pkg);
        run(Command::new(&wasm_bindgen)
            .args(["--target", "web", "--out-dir"])
            .arg(&pkg)
            .arg(&built))?;
        say("optimizing for size (wasm-opt -Oz)");
        let tmp = pkg.join("tiermatch_bg.opt.wasm");
        run(Command::new(wasm_opt(root))
            // the module's own memory starts zeroed: zero runs in its data need not be stored
            .args(["-Oz", "--zero-filled-memory", "--strip-producers"])
            .arg(&wasm_out)
            .arg("-o")
            .arg(&tmp))?;
        std::fs::rename(&tmp, &wasm_out).map_err(|e| format!("{}: {e}", wasm_out.display()))?;
    }
    write_package_files(root, &pkg, &version)?;
    stamp_logo(&www)?;
    let model_dir = www.join("model");
    std::fs::create_dir_all(&model_dir).map_err(|e| format!("{}: {e}", model_dir.display()))?;
    let model = root.join("model/tiermatch.model");
    std::fs::copy(&model, model_dir.join("tiermatch.model"))
        .map_err(|e| format!("copying {}: {e}", model.display()))?;
    let mut total_gz = 0;
    let mut line = String::new();
    let mut loaded = vec![wasm_out.clone(), pkg.join("tiermatch.js")];
    // the JS the glue imports (wasm-bindgen's `module =` snippets)
    loaded.extend(files_under(&pkg.join("snippets")));
    loaded.push(model_dir.join("tiermatch.model"));
    for p in loaded {
        let bytes = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        let gz = gzip_size(&bytes).unwrap_or(bytes.len());
        total_gz += gz;
        let name = p.file_name().unwrap_or_default().to_string_lossy();
        line.push_str(&format!("{name} {} ({} gz), ", kb(bytes.len()), kb(gz)));
    }
    say(format!(
        "built www/pkg and www/model: {line}together {} gzipped",
        kb(total_gz)
    ));
    let integrity = sri_sha384(&model_dir.join("tiermatch.model"))?;
    stamp_integrity(&www, &integrity)?;
    say(format!(
        "the model's Subresource Integrity (data-tiermatch-model-integrity of the embed snippet): {integrity}"
    ));
    Ok(())
}

/// The files in `dir` and its subfolders, sorted; none when it does not exist.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for p in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The browser build must link inference only: no linfa, ndarray, csv or clap in its dependencies.
fn check_no_training_code(root: &Path) -> Result<(), String> {
    let tree = output(Command::new(cargo()).current_dir(root).args([
        "tree",
        "-p",
        "tiermatch",
        "--no-default-features",
        "--features",
        "wasm",
        "--target",
        "wasm32-unknown-unknown",
        "-e",
        "normal",
        "--prefix",
        "none",
    ]));
    let Some(tree) = tree else {
        say("cargo tree failed: cannot check that the WASM build links no training code");
        return Ok(());
    };
    let training: Vec<&str> = tree
        .lines()
        .filter(|l| {
            ["linfa", "ndarray", "csv ", "clap "]
                .iter()
                .any(|c| l.starts_with(c))
        })
        .collect();
    if training.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the WASM build would link training or CLI code: {}",
            training.join(", ")
        ))
    }
}

/// The pages' header logo: `www/favicon.svg` as an inline `<svg class="logo">` element.
fn inline_logo(favicon: &str) -> Result<String, String> {
    let favicon = favicon.trim();
    let (open, rest) = favicon
        .split_once('>')
        .ok_or("www/favicon.svg: no <svg> element")?;
    let view_box = open
        .split_once("viewBox=\"")
        .and_then(|(_, v)| v.split_once('"'))
        .map(|(v, _)| v)
        .ok_or("www/favicon.svg: no viewBox")?;
    let drawing = rest
        .strip_suffix("</svg>")
        .ok_or("www/favicon.svg: does not end with </svg>")?;
    Ok(format!(
        r#"<svg class="logo" viewBox="{view_box}" width="28" height="28" aria-hidden="true" focusable="false">{drawing}</svg>"#
    ))
}

/// Rewrites every page of `www/` through `stamp` (which returns the new text, or None to leave the
/// page as it is), saying which page changed and why.
fn stamp_pages(
    www: &Path,
    what: &str,
    stamp: impl Fn(&str) -> Result<Option<String>, String>,
) -> Result<(), String> {
    let entries = std::fs::read_dir(www).map_err(|e| format!("{}: {e}", www.display()))?;
    for page in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        if page.extension().is_none_or(|x| x != "html") {
            continue;
        }
        let html =
            std::fs::read_to_string(&page).map_err(|e| format!("{}: {e}", page.display()))?;
        let stamped = stamp(&html).map_err(|e| format!("{}: {e}", page.display()))?;
        if let Some(stamped) = stamped.filter(|s| *s != html) {
            let name = page.file_name().unwrap_or_default().to_string_lossy();
            say(format!("stamping {what} into www/{name}"));
            std::fs::write(&page, stamped).map_err(|e| format!("{}: {e}", page.display()))?;
        }
    }
    Ok(())
}

/// Replaces the `<svg class="logo">` element of every page in `www/` with the one drawn in
/// `www/favicon.svg`, the logo's one source: inline rather than an `<img>` or a CSS `data:` image
/// because an SVG image costs the page several milliseconds of main-thread time at cold start.
fn stamp_logo(www: &Path) -> Result<(), String> {
    let favicon = www.join("favicon.svg");
    let logo = inline_logo(
        &std::fs::read_to_string(&favicon).map_err(|e| format!("{}: {e}", favicon.display()))?,
    )?;
    stamp_pages(www, "the logo of www/favicon.svg", |html| {
        let Some(start) = html.find(r#"<svg class="logo""#) else {
            return Ok(None);
        };
        let end = html[start..]
            .find("</svg>")
            .map(|i| start + i + "</svg>".len())
            .ok_or("the logo's <svg> is not closed")?;
        Ok(Some(format!("{}{logo}{}", &html[..start], &html[end..])))
    })
}

/// The attribute through which a page names the model it accepts (its Subresource Integrity).
const INTEGRITY_ATTR: &str = "data-tiermatch-model-integrity=\"";

/// Sets every `data-tiermatch-model-integrity` attribute of the pages to `integrity`, so the pages
/// fetch the model with it and a swapped model is refused.
fn stamp_integrity(www: &Path, integrity: &str) -> Result<(), String> {
    stamp_pages(www, "the model's integrity hash", |html| {
        Ok(Some(with_integrity(html, integrity)?))
    })
}

/// `html` with every `data-tiermatch-model-integrity="…"` value set to `integrity`.
fn with_integrity(html: &str, integrity: &str) -> Result<String, String> {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find(INTEGRITY_ATTR) {
        let value = i + INTEGRITY_ATTR.len();
        let end = rest[value..]
            .find('"')
            .ok_or("a data-tiermatch-model-integrity attribute is not closed")?;
        out.push_str(&rest[..value]);
        out.push_str(integrity);
        rest = &rest[value + end..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The Subresource Integrity value (`sha384-…`) of a file, from coreutils' `sha384sum`.
pub(crate) fn sri_sha384(file: &Path) -> Result<String, String> {
    let out = output(Command::new("sha384sum").arg(file))
        .ok_or_else(|| format!("sha384sum {} failed", file.display()))?;
    let hex = out.split_whitespace().next().unwrap_or_default();
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("zz"), 16))
        .collect::<Result<_, _>>()
        .map_err(|_| format!("sha384sum printed {out:?}"))?;
    if bytes.len() != 48 {
        return Err(format!("sha384sum printed {out:?}"));
    }
    Ok(format!("sha384-{}", base64(&bytes)))
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (b as u32) << (16 - 8 * i));
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The files of `www/` the npm package carries beside the bindings: the custom element and what
/// it imports, its types, and the panel's stylesheet.
const PACKAGE_WEB_FILES: [&str; 6] = [
    "tiermatch-element.js",
    "tiermatch-element.d.ts",
    "tiermatch-loader.js",
    "tiermatch-note.js",
    "tiermatch-texts.js",
    "tiermatch.css",
];

/// Writes `package.json` and `README.md` into `pkg`, and copies the custom element's files (their
/// imports of `./pkg/tiermatch.js` made `./tiermatch.js`) and the bundled model (`model/`), so the
/// package works as published.
fn write_package_files(root: &Path, pkg: &Path, version: &str) -> Result<(), String> {
    let err = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    let stamp = |template: &str| template.replace("{{version}}", version);
    std::fs::write(pkg.join("package.json"), stamp(PACKAGE_JSON))
        .and_then(|_| std::fs::write(pkg.join("README.md"), stamp(PACKAGE_README)))
        .map_err(|e| err(pkg, e))?;
    for name in PACKAGE_WEB_FILES {
        let from = root.join("www").join(name);
        let text = std::fs::read_to_string(&from).map_err(|e| err(&from, e))?;
        let to = pkg.join(name);
        std::fs::write(
            &to,
            text.replace("'./pkg/tiermatch.js'", "'./tiermatch.js'"),
        )
        .map_err(|e| err(&to, e))?;
    }
    let model = pkg.join("model");
    std::fs::create_dir_all(&model).map_err(|e| err(&model, e))?;
    let bundled = root.join("model/tiermatch.model");
    std::fs::copy(&bundled, model.join("tiermatch.model")).map_err(|e| err(&bundled, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{INTEGRITY_ATTR, base64, inline_logo, sri_sha384, with_integrity};
    use std::path::Path;

    /// Every page carries exactly the logo `www/favicon.svg` draws, so stamping changes nothing.
    #[test]
    fn pages_carry_the_favicon_logo() {
        let www = Path::new(env!("CARGO_MANIFEST_DIR")).join("../www");
        let logo = inline_logo(&std::fs::read_to_string(www.join("favicon.svg")).unwrap()).unwrap();
        assert!(logo.starts_with(r#"<svg class="logo" viewBox="0 0 32 32" width="28""#));
        for page in [
            "index.html",
            "staff.html",
            "embed.html",
            "thanks.html",
            "element.html",
        ] {
            let html = std::fs::read_to_string(www.join(page)).unwrap();
            assert_eq!(html.matches(r#"<svg class="logo""#).count(), 1, "{page}");
            assert!(html.contains(&logo), "{page}: run cargo xtask build-web");
        }
    }

    /// tiermatch-texts.js replaces the panel's English texts by matching them: each one it knows
    /// must be one the panel draws (src/wasm/panel.rs).
    #[test]
    fn the_translated_texts_are_the_panels() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let texts = std::fs::read_to_string(root.join("www/tiermatch-texts.js")).unwrap();
        let panel = std::fs::read_to_string(root.join("src/wasm/panel.rs")).unwrap();
        let english = &texts[texts.find("en: {").unwrap()..texts.find("de: {").unwrap()];
        let panel_keys = [
            "hintClient",
            "hintStaff",
            "noArticle",
            "tryFirst",
            "why",
            "matchingSops",
            "suggestedTier",
            "overriddenTo",
            "unsure",
        ];
        for key in panel_keys {
            let line = english
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("{key}:")))
                .unwrap_or_else(|| panic!("no {key} in tiermatch-texts.js"));
            let text = line.split('\'').nth(1).unwrap();
            assert!(
                panel.contains(&format!("\"{text}\"")),
                "panel.rs draws no {text:?}"
            );
        }
        assert!(panel.contains("\"{}% confident\""));
    }

    #[test]
    fn base64_matches_rfc_4648() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    /// The SRI value of a known text, as `openssl dgst -sha384 -binary | base64` gives it.
    #[test]
    fn sri_of_a_known_file() {
        let d = std::env::temp_dir().join(format!("tm-sri-{}", std::process::id()));
        std::fs::write(&d, "alert('Hello, world.');").unwrap();
        let sri = sri_sha384(&d);
        let _ = std::fs::remove_file(&d);
        assert_eq!(
            sri.unwrap(),
            "sha384-H8BRh8j48O9oYatfu5AZzq6A9RINhZO5H16dQZngK7T62em8MUt1FLm52t+eX6xO"
        );
    }

    #[test]
    fn every_integrity_attribute_is_set() {
        let html = r#"<script data-tiermatch-model-integrity="old"></script>
<code>data-tiermatch-model-integrity="sha384-x"</code>"#;
        let out = with_integrity(html, "sha384-new").unwrap();
        assert_eq!(out.matches("sha384-new").count(), 2);
        assert!(!out.contains("old") && !out.contains("sha384-x"));
        assert!(with_integrity(r#"<p data-tiermatch-model-integrity="open"#, "x").is_err());
    }

    /// The pages name the bundled model's integrity, so they accept it and refuse any other.
    #[test]
    fn pages_name_the_bundled_models_integrity() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let sri = sri_sha384(&root.join("model/tiermatch.model")).unwrap();
        for page in ["index.html", "staff.html", "embed.html"] {
            let html = std::fs::read_to_string(root.join("www").join(page)).unwrap();
            let named: Vec<&str> = html
                .match_indices(INTEGRITY_ATTR)
                .map(|(i, _)| &html[i + INTEGRITY_ATTR.len()..][..sri.len()])
                .collect();
            assert!(!named.is_empty(), "{page} names no model integrity");
            for n in named {
                assert_eq!(n, sri, "{page}: run cargo xtask build-web");
            }
        }
    }
}
