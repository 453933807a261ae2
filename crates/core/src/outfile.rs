//! A file of leads the user asked for (an export, an import's rejected rows), written in the
//! folder where it will live but without a name until it is whole.
//!
//! On Linux it is an unnamed file in that folder (`O_TMPFILE`): whatever stops the process (a
//! crash, `kill -9`, the power going), no file of it is left behind, and the folder is the one
//! place the owner chose for their leads in the clear. Where the folder's filesystem has no
//! unnamed files (and on other systems) it is a hidden `.NAME.PID.N.partial` beside the target,
//! removed on every way out but such a stop. [`OutFile::keep`] gives it its name: it replaces a
//! file of that name in one rename, never leaving a half-written one under it, and takes that
//! file's permission bits first (a file the owner made private stays private). The target is
//! a path with no link in its last part: [`resolve`] finds, for a name that is a link, the file
//! it points to, which is what a caller replaces (the link keeps working). Once it is kept, it
//! is on the disk: its bytes are synced before it takes its name, and its folder (which holds
//! the name) after, so a command that says "Exported" has not said it of a file a power cut
//! the next moment would leave empty or missing.

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
        let dir = folder_of(target);
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
        let (file, named) = create_hidden(target)?;
        Ok(OutFile { file, target: target.to_path_buf(), named: Some(named) })
    }

    /// A handle for a writer; what it writes goes into this file.
    pub(crate) fn writer(&self) -> std::io::Result<File> {
        self.file.try_clone()
    }

    /// Names the file `target` (the writers flushed): a file already there is replaced, and its
    /// permission bits are the new file's.
    pub(crate) fn keep(mut self) -> std::io::Result<PathBuf> {
        #[cfg(unix)]
        if let Ok(old) = std::fs::metadata(&self.target)
            && old.is_file()
        {
            use std::os::unix::fs::PermissionsExt;
            let bits = old.permissions().mode() & 0o777;
            self.file.set_permissions(std::fs::Permissions::from_mode(bits))?;
        }
        // Its bytes on the disk before it has the name: a file that fails here is dropped,
        // and an older one of that name stays whole.
        sync_file(&self.file, &self.target)?;
        let named = match self.named.take() {
            Some(named) => named,
            None => self.give_name()?,
        };
        let renamed = std::fs::rename(&named, &self.target);
        if renamed.is_err() {
            let _ = std::fs::remove_file(&named);
        }
        unfinished(&named, false);
        renamed?;
        sync_folder(&self.target)?;
        Ok(std::mem::take(&mut self.target))
    }

    /// Names the file the first of `names` that nothing has (the writers flushed): unlike
    /// [`OutFile::keep`], it never replaces a file, which may hold someone's edits.
    pub(crate) fn keep_as_new(
        mut self,
        names: impl IntoIterator<Item = PathBuf>,
    ) -> std::io::Result<PathBuf> {
        sync_file(&self.file, &self.target)?;
        let named = match self.named.take() {
            Some(named) => named,
            None => self.give_name()?,
        };
        for name in names {
            // A name taken between this look and the rename is as unlikely as it is harmless
            // for a file of rejected rows; the look works on every filesystem, a hard link not.
            if std::fs::symlink_metadata(&name).is_ok() {
                continue;
            }
            let renamed = std::fs::rename(&named, &name);
            if renamed.is_err() {
                let _ = std::fs::remove_file(&named);
            }
            unfinished(&named, false);
            renamed?;
            sync_folder(&name)?;
            return Ok(name);
        }
        let _ = std::fs::remove_file(&named);
        unfinished(&named, false);
        Err(std::io::Error::new(std::io::ErrorKind::AlreadyExists, "every name for it is taken"))
    }

    /// Links the unnamed file in under a new hidden name beside the target; where the system
    /// does not allow that, copies it into a new hidden file. Returns that name.
    fn give_name(&mut self) -> std::io::Result<PathBuf> {
        #[cfg(target_os = "linux")]
        for _ in 0..TRIES {
            let named = hidden_name(&self.target);
            match link_unnamed(&self.file, &named) {
                Ok(()) => {
                    unfinished(&named, true);
                    return Ok(named);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(_) => break,
            }
        }
        self.copy_out()
    }

    /// A hidden copy of the file's bytes; its name.
    fn copy_out(&mut self) -> std::io::Result<PathBuf> {
        let (mut copy, named) = create_hidden(&self.target)?;
        let copied = self
            .file
            .metadata()
            .and_then(|m| copy.set_permissions(m.permissions()))
            .and_then(|_| self.file.seek(SeekFrom::Start(0)))
            .and_then(|_| std::io::copy(&mut self.file, &mut copy))
            .and_then(|_| sync_file(&copy, &self.target));
        if let Err(e) = copied {
            let _ = std::fs::remove_file(&named);
            unfinished(&named, false);
            return Err(e);
        }
        Ok(named)
    }
}

impl Drop for OutFile {
    fn drop(&mut self) {
        if let Some(named) = &self.named {
            let _ = std::fs::remove_file(named);
            unfinished(named, false);
        }
    }
}

/// Puts the bytes of `file` (which becomes `target`) on the disk.
fn sync_file(file: &File, target: &Path) -> std::io::Result<()> {
    file.sync_all()?;
    synced(Synced::File(target.to_path_buf()));
    Ok(())
}

/// Puts the folder of `named` on the disk: the name a rename gave a file is an entry of the
/// folder, and lost with it in a power cut until the folder is synced. A file system that
/// cannot sync a folder (some network and FUSE ones, and systems where a folder is not opened
/// as a file) keeps what it keeps: the file's bytes are synced already. So does a folder that
/// may be written but not read (a drop folder, mode 0733): it cannot be opened to sync, and the
/// file is in it, whole, by then.
fn sync_folder(named: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let dir = folder_of(named);
        let Ok(folder) = File::open(dir) else { return Ok(()) };
        match folder.sync_all() {
            Ok(()) => synced(Synced::Folder(dir.to_path_buf())),
            Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOTSUP | libc::ENOSYS)) => {}
            Err(e) => return Err(e),
        }
    }
    #[cfg(not(unix))]
    let _ = named;
    Ok(())
}

/// A sync [`OutFile`] made: of the file that becomes this path, or of this folder.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(not(test), allow(dead_code))]
enum Synced {
    File(PathBuf),
    Folder(PathBuf),
}

/// Every sync made, in order: what the tests look at, a sync not being seen from outside.
#[cfg(test)]
static SYNCS: std::sync::Mutex<Vec<Synced>> = std::sync::Mutex::new(Vec::new());

fn synced(what: Synced) {
    #[cfg(test)]
    SYNCS.lock().unwrap_or_else(|e| e.into_inner()).push(what);
    #[cfg(not(test))]
    let _ = what;
}

/// The hidden files of this process being written now, removed by [`remove_unfinished`].
static UNFINISHED: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// Notes that the hidden file `named` is being written (`true`), or is gone or named (`false`).
fn unfinished(named: &Path, writing: bool) {
    let mut list = UNFINISHED.lock().unwrap_or_else(|e| e.into_inner());
    match writing {
        true => list.push(named.to_path_buf()),
        false => list.retain(|p| p != named),
    }
}

/// Removes the hidden files of the exports and rejected rows this process is writing, for a
/// process that ends at once (a second Ctrl-C), without the cleanup their owners would run: on
/// a file system without unnamed files (a FAT drive, some network ones) they would stay.
pub fn remove_unfinished() {
    remove_unfinished_where(|_| true);
}

/// [`remove_unfinished`] for the files `chosen` picks (a test's own: others run alongside).
fn remove_unfinished_where(chosen: impl Fn(&Path) -> bool) {
    let mut list = UNFINISHED.lock().unwrap_or_else(|e| e.into_inner());
    list.retain(|named| {
        if chosen(named) {
            let _ = std::fs::remove_file(named);
            return false;
        }
        true
    });
}

/// The file a write to `path` lands in: `path` itself, or, if it is a link, what the link
/// points to (a link to a link followed on, a link to a file not there yet too), its folder
/// and the folders above made absolute with no link left in them; its last part is not a link.
/// Fails if a folder on the way does not exist (`NotFound`), or with links that go round.
pub(crate) fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    /// As many links as Linux follows in one path.
    const MAX_LINKS: u32 = 40;
    let mut path = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        let dir = folder_of(&path);
        let name = path.file_name().ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "the path does not end in a file name")
        })?;
        // The folders' own links resolved; the name, if a link, followed from there.
        let here = std::fs::canonicalize(dir)?.join(name);
        match std::fs::symlink_metadata(&here) {
            Ok(m) if m.file_type().is_symlink() => {
                // A relative link is read from the folder the link is in; an absolute one
                // replaces the whole path.
                path = folder_of(&here).join(std::fs::read_link(&here)?);
            }
            _ => return Ok(here),
        }
    }
    Err(std::io::Error::other("too many links to follow"))
}

/// `path` made absolute with no link in it, or as given when that fails.
pub(crate) fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The folder `path` is in: `.` for a bare name.
pub(crate) fn folder_of(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// How much of the target's name a hidden name keeps, in bytes.
const MAX_NAME_KEPT: usize = 200;

/// How many hidden names are tried before giving up: each is new to this process, so only
/// files another process left there can be in the way.
const TRIES: u32 = 100;

/// A new `.NAME.PID.N.partial` beside `target`: never the same twice in a process, so two
/// exports to one file (the window starts a second while the first is still stopping) do not
/// share it.
fn hidden_name(target: &Path) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // A name near the file system's 255 bytes stays within them with what is added.
    while name.len() > MAX_NAME_KEPT {
        name.pop();
    }
    target.with_file_name(format!(".{name}.{}.{n}.partial", std::process::id()))
}

/// A new file under a new hidden name beside `target`: a name already taken (a file another
/// process left, a link planted there) is passed over, never opened or removed.
fn create_hidden(target: &Path) -> std::io::Result<(File, PathBuf)> {
    let mut last = None;
    for _ in 0..TRIES {
        let named = hidden_name(target);
        match std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(&named) {
            Ok(file) => {
                unfinished(&named, true);
                return Ok((file, named));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free name for the file")))
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

    /// A process ending at once removes the hidden files it was writing (where a file system
    /// has no unnamed files, they have names), and only those: one named since is the user's.
    #[test]
    fn a_process_ending_at_once_removes_its_unfinished_hidden_files() {
        let dir = tempfile::tempdir().unwrap();
        let (_writing, named) = create_hidden(&dir.path().join("leads.csv")).unwrap();
        let (kept_file, kept_named) = create_hidden(&dir.path().join("kept.csv")).unwrap();
        let kept = OutFile { file: kept_file, target: dir.path().join("kept.csv"), named: Some(kept_named) };
        kept.keep().unwrap();
        assert!(named.exists());
        remove_unfinished_where(|named| named.starts_with(dir.path()));
        assert!(!named.exists(), "the unfinished file is gone");
        assert_eq!(entries(dir.path()), vec!["kept.csv".to_string()]);
    }

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

    /// The syncs made of files and folders under `dir` (other tests sync alongside).
    fn syncs_under(dir: &Path) -> Vec<Synced> {
        let all = SYNCS.lock().unwrap_or_else(|e| e.into_inner());
        all.iter()
            .filter(|s| match s {
                Synced::File(p) | Synced::Folder(p) => p.starts_with(dir),
            })
            .cloned()
            .collect()
    }

    /// A kept file is on the disk when `keep` returns: its bytes synced before it took its
    /// name, then its folder, which holds the name; the same for a file of rejected rows and
    /// for one copied out where the unnamed file could not be linked.
    #[test]
    fn a_kept_file_and_its_folder_are_synced_to_the_disk() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("leads.csv");
        let (file, folder) = (Synced::File(target.clone()), Synced::Folder(dir.path().to_path_buf()));
        let out = OutFile::create(&target).unwrap();
        out.writer().unwrap().write_all(b"id\n1\n").unwrap();
        assert!(syncs_under(dir.path()).is_empty(), "nothing synced while it is written");
        out.keep().unwrap();
        assert_eq!(syncs_under(dir.path()), [file.clone(), folder.clone()]);

        let (hidden_file, hidden) = create_hidden(&target).unwrap();
        OutFile { file: hidden_file, target: target.clone(), named: Some(hidden) }.keep().unwrap();
        assert_eq!(syncs_under(dir.path())[2..], [file.clone(), folder.clone()], "named from the start");

        let rejects = dir.path().join("leads.rejects.csv");
        let out = OutFile::create(&rejects).unwrap();
        out.writer().unwrap().write_all(b"reason\n").unwrap();
        assert_eq!(out.keep_as_new([rejects.clone()]).unwrap(), rejects);
        assert_eq!(syncs_under(dir.path())[4..], [Synced::File(rejects), folder.clone()]);

        let mut out = OutFile::create(&target).unwrap();
        out.copy_out().unwrap();
        assert_eq!(syncs_under(dir.path())[6..], [file], "the copy's bytes");
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
    fn a_named_file_is_kept_or_removed_and_a_name_taken_is_passed_over() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("leads.csv");
        // What the fallback does on a filesystem without unnamed files.
        let named = || {
            let (file, hidden) = create_hidden(&target).unwrap();
            OutFile { file, target: target.clone(), named: Some(hidden) }
        };
        let out = named();
        out.writer().unwrap().write_all(b"id\n1\n").unwrap();
        assert_eq!(entries(dir.path()).len(), 1);
        drop(out);
        assert!(entries(dir.path()).is_empty(), "removed when dropped");

        // Two at once (a second export to the same file while the first stops) never share a
        // name: the first one's removal cannot take the second one's file.
        let (first, second) = (named(), named());
        assert_ne!(first.named, second.named);
        second.writer().unwrap().write_all(b"id\n2\n").unwrap();
        drop(first);
        assert_eq!(second.keep().unwrap(), target);
        assert_eq!(std::fs::read(&target).unwrap(), b"id\n2\n");

        // A name taken by a link is passed over, the link neither followed nor removed.
        let hidden = create_hidden(&target).unwrap().1;
        std::fs::remove_file(&hidden).unwrap();
        let planted = PathBuf::from(format!("{}.next", hidden.display()));
        #[cfg(unix)]
        {
            let elsewhere = dir.path().join("elsewhere");
            std::fs::write(&elsewhere, "untouched").unwrap();
            std::os::unix::fs::symlink(&elsewhere, &planted).unwrap();
            assert!(
                std::fs::OpenOptions::new().write(true).create_new(true).open(&planted).is_err(),
                "create_new does not open a name a link holds"
            );
            assert_eq!(std::fs::read(&elsewhere).unwrap(), b"untouched");
            assert!(std::fs::symlink_metadata(&planted).is_ok());
        }
    }

    #[test]
    fn a_name_as_long_as_the_file_system_allows_is_kept_whole() {
        let dir = tempfile::tempdir().unwrap();
        // 82 three-byte characters and ".csv": 250 bytes, within the 255 a name may have.
        let target = dir.path().join(format!("{}.csv", "表".repeat(82)));
        let out = OutFile::create(&target).unwrap();
        out.writer().unwrap().write_all(b"id\n1\n").unwrap();
        assert_eq!(out.keep().unwrap(), target);
        assert_eq!(std::fs::read(&target).unwrap(), b"id\n1\n");
        assert!(hidden_name(&target).file_name().unwrap().len() < 255);
    }

    #[cfg(unix)]
    #[test]
    fn a_file_kept_over_another_takes_its_permissions_whichever_way_it_is_named() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("leads.csv");
        let mode = || std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        for bits in [0o600, 0o640] {
            std::fs::write(&target, "older").unwrap();
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(bits)).unwrap();
            OutFile::create(&target).unwrap().keep().unwrap();
            assert_eq!(mode(), bits, "unnamed, then linked");
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(bits ^ 0o040)).unwrap();
            let (file, hidden) = create_hidden(&target).unwrap();
            OutFile { file, target: target.clone(), named: Some(hidden) }.keep().unwrap();
            assert_eq!(mode(), bits ^ 0o040, "named from the start");
        }
        // Copied out, the copy has the file's bits (which `keep` set from the old file).
        let mut out = OutFile::create(&target).unwrap();
        out.file.set_permissions(std::fs::Permissions::from_mode(0o600)).unwrap();
        let hidden = out.copy_out().unwrap();
        assert_eq!(std::fs::metadata(&hidden).unwrap().permissions().mode() & 0o777, 0o600);
    }

    #[cfg(unix)]
    #[test]
    fn resolve_follows_links_to_the_file_they_name() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir(root.join("real")).unwrap();
        std::os::unix::fs::symlink("real/leads.csv", root.join("a.csv")).unwrap();
        std::os::unix::fs::symlink(root.join("a.csv"), root.join("b.csv")).unwrap();
        std::os::unix::fs::symlink("real", root.join("folder")).unwrap();
        let real = root.join("real/leads.csv");
        assert_eq!(resolve(&root.join("b.csv")).unwrap(), real, "to a file not there yet");
        assert_eq!(resolve(&root.join("folder/leads.csv")).unwrap(), real);
        assert_eq!(resolve(&root.join("plain.csv")).unwrap(), root.join("plain.csv"));
        let missing = resolve(&root.join("nowhere/x.csv")).unwrap_err();
        assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
        std::os::unix::fs::symlink("loop.csv", root.join("loop.csv")).unwrap();
        assert!(resolve(&root.join("loop.csv")).is_err(), "links that go round");
    }

    #[test]
    fn an_unnamed_file_that_cannot_be_linked_is_copied_out_whole() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("leads.csv");
        let mut out = OutFile::create(&target).unwrap();
        let rows: Vec<u8> = (0..100_000).flat_map(|i| format!("{i}\n").into_bytes()).collect();
        out.writer().unwrap().write_all(&rows).unwrap();
        // As when /proc is not there to link through.
        let hidden = out.copy_out().unwrap();
        assert_eq!(std::fs::read(&hidden).unwrap(), rows);
    }
}
