//! BER-TLV as smart cards and the ICAO LDS use it.
//!
//! ISO/IEC 7816-4:2020 §5.2 (interindustry BER-TLV data objects) and ICAO Doc 9303-10 §4.3:
//! tags of one to three bytes (a first byte whose low five bits are `1F` continues while bit 8 of
//! the next byte is set), definite lengths in one to five bytes (`00`–`7F`, `81 xx` … `84 xxxxxxxx`).
//!
//! We write strictly and read tolerantly: [`Writer`] always emits the shortest length form, while
//! [`Reader`] accepts the longer forms that some chips store (`81 05`, `82 0005`). Indefinite
//! lengths (`80`) are refused: ISO/IEC 7816-4 does not allow them. Every error carries the
//! absolute byte offset at which it was found, and nesting is limited to [`MAX_DEPTH`] levels so
//! that hostile input cannot exhaust the stack or the heap.

use std::fmt;

/// Deepest nesting [`Tlv::children`] will descend to.
pub const MAX_DEPTH: usize = 16;

/// A BER-TLV tag of one to three bytes, stored big-endian in the low bytes of a `u32`
/// (`0x7F61` is the two-byte tag `7F 61`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(u32);

impl Tag {
    /// A tag from its encoded bytes read as a big-endian number (`Tag::new(0x5F1F)`).
    ///
    /// Meant for constants taken from the standards; [`Reader`] validates tags it reads.
    pub const fn new(raw: u32) -> Self {
        Self(raw)
    }

    /// The encoded bytes as a big-endian number.
    pub const fn raw(self) -> u32 {
        self.0
    }

    /// Number of bytes in the encoded tag.
    pub const fn encoded_len(self) -> usize {
        if self.0 > 0xFFFF {
            3
        } else if self.0 > 0xFF {
            2
        } else {
            1
        }
    }

    /// The first encoded byte, which carries the class and the constructed bit.
    pub const fn first_byte(self) -> u8 {
        let [_, b1, b2, b3] = self.0.to_be_bytes();
        match self.encoded_len() {
            1 => b3,
            2 => b2,
            _ => b1,
        }
    }

    /// True when bit 6 of the first byte is set (the value is a sequence of TLVs).
    pub const fn is_constructed(self) -> bool {
        self.first_byte() & 0x20 != 0
    }

    /// Appends the encoded tag to `out`.
    pub fn encode_into(self, out: &mut Vec<u8>) {
        let bytes = self.0.to_be_bytes();
        let skip = 4 - self.encoded_len();
        out.extend_from_slice(bytes.get(skip..).unwrap_or_default());
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.encoded_len() {
            1 => write!(f, "{:02X}", self.0),
            2 => write!(f, "{:04X}", self.0),
            _ => write!(f, "{:06X}", self.0),
        }
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tag({self})")
    }
}

/// What is wrong with a BER-TLV encoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlvErrorKind {
    /// The data ends inside a tag.
    #[error("data ends inside a tag")]
    TruncatedTag,
    /// The data ends inside a length field.
    #[error("data ends inside a length field")]
    TruncatedLength,
    /// The declared value runs past the end of the data.
    #[error("value of {declared} bytes runs past the end of the data ({available} bytes left)")]
    TruncatedValue {
        /// Length declared by the length field.
        declared: usize,
        /// Bytes actually left.
        available: usize,
    },
    /// A tag of more than three bytes.
    #[error("tag longer than 3 bytes")]
    TagTooLong,
    /// `00` or `FF` where a tag must start (ISO/IEC 7816-4 reserves them as padding).
    #[error("byte {0:02X} cannot start a tag")]
    InvalidTag(u8),
    /// The indefinite length form `80`.
    #[error("indefinite length (80) is not allowed in ISO/IEC 7816-4 BER-TLV")]
    IndefiniteLength,
    /// A length field of more than four subsequent bytes.
    #[error("length field with {0} subsequent bytes (at most 4 are allowed)")]
    LengthFieldTooLong(usize),
    /// Nesting deeper than [`MAX_DEPTH`].
    #[error("nesting deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// A different tag than the one the structure requires.
    #[error("expected tag {expected}, found {found}")]
    UnexpectedTag {
        /// The tag the structure requires here.
        expected: Tag,
        /// The tag found.
        found: Tag,
    },
    /// The data ended where the structure requires another element.
    #[error("expected tag {0}, found the end of the data")]
    Missing(Tag),
    /// Bytes left over after the last element of a structure.
    #[error("{0} unexpected byte(s) after the last element")]
    TrailingData(usize),
    /// A value too long for a four-byte length field.
    #[error("value of {0} bytes is too long to encode")]
    ValueTooLong(usize),
}

/// A BER-TLV error and the absolute offset (from the start of the outermost buffer) where it was
/// found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("BER-TLV error at byte {offset}: {kind}")]
pub struct TlvError {
    /// Byte offset of the offending element, counted from the start of the outermost buffer.
    pub offset: usize,
    /// What is wrong.
    pub kind: TlvErrorKind,
}

impl TlvError {
    fn new(offset: usize, kind: TlvErrorKind) -> Self {
        Self { offset, kind }
    }
}

/// One data object: a tag and its value, borrowed from the buffer being read.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    tag: Tag,
    raw: &'a [u8],
    header_len: usize,
    offset: usize,
    depth: usize,
}

impl<'a> Tlv<'a> {
    /// The tag.
    pub fn tag(&self) -> Tag {
        self.tag
    }

    /// The value bytes.
    pub fn value(&self) -> &'a [u8] {
        self.raw.get(self.header_len..).unwrap_or_default()
    }

    /// The whole encoding: tag, length and value, exactly as read.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Absolute offset of the first tag byte.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Absolute offset of the first value byte.
    pub fn value_offset(&self) -> usize {
        self.offset + self.header_len
    }

    /// A reader over the value, for constructed objects. Fails when nesting would exceed
    /// [`MAX_DEPTH`].
    pub fn children(&self) -> Result<Reader<'a>, TlvError> {
        let depth = self.depth + 1;
        if depth > MAX_DEPTH {
            return Err(TlvError::new(self.offset, TlvErrorKind::TooDeep));
        }
        Ok(Reader {
            data: self.value(),
            pos: 0,
            base: self.value_offset(),
            depth,
        })
    }
}

impl fmt::Debug for Tlv<'_> {
    /// Prints tag, length and offset, never the value (it may be a secret or a biometric).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Tlv {{ tag: {}, len: {}, offset: {} }}",
            self.tag,
            self.value().len(),
            self.offset
        )
    }
}

/// A bounds-checked cursor over a sequence of data objects.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
    depth: usize,
}

impl<'a> Reader<'a> {
    /// A reader over `data`; offsets in errors count from its first byte.
    pub fn new(data: &'a [u8]) -> Self {
        Self::with_base(data, 0)
    }

    /// A reader over `data`, which starts at byte `base` of some outer buffer; error offsets
    /// are reported relative to that outer buffer.
    pub fn with_base(data: &'a [u8], base: usize) -> Self {
        Self {
            data,
            pos: 0,
            base,
            depth: 0,
        }
    }

    /// True when every byte has been consumed.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// Absolute offset of the next byte to read.
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// The bytes not yet consumed.
    pub fn remaining(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or_default()
    }

    /// Reads the next data object.
    pub fn read(&mut self) -> Result<Tlv<'a>, TlvError> {
        let start = self.pos;
        let offset = self.offset();
        let rest = self.remaining();
        let (tag, tag_len) = parse_tag(rest).map_err(|kind| TlvError::new(offset, kind))?;
        let after_tag = rest.get(tag_len..).unwrap_or_default();
        let (len, len_len) =
            parse_length(after_tag).map_err(|kind| TlvError::new(offset + tag_len, kind))?;
        let header_len = tag_len + len_len;
        let available = rest.len() - header_len;
        if len > available {
            return Err(TlvError::new(
                offset,
                TlvErrorKind::TruncatedValue {
                    declared: len,
                    available,
                },
            ));
        }
        let total = header_len + len;
        let raw = self.data.get(start..start + total).unwrap_or_default();
        self.pos = start + total;
        Ok(Tlv {
            tag,
            raw,
            header_len,
            offset,
            depth: self.depth,
        })
    }

    /// The tag of the next data object without consuming it; `None` at the end.
    pub fn peek_tag(&self) -> Result<Option<Tag>, TlvError> {
        if self.is_empty() {
            return Ok(None);
        }
        parse_tag(self.remaining())
            .map(|(tag, _)| Some(tag))
            .map_err(|kind| TlvError::new(self.offset(), kind))
    }

    /// Reads the next data object, which must carry `tag`.
    pub fn expect(&mut self, tag: Tag) -> Result<Tlv<'a>, TlvError> {
        match self.peek_tag()? {
            None => Err(TlvError::new(self.offset(), TlvErrorKind::Missing(tag))),
            Some(found) if found != tag => Err(TlvError::new(
                self.offset(),
                TlvErrorKind::UnexpectedTag {
                    expected: tag,
                    found,
                },
            )),
            Some(_) => self.read(),
        }
    }

    /// Reads the next data object if it carries `tag`.
    pub fn optional(&mut self, tag: Tag) -> Result<Option<Tlv<'a>>, TlvError> {
        if self.peek_tag()? == Some(tag) {
            self.read().map(Some)
        } else {
            Ok(None)
        }
    }

    /// Reads every remaining data object.
    pub fn read_all(&mut self) -> Result<Vec<Tlv<'a>>, TlvError> {
        let mut out = Vec::new();
        while !self.is_empty() {
            out.push(self.read()?);
        }
        Ok(out)
    }

    /// Succeeds only when every byte has been consumed.
    pub fn finish(&self) -> Result<(), TlvError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(TlvError::new(
                self.offset(),
                TlvErrorKind::TrailingData(self.remaining().len()),
            ))
        }
    }
}

/// Reads the single data object that makes up `data` (an elementary file's content, say) and
/// requires it to carry `tag`. Bytes after it are refused; use [`Reader`] to be more lenient.
pub fn parse_single(data: &[u8], tag: Tag) -> Result<Tlv<'_>, TlvError> {
    let mut reader = Reader::new(data);
    let tlv = reader.expect(tag)?;
    reader.finish()?;
    Ok(tlv)
}

/// Total length (tag + length + value) of the data object at the start of `data`, from its
/// header alone. Used to learn an elementary file's size from its first bytes.
pub fn encoded_len_from_header(data: &[u8]) -> Result<usize, TlvError> {
    let (_, tag_len) = parse_tag(data).map_err(|kind| TlvError::new(0, kind))?;
    let (len, len_len) = parse_length(data.get(tag_len..).unwrap_or_default())
        .map_err(|kind| TlvError::new(tag_len, kind))?;
    Ok(tag_len + len_len + len)
}

fn parse_tag(data: &[u8]) -> Result<(Tag, usize), TlvErrorKind> {
    let Some(&first) = data.first() else {
        return Err(TlvErrorKind::TruncatedTag);
    };
    if first == 0x00 || first == 0xFF {
        return Err(TlvErrorKind::InvalidTag(first));
    }
    let mut raw = u32::from(first);
    if first & 0x1F != 0x1F {
        return Ok((Tag(raw), 1));
    }
    for i in 1..3 {
        let Some(&b) = data.get(i) else {
            return Err(TlvErrorKind::TruncatedTag);
        };
        raw = (raw << 8) | u32::from(b);
        if b & 0x80 == 0 {
            return Ok((Tag(raw), i + 1));
        }
    }
    Err(TlvErrorKind::TagTooLong)
}

fn parse_length(data: &[u8]) -> Result<(usize, usize), TlvErrorKind> {
    let Some(&first) = data.first() else {
        return Err(TlvErrorKind::TruncatedLength);
    };
    if first < 0x80 {
        return Ok((usize::from(first), 1));
    }
    if first == 0x80 {
        return Err(TlvErrorKind::IndefiniteLength);
    }
    let n = usize::from(first & 0x7F);
    if n > 4 {
        return Err(TlvErrorKind::LengthFieldTooLong(n));
    }
    let bytes = data.get(1..=n).ok_or(TlvErrorKind::TruncatedLength)?;
    let len = bytes
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    Ok((len, n + 1))
}

/// Appends the shortest definite-length encoding of `len` (ISO/IEC 7816-4 §5.2.2.2).
pub fn encode_length(len: usize, out: &mut Vec<u8>) -> Result<(), TlvError> {
    let Ok(len32) = u32::try_from(len) else {
        return Err(TlvError::new(out.len(), TlvErrorKind::ValueTooLong(len)));
    };
    let bytes = len32.to_be_bytes();
    match len32 {
        0..=0x7F => out.extend_from_slice(bytes.get(3..).unwrap_or_default()),
        0x80..=0xFF => {
            out.push(0x81);
            out.extend_from_slice(bytes.get(3..).unwrap_or_default());
        }
        0x100..=0xFFFF => {
            out.push(0x82);
            out.extend_from_slice(bytes.get(2..).unwrap_or_default());
        }
        0x1_0000..=0xFF_FFFF => {
            out.push(0x83);
            out.extend_from_slice(bytes.get(1..).unwrap_or_default());
        }
        _ => {
            out.push(0x84);
            out.extend_from_slice(&bytes);
        }
    }
    Ok(())
}

/// Encodes one primitive data object.
pub fn encode(tag: Tag, value: &[u8]) -> Result<Vec<u8>, TlvError> {
    let mut w = Writer::new();
    w.primitive(tag, value);
    w.finish()
}

/// Builds BER-TLV with shortest-form lengths.
///
/// Writing cannot fail except for a value longer than 4 GiB; that error is kept and reported by
/// [`Writer::finish`] so that building code reads as a plain sequence of calls.
#[derive(Debug, Default)]
pub struct Writer {
    buf: Vec<u8>,
    error: Option<TlvError>,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a primitive data object.
    pub fn primitive(&mut self, tag: Tag, value: &[u8]) -> &mut Self {
        tag.encode_into(&mut self.buf);
        if let Err(e) = encode_length(value.len(), &mut self.buf) {
            self.error.get_or_insert(e);
        }
        self.buf.extend_from_slice(value);
        self
    }

    /// Appends a constructed data object whose children `build` writes.
    pub fn constructed(&mut self, tag: Tag, build: impl FnOnce(&mut Writer)) -> &mut Self {
        let mut inner = Writer::new();
        build(&mut inner);
        if let Some(e) = inner.error.take() {
            self.error.get_or_insert(e);
        }
        self.primitive(tag, &inner.buf)
    }

    /// Appends bytes that are already a BER-TLV encoding.
    pub fn raw(&mut self, encoded: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(encoded);
        self
    }

    /// The encoding, or the first error met while writing.
    pub fn finish(self) -> Result<Vec<u8>, TlvError> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.buf),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_ef_com_from_9303_10() {
        // ICAO 9303-10 EF.COM example (docs/spec/lds.md §3).
        let com = hex::decode("60145F0104303130365F36063034303030305C026175").unwrap();
        let outer = parse_single(&com, Tag::new(0x60)).unwrap();
        let mut r = outer.children().unwrap();
        assert_eq!(r.expect(Tag::new(0x5F01)).unwrap().value(), b"0106");
        assert_eq!(r.expect(Tag::new(0x5F36)).unwrap().value(), b"040000");
        let list = r.expect(Tag::new(0x5C)).unwrap();
        assert_eq!(list.value(), [0x61, 0x75]);
        assert_eq!(list.offset(), 18);
        r.finish().unwrap();
    }

    #[test]
    fn multi_byte_tags_and_long_lengths() {
        let mut w = Writer::new();
        w.constructed(Tag::new(0x7F61), |w| {
            w.primitive(Tag::new(0x02), &[1]);
            w.primitive(Tag::new(0x5F2E), &[0xAB; 300]);
        });
        let bytes = w.finish().unwrap();
        assert_eq!(&bytes[..4], &[0x7F, 0x61, 0x82, 0x01]);
        let t = parse_single(&bytes, Tag::new(0x7F61)).unwrap();
        assert!(t.tag().is_constructed());
        let mut c = t.children().unwrap();
        c.expect(Tag::new(0x02)).unwrap();
        let bdb = c.expect(Tag::new(0x5F2E)).unwrap();
        assert_eq!(bdb.value().len(), 300);
        assert_eq!(bdb.raw()[..4], [0x5F, 0x2E, 0x82, 0x01]);
    }

    #[test]
    fn accepts_non_minimal_lengths_on_read() {
        let t = parse_single(
            &[0x5F, 0x1F, 0x82, 0x00, 0x02, b'A', b'B'],
            Tag::new(0x5F1F),
        )
        .unwrap();
        assert_eq!(t.value(), b"AB");
    }

    #[test]
    fn three_byte_tag() {
        let data = [0x5F, 0x81, 0x01, 0x01, 0x07];
        let t = parse_single(&data, Tag::new(0x5F8101)).unwrap();
        assert_eq!(t.value(), [7]);
        assert_eq!(t.tag().to_string(), "5F8101");
        assert_eq!(
            Reader::new(&[0x5F, 0x81, 0x81, 0x81, 0x00])
                .read()
                .unwrap_err()
                .kind,
            TlvErrorKind::TagTooLong
        );
    }

    #[test]
    fn errors_name_their_offset() {
        let err = parse_single(&[0x61, 0x05, 0x5F, 0x1F], Tag::new(0x61)).unwrap_err();
        assert_eq!(err.offset, 0);
        assert_eq!(
            err.kind,
            TlvErrorKind::TruncatedValue {
                declared: 5,
                available: 2
            }
        );
        let outer = [0x61, 0x04, 0x5F, 0x1F, 0x05, 0x41];
        let t = parse_single(&outer, Tag::new(0x61)).unwrap();
        let err = t.children().unwrap().read().unwrap_err();
        assert_eq!(err.offset, 2);
        let err = parse_single(&[0x61, 0x80, 0x00, 0x00], Tag::new(0x61)).unwrap_err();
        assert_eq!((err.offset, err.kind), (1, TlvErrorKind::IndefiniteLength));
        let err = parse_single(&[0x61, 0x85, 0, 0, 0, 0, 1], Tag::new(0x61)).unwrap_err();
        assert_eq!(err.kind, TlvErrorKind::LengthFieldTooLong(5));
        let err = parse_single(&[0x61, 0x00, 0x00], Tag::new(0x61)).unwrap_err();
        assert_eq!((err.offset, err.kind), (2, TlvErrorKind::TrailingData(1)));
        let err = parse_single(&[0x62, 0x00], Tag::new(0x61)).unwrap_err();
        assert!(err.to_string().contains("expected tag 61, found 62"));
    }

    #[test]
    fn depth_is_limited() {
        // 20 nested constructed objects, each 7F61-free single-byte tag 61.
        let mut data = vec![0x02, 0x00];
        for _ in 0..20 {
            let mut outer = vec![0x61, u8::try_from(data.len()).unwrap()];
            outer.extend_from_slice(&data);
            data = outer;
        }
        let mut t = parse_single(&data, Tag::new(0x61)).unwrap();
        let mut err = None;
        for _ in 0..20 {
            match t.children() {
                Ok(mut r) => t = r.read().unwrap(),
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
        }
        assert_eq!(err.unwrap().kind, TlvErrorKind::TooDeep);
    }

    #[test]
    fn encoded_len_from_header_reads_only_the_header() {
        assert_eq!(
            encoded_len_from_header(&[0x75, 0x82, 0x43, 0x19]).unwrap(),
            0x4319 + 4
        );
        assert_eq!(encoded_len_from_header(&[0x60, 0x14]).unwrap(), 0x16);
        assert!(encoded_len_from_header(&[0x75, 0x82, 0x43]).is_err());
    }

    fn arb_tag() -> impl Strategy<Value = Tag> {
        prop_oneof![
            (0x01u32..=0xFE)
                .prop_filter("not multi-byte", |t| t & 0x1F != 0x1F)
                .prop_map(Tag::new),
            (0u32..=0x7F).prop_map(|b| Tag::new(0x5F00 | b)),
            (0u32..=0x7F).prop_map(|b| Tag::new(0x7F00 | b)),
            (0u32..=0x7F).prop_map(|b| Tag::new(0x5F8100 | b)),
        ]
    }

    proptest! {
        #[test]
        fn round_trip_of_random_objects(items in proptest::collection::vec(
            (arb_tag(), proptest::collection::vec(any::<u8>(), 0..600)), 0..8)) {
            let mut w = Writer::new();
            for (tag, value) in &items {
                w.primitive(*tag, value);
            }
            let bytes = w.finish().unwrap();
            let mut r = Reader::new(&bytes);
            for (tag, value) in &items {
                let t = r.read().unwrap();
                prop_assert_eq!(t.tag(), *tag);
                prop_assert_eq!(t.value(), value.as_slice());
            }
            prop_assert!(r.finish().is_ok());
        }

        #[test]
        fn lengths_round_trip(len in 0usize..0x0200_0000) {
            let mut out = Vec::new();
            encode_length(len, &mut out).unwrap();
            let (parsed, used) = parse_length(&out).unwrap();
            prop_assert_eq!(parsed, len);
            prop_assert_eq!(used, out.len());
        }

        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut r = Reader::new(&data);
            while let Ok(t) = r.read() {
                if let Ok(mut c) = t.children() { let _ = c.read_all(); }
            }
        }
    }
}
