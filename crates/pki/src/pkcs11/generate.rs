//! A Document Signer key pair generated on the token with `CKM_EC_KEY_PAIR_GEN` (PKCS #11
//! v2.40 Current Mechanisms §2.3.5), so that the private key exists nowhere else: `CKA_TOKEN`,
//! `CKA_PRIVATE`, `CKA_SENSITIVE` and not `CKA_EXTRACTABLE` (§4.9: then `CKA_ALWAYS_SENSITIVE`
//! and `CKA_NEVER_EXTRACTABLE` hold too), `CKA_SIGN` and nothing else (no derive, no decrypt,
//! no unwrap). The label is the URI's `object`; the `CKA_ID` is the URI's `id` or, when it
//! names none, the SHA-1 of the public point — RFC 5280 §4.2.1.2 method 1, the key identifier
//! the certificate will carry.

use std::sync::Arc;

use cryptoki::{
    mechanism::{Mechanism, MechanismType},
    object::{Attribute, KeyType, ObjectClass},
};

use super::{Curve, Module, Pin, Pkcs11Error, Pkcs11Key, Pkcs11Uri};

/// Generates an EC key pair on `curve` on the token the URI names, labelled and identified as
/// the URI says, and returns the new private key. Refuses when a key matching the URI exists.
pub fn generate(
    module: Arc<Module>,
    uri: &Pkcs11Uri,
    pin: &Pin,
    curve: Curve,
) -> Result<Pkcs11Key, Pkcs11Error> {
    if uri.pin_value.is_some() {
        return Err(Pkcs11Error::PinInUri);
    }
    if let Some(t) = uri.object_type
        && t != super::ObjectType::Private
    {
        return Err(Pkcs11Error::NotAPrivateKey(t.as_str()));
    }
    let label = uri.object.as_ref().ok_or(Pkcs11Error::UnnamedKey)?;
    let slot = module.find_slot(uri)?;
    module.require_mechanism(slot, MechanismType::ECC_KEY_PAIR_GEN, "CKM_EC_KEY_PAIR_GEN")?;
    module.require_mechanism(slot, MechanismType::ECDSA, "CKM_ECDSA")?;
    let session = module.login(slot, pin, true)?;
    let shown = uri.to_string();
    for class in [ObjectClass::PRIVATE_KEY, ObjectClass::PUBLIC_KEY] {
        let mut by_label = vec![
            Attribute::Class(class),
            Attribute::Label(label.as_bytes().to_vec()),
        ];
        let mut found = session
            .find_objects(&by_label)
            .map_err(Pkcs11Error::token("C_FindObjects"))?;
        if let Some(id) = &uri.id {
            by_label.truncate(1);
            by_label.push(Attribute::Id(id.clone()));
            found.extend(
                session
                    .find_objects(&by_label)
                    .map_err(Pkcs11Error::token("C_FindObjects"))?,
            );
        }
        if !found.is_empty() {
            return Err(Pkcs11Error::KeyExists { uri: shown });
        }
    }
    let mut public = vec![
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::Verify(true),
        Attribute::KeyType(KeyType::EC),
        Attribute::EcParams(curve.ec_params()),
        Attribute::Label(label.as_bytes().to_vec()),
    ];
    let mut private = vec![
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Sign(true),
        Attribute::Derive(false),
        Attribute::KeyType(KeyType::EC),
        Attribute::Label(label.as_bytes().to_vec()),
    ];
    if let Some(id) = &uri.id {
        public.push(Attribute::Id(id.clone()));
        private.push(Attribute::Id(id.clone()));
    }
    let (public_handle, private_handle) = session
        .generate_key_pair(&Mechanism::EccKeyPairGen, &public, &private)
        .map_err(Pkcs11Error::token("C_GenerateKeyPair"))?;
    if uri.id.is_none() {
        let point = session
            .get_attributes(public_handle, &[cryptoki::object::AttributeType::EcPoint])
            .map_err(Pkcs11Error::token("C_GetAttributeValue"))?
            .into_iter()
            .find_map(|a| match a {
                Attribute::EcPoint(p) => Some(p),
                _ => None,
            })
            .ok_or(Pkcs11Error::NoEcPoint)?;
        let id = curve
            .public_key_info(&point)?
            .key_identifier()
            .map_err(Pkcs11Error::PublicKeyInfo)?;
        for handle in [public_handle, private_handle] {
            session
                .update_attributes(handle, &[Attribute::Id(id.clone())])
                .map_err(Pkcs11Error::token("C_SetAttributeValue"))?;
        }
    }
    Pkcs11Key::from_handle(module, slot, session, private_handle, shown)
}
