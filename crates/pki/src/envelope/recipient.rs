//! The recipient of an envelope, read from its X.509 certificate: an EC P-256 key
//! (id-ecPublicKey with namedCurve secp256r1, RFC 5480 §2.1.1), allowed for keyAgreement when
//! the certificate has a keyUsage extension (RFC 5280 §4.2.1.3), named in the envelope by the
//! certificate's issuer and serial number or by its subjectKeyIdentifier (RFC 5652 §6.2.2).

use cms::{cert::IssuerAndSerialNumber, enveloped_data::KeyAgreeRecipientIdentifier};
use der::{Decode, asn1::ObjectIdentifier, oid::AssociatedOid};
use x509_cert::{
    Certificate,
    ext::pkix::{KeyUsage, SubjectKeyIdentifier},
};

use super::EnvelopeError;

/// id-ecPublicKey (RFC 5480 §2.1.1).
pub(crate) const ID_EC_PUBLIC_KEY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// secp256r1 / prime256v1 (RFC 5480 §2.1.1.1).
pub(crate) const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");

/// A certificate whose key an envelope can be sealed to.
#[derive(Clone)]
pub struct Recipient {
    issuer_and_serial: IssuerAndSerialNumber,
    key_identifier: Option<Vec<u8>>,
    public_key: p256::PublicKey,
}

impl std::fmt::Debug for Recipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Recipient {
    /// Reads `der` and checks that its key can receive an envelope.
    pub fn from_certificate(der: &[u8]) -> Result<Self, EnvelopeError> {
        let cert = Certificate::from_der(der).map_err(|source| EnvelopeError::Certificate {
            part: "certificate",
            source,
        })?;
        let tbs = cert.tbs_certificate();
        let spki = tbs.subject_public_key_info();
        if spki.algorithm.oid != ID_EC_PUBLIC_KEY {
            return Err(EnvelopeError::NotP256(format!(
                "of algorithm {}",
                spki.algorithm.oid
            )));
        }
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
        if curve != Some(SECP256R1) {
            return Err(EnvelopeError::NotP256(match curve {
                Some(c) => format!("on curve {c}"),
                None => "on a curve given by explicit parameters".into(),
            }));
        }
        let public_key = p256::PublicKey::from_sec1_bytes(spki.subject_public_key.raw_bytes())
            .map_err(EnvelopeError::CertificateKey)?;
        let extension = |oid: ObjectIdentifier| {
            tbs.extensions()
                .and_then(|exts| exts.iter().find(|e| e.extn_id == oid))
        };
        if let Some(ext) = extension(KeyUsage::OID) {
            let usage = KeyUsage::from_der(ext.extn_value.as_bytes()).map_err(|source| {
                EnvelopeError::Certificate {
                    part: "keyUsage extension",
                    source,
                }
            })?;
            if !usage.key_agreement() {
                let names: Vec<String> = usage.0.into_iter().map(|u| format!("{u:?}")).collect();
                return Err(EnvelopeError::NoKeyAgreement(names.join(", ")));
            }
        }
        let key_identifier = extension(SubjectKeyIdentifier::OID)
            .and_then(|ext| SubjectKeyIdentifier::from_der(ext.extn_value.as_bytes()).ok())
            .map(|k| k.0.as_bytes().to_vec());
        Ok(Self {
            issuer_and_serial: IssuerAndSerialNumber {
                issuer: tbs.issuer().clone(),
                serial_number: tbs.serial_number().clone(),
            },
            key_identifier,
            public_key,
        })
    }

    /// The certificate's public key.
    pub fn public_key(&self) -> &p256::PublicKey {
        &self.public_key
    }

    /// How an envelope names this recipient: issuer and serial number.
    pub(crate) fn identifier(&self) -> KeyAgreeRecipientIdentifier {
        KeyAgreeRecipientIdentifier::IssuerAndSerialNumber(self.issuer_and_serial.clone())
    }

    /// Whether `rid` names this certificate (issuer and serial number, or rKeyId with the
    /// certificate's subjectKeyIdentifier).
    pub(crate) fn is(&self, rid: &KeyAgreeRecipientIdentifier) -> bool {
        match rid {
            KeyAgreeRecipientIdentifier::IssuerAndSerialNumber(ias) => {
                *ias == self.issuer_and_serial
            }
            KeyAgreeRecipientIdentifier::RKeyId(r) => self
                .key_identifier
                .as_deref()
                .is_some_and(|k| k == r.subject_key_identifier.0.as_bytes()),
        }
    }

    /// `issuer <name>, serial <hex>`, for messages.
    pub fn describe(&self) -> String {
        describe_identifier(&self.identifier())
    }
}

/// A recipient identifier as text, for messages.
pub(crate) fn describe_identifier(rid: &KeyAgreeRecipientIdentifier) -> String {
    match rid {
        KeyAgreeRecipientIdentifier::IssuerAndSerialNumber(ias) => format!(
            "issuer {}, serial {}",
            ias.issuer,
            hex::encode_upper(ias.serial_number.as_bytes())
        ),
        KeyAgreeRecipientIdentifier::RKeyId(r) => format!(
            "subject key identifier {}",
            hex::encode_upper(r.subject_key_identifier.0.as_bytes())
        ),
    }
}
