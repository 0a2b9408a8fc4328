//! The fingers screen (issue 14): each position the document's selection rule asks for
//! (`permitkit_station::pipeline::rule_for`: the document profile's fingers and substitutes,
//! the scanner profile's attempts and threshold) with its status — waiting, present it now,
//! captured with its quality score, substituted, skipped and why — its quality and attempts,
//! redrawn from the pipeline's finger events while the `fingers` step runs; the same table from
//! the journal's fingers record on the done page, with the exceptions approved.
//!
//! Finger exceptions: on the applicant page the operator declares a finger missing or unusable
//! with its cause; the enrolment then waits on the approval page until a supervisor approves
//! each exception, entering their credentials on the operator's screen (Argon2id, as at
//! sign-in) or from their own session. An operator without the supervisor role is refused
//! (403), and so is the one who declared the exception.

use std::sync::Arc;

use axum::{
    Form,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};

use super::html::{csrf_field, esc, page};
use super::i18n::{Lang, Text};
use super::{Session, Ui, reply, signed_in};
use crate::applicant_json::FieldError;
use crate::desk::{ApprovalError, state_name};
use crate::enrolment::{Enrolment, State as Now};
use crate::exceptions::{ApproveError, FingerException};
use permitkit_biometrics::FingerPosition;
use permitkit_model::profiles::station::Role;
use permitkit_station::finger_selection::{MissingCause, SelectionRule, SkipReason};
use permitkit_station::pipeline::{Event, FingersRecord, Step};

/// The finger's name as the operator says it.
pub(super) fn finger_name(l: Lang, f: FingerPosition) -> &'static str {
    use FingerPosition::*;
    let (uk, en) = match f {
        RightThumb => ("правий великий", "right thumb"),
        RightIndex => ("правий вказівний", "right index"),
        RightMiddle => ("правий середній", "right middle"),
        RightRing => ("правий безіменний", "right ring"),
        RightLittle => ("правий мізинець", "right little"),
        LeftThumb => ("лівий великий", "left thumb"),
        LeftIndex => ("лівий вказівний", "left index"),
        LeftMiddle => ("лівий середній", "left middle"),
        LeftRing => ("лівий безіменний", "left ring"),
        LeftLittle => ("лівий мізинець", "left little"),
        Unknown => ("невідомий", "unknown"),
    };
    match l {
        Lang::Uk => uk,
        Lang::En => en,
    }
}

/// A cause in the operator's language (an `other` cause in the words given).
fn cause_text(l: Lang, cause: &MissingCause) -> String {
    match cause {
        MissingCause::Amputated => l.t(Text::CauseAmputated).to_owned(),
        MissingCause::Injured => l.t(Text::CauseInjured).to_owned(),
        MissingCause::UnableToPresent => l.t(Text::CauseUnable).to_owned(),
        MissingCause::Other(text) => format!("{}: {text}", l.t(Text::CauseOther)),
        _ => cause.to_string(),
    }
}

/// Why a finger was passed over, in the operator's language.
fn skip_text(l: Lang, reason: &SkipReason) -> String {
    match reason {
        SkipReason::DeclaredMissing { cause, approved_by } => {
            let mut out = l.t(Text::DeclaredMissing).to_owned();
            if let Some(c) = cause {
                out.push_str(&format!(" ({})", cause_text(l, c)));
            }
            if let Some(by) = approved_by {
                out.push_str(&format!(", {}: {by}", l.t(Text::ApprovedBy).to_lowercase()));
            }
            out
        }
        SkipReason::PoorQuality {
            attempts,
            best_score,
            flags,
        } => {
            let flags = if flags.is_empty() {
                String::new()
            } else {
                format!(", {}", flags.join(", "))
            };
            format!(
                "{}: {best_score} ({attempts} × {}{flags})",
                l.t(Text::QualityTooLow),
                l.t(Text::Attempts).to_lowercase()
            )
        }
        SkipReason::CaptureFailed { message } => {
            format!("{}: {message}", l.t(Text::NotCaptured))
        }
        other => other.to_string(),
    }
}

/// Every finger the rule may capture, in its order.
fn candidates(rule: &SelectionRule) -> Vec<FingerPosition> {
    rule.slots
        .iter()
        .flat_map(|s| s.candidates.iter().copied())
        .collect()
}

/// The exceptions section of the start form: one row per finger the rule may capture, its
/// cause chosen from a list (none: the finger is present), words for `other`.
pub(super) fn exception_fields(s: &Session, rule: &SelectionRule) -> String {
    let l = s.lang;
    let causes = [
        ("", l.t(Text::ExceptionPresent)),
        ("amputated", l.t(Text::CauseAmputated)),
        ("injured", l.t(Text::CauseInjured)),
        ("unable-to-present", l.t(Text::CauseUnable)),
        ("other", l.t(Text::CauseOther)),
    ];
    let mut out = format!(
        "<details id=\"exceptions\"><summary>{title}</summary><p><small>{hint}</small></p>\
         <table class=\"exceptions\"><tr><th>{finger}</th><th>{reason}</th><th>{note}</th></tr>",
        title = l.t(Text::ExceptionsTitle),
        hint = l.t(Text::ExceptionsHint),
        finger = l.t(Text::Finger),
        reason = l.t(Text::Reason),
        note = l.t(Text::ExceptionNote),
    );
    for f in candidates(rule) {
        let name = finger_name(l, f);
        let options: String = causes
            .iter()
            .map(|(v, label)| format!("<option value=\"{v}\">{label}</option>"))
            .collect();
        out.push_str(&format!(
            "<tr><td><label for=\"cause-{f}\">{name}</label></td>\
             <td><select id=\"cause-{f}\" name=\"cause.{f}\">{options}</select></td>\
             <td><input name=\"note.{f}\" maxlength=\"200\" aria-label=\"{name}: {note}\"></td></tr>",
            note = l.t(Text::ExceptionNote),
        ));
    }
    out.push_str("</table></details>");
    out
}

/// The exceptions the start form declares, by `operator`.
pub(super) fn declared(
    l: Lang,
    pairs: &[(String, String)],
    rule: &SelectionRule,
    operator: &str,
) -> Result<Vec<FingerException>, FieldError> {
    let value = |key: String| {
        pairs
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for f in candidates(rule) {
        let cause = value(format!("cause.{f}"));
        if cause.is_empty() {
            continue;
        }
        let Some(cause) = MissingCause::parse(cause, value(format!("note.{f}"))) else {
            return Err(FieldError::new(
                format!("missing_fingers.{f}"),
                l.t(Text::ExceptionOtherWords),
            ));
        };
        out.push(FingerException {
            finger: f,
            cause,
            declared_by: operator.to_owned(),
            approved_by: None,
        });
    }
    Ok(out)
}

/// One slot as the events tell it.
#[derive(Default)]
struct SlotView {
    candidates: Vec<FingerPosition>,
    /// The finger asked for now, and its attempt number.
    now: Option<(FingerPosition, u8)>,
    /// The last quality score seen, and the attempts on that finger.
    quality: Option<u8>,
    attempts: u8,
    accepted: Option<(FingerPosition, u8, u8)>,
    skipped: Vec<(FingerPosition, SkipReason)>,
    /// The step reached this slot.
    started: bool,
}

/// Whether `event` is one the fingers table shows (and the progress list leaves out).
pub(super) fn in_table(event: &Event) -> bool {
    matches!(
        event,
        Event::FingersPlanned { .. }
            | Event::FingerAttempt { .. }
            | Event::FingerAccepted { .. }
            | Event::FingerSkipped { .. }
    )
}

/// The fingers table of the step's events (from its last plan), or `None` before the step.
fn live_table(l: Lang, events: &[Event]) -> Option<String> {
    let start = events
        .iter()
        .rposition(|e| matches!(e, Event::FingersPlanned { .. }))?;
    let (plan, rest) = events.get(start..)?.split_first()?;
    let Event::FingersPlanned {
        slots,
        attempts: of,
        threshold,
        ..
    } = plan
    else {
        return None;
    };
    let mut views: Vec<SlotView> = slots
        .iter()
        .map(|c| SlotView {
            candidates: c.clone(),
            ..SlotView::default()
        })
        .collect();
    let mut stopped = false;
    for e in rest {
        match e {
            Event::PresentFinger { finger } => {
                if let Some(v) = views.iter_mut().find(|v| v.candidates.contains(finger)) {
                    let n = match v.now {
                        Some((f, n)) if f == *finger => n.saturating_add(1),
                        _ => 1,
                    };
                    v.now = Some((*finger, n));
                    v.started = true;
                }
            }
            Event::FingerAttempt {
                slot,
                quality,
                attempt,
                ..
            } => {
                if let Some(v) = views.get_mut(*slot) {
                    v.quality = *quality;
                    v.attempts = *attempt;
                }
            }
            Event::FingerAccepted {
                slot,
                finger,
                quality,
                attempts,
                ..
            } => {
                if let Some(v) = views.get_mut(*slot) {
                    v.accepted = Some((*finger, *quality, *attempts));
                    v.now = None;
                }
            }
            Event::FingerSkipped {
                slot,
                finger,
                reason,
            } => {
                if let Some(v) = views.get_mut(*slot) {
                    v.started = true;
                    v.skipped.push((*finger, reason.clone()));
                    if v.now.is_some_and(|(f, _)| f == *finger) {
                        v.now = None;
                    }
                }
            }
            Event::StepFailed {
                step: Step::Fingers,
                ..
            } => stopped = true,
            _ => {}
        }
    }
    let mut out = table_head(l, Some(*threshold));
    for v in &views {
        let wanted = v
            .candidates
            .first()
            .copied()
            .unwrap_or(FingerPosition::Unknown);
        let (class, status, quality, attempts) = match (v.accepted, v.now) {
            (Some((f, q, n)), _) if f == wanted => (
                "ok",
                l.t(Text::FingerCaptured).to_owned(),
                Some(q),
                format!("{n} / {of}"),
            ),
            (Some((f, q, n)), _) => (
                "sub",
                format!("{} {}", l.t(Text::FingerSubstituted), finger_name(l, f)),
                Some(q),
                format!("{n} / {of}"),
            ),
            (None, Some((f, n))) if !stopped => (
                "now",
                format!("{}: {}", finger_name(l, f), l.t(Text::FingerPresentNow)),
                v.quality.filter(|_| n > 1),
                format!("{n} / {of}"),
            ),
            (None, _) if stopped && v.started => (
                "err",
                l.t(Text::FingerNotFilled).to_owned(),
                v.quality,
                String::new(),
            ),
            _ => (
                "wait",
                l.t(Text::FingerWaiting).to_owned(),
                None,
                String::new(),
            ),
        };
        let skipped: Vec<(FingerPosition, String)> = v
            .skipped
            .iter()
            .map(|(f, r)| (*f, skip_text(l, r)))
            .collect();
        out.push_str(&row(
            l, wanted, class, &status, quality, &attempts, &skipped,
        ));
    }
    out.push_str("</tbody></table>");
    Some(out)
}

fn table_head(l: Lang, threshold: Option<u8>) -> String {
    let threshold = threshold.map_or_else(String::new, |t| {
        format!(" <small>({} {t})</small>", l.t(Text::Threshold))
    });
    format!(
        "<table class=\"fingers\" id=\"fingers\"><caption>{title}{threshold}</caption>\
         <thead><tr><th>{finger}</th><th>{state}</th><th>{quality}</th><th>{attempts}</th><th>{skipped}</th></tr></thead><tbody>",
        title = l.t(Text::FingersTitle),
        finger = l.t(Text::Finger),
        state = l.t(Text::State),
        quality = l.t(Text::Quality),
        attempts = l.t(Text::Attempts),
        skipped = l.t(Text::SkippedWhy),
    )
}

fn row(
    l: Lang,
    wanted: FingerPosition,
    class: &str,
    status: &str,
    quality: Option<u8>,
    attempts: &str,
    skipped: &[(FingerPosition, String)],
) -> String {
    let quality = quality.map_or_else(String::new, |q| {
        format!("<meter min=\"0\" max=\"100\" value=\"{q}\"></meter> <strong>{q}</strong>")
    });
    let skipped: String = skipped
        .iter()
        .map(|(f, why)| format!("<li>{}: {}</li>", finger_name(l, *f), esc(why)))
        .collect();
    let skipped = if skipped.is_empty() {
        String::new()
    } else {
        format!("<ul>{skipped}</ul>")
    };
    format!(
        "<tr class=\"{class}\" data-finger=\"{wanted}\"><th scope=\"row\">{name}</th>\
         <td class=\"status\">{status}</td><td class=\"quality\">{quality}</td>\
         <td class=\"attempts\">{attempts}</td><td class=\"skipped\">{skipped}</td></tr>",
        name = finger_name(l, wanted),
        status = esc(status),
    )
}

/// The fingers table of a finished step, from its journal record, and the exceptions approved.
fn record_table(l: Lang, record: &FingersRecord) -> Option<String> {
    let FingersRecord::Captured { fingers, declared } = record else {
        return None;
    };
    let mut out = table_head(l, None);
    for f in fingers {
        let (class, status) = if f.captured == f.wanted {
            ("ok", l.t(Text::FingerCaptured).to_owned())
        } else {
            (
                "sub",
                format!(
                    "{} {}",
                    l.t(Text::FingerSubstituted),
                    finger_name(l, f.captured)
                ),
            )
        };
        let skipped: Vec<(FingerPosition, String)> = f
            .skipped
            .iter()
            .map(|s| (s.finger, skip_text(l, &s.reason)))
            .collect();
        out.push_str(&row(
            l,
            f.wanted,
            class,
            &status,
            Some(f.quality),
            &f.attempts.to_string(),
            &skipped,
        ));
    }
    out.push_str("</tbody></table>");
    if !declared.is_empty() {
        out.push_str(&format!(
            "<h2>{}</h2><table id=\"exceptions-approved\"><tr><th>{}</th><th>{}</th><th>{}</th></tr>",
            l.t(Text::ExceptionsApproved),
            l.t(Text::Finger),
            l.t(Text::Reason),
            l.t(Text::ApprovedBy)
        ));
        for d in declared {
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                finger_name(l, d.finger),
                esc(&d
                    .cause
                    .as_ref()
                    .map(|c| cause_text(l, c))
                    .unwrap_or_default()),
                esc(d.approved_by.as_deref().unwrap_or("—")),
            ));
        }
        out.push_str("</table>");
    }
    Some(out)
}

const LIVE_STYLE: &str = "<style>table.fingers{margin:.6rem 0}table.fingers caption{text-align:left;\
font-weight:600;padding:.3rem 0}table.fingers tr.now{background:#fff3c4}table.fingers tr.ok td.status{color:#0a6b2d;font-weight:600}\
table.fingers tr.sub td.status{color:#7a4b00;font-weight:600}table.fingers tr.err td.status{color:#a4000f;font-weight:600}\
table.fingers tr.wait td.status{color:#555}table.fingers ul{margin:0;padding-left:1.1rem}\
table.fingers meter{width:6rem;vertical-align:middle}table.fingers th[scope=row]{width:13rem}</style>";

const LIVE_SCRIPT: &str = "<script>(function(){var sec=document.getElementById('fingers-live');\
var busy=false,again=false;function load(){if(busy){again=true;return;}busy=true;\
fetch(location.pathname+'/fingers',{credentials:'same-origin'}).then(function(r){return r.ok?r.text():'';})\
.then(function(h){if(h)sec.innerHTML=h;busy=false;if(again){again=false;load();}})\
.catch(function(){busy=false;});}var s=new EventSource(location.pathname+'/events');\
['fingers-planned','present-finger','finger-attempt','finger-accepted','finger-skipped','step-failed']\
.forEach(function(k){s.addEventListener(k,load);});s.addEventListener('state',function(){s.close();});})();</script>";

/// The fingers section of the progress page: while the enrolment runs, the live table (empty
/// until the step plans) and the script that redraws it at each finger event; once final,
/// the journal's record (or, when the step did not finish, the table its events left).
pub(super) fn progress_section(ui: &Ui, l: Lang, e: &Enrolment, events: &[Event]) -> String {
    let state = e.state();
    if !state.is_final() {
        let table = live_table(l, events).unwrap_or_default();
        return format!(
            "{LIVE_STYLE}<section id=\"fingers-live\" aria-live=\"polite\">{table}</section>{LIVE_SCRIPT}"
        );
    }
    let journaled = e.journal_id().and_then(|id| {
        let record = ui.desk.journal().step(&id, Step::Fingers).ok()??;
        serde_json::from_value::<FingersRecord>(record.result?).ok()
    });
    let table = journaled
        .as_ref()
        .and_then(|r| record_table(l, r))
        .or_else(|| live_table(l, events));
    table.map_or_else(String::new, |t| format!("{LIVE_STYLE}{t}"))
}

/// `GET /enrolments/{id}/fingers`: the live table alone, for the page's script.
pub(super) async fn fragment(
    State(ui): State<Arc<Ui>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let s = match signed_in(&ui, &headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let Some(e) = ui.desk.enrolment(&id) else {
        return reply(StatusCode::NOT_FOUND, String::new());
    };
    let (events, _) = e.events_from(0);
    reply(
        StatusCode::OK,
        live_table(s.lang, &events).unwrap_or_default(),
    )
}

/// The approval page of `e`, with `error` above the form.
fn approval_page(s: &Session, e: &Enrolment, status: StatusCode, error: Option<&str>) -> Response {
    let l = s.lang;
    let state = e.state();
    let list = e.exceptions.list();
    let mut body = format!(
        "<p>{app}: <strong>{application}</strong> — {st}: <strong id=\"state\" data-state=\"{code}\">{state}</strong></p>\
         <p>{hint}</p>",
        app = l.t(Text::Application),
        application = esc(&e.application),
        st = l.t(Text::State),
        code = state_name(&state),
        state = super::state_words::enrolment(l, &state),
        hint = l.t(Text::ApprovalHint),
    );
    if let Some(m) = error {
        body.push_str(&format!(
            "<p class=\"err\" role=\"alert\" id=\"approval-error\">{}</p>",
            esc(m)
        ));
    }
    let own = s.role == Role::Supervisor && list.iter().all(|x| x.declared_by != s.login);
    body.push_str(&format!(
        "<form method=\"post\" action=\"/enrolments/{id}/approval\" id=\"approval\">{csrf}\
         <table class=\"approval\"><tr><th>{approve}</th><th>{finger}</th><th>{reason}</th>\
         <th>{declared}</th><th>{approved}</th></tr>",
        id = esc(&e.id),
        csrf = csrf_field(s),
        approve = l.t(Text::Approve),
        finger = l.t(Text::Finger),
        reason = l.t(Text::Reason),
        declared = l.t(Text::DeclaredBy),
        approved = l.t(Text::ApprovedBy),
    ));
    for x in &list {
        let name = finger_name(l, x.finger);
        let tick = match &x.approved_by {
            Some(_) => "✓".to_owned(),
            None => format!(
                "<input type=\"checkbox\" name=\"finger\" value=\"{f}\" id=\"approve-{f}\" \
                 aria-label=\"{approve}: {name}\">",
                f = x.finger,
                approve = l.t(Text::Approve),
            ),
        };
        body.push_str(&format!(
            "<tr><td>{tick}</td><td><label for=\"approve-{f}\">{name}</label></td><td>{cause}</td>\
             <td>{by}</td><td>{approved}</td></tr>",
            f = x.finger,
            cause = esc(&cause_text(l, &x.cause)),
            by = esc(&x.declared_by),
            approved = x
                .approved_by
                .as_deref()
                .map_or_else(|| format!("<em>{}</em>", l.t(Text::AwaitingApproval)), esc),
        ));
    }
    body.push_str("</table>");
    if own {
        body.push_str(&format!(
            "<p><button id=\"approve\">{} {}</button></p></form>",
            l.t(Text::ApproveAs),
            esc(&s.login)
        ));
    } else {
        body.push_str(&format!(
            "<fieldset class=\"supervisor\"><legend>{legend}</legend>\
             <label>{login}<br><input name=\"login\" autocomplete=\"off\" required maxlength=\"64\"></label> \
             <label>{password}<br><input name=\"password\" type=\"password\" autocomplete=\"off\" required maxlength=\"256\"></label>\
             </fieldset><p><button id=\"approve\">{approve}</button></p></form>",
            legend = l.t(Text::ApprovalBySupervisor),
            login = l.t(Text::SupervisorLogin),
            password = l.t(Text::SupervisorPassword),
            approve = l.t(Text::Approve),
        ));
    }
    body.push_str(
        "<style>table.approval td:first-child{width:6rem;text-align:center}\
         table.approval input[type=checkbox]{transform:scale(1.4)}\
         fieldset.supervisor{background:#fff;border:1px solid #0b3d91;margin:.8rem 0;padding:.6rem 1rem}\
         fieldset.supervisor label{display:inline-block;margin-right:1.5rem}</style>",
    );
    // Approved from the supervisor's own session: the page follows the enrolment as it starts.
    body.push_str(
        "<script>(function(){var s=new EventSource(location.pathname.replace(/\\/approval$/,'/events'));\
         s.addEventListener('begin',function(){s.close();location.href=location.pathname.replace(/\\/approval$/,'');});})();</script>",
    );
    reply(status, page(l, l.t(Text::ApprovalTitle), Some(s), &body))
}

/// `GET /enrolments/{id}/approval`.
pub(super) async fn approval(
    State(ui): State<Arc<Ui>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let s = match signed_in(&ui, &headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    match ui.desk.enrolment(&id) {
        Some(e) if e.state() == Now::AwaitingApproval => {
            approval_page(&s, &e, StatusCode::OK, None)
        }
        Some(e) => Redirect::to(&format!("/enrolments/{}", e.id)).into_response(),
        None => reply(StatusCode::NOT_FOUND, page(s.lang, "404", Some(&s), "")),
    }
}

/// `POST /enrolments/{id}/approval`: the ticked exceptions approved by the supervisor whose
/// credentials the form carries, or by the signed-in supervisor when it carries none.
pub(super) async fn approve(
    State(ui): State<Arc<Ui>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let s = match signed_in(&ui, &headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let l = s.lang;
    let value = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    if !s.csrf_ok(&value("csrf")) {
        return reply(
            StatusCode::FORBIDDEN,
            page(l, l.t(Text::BadForm), Some(&s), ""),
        );
    }
    let Some(e) = ui.desk.enrolment(&id) else {
        return reply(StatusCode::NOT_FOUND, page(l, "404", Some(&s), ""));
    };
    let (login, password) = (value("login"), value("password"));
    let approver = if login.is_empty() {
        (s.role == Role::Supervisor).then(|| s.login.clone())
    } else if login.len() > 64 || password.len() > 256 {
        None
    } else {
        let accounts = ui.accounts.clone();
        let checked = {
            let login = login.clone();
            tokio::task::spawn_blocking(move || accounts.check(&login, &password))
                .await
                .ok()
                .flatten()
        };
        match checked {
            None => {
                tracing::info!(enrolment = %id, "a finger exception approval was refused: wrong credentials");
                return approval_page(
                    &s,
                    &e,
                    StatusCode::UNAUTHORIZED,
                    Some(l.t(Text::WrongLogin)),
                );
            }
            Some(Role::Supervisor) => Some(login),
            Some(_) => None,
        }
    };
    let Some(approver) = approver else {
        tracing::info!(enrolment = %id, operator = %s.login, "a finger exception approval was refused: not a supervisor");
        return approval_page(
            &s,
            &e,
            StatusCode::FORBIDDEN,
            Some(l.t(Text::ApproveSupervisorOnly)),
        );
    };
    let fingers: Vec<FingerPosition> = e
        .exceptions
        .list()
        .iter()
        .map(|x| x.finger)
        .filter(|f| {
            let name = f.to_string();
            pairs.iter().any(|(k, v)| k == "finger" && *v == name)
        })
        .collect();
    if fingers.is_empty() {
        return approval_page(
            &s,
            &e,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(l.t(Text::ApproveTick)),
        );
    }
    let desk = Arc::clone(&ui.desk);
    let done = {
        let id = id.clone();
        tokio::task::spawn_blocking(move || desk.approve(&id, &fingers, &approver)).await
    };
    match done {
        Ok(Ok(true)) => Redirect::to(&format!("/enrolments/{id}")).into_response(),
        Ok(Ok(false)) => Redirect::to(&format!("/enrolments/{id}/approval")).into_response(),
        Ok(Err(ApprovalError::Exception(ApproveError::OwnDeclaration(_)))) => {
            approval_page(&s, &e, StatusCode::FORBIDDEN, Some(l.t(Text::ApproveOwn)))
        }
        Ok(Err(err)) => approval_page(&s, &e, StatusCode::CONFLICT, Some(&err.to_string())),
        Err(_) => reply(StatusCode::INTERNAL_SERVER_ERROR, String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use FingerPosition::*;

    fn plan() -> Event {
        Event::FingersPlanned {
            slots: vec![vec![RightIndex, RightMiddle], vec![LeftIndex, LeftMiddle]],
            attempts: 3,
            threshold: 55,
            missing: Vec::new(),
        }
    }

    #[test]
    fn the_table_follows_the_events_of_the_step() {
        assert!(
            live_table(Lang::En, &[]).is_none(),
            "no table before the step"
        );
        let mut events = vec![plan()];
        let t = live_table(Lang::En, &events).unwrap();
        assert_eq!(t.matches("waiting").count(), 2, "{t}");
        events.push(Event::FingerSkipped {
            slot: 0,
            finger: RightIndex,
            reason: SkipReason::DeclaredMissing {
                cause: Some(MissingCause::Amputated),
                approved_by: Some("petro".into()),
            },
        });
        events.push(Event::PresentFinger {
            finger: RightMiddle,
        });
        let t = live_table(Lang::En, &events).unwrap();
        assert!(t.contains("right middle: present it now"), "{t}");
        assert!(
            t.contains("right index: declared missing (amputated), approved by: petro"),
            "{t}"
        );
        events.push(Event::FingerAttempt {
            slot: 0,
            finger: RightMiddle,
            attempt: 1,
            quality: Some(81),
            passed: true,
            problem: None,
        });
        events.push(Event::FingerAccepted {
            slot: 0,
            wanted: RightIndex,
            finger: RightMiddle,
            quality: 81,
            attempts: 1,
        });
        events.push(Event::PresentFinger { finger: LeftIndex });
        let t = live_table(Lang::Uk, &events).unwrap();
        assert!(t.contains("замінено на правий середній"), "{t}");
        assert!(t.contains("<strong>81</strong>"), "{t}");
        assert!(t.contains("лівий вказівний: прикладіть зараз"), "{t}");
        events.push(Event::StepFailed {
            step: Step::Fingers,
            error: "unplugged".into(),
            cause: permitkit_station::cause::Cause::Scanner,
        });
        let t = live_table(Lang::En, &events).unwrap();
        assert_eq!(t.matches("no usable finger").count(), 1, "{t}");
        assert!(!t.contains("present it now"), "{t}");
    }

    #[test]
    fn the_form_declares_causes_and_other_needs_words() {
        let rule = SelectionRule::eu_default();
        let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        let got = declared(
            Lang::En,
            &[
                pair("cause.right-index", "amputated"),
                pair("cause.left-index", ""),
                pair("cause.left-middle", "other"),
                pair("note.left-middle", "burn"),
                pair("cause.right-little", "amputated"),
            ],
            &rule,
            "olena",
        )
        .unwrap();
        assert_eq!(
            got.iter()
                .map(|x| (x.finger, x.cause.clone()))
                .collect::<Vec<_>>(),
            vec![
                (RightIndex, MissingCause::Amputated),
                (LeftMiddle, MissingCause::Other("burn".into()))
            ],
            "a finger the rule never captures is not read"
        );
        assert!(got.iter().all(|x| x.declared_by == "olena"));
        let err = declared(
            Lang::En,
            &[pair("cause.right-index", "other")],
            &rule,
            "olena",
        )
        .unwrap_err();
        assert_eq!(err.field, "missing_fingers.right-index");
    }
}
