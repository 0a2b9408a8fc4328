//! The Certificate Holder Authorization Template (BSI TR-03110-3 Appendix C.4;
//! docs/spec/security-protocols.md §6): `7F4C { 06 terminal type, 53 relative authorization }`.
//!
//! The two most significant bits of the first authorization byte are the role (11 CVCA, 10 DV
//! domestic, 01 DV foreign, 00 terminal); the others are access rights. For an inspection system
//! (`id-IS`, one byte) bit 0 grants reading DG3 (fingerprints) and bit 1 reading DG4 (iris). The
//! effective authorization of a terminal is the bitwise AND of the authorizations along its chain
//! (TR-03110-3 C.4: the chain restricts, never widens).

use std::fmt;

use crate::oid::{ID_AT, ID_IS, ID_ST};
use crate::{FieldError, Oid};

/// The terminal type a CHAT is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TerminalType {
    /// `id-IS`: inspection system (eMRTD), one authorization byte.
    InspectionSystem,
    /// `id-AT`: authentication terminal (eID), five bytes.
    AuthenticationTerminal,
    /// `id-ST`: signature terminal, one byte.
    SignatureTerminal,
    /// Any other OID (kept, not interpreted).
    Other(Oid),
}

impl TerminalType {
    /// From the CHAT's OID.
    pub fn from_oid(oid: Oid) -> Self {
        if oid == ID_IS {
            TerminalType::InspectionSystem
        } else if oid == ID_AT {
            TerminalType::AuthenticationTerminal
        } else if oid == ID_ST {
            TerminalType::SignatureTerminal
        } else {
            TerminalType::Other(oid)
        }
    }

    /// The OID.
    pub fn oid(&self) -> Oid {
        match self {
            TerminalType::InspectionSystem => ID_IS.to_oid(),
            TerminalType::AuthenticationTerminal => ID_AT.to_oid(),
            TerminalType::SignatureTerminal => ID_ST.to_oid(),
            TerminalType::Other(oid) => oid.clone(),
        }
    }

    /// Length of the relative authorization the type fixes, if it fixes one.
    fn template_len(&self) -> Option<usize> {
        match self {
            TerminalType::InspectionSystem | TerminalType::SignatureTerminal => Some(1),
            TerminalType::AuthenticationTerminal => Some(5),
            TerminalType::Other(_) => None,
        }
    }
}

/// The role a certificate's holder plays in the PKI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Country Verifying CA (`11`).
    Cvca,
    /// Document Verifier of the issuing State (`10`).
    DvDomestic,
    /// Document Verifier of another State (`01`).
    DvForeign,
    /// Terminal (`00`), an inspection system for eMRTDs.
    Terminal,
}

impl Role {
    fn bits(self) -> u8 {
        match self {
            Role::Cvca => 0xC0,
            Role::DvDomestic => 0x80,
            Role::DvForeign => 0x40,
            Role::Terminal => 0x00,
        }
    }

    fn from_bits(byte: u8) -> Self {
        match byte & 0xC0 {
            0xC0 => Role::Cvca,
            0x80 => Role::DvDomestic,
            0x40 => Role::DvForeign,
            _ => Role::Terminal,
        }
    }

    /// True for the two Document Verifier roles.
    pub fn is_dv(self) -> bool {
        matches!(self, Role::DvDomestic | Role::DvForeign)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Cvca => "CVCA",
            Role::DvDomestic => "DV (domestic)",
            Role::DvForeign => "DV (foreign)",
            Role::Terminal => "terminal",
        })
    }
}

/// Read access to DG3 (fingerprints) in an inspection system's authorization.
pub const IS_READ_DG3: u8 = 0x01;
/// Read access to DG4 (iris).
pub const IS_READ_DG4: u8 = 0x02;

/// A CHAT: terminal type and relative authorization.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Chat {
    terminal_type: TerminalType,
    template: Vec<u8>,
}

impl Chat {
    /// A CHAT from its parts; the authorization must have the length the terminal type fixes
    /// (1 to 8 bytes for other types).
    pub fn new(terminal_type: TerminalType, template: Vec<u8>) -> Result<Self, FieldError> {
        let ok = match terminal_type.template_len() {
            Some(n) => template.len() == n,
            None => (1..=8).contains(&template.len()),
        };
        if !ok {
            return Err(FieldError::Length {
                len: template.len(),
                allowed: "the relative authorization has the length the terminal type fixes \
                          (id-IS and id-ST 1 byte, id-AT 5)",
            });
        }
        Ok(Self {
            terminal_type,
            template,
        })
    }

    /// An inspection system's CHAT with a role and the DG3/DG4 rights.
    pub fn inspection_system(role: Role, read_dg3: bool, read_dg4: bool) -> Self {
        let mut byte = role.bits();
        if read_dg3 {
            byte |= IS_READ_DG3;
        }
        if read_dg4 {
            byte |= IS_READ_DG4;
        }
        Self {
            terminal_type: TerminalType::InspectionSystem,
            template: vec![byte],
        }
    }

    /// The terminal type.
    pub fn terminal_type(&self) -> &TerminalType {
        &self.terminal_type
    }

    /// The relative authorization bytes (role bits included).
    pub fn template(&self) -> &[u8] {
        &self.template
    }

    /// The role (two most significant bits).
    pub fn role(&self) -> Role {
        Role::from_bits(self.template.first().copied().unwrap_or(0))
    }

    /// True when an inspection system's authorization grants reading DG3.
    pub fn reads_dg3(&self) -> bool {
        self.terminal_type == TerminalType::InspectionSystem
            && self.template.first().is_some_and(|b| b & IS_READ_DG3 != 0)
    }

    /// True when an inspection system's authorization grants reading DG4.
    pub fn reads_dg4(&self) -> bool {
        self.terminal_type == TerminalType::InspectionSystem
            && self.template.first().is_some_and(|b| b & IS_READ_DG4 != 0)
    }

    /// The authorization left after this certificate's issuer restricted it: the rights are
    /// ANDed, the role stays this certificate's. `None` when the terminal types differ.
    pub fn restricted_by(&self, issuer: &Chat) -> Option<Chat> {
        if self.terminal_type != issuer.terminal_type
            || self.template.len() != issuer.template.len()
        {
            return None;
        }
        let mut template: Vec<u8> = self
            .template
            .iter()
            .zip(&issuer.template)
            .map(|(a, b)| a & b)
            .collect();
        if let Some(first) = template.first_mut() {
            *first = (*first & 0x3F) | self.role().bits();
        }
        Some(Chat {
            terminal_type: self.terminal_type.clone(),
            template,
        })
    }
}

impl fmt::Display for Chat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.terminal_type {
            TerminalType::InspectionSystem => "inspection system".to_owned(),
            TerminalType::AuthenticationTerminal => "authentication terminal".to_owned(),
            TerminalType::SignatureTerminal => "signature terminal".to_owned(),
            TerminalType::Other(oid) => format!("terminal type {oid}"),
        };
        let hex: String = self.template.iter().map(|b| format!("{b:02X}")).collect();
        write!(f, "{kind}, role {}, authorization {hex}", self.role())?;
        if self.terminal_type == TerminalType::InspectionSystem {
            let mut rights = Vec::new();
            if self.reads_dg3() {
                rights.push("read DG3");
            }
            if self.reads_dg4() {
                rights.push("read DG4");
            }
            if rights.is_empty() {
                rights.push("no data group rights");
            }
            write!(f, " ({})", rights.join(", "))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_rights_come_from_the_bits() {
        // docs/spec/security-protocols.md §6: the JMRTD CVCA's CHAT is 53 01 C1, the IS's 01.
        let cvca = Chat::new(TerminalType::InspectionSystem, vec![0xC1]).unwrap();
        assert_eq!(cvca.role(), Role::Cvca);
        assert!(cvca.reads_dg3() && !cvca.reads_dg4());
        let is = Chat::new(TerminalType::InspectionSystem, vec![0x01]).unwrap();
        assert_eq!(is.role(), Role::Terminal);
        assert_eq!(
            Chat::inspection_system(Role::DvDomestic, true, true).template(),
            [0x83]
        );
    }

    #[test]
    fn the_chain_only_narrows_the_rights() {
        let cvca = Chat::inspection_system(Role::Cvca, true, false);
        let dv = Chat::inspection_system(Role::DvForeign, true, true);
        let is = Chat::inspection_system(Role::Terminal, true, true);
        let dv_eff = dv.restricted_by(&cvca).unwrap();
        assert_eq!(dv_eff.template(), [0x41]);
        let is_eff = is.restricted_by(&dv_eff).unwrap();
        assert_eq!(is_eff.role(), Role::Terminal);
        assert!(is_eff.reads_dg3() && !is_eff.reads_dg4());
        let other = Chat::new(TerminalType::SignatureTerminal, vec![0x03]).unwrap();
        assert_eq!(is.restricted_by(&other), None);
    }

    #[test]
    fn the_authorization_length_follows_the_terminal_type() {
        assert!(Chat::new(TerminalType::InspectionSystem, vec![0x01, 0x00]).is_err());
        assert!(Chat::new(TerminalType::AuthenticationTerminal, vec![0; 5]).is_ok());
        assert!(Chat::new(TerminalType::AuthenticationTerminal, vec![0]).is_err());
    }
}
