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
use permitkit_station::applicant::Applicant;

/// The largest applicant file accepted from the form, bytes.
const MAX_FILE: usize = 64 * 1024;

#[derive(Deserialize)]
pub(super) struct ApplicantForm {
    csrf: String,
    applicant: String,
    /// The operator's tick: the holder's signed written consent to fingerprints on the chip
    /// is on the desk (present only when ticked).
    #[serde(default)]
    consent: Option<String>,
    /// The operator's choice: the applicant signs on the screen, not on the pad (present only
    /// when ticked).
    #[serde(default)]
    sign_on_screen: Option<String>,
}

/// What goes on the chip besides the MRZ, as the holder will read it back (DG11, DG12), and
/// whether DG3 is written: the holder's consent as the document profile rules it.
fn chip_data(s: &super::Session, a: &Applicant) -> String {
    let l = s.lang;
    let row = |label: Text, value: &str| {
        format!(
            "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
            l.t(label),
            esc(value)
        )
    };
    let mut out = format!("<h2>{}</h2><table class=\"data\">", l.t(Text::ChipData));
    out.push_str(&row(Text::DocumentProfile, &a.document_profile.name));
    out.push_str(&row(Text::DocumentNumber, a.mrz.document_number()));
    out.push_str(&row(
        Text::Validity,
        &format!("{} — {}", a.date_of_issue, a.date_of_expiry),
    ));
    if let Some(name) = &a.dg11.full_name {
        // Surname<<given names (9303-10 §4.7.11), shown as the holder reads it.
        out.push_str(&row(
            Text::NationalName,
            &name.replacen("<<", ", ", 1).replace('<', " "),
        ));
    }
    out.push_str(&row(Text::DateOfBirth, &a.date_of_birth.to_string()));
    for (label, value) in [
        (Text::PlaceOfBirth, &a.dg11.place_of_birth),
        (Text::Address, &a.dg11.permanent_address),
        (Text::IssuingAuthority, &a.dg12.issuing_authority),
    ] {
        if let Some(v) = value {
            // DG11/DG12 separate the parts of a field with '<' (9303-10 §4.7.11).
            out.push_str(&row(label, &v.replace('<', ", ")));
        }
    }
    let dg3 = if a.writes_fingerprints() {
        a.consent_reference
            .as_deref()
            .map_or_else(|| "✓".to_owned(), |r| format!("✓ ({r})"))
    } else if a.document_profile.data_groups.contains(&3) {
        l.t(Text::NoConsent).to_owned()
    } else {
        l.t(Text::NotOnChip).to_owned()
    };
    out.push_str(&row(Text::Fingerprints, &dg3));
    out.push_str("</table>");
    out
}

/// The consent tick the start form needs when the file says the holder consented and the
/// document profile requires it in writing.
fn needs_consent_tick(a: &Applicant) -> bool {
    a.fingerprints_consent && a.document_profile.fingers.require_written_consent
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
            let mut consent = if needs_consent_tick(&applicant) {
                format!(
                    "<p><label class=\"consent\"><input type=\"checkbox\" name=\"consent\" \
                     value=\"signed\" required> {}</label></p>",
                    l.t(Text::ConsentConfirm)
                )
            } else {
                String::new()
            };
            // Fingers declared missing or unusable, each for a supervisor to approve.
            if applicant.writes_fingerprints() {
                let rule = ui.desk.finger_rule(&applicant.document_profile);
                consent.push_str(&super::fingers::exception_fields(&s, &rule));
            }
            (
                StatusCode::OK,
                format!(
                    "<h2>{mrz}</h2><div class=\"mrz\" id=\"mrz\">{lines}</div>{truncated}{data}\
                     <form method=\"post\" action=\"/applicant/start\">{csrf}\
                     <input type=\"hidden\" name=\"applicant\" value=\"{text}\">{consent}\
                     <p><label><input type=\"checkbox\" name=\"sign_on_screen\" value=\"yes\"> {screen}</label></p>\
                     <p><button>{start}</button></p></form>{form}",
                    mrz = l.t(Text::MrzPreview),
                    lines = esc(&lines),
                    data = chip_data(&s, &applicant),
                    csrf = csrf_field(&s),
                    text = esc(&f.applicant),
                    start = l.t(Text::StartEnrolment),
                    screen = l.t(Text::SignOnScreen),
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
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    // The form's fixed fields, and the finger exceptions' fields named by finger.
    let field = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let f = ApplicantForm {
        csrf: field("csrf").unwrap_or_default(),
        applicant: field("applicant").unwrap_or_default(),
        consent: field("consent"),
        sign_on_screen: field("sign_on_screen"),
    };
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
    let ticked = f.consent.as_deref() == Some("signed");
    let on_screen = f.sign_on_screen.as_deref() == Some("yes");
    let created = tokio::task::spawn_blocking(move || {
        let preview = desk.preview(&text);
        // Fingerprints go on the chip only once the operator confirms the written consent
        // is on the desk (issue 14 §3, the document profile's `require_written_consent`).
        if !ticked && preview.as_ref().is_ok_and(needs_consent_tick) {
            return Err(CreateError::Invalid(vec![FieldError {
                field: "consent.fingerprints_on_chip".to_owned(),
                message: l.t(Text::ConsentMissing).to_owned(),
            }]));
        }
        let exceptions = match &preview {
            Ok(a) if a.writes_fingerprints() => {
                let rule = desk.finger_rule(&a.document_profile);
                super::fingers::declared(l, &pairs, &rule, &operator)
                    .map_err(|e| CreateError::Invalid(vec![e]))?
            }
            _ => Vec::new(),
        };
        desk.create_with_exceptions(&text, &operator, on_screen, exceptions)
    })
    .await;
    match created {
        Ok(Ok(Created::New(e) | Created::Retry(e))) => {
            // Declared finger exceptions: to the supervisor's approval first.
            let approval = if e.state() == crate::enrolment::State::AwaitingApproval {
                "/approval"
            } else {
                ""
            };
            Redirect::to(&format!("/enrolments/{}{approval}", e.id)).into_response()
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
