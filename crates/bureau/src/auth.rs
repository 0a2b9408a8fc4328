//! Signed requests: every request to the bureau carries its sender's name, a Unix time, a
//! random nonce and an ECDSA P-256 / SHA-256 signature (FIPS 186-5, DER-encoded per RFC 3279
//! §2.2.3) over
//!
//! ```text
//! permitkit-request-v1 LF METHOD LF PATH LF TIME LF NONCE LF hex(SHA-256(body))
//! ```
//!
//! The bureau checks the signature with the public key registered for that name and kind,
//! refuses a time more than [`MAX_SKEW_SECS`] away from its clock, and records each nonce, so a
//! captured request cannot be played again; a changed body, path or method breaks the
//! signature. Nothing in a refusal repeats the request's content.

use p256::ecdsa::{Signature, SigningKey, signature::Signer, signature::Verifier};
use sha2::{Digest, Sha256};

/// Header naming the registered sender.
pub const HEADER_PRINCIPAL: &str = "x-permitkit-principal";
/// Header with the Unix time of the request, seconds.
pub const HEADER_TIME: &str = "x-permitkit-time";
/// Header with the request's nonce (hex, 16 to 64 characters).
pub const HEADER_NONCE: &str = "x-permitkit-nonce";
/// Header with the signature (hex of DER).
pub const HEADER_SIGNATURE: &str = "x-permitkit-signature";
/// Largest accepted distance between the request's time and the bureau's clock.
pub const MAX_SKEW_SECS: i64 = 300;

/// Why a request was not authenticated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// A header is missing or malformed.
    #[error("authentication header {0} missing or malformed")]
    Header(&'static str),
    /// The sender is not registered (as this kind).
    #[error("{0} is not a registered sender")]
    Unregistered(String),
    /// The request's time is too far from the bureau's clock.
    #[error("request time is {0} s away from the bureau's clock (at most {MAX_SKEW_SECS} s)")]
    Stale(i64),
    /// The signature does not verify.
    #[error("the request signature does not verify")]
    BadSignature,
    /// The nonce was seen before.
    #[error("the request was seen before (replayed nonce)")]
    Replayed,
}

/// The signed parts of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead<'a> {
    /// HTTP method, upper case.
    pub method: &'a str,
    /// Path (without query).
    pub path: &'a str,
    /// Unix time, seconds.
    pub time: i64,
    /// Nonce, hex.
    pub nonce: &'a str,
}

/// The bytes that are signed.
pub fn canonical(head: &RequestHead<'_>, body: &[u8]) -> Vec<u8> {
    format!(
        "permitkit-request-v1\n{}\n{}\n{}\n{}\n{}",
        head.method,
        head.path,
        head.time,
        head.nonce,
        hex::encode(Sha256::digest(body))
    )
    .into_bytes()
}

/// Signs a request; returns the signature header's value.
pub fn sign(key: &SigningKey, head: &RequestHead<'_>, body: &[u8]) -> String {
    let signature: Signature = key.sign(&canonical(head, body));
    hex::encode(signature.to_der().as_bytes())
}

/// Checks the signature header `signature_hex` with `public_key_der` (SubjectPublicKeyInfo).
pub fn verify(
    public_key_der: &[u8],
    head: &RequestHead<'_>,
    body: &[u8],
    signature_hex: &str,
) -> Result<(), AuthError> {
    let key = crate::keys::from_der(public_key_der).ok_or(AuthError::BadSignature)?;
    let der = hex::decode(signature_hex).map_err(|_| AuthError::Header(HEADER_SIGNATURE))?;
    let signature = Signature::from_der(&der).map_err(|_| AuthError::BadSignature)?;
    key.verify(&canonical(head, body), &signature)
        .map_err(|_| AuthError::BadSignature)
}

/// Checks the request time against `now`.
pub fn check_time(time: i64, now: i64) -> Result<(), AuthError> {
    // The header is untrusted: `i64::MIN` must be stale, not an overflow (its `abs` wraps).
    let skew = time.saturating_sub(now);
    if skew.unsigned_abs() > MAX_SKEW_SECS.unsigned_abs() {
        return Err(AuthError::Stale(skew));
    }
    Ok(())
}

/// A fresh nonce (128 bits, hex).
pub fn nonce() -> Result<String, crate::BureauError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(permitkit_model::random::RandomError::from)?;
    Ok(hex::encode(bytes))
}

/// Seconds since the Unix epoch by the system clock.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A nonce is well-formed: 16 to 64 hex digits.
pub fn nonce_is_well_formed(nonce: &str) -> bool {
    (16..=64).contains(&nonce.len()) && nonce.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(path: &str) -> RequestHead<'_> {
        RequestHead {
            method: "POST",
            path,
            time: 1_700_000_000,
            nonce: "00112233445566778899aabbccddeeff",
        }
    }

    #[test]
    fn a_signed_request_verifies_and_a_changed_one_does_not() {
        let key = crate::keys::generate().unwrap();
        let der = crate::keys::public_der(key.verifying_key()).unwrap();
        let sig = sign(&key, &head("/v1/applications"), b"body");
        assert_eq!(
            verify(&der, &head("/v1/applications"), b"body", &sig),
            Ok(())
        );
        assert_eq!(
            verify(&der, &head("/v1/applications"), b"bodY", &sig),
            Err(AuthError::BadSignature)
        );
        assert_eq!(
            verify(&der, &head("/v1/other"), b"body", &sig),
            Err(AuthError::BadSignature)
        );
        let other = crate::keys::generate().unwrap();
        let other_der = crate::keys::public_der(other.verifying_key()).unwrap();
        assert_eq!(
            verify(&other_der, &head("/v1/applications"), b"body", &sig),
            Err(AuthError::BadSignature)
        );
    }

    #[test]
    fn times_outside_the_window_are_stale() {
        assert_eq!(check_time(1000, 1000 + MAX_SKEW_SECS), Ok(()));
        assert_eq!(
            check_time(1000, 1001 + MAX_SKEW_SECS),
            Err(AuthError::Stale(-MAX_SKEW_SECS - 1))
        );
        assert!(nonce_is_well_formed("00112233445566778899aabbccddeeff"));
        assert!(!nonce_is_well_formed("short"));
        assert!(!nonce_is_well_formed("zz112233445566778899aabbccddeeff"));
        // The extremes of the header's range are stale, not an overflow.
        assert_eq!(check_time(i64::MIN, 1000), Err(AuthError::Stale(i64::MIN)));
        assert_eq!(
            check_time(i64::MAX, 1000),
            Err(AuthError::Stale(i64::MAX - 1000))
        );
        assert_eq!(
            check_time(i64::MIN, i64::MAX),
            Err(AuthError::Stale(i64::MIN))
        );
    }
}
