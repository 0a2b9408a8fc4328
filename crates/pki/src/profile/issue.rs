//! Signing one certificate (ICAO Doc 9303-12 §7.1.1, Table 5): version 3, a random positive
//! serial number of 15 octets (at most 20, §7.1.1 Table 5; never re-used, §7.1.1.5), the
//! validity in UTCTime through 2049 and GeneralizedTime after (the `x509-cert` builder applies
//! RFC 5280 §4.1.2.5), and exactly the extensions given, in that order.
//!
//! The issuer's key signs through any type the `x509-cert` builder accepts
//! (`Keypair + DynSignatureAlgorithmIdentifier + Signer<Sig>`): a P-256 file key or a key on a
//! token behind the same traits.

use std::time::SystemTime;

use der::Encode;
use signature::{Keypair, Signer};
use spki::{
    DynSignatureAlgorithmIdentifier, EncodePublicKey, SignatureBitStringEncoding,
    SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef,
};
use x509_cert::{
    Certificate, TbsCertificate,
    builder::{Builder, CertificateBuilder, profile::BuilderProfile},
    ext::Extension,
    name::Name,
    serial_number::SerialNumber,
    time::{Time, Validity},
};

use crate::PkiError;

/// When a certificate is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetime {
    /// notBefore.
    pub not_before: SystemTime,
    /// notAfter.
    pub not_after: SystemTime,
}

/// Everything a certificate says but its serial number and signature.
#[derive(Debug, Clone)]
pub struct CertificateParts {
    /// The subject.
    pub subject: Name,
    /// The issuer: the subject of the certificate of the key that signs.
    pub issuer: Name,
    /// The certified public key.
    pub spki: SubjectPublicKeyInfoOwned,
    /// Validity.
    pub lifetime: Lifetime,
    /// The extensions, in order.
    pub extensions: Vec<Extension>,
}

/// Signs `parts` with `issuer_signer` and returns the certificate, DER.
pub fn issue_certificate<S, Sig>(
    issuer_signer: &S,
    parts: CertificateParts,
) -> Result<Vec<u8>, PkiError>
where
    S: Keypair + DynSignatureAlgorithmIdentifier + Signer<Sig>,
    S::VerifyingKey: EncodePublicKey,
    Sig: SignatureBitStringEncoding,
{
    if parts.lifetime.not_after <= parts.lifetime.not_before {
        return Err(PkiError::build(
            "certificate",
            "notAfter must come after notBefore",
        ));
    }
    let validity = Validity::new(
        Time::try_from(parts.lifetime.not_before)
            .map_err(|e| PkiError::encode("certificate", e))?,
        Time::try_from(parts.lifetime.not_after).map_err(|e| PkiError::encode("certificate", e))?,
    );
    let profile = Fixed {
        subject: parts.subject,
        issuer: parts.issuer,
        extensions: parts.extensions,
    };
    let builder = CertificateBuilder::new(profile, random_serial()?, validity, parts.spki)
        .map_err(|e| PkiError::encode("certificate", e))?;
    let cert: Certificate = builder
        .build::<S, Sig>(issuer_signer)
        .map_err(|e| PkiError::encode("certificate", e))?;
    cert.to_der()
        .map_err(|e| PkiError::encode("certificate", e))
}

/// A positive serial number of 15 random octets, its first octet in 01..7F so that the
/// encoding is minimal and positive (Table 5).
pub fn random_serial() -> Result<SerialNumber, PkiError> {
    let mut bytes = [0u8; 15];
    permitkit_model::random::fill_random(&mut bytes)?;
    if let Some(first) = bytes.first_mut() {
        *first = (*first & 0x7F) | 0x01;
    }
    SerialNumber::new(&bytes).map_err(|e| PkiError::encode("serial number", e))
}

/// The builder profile that returns exactly the names and extensions given.
struct Fixed {
    subject: Name,
    issuer: Name,
    extensions: Vec<Extension>,
}

impl BuilderProfile for Fixed {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        _spk: SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: SubjectPublicKeyInfoRef<'_>,
        _tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        Ok(self.extensions.clone())
    }
}

/// A certificate, decoded with `x509-cert` (the writer's stack, for issuing only).
pub(crate) fn decode(der: &[u8], what: &'static str) -> Result<Certificate, PkiError> {
    use der::Decode;
    Certificate::from_der(der).map_err(|e| PkiError::decode(what, e))
}

/// The extension `oid` of `cert`, as encoded.
pub(crate) fn extension(
    cert: &Certificate,
    oid: der::asn1::ObjectIdentifier,
) -> Option<&Extension> {
    cert.tbs_certificate()
        .extensions()
        .and_then(|e| e.iter().find(|x| x.extn_id == oid))
}

/// The key identifier of `cert`'s key: its subjectKeyIdentifier, or SHA-1 of the key bits.
pub(crate) fn key_id_of(cert: &Certificate) -> Vec<u8> {
    use der::{Decode, oid::AssociatedOid};
    use x509_cert::ext::pkix::SubjectKeyIdentifier;
    extension(cert, SubjectKeyIdentifier::OID)
        .and_then(|e| SubjectKeyIdentifier::from_der(e.extn_value.as_bytes()).ok())
        .map_or_else(
            || super::key_identifier(cert.tbs_certificate().subject_public_key_info()),
            |k| k.0.as_bytes().to_vec(),
        )
}

/// The validity of a certificate (DER): notBefore and notAfter.
pub fn validity_of(der: &[u8]) -> Result<Lifetime, PkiError> {
    let cert = decode(der, "certificate")?;
    let v = cert.tbs_certificate().validity();
    Ok(Lifetime {
        not_before: v.not_before.to_system_time(),
        not_after: v.not_after.to_system_time(),
    })
}

/// The serial number of a certificate (DER), big-endian without a sign octet.
pub fn serial_of(der: &[u8]) -> Result<Vec<u8>, PkiError> {
    let cert = decode(der, "certificate")?;
    let raw = cert.tbs_certificate().serial_number().as_bytes();
    Ok(match raw {
        [0, rest @ ..] if !rest.is_empty() => rest.to_vec(),
        _ => raw.to_vec(),
    })
}
