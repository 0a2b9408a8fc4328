//! Bearer tokens of the integration API (RFC 6750 §2.1, `Authorization: Bearer <token>`).
//!
//! The station profile keeps only each token's SHA-256 (`[[web.api_tokens]]`): the server
//! hashes the token it receives and compares the digest with every configured one in constant
//! time ([`permitkit_model::secret::ct_eq`]), going through all of them whatever matches, so
//! neither the comparison nor the number of comparisons tells how close a guess came.

use sha2::{Digest, Sha256};

use permitkit_model::profiles::station::WebSection;
use permitkit_model::secret::ct_eq;

/// The longest `Authorization` value considered (longer ones are refused unread).
pub const MAX_AUTHORIZATION: usize = 512;

/// The tokens a station accepts.
#[derive(Clone, Default)]
pub struct ApiTokens {
    entries: Vec<(String, [u8; 32])>,
}

impl std::fmt::Debug for ApiTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.entries.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("ApiTokens")
            .field("clients", &names)
            .finish()
    }
}

impl ApiTokens {
    /// The tokens of a station profile's `[web]` section (entries whose digest is not 64 hex
    /// digits were refused when the profile loaded; any left are skipped).
    pub fn from_profile(web: &WebSection) -> Self {
        let entries = web
            .api_tokens
            .iter()
            .filter_map(|t| {
                let mut digest = [0u8; 32];
                hex::decode_to_slice(&t.sha256, &mut digest).ok()?;
                Some((t.name.clone(), digest))
            })
            .collect();
        Self { entries }
    }

    /// The SHA-256 of `token` as the profile writes it (64 lower-case hex digits).
    pub fn digest_hex(token: &str) -> String {
        hex::encode(Sha256::digest(token.as_bytes()))
    }

    /// The client's name when `authorization` (the header's value) carries a known token.
    pub fn authenticate(&self, authorization: &[u8]) -> Option<&str> {
        if authorization.len() > MAX_AUTHORIZATION {
            return None;
        }
        let value = std::str::from_utf8(authorization).ok()?;
        let (scheme, token) = value.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let token = token.trim();
        if token.is_empty() {
            return None;
        }
        let digest = Sha256::digest(token.as_bytes());
        let mut found = None;
        for (name, expected) in &self.entries {
            if ct_eq(digest.as_slice(), expected) && found.is_none() {
                found = Some(name.as_str());
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use permitkit_model::profiles::station::ApiToken;

    fn tokens() -> ApiTokens {
        ApiTokens::from_profile(&WebSection {
            api_tokens: vec![ApiToken {
                name: "national-system".into(),
                sha256: ApiTokens::digest_hex("s3cret-token"),
            }],
            ..WebSection::default()
        })
    }

    #[test]
    fn the_right_token_names_its_client() {
        assert_eq!(
            tokens().authenticate(b"Bearer s3cret-token"),
            Some("national-system")
        );
        assert_eq!(
            tokens().authenticate(b"bearer s3cret-token"),
            Some("national-system")
        );
    }

    #[test]
    fn a_wrong_token_or_scheme_is_refused() {
        let t = tokens();
        assert_eq!(t.authenticate(b"Bearer s3cret-tokeN"), None);
        assert_eq!(t.authenticate(b"Basic s3cret-token"), None);
        assert_eq!(t.authenticate(b"Bearer "), None);
        assert_eq!(t.authenticate(b"s3cret-token"), None);
        assert_eq!(t.authenticate(&[0xff, 0xfe]), None);
        assert_eq!(t.authenticate(&[b'a'; MAX_AUTHORIZATION + 1]), None);
    }

    #[test]
    fn debug_shows_names_only() {
        let shown = format!("{:?}", tokens());
        assert!(shown.contains("national-system"));
        assert!(!shown.contains(&ApiTokens::digest_hex("s3cret-token")[..16]));
    }
}
