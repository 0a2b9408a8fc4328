//! The photo screen (issue 14 §3): while the photo step runs, the camera's frames with the face
//! box, the eye line and the ICAO crop frame drawn over them, the first problem to fix in words
//! beside them and the streak of good frames that takes the picture; once taken, the portrait
//! the chip receives (DG2's crop), and — with the station profile's `[web] photo_review` — the
//! buttons that keep it or take another.
//!
//! The frames reach the browser one at a time: the page asks for the frame after the one it
//! shows (`GET /enrolments/{id}/preview.jpg?after=N`, answered as soon as that frame exists,
//! its number in `x-preview-frame`, the streak wanted in `x-preview-needed`; `204` while there
//! is none), so it shows every frame the
//! station assesses and never queues old ones. Guidance and streak come from the enrolment's
//! event stream (`guidance`, `frame-good`). Frames and the portrait are biometric samples:
//! served only to a signed-in operator, for an enrolment of this station's desk, never cached
//! (`Cache-Control: no-store`), kept in memory only ([`crate::photo_screen`]).

use std::sync::Arc;
use std::time::Duration;

use axum::{
    Form,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::advice::advice;
use super::html::{csrf_field, esc, page};
use super::i18n::{Lang, Text};
use super::{DecisionForm, Session, Ui, decided, reply, signed_in};
use crate::enrolment::Enrolment;
use permitkit_quality::face::Advice;
use permitkit_station::pipeline::{Event, Step};

/// The header that carries a preview frame's number.
pub const FRAME_HEADER: &str = "x-preview-frame";

/// The header that carries the good frames in a row that take the picture.
pub const NEEDED_HEADER: &str = "x-preview-needed";

/// How long a request for the next frame waits for it.
const NEXT_FRAME_WAIT: Duration = Duration::from_secs(2);

const STYLE: &str = "<style>#photo[hidden],#photo [hidden]{display:none}#photo{display:flex;gap:1.2rem;align-items:flex-start;background:#fff;\
border:1px solid #d0d4da;padding:.6rem;margin:.5rem 0}#photo figure{margin:0}\
#live img{display:block;height:min(48vh,480px);width:auto;max-width:100%;background:#222}\
#live,#crop-fig{display:inline-block}#live figcaption,#crop-fig figcaption{font-size:.85rem;color:#444;\
width:0;min-width:100%}\
#photo .side{flex:1;min-width:16rem}#guidance{font-size:1.35rem;font-weight:600;margin:.2rem 0 .6rem;\
padding:.4rem .6rem;border-left:6px solid #a4000f;background:#fff4f4}#guidance.good{border-color:#1c7c2c;\
background:#f0fbf2}#streak{width:12rem;height:1.2rem;vertical-align:middle}\
#crop-fig img,#review img{display:block;height:min(30vh,240px);width:auto;border:2px solid #0b3d91}\
#review img{height:min(52vh,400px)}#review .buttons{display:flex;gap:1rem;margin-top:.8rem}\
#review button{font-size:1.1rem;padding:.5rem 1.2rem}</style>";

const SCRIPT: &str = "<script>(function(){var p=document.getElementById('photo');if(!p)return;\
var img=document.getElementById('preview'),live=document.getElementById('live'),\
g=document.getElementById('guidance'),st=document.getElementById('streak'),\
sn=document.getElementById('streak-n'),cf=document.getElementById('crop-fig'),\
crop=document.getElementById('crop'),side=document.getElementById('photo-side'),base=location.pathname,n=0,need=+st.max,on=false,url=null;\
function frame(){if(!on)return;fetch(base+'/preview.jpg?after='+n,{credentials:'same-origin',cache:'no-store'})\
.then(function(r){if(r.status===204){setTimeout(frame,300);return null;}\
if(!r.ok||(r.headers.get('content-type')||'').indexOf('image/jpeg')!==0)throw r.status;\
n=+(r.headers.get('x-preview-frame')||n);need=+(r.headers.get('x-preview-needed')||need);\
if(st.value==0)streak(0,need);return r.blob();})\
.then(function(b){if(!b)return;var u=URL.createObjectURL(b);img.onload=function(){if(url)URL.revokeObjectURL(url);\
url=u;img.dataset.frame=n;frame();};img.src=u;})\
.catch(function(){setTimeout(frame,500);});}\
function start(){if(on)return;on=true;p.hidden=false;live.hidden=false;side.hidden=false;frame();}\
function stop(){on=false;}\
function showCrop(){crop.onload=function(){cf.hidden=false;p.hidden=false;};crop.src=base+'/portrait.jpg?'+Date.now();}\
function streak(v,k){need=k;st.max=k;st.value=v;sn.textContent=v+' / '+k;}\
if(p.dataset.live==='1')start();var s=window.pkEvents;if(!s)return;\
s.addEventListener('step-started',function(e){if(JSON.parse(e.data).step==='photo'){cf.hidden=true;start();}});\
['step-done','step-skipped'].forEach(function(k){s.addEventListener(k,function(e){\
if(JSON.parse(e.data).step==='photo'){stop();live.hidden=true;side.hidden=true;showCrop();}});});\
s.addEventListener('step-failed',function(e){if(JSON.parse(e.data).step==='photo')stop();});\
s.addEventListener('guidance',function(e){var v=JSON.parse(e.data);g.textContent=v.text||v.message;\
g.className='';streak(0,need);});\
s.addEventListener('frame-good',function(e){var d=JSON.parse(e.data);g.textContent=g.dataset.good;\
g.className='good';streak(d.streak,d.needed);});\
s.addEventListener('photo-review-wanted',function(){s.close();location.reload();});})();</script>";

/// What the page knows of the photo step from the events so far: whether it runs, the last
/// guidance or good frame.
struct Seen {
    running: bool,
    guidance: Option<Advice>,
    streak: (u32, u32),
}

fn seen(events: &[Event], needed: u32) -> Seen {
    let mut s = Seen {
        running: false,
        guidance: None,
        streak: (0, needed),
    };
    for e in events {
        match e {
            Event::StepStarted { step: Step::Photo } => s.running = true,
            Event::StepDone {
                step: Step::Photo, ..
            }
            | Event::StepFailed {
                step: Step::Photo, ..
            }
            | Event::StepSkipped {
                step: Step::Photo, ..
            } => s.running = false,
            Event::Guidance { advice, .. } => {
                s.guidance = Some(advice.clone());
                s.streak.0 = 0;
            }
            Event::FrameGood { streak, needed, .. } => {
                s.guidance = None;
                s.streak = (*streak, *needed);
            }
            _ => {}
        }
    }
    s
}

/// The photo section of the progress page (or of the done page, where it is the portrait kept
/// only): the live view while the step runs, the portrait once taken; empty before the photo
/// step, and for an enrolment whose portrait is no longer held.
pub(super) fn section(l: Lang, e: &Enrolment, events: &[Event], live_allowed: bool) -> String {
    let seen = seen(events, e.photo.needed());
    let portrait = e.photo.portrait().is_some();
    let live = live_allowed && seen.running;
    if !live_allowed && !portrait {
        return String::new();
    }
    let side = format!(
        "<div class=\"side\" id=\"photo-side\"{side_hidden}><p class=\"label\">{what}</p>\
         <p id=\"guidance\" role=\"status\" aria-live=\"polite\" data-good=\"{hold}\"{good}>{guidance}</p>\
         <p><label for=\"streak\">{streak_label}</label><br><progress id=\"streak\" max=\"{max}\" value=\"{v}\"></progress> \
         <span id=\"streak-n\">{count}</span></p></div>",
        side_hidden = if live { "" } else { " hidden" },
        what = l.t(Text::PhotoGuidance),
        hold = l.t(Text::PhotoHold),
        good = if seen.guidance.is_none() && seen.streak.0 > 0 {
            " class=\"good\""
        } else {
            ""
        },
        guidance = esc(&seen.guidance.as_ref().map_or_else(
            || {
                if seen.streak.0 > 0 {
                    l.t(Text::PhotoHold)
                } else {
                    l.t(Text::PhotoWaiting)
                }
                .to_owned()
            },
            |a| advice(l, a),
        )),
        streak_label = l.t(Text::PhotoStreak),
        max = seen.streak.1.max(1),
        v = seen.streak.0,
        count = if seen.streak.1 > 0 {
            format!("{} / {}", seen.streak.0, seen.streak.1)
        } else {
            seen.streak.0.to_string()
        },
    );
    let hidden = |b: bool| if b { "" } else { " hidden" };
    format!(
        "{STYLE}<section id=\"photo\" aria-label=\"{title}\" data-live=\"{live_flag}\"{section_hidden}>\
         <figure id=\"live\"{live_hidden}><img id=\"preview\" alt=\"{alt}\" width=\"640\" height=\"480\">\
         <figcaption>{legend}</figcaption></figure>{side}<figure id=\"crop-fig\"{crop_hidden}><img id=\"crop\" alt=\"{crop}\"{crop_src}>\
         <figcaption>{crop}{kept}</figcaption></figure></section>",
        title = l.t(Text::PhotoTitle),
        live_flag = u8::from(live),
        section_hidden = hidden(live || portrait),
        live_hidden = hidden(live),
        alt = l.t(Text::PhotoLiveAlt),
        legend = l.t(Text::PhotoLegend),
        crop_hidden = hidden(portrait),
        crop = l.t(Text::PhotoCrop),
        crop_src = if portrait {
            format!(" src=\"/enrolments/{}/portrait.jpg\"", esc(&e.id))
        } else {
            String::new()
        },
        kept = if live_allowed {
            String::new()
        } else {
            format!(". {}", l.t(Text::PhotoKeptUntilNext))
        },
    )
}

/// The script of the live view; it follows the progress page's event stream.
pub(super) fn script() -> &'static str {
    SCRIPT
}

/// The review section, while the photo step waits for the operator's word on the portrait.
pub(super) fn review(s: &Session, e: &Enrolment) -> String {
    let l = s.lang;
    let form = |value: &str, text: Text, autofocus: bool| {
        format!(
            "<form method=\"post\" action=\"/enrolments/{id}/photo\">{csrf}\
             <input type=\"hidden\" name=\"decision\" value=\"{value}\">\
             <button id=\"photo-{value}\"{focus}>{text}</button></form>",
            id = esc(&e.id),
            csrf = csrf_field(s),
            focus = if autofocus { " autofocus" } else { "" },
            text = l.t(text),
        )
    };
    format!(
        "{STYLE}<section id=\"review\" aria-label=\"{title}\"><p>{hint}</p><img id=\"crop\" alt=\"{crop}\" src=\"/enrolments/{id}/portrait.jpg\">\
         <div class=\"buttons\">{keep}{retake}</div></section>",
        title = l.t(Text::PhotoReviewTitle),
        hint = l.t(Text::PhotoReviewHint),
        crop = l.t(Text::PhotoCrop),
        id = esc(&e.id),
        keep = form("keep", Text::PhotoKeep, true),
        retake = form("retake", Text::PhotoRetake, false),
    )
}

/// A biometric image for the operator's page: never stored by the browser or a proxy.
/// A JPEG of the operator's screens: never cached, never sniffed; with the preview's frame
/// headers when it is one.
pub(super) fn image(jpeg: Vec<u8>, frame: Option<(u64, u32)>) -> Response {
    let mut r = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "no-store"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        jpeg,
    )
        .into_response();
    if let Some((n, needed)) = frame {
        r.headers_mut().insert(FRAME_HEADER, HeaderValue::from(n));
        r.headers_mut()
            .insert(NEEDED_HEADER, HeaderValue::from(needed));
    }
    r
}

/// No image, and nothing to cache.
pub(super) fn nothing(status: StatusCode) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")]).into_response()
}

/// `?after=N`: the frame wanted is the first numbered above N.
#[derive(Debug, Deserialize)]
pub(super) struct After {
    #[serde(default)]
    after: u64,
}

/// `GET /enrolments/{id}/preview.jpg?after=N`.
pub(super) async fn preview(
    State(ui): State<Arc<Ui>>,
    Path(id): Path<String>,
    Query(q): Query<After>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = signed_in(&ui, &headers) {
        return *r;
    }
    let Some(e) = ui.desk.enrolment(&id) else {
        return nothing(StatusCode::NOT_FOUND);
    };
    match e.photo.next_after(q.after, NEXT_FRAME_WAIT).await {
        Some(f) => image(f.jpeg.expose().to_vec(), Some((f.number, e.photo.needed()))),
        None => nothing(StatusCode::NO_CONTENT),
    }
}

/// `GET /enrolments/{id}/portrait.jpg`: the portrait taken for DG2, while it is shown.
pub(super) async fn portrait(
    State(ui): State<Arc<Ui>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = signed_in(&ui, &headers) {
        return *r;
    }
    match ui.desk.enrolment(&id).and_then(|e| e.photo.portrait()) {
        Some(p) => image(p.expose().to_vec(), None),
        None => nothing(StatusCode::NOT_FOUND),
    }
}

/// `POST /enrolments/{id}/photo`: the operator keeps the portrait or asks for another.
pub(super) async fn decide(
    State(ui): State<Arc<Ui>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(f): Form<DecisionForm>,
) -> Response {
    let parse = |d: &str| match d {
        "keep" => Some(true),
        "retake" => Some(false),
        _ => None,
    };
    let (s, e, keep) = match decided(&ui, &headers, &id, &f, parse) {
        Ok(d) => d,
        Err(r) => return *r,
    };
    let l = s.lang;
    match e.photo.decide(keep) {
        Ok(()) => {
            tracing::info!(enrolment = %e.id, keep, "portrait reviewed on screen");
            Redirect::to(&format!("/enrolments/{}", e.id)).into_response()
        }
        Err(_) => reply(
            StatusCode::CONFLICT,
            page(
                l,
                l.t(Text::PhotoNotReviewing),
                Some(&s),
                &format!(
                    "<p><a href=\"/enrolments/{id}\">{back}</a></p>",
                    id = esc(&e.id),
                    back = l.t(Text::Progress)
                ),
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use permitkit_quality::face::Side;

    #[test]
    fn the_page_starts_from_the_last_guidance_or_good_frame() {
        let photo = Event::StepStarted { step: Step::Photo };
        let centre = Advice::FaceOffCentre {
            share: 0.2,
            towards: Side::Left,
        };
        let guidance = Event::Guidance {
            frame: 0,
            message: centre.to_string(),
            advice: centre.clone(),
        };
        let good = Event::FrameGood {
            frame: 1,
            streak: 2,
            needed: 5,
        };
        let s = seen(&[photo.clone(), guidance.clone()], 5);
        assert!(s.running);
        assert_eq!(s.guidance, Some(centre));
        assert_eq!(s.streak, (0, 5));
        let s = seen(&[photo.clone(), guidance.clone(), good.clone()], 5);
        assert_eq!((s.guidance, s.streak), (None, (2, 5)));
        let s = seen(&[photo.clone(), good, guidance], 5);
        assert_eq!(s.streak, (0, 5), "a problem breaks the streak");
        let done = Event::StepDone {
            step: Step::Photo,
            millis: 1,
            summary: String::new(),
            result: Box::new(permitkit_station::pipeline::StepResult::Signature(
                permitkit_station::pipeline::SignatureRecord::NotOnDocument,
            )),
        };
        assert!(!seen(&[photo, done], 5).running);
    }

    #[test]
    fn the_guidance_is_in_the_operators_language() {
        let e = Enrolment::new("e-1".into(), "A".into(), "N".into(), [0; 32]);
        let smiling = Advice::Smiling;
        let events = [
            Event::StepStarted { step: Step::Photo },
            Event::Guidance {
                frame: 3,
                message: smiling.to_string(),
                advice: smiling,
            },
        ];
        let html = section(Lang::Uk, &e, &events, true);
        assert!(
            html.contains("aria-live=\"polite\" data-good=\"Добре — не рухайтеся\">Заявник усміхається: попросіть нейтральний вираз обличчя — рот закритий, без усмішки</p>"),
            "{html}"
        );
        let html = section(Lang::En, &e, &events, true);
        assert!(
            html.contains(
                ">smiling: ask the applicant for a neutral expression, mouth closed, no smile</p>"
            ),
            "{html}"
        );
    }

    #[test]
    fn the_section_shows_the_live_view_only_while_the_step_runs() {
        let e = Enrolment::new("e-1".into(), "A".into(), "N".into(), [0; 32]);
        let running = [Event::StepStarted { step: Step::Photo }];
        let html = section(Lang::En, &e, &running, true);
        assert!(html.contains("data-live=\"1\""), "{html}");
        assert!(html.contains("<figure id=\"live\">"), "{html}");
        assert!(html.contains("Waiting for the camera"), "{html}");
        assert!(
            html.contains("<figure id=\"crop-fig\" hidden>"),
            "no portrait yet"
        );
        // Before the photo step: the section is there for the script, hidden.
        let html = section(Lang::Uk, &e, &[], true);
        assert!(html.contains("data-live=\"0\" hidden>"), "{html}");
        assert!(html.contains("<figure id=\"live\" hidden>"));
        assert!(html.contains("id=\"photo-side\" hidden>"));
        // The done page without a portrait held: nothing.
        assert_eq!(section(Lang::En, &e, &running, false), "");
        // With the portrait held: shown, with its address, and how long it is held.
        e.photo
            .keep_portrait(&permitkit_model::secret::SecretBytes::new(vec![0xFF, 0xD8]));
        let html = section(Lang::En, &e, &[], false);
        assert!(
            html.contains("<img id=\"crop\" alt=\"Portrait for the chip (DG2)\" src=\"/enrolments/e-1/portrait.jpg\">"),
            "{html}"
        );
        assert!(html.contains("until the next enrolment begins"), "{html}");
        assert!(html.contains("data-live=\"0\""));
    }
}
