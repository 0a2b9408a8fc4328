//! ISO/IEC 19794-4:2005 finger image records, the biometric data block of DG3.
//!
//! Layout (§8.2–8.3; big-endian):
//!
//! ```text
//! General Record Header (32)  "FIR\0" | "010\0" | record length (6) | capture device id (2) |
//!                             image acquisition level (2) | number of images (1) |
//!                             scale units (1) | scan res. h, v (2+2) | image res. h, v (2+2) |
//!                             pixel depth (1) | compression algorithm (1) | reserved (2)
//! per image: Finger Image Header (14)  length (4) | finger position | count of views |
//!                             view number | quality | impression type | width (2) |
//!                             height (2) | reserved (1)
//!            Finger Image Data
//! ```
//!
//! ICAO DG3 practice (and the EU residence permit) is one record per finger, one 7F60 template
//! each, WSQ at 500 ppi; [`FingerImageRecord::single`] builds exactly that.

use std::fmt;

use super::cursor::{Cursor, Truncated};

use crate::FingerPosition;

/// Format identifier `FIR\0`.
pub const FORMAT_ID: [u8; 4] = *b"FIR\0";
/// Version `010\0` (ISO/IEC 19794-4:2005).
pub const VERSION: [u8; 4] = *b"010\0";
const HEADER_LEN: usize = 32;
const IMAGE_HEADER_LEN: usize = 14;
/// Image acquisition level 31: 500 ppi, 8 bits of grey (ISO/IEC 19794-4:2005 Table 1, the
/// setting for flat 500 ppi captures; value noted as UNVERIFIED in docs/spec).
pub const ACQUISITION_LEVEL_500PPI: u16 = 31;

/// What is wrong with a finger image record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FingerRecordError {
    /// The record ends before a field it must hold.
    #[error(transparent)]
    Truncated(#[from] Truncated),
    /// The format identifier is not `FIR\0`.
    #[error("not an ISO/IEC 19794-4 record: format identifier {0:02X?}")]
    FormatId([u8; 4]),
    /// A version this reader does not know.
    #[error("unsupported finger record version {0:02X?} (expected \"010\\0\")")]
    Version([u8; 4]),
    /// A finger image block whose length cannot be right.
    #[error("finger image block at byte {offset} declares {declared} bytes, which is {reason}")]
    BlockLength {
        /// Where the block starts.
        offset: usize,
        /// Its declared length.
        declared: usize,
        /// Why it cannot be right.
        reason: &'static str,
    },
    /// A record without images.
    #[error("finger record holds no image")]
    NoImage,
    /// A field value that cannot be encoded.
    #[error("{0} is too large to encode")]
    TooLarge(&'static str),
}

/// Compression algorithm of the image data (§8.2.12, 2005 edition codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FingerCompression {
    /// `0` uncompressed, no bit packing.
    Uncompressed,
    /// `1` uncompressed, bit packed.
    UncompressedBitPacked,
    /// `2` WSQ.
    Wsq,
    /// `3` JPEG.
    Jpeg,
    /// `4` JPEG 2000.
    Jpeg2000,
    /// `5` PNG.
    Png,
    /// Any other value read from a record.
    Other(u8),
}

impl FingerCompression {
    /// The encoded byte.
    pub fn code(self) -> u8 {
        match self {
            Self::Uncompressed => 0,
            Self::UncompressedBitPacked => 1,
            Self::Wsq => 2,
            Self::Jpeg => 3,
            Self::Jpeg2000 => 4,
            Self::Png => 5,
            Self::Other(v) => v,
        }
    }

    /// From the encoded byte.
    pub fn from_code(v: u8) -> Self {
        match v {
            0 => Self::Uncompressed,
            1 => Self::UncompressedBitPacked,
            2 => Self::Wsq,
            3 => Self::Jpeg,
            4 => Self::Jpeg2000,
            5 => Self::Png,
            v => Self::Other(v),
        }
    }
}

/// Impression type `0`: live-scan plain (§8.3.6).
pub const IMPRESSION_LIVE_PLAIN: u8 = 0;
/// Impression type `1`: live-scan rolled.
pub const IMPRESSION_LIVE_ROLLED: u8 = 1;
/// Scale units `1`: pixels per inch.
pub const SCALE_UNITS_PPI: u8 = 1;
/// Scale units `2`: pixels per centimetre.
pub const SCALE_UNITS_PPCM: u8 = 2;

/// One finger image with its header.
#[derive(Clone, PartialEq, Eq)]
pub struct FingerImageView {
    /// Finger position code (0–10 fingers, 13–15 multi-finger, 20–36 palm).
    pub position_code: u8,
    /// Number of views of this finger in the record.
    pub view_count: u8,
    /// Which view this is (1-based).
    pub view_number: u8,
    /// Quality 0–100 (254 and 255: not computed / failed, per common practice).
    pub quality: u8,
    /// Impression type.
    pub impression: u8,
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// The compressed (or raw) image.
    pub data: Vec<u8>,
}

impl FingerImageView {
    /// The finger position, when the code names a single finger.
    pub fn position(&self) -> Option<FingerPosition> {
        FingerPosition::from_code(self.position_code)
    }
}

impl fmt::Debug for FingerImageView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FingerImageView")
            .field("position_code", &self.position_code)
            .field("view", &(self.view_number, self.view_count))
            .field("quality", &self.quality)
            .field("size", &(self.width, self.height))
            .field("data_len", &self.data.len())
            .finish()
    }
}

/// An ISO/IEC 19794-4 record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FingerImageRecord {
    /// Capture device id (low 12 bits; 0 unreported).
    pub capture_device_id: u16,
    /// Image acquisition level (Table 1).
    pub acquisition_level: u16,
    /// Scale units ([`SCALE_UNITS_PPI`] or [`SCALE_UNITS_PPCM`]).
    pub scale_units: u8,
    /// Scan resolution horizontal, vertical.
    pub scan_resolution: (u16, u16),
    /// Image resolution horizontal, vertical.
    pub image_resolution: (u16, u16),
    /// Bits per pixel.
    pub pixel_depth: u8,
    /// Compression of every image in the record.
    pub compression: FingerCompression,
    /// The images.
    pub images: Vec<FingerImageView>,
}

impl FingerImageRecord {
    /// A record of one live-scan plain 500 ppi, 8-bit finger image.
    pub fn single(
        position: FingerPosition,
        quality: u8,
        width: u16,
        height: u16,
        compression: FingerCompression,
        data: Vec<u8>,
    ) -> Self {
        Self {
            capture_device_id: 0,
            acquisition_level: ACQUISITION_LEVEL_500PPI,
            scale_units: SCALE_UNITS_PPI,
            scan_resolution: (500, 500),
            image_resolution: (500, 500),
            pixel_depth: 8,
            compression,
            images: vec![FingerImageView {
                position_code: position.code(),
                view_count: 1,
                view_number: 1,
                quality,
                impression: IMPRESSION_LIVE_PLAIN,
                width,
                height,
                data,
            }],
        }
    }

    /// Encodes the record with exact lengths.
    pub fn encode(&self) -> Result<Vec<u8>, FingerRecordError> {
        if self.images.is_empty() {
            return Err(FingerRecordError::NoImage);
        }
        let total = HEADER_LEN
            + self
                .images
                .iter()
                .map(|i| IMAGE_HEADER_LEN + i.data.len())
                .sum::<usize>();
        if total > 0xFFFF_FFFF_FFFF {
            return Err(FingerRecordError::TooLarge("record length"));
        }
        let count = u8::try_from(self.images.len())
            .map_err(|_| FingerRecordError::TooLarge("number of images"))?;
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(&FORMAT_ID);
        out.extend_from_slice(&VERSION);
        out.extend_from_slice((total as u64).to_be_bytes().get(2..).unwrap_or_default());
        out.extend_from_slice(&self.capture_device_id.to_be_bytes());
        out.extend_from_slice(&self.acquisition_level.to_be_bytes());
        out.push(count);
        out.push(self.scale_units);
        out.extend_from_slice(&self.scan_resolution.0.to_be_bytes());
        out.extend_from_slice(&self.scan_resolution.1.to_be_bytes());
        out.extend_from_slice(&self.image_resolution.0.to_be_bytes());
        out.extend_from_slice(&self.image_resolution.1.to_be_bytes());
        out.push(self.pixel_depth);
        out.push(self.compression.code());
        out.extend_from_slice(&[0, 0]);
        for img in &self.images {
            let len = u32::try_from(IMAGE_HEADER_LEN + img.data.len())
                .map_err(|_| FingerRecordError::TooLarge("finger image block"))?;
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(&[
                img.position_code,
                img.view_count,
                img.view_number,
                img.quality,
                img.impression,
            ]);
            out.extend_from_slice(&img.width.to_be_bytes());
            out.extend_from_slice(&img.height.to_be_bytes());
            out.push(0);
            out.extend_from_slice(&img.data);
        }
        Ok(out)
    }

    /// Parses a record. The declared record length must match the data (finger records have no
    /// history of being off, unlike face records).
    pub fn parse(data: &[u8]) -> Result<Self, FingerRecordError> {
        let mut c = Cursor::new(data);
        let format: [u8; 4] = c.array("format identifier")?;
        if format != FORMAT_ID {
            return Err(FingerRecordError::FormatId(format));
        }
        let version: [u8; 4] = c.array("version")?;
        if version != VERSION {
            return Err(FingerRecordError::Version(version));
        }
        let [a, b, l0, l1, l2, l3]: [u8; 6] = c.array("record length")?;
        let declared = u64::from_be_bytes([0, 0, a, b, l0, l1, l2, l3]);
        if declared != data.len() as u64 {
            return Err(FingerRecordError::BlockLength {
                offset: 8,
                declared: usize::try_from(declared).unwrap_or(usize::MAX),
                reason: "not the length of the record",
            });
        }
        let capture_device_id = c.u16("capture device id")?;
        let acquisition_level = c.u16("image acquisition level")?;
        let count = c.byte("number of images")?;
        let scale_units = c.byte("scale units")?;
        let scan_h = c.u16("scan resolution")?;
        let scan_v = c.u16("scan resolution")?;
        let img_h = c.u16("image resolution")?;
        let img_v = c.u16("image resolution")?;
        let pixel_depth = c.byte("pixel depth")?;
        let compression = FingerCompression::from_code(c.byte("compression algorithm")?);
        let _reserved: [u8; 2] = c.array("reserved")?;
        if count == 0 {
            return Err(FingerRecordError::NoImage);
        }
        let mut images = Vec::new();
        for _ in 0..count {
            let start = c.pos();
            let len = c.u32("finger image length")? as usize;
            if len < IMAGE_HEADER_LEN {
                return Err(FingerRecordError::BlockLength {
                    offset: start,
                    declared: len,
                    reason: "shorter than its 14-byte header",
                });
            }
            let position_code = c.byte("finger position")?;
            let view_count = c.byte("count of views")?;
            let view_number = c.byte("view number")?;
            let quality = c.byte("finger image quality")?;
            let impression = c.byte("impression type")?;
            let width = c.u16("horizontal line length")?;
            let height = c.u16("vertical line length")?;
            let _reserved = c.byte("reserved")?;
            let data = c
                .take(len - IMAGE_HEADER_LEN, "finger image data")?
                .to_vec();
            images.push(FingerImageView {
                position_code,
                view_count,
                view_number,
                quality,
                impression,
                width,
                height,
                data,
            });
        }
        Ok(Self {
            capture_device_id,
            acquisition_level,
            scale_units,
            scan_resolution: (scan_h, scan_v),
            image_resolution: (img_h, img_v),
            pixel_depth,
            compression,
            images,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_layout_is_the_2005_one() {
        let rec = FingerImageRecord::single(
            FingerPosition::LeftIndex,
            87,
            416,
            416,
            FingerCompression::Wsq,
            vec![0xFF, 0xA0, 0xFF, 0xA1],
        );
        let bytes = rec.encode().unwrap();
        let expected_header = concat!(
            "46495200",
            "30313000",
            "000000000032", // FIR, 010, record length 50
            "0000",
            "001F",
            "01",
            "01", // device, level 31, 1 image, ppi
            "01F401F4",
            "01F401F4",
            "08",
            "02",
            "0000", // 500/500, 500/500, 8 bit, WSQ
            "00000012",
            "07",
            "01",
            "01",
            "57",
            "00", // block 18, L index, 1 of 1, q 87, plain
            "01A0",
            "01A0",
            "00", // 416 x 416
            "FFA0FFA1",
        );
        assert_eq!(hex::encode_upper(&bytes), expected_header);
        let back = FingerImageRecord::parse(&bytes).unwrap();
        assert_eq!(back, rec);
        assert_eq!(back.images[0].position(), Some(FingerPosition::LeftIndex));
    }

    #[test]
    fn refuses_inconsistent_lengths() {
        let rec = FingerImageRecord::single(
            FingerPosition::RightIndex,
            60,
            10,
            10,
            FingerCompression::Uncompressed,
            vec![0x80; 100],
        );
        let bytes = rec.encode().unwrap();
        assert!(matches!(
            FingerImageRecord::parse(&bytes[..bytes.len() - 1]),
            Err(FingerRecordError::BlockLength { offset: 8, .. })
        ));
        let mut bad_block = bytes.clone();
        bad_block[32..36].copy_from_slice(&200u32.to_be_bytes());
        assert!(matches!(
            FingerImageRecord::parse(&bad_block),
            Err(FingerRecordError::Truncated(_))
        ));
        let mut tiny_block = bytes;
        tiny_block[32..36].copy_from_slice(&3u32.to_be_bytes());
        assert!(
            FingerImageRecord::parse(&tiny_block)
                .unwrap_err()
                .to_string()
                .contains("shorter than its 14-byte header")
        );
    }
}
