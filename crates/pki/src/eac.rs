//! The EAC PKI for Terminal Authentication (BSI TR-03110-3 §2, Appendix C; ICAO 9303-11 §7;
//! docs/spec/security-protocols.md §6): a TEST ONLY Country Verifying CA (CVCA), one domestic
//! Document Verifier (DV) and one inspection system (IS), and the CVCA rollover with a link
//! certificate.
//!
//! | | CVCA | DV | IS |
//! |---|---|---|---|
//! | CHR | `<C>TESTCVCA<nnnnn>` | `<C>TESTDV<nnnnn>` | `<C>TESTIS<nnnnn>` |
//! | CAR | itself (or the previous CVCA in a link certificate) | the CVCA | the DV |
//! | CHAT (`id-IS`) | `C3` (CVCA, DG3, DG4) | `83` (DV domestic, DG3, DG4) | `03` by default |
//! | public key | `06` + domain parameters + `86` | `06` + `86` | `06` + `86` |
//! | validity | 3 years | 1 year | 90 days |
//!
//! The holder mnemonics say TEST: these certificates must never reach a real inspection system.
//! Every certificate is signed through [`CvSigner`]. The CVCA's and the DV's keys are
//! [`EacKey`]s: a file key ([`FileKey`]) or, feature `pkcs11`, a key pair generated on a PKCS #11
//! token ([`TokenEacKey`], see [`key`]) — [`EacPki::generate_with`] and [`EacPki::rollover_with`]
//! take them, so the CVCA's self-signed certificate, the link certificate (signed by the old
//! CVCA key) and the DV certificate are signed on the token. The inspection system's key is
//! always a file key: a terminal signs its Terminal Authentication challenges with it.
//!
//! Files of a folder ([`EacPki::write_dir`]): `cvca.cvcert`, `dv.cvcert`, `is.cvcert`, and
//! `link.cvcert` after a rollover (the certificates, as TR-03110-3 encodes them); the keys
//! `cvca.pkcs8`, `dv.pkcs8`, `is.pkcs8` (PKCS#8 DER, mode 0600), except that a key on a token is
//! recorded by its RFC 7512 URI instead (`cvca-key.uri`, `dv-key.uri`: no key, no PIN in the
//! folder). A terminal needs the certificates and `is.pkcs8`; the CVCA's certificate is the trust
//! point a chip is personalized with. [`EacPki::load_dir_with`] opens a token key through the
//! caller (which knows the module and the PIN); [`EacPki::load_dir`] opens file keys only.

use std::path::Path;

use permitkit_cvc::{
    CertificateBody, Chat, Curve, CvCertificate, CvDate, CvSigner, FileKey, PublicKey, Reference,
    Role, VerifiedCertificate,
};
use permitkit_cvc::{DatePolicy, TrustPoint, verify_chain};

use permitkit_model::random::RandomError;

use super::PkiError;

pub mod key;

pub use key::EacKey;
#[cfg(feature = "pkcs11")]
pub use key::{TokenEacKey, token_curve};

/// Days of validity (TR-03110 leaves them to the certificate policy; these suit a test PKI).
const CVCA_DAYS: i64 = 3 * 365;
const DV_DAYS: i64 = 365;
const IS_DAYS: i64 = 90;

/// What the test EAC PKI is issued for.
#[derive(Debug, Clone)]
pub struct EacPkiOptions {
    /// Two-letter country code of the issuing State.
    pub country: String,
    /// The curve of every key.
    pub curve: Curve,
    /// First day of validity of every certificate.
    pub effective: CvDate,
    /// The IS may read DG3.
    pub is_reads_dg3: bool,
    /// The IS may read DG4.
    pub is_reads_dg4: bool,
}

impl EacPkiOptions {
    /// Country `UA`, brainpoolP256r1, today, DG3 and DG4.
    pub fn new(effective: CvDate) -> Self {
        Self {
            country: "UA".into(),
            curve: Curve::BrainpoolP256r1,
            effective,
            is_reads_dg3: true,
            is_reads_dg4: true,
        }
    }
}

/// One certificate and its key (a file key, or for the CVCA and the DV an [`EacKey`]).
pub struct Issued<K = FileKey> {
    /// The certificate.
    pub certificate: CvCertificate,
    /// The holder's key.
    pub key: K,
}

impl<K> std::fmt::Debug for Issued<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Issued {{ holder: {} }}", self.certificate.holder())
    }
}

/// A test EAC PKI: CVCA, DV and IS, with the link certificate of a rollover.
#[derive(Debug)]
pub struct EacPki {
    /// The CVCA (self-signed); its key in a file or on a token.
    pub cvca: Issued<EacKey>,
    /// The domestic DV; its key in a file or on a token.
    pub dv: Issued<EacKey>,
    /// The inspection system.
    pub is: Issued,
    /// The CVCA link certificate (new CVCA key signed by the previous CVCA), after a rollover.
    pub link: Option<CvCertificate>,
}

/// Signs `body` with `signer`, checking that the body's key is the signer's when self-signed.
pub fn issue(signer: &dyn CvSigner, body: CertificateBody) -> Result<CvCertificate, PkiError> {
    let bytes = body.encode().map_err(PkiError::CvEncoding)?;
    let signature = signer.sign(&bytes).map_err(PkiError::CvSigning)?;
    CvCertificate::from_parts(body, signature).map_err(PkiError::CvEncoding)
}

fn reference(country: &str, mnemonic: &str, sequence: u32) -> Result<Reference, PkiError> {
    Reference::new(country, mnemonic, &format!("{sequence:05}"))
        .map_err(|e| PkiError::encode("certificate reference", e))
}

fn until(start: CvDate, days: i64) -> Result<CvDate, PkiError> {
    start.add_days(days - 1).ok_or(PkiError::Build {
        what: "CV certificate",
        reason: format!("{start} + {days} days is past 2099-12-31"),
    })
}

/// Refuses a key that is not on the PKI's curve: DV and terminal keys use their CVCA's domain
/// parameters (TR-03110-3 D.3.3), so every key of the PKI is on one curve.
fn same_curve(key: &dyn CvSigner, curve: Curve, whose: &str) -> Result<(), PkiError> {
    if key.curve() == curve {
        return Ok(());
    }
    Err(PkiError::Build {
        what: "CV certificate",
        reason: format!(
            "the {whose} key is on {}, the PKI's keys on {curve}: every key of an EAC PKI is \
             on its CVCA's curve",
            key.curve()
        ),
    })
}

/// Checks a self-signed CVCA certificate's signature with its own key: a signer whose
/// signatures do not match the public point it reported (a token key read wrong) fails here.
fn check_self_signed(cert: &CvCertificate) -> Result<(), PkiError> {
    let fail = |e: permitkit_cvc::ChainError| PkiError::decode("the new CVCA certificate", e);
    let tp = TrustPoint::from_certificate(cert).map_err(fail)?;
    tp.as_verified()
        .verify_signature(cert.body_bytes(), cert.signature())
        .map_err(|e| PkiError::decode("the new CVCA certificate's signature", e))
}

impl EacPki {
    /// Generates fresh file keys and the CVCA, DV and IS certificates (sequence number 1).
    pub fn generate(opts: &EacPkiOptions) -> Result<Self, PkiError> {
        Self::generate_with(opts, EacKey::File(new_key(opts.curve)?), None)
    }

    /// The CVCA, DV and IS certificates (sequence number 1) with the CVCA key `cvca_key` (a key
    /// made on a token) and the DV key `dv_key` (a fresh file key when `None`); the IS key is a
    /// fresh file key. Every key must be on `opts.curve`.
    pub fn generate_with(
        opts: &EacPkiOptions,
        cvca_key: EacKey,
        dv_key: Option<EacKey>,
    ) -> Result<Self, PkiError> {
        same_curve(&cvca_key, opts.curve, "CVCA")?;
        let car = reference(&opts.country, "TESTCVCA", 1)?;
        let cvca = issue(
            &cvca_key,
            CertificateBody {
                profile_identifier: 0,
                authority: car.clone(),
                public_key: PublicKey::ecdsa(
                    opts.curve.default_algorithm(),
                    Some(opts.curve.domain_parameters()),
                    cvca_key.public_point(),
                ),
                holder: car,
                chat: Chat::inspection_system(Role::Cvca, true, true),
                effective: opts.effective,
                expiration: until(opts.effective, CVCA_DAYS)?,
                extensions: Vec::new(),
            },
        )?;
        check_self_signed(&cvca)?;
        Self::below(
            Issued {
                certificate: cvca,
                key: cvca_key,
            },
            None,
            opts,
            1,
            dv_key,
        )
    }

    /// A DV (key `dv_key`, or a fresh file key) and an IS under `cvca`.
    fn below(
        cvca: Issued<EacKey>,
        link: Option<CvCertificate>,
        opts: &EacPkiOptions,
        sequence: u32,
        dv_key: Option<EacKey>,
    ) -> Result<Self, PkiError> {
        let dv_key = match dv_key {
            Some(k) => k,
            None => EacKey::File(new_key(opts.curve)?),
        };
        same_curve(&dv_key, opts.curve, "DV")?;
        let dv_ref = reference(&opts.country, "TESTDV", sequence)?;
        let dv = issue(
            &cvca.key,
            CertificateBody {
                profile_identifier: 0,
                authority: cvca.certificate.holder().clone(),
                public_key: PublicKey::ecdsa(
                    opts.curve.default_algorithm(),
                    None,
                    dv_key.public_point(),
                ),
                holder: dv_ref.clone(),
                chat: Chat::inspection_system(Role::DvDomestic, true, true),
                effective: opts.effective,
                expiration: until(opts.effective, DV_DAYS)?,
                extensions: Vec::new(),
            },
        )?;
        let is_key = new_key(opts.curve)?;
        let is = issue(
            &dv_key,
            CertificateBody {
                profile_identifier: 0,
                authority: dv_ref,
                public_key: PublicKey::ecdsa(
                    opts.curve.default_algorithm(),
                    None,
                    is_key.public_point(),
                ),
                holder: reference(&opts.country, "TESTIS", sequence)?,
                chat: Chat::inspection_system(Role::Terminal, opts.is_reads_dg3, opts.is_reads_dg4),
                effective: opts.effective,
                expiration: until(opts.effective, IS_DAYS)?,
                extensions: Vec::new(),
            },
        )?;
        Ok(Self {
            cvca,
            dv: Issued {
                certificate: dv,
                key: dv_key,
            },
            is: Issued {
                certificate: is,
                key: is_key,
            },
            link,
        })
    }

    /// The CVCA rollover: a new CVCA file key and self-signed certificate with the next
    /// sequence number, the link certificate (the new key, signed by this CVCA, CAR this CVCA),
    /// and a new DV and IS under the new CVCA. `opts.curve` must be this PKI's curve.
    pub fn rollover(&self, opts: &EacPkiOptions) -> Result<Self, PkiError> {
        self.rollover_with(opts, EacKey::File(new_key(opts.curve)?), None)
    }

    /// The CVCA rollover with the new CVCA key `new_key` (a key made on a token) and the new
    /// DV key `dv_key` (a fresh file key when `None`): the link certificate is signed by this
    /// PKI's CVCA key, wherever it is. Every key must be on `opts.curve`, this PKI's curve.
    pub fn rollover_with(
        &self,
        opts: &EacPkiOptions,
        new_key: EacKey,
        dv_key: Option<EacKey>,
    ) -> Result<Self, PkiError> {
        same_curve(&self.cvca.key, opts.curve, "current CVCA")?;
        same_curve(&new_key, opts.curve, "new CVCA")?;
        let old = &self.cvca.certificate;
        let sequence = old
            .holder()
            .sequence()
            .parse::<u32>()
            .ok()
            .and_then(|n| n.checked_add(1))
            .filter(|n| *n <= 99_999)
            .ok_or_else(|| PkiError::Build {
                what: "CVCA link certificate",
                reason: format!(
                    "the sequence number of {} is not a number below 99999",
                    old.holder()
                ),
            })?;
        let country = old.holder().country();
        let chr = reference(&country, "TESTCVCA", sequence)?;
        let expiration = until(opts.effective, CVCA_DAYS)?;
        let body = |authority: Reference| CertificateBody {
            profile_identifier: 0,
            authority,
            public_key: PublicKey::ecdsa(
                opts.curve.default_algorithm(),
                Some(opts.curve.domain_parameters()),
                new_key.public_point(),
            ),
            holder: chr.clone(),
            chat: Chat::inspection_system(Role::Cvca, true, true),
            effective: opts.effective,
            expiration,
            extensions: Vec::new(),
        };
        let link = issue(&self.cvca.key, body(old.holder().clone()))?;
        let cvca = issue(&new_key, body(chr.clone()))?;
        check_self_signed(&cvca)?;
        // The link certificate verifies with the old CVCA's key.
        let fail = |e: permitkit_cvc::ChainError| PkiError::decode("the CVCA link certificate", e);
        TrustPoint::from_certificate(old)
            .map_err(fail)?
            .as_verified()
            .verify_signature(link.body_bytes(), link.signature())
            .map_err(|e| PkiError::decode("the CVCA link certificate's signature", e))?;
        let opts = EacPkiOptions {
            country,
            ..opts.clone()
        };
        Self::below(
            Issued {
                certificate: cvca,
                key: new_key,
            },
            Some(link),
            &opts,
            sequence,
            dv_key,
        )
    }

    /// The certificates a terminal presents to a chip that trusts this CVCA (DV, IS), or that
    /// trusts the previous CVCA (link, DV, IS).
    pub fn terminal_chain(&self, chip_trusts_previous: bool) -> Vec<CvCertificate> {
        let mut chain = Vec::new();
        if let (true, Some(link)) = (chip_trusts_previous, &self.link) {
            chain.push(link.clone());
        }
        chain.push(self.dv.certificate.clone());
        chain.push(self.is.certificate.clone());
        chain
    }

    /// Checks the DV and IS against the CVCA on `date` (and the link certificate against the
    /// previous CVCA's key when `previous` is given).
    pub fn check(
        &self,
        previous: Option<&CvCertificate>,
        date: CvDate,
    ) -> Result<VerifiedCertificate, PkiError> {
        let fail = |e: permitkit_cvc::ChainError| PkiError::decode("EAC chain", e);
        let anchor = match (previous, &self.link) {
            (Some(prev), Some(_)) => prev,
            _ => &self.cvca.certificate,
        };
        let tp = TrustPoint::from_certificate(anchor).map_err(fail)?;
        let chain = self.terminal_chain(previous.is_some());
        verify_chain(&[tp], &chain, date, DatePolicy::Validity).map_err(fail)
    }

    /// Writes the certificates and keys into `dir` (created if missing; keys mode 0600).
    pub fn write_dir(&self, dir: &Path) -> Result<(), PkiError> {
        std::fs::create_dir_all(dir).map_err(|source| PkiError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        let keys: [(&str, &CvCertificate, Option<&FileKey>, Option<&str>); 3] = [
            (
                "cvca",
                &self.cvca.certificate,
                self.cvca.key.file(),
                self.cvca.key.token_uri(),
            ),
            (
                "dv",
                &self.dv.certificate,
                self.dv.key.file(),
                self.dv.key.token_uri(),
            ),
            ("is", &self.is.certificate, Some(&self.is.key), None),
        ];
        for (name, certificate, file, uri) in keys {
            write_certificate(&dir.join(format!("{name}.cvcert")), certificate)?;
            let key_path = dir.join(format!("{name}.pkcs8"));
            let uri_path = dir.join(format!("{name}{KEY_URI_SUFFIX}"));
            // The other kind's file of an earlier folder goes: one key per holder.
            let (write, stale) = match (file, uri) {
                (Some(key), _) => {
                    let der = key
                        .to_pkcs8_der()
                        .map_err(|e| PkiError::decode(format!("{name} key"), e))?;
                    (Written::Key(der), uri_path.clone())
                }
                (None, Some(uri)) => (Written::Uri(format!("{uri}\n")), key_path.clone()),
                (None, None) => {
                    return Err(PkiError::build(
                        "EAC PKI folder",
                        format!("the {name} key is neither a file key nor on a token"),
                    ));
                }
            };
            let io = |path: &Path| {
                let shown = path.display().to_string();
                move |source: std::io::Error| PkiError::Io {
                    path: shown,
                    source,
                }
            };
            if stale.exists() {
                std::fs::remove_file(&stale).map_err(io(&stale))?;
            }
            match write {
                Written::Key(der) => {
                    permitkit_model::private_file::write(&key_path, &der).map_err(io(&key_path))?
                }
                Written::Uri(text) => std::fs::write(&uri_path, text).map_err(io(&uri_path))?,
            }
        }
        if let Some(link) = &self.link {
            write_certificate(&dir.join("link.cvcert"), link)?;
        }
        let note = "TEST ONLY - permitkit test EAC PKI (CVCA, DV, IS). NOT FOR PRODUCTION:\n\
                    never personalize a real document with this CVCA, never give these keys to a \
                    real inspection system.\n";
        std::fs::write(dir.join("TEST-ONLY.txt"), note).map_err(|source| PkiError::Io {
            path: dir.join("TEST-ONLY.txt").display().to_string(),
            source,
        })
    }

    /// Loads a folder [`EacPki::write_dir`] wrote whose keys are all files; a key recorded by
    /// its token URI is [`PkiError::KeyOnToken`] (use [`EacPki::load_dir_with`]).
    pub fn load_dir(dir: &Path) -> Result<Self, PkiError> {
        Self::load_dir_with(dir, |role, path, uri| {
            Err(PkiError::KeyOnToken {
                path: path.display().to_string(),
                role,
                uri: uri.to_owned(),
            })
        })
    }

    /// Loads a folder [`EacPki::write_dir`] wrote; `open_token(role, file, uri)` opens a CVCA or
    /// DV key recorded by its token URI (`cvca-key.uri`, `dv-key.uri`). Every key must match
    /// its certificate's public key.
    pub fn load_dir_with<E, F>(dir: &Path, mut open_token: F) -> Result<Self, E>
    where
        E: From<PkiError>,
        F: FnMut(&'static str, &Path, &str) -> Result<EacKey, E>,
    {
        let mut load = |name: &str, role: &'static str| -> Result<Issued<EacKey>, E> {
            let certificate = read_certificate(&dir.join(format!("{name}.cvcert")))?;
            let file = dir.join(format!("{name}.pkcs8"));
            let uri_file = dir.join(format!("{name}{KEY_URI_SUFFIX}"));
            let key = match (file.exists(), uri_file.exists()) {
                (true, true) => {
                    return Err(PkiError::Malformed {
                        what: dir.display().to_string(),
                        reason: format!(
                            "both {name}.pkcs8 and {name}{KEY_URI_SUFFIX}: one key per holder"
                        ),
                    }
                    .into());
                }
                (false, true) => {
                    let uri = read_uri(&uri_file)?;
                    open_token(role, &uri_file, &uri)?
                }
                _ => EacKey::File(read_key(&file)?),
            };
            Ok(Issued { certificate, key })
        };
        let cvca = load("cvca", "CVCA")?;
        let dv = load("dv", "DV")?;
        let is = Issued {
            certificate: read_certificate(&dir.join("is.cvcert"))?,
            key: read_key(&dir.join("is.pkcs8"))?,
        };
        let link_path = dir.join("link.cvcert");
        let pki = Self {
            cvca,
            dv,
            is,
            link: if link_path.exists() {
                Some(read_certificate(&link_path)?)
            } else {
                None
            },
        };
        let pairs: [(&dyn CvSigner, &CvCertificate); 3] = [
            (&pki.cvca.key, &pki.cvca.certificate),
            (&pki.dv.key, &pki.dv.certificate),
            (&pki.is.key, &pki.is.certificate),
        ];
        for (key, certificate) in pairs {
            if key.public_point() != certificate.body().public_key.point().unwrap_or_default() {
                return Err(PkiError::KeyMismatch(certificate.holder().to_string()).into());
            }
        }
        Ok(pki)
    }
}

/// What [`EacPki::write_dir`] writes for a key: the PKCS#8 DER, or the URI line.
enum Written {
    Key(zeroize::Zeroizing<Vec<u8>>),
    Uri(String),
}

/// The suffix of the file that records a key on a token by its URI: `cvca-key.uri`.
pub const KEY_URI_SUFFIX: &str = "-key.uri";

/// The URI a `*-key.uri` file records (its first line).
fn read_uri(path: &Path) -> Result<String, PkiError> {
    let bytes = read_bounded(path)?;
    let text =
        String::from_utf8(bytes).map_err(|e| PkiError::decode(path.display().to_string(), e))?;
    let uri = text.lines().next().unwrap_or_default().trim();
    if uri.is_empty() {
        return Err(PkiError::Malformed {
            what: path.display().to_string(),
            reason: "empty: it should hold the key's PKCS #11 URI".into(),
        });
    }
    Ok(uri.to_owned())
}

fn new_key(curve: Curve) -> Result<FileKey, PkiError> {
    FileKey::generate(curve).map_err(|e| PkiError::Random(RandomError::new(e)))
}

fn write_certificate(path: &Path, cert: &CvCertificate) -> Result<(), PkiError> {
    let bytes = cert
        .to_bytes()
        .map_err(|e| PkiError::encode("CV certificate", e))?;
    std::fs::write(path, bytes).map_err(|source| PkiError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Reads and decodes a `.cvcert` file.
pub fn read_certificate(path: &Path) -> Result<CvCertificate, PkiError> {
    let shown = path.display().to_string();
    let bytes = read_bounded(path)?;
    CvCertificate::decode(&bytes).map_err(|e| PkiError::decode(shown, e))
}

/// Reads a PKCS#8 DER EAC key (as `pki eac init` and OpenPACE's `cvc-create` write them).
pub fn read_key(path: &Path) -> Result<FileKey, PkiError> {
    let shown = path.display().to_string();
    let der = zeroize::Zeroizing::new(read_bounded(path)?);
    FileKey::from_pkcs8_der(&der).map_err(|e| PkiError::decode(shown, e))
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, PkiError> {
    use std::io::Read;
    let shown = path.display().to_string();
    let io = |source| PkiError::Io {
        path: shown.clone(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    let limit = u64::try_from(permitkit_cvc::MAX_CERTIFICATE_LEN).unwrap_or(8192);
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() > permitkit_cvc::MAX_CERTIFICATE_LEN {
        return Err(PkiError::Malformed {
            what: shown,
            reason: format!("larger than {limit} bytes"),
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_pki_verifies_and_rolls_over() {
        let today = CvDate::new(2026, 3, 1).unwrap();
        let opts = EacPkiOptions::new(today);
        let pki = EacPki::generate(&opts).unwrap();
        let end = pki.check(None, today).unwrap();
        assert!(end.effective_chat.reads_dg3() && end.effective_chat.reads_dg4());
        assert_eq!(pki.cvca.certificate.holder().to_string(), "UATESTCVCA00001");
        let next = pki.rollover(&opts).unwrap();
        assert_eq!(
            next.cvca.certificate.holder().to_string(),
            "UATESTCVCA00002"
        );
        // A chip that trusts the old CVCA accepts link + DV + IS; the new CVCA alone trusts DV + IS.
        next.check(Some(&pki.cvca.certificate), today).unwrap();
        next.check(None, today).unwrap();
        // The IS expires after 90 days.
        assert!(
            pki.check(None, today.add_days(90).unwrap_or(today))
                .is_err()
        );
    }

    #[test]
    fn a_folder_names_one_key_per_holder_a_file_or_a_token_uri() {
        let today = CvDate::new(2026, 3, 1).unwrap();
        let pki = EacPki::generate(&EacPkiOptions::new(today)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        pki.write_dir(dir.path()).unwrap();
        assert!(EacPki::load_dir(dir.path()).is_ok());
        let uri = "pkcs11:token=T;object=cvca?module-path=/usr/lib/m.so";
        std::fs::write(dir.path().join("cvca-key.uri"), format!("{uri}\n")).unwrap();
        // Both a key file and a URI: which key is the CVCA's is not guessed.
        assert!(matches!(
            EacPki::load_dir(dir.path()),
            Err(PkiError::Malformed { .. })
        ));
        std::fs::remove_file(dir.path().join("cvca.pkcs8")).unwrap();
        // A loader of file keys says where the key is; an opener gets the recorded URI.
        assert!(matches!(
            EacPki::load_dir(dir.path()),
            Err(PkiError::KeyOnToken { role: "CVCA", uri: ref u, .. }) if u == uri
        ));
        let mut asked = Vec::new();
        let opened = EacPki::load_dir_with(dir.path(), |role, _, text| {
            asked.push((role, text.to_owned()));
            // Stands in for the token: a key that is not the certificate's.
            Ok::<_, PkiError>(EacKey::File(new_key(Curve::BrainpoolP256r1)?))
        });
        assert_eq!(asked, [("CVCA", uri.to_owned())]);
        assert!(matches!(opened, Err(PkiError::KeyMismatch(h)) if h == "UATESTCVCA00001"));
        // Writing a file-key PKI again removes the stale URI record.
        pki.write_dir(dir.path()).unwrap();
        assert!(!dir.path().join("cvca-key.uri").exists());
        assert!(EacPki::load_dir(dir.path()).is_ok());
    }
}
