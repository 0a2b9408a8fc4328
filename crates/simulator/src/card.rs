//! The virtual eMRTD chip: a pure APDU handler with a personalization life cycle (ISO/IEC
//! 7816-4 §11 commands; ICAO Doc 9303-11 access control; personalization dialect of the JMRTD
//! passport applet with the extensions documented in `hardware-profiles/chips/README.md`).
//!
//! - Personalization phase: SELECT, CREATE FILE (`E0`, `63 04 size fid`), UPDATE BINARY
//!   (`D6`, and odd `D7` with `54`/`53` objects for offsets above 32767), PUT DATA `00 62` (BAC
//!   seed: document number, birth and expiry dates — `<` in the unknown parts of a date of
//!   birth, ICAO 9303-3 §4.8), `00 65` (PACE CAN), `00 6A` (AA key), GENERATE ASYMMETRIC KEY
//!   PAIR (`46`, ISO/IEC 7816-8 §5.1: the AA key made on the chip), `DE AD` (LOCK).
//! - Always: SELECT by AID/FID (MF files too; the application's FCP carries its life cycle
//!   status byte, ISO/IEC 7816-4:2005 §5.3.3.2), READ BINARY (SFI in P1, odd `B1`), GET
//!   CHALLENGE, EXTERNAL AUTHENTICATE (BAC), MSE:Set AT and GENERAL AUTHENTICATE (PACE with the
//!   generic, integrated and chip authentication mappings), Chip Authentication
//!   ([`crate::eac_ca`]: MSE:Set KAT, MSE:Set AT `41 A4` + GENERAL AUTHENTICATE, secure messaging
//!   restarted with its keys), its key pairs generated on the chip or stored (PUT DATA `6B`).
//! - Card manager: GlobalPlatform GET DATA `80 CA 9F 7F` answers the card's own CPLC (its chip
//!   serial) while no application is selected, as the issuer security domain selected after
//!   reset does; once the eMRTD application is selected the command is the application's and
//!   is refused (`6E00`).
//! - Access control: EF.CardAccess (MF) is readable in plain; application EFs are readable and
//!   selectable only under secure messaging after BAC or PACE; after LOCK every write answers
//!   `6985`; a wrong MAC ends the session with plain `6987`/`6988`.
//!
//! Untrusted input never panics and never allocates beyond the profile's EF size limit.

use crate::eac_ca::EacCa;
use crate::eac_ta::EacTa;
use crate::faults::{Action, Faults};
use crate::filesystem::{Df, FileSystem};
use permitkit_chip::bac::{self, BacKeys};
use permitkit_chip::channel::{CardChannel, TransportError};
use permitkit_chip::identity::{CardLife, ChipSerial, Cplc};
use permitkit_chip::pace::{ChipStepResult, PaceChip, PaceParams, PacePassword};
use permitkit_chip::random::{OsRandom, RandomSource};
use permitkit_chip::sm::SmSession;
use permitkit_iso7816::apdu::{CommandApdu, ResponseApdu, StatusWord};
use permitkit_iso7816::tlv::{self, Tag};
use permitkit_lds::security_infos::{ObjectIdentifier, PaceMapping, PaceProtocol};
use permitkit_lds::{CardAccess, EMRTD_AID, Ef};
use permitkit_model::secret::{SecretBytes, SecretString};

/// A default ATR for the virtual chip (TCK last, computed by [`CardConfig::default`]): direct
/// convention, T=1, five historical bytes `80 73 C8 21 C0`: category indicator 80, then the
/// card-capabilities compact-TLV `73` whose third byte announces command chaining and extended
/// Lc/Le (ISO/IEC 7816-4 §12.1.1.9).
pub const DEFAULT_ATR: [u8; 10] = [0x3B, 0x85, 0x80, 0x01, 0x80, 0x73, 0xC8, 0x21, 0xC0, 0x00];

/// The identifier the virtual chip gives for the PC/SC pseudo-APDU `FF CA 00 00`.
pub const VIRTUAL_UID: [u8; 4] = [0x08, 0x50, 0x4B, 0x31];

/// Limits and identity of a virtual chip (from its chip profile).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardConfig {
    /// Largest EF the chip accepts.
    pub max_ef_size: usize,
    /// Most EFs the chip holds.
    pub max_files: usize,
    /// True when extended-length APDUs are accepted.
    pub extended_length: bool,
    /// The ATR.
    pub atr: Vec<u8>,
}

impl Default for CardConfig {
    fn default() -> Self {
        Self {
            max_ef_size: 65_535,
            max_files: 24,
            extended_length: true,
            atr: atr_with_tck(&DEFAULT_ATR),
        }
    }
}

impl CardConfig {
    /// The limits of a chip profile (the virtual chip's own, normally).
    pub fn from_profile(chip: &permitkit_model::profiles::ChipProfile) -> Self {
        Self {
            max_ef_size: chip.max_ef_size,
            max_files: chip.max_files,
            extended_length: chip.extended_length,
            ..Self::default()
        }
    }
}

fn atr_with_tck(atr: &[u8]) -> Vec<u8> {
    let mut v = atr.to_vec();
    if let Some(last) = v.last_mut() {
        *last = 0;
    }
    let tck = v.iter().skip(1).fold(0u8, |a, b| a ^ b);
    if let Some(last) = v.last_mut() {
        *last = tck;
    }
    v
}

/// The chip's secrets as set by PUT DATA.
#[derive(Debug, Clone, Default)]
pub struct CardSecrets {
    /// The MRZ information the BAC keys come from (also the PACE MRZ password).
    pub mrz_information: Option<SecretBytes>,
    /// The card access number.
    pub can: Option<SecretString>,
    /// The Active Authentication private key (PKCS#8 DER, ECDSA P-256).
    pub aa_private_key: Option<SecretBytes>,
    /// The Chip Authentication key pairs (ICAO 9303-11 §6.2), by key id.
    pub ca_keys: Vec<permitkit_chip::ca::CaKeyPair>,
}

/// Most Chip Authentication key pairs the virtual chip holds.
pub const MAX_CA_KEYS: usize = 4;

enum Auth {
    None,
    Challenge([u8; 8]),
    Pace(Box<PaceChip>),
    Secure(SmSession),
}

/// The CPLC of a virtual chip with this IC serial number and batch: IC fabricator `504B` and
/// IC type `5631` ("PK", "V1"), operating system `504B` release level `0100`, no dates.
pub fn virtual_cplc(ic_serial_number: u32, ic_batch_identifier: u16) -> Cplc {
    Cplc {
        ic_fabricator: 0x504B,
        ic_type: 0x5631,
        os_id: 0x504B,
        os_release_level: 0x0100,
        ic_serial_number,
        ic_batch_identifier,
        ..Cplc::default()
    }
}

/// A CPLC with a fresh random IC serial number and batch (the operating system's generator;
/// should it fail, the clock and a counter, which still differ from card to card).
pub fn random_cplc() -> Cplc {
    let mut b = [0u8; 6];
    if permitkit_model::random::fill_random(&mut b).is_err() {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        b[..4].copy_from_slice(&(t ^ n.rotate_left(16)).to_be_bytes());
        b[4..].copy_from_slice(&u16::try_from(n & 0xFFFF).unwrap_or(0).to_be_bytes());
    }
    let [a, b1, c, d, e, f] = b;
    virtual_cplc(
        u32::from_be_bytes([a, b1, c, d]),
        u16::from_be_bytes([e, f]),
    )
}

/// The virtual chip.
pub struct Card {
    config: CardConfig,
    cplc: Cplc,
    fs: FileSystem,
    secrets: CardSecrets,
    locked: bool,
    df: Df,
    ef: Option<u16>,
    auth: Auth,
    faults: Faults,
    rng: Box<dyn RandomSource>,
    eac: EacTa,
    ca: EacCa,
    dirty: bool,
    powered: bool,
}

impl std::fmt::Debug for Card {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Card")
            .field("config", &self.config)
            .field("serial", &self.cplc.serial())
            .field("locked", &self.locked)
            .finish_non_exhaustive()
    }
}

impl Card {
    /// A blank chip in the personalization phase, with a serial of its own.
    pub fn new(config: CardConfig) -> Self {
        Self::with_cplc(config, random_cplc())
    }

    /// A blank chip with the given CPLC (its chip serial).
    pub fn with_cplc(config: CardConfig, cplc: Cplc) -> Self {
        let fs = FileSystem::new(config.max_ef_size, config.max_files);
        Self {
            config,
            cplc,
            fs,
            secrets: CardSecrets::default(),
            locked: false,
            df: Df::Mf,
            ef: None,
            auth: Auth::None,
            faults: Faults::default(),
            rng: Box::new(OsRandom),
            eac: EacTa::default(),
            ca: EacCa::default(),
            dirty: false,
            powered: true,
        }
    }

    /// A chip rebuilt from saved parts (see [`super::state`]).
    pub(crate) fn from_parts(
        config: CardConfig,
        cplc: Cplc,
        fs: FileSystem,
        secrets: CardSecrets,
        locked: bool,
    ) -> Self {
        let mut card = Self::with_cplc(config, cplc);
        card.fs = fs;
        card.secrets = secrets;
        card.locked = locked;
        card
    }

    /// Replaces the random source (for replaying published vectors).
    pub fn set_random(&mut self, rng: Box<dyn RandomSource>) {
        self.rng = rng;
    }

    /// The configuration.
    pub fn config(&self) -> &CardConfig {
        &self.config
    }

    /// The files.
    pub fn filesystem(&self) -> &FileSystem {
        &self.fs
    }

    /// The secrets set by personalization.
    pub fn secrets(&self) -> &CardSecrets {
        &self.secrets
    }

    /// The secrets, to change (tests and fault drills: a chip whose key was swapped).
    pub fn secrets_mut(&mut self) -> &mut CardSecrets {
        &mut self.secrets
    }

    /// Terminal Authentication: the stored trust points and current date, the session.
    pub fn eac(&self) -> &EacTa {
        &self.eac
    }

    /// Restores the Terminal Authentication store (from a state file).
    pub(crate) fn set_eac(&mut self, eac: EacTa) {
        self.eac = eac;
    }

    /// Tells Terminal Authentication that Chip Authentication succeeded in this session with
    /// the terminal's ephemeral key `pk_pcd` (uncompressed point): its x-coordinate is what the
    /// terminal signs.
    pub fn chip_authenticated(&mut self, pk_pcd: &[u8]) {
        let n = pk_pcd.len().saturating_sub(1) / 2;
        self.eac
            .chip_authenticated(pk_pcd.get(1..=n).unwrap_or_default().to_vec());
    }

    /// True after LOCK.
    pub fn is_locked(&self) -> bool {
        self.locked
    }

    /// The Card Production Life Cycle data GET DATA `9F7F` answers.
    pub fn cplc(&self) -> &Cplc {
        &self.cplc
    }

    /// The chip serial (from the CPLC).
    pub fn serial(&self) -> ChipSerial {
        self.cplc.serial()
    }

    /// Where personalization stands: blank (nothing stored), started, or issued (locked).
    pub fn life(&self) -> CardLife {
        let s = &self.secrets;
        if self.locked {
            CardLife::Issued
        } else if self.fs.files().next().is_some()
            || s.mrz_information.is_some()
            || s.can.is_some()
            || s.aa_private_key.is_some()
            || !s.ca_keys.is_empty()
        {
            CardLife::Started
        } else {
            CardLife::Blank
        }
    }

    /// Faults to inject.
    pub fn faults_mut(&mut self) -> &mut Faults {
        &mut self.faults
    }

    /// Puts a pulled card back into the field (a fresh power-up).
    pub fn reinsert(&mut self) {
        self.faults.reinsert();
        self.power_on();
    }

    /// True once since the last call when a command changed what is stored.
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    /// Cold power-up: session state is lost, the master file is selected.
    pub fn power_on(&mut self) {
        self.powered = true;
        self.end_session();
        self.df = Df::Mf;
        self.ef = None;
    }

    /// Power-down.
    pub fn power_off(&mut self) {
        self.powered = false;
        self.end_session();
    }

    fn end_session(&mut self) {
        self.auth = Auth::None;
        self.eac.end_session();
        self.ca.end_session();
    }

    /// Processes raw command bytes and returns raw response bytes (data ‖ SW1 SW2). Faults
    /// are not applied here (they belong to the channel interface).
    pub fn process(&mut self, command: &[u8]) -> Vec<u8> {
        if !self.powered {
            self.power_on();
        }
        match CommandApdu::parse(command) {
            Ok(cmd) => self.process_command(&cmd).to_bytes(),
            Err(_) => StatusWord::WRONG_LENGTH.to_bytes().to_vec(),
        }
    }

    /// Processes one command.
    pub fn process_command(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        if cmd.is_extended() && !self.config.extended_length {
            return ResponseApdu::status(StatusWord::WRONG_LENGTH);
        }
        if cmd.header() == [0xFF, 0xCA, 0x00, 0x00] {
            // PC/SC GET DATA (UID) is answered by real readers; vpcd forwards it to the card,
            // so the virtual chip answers it like a reader would: a random-UID style
            // identifier (first byte 08, ISO/IEC 14443-3 §6.4.4). No session state changes.
            return ResponseApdu::new(VIRTUAL_UID.to_vec(), StatusWord::SUCCESS);
        }
        if cmd.cla() & 0xF0 == 0x80 {
            return self.card_manager(cmd);
        }
        let protected = cmd.cla() & 0x0C == 0x0C;
        if let Auth::Secure(session) = &mut self.auth {
            if !protected {
                // A plain command ends secure messaging (9303-11 §9.8.4).
                self.end_session();
                return ResponseApdu::status(StatusWord::SM_DATA_OBJECTS_MISSING);
            }
            let plain = match session.unprotect_command(cmd) {
                Ok(p) => p,
                Err(e) => {
                    self.end_session();
                    return ResponseApdu::status(e.chip_status());
                }
            };
            let answer = self.dispatch(&plain, true);
            let response = match &mut self.auth {
                Auth::Secure(session) => match session.protect_response(plain.ins(), &answer) {
                    Ok(r) => r,
                    Err(_) => {
                        self.end_session();
                        ResponseApdu::status(StatusWord::NO_PRECISE_DIAGNOSIS)
                    }
                },
                _ => answer,
            };
            if let Some((session, pk_pcd)) = self.ca.take_restart() {
                // Chip Authentication: the answer went out under the old keys (crate::eac_ca).
                self.auth = Auth::Secure(session);
                self.chip_authenticated(&pk_pcd);
            }
            return response;
        }
        if protected {
            // No session keys: the protected command cannot be checked.
            return ResponseApdu::status(StatusWord::SM_DATA_OBJECTS_INCORRECT);
        }
        self.dispatch(cmd, false)
    }

    /// GlobalPlatform commands (CLA `80`): GET DATA `9F7F`, the CPLC, while the card manager is
    /// the selected application (after power-up, before the eMRTD application is selected).
    fn card_manager(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        let selected_app = self.df == Df::App || !matches!(self.auth, Auth::None);
        if selected_app || cmd.cla() != 0x80 {
            return ResponseApdu::status(StatusWord::CLA_NOT_SUPPORTED);
        }
        match (cmd.ins(), cmd.p1(), cmd.p2()) {
            (0xCA, 0x9F, 0x7F) => {
                let data = self.cplc.encode();
                match cmd.le() {
                    Some(ne) if ne < data.len() => {
                        let exact = u8::try_from(data.len()).unwrap_or(0);
                        ResponseApdu::status(StatusWord(0x6C00 | u16::from(exact)))
                    }
                    _ => ResponseApdu::new(data, StatusWord::SUCCESS),
                }
            }
            (0xCA, _, _) => ResponseApdu::status(StatusWord::REFERENCE_DATA_NOT_FOUND),
            _ => ResponseApdu::status(StatusWord::INS_NOT_SUPPORTED),
        }
    }

    fn dispatch(&mut self, cmd: &CommandApdu, secure: bool) -> ResponseApdu {
        if cmd.cla() & !0x10 != 0x00 {
            return ResponseApdu::status(StatusWord::CLA_NOT_SUPPORTED);
        }
        if cmd.cla() & 0x10 != 0 && cmd.ins() != 0x86 {
            return ResponseApdu::status(StatusWord::CHAINING_NOT_SUPPORTED);
        }
        if self.ca.handles(cmd) {
            // Chip Authentication (crate::eac_ca).
            return self
                .ca
                .process(cmd, secure, &self.secrets.ca_keys)
                .unwrap_or_else(ResponseApdu::status);
        }
        if secure && self.eac.handles(cmd) {
            // Terminal Authentication (crate::eac_ta).
            return self
                .eac
                .process(cmd, &mut self.fs, self.rng.as_mut())
                .unwrap_or_else(ResponseApdu::status);
        }
        let result = match cmd.ins() {
            0xA4 => self.select(cmd, secure),
            0xB0 | 0xB1 => self.read_binary(cmd, secure),
            0xD6 | 0xD7 => self.update_binary(cmd),
            0xE0 => self.create_file(cmd),
            0xDA => self.put_data(cmd),
            0x84 => self.get_challenge(cmd),
            0x82 => self.external_authenticate(cmd),
            0x22 => self.manage_security_environment(cmd),
            0x88 => self.internal_authenticate(cmd, secure),
            0x46 => self.generate_key_pair(cmd),
            0x86 => self.general_authenticate(cmd),
            _ => Err(StatusWord::INS_NOT_SUPPORTED),
        };
        match result {
            Ok(r) => r,
            Err(sw) => ResponseApdu::status(sw),
        }
    }

    fn may_access_app_file(&self, df: Df, secure: bool) -> bool {
        df == Df::Mf || secure
    }

    fn select(&mut self, cmd: &CommandApdu, secure: bool) -> Result<ResponseApdu, StatusWord> {
        let data = cmd.data();
        let (df, fid) = match (cmd.p1(), data) {
            (0x04, aid) => {
                if aid != EMRTD_AID {
                    return Err(StatusWord::FILE_NOT_FOUND);
                }
                self.df = Df::App;
                self.ef = None;
                if cmd.p2() & 0x0C != 0x04 {
                    return Ok(ResponseApdu::status(StatusWord::SUCCESS));
                }
                // FCP (ISO/IEC 7816-4 §5.3.3): 82 descriptor (DF), 84 DF name, 8A life cycle.
                let mut w = tlv::Writer::new();
                w.constructed(Tag::new(0x62), |w| {
                    w.primitive(Tag::new(0x82), &[0x38]);
                    w.primitive(Tag::new(0x84), &EMRTD_AID);
                    w.primitive(Tag::new(0x8A), &[self.life().status_byte()]);
                });
                let fcp = w.finish().map_err(|_| StatusWord::NO_PRECISE_DIAGNOSIS)?;
                return Ok(ResponseApdu::new(fcp, StatusWord::SUCCESS));
            }
            (0x00, [] | [0x3F, 0x00]) => {
                self.df = Df::Mf;
                self.ef = None;
                return Ok(ResponseApdu::status(StatusWord::SUCCESS));
            }
            (0x00 | 0x02, [hi, lo]) => (self.df, u16::from_be_bytes([*hi, *lo])),
            _ => return Err(StatusWord::INCORRECT_P1P2),
        };
        if !self.may_access_app_file(df, secure) && self.locked {
            return Err(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        }
        let size = self.fs.size(df, fid).ok_or(StatusWord::FILE_NOT_FOUND)?;
        self.ef = Some(fid);
        match cmd.p2() & 0x0C {
            0x04 | 0x00 if cmd.p2() & 0x0C != 0x0C => {
                // FCP (ISO/IEC 7816-4 §7.4.3): 80 file size, 82 descriptor, 83 identifier.
                let size16 = u16::try_from(size).unwrap_or(u16::MAX).to_be_bytes();
                let mut w = tlv::Writer::new();
                w.constructed(Tag::new(0x62), |w| {
                    w.primitive(Tag::new(0x80), &size16);
                    w.primitive(Tag::new(0x82), &[0x01]);
                    w.primitive(Tag::new(0x83), &fid.to_be_bytes());
                });
                let fcp = w.finish().map_err(|_| StatusWord::NO_PRECISE_DIAGNOSIS)?;
                Ok(ResponseApdu::new(fcp, StatusWord::SUCCESS))
            }
            _ => Ok(ResponseApdu::status(StatusWord::SUCCESS)),
        }
    }

    /// The EF addressed by P1 (SFI when bit 8 is set) for READ/UPDATE BINARY (even INS), and
    /// the offset.
    fn target(&mut self, cmd: &CommandApdu) -> Result<(u16, usize), StatusWord> {
        if cmd.p1() & 0x80 != 0 {
            if cmd.p1() & 0x60 != 0 {
                return Err(StatusWord::INCORRECT_P1P2);
            }
            let fid = FileSystem::fid_for_sfi(self.df, cmd.p1() & 0x1F)
                .filter(|fid| self.fs.exists(self.df, *fid))
                .ok_or(StatusWord::FILE_NOT_FOUND)?;
            self.ef = Some(fid);
            Ok((fid, usize::from(cmd.p2())))
        } else {
            let fid = self.ef.ok_or(StatusWord::COMMAND_NOT_ALLOWED)?;
            Ok((fid, usize::from(u16::from_be_bytes([cmd.p1(), cmd.p2()]))))
        }
    }

    /// Odd-INS offset data object `54` (ISO/IEC 7816-4 §11.3.3).
    fn odd_offset(data: &[u8]) -> Result<(usize, &[u8]), StatusWord> {
        let mut r = tlv::Reader::new(data);
        let off = r
            .expect(Tag::new(0x54))
            .map_err(|_| StatusWord::WRONG_DATA)?;
        if off.value().is_empty() || off.value().len() > 3 {
            return Err(StatusWord::WRONG_DATA);
        }
        let offset = off
            .value()
            .iter()
            .fold(0usize, |a, b| (a << 8) | usize::from(*b));
        Ok((offset, r.remaining()))
    }

    fn read_binary(&mut self, cmd: &CommandApdu, secure: bool) -> Result<ResponseApdu, StatusWord> {
        let ne = cmd.le().ok_or(StatusWord::WRONG_LENGTH)?;
        let (fid, offset) = if cmd.ins() == 0xB1 {
            let fid = self.ef.ok_or(StatusWord::COMMAND_NOT_ALLOWED)?;
            (fid, Self::odd_offset(cmd.data())?.0)
        } else {
            self.target(cmd)?
        };
        if !self.may_access_app_file(self.df, secure) {
            return Err(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        }
        if self.df == Df::Mf && fid == Ef::CardSecurity.fid() && !secure {
            // EF.CardSecurity only after PACE (9303-11 §9.2.3).
            return Err(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        }
        if !self.eac.may_read(self.df, fid, self.locked) {
            // DG3/DG4 behind Extended Access Control (crate::eac_ta).
            return Err(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        }
        if cmd.ins() == 0xB1 {
            // The answer is `53 L data`; keep the whole object within Ne.
            let budget = ne.saturating_sub(5);
            let bytes = self.fs.read(self.df, fid, offset, budget)?;
            let encoded =
                tlv::encode(Tag::new(0x53), bytes).map_err(|_| StatusWord::NO_PRECISE_DIAGNOSIS)?;
            return Ok(ResponseApdu::new(encoded, StatusWord::SUCCESS));
        }
        let bytes = self.fs.read(self.df, fid, offset, ne)?;
        let sw = if bytes.len() < ne && ne != 256 && ne != 65_536 {
            StatusWord::END_OF_FILE
        } else {
            StatusWord::SUCCESS
        };
        Ok(ResponseApdu::new(bytes.to_vec(), sw))
    }

    fn update_binary(&mut self, cmd: &CommandApdu) -> Result<ResponseApdu, StatusWord> {
        if self.locked {
            return Err(StatusWord::CONDITIONS_NOT_SATISFIED);
        }
        let (fid, offset, data) = if cmd.ins() == 0xD7 {
            let fid = self.ef.ok_or(StatusWord::COMMAND_NOT_ALLOWED)?;
            let (offset, rest) = Self::odd_offset(cmd.data())?;
            let d = tlv::parse_single(rest, Tag::new(0x53)).map_err(|_| StatusWord::WRONG_DATA)?;
            (fid, offset, d.value())
        } else {
            let (fid, offset) = self.target(cmd)?;
            (fid, offset, cmd.data())
        };
        if data.is_empty() {
            return Err(StatusWord::WRONG_LENGTH);
        }
        if self.faults.take_write_corruption() {
            let mut copy = data.to_vec();
            if let Some(b) = copy.last_mut() {
                *b ^= 0x01;
            }
            self.fs.write(self.df, fid, offset, &copy)?;
        } else {
            self.fs.write(self.df, fid, offset, data)?;
        }
        self.dirty = true;
        Ok(ResponseApdu::status(StatusWord::SUCCESS))
    }

    fn create_file(&mut self, cmd: &CommandApdu) -> Result<ResponseApdu, StatusWord> {
        if self.locked {
            return Err(StatusWord::CONDITIONS_NOT_SATISFIED);
        }
        // JMRTD applet: 63 04 SSSS FFFF.
        let t =
            tlv::parse_single(cmd.data(), Tag::new(0x63)).map_err(|_| StatusWord::WRONG_DATA)?;
        let [s1, s2, f1, f2] = t.value() else {
            return Err(StatusWord::WRONG_DATA);
        };
        let size = usize::from(u16::from_be_bytes([*s1, *s2]));
        let fid = u16::from_be_bytes([*f1, *f2]);
        self.fs.create(self.df, fid, size)?;
        self.ef = Some(fid);
        self.dirty = true;
        Ok(ResponseApdu::status(StatusWord::SUCCESS))
    }

    fn put_data(&mut self, cmd: &CommandApdu) -> Result<ResponseApdu, StatusWord> {
        if self.locked {
            return Err(StatusWord::CONDITIONS_NOT_SATISFIED);
        }
        match (cmd.p1(), cmd.p2()) {
            (0xDE, 0xAD) => {
                if self.secrets.mrz_information.is_none() {
                    return Err(StatusWord::CONDITIONS_NOT_SATISFIED);
                }
                // The answer still goes out under the current session; every later write
                // is refused.
                self.locked = true;
            }
            (0x00, 0x62) => {
                let info = bac_seed_to_mrz_information(cmd.data())?;
                self.secrets.mrz_information = Some(info);
            }
            (0x00, 0x65) => {
                let outer = tlv::parse_single(cmd.data(), Tag::new(0x65))
                    .map_err(|_| StatusWord::WRONG_DATA)?;
                let mut r = outer.children().map_err(|_| StatusWord::WRONG_DATA)?;
                while !r.is_empty() {
                    let item = r
                        .expect(Tag::new(0x66))
                        .map_err(|_| StatusWord::WRONG_DATA)?;
                    match item.value() {
                        [0x02, can @ ..] if !can.is_empty() && can.len() <= 16 => {
                            let s = std::str::from_utf8(can).map_err(|_| StatusWord::WRONG_DATA)?;
                            if !s.bytes().all(|b| b.is_ascii_digit()) {
                                return Err(StatusWord::WRONG_DATA);
                            }
                            self.secrets.can = Some(SecretString::from(s));
                        }
                        _ => return Err(StatusWord::REFERENCE_DATA_NOT_FOUND),
                    }
                }
            }
            (0x00, 0x64) => self.eac.put_trust_point(&mut self.fs, cmd.data())?,
            (0x00, 0x6B) => {
                crate::eac_ca::put_key(&mut self.secrets.ca_keys, cmd.data(), MAX_CA_KEYS)?;
            }
            (0x00, 0x6A) => {
                // permitkit extension: `6A L <PKCS#8 DER>` Active Authentication key (P-256).
                let t = tlv::parse_single(cmd.data(), Tag::new(0x6A))
                    .map_err(|_| StatusWord::WRONG_DATA)?;
                permitkit_chip::aa::check_private_key(t.value())?;
                self.secrets.aa_private_key = Some(SecretBytes::from_slice(t.value()));
            }
            _ => return Err(StatusWord::INCORRECT_P1P2),
        }
        self.dirty = true;
        Ok(ResponseApdu::status(StatusWord::SUCCESS))
    }

    /// GENERATE ASYMMETRIC KEY PAIR (ISO/IEC 7816-8 §5.1) `00 46 00 00`: a fresh Active
    /// Authentication key (P-256) replaces any earlier one; the answer is its public key
    /// template `7F49`. Personalization phase only.
    fn generate_key_pair(&mut self, cmd: &CommandApdu) -> Result<ResponseApdu, StatusWord> {
        if self.locked {
            return Err(StatusWord::CONDITIONS_NOT_SATISFIED);
        }
        if (cmd.p1(), cmd.p2()) != (0x00, 0x00) {
            return Err(StatusWord::INCORRECT_P1P2);
        }
        if !cmd.data().is_empty() {
            // A Chip Authentication key (crate::eac_ca).
            let r = crate::eac_ca::generate(
                &mut self.secrets.ca_keys,
                cmd.data(),
                MAX_CA_KEYS,
                self.rng.as_mut(),
            )?;
            self.dirty = true;
            return Ok(r);
        }
        let (private, template) = permitkit_chip::aa::chip_generate(self.rng.as_mut())?;
        self.secrets.aa_private_key = Some(private);
        self.dirty = true;
        Ok(ResponseApdu::new(template, StatusWord::SUCCESS))
    }

    fn internal_authenticate(
        &mut self,
        cmd: &CommandApdu,
        secure: bool,
    ) -> Result<ResponseApdu, StatusWord> {
        if !secure {
            return Err(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        }
        let key = self
            .secrets
            .aa_private_key
            .as_ref()
            .ok_or(StatusWord::REFERENCE_DATA_NOT_FOUND)?;
        let sig = permitkit_chip::aa::chip_sign(key.expose(), cmd.data())?;
        Ok(ResponseApdu::new(sig, StatusWord::SUCCESS))
    }

    fn get_challenge(&mut self, cmd: &CommandApdu) -> Result<ResponseApdu, StatusWord> {
        if cmd.le() != Some(8) {
            return Err(StatusWord::WRONG_LENGTH);
        }
        let mut rnd = [0u8; 8];
        self.rng
            .fill(&mut rnd)
            .map_err(|_| StatusWord::NO_PRECISE_DIAGNOSIS)?;
        self.auth = Auth::Challenge(rnd);
        Ok(ResponseApdu::new(rnd.to_vec(), StatusWord::SUCCESS))
    }

    fn external_authenticate(&mut self, cmd: &CommandApdu) -> Result<ResponseApdu, StatusWord> {
        let Auth::Challenge(rnd_ic) = std::mem::replace(&mut self.auth, Auth::None) else {
            return Err(StatusWord::CONDITIONS_NOT_SATISFIED);
        };
        let info = self
            .secrets
            .mrz_information
            .as_ref()
            .ok_or(StatusWord::CONDITIONS_NOT_SATISFIED)?;
        let keys = BacKeys::from_mrz_information(info.expose());
        let k_ic = bac::random_secret(self.rng.as_mut(), 16)
            .map_err(|_| StatusWord::NO_PRECISE_DIAGNOSIS)?;
        let k_ic: [u8; 16] = k_ic
            .expose()
            .try_into()
            .map_err(|_| StatusWord::NO_PRECISE_DIAGNOSIS)?;
        let (answer, session) = bac::chip_authenticate(&keys, &rnd_ic, &k_ic, cmd.data())?;
        self.auth = Auth::Secure(session);
        self.eac
            .session_opened(permitkit_chip::ta::id_picc_bac(info.expose()));
        Ok(ResponseApdu::new(answer, StatusWord::SUCCESS))
    }

    fn manage_security_environment(
        &mut self,
        cmd: &CommandApdu,
    ) -> Result<ResponseApdu, StatusWord> {
        if (cmd.p1(), cmd.p2()) != (0xC1, 0xA4) {
            return Err(StatusWord::INCORRECT_P1P2);
        }
        self.end_session();
        let mut r = tlv::Reader::new(cmd.data());
        let wrong = |_| StatusWord::WRONG_DATA;
        let oid = r.expect(Tag::new(0x80)).map_err(wrong)?;
        let oid = ObjectIdentifier::from_bytes(oid.value()).map_err(|_| StatusWord::WRONG_DATA)?;
        PaceProtocol::from_oid(&oid).ok_or(StatusWord::WRONG_DATA)?;
        let reference = match r.expect(Tag::new(0x83)).map_err(wrong)?.value() {
            [b] => *b,
            _ => return Err(StatusWord::WRONG_DATA),
        };
        let param = match r.optional(Tag::new(0x84)).map_err(wrong)? {
            Some(t) => match t.value() {
                [b] => Some(u32::from(*b)),
                _ => return Err(StatusWord::WRONG_DATA),
            },
            None => None,
        };
        // The chip offers what its own EF.CardAccess lists.
        let offered = self
            .fs
            .read(Df::Mf, Ef::CardAccess.fid(), 0, self.fs.max_ef_size())
            .ok()
            .map(CardAccess::offered_pace_infos)
            .unwrap_or_default();
        let info = offered
            .iter()
            .find(|i| i.protocol == oid && (param.is_none() || i.parameter_id == param))
            .ok_or(StatusWord::REFERENCE_DATA_NOT_FOUND)?;
        let params = PaceParams::from_info(info).map_err(|_| StatusWord::FUNCTION_NOT_SUPPORTED)?;
        let password = match reference {
            0x01 => PacePassword::Mrz(
                self.secrets
                    .mrz_information
                    .clone()
                    .ok_or(StatusWord::REFERENCE_DATA_NOT_FOUND)?,
            ),
            0x02 => PacePassword::Can(
                self.secrets
                    .can
                    .clone()
                    .ok_or(StatusWord::REFERENCE_DATA_NOT_FOUND)?,
            ),
            _ => return Err(StatusWord::REFERENCE_DATA_NOT_FOUND),
        };
        let mut chip = PaceChip::new(params, &password);
        if params.mapping() == PaceMapping::ChipAuthentication {
            // PACE-CAM proves the key whose id is the parameter id (crate::eac_ca).
            let key = crate::eac_ca::cam_key(&self.secrets.ca_keys, info.parameter_id)
                .ok_or(StatusWord::REFERENCE_DATA_NOT_FOUND)?;
            chip = chip.with_chip_authentication_key(key);
        }
        self.auth = Auth::Pace(Box::new(chip));
        Ok(ResponseApdu::status(StatusWord::SUCCESS))
    }

    fn general_authenticate(&mut self, cmd: &CommandApdu) -> Result<ResponseApdu, StatusWord> {
        let Auth::Pace(mut pace) = std::mem::replace(&mut self.auth, Auth::None) else {
            return Err(StatusWord::CONDITIONS_NOT_SATISFIED);
        };
        let last = cmd.cla() & 0x10 == 0;
        match pace.step(cmd.data(), self.rng.as_mut())? {
            ChipStepResult::Continue(data) if !last => {
                self.auth = Auth::Pace(pace);
                Ok(ResponseApdu::new(data, StatusWord::SUCCESS))
            }
            ChipStepResult::Established(done) if last => {
                let done = *done;
                self.auth = Auth::Secure(done.session);
                // Terminal Authentication identifies the chip by Comp(PK_IC) (9303-11 §7.1).
                let n = done.chip_public_key.len().saturating_sub(1) / 2;
                self.eac
                    .session_opened(done.chip_public_key.get(1..=n).unwrap_or_default().to_vec());
                Ok(ResponseApdu::new(done.data, StatusWord::SUCCESS))
            }
            _ => Err(StatusWord::LAST_COMMAND_EXPECTED),
        }
    }
}

/// JMRTD applet PUT DATA 62: `62 L { 04 docNo, 04 DOB, 04 DOE }`; the chip adds the check
/// digits (ICAO 9303-3 §4.9) to build the MRZ information.
fn bac_seed_to_mrz_information(data: &[u8]) -> Result<SecretBytes, StatusWord> {
    let wrong = |_| StatusWord::WRONG_DATA;
    let outer = tlv::parse_single(data, Tag::new(0x62)).map_err(wrong)?;
    let mut r = outer.children().map_err(wrong)?;
    let doc = r.expect(Tag::new(0x04)).map_err(wrong)?.value();
    let dob = r.expect(Tag::new(0x04)).map_err(wrong)?.value();
    let doe = r.expect(Tag::new(0x04)).map_err(wrong)?.value();
    r.finish().map_err(wrong)?;
    let mrz_char = |b: &u8| b.is_ascii_digit() || b.is_ascii_uppercase() || *b == b'<';
    if doc.is_empty() || doc.len() > 22 || !doc.iter().all(mrz_char) {
        return Err(StatusWord::WRONG_DATA);
    }
    // The date of expiry is complete; the date of birth may have `<<` for an unknown day, month
    // or year (ICAO 9303-3 §4.8: `7408<<`, `74<<<<`, `<<<<<<`), which the check digit counts as
    // zeros and the MRZ information carries as printed.
    let digit_pair = |p: &[u8]| p.iter().all(u8::is_ascii_digit);
    let unknown_pair = |p: &[u8]| p == b"<<";
    let dob_ok = match dob {
        [y1, y2, m1, m2, d1, d2] => {
            let (y, m, d) = ([*y1, *y2], [*m1, *m2], [*d1, *d2]);
            let known = |p: &[u8; 2]| digit_pair(p);
            let unknown = |p: &[u8; 2]| unknown_pair(p);
            // Unknown parts nest: an unknown month means an unknown day, an unknown year both.
            (known(&y) && known(&m) && (known(&d) || unknown(&d)))
                || (known(&y) && unknown(&m) && unknown(&d))
                || (unknown(&y) && unknown(&m) && unknown(&d))
        }
        _ => false,
    };
    if !dob_ok || doe.len() != 6 || !digit_pair(doe) {
        return Err(StatusWord::WRONG_DATA);
    }
    let mut info = Vec::with_capacity(doc.len() + 15);
    for field in [doc, dob, doe] {
        // Validated above: MRZ characters only, so both always succeed.
        let digit = std::str::from_utf8(field)
            .ok()
            .and_then(|text| permitkit_lds::mrz::check_digit(text).ok())
            .ok_or(StatusWord::WRONG_DATA)?;
        info.extend_from_slice(field);
        info.push(b'0' + digit);
    }
    Ok(SecretBytes::new(info))
}

impl CardChannel for Card {
    fn atr(&self) -> &[u8] {
        &self.config.atr
    }

    fn transmit(&mut self, command: &CommandApdu) -> Result<ResponseApdu, TransportError> {
        match self.faults.next() {
            Action::Removed => {
                self.power_off();
                Err(TransportError::CardRemoved)
            }
            Action::Answer(sw) => Ok(ResponseApdu::status(sw)),
            Action::Tear => {
                if !self.powered {
                    self.power_on();
                }
                let _lost = self.process_command(command);
                self.power_off();
                Err(TransportError::CardRemoved)
            }
            Action::Process => {
                if !self.powered {
                    self.power_on();
                }
                Ok(self.process_command(command))
            }
            Action::Corrupt => {
                if !self.powered {
                    self.power_on();
                }
                let r = self.process_command(command);
                let mut data = r.data().to_vec();
                let mut sw = r.sw();
                match data.last_mut() {
                    Some(b) => *b ^= 0x01,
                    None => sw = StatusWord(sw.0 ^ 0x0001),
                }
                Ok(ResponseApdu::new(data, sw))
            }
        }
    }

    fn reset(&mut self) -> Result<(), TransportError> {
        if self.faults.is_removed() {
            return Err(TransportError::CardRemoved);
        }
        self.power_on();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bac_seed_gives_the_mrz_information() {
        // apdu.md §3 example PUT DATA 62.
        let data =
            hex::decode("621B04094C383938393032433C04063639303830360406393430363233").unwrap();
        assert_eq!(
            bac_seed_to_mrz_information(&data).unwrap().expose(),
            b"L898902C<369080619406236"
        );
    }

    #[test]
    fn bac_seed_takes_unknown_parts_of_the_date_of_birth() {
        // mrz-names.md §6: unknown day in Aug 1974 → 7408<< (check digit 7); unknown day and
        // month → 74<<<< (1); fully unknown → <<<<<< (0).
        for (dob, cd) in [("7408<<", '7'), ("74<<<<", '1'), ("<<<<<<", '0')] {
            let seed = dob;
            let mut w = tlv::Writer::new();
            w.constructed(Tag::new(0x62), |w| {
                w.primitive(Tag::new(0x04), b"L898902C<");
                w.primitive(Tag::new(0x04), seed.as_bytes());
                w.primitive(Tag::new(0x04), b"940623");
            });
            let info = bac_seed_to_mrz_information(&w.finish().unwrap()).unwrap();
            assert_eq!(
                info.expose(),
                format!("L898902C<3{dob}{cd}9406236").as_bytes(),
                "{dob}"
            );
        }
        // A known day with an unknown month, a `<` alone, and `<` in the expiry are refused.
        for (dob, doe) in [
            ("74<<12", "940623"),
            ("7408<2", "940623"),
            ("740812", "9406<<"),
        ] {
            let mut w = tlv::Writer::new();
            w.constructed(Tag::new(0x62), |w| {
                w.primitive(Tag::new(0x04), b"L898902C<");
                w.primitive(Tag::new(0x04), dob.as_bytes());
                w.primitive(Tag::new(0x04), doe.as_bytes());
            });
            assert_eq!(
                bac_seed_to_mrz_information(&w.finish().unwrap()).err(),
                Some(StatusWord::WRONG_DATA),
                "{dob} {doe}"
            );
        }
    }

    #[test]
    fn the_card_manager_answers_the_cplc_until_the_application_is_selected() {
        let mut card = Card::with_cplc(CardConfig::default(), virtual_cplc(0x0102_0304, 0x0A0B));
        let get = CommandApdu::new(0x80, 0xCA, 0x9F, 0x7F)
            .with_le(256)
            .unwrap();
        let r = card.process_command(&get);
        assert!(r.is_success());
        assert_eq!(&r.data()[..3], [0x9F, 0x7F, 0x2A]);
        assert_eq!(
            Cplc::parse(r.data()).unwrap().serial().as_str(),
            "504B-5631-0A0B-01020304"
        );
        assert_eq!(card.serial().as_str(), "504B-5631-0A0B-01020304");
        let select = CommandApdu::new(0x00, 0xA4, 0x04, 0x0C)
            .with_data(EMRTD_AID.to_vec())
            .unwrap();
        assert!(card.process_command(&select).is_success());
        assert_eq!(
            card.process_command(&get).sw(),
            StatusWord::CLA_NOT_SUPPORTED
        );
        // After a reset the card manager is selected again.
        card.power_on();
        assert!(card.process_command(&get).is_success());
    }

    #[test]
    fn the_application_fcp_reports_the_life_cycle() {
        let mut card = Card::new(CardConfig::default());
        let lcs = |card: &mut Card| {
            let select = CommandApdu::new(0x00, 0xA4, 0x04, 0x04)
                .with_data(EMRTD_AID.to_vec())
                .and_then(|c| c.with_le(256))
                .unwrap();
            let r = card.process_command(&select);
            assert!(r.is_success());
            *r.data().last().unwrap()
        };
        assert_eq!(lcs(&mut card), 0x01, "creation: blank");
        let generate = CommandApdu::new(0x00, 0x46, 0x00, 0x00)
            .with_le(256)
            .unwrap();
        let r = card.process_command(&generate);
        assert!(r.is_success());
        assert_eq!(&r.data()[..2], [0x7F, 0x49]);
        assert!(permitkit_chip::aa::public_key_from_template(r.data()).is_ok());
        assert_eq!(lcs(&mut card), 0x03, "initialisation: a key is stored");
        card.locked = true;
        assert_eq!(lcs(&mut card), 0x05, "operational: locked");
        assert_eq!(
            card.process_command(&generate).sw(),
            StatusWord::CONDITIONS_NOT_SATISFIED
        );
    }

    #[test]
    fn atr_has_a_valid_tck() {
        let atr = CardConfig::default().atr;
        assert_eq!(atr.iter().skip(1).fold(0u8, |a, b| a ^ b), 0);
    }
}
