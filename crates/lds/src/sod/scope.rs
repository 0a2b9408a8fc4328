//! What a Document Signer may sign (ICAO Doc 9303-12 §7.1): the document types its
//! documentTypeList extension names (§7.1.1.3), the State its subject's country `C` names (the
//! issuing State of every document it signs), and when its private key may sign
//! (privateKeyUsagePeriod, RFC 3280 §4.2.1.4, kept by 9303-12 for CSCA and DS certificates).
//!
//! ```asn1
//! id-icao-mrtd-security-extensions-documentTypeList OBJECT IDENTIFIER ::= { 2 23 136 1 1 6 2 }
//! DocumentTypeListSyntax ::= SEQUENCE {
//!   version DocumentTypeListVersion,               -- v0(0)
//!   docTypeList SET OF DocumentType }
//! DocumentType ::= PrintableString (SIZE (1..2))   -- the MRZ document code, filler removed
//!
//! id-ce-privateKeyUsagePeriod OBJECT IDENTIFIER ::= { 2 5 29 16 }
//! PrivateKeyUsagePeriod ::= SEQUENCE {
//!   notBefore [0] GeneralizedTime OPTIONAL,
//!   notAfter  [1] GeneralizedTime OPTIONAL }
//! ```
//!
//! The certificate is read with the crate's tolerant BER-TLV reader, independently of the `der`
//! stack that writes the test PKI. The same checks run twice: before EF.SOD is signed
//! (`lds::build` refuses a document outside the scope, [`crate::sod::sign`] a signing time
//! outside the key usage period) and in passive authentication, which names the failing check.

use der::asn1::ObjectIdentifier;

use crate::{
    Dg1, Ef, LdsError,
    mrz::CountryCode,
    sod::parse::{asn1_time, utc_text},
};
use permitkit_iso7816::tlv::{Reader, Tag, Tlv, TlvError};

/// `id-icao-mrtd-security-extensions-documentTypeList` 2.23.136.1.1.6.2.
pub const ID_DOCUMENT_TYPE_LIST: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.23.136.1.1.6.2");
/// `id-ce-privateKeyUsagePeriod` 2.5.29.16.
pub const ID_PRIVATE_KEY_USAGE_PERIOD: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.16");
/// `id-at-countryName` 2.5.4.6.
pub const ID_COUNTRY_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.6");

const SEQUENCE: Tag = Tag::new(0x30);
const SET: Tag = Tag::new(0x31);
const INTEGER: Tag = Tag::new(0x02);
const OID: Tag = Tag::new(0x06);
const BOOLEAN: Tag = Tag::new(0x01);
const OCTET_STRING: Tag = Tag::new(0x04);
const VERSION: Tag = Tag::new(0xA0);
const EXTENSIONS: Tag = Tag::new(0xA3);
const NOT_BEFORE: Tag = Tag::new(0x80);
const NOT_AFTER: Tag = Tag::new(0x81);

/// Why a Document Signer may not sign a document, or did not have the right to sign it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScopeError {
    /// The certificate has no documentTypeList extension.
    #[error(
        "the Document Signer certificate has no documentTypeList extension (2.23.136.1.1.6.2, \
         ICAO 9303-12 §7.1.1.3): it names no document type it may sign"
    )]
    NoDocumentTypeList,
    /// The document's code is not in the documentTypeList.
    #[error(
        "document code {code:?} is not in the Document Signer's documentTypeList [{}]",
        listed.join(", ")
    )]
    DocumentTypeNotListed {
        /// The document code, filler removed (`IR`, `I`).
        code: String,
        /// The document types the certificate lists.
        listed: Vec<String>,
    },
    /// The certificate's subject names no country.
    #[error("the Document Signer certificate's subject names no country (C)")]
    NoCountry,
    /// The document's issuing State is not the Document Signer's country.
    #[error(
        "the document's issuing State {state} ({expected}) is not the Document Signer's \
         country {country}"
    )]
    CountryMismatch {
        /// The issuing State in the MRZ (`UKR`).
        state: String,
        /// Its ISO 3166-1 alpha-2 code (`UA`).
        expected: String,
        /// The certificate's `C` (`DE`).
        country: String,
    },
    /// The issuing State has no alpha-2 code to compare with the certificate's country.
    #[error(
        "the document's issuing State {state} has no ISO 3166-1 alpha-2 code to compare with \
         the Document Signer's country {country}"
    )]
    CountryNotComparable {
        /// The issuing State in the MRZ (`UTO`).
        state: String,
        /// The certificate's `C`.
        country: String,
    },
    /// DG1 names no valid issuing State.
    #[error("DG1 names no issuing State of ICAO 9303-3 §5 ({state:?})")]
    NoIssuingState {
        /// MRZ characters 3–5.
        state: String,
    },
    /// The signing time is outside the private key usage period.
    #[error(
        "{at} is outside the Document Signer's private key usage period ({} to {})",
        not_before.as_deref().unwrap_or("no start"),
        not_after.as_deref().unwrap_or("no end")
    )]
    OutsideKeyUsagePeriod {
        /// The signing time, `YYYY-MM-DDThh:mm:ssZ`.
        at: String,
        /// Start of the period.
        not_before: Option<String>,
        /// End of the period.
        not_after: Option<String>,
    },
}

/// A private key usage period, in seconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyUsagePeriod {
    /// First second the key may sign.
    pub not_before: Option<i64>,
    /// Last second the key may sign.
    pub not_after: Option<i64>,
}

impl std::fmt::Display for KeyUsagePeriod {
    /// `2026-12-03T10:00:00Z to 2027-03-03T10:00:00Z`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let end = |t: Option<i64>, none: &str| t.map_or(none.to_owned(), utc_text);
        write!(
            f,
            "{} to {}",
            end(self.not_before, "no start"),
            end(self.not_after, "no end")
        )
    }
}

/// What a Document Signer certificate says about what it may sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerScope {
    /// The subject's country `C` (ISO 3166-1 alpha-2).
    pub country: Option<String>,
    /// The documentTypeList, `None` when the certificate has no such extension.
    pub document_types: Option<Vec<String>>,
    /// The privateKeyUsagePeriod, `None` when the certificate has none.
    pub key_usage_period: Option<KeyUsagePeriod>,
}

impl SignerScope {
    /// Reads the scope from a DER (or BER) certificate.
    pub fn from_certificate(der: &[u8]) -> Result<Self, LdsError> {
        let mut r = Reader::new(der);
        let cert = r.expect(SEQUENCE).map_err(tlv)?;
        let tbs = cert
            .children()
            .map_err(tlv)?
            .expect(SEQUENCE)
            .map_err(tlv)?;
        let mut t = tbs.children().map_err(tlv)?;
        t.optional(VERSION).map_err(tlv)?;
        t.expect(INTEGER).map_err(tlv)?; // serialNumber
        t.expect(SEQUENCE).map_err(tlv)?; // signature
        t.expect(SEQUENCE).map_err(tlv)?; // issuer
        t.expect(SEQUENCE).map_err(tlv)?; // validity
        let subject = t.expect(SEQUENCE).map_err(tlv)?;
        t.expect(SEQUENCE).map_err(tlv)?; // subjectPublicKeyInfo
        let mut scope = Self {
            country: country(&subject)?,
            document_types: None,
            key_usage_period: None,
        };
        while !t.is_empty() {
            let next = t.read().map_err(tlv)?;
            if next.tag() != EXTENSIONS {
                continue; // issuerUniqueID, subjectUniqueID
            }
            let list = next
                .children()
                .map_err(tlv)?
                .expect(SEQUENCE)
                .map_err(tlv)?;
            let mut e = list.children().map_err(tlv)?;
            while !e.is_empty() {
                let ext = e.expect(SEQUENCE).map_err(tlv)?;
                let mut x = ext.children().map_err(tlv)?;
                let id = oid(&x.expect(OID).map_err(tlv)?)?;
                x.optional(BOOLEAN).map_err(tlv)?;
                let value = x.expect(OCTET_STRING).map_err(tlv)?;
                if id == ID_DOCUMENT_TYPE_LIST {
                    if scope.document_types.is_some() {
                        return Err(field("documentTypeList appears twice".into()));
                    }
                    scope.document_types = Some(document_types(value.value())?);
                } else if id == ID_PRIVATE_KEY_USAGE_PERIOD {
                    if scope.key_usage_period.is_some() {
                        return Err(field("privateKeyUsagePeriod appears twice".into()));
                    }
                    scope.key_usage_period = Some(key_usage_period(value.value())?);
                }
            }
        }
        Ok(scope)
    }

    /// Whether the documentTypeList names the document code `code` (`IR`, `I<`; the filler is
    /// removed before comparing, 9303-12 §7.1.1.3).
    pub fn check_document_type(&self, code: &str) -> Result<(), ScopeError> {
        let code = code.trim_end_matches('<');
        let listed = self
            .document_types
            .as_ref()
            .ok_or(ScopeError::NoDocumentTypeList)?;
        if listed.iter().any(|t| t.trim_end_matches('<') == code) {
            return Ok(());
        }
        Err(ScopeError::DocumentTypeNotListed {
            code: code.to_owned(),
            listed: listed.clone(),
        })
    }

    /// Whether the certificate's country is the issuing State `state`.
    pub fn check_country(&self, state: CountryCode) -> Result<(), ScopeError> {
        let country = self.country.as_deref().ok_or(ScopeError::NoCountry)?;
        let Some(expected) = state.alpha2() else {
            return Err(ScopeError::CountryNotComparable {
                state: state.to_string(),
                country: country.to_owned(),
            });
        };
        if country.eq_ignore_ascii_case(expected) {
            return Ok(());
        }
        Err(ScopeError::CountryMismatch {
            state: state.to_string(),
            expected: expected.to_owned(),
            country: country.to_owned(),
        })
    }

    /// Both document checks for the document whose MRZ is `dg1`.
    pub fn check_document(&self, dg1: &Dg1) -> Result<(), ScopeError> {
        self.check_document_type(dg1.document_code())?;
        let state = dg1
            .issuing_state()
            .ok_or_else(|| ScopeError::NoIssuingState {
                state: dg1.mrz().get(2..5).unwrap_or_default().to_owned(),
            })?;
        self.check_country(state)
    }

    /// Whether the private key may sign at `unix` (seconds since the epoch). A certificate
    /// without a privateKeyUsagePeriod sets no limit here (its validity is checked elsewhere).
    pub fn check_time(&self, unix: i64) -> Result<(), ScopeError> {
        let Some(p) = self.key_usage_period else {
            return Ok(());
        };
        let early = p.not_before.is_some_and(|b| unix < b);
        let late = p.not_after.is_some_and(|a| unix > a);
        if !early && !late {
            return Ok(());
        }
        Err(ScopeError::OutsideKeyUsagePeriod {
            at: utc_text(unix),
            not_before: p.not_before.map(utc_text),
            not_after: p.not_after.map(utc_text),
        })
    }
}

/// The `C` attribute of a Name (`SEQUENCE OF SET OF SEQUENCE { type, value }`).
fn country(name: &Tlv<'_>) -> Result<Option<String>, LdsError> {
    let mut rdns = name.children().map_err(tlv)?;
    let mut found = None;
    while !rdns.is_empty() {
        let rdn = rdns.expect(SET).map_err(tlv)?;
        let mut atvs = rdn.children().map_err(tlv)?;
        while !atvs.is_empty() {
            let atv = atvs.expect(SEQUENCE).map_err(tlv)?;
            let mut a = atv.children().map_err(tlv)?;
            if oid(&a.expect(OID).map_err(tlv)?)? != ID_COUNTRY_NAME {
                continue;
            }
            let value = a.read().map_err(tlv)?;
            let text = String::from_utf8_lossy(value.value()).into_owned();
            if found.replace(text).is_some() {
                return Err(field("the subject names more than one country".into()));
            }
        }
    }
    Ok(found)
}

/// `DocumentTypeListSyntax`: the document types, as written.
fn document_types(value: &[u8]) -> Result<Vec<String>, LdsError> {
    let mut r = Reader::new(value);
    let syntax = r.expect(SEQUENCE).map_err(tlv)?;
    let mut s = syntax.children().map_err(tlv)?;
    s.expect(INTEGER).map_err(tlv)?;
    let set = s.expect(SET).map_err(tlv)?;
    let mut items = set.children().map_err(tlv)?;
    let mut out = Vec::new();
    while !items.is_empty() {
        let item = items.read().map_err(tlv)?;
        out.push(String::from_utf8_lossy(item.value()).into_owned());
    }
    Ok(out)
}

/// `PrivateKeyUsagePeriod`.
fn key_usage_period(value: &[u8]) -> Result<KeyUsagePeriod, LdsError> {
    let mut r = Reader::new(value);
    let seq = r.expect(SEQUENCE).map_err(tlv)?;
    let mut p = seq.children().map_err(tlv)?;
    let time = |t: Option<Tlv<'_>>| -> Result<Option<i64>, LdsError> {
        t.map(|t| {
            asn1_time(true, t.value()).ok_or_else(|| {
                field(format!(
                    "privateKeyUsagePeriod: {:?} is not a GeneralizedTime",
                    String::from_utf8_lossy(t.value())
                ))
            })
        })
        .transpose()
    };
    Ok(KeyUsagePeriod {
        not_before: time(p.optional(NOT_BEFORE).map_err(tlv)?)?,
        not_after: time(p.optional(NOT_AFTER).map_err(tlv)?)?,
    })
}

fn oid(t: &Tlv<'_>) -> Result<ObjectIdentifier, LdsError> {
    ObjectIdentifier::from_bytes(t.value())
        .map_err(|e| field(format!("OID at byte {}: {e}", t.offset())))
}

fn tlv(e: TlvError) -> LdsError {
    LdsError::new(Ef::Sod, e)
}

fn field(reason: String) -> LdsError {
    LdsError::field(Ef::Sod, "Document Signer certificate", reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(types: Option<&[&str]>, country: Option<&str>) -> SignerScope {
        SignerScope {
            country: country.map(str::to_owned),
            document_types: types.map(|t| t.iter().map(|s| (*s).to_owned()).collect()),
            key_usage_period: Some(KeyUsagePeriod {
                not_before: Some(1_000),
                not_after: Some(2_000),
            }),
        }
    }

    #[test]
    fn the_document_code_must_be_listed_without_its_filler() {
        let s = scope(Some(&["IR", "I"]), Some("UA"));
        assert_eq!(s.check_document_type("IR"), Ok(()));
        assert_eq!(s.check_document_type("I<"), Ok(()));
        assert!(matches!(
            s.check_document_type("AR"),
            Err(ScopeError::DocumentTypeNotListed { code, .. }) if code == "AR"
        ));
        let p = scope(Some(&["P"]), Some("UA"));
        assert!(matches!(
            p.check_document_type("IR"),
            Err(ScopeError::DocumentTypeNotListed { .. })
        ));
        assert_eq!(
            scope(None, Some("UA")).check_document_type("IR"),
            Err(ScopeError::NoDocumentTypeList)
        );
    }

    #[test]
    fn the_country_must_be_the_issuing_state() {
        let ukr = CountryCode::new("UKR").unwrap();
        assert_eq!(scope(None, Some("UA")).check_country(ukr), Ok(()));
        assert!(matches!(
            scope(None, Some("DE")).check_country(ukr),
            Err(ScopeError::CountryMismatch { expected, country, .. }) if expected == "UA" && country == "DE"
        ));
        assert!(matches!(
            scope(None, Some("ZZ")).check_country(ukr),
            Err(ScopeError::CountryMismatch { .. })
        ));
        assert_eq!(
            scope(None, None).check_country(ukr),
            Err(ScopeError::NoCountry)
        );
        assert!(matches!(
            scope(None, Some("UA")).check_country(CountryCode::new("UTO").unwrap()),
            Err(ScopeError::CountryNotComparable { .. })
        ));
        let germany = CountryCode::new("D").unwrap();
        assert_eq!(scope(None, Some("DE")).check_country(germany), Ok(()));
    }

    #[test]
    fn the_key_signs_only_within_its_usage_period() {
        let s = scope(None, None);
        assert_eq!(s.check_time(1_000), Ok(()));
        assert_eq!(s.check_time(2_000), Ok(()));
        let err = s.check_time(2_001).unwrap_err();
        assert!(matches!(err, ScopeError::OutsideKeyUsagePeriod { .. }));
        assert_eq!(
            err.to_string(),
            "1970-01-01T00:33:21Z is outside the Document Signer's private key usage period \
             (1970-01-01T00:16:40Z to 1970-01-01T00:33:20Z)"
        );
        assert!(s.check_time(999).is_err());
        assert_eq!(
            s.key_usage_period.unwrap().to_string(),
            "1970-01-01T00:16:40Z to 1970-01-01T00:33:20Z"
        );
        let open = SignerScope {
            key_usage_period: None,
            ..s
        };
        assert_eq!(open.check_time(0), Ok(()));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bad in [
            &[][..],
            &[0x30, 0x00],
            &[0x30, 0x02, 0x30, 0x00],
            b"nonsense",
        ] {
            let err = SignerScope::from_certificate(bad).unwrap_err();
            assert_eq!(err.file, Ef::Sod, "{err}");
        }
    }
}
