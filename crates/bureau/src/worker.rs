//! A personalization line: claims jobs from the queue ([`crate::queue`]), writes each card in
//! the chip profile's dialect with `permitkit-chip`'s `perso::personalize` (identify and admit
//! the card, write, read back byte for byte, passive authentication against the CSCAs — ICAO
//! 9303-11 §5.1 — and LOCK), with the chip journal in the database ([`crate::perso_journal`]),
//! and reports the card in one transaction.
//!
//! The line renews its lease while it works; a line killed mid-card loses the lease, another
//! line reclaims the job, takes a blank card, and the chip journal records the half-written
//! card as spoilt — one valid card per document. The reader is either the line's virtual card
//! stock (`sim`: a tray of fresh virtual chips behind a [`LatencyChannel`]) or a real reader
//! (`pcsc:<name glob>`, feature `pcsc` of `permitkit-devices`).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use deadpool_postgres::Pool;
use p256::ecdsa::SigningKey;

use permitkit_chip::identity::ChipSerial;
use permitkit_chip::perso::{
    self, LockPermission, PersoInput, PersoLimits, PersoOptions, PersoReport, Progress,
};
use permitkit_chip::{CardChannel, ChipError};
use permitkit_devices::card_feeder::{CardFeeder, Present};
use permitkit_devices::card_reader::{CardReader, VIRTUAL_CHIP_PROFILE};
use permitkit_lds::{ChipImage, Ef};
use permitkit_model::profiles::Registry;
use permitkit_model::secret::SecretBytes;
use permitkit_simulator::CardConfig;

use crate::BureauError;
use crate::latency::{LatencyChannel, LinkModel};
use crate::perso_journal::PgJournal;
use crate::queue::{self, Claimed};

/// Where a line's cards come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineReader {
    /// Virtual chips from a tray folder, one fresh blank card per job.
    Virtual {
        /// The tray (each card's state file).
        stock: PathBuf,
    },
    /// A real reader by selector (`pcsc:<glob>`).
    Selector(String),
}

/// How a line runs.
pub struct WorkerConfig {
    /// The line's registered name.
    pub line: String,
    /// The line's key (registered public key).
    pub key: SigningKey,
    /// The database URL.
    pub database: String,
    /// The card reader.
    pub reader: LineReader,
    /// The link timing of virtual chips.
    pub link: LinkModel,
    /// The claim lease.
    pub lease: Duration,
    /// CSCA certificates (DER) for passive authentication of what was read back.
    pub cscas: Vec<Vec<u8>>,
    /// The inspection system that reads back data groups behind Extended Access Control (DG3
    /// fingerprints); a line without one fails such jobs before writing a card.
    pub terminal: Option<permitkit_chip::ta::Terminal>,
    /// Stop after the queue stayed empty this long (`None`: run until stopped).
    pub idle_exit: Option<Duration>,
    /// Profiles.
    pub registry: Registry,
}

/// What a line did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkerSummary {
    /// Cards issued.
    pub issued: u64,
    /// Attempts that failed (their cards recorded spoilt).
    pub failed: u64,
    /// Claims lost to another line before the report.
    pub lost: u64,
}

/// Runs a line until the queue stays empty for `idle_exit` (or forever).
pub async fn run(config: WorkerConfig) -> Result<WorkerSummary, BureauError> {
    run_until(config, std::future::pending()).await
}

/// [`run`], also stopping once `stop` completes: the card in hand is finished and reported
/// first, no new job is claimed after.
pub async fn run_until(
    config: WorkerConfig,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<WorkerSummary, BureauError> {
    let stopping = Arc::new(AtomicBool::new(false));
    let watcher = {
        let stopping = Arc::clone(&stopping);
        tokio::spawn(async move {
            stop.await;
            stopping.store(true, Ordering::SeqCst);
        })
    };
    let outcome = line_loop(config, &stopping).await;
    watcher.abort();
    outcome
}

async fn line_loop(
    config: WorkerConfig,
    stopping: &AtomicBool,
) -> Result<WorkerSummary, BureauError> {
    let pool = crate::db::pool(&config.database, 4)?;
    check_registered(&pool, &config).await?;
    let secret = crate::db::document_key_secret(&pool).await?;
    let config = Arc::new(config);
    let mut summary = WorkerSummary::default();
    let mut idle_since = Instant::now();
    loop {
        if stopping.load(Ordering::SeqCst) {
            return Ok(summary);
        }
        let Some(claim) = queue::claim(&pool, &config.line, config.lease).await? else {
            if config.idle_exit.is_some_and(|d| idle_since.elapsed() >= d) {
                return Ok(summary);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        match one_job(&pool, &config, &secret, claim).await? {
            JobOutcome::Issued => summary.issued += 1,
            JobOutcome::Failed => summary.failed += 1,
            JobOutcome::Lost => summary.lost += 1,
        }
        idle_since = Instant::now();
    }
}

async fn check_registered(pool: &Pool, config: &WorkerConfig) -> Result<(), BureauError> {
    let mine = crate::keys::public_der(config.key.verifying_key())?;
    let client = pool.get().await?;
    let row = client
        .query_opt(
            "SELECT public_key FROM principals WHERE name = $1 AND kind = 'line'",
            &[&config.line],
        )
        .await?;
    match row {
        Some(row) if row.try_get::<_, Vec<u8>>(0)? == mine => Ok(()),
        _ => Err(BureauError::UnregisteredLine(config.line.clone())),
    }
}

enum JobOutcome {
    Issued,
    Failed,
    Lost,
}

/// What the blocking part hands back: the card it used and what happened.
struct CardRun {
    serial: Option<ChipSerial>,
    result: Result<PersoReport, BureauError>,
}

async fn one_job(
    pool: &Pool,
    config: &Arc<WorkerConfig>,
    secret: &SecretBytes,
    claim: Claimed,
) -> Result<JobOutcome, BureauError> {
    let started = Instant::now();
    let image = queue::image(pool, &claim).await?;
    let lost = Arc::new(AtomicBool::new(false));
    let heartbeat = {
        let (pool, claim, lost, config) = (
            pool.clone(),
            claim.clone(),
            Arc::clone(&lost),
            Arc::clone(config),
        );
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(config.lease / 3).await;
                match queue::heartbeat(&pool, &claim, &config.line, config.lease).await {
                    Ok(true) => {}
                    Ok(false) => {
                        lost.store(true, Ordering::SeqCst);
                        return;
                    }
                    Err(e) => tracing::warn!(error = %e, "heartbeat failed"),
                }
            }
        })
    };
    let journal = PgJournal::new(
        tokio::runtime::Handle::current(),
        pool.clone(),
        secret.clone(),
        claim.clone(),
        &config.line,
    );
    let run = {
        let config = Arc::clone(config);
        tokio::task::spawn_blocking(move || write_card(&config, image, journal)).await?
    };
    heartbeat.abort();
    let serial = run.serial.as_ref().map(ChipSerial::to_string);
    match run.result {
        Ok(report) if report.locked => {
            let spoilt: Vec<String> = report
                .spoilt_cards
                .iter()
                .map(ToString::to_string)
                .collect();
            let serial = report.chip_serial.to_string();
            let kept =
                queue::complete(pool, &claim, &config.line, &config.key, &serial, &spoilt).await?;
            if !kept {
                tracing::warn!(job = claim.job, line = %config.line, card = %serial,
                    "card finished after the job was lost: recorded spoilt");
                return Ok(JobOutcome::Lost);
            }
            tracing::info!(job = claim.job, line = %config.line, card = %serial,
                millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                spoilt = spoilt.len(), resumed = report.resumed, "card issued");
            Ok(JobOutcome::Issued)
        }
        outcome => {
            let reason = match outcome {
                Ok(_) => "the card was not locked".to_owned(),
                Err(e) => e.to_string(),
            };
            tracing::warn!(job = claim.job, line = %config.line, error = %reason, "card failed");
            queue::fail(
                pool,
                &claim,
                &config.line,
                &config.key,
                serial.as_deref(),
                &reason,
            )
            .await?;
            if lost.load(Ordering::SeqCst) {
                return Ok(JobOutcome::Lost);
            }
            Ok(JobOutcome::Failed)
        }
    }
}

/// Writes one card (blocking: the chip and the journal are synchronous).
fn write_card(config: &WorkerConfig, image: queue::JobImage, mut journal: PgJournal) -> CardRun {
    let mut serial = None;
    let result = (|| {
        let files = image.files;
        let checked = ChipImage::from_card_files(files)?;
        let mut input = PersoInput::try_from(&checked)?;
        input.can.clone_from(&image.keys.can);
        input.aa_private_key.clone_from(&image.keys.aa_private_key);
        // DG14's Chip Authentication key and the EAC trust point, as the station sets them.
        input.ca_keys = perso::ca_keys_for(&checked, &image.keys)?;
        input.trust_point = perso::trust_point_of(&image.keys)?;
        // A card this line could not verify is not started (no card is spoilt for it).
        if config.terminal.is_none()
            && crate::verify::needs_terminal(&checked, input.trust_point.is_some())
        {
            return Err(BureauError::Verify(crate::verify::CardCheck::NoTerminal));
        }
        match &config.reader {
            LineReader::Virtual { stock } => {
                let chip = config.registry.chip(VIRTUAL_CHIP_PROFILE)?.clone();
                let feeder = CardFeeder::open(stock)?;
                let (mut card, _) =
                    feeder.present(&Present::Blank, CardConfig::from_profile(&chip))?;
                serial = Some(card.serial());
                let limits = PersoLimits::from_profiles(&chip, None);
                let outcome = {
                    let mut channel = LatencyChannel::new(&mut card, config.link);
                    personalize(&mut channel, &input, &chip, limits, config, &mut journal).and_then(
                        |report| {
                            verify_written(
                                &mut channel,
                                &chip,
                                &checked,
                                &input,
                                &report,
                                limits,
                                config,
                            )?;
                            Ok(report)
                        },
                    )
                };
                feeder.save(&card)?;
                if outcome.as_ref().is_ok_and(|r| r.locked) && !card.is_locked() {
                    return Err(BureauError::Chip(ChipError::journal(
                        "the card reports itself not locked after LOCK",
                    )));
                }
                outcome
            }
            LineReader::Selector(selector) => {
                let mut reader =
                    CardReader::open(selector, None, &config.registry, Duration::from_secs(30))?;
                let chip = reader.chip_profile(&config.registry, None)?;
                let limits = PersoLimits::from_profiles(&chip, reader.reader_profile());
                let mut identified = None;
                let outcome = personalize_with(
                    reader.channel(),
                    &input,
                    &chip,
                    limits,
                    config,
                    &mut journal,
                    &mut identified,
                )
                .and_then(|report| {
                    verify_written(
                        reader.channel(),
                        &chip,
                        &checked,
                        &input,
                        &report,
                        limits,
                        config,
                    )?;
                    Ok(report)
                });
                serial = identified;
                reader.finish()?;
                outcome
            }
        }
    })();
    CardRun { serial, result }
}

/// The independent check of a card reported locked ([`crate::verify`]).
fn verify_written(
    channel: &mut dyn CardChannel,
    chip: &permitkit_model::profiles::ChipProfile,
    image: &ChipImage,
    input: &PersoInput,
    report: &PersoReport,
    limits: PersoLimits,
    config: &WorkerConfig,
) -> Result<(), BureauError> {
    if !report.locked {
        return Ok(());
    }
    let can = input
        .can
        .as_ref()
        .ok_or(BureauError::Verify(crate::verify::CardCheck::NoCan))?;
    crate::verify::card(
        channel,
        chip,
        image,
        can,
        &report.chip_serial,
        limits.read,
        &config.cscas,
        input.trust_point.is_some(),
        config.terminal.as_ref(),
    )
}

fn personalize(
    channel: &mut dyn CardChannel,
    input: &PersoInput,
    chip: &permitkit_model::profiles::ChipProfile,
    limits: PersoLimits,
    config: &WorkerConfig,
    journal: &mut PgJournal,
) -> Result<PersoReport, BureauError> {
    let mut identified = None;
    personalize_with(
        channel,
        input,
        chip,
        limits,
        config,
        journal,
        &mut identified,
    )
}

fn personalize_with(
    channel: &mut dyn CardChannel,
    input: &PersoInput,
    chip: &permitkit_model::profiles::ChipProfile,
    limits: PersoLimits,
    config: &WorkerConfig,
    journal: &mut PgJournal,
    identified: &mut Option<ChipSerial>,
) -> Result<PersoReport, BureauError> {
    let cscas = &config.cscas;
    let verifier =
        |files: &[(Ef, Vec<u8>)]| -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
            Ok(permitkit_pki::verify_files(
                files,
                cscas,
                crate::auth::unix_now(),
            )?)
        };
    let options = PersoOptions {
        dialect: chip.dialect,
        chip_serial: chip.chip_serial,
        limits,
        lock: Some(LockPermission::irreversible()),
        verifier: Some(&verifier),
        file_access: chip.file_access.unwrap_or(perso::FileAccessRules::EMRTD),
    };
    let mut progress = |p: &Progress| {
        if let Progress::Identified(card) = p {
            *identified = Some(card.serial.clone());
        }
    };
    Ok(perso::personalize(
        channel,
        input,
        &options,
        journal,
        &mut progress,
    )?)
}
