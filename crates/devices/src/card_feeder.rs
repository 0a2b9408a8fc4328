//! The simulated station's card feeder: a tray of virtual eMRTD chips, each a card of its own —
//! its own chip serial (GlobalPlatform CPLC, see `permitkit_chip::identity`) and its own state
//! file `<folder>/<serial>.json` ([`crate::sim_state`]) — and the one card on the reader, named by
//! `<folder>/in-reader`.
//!
//! A real station's operator takes a blank card from the stock for every new enrolment, puts the
//! same card back on the reader to resume, and swaps in a blank card when one is spoilt. The
//! feeder does the same for the simulated station ([`Present`]): a new enrolment takes a
//! fresh blank card, `--resume` presents the card in the reader again, and the drills present a
//! blank replacement, a foreign card (half-written by another personalization) or an issued
//! (locked) card. The vpcd bridge serves the feeder's card to pcscd and swaps cards when asked
//! through the folder's `request` file ([`CardFeeder::request`]), as a card taken off a real
//! reader and another put on it.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::atomic_file::{self, ReadError};
use crate::sim_state;
use permitkit_chip::identity::ChipSerial;
use permitkit_iso7816::apdu::CommandApdu;
use permitkit_lds::EMRTD_AID;
use permitkit_simulator::{Card, CardConfig, SimError};

/// Which card the feeder puts on the reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Present {
    /// A fresh blank card from the stock (a new enrolment).
    Blank,
    /// The card on the reader again (resuming); a blank card when the reader is empty.
    Same,
    /// A card of the tray, by serial (a card presented again after another one).
    Card(ChipSerial),
    /// A fault drill.
    Drill(CardDrill),
}

/// The cards of the fault drills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardDrill {
    /// A blank card replacing the one on the reader (which stays in the tray).
    BlankReplacement,
    /// A card half-written by another personalization (EF.COM created and written, not locked).
    Foreign,
    /// An issued card: written and locked by another personalization.
    Issued,
}

impl CardDrill {
    /// The drill's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            CardDrill::BlankReplacement => "blank-replacement",
            CardDrill::Foreign => "foreign",
            CardDrill::Issued => "issued",
        }
    }
}

/// A name that is not a card drill.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown card drill {0:?} (drills: blank-replacement, foreign, issued)")]
pub struct UnknownCardDrill(pub String);

impl FromStr for CardDrill {
    type Err = UnknownCardDrill;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            CardDrill::BlankReplacement,
            CardDrill::Foreign,
            CardDrill::Issued,
        ]
        .into_iter()
        .find(|d| d.name() == s)
        .ok_or_else(|| UnknownCardDrill(s.to_owned()))
    }
}

impl std::fmt::Display for Present {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Present::Blank => f.write_str("blank"),
            Present::Same => f.write_str("same"),
            Present::Card(s) => write!(f, "card:{s}"),
            Present::Drill(d) => f.write_str(d.name()),
        }
    }
}

impl FromStr for Present {
    type Err = UnknownCardDrill;

    /// `blank`, `same`, `card:<serial>` or a drill name.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "blank" => Ok(Present::Blank),
            "same" => Ok(Present::Same),
            _ => match s.strip_prefix("card:") {
                Some(serial) => serial
                    .parse()
                    .map(Present::Card)
                    .map_err(|_| UnknownCardDrill(s.to_owned())),
                None => s.parse().map(Present::Drill),
            },
        }
    }
}

/// What is asked of the feeder's reader through its `request` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeederRequest {
    /// Take the card off the reader and present this one.
    Present(Present),
    /// The card on the reader is pulled out of the field after this many more APDUs; the reader
    /// stays empty until a card is presented.
    PullAfter(u64),
}

impl std::fmt::Display for FeederRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FeederRequest::Present(p) => p.fmt(f),
            FeederRequest::PullAfter(n) => write!(f, "pull-after:{n}"),
        }
    }
}

impl FromStr for FeederRequest {
    type Err = UnknownCardDrill;

    /// A [`Present`] form, or `pull-after:N`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.strip_prefix("pull-after:") {
            Some(n) => n
                .parse()
                .map(FeederRequest::PullAfter)
                .map_err(|_| UnknownCardDrill(s.to_owned())),
            None => s.parse().map(FeederRequest::Present),
        }
    }
}

/// Largest `in-reader` or `request` file read.
const MAX_NOTE: u64 = 256;

/// The feeder's folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardFeeder {
    dir: PathBuf,
}

impl CardFeeder {
    /// The feeder keeping its cards in `dir` (created owner-only when missing: the cards hold
    /// access secrets).
    pub fn open(dir: &Path) -> Result<Self, SimError> {
        let io = |e: std::io::Error| SimError::io(format!("card feeder {}", dir.display()), e);
        std::fs::create_dir_all(dir).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
        }
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The state file of the card with `serial`.
    pub fn card_path(&self, serial: &ChipSerial) -> PathBuf {
        // A serial is hex digits and `-` only, so it cannot name a path outside the folder.
        self.dir.join(format!("{serial}.json"))
    }

    /// The card on the reader, if any.
    pub fn in_reader(&self) -> Result<Option<ChipSerial>, SimError> {
        self.note("in-reader")?
            .map(|s| {
                s.parse().map_err(|e| {
                    SimError::state_from(
                        self.dir.join("in-reader").display().to_string(),
                        "does not name a chip serial",
                        e,
                    )
                })
            })
            .transpose()
    }

    /// Puts `what` on the reader: the card is saved to its state file and named in `in-reader`;
    /// returns it with its state file.
    pub fn present(&self, what: &Present, config: CardConfig) -> Result<(Card, PathBuf), SimError> {
        let card = match what {
            Present::Blank | Present::Drill(CardDrill::BlankReplacement) => Card::new(config),
            Present::Same => match self.in_reader()? {
                Some(serial) => self.load(&serial, config)?,
                None => Card::new(config),
            },
            Present::Card(serial) => self.load(serial, config)?,
            Present::Drill(CardDrill::Foreign) => foreign_card(config, false)?,
            Present::Drill(CardDrill::Issued) => foreign_card(config, true)?,
        };
        let path = self.card_path(&card.serial());
        self.save(&card)?;
        self.write_note("in-reader", card.serial().as_str())?;
        Ok((card, path))
    }

    /// Saves `card` to its state file.
    pub fn save(&self, card: &Card) -> Result<(), SimError> {
        sim_state::save(card, &self.card_path(&card.serial()))
    }

    /// Asks whoever serves the reader (the vpcd bridge) to take the card off and present
    /// another, or to pull it after some APDUs; [`CardFeeder::request_pending`] turns false once
    /// the request is taken.
    pub fn request(&self, what: &FeederRequest) -> Result<(), SimError> {
        self.write_note("request", &what.to_string())
    }

    /// True while a request waits to be served.
    pub fn request_pending(&self) -> bool {
        self.dir.join("request").exists()
    }

    /// The waiting request, removed from the folder.
    pub fn take_request(&self) -> Result<Option<FeederRequest>, SimError> {
        let Some(text) = self.note("request")? else {
            return Ok(None);
        };
        let path = self.dir.join("request");
        std::fs::remove_file(&path)
            .map_err(|e| SimError::io(format!("removing {}", path.display()), e))?;
        text.parse().map(Some).map_err(|e| {
            SimError::state_from(path.display().to_string(), "is not a feeder request", e)
        })
    }

    fn load(&self, serial: &ChipSerial, config: CardConfig) -> Result<Card, SimError> {
        sim_state::load(&self.card_path(serial), config)
    }

    fn note(&self, name: &str) -> Result<Option<String>, SimError> {
        let path = self.dir.join(name);
        match atomic_file::read(&path, MAX_NOTE) {
            Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).trim().to_owned())),
            Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(ReadError::Io(e)) => Err(SimError::io(format!("reading {}", path.display()), e)),
            Err(ReadError::TooLarge(_)) => Err(SimError::state(
                path.display().to_string(),
                "is too large for a feeder note",
            )),
        }
    }

    fn write_note(&self, name: &str, text: &str) -> Result<(), SimError> {
        let path = self.dir.join(name);
        atomic_file::write(&path, text.as_bytes(), false)
            .map_err(|e| SimError::io(format!("writing {}", path.display()), e))
    }
}

/// A card another personalization started (`locked`: and finished): the eMRTD application with
/// an EF.COM of its own, and for a locked card a BAC seed (the JMRTD applet locks only with one)
/// and LOCK. Built with the chip's own personalization commands, so its state is the chip's.
fn foreign_card(config: CardConfig, locked: bool) -> Result<Card, SimError> {
    let mut card = Card::new(config);
    let com = [
        0x60, 0x0B, 0x5F, 0x01, 0x04, b'0', b'1', b'0', b'7', 0x5C, 0x02, 0x61, 0x75, 0x00, 0x00,
        0x00,
    ];
    let mut commands = vec![
        CommandApdu::new(0x00, 0xA4, 0x04, 0x0C).with_data(EMRTD_AID.to_vec()),
        CommandApdu::new(0x00, 0xE0, 0x00, 0x00)
            .with_data(vec![0x63, 0x04, 0x00, 0x10, 0x01, 0x1E]),
        CommandApdu::new(0x00, 0xD6, 0x00, 0x00).with_data(com.to_vec()),
    ];
    if locked {
        // A fictitious document: X00000000, born 1 January 1970, expiring 1 January 2030.
        let seed = b"\x62\x1B\x04\x09X00000000\x04\x06700101\x04\x06300101".to_vec();
        commands.push(CommandApdu::new(0x00, 0xDA, 0x00, 0x62).with_data(seed));
        commands.push(Ok(CommandApdu::new(0x00, 0xDA, 0xDE, 0xAD)));
    }
    for command in commands {
        let command = command
            .map_err(|e| SimError::state_from("drill card", "a command does not encode", e))?;
        let r = card.process_command(&command);
        if !r.is_success() {
            return Err(SimError::state(
                format!("drill card {:02X?} (status {})", command.header(), r.sw()),
                "the chip refused a personalization command",
            ));
        }
    }
    card.power_on();
    Ok(card)
}

#[cfg(test)]
mod tests {
    use super::*;
    use permitkit_chip::identity::CardLife;

    #[test]
    fn every_blank_card_has_its_own_serial_and_the_same_card_comes_back() {
        let dir = tempfile::tempdir().unwrap();
        let feeder = CardFeeder::open(dir.path()).unwrap();
        assert_eq!(feeder.in_reader().unwrap(), None);
        let (a, path_a) = feeder
            .present(&Present::Blank, CardConfig::default())
            .unwrap();
        assert!(path_a.is_file());
        let (b, _) = feeder
            .present(&Present::Blank, CardConfig::default())
            .unwrap();
        assert_ne!(a.serial(), b.serial());
        assert_eq!(feeder.in_reader().unwrap(), Some(b.serial()));
        let (same, _) = feeder
            .present(&Present::Same, CardConfig::default())
            .unwrap();
        assert_eq!(same.serial(), b.serial());
        let (back, _) = feeder
            .present(&Present::Card(a.serial()), CardConfig::default())
            .unwrap();
        assert_eq!(back.serial(), a.serial());
        assert_eq!(feeder.in_reader().unwrap(), Some(a.serial()));
    }

    #[test]
    fn drill_cards_are_foreign_or_issued() {
        let dir = tempfile::tempdir().unwrap();
        let feeder = CardFeeder::open(dir.path()).unwrap();
        for (drill, life) in [
            (CardDrill::BlankReplacement, CardLife::Blank),
            (CardDrill::Foreign, CardLife::Started),
            (CardDrill::Issued, CardLife::Issued),
        ] {
            let (card, _) = feeder
                .present(&Present::Drill(drill), CardConfig::default())
                .unwrap();
            assert_eq!(card.life(), life, "{drill:?}");
            assert_eq!(drill.name().parse::<CardDrill>().unwrap(), drill);
        }
        assert!("spare".parse::<CardDrill>().is_err());
    }

    #[test]
    fn requests_round_trip_through_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let feeder = CardFeeder::open(dir.path()).unwrap();
        assert!(!feeder.request_pending());
        let (card, _) = feeder
            .present(&Present::Blank, CardConfig::default())
            .unwrap();
        for what in [
            FeederRequest::Present(Present::Blank),
            FeederRequest::Present(Present::Drill(CardDrill::Issued)),
            FeederRequest::Present(Present::Card(card.serial())),
            FeederRequest::PullAfter(7),
        ] {
            feeder.request(&what).unwrap();
            assert!(feeder.request_pending());
            assert_eq!(feeder.take_request().unwrap(), Some(what));
            assert!(!feeder.request_pending());
        }
        assert_eq!(feeder.take_request().unwrap(), None);
    }
}
