//! DG1, the machine-readable zone (ICAO Doc 9303-10 §4.7.1): `61 L { 5F1F L <MRZ> }`, the MRZ
//! characters of every line concatenated without line breaks — 90 for TD1 (the residence-permit
//! card), 72 for TD2, 88 for TD3.

use std::fmt;

use crate::{Ef, LdsError, error::InFile, mrz::CountryCode};
use permitkit_iso7816::tlv::{Tag, Writer, parse_single};

const TAG_MRZ: Tag = Tag::new(0x5F1F);

/// The contents of DG1. Personal data: `Debug` prints only the length.
#[derive(Clone, PartialEq, Eq)]
pub struct Dg1 {
    mrz: String,
}

impl Dg1 {
    /// DG1 holding `mrz` (lines concatenated). Checks the length and the character set; the
    /// field structure and check digits are the MRZ type's job.
    pub fn new(mrz: &str) -> Result<Self, LdsError> {
        validate(mrz)?;
        Ok(Self {
            mrz: mrz.to_owned(),
        })
    }

    /// The MRZ characters, lines concatenated.
    pub fn mrz(&self) -> &str {
        &self.mrz
    }

    /// The MRZ split into its lines (30, 36 or 44 characters each).
    pub fn lines(&self) -> Vec<&str> {
        let width = match self.mrz.len() {
            90 => 30,
            72 => 36,
            _ => 44,
        };
        self.mrz
            .as_bytes()
            .chunks(width)
            .filter_map(|c| std::str::from_utf8(c).ok())
            .collect()
    }

    /// The document code, the MRZ's first two characters with their filler (`IR`, `I<`, `P<`);
    /// at the same place in every format (9303-4, -5, -6).
    pub fn document_code(&self) -> &str {
        self.mrz.get(..2).unwrap_or_default()
    }

    /// The issuing State or organization, characters 3–5 of the MRZ in every format; `None`
    /// when they are not a code of 9303-3 §5.
    pub fn issuing_state(&self) -> Option<CountryCode> {
        self.mrz.get(2..5).and_then(|c| CountryCode::new(c).ok())
    }

    /// Encodes the file.
    pub fn encode(&self) -> Result<Vec<u8>, LdsError> {
        let mut w = Writer::new();
        w.constructed(Tag::new(0x61), |w| {
            w.primitive(TAG_MRZ, self.mrz.as_bytes());
        });
        w.finish().map_err(|e| LdsError::new(Ef::DG1, e))
    }

    /// Parses the file.
    pub fn parse(data: &[u8]) -> Result<Self, LdsError> {
        let outer = parse_single(data, Tag::new(0x61)).in_file(Ef::DG1)?;
        let mut r = outer.children().in_file(Ef::DG1)?;
        let mrz = r.expect(TAG_MRZ).in_file(Ef::DG1)?;
        let text = std::str::from_utf8(mrz.value())
            .map_err(|_| LdsError::field(Ef::DG1, "MRZ", "not ASCII"))?;
        Self::new(text)
    }
}

fn validate(mrz: &str) -> Result<(), LdsError> {
    if !matches!(mrz.len(), 90 | 72 | 88) {
        return Err(LdsError::field(
            Ef::DG1,
            "MRZ",
            format!("{} characters (TD1 has 90, TD2 72, TD3 88)", mrz.len()),
        ));
    }
    if let Some((i, c)) = mrz
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '<'))
    {
        return Err(LdsError::field(
            Ef::DG1,
            "MRZ",
            format!("character {c:?} at position {} is not A-Z, 0-9 or <", i + 1),
        ));
    }
    Ok(())
}

impl fmt::Debug for Dg1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Dg1(<{} MRZ characters>)", self.mrz.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TD1: &str = concat!(
        "I<UTOD231458907<<<<<<<<<<<<<<<",
        "7408122F1204159UTO<<<<<<<<<<<6",
        "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"
    );

    #[test]
    fn td1_layout_is_61_5d_5f1f_5a() {
        // docs/spec/lds.md §4: TD1 `61 5D 5F1F 5A`.
        let bytes = Dg1::new(TD1).unwrap().encode().unwrap();
        assert_eq!(&bytes[..5], &[0x61, 0x5D, 0x5F, 0x1F, 0x5A]);
        let back = Dg1::parse(&bytes).unwrap();
        assert_eq!(back.mrz(), TD1);
        assert_eq!(back.lines()[2], "ERIKSSON<<ANNA<MARIA<<<<<<<<<<");
        assert_eq!(format!("{back:?}"), "Dg1(<90 MRZ characters>)");
        assert_eq!(back.document_code(), "I<");
        assert_eq!(
            back.issuing_state().map(|c| c.to_string()),
            Some("UTO".into())
        );
    }

    #[test]
    fn refuses_bad_lengths_and_characters() {
        assert!(
            Dg1::new(&TD1[..89])
                .unwrap_err()
                .to_string()
                .contains("89 characters")
        );
        let lower = TD1.replacen('E', "e", 1);
        let err = Dg1::new(&lower).unwrap_err().to_string();
        assert!(err.contains("position 61"), "{err}");
    }
}
