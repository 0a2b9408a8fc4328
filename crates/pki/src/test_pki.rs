//! A test CSCA and Document Signer following the ICAO Doc 9303-12 certificate profile (§7.1).
//!
//! | | CSCA (self-signed) | Document Signer |
//! |---|---|---|
//! | keyUsage (critical) | keyCertSign, cRLSign | digitalSignature |
//! | basicConstraints (critical) | cA TRUE, pathLen 0 | — |
//! | subjectKeyIdentifier | yes | yes |
//! | authorityKeyIdentifier | — | CSCA's key id |
//! | privateKeyUsagePeriod | 5 years | 3 months |
//! | cRLDistributionPoints | yes | yes |
//! | documentTypeList (2.23.136.1.1.6.2) | — | the document codes it may sign |
//! | subjectAltName, issuerAltName | `L=UKR` and a contact URI (§7.1.1.2) | the same |
//!
//! Both are made by the issuers of [`crate::csca`] and [`crate::ds_issue`], so `pki init` writes
//! what `pki csca init` and `pki ds issue` write, and `pki lint` is clean on them.
//!
//! With them comes a TEST ONLY EAC PKI ([`crate::eac`]: CVCA, DV, inspection system, written to
//! `eac/`): the CVCA certificate is the trust point the document profiles' chips get for the
//! fingerprints (`chip.eac.trust_point = "eac/cvca.cvcert"`), the DV and IS what a station
//! reads them back with.
//!
//! Validity follows 9303-12 practice: a certificate lives as long as its key's usage period plus
//! the longest validity of a document signed with it (10 years for a permanent residence
//! permit). Keys are ECDSA P-256. Every subject names the PKI TEST ONLY and every PEM file says
//! so in front of its block: these files must never sign a real document.

use std::{path::Path, time::SystemTime};

use super::{
    DocumentSigner, PkiError,
    csca::{self, CscaOptions},
    ds_issue::{self, DsOptions},
    files::{new_file_key, test_only_note, write_pem, write_private_key},
    profile::{self, NameParts},
    signer::{FileKey, FileKeySignature, read_certificate, read_private_key},
};

/// `id-icao-mrtd-security-extensions-documentTypeList` 2.23.136.1.1.6.2, defined once in the LDS
/// crate, which reads it.
pub use permitkit_lds::sod::scope::ID_DOCUMENT_TYPE_LIST;

/// What the test PKI is issued for.
#[derive(Debug, Clone)]
pub struct TestPkiOptions {
    /// Two-letter country code of the issuing State (`UA`).
    pub country: String,
    /// Document codes the Document Signer may sign (documentTypeList), e.g. `IR`.
    pub document_types: Vec<String>,
    /// Start of validity; certificates start one hour earlier to absorb clock skew.
    pub not_before: SystemTime,
}

impl Default for TestPkiOptions {
    fn default() -> Self {
        Self {
            country: "UA".into(),
            document_types: vec!["IR".into(), "IP".into()],
            not_before: SystemTime::now(),
        }
    }
}

/// A test CSCA and Document Signer with their keys.
pub struct TestPki {
    /// CSCA certificate, DER.
    pub csca_der: Vec<u8>,
    /// CSCA private key.
    pub csca_key: FileKey,
    /// Document Signer certificate, DER.
    pub ds_der: Vec<u8>,
    /// Document Signer private key.
    pub ds_key: FileKey,
    /// The EAC PKI of the same State (`eac/`), when generated or present in the folder loaded.
    pub eac: Option<crate::eac::EacPki>,
}

impl std::fmt::Debug for TestPki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TestPki { .. }")
    }
}

impl TestPki {
    /// Generates fresh keys and certificates, with the builders of [`crate::csca`] and
    /// [`crate::ds_issue`].
    pub fn generate(opts: &TestPkiOptions) -> Result<Self, PkiError> {
        let start = opts
            .not_before
            .checked_sub(std::time::Duration::from_secs(3600))
            .unwrap_or(opts.not_before);
        let csca_opts = CscaOptions {
            not_before: start,
            ..CscaOptions::test_only(&opts.country)
        };
        // The names first: a country that is not a State is refused before any key is made.
        let ds_subject = NameParts::test_only(
            &opts.country,
            "TEST ONLY Document Signer - not for production documents",
        )
        .to_name()?;
        profile::extensions::document_type_list(&opts.document_types)?;
        let csca_key = new_file_key()?;
        let ds_key = new_file_key()?;
        let csca_der = csca::issue_root::<_, FileKeySignature>(&csca_key, &csca_opts)?;
        let ds_der = ds_issue::issue::<_, FileKeySignature>(
            &csca_der,
            &csca_key,
            &ds_subject,
            profile::spki_of(ds_key.verifying_key())?,
            &DsOptions {
                not_before: start,
                ..DsOptions::new(opts.document_types.clone())
            },
        )?;
        let eac_start =
            permitkit_cvc::CvDate::from_system_time(start).ok_or_else(|| PkiError::Build {
                what: "EAC PKI",
                reason: "the start of validity is outside 2000-2099".into(),
            })?;
        let eac = crate::eac::EacPki::generate(&crate::eac::EacPkiOptions {
            country: opts.country.clone(),
            ..crate::eac::EacPkiOptions::new(eac_start)
        })?;
        Ok(Self {
            csca_der,
            csca_key,
            ds_der,
            ds_key,
            eac: Some(eac),
        })
    }

    /// The Document Signer, ready to sign EF.SOD.
    pub fn document_signer(&self) -> Result<DocumentSigner, PkiError> {
        DocumentSigner::new(self.ds_der.clone(), self.ds_key.clone())
    }

    /// Writes `csca.pem`, `csca-key.pem`, `ds.pem`, `ds-key.pem` into `dir` (created if
    /// missing). Key files are readable by the owner only.
    pub fn write_dir(&self, dir: &Path) -> Result<(), PkiError> {
        std::fs::create_dir_all(dir).map_err(|source| PkiError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        write_pem(
            &dir.join("csca.pem"),
            "CERTIFICATE",
            &self.csca_der,
            &test_only_note("CSCA certificate"),
        )?;
        write_pem(
            &dir.join("ds.pem"),
            "CERTIFICATE",
            &self.ds_der,
            &test_only_note("Document Signer certificate"),
        )?;
        write_private_key(
            &dir.join("csca-key.pem"),
            &self.csca_key,
            "CSCA private key",
        )?;
        write_private_key(
            &dir.join("ds-key.pem"),
            &self.ds_key,
            "Document Signer private key",
        )?;
        if let Some(eac) = &self.eac {
            eac.write_dir(&dir.join("eac"))?;
        }
        Ok(())
    }

    /// Loads a test PKI written by [`TestPki::write_dir`].
    pub fn load_dir(dir: &Path) -> Result<Self, PkiError> {
        let pki = Self {
            csca_der: read_certificate(&dir.join("csca.pem"))?,
            csca_key: read_private_key(&dir.join("csca-key.pem"))?,
            ds_der: read_certificate(&dir.join("ds.pem"))?,
            ds_key: read_private_key(&dir.join("ds-key.pem"))?,
            eac: if dir.join("eac").is_dir() {
                Some(crate::eac::EacPki::load_dir(&dir.join("eac"))?)
            } else {
                None
            },
        };
        pki.document_signer()?;
        Ok(pki)
    }
}
