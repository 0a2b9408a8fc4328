//! The certificate extensions of ICAO Doc 9303-12 Table 6, each with the criticality the table
//! gives it: keyUsage and basicConstraints critical, extKeyUsage critical (§7.1.1.3), every
//! other one non-critical.
//!
//! ```asn1
//! PrivateKeyUsagePeriod ::= SEQUENCE {               -- 2.5.29.16, GeneralizedTime (Table 6)
//!   notBefore [0] GeneralizedTime OPTIONAL, notAfter [1] GeneralizedTime OPTIONAL }
//! DocumentTypeListSyntax ::= SEQUENCE {               -- 2.23.136.1.1.6.2 (§7.1.1.6)
//!   version INTEGER (0), docTypeList SET OF PrintableString (SIZE (1..2)) }
//! nameChange EXTENSION ::= { SYNTAX NULL IDENTIFIED BY 2.23.136.1.1.6.1 }   -- §7.1.1.5
//! ```

use std::time::{Duration, SystemTime};

use der::{
    Decode, Encode,
    asn1::{
        GeneralizedTime, Ia5String, Null, ObjectIdentifier, OctetString, PrintableString, SetOfVec,
    },
};
use sha1::Digest;
use spki::{EncodePublicKey, SubjectPublicKeyInfoOwned};
use x509_cert::ext::{
    Extension,
    pkix::{
        AuthorityKeyIdentifier, BasicConstraints, CrlDistributionPoints, ExtendedKeyUsage,
        IssuerAltName, KeyUsage, KeyUsages, PrivateKeyUsagePeriod, SubjectAltName,
        SubjectKeyIdentifier,
        crl::dp::DistributionPoint,
        name::{DistributionPointName, GeneralName, GeneralNames},
    },
};

use super::{ID_DOCUMENT_TYPE_LIST, ID_ICAO_NAME_CHANGE, name::locality_name};
use crate::PkiError;

/// The SubjectPublicKeyInfo of a public key.
pub fn spki_of<K: EncodePublicKey>(key: &K) -> Result<SubjectPublicKeyInfoOwned, PkiError> {
    let der = key
        .to_public_key_der()
        .map_err(|e| PkiError::encode("public key", e))?;
    SubjectPublicKeyInfoOwned::from_der(der.as_bytes())
        .map_err(|e| PkiError::encode("public key", e))
}

/// RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits.
pub fn key_identifier(spki: &SubjectPublicKeyInfoOwned) -> Vec<u8> {
    sha1::Sha1::digest(spki.subject_public_key.raw_bytes()).to_vec()
}

/// basicConstraints of a CSCA (critical, cA TRUE, pathLenConstraint 0: Table 6).
pub fn ca_basic_constraints() -> Result<Extension, PkiError> {
    encode(
        &BasicConstraints {
            ca: true,
            path_len_constraint: Some(0),
        },
        true,
    )
}

/// keyUsage of a CSCA: keyCertSign and cRLSign, critical.
pub fn ca_key_usage() -> Result<Extension, PkiError> {
    encode(&KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign), true)
}

/// keyUsage of a signer (Document, Master List, Deviation List): digitalSignature, critical.
pub fn signer_key_usage() -> Result<Extension, PkiError> {
    encode(&KeyUsage(KeyUsages::DigitalSignature.into()), true)
}

/// subjectKeyIdentifier of `spki`.
pub fn subject_key_identifier(spki: &SubjectPublicKeyInfoOwned) -> Result<Extension, PkiError> {
    encode(&SubjectKeyIdentifier(octets(&key_identifier(spki))?), false)
}

/// authorityKeyIdentifier with the keyIdentifier of the issuer's key.
pub fn authority_key_identifier(issuer_key_id: &[u8]) -> Result<Extension, PkiError> {
    encode(
        &AuthorityKeyIdentifier {
            key_identifier: Some(octets(issuer_key_id)?),
            ..AuthorityKeyIdentifier::default()
        },
        false,
    )
}

/// extKeyUsage naming `purpose`, critical (§7.1.1.3).
pub fn extended_key_usage(purpose: ObjectIdentifier) -> Result<Extension, PkiError> {
    encode(&ExtendedKeyUsage(vec![purpose]), true)
}

/// privateKeyUsagePeriod from `start` for `length`, both bounds as GeneralizedTime.
pub fn usage_period(start: SystemTime, length: Duration) -> Result<Extension, PkiError> {
    let end = start
        .checked_add(length)
        .ok_or_else(|| PkiError::build("privateKeyUsagePeriod", "the period ends too far away"))?;
    let t = |s| {
        GeneralizedTime::from_system_time(s)
            .map_err(|e| PkiError::encode("privateKeyUsagePeriod", e))
    };
    encode(
        &PrivateKeyUsagePeriod {
            not_before: Some(t(start)?),
            not_after: Some(t(end)?),
        },
        false,
    )
}

/// cRLDistributionPoints with one URI (§7.1.1.4: ldap, http or https).
pub fn crl_distribution_point(url: &str) -> Result<Extension, PkiError> {
    if !["ldap://", "http://", "https://"]
        .iter()
        .any(|s| url.starts_with(s))
    {
        return Err(PkiError::build(
            "cRLDistributionPoints",
            format!("{url:?}: a distribution point is an ldap, http or https URL (§7.1.1.4)"),
        ));
    }
    let uri = Ia5String::new(url).map_err(|e| PkiError::encode("cRLDistributionPoints", e))?;
    encode(
        &CrlDistributionPoints(vec![DistributionPoint {
            distribution_point: Some(DistributionPointName::FullName(vec![
                GeneralName::UniformResourceIdentifier(uri),
            ])),
            reasons: None,
            crl_issuer: None,
        }]),
        false,
    )
}

/// The alternative names of §7.1.1.2: a directoryName `L=<ICAO code>` and, as contact
/// information, a URI.
pub fn alt_names(icao_code: &str, contact_uri: &str) -> Result<GeneralNames, PkiError> {
    let uri = Ia5String::new(contact_uri).map_err(|e| PkiError::encode("alternative name", e))?;
    Ok(vec![
        GeneralName::DirectoryName(locality_name(icao_code)?),
        GeneralName::UniformResourceIdentifier(uri),
    ])
}

/// subjectAltName.
pub fn subject_alt_name(names: GeneralNames) -> Result<Extension, PkiError> {
    encode(&SubjectAltName(names), false)
}

/// issuerAltName.
pub fn issuer_alt_name(names: GeneralNames) -> Result<Extension, PkiError> {
    encode(&IssuerAltName(names), false)
}

/// The NameChange extension (NULL), on a link certificate whose subject differs from its issuer.
pub fn name_change() -> Result<Extension, PkiError> {
    raw(ID_ICAO_NAME_CHANGE, &Null, false)
}

/// documentTypeList naming the document codes a Document Signer may sign, non-critical.
pub fn document_type_list(types: &[String]) -> Result<Extension, PkiError> {
    #[derive(der::Sequence)]
    struct DocumentTypeList {
        version: u8,
        doc_type_list: SetOfVec<PrintableString>,
    }
    if types.is_empty() {
        return Err(PkiError::build(
            "documentTypeList",
            "name at least one document type the signer may sign",
        ));
    }
    let mut list = SetOfVec::new();
    for t in types {
        if t.is_empty() || t.len() > 2 || !t.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(PkiError::build(
                "documentTypeList",
                format!(
                    "document type {t:?} must be 1 or 2 letters A-Z (the MRZ document code without \
                 its filler)"
                ),
            ));
        }
        let code = PrintableString::new(t).map_err(|e| PkiError::encode("documentTypeList", e))?;
        if !list.iter().any(|c| *c == code) {
            list.insert(code)
                .map_err(|e| PkiError::encode("documentTypeList", e))?;
        }
    }
    raw(
        ID_DOCUMENT_TYPE_LIST,
        &DocumentTypeList {
            version: 0,
            doc_type_list: list,
        },
        false,
    )
}

/// An extension whose value is `value`, DER.
fn encode<T: Encode + der::oid::AssociatedOid>(
    value: &T,
    critical: bool,
) -> Result<Extension, PkiError> {
    raw(T::OID, value, critical)
}

fn raw<T: Encode>(oid: ObjectIdentifier, value: &T, critical: bool) -> Result<Extension, PkiError> {
    let der = value
        .to_der()
        .map_err(|e| PkiError::encode("extension", e))?;
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: octets(&der)?,
    })
}

fn octets(bytes: &[u8]) -> Result<OctetString, PkiError> {
    OctetString::new(bytes).map_err(|e| PkiError::encode("octet string", e))
}
