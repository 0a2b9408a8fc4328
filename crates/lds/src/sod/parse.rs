//! Reading EF.SOD tolerantly (RFC 5652 §5; ICAO Doc 9303-10 §4.6.2) with the crate's BER-TLV
//! reader, independent of the `cms`/`der` stack that writes it. [`SignedData`] is the CMS part
//! EF.CardSecurity shares (9303-11 §9.2.3, [`crate::card_security`]).
//!
//! ```asn1
//! ContentInfo ::= SEQUENCE { contentType id-signedData, content [0] EXPLICIT SignedData }
//! SignedData ::= SEQUENCE { version, digestAlgorithms SET OF AlgorithmIdentifier,
//!   encapContentInfo SEQUENCE { eContentType OID, eContent [0] EXPLICIT OCTET STRING },
//!   certificates [0] IMPLICIT SET OF Certificate OPTIONAL, crls [1] IMPLICIT … OPTIONAL,
//!   signerInfos SET OF SignerInfo }
//! SignerInfo ::= SEQUENCE { version, sid SignerIdentifier, digestAlgorithm,
//!   signedAttrs [0] IMPLICIT SET OF Attribute OPTIONAL, signatureAlgorithm,
//!   signature OCTET STRING, unsignedAttrs [1] IMPLICIT … OPTIONAL }
//! SignerIdentifier ::= CHOICE { issuerAndSerialNumber SEQUENCE { issuer Name, serialNumber },
//!   subjectKeyIdentifier [0] OCTET STRING }
//! ```
//!
//! Tolerated: BER (constructed) octet strings, unsorted sets, the legacy eContentTypes some
//! early issuers used, more than one SignerInfo (all are returned).

use der::asn1::ObjectIdentifier;

use crate::{
    Ef, LdsError,
    sod::{LdsSecurityObject, sign::ID_LDS_SECURITY_OBJECT},
};
use permitkit_iso7816::tlv::{Reader, Tag, Tlv, TlvError, parse_single};

const SEQUENCE: Tag = Tag::new(0x30);
const SET: Tag = Tag::new(0x31);
const INTEGER: Tag = Tag::new(0x02);
const OID: Tag = Tag::new(0x06);
const OCTET_STRING: Tag = Tag::new(0x04);
const OCTET_STRING_BER: Tag = Tag::new(0x24);
const CTX0: Tag = Tag::new(0xA0);
const CTX0_PRIMITIVE: Tag = Tag::new(0x80);
const CTX1: Tag = Tag::new(0xA1);
const UTC_TIME: Tag = Tag::new(0x17);
const GENERALIZED_TIME: Tag = Tag::new(0x18);

/// `id-signedData` 1.2.840.113549.1.7.2.
pub const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// `id-contentType` 1.2.840.113549.1.9.3.
pub const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
/// `id-messageDigest` 1.2.840.113549.1.9.4.
pub const ID_MESSAGE_DIGEST: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ID_SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
/// eContentTypes seen on early documents instead of id-ldsSecurityObject (BE/FR, NL).
pub const LEGACY_ECONTENT_TYPES: [ObjectIdentifier; 2] = [
    ObjectIdentifier::new_unwrap("1.3.27.1.1.1"),
    ObjectIdentifier::new_unwrap("1.2.528.1.1006.1.20.1"),
];

/// Who signed: the SignerIdentifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignerId {
    /// Issuer Name (raw DER) and serial number (INTEGER content bytes).
    IssuerAndSerial {
        /// The issuer Name exactly as encoded in the SignerInfo.
        issuer: Vec<u8>,
        /// The serial number's content octets.
        serial: Vec<u8>,
    },
    /// A subject key identifier.
    SubjectKeyId(Vec<u8>),
}

/// A signing time: seconds since the Unix epoch and the encoded text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningTime {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub unix: i64,
    /// The UTCTime or GeneralizedTime text.
    pub text: String,
}

/// One SignerInfo, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedSignerInfo {
    /// SignerInfo version (1 with issuerAndSerialNumber, 3 with subjectKeyIdentifier).
    pub version: u32,
    /// The SignerIdentifier.
    pub sid: SignerId,
    /// The digest algorithm.
    pub digest_algorithm: ObjectIdentifier,
    /// The signed attributes re-tagged as `SET` (`31`), the bytes the signature covers.
    pub signed_attributes: Option<Vec<u8>>,
    /// The contentType signed attribute.
    pub content_type: Option<ObjectIdentifier>,
    /// The messageDigest signed attribute.
    pub message_digest: Option<Vec<u8>>,
    /// The signingTime signed attribute.
    pub signing_time: Option<SigningTime>,
    /// The signatureAlgorithm AlgorithmIdentifier, raw DER.
    pub signature_algorithm: Vec<u8>,
    /// Its OID.
    pub signature_algorithm_oid: ObjectIdentifier,
    /// The signature value.
    pub signature: Vec<u8>,
}

/// EF.SOD taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedSod {
    /// The eContentType.
    pub econtent_type: ObjectIdentifier,
    /// The eContent octets: the DER LDSSecurityObject, the bytes messageDigest covers.
    pub econtent: Vec<u8>,
    /// The LDSSecurityObject.
    pub lso: LdsSecurityObject,
    /// The SignedData digest algorithms.
    pub digest_algorithms: Vec<ObjectIdentifier>,
    /// The embedded certificates, raw DER.
    pub certificates: Vec<Vec<u8>>,
    /// The SignerInfos (ICAO requires exactly one).
    pub signers: Vec<ParsedSignerInfo>,
}

/// A CMS `SignedData` taken apart (RFC 5652 §5): what EF.SOD (in tag `77`) and
/// EF.CardSecurity (9303-11 §9.2.3) are made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedData {
    /// The eContentType.
    pub econtent_type: ObjectIdentifier,
    /// The eContent octets, the bytes messageDigest covers.
    pub econtent: Vec<u8>,
    /// The SignedData digest algorithms.
    pub digest_algorithms: Vec<ObjectIdentifier>,
    /// The embedded certificates, raw DER.
    pub certificates: Vec<Vec<u8>>,
    /// The SignerInfos.
    pub signers: Vec<ParsedSignerInfo>,
}

impl SignedData {
    /// Parses a `ContentInfo` of type id-signedData; `file` names the file in errors.
    pub fn parse_content_info(content_info: Tlv<'_>, file: Ef) -> Result<Self, LdsError> {
        if content_info.tag() != SEQUENCE {
            return Err(field(
                file,
                "ContentInfo",
                format!("tag {} is not a SEQUENCE", content_info.tag()),
            ));
        }
        let mut ci = content_info.children().map_err(tlv(file))?;
        let ct = read_oid(file, &mut ci, "contentType")?;
        if ct != ID_SIGNED_DATA {
            return Err(field(
                file,
                "contentType",
                format!("{ct} is not id-signedData"),
            ));
        }
        let explicit = ci.expect(CTX0).map_err(tlv(file))?;
        let signed_data = explicit
            .children()
            .map_err(tlv(file))?
            .expect(SEQUENCE)
            .map_err(tlv(file))?;
        let mut sd = signed_data.children().map_err(tlv(file))?;
        sd.expect(INTEGER).map_err(tlv(file))?;

        let mut digest_algorithms = Vec::new();
        let algs = sd.expect(SET).map_err(tlv(file))?;
        let mut a = algs.children().map_err(tlv(file))?;
        while !a.is_empty() {
            let alg = a.expect(SEQUENCE).map_err(tlv(file))?;
            digest_algorithms.push(read_oid(
                file,
                &mut alg.children().map_err(tlv(file))?,
                "digestAlgorithm",
            )?);
        }

        let eci = sd.expect(SEQUENCE).map_err(tlv(file))?;
        let mut e = eci.children().map_err(tlv(file))?;
        let econtent_type = read_oid(file, &mut e, "eContentType")?;
        let wrapper = e.expect(CTX0).map_err(tlv(file))?;
        let octets = wrapper
            .children()
            .map_err(tlv(file))?
            .read()
            .map_err(tlv(file))?;
        let econtent = octet_string(file, &octets)?;

        let mut certificates = Vec::new();
        if let Some(certs) = sd.optional(CTX0).map_err(tlv(file))? {
            let mut c = certs.children().map_err(tlv(file))?;
            while !c.is_empty() {
                certificates.push(c.read().map_err(tlv(file))?.raw().to_vec());
            }
        }
        sd.optional(CTX1).map_err(tlv(file))?;
        let infos = sd.expect(SET).map_err(tlv(file))?;
        let mut s = infos.children().map_err(tlv(file))?;
        let mut signers = Vec::new();
        while !s.is_empty() {
            let si = s.expect(SEQUENCE).map_err(tlv(file))?;
            signers.push(parse_signer_info(file, si.children().map_err(tlv(file))?)?);
        }
        if signers.is_empty() {
            return Err(field(file, "signerInfos", "no SignerInfo".into()));
        }
        Ok(Self {
            econtent_type,
            econtent,
            digest_algorithms,
            certificates,
            signers,
        })
    }
}

impl ParsedSod {
    /// Parses EF.SOD (`77 L ContentInfo`).
    pub fn parse(data: &[u8]) -> Result<Self, LdsError> {
        let file = Ef::Sod;
        let outer = parse_single(data, Tag::new(0x77)).map_err(tlv(file))?;
        let mut r = outer.children().map_err(tlv(file))?;
        let content_info = r.read().map_err(tlv(file))?;
        let signed = SignedData::parse_content_info(content_info, file)?;
        let econtent_type = signed.econtent_type;
        if econtent_type != ID_LDS_SECURITY_OBJECT
            && !LEGACY_ECONTENT_TYPES.contains(&econtent_type)
        {
            return Err(field(
                file,
                "eContentType",
                format!("{econtent_type} is not id-ldsSecurityObject"),
            ));
        }
        let lso = LdsSecurityObject::from_der(&signed.econtent)?;
        Ok(Self {
            econtent_type,
            econtent: signed.econtent,
            lso,
            digest_algorithms: signed.digest_algorithms,
            certificates: signed.certificates,
            signers: signed.signers,
        })
    }
}

fn parse_signer_info(file: Ef, mut r: Reader<'_>) -> Result<ParsedSignerInfo, LdsError> {
    let v = r.expect(INTEGER).map_err(tlv(file))?;
    let version = match v.value() {
        [n] => u32::from(*n),
        _ => {
            return Err(field(
                file,
                "SignerInfo version",
                "not a small integer".into(),
            ));
        }
    };
    let sid = match r.peek_tag().map_err(tlv(file))? {
        Some(SEQUENCE) => {
            let ias = r.read().map_err(tlv(file))?;
            let mut c = ias.children().map_err(tlv(file))?;
            let issuer = c.expect(SEQUENCE).map_err(tlv(file))?.raw().to_vec();
            let serial = c.expect(INTEGER).map_err(tlv(file))?.value().to_vec();
            SignerId::IssuerAndSerial { issuer, serial }
        }
        Some(CTX0_PRIMITIVE) => {
            SignerId::SubjectKeyId(r.read().map_err(tlv(file))?.value().to_vec())
        }
        other => {
            return Err(field(
                file,
                "SignerIdentifier",
                format!(
                    "unexpected tag {}",
                    other.map_or("end".into(), |t| t.to_string())
                ),
            ));
        }
    };
    let dalg = r.expect(SEQUENCE).map_err(tlv(file))?;
    let digest_algorithm = read_oid(
        file,
        &mut dalg.children().map_err(tlv(file))?,
        "digestAlgorithm",
    )?;
    let mut info = ParsedSignerInfo {
        version,
        sid,
        digest_algorithm,
        signed_attributes: None,
        content_type: None,
        message_digest: None,
        signing_time: None,
        signature_algorithm: Vec::new(),
        signature_algorithm_oid: digest_algorithm,
        signature: Vec::new(),
    };
    if let Some(attrs) = r.optional(CTX0).map_err(tlv(file))? {
        let mut as_set = attrs.raw().to_vec();
        if let Some(first) = as_set.first_mut() {
            *first = 0x31;
        }
        info.signed_attributes = Some(as_set);
        read_attributes(file, attrs, &mut info)?;
    }
    let salg = r.expect(SEQUENCE).map_err(tlv(file))?;
    info.signature_algorithm = salg.raw().to_vec();
    info.signature_algorithm_oid = read_oid(
        file,
        &mut salg.children().map_err(tlv(file))?,
        "signatureAlgorithm",
    )?;
    info.signature = r.expect(OCTET_STRING).map_err(tlv(file))?.value().to_vec();
    Ok(info)
}

fn read_attributes(file: Ef, attrs: Tlv<'_>, info: &mut ParsedSignerInfo) -> Result<(), LdsError> {
    let mut a = attrs.children().map_err(tlv(file))?;
    while !a.is_empty() {
        let attr = a.expect(SEQUENCE).map_err(tlv(file))?;
        let mut c = attr.children().map_err(tlv(file))?;
        let oid = read_oid(file, &mut c, "attribute type")?;
        let values = c.expect(SET).map_err(tlv(file))?;
        let first = values
            .children()
            .map_err(tlv(file))?
            .read()
            .map_err(tlv(file))?;
        if oid == ID_CONTENT_TYPE {
            info.content_type = Some(oid_of(file, &first, "contentType attribute")?);
        } else if oid == ID_MESSAGE_DIGEST {
            info.message_digest = Some(octet_string(file, &first)?);
        } else if oid == ID_SIGNING_TIME {
            info.signing_time = Some(signing_time(file, &first)?);
        }
    }
    Ok(())
}

fn read_oid(
    file: Ef,
    r: &mut Reader<'_>,
    what: &'static str,
) -> Result<ObjectIdentifier, LdsError> {
    let t = r.expect(OID).map_err(tlv(file))?;
    oid_of(file, &t, what)
}

fn oid_of(file: Ef, t: &Tlv<'_>, what: &'static str) -> Result<ObjectIdentifier, LdsError> {
    if t.tag() != OID {
        return Err(field(
            file,
            what,
            format!("tag {} at byte {} is not an OID", t.tag(), t.offset()),
        ));
    }
    ObjectIdentifier::from_bytes(t.value())
        .map_err(|e| field(file, what, format!("at byte {}: {e}", t.offset())))
}

/// The content of a primitive OCTET STRING, or the concatenated segments of a constructed one.
fn octet_string(file: Ef, t: &Tlv<'_>) -> Result<Vec<u8>, LdsError> {
    match t.tag() {
        OCTET_STRING => Ok(t.value().to_vec()),
        OCTET_STRING_BER => {
            let mut out = Vec::new();
            let mut r = t.children().map_err(tlv(file))?;
            while !r.is_empty() {
                out.extend_from_slice(&octet_string(file, &r.read().map_err(tlv(file))?)?);
            }
            Ok(out)
        }
        other => Err(field(
            file,
            "OCTET STRING",
            format!("tag {other} at byte {} is not an octet string", t.offset()),
        )),
    }
}

fn signing_time(file: Ef, t: &Tlv<'_>) -> Result<SigningTime, LdsError> {
    let text = String::from_utf8_lossy(t.value()).into_owned();
    let unix = match t.tag() {
        UTC_TIME => asn1_time(false, t.value()),
        GENERALIZED_TIME => asn1_time(true, t.value()),
        _ => None,
    };
    match unix {
        Some(unix) => Ok(SigningTime { unix, text }),
        None => Err(field(
            file,
            "signingTime",
            format!("{text:?} is not a UTCTime or GeneralizedTime"),
        )),
    }
}

/// Seconds since the epoch of the content of a UTCTime (`YYMMDDhhmmss…`, years 1950–2049,
/// RFC 5280 §4.1.2.5.1) or, when `generalized`, a GeneralizedTime (`YYYYMMDDhhmmss…`).
pub(crate) fn asn1_time(generalized: bool, value: &[u8]) -> Option<i64> {
    let digits: Vec<i64> = value
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .map(|b| i64::from(b - b'0'))
        .collect();
    let pair = |i: usize| -> Option<i64> { Some(digits.get(i)? * 10 + digits.get(i + 1)?) };
    let (year, at) = match generalized {
        false if digits.len() >= 12 => {
            let yy = pair(0)?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, 2)
        }
        true if digits.len() >= 14 => (pair(0)? * 100 + pair(2)?, 4),
        _ => return None,
    };
    unix_time(
        year,
        pair(at)?,
        pair(at + 2)?,
        pair(at + 4)?,
        pair(at + 6)?,
        pair(at + 8)?,
    )
}

/// `YYYY-MM-DDThh:mm:ssZ` for seconds since the epoch.
pub(crate) fn utc_text(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    match crate::mrz::Date::from_unix_days(days) {
        Some(d) => format!(
            "{d}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        ),
        None => format!("{unix} s after 1970-01-01"),
    }
}

/// Seconds since the epoch for a proleptic Gregorian UTC date-time; `None` when out of range.
pub(crate) fn unix_time(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> Option<i64> {
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    // Days from civil (H. Hinnant's algorithm).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + s)
}

fn tlv(file: Ef) -> impl Fn(TlvError) -> LdsError {
    move |e| LdsError::new(file, e)
}

fn field(file: Ef, name: &'static str, reason: String) -> LdsError {
    LdsError::field(file, name, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_time_matches_known_instants() {
        assert_eq!(unix_time(1970, 1, 1, 0, 0, 0), Some(0));
        assert_eq!(unix_time(2000, 3, 1, 0, 0, 0), Some(951_868_800));
        assert_eq!(unix_time(2026, 11, 22, 12, 0, 0), Some(1_795_348_800));
        assert_eq!(unix_time(2026, 13, 1, 0, 0, 0), None);
        assert_eq!(asn1_time(false, b"261122120000Z"), Some(1_795_348_800));
        assert_eq!(asn1_time(true, b"20261122120000Z"), Some(1_795_348_800));
        assert_eq!(asn1_time(true, b"261122120000Z"), None);
        assert_eq!(utc_text(1_795_348_800), "2026-11-22T12:00:00Z");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bad in [
            &[][..],
            &[0x77, 0x00],
            &[0x77, 0x02, 0x30, 0x00],
            &[0x30, 0x00],
        ] {
            let err = ParsedSod::parse(bad).unwrap_err();
            assert_eq!(err.file, Ef::Sod, "{err}");
        }
    }
}
