//! The card screen: while the `personalize` and `verify` steps run, what the operator does with
//! the card — present a blank card and leave it on the reader; keep it there while it is read
//! back, checked and locked — and how far the writing is (the pipeline's `chip-progress`
//! events as a progress bar: bytes written and read back of the ChipImage's total). When either
//! step stops, what to do with the card in hand: the chip journal binds the card to the
//! enrolment, so the same card put back continues where it stopped, and a card that cannot be
//! finished is recorded spoilt and replaced by a blank one (ARCHITECTURE.md, "Issuance
//! integrity"). The operator resumes from here.

use super::Session;
use super::html::{csrf_field, esc};
use super::i18n::{Lang, Text};
use crate::enrolment::State;
use permitkit_station::cause::Cause;
use permitkit_station::pipeline::{ChipPhase, Event, Step};

/// Where the card is in the enrolment, from its events.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CardPhase {
    /// The card step running last (`personalize` or `verify`), if one started.
    step: Option<Step>,
    /// The last progress: bytes done, bytes in all, what is happening.
    progress: Option<(u64, u64, ChipPhase)>,
}

fn phase(events: &[Event]) -> CardPhase {
    let mut phase = CardPhase {
        step: None,
        progress: None,
    };
    for ev in events {
        match ev {
            Event::StepStarted { step } if is_card_step(*step) => phase.step = Some(*step),
            Event::ChipProgress {
                phase: now,
                done,
                total,
                ..
            } => phase.progress = Some((*done, *total, now.clone())),
            _ => {}
        }
    }
    phase
}

fn is_card_step(step: Step) -> bool {
    matches!(step, Step::Personalize | Step::Verify)
}

fn instruction(l: Lang, step: Option<Step>) -> &'static str {
    match step {
        Some(Step::Verify) => l.t(Text::CardReadBack),
        _ => l.t(Text::CardPresent),
    }
}

/// The card section of the progress page. While the enrolment runs it is there from the start
/// (hidden until a card step begins, so the page's script can show it); once the enrolment
/// stopped at a card step, unless its events show no card was reached, it says what to do
/// with the card and offers the resume.
pub(super) fn section(
    s: &Session,
    events: &[Event],
    state: &State,
    journal_id: Option<&str>,
) -> String {
    let l = s.lang;
    if let State::Failed { step, cause, .. } = state {
        // Not when the events show no card was reached (a reader that never opened leaves no
        // card in hand), nor when the failure left the card untouched (stopped at the review:
        // the failure notice says so); an enrolment restored after a restart has no events,
        // only the journal's failed step, and may have a card half written.
        let reached = events.is_empty() || phase(events).progress.is_some();
        let untouched = cause.is_some_and(Cause::card_untouched);
        if !is_card_step(*step) || !reached || untouched {
            return String::new();
        }
        let resume = journal_id.map_or_else(String::new, |id| {
            format!(
                "<form method=\"post\" action=\"/journal/{id}/resume\">{csrf}\
                 <button id=\"card-resume\" autofocus>{resume}</button></form>",
                id = esc(id),
                csrf = csrf_field(s),
                resume = l.t(Text::Resume),
            )
        });
        return format!(
            "<section id=\"card\" class=\"card-stopped\" role=\"alert\" aria-label=\"{title}\">\
             <h2>{title}</h2><p><strong>{stopped}</strong></p><p>{what}</p>{resume}</section>",
            title = l.t(Text::CardTitle),
            stopped = l.t(Text::CardStopped),
            what = l.t(Text::CardPutBack),
        );
    }
    if state.is_final() {
        return String::new();
    }
    let p = phase(events);
    let (done, total, message) = p.progress.map_or((0, 0, String::new()), |(d, t, now)| {
        (d, t, super::event_line::chip_phase(l, &now))
    });
    format!(
        "{STYLE}<section id=\"card\" aria-label=\"{title}\"{hidden}><h2>{title}</h2>\
         <p id=\"card-do\" role=\"status\" aria-live=\"polite\" data-present=\"{present}\" \
         data-read-back=\"{read_back}\">{now}</p>\
         <p><progress id=\"card-progress\" max=\"{max}\" value=\"{done}\"></progress> \
         <span id=\"card-msg\">{message}</span></p></section>",
        title = l.t(Text::CardTitle),
        hidden = if p.step.is_some() { "" } else { " hidden" },
        present = l.t(Text::CardPresent),
        read_back = l.t(Text::CardReadBack),
        now = instruction(l, p.step),
        max = total.max(1),
        done = done.min(total.max(1)),
        message = esc(&message),
    )
}

const STYLE: &str = "<style>#card[hidden]{display:none}#card{background:#fff;border:1px solid \
#d0d4da;padding:.6rem;margin:.5rem 0}#card h2{margin:.1rem 0 .4rem;font-size:1.1rem}#card-do\
{font-size:1.3rem;font-weight:600;border-left:6px solid #0b3d91;padding:.3rem .6rem;margin:.2rem 0 \
.6rem}#card-progress{width:min(36rem,70%);height:1.3rem;vertical-align:middle}</style>";

/// The page's script for the card section: shown at the first card step, its instruction for
/// the step running, the progress bar from each `chip-progress` event.
pub(super) fn script() -> &'static str {
    "<script>(function(){var c=document.getElementById('card');var s=window.pkEvents;\
if(!c||!s)return;var d=document.getElementById('card-do'),b=document.getElementById('card-progress'),\
m=document.getElementById('card-msg');s.addEventListener('step-started',function(e){var v=JSON.parse(e.data);\
if(v.step==='personalize'||v.step==='verify'){c.hidden=false;d.textContent=v.step==='verify'?\
d.dataset.readBack:d.dataset.present;}});s.addEventListener('chip-progress',function(e){var v=\
JSON.parse(e.data);c.hidden=false;if(v.total>0){b.max=v.total;b.value=Math.min(v.done,v.total);}\
m.textContent=v.text||v.message||'';});})();</script>"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(lang: Lang) -> Session {
        Session::for_test("olena", lang)
    }

    #[test]
    fn the_section_follows_the_card_steps_and_their_progress() {
        let s = session(Lang::En);
        let running = State::Running { step: None };
        let before = section(&s, &[], &running, None);
        assert!(before.contains("<section id=\"card\"") && before.contains(" hidden>"));
        let events = [
            Event::StepStarted {
                step: Step::Personalize,
            },
            Event::ChipProgress {
                message: "writing DG2".into(),
                phase: ChipPhase::Writing { file: "DG2".into() },
                done: 30_000,
                total: 96_000,
            },
        ];
        let writing = section(&s, &events, &running, None);
        assert!(!writing.contains(" hidden>"), "{writing}");
        assert!(writing.contains(Lang::En.t(Text::CardPresent)));
        assert!(
            writing.contains("max=\"96000\" value=\"30000\""),
            "{writing}"
        );
        assert!(writing.contains("writing DG2"));
        let uk = section(&session(Lang::Uk), &events, &running, None);
        assert!(uk.contains("запис DG2"), "{uk}");
        let reading = section(
            &s,
            &[events[0].clone(), Event::StepStarted { step: Step::Verify }],
            &running,
            None,
        );
        assert!(
            reading.contains(Lang::En.t(Text::CardReadBack)),
            "{reading}"
        );
    }

    #[test]
    fn a_card_step_that_stopped_says_what_to_do_with_the_card_and_offers_the_resume() {
        let s = session(Lang::Uk);
        let failed = State::Failed {
            step: Step::Personalize,
            error: "the card left the field".into(),
            cause: Some(Cause::CardPulled),
        };
        // The reader never opened: no card in hand, nothing to say about one.
        let no_card = [Event::StepStarted {
            step: Step::Personalize,
        }];
        assert_eq!(section(&s, &no_card, &failed, Some("TRP-1-abc")), "");
        // Restored after a restart: no events, the journal's failed step; a card may be in hand.
        assert!(section(&s, &[], &failed, Some("TRP-1-abc")).contains("id=\"card\""));
        let reached = [Event::ChipProgress {
            message: "card 504B-5631 (blank)".into(),
            phase: ChipPhase::Identified {
                serial: "504B-0001-0002-00000001".parse().unwrap(),
                life: permitkit_chip::identity::CardLife::Blank,
            },
            done: 0,
            total: 0,
        }];
        let html = section(&s, &reached, &failed, Some("TRP-1-abc"));
        assert!(html.contains(Lang::Uk.t(Text::CardPutBack)), "{html}");
        assert!(
            html.contains("action=\"/journal/TRP-1-abc/resume\""),
            "{html}"
        );
        assert!(
            html.contains(&s.csrf),
            "the form carries the session's token"
        );
        // Another step's failure is not the card's; a finished enrolment shows no card section.
        let photo = State::Failed {
            step: Step::Photo,
            error: "no face".into(),
            cause: Some(Cause::NoPortrait),
        };
        assert_eq!(section(&s, &reached, &photo, Some("x")), "");
        // Stopped at the review after the card was identified: nothing was written, the card
        // is not "not finished" (the failure notice says what happened); a restart keeps the
        // cause from the journal.
        let reviewed = State::Failed {
            step: Step::Personalize,
            error: "the card is not written: olena stopped at the review".into(),
            cause: Some(Cause::StoppedAtReview),
        };
        assert_eq!(section(&s, &reached, &reviewed, Some("x")), "");
        assert_eq!(section(&s, &[], &reviewed, Some("x")), "");
        // A failure kept by an older journal, without a cause: the card may be in hand.
        let older = State::Failed {
            step: Step::Personalize,
            error: "the card is NOT done".into(),
            cause: None,
        };
        assert!(section(&s, &[], &older, Some("x")).contains("id=\"card\""));
        assert_eq!(section(&s, &reached, &State::Issued, Some("x")), "");
    }
}
