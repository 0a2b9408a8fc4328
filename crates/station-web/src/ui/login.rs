//! Sign-in and sign-out. The sign-in form is protected against login CSRF by a double-submit
//! cookie; a failed sign-in says only that the login or the password is wrong, and logs
//! neither. Repeated wrong passwords lock the login for a while ([`crate::sign_in_limit`]): the
//! refusal says for how long and is logged with the login, never the password.

use std::sync::Arc;

use axum::{
    Form,
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::html::{esc, page};
use super::i18n::{Lang, Text};
use super::session::{COOKIE, LOGIN_COOKIE, cookie, random_hex, set_cookie};
use super::{Ui, reply};
use permitkit_model::secret::ct_eq;

#[derive(Deserialize)]
pub(super) struct LangQuery {
    lang: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    login: String,
    password: String,
    csrf: String,
    #[serde(default)]
    lang: String,
}

fn lang_of(q: Option<&str>, headers: &HeaderMap) -> Lang {
    q.and_then(Lang::parse)
        .or_else(|| cookie(headers, "pk_lang").as_deref().and_then(Lang::parse))
        .unwrap_or_default()
}

fn login_page(lang: Lang, status: StatusCode, message: Option<&str>) -> Response {
    let Ok(token) = random_hex() else {
        return reply(StatusCode::INTERNAL_SERVER_ERROR, String::new());
    };
    let error = message.map_or_else(String::new, |m| {
        format!("<p class=\"err\" role=\"alert\">{}</p>", esc(m))
    });
    let body = format!(
        "{error}<form method=\"post\" action=\"/login\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{token}\">\
         <input type=\"hidden\" name=\"lang\" value=\"{code}\">\
         <p><label>{login}<br><input name=\"login\" autocomplete=\"username\" autofocus required maxlength=\"64\"></label></p>\
         <p><label>{password}<br><input name=\"password\" type=\"password\" autocomplete=\"current-password\" required maxlength=\"256\"></label></p>\
         <p><button>{sign_in}</button></p></form>",
        code = lang.code(),
        login = lang.t(Text::Login),
        password = lang.t(Text::Password),
        sign_in = lang.t(Text::SignIn),
    );
    let mut response = reply(status, page(lang, lang.t(Text::SignIn), None, &body));
    let headers = response.headers_mut();
    for c in [
        set_cookie(LOGIN_COOKIE, Some(&token)),
        format!("pk_lang={}; SameSite=Strict; Path=/", lang.code()),
    ] {
        if let Ok(v) = c.parse() {
            headers.append(header::SET_COOKIE, v);
        }
    }
    response
}

pub(super) async fn form(Query(q): Query<LangQuery>, headers: HeaderMap) -> Response {
    login_page(lang_of(q.lang.as_deref(), &headers), StatusCode::OK, None)
}

pub(super) async fn submit(
    State(ui): State<Arc<Ui>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = lang_of(Some(form.lang.as_str()), &headers);
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !ct_eq(expected.as_bytes(), form.csrf.as_bytes()) {
        return login_page(lang, StatusCode::FORBIDDEN, Some(lang.t(Text::BadForm)));
    }
    if form.login.len() > 64 || form.password.len() > 256 {
        return login_page(
            lang,
            StatusCode::UNAUTHORIZED,
            Some(lang.t(Text::WrongLogin)),
        );
    }
    let now = std::time::SystemTime::now();
    if let Err(wait) = ui.sign_ins.check(&form.login, now) {
        return locked(lang, &ui, &form.login, wait);
    }
    let accounts = ui.accounts.clone();
    let (login, password) = (form.login.clone(), form.password);
    let role = tokio::task::spawn_blocking(move || accounts.check(&login, &password))
        .await
        .ok()
        .flatten();
    let Some(role) = role else {
        tracing::info!("a sign-in was refused");
        if let Some(lock) = ui.sign_ins.failed(&form.login, now) {
            return locked(lang, &ui, &form.login, lock);
        }
        return login_page(
            lang,
            StatusCode::UNAUTHORIZED,
            Some(lang.t(Text::WrongLogin)),
        );
    };
    ui.sign_ins.succeeded(&form.login);
    let Ok(id) = ui.sessions.open(&form.login, role, lang) else {
        return reply(StatusCode::INTERNAL_SERVER_ERROR, String::new());
    };
    tracing::info!(operator = %form.login, "signed in");
    let mut response = Redirect::to("/").into_response();
    if let Ok(v) = set_cookie(COOKIE, Some(&id)).parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    if let Ok(v) = set_cookie(LOGIN_COOKIE, None).parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

/// The answer to a sign-in for a locked login: `429` with `Retry-After`, the wait in words.
fn locked(lang: Lang, ui: &Ui, login: &str, wait: std::time::Duration) -> Response {
    let seconds = wait
        .as_secs()
        .saturating_add(u64::from(wait.subsec_nanos() > 0));
    if ui.accounts.knows(login) {
        tracing::warn!(operator = %login, retry_after_s = seconds, "sign-in refused: too many wrong passwords");
    } else {
        tracing::warn!(
            retry_after_s = seconds,
            "sign-in refused for an unknown login: too many wrong passwords"
        );
    }
    let message = format!(
        "{} {} {}.",
        lang.t(Text::SignInLocked),
        seconds,
        lang.t(Text::Seconds)
    );
    let mut response = login_page(lang, StatusCode::TOO_MANY_REQUESTS, Some(&message));
    if let Ok(v) = seconds.to_string().parse() {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    csrf: String,
}

pub(super) async fn logout(
    State(ui): State<Arc<Ui>>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Some(s) = ui.sessions.current(&headers) {
        if !s.csrf_ok(&form.csrf) {
            return reply(
                StatusCode::FORBIDDEN,
                page(s.lang, s.lang.t(Text::BadForm), None, ""),
            );
        }
        ui.sessions.close(&headers);
    }
    let mut response = Redirect::to("/login").into_response();
    if let Ok(v) = set_cookie(COOKIE, None).parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}
