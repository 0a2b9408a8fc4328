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
    /// SELECT of the eMRTD application with P2 `04` answers its FCP with the life cycle status
    /// byte (tag `8A`, ISO/IEC 7816-4:2005 §5.3.3.2): creation (blank), initialisation
    /// (personalization started) or operational (locked). Without it the writer probes the
    /// files one by one.
    pub fn reports_life_cycle(self) -> bool {
        self == Dialect::PermitkitV1
    }
    /// GENERATE ASYMMETRIC KEY PAIR (ISO/IEC 7816-8, INS `46`) makes the Active Authentication
    /// key on the chip and answers its public key.
    pub fn generates_aa_key(self) -> bool {
        self == Dialect::PermitkitV1
    }
    /// PUT DATA `00 6B` stores a Chip Authentication key pair (ICAO 9303-11 §6.2).
    pub fn stores_ca_key(self) -> bool {
        self == Dialect::PermitkitV1
    }
    /// GENERATE ASYMMETRIC KEY PAIR with a key template (`A4 {84 keyId, 06 curve}`) makes a
    /// Chip Authentication key pair on the chip and answers its public key.
    pub fn generates_ca_key(self) -> bool {
        self == Dialect::PermitkitV1
    }
    /// PUT DATA `00 64` stores the chip's trust point for Terminal Authentication: a whole CVCA
    /// certificate (`7F21`, ECDSA), checked with its own key. The JMRTD applet takes PUT DATA
    /// `01 64` with a certificate body whose key is RSA-1024 (id-TA-RSA-v1-5-SHA-1) only, which
    /// this toolkit's EAC PKI (ECDSA) cannot give it.
    pub fn stores_trust_point(self) -> bool {
        self == Dialect::PermitkitV1
    }
}
