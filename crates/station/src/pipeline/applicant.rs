//! The `applicant` step: the applicant file, already validated against its document profile
//! (ICAO Doc 9303-3 and -5 for the MRZ; the profile's national rules), recorded with what the
//! operator must know before capturing: whether the name is truncated in the MRZ (9303-5
//! §4.2.3.3) and whether fingerprints go onto the chip. Names and numbers other than the
//! application number are not recorded: they are personal data and live in the applicant file.

use serde::{Deserialize, Serialize};

use super::{EnrolError, Run, StepOutput};
use crate::applicant::Applicant;
use crate::step::Step;

/// The result of the `applicant` step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicantRecord {
    /// Application number.
    pub application: String,
    /// Document profile id.
    pub document_profile: String,
    /// The name fills the MRZ name field and may be truncated there (DG11 carries it in full).
    pub mrz_name_possibly_truncated: bool,
    /// Fingerprints are written to the chip (DG3 on the document and consent given).
    pub fingerprints_on_chip: bool,
}

impl StepOutput for ApplicantRecord {
    const STEP: Step = Step::Applicant;

    fn summary(&self) -> String {
        format!(
            "{} ({}), {}",
            self.application,
            self.document_profile,
            if self.mrz_name_possibly_truncated {
                "the name fills the MRZ name field and may be truncated there \
                 (9303-5 §4.2.3.3); DG11 carries it in full"
            } else {
                "the name fits the MRZ"
            }
        )
    }
}

/// Runs (or restores) the step.
pub(super) fn run(run: &mut Run<'_>, applicant: &Applicant) -> Result<ApplicantRecord, EnrolError> {
    run.step(|_| {
        Ok(ApplicantRecord {
            application: applicant.application.clone(),
            document_profile: applicant.document_profile.id.clone(),
            mrz_name_possibly_truncated: applicant.mrz.name_possibly_truncated(),
            fingerprints_on_chip: applicant.writes_fingerprints(),
        })
    })
}
