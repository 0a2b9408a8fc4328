//! KeyAgreeRecipientInfo with ephemeral-static ECDH (RFC 5652 §6.2.2, RFC 5753 §3.1;
//! `docs/spec/cms-envelope.md` §1–§3): the key-encryption key both sides derive, and the
//! sender's RecipientInfo for the `cms` crate's `EnvelopedDataBuilder`.
//!
//! The sender wraps the content-encryption key under KEK = X9.63-KDF(Z, ECC-CMS-SharedInfo),
//! Z the x-coordinate of ECDH(ephemeral private key, recipient public key). The `cms` crate's
//! own builder wraps it under an all-zero key instead (`docs/spec/cms-envelope.md` §7), which
//! is why this one exists.

use cms::{
    builder::{RecipientInfoBuilder, RecipientInfoType},
    content_info::CmsVersion,
    enveloped_data::{
        EncryptedKey, KeyAgreeRecipientIdentifier, KeyAgreeRecipientInfo,
        OriginatorIdentifierOrKey, OriginatorPublicKey, RecipientEncryptedKey, RecipientInfo,
        UserKeyingMaterial,
    },
};
use der::{
    Any, Encode, Sequence,
    asn1::{BitString, OctetString},
};
use elliptic_curve::sec1::ToSec1Point;
use spki::AlgorithmIdentifierOwned;
use zeroize::Zeroizing;

use super::{
    EnvelopeError, KdfHash, KeyWrap,
    recipient::{ID_EC_PUBLIC_KEY, Recipient, SECP256R1},
    rng::SealRng,
};

/// What [`super::seal`] uses: the KDF and the key wrap RFC 5753 §8 lists, at the 256-bit
/// strength of the AES-256 content cipher.
const SEAL_KDF: KdfHash = KdfHash::Sha256;
const SEAL_WRAP: KeyWrap = KeyWrap::Aes256;

/// ```asn1
/// ECC-CMS-SharedInfo ::= SEQUENCE {                  -- RFC 5753 §7.2
///   keyInfo         AlgorithmIdentifier,
///   entityUInfo [0] EXPLICIT OCTET STRING OPTIONAL,
///   suppPubInfo [2] EXPLICIT OCTET STRING }
/// ```
/// (The `cms` crate has this type but does not export it.)
#[derive(Sequence)]
struct EccCmsSharedInfo {
    key_info: AlgorithmIdentifierOwned,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    entity_u_info: Option<OctetString>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT")]
    supp_pub_info: OctetString,
}

/// The key-encryption key (RFC 5753 §7.2): X9.63-KDF with `hash` over the shared secret and
/// the DER of ECC-CMS-SharedInfo { keyInfo `wrap_algorithm` as the envelope encodes it,
/// entityUInfo `ukm`, suppPubInfo the KEK length in bits }.
pub(crate) fn key_encryption_key(
    shared_secret: &[u8],
    hash: KdfHash,
    wrap: KeyWrap,
    wrap_algorithm: &AlgorithmIdentifierOwned,
    ukm: Option<&UserKeyingMaterial>,
) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
    let bits = u32::try_from(wrap.key_len() * 8).unwrap_or(u32::MAX);
    let shared_info = EccCmsSharedInfo {
        key_info: wrap_algorithm.clone(),
        entity_u_info: ukm.cloned(),
        supp_pub_info: OctetString::new(bits.to_be_bytes()).map_err(|source| {
            EnvelopeError::Malformed {
                what: "ECC-CMS-SharedInfo",
                source,
            }
        })?,
    };
    let info = shared_info
        .to_der()
        .map_err(|source| EnvelopeError::Malformed {
            what: "ECC-CMS-SharedInfo",
            source,
        })?;
    let mut kek = Zeroizing::new(vec![0u8; wrap.key_len()]);
    hash.derive(shared_secret, &info, &mut kek)?;
    Ok(kek)
}

/// The sender's side of one KeyAgreeRecipientInfo: an ephemeral key made for this envelope
/// alone, used once.
pub(crate) struct EcdhRecipient {
    rid: KeyAgreeRecipientIdentifier,
    recipient_key: p256::PublicKey,
    ephemeral: Option<p256::ecdh::EphemeralSecret>,
}

impl EcdhRecipient {
    pub(crate) fn new(recipient: &Recipient, ephemeral: p256::ecdh::EphemeralSecret) -> Self {
        Self {
            rid: recipient.identifier(),
            recipient_key: *recipient.public_key(),
            ephemeral: Some(ephemeral),
        }
    }

    fn build(&mut self, cek: &[u8]) -> Result<RecipientInfo, EnvelopeError> {
        let ephemeral = self
            .ephemeral
            .take()
            .ok_or(EnvelopeError::EphemeralKeyReused)?;
        let originator_point = ephemeral.public_key().to_sec1_point(false);
        let shared = ephemeral.diffie_hellman(&self.recipient_key);
        drop(ephemeral);
        let wrap_algorithm = AlgorithmIdentifierOwned {
            oid: SEAL_WRAP.oid(),
            parameters: None,
        };
        let kek = key_encryption_key(
            shared.raw_secret_bytes(),
            SEAL_KDF,
            SEAL_WRAP,
            &wrap_algorithm,
            None,
        )?;
        let mut wrapped = vec![0u8; cek.len() + 8];
        SEAL_WRAP.wrap(&kek, cek, &mut wrapped)?;
        let der = |what: &'static str| move |source| EnvelopeError::Malformed { what, source };
        Ok(RecipientInfo::Kari(KeyAgreeRecipientInfo {
            version: CmsVersion::V3,
            originator: OriginatorIdentifierOrKey::OriginatorKey(OriginatorPublicKey {
                algorithm: AlgorithmIdentifierOwned {
                    oid: ID_EC_PUBLIC_KEY,
                    parameters: Some(Any::from(&SECP256R1)),
                },
                public_key: BitString::from_bytes(originator_point.as_bytes())
                    .map_err(der("originator key"))?,
            }),
            ukm: None,
            key_enc_alg: AlgorithmIdentifierOwned {
                oid: SEAL_KDF.oid(),
                parameters: Some(Any::encode_from(&wrap_algorithm).map_err(der("key wrap"))?),
            },
            recipient_enc_keys: vec![RecipientEncryptedKey {
                rid: self.rid.clone(),
                enc_key: EncryptedKey::new(wrapped).map_err(der("encryptedKey"))?,
            }],
        }))
    }
}

impl RecipientInfoBuilder for EcdhRecipient {
    type Rng = SealRng;

    fn recipient_info_type(&self) -> RecipientInfoType {
        RecipientInfoType::Kari
    }

    fn recipient_info_version(&self) -> CmsVersion {
        CmsVersion::V3
    }

    fn build_with_rng(
        &mut self,
        content_encryption_key: &[u8],
        _rng: &mut SealRng,
    ) -> Result<RecipientInfo, cms::builder::Error> {
        self.build(content_encryption_key)
            .map_err(|e| cms::builder::Error::Builder(e.to_string()))
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    fn wrap_id(wrap: KeyWrap) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: wrap.oid(),
            parameters: None,
        }
    }

    /// docs/spec/cms-envelope.md §3: the KEK for Z = 01..20, recomputed with Python hashlib.
    #[test]
    fn kek_matches_the_recomputed_x963_vectors() {
        let z: Vec<u8> = (1u8..=32).collect();
        let kek = key_encryption_key(
            &z,
            KdfHash::Sha256,
            KeyWrap::Aes256,
            &wrap_id(KeyWrap::Aes256),
            None,
        )
        .unwrap();
        assert_eq!(
            hex::encode_upper(kek.as_slice()),
            "BA620C40A0A4BD487A0E7E89E620EEC19A3FDF8C2DEDBFC7B4754AB4E0EAC2E2"
        );
        let kek = key_encryption_key(
            &z,
            KdfHash::Sha384,
            KeyWrap::Aes128,
            &wrap_id(KeyWrap::Aes128),
            None,
        )
        .unwrap();
        assert_eq!(
            hex::encode_upper(kek.as_slice()),
            "DA037C611A6B9DC1EF9D49CEFBA9069C"
        );
    }
}
