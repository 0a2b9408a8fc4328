//! A signed ChipImage whose DG3 is behind Extended Access Control, for the tests and the
//! benchmark of Terminal Authentication (`tests/eac_ta.rs`, `benches/eac.rs`): PACE-CAM and
//! PACE-GM on brainpoolP256r1, Chip Authentication with key id 13 (AES-128), DG3 with two
//! fingers, and the trust point (a CVCA certificate) in its chip keys.

use std::time::SystemTime;

use permitkit_biometrics::FingerPosition;
use permitkit_biometrics::face_record::{
    COLOUR_SPACE_RGB24, FaceImage, FaceImageType, FacialRecord,
};
use permitkit_biometrics::finger_record::{FingerCompression, FingerImageRecord};
use permitkit_chip::ca::CaKeyPair;
use permitkit_chip::ec::Domain;
use permitkit_chip::random::OsRandom;
use permitkit_cvc::CvCertificate;
use permitkit_lds::security_infos::{
    CaProtocol, ChipAuthenticationInfo, ChipAuthenticationPublicKeyInfo, Cipher, ID_PK_ECDH,
    PaceInfo, PaceMapping, PaceProtocol, SecurityInfo,
};
use permitkit_lds::{ChipImage, ChipKeys, Dg1, Enrolment};
use permitkit_model::secret::SecretString;
use permitkit_pki::signer::FileKeySignature;
use permitkit_pki::test_pki::TestPki;

/// The CAN of the card.
pub const CAN: &str = "271828";
/// A Ukrainian temporary residence permit (document code IR, which the test Document Signer
/// may sign).
pub const MRZ: &str = concat!(
    "IRUKRFT12345670<<<<<<<<<<<<<<<",
    "8803148M2711195USA<<<<<<<<<<<8",
    "DOE<<JOHN<MICHAEL<<<<<<<<<<<<<"
);
/// Bytes of each finger image in DG3.
pub const DG3_FINGER_BYTES: usize = 9_000;

/// A signed image with PACE (chip authentication mapping and generic mapping, brainpoolP256r1),
/// Chip Authentication (key id 13, AES-128), DG3 with two fingers, and `trust_point` in its
/// chip keys.
pub fn image(pki: &TestPki, trust_point: &CvCertificate) -> ChipImage {
    let pace = [PaceMapping::ChipAuthentication, PaceMapping::Generic]
        .into_iter()
        .map(|mapping| {
            SecurityInfo::Pace(PaceInfo {
                protocol: PaceProtocol {
                    mapping,
                    ecdh: true,
                    cipher: Cipher::Aes128,
                }
                .oid()
                .unwrap(),
                version: 2,
                parameter_id: Some(13),
            })
        })
        .collect();
    let ca = CaKeyPair::generate(Some(13), Domain::BrainpoolP256r1, &mut OsRandom).unwrap();
    let keys = ChipKeys {
        can: Some(SecretString::from(CAN)),
        ca_private_key: Some(ca.private_key.clone()),
        trust_point: Some(trust_point.to_bytes().unwrap()),
        ..ChipKeys::default()
    };
    let finger = |p, seed: u8| {
        let data: Vec<u8> = (0..DG3_FINGER_BYTES)
            .map(|i| u8::try_from((i * 31 + usize::from(seed)) % 251).unwrap())
            .collect();
        FingerImageRecord::single(p, 80, 400, 500, FingerCompression::Wsq, data)
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
            [&[0xFF, 0xD8][..], &[0x5A; 4000], &[0xFF, 0xD9]].concat(),
        )),
        fingers: vec![
            finger(FingerPosition::RightIndex, 1),
            finger(FingerPosition::LeftIndex, 2),
        ],
        signature: None,
        dg11: None,
        dg12: None,
        pace,
        chip_authentication: vec![
            SecurityInfo::ChipAuthentication(ChipAuthenticationInfo {
                protocol: CaProtocol {
                    ecdh: true,
                    cipher: Cipher::Aes128,
                }
                .oid()
                .unwrap(),
                version: 1,
                key_id: Some(13),
            }),
            SecurityInfo::ChipAuthenticationPublicKey(ChipAuthenticationPublicKeyInfo {
                protocol: ID_PK_ECDH,
                public_key: ca.public_key().unwrap().to_spki().unwrap(),
                key_id: Some(13),
            }),
        ],
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
