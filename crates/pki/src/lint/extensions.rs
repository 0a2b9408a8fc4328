//! The extensions of a certificate against ICAO Doc 9303-12 §7.1.1 Table 6 ([`super::table`]):
//! presence and criticality per role, each extension once (RFC 5280 §4.2), unknown private
//! extensions non-critical, and the values — keyUsage bits, basicConstraints cA with
//! pathLenConstraint 0, the list signers' extKeyUsage (§7.1.1.3), authorityKeyIdentifier with
//! a keyIdentifier, distribution points that are ldap, http or https URLs (§7.1.1.4), the
//! alternative names' directoryName (§7.1.1.2), NameChange on a renaming link (§7.1.1.5), the
//! documentTypeList (§7.1.1.6). The private key usage period is read in [`super::periods`].

use std::collections::HashSet;

use x509_parser::{
    certificate::X509Certificate,
    extensions::{DistributionPointName, GeneralName, ParsedExtension},
};

use super::{
    Findings, Severity,
    table::{Criticality, Presence, RULES, column},
};
use crate::profile::{
    ID_ICAO_CSCA_MASTER_LIST_SIGNING_KEY, ID_ICAO_DEVIATION_LIST_SIGNING_KEY, Role,
};

const TABLE6: &str = "9303-12 §7.1.1 Table 6";

pub(super) fn check(der: &[u8], cert: &X509Certificate<'_>, role: Role, out: &mut Findings) {
    let col = column(role);
    let mut seen = HashSet::new();
    for ext in cert.extensions() {
        let oid = ext.oid.to_id_string();
        if !seen.insert(oid.clone()) {
            out.error(
                "duplicate-extension",
                "RFC 5280 §4.2",
                format!("extension {oid} appears more than once"),
            );
        }
        match RULES.iter().find(|r| r.oid == oid) {
            Some(rule) => {
                if rule.presence.get(col) == Some(&Presence::Forbidden) {
                    out.error(
                        rule.id,
                        rule.clause,
                        format!("{} must not be in a {role} certificate", rule.name),
                    );
                }
                let want = rule.criticality == Criticality::Critical;
                // Forbidden extensions are reported once, above.
                if ext.critical != want && rule.presence.get(col) != Some(&Presence::Forbidden) {
                    out.error(
                        rule.id,
                        rule.clause,
                        format!(
                            "{} must be {}",
                            rule.name,
                            if want { "critical" } else { "non-critical" }
                        ),
                    );
                }
            }
            None if ext.critical => out.error(
                "unknown-critical-extension",
                TABLE6,
                format!(
                    "extension {oid} is critical: other private extensions must be non-critical"
                ),
            ),
            None => {}
        }
    }
    for rule in RULES {
        if seen.contains(rule.oid) {
            continue;
        }
        match rule.presence.get(col) {
            Some(Presence::Mandatory) => out.error(
                rule.id,
                rule.clause,
                format!("a {role} certificate must have {}", rule.name),
            ),
            Some(Presence::Expected) => out.warning(
                rule.id,
                rule.clause,
                format!(
                    "a {role} certificate of the current profile has {} (the earlier profile of \
                     Appendix C did without)",
                    rule.name
                ),
            ),
            _ => {}
        }
    }
    values(der, cert, role, out);
}

fn values(der: &[u8], cert: &X509Certificate<'_>, role: Role, out: &mut Findings) {
    let mut san = None;
    let mut ian = None;
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::KeyUsage(ku) => {
                let (want, names) = if role.is_csca() {
                    (0b110_0000, "keyCertSign and cRLSign")
                } else {
                    (0b000_0001, "digitalSignature")
                };
                if ku.flags != want {
                    out.error(
                        "key-usage",
                        TABLE6,
                        format!("keyUsage {ku} must be exactly {names} for a {role}"),
                    );
                }
            }
            ParsedExtension::BasicConstraints(bc)
                if role.is_csca() && (!bc.ca || bc.path_len_constraint != Some(0)) =>
            {
                out.error(
                    "basic-constraints",
                    TABLE6,
                    format!(
                        "basicConstraints cA {} pathLenConstraint {:?}: a CSCA has cA TRUE and \
                         pathLenConstraint 0 (\"MUST always be '0'\", also on links)",
                        bc.ca, bc.path_len_constraint
                    ),
                );
            }
            ParsedExtension::ExtendedKeyUsage(eku) => {
                let purpose = match role {
                    Role::MasterListSigner => Some(ID_ICAO_CSCA_MASTER_LIST_SIGNING_KEY),
                    Role::DeviationListSigner => Some(ID_ICAO_DEVIATION_LIST_SIGNING_KEY),
                    _ => None,
                };
                if let Some(p) = purpose
                    && !eku.other.iter().any(|o| o.to_id_string() == p.to_string())
                {
                    out.error(
                        "extended-key-usage",
                        "9303-12 §7.1.1.3",
                        format!("a {role}'s extKeyUsage must include {p}"),
                    );
                }
            }
            ParsedExtension::AuthorityKeyIdentifier(aki) if aki.key_identifier.is_none() => {
                out.error(
                    "authority-key-identifier",
                    TABLE6,
                    "authorityKeyIdentifier has no keyIdentifier (m)",
                );
            }
            ParsedExtension::CRLDistributionPoints(points) => {
                let mut uris = 0;
                for point in points.iter() {
                    if let Some(DistributionPointName::FullName(names)) = &point.distribution_point
                    {
                        for n in names {
                            if let GeneralName::URI(uri) = n {
                                uris += 1;
                                let lower = uri.to_ascii_lowercase();
                                if !["ldap://", "http://", "https://"]
                                    .iter()
                                    .any(|s| lower.starts_with(s))
                                {
                                    out.error(
                                        "crl-distribution-points",
                                        "9303-12 §7.1.1.4",
                                        format!(
                                            "distribution point {uri:?} is not ldap, http or https"
                                        ),
                                    );
                                }
                            }
                        }
                    }
                }
                if uris == 0 {
                    out.error(
                        "crl-distribution-points",
                        "9303-12 §7.1.1.4",
                        "cRLDistributionPoints names no URL: at least one value MUST be populated",
                    );
                }
            }
            ParsedExtension::SubjectAlternativeName(s) => san = Some((ext.value, s)),
            ParsedExtension::IssuerAlternativeName(i) => ian = Some((ext.value, i)),
            _ => {}
        }
    }
    for (which, names) in [
        ("subjectAltName", san.map(|(_, s)| &s.general_names)),
        ("issuerAltName", ian.map(|(_, i)| &i.general_names)),
    ] {
        if let Some(names) = names {
            alt_name(which, names, out);
        }
    }
    if role == Role::CscaRoot
        && let (Some((s, _)), Some((i, _))) = (san, ian)
        && s != i
    {
        out.error(
            "issuer-alt-name",
            "9303-12 §7.1.1.2",
            "in a CSCA root, issuerAltName and subjectAltName must be identical",
        );
    }
    let renamed = cert.issuer().as_raw() != cert.subject().as_raw();
    let has_name_change = cert
        .extensions()
        .iter()
        .any(|e| e.oid.to_id_string() == crate::profile::ID_ICAO_NAME_CHANGE.to_string());
    if role == Role::CscaLink && renamed && !has_name_change {
        out.error(
            "name-change",
            "9303-12 §7.1.1.5",
            "a link certificate whose subject differs from its issuer conveys a name change and \
             must carry the NameChange extension",
        );
    }
    if role == Role::DocumentSigner {
        match permitkit_lds::sod::SignerScope::from_certificate(der) {
            Ok(scope) => match scope.document_types {
                Some(types) if types.is_empty() => out.error(
                    "document-type-list",
                    "9303-12 §7.1.1.6",
                    "documentTypeList lists no document type",
                ),
                _ => {}
            },
            Err(e) => out.error("document-type-list", "9303-12 §7.1.1.6", e.to_string()),
        }
    }
}

/// §7.1.1.2: a directoryName of `L` (the ICAO code) and, where needed, `ST`; contact
/// information as an rfc822Name, dNSName or URI is recommended.
fn alt_name(which: &str, names: &[GeneralName<'_>], out: &mut Findings) {
    let mut directory = false;
    let mut contact = false;
    for n in names {
        match n {
            GeneralName::DirectoryName(dn) => {
                directory = true;
                let has_l = dn.iter_locality().next().is_some();
                let other = dn.iter_attributes().any(|a| {
                    !matches!(a.attr_type().to_id_string().as_str(), "2.5.4.7" | "2.5.4.8")
                });
                if !has_l || other {
                    out.error(
                        "alt-name-directory",
                        "9303-12 §7.1.1.2",
                        format!(
                            "the {which} directoryName must hold the ICAO code as localityName \
                             (and stateOrProvinceName where needed), nothing else"
                        ),
                    );
                }
            }
            GeneralName::RFC822Name(_) | GeneralName::DNSName(_) | GeneralName::URI(_) => {
                contact = true;
            }
            _ => {}
        }
    }
    if !directory {
        out.push(
            "alt-name-directory",
            "9303-12 §7.1.1.2",
            Severity::Warning,
            format!("the {which} has no directoryName with the ICAO country code"),
        );
    }
    if !contact {
        out.push(
            "alt-name-contact",
            "9303-12 §7.1.1.2",
            Severity::Warning,
            format!("the {which} has no contact (rfc822Name, dNSName or URI)"),
        );
    }
}
