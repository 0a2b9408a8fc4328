//! A ChipImage as one file: every elementary file and the chip keys in one DER value, what
//! `permitkit lds seal` encrypts to a personalization desk (a CMS EnvelopedData, `permitkit_pki
//! ::envelope`) so that the image never lies on a disk in clear.
//!
//! ```asn1
//! ChipImagePackage ::= SEQUENCE {
//!   content   PackageContent,
//!   sha256    OCTET STRING (SIZE (32)) }     -- SHA-256 of the DER of content
//! PackageContent ::= SEQUENCE {
//!   format    UTF8String,                    -- "permitkit-chip-image-package"
//!   version   INTEGER,                       -- 1
//!   files     SEQUENCE SIZE (1..20) OF ElementaryFile,   -- in personalization order
//!   chipKeys  ChipKeys }
//! ElementaryFile ::= SEQUENCE {
//!   name      UTF8String,                    -- the ICAO name: "CardAccess", "COM", "DG1" … "DG16", "SOD"
//!   content   OCTET STRING }                 -- the file as written to the chip (full TLV)
//! ChipKeys ::= SEQUENCE {
//!   can           [0] IMPLICIT UTF8String OPTIONAL,    -- the card access number
//!   aaPrivateKey  [1] IMPLICIT OCTET STRING OPTIONAL,  -- Active Authentication key, PKCS#8
//!   caPrivateKey  [2] IMPLICIT OCTET STRING OPTIONAL,  -- Chip Authentication key, PKCS#8
//!   trustPoint    [3] IMPLICIT OCTET STRING OPTIONAL } -- EAC trust point: the CVCA certificate
//! ```
//!
//! The SHA-256 covers what EF.SOD does not — EF.COM, EF.CardAccess and the chip keys — against
//! damage and, inside an envelope, against an altered ciphertext (a changed AES-CBC block
//! decrypts to bytes no one can predict, so the digest no longer matches). It is not a
//! signature: where the data groups come from is EF.SOD's signature (passive authentication).
//!
//! Reading is bounded before anything is allocated (the whole package; each file's size; the
//! number of files, through names that must be known and never repeat), checks the digest, and ends with
//! [`ChipImage::checked`]: every data group's hash against EF.SOD, DG1 parsed, EF.COM and
//! EF.CardAccess parsed — a package opens only into a consistent ChipImage. Writing makes one
//! allocation of the exact size, zeroized when dropped: the package holds biometrics and
//! private keys.

use std::collections::BTreeMap;

use der::{
    Decode, Reader, SliceReader, TagNumber,
    asn1::{ContextSpecific, OctetStringRef, Utf8StringRef},
};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{ChipImage, ChipImageError, ChipKeys, MAX_FILE_SIZE};
use crate::Ef;
use permitkit_model::secret::{SecretBytes, SecretString};

/// The `format` string of a package.
pub const PACKAGE_FORMAT: &str = "permitkit-chip-image-package";
/// The `version` this code writes and reads.
pub const PACKAGE_VERSION: u32 = 1;
/// The most files a package holds: EF.CardAccess, EF.CardSecurity, EF.COM, EF.SOD, DG1–DG16
/// (each name at most once, so no more are ever read).
pub const MAX_FILES: usize = 20;
/// The largest package read: every file at its largest, and the keys.
pub const MAX_PACKAGE_SIZE: u64 = MAX_FILES as u64 * MAX_FILE_SIZE + (64 << 10);

/// Why bytes are not a ChipImage package.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackageError {
    /// Larger than [`MAX_PACKAGE_SIZE`].
    #[error("{0} bytes is larger than any ChipImage package ({MAX_PACKAGE_SIZE} max)")]
    TooLarge(usize),
    /// Not the DER structure of a package.
    #[error("not a ChipImage package")]
    Der(#[from] der::Error),
    /// Another format string.
    #[error("format {0:?}, not {PACKAGE_FORMAT:?}")]
    Format(String),
    /// A version this code does not read.
    #[error("package version {0}; this permitkit reads version {PACKAGE_VERSION}")]
    Version(u32),
    /// A name that is no elementary file's.
    #[error("{0:?} is not the name of an elementary file")]
    UnknownFile(String),
    /// A file given twice.
    #[error("{0} appears twice")]
    Duplicate(Ef),
    /// The SHA-256 does not match the content.
    #[error("its SHA-256 does not match its content: the package was altered or damaged")]
    Digest,
    /// A trust point larger than [`super::MAX_TRUST_POINT_LEN`].
    #[error("trust point of {0} bytes is larger than any CVCA certificate")]
    TrustPointTooLarge(usize),
    /// A file larger than [`MAX_FILE_SIZE`].
    #[error("{ef}: {size} bytes is larger than any elementary file ({MAX_FILE_SIZE} max)")]
    FileTooLarge {
        /// The file.
        ef: Ef,
        /// Its size.
        size: usize,
    },
}

impl ChipImage {
    /// The image as a package (the format above), in a buffer zeroized when dropped.
    pub fn to_package(&self) -> Zeroizing<Vec<u8>> {
        let files: Vec<(String, &[u8], usize)> = self
            .files()
            .map(|(ef, content)| {
                let name = ef.name();
                let inner = tlv_len(name.len()) + tlv_len(content.len());
                (name, content, inner)
            })
            .collect();
        let files_len: usize = files.iter().map(|(_, _, inner)| tlv_len(*inner)).sum();
        let keys = [
            (0x80, self.keys.can.as_ref().map(|c| c.expose().as_bytes())),
            (
                0x81,
                self.keys.aa_private_key.as_ref().map(SecretBytes::expose),
            ),
            (
                0x82,
                self.keys.ca_private_key.as_ref().map(SecretBytes::expose),
            ),
            (0x83, self.keys.trust_point.as_deref()),
        ];
        let keys_len: usize = keys
            .iter()
            .filter_map(|(_, v)| v.map(|v| tlv_len(v.len())))
            .sum();
        let body_len =
            tlv_len(PACKAGE_FORMAT.len()) + tlv_len(1) + tlv_len(files_len) + tlv_len(keys_len);
        let package_len = tlv_len(body_len) + tlv_len(32);
        let mut out = Zeroizing::new(Vec::with_capacity(tlv_len(package_len)));
        put(&mut out, 0x30, package_len, &[]);
        let content_start = out.len();
        put(&mut out, 0x30, body_len, &[]);
        put(
            &mut out,
            0x0C,
            PACKAGE_FORMAT.len(),
            PACKAGE_FORMAT.as_bytes(),
        );
        put(&mut out, 0x02, 1, &[1]);
        put(&mut out, 0x30, files_len, &[]);
        for (name, content, inner) in &files {
            put(&mut out, 0x30, *inner, &[]);
            put(&mut out, 0x0C, name.len(), name.as_bytes());
            put(&mut out, 0x04, content.len(), content);
        }
        put(&mut out, 0x30, keys_len, &[]);
        for (tag, value) in keys {
            if let Some(v) = value {
                put(&mut out, tag, v.len(), v);
            }
        }
        let digest = Sha256::digest(out.get(content_start..).unwrap_or_default());
        put(&mut out, 0x04, digest.len(), &digest);
        out
    }

    /// Reads a package: bounded, then every file re-checked against EF.SOD.
    pub fn from_package(bytes: &[u8]) -> Result<ChipImage, ChipImageError> {
        let (files, keys) = decode(bytes)?;
        Self::checked(files, keys)
    }
}

type Decoded = (BTreeMap<Ef, Vec<u8>>, ChipKeys);

fn decode(bytes: &[u8]) -> Result<Decoded, PackageError> {
    if bytes.len() as u64 > MAX_PACKAGE_SIZE {
        return Err(PackageError::TooLarge(bytes.len()));
    }
    let mut reader = SliceReader::new(bytes)?;
    let content = reader.sequence(|r: &mut SliceReader<'_>| -> Result<&[u8], PackageError> {
        let content = r.tlv_bytes()?;
        let digest = <&OctetStringRef>::decode(r)?;
        if digest.as_bytes() != Sha256::digest(content).as_slice() {
            return Err(PackageError::Digest);
        }
        Ok(content)
    })?;
    reader.finish()?;
    let mut reader = SliceReader::new(content)?;
    let decoded = reader.sequence(|r: &mut SliceReader<'_>| -> Result<Decoded, PackageError> {
        let format = Utf8StringRef::decode(r)?;
        if format.as_str() != PACKAGE_FORMAT {
            return Err(PackageError::Format(
                format.as_str().chars().take(64).collect(),
            ));
        }
        let version = u32::decode(r)?;
        if version != PACKAGE_VERSION {
            return Err(PackageError::Version(version));
        }
        let files = r.sequence(decode_files)?;
        let keys = r.sequence(decode_keys)?;
        Ok((files, keys))
    })?;
    reader.finish()?;
    Ok(decoded)
}

fn decode_files(r: &mut SliceReader<'_>) -> Result<BTreeMap<Ef, Vec<u8>>, PackageError> {
    let mut files = BTreeMap::new();
    while !r.is_finished() {
        let (ef, content) = r.sequence(|f: &mut SliceReader<'_>| -> Result<_, PackageError> {
            let name = Utf8StringRef::decode(f)?;
            let ef = Ef::from_name(name.as_str()).ok_or_else(|| {
                PackageError::UnknownFile(name.as_str().chars().take(32).collect())
            })?;
            let content = <&OctetStringRef>::decode(f)?.as_bytes();
            Ok((ef, content))
        })?;
        if content.len() as u64 > MAX_FILE_SIZE {
            return Err(PackageError::FileTooLarge {
                ef,
                size: content.len(),
            });
        }
        if files.insert(ef, content.to_vec()).is_some() {
            return Err(PackageError::Duplicate(ef));
        }
    }
    Ok(files)
}

fn decode_keys(r: &mut SliceReader<'_>) -> Result<ChipKeys, PackageError> {
    let can = ContextSpecific::<Utf8StringRef<'_>>::decode_implicit(r, TagNumber(0))?;
    let aa = ContextSpecific::<&OctetStringRef>::decode_implicit(r, TagNumber(1))?;
    let ca = ContextSpecific::<&OctetStringRef>::decode_implicit(r, TagNumber(2))?;
    let trust_point = ContextSpecific::<&OctetStringRef>::decode_implicit(r, TagNumber(3))?;
    if let Some(t) = &trust_point
        && t.value.as_bytes().len() > super::MAX_TRUST_POINT_LEN
    {
        return Err(PackageError::TrustPointTooLarge(t.value.as_bytes().len()));
    }
    Ok(ChipKeys {
        can: can.map(|c| SecretString::new(c.value.as_str().to_owned())),
        aa_private_key: aa.map(|k| SecretBytes::from_slice(k.value.as_bytes())),
        ca_private_key: ca.map(|k| SecretBytes::from_slice(k.value.as_bytes())),
        trust_point: trust_point.map(|t| t.value.as_bytes().to_vec()),
    })
}

/// The number of bytes of a DER length field for `len` content bytes.
fn len_of_len(len: usize) -> usize {
    1 + length_digits(len).len()
}

/// The big-endian digits of a long-form length (none for the short form, below 128).
fn length_digits(len: usize) -> Vec<u8> {
    if len < 0x80 {
        return Vec::new();
    }
    len.to_be_bytes()
        .into_iter()
        .skip_while(|b| *b == 0)
        .collect()
}

/// The length of a whole TLV (one-byte tag) with `len` content bytes.
fn tlv_len(len: usize) -> usize {
    1 + len_of_len(len) + len
}

/// Appends a tag, the DER length `len`, and `value` (empty for a constructed value whose
/// content follows).
fn put(out: &mut Vec<u8>, tag: u8, len: usize, value: &[u8]) {
    out.push(tag);
    let digits = length_digits(len);
    match u8::try_from(len) {
        Ok(short) if digits.is_empty() => out.push(short),
        _ => {
            out.push(0x80 | u8::try_from(digits.len()).unwrap_or(0x7F));
            out.extend_from_slice(&digits);
        }
    }
    out.extend_from_slice(value);
}
