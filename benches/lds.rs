//! `lds build` of a full card and passive authentication of it.
//!
//! The card: DG1 (TD1), DG2 with a ≈20 KB portrait, DG3 with two ≈12 KB fingers, DG7, DG11,
//! DG12, DG14 (PACE + AA infos), DG15, EF.CardAccess, EF.COM and EF.SOD signed with ECDSA P-256.
#![expect(
    clippy::unwrap_used,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::{hint::black_box, time::SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use p256::pkcs8::EncodePublicKey;
use permitkit_biometrics::{
    FingerPosition,
    face_record::{COLOUR_SPACE_RGB24, FaceImage, FaceImageType, FacialRecord},
    finger_record::{FingerCompression, FingerImageRecord},
};
use permitkit_lds::{
    self as lds, ChipKeys, Dg1, Dg11, Dg12, Enrolment, SecurityInfo,
    security_infos::{
        ActiveAuthenticationInfo, ECDSA_WITH_SHA256, ID_PACE_ECDH_GM_AES_128,
        PARAM_ID_BRAINPOOL_P256R1, PaceInfo,
    },
};
use permitkit_pki::{
    passive_authentication,
    signer::FileKeySignature,
    test_pki::{TestPki, TestPkiOptions},
};

fn noise(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect()
}

fn enrolment() -> Enrolment {
    let mrz = concat!(
        "IRUKRFT12345675<<<<<<<<<<<<<<<",
        "8803141M2711198USA<<<<<<<<<<<6",
        "DOE<<JOHN<MICHAEL<<<<<<<<<<<<<"
    );
    let portrait = FacialRecord::single(FaceImage::jpeg(
        FaceImageType::FullFrontal,
        480,
        600,
        COLOUR_SPACE_RGB24,
        (290, 270),
        (190, 270),
        noise(20_000, 1),
    ));
    let finger =
        |p, s| FingerImageRecord::single(p, 80, 400, 500, FingerCompression::Wsq, noise(12_000, s));
    let aa_key = p256::SecretKey::from_slice(&[9u8; 32]).unwrap();
    let aa_spki = aa_key.public_key().to_public_key_der().unwrap();
    Enrolment {
        dg1: Dg1::new(mrz).unwrap(),
        portrait,
        fingers: vec![
            finger(FingerPosition::RightIndex, 2),
            finger(FingerPosition::LeftIndex, 3),
        ],
        signature: Some(noise(4_000, 4)),
        dg11: Some(Dg11 {
            full_name: Some("ДОУ<<ДЖОН<МАЙКЛ".into()),
            full_date_of_birth: Some("19880314".into()),
            place_of_birth: Some("CHICAGO<USA".into()),
            permanent_address: Some("ВУЛ. ХРЕЩАТИК 1<КИЇВ".into()),
            ..Dg11::default()
        }),
        dg12: Some(Dg12 {
            issuing_authority: Some("ДМС 8041".into()),
            date_of_issue: Some("20261120".into()),
            ..Dg12::default()
        }),
        pace: vec![SecurityInfo::Pace(PaceInfo {
            protocol: ID_PACE_ECDH_GM_AES_128,
            version: 2,
            parameter_id: Some(PARAM_ID_BRAINPOOL_P256R1),
        })],
        chip_authentication: Vec::new(),
        active_authentication: Some((
            aa_spki.as_bytes().to_vec(),
            SecurityInfo::ActiveAuthentication(ActiveAuthenticationInfo {
                version: 1,
                signature_algorithm: ECDSA_WITH_SHA256,
            }),
        )),
        biometric_creation: None,
        keys: ChipKeys::default(),
    }
}

fn bench(c: &mut Criterion) {
    let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
    let e = enrolment();
    let now = SystemTime::now();
    c.bench_function("lds build (full card, signed)", |b| {
        b.iter(|| {
            lds::build::<_, FileKeySignature>(black_box(&e), &pki.ds_der, &pki.ds_key, now).unwrap()
        })
    });
    let image = lds::build::<_, FileKeySignature>(&e, &pki.ds_der, &pki.ds_key, now).unwrap();
    eprintln!(
        "full card: {} bytes in {} files",
        image.total_size(),
        image.file_map().len()
    );
    let sod = image.file(lds::Ef::Sod).unwrap().to_vec();
    let csca = vec![pki.csca_der.clone()];
    let t = i64::try_from(
        now.duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap();
    c.bench_function("passive authentication (full card)", |b| {
        b.iter(|| {
            let r = passive_authentication(black_box(&sod), image.file_map(), &csca, t);
            assert!(r.is_valid());
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
