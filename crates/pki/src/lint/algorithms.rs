//! Algorithms and keys, ICAO Doc 9303-12 §4.1.6: RSA (RFC 4055: PKCS#1 v1.5 or, recommended,
//! RSASSA-PSS), DSA or ECDSA, with SHA-224, SHA-256, SHA-384 or SHA-512 only (§4.1.6.4); key
//! lengths "offering protection against attacks" (§4.1.6, taken here as RSA of at least 2048
//! bits and curves of at least 224 bits, the smallest the 9303 catalogues list); ECDSA public
//! points uncompressed and domain parameters explicit with the co-factor (§4.1.6.3) — readers
//! accept named curves (RFC 5480) and the PKD's upload checks do not demand explicit ones, so a
//! named curve is reported as info.

use x509_parser::{certificate::X509Certificate, public_key::PublicKey};

use super::{Findings, Severity};

const ALGORITHMS: &str = "9303-12 §4.1.6";

/// Signature algorithms with a SHA-2 hash.
const SIGNATURES: &[(&str, &str)] = &[
    ("1.2.840.10045.4.3.1", "ecdsa-with-SHA224"),
    ("1.2.840.10045.4.3.2", "ecdsa-with-SHA256"),
    ("1.2.840.10045.4.3.3", "ecdsa-with-SHA384"),
    ("1.2.840.10045.4.3.4", "ecdsa-with-SHA512"),
    ("1.2.840.113549.1.1.14", "sha224WithRSAEncryption"),
    ("1.2.840.113549.1.1.11", "sha256WithRSAEncryption"),
    ("1.2.840.113549.1.1.12", "sha384WithRSAEncryption"),
    ("1.2.840.113549.1.1.13", "sha512WithRSAEncryption"),
    ("1.2.840.113549.1.1.10", "RSASSA-PSS"),
    ("2.16.840.1.101.3.4.3.1", "dsa-with-sha224"),
    ("2.16.840.1.101.3.4.3.2", "dsa-with-sha256"),
];

/// Signature algorithms with SHA-1, which §4.1.6.4 no longer permits.
const SHA1_SIGNATURES: &[&str] = &[
    "1.2.840.113549.1.1.5",
    "1.2.840.10045.4.1",
    "1.2.840.10040.4.3",
    "1.3.14.3.2.29",
];

/// Named curves of the 9303 catalogues (NIST and Brainpool) and their sizes.
const CURVES: &[(&str, &str, usize)] = &[
    ("1.3.132.0.33", "P-224", 224),
    ("1.2.840.10045.3.1.7", "P-256", 256),
    ("1.3.132.0.34", "P-384", 384),
    ("1.3.132.0.35", "P-521", 521),
    ("1.3.36.3.3.2.8.1.1.5", "brainpoolP224r1", 224),
    ("1.3.36.3.3.2.8.1.1.7", "brainpoolP256r1", 256),
    ("1.3.36.3.3.2.8.1.1.9", "brainpoolP320r1", 320),
    ("1.3.36.3.3.2.8.1.1.11", "brainpoolP384r1", 384),
    ("1.3.36.3.3.2.8.1.1.13", "brainpoolP512r1", 512),
];

pub(super) fn check(cert: &X509Certificate<'_>, out: &mut Findings) {
    let alg = cert.signature_algorithm.algorithm.to_id_string();
    if SHA1_SIGNATURES.contains(&alg.as_str()) {
        out.error(
            "signature-algorithm",
            "9303-12 §4.1.6.4",
            format!(
                "{alg} hashes with SHA-1: only SHA-224, SHA-256, SHA-384 and SHA-512 are permitted"
            ),
        );
    } else if !SIGNATURES.iter().any(|(oid, _)| *oid == alg) {
        out.error(
            "signature-algorithm",
            ALGORITHMS,
            format!("{alg} is not an RSA, DSA or ECDSA signature with SHA-2"),
        );
    }
    let spki = cert.public_key();
    let key_alg = spki.algorithm.algorithm.to_id_string();
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => {
            let bits = rsa.key_size();
            if bits < 2048 {
                out.error(
                    "key-size",
                    ALGORITHMS,
                    format!("an RSA key of {bits} bits is too short (at least 2048)"),
                );
            }
        }
        Ok(PublicKey::EC(point)) => {
            if point.data().first() != Some(&0x04) {
                out.error(
                    "ec-point",
                    "9303-12 §4.1.6.3",
                    "the EC public point is not in uncompressed format",
                );
            }
            let params = spki.algorithm.parameters.as_ref();
            match params.and_then(|p| p.as_oid().ok()) {
                Some(curve) => {
                    let curve = curve.to_id_string();
                    match CURVES.iter().find(|(oid, _, _)| *oid == curve) {
                        Some((_, name, size)) => {
                            out.push(
                                "ec-parameters",
                                "9303-12 §4.1.6.3",
                                Severity::Info,
                                format!(
                                    "named curve {name}: §4.1.6.3 asks for explicit ECParameters \
                                     with the co-factor"
                                ),
                            );
                            if *size < 224 {
                                out.error("key-size", ALGORITHMS, format!("{name} is too small"));
                            }
                        }
                        None => out.error(
                            "key-size",
                            ALGORITHMS,
                            format!(
                                "curve {curve} is not a NIST or Brainpool curve of 224 bits or more"
                            ),
                        ),
                    }
                }
                None => {
                    let bits = point.key_size();
                    if bits < 224 {
                        out.error(
                            "key-size",
                            ALGORITHMS,
                            format!("an EC key of {bits} bits is too short (at least 224)"),
                        );
                    }
                }
            }
        }
        Ok(PublicKey::DSA(_)) => {}
        Ok(_) | Err(_) => out.error(
            "key-algorithm",
            ALGORITHMS,
            format!("public key algorithm {key_alg} is not RSA, DSA or ECDSA"),
        ),
    }
}
