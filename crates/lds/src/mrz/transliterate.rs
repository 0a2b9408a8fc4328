//! Transliteration of national characters for the MRZ (ICAO Doc 9303-3 §6, 8th edition 2021).
//!
//! - §6.A, multinational Latin-based characters. Where the table offers alternatives we write
//!   one form, always the same: `Ä` → `AE`, `Å` → `AA`, `Ñ` → `N`, `Ö` → `OE`, `Ü` → `UE`
//!   (the forms used by German, Nordic and most Latin-script issuers; readers are told to match
//!   fuzzily across AE/A, AA/A, OE/O, UE/U, N/NXX anyway). `ß` is written `SS`, like `ẞ`.
//!   Extension: a Latin letter that is not in the table but decomposes canonically into an
//!   ASCII letter plus combining marks (Romanian `Ș`/`Ț` with comma below, Vietnamese `Ơ`, …)
//!   is written as that letter, which is what the table does for every letter it lists with a
//!   single diacritic.
//! - §6.B, Cyrillic, with the language exceptions of the table, chosen by the caller through
//!   [`Script`]. The Ukrainian "first character" exceptions (`Є` → `YE`, `Ї` → `YI`, `Й` → `Y`,
//!   `Ю` → `YU`, `Я` → `YA`) apply at the start of every name component (after a space or
//!   hyphen), as KMU resolution 55 says "at the start of a word"; an apostrophe does not start a
//!   new word (`Мар'яна` → `MARIANA`).
//! - Ukraine's national rule, KMU resolution No. 55 of 27 January 2010 ([`Script::UkrainianKmu55`]):
//!   the same letters as the 8th-edition Ukrainian exceptions, except that the pair `зг` is
//!   written `ZGH` (`Згурський` → `ZGHURSKYI`) so that it stays distinct from `Ж` = `ZH`.
//!
//! Gaps in §6.B, and what we do (docs/spec/mrz-names.md §3): `Ь` has no row and is dropped
//! (KMU 55 and the ICAO-based romanizations drop it); `Ћ` (U+040B) has no row and is written `C`
//! like the Latin `Ć` it corresponds to; `Ѓ` (U+0403) has no row and takes the values the table
//! prints on row U+0492 (`G`, Macedonian `GJ`), which is almost certainly where they belong.
//! `Г` → `H` for Serbian is kept as the table prints it.

use unicode_normalization::char::decompose_canonical;

/// The language whose rules transliterate Cyrillic names, or `Latin` for names written in Latin
/// letters only. Latin letters (with the §6.A diacritics) are accepted in every mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Script {
    /// Latin letters only; a Cyrillic letter is an error asking for the language.
    Latin,
    /// Cyrillic with the §6.B default values, for languages without an exception in the table
    /// (Kazakh, Kyrgyz, Tajik, …).
    Cyrillic,
    /// Russian: the §6.B default values (the table has no Russian exception).
    Russian,
    /// Ukrainian, ICAO 9303-3 §6.B (8th edition) exceptions.
    Ukrainian,
    /// Ukrainian, national rule of KMU resolution No. 55 (2010): as [`Script::Ukrainian`] plus
    /// `зг` → `ZGH`.
    UkrainianKmu55,
    /// Belarusian exceptions (`Г` → `H`, `Ё` → `IO`).
    Belarusian,
    /// Bulgarian exception (`Щ` → `SHT`).
    Bulgarian,
    /// Serbian exceptions (`Г` → `H`, `Ж` → `Z`, `Х` → `H`, `Ц` → `C`, `Ч` → `C`, `Ш` → `S`).
    Serbian,
    /// Macedonian exceptions (`Ќ` → `KJ`, `Џ` → `DJ`, `Х` → `H`, `Ц` → `C`, `Ѓ` → `GJ`).
    Macedonian,
}

impl Script {
    /// Every script, for tests and command-line choices.
    pub const ALL: [Script; 9] = [
        Script::Latin,
        Script::Cyrillic,
        Script::Russian,
        Script::Ukrainian,
        Script::UkrainianKmu55,
        Script::Belarusian,
        Script::Bulgarian,
        Script::Serbian,
        Script::Macedonian,
    ];

    fn is_ukrainian(self) -> bool {
        matches!(self, Self::Ukrainian | Self::UkrainianKmu55)
    }
}

/// Why a character has no transliteration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unmapped {
    /// A Cyrillic letter under [`Script::Latin`].
    NeedsLanguage,
    /// A character no table covers.
    NoMapping,
}

/// Where a letter stands, for the context-dependent rules.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Context {
    /// First letter of a name component.
    pub word_start: bool,
    /// The previous letter of the component (upper case), if it was a letter.
    pub previous: Option<char>,
}

const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// The MRZ letters for one letter of a name (any case). The empty string means "dropped" (`Ь`).
pub(crate) fn letter(c: char, script: Script, ctx: Context) -> Result<&'static str, Unmapped> {
    let upper = upper_case(c)?;
    if upper == 'ß' || upper == 'ẞ' {
        return Ok("SS");
    }
    if let Some(s) = ascii(upper) {
        return Ok(s);
    }
    if let Some(s) = latin(upper) {
        return Ok(s);
    }
    if let Some(s) = cyrillic(upper, script, ctx) {
        return if script == Script::Latin {
            Err(Unmapped::NeedsLanguage)
        } else {
            Ok(s)
        };
    }
    decomposed_ascii(upper).ok_or(Unmapped::NoMapping)
}

/// The upper-case form, when it is a single character (`ß` stays `ß`, handled by the caller).
fn upper_case(c: char) -> Result<char, Unmapped> {
    if c == 'ß' {
        return Ok(c);
    }
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) => Ok(u),
        _ => Err(Unmapped::NoMapping),
    }
}

fn ascii(c: char) -> Option<&'static str> {
    let i = usize::from(u8::try_from(c).ok()?.checked_sub(b'A')?);
    ALPHABET.get(i..=i)
}

/// A letter that canonically decomposes into an ASCII letter plus combining diacritics.
fn decomposed_ascii(c: char) -> Option<&'static str> {
    let mut base = None;
    let mut only_marks = true;
    let mut first = true;
    decompose_canonical(c, |d| {
        if first {
            base = ascii(d);
            first = false;
        } else if !('\u{0300}'..='\u{036F}').contains(&d) {
            only_marks = false;
        }
    });
    // A character that decomposes to itself has no diacritic to drop.
    if only_marks && u8::try_from(c).is_err() {
        base
    } else {
        None
    }
}

/// §6.A, upper-case forms.
fn latin(c: char) -> Option<&'static str> {
    Some(match c {
        'À' | 'Á' | 'Â' | 'Ã' | 'Ā' | 'Ă' | 'Ą' => "A",
        'Ä' => "AE",
        'Å' => "AA",
        'Æ' => "AE",
        'Ç' | 'Ć' | 'Ĉ' | 'Ċ' | 'Č' => "C",
        'Ð' | 'Ď' | 'Đ' => "D",
        'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ĕ' | 'Ė' | 'Ę' | 'Ě' => "E",
        'Ĝ' | 'Ğ' | 'Ġ' | 'Ģ' => "G",
        'Ĥ' | 'Ħ' => "H",
        'Ì' | 'Í' | 'Î' | 'Ï' | 'Ĩ' | 'Ī' | 'Ĭ' | 'Į' | 'İ' => "I",
        'Ĳ' => "IJ",
        'Ĵ' => "J",
        'Ķ' => "K",
        'Ĺ' | 'Ļ' | 'Ľ' | 'Ŀ' | 'Ł' => "L",
        'Ń' | 'Ņ' | 'Ň' | 'Ŋ' => "N",
        'Ñ' => "N",
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ō' | 'Ŏ' | 'Ő' => "O",
        'Ö' => "OE",
        'Ø' | 'Œ' => "OE",
        'Ŕ' | 'Ŗ' | 'Ř' => "R",
        'Ś' | 'Ŝ' | 'Ş' | 'Š' => "S",
        'Ţ' | 'Ť' | 'Ŧ' => "T",
        'Þ' => "TH",
        'Ù' | 'Ú' | 'Û' | 'Ũ' | 'Ū' | 'Ŭ' | 'Ů' | 'Ű' | 'Ų' => "U",
        'Ü' => "UE",
        'Ŵ' => "W",
        'Ý' | 'Ŷ' | 'Ÿ' => "Y",
        'Ź' | 'Ż' | 'Ž' => "Z",
        _ => return None,
    })
}

/// §6.B, upper-case forms, with the language exceptions.
fn cyrillic(c: char, script: Script, ctx: Context) -> Option<&'static str> {
    use Script::{Belarusian, Bulgarian, Macedonian, Serbian, UkrainianKmu55};
    let ukr = script.is_ukrainian();
    let ukr_start = ukr && ctx.word_start;
    Some(match c {
        'А' => "A",
        'Б' => "B",
        'В' => "V",
        // KMU 55: «зг» → ZGH, keeping it apart from Ж = ZH.
        'Г' if script == UkrainianKmu55 && ctx.previous == Some('З') => "GH",
        'Г' if ukr || matches!(script, Belarusian | Serbian) => "H",
        'Г' => "G",
        'Д' => "D",
        'Е' => "E",
        'Ё' if script == Belarusian => "IO",
        'Ё' => "E",
        'Є' if ukr_start => "YE",
        'Є' => "IE",
        'Ж' if script == Serbian => "Z",
        'Ж' => "ZH",
        'З' => "Z",
        'Ѕ' => "DZ",
        'И' if ukr => "Y",
        'И' => "I",
        'І' => "I",
        'Ї' if ukr_start => "YI",
        'Ї' => "I",
        'Й' if ukr_start => "Y",
        'Й' => "I",
        'Ј' => "J",
        'К' => "K",
        'Ќ' if script == Macedonian => "KJ",
        'Ќ' => "K",
        'Л' => "L",
        'Љ' => "LJ",
        'М' => "M",
        'Н' => "N",
        'Њ' => "NJ",
        'О' => "O",
        'П' => "P",
        'Р' => "R",
        'С' => "S",
        'Т' => "T",
        'У' => "U",
        'Ў' => "U",
        'Ф' => "F",
        'Х' if matches!(script, Serbian | Macedonian) => "H",
        'Х' => "KH",
        'Ц' if matches!(script, Serbian | Macedonian) => "C",
        'Ц' => "TS",
        'Ч' if script == Serbian => "C",
        'Ч' => "CH",
        'Џ' if script == Macedonian => "DJ",
        'Џ' => "DZ",
        'Ш' if script == Serbian => "S",
        'Ш' => "SH",
        'Щ' if script == Bulgarian => "SHT",
        'Щ' => "SHCH",
        'Ъ' => "IE",
        'Ы' => "Y",
        'Ь' => "",
        'Э' => "E",
        'Ю' if ukr_start => "YU",
        'Ю' => "IU",
        'Я' if ukr_start => "YA",
        'Я' => "IA",
        'Ђ' => "D",
        // No row in §6.B; written like the Latin Ć it stands for.
        'Ћ' => "C",
        // The table prints the GJ exception on U+0492; Ѓ (U+0403) is the Macedonian letter.
        'Ѓ' | 'Ғ' if script == Macedonian => "GJ",
        'Ѓ' | 'Ғ' => "G",
        'Ґ' => "G",
        'Ѫ' => "U",
        'Ѵ' => "Y",
        'Һ' => "C",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(c: char, script: Script) -> &'static str {
        letter(c, script, Context::default()).unwrap()
    }

    #[test]
    fn latin_table_covers_9303_section_6a() {
        // Every row of 9303-3 §6.A with the chosen alternative.
        let rows: &[(&str, &str)] = &[
            ("ÀÁÂÃĀĂĄ", "A"),
            ("Ä", "AE"),
            ("Å", "AA"),
            ("Æ", "AE"),
            ("ÇĆĈĊČ", "C"),
            ("ÐĎĐ", "D"),
            ("ÈÉÊËĒĔĖĘĚ", "E"),
            ("ĜĞĠĢ", "G"),
            ("ĤĦ", "H"),
            ("ÌÍÎÏĨĪĬĮİı", "I"),
            ("Ĳ", "IJ"),
            ("Ĵ", "J"),
            ("Ķ", "K"),
            ("ĹĻĽĿŁ", "L"),
            ("ŃŅŇŊÑ", "N"),
            ("ÒÓÔÕŌŎŐ", "O"),
            ("Ö", "OE"),
            ("ØŒ", "OE"),
            ("ŔŖŘ", "R"),
            ("ŚŜŞŠ", "S"),
            ("ẞß", "SS"),
            ("ŢŤŦ", "T"),
            ("Þ", "TH"),
            ("ÙÚÛŨŪŬŮŰŲ", "U"),
            ("Ü", "UE"),
            ("Ŵ", "W"),
            ("ÝŶŸ", "Y"),
            ("ŹŻŽ", "Z"),
        ];
        for (chars, mrz) in rows {
            for c in chars.chars() {
                assert_eq!(t(c, Script::Latin), *mrz, "{c}");
                let mut lower = c.to_lowercase();
                if let (Some(l), None) = (lower.next(), lower.next()) {
                    assert_eq!(t(l, Script::Latin), *mrz, "{l}");
                }
            }
        }
    }

    #[test]
    fn letters_with_a_single_diacritic_outside_the_table_drop_it() {
        assert_eq!(t('Ș', Script::Latin), "S");
        assert_eq!(t('ț', Script::Latin), "T");
        assert_eq!(t('Ơ', Script::Latin), "O");
        assert!(letter('ĸ', Script::Latin, Context::default()).is_err());
        assert!(letter('Ω', Script::Latin, Context::default()).is_err());
        assert!(letter('ŉ', Script::Latin, Context::default()).is_err());
    }

    #[test]
    fn cyrillic_defaults_follow_9303_section_6b() {
        let rows = [
            ('Ё', "E"),
            ('Ђ', "D"),
            ('Є', "IE"),
            ('Ѕ', "DZ"),
            ('І', "I"),
            ('Ї', "I"),
            ('Ј', "J"),
            ('Љ', "LJ"),
            ('Њ', "NJ"),
            ('Ќ', "K"),
            ('Ў', "U"),
            ('Џ', "DZ"),
            ('Г', "G"),
            ('Ж', "ZH"),
            ('И', "I"),
            ('Й', "I"),
            ('Х', "KH"),
            ('Ц', "TS"),
            ('Ч', "CH"),
            ('Ш', "SH"),
            ('Щ', "SHCH"),
            ('Ъ', "IE"),
            ('Ы', "Y"),
            ('Ь', ""),
            ('Э', "E"),
            ('Ю', "IU"),
            ('Я', "IA"),
            ('Ѫ', "U"),
            ('Ѵ', "Y"),
            ('Ґ', "G"),
            ('Ғ', "G"),
            ('Һ', "C"),
        ];
        for (c, mrz) in rows {
            assert_eq!(t(c, Script::Russian), mrz, "{c}");
            assert_eq!(t(c, Script::Cyrillic), mrz, "{c}");
        }
    }

    #[test]
    fn language_exceptions_apply_only_to_their_language() {
        assert_eq!(t('Г', Script::Ukrainian), "H");
        assert_eq!(t('Г', Script::Belarusian), "H");
        assert_eq!(t('Г', Script::Serbian), "H");
        assert_eq!(t('Г', Script::Bulgarian), "G");
        assert_eq!(t('Ё', Script::Belarusian), "IO");
        assert_eq!(t('Ж', Script::Serbian), "Z");
        assert_eq!(t('И', Script::Ukrainian), "Y");
        assert_eq!(t('Ќ', Script::Macedonian), "KJ");
        assert_eq!(t('Џ', Script::Macedonian), "DJ");
        assert_eq!(t('Ѓ', Script::Macedonian), "GJ");
        assert_eq!(t('Х', Script::Macedonian), "H");
        assert_eq!(t('Ц', Script::Serbian), "C");
        assert_eq!(t('Ч', Script::Serbian), "C");
        assert_eq!(t('Ш', Script::Serbian), "S");
        assert_eq!(t('Щ', Script::Bulgarian), "SHT");
    }

    #[test]
    fn ukrainian_first_character_rules_depend_on_position() {
        let start = Context {
            word_start: true,
            previous: None,
        };
        for (c, first, inner) in [
            ('Є', "YE", "IE"),
            ('Ї', "YI", "I"),
            ('Й', "Y", "I"),
            ('Ю', "YU", "IU"),
            ('Я', "YA", "IA"),
        ] {
            assert_eq!(letter(c, Script::Ukrainian, start).unwrap(), first);
            assert_eq!(t(c, Script::Ukrainian), inner);
            assert_eq!(letter(c, Script::Russian, start).unwrap(), inner);
        }
    }

    #[test]
    fn kmu55_writes_zg_as_zgh() {
        let after_z = Context {
            word_start: false,
            previous: Some('З'),
        };
        assert_eq!(letter('г', Script::UkrainianKmu55, after_z).unwrap(), "GH");
        assert_eq!(letter('г', Script::Ukrainian, after_z).unwrap(), "H");
        assert_eq!(t('Г', Script::UkrainianKmu55), "H");
    }

    #[test]
    fn cyrillic_needs_a_language() {
        assert_eq!(
            letter('Ж', Script::Latin, Context::default()),
            Err(Unmapped::NeedsLanguage)
        );
    }
}
