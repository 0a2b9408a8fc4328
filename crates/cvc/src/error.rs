//! Decoding errors: what is wrong and at which byte (BSI TR-03110-3 Appendix C, D.3).

use permitkit_iso7816::tlv::{Tag, TlvError};

/// A CV certificate (or one of its fields) that does not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The BER-TLV structure is wrong (truncated, a tag out of order, bytes left over).
    #[error("CV certificate: {0}")]
    Tlv(#[from] TlvError),
    /// A data object is well formed but its value is not what TR-03110-3 allows.
    #[error("CV certificate: {field} (data object {tag} at byte {offset}): {reason}")]
    Field {
        /// The field (`certificate holder reference`, `effective date`, …).
        field: &'static str,
        /// Its tag.
        tag: Tag,
        /// Absolute offset of the data object.
        offset: usize,
        /// What is wrong.
        reason: FieldError,
    },
}

/// What is wrong with a field's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FieldError {
    /// A length field longer than needed: CV certificates are DER-like (TR-03110-3 C.1).
    #[error("length not in its shortest form")]
    NonMinimalLength,
    /// A certificate profile identifier other than 0 (version 1).
    #[error("certificate profile identifier {0:02X}; only 00 (version 1) exists")]
    ProfileIdentifier(u8),
    /// A value of a length the field does not allow.
    #[error("{len} bytes; {allowed}")]
    Length {
        /// Bytes found.
        len: usize,
        /// What is allowed.
        allowed: &'static str,
    },
    /// A character a certificate reference may not contain.
    #[error("byte {0:02X} is not allowed in a certificate reference (ISO/IEC 8859-1 printable)")]
    ReferenceCharacter(u8),
    /// A country code that is not two letters A–Z.
    #[error("country code {0:?} is not two letters A-Z (ISO 3166-1 alpha-2)")]
    CountryCode(String),
    /// A date byte that is not one unpacked BCD digit.
    #[error("byte {0:02X} is not an unpacked BCD digit (00-09)")]
    DateDigit(u8),
    /// A date that does not exist.
    #[error("20{year:02}-{month:02}-{day:02} is not a date")]
    NoSuchDate {
        /// Two-digit year.
        year: u8,
        /// Month.
        month: u8,
        /// Day.
        day: u8,
    },
    /// The expiration date lies before the effective date.
    #[error("expires {expiration} before it becomes effective {effective}")]
    ExpiresBeforeEffective {
        /// Effective date.
        effective: crate::CvDate,
        /// Expiration date.
        expiration: crate::CvDate,
    },
    /// An OBJECT IDENTIFIER whose encoding is not valid.
    #[error("malformed OBJECT IDENTIFIER")]
    MalformedOid,
    /// A public key algorithm that is not one of the `id-TA-*` algorithms.
    #[error("{0} is not an id-TA algorithm (TR-03110-3 A.6.4)")]
    UnknownAlgorithm(crate::Oid),
    /// Elliptic-curve domain parameters given in part (TR-03110-3 D.3.3: all of 81–85 or none).
    #[error("domain parameters 81-85 must be given all together or not at all")]
    PartialDomainParameters,
    /// A data object the public key of this algorithm does not have.
    #[error("data object {0} does not belong in a public key of this algorithm")]
    UnexpectedKeyObject(Tag),
    /// A mandatory data object of the public key is missing.
    #[error("data object {0} missing")]
    MissingKeyObject(Tag),
    /// An elliptic-curve point that is not an uncompressed point (`04 ‖ x ‖ y`).
    #[error("not an uncompressed point (04 || x || y)")]
    NotUncompressedPoint,
    /// An empty value where a number or point is required.
    #[error("empty value")]
    Empty,
    /// An extension that is not a discretionary data template `73 { 06 OID, … }`.
    #[error("not a discretionary data template 73 {{ 06 OID, ... }}")]
    Extension,
}

impl DecodeError {
    /// A field error at `tlv`.
    pub(crate) fn field(
        field: &'static str,
        tlv: &permitkit_iso7816::tlv::Tlv<'_>,
        reason: FieldError,
    ) -> Self {
        DecodeError::Field {
            field,
            tag: tlv.tag(),
            offset: tlv.offset(),
            reason,
        }
    }
}
