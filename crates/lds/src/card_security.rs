//! EF.CardSecurity (ICAO Doc 9303-11 §9.2.3; BSI TR-03110-3 §A.1.2): the chip's SecurityInfos
//! signed by the Document Signer, in the master file (`011D`), readable after PACE. A chip that
//! offers PACE with the chip authentication mapping must have it: it carries the
//! `ChipAuthenticationPublicKeyInfo` whose keyId is the PACE parameter id, the key PACE-CAM
//! proves, and repeats EF.CardAccess's PACEInfos and the Chip Authentication infos.
//!
//! ```asn1
//! EF.CardSecurity ::= ContentInfo   -- RFC 5652, no application tag (unlike EF.SOD's 77)
//!   contentType id-signedData, content SignedData {
//!     encapContentInfo { eContentType id-SecurityObject (0.4.0.127.0.7.3.2.1),
//!                        eContent OCTET STRING (DER SecurityInfos) }, … }
//! ```
//!
//! Written with the same CMS code as EF.SOD ([`crate::sod::sign`]: DS certificate embedded,
//! signed attributes, SHA-256) and read with the same tolerant reader
//! ([`crate::sod::parse::SignedData`]); the SecurityInfos inside are parsed strictly, their
//! Chip Authentication infos paired by keyId. Whether the signature chains to a trusted CSCA is
//! passive authentication's question (`pki::passive_auth`).

use std::time::SystemTime;

use der::asn1::ObjectIdentifier;
use signature::{Keypair, Signer};
use spki::{DynSignatureAlgorithmIdentifier, EncodePublicKey, SignatureBitStringEncoding};

use crate::sod::parse::SignedData;
use crate::{Ef, LdsError, SecurityInfos};
use permitkit_iso7816::tlv::Reader;

/// `id-SecurityObject` 0.4.0.127.0.7.3.2.1 (TR-03110-3 §A.1.2.5).
pub const ID_SECURITY_OBJECT: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.127.0.7.3.2.1");

/// EF.CardSecurity taken apart: the signed SecurityInfos and the SignedData around them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardSecurity {
    /// The SecurityInfos (the eContent).
    pub infos: SecurityInfos,
    /// The CMS SignedData, for passive authentication of the signature.
    pub signed: SignedData,
}

impl CardSecurity {
    /// Signs `infos` with the Document Signer: the whole EF.CardSecurity (a DER ContentInfo).
    pub fn sign<S, Sig>(
        infos: &SecurityInfos,
        ds_certificate_der: &[u8],
        signer: &S,
        signing_time: SystemTime,
    ) -> Result<Vec<u8>, LdsError>
    where
        S: Keypair + DynSignatureAlgorithmIdentifier + Signer<Sig>,
        S::VerifyingKey: EncodePublicKey,
        Sig: SignatureBitStringEncoding,
    {
        infos.chip_authentication_offers(Ef::CardSecurity)?;
        crate::sod::sign::signed_data::<S, Sig>(
            Ef::CardSecurity,
            ID_SECURITY_OBJECT,
            infos.to_der(Ef::CardSecurity)?,
            ds_certificate_der,
            signer,
            signing_time,
        )
    }

    /// Parses the file: one ContentInfo (nothing after it), eContentType id-SecurityObject, the
    /// SecurityInfos strictly with their Chip Authentication infos paired.
    pub fn parse(data: &[u8]) -> Result<Self, LdsError> {
        let file = Ef::CardSecurity;
        let mut r = Reader::new(data);
        let content_info = r.read().map_err(|e| LdsError::new(file, e))?;
        r.finish().map_err(|e| LdsError::new(file, e))?;
        let signed = SignedData::parse_content_info(content_info, file)?;
        if signed.econtent_type != ID_SECURITY_OBJECT {
            return Err(LdsError::field(
                file,
                "eContentType",
                format!("{} is not id-SecurityObject", signed.econtent_type),
            ));
        }
        let infos = SecurityInfos::from_der(&signed.econtent, file)?;
        infos.chip_authentication_offers(file)?;
        Ok(Self { infos, signed })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security_infos::{ID_PK_ECDH, SecurityInfo};

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace([' ', '\n'], "")).unwrap()
    }

    /// The EF.CardSecurity of the BSI "Worked Example for EAC" v1.01 (ECDH), as reproduced in
    /// OpenPACE `src/eactest.c` (`tc_ecdh_ef_cardsecurity`, 2 027 bytes, RSA-PSS signed by
    /// "HJP PB DS"): `testdata/lds/card-security-bsi-eac-worked-example.der`.
    const WORKED_EXAMPLE: &[u8] =
        include_bytes!("../../../testdata/lds/card-security-bsi-eac-worked-example.der");

    #[test]
    fn parses_the_bsi_eac_worked_example() {
        let cs = CardSecurity::parse(WORKED_EXAMPLE).unwrap();
        assert_eq!(cs.signed.econtent_type, ID_SECURITY_OBJECT);
        assert_eq!(cs.signed.certificates.len(), 1);
        assert_eq!(cs.signed.signers.len(), 1);
        let offers = cs
            .infos
            .chip_authentication_offers(Ef::CardSecurity)
            .unwrap();
        assert_eq!(offers.len(), 1);
        assert_eq!(offers[0].key_id, Some(1));
        assert_eq!(
            offers[0].ca_protocol.cipher,
            crate::security_infos::Cipher::Aes128
        );
        let pk = cs.infos.chip_authentication_public_keys().next().unwrap();
        assert_eq!(pk.protocol, ID_PK_ECDH);
        // The chip's static key (eactest.c tc_ecdh_ca_picc_pub_key) closes the
        // SubjectPublicKeyInfo.
        assert!(pk.public_key.ends_with(&h(
            "04A44EBE5451DF7AADB01E459B8C928A87746A57927C8C28A6775C97A7E1FE8D9A\
             46FF4A1CC7E4D1389AEA19758E4F75C28C598FD734AEBEB135337CF95BE12E94"
        )));
        assert_eq!(cs.infos.pace().count(), 1);
        // Its other SecurityInfos (CardInfoLocator, RestrictedIdentification, domain
        // parameters) are kept as they are.
        assert!(
            cs.infos
                .0
                .iter()
                .any(|i| matches!(i, SecurityInfo::Other { .. }))
        );
    }

    #[test]
    fn refuses_trailing_bytes_another_content_type_and_garbage() {
        let mut padded = WORKED_EXAMPLE.to_vec();
        padded.push(0);
        assert!(CardSecurity::parse(&padded).is_err());
        for bad in [&[][..], &[0x30, 0x00], &[0x77, 0x02, 0x30, 0x00], &[0x30]] {
            let e = CardSecurity::parse(bad).unwrap_err();
            assert_eq!(e.file, Ef::CardSecurity, "{e}");
        }
    }
}
