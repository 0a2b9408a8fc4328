//! `permitkit pki csca …`: a Country Signing CA in a folder — `init` (self-signed root, TEST
//! ONLY file key) and `link` (the link certificate of a key rollover, 9303-12 §4.1.4.3).
//!
//! A CSCA folder holds `csca.pem` (the certificate), `csca-key.pem` (the TEST ONLY private key,
//! mode 0600) and, once a CRL was issued, `crl-register.json` (what it revoked, the last CRL
//! number).

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

use anyhow::{Context, bail};
use clap::Subcommand;
use permitkit_pki::{
    csca::{self, CscaOptions},
    files::{new_file_key, read_der, test_only_note, write_pem, write_private_key},
    profile::{DAY, NameParts, validity_of},
    signer::{FileKey, FileKeySignature, read_private_key},
};

use super::pki_lint::print_lint_summary;

/// The certificate of a CSCA folder.
pub const CERTIFICATE: &str = "csca.pem";
/// The TEST ONLY key of a CSCA folder.
pub const KEY: &str = "csca-key.pem";

/// `pki csca` subcommands.
#[derive(Debug, Subcommand)]
pub enum CscaCommand {
    /// Create a TEST ONLY CSCA: a self-signed root (basicConstraints cA pathLen 0, keyUsage
    /// keyCertSign + cRLSign critical, private key usage period) and its file key.
    Init {
        /// Two-letter country code of the issuing State.
        #[arg(long)]
        country: String,
        /// Output folder (csca.pem, csca-key.pem).
        #[arg(long)]
        out: PathBuf,
        /// The CSCA's common name.
        #[arg(long, default_value = "TEST ONLY CSCA - not for production documents")]
        common_name: String,
        /// How many days the CSCA key signs (9303-12 Table 1: 3 to 5 years).
        #[arg(long, default_value_t = 1826)]
        key_usage_days: u64,
        /// The CRL URL written in cRLDistributionPoints.
        #[arg(long)]
        crl_url: Option<String>,
        /// Replace existing files.
        #[arg(long)]
        force: bool,
    },
    /// Link certificate of a key rollover: the new CSCA's key certified by the old one
    /// (written to --out, default <new>/link.pem).
    Link {
        /// The old CSCA folder (its key signs).
        #[arg(long)]
        old: PathBuf,
        /// The new CSCA folder.
        #[arg(long)]
        new: PathBuf,
        /// Output file.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Runs a `pki csca` command.
pub fn run(cmd: CscaCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        CscaCommand::Init {
            country,
            out,
            common_name,
            key_usage_days,
            crl_url,
            force,
        } => init(&country, &out, &common_name, key_usage_days, crl_url, force),
        CscaCommand::Link { old, new, out } => link(&old, &new, out),
    }
}

/// A CSCA folder's certificate (DER) and TEST ONLY key.
pub fn open(dir: &Path) -> anyhow::Result<(Vec<u8>, FileKey)> {
    let cert = read_der(&dir.join(CERTIFICATE), "CERTIFICATE").with_context(|| {
        format!(
            "{} is not a CSCA folder (create one with `permitkit pki csca init`)",
            dir.display()
        )
    })?;
    let key = read_private_key(&dir.join(KEY))?;
    Ok((cert, key))
}

fn init(
    country: &str,
    out: &Path,
    common_name: &str,
    key_usage_days: u64,
    crl_url: Option<String>,
    force: bool,
) -> anyhow::Result<ExitCode> {
    for f in [CERTIFICATE, KEY] {
        if out.join(f).exists() && !force {
            bail!(
                "{} already exists; refusing to replace a CSCA key (use --force)",
                out.join(f).display()
            );
        }
    }
    let mut opts = CscaOptions::test_only(country);
    opts.subject = NameParts::test_only(country, common_name);
    opts.key_usage = DAY * u32::try_from(key_usage_days).context("--key-usage-days")?;
    if let Some(url) = crl_url {
        opts.crl_url = url;
    }
    let key = new_file_key()?;
    let cert = csca::issue_root::<_, FileKeySignature>(&key, &opts)?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    write_private_key(&out.join(KEY), &key, "CSCA private key")?;
    write_pem(
        &out.join(CERTIFICATE),
        "CERTIFICATE",
        &cert,
        &test_only_note("CSCA certificate"),
    )?;
    println!("TEST ONLY CSCA of {country} written to {}:", out.display());
    println!("  {CERTIFICATE}      CSCA certificate (a trust anchor for `--trust`)");
    println!("  {KEY}  CSCA private key (mode 0600)");
    print_lint_summary(&cert, None)?;
    Ok(ExitCode::SUCCESS)
}

fn link(old: &Path, new: &Path, out: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let (old_cert, old_key) = open(old)?;
    let new_cert = read_der(&new.join(CERTIFICATE), "CERTIFICATE")?;
    // The link starts when the new key may start signing: the new root's notBefore.
    let start = validity_of(&new_cert)
        .with_context(|| new.join(CERTIFICATE).display().to_string())?
        .not_before;
    let link = csca::issue_link::<_, FileKeySignature>(&old_cert, &old_key, &new_cert, start)?;
    let out = out.unwrap_or_else(|| new.join("link.pem"));
    write_pem(
        &out,
        "CERTIFICATE",
        &link,
        &test_only_note("CSCA link certificate"),
    )?;
    println!(
        "link certificate written to {}: the key of {} certified by the key of {}",
        out.display(),
        new.join(CERTIFICATE).display(),
        old.join(CERTIFICATE).display()
    );
    print_lint_summary(&link, Some(&old_cert))?;
    Ok(ExitCode::SUCCESS)
}
