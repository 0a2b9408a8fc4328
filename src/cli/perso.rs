//! `permitkit perso worker`: one personalization line of the central bureau — claims jobs from
//! the bureau's database, writes, reads back, locks and verifies each card, reports it. SIGINT or
//! SIGTERM stops it once the card in hand is reported.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use permitkit_bureau::latency::LinkModel;
use permitkit_bureau::worker::{self, LineReader, WorkerConfig};
use permitkit_bureau::{keys, server};
use permitkit_model::profiles::Registry;

/// `permitkit perso` commands.
#[derive(Debug, Subcommand)]
pub enum PersoCommand {
    /// Run a personalization line.
    Worker(WorkerArgs),
}

/// `perso worker` options.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// The line's registered name.
    #[arg(long)]
    line: String,
    /// The bureau's database URL.
    #[arg(long)]
    database: String,
    /// The line's private key (registered with `issuance register-line`).
    #[arg(long)]
    key: PathBuf,
    /// The reader: `sim` (virtual card stock, see --stock) or `pcsc:<reader name glob>`.
    #[arg(long, default_value = "sim")]
    reader: String,
    /// The virtual card stock's folder (reader `sim`).
    #[arg(long, default_value = "card-stock")]
    stock: PathBuf,
    /// CSCA certificate(s) (PEM) for passive authentication of what was read back.
    #[arg(long, required = true)]
    csca: Vec<PathBuf>,
    /// The inspection system that reads back fingerprints (DG3) behind Extended Access Control:
    /// the folder of `pki eac init` (the CVCA, DV and IS certificates and the IS key).
    #[arg(long, value_name = "DIR")]
    eac: Option<PathBuf>,
    /// Lease of a claimed job, seconds (renewed every third of it while the line works).
    #[arg(long, default_value_t = 30)]
    lease_secs: u64,
    /// Per-APDU turnaround of the virtual chips' contactless link, microseconds.
    #[arg(long, default_value_t = LinkModel::default().per_apdu.as_micros() as u64)]
    apdu_turnaround_us: u64,
    /// Bit rate of the virtual chips' link, kbit/s (0: no air time).
    #[arg(long, default_value_t = LinkModel::default().kbit_s)]
    kbit_s: u32,
    /// EEPROM programming time per byte written, microseconds.
    #[arg(long, default_value_t = LinkModel::default().per_written_byte.as_micros() as u64)]
    write_us_per_byte: u64,
    /// Stop once the queue has stayed empty this many seconds (default: run until stopped).
    #[arg(long)]
    idle_exit_secs: Option<u64>,
}

/// Runs a `perso` command.
pub fn run(command: PersoCommand) -> anyhow::Result<ExitCode> {
    let PersoCommand::Worker(a) = command;
    let key = keys::read_private(&a.key)?;
    let cscas = a
        .csca
        .iter()
        .map(|p| {
            permitkit_pki::signer::read_certificate(p)
                .with_context(|| format!("reading {}", p.display()))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let reader = if a.reader == "sim" {
        LineReader::Virtual { stock: a.stock }
    } else {
        LineReader::Selector(a.reader)
    };
    let config = WorkerConfig {
        line: a.line,
        key,
        database: a.database,
        reader,
        link: LinkModel {
            per_apdu: Duration::from_micros(a.apdu_turnaround_us),
            kbit_s: a.kbit_s,
            per_written_byte: Duration::from_micros(a.write_us_per_byte),
        },
        lease: Duration::from_secs(a.lease_secs.max(1)),
        cscas,
        terminal: a
            .eac
            .as_deref()
            .map(permitkit_station::eac::load_terminal)
            .transpose()
            .context("--eac")?,
        idle_exit: a.idle_exit_secs.map(Duration::from_secs),
        registry: Registry::builtin()?,
    };
    // SIGINT or SIGTERM: the card in hand is finished and reported, then the line stops.
    let summary = server::block_on(worker::run_until(config, server::shutdown_signal()))??;
    println!(
        "{} cards issued, {} attempts failed, {} claims lost",
        summary.issued, summary.failed, summary.lost
    );
    Ok(ExitCode::SUCCESS)
}
