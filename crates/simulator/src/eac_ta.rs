//! The virtual chip's Terminal Authentication and the EAC access rule (ICAO Doc 9303-11 §7.1,
//! BSI TR-03110-1 §3.3 / TR-03110-3 B.11; the protocol itself is `permitkit_chip::ta`).
//!
//! - Personalization: PUT DATA `00 DA 00 64 Lc <7F21 CVCA certificate>` (permitkit-v1 dialect;
//!   the JMRTD applet takes its CVCA certificate with the same P2 `64`) stores the trust point:
//!   the CVCA's key and CHR, and its effective date as the chip's first current date. EF.CVCA
//!   (`011C` in the application) is written from the trust points, and rewritten when a link
//!   certificate adds one.
//! - Under secure messaging: MSE:Set DST `22 81 B6`, PSO:Verify Certificate `2A 00 BE`,
//!   MSE:Set AT `22 81 A4`, then GET CHALLENGE and EXTERNAL AUTHENTICATE belong to Terminal
//!   Authentication. EXTERNAL AUTHENTICATE needs the chip's identifier (set when BAC or PACE
//!   opened the session) and the terminal's ephemeral Chip Authentication key (set when CA
//!   succeeded).
//! - Access: once the chip holds a trust point and is locked (operational), DG3 is readable
//!   only in a session whose Terminal Authentication granted "read DG3", DG4 "read DG4"
//!   (`6982` otherwise). Before LOCK the personalization read-back reads every file.

use permitkit_chip::random::RandomSource;
use permitkit_chip::ta::{EF_CVCA_FID, EF_CVCA_LEN, TaChip, TaRefusal, TaStore};
use permitkit_cvc::CvCertificate;
use permitkit_iso7816::apdu::{CommandApdu, ResponseApdu, StatusWord};
use permitkit_lds::Ef;

use crate::filesystem::{Df, FileSystem};

/// Terminal Authentication: what the chip keeps and the current session's state.
#[derive(Debug, Clone, Default)]
pub struct EacTa {
    store: Option<TaStore>,
    session: TaChip,
    id_picc: Option<Vec<u8>>,
    comp_pk_pcd: Option<Vec<u8>>,
    last_refusal: Option<TaRefusal>,
}

impl EacTa {
    /// What personalization stored (trust points, current date), if anything.
    pub fn store(&self) -> Option<&TaStore> {
        self.store.as_ref()
    }

    /// Restores a saved store (state file).
    pub(crate) fn with_store(store: Option<TaStore>) -> Self {
        Self {
            store,
            ..Self::default()
        }
    }

    /// Why the last Terminal Authentication command was refused (for tests and traces).
    pub fn last_refusal(&self) -> Option<&TaRefusal> {
        self.last_refusal.as_ref()
    }

    /// A new session (power-up, a new BAC or PACE): nothing is authenticated.
    pub fn end_session(&mut self) {
        self.session = TaChip::default();
        self.id_picc = None;
        self.comp_pk_pcd = None;
    }

    /// BAC or PACE opened a session; `id_picc` identifies the chip in the TA signature.
    pub fn session_opened(&mut self, id_picc: Vec<u8>) {
        self.end_session();
        self.id_picc = Some(id_picc);
    }

    /// Chip Authentication succeeded with the terminal's ephemeral key `comp_pk_pcd`
    /// (x-coordinate).
    pub fn chip_authenticated(&mut self, comp_pk_pcd: Vec<u8>) {
        self.session = TaChip::default();
        self.comp_pk_pcd = Some(comp_pk_pcd);
    }

    /// PUT DATA `64`: the CVCA certificate of the chip's trust point.
    pub fn put_trust_point(&mut self, fs: &mut FileSystem, data: &[u8]) -> Result<(), StatusWord> {
        let cert = CvCertificate::decode(data).map_err(|_| StatusWord::WRONG_DATA)?;
        let store = TaStore::personalize(&cert).map_err(|e| e.status())?;
        write_ef_cvca(fs, &store)?;
        self.store = Some(store);
        Ok(())
    }

    /// True when the command belongs to Terminal Authentication in a secure session.
    pub fn handles(&self, cmd: &CommandApdu) -> bool {
        match (cmd.ins(), cmd.p1(), cmd.p2()) {
            (0x22, 0x81, 0xB6 | 0xA4) | (0x2A, 0x00, 0xBE) => true,
            (0x84 | 0x82, _, _) => self.comp_pk_pcd.is_some() || self.session.expects_challenge(),
            _ => false,
        }
    }

    /// Processes a Terminal Authentication command (secure messaging is on).
    pub fn process(
        &mut self,
        cmd: &CommandApdu,
        fs: &mut FileSystem,
        rng: &mut dyn RandomSource,
    ) -> Result<ResponseApdu, StatusWord> {
        let result = self.step(cmd, fs, rng);
        if let Err(refusal) = &result {
            self.last_refusal = Some(refusal.clone());
        }
        result.map_err(|r| r.status())
    }

    fn step(
        &mut self,
        cmd: &CommandApdu,
        fs: &mut FileSystem,
        rng: &mut dyn RandomSource,
    ) -> Result<ResponseApdu, TaRefusal> {
        if self.comp_pk_pcd.is_none() {
            return Err(TaRefusal::NoChipAuthentication);
        }
        let ok = || ResponseApdu::status(StatusWord::SUCCESS);
        match (cmd.ins(), cmd.p2()) {
            (0x22, 0xB6) => {
                let store = self.store.as_ref().ok_or(TaRefusal::NoKeySet)?;
                self.session.set_dst(store, cmd.data())?;
                Ok(ok())
            }
            (0x2A, _) => {
                let store = self.store.as_mut().ok_or(TaRefusal::NoKeySet)?;
                let change = self.session.verify_certificate(store, cmd.data())?;
                if change.trust_point_added {
                    write_ef_cvca(fs, store).map_err(|_| TaRefusal::Malformed)?;
                }
                Ok(ok())
            }
            (0x22, _) => {
                self.session.set_at(cmd.data())?;
                Ok(ok())
            }
            (0x84, _) => {
                if cmd.le() != Some(8) {
                    return Err(TaRefusal::Malformed);
                }
                let r = self.session.challenge(rng)?;
                Ok(ResponseApdu::new(r.to_vec(), StatusWord::SUCCESS))
            }
            _ => {
                self.session.external_authenticate(
                    cmd.data(),
                    self.id_picc.as_deref(),
                    self.comp_pk_pcd.as_deref(),
                )?;
                Ok(ok())
            }
        }
    }

    /// Whether the session may read the EF `fid` of `df`: DG3 and DG4 of a locked chip with a
    /// trust point need the right granted by Terminal Authentication.
    pub fn may_read(&self, df: Df, fid: u16, locked: bool) -> bool {
        if df != Df::App || !locked || self.store.is_none() {
            return true;
        }
        let granted = self.session.granted();
        if fid == Ef::DG3.fid() {
            granted.is_some_and(permitkit_cvc::Chat::reads_dg3)
        } else if Ef::dg(4).map(Ef::fid) == Some(fid) {
            granted.is_some_and(permitkit_cvc::Chat::reads_dg4)
        } else {
            true
        }
    }
}

fn write_ef_cvca(fs: &mut FileSystem, store: &TaStore) -> Result<(), StatusWord> {
    if !fs.exists(Df::App, EF_CVCA_FID) {
        fs.create(Df::App, EF_CVCA_FID, EF_CVCA_LEN)?;
    }
    fs.write(Df::App, EF_CVCA_FID, 0, &store.ef_cvca())
}
