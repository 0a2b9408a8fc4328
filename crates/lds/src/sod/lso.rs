//! The LDSSecurityObject (ICAO Doc 9303-10 §4.6.2.2):
//!
//! ```asn1
//! LDSSecurityObject ::= SEQUENCE {
//!   version LDSSecurityObjectVersion,            -- v0(0), v1(1): v1 iff ldsVersionInfo present
//!   hashAlgorithm DigestAlgorithmIdentifier,
//!   dataGroupHashValues SEQUENCE SIZE (2..ub-DataGroups) OF DataGroupHash,
//!   ldsVersionInfo LDSVersionInfo OPTIONAL }
//! DataGroupHash ::= SEQUENCE { dataGroupNumber DataGroupNumber, dataGroupHashValue OCTET STRING }
//! LDSVersionInfo ::= SEQUENCE { ldsVersion PrintableString, unicodeVersion PrintableString }
//! ```

use der::asn1::ObjectIdentifier;

use crate::{DgNumber, Ef, LdsError, sod::HashAlgorithm};
use permitkit_iso7816::tlv::{Reader, Tag, Writer, parse_single};

const SEQUENCE: Tag = Tag::new(0x30);
const INTEGER: Tag = Tag::new(0x02);
const OCTET_STRING: Tag = Tag::new(0x04);
const OID: Tag = Tag::new(0x06);
const PRINTABLE_STRING: Tag = Tag::new(0x13);

/// One `DataGroupHash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataGroupHash {
    /// The data group.
    pub number: DgNumber,
    /// The hash of the whole data group file.
    pub hash: Vec<u8>,
}

/// The LDSSecurityObject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LdsSecurityObject {
    /// Hash algorithm of every data group hash.
    pub hash_algorithm: HashAlgorithm,
    /// The data group hashes, in ascending data-group order.
    pub hashes: Vec<DataGroupHash>,
    /// LDS and Unicode versions (`"0107"`, `"040000"`); present makes the object v1.
    pub lds_version: Option<(String, String)>,
}

impl LdsSecurityObject {
    /// The object for the data groups in `files` (other files are ignored: EF.COM, EF.SOD and
    /// EF.CardAccess are not hashed), hashed with `hash_algorithm`, LDS 1.7 / Unicode 4.0.0.
    pub fn new<'a>(
        hash_algorithm: HashAlgorithm,
        files: impl IntoIterator<Item = (Ef, &'a [u8])>,
    ) -> Self {
        let mut hashes: Vec<DataGroupHash> = files
            .into_iter()
            .filter_map(|(ef, bytes)| match ef {
                Ef::Dg(number) => Some(DataGroupHash {
                    number,
                    hash: hash_algorithm.digest(bytes),
                }),
                _ => None,
            })
            .collect();
        hashes.sort_by_key(|h| h.number);
        Self {
            hash_algorithm,
            hashes,
            lds_version: Some(("0107".into(), "040000".into())),
        }
    }

    /// The hash recorded for `ef`, if any.
    pub fn hash_of(&self, ef: Ef) -> Option<&[u8]> {
        let Ef::Dg(n) = ef else { return None };
        self.hashes
            .iter()
            .find(|h| h.number == n)
            .map(|h| h.hash.as_slice())
    }

    /// DER encoding.
    pub fn to_der(&self) -> Result<Vec<u8>, LdsError> {
        if self.hashes.len() < 2 {
            return Err(LdsError::field(
                Ef::Sod,
                "dataGroupHashValues",
                "at least two data groups (DG1 and DG2) must be hashed",
            ));
        }
        let version = u8::from(self.lds_version.is_some());
        let mut w = Writer::new();
        w.constructed(SEQUENCE, |w| {
            w.primitive(INTEGER, &[version]);
            w.constructed(SEQUENCE, |w| {
                w.primitive(OID, self.hash_algorithm.oid().as_bytes());
            });
            w.constructed(SEQUENCE, |w| {
                for h in &self.hashes {
                    w.constructed(SEQUENCE, |w| {
                        w.primitive(INTEGER, &[h.number.get()]);
                        w.primitive(OCTET_STRING, &h.hash);
                    });
                }
            });
            if let Some((lds, unicode)) = &self.lds_version {
                w.constructed(SEQUENCE, |w| {
                    w.primitive(PRINTABLE_STRING, lds.as_bytes());
                    w.primitive(PRINTABLE_STRING, unicode.as_bytes());
                });
            }
        });
        w.finish().map_err(|e| LdsError::new(Ef::Sod, e))
    }

    /// Parses the DER (or BER) encoding.
    pub fn from_der(data: &[u8]) -> Result<Self, LdsError> {
        let e = |k: permitkit_iso7816::tlv::TlvError| LdsError::new(Ef::Sod, k);
        let bad = |field, reason: String| LdsError::field(Ef::Sod, field, reason);
        let top = parse_single(data, SEQUENCE).map_err(e)?;
        let mut r = top.children().map_err(e)?;
        let version = r.expect(INTEGER).map_err(e)?;
        if !matches!(version.value(), [0] | [1]) {
            return Err(bad("LDSSecurityObject version", "must be 0 or 1".into()));
        }
        let alg = r.expect(SEQUENCE).map_err(e)?;
        let oid = alg.children().map_err(e)?.expect(OID).map_err(e)?;
        let oid = ObjectIdentifier::from_bytes(oid.value())
            .map_err(|err| bad("hashAlgorithm", err.to_string()))?;
        let hash_algorithm = HashAlgorithm::from_oid(&oid)
            .ok_or_else(|| bad("hashAlgorithm", format!("{oid} is not a supported hash")))?;
        let list = r.expect(SEQUENCE).map_err(e)?;
        let mut items: Reader<'_> = list.children().map_err(e)?;
        let mut hashes = Vec::new();
        while !items.is_empty() {
            let item = items.expect(SEQUENCE).map_err(e)?;
            let mut c = item.children().map_err(e)?;
            let n = c.expect(INTEGER).map_err(e)?;
            let number = match n.value() {
                [v] => DgNumber::new(*v),
                _ => None,
            }
            .ok_or_else(|| {
                bad(
                    "dataGroupNumber",
                    format!("at byte {} is not 1 to 16", n.offset()),
                )
            })?;
            let hash = c.expect(OCTET_STRING).map_err(e)?.value().to_vec();
            if hashes.iter().any(|h: &DataGroupHash| h.number == number) {
                return Err(bad(
                    "dataGroupHashValues",
                    format!("DG{} listed twice", number.get()),
                ));
            }
            hashes.push(DataGroupHash { number, hash });
        }
        let lds_version = match r.optional(SEQUENCE).map_err(e)? {
            Some(v) => {
                let mut c = v.children().map_err(e)?;
                let lds = c.read().map_err(e)?;
                let uni = c.read().map_err(e)?;
                Some((
                    String::from_utf8_lossy(lds.value()).into_owned(),
                    String::from_utf8_lossy(uni.value()).into_owned(),
                ))
            }
            None => None,
        };
        Ok(Self {
            hash_algorithm,
            hashes,
            lds_version,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_layout_and_round_trip() {
        let dg1 = [0x61, 0x00];
        let dg2 = [0x75, 0x00];
        let lso = LdsSecurityObject::new(
            HashAlgorithm::Sha256,
            [
                (Ef::DG2, &dg2[..]),
                (Ef::Com, &[0x60, 0x00][..]),
                (Ef::DG1, &dg1[..]),
            ],
        );
        assert_eq!(lso.hashes.len(), 2);
        assert_eq!(lso.hashes[0].number.get(), 1);
        let der = lso.to_der().unwrap();
        // SEQUENCE { INTEGER 1, SEQUENCE { OID sha256 }, SEQUENCE { ... } ... }
        assert_eq!(&der[2..5], &[0x02, 0x01, 0x01]);
        assert_eq!(
            &der[5..18],
            &hex::decode("300B0609608648016503040201").unwrap()[..]
        );
        assert!(der.ends_with(&hex::decode("300E1304303130371306303430303030").unwrap()));
        assert_eq!(LdsSecurityObject::from_der(&der).unwrap(), lso);
        assert_eq!(
            lso.hash_of(Ef::DG1),
            Some(&HashAlgorithm::Sha256.digest(&dg1)[..])
        );
    }

    #[test]
    fn refuses_bad_numbers_and_duplicates() {
        let mut lso = LdsSecurityObject::new(
            HashAlgorithm::Sha256,
            [(Ef::DG1, &[1u8][..]), (Ef::DG2, &[2u8][..])],
        );
        lso.hashes[1].number = lso.hashes[0].number;
        let err = LdsSecurityObject::from_der(&lso.to_der().unwrap()).unwrap_err();
        assert!(err.to_string().contains("DG1 listed twice"), "{err}");
        let one = LdsSecurityObject::new(HashAlgorithm::Sha256, [(Ef::DG1, &[1u8][..])]);
        let err = one.to_der().unwrap_err();
        assert!(
            matches!(
                err.kind,
                crate::LdsErrorKind::Field {
                    field: "dataGroupHashValues",
                    ..
                }
            ),
            "{err}"
        );
    }
}
