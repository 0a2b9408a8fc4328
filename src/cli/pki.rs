//! `permitkit pki …`: the test PKI.

use std::{path::PathBuf, process::ExitCode};

use anyhow::{Context, bail};
use clap::Subcommand;
use permitkit_pki::test_pki::{TestPki, TestPkiOptions};

/// Test PKI commands.
#[derive(Debug, Subcommand)]
pub enum PkiCommand {
    /// Create a TEST ONLY CSCA and Document Signer: csca.pem, csca-key.pem, ds.pem, ds-key.pem.
    Init {
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// Two-letter country code of the issuing State.
        #[arg(long, default_value = "UA")]
        country: String,
        /// Document codes the Document Signer may sign (documentTypeList).
        #[arg(long, value_delimiter = ',', default_value = "IR,IP")]
        document_types: Vec<String>,
        /// Replace existing files.
        #[arg(long)]
        force: bool,
    },
}

/// Runs a `pki` command.
pub fn run(cmd: PkiCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        PkiCommand::Init {
            out,
            country,
            document_types,
            force,
        } => {
            for f in ["csca.pem", "csca-key.pem", "ds.pem", "ds-key.pem"] {
                if out.join(f).exists() && !force {
                    bail!(
                        "{} already exists; refusing to replace keys (use --force)",
                        out.join(f).display()
                    );
                }
            }
            let pki = TestPki::generate(&TestPkiOptions {
                country,
                document_types,
                ..TestPkiOptions::default()
            })?;
            pki.write_dir(&out)
                .with_context(|| format!("writing {}", out.display()))?;
            println!("TEST ONLY PKI written to {}:", out.display());
            println!("  csca.pem      CSCA certificate (trust anchor for `lds verify --csca`)");
            println!("  csca-key.pem  CSCA private key (mode 0600)");
            println!("  ds.pem        Document Signer certificate");
            println!("  ds-key.pem    Document Signer private key (mode 0600)");
            println!("Never sign a real document with this PKI.");
            Ok(ExitCode::SUCCESS)
        }
    }
}
