//! A finished step's typed result, carried by [`super::Event::StepDone`] beside its English
//! one-line summary, so that a screen in the operator's language can say the same from the
//! figures (the record is the one the journal keeps: no biometrics, no keys).

use super::{
    ApplicantRecord, ChipImageRecord, FingersRecord, PersonalizeRecord, PhotoRecord,
    SignatureRecord, VerifyRecord,
};

/// The result of one step, as recorded in the journal.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StepResult {
    /// `applicant`.
    Applicant(ApplicantRecord),
    /// `photo`.
    Photo(PhotoRecord),
    /// `fingers`.
    Fingers(FingersRecord),
    /// `signature`.
    Signature(SignatureRecord),
    /// `chip-image`.
    ChipImage(ChipImageRecord),
    /// `personalize`.
    Personalize(PersonalizeRecord),
    /// `verify`.
    Verify(VerifyRecord),
}

macro_rules! from_record {
    ($($record:ident => $variant:ident),* $(,)?) => {
        $(impl From<&$record> for StepResult {
            fn from(record: &$record) -> Self {
                StepResult::$variant(record.clone())
            }
        })*
    };
}

from_record! {
    ApplicantRecord => Applicant,
    PhotoRecord => Photo,
    FingersRecord => Fingers,
    SignatureRecord => Signature,
    ChipImageRecord => ChipImage,
    PersonalizeRecord => Personalize,
    VerifyRecord => Verify,
}
