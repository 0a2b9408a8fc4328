//! From a validated application and its accepted captures to the chip builder's input
//! ([`permitkit_lds::Enrolment`]), applying the document profile: which data groups, the portrait
//! byte budget, fingerprints only with written consent, PACE (generic, integrated or chip
//! authentication mapping), Chip Authentication (ICAO 9303-11 §6.2: DG14's key infos, the key
//! made on the chip or here) and Active Authentication.

use std::fmt;

use p256::pkcs8::{DecodePublicKey, EncodePrivateKey, EncodePublicKey};

use crate::applicant::{Applicant, ApplicantError};
use permitkit_biometrics::{
    FingerPosition,
    face_record::{FaceImage, FaceImageType, FacialRecord},
    finger_record::{FingerCompression, FingerImageRecord},
};
use permitkit_chip::ca::{CaKeyPair, CaPublicKey};
use permitkit_chip::ec::Domain;
use permitkit_lds::{
    ChipKeys, Dg1, Enrolment, SecurityInfo,
    security_infos::{
        ActiveAuthenticationInfo, CaProtocol, ChipAuthenticationInfo,
        ChipAuthenticationPublicKeyInfo, Cipher, ECDSA_WITH_SHA256, ID_PK_ECDH, PaceInfo,
        PaceMapping, PaceProtocol,
    },
};
use permitkit_model::profiles::document::{
    AaKeyType, CaProtocolName, DocumentProfile, PaceProtocolName, PortraitType,
};
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
    /// Chip Authentication key pair made here, when the chip cannot make its own: DG14 carries
    /// its public key, chip-keys.json its private key until the chip holds it.
    pub ca_key: Option<CaKeyPair>,
    /// The public key of a Chip Authentication key pair the chip generated itself: DG14
    /// carries it and there is no private key to store.
    pub ca_public_key_on_chip: Option<CaPublicKey>,
    /// The chip's trust point for Terminal Authentication (the CVCA certificate, TR-03110-3
    /// encoding) when the document profile protects data groups by EAC (`chip.eac`).
    pub trust_point: Option<Vec<u8>>,
}

impl fmt::Debug for ChipSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ChipSecrets {{ aa_key: {}, aa_public_key_on_chip: {}, ca_key: {}, ca_public_key_on_chip: {} }}",
            self.aa_key.is_some(),
            self.aa_public_key_on_chip.is_some(),
            self.ca_key.is_some(),
            self.ca_public_key_on_chip.is_some()
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
            ca_key: None,
            ca_public_key_on_chip: None,
            trust_point: None,
        })
    }

    /// The chip's trust point for Terminal Authentication: the CVCA certificate (its bytes, as
    /// `pki eac init` writes `cvca.cvcert`).
    pub fn with_trust_point(mut self, cvca: Vec<u8>) -> Self {
        self.trust_point = Some(cvca);
        self
    }

    /// The Chip Authentication key the document profile asks for: the one the chip generated
    /// (`on_chip`), else a fresh key pair made here from the operating system's generator.
    pub fn with_chip_authentication(
        mut self,
        profile: &DocumentProfile,
        on_chip: Option<CaPublicKey>,
    ) -> crate::Result<Self> {
        let Some((key_id, domain)) = ca_key_request(profile) else {
            return Ok(self);
        };
        match on_chip {
            Some(public) => self.ca_public_key_on_chip = Some(public),
            None => {
                let key =
                    CaKeyPair::generate(key_id, domain, &mut permitkit_chip::random::OsRandom)
                        .map_err(|e| {
                            crate::Error::Random(permitkit_model::random::RandomError::new(e))
                        })?;
                self.ca_key = Some(key);
            }
        }
        Ok(self)
    }

    /// A random CAN of `digits` digits, and for Active Authentication the public key the chip
    /// generated (`spki`, DER SubjectPublicKeyInfo): the private key stays on the chip.
    pub fn with_chip_key(digits: u8, spki: Vec<u8>) -> crate::Result<Self> {
        let mut secrets = Self::generate(digits, None)?;
        secrets.aa_public_key_on_chip = Some(spki);
        Ok(secrets)
    }
}

/// The Chip Authentication key the document profile asks for: its key id and curve. The key id
/// is the PACE parameter id when the profile offers PACE-CAM (the terminal picks the key by it,
/// 9303-11 §4.4.3.5.2); with a single key and no PACE-CAM there is none.
pub fn ca_key_request(profile: &DocumentProfile) -> Option<(Option<u32>, Domain)> {
    if !profile.data_groups.contains(&14) {
        return None;
    }
    let ca = profile.chip.chip_authentication.as_ref()?;
    let domain = Domain::from_parameter_id(ca.parameter_id)?;
    let cam = profile
        .chip
        .pace
        .iter()
        .any(|o| pace_protocol(o.protocol).mapping == PaceMapping::ChipAuthentication);
    Some((cam.then_some(ca.parameter_id), domain))
}

/// What a profile's PACE protocol name names.
fn pace_protocol(name: PaceProtocolName) -> PaceProtocol {
    let (mapping, cipher) = match name {
        PaceProtocolName::EcdhGmAes128 => (PaceMapping::Generic, Cipher::Aes128),
        PaceProtocolName::EcdhGmAes192 => (PaceMapping::Generic, Cipher::Aes192),
        PaceProtocolName::EcdhGmAes256 => (PaceMapping::Generic, Cipher::Aes256),
        PaceProtocolName::EcdhImAes128 => (PaceMapping::Integrated, Cipher::Aes128),
        PaceProtocolName::EcdhImAes192 => (PaceMapping::Integrated, Cipher::Aes192),
        PaceProtocolName::EcdhImAes256 => (PaceMapping::Integrated, Cipher::Aes256),
        PaceProtocolName::EcdhCamAes128 => (PaceMapping::ChipAuthentication, Cipher::Aes128),
        PaceProtocolName::EcdhCamAes192 => (PaceMapping::ChipAuthentication, Cipher::Aes192),
        PaceProtocolName::EcdhCamAes256 => (PaceMapping::ChipAuthentication, Cipher::Aes256),
    };
    PaceProtocol {
        mapping,
        ecdh: true,
        cipher,
    }
}

/// What a profile's Chip Authentication protocol name names.
fn ca_protocol(name: CaProtocolName) -> CaProtocol {
    let cipher = match name {
        CaProtocolName::Ecdh3Des => Cipher::Tdes,
        CaProtocolName::EcdhAes128 => Cipher::Aes128,
        CaProtocolName::EcdhAes192 => Cipher::Aes192,
        CaProtocolName::EcdhAes256 => Cipher::Aes256,
    };
    CaProtocol { ecdh: true, cipher }
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

    let mut pace = Vec::with_capacity(profile.chip.pace.len());
    for (i, o) in profile.chip.pace.iter().enumerate() {
        let protocol = pace_protocol(o.protocol).oid().ok_or_else(|| {
            err(
                &format!("chip.pace[{i}]"),
                "names no id-PACE protocol".into(),
            )
        })?;
        pace.push(SecurityInfo::Pace(PaceInfo {
            protocol,
            version: 2,
            parameter_id: Some(o.parameter_id),
        }));
    }

    let mut keys = ChipKeys {
        can: Some(secrets.can.clone()),
        trust_point: secrets.trust_point.clone(),
        ..ChipKeys::default()
    };
    // Data groups behind Extended Access Control need the trust point the chip will check
    // terminals against (9303-11 §7.1): without it they would be readable by anyone.
    let eac_protected = |dg: u8| profile.chip.eac.as_ref().is_some_and(|e| e.protects(dg));
    if eac_protected(3) && !fingers.is_empty() && secrets.trust_point.is_none() {
        return Err(err(
            "chip.eac",
            format!(
                "{} gives DG3 only to terminals Terminal Authentication admits, but no trust \
                 point (CVCA certificate, `{}` in the PKI folder) was given",
                profile.id,
                profile
                    .chip
                    .eac
                    .as_ref()
                    .map_or("", |e| e.trust_point.as_str())
            ),
        ));
    }
    let chip_authentication = match (&profile.chip.chip_authentication, ca_key_request(profile)) {
        (Some(offer), Some((key_id, domain))) => {
            let public = match (&secrets.ca_key, &secrets.ca_public_key_on_chip) {
                (_, Some(public)) => public.clone(),
                (Some(key), None) => {
                    keys.ca_private_key = Some(key.private_key.clone());
                    key.public_key()
                        .map_err(|e| err("chip_authentication", e.to_string()))?
                }
                (None, None) => {
                    return Err(err(
                        "chip_authentication",
                        "the profile requires a Chip Authentication key".into(),
                    ));
                }
            };
            if public.domain != domain {
                return Err(err(
                    "chip_authentication",
                    format!(
                        "the key is on {}, the profile asks for {domain}",
                        public.domain
                    ),
                ));
            }
            let spki = public
                .to_spki()
                .map_err(|e| err("chip_authentication", e.to_string()))?;
            let protocol = ca_protocol(offer.protocol)
                .oid()
                .ok_or_else(|| err("chip_authentication", "names no id-CA protocol".into()))?;
            vec![
                SecurityInfo::ChipAuthentication(ChipAuthenticationInfo {
                    protocol,
                    version: 1,
                    key_id,
                }),
                SecurityInfo::ChipAuthenticationPublicKey(ChipAuthenticationPublicKeyInfo {
                    protocol: ID_PK_ECDH,
                    public_key: spki,
                    key_id,
                }),
            ]
        }
        _ => Vec::new(),
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
        chip_authentication,
        active_authentication: if wants(15) {
            active_authentication
        } else {
            None
        },
        biometric_creation: None,
        keys,
    })
}
