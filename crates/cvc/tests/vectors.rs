//! Published CV certificates decode field by field and encode back to the same bytes: the BSI
//! "Worked Example for EAC" v1.01 chain (as reproduced in OpenPACE's `src/eactest.c`) and the
//! Dutch test passport chain shipped with JMRTD (testdata/cvc/SOURCES). Their curves
//! (brainpoolP512r1, brainpoolP224r1) are not ones this crate verifies on; OpenSSL checks their
//! signatures in `tests/cvc_openssl.rs` of the workspace root.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: an unexpected value fails the test loudly"
)]

use permitkit_cvc::KeyMaterial;
use permitkit_cvc::{
    ChainError, CvCertificate, CvDate, HashAlgorithm, Role, TaAlgorithm, TerminalType, VerifyError,
};
use permitkit_cvc::{DatePolicy, TrustPoint, verify_chain};

fn load(name: &str) -> Vec<u8> {
    let path = format!("{}/../../testdata/cvc/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn date(s: &str) -> CvDate {
    s.parse().unwrap()
}

#[test]
fn the_bsi_worked_example_chain_decodes_and_re_encodes_byte_for_byte() {
    let cvca_bytes = load("bsi-worked-example-cvca.cvcert");
    let cvca = CvCertificate::decode(&cvca_bytes).unwrap();
    let b = cvca.body();
    assert_eq!(b.authority.to_string(), "DECVCAAT00001");
    assert_eq!(b.holder.to_string(), "DECVCAAT00001");
    assert_eq!(
        b.public_key.algorithm,
        TaAlgorithm::Ecdsa(HashAlgorithm::Sha512)
    );
    let domain = b.public_key.domain().unwrap();
    // brainpoolP512r1 (RFC 5639 §3.7): p starts AADD9DB8, 64 bytes; cofactor 1.
    assert_eq!(domain.prime.len(), 64);
    assert_eq!(domain.prime[..4], [0xAA, 0xDD, 0x9D, 0xB8]);
    assert_eq!(domain.cofactor.as_deref(), Some(&[1u8][..]));
    // The example's CVCA CHAT is id-IS C3 (CVCA, DG3 and DG4), its terminal's id-AT.
    assert_eq!(*b.chat.terminal_type(), TerminalType::InspectionSystem);
    assert_eq!(b.chat.role(), Role::Cvca);
    assert_eq!(b.chat.template(), [0xC3]);
    assert_eq!(
        (b.effective, b.expiration),
        (date("2010-09-30"), date("2011-09-25"))
    );
    assert_eq!(cvca.signature().len(), 128);
    assert_eq!(cvca.to_bytes().unwrap(), cvca_bytes);
    assert_eq!(cvca.body().encode().unwrap(), cvca.body_bytes());

    let dv_bytes = load("bsi-worked-example-dv.cvcert");
    let dv = CvCertificate::decode(&dv_bytes).unwrap();
    assert_eq!(dv.authority().to_string(), "DECVCAAT00001");
    assert_eq!(dv.holder().to_string(), "DETESTDVDE019");
    assert!(dv.body().public_key.domain().is_none());
    assert_eq!(dv.to_bytes().unwrap(), dv_bytes);

    let at_bytes = load("bsi-worked-example-at.cvcert");
    let at = CvCertificate::decode(&at_bytes).unwrap();
    let b = at.body();
    assert_eq!(b.authority.to_string(), "DETESTDVDE019");
    assert_eq!(b.holder.to_string(), "DETESTATDE019");
    assert_eq!(
        *b.chat.terminal_type(),
        TerminalType::AuthenticationTerminal
    );
    assert_eq!(b.chat.role(), Role::Terminal);
    assert_eq!(b.chat.template(), [0x00, 0x00, 0x00, 0x01, 0x10]);
    assert_eq!(
        (b.effective, b.expiration),
        (date("2010-09-30"), date("2010-10-30"))
    );
    let KeyMaterial::Ec { point, .. } = &b.public_key.material else {
        panic!("an EC key");
    };
    assert_eq!(point.len(), 129);
    assert_eq!(at.to_bytes().unwrap(), at_bytes);
    // PSO:Verify Certificate data is the body and the signature without the 7F21 wrapper.
    let pso = at.pso_data().unwrap();
    assert_eq!(pso, at_bytes[5..]);
    assert_eq!(CvCertificate::decode_pso(&pso).unwrap(), at);

    // brainpoolP512r1 is not a curve this crate verifies on: the chain is refused as such.
    assert_eq!(
        TrustPoint::from_certificate(&cvca).unwrap_err(),
        ChainError::Curve {
            holder: cvca.holder().clone(),
            source: VerifyError::UnsupportedCurve
        }
    );
}

#[test]
fn the_jmrtd_test_passport_chain_decodes_as_the_spec_digest_says() {
    let cvca = CvCertificate::decode(&load("jmrtd-cvca-orig.cvcert")).unwrap();
    assert_eq!(cvca.holder().to_string(), "NLCVCAA00001");
    assert_eq!(cvca.body().chat.template(), [0xC1]);
    let dv = CvCertificate::decode(&load("jmrtd-dvd-orig.cvcert")).unwrap();
    assert_eq!(dv.holder().to_string(), "NLDVAAANL001");
    assert_eq!(dv.body().chat.role(), Role::DvDomestic);
    let is_bytes = load("jmrtd-is-orig.cvcert");
    let is = CvCertificate::decode(&is_bytes).unwrap();
    let b = is.body();
    // docs/spec/security-protocols.md §6: CAR NLDVAAANL001, ECDSA-SHA224, CHR NLIS7202000NL001,
    // CHAT id-IS 01 (read DG3), 2009-05-18 to 2009-11-18.
    assert_eq!(b.authority.to_string(), "NLDVAAANL001");
    assert_eq!(
        b.public_key.algorithm,
        TaAlgorithm::Ecdsa(HashAlgorithm::Sha224)
    );
    assert_eq!(b.holder.to_string(), "NLIS7202000NL001");
    assert_eq!(*b.chat.terminal_type(), TerminalType::InspectionSystem);
    assert!(b.chat.reads_dg3() && !b.chat.reads_dg4());
    assert_eq!(b.chat.role(), Role::Terminal);
    assert_eq!(
        (b.effective, b.expiration),
        (date("2009-05-18"), date("2009-11-18"))
    );
    assert_eq!(is.signature().len(), 56);
    assert_eq!(is.to_bytes().unwrap(), is_bytes);
    // brainpoolP224r1 is not supported for verification.
    assert!(TrustPoint::from_certificate(&cvca).is_err());
    let _ = verify_chain(&[], &[dv, is], date("2009-06-01"), DatePolicy::Validity).unwrap_err();
}

#[test]
fn malformed_certificates_name_the_field_and_the_offset() {
    let good = load("jmrtd-is-orig.cvcert");
    // The profile identifier 5F29 01 00 sits at bytes 8..12 (7F21 81D1 7F4E 8192 5F29 01 00).
    assert_eq!(good[8..12], [0x5F, 0x29, 0x01, 0x00]);
    let mut bad = good.clone();
    bad[11] = 0x01;
    let e = CvCertificate::decode(&bad).unwrap_err();
    assert_eq!(
        e.to_string(),
        "CV certificate: certificate profile identifier (data object 5F29 at byte 8): \
         certificate profile identifier 01; only 00 (version 1) exists"
    );
    // A date digit out of range.
    let pos = good
        .windows(3)
        .position(|w| w == [0x5F, 0x25, 0x06])
        .unwrap();
    let mut bad = good.clone();
    bad[pos + 3] = 0x0A;
    assert!(
        CvCertificate::decode(&bad)
            .unwrap_err()
            .to_string()
            .contains(&format!("effective date (data object 5F25 at byte {pos})"))
    );
    // Truncated, trailing bytes, a non-minimal length.
    assert!(CvCertificate::decode(&good[..good.len() - 1]).is_err());
    let mut long = good.clone();
    long.push(0);
    assert!(CvCertificate::decode(&long).is_err());
    let mut wide = vec![0x7F, 0x21, 0x82, 0x00, 0xD1];
    wide.extend_from_slice(&good[4..]);
    assert!(
        CvCertificate::decode(&wide)
            .unwrap_err()
            .to_string()
            .contains("shortest form")
    );
}
