//! The browser side of `cargo xtask`: build the WASM package and the pages (`build_web`), serve
//! `www/` (`serve`), run the wasm tests under node and the browser end-to-end suite (`test_web`),
//! and measure the demo page in headless Chromium (`bench_web`).
//!
//! Standard library only. Tools that are missing are installed and the installation is announced:
//! the `wasm32-unknown-unknown` target (rustup), `wasm-bindgen-cli` at the version the crate pins
//! (cargo install), the npm tools of `tests/e2e/package.json` (`npm ci`: binaryen's `wasm-opt`,
//! `playwright-core`) and Debian's `chromium` (apt-get, when running as root).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The wasm-bindgen version `Cargo.toml` pins; the CLI must match it exactly.
const WASM_BINDGEN_VERSION: &str = "0.2.130";
/// The binaryen (wasm-opt) major version `tests/e2e/package.json` pins.
const WASM_OPT_VERSION: &str = "version 132";
/// Debian's Chromium, which playwright-core drives.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// The Content-Security-Policy every response carries (DESIGN.md, "Pages").
pub const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; form-action 'self'";

fn say(msg: impl AsRef<str>) {
    eprintln!("xtask: {}", msg.as_ref());
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => root.join(d),
        None => root.join("target"),
    }
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

/// stdout of a command, or None when it cannot run or fails.
fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A cargo-installed tool: on PATH, else in `$CARGO_HOME/bin`, else `~/.cargo/bin`.
fn cargo_tool(name: &str) -> PathBuf {
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

fn ensure_wasm_target() -> Result<(), String> {
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

fn ensure_wasm_bindgen() -> Result<PathBuf, String> {
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

/// `tests/e2e/`, where the npm tools live (package.json + package-lock.json are committed).
fn e2e_dir(root: &Path) -> PathBuf {
    root.join("tests").join("e2e")
}

fn ensure_npm_tools(root: &Path) -> Result<(), String> {
    let dir = e2e_dir(root);
    let wasm_opt = dir.join("node_modules/.bin/wasm-opt");
    let ok = output(Command::new(&wasm_opt).arg("--version"))
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

fn ensure_chromium() -> Result<(), String> {
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
pub fn gzip_size(bytes: &[u8]) -> Option<usize> {
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

/// Builds `www/pkg/` (wasm, JS glue, .d.ts, package.json, README.md) and copies the bundled model
/// to `www/model/`. Installs what is missing first, and says so.
pub fn build_web(root: &Path) -> Result<(), String> {
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
        run(
            Command::new(e2e_dir(root).join("node_modules/.bin/wasm-opt"))
                // the module's own memory starts zeroed: zero runs in its data need not be stored
                .args(["-Oz", "--zero-filled-memory", "--strip-producers"])
                .arg(&wasm_out)
                .arg("-o")
                .arg(&tmp),
        )?;
        std::fs::rename(&tmp, &wasm_out).map_err(|e| format!("{}: {e}", wasm_out.display()))?;
        write_package_files(&pkg, &version)?;
    }
    let model_dir = www.join("model");
    std::fs::create_dir_all(&model_dir).map_err(|e| format!("{}: {e}", model_dir.display()))?;
    let model = root.join("model/tiermatch.model");
    std::fs::copy(&model, model_dir.join("tiermatch.model"))
        .map_err(|e| format!("copying {}: {e}", model.display()))?;
    let mut total_gz = 0;
    let mut line = String::new();
    for p in [
        wasm_out.clone(),
        pkg.join("tiermatch.js"),
        model_dir.join("tiermatch.model"),
    ] {
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
    Ok(())
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

fn write_package_files(pkg: &Path, version: &str) -> Result<(), String> {
    let package_json = format!(
        r#"{{
  "name": "tiermatch",
  "version": "{version}",
  "description": "In-browser L1/L2/L3 ticket triage and SOP matching for MSP client portals (WebAssembly)",
  "license": "MIT OR Apache-2.0",
  "type": "module",
  "main": "tiermatch.js",
  "module": "tiermatch.js",
  "types": "tiermatch.d.ts",
  "exports": {{
    ".": {{ "types": "./tiermatch.d.ts", "default": "./tiermatch.js" }},
    "./tiermatch_bg.wasm": "./tiermatch_bg.wasm"
  }},
  "files": ["tiermatch_bg.wasm", "tiermatch.js", "tiermatch.d.ts", "tiermatch_bg.wasm.d.ts", "README.md"],
  "sideEffects": ["./snippets/*"],
  "keywords": ["helpdesk", "ticket", "triage", "msp", "wasm", "classification"]
}}
"#
    );
    let readme = format!(
        r#"# tiermatch {version} (WebAssembly)

Ticket triage in the browser: classifies a ticket into L1/L2/L3 (or the labels a model was trained
with) and suggests matching SOPs, from one small model file, with no server round-trip.

```js
import init, {{ TierMatch, attach }} from 'tiermatch';
await init();
const tm = TierMatch.fromBytes(new Uint8Array(await (await fetch('/tiermatch.model')).arrayBuffer()));
tm.classify({{ subject: "Outlook won't open", body: 'since this morning' }});
// {{ tier, confidence, scores, abstain, reasons, sops }}: the fields of `tiermatch classify --jsonl`
attach(document.querySelector('form'), {{ model: tm, mode: 'client' }});
```

The page needs `script-src 'self' 'wasm-unsafe-eval'` in its Content-Security-Policy.
"#
    );
    std::fs::write(pkg.join("package.json"), package_json)
        .and_then(|_| std::fs::write(pkg.join("README.md"), readme))
        .map_err(|e| format!("{}: {e}", pkg.display()))
}

// ------------------------------------------------------------------------------------------------
// The static file server
// ------------------------------------------------------------------------------------------------

/// A running static file server; stopped when dropped.
pub struct Server {
    /// The address it listens on.
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// `http://ADDR/`
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn mime(path: &Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
        .as_str()
    {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        "ts" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "webmanifest" => "application/manifest+json",
        _ => "application/octet-stream",
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The file under `www` a request path names, refusing anything that would leave `www`.
fn resolve(www: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let path = percent_decode(path)?;
    if !path.starts_with('/') || path.contains('\0') || path.contains('\\') {
        return None;
    }
    let rel = Path::new(path.trim_start_matches('/'));
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    let mut p = www.join(rel);
    if p.is_dir() {
        p = p.join("index.html");
    }
    let canon = p.canonicalize().ok()?;
    (canon.starts_with(www) && canon.is_file()).then_some(canon)
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    ctype: &str,
    body: &[u8],
    etag: Option<&str>,
    head_only: bool,
    keep_alive: bool,
) -> std::io::Result<()> {
    let etag = etag.map(|e| format!("ETag: {e}\r\n")).unwrap_or_default();
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n{etag}\
Content-Security-Policy: {CSP}\r\nX-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n\
Cross-Origin-Opener-Policy: same-origin\r\nCross-Origin-Embedder-Policy: require-corp\r\n\
Cache-Control: no-cache\r\nConnection: {}\r\n\r\n",
        body.len(),
        if keep_alive { "keep-alive" } else { "close" }
    );
    stream.write_all(head.as_bytes())?;
    if !head_only {
        stream.write_all(body)?;
    }
    stream.flush()
}

/// A validator for a file: its size and modification time. With `Cache-Control: no-cache` the
/// browser revalidates every time and gets a `304` when nothing changed, so a repeat visit reuses
/// its cache (and Chromium its compiled wasm) while an edit shows at once.
fn etag_of(file: &Path) -> Option<String> {
    let m = std::fs::metadata(file).ok()?;
    let t = m
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(format!("\"{:x}-{:x}\"", m.len(), t.as_nanos()))
}

/// Serves one connection: HTTP/1.1 with keep-alive; GET and HEAD, and POST (the demo form's
/// submit: the body is read and dropped, the named page is served).
fn handle(stream: TcpStream, www: &Path, log: bool) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    // headers and body go out as two writes: without TCP_NODELAY the second waits for the peer's
    // delayed ACK (Nagle's algorithm), 40 ms per response on Linux
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut stream = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let mut parts = request_line.split_whitespace();
        let (method, target, version) = (
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
        );
        let mut content_length = 0usize;
        let mut if_none_match: Option<String> = None;
        let mut keep_alive = version == "HTTP/1.1";
        let mut header_bytes = 0;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 {
                return Ok(());
            }
            header_bytes += h.len();
            if header_bytes > 64 * 1024 {
                return respond(
                    &mut stream,
                    "431 Request Header Fields Too Large",
                    "text/plain",
                    b"",
                    None,
                    false,
                    false,
                );
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
                if k == "content-length" {
                    content_length = v.parse().unwrap_or(0);
                } else if k == "connection" {
                    keep_alive = !v.eq_ignore_ascii_case("close");
                } else if k == "if-none-match" {
                    if_none_match = Some(v.to_string());
                }
            }
        }
        if content_length > 0 {
            if content_length > 1 << 20 {
                return respond(
                    &mut stream,
                    "413 Content Too Large",
                    "text/plain",
                    b"too large",
                    None,
                    false,
                    false,
                );
            }
            let mut body = vec![0; content_length];
            reader.read_exact(&mut body)?;
        }
        let mut etag = None;
        let (status, ctype, body): (&str, &str, Vec<u8>) = match method {
            "GET" | "HEAD" | "POST" => match resolve(www, target) {
                Some(file) => {
                    etag = etag_of(&file);
                    let unchanged = method != "POST"
                        && etag.is_some()
                        && if_none_match.as_deref().is_some_and(|v| {
                            v.split(',').any(|t| Some(t.trim()) == etag.as_deref())
                        });
                    if unchanged {
                        ("304 Not Modified", mime(&file), Vec::new())
                    } else {
                        match std::fs::read(&file) {
                            Ok(bytes) => ("200 OK", mime(&file), bytes),
                            Err(_) => (
                                "500 Internal Server Error",
                                "text/plain; charset=utf-8",
                                b"cannot read file".to_vec(),
                            ),
                        }
                    }
                }
                None => (
                    "404 Not Found",
                    "text/plain; charset=utf-8",
                    b"not found".to_vec(),
                ),
            },
            _ => (
                "405 Method Not Allowed",
                "text/plain; charset=utf-8",
                b"method not allowed".to_vec(),
            ),
        };
        if log {
            eprintln!("{method} {target} {}", &status[..3]);
        }
        respond(
            &mut stream,
            status,
            ctype,
            &body,
            etag.as_deref(),
            method == "HEAD",
            keep_alive,
        )?;
        if !keep_alive {
            return Ok(());
        }
    }
}

/// Starts serving `www` on `addr` (port 0 picks a free port) in a background thread.
pub fn start_server(www: &Path, addr: &str, log: bool) -> Result<Server, String> {
    let www = www
        .canonicalize()
        .map_err(|e| format!("{}: {e}", www.display()))?;
    let listener = TcpListener::bind(addr).map_err(|e| {
        format!(
            "cannot listen on {addr}: {e} (is another server running there? pass another address)"
        )
    })?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    let thread = std::thread::spawn(move || {
        for conn in listener.incoming() {
            if stop2.load(Ordering::SeqCst) {
                break;
            }
            if let Ok(stream) = conn {
                let www = www.clone();
                std::thread::spawn(move || {
                    let _ = handle(stream, &www, log);
                });
            }
        }
    });
    Ok(Server {
        addr,
        stop,
        thread: Some(thread),
    })
}

/// Serves `www/` on `addr` (e.g. `127.0.0.1:8080`) with the strict Content-Security-Policy, until
/// interrupted. Run [`build_web`] first (`cargo xtask serve` does).
pub fn serve(root: &Path, addr: &str) -> Result<(), String> {
    if !root.join("www/pkg/tiermatch.js").is_file() {
        say(
            "www/pkg/ is missing: the pages will load without suggestions (run cargo xtask build-web)",
        );
    }
    let server = start_server(&root.join("www"), addr, true)?;
    let url = server.url();
    println!("tiermatch demo portal: {url}");
    println!("  L1 triage view:     {url}staff.html");
    println!("  embedding example:  {url}embed.html");
    println!("serving www/ with the strict Content-Security-Policy; press Ctrl-C to stop");
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}

// ------------------------------------------------------------------------------------------------
// Tests
// ------------------------------------------------------------------------------------------------

/// Runs a command, echoing its stdout line by line, and returns what it printed and its status.
fn run_echo(cmd: &mut Command) -> Result<(String, bool), String> {
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
    Ok((all, status.success()))
}

/// Sums the `test result: ... N passed; M failed` lines of cargo test / wasm-bindgen-test-runner.
pub(crate) fn cargo_counts(out: &str) -> Option<(usize, usize)> {
    let mut found = None;
    for line in out.lines() {
        if let Some(rest) = line.trim().strip_prefix("test result:") {
            let num = |word: &str| {
                rest.split(';')
                    .find(|p| p.trim().ends_with(word))
                    .and_then(|p| p.split_whitespace().rev().nth(1))
                    .and_then(|n| n.parse::<usize>().ok())
            };
            let (p, f) = found.unwrap_or((0, 0));
            found = Some((
                p + num("passed").unwrap_or(0),
                f + num("failed").unwrap_or(0),
            ));
        }
    }
    found
}

/// Writes `target/parity-expected.jsonl`: the native CLI's answers for `tests/fixtures/parity.jsonl`
/// with the bundled model, which the wasm parity test compares against.
fn write_parity_expected(root: &Path) -> Result<(), String> {
    let fixture = root.join("tests/fixtures/parity.jsonl");
    let out_path = root.join("target/parity-expected.jsonl");
    say("writing target/parity-expected.jsonl with the native CLI (tiermatch classify --jsonl)");
    let input = std::fs::File::open(&fixture).map_err(|e| format!("{}: {e}", fixture.display()))?;
    let _ = std::fs::create_dir_all(root.join("target"));
    let out =
        std::fs::File::create(&out_path).map_err(|e| format!("{}: {e}", out_path.display()))?;
    run(Command::new(cargo())
        .current_dir(root)
        .args([
            "run",
            "--release",
            "--quiet",
            "--bin",
            "tiermatch",
            "--",
            "classify",
            "--jsonl",
        ])
        .stdin(input)
        .stdout(out))
}

/// Runs the wasm-bindgen tests under node (API, errors, native/WASM parity) and the browser
/// end-to-end suite in Debian's Chromium against `www/` served on 127.0.0.1. Returns the
/// numbers of passed and failed tests.
pub fn test_web(root: &Path) -> Result<(usize, usize), String> {
    build_web(root)?;
    ensure_chromium()?;
    write_parity_expected(root)?;
    let (mut passed, mut failed) = (0, 0);

    say("running the wasm tests under node (wasm-bindgen-test-runner)");
    let runner = cargo_tool("wasm-bindgen-test-runner");
    let (out, ok) = run_echo(
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
    match cargo_counts(&out) {
        Some((p, f)) => {
            passed += p;
            failed += f;
        }
        None if ok => {}
        None => return Err("the wasm tests did not build or run (see above)".into()),
    }

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
        .arg("--test")
        .arg("--test-reporter=spec")
        .arg("--test-reporter-destination=stdout")
        .arg("--test-reporter=tap")
        .arg(format!("--test-reporter-destination={}", tap.display()))
        .args(&files);
    let (_out, _ok) = run_echo(&mut cmd)?;
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
        (Some(p), Some(f)) => {
            passed += p;
            failed += f;
        }
        _ => return Err("the browser suite printed no result (see above)".into()),
    }
    Ok((passed, failed))
}

/// Measures the demo page in headless Chromium: gzipped sizes of everything it downloads and of
/// wasm + glue + model, time to the first result after navigation starts, and `classify` (with
/// SOP search) p50/p99 over the dev-set tickets, timed in the page with `performance.now()`.
pub fn bench_web(root: &Path) -> Result<String, String> {
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
    use super::*;

    #[test]
    fn resolves_inside_www_only() {
        let www = std::env::temp_dir().join(format!("tm-www-{}", std::process::id()));
        std::fs::create_dir_all(www.join("pkg")).unwrap();
        std::fs::write(www.join("index.html"), "x").unwrap();
        std::fs::write(www.join("pkg/a b.js"), "x").unwrap();
        let www = www.canonicalize().unwrap();
        assert_eq!(resolve(&www, "/"), Some(www.join("index.html")));
        assert_eq!(
            resolve(&www, "/index.html?x=1"),
            Some(www.join("index.html"))
        );
        assert_eq!(resolve(&www, "/pkg/a%20b.js"), Some(www.join("pkg/a b.js")));
        assert_eq!(resolve(&www, "/../Cargo.toml"), None);
        assert_eq!(resolve(&www, "/%2e%2e/x"), None);
        assert_eq!(resolve(&www, "/missing.html"), None);
        let _ = std::fs::remove_dir_all(&www);
    }

    #[test]
    fn reads_cargo_test_summaries() {
        let out = "test result: ok. 7 passed; 0 failed; 0 ignored\nx\ntest result: FAILED. 2 passed; 1 failed; 0 ignored; 0 measured";
        assert_eq!(cargo_counts(out), Some((9, 1)));
        assert_eq!(cargo_counts("nothing"), None);
    }

    #[test]
    fn mime_types() {
        assert_eq!(mime(Path::new("a.wasm")), "application/wasm");
        assert!(mime(Path::new("a.js")).starts_with("text/javascript"));
        assert_eq!(mime(Path::new("m.model")), "application/octet-stream");
    }
}
