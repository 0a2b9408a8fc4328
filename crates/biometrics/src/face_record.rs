//! ISO/IEC 19794-5:2005 face image records, the biometric data block of DG2.
//!
//! Layout (§5.4–5.8; big-endian throughout):
//!
//! ```text
//! Facial Record Header   "FAC\0" | "010\0" | record length (4) | number of images (2)
//! per image:
//!   Facial Information   block length (4) | feature points (2) | gender | eye colour |
//!                        hair colour | property mask (3) | expression (2) | pose y/p/r (3) |
//!                        pose uncertainty (3)
//!   Feature Points       type | major<<4 | minor | x (2) | y (2) | reserved (2)   (8 each)
//!   Image Information    face image type | image data type | width (2) | height (2) |
//!                        colour space | source type | device type (2) | quality (2)
//!   Image Data           JPEG or JPEG 2000
//! ```
//!
//! Eye centres are the feature points 12.1 (the subject's left eye, which appears on the
//! image's right) and 12.2 (the right eye). Real chips sometimes store a record length a few
//! bytes off (ICAO readers tolerate up to eight); we read such records and report the
//! mismatch, and always write the exact length.

use std::fmt;

use super::cursor::{Cursor, Truncated};

/// Format identifier `FAC\0`.
pub const FORMAT_ID: [u8; 4] = *b"FAC\0";
/// Version `010\0` (ISO/IEC 19794-5:2005).
pub const VERSION: [u8; 4] = *b"010\0";
/// Largest record-length discrepancy read without complaint.
pub const LENGTH_TOLERANCE: usize = 8;
const HEADER_LEN: usize = 14;
const INFO_LEN: usize = 20;
const POINT_LEN: usize = 8;
const IMAGE_INFO_LEN: usize = 12;

/// What is wrong with a face record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FaceRecordError {
    /// The record ends before a field it must hold.
    #[error(transparent)]
    Truncated(#[from] Truncated),
    /// The format identifier is not `FAC\0`.
    #[error("not an ISO/IEC 19794-5 record: format identifier {0:02X?}")]
    FormatId([u8; 4]),
    /// A version this reader does not know.
    #[error("unsupported face record version {0:02X?} (expected \"010\\0\")")]
    Version([u8; 4]),
    /// A block length that does not fit its contents or the record.
    #[error("facial image block at byte {offset} declares {declared} bytes, which is {reason}")]
    BlockLength {
        /// Where the block starts.
        offset: usize,
        /// Its declared length.
        declared: usize,
        /// Why it cannot be right.
        reason: &'static str,
    },
    /// A record without images.
    #[error("face record holds no facial image")]
    NoImage,
    /// A field value that cannot be encoded.
    #[error("{0} is too large to encode")]
    TooLarge(&'static str),
}

/// Gender (§5.5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    /// `00`.
    Unspecified,
    /// `01`.
    Male,
    /// `02`.
    Female,
    /// `FF`.
    Unknown,
    /// Any other value read from a record.
    Other(u8),
}

impl Gender {
    /// The encoded byte.
    pub fn code(self) -> u8 {
        match self {
            Gender::Unspecified => 0,
            Gender::Male => 1,
            Gender::Female => 2,
            Gender::Unknown => 0xFF,
            Gender::Other(v) => v,
        }
    }

    /// From the encoded byte.
    pub fn from_code(v: u8) -> Self {
        match v {
            0 => Gender::Unspecified,
            1 => Gender::Male,
            2 => Gender::Female,
            0xFF => Gender::Unknown,
            v => Gender::Other(v),
        }
    }
}

/// Face image type (§5.7.1), shared with the profiles and the portrait gate.
pub use permitkit_model::face_image_type::FaceImageType;

/// Image data type (§5.7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageDataType {
    /// `00` JPEG.
    Jpeg,
    /// `01` JPEG 2000.
    Jpeg2000,
    /// Any other value read from a record.
    Other(u8),
}

impl ImageDataType {
    /// The encoded byte.
    pub fn code(self) -> u8 {
        match self {
            ImageDataType::Jpeg => 0,
            ImageDataType::Jpeg2000 => 1,
            ImageDataType::Other(v) => v,
        }
    }

    /// From the encoded byte.
    pub fn from_code(v: u8) -> Self {
        match v {
            0 => ImageDataType::Jpeg,
            1 => ImageDataType::Jpeg2000,
            v => ImageDataType::Other(v),
        }
    }
}

/// Colour space `01`: 24-bit RGB (§5.7.5).
pub const COLOUR_SPACE_RGB24: u8 = 0x01;
/// Colour space `03`: 8-bit greyscale.
pub const COLOUR_SPACE_GREY8: u8 = 0x03;

/// The colour space of a prepared portrait's JPEG (§5.7.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ColourSpace {
    /// 24-bit RGB (code [`COLOUR_SPACE_RGB24`]).
    Rgb24,
}

impl ColourSpace {
    /// The colour space code of the record.
    pub fn code(self) -> u8 {
        match self {
            ColourSpace::Rgb24 => COLOUR_SPACE_RGB24,
        }
    }
}
/// Source type `02`: digital still camera (§5.7.6).
pub const SOURCE_DIGITAL_STILL: u8 = 0x02;
/// Source type `06`: digital video camera.
pub const SOURCE_DIGITAL_VIDEO: u8 = 0x06;

/// A feature point (§5.6): an MPEG-4 facial definition point or one of the 19794-5 additions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeaturePoint {
    /// `01` for MPEG-4 feature points.
    pub kind: u8,
    /// Major code (12 for the eye centres).
    pub major: u8,
    /// Minor code (12.1 left eye, 12.2 right eye).
    pub minor: u8,
    /// Horizontal position in image pixels.
    pub x: u16,
    /// Vertical position in image pixels.
    pub y: u16,
}

impl FeaturePoint {
    /// Feature point 12.1: centre of the subject's left eye (on the image's right).
    pub fn left_eye_centre(x: u16, y: u16) -> Self {
        Self {
            kind: 1,
            major: 12,
            minor: 1,
            x,
            y,
        }
    }

    /// Feature point 12.2: centre of the subject's right eye (on the image's left).
    pub fn right_eye_centre(x: u16, y: u16) -> Self {
        Self {
            kind: 1,
            major: 12,
            minor: 2,
            x,
            y,
        }
    }
}

impl fmt::Display for FeaturePoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{} at ({}, {})",
            self.major, self.minor, self.x, self.y
        )
    }
}

/// One facial image with its information block.
#[derive(Clone, PartialEq, Eq)]
pub struct FaceImage {
    /// Gender of the subject.
    pub gender: Gender,
    /// Eye colour code (§5.5.4; 0 unspecified).
    pub eye_colour: u8,
    /// Hair colour code (§5.5.5; 0 unspecified).
    pub hair_colour: u8,
    /// Property mask, 24 bits (§5.5.6; 0 = properties not specified).
    pub properties: u32,
    /// Expression (§5.5.7; 0 unspecified, 1 neutral).
    pub expression: u16,
    /// Pose angles yaw, pitch, roll as encoded (§5.5.8; 0 = unspecified).
    pub pose: [u8; 3],
    /// Pose angle uncertainty yaw, pitch, roll.
    pub pose_uncertainty: [u8; 3],
    /// Feature points (the eye centres 12.1 and 12.2 for ICAO).
    pub feature_points: Vec<FeaturePoint>,
    /// Face image type.
    pub image_type: FaceImageType,
    /// Image data type.
    pub image_data_type: ImageDataType,
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// Colour space code.
    pub colour_space: u8,
    /// Source type code.
    pub source_type: u8,
    /// Device type (vendor specific; 0 unspecified).
    pub device_type: u16,
    /// Quality (0 unspecified).
    pub quality: u16,
    /// The JPEG or JPEG 2000 image.
    pub image: Vec<u8>,
}

impl fmt::Debug for FaceImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaceImage")
            .field("image_type", &self.image_type)
            .field("image_data_type", &self.image_data_type)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("feature_points", &self.feature_points.len())
            .field("image_len", &self.image.len())
            .finish_non_exhaustive()
    }
}

impl FaceImage {
    /// A JPEG portrait of type `image_type` with the two eye centres as feature points and
    /// every descriptive field unspecified.
    pub fn jpeg(
        image_type: FaceImageType,
        width: u16,
        height: u16,
        colour_space: u8,
        left_eye: (u16, u16),
        right_eye: (u16, u16),
        image: Vec<u8>,
    ) -> Self {
        Self {
            gender: Gender::Unspecified,
            eye_colour: 0,
            hair_colour: 0,
            properties: 0,
            expression: 0,
            pose: [0; 3],
            pose_uncertainty: [0; 3],
            feature_points: vec![
                FeaturePoint::left_eye_centre(left_eye.0, left_eye.1),
                FeaturePoint::right_eye_centre(right_eye.0, right_eye.1),
            ],
            image_type,
            image_data_type: ImageDataType::Jpeg,
            width,
            height,
            colour_space,
            source_type: SOURCE_DIGITAL_STILL,
            device_type: 0,
            quality: 0,
            image,
        }
    }

    /// The eye centres (12.1 left, 12.2 right), when present.
    pub fn eye_centres(&self) -> Option<(FeaturePoint, FeaturePoint)> {
        let find = |minor| {
            self.feature_points
                .iter()
                .find(|p| p.kind == 1 && p.major == 12 && p.minor == minor)
                .copied()
        };
        Some((find(1)?, find(2)?))
    }

    fn block_len(&self) -> usize {
        INFO_LEN + POINT_LEN * self.feature_points.len() + IMAGE_INFO_LEN + self.image.len()
    }
}

/// An ISO/IEC 19794-5 record: one or more facial images.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacialRecord {
    /// The images (ICAO DG2 normally holds one).
    pub images: Vec<FaceImage>,
    /// When read: the record length the header declared, if it differed from the real one.
    pub declared_length_mismatch: Option<(usize, usize)>,
}

impl FacialRecord {
    /// A record of one image.
    pub fn single(image: FaceImage) -> Self {
        Self {
            images: vec![image],
            declared_length_mismatch: None,
        }
    }

    /// Encodes the record with exact lengths.
    pub fn encode(&self) -> Result<Vec<u8>, FaceRecordError> {
        if self.images.is_empty() {
            return Err(FaceRecordError::NoImage);
        }
        let total = HEADER_LEN + self.images.iter().map(FaceImage::block_len).sum::<usize>();
        let total32 =
            u32::try_from(total).map_err(|_| FaceRecordError::TooLarge("record length"))?;
        let count = u16::try_from(self.images.len())
            .map_err(|_| FaceRecordError::TooLarge("number of images"))?;
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(&FORMAT_ID);
        out.extend_from_slice(&VERSION);
        out.extend_from_slice(&total32.to_be_bytes());
        out.extend_from_slice(&count.to_be_bytes());
        for img in &self.images {
            let block = u32::try_from(img.block_len())
                .map_err(|_| FaceRecordError::TooLarge("facial image block"))?;
            let points = u16::try_from(img.feature_points.len())
                .map_err(|_| FaceRecordError::TooLarge("number of feature points"))?;
            if img.properties > 0x00FF_FFFF {
                return Err(FaceRecordError::TooLarge("property mask"));
            }
            out.extend_from_slice(&block.to_be_bytes());
            out.extend_from_slice(&points.to_be_bytes());
            out.push(img.gender.code());
            out.push(img.eye_colour);
            out.push(img.hair_colour);
            out.extend_from_slice(img.properties.to_be_bytes().get(1..).unwrap_or_default());
            out.extend_from_slice(&img.expression.to_be_bytes());
            out.extend_from_slice(&img.pose);
            out.extend_from_slice(&img.pose_uncertainty);
            for p in &img.feature_points {
                if p.major > 0x0F || p.minor > 0x0F {
                    return Err(FaceRecordError::TooLarge("feature point code"));
                }
                out.push(p.kind);
                out.push((p.major << 4) | p.minor);
                out.extend_from_slice(&p.x.to_be_bytes());
                out.extend_from_slice(&p.y.to_be_bytes());
                out.extend_from_slice(&[0, 0]);
            }
            out.push(img.image_type.code());
            out.push(img.image_data_type.code());
            out.extend_from_slice(&img.width.to_be_bytes());
            out.extend_from_slice(&img.height.to_be_bytes());
            out.push(img.colour_space);
            out.push(img.source_type);
            out.extend_from_slice(&img.device_type.to_be_bytes());
            out.extend_from_slice(&img.quality.to_be_bytes());
            out.extend_from_slice(&img.image);
        }
        Ok(out)
    }

    /// Parses a record, tolerating a declared record length up to [`LENGTH_TOLERANCE`] bytes
    /// off (kept in [`FacialRecord::declared_length_mismatch`]).
    pub fn parse(data: &[u8]) -> Result<Self, FaceRecordError> {
        let mut c = Cursor::new(data);
        let format: [u8; 4] = c.array("format identifier")?;
        if format != FORMAT_ID {
            return Err(FaceRecordError::FormatId(format));
        }
        let version: [u8; 4] = c.array("version")?;
        if version != VERSION {
            return Err(FaceRecordError::Version(version));
        }
        let declared = c.u32("record length")? as usize;
        let count = c.u16("number of facial images")?;
        if count == 0 {
            return Err(FaceRecordError::NoImage);
        }
        let mut images = Vec::new();
        for i in 0..count {
            let last = i + 1 == count;
            images.push(parse_image(&mut c, last)?);
        }
        let actual = c.pos();
        let declared_length_mismatch = (declared != actual).then_some((declared, actual));
        if declared.abs_diff(actual) > LENGTH_TOLERANCE && declared != data.len() {
            return Err(FaceRecordError::BlockLength {
                offset: 8,
                declared,
                reason: "more than 8 bytes away from the record's real length",
            });
        }
        Ok(Self {
            images,
            declared_length_mismatch,
        })
    }
}

fn parse_image(c: &mut Cursor<'_>, last: bool) -> Result<FaceImage, FaceRecordError> {
    let start = c.pos();
    let declared = c.u32("facial record data length")? as usize;
    let npoints = usize::from(c.u16("number of feature points")?);
    let fixed = INFO_LEN + POINT_LEN * npoints + IMAGE_INFO_LEN;
    if declared < fixed {
        return Err(FaceRecordError::BlockLength {
            offset: start,
            declared,
            reason: "shorter than its information blocks",
        });
    }
    let available = c.remaining() + (c.pos() - start);
    let block_len = if declared <= available {
        declared
    } else if last && declared - available <= LENGTH_TOLERANCE {
        available
    } else {
        return Err(FaceRecordError::BlockLength {
            offset: start,
            declared,
            reason: "longer than the record",
        });
    };
    let gender = Gender::from_code(c.byte("gender")?);
    let eye_colour = c.byte("eye colour")?;
    let hair_colour = c.byte("hair colour")?;
    let [m0, m1, m2]: [u8; 3] = c.array("property mask")?;
    let properties = u32::from_be_bytes([0, m0, m1, m2]);
    let expression = c.u16("expression")?;
    let pose = c.array("pose angles")?;
    let pose_uncertainty = c.array("pose angle uncertainty")?;
    let mut feature_points = Vec::with_capacity(npoints.min(64));
    for _ in 0..npoints {
        let kind = c.byte("feature point type")?;
        let code = c.byte("feature point code")?;
        let x = c.u16("feature point x")?;
        let y = c.u16("feature point y")?;
        let _reserved: [u8; 2] = c.array("feature point reserved")?;
        feature_points.push(FeaturePoint {
            kind,
            major: code >> 4,
            minor: code & 0x0F,
            x,
            y,
        });
    }
    let image_type = FaceImageType::from_code(c.byte("face image type")?);
    let image_data_type = ImageDataType::from_code(c.byte("image data type")?);
    let width = c.u16("width")?;
    let height = c.u16("height")?;
    let colour_space = c.byte("colour space")?;
    let source_type = c.byte("source type")?;
    let device_type = c.u16("device type")?;
    let quality = c.u16("quality")?;
    let image = c.take(block_len - fixed, "image data")?.to_vec();
    Ok(FaceImage {
        gender,
        eye_colour,
        hair_colour,
        properties,
        expression,
        pose,
        pose_uncertainty,
        feature_points,
        image_type,
        image_data_type,
        width,
        height,
        colour_space,
        source_type,
        device_type,
        quality,
        image,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The header, information block, feature points and image information of the gmrtd sample
    /// DG2 decoded in docs/spec/biometric-formats.md §1, followed by a stand-in JPEG of the
    /// length the sample declares.
    fn gmrtd_sample() -> Vec<u8> {
        let fixed = concat!(
            "4641430030313000000042ED0001", // FAC, 010, length 42ED, 1 image
            "000042DF00020000000000000000020001000000", // FIB: 2 feature points, pose 02 00 01
            "01C100E900E3000001C2009000E30000", // 12.1 (233, 227), 12.2 (144, 227)
            "0000018001E0010300000000",     // basic, JPEG, 384x480, RGB24, scanner
        );
        let mut r = hex::decode(fixed).unwrap();
        let mut jpeg = vec![0u8; 0x42DF - 20 - 16 - 12];
        jpeg[..2].copy_from_slice(&[0xFF, 0xD8]);
        r.extend(jpeg);
        r
    }

    #[test]
    fn decodes_the_worked_dg2_record() {
        let bytes = gmrtd_sample();
        assert_eq!(bytes.len(), 0x42ED);
        let rec = FacialRecord::parse(&bytes).unwrap();
        assert_eq!(rec.declared_length_mismatch, None);
        let img = &rec.images[0];
        assert_eq!(img.image_type, FaceImageType::Basic);
        assert_eq!(img.image_data_type, ImageDataType::Jpeg);
        assert_eq!((img.width, img.height), (384, 480));
        assert_eq!(
            (img.colour_space, img.source_type),
            (COLOUR_SPACE_RGB24, 0x03)
        );
        assert_eq!(img.pose, [0x02, 0x00, 0x01]);
        let (left, right) = img.eye_centres().unwrap();
        assert_eq!((left.x, left.y), (0xE9, 0xE3));
        assert_eq!((right.x, right.y), (0x90, 0xE3));
        // The subject's left eye appears on the image's right.
        assert!(left.x > right.x);
        assert_eq!(rec.encode().unwrap(), bytes);
    }

    #[test]
    fn tolerates_a_record_length_a_few_bytes_off() {
        let mut bytes = gmrtd_sample();
        bytes[8..12].copy_from_slice(&(0x42EDu32 + 3).to_be_bytes());
        let rec = FacialRecord::parse(&bytes).unwrap();
        assert_eq!(rec.declared_length_mismatch, Some((0x42F0, 0x42ED)));
        bytes[8..12].copy_from_slice(&(0x42EDu32 + 300).to_be_bytes());
        assert!(FacialRecord::parse(&bytes).is_err());
    }

    #[test]
    fn refuses_broken_records_with_a_reason() {
        let bytes = gmrtd_sample();
        assert!(matches!(
            FacialRecord::parse(&bytes[..12]),
            Err(FaceRecordError::Truncated(_))
        ));
        assert!(matches!(
            FacialRecord::parse(&bytes[..30]),
            Err(FaceRecordError::BlockLength { offset: 14, .. })
        ));
        let mut wrong = bytes.clone();
        wrong[0] = b'F';
        wrong[1] = b'I';
        assert!(matches!(
            FacialRecord::parse(&wrong),
            Err(FaceRecordError::FormatId(_))
        ));
        let mut short_block = bytes;
        short_block[14..18].copy_from_slice(&10u32.to_be_bytes());
        let e = FacialRecord::parse(&short_block).unwrap_err();
        assert!(
            e.to_string()
                .contains("shorter than its information blocks"),
            "{e}"
        );
    }

    #[test]
    fn builds_a_token_frontal_portrait() {
        let img = FaceImage::jpeg(
            FaceImageType::TokenFrontal,
            240,
            320,
            COLOUR_SPACE_RGB24,
            (149, 144),
            (90, 144),
            vec![0xFF, 0xD8, 0xFF, 0xD9],
        );
        let bytes = FacialRecord::single(img.clone()).encode().unwrap();
        assert_eq!(bytes.len(), 14 + 20 + 16 + 12 + 4);
        assert_eq!(
            &bytes[8..12],
            &u32::try_from(bytes.len()).unwrap().to_be_bytes()
        );
        assert_eq!(FacialRecord::parse(&bytes).unwrap().images[0], img);
    }
}
