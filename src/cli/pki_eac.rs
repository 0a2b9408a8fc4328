//! `permitkit pki eac …`: the TEST ONLY EAC PKI for Terminal Authentication (CV certificates,
//! BSI TR-03110-3).

use std::{path::PathBuf, process::ExitCode};

use anyhow::{Context, bail};
use clap::Subcommand;
use permitkit_cvc::KeyMaterial;
use permitkit_cvc::{Curve, CvCertificate, CvDate, CvSigner};
use permitkit_cvc::{DatePolicy, TrustPoint, verify_chain};
use permitkit_pki::eac::{EacPki, EacPkiOptions, read_certificate};

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

const FILES: [&str; 6] = [
    "cvca.cvcert",
    "cvca.pkcs8",
    "dv.cvcert",
    "dv.pkcs8",
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
            let pki = EacPki::generate(&opts)?;
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
        } => {
            refuse_overwrite(&out, force)?;
            let current = EacPki::load_dir(&old)
                .with_context(|| format!("loading the current CVCA from {}", old.display()))?;
            let curve = current.cvca.key.curve();
            let mut opts = EacPkiOptions::new(date_or_today(effective.as_deref())?);
            opts.curve = curve;
            let next = current.rollover(&opts)?;
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
    for (file, issued, what) in [
        ("cvca", &pki.cvca, "CVCA (the chip's trust point)"),
        ("dv", &pki.dv, "domestic Document Verifier"),
        ("is", &pki.is, "inspection system (card read --terminal)"),
    ] {
        println!(
            "  {file}.cvcert / {file}.pkcs8   {what}: {} (key mode 0600)",
            issued.certificate.holder()
        );
    }
    println!("Never put this CVCA on a real document or these keys in a real terminal.");
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
