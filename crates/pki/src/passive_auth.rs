//! Passive authentication (ICAO Doc 9303-11 §5.1; 9303-12 §5): does EF.SOD carry a valid
//! signature by a Document Signer that a trusted CSCA issued, and does every data group hash to
//! the value the SOD records?
//!
//! Certificates are read and signatures verified with `x509-parser` (and its `ring` backend),
//! independently of the RustCrypto stack that writes certificates and EF.SOD. The result is a
//! report of every step, not a single yes/no: an operator must see which file was tampered with.

use std::collections::BTreeMap;

use serde::Serialize;
use x509_parser::{
    certificate::X509Certificate, der_parser::asn1_rs::BitString, extensions::ParsedExtension,
    prelude::FromDer, time::ASN1Time, x509::AlgorithmIdentifier,
};

use permitkit_lds::{
    Ef,
    sod::{HashAlgorithm, ParsedSod, SignerId, parse::LEGACY_ECONTENT_TYPES},
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
    /// Stable id: `sod-structure`, `signer-certificate`, `certificate-chain`, `csca-validity`,
    /// `ds-validity`, `ds-key-usage`, `content-type`, `message-digest`, `signature`,
    /// `hash:DG1` …
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
    /// True when no check failed, the signature and chain passed, and DG1 and DG2 were hashed.
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
            ]
            .iter()
            .all(|id| passed(id))
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

/// Passive authentication of the files of one chip (EF.SOD among them), for a yes-or-no
/// decision: `Err` carries one line naming every failed check.
pub fn verify_files(
    files: &[(Ef, Vec<u8>)],
    cscas: &[Vec<u8>],
    now_unix: i64,
) -> Result<(), String> {
    let map: BTreeMap<Ef, Vec<u8>> = files.iter().cloned().collect();
    let sod = map.get(&Ef::Sod).ok_or("no EF.SOD")?;
    let report = verify(sod, &map, cscas, now_unix);
    if report.is_valid() {
        return Ok(());
    }
    let failed: Vec<String> = report
        .failures()
        .map(|c| format!("{}: {}", c.id, c.detail))
        .collect();
    Err(format!(
        "passive authentication failed: {}",
        failed.join("; ")
    ))
}

/// Verifies EF.SOD (`sod`), the data groups in `files` (EF.COM and EF.CardAccess are ignored: the
/// SOD does not cover them) against the trusted CSCA certificates `cscas` (DER). Validity is
/// checked at the SOD's signing time, or at `now_unix` when the SOD has none.
pub fn verify(
    sod: &[u8],
    files: &BTreeMap<Ef, Vec<u8>>,
    cscas: &[Vec<u8>],
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
        matches_sid(&cert, &signer.sid).then_some(cert)
    });
    let Some(ds) = ds else {
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

    // Chain to a trusted CSCA.
    let csca = cscas.iter().find_map(|der| {
        let (_, c) = X509Certificate::from_der(der).ok()?;
        (c.subject().as_raw() == ds.issuer().as_raw()).then_some(c)
    });
    match csca {
        None => report.push(
            "certificate-chain",
            Fail,
            format!("no trusted CSCA has the subject {}", ds.issuer()),
        ),
        Some(csca) => {
            match ds.verify_signature(Some(csca.public_key())) {
                Ok(()) => report.push(
                    "certificate-chain",
                    Pass,
                    format!("signed by {}", csca.subject()),
                ),
                Err(e) => report.push(
                    "certificate-chain",
                    Fail,
                    format!("DS certificate signature: {e}"),
                ),
            }
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

    // Every data group.
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
    for dgh in &parsed.lso.hashes {
        let ef = Ef::Dg(dgh.number);
        if !files.contains_key(&ef) {
            report.push(
                format!("hash:{}", ef.name()),
                NotChecked,
                "listed in the SOD but not read",
            );
        }
    }
    report
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
