//! Personalization command dialects: how a chip family takes CREATE FILE, UPDATE BINARY and
//! its access secrets. Chip profiles name a dialect; the personalization writer and the virtual
//! chip implement them (hardware-profiles/chips/ documents each).

/// A personalization command dialect (named by chip profiles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dialect {
    /// The JMRTD passport applet as published: application EFs only, BAC only.
    JmrtdApplet,
    /// The JMRTD dialect plus permitkit's extensions (the virtual chip speaks it).
    PermitkitV1,
}

impl Dialect {
    /// EFs in the master file (EF.CardAccess) can be created.
    pub fn has_master_file(self) -> bool {
        self == Dialect::PermitkitV1
    }
    /// PUT DATA `00 65` stores a CAN.
    pub fn supports_can(self) -> bool {
        self == Dialect::PermitkitV1
    }
    /// UPDATE BINARY `D7` reaches offsets above 32767.
    pub fn supports_odd_update(self) -> bool {
        self == Dialect::PermitkitV1
    }
    /// CREATE FILE leaves the new file selected (saves a SELECT per file).
    pub fn create_selects(self) -> bool {
        self == Dialect::PermitkitV1
    }
    /// SELECT with P2 `04` answers the FCP with the file size.
    pub fn reports_fcp(self) -> bool {
        self == Dialect::PermitkitV1
    }
}
