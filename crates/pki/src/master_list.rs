//! CSCA master lists (ICAO Doc 9303-12 §5.3, §9; docs/spec/lds.md §10.1): a CMS SignedData (DER, version 3) whose
//! eContentType is `id-icao-cscaMasterList` 2.23.136.1.1.2 and whose eContent is
//!
//! ```asn1
//! CscaMasterList ::= SEQUENCE { version CscaMasterListVersion (v0), certList SET OF Certificate }
//! ```
//!
//! signed by a Master List Signer (extKeyUsage 2.23.136.1.1.3) whose certificate, and the
//! certificate of the CSCA that issued it, travel in `certificates` (Table 18); one SignerInfo
//! identified by subjectKeyIdentifier (recommended), SHA-256, the signed attributes
//! contentType, messageDigest and signingTime (mandatory), no `crls`.
//!
//! [`sign`] writes one through any signer the `cms` builder accepts; [`MasterList::parse`] reads
//! one (the reader of [`crate::signed_data`]) and [`MasterList::verify`] checks it.

use std::time::SystemTime;

use der::Decode;
use signature::{Keypair, Signer};
use spki::{DynSignatureAlgorithmIdentifier, EncodePublicKey, SignatureBitStringEncoding};
use x509_cert::Certificate;
use x509_parser::{certificate::X509Certificate, prelude::FromDer};

use permitkit_iso7816::tlv::{Reader, Tag, Writer};

use crate::{
    PkiError,
    profile::{self, ID_ICAO_CSCA_MASTER_LIST, ID_ICAO_CSCA_MASTER_LIST_SIGNING_KEY},
    signed_data::{IssuerCandidates, SignedData, SignedListError, VerifiedSigner, sign::sign_list},
};

/// A master list taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterList {
    /// The SignedData around it.
    pub signed: SignedData,
    /// The certList: CSCA certificates (roots and links), DER, as listed.
    pub certificates: Vec<Vec<u8>>,
}

impl MasterList {
    /// Parses a master list (`ContentInfo`, DER).
    pub fn parse(der: &[u8]) -> Result<Self, SignedListError> {
        let signed = SignedData::parse(der)?;
        if signed.econtent_type != ID_ICAO_CSCA_MASTER_LIST {
            return Err(SignedListError::Check {
                check: "econtent-type",
                reason: format!(
                    "{} is not id-icao-cscaMasterList ({ID_ICAO_CSCA_MASTER_LIST})",
                    signed.econtent_type
                ),
            });
        }
        let certificates = cert_list(&signed.econtent)?;
        Ok(Self {
            signed,
            certificates,
        })
    }

    /// Verifies the list's signature (see [`SignedData::verify`]): by a trusted Master List
    /// Signer, or by one a CSCA from `issuers` issued.
    pub fn verify(
        &self,
        trusted_signers: &[Vec<u8>],
        issuers: IssuerCandidates<'_>,
        now: i64,
    ) -> Result<VerifiedSigner, SignedListError> {
        self.signed.verify(
            ID_ICAO_CSCA_MASTER_LIST,
            ID_ICAO_CSCA_MASTER_LIST_SIGNING_KEY,
            trusted_signers,
            issuers,
            now,
        )
    }
}

/// `CscaMasterList`: version 0 and the certificates of its certList.
fn cert_list(econtent: &[u8]) -> Result<Vec<Vec<u8>>, SignedListError> {
    let structure = |reason: String| SignedListError::Structure { reason };
    let mut r = Reader::new(econtent);
    let list = r.expect(Tag::new(0x30))?;
    let mut l = list.children()?;
    let version = l.expect(Tag::new(0x02))?;
    if version.value() != [0] {
        return Err(structure(format!(
            "CscaMasterList version {:02X?} is not v0",
            version.value()
        )));
    }
    let mut certs = Vec::new();
    let mut c = l.expect(Tag::new(0x31))?.children()?;
    while !c.is_empty() {
        let cert = c.read()?;
        if cert.tag() != Tag::new(0x30) {
            return Err(structure(format!(
                "certList entry at byte {} is not a Certificate",
                cert.offset()
            )));
        }
        certs.push(cert.raw().to_vec());
    }
    Ok(certs)
}

/// Signs a master list of `cscas` (CSCA certificates, DER) with the Master List Signer `signer`,
/// the key of `signer_cert`; `issuer` is the CSCA certificate that issued `signer_cert`,
/// embedded so that a reader can verify it (Table 18).
pub fn sign<S, Sig>(
    signer_cert: &[u8],
    signer: &S,
    issuer: Option<&[u8]>,
    cscas: &[Vec<u8>],
    signing_time: SystemTime,
) -> Result<Vec<u8>, PkiError>
where
    S: Keypair + DynSignatureAlgorithmIdentifier + Signer<Sig>,
    S::VerifyingKey: EncodePublicKey,
    Sig: SignatureBitStringEncoding,
{
    let fail = |reason: String| PkiError::Build {
        what: "master list",
        reason,
    };
    let (_, parsed) = X509Certificate::from_der(signer_cert)
        .map_err(|e| PkiError::decode("Master List Signer certificate", e))?;
    let purpose = ID_ICAO_CSCA_MASTER_LIST_SIGNING_KEY.to_string();
    let has_purpose = parsed
        .extended_key_usage()
        .ok()
        .flatten()
        .is_some_and(|e| e.value.other.iter().any(|o| o.to_id_string() == purpose));
    if !has_purpose || parsed.is_ca() {
        return Err(fail(format!(
            "{} is not a Master List Signer (extKeyUsage {purpose}, not a CA): a CSCA must not sign \
             master lists itself (9303-12 §5.3)",
            parsed.subject()
        )));
    }
    let cert = Certificate::from_der(signer_cert)
        .map_err(|e| PkiError::decode("Master List Signer certificate", e))?;
    if profile::spki_of(&signer.verifying_key())?
        != *cert.tbs_certificate().subject_public_key_info()
    {
        return Err(PkiError::KeyMismatch("Master List Signer".into()));
    }
    if cscas.is_empty() {
        return Err(fail("name at least one CSCA certificate".into()));
    }
    for der in cscas {
        let (_, c) = X509Certificate::from_der(der)
            .map_err(|e| PkiError::decode("a listed CSCA certificate", e))?;
        if !c.is_ca() {
            return Err(fail(format!(
                "{} is not a CSCA certificate (no cA): a master list lists CSCAs",
                c.subject()
            )));
        }
    }
    let content = encode_cert_list(cscas).map_err(|e| PkiError::encode("master list", e))?;
    sign_list::<S, Sig>(
        ID_ICAO_CSCA_MASTER_LIST,
        &content,
        signer_cert,
        signer,
        issuer,
        signing_time,
    )
}

/// `CscaMasterList` DER: the certificates in a SET OF, sorted as DER wants (X.690 §11.6),
/// duplicates listed once.
fn encode_cert_list(cscas: &[Vec<u8>]) -> Result<Vec<u8>, permitkit_iso7816::tlv::TlvError> {
    let mut sorted: Vec<&Vec<u8>> = cscas.iter().collect();
    sorted.sort_by(|a, b| der_set_order(a, b));
    sorted.dedup();
    let mut w = Writer::new();
    w.constructed(Tag::new(0x30), |w| {
        w.primitive(Tag::new(0x02), &[0]);
        w.constructed(Tag::new(0x31), |w| {
            for c in &sorted {
                w.raw(c);
            }
        });
    });
    w.finish()
}

/// X.690 §11.6: the encodings compared as octet strings, the shorter padded with zeros.
fn der_set_order(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let len = a.len().max(b.len());
    let pad = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    (0..len)
        .map(|i| pad(a, i).cmp(&pad(b, i)))
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}
