//! A Document Signer private key on a token (PKCS #11 v2.40 §4.9 private key objects), found
//! by its RFC 7512 URI, signing with `CKM_ECDSA` over a digest computed here.
//!
//! The key keeps the session it logged in with and a pool of further sessions: a signature
//! takes one from the pool (or opens one, already logged in since login is per application and
//! token, §5.6) and gives it back, so each session serves one thread at a time and any number of
//! threads sign at once. Object handles are valid in every session of the application (§4.4).
//! Login is per application and token too: while one key of this process holds the token open,
//! opening another key on it does not check the PIN again (`CKR_USER_ALREADY_LOGGED_IN`).

use std::sync::{Arc, Mutex};

use cryptoki::{
    mechanism::{Mechanism, MechanismType},
    object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle},
    session::Session,
    slot::Slot,
};
use sha2::{Digest, Sha256};
use signature::{Keypair, Signer};
use spki::{AlgorithmIdentifier, SignatureAlgorithmIdentifier};

use super::{Curve, Module, Pin, Pkcs11Error, Pkcs11Uri};
use crate::ecdsa::{ECDSA_SHA256_ALGORITHM, EcdsaSignature, PublicKeyInfo};

/// The attributes of a private key that say whether it can leave the token
/// (PKCS #11 v2.40 §4.9, Table 38).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyAttributes {
    /// `CKA_TOKEN`: kept on the token.
    pub token: bool,
    /// `CKA_PRIVATE`: usable only after login.
    pub private: bool,
    /// `CKA_SENSITIVE`: its value is never revealed.
    pub sensitive: bool,
    /// `CKA_EXTRACTABLE`: it may be wrapped out.
    pub extractable: bool,
    /// `CKA_ALWAYS_SENSITIVE`: sensitive since it was made.
    pub always_sensitive: bool,
    /// `CKA_NEVER_EXTRACTABLE`: never extractable since it was made.
    pub never_extractable: bool,
    /// `CKA_SIGN`: may sign.
    pub sign: bool,
}

/// A private key on a PKCS #11 token.
pub struct Pkcs11Key {
    module: Arc<Module>,
    slot: Slot,
    handle: ObjectHandle,
    curve: Curve,
    public: PublicKeyInfo,
    uri: String,
    /// Idle sessions; the first is the one that logged in, so the login lasts as long as the key.
    sessions: Mutex<Vec<Session>>,
}

impl std::fmt::Debug for Pkcs11Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Key")
            .field("uri", &self.uri)
            .field("curve", &self.curve)
            .field("module", &self.module)
            .finish_non_exhaustive()
    }
}

impl Pkcs11Key {
    /// Logs in to the token the URI names and finds its private key. The key must be on the
    /// token, sensitive, not extractable and allowed to sign, on a supported curve, with its
    /// public key beside it.
    pub fn open(module: Arc<Module>, uri: &Pkcs11Uri, pin: &Pin) -> Result<Self, Pkcs11Error> {
        if uri.pin_value.is_some() {
            return Err(Pkcs11Error::PinInUri);
        }
        if let Some(t) = uri.object_type
            && t != super::ObjectType::Private
        {
            return Err(Pkcs11Error::NotAPrivateKey(t.as_str()));
        }
        let slot = module.find_slot(uri)?;
        let session = module.login(slot, pin, false)?;
        let shown = uri.to_string();
        let mut template = vec![Attribute::Class(ObjectClass::PRIVATE_KEY)];
        if let Some(label) = &uri.object {
            template.push(Attribute::Label(label.as_bytes().to_vec()));
        }
        if let Some(id) = &uri.id {
            template.push(Attribute::Id(id.clone()));
        }
        let found = session
            .find_objects(&template)
            .map_err(Pkcs11Error::token("C_FindObjects"))?;
        let handle = match found.as_slice() {
            [one] => *one,
            [] => return Err(Pkcs11Error::KeyNotFound { uri: shown }),
            many => {
                return Err(Pkcs11Error::AmbiguousKey {
                    uri: shown,
                    count: many.len(),
                });
            }
        };
        Self::from_handle(module, slot, session, handle, shown)
    }

    /// The key whose private object is `handle`, with `session` logged in.
    pub(super) fn from_handle(
        module: Arc<Module>,
        slot: Slot,
        session: Session,
        handle: ObjectHandle,
        uri: String,
    ) -> Result<Self, Pkcs11Error> {
        let attributes = read_attributes(&session, handle)?;
        let unsafe_key = |reason| Pkcs11Error::UnsafeKey {
            uri: uri.clone(),
            reason,
        };
        if !attributes.token {
            return Err(unsafe_key("it is a session object (CKA_TOKEN false)"));
        }
        if !attributes.sensitive {
            return Err(unsafe_key("its value can be read (CKA_SENSITIVE false)"));
        }
        if attributes.extractable {
            return Err(unsafe_key("it can be wrapped out (CKA_EXTRACTABLE true)"));
        }
        if !attributes.sign {
            return Err(unsafe_key("it may not sign (CKA_SIGN false)"));
        }
        let (key_type, params, id) = key_identity(&session, handle)?;
        if key_type != Some(KeyType::EC) {
            return Err(Pkcs11Error::UnsupportedCurve {
                params: "none: not an EC key (CKA_KEY_TYPE)".into(),
            });
        }
        let curve = Curve::from_ec_params(&params)?;
        let public = public_key(&session, curve, &params, id.as_deref(), &uri)?;
        module.require_mechanism(slot, MechanismType::ECDSA, "CKM_ECDSA")?;
        Ok(Self {
            module,
            slot,
            handle,
            curve,
            public,
            uri,
            sessions: Mutex::new(vec![session]),
        })
    }

    /// The key's curve.
    pub fn curve(&self) -> Curve {
        self.curve
    }

    /// The URI the key was found by (never with a PIN).
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The private key's protection attributes, read from the token.
    pub fn attributes(&self) -> Result<KeyAttributes, Pkcs11Error> {
        let session = self.session()?;
        let read = read_attributes(&session, self.handle);
        self.give_back(session)?;
        read
    }

    /// Signs the SHA-256 digest `digest` with `CKM_ECDSA`: the token's `r || s`.
    pub fn sign_digest(&self, digest: &[u8; 32]) -> Result<Vec<u8>, Pkcs11Error> {
        self.sign_prehash(digest)
    }

    /// Signs a digest computed on the host with `CKM_ECDSA` (PKCS #11 v2.40 Current Mechanisms
    /// §2.3.6: the token signs the bytes it is given, so the caller picks the hash, e.g.
    /// SHA-384 for a P-384 CV certificate): the token's `r || s`, checked to be as long as the
    /// curve needs.
    pub fn sign_prehash(&self, digest: &[u8]) -> Result<Vec<u8>, Pkcs11Error> {
        let session = self.session()?;
        // A session whose call failed is dropped (closed), not pooled: the module may have
        // left an operation open in it.
        let raw = session
            .sign(&Mechanism::Ecdsa, self.handle, digest)
            .map_err(Pkcs11Error::token("C_Sign"))?;
        self.give_back(session)?;
        let expected = 2 * self.curve.field_len();
        if raw.len() != expected {
            return Err(Pkcs11Error::SignatureLength {
                len: raw.len(),
                expected,
                curve: self.curve,
            });
        }
        Ok(raw)
    }

    /// `Ecdsa-Sig-Value` DER of `msg` (SHA-256 on the host, then `CKM_ECDSA` on the token).
    pub fn sign_der(&self, msg: &[u8]) -> Result<EcdsaSignature, Pkcs11Error> {
        let digest: [u8; 32] = Sha256::digest(msg).into();
        let raw = self.sign_digest(&digest)?;
        EcdsaSignature::from_raw(&raw).map_err(Pkcs11Error::BadSignature)
    }

    fn session(&self) -> Result<Session, Pkcs11Error> {
        let idle = self
            .sessions
            .lock()
            .map_err(|_| Pkcs11Error::Poisoned)?
            .pop();
        match idle {
            Some(s) => Ok(s),
            None => self
                .module
                .context()
                .open_ro_session(self.slot)
                .map_err(Pkcs11Error::token("C_OpenSession")),
        }
    }

    fn give_back(&self, session: Session) -> Result<(), Pkcs11Error> {
        self.sessions
            .lock()
            .map_err(|_| Pkcs11Error::Poisoned)?
            .push(session);
        Ok(())
    }
}

fn signature_error(e: Pkcs11Error) -> signature::Error {
    signature::Error::from_source(e)
}

impl Keypair for Pkcs11Key {
    type VerifyingKey = PublicKeyInfo;

    fn verifying_key(&self) -> PublicKeyInfo {
        self.public.clone()
    }
}

impl Signer<EcdsaSignature> for Pkcs11Key {
    fn try_sign(&self, msg: &[u8]) -> Result<EcdsaSignature, signature::Error> {
        self.sign_der(msg).map_err(signature_error)
    }
}

impl Signer<p256::ecdsa::DerSignature> for Pkcs11Key {
    fn try_sign(&self, msg: &[u8]) -> Result<p256::ecdsa::DerSignature, signature::Error> {
        if self.curve != Curve::P256 {
            return Err(signature_error(Pkcs11Error::WrongCurve(self.curve)));
        }
        let digest: [u8; 32] = Sha256::digest(msg).into();
        let raw = self.sign_digest(&digest).map_err(signature_error)?;
        let sig = p256::ecdsa::Signature::from_slice(&raw)?;
        Ok(sig.to_der())
    }
}

impl SignatureAlgorithmIdentifier for Pkcs11Key {
    type Params = der::AnyRef<'static>;
    const SIGNATURE_ALGORITHM_IDENTIFIER: AlgorithmIdentifier<der::AnyRef<'static>> =
        ECDSA_SHA256_ALGORITHM;
}

fn read_attributes(session: &Session, handle: ObjectHandle) -> Result<KeyAttributes, Pkcs11Error> {
    let attrs = session
        .get_attributes(
            handle,
            &[
                AttributeType::Token,
                AttributeType::Private,
                AttributeType::Sensitive,
                AttributeType::Extractable,
                AttributeType::AlwaysSensitive,
                AttributeType::NeverExtractable,
                AttributeType::Sign,
            ],
        )
        .map_err(Pkcs11Error::token("C_GetAttributeValue"))?;
    // An attribute the token does not report counts against the key (extractable is assumed).
    let mut out = KeyAttributes {
        token: false,
        private: false,
        sensitive: false,
        extractable: true,
        always_sensitive: false,
        never_extractable: false,
        sign: false,
    };
    for a in attrs {
        match a {
            Attribute::Token(v) => out.token = v,
            Attribute::Private(v) => out.private = v,
            Attribute::Sensitive(v) => out.sensitive = v,
            Attribute::Extractable(v) => out.extractable = v,
            Attribute::AlwaysSensitive(v) => out.always_sensitive = v,
            Attribute::NeverExtractable(v) => out.never_extractable = v,
            Attribute::Sign(v) => out.sign = v,
            _ => {}
        }
    }
    Ok(out)
}

type Identity = (Option<KeyType>, Vec<u8>, Option<Vec<u8>>);

/// `CKA_KEY_TYPE`, `CKA_EC_PARAMS` and `CKA_ID` of a key object.
fn key_identity(session: &Session, handle: ObjectHandle) -> Result<Identity, Pkcs11Error> {
    let attrs = session
        .get_attributes(
            handle,
            &[
                AttributeType::KeyType,
                AttributeType::EcParams,
                AttributeType::Id,
            ],
        )
        .map_err(Pkcs11Error::token("C_GetAttributeValue"))?;
    let (mut key_type, mut params, mut id) = (None, Vec::new(), None);
    for a in attrs {
        match a {
            Attribute::KeyType(t) => key_type = Some(t),
            Attribute::EcParams(p) => params = p,
            Attribute::Id(i) if !i.is_empty() => id = Some(i),
            _ => {}
        }
    }
    Ok((key_type, params, id))
}

/// The public key object of the pair: same `CKA_ID` (else the URI's label) and curve.
fn public_key(
    session: &Session,
    curve: Curve,
    params: &[u8],
    id: Option<&[u8]>,
    uri: &str,
) -> Result<PublicKeyInfo, Pkcs11Error> {
    let mut template = vec![
        Attribute::Class(ObjectClass::PUBLIC_KEY),
        Attribute::KeyType(KeyType::EC),
        Attribute::EcParams(params.to_vec()),
    ];
    if let Some(id) = id {
        template.push(Attribute::Id(id.to_vec()));
    }
    let found = session
        .find_objects(&template)
        .map_err(Pkcs11Error::token("C_FindObjects"))?;
    let [handle] = found.as_slice() else {
        return Err(Pkcs11Error::PublicKeyCount {
            found: found.len(),
            uri: uri.to_string(),
        });
    };
    let attrs = session
        .get_attributes(*handle, &[AttributeType::EcPoint])
        .map_err(Pkcs11Error::token("C_GetAttributeValue"))?;
    let point = attrs
        .into_iter()
        .find_map(|a| match a {
            Attribute::EcPoint(p) => Some(p),
            _ => None,
        })
        .ok_or(Pkcs11Error::NoEcPoint)?;
    curve.public_key_info(&point)
}
