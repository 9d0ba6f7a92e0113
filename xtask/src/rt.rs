//! Request Tracker 5 as a real portal: the RT extension of `integrations/request-tracker/`
//! assembled with the web build (what an RT admin installs, and what the portal suite and the
//! bench install), and a throw-away RT instance that leaves the machine's own RT alone.
//!
//! The instance lives in a temporary folder: its site configuration, SQLite database, Mason cache
//! and plugin folder (where an installed RT uses `/etc/request-tracker5`, `/var/cache/...` and
//! `/usr/local/share/request-tracker5/plugins`). It serves on 127.0.0.1 in a process group of its
//! own, which is stopped, and the folder removed, when the instance is dropped.

use crate::cmd::say;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// RT's standalone web server (Debian's `request-tracker5`).
pub(crate) const RT_SERVER: &str = "/usr/share/request-tracker5/libexec/rt-server";
/// RT's database tool.
const RT_SETUP: &str = "/usr/sbin/rt-setup-database";
/// The extension's folder name, as RT derives it from `RT::Extension::TierMatch`.
pub(crate) const EXTENSION: &str = "RT-Extension-TierMatch";
/// What the extension serves under `/static/tiermatch/`: the embed and what it loads.
const WEB_FILES: [&str; 7] = [
    "pkg",
    "model",
    "tiermatch-loader.js",
    "tiermatch-embed.js",
    "tiermatch-note.js",
    "tiermatch-texts.js",
    "tiermatch.css",
];
/// How long the server may take to answer its first request (about 3 s on an idle machine).
const START_TIMEOUT: Duration = Duration::from_secs(90);

fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    if from.is_dir() {
        std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
        let entries = std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| e.to_string())?;
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        std::fs::copy(from, to)
            .map(|_| ())
            .map_err(|e| format!("copying {} to {}: {e}", from.display(), to.display()))
    }
}

/// Assembles the RT extension in `dest` (an `RT-Extension-TierMatch` folder): the files of
/// `integrations/request-tracker/` and, under `static/tiermatch/`, the web build of `www/`
/// (`cargo xtask build-web` must have run).
pub(crate) fn package_rt(root: &Path, dest: &Path) -> Result<(), String> {
    let src = root.join("integrations/request-tracker");
    for part in ["lib", "html", "etc", "README.md"] {
        copy_tree(&src.join(part), &dest.join(part))?;
    }
    let static_dir = dest.join("static/tiermatch");
    for file in WEB_FILES {
        copy_tree(&root.join("www").join(file), &static_dir.join(file))?;
    }
    Ok(())
}

/// `cargo xtask package-rt [DIR]`: builds the web files and assembles the extension in DIR
/// (default `target/rt/RT-Extension-TierMatch`).
pub(crate) fn package_rt_command(root: &Path, dest: Option<&str>) -> Result<(), String> {
    crate::build::build_web(root)?;
    let dest = dest.map_or_else(
        || crate::cmd::target_dir(root).join("rt").join(EXTENSION),
        PathBuf::from,
    );
    package_rt(root, &dest)?;
    say(format!(
        "the RT extension is in {}; see integrations/request-tracker/README.md",
        dest.display()
    ));
    Ok(())
}

/// A Perl single-quoted string.
fn perl_str(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The throw-away instance's site configuration.
fn site_config(dir: &Path, port: u16) -> String {
    let at = |p: &str| perl_str(&dir.join(p).to_string_lossy());
    format!(
        "# A throw-away RT for tiermatch's tests, written by cargo xtask.\n\
Set($DatabaseType, 'SQLite');\n\
Set($DatabaseName, {db});\n\
Set($WebDomain, '127.0.0.1');\n\
Set($WebPort, {port});\n\
Set($WebPath, '');\n\
Set(@ReferrerWhitelist, '127.0.0.1:{port}');\n\
Set($LogToSyslog, undef);\n\
Set($LogToSTDERR, 'warning');\n\
# this instance's own folders, where an installed RT has system-wide ones\n\
$RT::MasonDataDir = {mason};\n\
$RT::MasonSessionDir = {sessions};\n\
$RT::LocalPluginPath = {plugins};\n\
Plugin('RT::Extension::TierMatch');\n\
1;\n",
        db = at("rt.db"),
        mason = at("mason"),
        sessions = at("sessions"),
        plugins = at("plugins"),
    )
}

/// A port free on 127.0.0.1 now.
fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// Whether an HTTP server answers on `port` with a status line.
fn answers(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    let request = "GET /NoAuth/Login.html HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if s.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.")
}

/// A running throw-away RT; stopped (its whole process group) and removed when dropped.
pub(crate) struct RtInstance {
    dir: PathBuf,
    port: u16,
    server: Child,
}

impl RtInstance {
    /// Sets up a fresh instance with the extension (assembled from `root`) and its custom fields,
    /// loads each of `data` (RT initialdata files) into it, and starts it.
    pub(crate) fn start(root: &Path, data: &[PathBuf]) -> Result<RtInstance, String> {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "tiermatch-rt-{}-{}",
            std::process::id(),
            stamp % 1_000_000_000
        ));
        let port = free_port()?;
        for sub in ["conf.d", "mason", "sessions", "plugins"] {
            std::fs::create_dir_all(dir.join(sub))
                .map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        // From here on a failure removes the folder: the instance exists, without a server yet.
        let mut setup = Setup { dir, port };
        setup.prepare(root, data)?;
        let server = setup.serve()?;
        let instance = RtInstance {
            dir: std::mem::take(&mut setup.dir),
            port,
            server,
        };
        instance.wait_until_up()?;
        Ok(instance)
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn wait_until_up(&self) -> Result<(), String> {
        let start = Instant::now();
        while start.elapsed() < START_TIMEOUT {
            if answers(self.port) {
                say(format!(
                    "Request Tracker answers on {} after {:.1} s",
                    self.url(),
                    start.elapsed().as_secs_f64()
                ));
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
        Err(format!(
            "Request Tracker did not answer within {} s:\n{log}",
            START_TIMEOUT.as_secs()
        ))
    }

    /// Signals the server's process group.
    fn signal(&self, signal: &str) {
        let _ = Command::new("kill")
            .args([signal, "--", &format!("-{}", self.server.id())])
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for RtInstance {
    fn drop(&mut self) {
        self.signal("-TERM");
        let start = Instant::now();
        loop {
            if let Ok(Some(_)) = self.server.try_wait() {
                break;
            }
            if start.elapsed() > Duration::from_secs(10) {
                self.signal("-KILL");
                let _ = self.server.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        // workers that outlive the master get the same signal
        self.signal("-KILL");
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// An instance's folder while it is being set up: removed if setting up fails.
struct Setup {
    dir: PathBuf,
    port: u16,
}

impl Drop for Setup {
    fn drop(&mut self) {
        if !self.dir.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

impl Setup {
    /// An RT command with this instance's configuration (and none of the machine's).
    fn rt(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("RT_SITE_CONFIG", self.dir.join("site.pm"))
            .env("RT_SITE_CONFIG_DIR", self.dir.join("conf.d"))
            .current_dir(&self.dir);
        cmd
    }

    fn setup_database(&self, args: &[&str]) -> Result<(), String> {
        let out = self
            .rt(RT_SETUP)
            .args(args)
            .arg("--skip-create")
            .output()
            .map_err(|e| format!("cannot run {RT_SETUP}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{RT_SETUP} {} failed:\n{}{}",
                args.join(" "),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    fn prepare(&mut self, root: &Path, data: &[PathBuf]) -> Result<(), String> {
        let extension = self.dir.join("plugins").join(EXTENSION);
        package_rt(root, &extension)?;
        std::fs::write(self.dir.join("site.pm"), site_config(&self.dir, self.port))
            .map_err(|e| format!("{}: {e}", self.dir.display()))?;
        say(format!(
            "setting up a throw-away Request Tracker in {} (SQLite)",
            self.dir.display()
        ));
        self.setup_database(&["--action", "init"])?;
        let mut files = vec![extension.join("etc/initialdata")];
        files.extend(data.iter().cloned());
        for f in files {
            self.setup_database(&["--action", "insert", "--datafile", &f.to_string_lossy()])?;
        }
        Ok(())
    }

    fn serve(&self) -> Result<Child, String> {
        let log = std::fs::File::create(self.dir.join("server.log"))
            .map_err(|e| format!("{}: {e}", self.dir.display()))?;
        let err = log.try_clone().map_err(|e| e.to_string())?;
        self.rt(RT_SERVER)
            .args(["--port", &self.port.to_string(), "--host", "127.0.0.1"])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start {RT_SERVER}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::{perl_str, site_config};
    use std::path::Path;

    #[test]
    fn perl_strings_are_quoted() {
        assert_eq!(perl_str("/tmp/a"), "'/tmp/a'");
        assert_eq!(perl_str(r"it's \ here"), r"'it\'s \\ here'");
    }

    #[test]
    fn the_site_config_keeps_the_instance_in_its_folder() {
        let c = site_config(Path::new("/tmp/x"), 8123);
        for line in [
            "Set($DatabaseName, '/tmp/x/rt.db');",
            "Set($WebPort, 8123);",
            "$RT::MasonDataDir = '/tmp/x/mason';",
            "$RT::LocalPluginPath = '/tmp/x/plugins';",
            "Plugin('RT::Extension::TierMatch');",
        ] {
            assert!(c.contains(line), "{line} in\n{c}");
        }
    }
}
