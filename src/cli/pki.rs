//! `permitkit pki …`: the TEST ONLY PKI (`init`), the 9303-12 certificate life cycle (`csca`, `ds`,
//! `crl`, `ml-signer`, `master-list`), trust stores (`trust`), the profile linter (`lint`), the EAC
//! PKI and the personalization desk.

use std::{path::PathBuf, process::ExitCode};

use anyhow::{Context, bail};
use clap::Subcommand;
use permitkit_pki::test_pki::{TestPki, TestPkiOptions};

/// Test PKI commands.
#[derive(Debug, Subcommand)]
pub enum PkiCommand {
    /// Create a TEST ONLY CSCA and Document Signer: csca.pem, csca-key.pem, ds.pem, ds-key.pem;
    /// and a TEST ONLY EAC PKI in eac/ (as `pki eac init`: the chips' trust point and the
    /// station's inspection system).
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
    /// The TEST ONLY EAC PKI (CVCA, DV, inspection system) for Terminal Authentication.
    #[command(subcommand)]
    Eac(super::pki_eac::EacCommand),
    /// A personalization desk's key pair, what ChipImages are sealed to (`lds seal --to`).
    #[command(subcommand)]
    Desk(super::pki_desk::DeskCommand),
    /// Country Signing CA: `init` (TEST ONLY self-signed root), `link` (key rollover).
    #[command(subcommand)]
    Csca(super::pki_csca::CscaCommand),
    /// Document Signer certificates: `issue` from a PKCS#10 request.
    #[command(subcommand)]
    Ds(super::pki_ds::DsCommand),
    /// The CSCA's certificate revocation list: `issue`, `show`.
    #[command(subcommand)]
    Crl(super::pki_crl::CrlCommand),
    /// Master List Signer certificates: `issue`.
    #[command(subcommand, name = "ml-signer")]
    MlSigner(super::pki_ml::MlSignerCommand),
    /// CSCA master lists (CMS, 2.23.136.1.1.2): `sign`, `show`.
    #[command(subcommand, name = "master-list")]
    MasterList(super::pki_ml::MasterListCommand),
    /// Trust stores for passive authentication: `show`.
    #[command(subcommand)]
    Trust(super::pki_trust::TrustCommand),
    /// Check certificates against the ICAO 9303-12 profile (exit 2 on an error).
    Lint(super::pki_lint::LintArgs),
    /// The audit of EF.SOD signatures: `export`.
    #[command(subcommand)]
    Audit(super::pki_audit::AuditCommand),
}

/// Runs a `pki` command.
pub fn run(cmd: PkiCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        PkiCommand::Eac(c) => super::pki_eac::run(c),
        PkiCommand::Desk(c) => super::pki_desk::run(c),
        PkiCommand::Csca(c) => super::pki_csca::run(c),
        PkiCommand::Ds(c) => super::pki_ds::run(c),
        PkiCommand::Crl(c) => super::pki_crl::run(c),
        PkiCommand::MlSigner(c) => super::pki_ml::run_signer(c),
        PkiCommand::MasterList(c) => super::pki_ml::run_list(c),
        PkiCommand::Trust(c) => super::pki_trust::run(c),
        PkiCommand::Lint(a) => super::pki_lint::run(a),
        PkiCommand::Audit(c) => super::pki_audit::run(c),
        PkiCommand::Init {
            out,
            country,
            document_types,
            force,
        } => {
            for f in [
                "csca.pem",
                "csca-key.pem",
                "ds.pem",
                "ds-key.pem",
                "eac/cvca.pkcs8",
                "eac/cvca-key.uri",
            ] {
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
            println!(
                "  eac/          EAC PKI: cvca.cvcert (the chips' trust point for DG3), dv.cvcert, \
                 is.cvcert, keys *.pkcs8 (mode 0600)"
            );
            println!("Never sign a real document with this PKI.");
            Ok(ExitCode::SUCCESS)
        }
    }
}
