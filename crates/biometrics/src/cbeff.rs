//! CBEFF biometric templates as ICAO stores them in DG2, DG3 and DG4.
//!
//! ICAO Doc 9303-10 §4.7.2–4.7.4 and ISO/IEC 7816-11 (the ISO/IEC 19785-3 patron format for
//! smart cards):
//!
//! ```text
//! 7F61 Biometric Information Group Template
//!   02 01 n          number of instances
//!   7F60 BIT         (n times)
//!     A1 BHT         80 version, 81 type, 82 subtype, 83 creation, 85 validity, 86 creator,
//!                    87 format owner, 88 format type
//!     5F2E BDB       (or 7F2E for a constructed BDB, ISO/IEC 39794)
//! ```
//!
//! Written strictly (mandatory elements only plus the ones given, in tag order); read
//! tolerantly: unknown header elements are kept aside, a count that disagrees with the number of
//! templates found is reported rather than refused.

use permitkit_iso7816::tlv::{Reader, Tag, TlvError, Writer};

/// `7F61` Biometric Information Group Template.
pub const TAG_BIT_GROUP: Tag = Tag::new(0x7F61);
/// `7F60` Biometric Information Template.
pub const TAG_BIT: Tag = Tag::new(0x7F60);
/// `A1` Biometric Header Template.
pub const TAG_BHT: Tag = Tag::new(0xA1);
/// `5F2E` biometric data block.
pub const TAG_BDB: Tag = Tag::new(0x5F2E);
/// `7F2E` constructed biometric data block.
pub const TAG_BDB_CONSTRUCTED: Tag = Tag::new(0x7F2E);
const TAG_COUNT: Tag = Tag::new(0x02);

/// CBEFF biometric type for a face (ISO/IEC 19785-3: `02`).
pub const TYPE_FACE: u32 = 0x02;
/// CBEFF biometric type for fingers (`08`).
pub const TYPE_FINGER: u32 = 0x08;
/// CBEFF biometric type for irises (`10`).
pub const TYPE_IRIS: u32 = 0x10;
/// Format owner ISO/IEC JTC 1/SC 37 (`0101`).
pub const FORMAT_OWNER_JTC1_SC37: u16 = 0x0101;
/// Format type of an ISO/IEC 19794-5 face record (`0008`).
pub const FORMAT_TYPE_FACE_19794_5: u16 = 0x0008;
/// Format type of an ISO/IEC 19794-4 finger image record (`0007`).
pub const FORMAT_TYPE_FINGER_IMAGE_19794_4: u16 = 0x0007;
/// Format type of an ISO/IEC 39794-5 face record (`002A`).
pub const FORMAT_TYPE_FACE_39794_5: u16 = 0x002A;

/// The highest number of templates accepted in one group: ICAO readers accept up to nine, and
/// anything beyond that in a data group is malformed rather than merely unusual.
pub const MAX_TEMPLATES: usize = 16;

/// What is wrong with a CBEFF structure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CbeffError {
    /// The TLV structure is broken.
    #[error(transparent)]
    Tlv(#[from] TlvError),
    /// A header element has the wrong size.
    #[error("biometric header element {tag} at byte {offset} has {len} bytes, expected {expected}")]
    BadElementLength {
        /// Tag of the element.
        tag: Tag,
        /// Where it starts.
        offset: usize,
        /// Its length.
        len: usize,
        /// The length(s) allowed.
        expected: &'static str,
    },
    /// The mandatory format owner or format type is missing.
    #[error("biometric header at byte {offset} has no {element}")]
    MissingElement {
        /// Where the header starts.
        offset: usize,
        /// Which element is missing.
        element: &'static str,
    },
    /// A template without a biometric data block.
    #[error("biometric information template at byte {0} has no data block (5F2E or 7F2E)")]
    MissingBdb(usize),
    /// More templates than [`MAX_TEMPLATES`].
    #[error("{0} biometric templates in one group (at most {MAX_TEMPLATES} accepted)")]
    TooManyTemplates(usize),
    /// A group with no template.
    #[error("biometric information group at byte {0} holds no template")]
    Empty(usize),
}

/// The Biometric Header Template (`A1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BiometricHeader {
    /// `80`: patron header version (ICAO writes `0101`).
    pub version: Option<[u8; 2]>,
    /// `81`: biometric type ([`TYPE_FACE`], [`TYPE_FINGER`] …), one or three bytes.
    pub biometric_type: Option<u32>,
    /// `82`: biometric subtype (finger position bits for DG3).
    pub subtype: Option<u8>,
    /// `83`: creation date and time, BCD `YYYYMMDDhhmmss`.
    pub creation: Option<[u8; 7]>,
    /// `85`: validity period, BCD `YYYYMMDDYYYYMMDD`.
    pub validity: Option<[u8; 8]>,
    /// `86`: creator (product identifier).
    pub creator: Option<[u8; 2]>,
    /// `87`: format owner.
    pub format_owner: u16,
    /// `88`: format type.
    pub format_type: u16,
    /// Elements this reader does not interpret, kept as (tag, value).
    pub other: Vec<(Tag, Vec<u8>)>,
}

impl BiometricHeader {
    /// A header with version `0101`, the given type and format, and no optional elements.
    pub fn new(biometric_type: u32, format_owner: u16, format_type: u16) -> Self {
        Self {
            version: Some([0x01, 0x01]),
            biometric_type: Some(biometric_type),
            subtype: None,
            creation: None,
            validity: None,
            creator: None,
            format_owner,
            format_type,
            other: Vec::new(),
        }
    }

    fn encode(&self, w: &mut Writer) {
        w.constructed(TAG_BHT, |w| {
            if let Some(v) = self.version {
                w.primitive(Tag::new(0x80), &v);
            }
            if let Some(t) = self.biometric_type {
                let bytes = t.to_be_bytes();
                if t <= 0xFF {
                    w.primitive(Tag::new(0x81), bytes.get(3..).unwrap_or_default());
                } else {
                    w.primitive(Tag::new(0x81), bytes.get(1..).unwrap_or_default());
                }
            }
            if let Some(s) = self.subtype {
                w.primitive(Tag::new(0x82), &[s]);
            }
            if let Some(c) = self.creation {
                w.primitive(Tag::new(0x83), &c);
            }
            if let Some(v) = self.validity {
                w.primitive(Tag::new(0x85), &v);
            }
            if let Some(c) = self.creator {
                w.primitive(Tag::new(0x86), &c);
            }
            w.primitive(Tag::new(0x87), &self.format_owner.to_be_bytes());
            w.primitive(Tag::new(0x88), &self.format_type.to_be_bytes());
            for (tag, value) in &self.other {
                w.primitive(*tag, value);
            }
        });
    }

    fn parse(mut r: Reader<'_>, offset: usize) -> Result<Self, CbeffError> {
        let mut h = Self::new(0, 0, 0);
        h.version = None;
        h.biometric_type = None;
        let mut owner = None;
        let mut format = None;
        while !r.is_empty() {
            let e = r.read()?;
            let v = e.value();
            let bad = |expected| CbeffError::BadElementLength {
                tag: e.tag(),
                offset: e.offset(),
                len: v.len(),
                expected,
            };
            match e.tag().raw() {
                0x80 => h.version = Some(v.try_into().map_err(|_| bad("2"))?),
                0x81 => {
                    if v.is_empty() || v.len() > 3 {
                        return Err(bad("1 to 3"));
                    }
                    h.biometric_type = Some(v.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b)));
                }
                0x82 => h.subtype = Some(*v.first().filter(|_| v.len() == 1).ok_or(bad("1"))?),
                0x83 => h.creation = Some(v.try_into().map_err(|_| bad("7"))?),
                0x85 => h.validity = Some(v.try_into().map_err(|_| bad("8"))?),
                0x86 => h.creator = Some(v.try_into().map_err(|_| bad("2"))?),
                0x87 => owner = Some(u16::from_be_bytes(v.try_into().map_err(|_| bad("2"))?)),
                0x88 => format = Some(u16::from_be_bytes(v.try_into().map_err(|_| bad("2"))?)),
                _ => h.other.push((e.tag(), v.to_vec())),
            }
        }
        h.format_owner = owner.ok_or(CbeffError::MissingElement {
            offset,
            element: "format owner (87)",
        })?;
        h.format_type = format.ok_or(CbeffError::MissingElement {
            offset,
            element: "format type (88)",
        })?;
        Ok(h)
    }
}

/// One Biometric Information Template (`7F60`): a header and its data block.
#[derive(Clone, PartialEq, Eq)]
pub struct BiometricTemplate {
    /// The header.
    pub header: BiometricHeader,
    /// The biometric data block (a 19794 record, say).
    pub bdb: Vec<u8>,
    /// True when the block was (or is to be) stored under `7F2E` rather than `5F2E`.
    pub constructed_bdb: bool,
}

impl std::fmt::Debug for BiometricTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BiometricTemplate")
            .field("header", &self.header)
            .field("bdb_len", &self.bdb.len())
            .field("constructed_bdb", &self.constructed_bdb)
            .finish()
    }
}

/// A Biometric Information Group Template (`7F61`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BiometricGroup {
    /// The templates, in order.
    pub templates: Vec<BiometricTemplate>,
    /// The instance count the group declared (`02`), which tolerant reading keeps even when it
    /// disagrees with `templates.len()`.
    pub declared_count: usize,
}

impl BiometricGroup {
    /// A group of `templates` with a matching count.
    pub fn new(templates: Vec<BiometricTemplate>) -> Self {
        let declared_count = templates.len();
        Self {
            templates,
            declared_count,
        }
    }

    /// True when the declared count matches the templates found.
    pub fn count_is_consistent(&self) -> bool {
        self.declared_count == self.templates.len()
    }

    /// Writes `7F61 { 02 01 n, 7F60 … }`.
    pub fn encode(&self, w: &mut Writer) -> Result<(), CbeffError> {
        if self.templates.len() > MAX_TEMPLATES {
            return Err(CbeffError::TooManyTemplates(self.templates.len()));
        }
        let count = u8::try_from(self.templates.len())
            .map_err(|_| CbeffError::TooManyTemplates(self.templates.len()))?;
        w.constructed(TAG_BIT_GROUP, |w| {
            w.primitive(TAG_COUNT, &[count]);
            for t in &self.templates {
                w.constructed(TAG_BIT, |w| {
                    t.header.encode(w);
                    let tag = if t.constructed_bdb {
                        TAG_BDB_CONSTRUCTED
                    } else {
                        TAG_BDB
                    };
                    w.primitive(tag, &t.bdb);
                });
            }
        });
        Ok(())
    }

    /// Reads a group from the value of a data group (the reader positioned at `7F61`).
    pub fn parse(r: &mut Reader<'_>) -> Result<Self, CbeffError> {
        let group = r.expect(TAG_BIT_GROUP)?;
        let mut c = group.children()?;
        let count = c.expect(TAG_COUNT)?;
        let declared_count = count.value().iter().fold(0usize, |a, &b| {
            a.saturating_mul(256).saturating_add(usize::from(b))
        });
        let mut templates = Vec::new();
        while !c.is_empty() {
            let bit = c.read()?;
            if bit.tag() != TAG_BIT {
                // Discretionary data and unknown objects between templates are skipped.
                continue;
            }
            if templates.len() == MAX_TEMPLATES {
                return Err(CbeffError::TooManyTemplates(MAX_TEMPLATES + 1));
            }
            let mut b = bit.children()?;
            let bht = b.expect(TAG_BHT)?;
            let header = BiometricHeader::parse(bht.children()?, bht.offset())?;
            let mut bdb = None;
            while !b.is_empty() {
                let e = b.read()?;
                if e.tag() == TAG_BDB || e.tag() == TAG_BDB_CONSTRUCTED {
                    bdb = Some((e.value().to_vec(), e.tag() == TAG_BDB_CONSTRUCTED));
                    break;
                }
            }
            let (bdb, constructed_bdb) = bdb.ok_or(CbeffError::MissingBdb(bit.offset()))?;
            templates.push(BiometricTemplate {
                header,
                bdb,
                constructed_bdb,
            });
        }
        if templates.is_empty() {
            return Err(CbeffError::Empty(group.offset()));
        }
        Ok(Self {
            templates,
            declared_count,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_gmrtd_dg2_header_layout() {
        // The BHT of the worked DG2 in docs/spec/lds.md §5 (gmrtd sample), with a short BDB.
        let bytes = hex::decode(
            "7F61270201017F6021A1188002010181010283072011101711383887020101880200085F2E0446414300",
        )
        .unwrap();
        let g = BiometricGroup::parse(&mut Reader::new(&bytes)).unwrap();
        assert_eq!(g.templates.len(), 1);
        let h = &g.templates[0].header;
        assert_eq!(h.version, Some([1, 1]));
        assert_eq!(h.biometric_type, Some(TYPE_FACE));
        assert_eq!(h.creation, Some([0x20, 0x11, 0x10, 0x17, 0x11, 0x38, 0x38]));
        assert_eq!(
            (h.format_owner, h.format_type),
            (FORMAT_OWNER_JTC1_SC37, FORMAT_TYPE_FACE_19794_5)
        );
        assert_eq!(g.templates[0].bdb, b"FAC\0");
        // Writing it back gives the same bytes.
        let mut w = Writer::new();
        g.encode(&mut w).unwrap();
        assert_eq!(w.finish().unwrap(), bytes);
    }

    #[test]
    fn round_trip_of_two_finger_templates() {
        let mk = |subtype| BiometricTemplate {
            header: BiometricHeader {
                subtype: Some(subtype),
                ..BiometricHeader::new(
                    TYPE_FINGER,
                    FORMAT_OWNER_JTC1_SC37,
                    FORMAT_TYPE_FINGER_IMAGE_19794_4,
                )
            },
            bdb: vec![subtype; 300],
            constructed_bdb: false,
        };
        let g = BiometricGroup::new(vec![mk(0x09), mk(0x0A)]);
        let mut w = Writer::new();
        g.encode(&mut w).unwrap();
        let bytes = w.finish().unwrap();
        let back = BiometricGroup::parse(&mut Reader::new(&bytes)).unwrap();
        assert_eq!(back, g);
        assert!(back.count_is_consistent());
    }

    #[test]
    fn tolerates_a_wrong_count_and_refuses_missing_format() {
        // The count says 2, one template is present, and an unknown object (05) is skipped.
        let bytes = hex::decode("7F61160201020501EE7F600DA10887020101880200085F2E00").unwrap();
        let g = BiometricGroup::parse(&mut Reader::new(&bytes)).unwrap();
        assert_eq!((g.declared_count, g.templates.len()), (2, 1));
        assert!(!g.count_is_consistent());
        let no_format = hex::decode("7F610F0201017F6009A104870201015F2E00").unwrap();
        assert!(BiometricGroup::parse(&mut Reader::new(&no_format)).is_err());
        let no_bdb = hex::decode("7F61100201017F600AA1088702010188020008").unwrap();
        assert_eq!(
            BiometricGroup::parse(&mut Reader::new(&no_bdb)),
            Err(CbeffError::MissingBdb(6))
        );
    }
}
