//! EF.CardAccess (ICAO Doc 9303-11 §9.2.1): the SecurityInfos a reader needs before any
//! authentication — the PACEInfos — stored as a bare DER `SET` in the master file and readable
//! without secure messaging. It is not covered by the SOD; DG14 repeats its PACEInfos.

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
        let len = permitkit_iso7816::tlv::encoded_len_from_header(data)
            .map_err(|e| LdsError::new(Ef::CardAccess, e))?;
        let set = data.get(..len).unwrap_or(data);
        Ok(Self {
            infos: SecurityInfos::from_der(set, Ef::CardAccess)?,
        })
    }
}
