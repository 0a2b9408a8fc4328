//! What kind of failure stopped an enrolment, as the operator acts on it: a [`Cause`] per
//! failure, without the details (devices, files, status words) that the error's English
//! message carries. Screens in the operator's language say the cause and what to do from it;
//! the journal records it beside the message (ARCHITECTURE.md, "Issuance integrity"). The
//! pipeline gives each of its errors its cause (`StepError::cause`).

use serde::{Deserialize, Serialize};

/// The kind of a step's failure, for the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
// Exhaustive on purpose: every screen that says a cause in the operator's language matches on
// it, and a new cause must not compile until each says it.
pub enum Cause {
    /// The applicant's data is not valid for the document, or its file cannot be read: fix the
    /// data and start a new enrolment.
    ApplicantData,
    /// The applicant file changed since the enrolment began: start a new enrolment.
    ApplicantChanged,
    /// The station does not issue this document.
    NotIssuedHere,
    /// The enrolment is over (issued, abandoned, handed to the bureau): nothing to resume.
    Finished,
    /// The camera failed or could not be opened.
    Camera,
    /// No portrait passed the quality checks in time (the camera worked).
    NoPortrait,
    /// The portrait taken was neither kept nor retaken in time.
    PortraitNotReviewed,
    /// The fingerprint scanner failed or could not be opened.
    Scanner,
    /// No usable finger for a required slot.
    NoUsableFinger,
    /// The signature pad failed, could not be opened, or its signature cannot be used.
    Signature,
    /// The card reader failed, could not be opened, or no card came.
    CardReader,
    /// The card left the field (or the reader failed) while it was written: it is half
    /// written; the same card put back continues.
    CardPulled,
    /// The card on the reader was refused before anything was written to it.
    CardRefused,
    /// The card on the reader is not this enrolment's card.
    WrongCard,
    /// The card was written but does not verify: read-back, passive, active, chip or terminal
    /// authentication, access control or lock.
    CardFailed,
    /// The chip's content is over the document's budget: the card is not written.
    OverBudget,
    /// The operator stopped at the review: the card is not written.
    StoppedAtReview,
    /// No one decided at the review in time: the card is not written.
    ReviewUndecided,
    /// The Document Signer refused to sign (usage period, document cap, audit).
    SigningRefused,
    /// The station's set-up: its profiles, keys, trust points or Document Signer.
    StationSetUp,
    /// The journal or the enrolment's output folder.
    Storage,
}

impl Cause {
    /// Every cause.
    pub const ALL: [Cause; 21] = [
        Cause::ApplicantData,
        Cause::ApplicantChanged,
        Cause::NotIssuedHere,
        Cause::Finished,
        Cause::Camera,
        Cause::NoPortrait,
        Cause::PortraitNotReviewed,
        Cause::Scanner,
        Cause::NoUsableFinger,
        Cause::Signature,
        Cause::CardReader,
        Cause::CardPulled,
        Cause::CardRefused,
        Cause::WrongCard,
        Cause::CardFailed,
        Cause::OverBudget,
        Cause::StoppedAtReview,
        Cause::ReviewUndecided,
        Cause::SigningRefused,
        Cause::StationSetUp,
        Cause::Storage,
    ];

    /// The name the journal stores and the JSON events carry.
    pub const fn name(self) -> &'static str {
        match self {
            Cause::ApplicantData => "applicant-data",
            Cause::ApplicantChanged => "applicant-changed",
            Cause::NotIssuedHere => "not-issued-here",
            Cause::Finished => "finished",
            Cause::Camera => "camera",
            Cause::NoPortrait => "no-portrait",
            Cause::PortraitNotReviewed => "portrait-not-reviewed",
            Cause::Scanner => "scanner",
            Cause::NoUsableFinger => "no-usable-finger",
            Cause::Signature => "signature",
            Cause::CardReader => "card-reader",
            Cause::CardPulled => "card-pulled",
            Cause::CardRefused => "card-refused",
            Cause::WrongCard => "wrong-card",
            Cause::CardFailed => "card-failed",
            Cause::OverBudget => "over-budget",
            Cause::StoppedAtReview => "stopped-at-review",
            Cause::ReviewUndecided => "review-undecided",
            Cause::SigningRefused => "signing-refused",
            Cause::StationSetUp => "station-set-up",
            Cause::Storage => "storage",
        }
    }

    /// The cause named `name` ([`Cause::name`]).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    /// True when the failure left the card untouched: nothing was written to a card (or no
    /// card step was reached).
    pub fn card_untouched(self) -> bool {
        !matches!(
            self,
            Cause::CardPulled | Cause::CardFailed | Cause::WrongCard | Cause::CardReader
        )
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cause_has_a_name_that_parses_back() {
        let mut names = std::collections::BTreeSet::new();
        for c in Cause::ALL {
            assert_eq!(Cause::parse(c.name()), Some(c));
            assert!(names.insert(c.name()), "{c} twice");
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.name()));
        }
        assert_eq!(Cause::parse("card-gone"), None);
        assert!(Cause::StoppedAtReview.card_untouched());
        assert!(!Cause::CardFailed.card_untouched());
    }
}
