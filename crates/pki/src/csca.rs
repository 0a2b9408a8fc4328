//! Country Signing CA certificates (ICAO Doc 9303-12 §3.1.1, §4.1.4, §7.1.1 Table 6;
//! docs/spec/lds.md §10.1):
//! the self-signed root, and the link certificate that certifies a new CSCA key with the old
//! one at a key rollover (§4.1.4.3) — self-issued, issuer the old CSCA's name, subject the new
//! one, signed by the old key, with the NameChange extension when the name changed (§7.1.1.5).
//!
//! A root's private key usage period is the CSCA key's issuing period (3–5 years) and its
//! validity that period plus the longest life of anything it signs (§4.1.4.1): a Document
//! Signer's usage period plus a document's validity.

use std::time::{Duration, SystemTime};

use signature::{Keypair, Signer};
use spki::{DynSignatureAlgorithmIdentifier, EncodePublicKey, SignatureBitStringEncoding};
use x509_cert::ext::pkix::{
    BasicConstraints, CrlDistributionPoints, PrivateKeyUsagePeriod, SubjectAltName,
};

use crate::{
    PkiError,
    profile::{
        self, CertificateParts, DOCUMENT_VALIDITY, DS_KEY_USAGE, Lifetime, NameParts,
        extensions as ext, icao_code_of,
    },
};

/// What a CSCA root certificate says.
#[derive(Debug, Clone)]
pub struct CscaOptions {
    /// ISO 3166-1 alpha-2 code of the issuing State.
    pub country: String,
    /// The subject's other attributes (O, OU, CN); its country is `country`.
    pub subject: NameParts,
    /// Start of validity and of the private key usage period.
    pub not_before: SystemTime,
    /// How long the CSCA key signs (privateKeyUsagePeriod, 3–5 years).
    pub key_usage: Duration,
    /// How long after the key's last use its signatures must still verify: the longest life
    /// of a certificate it signs (a DS key period plus a document's validity).
    pub tail: Duration,
    /// The URL of the CSCA's CRL (cRLDistributionPoints, §7.1.1.4).
    pub crl_url: String,
    /// Contact URI in the alternative names (§7.1.1.2).
    pub contact: String,
}

impl CscaOptions {
    /// A TEST ONLY CSCA of `country`: named so, starting an hour ago (clock skew), a 5-year
    /// key usage period, URLs under `pki.test.invalid`.
    pub fn test_only(country: &str) -> Self {
        let now = SystemTime::now();
        Self {
            country: country.to_owned(),
            subject: NameParts::test_only(country, "TEST ONLY CSCA - not for production documents"),
            not_before: now.checked_sub(Duration::from_secs(3600)).unwrap_or(now),
            key_usage: profile::CSCA_KEY_USAGE,
            tail: DS_KEY_USAGE + DOCUMENT_VALIDITY,
            crl_url: format!("http://pki.test.invalid/{country}/csca.crl"),
            contact: format!("http://pki.test.invalid/{country}/"),
        }
    }
}

/// Issues a self-signed CSCA root certificate for `signer`'s key.
pub fn issue_root<S, Sig>(signer: &S, opts: &CscaOptions) -> Result<Vec<u8>, PkiError>
where
    S: Keypair + DynSignatureAlgorithmIdentifier + Signer<Sig>,
    S::VerifyingKey: EncodePublicKey,
    Sig: SignatureBitStringEncoding,
{
    let mut subject = opts.subject.clone();
    subject.country.clone_from(&opts.country);
    let name = subject.to_name()?;
    let spki = profile::spki_of(&signer.verifying_key())?;
    let alt = ext::alt_names(&icao_code_of(&opts.country)?, &opts.contact)?;
    let not_after = after(opts.not_before, opts.key_usage + opts.tail)?;
    let extensions = vec![
        ext::ca_basic_constraints()?,
        ext::ca_key_usage()?,
        ext::subject_key_identifier(&spki)?,
        ext::usage_period(opts.not_before, opts.key_usage)?,
        ext::crl_distribution_point(&opts.crl_url)?,
        ext::subject_alt_name(alt.clone())?,
        ext::issuer_alt_name(alt)?,
    ];
    profile::issue_certificate::<S, Sig>(
        signer,
        CertificateParts {
            subject: name.clone(),
            issuer: name,
            spki,
            lifetime: Lifetime {
                not_before: opts.not_before,
                not_after,
            },
            extensions,
        },
    )
}

/// Issues the link certificate of a CSCA key rollover: `new_root`'s key and name certified by
/// `old_signer`, the key of `old_root`. The link lives from `not_before` to the new root's
/// notAfter and carries the new root's private key usage period, CRL distribution point and
/// subjectAltName; its issuerAltName is the old root's subjectAltName.
pub fn issue_link<S, Sig>(
    old_root: &[u8],
    old_signer: &S,
    new_root: &[u8],
    not_before: SystemTime,
) -> Result<Vec<u8>, PkiError>
where
    S: Keypair + DynSignatureAlgorithmIdentifier + Signer<Sig>,
    S::VerifyingKey: EncodePublicKey,
    Sig: SignatureBitStringEncoding,
{
    use der::oid::AssociatedOid;
    let old = profile::issue::decode(old_root, "old CSCA certificate")?;
    let new = profile::issue::decode(new_root, "new CSCA certificate")?;
    let fail = |reason: String| PkiError::Build {
        what: "CSCA link certificate",
        reason,
    };
    let signer_spki = profile::spki_of(&old_signer.verifying_key())?;
    if &signer_spki != old.tbs_certificate().subject_public_key_info() {
        return Err(PkiError::KeyMismatch("old CSCA".into()));
    }
    for (cert, which) in [(&old, "old"), (&new, "new")] {
        let is_ca = profile::issue::extension(cert, BasicConstraints::OID).is_some_and(|e| {
            use der::Decode;
            BasicConstraints::from_der(e.extn_value.as_bytes()).is_ok_and(|b| b.ca)
        });
        if !is_ca {
            return Err(fail(format!(
                "the {which} certificate is not a CSCA (no cA)"
            )));
        }
    }
    let (old_c, new_c) = (
        profile::country_of(old.tbs_certificate().subject()),
        profile::country_of(new.tbs_certificate().subject()),
    );
    if old_c.is_none() || old_c != new_c {
        return Err(fail(format!(
            "the old CSCA's country {old_c:?} and the new one's {new_c:?} differ: a link \
             certificate stays within one State (9303-12 §7.1.1 Table 5)"
        )));
    }
    let new_spki = new.tbs_certificate().subject_public_key_info().clone();
    if new_spki == signer_spki {
        return Err(fail(
            "the new CSCA certificate has the old key: nothing to link".into(),
        ));
    }
    let copy = |oid| {
        profile::issue::extension(&new, oid)
            .cloned()
            .ok_or_else(|| fail(format!("the new CSCA certificate has no extension {oid}")))
    };
    let mut extensions = vec![
        ext::ca_basic_constraints()?,
        ext::ca_key_usage()?,
        ext::authority_key_identifier(&profile::issue::key_id_of(&old))?,
        ext::subject_key_identifier(&new_spki)?,
        copy(PrivateKeyUsagePeriod::OID)?,
        copy(CrlDistributionPoints::OID)?,
    ];
    if let Some(san) = profile::issue::extension(&new, SubjectAltName::OID) {
        extensions.push(san.clone());
    }
    if let Some(old_san) = profile::issue::extension(&old, SubjectAltName::OID) {
        use der::Decode;
        let names = SubjectAltName::from_der(old_san.extn_value.as_bytes())
            .map_err(|e| fail(format!("old subjectAltName: {e}")))?;
        extensions.push(ext::issuer_alt_name(names.0)?);
    }
    let renamed = old.tbs_certificate().subject() != new.tbs_certificate().subject();
    if renamed {
        extensions.push(ext::name_change()?);
    }
    let not_after = new.tbs_certificate().validity().not_after.to_system_time();
    profile::issue_certificate::<S, Sig>(
        old_signer,
        CertificateParts {
            subject: new.tbs_certificate().subject().clone(),
            issuer: old.tbs_certificate().subject().clone(),
            spki: new_spki,
            lifetime: Lifetime {
                not_before,
                not_after,
            },
            extensions,
        },
    )
}

fn after(start: SystemTime, length: Duration) -> Result<SystemTime, PkiError> {
    start.checked_add(length).ok_or_else(|| PkiError::Build {
        what: "validity",
        reason: "ends too far away".into(),
    })
}
