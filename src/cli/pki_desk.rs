//! `permitkit pki desk …`: the personalization desk's key-agreement key pair, what ChipImages
//! are sealed to (`lds seal --to`, `lds build --seal-to`) when they travel from an enrollment
//! station to a separate desk.

use std::{path::PathBuf, process::ExitCode};

use anyhow::Context;
use clap::Subcommand;
use permitkit_pki::desk::{CERTIFICATE_FILE, DeskKeyPair, KEY_FILE};

/// Desk key commands.
#[derive(Debug, Subcommand)]
pub enum DeskCommand {
    /// Make a desk key pair: desk.pem (a self-signed TEST ONLY certificate of a P-256 key,
    /// keyUsage keyAgreement) and desk-key.pem (its PKCS#8 private key, mode 0600).
    ///
    /// desk.pem goes to the enrollment stations; desk-key.pem stays on the desk: it opens
    /// every ChipImage sealed to desk.pem. Existing files are never replaced (images sealed to
    /// the old key could no longer be opened). Any P-256 certificate and key can be used
    /// instead, for example made by OpenSSL or issued by your own CA for a key in a token.
    Init {
        /// Output folder (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// A name telling desks apart, put in the certificate's subject.
        #[arg(long, default_value = "desk-1")]
        name: String,
    },
}

/// Runs a `pki desk` command.
pub fn run(cmd: DeskCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        DeskCommand::Init { out, name } => {
            let desk = DeskKeyPair::generate(&name)?;
            desk.write_dir(&out)
                .with_context(|| format!("writing {}", out.display()))?;
            println!("Desk key pair written to {}:", out.display());
            println!(
                "  {CERTIFICATE_FILE:<13} certificate (TEST ONLY, P-256, keyAgreement): give it to \
                 the enrollment stations"
            );
            println!(
                "  {KEY_FILE:<13} private key (mode 0600): keep it on the desk; it opens every \
                 image sealed to {CERTIFICATE_FILE}"
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
