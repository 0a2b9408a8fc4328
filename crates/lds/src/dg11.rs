//! DG11, additional personal details (ICAO Doc 9303-10 §4.7.11, Table 42).
//!
//! `6B L { 5C tag-list, 5F0E full name, A0 { 02 n, 5F0F other name … }, 5F10 personal number,
//! 5F2B full date of birth, 5F11 place of birth, 5F42 address, 5F12 telephone, 5F13 profession,
//! 5F14 title, 5F15 personal summary, 5F16 proof of citizenship, 5F17 other valid TD numbers,
//! 5F18 custody information }`.
//!
//! The full name is written `PRIMARY<<SECONDARY<NAMES` in the national script as UTF-8, without
//! truncation; sub-fields of the place of birth and the address are separated by `<`. The full
//! date of birth is `YYYYMMDD` with `00` for an unknown month or day (9303-10 Table 42 note), the
//! same partial date the MRZ writes with `<`. Old chips store it as 4-byte BCD; we read both.

use std::fmt;

use crate::{
    Ef, LdsError,
    tagged::{self, Element, text},
};
use permitkit_iso7816::tlv::Tag;

/// The contents of DG11. Personal data: `Debug` names only the fields present.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Dg11 {
    /// `5F0E` full name of the holder (`PRIMARY<<SECONDARY`), national characters allowed.
    pub full_name: Option<String>,
    /// `5F0F` other names, each `PRIMARY<<SECONDARY`.
    pub other_names: Vec<String>,
    /// `5F10` personal number.
    pub personal_number: Option<String>,
    /// `5F2B` full date of birth, `YYYYMMDD` (unknown parts `00`).
    pub full_date_of_birth: Option<String>,
    /// `5F11` place of birth, sub-fields separated by `<`.
    pub place_of_birth: Option<String>,
    /// `5F42` permanent address, sub-fields separated by `<`.
    pub permanent_address: Option<String>,
    /// `5F12` telephone.
    pub telephone: Option<String>,
    /// `5F13` profession.
    pub profession: Option<String>,
    /// `5F14` title.
    pub title: Option<String>,
    /// `5F15` personal summary.
    pub personal_summary: Option<String>,
    /// `5F16` proof of citizenship (an image).
    pub proof_of_citizenship: Option<Vec<u8>>,
    /// `5F17` other valid travel-document numbers, separated by `<`.
    pub other_valid_td_numbers: Option<String>,
    /// `5F18` custody information.
    pub custody_information: Option<String>,
}

const FULL_NAME: Tag = Tag::new(0x5F0E);
const OTHER_NAME: Tag = Tag::new(0x5F0F);
const PERSONAL_NUMBER: Tag = Tag::new(0x5F10);
const DATE_OF_BIRTH: Tag = Tag::new(0x5F2B);
const PLACE_OF_BIRTH: Tag = Tag::new(0x5F11);
const ADDRESS: Tag = Tag::new(0x5F42);
const TELEPHONE: Tag = Tag::new(0x5F12);
const PROFESSION: Tag = Tag::new(0x5F13);
const TITLE: Tag = Tag::new(0x5F14);
const SUMMARY: Tag = Tag::new(0x5F15);
const PROOF: Tag = Tag::new(0x5F16);
const OTHER_TD: Tag = Tag::new(0x5F17);
const CUSTODY: Tag = Tag::new(0x5F18);

impl Dg11 {
    /// Encodes the file; elements are written in the order of 9303-10 Table 42. A text
    /// element longer than [`tagged::MAX_TEXT_ELEMENT`] bytes is refused, naming it.
    pub fn encode(&self) -> Result<Vec<u8>, LdsError> {
        if let Some(d) = &self.full_date_of_birth {
            check_date(d)?;
        }
        let mut el = Vec::new();
        let text = |el: &mut Vec<Element>, field, tag, v: &Option<String>| {
            if let Some(v) = v {
                el.push(tagged::text_element(Ef::DG11, field, tag, v)?);
            }
            Ok::<(), LdsError>(())
        };
        text(&mut el, "full name", FULL_NAME, &self.full_name)?;
        if !self.other_names.is_empty() {
            let names = self
                .other_names
                .iter()
                .map(|n| tagged::checked_text(Ef::DG11, "other name", n))
                .collect::<Result<_, _>>()?;
            el.push(Element::Repeated(OTHER_NAME, names));
        }
        text(
            &mut el,
            "personal number",
            PERSONAL_NUMBER,
            &self.personal_number,
        )?;
        text(
            &mut el,
            "full date of birth",
            DATE_OF_BIRTH,
            &self.full_date_of_birth,
        )?;
        text(
            &mut el,
            "place of birth",
            PLACE_OF_BIRTH,
            &self.place_of_birth,
        )?;
        text(
            &mut el,
            "permanent address",
            ADDRESS,
            &self.permanent_address,
        )?;
        text(&mut el, "telephone", TELEPHONE, &self.telephone)?;
        text(&mut el, "profession", PROFESSION, &self.profession)?;
        text(&mut el, "title", TITLE, &self.title)?;
        text(&mut el, "personal summary", SUMMARY, &self.personal_summary)?;
        if let Some(p) = &self.proof_of_citizenship {
            el.push(Element::Single(PROOF, p.clone()));
        }
        text(
            &mut el,
            "other valid TD numbers",
            OTHER_TD,
            &self.other_valid_td_numbers,
        )?;
        text(
            &mut el,
            "custody information",
            CUSTODY,
            &self.custody_information,
        )?;
        tagged::encode(Ef::DG11, Tag::new(0x6B), &el)
    }

    /// Parses the file; unknown elements are ignored.
    pub fn parse(data: &[u8]) -> Result<Self, LdsError> {
        let mut dg = Self::default();
        for e in tagged::parse(Ef::DG11, Tag::new(0x6B), data)? {
            match e {
                Element::Repeated(tag, values) if tag == OTHER_NAME => {
                    dg.other_names = values.iter().map(|v| text(v)).collect();
                }
                Element::Repeated(..) => {}
                Element::Single(tag, v) => {
                    let t = Some(text(&v));
                    match tag {
                        FULL_NAME => dg.full_name = t,
                        OTHER_NAME => dg.other_names.push(text(&v)),
                        PERSONAL_NUMBER => dg.personal_number = t,
                        DATE_OF_BIRTH => dg.full_date_of_birth = Some(date_digits(&v)),
                        PLACE_OF_BIRTH => dg.place_of_birth = t,
                        ADDRESS => dg.permanent_address = t,
                        TELEPHONE => dg.telephone = t,
                        PROFESSION => dg.profession = t,
                        TITLE => dg.title = t,
                        SUMMARY => dg.personal_summary = t,
                        PROOF => dg.proof_of_citizenship = Some(v),
                        OTHER_TD => dg.other_valid_td_numbers = t,
                        CUSTODY => dg.custody_information = t,
                        _ => {}
                    }
                }
            }
        }
        Ok(dg)
    }
}

/// `YYYYMMDD` from 8 ASCII digits, or from 4 bytes of BCD as some chips store it.
pub(crate) fn date_digits(v: &[u8]) -> String {
    if v.len() == 4 && !v.iter().all(u8::is_ascii_digit) {
        return v.iter().map(|b| format!("{b:02X}")).collect();
    }
    text(v)
}

fn check_date(d: &str) -> Result<(), LdsError> {
    if d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(LdsError::field(
            Ef::DG11,
            "full date of birth",
            "must be YYYYMMDD (00 for an unknown month or day)",
        ))
    }
}

impl fmt::Debug for Dg11 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let present = [
            ("full_name", self.full_name.is_some()),
            ("other_names", !self.other_names.is_empty()),
            ("personal_number", self.personal_number.is_some()),
            ("full_date_of_birth", self.full_date_of_birth.is_some()),
            ("place_of_birth", self.place_of_birth.is_some()),
            ("permanent_address", self.permanent_address.is_some()),
            ("telephone", self.telephone.is_some()),
            ("profession", self.profession.is_some()),
            ("title", self.title.is_some()),
            ("personal_summary", self.personal_summary.is_some()),
            ("proof_of_citizenship", self.proof_of_citizenship.is_some()),
            (
                "other_valid_td_numbers",
                self.other_valid_td_numbers.is_some(),
            ),
            ("custody_information", self.custody_information.is_some()),
        ];
        let names: Vec<&str> = present
            .iter()
            .filter(|(_, p)| *p)
            .map(|(n, _)| *n)
            .collect();
        write!(f, "Dg11 {{ present: {names:?} }}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LdsErrorKind;

    #[test]
    fn national_script_round_trip() {
        let dg = Dg11 {
            full_name: Some("ТКАЧЕНКО<<МАР'ЯНА".into()),
            other_names: vec!["TKACHENKO<<MARIANA".into()],
            personal_number: Some("19740800-00123".into()),
            full_date_of_birth: Some("19740800".into()),
            place_of_birth: Some("КИЇВ<УКРАЇНА".into()),
            permanent_address: Some("ВУЛ. ХРЕЩАТИК 1<КИЇВ<01001".into()),
            ..Dg11::default()
        };
        let bytes = dg.encode().unwrap();
        assert_eq!(bytes[0], 0x6B);
        // The tag list names every element in order, A0 for the repeated one.
        let list = hex::encode_upper(&bytes[3..3 + 2 + 11]);
        assert_eq!(list, "5C0B5F0EA05F105F2B5F115F42");
        let back = Dg11::parse(&bytes).unwrap();
        assert_eq!(back, dg);
        assert!(!format!("{back:?}").contains("ТКАЧЕНКО"));
    }

    #[test]
    fn reads_bcd_dates_and_refuses_bad_ones() {
        // 6B 0B 5C 02 5F2B 5F2B 04 19 74 08 12
        let bytes = hex::decode("6B0B5C025F2B5F2B0419740812").unwrap();
        assert_eq!(
            Dg11::parse(&bytes).unwrap().full_date_of_birth.as_deref(),
            Some("19740812")
        );
        let bad = Dg11 {
            full_date_of_birth: Some("1974-08-12".into()),
            ..Dg11::default()
        };
        assert!(bad.encode().unwrap_err().to_string().contains("YYYYMMDD"));
    }

    #[test]
    fn an_oversize_field_is_refused_by_name() {
        let dg = Dg11 {
            place_of_birth: Some("К".repeat(600)),
            ..Dg11::default()
        };
        let err = dg.encode().unwrap_err();
        assert_eq!(err.file, Ef::DG11);
        assert!(matches!(
            err.kind,
            LdsErrorKind::FieldTooLong {
                field: "place of birth",
                len: 1200,
                max: tagged::MAX_TEXT_ELEMENT
            }
        ));
        let dg = Dg11 {
            other_names: vec!["A<<B".into(), "X".repeat(2000)],
            ..Dg11::default()
        };
        assert!(matches!(
            dg.encode().unwrap_err().kind,
            LdsErrorKind::FieldTooLong {
                field: "other name",
                ..
            }
        ));
        let at_limit = Dg11 {
            permanent_address: Some("A".repeat(tagged::MAX_TEXT_ELEMENT)),
            ..Dg11::default()
        };
        assert!(at_limit.encode().is_ok());
    }
}
