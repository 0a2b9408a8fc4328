//! What a CSCA has revoked, kept beside its key (`crl-register.json` in the CSCA folder): every
//! CRL lists every revoked certificate (9303-12 §4.1.5: one complete CRL per CSCA, no deltas),
//! and its cRLNumber is one more than the last CRL's (RFC 5280 §5.2.3: monotonically
//! increasing). The register is a plain JSON file: serial numbers, dates, subjects.

use std::{
    path::Path,
    time::{Duration, SystemTime},
};

use serde::{Deserialize, Serialize};

use super::Revocation;
use crate::PkiError;

/// The register's file name in a CSCA folder.
pub const FILE: &str = "crl-register.json";

/// The revocations and the last CRL number of one CSCA.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Register {
    /// The cRLNumber of the last CRL issued (0: none yet).
    pub last_crl_number: u64,
    /// Every certificate revoked.
    pub revoked: Vec<Entry>,
}

/// One revoked certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Serial number, hexadecimal content octets.
    pub serial: String,
    /// Revocation date, seconds since the epoch.
    pub date: u64,
    /// The certificate's subject, for a person.
    pub subject: String,
}

impl Register {
    /// Loads the register of the CSCA folder `dir` (empty when there is none yet).
    pub fn load(dir: &Path) -> Result<Self, PkiError> {
        let path = dir.join(FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => {
                return Err(PkiError::Io {
                    path: path.display().to_string(),
                    source,
                });
            }
        };
        serde_json::from_str(&text).map_err(|e| PkiError::decode(path.display().to_string(), e))
    }

    /// Writes the register into `dir`.
    pub fn save(&self, dir: &Path) -> Result<(), PkiError> {
        let path = dir.join(FILE);
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| PkiError::encode(path.display().to_string(), e))?;
        crate::files::write_public(&path, text.as_bytes())
    }

    /// Records the revocation of the certificate with serial `serial` (content octets); a
    /// certificate already revoked keeps its first date. Returns whether it is new.
    pub fn revoke(&mut self, serial: &[u8], subject: &str, at: SystemTime) -> bool {
        let hex = hex::encode(super::parse::strip_zero(serial));
        if self.revoked.iter().any(|e| e.serial == hex) {
            return false;
        }
        self.revoked.push(Entry {
            serial: hex,
            date: at
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            subject: subject.to_owned(),
        });
        true
    }

    /// The revocations, for the CRL.
    pub fn revocations(&self) -> Result<Vec<Revocation>, PkiError> {
        self.revoked
            .iter()
            .map(|e| {
                let serial = hex::decode(&e.serial).map_err(|err| {
                    PkiError::decode(format!("{FILE}: serial {:?}", e.serial), err)
                })?;
                Ok(Revocation {
                    serial,
                    date: SystemTime::UNIX_EPOCH + Duration::from_secs(e.date),
                })
            })
            .collect()
    }

    /// The next CRL's number, recorded as issued.
    pub fn next_number(&mut self) -> u64 {
        self.last_crl_number = self.last_crl_number.saturating_add(1);
        self.last_crl_number
    }
}
