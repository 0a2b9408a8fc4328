//! ICAO Doc 9303-12 §7.1.1 Table 6, "Certificate Extensions Profile", as data: for each
//! extension its presence in each role — m (mandatory), o (optional), x (do not use) — and its
//! criticality. Columns: CSCA self-signed root, CSCA link, Document Signer, Master List Signer
//! and Deviation List Signer (one column in the table).
//!
//! Read from the 8th edition (2021), Table 6 and its clauses: AKI o for roots, m otherwise
//! (Appendix C: "mandatory in all certificates except for self-signed CSCA certificates"); SKI
//! m for CSCAs, o for signers; keyUsage m critical; privateKeyUsagePeriod m for CSCAs and
//! Document Signers, o for list signers; basicConstraints m critical for CSCAs only;
//! extKeyUsage m critical for list signers only (§7.1.1.3), x for CSCAs and Document Signers;
//! cRLDistributionPoints "a mandatory extension" (§7.1.1.4); documentTypeList m for Document
//! Signers (§7.1.1.6), always non-critical; NameChange o on CSCAs (§7.1.1.5); policy mappings,
//! name and policy constraints, inhibitAnyPolicy (Note 1), freshestCRL (Note 2) and the
//! Netscape certificate type (Note 4) x. The alternative names are required by §7.1.1.2 in
//! the current profile but were "x" in the earlier one (Appendix C): their absence is a
//! warning (`Presence::Expected`).

/// Presence of an extension in a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Presence {
    /// m: must be present.
    Mandatory,
    /// m in the current profile, x in the earlier one: absence is a warning.
    Expected,
    /// o: may be present.
    Optional,
    /// x: must not be present.
    Forbidden,
}

/// Criticality an extension must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Criticality {
    /// c.
    Critical,
    /// nc.
    NonCritical,
}

/// One row of Table 6.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rule {
    /// The extension's OID, dotted.
    pub(crate) oid: &'static str,
    /// Its name.
    pub(crate) name: &'static str,
    /// The finding id.
    pub(crate) id: &'static str,
    /// Presence for [root, link, DS, ML signer, DL signer].
    pub(crate) presence: [Presence; 5],
    /// Criticality when present.
    pub(crate) criticality: Criticality,
    /// The clause.
    pub(crate) clause: &'static str,
}

use Criticality::{Critical, NonCritical};
use Presence::{Expected as E, Forbidden as X, Mandatory as M, Optional as O};

const TABLE6: &str = "9303-12 §7.1.1 Table 6";

/// Table 6.
pub(crate) const RULES: &[Rule] = &[
    Rule {
        oid: "2.5.29.35",
        name: "authorityKeyIdentifier",
        id: "authority-key-identifier",
        presence: [O, M, M, M, M],
        criticality: NonCritical,
        clause: TABLE6,
    },
    Rule {
        oid: "2.5.29.14",
        name: "subjectKeyIdentifier",
        id: "subject-key-identifier",
        presence: [M, M, O, O, O],
        criticality: NonCritical,
        clause: TABLE6,
    },
    Rule {
        oid: "2.5.29.15",
        name: "keyUsage",
        id: "key-usage",
        presence: [M, M, M, M, M],
        criticality: Critical,
        clause: TABLE6,
    },
    Rule {
        oid: "2.5.29.16",
        name: "privateKeyUsagePeriod",
        id: "private-key-usage-period",
        presence: [M, M, M, O, O],
        criticality: NonCritical,
        clause: TABLE6,
    },
    Rule {
        oid: "2.5.29.32",
        name: "certificatePolicies",
        id: "certificate-policies",
        presence: [O, O, O, O, O],
        criticality: NonCritical,
        clause: TABLE6,
    },
    Rule {
        oid: "2.5.29.33",
        name: "policyMappings",
        id: "policy-mappings",
        presence: [X, X, X, X, X],
        criticality: NonCritical,
        clause: "9303-12 §7.1.1 Table 6 Note 1",
    },
    Rule {
        oid: "2.5.29.17",
        name: "subjectAltName",
        id: "subject-alt-name",
        presence: [E, E, E, E, E],
        criticality: NonCritical,
        clause: "9303-12 §7.1.1.2",
    },
    Rule {
        oid: "2.5.29.18",
        name: "issuerAltName",
        id: "issuer-alt-name",
        presence: [E, E, E, E, E],
        criticality: NonCritical,
        clause: "9303-12 §7.1.1.2",
    },
    Rule {
        oid: "2.5.29.9",
        name: "subjectDirectoryAttributes",
        id: "subject-directory-attributes",
        presence: [X, X, X, X, X],
        criticality: NonCritical,
        clause: TABLE6,
    },
    Rule {
        oid: "2.5.29.19",
        name: "basicConstraints",
        id: "basic-constraints",
        presence: [M, M, X, X, X],
        criticality: Critical,
        clause: TABLE6,
    },
    Rule {
        oid: "2.5.29.30",
        name: "nameConstraints",
        id: "name-constraints",
        presence: [X, X, X, X, X],
        criticality: Critical,
        clause: "9303-12 §7.1.1 Table 6 Note 1",
    },
    Rule {
        oid: "2.5.29.36",
        name: "policyConstraints",
        id: "policy-constraints",
        presence: [X, X, X, X, X],
        criticality: Critical,
        clause: "9303-12 §7.1.1 Table 6 Note 1",
    },
    Rule {
        oid: "2.5.29.37",
        name: "extKeyUsage",
        id: "extended-key-usage",
        presence: [X, X, X, M, M],
        criticality: Critical,
        clause: "9303-12 §7.1.1.3",
    },
    Rule {
        oid: "2.5.29.31",
        name: "cRLDistributionPoints",
        id: "crl-distribution-points",
        presence: [M, M, M, M, M],
        criticality: NonCritical,
        clause: "9303-12 §7.1.1.4",
    },
    Rule {
        oid: "2.5.29.54",
        name: "inhibitAnyPolicy",
        id: "inhibit-any-policy",
        presence: [X, X, X, X, X],
        criticality: Critical,
        clause: "9303-12 §7.1.1 Table 6 Note 1",
    },
    Rule {
        oid: "2.5.29.46",
        name: "freshestCRL",
        id: "freshest-crl",
        presence: [X, X, X, X, X],
        criticality: NonCritical,
        clause: "9303-12 §7.1.1 Table 6 Note 2",
    },
    Rule {
        oid: "1.3.6.1.5.5.7.1.1",
        name: "authorityInfoAccess",
        id: "authority-info-access",
        presence: [O, O, O, O, O],
        criticality: NonCritical,
        clause: "9303-12 §7.1.1 Table 6 Note 3",
    },
    Rule {
        oid: "1.3.6.1.5.5.7.1.11",
        name: "subjectInfoAccess",
        id: "subject-info-access",
        presence: [O, O, O, O, O],
        criticality: NonCritical,
        clause: "9303-12 §7.1.1 Table 6 Note 3",
    },
    Rule {
        oid: "2.23.136.1.1.6.1",
        name: "nameChange",
        id: "name-change",
        presence: [O, O, X, X, X],
        criticality: NonCritical,
        clause: "9303-12 §7.1.1.5",
    },
    Rule {
        oid: "2.23.136.1.1.6.2",
        name: "documentTypeList",
        id: "document-type-list",
        presence: [X, X, M, X, X],
        criticality: NonCritical,
        clause: "9303-12 §7.1.1.6",
    },
    Rule {
        oid: "2.16.840.1.113730.1.1",
        name: "Netscape certificate type",
        id: "netscape-certificate-type",
        presence: [X, X, X, X, X],
        criticality: NonCritical,
        clause: "9303-12 §7.1.1 Table 6 Note 4",
    },
];

/// The column of `role` in [`Rule::presence`].
pub(crate) fn column(role: crate::profile::Role) -> usize {
    use crate::profile::Role;
    match role {
        Role::CscaRoot => 0,
        Role::CscaLink => 1,
        Role::DocumentSigner => 2,
        Role::MasterListSigner => 3,
        Role::DeviationListSigner => 4,
    }
}
