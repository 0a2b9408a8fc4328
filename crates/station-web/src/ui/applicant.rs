//! The applicant data screen: the file checked exactly as `enroll` checks it (every problem
//! with its field, as the CLI words it), and when it is valid the MRZ exactly as it will be
//! printed (ICAO Doc 9303-5 TD1: three lines of 30 characters, check digits computed, the name
//! transliterated and truncated), with a note when the name was truncated; then the start.

use std::sync::Arc;

use axum::{
    Form,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::html::{csrf_field, esc, page};
use super::i18n::Text;
use super::{Ui, reply, signed_in};
use crate::applicant_json::FieldError;
use crate::desk::{CreateError, Created};

/// The largest applicant file accepted from the form, bytes.
const MAX_FILE: usize = 64 * 1024;

#[derive(Deserialize)]
pub(super) struct ApplicantForm {
    csrf: String,
    applicant: String,
}

fn refused(ui: &Ui, headers: &HeaderMap, csrf: &str) -> Result<super::Session, Box<Response>> {
    let s = signed_in(ui, headers)?;
    if !s.csrf_ok(csrf) {
        return Err(Box::new(reply(
            StatusCode::FORBIDDEN,
            page(s.lang, s.lang.t(Text::BadForm), Some(&s), ""),
        )));
    }
    Ok(s)
}

fn errors_table(s: &super::Session, errors: &[FieldError]) -> String {
    let l = s.lang;
    let mut out = format!(
        "<h2 class=\"err\">{}</h2><table><tr><th>{}</th><th>{}</th></tr>",
        l.t(Text::FieldErrors),
        l.t(Text::Field),
        l.t(Text::Problem)
    );
    for e in errors {
        out.push_str(&format!(
            "<tr><td><code>{}</code></td><td class=\"err\">{}</td></tr>",
            esc(&e.field),
            esc(&e.message)
        ));
    }
    out.push_str("</table>");
    out
}

fn form(s: &super::Session, text: &str) -> String {
    let l = s.lang;
    format!(
        "<form method=\"post\" action=\"/applicant/check\">{csrf}\
         <label>{file}<br><textarea name=\"applicant\" rows=\"14\" maxlength=\"65536\">{text}</textarea></label>\
         <p><button>{check}</button></p></form>",
        csrf = csrf_field(s),
        file = l.t(Text::ApplicantFile),
        text = esc(text),
        check = l.t(Text::Check),
    )
}

pub(super) async fn check(
    State(ui): State<Arc<Ui>>,
    headers: HeaderMap,
    Form(f): Form<ApplicantForm>,
) -> Response {
    let s = match refused(&ui, &headers, &f.csrf) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let l = s.lang;
    if f.applicant.len() > MAX_FILE {
        return reply(StatusCode::PAYLOAD_TOO_LARGE, page(l, "413", Some(&s), ""));
    }
    let desk = Arc::clone(&ui.desk);
    let text = f.applicant.clone();
    let checked = tokio::task::spawn_blocking(move || desk.preview(&text)).await;
    let (status, body) = match checked {
        Ok(Ok(applicant)) => {
            let lines = applicant.mrz.lines().join("\n");
            let truncated = if applicant.mrz.name_possibly_truncated() {
                "<p class=\"err\">The name is truncated in the MRZ (9303-3 §4.6) / Ім'я в МЗЧ скорочено.</p>"
            } else {
                ""
            };
            (
                StatusCode::OK,
                format!(
                    "<h2>{mrz}</h2><div class=\"mrz\" id=\"mrz\">{lines}</div>{truncated}\
                     <form method=\"post\" action=\"/applicant/start\">{csrf}\
                     <input type=\"hidden\" name=\"applicant\" value=\"{text}\">\
                     <p><button autofocus>{start}</button></p></form>{form}",
                    mrz = l.t(Text::MrzPreview),
                    lines = esc(&lines),
                    csrf = csrf_field(&s),
                    text = esc(&f.applicant),
                    start = l.t(Text::StartEnrolment),
                    form = form(&s, &f.applicant),
                ),
            )
        }
        Ok(Err(CreateError::Invalid(errors))) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{}{}", errors_table(&s, &errors), form(&s, &f.applicant)),
        ),
        Ok(Err(e)) => (
            StatusCode::CONFLICT,
            format!(
                "<p class=\"err\">{}</p>{}",
                esc(&e.to_string()),
                form(&s, &f.applicant)
            ),
        ),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, String::new()),
    };
    reply(status, page(l, l.t(Text::NewFromFile), Some(&s), &body))
}

pub(super) async fn start(
    State(ui): State<Arc<Ui>>,
    headers: HeaderMap,
    Form(f): Form<ApplicantForm>,
) -> Response {
    let s = match refused(&ui, &headers, &f.csrf) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let l = s.lang;
    if f.applicant.len() > MAX_FILE {
        return reply(StatusCode::PAYLOAD_TOO_LARGE, page(l, "413", Some(&s), ""));
    }
    let desk = Arc::clone(&ui.desk);
    let (text, operator) = (f.applicant.clone(), s.login.clone());
    let created =
        tokio::task::spawn_blocking(move || desk.create_from_file(&text, &operator)).await;
    match created {
        Ok(Ok(Created::New(e) | Created::Retry(e))) => {
            Redirect::to(&format!("/enrolments/{}", e.id)).into_response()
        }
        Ok(Err(CreateError::Invalid(errors))) => reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            page(
                l,
                l.t(Text::NewFromFile),
                Some(&s),
                &format!("{}{}", errors_table(&s, &errors), form(&s, &f.applicant)),
            ),
        ),
        Ok(Err(e)) => reply(
            StatusCode::CONFLICT,
            page(
                l,
                l.t(Text::NewFromFile),
                Some(&s),
                &format!("<p class=\"err\">{}</p>", esc(&e.to_string())),
            ),
        ),
        Err(_) => reply(StatusCode::INTERNAL_SERVER_ERROR, String::new()),
    }
}
