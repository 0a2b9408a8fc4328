//! The curves CV certificate signatures are checked on, and ECDSA verification (BSI TR-03111
//! §4.2.1.4 ECDSA, §5.2.1 plain `r ‖ s` signatures; TR-03110-3 D.3.3 explicit domain
//! parameters).
//!
//! A CVCA certificate names its curve only by its explicit parameters; [`Curve::identify`]
//! recognises the curves below from them (p, a, b, G, r and a cofactor of 1). Parameter values:
//! SEC 2 v2 §2.4.2 / §2.5.1 (P-256, P-384) and RFC 5639 §3.4 / §3.6 (brainpoolP256r1,
//! brainpoolP384r1), checked against `openssl ecparam -param_enc explicit`.

use signature::hazmat::PrehashVerifier;

use crate::public_key::{DomainParameters, magnitude};
use crate::{HashAlgorithm, TaAlgorithm};

/// A curve whose ECDSA signatures this crate verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Curve {
    /// NIST P-256 (secp256r1).
    P256,
    /// brainpoolP256r1.
    BrainpoolP256r1,
    /// NIST P-384 (secp384r1).
    P384,
    /// brainpoolP384r1.
    BrainpoolP384r1,
}

/// Why a signature does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The chain gives no domain parameters for the key (no CVCA key above it).
    #[error("no elliptic-curve domain parameters for the key (its CVCA certificate carries them)")]
    NoDomainParameters,
    /// Domain parameters of a curve this crate does not know.
    #[error("the domain parameters are not one of P-256, P-384, brainpoolP256r1, brainpoolP384r1")]
    UnsupportedCurve,
    /// An algorithm other than ECDSA.
    #[error("{0} signatures are not supported (ECDSA only)")]
    UnsupportedAlgorithm(TaAlgorithm),
    /// The public point is not on the curve.
    #[error("the public key is not a point on {0}")]
    InvalidPoint(Curve),
    /// The signature does not have the size of `r ‖ s` on the curve, or r or s is out of range.
    #[error("the signature is {len} bytes, not a plain r || s of {expected} bytes on {curve}")]
    MalformedSignature {
        /// The curve.
        curve: Curve,
        /// Bytes received.
        len: usize,
        /// Bytes expected.
        expected: usize,
    },
    /// The signature is well formed and does not verify.
    #[error("the signature does not verify")]
    Mismatch,
}

struct Params {
    p: &'static str,
    a: &'static str,
    b: &'static str,
    g: &'static str,
    r: &'static str,
}

const P256: Params = Params {
    p: "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF",
    a: "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFC",
    b: "5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B",
    g: "046B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C2964FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5",
    r: "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551",
};
const BP256R1: Params = Params {
    p: "A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377",
    a: "7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9",
    b: "26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6",
    g: "048BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997",
    r: "A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7",
};
const P384: Params = Params {
    p: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFF0000000000000000FFFFFFFF",
    a: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFF0000000000000000FFFFFFFC",
    b: "B3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875AC656398D8A2ED19D2A85C8EDD3EC2AEF",
    g: "04AA87CA22BE8B05378EB1C71EF320AD746E1D3B628BA79B9859F741E082542A385502F25DBF55296C3A545E3872760AB73617DE4A96262C6F5D9E98BF9292DC29F8F41DBD289A147CE9DA3113B5F0B8C00A60B1CE1D7E819D7A431D7C90EA0E5F",
    r: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973",
};
const BP384R1: Params = Params {
    p: "8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B412B1DA197FB71123ACD3A729901D1A71874700133107EC53",
    a: "7BC382C63D8C150C3C72080ACE05AFA0C2BEA28E4FB22787139165EFBA91F90F8AA5814A503AD4EB04A8C7DD22CE2826",
    b: "04A8C7DD22CE28268B39B55416F0447C2FB77DE107DCD2A62E880EA53EEB62D57CB4390295DBC9943AB78696FA504C11",
    g: "041D1C64F068CF45FFA2A63A81B7C13F6B8847A3E77EF14FE3DB7FCAFE0CBD10E8E826E03436D646AAEF87B2E247D4AF1E8ABE1D7520F9C2A45CB1EB8E95CFD55262B70B29FEEC5864E19C054FF99129280E4646217791811142820341263C5315",
    r: "8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B31F166E6CAC0425A7CF3AB6AF6B7FC3103B883202E9046565",
};

const ALL: [Curve; 4] = [
    Curve::P256,
    Curve::BrainpoolP256r1,
    Curve::P384,
    Curve::BrainpoolP384r1,
];

fn unhex(s: &str) -> Vec<u8> {
    s.as_bytes()
        .chunks(2)
        .filter_map(|pair| std::str::from_utf8(pair).ok())
        .filter_map(|pair| u8::from_str_radix(pair, 16).ok())
        .collect()
}

impl Curve {
    fn params(self) -> &'static Params {
        match self {
            Curve::P256 => &P256,
            Curve::BrainpoolP256r1 => &BP256R1,
            Curve::P384 => &P384,
            Curve::BrainpoolP384r1 => &BP384R1,
        }
    }

    /// The curve whose parameters these are, if it is one of [`Curve`]'s.
    pub fn identify(domain: &DomainParameters) -> Option<Self> {
        let cofactor_one = domain
            .cofactor
            .as_deref()
            .is_none_or(|f| magnitude(f) == [1]);
        if !cofactor_one {
            return None;
        }
        ALL.into_iter().find(|c| {
            let p = c.params();
            let same = |ours: &str, theirs: &[u8]| magnitude(&unhex(ours)) == magnitude(theirs);
            same(p.p, &domain.prime)
                && same(p.a, &domain.a)
                && same(p.b, &domain.b)
                && unhex(p.g) == domain.generator
                && same(p.r, &domain.order)
        })
    }

    /// The explicit domain parameters a CVCA certificate carries for this curve (each integer
    /// as many bytes as the field, cofactor `01`).
    pub fn domain_parameters(self) -> DomainParameters {
        let p = self.params();
        DomainParameters {
            prime: unhex(p.p),
            a: unhex(p.a),
            b: unhex(p.b),
            generator: unhex(p.g),
            order: unhex(p.r),
            cofactor: Some(vec![1]),
        }
    }

    /// Bytes of a field element (and of r or s).
    pub fn field_len(self) -> usize {
        match self {
            Curve::P256 | Curve::BrainpoolP256r1 => 32,
            Curve::P384 | Curve::BrainpoolP384r1 => 48,
        }
    }

    /// The hash its keys sign with in the EAC PKI of this crate's users: SHA-256 on the 256-bit
    /// curves, SHA-384 on the 384-bit ones (the curve's own ECDSA digest).
    pub fn default_algorithm(self) -> TaAlgorithm {
        match self {
            Curve::P256 | Curve::BrainpoolP256r1 => TaAlgorithm::Ecdsa(HashAlgorithm::Sha256),
            Curve::P384 | Curve::BrainpoolP384r1 => TaAlgorithm::Ecdsa(HashAlgorithm::Sha384),
        }
    }

    /// Verifies a plain `r ‖ s` ECDSA signature over `message`, hashed with `hash`, with the
    /// public point `point` (`04 ‖ x ‖ y`).
    pub fn verify(
        self,
        hash: HashAlgorithm,
        point: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), VerifyError> {
        let expected = 2 * self.field_len();
        if signature.len() != expected {
            return Err(VerifyError::MalformedSignature {
                curve: self,
                len: signature.len(),
                expected,
            });
        }
        let digest = hash.digest(message);
        match self {
            Curve::P256 => verify_on::<p256::NistP256>(self, point, &digest, signature),
            Curve::BrainpoolP256r1 => {
                verify_on::<bp256::BrainpoolP256r1>(self, point, &digest, signature)
            }
            Curve::P384 => verify_on::<p384::NistP384>(self, point, &digest, signature),
            Curve::BrainpoolP384r1 => {
                verify_on::<bp384::BrainpoolP384r1>(self, point, &digest, signature)
            }
        }
    }

    /// The x-coordinate of an uncompressed point: `Comp()` of an ECDH public key (BSI TR-03110-3
    /// A.2.2.3), checking that the point is on the curve.
    pub fn compress(self, point: &[u8]) -> Result<Vec<u8>, VerifyError> {
        let valid = match self {
            Curve::P256 => on_curve::<p256::NistP256>(point),
            Curve::BrainpoolP256r1 => on_curve::<bp256::BrainpoolP256r1>(point),
            Curve::P384 => on_curve::<p384::NistP384>(point),
            Curve::BrainpoolP384r1 => on_curve::<bp384::BrainpoolP384r1>(point),
        };
        let n = self.field_len();
        match point.get(1..=n) {
            Some(x) if valid && point.len() == 2 * n + 1 => Ok(x.to_vec()),
            _ => Err(VerifyError::InvalidPoint(self)),
        }
    }
}

fn on_curve<C>(point: &[u8]) -> bool
where
    C: ecdsa::EcdsaCurve + elliptic_curve::CurveArithmetic,
    elliptic_curve::AffinePoint<C>:
        elliptic_curve::sec1::FromSec1Point<C> + elliptic_curve::sec1::ToSec1Point<C>,
    elliptic_curve::FieldBytesSize<C>: elliptic_curve::sec1::ModulusSize,
{
    ecdsa::VerifyingKey::<C>::from_sec1_bytes(point).is_ok()
}

fn verify_on<C>(
    curve: Curve,
    point: &[u8],
    digest: &[u8],
    signature: &[u8],
) -> Result<(), VerifyError>
where
    C: ecdsa::EcdsaCurve + elliptic_curve::CurveArithmetic,
    elliptic_curve::AffinePoint<C>:
        elliptic_curve::sec1::FromSec1Point<C> + elliptic_curve::sec1::ToSec1Point<C>,
    elliptic_curve::FieldBytesSize<C>: elliptic_curve::sec1::ModulusSize,
    ecdsa::SignatureSize<C>: elliptic_curve::array::ArraySize,
{
    let key = ecdsa::VerifyingKey::<C>::from_sec1_bytes(point)
        .map_err(|_| VerifyError::InvalidPoint(curve))?;
    let sig = ecdsa::Signature::<C>::from_slice(signature).map_err(|_| {
        VerifyError::MalformedSignature {
            curve,
            len: signature.len(),
            expected: 2 * curve.field_len(),
        }
    })?;
    key.verify_prehash(digest, &sig)
        .map_err(|_| VerifyError::Mismatch)
}

impl std::fmt::Display for Curve {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Curve::P256 => "NIST P-256",
            Curve::BrainpoolP256r1 => "brainpoolP256r1",
            Curve::P384 => "NIST P-384",
            Curve::BrainpoolP384r1 => "brainpoolP384r1",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_curve_is_recognised_from_its_own_parameters() {
        for c in ALL {
            let d = c.domain_parameters();
            assert_eq!(Curve::identify(&d), Some(c), "{c}");
            assert_eq!(d.prime.len(), c.field_len());
            assert_eq!(d.generator.len(), 2 * c.field_len() + 1);
            let mut wrong = d.clone();
            wrong.cofactor = Some(vec![2]);
            assert_eq!(Curve::identify(&wrong), None);
        }
    }

    #[test]
    fn the_generator_is_on_its_curve() {
        for c in ALL {
            let g = c.domain_parameters().generator;
            assert_eq!(c.compress(&g).unwrap(), g[1..=c.field_len()].to_vec());
            let mut off = g.clone();
            *off.last_mut().unwrap() ^= 1;
            assert_eq!(c.compress(&off), Err(VerifyError::InvalidPoint(c)));
        }
    }
}
