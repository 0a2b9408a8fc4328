//! `permitkit pki audit export`: the audit of EF.SOD (and EF.CardSecurity) signatures (`permitkit_pki::audit`),
//! every record checked (sequence and hash chain) before anything is printed — as JSON lines
//! (the records as written) or as a table. Document numbers appear only as their HMAC.

use std::{path::PathBuf, process::ExitCode};

use anyhow::Context;
use clap::Subcommand;
use permitkit_pki::audit::{FileAuditLog, LDS_SECURITY_OBJECT};

/// `pki audit` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Print the audit log of EF.SOD signatures, checked record by record.
    Export {
        /// The audit log (JSON lines).
        #[arg(long, value_name = "FILE")]
        log: PathBuf,
        /// One JSON record per line instead of a table.
        #[arg(long)]
        json: bool,
        /// Only the records of this Document Signer key identifier (hex).
        #[arg(long, value_name = "HEX")]
        ds_key_id: Option<String>,
    },
}

/// Runs a `pki audit` command.
pub fn run(cmd: AuditCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        AuditCommand::Export {
            log,
            json,
            ds_key_id,
        } => {
            let records = FileAuditLog::read(&log)
                .with_context(|| format!("reading the audit log {}", log.display()))?;
            let wanted = ds_key_id.map(|k| k.to_ascii_lowercase());
            let shown = records
                .iter()
                .filter(|r| wanted.as_ref().is_none_or(|k| &r.ds_key_id == k));
            if json {
                for r in shown {
                    println!("{}", serde_json::to_string(r)?);
                }
                return Ok(ExitCode::SUCCESS);
            }
            println!(
                "{:>6}  {:<20}  {:<16}  {:<14}  {:<16}  {:<16}  document (HMAC-SHA256)",
                "seq", "time (UTC)", "station", "object", "DS key id", "signature"
            );
            let mut count = 0;
            let mut documents = 0;
            for r in shown {
                let short = |s: &str| s.get(..16).unwrap_or(s).to_owned();
                let object = match r.content_type.as_str() {
                    LDS_SECURITY_OBJECT => "EF.SOD",
                    "0.4.0.127.0.7.3.2.1" => "EF.CardSecurity",
                    other => other,
                };
                println!(
                    "{:>6}  {:<20}  {:<16}  {:<14}  {:<16}  {:<16}  {}",
                    r.seq,
                    r.time,
                    r.station,
                    object,
                    short(&r.ds_key_id),
                    short(&r.signature_sha256),
                    r.document_hmac
                );
                count += 1;
                documents += usize::from(r.is_document());
            }
            println!(
                "{count} signature(s), {documents} document(s); {} record(s) in the log, chain \
                 intact",
                records.len()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
