//! The name of the holder in the MRZ (ICAO Doc 9303-3 §4.6; layout 9303-4 §4.2.2.1 and
//! 9303-5 §4.2.2.3; truncation in [`super::truncation`]).
//!
//! [`MrzName::new`] takes the primary and the secondary identifier as written in the VIZ (Latin
//! with diacritics, or Cyrillic), composes them to Unicode NFC, and applies 9303-3 §4.6:
//!
//! | VIZ | MRZ |
//! |---|---|
//! | apostrophe (`'`, `’`, `ʼ`, …) | dropped, the parts joined (`D'ARTAGNAN` → `DARTAGNAN`) |
//! | hyphen, space, comma (and `<`) | one filler: a new component (`MARIE-ELISE` → `MARIE<ELISE`) |
//! | other punctuation (`.`, `(`, `"`, …) | dropped |
//! | digits | refused: MRZ names hold no digits |
//! | letters | transliterated per §6 ([`Script`]) |
//!
//! Titles and suffixes (Dr., Jr., III) are the caller's to leave out, as 9303-3 §4.6 asks. The
//! primary identifier must not be empty after transliteration; the secondary may be absent
//! (single-part names, 9303-5 §4.2.3.5).

use std::fmt;

use unicode_normalization::UnicodeNormalization;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::transliterate::{self, Context, Script, Unmapped};
use super::truncation::{self, rendered};
use super::{Field, FieldError, MrzError, MrzFormat};

/// Longest identifier, in characters, that [`MrzName::new`] reads.
pub const MAX_IDENTIFIER_CHARS: usize = 256;

/// The primary identifier (surname) or the secondary identifier (given names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identifier {
    /// The primary identifier.
    Primary,
    /// The secondary identifier.
    Secondary,
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Primary => "primary identifier",
            Self::Secondary => "secondary identifier",
        })
    }
}

/// What is wrong with a name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// A character no transliteration table covers.
    #[error(
        "character {found:?} ({}) in the {identifier} has no MRZ transliteration",
        code_point(.found)
    )]
    Unmapped {
        /// Which identifier.
        identifier: Identifier,
        /// The character.
        found: char,
    },
    /// A Cyrillic letter given with [`Script::Latin`].
    #[error(
        "character {found:?} in the {identifier} is Cyrillic: choose the language of the name \
         (Ukrainian, Russian, …)"
    )]
    NeedsLanguage {
        /// Which identifier.
        identifier: Identifier,
        /// The character.
        found: char,
    },
    /// A digit (9303-3 §4.6: numeric characters are not used in MRZ names).
    #[error("digit {found:?} in the {identifier}: MRZ names hold no digits")]
    Digit {
        /// Which identifier.
        identifier: Identifier,
        /// The digit.
        found: char,
    },
    /// An identifier with no letter left after transliteration.
    #[error("the {0} is empty after transliteration")]
    Empty(Identifier),
    /// An identifier longer than [`MAX_IDENTIFIER_CHARS`].
    #[error("the {identifier} has {length} characters; at most {MAX_IDENTIFIER_CHARS} are read")]
    TooLong {
        /// Which identifier.
        identifier: Identifier,
        /// Its length in characters.
        length: usize,
    },
    /// An MRZ name field that starts with a filler.
    #[error("the primary identifier is empty (the field starts with a filler)")]
    FieldStartsWithFiller,
    /// Fillers where an MRZ name field needs a name component (`<<<`, or `<<` twice).
    #[error("a name component is empty (three fillers, or two in the secondary identifier)")]
    EmptyComponent,
}

fn code_point(c: &char) -> String {
    format!("U+{:04X}", u32::from(*c))
}

/// A name as the MRZ writes it: the components of the primary and the secondary identifier, in
/// `A`–`Z` only.
#[derive(Clone, PartialEq, Eq, Hash, Zeroize, ZeroizeOnDrop)]
pub struct MrzName {
    primary: Vec<String>,
    secondary: Vec<String>,
}

/// A name field of a given width: its text and whether the name was shortened to fit.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct NameField {
    text: String,
    truncated: bool,
}

impl NameField {
    /// The field, padded with fillers to its width.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// True when characters or components were removed to fit the width.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// True when a reader must assume truncation: the last position holds a letter
    /// (9303-5 §4.2.3.3), whether or not anything was removed.
    pub fn is_possibly_truncated(&self) -> bool {
        self.text.ends_with(|c: char| c.is_ascii_uppercase())
    }
}

impl fmt::Debug for NameField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "NameField(<{} characters>, truncated: {})",
            self.text.len(),
            self.truncated
        )
    }
}

impl MrzName {
    /// Transliterates the primary and secondary identifiers as written in the VIZ. `secondary`
    /// may be empty for a name that has only one part.
    ///
    /// ```
    /// use permitkit_lds::mrz::{MrzFormat, MrzName, Script};
    /// let name = MrzName::new("Лук'яненко", "Марія-Єва", Script::UkrainianKmu55).unwrap();
    /// assert_eq!(name.to_dg11(), "LUKIANENKO<<MARIIA<YEVA");
    /// assert_eq!(name.to_field(MrzFormat::Td1).as_str(), "LUKIANENKO<<MARIIA<YEVA<<<<<<<");
    /// ```
    pub fn new(primary: &str, secondary: &str, script: Script) -> Result<Self, MrzError> {
        let primary = components(primary, script, Identifier::Primary)?;
        if primary.is_empty() {
            return Err(NameError::Empty(Identifier::Primary).into());
        }
        let secondary_given = !secondary.trim().is_empty();
        let secondary = components(secondary, script, Identifier::Secondary)?;
        if secondary_given && secondary.is_empty() {
            return Err(NameError::Empty(Identifier::Secondary).into());
        }
        Ok(Self { primary, secondary })
    }

    /// The components of the primary identifier.
    pub fn primary(&self) -> &[String] {
        &self.primary
    }

    /// The components of the secondary identifier (empty for a single-part name).
    pub fn secondary(&self) -> &[String] {
        &self.secondary
    }

    /// The full, untruncated name for DG11 `5F0E`: `PRIMARY<<SECONDARY<NAMES` without trailing
    /// fillers (just `PRIMARY` for a single-part name).
    pub fn to_dg11(&self) -> String {
        let mut out = self.primary.join("<");
        if !self.secondary.is_empty() {
            out.push_str("<<");
            out.push_str(&self.secondary.join("<"));
        }
        out
    }

    /// The name field of `format` (TD1 30 characters, TD3 39), truncated if needed (see
    /// [`super::truncation`] for the strategy) and padded with fillers.
    pub fn to_field(&self, format: MrzFormat) -> NameField {
        let width = format.name_width();
        let lengths = |v: &[String]| v.iter().map(String::len).collect::<Vec<_>>();
        let (p, s) = (lengths(&self.primary), lengths(&self.secondary));
        let plan = truncation::plan(&p, &s, width);
        let truncated = plan.is_some();
        let (p, s) = plan.map_or((p, s), |plan| (plan.primary, plan.secondary));
        let cut = |v: &[String], lens: &[usize]| -> Vec<String> {
            v.iter()
                .zip(lens)
                .map(|(c, &l)| c.get(..l).unwrap_or(c).to_owned())
                .collect()
        };
        let name = Self {
            primary: cut(&self.primary, &p),
            secondary: cut(&self.secondary, &s),
        };
        let mut text = name.to_dg11();
        debug_assert!(text.len() <= width);
        let pad = width.saturating_sub(text.len());
        text.extend(std::iter::repeat_n('<', pad));
        NameField { text, truncated }
    }

    /// Reads an MRZ name field (only `A`–`Z` and `<`). `Err` carries the 0-based offset of the
    /// problem.
    pub(crate) fn from_field(field: &[u8]) -> Result<Self, (usize, FieldError)> {
        let end = field.iter().rposition(|&b| b != b'<').map_or(0, |i| i + 1);
        let body = field.get(..end).unwrap_or_default();
        if body.is_empty() {
            return Err((0, FieldError::Empty { field: Field::Name }));
        }
        if let Some(i) = body
            .iter()
            .position(|b| !(b.is_ascii_uppercase() || *b == b'<'))
        {
            let found = body.get(i).map_or('?', |b| char::from(*b));
            return Err((
                i,
                FieldError::Character {
                    field: Field::Name,
                    found,
                    allowed: "A–Z and <",
                },
            ));
        }
        if body.first() == Some(&b'<') {
            return Err((0, FieldError::Name(NameError::FieldStartsWithFiller)));
        }
        let split = body.windows(2).position(|w| w == b"<<");
        let (primary, secondary, secondary_at) = match split {
            Some(i) => (
                body.get(..i).unwrap_or_default(),
                body.get(i + 2..).unwrap_or_default(),
                i + 2,
            ),
            None => (body, &[][..], body.len()),
        };
        let parts = |bytes: &[u8], start: usize| -> Result<Vec<String>, (usize, FieldError)> {
            let mut out = Vec::new();
            let mut offset = start;
            for part in bytes.split(|&b| b == b'<') {
                if part.is_empty() {
                    return Err((offset, FieldError::Name(NameError::EmptyComponent)));
                }
                out.push(String::from_utf8_lossy(part).into_owned());
                offset += part.len() + 1;
            }
            Ok(out)
        };
        let primary = parts(primary, 0)?;
        let secondary = if secondary.is_empty() {
            Vec::new()
        } else {
            parts(secondary, secondary_at)?
        };
        Ok(Self { primary, secondary })
    }

    /// Length of the untruncated name in the MRZ alphabet.
    pub fn full_len(&self) -> usize {
        let p = rendered(&self.primary.iter().map(String::len).collect::<Vec<_>>());
        if self.secondary.is_empty() {
            p
        } else {
            p + 2 + rendered(&self.secondary.iter().map(String::len).collect::<Vec<_>>())
        }
    }
}

impl fmt::Debug for MrzName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "MrzName(<{} + {} components, {} characters>)",
            self.primary.len(),
            self.secondary.len(),
            self.full_len()
        )
    }
}

/// What a VIZ character does in the MRZ name.
enum Class {
    /// Starts a new component (space, hyphen, comma, filler).
    Separator,
    /// Dropped without a filler; does not start a new word (apostrophes).
    Apostrophe,
    /// Other punctuation, dropped.
    Dropped,
    /// A digit: refused.
    Digit,
    /// A letter, or something to look up.
    Letter,
}

fn class(c: char) -> Class {
    match c {
        c if c.is_whitespace() => Class::Separator,
        '-' | '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | ',' | '<' => {
            Class::Separator
        }
        '\'' | '\u{2019}' | '\u{2018}' | '\u{02BC}' | '\u{02BB}' | '\u{02B9}' | '`'
        | '\u{00B4}' | '\u{2032}' => Class::Apostrophe,
        '.' | ':' | ';' | '!' | '?' | '(' | ')' | '[' | ']' | '"' | '\u{00AB}' | '\u{00BB}'
        | '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2039}' | '\u{203A}' | '\u{00B7}' => {
            Class::Dropped
        }
        c if c.is_numeric() => Class::Digit,
        _ => Class::Letter,
    }
}

/// Splits and transliterates one identifier into MRZ components.
fn components(
    text: &str,
    script: Script,
    identifier: Identifier,
) -> Result<Vec<String>, NameError> {
    let length = text.chars().count();
    if length > MAX_IDENTIFIER_CHARS {
        return Err(NameError::TooLong { identifier, length });
    }
    let mut out = Vec::new();
    let mut current = String::new();
    let mut ctx = Context {
        word_start: true,
        previous: None,
    };
    for c in text.nfc() {
        match class(c) {
            Class::Separator => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
                ctx = Context {
                    word_start: true,
                    previous: None,
                };
            }
            Class::Apostrophe | Class::Dropped => ctx.previous = None,
            Class::Digit => {
                return Err(NameError::Digit {
                    identifier,
                    found: c,
                });
            }
            Class::Letter => {
                let mrz = transliterate::letter(c, script, ctx).map_err(|e| match e {
                    Unmapped::NeedsLanguage => NameError::NeedsLanguage {
                        identifier,
                        found: c,
                    },
                    Unmapped::NoMapping => NameError::Unmapped {
                        identifier,
                        found: c,
                    },
                })?;
                current.push_str(mrz);
                ctx = Context {
                    word_start: false,
                    previous: c.to_uppercase().next(),
                };
            }
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(p: &str, s: &str, script: Script, format: MrzFormat) -> String {
        MrzName::new(p, s, script)
            .unwrap()
            .to_field(format)
            .as_str()
            .to_owned()
    }

    fn td1(p: &str, s: &str) -> String {
        field(p, s, Script::Latin, MrzFormat::Td1)
    }

    #[test]
    fn punctuation_follows_9303_3_section_4_6() {
        assert_eq!(
            MrzName::new("D'ARTAGNAN", "", Script::Latin)
                .unwrap()
                .to_dg11(),
            "DARTAGNAN"
        );
        assert_eq!(
            MrzName::new("O’Connor", "", Script::Latin)
                .unwrap()
                .to_dg11(),
            "OCONNOR"
        );
        assert_eq!(
            MrzName::new("Eriksson", "Marie-Elise", Script::Latin)
                .unwrap()
                .to_dg11(),
            "ERIKSSON<<MARIE<ELISE"
        );
        assert_eq!(
            MrzName::new("Eriksson", "Anna, Maria", Script::Latin)
                .unwrap()
                .to_dg11(),
            "ERIKSSON<<ANNA<MARIA"
        );
        assert_eq!(
            MrzName::new("van der Muellen", "Martin", Script::Latin)
                .unwrap()
                .to_dg11(),
            "VAN<DER<MUELLEN<<MARTIN"
        );
        assert_eq!(
            MrzName::new("St. John  -  Smythe", "(Jo)", Script::Latin)
                .unwrap()
                .to_dg11(),
            "ST<JOHN<SMYTHE<<JO"
        );
    }

    #[test]
    fn examples_of_9303_5_section_4_2_3_are_reproduced() {
        assert_eq!(
            td1("NILAVADHANANANDA", "CHAYAPA DEJTHAMRONG KRASUANG"),
            "NILAVADHANANANDA<<CHAYAPA<DE<K"
        );
        assert_eq!(
            td1("NILAVADHANANANDA", "ARNPOL PETCH CHARONGUANG"),
            "NILAVADHANANANDA<<ARNPOL<PE<CH"
        );
        assert_eq!(
            td1(
                "BENNELONG WOOLOOMOOLOO WARRANDYTE WARNAMBOOL",
                "DINGO POTOROO"
            ),
            "BENNELONG<WOOLOOMOOLOO<W<W<<DI"
        );
        assert_eq!(
            td1("PAPANDROPOULOUS", "JONATHON ALEC"),
            "PAPANDROPOULOUS<<JONATHON<ALEC"
        );
        assert_eq!(
            td1("VAN DER MUELLEN", "MARTIN"),
            "VAN<DER<MUELLEN<<MARTIN<<<<<<<"
        );
        assert_eq!(
            td1("AL-BASRI", "HUDA MUHAMMAD JAWAD"),
            "AL<BASRI<<HUDA<MUHAMMAD<JAWAD<"
        );
        assert_eq!(
            td1("VILARCHAO FERNANDEZ", "JOSE RAMON"),
            "VILARCHAO<FERNANDEZ<<JOSE<RAMO"
        );
        assert_eq!(
            field(
                "VILARCHAO FERNANDEZ",
                "JOSE RAMON",
                Script::Latin,
                MrzFormat::Td3
            ),
            "VILARCHAO<FERNANDEZ<<JOSE<RAMON<<<<<<<<"
        );
        assert_eq!(td1("ARKFREITH", ""), "ARKFREITH<<<<<<<<<<<<<<<<<<<<<");
        assert_eq!(td1("SATRIYA SUDARPA", ""), "SATRIYA<SUDARPA<<<<<<<<<<<<<<<");
    }

    #[test]
    fn truncation_is_reported() {
        let name = MrzName::new(
            "NILAVADHANANANDA",
            "CHAYAPA DEJTHAMRONG KRASUANG",
            Script::Latin,
        )
        .unwrap();
        let f = name.to_field(MrzFormat::Td1);
        assert!(f.is_truncated() && f.is_possibly_truncated());
        assert_eq!(
            name.to_dg11(),
            "NILAVADHANANANDA<<CHAYAPA<DEJTHAMRONG<KRASUANG"
        );
        let exact = MrzName::new("PAPANDROPOULOUS", "JONATHON ALEC", Script::Latin).unwrap();
        let f = exact.to_field(MrzFormat::Td1);
        assert!(!f.is_truncated() && f.is_possibly_truncated());
        let short = MrzName::new("ERIKSSON", "ANNA MARIA", Script::Latin).unwrap();
        assert!(!short.to_field(MrzFormat::Td1).is_possibly_truncated());
    }

    #[test]
    fn primary_only_names_are_cut_to_end_in_a_letter() {
        let f = MrzName::new(
            "BENNELONG WOOLOOMOOLOO WARRANDYTE WARNAMBOOL",
            "",
            Script::Latin,
        )
        .unwrap()
        .to_field(MrzFormat::Td1);
        assert_eq!(f.as_str(), "BENNELONG<WOOLOOMOOLOO<WAR<WAR");
        assert!(f.is_truncated());
    }

    // docs/spec/mrz-names.md §4: KMU 55 vs ICAO 8th edition vs default (7th-edition-like) values.
    #[test]
    fn ukrainian_examples_match_kmu55_and_icao() {
        let cases = [
            (
                "Ткаченко",
                "Мар'яна",
                "TKACHENKO<<MARIANA",
                "TKACHENKO<<MARIANA",
            ),
            ("Яременко", "Юрій", "YAREMENKO<<YURII", "YAREMENKO<<YURII"),
            (
                "Згурський",
                "Євген",
                "ZGHURSKYI<<YEVHEN",
                "ZHURSKYI<<YEVHEN",
            ),
            (
                "Їжакевич",
                "Йосип",
                "YIZHAKEVYCH<<YOSYP",
                "YIZHAKEVYCH<<YOSYP",
            ),
            (
                "Лук'яненко",
                "Марія-Єва",
                "LUKIANENKO<<MARIIA<YEVA",
                "LUKIANENKO<<MARIIA<YEVA",
            ),
        ];
        for (p, s, kmu, icao) in cases {
            assert_eq!(
                MrzName::new(p, s, Script::UkrainianKmu55)
                    .unwrap()
                    .to_dg11(),
                kmu
            );
            assert_eq!(
                MrzName::new(p, s, Script::Ukrainian).unwrap().to_dg11(),
                icao
            );
        }
        // Lower case, upper case and decomposed input give the same result.
        let decomposed = "Йосип".nfd().collect::<String>();
        assert_eq!(
            MrzName::new("ЇЖАКЕВИЧ", &decomposed, Script::Ukrainian)
                .unwrap()
                .to_dg11(),
            "YIZHAKEVYCH<<YOSYP"
        );
        assert_eq!(
            MrzName::new("Згурський", "Євген", Script::Russian)
                .unwrap()
                .to_dg11(),
            "ZGURSKII<<IEVGEN"
        );
    }

    #[test]
    fn latin_diacritics_and_decomposed_input() {
        assert_eq!(
            MrzName::new("Müller", "Jürgen", Script::Latin)
                .unwrap()
                .to_dg11(),
            "MUELLER<<JUERGEN"
        );
        let nfd = "Müller".nfd().collect::<String>();
        assert_eq!(
            MrzName::new(&nfd, "", Script::Latin).unwrap().to_dg11(),
            "MUELLER"
        );
        assert_eq!(
            MrzName::new("Strauß", "Øyvind", Script::Latin)
                .unwrap()
                .to_dg11(),
            "STRAUSS<<OEYVIND"
        );
        assert_eq!(
            MrzName::new("Ștefănescu", "Țuțu", Script::Latin)
                .unwrap()
                .to_dg11(),
            "STEFANESCU<<TUTU"
        );
    }

    #[test]
    fn bad_names_are_refused_naming_the_character() {
        let err = |p: &str, s: &str, script| MrzName::new(p, s, script).unwrap_err().to_string();
        assert_eq!(
            err("", "Anna", Script::Latin),
            "name: the primary identifier is empty after transliteration"
        );
        assert_eq!(
            err("'-.", "Anna", Script::Latin),
            "name: the primary identifier is empty after transliteration"
        );
        assert_eq!(
            err("Smith", "Ь", Script::Russian),
            "name: the secondary identifier is empty after transliteration"
        );
        assert_eq!(
            err("Smith", "Ωmega", Script::Latin),
            "name: character 'Ω' (U+03A9) in the secondary identifier has no MRZ transliteration"
        );
        assert_eq!(
            err("Smith3", "", Script::Latin),
            "name: digit '3' in the primary identifier: MRZ names hold no digits"
        );
        assert!(
            err("Жук", "", Script::Latin)
                .starts_with("name: character 'Ж' in the primary identifier is Cyrillic")
        );
        assert!(err("Smith/Smyth", "", Script::Latin).contains("'/'"));
        assert!(
            err(&"A".repeat(MAX_IDENTIFIER_CHARS + 1), "", Script::Latin).contains("at most 256")
        );
    }

    #[test]
    fn fields_parse_back_to_the_same_name() {
        for (p, s) in [
            ("ERIKSSON", "ANNA MARIA"),
            ("ARKFREITH", ""),
            ("SATRIYA SUDARPA", ""),
            ("NILAVADHANANANDA", "CHAYAPA DEJTHAMRONG KRASUANG"),
        ] {
            for format in [MrzFormat::Td1, MrzFormat::Td3] {
                let f = MrzName::new(p, s, Script::Latin).unwrap().to_field(format);
                let back = MrzName::from_field(f.as_str().as_bytes()).unwrap();
                assert_eq!(back.to_field(format).as_str(), f.as_str());
                assert!(!back.to_field(format).is_truncated());
            }
        }
    }

    #[test]
    fn malformed_fields_are_refused_with_offsets() {
        let e = |f: &str| MrzName::from_field(f.as_bytes()).unwrap_err();
        assert_eq!(e("<<<<"), (0, FieldError::Empty { field: Field::Name }));
        assert_eq!(
            e("<ANNA<<"),
            (0, FieldError::Name(NameError::FieldStartsWithFiller))
        );
        assert_eq!(
            e("SMITH<<<JOHN<<"),
            (7, FieldError::Name(NameError::EmptyComponent))
        );
        assert_eq!(
            e("SMITH<<JOHN<<PAUL"),
            (12, FieldError::Name(NameError::EmptyComponent))
        );
        assert_eq!(
            e("SM1TH<<JOHN"),
            (
                2,
                FieldError::Character {
                    field: Field::Name,
                    found: '1',
                    allowed: "A–Z and <"
                }
            )
        );
    }

    #[test]
    fn debug_shows_no_name() {
        let n = MrzName::new("ERIKSSON", "ANNA MARIA", Script::Latin).unwrap();
        let shown = format!("{n:?} {:?}", n.to_field(MrzFormat::Td1));
        assert!(
            !shown.contains("ERIKSSON") && !shown.contains("ANNA"),
            "{shown}"
        );
    }
}
