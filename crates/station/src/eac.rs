//! Extended Access Control at the station (ICAO Doc 9303-11 §7.1; BSI TR-03110-3 §2): the trust
//! point a document profile's chips are personalized with, and the inspection-system identity
//! (a terminal) that reads what the trust point protects.
//!
//! Both come from a PKI folder (`--pki`): a document profile's `chip.eac.trust_point` names the
//! CVCA certificate inside it (`eac/cvca.cvcert` as `permitkit pki init` and `pki eac init`
//! write it), and the folder of that certificate holds the terminal: `dv.cvcert`, `is.cvcert`,
//! `link.cvcert` after a CVCA rollover, and the inspection system's key `is.pkcs8`.
//!
//! The trust point is checked before a card is built for it: a CVCA certificate (role CVCA,
//! self-signed, its signature verifying with its own key, as the chip checks it) of the issuing
//! State (`issuing_state_alpha2` is its holder's country). A terminal is checked for form: its
//! last certificate is an inspection system's, chained by CAR/CHR, and its key is the key of
//! that certificate (the chip checks the signatures and dates).

use std::path::{Path, PathBuf};

use permitkit_chip::ta::{TaRefusal, TaStore, Terminal};
use permitkit_cvc::{CvCertificate, CvSigner as _, Role};
use permitkit_model::profiles::DocumentProfile;
use permitkit_pki::PkiError;
use permitkit_pki::eac::{read_certificate, read_key};

/// Why the EAC trust point or terminal of a station cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EacSetupError {
    /// A certificate or key file that cannot be read or decoded (its path is in the error).
    #[error(transparent)]
    Pki(#[from] PkiError),
    /// The trust point file is missing.
    #[error(
        "{path}: no trust point for {document} (its chip.eac names this CVCA certificate); create a TEST ONLY EAC PKI with `permitkit pki eac init --out {dir}`"
    )]
    MissingTrustPoint {
        /// The file.
        path: PathBuf,
        /// The document profile.
        document: String,
        /// The folder to create.
        dir: String,
    },
    /// The trust point is not a self-signed CVCA certificate.
    #[error("{path}: not a trust point: {source}")]
    NotATrustPoint {
        /// The file.
        path: PathBuf,
        /// What the chip would answer.
        #[source]
        source: TaRefusal,
    },
    /// The trust point is another State's CVCA.
    #[error("{path}: {holder} is not a CVCA of {country}, the issuing State of {document}")]
    WrongCountry {
        /// The file.
        path: PathBuf,
        /// The certificate's holder.
        holder: String,
        /// The issuing State (two letters).
        country: String,
        /// The document profile.
        document: String,
    },
    /// The terminal folder does not make a terminal.
    #[error("{dir}: not an inspection-system terminal: {reason}")]
    NotATerminal {
        /// The folder.
        dir: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// The path of `profile`'s trust point inside `pki`, when the profile protects data groups by
/// Extended Access Control.
pub fn trust_point_path(profile: &DocumentProfile, pki: &Path) -> Option<PathBuf> {
    profile
        .chip
        .eac
        .as_ref()
        .map(|eac| pki.join(&eac.trust_point))
}

/// The trust point (CVCA certificate bytes) `profile` asks for, from `pki`; `None` when the
/// profile has no `chip.eac`.
pub fn trust_point_for(
    profile: &DocumentProfile,
    pki: &Path,
) -> Result<Option<Vec<u8>>, EacSetupError> {
    match trust_point_path(profile, pki) {
        Some(path) => load_trust_point(profile, &path).map(Some),
        None => Ok(None),
    }
}

/// Reads and checks the trust point at `path` for `profile`: a self-signed CVCA certificate of
/// the issuing State. Returns its bytes, as the chip receives them.
pub fn load_trust_point(profile: &DocumentProfile, path: &Path) -> Result<Vec<u8>, EacSetupError> {
    if !path.is_file() {
        return Err(EacSetupError::MissingTrustPoint {
            path: path.to_path_buf(),
            document: profile.id.clone(),
            dir: path
                .parent()
                .map_or_else(|| ".".into(), |p| p.display().to_string()),
        });
    }
    let cert = read_certificate(path)?;
    TaStore::personalize(&cert).map_err(|source| EacSetupError::NotATrustPoint {
        path: path.to_path_buf(),
        source,
    })?;
    if cert.holder().country() != profile.issuing_state_alpha2 {
        return Err(EacSetupError::WrongCountry {
            path: path.to_path_buf(),
            holder: cert.holder().to_string(),
            country: profile.issuing_state_alpha2.clone(),
            document: profile.id.clone(),
        });
    }
    cert.to_bytes()
        .map_err(|e| PkiError::encode(path.display().to_string(), e).into())
}

/// The terminal of `profile`'s EAC PKI: the folder of its trust point inside `pki`.
pub fn terminal_for(
    profile: &DocumentProfile,
    pki: &Path,
) -> Result<Option<Terminal>, EacSetupError> {
    match trust_point_path(profile, pki) {
        Some(path) => {
            let dir = path
                .parent()
                .map_or_else(|| pki.to_path_buf(), Path::to_path_buf);
            load_terminal(&dir).map(Some)
        }
        None => Ok(None),
    }
}

/// An inspection-system terminal from a folder `pki eac init` wrote: `link.cvcert` (when
/// present), `dv.cvcert`, `is.cvcert` in chain order, and the key `is.pkcs8`.
pub fn load_terminal(dir: &Path) -> Result<Terminal, EacSetupError> {
    let not = |reason: String| EacSetupError::NotATerminal {
        dir: dir.to_path_buf(),
        reason,
    };
    let mut certificates = Vec::with_capacity(3);
    let link = dir.join("link.cvcert");
    if link.is_file() {
        certificates.push(read_certificate(&link)?);
    }
    for name in ["dv.cvcert", "is.cvcert"] {
        let path = dir.join(name);
        if !path.is_file() {
            return Err(not(format!("{name} is missing")));
        }
        certificates.push(read_certificate(&path)?);
    }
    let key_path = dir.join("is.pkcs8");
    if !key_path.is_file() {
        return Err(not(
            "is.pkcs8 (the inspection system's key) is missing".into()
        ));
    }
    let key = read_key(&key_path)?;
    check_chain_form(&certificates).map_err(not)?;
    let is = certificates
        .last()
        .ok_or_else(|| not("no certificate".into()))?;
    if is.body().public_key.point() != Some(key.public_point().as_slice()) {
        return Err(not(format!(
            "is.pkcs8 is not the key of {} (is.cvcert)",
            is.holder()
        )));
    }
    Ok(Terminal {
        certificates,
        signer: Box::new(key),
    })
}

/// Each certificate names the previous one's holder as its authority, and the last is an
/// inspection system's.
fn check_chain_form(certificates: &[CvCertificate]) -> Result<(), String> {
    for pair in certificates.windows(2) {
        if let [a, b] = pair
            && b.authority() != a.holder()
        {
            return Err(format!(
                "{} is issued by {}, not by {}",
                b.holder(),
                b.authority(),
                a.holder()
            ));
        }
    }
    match certificates.last() {
        Some(is) if is.body().chat.role() == Role::Terminal => Ok(()),
        Some(other) => Err(format!(
            "{} is a {} certificate, not an inspection system's",
            other.holder(),
            other.body().chat.role()
        )),
        None => Err("no certificate".into()),
    }
}
