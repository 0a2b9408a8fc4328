//! Active Authentication with ECDSA on NIST P-256 (ICAO Doc 9303-11 §6.1; BSI TR-03111 plain
//! signature format): both sides.
//!
//! The inspection system sends INTERNAL AUTHENTICATE `00 88 00 00 08 <RND.IFD> 00`; the chip
//! signs the 8-byte challenge with its private key (ECDSA with SHA-256, `r ‖ s`), and the
//! reader verifies with the public key of DG15 (`6F L SubjectPublicKeyInfo`), whose hash EF.SOD
//! covers, so a verified signature proves the chip is the one the document was issued with.
//! RSA (ISO/IEC 9796-2) Active Authentication is not implemented.

use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey, DecodePublicKey};
use signature::{Signer, Verifier};

use crate::channel::CardChannel;
use crate::random::RandomSource;
use crate::{ChipError, Denial, Malformation, Unsupported, expect_success};
use permitkit_iso7816::apdu::{CommandApdu, StatusWord};
use permitkit_iso7816::tlv::{self, Tag};

/// The public key from DG15 (`6F L SubjectPublicKeyInfo`), when it is a P-256 key.
pub fn dg15_public_key(dg15: &[u8]) -> Result<VerifyingKey, ChipError> {
    let outer = tlv::parse_single(dg15, Tag::new(0x6F))?;
    VerifyingKey::from_public_key_der(outer.value())
        .map_err(|e| Unsupported::ActiveAuthenticationKey(e).into())
}

/// Runs Active Authentication: a fresh challenge, the chip's signature, verified with the
/// DG15 key. `Ok(())` only when the signature verifies.
pub fn authenticate(
    channel: &mut dyn CardChannel,
    dg15: &[u8],
    rng: &mut dyn RandomSource,
) -> Result<(), ChipError> {
    let key = dg15_public_key(dg15)?;
    let mut challenge = [0u8; 8];
    rng.fill(&mut challenge)?;
    let cmd = CommandApdu::new(0x00, 0x88, 0x00, 0x00)
        .with_data(challenge.to_vec())
        .and_then(|c| c.with_le(256))
        .map_err(ChipError::from_apdu)?;
    let r = channel.transmit(&cmd)?;
    expect_success("INTERNAL AUTHENTICATE", r.sw())?;
    let sig = Signature::from_slice(r.data()).map_err(|_| ChipError::Malformed {
        what: "Active Authentication signature (P-256 r ‖ s)",
        reason: Malformation::Length {
            len: r.data().len(),
            expected: 64,
        },
    })?;
    key.verify(&challenge, &sig)
        .map_err(|_| ChipError::AccessDenied {
            protocol: "Active Authentication",
            reason: Denial::SignatureMismatch,
        })
}

/// Chip side: checks that `private_key_pkcs8` is a P-256 key (PUT DATA time).
pub fn check_private_key(private_key_pkcs8: &[u8]) -> Result<(), StatusWord> {
    SigningKey::from_pkcs8_der(private_key_pkcs8)
        .map(|_| ())
        .map_err(|_| StatusWord::WRONG_DATA)
}

/// Chip side of INTERNAL AUTHENTICATE: the `r ‖ s` signature of the challenge.
pub fn chip_sign(private_key_pkcs8: &[u8], challenge: &[u8]) -> Result<Vec<u8>, StatusWord> {
    if challenge.len() != 8 {
        return Err(StatusWord::WRONG_LENGTH);
    }
    let key = SigningKey::from_pkcs8_der(private_key_pkcs8)
        .map_err(|_| StatusWord::REFERENCE_DATA_NOT_USABLE)?;
    let sig: Signature = key.sign(challenge);
    Ok(sig.to_bytes().to_vec())
}
