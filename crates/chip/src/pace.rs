//! PACE v2 (ICAO Doc 9303-11 §4.4; BSI TR-03110-2 §3.2) over elliptic curves with the generic
//! mapping (worked example Appendix G.1), the integrated mapping (§4.4.3.3.2, Appendix H.1) and
//! the chip authentication mapping (§4.4.3.3.3 and §4.4.3.5, Appendix I.1): both sides.
//!
//! Reader: MSE:Set AT `00 22 C1 A4 {80 OID, 83 password reference, [84 parameterId]}`, then four
//! chained GENERAL AUTHENTICATE steps: encrypted nonce (`80`), mapping (`81`/`82`), key
//! agreement (`83`/`84`), authentication tokens (`85`/`86`, and `8A` for CAM).
//! - Generic mapping (GM) and CAM: ephemeral keys are exchanged in the mapping step and
//!   `G~ = s·G + SKmap·PKmap`.
//! - Integrated mapping (IM): the terminal sends a nonce `t` (`7C {81 t}`, answered `7C 00`) and
//!   `G~ = f_G(R_p(s, t))` ([`crate::pace_im`]).
//! - CAM: the chip's last answer carries `8A`, the Chip Authentication Data
//!   `CA_IC = SK_IC⁻¹·SKmap,IC mod n` encrypted with KSenc (AES-CBC, IV `E(KSenc, FF…FF)`,
//!   padding method 2); the terminal decrypts it and, once it has read the chip's static key
//!   from EF.CardSecurity, checks `PKmap,IC = CA_IC·PK_IC` ([`crate::pace_cam`]).
//!
//! Session keys `KSenc = KDF(x(K), 1)`, `KSmac = KDF(x(K), 2)`; tokens are the MAC of
//! `7F49 {06 OID, 86 other party's ephemeral public key}`; secure messaging starts with SSC 0.
//!
//! Curves: NIST P-256 (parameter id 12, `p256`) and brainpoolP256r1 (13, `bp256`). Ciphers:
//! 3DES, AES-128/192/256 (CAM: AES only, 9303-11 Table 3). The chip side ([`PaceChip`]) is what
//! the virtual chip runs. The reader's result keeps both ephemeral public keys (Terminal
//! Authentication identifies the chip by `Comp(PK_IC)`, 9303-11 §7.1) and CAM's data.

use sha1::{Digest, Sha1};

use crate::channel::CardChannel;
use crate::crypto::{self, Cipher, KDF_ENC, KDF_MAC, KDF_PACE};
use crate::ec::Ec;
use crate::random::{OsRandom, RandomSource};
use crate::secured::Secured;
use crate::sm::SmSession;
use crate::{ChipError, Denial, Malformation, Unsupported, expect_success};
use permitkit_iso7816::apdu::{CommandApdu, StatusWord};
use permitkit_iso7816::tlv::{self, Tag};
use permitkit_lds::security_infos::{PaceInfo, PaceMapping, PaceProtocol};
use permitkit_model::secret::{SecretBytes, SecretString, ct_eq};

/// A PACE password (9303-11 §4.4.1): MRZ-derived or the card access number.
#[derive(Debug, Clone)]
pub enum PacePassword {
    /// The MRZ information (document number, birth and expiry dates with check digits).
    Mrz(SecretBytes),
    /// The card access number printed on the card.
    Can(SecretString),
}

impl PacePassword {
    /// The password reference in MSE:Set AT (`01` MRZ, `02` CAN).
    pub fn reference(&self) -> u8 {
        match self {
            PacePassword::Mrz(_) => 0x01,
            PacePassword::Can(_) => 0x02,
        }
    }

    /// `MRZ` or `CAN`.
    pub fn name(&self) -> &'static str {
        match self {
            PacePassword::Mrz(_) => "MRZ",
            PacePassword::Can(_) => "CAN",
        }
    }

    /// `f(π)`: SHA-1 of the MRZ information, or the CAN's ISO 8859-1 bytes.
    pub fn key_seed(&self) -> SecretBytes {
        match self {
            PacePassword::Mrz(m) => SecretBytes::new(Sha1::digest(m.expose()).to_vec()),
            PacePassword::Can(c) => SecretBytes::from_slice(c.expose().as_bytes()),
        }
    }
}

pub use crate::ec::Domain;

/// A PACE variant this crate can run: ECDH with generic, integrated or chip authentication
/// mapping on a supported curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaceParams {
    /// The PACEInfo it came from.
    pub info: PaceInfo,
    /// What its OID names.
    pub protocol: PaceProtocol,
    /// The curve.
    pub domain: Domain,
}

impl PaceParams {
    /// Checks that `info` names a supported variant.
    pub fn from_info(info: &PaceInfo) -> Result<Self, ChipError> {
        let protocol = info
            .pace_protocol()
            .ok_or(Unsupported::PaceProtocol(info.protocol))?;
        if !protocol.ecdh
            || (protocol.mapping == PaceMapping::ChipAuthentication
                && protocol.cipher == Cipher::Tdes)
        {
            return Err(Unsupported::PaceMapping {
                mapping: protocol.mapping,
                ecdh: protocol.ecdh,
            }
            .into());
        }
        let id = info
            .parameter_id
            .ok_or(Unsupported::PaceWithoutParameterId)?;
        let domain = Domain::from_parameter_id(id).ok_or(Unsupported::PaceDomain(id))?;
        Ok(Self {
            info: *info,
            protocol,
            domain,
        })
    }

    fn cipher(&self) -> Cipher {
        self.protocol.cipher
    }

    /// The mapping.
    pub fn mapping(&self) -> PaceMapping {
        self.protocol.mapping
    }

    /// The content bytes of the protocol's OBJECT IDENTIFIER (MSE:Set AT, tokens).
    fn oid(&self) -> &[u8] {
        self.info.protocol.as_bytes()
    }

    /// Bytes of the chip's nonce `s`: one block for GM and CAM, `l` for IM.
    fn nonce_len(&self) -> usize {
        match self.mapping() {
            PaceMapping::Integrated => crate::pace_im::chip_nonce_len(self.cipher()),
            _ => self.cipher().block_len(),
        }
    }
}

/// Derives `Kπ = KDF(f(π), 3)`.
pub fn password_key(password: &PacePassword, cipher: Cipher) -> SecretBytes {
    crypto::kdf(password.key_seed().expose(), KDF_PACE, cipher)
}

/// What the reader learnt in PACE, beyond the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaceOutcome {
    /// The PACEInfo run.
    pub info: PaceInfo,
    /// Its mapping.
    pub mapping: PaceMapping,
    /// The curve.
    pub domain: Domain,
    /// The chip's ephemeral public key `PK_IC` (SEC1 uncompressed).
    pub chip_public_key: Vec<u8>,
    /// The terminal's ephemeral public key `PK_PCD` (SEC1 uncompressed).
    pub terminal_public_key: Vec<u8>,
    /// PACE-CAM only: the decrypted Chip Authentication Data, to verify against the chip's
    /// static key from EF.CardSecurity ([`crate::pace_cam::verify`]).
    pub chip_authentication_data: Option<crate::pace_cam::CamData>,
}

impl PaceOutcome {
    /// `Comp(PK_IC)`: the x-coordinate of the chip's ephemeral key, the chip's identifier in
    /// Terminal Authentication after PACE (9303-11 §7.1).
    pub fn compressed_chip_key(&self) -> &[u8] {
        let n = Ec(self.domain).field_len();
        self.chip_public_key.get(1..=n).unwrap_or_default()
    }
}

/// A channel in secure messaging after PACE, with what PACE learnt.
#[derive(Debug)]
pub struct PaceEstablished<C> {
    /// The protected channel.
    pub channel: Secured<C>,
    /// Keys and CAM data.
    pub outcome: PaceOutcome,
}

/// Runs PACE over `channel` (the master file or nothing selected) and returns the channel
/// wrapped in secure messaging. The parameter id is sent in MSE:Set AT (tag 84) when the
/// PACEInfo carries one. [`establish`] also returns the ephemeral keys and CAM's data.
pub fn authenticate<C: CardChannel>(
    channel: C,
    password: &PacePassword,
    info: &PaceInfo,
) -> Result<Secured<C>, ChipError> {
    Ok(establish_with(channel, password, info, true, &mut OsRandom)?.channel)
}

/// [`authenticate`] with a random source (GM and CAM draw SKmap then SK; IM draws the nonce
/// `t` then SK) and the choice of sending the parameter id.
pub fn authenticate_with<C: CardChannel>(
    channel: C,
    password: &PacePassword,
    info: &PaceInfo,
    send_parameter_id: bool,
    rng: &mut dyn RandomSource,
) -> Result<Secured<C>, ChipError> {
    Ok(establish_with(channel, password, info, send_parameter_id, rng)?.channel)
}

/// Runs PACE and returns the secured channel with the [`PaceOutcome`].
pub fn establish<C: CardChannel>(
    channel: C,
    password: &PacePassword,
    info: &PaceInfo,
) -> Result<PaceEstablished<C>, ChipError> {
    establish_with(channel, password, info, true, &mut OsRandom)
}

/// [`establish`] with a random source and the choice of sending the parameter id.
pub fn establish_with<C: CardChannel>(
    mut channel: C,
    password: &PacePassword,
    info: &PaceInfo,
    send_parameter_id: bool,
    rng: &mut dyn RandomSource,
) -> Result<PaceEstablished<C>, ChipError> {
    let params = PaceParams::from_info(info)?;
    let cipher = params.cipher();
    let oid = params.oid();
    let ec = Ec(params.domain);

    // MSE:Set AT
    let mut w = tlv::Writer::new();
    w.primitive(Tag::new(0x80), oid);
    w.primitive(Tag::new(0x83), &[password.reference()]);
    if let (true, Some(id)) = (send_parameter_id, info.parameter_id) {
        w.primitive(Tag::new(0x84), &u8::try_from(id).unwrap_or(0).to_be_bytes());
    }
    let mse = CommandApdu::new(0x00, 0x22, 0xC1, 0xA4)
        .with_data(w.finish()?)
        .map_err(ChipError::from_apdu)?;
    let r = channel.transmit(&mse)?;
    if r.sw() == StatusWord::REFERENCE_DATA_NOT_FOUND {
        return Err(ChipError::AccessDenied {
            protocol: "PACE",
            reason: Denial::NoPassword {
                password: password.name(),
                sw: r.sw(),
            },
        });
    }
    expect_success("MSE:Set AT", r.sw())?;

    // 1. encrypted nonce
    let z = general_authenticate(&mut channel, true, None, 0x80)?;
    let k_pi = password_key(password, cipher);
    let s = SecretBytes::new(
        crypto::decrypt_cbc(cipher, k_pi.expose(), &vec![0; cipher.block_len()], &z).map_err(
            |e| ChipError::Malformed {
                what: "PACE encrypted nonce",
                reason: Malformation::Crypto(e),
            },
        )?,
    );

    // 2. mapping
    let (g_tilde, pk_map_ic) = match params.mapping() {
        PaceMapping::Integrated => {
            let mut t = vec![0u8; crate::pace_im::terminal_nonce_len(cipher)];
            rng.fill(&mut t)?;
            let (data, sw) = general_authenticate_raw(&mut channel, true, Some((0x81, &t)))?;
            expect_success("GENERAL AUTHENTICATE", sw)?;
            tlv::parse_single(&data, Tag::new(0x7C))?;
            let g = crate::pace_im::map_generator(params.domain, cipher, s.expose(), &t)?;
            (g, None)
        }
        PaceMapping::Generic | PaceMapping::ChipAuthentication => {
            let sk_map = ec.random_scalar(rng)?;
            let pk_map = ec.mul_generator(sk_map.expose())?;
            let pk_map_ic = general_authenticate(&mut channel, true, Some((0x81, &pk_map)), 0x82)?;
            let h = ec.mul(&pk_map_ic, sk_map.expose())?;
            (ec.map_generator(s.expose(), &h)?, Some(pk_map_ic))
        }
    };

    // 3. key agreement
    let sk = ec.random_scalar(rng)?;
    let pk = ec.mul(&g_tilde, sk.expose())?;
    let pk_ic = general_authenticate(&mut channel, true, Some((0x83, &pk)), 0x84)?;
    if pk_ic == pk {
        return Err(ChipError::Malformed {
            what: "PACE chip ephemeral key",
            reason: Malformation::EqualsTerminalKey,
        });
    }
    let shared = ec.shared_x(&pk_ic, sk.expose())?;
    let k_enc = crypto::kdf(shared.expose(), KDF_ENC, cipher);
    let k_mac = crypto::kdf(shared.expose(), KDF_MAC, cipher);

    // 4. mutual authentication
    let t_pcd = token(cipher, &k_mac, oid, &pk_ic)?;
    let r = general_authenticate_raw(&mut channel, false, Some((0x85, &t_pcd)))?;
    if !r.1.is_success() {
        return Err(ChipError::AccessDenied {
            protocol: "PACE",
            reason: Denial::TokenRefused(r.1),
        });
    }
    let t_ic = dynamic_data(&r.0, 0x86)?;
    let expected = token(cipher, &k_mac, oid, &pk)?;
    if !ct_eq(&expected, &t_ic) {
        return Err(ChipError::AccessDenied {
            protocol: "PACE",
            reason: Denial::TokenMismatch,
        });
    }
    let chip_authentication_data = match (params.mapping(), pk_map_ic) {
        (PaceMapping::ChipAuthentication, Some(pk_map_ic)) => {
            let a_ic = dynamic_data(&r.0, 0x8A)?;
            Some(crate::pace_cam::decrypt(
                params.domain,
                cipher,
                &k_enc,
                &a_ic,
                pk_map_ic,
            )?)
        }
        _ => None,
    };
    Ok(PaceEstablished {
        channel: Secured::new(channel, SmSession::new(cipher, k_enc, k_mac, &[])?),
        outcome: PaceOutcome {
            info: *info,
            mapping: params.mapping(),
            domain: params.domain,
            chip_public_key: pk_ic,
            terminal_public_key: pk,
            chip_authentication_data,
        },
    })
}

/// The authentication token: MAC over `7F49 {06 OID, 86 public key}` (9303-11 §4.4.3.4).
pub fn token(
    cipher: Cipher,
    k_mac: &SecretBytes,
    oid: &[u8],
    public_key: &[u8],
) -> Result<[u8; crypto::MAC_LEN], ChipError> {
    let mut w = tlv::Writer::new();
    w.constructed(Tag::new(0x7F49), |w| {
        w.primitive(Tag::new(0x06), oid);
        w.primitive(Tag::new(0x86), public_key);
    });
    Ok(crypto::mac_with_padding(
        cipher,
        k_mac.expose(),
        &w.finish()?,
    )?)
}

fn general_authenticate_raw(
    channel: &mut dyn CardChannel,
    chained: bool,
    item: Option<(u8, &[u8])>,
) -> Result<(Vec<u8>, StatusWord), ChipError> {
    let mut w = tlv::Writer::new();
    w.constructed(Tag::new(0x7C), |w| {
        if let Some((tag, value)) = item {
            w.primitive(Tag::new(u32::from(tag)), value);
        }
    });
    let cla = if chained { 0x10 } else { 0x00 };
    let cmd = CommandApdu::new(cla, 0x86, 0x00, 0x00)
        .with_data(w.finish()?)
        .and_then(|c| c.with_le(256))
        .map_err(ChipError::from_apdu)?;
    let mut r = channel.transmit(&cmd)?;
    Ok((r.take_data(), r.sw()))
}

fn general_authenticate(
    channel: &mut dyn CardChannel,
    chained: bool,
    item: Option<(u8, &[u8])>,
    expect: u8,
) -> Result<Vec<u8>, ChipError> {
    let (data, sw) = general_authenticate_raw(channel, chained, item)?;
    expect_success("GENERAL AUTHENTICATE", sw)?;
    dynamic_data(&data, expect)
}

/// The value of data object `tag` inside dynamic authentication data `7C`.
pub fn dynamic_data(data: &[u8], tag: u8) -> Result<Vec<u8>, ChipError> {
    let outer = tlv::parse_single(data, Tag::new(0x7C))?;
    let mut r = outer.children()?;
    while !r.is_empty() {
        let t = r.read()?;
        if t.tag() == Tag::new(u32::from(tag)) {
            return Ok(t.value().to_vec());
        }
    }
    Err(ChipError::Malformed {
        what: "dynamic authentication data",
        reason: Malformation::MissingDataObject(tag),
    })
}

/// Chip side of PACE, one GENERAL AUTHENTICATE step at a time.
pub struct PaceChip {
    params: PaceParams,
    k_pi: SecretBytes,
    cam_key: Option<crate::ca::CaKeyPair>,
    step: ChipStep,
}

enum ChipStep {
    Nonce,
    Mapping {
        s: SecretBytes,
    },
    KeyAgreement {
        g_tilde: Vec<u8>,
        sk_map: Option<SecretBytes>,
    },
    Tokens {
        k_enc: SecretBytes,
        k_mac: SecretBytes,
        pk_pcd: Vec<u8>,
        pk_ic: Vec<u8>,
        sk_map: Option<SecretBytes>,
    },
    Done,
}

impl std::fmt::Debug for PaceChip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PaceChip {{ params: {:?} }}", self.params)
    }
}

/// The outcome of one chip-side step.
#[derive(Debug)]
pub enum ChipStepResult {
    /// Answer with this dynamic authentication data and wait for the next step.
    Continue(Vec<u8>),
    /// Answer with this data and start secure messaging with the session.
    Established(Box<PaceChipEstablished>),
}

/// The chip's last answer, its new session and the ephemeral keys (Terminal Authentication
/// identifies the chip by its own ephemeral key).
#[derive(Debug)]
pub struct PaceChipEstablished {
    /// The dynamic authentication data to answer (`7C {86 T_IC, [8A A_IC]}`).
    pub data: Vec<u8>,
    /// The secure-messaging session to start.
    pub session: SmSession,
    /// The chip's ephemeral public key `PK_IC`.
    pub chip_public_key: Vec<u8>,
    /// The terminal's ephemeral public key `PK_PCD`.
    pub terminal_public_key: Vec<u8>,
}

impl PaceChip {
    /// Starts PACE after MSE:Set AT chose `params` and the password whose `f(π)` is given.
    pub fn new(params: PaceParams, password: &PacePassword) -> Self {
        let k_pi = password_key(password, params.cipher());
        Self {
            params,
            k_pi,
            cam_key: None,
            step: ChipStep::Nonce,
        }
    }

    /// The static Chip Authentication key PACE-CAM proves possession of (required for CAM; the
    /// last step fails without it).
    pub fn with_chip_authentication_key(mut self, key: crate::ca::CaKeyPair) -> Self {
        self.cam_key = Some(key);
        self
    }

    /// Handles the data field of one GENERAL AUTHENTICATE; an error is the status word to
    /// answer (PACE is then over: the reader starts again with MSE:Set AT).
    pub fn step(
        &mut self,
        data: &[u8],
        rng: &mut dyn RandomSource,
    ) -> Result<ChipStepResult, StatusWord> {
        let cipher = self.params.cipher();
        let ec = Ec(self.params.domain);
        fn wrong<E>(_: E) -> StatusWord {
            StatusWord::WRONG_DATA
        }
        let step = std::mem::replace(&mut self.step, ChipStep::Done);
        match step {
            ChipStep::Nonce => {
                let outer = tlv::parse_single(data, Tag::new(0x7C)).map_err(wrong)?;
                if !outer.value().is_empty() {
                    return Err(StatusWord::WRONG_DATA);
                }
                let s = crate::bac::random_secret(rng, self.params.nonce_len())
                    .map_err(|_| StatusWord::NO_PRECISE_DIAGNOSIS)?;
                let z = crypto::encrypt_cbc(
                    cipher,
                    self.k_pi.expose(),
                    &vec![0; cipher.block_len()],
                    s.expose(),
                )
                .map_err(|_| StatusWord::NO_PRECISE_DIAGNOSIS)?;
                self.step = ChipStep::Mapping { s };
                Ok(ChipStepResult::Continue(dynamic(0x80, &z)?))
            }
            ChipStep::Mapping { s } => match self.params.mapping() {
                PaceMapping::Integrated => {
                    let t = dynamic_data(data, 0x81).map_err(wrong)?;
                    let g_tilde =
                        crate::pace_im::map_generator(self.params.domain, cipher, s.expose(), &t)
                            .map_err(wrong)?;
                    self.step = ChipStep::KeyAgreement {
                        g_tilde,
                        sk_map: None,
                    };
                    Ok(ChipStepResult::Continue(vec![0x7C, 0x00]))
                }
                PaceMapping::Generic | PaceMapping::ChipAuthentication => {
                    let pk_map_pcd = dynamic_data(data, 0x81).map_err(wrong)?;
                    let sk_map = ec.random_scalar(rng).map_err(wrong)?;
                    let pk_map = ec.mul_generator(sk_map.expose()).map_err(wrong)?;
                    let h = ec.mul(&pk_map_pcd, sk_map.expose()).map_err(wrong)?;
                    let g_tilde = ec.map_generator(s.expose(), &h).map_err(wrong)?;
                    self.step = ChipStep::KeyAgreement {
                        g_tilde,
                        sk_map: Some(sk_map),
                    };
                    Ok(ChipStepResult::Continue(dynamic(0x82, &pk_map)?))
                }
            },
            ChipStep::KeyAgreement { g_tilde, sk_map } => {
                let pk_pcd = dynamic_data(data, 0x83).map_err(wrong)?;
                let sk = ec.random_scalar(rng).map_err(wrong)?;
                let pk_ic = ec.mul(&g_tilde, sk.expose()).map_err(wrong)?;
                if pk_ic == pk_pcd {
                    return Err(StatusWord::WRONG_DATA);
                }
                // The terminal's key must be on the curve (and on <G~>: the cofactor is 1).
                let shared = ec.shared_x(&pk_pcd, sk.expose()).map_err(wrong)?;
                let k_enc = crypto::kdf(shared.expose(), KDF_ENC, cipher);
                let k_mac = crypto::kdf(shared.expose(), KDF_MAC, cipher);
                let answer = dynamic(0x84, &pk_ic)?;
                self.step = ChipStep::Tokens {
                    k_enc,
                    k_mac,
                    pk_pcd,
                    pk_ic,
                    sk_map,
                };
                Ok(ChipStepResult::Continue(answer))
            }
            ChipStep::Tokens {
                k_enc,
                k_mac,
                pk_pcd,
                pk_ic,
                sk_map,
            } => {
                let t_pcd = dynamic_data(data, 0x85).map_err(wrong)?;
                let oid = self.params.oid();
                let expected = token(cipher, &k_mac, oid, &pk_ic).map_err(wrong)?;
                if !ct_eq(&expected, &t_pcd) {
                    return Err(StatusWord::AUTHENTICATION_FAILED);
                }
                let t_ic = token(cipher, &k_mac, oid, &pk_pcd).map_err(wrong)?;
                let a_ic = match (self.params.mapping(), sk_map) {
                    (PaceMapping::ChipAuthentication, Some(sk_map)) => {
                        let key = self
                            .cam_key
                            .as_ref()
                            .ok_or(StatusWord::REFERENCE_DATA_NOT_USABLE)?;
                        Some(crate::pace_cam::chip_data(key, cipher, &k_enc, &sk_map)?)
                    }
                    _ => None,
                };
                let mut w = tlv::Writer::new();
                w.constructed(Tag::new(0x7C), |w| {
                    w.primitive(Tag::new(0x86), &t_ic);
                    if let Some(a) = &a_ic {
                        w.primitive(Tag::new(0x8A), a);
                    }
                });
                let data = w.finish().map_err(|_| StatusWord::NO_PRECISE_DIAGNOSIS)?;
                let session = SmSession::new(cipher, k_enc, k_mac, &[])
                    .map_err(|_| StatusWord::NO_PRECISE_DIAGNOSIS)?;
                Ok(ChipStepResult::Established(Box::new(PaceChipEstablished {
                    data,
                    session,
                    chip_public_key: pk_ic,
                    terminal_public_key: pk_pcd,
                })))
            }
            ChipStep::Done => Err(StatusWord::CONDITIONS_NOT_SATISFIED),
        }
    }
}

fn dynamic(tag: u8, value: &[u8]) -> Result<Vec<u8>, StatusWord> {
    let mut w = tlv::Writer::new();
    w.constructed(Tag::new(0x7C), |w| {
        w.primitive(Tag::new(u32::from(tag)), value);
    });
    w.finish().map_err(|_| StatusWord::NO_PRECISE_DIAGNOSIS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::Replay;
    use permitkit_lds::security_infos::ID_PACE_ECDH_GM_AES_128;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).unwrap()
    }

    fn pt(x: &str, y: &str) -> Vec<u8> {
        let mut v = vec![4];
        v.extend(h(x));
        v.extend(h(y));
        v
    }

    // ICAO 9303-11 Appendix G.1 (docs/spec/security-protocols.md §4).
    const SK_MAP_PCD: &str = "7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99";
    const SK_PCD: &str = "A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595";

    #[test]
    fn generic_mapping_matches_9303_11_appendix_g1() {
        let ec = Ec(Domain::BrainpoolP256r1);
        let pwd = PacePassword::Mrz(SecretBytes::from_slice(b"T22000129364081251010318"));
        let k_pi = password_key(&pwd, Cipher::Aes128);
        assert_eq!(k_pi.expose(), h("89DED1B26624EC1E634C1989302849DD"));
        let s = crypto::decrypt_cbc(
            Cipher::Aes128,
            k_pi.expose(),
            &[0; 16],
            &h("95A3A016522EE98D01E76CB6B98B42C3"),
        )
        .unwrap();
        assert_eq!(s, h("3F00C4D39D153F2B2A214A078D899B22"));
        let pk_map_pcd = ec.mul_generator(&h(SK_MAP_PCD)).unwrap();
        assert_eq!(
            pk_map_pcd,
            pt(
                "7ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E",
                "544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D"
            )
        );
        let pk_map_ic = pt(
            "824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57",
            "30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54",
        );
        let hp = ec.mul(&pk_map_ic, &h(SK_MAP_PCD)).unwrap();
        assert_eq!(
            hp,
            pt(
                "60332EF2450B5D247EF6D3868397D398852ED6E8CAF6FFEEF6BF85CA57057FD5",
                "0840CA7415BAF3E43BD414D35AA4608B93A2CAF3A4E3EA4E82C9C13D03EB7181"
            )
        );
        let g = ec.map_generator(&s, &hp).unwrap();
        assert_eq!(
            g,
            pt(
                "8CED63C91426D4F0EB1435E7CB1D74A46723A0AF21C89634F65A9AE87A9265E2",
                "8C879506743F8611AC33645C5B985C80B5F09A0B83407C1B6A4D857AE76FE522"
            )
        );
        let pk_pcd = ec.mul(&g, &h(SK_PCD)).unwrap();
        assert_eq!(
            pk_pcd,
            pt(
                "2DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C",
                "3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB36462"
            )
        );
        let pk_ic = pt(
            "9E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB",
            "7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094",
        );
        let k = ec.shared_x(&pk_ic, &h(SK_PCD)).unwrap();
        assert_eq!(
            k.expose(),
            h("28768D20701247DAE81804C9E780EDE582A9996DB4A315020B2733197DB84925")
        );
        let k_enc = crypto::kdf(k.expose(), KDF_ENC, Cipher::Aes128);
        let k_mac = crypto::kdf(k.expose(), KDF_MAC, Cipher::Aes128);
        assert_eq!(k_enc.expose(), h("F5F0E35C0D7161EE6724EE513A0D9A7F"));
        assert_eq!(k_mac.expose(), h("FE251C7858B356B24514B3BD5F4297D1"));
        let oid = ID_PACE_ECDH_GM_AES_128.as_bytes();
        assert_eq!(
            token(Cipher::Aes128, &k_mac, oid, &pk_ic).unwrap().to_vec(),
            h("C2B0BD78D94BA866")
        );
        assert_eq!(
            token(Cipher::Aes128, &k_mac, oid, &pk_pcd)
                .unwrap()
                .to_vec(),
            h("3ABB9674BCE93C08")
        );
    }

    #[test]
    fn chip_side_agrees_with_reader_side_on_every_variant() {
        use crate::random::OsRandom;
        for (cipher, id) in [
            (Cipher::Aes128, 13),
            (Cipher::Aes256, 12),
            (Cipher::Tdes, 13),
            (Cipher::Aes192, 12),
        ] {
            let protocol = PaceProtocol {
                mapping: PaceMapping::Generic,
                ecdh: true,
                cipher,
            };
            let info = PaceInfo {
                protocol: protocol.oid().unwrap(),
                version: 2,
                parameter_id: Some(id),
            };
            let params = PaceParams::from_info(&info).unwrap();
            let pwd = PacePassword::Can(SecretString::from("123456"));
            let mut chip = PaceChip::new(params, &pwd);
            let ec = Ec(params.domain);
            let k_pi = password_key(&pwd, cipher);
            let mut rng = OsRandom;
            let ChipStepResult::Continue(r) = chip.step(&[0x7C, 0x00], &mut rng).unwrap() else {
                panic!()
            };
            let z = dynamic_data(&r, 0x80).unwrap();
            let s = crypto::decrypt_cbc(cipher, k_pi.expose(), &vec![0; cipher.block_len()], &z)
                .unwrap();
            let sk_map = ec.random_scalar(&mut rng).unwrap();
            let pk_map = ec.mul_generator(sk_map.expose()).unwrap();
            let ChipStepResult::Continue(r) = chip
                .step(&dynamic(0x81, &pk_map).unwrap(), &mut rng)
                .unwrap()
            else {
                panic!()
            };
            let hp = ec
                .mul(&dynamic_data(&r, 0x82).unwrap(), sk_map.expose())
                .unwrap();
            let g = ec.map_generator(&s, &hp).unwrap();
            let sk = ec.random_scalar(&mut rng).unwrap();
            let pk = ec.mul(&g, sk.expose()).unwrap();
            let ChipStepResult::Continue(r) =
                chip.step(&dynamic(0x83, &pk).unwrap(), &mut rng).unwrap()
            else {
                panic!()
            };
            let pk_ic = dynamic_data(&r, 0x84).unwrap();
            let shared = ec.shared_x(&pk_ic, sk.expose()).unwrap();
            let k_mac = crypto::kdf(shared.expose(), KDF_MAC, cipher);
            let oid = info.protocol.as_bytes();
            let t = token(cipher, &k_mac, oid, &pk_ic).unwrap();
            let ChipStepResult::Established(done) =
                chip.step(&dynamic(0x85, &t).unwrap(), &mut rng).unwrap()
            else {
                panic!()
            };
            assert_eq!(
                dynamic_data(&done.data, 0x86).unwrap(),
                token(cipher, &k_mac, oid, &pk).unwrap()
            );
        }
    }

    #[test]
    fn chip_refuses_a_wrong_token_and_invalid_points() {
        let info = PaceInfo {
            protocol: ID_PACE_ECDH_GM_AES_128,
            version: 2,
            parameter_id: Some(13),
        };
        let params = PaceParams::from_info(&info).unwrap();
        let pwd = PacePassword::Can(SecretString::from("123456"));
        let mut chip = PaceChip::new(params, &pwd);
        let mut rng = Replay::new([h("3F00C4D39D153F2B2A214A078D899B22")]);
        chip.step(&[0x7C, 0x00], &mut rng).unwrap();
        // A point that is not on the curve.
        let mut bogus = vec![4u8];
        bogus.extend([1u8; 64]);
        assert_eq!(
            chip.step(&dynamic(0x81, &bogus).unwrap(), &mut rng)
                .unwrap_err(),
            StatusWord::WRONG_DATA
        );
        // PACE is over after a failure.
        assert!(chip.step(&[0x7C, 0x00], &mut rng).is_err());
    }
}
