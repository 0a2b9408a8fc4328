//! DG7, the displayed signature or usual mark (ICAO Doc 9303-10 §4.7.7):
//! `67 L { 02 01 n, 5F43 L <image> … }`, JPEG or JPEG 2000 images.

use std::fmt;

use crate::{Ef, LdsError, error::InFile};
use permitkit_iso7816::tlv::{Tag, Writer, parse_single};

const TAG_IMAGE: Tag = Tag::new(0x5F43);

/// The contents of DG7.
#[derive(Clone, PartialEq, Eq)]
pub struct Dg7 {
    /// The signature images (normally one).
    pub images: Vec<Vec<u8>>,
}

impl Dg7 {
    /// Encodes the file.
    pub fn encode(&self) -> Result<Vec<u8>, LdsError> {
        let n = u8::try_from(self.images.len())
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| LdsError::field(Ef::DG7, "images", "between 1 and 255 required"))?;
        let mut w = Writer::new();
        w.constructed(Tag::new(0x67), |w| {
            w.primitive(Tag::new(0x02), &[n]);
            for img in &self.images {
                w.primitive(TAG_IMAGE, img);
            }
        });
        w.finish().map_err(|e| LdsError::new(Ef::DG7, e))
    }

    /// Parses the file; the count is not enforced, every image present is returned.
    pub fn parse(data: &[u8]) -> Result<Self, LdsError> {
        let outer = parse_single(data, Tag::new(0x67)).in_file(Ef::DG7)?;
        let mut r = outer.children().in_file(Ef::DG7)?;
        r.optional(Tag::new(0x02)).in_file(Ef::DG7)?;
        let mut images = Vec::new();
        while !r.is_empty() {
            let t = r.read().in_file(Ef::DG7)?;
            if t.tag() == TAG_IMAGE {
                images.push(t.value().to_vec());
            }
        }
        if images.is_empty() {
            return Err(LdsError::field(Ef::DG7, "images", "no 5F43 image present"));
        }
        Ok(Self { images })
    }
}

impl fmt::Debug for Dg7 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sizes: Vec<usize> = self.images.iter().map(Vec::len).collect();
        write!(f, "Dg7 {{ image_sizes: {sizes:?} }}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_and_round_trip() {
        let dg7 = Dg7 {
            images: vec![vec![0xFF, 0xD8, 0xFF, 0xD9]],
        };
        let bytes = dg7.encode().unwrap();
        assert_eq!(hex::encode_upper(&bytes), "670A0201015F4304FFD8FFD9");
        assert_eq!(Dg7::parse(&bytes).unwrap(), dg7);
        assert!(Dg7::parse(&hex::decode("6703020100").unwrap()).is_err());
        assert!(Dg7 { images: vec![] }.encode().is_err());
    }
}
