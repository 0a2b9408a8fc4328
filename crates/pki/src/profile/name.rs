//! Issuer and subject names (ICAO Doc 9303-12 §7.1.1.1, Table 5): countryName MUST be present,
//! a Doc 9303-3 two-letter code in upper case encoded as PrintableString; commonName MUST be
//! present; other attributes are PrintableString or UTF8String. The alternative names of
//! §7.1.1.2 carry the ICAO three-letter code as a directoryName `L=<code>`.

use der::{
    Any, Decode, Encode, Tag,
    asn1::{ObjectIdentifier, SetOfVec},
};
use x509_cert::{
    attr::AttributeTypeAndValue,
    name::{Name, RdnSequence, RelativeDistinguishedName},
};

use permitkit_lds::mrz::CountryCode;

use crate::PkiError;

const COUNTRY_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.6");
const LOCALITY_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.7");
const ORGANIZATION_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");
const ORGANIZATIONAL_UNIT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.11");
const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");

/// The attributes of a subject name, most significant first in the encoding (C, O, OU, CN).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameParts {
    /// ISO 3166-1 alpha-2 code of the issuing State (`UA`), as Doc 9303-3 uses it.
    pub country: String,
    /// Organization (O), if any.
    pub organization: Option<String>,
    /// Organizational unit (OU), if any.
    pub unit: Option<String>,
    /// Common name (CN).
    pub common_name: String,
}

impl NameParts {
    /// A name of the permitkit test PKI: `C=<country>, O=TEST ONLY, OU=permitkit test PKI,
    /// CN=<common name>`.
    pub fn test_only(country: &str, common_name: &str) -> Self {
        Self {
            country: country.to_owned(),
            organization: Some("TEST ONLY".into()),
            unit: Some("permitkit test PKI".into()),
            common_name: common_name.to_owned(),
        }
    }

    /// The encoded Name; the country must be the two-letter code of a State.
    pub fn to_name(&self) -> Result<Name, PkiError> {
        check_country(&self.country)?;
        if self.common_name.trim().is_empty() {
            return Err(build(&"a name needs a commonName (9303-12 §7.1.1.1)"));
        }
        let mut rdns = vec![attribute(
            COUNTRY_NAME,
            Tag::PrintableString,
            &self.country,
        )?];
        for (oid, value) in [
            (ORGANIZATION_NAME, &self.organization),
            (ORGANIZATIONAL_UNIT_NAME, &self.unit),
        ] {
            if let Some(v) = value {
                rdns.push(attribute(oid, Tag::Utf8String, v)?);
            }
        }
        rdns.push(attribute(COMMON_NAME, Tag::Utf8String, &self.common_name)?);
        from_rdns(rdns)
    }
}

/// `L=<ICAO three-letter code>` (§7.1.1.2), the directoryName of the alternative names.
pub(crate) fn locality_name(icao_code: &str) -> Result<Name, PkiError> {
    from_rdns(vec![attribute(
        LOCALITY_NAME,
        Tag::PrintableString,
        icao_code,
    )?])
}

/// The ICAO three-letter code (`UKR`) of a State's alpha-2 code (`UA`), without fillers.
pub fn icao_code_of(alpha2: &str) -> Result<String, PkiError> {
    check_country(alpha2).map(|c| c.trimmed().to_owned())
}

/// The countryName of a Name, when it has exactly one.
pub fn country_of(name: &Name) -> Option<String> {
    let rdns = RdnSequence::from(name.clone());
    let mut found = rdns
        .iter()
        .flat_map(|rdn| rdn.iter())
        .filter(|atv| atv.oid == COUNTRY_NAME)
        .map(|atv| String::from_utf8_lossy(atv.value.value()).into_owned());
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

fn check_country(alpha2: &str) -> Result<CountryCode, PkiError> {
    CountryCode::from_alpha2(alpha2).ok_or_else(|| {
        build(&format!(
            "country {alpha2:?} is not an ISO 3166-1 alpha-2 code of a State (9303-12 §7.1: the \
             C of a CSCA and its Document Signers)"
        ))
    })
}

fn attribute(
    oid: ObjectIdentifier,
    tag: Tag,
    value: &str,
) -> Result<RelativeDistinguishedName, PkiError> {
    let value = Any::new(tag, value.as_bytes()).map_err(|e| build(&e))?;
    let mut set = SetOfVec::new();
    set.insert(AttributeTypeAndValue { oid, value })
        .map_err(|e| build(&e))?;
    Ok(RelativeDistinguishedName::from(set))
}

fn from_rdns(rdns: Vec<RelativeDistinguishedName>) -> Result<Name, PkiError> {
    let der = RdnSequence::from(rdns).to_der().map_err(|e| build(&e))?;
    Name::from_der(&der).map_err(|e| build(&e))
}

fn build(reason: &dyn std::fmt::Display) -> PkiError {
    PkiError::Build {
        what: "name",
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn names_encode_the_country_as_printable_string_and_read_back() {
        let name = NameParts::test_only("UA", "CSCA, with a comma")
            .to_name()
            .unwrap();
        assert_eq!(country_of(&name).as_deref(), Some("UA"));
        let der = name.to_der().unwrap();
        // SET { SEQUENCE { OID 2.5.4.6, PrintableString "UA" } } comes first.
        let c = [
            0x31, 0x0B, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, b'U', b'A',
        ];
        assert_eq!(der.get(2..2 + c.len()), Some(&c[..]));
        assert!(
            name.to_string().contains("CN=CSCA\\, with a comma"),
            "{name}"
        );
        assert_eq!(icao_code_of("UA").unwrap(), "UKR");
        assert_eq!(icao_code_of("DE").unwrap(), "D");
        assert!(NameParts::test_only("XX", "x").to_name().is_err());
        assert!(NameParts::test_only("UA", " ").to_name().is_err());
    }
}
