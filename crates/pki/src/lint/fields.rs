//! The certificate body, ICAO Doc 9303-12 §7.1.1 Table 5 and §7.1.1.1: DER (§7.1), version 3,
//! a positive serial number of at most 20 octets in the fewest octets, `signature` equal to
//! `signatureAlgorithm`, issuer and subject with one upper-case two-letter countryName as
//! PrintableString (Doc 9303-3 codes) and a commonName, other attributes PrintableString or
//! UTF8String, the same country in issuer and subject, UTCTime through 2049 and
//! GeneralizedTime from 2050, no unique identifiers, extensions present.

use der::{Decode, Encode};
use x509_parser::{
    certificate::X509Certificate, der_parser::asn1_rs::Tag, prelude::FromDer, x509::X509Name,
};

use permitkit_lds::mrz::CountryCode;

use super::{Findings, Severity};
use crate::profile::Role;

const TABLE5: &str = "9303-12 §7.1.1 Table 5";
const NAMING: &str = "9303-12 §7.1.1.1";

pub(super) fn check(der: &[u8], cert: &X509Certificate<'_>, role: Role, out: &mut Findings) {
    match x509_cert::Certificate::from_der(der) {
        Ok(strict) => {
            if strict.to_der().ok().as_deref() != Some(der) {
                out.error(
                    "der",
                    "9303-12 §7.1",
                    "not DER: re-encoding changes its bytes, which breaks its signature",
                );
            }
            times(&strict, out);
        }
        Err(e) => out.error("der", "9303-12 §7.1", format!("not strict DER: {e}")),
    }
    if cert.version().0 != 2 {
        out.error(
            "version",
            TABLE5,
            format!("version {} is not v3", cert.version().0 + 1),
        );
    }
    serial(cert.tbs_certificate.raw_serial(), out);
    if cert.tbs_certificate.signature != cert.signature_algorithm {
        out.error(
            "signature-algorithm",
            TABLE5,
            "the TBSCertificate's signature differs from signatureAlgorithm",
        );
    }
    let issuer_c = name(cert.issuer(), "issuer", out);
    let subject_c = name(cert.subject(), "subject", out);
    if let (Some(i), Some(s)) = (&issuer_c, &subject_c)
        && i != s
    {
        out.error(
            "country-match",
            TABLE5,
            format!(
                "the issuer's countryName {i} and the subject's {s} differ ({role} of one State)"
            ),
        );
    }
    if cert.tbs_certificate.issuer_uid.is_some() || cert.tbs_certificate.subject_uid.is_some() {
        out.error(
            "unique-identifier",
            TABLE5,
            "issuerUniqueID or subjectUniqueID is present",
        );
    }
    if cert.extensions().is_empty() {
        out.error("extensions", TABLE5, "the certificate has no extensions");
    }
}

/// Checks against the issuer's certificate: its name is the issuer, its key signed, its key
/// identifier is the authorityKeyIdentifier.
pub(super) fn check_issuer(cert: &X509Certificate<'_>, issuer_der: &[u8], out: &mut Findings) {
    let Ok((_, issuer)) = X509Certificate::from_der(issuer_der) else {
        out.error(
            "issuer",
            "RFC 5280 §6.1",
            "the issuer's certificate does not decode",
        );
        return;
    };
    if issuer.subject().as_raw() != cert.issuer().as_raw() {
        out.error(
            "issuer-name",
            "RFC 5280 §6.1.3",
            format!(
                "the issuer is {}, but the certificate given as its issuer is {}",
                cert.issuer(),
                issuer.subject()
            ),
        );
    }
    if let Err(e) = cert.verify_signature(Some(issuer.public_key())) {
        out.error(
            "issuer-signature",
            "RFC 5280 §6.1.3",
            format!("the signature does not verify with the issuer's key ({e})"),
        );
    }
    let aki = cert
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            x509_parser::extensions::ParsedExtension::AuthorityKeyIdentifier(a) => {
                a.key_identifier.as_ref().map(|k| k.0.to_vec())
            }
            _ => None,
        });
    let ski = issuer
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
            _ => None,
        });
    if let (Some(aki), Some(ski)) = (aki, ski)
        && aki != ski
    {
        out.error(
            "authority-key-identifier",
            "9303-12 Appendix D.1.1.1",
            format!(
                "authorityKeyIdentifier {} is not the issuer's subjectKeyIdentifier {}",
                hex::encode(aki),
                hex::encode(ski)
            ),
        );
    }
    if !issuer.is_ca() {
        out.error(
            "issuer",
            "9303-12 §7.1.1 Table 6",
            "the issuer is not a CA (no cA)",
        );
    }
}

fn serial(raw: &[u8], out: &mut Findings) {
    match raw {
        [] => out.error("serial-number", TABLE5, "empty serial number"),
        [first, ..] if first & 0x80 != 0 => {
            out.error("serial-number", TABLE5, "the serial number is negative");
        }
        [0, second, ..] if second & 0x80 == 0 => out.error(
            "serial-number",
            TABLE5,
            "the serial number is not in the smallest number of octets",
        ),
        [0] => out.error(
            "serial-number",
            TABLE5,
            "the serial number is zero, not positive",
        ),
        _ if raw.len() > 20 => out.error(
            "serial-number",
            TABLE5,
            format!("the serial number has {} octets, more than 20", raw.len()),
        ),
        _ => {}
    }
}

/// Checks a Name; returns its countryName when there is exactly one.
fn name(name: &X509Name<'_>, which: &'static str, out: &mut Findings) -> Option<String> {
    let (country_id, cn_id) = match which {
        "issuer" => ("issuer-country", "issuer-common-name"),
        _ => ("subject-country", "subject-common-name"),
    };
    let countries: Vec<_> = name.iter_country().collect();
    let country = match countries.as_slice() {
        [] => {
            out.error(
                country_id,
                NAMING,
                format!("the {which} has no countryName"),
            );
            None
        }
        [c] => {
            if c.attr_value().tag() != Tag::PrintableString {
                out.error(
                    country_id,
                    TABLE5,
                    format!("the {which}'s countryName is not a PrintableString"),
                );
            }
            let text = String::from_utf8_lossy(c.as_slice()).into_owned();
            if text.len() != 2 || !text.bytes().all(|b| b.is_ascii_uppercase()) {
                out.error(
                    country_id,
                    TABLE5,
                    format!(
                        "the {which}'s countryName {text:?} is not two upper-case letters (Doc \
                         9303-3)"
                    ),
                );
            } else if CountryCode::from_alpha2(&text).is_none() {
                out.push(
                    country_id,
                    NAMING,
                    Severity::Warning,
                    format!("the {which}'s countryName {text} is not the code of a State"),
                );
            }
            Some(text)
        }
        _ => {
            out.error(
                country_id,
                NAMING,
                format!("the {which} has more than one countryName"),
            );
            None
        }
    };
    if name.iter_common_name().next().is_none() {
        out.error(cn_id, NAMING, format!("the {which} has no commonName"));
    }
    for atv in name.iter_attributes() {
        let oid = atv.attr_type().to_id_string();
        let tag = atv.attr_value().tag();
        let ia5_ok = matches!(
            oid.as_str(),
            "1.2.840.113549.1.9.1" | "0.9.2342.19200300.100.1.25"
        );
        let ok = tag == Tag::PrintableString
            || tag == Tag::Utf8String
            || (ia5_ok && tag == Tag::Ia5String);
        if !ok {
            out.error(
                "directory-string",
                TABLE5,
                format!(
                    "the {which}'s attribute {oid} is a {tag:?}, not PrintableString or \
                     UTF8String"
                ),
            );
        }
    }
    country
}

/// UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5).
fn times(cert: &x509_cert::Certificate, out: &mut Findings) {
    use x509_cert::time::Time;
    let v = cert.tbs_certificate().validity();
    for (t, which) in [(&v.not_before, "notBefore"), (&v.not_after, "notAfter")] {
        let year = t.to_date_time().year();
        let ok = match t {
            Time::UtcTime(_) => year < 2050,
            Time::GeneralTime(_) => year >= 2050,
        };
        if !ok {
            out.error(
                "validity-encoding",
                TABLE5,
                format!(
                    "{which} in {year} must be {}",
                    if year < 2050 {
                        "UTCTime"
                    } else {
                        "GeneralizedTime"
                    }
                ),
            );
        }
    }
}
