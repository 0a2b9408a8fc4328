//! The `chip-image` step: the logical data structure (ICAO Doc 9303-10 §4: EF.COM,
//! EF.CardAccess, the data groups) built from the applicant and the captures, hashed and signed
//! by the Document Signer into EF.SOD (9303-10 §4.6.2), with the chip's fresh keys (ARCHITECTURE.md
//! §3).
//!
//! Where the ChipImage of a station enrolment lives: every file and the chip keys (CAN, Active
//! Authentication private key) are kept **in the journal, encrypted**, like the captures, until
//! the card is verified; then they are deleted and only the CAN, printed on the card, is kept
//! (encrypted) so the card can be opened later. Nothing biometric and no key is ever written in
//! clear: the enrolment's own folder `<out>/<journal id>/` receives `manifest.json` (every file
//! on the card with its size and SHA-256) and the files that hold no biometrics — every file but
//! DG2 (face), DG3 (fingers) and DG7 (signature) — each mode 0600 through the private-file
//! writer, with `.permitkit-enrolment` naming the enrolment that owns the folder. A folder that
//! another enrolment owns is refused, never written into.
//!
//! The journal records the manifest, never the content or the keys; a resumed enrolment
//! restores the ChipImage from the journal, re-checks every data group against EF.SOD, and
//! refuses it if it is no longer what was recorded.

use std::{
    collections::BTreeMap,
    io,
    path::{Path, PathBuf},
    time::SystemTime,
};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{EnrolError, RestoreError, Run, StepError, StepOutput, timestamp};
use crate::applicant::{self, Applicant, Captures, ChipSecrets};
use crate::journal::{Journal, JournalError};
use crate::signer::SignError;
use crate::step::Step;
use permitkit_lds::{ChipImage, ChipKeys, Ef, chip_image::Manifest};
use permitkit_model::{
    private_file,
    secret::{SecretBytes, SecretString},
};

/// The journal blob that holds the chip keys (JSON) until the card is verified.
pub const KEYS_BLOB: &str = "chip-keys.json";
/// The journal blob that holds the CAN of an issued card.
pub const CAN_BLOB: &str = "can";
/// The file in an enrolment's folder that names the enrolment owning it.
pub const OWNER_FILE: &str = ".permitkit-enrolment";

/// The result of the `chip-image` step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChipImageRecord {
    /// The enrolment's folder.
    pub out: PathBuf,
    /// The ChipImage's manifest: every file with its size and SHA-256.
    pub manifest: Manifest,
}

impl StepOutput for ChipImageRecord {
    const STEP: Step = Step::ChipImage;

    fn summary(&self) -> String {
        format!(
            "{} files, {} bytes, signed; kept encrypted in the journal until verified; \
             written without biometrics and keys to {}",
            self.manifest.files.len(),
            self.manifest.files.iter().map(|f| f.size).sum::<usize>(),
            self.out.display()
        )
    }
}

/// A ChipImage with its chip keys, as the journal holds them until the card is verified.
pub(super) struct HeldImage {
    /// The files, checked against EF.SOD.
    pub(super) image: ChipImage,
    /// The CAN and the chip's private keys.
    pub(super) keys: ChipKeys,
}

/// True for the data groups that hold biometrics (ICAO 9303-10 §4.7.2, §4.7.3, §4.7.7): never
/// written in clear by a station.
pub fn is_biometric(ef: Ef) -> bool {
    matches!(ef, Ef::Dg(n) if matches!(n.get(), 2 | 3 | 7))
}

/// The CAN of enrolment `id`, from the journal: the one kept for an issued card, or the one of
/// the chip keys held until the card is verified; `None` before the `chip-image` step and once
/// an enrolment is abandoned.
pub fn card_access_number(
    journal: &Journal,
    id: &str,
) -> Result<Option<SecretString>, JournalError> {
    let corrupt = |reason: &str| JournalError::Corrupt(id.to_owned(), reason.to_owned());
    if let Some(can) = journal.blob(id, CAN_BLOB)? {
        let text = std::str::from_utf8(can.expose()).map_err(|_| corrupt("the CAN is not text"))?;
        return Ok(Some(SecretString::new(text.to_owned())));
    }
    match journal.blob(id, KEYS_BLOB)? {
        Some(json) => serde_json::from_slice::<ChipKeys>(json.expose())
            .map(|keys| keys.can)
            .map_err(|_| corrupt("the chip keys do not decode")),
        None => Ok(None),
    }
}

/// Runs (or restores) the step, then restores the ChipImage and its keys from the journal
/// (checked against EF.SOD) and makes sure it is the one the step recorded. `on_chip` holds the
/// public keys of key pairs the chip generated (`personalize::present`): DG15 and DG14 carry
/// them instead of keys generated here.
pub(super) fn run(
    run: &mut Run<'_>,
    applicant: &Applicant,
    out: &Path,
    captures: &Captures,
    on_chip: super::personalize::KeysOnChip,
) -> Result<(ChipImageRecord, HeldImage), EnrolError> {
    let record = run.step(|run| build(run, applicant, out, captures, on_chip))?;
    let held = restore(run, &record)?;
    Ok((record, held))
}

fn build(
    run: &mut Run<'_>,
    applicant: &Applicant,
    out: &Path,
    captures: &Captures,
    on_chip: super::personalize::KeysOnChip,
) -> Result<ChipImageRecord, StepError> {
    claim(out, &run.id)?;
    let profile = &applicant.document_profile;
    // The Active Authentication and Chip Authentication keys: the chip's own when it made
    // them, else generated here.
    let secrets = match on_chip.aa {
        Some(spki) => ChipSecrets::with_chip_key(profile.chip.can_digits, spki),
        None => ChipSecrets::generate(profile.chip.can_digits, profile.chip.active_authentication),
    }
    .and_then(|s| s.with_chip_authentication(profile, on_chip.ca))
    .map_err(|e| StepError::Secrets(Box::new(e)))?;
    // The trust point the chip gets when the profile protects data groups by EAC.
    let secrets =
        match crate::eac::trust_point_for(profile, &run.station.pki).map_err(StepError::Eac)? {
            Some(cvca) => secrets.with_trust_point(cvca),
            None => secrets,
        };
    let now = SystemTime::now();
    let enrolment = applicant::enrolment(
        applicant,
        captures,
        &secrets,
        Some((timestamp(now), run.station.profile.station_id.clone())),
    )
    .map_err(StepError::Enrolment)?;
    let image = run
        .station
        .signer
        .build(&enrolment, applicant.mrz.document_number(), now)
        .map_err(|e| match e {
            SignError::Lds(e) => StepError::Lds(e),
            SignError::Refused(e) => StepError::SigningRefused(e),
            SignError::AtBureau => StepError::NoDocumentSigner,
        })?;
    let manifest = image.manifest();
    let journal = &mut run.station.journal;
    for (ef, bytes) in image.files() {
        journal
            .put_blob(&run.id, &file_blob(ef), bytes)
            .map_err(StepError::Journal)?;
    }
    let keys = zeroize::Zeroizing::new(serde_json::to_vec(image.keys()).map_err(|source| {
        StepError::Journal(JournalError::Encode {
            step: Step::ChipImage,
            source,
        })
    })?);
    journal
        .put_blob(&run.id, KEYS_BLOB, &keys)
        .map_err(StepError::Journal)?;
    write_folder(out, &image, &manifest)?;
    Ok(ChipImageRecord {
        out: out.to_path_buf(),
        manifest,
    })
}

/// The ChipImage and its keys from the journal, each file checked against the recorded
/// manifest and every data group against EF.SOD.
fn restore(run: &Run<'_>, record: &ChipImageRecord) -> Result<HeldImage, EnrolError> {
    let step = Step::ChipImage;
    let mut files = BTreeMap::new();
    for entry in &record.manifest.files {
        let ef = Ef::from_name(&entry.name).ok_or_else(|| {
            run.error(
                step,
                StepError::ChipImageChanged {
                    name: entry.name.clone(),
                },
            )
        })?;
        let bytes = run.blob(step, &file_blob(ef))?;
        if hex::encode(Sha256::digest(bytes.expose())) != entry.sha256 {
            return Err(run.error(
                step,
                StepError::ChipImageChanged {
                    name: entry.name.clone(),
                },
            ));
        }
        files.insert(ef, bytes.expose().to_vec());
    }
    let image =
        ChipImage::from_card_files(files).map_err(|e| run.error(step, StepError::ChipImage(e)))?;
    let keys = run.blob(step, KEYS_BLOB)?;
    let keys: ChipKeys = serde_json::from_slice(keys.expose())
        .map_err(|e| run.error(step, StepError::Restore(RestoreError::Keys(e))))?;
    Ok(HeldImage { image, keys })
}

/// The journal blob of `ef`'s content.
fn file_blob(ef: Ef) -> String {
    format!("chip-image/{}.bin", ef.name())
}

/// Writes the files without biometrics and the manifest into the enrolment's folder (claimed
/// already), mode 0600.
fn write_folder(out: &Path, image: &ChipImage, manifest: &Manifest) -> Result<(), StepError> {
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| StepError::Output { path, source }
    };
    for (ef, bytes) in image.files().filter(|(ef, _)| !is_biometric(*ef)) {
        let path = out.join(format!("{}.bin", ef.name()));
        private_file::write(&path, bytes).map_err(io_error(&path))?;
    }
    let mut listed = manifest.clone();
    listed.chip_keys = false;
    let path = out.join("manifest.json");
    let json = serde_json::to_vec_pretty(&listed).map_err(|e| StepError::Output {
        path: path.clone(),
        source: io::Error::other(e),
    })?;
    private_file::write(&path, &json).map_err(io_error(&path))
}

/// Makes `out` the folder of enrolment `id`: creates it (mode 0700) with its owner file, or
/// accepts it when `id` already owns it (a resumed enrolment); a folder that another enrolment
/// owns, or that holds anything else, is refused.
fn claim(out: &Path, id: &str) -> Result<(), StepError> {
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| StepError::Output { path, source }
    };
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).map_err(io_error(parent))?;
    }
    let owner_file = out.join(OWNER_FILE);
    match private_file::create_dir(out) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let owner = match std::fs::read_to_string(&owner_file) {
                Ok(text) => Some(text.trim().to_owned()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                Err(e) => return Err(io_error(&owner_file)(e)),
            };
            match owner {
                Some(owner) if owner == id => return Ok(()),
                // Made by this enrolment, which stopped before naming itself owner.
                None if is_empty(out).map_err(io_error(out))? => {}
                owner => {
                    return Err(StepError::OutputTaken {
                        path: out.to_path_buf(),
                        owner,
                    });
                }
            }
        }
        Err(e) => return Err(io_error(out)(e)),
    }
    private_file::write(&owner_file, format!("{id}\n").as_bytes()).map_err(io_error(&owner_file))
}

fn is_empty(dir: &Path) -> io::Result<bool> {
    Ok(std::fs::read_dir(dir)?.next().is_none())
}

/// The chip keys' CAN as the bytes the journal keeps for an issued card.
pub(super) fn can_blob(keys: &ChipKeys) -> Option<SecretBytes> {
    keys.can
        .as_ref()
        .map(|can| SecretBytes::from_slice(can.expose().as_bytes()))
}
