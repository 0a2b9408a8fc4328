//! Signed lists of the eMRTD PKI — CSCA master lists (ICAO Doc 9303-12 §9) and deviation lists
//! (§10; docs/spec/lds.md §10.1) — read as CMS `ContentInfo { SignedData }` (RFC 5652 §5) with the workspace's BER-TLV
//! reader (definite lengths; unsorted sets and constructed octet strings tolerated, nesting
//! bounded), independently of the `cms` stack that writes them, and verified:
//!
//! 1. the signer's certificate is embedded and matches the SignerInfo's `sid`
//!    (`signer-certificate`);
//! 2. it carries the list's extKeyUsage — 2.23.136.1.1.3 for master lists, 2.23.136.1.1.8 for
//!    deviation lists (§7.1.1.3) — and is not a CA (§5.3: "Master Lists MUST NOT be signed …
//!    directly by a CSCA") (`signer-purpose`);
//! 3. it is a trusted list signer itself, or a CSCA of the trust store issued it: found by its
//!    authorityKeyIdentifier and issuer name, the certificate's signature verified
//!    (`signer-chain`), valid at the signing time (`signer-validity`);
//! 4. the signed attributes: contentType is the eContentType (`content-type`), messageDigest is
//!    the digest of the eContent (`message-digest`), and the signature over them verifies with
//!    the signer's key (`signature`).
//!
//! [`sign`] writes them.
//!
//! ```asn1
//! ContentInfo ::= SEQUENCE { contentType id-signedData, content [0] EXPLICIT SignedData }
//! SignedData ::= SEQUENCE { version, digestAlgorithms SET OF AlgorithmIdentifier,
//!   encapContentInfo SEQUENCE { eContentType OID, eContent [0] EXPLICIT OCTET STRING },
//!   certificates [0] IMPLICIT SET OF Certificate OPTIONAL, crls [1] IMPLICIT … OPTIONAL,
//!   signerInfos SET OF SignerInfo }
//! ```

pub mod sign;

use der::asn1::ObjectIdentifier;
use x509_parser::{
    certificate::X509Certificate, der_parser::asn1_rs::BitString, extensions::ParsedExtension,
    prelude::FromDer, time::ASN1Time, x509::AlgorithmIdentifier,
};

use permitkit_iso7816::tlv::{Reader, Tag, Tlv, TlvError};
use permitkit_lds::sod::{HashAlgorithm, SignerId};

const SEQUENCE: Tag = Tag::new(0x30);
const SET: Tag = Tag::new(0x31);
const INTEGER: Tag = Tag::new(0x02);
const OID: Tag = Tag::new(0x06);
const OCTET_STRING: Tag = Tag::new(0x04);
const OCTET_STRING_BER: Tag = Tag::new(0x24);
const CTX0: Tag = Tag::new(0xA0);
const CTX0_PRIMITIVE: Tag = Tag::new(0x80);
const CTX1: Tag = Tag::new(0xA1);
const UTC_TIME: Tag = Tag::new(0x17);
const GENERALIZED_TIME: Tag = Tag::new(0x18);

/// `id-signedData` 1.2.840.113549.1.7.2.
const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ID_SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");

/// Why a signed list was refused: its structure, or the check that said no.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignedListError {
    /// The bytes are not a SignedData of the expected shape.
    #[error("structure: {reason}")]
    Structure {
        /// What is wrong, and where (byte offsets).
        reason: String,
    },
    /// A verification check failed.
    #[error("{check}: {reason}")]
    Check {
        /// The check: `econtent-type`, `signer-certificate`, `signer-purpose`, `signer-chain`,
        /// `signer-validity`, `content-type`, `message-digest`, `signature`.
        check: &'static str,
        /// What was found.
        reason: String,
    },
}

impl SignedListError {
    fn check(check: &'static str, reason: impl Into<String>) -> Self {
        Self::Check {
            check,
            reason: reason.into(),
        }
    }
}

impl From<TlvError> for SignedListError {
    fn from(e: TlvError) -> Self {
        Self::Structure {
            reason: e.to_string(),
        }
    }
}

/// Given a list signer's certificate, the CSCA certificates (DER) that may have issued it, each
/// with a description for the report.
pub type IssuerCandidates<'a> = &'a dyn Fn(&X509Certificate<'_>) -> Vec<(Vec<u8>, String)>;

/// One SignerInfo, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerInfo {
    /// The SignerIdentifier.
    pub sid: SignerId,
    /// The digest algorithm.
    pub digest_algorithm: ObjectIdentifier,
    /// The signed attributes re-tagged as `SET` (`31`): the bytes the signature covers.
    pub signed_attributes: Option<Vec<u8>>,
    /// The contentType signed attribute.
    pub content_type: Option<ObjectIdentifier>,
    /// The messageDigest signed attribute.
    pub message_digest: Option<Vec<u8>>,
    /// The signingTime signed attribute, seconds since the epoch.
    pub signing_time: Option<i64>,
    /// The signatureAlgorithm, raw DER.
    pub signature_algorithm: Vec<u8>,
    /// The signature value.
    pub signature: Vec<u8>,
}

/// A CMS SignedData taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedData {
    /// The eContentType.
    pub econtent_type: ObjectIdentifier,
    /// The eContent octets.
    pub econtent: Vec<u8>,
    /// The embedded certificates, raw DER.
    pub certificates: Vec<Vec<u8>>,
    /// Whether the `crls` field is present (9303-12 Tables 18 and 19: do not use).
    pub has_crls: bool,
    /// The SignerInfos.
    pub signers: Vec<SignerInfo>,
}

/// The list signer, once every check passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSigner {
    /// The signer's certificate, DER.
    pub certificate: Vec<u8>,
    /// Its subject, for a person.
    pub subject: String,
    /// What it was trusted through: the CSCA that issued it, or "a trusted list signer".
    pub trusted_through: String,
    /// The signingTime, seconds since the epoch.
    pub signing_time: Option<i64>,
}

impl SignedData {
    /// Parses a `ContentInfo { SignedData }` (DER, or BER with definite lengths).
    pub fn parse(data: &[u8]) -> Result<Self, SignedListError> {
        let mut top = Reader::new(data);
        let content_info = top.expect(SEQUENCE)?;
        if !top.is_empty() {
            return Err(structure(format!(
                "{} bytes after the ContentInfo",
                top.remaining().len()
            )));
        }
        let mut ci = content_info.children()?;
        let ct = read_oid(&mut ci, "contentType")?;
        if ct != ID_SIGNED_DATA {
            return Err(structure(format!("contentType {ct} is not id-signedData")));
        }
        let signed_data = ci.expect(CTX0)?.children()?.expect(SEQUENCE)?;
        let mut sd = signed_data.children()?;
        sd.expect(INTEGER)?; // version
        sd.expect(SET)?; // digestAlgorithms
        let eci = sd.expect(SEQUENCE)?;
        let mut e = eci.children()?;
        let econtent_type = read_oid(&mut e, "eContentType")?;
        let wrapper = e
            .optional(CTX0)?
            .ok_or_else(|| structure("no eContent: the list is not encapsulated".into()))?;
        let econtent = octet_string(&wrapper.children()?.read()?)?;
        let mut certificates = Vec::new();
        if let Some(certs) = sd.optional(CTX0)? {
            let mut c = certs.children()?;
            while !c.is_empty() {
                let cert = c.read()?;
                if cert.tag() == SEQUENCE {
                    certificates.push(cert.raw().to_vec());
                }
            }
        }
        let has_crls = sd.optional(CTX1)?.is_some();
        let mut s = sd.expect(SET)?.children()?;
        let mut signers = Vec::new();
        while !s.is_empty() {
            signers.push(signer_info(s.expect(SEQUENCE)?.children()?)?);
        }
        Ok(Self {
            econtent_type,
            econtent,
            certificates,
            has_crls,
            signers,
        })
    }

    /// Verifies the signature of a list of type `econtent_type`, signed by a certificate with
    /// extKeyUsage `purpose`: trusted itself (`trusted_signers`, DER) or issued by a CSCA that
    /// `issuers` returns for it (candidates, DER, each with a name for the report). Validity is
    /// checked at the signingTime, or `now` without one.
    pub fn verify(
        &self,
        econtent_type: ObjectIdentifier,
        purpose: ObjectIdentifier,
        trusted_signers: &[Vec<u8>],
        issuers: IssuerCandidates<'_>,
        now: i64,
    ) -> Result<VerifiedSigner, SignedListError> {
        use SignedListError as E;
        if self.econtent_type != econtent_type {
            return Err(E::check(
                "econtent-type",
                format!("{} is not {econtent_type}", self.econtent_type),
            ));
        }
        let signer = match self.signers.as_slice() {
            [one] => one,
            [] => return Err(E::check("signer-certificate", "no SignerInfo")),
            _ => {
                return Err(E::check(
                    "signer-certificate",
                    format!(
                        "{} SignerInfos: a list has one signer (9303-12 §9.1)",
                        self.signers.len()
                    ),
                ));
            }
        };
        let (der, cert) = self
            .certificates
            .iter()
            .find_map(|der| {
                let (_, cert) = X509Certificate::from_der(der).ok()?;
                matches_sid(&cert, &signer.sid).then_some((der, cert))
            })
            .ok_or_else(|| {
                E::check(
                    "signer-certificate",
                    "no embedded certificate matches the SignerInfo's signer identifier",
                )
            })?;
        let has_purpose = cert.extended_key_usage().ok().flatten().is_some_and(|e| {
            e.value
                .other
                .iter()
                .any(|o| o.to_id_string() == purpose.to_string())
        });
        if !has_purpose {
            return Err(E::check(
                "signer-purpose",
                format!(
                    "the signer {} has no extKeyUsage {purpose} (9303-12 §7.1.1.3)",
                    cert.subject()
                ),
            ));
        }
        if cert.is_ca() {
            return Err(E::check(
                "signer-purpose",
                format!(
                    "the signer {} is a CA: a CSCA must not sign lists itself (9303-12 §5.3)",
                    cert.subject()
                ),
            ));
        }
        let trusted_through = if trusted_signers.iter().any(|t| t == der) {
            "a trusted list signer".to_owned()
        } else {
            let candidates = issuers(&cert);
            if candidates.is_empty() {
                return Err(E::check(
                    "signer-chain",
                    format!(
                        "no CSCA in the trust store issued the list signer {} (issuer {})",
                        cert.subject(),
                        cert.issuer()
                    ),
                ));
            }
            let mut last = String::new();
            let mut through = None;
            for (issuer_der, name) in &candidates {
                let Ok((_, issuer)) = X509Certificate::from_der(issuer_der) else {
                    continue;
                };
                match cert.verify_signature(Some(issuer.public_key())) {
                    Ok(()) => {
                        through = Some(name.clone());
                        break;
                    }
                    Err(e) => last = e.to_string(),
                }
            }
            through.ok_or_else(|| {
                E::check(
                    "signer-chain",
                    format!(
                        "the list signer's certificate does not verify with the CSCA key its \
                         issuer names ({last})"
                    ),
                )
            })?
        };
        let at = signer.signing_time.unwrap_or(now);
        let valid = ASN1Time::from_timestamp(at)
            .ok()
            .is_some_and(|t| cert.validity().is_valid_at(t));
        if !valid {
            return Err(E::check(
                "signer-validity",
                format!(
                    "the list signer is valid {} to {}, not at {}",
                    cert.validity().not_before,
                    cert.validity().not_after,
                    crate::profile::utc_text(at)
                ),
            ));
        }
        match signer.content_type {
            Some(ct) if ct == self.econtent_type => {}
            Some(ct) => {
                return Err(E::check(
                    "content-type",
                    format!("the contentType attribute {ct} differs from the eContentType"),
                ));
            }
            None => return Err(E::check("content-type", "no contentType signed attribute")),
        }
        let hash = HashAlgorithm::from_oid(&signer.digest_algorithm).ok_or_else(|| {
            E::check(
                "message-digest",
                format!("unsupported digest algorithm {}", signer.digest_algorithm),
            )
        })?;
        if signer.message_digest.as_deref() != Some(hash.digest(&self.econtent).as_slice()) {
            return Err(E::check(
                "message-digest",
                format!(
                    "the messageDigest attribute is not the {} of the list",
                    hash.name()
                ),
            ));
        }
        let attrs = signer
            .signed_attributes
            .as_deref()
            .ok_or_else(|| E::check("signature", "no signed attributes"))?;
        let (_, alg) = AlgorithmIdentifier::from_der(&signer.signature_algorithm)
            .map_err(|e| E::check("signature", format!("signatureAlgorithm: {e}")))?;
        x509_parser::verify::verify_signature(
            cert.public_key(),
            &alg,
            &BitString::new(0, &signer.signature),
            attrs,
        )
        .map_err(|e| {
            E::check(
                "signature",
                format!("the signature over the signed attributes does not verify ({e})"),
            )
        })?;
        Ok(VerifiedSigner {
            certificate: der.clone(),
            subject: cert.subject().to_string(),
            trusted_through,
            signing_time: signer.signing_time,
        })
    }
}

fn signer_info(mut r: Reader<'_>) -> Result<SignerInfo, SignedListError> {
    r.expect(INTEGER)?; // version
    let sid = match r.peek_tag()? {
        Some(SEQUENCE) => {
            let ias = r.read()?;
            let mut c = ias.children()?;
            let issuer = c.expect(SEQUENCE)?.raw().to_vec();
            let serial = c.expect(INTEGER)?.value().to_vec();
            SignerId::IssuerAndSerial { issuer, serial }
        }
        Some(CTX0_PRIMITIVE) => SignerId::SubjectKeyId(r.read()?.value().to_vec()),
        other => {
            return Err(structure(format!(
                "SignerIdentifier: unexpected tag {}",
                other.map_or("end".into(), |t| t.to_string())
            )));
        }
    };
    let digest_algorithm = read_oid(&mut r.expect(SEQUENCE)?.children()?, "digestAlgorithm")?;
    let mut info = SignerInfo {
        sid,
        digest_algorithm,
        signed_attributes: None,
        content_type: None,
        message_digest: None,
        signing_time: None,
        signature_algorithm: Vec::new(),
        signature: Vec::new(),
    };
    if let Some(attrs) = r.optional(CTX0)? {
        let mut as_set = attrs.raw().to_vec();
        if let Some(first) = as_set.first_mut() {
            *first = 0x31;
        }
        info.signed_attributes = Some(as_set);
        let mut a = attrs.children()?;
        while !a.is_empty() {
            let mut c = a.expect(SEQUENCE)?.children()?;
            let oid = read_oid(&mut c, "attribute type")?;
            let Some(first) = c.expect(SET)?.children()?.read().ok() else {
                continue;
            };
            if oid == ID_CONTENT_TYPE {
                info.content_type = Some(oid_of(&first, "contentType attribute")?);
            } else if oid == ID_MESSAGE_DIGEST {
                info.message_digest = Some(octet_string(&first)?);
            } else if oid == ID_SIGNING_TIME && matches!(first.tag(), UTC_TIME | GENERALIZED_TIME) {
                info.signing_time = ASN1Time::from_der(first.raw())
                    .ok()
                    .map(|(_, t)| t.timestamp());
            }
        }
    }
    info.signature_algorithm = r.expect(SEQUENCE)?.raw().to_vec();
    info.signature = r.expect(OCTET_STRING)?.value().to_vec();
    Ok(info)
}

/// Whether `cert` is the one `sid` names.
pub(crate) fn matches_sid(cert: &X509Certificate<'_>, sid: &SignerId) -> bool {
    match sid {
        SignerId::IssuerAndSerial { issuer, serial } => {
            cert.issuer().as_raw() == issuer.as_slice()
                && crate::crl::parse::strip_zero(cert.tbs_certificate.raw_serial())
                    == crate::crl::parse::strip_zero(serial)
        }
        SignerId::SubjectKeyId(kid) => cert.extensions().iter().any(|e| {
            matches!(e.parsed_extension(), ParsedExtension::SubjectKeyIdentifier(k) if k.0 == kid.as_slice())
        }),
    }
}

fn read_oid(r: &mut Reader<'_>, what: &str) -> Result<ObjectIdentifier, SignedListError> {
    let t = r.expect(OID)?;
    oid_of(&t, what)
}

fn oid_of(t: &Tlv<'_>, what: &str) -> Result<ObjectIdentifier, SignedListError> {
    if t.tag() != OID {
        return Err(structure(format!(
            "{what}: tag {} at byte {} is not an OID",
            t.tag(),
            t.offset()
        )));
    }
    ObjectIdentifier::from_bytes(t.value())
        .map_err(|e| structure(format!("{what} at byte {}: {e}", t.offset())))
}

/// The content of a primitive OCTET STRING, or the concatenated segments of a constructed one
/// (nesting bounded by the reader's depth limit).
fn octet_string(t: &Tlv<'_>) -> Result<Vec<u8>, SignedListError> {
    match t.tag() {
        OCTET_STRING => Ok(t.value().to_vec()),
        OCTET_STRING_BER => {
            let mut out = Vec::new();
            let mut r = t.children()?;
            while !r.is_empty() {
                out.extend_from_slice(&octet_string(&r.read()?)?);
            }
            Ok(out)
        }
        other => Err(structure(format!(
            "tag {other} at byte {} is not an octet string",
            t.offset()
        ))),
    }
}

fn structure(reason: String) -> SignedListError {
    SignedListError::Structure { reason }
}
