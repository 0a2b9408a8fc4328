//! The virtual chip's file system: transparent elementary files under the master file and the
//! eMRTD application (ISO/IEC 7816-4 §7.1; ICAO Doc 9303-10 §3.11).
//!
//! Files are created with a fixed size and zero content (CREATE FILE), then written with
//! UPDATE BINARY. Every size and count is bounded so a hostile command sequence cannot exhaust
//! memory: at most `max_files` files of at most `max_ef_size` bytes each.

use std::collections::BTreeMap;

use permitkit_iso7816::apdu::StatusWord;
use permitkit_lds::Ef;

/// A dedicated file: the master file or the eMRTD application.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Df {
    /// The master file (`3F00`), home of EF.CardAccess and EF.CardSecurity.
    Mf,
    /// The eMRTD LDS1 application.
    App,
}

/// Transparent elementary files with bounded sizes.
#[derive(Debug, Clone, Default)]
pub struct FileSystem {
    files: BTreeMap<(Df, u16), Vec<u8>>,
    max_ef_size: usize,
    max_files: usize,
}

impl FileSystem {
    /// An empty file system with the given limits.
    pub fn new(max_ef_size: usize, max_files: usize) -> Self {
        Self {
            files: BTreeMap::new(),
            max_ef_size,
            max_files,
        }
    }

    /// Largest EF size accepted by [`FileSystem::create`].
    pub fn max_ef_size(&self) -> usize {
        self.max_ef_size
    }

    /// Creates an EF of `size` zero bytes.
    pub fn create(&mut self, df: Df, fid: u16, size: usize) -> Result<(), StatusWord> {
        if self.files.contains_key(&(df, fid)) {
            return Err(StatusWord::FILE_ALREADY_EXISTS);
        }
        if size > self.max_ef_size || self.files.len() >= self.max_files {
            return Err(StatusWord::NOT_ENOUGH_MEMORY);
        }
        if fid == 0x3F00 || fid == 0xFFFF {
            return Err(StatusWord::WRONG_DATA);
        }
        self.files.insert((df, fid), vec![0; size]);
        Ok(())
    }

    /// True when the EF exists.
    pub fn exists(&self, df: Df, fid: u16) -> bool {
        self.files.contains_key(&(df, fid))
    }

    /// The size of an EF.
    pub fn size(&self, df: Df, fid: u16) -> Option<usize> {
        self.files.get(&(df, fid)).map(Vec::len)
    }

    /// Up to `len` bytes from `offset`; `6B00` when the offset is past the end.
    pub fn read(&self, df: Df, fid: u16, offset: usize, len: usize) -> Result<&[u8], StatusWord> {
        let data = self
            .files
            .get(&(df, fid))
            .ok_or(StatusWord::FILE_NOT_FOUND)?;
        if offset > data.len() {
            return Err(StatusWord::WRONG_P1P2);
        }
        let end = offset.saturating_add(len).min(data.len());
        data.get(offset..end).ok_or(StatusWord::WRONG_P1P2)
    }

    /// Writes `bytes` at `offset`; the file does not grow.
    pub fn write(
        &mut self,
        df: Df,
        fid: u16,
        offset: usize,
        bytes: &[u8],
    ) -> Result<(), StatusWord> {
        let data = self
            .files
            .get_mut(&(df, fid))
            .ok_or(StatusWord::FILE_NOT_FOUND)?;
        let end = offset
            .checked_add(bytes.len())
            .ok_or(StatusWord::WRONG_P1P2)?;
        let target = data
            .get_mut(offset..end)
            .ok_or(StatusWord::NOT_ENOUGH_MEMORY)?;
        target.copy_from_slice(bytes);
        Ok(())
    }

    /// The FID of the EF with short file identifier `sfi` in `df` (from the LDS table).
    pub fn fid_for_sfi(df: Df, sfi: u8) -> Option<u16> {
        let candidates = [Ef::CardAccess, Ef::CardSecurity, Ef::Com, Ef::Sod]
            .into_iter()
            .chain((1..=16).filter_map(Ef::dg));
        candidates
            .filter(|ef| ef.in_master_file() == (df == Df::Mf))
            .find(|ef| ef.sfi() == sfi)
            .map(Ef::fid)
    }

    /// Every file, for saving.
    pub fn files(&self) -> impl Iterator<Item = (Df, u16, &[u8])> {
        self.files
            .iter()
            .map(|((df, fid), d)| (*df, *fid, d.as_slice()))
    }

    /// Puts a whole file back (loading a saved state); limits apply.
    pub fn restore(&mut self, df: Df, fid: u16, data: Vec<u8>) -> Result<(), StatusWord> {
        self.create(df, fid, data.len())?;
        self.files.insert((df, fid), data);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_files() {
        let mut fs = FileSystem::new(100, 2);
        fs.create(Df::App, 0x011E, 10).unwrap();
        assert_eq!(
            fs.create(Df::App, 0x011E, 10),
            Err(StatusWord::FILE_ALREADY_EXISTS)
        );
        assert_eq!(
            fs.create(Df::App, 0x0101, 101),
            Err(StatusWord::NOT_ENOUGH_MEMORY)
        );
        fs.create(Df::Mf, 0x011C, 5).unwrap();
        assert_eq!(
            fs.create(Df::App, 0x0102, 1),
            Err(StatusWord::NOT_ENOUGH_MEMORY)
        );
        fs.write(Df::App, 0x011E, 8, &[1, 2]).unwrap();
        assert_eq!(
            fs.write(Df::App, 0x011E, 9, &[1, 2]),
            Err(StatusWord::NOT_ENOUGH_MEMORY)
        );
        assert_eq!(fs.read(Df::App, 0x011E, 8, 100).unwrap(), [1, 2]);
        assert_eq!(fs.read(Df::App, 0x011E, 11, 1), Err(StatusWord::WRONG_P1P2));
        assert_eq!(FileSystem::fid_for_sfi(Df::Mf, 0x1C), Some(0x011C));
        assert_eq!(FileSystem::fid_for_sfi(Df::App, 0x1D), Some(0x011D));
        assert_eq!(FileSystem::fid_for_sfi(Df::App, 0x02), Some(0x0102));
        assert_eq!(FileSystem::fid_for_sfi(Df::Mf, 0x02), None);
    }
}
