//! The station side of the central bureau (issue 16): `enroll --submit-to URL` (or a station
//! profile with a `[bureau]` section) captures as usual and then, instead of personalizing a
//! card here, seals the application package to the bureau and queues it in the journal's
//! outbox (`permitkit_bureau::outbox`); one delivery is tried at once, and a bureau that cannot
//! be reached loses nothing. `permitkit station sync` drains the outbox with back-off and pulls
//! each application's status back (`--every SECONDS`: pass after pass until SIGINT or
//! SIGTERM); `journal list` shows it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use permitkit_bureau::client::StationClient;
use permitkit_bureau::outbox::{self, SyncOptions, SyncReport};
use permitkit_bureau::{keys, server};
use permitkit_model::profiles::Registry;
use permitkit_model::profiles::station::{StationProfile, check_bureau_url};
use permitkit_station::journal::Journal;
use permitkit_station::pipeline::{self, EnrolRequest, Station};

use super::enroll::Console;

/// Where an enrolment's package goes: the bureau's URL, the station's name and key there, and
/// the certificate packages are sealed to.
#[derive(Debug)]
pub struct Bureau {
    url: String,
    name: String,
    key: PathBuf,
    certificate: Vec<u8>,
}

/// The enrolment's bureau when `--submit-to` is given or the station profile has a `[bureau]`
/// section; each of the URL, key and certificate from its option, else from the profile.
pub fn target(
    profile: &StationProfile,
    submit_to: Option<&str>,
    station_key: Option<&Path>,
    certificate: Option<&Path>,
) -> anyhow::Result<Option<Bureau>> {
    let slot = profile.bureau.as_ref();
    let Some(url) = submit_to.or(slot.map(|b| b.url.as_str())) else {
        if station_key.is_some() || certificate.is_some() {
            bail!("--station-key and --bureau-certificate go with --submit-to URL");
        }
        return Ok(None);
    };
    check_bureau_url(url).map_err(|e| anyhow::anyhow!("bureau URL {url:?}: {e}"))?;
    let key = station_key
        .map(Path::to_path_buf)
        .or_else(|| slot.map(|b| PathBuf::from(&b.key)))
        .context(
            "the station's key for the bureau: give --station-key FILE or the station \
             profile's [bureau] key",
        )?;
    let certificate = certificate
        .map(Path::to_path_buf)
        .or_else(|| slot.map(|b| PathBuf::from(&b.certificate)))
        .context(
            "the bureau's certificate to seal packages to: give --bureau-certificate FILE or \
             the station profile's [bureau] certificate",
        )?;
    // Read once now, so that a wrong key file stops the enrolment before any capture.
    keys::read_private(&key)?;
    Ok(Some(Bureau {
        url: url.trim_end_matches('/').to_owned(),
        name: station_name(profile),
        key,
        certificate: read_certificate(&certificate)?,
    }))
}

/// The name the bureau knows the station by: `[bureau] name`, else the station id.
fn station_name(profile: &StationProfile) -> String {
    profile
        .bureau
        .as_ref()
        .and_then(|b| b.name.clone())
        .unwrap_or_else(|| profile.station_id.clone())
}

/// A certificate file, PEM or DER.
fn read_certificate(path: &Path) -> anyhow::Result<Vec<u8>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if bytes.windows(10).any(|w| w == b"-----BEGIN") {
        return Ok(permitkit_pki::signer::read_certificate(path)?);
    }
    Ok(bytes)
}

/// A client of the bureau at `url` for station `name` signing with the key in `key`.
fn client(
    url: &str,
    name: &str,
    key: &Path,
) -> Result<StationClient, permitkit_bureau::BureauError> {
    StationClient::new(url, name, keys::read_private(key)?, Vec::new())
}

/// `enroll` for the bureau: the capture steps, the package sealed and queued, one delivery
/// tried (no waiting: a bureau that is down leaves it queued for `station sync`).
pub fn enroll(
    station: &mut Station,
    request: &EnrolRequest,
    console: &mut Console,
    bureau: &Bureau,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let captured = match pipeline::capture(station, request, console) {
        Ok(c) => c,
        Err(e) => {
            console.error(&e.report());
            return Ok(ExitCode::from(super::exit::ERROR));
        }
    };
    outbox::queue(
        &mut station.journal,
        &captured,
        &bureau.url,
        &bureau.certificate,
    )?;
    let options = SyncOptions {
        attempts: 1,
        pull_status: false,
        only: Some(captured.id.clone()),
        ..SyncOptions::default()
    };
    server::block_on(outbox::sync(
        &mut station.journal,
        &|url| client(url, &bureau.name, &bureau.key),
        &options,
    ))??;
    let entry = station
        .journal
        .outbox_entry(&captured.id)?
        .context("the outbox entry just queued")?;
    if json {
        let v = serde_json::json!({
            "event": "queued-for-bureau",
            "id": captured.id,
            "application": captured.application,
            "bureau": bureau.url,
            "status": entry.status(),
            "last_error": entry.last_error,
            "refusal": entry.refusal,
            "journal": station.journal.path().display().to_string(),
        });
        println!("{v}");
    } else {
        println!();
        println!(
            "Captured and sealed to the bureau: application {} (journal id {})",
            captured.application, captured.id
        );
        println!("Bureau:    {} ({})", bureau.url, entry.status());
        if let Some(e) = &entry.last_error {
            println!("           not delivered yet: {e}");
            println!(
                "           `permitkit station sync --journal {}` sends it",
                station.journal.path().display()
            );
        }
        if let Some(r) = &entry.refusal {
            println!("           refused: {r}");
        }
        println!("Journal:   {}", station.journal.path().display());
    }
    Ok(if entry.refusal.is_some() {
        ExitCode::from(super::exit::ERROR)
    } else {
        ExitCode::SUCCESS
    })
}

/// `permitkit station sync` options.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Station profile: a station id or a station profile file (its `[bureau]` section gives
    /// the key, and the name the bureau knows the station by).
    #[arg(long, default_value = "simulated", value_name = "ID|FILE")]
    station: String,
    /// Journal database (default: the station profile's `journal`).
    #[arg(long, value_name = "FILE")]
    journal: Option<PathBuf>,
    /// Extra profiles folder (one sub-folder per kind) overriding the built-ins.
    #[arg(long, value_name = "DIR")]
    profiles: Option<PathBuf>,
    /// Send to this bureau (http://host:port) instead of the one each package was queued for.
    #[arg(long, value_name = "URL")]
    bureau: Option<String>,
    /// The station's P-256 key registered with the bureau (default: the profile's `[bureau]
    /// key`).
    #[arg(long, value_name = "FILE")]
    station_key: Option<PathBuf>,
    /// Tries per package while the bureau cannot be reached (waits double from
    /// --retry-delay-ms, at most a minute).
    #[arg(long, default_value_t = 4, value_name = "N")]
    attempts: u32,
    /// The wait after the first failed try, milliseconds.
    #[arg(long, default_value_t = 500, value_name = "MS")]
    retry_delay_ms: u64,
    /// One JSON object on stdout (with --every: one per pass, counts only).
    #[arg(long)]
    json: bool,
    /// Keep running: a pass every SECONDS (each with its own back-off) until SIGINT or SIGTERM,
    /// which stop it between passes (exit 0). One line per pass, counts only.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    every: Option<u64>,
}

/// `permitkit station sync`: drains the outbox, pulls statuses back. Exit 0 when nothing is
/// left queued, 1 otherwise (the bureau not reached, or not accepting the station yet); with
/// `--every`, passes until SIGINT or SIGTERM, then exit 0.
pub fn sync(args: SyncArgs) -> anyhow::Result<ExitCode> {
    let mut registry = Registry::builtin()?;
    if let Some(dir) = &args.profiles {
        registry = registry.with_dir(dir)?;
    }
    let id = super::enroll::station_id(&mut registry, &args.station)?;
    let profile = registry.station(&id)?.clone();
    let journal_path = args
        .journal
        .clone()
        .unwrap_or_else(|| PathBuf::from(&profile.journal));
    if !journal_path.is_file() {
        bail!(
            "no journal at {} (give --journal FILE)",
            journal_path.display()
        );
    }
    if let Some(url) = &args.bureau {
        check_bureau_url(url).map_err(|e| anyhow::anyhow!("--bureau {url:?}: {e}"))?;
    }
    let key_path = args
        .station_key
        .clone()
        .or_else(|| profile.bureau.as_ref().map(|b| PathBuf::from(&b.key)))
        .context("the station's key for the bureau: give --station-key FILE or the station profile's [bureau] key")?;
    keys::read_private(&key_path)?;
    let name = station_name(&profile);
    let mut journal = Journal::open(&journal_path)?;
    let options = SyncOptions {
        attempts: args.attempts.max(1),
        first_delay: Duration::from_millis(args.retry_delay_ms),
        bureau: args.bureau.clone(),
        pull_status: true,
        only: None,
    };
    if let Some(every) = args.every {
        return server::block_on(every_pass(
            &mut journal,
            &|url| client(url, &name, &key_path),
            &options,
            Duration::from_secs(every),
            args.json,
        ))?;
    }
    let report = server::block_on(outbox::sync(
        &mut journal,
        &|url| client(url, &name, &key_path),
        &options,
    ))??;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    Ok(if report.still_queued.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::exit::ERROR)
    })
}

/// `station sync --every`: a pass, then a pause of `every`, until SIGINT or SIGTERM. A
/// signal that comes during a pass stops the loop once that pass is done (the handlers are
/// installed before the first pass, so none is lost); a pass that fails (the journal, the
/// station's key) is logged and the next one tried.
async fn every_pass(
    journal: &mut Journal,
    connect: &dyn Fn(&str) -> Result<StationClient, permitkit_bureau::BureauError>,
    options: &SyncOptions,
    every: Duration,
    json: bool,
) -> anyhow::Result<ExitCode> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate =
        signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    let mut pass: u64 = 0;
    loop {
        pass += 1;
        let outcome = outbox::sync(journal, connect, options).await;
        log_pass(pass, &outcome, json);
        tokio::select! {
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
            () = tokio::time::sleep(every) => {}
        }
    }
    if !json {
        println!("stopped after {pass} pass(es)");
    }
    Ok(ExitCode::SUCCESS)
}

/// One line for a pass: counts and the error's kind, never an application number or a name.
fn log_pass(pass: u64, outcome: &Result<SyncReport, permitkit_bureau::BureauError>, json: bool) {
    use std::io::Write as _;
    let line = match (outcome, json) {
        (Ok(r), false) => format!(
            "pass {pass}: {} submitted, {} refused, {} still queued, {} status change(s), {} \
             status failure(s)",
            r.submitted.len(),
            r.refused.len(),
            r.still_queued.len(),
            r.status_changed.len(),
            r.status_failed.len()
        ),
        (Ok(r), true) => serde_json::json!({
            "pass": pass,
            "submitted": r.submitted.len(),
            "refused": r.refused.len(),
            "still_queued": r.still_queued.len(),
            "status_changed": r.status_changed.len(),
            "status_failed": r.status_failed.len(),
        })
        .to_string(),
        (Err(e), false) => format!("pass {pass}: failed: {e}"),
        (Err(e), true) => serde_json::json!({ "pass": pass, "error": e.to_string() }).to_string(),
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn print_report(r: &SyncReport) {
    println!(
        "{} submitted, {} refused, {} still queued, {} status change(s)",
        r.submitted.len(),
        r.refused.len(),
        r.still_queued.len(),
        r.status_changed.len()
    );
    for a in &r.submitted {
        println!("  submitted      {a}");
    }
    for (a, why) in &r.refused {
        println!("  refused        {a}: {why}");
    }
    for (a, why) in &r.still_queued {
        println!("  still queued   {a}: {why}");
    }
    for (a, state) in &r.status_changed {
        println!("  bureau         {a}: {state}");
    }
    for (a, why) in &r.status_failed {
        println!("  no status      {a}: {why}");
    }
}
