//! Where an enrolment and its steps stand, in the operator's language: the desk's state, the
//! journal's enrolment and step states. Pages show the word and keep the API's name in a
//! `data-state` attribute for scripts and tests.

use super::i18n::Lang;
use crate::enrolment::State;
use permitkit_station::journal::{EnrolmentState, StepState};

fn pick(l: Lang, (uk, en): (&'static str, &'static str)) -> &'static str {
    match l {
        Lang::Uk => uk,
        Lang::En => en,
    }
}

/// The desk's state of an enrolment.
pub(super) fn enrolment(l: Lang, state: &State) -> &'static str {
    pick(
        l,
        match state {
            State::Queued => ("у черзі", "queued"),
            State::AwaitingApproval => ("очікує затвердження керівником", "awaiting approval"),
            State::Running { .. } => ("триває", "running"),
            State::Issued => ("картку видано", "issued"),
            State::PersonalizedNotIssued => {
                ("персоналізовано, не видано", "personalized, not issued")
            }
            State::ForBureau => ("передано до центрального бюро", "handed to the bureau"),
            State::Failed { .. } => ("зупинено", "stopped"),
            State::Abandoned { .. } => ("скасовано", "abandoned"),
        },
    )
}

/// The journal's state of an enrolment.
pub(super) fn journal(l: Lang, state: EnrolmentState) -> &'static str {
    pick(
        l,
        match state {
            EnrolmentState::InProgress => ("не завершено", "in progress"),
            EnrolmentState::Issued => ("картку видано", "issued"),
            EnrolmentState::Abandoned => ("скасовано", "abandoned"),
            EnrolmentState::Personalized => {
                ("персоналізовано, не видано", "personalized, not issued")
            }
            EnrolmentState::ForBureau => ("передано до центрального бюро", "handed to the bureau"),
        },
    )
}

/// The journal's state of a step.
pub(super) fn step(l: Lang, state: StepState) -> &'static str {
    pick(
        l,
        match state {
            StepState::Started => ("розпочато", "started"),
            StepState::Done => ("виконано", "done"),
            StepState::Failed => ("не вдалося", "failed"),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_said_in_both_languages() {
        for s in [
            State::Queued,
            State::Issued,
            State::ForBureau,
            State::Abandoned { reason: "x".into() },
        ] {
            assert_ne!(enrolment(Lang::Uk, &s), enrolment(Lang::En, &s));
        }
        for s in [EnrolmentState::InProgress, EnrolmentState::Personalized] {
            assert!(!journal(Lang::Uk, s).is_ascii());
        }
        assert_eq!(step(Lang::Uk, StepState::Failed), "не вдалося");
    }
}
