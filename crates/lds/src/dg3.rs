//! DG3, the encoded fingers (ICAO Doc 9303-10 §4.7.3): `63 L { 7F61 … }`, a CBEFF group with
//! one template per finger, each an ISO/IEC 19794-4 finger image record (format owner `0101`,
//! format type `0007`, biometric type `08`, subtype the finger position bits).

use crate::{Ef, LdsError, error::InFile};
use permitkit_biometrics::{
    cbeff::{
        BiometricGroup, BiometricHeader, BiometricTemplate, FORMAT_OWNER_JTC1_SC37,
        FORMAT_TYPE_FINGER_IMAGE_19794_4, TYPE_FINGER,
    },
    finger_record::FingerImageRecord,
};
use permitkit_iso7816::tlv::{Tag, Writer, parse_single};

/// One finger template of DG3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dg3Finger {
    /// The CBEFF header.
    pub header: BiometricHeader,
    /// The 19794-4 record.
    pub record: FingerImageRecord,
}

/// The contents of DG3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dg3 {
    /// The finger templates.
    pub fingers: Vec<Dg3Finger>,
}

impl Dg3 {
    /// DG3 with one template per record; the CBEFF subtype comes from each record's first finger
    /// position. `creation` is the CBEFF creation date-time (BCD), when known.
    pub fn new(records: Vec<FingerImageRecord>, creation: Option<[u8; 7]>) -> Self {
        let fingers = records
            .into_iter()
            .map(|record| {
                let subtype = record
                    .images
                    .first()
                    .and_then(|i| i.position())
                    .map(|p| p.cbeff_subtype());
                Dg3Finger {
                    header: BiometricHeader {
                        subtype,
                        creation,
                        ..BiometricHeader::new(
                            TYPE_FINGER,
                            FORMAT_OWNER_JTC1_SC37,
                            FORMAT_TYPE_FINGER_IMAGE_19794_4,
                        )
                    },
                    record,
                }
            })
            .collect();
        Self { fingers }
    }

    /// Encodes the file.
    pub fn encode(&self) -> Result<Vec<u8>, LdsError> {
        let mut templates = Vec::with_capacity(self.fingers.len());
        for f in &self.fingers {
            templates.push(BiometricTemplate {
                header: f.header.clone(),
                bdb: f.record.encode().in_file(Ef::DG3)?,
                constructed_bdb: false,
            });
        }
        let mut inner = Writer::new();
        BiometricGroup::new(templates)
            .encode(&mut inner)
            .in_file(Ef::DG3)?;
        let inner = inner.finish().in_file(Ef::DG3)?;
        let mut w = Writer::new();
        w.primitive(Tag::new(0x63), &inner);
        w.finish().in_file(Ef::DG3)
    }

    /// Parses the file. Templates in a format other than 19794-4 are refused with their
    /// format type named.
    pub fn parse(data: &[u8]) -> Result<Self, LdsError> {
        let outer = parse_single(data, Tag::new(0x63)).in_file(Ef::DG3)?;
        let group =
            BiometricGroup::parse(&mut outer.children().in_file(Ef::DG3)?).in_file(Ef::DG3)?;
        let mut fingers = Vec::with_capacity(group.templates.len());
        for t in group.templates {
            // JMRTD writes 0007; an early ISO draft used 0401. Both carry a 19794-4 record.
            if !matches!(t.header.format_type, 0x0007 | 0x0401) {
                return Err(LdsError::field(
                    Ef::DG3,
                    "format type",
                    format!(
                        "{:04X} is not an ISO/IEC 19794-4 finger image record",
                        t.header.format_type
                    ),
                ));
            }
            fingers.push(Dg3Finger {
                record: FingerImageRecord::parse(&t.bdb).in_file(Ef::DG3)?,
                header: t.header,
            });
        }
        Ok(Self { fingers })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use permitkit_biometrics::{FingerPosition, finger_record::FingerCompression};

    #[test]
    fn two_index_fingers_round_trip_with_subtypes() {
        let rec = |p, q| {
            FingerImageRecord::single(p, q, 400, 500, FingerCompression::Wsq, vec![0x5A; 12_000])
        };
        let dg3 = Dg3::new(
            vec![
                rec(FingerPosition::RightIndex, 80),
                rec(FingerPosition::LeftIndex, 71),
            ],
            None,
        );
        assert_eq!(dg3.fingers[0].header.subtype, Some(0x09));
        assert_eq!(dg3.fingers[1].header.subtype, Some(0x0A));
        let bytes = dg3.encode().unwrap();
        assert_eq!(bytes[0], 0x63);
        assert!(bytes.len() > 24_000);
        assert_eq!(Dg3::parse(&bytes).unwrap(), dg3);
    }
}
