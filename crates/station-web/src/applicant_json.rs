//! The applicant file's schema (`permitkit_station::applicant::ApplicantFile`) as JSON: the
//! same keys, tables as objects, arrays as arrays. A body is turned into the applicant file's
//! TOML text and validated by the very same `Applicant::parse_for` as a file given to
//! `permitkit enroll`, so the API refuses exactly what the command refuses, naming the same
//! dotted field.
//!
//! JSON `null` has no TOML counterpart: it is refused with its field (leave the key out
//! instead). The body's size is bounded by the router; serde_json bounds its nesting depth.

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// One problem with a request, as the API reports it (a 422 body is a list of them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Dotted field name (`holder.date_of_birth`), or `(body)` for the body as a whole.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl FieldError {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A request body read as the applicant file.
#[derive(Clone)]
pub struct ApplicantJson {
    /// The applicant file's text (TOML).
    pub toml: String,
    /// The application number.
    pub application: String,
    /// The document number, trimmed and upper-cased (the idempotency key with the
    /// application).
    pub document_number: String,
    /// SHA-256 of the applicant file's text made from the body as canonical JSON (keys
    /// sorted): the digest the journal records, so the idempotency key outlives a restart.
    pub sha256: [u8; 32],
}

impl std::fmt::Debug for ApplicantJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApplicantJson")
            .field("application", &self.application)
            .finish_non_exhaustive()
    }
}

impl ApplicantJson {
    /// Reads `body`; every problem found before validation (not JSON, not an object, a null)
    /// is a [`FieldError`].
    pub fn parse(body: &[u8]) -> Result<Self, Vec<FieldError>> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| vec![FieldError::new("(body)", format!("not JSON: {e}"))])?;
        let Value::Object(map) = &value else {
            return Err(vec![FieldError::new(
                "(body)",
                "must be a JSON object with the applicant file's keys",
            )]);
        };
        let mut nulls = Vec::new();
        find_nulls(&value, "", &mut nulls);
        if !nulls.is_empty() {
            return Err(nulls);
        }
        let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_owned();
        let application = text(map.get("application")).trim().to_owned();
        let document_number = text(map.get("document").and_then(|d| d.get("number")))
            .trim()
            .to_uppercase();
        // serde_json's map is ordered by key: the TOML text is made from the canonical form.
        let toml = toml::to_string(&value)
            .map_err(|e| vec![FieldError::new("(body)", format!("not a TOML value: {e}"))])?;
        Ok(Self {
            sha256: Sha256::digest(toml.as_bytes()).into(),
            toml,
            application,
            document_number,
        })
    }
}

impl ApplicantJson {
    /// An applicant file's text as the operator gives it (the idempotency digest is then the
    /// SHA-256 of the text).
    pub fn from_toml(text: &str) -> Result<Self, Vec<FieldError>> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            vec![FieldError::new("(file)", e.message().to_owned())]
        })?;
        let text_of = |v: Option<&toml::Value>| {
            v.and_then(toml::Value::as_str)
                .unwrap_or_default()
                .trim()
                .to_owned()
        };
        Ok(Self {
            toml: text.to_owned(),
            application: text_of(table.get("application")),
            document_number: text_of(table.get("document").and_then(|d| d.get("number")))
                .to_uppercase(),
            sha256: Sha256::digest(text.as_bytes()).into(),
        })
    }
}

fn find_nulls(value: &Value, at: &str, out: &mut Vec<FieldError>) {
    let join = |key: &str| {
        if at.is_empty() {
            key.to_owned()
        } else {
            format!("{at}.{key}")
        }
    };
    match value {
        Value::Null => out.push(FieldError::new(
            if at.is_empty() { "(body)" } else { at },
            "null is not a value: leave the key out",
        )),
        Value::Object(map) => {
            for (k, v) in map {
                find_nulls(v, &join(k), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                find_nulls(v, &format!("{at}[{i}]"), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_becomes_the_applicant_file() {
        let a = ApplicantJson::parse(
            br#"{"application":"A-1","document_profile":"p","document":{"number":" ft1 "},
                "holder":{"surname":"DOE","place_of_birth":["KYIV"]}}"#,
        )
        .unwrap();
        assert_eq!(a.application, "A-1");
        assert_eq!(a.document_number, "FT1");
        let back: toml::Table = a.toml.parse().unwrap();
        assert_eq!(back["holder"]["place_of_birth"][0].as_str(), Some("KYIV"));
    }

    #[test]
    fn key_order_does_not_change_the_digest() {
        let a = ApplicantJson::parse(br#"{"application":"A","document":{"number":"1"}}"#);
        let b = ApplicantJson::parse(br#"{ "document":{"number":"1"}, "application":"A" }"#);
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.sha256, b.sha256);
        assert_eq!(
            a.sha256,
            <[u8; 32]>::from(Sha256::digest(a.toml.as_bytes())),
            "the digest is the applicant file's, as the journal records it"
        );
    }

    #[test]
    fn nulls_and_non_objects_are_field_errors() {
        let e = ApplicantJson::parse(br#"{"holder":{"sex":null},"x":[1,null]}"#).unwrap_err();
        let fields: Vec<_> = e.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["holder.sex", "x[1]"]);
        assert_eq!(ApplicantJson::parse(b"[1]").unwrap_err()[0].field, "(body)");
        assert_eq!(ApplicantJson::parse(b"{").unwrap_err()[0].field, "(body)");
    }
}
