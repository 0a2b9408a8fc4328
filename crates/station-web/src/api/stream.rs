//! `GET /api/v1/enrolments/{id}/events`: the enrolment's events as Server-Sent Events (WHATWG
//! HTML §9.2): every event from the first (a late subscriber replays them), each as
//! `event: <kind>` and `data: <JSON>` (the pipeline's `Event` as `enroll --json` prints it),
//! then, once the enrolment reaches a final state, one `event: state` with the state, and the
//! stream ends. While the signature step waits for a signature drawn on the operator's screen,
//! one `event: signature-wanted` says so (with why: no pad, or the operator's choice); while
//! the photo step waits for the operator to keep or retake the portrait (`[web]
//! photo_review`), one `event: photo-review-wanted`; while the card waits for the operator's
//! review before it is written (`[web] review_before_card`), one `event: card-review-wanted`.
//! Comments keep the connection alive while a step runs. The operator's progress page reads the
//! same stream with each event's line in the operator's language added as `text`
//! ([`sse_response_described`]).

use std::{convert::Infallible, sync::Arc};

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{
        IntoResponse, Response,
        sse::{Event as SseEvent, KeepAlive, Sse},
    },
};
use futures_util::stream::{self, Stream};
use tokio::sync::watch;

use super::error;
use crate::desk::Desk;
use crate::enrolment::Enrolment;
use permitkit_station::pipeline::Event;

pub(super) async fn events(State(desk): State<Arc<Desk>>, Path(id): Path<String>) -> Response {
    match desk.enrolment(&id) {
        Some(e) => sse_response(e),
        None => error(StatusCode::NOT_FOUND, "no such enrolment"),
    }
}

/// The event stream of `enrolment`.
pub fn sse_response(enrolment: Arc<Enrolment>) -> Response {
    sse_response_described(enrolment, None)
}

/// Says an event in a reader's language (`None`: an event not shown).
pub type Describe = Arc<dyn Fn(&Event) -> Option<String> + Send + Sync>;

/// The event stream of `enrolment`, each event with its line from `describe`, when given, as
/// `text` (the operator's progress page's source).
pub fn sse_response_described(enrolment: Arc<Enrolment>, describe: Option<Describe>) -> Response {
    Sse::new(event_stream(enrolment, describe))
        .keep_alive(KeepAlive::default())
        .into_response()
}

struct Cursor {
    enrolment: Arc<Enrolment>,
    changes: watch::Receiver<u64>,
    next: usize,
    pending: std::collections::VecDeque<SseEvent>,
    ended: bool,
    /// A `signature-wanted` was sent for the wait going on.
    asked: bool,
    /// A `photo-review-wanted` was sent for the review going on.
    review_asked: bool,
    /// A `card-review-wanted` was sent for the review going on.
    card_asked: bool,
    /// Adds each event's line as `text`.
    describe: Option<Describe>,
}

fn event_stream(
    enrolment: Arc<Enrolment>,
    describe: Option<Describe>,
) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    let cursor = Cursor {
        changes: enrolment.subscribe(),
        enrolment,
        next: 0,
        pending: std::collections::VecDeque::new(),
        ended: false,
        asked: false,
        review_asked: false,
        card_asked: false,
        describe,
    };
    stream::unfold(cursor, |mut c| async move {
        loop {
            if let Some(event) = c.pending.pop_front() {
                return Some((Ok(event), c));
            }
            if c.ended {
                return None;
            }
            // Marked seen before reading, so a change made after the read still wakes us.
            let _seen = *c.changes.borrow_and_update();
            let (events, state) = c.enrolment.events_from(c.next);
            c.next = c.next.saturating_add(events.len());
            for e in &events {
                let text = c.describe.as_ref().and_then(|d| d(e));
                c.pending.push_back(to_sse(e, text));
            }
            let wanted = c.enrolment.wants_signature();
            if let Some(why) = &wanted
                && !c.asked
            {
                let data = serde_json::json!({ "event": "signature-wanted", "reason": why });
                c.pending.push_back(
                    SseEvent::default()
                        .event("signature-wanted")
                        .data(data.to_string()),
                );
            }
            c.asked = wanted.is_some();
            let reviewing = c.enrolment.photo.reviewing();
            if reviewing && !c.review_asked {
                let data = serde_json::json!({ "event": "photo-review-wanted" });
                c.pending.push_back(
                    SseEvent::default()
                        .event("photo-review-wanted")
                        .data(data.to_string()),
                );
            }
            c.review_asked = reviewing;
            let card = c.enrolment.card.waiting().is_some();
            if card && !c.card_asked {
                let data = serde_json::json!({ "event": "card-review-wanted" });
                c.pending.push_back(
                    SseEvent::default()
                        .event("card-review-wanted")
                        .data(data.to_string()),
                );
            }
            c.card_asked = card;
            if state.is_final() {
                let data = serde_json::to_string(&state).unwrap_or_default();
                c.pending
                    .push_back(SseEvent::default().event("state").data(data));
                c.ended = true;
                continue;
            }
            if c.pending.is_empty() && c.changes.changed().await.is_err() {
                return None;
            }
        }
    })
}

fn to_sse(event: &Event, text: Option<String>) -> SseEvent {
    let mut value = serde_json::to_value(event).unwrap_or_default();
    if let (Some(text), Some(object)) = (text, value.as_object_mut()) {
        object.insert("text".to_owned(), serde_json::Value::String(text));
    }
    let kind = value
        .get("event")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("event")
        .to_owned();
    SseEvent::default().event(kind).data(value.to_string())
}
