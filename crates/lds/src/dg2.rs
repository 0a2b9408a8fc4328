//! DG2, the encoded face (ICAO Doc 9303-10 §4.7.2): `75 L { 7F61 … }`, a CBEFF group of
//! ISO/IEC 19794-5 face records (format owner `0101`, format type `0008`).
//!
//! Readers must accept other formats too (ICAO is moving DG2 to ISO/IEC 39794-5, format type
//! `002A`); those are kept as opaque blocks.

use crate::{Ef, LdsError, error::InFile};
use permitkit_biometrics::{
    cbeff::{
        BiometricGroup, BiometricHeader, BiometricTemplate, FORMAT_OWNER_JTC1_SC37,
        FORMAT_TYPE_FACE_19794_5, TYPE_FACE,
    },
    face_record::FacialRecord,
};
use permitkit_iso7816::tlv::{Tag, Writer, parse_single};

/// One face template of DG2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dg2Face {
    /// The CBEFF header.
    pub header: BiometricHeader,
    /// The biometric data block.
    pub record: FaceBdb,
}

/// A face data block: a 19794-5 record, or a format this reader keeps opaque.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaceBdb {
    /// ISO/IEC 19794-5:2005.
    Iso19794_5(FacialRecord),
    /// Another format (e.g. ISO/IEC 39794-5): its format type and bytes.
    Other {
        /// CBEFF format type.
        format_type: u16,
        /// The data block.
        bytes: Vec<u8>,
    },
}

/// The contents of DG2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dg2 {
    /// The face templates (one for ICAO documents).
    pub faces: Vec<Dg2Face>,
}

impl Dg2 {
    /// DG2 with one 19794-5 record; `creation` is the CBEFF creation date-time
    /// (BCD `YYYYMMDDhhmmss`), when known.
    pub fn single(record: FacialRecord, creation: Option<[u8; 7]>) -> Self {
        let header = BiometricHeader {
            creation,
            ..BiometricHeader::new(TYPE_FACE, FORMAT_OWNER_JTC1_SC37, FORMAT_TYPE_FACE_19794_5)
        };
        Self {
            faces: vec![Dg2Face {
                header,
                record: FaceBdb::Iso19794_5(record),
            }],
        }
    }

    /// The first 19794-5 record, if any.
    pub fn facial_record(&self) -> Option<&FacialRecord> {
        self.faces.iter().find_map(|f| match &f.record {
            FaceBdb::Iso19794_5(r) => Some(r),
            FaceBdb::Other { .. } => None,
        })
    }

    /// Encodes the file.
    pub fn encode(&self) -> Result<Vec<u8>, LdsError> {
        let mut templates = Vec::with_capacity(self.faces.len());
        for face in &self.faces {
            let (bdb, constructed) = match &face.record {
                FaceBdb::Iso19794_5(r) => (r.encode().in_file(Ef::DG2)?, false),
                FaceBdb::Other { format_type, bytes } => (bytes.clone(), *format_type == 0x002A),
            };
            templates.push(BiometricTemplate {
                header: face.header.clone(),
                bdb,
                constructed_bdb: constructed,
            });
        }
        let mut inner = Writer::new();
        BiometricGroup::new(templates)
            .encode(&mut inner)
            .in_file(Ef::DG2)?;
        let inner = inner.finish().in_file(Ef::DG2)?;
        let mut w = Writer::new();
        w.primitive(Tag::new(0x75), &inner);
        w.finish().in_file(Ef::DG2)
    }

    /// Parses the file.
    pub fn parse(data: &[u8]) -> Result<Self, LdsError> {
        let outer = parse_single(data, Tag::new(0x75)).in_file(Ef::DG2)?;
        let group =
            BiometricGroup::parse(&mut outer.children().in_file(Ef::DG2)?).in_file(Ef::DG2)?;
        let mut faces = Vec::with_capacity(group.templates.len());
        for t in group.templates {
            let record = if t.header.format_type == FORMAT_TYPE_FACE_19794_5 && !t.constructed_bdb {
                FaceBdb::Iso19794_5(FacialRecord::parse(&t.bdb).in_file(Ef::DG2)?)
            } else {
                FaceBdb::Other {
                    format_type: t.header.format_type,
                    bytes: t.bdb,
                }
            };
            faces.push(Dg2Face {
                header: t.header,
                record,
            });
        }
        Ok(Self { faces })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use permitkit_biometrics::face_record::{COLOUR_SPACE_RGB24, FaceImage, FaceImageType};

    fn sample() -> Dg2 {
        let img = FaceImage::jpeg(
            FaceImageType::FullFrontal,
            480,
            600,
            COLOUR_SPACE_RGB24,
            (300, 280),
            (180, 280),
            vec![0xAB; 18_000],
        );
        Dg2::single(
            FacialRecord::single(img),
            Some([0x20, 0x26, 0x11, 0x22, 0x10, 0x30, 0x00]),
        )
    }

    #[test]
    fn layout_and_round_trip() {
        let dg2 = sample();
        let bytes = dg2.encode().unwrap();
        // 75 82 LLLL 7F61 82 LLLL 02 01 01 7F60 82 LLLL A1 ..
        assert_eq!(bytes[0], 0x75);
        assert_eq!(&bytes[4..7], &[0x7F, 0x61, 0x82]);
        assert_eq!(&bytes[9..12], &[0x02, 0x01, 0x01]);
        assert_eq!(Dg2::parse(&bytes).unwrap(), dg2);
        let face = dg2.facial_record().unwrap();
        assert_eq!(face.images[0].eye_centres().unwrap().0.x, 300);
    }

    #[test]
    fn keeps_39794_5_blocks_opaque() {
        // docs/spec/lds.md §5: the 39794-5 variant uses format type 002A in 7F2E.
        let mut dg2 = sample();
        dg2.faces[0].header.format_type = 0x002A;
        dg2.faces[0].record = FaceBdb::Other {
            format_type: 0x002A,
            bytes: vec![0xA1, 0x00],
        };
        let bytes = dg2.encode().unwrap();
        let back = Dg2::parse(&bytes).unwrap();
        assert!(back.facial_record().is_none());
        assert_eq!(back, dg2);
    }

    #[test]
    fn a_broken_face_record_names_dg2() {
        let mut bytes = sample().encode().unwrap();
        let fac = bytes.windows(4).position(|w| w == b"FAC\0").unwrap();
        bytes[fac + 4] = b'9';
        let err = Dg2::parse(&bytes).unwrap_err().to_string();
        assert!(
            err.starts_with("DG2: unsupported face record version"),
            "{err}"
        );
    }
}
