//! Read-back before LOCK: open the chip the way an inspection system will (PACE when
//! EF.CardAccess offers it, else BAC, with the keys just stored), read every file of the image
//! and compare byte for byte. A card is never reported as done unless this matched.

use crate::ChipError;
use crate::channel::CardChannel;
use crate::files::ReadLimits;
use crate::reader::{self, AccessKey, AccessProtocol};
use permitkit_lds::Ef;

/// The first byte where `actual` differs from `expected` (the shorter length when one is a
/// prefix of the other); `None` when equal.
pub fn first_difference(expected: &[u8], actual: &[u8]) -> Option<usize> {
    if let Some(i) = expected.iter().zip(actual).position(|(a, b)| a != b) {
        return Some(i);
    }
    (expected.len() != actual.len()).then(|| expected.len().min(actual.len()))
}

/// What a read-back found.
#[derive(Debug, Clone)]
pub struct Readback {
    /// The protocol the chip was opened with.
    pub protocol: AccessProtocol,
    /// The files as read.
    pub files: Vec<(Ef, Vec<u8>)>,
}

/// Opens the chip with `key`, reads every file of `expected` and compares.
pub fn verify<C: CardChannel>(
    channel: C,
    key: &AccessKey,
    expected: &[(Ef, Vec<u8>)],
    limits: ReadLimits,
    progress: &mut dyn FnMut(Ef, usize),
) -> Result<Readback, ChipError> {
    let mut session = reader::open(channel, key, limits)?;
    let mut files = Vec::with_capacity(expected.len());
    for (ef, want) in expected {
        let got = reader::read_files(&mut session, &[*ef], limits)?
            .pop()
            .map(|(_, d)| d)
            .ok_or(ChipError::FileMissing(*ef))?;
        if let Some(offset) = first_difference(want, &got) {
            return Err(ChipError::ReadbackMismatch { ef: *ef, offset });
        }
        progress(*ef, got.len());
        files.push((*ef, got));
    }
    Ok(Readback {
        protocol: session.protocol,
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences() {
        assert_eq!(first_difference(b"abc", b"abc"), None);
        assert_eq!(first_difference(b"abc", b"abd"), Some(2));
        assert_eq!(first_difference(b"abc", b"ab"), Some(2));
        assert_eq!(first_difference(b"ab", b"abc"), Some(2));
    }
}
