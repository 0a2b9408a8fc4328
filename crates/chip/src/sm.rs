//! Secure messaging (ICAO Doc 9303-11 §9.8; ISO/IEC 7816-4 §10): both sides.
//!
//! [`SmSession`] holds the session keys and the send sequence counter (SSC). The reader side
//! protects commands ([`SmSession::protect_command`]) and checks responses
//! ([`SmSession::unprotect_response`]); the chip side (used by the virtual chip) does the
//! reverse. Data objects: `87` (encrypted data with padding-content indicator `01`, even INS),
//! `85` (encrypted BER-TLV data, odd INS such as `B1`), `97` (Le, one or two bytes), `99`
//! (processing status), `8E` (8-byte MAC). The SSC is incremented before every command and
//! before every response, on both sides, whatever the outcome, so the two stay in step after
//! an error status. A wrong MAC ends the session: the reader gets an error, the chip answers
//! plain `6987`/`6988` and forgets its keys.
//!
//! This module is the codec only, with no channel: [`crate::secured::Secured`] is the decorator,
//! a card channel that protects everything it forwards with an [`SmSession`].

use crate::crypto::{self, Cipher, CryptoError};
use permitkit_iso7816::apdu::{ApduError, CommandApdu, ResponseApdu, StatusWord};
use permitkit_iso7816::tlv::{self, Tag, TlvError};
use permitkit_model::secret::{SecretBytes, ct_eq};
use std::fmt;

const DO85: Tag = Tag::new(0x85);
const DO87: Tag = Tag::new(0x87);
const DO97: Tag = Tag::new(0x97);
const DO99: Tag = Tag::new(0x99);
const DO8E: Tag = Tag::new(0x8E);

/// A secure-messaging failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SmError {
    /// A mandatory data object (`8E`, or `99` in a response) is missing.
    #[error("secure messaging data object {0} missing")]
    MissingDataObject(&'static str),
    /// The MAC does not verify.
    #[error("secure messaging MAC does not verify")]
    WrongMac,
    /// The data field of a protected command or response is not well-formed BER-TLV.
    #[error("secure messaging data of the {part} is not BER-TLV")]
    Tlv {
        /// Command or response.
        part: SmPart,
        /// What is wrong and at which offset of the data field.
        #[source]
        source: TlvError,
    },
    /// A protected data object could not be encoded (its value is too long for BER-TLV).
    #[error("secure messaging data object {tag} cannot be encoded")]
    Encode {
        /// `85` or `87`.
        tag: Tag,
        /// Why.
        #[source]
        source: TlvError,
    },
    /// A data object that has no place there (or a second one) in a protected command or
    /// response (9303-11 §9.8.6).
    #[error("unexpected secure messaging data object {tag} in the {part}")]
    UnexpectedDataObject {
        /// Command or response.
        part: SmPart,
        /// Its tag.
        tag: Tag,
    },
    /// A data object of the wrong length: `99` (status, two bytes) or `97` (Le, one or two).
    #[error("secure messaging data object {tag} of {len} bytes")]
    DataObjectLength {
        /// `97` or `99`.
        tag: Tag,
        /// Its length.
        len: usize,
    },
    /// `87` whose value does not start with the padding-content indicator `01`.
    #[error("secure messaging data object 87 without padding-content indicator 01")]
    PaddingIndicator,
    /// A send sequence counter longer than the cipher's block.
    #[error("send sequence counter of {len} bytes for a {block}-byte block")]
    SscLength {
        /// Its length.
        len: usize,
        /// The cipher's block length.
        block: usize,
    },
    /// A primitive failed (wrong key length, bad padding after decryption).
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// The chip ended the session and answered plain with this status.
    #[error("chip ended secure messaging with plain status {0}")]
    SessionEnded(StatusWord),
    /// The session was closed after an earlier error; authenticate again.
    #[error("secure messaging session closed after an earlier error")]
    SessionClosed,
    /// A plain command reached the chip side of a session (CLA without `0C`).
    #[error("command is not protected (CLA {0:02X})")]
    NotProtected(u8),
    /// The protected command cannot be encoded.
    #[error(transparent)]
    Apdu(#[from] ApduError),
}

/// Which half of a protected exchange an error is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SmPart {
    /// The protected command APDU (chip side).
    Command,
    /// The protected response APDU (reader side).
    Response,
}

impl fmt::Display for SmPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Command => "command",
            Self::Response => "response",
        })
    }
}

impl SmError {
    /// The plain status word a chip answers with for this error (9303-11 §9.8.4).
    pub fn chip_status(&self) -> StatusWord {
        match self {
            SmError::MissingDataObject(_) | SmError::NotProtected(_) => {
                StatusWord::SM_DATA_OBJECTS_MISSING
            }
            _ => StatusWord::SM_DATA_OBJECTS_INCORRECT,
        }
    }
}

/// Session keys and send sequence counter of one secure-messaging session.
pub struct SmSession {
    cipher: Cipher,
    k_enc: SecretBytes,
    k_mac: SecretBytes,
    ssc: Vec<u8>,
}

impl fmt::Debug for SmSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SmSession {{ cipher: {} }}", self.cipher)
    }
}

impl SmSession {
    /// A session with the given keys and initial SSC (8 bytes for 3DES, 16 for AES; shorter
    /// values are left-padded with zeros, so `&[]` means zero as after PACE).
    pub fn new(
        cipher: Cipher,
        k_enc: SecretBytes,
        k_mac: SecretBytes,
        ssc: &[u8],
    ) -> Result<Self, SmError> {
        for k in [&k_enc, &k_mac] {
            if k.len() != cipher.key_len() {
                return Err(CryptoError::KeyLength {
                    cipher,
                    expected: cipher.key_len(),
                    actual: k.len(),
                }
                .into());
            }
        }
        let n = cipher.block_len();
        if ssc.len() > n {
            return Err(SmError::SscLength {
                len: ssc.len(),
                block: n,
            });
        }
        let mut full = vec![0u8; n - ssc.len()];
        full.extend_from_slice(ssc);
        Ok(Self {
            cipher,
            k_enc,
            k_mac,
            ssc: full,
        })
    }

    /// The cipher.
    pub fn cipher(&self) -> Cipher {
        self.cipher
    }

    /// The current send sequence counter.
    pub fn ssc(&self) -> &[u8] {
        &self.ssc
    }

    fn increment(&mut self) {
        for b in self.ssc.iter_mut().rev() {
            let (v, carry) = b.overflowing_add(1);
            *b = v;
            if !carry {
                break;
            }
        }
    }

    fn iv(&self) -> Result<Vec<u8>, SmError> {
        Ok(match self.cipher {
            Cipher::Tdes => vec![0; 8],
            c => crypto::encrypt_block(c, self.k_enc.expose(), &self.ssc)?,
        })
    }

    fn encrypt(&self, data: &[u8]) -> Result<Vec<u8>, SmError> {
        let padded = crypto::pad(data, self.cipher.block_len());
        Ok(crypto::encrypt_cbc(
            self.cipher,
            self.k_enc.expose(),
            &self.iv()?,
            &padded,
        )?)
    }

    fn decrypt(&self, data: &[u8]) -> Result<Vec<u8>, SmError> {
        let plain = crypto::decrypt_cbc(self.cipher, self.k_enc.expose(), &self.iv()?, data)?;
        Ok(crypto::unpad(&plain)?.to_vec())
    }

    fn mac(&self, parts: &[&[u8]]) -> Result<[u8; crypto::MAC_LEN], SmError> {
        let mut n = self.ssc.clone();
        for p in parts {
            n.extend_from_slice(p);
        }
        let n = crypto::pad(&n, self.cipher.block_len());
        Ok(crypto::mac(self.cipher, self.k_mac.expose(), &n)?)
    }

    fn data_object(&self, odd_ins: bool, data: &[u8]) -> Result<Vec<u8>, SmError> {
        let enc = self.encrypt(data)?;
        if odd_ins {
            tlv::encode(DO85, &enc).map_err(|source| SmError::Encode { tag: DO85, source })
        } else {
            let mut v = Vec::with_capacity(enc.len() + 1);
            v.push(0x01);
            v.extend_from_slice(&enc);
            tlv::encode(DO87, &v).map_err(|source| SmError::Encode { tag: DO87, source })
        }
    }

    fn open_data_object(&self, tag: Tag, value: &[u8]) -> Result<Vec<u8>, SmError> {
        if tag == DO87 {
            match value.split_first() {
                Some((0x01, ct)) => self.decrypt(ct),
                _ => Err(SmError::PaddingIndicator),
            }
        } else {
            self.decrypt(value)
        }
    }

    /// Reader side: protects `command` (9303-11 §9.8.6.1). Increments the SSC.
    pub fn protect_command(&mut self, command: &CommandApdu) -> Result<CommandApdu, SmError> {
        self.increment();
        let cla = command.cla() | 0x0C;
        let ins = command.ins();
        let header = crypto::pad(
            &[cla, ins, command.p1(), command.p2()],
            self.cipher.block_len(),
        );
        let do_data = if command.data().is_empty() {
            Vec::new()
        } else {
            self.data_object(ins & 1 == 1, command.data())?
        };
        let do97 = match command.le() {
            None => Vec::new(),
            Some(le) if le <= 256 => vec![0x97, 0x01, u8::try_from(le % 256).unwrap_or(0)],
            Some(le) => {
                let v = u16::try_from(le % 65_536).unwrap_or(0).to_be_bytes();
                vec![0x97, 0x02, v[0], v[1]]
            }
        };
        let cc = self.mac(&[&header, &do_data, &do97])?;
        let mut body = do_data;
        body.extend_from_slice(&do97);
        body.extend_from_slice(&[0x8E, 0x08]);
        body.extend_from_slice(&cc);
        let extended = body.len() > 255 || command.le().is_some_and(|le| le > 256);
        Ok(CommandApdu::new(cla, ins, command.p1(), command.p2())
            .with_data(body)?
            .with_le(if extended { 65_536 } else { 256 })?)
    }

    /// Reader side: checks and decrypts `response` (9303-11 §9.8.6.2). Increments the SSC.
    ///
    /// A plain `6987`/`6988` means the chip ended the session; any other plain error status is
    /// passed on as a status-only response (an unauthenticated error is still an error); a
    /// plain `9000` is refused.
    pub fn unprotect_response(&mut self, response: &ResponseApdu) -> Result<ResponseApdu, SmError> {
        self.increment();
        if response.data().is_empty() {
            let sw = response.sw();
            return match sw {
                StatusWord::SM_DATA_OBJECTS_MISSING | StatusWord::SM_DATA_OBJECTS_INCORRECT => {
                    Err(SmError::SessionEnded(sw))
                }
                sw if sw.is_success() || sw.sw1() == 0x61 || sw.sw1() == 0x62 => {
                    Err(SmError::MissingDataObject("8E"))
                }
                sw => Ok(ResponseApdu::status(sw)),
            };
        }
        let mut reader = tlv::Reader::new(response.data());
        let mut data_do: Option<(Tag, &[u8])> = None;
        let mut do99: Option<&[u8]> = None;
        let mut covered_end = 0;
        let mut mac: Option<&[u8]> = None;
        while !reader.is_empty() {
            let t = reader.read().map_err(|source| SmError::Tlv {
                part: SmPart::Response,
                source,
            })?;
            match t.tag() {
                DO87 | DO85 if data_do.is_none() && do99.is_none() => {
                    data_do = Some((t.tag(), t.value()));
                }
                DO99 if do99.is_none() => do99 = Some(t.value()),
                DO8E => {
                    mac = Some(t.value());
                    covered_end = t.offset();
                    reader.finish().map_err(|source| SmError::Tlv {
                        part: SmPart::Response,
                        source,
                    })?;
                    break;
                }
                other => {
                    return Err(SmError::UnexpectedDataObject {
                        part: SmPart::Response,
                        tag: other,
                    });
                }
            }
        }
        let mac = mac.ok_or(SmError::MissingDataObject("8E"))?;
        let covered = response.data().get(..covered_end).unwrap_or_default();
        let expected = self.mac(&[covered])?;
        if !ct_eq(&expected, mac) {
            return Err(SmError::WrongMac);
        }
        let sw = match do99 {
            Some(&[a, b]) => StatusWord::from_bytes([a, b]),
            Some(v) => {
                return Err(SmError::DataObjectLength {
                    tag: DO99,
                    len: v.len(),
                });
            }
            None => return Err(SmError::MissingDataObject("99")),
        };
        let data = match data_do {
            Some((tag, value)) => self.open_data_object(tag, value)?,
            None => Vec::new(),
        };
        Ok(ResponseApdu::new(data, sw))
    }

    /// Chip side: checks and decrypts a protected `command`. Increments the SSC.
    pub fn unprotect_command(&mut self, command: &CommandApdu) -> Result<CommandApdu, SmError> {
        if command.cla() & 0x0C != 0x0C {
            return Err(SmError::NotProtected(command.cla()));
        }
        self.increment();
        let header = crypto::pad(&command.header(), self.cipher.block_len());
        let mut reader = tlv::Reader::new(command.data());
        let mut data_do: Option<(Tag, &[u8])> = None;
        let mut le: Option<usize> = None;
        let mut mac: Option<&[u8]> = None;
        let mut covered_end = 0;
        while !reader.is_empty() {
            let t = reader.read().map_err(|source| SmError::Tlv {
                part: SmPart::Command,
                source,
            })?;
            match t.tag() {
                DO87 | DO85 if data_do.is_none() && le.is_none() => {
                    data_do = Some((t.tag(), t.value()));
                }
                DO97 if le.is_none() => {
                    le = Some(match t.value() {
                        [0] => 256,
                        [n] => usize::from(*n),
                        [0, 0] => 65_536,
                        [a, b] => usize::from(u16::from_be_bytes([*a, *b])),
                        v => {
                            return Err(SmError::DataObjectLength {
                                tag: DO97,
                                len: v.len(),
                            });
                        }
                    });
                }
                DO8E => {
                    mac = Some(t.value());
                    covered_end = t.offset();
                    reader.finish().map_err(|source| SmError::Tlv {
                        part: SmPart::Command,
                        source,
                    })?;
                    break;
                }
                other => {
                    return Err(SmError::UnexpectedDataObject {
                        part: SmPart::Command,
                        tag: other,
                    });
                }
            }
        }
        let mac = mac.ok_or(SmError::MissingDataObject("8E"))?;
        let covered = command.data().get(..covered_end).unwrap_or_default();
        let expected = self.mac(&[&header, covered])?;
        if !ct_eq(&expected, mac) {
            return Err(SmError::WrongMac);
        }
        let data = match data_do {
            Some((tag, value)) => self.open_data_object(tag, value)?,
            None => Vec::new(),
        };
        let mut plain = CommandApdu::new(
            command.cla() & !0x0C,
            command.ins(),
            command.p1(),
            command.p2(),
        );
        if !data.is_empty() {
            plain = plain.with_data(data)?;
        }
        if let Some(le) = le {
            plain = plain.with_le(le)?;
        }
        Ok(plain)
    }

    /// Chip side: protects `response` to a command with instruction `ins`. Increments the SSC.
    pub fn protect_response(
        &mut self,
        ins: u8,
        response: &ResponseApdu,
    ) -> Result<ResponseApdu, SmError> {
        self.increment();
        let mut body = if response.data().is_empty() {
            Vec::new()
        } else {
            self.data_object(ins & 1 == 1, response.data())?
        };
        let sw = response.sw().to_bytes();
        body.extend_from_slice(&[0x99, 0x02, sw[0], sw[1]]);
        let cc = self.mac(&[&body])?;
        body.extend_from_slice(&[0x8E, 0x08]);
        body.extend_from_slice(&cc);
        Ok(ResponseApdu::new(body, response.sw()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    fn appendix_d_session() -> SmSession {
        SmSession::new(
            Cipher::Tdes,
            SecretBytes::new(h("979EC13B1CBFE9DCD01AB0FED307EAE5")),
            SecretBytes::new(h("F1CB1F1FB5ADF208806B89DC579DC1F8")),
            &h("887022120C06C226"),
        )
        .unwrap()
    }

    #[test]
    fn ssc_increments_with_carry() {
        let mut s = SmSession::new(
            Cipher::Tdes,
            SecretBytes::new(vec![0; 16]),
            SecretBytes::new(vec![0; 16]),
            &h("00000000000000FF"),
        )
        .unwrap();
        s.increment();
        assert_eq!(s.ssc(), h("0000000000000100"));
    }

    #[test]
    fn chip_side_round_trips_reader_side() {
        for cipher in [Cipher::Tdes, Cipher::Aes128, Cipher::Aes256] {
            let k = |b| SecretBytes::new(vec![b; cipher.key_len()]);
            let mut reader = SmSession::new(cipher, k(1), k(2), &[]).unwrap();
            let mut chip = SmSession::new(cipher, k(1), k(2), &[]).unwrap();
            for (ins, data, le) in [
                (0xA4u8, vec![1u8, 0x1E], None),
                (0xB0, vec![], Some(256)),
                (0xB1, vec![0x54, 0x02, 0x80, 0x00], Some(65_536)),
                (0xD6, vec![7; 1000], None),
            ] {
                let mut c = CommandApdu::new(0, ins, 0, 0);
                if !data.is_empty() {
                    c = c.with_data(data).unwrap();
                }
                if let Some(le) = le {
                    c = c.with_le(le).unwrap();
                }
                let p = reader.protect_command(&c).unwrap();
                let back = CommandApdu::parse(&p.to_bytes()).unwrap();
                assert_eq!(chip.unprotect_command(&back).unwrap(), c);
                let r = ResponseApdu::new(vec![9; 300], StatusWord::SUCCESS);
                let pr = chip.protect_response(ins, &r).unwrap();
                assert_eq!(reader.unprotect_response(&pr).unwrap(), r);
                let e = ResponseApdu::status(StatusWord::FILE_NOT_FOUND);
                let pe = chip.protect_response(ins, &e).unwrap();
                assert_eq!(reader.unprotect_response(&pe).unwrap(), e);
            }
        }
    }

    #[test]
    fn tampered_mac_is_refused_on_both_sides() {
        let mut reader = appendix_d_session();
        let mut chip = appendix_d_session();
        let c = CommandApdu::new(0, 0xB0, 0, 0).with_le(4).unwrap();
        let p = reader.protect_command(&c).unwrap();
        let mut bytes = p.to_bytes();
        let n = bytes.len();
        bytes[n - 2] ^= 1;
        let tampered = CommandApdu::parse(&bytes).unwrap();
        let e = chip.unprotect_command(&tampered).unwrap_err();
        assert_eq!(e, SmError::WrongMac);
        assert_eq!(e.chip_status(), StatusWord::SM_DATA_OBJECTS_INCORRECT);

        let r = ResponseApdu::parse(&h("990290008E08FA855A5D4C50A8EC9000")).unwrap();
        assert_eq!(reader.unprotect_response(&r), Err(SmError::WrongMac));
        let missing = ResponseApdu::parse(&h("99029000")).unwrap();
        assert!(reader.unprotect_response(&missing).is_err());
        let plain_ok = ResponseApdu::parse(&h("9000")).unwrap();
        assert!(reader.unprotect_response(&plain_ok).is_err());
        let ended = ResponseApdu::parse(&h("6988")).unwrap();
        assert!(matches!(
            reader.unprotect_response(&ended),
            Err(SmError::SessionEnded(_))
        ));
    }
}
