//! `permitkit issuance`: the central bureau (issue 16) — serve it, register stations and lines
//! with their P-256 public keys, make a key pair, show the queue's status.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use permitkit_bureau::{keys, server, status};
use permitkit_model::profiles::Registry;
#[cfg(feature = "pkcs11")]
use permitkit_station::signer::StationSigner;

/// `permitkit issuance` commands.
#[derive(Debug, Subcommand)]
pub enum IssuanceCommand {
    /// Serve the bureau: stations submit packages, lines take the jobs.
    Serve(Box<ServeArgs>),
    /// Register (or re-key) a station by name with its public key.
    RegisterStation(RegisterArgs),
    /// Register (or re-key) a personalization line by name with its public key.
    RegisterLine(RegisterArgs),
    /// Make a P-256 key pair for a station or a line: the private key into FILE (0600), the
    /// public key (PEM) on standard output.
    Keygen {
        /// The private key file to create.
        #[arg(long)]
        out: PathBuf,
    },
    /// Queue depth, cards per line, stuck jobs, spoilt-card rate, queue latency.
    Status {
        /// The database URL.
        #[arg(long)]
        database: String,
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// `issuance serve` options.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The database URL (postgres://user@host:port/db).
    #[arg(long)]
    database: String,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
    /// Folder with the Document Signer's ds.pem and ds-key.pem (see `pki init`); not read when
    /// the Document Signer is a token key (`--token-uri`).
    #[arg(long, default_value = "pki")]
    pki: PathBuf,
    /// Sign EF.SOD with a Document Signer key on a PKCS #11 token (an HSM) instead of the `--pki`
    /// files: under the signing policy, every signature in the audit log (default
    /// `sod-audit.jsonl` in the working folder).
    #[cfg(feature = "pkcs11")]
    #[command(flatten)]
    token: super::pki_token::TokenSignerArgs,
    /// Folder with the bureau's key-agreement certificate and key (desk.pem, desk-key.pem; see
    /// `pki desk init`): stations seal their packages to it.
    #[arg(long)]
    desk: PathBuf,
    /// Extra profiles folder (overrides built-ins).
    #[arg(long)]
    profiles: Option<PathBuf>,
}

/// `issuance register-*` options.
#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// The database URL.
    #[arg(long)]
    database: String,
    /// The station's or line's name.
    #[arg(long)]
    name: String,
    /// Its public key (PEM `PUBLIC KEY`, or the private key file itself).
    #[arg(long)]
    key: PathBuf,
}

/// Runs an `issuance` command.
pub fn run(command: IssuanceCommand) -> anyhow::Result<ExitCode> {
    match command {
        IssuanceCommand::Serve(a) => {
            let mut registry = Registry::builtin()?;
            if let Some(dir) = &a.profiles {
                registry = registry.with_dir(dir)?;
            }
            #[cfg(feature = "pkcs11")]
            let signer = a
                .token
                .open("bureau", std::path::Path::new(""))?
                .map(|g| std::sync::Arc::new(StationSigner::Guarded(g)));
            #[cfg(not(feature = "pkcs11"))]
            let signer = None;
            let config = server::ServeConfig {
                database: a.database,
                listen: a.listen,
                pki: a.pki,
                signer,
                desk: a.desk,
                registry,
            };
            server::block_on(server::serve(config, server::shutdown_signal()))??;
        }
        IssuanceCommand::RegisterStation(a) => register("station", &a)?,
        IssuanceCommand::RegisterLine(a) => register("line", &a)?,
        IssuanceCommand::Keygen { out } => {
            let key = keys::generate()?;
            keys::write_private(&out, &key)
                .with_context(|| format!("writing {}", out.display()))?;
            println!("{}", keys::public_pem(key.verifying_key())?.trim_end());
        }
        IssuanceCommand::Status { database, json } => {
            let s = server::block_on(async {
                let pool = permitkit_bureau::db::pool(&database, 1)?;
                status::status(&pool).await
            })??;
            if json {
                println!("{}", serde_json::to_string_pretty(&s)?);
            } else {
                print_status(&s);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn register(kind: &str, a: &RegisterArgs) -> anyhow::Result<()> {
    let key = keys::read_public(&a.key)?;
    let der = keys::public_der(&key)?;
    server::block_on(server::register(&a.database, kind, &a.name, &der))??;
    println!("{kind} {} registered", a.name);
    Ok(())
}

fn print_status(s: &status::Status) {
    println!(
        "jobs: {} queued, {} in progress, {} stuck (lease expired), {} done, {} failed",
        s.queued, s.claimed, s.stuck, s.done, s.failed
    );
    println!(
        "cards: {} issued, {} spoilt (spoilt rate {:.1} %)",
        s.issued_cards,
        s.spoilt_cards,
        s.spoilt_rate * 100.0
    );
    if let Some([p50, p95, p99]) = s.latency_seconds {
        println!("queue latency: p50 {p50:.2} s, p95 {p95:.2} s, p99 {p99:.2} s");
    }
    for l in &s.lines {
        println!(
            "line {:<16} {:>6} issued {:>4} spoilt {:>7.1} cards/min (last {} min)",
            l.line,
            l.issued,
            l.spoilt,
            l.per_minute,
            status::RATE_WINDOW_MINUTES
        );
    }
}
