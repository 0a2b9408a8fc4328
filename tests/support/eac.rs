//! Signed ChipImages with Chip Authentication and PACE-CAM/IM for the tests of ICAO Doc 9303-11
//! §6.2 and §4.4 (in process and through pcscd + vpcd): built by `permitkit_lds::build` and
//! signed by a TEST ONLY PKI, so that passive authentication holds and only what a test breaks
//! fails.

use std::time::SystemTime;

use permitkit_biometrics::face_record::{
    COLOUR_SPACE_RGB24, FaceImage, FaceImageType, FacialRecord,
};
use permitkit_chip::ca::{CaKeyPair, CaPublicKey};
use permitkit_chip::ec::Domain;
use permitkit_chip::identity::ChipSerialSource;
use permitkit_chip::perso::{Dialect, LockPermission, PersoInput, PersoLimits, PersoOptions};
use permitkit_chip::random::OsRandom;
use permitkit_lds::security_infos::{
    CaProtocol, ChipAuthenticationInfo, ChipAuthenticationPublicKeyInfo, Cipher, ID_PK_ECDH,
    PaceInfo, PaceMapping, PaceProtocol, SecurityInfo,
};
use permitkit_lds::{ChipImage, ChipKeys, Dg1, Enrolment};
use permitkit_model::secret::SecretString;
use permitkit_pki::signer::FileKeySignature;
use permitkit_pki::test_pki::{TestPki, TestPkiOptions};

/// The CAN of every card here.
pub const CAN: &str = "314159";

/// The MRZ of every card here (a Ukrainian temporary residence permit).
pub const MRZ: &str = concat!(
    "IRUKRFT12345670<<<<<<<<<<<<<<<",
    "8803148M2711195USA<<<<<<<<<<<8",
    "DOE<<JOHN<MICHAEL<<<<<<<<<<<<<"
);

/// What a card offers.
#[derive(Debug, Clone)]
pub struct EacCard {
    /// PACE: mapping, cipher, parameter id; none means BAC only.
    pub pace: Vec<(PaceMapping, Cipher, u32)>,
    /// Chip Authentication: cipher and curve of DG14's key.
    pub ca: Option<(Cipher, Domain)>,
    /// The key id of DG14's key (PACE-CAM needs the parameter id).
    pub key_id: Option<u32>,
    /// Full size: DG2 of about 20 KB and DG3 with two fingers of about 12 KB each (filler
    /// image bytes in well-formed records), as in the `chip` benchmark; else a 4 KB portrait.
    pub full_size: bool,
}

impl EacCard {
    /// PACE-GM on brainpoolP256r1 and Chip Authentication with `cipher` on `domain`.
    pub fn ca(cipher: Cipher, domain: Domain) -> Self {
        Self {
            pace: vec![(PaceMapping::Generic, Cipher::Aes128, 13)],
            ca: Some((cipher, domain)),
            key_id: None,
            full_size: false,
        }
    }

    /// PACE with `mapping` (AES-128, brainpoolP256r1) and Chip Authentication with key id 13.
    pub fn pace(mapping: PaceMapping) -> Self {
        Self {
            pace: vec![(mapping, Cipher::Aes128, 13)],
            ca: Some((Cipher::Aes128, Domain::BrainpoolP256r1)),
            key_id: Some(13),
            full_size: false,
        }
    }
}

/// A TEST ONLY PKI for Ukrainian residence permits.
pub fn pki() -> TestPki {
    TestPki::generate(&TestPkiOptions::default()).unwrap()
}

/// The signed image of `card`, with its Chip Authentication key made here (`on_chip`: the
/// public key of a key pair the chip made instead).
pub fn image(pki: &TestPki, card: &EacCard, on_chip: Option<CaPublicKey>) -> ChipImage {
    let pace: Vec<SecurityInfo> = card
        .pace
        .iter()
        .map(|(mapping, cipher, id)| {
            SecurityInfo::Pace(PaceInfo {
                protocol: PaceProtocol {
                    mapping: *mapping,
                    ecdh: true,
                    cipher: *cipher,
                }
                .oid()
                .unwrap(),
                version: 2,
                parameter_id: Some(*id),
            })
        })
        .collect();
    let mut keys = ChipKeys {
        can: Some(SecretString::from(CAN)),
        ..ChipKeys::default()
    };
    let chip_authentication = match card.ca {
        None => Vec::new(),
        Some((cipher, domain)) => {
            let public = match on_chip {
                Some(p) => p,
                None => {
                    let pair = CaKeyPair::generate(card.key_id, domain, &mut OsRandom).unwrap();
                    keys.ca_private_key = Some(pair.private_key.clone());
                    pair.public_key().unwrap()
                }
            };
            vec![
                SecurityInfo::ChipAuthentication(ChipAuthenticationInfo {
                    protocol: CaProtocol { ecdh: true, cipher }.oid().unwrap(),
                    version: 1,
                    key_id: card.key_id,
                }),
                SecurityInfo::ChipAuthenticationPublicKey(ChipAuthenticationPublicKeyInfo {
                    protocol: ID_PK_ECDH,
                    public_key: public.to_spki().unwrap(),
                    key_id: card.key_id,
                }),
            ]
        }
    };
    let enrolment = Enrolment {
        dg1: Dg1::new(MRZ).unwrap(),
        portrait: FacialRecord::single(FaceImage::jpeg(
            FaceImageType::FullFrontal,
            480,
            600,
            COLOUR_SPACE_RGB24,
            (290, 270),
            (190, 270),
            [
                &[0xFF, 0xD8][..],
                &vec![0x5A; if card.full_size { 20_000 } else { 4000 }],
                &[0xFF, 0xD9],
            ]
            .concat(),
        )),
        fingers: if card.full_size {
            use permitkit_biometrics::finger_record::{FingerCompression, FingerImageRecord};
            use permitkit_model::finger_position::FingerPosition;
            [FingerPosition::RightIndex, FingerPosition::LeftIndex]
                .into_iter()
                .map(|f| {
                    FingerImageRecord::single(
                        f,
                        80,
                        500,
                        500,
                        FingerCompression::Wsq,
                        vec![0xA5; 12_000],
                    )
                })
                .collect()
        } else {
            Vec::new()
        },
        signature: None,
        dg11: None,
        dg12: None,
        pace,
        chip_authentication,
        active_authentication: None,
        biometric_creation: None,
        keys,
    };
    permitkit_lds::build::<_, FileKeySignature>(
        &enrolment,
        &pki.ds_der,
        &pki.ds_key,
        SystemTime::now(),
    )
    .unwrap()
}

/// The personalization input of `image` (its Chip Authentication key, if any, stored by PUT
/// DATA).
pub fn input(image: &ChipImage) -> PersoInput {
    PersoInput::try_from(image).unwrap()
}

/// Personalization options for the virtual chip's dialect with `limits`.
pub fn options(limits: PersoLimits, lock: bool) -> PersoOptions<'static> {
    PersoOptions {
        dialect: Dialect::PermitkitV1,
        chip_serial: ChipSerialSource::GpCplc,
        limits,
        lock: lock.then(LockPermission::irreversible),
        verifier: None,
    }
}
