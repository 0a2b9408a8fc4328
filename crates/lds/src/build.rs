//! Building a card's LDS: every data group, EF.COM, EF.CardAccess, the signed EF.SOD and, for a
//! chip that offers PACE with the chip authentication mapping, the signed EF.CardSecurity
//! (ICAO Doc 9303-11 §9.2.3), from data that earlier stages have already validated
//! (ARCHITECTURE.md §3: parse, don't validate). DG14 carries the PACEInfos, the Chip
//! Authentication infos (9303-11 §6.2, §9.2.6) and the Active Authentication info.
//!
//! The data groups are encoded once; EF.SOD hashes exactly those bytes (ICAO Doc 9303-10
//! §4.6.2), and they are never re-encoded after signing. The signer is generic with the bounds
//! of the `cms` builder, so the LDS does not depend on where the Document Signer key lives.
//!
//! Nothing is signed for a document the Document Signer may not sign (9303-12 §7.1): its
//! documentTypeList must name the document code and its country must be the issuing State
//! ([`crate::sod::ScopeError`]); the signing time must fall within its private key usage period.

use std::{collections::BTreeMap, time::SystemTime};

use signature::{Keypair, Signer};
use spki::{DynSignatureAlgorithmIdentifier, EncodePublicKey, SignatureBitStringEncoding};

use crate::security_infos::PaceMapping;
use crate::{
    CardAccess, CardSecurity, ChipImage, ChipKeys, Com, Dg1, Dg2, Dg3, Dg7, Dg11, Dg12, Dg14, Dg15,
    Ef, LdsError, LdsErrorKind, SecurityInfo, SecurityInfos, SourceError,
    chip_image::ChipImageError,
    sod::{self, HashAlgorithm, LdsSecurityObject, SignerScope},
};
use permitkit_biometrics::{face_record::FacialRecord, finger_record::FingerImageRecord};

/// Everything that goes onto one chip.
#[derive(Clone)]
pub struct Enrolment {
    /// DG1: the MRZ.
    pub dg1: Dg1,
    /// DG2: the portrait record (one facial image with its eye centres).
    pub portrait: FacialRecord,
    /// DG3: one 19794-4 record per finger; empty when DG3 is not written (no consent).
    pub fingers: Vec<FingerImageRecord>,
    /// DG7: the displayed signature image, when the document carries one.
    pub signature: Option<Vec<u8>>,
    /// DG11, when the document profile writes it.
    pub dg11: Option<Dg11>,
    /// DG12, when the document profile writes it.
    pub dg12: Option<Dg12>,
    /// PACEInfos for EF.CardAccess (repeated in DG14). Empty: BAC only, no EF.CardAccess.
    pub pace: Vec<SecurityInfo>,
    /// Chip Authentication: each key's `ChipAuthenticationPublicKeyInfo` (the chip's static
    /// public key, with a keyId when there are several or PACE-CAM uses it) and its
    /// `ChipAuthenticationInfo`, for DG14 (and EF.CardSecurity). Empty: no Chip Authentication.
    pub chip_authentication: Vec<SecurityInfo>,
    /// Active Authentication public key (DER SubjectPublicKeyInfo) for DG15, with the
    /// signature algorithm info DG14 must carry for an ECDSA key.
    pub active_authentication: Option<(Vec<u8>, SecurityInfo)>,
    /// CBEFF creation date-time for DG2/DG3 (BCD `YYYYMMDDhhmmss`).
    pub biometric_creation: Option<[u8; 7]>,
    /// Chip secrets (CAN, AA private key) for the personalization desk.
    pub keys: ChipKeys,
}

/// Biometric and personal data: `Debug` names what is there and its size, never the content.
impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrolment")
            .field("dg1", &"…")
            .field("portrait", &"…")
            .field("fingers", &self.fingers.len())
            .field("signature", &self.signature.as_ref().map(Vec::len))
            .field("dg11", &self.dg11.is_some())
            .field("dg12", &self.dg12.is_some())
            .field("pace", &self.pace.len())
            .field("chip_authentication", &self.chip_authentication.len())
            .field(
                "active_authentication",
                &self.active_authentication.is_some(),
            )
            .field("keys", &"…")
            .finish()
    }
}

/// Encodes every file, signs EF.SOD with `signer` (whose certificate is `ds_certificate_der`)
/// at `signing_time`, and returns the checked ChipImage. Refuses, before signing, a document
/// outside the Document Signer's scope (`LdsErrorKind::Scope`).
pub fn build<S, Sig>(
    enrolment: &Enrolment,
    ds_certificate_der: &[u8],
    signer: &S,
    signing_time: SystemTime,
) -> Result<ChipImage, LdsError>
where
    S: Keypair + DynSignatureAlgorithmIdentifier + Signer<Sig>,
    S::VerifyingKey: EncodePublicKey,
    Sig: SignatureBitStringEncoding,
{
    SignerScope::from_certificate(ds_certificate_der)?
        .check_document(&enrolment.dg1)
        .map_err(|e| LdsError::new(Ef::Sod, e))?;
    let mut files = BTreeMap::new();
    files.insert(Ef::DG1, enrolment.dg1.encode()?);
    files.insert(
        Ef::DG2,
        Dg2::single(enrolment.portrait.clone(), enrolment.biometric_creation).encode()?,
    );
    if !enrolment.fingers.is_empty() {
        let dg3 = Dg3::new(enrolment.fingers.clone(), enrolment.biometric_creation);
        files.insert(Ef::DG3, dg3.encode()?);
    }
    if let Some(sig) = &enrolment.signature {
        files.insert(
            Ef::DG7,
            Dg7 {
                images: vec![sig.clone()],
            }
            .encode()?,
        );
    }
    if let Some(dg11) = &enrolment.dg11 {
        files.insert(Ef::DG11, dg11.encode()?);
    }
    if let Some(dg12) = &enrolment.dg12 {
        files.insert(Ef::DG12, dg12.encode()?);
    }
    let mut dg14_infos = enrolment.pace.clone();
    dg14_infos.extend(enrolment.chip_authentication.iter().cloned());
    if let Some((spki, info)) = &enrolment.active_authentication {
        files.insert(
            Ef::DG15,
            Dg15 {
                public_key: der::Decode::from_der(spki).map_err(|e| LdsError::new(Ef::DG15, e))?,
            }
            .encode()?,
        );
        dg14_infos.push(info.clone());
    }
    if !dg14_infos.is_empty() {
        files.insert(
            Ef::DG14,
            Dg14 {
                infos: SecurityInfos(dg14_infos),
            }
            .encode()?,
        );
    }
    if !enrolment.pace.is_empty() {
        files.insert(
            Ef::CardAccess,
            CardAccess {
                infos: SecurityInfos(enrolment.pace.clone()),
            }
            .encode()?,
        );
    }
    let cam = enrolment.pace.iter().any(|i| {
        matches!(i, SecurityInfo::Pace(p)
            if p.pace_protocol().map(|p| p.mapping) == Some(PaceMapping::ChipAuthentication))
    });
    if cam {
        // EF.CardSecurity: the PACEInfos and the Chip Authentication infos, signed (9303-11
        // §9.2.3); PACE-CAM proves the key whose keyId is the PACE parameter id.
        let mut infos = enrolment.pace.clone();
        infos.extend(enrolment.chip_authentication.iter().cloned());
        files.insert(
            Ef::CardSecurity,
            CardSecurity::sign::<S, Sig>(
                &SecurityInfos(infos),
                ds_certificate_der,
                signer,
                signing_time,
            )?,
        );
    }
    // EF.COM lists the data groups only (EF.CardAccess and EF.CardSecurity are in the MF).
    let present: Vec<Ef> = files.keys().copied().collect();
    files.insert(Ef::Com, Com::lds_1_7(&present).encode()?);
    let lso = LdsSecurityObject::new(
        HashAlgorithm::Sha256,
        files.iter().map(|(e, b)| (*e, b.as_slice())),
    );
    files.insert(
        Ef::Sod,
        sod::sign::<S, Sig>(&lso, ds_certificate_der, signer, signing_time)?,
    );
    ChipImage::checked(files, enrolment.keys.clone()).map_err(|e| match e {
        ChipImageError::Lds(e) => e,
        other => LdsError::new(Ef::Sod, LdsErrorKind::SignedImage(SourceError::new(other))),
    })
}
