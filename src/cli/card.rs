//! `permitkit card …`: list readers, personalize a chip from a ChipImage folder, read a chip.
//!
//! Reader selectors: `sim` (the in-process virtual chip; `--state FILE` keeps it between runs)
//! and `pcsc:<reader name glob>` (feature `pcsc`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::{Context, bail};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};

use permitkit_chip::perso::{
    self, LockPermission, PersoInput, PersoLimits, PersoOptions, Progress,
};
use permitkit_chip::reader::{self, AccessKey};
use permitkit_devices::card_reader::CardReader;
use permitkit_devices::file_journal::FileJournal;
use permitkit_lds::{ChipImage, ChipKeys, Ef};
use permitkit_model::profiles::{ChipProfile, Registry};
use permitkit_model::secret::SecretString;
use permitkit_pki::{CheckStatus, passive_authentication, signer::read_certificate, verify_files};

/// `card` subcommands.
#[derive(Debug, Subcommand)]
pub enum CardCommand {
    /// List card readers (PC/SC) and the virtual chip.
    List {
        /// Extra profile folder (readers/, chips/ …) overriding the built-ins.
        #[arg(long)]
        profiles: Option<PathBuf>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Write a ChipImage onto a blank chip, read it back byte for byte, verify, and lock.
    Personalize {
        /// `sim` or `pcsc:<reader name glob>`.
        #[arg(long)]
        reader: String,
        /// ChipImage folder (from `lds build` / an enrollment station).
        #[arg(long)]
        image: PathBuf,
        /// Chip profile id (default: `permitkit-virtual` for `sim`, else matched by ATR).
        #[arg(long)]
        chip_profile: Option<String>,
        /// End personalization for good after a verified read-back (irreversible).
        #[arg(long)]
        lock: bool,
        /// Trusted CSCA certificates (PEM): run passive authentication on the read-back.
        #[arg(long)]
        csca: Vec<PathBuf>,
        /// Journal folder (resumes interrupted cards); default `./perso-journal`.
        #[arg(long)]
        journal: Option<PathBuf>,
        /// Virtual chip state file (`sim` only): loaded if present, saved afterwards.
        #[arg(long)]
        state: Option<PathBuf>,
        /// Extra profile folder.
        #[arg(long)]
        profiles: Option<PathBuf>,
        /// Seconds to wait for a card.
        #[arg(long, default_value_t = 30)]
        wait: u64,
        /// Machine-readable report.
        #[arg(long)]
        json: bool,
    },
    /// Read a chip (PACE when offered, else BAC) into a ChipImage folder.
    Read {
        /// `sim` or `pcsc:<reader name glob>`.
        #[arg(long)]
        reader: String,
        /// The MRZ as printed (lines joined, or separated by newlines).
        #[arg(long, required_unless_present_any = ["can", "chip_keys"], conflicts_with_all = ["can", "chip_keys"])]
        mrz: Option<String>,
        /// The card access number (PACE).
        #[arg(long, conflicts_with = "chip_keys")]
        can: Option<String>,
        /// The CAN from a ChipImage's chip-keys.json (checking a card just personalized).
        #[arg(long, value_name = "FILE")]
        chip_keys: Option<PathBuf>,
        /// Trusted CSCA certificates (PEM): run passive authentication.
        #[arg(long)]
        csca: Vec<PathBuf>,
        /// Folder to write the files to.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Virtual chip state file (`sim` only).
        #[arg(long)]
        state: Option<PathBuf>,
        /// Extra profile folder.
        #[arg(long)]
        profiles: Option<PathBuf>,
        /// Seconds to wait for a card.
        #[arg(long, default_value_t = 30)]
        wait: u64,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a `card` subcommand.
pub fn run(cmd: CardCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        CardCommand::List { profiles, json } => list(profiles.as_deref(), json),
        CardCommand::Personalize {
            reader,
            image,
            chip_profile,
            lock,
            csca,
            journal,
            state,
            profiles,
            wait,
            json,
        } => {
            let registry = registry(profiles.as_deref())?;
            let mut device = CardReader::open(
                &reader,
                state.as_deref(),
                &registry,
                std::time::Duration::from_secs(wait),
            )?;
            let chip = device.chip_profile(&registry, chip_profile.as_deref())?;
            let image = ChipImage::load_dir(&image)
                .with_context(|| format!("loading the ChipImage {}", image.display()))?;
            let input = PersoInput::try_from(&image)?;
            let anchors = read_anchors(&csca)?;
            let journal_dir = journal.unwrap_or_else(|| PathBuf::from("perso-journal"));
            let mut journal = FileJournal::open(&journal_dir)?;
            let outcome = personalize(
                &mut device,
                &input,
                &chip,
                lock,
                &anchors,
                &mut journal,
                json,
            );
            device.finish()?;
            outcome
        }
        CardCommand::Read {
            reader,
            mrz,
            can,
            chip_keys,
            csca,
            out,
            state,
            profiles,
            wait,
            json,
        } => {
            let registry = registry(profiles.as_deref())?;
            let key = match (mrz, can, chip_keys) {
                (Some(m), _, _) => AccessKey::Mrz(perso::mrz_information(&m)?),
                (None, Some(c), _) => {
                    if c.is_empty() || !c.bytes().all(|b| b.is_ascii_digit()) {
                        bail!("--can takes the digits printed on the card");
                    }
                    AccessKey::Can(SecretString::new(c))
                }
                (None, None, Some(path)) => {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    let keys: ChipKeys = serde_json::from_str(&text)
                        .with_context(|| format!("{} is not a chip-keys.json", path.display()))?;
                    AccessKey::Can(
                        keys.can
                            .with_context(|| format!("{} holds no CAN", path.display()))?,
                    )
                }
                (None, None, None) => bail!("give --mrz, --can or --chip-keys"),
            };
            let mut device = CardReader::open(
                &reader,
                state.as_deref(),
                &registry,
                std::time::Duration::from_secs(wait),
            )?;
            let chip = device.chip_profile(&registry, None).ok();
            let outcome = read(
                &mut device,
                chip.as_ref(),
                &key,
                &csca,
                out.as_deref(),
                json,
            );
            device.finish()?;
            outcome
        }
    }
}

fn registry(dir: Option<&Path>) -> anyhow::Result<Registry> {
    let r = Registry::builtin()?;
    Ok(match dir {
        Some(d) => r.with_dir(d)?,
        None => r,
    })
}

fn read_anchors(paths: &[PathBuf]) -> anyhow::Result<Vec<Vec<u8>>> {
    paths
        .iter()
        .map(|p| read_certificate(p).with_context(|| format!("CSCA {}", p.display())))
        .collect()
}

fn limits_for(device: &CardReader, chip: Option<&ChipProfile>) -> PersoLimits {
    match chip {
        Some(c) => PersoLimits::from_profiles(c, device.reader_profile()),
        None => PersoLimits::SHORT,
    }
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn personalize(
    device: &mut CardReader,
    input: &PersoInput,
    chip: &ChipProfile,
    lock: bool,
    anchors: &[Vec<u8>],
    journal: &mut FileJournal,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let limits = limits_for(device, Some(chip));
    let total: u64 = input.files.iter().map(|(_, d)| d.len() as u64).sum();
    let bar = if json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total * 2)
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg:24} [{bar:40}] {bytes}/{total_bytes}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let verifier =
        |files: &[(Ef, Vec<u8>)]| -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
            Ok(verify_files(files, anchors, now_unix())?)
        };
    let options = PersoOptions {
        dialect: chip.dialect,
        limits,
        lock: lock.then(LockPermission::irreversible),
        verifier: (!anchors.is_empty()).then_some(&verifier as perso::Verifier<'_>),
    };
    let mut written: BTreeMap<Ef, u64> = BTreeMap::new();
    let mut progress = |p: &Progress| match p {
        Progress::Resuming { attempt } => {
            bar.println(format!("resuming an interrupted card (attempt {attempt})"));
        }
        Progress::Writing { ef, written: w, .. } => {
            written.insert(*ef, *w as u64);
            bar.set_message(format!("writing {ef}"));
            bar.set_position(written.values().sum());
        }
        Progress::Keys => bar.set_message("storing access keys"),
        Progress::Verified { ef, size } => {
            bar.set_message(format!("read back {ef}"));
            bar.inc(*size as u64);
        }
        Progress::Verifying => bar.set_message("passive authentication"),
        Progress::Locked => bar.set_message("locked"),
    };
    let outcome = perso::personalize(device.channel(), input, &options, journal, &mut progress);
    bar.finish_and_clear();
    match outcome {
        Ok(report) => {
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!(
                    "card personalized and read back byte for byte{} ({})",
                    if report.locked {
                        ", LOCKED"
                    } else {
                        " (not locked: pass --lock to finish)"
                    },
                    report.protocol
                );
                println!(
                    "{} APDUs (minimum {}), {} bytes sent, {} received, {:.3} s wall{}",
                    report.stats.commands,
                    report.minimum_apdus,
                    report.stats.bytes_sent,
                    report.stats.bytes_received,
                    report.wall.as_secs_f64(),
                    if report.resumed { ", resumed" } else { "" }
                );
                let est: Vec<String> = report
                    .estimates
                    .iter()
                    .map(|e| format!("{} kbit/s {:.2} s", e.kbit_s, e.seconds))
                    .collect();
                println!("estimated contactless time: {}", est.join(", "));
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(
            e @ (permitkit_chip::ChipError::ReadbackMismatch { .. }
            | permitkit_chip::ChipError::Verification(_)),
        ) => {
            eprintln!("card NOT done: {e}");
            Ok(ExitCode::from(super::exit::CHECK_FAILED))
        }
        Err(e) => Err(anyhow::Error::new(e).context(
            "card NOT done (the journal keeps its progress; present the same card again to resume)",
        )),
    }
}

fn read(
    device: &mut CardReader,
    chip: Option<&ChipProfile>,
    key: &AccessKey,
    csca: &[PathBuf],
    out: Option<&Path>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let limits = limits_for(device, chip).read;
    let contents = reader::read(device.channel(), key, limits)?;
    let map: BTreeMap<Ef, Vec<u8>> = contents.files.iter().cloned().collect();
    if let Some(dir) = out {
        match ChipImage::from_card_files(map.clone()) {
            Ok(image) => {
                image.save_dir(dir)?;
            }
            Err(e) => {
                tracing::warn!(
                    "the files read do not form a consistent ChipImage ({e}); writing them as read"
                );
                std::fs::create_dir_all(dir)?;
                for (ef, data) in &map {
                    std::fs::write(dir.join(format!("{}.bin", ef.name())), data)?;
                }
            }
        }
    }
    let anchors = read_anchors(csca)?;
    let pa = (!anchors.is_empty()).then(|| {
        let sod = map.get(&Ef::Sod).cloned().unwrap_or_default();
        passive_authentication(&sod, &map, &anchors, now_unix())
    });
    let valid =
        pa.as_ref().is_none_or(|r| r.is_valid()) && contents.active_authentication != Some(false);
    if json {
        let files: Vec<serde_json::Value> = contents
            .files
            .iter()
            .map(|(ef, d)| serde_json::json!({ "name": ef.name(), "size": d.len() }))
            .collect();
        let refused: Vec<serde_json::Value> = contents
            .refused
            .iter()
            .map(|(ef, sw)| serde_json::json!({ "name": ef.name(), "status": sw.to_string() }))
            .collect();
        let out = serde_json::json!({
            "protocol": contents.protocol.to_string(),
            "files": files,
            "refused": refused,
            "active_authentication": contents.active_authentication,
            "passive_authentication": pa.as_ref().map(|r| serde_json::json!({ "valid": r.is_valid(), "checks": r.checks })),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("opened with {}", contents.protocol);
        for (ef, d) in &contents.files {
            println!("  {:<12} {:>6} bytes", ef.to_string(), d.len());
        }
        for (ef, sw) in &contents.refused {
            println!("  {:<12} not read: {sw}", ef.to_string());
        }
        match contents.active_authentication {
            Some(true) => println!("active authentication: chip key verified (DG15)"),
            Some(false) => {
                println!("active authentication: FAILED (the chip does not hold the DG15 key)")
            }
            None => {}
        }
        if let Some(r) = &pa {
            for c in &r.checks {
                let mark = match c.status {
                    CheckStatus::Pass => "ok  ",
                    CheckStatus::Fail => "FAIL",
                    CheckStatus::NotChecked => "--  ",
                };
                println!("{mark} {:<20} {}", c.id, c.detail);
            }
            println!(
                "passive authentication: {}",
                if valid { "VALID" } else { "NOT VALID" }
            );
        }
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::exit::CHECK_FAILED)
    })
}

fn list(profiles: Option<&Path>, json: bool) -> anyhow::Result<ExitCode> {
    let registry = registry(profiles)?;
    #[allow(unused_mut)]
    let mut rows: Vec<serde_json::Value> = vec![serde_json::json!({
        "selector": "sim",
        "name": "permitkit virtual chip (in-process)",
        "card_present": true,
        "profile": "permitkit-virtual",
    })];
    #[cfg(feature = "pcsc")]
    {
        match permitkit_devices::reader_pcsc::list_readers() {
            Ok(readers) => {
                for r in readers {
                    rows.push(serde_json::json!({
                        "selector": format!("pcsc:{}", r.name),
                        "name": r.name,
                        "card_present": r.card_present,
                        "atr": hex::encode_upper(&r.atr),
                        "profile": registry.reader_for_name(&r.name).map(|p| p.id.clone()),
                    }));
                }
            }
            Err(e) => eprintln!("PC/SC: {e}"),
        }
    }
    #[cfg(not(feature = "pcsc"))]
    {
        let _ = &registry;
        eprintln!("this build has no PC/SC support (rebuild with --features pcsc)");
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        for r in &rows {
            println!(
                "{:<40} card: {:<5} profile: {}",
                r["selector"].as_str().unwrap_or_default(),
                r["card_present"].as_bool().unwrap_or_default(),
                r["profile"].as_str().unwrap_or("-"),
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
