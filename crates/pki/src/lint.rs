//! `pki lint`: a certificate against the ICAO Doc 9303-12 profile (docs/spec/lds.md §10, §10.1) — the
//! certificate body (§7.1.1 Table 5), the extensions of its role (Table 6: presence,
//! criticality, values), its algorithms and keys (§4.1.6) and its periods (§4.1 Table 1:
//! private key usage period against validity). Each finding names its clause and a severity:
//!
//! - **error**: a MUST of the profile is broken (`pki lint` exits 2);
//! - **warning**: a SHOULD or RECOMMENDED is not followed, or a field the current profile
//!   mandates is missing where earlier profiles (9303-12 Appendix C) did without it;
//! - **info**: a deviation readers accept in practice, noted (a named elliptic curve where
//!   §4.1.6.3 asks for explicit domain parameters).
//!
//! The role is read from the certificate (cA and self-signed: CSCA root; cA otherwise: link;
//! extKeyUsage 2.23.136.1.1.3 or .8: list signer; else Document Signer) or given. Given the
//! issuer's certificate, the signature, the authorityKeyIdentifier and the names are checked
//! against it too.

mod algorithms;
mod extensions;
mod fields;
mod periods;
mod table;

use x509_parser::{certificate::X509Certificate, prelude::FromDer};

use crate::{
    PkiError,
    profile::{ID_ICAO_CSCA_MASTER_LIST_SIGNING_KEY, ID_ICAO_DEVIATION_LIST_SIGNING_KEY, Role},
};

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Noted; accepted in practice.
    Info,
    /// A SHOULD not followed.
    Warning,
    /// A MUST broken.
    Error,
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "ERROR",
        })
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// Stable id (`key-usage`, `basic-constraints`, `subject-country` …).
    pub id: &'static str,
    /// The clause it comes from (`9303-12 §7.1.1 Table 6`).
    pub clause: &'static str,
    /// How much it matters.
    pub severity: Severity,
    /// What was found.
    pub message: String,
}

/// Every finding on one certificate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LintReport {
    /// The role it was checked as.
    pub role: Role,
    /// Whether the role was read from the certificate (not given).
    pub role_detected: bool,
    /// Its subject.
    pub subject: String,
    /// The findings, in the order checked.
    pub findings: Vec<Finding>,
}

impl LintReport {
    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
    }

    /// No error and no warning.
    pub fn is_clean(&self) -> bool {
        self.findings.iter().all(|f| f.severity == Severity::Info)
    }

    /// How many findings of `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}

/// What to lint against.
#[derive(Debug, Clone, Default)]
pub struct LintOptions {
    /// The role; `None` reads it from the certificate.
    pub role: Option<Role>,
    /// The issuer's certificate (DER), to check the signature and the links to it.
    pub issuer: Option<Vec<u8>>,
}

/// The findings on one certificate (DER).
pub fn lint(der: &[u8], opts: &LintOptions) -> Result<LintReport, PkiError> {
    let (rest, cert) =
        X509Certificate::from_der(der).map_err(|e| PkiError::decode("certificate", e))?;
    let mut out = Findings::default();
    if !rest.is_empty() {
        out.push(
            "der",
            "9303-12 §7.1",
            Severity::Error,
            format!("{} bytes after the certificate", rest.len()),
        );
    }
    let role = opts.role.unwrap_or_else(|| detect_role(&cert));
    fields::check(der, &cert, role, &mut out);
    extensions::check(der, &cert, role, &mut out);
    algorithms::check(&cert, &mut out);
    periods::check(&cert, role, &mut out);
    if let Some(issuer) = &opts.issuer {
        fields::check_issuer(&cert, issuer, &mut out);
    }
    Ok(LintReport {
        role,
        role_detected: opts.role.is_none(),
        subject: cert.subject().to_string(),
        findings: out.0,
    })
}

/// The role a certificate shows: cA and self-signed (a CSCA root), cA (a link), a list
/// signer's extKeyUsage, or else a Document Signer.
pub fn detect_role(cert: &X509Certificate<'_>) -> Role {
    if cert.is_ca() {
        let self_issued = cert.issuer().as_raw() == cert.subject().as_raw();
        return if self_issued && cert.verify_signature(None).is_ok() {
            Role::CscaRoot
        } else {
            Role::CscaLink
        };
    }
    let purposes: Vec<String> = cert
        .extended_key_usage()
        .ok()
        .flatten()
        .map(|e| e.value.other.iter().map(|o| o.to_id_string()).collect())
        .unwrap_or_default();
    if purposes.contains(&ID_ICAO_CSCA_MASTER_LIST_SIGNING_KEY.to_string()) {
        Role::MasterListSigner
    } else if purposes.contains(&ID_ICAO_DEVIATION_LIST_SIGNING_KEY.to_string()) {
        Role::DeviationListSigner
    } else {
        Role::DocumentSigner
    }
}

/// The findings being collected.
#[derive(Debug, Default)]
pub(crate) struct Findings(Vec<Finding>);

impl Findings {
    pub(crate) fn push(
        &mut self,
        id: &'static str,
        clause: &'static str,
        severity: Severity,
        message: impl Into<String>,
    ) {
        self.0.push(Finding {
            id,
            clause,
            severity,
            message: message.into(),
        });
    }

    pub(crate) fn error(
        &mut self,
        id: &'static str,
        clause: &'static str,
        message: impl Into<String>,
    ) {
        self.push(id, clause, Severity::Error, message);
    }

    pub(crate) fn warning(
        &mut self,
        id: &'static str,
        clause: &'static str,
        message: impl Into<String>,
    ) {
        self.push(id, clause, Severity::Warning, message);
    }
}
