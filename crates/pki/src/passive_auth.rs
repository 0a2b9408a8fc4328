//! Passive authentication (ICAO Doc 9303-11 §5.1; 9303-12 §5): does EF.SOD carry a valid
//! signature by a Document Signer that a trusted CSCA issued, and does every data group hash to
//! the value the SOD records?
//!
//! Certificates are read and signatures verified with `x509-parser` (and its `ring` backend),
//! independently of the RustCrypto stack that writes certificates and EF.SOD. The result is a
//! report of every step, not a single yes/no: an operator must see which file was tampered with.
//!
//! Beyond the signature and the hashes:
//! - the Document Signer's right to sign this document (9303-12 §7.1): its documentTypeList
//!   names the document code, its country is the issuing State, the signing time falls within
//!   its private key usage period (`ds-document-type`, `ds-country`, `ds-key-usage-period`);
//! - completeness: every data group EF.COM or EF.SOD lists is verified, or reported "not read"
//!   with the reason the chip gave ([`verify_read`]); in a ChipImage folder or a read-back
//!   ([`verify`]) a listed file that is missing fails, named. DG1 and DG2 are mandatory
//!   (9303-10 §4.7): their absence always fails, saying so;
//! - the trust anchor (9303-12 §6.1, Appendix D.1): found in a [`TrustStore`] by the key the
//!   Document Signer's authorityKeyIdentifier names (a CSCA root or a link certificate), named
//!   in `certificate-chain`; its country the document's issuing State (`csca-country`); the
//!   CSCA's CRL current (`crl-signature`, `crl-validity`) and revoking neither the Document
//!   Signer nor the anchor (`ds-revocation`);
//! - the files EF.SOD does not cover, parsed strictly: EF.COM must list exactly the data groups
//!   EF.SOD hashes (`com`), and the PACEInfos of EF.CardAccess must be those DG14 repeats under
//!   the signature (`card-access`).

pub mod card_security;

use std::collections::BTreeMap;

use serde::Serialize;
use x509_parser::{
    certificate::X509Certificate, der_parser::asn1_rs::BitString, extensions::ParsedExtension,
    prelude::FromDer, time::ASN1Time, x509::AlgorithmIdentifier,
};

use crate::trust::{Anchor, IssuerLookup, TrustStore};
use permitkit_lds::{
    CardAccess, Com, Dg1, Dg14, Ef,
    mrz::CountryCode,
    sod::{
        HashAlgorithm, ParsedSod, ScopeError, SignerId, SignerScope, parse::LEGACY_ECONTENT_TYPES,
    },
};

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckStatus {
    /// The check passed.
    Pass,
    /// The check failed: the document does not verify.
    Fail,
    /// The check could not be made (a file not read, say); not a failure by itself.
    NotChecked,
}

/// One step of passive authentication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable id: `sod-structure`, `signer-certificate`, `certificate-chain` (naming the trust
    /// anchor used), `csca-key-usage`, `csca-validity`, `csca-country`, `crl-signature`,
    /// `crl-validity`, `ds-revocation`, `ds-validity`, `ds-key-usage`, `ds-key-usage-period`,
    /// `ds-document-type`, `ds-country`, `content-type`, `message-digest`, `signature`,
    /// `hash:DG1` …, `com`, `card-access`, `card-security` ([`card_security`]); the command
    /// line adds `chip-authentication`, `manifest` and
    /// `manifest:<file>` for a ChipImage folder.
    pub id: String,
    /// Outcome.
    pub status: CheckStatus,
    /// What was found, for a person.
    pub detail: String,
}

/// Every step, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaReport {
    /// The checks.
    pub checks: Vec<Check>,
}

impl PaReport {
    /// True when no check failed, the signature and chain passed, DG1 and DG2 were hashed, and
    /// the Document Signer may sign the document's type.
    pub fn is_valid(&self) -> bool {
        let passed = |id: &str| {
            self.checks
                .iter()
                .any(|c| c.id == id && c.status == CheckStatus::Pass)
        };
        !self.checks.iter().any(|c| c.status == CheckStatus::Fail)
            && [
                "signature",
                "certificate-chain",
                "message-digest",
                "hash:DG1",
                "hash:DG2",
                "ds-document-type",
            ]
            .iter()
            .all(|id| passed(id))
    }

    /// Adds a check made outside this module (a ChipImage folder's manifest, say), so that one
    /// report, and one verdict, covers everything verified.
    pub fn add(&mut self, id: impl Into<String>, status: CheckStatus, detail: impl Into<String>) {
        self.push(id, status, detail);
    }

    /// The failed checks.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.status == CheckStatus::Fail)
    }

    fn push(&mut self, id: impl Into<String>, status: CheckStatus, detail: impl Into<String>) {
        self.checks.push(Check {
            id: id.into(),
            status,
            detail: detail.into(),
        });
    }
}

/// Why the files of one chip did not pass passive authentication ([`verify_files`]): the
/// report itself, so a caller can tell which check failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PaFailure {
    /// The files hold no EF.SOD: there is nothing to verify them against.
    #[error("passive authentication: no EF.SOD among the files")]
    NoSod,
    /// At least one check failed (or a mandatory one did not pass); the message names every
    /// failed check with what it found.
    #[error("passive authentication failed: {}", failed_checks(.0))]
    Failed(PaReport),
}

impl PaFailure {
    /// The report of every check, when EF.SOD was there to check.
    pub fn report(&self) -> Option<&PaReport> {
        match self {
            Self::NoSod => None,
            Self::Failed(report) => Some(report),
        }
    }
}

/// `id: detail` of every failed check, `; `-separated; for a report that failed none (a
/// mandatory check missing), the mandatory checks it lacks.
fn failed_checks(report: &PaReport) -> String {
    let failed: Vec<String> = report
        .failures()
        .map(|c| format!("{}: {}", c.id, c.detail))
        .collect();
    if failed.is_empty() {
        return "a mandatory check (signature, chain, DG1, DG2, document type) did not pass".into();
    }
    failed.join("; ")
}

/// Passive authentication of the files of one chip (EF.SOD among them), for a yes-or-no
/// decision: `Err` carries the report.
pub fn verify_files(
    files: &[(Ef, Vec<u8>)],
    cscas: &[Vec<u8>],
    now_unix: i64,
) -> Result<(), PaFailure> {
    verify_files_trusted(files, &TrustStore::from_certificates(cscas), now_unix)
}

/// [`verify_files`] against a trust store.
pub fn verify_files_trusted(
    files: &[(Ef, Vec<u8>)],
    trust: &TrustStore,
    now_unix: i64,
) -> Result<(), PaFailure> {
    let map: BTreeMap<Ef, Vec<u8>> = files.iter().cloned().collect();
    let sod = map.get(&Ef::Sod).ok_or(PaFailure::NoSod)?;
    let report = verify_trusted(sod, &map, trust, now_unix);
    if report.is_valid() {
        return Ok(());
    }
    Err(PaFailure::Failed(report))
}

/// Verifies EF.SOD (`sod`) and the files of a ChipImage folder or a complete read-back (`files`)
/// against the trusted CSCA certificates `cscas` (DER): every file EF.COM or EF.SOD lists must
/// be there. Validity is checked at the SOD's signing time, or at `now_unix` when the SOD has
/// none.
pub fn verify(
    sod: &[u8],
    files: &BTreeMap<Ef, Vec<u8>>,
    cscas: &[Vec<u8>],
    now_unix: i64,
) -> PaReport {
    verify_with(
        sod,
        files,
        None,
        &TrustStore::from_certificates(cscas),
        now_unix,
    )
}

/// [`verify`] against a trust store: the anchor found by the Document Signer's
/// authorityKeyIdentifier, the CSCA's country against the document's issuing State, and the
/// CSCA's CRL (current at `now_unix`, not revoking the Document Signer).
pub fn verify_trusted(
    sod: &[u8],
    files: &BTreeMap<Ef, Vec<u8>>,
    trust: &TrustStore,
    now_unix: i64,
) -> PaReport {
    verify_with(sod, files, None, trust, now_unix)
}

/// [`verify`] for the files read from a chip: a file EF.COM or EF.SOD lists that the chip would
/// not give is reported "not read" with its reason from `not_read` (access control, say)
/// instead of failing; one missing without a reason still fails, and so does a mandatory one
/// (DG1, DG2).
pub fn verify_read(
    sod: &[u8],
    files: &BTreeMap<Ef, Vec<u8>>,
    not_read: &BTreeMap<Ef, String>,
    cscas: &[Vec<u8>],
    now_unix: i64,
) -> PaReport {
    verify_with(
        sod,
        files,
        Some(not_read),
        &TrustStore::from_certificates(cscas),
        now_unix,
    )
}

/// [`verify_read`] against a trust store.
pub fn verify_read_trusted(
    sod: &[u8],
    files: &BTreeMap<Ef, Vec<u8>>,
    not_read: &BTreeMap<Ef, String>,
    trust: &TrustStore,
    now_unix: i64,
) -> PaReport {
    verify_with(sod, files, Some(not_read), trust, now_unix)
}

fn verify_with(
    sod: &[u8],
    files: &BTreeMap<Ef, Vec<u8>>,
    not_read: Option<&BTreeMap<Ef, String>>,
    trust: &TrustStore,
    now_unix: i64,
) -> PaReport {
    use CheckStatus::{Fail, NotChecked, Pass};
    let mut report = PaReport { checks: Vec::new() };
    let parsed = match ParsedSod::parse(sod) {
        Ok(p) => p,
        Err(e) => {
            report.push("sod-structure", Fail, e.to_string());
            return report;
        }
    };
    let legacy = LEGACY_ECONTENT_TYPES.contains(&parsed.econtent_type);
    report.push(
        "sod-structure",
        Pass,
        format!(
            "{} data group hashes ({}), {} certificate(s), {} signer(s){}",
            parsed.lso.hashes.len(),
            parsed.lso.hash_algorithm.name(),
            parsed.certificates.len(),
            parsed.signers.len(),
            if legacy { ", legacy eContentType" } else { "" }
        ),
    );
    let Some(signer) = parsed.signers.first() else {
        report.push("signer-certificate", Fail, "no SignerInfo");
        return report;
    };
    if parsed.signers.len() > 1 {
        report.push("signer-count", Fail, "ICAO requires exactly one SignerInfo");
    }

    // Signer certificate: the embedded certificate the sid names.
    let ds = parsed.certificates.iter().find_map(|der| {
        let (_, cert) = X509Certificate::from_der(der).ok()?;
        matches_sid(&cert, &signer.sid).then_some((der, cert))
    });
    let Some((ds_der, ds)) = ds else {
        report.push(
            "signer-certificate",
            Fail,
            "no embedded certificate matches the SignerInfo's issuer and serial number",
        );
        return report;
    };
    report.push("signer-certificate", Pass, format!("{}", ds.subject()));

    let at = signer.signing_time.as_ref().map_or(now_unix, |t| t.unix);
    let at_time = ASN1Time::from_timestamp(at).ok();

    // Chain to a trust anchor: the CSCA key the DS's authorityKeyIdentifier names.
    let dg1 = files.get(&Ef::DG1).map(|d| {
        let signed =
            parsed.lso.hash_of(Ef::DG1) == Some(parsed.lso.hash_algorithm.digest(d).as_slice());
        (d, signed)
    });
    match chain(trust, &ds) {
        Err(detail) => report.push("certificate-chain", Fail, detail),
        Ok((anchor, csca)) => {
            report.push(
                "certificate-chain",
                Pass,
                format!("signed by {}", anchor.describe()),
            );
            let ca_ok = csca
                .basic_constraints()
                .ok()
                .flatten()
                .is_some_and(|b| b.value.ca)
                && csca
                    .key_usage()
                    .ok()
                    .flatten()
                    .is_some_and(|k| k.value.key_cert_sign());
            report.push(
                "csca-key-usage",
                if ca_ok { Pass } else { Fail },
                if ca_ok {
                    "cA and keyCertSign"
                } else {
                    "CSCA lacks cA or keyCertSign"
                },
            );
            report.push(
                "csca-validity",
                validity(&csca, at_time),
                format!(
                    "{} to {}",
                    csca.validity().not_before,
                    csca.validity().not_after
                ),
            );
            csca_country_check(&mut report, anchor, dg1);
            revocation_checks(&mut report, trust, anchor, &ds, now_unix);
        }
    }
    report.push(
        "ds-validity",
        validity(&ds, at_time),
        format!(
            "{} to {}, checked at {}",
            ds.validity().not_before,
            ds.validity().not_after,
            signer
                .signing_time
                .as_ref()
                .map_or("now".into(), |t| t.text.clone())
        ),
    );
    let ds_usage = ds
        .key_usage()
        .ok()
        .flatten()
        .map(|k| k.value.digital_signature());
    report.push(
        "ds-key-usage",
        if ds_usage == Some(true) { Pass } else { Fail },
        match ds_usage {
            Some(true) => "digitalSignature",
            Some(false) => "keyUsage lacks digitalSignature",
            None => "no keyUsage extension",
        },
    );
    // DG1 names the document; one that differs from the SOD names none (hash:DG1 fails).
    scope_checks(
        &mut report,
        ds_der,
        dg1,
        signer.signing_time.as_ref().map(|t| t.unix),
    );

    // Signed attributes.
    match &signer.content_type {
        Some(ct) if *ct == parsed.econtent_type => {
            report.push("content-type", Pass, ct.to_string())
        }
        Some(ct) => report.push(
            "content-type",
            Fail,
            format!("{ct} differs from eContentType"),
        ),
        None => report.push("content-type", Fail, "no contentType signed attribute"),
    }
    match (
        HashAlgorithm::from_oid(&signer.digest_algorithm),
        &signer.message_digest,
    ) {
        (Some(h), Some(md)) if h.digest(&parsed.econtent) == *md => {
            report.push("message-digest", Pass, format!("{} of eContent", h.name()));
        }
        (Some(h), Some(_)) => report.push(
            "message-digest",
            Fail,
            format!(
                "{} of eContent differs from the messageDigest attribute",
                h.name()
            ),
        ),
        (None, _) => report.push(
            "message-digest",
            Fail,
            format!("unsupported digest algorithm {}", signer.digest_algorithm),
        ),
        (_, None) => report.push("message-digest", Fail, "no messageDigest signed attribute"),
    }

    // The signature over the signed attributes.
    let signature = match (
        &signer.signed_attributes,
        AlgorithmIdentifier::from_der(&signer.signature_algorithm),
    ) {
        (None, _) => Err("no signed attributes".to_string()),
        (_, Err(e)) => Err(format!("signatureAlgorithm: {e}")),
        (Some(attrs), Ok((_, alg))) => x509_parser::verify::verify_signature(
            ds.public_key(),
            &alg,
            &BitString::new(0, &signer.signature),
            attrs,
        )
        .map_err(|e| e.to_string()),
    };
    match signature {
        Ok(()) => report.push(
            "signature",
            Pass,
            format!("{} by the Document Signer", signer.signature_algorithm_oid),
        ),
        Err(e) => report.push("signature", Fail, e),
    }

    // Every data group, and every file EF.COM or EF.SOD lists.
    let h = parsed.lso.hash_algorithm;
    for (ef, bytes) in files {
        let Ef::Dg(_) = ef else { continue };
        let id = format!("hash:{}", ef.name());
        match parsed.lso.hash_of(*ef) {
            None => report.push(id, Fail, "present on the chip but not in the SOD"),
            Some(expected) if h.digest(bytes) == expected => report.push(id, Pass, h.name()),
            Some(_) => report.push(
                id,
                Fail,
                format!("{} differs from the SOD: the file was altered", h.name()),
            ),
        }
    }
    let com = com_check(&mut report, files, not_read, &parsed);
    let sod_listed = parsed.lso.hashes.iter().map(|d| Ef::Dg(d.number));
    let mut listed: Vec<Ef> = sod_listed.chain(com.unwrap_or_default()).collect();
    listed.extend([Ef::DG1, Ef::DG2]);
    listed.sort();
    listed.dedup();
    for ef in listed {
        if files.contains_key(&ef) {
            continue;
        }
        let id = format!("hash:{}", ef.name());
        let mandatory = matches!(ef, Ef::Dg(n) if n.get() <= 2);
        let what = if mandatory {
            format!("{ef}, which every eMRTD carries (9303-10 §4.7),")
        } else {
            format!("{ef}, listed in EF.COM or EF.SOD,")
        };
        let reason = not_read.and_then(|n| n.get(&ef));
        match (reason, not_read) {
            (Some(reason), _) if !mandatory => {
                report.push(id, NotChecked, format!("not read: {reason}"));
            }
            (Some(reason), _) => report.push(id, Fail, format!("{what} was not read: {reason}")),
            (None, Some(_)) => report.push(id, Fail, format!("{what} was not read")),
            (None, None) => report.push(id, Fail, format!("{what} is missing")),
        }
    }
    if parsed.lso.hash_of(Ef::DG1).is_none() || parsed.lso.hash_of(Ef::DG2).is_none() {
        report.push(
            "sod-content",
            Fail,
            "EF.SOD has no hash for DG1 or DG2, which every eMRTD carries (9303-10 §4.7)",
        );
    }
    card_access_check(&mut report, files, not_read, &parsed);
    card_security::check(&mut report, files, not_read, &parsed);
    report
}

/// The anchor that issued the Document Signer certificate, its signature verified
/// (9303-12 Appendix D.1.1): the anchors holding the key the DS's authorityKeyIdentifier names
/// (or, without one, having its issuer's name), each tried.
fn chain<'t>(
    trust: &'t TrustStore,
    ds: &X509Certificate<'_>,
) -> Result<(&'t Anchor, X509Certificate<'t>), String> {
    let held = trust.anchors().len();
    let candidates = match trust.issuer_of(ds) {
        IssuerLookup::Candidates(c) => c,
        IssuerLookup::UnknownKey { key_id, same_name } => {
            let names = if same_name > 0 {
                format!(
                    "; {same_name} anchor(s) have its issuer's name {} but hold other keys",
                    ds.issuer()
                )
            } else {
                String::new()
            };
            return Err(format!(
                "no CSCA in the trust store ({held} anchor(s)) holds the key {key_id} the Document \
                 Signer's authorityKeyIdentifier names{names}"
            ));
        }
        IssuerLookup::UnknownName => {
            return Err(format!(
                "no CSCA in the trust store ({held} anchor(s)) has the subject {}",
                ds.issuer()
            ));
        }
    };
    let mut last = String::new();
    for anchor in candidates {
        let Ok((_, csca)) = X509Certificate::from_der(&anchor.der) else {
            continue;
        };
        match ds.verify_signature(Some(csca.public_key())) {
            Ok(()) => return Ok((anchor, csca)),
            Err(e) => last = format!("DS certificate signature: {e} (with {})", anchor.describe()),
        }
    }
    Err(last)
}

/// The CSCA's country is the document's issuing State (9303-12 §6.1.1: the anchor's ICAO code
/// in its subjectAltName is "used in Passive Authentication"; else its countryName against the
/// State's alpha-2 code).
fn csca_country_check(report: &mut PaReport, anchor: &Anchor, dg1: Option<(&Vec<u8>, bool)>) {
    use CheckStatus::{Fail, NotChecked, Pass};
    let state = match dg1 {
        None => {
            report.push(
                "csca-country",
                NotChecked,
                "DG1 (the document's MRZ) is missing",
            );
            return;
        }
        Some((_, false)) => {
            report.push(
                "csca-country",
                NotChecked,
                "DG1 differs from EF.SOD (hash:DG1): it names no document",
            );
            return;
        }
        Some((d, true)) => match Dg1::parse(d).ok().and_then(|d| d.issuing_state()) {
            Some(s) => s,
            None => {
                report.push("csca-country", Fail, "DG1 names no valid issuing State");
                return;
            }
        },
    };
    let csca = anchor.country.as_deref().unwrap_or("none");
    if state == CountryCode::UTOPIA {
        report.push(
            "csca-country",
            NotChecked,
            format!(
                "UTO is the code of specimen documents (9303-3 §5): no State's CSCA issues them \
                 (the CSCA's country is {csca})"
            ),
        );
        return;
    }
    if let Some(code) = &anchor.icao_code {
        if code == state.trimmed() {
            report.push(
                "csca-country",
                Pass,
                format!(
                    "the CSCA's ICAO code {code} (subjectAltName) is the issuing State {state}"
                ),
            );
        } else {
            report.push(
                "csca-country",
                Fail,
                format!(
                    "the document's issuing State {state} is not the CSCA's {code} (C={csca}): \
                     a CSCA of another State"
                ),
            );
        }
        return;
    }
    match (state.alpha2(), anchor.country.as_deref()) {
        (Some(a2), Some(c)) if a2 == c => report.push(
            "csca-country",
            Pass,
            format!("the CSCA's country {c} is the issuing State {state}"),
        ),
        (Some(a2), _) => report.push(
            "csca-country",
            Fail,
            format!(
                "the document's issuing State {state} ({a2}) is not the CSCA's country {csca}: a \
                 CSCA of another State"
            ),
        ),
        (None, _) => report.push(
            "csca-country",
            NotChecked,
            format!(
                "the issuing State {state} has no alpha-2 code to compare with the CSCA's country \
                 {csca}, and the CSCA names no ICAO code"
            ),
        ),
    }
}

/// The CSCA's CRL (9303-12 Appendix D.1.2): current at `now` (`crl-validity`), signed by a key
/// of that CSCA (`crl-signature`, verified when the store was loaded), and not listing the
/// Document Signer or the anchor (`ds-revocation`).
fn revocation_checks(
    report: &mut PaReport,
    trust: &TrustStore,
    anchor: &Anchor,
    ds: &X509Certificate<'_>,
    now: i64,
) {
    use CheckStatus::{Fail, NotChecked, Pass};
    let country = anchor.country.as_deref().unwrap_or_default();
    let Some(stored) = trust.crl_for(country) else {
        report.push(
            "ds-revocation",
            NotChecked,
            format!(
                "the trust store holds no CRL of the CSCA of {country}: revocation not checked"
            ),
        );
        return;
    };
    let crl = &stored.crl;
    report.push(
        "crl-signature",
        Pass,
        format!(
            "CRL number {} from {} signed by {}",
            crl.number_text(),
            stored.source,
            stored.signed_by
        ),
    );
    let current = crl.currency(now);
    match &current {
        Ok(()) => report.push(
            "crl-validity",
            Pass,
            format!(
                "thisUpdate {}, nextUpdate {}",
                crate::profile::utc_text(crl.this_update),
                crl.next_update
                    .map_or_else(|| "none".into(), crate::profile::utc_text)
            ),
        ),
        Err(e) => report.push(
            "crl-validity",
            Fail,
            format!("the CSCA's CRL is not current: {e}"),
        ),
    }
    let serial = ds.tbs_certificate.raw_serial();
    if let Some(at) = crl.revoked_at(serial) {
        report.push(
            "ds-revocation",
            Fail,
            format!(
                "the Document Signer (serial {}) was revoked on {} (CRL number {})",
                hex::encode(crate::crl::parse::strip_zero(serial)),
                crate::profile::utc_text(at),
                crl.number_text()
            ),
        );
    } else if let Some(at) = crl.revoked_at(&anchor.serial) {
        report.push(
            "ds-revocation",
            Fail,
            format!(
                "the CSCA certificate that issued it was revoked on {} (CRL number {})",
                crate::profile::utc_text(at),
                crl.number_text()
            ),
        );
    } else if current.is_ok() {
        report.push(
            "ds-revocation",
            Pass,
            format!(
                "neither the Document Signer nor its CSCA is on CRL number {}",
                crl.number_text()
            ),
        );
    } else {
        report.push(
            "ds-revocation",
            NotChecked,
            "the CRL is not current: revocation status undetermined",
        );
    }
}

/// The Document Signer's right to sign the document (9303-12 §7.1).
fn scope_checks(
    report: &mut PaReport,
    ds_der: &[u8],
    dg1: Option<(&Vec<u8>, bool)>,
    signing_time: Option<i64>,
) {
    use CheckStatus::{Fail, NotChecked, Pass};
    let scope = match SignerScope::from_certificate(ds_der) {
        Ok(s) => s,
        Err(e) => {
            for id in ["ds-key-usage-period", "ds-document-type", "ds-country"] {
                report.push(id, Fail, e.to_string());
            }
            return;
        }
    };
    match (signing_time, scope.key_usage_period) {
        (_, None) => report.push(
            "ds-key-usage-period",
            NotChecked,
            "the certificate has no privateKeyUsagePeriod",
        ),
        (None, Some(_)) => report.push(
            "ds-key-usage-period",
            NotChecked,
            "EF.SOD has no signingTime to compare with the private key usage period",
        ),
        (Some(t), Some(period)) => match scope.check_time(t) {
            Ok(()) => report.push(
                "ds-key-usage-period",
                Pass,
                format!("signed within the private key usage period, {period}"),
            ),
            Err(e) => report.push("ds-key-usage-period", Fail, e.to_string()),
        },
    }
    let dg1 = match dg1 {
        Some((_, false)) => {
            for id in ["ds-document-type", "ds-country"] {
                report.push(
                    id,
                    NotChecked,
                    "DG1 differs from EF.SOD (hash:DG1): it names no document",
                );
            }
            return;
        }
        Some((d, true)) => Some(Dg1::parse(d)),
        None => None,
    };
    let dg1 = match dg1 {
        Some(Ok(dg1)) => dg1,
        Some(Err(e)) => {
            for id in ["ds-document-type", "ds-country"] {
                report.push(id, Fail, format!("the document is unknown: {e}"));
            }
            return;
        }
        None => {
            for id in ["ds-document-type", "ds-country"] {
                report.push(id, NotChecked, "DG1 (the document's MRZ) is missing");
            }
            return;
        }
    };
    match scope.check_document_type(dg1.document_code()) {
        Ok(()) => report.push(
            "ds-document-type",
            Pass,
            format!("{} is in the documentTypeList", dg1.document_code()),
        ),
        Err(e) => report.push("ds-document-type", Fail, e.to_string()),
    }
    let country = match dg1.issuing_state() {
        Some(state) => scope.check_country(state).map(|()| state),
        None => Err(ScopeError::NoIssuingState {
            state: dg1.mrz().get(2..5).unwrap_or_default().to_owned(),
        }),
    };
    match country {
        Ok(state) => report.push(
            "ds-country",
            Pass,
            format!(
                "{} is the issuing State {state}",
                scope.country.unwrap_or_default()
            ),
        ),
        Err(e @ ScopeError::CountryNotComparable { .. }) => {
            report.push("ds-country", NotChecked, e.to_string());
        }
        Err(e) => report.push("ds-country", Fail, e.to_string()),
    }
}

/// EF.COM, strictly: it must list exactly the data groups EF.SOD hashes. Returns the data
/// groups it lists.
fn com_check(
    report: &mut PaReport,
    files: &BTreeMap<Ef, Vec<u8>>,
    not_read: Option<&BTreeMap<Ef, String>>,
    parsed: &ParsedSod,
) -> Option<Vec<Ef>> {
    use CheckStatus::{Fail, NotChecked, Pass};
    let Some(bytes) = files.get(&Ef::Com) else {
        match not_read.and_then(|n| n.get(&Ef::Com)) {
            Some(reason) => report.push("com", NotChecked, format!("not read: {reason}")),
            None => report.push("com", Fail, "EF.COM (LDS 1.7) is missing"),
        }
        return None;
    };
    let com = match Com::parse_strict(bytes) {
        Ok(c) => c,
        Err(e) => {
            report.push("com", Fail, e.to_string());
            return None;
        }
    };
    let listed = com.data_groups();
    let hashed: Vec<Ef> = parsed.lso.hashes.iter().map(|d| Ef::Dg(d.number)).collect();
    let names = |v: Vec<&Ef>| v.iter().map(|e| e.name()).collect::<Vec<_>>().join(", ");
    let unhashed: Vec<&Ef> = listed.iter().filter(|e| !hashed.contains(e)).collect();
    let unlisted: Vec<&Ef> = hashed.iter().filter(|e| !listed.contains(e)).collect();
    let mut problems = Vec::new();
    if !unhashed.is_empty() {
        problems.push(format!(
            "lists {} but EF.SOD has no hash for it",
            names(unhashed)
        ));
    }
    if !unlisted.is_empty() {
        problems.push(format!(
            "does not list {}, which EF.SOD hashes",
            names(unlisted)
        ));
    }
    if !problems.is_empty() {
        report.push("com", Fail, problems.join("; "));
    } else {
        report.push(
            "com",
            Pass,
            format!(
                "LDS {}, lists the {} data groups EF.SOD hashes",
                com.lds_version,
                listed.len()
            ),
        );
    }
    Some(listed)
}

/// EF.CardAccess, strictly: its PACEInfos must be those DG14 repeats under the signature.
fn card_access_check(
    report: &mut PaReport,
    files: &BTreeMap<Ef, Vec<u8>>,
    not_read: Option<&BTreeMap<Ef, String>>,
    parsed: &ParsedSod,
) {
    use CheckStatus::{Fail, NotChecked, Pass};
    let card_access = files.get(&Ef::CardAccess);
    let dg14 = files.get(&Ef::DG14).map(|d| {
        let h = parsed.lso.hash_algorithm;
        let signed = parsed.lso.hash_of(Ef::DG14) == Some(h.digest(d).as_slice());
        (Dg14::parse(d), signed)
    });
    let signed_pace = match &dg14 {
        Some((_, false)) => {
            if card_access.is_some() {
                report.push(
                    "card-access",
                    NotChecked,
                    "DG14 differs from EF.SOD (hash:DG14): no signed PACEInfos to compare with",
                );
            }
            return;
        }
        Some((Ok(d), true)) => Some(d.infos.pace().copied().collect::<Vec<_>>()),
        Some((Err(e), true)) => {
            if card_access.is_some() {
                report.push("card-access", Fail, format!("cannot be compared: {e}"));
            }
            return;
        }
        None => None,
    };
    let Some(bytes) = card_access else {
        match (signed_pace, not_read.and_then(|n| n.get(&Ef::CardAccess))) {
            (Some(p), reason) if !p.is_empty() => report.push(
                "card-access",
                Fail,
                format!(
                    "DG14 lists {} PACEInfo(s) but EF.CardAccess is {}",
                    p.len(),
                    reason.map_or("missing".into(), |r| format!("not read: {r}"))
                ),
            ),
            _ => {}
        }
        return;
    };
    let card_access = match CardAccess::parse_strict(bytes) {
        Ok(c) => c,
        Err(e) => {
            report.push("card-access", Fail, e.to_string());
            return;
        }
    };
    let mut offered = card_access.pace_infos();
    match signed_pace {
        None => report.push(
            "card-access",
            NotChecked,
            "EF.SOD does not cover EF.CardAccess and there is no DG14 repeating its PACEInfos",
        ),
        Some(mut signed) => {
            let key = |p: &permitkit_lds::security_infos::PaceInfo| {
                (p.protocol.as_bytes().to_vec(), p.version, p.parameter_id)
            };
            offered.sort_by_key(key);
            signed.sort_by_key(key);
            if offered == signed {
                report.push(
                    "card-access",
                    Pass,
                    format!("its {} PACEInfo(s) are those DG14 repeats", offered.len()),
                );
            } else {
                report.push(
                    "card-access",
                    Fail,
                    "its PACEInfos differ from those DG14 repeats under the signature",
                );
            }
        }
    }
}

fn matches_sid(cert: &X509Certificate<'_>, sid: &SignerId) -> bool {
    match sid {
        SignerId::IssuerAndSerial { issuer, serial } => {
            cert.issuer().as_raw() == issuer.as_slice()
                && strip_zero(cert.tbs_certificate.raw_serial()) == strip_zero(serial)
        }
        SignerId::SubjectKeyId(kid) => cert.extensions().iter().any(|e| {
            matches!(e.parsed_extension(), ParsedExtension::SubjectKeyIdentifier(k) if k.0 == kid.as_slice())
        }),
    }
}

fn strip_zero(b: &[u8]) -> &[u8] {
    match b {
        [0, rest @ ..] if !rest.is_empty() => rest,
        _ => b,
    }
}

fn validity(cert: &X509Certificate<'_>, at: Option<ASN1Time>) -> CheckStatus {
    match at {
        Some(t) if cert.validity().is_valid_at(t) => CheckStatus::Pass,
        _ => CheckStatus::Fail,
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use p256::pkcs8::EncodePublicKey;
    use permitkit_biometrics::face_record::{
        COLOUR_SPACE_RGB24, FaceImage, FaceImageType, FacialRecord,
    };
    use permitkit_lds::{
        ChipKeys, Enrolment, LdsError, LdsErrorKind, SecurityInfo,
        security_infos::{
            ActiveAuthenticationInfo, ECDSA_WITH_SHA256, ID_PACE_ECDH_GM_AES_128,
            PARAM_ID_BRAINPOOL_P256R1, PaceInfo,
        },
        sod,
    };

    use super::*;
    use crate::{
        signer::FileKeySignature,
        test_pki::{TestPki, TestPkiOptions},
    };

    /// A Ukrainian temporary residence permit (`IR`, `UKR`) with PACE and Active
    /// Authentication: EF.COM, EF.CardAccess, DG1, DG2, DG14, DG15, EF.SOD.
    fn enrolment() -> Enrolment {
        let mrz = concat!(
            "IRUKRFT12345675<<<<<<<<<<<<<<<",
            "8803141M2711198USA<<<<<<<<<<<6",
            "DOE<<JOHN<MICHAEL<<<<<<<<<<<<<"
        );
        let aa = p256::SecretKey::from_slice(&[9u8; 32]).unwrap();
        Enrolment {
            dg1: Dg1::new(mrz).unwrap(),
            portrait: FacialRecord::single(FaceImage::jpeg(
                FaceImageType::FullFrontal,
                480,
                600,
                COLOUR_SPACE_RGB24,
                (290, 270),
                (190, 270),
                vec![0xFF, 0xD8, 0xFF, 0xD9],
            )),
            fingers: Vec::new(),
            signature: None,
            dg11: None,
            dg12: None,
            pace: vec![SecurityInfo::Pace(PaceInfo {
                protocol: ID_PACE_ECDH_GM_AES_128,
                version: 2,
                parameter_id: Some(PARAM_ID_BRAINPOOL_P256R1),
            })],
            chip_authentication: Vec::new(),
            active_authentication: Some((
                aa.public_key()
                    .to_public_key_der()
                    .unwrap()
                    .as_bytes()
                    .to_vec(),
                SecurityInfo::ActiveAuthentication(ActiveAuthenticationInfo {
                    version: 1,
                    signature_algorithm: ECDSA_WITH_SHA256,
                }),
            )),
            biometric_creation: None,
            keys: ChipKeys::default(),
        }
    }

    fn pki(country: &str, types: &[&str]) -> TestPki {
        TestPki::generate(&TestPkiOptions {
            country: country.into(),
            document_types: types.iter().map(|t| (*t).to_owned()).collect(),
            not_before: SystemTime::now(),
        })
        .unwrap()
    }

    fn build(pki: &TestPki, at: SystemTime) -> Result<BTreeMap<Ef, Vec<u8>>, LdsError> {
        permitkit_lds::build::<_, FileKeySignature>(&enrolment(), &pki.ds_der, &pki.ds_key, at)
            .map(|image| image.file_map().clone())
    }

    fn now() -> i64 {
        i64::try_from(
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
        )
        .unwrap()
    }

    fn report(files: &BTreeMap<Ef, Vec<u8>>, pki: &TestPki) -> PaReport {
        verify(
            &files[&Ef::Sod],
            files,
            std::slice::from_ref(&pki.csca_der),
            now(),
        )
    }

    fn failed(r: &PaReport) -> Vec<(String, String)> {
        r.failures()
            .map(|c| (c.id.clone(), c.detail.clone()))
            .collect()
    }

    fn status(r: &PaReport, id: &str) -> Option<CheckStatus> {
        r.checks.iter().find(|c| c.id == id).map(|c| c.status)
    }

    /// The SOD of the image's data groups, signed without the builder's scope check (what a
    /// careless or foreign signer produces).
    fn signed_anyway(pki: &TestPki, files: &mut BTreeMap<Ef, Vec<u8>>) {
        let lso = sod::LdsSecurityObject::new(
            HashAlgorithm::Sha256,
            files
                .iter()
                .filter(|(e, _)| matches!(e, Ef::Dg(_)))
                .map(|(e, b)| (*e, b.as_slice())),
        );
        let signed =
            sod::sign::<_, FileKeySignature>(&lso, &pki.ds_der, &pki.ds_key, SystemTime::now())
                .unwrap();
        files.insert(Ef::Sod, signed);
    }

    #[test]
    fn a_card_the_signer_may_sign_verifies_with_every_check_named() {
        let pki = pki("UA", &["IR", "IP"]);
        let files = build(&pki, SystemTime::now()).unwrap();
        let r = report(&files, &pki);
        assert!(r.is_valid(), "{r:#?}");
        for id in [
            "ds-document-type",
            "ds-country",
            "ds-key-usage-period",
            "com",
            "card-access",
            "hash:DG1",
            "hash:DG2",
            "hash:DG14",
            "hash:DG15",
        ] {
            assert_eq!(status(&r, id), Some(CheckStatus::Pass), "{id}: {r:#?}");
        }
    }

    #[test]
    fn signing_refuses_a_document_outside_the_signer_scope() {
        let passports_only = pki("UA", &["P"]);
        let err = build(&passports_only, SystemTime::now()).unwrap_err();
        assert_eq!(err.file, Ef::Sod);
        assert!(
            matches!(
                &err.kind,
                LdsErrorKind::Scope(ScopeError::DocumentTypeNotListed { code, listed })
                    if code == "IR" && listed == &["P".to_owned()]
            ),
            "{err}"
        );
        let german = pki("DE", &["IR"]);
        let err = build(&german, SystemTime::now()).unwrap_err();
        assert!(
            matches!(
                &err.kind,
                LdsErrorKind::Scope(ScopeError::CountryMismatch { state, expected, country })
                    if state == "UKR" && expected == "UA" && country == "DE"
            ),
            "{err}"
        );
    }

    #[test]
    fn the_test_pki_refuses_a_country_that_is_not_a_state() {
        for country in ["ZZ", "UT", "ua", "UKR"] {
            let e = TestPki::generate(&TestPkiOptions {
                country: country.into(),
                ..TestPkiOptions::default()
            })
            .unwrap_err();
            assert!(matches!(e, crate::PkiError::Build { .. }), "{country}: {e}");
        }
        let e = TestPki::generate(&TestPkiOptions {
            document_types: vec!["I<".into()],
            ..TestPkiOptions::default()
        })
        .unwrap_err();
        assert!(e.to_string().contains("1 or 2 letters"), "{e}");
    }

    #[test]
    fn signing_refuses_a_time_outside_the_private_key_usage_period() {
        // Keys issued 200 days ago: the DS certificate is still valid (3 months + 10 years),
        // its private key usage period (3 months) is over.
        let old = TestPki::generate(&TestPkiOptions {
            not_before: SystemTime::now() - Duration::from_secs(200 * 86_400),
            ..TestPkiOptions::default()
        })
        .unwrap();
        let err = build(&old, SystemTime::now()).unwrap_err();
        assert!(
            matches!(
                err.kind,
                LdsErrorKind::Scope(ScopeError::OutsideKeyUsagePeriod { .. })
            ),
            "{err}"
        );
        // Signed while the key could sign: valid, checked at the signing time.
        let then = SystemTime::now() - Duration::from_secs(150 * 86_400);
        let files = build(&old, then).unwrap();
        let r = report(&files, &old);
        assert!(r.is_valid(), "{r:#?}");
        assert_eq!(status(&r, "ds-key-usage-period"), Some(CheckStatus::Pass));
    }

    #[test]
    fn passive_authentication_fails_a_document_outside_the_signer_scope() {
        let good = pki("UA", &["IR"]);
        let mut files = build(&good, SystemTime::now()).unwrap();
        let passports_only = pki("UA", &["P"]);
        signed_anyway(&passports_only, &mut files);
        let r = report(&files, &passports_only);
        assert!(!r.is_valid());
        assert_eq!(
            failed(&r),
            vec![(
                "ds-document-type".into(),
                "document code \"IR\" is not in the Document Signer's documentTypeList [P]".into()
            )]
        );
        let german = pki("DE", &["IR", "IP"]);
        signed_anyway(&german, &mut files);
        let r = report(&files, &german);
        assert!(!r.is_valid());
        // The German CSCA is not Ukraine's either: both the anchor and the signer are refused.
        assert_eq!(
            failed(&r),
            vec![
                (
                    "csca-country".into(),
                    "the document's issuing State UKR is not the CSCA's D (C=DE): a CSCA of \
                     another State"
                        .into()
                ),
                (
                    "ds-country".into(),
                    "the document's issuing State UKR (UA) is not the Document Signer's country DE"
                        .into()
                )
            ]
        );
    }

    #[test]
    fn a_listed_file_that_is_missing_fails_naming_it() {
        let pki = pki("UA", &["IR"]);
        let files = build(&pki, SystemTime::now()).unwrap();
        for ef in [Ef::DG14, Ef::DG15] {
            let mut fewer = files.clone();
            fewer.remove(&ef);
            let r = report(&fewer, &pki);
            assert!(!r.is_valid());
            let f = failed(&r);
            assert!(
                f.contains(&(
                    format!("hash:{}", ef.name()),
                    format!("{ef}, listed in EF.COM or EF.SOD, is missing")
                )),
                "{f:?}"
            );
        }
        let mut no_com = files.clone();
        no_com.remove(&Ef::Com);
        assert_eq!(
            failed(&report(&no_com, &pki)),
            vec![("com".into(), "EF.COM (LDS 1.7) is missing".into())]
        );
        let mut no_card_access = files.clone();
        no_card_access.remove(&Ef::CardAccess);
        assert_eq!(
            failed(&report(&no_card_access, &pki)),
            vec![(
                "card-access".into(),
                "DG14 lists 1 PACEInfo(s) but EF.CardAccess is missing".into()
            )]
        );
    }

    #[test]
    fn a_missing_dg1_says_why() {
        let pki = pki("UA", &["IR"]);
        let mut files = build(&pki, SystemTime::now()).unwrap();
        files.remove(&Ef::DG1);
        let r = report(&files, &pki);
        assert!(!r.is_valid());
        assert!(
            failed(&r).contains(&(
                "hash:DG1".into(),
                "DG1, which every eMRTD carries (9303-10 §4.7), is missing".into()
            )),
            "{r:#?}"
        );
        assert_eq!(
            status(&r, "ds-document-type"),
            Some(CheckStatus::NotChecked)
        );
    }

    #[test]
    fn a_chip_read_reports_what_it_could_not_read_with_the_reason() {
        let pki = pki("UA", &["IR"]);
        let mut files = build(&pki, SystemTime::now()).unwrap();
        files.remove(&Ef::DG15);
        let not_read = BTreeMap::from([(
            Ef::DG15,
            "security status not satisfied (access control)".to_owned(),
        )]);
        let csca = std::slice::from_ref(&pki.csca_der);
        let r = verify_read(&files[&Ef::Sod], &files, &not_read, csca, now());
        assert!(r.is_valid(), "{r:#?}");
        let c = r.checks.iter().find(|c| c.id == "hash:DG15").unwrap();
        assert_eq!(c.status, CheckStatus::NotChecked);
        assert_eq!(
            c.detail,
            "not read: security status not satisfied (access control)"
        );
        // Not read without a reason, or a mandatory file: a failure.
        let r = verify_read(&files[&Ef::Sod], &files, &BTreeMap::new(), csca, now());
        assert_eq!(status(&r, "hash:DG15"), Some(CheckStatus::Fail));
        files.remove(&Ef::DG1);
        let not_read = BTreeMap::from([(Ef::DG1, "file not found".to_owned())]);
        let r = verify_read(&files[&Ef::Sod], &files, &not_read, csca, now());
        assert_eq!(status(&r, "hash:DG1"), Some(CheckStatus::Fail));
    }

    #[test]
    fn a_flipped_byte_in_the_unsigned_files_is_caught() {
        let pki = pki("UA", &["IR"]);
        let files = build(&pki, SystemTime::now()).unwrap();
        // EF.COM's last tag, DG15's 6F, becomes 6E: DG14 listed twice.
        let mut bad = files.clone();
        *bad.get_mut(&Ef::Com).unwrap().last_mut().unwrap() ^= 0x01;
        let f = failed(&report(&bad, &pki));
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, "com");
        // EF.COM still well-formed but listing DG1 instead of DG15 (tag 61).
        let mut bad = files.clone();
        *bad.get_mut(&Ef::Com).unwrap().last_mut().unwrap() = 0x63;
        assert_eq!(
            failed(&report(&bad, &pki)),
            vec![
                (
                    "com".into(),
                    "lists DG3 but EF.SOD has no hash for it; does not list DG15, which \
                     EF.SOD hashes"
                        .into()
                ),
                (
                    "hash:DG3".into(),
                    "DG3, listed in EF.COM or EF.SOD, is missing".into()
                )
            ]
        );
        // EF.CardAccess: the parameter id 13 (brainpoolP256r1) becomes 12 (P-256).
        let mut bad = files.clone();
        *bad.get_mut(&Ef::CardAccess).unwrap().last_mut().unwrap() = 12;
        assert_eq!(
            failed(&report(&bad, &pki)),
            vec![(
                "card-access".into(),
                "its PACEInfos differ from those DG14 repeats under the signature".into()
            )]
        );
        // EF.CardAccess with a byte appended.
        let mut bad = files.clone();
        bad.get_mut(&Ef::CardAccess).unwrap().push(0);
        let f = failed(&report(&bad, &pki));
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, "card-access");
    }
}
