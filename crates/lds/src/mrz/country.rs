//! Three-letter codes of the issuing State or organization and of the holder's nationality
//! (ICAO Doc 9303-3 §4.7 and §5).
//!
//! A code is valid when it is an ISO 3166-1 alpha-3 code or one of the 9303-3 §5 codes outside
//! ISO 3166-1 (`D<<`, `XXA`, `UNO`, `UTO`, …); the lists live in `country_codes.rs` with their
//! sources. Codes shorter than three letters are padded with fillers (`D` → `D<<`).

use std::{fmt, str::FromStr};

use zeroize::Zeroize;

use super::country_codes::{ICAO_CODES, ISO_3166_ALPHA2, ISO_3166_ALPHA3};
use super::{Field, FieldError, MrzError};

/// Where a [`CountryCode`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CountryCodeKind {
    /// An ISO 3166-1 alpha-3 code.
    Iso3166,
    /// A code defined by ICAO Doc 9303-3 §5 outside ISO 3166-1.
    Icao,
}

/// A valid three-letter code in its MRZ form (`UTO`, `D<<`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Zeroize)]
pub struct CountryCode([u8; 3]);

impl CountryCode {
    /// Utopia, the code of specimen documents (9303-3 §5 Part G).
    pub const UTOPIA: CountryCode = CountryCode(*b"UTO");
    /// Stateless person (9303-3 §5 Part E).
    pub const STATELESS: CountryCode = CountryCode(*b"XXA");

    /// Looks a code up: `"UTO"`, `"D"` or `"D<<"`, upper case. Fails for codes in neither list.
    pub fn new(code: &str) -> Result<Self, MrzError> {
        let unknown = || {
            MrzError::Field(FieldError::UnknownCountry {
                field: Field::CountryCode,
                code: code.to_owned(),
            })
        };
        let bytes = code.as_bytes();
        if bytes.is_empty() || bytes.len() > 3 {
            return Err(unknown());
        }
        let mut padded = *b"<<<";
        for (slot, b) in padded.iter_mut().zip(bytes) {
            *slot = *b;
        }
        Self::from_mrz(padded).ok_or_else(unknown)
    }

    /// Looks up the three MRZ characters of a code field.
    pub(crate) fn from_mrz(code: [u8; 3]) -> Option<Self> {
        let text = std::str::from_utf8(&code).ok()?;
        let known = ISO_3166_ALPHA3
            .binary_search_by(|(c, _)| (*c).cmp(text))
            .is_ok()
            || ICAO_CODES.binary_search_by(|(c, _)| (*c).cmp(text)).is_ok();
        known.then_some(Self(code))
    }

    /// The MRZ form, three characters with fillers (`D<<`).
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("<<<")
    }

    /// The code without trailing fillers (`D`).
    pub fn trimmed(&self) -> &str {
        self.as_str().trim_end_matches('<')
    }

    /// Which list the code is on.
    pub fn kind(&self) -> CountryCodeKind {
        if self.iso_name().is_some() {
            CountryCodeKind::Iso3166
        } else {
            CountryCodeKind::Icao
        }
    }

    /// The ISO 3166-1 short name, or the 9303-3 §5 meaning of an ICAO code.
    pub fn name(&self) -> &'static str {
        self.iso_name()
            .or_else(|| lookup(&ICAO_CODES, self.as_str()))
            .unwrap_or("")
    }

    fn iso_name(&self) -> Option<&'static str> {
        lookup(&ISO_3166_ALPHA3, self.as_str())
    }

    /// The ISO 3166-1 alpha-2 code of the State, which a CSCA or Document Signer certificate
    /// names as its country (ICAO Doc 9303-12 §7.1): `UA` for `UKR`, `DE` for Germany's `D<<`
    /// (9303-3 §5 Part A). `None` for the other codes outside ISO 3166-1 (organizations,
    /// `UTO`, the nationality codes of §5 Part E), which have none.
    pub fn alpha2(&self) -> Option<&'static str> {
        if self.0 == *b"D<<" {
            return Some("DE");
        }
        lookup(&ISO_3166_ALPHA2, self.as_str())
    }

    /// The code of the State whose ISO 3166-1 alpha-2 code is `alpha2` (`UA` → `UKR`,
    /// `DE` → `D<<`, the code Germany writes in an MRZ); `None` for a code ISO 3166-1 does not
    /// assign (`ZZ`, `UT`).
    pub fn from_alpha2(alpha2: &str) -> Option<Self> {
        if alpha2 == "DE" {
            return Some(Self(*b"D<<"));
        }
        let (alpha3, _) = ISO_3166_ALPHA2.iter().find(|(_, a2)| *a2 == alpha2)?;
        let bytes: [u8; 3] = alpha3.as_bytes().try_into().ok()?;
        Some(Self(bytes))
    }
}

fn lookup(table: &[(&'static str, &'static str)], code: &str) -> Option<&'static str> {
    table
        .binary_search_by(|(c, _)| (*c).cmp(code))
        .ok()
        .and_then(|i| table.get(i))
        .map(|(_, name)| *name)
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CountryCode({})", self.as_str())
    }
}

impl FromStr for CountryCode {
    type Err = MrzError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_unique() {
        for table in [&ISO_3166_ALPHA3[..], &ICAO_CODES[..]] {
            for pair in table.windows(2) {
                assert!(pair[0].0 < pair[1].0, "{} before {}", pair[0].0, pair[1].0);
            }
            for (code, _) in table {
                assert_eq!(code.len(), 3);
                assert!(code.bytes().all(|b| b.is_ascii_uppercase() || b == b'<'));
            }
        }
        for (code, _) in ICAO_CODES {
            assert!(
                lookup(&ISO_3166_ALPHA3, code).is_none(),
                "{code} is in both tables"
            );
        }
    }

    #[test]
    fn iso_and_icao_codes_are_accepted() {
        for code in [
            "UTO", "DEU", "UKR", "GBR", "FRA", "XXA", "XXB", "XXC", "XXX", "UNO", "UNA", "UNK",
            "EUE", "GBD", "GBN", "GBO", "GBP", "GBS", "RKS", "D<<", "D",
        ] {
            assert!(CountryCode::new(code).is_ok(), "{code}");
        }
        assert_eq!(CountryCode::new("D").unwrap().as_str(), "D<<");
        assert_eq!(CountryCode::new("D<<").unwrap().trimmed(), "D");
        assert_eq!(CountryCode::new("UKR").unwrap().name(), "Ukraine");
        assert_eq!(
            CountryCode::new("XXA").unwrap().kind(),
            CountryCodeKind::Icao
        );
        assert_eq!(
            CountryCode::new("UKR").unwrap().kind(),
            CountryCodeKind::Iso3166
        );
    }

    #[test]
    fn unknown_codes_are_refused_by_name() {
        for code in ["ABC", "ZZZ", "uto", "", "UTOP", "GB", "DE", "WSA", "<<<"] {
            let err = CountryCode::new(code).unwrap_err();
            assert_eq!(
                err,
                MrzError::Field(FieldError::UnknownCountry {
                    field: Field::CountryCode,
                    code: code.to_owned()
                })
            );
        }
        assert_eq!(
            CountryCode::new("ABC").unwrap_err().to_string(),
            "country-code: \"ABC\" is neither an ISO 3166-1 alpha-3 code nor an ICAO Doc 9303-3 §5 code"
        );
    }

    #[test]
    fn alpha2_codes_map_both_ways() {
        let code = |c: &str| CountryCode::new(c).unwrap();
        assert_eq!(code("UKR").alpha2(), Some("UA"));
        assert_eq!(code("D").alpha2(), Some("DE"));
        assert_eq!(code("GBR").alpha2(), Some("GB"));
        for none in ["UTO", "XXA", "UNO", "EUE", "GBD"] {
            assert_eq!(code(none).alpha2(), None, "{none}");
        }
        assert_eq!(CountryCode::from_alpha2("UA"), Some(code("UKR")));
        assert_eq!(CountryCode::from_alpha2("DE"), Some(code("D")));
        for none in ["ZZ", "UT", "ua", "", "UKR"] {
            assert_eq!(CountryCode::from_alpha2(none), None, "{none}");
        }
        for pair in ISO_3166_ALPHA2.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} before {}", pair[0].0, pair[1].0);
        }
        let iso3: Vec<&str> = ISO_3166_ALPHA3.iter().map(|(c, _)| *c).collect();
        let with2: Vec<&str> = ISO_3166_ALPHA2.iter().map(|(c, _)| *c).collect();
        assert_eq!(iso3, with2, "one alpha-2 code per alpha-3 code");
    }

    /// Cross-checks the ISO table with the system copy of Debian `iso-codes` it was made from.
    #[test]
    fn iso_table_matches_debian_iso_codes() {
        const PATH: &str = "/usr/share/iso-codes/json/iso_3166-1.json";
        let text = std::fs::read_to_string(PATH).unwrap_or_else(|e| {
            panic!("{PATH}: {e}. Install the Debian package iso-codes (.ci/install-deps does).")
        });
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut codes: Vec<String> = json["3166-1"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["alpha_3"].as_str().unwrap().to_owned())
            .collect();
        codes.sort();
        let ours: Vec<String> = ISO_3166_ALPHA3
            .iter()
            .map(|(c, _)| (*c).to_owned())
            .collect();
        assert_eq!(
            ours, codes,
            "ISO 3166-1 changed: regenerate src/lds/mrz/country_codes.rs"
        );
        let mut pairs: Vec<(String, String)> = json["3166-1"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["alpha_3"].as_str().unwrap().to_owned(),
                    e["alpha_2"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        pairs.sort();
        let ours: Vec<(String, String)> = ISO_3166_ALPHA2
            .iter()
            .map(|(a3, a2)| ((*a3).to_owned(), (*a2).to_owned()))
            .collect();
        assert_eq!(ours, pairs, "ISO 3166-1 alpha-2 codes changed");
    }
}
