//! The tag-list layout shared by DG11, DG12 and DG13 (ICAO Doc 9303-10 §4.7.11–4.7.12):
//! `outer { 5C <tags present>, element, element, … }`, where a repeated element such as "other
//! names" is a constructed `A0 { 02 01 n, 5F0F …, 5F0F … }`.
//!
//! Text elements are written as UTF-8. On read, bytes that are not UTF-8 are decoded as
//! ISO/IEC 8859-1, the character set of older chips.
//!
//! 9303-10 Tables 42 and 43 give these text elements a variable length without a maximum; the
//! writers refuse one longer than [`MAX_TEXT_ELEMENT`] bytes, naming it, so that no input can
//! make a data group of megabytes. Document profiles set tighter limits per field.

use crate::{Ef, LdsError, LdsErrorKind};
use permitkit_iso7816::tlv::{Tag, Writer, parse_single};

const TAG_LIST: Tag = Tag::new(0x5C);
const TAG_REPEAT: Tag = Tag::new(0xA0);
const TAG_COUNT: Tag = Tag::new(0x02);

/// Largest text element (UTF-8 bytes) DG11 and DG12 write: this toolkit's bound, not the
/// standard's (9303-10 Tables 42–43 say only "variable"). 1024 bytes hold 512 Cyrillic or 1024
/// Latin characters, far more than any name, address or authority a card prints, and keep the
/// worst case of a data group with every text element a few kilobytes.
pub const MAX_TEXT_ELEMENT: usize = 1024;

/// A text element of `file`, refused when longer than [`MAX_TEXT_ELEMENT`] bytes.
pub fn text_element(
    file: Ef,
    field: &'static str,
    tag: Tag,
    value: &str,
) -> Result<Element, LdsError> {
    checked_text(file, field, value).map(|v| Element::Single(tag, v))
}

/// `value` as bytes, refused (naming `field`) when longer than [`MAX_TEXT_ELEMENT`].
pub fn checked_text(file: Ef, field: &'static str, value: &str) -> Result<Vec<u8>, LdsError> {
    if value.len() > MAX_TEXT_ELEMENT {
        return Err(LdsError::new(
            file,
            LdsErrorKind::FieldTooLong {
                field,
                len: value.len(),
                max: MAX_TEXT_ELEMENT,
            },
        ));
    }
    Ok(value.as_bytes().to_vec())
}

/// One element of a tag-list data group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Element {
    /// A single element: its tag and value.
    Single(Tag, Vec<u8>),
    /// A repeated element (`A0 { 02 01 n, tag …}`): the inner tag and the values.
    Repeated(Tag, Vec<Vec<u8>>),
}

/// Encodes `outer { 5C list, elements… }`; the list names each element's tag (`A0` for the
/// repeated ones, as 9303-10 lists it).
pub fn encode(file: Ef, outer: Tag, elements: &[Element]) -> Result<Vec<u8>, LdsError> {
    let mut list = Vec::new();
    for e in elements {
        match e {
            Element::Single(tag, _) => tag.encode_into(&mut list),
            Element::Repeated(..) => TAG_REPEAT.encode_into(&mut list),
        }
    }
    let mut w = Writer::new();
    let mut count_error = None;
    w.constructed(outer, |w| {
        w.primitive(TAG_LIST, &list);
        for e in elements {
            match e {
                Element::Single(tag, value) => {
                    w.primitive(*tag, value);
                }
                Element::Repeated(tag, values) => {
                    let Ok(n) = u8::try_from(values.len()) else {
                        count_error = Some(values.len());
                        continue;
                    };
                    w.constructed(TAG_REPEAT, |w| {
                        w.primitive(TAG_COUNT, &[n]);
                        for v in values {
                            w.primitive(*tag, v);
                        }
                    });
                }
            }
        }
    });
    if let Some(n) = count_error {
        return Err(LdsError::field(
            file,
            "repeated element",
            format!("{n} values (at most 255)"),
        ));
    }
    w.finish().map_err(|e| LdsError::new(file, e))
}

/// Parses `outer { 5C list, elements… }` into its elements in file order. The tag list is read
/// but not enforced: elements present without being listed are still returned.
pub fn parse(file: Ef, outer: Tag, data: &[u8]) -> Result<Vec<Element>, LdsError> {
    let e = |k| LdsError::new(file, k);
    let top = parse_single(data, outer).map_err(e)?;
    let mut r = top.children().map_err(e)?;
    r.optional(TAG_LIST).map_err(e)?;
    let mut out = Vec::new();
    while !r.is_empty() {
        let t = r.read().map_err(e)?;
        if t.tag() == TAG_REPEAT {
            let mut inner = t.children().map_err(e)?;
            inner.optional(TAG_COUNT).map_err(e)?;
            let mut values = Vec::new();
            let mut inner_tag = None;
            while !inner.is_empty() {
                let v = inner.read().map_err(e)?;
                inner_tag.get_or_insert(v.tag());
                values.push(v.value().to_vec());
            }
            if let Some(tag) = inner_tag {
                out.push(Element::Repeated(tag, values));
            }
        } else {
            out.push(Element::Single(t.tag(), t.value().to_vec()));
        }
    }
    Ok(out)
}

/// Decodes a text element: UTF-8, or ISO/IEC 8859-1 when the bytes are not UTF-8.
pub fn text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_latin1_when_not_utf8() {
        assert_eq!(text(b"M\xDCLLER"), "MÜLLER");
        assert_eq!(text("Ткаченко".as_bytes()), "Ткаченко");
    }

    #[test]
    fn repeated_elements_round_trip() {
        let elements = vec![
            Element::Single(Tag::new(0x5F0E), b"A<<B".to_vec()),
            Element::Repeated(Tag::new(0x5F0F), vec![b"C<<D".to_vec(), b"E<<F".to_vec()]),
        ];
        let bytes = encode(Ef::DG11, Tag::new(0x6B), &elements).unwrap();
        assert_eq!(&bytes[2..7], &[0x5C, 0x03, 0x5F, 0x0E, 0xA0]);
        assert_eq!(parse(Ef::DG11, Tag::new(0x6B), &bytes).unwrap(), elements);
    }
}
