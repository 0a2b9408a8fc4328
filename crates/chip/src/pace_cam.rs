//! The Chip Authentication Data of PACE with chip authentication mapping (ICAO Doc 9303-11
//! §4.4.3.5; worked example Appendix I.1): both sides.
//!
//! The chip computes `CA_IC = SK_IC⁻¹·SKmap,IC mod n` from its static Chip Authentication key
//! `SK_IC` and the ephemeral key of the mapping step, pads it (ISO/IEC 9797-1 method 2) and
//! encrypts it with AES-CBC under KSenc with `IV = E(KSenc, -1)`, `-1` being the 128-bit string
//! of ones: `A_IC`, data object `8A` of the last GENERAL AUTHENTICATE answer. The terminal
//! decrypts it and checks `PKmap,IC = CA_IC·PK_IC` with the chip's static public key `PK_IC`
//! from EF.CardSecurity — the ChipAuthenticationPublicKeyInfo whose keyId equals the PACE
//! parameter id ([`select_key`]) — after passive authentication of EF.CardSecurity has made that
//! key genuine. Only the chip that holds `SK_IC` can produce a `CA_IC` that passes.

use crate::ca::{CaKeyPair, CaParams, CaPublicKey};
use crate::crypto::{self, Cipher};
use crate::ec::{Domain, Ec};
use crate::{ChipError, Denial, Malformation, Unsupported};
use permitkit_iso7816::apdu::StatusWord;
use permitkit_lds::Ef;
use permitkit_lds::security_infos::SecurityInfos;
use permitkit_model::secret::{SecretBytes, ct_eq};

/// The decrypted Chip Authentication Data and the chip's mapping key it must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CamData {
    /// The curve of the PACE run.
    pub domain: Domain,
    /// `CA_IC`, a scalar.
    pub ca_ic: SecretBytes,
    /// `PKmap,IC`, the chip's ephemeral public key of the mapping step.
    pub chip_mapping_key: Vec<u8>,
}

/// `IV = E(KSenc, -1)` (9303-11 §4.4.3.5.4).
fn iv(cipher: Cipher, k_enc: &SecretBytes) -> Result<Vec<u8>, crypto::CryptoError> {
    crypto::encrypt_block(cipher, k_enc.expose(), &vec![0xFF; cipher.block_len()])
}

/// Chip side: `A_IC`, the encrypted `CA_IC` for the mapping key `sk_map`.
pub fn chip_data(
    key: &CaKeyPair,
    cipher: Cipher,
    k_enc: &SecretBytes,
    sk_map: &SecretBytes,
) -> Result<Vec<u8>, StatusWord> {
    fn fail<E>(_: E) -> StatusWord {
        StatusWord::NO_PRECISE_DIAGNOSIS
    }
    let sk_ic = key.scalar().ok_or(StatusWord::REFERENCE_DATA_NOT_USABLE)?;
    let ca_ic = Ec(key.domain)
        .inverse_times(sk_ic.expose(), sk_map.expose())
        .map_err(fail)?;
    let padded = zeroize::Zeroizing::new(crypto::pad(ca_ic.expose(), cipher.block_len()));
    crypto::encrypt_cbc(
        cipher,
        k_enc.expose(),
        &iv(cipher, k_enc).map_err(fail)?,
        &padded,
    )
    .map_err(fail)
}

/// Reader side: decrypts `A_IC` into the data [`verify`] checks.
pub fn decrypt(
    domain: Domain,
    cipher: Cipher,
    k_enc: &SecretBytes,
    a_ic: &[u8],
    chip_mapping_key: Vec<u8>,
) -> Result<CamData, ChipError> {
    let what = "PACE-CAM Chip Authentication Data";
    let crypto_error = |e| ChipError::Malformed {
        what,
        reason: Malformation::Crypto(e),
    };
    let plain = zeroize::Zeroizing::new(
        crypto::decrypt_cbc(
            cipher,
            k_enc.expose(),
            &iv(cipher, k_enc).map_err(crypto_error)?,
            a_ic,
        )
        .map_err(crypto_error)?,
    );
    let ca_ic = crypto::unpad(&plain).map_err(crypto_error)?;
    if !Ec(domain).valid_scalar(ca_ic) {
        return Err(ChipError::Malformed {
            what,
            reason: Malformation::NotOnCurve,
        });
    }
    Ok(CamData {
        domain,
        ca_ic: SecretBytes::from_slice(ca_ic),
        chip_mapping_key,
    })
}

/// Reader side: checks `PKmap,IC = CA_IC·PK_IC` with the chip's static key.
pub fn verify(data: &CamData, key: &CaPublicKey) -> Result<(), ChipError> {
    let mismatch = ChipError::AccessDenied {
        protocol: "PACE-CAM",
        reason: Denial::ChipAuthenticationMappingMismatch,
    };
    if key.domain != data.domain {
        return Err(mismatch);
    }
    let expected = Ec(data.domain).mul(&key.point, data.ca_ic.expose())?;
    if ct_eq(&expected, &data.chip_mapping_key) {
        Ok(())
    } else {
        Err(mismatch)
    }
}

/// The static key PACE-CAM proves, from the SecurityInfos of EF.CardSecurity: the Chip
/// Authentication key whose keyId is the PACE `parameter_id` (or the only one when none has a
/// keyId).
pub fn select_key(infos: &SecurityInfos, parameter_id: u32) -> Result<CaParams, ChipError> {
    let offers = infos.chip_authentication_offers(Ef::CardSecurity)?;
    let offer = offers
        .iter()
        .find(|o| o.key_id == Some(parameter_id))
        .or_else(|| match offers.as_slice() {
            [only] if only.key_id.is_none() => Some(only),
            _ => None,
        })
        .ok_or(Unsupported::CamKey(parameter_id))?;
    CaParams::from_offer(offer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::OsRandom;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace([' ', '\n'], "")).unwrap()
    }

    fn point(x: &str, y: &str) -> Vec<u8> {
        [vec![4], h(x), h(y)].concat()
    }

    // ICAO 9303-11 Appendix I.1 (brainpoolP256r1, id-PACE-ECDH-CAM-AES-CBC-CMAC-128).
    const KS_ENC: &str = "0A9DA4DB 03BDDE39 FC5202BC 44B2E89E";
    const A_IC: &str = "1EEA964D AAE372AC 990E3EFD E6333353 BFC89A67 04D93DA8 798CF77F 5B7A54BD \
                        10CBA372 B42BE0B9 B5F28AA8 DE2F4F92";
    const CA_IC: &str = "85DC3FA9 3D0952BF A82F5FD1 89EE75BD 82F11D1F 0B8ED4BF 5319AC9B 53C426B3";
    const SK_MAP_IC: &str =
        "9E56A6B5 9C95D06E CE5CD10F 983BB2F4 F1943528 E577F238 81D89D8C 3BBEE0AA";

    fn pk_map_ic() -> Vec<u8> {
        point(
            "A234236A A9B9621E 8EFB73B5 245C0E09 D2576E52 77183C12 08BDD552 80CAE8B3",
            "04F36571 3A356E65 A451E165 ECC9AC0A C46E3771 342C8FE5 AEDD0926 85338E23",
        )
    }

    fn pk_ic() -> CaPublicKey {
        CaPublicKey {
            domain: Domain::BrainpoolP256r1,
            point: point(
                "18727094 94399E74 70A6431B E25E83EE E24FEA56 8C2ED28D B48E05DB 3A610DC8",
                "84D256A4 0E35EFCB 59BF6753 D3A489D2 8C7A4D97 3C2DA138 A6E7A4A0 8F68E16F",
            ),
        }
    }

    #[test]
    fn decryption_and_verification_match_9303_11_appendix_i1() {
        let k_enc = SecretBytes::new(h(KS_ENC));
        assert_eq!(
            iv(Cipher::Aes128, &k_enc).unwrap(),
            h("F6A3B75A 1E933941 DD7A13E2 520779DF")
        );
        let data = decrypt(
            Domain::BrainpoolP256r1,
            Cipher::Aes128,
            &k_enc,
            &h(A_IC),
            pk_map_ic(),
        )
        .unwrap();
        assert_eq!(data.ca_ic.expose(), h(CA_IC));
        verify(&data, &pk_ic()).unwrap();
        // Another chip's key does not verify.
        let other = CaKeyPair::generate(None, Domain::BrainpoolP256r1, &mut OsRandom).unwrap();
        let e = verify(&data, &other.public_key().unwrap()).unwrap_err();
        assert!(
            matches!(
                e,
                ChipError::AccessDenied {
                    reason: Denial::ChipAuthenticationMappingMismatch,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn the_chip_side_encrypts_the_appendix_i1_data_byte_for_byte() {
        // The appendix gives PK_IC but not SK_IC; SK_IC = SKmap,IC · CA_IC⁻¹ mod n.
        let ec = Ec(Domain::BrainpoolP256r1);
        let sk_ic = ec.inverse_times(&h(CA_IC), &h(SK_MAP_IC)).unwrap();
        assert_eq!(ec.mul_generator(sk_ic.expose()).unwrap(), pk_ic().point);
        let pkcs8 = ec.private_to_pkcs8(sk_ic.expose()).unwrap();
        let key = CaKeyPair::from_pkcs8(Some(13), pkcs8).unwrap();
        let a_ic = chip_data(
            &key,
            Cipher::Aes128,
            &SecretBytes::new(h(KS_ENC)),
            &SecretBytes::new(h(SK_MAP_IC)),
        )
        .unwrap();
        assert_eq!(a_ic, h(A_IC));
    }

    #[test]
    fn garbage_chip_authentication_data_is_an_error() {
        let k_enc = SecretBytes::new(vec![7; 16]);
        for bad in [&[][..], &[0u8; 15], &[0u8; 48]] {
            assert!(
                decrypt(Domain::P256, Cipher::Aes128, &k_enc, bad, vec![4]).is_err(),
                "{}",
                bad.len()
            );
        }
    }
}
