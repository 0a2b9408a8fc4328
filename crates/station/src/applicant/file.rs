//! The applicant file's TOML schema, read with `deny_unknown_fields` so that a misspelt key is
//! an error rather than a silently missing value.

use serde::Deserialize;

/// The file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicantFile {
    /// Application identifier (the front office's case number).
    pub application: String,
    /// Document profile id (`ua-temporary-residence-permit`).
    pub document_profile: String,
    /// The document to issue.
    pub document: DocumentSection,
    /// The holder.
    pub holder: HolderSection,
    /// Consents given in writing.
    #[serde(default)]
    pub consent: ConsentSection,
}

/// `[document]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentSection {
    /// Document number.
    pub number: String,
    /// Date of issue, `YYYY-MM-DD`.
    pub date_of_issue: String,
    /// Date of expiry, `YYYY-MM-DD`; the profile's default term when absent.
    pub date_of_expiry: Option<String>,
    /// Issuing authority (DG12).
    pub issuing_authority: Option<String>,
    /// Endorsements and observations (DG12).
    pub endorsements: Option<String>,
}

/// `[holder]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolderSection {
    /// Primary identifier, in Latin letters or in the script named by `name_script`.
    pub surname: String,
    /// Secondary identifier (may be empty for a single-part name).
    #[serde(default)]
    pub given_names: String,
    /// Script of `surname` and `given_names`: `latin`, `ukrainian`, `ukrainian-kmu55`,
    /// `russian`, `belarusian`, `bulgarian`, `serbian`, `macedonian`, `cyrillic`.
    #[serde(default = "latin")]
    pub name_script: String,
    /// Surname in the national script (DG11).
    pub national_surname: Option<String>,
    /// Given names in the national script (DG11).
    pub national_given_names: Option<String>,
    /// Nationality, ICAO 3-letter code.
    pub nationality: String,
    /// `M`, `F` or `X`.
    pub sex: String,
    /// `YYYY-MM-DD`, `YYYY-MM` or `YYYY`.
    pub date_of_birth: String,
    /// Personal number (DG11 and the MRZ optional data).
    pub personal_number: Option<String>,
    /// Place of birth, sub-fields.
    #[serde(default)]
    pub place_of_birth: Vec<String>,
    /// Permanent address, sub-fields.
    #[serde(default)]
    pub address: Vec<String>,
    /// Other names (DG11), each "SURNAME, GIVEN NAMES".
    #[serde(default)]
    pub other_names: Vec<String>,
}

fn latin() -> String {
    "latin".into()
}

/// `[consent]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentSection {
    /// The holder asked in writing for fingerprints on the chip.
    #[serde(default)]
    pub fingerprints_on_chip: bool,
    /// Reference of the written statement.
    pub reference: Option<String>,
}
