//! `permitkit pki crl …`: a CSCA's certificate revocation list (9303-12 §4.1.5, §7.1.4) —
//! `issue` (every revocation the CSCA folder's register holds, plus the certificates given, the
//! next CRL number, nextUpdate at most 90 days on) and `show`.

use std::{path::PathBuf, process::ExitCode, time::SystemTime};

use anyhow::{Context, bail};
use clap::Subcommand;
use permitkit_pki::{
    crl::{self, Crl, CrlOptions, register::Register},
    files::{read_der, write_public},
    profile::{DAY, utc_text},
    signer::FileKeySignature,
};

/// `pki crl` subcommands.
#[derive(Debug, Subcommand)]
pub enum CrlCommand {
    /// Issue the CSCA's CRL (DER): version 2, authorityKeyIdentifier, cRLNumber, thisUpdate now,
    /// nextUpdate; revoking the certificates given and every one revoked before.
    Issue {
        /// The CSCA folder (its crl-register.json records revocations and numbers).
        #[arg(long)]
        csca: PathBuf,
        /// A certificate this CSCA issued, to revoke (repeatable).
        #[arg(long)]
        revoke: Vec<PathBuf>,
        /// Output file (DER).
        #[arg(long)]
        out: PathBuf,
        /// Days until nextUpdate (9303-12 §4.1.5: a CRL at least every 90 days).
        #[arg(long, default_value_t = 90)]
        next_update_days: u32,
    },
    /// Show a CRL: issuer, number, thisUpdate, nextUpdate, revoked serial numbers.
    Show {
        /// The CRL (DER or PEM).
        file: PathBuf,
    },
}

/// Runs a `pki crl` command.
pub fn run(cmd: CrlCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        CrlCommand::Issue {
            csca,
            revoke,
            out,
            next_update_days,
        } => {
            if next_update_days == 0 || next_update_days > 90 {
                bail!("--next-update-days must be 1 to 90 (9303-12 §4.1.5)");
            }
            let (csca_cert, csca_key) = super::pki_csca::open(&csca)?;
            let mut register = Register::load(&csca)?;
            let now = SystemTime::now();
            for path in &revoke {
                let der = read_der(path, "CERTIFICATE")?;
                let (serial, subject) = issued_by(&der, &csca_cert)
                    .with_context(|| format!("revoking {}", path.display()))?;
                if register.revoke(&serial, &subject, now) {
                    println!("revoked {subject} (serial {})", hex::encode(&serial));
                } else {
                    println!("{subject} was already revoked");
                }
            }
            let number = register.next_number();
            let der = crl::issue::<_, FileKeySignature>(
                &csca_cert,
                &csca_key,
                &CrlOptions {
                    number,
                    this_update: now,
                    next_update: now + DAY * next_update_days,
                    revoked: register.revocations()?,
                },
            )?;
            write_public(&out, &der)?;
            register.save(&csca)?;
            println!(
                "CRL number {number} written to {}: {} revoked certificate(s), next update in {next_update_days} days",
                out.display(),
                register.revoked.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        CrlCommand::Show { file } => {
            let der = read_der(&file, "X509 CRL")?;
            let crl = Crl::parse(&der).with_context(|| file.display().to_string())?;
            println!("issuer      {}", crl.issuer_text);
            println!("number      {}", crl.number_text());
            println!("thisUpdate  {}", utc_text(crl.this_update));
            println!(
                "nextUpdate  {}",
                crl.next_update.map_or_else(|| "none".into(), utc_text)
            );
            println!(
                "authorityKeyIdentifier {}",
                crl.authority_key_id
                    .as_ref()
                    .map_or_else(|| "none".into(), hex::encode)
            );
            println!("revoked     {}", crl.revoked_count());
            let now = permitkit_pki::profile::unix_seconds(SystemTime::now());
            match crl.currency(now) {
                Ok(()) => println!("current     yes"),
                Err(e) => println!("current     NO: {e}"),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The serial number and subject of `cert`, checked to be a certificate `csca` issued.
fn issued_by(cert: &[u8], csca: &[u8]) -> anyhow::Result<(Vec<u8>, String)> {
    let report = permitkit_pki::lint::lint(
        cert,
        &permitkit_pki::lint::LintOptions {
            role: None,
            issuer: Some(csca.to_vec()),
        },
    )?;
    if let Some(f) = report
        .findings
        .iter()
        .find(|f| matches!(f.id, "issuer-name" | "issuer-signature"))
    {
        bail!("not a certificate of this CSCA: {}", f.message);
    }
    let serial = permitkit_pki::profile::serial_of(cert)?;
    Ok((serial, report.subject))
}
