//! Active Authentication with ECDSA on NIST P-256 (ICAO Doc 9303-11 §6.1; BSI TR-03111 plain
//! signature format): both sides.
//!
//! The inspection system sends INTERNAL AUTHENTICATE `00 88 00 00 08 <RND.IFD> 00`; the chip
//! signs the 8-byte challenge with its private key (ECDSA with SHA-256, `r ‖ s`), and the
//! reader verifies with the public key of DG15 (`6F L SubjectPublicKeyInfo`), whose hash EF.SOD
//! covers, so a verified signature proves the chip is the one the document was issued with.
//! RSA (ISO/IEC 9796-2) Active Authentication is not implemented.
//!
//! Where the chip makes its own key pair ([`generate_on_chip`]), the writer sends GENERATE
//! ASYMMETRIC KEY PAIR (ISO/IEC 7816-8:2004 §5.1, INS `46`, P1-P2 `00 00`: the chip's one Active
//! Authentication key, no data field) and the chip answers the public key in a public key
//! template `7F49 { 06 <curve OID>, 86 <uncompressed point> }` (the data objects of BSI
//! TR-03110-3 §D.3.3, with `06` naming the domain parameters since Active Authentication has no
//! TR-03110 protocol OID); DG15 carries it as a SubjectPublicKeyInfo and the private key never
//! leaves the chip.

use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use signature::{Signer, Verifier};

use crate::channel::CardChannel;
use crate::random::RandomSource;
use crate::{ChipError, Denial, Malformation, Unsupported, expect_success};
use permitkit_iso7816::apdu::{CommandApdu, StatusWord};
use permitkit_iso7816::tlv::{self, Tag};
use permitkit_model::secret::SecretBytes;

/// The DER value of the object identifier prime256v1 / secp256r1 (1.2.840.10045.3.1.7, RFC 5480
/// §2.1.1.1).
pub const PRIME256V1_OID: [u8; 8] = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];

/// Asks the chip to generate its Active Authentication key pair (GENERATE ASYMMETRIC KEY PAIR,
/// `00 46 00 00 00`) and returns the public key as a DER SubjectPublicKeyInfo, ready for DG15.
/// A key generated before on the same chip is replaced.
pub fn generate_on_chip(channel: &mut dyn CardChannel) -> Result<Vec<u8>, ChipError> {
    let cmd = CommandApdu::new(0x00, 0x46, 0x00, 0x00)
        .with_le(256)
        .map_err(ChipError::from_apdu)?;
    let r = crate::files::transmit(channel, &cmd)?;
    match r.sw() {
        StatusWord::SUCCESS => {}
        StatusWord::CONDITIONS_NOT_SATISFIED => return Err(ChipError::CardLocked),
        sw => {
            return Err(ChipError::Status {
                command: "GENERATE ASYMMETRIC KEY PAIR",
                sw,
            });
        }
    }
    public_key_from_template(r.data())
}

/// The SubjectPublicKeyInfo (DER) of a public key template `7F49 { 06 OID, 86 point }`.
pub fn public_key_from_template(template: &[u8]) -> Result<Vec<u8>, ChipError> {
    let what = "public key template 7F49";
    let outer = tlv::parse_single(template, Tag::new(0x7F49))?;
    let mut r = outer.children()?;
    let oid = r.expect(Tag::new(0x06))?;
    let point = r.expect(Tag::new(0x86))?;
    if oid.value() != PRIME256V1_OID {
        return Err(ChipError::Malformed {
            what,
            reason: Malformation::NotP256,
        });
    }
    let key =
        p256::PublicKey::from_sec1_bytes(point.value()).map_err(|_| ChipError::Malformed {
            what,
            reason: Malformation::NotOnCurve,
        })?;
    key.to_public_key_der()
        .map(|d| d.as_bytes().to_vec())
        .map_err(|e| Unsupported::ActiveAuthenticationKey(e).into())
}

/// Chip side of GENERATE ASYMMETRIC KEY PAIR: a fresh P-256 key from `rng`; returns the private
/// key (PKCS#8 DER, for the chip to keep) and the public key template to answer.
pub fn chip_generate(rng: &mut dyn RandomSource) -> Result<(SecretBytes, Vec<u8>), StatusWord> {
    let fail = |_| StatusWord::NO_PRECISE_DIAGNOSIS;
    let mut key = None;
    for _ in 0..64 {
        let k = crate::bac::random_secret(rng, 32).map_err(fail)?;
        if let Ok(sk) = p256::SecretKey::from_slice(k.expose()) {
            key = Some(sk);
            break;
        }
    }
    let key = key.ok_or(StatusWord::NO_PRECISE_DIAGNOSIS)?;
    let pkcs8 = key
        .to_pkcs8_der()
        .map_err(|_| StatusWord::NO_PRECISE_DIAGNOSIS)?;
    let point = key.public_key().to_sec1_bytes();
    let mut w = tlv::Writer::new();
    w.constructed(Tag::new(0x7F49), |w| {
        w.primitive(Tag::new(0x06), &PRIME256V1_OID);
        w.primitive(Tag::new(0x86), &point);
    });
    let template = w.finish().map_err(|_| StatusWord::NO_PRECISE_DIAGNOSIS)?;
    Ok((SecretBytes::from_slice(pkcs8.as_bytes()), template))
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_answers_a_template_whose_key_verifies_its_signatures() {
        let (private, template) = chip_generate(&mut crate::random::OsRandom).unwrap();
        assert_eq!(&template[..2], [0x7F, 0x49]);
        let spki = public_key_from_template(&template).unwrap();
        let dg15 = tlv::encode(Tag::new(0x6F), &spki).unwrap();
        let key = dg15_public_key(&dg15).unwrap();
        let sig = chip_sign(private.expose(), b"12345678").unwrap();
        let sig = Signature::from_slice(&sig).unwrap();
        assert!(key.verify(b"12345678", &sig).is_ok());
    }

    #[test]
    fn a_template_on_another_curve_or_off_the_curve_is_refused() {
        let (_, template) = chip_generate(&mut crate::random::OsRandom).unwrap();
        let mut other = template.clone();
        // The last byte of the OID value (prime256v1 ends in 07).
        let at = other.iter().position(|b| *b == 0x07).unwrap();
        other[at] = 0x08;
        let e = public_key_from_template(&other).unwrap_err();
        assert!(
            matches!(
                e,
                ChipError::Malformed {
                    reason: Malformation::NotP256,
                    ..
                }
            ),
            "{e}"
        );
        let mut off = template;
        let last = off.len() - 1;
        off[last] ^= 0x01;
        let e = public_key_from_template(&off).unwrap_err();
        assert!(
            matches!(
                e,
                ChipError::Malformed {
                    reason: Malformation::NotOnCurve,
                    ..
                }
            ),
            "{e}"
        );
    }
}
