//! Terminal Authentication version 1 (ICAO Doc 9303-11 §7.1; BSI TR-03110-1 §3.3 (EACv1),
//! TR-03110-3 B.11; docs/spec/security-protocols.md §6): both sides.
//!
//! After Chip Authentication, under secure messaging, the terminal proves it holds the key of an
//! inspection-system certificate that chains to a CVCA the chip trusts:
//! 1. for each certificate (CVCA link certificates, then the DV, then the IS): MSE:Set DST
//!    `00 22 81 B6 {83 CAR}` names the key to verify with, PSO:Verify Certificate
//!    `00 2A 00 BE <7F4E body ‖ 5F37 signature>` has the chip check it;
//! 2. MSE:Set AT `00 22 81 A4 {83 CHR of the IS}`;
//! 3. GET CHALLENGE `00 84 00 00 08` → `r_PICC`;
//! 4. EXTERNAL AUTHENTICATE `00 82 00 00 <signature>` over
//!    `ID_PICC ‖ r_PICC ‖ Comp(PK_PCD)`, where `PK_PCD` is the terminal's ephemeral Chip
//!    Authentication key and `Comp` its x-coordinate (TR-03110-3 A.2.2.3, ECDH), and `ID_PICC`
//!    is the document number with its check digit after BAC, or `Comp` of the chip's ephemeral
//!    PACE key after PACE (9303-11 §7.1). Both were UNVERIFIED in the digest; the PACE case is
//!    now checked byte for byte against the BSI Worked Example for EAC v1.01, whose terminal
//!    signature verifies over exactly this input (`tests/cvc_openssl.rs`).
//!
//! The chip's state ([`TaChip`]) keeps its trust points and its current date (BSI TR-03110-3 §2.5:
//! advanced by the effective date of a CVCA or domestic DV certificate it accepts), refuses
//! expired certificates, takes a verified CVCA link certificate as a new trust point, and
//! grants the effective CHAT of the chain only once the signature over a fresh challenge
//! verifies. A challenge is used once: a replayed signature fails.

use permitkit_cvc::{ChainError, DatePolicy, TrustPoint, VerifiedCertificate};
use permitkit_cvc::{Chat, CvCertificate, CvDate, CvSigner, DecodeError, Reference, Role};
use permitkit_iso7816::apdu::{CommandApdu, StatusWord};
use permitkit_iso7816::tlv::{self, Tag};

use crate::channel::CardChannel;
use crate::random::RandomSource;
use crate::{ChipError, expect_success};

/// EF.CVCA in the eMRTD application (9303-10 §4.6.5 / TR-03110-3 A.6.3): the CARs of the
/// chip's trust points, `42 L CAR [42 L CAR]`, padded with zeros to 36 bytes.
pub const EF_CVCA_FID: u16 = 0x011C;
/// Size of EF.CVCA.
pub const EF_CVCA_LEN: usize = 36;

/// Why Terminal Authentication failed, on the reader's side.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TaError {
    /// No certificate of the terminal names a CVCA the chip trusts.
    #[error(
        "the terminal's certificates chain to {offered}, the chip trusts {trusted}: no chain for this chip"
    )]
    NoChainForChip {
        /// The CARs the terminal could start from.
        offered: String,
        /// The chip's EF.CVCA.
        trusted: String,
    },
    /// The chip refused a certificate (unknown issuer, bad signature, expired, wrong role).
    #[error("the chip refused certificate {holder}: {command} answered {sw}")]
    CertificateRefused {
        /// The certificate.
        holder: Reference,
        /// `MSE:Set DST` or `PSO:Verify Certificate`.
        command: &'static str,
        /// The chip's answer.
        sw: StatusWord,
    },
    /// The chip refused the terminal's signature.
    #[error("the chip refused the terminal's signature: {0}")]
    SignatureRefused(StatusWord),
    /// The terminal key could not sign.
    #[error("signing the challenge: {0}")]
    Signing(#[from] permitkit_cvc::SignError),
    /// The terminal's certificate chain is incomplete.
    #[error("the terminal has no inspection-system certificate")]
    NoTerminalCertificate,
    /// EF.CVCA does not parse.
    #[error("EF.CVCA is malformed")]
    MalformedCvca,
    /// The trust point to personalize is not a CVCA certificate that verifies with its own key.
    #[error("the trust point is not a self-signed CVCA certificate: {0}")]
    TrustPoint(#[source] TaRefusal),
    /// After personalization EF.CVCA does not name the trust point stored.
    #[error("EF.CVCA does not name the trust point {expected} (it lists {found})")]
    TrustPointNotStored {
        /// The CVCA stored.
        expected: Reference,
        /// What EF.CVCA lists.
        found: String,
    },
}

/// A terminal: its certificates (link certificates, DV, IS, in order) and the IS key.
pub struct Terminal {
    /// Certificates in chain order, ending with the inspection system's.
    pub certificates: Vec<CvCertificate>,
    /// The inspection system's key.
    pub signer: Box<dyn CvSigner + Send + Sync>,
}

impl std::fmt::Debug for Terminal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let holders: Vec<String> = self
            .certificates
            .iter()
            .map(|c| c.holder().to_string())
            .collect();
        write!(f, "Terminal {{ certificates: {holders:?} }}")
    }
}

/// What the chip identifies itself by in the signature.
pub fn signature_input(id_picc: &[u8], r_picc: &[u8], comp_pk_pcd: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(id_picc.len() + r_picc.len() + comp_pk_pcd.len());
    m.extend_from_slice(id_picc);
    m.extend_from_slice(r_picc);
    m.extend_from_slice(comp_pk_pcd);
    m
}

/// `ID_PICC` after BAC: the document number and its check digit, as the MRZ information starts
/// (`docNo CD DOB CD DOE CD`; the two dates with their check digits are the last 14 bytes).
pub fn id_picc_bac(mrz_information: &[u8]) -> Vec<u8> {
    mrz_information
        .get(..mrz_information.len().saturating_sub(14))
        .unwrap_or_default()
        .to_vec()
}

/// The CARs EF.CVCA lists.
pub fn parse_ef_cvca(data: &[u8]) -> Result<Vec<Reference>, TaError> {
    let mut out = Vec::new();
    let mut r = tlv::Reader::new(data);
    while !r.is_empty() && r.remaining().first().is_some_and(|b| *b != 0) {
        let t = r
            .expect(Tag::new(0x42))
            .map_err(|_| TaError::MalformedCvca)?;
        out.push(Reference::from_bytes(t.value()).map_err(|_| TaError::MalformedCvca)?);
    }
    if !r.remaining().iter().all(|b| *b == 0) {
        return Err(TaError::MalformedCvca);
    }
    Ok(out)
}

/// EF.CVCA for these trust points.
pub fn ef_cvca(trust_points: &[TrustPoint]) -> Vec<u8> {
    let mut w = tlv::Writer::new();
    for tp in trust_points.iter().rev().take(2) {
        w.primitive(Tag::new(0x42), tp.holder().as_bytes());
    }
    let mut data = w.finish().unwrap_or_default();
    data.resize(EF_CVCA_LEN, 0);
    data
}

/// Reads EF.CVCA (SELECT by file identifier, one READ BINARY).
pub fn read_ef_cvca(channel: &mut dyn CardChannel) -> Result<Vec<Reference>, ChipError> {
    crate::files::select_ef(channel, EF_CVCA_FID)?;
    let data = crate::files::read_binary(channel, None, 0, EF_CVCA_LEN)?;
    Ok(parse_ef_cvca(&data)?)
}

/// The part of `certificates` to present to a chip that trusts `trusted`: from the first
/// certificate whose CAR the chip trusts to the end.
pub fn chain_for<'a>(
    certificates: &'a [CvCertificate],
    trusted: &[Reference],
) -> Result<&'a [CvCertificate], TaError> {
    let start = certificates
        .iter()
        .position(|c| trusted.contains(c.authority()))
        .ok_or_else(|| TaError::NoChainForChip {
            offered: certificates
                .iter()
                .map(|c| c.authority().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            trusted: trusted
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    Ok(certificates.get(start..).unwrap_or_default())
}

/// Runs Terminal Authentication over `channel` (secure messaging after Chip Authentication).
/// `id_picc` is the chip's identifier ([`id_picc_bac`], or `Comp` of its PACE key) and
/// `comp_pk_pcd` the x-coordinate of the terminal's ephemeral Chip Authentication key.
pub fn authenticate(
    channel: &mut dyn CardChannel,
    terminal: &Terminal,
    id_picc: &[u8],
    comp_pk_pcd: &[u8],
) -> Result<(), ChipError> {
    let trusted = read_ef_cvca(channel)?;
    let chain = chain_for(&terminal.certificates, &trusted)?;
    let is = chain.last().ok_or(TaError::NoTerminalCertificate)?;
    for cert in chain {
        let mse = mse(0xB6, cert.authority())?;
        let r = channel.transmit(&mse)?;
        if !r.is_success() {
            return Err(TaError::CertificateRefused {
                holder: cert.holder().clone(),
                command: "MSE:Set DST",
                sw: r.sw(),
            }
            .into());
        }
        let pso = CommandApdu::new(0x00, 0x2A, 0x00, 0xBE)
            .with_data(cert.pso_data()?)
            .map_err(ChipError::from_apdu)?;
        let r = channel.transmit(&pso)?;
        if !r.is_success() {
            return Err(TaError::CertificateRefused {
                holder: cert.holder().clone(),
                command: "PSO:Verify Certificate",
                sw: r.sw(),
            }
            .into());
        }
    }
    let r = channel.transmit(&mse(0xA4, is.holder())?)?;
    expect_success("MSE:Set AT (Terminal Authentication)", r.sw())?;
    let challenge = CommandApdu::new(0x00, 0x84, 0x00, 0x00)
        .with_le(8)
        .map_err(ChipError::from_apdu)?;
    let r = channel.transmit(&challenge)?;
    expect_success("GET CHALLENGE", r.sw())?;
    if r.data().len() != 8 {
        return Err(ChipError::Malformed {
            what: "GET CHALLENGE response",
            reason: crate::Malformation::Length {
                len: r.data().len(),
                expected: 8,
            },
        });
    }
    let signature = terminal
        .signer
        .sign(&signature_input(id_picc, r.data(), comp_pk_pcd))
        .map_err(TaError::from)?;
    let auth = CommandApdu::new(0x00, 0x82, 0x00, 0x00)
        .with_data(signature)
        .map_err(ChipError::from_apdu)?;
    let r = channel.transmit(&auth)?;
    if !r.is_success() {
        return Err(TaError::SignatureRefused(r.sw()).into());
    }
    Ok(())
}

fn mse(p2: u8, reference: &Reference) -> Result<CommandApdu, ChipError> {
    CommandApdu::new(0x00, 0x22, 0x81, p2)
        .with_data(tlv::encode(Tag::new(0x83), reference.as_bytes())?)
        .map_err(ChipError::from_apdu)
}

/// Why the chip refused a Terminal Authentication command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TaRefusal {
    /// The command data does not parse.
    #[error("malformed command data")]
    Malformed,
    /// A certificate that does not decode.
    #[error(transparent)]
    Certificate(#[from] DecodeError),
    /// MSE names a key the chip does not hold (not a trust point, not verified this session).
    #[error("no public key {0} (not a trust point, not verified in this session)")]
    UnknownKey(Reference),
    /// PSO:Verify Certificate without MSE:Set DST first.
    #[error("no key set for verification (MSE:Set DST)")]
    NoKeySet,
    /// The certificate does not verify with the selected key on the chip's current date.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// MSE:Set AT names a key that is not a verified terminal certificate.
    #[error("{0} is not a terminal certificate verified in this session")]
    NotATerminal(Reference),
    /// EXTERNAL AUTHENTICATE without a challenge (or with one already used).
    #[error("no fresh challenge (GET CHALLENGE first; a challenge is used once)")]
    NoChallenge,
    /// The chip does not know the identifier or the terminal's CA key (no BAC/PACE + CA).
    #[error("Chip Authentication has not run in this session")]
    NoChipAuthentication,
    /// The terminal's signature does not verify.
    #[error("the terminal's signature does not verify")]
    SignatureMismatch,
}

impl TaRefusal {
    /// The status word the chip answers.
    pub fn status(&self) -> StatusWord {
        match self {
            TaRefusal::Malformed | TaRefusal::Certificate(_) => StatusWord::WRONG_DATA,
            TaRefusal::UnknownKey(_) | TaRefusal::NotATerminal(_) => {
                StatusWord::REFERENCE_DATA_NOT_FOUND
            }
            TaRefusal::NoKeySet | TaRefusal::NoChallenge | TaRefusal::NoChipAuthentication => {
                StatusWord::CONDITIONS_NOT_SATISFIED
            }
            TaRefusal::Chain(ChainError::Expired { .. }) => StatusWord::WRONG_DATA,
            TaRefusal::Chain(_) | TaRefusal::SignatureMismatch => StatusWord::AUTHENTICATION_FAILED,
        }
    }
}

/// What the chip stores for Terminal Authentication: its trust points (the CVCA certificates
/// they come from, oldest first; at most two are kept, TR-03110-3 §2.3) and its current date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaStore {
    cvcas: Vec<CvCertificate>,
    /// The chip's current date.
    pub current_date: CvDate,
}

impl TaStore {
    /// The store after personalization with a CVCA certificate: its key is the trust point
    /// and its effective date the first current date. The certificate must be a CVCA's,
    /// self-signed, and verify with its own key.
    pub fn personalize(cvca: &CvCertificate) -> Result<Self, TaRefusal> {
        let tp = TrustPoint::from_certificate(cvca)?;
        if cvca.authority() != cvca.holder() {
            return Err(TaRefusal::UnknownKey(cvca.authority().clone()));
        }
        tp.as_verified()
            .verify_signature(cvca.body_bytes(), cvca.signature())
            .map_err(|_| TaRefusal::SignatureMismatch)?;
        Ok(Self {
            current_date: cvca.body().effective,
            cvcas: vec![cvca.clone()],
        })
    }

    /// A store as saved: its CVCA certificates (each must make a trust point) and date.
    pub fn restore(cvcas: Vec<CvCertificate>, current_date: CvDate) -> Result<Self, TaRefusal> {
        for c in &cvcas {
            TrustPoint::from_certificate(c)?;
        }
        Ok(Self {
            cvcas,
            current_date,
        })
    }

    /// The CVCA certificates of the trust points, oldest first.
    pub fn cvca_certificates(&self) -> &[CvCertificate] {
        &self.cvcas
    }

    /// The trust points, oldest first.
    pub fn trust_points(&self) -> Vec<TrustPoint> {
        self.cvcas
            .iter()
            .filter_map(|c| TrustPoint::from_certificate(c).ok())
            .collect()
    }

    /// EF.CVCA's content.
    pub fn ef_cvca(&self) -> Vec<u8> {
        ef_cvca(&self.trust_points())
    }
}

/// The chip's Terminal Authentication session state.
#[derive(Debug, Clone, Default)]
pub struct TaChip {
    key: Option<VerifiedCertificate>,
    verified: Vec<VerifiedCertificate>,
    terminal: Option<VerifiedCertificate>,
    challenge: Option<[u8; 8]>,
    granted: Option<Chat>,
}

/// What accepting a certificate changed in the chip's store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoreChange {
    /// The current date moved forward.
    pub date_advanced: bool,
    /// A new trust point (a CVCA link certificate) was added.
    pub trust_point_added: bool,
}

impl TaChip {
    /// MSE:Set DST / MSE:Set AT data: `83 L reference`.
    fn reference(data: &[u8]) -> Result<Reference, TaRefusal> {
        let t = tlv::parse_single(data, Tag::new(0x83)).map_err(|_| TaRefusal::Malformed)?;
        Reference::from_bytes(t.value()).map_err(|_| TaRefusal::Malformed)
    }

    /// MSE:Set DST: selects the public key a certificate will be verified with.
    pub fn set_dst(&mut self, store: &TaStore, data: &[u8]) -> Result<(), TaRefusal> {
        let car = Self::reference(data)?;
        let trust_points = store.trust_points();
        let key = trust_points
            .iter()
            .map(TrustPoint::as_verified)
            .chain(self.verified.iter().rev())
            .find(|v| v.holder == car && v.role != Role::Terminal)
            .cloned()
            .ok_or(TaRefusal::UnknownKey(car))?;
        self.key = Some(key);
        self.terminal = None;
        self.granted = None;
        Ok(())
    }

    /// PSO:Verify Certificate: checks the certificate with the selected key on the chip's
    /// current date, then updates the store (current date, trust points).
    pub fn verify_certificate(
        &mut self,
        store: &mut TaStore,
        data: &[u8],
    ) -> Result<StoreChange, TaRefusal> {
        let cert = CvCertificate::decode_pso(data)?;
        let key = self.key.take().ok_or(TaRefusal::NoKeySet)?;
        let verified = key.verify_next(&cert, store.current_date, DatePolicy::ChipCurrentDate)?;
        let mut change = StoreChange::default();
        if matches!(verified.role, Role::Cvca | Role::DvDomestic)
            && verified.effective > store.current_date
        {
            store.current_date = verified.effective;
            change.date_advanced = true;
        }
        if verified.role == Role::Cvca
            && !store.cvcas.iter().any(|c| c.holder() == &verified.holder)
            && TrustPoint::from_certificate(&cert).is_ok()
        {
            store.cvcas.push(cert);
            if store.cvcas.len() > 2 {
                store.cvcas.remove(0);
            }
            change.trust_point_added = true;
        }
        self.verified.push(verified);
        if self.verified.len() > permitkit_cvc::MAX_CHAIN {
            self.verified.remove(0);
        }
        Ok(change)
    }

    /// MSE:Set AT: names the terminal certificate whose key signs the challenge.
    pub fn set_at(&mut self, data: &[u8]) -> Result<(), TaRefusal> {
        let chr = Self::reference(data)?;
        let terminal = self
            .verified
            .iter()
            .rev()
            .find(|v| v.holder == chr && v.role == Role::Terminal)
            .cloned()
            .ok_or(TaRefusal::NotATerminal(chr))?;
        self.terminal = Some(terminal);
        self.challenge = None;
        Ok(())
    }

    /// True while a terminal is set (GET CHALLENGE belongs to Terminal Authentication).
    pub fn expects_challenge(&self) -> bool {
        self.terminal.is_some()
    }

    /// GET CHALLENGE: a fresh `r_PICC`.
    pub fn challenge(&mut self, rng: &mut dyn RandomSource) -> Result<[u8; 8], TaRefusal> {
        let mut r = [0u8; 8];
        rng.fill(&mut r).map_err(|_| TaRefusal::NoChallenge)?;
        self.challenge = Some(r);
        Ok(r)
    }

    /// EXTERNAL AUTHENTICATE: verifies the terminal's signature over
    /// `ID_PICC ‖ r_PICC ‖ Comp(PK_PCD)`; on success the effective CHAT is granted. The
    /// challenge is spent either way.
    pub fn external_authenticate(
        &mut self,
        signature: &[u8],
        id_picc: Option<&[u8]>,
        comp_pk_pcd: Option<&[u8]>,
    ) -> Result<&Chat, TaRefusal> {
        let r_picc = self.challenge.take().ok_or(TaRefusal::NoChallenge)?;
        let terminal = self.terminal.as_ref().ok_or(TaRefusal::NoChallenge)?;
        let (Some(id), Some(comp)) = (id_picc, comp_pk_pcd) else {
            return Err(TaRefusal::NoChipAuthentication);
        };
        terminal
            .verify_signature(&signature_input(id, &r_picc, comp), signature)
            .map_err(|_| TaRefusal::SignatureMismatch)?;
        let chat = terminal.effective_chat.clone();
        Ok(self.granted.insert(chat))
    }

    /// The authorization granted by a successful Terminal Authentication in this session.
    pub fn granted(&self) -> Option<&Chat> {
        self.granted.as_ref()
    }
}
