//! Public keys in CV certificates (BSI TR-03110-3 Appendix D.3; docs/spec/security-protocols.md
//! §6): `7F49 { 06 algorithm, … }`.
//!
//! ECDSA: `81` prime p, `82` a, `83` b, `84` generator G (uncompressed), `85` order r, `86` the
//! public point Y (uncompressed), `87` cofactor f. The domain parameters (`81`–`85`, `87`) are in
//! CVCA certificates; DV and terminal keys carry `06` and `86` only and use their CVCA's curve.
//! RSA: `81` modulus n, `82` public exponent e (decoded and shown, never verified here).

use permitkit_iso7816::tlv::{self, Tag, Tlv};

use crate::error::{DecodeError, FieldError};
use crate::{Oid, TaAlgorithm};

const TAG_OID: Tag = Tag::new(0x06);

/// Explicit elliptic-curve domain parameters (unsigned big-endian integers, G uncompressed).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DomainParameters {
    /// `81` prime modulus p.
    pub prime: Vec<u8>,
    /// `82` first coefficient a.
    pub a: Vec<u8>,
    /// `83` second coefficient b.
    pub b: Vec<u8>,
    /// `84` base point G, `04 ‖ x ‖ y`.
    pub generator: Vec<u8>,
    /// `85` order r of G.
    pub order: Vec<u8>,
    /// `87` cofactor f, when given.
    pub cofactor: Option<Vec<u8>>,
}

/// The key material.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyMaterial {
    /// An elliptic-curve point and, in CVCA certificates, its domain parameters.
    Ec {
        /// The domain parameters, when the certificate carries them.
        domain: Option<DomainParameters>,
        /// `86` the public point, `04 ‖ x ‖ y`.
        point: Vec<u8>,
    },
    /// An RSA key.
    Rsa {
        /// `81` modulus.
        modulus: Vec<u8>,
        /// `82` public exponent.
        exponent: Vec<u8>,
    },
}

/// A certificate's public key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PublicKey {
    /// The algorithm its holder signs with (`06`).
    pub algorithm: TaAlgorithm,
    /// The key.
    pub material: KeyMaterial,
}

impl PublicKey {
    /// An ECDSA key, with or without domain parameters.
    pub fn ecdsa(algorithm: TaAlgorithm, domain: Option<DomainParameters>, point: Vec<u8>) -> Self {
        Self {
            algorithm,
            material: KeyMaterial::Ec { domain, point },
        }
    }

    /// The domain parameters the key carries (CVCA keys).
    pub fn domain(&self) -> Option<&DomainParameters> {
        match &self.material {
            KeyMaterial::Ec { domain, .. } => domain.as_ref(),
            KeyMaterial::Rsa { .. } => None,
        }
    }

    /// The public point of an EC key.
    pub fn point(&self) -> Option<&[u8]> {
        match &self.material {
            KeyMaterial::Ec { point, .. } => Some(point),
            KeyMaterial::Rsa { .. } => None,
        }
    }

    /// Decodes the value of a `7F49` data object.
    pub fn decode(tlv: &Tlv<'_>) -> Result<Self, DecodeError> {
        const FIELD: &str = "public key";
        let mut r = tlv.children()?;
        let oid_tlv = r.expect(TAG_OID)?;
        crate::certificate::check_minimal(FIELD, &oid_tlv)?;
        let oid = Oid::from_der_content(oid_tlv.value())
            .ok_or_else(|| DecodeError::field(FIELD, &oid_tlv, FieldError::MalformedOid))?;
        let algorithm = TaAlgorithm::from_oid(&oid).ok_or_else(|| {
            DecodeError::field(FIELD, &oid_tlv, FieldError::UnknownAlgorithm(oid))
        })?;
        let mut items: Vec<Tlv<'_>> = Vec::new();
        while !r.is_empty() {
            let t = r.read()?;
            crate::certificate::check_minimal(FIELD, &t)?;
            if t.value().is_empty() {
                return Err(DecodeError::field(FIELD, &t, FieldError::Empty));
            }
            items.push(t);
        }
        // Tags strictly increasing: each at most once, in the order D.3 lists them.
        for pair in items.windows(2) {
            if let [a, b] = pair
                && a.tag() >= b.tag()
            {
                return Err(tlv::TlvError {
                    offset: b.offset(),
                    kind: tlv::TlvErrorKind::UnexpectedTag {
                        expected: Tag::new(a.tag().raw() + 1),
                        found: b.tag(),
                    },
                }
                .into());
            }
        }
        let get = |tag: u32| items.iter().find(|t| t.tag() == Tag::new(tag));
        let material = if algorithm.is_ecdsa() {
            if let Some(t) = items
                .iter()
                .find(|t| !(0x81..=0x87).contains(&t.tag().raw()))
            {
                return Err(DecodeError::field(
                    FIELD,
                    t,
                    FieldError::UnexpectedKeyObject(t.tag()),
                ));
            }
            let params: Vec<Option<&Tlv<'_>>> = (0x81..=0x85).map(get).collect();
            let domain = if params.iter().all(Option::is_some) {
                let v = |tag: u32| get(tag).map(|t| t.value().to_vec()).unwrap_or_default();
                let generator = get(0x84).ok_or_else(|| missing(tlv, 0x84))?;
                check_point(generator)?;
                Some(DomainParameters {
                    prime: v(0x81),
                    a: v(0x82),
                    b: v(0x83),
                    generator: v(0x84),
                    order: v(0x85),
                    cofactor: get(0x87).map(|t| t.value().to_vec()),
                })
            } else if params.iter().all(Option::is_none) {
                if let Some(f) = get(0x87) {
                    return Err(DecodeError::field(
                        FIELD,
                        f,
                        FieldError::UnexpectedKeyObject(f.tag()),
                    ));
                }
                None
            } else {
                return Err(DecodeError::field(
                    FIELD,
                    tlv,
                    FieldError::PartialDomainParameters,
                ));
            };
            let point = get(0x86).ok_or_else(|| missing(tlv, 0x86))?;
            check_point(point)?;
            KeyMaterial::Ec {
                domain,
                point: point.value().to_vec(),
            }
        } else {
            if let Some(t) = items
                .iter()
                .find(|t| !(0x81..=0x82).contains(&t.tag().raw()))
            {
                return Err(DecodeError::field(
                    FIELD,
                    t,
                    FieldError::UnexpectedKeyObject(t.tag()),
                ));
            }
            KeyMaterial::Rsa {
                modulus: get(0x81)
                    .ok_or_else(|| missing(tlv, 0x81))?
                    .value()
                    .to_vec(),
                exponent: get(0x82)
                    .ok_or_else(|| missing(tlv, 0x82))?
                    .value()
                    .to_vec(),
            }
        };
        Ok(Self {
            algorithm,
            material,
        })
    }

    /// Writes the `7F49` data object.
    pub fn encode_into(&self, w: &mut tlv::Writer) {
        w.constructed(Tag::new(0x7F49), |w| {
            w.primitive(TAG_OID, self.algorithm.oid().as_bytes());
            match &self.material {
                KeyMaterial::Ec { domain, point } => {
                    if let Some(d) = domain {
                        w.primitive(Tag::new(0x81), &d.prime);
                        w.primitive(Tag::new(0x82), &d.a);
                        w.primitive(Tag::new(0x83), &d.b);
                        w.primitive(Tag::new(0x84), &d.generator);
                        w.primitive(Tag::new(0x85), &d.order);
                        w.primitive(Tag::new(0x86), point);
                        if let Some(f) = &d.cofactor {
                            w.primitive(Tag::new(0x87), f);
                        }
                    } else {
                        w.primitive(Tag::new(0x86), point);
                    }
                }
                KeyMaterial::Rsa { modulus, exponent } => {
                    w.primitive(Tag::new(0x81), modulus);
                    w.primitive(Tag::new(0x82), exponent);
                }
            }
        });
    }
}

fn missing(tlv: &Tlv<'_>, tag: u32) -> DecodeError {
    DecodeError::field(
        "public key",
        tlv,
        FieldError::MissingKeyObject(Tag::new(tag)),
    )
}

fn check_point(t: &Tlv<'_>) -> Result<(), DecodeError> {
    let v = t.value();
    if v.first() != Some(&0x04) || v.len() < 3 || v.len().is_multiple_of(2) {
        return Err(DecodeError::field(
            "public key",
            t,
            FieldError::NotUncompressedPoint,
        ));
    }
    Ok(())
}

/// `bytes` without leading zero bytes (the integer's magnitude).
pub(crate) fn magnitude(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}
