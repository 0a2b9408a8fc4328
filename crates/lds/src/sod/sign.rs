//! Writing EF.SOD: CMS `SignedData` over the LDSSecurityObject (RFC 5652 §5; ICAO Doc 9303-10
//! §4.6.2 and 9303-12 §4.4). The same `SignedData` carries EF.CardSecurity's SecurityInfos
//! (9303-11 §9.2.3, [`crate::card_security`]).
//!
//! - `encapContentInfo`: `eContentType` id-ldsSecurityObject, `eContent` the DER
//!   LDSSecurityObject;
//! - `certificates`: the Document Signer certificate, embedded byte for byte;
//! - one `SignerInfo`, version 1, `sid` IssuerAndSerialNumber whose issuer is the certificate's
//!   own issuer bytes (readers compare bytes, and a re-encoded Name is a classic interop bug);
//! - signed attributes contentType, messageDigest and signingTime;
//! - the signature by any signer the `cms` builder accepts (`Keypair + Signer`): a P-256 file key
//!   today, an HSM through the same bounds later;
//! - never outside the Document Signer's private key usage period (2.5.29.16, 9303-12 §7.1):
//!   a signing time outside it is refused ([`crate::sod::ScopeError::OutsideKeyUsagePeriod`]).

use std::time::SystemTime;

use cms::{
    builder::{SignedDataBuilder, SignerInfoBuilder},
    cert::{CertificateChoices, IssuerAndSerialNumber},
    signed_data::{EncapsulatedContentInfo, SignerIdentifier},
};
use der::{
    Any, Decode, Encode,
    asn1::{GeneralizedTime, ObjectIdentifier, SetOfVec, UtcTime},
};
use signature::{Keypair, Signer};
use spki::{
    AlgorithmIdentifierOwned, DynSignatureAlgorithmIdentifier, EncodePublicKey,
    SignatureBitStringEncoding,
};
use x509_cert::{Certificate, attr::Attribute, name::Name};

use crate::{
    Ef, LdsError, LdsErrorKind, SourceError,
    sod::{HashAlgorithm, LdsSecurityObject, SignerScope},
};
use permitkit_iso7816::tlv::{Reader, Tag, Writer};

/// `id-ldsSecurityObject` 2.23.136.1.1.1.
pub const ID_LDS_SECURITY_OBJECT: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.136.1.1.1");
/// `id-signingTime` 1.2.840.113549.1.9.5.
pub const ID_SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");

/// Signs `lso` and returns the complete EF.SOD (`77 L ContentInfo`).
///
/// `ds_certificate_der` is the Document Signer certificate exactly as issued; it must be
/// canonical DER (what `x509-cert` re-encodes byte for byte) and its public key must be the
/// signer's. `signing_time` goes into the signingTime attribute and must fall within the
/// certificate's private key usage period ([`crate::sod::ScopeError::OutsideKeyUsagePeriod`]).
pub fn sign<S, Sig>(
    lso: &LdsSecurityObject,
    ds_certificate_der: &[u8],
    signer: &S,
    signing_time: SystemTime,
) -> Result<Vec<u8>, LdsError>
where
    S: Keypair + DynSignatureAlgorithmIdentifier + Signer<Sig>,
    S::VerifyingKey: EncodePublicKey,
    Sig: SignatureBitStringEncoding,
{
    let content_der = signed_data::<S, Sig>(
        Ef::Sod,
        ID_LDS_SECURITY_OBJECT,
        lso.to_der()?,
        ds_certificate_der,
        signer,
        signing_time,
    )?;
    let mut w = Writer::new();
    w.primitive(Tag::new(0x77), &content_der);
    w.finish().map_err(|e| LdsError::new(Ef::Sod, e))
}

/// The DER `ContentInfo` of a CMS `SignedData` by the Document Signer over `econtent` of type
/// `econtent_type`, as described in the module documentation: what EF.SOD wraps in tag `77`
/// and what EF.CardSecurity is (9303-11 §9.2.3). `file` names the file in errors.
pub(crate) fn signed_data<S, Sig>(
    file: Ef,
    econtent_type: ObjectIdentifier,
    econtent: Vec<u8>,
    ds_certificate_der: &[u8],
    signer: &S,
    signing_time: SystemTime,
) -> Result<Vec<u8>, LdsError>
where
    S: Keypair + DynSignatureAlgorithmIdentifier + Signer<Sig>,
    S::VerifyingKey: EncodePublicKey,
    Sig: SignatureBitStringEncoding,
{
    let fail = |what: &'static str, e: Box<dyn std::error::Error + Send + Sync>| {
        LdsError::new(
            file,
            LdsErrorKind::Signing {
                what,
                source: SourceError::new(e),
            },
        )
    };
    let cert = Certificate::from_der(ds_certificate_der)
        .map_err(|e| fail("Document Signer certificate", Box::new(e)))?;
    let reencoded = cert
        .to_der()
        .map_err(|e| fail("Document Signer certificate", Box::new(e)))?;
    if reencoded != ds_certificate_der {
        return Err(LdsError::new(
            file,
            LdsErrorKind::DsCertificate("not canonical DER: embedding it would change its bytes"),
        ));
    }
    let signer_key = signer
        .verifying_key()
        .to_public_key_der()
        .map_err(|e| fail("signer public key", Box::new(e)))?;
    let cert_key = cert
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|e| fail("certificate public key", Box::new(e)))?;
    if signer_key.as_bytes() != cert_key.as_slice() {
        return Err(LdsError::new(file, LdsErrorKind::SignerKeyMismatch));
    }
    SignerScope::from_certificate(ds_certificate_der)?
        .check_time(unix_seconds(signing_time))
        .map_err(|e| LdsError::new(file, e))?;
    let issuer_raw = raw_issuer(ds_certificate_der).ok_or_else(|| {
        LdsError::new(
            file,
            LdsErrorKind::DsCertificate("cannot locate the issuer Name"),
        )
    })?;
    let issuer = Name::from_der(issuer_raw).map_err(|e| fail("issuer Name", Box::new(e)))?;
    if issuer
        .to_der()
        .map_err(|e| fail("issuer Name", Box::new(e)))?
        != issuer_raw
    {
        return Err(LdsError::new(
            file,
            LdsErrorKind::DsCertificate("its issuer Name does not re-encode to the same bytes"),
        ));
    }
    let sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
        issuer,
        serial_number: cert.tbs_certificate().serial_number().clone(),
    });

    let econtent =
        Any::new(der::Tag::OctetString, econtent).map_err(|e| fail("eContent", Box::new(e)))?;
    let eci = EncapsulatedContentInfo {
        econtent_type,
        econtent: Some(econtent),
    };
    let digest = AlgorithmIdentifierOwned {
        oid: HashAlgorithm::Sha256.oid(),
        parameters: None,
    };
    let mut sib = SignerInfoBuilder::new(sid, digest.clone(), &eci, None)
        .map_err(|e| fail("SignerInfo", Box::new(e)))?;
    sib.add_signed_attribute(signing_time_attribute(file, signing_time)?)
        .map_err(|e| fail("signingTime", Box::new(e)))?;
    let content = SignedDataBuilder::new(&eci)
        .add_digest_algorithm(digest)
        .map_err(|e| fail("digestAlgorithms", Box::new(e)))?
        .add_certificate(CertificateChoices::Certificate(cert))
        .map_err(|e| fail("certificates", Box::new(e)))?
        .add_signer_info::<S, Sig>(sib, signer)
        .map_err(|e| fail("SignerInfo", Box::new(e)))?
        .build()
        .map_err(|e| fail("SignedData", Box::new(e)))?;
    content
        .to_der()
        .map_err(|e| fail("ContentInfo", Box::new(e)))
}

/// Seconds since the epoch (negative before 1970).
pub(crate) fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// signingTime as UTCTime for 1950–2049 and GeneralizedTime otherwise (RFC 5652 §11.3).
fn signing_time_attribute(file: Ef, t: SystemTime) -> Result<Attribute, LdsError> {
    let fail = |e: der::Error| {
        LdsError::new(
            file,
            LdsErrorKind::Signing {
                what: "signingTime",
                source: SourceError::new(e),
            },
        )
    };
    let value = match UtcTime::from_system_time(t) {
        Ok(utc) => Any::encode_from(&utc).map_err(fail)?,
        Err(_) => {
            Any::encode_from(&GeneralizedTime::from_system_time(t).map_err(fail)?).map_err(fail)?
        }
    };
    let mut values = SetOfVec::new();
    values.insert(value).map_err(fail)?;
    Ok(Attribute {
        oid: ID_SIGNING_TIME,
        values,
    })
}

/// The raw issuer Name of a DER certificate:
/// `Certificate { TBSCertificate { [0] version, serial, signature, issuer, … }, … }`.
pub(crate) fn raw_issuer(cert_der: &[u8]) -> Option<&[u8]> {
    let cert = Reader::new(cert_der).read().ok()?;
    let tbs = cert.children().ok()?.read().ok()?;
    let mut r = tbs.children().ok()?;
    r.optional(Tag::new(0xA0)).ok()?;
    r.expect(Tag::new(0x02)).ok()?;
    r.expect(Tag::new(0x30)).ok()?;
    Some(r.expect(Tag::new(0x30)).ok()?.raw())
}
