//! Passive authentication of EF.CardSecurity (ICAO Doc 9303-11 §9.2.3, §4.4.3.5.2 note,
//! Appendix J.2 step 3): the signed SecurityInfos that carry the key PACE-CAM proves.
//!
//! One check, `card-security`, added to the report of EF.SOD:
//! - the file parses strictly (`permitkit_lds::CardSecurity`: a CMS SignedData of
//!   id-SecurityObject, its Chip Authentication infos paired by keyId);
//! - it is signed by the Document Signer that signed EF.SOD: the same SignerIdentifier and the
//!   same certificate embedded, byte for byte (the report's other checks chain that certificate
//!   to a trusted CSCA, its validity and its right to sign the document); a file signed by any
//!   other certificate fails, naming it — this verifier does not chain a second Document Signer;
//! - its signed attributes hold (contentType is the eContentType, messageDigest the digest of
//!   the eContent) and the signature over them verifies with that certificate's key
//!   (`x509-parser`, as for EF.SOD);
//! - its PACEInfos are those of EF.CardAccess.
//!
//! A chip that offers PACE-CAM in EF.CardAccess must have EF.CardSecurity: missing, it fails
//! (or is "not read" with the chip's reason when the reader reports one).

use std::collections::BTreeMap;

use x509_parser::{
    certificate::X509Certificate, der_parser::asn1_rs::BitString, prelude::FromDer,
    x509::AlgorithmIdentifier,
};

use super::{CheckStatus, PaReport};
use permitkit_lds::security_infos::{PaceInfo, PaceMapping};
use permitkit_lds::sod::{HashAlgorithm, ParsedSod};
use permitkit_lds::{CardAccess, CardSecurity, Ef};

/// The id of the check.
pub const CHECK: &str = "card-security";

/// Adds the `card-security` check for `files` (as read, or a ChipImage's) to `report`, given
/// the parsed EF.SOD; `not_read` gives the chip's reason for files it would not give.
pub fn check(
    report: &mut PaReport,
    files: &BTreeMap<Ef, Vec<u8>>,
    not_read: Option<&BTreeMap<Ef, String>>,
    sod: &ParsedSod,
) {
    let card_access = files
        .get(&Ef::CardAccess)
        .and_then(|b| CardAccess::parse_lenient(b).ok());
    let cam_offered = card_access.as_ref().is_some_and(|c| {
        c.pace_infos()
            .iter()
            .any(|p| p.pace_protocol().map(|p| p.mapping) == Some(PaceMapping::ChipAuthentication))
    });
    let Some(bytes) = files.get(&Ef::CardSecurity) else {
        if cam_offered {
            match not_read.and_then(|n| n.get(&Ef::CardSecurity)) {
                Some(reason) => report.add(
                    CHECK,
                    CheckStatus::NotChecked,
                    format!("not read: {reason}"),
                ),
                None => report.add(
                    CHECK,
                    CheckStatus::Fail,
                    "EF.CardAccess offers PACE-CAM but there is no EF.CardSecurity",
                ),
            }
        }
        return;
    };
    match verify(bytes, card_access.as_ref(), sod) {
        Ok(detail) => report.add(CHECK, CheckStatus::Pass, detail),
        Err(reason) => report.add(CHECK, CheckStatus::Fail, reason),
    }
}

/// The checks of the module documentation; `Ok` with what was found, `Err` with the first
/// failure.
fn verify(
    bytes: &[u8],
    card_access: Option<&CardAccess>,
    sod: &ParsedSod,
) -> Result<String, String> {
    let cs = CardSecurity::parse(bytes).map_err(|e| e.to_string())?;
    let [signer] = cs.signed.signers.as_slice() else {
        return Err(format!(
            "{} SignerInfos (one is required)",
            cs.signed.signers.len()
        ));
    };
    let sod_signer = sod.signers.first().ok_or("EF.SOD has no SignerInfo")?;
    if signer.sid != sod_signer.sid {
        return Err("signed by another signer than EF.SOD's Document Signer".into());
    }
    let ds = cs
        .signed
        .certificates
        .iter()
        .find(|c| sod.certificates.contains(c))
        .ok_or("does not embed EF.SOD's Document Signer certificate")?;
    let (_, cert) =
        X509Certificate::from_der(ds).map_err(|e| format!("Document Signer certificate: {e}"))?;
    if signer.content_type != Some(cs.signed.econtent_type) {
        return Err("the contentType signed attribute is not the eContentType".into());
    }
    let h = HashAlgorithm::from_oid(&signer.digest_algorithm)
        .ok_or_else(|| format!("unsupported digest algorithm {}", signer.digest_algorithm))?;
    if signer.message_digest.as_deref() != Some(h.digest(&cs.signed.econtent).as_slice()) {
        return Err(format!(
            "{} of eContent differs from the messageDigest attribute",
            h.name()
        ));
    }
    let attrs = signer
        .signed_attributes
        .as_ref()
        .ok_or("no signed attributes")?;
    let (_, alg) = AlgorithmIdentifier::from_der(&signer.signature_algorithm)
        .map_err(|e| format!("signatureAlgorithm: {e}"))?;
    x509_parser::verify::verify_signature(
        cert.public_key(),
        &alg,
        &BitString::new(0, &signer.signature),
        attrs,
    )
    .map_err(|e| format!("signature: {e}"))?;
    let key = |p: &PaceInfo| (p.protocol.as_bytes().to_vec(), p.version, p.parameter_id);
    let mut signed: Vec<PaceInfo> = cs.infos.pace().copied().collect();
    signed.sort_by_key(key);
    if let Some(ca) = card_access {
        let mut offered = ca.pace_infos();
        offered.sort_by_key(key);
        if offered != signed {
            return Err("its PACEInfos differ from those of EF.CardAccess".into());
        }
    }
    let keys = cs.infos.chip_authentication_public_keys().count();
    Ok(format!(
        "signed by the Document Signer of EF.SOD; {} PACEInfo(s) as in EF.CardAccess, {keys} Chip Authentication key(s)",
        signed.len()
    ))
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use p256::pkcs8::EncodePublicKey;
    use permitkit_biometrics::face_record::{
        COLOUR_SPACE_RGB24, FaceImage, FaceImageType, FacialRecord,
    };
    use permitkit_lds::security_infos::{
        CaProtocol, ChipAuthenticationInfo, ChipAuthenticationPublicKeyInfo, Cipher,
        ID_PACE_ECDH_CAM_AES_128, ID_PACE_ECDH_GM_AES_128, ID_PK_ECDH, PaceInfo, SecurityInfo,
    };
    use permitkit_lds::{ChipKeys, Dg1, Dg14, Enrolment, SecurityInfos};

    use super::*;
    use crate::passive_auth::verify;
    use crate::signer::FileKeySignature;
    use crate::test_pki::{TestPki, TestPkiOptions};

    fn test_pki() -> TestPki {
        TestPki::generate(&TestPkiOptions {
            country: "UA".into(),
            document_types: vec!["IR".into()],
            not_before: SystemTime::now(),
        })
        .unwrap()
    }

    /// A permit with PACE-GM and PACE-CAM on brainpoolP256r1 and Chip Authentication with key
    /// id 13.
    fn enrolment() -> Enrolment {
        let key = p256::SecretKey::from_slice(&[7u8; 32]).unwrap();
        let spki = key
            .public_key()
            .to_public_key_der()
            .unwrap()
            .as_bytes()
            .to_vec();
        let ca = CaProtocol {
            ecdh: true,
            cipher: Cipher::Aes128,
        };
        Enrolment {
            dg1: Dg1::new(concat!(
                "IRUKRFT12345675<<<<<<<<<<<<<<<",
                "8803141M2711198USA<<<<<<<<<<<6",
                "DOE<<JOHN<MICHAEL<<<<<<<<<<<<<"
            ))
            .unwrap(),
            portrait: FacialRecord::single(FaceImage::jpeg(
                FaceImageType::FullFrontal,
                480,
                600,
                COLOUR_SPACE_RGB24,
                (290, 270),
                (190, 270),
                vec![0xFF, 0xD8, 0xFF, 0xD9],
            )),
            fingers: Vec::new(),
            signature: None,
            dg11: None,
            dg12: None,
            pace: [ID_PACE_ECDH_GM_AES_128, ID_PACE_ECDH_CAM_AES_128]
                .into_iter()
                .map(|protocol| {
                    SecurityInfo::Pace(PaceInfo {
                        protocol,
                        version: 2,
                        parameter_id: Some(13),
                    })
                })
                .collect(),
            chip_authentication: vec![
                SecurityInfo::ChipAuthentication(ChipAuthenticationInfo {
                    protocol: ca.oid().unwrap(),
                    version: 1,
                    key_id: Some(13),
                }),
                SecurityInfo::ChipAuthenticationPublicKey(ChipAuthenticationPublicKeyInfo {
                    protocol: ID_PK_ECDH,
                    public_key: spki,
                    key_id: Some(13),
                }),
            ],
            active_authentication: None,
            biometric_creation: None,
            keys: ChipKeys::default(),
        }
    }

    fn now() -> i64 {
        i64::try_from(
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
        )
        .unwrap()
    }

    fn build(pki: &TestPki) -> BTreeMap<Ef, Vec<u8>> {
        permitkit_lds::build::<_, FileKeySignature>(
            &enrolment(),
            &pki.ds_der,
            &pki.ds_key,
            SystemTime::now(),
        )
        .unwrap()
        .file_map()
        .clone()
    }

    fn status(files: &BTreeMap<Ef, Vec<u8>>, pki: &TestPki) -> (CheckStatus, String) {
        let report = verify(
            &files[&Ef::Sod],
            files,
            std::slice::from_ref(&pki.csca_der),
            now(),
        );
        let c = report.checks.iter().find(|c| c.id == CHECK).unwrap();
        (c.status, c.detail.clone())
    }

    #[test]
    fn the_builder_signs_card_security_with_dg14_s_key_for_pace_cam() {
        let pki = test_pki();
        let files = build(&pki);
        let cs = CardSecurity::parse(&files[&Ef::CardSecurity]).unwrap();
        let offers = cs
            .infos
            .chip_authentication_offers(Ef::CardSecurity)
            .unwrap();
        assert_eq!(offers[0].key_id, Some(13));
        let dg14 = Dg14::parse(&files[&Ef::DG14]).unwrap();
        assert_eq!(dg14.chip_authentication().unwrap(), offers);
        // EF.CardSecurity is not hashed into EF.SOD, nor listed in EF.COM.
        let sod = ParsedSod::parse(&files[&Ef::Sod]).unwrap();
        assert!(sod.lso.hash_of(Ef::CardSecurity).is_none());
        let (s, detail) = status(&files, &pki);
        assert_eq!(s, CheckStatus::Pass, "{detail}");
        let report = verify(
            &files[&Ef::Sod],
            &files,
            std::slice::from_ref(&pki.csca_der),
            now(),
        );
        assert!(
            report.is_valid(),
            "{:?}",
            report.failures().collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_forged_card_security_fails() {
        let pki = test_pki();
        let files = build(&pki);
        // Another key in the same signed structure: the signature no longer verifies.
        let mut forged = files.clone();
        let cs = forged.get_mut(&Ef::CardSecurity).unwrap();
        let at = cs.len() - 120;
        cs[at] ^= 0x01;
        let (s, detail) = status(&forged, &pki);
        assert_eq!(s, CheckStatus::Fail, "{detail}");
        // Signed by another Document Signer (another test PKI).
        let other = test_pki();
        let infos = CardSecurity::parse(&files[&Ef::CardSecurity])
            .unwrap()
            .infos;
        let resigned = CardSecurity::sign::<_, FileKeySignature>(
            &infos,
            &other.ds_der,
            &other.ds_key,
            SystemTime::now(),
        )
        .unwrap();
        let mut foreign = files.clone();
        foreign.insert(Ef::CardSecurity, resigned);
        let (s, detail) = status(&foreign, &pki);
        assert_eq!(s, CheckStatus::Fail);
        assert!(detail.contains("another signer"), "{detail}");
        // PACEInfos that differ from EF.CardAccess.
        let mut fewer = infos.clone();
        fewer.0.retain(
            |i| !matches!(i, SecurityInfo::Pace(p) if p.protocol == ID_PACE_ECDH_GM_AES_128),
        );
        let mut edited = files.clone();
        edited.insert(
            Ef::CardSecurity,
            CardSecurity::sign::<_, FileKeySignature>(
                &SecurityInfos(fewer.0),
                &pki.ds_der,
                &pki.ds_key,
                SystemTime::now(),
            )
            .unwrap(),
        );
        let (s, detail) = status(&edited, &pki);
        assert_eq!(s, CheckStatus::Fail);
        assert!(detail.contains("EF.CardAccess"), "{detail}");
        // Missing while EF.CardAccess offers PACE-CAM.
        let mut missing = files;
        missing.remove(&Ef::CardSecurity);
        let (s, _) = status(&missing, &pki);
        assert_eq!(s, CheckStatus::Fail);
    }
}
