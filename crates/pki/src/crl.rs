//! Certificate revocation lists of a CSCA (ICAO Doc 9303-12 §4.1.5, §7.1.4 Tables 9 and 10, docs/spec/lds.md §10.1;
//! RFC 5280 §5): version 2, signed by the CSCA's newest key, thisUpdate and nextUpdate (at most
//! 90 days apart, §4.1.5), revokedCertificates only when something is revoked, and exactly two
//! CRL extensions, both non-critical — authorityKeyIdentifier (the subjectKeyIdentifier of the
//! CRL issuer's certificate) and cRLNumber (non-negative, at most 20 octets). Entry extensions
//! (reasonCode, invalidityDate …) are "do not use" in Table 10 and never written.
//!
//! [`parse`] reads a CRL (with `x509-parser`, independently of the writer here) for the trust
//! store; [`register`] keeps what a CSCA has revoked so every new CRL lists it all.

pub mod parse;
pub mod register;

use std::time::SystemTime;

use der::{Encode, asn1::Uint, oid::AssociatedOid};
use signature::{Keypair, Signer};
use spki::{DynSignatureAlgorithmIdentifier, EncodePublicKey, SignatureBitStringEncoding};
use x509_cert::{
    Version,
    builder::Builder,
    crl::{CertificateList, RevokedCert, TbsCertList},
    ext::{
        Extension,
        pkix::{AuthorityKeyIdentifier, CrlNumber},
    },
    serial_number::SerialNumber,
    spki::AlgorithmIdentifierOwned,
    time::Time,
};

use crate::{
    PkiError,
    ds_issue::Issuer,
    profile::issue::{decode, key_id_of},
};

pub use parse::Crl;

/// One revoked certificate: its serial number (unsigned, big-endian) and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// The serial number's magnitude, big-endian (a leading zero octet is allowed).
    pub serial: Vec<u8>,
    /// The revocation date.
    pub date: SystemTime,
}

/// What a CRL says.
#[derive(Debug, Clone)]
pub struct CrlOptions {
    /// cRLNumber: one more than the previous CRL's.
    pub number: u64,
    /// thisUpdate.
    pub this_update: SystemTime,
    /// nextUpdate (9303-12 §4.1.5: at most 90 days later).
    pub next_update: SystemTime,
    /// Every certificate revoked so far.
    pub revoked: Vec<Revocation>,
}

/// Issues a CRL signed by `signer`, the key of the CSCA certificate `csca`; the key must be
/// inside its private key usage period at thisUpdate.
pub fn issue<S, Sig>(csca: &[u8], signer: &S, opts: &CrlOptions) -> Result<Vec<u8>, PkiError>
where
    S: Keypair + DynSignatureAlgorithmIdentifier + Signer<Sig>,
    S::VerifyingKey: EncodePublicKey,
    Sig: SignatureBitStringEncoding,
{
    let cert = decode(csca, "CSCA certificate")?;
    Issuer::of::<S>(&cert, signer, opts.this_update)?;
    if opts.next_update <= opts.this_update {
        return Err(PkiError::build(
            "CRL",
            "nextUpdate must come after thisUpdate",
        ));
    }
    let number = Uint::new(&opts.number.to_be_bytes()).map_err(|e| PkiError::encode("CRL", e))?;
    let key_id =
        der::asn1::OctetString::new(key_id_of(&cert)).map_err(|e| PkiError::encode("CRL", e))?;
    let extensions = vec![
        extension(
            AuthorityKeyIdentifier::OID,
            &AuthorityKeyIdentifier {
                key_identifier: Some(key_id),
                ..AuthorityKeyIdentifier::default()
            },
        )?,
        extension(CrlNumber::OID, &CrlNumber(number))?,
    ];
    let mut revoked = Vec::with_capacity(opts.revoked.len());
    for r in &opts.revoked {
        revoked.push(RevokedCert {
            serial_number: SerialNumber::new(&r.serial).map_err(|e| PkiError::encode("CRL", e))?,
            revocation_date: Time::try_from(r.date).map_err(|e| PkiError::encode("CRL", e))?,
            crl_entry_extensions: None,
        });
    }
    let tbs = TbsCertList {
        version: Version::V2,
        signature: AlgorithmIdentifierOwned {
            oid: der::asn1::ObjectIdentifier::new_unwrap("0.0"),
            parameters: None,
        },
        issuer: cert.tbs_certificate().subject().clone(),
        this_update: Time::try_from(opts.this_update).map_err(|e| PkiError::encode("CRL", e))?,
        next_update: Some(
            Time::try_from(opts.next_update).map_err(|e| PkiError::encode("CRL", e))?,
        ),
        revoked_certificates: (!revoked.is_empty()).then_some(revoked),
        crl_extensions: Some(extensions),
    };
    let list = CrlTbs(tbs)
        .build::<S, Sig>(signer)
        .map_err(|e| PkiError::encode("CRL", e))?;
    list.to_der().map_err(|e| PkiError::encode("CRL", e))
}

fn extension<T: Encode>(
    oid: der::asn1::ObjectIdentifier,
    value: &T,
) -> Result<Extension, PkiError> {
    let der = value
        .to_der()
        .map_err(|e| PkiError::encode("CRL extension", e))?;
    Ok(Extension {
        extn_id: oid,
        critical: false,
        extn_value: der::asn1::OctetString::new(der)
            .map_err(|e| PkiError::encode("CRL extension", e))?,
    })
}

/// The TBSCertList, signed as it is (the `x509-cert` CRL builder would take an issuer's
/// authorityKeyIdentifier where Table 10 wants its subjectKeyIdentifier).
struct CrlTbs(TbsCertList);

impl Builder for CrlTbs {
    type Output = CertificateList;

    fn finalize<S>(&mut self, signer: &S) -> x509_cert::builder::Result<Vec<u8>>
    where
        S: Keypair + DynSignatureAlgorithmIdentifier,
        S::VerifyingKey: EncodePublicKey,
    {
        self.0.signature = signer.signature_algorithm_identifier()?;
        Ok(self.0.to_der()?)
    }

    fn assemble<S>(
        self,
        signature: der::asn1::BitString,
        _signer: &S,
    ) -> x509_cert::builder::Result<Self::Output>
    where
        S: Keypair + DynSignatureAlgorithmIdentifier,
        S::VerifyingKey: EncodePublicKey,
    {
        Ok(CertificateList {
            signature_algorithm: self.0.signature.clone(),
            tbs_cert_list: self.0,
            signature,
        })
    }
}
