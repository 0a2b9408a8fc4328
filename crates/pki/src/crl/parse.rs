//! Reading a CRL for passive authentication (ICAO Doc 9303-12 Appendix D.1.2; RFC 5280 §5),
//! with `x509-parser`, independently of the writer: its issuer and country (a CSCA's CRL covers
//! every certificate issued under that countryName, §7.1.4 Table 10 Note 1), the
//! authorityKeyIdentifier that names the CSCA key that signed it, thisUpdate and nextUpdate,
//! and the revoked serial numbers, indexed for a constant-time lookup.

use std::collections::HashMap;

use x509_parser::{
    certificate::X509Certificate, extensions::ParsedExtension, prelude::FromDer,
    revocation_list::CertificateRevocationList,
};

use crate::PkiError;

/// A CRL taken apart.
#[derive(Debug, Clone)]
pub struct Crl {
    /// The CRL, DER.
    pub der: Vec<u8>,
    /// The issuer Name as encoded.
    pub issuer: Vec<u8>,
    /// The issuer Name, for a person.
    pub issuer_text: String,
    /// The issuer's countryName.
    pub country: Option<String>,
    /// The authorityKeyIdentifier's keyIdentifier.
    pub authority_key_id: Option<Vec<u8>>,
    /// cRLNumber, big-endian.
    pub number: Option<Vec<u8>>,
    /// thisUpdate, seconds since the epoch.
    pub this_update: i64,
    /// nextUpdate, seconds since the epoch.
    pub next_update: Option<i64>,
    /// Revoked serial numbers (content octets without a leading zero) and their dates.
    revoked: HashMap<Vec<u8>, i64>,
}

impl Crl {
    /// Parses a DER CRL.
    pub fn parse(der: &[u8]) -> Result<Self, PkiError> {
        let bad = |reason: String| PkiError::Malformed {
            what: "CRL".into(),
            reason,
        };
        let (rest, crl) =
            CertificateRevocationList::from_der(der).map_err(|e| PkiError::decode("CRL", e))?;
        if !rest.is_empty() {
            return Err(bad(format!("{} bytes after the CRL", rest.len())));
        }
        let tbs = &crl.tbs_cert_list;
        let mut authority_key_id = None;
        let mut number = None;
        for ext in tbs.extensions() {
            match ext.parsed_extension() {
                ParsedExtension::AuthorityKeyIdentifier(aki) => {
                    authority_key_id = aki.key_identifier.as_ref().map(|k| k.0.to_vec());
                }
                ParsedExtension::CRLNumber(n) => number = Some(n.to_bytes_be()),
                _ if ext.critical => {
                    return Err(bad(format!(
                        "critical extension {} is not one a CSCA CRL may carry (9303-12 §7.1.4 \
                         Table 10)",
                        ext.oid
                    )));
                }
                _ => {}
            }
        }
        let revoked = crl
            .iter_revoked_certificates()
            .map(|r| {
                (
                    strip_zero(r.raw_serial()).to_vec(),
                    r.revocation_date.timestamp(),
                )
            })
            .collect();
        Ok(Self {
            der: der.to_vec(),
            issuer: tbs.issuer.as_raw().to_vec(),
            issuer_text: tbs.issuer.to_string(),
            country: single_country(&tbs.issuer),
            authority_key_id,
            number,
            this_update: tbs.this_update.timestamp(),
            next_update: tbs.next_update.map(|t| t.timestamp()),
            revoked,
        })
    }

    /// Verifies the CRL's signature with the key of `issuer` (a CSCA certificate, DER).
    pub fn verify_signature(&self, issuer: &[u8]) -> Result<(), String> {
        let (_, crl) = CertificateRevocationList::from_der(&self.der).map_err(|e| e.to_string())?;
        let (_, cert) = X509Certificate::from_der(issuer).map_err(|e| e.to_string())?;
        crl.verify_signature(cert.public_key())
            .map_err(|e| format!("signature: {e}"))
    }

    /// Whether the CRL is current at `at`: thisUpdate ≤ at < nextUpdate. A CRL without
    /// nextUpdate is never current (9303-12 Table 9: nextUpdate is mandatory).
    pub fn currency(&self, at: i64) -> Result<(), String> {
        if at < self.this_update {
            return Err(format!(
                "thisUpdate {} is in the future",
                crate::profile::utc_text(self.this_update)
            ));
        }
        match self.next_update {
            None => Err("it has no nextUpdate (9303-12 §7.1.4 Table 9)".into()),
            Some(next) if at >= next => Err(format!(
                "expired: nextUpdate {} has passed",
                crate::profile::utc_text(next)
            )),
            Some(_) => Ok(()),
        }
    }

    /// When the certificate with serial number `serial` (content octets) was revoked, if it was.
    pub fn revoked_at(&self, serial: &[u8]) -> Option<i64> {
        self.revoked.get(strip_zero(serial)).copied()
    }

    /// How many certificates it revokes.
    pub fn revoked_count(&self) -> usize {
        self.revoked.len()
    }

    /// cRLNumber in decimal, `-` when absent.
    pub fn number_text(&self) -> String {
        self.number.as_ref().map_or_else(
            || "-".into(),
            |n| {
                if n.len() <= 16 {
                    let mut v: u128 = 0;
                    for b in n {
                        v = (v << 8) | u128::from(*b);
                    }
                    v.to_string()
                } else {
                    format!("0x{}", hex::encode(n))
                }
            },
        )
    }
}

/// The countryName of a Name, when it has exactly one.
pub(crate) fn single_country(name: &x509_parser::x509::X509Name<'_>) -> Option<String> {
    let mut it = name.iter_country().filter_map(|a| a.as_str().ok());
    let first = it.next()?.to_owned();
    it.next().is_none().then_some(first)
}

pub(crate) fn strip_zero(b: &[u8]) -> &[u8] {
    match b {
        [0, rest @ ..] if !rest.is_empty() => rest,
        _ => b,
    }
}
