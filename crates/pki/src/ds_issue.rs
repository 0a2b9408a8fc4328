//! Document Signer certificates (ICAO Doc 9303-12 §3.1.2, §4.1.1, §7.1.1 Table 6; docs/spec/lds.md
//! §10.1), issued by
//! the CSCA from a PKCS#10 certification request (RFC 2986) whose signature is verified first:
//! the request proves that whoever asks holds the private key, wherever it lives (a token, in
//! production). The CSCA decides everything else — extensions requested in the CSR are ignored.
//!
//! The certificate: keyUsage digitalSignature (critical); authorityKeyIdentifier the CSCA's key,
//! subjectKeyIdentifier the DS key; privateKeyUsagePeriod (at most 3 months, §4.1.1.2) and a
//! validity of that period plus a document's life (§4.1.1.1); cRLDistributionPoints; the
//! documentTypeList (§7.1.1.6); the alternative names of §7.1.1.2. Its subject's country must be
//! the CSCA's (Table 5: "countryName in issuer and subject fields MUST match"), and the CSCA key
//! must be inside its own private key usage period when it signs.

use std::time::{Duration, SystemTime};

use der::{Decode, oid::AssociatedOid};
use signature::{Keypair, Signer};
use spki::{
    DynSignatureAlgorithmIdentifier, EncodePublicKey, SignatureBitStringEncoding,
    SubjectPublicKeyInfoOwned,
};
use x509_cert::{
    ext::pkix::{CrlDistributionPoints, PrivateKeyUsagePeriod, SubjectAltName},
    name::Name,
};
use x509_parser::{certification_request::X509CertificationRequest, prelude::FromDer};

use crate::{
    PkiError,
    profile::{
        self, CertificateParts, DOCUMENT_VALIDITY, DS_KEY_USAGE, Lifetime, extensions as ext,
        icao_code_of,
        issue::{decode, extension, key_id_of},
    },
};

/// A verified certification request: who asks, for which key.
#[derive(Debug, Clone)]
pub struct CertificationRequest {
    /// The requested subject.
    pub subject: Name,
    /// The public key, whose private key signed the request.
    pub spki: SubjectPublicKeyInfoOwned,
}

impl CertificationRequest {
    /// Parses a DER PKCS#10 request and verifies its self-signature.
    pub fn from_der(der: &[u8]) -> Result<Self, PkiError> {
        let bad = |reason: String| PkiError::Malformed {
            what: "certification request".into(),
            reason,
        };
        let (rest, csr) = X509CertificationRequest::from_der(der)
            .map_err(|e| PkiError::decode("certification request", e))?;
        if !rest.is_empty() {
            return Err(bad(format!("{} bytes after the request", rest.len())));
        }
        csr.verify_signature().map_err(|e| {
            bad(format!(
                "its signature does not verify with its own public key ({e}): the requester does \
                 not prove it holds the private key"
            ))
        })?;
        let info = &csr.certification_request_info;
        let subject = Name::from_der(info.subject.as_raw())
            .map_err(|e| PkiError::decode("certification request subject", e))?;
        let spki = SubjectPublicKeyInfoOwned::from_der(info.subject_pki.raw)
            .map_err(|e| PkiError::decode("certification request public key", e))?;
        Ok(Self { subject, spki })
    }
}

/// What the CSCA grants a Document Signer.
#[derive(Debug, Clone)]
pub struct DsOptions {
    /// The document codes it may sign (documentTypeList), e.g. `IR`, `IP`.
    pub document_types: Vec<String>,
    /// Start of validity and of the private key usage period.
    pub not_before: SystemTime,
    /// How long the DS key signs (at most 3 months recommended, §4.1.1.2).
    pub key_usage: Duration,
    /// The longest validity of a document it signs.
    pub document_validity: Duration,
    /// The CRL URL; `None` copies the CSCA certificate's distribution point.
    pub crl_url: Option<String>,
    /// Contact URI for the alternative names; `None` uses the CSCA's.
    pub contact: Option<String>,
}

impl DsOptions {
    /// A Document Signer for `document_types`, starting an hour ago (clock skew), with the usage
    /// period of Table 1 and 10-year documents.
    pub fn new(document_types: Vec<String>) -> Self {
        let now = SystemTime::now();
        Self {
            document_types,
            not_before: now.checked_sub(Duration::from_secs(3600)).unwrap_or(now),
            key_usage: DS_KEY_USAGE,
            document_validity: DOCUMENT_VALIDITY,
            crl_url: None,
            contact: None,
        }
    }
}

/// Issues a Document Signer certificate from a PKCS#10 request (DER), signed by `csca_signer`,
/// the key of `csca`.
pub fn issue_from_request<S, Sig>(
    csca: &[u8],
    csca_signer: &S,
    request_der: &[u8],
    opts: &DsOptions,
) -> Result<Vec<u8>, PkiError>
where
    S: Keypair + DynSignatureAlgorithmIdentifier + Signer<Sig>,
    S::VerifyingKey: EncodePublicKey,
    Sig: SignatureBitStringEncoding,
{
    let request = CertificationRequest::from_der(request_der)?;
    issue::<S, Sig>(csca, csca_signer, &request.subject, request.spki, opts)
}

/// Issues a Document Signer certificate for `subject` and its public key `spki`.
pub fn issue<S, Sig>(
    csca: &[u8],
    csca_signer: &S,
    subject: &Name,
    spki: SubjectPublicKeyInfoOwned,
    opts: &DsOptions,
) -> Result<Vec<u8>, PkiError>
where
    S: Keypair + DynSignatureAlgorithmIdentifier + Signer<Sig>,
    S::VerifyingKey: EncodePublicKey,
    Sig: SignatureBitStringEncoding,
{
    let csca_cert = decode(csca, "CSCA certificate")?;
    let issuer = Issuer::of::<S>(&csca_cert, csca_signer, opts.not_before)?;
    let fail = |reason: String| PkiError::Build {
        what: "Document Signer certificate",
        reason,
    };
    match profile::country_of(subject) {
        Some(c) if c == issuer.country => {}
        Some(c) => {
            return Err(fail(format!(
                "the request's subject country {c} is not the CSCA's {} (9303-12 §7.1.1 Table 5: \
                 countryName in issuer and subject MUST match)",
                issuer.country
            )));
        }
        None => {
            return Err(fail(format!(
                "the request's subject {subject} names no country (9303-12 §7.1.1.1)"
            )));
        }
    }
    if spki == *csca_cert.tbs_certificate().subject_public_key_info() {
        return Err(fail("the request is for the CSCA's own key".into()));
    }
    let lifetime = Lifetime {
        not_before: opts.not_before,
        not_after: opts
            .not_before
            .checked_add(opts.key_usage + opts.document_validity)
            .ok_or_else(|| fail("the validity ends too far away".into()))?,
    };
    issuer.check_outlives(lifetime.not_after)?;
    let crl = match &opts.crl_url {
        Some(url) => ext::crl_distribution_point(url)?,
        None => extension(&csca_cert, CrlDistributionPoints::OID)
            .cloned()
            .ok_or_else(|| {
                fail("the CSCA certificate names no CRL distribution point: give one".into())
            })?,
    };
    let mut extensions = vec![
        ext::signer_key_usage()?,
        ext::authority_key_identifier(&key_id_of(&csca_cert))?,
        ext::subject_key_identifier(&spki)?,
        ext::usage_period(opts.not_before, opts.key_usage)?,
        crl,
    ];
    extensions.extend(issuer.alt_names(opts.contact.as_deref())?);
    extensions.push(ext::document_type_list(&opts.document_types)?);
    profile::issue_certificate::<S, Sig>(
        csca_signer,
        CertificateParts {
            subject: subject.clone(),
            issuer: csca_cert.tbs_certificate().subject().clone(),
            spki,
            lifetime,
            extensions,
        },
    )
}

/// The CSCA about to sign: its country, its alternative names, and its right to sign now.
pub(crate) struct Issuer {
    pub(crate) country: String,
    not_after: SystemTime,
    san: Option<x509_cert::ext::pkix::name::GeneralNames>,
}

impl Issuer {
    /// Checks that `signer` holds `csca`'s key and that the key may sign at `at`.
    pub(crate) fn of<S>(
        csca: &x509_cert::Certificate,
        signer: &S,
        at: SystemTime,
    ) -> Result<Self, PkiError>
    where
        S: Keypair,
        S::VerifyingKey: EncodePublicKey,
    {
        let fail = |reason: String| PkiError::Build {
            what: "certificate",
            reason,
        };
        if profile::spki_of(&signer.verifying_key())?
            != *csca.tbs_certificate().subject_public_key_info()
        {
            return Err(PkiError::KeyMismatch("CSCA".into()));
        }
        let country = profile::country_of(csca.tbs_certificate().subject())
            .ok_or_else(|| fail("the CSCA certificate's subject names no country".into()))?;
        if let Some(period) = extension(csca, PrivateKeyUsagePeriod::OID)
            .and_then(|e| PrivateKeyUsagePeriod::from_der(e.extn_value.as_bytes()).ok())
        {
            let before = period.not_before.map(|t| t.to_system_time());
            let after = period.not_after.map(|t| t.to_system_time());
            if before.is_some_and(|b| at < b) || after.is_some_and(|a| at > a) {
                return Err(fail(format!(
                    "the CSCA key may sign only within its private key usage period ({} to {}), \
                     not at {}",
                    show(before),
                    show(after),
                    show(Some(at))
                )));
            }
        }
        let san = extension(csca, SubjectAltName::OID)
            .and_then(|e| SubjectAltName::from_der(e.extn_value.as_bytes()).ok())
            .map(|s| s.0);
        Ok(Self {
            country,
            not_after: csca.tbs_certificate().validity().not_after.to_system_time(),
            san,
        })
    }

    /// A certificate the CSCA signs must not outlive the CSCA certificate (§4.1.4.1).
    pub(crate) fn check_outlives(&self, not_after: SystemTime) -> Result<(), PkiError> {
        if not_after > self.not_after {
            return Err(PkiError::Build {
                what: "certificate",
                reason: format!(
                    "it would be valid until {}, after the CSCA certificate ({}): shorten its \
                     periods or renew the CSCA",
                    show(Some(not_after)),
                    show(Some(self.not_after))
                ),
            });
        }
        Ok(())
    }

    /// subjectAltName (`L=<ICAO code>`, contact) and issuerAltName (the CSCA's
    /// subjectAltName), §7.1.1.2.
    pub(crate) fn alt_names(
        &self,
        contact: Option<&str>,
    ) -> Result<Vec<x509_cert::ext::Extension>, PkiError> {
        let code = icao_code_of(&self.country)?;
        let csca_contact = self.san.as_ref().and_then(|names| {
            names.iter().find_map(|n| match n {
                x509_cert::ext::pkix::name::GeneralName::UniformResourceIdentifier(u) => {
                    Some(u.to_string())
                }
                _ => None,
            })
        });
        let contact = contact
            .map(str::to_owned)
            .or(csca_contact)
            .unwrap_or_else(|| format!("http://pki.test.invalid/{}/", self.country));
        let mut out = vec![ext::subject_alt_name(ext::alt_names(&code, &contact)?)?];
        if let Some(names) = &self.san {
            out.push(ext::issuer_alt_name(names.clone())?);
        }
        Ok(out)
    }
}

fn show(t: Option<SystemTime>) -> String {
    t.and_then(|t| der::DateTime::from_system_time(t).ok())
        .map_or_else(|| "-".into(), |d| d.to_string())
}
