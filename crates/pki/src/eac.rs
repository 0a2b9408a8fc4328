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
//! Every certificate is signed through [`CvSigner`], which a file key ([`FileKey`]) and any
//! `signature::Keypair + signature::Signer` of a DER ECDSA signature (the Document Signer's traits,
//! so an HSM) implement ([`permitkit_cvc::EcdsaSigner`]).
//!
//! Files of a folder ([`EacPki::write_dir`]): `cvca.cvcert`, `dv.cvcert`, `is.cvcert`, and
//! `link.cvcert` after a rollover (the certificates, as TR-03110-3 encodes them), and
//! `cvca.pkcs8`, `dv.pkcs8`, `is.pkcs8` (PKCS#8 DER keys, mode 0600). A terminal needs the
//! certificates and `is.pkcs8`; the CVCA's certificate is the trust point a chip is personalized
//! with.

use std::path::Path;

use permitkit_cvc::{
    CertificateBody, Chat, Curve, CvCertificate, CvDate, CvSigner, FileKey, PublicKey, Reference,
    Role, VerifiedCertificate,
};
use permitkit_cvc::{DatePolicy, TrustPoint, verify_chain};

use permitkit_model::random::RandomError;

use super::PkiError;

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

/// One certificate and its key.
pub struct Issued {
    /// The certificate.
    pub certificate: CvCertificate,
    /// The holder's key.
    pub key: FileKey,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Issued {{ holder: {} }}", self.certificate.holder())
    }
}

/// A test EAC PKI: CVCA, DV and IS, with the link certificate of a rollover.
#[derive(Debug)]
pub struct EacPki {
    /// The CVCA (self-signed).
    pub cvca: Issued,
    /// The domestic DV.
    pub dv: Issued,
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

impl EacPki {
    /// Generates fresh keys and the CVCA, DV and IS certificates (sequence number 1).
    pub fn generate(opts: &EacPkiOptions) -> Result<Self, PkiError> {
        let cvca_key = new_key(opts.curve)?;
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
        Self::below(
            Issued {
                certificate: cvca,
                key: cvca_key,
            },
            None,
            opts,
            1,
        )
    }

    /// A DV and an IS under `cvca`.
    fn below(
        cvca: Issued,
        link: Option<CvCertificate>,
        opts: &EacPkiOptions,
        sequence: u32,
    ) -> Result<Self, PkiError> {
        let dv_key = new_key(opts.curve)?;
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

    /// The CVCA rollover: a new CVCA key and self-signed certificate with the next sequence
    /// number, the link certificate (the new key, signed by this CVCA, CAR this CVCA), and a
    /// new DV and IS under the new CVCA. `opts.curve` must be this PKI's curve.
    pub fn rollover(&self, opts: &EacPkiOptions) -> Result<Self, PkiError> {
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
        let new_key = new_key(opts.curve)?;
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
        for (name, issued) in [("cvca", &self.cvca), ("dv", &self.dv), ("is", &self.is)] {
            write_certificate(&dir.join(format!("{name}.cvcert")), &issued.certificate)?;
            let der = issued
                .key
                .to_pkcs8_der()
                .map_err(|e| PkiError::decode(format!("{name} key"), e))?;
            let path = dir.join(format!("{name}.pkcs8"));
            permitkit_model::private_file::write(&path, &der).map_err(|source| PkiError::Io {
                path: path.display().to_string(),
                source,
            })?;
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

    /// Loads a folder [`EacPki::write_dir`] wrote.
    pub fn load_dir(dir: &Path) -> Result<Self, PkiError> {
        let load = |name: &str| -> Result<Issued, PkiError> {
            Ok(Issued {
                certificate: read_certificate(&dir.join(format!("{name}.cvcert")))?,
                key: read_key(&dir.join(format!("{name}.pkcs8")))?,
            })
        };
        let link_path = dir.join("link.cvcert");
        let pki = Self {
            cvca: load("cvca")?,
            dv: load("dv")?,
            is: load("is")?,
            link: if link_path.exists() {
                Some(read_certificate(&link_path)?)
            } else {
                None
            },
        };
        for issued in [&pki.cvca, &pki.dv, &pki.is] {
            if issued.key.public_point()
                != issued
                    .certificate
                    .body()
                    .public_key
                    .point()
                    .unwrap_or_default()
            {
                return Err(PkiError::KeyMismatch(
                    issued.certificate.holder().to_string(),
                ));
            }
        }
        Ok(pki)
    }
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
}
