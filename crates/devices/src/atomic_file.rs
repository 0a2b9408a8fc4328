//! Small files written whole or not at all, and read back with a size limit: the file I/O
//! behind the virtual chip's state file ([`crate::sim_state`]) and the personalization journal
//! ([`crate::file_journal`]). Atomicity comes from POSIX `rename(2)` over a synced temporary
//! file in the same folder.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Why a file could not be read back.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The file system refused.
    Io(std::io::Error),
    /// The file is larger than the limit (its size).
    TooLarge(u64),
}

/// Writes `bytes` to `path` through `path.tmp` and a rename, so a reader sees the old file or
/// the new one, never half of one. An `owner_only` file (it holds secrets) is written by the one
/// private-file writer, `permitkit_model::private_file`: mode 0600 whatever was there before.
pub(crate) fn write(path: &Path, bytes: &[u8], owner_only: bool) -> std::io::Result<()> {
    if owner_only {
        return permitkit_model::private_file::write(path, bytes);
    }
    let tmp = temporary(path);
    {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

/// Reads `path` whole, refusing a file larger than `max` bytes before allocating for it.
pub(crate) fn read(path: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    let len = file.metadata().map_err(ReadError::Io)?.len();
    if len > max {
        return Err(ReadError::TooLarge(len));
    }
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    let read = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if read > max {
        return Err(ReadError::TooLarge(read));
    }
    Ok(bytes)
}

/// `path` with `.tmp` appended.
fn temporary(path: &Path) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(".tmp");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_files_and_reads_them_within_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        write(&path, b"first", true).unwrap();
        write(&path, b"second", true).unwrap();
        assert_eq!(read(&path, 6).unwrap(), b"second");
        assert!(!temporary(&path).exists());
        assert!(matches!(read(&path, 5), Err(ReadError::TooLarge(6))));
        assert!(matches!(
            read(&dir.path().join("absent"), 5),
            Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound
        ));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
