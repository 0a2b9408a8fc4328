//! The start page: a new application from a file, the queue (enrolments created through the
//! API or from files, with their state), and the journal's interrupted enrolments — each with
//! the step it stopped at, to resume from there (as `enroll --resume` does), or, for a
//! supervisor, to abandon.

use std::sync::Arc;

use axum::{
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use serde::Deserialize;

use super::html::{csrf_field, esc, page};
use super::i18n::{Lang, Text};
use super::{Ui, reply, signed_in};
use crate::desk::state_name;
use crate::enrolment::State as Now;
use permitkit_model::profiles::station::Role;
use permitkit_station::journal::EnrolmentState;

#[derive(Deserialize)]
pub(super) struct LangQuery {
    lang: Option<String>,
}

pub(super) async fn show(
    State(ui): State<Arc<Ui>>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    if let Some(lang) = q.lang.as_deref().and_then(Lang::parse) {
        ui.sessions.set_lang(&headers, lang);
    }
    let s = match signed_in(&ui, &headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let l = s.lang;
    let mut body = format!(
        "<h2>{new}</h2><form method=\"post\" action=\"/applicant/check\">{csrf}\
         <label>{file}<br><textarea name=\"applicant\" rows=\"8\" maxlength=\"65536\" required></textarea></label>\
         <p><button>{check}</button></p></form><h2>{queue}</h2>",
        new = l.t(Text::NewFromFile),
        csrf = csrf_field(&s),
        file = l.t(Text::ApplicantFile),
        check = l.t(Text::Check),
        queue = l.t(Text::Queue),
    );
    let queue = ui.desk.enrolments();
    if queue.is_empty() {
        body.push_str(&format!("<p>{}</p>", l.t(Text::NoneYet)));
    } else {
        body.push_str(&format!(
            "<table><tr><th>{}</th><th>{}</th><th>id</th></tr>",
            l.t(Text::Application),
            l.t(Text::State)
        ));
        for e in queue {
            body.push_str(&format!(
                "<tr><td>{app}</td><td data-state=\"{code}\">{state}</td>\
                 <td><a href=\"/enrolments/{id}\">{id}</a></td></tr>",
                app = esc(&e.application),
                code = state_name(&e.state()),
                state = super::state_words::enrolment(l, &e.state()),
                id = esc(&e.id),
            ));
        }
        body.push_str("</table>");
    }
    body.push_str(&format!("<h2>{}</h2>", l.t(Text::Interrupted)));
    let journal = ui.desk.journal().list();
    let interrupted: Vec<_> = match journal {
        Ok(list) => list
            .into_iter()
            .filter(|r| r.state == EnrolmentState::InProgress)
            .collect(),
        Err(e) => {
            tracing::error!("journal: {e}");
            return reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                page(l, "journal", Some(&s), ""),
            );
        }
    };
    if interrupted.is_empty() {
        body.push_str(&format!("<p>{}</p>", l.t(Text::NoneYet)));
    } else {
        body.push_str(&format!(
            "<table><tr><th>{}</th><th>{}</th><th>{}</th><th></th></tr>",
            l.t(Text::Application),
            l.t(Text::Step),
            l.t(Text::Operator)
        ));
        for r in interrupted {
            // The list comes without steps: the record has them.
            let steps = ui.desk.journal().record(&r.id).map(|full| full.steps);
            let step = steps
                .ok()
                .and_then(|steps| steps.last().cloned())
                .map_or_else(String::new, |st| {
                    format!(
                        "{} ({})",
                        super::step_words::step(l, st.step),
                        super::state_words::step(l, st.state)
                    )
                });
            // One the desk is running (or has queued) is not interrupted: no buttons.
            let busy = ui
                .desk
                .by_journal_id(&r.id)
                .is_some_and(|e| matches!(e.state(), Now::Queued | Now::Running { .. }));
            let resume = format!(
                "<form class=\"inline\" method=\"post\" action=\"/journal/{id}/resume\">{csrf}\
                 <button>{label}</button></form> ",
                id = esc(&r.id),
                csrf = csrf_field(&s),
                label = l.t(Text::Resume),
            );
            let abandon = if s.role == Role::Supervisor {
                format!(
                    "<form class=\"inline\" method=\"post\" action=\"/journal/{id}/abandon\">{csrf}\
                     <label>{reason} <input name=\"reason\" required maxlength=\"500\"></label> \
                     <button>{abandon}</button></form>",
                    id = esc(&r.id),
                    csrf = csrf_field(&s),
                    reason = l.t(Text::Reason),
                    abandon = l.t(Text::Abandon),
                )
            } else {
                format!("<small>{}</small>", l.t(Text::SupervisorOnly))
            };
            let action = if busy {
                format!("<em>{}</em>", l.t(Text::Running))
            } else {
                format!("{resume}{abandon}")
            };
            body.push_str(&format!(
                "<tr><td>{app}<br><small>{id}</small></td><td>{step}</td><td>{op}</td><td>{action}</td></tr>",
                app = esc(&r.application),
                id = esc(&r.id),
                step = esc(&step),
                op = esc(&r.operator),
            ));
        }
        body.push_str("</table>");
    }
    reply(StatusCode::OK, page(l, l.t(Text::Start), Some(&s), &body))
}
