//! DG12, additional document details (ICAO Doc 9303-10 §4.7.12, Table 43).
//!
//! `6C L { 5C tag-list, 5F19 issuing authority, 5F26 date of issue, A0 { 02 n, 5F1A name … },
//! 5F1B endorsements, 5F1C tax/exit requirements, 5F1D image of front, 5F1E image of rear,
//! 5F55 personalization date and time, 5F56 personalization system serial number }`.

use std::fmt;

use crate::{
    Ef, LdsError,
    dg11::date_digits,
    tagged::{self, Element, text},
};
use permitkit_iso7816::tlv::Tag;

/// The contents of DG12.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Dg12 {
    /// `5F19` issuing authority.
    pub issuing_authority: Option<String>,
    /// `5F26` date of issue, `YYYYMMDD`.
    pub date_of_issue: Option<String>,
    /// `5F1A` names of other persons.
    pub other_persons: Vec<String>,
    /// `5F1B` endorsements and observations.
    pub endorsements: Option<String>,
    /// `5F1C` tax or exit requirements.
    pub tax_exit_requirements: Option<String>,
    /// `5F1D` image of the front of the document.
    pub image_front: Option<Vec<u8>>,
    /// `5F1E` image of the rear of the document.
    pub image_rear: Option<Vec<u8>>,
    /// `5F55` date and time of personalization, `YYYYMMDDhhmmss`.
    pub personalization_time: Option<String>,
    /// `5F56` serial number of the personalization system.
    pub personalization_device: Option<String>,
}

const AUTHORITY: Tag = Tag::new(0x5F19);
const DATE_OF_ISSUE: Tag = Tag::new(0x5F26);
const OTHER_PERSON: Tag = Tag::new(0x5F1A);
const ENDORSEMENTS: Tag = Tag::new(0x5F1B);
const TAX_EXIT: Tag = Tag::new(0x5F1C);
const FRONT: Tag = Tag::new(0x5F1D);
const REAR: Tag = Tag::new(0x5F1E);
const PERSO_TIME: Tag = Tag::new(0x5F55);
const PERSO_DEVICE: Tag = Tag::new(0x5F56);

impl Dg12 {
    /// Encodes the file; elements are written in the order of 9303-10 Table 43. A text
    /// element longer than [`tagged::MAX_TEXT_ELEMENT`] bytes is refused, naming it.
    pub fn encode(&self) -> Result<Vec<u8>, LdsError> {
        check_digits(&self.date_of_issue, 8, "date of issue", "YYYYMMDD")?;
        check_digits(
            &self.personalization_time,
            14,
            "personalization date and time",
            "YYYYMMDDhhmmss",
        )?;
        let mut el = Vec::new();
        let text = |el: &mut Vec<Element>, field, tag, v: &Option<String>| {
            if let Some(v) = v {
                el.push(tagged::text_element(Ef::DG12, field, tag, v)?);
            }
            Ok::<(), LdsError>(())
        };
        let image = |el: &mut Vec<Element>, tag, v: &Option<Vec<u8>>| {
            if let Some(v) = v {
                el.push(Element::Single(tag, v.clone()));
            }
        };
        text(
            &mut el,
            "issuing authority",
            AUTHORITY,
            &self.issuing_authority,
        )?;
        text(&mut el, "date of issue", DATE_OF_ISSUE, &self.date_of_issue)?;
        if !self.other_persons.is_empty() {
            let names = self
                .other_persons
                .iter()
                .map(|n| tagged::checked_text(Ef::DG12, "name of other person", n))
                .collect::<Result<_, _>>()?;
            el.push(Element::Repeated(OTHER_PERSON, names));
        }
        text(
            &mut el,
            "endorsements and observations",
            ENDORSEMENTS,
            &self.endorsements,
        )?;
        text(
            &mut el,
            "tax or exit requirements",
            TAX_EXIT,
            &self.tax_exit_requirements,
        )?;
        image(&mut el, FRONT, &self.image_front);
        image(&mut el, REAR, &self.image_rear);
        text(
            &mut el,
            "personalization date and time",
            PERSO_TIME,
            &self.personalization_time,
        )?;
        text(
            &mut el,
            "personalization system serial number",
            PERSO_DEVICE,
            &self.personalization_device,
        )?;
        tagged::encode(Ef::DG12, Tag::new(0x6C), &el)
    }

    /// Parses the file; unknown elements are ignored.
    pub fn parse(data: &[u8]) -> Result<Self, LdsError> {
        let mut dg = Self::default();
        for e in tagged::parse(Ef::DG12, Tag::new(0x6C), data)? {
            match e {
                Element::Repeated(tag, values) if tag == OTHER_PERSON => {
                    dg.other_persons = values.iter().map(|v| text(v)).collect();
                }
                Element::Repeated(..) => {}
                Element::Single(tag, v) => match tag {
                    AUTHORITY => dg.issuing_authority = Some(text(&v)),
                    DATE_OF_ISSUE => dg.date_of_issue = Some(date_digits(&v)),
                    OTHER_PERSON => dg.other_persons.push(text(&v)),
                    ENDORSEMENTS => dg.endorsements = Some(text(&v)),
                    TAX_EXIT => dg.tax_exit_requirements = Some(text(&v)),
                    FRONT => dg.image_front = Some(v),
                    REAR => dg.image_rear = Some(v),
                    PERSO_TIME => dg.personalization_time = Some(bcd_or_text(&v)),
                    PERSO_DEVICE => dg.personalization_device = Some(text(&v)),
                    _ => {}
                },
            }
        }
        Ok(dg)
    }
}

/// `YYYYMMDDhhmmss` from 14 ASCII digits or 7 bytes of BCD.
fn bcd_or_text(v: &[u8]) -> String {
    if v.len() == 7 && !v.iter().all(u8::is_ascii_digit) {
        return v.iter().map(|b| format!("{b:02X}")).collect();
    }
    text(v)
}

fn check_digits(
    v: &Option<String>,
    len: usize,
    field: &'static str,
    form: &str,
) -> Result<(), LdsError> {
    match v {
        Some(s) if s.len() != len || !s.bytes().all(|b| b.is_ascii_digit()) => {
            Err(LdsError::field(Ef::DG12, field, format!("must be {form}")))
        }
        _ => Ok(()),
    }
}

impl fmt::Debug for Dg12 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dg12")
            .field("issuing_authority", &self.issuing_authority)
            .field("date_of_issue", &self.date_of_issue)
            .field("other_persons", &self.other_persons.len())
            .field("personalization_time", &self.personalization_time)
            .field("personalization_device", &self.personalization_device)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LdsErrorKind;

    /// Supplement to Doc 9303 example (gmrtd dg12_test.go), docs/spec/lds.md §6.
    const SAMPLE: &str = "6C3E5C045F195F265F192A4A414B41525441202D20414D42415353414445204445204652414E434520454E20494E444F4E455349455F26083230313730393035";

    #[test]
    fn parses_and_rebuilds_the_supplement_example() {
        let bytes = hex::decode(SAMPLE).unwrap();
        let dg = Dg12::parse(&bytes).unwrap();
        assert_eq!(
            dg.issuing_authority.as_deref(),
            Some("JAKARTA - AMBASSADE DE FRANCE EN INDONESIE")
        );
        assert_eq!(dg.date_of_issue.as_deref(), Some("20170905"));
        assert_eq!(dg.encode().unwrap(), bytes);
    }

    #[test]
    fn personalization_fields_round_trip() {
        let dg = Dg12 {
            issuing_authority: Some("ДМС 8041".into()),
            date_of_issue: Some("20261120".into()),
            personalization_time: Some("20261122093015".into()),
            personalization_device: Some("PK-STATION-01".into()),
            ..Dg12::default()
        };
        assert_eq!(Dg12::parse(&dg.encode().unwrap()).unwrap(), dg);
        let bad = Dg12 {
            personalization_time: Some("2026-11-22".into()),
            ..Dg12::default()
        };
        assert!(
            bad.encode()
                .unwrap_err()
                .to_string()
                .contains("YYYYMMDDhhmmss")
        );
    }

    #[test]
    fn an_oversize_issuing_authority_is_refused_by_name() {
        // The defect: 10 MB of issuing authority made a 10 MB DG12 and an error naming nothing.
        let dg = Dg12 {
            issuing_authority: Some("A".repeat(10 << 20)),
            date_of_issue: Some("20261120".into()),
            ..Dg12::default()
        };
        let err = dg.encode().unwrap_err();
        assert_eq!(err.file, Ef::DG12);
        assert!(matches!(
            err.kind,
            LdsErrorKind::FieldTooLong {
                field: "issuing authority",
                len: 10_485_760,
                max: tagged::MAX_TEXT_ELEMENT
            }
        ));
        assert_eq!(
            err.to_string(),
            "DG12: issuing authority: 10485760 bytes exceed the 1024-byte limit of one element"
        );
    }
}
