//! EF.CardAccess (ICAO Doc 9303-11 §9.2.1): the SecurityInfos a reader needs before any
//! authentication — the PACEInfos — stored as a bare DER `SET` in the master file and readable
//! without secure messaging. It is not covered by the SOD; DG14 repeats its PACEInfos, which is
//! how a verifier authenticates them.

use crate::security_infos::PaceInfo;
use crate::{Ef, LdsError, SecurityInfos};

/// The contents of EF.CardAccess.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardAccess {
    /// The security infos.
    pub infos: SecurityInfos,
}

impl CardAccess {
    /// Encodes the file (DER, no wrapper tag).
    pub fn encode(&self) -> Result<Vec<u8>, LdsError> {
        self.infos.to_der(Ef::CardAccess)
    }

    /// Parses the file. Bytes after the SET (some chips pad the EF) are ignored.
    pub fn parse(data: &[u8]) -> Result<Self, LdsError> {
        Ok(Self {
            infos: SecurityInfos::from_der(set(data)?, Ef::CardAccess)?,
        })
    }

    /// Parses the file strictly, as a verifier of a ChipImage does: one DER `SET` and nothing
    /// after it, every SecurityInfo well-formed.
    pub fn parse_strict(data: &[u8]) -> Result<Self, LdsError> {
        Ok(Self {
            infos: SecurityInfos::from_der(data, Ef::CardAccess)?,
        })
    }

    /// Parses the file as an inspection system reads it: SecurityInfos that do not parse are
    /// skipped ([`SecurityInfos::from_der_lenient`]).
    pub fn parse_lenient(data: &[u8]) -> Result<Self, LdsError> {
        Ok(Self {
            infos: SecurityInfos::from_der_lenient(set(data)?, Ef::CardAccess)?,
        })
    }

    /// The PACEInfos, in the file's order.
    pub fn pace_infos(&self) -> Vec<PaceInfo> {
        self.infos.pace().copied().collect()
    }

    /// The PACEInfos a chip offers in the EF.CardAccess `data` it holds, read leniently
    /// ([`CardAccess::parse_lenient`]); none when the file does not parse (the chip then offers
    /// BAC only, 9303-11 §4.2).
    pub fn offered_pace_infos(data: &[u8]) -> Vec<PaceInfo> {
        Self::parse_lenient(data)
            .map(|c| c.pace_infos())
            .unwrap_or_default()
    }
}

/// The `SET` at the start of the file, without any padding after it.
fn set(data: &[u8]) -> Result<&[u8], LdsError> {
    let len = permitkit_iso7816::tlv::encoded_len_from_header(data)
        .map_err(|e| LdsError::new(Ef::CardAccess, e))?;
    Ok(data.get(..len).unwrap_or(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ICAO 9303-11 G.1 (via gmrtd pace_test.go), docs/spec/lds.md §7.
    const G1: &str = "31143012060A04007F0007020204020202010202010D";

    #[test]
    fn strict_parsing_refuses_what_lenient_parsing_skips() {
        let bytes = hex::decode(G1).unwrap();
        assert_eq!(
            CardAccess::parse_strict(&bytes).unwrap().pace_infos().len(),
            1
        );
        let mut padded = bytes.clone();
        padded.extend_from_slice(&[0x00, 0x00]);
        assert!(CardAccess::parse(&padded).is_ok(), "a chip may pad the EF");
        let err = CardAccess::parse_strict(&padded).unwrap_err();
        assert_eq!(err.file, Ef::CardAccess);
        // A PACEInfo whose version is not an INTEGER.
        let bad = hex::decode("31143012060A04007F0007020204020204010202010D").unwrap();
        assert!(CardAccess::parse_strict(&bad).is_err());
        assert!(
            CardAccess::parse_lenient(&bad)
                .unwrap()
                .pace_infos()
                .is_empty()
        );
    }
}
