//! The ICAO Doc 9303-12 certificate profiles (§7.1.1, Tables 5 and 6; docs/spec/lds.md §10, §10.1):
//! who a certificate is for, the object identifiers of the eMRTD PKI, the key usage periods of
//! Table 1, and the building blocks every issuer here shares.
//!
//! | | CSCA root | CSCA link | Document Signer | Master List Signer |
//! |---|---|---|---|---|
//! | issuer | itself | the old CSCA key | the CSCA | the CSCA |
//! | keyUsage (critical) | keyCertSign, cRLSign | keyCertSign, cRLSign | digitalSignature | digitalSignature |
//! | basicConstraints (critical) | cA, pathLen 0 | cA, pathLen 0 | — | — |
//! | extKeyUsage (critical) | — | — | — | 2.23.136.1.1.3 |
//! | authorityKeyIdentifier | — | old key | CSCA key | CSCA key |
//! | subjectKeyIdentifier | yes | yes | yes | yes |
//! | privateKeyUsagePeriod | yes | yes | yes | yes |
//! | cRLDistributionPoints | yes | yes | yes | yes |
//! | subjectAltName, issuerAltName | directoryName L = the ICAO 3-letter code (§7.1.1.2) | | | |
//! | documentTypeList | — | — | the document codes | — |
//!
//! The issuers are [`crate::csca`], [`crate::ds_issue`] and [`crate::master_list_signer`]; the
//! linter ([`crate::lint`]) checks certificates against the same table. Every issuer signs
//! through any signer the `x509-cert` builder accepts (`Keypair + Signer`), so a key on a token
//! signs the same way a file key does.

pub mod extensions;
pub(crate) mod issue;
mod name;

use std::time::Duration;

use der::asn1::ObjectIdentifier;

pub use extensions::{key_identifier, spki_of};
pub use issue::{
    CertificateParts, Lifetime, issue_certificate, random_serial, serial_of, validity_of,
};
pub use name::{NameParts, country_of, icao_code_of};

/// `id-icao-mrtd-security-extensions-documentTypeList` 2.23.136.1.1.6.2 (§7.1.1.6).
pub use permitkit_lds::sod::scope::ID_DOCUMENT_TYPE_LIST;
/// `id-ce-privateKeyUsagePeriod` 2.5.29.16.
pub use permitkit_lds::sod::scope::ID_PRIVATE_KEY_USAGE_PERIOD;

/// `id-icao-cscaMasterList` 2.23.136.1.1.2 (9303-12 §9.2): the eContentType of a master list.
pub const ID_ICAO_CSCA_MASTER_LIST: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.23.136.1.1.2");
/// `id-icao-cscaMasterListSigningKey` 2.23.136.1.1.3 (§7.1.1.3): the extKeyUsage of a Master
/// List Signer.
pub const ID_ICAO_CSCA_MASTER_LIST_SIGNING_KEY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.23.136.1.1.3");
/// `id-icao-mrtd-security-extensions-nameChange` 2.23.136.1.1.6.1 (§7.1.1.5).
pub const ID_ICAO_NAME_CHANGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.136.1.1.6.1");
/// `id-icao-DeviationList` 2.23.136.1.1.7 (§10.2): the eContentType of a deviation list.
pub const ID_ICAO_DEVIATION_LIST: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.136.1.1.7");
/// `id-icao-DeviationListSigningKey` 2.23.136.1.1.8 (§7.1.1.3): the extKeyUsage of a Deviation
/// List Signer.
pub const ID_ICAO_DEVIATION_LIST_SIGNING_KEY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.23.136.1.1.8");

/// One day.
pub const DAY: Duration = Duration::from_secs(24 * 3600);
/// A year of 365¼ days.
pub const YEAR: Duration = Duration::from_secs(365 * 24 * 3600 + 6 * 3600);
/// Thirty days.
pub const MONTH: Duration = Duration::from_secs(30 * 24 * 3600);

/// A CSCA private key signs for 3 to 5 years (9303-12 §4.1.4.2, Table 1): 5 by default.
pub const CSCA_KEY_USAGE: Duration = Duration::from_secs(5 * (365 * 24 * 3600 + 6 * 3600));
/// A Document Signer private key signs for up to 3 months (§4.1.1.2, Table 1).
pub const DS_KEY_USAGE: Duration = Duration::from_secs(3 * 30 * 24 * 3600);
/// The longest validity of a document signed: 10 years (a permanent residence permit; Table 1
/// assumes 10-year passports).
pub const DOCUMENT_VALIDITY: Duration = Duration::from_secs(10 * (365 * 24 * 3600 + 6 * 3600));
/// A Master List Signer's key usage period is the issuing State's choice (Table 1): one year.
pub const ML_SIGNER_KEY_USAGE: Duration = YEAR;
/// CSCAs issue a CRL at least every 90 days (§4.1.5): the default nextUpdate.
pub const CRL_PERIOD: Duration = Duration::from_secs(90 * 24 * 3600);

/// What a certificate of the eMRTD PKI is for (9303-12 §7.1.1, the columns of Table 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// A self-signed CSCA certificate: a trust anchor.
    CscaRoot,
    /// A CSCA link certificate: a new CSCA key (or name) certified by the old key (§4.1.4.3).
    CscaLink,
    /// A Document Signer: signs EF.SOD.
    DocumentSigner,
    /// A Master List Signer: signs CSCA master lists (§5.3).
    MasterListSigner,
    /// A Deviation List Signer: signs deviation lists (§10).
    DeviationListSigner,
}

impl Role {
    /// The profile's name for the role.
    pub fn name(self) -> &'static str {
        match self {
            Self::CscaRoot => "CSCA self-signed root",
            Self::CscaLink => "CSCA link",
            Self::DocumentSigner => "Document Signer",
            Self::MasterListSigner => "Master List Signer",
            Self::DeviationListSigner => "Deviation List Signer",
        }
    }

    /// A CSCA certificate (root or link): a certificate authority.
    pub fn is_csca(self) -> bool {
        matches!(self, Self::CscaRoot | Self::CscaLink)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "csca" | "csca-root" => Self::CscaRoot,
            "link" | "csca-link" => Self::CscaLink,
            "ds" | "document-signer" => Self::DocumentSigner,
            "ml-signer" | "master-list-signer" => Self::MasterListSigner,
            "dl-signer" | "deviation-list-signer" => Self::DeviationListSigner,
            _ => {
                return Err(format!(
                    "{s:?} is not a role: csca, link, ds, ml-signer or dl-signer"
                ));
            }
        })
    }
}

/// `YYYY-MM-DDThh:mm:ssZ` for seconds since the epoch (`-` outside 1970–9999).
pub fn utc_text(unix: i64) -> String {
    u64::try_from(unix)
        .ok()
        .and_then(|s| der::DateTime::from_unix_duration(Duration::from_secs(s)).ok())
        .map_or_else(|| "-".into(), |d| d.to_string())
}

/// Seconds since the epoch (negative before 1970).
pub fn unix_seconds(t: std::time::SystemTime) -> i64 {
    match t.duration_since(std::time::SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}
