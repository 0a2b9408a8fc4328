//! The trust store of passive authentication (ICAO Doc 9303-12 §6.1; Appendix D.1; docs/spec/lds.md §10.1): the CSCA
//! keys a receiving State trusts, the CRLs that say what they revoked, and the master lists and
//! deviation lists they came with.
//!
//! - Anchors are indexed by key identifier and by subject name (`HashMap`s): finding the
//!   anchor a Document Signer's authorityKeyIdentifier names costs the same with 10 CSCAs or
//!   500 (`benches/trust.rs`). Several anchors may hold one key (a root and the link
//!   certificate that introduced it); each is tried.
//! - CRLs are kept per country (a CSCA issues one CRL covering everything issued under its
//!   countryName, 9303-12 §7.1.4 Table 10 Note 1; Appendix D.1.2.3 b), the newest one, its
//!   signature verified against an anchor of the same CSCA when the store was loaded.
//! - [`TrustStoreBuilder`] reads folders and files ([`load`]).

mod anchor;
pub mod load;

use std::collections::HashMap;

use x509_parser::{certificate::X509Certificate, extensions::ParsedExtension};

pub use anchor::{Anchor, AnchorKind};
pub use load::{TrustError, TrustStoreBuilder};

use crate::{
    crl::Crl,
    deviation_list::{Deviation, DeviationList},
    master_list::MasterList,
    signed_data::{SignedListError, VerifiedSigner},
};

/// A CRL the store holds, verified.
#[derive(Debug, Clone)]
pub struct StoredCrl {
    /// The CRL.
    pub crl: Crl,
    /// The file it came from.
    pub source: String,
    /// The anchor whose key verified its signature.
    pub signed_by: String,
}

/// One item loaded, for a person: what, from where, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Source {
    /// The file (and, for a certificate out of a master list, the list).
    pub file: String,
    /// `csca`, `link`, `list-signer`, `master-list`, `crl`, `deviation-list`, `ignored`.
    pub kind: &'static str,
    /// What it holds.
    pub detail: String,
}

/// A verified deviation list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredDeviationList {
    /// The file.
    pub source: String,
    /// Its signer.
    pub signer: String,
    /// The deviations it lists.
    pub deviations: Vec<Deviation>,
}

/// What the store says about a certificate's issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssuerLookup<'a> {
    /// The anchors that may have issued it: those whose key identifier is its
    /// authorityKeyIdentifier (or, without one, whose subject is its issuer).
    Candidates(Vec<&'a Anchor>),
    /// No anchor holds the key its authorityKeyIdentifier names; `same_name` anchors have its
    /// issuer's name (other keys of that CSCA).
    UnknownKey {
        /// The authorityKeyIdentifier, hex.
        key_id: String,
        /// How many anchors have the issuer's name.
        same_name: usize,
    },
    /// No anchor has its issuer's name (and it names no key).
    UnknownName,
}

/// Trusted CSCA keys, CRLs and the lists they came from.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    anchors: Vec<Anchor>,
    by_key_id: HashMap<Vec<u8>, Vec<usize>>,
    by_subject: HashMap<Vec<u8>, Vec<usize>>,
    /// SHA-256 of each anchor's DER: the same certificate from two sources is one anchor.
    by_digest: HashMap<Vec<u8>, usize>,
    list_signers: Vec<Vec<u8>>,
    crls: HashMap<String, StoredCrl>,
    deviation_lists: Vec<StoredDeviationList>,
    sources: Vec<Source>,
}

impl TrustStore {
    /// A store of the certificates given (DER), each trusted as it is — the `--csca` option.
    /// Certificates that do not decode are left out.
    pub fn from_certificates(certificates: &[Vec<u8>]) -> Self {
        Self::from_named_certificates(
            certificates
                .iter()
                .map(|der| (der.as_slice(), "a CSCA certificate given")),
        )
    }

    /// [`TrustStore::from_certificates`], each certificate with the name of where it came from
    /// (its file), which the report shows for the anchor used.
    pub fn from_named_certificates<'a>(
        certificates: impl IntoIterator<Item = (&'a [u8], &'a str)>,
    ) -> Self {
        let mut store = Self::default();
        for (der, source) in certificates {
            if let Some(anchor) = Anchor::from_der(der, source) {
                store.add_anchor(anchor);
            }
        }
        store
    }

    /// The anchors.
    pub fn anchors(&self) -> &[Anchor] {
        &self.anchors
    }

    /// The CRLs held, one per country.
    pub fn crls(&self) -> impl Iterator<Item = &StoredCrl> {
        self.crls.values()
    }

    /// The verified deviation lists.
    pub fn deviation_lists(&self) -> &[StoredDeviationList] {
        &self.deviation_lists
    }

    /// What was loaded, in order.
    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// The CRL of the CSCA of `country`.
    pub fn crl_for(&self, country: &str) -> Option<&StoredCrl> {
        self.crls.get(country)
    }

    /// The anchors that may have issued `cert` (9303-12 Appendix D.1.1.1): by its
    /// authorityKeyIdentifier, preferring those with its issuer's name; without one, by name.
    pub fn issuer_of(&self, cert: &X509Certificate<'_>) -> IssuerLookup<'_> {
        let issuer = cert.issuer().as_raw();
        let by_name = self.by_subject.get(issuer).map_or(&[][..], Vec::as_slice);
        let aki = cert
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::AuthorityKeyIdentifier(a) => {
                    a.key_identifier.as_ref().map(|k| k.0.to_vec())
                }
                _ => None,
            });
        let Some(aki) = aki else {
            return if by_name.is_empty() {
                IssuerLookup::UnknownName
            } else {
                IssuerLookup::Candidates(self.resolve(by_name))
            };
        };
        let by_key = self.by_key_id.get(&aki).map_or(&[][..], Vec::as_slice);
        if by_key.is_empty() {
            return IssuerLookup::UnknownKey {
                key_id: hex::encode(&aki),
                same_name: by_name.len(),
            };
        }
        let mut found = self.resolve(by_key);
        // Those with the issuer's name first: a key re-certified under a new name is tried last.
        found.sort_by_key(|a| a.subject.as_slice() != issuer);
        IssuerLookup::Candidates(found)
    }

    /// Verifies a master list's signature against the store: by a list signer given as trusted,
    /// or by one a CSCA of the store issued.
    pub fn verify_master_list(
        &self,
        list: &MasterList,
        now: i64,
    ) -> Result<VerifiedSigner, SignedListError> {
        list.verify(&self.list_signers, &|c| self.issuer_candidates(c), now)
    }

    /// Verifies a deviation list's signature against the store.
    pub fn verify_deviation_list(
        &self,
        list: &DeviationList,
        now: i64,
    ) -> Result<VerifiedSigner, SignedListError> {
        list.verify(&self.list_signers, &|c| self.issuer_candidates(c), now)
    }

    /// The anchors with the key identifier `key_id`.
    pub fn with_key_id(&self, key_id: &[u8]) -> Vec<&Anchor> {
        self.resolve(self.by_key_id.get(key_id).map_or(&[][..], Vec::as_slice))
    }

    /// Candidates for the issuer of `cert`, DER with a description, for list verification.
    pub(crate) fn issuer_candidates(&self, cert: &X509Certificate<'_>) -> Vec<(Vec<u8>, String)> {
        match self.issuer_of(cert) {
            IssuerLookup::Candidates(found) => found
                .into_iter()
                .map(|a| (a.der.clone(), a.describe()))
                .collect(),
            _ => Vec::new(),
        }
    }

    fn resolve(&self, indices: &[usize]) -> Vec<&Anchor> {
        indices
            .iter()
            .filter_map(|i| self.anchors.get(*i))
            .collect()
    }

    /// Adds an anchor, once: the same certificate from two sources is one anchor.
    pub(crate) fn add_anchor(&mut self, anchor: Anchor) -> bool {
        let digest = permitkit_lds::sod::HashAlgorithm::Sha256.digest(&anchor.der);
        if self.by_digest.contains_key(&digest) {
            return false;
        }
        let i = self.anchors.len();
        self.by_digest.insert(digest, i);
        self.by_key_id
            .entry(anchor.key_id.clone())
            .or_default()
            .push(i);
        if let Some(k) = &anchor.computed_key_id {
            self.by_key_id.entry(k.clone()).or_default().push(i);
        }
        self.by_subject
            .entry(anchor.subject.clone())
            .or_default()
            .push(i);
        self.anchors.push(anchor);
        true
    }
}
