//! Writing a signed list (ICAO Doc 9303-12 §9.1 Table 18, §10.1 Table 19): CMS SignedData
//! version 3, the list as encapsulated content of type `econtent_type`, the signer's
//! certificate and the CSCA certificate that issued it in `certificates`, no `crls`, one
//! SignerInfo identified by subjectKeyIdentifier (recommended) with SHA-256 (parameters absent)
//! and the signed attributes contentType, messageDigest and signingTime (mandatory).

use std::time::SystemTime;

use cms::{
    builder::{SignedDataBuilder, SignerInfoBuilder},
    cert::CertificateChoices,
    signed_data::{EncapsulatedContentInfo, SignerIdentifier},
};
use der::{
    Any, Decode, Encode,
    asn1::{ObjectIdentifier, OctetString},
};
use signature::{Keypair, Signer};
use spki::{
    AlgorithmIdentifierOwned, DynSignatureAlgorithmIdentifier, EncodePublicKey,
    SignatureBitStringEncoding,
};
use x509_cert::{Certificate, ext::pkix::SubjectKeyIdentifier};

use permitkit_lds::sod::HashAlgorithm;

use crate::{PkiError, profile};

/// Signs `content` as a list of type `econtent_type` with `signer`, the key of `signer_cert`;
/// `issuer` (the CSCA certificate that issued the signer) travels with it.
pub fn sign_list<S, Sig>(
    econtent_type: ObjectIdentifier,
    content: &[u8],
    signer_cert: &[u8],
    signer: &S,
    issuer: Option<&[u8]>,
    signing_time: SystemTime,
) -> Result<Vec<u8>, PkiError>
where
    S: Keypair + DynSignatureAlgorithmIdentifier + Signer<Sig>,
    S::VerifyingKey: EncodePublicKey,
    Sig: SignatureBitStringEncoding,
{
    let cert =
        Certificate::from_der(signer_cert).map_err(|e| PkiError::encode("signed list", e))?;
    if profile::spki_of(&signer.verifying_key())?
        != *cert.tbs_certificate().subject_public_key_info()
    {
        return Err(PkiError::KeyMismatch("list signer".into()));
    }
    let eci = EncapsulatedContentInfo {
        econtent_type,
        econtent: Some(
            Any::new(der::Tag::OctetString, content)
                .map_err(|e| PkiError::encode("signed list", e))?,
        ),
    };
    let sid = SignerIdentifier::SubjectKeyIdentifier(SubjectKeyIdentifier(
        OctetString::new(profile::issue::key_id_of(&cert))
            .map_err(|e| PkiError::encode("signed list", e))?,
    ));
    let digest = AlgorithmIdentifierOwned {
        oid: HashAlgorithm::Sha256.oid(),
        parameters: None,
    };
    let mut sib = SignerInfoBuilder::new(sid, digest.clone(), &eci, None)
        .map_err(|e| PkiError::encode("signed list", e))?;
    sib.add_signed_attribute(signing_time_attribute(signing_time)?)
        .map_err(|e| PkiError::encode("signed list", e))?;
    let mut builder = SignedDataBuilder::new(&eci);
    builder
        .add_digest_algorithm(digest)
        .map_err(|e| PkiError::encode("signed list", e))?
        .add_certificate(CertificateChoices::Certificate(cert))
        .map_err(|e| PkiError::encode("signed list", e))?;
    if let Some(issuer) = issuer {
        let issuer = Certificate::from_der(issuer)
            .map_err(|e| PkiError::decode("list signer issuer certificate", e))?;
        builder
            .add_certificate(CertificateChoices::Certificate(issuer))
            .map_err(|e| PkiError::encode("signed list", e))?;
    }
    let content_info = builder
        .add_signer_info::<S, Sig>(sib, signer)
        .map_err(|e| PkiError::encode("signed list", e))?
        .build()
        .map_err(|e| PkiError::encode("signed list", e))?;
    content_info
        .to_der()
        .map_err(|e| PkiError::encode("signed list", e))
}

/// signingTime as UTCTime for 1950–2049 and GeneralizedTime otherwise (RFC 5652 §11.3).
fn signing_time_attribute(t: SystemTime) -> Result<x509_cert::attr::Attribute, PkiError> {
    let time =
        x509_cert::time::Time::try_from(t).map_err(|e| PkiError::encode("signingTime", e))?;
    let value = Any::from_der(
        &time
            .to_der()
            .map_err(|e| PkiError::encode("signingTime", e))?,
    )
    .map_err(|e| PkiError::encode("signingTime", e))?;
    let mut values = der::asn1::SetOfVec::new();
    values
        .insert(value)
        .map_err(|e| PkiError::encode("signingTime", e))?;
    Ok(x509_cert::attr::Attribute {
        oid: ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5"),
        values,
    })
}
