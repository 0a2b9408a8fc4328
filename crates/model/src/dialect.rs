//! Personalization command dialects: how a chip family takes CREATE FILE, UPDATE BINARY and
//! its access secrets. Chip profiles name a dialect; the personalization writer and the virtual
//! chip implement them (hardware-profiles/chips/ documents each).
//!
//! Two CREATE FILE forms exist: the JMRTD applet's proprietary `E0 { 63 04 size fid }` (not an
//! ISO/IEC 7816-9 command data field: tag `63` is not the FCP template), and the standard
//! ISO/IEC 7816-9:2004 §6.1 CREATE FILE whose data field is the FCP template `62` of ISO/IEC
//! 7816-4:2005 §5.3.3, spoken by [`Dialect::Iso7816_9`] with the access conditions of
//! [`FileAccessRules`].

/// A personalization command dialect (named by chip profiles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dialect {
    /// The JMRTD passport applet as published: application EFs only, BAC only.
    JmrtdApplet,
    /// The JMRTD dialect plus permitkit's extensions (the virtual chip speaks it).
    PermitkitV1,
    /// CREATE FILE as ISO/IEC 7816-9:2004 §6.1 (`00 E0 00 00 Lc 62 {80, 82, 83, 88, 8A, 8C}`,
    /// the created EF becoming the current file) and UPDATE BINARY (ISO/IEC 7816-4 §11.3.4),
    /// each EF carrying the access conditions of the chip profile's [`FileAccessRules`] in
    /// compact format. The access secrets, the keys and LOCK go with the same PUT DATA objects as
    /// [`Dialect::PermitkitV1`] (the virtual chip's; a real chip's key loading is its own).
    #[serde(rename = "iso7816-9")]
    Iso7816_9,
}

/// Who may run a command on a file: a security condition of ISO/IEC 7816-4:2005 §5.4.3.1,
/// written into the FCP in compact format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccessCondition {
    /// No condition (`00`).
    Always,
    /// Never (`FF`).
    Never,
    /// Under secure messaging (`40`): after BAC or PACE (ICAO 9303-11 §9.8).
    SecureMessaging,
    /// Under secure messaging and after an external authentication (`E0`, both required): for
    /// an eMRTD, Terminal Authentication (9303-11 §7), whose last step is EXTERNAL
    /// AUTHENTICATE, with a certificate whose CHAT grants the file.
    TerminalAuthentication,
}

/// The access conditions CREATE FILE sets per kind of file (chip profile `[file_access]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileAccessRules {
    /// READ BINARY of EF.CardAccess (9303-10 §3.11.3: readable without access control).
    pub card_access_read: AccessCondition,
    /// READ BINARY of EF.CardSecurity (9303-11 §9.2.3: after PACE).
    pub card_security_read: AccessCondition,
    /// READ BINARY of EF.COM, EF.SOD and the data groups other than DG3 and DG4.
    pub application_read: AccessCondition,
    /// READ BINARY of DG3 and DG4 (9303-11 §7: Extended Access Control).
    pub biometric_read: AccessCondition,
    /// UPDATE BINARY of every file (until the chip is locked).
    pub update: AccessCondition,
}

impl FileAccessRules {
    /// The eMRTD's: EF.CardAccess open, EF.CardSecurity and the application under secure
    /// messaging, DG3 and DG4 behind Terminal Authentication, updates open until LOCK.
    pub const EMRTD: Self = Self {
        card_access_read: AccessCondition::Always,
        card_security_read: AccessCondition::SecureMessaging,
        application_read: AccessCondition::SecureMessaging,
        biometric_read: AccessCondition::TerminalAuthentication,
        update: AccessCondition::Always,
    };
}

impl Dialect {
    /// CREATE FILE carries the ISO/IEC 7816-9 FCP template (else the JMRTD `63` object).
    pub fn fcp_create_file(self) -> bool {
        self == Dialect::Iso7816_9
    }
    /// EFs in the master file (EF.CardAccess) can be created.
    pub fn has_master_file(self) -> bool {
        matches!(self, Dialect::PermitkitV1 | Dialect::Iso7816_9)
    }
    /// PUT DATA `00 65` stores a CAN.
    pub fn supports_can(self) -> bool {
        matches!(self, Dialect::PermitkitV1 | Dialect::Iso7816_9)
    }
    /// UPDATE BINARY `D7` reaches offsets above 32767.
    pub fn supports_odd_update(self) -> bool {
        self == Dialect::PermitkitV1
    }
    /// CREATE FILE leaves the new file selected (saves a SELECT per file; ISO/IEC 7816-9 §6.1
    /// makes the created file the current one).
    pub fn create_selects(self) -> bool {
        matches!(self, Dialect::PermitkitV1 | Dialect::Iso7816_9)
    }
    /// SELECT with P2 `04` answers the FCP with the file size.
    pub fn reports_fcp(self) -> bool {
        matches!(self, Dialect::PermitkitV1 | Dialect::Iso7816_9)
    }
    /// SELECT of the eMRTD application with P2 `04` answers its FCP with the life cycle status
    /// byte (tag `8A`, ISO/IEC 7816-4:2005 §5.3.3.2): creation (blank), initialisation
    /// (personalization started) or operational (locked). Without it the writer probes the
    /// files one by one.
    pub fn reports_life_cycle(self) -> bool {
        matches!(self, Dialect::PermitkitV1 | Dialect::Iso7816_9)
    }
    /// GENERATE ASYMMETRIC KEY PAIR (ISO/IEC 7816-8, INS `46`) makes the Active Authentication
    /// key on the chip and answers its public key.
    pub fn generates_aa_key(self) -> bool {
        self == Dialect::PermitkitV1
    }
    /// PUT DATA `00 6B` stores a Chip Authentication key pair (ICAO 9303-11 §6.2).
    pub fn stores_ca_key(self) -> bool {
        matches!(self, Dialect::PermitkitV1 | Dialect::Iso7816_9)
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
        matches!(self, Dialect::PermitkitV1 | Dialect::Iso7816_9)
    }
}
