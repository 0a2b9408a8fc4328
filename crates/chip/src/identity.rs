//! Which card is on the reader, and where its personalization stands — established before the
//! first write, so that nothing is ever written to an issued card or to another
//! personalization's card.
//!
//! - **The chip serial.** An eMRTD's contactless UID is random on every activation (ICAO Doc
//!   9303-11 §9.4, "random UID"), so it cannot tell one card from another. The chip profile says
//!   how the serial is read instead ([`ChipSerialSource`]); the one way implemented is
//!   GlobalPlatform GET DATA `80 CA 9F 7F` for the Card Production Life Cycle data (CPLC),
//!   answered by the card manager selected after reset. The CPLC is 42 bytes, returned as
//!   `9F 7F 2A <42 bytes>`; the layout ([`Cplc`]) is the one the GlobalPlatform Card
//!   Specification v2.1.1 GET DATA command (§9.3) retrieves and the Visa GlobalPlatform Card
//!   Implementation Requirements define, reproduced here field by field as OpenSC's `gp.h`
//!   (`global_platform_cplc_data_t`) has it. The layout agrees with two CPLC responses of real
//!   cards published with their fields named (see the tests); the GlobalPlatform clause number
//!   is not checked against the PDF. The
//!   [`ChipSerial`] is IC fabricator ‖ IC type ‖ IC batch identifier ‖ IC serial number, the
//!   same four fields OpenSC's CoolKey driver makes its card identifier from.
//! - **The life cycle.** Where the dialect reports it ([`Dialect::reports_life_cycle`]), SELECT of
//!   the eMRTD application with P2 `04` answers the FCP with the life cycle status byte (tag
//!   `8A`, ISO/IEC 7816-4:2005 §5.3.3.2, Table 13): `01` creation (a blank card), `03`
//!   initialisation (personalization started), `05`/`07`/`04`/`06` operational (locked) and
//!   `0C`–`0F` termination. Otherwise every candidate file is selected in plain: the JMRTD
//!   applet answers `9000` for a file that exists before LOCK, `6982` after LOCK (SELECT then
//!   needs BAC) and `6A82` for a file that does not exist.

use crate::channel::CardChannel;
use crate::files;
use crate::{ChipError, Malformation};
use permitkit_iso7816::apdu::{CommandApdu, StatusWord};
use permitkit_iso7816::tlv::{self, Tag};
use permitkit_lds::{EMRTD_AID, Ef};
use permitkit_model::dialect::Dialect;

pub use permitkit_model::profiles::chip::ChipSerialSource;

/// Length of the CPLC data (without its `9F 7F 2A` header).
pub const CPLC_LEN: usize = 42;

/// The GET DATA tag of the CPLC data object.
pub const CPLC_TAG: u32 = 0x9F7F;

/// The Card Production Life Cycle data (GlobalPlatform GET DATA `9F7F`), 42 bytes of
/// two-byte and four-byte big-endian fields. Dates are `YDDD` (last digit of the year, day of
/// the year) in BCD; this module never interprets them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cplc {
    /// IC fabricator.
    pub ic_fabricator: u16,
    /// IC type.
    pub ic_type: u16,
    /// Operating system identifier.
    pub os_id: u16,
    /// Operating system release date.
    pub os_release_date: u16,
    /// Operating system release level.
    pub os_release_level: u16,
    /// IC fabrication date.
    pub ic_fabrication_date: u16,
    /// IC serial number.
    pub ic_serial_number: u32,
    /// IC batch identifier.
    pub ic_batch_identifier: u16,
    /// IC module fabricator.
    pub ic_module_fabricator: u16,
    /// IC module packaging date.
    pub ic_module_packaging_date: u16,
    /// ICC manufacturer.
    pub icc_manufacturer: u16,
    /// IC embedding date.
    pub ic_embedding_date: u16,
    /// IC pre-personalizer.
    pub ic_pre_personalizer: u16,
    /// IC pre-personalization equipment date.
    pub ic_pre_personalization_date: u16,
    /// IC pre-personalization equipment identifier.
    pub ic_pre_personalization_equipment: u32,
    /// IC personalizer.
    pub ic_personalizer: u16,
    /// IC personalization date.
    pub ic_personalization_date: u16,
    /// IC personalization equipment identifier.
    pub ic_personalization_equipment: u32,
}

impl Cplc {
    /// Parses the 42 data bytes, or the whole data object `9F 7F 2A <42 bytes>`.
    pub fn parse(data: &[u8]) -> Result<Self, ChipError> {
        let body = match data {
            [0x9F, 0x7F, 0x2A, rest @ ..] => rest,
            _ => data,
        };
        let bytes: &[u8; CPLC_LEN] = body.try_into().map_err(|_| ChipError::Malformed {
            what: "CPLC data (GET DATA 9F7F)",
            reason: Malformation::Length {
                len: body.len(),
                expected: CPLC_LEN,
            },
        })?;
        let mut r = Fields(bytes.as_slice());
        Ok(Self {
            ic_fabricator: r.u16(),
            ic_type: r.u16(),
            os_id: r.u16(),
            os_release_date: r.u16(),
            os_release_level: r.u16(),
            ic_fabrication_date: r.u16(),
            ic_serial_number: r.u32(),
            ic_batch_identifier: r.u16(),
            ic_module_fabricator: r.u16(),
            ic_module_packaging_date: r.u16(),
            icc_manufacturer: r.u16(),
            ic_embedding_date: r.u16(),
            ic_pre_personalizer: r.u16(),
            ic_pre_personalization_date: r.u16(),
            ic_pre_personalization_equipment: r.u32(),
            ic_personalizer: r.u16(),
            ic_personalization_date: r.u16(),
            ic_personalization_equipment: r.u32(),
        })
    }

    /// The 42 data bytes.
    pub fn to_bytes(&self) -> [u8; CPLC_LEN] {
        let mut v = Vec::with_capacity(CPLC_LEN);
        for f in [
            self.ic_fabricator,
            self.ic_type,
            self.os_id,
            self.os_release_date,
            self.os_release_level,
            self.ic_fabrication_date,
        ] {
            v.extend_from_slice(&f.to_be_bytes());
        }
        v.extend_from_slice(&self.ic_serial_number.to_be_bytes());
        for f in [
            self.ic_batch_identifier,
            self.ic_module_fabricator,
            self.ic_module_packaging_date,
            self.icc_manufacturer,
            self.ic_embedding_date,
            self.ic_pre_personalizer,
            self.ic_pre_personalization_date,
        ] {
            v.extend_from_slice(&f.to_be_bytes());
        }
        v.extend_from_slice(&self.ic_pre_personalization_equipment.to_be_bytes());
        v.extend_from_slice(&self.ic_personalizer.to_be_bytes());
        v.extend_from_slice(&self.ic_personalization_date.to_be_bytes());
        v.extend_from_slice(&self.ic_personalization_equipment.to_be_bytes());
        let mut out = [0u8; CPLC_LEN];
        for (o, b) in out.iter_mut().zip(v) {
            *o = b;
        }
        out
    }

    /// The data object as GET DATA answers it: `9F 7F 2A <42 bytes>`.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = vec![0x9F, 0x7F, 0x2A];
        v.extend_from_slice(&self.to_bytes());
        v
    }

    /// The chip's serial: IC fabricator, IC type, IC batch identifier, IC serial number.
    pub fn serial(&self) -> ChipSerial {
        ChipSerial(format!(
            "{:04X}-{:04X}-{:04X}-{:08X}",
            self.ic_fabricator, self.ic_type, self.ic_batch_identifier, self.ic_serial_number
        ))
    }
}

/// Big-endian fields read in order from exactly 42 bytes (missing bytes read as zero, which
/// cannot happen for the fixed layout above).
struct Fields<'a>(&'a [u8]);

impl Fields<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        if let Some((head, rest)) = self.0.split_first_chunk::<N>() {
            out = *head;
            self.0 = rest;
        }
        out
    }
    fn u16(&mut self) -> u16 {
        u16::from_be_bytes(self.take())
    }
    fn u32(&mut self) -> u32 {
        u32::from_be_bytes(self.take())
    }
}

/// A chip's serial, `FFFF-TTTT-BBBB-SSSSSSSS` (IC fabricator, IC type, IC batch identifier, IC
/// serial number, hex). Not secret: it names a piece of plastic, not a person, and it is what
/// the journals record to tell cards apart (and, for a spoilt card, which one to destroy).
#[derive(
    Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct ChipSerial(String);

impl ChipSerial {
    /// The text form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ChipSerial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<ChipSerial> for String {
    fn from(s: ChipSerial) -> Self {
        s.0
    }
}

/// A text that is not a chip serial.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a chip serial (FFFF-TTTT-BBBB-SSSSSSSS, upper-case hex)")]
pub struct NotAChipSerial(pub String);

impl TryFrom<String> for ChipSerial {
    type Error = NotAChipSerial;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        let parts: Vec<&str> = s.split('-').collect();
        let lengths: Vec<usize> = parts.iter().map(|p| p.len()).collect();
        let hex = parts.iter().all(|p| {
            p.bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
        });
        if lengths == [4, 4, 4, 8] && hex {
            Ok(Self(s))
        } else {
            Err(NotAChipSerial(s))
        }
    }
}

impl std::str::FromStr for ChipSerial {
    type Err = NotAChipSerial;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::try_from(s.to_owned())
    }
}

/// Where a card's personalization stands, as the card itself tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CardLife {
    /// Nothing written: no file, no secret, no key (life cycle: creation).
    Blank,
    /// Personalization started and not ended: files or secrets are on the card (life cycle:
    /// initialisation).
    Started,
    /// Personalization ended by LOCK (life cycle: operational or termination): the card
    /// refuses every write.
    Issued,
}

impl std::fmt::Display for CardLife {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CardLife::Blank => "blank",
            CardLife::Started => "personalization started",
            CardLife::Issued => "issued (locked)",
        })
    }
}

impl CardLife {
    /// The life cycle status byte (ISO/IEC 7816-4:2005 §5.3.3.2, Table 13) a chip reports in
    /// this state: creation, initialisation, operational (activated).
    pub fn status_byte(self) -> u8 {
        match self {
            CardLife::Blank => 0x01,
            CardLife::Started => 0x03,
            CardLife::Issued => 0x05,
        }
    }

    /// The state a life cycle status byte names; `None` for "no information" (`00`) and for
    /// values Table 13 reserves or leaves proprietary.
    pub fn from_status_byte(lcs: u8) -> Option<Self> {
        match lcs {
            0x01 => Some(CardLife::Blank),
            0x03 => Some(CardLife::Started),
            0x04..=0x07 | 0x0C..=0x0F => Some(CardLife::Issued),
            _ => None,
        }
    }
}

/// A card on the reader: its serial and where its personalization stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardIdentity {
    /// The chip serial.
    pub serial: ChipSerial,
    /// The personalization state.
    pub life: CardLife,
}

/// The files probed on a chip that does not report its life cycle, when no image names them:
/// EF.COM, EF.SOD and DG1–DG16.
pub fn default_probe_files() -> Vec<Ef> {
    [Ef::Com, Ef::Sod]
        .into_iter()
        .chain((1..=16).filter_map(Ef::dg))
        .collect()
}

/// Identifies the card behind `channel`: a warm reset (so the card manager is selected and no
/// session is left over), its serial as `source` says, then its life cycle as `dialect` allows
/// (`probe` are the application files selected one by one on chips that do not report it).
/// Sends no command that writes.
pub fn identify(
    channel: &mut dyn CardChannel,
    source: ChipSerialSource,
    dialect: Dialect,
    probe: &[Ef],
) -> Result<CardIdentity, ChipError> {
    channel.reset()?;
    let serial = read_serial(channel, source)?;
    let life = if dialect.reports_life_cycle() {
        application_life_cycle(channel)?
    } else {
        probe_files(channel, probe)?
    };
    Ok(CardIdentity { serial, life })
}

/// The chip's serial as `source` says (right after reset: the card manager answers GET DATA).
pub fn read_serial(
    channel: &mut dyn CardChannel,
    source: ChipSerialSource,
) -> Result<ChipSerial, ChipError> {
    match source {
        ChipSerialSource::GpCplc => {
            let cmd = CommandApdu::new(0x80, 0xCA, 0x9F, 0x7F)
                .with_le(256)
                .map_err(ChipError::from_apdu)?;
            let r = files::transmit(channel, &cmd)?;
            if !r.is_success() {
                return Err(ChipError::NoChipSerial { sw: r.sw() });
            }
            Ok(Cplc::parse(r.data())?.serial())
        }
    }
}

/// The eMRTD application's life cycle status byte from its FCP (SELECT by AID, P2 `04`).
fn application_life_cycle(channel: &mut dyn CardChannel) -> Result<CardLife, ChipError> {
    let cmd = CommandApdu::new(0x00, 0xA4, 0x04, 0x04)
        .with_data(EMRTD_AID.to_vec())
        .and_then(|c| c.with_le(256))
        .map_err(ChipError::from_apdu)?;
    let r = files::transmit(channel, &cmd)?;
    crate::expect_success("SELECT eMRTD application", r.sw())?;
    let fcp = tlv::parse_single(r.data(), Tag::new(0x62))?;
    let mut items = fcp.children()?;
    while !items.is_empty() {
        let t = items.read()?;
        if t.tag() == Tag::new(0x8A) {
            let lcs = match t.value() {
                [b] => *b,
                _ => {
                    return Err(ChipError::Malformed {
                        what: "life cycle status byte (FCP tag 8A)",
                        reason: Malformation::Length {
                            len: t.value().len(),
                            expected: 1,
                        },
                    });
                }
            };
            return CardLife::from_status_byte(lcs).ok_or(ChipError::Malformed {
                what: "life cycle status byte (FCP tag 8A)",
                reason: Malformation::LifeCycle(lcs),
            });
        }
    }
    Err(ChipError::Malformed {
        what: "FCP of the eMRTD application",
        reason: Malformation::MissingDataObject(0x8A),
    })
}

/// Selects each application file in plain: any present is a started card, `6982` a locked one.
fn probe_files(channel: &mut dyn CardChannel, probe: &[Ef]) -> Result<CardLife, ChipError> {
    files::select_application(channel)?;
    for ef in probe.iter().filter(|e| !e.in_master_file()) {
        let cmd = CommandApdu::new(0x00, 0xA4, 0x02, 0x0C)
            .with_data(ef.fid().to_be_bytes().to_vec())
            .map_err(ChipError::from_apdu)?;
        match channel.transmit(&cmd)?.sw() {
            StatusWord::SUCCESS => return Ok(CardLife::Started),
            StatusWord::SECURITY_STATUS_NOT_SATISFIED => return Ok(CardLife::Issued),
            StatusWord::FILE_NOT_FOUND => {}
            sw => {
                return Err(ChipError::Status {
                    command: "SELECT EF",
                    sw,
                });
            }
        }
    }
    Ok(CardLife::Blank)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CPLC of an NXP JCOP 3 as quoted with its field names in a public answer on the CPLC
    /// layout (codewithsundeep.com, "What is CPLC"): fabricator 4250, type 3272, serial
    /// 0106D0BB, batch 1D3C.
    const JCOP3: &str = "9F7F2A4250327212916181070080390106D0BB1D3C000081480000814800000000000000000000000000000000";

    #[test]
    fn cplc_parses_field_by_field_and_names_the_chip() {
        let bytes = hex::decode(JCOP3).unwrap();
        let c = Cplc::parse(&bytes).unwrap();
        assert_eq!(c.ic_fabricator, 0x4250);
        assert_eq!(c.ic_type, 0x3272);
        assert_eq!(c.os_id, 0x1291);
        assert_eq!(c.ic_serial_number, 0x0106_D0BB);
        assert_eq!(c.ic_batch_identifier, 0x1D3C);
        assert_eq!(c.ic_module_packaging_date, 0x8148);
        assert_eq!(c.serial().as_str(), "4250-3272-1D3C-0106D0BB");
        assert_eq!(c.encode(), bytes);
        // The bare 42 bytes parse too; anything else is a typed length error.
        assert_eq!(Cplc::parse(&bytes[3..]).unwrap(), c);
        let e = Cplc::parse(&bytes[..20]).unwrap_err();
        assert!(
            matches!(
                e,
                ChipError::Malformed {
                    reason: Malformation::Length { len: 17, .. },
                    ..
                }
            ),
            "{e}"
        );
    }

    /// A second real card's answer to `80 CA 9F 7F 2D`, posted raw with its fields named on the
    /// Oracle Java Card forum ("question about CPLC Data been read by using Get Data command",
    /// 2009): fabricator 4250, type 3272, OS 1291, OS date 6181, OS level 0700, fabrication date
    /// 8039, serial 0106C2BB (the post's annotation misquotes it as 0106D0BB), batch 1D3C,
    /// packaging date 8148, embedding date 8148.
    #[test]
    fn a_second_published_cplc_has_its_named_fields_where_the_layout_puts_them() {
        let raw = "9F7F2A4250327212916181070080390106C2BB1D3C000081480000814800000000000000000000000000000000";
        let c = Cplc::parse(&hex::decode(raw).unwrap()).unwrap();
        assert_eq!(
            (c.ic_fabricator, c.ic_type, c.os_id, c.os_release_date),
            (0x4250, 0x3272, 0x1291, 0x6181)
        );
        assert_eq!(
            (c.os_release_level, c.ic_fabrication_date),
            (0x0700, 0x8039)
        );
        assert_eq!(
            (c.ic_serial_number, c.ic_batch_identifier),
            (0x0106_C2BB, 0x1D3C)
        );
        assert_eq!(
            (c.ic_module_packaging_date, c.ic_embedding_date),
            (0x8148, 0x8148)
        );
        assert_eq!(c.serial().as_str(), "4250-3272-1D3C-0106C2BB");
    }

    #[test]
    fn chip_serials_round_trip_and_refuse_other_text() {
        let s: ChipSerial = "4250-3272-1D3C-0106D0BB".parse().unwrap();
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            "\"4250-3272-1D3C-0106D0BB\""
        );
        for bad in [
            "",
            "4250-3272-1D3C",
            "4250-3272-1D3C-0106d0bb",
            "../x-y-z-w",
        ] {
            assert!(bad.parse::<ChipSerial>().is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<ChipSerial>("\"nope\"").is_err());
    }

    #[test]
    fn life_cycle_status_bytes_follow_iso_7816_4_table_13() {
        for life in [CardLife::Blank, CardLife::Started, CardLife::Issued] {
            assert_eq!(CardLife::from_status_byte(life.status_byte()), Some(life));
        }
        assert_eq!(CardLife::from_status_byte(0x07), Some(CardLife::Issued));
        assert_eq!(CardLife::from_status_byte(0x0F), Some(CardLife::Issued));
        assert_eq!(CardLife::from_status_byte(0x00), None);
        assert_eq!(CardLife::from_status_byte(0x02), None);
        assert_eq!(CardLife::from_status_byte(0x10), None);
    }
}
