//! The station profile's `[web]` section: who may use `permitkit station serve` (issue 14).
//!
//! - `[[web.api_tokens]]`: the bearer tokens of the integration API (RFC 6750 §2.1), each kept
//!   only as the SHA-256 of the token (hex), so that the profile file reveals no usable token;
//!   the server hashes what it receives and compares the digests in constant time.
//! - `[[web.operators]]`: the front office's local accounts, each with an Argon2id password
//!   hash in the PHC string format (RFC 9106; `$argon2id$v=19$m=…,t=…,p=…$salt$hash`) and a
//!   role: an `operator` enrols, a `supervisor` also abandons stuck enrolments.
//! - `session_minutes`: how long an operator's session lasts without being used.
//! - `photo_review`: the photo step waits, once it has taken a portrait, for the operator to
//!   keep it or retake it on the progress page (default: kept as taken).
//! - `review_before_card`: once the ChipImage is signed, the enrolment waits for the operator
//!   to review everything that goes on the chip (each file's size against the chip's budget)
//!   and confirm before the card is written (default: written at once). Meaningless for a
//!   station that hands its applications to the central bureau, which refuses it.
//!
//! The form of each value is checked here; the Argon2 hash itself is parsed by the web crate.

use serde::Deserialize;

use super::super::FieldProblem;

/// `[web]`: the station's web server accounts and tokens.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebSection {
    /// Integration API clients.
    #[serde(default)]
    pub api_tokens: Vec<ApiToken>,
    /// Operator accounts.
    #[serde(default)]
    pub operators: Vec<OperatorAccount>,
    /// Minutes an operator session stays valid without a request (default 30).
    #[serde(default = "default_session_minutes")]
    pub session_minutes: u32,
    /// The operator keeps or retakes each portrait on screen before the enrolment goes on.
    #[serde(default)]
    pub photo_review: bool,
    /// The operator reviews what goes on the chip and confirms before the card is written.
    #[serde(default)]
    pub review_before_card: bool,
}

impl Default for WebSection {
    fn default() -> Self {
        Self {
            api_tokens: Vec::new(),
            operators: Vec::new(),
            session_minutes: default_session_minutes(),
            photo_review: false,
            review_before_card: false,
        }
    }
}

fn default_session_minutes() -> u32 {
    30
}

impl std::fmt::Debug for WebSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSection")
            .field("api_tokens", &self.api_tokens.len())
            .field("operators", &self.operators.len())
            .field("session_minutes", &self.session_minutes)
            .field("photo_review", &self.photo_review)
            .field("review_before_card", &self.review_before_card)
            .finish()
    }
}

/// One integration API client.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiToken {
    /// The client's name (journaled as the operator of the enrolments it creates).
    pub name: String,
    /// SHA-256 of the token, 64 hex digits.
    pub sha256: String,
}

impl std::fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiToken")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// What an operator may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Enrols applicants, resumes interrupted enrolments.
    Operator,
    /// Also abandons stuck enrolments.
    Supervisor,
}

/// One local operator account.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorAccount {
    /// Login name, journaled as the operator.
    pub login: String,
    /// Role.
    pub role: Role,
    /// Argon2id PHC string.
    pub password_hash: String,
}

impl std::fmt::Debug for OperatorAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperatorAccount")
            .field("login", &self.login)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl WebSection {
    /// Checks the form of every entry; problems name `web.<field>`.
    pub fn validate(&self) -> Vec<FieldProblem> {
        let mut out = Vec::new();
        let name_ok = |n: &str| {
            !n.is_empty()
                && n.len() <= 64
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.@".contains(&b))
        };
        for (i, t) in self.api_tokens.iter().enumerate() {
            if !name_ok(&t.name) {
                out.push(FieldProblem::new(
                    format!("web.api_tokens[{i}].name"),
                    "must be 1 to 64 characters of A-Z a-z 0-9 - _ . @",
                ));
            }
            if t.sha256.len() != 64 || !t.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                out.push(FieldProblem::new(
                    format!("web.api_tokens[{i}].sha256"),
                    "must be the token's SHA-256 as 64 hex digits (never the token itself)",
                ));
            }
        }
        for (i, o) in self.operators.iter().enumerate() {
            if !name_ok(&o.login) {
                out.push(FieldProblem::new(
                    format!("web.operators[{i}].login"),
                    "must be 1 to 64 characters of A-Z a-z 0-9 - _ . @",
                ));
            }
            if self
                .operators
                .get(..i)
                .is_some_and(|before| before.iter().any(|b| b.login == o.login))
            {
                out.push(FieldProblem::new(
                    format!("web.operators[{i}].login"),
                    "listed twice",
                ));
            }
            if !o.password_hash.starts_with("$argon2id$") {
                out.push(FieldProblem::new(
                    format!("web.operators[{i}].password_hash"),
                    "must be an Argon2id PHC string ($argon2id$v=19$…)",
                ));
            }
        }
        if !(1..=24 * 60).contains(&self.session_minutes) {
            out.push(FieldProblem::new(
                "web.session_minutes",
                "must be 1 to 1440",
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clear_token_or_a_weak_hash_is_refused() {
        let w: WebSection = toml::from_str(
            "[[api_tokens]]\nname = \"national-system\"\nsha256 = \"secret-token\"\n\
             [[operators]]\nlogin = \"olena\"\nrole = \"supervisor\"\npassword_hash = \"plain\"\n",
        )
        .unwrap();
        let fields: Vec<_> = w.validate().into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            ["web.api_tokens[0].sha256", "web.operators[0].password_hash"]
        );
    }

    #[test]
    fn debug_shows_no_hash() {
        let w: WebSection = toml::from_str(
            "[[api_tokens]]\nname = \"n\"\nsha256 = \"abcdef\"\n\
             [[operators]]\nlogin = \"o\"\nrole = \"operator\"\npassword_hash = \"$argon2id$x\"\n",
        )
        .unwrap();
        let shown = format!("{w:?} {:?} {:?}", w.api_tokens, w.operators);
        assert!(
            !shown.contains("abcdef") && !shown.contains("argon2"),
            "{shown}"
        );
    }
}
