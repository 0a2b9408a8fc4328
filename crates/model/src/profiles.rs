//! Hardware, chip, document and station profiles: TOML files, one per device, chip or document
//! type, whose file stem is the profile `id` (ARCHITECTURE.md §5).
//!
//! Loading is two steps: serde with `deny_unknown_fields` (a typo is an error, not a silently
//! ignored key), then [`Profile::validate`], a typed check of ranges and relations. Both report
//! a [`ProfileError`] naming the file, the field and the reason. Each kind's schema lives in its
//! own file under `profiles/`; data names code (a chip profile names a personalization dialect
//! enum, never a script).

pub mod camera;
pub mod quality;
pub mod scanner;
pub mod signature_pad;
pub mod station;

use std::fmt;

use serde::de::DeserializeOwned;

pub mod builtin;
pub mod chip;
pub mod document;
pub mod reader;

pub use builtin::Registry;
pub use chip::ChipProfile;
pub use document::DocumentProfile;
pub use reader::ReaderProfile;

/// A profile kind: its schema, its folder under `hardware-profiles/`, and its checks.
pub trait Profile: DeserializeOwned {
    /// The folder under `hardware-profiles/` (`readers`, `chips`, `cameras`, …).
    const KIND: &'static str;

    /// The profile id (kebab-case, equal to the file stem).
    fn id(&self) -> &str;

    /// Checks beyond what the types enforce. Each problem is `(field, reason)`.
    fn validate(&self) -> Vec<FieldProblem>;
}

/// One problem with one field of a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// Dotted path of the field (`mode.width`, `data_groups[2]`).
    pub field: String,
    /// What is wrong, for a person editing the file.
    pub reason: String,
}

impl FieldProblem {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// A profile that failed to load: which file, which field, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ProfileError {
    /// The file (path or built-in name).
    pub file: String,
    /// Dotted path of the field, or empty when the file as a whole is unreadable.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.file, self.reason)
        } else {
            write!(f, "{}: {}: {}", self.file, self.field, self.reason)
        }
    }
}

/// Parses and validates one profile of kind `P` from `text`, read from `file` (a path or a
/// built-in name; its stem must equal the profile id). Reports the first problem; see
/// [`parse_all`] for every problem.
pub fn parse<P: Profile>(file: &str, text: &str) -> Result<P, ProfileError> {
    parse_all(file, text).map_err(|mut problems| {
        if problems.is_empty() {
            ProfileError {
                file: file.to_owned(),
                field: String::new(),
                reason: "invalid profile".into(),
            }
        } else {
            problems.swap_remove(0)
        }
    })
}

/// As [`parse`], reporting every problem of the file: one for a file that does not
/// deserialize, otherwise the id check and every [`Profile::validate`] finding. The error list
/// is never empty.
pub fn parse_all<P: Profile>(file: &str, text: &str) -> Result<P, Vec<ProfileError>> {
    let err = |field: String, reason: String| ProfileError {
        file: file.to_owned(),
        field,
        reason,
    };
    let profile: P = toml::from_str(text).map_err(|e| {
        let field = crate::toml_field::field_of(&e, text).unwrap_or_default();
        vec![err(field, e.message().to_owned())]
    })?;
    let stem = std::path::Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut problems = Vec::new();
    if profile.id() != stem {
        problems.push(err(
            "id".into(),
            format!("id {:?} differs from the file name {stem:?}", profile.id()),
        ));
    }
    problems.extend(
        profile
            .validate()
            .into_iter()
            .map(|p| err(p.field, p.reason)),
    );
    if problems.is_empty() {
        Ok(profile)
    } else {
        Err(problems)
    }
}

/// `vvvv:pppp` in hexadecimal as `(vendor, product)` (USB ids in profiles).
pub(crate) fn parse_usb_id(s: &str) -> Option<(u16, u16)> {
    let (v, p) = s.split_once(':')?;
    if v.len() != 4 || p.len() != 4 {
        return None;
    }
    Some((
        u16::from_str_radix(v, 16).ok()?,
        u16::from_str_radix(p, 16).ok()?,
    ))
}

/// The command data a chip or reader can take: its maximum, capped at the short-APDU limit
/// (255, ISO/IEC 7816-4 §5.1) when it has no extended length.
fn usable_command_data(extended_length: bool, max_command_data: usize) -> usize {
    if extended_length {
        max_command_data
    } else {
        max_command_data.min(permitkit_iso7816::apdu::SHORT_MAX_DATA)
    }
}

/// The response data a chip or reader can give: its maximum, capped at the short-APDU limit
/// (256) when it has no extended length.
fn usable_response_data(extended_length: bool, max_response_data: usize) -> usize {
    if extended_length {
        max_response_data
    } else {
        max_response_data.min(permitkit_iso7816::apdu::SHORT_MAX_LE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Demo {
        id: String,
        max: u32,
    }

    impl Profile for Demo {
        const KIND: &'static str = "demo";
        fn id(&self) -> &str {
            &self.id
        }
        fn validate(&self) -> Vec<FieldProblem> {
            if self.max == 0 {
                vec![FieldProblem::new("max", "must be at least 1")]
            } else {
                Vec::new()
            }
        }
    }

    #[test]
    fn loads_a_valid_profile() {
        let p: Demo = parse("x/demo-one.toml", "id = \"demo-one\"\nmax = 3\n").unwrap();
        assert_eq!(p.max, 3);
    }

    #[test]
    fn errors_name_file_field_and_reason() {
        let e = parse::<Demo>("demo-one.toml", "id = \"demo-one\"\nmax = 0\n").unwrap_err();
        assert_eq!(e.to_string(), "demo-one.toml: max: must be at least 1");
        let e =
            parse::<Demo>("demo-one.toml", "id = \"demo-one\"\nmax = 1\nmaxx = 2\n").unwrap_err();
        assert_eq!(e.file, "demo-one.toml");
        assert!(e.reason.contains("unknown field `maxx`"), "{e}");
        let e = parse::<Demo>("demo-one.toml", "id = \"demo-one\"\nmax = \"many\"\n").unwrap_err();
        assert_eq!(e.field, "max");
        let e = parse::<Demo>("other.toml", "id = \"demo-one\"\nmax = 1\n").unwrap_err();
        assert_eq!(e.field, "id");
    }
}
