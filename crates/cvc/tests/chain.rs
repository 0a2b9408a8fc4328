//! Chains signed here with RustCrypto keys on every supported curve verify; every rule of
//! `chain` refuses what it must (wrong issuer, signature, dates, role order, rights).
#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test code: an unexpected value fails the test loudly"
)]

use permitkit_cvc::{
    CertificateBody, ChainError, Chat, Curve, CvCertificate, CvDate, PublicKey, Reference, Role,
    VerifyError,
};
use permitkit_cvc::{DatePolicy, TrustPoint, verify_chain};
use signature::Signer;

/// A signing key on one of the curves (fixed scalars: the tests are reproducible).
enum Key {
    P256(p256::ecdsa::SigningKey),
    Bp256(ecdsa::SigningKey<bp256::BrainpoolP256r1>),
    P384(p384::ecdsa::SigningKey),
    Bp384(ecdsa::SigningKey<bp384::BrainpoolP384r1>),
}

impl Key {
    fn new(curve: Curve, seed: u8) -> Self {
        let scalar = |n: usize| {
            let mut s = vec![0x11; n];
            s[n - 1] = seed;
            s
        };
        match curve {
            Curve::P256 => Key::P256(p256::ecdsa::SigningKey::from_slice(&scalar(32)).unwrap()),
            Curve::BrainpoolP256r1 => {
                Key::Bp256(ecdsa::SigningKey::from_slice(&scalar(32)).unwrap())
            }
            Curve::P384 => Key::P384(p384::ecdsa::SigningKey::from_slice(&scalar(48)).unwrap()),
            Curve::BrainpoolP384r1 => {
                Key::Bp384(ecdsa::SigningKey::from_slice(&scalar(48)).unwrap())
            }
            _ => unreachable!(),
        }
    }

    fn point(&self) -> Vec<u8> {
        match self {
            Key::P256(k) => k.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
            Key::Bp256(k) => k.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
            Key::P384(k) => k.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
            Key::Bp384(k) => k.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
        }
    }

    fn sign(&self, msg: &[u8]) -> Vec<u8> {
        match self {
            Key::P256(k) => Signer::<p256::ecdsa::Signature>::sign(k, msg)
                .to_bytes()
                .to_vec(),
            Key::Bp256(k) => Signer::<ecdsa::Signature<_>>::sign(k, msg)
                .to_bytes()
                .to_vec(),
            Key::P384(k) => Signer::<p384::ecdsa::Signature>::sign(k, msg)
                .to_bytes()
                .to_vec(),
            Key::Bp384(k) => Signer::<ecdsa::Signature<_>>::sign(k, msg)
                .to_bytes()
                .to_vec(),
        }
    }
}

fn date(s: &str) -> CvDate {
    s.parse().unwrap()
}

struct Pki {
    curve: Curve,
    cvca: CvCertificate,
    dv: CvCertificate,
    is: CvCertificate,
}

#[expect(
    clippy::too_many_arguments,
    reason = "a test helper naming every field it sets"
)]
fn issue(
    issuer: &Key,
    car: &str,
    holder: &Key,
    chr: &str,
    chat: Chat,
    curve: Curve,
    with_domain: bool,
    validity: (&str, &str),
) -> CvCertificate {
    let body = CertificateBody {
        profile_identifier: 0,
        authority: Reference::from_bytes(car.as_bytes()).unwrap(),
        public_key: PublicKey::ecdsa(
            curve.default_algorithm(),
            with_domain.then(|| curve.domain_parameters()),
            holder.point(),
        ),
        holder: Reference::from_bytes(chr.as_bytes()).unwrap(),
        chat,
        effective: date(validity.0),
        expiration: date(validity.1),
        extensions: Vec::new(),
    };
    let sig = issuer.sign(&body.encode().unwrap());
    CvCertificate::from_parts(body, sig).unwrap()
}

fn pki(curve: Curve, dv_rights: (bool, bool), is_rights: (bool, bool)) -> (Pki, [Key; 3]) {
    let keys = [Key::new(curve, 1), Key::new(curve, 2), Key::new(curve, 3)];
    let cvca = issue(
        &keys[0],
        "UACVCA00001",
        &keys[0],
        "UACVCA00001",
        Chat::inspection_system(Role::Cvca, true, true),
        curve,
        true,
        ("2025-01-01", "2028-01-01"),
    );
    let dv = issue(
        &keys[0],
        "UACVCA00001",
        &keys[1],
        "UADV00001",
        Chat::inspection_system(Role::DvDomestic, dv_rights.0, dv_rights.1),
        curve,
        false,
        ("2025-06-01", "2026-06-01"),
    );
    let is = issue(
        &keys[1],
        "UADV00001",
        &keys[2],
        "UAIS00001",
        Chat::inspection_system(Role::Terminal, is_rights.0, is_rights.1),
        curve,
        false,
        ("2025-07-01", "2025-08-01"),
    );
    (
        Pki {
            curve,
            cvca,
            dv,
            is,
        },
        keys,
    )
}

const CURVES: [Curve; 4] = [
    Curve::P256,
    Curve::BrainpoolP256r1,
    Curve::P384,
    Curve::BrainpoolP384r1,
];

#[test]
fn a_chain_signed_on_each_curve_verifies_and_round_trips() {
    for curve in CURVES {
        let (p, keys) = pki(curve, (true, false), (true, true));
        for c in [&p.cvca, &p.dv, &p.is] {
            let again = CvCertificate::decode(&c.to_bytes().unwrap()).unwrap();
            assert_eq!(&again, c, "{curve}");
        }
        let tp = TrustPoint::from_certificate(&p.cvca).unwrap();
        // The self-signed CVCA verifies with its own key.
        tp.as_verified()
            .verify_signature(p.cvca.body_bytes(), p.cvca.signature())
            .unwrap();
        let end = verify_chain(
            &[tp],
            &[p.dv.clone(), p.is.clone()],
            date("2025-07-15"),
            DatePolicy::Validity,
        )
        .unwrap();
        assert_eq!(end.curve, p.curve);
        assert_eq!(end.role, Role::Terminal);
        // DG4 was granted to the IS but not to its DV: the effective CHAT drops it.
        assert!(end.effective_chat.reads_dg3(), "{curve}");
        assert!(!end.effective_chat.reads_dg4(), "{curve}");
        // The terminal's own signature verifies with the verified key.
        let msg = b"ID_PICC || r_PICC || Comp(PK)";
        end.verify_signature(msg, &keys[2].sign(msg)).unwrap();
        assert_eq!(
            end.verify_signature(msg, &keys[1].sign(msg)),
            Err(VerifyError::Mismatch)
        );
    }
}

#[test]
fn the_chain_rules_refuse_what_they_must() {
    let (p, keys) = pki(Curve::P256, (true, true), (true, false));
    let tp = TrustPoint::from_certificate(&p.cvca).unwrap();
    let today = date("2025-07-15");
    let run = |chain: &[CvCertificate], d: CvDate, policy| {
        verify_chain(std::slice::from_ref(&tp), chain, d, policy)
    };

    // Tampered signature.
    let mut sig = p.is.signature().to_vec();
    sig[5] ^= 1;
    let forged = CvCertificate::from_parts(p.is.body().clone(), sig).unwrap();
    assert!(matches!(
        run(&[p.dv.clone(), forged], today, DatePolicy::Validity),
        Err(ChainError::Signature {
            source: VerifyError::Mismatch,
            ..
        })
    ));
    // The IS without its DV: its CAR names no trust point.
    assert!(matches!(
        run(std::slice::from_ref(&p.is), today, DatePolicy::Validity),
        Err(ChainError::UnknownAuthority { .. })
    ));
    // A chain to another CVCA.
    let (other, _) = pki(Curve::P256, (true, true), (true, true));
    let other_dv = issue(
        &Key::new(Curve::P256, 9),
        "UACVCA00001",
        &keys[1],
        "UADV00001",
        Chat::inspection_system(Role::DvDomestic, true, true),
        Curve::P256,
        false,
        ("2025-06-01", "2026-06-01"),
    );
    assert!(matches!(
        run(&[other_dv, p.is.clone()], today, DatePolicy::Validity),
        Err(ChainError::Signature { .. })
    ));
    drop(other);
    // Expired IS, relative to both policies.
    for policy in [DatePolicy::Validity, DatePolicy::ChipCurrentDate] {
        assert!(matches!(
            run(&[p.dv.clone(), p.is.clone()], date("2025-08-02"), policy),
            Err(ChainError::Expired { .. })
        ));
    }
    // Not yet valid: refused by a terminal, not by a chip whose date lags.
    assert!(matches!(
        run(
            &[p.dv.clone(), p.is.clone()],
            date("2025-06-15"),
            DatePolicy::Validity
        ),
        Err(ChainError::NotYetValid { .. })
    ));
    run(
        &[p.dv.clone(), p.is.clone()],
        date("2025-06-15"),
        DatePolicy::ChipCurrentDate,
    )
    .unwrap();
    // Role order: an IS directly under the CVCA, a DV under a DV.
    let is_under_cvca = issue(
        &keys[0],
        "UACVCA00001",
        &keys[2],
        "UAIS00002",
        Chat::inspection_system(Role::Terminal, true, true),
        Curve::P256,
        false,
        ("2025-07-01", "2025-08-01"),
    );
    assert!(matches!(
        run(&[is_under_cvca], today, DatePolicy::Validity),
        Err(ChainError::RoleOrder {
            role: Role::Terminal,
            issuer: Role::Cvca,
            ..
        })
    ));
    // An IS without the DG3 bit verifies, and its effective CHAT grants no DG3.
    let (q, _) = pki(Curve::P256, (true, true), (false, false));
    let tq = TrustPoint::from_certificate(&q.cvca).unwrap();
    let end = verify_chain(&[tq], &[q.dv, q.is], today, DatePolicy::Validity).unwrap();
    assert!(!end.effective_chat.reads_dg3());
}

#[test]
fn a_link_certificate_carries_trust_to_the_new_cvca() {
    let (p, keys) = pki(Curve::BrainpoolP256r1, (true, true), (true, true));
    let new_key = Key::new(Curve::BrainpoolP256r1, 7);
    // The new CVCA's link certificate: signed by the old CVCA key, CAR the old CVCA.
    let link = issue(
        &keys[0],
        "UACVCA00001",
        &new_key,
        "UACVCA00002",
        Chat::inspection_system(Role::Cvca, true, true),
        Curve::BrainpoolP256r1,
        true,
        ("2025-07-01", "2029-07-01"),
    );
    let dv2 = issue(
        &new_key,
        "UACVCA00002",
        &keys[1],
        "UADV00002",
        Chat::inspection_system(Role::DvDomestic, true, true),
        Curve::BrainpoolP256r1,
        false,
        ("2025-07-01", "2026-07-01"),
    );
    let is2 = issue(
        &keys[1],
        "UADV00002",
        &keys[2],
        "UAIS00002",
        Chat::inspection_system(Role::Terminal, true, false),
        Curve::BrainpoolP256r1,
        false,
        ("2025-07-01", "2025-08-01"),
    );
    let old = TrustPoint::from_certificate(&p.cvca).unwrap();
    let today = date("2025-07-15");
    // Without the link certificate the new chain is unknown to a holder of the old trust point.
    assert!(matches!(
        verify_chain(
            std::slice::from_ref(&old),
            &[dv2.clone(), is2.clone()],
            today,
            DatePolicy::Validity
        ),
        Err(ChainError::UnknownAuthority { .. })
    ));
    let end = verify_chain(
        std::slice::from_ref(&old),
        &[link.clone(), dv2.clone(), is2.clone()],
        today,
        DatePolicy::Validity,
    )
    .unwrap();
    assert_eq!(end.holder.to_string(), "UAIS00002");
    // The verified link certificate is the new trust point.
    let link_verified = old
        .as_verified()
        .verify_next(&link, today, DatePolicy::Validity)
        .unwrap();
    let new = TrustPoint::from_verified(link_verified).unwrap();
    verify_chain(&[new], &[dv2, is2], today, DatePolicy::Validity).unwrap();
    // A forged link certificate (signed by the new key itself) does not verify.
    let forged = issue(
        &new_key,
        "UACVCA00001",
        &new_key,
        "UACVCA00002",
        Chat::inspection_system(Role::Cvca, true, true),
        Curve::BrainpoolP256r1,
        true,
        ("2025-07-01", "2029-07-01"),
    );
    assert!(matches!(
        verify_chain(&[old], &[forged], today, DatePolicy::Validity),
        Err(ChainError::Signature { .. })
    ));
}
