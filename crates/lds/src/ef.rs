//! The elementary files of the LDS and their identifiers: one table, one truth.
//!
//! ICAO Doc 9303-10 §3.11 and §4.6 (file identifiers, short file identifiers, tags):
//! EF.CardAccess `011C`/SFI `1C` and EF.CardSecurity `011D`/`1D` in the master file; EF.COM
//! `011E`/`1E`, EF.SOD `011D`/`1D` and DG1…DG16 `0101`…`0110`/`01`…`10` in the eMRTD
//! application (AID `A0 00 00 02 47 10 01`).

use std::fmt;

use permitkit_iso7816::tlv::Tag;

/// Application identifier of the eMRTD LDS1 application (ICAO 9303-10 §3.10).
pub const EMRTD_AID: [u8; 7] = [0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01];

/// An elementary file of the LDS.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ef {
    /// EF.CardAccess (master file): SecurityInfos for PACE, readable without access control.
    CardAccess,
    /// EF.CardSecurity (master file): signed SecurityInfos.
    CardSecurity,
    /// EF.COM: LDS version and the list of present data groups.
    Com,
    /// Data group 1 … 16.
    Dg(DgNumber),
    /// EF.SOD: the Document Security Object.
    Sod,
}

/// A data group number, 1 to 16.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct DgNumber(u8);

impl DgNumber {
    /// `n` when it is in 1..=16.
    pub const fn new(n: u8) -> Option<Self> {
        if n >= 1 && n <= 16 {
            Some(Self(n))
        } else {
            None
        }
    }

    /// The number, 1 to 16.
    pub const fn get(self) -> u8 {
        self.0
    }
}

/// Tags of DG1…DG16 (ICAO 9303-10 Table 37), indexed by number − 1 (and [`dg_tag`], the same
/// table for const contexts; a test keeps the two equal).
const DG_TAGS: [u8; 16] = [
    0x61, 0x75, 0x63, 0x76, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70,
];

const fn dg_tag(n: DgNumber) -> u8 {
    match n.0 {
        1 => 0x61,
        2 => 0x75,
        3 => 0x63,
        4 => 0x76,
        5 => 0x65,
        6 => 0x66,
        7 => 0x67,
        8 => 0x68,
        9 => 0x69,
        10 => 0x6A,
        11 => 0x6B,
        12 => 0x6C,
        13 => 0x6D,
        14 => 0x6E,
        15 => 0x6F,
        _ => 0x70,
    }
}

impl Ef {
    /// DG1 … DG16 as constants for readable call sites.
    pub const DG1: Ef = Ef::Dg(DgNumber(1));
    /// DG2: encoded face.
    pub const DG2: Ef = Ef::Dg(DgNumber(2));
    /// DG3: encoded fingers.
    pub const DG3: Ef = Ef::Dg(DgNumber(3));
    /// DG7: displayed signature.
    pub const DG7: Ef = Ef::Dg(DgNumber(7));
    /// DG11: additional personal details.
    pub const DG11: Ef = Ef::Dg(DgNumber(11));
    /// DG12: additional document details.
    pub const DG12: Ef = Ef::Dg(DgNumber(12));
    /// DG14: security options (SecurityInfos).
    pub const DG14: Ef = Ef::Dg(DgNumber(14));
    /// DG15: Active Authentication public key.
    pub const DG15: Ef = Ef::Dg(DgNumber(15));

    /// The data group `n` (1..=16).
    pub const fn dg(n: u8) -> Option<Ef> {
        match DgNumber::new(n) {
            Some(d) => Some(Ef::Dg(d)),
            None => None,
        }
    }

    /// The two-byte file identifier.
    pub const fn fid(self) -> u16 {
        match self {
            Ef::CardAccess => 0x011C,
            Ef::CardSecurity | Ef::Sod => 0x011D,
            Ef::Com => 0x011E,
            Ef::Dg(n) => 0x0100 | n.0 as u16,
        }
    }

    /// The short file identifier (READ BINARY P1 = `80 | SFI`).
    pub const fn sfi(self) -> u8 {
        match self {
            Ef::CardAccess => 0x1C,
            Ef::CardSecurity | Ef::Sod => 0x1D,
            Ef::Com => 0x1E,
            Ef::Dg(n) => n.0,
        }
    }

    /// The outer tag of the file content; `None` for the bare DER files in the master file.
    pub const fn tag(self) -> Option<Tag> {
        match self {
            Ef::CardAccess | Ef::CardSecurity => None,
            Ef::Com => Some(Tag::new(0x60)),
            Ef::Sod => Some(Tag::new(0x77)),
            Ef::Dg(n) => Some(Tag::new(dg_tag(n) as u32)),
        }
    }

    /// True for files in the master file rather than the eMRTD application.
    pub const fn in_master_file(self) -> bool {
        matches!(self, Ef::CardAccess | Ef::CardSecurity)
    }

    /// The data group whose content carries `tag` (as listed in EF.COM).
    pub fn from_dg_tag(tag: u8) -> Option<Ef> {
        let i = DG_TAGS.iter().position(|&t| t == tag)?;
        Ef::dg(u8::try_from(i + 1).ok()?)
    }

    /// The file name used in ChipImage folders and reports: `COM`, `DG1` … `DG16`, `SOD`,
    /// `CardAccess`, `CardSecurity`.
    pub fn name(self) -> String {
        match self {
            Ef::CardAccess => "CardAccess".into(),
            Ef::CardSecurity => "CardSecurity".into(),
            Ef::Com => "COM".into(),
            Ef::Sod => "SOD".into(),
            Ef::Dg(n) => format!("DG{}", n.0),
        }
    }

    /// Parses a name produced by [`Ef::name`] (case-insensitive; `EF.` prefix allowed).
    pub fn from_name(name: &str) -> Option<Ef> {
        let n = name
            .strip_prefix("EF.")
            .unwrap_or(name)
            .to_ascii_uppercase();
        match n.as_str() {
            "CARDACCESS" => Some(Ef::CardAccess),
            "CARDSECURITY" => Some(Ef::CardSecurity),
            "COM" => Some(Ef::Com),
            "SOD" => Some(Ef::Sod),
            _ => Ef::dg(n.strip_prefix("DG")?.parse().ok()?),
        }
    }
}

impl fmt::Display for Ef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ef::Dg(_) => f.write_str(&self.name()),
            _ => write!(f, "EF.{}", self.name()),
        }
    }
}

impl fmt::Debug for Ef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_match_9303_10() {
        assert_eq!((Ef::Com.fid(), Ef::Com.sfi()), (0x011E, 0x1E));
        assert_eq!((Ef::Sod.fid(), Ef::Sod.sfi()), (0x011D, 0x1D));
        assert_eq!((Ef::CardAccess.fid(), Ef::CardAccess.sfi()), (0x011C, 0x1C));
        assert_eq!((Ef::DG1.fid(), Ef::DG1.sfi()), (0x0101, 0x01));
        assert_eq!(Ef::dg(16).unwrap().fid(), 0x0110);
        assert_eq!(Ef::DG2.tag(), Some(Tag::new(0x75)));
        assert_eq!(Ef::DG14.tag(), Some(Tag::new(0x6E)));
        assert_eq!(Ef::Sod.tag(), Some(Tag::new(0x77)));
        assert_eq!(Ef::from_dg_tag(0x6F), Some(Ef::DG15));
        assert_eq!(Ef::from_dg_tag(0x77), None);
        assert_eq!(Ef::dg(0), None);
        assert_eq!(Ef::dg(17), None);
    }

    #[test]
    fn tag_tables_agree() {
        for n in 1..=16u8 {
            let tag = Ef::dg(n).unwrap().tag().unwrap().raw();
            assert_eq!(tag, u32::from(DG_TAGS[usize::from(n - 1)]));
        }
    }

    #[test]
    fn names_round_trip() {
        let all = [Ef::CardAccess, Ef::CardSecurity, Ef::Com, Ef::Sod]
            .into_iter()
            .chain((1..=16).filter_map(Ef::dg));
        for ef in all {
            assert_eq!(Ef::from_name(&ef.name()), Some(ef));
        }
        assert_eq!(Ef::from_name("EF.COM"), Some(Ef::Com));
        assert_eq!(Ef::from_name("dg2"), Some(Ef::DG2));
        assert_eq!(Ef::from_name("DG17"), None);
    }
}
