//! WSQ markers, the bounds-checked byte cursor the table parsers share, and the "scaled
//! number" representation every WSQ table uses.
//!
//! FBI IAFIS-IC-0110 (v3) Annex B: markers are two bytes `FF xx` (`FFA0` SOI … `FFA8` COM,
//! restart markers `FFB0`–`FFB7`); every marker except SOI, EOI and RSTm is followed by a
//! two-byte big-endian segment length that counts itself. Real numbers in the tables are stored
//! as a scale byte `s` and an unsigned integer `v` meaning `v / 10^s` (marker codes and the
//! layout as listed in docs/spec/biometric-formats.md §6 and used by NIST NBIS).

use super::WsqError;

/// Start of image.
pub(crate) const SOI: u16 = 0xFFA0;
/// End of image.
pub(crate) const EOI: u16 = 0xFFA1;
/// Start of frame (frame header).
pub(crate) const SOF: u16 = 0xFFA2;
/// Start of block (block header, then entropy-coded data).
pub(crate) const SOB: u16 = 0xFFA3;
/// Define transform table (wavelet filter taps).
pub(crate) const DTT: u16 = 0xFFA4;
/// Define quantization table.
pub(crate) const DQT: u16 = 0xFFA5;
/// Define Huffman table(s).
pub(crate) const DHT: u16 = 0xFFA6;
/// Define restart interval.
pub(crate) const DRT: u16 = 0xFFA7;
/// Comment.
pub(crate) const COM: u16 = 0xFFA8;
/// First restart marker; `RST0 + m` for m in 0..8.
pub(crate) const RST0: u8 = 0xB0;
/// Last restart marker (low byte).
pub(crate) const RST7: u8 = 0xB7;

/// A readable name for error messages.
pub(crate) fn marker_name(marker: u16) -> String {
    let name = match marker {
        SOI => "SOI",
        EOI => "EOI",
        SOF => "SOF",
        SOB => "SOB",
        DTT => "DTT",
        DQT => "DQT",
        DHT => "DHT",
        DRT => "DRT",
        COM => "COM",
        0xFFB0..=0xFFB7 => "RST",
        _ => "",
    };
    if name.is_empty() {
        format!("{marker:04X}")
    } else {
        format!("{name} ({marker:04X})")
    }
}

/// A bounds-checked cursor over WSQ bytes that reports absolute offsets.
#[derive(Clone, Debug)]
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    /// Absolute offset of `data[0]` in the whole WSQ stream.
    base: usize,
}

impl<'a> Reader<'a> {
    /// A cursor at the start of a whole WSQ stream.
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Self {
            data,
            pos: 0,
            base: 0,
        }
    }

    /// Absolute offset of the next byte.
    pub(crate) fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Number of unread bytes.
    pub(crate) fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    /// The unread bytes, without consuming them.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or_default()
    }

    /// Skips `n` bytes that the caller has already examined through [`Reader::rest`].
    pub(crate) fn advance(&mut self, n: usize, context: &'static str) -> Result<(), WsqError> {
        self.take(n, context).map(|_| ())
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize, context: &'static str) -> Result<&'a [u8], WsqError> {
        let truncated = WsqError::Truncated {
            offset: self.offset(),
            context,
        };
        let end = self.pos.checked_add(n).ok_or(truncated.clone())?;
        let bytes = self.data.get(self.pos..end).ok_or(truncated)?;
        self.pos = end;
        Ok(bytes)
    }

    /// A cursor over the next `n` bytes (a marker segment's payload), consumed from this one.
    pub(crate) fn sub(&mut self, n: usize, context: &'static str) -> Result<Reader<'a>, WsqError> {
        let base = self.offset();
        let data = self.take(n, context)?;
        Ok(Reader { data, pos: 0, base })
    }

    pub(crate) fn u8(&mut self, context: &'static str) -> Result<u8, WsqError> {
        match self.take(1, context)? {
            [b] => Ok(*b),
            _ => Err(WsqError::Truncated {
                offset: self.offset(),
                context,
            }),
        }
    }

    pub(crate) fn u16(&mut self, context: &'static str) -> Result<u16, WsqError> {
        match self.take(2, context)? {
            [a, b] => Ok(u16::from_be_bytes([*a, *b])),
            _ => Err(WsqError::Truncated {
                offset: self.offset(),
                context,
            }),
        }
    }

    pub(crate) fn u32(&mut self, context: &'static str) -> Result<u32, WsqError> {
        match self.take(4, context)? {
            [a, b, c, d] => Ok(u32::from_be_bytes([*a, *b, *c, *d])),
            _ => Err(WsqError::Truncated {
                offset: self.offset(),
                context,
            }),
        }
    }

    /// A scaled 16-bit number: scale byte then big-endian value.
    pub(crate) fn scaled16(&mut self, context: &'static str) -> Result<Scaled16, WsqError> {
        let scale = self.u8(context)?;
        let raw = self.u16(context)?;
        Ok(Scaled16 { scale, raw })
    }

    /// Reads a marker segment header (marker already read): the length, then a cursor over the
    /// payload. `name` names the segment in errors.
    pub(crate) fn segment(&mut self, name: &'static str) -> Result<Reader<'a>, WsqError> {
        let at = self.offset();
        let length = self.u16(name)?;
        let payload = usize::from(length).checked_sub(2).ok_or_else(|| {
            WsqError::malformed(at, format!("{name} segment length {length} is below 2"))
        })?;
        self.sub(payload, name)
    }
}

/// Appends a big-endian `u16`.
pub(crate) fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Appends a marker segment: marker, length (payload + 2) and payload.
pub(crate) fn put_segment(out: &mut Vec<u8>, marker: u16, payload: &[u8]) -> Result<(), WsqError> {
    let length = payload
        .len()
        .checked_add(2)
        .and_then(|n| u16::try_from(n).ok())
        .ok_or_else(|| {
            WsqError::InvalidOption(format!(
                "{} segment of {} bytes does not fit a 16-bit length",
                marker_name(marker),
                payload.len()
            ))
        })?;
    put_u16(out, marker);
    put_u16(out, length);
    out.extend_from_slice(payload);
    Ok(())
}

/// A real number stored as `raw / 10^scale` with a 16-bit `raw` (SOF, DQT).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Scaled16 {
    pub(crate) scale: u8,
    pub(crate) raw: u16,
}

impl Scaled16 {
    /// The number this represents.
    pub(crate) fn value(self) -> f64 {
        f64::from(self.raw) / 10f64.powi(i32::from(self.scale))
    }

    /// The representation with the most significant digits that fits 16 bits, as the reference
    /// encoder chooses it (scale up while the value stays below 65535, then round). `None` for
    /// negative, non-finite or too large values.
    pub(crate) fn encode(value: f64) -> Option<Self> {
        scaled(value, f64::from(u16::MAX)).and_then(|(scale, raw)| {
            Some(Self {
                scale,
                raw: u16::try_from(raw).ok()?,
            })
        })
    }

    pub(crate) fn put(self, out: &mut Vec<u8>) {
        out.push(self.scale);
        put_u16(out, self.raw);
    }
}

/// A filter coefficient stored as sign byte, scale byte and 32-bit magnitude (DTT).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Scaled32 {
    pub(crate) negative: bool,
    pub(crate) scale: u8,
    pub(crate) raw: u32,
}

impl Scaled32 {
    pub(crate) fn value(self) -> f64 {
        let magnitude = f64::from(self.raw) / 10f64.powi(i32::from(self.scale));
        if self.negative { -magnitude } else { magnitude }
    }

    pub(crate) fn encode(value: f64) -> Option<Self> {
        let (scale, raw) = scaled(value.abs(), f64::from(u32::MAX))?;
        Some(Self {
            negative: value < 0.0,
            scale,
            raw: u32::try_from(raw).ok()?,
        })
    }

    pub(crate) fn put(self, out: &mut Vec<u8>) {
        out.push(u8::from(self.negative));
        out.push(self.scale);
        out.extend_from_slice(&self.raw.to_be_bytes());
    }
}

/// Largest power-of-ten scale that keeps `value * 10^scale` at or below `max`, and the rounded
/// scaled integer.
fn scaled(value: f64, max: f64) -> Option<(u8, u64)> {
    if !value.is_finite() || value < 0.0 || value > max {
        return None;
    }
    if value == 0.0 {
        return Some((0, 0));
    }
    let mut scale = 0u8;
    while scale < 100 && value * 10f64.powi(i32::from(scale) + 1) < max {
        scale += 1;
    }
    let scaled = (value * 10f64.powi(i32::from(scale))).round();
    if scaled > max {
        return None;
    }
    // `scaled` is a non-negative integer no larger than `max` (at most u32::MAX).
    #[expect(
        clippy::cast_possible_truncation,
        reason = "rounded, non-negative and bounded by max above"
    )]
    let raw = scaled as u64;
    Some((scale, raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled16_matches_reference_encoder_choices() {
        // Values seen in an NBIS-encoded frame header: M = 128.36 is stored as scale 2,
        // 12836; R = 0.9503 as scale 4, 9503.
        assert_eq!(
            Scaled16::encode(128.36),
            Some(Scaled16 {
                scale: 2,
                raw: 12836
            })
        );
        assert_eq!(
            Scaled16::encode(0.9503),
            Some(Scaled16 {
                scale: 4,
                raw: 9503
            })
        );
        assert_eq!(Scaled16::encode(0.0), Some(Scaled16 { scale: 0, raw: 0 }));
        assert_eq!(Scaled16::encode(65535.0).map(|s| s.raw), Some(65535));
        assert_eq!(Scaled16::encode(70000.0), None);
        assert_eq!(Scaled16::encode(-1.0), None);
        assert_eq!(Scaled16::encode(f64::NAN), None);
    }

    #[test]
    fn scaled32_round_trips_filter_taps() {
        let tap = 0.852_698_679_009_403_4;
        let s = Scaled32::encode(tap).unwrap();
        assert_eq!((s.negative, s.scale, s.raw), (false, 9, 852_698_679));
        let n = Scaled32::encode(-0.023_849_465_019_38).unwrap();
        assert!(n.negative);
        assert!((n.value() + 0.023_849_465_019_38).abs() < 1e-11);
    }

    #[test]
    fn reader_reports_absolute_offsets() {
        let data = [0xFF, 0xA2, 0x00, 0x05, 1, 2, 3, 9];
        let mut r = Reader::new(&data);
        assert_eq!(r.u16("marker").unwrap(), SOF);
        let mut seg = r.segment("SOF").unwrap();
        assert_eq!(seg.offset(), 4);
        assert_eq!(seg.take(3, "x").unwrap(), &[1, 2, 3]);
        assert_eq!(
            seg.u8("more"),
            Err(WsqError::Truncated {
                offset: 7,
                context: "more"
            })
        );
        assert_eq!(r.offset(), 7);
        let mut short = Reader::new(&[0x00, 0x01]);
        assert!(matches!(
            short.segment("COM"),
            Err(WsqError::Malformed { offset: 0, .. })
        ));
    }
}
