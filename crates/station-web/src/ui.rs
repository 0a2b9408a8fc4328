//! The operator screens (issue 14 §2, §3), server-rendered HTML with its style embedded and a
//! few lines of inline script for the live progress (the browser's `EventSource`; no Node
//! build, no CDN): sign-in with the station profile's local accounts (Argon2id), sessions that
//! expire, a login locked for a while after repeated wrong passwords, a CSRF token on every form, the start page (new application from a file, the queue
//! fed by the integration API and files, interrupted enrolments, abandon for supervisors), the
//! applicant data with every field error and the MRZ exactly as it will be printed, the card's
//! progress fed by the pipeline's events, the photo screen (the live preview with its overlay,
//! the guidance, the good-frame streak, the chip's crop, keep or retake), the fingers screen
//! (each position's status live), the review of everything that goes on the chip before the
//! card is written (each file's size against the chip's budget), and the finger exceptions a supervisor approves before the
//! start, the signature drawn on screen when the station has no pad or the operator chose it,
//! the done page (the chip's crop only while it is held), resume of an interrupted enrolment,
//! the journal.
//! Ukrainian or English, the operator's choice.

mod accounts;
mod advice;
mod applicant;
mod card;
mod event_line;
mod failure;
mod fingers;
mod html;
mod i18n;
mod journal;
mod login;
mod photo;
mod progress;
mod review;
mod session;
mod signature;
mod start;
mod state_words;
mod step_words;

use std::sync::Arc;

use axum::{
    Router,
    extract::DefaultBodyLimit,
    http::{HeaderMap, StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};

use crate::desk::Desk;
pub use crate::sign_in_limit::{SignInLimit, SignInLimitError};
pub use accounts::Accounts;
pub use i18n::Lang;
pub use session::{COOKIE, Session, Sessions};
pub use signature::CSRF_HEADER;

/// What the screens share.
#[derive(Debug)]
pub struct Ui {
    /// The desk.
    pub desk: Arc<Desk>,
    /// Operator accounts.
    pub accounts: Accounts,
    /// Live sessions.
    pub sessions: Sessions,
    /// Failed sign-ins per login, and the logins locked out for a while (kept in the station's
    /// state folder).
    pub sign_ins: SignInLimit,
}

impl Ui {
    /// The screens over `desk`, accounts and session lifetime from its station profile, the
    /// sign-in limit read back from the desk's state folder.
    pub fn new(desk: Arc<Desk>) -> Result<Arc<Self>, SignInLimitError> {
        let web = &desk.profile().web;
        let sign_ins = SignInLimit::open(
            desk.state_dir().join(crate::sign_in_limit::FILE),
            std::time::SystemTime::now(),
        )?;
        Ok(Arc::new(Self {
            accounts: Accounts::from_profile(web),
            sessions: Sessions::new(web.session_minutes),
            sign_ins,
            desk,
        }))
    }
}

/// The operator screens' routes.
pub fn router(ui: Arc<Ui>) -> Router {
    Router::new()
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/", get(start::show))
        .route("/applicant/check", post(applicant::check))
        .route("/applicant/start", post(applicant::start))
        .route("/enrolments/{id}", get(progress::show))
        .route("/enrolments/{id}/events", get(progress::events))
        .route("/enrolments/{id}/fingers", get(fingers::fragment))
        .route(
            "/enrolments/{id}/approval",
            get(fingers::approval).post(fingers::approve),
        )
        .route("/enrolments/{id}/preview.jpg", get(photo::preview))
        .route("/enrolments/{id}/portrait.jpg", get(photo::portrait))
        .route("/enrolments/{id}/photo", post(photo::decide))
        .route("/enrolments/{id}/review", post(review::decide))
        .route(
            "/enrolments/{id}/review/signature.jpg",
            get(review::signature),
        )
        .route("/journal", get(journal::show))
        .route("/journal/{id}/abandon", post(journal::abandon))
        .route("/journal/{id}/resume", post(journal::resume))
        // An applicant file travels twice in the start form (escaped): room for both.
        .layer(DefaultBodyLimit::max(4 * crate::api::MAX_BODY))
        // A drawn signature: one past the checked limit, so that the check says why.
        .route(
            "/enrolments/{id}/signature",
            post(signature::upload).layer(DefaultBodyLimit::max(
                crate::signature_upload::MAX_UPLOAD + 1,
            )),
        )
        .with_state(ui)
}

/// The signed-in session, or the response that sends the browser to sign in.
fn signed_in(ui: &Ui, headers: &HeaderMap) -> Result<Session, Box<Response>> {
    ui.sessions
        .current(headers)
        .ok_or_else(|| Box::new(Redirect::to("/login").into_response()))
}

/// The signed-in session of a form post whose CSRF token is `csrf`, or the response that sends
/// the browser to sign in, or refuses the form (403).
fn signed_in_form(ui: &Ui, headers: &HeaderMap, csrf: &str) -> Result<Session, Box<Response>> {
    let s = signed_in(ui, headers)?;
    if !s.csrf_ok(csrf) {
        let l = s.lang;
        return Err(Box::new(reply(
            StatusCode::FORBIDDEN,
            html::page(l, l.t(i18n::Text::BadForm), Some(&s), ""),
        )));
    }
    Ok(s)
}

/// The form that answers a question the station waits for on screen (keep or retake the
/// portrait, write or stop the card): the session's token and the answer.
#[derive(Debug, serde::Deserialize)]
pub(super) struct DecisionForm {
    csrf: String,
    decision: String,
}

/// The signed-in operator, the enrolment `id` and the answer `parse` reads from `form`; or the
/// reply to send instead: sign-in or token refused, no such enrolment (404), an answer that is
/// none of the question's (400).
fn decided<T>(
    ui: &Ui,
    headers: &HeaderMap,
    id: &str,
    form: &DecisionForm,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<(Session, Arc<crate::enrolment::Enrolment>, T), Box<Response>> {
    let s = signed_in_form(ui, headers, &form.csrf)?;
    let l = s.lang;
    let Some(e) = ui.desk.enrolment(id) else {
        return Err(Box::new(reply(
            StatusCode::NOT_FOUND,
            html::page(l, "404", Some(&s), ""),
        )));
    };
    let Some(answer) = parse(&form.decision) else {
        return Err(Box::new(reply(
            StatusCode::BAD_REQUEST,
            html::page(l, l.t(i18n::Text::BadForm), Some(&s), ""),
        )));
    };
    Ok((s, e, answer))
}

/// A page with `status`.
fn reply(status: StatusCode, html: String) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

/// The role's name as shown.
fn role_name(role: permitkit_model::profiles::station::Role) -> &'static str {
    match role {
        permitkit_model::profiles::station::Role::Operator => "operator",
        permitkit_model::profiles::station::Role::Supervisor => "supervisor",
    }
}
