//! DG14, security options (ICAO Doc 9303-10 §4.7.14, 9303-11 §9.2): `6E L <SecurityInfos>`.
//!
//! For a chip that supports PACE, DG14 repeats the PACEInfos of EF.CardAccess so that they are
//! covered by the SOD; it also carries the ActiveAuthenticationInfo for ECDSA Active
//! Authentication and, when the chip supports it, Chip Authentication (9303-11 §6.2): a
//! `ChipAuthenticationInfo` per protocol and a `ChipAuthenticationPublicKeyInfo` per static key,
//! paired by keyId when there are several ([`SecurityInfos::chip_authentication_offers`]).
//!
//! Parsing is strict: a DG14 whose Chip Authentication infos cannot be paired is refused, so a
//! verifier never runs Chip Authentication against a key it cannot tell apart.

use crate::security_infos::ChipAuthenticationOffer;
use crate::{Ef, LdsError, SecurityInfos};
use permitkit_iso7816::tlv::{Tag, Writer, parse_single};

/// The contents of DG14.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dg14 {
    /// The security infos.
    pub infos: SecurityInfos,
}

impl Dg14 {
    /// Encodes the file.
    pub fn encode(&self) -> Result<Vec<u8>, LdsError> {
        let der = self.infos.to_der(Ef::DG14)?;
        let mut w = Writer::new();
        w.primitive(Tag::new(0x6E), &der);
        w.finish().map_err(|e| LdsError::new(Ef::DG14, e))
    }

    /// Parses the file.
    pub fn parse(data: &[u8]) -> Result<Self, LdsError> {
        let outer = parse_single(data, Tag::new(0x6E)).map_err(|e| LdsError::new(Ef::DG14, e))?;
        // The offsets of errors inside are relative to the SET; the wrapper is 2–4 bytes.
        let infos = SecurityInfos::from_der(outer.value(), Ef::DG14)?;
        infos.chip_authentication_offers(Ef::DG14)?;
        Ok(Self { infos })
    }

    /// The Chip Authentication keys DG14 offers, each with its protocol.
    pub fn chip_authentication(&self) -> Result<Vec<ChipAuthenticationOffer>, LdsError> {
        self.infos.chip_authentication_offers(Ef::DG14)
    }
}
