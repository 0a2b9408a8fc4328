//! Elliptic-curve arithmetic of the eMRTD protocols (BSI TR-03111 §3; ICAO Doc 9303-11 §9.5:
//! standardized domain parameters 12 NIST P-256 and 13 brainpoolP256r1), on SEC1 uncompressed
//! points and big-endian scalars, dispatched on the [`Domain`], so that PACE (§4.4), Chip
//! Authentication (§6.2) and the Chip Authentication Mapping (§4.4.3.5) are curve-agnostic.
//!
//! Every point received is decoded with the curve's own validation (on the curve, not the
//! identity); every scalar is checked to be in `[1, n-1]`. Static Chip Authentication private
//! keys travel as PKCS#8 DER (RFC 5208, with the curve's OID in the RFC 5915 parameters).

use crate::random::{RandomError, RandomSource};
use crate::{ChipError, Malformation};
use permitkit_lds::security_infos::{PARAM_ID_BRAINPOOL_P256R1, PARAM_ID_P256};
use permitkit_model::secret::SecretBytes;

/// The elliptic-curve domain parameters supported here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Domain {
    /// NIST P-256 (secp256r1), parameter id 12.
    P256,
    /// brainpoolP256r1, parameter id 13.
    BrainpoolP256r1,
}

/// DER content of the OID prime256v1 (1.2.840.10045.3.1.7, RFC 5480 §2.1.1.1).
pub const PRIME256V1_OID: [u8; 8] = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
/// DER content of the OID brainpoolP256r1 (1.3.36.3.3.2.8.1.1.7, RFC 5639 §4.1).
pub const BRAINPOOL_P256R1_OID: [u8; 9] = [0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07];

impl Domain {
    /// From a standardized parameter id (9303-11 §9.5.1).
    pub fn from_parameter_id(id: u32) -> Option<Self> {
        match id {
            PARAM_ID_P256 => Some(Domain::P256),
            PARAM_ID_BRAINPOOL_P256R1 => Some(Domain::BrainpoolP256r1),
            _ => None,
        }
    }

    /// The standardized parameter id.
    pub fn parameter_id(self) -> u32 {
        match self {
            Domain::P256 => PARAM_ID_P256,
            Domain::BrainpoolP256r1 => PARAM_ID_BRAINPOOL_P256R1,
        }
    }

    /// From the DER content of a named-curve OID.
    pub fn from_curve_oid(oid: &[u8]) -> Option<Self> {
        if oid == PRIME256V1_OID {
            Some(Domain::P256)
        } else if oid == BRAINPOOL_P256R1_OID {
            Some(Domain::BrainpoolP256r1)
        } else {
            None
        }
    }

    /// The DER content of the curve's OID.
    pub fn curve_oid(self) -> &'static [u8] {
        match self {
            Domain::P256 => &PRIME256V1_OID,
            Domain::BrainpoolP256r1 => &BRAINPOOL_P256R1_OID,
        }
    }

    /// The curve's name.
    pub fn name(self) -> &'static str {
        match self {
            Domain::P256 => "NIST P-256",
            Domain::BrainpoolP256r1 => "brainpoolP256r1",
        }
    }
}

impl std::fmt::Display for Domain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Prime `p` and coefficients `a`, `b` of `y² = x³ + ax + b`, big-endian hex (FIPS 186-4
/// D.1.2.3 for P-256; RFC 5639 §3.4 for brainpoolP256r1).
#[derive(Debug, Clone, Copy)]
pub(crate) struct CurveEquation {
    pub(crate) p: &'static str,
    pub(crate) a: &'static str,
    pub(crate) b: &'static str,
}

impl Domain {
    pub(crate) fn equation(self) -> CurveEquation {
        match self {
            Domain::P256 => CurveEquation {
                p: "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF",
                a: "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFC",
                b: "5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B",
            },
            Domain::BrainpoolP256r1 => CurveEquation {
                p: "A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377",
                a: "7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9",
                b: "26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6",
            },
        }
    }

    /// The domain whose prime, coefficients and generator (SEC1 uncompressed) these are:
    /// explicit ECParameters (RFC 3279 §2.3.5) as some chips write them in DG14.
    pub fn from_explicit(p: &[u8], a: &[u8], b: &[u8], generator: &[u8]) -> Option<Self> {
        let strip = |v: &[u8]| -> Vec<u8> {
            let first = v.iter().position(|x| *x != 0).unwrap_or(v.len());
            v.get(first..).unwrap_or_default().to_vec()
        };
        [Domain::P256, Domain::BrainpoolP256r1]
            .into_iter()
            .find(|d| {
                let eq = d.equation();
                let hex = |h: &str| strip(&hex::decode(h).unwrap_or_default());
                strip(p) == hex(eq.p)
                    && strip(a) == hex(eq.a)
                    && strip(b) == hex(eq.b)
                    && Ec(*d).mul_generator(&[1]).is_ok_and(|g| g == generator)
            })
    }
}

/// Elliptic-curve operations on one [`Domain`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ec(pub(crate) Domain);

macro_rules! curve_ops {
    ($module:ident, $curve:ty) => {
        mod $module {
            use elliptic_curve::ops::Reduce;
            use elliptic_curve::pkcs8::{DecodePrivateKey, EncodePrivateKey};
            use elliptic_curve::point::AffineCoordinates;
            use elliptic_curve::sec1::{FromSec1Point, ToSec1Point};
            use elliptic_curve::{
                AffinePoint, Field, FieldBytes, Group, PrimeField, ProjectivePoint, Scalar,
                SecretKey,
            };

            use crate::{ChipError, Malformation};
            use permitkit_model::secret::SecretBytes;

            type C = $curve;

            fn bad(what: &'static str) -> ChipError {
                ChipError::Malformed {
                    what,
                    reason: Malformation::NotOnCurve,
                }
            }

            fn field_bytes(k: &[u8]) -> Result<FieldBytes<C>, ChipError> {
                let mut fb = FieldBytes::<C>::default();
                let n = fb.len();
                if k.len() > n {
                    return Err(bad("scalar"));
                }
                for (d, s) in fb.iter_mut().skip(n - k.len()).zip(k) {
                    *d = *s;
                }
                Ok(fb)
            }

            fn scalar(k: &[u8]) -> Result<Scalar<C>, ChipError> {
                let s: Option<Scalar<C>> = Scalar::<C>::from_repr(field_bytes(k)?).into();
                s.filter(|s| !bool::from(Field::is_zero(s)))
                    .ok_or_else(|| bad("scalar"))
            }

            fn point(b: &[u8]) -> Result<ProjectivePoint<C>, ChipError> {
                // Uncompressed points only (9303-11 §4.4.3.2).
                if b.first() != Some(&0x04) {
                    return Err(bad("public key"));
                }
                let p = AffinePoint::<C>::from_sec1_bytes(b).map_err(|_| bad("public key"))?;
                if bool::from(p.is_identity()) {
                    return Err(bad("public key"));
                }
                Ok(ProjectivePoint::<C>::from(p))
            }

            fn encode(p: ProjectivePoint<C>) -> Result<Vec<u8>, ChipError> {
                if bool::from(p.is_identity()) {
                    return Err(bad("computed point"));
                }
                Ok(p.to_affine().to_sec1_point(false).as_bytes().to_vec())
            }

            pub(super) fn field_len() -> usize {
                FieldBytes::<C>::default().len()
            }

            pub(super) fn valid_scalar(k: &[u8]) -> bool {
                scalar(k).is_ok()
            }

            pub(super) fn check_point(p: &[u8]) -> Result<(), ChipError> {
                point(p).map(|_| ())
            }

            pub(super) fn mul_generator(k: &[u8]) -> Result<Vec<u8>, ChipError> {
                encode(ProjectivePoint::<C>::generator() * scalar(k)?)
            }

            pub(super) fn mul(p: &[u8], k: &[u8]) -> Result<Vec<u8>, ChipError> {
                encode(point(p)? * scalar(k)?)
            }

            pub(super) fn shared_x(p: &[u8], k: &[u8]) -> Result<SecretBytes, ChipError> {
                let q = (point(p)? * scalar(k)?).to_affine();
                if bool::from(q.is_identity()) {
                    return Err(bad("shared secret"));
                }
                Ok(SecretBytes::new(q.x().to_vec()))
            }

            pub(super) fn map_generator(s: &[u8], h: &[u8]) -> Result<Vec<u8>, ChipError> {
                let s = <Scalar<C> as Reduce<FieldBytes<C>>>::reduce(&field_bytes(s)?);
                encode(ProjectivePoint::<C>::generator() * s + point(h)?)
            }

            pub(super) fn inverse_times(a: &[u8], b: &[u8]) -> Result<SecretBytes, ChipError> {
                let inv: Option<Scalar<C>> = scalar(a)?.invert().into();
                let product = inv.ok_or_else(|| bad("scalar"))? * scalar(b)?;
                Ok(SecretBytes::new(product.to_repr().to_vec()))
            }

            pub(super) fn from_pkcs8(der: &[u8]) -> Option<SecretBytes> {
                let key = SecretKey::<C>::from_pkcs8_der(der).ok()?;
                Some(SecretBytes::new(key.to_bytes().to_vec()))
            }

            pub(super) fn to_pkcs8(k: &[u8]) -> Result<SecretBytes, ChipError> {
                let key = SecretKey::<C>::from_slice(k).map_err(|_| bad("scalar"))?;
                let der = key.to_pkcs8_der().map_err(|_| bad("scalar"))?;
                Ok(SecretBytes::from_slice(der.as_bytes()))
            }
        }
    };
}

curve_ops!(ops_p256, p256::NistP256);
curve_ops!(ops_bp256, bp256::BrainpoolP256r1);

macro_rules! dispatch {
    ($self:expr, $f:ident ( $($arg:expr),* )) => {
        match $self.0 {
            Domain::P256 => ops_p256::$f($($arg),*),
            Domain::BrainpoolP256r1 => ops_bp256::$f($($arg),*),
        }
    };
}

impl Ec {
    /// Bytes of a field element (and of a scalar: both curves have 256-bit orders).
    pub(crate) fn field_len(self) -> usize {
        dispatch!(self, field_len())
    }

    /// A uniformly random valid scalar (rejection sampling).
    pub(crate) fn random_scalar(
        self,
        rng: &mut dyn RandomSource,
    ) -> Result<SecretBytes, ChipError> {
        const DRAWS: u32 = 64;
        for _ in 0..DRAWS {
            let k = crate::bac::random_secret(rng, self.field_len())?;
            if dispatch!(self, valid_scalar(k.expose())) {
                return Ok(k);
            }
        }
        Err(RandomError::NoValidScalar(DRAWS).into())
    }

    /// True when `k` is a scalar in `[1, n-1]`.
    pub(crate) fn valid_scalar(self, k: &[u8]) -> bool {
        dispatch!(self, valid_scalar(k))
    }

    /// `Ok` when `p` is an uncompressed point on the curve other than the identity.
    pub(crate) fn check_point(self, p: &[u8]) -> Result<(), ChipError> {
        dispatch!(self, check_point(p))
    }

    /// `k·G`.
    pub(crate) fn mul_generator(self, k: &[u8]) -> Result<Vec<u8>, ChipError> {
        dispatch!(self, mul_generator(k))
    }

    /// `k·P`.
    pub(crate) fn mul(self, p: &[u8], k: &[u8]) -> Result<Vec<u8>, ChipError> {
        dispatch!(self, mul(p, k))
    }

    /// The x-coordinate of `k·P` (ECKA-DH, TR-03111 §4.3.1).
    pub(crate) fn shared_x(self, p: &[u8], k: &[u8]) -> Result<SecretBytes, ChipError> {
        dispatch!(self, shared_x(p, k))
    }

    /// `s·G + H` (the PACE generic mapping).
    pub(crate) fn map_generator(self, s: &[u8], h: &[u8]) -> Result<Vec<u8>, ChipError> {
        dispatch!(self, map_generator(s, h))
    }

    /// `a⁻¹·b mod n` (the Chip Authentication Data of PACE-CAM).
    pub(crate) fn inverse_times(self, a: &[u8], b: &[u8]) -> Result<SecretBytes, ChipError> {
        dispatch!(self, inverse_times(a, b))
    }

    /// The scalar of a PKCS#8 private key on this curve; `None` when it is not one.
    pub(crate) fn private_from_pkcs8(self, der: &[u8]) -> Option<SecretBytes> {
        dispatch!(self, from_pkcs8(der))
    }

    /// The PKCS#8 DER of the private key `k`.
    pub(crate) fn private_to_pkcs8(self, k: &[u8]) -> Result<SecretBytes, ChipError> {
        dispatch!(self, to_pkcs8(k))
    }
}

/// A static private key on a supported curve, from PKCS#8 DER: its domain and scalar.
pub fn private_key_from_pkcs8(der: &[u8]) -> Option<(Domain, SecretBytes)> {
    [Domain::P256, Domain::BrainpoolP256r1]
        .into_iter()
        .find_map(|d| Ec(d).private_from_pkcs8(der).map(|k| (d, k)))
}

/// A fresh key pair on `domain`: the private key as PKCS#8 DER and the public point.
pub fn generate_key_pair(
    domain: Domain,
    rng: &mut dyn RandomSource,
) -> Result<(SecretBytes, Vec<u8>), ChipError> {
    let ec = Ec(domain);
    let k = ec.random_scalar(rng)?;
    let point = ec.mul_generator(k.expose())?;
    Ok((ec.private_to_pkcs8(k.expose())?, point))
}

/// The public point of a PKCS#8 private key.
pub fn public_point(domain: Domain, private_key: &SecretBytes) -> Result<Vec<u8>, ChipError> {
    let ec = Ec(domain);
    let k = ec
        .private_from_pkcs8(private_key.expose())
        .ok_or(ChipError::Malformed {
            what: "private key",
            reason: Malformation::NotOnCurve,
        })?;
    ec.mul_generator(k.expose())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::OsRandom;

    #[test]
    fn pkcs8_round_trips_on_both_curves_and_names_the_curve() {
        for domain in [Domain::P256, Domain::BrainpoolP256r1] {
            let (private, point) = generate_key_pair(domain, &mut OsRandom).unwrap();
            let (found, _) = private_key_from_pkcs8(private.expose()).unwrap();
            assert_eq!(found, domain);
            assert_eq!(public_point(domain, &private).unwrap(), point);
            assert!(Ec(domain).check_point(&point).is_ok());
        }
        assert!(private_key_from_pkcs8(&[0x30, 0x00]).is_none());
    }

    #[test]
    fn compressed_identity_and_off_curve_points_are_refused() {
        let ec = Ec(Domain::P256);
        let (_, point) = generate_key_pair(Domain::P256, &mut OsRandom).unwrap();
        let mut compressed = vec![0x02 | (point[64] & 1)];
        compressed.extend_from_slice(&point[1..33]);
        assert!(ec.check_point(&compressed).is_err());
        assert!(ec.check_point(&[0x00]).is_err());
        let mut off = point.clone();
        off[64] ^= 1;
        assert!(ec.check_point(&off).is_err());
        assert!(ec.mul(&off, &[1]).is_err());
    }
}
