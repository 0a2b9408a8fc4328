//! A trust anchor (ICAO Doc 9303-12 §6.1.1): one public key of one CSCA, with the metadata
//! passive authentication needs — the owner's name, the key identifier a Document Signer's
//! authorityKeyIdentifier names (Appendix D.1.1.1: the anchor used is the one whose key
//! matches it), the country (`C`) and the ICAO three-letter code of the subjectAltName's
//! directoryName (§7.1.1.2), and where it came from. A self-signed root and a link certificate
//! (§4.1.4.3, the new key certified by the old one) are both anchors for the key they carry.

use sha1::Digest;
use x509_parser::{
    certificate::X509Certificate, extensions::GeneralName, extensions::ParsedExtension,
    prelude::FromDer,
};

/// What kind of CSCA certificate an anchor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AnchorKind {
    /// Self-issued and self-signed.
    Root,
    /// Issued under another key (or name) of the same CSCA.
    Link,
}

/// One trusted CSCA key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    /// The certificate, DER.
    pub der: Vec<u8>,
    /// The subject Name as encoded.
    pub subject: Vec<u8>,
    /// The subject, for a person.
    pub subject_text: String,
    /// The issuer, for a person.
    pub issuer_text: String,
    /// The subjectKeyIdentifier, or SHA-1 of the key bits when there is none.
    pub key_id: Vec<u8>,
    /// SHA-1 of the key bits (RFC 5280 §4.2.1.2 method 1), when it differs from `key_id`.
    pub computed_key_id: Option<Vec<u8>>,
    /// The serial number's content octets (leading zero removed).
    pub serial: Vec<u8>,
    /// The subject's countryName.
    pub country: Option<String>,
    /// The ICAO code of the subjectAltName's directoryName `L` (§7.1.1.2), if any.
    pub icao_code: Option<String>,
    /// Root or link.
    pub kind: AnchorKind,
    /// Whether basicConstraints says cA.
    pub is_ca: bool,
    /// Where it came from: a file, or a master list in a file.
    pub source: String,
}

impl Anchor {
    /// Reads an anchor from a certificate; `None` when it does not decode.
    pub fn from_der(der: &[u8], source: &str) -> Option<Self> {
        let (rest, cert) = X509Certificate::from_der(der).ok()?;
        if !rest.is_empty() {
            return None;
        }
        let bits = sha1::Sha1::digest(&cert.public_key().subject_public_key.data).to_vec();
        let ski = cert
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
                _ => None,
            });
        let (key_id, computed_key_id) = match ski {
            Some(k) if k != bits => (k, Some(bits)),
            Some(k) => (k, None),
            None => (bits, None),
        };
        let self_issued = cert.issuer().as_raw() == cert.subject().as_raw();
        let kind = if self_issued && cert.verify_signature(None).is_ok() {
            AnchorKind::Root
        } else {
            AnchorKind::Link
        };
        Some(Self {
            der: der.to_vec(),
            subject: cert.subject().as_raw().to_vec(),
            subject_text: cert.subject().to_string(),
            issuer_text: cert.issuer().to_string(),
            key_id,
            computed_key_id,
            serial: crate::crl::parse::strip_zero(cert.tbs_certificate.raw_serial()).to_vec(),
            country: crate::crl::parse::single_country(cert.subject()),
            icao_code: icao_code(&cert),
            kind,
            is_ca: cert.is_ca(),
            source: source.to_owned(),
        })
    }

    /// `CN=…, C=UA (CSCA root, key 1a2b3c4d…, from trust/csca.pem)`.
    pub fn describe(&self) -> String {
        let key = hex::encode(self.key_id.get(..8).unwrap_or(&self.key_id));
        let kind = match self.kind {
            AnchorKind::Root => "CSCA root".to_owned(),
            AnchorKind::Link => format!("CSCA link issued by {}", self.issuer_text),
        };
        format!(
            "{} ({kind}, key {key}…, from {})",
            self.subject_text, self.source
        )
    }
}

/// The `L` of the subjectAltName's directoryName: the ICAO code of the issuing State.
fn icao_code(cert: &X509Certificate<'_>) -> Option<String> {
    let san = cert.subject_alternative_name().ok().flatten()?;
    san.value.general_names.iter().find_map(|n| match n {
        GeneralName::DirectoryName(name) => name
            .iter_locality()
            .find_map(|l| l.as_str().ok())
            .map(str::to_owned),
        _ => None,
    })
}
