//! A bounds-checked big-endian cursor for the fixed-layout ISO/IEC 19794 records.

/// A field that runs past the end of a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("truncated at byte {offset}: {field} needs {needed} bytes, {available} left")]
pub struct Truncated {
    /// Where the field starts.
    pub offset: usize,
    /// Which field.
    pub field: &'static str,
    /// Bytes it needs.
    pub needed: usize,
    /// Bytes left.
    pub available: usize,
}

/// Reads fields in order, naming each one in the error when the data ends early.
pub(crate) struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    /// Offset of the next byte.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes after the cursor.
    pub(crate) fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    pub(crate) fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], Truncated> {
        let out = self
            .data
            .get(self.pos..self.pos.saturating_add(n))
            .ok_or(Truncated {
                offset: self.pos,
                field,
                needed: n,
                available: self.remaining(),
            })?;
        self.pos += n;
        Ok(out)
    }

    pub(crate) fn array<const N: usize>(
        &mut self,
        field: &'static str,
    ) -> Result<[u8; N], Truncated> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, field)?);
        Ok(out)
    }

    pub(crate) fn byte(&mut self, field: &'static str) -> Result<u8, Truncated> {
        let [b] = self.array::<1>(field)?;
        Ok(b)
    }

    pub(crate) fn u16(&mut self, field: &'static str) -> Result<u16, Truncated> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    pub(crate) fn u32(&mut self, field: &'static str) -> Result<u32, Truncated> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }
}
