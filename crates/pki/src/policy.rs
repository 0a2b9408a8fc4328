//! The signing policy of a Document Signer (ICAO Doc 9303-12 §4.1 Table 1, §7.1.1): a DS key signs
//! only within its private key usage period (about three months) and at most a set number of
//! documents, and every signature is audited. [`GuardedSigner`] enforces all three around any
//! signer, the way an issuing authority's signing service does in front of its HSM:
//!
//! - the period is the DS certificate's privateKeyUsagePeriod, read and checked by
//!   `permitkit_lds::sod::SignerScope` (the same check `lds::build` and passive authentication
//!   make), against the signer's own clock at the moment it signs;
//! - the cap counts the signatures the audit log holds for this DS key (its subjectKeyIdentifier),
//!   so it survives restarts; concurrent signatures reserve their place first, so the cap is
//!   never exceeded;
//! - each signature is written to the [`AuditLog`] ([`crate::audit`]) before it is handed out;
//!   a signature that cannot be audited is not handed out.
//!
//! The documents are counted by their EF.SOD signatures (the signed attributes' contentType
//! id-ldsSecurityObject); a document's other signed objects (EF.CardSecurity) are audited too,
//! under the same period and cap checks.
//!
//! A signature is asked for one document at a time: [`GuardedSigner::for_document`] gives a
//! [`DocumentSignature`] that the `cms` builder uses as its signer, and that keeps the reason of
//! a refusal for the caller ([`DocumentSignature::refusal`]), since the builder's own error only
//! says "signature error".

use std::{
    sync::Mutex,
    time::{SystemTime, UNIX_EPOCH},
};

use der::{
    Decode,
    asn1::{ObjectIdentifier, SetOfVec},
    oid::AssociatedOid,
};
use sha2::{Digest, Sha256};
use signature::{Keypair, Signer};
use spki::{EncodePublicKey, SignatureAlgorithmIdentifier, SignatureBitStringEncoding};
use x509_cert::{Certificate, attr::Attribute, ext::pkix::SubjectKeyIdentifier};

use crate::{
    DocumentSigner, PkiError,
    audit::{AuditError, AuditKey, AuditLog, AuditRecord, LDS_SECURITY_OBJECT, utc_time},
};
use permitkit_lds::sod::{ScopeError, SignerScope};

/// What a Document Signer may sign beyond its certificate's own limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigningPolicy {
    /// How many documents the key may sign in all.
    pub max_documents: u64,
}

/// Why a signature was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SigningRefused {
    /// Now is outside the DS certificate's privateKeyUsagePeriod.
    #[error("the Document Signer may not sign now")]
    OutsideKeyUsagePeriod(#[source] ScopeError),
    /// The key has signed as many documents as it may.
    #[error(
        "the Document Signer key {ds_key_id} has signed {signed} documents, its cap is {max}: \
         issue a new Document Signer"
    )]
    DocumentCap {
        /// The key's identifier, hex.
        ds_key_id: String,
        /// Documents signed (and being signed).
        signed: u64,
        /// The cap.
        max: u64,
    },
    /// The audit could not be written: no signature is handed out.
    #[error("the signature could not be audited, so it was not used")]
    Audit(#[source] AuditError),
    /// The key did not sign; the source is the signer's (the token's, the file key's) error.
    #[error("the Document Signer key did not sign")]
    Signer(#[source] signature::Error),
    /// The signature made does not encode as a BIT STRING.
    #[error("the Document Signer's signature does not encode")]
    SignatureEncoding(#[source] der::Error),
    /// A [`DocumentSignature`] signs one EF.SOD.
    #[error("this document's EF.SOD was already signed")]
    AlreadySigned,
    /// A [`DocumentSignature`] signs at most [`MAX_SIGNATURES_PER_DOCUMENT`] objects.
    #[error("a document asked for more than {MAX_SIGNATURES_PER_DOCUMENT} signatures")]
    TooManySignatures,
    /// The audit log is held by a thread that panicked.
    #[error("the audit log is unusable after a failure in another thread")]
    Poisoned,
}

struct Ledger {
    log: Box<dyn AuditLog>,
    /// Signatures reserved and not yet written to the log.
    in_flight: u64,
}

/// A Document Signer with its signing policy and audit.
pub struct GuardedSigner<S> {
    signer: DocumentSigner<S>,
    scope: SignerScope,
    ds_key_id: String,
    policy: SigningPolicy,
    station: String,
    audit_key: AuditKey,
    ledger: Mutex<Ledger>,
}

impl<S> std::fmt::Debug for GuardedSigner<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardedSigner")
            .field("ds_key_id", &self.ds_key_id)
            .field("policy", &self.policy)
            .field("station", &self.station)
            .finish_non_exhaustive()
    }
}

impl<S> GuardedSigner<S>
where
    S: Keypair,
    S::VerifyingKey: EncodePublicKey,
{
    /// Puts `signer` behind `policy`, auditing to `log` with document numbers keyed by
    /// `audit_key`, for the station `station`.
    pub fn new(
        signer: DocumentSigner<S>,
        policy: SigningPolicy,
        station: &str,
        audit_key: AuditKey,
        log: Box<dyn AuditLog>,
    ) -> Result<Self, PkiError> {
        let scope = SignerScope::from_certificate(signer.certificate_der())
            .map_err(|e| PkiError::decode("Document Signer certificate", e))?;
        let ds_key_id = hex::encode(key_identifier(signer.certificate_der())?);
        Ok(Self {
            signer,
            scope,
            ds_key_id,
            policy,
            station: station.to_owned(),
            audit_key,
            ledger: Mutex::new(Ledger { log, in_flight: 0 }),
        })
    }

    /// The DS certificate, DER.
    pub fn certificate_der(&self) -> &[u8] {
        self.signer.certificate_der()
    }

    /// The Document Signer.
    pub fn document_signer(&self) -> &DocumentSigner<S> {
        &self.signer
    }

    /// The DS key identifier the audit names, hex.
    pub fn ds_key_id(&self) -> &str {
        &self.ds_key_id
    }

    /// The policy.
    pub fn policy(&self) -> SigningPolicy {
        self.policy
    }

    /// Documents this key has signed, per the audit log.
    pub fn signed(&self) -> Result<u64, SigningRefused> {
        let ledger = self.ledger.lock().map_err(|_| SigningRefused::Poisoned)?;
        Ok(ledger.log.documents_signed_by(&self.ds_key_id))
    }

    /// Whether the key may sign at `at`: within its usage period and under its cap. Signing
    /// checks again; this is for saying so before work is done.
    pub fn check(&self, at: SystemTime) -> Result<(), SigningRefused> {
        self.scope
            .check_time(unix(at))
            .map_err(SigningRefused::OutsideKeyUsagePeriod)?;
        let ledger = self.ledger.lock().map_err(|_| SigningRefused::Poisoned)?;
        self.under_cap(&ledger)
    }

    /// A signer for the document `document_number` (kept only as its HMAC).
    pub fn for_document(&self, document_number: &str) -> DocumentSignature<'_, S> {
        DocumentSignature {
            guard: self,
            document_hmac: self.audit_key.document_hmac(document_number),
            state: Mutex::new(TicketState::default()),
        }
    }

    fn under_cap(&self, ledger: &Ledger) -> Result<(), SigningRefused> {
        let signed = ledger
            .log
            .documents_signed_by(&self.ds_key_id)
            .saturating_add(ledger.in_flight);
        if signed >= self.policy.max_documents {
            return Err(SigningRefused::DocumentCap {
                ds_key_id: self.ds_key_id.clone(),
                signed,
                max: self.policy.max_documents,
            });
        }
        Ok(())
    }

    /// Checks a signature and, for an EF.SOD (`document`), reserves its place under the cap;
    /// `release` must follow.
    fn reserve(&self, now: SystemTime, document: bool) -> Result<(), SigningRefused> {
        self.scope
            .check_time(unix(now))
            .map_err(SigningRefused::OutsideKeyUsagePeriod)?;
        let mut ledger = self.ledger.lock().map_err(|_| SigningRefused::Poisoned)?;
        self.under_cap(&ledger)?;
        if document {
            ledger.in_flight += 1;
        }
        Ok(())
    }

    /// Writes the audit record of a signature (or, when `signature` is `None`, only releases
    /// the reservation of a signature that was not made).
    fn release(
        &self,
        document_hmac: &str,
        now: SystemTime,
        content_type: &str,
        signature: Option<&[u8]>,
    ) -> Result<(), SigningRefused> {
        let mut ledger = self.ledger.lock().map_err(|_| SigningRefused::Poisoned)?;
        if content_type == LDS_SECURITY_OBJECT {
            ledger.in_flight = ledger.in_flight.saturating_sub(1);
        }
        let Some(signature) = signature else {
            return Ok(());
        };
        let record = AuditRecord {
            seq: ledger.log.len() + 1,
            time: utc_time(now),
            document_hmac: document_hmac.to_owned(),
            ds_key_id: self.ds_key_id.clone(),
            station: self.station.clone(),
            content_type: content_type.to_owned(),
            signature_sha256: hex::encode(Sha256::digest(signature)),
            prev_sha256: ledger.log.head(),
        };
        ledger.log.append(&record).map_err(SigningRefused::Audit)
    }
}

/// The most signatures one document may ask for: EF.SOD and EF.CardSecurity, with room for
/// one more signed object of the LDS.
pub const MAX_SIGNATURES_PER_DOCUMENT: u32 = 3;

#[derive(Default)]
struct TicketState {
    /// EF.SOD was signed.
    sod_signed: bool,
    /// Signatures made.
    signatures: u32,
    /// Why the last signature was refused.
    refusal: Option<SigningRefused>,
}

/// The signer of one document: signs once, under the policy, and is audited.
pub struct DocumentSignature<'a, S> {
    guard: &'a GuardedSigner<S>,
    document_hmac: String,
    state: Mutex<TicketState>,
}

impl<S> std::fmt::Debug for DocumentSignature<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocumentSignature")
            .field("guard", self.guard)
            .finish_non_exhaustive()
    }
}

impl<S> DocumentSignature<'_, S> {
    /// Why a signature was refused, once (after the builder that used this signer failed).
    pub fn refusal(&self) -> Option<SigningRefused> {
        self.state.lock().ok()?.refusal.take()
    }

    /// True once the document's EF.SOD was signed (and audited).
    pub fn is_signed(&self) -> bool {
        self.state.lock().is_ok_and(|s| s.sod_signed)
    }
}

impl<S> Keypair for DocumentSignature<'_, S>
where
    S: Keypair,
    S::VerifyingKey: EncodePublicKey,
{
    type VerifyingKey = S::VerifyingKey;

    fn verifying_key(&self) -> S::VerifyingKey {
        self.guard.signer.signer().verifying_key()
    }
}

impl<S: SignatureAlgorithmIdentifier> SignatureAlgorithmIdentifier for DocumentSignature<'_, S> {
    type Params = S::Params;
    const SIGNATURE_ALGORITHM_IDENTIFIER: spki::AlgorithmIdentifier<S::Params> =
        S::SIGNATURE_ALGORITHM_IDENTIFIER;
}

impl<S, Sig> Signer<Sig> for DocumentSignature<'_, S>
where
    S: Signer<Sig> + Keypair,
    S::VerifyingKey: EncodePublicKey,
    Sig: SignatureBitStringEncoding,
{
    fn try_sign(&self, msg: &[u8]) -> Result<Sig, signature::Error> {
        let mut state = self.state.lock().map_err(|_| signature::Error::new())?;
        let content_type = content_type(msg);
        let document = content_type == LDS_SECURITY_OBJECT;
        let refused = if document && state.sod_signed {
            Some(SigningRefused::AlreadySigned)
        } else if state.signatures >= MAX_SIGNATURES_PER_DOCUMENT {
            Some(SigningRefused::TooManySignatures)
        } else {
            None
        };
        if let Some(r) = refused {
            state.refusal = Some(r);
            return Err(signature::Error::new());
        }
        match self.sign_one(msg, &content_type, document) {
            Ok(sig) => {
                state.signatures += 1;
                state.sod_signed |= document;
                Ok(sig)
            }
            Err(refused) => {
                state.refusal = Some(refused);
                Err(signature::Error::new())
            }
        }
    }
}

impl<S> DocumentSignature<'_, S>
where
    S: Keypair,
    S::VerifyingKey: EncodePublicKey,
{
    fn sign_one<Sig>(
        &self,
        msg: &[u8],
        content_type: &str,
        document: bool,
    ) -> Result<Sig, SigningRefused>
    where
        S: Signer<Sig>,
        Sig: SignatureBitStringEncoding,
    {
        let now = SystemTime::now();
        self.guard.reserve(now, document)?;
        let release = |signature: Option<&[u8]>| {
            self.guard
                .release(&self.document_hmac, now, content_type, signature)
        };
        let sig = match self.guard.signer.signer().try_sign(msg) {
            Ok(sig) => sig,
            Err(e) => {
                release(None)?;
                return Err(SigningRefused::Signer(e));
            }
        };
        let bits = match sig.to_bitstring() {
            Ok(bits) => bits,
            Err(e) => {
                release(None)?;
                return Err(SigningRefused::SignatureEncoding(e));
            }
        };
        release(Some(bits.raw_bytes()))?;
        Ok(sig)
    }
}

/// The contentType attribute (1.2.840.113549.1.9.3, RFC 5652 §11.1) of DER signed attributes
/// (`SET OF Attribute`, what a CMS signer signs), dotted; empty when there is none.
pub fn content_type(signed_attributes: &[u8]) -> String {
    let Ok(attributes) = SetOfVec::<Attribute>::from_der(signed_attributes) else {
        return String::new();
    };
    attributes
        .iter()
        .find(|a| a.oid == ID_CONTENT_TYPE)
        .and_then(|a| a.values.iter().next())
        .and_then(|v| v.decode_as::<ObjectIdentifier>().ok())
        .map(|oid| oid.to_string())
        .unwrap_or_default()
}

/// `id-contentType` 1.2.840.113549.1.9.3.
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");

/// The subjectKeyIdentifier of a certificate, or (without one) the SHA-1 of its
/// subjectPublicKey bits (RFC 5280 §4.2.1.2, method 1).
pub fn key_identifier(certificate_der: &[u8]) -> Result<Vec<u8>, PkiError> {
    let cert = Certificate::from_der(certificate_der)
        .map_err(|e| PkiError::decode("Document Signer certificate", e))?;
    let tbs = cert.tbs_certificate();
    for ext in tbs.extensions().into_iter().flatten() {
        if ext.extn_id == SubjectKeyIdentifier::OID {
            let ski = SubjectKeyIdentifier::from_der(ext.extn_value.as_bytes())
                .map_err(|e| PkiError::decode("subjectKeyIdentifier", e))?;
            return Ok(ski.0.as_bytes().to_vec());
        }
    }
    let bits = tbs.subject_public_key_info().subject_public_key.raw_bytes();
    Ok(sha1::Sha1::digest(bits).to_vec())
}

fn unix(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        audit::FileAuditLog,
        ds_key::{DsKey, EcdsaSignature},
        test_pki::{TestPki, TestPkiOptions},
    };
    use permitkit_model::secret::SecretBytes;

    fn guarded(pki: &TestPki, max: u64, log: &std::path::Path) -> GuardedSigner<DsKey> {
        let ds = DocumentSigner::new(pki.ds_der.clone(), DsKey::from(pki.ds_key.clone())).unwrap();
        GuardedSigner::new(
            ds,
            SigningPolicy { max_documents: max },
            "SIM-STATION-01",
            AuditKey::new(SecretBytes::from_slice(&[7; 32])),
            Box::new(FileAuditLog::open(log).unwrap()),
        )
        .unwrap()
    }

    /// DER signed attributes naming `content_type`, as a CMS signer signs them.
    fn signed_attributes(content_type: &str) -> Vec<u8> {
        use der::{Any, Encode};
        let oid = ObjectIdentifier::new(content_type).unwrap();
        let mut values = SetOfVec::new();
        values.insert(Any::encode_from(&oid).unwrap()).unwrap();
        let mut set = SetOfVec::new();
        set.insert(Attribute {
            oid: ID_CONTENT_TYPE,
            values,
        })
        .unwrap();
        set.to_der().unwrap()
    }

    const CARD_SECURITY: &str = "0.4.0.127.0.7.3.2.1";

    #[test]
    fn each_signature_is_audited_and_the_cap_holds_across_restarts() {
        let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("audit.jsonl");
        let sod = signed_attributes(LDS_SECURITY_OBJECT);
        let card_security = signed_attributes(CARD_SECURITY);
        assert_eq!(content_type(&sod), LDS_SECURITY_OBJECT);
        assert_eq!(content_type(b"not attributes"), "");
        let g = guarded(&pki, 2, &log);
        let ticket = g.for_document("FT4211207");
        let cs: EcdsaSignature = ticket.try_sign(&card_security).unwrap();
        assert!(!ticket.is_signed());
        let sig: EcdsaSignature = ticket.try_sign(&sod).unwrap();
        assert!(ticket.is_signed());
        // One document, one EF.SOD.
        assert!(Signer::<EcdsaSignature>::try_sign(&ticket, &sod).is_err());
        assert!(matches!(
            ticket.refusal(),
            Some(SigningRefused::AlreadySigned)
        ));
        let _: EcdsaSignature = g.for_document("FT4211208").try_sign(&sod).unwrap();
        let third = g.for_document("FT4211209");
        assert!(Signer::<EcdsaSignature>::try_sign(&third, &sod).is_err());
        assert!(matches!(
            third.refusal(),
            Some(SigningRefused::DocumentCap {
                signed: 2,
                max: 2,
                ..
            })
        ));
        // Past the cap, nothing of a document is signed.
        assert!(Signer::<EcdsaSignature>::try_sign(&third, &card_security).is_err());
        drop(g);
        // A restarted signer counts the documents the log holds.
        let again = guarded(&pki, 3, &log);
        assert_eq!(again.signed().unwrap(), 2);
        let _: EcdsaSignature = again.for_document("FT4211209").try_sign(&sod).unwrap();
        assert!(matches!(
            again.check(SystemTime::now()),
            Err(SigningRefused::DocumentCap { .. })
        ));
        let records = FileAuditLog::read(&log).unwrap();
        let kinds: Vec<&str> = records.iter().map(|r| r.content_type.as_str()).collect();
        assert_eq!(
            kinds,
            [
                CARD_SECURITY,
                LDS_SECURITY_OBJECT,
                LDS_SECURITY_OBJECT,
                LDS_SECURITY_OBJECT
            ]
        );
        let (first, second) = (&records[0], &records[1]);
        assert_eq!(second.station, "SIM-STATION-01");
        assert_eq!(
            second.ds_key_id,
            hex::encode(key_identifier(&pki.ds_der).unwrap())
        );
        assert_eq!(
            first.signature_sha256,
            hex::encode(Sha256::digest(cs.as_der()))
        );
        assert_eq!(
            second.signature_sha256,
            hex::encode(Sha256::digest(sig.as_der()))
        );
        let key = AuditKey::new(SecretBytes::from_slice(&[7; 32]));
        assert_eq!(second.document_hmac, key.document_hmac("FT4211207"));
        assert_eq!(first.document_hmac, second.document_hmac);
        // No document number in clear.
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(!text.contains("FT42112"));
    }

    #[test]
    fn the_key_identifier_is_the_certificates() {
        let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
        let (_, cert) = x509_parser::parse_x509_certificate(&pki.ds_der).unwrap();
        let ski = cert
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(k) => {
                    Some(k.0.to_vec())
                }
                _ => None,
            })
            .unwrap();
        assert_eq!(key_identifier(&pki.ds_der).unwrap(), ski);
    }

    #[test]
    fn a_key_past_its_usage_period_signs_nothing_and_writes_no_record() {
        let year_ago = SystemTime::now() - std::time::Duration::from_secs(365 * 24 * 3600);
        let pki = TestPki::generate(&TestPkiOptions {
            not_before: year_ago,
            ..TestPkiOptions::default()
        })
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("audit.jsonl");
        let g = guarded(&pki, 10, &log);
        let ticket = g.for_document("FT4211207");
        let sod = signed_attributes(LDS_SECURITY_OBJECT);
        assert!(Signer::<EcdsaSignature>::try_sign(&ticket, &sod).is_err());
        let refusal = ticket.refusal().unwrap();
        assert!(
            matches!(
                refusal,
                SigningRefused::OutsideKeyUsagePeriod(ScopeError::OutsideKeyUsagePeriod { .. })
            ),
            "{refusal}"
        );
        assert!(FileAuditLog::read(&log).unwrap().is_empty());
    }
}
