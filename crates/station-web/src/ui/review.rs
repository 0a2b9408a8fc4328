//! The review of the card before it is written (the station profile's `[web]
//! review_before_card`, [`crate::card_screen`]): once the ChipImage is signed, the progress
//! page becomes this review — the portrait that goes in DG2, the signature in DG7, the fingers
//! in DG3 by position and quality score only (and whether Extended Access Control protects
//! them), the MRZ as printed with DG1's fields, DG11 and DG12, the Document Signer, and a table
//! of every elementary file with its size in bytes against the chip profile's budget (and the
//! portrait's and signature's JPEG against the document profile's) — with "Write the card" and
//! "Stop: do not write". A file over its budget is an error on the page and the card cannot be
//! written. The forms carry the session's CSRF token; the operator who answers is journaled by
//! the pipeline (`card-review`). The signature's JPEG is served only while the review waits,
//! never cached.

use std::sync::Arc;

use axum::{
    Form,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};

use super::html::{csrf_field, esc, page};
use super::i18n::{Lang, Text};
use super::{DecisionForm, Session, Ui, decided, reply, signed_in};
use crate::card_screen::{CardAnswer, CardSheet, Dg1Field};
use crate::enrolment::Enrolment;
use permitkit_biometrics::FingerPosition;
use permitkit_station::pipeline::card_review::{ImagePart, OverBudget};

const STYLE: &str = "<style>#card-review{font-size:.9rem}#card-review .bar{display:flex;gap:1rem;\
align-items:center;background:#fff;border:1px solid #d0d4da;padding:.4rem .6rem;margin:.2rem 0 .5rem}\
#card-review .bar p{flex:1;margin:0}#card-review .bar button{font-size:1.05rem;padding:.4rem 1.1rem}\
#review-write{background:#0b3d91;color:#fff;border:1px solid #0b3d91}\
#card-review .cols{display:grid;grid-template-columns:15rem 1fr 1fr;gap:.8rem;align-items:start}\
#card-review figure{margin:0 0 .4rem}#card-review figcaption,#card-review h2{font-size:.85rem;font-weight:600;\
margin:.2rem 0;color:#333}#card-review figure img{display:block;border:1px solid #0b3d91;background:#fff}\
#review-portrait{height:11rem;width:auto}#review-signature{width:14rem;height:auto}\
#card-review table{font-size:.85rem}#card-review td,#card-review th{padding:.15rem .4rem}\
#card-review .mrz{font-size:.95rem;padding:.3rem .5rem;margin:0 0 .4rem}\
#card-review .n{text-align:right;font-variant-numeric:tabular-nums}\
#card-review tr.over td{background:#fff0f0;color:#a4000f;font-weight:600}\
#card-review ul{margin:.2rem 0;padding-left:1.2rem}\
#card-review table.data th{width:auto;white-space:nowrap;font-weight:normal;color:#333}</style>";

fn dg1_label(f: Dg1Field) -> Text {
    match f {
        Dg1Field::DocumentCode => Text::ReviewDocumentCode,
        Dg1Field::IssuingState => Text::ReviewIssuingState,
        Dg1Field::DocumentNumber => Text::DocumentNumber,
        Dg1Field::Surname => Text::ReviewSurname,
        Dg1Field::GivenNames => Text::ReviewGivenNames,
        Dg1Field::Nationality => Text::ReviewNationality,
        Dg1Field::DateOfBirth => Text::DateOfBirth,
        Dg1Field::Sex => Text::ReviewSex,
        Dg1Field::DateOfExpiry => Text::ReviewDateOfExpiry,
        Dg1Field::OptionalData => Text::ReviewOptionalData,
    }
}

/// The label of a DG11 or DG12 field, as `permitkit_lds::describe` names it.
fn detail_label(l: Lang, key: &str) -> String {
    let text = match key {
        "full_name" => Text::ReviewFullName,
        "personal_number" => Text::ReviewPersonalNumber,
        "full_date_of_birth" => Text::DateOfBirth,
        "place_of_birth" => Text::PlaceOfBirth,
        "permanent_address" => Text::Address,
        "telephone" => Text::ReviewTelephone,
        "profession" => Text::ReviewProfession,
        "other_names" => Text::ReviewOtherNames,
        "issuing_authority" => Text::IssuingAuthority,
        "date_of_issue" => Text::ReviewDateOfIssue,
        "endorsements" => Text::ReviewEndorsements,
        "personalization_time" => Text::ReviewPersonalizationTime,
        "personalization_device" => Text::ReviewPersonalizationDevice,
        other => return esc(other),
    };
    l.t(text).to_owned()
}

/// `n` with a thin space between thousands (`65 535`).
fn bytes(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

fn over_line(l: Lang, o: &OverBudget) -> String {
    match o {
        OverBudget::File { ef, size, limit } => format!(
            "{ef}: {} &gt; {} — {}",
            bytes(*size),
            bytes(*limit),
            l.t(Text::ReviewOverFile)
        ),
        OverBudget::Files { count, limit } => {
            format!("{count} &gt; {limit} — {}", l.t(Text::ReviewOverCount))
        }
        OverBudget::Image { part, size, limit } => format!(
            "{}: {} &gt; {} — {}",
            l.t(image_label(*part)),
            bytes(*size),
            bytes(*limit),
            l.t(Text::ReviewOverImage)
        ),
        _ => String::new(),
    }
}

fn image_label(part: ImagePart) -> Text {
    match part {
        ImagePart::Portrait => Text::ReviewPortraitJpeg,
        ImagePart::Signature => Text::ReviewSignatureJpeg,
    }
}

fn rows(pairs: impl IntoIterator<Item = (String, String)>) -> String {
    pairs
        .into_iter()
        .map(|(k, v)| format!("<tr><th>{k}</th><td>{}</td></tr>", esc(&v)))
        .collect()
}

/// The review section of the progress page, while the card waits for the operator.
pub(super) fn section(s: &Session, e: &Enrolment, sheet: &CardSheet) -> String {
    let l = s.lang;
    let id = esc(&e.id);
    let writable = sheet.over.is_empty();
    let form = |value: &str, text: Text, focus: bool| {
        format!(
            "<form method=\"post\" action=\"/enrolments/{id}/review\">{csrf}\
             <input type=\"hidden\" name=\"decision\" value=\"{value}\">\
             <button id=\"review-{value}\"{autofocus}>{text}</button></form>",
            csrf = csrf_field(s),
            autofocus = if focus { " autofocus" } else { "" },
            text = l.t(text),
        )
    };
    let over = if writable {
        String::new()
    } else {
        format!(
            "<div class=\"err\" role=\"alert\" id=\"over-budget\"><strong>{}</strong><ul>{}</ul></div>",
            l.t(Text::ReviewOverBudget),
            sheet
                .over
                .iter()
                .map(|o| format!("<li>{}</li>", over_line(l, o)))
                .collect::<String>()
        )
    };
    let bar = format!(
        "<div class=\"bar\"><p>{hint}</p>{write}{stop}</div>",
        hint = if writable {
            l.t(Text::ReviewHint)
        } else {
            l.t(Text::ReviewCannotWrite)
        },
        write = if writable {
            form("write", Text::ReviewWrite, true)
        } else {
            String::new()
        },
        stop = form("stop", Text::ReviewStop, !writable),
    );
    // Column 1: what the chip holds of the holder's images and fingers.
    let portrait = if e.photo.portrait().is_some() {
        format!(
            "<figure><figcaption>{cap}{size}</figcaption><img id=\"review-portrait\" alt=\"{cap}\" \
             src=\"/enrolments/{id}/portrait.jpg\"></figure>",
            cap = l.t(Text::PhotoCrop),
            size = sheet
                .face
                .map_or_else(String::new, |[w, h]| format!(", {w}×{h}")),
        )
    } else {
        String::new()
    };
    let signature = if sheet.signature.is_some() {
        format!(
            "<figure><figcaption>{cap}</figcaption><img id=\"review-signature\" alt=\"{cap}\" \
             src=\"/enrolments/{id}/review/signature.jpg\"></figure>",
            cap = l.t(Text::ReviewSignature),
        )
    } else {
        format!("<p>{}</p>", l.t(Text::ReviewNoSignature))
    };
    let fingers = if sheet.fingers.is_empty() {
        format!(
            "<h2>{}</h2><p id=\"review-fingers\">{}</p>",
            l.t(Text::ReviewFingers),
            l.t(Text::ReviewNoFingers)
        )
    } else {
        format!(
            "<h2>{title}</h2><table id=\"review-fingers\"><tr><th>{finger}</th><th>{quality}</th></tr>{rows}</table>\
             <p id=\"review-eac\">{eac}</p>",
            title = l.t(Text::ReviewFingers),
            finger = l.t(Text::ReviewFinger),
            quality = l.t(Text::ReviewQuality),
            rows = sheet
                .fingers
                .iter()
                .map(|(position, quality)| {
                    let name = position.parse::<FingerPosition>().map_or_else(
                        |_| esc(position),
                        |p| super::fingers::finger_name(l, p).to_owned(),
                    );
                    format!("<tr><td>{name}</td><td class=\"n\">{quality}</td></tr>")
                })
                .collect::<String>(),
            eac = if sheet.fingers_behind_eac() {
                l.t(Text::ReviewEacYes)
            } else {
                l.t(Text::ReviewEacNo)
            },
        )
    };
    // Column 2: the data as printed and as written.
    let mrz = if sheet.mrz.is_empty() {
        String::new()
    } else {
        format!(
            "<h2>{}</h2><div class=\"mrz\" id=\"review-mrz\">{}</div>",
            l.t(Text::ReviewMrz),
            esc(&sheet.mrz.join("\n"))
        )
    };
    let dg1 = format!(
        "<table class=\"data\" id=\"review-dg1\">{}</table>",
        rows(
            sheet
                .dg1
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(f, v)| (l.t(dg1_label(*f)).to_owned(), v.clone()))
        )
    );
    let details = |title: Text, id: &str, list: &[(&'static str, String)]| {
        if list.is_empty() {
            return String::new();
        }
        format!(
            "<h2>{}</h2><table class=\"data\" id=\"{id}\">{}</table>",
            l.t(title),
            rows(list.iter().map(|(k, v)| (detail_label(l, k), v.clone())))
        )
    };
    // Column 3: every file against the budget.
    let files = sheet
        .files
        .iter()
        .map(|f| {
            format!(
                "<tr{class}><td>{ef}</td><td class=\"n\">{size}</td><td class=\"n\">{limit}</td><td>{mark}</td></tr>",
                class = if f.over() { " class=\"over\"" } else { "" },
                ef = f.ef,
                size = bytes(f.size),
                limit = bytes(f.limit),
                mark = if f.over() {
                    l.t(Text::ReviewOver)
                } else {
                    "✓"
                },
            )
        })
        .collect::<String>();
    let images = sheet
        .images
        .iter()
        .map(|i| {
            let over = i.size > i.limit;
            format!(
                "<tr{class}><td>{what}</td><td class=\"n\">{size}</td><td class=\"n\">{limit}</td><td>{mark}</td></tr>",
                class = if over { " class=\"over\"" } else { "" },
                what = l.t(image_label(i.part)),
                size = bytes(i.size),
                limit = bytes(i.limit),
                mark = if over { l.t(Text::ReviewOver) } else { "✓" },
            )
        })
        .collect::<String>();
    let total: usize = sheet.files.iter().map(|f| f.size).sum();
    let table = format!(
        "<h2>{title}</h2><table id=\"review-files\"><tr><th>{file}</th><th>{size}</th><th>{budget}</th><th></th></tr>\
         {files}<tr><th>{total_label}</th><th class=\"n\">{total}</th><th class=\"n\">{n_files} / {max_files} {files_word}</th><th></th></tr>{images}</table>\
         <p>{signer_label}: {signer}{hash}</p>",
        title = l.t(Text::ReviewFiles),
        file = l.t(Text::ReviewFile),
        size = l.t(Text::ReviewBytes),
        budget = l.t(Text::ReviewBudget),
        total_label = l.t(Text::ReviewTotal),
        total = bytes(total),
        n_files = sheet.files.len(),
        max_files = sheet.max_files,
        files_word = l.t(Text::ReviewFilesCount),
        signer_label = l.t(Text::ReviewSigner),
        signer = esc(sheet.signer.as_deref().unwrap_or("—")),
        hash = sheet
            .hash_algorithm
            .as_deref()
            .map_or_else(String::new, |h| format!(" ({})", esc(h))),
    );
    format!(
        "{STYLE}<section id=\"card-review\" aria-label=\"{title}\">{over}{bar}<div class=\"cols\">\
         <div>{portrait}{signature}{fingers}</div><div>{mrz}{dg1}{dg11}{dg12}</div>\
         <div>{table}</div></div><p><small>{stop_hint}</small></p></section>",
        title = l.t(Text::ReviewTitle),
        dg11 = details(Text::ReviewDg11, "review-dg11", &sheet.personal),
        dg12 = details(Text::ReviewDg12, "review-dg12", &sheet.document),
        stop_hint = l.t(Text::ReviewStopHint),
    )
}

/// `GET /enrolments/{id}/review/signature.jpg`: DG7's signature, while the review waits.
pub(super) async fn signature(
    State(ui): State<Arc<Ui>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = signed_in(&ui, &headers) {
        return *r;
    }
    let jpeg = ui
        .desk
        .enrolment(&id)
        .and_then(|e| e.card.waiting())
        .and_then(|sheet| sheet.signature.clone());
    match jpeg {
        Some(j) => super::photo::image(j.expose().to_vec(), None),
        None => super::photo::nothing(StatusCode::NOT_FOUND),
    }
}

/// `POST /enrolments/{id}/review`: the operator writes the card or stops before it.
pub(super) async fn decide(
    State(ui): State<Arc<Ui>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(f): Form<DecisionForm>,
) -> Response {
    let parse = |d: &str| match d {
        "write" => Some(CardAnswer::Write),
        "stop" => Some(CardAnswer::Stop),
        _ => None,
    };
    let (s, e, answer) = match decided(&ui, &headers, &id, &f, parse) {
        Ok(d) => d,
        Err(r) => return *r,
    };
    let l = s.lang;
    let back = format!(
        "<p><a href=\"/enrolments/{id}\">{back}</a></p>",
        id = esc(&e.id),
        back = l.t(Text::Progress)
    );
    // A card over its budget cannot be written, whatever the form says.
    if answer == CardAnswer::Write && e.card.waiting().is_some_and(|sheet| !sheet.over.is_empty()) {
        return reply(
            StatusCode::CONFLICT,
            page(l, l.t(Text::ReviewCannotWrite), Some(&s), &back),
        );
    }
    match e.card.decide(answer.clone(), &s.login) {
        Ok(()) => {
            tracing::info!(enrolment = %e.id, operator = %s.login, write = (answer == CardAnswer::Write), "card reviewed on screen");
            Redirect::to(&format!("/enrolments/{}", e.id)).into_response()
        }
        Err(_) => reply(
            StatusCode::CONFLICT,
            page(l, l.t(Text::ReviewNotWaiting), Some(&s), &back),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_grouped_by_thousands() {
        assert_eq!(bytes(93), "93");
        assert_eq!(bytes(1234), "1\u{202f}234");
        assert_eq!(bytes(65535), "65\u{202f}535");
        assert_eq!(bytes(1_000_000), "1\u{202f}000\u{202f}000");
    }
}
