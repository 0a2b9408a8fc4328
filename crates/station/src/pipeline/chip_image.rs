//! The `chip-image` step: the logical data structure (ICAO Doc 9303-10 §4: EF.COM,
//! EF.CardAccess, the data groups) built from the applicant and the captures, hashed and signed
//! by the Document Signer into EF.SOD (9303-10 §4.6.2), with the chip's fresh access secrets,
//! and saved as the ChipImage folder (ARCHITECTURE.md §3). The journal records the folder's
//! manifest — file names, sizes and SHA-256 — never the secrets; a resumed enrolment reloads
//! the folder and refuses it if it is no longer what was recorded.

use std::{
    path::{Path, PathBuf},
    time::SystemTime,
};

use serde::{Deserialize, Serialize};

use super::{EnrolError, Run, StepError, StepOutput, timestamp};
use crate::applicant::{self, Applicant, Captures, ChipSecrets};
use crate::step::Step;
use permitkit_lds::{self as lds, ChipImage, chip_image::Manifest};
use permitkit_pki::{DocumentSigner, signer::FileKeySignature};

/// The result of the `chip-image` step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChipImageRecord {
    /// The ChipImage folder.
    pub out: PathBuf,
    /// Its manifest: every file with its size and SHA-256.
    pub manifest: Manifest,
}

impl StepOutput for ChipImageRecord {
    const STEP: Step = Step::ChipImage;

    fn summary(&self) -> String {
        format!(
            "{} files, {} bytes, signed and written to {}",
            self.manifest.files.len(),
            self.manifest.files.iter().map(|f| f.size).sum::<usize>(),
            self.out.display()
        )
    }
}

/// Runs (or restores) the step, then loads the ChipImage from `out` (checked against its SOD)
/// and makes sure it is the one the journal recorded.
pub(super) fn run(
    run: &mut Run<'_>,
    applicant: &Applicant,
    out: &Path,
    captures: &Captures,
) -> Result<(ChipImageRecord, ChipImage), EnrolError> {
    let record = run.step(|run| build(run, applicant, out, captures))?;
    let image = ChipImage::load_dir(out)
        .map_err(|e| run.error(Step::ChipImage, StepError::ChipImage(e)))?;
    let recorded = record.manifest.files.iter().map(|f| f.sha256.as_str());
    let actual = image.manifest().files;
    if !recorded.eq(actual.iter().map(|f| f.sha256.as_str())) {
        return Err(run.error(
            Step::ChipImage,
            StepError::ChipImageChanged {
                path: out.to_path_buf(),
            },
        ));
    }
    Ok((record, image))
}

fn build(
    run: &mut Run<'_>,
    applicant: &Applicant,
    out: &Path,
    captures: &Captures,
) -> Result<ChipImageRecord, StepError> {
    let profile = &applicant.document_profile;
    let secrets =
        ChipSecrets::generate(profile.chip.can_digits, profile.chip.active_authentication)
            .map_err(|e| StepError::Secrets(Box::new(e)))?;
    let now = SystemTime::now();
    let enrolment = applicant::enrolment(
        applicant,
        captures,
        &secrets,
        Some((timestamp(now), run.station.profile.station_id.clone())),
    )
    .map_err(StepError::Enrolment)?;
    let signer: &DocumentSigner = &run.station.signer;
    let image = lds::build::<_, FileKeySignature>(
        &enrolment,
        signer.certificate_der(),
        signer.signer(),
        now,
    )
    .map_err(StepError::Lds)?;
    let manifest = image.save_dir(out).map_err(StepError::ChipImage)?;
    Ok(ChipImageRecord {
        out: out.to_path_buf(),
        manifest,
    })
}
