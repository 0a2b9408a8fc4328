//! The Document Signer's certification request: a PKCS #10 `CertificationRequest` (RFC 2986
//! §4) for its subject, carrying its public key and signed by its private key — wherever that
//! key lives (a token, in production) — so the CSCA can check that the requester holds it
//! (`permitkit pki ds issue`). ICAO Doc 9303-12 §7.1.1 wants the DS subject to name the
//! issuing State in `countryName`, the same as its CSCA's.
//!
//! The subject is `CN=<common name>[,O=<organization>],C=<country>`, each value escaped as
//! RFC 4514 §2.4 says; the request asks for no extension (the CSCA decides them).

use std::str::FromStr;

use der::Encode;
use signature::{Keypair, Signer};
use spki::{DynSignatureAlgorithmIdentifier, EncodePublicKey, SignatureBitStringEncoding};
use x509_cert::{
    builder::{Builder, RequestBuilder},
    name::Name,
};

use crate::{PkiError, pem};
use permitkit_lds::mrz::CountryCode;

/// Who the Document Signer is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DsSubject {
    /// ISO 3166-1 alpha-2 code of the issuing State (`UA`).
    pub country: String,
    /// The organization (the issuing authority), when given.
    pub organization: Option<String>,
    /// The common name (`Document Signer 2026-1`).
    pub common_name: String,
}

impl DsSubject {
    /// The X.501 Name, checking the country.
    pub fn name(&self) -> Result<Name, PkiError> {
        let fail = |reason: String| PkiError::Build {
            what: "Document Signer subject",
            reason,
        };
        if CountryCode::from_alpha2(&self.country).is_none() {
            return Err(fail(format!(
                "country {:?} is not an ISO 3166-1 alpha-2 code of a State (9303-12 §7.1.1: the \
                 C of a Document Signer)",
                self.country
            )));
        }
        if self.common_name.trim().is_empty() {
            return Err(fail("the common name is empty".into()));
        }
        let mut text = format!("CN={}", escape(&self.common_name));
        if let Some(o) = &self.organization {
            text.push_str(&format!(",O={}", escape(o)));
        }
        text.push_str(&format!(",C={}", self.country));
        Name::from_str(&text).map_err(|e| PkiError::encode("Document Signer subject", e))
    }
}

/// Builds and signs the certification request of `subject` with `signer`: DER.
pub fn certification_request<S, Sig>(subject: &DsSubject, signer: &S) -> Result<Vec<u8>, PkiError>
where
    S: Keypair + DynSignatureAlgorithmIdentifier + Signer<Sig>,
    S::VerifyingKey: EncodePublicKey,
    Sig: SignatureBitStringEncoding,
{
    let builder = RequestBuilder::new(subject.name()?)
        .map_err(|e| PkiError::encode("certification request", e))?;
    let request = builder
        .build::<S, Sig>(signer)
        .map_err(|e| PkiError::encode("certification request", e))?;
    request
        .to_der()
        .map_err(|e| PkiError::encode("certification request", e))
}

/// The request as PEM (`CERTIFICATE REQUEST`, RFC 7468 §7).
pub fn to_pem(request_der: &[u8]) -> Result<String, PkiError> {
    pem::encode("CERTIFICATE REQUEST", request_der, &[])
}

/// RFC 4514 §2.4: `\` before `, + " \ < > ;` and `=` anywhere, before `#` or a space at the
/// start and a space at the end.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=')
            || (i == 0 && matches!(c, '#' | ' '))
            || (i == last && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signer::{FileKey, FileKeySignature};
    use der::{Decode, Encode};

    #[test]
    fn the_request_is_signed_by_the_key_it_carries() {
        use p256::elliptic_curve::Generate;
        let key = FileKey::try_generate_from_rng(&mut getrandom::SysRng).unwrap();
        let subject = DsSubject {
            country: "UA".into(),
            organization: Some("State Migration Service, \"test\"".into()),
            common_name: "Document Signer 1".into(),
        };
        let der = certification_request::<_, FileKeySignature>(&subject, &key).unwrap();
        // x509-parser, another ASN.1 stack, reads it and checks the self-signature.
        use x509_parser::prelude::FromDer;
        let (rest, csr) =
            x509_parser::certification_request::X509CertificationRequest::from_der(&der).unwrap();
        assert!(rest.is_empty());
        csr.verify_signature().unwrap();
        let subject_text = csr.certification_request_info.subject.to_string();
        assert!(subject_text.contains("C=UA"), "{subject_text}");
        assert!(
            subject_text.contains("State Migration Service"),
            "{subject_text}"
        );
        let req = x509_cert::request::CertReq::from_der(&der).unwrap();
        assert_eq!(
            req.info.public_key.to_der().unwrap(),
            key.verifying_key().to_public_key_der().unwrap().as_bytes()
        );
        assert!(
            to_pem(&der)
                .unwrap()
                .contains("-----BEGIN CERTIFICATE REQUEST-----")
        );
    }

    #[test]
    fn a_subject_without_a_state_is_refused() {
        let subject = DsSubject {
            country: "ZZ".into(),
            organization: None,
            common_name: "DS".into(),
        };
        assert!(subject.name().is_err());
        assert_eq!(escape(" a,b=c "), "\\ a\\,b\\=c\\ ");
    }
}
