//! Chip Authentication on the virtual chip (ICAO Doc 9303-11 §6.2; BSI TR-03110-3 §B.11) and
//! its static key pairs.
//!
//! - MSE:Set KAT `00 22 41 A6 {91 PK_PCD, [84 keyId]}` (3DES, Chip Authentication version 1):
//!   the key agreement at once.
//! - MSE:Set AT `00 22 41 A4 {80 id-CA-ECDH-AES-*, [84 keyId]}` then GENERAL AUTHENTICATE
//!   `00 86 00 00 7C {80 PK_PCD}`, answered `7C 00`.
//!
//! Both only under secure messaging. The answer goes out under the old session; the chip then
//! restarts secure messaging with `KDF(K, 1)`, `KDF(K, 2)` and SSC 0 ([`EacCa::take_restart`]).
//! A point that is not on the key's curve, an unknown key id or protocol is an error status
//! (`6A80`, `6A88`), never a panic; the session the terminal had stays as it was.
//!
//! Keys (permitkit-v1 personalization extensions, `hardware-profiles/chips/README.md`):
//! GENERATE ASYMMETRIC KEY PAIR `00 46 00 00 A4 {[84 keyId], 06 <curve OID>}` makes a key pair on
//! the chip and answers its public key `7F49 {06 curve, 86 point}` (the private key never
//! leaves the chip); PUT DATA `00 DA 00 6B 6B {[84 keyId], 04 <PKCS#8>}` stores one made
//! outside. A key with the same id replaces the earlier one. PACE-CAM uses the key whose id is
//! the PACE parameter id ([`cam_key`]).

use permitkit_chip::ca::{self, CaKeyPair};
use permitkit_chip::crypto::Cipher;
use permitkit_chip::random::RandomSource;
use permitkit_chip::sm::SmSession;
use permitkit_iso7816::apdu::{CommandApdu, ResponseApdu, StatusWord};
use permitkit_iso7816::tlv::{self, Tag};
use permitkit_lds::security_infos::{CaProtocol, ObjectIdentifier};

/// Chip Authentication state of one session.
#[derive(Default)]
pub struct EacCa {
    /// MSE:Set AT chose the cipher and key; GENERAL AUTHENTICATE follows.
    pending: Option<(Cipher, Option<u32>)>,
    /// The session to start once the answer has gone out, and the terminal's key.
    restart: Option<(SmSession, Vec<u8>)>,
}

impl std::fmt::Debug for EacCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EacCa")
            .field("pending", &self.pending)
            .field("restart", &self.restart.is_some())
            .finish()
    }
}

impl EacCa {
    /// True for the commands of Chip Authentication: MSE:Set KAT and Set AT with P1 `41`, and
    /// GENERAL AUTHENTICATE after such a Set AT.
    pub fn handles(&self, cmd: &CommandApdu) -> bool {
        match (cmd.ins(), cmd.p1(), cmd.p2()) {
            (0x22, 0x41, 0xA6 | 0xA4) => true,
            (0x86, 0x00, 0x00) => self.pending.is_some() && cmd.cla() & 0x10 == 0,
            _ => false,
        }
    }

    /// Processes one Chip Authentication command with the chip's `keys`; `secure` says whether
    /// it came under secure messaging.
    pub fn process(
        &mut self,
        cmd: &CommandApdu,
        secure: bool,
        keys: &[CaKeyPair],
    ) -> Result<ResponseApdu, StatusWord> {
        let pending = self.pending.take();
        if !secure {
            return Err(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        }
        fn wrong<E>(_: E) -> StatusWord {
            StatusWord::WRONG_DATA
        }
        match (cmd.ins(), cmd.p2()) {
            (0x22, 0xA6) => {
                let mut r = tlv::Reader::new(cmd.data());
                let pk = r.expect(Tag::new(0x91)).map_err(wrong)?;
                let key_id = key_id(&mut r)?;
                r.finish().map_err(wrong)?;
                let key = find_key(keys, key_id)?;
                self.agree(key, Cipher::Tdes, pk.value())?;
                Ok(ResponseApdu::status(StatusWord::SUCCESS))
            }
            (0x22, _) => {
                let mut r = tlv::Reader::new(cmd.data());
                let oid = r.expect(Tag::new(0x80)).map_err(wrong)?;
                let key_id = key_id(&mut r)?;
                r.finish().map_err(wrong)?;
                let oid = ObjectIdentifier::from_bytes(oid.value()).map_err(wrong)?;
                let protocol = CaProtocol::from_oid(&oid).ok_or(StatusWord::WRONG_DATA)?;
                if !protocol.ecdh || protocol.cipher == Cipher::Tdes {
                    return Err(StatusWord::FUNCTION_NOT_SUPPORTED);
                }
                find_key(keys, key_id)?;
                self.pending = Some((protocol.cipher, key_id));
                Ok(ResponseApdu::status(StatusWord::SUCCESS))
            }
            _ => {
                let (cipher, key_id) = pending.ok_or(StatusWord::CONDITIONS_NOT_SATISFIED)?;
                let outer = tlv::parse_single(cmd.data(), Tag::new(0x7C)).map_err(wrong)?;
                let mut r = outer.children().map_err(wrong)?;
                let pk = r.expect(Tag::new(0x80)).map_err(wrong)?;
                r.finish().map_err(wrong)?;
                self.agree(find_key(keys, key_id)?, cipher, pk.value())?;
                Ok(ResponseApdu::new(vec![0x7C, 0x00], StatusWord::SUCCESS))
            }
        }
    }

    fn agree(&mut self, key: &CaKeyPair, cipher: Cipher, pk_pcd: &[u8]) -> Result<(), StatusWord> {
        let session = key.agree(cipher, pk_pcd)?;
        self.restart = Some((session, pk_pcd.to_vec()));
        Ok(())
    }

    /// The session Chip Authentication established, with the terminal's ephemeral public key,
    /// once: the card starts it after its answer has gone out under the old one.
    pub fn take_restart(&mut self) -> Option<(SmSession, Vec<u8>)> {
        self.restart.take()
    }

    /// Forgets everything (secure messaging ended, power lost, a new MSE:Set AT for PACE).
    pub fn end_session(&mut self) {
        *self = Self::default();
    }
}

/// The optional key id object `84`.
fn key_id(r: &mut tlv::Reader<'_>) -> Result<Option<u32>, StatusWord> {
    match r
        .optional(Tag::new(0x84))
        .map_err(|_| StatusWord::WRONG_DATA)?
    {
        Some(t) => ca::key_id_from_reference(t.value())
            .map(Some)
            .ok_or(StatusWord::WRONG_DATA),
        None => Ok(None),
    }
}

/// The key `key_id` names; without one, the chip's only key.
fn find_key(keys: &[CaKeyPair], key_id: Option<u32>) -> Result<&CaKeyPair, StatusWord> {
    match key_id {
        Some(id) => keys.iter().find(|k| k.key_id == Some(id)),
        None => match keys {
            [only] => Some(only),
            _ => None,
        },
    }
    .ok_or(StatusWord::REFERENCE_DATA_NOT_FOUND)
}

/// The key PACE-CAM proves for the PACE `parameter_id`: the key with that id, or the chip's
/// only key when it has no id.
pub fn cam_key(keys: &[CaKeyPair], parameter_id: Option<u32>) -> Option<CaKeyPair> {
    keys.iter()
        .find(|k| k.key_id.is_some() && k.key_id == parameter_id)
        .or(match keys {
            [only] if only.key_id.is_none() => Some(only),
            _ => None,
        })
        .cloned()
}

/// Replaces the key with the same id, or adds it.
fn store(keys: &mut Vec<CaKeyPair>, key: CaKeyPair) {
    keys.retain(|k| k.key_id != key.key_id);
    keys.push(key);
}

/// GENERATE ASYMMETRIC KEY PAIR with a Chip Authentication key template: a fresh key on the
/// chip, its public key template answered.
pub fn generate(
    keys: &mut Vec<CaKeyPair>,
    data: &[u8],
    max_keys: usize,
    rng: &mut dyn RandomSource,
) -> Result<ResponseApdu, StatusWord> {
    let (key_id, domain) = ca::parse_generate_request(data)?;
    if keys.len() >= max_keys && !keys.iter().any(|k| k.key_id == key_id) {
        return Err(StatusWord::NOT_ENOUGH_MEMORY);
    }
    let pair =
        CaKeyPair::generate(key_id, domain, rng).map_err(|_| StatusWord::NO_PRECISE_DIAGNOSIS)?;
    let public = pair
        .public_key()
        .and_then(|k| ca::public_key_template(&k))
        .map_err(|_| StatusWord::NO_PRECISE_DIAGNOSIS)?;
    store(keys, pair);
    Ok(ResponseApdu::new(public, StatusWord::SUCCESS))
}

/// PUT DATA `00 6B`: a Chip Authentication key made outside the chip.
pub fn put_key(keys: &mut Vec<CaKeyPair>, data: &[u8], max_keys: usize) -> Result<(), StatusWord> {
    let pair = ca::parse_put_data(data)?;
    if keys.len() >= max_keys && !keys.iter().any(|k| k.key_id == pair.key_id) {
        return Err(StatusWord::NOT_ENOUGH_MEMORY);
    }
    store(keys, pair);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use permitkit_chip::ec::Domain;
    use permitkit_chip::random::OsRandom;

    fn key(id: Option<u32>) -> CaKeyPair {
        CaKeyPair::generate(id, Domain::P256, &mut OsRandom).unwrap()
    }

    #[test]
    fn keys_are_found_by_id_or_alone() {
        let (a, b) = (key(Some(1)), key(Some(13)));
        let keys = vec![a.clone(), b.clone()];
        assert_eq!(find_key(&keys, Some(13)).unwrap().key_id, Some(13));
        assert_eq!(
            find_key(&keys, None).unwrap_err(),
            StatusWord::REFERENCE_DATA_NOT_FOUND
        );
        assert_eq!(find_key(&keys[..1], None).unwrap().key_id, Some(1));
        assert_eq!(cam_key(&keys, Some(13)).unwrap().key_id, Some(13));
        assert!(cam_key(&keys, Some(12)).is_none());
        assert!(cam_key(&[key(None)], Some(12)).is_some());
    }

    #[test]
    fn a_chip_refuses_chip_authentication_outside_secure_messaging_and_bad_points() {
        let keys = vec![key(None)];
        let mut ca = EacCa::default();
        let kat = |pk: &[u8]| {
            let data = tlv::encode(Tag::new(0x91), pk).unwrap();
            CommandApdu::new(0, 0x22, 0x41, 0xA6)
                .with_data(data)
                .unwrap()
        };
        let pk = keys[0].public_key().unwrap().point;
        assert_eq!(
            ca.process(&kat(&pk), false, &keys).unwrap_err(),
            StatusWord::SECURITY_STATUS_NOT_SATISFIED
        );
        let mut off = pk.clone();
        off[20] ^= 0x10;
        assert_eq!(
            ca.process(&kat(&off), true, &keys).unwrap_err(),
            StatusWord::WRONG_DATA
        );
        assert!(ca.take_restart().is_none());
        assert!(ca.process(&kat(&pk), true, &keys).unwrap().is_success());
        assert!(ca.take_restart().is_some());
        // GENERAL AUTHENTICATE without MSE:Set AT before it is not Chip Authentication's.
        let ga = CommandApdu::new(0, 0x86, 0, 0)
            .with_data(vec![0x7C, 0x00])
            .unwrap();
        assert!(!ca.handles(&ga));
    }

    #[test]
    fn generated_and_stored_keys_replace_those_with_the_same_id() {
        let mut keys = Vec::new();
        let request = {
            let mut w = tlv::Writer::new();
            w.constructed(Tag::new(0xA4), |w| {
                w.primitive(Tag::new(0x84), &[13]);
                w.primitive(Tag::new(0x06), Domain::BrainpoolP256r1.curve_oid());
            });
            w.finish().unwrap()
        };
        let r = generate(&mut keys, &request, 4, &mut OsRandom).unwrap();
        let public = ca::public_key_from_template(r.data()).unwrap();
        assert_eq!(public.domain, Domain::BrainpoolP256r1);
        generate(&mut keys, &request, 4, &mut OsRandom).unwrap();
        assert_eq!(keys.len(), 1);
        let other = key(Some(1));
        put_key(&mut keys, &ca::put_data_content(&other).unwrap(), 4).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(
            put_key(&mut keys, &ca::put_data_content(&key(Some(2))).unwrap(), 2).unwrap_err(),
            StatusWord::NOT_ENOUGH_MEMORY
        );
        assert_eq!(
            generate(&mut keys, &[0xA4, 0x00], 4, &mut OsRandom).unwrap_err(),
            StatusWord::WRONG_DATA
        );
    }
}
