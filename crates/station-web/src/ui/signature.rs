//! The signature drawn on screen (issue 14 §3): the canvas the applicant signs on with a mouse,
//! a pen or a finger (pointer events; pressure is not used, the line has one width), a button
//! to clear it and sign again, and a submit button reachable from the keyboard. The drawing is
//! sent as a PNG (`POST /enrolments/{id}/signature`, the session's CSRF token in the
//! `x-csrf-token` header) and checked ([`crate::signature_upload`]) before the signature step,
//! waiting for it, takes it as a pad's capture; a refusal comes back in words for the page.

use std::sync::Arc;

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};

use super::html::esc;
use super::i18n::{Lang, Text};
use super::{Session, Ui, signed_in};
use crate::signature_upload::{self, UploadError};

/// The header that carries the session's CSRF token with the upload.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The canvas's size in pixels (the drawing is shown scaled to the page's width).
const CANVAS: (u32, u32) = (900, 300);

const STYLE: &str = "<style>canvas#pad{display:block;background:#fff;border:2px solid #0b3d91;\
touch-action:none;width:100%;max-width:900px;height:auto;cursor:crosshair}</style>";

const SCRIPT: &str = "<script>(function(){var c=document.getElementById('pad'),\
x=c.getContext('2d'),f=document.getElementById('sign-form'),err=document.getElementById('sign-error'),\
down=false,last=null;function paper(){x.fillStyle='#fff';x.fillRect(0,0,c.width,c.height);\
x.lineWidth=4;x.lineCap='round';x.lineJoin='round';x.strokeStyle='#0b1a4a';}paper();\
function at(e){var r=c.getBoundingClientRect();return[(e.clientX-r.left)*c.width/r.width,\
(e.clientY-r.top)*c.height/r.height];}\
function line(a,b){x.beginPath();x.moveTo(a[0],a[1]);x.lineTo(b[0],b[1]);x.stroke();}\
c.addEventListener('pointerdown',function(e){down=true;last=at(e);\
try{c.setPointerCapture(e.pointerId);}catch(_){}line(last,[last[0]+0.5,last[1]]);e.preventDefault();});\
c.addEventListener('pointermove',function(e){if(!down)return;var p=at(e);line(last,p);last=p;e.preventDefault();});\
['pointerup','pointercancel','pointerleave'].forEach(function(k){c.addEventListener(k,function(){down=false;});});\
document.getElementById('sign-clear').addEventListener('click',function(){paper();err.textContent='';});\
f.addEventListener('submit',function(e){e.preventDefault();err.textContent='';\
c.toBlob(function(b){fetch(location.pathname+'/signature',{method:'POST',credentials:'same-origin',\
headers:{'content-type':'image/png','x-csrf-token':f.dataset.csrf},body:b}).then(function(r){\
return r.json().then(function(j){if(r.ok){location.reload();}else{err.textContent=j.error;}});})\
.catch(function(){err.textContent=f.dataset.failed;});},'image/png');});})();</script>";

/// The signature section of the progress page, while the signature step waits for it: why on
/// screen — the operator's choice (`chosen`), or no pad (`why`, the station's English words,
/// follows in the title of the reason).
pub(super) fn section(s: &Session, chosen: bool, why: &str) -> String {
    let l = s.lang;
    format!(
        "{STYLE}<section id=\"sign\" aria-labelledby=\"sign-title\"><h2 id=\"sign-title\">{title}</h2>\
         <p>{hint} <small title=\"{why}\">({reason})</small></p>\
         <canvas id=\"pad\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{title}\"></canvas>\
         <p class=\"err\" role=\"alert\" id=\"sign-error\"></p>\
         <form id=\"sign-form\" data-csrf=\"{csrf}\" data-failed=\"{failed}\">\
         <button type=\"button\" id=\"sign-clear\">{clear}</button> \
         <button type=\"submit\" id=\"sign-submit\">{submit}</button></form></section>{SCRIPT}",
        title = l.t(Text::SignatureTitle),
        hint = l.t(Text::SignatureHint),
        why = esc(why),
        reason = l.t(if chosen {
            Text::SignatureChosen
        } else {
            Text::SignatureNoPad
        }),
        w = CANVAS.0,
        h = CANVAS.1,
        csrf = esc(&s.csrf),
        failed = l.t(Text::SignatureUnreadable),
        clear = l.t(Text::SignatureClear),
        submit = l.t(Text::SignatureSubmit),
    )
}

fn refusal(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

/// What the page says of a refused upload.
fn words(l: Lang, e: &UploadError) -> String {
    match e {
        UploadError::Empty => l.t(Text::SignatureEmpty).to_owned(),
        UploadError::TooLittle { .. } => l.t(Text::SignatureTooLittle).to_owned(),
        other => format!("{} ({other})", l.t(Text::SignatureUnreadable)),
    }
}

pub(super) async fn upload(
    State(ui): State<Arc<Ui>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let s = match signed_in(&ui, &headers) {
        Ok(s) => s,
        Err(_) => return refusal(StatusCode::UNAUTHORIZED, "sign in again"),
    };
    let l = s.lang;
    let token = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !s.csrf_ok(token) {
        return refusal(StatusCode::FORBIDDEN, l.t(Text::BadForm));
    }
    let Some(enrolment) = ui.desk.enrolment(&id) else {
        return refusal(StatusCode::NOT_FOUND, "no such enrolment");
    };
    if enrolment.wants_signature().is_none() {
        return refusal(StatusCode::CONFLICT, l.t(Text::SignatureNotWaiting));
    }
    let checked = tokio::task::spawn_blocking(move || signature_upload::check(&body)).await;
    let image = match checked {
        Ok(Ok(image)) => image,
        Ok(Err(e)) => {
            tracing::info!(enrolment = %id, "a signature drawn on screen was refused: {e}");
            return refusal(StatusCode::UNPROCESSABLE_ENTITY, &words(l, &e));
        }
        Err(_) => {
            return refusal(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the check did not finish",
            );
        }
    };
    match enrolment.deliver_signature(image) {
        Ok(()) => {
            tracing::info!(enrolment = %id, operator = %s.login, "signature drawn on screen accepted");
            Json(serde_json::json!({ "accepted": true })).into_response()
        }
        Err(_) => refusal(StatusCode::CONFLICT, l.t(Text::SignatureNotWaiting)),
    }
}
