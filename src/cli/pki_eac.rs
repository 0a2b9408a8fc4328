//! `permitkit pki eac …`: the TEST ONLY EAC PKI for Terminal Authentication (CV certificates,
//! BSI TR-03110-3 §2, Appendix C).
//!
//! With `--token-uri` (feature `pkcs11`), `init` and `link` generate the CVCA key pair on a
//! PKCS #11 token (sensitive, not extractable, sign only) and sign the CVCA certificate, the DV
//! certificate and a rollover's link certificate there; the folder records the key's RFC 7512
//! URI in `cvca-key.uri` instead of a key file. `--dv-token-uri` puts the DV key on the token
//! too (`dv-key.uri`); otherwise the DV and the inspection system keep PKCS#8 file keys. `link`
//! opens a current CVCA key on a token from the URI its folder records. The PIN comes from
//! `--pin-file`, `--pin-env`, the URI's `pin-source` or a prompt — never from the command line.

use std::{path::PathBuf, process::ExitCode};

use anyhow::{Context, bail};
use clap::Subcommand;
use permitkit_cvc::KeyMaterial;
use permitkit_cvc::{Curve, CvCertificate, CvDate, CvSigner};
use permitkit_cvc::{DatePolicy, TrustPoint, verify_chain};
use permitkit_pki::eac::{EacKey, EacPki, EacPkiOptions, read_certificate};

use super::exit;

/// EAC PKI commands.
#[derive(Debug, Subcommand)]
pub enum EacCommand {
    /// Create a TEST ONLY CVCA, domestic DV and inspection system: cvca.cvcert, dv.cvcert,
    /// is.cvcert and their PKCS#8 keys (mode 0600).
    Init {
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// Two-letter country code of the issuing State.
        #[arg(long, default_value = "UA")]
        country: String,
        /// Curve of every key: brainpoolP256r1, P-256, brainpoolP384r1 or P-384.
        #[arg(long, default_value = "brainpoolP256r1")]
        curve: String,
        /// First day of validity (YYYY-MM-DD; default today, UTC).
        #[arg(long)]
        effective: Option<String>,
        /// Data groups the inspection system may read: dg3, dg4, both (dg3,dg4) or none.
        #[arg(long, value_delimiter = ',', default_value = "dg3,dg4")]
        is_rights: Vec<String>,
        /// Replace existing files.
        #[arg(long)]
        force: bool,
        /// Generate the CVCA key pair on a PKCS #11 token instead of a TEST ONLY file
        /// (`--token-uri` names the new key; `--module`, `--pin-file`, `--pin-env`).
        #[cfg(feature = "pkcs11")]
        #[command(flatten)]
        token: super::pki_token::TokenArgs,
        /// Generate the DV key pair on the token too: the new key's URI (same module and PIN
        /// as the CVCA's).
        #[cfg(feature = "pkcs11")]
        #[arg(long, value_name = "URI", requires = "token_uri")]
        dv_token_uri: Option<String>,
    },
    /// CVCA rollover: a new CVCA (next sequence number), the link certificate signed by the
    /// old CVCA (link.cvcert) and a new DV and inspection system under the new CVCA.
    Link {
        /// The folder of the current CVCA (`pki eac init --out`).
        #[arg(long)]
        old: PathBuf,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// First day of validity (YYYY-MM-DD; default today, UTC).
        #[arg(long)]
        effective: Option<String>,
        /// Replace existing files.
        #[arg(long)]
        force: bool,
        /// Generate the new CVCA key pair on a PKCS #11 token (`--token-uri` names it;
        /// `--module`, `--pin-file`, `--pin-env`). Required when the current CVCA key is on a
        /// token.
        #[cfg(feature = "pkcs11")]
        #[command(flatten)]
        token: super::pki_token::TokenArgs,
        /// Generate the new DV key pair on the token too (same module and PIN).
        #[cfg(feature = "pkcs11")]
        #[arg(long, value_name = "URI", requires = "token_uri")]
        dv_token_uri: Option<String>,
        /// A file holding the user PIN of the token of the current CVCA key (default: the PIN
        /// of --pin-file / --pin-env, else the URI's pin-source, else a prompt).
        #[cfg(feature = "pkcs11")]
        #[arg(long, value_name = "FILE", conflicts_with = "old_pin_env")]
        old_pin_file: Option<PathBuf>,
        /// An environment variable holding the user PIN of the current CVCA key's token.
        #[cfg(feature = "pkcs11")]
        #[arg(long, value_name = "VAR")]
        old_pin_env: Option<String>,
    },
    /// Show a CV certificate; with --trust, verify the chain from that CVCA certificate.
    Show {
        /// The certificate (`.cvcert`).
        file: PathBuf,
        /// CVCA certificate(s) to trust (the chain's anchor).
        #[arg(long)]
        trust: Vec<PathBuf>,
        /// Certificates between the trust point and FILE, in order (link, DV).
        #[arg(long)]
        chain: Vec<PathBuf>,
        /// The date to check validity on (YYYY-MM-DD; default today, UTC).
        #[arg(long)]
        date: Option<String>,
    },
}

fn date_or_today(date: Option<&str>) -> anyhow::Result<CvDate> {
    match date {
        Some(d) => d.parse().map_err(anyhow::Error::msg),
        None => CvDate::today().context("the system clock is outside 2000-2099"),
    }
}

const FILES: [&str; 8] = [
    "cvca.cvcert",
    "cvca.pkcs8",
    "cvca-key.uri",
    "dv.cvcert",
    "dv.pkcs8",
    "dv-key.uri",
    "is.cvcert",
    "is.pkcs8",
];

fn refuse_overwrite(out: &std::path::Path, force: bool) -> anyhow::Result<()> {
    for f in FILES.iter().chain(&["link.cvcert"]) {
        if out.join(f).exists() && !force {
            bail!(
                "{} already exists; refusing to replace keys (use --force)",
                out.join(f).display()
            );
        }
    }
    Ok(())
}

/// Runs a `pki eac` command.
pub fn run(cmd: EacCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        EacCommand::Init {
            out,
            country,
            curve,
            effective,
            is_rights,
            force,
            #[cfg(feature = "pkcs11")]
            token,
            #[cfg(feature = "pkcs11")]
            dv_token_uri,
        } => {
            refuse_overwrite(&out, force)?;
            let curve = Curve::from_name(&curve).with_context(|| {
                format!("--curve {curve:?}: use brainpoolP256r1, P-256, brainpoolP384r1 or P-384")
            })?;
            let (mut dg3, mut dg4) = (false, false);
            for r in &is_rights {
                match r.to_ascii_lowercase().as_str() {
                    "dg3" => dg3 = true,
                    "dg4" => dg4 = true,
                    "none" => {}
                    other => bail!("--is-rights {other:?}: use dg3, dg4 or none"),
                }
            }
            let opts = EacPkiOptions {
                country,
                curve,
                effective: date_or_today(effective.as_deref())?,
                is_reads_dg3: dg3,
                is_reads_dg4: dg4,
            };
            #[cfg(feature = "pkcs11")]
            let keys = token::new_keys(&token, dv_token_uri.as_deref(), curve)?;
            #[cfg(not(feature = "pkcs11"))]
            let keys = None;
            let pki = match keys {
                Some((cvca, dv)) => EacPki::generate_with(&opts, cvca, dv)?,
                None => EacPki::generate(&opts)?,
            };
            pki.write_dir(&out)
                .with_context(|| format!("writing {}", out.display()))?;
            println!("TEST ONLY EAC PKI written to {}:", out.display());
            print_written(&pki);
            Ok(ExitCode::SUCCESS)
        }
        EacCommand::Link {
            old,
            out,
            effective,
            force,
            #[cfg(feature = "pkcs11")]
            token,
            #[cfg(feature = "pkcs11")]
            dv_token_uri,
            #[cfg(feature = "pkcs11")]
            old_pin_file,
            #[cfg(feature = "pkcs11")]
            old_pin_env,
        } => {
            refuse_overwrite(&out, force)?;
            #[cfg(feature = "pkcs11")]
            let current = token::load_current(&old, &token, old_pin_file, old_pin_env)
                .with_context(|| format!("loading the current CVCA from {}", old.display()))?;
            #[cfg(not(feature = "pkcs11"))]
            let current = EacPki::load_dir(&old)
                .with_context(|| format!("loading the current CVCA from {}", old.display()))?;
            let curve = current.cvca.key.curve();
            let mut opts = EacPkiOptions::new(date_or_today(effective.as_deref())?);
            opts.curve = curve;
            #[cfg(feature = "pkcs11")]
            let keys = {
                if current.cvca.key.token_uri().is_some() && token.token_uri.is_none() {
                    bail!(
                        "the current CVCA key is on a PKCS #11 token: give --token-uri to make the \
                         new CVCA key on a token too (a CVCA key does not move from a token to a \
                         file)"
                    );
                }
                token::new_keys(&token, dv_token_uri.as_deref(), curve)?
            };
            #[cfg(not(feature = "pkcs11"))]
            let keys = None;
            let next = match keys {
                Some((cvca, dv)) => current.rollover_with(&opts, cvca, dv)?,
                None => current.rollover(&opts)?,
            };
            next.check(Some(&current.cvca.certificate), opts.effective)?;
            next.write_dir(&out)
                .with_context(|| format!("writing {}", out.display()))?;
            println!(
                "CVCA rollover {} -> {} written to {}:",
                current.cvca.certificate.holder(),
                next.cvca.certificate.holder(),
                out.display()
            );
            println!(
                "  link.cvcert   link certificate: the new CVCA key signed by {}",
                current.cvca.certificate.holder()
            );
            print_written(&next);
            Ok(ExitCode::SUCCESS)
        }
        EacCommand::Show {
            file,
            trust,
            chain,
            date,
        } => {
            let cert = read_certificate(&file)?;
            print_certificate(&cert);
            if trust.is_empty() {
                return Ok(ExitCode::SUCCESS);
            }
            let date = date_or_today(date.as_deref())?;
            let mut points = Vec::new();
            for t in &trust {
                let c = read_certificate(t)?;
                points.push(
                    TrustPoint::from_certificate(&c).with_context(|| t.display().to_string())?,
                );
            }
            let mut certs = Vec::new();
            for c in &chain {
                certs.push(read_certificate(c)?);
            }
            // A self-signed CVCA shown against itself checks its own signature.
            let self_signed = cert.holder() == cert.authority()
                && points.iter().any(|p| p.holder() == cert.holder());
            let result = if self_signed {
                points
                    .iter()
                    .find(|p| p.holder() == cert.holder())
                    .map(|p| {
                        p.as_verified()
                            .verify_signature(cert.body_bytes(), cert.signature())
                            .map_err(|e| anyhow::anyhow!("{}: {e}", cert.holder()))
                    })
                    .unwrap_or_else(|| Err(anyhow::anyhow!("no trust point")))
            } else {
                certs.push(cert.clone());
                verify_chain(&points, &certs, date, DatePolicy::Validity)
                    .map(|end| {
                        println!("  effective authorization: {}", end.effective_chat);
                    })
                    .map_err(anyhow::Error::from)
            };
            match result {
                Ok(()) => {
                    println!("chain: VALID on {date}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    println!("chain: INVALID on {date}: {e}");
                    Ok(ExitCode::from(exit::CHECK_FAILED))
                }
            }
        }
    }
}

fn print_written(pki: &EacPki) {
    let signers: [(&str, &CvCertificate, &EacKey, &str); 2] = [
        (
            "cvca",
            &pki.cvca.certificate,
            &pki.cvca.key,
            "CVCA (the chip's trust point)",
        ),
        (
            "dv",
            &pki.dv.certificate,
            &pki.dv.key,
            "domestic Document Verifier",
        ),
    ];
    for (file, certificate, key, what) in signers {
        match key.token_uri() {
            Some(uri) => println!(
                "  {file}.cvcert / {file}-key.uri   {what}: {}, key on the token: {uri} \
                 (sensitive, not extractable)",
                certificate.holder()
            ),
            None => println!(
                "  {file}.cvcert / {file}.pkcs8   {what}: {} (key mode 0600)",
                certificate.holder()
            ),
        }
    }
    println!(
        "  is.cvcert / is.pkcs8   inspection system (card read --terminal): {} (key mode 0600)",
        pki.is.certificate.holder()
    );
    println!("Never put this CVCA on a real document or these keys in a real terminal.");
}

/// The CVCA and DV keys on a PKCS #11 token (feature `pkcs11`).
#[cfg(feature = "pkcs11")]
mod token {
    use std::path::{Path, PathBuf};

    use anyhow::{Context, bail};
    use permitkit_cvc::Curve;
    use permitkit_pki::eac::{EacKey, EacPki, TokenEacKey};
    use permitkit_pki::pkcs11::{Module, Pin};

    use super::super::pki_csca::uri_with_module;
    use super::super::pki_token::TokenArgs;

    /// The new CVCA key (and DV key, with `--dv-token-uri`) generated on the token
    /// `--token-uri` names; `None` without `--token-uri`.
    pub(super) fn new_keys(
        token: &TokenArgs,
        dv_token_uri: Option<&str>,
        curve: Curve,
    ) -> anyhow::Result<Option<(EacKey, Option<EacKey>)>> {
        let Some(uri) = token.uri()? else {
            return Ok(None);
        };
        // Refused before the PIN is asked or anything is made.
        permitkit_pki::eac::token_curve(curve)?;
        let dv_uri = match dv_token_uri {
            Some(text) => {
                let args = TokenArgs {
                    token_uri: Some(text.to_owned()),
                    ..token.clone()
                };
                args.uri().context("--dv-token-uri")?.map(|u| (text, u))
            }
            None => None,
        };
        let module = Module::for_uri(token.module.as_deref(), &uri)?;
        let pin = token.pin(&uri)?;
        let given = token.token_uri.as_deref().unwrap_or_default();
        let cvca = generate(
            &module,
            &uri,
            &pin,
            curve,
            given,
            token.module.as_deref(),
            "CVCA",
        )?;
        let dv = match dv_uri {
            Some((text, dv_uri)) => {
                // The DV key on the module of the CVCA's: --module, else the CVCA URI's.
                let module_path = token
                    .module
                    .clone()
                    .or_else(|| uri.module_path.as_ref().map(PathBuf::from));
                let dv_module = Module::for_uri(module_path.as_deref(), &dv_uri)?;
                Some(generate(
                    &dv_module,
                    &dv_uri,
                    &pin,
                    curve,
                    text,
                    module_path.as_deref(),
                    "DV",
                )?)
            }
            None => None,
        };
        Ok(Some((cvca, dv)))
    }

    fn generate(
        module: &std::sync::Arc<Module>,
        uri: &permitkit_pki::pkcs11::Pkcs11Uri,
        pin: &Pin,
        curve: Curve,
        given: &str,
        module_path: Option<&Path>,
        role: &str,
    ) -> anyhow::Result<EacKey> {
        let recorded = uri_with_module(given, module_path);
        let key = TokenEacKey::generate(module.clone(), uri, pin, curve, recorded)?;
        let a = key.attributes()?;
        if a.extractable || !a.sensitive || !a.never_extractable || !a.always_sensitive {
            bail!(
                "the token made a {role} key it would let out (CKA_SENSITIVE {}, CKA_EXTRACTABLE \
                 {}, CKA_ALWAYS_SENSITIVE {}, CKA_NEVER_EXTRACTABLE {})",
                a.sensitive,
                a.extractable,
                a.always_sensitive,
                a.never_extractable
            );
        }
        println!("{role} key generated on the token: {}", key.recorded_uri());
        println!(
            "  curve {curve}, CKA_TOKEN {} CKA_PRIVATE {} CKA_SENSITIVE {} CKA_EXTRACTABLE {} \
             CKA_ALWAYS_SENSITIVE {} CKA_NEVER_EXTRACTABLE {} CKA_SIGN {}",
            a.token,
            a.private,
            a.sensitive,
            a.extractable,
            a.always_sensitive,
            a.never_extractable,
            a.sign
        );
        Ok(EacKey::Token(key))
    }

    /// The current PKI of `dir`, its keys on a token opened from the URIs the folder records:
    /// the module of the URI (or `--module`), the PIN of `--old-pin-file`/`--old-pin-env`, else
    /// of `--pin-file`/`--pin-env`, else the URI's `pin-source`, else a prompt (asked once).
    pub(super) fn load_current(
        dir: &Path,
        token: &TokenArgs,
        old_pin_file: Option<PathBuf>,
        old_pin_env: Option<String>,
    ) -> anyhow::Result<EacPki> {
        let (pin_file, pin_env) = if old_pin_file.is_some() || old_pin_env.is_some() {
            (old_pin_file, old_pin_env)
        } else {
            (token.pin_file.clone(), token.pin_env.clone())
        };
        let mut cached: Option<Pin> = None;
        EacPki::load_dir_with(dir, |role, file, text| -> anyhow::Result<EacKey> {
            let args = TokenArgs {
                token_uri: Some(text.to_owned()),
                module: token.module.clone(),
                pin_file: pin_file.clone(),
                pin_env: pin_env.clone(),
            };
            let Some(uri) = args.uri().with_context(|| file.display().to_string())? else {
                bail!("{} is empty", file.display());
            };
            let module = Module::for_uri(args.module.as_deref(), &uri)?;
            let pin = match cached.take() {
                Some(p) => p,
                None => args.pin(&uri)?,
            };
            let opened = TokenEacKey::open(module, &uri, &pin, text)
                .with_context(|| format!("opening the {role} key {text}"));
            cached = Some(pin);
            Ok(EacKey::Token(opened?))
        })
    }
}

fn print_certificate(cert: &CvCertificate) {
    let b = cert.body();
    println!("CV certificate (BSI TR-03110-3)");
    println!("  profile identifier: {}", b.profile_identifier);
    println!("  CAR: {}", b.authority);
    println!("  CHR: {}", b.holder);
    println!("  public key: {}", b.public_key.algorithm);
    match &b.public_key.material {
        KeyMaterial::Ec { domain, point } => {
            match domain {
                Some(d) => println!(
                    "    domain parameters: {}",
                    Curve::identify(d)
                        .map_or("explicit, not a known curve".into(), |c| c.to_string())
                ),
                None => println!("    domain parameters: from the CVCA"),
            }
            println!("    point: {} bytes", point.len());
        }
        KeyMaterial::Rsa { modulus, .. } => {
            println!("    RSA modulus: {} bits", modulus.len() * 8);
        }
    }
    println!("  CHAT: {}", b.chat);
    println!("  valid: {} to {}", b.effective, b.expiration);
    for e in &b.extensions {
        println!("  extension: {}", e.oid);
    }
    println!("  signature: {} bytes", cert.signature().len());
}
