//! Writing an output file (a model, a report) so that nothing but that file itself is ever
//! replaced: a device, a folder, a fifo or a symbolic link at the target is refused, and the bytes
//! go through a temporary file created exclusively under an unpredictable name, so a link planted
//! beside the target is never followed and a reader never sees half a file.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::Path;

/// The folder a path's file is in.
fn folder(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Checks that `path` can take an output file without destroying anything else: it names a file in
/// an existing folder and is either missing or a regular file (not a symbolic link, a folder, a
/// device or a fifo). A symbolic link is refused rather than followed or replaced, as either
/// could surprise whoever made it.
pub fn check_target(path: &Path) -> Result<()> {
    let invalid = |reason: String| Err(Error::InvalidInput { reason });
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => invalid(format!(
            "{} is a symbolic link: an output file is not written through one (give the path the link points to, or remove the link)",
            path.display()
        )),
        Ok(m) if !m.is_file() => invalid(format!(
            "{} exists and is not a regular file (a folder, a device or a fifo): an output file only replaces a regular file; choose another path",
            path.display()
        )),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if path.file_name().is_none() {
                return invalid(format!("{} is not a file path", path.display()));
            }
            let dir = folder(path);
            if !dir.is_dir() {
                return invalid(format!(
                    "{} is not an existing folder: create it first",
                    dir.display()
                ));
            }
            Ok(())
        }
        Err(e) => Err(Error::io(path.display(), e)),
    }
}

/// Writes `bytes` to `path` atomically after [`check_target`]: to a new temporary file beside it
/// (`.NAME.RANDOM.tmp`, created with `O_EXCL`), synced, then renamed over it. On any error the
/// temporary file is removed and `path` is left as it was.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    check_target(path)?;
    replace(path, bytes)
}

/// The write of [`write_atomically`], without the check of what is at `path`.
fn replace(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = folder(path);
    let name = path.file_name().ok_or_else(|| Error::InvalidInput {
        reason: format!("{} is not a file path", path.display()),
    })?;
    let prefix = format!(".{}.", name.to_string_lossy());
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        // what `File::create` gives (before the umask), not tempfile's owner-only default
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir.display(), e))?;
    // dropping `tmp` (here, or inside the persist error) removes the temporary file
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| Error::io(tmp.path().display(), e))?;
    tmp.persist(path)
        .map_err(|e| Error::io(path.display(), e.error))?;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_link_at_the_old_temporary_name_is_not_followed() {
        let d = tempfile::tempdir().unwrap();
        let victim = d.path().join("victim");
        std::fs::write(&victim, "keep me").unwrap();
        let target = d.path().join("m.model");
        // the name the temporary file used to have, predictable from the process id
        let planted = d.path().join(format!(".m.model.tmp{}", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        write_atomically(&target, b"model bytes").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"model bytes");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
        assert!(std::fs::symlink_metadata(&planted).unwrap().is_symlink());
        let mut names: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names.len(), 3, "no temporary file is left: {names:?}");
    }

    #[test]
    fn a_failed_write_leaves_no_temporary_file() {
        let d = tempfile::tempdir().unwrap();
        // a folder that is not empty: the final rename fails
        let target = d.path().join("m.model");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("inside"), "x").unwrap();
        let e = replace(&target, b"model").unwrap_err();
        assert!(e.to_string().contains("m.model"), "{e}");
        let names: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["m.model"]);
        assert!(write_atomically(&target, b"model").is_err());
        assert_eq!(std::fs::read(target.join("inside")).unwrap(), b"x");
    }
}
