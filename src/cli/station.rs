//! `permitkit station serve`: the station as a local web server (issue 14) — the integration
//! API of `permitkit-station-web` over the same pipeline, journal and devices as `enroll`.
//! Loopback by default; the enrolments run one at a time on the station's own thread. Ends on
//! Ctrl-C (SIGINT), after the requests in flight.
//!
//! A station profile with a `[bureau]` section hands its applications to the central bureau,
//! as `enroll` does: each enrolment stops after the signature, its package is sealed to the
//! bureau's certificate and queued in the journal's outbox (`for-bureau`); `station sync`
//! delivers it.

use std::{net::SocketAddr, path::Path, path::PathBuf, process::ExitCode, sync::Arc};

use clap::{Args, Subcommand};
use permitkit_model::profiles::Registry;
use permitkit_station::journal::Journal;
use permitkit_station::pipeline::Captured;
use permitkit_station_web::desk::HandoffError;
use permitkit_station_web::{BureauHandoff, Desk, DeskConfig, server::DEFAULT_LISTEN};

/// `permitkit station …`.
#[derive(Debug, Subcommand)]
pub enum StationCommand {
    /// Serve the station: the integration API under /api/v1 (OpenAPI at /api/v1/openapi.json).
    Serve(ServeArgs),
    /// Send the journal's outbox to the central bureau (with back-off) and pull each
    /// application's status back (`journal list` shows it).
    Sync(super::outbox::SyncArgs),
}

/// `permitkit station serve` options.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Station profile: a station id (`profiles list`) or a station profile file; its `[web]`
    /// section holds the API tokens' SHA-256 digests.
    #[arg(long, default_value = "simulated", value_name = "ID|FILE")]
    station: String,
    /// Address to listen on (loopback unless told otherwise).
    #[arg(long, default_value = DEFAULT_LISTEN, value_name = "ADDR:PORT")]
    listen: SocketAddr,
    /// PKI folder: ds.pem, ds-key.pem and csca.pem (`pki init`).
    #[arg(long, value_name = "DIR", default_value = "pki")]
    pki: PathBuf,
    /// Journal database (default: the station profile's `journal`).
    #[arg(long, value_name = "FILE")]
    journal: Option<PathBuf>,
    /// Output folder: each enrolment gets its own folder in it, named by its journal id.
    #[arg(long, value_name = "DIR", default_value = "enrolments")]
    out: PathBuf,
    /// Extra profiles folder (one sub-folder per kind) overriding the built-ins.
    #[arg(long, value_name = "DIR")]
    profiles: Option<PathBuf>,
    /// The simulated station's card feeder folder (default: `virtual-cards` beside the
    /// journal).
    #[arg(long, value_name = "DIR")]
    card_feeder: Option<PathBuf>,
    /// Fault drill (training): the virtual card leaves the reader after N commands of every
    /// enrolment, as a card pulled mid-write (the card screen then says what to do).
    #[arg(long, value_name = "N", hide = true)]
    drill_card_pull_after: Option<u64>,
}

/// Runs `permitkit station …`.
pub fn run(command: StationCommand) -> anyhow::Result<ExitCode> {
    match command {
        StationCommand::Serve(args) => serve(args),
        StationCommand::Sync(args) => super::outbox::sync(args),
    }
}

fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let mut registry = Registry::builtin()?;
    if let Some(dir) = &args.profiles {
        registry = registry.with_dir(dir)?;
    }
    let station = super::enroll::station_id(&mut registry, &args.station)?;
    let profile = registry.station(&station)?.clone();
    super::enroll::check_pki(&args.pki, profile.document_signer.is_none())?;
    if profile.web.api_tokens.is_empty() {
        eprintln!(
            "warning: station {station} lists no [[web.api_tokens]]: every API request will be \
             refused"
        );
    }
    if !args.listen.ip().is_loopback() {
        eprintln!(
            "warning: listening on {} — beyond this machine; put TLS in front of it",
            args.listen
        );
    }
    // The profile's [bureau], checked as `enroll` checks it (URL, station key, certificate).
    let bureau: Option<Arc<dyn BureauHandoff>> = match (
        super::outbox::target(&profile, None, None, None)?,
        &profile.bureau,
    ) {
        (Some(_), Some(slot)) => Some(Arc::new(ProfileBureau {
            url: slot.url.trim_end_matches('/').to_owned(),
            certificate: permitkit_pki::desk::read_certificate(Path::new(&slot.certificate))?,
        })),
        _ => None,
    };
    if let Some(b) = &bureau {
        eprintln!(
            "Station {station} hands its applications to the bureau ({b:?}):              `permitkit station sync` delivers them"
        );
    }
    let desk = Desk::open(DeskConfig {
        registry,
        station,
        pki: args.pki.clone(),
        journal: args.journal.clone(),
        out: args.out.clone(),
        card_feeder: args.card_feeder.clone(),
        bureau,
        drill_card_pull_after: args.drill_card_pull_after,
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen).await?;
        let address = listener.local_addr()?;
        let id = desk.profile().id.clone();
        // Announced once the routes are built: a damaged sign-in limit file stops it before.
        let ready = permitkit_station_web::Ready::new(listener, desk)?;
        eprintln!(
            "Station {id} serving http://{address}/api/v1 (OpenAPI: /api/v1/openapi.json); Ctrl-C ends"
        );
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        ready.run(shutdown).await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The station profile's `[bureau]`: packages sealed to its certificate, queued for its URL.
struct ProfileBureau {
    url: String,
    certificate: Vec<u8>,
}

impl std::fmt::Debug for ProfileBureau {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.url)
    }
}

impl BureauHandoff for ProfileBureau {
    fn queue(&self, journal: &mut Journal, captured: &Captured) -> Result<String, HandoffError> {
        permitkit_bureau::outbox::queue(journal, captured, &self.url, &self.certificate)?;
        Ok(self.url.clone())
    }
}
