//! Why an enrolment stopped. Every failure is an [`EnrolError`]: the [`Step`] that failed, the
//! journal id to resume with, and a typed [`StepError`] whose source chain keeps the error of
//! the device, chip, journal or parser that caused it — so that callers and tests match on the
//! cause (as rustls's `Error` wraps typed sub-enums) instead of reading messages.
//!
//! Each level's message says only what that level adds; [`EnrolError::report`] joins the chain
//! into the one line an operator reads.

use std::{error::Error as StdError, path::PathBuf};

use super::photo::LiveCaptureError;
use crate::applicant::ApplicantError;
use crate::finger_selection::SelectionError;
use crate::journal::JournalError;
use crate::step::Step;
use permitkit_biometrics::{signature::SignatureError, wsq::WsqError};
use permitkit_chip::ChipError;
use permitkit_chip::identity::{CardLife, ChipSerial};
use permitkit_devices::{CaptureError, card_reader::CardReaderError};
use permitkit_lds::{ChipImageError, Ef, LdsError};
use permitkit_model::profiles::station::SlotKind;
use permitkit_quality::face::FaceError;

/// Why an enrolment stopped. Everything done so far is in the journal.
#[derive(Debug, thiserror::Error)]
#[error("the {step} step failed")]
pub struct EnrolError {
    /// The journal id, once the enrolment is recorded: resume with it when the cause is fixed.
    /// `None` when the failure came before anything was recorded.
    pub id: Option<String>,
    /// The step that failed.
    pub step: Step,
    /// Why (boxed: the causes of every step make it large, and it travels in `Result`s).
    #[source]
    pub source: Box<StepError>,
}

impl EnrolError {
    /// A failure of `step` of enrolment `id` (`None`: nothing recorded yet).
    pub fn new(id: Option<String>, step: Step, source: StepError) -> Self {
        Self {
            id,
            step,
            source: Box::new(source),
        }
    }

    /// One line for the operator: the step, then every cause, e.g. `photo: live capture: no
    /// acceptable portrait within 2 s …`.
    pub fn report(&self) -> String {
        format!("{}: {}", self.step, chain(self.source.as_ref()))
    }

    /// True when the enrolment is recorded and stopped on a cause that can be fixed, so that
    /// `--resume` with its id continues it; false when it is issued or abandoned, or was never
    /// recorded.
    pub fn resumable(&self) -> bool {
        self.id.is_some() && !self.source.is_finished()
    }
}

/// `error` and its sources, joined with `: `; a source whose message the text already ends with
/// (an error that prints its source itself) is not repeated.
pub(crate) fn chain(error: &dyn StdError) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let message = e.to_string();
        if !text.ends_with(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        source = e.source();
    }
    text
}

/// Why a step failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StepError {
    /// The applicant file could not be read.
    #[error("reading the applicant file {}", path.display())]
    ReadApplicant {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The applicant file is not valid for its document profile.
    #[error("the applicant file is not valid")]
    Applicant(#[source] ApplicantError),
    /// The station does not issue the applicant's document type.
    #[error("station {station} does not issue {document} (see its profile's `documents`)")]
    NotIssuedHere {
        /// The station profile id.
        station: String,
        /// The document profile id.
        document: String,
    },
    /// The enrolment to resume is already issued: there is nothing to resume.
    #[error(
        "already issued: its card was verified, there is nothing to resume (a replacement card \
         is a new enrolment)"
    )]
    AlreadyIssued,
    /// The enrolment to resume was abandoned: there is nothing to resume.
    #[error(
        "abandoned: its captures and keys are deleted, there is nothing to resume (enrol the \
         applicant again)"
    )]
    Abandoned,
    /// The enrolment to resume ended with its card personalized but not locked: there is
    /// nothing to resume.
    #[error(
        "personalized, not issued: its card was verified but not locked (--no-lock); there is \
         nothing to resume (a card to issue is a new enrolment)"
    )]
    PersonalizedNotIssued,
    /// The enrolment to resume was handed to the central bureau: there is nothing to resume
    /// here.
    #[error(
        "handed to the central bureau: its package is in the outbox (`permitkit journal list` \
         shows its bureau status), there is nothing to resume here"
    )]
    ForBureau,
    /// The applicant file changed since the enrolment began.
    #[error("{} changed since this enrolment began; start a new enrolment", path.display())]
    ApplicantChanged {
        /// The file.
        path: PathBuf,
    },
    /// A capture device could not be opened.
    #[error("opening the {} {selector}", device_noun(*device))]
    OpenDevice {
        /// Which device.
        device: SlotKind,
        /// Its selector.
        selector: String,
        /// Why.
        #[source]
        source: CaptureError,
    },
    /// The card reader could not be opened, or no card came.
    #[error("opening the card reader {selector}")]
    OpenCardReader {
        /// Its selector.
        selector: String,
        /// Why.
        #[source]
        source: CardReaderError,
    },
    /// The portrait quality profile does not make a quality gate.
    #[error("the portrait quality profile")]
    QualityProfile(#[source] FaceError),
    /// The live capture ended without a portrait.
    #[error("live capture")]
    LiveCapture(#[source] LiveCaptureError),
    /// The quality gate admitted a portrait whose verdict is a failure.
    #[error("the quality gate admitted a failing portrait")]
    Inadmissible,
    /// The prepared portrait is larger than a DG2 record can describe.
    #[error("the prepared portrait is {width}x{height} pixels, beyond what DG2 records")]
    PortraitSize {
        /// Width, pixels.
        width: u32,
        /// Height, pixels.
        height: u32,
    },
    /// No finger could be selected, or the scanner went away.
    #[error("finger capture")]
    FingerSelection(#[source] SelectionError),
    /// A finger image does not compress to WSQ.
    #[error("WSQ compression")]
    Wsq(#[source] WsqError),
    /// The signature pad did not deliver a signature.
    #[error("signature capture")]
    SignatureCapture(#[source] CaptureError),
    /// The signature cannot be prepared for DG7.
    #[error("preparing the signature for DG7")]
    SignatureImage(#[source] SignatureError),
    /// The chip's access secrets could not be generated.
    #[error("generating the chip's access secrets")]
    Secrets(#[source] Box<crate::Error>),
    /// The applicant's data and captures do not make the chip's content.
    #[error("the chip's content")]
    Enrolment(#[source] ApplicantError),
    /// The LDS could not be built or signed.
    #[error("building the LDS")]
    Lds(#[source] LdsError),
    /// The Document Signer's signing policy refused to sign (usage period over, document cap
    /// reached, audit not written).
    #[error("signing EF.SOD")]
    SigningRefused(#[source] permitkit_pki::SigningRefused),
    /// The station was opened without a Document Signer ([`Station::open_for_bureau`]): the
    /// central bureau signs its applications.
    ///
    /// [`Station::open_for_bureau`]: crate::pipeline::Station::open_for_bureau
    #[error(
        "this station has no Document Signer: the central bureau signs its applications \
         (enrol with --submit-to URL, or without it with --pki pointing at a Document Signer)"
    )]
    NoDocumentSigner,
    /// The ChipImage kept in the journal is not consistent with its EF.SOD.
    #[error("the ChipImage")]
    ChipImage(#[source] ChipImageError),
    /// A file of the ChipImage kept in the journal is not the one the step recorded.
    #[error("{name} kept in the journal differs from the ChipImage the step recorded")]
    ChipImageChanged {
        /// The file (`DG2`, `SOD` …).
        name: String,
    },
    /// The enrolment's output folder could not be made or written.
    #[error("writing {}", path.display())]
    Output {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The enrolment's output folder exists and belongs to another enrolment (or holds other
    /// files): it is never written into.
    #[error(
        "{} already exists and {}: nothing was written into it",
        path.display(),
        owner.as_ref().map_or_else(
            || "is not an enrolment's folder".to_owned(),
            |o| format!("belongs to enrolment {o}")
        )
    )]
    OutputTaken {
        /// The folder.
        path: PathBuf,
        /// The enrolment that owns it, when it names one.
        owner: Option<String>,
    },
    /// The ChipImage cannot be turned into personalization input.
    #[error("the ChipImage cannot be written")]
    PersoInput(#[source] ChipError),
    /// The card left the field or the reader failed mid-write: the card is half-written and
    /// resumes when presented again.
    #[error("the card is NOT done; present the same card again and resume")]
    CardInterrupted(#[source] ChipError),
    /// Personalization failed.
    #[error("the card is NOT done")]
    Personalize(#[source] ChipError),
    /// The card on the reader was refused before anything was written to it (issued, another
    /// enrolment's, unidentifiable).
    #[error(
        "the card on the reader was refused and nothing was written to it; present this \
         enrolment's card or a blank one and resume"
    )]
    CardRefused(#[source] ChipError),
    /// The card on the reader is not the card this enrolment personalized.
    #[error(
        "the card on the reader is {found}, not {expected}, the card this enrolment \
         personalized; present that card and resume"
    )]
    WrongCard {
        /// The card personalized.
        expected: ChipSerial,
        /// The card on the reader.
        found: ChipSerial,
    },
    /// The card was to be locked, but it reports that personalization is not over.
    #[error("the card is not locked ({life}), so it is not issued")]
    NotLocked {
        /// What the card reports.
        life: CardLife,
    },
    /// The card could not be identified.
    #[error("identifying the card")]
    Identify(#[source] ChipError),
    /// The virtual chip's state could not be saved.
    #[error("saving the virtual chip's state")]
    SaveCard(#[source] CardReaderError),
    /// The chip keys hold no CAN, so the card cannot be opened independently.
    #[error("the chip keys hold no CAN to open the card with")]
    NoCan,
    /// The card could not be read back.
    #[error("reading the card back")]
    ReadBack(#[source] ChipError),
    /// A file on the card differs from the ChipImage.
    #[error("{ef} on the card differs from the ChipImage")]
    FileDiffers {
        /// The file.
        ef: Ef,
    },
    /// A file of the ChipImage could not be read from the card.
    #[error("{ef} could not be read from the card")]
    FileUnread {
        /// The file.
        ef: Ef,
    },
    /// Passive authentication of what the card holds failed.
    #[error(transparent)]
    PassiveAuthentication(permitkit_pki::PaFailure),
    /// The chip failed Active Authentication.
    #[error("Active Authentication failed: the chip does not hold the DG15 key")]
    ActiveAuthentication,
    /// The chip offers Chip Authentication (DG14, or PACE-CAM) and did not prove it holds the
    /// key.
    #[error("Chip Authentication {0}")]
    ChipAuthentication(permitkit_chip::reader::CaOutcome),
    /// The document profile protects data groups by Extended Access Control and its trust
    /// point (the CVCA certificate) or the station's inspection-system terminal cannot be used.
    #[error("Extended Access Control")]
    Eac(#[source] crate::eac::EacSetupError),
    /// A data group the document profile protects by Extended Access Control was given to a
    /// session without Terminal Authentication (the chip does not enforce EAC).
    #[error(
        "{ef} was readable without Terminal Authentication: the chip does not protect it by Extended Access Control"
    )]
    EacNotEnforced {
        /// The file.
        ef: Ef,
    },
    /// A data group behind Extended Access Control was refused other than by its access rule.
    #[error("{ef} was refused without Terminal Authentication with {sw}, not 6982")]
    EacWrongRefusal {
        /// The file.
        ef: Ef,
        /// The chip's answer.
        sw: permitkit_iso7816::apdu::StatusWord,
    },
    /// The station's inspection system could not read a data group behind Extended Access
    /// Control: Terminal Authentication failed or did not grant it.
    #[error("Terminal Authentication {0}")]
    TerminalAuthentication(permitkit_chip::reader::TaOutcome),
    /// A file or an image of the ChipImage is over its budget: the card is not written.
    #[error("the card is not written: {}", over_budget_list(.0))]
    OverBudget(Vec<super::card_review::OverBudget>),
    /// The operator stopped at the review, before the card was written.
    #[error("the card is not written: {operator} stopped at the review")]
    NotWrittenAtReview {
        /// Who stopped it.
        operator: String,
    },
    /// No one confirmed the review in time: the card is not written.
    #[error("the card is not written: {reason}")]
    ReviewUndecided {
        /// Why.
        reason: String,
    },
    /// The journal failed.
    #[error("the journal")]
    Journal(#[source] JournalError),
    /// The step is recorded done, but what it recorded cannot be restored.
    #[error("restoring its result from the journal")]
    Restore(#[source] RestoreError),
}

impl StepError {
    /// The enrolment is issued or abandoned: nothing more can be done to it.
    pub fn is_finished(&self) -> bool {
        matches!(
            self,
            Self::AlreadyIssued
                | Self::Abandoned
                | Self::PersonalizedNotIssued
                | Self::ForBureau
                | Self::Journal(JournalError::Finished { .. })
        )
    }
}

fn over_budget_list(over: &[super::card_review::OverBudget]) -> String {
    over.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Why a step recorded done cannot be restored. Never replaced by a default: the journal is
/// the only copy of what the step produced.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RestoreError {
    /// The step is recorded done without a result.
    #[error("the journal records the step done without a result")]
    Missing,
    /// The recorded result is not a value of the step's result type.
    #[error("the recorded result is not a valid result of this step")]
    Malformed(#[source] serde_json::Error),
    /// A capture the step kept in the journal is gone.
    #[error("the journal holds no {name}")]
    MissingBlob {
        /// The capture's name.
        name: String,
    },
    /// The chip keys kept in the journal do not decode.
    #[error("the chip keys kept in the journal do not decode")]
    Keys(#[source] serde_json::Error),
    /// A finger image kept in the journal does not decode.
    #[error("{name} is not a valid WSQ image")]
    Wsq {
        /// The capture's name.
        name: String,
        /// Why.
        #[source]
        source: WsqError,
    },
    /// A finger image kept in the journal is larger than a DG3 record can describe.
    #[error("{name} is {width}x{height} pixels, beyond what DG3 records")]
    FingerSize {
        /// The capture's name.
        name: String,
        /// Width, pixels.
        width: u32,
        /// Height, pixels.
        height: u32,
    },
}

fn device_noun(device: SlotKind) -> &'static str {
    match device {
        SlotKind::Camera => "camera",
        SlotKind::Scanner => "fingerprint scanner",
        SlotKind::SignaturePad => "signature pad",
        SlotKind::CardReader => "card reader",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_names_the_step_and_every_cause_once() {
        let e = EnrolError::new(
            Some("X-1".into()),
            Step::Fingers,
            StepError::FingerSelection(SelectionError::Device(CaptureError::Disconnected {
                device: "sim:unplugged".into(),
            })),
        );
        assert_eq!(e.to_string(), "the fingers step failed");
        assert_eq!(
            e.report(),
            "fingers: finger capture: sim:unplugged: device disconnected"
        );
        let e = EnrolError::new(
            None,
            Step::Applicant,
            StepError::Journal(JournalError::NotFound("X-2".into())),
        );
        assert_eq!(
            e.report(),
            "applicant: the journal: no enrolment X-2 in the journal"
        );
    }
}
