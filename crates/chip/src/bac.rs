//! Basic Access Control (ICAO Doc 9303-11 §4.3, worked example Appendix D): both sides.
//!
//! The document basic access keys come from the MRZ information (document number, date of
//! birth and date of expiry, each with its check digit): `Kseed = SHA-1(MRZ_information)[0..16]`,
//! `Kenc = KDF(Kseed, 1)`, `Kmac = KDF(Kseed, 2)`. The reader runs GET CHALLENGE and
//! EXTERNAL AUTHENTICATE (mutual authenticate semantics); both sides derive session keys from
//! `K.IFD ⊕ K.IC` and start secure messaging with `SSC = RND.IC[4..8] ‖ RND.IFD[4..8]`.

use sha1::{Digest, Sha1};

use crate::channel::CardChannel;
use crate::crypto::{self, Cipher, KDF_ENC, KDF_MAC};
use crate::random::{OsRandom, RandomSource};
use crate::secured::Secured;
use crate::sm::SmSession;
use crate::{ChipError, Denial, Malformation, expect_success};
use permitkit_iso7816::apdu::{CommandApdu, StatusWord};
use permitkit_model::secret::{SecretBytes, ct_eq};

/// The document basic access keys `Kenc` and `Kmac`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BacKeys {
    /// `Kenc`, 16 bytes with odd parity.
    pub k_enc: SecretBytes,
    /// `Kmac`, 16 bytes with odd parity.
    pub k_mac: SecretBytes,
}

impl BacKeys {
    /// Derives the keys from the MRZ information (`L898902C<369080619406236`).
    pub fn from_mrz_information(mrz_information: &[u8]) -> Self {
        let digest = Sha1::digest(mrz_information);
        let seed = digest.get(..16).unwrap_or_default();
        Self {
            k_enc: crypto::kdf(seed, KDF_ENC, Cipher::Tdes),
            k_mac: crypto::kdf(seed, KDF_MAC, Cipher::Tdes),
        }
    }
}

/// Runs BAC over `channel` (the eMRTD application must be selected) and returns the channel
/// wrapped in secure messaging.
pub fn authenticate<C: CardChannel>(
    channel: C,
    mrz_information: &[u8],
) -> Result<Secured<C>, ChipError> {
    authenticate_with(
        channel,
        &BacKeys::from_mrz_information(mrz_information),
        &mut OsRandom,
    )
}

/// [`authenticate`] with given keys and random source (RND.IFD then K.IFD are drawn).
pub fn authenticate_with<C: CardChannel>(
    mut channel: C,
    keys: &BacKeys,
    rng: &mut dyn RandomSource,
) -> Result<Secured<C>, ChipError> {
    let challenge = CommandApdu::new(0x00, 0x84, 0x00, 0x00)
        .with_le(8)
        .map_err(ChipError::from_apdu)?;
    let r = channel.transmit(&challenge)?;
    expect_success("GET CHALLENGE", r.sw())?;
    let rnd_ic: [u8; 8] = r.data().try_into().map_err(|_| ChipError::Malformed {
        what: "GET CHALLENGE response",
        reason: Malformation::Length {
            len: r.data().len(),
            expected: 8,
        },
    })?;
    let mut rnd_ifd = [0u8; 8];
    rng.fill(&mut rnd_ifd)?;
    let k_ifd = random_secret(rng, 16)?;

    let mut s = Vec::with_capacity(32);
    s.extend_from_slice(&rnd_ifd);
    s.extend_from_slice(&rnd_ic);
    s.extend_from_slice(k_ifd.expose());
    let e_ifd = crypto::encrypt_cbc(Cipher::Tdes, keys.k_enc.expose(), &[0; 8], &s)?;
    s.fill(0);
    let m_ifd = crypto::mac(Cipher::Tdes, keys.k_mac.expose(), &crypto::pad(&e_ifd, 8))?;
    let mut data = e_ifd;
    data.extend_from_slice(&m_ifd);
    let auth = CommandApdu::new(0x00, 0x82, 0x00, 0x00)
        .with_data(data)
        .and_then(|c| c.with_le(40))
        .map_err(ChipError::from_apdu)?;
    let r = channel.transmit(&auth)?;
    if !r.is_success() {
        return Err(ChipError::AccessDenied {
            protocol: "BAC",
            reason: Denial::CryptogramRefused(r.sw()),
        });
    }
    let (e_ic, m_ic) = r
        .data()
        .split_at_checked(32)
        .filter(|(_, m)| m.len() == 8)
        .ok_or_else(|| ChipError::Malformed {
            what: "EXTERNAL AUTHENTICATE response",
            reason: Malformation::Length {
                len: r.data().len(),
                expected: 40,
            },
        })?;
    let expected = crypto::mac(Cipher::Tdes, keys.k_mac.expose(), &crypto::pad(e_ic, 8))?;
    if !ct_eq(&expected, m_ic) {
        return Err(ChipError::AccessDenied {
            protocol: "BAC",
            reason: Denial::CryptogramMac,
        });
    }
    let plain = SecretBytes::new(crypto::decrypt_cbc(
        Cipher::Tdes,
        keys.k_enc.expose(),
        &[0; 8],
        e_ic,
    )?);
    let p = plain.expose();
    if !ct_eq(p.get(..8).unwrap_or_default(), &rnd_ic)
        || !ct_eq(p.get(8..16).unwrap_or_default(), &rnd_ifd)
    {
        return Err(ChipError::AccessDenied {
            protocol: "BAC",
            reason: Denial::NoncesNotEchoed,
        });
    }
    let k_ic = p.get(16..32).unwrap_or_default();
    let session = session_from(k_ifd.expose(), k_ic, &rnd_ic, &rnd_ifd)?;
    Ok(Secured::new(channel, session))
}

/// Draws `len` random bytes into a secret, wiping the scratch buffer.
pub fn random_secret(rng: &mut dyn RandomSource, len: usize) -> Result<SecretBytes, ChipError> {
    let mut buf = zeroize::Zeroizing::new(vec![0u8; len]);
    rng.fill(&mut buf)?;
    Ok(SecretBytes::from_slice(&buf))
}

fn session_from(
    k_ifd: &[u8],
    k_ic: &[u8],
    rnd_ic: &[u8],
    rnd_ifd: &[u8],
) -> Result<SmSession, ChipError> {
    let seed: Vec<u8> = k_ifd.iter().zip(k_ic).map(|(a, b)| a ^ b).collect();
    let seed = SecretBytes::new(seed);
    let mut ssc = Vec::with_capacity(8);
    ssc.extend_from_slice(rnd_ic.get(4..8).unwrap_or_default());
    ssc.extend_from_slice(rnd_ifd.get(4..8).unwrap_or_default());
    Ok(SmSession::new(
        Cipher::Tdes,
        crypto::kdf(seed.expose(), KDF_ENC, Cipher::Tdes),
        crypto::kdf(seed.expose(), KDF_MAC, Cipher::Tdes),
        &ssc,
    )?)
}

/// Chip side of EXTERNAL AUTHENTICATE: checks the terminal's cryptogram against the challenge
/// `rnd_ic` it was given, answers with its own cryptogram built from `k_ic`, and returns the
/// session. Failures are the status words the chip answers with.
pub fn chip_authenticate(
    keys: &BacKeys,
    rnd_ic: &[u8; 8],
    k_ic: &[u8; 16],
    command_data: &[u8],
) -> Result<(Vec<u8>, SmSession), StatusWord> {
    let (e_ifd, m_ifd) = command_data
        .split_at_checked(32)
        .filter(|(_, m)| m.len() == 8)
        .ok_or(StatusWord::WRONG_LENGTH)?;
    let fail = |_| StatusWord::AUTHENTICATION_FAILED;
    let expected =
        crypto::mac(Cipher::Tdes, keys.k_mac.expose(), &crypto::pad(e_ifd, 8)).map_err(fail)?;
    if !ct_eq(&expected, m_ifd) {
        return Err(StatusWord::AUTHENTICATION_FAILED);
    }
    let s = SecretBytes::new(
        crypto::decrypt_cbc(Cipher::Tdes, keys.k_enc.expose(), &[0; 8], e_ifd).map_err(fail)?,
    );
    let s = s.expose();
    let (rnd_ifd, rest) = s
        .split_at_checked(8)
        .ok_or(StatusWord::AUTHENTICATION_FAILED)?;
    let (echo, k_ifd) = rest
        .split_at_checked(8)
        .ok_or(StatusWord::AUTHENTICATION_FAILED)?;
    if !ct_eq(echo, rnd_ic) {
        return Err(StatusWord::AUTHENTICATION_FAILED);
    }
    let mut r = Vec::with_capacity(32);
    r.extend_from_slice(rnd_ic);
    r.extend_from_slice(rnd_ifd);
    r.extend_from_slice(k_ic);
    let e_ic = crypto::encrypt_cbc(Cipher::Tdes, keys.k_enc.expose(), &[0; 8], &r).map_err(fail)?;
    r.fill(0);
    let m_ic =
        crypto::mac(Cipher::Tdes, keys.k_mac.expose(), &crypto::pad(&e_ic, 8)).map_err(fail)?;
    let session = session_from(k_ifd, k_ic, rnd_ic, rnd_ifd)
        .map_err(|_| StatusWord::AUTHENTICATION_FAILED)?;
    let mut out = e_ic;
    out.extend_from_slice(&m_ic);
    Ok((out, session))
}
