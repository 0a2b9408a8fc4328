//! The CV certificate (BSI TR-03110-3 Appendix C.1, Table C.1; docs/spec/security-protocols.md
//! §6) and its body, decoded strictly and encoded in the same form.
//!
//! Strict means: the data objects in the order of Table C.1, each once, every length in its
//! shortest form, nothing after the last one, the profile identifier `00`, references,
//! dates and CHAT as TR-03110-3 defines them. The body's bytes are kept exactly as read: the
//! signature is over them (`7F4E` with its tag and length), never over a re-encoding.

use permitkit_iso7816::tlv::{self, Tag, Tlv, TlvError};

use crate::chat::{Chat, TerminalType};
use crate::error::{DecodeError, FieldError};
use crate::{CvDate, Oid, PublicKey, Reference};

/// `7F21` CV certificate.
pub const TAG_CERTIFICATE: Tag = Tag::new(0x7F21);
/// `7F4E` certificate body.
pub const TAG_BODY: Tag = Tag::new(0x7F4E);
/// `5F37` signature.
pub const TAG_SIGNATURE: Tag = Tag::new(0x5F37);
const TAG_CPI: Tag = Tag::new(0x5F29);
const TAG_CAR: Tag = Tag::new(0x42);
const TAG_PUBLIC_KEY: Tag = Tag::new(0x7F49);
const TAG_CHR: Tag = Tag::new(0x5F20);
const TAG_CHAT: Tag = Tag::new(0x7F4C);
const TAG_EFFECTIVE: Tag = Tag::new(0x5F25);
const TAG_EXPIRATION: Tag = Tag::new(0x5F24);
const TAG_EXTENSIONS: Tag = Tag::new(0x65);
const TAG_DDT: Tag = Tag::new(0x73);

/// Largest certificate decoded (an RSA-4096 terminal certificate is about 1.1 KiB).
pub const MAX_CERTIFICATE_LEN: usize = 8 * 1024;

/// A certificate extension: a discretionary data template `73 { 06 OID, … }` (TR-03110-3 C.3),
/// kept as encoded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Extension {
    /// The extension's OID.
    pub oid: Oid,
    /// The whole `73` data object.
    pub encoded: Vec<u8>,
}

/// The signed part of a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CertificateBody {
    /// `5F29` certificate profile identifier (0).
    pub profile_identifier: u8,
    /// `42` certification authority reference: the CHR of the key that signs this certificate.
    pub authority: Reference,
    /// `7F49` public key.
    pub public_key: PublicKey,
    /// `5F20` certificate holder reference.
    pub holder: Reference,
    /// `7F4C` certificate holder authorization template.
    pub chat: Chat,
    /// `5F25` first day of validity.
    pub effective: CvDate,
    /// `5F24` last day of validity.
    pub expiration: CvDate,
    /// `65` certificate extensions.
    pub extensions: Vec<Extension>,
}

impl CertificateBody {
    /// The `7F4E` data object: the bytes the issuer signs.
    pub fn encode(&self) -> Result<Vec<u8>, TlvError> {
        let mut w = tlv::Writer::new();
        w.constructed(TAG_BODY, |w| {
            w.primitive(TAG_CPI, &[self.profile_identifier]);
            w.primitive(TAG_CAR, self.authority.as_bytes());
            self.public_key.encode_into(w);
            w.primitive(TAG_CHR, self.holder.as_bytes());
            w.constructed(TAG_CHAT, |w| {
                w.primitive(Tag::new(0x06), self.chat.terminal_type().oid().as_bytes());
                w.primitive(Tag::new(0x53), self.chat.template());
            });
            w.primitive(TAG_EFFECTIVE, &self.effective.to_bcd());
            w.primitive(TAG_EXPIRATION, &self.expiration.to_bcd());
            if !self.extensions.is_empty() {
                w.constructed(TAG_EXTENSIONS, |w| {
                    for e in &self.extensions {
                        w.raw(&e.encoded);
                    }
                });
            }
        });
        w.finish()
    }

    /// Decodes a `7F4E` data object.
    pub fn decode(body: &Tlv<'_>) -> Result<Self, DecodeError> {
        check_minimal("certificate body", body)?;
        let mut r = body.children()?;

        let cpi = r.expect(TAG_CPI)?;
        check_minimal("certificate profile identifier", &cpi)?;
        let profile_identifier = match cpi.value() {
            [0] => 0,
            [v] => {
                return Err(field(
                    "certificate profile identifier",
                    &cpi,
                    FieldError::ProfileIdentifier(*v),
                ));
            }
            v => {
                return Err(field(
                    "certificate profile identifier",
                    &cpi,
                    FieldError::Length {
                        len: v.len(),
                        allowed: "one byte",
                    },
                ));
            }
        };

        let car = r.expect(TAG_CAR)?;
        check_minimal("certification authority reference", &car)?;
        let authority = Reference::from_bytes(car.value())
            .map_err(|e| field("certification authority reference", &car, e))?;

        let pk = r.expect(TAG_PUBLIC_KEY)?;
        check_minimal("public key", &pk)?;
        let public_key = PublicKey::decode(&pk)?;

        let chr = r.expect(TAG_CHR)?;
        check_minimal("certificate holder reference", &chr)?;
        let holder = Reference::from_bytes(chr.value())
            .map_err(|e| field("certificate holder reference", &chr, e))?;

        let chat_tlv = r.expect(TAG_CHAT)?;
        check_minimal("CHAT", &chat_tlv)?;
        let chat = decode_chat(&chat_tlv)?;

        let eff = r.expect(TAG_EFFECTIVE)?;
        check_minimal("effective date", &eff)?;
        let effective =
            CvDate::from_bcd(eff.value()).map_err(|e| field("effective date", &eff, e))?;
        let exp = r.expect(TAG_EXPIRATION)?;
        check_minimal("expiration date", &exp)?;
        let expiration =
            CvDate::from_bcd(exp.value()).map_err(|e| field("expiration date", &exp, e))?;
        if expiration < effective {
            return Err(field(
                "expiration date",
                &exp,
                FieldError::ExpiresBeforeEffective {
                    effective,
                    expiration,
                },
            ));
        }

        let mut extensions = Vec::new();
        if let Some(ext) = r.optional(TAG_EXTENSIONS)? {
            check_minimal("certificate extensions", &ext)?;
            let mut er = ext.children()?;
            while !er.is_empty() {
                let ddt = er.expect(TAG_DDT)?;
                check_minimal("certificate extension", &ddt)?;
                let mut dr = ddt.children()?;
                let oid_tlv = dr.expect(Tag::new(0x06))?;
                let oid = Oid::from_der_content(oid_tlv.value()).ok_or_else(|| {
                    field("certificate extension", &oid_tlv, FieldError::MalformedOid)
                })?;
                while !dr.is_empty() {
                    check_minimal("certificate extension", &dr.read()?)?;
                }
                extensions.push(Extension {
                    oid,
                    encoded: ddt.raw().to_vec(),
                });
            }
        }
        r.finish()?;
        Ok(Self {
            profile_identifier,
            authority,
            public_key,
            holder,
            chat,
            effective,
            expiration,
            extensions,
        })
    }
}

fn decode_chat(chat: &Tlv<'_>) -> Result<Chat, DecodeError> {
    let mut r = chat.children()?;
    let oid_tlv = r.expect(Tag::new(0x06))?;
    check_minimal("CHAT", &oid_tlv)?;
    let oid = Oid::from_der_content(oid_tlv.value())
        .ok_or_else(|| field("CHAT", &oid_tlv, FieldError::MalformedOid))?;
    let template = r.expect(Tag::new(0x53))?;
    check_minimal("CHAT", &template)?;
    r.finish()?;
    Chat::new(TerminalType::from_oid(oid), template.value().to_vec())
        .map_err(|e| field("CHAT", &template, e))
}

/// A CV certificate: its body (as read) and the issuer's signature.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CvCertificate {
    body: CertificateBody,
    body_bytes: Vec<u8>,
    signature: Vec<u8>,
}

impl CvCertificate {
    /// Decodes a whole certificate (`7F21 { 7F4E …, 5F37 … }`) and nothing else.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        check_size(bytes)?;
        let outer = tlv::parse_single(bytes, TAG_CERTIFICATE)?;
        check_minimal("CV certificate", &outer)?;
        let mut r = outer.children()?;
        let cert = Self::decode_parts(&mut r)?;
        r.finish()?;
        Ok(cert)
    }

    /// Decodes the data of PSO:Verify Certificate: body `7F4E` then signature `5F37`, without
    /// the `7F21` wrapper (TR-03110-3 B.11.5; 9303-11 §7.1).
    pub fn decode_pso(data: &[u8]) -> Result<Self, DecodeError> {
        check_size(data)?;
        let mut r = tlv::Reader::new(data);
        let cert = Self::decode_parts(&mut r)?;
        r.finish()?;
        Ok(cert)
    }

    fn decode_parts(r: &mut tlv::Reader<'_>) -> Result<Self, DecodeError> {
        let body_tlv = r.expect(TAG_BODY)?;
        let body = CertificateBody::decode(&body_tlv)?;
        let sig = r.expect(TAG_SIGNATURE)?;
        check_minimal("signature", &sig)?;
        if sig.value().is_empty() {
            return Err(field("signature", &sig, FieldError::Empty));
        }
        Ok(Self {
            body,
            body_bytes: body_tlv.raw().to_vec(),
            signature: sig.value().to_vec(),
        })
    }

    /// Assembles a certificate from a body and the issuer's signature over [`CertificateBody::encode`].
    pub fn from_parts(body: CertificateBody, signature: Vec<u8>) -> Result<Self, TlvError> {
        let body_bytes = body.encode()?;
        Ok(Self {
            body,
            body_bytes,
            signature,
        })
    }

    /// The body.
    pub fn body(&self) -> &CertificateBody {
        &self.body
    }

    /// The body's bytes (`7F4E` with tag and length): what the signature covers.
    pub fn body_bytes(&self) -> &[u8] {
        &self.body_bytes
    }

    /// The signature (`5F37` value).
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// The holder (CHR).
    pub fn holder(&self) -> &Reference {
        &self.body.holder
    }

    /// The issuer (CAR).
    pub fn authority(&self) -> &Reference {
        &self.body.authority
    }

    /// Body ‖ signature: the data field of PSO:Verify Certificate.
    pub fn pso_data(&self) -> Result<Vec<u8>, TlvError> {
        let mut w = tlv::Writer::new();
        w.raw(&self.body_bytes);
        w.primitive(TAG_SIGNATURE, &self.signature);
        w.finish()
    }

    /// The whole certificate, `7F21`.
    pub fn to_bytes(&self) -> Result<Vec<u8>, TlvError> {
        let mut w = tlv::Writer::new();
        w.constructed(TAG_CERTIFICATE, |w| {
            w.raw(&self.body_bytes);
            w.primitive(TAG_SIGNATURE, &self.signature);
        });
        w.finish()
    }
}

fn check_size(bytes: &[u8]) -> Result<(), DecodeError> {
    if bytes.len() > MAX_CERTIFICATE_LEN {
        return Err(DecodeError::Field {
            field: "CV certificate",
            tag: TAG_CERTIFICATE,
            offset: 0,
            reason: FieldError::Length {
                len: bytes.len(),
                allowed: "at most 8192 bytes",
            },
        });
    }
    Ok(())
}

fn field(name: &'static str, tlv: &Tlv<'_>, reason: FieldError) -> DecodeError {
    DecodeError::field(name, tlv, reason)
}

/// Refuses a data object whose length field is longer than its shortest form.
pub(crate) fn check_minimal(name: &'static str, t: &Tlv<'_>) -> Result<(), DecodeError> {
    let mut header = Vec::new();
    t.tag().encode_into(&mut header);
    tlv::encode_length(t.value().len(), &mut header)?;
    if header.len() + t.value().len() != t.raw().len() {
        return Err(field(name, t, FieldError::NonMinimalLength));
    }
    Ok(())
}
