//! `permitkit pki ml-signer …` and `permitkit pki master-list …`: the Master List Signer the
//! CSCA issues (extKeyUsage 2.23.136.1.1.3), and the CSCA master lists it signs (9303-12 §9:
//! CMS SignedData, eContentType 2.23.136.1.1.2) — `sign` and `show` (signature verified,
//! certificates listed).
//!
//! A Master List Signer folder holds `ml-signer.pem`, `ml-signer-key.pem` (TEST ONLY file key,
//! mode 0600, unless the certificate was issued for a request) and `issuer.pem`, the CSCA
//! certificate that issued it, which every master list it signs carries (Table 18).

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
    time::SystemTime,
};

use anyhow::{Context, bail};
use clap::Subcommand;
use permitkit_pki::{
    ds_issue::CertificationRequest,
    files::{
        new_file_key, read_bounded, read_der, test_only_note, write_pem, write_private_key,
        write_public,
    },
    master_list::{self, MasterList},
    master_list_signer::{self, ListSignerOptions},
    profile::{self, spki_of},
    signer::{FileKeySignature, read_private_key},
    trust::{Anchor, AnchorKind, TrustStore},
};

use super::pki_lint::print_lint_summary;

const CERTIFICATE: &str = "ml-signer.pem";
const KEY: &str = "ml-signer-key.pem";
const ISSUER: &str = "issuer.pem";

/// `pki ml-signer` subcommands.
#[derive(Debug, Subcommand)]
pub enum MlSignerCommand {
    /// Issue a Master List Signer certificate (keyUsage digitalSignature, extKeyUsage
    /// 2.23.136.1.1.3, both critical) for a new TEST ONLY file key, or for a request.
    Issue {
        /// The CSCA folder.
        #[arg(long)]
        csca: PathBuf,
        /// Output folder (ml-signer.pem, ml-signer-key.pem, issuer.pem).
        #[arg(long)]
        out: PathBuf,
        /// A PKCS#10 request for a key held elsewhere (a token): no key file is written.
        #[arg(long)]
        csr: Option<PathBuf>,
        /// Replace existing files.
        #[arg(long)]
        force: bool,
    },
}

/// `pki master-list` subcommands.
#[derive(Debug, Subcommand)]
pub enum MasterListCommand {
    /// Sign a CSCA master list (DER) of the CSCA certificates given.
    Sign {
        /// The Master List Signer folder (`pki ml-signer issue`).
        #[arg(long)]
        signer: PathBuf,
        /// A CSCA certificate (PEM or DER) or CSCA folder to list (repeatable).
        #[arg(long, required = true)]
        csca: Vec<PathBuf>,
        /// Output file (DER).
        #[arg(long)]
        out: PathBuf,
    },
    /// Show a master list: its signature verified, its certificates listed. Without --trust the
    /// signer is checked against the CSCA certificate the list carries, which anchors nothing.
    Show {
        /// The master list (DER or PEM `CMS`).
        file: PathBuf,
        /// Trust store (CSCA certificates, or the Master List Signer's certificate) to verify
        /// the signer against (repeatable).
        #[arg(long)]
        trust: Vec<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a `pki ml-signer` command.
pub fn run_signer(cmd: MlSignerCommand) -> anyhow::Result<ExitCode> {
    let MlSignerCommand::Issue {
        csca,
        out,
        csr,
        force,
    } = cmd;
    for f in [CERTIFICATE, KEY, ISSUER] {
        if out.join(f).exists() && !force {
            bail!("{} already exists (use --force)", out.join(f).display());
        }
    }
    let (csca_cert, csca_key) = super::pki_csca::open(&csca)?;
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let opts = ListSignerOptions::master_list();
    let cert = match &csr {
        Some(path) => {
            let request = CertificationRequest::from_der(&read_der(path, "CERTIFICATE REQUEST")?)
                .with_context(|| path.display().to_string())?;
            master_list_signer::issue::<_, FileKeySignature>(
                &csca_cert,
                &csca_key,
                Some(&request.subject),
                request.spki,
                &opts,
            )?
        }
        None => {
            let key = new_file_key()?;
            let cert = master_list_signer::issue::<_, FileKeySignature>(
                &csca_cert,
                &csca_key,
                None,
                spki_of(key.verifying_key())?,
                &opts,
            )?;
            write_private_key(&out.join(KEY), &key, "Master List Signer private key")?;
            cert
        }
    };
    write_pem(
        &out.join(CERTIFICATE),
        "CERTIFICATE",
        &cert,
        &test_only_note("Master List Signer certificate"),
    )?;
    write_pem(
        &out.join(ISSUER),
        "CERTIFICATE",
        &csca_cert,
        &test_only_note("CSCA certificate that issued the Master List Signer"),
    )?;
    println!("Master List Signer written to {}", out.display());
    print_lint_summary(&cert, Some(&csca_cert))?;
    Ok(ExitCode::SUCCESS)
}

/// Runs a `pki master-list` command.
pub fn run_list(cmd: MasterListCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        MasterListCommand::Sign { signer, csca, out } => sign(&signer, &csca, &out),
        MasterListCommand::Show { file, trust, json } => show(&file, &trust, json),
    }
}

fn sign(signer: &Path, cscas: &[PathBuf], out: &Path) -> anyhow::Result<ExitCode> {
    let cert = read_der(&signer.join(CERTIFICATE), "CERTIFICATE").with_context(|| {
        format!(
            "{} is not a Master List Signer folder (`permitkit pki ml-signer issue`)",
            signer.display()
        )
    })?;
    let key = read_private_key(&signer.join(KEY))?;
    let issuer = match signer.join(ISSUER) {
        p if p.exists() => Some(read_der(&p, "CERTIFICATE")?),
        _ => None,
    };
    let mut listed = Vec::new();
    for path in cscas {
        let file = if path.is_dir() {
            path.join(super::pki_csca::CERTIFICATE)
        } else {
            path.clone()
        };
        listed.push(read_der(&file, "CERTIFICATE")?);
    }
    let der = master_list::sign::<_, FileKeySignature>(
        &cert,
        &key,
        issuer.as_deref(),
        &listed,
        SystemTime::now(),
    )?;
    write_public(out, &der)?;
    println!(
        "master list of {} CSCA certificate(s) written to {} (eContentType 2.23.136.1.1.2)",
        listed.len(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn show(file: &Path, trust: &[PathBuf], json: bool) -> anyhow::Result<ExitCode> {
    let bytes = read_bounded(file)?;
    let der = permitkit_pki::files::der_of(&bytes, "CMS", &file.display().to_string())?;
    let list =
        MasterList::parse(&der).with_context(|| format!("master list {}", file.display()))?;
    let now = profile::unix_seconds(SystemTime::now());
    let (store, anchored) = if trust.is_empty() {
        let embedded: Vec<Vec<u8>> = list.signed.certificates.clone();
        (TrustStore::from_certificates(&embedded), false)
    } else {
        let store = super::pki_trust::load(trust, &[])?
            .context("give a trust store to verify the master list against")?;
        (store, true)
    };
    let verdict = store.verify_master_list(&list, now);
    let entries: Vec<Option<Anchor>> = list
        .certificates
        .iter()
        .map(|c| Anchor::from_der(c, "master list"))
        .collect();
    if json {
        let certs: Vec<serde_json::Value> = entries
            .iter()
            .map(|a| match a {
                Some(a) => serde_json::json!({
                    "subject": a.subject_text,
                    "country": a.country,
                    "kind": a.kind,
                    "key_id": hex::encode(&a.key_id),
                }),
                None => serde_json::json!({ "error": "does not decode" }),
            })
            .collect();
        let out = serde_json::json!({
            "file": file.display().to_string(),
            "econtent_type": list.signed.econtent_type.to_string(),
            "signature": match &verdict {
                Ok(s) => serde_json::json!({ "valid": true, "signer": s.subject, "trusted_through": s.trusted_through, "anchored": anchored }),
                Err(e) => serde_json::json!({ "valid": false, "error": e.to_string() }),
            },
            "certificates": certs,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "{}: CSCA master list (eContentType {}), {} certificate(s)",
            file.display(),
            list.signed.econtent_type,
            list.certificates.len()
        );
        match &verdict {
            Ok(s) => println!(
                "signature: VALID, signed by {} trusted through {}{}",
                s.subject,
                s.trusted_through,
                if anchored {
                    ""
                } else {
                    " carried in the list itself (not a trust anchor: give --trust)"
                }
            ),
            Err(e) => println!("signature: NOT VALID: {e}"),
        }
        for a in &entries {
            match a {
                Some(a) => println!(
                    "  {:<4} {:<3} key {}  {}",
                    match a.kind {
                        AnchorKind::Root => "root",
                        AnchorKind::Link => "link",
                    },
                    a.country.as_deref().unwrap_or("-"),
                    hex::encode(a.key_id.get(..8).unwrap_or(&a.key_id)),
                    a.subject_text
                ),
                None => println!("  (a certificate that does not decode)"),
            }
        }
    }
    Ok(if verdict.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::exit::CHECK_FAILED)
    })
}
