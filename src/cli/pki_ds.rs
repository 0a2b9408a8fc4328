//! `permitkit pki ds …`: Document Signer certificates — `issue` (the CSCA signs a DS
//! certificate with the 9303-12 profile from a PKCS#10 request, its signature verified first).

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

use anyhow::{Context, bail};
use clap::Subcommand;
use permitkit_pki::{
    ds_issue::{self, DsOptions},
    files::{read_der, test_only_note, write_pem},
    profile::{DAY, YEAR},
    signer::FileKeySignature,
};

use super::pki_lint::print_lint_summary;

/// `pki ds` subcommands.
#[derive(Debug, Subcommand)]
pub enum DsCommand {
    /// Generate the Document Signer's key pair on a PKCS #11 token (non-extractable) and write
    /// a PKCS #10 certification request signed by it.
    #[cfg(feature = "pkcs11")]
    Request(Box<super::pki_token::DsRequestArgs>),
    /// Issue a Document Signer certificate from a PKCS#10 request (PEM or DER): keyUsage
    /// digitalSignature (critical), private key usage period, documentTypeList, AKI/SKI, CRL
    /// distribution point, the CSCA's country.
    Issue {
        /// The CSCA folder (`pki csca init`).
        #[arg(long)]
        csca: PathBuf,
        /// The certification request.
        #[arg(long)]
        csr: PathBuf,
        /// Document codes the Document Signer may sign (documentTypeList).
        #[arg(long, value_delimiter = ',', required = true)]
        document_types: Vec<String>,
        /// Output certificate (PEM).
        #[arg(long)]
        out: PathBuf,
        /// How many days the DS key signs (9303-12 §4.1.1.2: up to three months).
        #[arg(long, default_value_t = 90)]
        key_usage_days: u32,
        /// The longest validity of a document it signs, in years.
        #[arg(long, default_value_t = 10)]
        document_validity_years: u32,
        /// CRL URL (default: the CSCA certificate's).
        #[arg(long)]
        crl_url: Option<String>,
        /// Replace an existing output file.
        #[arg(long)]
        force: bool,
    },
}

/// Runs a `pki ds` command.
pub fn run(cmd: DsCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        #[cfg(feature = "pkcs11")]
        DsCommand::Request(a) => super::pki_token::run_request(*a),
        DsCommand::Issue {
            csca,
            csr,
            document_types,
            out,
            key_usage_days,
            document_validity_years,
            crl_url,
            force,
        } => {
            refuse_existing(&out, force)?;
            let (csca_cert, csca_key) = super::pki_csca::open(&csca)?;
            let request = read_der(&csr, "CERTIFICATE REQUEST")?;
            let opts = DsOptions {
                key_usage: DAY * key_usage_days,
                document_validity: YEAR * document_validity_years,
                crl_url,
                ..DsOptions::new(document_types)
            };
            let cert = ds_issue::issue_from_request::<_, FileKeySignature>(
                &csca_cert, &csca_key, &request, &opts,
            )
            .with_context(|| {
                format!(
                    "issuing a Document Signer certificate for {}",
                    csr.display()
                )
            })?;
            write_pem(
                &out,
                "CERTIFICATE",
                &cert,
                &test_only_note("Document Signer certificate"),
            )?;
            println!(
                "Document Signer certificate written to {} (signed by the CSCA of {})",
                out.display(),
                csca.display()
            );
            print_lint_summary(&cert, Some(&csca_cert))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Refuses to replace a file unless `force`.
pub fn refuse_existing(path: &Path, force: bool) -> anyhow::Result<()> {
    if path.exists() && !force {
        bail!(
            "{} already exists (use --force to replace it)",
            path.display()
        );
    }
    Ok(())
}
