//! A file of leads the user asked for (an export, an import's rejected rows), written in the
//! folder where it will live but without a name until it is whole.
//!
//! On Linux it is an unnamed file in that folder (`O_TMPFILE`): whatever stops the process (a
//! crash, `kill -9`, the power going), nothing is left behind, and the folder is the one place
//! the owner chose for their leads in the clear. Where the folder's filesystem has no unnamed
//! files (and on other systems) it is a hidden `.NAME.PID.partial` beside the target, removed on
//! every way out but such a stop. [`OutFile::keep`] gives it its name: it replaces a file of
//! that name at once, never leaving a half-written one under it.

use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};

pub(crate) struct OutFile {
    file: File,
    target: PathBuf,
    /// The hidden name it has while written, unless it has none.
    named: Option<PathBuf>,
}

impl OutFile {
    /// A new, empty file that will become `target`; its folder must exist.
    pub(crate) fn create(target: &Path) -> std::io::Result<OutFile> {
        let dir = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::fs::OpenOptionsExt;
            let unnamed = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .custom_flags(libc::O_TMPFILE)
                .mode(0o666)
                .open(dir);
            if let Ok(file) = unnamed {
                return Ok(OutFile { file, target: target.to_path_buf(), named: None });
            }
        }
        let named = hidden_name(target);
        let file = create_new(&named)?;
        Ok(OutFile { file, target: target.to_path_buf(), named: Some(named) })
    }

    /// A handle for a writer; what it writes goes into this file.
    pub(crate) fn writer(&self) -> std::io::Result<File> {
        self.file.try_clone()
    }

    /// Names the file `target` (the writers flushed): a file already there is replaced.
    pub(crate) fn keep(mut self) -> std::io::Result<PathBuf> {
        let named = match self.named.take() {
            Some(named) => named,
            None => {
                let named = hidden_name(&self.target);
                if let Err(e) = self.give_name(&named) {
                    let _ = std::fs::remove_file(&named);
                    return Err(e);
                }
                named
            }
        };
        if let Err(e) = std::fs::rename(&named, &self.target) {
            let _ = std::fs::remove_file(&named);
            return Err(e);
        }
        Ok(std::mem::take(&mut self.target))
    }

    /// Links the unnamed file in as `named`; where the system does not allow that, copies it
    /// into a new file of that name.
    fn give_name(&mut self, named: &Path) -> std::io::Result<()> {
        #[cfg(target_os = "linux")]
        if link_unnamed(&self.file, named).is_ok() {
            return Ok(());
        }
        self.copy_to(named)
    }

    fn copy_to(&mut self, named: &Path) -> std::io::Result<()> {
        let mut copy = create_new(named)?;
        self.file.seek(SeekFrom::Start(0))?;
        std::io::copy(&mut self.file, &mut copy)?;
        Ok(())
    }
}

impl Drop for OutFile {
    fn drop(&mut self) {
        if let Some(named) = &self.named {
            let _ = std::fs::remove_file(named);
        }
    }
}

/// `.NAME.PID.partial` beside `target`.
fn hidden_name(target: &Path) -> PathBuf {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    target.with_file_name(format!(".{name}.{}.partial", std::process::id()))
}

/// A new file at `path`: one left there by an earlier process of the same number is removed
/// first (a link planted there is removed, never followed).
fn create_new(path: &Path) -> std::io::Result<File> {
    let open = || std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(path);
    match open() {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            std::fs::remove_file(path)?;
            open()
        }
        other => other,
    }
}

/// Gives the unnamed file `file` the name `named`, through its `/proc/self/fd` entry (linking
/// by descriptor itself needs a privilege).
#[cfg(target_os = "linux")]
fn link_unnamed(file: &File, named: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::io::AsRawFd;
    let from = CString::new(format!("/proc/self/fd/{}", file.as_raw_fd()))?;
    let to = CString::new(named.as_os_str().as_bytes())?;
    if std::fs::symlink_metadata(named).is_ok() {
        std::fs::remove_file(named)?;
    }
    // SAFETY: both paths are NUL-terminated strings that outlive the call.
    let done = unsafe {
        libc::linkat(libc::AT_FDCWD, from.as_ptr(), libc::AT_FDCWD, to.as_ptr(), libc::AT_SYMLINK_FOLLOW)
    };
    if done == 0 { Ok(()) } else { Err(std::io::Error::last_os_error()) }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn the_file_has_no_name_in_its_folder_until_it_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("leads.csv");
        std::fs::write(&target, "an older export").unwrap();
        let out = OutFile::create(&target).unwrap();
        out.writer().unwrap().write_all(b"id\n1\n").unwrap();
        if cfg!(target_os = "linux") {
            assert!(out.named.is_none(), "an unnamed file on this filesystem");
            assert_eq!(
                entries(dir.path()),
                ["leads.csv"],
                "nothing else is in the folder while it is written"
            );
        }
        assert_eq!(
            std::fs::read(&target).unwrap(),
            b"an older export",
            "the old file stays whole until then"
        );
        assert_eq!(out.keep().unwrap(), target);
        assert_eq!(std::fs::read(&target).unwrap(), b"id\n1\n");
        assert_eq!(entries(dir.path()), ["leads.csv"]);
    }

    #[test]
    fn a_file_dropped_before_it_is_kept_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutFile::create(&dir.path().join("leads.csv")).unwrap();
        out.writer().unwrap().write_all(b"id\n1\n").unwrap();
        drop(out);
        assert!(entries(dir.path()).is_empty());
    }

    #[test]
    fn a_named_file_is_kept_or_removed_and_a_link_in_its_place_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("leads.csv");
        // What the fallback does on a filesystem without unnamed files.
        let named = || {
            let hidden = hidden_name(&target);
            OutFile { file: create_new(&hidden).unwrap(), target: target.clone(), named: Some(hidden) }
        };
        let out = named();
        out.writer().unwrap().write_all(b"id\n1\n").unwrap();
        assert_eq!(entries(dir.path()).len(), 1);
        drop(out);
        assert!(entries(dir.path()).is_empty(), "removed when dropped");

        #[cfg(unix)]
        {
            let elsewhere = dir.path().join("elsewhere");
            std::fs::write(&elsewhere, "untouched").unwrap();
            std::os::unix::fs::symlink(&elsewhere, hidden_name(&target)).unwrap();
        }
        let out = named();
        out.writer().unwrap().write_all(b"id\n2\n").unwrap();
        out.keep().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"id\n2\n");
        #[cfg(unix)]
        assert_eq!(std::fs::read(dir.path().join("elsewhere")).unwrap(), b"untouched");
    }

    #[test]
    fn an_unnamed_file_that_cannot_be_linked_is_copied_in_whole() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("leads.csv");
        let mut out = OutFile::create(&target).unwrap();
        let rows: Vec<u8> = (0..100_000).flat_map(|i| format!("{i}\n").into_bytes()).collect();
        out.writer().unwrap().write_all(&rows).unwrap();
        // As when /proc is not there to link through.
        let hidden = hidden_name(&target);
        out.copy_to(&hidden).unwrap();
        assert_eq!(std::fs::read(&hidden).unwrap(), rows);
    }
}
