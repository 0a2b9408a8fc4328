//! The card progress page and the done page: while the enrolment runs, each pipeline event is
//! added to the page as it happens (the browser's `EventSource` on the session-guarded event
//! stream, the same stream the API serves); while the signature step waits for a signature
//! drawn on screen, the page is the signing canvas; once it is final, the page shows the
//! outcome — issued, or queued for the central bureau — and each step's one-line summary. The
//! photo screen ([`super::photo`]) sits above the events: the live preview while the photo
//! step runs, the portrait for the chip once taken (also on the done page, until the desk
//! begins its next enrolment), the keep-or-retake question when the station asks for it; the
//! review of the card before it is written ([`super::review`]) when the station asks for it.

use std::sync::Arc;

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};

use super::html::esc;
use super::i18n::Text;
use super::{Ui, reply, signed_in};
use crate::desk::state_name;
use crate::enrolment::State as EnrolmentState;
use permitkit_station::cause::Cause;
use permitkit_station::pipeline::Event;

const SCRIPT: &str = "<script>(function(){var l=document.getElementById('events');\
var s=new EventSource(location.pathname+'/events');window.pkEvents=s;var n=0;\
s.onmessage=function(){};['begin','step-started','step-done','step-failed','step-skipped','guidance',\
'present-finger','chip-progress','issued','personalized-not-issued'].forEach(function(k){\
s.addEventListener(k,function(e){n++;if(n<=l.children.length)return;var d=JSON.parse(e.data);\
if(!d.text)return;var li=document.createElement('li');li.textContent=d.text;l.appendChild(li);\
l.scrollTop=l.scrollHeight;});});\
s.addEventListener('state',function(){s.close();location.reload();});\
s.addEventListener('signature-wanted',function(){s.close();location.reload();});\
s.addEventListener('card-review-wanted',function(){s.close();location.reload();});})();</script>";

pub(super) async fn show(
    State(ui): State<Arc<Ui>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let s = match signed_in(&ui, &headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let l = s.lang;
    let Some(e) = ui.desk.enrolment(&id) else {
        return reply(
            StatusCode::NOT_FOUND,
            super::html::page(l, "404", Some(&s), ""),
        );
    };
    let (events, state) = e.events_from(0);
    if state == EnrolmentState::AwaitingApproval {
        return axum::response::IntoResponse::into_response(axum::response::Redirect::to(
            &format!("/enrolments/{}/approval", e.id),
        ));
    }
    let mut body = format!(
        "<p>{app}: <strong>{application}</strong> — {st}: <strong id=\"state\" data-state=\"{code}\">{state}</strong>{journal}</p>",
        app = l.t(Text::Application),
        application = esc(&e.application),
        st = l.t(Text::State),
        code = state_name(&state),
        state = super::state_words::enrolment(l, &state),
        journal = e
            .journal_id()
            .map_or_else(String::new, |j| format!(" — <code>{}</code>", esc(&j))),
    );
    if let EnrolmentState::Failed { step, error, cause } = &state {
        // A portrait that never came: the last thing the operator was told to fix.
        let last = (*cause == Some(Cause::NoPortrait))
            .then(|| {
                events
                    .iter()
                    .rev()
                    .find(|ev| matches!(ev, Event::Guidance { .. }))
                    .and_then(|ev| super::event_line::line(l, ev))
            })
            .flatten();
        body.push_str(&super::failure::notice(
            l,
            *step,
            *cause,
            error,
            last.as_deref(),
        ));
    }
    if let EnrolmentState::ForBureau = &state {
        body.push_str(&format!(
            "<p id=\"bureau\" role=\"status\"><strong>{}</strong></p>",
            l.t(Text::QueuedForBureau)
        ));
    }
    let final_ = state.is_final();
    if !final_ && let Some(why) = e.wants_signature() {
        body.push_str(&super::signature::section(&s, e.sign_on_screen, &why));
        return reply(
            StatusCode::OK,
            super::html::page(l, l.t(Text::SignatureTitle), Some(&s), &body),
        );
    }
    if !final_ && let Some(sheet) = e.card.waiting() {
        body.push_str(&super::review::section(&s, &e, &sheet));
        return reply(
            StatusCode::OK,
            super::html::page(l, l.t(Text::ReviewTitle), Some(&s), &body),
        );
    }
    if !final_ && e.photo.reviewing() {
        body.push_str(&super::photo::review(&s, &e));
        return reply(
            StatusCode::OK,
            super::html::page(l, l.t(Text::PhotoReviewTitle), Some(&s), &body),
        );
    }
    body.push_str(&super::photo::section(l, &e, &events, !final_));
    body.push_str(&super::card::section(
        &s,
        &events,
        &state,
        e.journal_id().as_deref(),
    ));
    let shown: Vec<&Event> = events
        .iter()
        // The fingers table shows the finger events.
        .filter(|ev| !super::fingers::in_table(ev))
        .filter(|ev| {
            !final_
                || matches!(
                    ev,
                    Event::StepDone { .. }
                        | Event::StepFailed { .. }
                        | Event::Issued { .. }
                        | Event::PersonalizedNotIssued { .. }
                )
        })
        .collect();
    body.push_str(&super::fingers::progress_section(&ui, l, &e, &events));
    body.push_str("<ol id=\"events\" aria-live=\"polite\">");
    for line in shown
        .into_iter()
        .filter_map(|ev| super::event_line::line(l, ev))
    {
        body.push_str(&format!("<li>{}</li>", esc(&line)));
    }
    body.push_str("</ol>");
    let title = if final_ {
        if e.photo.portrait().is_none() {
            body.push_str(&format!("<p><em>{}</em></p>", l.t(Text::NoBiometricsHere)));
        }
        if matches!(state, EnrolmentState::Failed { .. }) {
            l.t(Text::Stopped)
        } else {
            l.t(Text::Done)
        }
    } else {
        body.push_str(SCRIPT);
        body.push_str(super::photo::script());
        body.push_str(super::card::script());
        l.t(Text::Progress)
    };
    reply(StatusCode::OK, super::html::page(l, title, Some(&s), &body))
}

pub(super) async fn events(
    State(ui): State<Arc<Ui>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let lang = match signed_in(&ui, &headers) {
        Ok(s) => s.lang,
        Err(r) => return *r,
    };
    match ui.desk.enrolment(&id) {
        Some(e) => crate::api::sse_response_described(
            e,
            Some(Arc::new(move |ev: &Event| {
                super::event_line::line(lang, ev)
            })),
        ),
        None => reply(StatusCode::NOT_FOUND, String::new()),
    }
}
