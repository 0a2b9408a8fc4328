//! Master List Signer (and Deviation List Signer) certificates (ICAO Doc 9303-12 §3.1.6,
//! §3.1.7, §5.3, §7.1.1 Table 6; docs/spec/lds.md §10.1): issued by the CSCA, keyUsage digitalSignature (critical),
//! extKeyUsage 2.23.136.1.1.3 (master lists) or 2.23.136.1.1.8 (deviation lists), critical
//! (§7.1.1.3); authorityKeyIdentifier, subjectKeyIdentifier, privateKeyUsagePeriod,
//! cRLDistributionPoints and the alternative names. A CSCA must not sign master lists itself
//! (§5.3): this certificate is what signs them. Key usage period and validity are the issuing
//! State's choice (Table 1): one year of signing, valid one year longer.

use std::time::{Duration, SystemTime};

use der::oid::AssociatedOid;
use signature::{Keypair, Signer};
use spki::{
    DynSignatureAlgorithmIdentifier, EncodePublicKey, SignatureBitStringEncoding,
    SubjectPublicKeyInfoOwned,
};
use x509_cert::{ext::pkix::CrlDistributionPoints, name::Name};

use crate::{
    PkiError,
    ds_issue::Issuer,
    profile::{
        self, CertificateParts, ID_ICAO_CSCA_MASTER_LIST_SIGNING_KEY,
        ID_ICAO_DEVIATION_LIST_SIGNING_KEY, Lifetime, ML_SIGNER_KEY_USAGE, NameParts, Role, YEAR,
        extensions as ext,
        issue::{decode, extension, key_id_of},
    },
};

/// What the CSCA grants a list signer.
#[derive(Debug, Clone)]
pub struct ListSignerOptions {
    /// [`Role::MasterListSigner`] or [`Role::DeviationListSigner`].
    pub role: Role,
    /// Start of validity and of the private key usage period.
    pub not_before: SystemTime,
    /// How long the key signs lists.
    pub key_usage: Duration,
    /// How long its lists must verify after the key's last use.
    pub tail: Duration,
}

impl ListSignerOptions {
    /// A Master List Signer starting an hour ago, signing for a year.
    pub fn master_list() -> Self {
        let now = SystemTime::now();
        Self {
            role: Role::MasterListSigner,
            not_before: now.checked_sub(Duration::from_secs(3600)).unwrap_or(now),
            key_usage: ML_SIGNER_KEY_USAGE,
            tail: YEAR,
        }
    }
}

/// The subject of a TEST ONLY list signer of the CSCA's country.
pub fn test_only_subject(country: &str, role: Role) -> Result<Name, PkiError> {
    NameParts::test_only(country, &format!("TEST ONLY {role} - not for production")).to_name()
}

/// Issues a list signer certificate for `spki`, signed by `csca_signer`, the key of `csca`.
/// `subject` defaults to a TEST ONLY name of the CSCA's country.
pub fn issue<S, Sig>(
    csca: &[u8],
    csca_signer: &S,
    subject: Option<&Name>,
    spki: SubjectPublicKeyInfoOwned,
    opts: &ListSignerOptions,
) -> Result<Vec<u8>, PkiError>
where
    S: Keypair + DynSignatureAlgorithmIdentifier + Signer<Sig>,
    S::VerifyingKey: EncodePublicKey,
    Sig: SignatureBitStringEncoding,
{
    let purpose = match opts.role {
        Role::MasterListSigner => ID_ICAO_CSCA_MASTER_LIST_SIGNING_KEY,
        Role::DeviationListSigner => ID_ICAO_DEVIATION_LIST_SIGNING_KEY,
        other => {
            return Err(PkiError::Build {
                what: "list signer certificate",
                reason: format!("{other} is not a list signer"),
            });
        }
    };
    let csca_cert = decode(csca, "CSCA certificate")?;
    let issuer = Issuer::of::<S>(&csca_cert, csca_signer, opts.not_before)?;
    let subject = match subject {
        Some(s) => s.clone(),
        None => test_only_subject(&issuer.country, opts.role)?,
    };
    if profile::country_of(&subject).as_deref() != Some(issuer.country.as_str()) {
        return Err(PkiError::Build {
            what: "list signer certificate",
            reason: format!(
                "its subject {subject} must name the CSCA's country {} (9303-12 §7.1.1 Table 5)",
                issuer.country
            ),
        });
    }
    let lifetime = Lifetime {
        not_before: opts.not_before,
        not_after: opts
            .not_before
            .checked_add(opts.key_usage + opts.tail)
            .ok_or_else(|| PkiError::Build {
                what: "list signer certificate",
                reason: "the validity ends too far away".into(),
            })?,
    };
    issuer.check_outlives(lifetime.not_after)?;
    let mut extensions = vec![
        ext::signer_key_usage()?,
        ext::extended_key_usage(purpose)?,
        ext::authority_key_identifier(&key_id_of(&csca_cert))?,
        ext::subject_key_identifier(&spki)?,
        ext::usage_period(opts.not_before, opts.key_usage)?,
    ];
    if let Some(crl) = extension(&csca_cert, CrlDistributionPoints::OID) {
        extensions.push(crl.clone());
    }
    extensions.extend(issuer.alt_names(None)?);
    profile::issue_certificate::<S, Sig>(
        csca_signer,
        CertificateParts {
            subject,
            issuer: csca_cert.tbs_certificate().subject().clone(),
            spki,
            lifetime,
            extensions,
        },
    )
}
