//! From a validated application and its accepted captures to the chip builder's input
//! ([`permitkit_lds::Enrolment`]), applying the document profile: which data groups, the portrait
//! byte budget, fingerprints only with written consent, PACE and Active Authentication.

use std::fmt;

use p256::pkcs8::{DecodePublicKey, EncodePrivateKey, EncodePublicKey};

use crate::applicant::{Applicant, ApplicantError};
use permitkit_biometrics::{
    FingerPosition,
    face_record::{FaceImage, FaceImageType, FacialRecord},
    finger_record::{FingerCompression, FingerImageRecord},
};
use permitkit_lds::{
    ChipKeys, Dg1, Enrolment, SecurityInfo,
    security_infos::{
        ActiveAuthenticationInfo, ECDSA_WITH_SHA256, ID_PACE_ECDH_GM_AES_128,
        ID_PACE_ECDH_GM_AES_192, ID_PACE_ECDH_GM_AES_256, PaceInfo,
    },
};
use permitkit_model::profiles::document::{AaKeyType, PaceProtocolName, PortraitType};
use permitkit_model::secret::{SecretBytes, SecretString};

/// The portrait for DG2: a JPEG already cropped and compressed for the chip.
#[derive(Clone)]
pub struct Portrait {
    /// JPEG bytes.
    pub jpeg: Vec<u8>,
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// 19794-5 colour space code (1 = RGB24, 3 = grey).
    pub colour_space: u8,
    /// Subject's left eye centre (image right), when located.
    pub left_eye: Option<(u16, u16)>,
    /// Subject's right eye centre (image left), when located.
    pub right_eye: Option<(u16, u16)>,
}

impl fmt::Debug for Portrait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Portrait({}x{}, <{} bytes>)",
            self.width,
            self.height,
            self.jpeg.len()
        )
    }
}

/// One accepted finger for DG3: WSQ-compressed at 500 ppi.
#[derive(Clone)]
pub struct FingerCapture {
    /// Which finger.
    pub position: FingerPosition,
    /// Quality score 0–100.
    pub quality: u8,
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// WSQ bytes.
    pub wsq: Vec<u8>,
}

impl fmt::Debug for FingerCapture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "FingerCapture({}, q{}, {}x{}, <{} bytes>)",
            self.position,
            self.quality,
            self.width,
            self.height,
            self.wsq.len()
        )
    }
}

/// The accepted biometric captures of one application.
#[derive(Debug, Clone)]
pub struct Captures {
    /// Portrait.
    pub portrait: Portrait,
    /// Fingers, in the order chosen by the finger-selection rule.
    pub fingers: Vec<FingerCapture>,
    /// Signature image (JPEG) for DG7.
    pub signature_jpeg: Option<Vec<u8>>,
}

/// Secrets generated for one chip.
pub struct ChipSecrets {
    /// The card access number printed on the card.
    pub can: SecretString,
    /// Active Authentication key.
    pub aa_key: Option<p256::SecretKey>,
    /// The public key (DER SubjectPublicKeyInfo) of an Active Authentication key pair the chip
    /// generated itself (ISO/IEC 7816-8 GENERATE ASYMMETRIC KEY PAIR): DG15 carries it and
    /// there is no private key to store.
    pub aa_public_key_on_chip: Option<Vec<u8>>,
}

impl fmt::Debug for ChipSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ChipSecrets {{ aa_key: {}, aa_public_key_on_chip: {} }}",
            self.aa_key.is_some(),
            self.aa_public_key_on_chip.is_some()
        )
    }
}

impl ChipSecrets {
    /// A random CAN of `digits` digits and, when `aa` asks for one, a random AA key, from the
    /// operating system's generator.
    pub fn generate(digits: u8, aa: Option<AaKeyType>) -> crate::Result<Self> {
        let mut can = String::with_capacity(usize::from(digits));
        while can.len() < usize::from(digits) {
            let mut b = [0u8; 16];
            permitkit_model::random::fill_random(&mut b)?;
            // Rejection sampling keeps the digits uniform.
            can.extend(
                b.iter()
                    .filter(|&&x| x < 250)
                    .map(|&x| char::from(b'0' + x % 10)),
            );
            can.truncate(usize::from(digits));
        }
        let aa_key = match aa {
            Some(AaKeyType::EcdsaP256) => {
                use p256::elliptic_curve::Generate;
                Some(
                    p256::SecretKey::try_generate_from_rng(&mut getrandom::SysRng).map_err(
                        |e| crate::Error::Random(permitkit_model::random::RandomError::new(e)),
                    )?,
                )
            }
            None => None,
        };
        Ok(Self {
            can: SecretString::new(can),
            aa_key,
            aa_public_key_on_chip: None,
        })
    }

    /// A random CAN of `digits` digits, and for Active Authentication the public key the chip
    /// generated (`spki`, DER SubjectPublicKeyInfo): the private key stays on the chip.
    pub fn with_chip_key(digits: u8, spki: Vec<u8>) -> crate::Result<Self> {
        let mut secrets = Self::generate(digits, None)?;
        secrets.aa_public_key_on_chip = Some(spki);
        Ok(secrets)
    }
}

/// The chip builder's input for `applicant` with `captures` and `secrets`, following the
/// document profile. `personalization` (time `YYYYMMDDhhmmss`, device serial) goes into DG12.
pub fn enrolment(
    applicant: &Applicant,
    captures: &Captures,
    secrets: &ChipSecrets,
    personalization: Option<(String, String)>,
) -> Result<Enrolment, ApplicantError> {
    let profile = &applicant.document_profile;
    let err = |field: &str, reason: String| ApplicantError {
        file: applicant.application.clone(),
        field: field.into(),
        reason,
    };
    let wants = |dg: u8| profile.data_groups.contains(&dg);

    let p = &captures.portrait;
    if p.jpeg.len() > profile.portrait.max_bytes {
        return Err(err(
            "portrait",
            format!(
                "{} bytes exceed the {}-byte budget of {} (prepare the photo for the chip first)",
                p.jpeg.len(),
                profile.portrait.max_bytes,
                profile.id
            ),
        ));
    }
    if !p.jpeg.starts_with(&[0xFF, 0xD8]) {
        return Err(err("portrait", "is not a JPEG".into()));
    }
    let image_type = match profile.portrait.image_type {
        PortraitType::FullFrontal => FaceImageType::FullFrontal,
        PortraitType::TokenFrontal => FaceImageType::TokenFrontal,
    };
    let mut face = FaceImage::jpeg(
        image_type,
        p.width,
        p.height,
        p.colour_space,
        (0, 0),
        (0, 0),
        p.jpeg.clone(),
    );
    face.feature_points.clear();
    if let (Some(l), Some(r)) = (p.left_eye, p.right_eye) {
        face.feature_points = FaceImage::jpeg(image_type, 0, 0, 0, l, r, Vec::new()).feature_points;
    }
    face.gender = match applicant.mrz.sex() {
        permitkit_lds::mrz::Sex::Male => permitkit_biometrics::face_record::Gender::Male,
        permitkit_lds::mrz::Sex::Female => permitkit_biometrics::face_record::Gender::Female,
        permitkit_lds::mrz::Sex::Unspecified => {
            permitkit_biometrics::face_record::Gender::Unspecified
        }
    };

    let fingers = if applicant.writes_fingerprints() {
        if captures.fingers.is_empty() {
            return Err(err(
                "fingers",
                "the holder consented to fingerprints on the chip but none were captured".into(),
            ));
        }
        captures
            .fingers
            .iter()
            .map(|f| {
                FingerImageRecord::single(
                    f.position,
                    f.quality,
                    f.width,
                    f.height,
                    FingerCompression::Wsq,
                    f.wsq.clone(),
                )
            })
            .collect()
    } else {
        Vec::new()
    };

    let signature = if wants(7) {
        Some(captures.signature_jpeg.clone().ok_or_else(|| {
            err(
                "signature",
                format!(
                    "{} carries the holder's signature (DG7) but none was captured",
                    profile.id
                ),
            )
        })?)
    } else {
        None
    };

    let pace = profile
        .chip
        .pace
        .iter()
        .map(|o| {
            SecurityInfo::Pace(PaceInfo {
                protocol: match o.protocol {
                    PaceProtocolName::EcdhGmAes128 => ID_PACE_ECDH_GM_AES_128,
                    PaceProtocolName::EcdhGmAes192 => ID_PACE_ECDH_GM_AES_192,
                    PaceProtocolName::EcdhGmAes256 => ID_PACE_ECDH_GM_AES_256,
                },
                version: 2,
                parameter_id: Some(o.parameter_id),
            })
        })
        .collect();

    let mut keys = ChipKeys {
        can: Some(secrets.can.clone()),
        ..ChipKeys::default()
    };
    let aa_info = || {
        SecurityInfo::ActiveAuthentication(ActiveAuthenticationInfo {
            version: 1,
            signature_algorithm: ECDSA_WITH_SHA256,
        })
    };
    let on_chip = &secrets.aa_public_key_on_chip;
    let active_authentication = match (&secrets.aa_key, on_chip, profile.chip.active_authentication)
    {
        (None, Some(spki), Some(AaKeyType::EcdsaP256)) => {
            // Generated on the chip: DG15 carries its public key, no private key leaves it.
            p256::PublicKey::from_public_key_der(spki).map_err(|e| {
                err(
                    "active_authentication",
                    format!("the chip's public key is not a P-256 key: {e}"),
                )
            })?;
            Some((spki.clone(), aa_info()))
        }
        (Some(key), _, Some(AaKeyType::EcdsaP256)) => {
            let spki = key
                .public_key()
                .to_public_key_der()
                .map_err(|e| err("active_authentication", e.to_string()))?;
            let pkcs8 = key
                .to_pkcs8_der()
                .map_err(|e| err("active_authentication", e.to_string()))?;
            keys.aa_private_key = Some(SecretBytes::from_slice(pkcs8.as_bytes()));
            Some((spki.as_bytes().to_vec(), aa_info()))
        }
        (None, None, Some(_)) => {
            return Err(err(
                "active_authentication",
                "the profile requires an AA key".into(),
            ));
        }
        _ => None,
    };

    let mut dg12 = applicant.dg12.clone();
    if let Some((time, device)) = personalization {
        dg12.personalization_time = Some(time);
        dg12.personalization_device = Some(device);
    }
    let dg1 = Dg1::new(&applicant.mrz.to_dg1_string()).map_err(|e| err("mrz", e.to_string()))?;
    Ok(Enrolment {
        dg1,
        portrait: FacialRecord::single(face),
        fingers,
        signature,
        dg11: wants(11).then(|| applicant.dg11.clone()),
        dg12: wants(12).then_some(dg12),
        pace,
        active_authentication: if wants(15) {
            active_authentication
        } else {
            None
        },
        biometric_creation: None,
        keys,
    })
}
