//! OpenSSL, an independent ECDSA implementation, checks what `permitkit-cvc` and
//! `permitkit-chip::ta` take from published CV certificates and Terminal Authentication values:
//! - every signature of the BSI "Worked Example for EAC" v1.01 chain (brainpoolP512r1,
//!   SHA-512) and of JMRTD's Dutch test passport chain (brainpoolP224r1, SHA-224) verifies over
//!   the body bytes our decoder hands out, with the public point it found in the issuer;
//! - the worked example's terminal signature verifies over the input our
//!   `ta::signature_input` builds: `ID_PICC = Comp(PK_PICC)` of the chip's PACE ephemeral key,
//!   `r_PICC`, `Comp(PK_PCD)` of the terminal's Chip Authentication key (x-coordinates). This
//!   settles the digest's UNVERIFIED note on `ID_PICC` and `Comp` for the PACE/ECDH case.
//!
//! Values: OpenPACE `src/eactest.c` (the worked example reproduced, commit 40a5181), arrays named
//! at each use; certificate files in testdata/cvc (SOURCES).
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test code: an unexpected value fails the test loudly"
)]

use std::path::Path;

use permitkit_chip::ta::signature_input;
use permitkit_cvc::CvCertificate;

#[path = "support/cli.rs"]
mod cli;
use cli::openssl;

fn load(name: &str) -> CvCertificate {
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/cvc")
            .join(name),
    )
    .unwrap();
    CvCertificate::decode(&bytes).unwrap()
}

/// SubjectPublicKeyInfo (RFC 5480) of an uncompressed point on a named curve.
fn spki(curve_oid_der: &[u8], point: &[u8]) -> Vec<u8> {
    let ec_public_key = [0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
    let alg = der_tlv(0x30, &[&ec_public_key[..], curve_oid_der].concat());
    let mut bits = vec![0u8];
    bits.extend_from_slice(point);
    der_tlv(0x30, &[alg, der_tlv(0x03, &bits)].concat())
}

fn der_tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = value.len();
    if n < 0x80 {
        out.push(u8::try_from(n).unwrap());
    } else if n < 0x100 {
        out.extend_from_slice(&[0x81, u8::try_from(n).unwrap()]);
    } else {
        out.extend_from_slice(&[
            0x82,
            u8::try_from(n >> 8).unwrap(),
            u8::try_from(n & 0xFF).unwrap(),
        ]);
    }
    out.extend_from_slice(value);
    out
}

/// `r ‖ s` as the DER `ECDSA-Sig-Value` OpenSSL reads.
fn der_signature(plain: &[u8]) -> Vec<u8> {
    let (r, s) = plain.split_at(plain.len() / 2);
    let int = |x: &[u8]| {
        let start = x.iter().position(|&b| b != 0).unwrap_or(x.len() - 1);
        let mut v = x[start..].to_vec();
        if v[0] & 0x80 != 0 {
            v.insert(0, 0);
        }
        der_tlv(0x02, &v)
    };
    der_tlv(0x30, &[int(r), int(s)].concat())
}

/// OpenSSL's verdict on `signature` (plain) over `message` with `digest` and the key.
fn openssl_verifies(
    curve_oid_der: &[u8],
    point: &[u8],
    digest: &str,
    message: &[u8],
    signature: &[u8],
) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.der");
    let sig = dir.path().join("sig.der");
    let msg = dir.path().join("msg.bin");
    std::fs::write(&key, spki(curve_oid_der, point)).unwrap();
    std::fs::write(&sig, der_signature(signature)).unwrap();
    std::fs::write(&msg, message).unwrap();
    let out = openssl("the independent ECDSA verifier")
        .args(["dgst", &format!("-{digest}"), "-keyform", "DER", "-verify"])
        .arg(&key)
        .arg("-signature")
        .arg(&sig)
        .arg(&msg)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    out.status.success() && text.contains("Verified OK")
}

/// brainpoolP512r1, 1.3.36.3.3.2.8.1.1.13 (RFC 5639 §4.1).
const BP512R1: [u8; 11] = [
    0x06, 0x09, 0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0D,
];
/// brainpoolP224r1, 1.3.36.3.3.2.8.1.1.5.
const BP224R1: [u8; 11] = [
    0x06, 0x09, 0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x05,
];

fn point(c: &CvCertificate) -> Vec<u8> {
    c.body().public_key.point().unwrap().to_vec()
}

#[test]
fn openssl_verifies_every_signature_of_the_published_chains_over_our_decoded_bytes() {
    for (files, curve, digest) in [
        (
            [
                "bsi-worked-example-cvca.cvcert",
                "bsi-worked-example-dv.cvcert",
                "bsi-worked-example-at.cvcert",
            ],
            &BP512R1,
            "sha512",
        ),
        (
            [
                "jmrtd-cvca-orig.cvcert",
                "jmrtd-dvd-orig.cvcert",
                "jmrtd-is-orig.cvcert",
            ],
            &BP224R1,
            "sha224",
        ),
    ] {
        let [cvca, dv, leaf] = files.map(load);
        for (cert, issuer) in [(&cvca, &cvca), (&dv, &cvca), (&leaf, &dv)] {
            assert!(
                openssl_verifies(
                    curve,
                    &point(issuer),
                    digest,
                    cert.body_bytes(),
                    cert.signature()
                ),
                "{} signed by {}",
                cert.holder(),
                issuer.holder()
            );
            // The same signature over a body with one byte changed does not verify.
            let mut body = cert.body_bytes().to_vec();
            *body.last_mut().unwrap() ^= 1;
            assert!(!openssl_verifies(
                curve,
                &point(issuer),
                digest,
                &body,
                cert.signature()
            ));
        }
    }
}

#[test]
fn the_worked_example_terminal_signature_verifies_over_our_ta_input() {
    // OpenPACE eactest.c, EAC worked example (ECDH): tc_ecdh_picc_pub_key (the chip's PACE
    // ephemeral key on brainpoolP256r1), tc_ecdh_ta_nonce (r_PICC), tc_ecdh_ca_pcd_pub_key (the
    // terminal's ephemeral CA key), tc_ecdh_ta_pcd_signature (no auxiliary data).
    let pk_picc = hex::decode(
        "04282CF38073036AFAC216AF135BD994DA0C357F10BD4C34AFEA1042B2EB0FD6804DF3658B835AC2E7133F13691184542BB50B109963A4662ABDC08B9763AF4B5B",
    )
    .unwrap();
    let r_picc = hex::decode("547E4EAB03B235D2").unwrap();
    let pk_pcd = hex::decode(
        "045A7A377FC9CAFC03AC7FF45441A8B2909D88EAB8E6B0173847AB49B949DF3799A34EE57EC55268CF8B1C3EC489F8BF4CF4C68D3FD9670E89C0D5D3FFF1AAF89F",
    )
    .unwrap();
    let signature = hex::decode(
        "81A2D9E5891B86A0F01ADD0341C89D6E9EF3E20C223884F27B2F2040E9721C46C9C3CF7C0EE0A422263BA6F1EAFC693BD8738F34760B5998584F58DD25B8D60D99D7C45957C2E2F10C0E5F91A8DC88BD7CFA33CBF784A9DA83C800324165179DBE71C69B2C0FD811270E436C43278184DDB542142342DBF156E82D2A1BC19085",
    )
    .unwrap();
    let comp = |p: &[u8]| p[1..=(p.len() - 1) / 2].to_vec();
    let terminal = load("bsi-worked-example-at.cvcert");
    let input = signature_input(&comp(&pk_picc), &r_picc, &comp(&pk_pcd));
    assert_eq!(input.len(), 32 + 8 + 32);
    assert!(openssl_verifies(
        &BP512R1,
        &point(&terminal),
        "sha512",
        &input,
        &signature
    ));
    // The other readings of the spec do not verify: the full uncompressed points, or the
    // identifier and the key in the other order.
    let full = signature_input(&pk_picc, &r_picc, &pk_pcd);
    assert!(!openssl_verifies(
        &BP512R1,
        &point(&terminal),
        "sha512",
        &full,
        &signature
    ));
    let swapped = signature_input(&comp(&pk_pcd), &r_picc, &comp(&pk_picc));
    assert!(!openssl_verifies(
        &BP512R1,
        &point(&terminal),
        "sha512",
        &swapped,
        &signature
    ));
}
