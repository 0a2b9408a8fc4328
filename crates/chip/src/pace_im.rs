//! The PACE integrated mapping over elliptic curves (ICAO Doc 9303-11 §4.4.3.3.2; point
//! encoding of Appendix B.2 after Brier, Coron, Icart, Madore, Randriam and Tibouchi, CRYPTO
//! 2010): `Ĝ = f_G(R_p(s, t))`, where `s` is the chip's nonce (sent encrypted) and `t` the
//! terminal's (sent in clear in the mapping step, `7C {81 t}`; the chip answers `7C 00`).
//!
//! `R_p(s, t)`: with the session cipher `E` in CBC mode and IV 0, `k₀ = E(t, s)`; then for
//! `i = 0…n-1`: `x_{i+1} = E(k_i, c₁)`, `k_{i+1} = E(k_i, c₀)`, every key cut to the cipher's key
//! size `k`; `R_p = int(x₁‖…‖x_n) mod p` with `n` the smallest number such that
//! `n·l ≥ log₂ p + 64`. `l` is 128 bits for 3DES (whose `k` counts as 128) and AES-128, 256 bits
//! for AES-192 and AES-256, with the constants `c₀`, `c₁` of §4.4.3.3.2 for each. The terminal's
//! nonce `t` has the key length `k`; the chip's nonce `s` has `l` bits.
//!
//! `f_G` (Appendix B.2, affine coordinates, for `p ≡ 3 mod 4` and cofactor 1, which both
//! supported curves satisfy): `α = -t²`, `X₂ = -b(1 + α + α²)·(a(α + α²))^(p-2)`, `X₃ = α·X₂`,
//! `h₂ = X₂³ + a·X₂ + b`, `U = t³·h₂`, `A = h₂^(p-1-(p+1)/4)`; the point is `(X₂, A·h₂)` when
//! `A²·h₂ = 1`, else `(X₃, A·U)`.
//!
//! Checked against the worked example of 9303-11 Appendix H.1 (brainpoolP256r1, AES-128).

use elliptic_curve::bigint::modular::{FixedMontyForm, FixedMontyParams};
use elliptic_curve::bigint::{NonZero, Odd, U256, U512};

use crate::crypto::{self, Cipher};
use crate::ec::{Domain, Ec};
use crate::{ChipError, Malformation};
use permitkit_model::secret::SecretBytes;

/// `c₀` for `l = 128` (3DES, AES-128).
const C0_128: [u8; 16] = [
    0xa6, 0x68, 0x89, 0x2a, 0x7c, 0x41, 0xe3, 0xca, 0x73, 0x9f, 0x40, 0xb0, 0x57, 0xd8, 0x59, 0x04,
];
/// `c₁` for `l = 128`.
const C1_128: [u8; 16] = [
    0xa4, 0xe1, 0x36, 0xac, 0x72, 0x5f, 0x73, 0x8b, 0x01, 0xc1, 0xf6, 0x02, 0x17, 0xc1, 0x88, 0xad,
];
/// `c₀` for `l = 256` (AES-192, AES-256).
const C0_256: [u8; 32] = [
    0xd4, 0x63, 0xd6, 0x52, 0x34, 0x12, 0x4e, 0xf7, 0x89, 0x70, 0x54, 0x98, 0x6d, 0xca, 0x0a, 0x17,
    0x4e, 0x28, 0xdf, 0x75, 0x8c, 0xba, 0xa0, 0x3f, 0x24, 0x06, 0x16, 0x41, 0x4d, 0x5a, 0x16, 0x76,
];
/// `c₁` for `l = 256`.
const C1_256: [u8; 32] = [
    0x54, 0xbd, 0x72, 0x55, 0xf0, 0xaa, 0xf8, 0x31, 0xbe, 0xc3, 0x42, 0x3f, 0xcf, 0x39, 0xd6, 0x9b,
    0x6c, 0xbf, 0x06, 0x66, 0x77, 0xd0, 0xfa, 0xae, 0x5a, 0xad, 0xd9, 0x9d, 0xf8, 0xe5, 0x35, 0x17,
];

/// The curve's prime and coefficients as integers.
fn equation(domain: Domain) -> (U256, U256, U256) {
    let eq = domain.equation();
    (
        U256::from_be_hex(eq.p),
        U256::from_be_hex(eq.a),
        U256::from_be_hex(eq.b),
    )
}

/// Bits of both supported primes.
const P_BITS: usize = 256;

/// Length in bytes of the chip's nonce `s` for the integrated mapping: `l`, the smallest
/// multiple of the block size not shorter than the key (3DES counting as 128 bits).
pub fn chip_nonce_len(cipher: Cipher) -> usize {
    match cipher {
        Cipher::Tdes | Cipher::Aes128 => 16,
        Cipher::Aes192 | Cipher::Aes256 => 32,
    }
}

/// Length in bytes of the terminal's nonce `t`: the key size `k` (3DES counting as 128 bits).
pub fn terminal_nonce_len(cipher: Cipher) -> usize {
    cipher.key_len()
}

fn bad(what: &'static str) -> ChipError {
    ChipError::Malformed {
        what,
        reason: Malformation::NotOnCurve,
    }
}

/// `R(s, t)`, the pseudo-random octets before the reduction modulo `p` (`n·l` bits).
pub fn pseudo_random(cipher: Cipher, s: &[u8], t: &[u8]) -> Result<SecretBytes, ChipError> {
    let l = chip_nonce_len(cipher);
    let k = terminal_nonce_len(cipher);
    if s.len() != l {
        return Err(ChipError::Malformed {
            what: "PACE integrated mapping nonce s",
            reason: Malformation::Length {
                len: s.len(),
                expected: l,
            },
        });
    }
    if t.len() != k {
        return Err(ChipError::Malformed {
            what: "PACE integrated mapping nonce t",
            reason: Malformation::Length {
                len: t.len(),
                expected: k,
            },
        });
    }
    let (c0, c1): (&[u8], &[u8]) = if l == 16 {
        (&C0_128, &C1_128)
    } else {
        (&C0_256, &C1_256)
    };
    let n = (P_BITS + 64).div_ceil(l * 8);
    let iv = vec![0u8; cipher.block_len()];
    let mut key = zeroize::Zeroizing::new(crypto::encrypt_cbc(cipher, t, &iv, s)?);
    let mut out = Vec::with_capacity(n * l);
    for _ in 0..n {
        key.truncate(k);
        out.extend_from_slice(&crypto::encrypt_cbc(cipher, &key, &iv, c1)?);
        key = zeroize::Zeroizing::new(crypto::encrypt_cbc(cipher, &key, &iv, c0)?);
    }
    Ok(SecretBytes::new(out))
}

/// `R_p(s, t) = int(R(s, t)) mod p`, 32 bytes big-endian.
pub fn pseudo_random_mod_p(
    domain: Domain,
    cipher: Cipher,
    s: &[u8],
    t: &[u8],
) -> Result<SecretBytes, ChipError> {
    let r = pseudo_random(cipher, s, t)?;
    let mut wide = zeroize::Zeroizing::new([0u8; 64]);
    let bytes = r.expose();
    let at = wide
        .len()
        .checked_sub(bytes.len())
        .ok_or_else(|| bad("pseudo-random number"))?;
    for (d, b) in wide.iter_mut().skip(at).zip(bytes) {
        *d = *b;
    }
    let x = U512::from_be_slice(wide.as_slice());
    let (lo, hi) = x.split();
    let (p, _, _) = equation(domain);
    let p: Option<NonZero<U256>> = NonZero::new(p).into();
    let p = p.ok_or_else(|| bad("prime"))?;
    let reduced = U256::rem_wide((lo, hi), &p);
    Ok(SecretBytes::new(reduced.to_be_bytes().as_ref().to_vec()))
}

/// `f_G(u)`: the point of Appendix B.2 for the field element `u` (32 bytes big-endian, below
/// `p`), SEC1 uncompressed, validated on the curve.
pub fn point_encoding(domain: Domain, u: &[u8]) -> Result<Vec<u8>, ChipError> {
    let (prime, eq_a, eq_b) = equation(domain);
    let modulus: Option<Odd<U256>> = Odd::new(prime).into();
    let params = FixedMontyParams::new_vartime(modulus.ok_or_else(|| bad("prime"))?);
    let field = |v: &U256| FixedMontyForm::new(v, &params);
    if u.len() != 32 {
        return Err(bad("field element"));
    }
    let t = field(&U256::from_be_slice(u));
    let (a, b) = (field(&eq_a), field(&eq_b));
    let one = FixedMontyForm::one(&params);
    let p_minus_2 = prime.wrapping_sub(&U256::from_u8(2));
    // p − 1 − (p + 1)/4
    let exp_a = prime
        .wrapping_sub(&U256::ONE)
        .wrapping_sub(&prime.wrapping_add(&U256::ONE).shr_vartime(2));

    let alpha = t.square().neg();
    let alpha_alpha2 = alpha.add(&alpha.square());
    let x2 = b
        .neg()
        .mul(&one.add(&alpha_alpha2))
        .mul(&a.mul(&alpha_alpha2).pow(&p_minus_2));
    let x3 = alpha.mul(&x2);
    let h2 = x2.square().mul(&x2).add(&a.mul(&x2)).add(&b);
    let u_value = t.square().mul(&t).mul(&h2);
    let big_a = h2.pow(&exp_a);
    let (x, y) = if big_a.square().mul(&h2).retrieve() == U256::ONE {
        (x2, big_a.mul(&h2))
    } else {
        (x3, big_a.mul(&u_value))
    };
    let mut point = Vec::with_capacity(65);
    point.push(0x04);
    point.extend_from_slice(x.retrieve().to_be_bytes().as_ref());
    point.extend_from_slice(y.retrieve().to_be_bytes().as_ref());
    Ec(domain).check_point(&point)?;
    Ok(point)
}

/// The mapped generator `Ĝ = f_G(R_p(s, t))`.
pub fn map_generator(
    domain: Domain,
    cipher: Cipher,
    s: &[u8],
    t: &[u8],
) -> Result<Vec<u8>, ChipError> {
    let u = pseudo_random_mod_p(domain, cipher, s, t)?;
    point_encoding(domain, u.expose())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace([' ', '\n'], "")).unwrap()
    }

    // ICAO 9303-11 Appendix H.1 (ECDH, brainpoolP256r1, AES-128; password CAN 123456).
    const S: &str = "2923BE84 E16CD6AE 529049F1 F1BBE9EB";
    const T: &str = "5DD4CBFC 96F5453B 130D890A 1CDBAE32";

    #[test]
    fn pseudo_random_function_matches_9303_11_appendix_h1() {
        let r = pseudo_random(Cipher::Aes128, &h(S), &h(T)).unwrap();
        assert_eq!(
            r.expose(),
            h(
                "E4447E2D FB3586BA C05DDB00 156B57FB B2179A39 49294C97 25418980 0C517BAA \
               8DA0FF39 7ED8C445 D3E421E4 FEB57322"
            )
        );
        let rp =
            pseudo_random_mod_p(Domain::BrainpoolP256r1, Cipher::Aes128, &h(S), &h(T)).unwrap();
        assert_eq!(
            rp.expose(),
            h("A2F8FF2D F50E52C6 599F386A DCB595D2 29F6A167 ADE2BE5F 2C3296AD D5B7430E")
        );
    }

    #[test]
    fn point_encoding_matches_9303_11_appendix_h1() {
        let g = map_generator(Domain::BrainpoolP256r1, Cipher::Aes128, &h(S), &h(T)).unwrap();
        let mut expected = vec![4];
        expected.extend(h(
            "8E82D315 59ED0FDE 92A4D049 8ADD3C23 BABA94FB 77691E31 E90AEA77 FB17D427",
        ));
        expected.extend(h(
            "4C1AE14B D0C3DBAC 0C871B7F 36081693 64437CA3 0AC243A0 89D3F266 C1E60FAD",
        ));
        assert_eq!(g, expected);
    }

    #[test]
    fn every_cipher_maps_onto_both_curves() {
        for cipher in [Cipher::Tdes, Cipher::Aes128, Cipher::Aes192, Cipher::Aes256] {
            let s = vec![0x11; chip_nonce_len(cipher)];
            let t = vec![0x22; terminal_nonce_len(cipher)];
            for domain in [Domain::P256, Domain::BrainpoolP256r1] {
                let g = map_generator(domain, cipher, &s, &t).unwrap();
                assert!(Ec(domain).check_point(&g).is_ok(), "{cipher} {domain}");
            }
        }
        // Nonces of the wrong length are errors, not panics.
        assert!(map_generator(Domain::P256, Cipher::Aes256, &[0; 16], &[0; 32]).is_err());
        assert!(map_generator(Domain::P256, Cipher::Aes128, &[0; 16], &[0; 24]).is_err());
        assert!(point_encoding(Domain::P256, &[0; 31]).is_err());
    }
}
