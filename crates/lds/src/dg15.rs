//! DG15, the Active Authentication public key (ICAO Doc 9303-11 §6.1):
//! `6F L <SubjectPublicKeyInfo>` (RFC 5280), RSA or EC. For ECDSA keys DG14 names the signature
//! algorithm in an ActiveAuthenticationInfo.

use der::{Decode, Encode};
use spki::SubjectPublicKeyInfoOwned;

use crate::{Ef, LdsError};
use permitkit_iso7816::tlv::{Tag, Writer, parse_single};

/// The contents of DG15.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dg15 {
    /// The public key.
    pub public_key: SubjectPublicKeyInfoOwned,
}

impl Dg15 {
    /// Encodes the file.
    pub fn encode(&self) -> Result<Vec<u8>, LdsError> {
        let der = self
            .public_key
            .to_der()
            .map_err(|e| LdsError::new(Ef::DG15, e))?;
        let mut w = Writer::new();
        w.primitive(Tag::new(0x6F), &der);
        w.finish().map_err(|e| LdsError::new(Ef::DG15, e))
    }

    /// Parses the file.
    pub fn parse(data: &[u8]) -> Result<Self, LdsError> {
        let outer = parse_single(data, Tag::new(0x6F)).map_err(|e| LdsError::new(Ef::DG15, e))?;
        let public_key = SubjectPublicKeyInfoOwned::from_der(outer.value())
            .map_err(|e| LdsError::new(Ef::DG15, e))?;
        Ok(Self { public_key })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::pkcs8::EncodePublicKey;

    #[test]
    fn ec_key_round_trip() {
        let sk = p256::SecretKey::from_slice(&[7u8; 32]).unwrap();
        let der = sk.public_key().to_public_key_der().unwrap();
        let spki = SubjectPublicKeyInfoOwned::from_der(der.as_bytes()).unwrap();
        let dg = Dg15 { public_key: spki };
        let bytes = dg.encode().unwrap();
        assert_eq!(&bytes[..2], &[0x6F, 0x5B]); // 91-byte P-256 SubjectPublicKeyInfo
        assert_eq!(&bytes[2..], der.as_bytes());
        assert_eq!(Dg15::parse(&bytes).unwrap(), dg);
        // An empty SEQUENCE is no SubjectPublicKeyInfo: the DER error, with its position.
        let err = Dg15::parse(&[0x6F, 0x02, 0x30, 0x00]).unwrap_err();
        assert!(
            matches!(
                err,
                LdsError {
                    file: Ef::DG15,
                    kind: crate::LdsErrorKind::Der(e),
                } if e.position().is_some()
            ),
            "{err}"
        );
    }
}
