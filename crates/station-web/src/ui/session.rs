//! Operator sessions and CSRF protection (OWASP ASVS 4.0 V3 session management, V4.2.2
//! anti-CSRF): a session is 256 random bits in an `HttpOnly; SameSite=Strict` cookie, stored
//! on the server only as its SHA-256, ending after the profile's `session_minutes` without a
//! request; each session has its own CSRF token, which every form carries and every POST must
//! return (compared in constant time). The sign-in form, which has no session yet, is protected
//! by a double-submit cookie.

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

use axum::http::HeaderMap;
use sha2::{Digest, Sha256};

use permitkit_model::profiles::station::Role;
use permitkit_model::secret::ct_eq;

use super::i18n::Lang;

/// The session cookie's name.
pub const COOKIE: &str = "pk_session";
/// The sign-in form's double-submit cookie.
pub const LOGIN_COOKIE: &str = "pk_login";
/// At most this many sessions at once (the oldest is dropped past it).
pub const MAX_SESSIONS: usize = 64;

/// A signed-in operator.
#[derive(Clone)]
pub struct Session {
    /// Login.
    pub login: String,
    /// Role.
    pub role: Role,
    /// The CSRF token of this session's forms.
    pub csrf: String,
    /// The screens' language.
    pub lang: Lang,
    last_seen: Instant,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("login", &self.login)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session of operator `login` in `lang` with a fixed token, for the screens' unit tests.
    #[cfg(test)]
    pub(crate) fn for_test(login: &str, lang: Lang) -> Self {
        Self {
            login: login.to_owned(),
            role: Role::Operator,
            csrf: "test-csrf-token".to_owned(),
            lang,
            last_seen: Instant::now(),
        }
    }

    /// Whether `token` is this session's CSRF token.
    pub fn csrf_ok(&self, token: &str) -> bool {
        ct_eq(self.csrf.as_bytes(), token.as_bytes())
    }
}

/// Every session of the server.
#[derive(Debug)]
pub struct Sessions {
    lifetime: Duration,
    map: Mutex<HashMap<[u8; 32], Session>>,
}

impl Sessions {
    /// Sessions that end after `minutes` without a request.
    pub fn new(minutes: u32) -> Self {
        Self {
            lifetime: Duration::from_secs(u64::from(minutes) * 60),
            map: Mutex::new(HashMap::new()),
        }
    }

    /// Opens a session for `login`; returns the cookie value.
    pub fn open(&self, login: &str, role: Role, lang: Lang) -> std::io::Result<String> {
        let id = random_hex()?;
        let session = Session {
            login: login.to_owned(),
            role,
            csrf: random_hex()?,
            lang,
            last_seen: Instant::now(),
        };
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        let lifetime = self.lifetime;
        map.retain(|_, s| s.last_seen.elapsed() < lifetime);
        if map.len() >= MAX_SESSIONS
            && let Some(oldest) = map.iter().min_by_key(|(_, s)| s.last_seen).map(|(k, _)| *k)
        {
            map.remove(&oldest);
        }
        map.insert(digest(&id), session);
        Ok(id)
    }

    /// The live session the request's cookie names (its clock restarted), or `None`.
    pub fn current(&self, headers: &HeaderMap) -> Option<Session> {
        let id = cookie(headers, COOKIE)?;
        let key = digest(&id);
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        let expired = map.get(&key)?.last_seen.elapsed() >= self.lifetime;
        if expired {
            map.remove(&key);
            return None;
        }
        let s = map.get_mut(&key)?;
        s.last_seen = Instant::now();
        Some(s.clone())
    }

    /// Sets the language of the request's session.
    pub fn set_lang(&self, headers: &HeaderMap, lang: Lang) {
        if let Some(id) = cookie(headers, COOKIE) {
            let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(s) = map.get_mut(&digest(&id)) {
                s.lang = lang;
            }
        }
    }

    /// Ends the request's session.
    pub fn close(&self, headers: &HeaderMap) {
        if let Some(id) = cookie(headers, COOKIE) {
            let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
            map.remove(&digest(&id));
        }
    }

    /// Test and drill hook: ages every session by `by`, as if that much time had passed.
    pub fn age(&self, by: Duration) {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        for s in map.values_mut() {
            s.last_seen = s.last_seen.checked_sub(by).unwrap_or(s.last_seen);
        }
    }
}

fn digest(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

/// 256 random bits in hex.
pub fn random_hex() -> std::io::Result<String> {
    let mut raw = [0u8; 32];
    permitkit_model::random::fill_random(&mut raw).map_err(std::io::Error::other)?;
    Ok(hex::encode(raw))
}

/// The value of cookie `name` in the request (RFC 6265 §5.4 `Cookie` header), bounded.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| v.len() <= 128)
}

/// A `Set-Cookie` value for the session cookie (`None`: expire it).
pub fn set_cookie(name: &str, value: Option<&str>) -> String {
    match value {
        Some(v) => format!("{name}={v}; HttpOnly; SameSite=Strict; Path=/"),
        None => format!("{name}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_cookie(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::header::COOKIE,
            HeaderValue::from_str(&format!("a=b; {COOKIE}={v}")).unwrap(),
        );
        h
    }

    #[test]
    fn a_session_ends_after_its_lifetime_without_use() {
        let s = Sessions::new(30);
        let id = s.open("olena", Role::Operator, Lang::Uk).unwrap();
        assert_eq!(s.current(&with_cookie(&id)).unwrap().login, "olena");
        s.age(Duration::from_secs(29 * 60));
        assert!(
            s.current(&with_cookie(&id)).is_some(),
            "used: its clock restarts"
        );
        s.age(Duration::from_secs(30 * 60));
        assert!(s.current(&with_cookie(&id)).is_none());
        assert!(s.current(&with_cookie("0000")).is_none());
    }

    #[test]
    fn the_csrf_token_is_the_sessions_own() {
        let s = Sessions::new(30);
        let a = s.open("a", Role::Operator, Lang::En).unwrap();
        let b = s.open("b", Role::Operator, Lang::En).unwrap();
        let sa = s.current(&with_cookie(&a)).unwrap();
        let sb = s.current(&with_cookie(&b)).unwrap();
        assert!(sa.csrf_ok(&sa.csrf));
        assert!(!sa.csrf_ok(&sb.csrf));
        assert!(!sa.csrf_ok(""));
    }
}
