//! File control parameters of a transparent EF, as CREATE FILE (ISO/IEC 7816-9:2004 §6.1,
//! command `00 E0 00 00 Lc 62{…}`) carries them: the FCP template `62` of ISO/IEC 7816-4:2005
//! §5.3.3 (Table 12) with
//!
//! - `80` number of data bytes in the file (1 or 2 bytes here),
//! - `82` file descriptor byte (Table 14): only `01`, a working EF with transparent structure,
//! - `83` file identifier (2 bytes; `3F00`, `3FFF` and `FFFF` are reserved, §5.3.1.1),
//! - `88` short EF identifier (§5.3.1.1: the SFI in bits 8 to 4, bits 3 to 1 zero; SFIs 1 to
//!   30),
//! - `8A` life cycle status byte (§5.3.3.2, Table 13),
//! - `8C` security attributes in compact format (§5.4.3.1): an access mode byte (bit 8 zero;
//!   for an EF bit 7 DELETE FILE, 6 TERMINATE EF, 5 ACTIVATE FILE, 4 DEACTIVATE FILE, 3 WRITE
//!   BINARY, 2 UPDATE BINARY, 1 READ BINARY) followed by one security condition byte per bit
//!   set, from bit 7 down to bit 1 (`00` always, `FF` never; otherwise bit 8 "all conditions",
//!   bit 7 secure messaging, bit 6 external authentication, bit 5 user authentication, bits 4
//!   to 1 the security environment number).
//!
//! The expanded format (`AB`), references (`8B`), proprietary attributes (`86`, `A5`, `85`)
//! and every other tag are refused as [`FcpError::UnsupportedTag`]: a parser that ignored an
//! access rule would grant more than the writer asked. Table and sub-clause numbers are from
//! the 2005 edition as the project's digest gives them (docs/spec/apdu.md §7).
//!
//! Parsing is strict and bounded: one template, each tag at most once, no trailing bytes, no
//! allocation.

use crate::apdu::StatusWord;
use crate::tlv::{self, Tag};

/// Tag of the FCP template.
pub const FCP_TEMPLATE: u8 = 0x62;
/// File descriptor byte of a working EF with transparent structure (ISO/IEC 7816-4 Table 14).
pub const TRANSPARENT_EF: u8 = 0x01;
/// Security condition "always" (compact format).
pub const SC_ALWAYS: u8 = 0x00;
/// Security condition "never" (compact format).
pub const SC_NEVER: u8 = 0xFF;
/// Security condition bit: secure messaging.
pub const SC_SECURE_MESSAGING: u8 = 0x40;
/// Security condition bit: external authentication.
pub const SC_EXTERNAL_AUTHENTICATION: u8 = 0x20;
/// Security condition bit: all conditions (else at least one).
pub const SC_ALL: u8 = 0x80;
/// Access mode bit of READ BINARY for an EF.
pub const AM_READ: u8 = 0x01;
/// Access mode bit of UPDATE BINARY for an EF.
pub const AM_UPDATE: u8 = 0x02;

/// Security attributes in compact format: an access mode byte and the security condition byte
/// of each command it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompactAttributes {
    access_mode: u8,
    /// Condition bytes indexed by access-mode bit (index 0 = bit 1 … 6 = bit 7).
    conditions: [Option<u8>; 7],
}

impl CompactAttributes {
    /// Attributes for READ BINARY and UPDATE BINARY only.
    pub fn read_update(read: u8, update: u8) -> Self {
        Self {
            access_mode: AM_READ | AM_UPDATE,
            conditions: [Some(read), Some(update), None, None, None, None, None],
        }
    }

    /// The access mode byte.
    pub fn access_mode(&self) -> u8 {
        self.access_mode
    }

    /// The condition of the command at access-mode bit `bit` (1 to 7), if the byte names it.
    pub fn condition(&self, bit: u8) -> Option<u8> {
        self.conditions
            .get(usize::from(bit.checked_sub(1)?))
            .copied()
            .flatten()
    }

    fn encode(&self) -> Vec<u8> {
        let mut v = vec![self.access_mode];
        v.extend(self.conditions.iter().rev().flatten());
        v
    }

    fn parse(value: &[u8]) -> Result<Self, FcpError> {
        let bad = || FcpError::BadValue(0x8C);
        let (&am, rest) = value.split_first().ok_or_else(bad)?;
        if am & 0x80 != 0 {
            // Bit 8 set: command-specific access modes, not supported here.
            return Err(bad());
        }
        if rest.len() != am.count_ones() as usize {
            return Err(bad());
        }
        let mut conditions = [None; 7];
        let mut bytes = rest.iter();
        for bit in (0..7u8).rev() {
            if am & (1 << bit) != 0 {
                let slot = conditions.get_mut(usize::from(bit)).ok_or_else(bad)?;
                *slot = Some(*bytes.next().ok_or_else(bad)?);
            }
        }
        Ok(Self {
            access_mode: am,
            conditions,
        })
    }
}

/// The FCP of a transparent EF to create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fcp {
    /// Number of data bytes (`80`).
    pub size: u16,
    /// File identifier (`83`).
    pub fid: u16,
    /// Short EF identifier (`88`), 1 to 30.
    pub sfi: Option<u8>,
    /// Life cycle status byte (`8A`).
    pub life_cycle: Option<u8>,
    /// Security attributes in compact format (`8C`).
    pub security: Option<CompactAttributes>,
}

/// What is wrong with an FCP template. Every case answers `6A80` (ISO/IEC 7816-4:2005 Table 6:
/// incorrect parameters in the command data field); a chip that cannot hold the file answers
/// `6A84` and one that already has it `6A89`, which are not FCP errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FcpError {
    /// Not exactly one well-formed BER-TLV template `62`.
    #[error("not one FCP template 62: {0}")]
    Template(#[source] tlv::TlvError),
    /// A data object other than `62` at the top, or bytes after it.
    #[error("the command data is not exactly one FCP template 62")]
    NotFcp,
    /// A required data object is absent.
    #[error("FCP without tag {0:02X}")]
    Missing(u8),
    /// A data object given twice.
    #[error("FCP tag {0:02X} given twice")]
    Duplicate(u8),
    /// A data object this FCP profile does not support (expanded or proprietary security
    /// attributes, DF names, anything unknown).
    #[error("FCP tag {0:X} is not supported")]
    UnsupportedTag(u32),
    /// A data object whose value is malformed or outside what is supported.
    #[error("FCP tag {0:02X} has a bad or unsupported value")]
    BadValue(u8),
}

impl FcpError {
    /// The status word a chip answers for this error.
    pub fn status_word(&self) -> StatusWord {
        StatusWord::WRONG_DATA
    }
}

impl Fcp {
    /// The template `62 { 80, 82, 83, [88], [8A], [8C] }`, in that order.
    pub fn encode(&self) -> Result<Vec<u8>, tlv::TlvError> {
        let mut w = tlv::Writer::new();
        w.constructed(Tag::new(u32::from(FCP_TEMPLATE)), |w| {
            w.primitive(Tag::new(0x80), &self.size.to_be_bytes());
            w.primitive(Tag::new(0x82), &[TRANSPARENT_EF]);
            w.primitive(Tag::new(0x83), &self.fid.to_be_bytes());
            if let Some(sfi) = self.sfi {
                w.primitive(Tag::new(0x88), &[sfi << 3]);
            }
            if let Some(lcs) = self.life_cycle {
                w.primitive(Tag::new(0x8A), &[lcs]);
            }
            if let Some(sec) = &self.security {
                w.primitive(Tag::new(0x8C), &sec.encode());
            }
        });
        w.finish()
    }

    /// Parses CREATE FILE data strictly (see the module documentation).
    pub fn parse(data: &[u8]) -> Result<Self, FcpError> {
        let outer = tlv::Reader::new(data).read().map_err(FcpError::Template)?;
        if outer.tag() != Tag::new(u32::from(FCP_TEMPLATE)) || outer.raw().len() != data.len() {
            return Err(FcpError::NotFcp);
        }
        let mut r = outer.children().map_err(FcpError::Template)?;
        let (mut size, mut descriptor, mut fid) = (None, None, None);
        let mut fcp = Self {
            size: 0,
            fid: 0,
            sfi: None,
            life_cycle: None,
            security: None,
        };
        let mut seen = 0u16;
        while !r.is_empty() {
            let item = r.read().map_err(FcpError::Template)?;
            let tag = u8::try_from(item.tag().raw())
                .map_err(|_| FcpError::UnsupportedTag(item.tag().raw()))?;
            let bit = match tag {
                0x80 => 0,
                0x82 => 1,
                0x83 => 2,
                0x88 => 3,
                0x8A => 4,
                0x8C => 5,
                other => return Err(FcpError::UnsupportedTag(u32::from(other))),
            };
            if seen & (1 << bit) != 0 {
                return Err(FcpError::Duplicate(tag));
            }
            seen |= 1 << bit;
            let v = item.value();
            match (tag, v) {
                (0x80, [n]) => size = Some(u16::from(*n)),
                (0x80, [hi, lo]) => size = Some(u16::from_be_bytes([*hi, *lo])),
                (0x82, [b]) => descriptor = Some(*b),
                (0x83, [hi, lo]) => fid = Some(u16::from_be_bytes([*hi, *lo])),
                (0x88, [b]) if b & 0x07 == 0 && (1..=30).contains(&(b >> 3)) => {
                    fcp.sfi = Some(b >> 3);
                }
                (0x8A, [b]) => fcp.life_cycle = Some(*b),
                (0x8C, _) => fcp.security = Some(CompactAttributes::parse(v)?),
                _ => return Err(FcpError::BadValue(tag)),
            }
        }
        fcp.size = size.ok_or(FcpError::Missing(0x80))?;
        match descriptor.ok_or(FcpError::Missing(0x82))? {
            TRANSPARENT_EF => {}
            _ => return Err(FcpError::BadValue(0x82)),
        }
        fcp.fid = fid.ok_or(FcpError::Missing(0x83))?;
        if matches!(fcp.fid, 0x3F00 | 0x3FFF | 0xFFFF) {
            return Err(FcpError::BadValue(0x83));
        }
        Ok(fcp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Fcp {
        Fcp {
            size: 0x0123,
            fid: 0x0103,
            sfi: Some(3),
            life_cycle: Some(0x05),
            security: Some(CompactAttributes::read_update(0xE0, 0x00)),
        }
    }

    #[test]
    fn encodes_each_tag_in_order() {
        let bytes = sample().encode().unwrap();
        let expected = [
            0x62, 0x16, // FCP template, 22 bytes
            0x80, 0x02, 0x01, 0x23, // 80: 291 data bytes
            0x82, 0x01, 0x01, // 82: working EF, transparent
            0x83, 0x02, 0x01, 0x03, // 83: FID 0103 (DG3)
            0x88, 0x01, 0x18, // 88: SFI 3 in bits 8-4
            0x8A, 0x01, 0x05, // 8A: operational, activated
            0x8C, 0x03, 0x03, 0x00,
            0xE0, // 8C: AM update+read; update always, read SM+ext auth
        ];
        assert_eq!(bytes, expected);
        assert_eq!(Fcp::parse(&bytes).unwrap(), sample());
    }

    /// `62 { children }` from (tag, value) pairs in hex.
    fn template(children: &[(u8, &str)]) -> Vec<u8> {
        let mut w = tlv::Writer::new();
        w.constructed(Tag::new(0x62), |w| {
            for (tag, value) in children {
                w.primitive(Tag::new(u32::from(*tag)), &hex::decode(value).unwrap());
            }
        });
        w.finish().unwrap()
    }

    #[test]
    fn refuses_malformed_templates() {
        let err = |children: &[(u8, &str)]| Fcp::parse(&template(children)).unwrap_err();
        let base = [(0x80, "0010"), (0x82, "01"), (0x83, "0103")];
        assert!(Fcp::parse(&template(&base)).is_ok());
        // Not an FCP: the JMRTD form, trailing bytes, truncated TLV.
        assert_eq!(
            Fcp::parse(&hex::decode("630400100103").unwrap()),
            Err(FcpError::NotFcp)
        );
        let trailing = [template(&base), vec![0x00]].concat();
        assert_eq!(Fcp::parse(&trailing), Err(FcpError::NotFcp));
        let mut truncated = template(&base);
        truncated.pop();
        assert!(matches!(Fcp::parse(&truncated), Err(FcpError::Template(_))));
        assert!(matches!(Fcp::parse(&[]), Err(FcpError::Template(_))));
        // Required tags.
        assert_eq!(
            err(&[(0x82, "01"), (0x83, "0103")]),
            FcpError::Missing(0x80)
        );
        assert_eq!(
            err(&[(0x80, "10"), (0x83, "0103")]),
            FcpError::Missing(0x82)
        );
        assert_eq!(err(&[(0x80, "10"), (0x82, "01")]), FcpError::Missing(0x83));
        // Duplicates and bad values.
        assert_eq!(
            err(&[(0x80, "10"), (0x82, "01"), (0x82, "01"), (0x83, "0103")]),
            FcpError::Duplicate(0x82)
        );
        assert_eq!(
            err(&[(0x80, "10"), (0x82, "02"), (0x83, "0103")]),
            FcpError::BadValue(0x82)
        );
        assert_eq!(
            err(&[(0x80, "010000"), (0x82, "01"), (0x83, "0103")]),
            FcpError::BadValue(0x80)
        );
        assert_eq!(
            err(&[(0x80, "10"), (0x82, "01"), (0x83, "010300")]),
            FcpError::BadValue(0x83)
        );
        assert_eq!(
            err(&[(0x80, "10"), (0x82, "01"), (0x83, "3F00")]),
            FcpError::BadValue(0x83)
        );
        let sfi = |v: &'static str| err(&[(0x80, "10"), (0x82, "01"), (0x83, "0103"), (0x88, v)]);
        assert_eq!(sfi("19"), FcpError::BadValue(0x88), "low bits set");
        assert_eq!(sfi("F8"), FcpError::BadValue(0x88), "SFI 31 is reserved");
        assert_eq!(sfi("00"), FcpError::BadValue(0x88));
        let sec = |v: &'static str| err(&[(0x80, "10"), (0x82, "01"), (0x83, "0103"), (0x8C, v)]);
        assert_eq!(
            sec("0300"),
            FcpError::BadValue(0x8C),
            "two bits, one condition"
        );
        assert_eq!(sec("8100"), FcpError::BadValue(0x8C), "command-specific AM");
        assert_eq!(sec(""), FcpError::BadValue(0x8C));
        // Unsupported security attribute formats and tags.
        for tag in [0xAB, 0x8B, 0x86, 0x84, 0x85] {
            assert_eq!(
                err(&[(0x80, "10"), (0x82, "01"), (0x83, "0103"), (tag, "00")]),
                FcpError::UnsupportedTag(u32::from(tag))
            );
        }
        assert_eq!(FcpError::NotFcp.status_word(), StatusWord::WRONG_DATA);
    }

    #[test]
    fn compact_conditions_follow_the_access_mode_bits_from_bit_7_down() {
        // AM 43: DELETE FILE (bit 7), UPDATE (bit 2), READ (bit 1); conditions in that order.
        let a = CompactAttributes::parse(&[0x43, 0xFF, 0x00, 0x40]).unwrap();
        assert_eq!(a.condition(7), Some(SC_NEVER));
        assert_eq!(a.condition(2), Some(SC_ALWAYS));
        assert_eq!(a.condition(1), Some(SC_SECURE_MESSAGING));
        assert_eq!(a.condition(3), None);
        assert_eq!(a.condition(0), None);
        assert_eq!(a.encode(), [0x43, 0xFF, 0x00, 0x40]);
    }
}
