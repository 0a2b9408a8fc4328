//! One line per pipeline event in the operator's language, for the progress page and its live
//! list (the UI's event stream adds it to each event as `text`; the integration API's stream
//! does not). Steps, summaries, failures and the card's progress are said from the events'
//! typed fields; the English messages the events also carry are what the API and the terminal
//! show.

use super::fingers::finger_name;
use super::i18n::Lang;
use super::step_words::{step, summary};
use permitkit_station::pipeline::{ChipPhase, Event, SkipReason};

/// What the card writing is doing.
pub(super) fn chip_phase(l: Lang, phase: &ChipPhase) -> String {
    match (l, phase) {
        (Lang::En, p) => p.to_string(),
        (Lang::Uk, ChipPhase::Identified { serial, life }) => {
            format!("картка {serial} ({})", card_life(*life))
        }
        (Lang::Uk, ChipPhase::Replacing { spoilt }) => {
            format!("картку {spoilt} визнано зіпсованою; її замінює чиста картка")
        }
        (Lang::Uk, ChipPhase::Resuming { attempt }) => {
            format!("продовження перерваного запису (спроба {attempt})")
        }
        (Lang::Uk, ChipPhase::Writing { file }) => format!("запис {file}"),
        (Lang::Uk, ChipPhase::StoringKeys) => "збереження ключів доступу".to_owned(),
        (Lang::Uk, ChipPhase::ReadBack { file }) => format!("{file} прочитано й звірено"),
        (Lang::Uk, ChipPhase::PassiveAuthentication) => "пасивна автентифікація".to_owned(),
        (Lang::Uk, ChipPhase::Locked) => "картку заблоковано".to_owned(),
    }
}

fn card_life(life: permitkit_chip::identity::CardLife) -> &'static str {
    use permitkit_chip::identity::CardLife;
    match life {
        CardLife::Blank => "чиста",
        CardLife::Started => "запис розпочато",
        CardLife::Issued => "видана, заблокована",
    }
}

/// The event's line: `None` for events the list does not show.
pub(super) fn line(l: Lang, event: &Event) -> Option<String> {
    let uk = l == Lang::Uk;
    Some(match event {
        Event::Begin {
            application,
            resumed,
            ..
        } => match (uk, *resumed) {
            (true, false) => format!("Оформлення заяви {application} розпочато"),
            (true, true) => format!("Оформлення заяви {application} відновлено"),
            (false, false) => format!("Enrolment of application {application} begun"),
            (false, true) => format!("Enrolment of application {application} resumed"),
        },
        Event::StepStarted { step: s } => {
            format!(
                "{}: {}",
                step(l, *s),
                if uk { "розпочато" } else { "started" }
            )
        }
        Event::StepSkipped { step: s, reason } => format!(
            "{}: {}",
            step(l, *s),
            match (uk, reason) {
                (true, SkipReason::DoneEarlier) => "виконано раніше (з журналу)".to_owned(),
                (false, r) => r.to_string(),
                #[allow(unreachable_patterns, reason = "SkipReason may grow")]
                (true, r) => r.to_string(),
            }
        ),
        Event::StepDone {
            step: s,
            summary: english,
            result,
            ..
        } => format!(
            "{}: {} — {}",
            step(l, *s),
            if uk { "виконано" } else { "done" },
            summary(l, result, english)
        ),
        Event::StepFailed { step: s, cause, .. } => format!(
            "{}: {} — {}",
            step(l, *s),
            if uk { "не вдалося" } else { "failed" },
            super::failure::cause(l, *cause).0
        ),
        Event::Guidance { advice, .. } => super::advice::advice(l, advice),
        Event::FrameGood { streak, needed, .. } => {
            if uk {
                format!("Добрий кадр: {streak} з {needed}")
            } else {
                format!("Good frame: {streak} of {needed}")
            }
        }
        Event::PresentFinger { finger } => {
            if uk {
                format!("Прикладіть палець: {}", finger_name(l, *finger))
            } else {
                format!("Present the finger: {}", finger_name(l, *finger))
            }
        }
        Event::ChipProgress { phase, .. } => chip_phase(l, phase),
        Event::Issued { .. } => if uk {
            "Картку видано: записано, прочитано, заблоковано й перевірено"
        } else {
            "The card is issued: written, read back, locked and verified"
        }
        .to_owned(),
        Event::PersonalizedNotIssued { .. } => if uk {
            "Картку персоналізовано й перевірено, але не заблоковано: не видано"
        } else {
            "The card is personalized and verified but not locked: not issued"
        }
        .to_owned(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use permitkit_station::cause::Cause;
    use permitkit_station::pipeline::Step;

    #[test]
    fn lines_are_in_the_operators_language() {
        let failed = Event::StepFailed {
            step: Step::Personalize,
            error: "the card is NOT done; present the same card again and resume".into(),
            cause: Cause::CardPulled,
        };
        let uk = line(Lang::Uk, &failed).unwrap();
        assert!(
            uk.starts_with("Запис картки: не вдалося — Картку забрали"),
            "{uk}"
        );
        let en = line(Lang::En, &failed).unwrap();
        assert!(
            en.starts_with("Writing the card: failed — The card left"),
            "{en}"
        );
        let writing = Event::ChipProgress {
            message: "writing DG2".into(),
            phase: ChipPhase::Writing { file: "DG2".into() },
            done: 10,
            total: 20,
        };
        assert_eq!(line(Lang::Uk, &writing).unwrap(), "запис DG2");
        assert_eq!(line(Lang::En, &writing).unwrap(), "writing DG2");
        let started = Event::StepStarted { step: Step::Photo };
        assert_eq!(line(Lang::Uk, &started).unwrap(), "Фото: розпочато");
    }
}
