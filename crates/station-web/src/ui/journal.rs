//! The journal view (every enrolment the station's journal holds, filtered by state, with no
//! personal data beyond the application number), the resume of an interrupted enrolment, as
//! `enroll --resume` does it, and the supervisor's abandon of a stuck enrolment, as
//! `enroll --abandon` does it: an operator without the supervisor role is refused (403).

use std::sync::Arc;

use axum::{
    Form,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::html::{esc, page};
use super::i18n::Text;
use super::{Ui, reply, signed_in, signed_in_form};
use crate::desk::AbandonError;
use permitkit_model::profiles::station::Role;
use permitkit_station::journal::EnrolmentState;

#[derive(Deserialize)]
pub(super) struct Filter {
    state: Option<String>,
}

pub(super) async fn show(
    State(ui): State<Arc<Ui>>,
    Query(filter): Query<Filter>,
    headers: HeaderMap,
) -> Response {
    let s = match signed_in(&ui, &headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let l = s.lang;
    let list = match ui.desk.journal().list() {
        Ok(list) => list,
        Err(e) => {
            tracing::error!("journal: {e}");
            return reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                page(l, "journal", Some(&s), ""),
            );
        }
    };
    let mut body = String::from("<p>");
    for st in [
        EnrolmentState::InProgress,
        EnrolmentState::Issued,
        EnrolmentState::Personalized,
        EnrolmentState::ForBureau,
        EnrolmentState::Abandoned,
    ] {
        body.push_str(&format!(
            "<a href=\"/journal?state={code}\">{word}</a> · ",
            code = st.as_str(),
            word = super::state_words::journal(l, st),
        ));
    }
    body.push_str(&format!(
        "<a href=\"/journal\">*</a></p><table><tr><th>id</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        l.t(Text::Application),
        l.t(Text::State),
        l.t(Text::Step),
        l.t(Text::Operator)
    ));
    // The step each enrolment reached; a journal that cannot say shows the rows without it.
    let latest = ui.desk.journal().latest_steps().unwrap_or_else(|e| {
        tracing::error!("journal steps: {e}");
        std::collections::HashMap::new()
    });
    for r in list.iter().filter(|r| {
        filter
            .state
            .as_deref()
            .is_none_or(|f| r.state.as_str() == f)
    }) {
        body.push_str(&format!(
            "<tr><td><code>{}</code></td><td>{}</td><td data-state=\"{}\">{}</td><td>{}</td>\
             <td>{}</td></tr>",
            esc(&r.id),
            esc(&r.application),
            r.state.as_str(),
            super::state_words::journal(l, r.state),
            latest
                .get(&r.id)
                .map_or_else(String::new, |(step, state)| format!(
                    "{} ({})",
                    super::step_words::step(l, *step),
                    super::state_words::step(l, *state)
                )),
            esc(&r.operator),
        ));
    }
    body.push_str("</table>");
    reply(StatusCode::OK, page(l, l.t(Text::Journal), Some(&s), &body))
}

#[derive(Deserialize)]
pub(super) struct AbandonForm {
    csrf: String,
    reason: String,
}

pub(super) async fn abandon(
    State(ui): State<Arc<Ui>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(f): Form<AbandonForm>,
) -> Response {
    let s = match signed_in_form(&ui, &headers, &f.csrf) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let l = s.lang;
    if s.role != Role::Supervisor {
        tracing::info!(operator = %s.login, "abandon refused: not a supervisor");
        return reply(
            StatusCode::FORBIDDEN,
            page(l, l.t(Text::SupervisorOnly), Some(&s), ""),
        );
    }
    let desk = Arc::clone(&ui.desk);
    let login = s.login.clone();
    let done =
        tokio::task::spawn_blocking(move || desk.abandon_journal(&id, &login, &f.reason)).await;
    match done {
        Ok(Ok(())) => Redirect::to("/").into_response(),
        Ok(Err(e @ (AbandonError::Reason | AbandonError::State(_)))) => reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            page(
                l,
                l.t(Text::Abandon),
                Some(&s),
                &format!("<p class=\"err\">{}</p>", esc(&e.to_string())),
            ),
        ),
        Ok(Err(e)) => reply(
            StatusCode::CONFLICT,
            page(
                l,
                l.t(Text::Abandon),
                Some(&s),
                &format!("<p class=\"err\">{}</p>", esc(&e.to_string())),
            ),
        ),
        Err(_) => reply(StatusCode::INTERNAL_SERVER_ERROR, String::new()),
    }
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    csrf: String,
}

/// Resumes an interrupted enrolment where it stopped (any operator may: the steps done are
/// kept, the rest run again with the same applicant) and shows its progress.
pub(super) async fn resume(
    State(ui): State<Arc<Ui>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    let s = match signed_in_form(&ui, &headers, &f.csrf) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let l = s.lang;
    let desk = Arc::clone(&ui.desk);
    let login = s.login.clone();
    let resumed = tokio::task::spawn_blocking(move || desk.resume(&id, &login)).await;
    match resumed {
        Ok(Ok(e)) => Redirect::to(&format!("/enrolments/{}", e.id)).into_response(),
        Ok(Err(e)) => {
            tracing::info!("resume refused: {e}");
            reply(
                StatusCode::CONFLICT,
                page(
                    l,
                    l.t(Text::NotResumable),
                    Some(&s),
                    &format!("<p class=\"err\">{}</p>", esc(&e.to_string())),
                ),
            )
        }
        Err(_) => reply(StatusCode::INTERNAL_SERVER_ERROR, String::new()),
    }
}
