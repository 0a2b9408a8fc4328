//! Contactless reader profiles: how to recognise a PC/SC reader by name and how large an APDU it
//! carries (ISO/IEC 7816-4 §5.1 extended length; PC/SC Part 3; USB CCID `dwFeatures` /
//! `dwMaxCCIDMessageLength`). Values not confirmed from the vendor's documentation are listed
//! in `unverified`.

use serde::Deserialize;

use crate::profiles::{FieldProblem, Profile};

/// A card reader.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReaderProfile {
    /// Profile id (the file stem).
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Where the values come from.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Fields whose values are not confirmed from the vendor's documentation.
    #[serde(default)]
    pub unverified: Vec<String>,
    /// Globs matched against the PC/SC reader name (`*` any run, `?` one character).
    pub pcsc_names: Vec<String>,
    /// True when extended-length APDUs pass through the reader to a contactless chip.
    pub extended_length: bool,
    /// Largest command data field (Lc) the reader forwards.
    pub max_command_data: usize,
    /// Largest response data (Ne) the reader returns.
    pub max_response_data: usize,
}

impl ReaderProfile {
    /// True when `reader_name` matches one of the profile's globs.
    pub fn matches(&self, reader_name: &str) -> bool {
        self.pcsc_names.iter().any(|g| glob_match(g, reader_name))
    }

    /// The largest command data actually usable (255 without extended length).
    pub fn command_data(&self) -> usize {
        super::usable_command_data(self.extended_length, self.max_command_data)
    }

    /// The largest response data actually usable (256 without extended length).
    pub fn response_data(&self) -> usize {
        super::usable_response_data(self.extended_length, self.max_response_data)
    }
}

/// Matches `*` (any run) and `?` (any one character); case-sensitive like PC/SC names.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(c) if *c == '?' || Some(c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..).unwrap_or_default().iter().all(|c| *c == '*')
}

impl Profile for ReaderProfile {
    const KIND: &'static str = "readers";

    fn id(&self) -> &str {
        &self.id
    }

    fn validate(&self) -> Vec<FieldProblem> {
        let mut v = Vec::new();
        if self.pcsc_names.is_empty() {
            v.push(FieldProblem::new(
                "pcsc_names",
                "at least one glob is needed",
            ));
        }
        if !(1..=permitkit_iso7816::apdu::MAX_DATA_LEN).contains(&self.max_command_data) {
            v.push(FieldProblem::new("max_command_data", "must be 1 to 65535"));
        }
        if !(1..=permitkit_iso7816::apdu::MAX_LE).contains(&self.max_response_data) {
            v.push(FieldProblem::new("max_response_data", "must be 1 to 65536"));
        }
        if !self.extended_length
            && (self.max_command_data > permitkit_iso7816::apdu::SHORT_MAX_DATA
                || self.max_response_data > permitkit_iso7816::apdu::SHORT_MAX_LE)
        {
            v.push(FieldProblem::new(
                "extended_length",
                "false, but the maximum sizes exceed short APDUs (255/256)",
            ));
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match(
            "ACS ACR1252*PICC*",
            "ACS ACR1252 Dual Reader [ACR1252 Dual Reader PICC] 00 00"
        ));
        assert!(glob_match("Virtual PCD*", "Virtual PCD 00 00"));
        assert!(!glob_match("Virtual PCD*", "ACS ACR1252"));
        assert!(glob_match("a?c", "abc"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("abc", "abcd"));
    }
}
