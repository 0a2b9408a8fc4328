//! The trust store of passive authentication on the command line: `--trust PATH` (a folder or
//! file of CSCA certificates, master lists, CRLs, deviation lists; repeatable) beside the older
//! `--csca FILE`, and `permitkit pki trust show PATH` to see what a store holds.

use std::{path::PathBuf, process::ExitCode, time::SystemTime};

use anyhow::Context;
use clap::Subcommand;
use permitkit_pki::{
    files::read_der,
    profile::{unix_seconds, utc_text},
    trust::{TrustStore, TrustStoreBuilder},
};

/// `pki trust` subcommands.
#[derive(Debug, Subcommand)]
pub enum TrustCommand {
    /// Load a trust store and show what it holds: anchors (CSCA roots and links), master lists
    /// and their signers, CRLs, deviation lists. Exit 1 when something is refused.
    Show {
        /// Folders or files (repeatable).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// The trust store the options name: `--trust` paths and `--csca` certificates together, or,
/// with `--csca` alone, exactly those certificates (the behaviour before trust stores).
/// `None` when neither is given.
pub fn load(trust: &[PathBuf], csca: &[PathBuf]) -> anyhow::Result<Option<TrustStore>> {
    let mut cscas = Vec::new();
    for p in csca {
        cscas.push(read_der(p, "CERTIFICATE").with_context(|| format!("CSCA {}", p.display()))?);
    }
    if trust.is_empty() {
        let names: Vec<String> = csca.iter().map(|p| p.display().to_string()).collect();
        return Ok((!cscas.is_empty()).then(|| {
            TrustStore::from_named_certificates(
                cscas
                    .iter()
                    .map(Vec::as_slice)
                    .zip(names.iter().map(String::as_str)),
            )
        }));
    }
    let mut builder = TrustStoreBuilder::new();
    for p in trust {
        builder.add_path(p).context("loading the trust store")?;
    }
    for (der, p) in cscas.into_iter().zip(csca) {
        builder.add_certificate(der, &p.display().to_string());
    }
    let store = builder
        .build(unix_seconds(SystemTime::now()))
        .context("loading the trust store")?;
    Ok(Some(store))
}

/// Runs a `pki trust` command.
pub fn run(cmd: TrustCommand) -> anyhow::Result<ExitCode> {
    let TrustCommand::Show { paths, json } = cmd;
    let store = load(&paths, &[])?.context("no trust store given")?;
    let now = unix_seconds(SystemTime::now());
    if json {
        let crls: Vec<serde_json::Value> = store
            .crls()
            .map(|c| {
                serde_json::json!({
                    "issuer": c.crl.issuer_text,
                    "number": c.crl.number_text(),
                    "this_update": utc_text(c.crl.this_update),
                    "next_update": c.crl.next_update.map(utc_text),
                    "current": c.crl.currency(now).is_ok(),
                    "revoked": c.crl.revoked_count(),
                    "source": c.source,
                })
            })
            .collect();
        let anchors: Vec<serde_json::Value> = store
            .anchors()
            .iter()
            .map(|a| {
                serde_json::json!({
                    "subject": a.subject_text,
                    "kind": a.kind,
                    "country": a.country,
                    "icao_code": a.icao_code,
                    "key_id": hex::encode(&a.key_id),
                    "source": a.source,
                })
            })
            .collect();
        let out = serde_json::json!({
            "anchors": anchors,
            "crls": crls,
            "deviation_lists": store.deviation_lists(),
            "sources": store.sources(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    for s in store.sources() {
        println!("{:<15} {}  {}", s.kind, s.file, s.detail);
    }
    println!(
        "{} anchor(s), {} CRL(s), {} deviation list(s)",
        store.anchors().len(),
        store.crls().count(),
        store.deviation_lists().len()
    );
    for c in store.crls() {
        if let Err(e) = c.crl.currency(now) {
            println!("CRL of {} is not current: {e}", c.crl.issuer_text);
        }
    }
    for d in store.deviation_lists() {
        for dev in &d.deviations {
            let what: Vec<String> = dev
                .descriptions
                .iter()
                .map(|(text, oid)| {
                    text.clone()
                        .map_or_else(|| oid.clone(), |t| format!("{t} ({oid})"))
                })
                .collect();
            println!(
                "deviation in {}: document type {}, {}",
                d.source,
                dev.document_type.as_deref().unwrap_or("any"),
                what.join("; ")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
