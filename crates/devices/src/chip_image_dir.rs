//! A ChipImage kept in a folder (ICAO 9303-10 file names: `COM.bin`, `DG1.bin` …, `SOD.bin`,
//! `manifest.json`, `chip-keys.json`; `docs/spec/` §LDS): the file I/O around the in-memory
//! folder form of `permitkit_lds` ([`ChipImage::to_folder`], [`ChipImage::from_folder`]).
//! Every file is written owner-only (0600), whole or not at all: the data groups hold
//! biometrics, chip-keys.json the chip's private keys.

use std::path::{Path, PathBuf};

use permitkit_lds::chip_image::{CHIP_KEYS_FILE, MAX_FILE_SIZE, Manifest};
use permitkit_lds::{ChipImage, ChipImageError};
use permitkit_model::private_file;
use zeroize::Zeroizing;

/// Why a ChipImage folder cannot be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChipImageDirError {
    /// A file could not be read or written.
    #[error("{path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file larger than [`MAX_FILE_SIZE`].
    #[error("{path}: {size} bytes is larger than any elementary file ({MAX_FILE_SIZE} max)")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
    },
    /// The files do not make a consistent ChipImage.
    #[error(transparent)]
    Image(#[from] ChipImageError),
}

/// Writes `image` into `dir` (created if missing); a `chip-keys.json` left from an earlier
/// image with keys is removed when this one has none. Returns the manifest.
pub fn save(image: &ChipImage, dir: &Path) -> Result<Manifest, ChipImageDirError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ChipImageDirError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let (manifest, files) = image.to_folder()?;
    for file in &files {
        let path = dir.join(&file.name);
        private_file::write(&path, &file.bytes).map_err(io(&path))?;
    }
    let keys_path = dir.join(CHIP_KEYS_FILE);
    if !manifest.chip_keys && keys_path.exists() {
        std::fs::remove_file(&keys_path).map_err(io(&keys_path))?;
    }
    Ok(manifest)
}

/// Loads a folder written by [`save`] (or by hand: manifest.json is checked when present),
/// re-checking every data group hash against EF.SOD. A file over [`MAX_FILE_SIZE`] is refused
/// before it is read.
pub fn load(dir: &Path) -> Result<ChipImage, ChipImageDirError> {
    ChipImage::from_folder(|name| {
        let path = dir.join(name);
        match std::fs::metadata(&path) {
            Ok(m) if m.len() > MAX_FILE_SIZE => Err(ChipImageDirError::TooLarge {
                path,
                size: m.len(),
            }),
            Ok(_) => std::fs::read(&path)
                .map(|bytes| Some(Zeroizing::new(bytes)))
                .map_err(|source| ChipImageDirError::Io { path, source }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(ChipImageDirError::Io { path, source }),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use permitkit_lds::Ef;

    #[test]
    fn an_empty_folder_is_missing_files_and_an_oversized_file_is_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let e = load(dir.path()).unwrap_err();
        assert!(
            matches!(
                e,
                ChipImageDirError::Image(ChipImageError::Missing(Ef::Sod))
            ),
            "{e}"
        );
        let big = dir.path().join("DG2.bin");
        std::fs::File::create(&big)
            .unwrap()
            .set_len(MAX_FILE_SIZE + 1)
            .unwrap();
        let e = load(dir.path()).unwrap_err();
        assert!(
            matches!(&e, ChipImageDirError::TooLarge { path, size } if *path == big && *size == MAX_FILE_SIZE + 1),
            "{e}"
        );
    }
}
