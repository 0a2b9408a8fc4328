//! The state of a virtual chip as a document, so a personalized virtual card outlives the
//! process: what a real chip keeps in EEPROM (ICAO Doc 9303-10 §3.11 files by FID, the access
//! secrets of 9303-11 §4.3.2 and §4.4.1, the life-cycle flag).
//!
//! The state is a JSON document: the chip's CPLC (its serial, GlobalPlatform GET DATA `9F7F`),
//! life-cycle flag, every EF (hex) and the access secrets (MRZ information, CAN, Active
//! Authentication key). Format 1 had no CPLC: such a card gets one derived from its state, the
//! same every time it loads, and keeps it when saved again. This module only turns a card into text and
//! back; where the text is kept (a state file written atomically with owner-only permissions,
//! since it holds the access secrets) is `permitkit-devices`' business. Decoding refuses text
//! longer than [`MAX_STATE_FILE`] and applies the chip's limits (EF size, file count) before
//! anything is allocated for a file.

use crate::SimError;
use crate::card::{Card, CardConfig, CardSecrets, virtual_cplc};
use crate::filesystem::{Df, FileSystem};
use permitkit_chip::identity::Cplc;
use permitkit_model::secret::{SecretBytes, SecretString};

/// Largest state file read back (guards the JSON parser's allocation).
pub const MAX_STATE_FILE: u64 = 8 * 1024 * 1024;

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    format: String,
    #[serde(default)]
    cplc: Option<String>,
    locked: bool,
    files: Vec<FileEntry>,
    mrz_information: Option<String>,
    can: Option<String>,
    #[serde(default)]
    aa_private_key: Option<String>,
    /// Chip Authentication key pairs: key id and PKCS#8 private key, hex (crate::eac_ca).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    ca_private_keys: Vec<CaKeyEntry>,
    /// Terminal Authentication trust points: the CVCA certificates, hex, oldest first
    /// (crate::eac_ta).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    eac_trust_points: Vec<String>,
    /// The chip's current date for Terminal Authentication, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    eac_current_date: Option<String>,
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CaKeyEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key_id: Option<u32>,
    pkcs8: String,
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEntry {
    df: Df,
    fid: String,
    data: String,
}

const FORMAT: &str = "permitkit-virtual-chip/2";
const FORMAT_1: &str = "permitkit-virtual-chip/1";

/// Encodes the card's state as JSON.
pub fn to_json(card: &Card) -> Result<String, SimError> {
    let state = StateFile {
        format: FORMAT.into(),
        cplc: Some(hex::encode_upper(card.cplc().to_bytes())),
        locked: card.is_locked(),
        files: card
            .filesystem()
            .files()
            .map(|(df, fid, data)| FileEntry {
                df,
                fid: format!("{fid:04X}"),
                data: hex::encode_upper(data),
            })
            .collect(),
        mrz_information: card
            .secrets()
            .mrz_information
            .as_ref()
            .map(|m| String::from_utf8_lossy(m.expose()).into_owned()),
        can: card.secrets().can.as_ref().map(|c| c.expose().to_owned()),
        aa_private_key: card
            .secrets()
            .aa_private_key
            .as_ref()
            .map(|k| hex::encode_upper(k.expose())),
        ca_private_keys: card
            .secrets()
            .ca_keys
            .iter()
            .map(|k| CaKeyEntry {
                key_id: k.key_id,
                pkcs8: hex::encode_upper(k.private_key.expose()),
            })
            .collect(),
        eac_trust_points: card
            .eac()
            .store()
            .map(|st| {
                st.cvca_certificates()
                    .iter()
                    .filter_map(|c| c.to_bytes().ok())
                    .map(hex::encode_upper)
                    .collect()
            })
            .unwrap_or_default(),
        eac_current_date: card.eac().store().map(|st| st.current_date.to_string()),
    };
    serde_json::to_string_pretty(&state)
        .map_err(|e| SimError::state_from("JSON", "does not serialize", e))
}

/// Rebuilds a card from [`to_json`] output, under `config`'s limits.
pub fn from_json(text: &str, config: CardConfig) -> Result<Card, SimError> {
    if u64::try_from(text.len()).unwrap_or(u64::MAX) > MAX_STATE_FILE {
        return Err(SimError::state(
            "file",
            "exceeds the state file size limit (MAX_STATE_FILE)",
        ));
    }
    let state: StateFile = serde_json::from_str(text)
        .map_err(|e| SimError::state_from("JSON", "is not a state file", e))?;
    if state.format != FORMAT && state.format != FORMAT_1 {
        return Err(SimError::state(
            format!("format {:?}", state.format),
            "is not a known format",
        ));
    }
    let cplc = match &state.cplc {
        Some(h) => {
            let bytes =
                hex::decode(h).map_err(|e| SimError::state_from("cplc", "is not hex", e))?;
            Cplc::parse(&bytes).map_err(|e| SimError::state_from("cplc", "is not a CPLC", e))?
        }
        None => {
            use sha2::Digest;
            let d = sha2::Sha256::digest(text.as_bytes());
            let [a, b, c, e, f, g, ..] = d.as_slice() else {
                return Err(SimError::state("cplc", "digest too short"));
            };
            virtual_cplc(
                u32::from_be_bytes([*a, *b, *c, *e]),
                u16::from_be_bytes([*f, *g]),
            )
        }
    };
    let mut fs = FileSystem::new(config.max_ef_size, config.max_files);
    for (i, f) in state.files.into_iter().enumerate() {
        let fid = u16::from_str_radix(&f.fid, 16)
            .map_err(|e| SimError::state_from(format!("files[{i}].fid"), "is not hex", e))?;
        if f.data.len() / 2 > config.max_ef_size {
            return Err(SimError::state(
                format!("files[{i}]"),
                "exceeds the EF size limit of the card configuration",
            ));
        }
        let data = hex::decode(&f.data)
            .map_err(|e| SimError::state_from(format!("files[{i}].data"), "is not hex", e))?;
        fs.restore(f.df, fid, data).map_err(|sw| {
            SimError::state(
                format!("files[{i}] (status {sw})"),
                "the file system refuses it",
            )
        })?;
    }
    let secrets = CardSecrets {
        mrz_information: state
            .mrz_information
            .map(|m| SecretBytes::new(m.into_bytes())),
        can: state.can.map(SecretString::new),
        aa_private_key: match state.aa_private_key {
            Some(h) => {
                Some(SecretBytes::new(hex::decode(h).map_err(|e| {
                    SimError::state_from("aa_private_key", "is not hex", e)
                })?))
            }
            None => None,
        },
        ca_keys: ca_keys(&state.ca_private_keys)?,
    };
    let eac = match state.eac_current_date {
        None => None,
        Some(date) => {
            let current_date = date
                .parse::<permitkit_cvc::CvDate>()
                .map_err(|e| SimError::state_from("eac_current_date", "is not a date", e))?;
            let mut cvcas = Vec::new();
            for (i, h) in state.eac_trust_points.iter().enumerate() {
                let bytes = hex::decode(h).map_err(|e| {
                    SimError::state_from(format!("eac_trust_points[{i}]"), "is not hex", e)
                })?;
                cvcas.push(permitkit_cvc::CvCertificate::decode(&bytes).map_err(|e| {
                    SimError::state_from(
                        format!("eac_trust_points[{i}]"),
                        "is not a CV certificate",
                        e,
                    )
                })?);
            }
            Some(
                permitkit_chip::ta::TaStore::restore(cvcas, current_date).map_err(|e| {
                    SimError::state_from("eac_trust_points", "is not a trust point", e)
                })?,
            )
        }
    };
    let mut card = Card::from_parts(config, cplc, fs, secrets, state.locked);
    card.set_eac(crate::eac_ta::EacTa::with_store(eac));
    Ok(card)
}

/// The Chip Authentication key pairs of a state file, each checked to be a key on a supported
/// curve (at most [`crate::card::MAX_CA_KEYS`]).
fn ca_keys(entries: &[CaKeyEntry]) -> Result<Vec<permitkit_chip::ca::CaKeyPair>, SimError> {
    if entries.len() > crate::card::MAX_CA_KEYS {
        return Err(SimError::state(
            "ca_private_keys",
            "holds more keys than the chip (MAX_CA_KEYS)",
        ));
    }
    entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let der = hex::decode(&e.pkcs8).map_err(|err| {
                SimError::state_from(format!("ca_private_keys[{i}]"), "is not hex", err)
            })?;
            permitkit_chip::ca::CaKeyPair::from_pkcs8(e.key_id, SecretBytes::new(der)).ok_or_else(
                || {
                    SimError::state(
                        format!("ca_private_keys[{i}]"),
                        "is not a PKCS#8 P-256 or brainpoolP256r1 key",
                    )
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chip_authentication_keys_survive_a_save() {
        use permitkit_chip::ca::CaKeyPair;
        use permitkit_chip::ec::Domain;
        let mut card = Card::new(CardConfig::default());
        let key = CaKeyPair::generate(
            Some(13),
            Domain::BrainpoolP256r1,
            &mut permitkit_chip::random::OsRandom,
        )
        .unwrap();
        let public = key.public_key().unwrap();
        card.secrets_mut().ca_keys.push(key);
        let text = to_json(&card).unwrap();
        let again = from_json(&text, CardConfig::default()).unwrap();
        let keys = &again.secrets().ca_keys;
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].key_id, Some(13));
        assert_eq!(keys[0].public_key().unwrap(), public);
        let broken = text.replace("\"pkcs8\": \"", "\"pkcs8\": \"00");
        assert!(from_json(&broken, CardConfig::default()).is_err());
    }

    #[test]
    fn the_serial_survives_a_save_and_an_old_state_gets_a_stable_one() {
        let card = Card::new(CardConfig::default());
        let again = from_json(&to_json(&card).unwrap(), CardConfig::default()).unwrap();
        assert_eq!(again.serial(), card.serial());
        let old = r#"{"format":"permitkit-virtual-chip/1","locked":false,"files":[],"mrz_information":null,"can":null}"#;
        let a = from_json(old, CardConfig::default()).unwrap();
        let b = from_json(old, CardConfig::default()).unwrap();
        assert_eq!(a.serial(), b.serial());
        let saved = from_json(&to_json(&a).unwrap(), CardConfig::default()).unwrap();
        assert_eq!(saved.serial(), a.serial());
    }
}
