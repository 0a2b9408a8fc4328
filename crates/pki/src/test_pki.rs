//! A test CSCA and Document Signer following the ICAO Doc 9303-12 certificate profile (§7.1).
//!
//! | | CSCA (self-signed) | Document Signer |
//! |---|---|---|
//! | keyUsage (critical) | keyCertSign, cRLSign | digitalSignature |
//! | basicConstraints (critical) | cA TRUE, pathLen 0 | — |
//! | subjectKeyIdentifier | yes | yes |
//! | authorityKeyIdentifier | — | CSCA's key id |
//! | privateKeyUsagePeriod | 5 years | 3 months |
//! | cRLDistributionPoints | yes | yes |
//! | documentTypeList (2.23.136.1.1.6.2) | — | the document codes it may sign |
//!
//! Validity follows 9303-12 practice: a certificate lives as long as its key's usage period plus
//! the longest validity of a document signed with it (10 years for a permanent residence
//! permit). Keys are ECDSA P-256. Every subject names the PKI TEST ONLY and every PEM file says
//! so in front of its block: these files must never sign a real document.

use std::{
    path::Path,
    str::FromStr,
    time::{Duration, SystemTime},
};

use der::{
    Decode, Encode,
    asn1::{GeneralizedTime, Ia5String, ObjectIdentifier, OctetString, PrintableString, SetOfVec},
};
use p256::{ecdsa::SigningKey, pkcs8::EncodePrivateKey};
use sha1::Digest;
use spki::{EncodePublicKey, SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use x509_cert::{
    Certificate, TbsCertificate,
    builder::{Builder, CertificateBuilder, profile::BuilderProfile},
    ext::{
        Extension,
        pkix::{
            AuthorityKeyIdentifier, BasicConstraints, CrlDistributionPoints, KeyUsage, KeyUsages,
            PrivateKeyUsagePeriod, SubjectKeyIdentifier,
            crl::dp::DistributionPoint,
            name::{DistributionPointName, GeneralName},
        },
    },
    name::Name,
    serial_number::SerialNumber,
    time::{Time, Validity},
};

use permitkit_lds::mrz::CountryCode;

use super::{
    DocumentSigner, PkiError, pem,
    signer::{FileKey, FileKeySignature, read_certificate, read_private_key},
};

/// `id-icao-mrtd-security-extensions-documentTypeList` 2.23.136.1.1.6.2, defined once in the LDS
/// crate, which reads it.
pub use permitkit_lds::sod::scope::ID_DOCUMENT_TYPE_LIST;

const YEAR: Duration = Duration::from_secs(365 * 24 * 3600 + 6 * 3600);
const MONTH: Duration = Duration::from_secs(30 * 24 * 3600);

/// What the test PKI is issued for.
#[derive(Debug, Clone)]
pub struct TestPkiOptions {
    /// Two-letter country code of the issuing State (`UA`).
    pub country: String,
    /// Document codes the Document Signer may sign (documentTypeList), e.g. `IR`.
    pub document_types: Vec<String>,
    /// Start of validity; certificates start one hour earlier to absorb clock skew.
    pub not_before: SystemTime,
}

impl Default for TestPkiOptions {
    fn default() -> Self {
        Self {
            country: "UA".into(),
            document_types: vec!["IR".into(), "IP".into()],
            not_before: SystemTime::now(),
        }
    }
}

/// A test CSCA and Document Signer with their keys.
pub struct TestPki {
    /// CSCA certificate, DER.
    pub csca_der: Vec<u8>,
    /// CSCA private key.
    pub csca_key: FileKey,
    /// Document Signer certificate, DER.
    pub ds_der: Vec<u8>,
    /// Document Signer private key.
    pub ds_key: FileKey,
}

impl std::fmt::Debug for TestPki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TestPki { .. }")
    }
}

impl TestPki {
    /// Generates fresh keys and certificates.
    pub fn generate(opts: &TestPkiOptions) -> Result<Self, PkiError> {
        if CountryCode::from_alpha2(&opts.country).is_none() {
            return Err(PkiError::Build {
                what: "test PKI",
                reason: format!(
                    "country {:?} is not an ISO 3166-1 alpha-2 code of a State (9303-12 §7.1: \
                     the C of a CSCA and its Document Signers)",
                    opts.country
                ),
            });
        }
        let start = opts
            .not_before
            .checked_sub(Duration::from_secs(3600))
            .unwrap_or(opts.not_before);
        let csca_key = new_key()?;
        let ds_key = new_key()?;
        let csca_subject = name(
            &opts.country,
            "TEST ONLY CSCA - not for production documents",
        )?;
        let ds_subject = name(
            &opts.country,
            "TEST ONLY Document Signer - not for production documents",
        )?;
        let csca_spki = spki_of(&csca_key)?;
        let ds_spki = spki_of(&ds_key)?;
        let csca_kid = key_id(&csca_spki);
        let ds_kid = key_id(&ds_spki);

        let csca_ext = vec![
            ext(
                &BasicConstraints {
                    ca: true,
                    path_len_constraint: Some(0),
                },
                true,
            )?,
            ext(&KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign), true)?,
            ext(&SubjectKeyIdentifier(octets(&csca_kid)?), false)?,
            ext(&usage_period(start, 5 * YEAR)?, false)?,
            ext(
                &crl_dp(&format!(
                    "http://pki.test.invalid/{}/csca.crl",
                    opts.country
                ))?,
                false,
            )?,
        ];
        let csca_der = issue(
            &csca_key,
            Profile {
                subject: csca_subject.clone(),
                issuer: csca_subject.clone(),
                extensions: csca_ext,
            },
            csca_spki,
            start,
            5 * YEAR + 10 * YEAR,
        )?;

        let ds_ext = vec![
            ext(&KeyUsage(KeyUsages::DigitalSignature.into()), true)?,
            ext(
                &AuthorityKeyIdentifier {
                    key_identifier: Some(octets(&csca_kid)?),
                    ..AuthorityKeyIdentifier::default()
                },
                false,
            )?,
            ext(&SubjectKeyIdentifier(octets(&ds_kid)?), false)?,
            ext(&usage_period(start, 3 * MONTH)?, false)?,
            ext(
                &crl_dp(&format!(
                    "http://pki.test.invalid/{}/csca.crl",
                    opts.country
                ))?,
                false,
            )?,
            document_type_list(&opts.document_types)?,
        ];
        let ds_der = issue(
            &csca_key,
            Profile {
                subject: ds_subject,
                issuer: csca_subject,
                extensions: ds_ext,
            },
            ds_spki,
            start,
            3 * MONTH + 10 * YEAR,
        )?;
        Ok(Self {
            csca_der,
            csca_key,
            ds_der,
            ds_key,
        })
    }

    /// The Document Signer, ready to sign EF.SOD.
    pub fn document_signer(&self) -> Result<DocumentSigner, PkiError> {
        DocumentSigner::new(self.ds_der.clone(), self.ds_key.clone())
    }

    /// Writes `csca.pem`, `csca-key.pem`, `ds.pem`, `ds-key.pem` into `dir` (created if
    /// missing). Key files are readable by the owner only.
    pub fn write_dir(&self, dir: &Path) -> Result<(), PkiError> {
        std::fs::create_dir_all(dir).map_err(|source| PkiError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        let note = |what: &str| {
            vec![
                format!("TEST ONLY - {what} of the permitkit test PKI."),
                "NOT FOR PRODUCTION: documents signed with this PKI must never be issued.".into(),
            ]
        };
        write(
            &dir.join("csca.pem"),
            &pem::encode("CERTIFICATE", &self.csca_der, &note("CSCA certificate"))?,
            false,
        )?;
        write(
            &dir.join("ds.pem"),
            &pem::encode(
                "CERTIFICATE",
                &self.ds_der,
                &note("Document Signer certificate"),
            )?,
            false,
        )?;
        for (file, key, what) in [
            ("csca-key.pem", &self.csca_key, "CSCA private key"),
            ("ds-key.pem", &self.ds_key, "Document Signer private key"),
        ] {
            let der = key.to_pkcs8_der().map_err(|e| PkiError::Malformed {
                what: what.into(),
                reason: e.to_string(),
            })?;
            let text =
                zeroize::Zeroizing::new(pem::encode("PRIVATE KEY", der.as_bytes(), &note(what))?);
            write(&dir.join(file), &text, true)?;
        }
        Ok(())
    }

    /// Loads a test PKI written by [`TestPki::write_dir`].
    pub fn load_dir(dir: &Path) -> Result<Self, PkiError> {
        let pki = Self {
            csca_der: read_certificate(&dir.join("csca.pem"))?,
            csca_key: read_private_key(&dir.join("csca-key.pem"))?,
            ds_der: read_certificate(&dir.join("ds.pem"))?,
            ds_key: read_private_key(&dir.join("ds-key.pem"))?,
        };
        pki.document_signer()?;
        Ok(pki)
    }
}

struct Profile {
    subject: Name,
    issuer: Name,
    extensions: Vec<Extension>,
}

impl BuilderProfile for Profile {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        _spk: SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: SubjectPublicKeyInfoRef<'_>,
        _tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        Ok(self.extensions.clone())
    }
}

fn issue(
    issuer_key: &SigningKey,
    profile: Profile,
    spki: SubjectPublicKeyInfoOwned,
    start: SystemTime,
    lifetime: Duration,
) -> Result<Vec<u8>, PkiError> {
    let fail = |e: &dyn std::fmt::Display| PkiError::Build {
        what: "certificate",
        reason: e.to_string(),
    };
    let validity = Validity::new(
        Time::try_from(start).map_err(|e| fail(&e))?,
        Time::try_from(start + lifetime).map_err(|e| fail(&e))?,
    );
    let builder =
        CertificateBuilder::new(profile, serial()?, validity, spki).map_err(|e| fail(&e))?;
    let cert: Certificate = builder
        .build::<_, FileKeySignature>(issuer_key)
        .map_err(|e| fail(&e))?;
    cert.to_der().map_err(|e| fail(&e))
}

fn new_key() -> Result<SigningKey, PkiError> {
    use p256::elliptic_curve::Generate;
    SigningKey::try_generate_from_rng(&mut getrandom::SysRng)
        .map_err(|e| PkiError::Random(e.to_string()))
}

/// A positive 15-byte serial number (9303-12: positive, at most 20 octets).
fn serial() -> Result<SerialNumber, PkiError> {
    let mut bytes = [0u8; 15];
    getrandom::fill(&mut bytes).map_err(|e| PkiError::Random(e.to_string()))?;
    bytes[0] = (bytes[0] & 0x7F) | 0x01;
    SerialNumber::new(&bytes).map_err(|e| PkiError::Build {
        what: "serial number",
        reason: e.to_string(),
    })
}

fn name(country: &str, cn: &str) -> Result<Name, PkiError> {
    Name::from_str(&format!(
        "CN={cn},OU=permitkit test PKI,O=TEST ONLY,C={country}"
    ))
    .map_err(|e| PkiError::Build {
        what: "subject name",
        reason: e.to_string(),
    })
}

fn spki_of(key: &SigningKey) -> Result<SubjectPublicKeyInfoOwned, PkiError> {
    let der = key
        .verifying_key()
        .to_public_key_der()
        .map_err(|e| PkiError::Build {
            what: "public key",
            reason: e.to_string(),
        })?;
    SubjectPublicKeyInfoOwned::from_der(der.as_bytes()).map_err(|e| PkiError::Build {
        what: "public key",
        reason: e.to_string(),
    })
}

/// RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits.
fn key_id(spki: &SubjectPublicKeyInfoOwned) -> Vec<u8> {
    sha1::Sha1::digest(spki.subject_public_key.raw_bytes()).to_vec()
}

fn octets(bytes: &[u8]) -> Result<OctetString, PkiError> {
    OctetString::new(bytes).map_err(|e| PkiError::Build {
        what: "key identifier",
        reason: e.to_string(),
    })
}

fn ext<T: Encode + der::oid::AssociatedOid>(
    value: &T,
    critical: bool,
) -> Result<Extension, PkiError> {
    raw_ext(T::OID, value, critical)
}

fn raw_ext<T: Encode>(
    oid: ObjectIdentifier,
    value: &T,
    critical: bool,
) -> Result<Extension, PkiError> {
    let der = value.to_der().map_err(|e| PkiError::Build {
        what: "extension",
        reason: e.to_string(),
    })?;
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: octets(&der)?,
    })
}

fn usage_period(start: SystemTime, length: Duration) -> Result<PrivateKeyUsagePeriod, PkiError> {
    let t = |s| {
        GeneralizedTime::from_system_time(s).map_err(|e| PkiError::Build {
            what: "privateKeyUsagePeriod",
            reason: e.to_string(),
        })
    };
    Ok(PrivateKeyUsagePeriod {
        not_before: Some(t(start)?),
        not_after: Some(t(start + length)?),
    })
}

fn crl_dp(url: &str) -> Result<CrlDistributionPoints, PkiError> {
    let uri = Ia5String::new(url).map_err(|e| PkiError::Build {
        what: "cRLDistributionPoints",
        reason: e.to_string(),
    })?;
    Ok(CrlDistributionPoints(vec![DistributionPoint {
        distribution_point: Some(DistributionPointName::FullName(vec![
            GeneralName::UniformResourceIdentifier(uri),
        ])),
        reasons: None,
        crl_issuer: None,
    }]))
}

/// `DocumentTypeListSyntax ::= SEQUENCE { version INTEGER (0), docTypeList SET OF DocumentType }`
/// with `DocumentType ::= PrintableString (SIZE (1..2))` (9303-12 §7.1.1.3).
fn document_type_list(types: &[String]) -> Result<Extension, PkiError> {
    #[derive(der::Sequence)]
    struct DocumentTypeList {
        version: u8,
        doc_type_list: SetOfVec<PrintableString>,
    }
    let fail = |e: &dyn std::fmt::Display| PkiError::Build {
        what: "documentTypeList",
        reason: e.to_string(),
    };
    let mut list = SetOfVec::new();
    if types.is_empty() {
        return Err(fail(&"name at least one document type the signer may sign"));
    }
    for t in types {
        if t.is_empty() || t.len() > 2 || !t.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(fail(&format!(
                "document type {t:?} must be 1 or 2 letters A-Z (the MRZ document code \
                 without its filler)"
            )));
        }
        list.insert(PrintableString::new(t).map_err(|e| fail(&e))?)
            .map_err(|e| fail(&e))?;
    }
    raw_ext(
        ID_DOCUMENT_TYPE_LIST,
        &DocumentTypeList {
            version: 0,
            doc_type_list: list,
        },
        false,
    )
}

fn write(path: &Path, text: &str, secret: bool) -> Result<(), PkiError> {
    let io = |source| PkiError::Io {
        path: path.display().to_string(),
        source,
    };
    if secret {
        return permitkit_model::private_file::write(path, text.as_bytes()).map_err(io);
    }
    std::fs::write(path, text).map_err(io)
}
