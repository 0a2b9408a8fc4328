//! Certificate references, the CAR and CHR of a CV certificate (BSI TR-03110-3 Appendix A.6.1;
//! docs/spec/security-protocols.md §6): country code (ISO 3166-1 alpha-2, 2 characters), holder
//! mnemonic (0–9 characters) and sequence number (5 characters), ISO/IEC 8859-1.

use std::fmt;

use crate::FieldError;

/// Shortest reference: country code and sequence number, no mnemonic.
pub const MIN_LEN: usize = 7;
/// Longest reference: 2 + 9 + 5 characters.
pub const MAX_LEN: usize = 16;

/// A certification authority or certificate holder reference (`UACVCA00001`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference(Vec<u8>);

impl Reference {
    /// Checks the bytes of a reference: 7 to 16 printable ISO/IEC 8859-1 characters whose first
    /// two are a country code A–Z.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, FieldError> {
        if !(MIN_LEN..=MAX_LEN).contains(&bytes.len()) {
            return Err(FieldError::Length {
                len: bytes.len(),
                allowed: "a certificate reference has 7 to 16 characters",
            });
        }
        if let Some(&b) = bytes
            .iter()
            .find(|&&b| !(0x20..=0x7E).contains(&b) && b < 0xA0)
        {
            return Err(FieldError::ReferenceCharacter(b));
        }
        let country = bytes.get(..2).unwrap_or_default();
        if !country.iter().all(u8::is_ascii_uppercase) {
            return Err(FieldError::CountryCode(latin1(country)));
        }
        Ok(Self(bytes.to_vec()))
    }

    /// Builds a reference from its parts (`UA`, `CVCA`, `00001`).
    pub fn new(country: &str, mnemonic: &str, sequence: &str) -> Result<Self, FieldError> {
        if country.len() != 2 {
            return Err(FieldError::CountryCode(country.to_owned()));
        }
        if mnemonic.len() > 9 {
            return Err(FieldError::Length {
                len: mnemonic.len(),
                allowed: "a holder mnemonic has at most 9 characters",
            });
        }
        if sequence.len() != 5 || !sequence.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(FieldError::Length {
                len: sequence.len(),
                allowed: "a sequence number has 5 characters A-Z, 0-9",
            });
        }
        Self::from_bytes(format!("{country}{mnemonic}{sequence}").as_bytes())
    }

    /// The bytes as stored in the certificate.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The country code.
    pub fn country(&self) -> String {
        latin1(self.0.get(..2).unwrap_or_default())
    }

    /// The holder mnemonic (between the country code and the sequence number).
    pub fn mnemonic(&self) -> String {
        latin1(
            self.0
                .get(2..self.0.len().saturating_sub(5))
                .unwrap_or_default(),
        )
    }

    /// The sequence number (last five characters).
    pub fn sequence(&self) -> String {
        latin1(
            self.0
                .get(self.0.len().saturating_sub(5)..)
                .unwrap_or_default(),
        )
    }
}

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&latin1(&self.0))
    }
}

impl fmt::Debug for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Reference({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_into_their_parts() {
        // docs/spec/security-protocols.md §6: "NLCVCAA00001"; JMRTD's IS "NLIS7202000NL001".
        let r = Reference::from_bytes(b"NLCVCAA00001").unwrap();
        assert_eq!(
            (r.country(), r.mnemonic(), r.sequence()),
            ("NL".into(), "CVCAA".into(), "00001".into())
        );
        let r = Reference::new("UA", "DV", "00001").unwrap();
        assert_eq!(r.to_string(), "UADV00001");
        assert!(Reference::from_bytes(b"NLIS7202000NL001").is_ok());
    }

    #[test]
    fn malformed_references_are_refused() {
        assert!(matches!(
            Reference::from_bytes(b"UA0001"),
            Err(FieldError::Length { len: 6, .. })
        ));
        assert!(matches!(
            Reference::from_bytes(b"UACVCA0000100000X"),
            Err(FieldError::Length { len: 17, .. })
        ));
        assert_eq!(
            Reference::from_bytes(b"uaCVCA00001"),
            Err(FieldError::CountryCode("ua".into()))
        );
        assert_eq!(
            Reference::from_bytes(b"UACV\x01A00001"),
            Err(FieldError::ReferenceCharacter(0x01))
        );
        assert!(Reference::new("UA", "TOOLONGMNEMONIC", "00001").is_err());
        assert!(Reference::new("UA", "CVCA", "0001").is_err());
    }
}
