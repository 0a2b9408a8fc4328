//! The [`Cause`] of each [`StepError`]: what the operator does about it.

use super::error::StepError;
use super::photo::LiveCaptureError;
use crate::cause::Cause;
use crate::journal::JournalError;
use permitkit_model::profiles::station::SlotKind;

fn device(kind: SlotKind) -> Cause {
    match kind {
        SlotKind::Camera => Cause::Camera,
        SlotKind::Scanner => Cause::Scanner,
        SlotKind::SignaturePad => Cause::Signature,
        SlotKind::CardReader => Cause::CardReader,
    }
}

impl StepError {
    /// The kind of this failure, for the operator.
    pub fn cause(&self) -> Cause {
        use crate::finger_selection::SelectionError;
        match self {
            Self::ReadApplicant { .. } | Self::Applicant(_) | Self::Enrolment(_) => {
                Cause::ApplicantData
            }
            Self::ApplicantChanged { .. } => Cause::ApplicantChanged,
            Self::NotIssuedHere { .. } => Cause::NotIssuedHere,
            Self::AlreadyIssued
            | Self::Abandoned
            | Self::PersonalizedNotIssued
            | Self::ForBureau
            | Self::Journal(JournalError::Finished { .. }) => Cause::Finished,
            Self::OpenDevice { device: kind, .. } => device(*kind),
            Self::OpenCardReader { .. } | Self::SaveCard(_) => Cause::CardReader,
            Self::LiveCapture(LiveCaptureError::Timeout { .. }) => Cause::NoPortrait,
            Self::LiveCapture(LiveCaptureError::NotReviewed { .. }) => Cause::PortraitNotReviewed,
            Self::LiveCapture(LiveCaptureError::Camera(_)) => Cause::Camera,
            Self::LiveCapture(LiveCaptureError::Face(_))
            | Self::Inadmissible
            | Self::PortraitSize { .. }
            | Self::QualityProfile(_) => Cause::StationSetUp,
            Self::FingerSelection(SelectionError::Device(_)) => Cause::Scanner,
            Self::FingerSelection(SelectionError::NoUsableFinger { .. }) => Cause::NoUsableFinger,
            Self::FingerSelection(_) | Self::Wsq(_) => Cause::StationSetUp,
            Self::SignatureCapture(_) | Self::SignatureImage(_) => Cause::Signature,
            Self::Secrets(_) | Self::Lds(_) | Self::NoDocumentSigner | Self::Eac(_) => {
                Cause::StationSetUp
            }
            Self::SigningRefused(_) => Cause::SigningRefused,
            Self::PersoInput(_) => Cause::StationSetUp,
            Self::CardInterrupted(_) => Cause::CardPulled,
            Self::CardRefused(_) => Cause::CardRefused,
            Self::WrongCard { .. } => Cause::WrongCard,
            Self::Personalize(_)
            | Self::NotLocked { .. }
            | Self::Identify(_)
            | Self::NoCan
            | Self::ReadBack(_)
            | Self::FileDiffers { .. }
            | Self::FileUnread { .. }
            | Self::PassiveAuthentication(_)
            | Self::ActiveAuthentication
            | Self::ChipAuthentication(_)
            | Self::EacNotEnforced { .. }
            | Self::EacWrongRefusal { .. }
            | Self::TerminalAuthentication(_) => Cause::CardFailed,
            Self::OverBudget(_) => Cause::OverBudget,
            Self::NotWrittenAtReview { .. } => Cause::StoppedAtReview,
            Self::ReviewUndecided { .. } => Cause::ReviewUndecided,
            Self::ChipImage(_)
            | Self::ChipImageChanged { .. }
            | Self::Output { .. }
            | Self::OutputTaken { .. }
            | Self::Journal(_)
            | Self::Restore(_) => Cause::Storage,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_map_to_what_the_operator_does() {
        assert_eq!(
            StepError::NotWrittenAtReview {
                operator: "op".into()
            }
            .cause(),
            Cause::StoppedAtReview
        );
        assert_eq!(StepError::AlreadyIssued.cause(), Cause::Finished);
        assert_eq!(StepError::ActiveAuthentication.cause(), Cause::CardFailed);
        assert_eq!(
            StepError::LiveCapture(LiveCaptureError::Timeout {
                seconds: 2.0,
                frames: 40,
                last: "x".into()
            })
            .cause(),
            Cause::NoPortrait
        );
    }
}
