//! Files that hold secrets or biometric data — the station's journal key, chip keys, ChipImage
//! folders, private keys — written by one writer: whole, owner-only and durably (POSIX.1-2017
//! `open(2)` with `O_CREAT | O_EXCL`, `fsync(2)`, `rename(2)`, `link(2)`).
//!
//! The bytes go to a new temporary file in the target's folder, created with mode 0600 (no
//! other user can open it at any moment, whatever the umask and whatever mode an earlier file of
//! that name had), and are synced; the temporary file then replaces the target ([`write`]) or
//! becomes it only if there is none ([`write_new`]), and the folder is synced so that the new
//! name survives a power cut. A reader sees the old file or the new one, never half of one.

use std::{
    ffi::OsString,
    io::{self, Write},
    path::{Path, PathBuf},
};

/// Writes `bytes` to `path` (mode 0600), replacing any file there.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = stage(path, bytes)?;
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(path)
}

/// Writes `bytes` to `path` (mode 0600) if no file is there; fails with
/// [`io::ErrorKind::AlreadyExists`] otherwise, leaving that file as it was — so two processes
/// creating the same file never replace each other's.
pub fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = stage(path, bytes)?;
    let linked = std::fs::hard_link(&tmp, path);
    let removed = std::fs::remove_file(&tmp);
    linked?;
    removed?;
    sync_dir(path)
}

/// Creates the folder `path` (its parent must exist) with mode 0700; fails with
/// [`io::ErrorKind::AlreadyExists`] when it exists.
pub fn create_dir(path: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path)?;
    sync_dir(path)
}

/// A new temporary file beside `path` holding `bytes`, synced.
fn stage(path: &Path, bytes: &[u8]) -> io::Result<PathBuf> {
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} names no file", path.display()),
        )
    })?;
    let mut suffix = [0u8; 8];
    crate::random::fill_random(&mut suffix).map_err(io::Error::other)?;
    let mut tmp_name = OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.tmp", hex(&suffix)));
    let tmp = path.with_file_name(tmp_name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    drop(file);
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(tmp)
}

/// Syncs the folder holding `path`, so that a name made or replaced in it is durable.
fn sync_dir(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn replaces_a_file_whole_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        write(&path, b"first").unwrap();
        write(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["keys.json"]);
    }

    #[cfg(unix)]
    #[test]
    fn an_existing_world_readable_file_becomes_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("DG2.bin");
        std::fs::write(&path, b"old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write(&path, b"face").unwrap();
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn write_new_never_replaces_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.sqlite.key");
        write_new(&path, b"one").unwrap();
        let e = write_new(&path, b"two").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn folders_are_owner_only_and_made_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("enrolment");
        create_dir(&path).unwrap();
        assert_eq!(
            create_dir(&path).unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o700);
        assert!(write(Path::new("/"), b"x").is_err(), "no file name");
    }
}
