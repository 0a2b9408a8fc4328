//! The document numbers a station has already issued, so that validation refuses a second card
//! under the same number unless the application declares it a replacement
//! (`document.replaces`). ICAO Doc 9303-3 §4.2 (document number: assigned by the issuer to
//! identify one document) makes a number that names two documents an error of issuance.
//!
//! The journal keeps no document numbers (they are personal data, kept in the applicant file);
//! it keeps, for every enrolment, the applicant file's path and the SHA-256 of its content when
//! the enrolment began. The number of an issued card is read back from that file, and only when
//! the file is still what it was: a file since changed or removed is counted as unreadable, not
//! trusted.

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::applicant::file::ApplicantFile;
use crate::journal::{EnrolmentState, Journal, JournalError};

/// Largest applicant file read back (they are a few hundred bytes).
const MAX_APPLICANT_FILE: u64 = 1 << 20;

/// Document numbers already issued, each with the enrolment (or other record) that issued it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssuedNumbers {
    numbers: BTreeMap<String, String>,
    unreadable: Vec<String>,
}

impl IssuedNumbers {
    /// No number issued yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `number` as issued by `by` (an enrolment id, a register reference).
    pub fn insert(&mut self, number: &str, by: impl Into<String>) {
        self.numbers.insert(normalize(number), by.into());
    }

    /// Who issued `number`, if it was issued.
    pub fn issued_by(&self, number: &str) -> Option<&str> {
        self.numbers.get(&normalize(number)).map(String::as_str)
    }

    /// How many numbers are known.
    pub fn len(&self) -> usize {
        self.numbers.len()
    }

    /// True when no number is known.
    pub fn is_empty(&self) -> bool {
        self.numbers.is_empty()
    }

    /// Enrolments that issued a card whose number could not be read back (applicant file
    /// changed or gone): a duplicate of their numbers goes unnoticed.
    pub fn unreadable(&self) -> &[String] {
        &self.unreadable
    }

    /// The numbers of every card the station's journal records as issued (locked after a
    /// verified read-back) or handed to the central bureau, read from the applicant files as
    /// they were.
    pub fn from_journal(journal: &Journal) -> Result<Self, JournalError> {
        let mut out = Self::new();
        for record in journal.list()? {
            if !matches!(
                record.state,
                EnrolmentState::Issued | EnrolmentState::ForBureau
            ) {
                continue;
            }
            match number_in(Path::new(&record.applicant_file), &record.applicant_sha256) {
                Some(number) => out.insert(&number, record.id),
                None => out.unreadable.push(record.id),
            }
        }
        Ok(out)
    }
}

/// The document number in the applicant file at `path`, when its content still hashes to
/// `sha256` (hex).
fn number_in(path: &Path, sha256: &str) -> Option<String> {
    if std::fs::metadata(path).ok()?.len() > MAX_APPLICANT_FILE {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    if hex::encode(Sha256::digest(text.as_bytes())) != sha256 {
        return None;
    }
    let file: ApplicantFile = toml::from_str(&text).ok()?;
    Some(file.document.number)
}

/// Numbers compare as the MRZ writes them: upper case, without surrounding spaces.
pub(crate) fn normalize(number: &str) -> String {
    number.trim().to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::NewEnrolment;

    #[test]
    fn numbers_compare_as_the_mrz_writes_them() {
        let mut n = IssuedNumbers::new();
        n.insert(" ft4211207", "TRP-1");
        assert_eq!(n.issued_by("FT4211207"), Some("TRP-1"));
        assert_eq!(n.issued_by("ft4211207 "), Some("TRP-1"));
        assert_eq!(n.issued_by("FT4211208"), None);
        assert_eq!(n.len(), 1);
    }

    #[test]
    fn the_journal_gives_the_numbers_of_issued_cards_from_unchanged_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
        let file = |name: &str, number: &str| {
            let path = dir.path().join(name);
            let text = format!(
                "application = \"{name}\"\ndocument_profile = \"ua-temporary-residence-permit\"\n\
                 [document]\nnumber = \"{number}\"\ndate_of_issue = \"2026-11-20\"\n\
                 [holder]\nsurname = \"DOE\"\nnationality = \"USA\"\nsex = \"M\"\n\
                 date_of_birth = \"1988-03-14\"\n"
            );
            std::fs::write(&path, &text).unwrap();
            (path, hex::encode(Sha256::digest(text.as_bytes())))
        };
        let mut begin = |name: &str, number: &str| {
            let (path, sha) = file(name, number);
            let id = journal
                .begin(&NewEnrolment {
                    application: name,
                    document_profile: "ua-temporary-residence-permit",
                    station: "sim",
                    operator: "op1",
                    applicant_file: &path.display().to_string(),
                    applicant_sha256: &sha,
                    out_root: dir.path(),
                })
                .unwrap();
            (id, path)
        };
        let (issued, _) = begin("a.toml", "ft1000001");
        let (changed, changed_path) = begin("b.toml", "FT1000002");
        let (pending, _) = begin("c.toml", "FT1000003");
        journal.issue(&issued, None).unwrap();
        journal.issue(&changed, None).unwrap();
        std::fs::write(&changed_path, "edited afterwards").unwrap();
        let numbers = IssuedNumbers::from_journal(&journal).unwrap();
        assert_eq!(numbers.issued_by("FT1000001"), Some(issued.as_str()));
        assert_eq!(
            numbers.issued_by("FT1000002"),
            None,
            "file changed: not trusted"
        );
        assert_eq!(numbers.unreadable(), [changed]);
        assert_eq!(numbers.issued_by("FT1000003"), None, "{pending} not issued");
    }
}
