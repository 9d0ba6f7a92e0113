//! `cargo xtask serve`: a static file server for `www/` that sends the pages' strict
//! Content-Security-Policy and the cross-origin isolation headers, as a real deployment would.

use crate::cmd::say;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The Content-Security-Policy every response carries (DESIGN.md, "Pages", plus `frame-ancestors
/// 'none'`: a portal embeds tiermatch by script, never by frame, so no page may be framed, which
/// stops clickjacking of the staff view's override buttons); the browser suite receives it as
/// `TIERMATCH_CSP` and checks each page is served with it and works under it.
pub(crate) const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'";

/// A running static file server; stopped when dropped.
pub(crate) struct Server {
    /// The address it listens on.
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// `http://ADDR/`
    pub(crate) fn url(&self) -> String {
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
pub(crate) fn start_server(www: &Path, addr: &str, log: bool) -> Result<Server, String> {
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
/// interrupted. Run [`crate::build::build_web`] first (`cargo xtask serve` does).
pub(crate) fn serve(root: &Path, addr: &str) -> Result<(), String> {
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
    fn mime_types() {
        assert_eq!(mime(Path::new("a.wasm")), "application/wasm");
        assert!(mime(Path::new("a.js")).starts_with("text/javascript"));
        assert_eq!(mime(Path::new("m.model")), "application/octet-stream");
    }
}
