//! Operator accounts of the station profile (`[[web.operators]]`): a password is checked
//! against its Argon2id PHC string (RFC 9106). An unknown login is checked against a fixed
//! hash all the same, so the time taken does not tell which logins exist.

use argon2::{Argon2, PasswordHash, PasswordVerifier};

use permitkit_model::profiles::station::{Role, WebSection};

/// A hash no password matches in practice, for unknown logins (the RFC 9106 parameters of
/// the accounts' default, salt and output arbitrary).
const DECOY: &str = "$argon2id$v=19$m=19456,t=2,p=1$ZGVjb3ktc2FsdC0xMjM0$\
    3vPbQ1Tgx2kXlq2w8m3tT6O3nYy9f5lUeGk1m3bZ1dU";

/// The station's operator accounts.
#[derive(Clone, Default)]
pub struct Accounts {
    entries: Vec<(String, Role, String)>,
}

impl std::fmt::Debug for Accounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let logins: Vec<&str> = self.entries.iter().map(|(l, _, _)| l.as_str()).collect();
        f.debug_struct("Accounts").field("logins", &logins).finish()
    }
}

impl Accounts {
    /// The accounts of a station profile's `[web]` section.
    pub fn from_profile(web: &WebSection) -> Self {
        Self {
            entries: web
                .operators
                .iter()
                .map(|o| (o.login.clone(), o.role, o.password_hash.clone()))
                .collect(),
        }
    }

    /// Whether `login` is one of the accounts.
    pub fn knows(&self, login: &str) -> bool {
        self.entries.iter().any(|(l, _, _)| l == login)
    }

    /// The role of `login` when `password` is its password.
    pub fn check(&self, login: &str, password: &str) -> Option<Role> {
        let found = self.entries.iter().find(|(l, _, _)| l == login);
        let hash = found.map_or(DECOY, |(_, _, h)| h.as_str());
        let ok = PasswordHash::new(hash).ok().is_some_and(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        });
        found.filter(|_| ok).map(|(_, role, _)| *role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordHasher;
    use permitkit_model::profiles::station::OperatorAccount;

    #[test]
    fn the_decoy_is_a_hash_that_is_computed() {
        assert!(PasswordHash::new(DECOY).is_ok());
    }

    #[test]
    fn a_password_gives_its_role_and_nothing_else_does() {
        let hash = Argon2::default()
            .hash_password_with_salt(b"pass-1", b"unit-test-salt")
            .unwrap()
            .to_string();
        let accounts = Accounts::from_profile(&WebSection {
            operators: vec![OperatorAccount {
                login: "olena".into(),
                role: Role::Supervisor,
                password_hash: hash,
            }],
            ..WebSection::default()
        });
        assert_eq!(accounts.check("olena", "pass-1"), Some(Role::Supervisor));
        assert_eq!(accounts.check("olena", "pass-2"), None);
        assert_eq!(accounts.check("petro", "pass-1"), None);
        assert!(!format!("{accounts:?}").contains("argon2"));
    }
}
