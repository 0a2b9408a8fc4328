//! The applicant file's TOML schema, read with `deny_unknown_fields` so that a misspelt key is
//! an error rather than a silently missing value, and [`error_field`]: the dotted field a TOML
//! error is about, so that the operator is told `holder.date_of_birth`, not a table or a
//! comment line.

use serde::Deserialize;

use permitkit_model::toml_field;

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
    /// Date of issue, `YYYY-MM-DD`; the day of issuance (today) when absent.
    pub date_of_issue: Option<String>,
    /// Date of expiry, `YYYY-MM-DD`; the profile's default term when absent.
    pub date_of_expiry: Option<String>,
    /// Issuing authority (DG12).
    pub issuing_authority: Option<String>,
    /// Endorsements and observations (DG12).
    pub endorsements: Option<String>,
    /// The number of the document this one replaces (lost, stolen, damaged, data changed).
    /// Equal to `number`, it declares a new card under the same number: without it, a number
    /// already issued is refused.
    pub replaces: Option<String>,
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

/// The dotted field `error` (from parsing `text`) is about: `holder.date_of_birth` for a key
/// missing from `[holder]`, `application` for a top-level key missing, the key itself for a
/// wrong or unknown one; `None` when the error concerns the file as a whole (bad syntax).
pub fn error_field(error: &toml::de::Error, text: &str) -> Option<String> {
    let span = error.span();
    if let Some(missing) = missing_field(error.message()) {
        // The schema says where a required key belongs; spans differ between `toml` versions
        // (the table header, the whitespace before it, the start of the file).
        if let Some((_, table)) = REQUIRED.iter().find(|(key, _)| *key == missing) {
            return Some(match table {
                Some(t) => format!("{t}.{missing}"),
                None => missing.to_owned(),
            });
        }
        let table = span.and_then(|s| {
            let inside = text.get(s.clone())?.lines().find_map(table_header);
            inside.or_else(|| text.get(..s.start)?.lines().rev().find_map(table_header))
        });
        return Some(match table {
            Some(t) => format!("{t}.{missing}"),
            None => missing.to_owned(),
        });
    }
    let span = span.filter(|s| *s != (0..0))?;
    let field = toml_field::field_at(text, span.start)?;
    // A span on a comment or blank line names no key: fall back to its table.
    if field.contains(|c: char| c == '#' || c.is_whitespace()) {
        return text
            .get(..span.start)
            .and_then(|before| before.lines().rev().find_map(table_header));
    }
    Some(field)
}

/// Every required key of the schema and its table (`None`: the top level).
const REQUIRED: [(&str, Option<&str>); 9] = [
    ("application", None),
    ("document_profile", None),
    ("document", None),
    ("holder", None),
    ("number", Some("document")),
    ("surname", Some("holder")),
    ("nationality", Some("holder")),
    ("sex", Some("holder")),
    ("date_of_birth", Some("holder")),
];

/// `x` in the `missing field `x`` message of serde.
fn missing_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next().filter(|f| !f.is_empty())
}

/// The name in a `[table]` header line (not an array of tables, which this file has none of).
fn table_header(line: &str) -> Option<String> {
    let inner = line.trim().strip_prefix('[')?;
    let name = inner.split(']').next()?.trim();
    (!name.is_empty() && !name.starts_with('[')).then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(text: &str) -> Option<String> {
        let e = toml::from_str::<ApplicantFile>(text).unwrap_err();
        error_field(&e, text)
    }

    const FILE: &str = "# An applicant.\n# Fictitious.\napplication = \"A-1\"\n\
        document_profile = \"ua-temporary-residence-permit\"\n\n[document]\n\
        number = \"FT1\"\ndate_of_issue = \"2026-11-20\"\n\n[holder]\n\
        # As printed in the passport.\nsurname = \"DOE\"\nnationality = \"USA\"\n\
        sex = \"M\"\ndate_of_birth = \"1988-03-14\"\n\n[consent]\n";

    #[test]
    fn the_file_parses() {
        let f: ApplicantFile = toml::from_str(FILE).unwrap();
        assert_eq!(f.document.replaces, None);
    }

    #[test]
    fn a_missing_key_is_named_with_its_table() {
        let t = FILE.replace("date_of_birth = \"1988-03-14\"\n", "");
        assert_eq!(field(&t).as_deref(), Some("holder.date_of_birth"));
        let t = FILE.replace("number = \"FT1\"\n", "");
        assert_eq!(field(&t).as_deref(), Some("document.number"));
        let t = FILE.replace("application = \"A-1\"\n", "");
        assert_eq!(
            field(&t).as_deref(),
            Some("application"),
            "not the comment line"
        );
        for (key, table) in REQUIRED {
            if matches!(key, "document" | "holder") {
                // A whole section: from its header to the next blank line.
                let start = FILE.find(&format!("[{key}]")).unwrap();
                let end = start + FILE[start..].find("\n\n").unwrap() + 2;
                let t = format!("{}{}", &FILE[..start], &FILE[end..]);
                assert_eq!(field(&t).as_deref(), Some(key));
                continue;
            }
            let line = FILE
                .lines()
                .find(|l| l.starts_with(&format!("{key} =")))
                .unwrap();
            let t = FILE.replace(&format!("{line}\n"), "");
            let expected = table.map_or(key.to_owned(), |t| format!("{t}.{key}"));
            assert_eq!(field(&t), Some(expected), "without {line:?}");
        }
    }

    #[test]
    fn a_wrong_or_unknown_key_is_named() {
        let t = FILE.replace("sex = \"M\"", "sex = 1");
        assert_eq!(field(&t).as_deref(), Some("holder.sex"));
        let t = FILE.replace("sex = \"M\"", "sex = \"M\"\nsexx = 1");
        assert_eq!(field(&t).as_deref(), Some("holder.sexx"));
        assert_eq!(
            field("application = "),
            Some("application".into()),
            "a syntax error at the value names its key"
        );
    }
}
