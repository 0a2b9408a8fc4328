//! Loading a trust store from files (ICAO Doc 9303-12 §5, §6.1.1): a folder (read
//! recursively, in name order, hidden files skipped) or single files holding CSCA certificates
//! (PEM or DER), CMS master lists, CRLs and deviation lists; PEM files may hold several blocks.
//!
//! Trust is never taken from a list on its own word:
//! 1. certificates given directly are trusted: CA certificates as anchors (roots and link
//!    certificates), Master and Deviation List Signer certificates as list signers;
//! 2. a master list is accepted when its signature verifies ([`crate::signed_data`]) by a
//!    trusted list signer or by a signer a CSCA of the store issued — a CSCA given directly or
//!    out of a master list accepted before; its CSCA certificates then become anchors. A list
//!    whose signature fails is refused, naming the check; one whose signer no CSCA of the store
//!    issued is refused too (`signer-chain`);
//! 3. a CRL's signature is verified with the anchor its authorityKeyIdentifier names (any key
//!    of the same CSCA, Appendix D.3 b); a bad signature is refused; a CRL no anchor can verify
//!    is listed, and not used; per country the newest verified CRL is kept;
//! 4. deviation lists are verified like master lists and listed.
//!
//! Bounds: every file at most [`crate::files::MAX_FILE_SIZE`] bytes, at most
//! [`MAX_FILES`] files, folders at most [`MAX_DEPTH`] deep.

use std::path::{Path, PathBuf};

use x509_parser::{
    certificate::X509Certificate, prelude::FromDer, revocation_list::CertificateRevocationList,
};

use super::{Anchor, Source, StoredCrl, StoredDeviationList, TrustStore};
use crate::{
    crl::Crl,
    deviation_list::DeviationList,
    master_list::MasterList,
    profile::{
        ID_ICAO_CSCA_MASTER_LIST, ID_ICAO_CSCA_MASTER_LIST_SIGNING_KEY, ID_ICAO_DEVIATION_LIST,
        ID_ICAO_DEVIATION_LIST_SIGNING_KEY,
    },
    signed_data::{SignedData, SignedListError},
};

/// The most files a trust store is read from.
pub const MAX_FILES: usize = 100_000;
/// The deepest folder read.
pub const MAX_DEPTH: usize = 8;

/// File name extensions read from a folder (a file named directly is read whatever its name).
const EXTENSIONS: &[&str] = &[
    "pem", "crt", "cer", "der", "crl", "ml", "dvl", "cms", "p7b", "p7c", "p7m",
];

/// Why a trust store could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// A file or folder could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file holds nothing a trust store takes.
    #[error("{file}: {reason}")]
    Unreadable {
        /// The file.
        file: String,
        /// Why.
        reason: String,
    },
    /// A master list was refused.
    #[error("master list {file}: {source}")]
    MasterList {
        /// The file.
        file: String,
        /// The check that failed.
        #[source]
        source: SignedListError,
    },
    /// A deviation list was refused.
    #[error("deviation list {file}: {source}")]
    DeviationList {
        /// The file.
        file: String,
        /// The check that failed.
        #[source]
        source: SignedListError,
    },
    /// A CRL was refused.
    #[error("CRL {file}: {check}: {reason}")]
    Crl {
        /// The file.
        file: String,
        /// `crl-structure` or `crl-signature`.
        check: &'static str,
        /// Why.
        reason: String,
    },
    /// Too many files.
    #[error("{path}: more than {MAX_FILES} files")]
    TooManyFiles {
        /// The path given.
        path: String,
    },
    /// Nothing to trust.
    #[error("{path}: no CSCA certificate (directly or in a master list)")]
    NoAnchor {
        /// The paths given.
        path: String,
    },
}

/// Collects trust material, then verifies it into a [`TrustStore`].
#[derive(Debug, Default)]
pub struct TrustStoreBuilder {
    certificates: Vec<(Vec<u8>, String)>,
    master_lists: Vec<(MasterList, String)>,
    deviation_lists: Vec<(DeviationList, String)>,
    crls: Vec<(Crl, String)>,
    files: usize,
    paths: Vec<String>,
}

impl TrustStoreBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads `path`: a file, or a folder of files.
    pub fn add_path(&mut self, path: &Path) -> Result<&mut Self, TrustError> {
        self.paths.push(path.display().to_string());
        let io = |source| TrustError::Io {
            path: path.display().to_string(),
            source,
        };
        if std::fs::metadata(path).map_err(io)?.is_dir() {
            let mut files = Vec::new();
            collect(path, 0, &mut files, self.files)?;
            for file in files {
                self.add_file(&file)?;
            }
        } else {
            self.add_file(path)?;
        }
        Ok(self)
    }

    fn add_file(&mut self, path: &Path) -> Result<(), TrustError> {
        self.files += 1;
        if self.files > MAX_FILES {
            return Err(TrustError::TooManyFiles {
                path: path.display().to_string(),
            });
        }
        let bytes = crate::files::read_bounded(path).map_err(|e| TrustError::Unreadable {
            file: path.display().to_string(),
            reason: e.to_string(),
        })?;
        self.add_bytes(&path.display().to_string(), &bytes)
    }

    /// Adds the trust material in `bytes` (PEM blocks or one DER object); `name` names them.
    pub fn add_bytes(&mut self, name: &str, bytes: &[u8]) -> Result<(), TrustError> {
        if bytes.first() == Some(&0x30) {
            return self.add_der(name, bytes);
        }
        let text =
            std::str::from_utf8(bytes).map_err(|_| unreadable(name, "neither DER nor PEM"))?;
        let mut found = 0;
        for (label, der) in pem_blocks(text, name)? {
            found += 1;
            match label.as_str() {
                "CERTIFICATE" | "X509 CRL" | "CMS" | "PKCS7" => self.add_der(name, &der)?,
                other => {
                    return Err(unreadable(
                        name,
                        &format!("a PEM block {other:?} is not trust material"),
                    ));
                }
            }
        }
        if found == 0 {
            return Err(unreadable(name, "no PEM block"));
        }
        Ok(())
    }

    fn add_der(&mut self, name: &str, der: &[u8]) -> Result<(), TrustError> {
        if let Ok((rest, _)) = X509Certificate::from_der(der)
            && rest.is_empty()
        {
            self.certificates.push((der.to_vec(), name.to_owned()));
            return Ok(());
        }
        if CertificateRevocationList::from_der(der).is_ok_and(|(rest, _)| rest.is_empty()) {
            let crl = Crl::parse(der).map_err(|e| TrustError::Crl {
                file: name.to_owned(),
                check: "crl-structure",
                reason: e.to_string(),
            })?;
            self.crls.push((crl, name.to_owned()));
            return Ok(());
        }
        let signed = SignedData::parse(der).map_err(|e| {
            unreadable(
                name,
                &format!("not a certificate, a CRL or a CMS signed list ({e})"),
            )
        })?;
        if signed.econtent_type == ID_ICAO_CSCA_MASTER_LIST {
            let list = MasterList::parse(der).map_err(|source| TrustError::MasterList {
                file: name.to_owned(),
                source,
            })?;
            self.master_lists.push((list, name.to_owned()));
        } else if signed.econtent_type == ID_ICAO_DEVIATION_LIST {
            let list = DeviationList::parse(der).map_err(|source| TrustError::DeviationList {
                file: name.to_owned(),
                source,
            })?;
            self.deviation_lists.push((list, name.to_owned()));
        } else {
            return Err(unreadable(
                name,
                &format!(
                    "a signed list of type {} is neither a master list ({ID_ICAO_CSCA_MASTER_LIST}) \
                     nor a deviation list ({ID_ICAO_DEVIATION_LIST})",
                    signed.econtent_type
                ),
            ));
        }
        Ok(())
    }

    /// Adds one certificate, trusted as given.
    pub fn add_certificate(&mut self, der: Vec<u8>, source: &str) -> &mut Self {
        self.certificates.push((der, source.to_owned()));
        self
    }

    /// Verifies the lists and CRLs at `now` (seconds since the epoch; the time a list signer
    /// must be valid at when its list has no signingTime) and builds the store.
    pub fn build(self, now: i64) -> Result<TrustStore, TrustError> {
        let mut store = TrustStore::default();
        for (der, file) in self.certificates {
            direct_certificate(&mut store, der, &file);
        }
        accept_master_lists(&mut store, self.master_lists, now)?;
        if store.anchors.is_empty() {
            return Err(TrustError::NoAnchor {
                path: self.paths.join(", "),
            });
        }
        for (crl, file) in self.crls {
            accept_crl(&mut store, crl, &file)?;
        }
        for (list, file) in self.deviation_lists {
            let signer = store.verify_deviation_list(&list, now).map_err(|source| {
                TrustError::DeviationList {
                    file: file.clone(),
                    source,
                }
            })?;
            store.sources.push(Source {
                file: file.clone(),
                kind: "deviation-list",
                detail: format!(
                    "{} deviation(s), signed by {}",
                    list.deviations.len(),
                    signer.subject
                ),
            });
            store.deviation_lists.push(StoredDeviationList {
                source: file,
                signer: signer.subject,
                deviations: list.deviations,
            });
        }
        Ok(store)
    }
}

fn direct_certificate(store: &mut TrustStore, der: Vec<u8>, file: &str) {
    let Some(anchor) = Anchor::from_der(&der, file) else {
        return;
    };
    let (_, cert) = match X509Certificate::from_der(&der) {
        Ok(c) => c,
        Err(_) => return,
    };
    let purposes: Vec<String> = cert
        .extended_key_usage()
        .ok()
        .flatten()
        .map(|e| e.value.other.iter().map(|o| o.to_id_string()).collect())
        .unwrap_or_default();
    let list_signer = [
        ID_ICAO_CSCA_MASTER_LIST_SIGNING_KEY,
        ID_ICAO_DEVIATION_LIST_SIGNING_KEY,
    ]
    .iter()
    .any(|p| purposes.contains(&p.to_string()));
    if anchor.is_ca {
        let kind = match anchor.kind {
            super::AnchorKind::Root => "csca",
            super::AnchorKind::Link => "link",
        };
        let detail = anchor.describe();
        if store.add_anchor(anchor) {
            store.sources.push(Source {
                file: file.to_owned(),
                kind,
                detail,
            });
        }
    } else if list_signer {
        store.sources.push(Source {
            file: file.to_owned(),
            kind: "list-signer",
            detail: format!("{} (trusted to sign lists)", anchor.subject_text),
        });
        store.list_signers.push(der);
    } else {
        store.sources.push(Source {
            file: file.to_owned(),
            kind: "ignored",
            detail: format!(
                "{}: neither a CSCA (cA) nor a list signer",
                anchor.subject_text
            ),
        });
    }
}

/// Accepts the master lists whose signer the store trusts, again and again as each accepted
/// list brings CSCAs that may have issued another list's signer.
fn accept_master_lists(
    store: &mut TrustStore,
    mut pending: Vec<(MasterList, String)>,
    now: i64,
) -> Result<(), TrustError> {
    loop {
        let mut progress = false;
        let mut waiting = Vec::new();
        let mut last_error = None;
        for (list, file) in pending {
            match store.verify_master_list(&list, now) {
                Ok(signer) => {
                    progress = true;
                    let mut added = 0;
                    for der in &list.certificates {
                        let source = format!("{file} (master list)");
                        if let Some(anchor) = Anchor::from_der(der, &source)
                            && anchor.is_ca
                            && store.add_anchor(anchor)
                        {
                            added += 1;
                        }
                    }
                    store.sources.push(Source {
                        file: file.clone(),
                        kind: "master-list",
                        detail: format!(
                            "{} CSCA certificate(s), {added} new; signed by {}, trusted through {}",
                            list.certificates.len(),
                            signer.subject,
                            signer.trusted_through
                        ),
                    });
                }
                Err(
                    e @ SignedListError::Check {
                        check: "signer-chain",
                        ..
                    },
                ) => {
                    last_error = Some((file.clone(), e));
                    waiting.push((list, file));
                }
                Err(source) => return Err(TrustError::MasterList { file, source }),
            }
        }
        if waiting.is_empty() {
            return Ok(());
        }
        if !progress {
            return Err(match last_error {
                Some((file, source)) => TrustError::MasterList { file, source },
                None => TrustError::NoAnchor {
                    path: String::new(),
                },
            });
        }
        pending = waiting;
    }
}

fn accept_crl(store: &mut TrustStore, crl: Crl, file: &str) -> Result<(), TrustError> {
    let candidates: Vec<Anchor> = match &crl.authority_key_id {
        Some(k) => store.with_key_id(k).into_iter().cloned().collect(),
        None => store
            .anchors
            .iter()
            .filter(|a| a.subject == crl.issuer)
            .cloned()
            .collect(),
    };
    let candidates: Vec<Anchor> = candidates
        .into_iter()
        .filter(|a| a.country.is_some() && a.country == crl.country)
        .collect();
    if candidates.is_empty() {
        store.sources.push(Source {
            file: file.to_owned(),
            kind: "crl",
            detail: format!(
                "from {}: NOT USED, no CSCA key of the store signed it",
                crl.issuer_text
            ),
        });
        return Ok(());
    }
    let mut last = String::new();
    let signed_by = candidates
        .iter()
        .find_map(|a| match crl.verify_signature(&a.der) {
            Ok(()) => Some(a.describe()),
            Err(e) => {
                last = e;
                None
            }
        });
    let Some(signed_by) = signed_by else {
        return Err(TrustError::Crl {
            file: file.to_owned(),
            check: "crl-signature",
            reason: format!(
                "it does not verify with the key of {} ({last})",
                candidates
                    .first()
                    .map_or_else(String::new, |a| a.subject_text.clone())
            ),
        });
    };
    let country = crl.country.clone().unwrap_or_default();
    store.sources.push(Source {
        file: file.to_owned(),
        kind: "crl",
        detail: format!(
            "from {}, number {}, {} revoked, thisUpdate {}, nextUpdate {}",
            crl.issuer_text,
            crl.number_text(),
            crl.revoked_count(),
            crate::profile::utc_text(crl.this_update),
            crl.next_update
                .map_or_else(|| "none".into(), crate::profile::utc_text)
        ),
    });
    let newer = store.crls.get(&country).is_none_or(|held| {
        (crl.this_update, crl.number.clone()) > (held.crl.this_update, held.crl.number.clone())
    });
    if newer {
        store.crls.insert(
            country,
            StoredCrl {
                crl,
                source: file.to_owned(),
                signed_by,
            },
        );
    }
    Ok(())
}

/// The files of a folder, recursively, in name order; hidden files and unknown extensions
/// skipped.
fn collect(
    dir: &Path,
    depth: usize,
    out: &mut Vec<PathBuf>,
    already: usize,
) -> Result<(), TrustError> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    let io = |source| TrustError::Io {
        path: dir.display().to_string(),
        source,
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    entries.sort();
    for path in entries {
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        {
            continue;
        }
        if path.is_dir() {
            collect(&path, depth + 1, out, already)?;
        } else if path.extension().is_some_and(|e| {
            EXTENSIONS.contains(&e.to_string_lossy().to_ascii_lowercase().as_str())
        }) {
            out.push(path);
            if out.len() + already > MAX_FILES {
                return Err(TrustError::TooManyFiles {
                    path: dir.display().to_string(),
                });
            }
        }
    }
    Ok(())
}

/// Every PEM block of `text`: its label and DER.
fn pem_blocks(text: &str, name: &str) -> Result<Vec<(String, Vec<u8>)>, TrustError> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = rest.get(start..).unwrap_or_default();
        let label_end = after
            .get(11..)
            .and_then(|s| s.find("-----"))
            .ok_or_else(|| unreadable(name, "a PEM BEGIN line without its end"))?;
        let label = after.get(11..11 + label_end).unwrap_or_default().to_owned();
        let end_marker = format!("-----END {label}-----");
        let stop = after
            .find(&end_marker)
            .map(|i| i + end_marker.len())
            .ok_or_else(|| unreadable(name, &format!("PEM block {label:?} has no END line")))?;
        let block = after.get(..stop).unwrap_or_default();
        let (_, der) = der::pem::decode_vec(block.as_bytes())
            .map_err(|e| unreadable(name, &format!("PEM block {label:?}: {e}")))?;
        out.push((label, der));
        rest = after.get(stop..).unwrap_or_default();
    }
    Ok(out)
}

fn unreadable(name: &str, reason: &str) -> TrustError {
    TrustError::Unreadable {
        file: name.to_owned(),
        reason: reason.to_owned(),
    }
}
