//! EF.COM (ICAO Doc 9303-10 §4.6.1): the LDS and Unicode versions and the list of data groups
//! present.
//!
//! ```text
//! 60 L { 5F01 04 "0107" (LDS version aabb), 5F36 06 "040000" (Unicode aabbcc), 5C L tags }
//! ```
//!
//! EF.COM is deprecated from LDS 1.8 but still expected by LDS 1.7 readers; we write it.

use crate::{Ef, LdsError, error::InFile};
use permitkit_iso7816::tlv::{Reader, Tag, Writer, parse_single};

const TAG_LDS_VERSION: Tag = Tag::new(0x5F01);
const TAG_UNICODE_VERSION: Tag = Tag::new(0x5F36);
const TAG_LIST: Tag = Tag::new(0x5C);

/// The contents of EF.COM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Com {
    /// LDS version `aabb` (`0107` for LDS 1.7).
    pub lds_version: String,
    /// Unicode version `aabbcc` (`040000`).
    pub unicode_version: String,
    /// Tags of the data groups present, in the order written.
    pub tags: Vec<u8>,
}

impl Com {
    /// EF.COM for LDS 1.7 / Unicode 4.0.0 listing `present` (non-DG files are ignored; the
    /// list is written in data-group order).
    pub fn lds_1_7(present: &[Ef]) -> Self {
        let mut dgs: Vec<Ef> = present
            .iter()
            .copied()
            .filter(|e| matches!(e, Ef::Dg(_)))
            .collect();
        dgs.sort();
        dgs.dedup();
        let tags = dgs
            .into_iter()
            .filter_map(|e| e.tag())
            .filter_map(|t| u8::try_from(t.raw()).ok())
            .collect();
        Self {
            lds_version: "0107".into(),
            unicode_version: "040000".into(),
            tags,
        }
    }

    /// The data groups listed. Tags that name no data group are skipped.
    pub fn data_groups(&self) -> Vec<Ef> {
        self.tags
            .iter()
            .filter_map(|&t| Ef::from_dg_tag(t))
            .collect()
    }

    /// Encodes the file.
    pub fn encode(&self) -> Result<Vec<u8>, LdsError> {
        if self.lds_version.len() != 4 || !self.lds_version.bytes().all(|b| b.is_ascii_digit()) {
            return Err(LdsError::field(Ef::Com, "LDS version", "must be 4 digits"));
        }
        if self.unicode_version.len() != 6
            || !self.unicode_version.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(LdsError::field(
                Ef::Com,
                "Unicode version",
                "must be 6 digits",
            ));
        }
        let mut w = Writer::new();
        w.constructed(Tag::new(0x60), |w| {
            w.primitive(TAG_LDS_VERSION, self.lds_version.as_bytes());
            w.primitive(TAG_UNICODE_VERSION, self.unicode_version.as_bytes());
            w.primitive(TAG_LIST, &self.tags);
        });
        w.finish().map_err(|e| LdsError::new(Ef::Com, e))
    }

    /// Parses the file strictly, as a verifier of a ChipImage does: both versions present and
    /// made of digits, nothing but the three elements, and a tag list naming each data group
    /// once and only data groups (9303-10 §4.6.1).
    pub fn parse_strict(data: &[u8]) -> Result<Self, LdsError> {
        let outer = parse_single(data, Tag::new(0x60)).in_file(Ef::Com)?;
        let mut r: Reader<'_> = outer.children().in_file(Ef::Com)?;
        let digits = |field: &'static str, v: &[u8], n: usize| {
            if v.len() == n && v.iter().all(u8::is_ascii_digit) {
                Ok(String::from_utf8_lossy(v).into_owned())
            } else {
                Err(LdsError::field(
                    Ef::Com,
                    field,
                    format!("{:?} is not {n} digits", String::from_utf8_lossy(v)),
                ))
            }
        };
        let lds_version = digits(
            "LDS version",
            r.expect(TAG_LDS_VERSION).in_file(Ef::Com)?.value(),
            4,
        )?;
        let unicode_version = digits(
            "Unicode version",
            r.expect(TAG_UNICODE_VERSION).in_file(Ef::Com)?.value(),
            6,
        )?;
        let tags = r.expect(TAG_LIST).in_file(Ef::Com)?.value().to_vec();
        r.finish().in_file(Ef::Com)?;
        let mut seen = Vec::new();
        for &t in &tags {
            let Some(ef) = Ef::from_dg_tag(t) else {
                return Err(LdsError::field(
                    Ef::Com,
                    "tag list",
                    format!("{t:02X} is not the tag of a data group"),
                ));
            };
            if seen.contains(&ef) {
                return Err(LdsError::field(
                    Ef::Com,
                    "tag list",
                    format!("{ef} is listed twice"),
                ));
            }
            seen.push(ef);
        }
        Ok(Self {
            lds_version,
            unicode_version,
            tags,
        })
    }

    /// Parses the file. The two version elements are optional on read (old chips omit them).
    pub fn parse(data: &[u8]) -> Result<Self, LdsError> {
        let outer = parse_single(data, Tag::new(0x60)).in_file(Ef::Com)?;
        let mut r: Reader<'_> = outer.children().in_file(Ef::Com)?;
        let text = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
        let lds_version = r
            .optional(TAG_LDS_VERSION)
            .in_file(Ef::Com)?
            .map(|t| text(t.value()));
        let unicode_version = r
            .optional(TAG_UNICODE_VERSION)
            .in_file(Ef::Com)?
            .map(|t| text(t.value()));
        let tags = r.expect(TAG_LIST).in_file(Ef::Com)?.value().to_vec();
        Ok(Self {
            lds_version: lds_version.unwrap_or_default(),
            unicode_version: unicode_version.unwrap_or_default(),
            tags,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_9303_10_example() {
        // ICAO 9303-10 EF.COM example, also the plaintext of the 9303-11 D.4 SM example.
        let bytes = hex::decode("60145F0104303130365F36063034303030305C026175").unwrap();
        let com = Com::parse(&bytes).unwrap();
        assert_eq!(com.lds_version, "0106");
        assert_eq!(com.unicode_version, "040000");
        assert_eq!(com.data_groups(), vec![Ef::DG1, Ef::DG2]);
        assert_eq!(com.encode().unwrap(), bytes);
    }

    #[test]
    fn builds_lds_1_7_with_the_data_groups_in_order() {
        // docs/spec/lds.md §3: LDS 1.7 with DG1 DG2 DG3 DG14.
        let com = Com::lds_1_7(&[Ef::DG14, Ef::Sod, Ef::DG1, Ef::DG3, Ef::DG2, Ef::CardAccess]);
        assert_eq!(
            hex::encode_upper(com.encode().unwrap()),
            "60165F0104303130375F36063034303030305C046175636E"
        );
    }

    #[test]
    fn refuses_a_missing_tag_list() {
        let bytes = hex::decode("600E5F0104303130375F3606303430303030").unwrap();
        let err = Com::parse(&bytes).unwrap_err();
        assert_eq!(err.file, Ef::Com);
        assert!(err.to_string().starts_with("EF.COM: "), "{err}");
    }

    #[test]
    fn strict_parsing_names_what_is_wrong() {
        let good = "60165F0104303130375F36063034303030305C046175636E";
        assert_eq!(
            Com::parse_strict(&hex::decode(good).unwrap())
                .unwrap()
                .data_groups(),
            vec![Ef::DG1, Ef::DG2, Ef::DG3, Ef::DG14]
        );
        for (bytes, what) in [
            // A flipped bit turns DG2's tag 75 into 74, no data group.
            (
                "60165F0104303130375F36063034303030305C046174636E",
                "74 is not",
            ),
            // DG1 twice.
            (
                "60165F0104303130375F36063034303030305C046161636E",
                "listed twice",
            ),
            // LDS version "01A7".
            (
                "60165F0104303141375F36063034303030305C046175636E",
                "LDS version",
            ),
            // No versions at all: tolerated on read, refused here.
            ("60045C026175", "EF.COM"),
        ] {
            let bytes = hex::decode(bytes).unwrap();
            let err = Com::parse_strict(&bytes).unwrap_err();
            assert_eq!(err.file, Ef::Com);
            assert!(err.to_string().contains(what), "{err}");
        }
        assert!(Com::parse(&hex::decode("60045C026175").unwrap()).is_ok());
    }
}
