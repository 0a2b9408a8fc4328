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
use permitkit_station::pipeline::Event;

const SCRIPT: &str = "<script>(function(){var l=document.getElementById('events');\
var s=new EventSource(location.pathname+'/events');window.pkEvents=s;var n=0;\
s.onmessage=function(){};['begin','step-started','step-done','step-failed','step-skipped','guidance',\
'present-finger','chip-progress','issued','personalized-not-issued'].forEach(function(k){\
s.addEventListener(k,function(e){n++;if(n<=l.children.length)return;var d=JSON.parse(e.data);\
var li=document.createElement('li');li.textContent=k+(d.step?' '+d.step:'')+(d.summary?': '+d.summary:'')\
+(d.message?': '+d.message:'')+(d.error?': '+d.error:'');l.appendChild(li);l.scrollTop=l.scrollHeight;});});\
s.addEventListener('state',function(){s.close();location.reload();});\
s.addEventListener('signature-wanted',function(){s.close();location.reload();});\
s.addEventListener('card-review-wanted',function(){s.close();location.reload();});})();</script>";

fn line(event: &Event) -> String {
    let v = serde_json::to_value(event).unwrap_or_default();
    let field = |k: &str| {
        v.get(k)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let mut out = field("event");
    for k in ["step", "summary", "message", "error"] {
        let f = field(k);
        if !f.is_empty() {
            out.push_str(if k == "step" { " " } else { ": " });
            out.push_str(&f);
        }
    }
    out
}

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
        "<p>{app}: <strong>{application}</strong> — {st}: <strong id=\"state\">{state}</strong>{journal}</p>",
        app = l.t(Text::Application),
        application = esc(&e.application),
        st = l.t(Text::State),
        state = state_name(&state),
        journal = e
            .journal_id()
            .map_or_else(String::new, |j| format!(" — <code>{}</code>", esc(&j))),
    );
    if let EnrolmentState::Failed { step, error } = &state {
        // The pipeline's error usually names its step already.
        let prefix = format!("{step}: ");
        let error = error.strip_prefix(&prefix).unwrap_or(error);
        body.push_str(&format!(
            "<p class=\"err\" role=\"alert\">{prefix}{}</p>",
            esc(error)
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
        body.push_str(&super::signature::section(&s, &why));
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
    for ev in shown {
        body.push_str(&format!("<li>{}</li>", esc(&line(ev))));
    }
    body.push_str("</ol>");
    let title = if final_ {
        if e.photo.portrait().is_none() {
            body.push_str(&format!("<p><em>{}</em></p>", l.t(Text::NoBiometricsHere)));
        }
        l.t(Text::Done)
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
    if let Err(r) = signed_in(&ui, &headers) {
        return *r;
    }
    match ui.desk.enrolment(&id) {
        Some(e) => crate::api::sse_response(e),
        None => reply(StatusCode::NOT_FOUND, String::new()),
    }
}
