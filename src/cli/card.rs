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
    self, FileAccessRules, LockPermission, PersoInput, PersoLimits, PersoOptions, Progress,
};
use permitkit_chip::reader::{self, AaOutcome, AccessKey};
use permitkit_devices::card_reader::CardReader;
use permitkit_devices::chip_image_dir;
use permitkit_devices::file_journal::FileJournal;
use permitkit_lds::{ChipImage, Ef};
use permitkit_model::profiles::{ChipProfile, Registry};
use permitkit_model::secret::SecretString;
use permitkit_pki::{
    CheckStatus,
    passive_auth::{verify_files_trusted, verify_read_trusted},
    trust::TrustStore,
};

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
    /// Write a ChipImage onto a blank chip, read it back byte for byte, verify, and LOCK.
    ///
    /// The card is identified first (its chip serial) and written only if it is blank, or the
    /// card this ChipImage's personalization started (then it resumes); an issued card or a card
    /// another personalization started is refused before anything is written. The ChipImage
    /// must carry its chip keys (chip-keys.json): the CAN when it offers PACE, the Active
    /// Authentication private key when it has DG15. There is no exception for chips that make
    /// their own key pair: DG15 is signed into EF.SOD before the card is seen, so a key made now
    /// could not match it (`permitkit enroll` makes the key on the chip before it signs).
    Personalize {
        /// `sim` or `pcsc:<reader name glob>`.
        #[arg(long)]
        reader: String,
        /// The ChipImage: a folder in clear (`lds build --out DIR`), or a sealed file (`lds
        /// seal`, `lds build --seal-to`) that --desk-key and --desk-cert open in memory: the
        /// decrypted image is checked against its EF.SOD and never written to disk.
        #[arg(long)]
        image: PathBuf,
        #[command(flatten)]
        desk: super::lds_seal::DeskKeyArgs,
        /// Chip profile id (default: `permitkit-virtual` for `sim`, else matched by ATR).
        #[arg(long)]
        chip_profile: Option<String>,
        /// Leave the chip unlocked after the verified read-back (development chips only): the
        /// card is then personalized, NOT issued. Without it the chip is LOCKED (irreversible).
        #[arg(long)]
        no_lock: bool,
        /// LOCK after the verified read-back: the default, accepted for old scripts.
        #[arg(long, hide = true, conflicts_with = "no_lock")]
        lock: bool,
        /// Trusted CSCA certificates (PEM): run passive authentication on the read-back.
        #[arg(long)]
        csca: Vec<PathBuf>,
        /// Trust store (folder or file of CSCA certificates, master lists, CRLs; repeatable):
        /// passive authentication on the read-back with CRLs and the CSCA's country.
        #[arg(long, value_name = "PATH")]
        trust: Vec<PathBuf>,
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
        /// A file holding the MRZ as printed (lines joined, or on separate lines); `-` reads
        /// standard input. Secrets never go on the command line: without this option, --can-file
        /// or --chip-keys, the MRZ is taken from the environment variable PERMITKIT_MRZ, or the
        /// CAN from PERMITKIT_CAN.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["can_file", "chip_keys"])]
        mrz_file: Option<PathBuf>,
        /// A file holding the card access number (PACE); `-` reads standard input.
        #[arg(long, value_name = "FILE", conflicts_with = "chip_keys")]
        can_file: Option<PathBuf>,
        /// The CAN from a ChipImage's chip-keys.json, or from a sealed ChipImage opened with
        /// --desk-key and --desk-cert (checking a card just personalized).
        #[arg(long, value_name = "FILE")]
        chip_keys: Option<PathBuf>,
        #[command(flatten)]
        desk: super::lds_seal::DeskKeyArgs,
        /// Trusted CSCA certificates (PEM): run passive authentication.
        #[arg(long)]
        csca: Vec<PathBuf>,
        /// Trust store (folder or file of CSCA certificates, master lists, CRLs; repeatable):
        /// run passive authentication with CRLs and the CSCA's country.
        #[arg(long, value_name = "PATH")]
        trust: Vec<PathBuf>,
        /// Folder to write the files to.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Read as an inspection system: the EAC terminal folder `pki eac init` wrote
        /// (dv.cvcert, is.cvcert, is.pkcs8; link.cvcert after a rollover). Terminal
        /// Authentication then runs after Chip Authentication, and DG3/DG4 are read when the
        /// chip grants them; without it they are reported "protected by EAC, not read".
        #[arg(long, value_name = "DIR")]
        terminal: Option<PathBuf>,
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
            desk,
            chip_profile,
            no_lock,
            lock,
            csca,
            trust,
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
            let dir = image;
            let image = super::lds_seal::load_image(&dir, &desk)?;
            let input = PersoInput::try_from(&image)?;
            let lock = lock || !no_lock;
            if let Err(e) = check_keys(&image, &input) {
                device.finish()?;
                return Err(e).with_context(|| {
                    format!(
                        "refusing to personalize {}: nothing was written to the card",
                        dir.display()
                    )
                });
            }
            let trust = super::pki_trust::load(&trust, &csca)?;
            let journal_dir = journal.unwrap_or_else(|| PathBuf::from("perso-journal"));
            let mut journal = FileJournal::open(&journal_dir)?;
            let outcome = personalize(
                &mut device,
                &input,
                &chip,
                lock,
                trust.as_ref(),
                &mut journal,
                json,
            );
            device.finish()?;
            outcome
        }
        CardCommand::Read {
            reader,
            mrz_file,
            can_file,
            chip_keys,
            desk,
            csca,
            trust,
            out,
            terminal,
            state,
            profiles,
            wait,
            json,
        } => {
            let registry = registry(profiles.as_deref())?;
            let terminal = terminal.as_deref().map(super::card_ta::load).transpose()?;
            // The trust store is read before the card is touched: a bad one stops here.
            let trust = super::pki_trust::load(&trust, &csca)?;
            let mrz = match &mrz_file {
                Some(path) => Some(read_secret(path)?),
                None if can_file.is_none() && chip_keys.is_none() => secret_env("PERMITKIT_MRZ"),
                None => None,
            };
            let can = match &can_file {
                Some(path) => Some(read_secret(path)?),
                None if mrz.is_none() && chip_keys.is_none() => secret_env("PERMITKIT_CAN"),
                None => None,
            };
            let key = match (mrz, can, chip_keys) {
                (Some(m), _, _) => AccessKey::Mrz(perso::mrz_information(m.expose().trim())?),
                (None, Some(c), _) => {
                    let digits = c.expose().trim();
                    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                        bail!("the CAN is the digits printed on the card");
                    }
                    AccessKey::Can(SecretString::new(digits.to_owned()))
                }
                (None, None, Some(path)) => {
                    let keys = super::lds_seal::chip_keys(&path, &desk)?;
                    AccessKey::Can(
                        keys.can
                            .with_context(|| format!("{} holds no CAN", path.display()))?,
                    )
                }
                (None, None, None) => bail!(
                    "give --mrz-file, --can-file or --chip-keys, or set PERMITKIT_MRZ or PERMITKIT_CAN"
                ),
            };
            // Reading needs a card: a state file that does not exist is a mistake, never a
            // blank virtual chip (which would be saved, creating the file).
            if let Some(path) = state.as_deref().filter(|p| !p.exists()) {
                bail!(
                    "the virtual chip's state file {} does not exist: `card read` reads a card \
                     that was personalized (`card personalize --reader sim --state {}`)",
                    path.display(),
                    path.display()
                );
            }
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
                trust.as_ref(),
                out.as_deref(),
                terminal.as_ref(),
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

/// The keys a ChipImage's files need: some key at all (a ChipImage without chip-keys.json would
/// make a card with no CAN and no Active Authentication key), and the CAN when it offers PACE
/// (EF.CardAccess). The Active Authentication key DG15 needs is checked by the writer
/// (`MissingKey::ActiveAuthentication`).
fn check_keys(image: &ChipImage, input: &PersoInput) -> anyhow::Result<()> {
    let keys = image.keys();
    if keys.can.is_none() && keys.aa_private_key.is_none() {
        bail!(
            "the ChipImage has no chip keys (chip-keys.json is missing): the card would have no \
             CAN and no Active Authentication key"
        );
    }
    let offers_pace = input.files.iter().any(|(ef, _)| *ef == Ef::CardAccess);
    if offers_pace && input.can.is_none() {
        return Err(permitkit_chip::ChipError::MissingKey(permitkit_chip::MissingKey::Can).into());
    }
    Ok(())
}

fn personalize(
    device: &mut CardReader,
    input: &PersoInput,
    chip: &ChipProfile,
    lock: bool,
    trust: Option<&TrustStore>,
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
            match trust {
                Some(t) => Ok(verify_files_trusted(files, t, now_unix())?),
                None => Ok(()),
            }
        };
    let options = PersoOptions {
        dialect: chip.dialect,
        file_access: chip.file_access.unwrap_or(FileAccessRules::EMRTD),
        chip_serial: chip.chip_serial,
        limits,
        lock: lock.then(LockPermission::irreversible),
        verifier: trust.is_some().then_some(&verifier as perso::Verifier<'_>),
    };
    let mut written: BTreeMap<Ef, u64> = BTreeMap::new();
    let mut progress = |p: &Progress| match p {
        Progress::Identified(card) => {
            bar.println(format!("card {} ({})", card.serial, card.life));
        }
        Progress::Replacing { spoilt } => {
            bar.println(format!(
                "card {spoilt} is given up as spoilt (destroy it); this blank card replaces it"
            ));
        }
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
                    "card {} written and read back byte for byte ({}), {}",
                    report.chip_serial,
                    report.protocol,
                    if report.locked {
                        "LOCKED: issued"
                    } else {
                        "NOT locked (--no-lock): personalized, not issued"
                    },
                );
                for spoilt in &report.spoilt_cards {
                    println!("spoilt card {spoilt}: replaced before it was issued; destroy it");
                }
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
        Err(
            e @ (permitkit_chip::ChipError::CardIssued { .. }
            | permitkit_chip::ChipError::CardInUse { .. }
            | permitkit_chip::ChipError::AlreadyIssued
            | permitkit_chip::ChipError::NoChipSerial { .. }
            | permitkit_chip::ChipError::AaKeyOnAnotherChip { .. }),
        ) => Err(anyhow::Error::new(e).context("card refused: nothing was written to it")),
        Err(e) => Err(anyhow::Error::new(e).context(
            "card NOT done (the journal keeps its progress; present the same card again to resume)",
        )),
    }
}

fn read(
    device: &mut CardReader,
    chip: Option<&ChipProfile>,
    key: &AccessKey,
    trust: Option<&TrustStore>,
    out: Option<&Path>,
    terminal: Option<&permitkit_chip::ta::Terminal>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let limits = limits_for(device, chip).read;
    let contents = reader::read_with_terminal(device.channel(), key, limits, terminal)?;
    let ta = &contents.terminal_authentication;
    let map: BTreeMap<Ef, Vec<u8>> = contents.files.iter().cloned().collect();
    // What was read is kept whatever the checks say.
    if let Some(dir) = out {
        match ChipImage::from_card_files(map.clone()) {
            Ok(image) => {
                chip_image_dir::save(&image, dir)?;
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
    let not_read: BTreeMap<Ef, String> = contents
        .refused
        .iter()
        .map(|(ef, sw)| (*ef, super::card_ta::refusal(*ef, *sw, ta)))
        .collect();
    let mut pa = trust.map(|t| {
        let sod = map.get(&Ef::Sod).cloned().unwrap_or_default();
        verify_read_trusted(&sod, &map, &not_read, t, now_unix())
    });
    // Chip Authentication counts only with passive authentication of the key's file; its check
    // joins the report's list, the verdict on the data stays passive authentication's own.
    let pa_valid = pa.as_ref().map(|r| r.is_valid());
    let ca = super::card_ca::ChipAuthenticity::new(&contents.chip_authentication, pa.as_ref());
    if let Some(r) = pa.as_mut() {
        ca.add_to(r);
    }
    let aa = &contents.active_authentication;
    let valid = pa_valid != Some(false) && !aa.is_failed() && !ca.is_failed() && !ta.is_failed();
    let verdict = format!(
        "{}, {}, {}{}",
        match pa_valid {
            Some(true) => "passive authentication VALID",
            Some(false) => "passive authentication NOT VALID",
            None => "passive authentication not run (give --csca or --trust)",
        },
        match aa {
            AaOutcome::Verified => "active authentication VALID",
            AaOutcome::Failed(_) => "active authentication FAILED",
            _ => "active authentication not run",
        },
        ca.verdict(),
        match ta {
            _ if ta.is_granted() => ", terminal authentication GRANTED",
            _ if ta.is_failed() => ", terminal authentication FAILED",
            _ => "",
        }
    );
    if json {
        let files: Vec<serde_json::Value> = contents
            .files
            .iter()
            .map(|(ef, d)| serde_json::json!({ "name": ef.name(), "size": d.len() }))
            .collect();
        let refused: Vec<serde_json::Value> = contents
            .refused
            .iter()
            .map(|(ef, sw)| {
                serde_json::json!({
                    "name": ef.name(),
                    "status": sw.to_string(),
                    "reason": super::card_ta::refusal(*ef, *sw, ta),
                })
            })
            .collect();
        let aa_json = match aa {
            AaOutcome::Verified => serde_json::json!({ "status": "valid" }),
            AaOutcome::Failed(why) => {
                serde_json::json!({ "status": "failed", "detail": why.to_string() })
            }
            AaOutcome::NoDg15 => {
                serde_json::json!({ "status": "not-run", "detail": "the chip has no DG15" })
            }
            other => serde_json::json!({ "status": "not-run", "detail": other.to_string() }),
        };
        let out = serde_json::json!({
            "protocol": contents.protocol.to_string(),
            "files": files,
            "refused": refused,
            "passive_authentication": pa.as_ref().map(|r| serde_json::json!({ "valid": pa_valid, "checks": r.checks })),
            "active_authentication": aa_json,
            "chip_authentication": ca.json(),
            "terminal_authentication": super::card_ta::json(ta),
            "valid": valid,
            "verdict": verdict,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("opened with {}", contents.protocol);
        for (ef, d) in &contents.files {
            println!("  {:<12} {:>6} bytes", ef.to_string(), d.len());
        }
        for (ef, sw) in &contents.refused {
            println!(
                "  {:<12} {}",
                ef.to_string(),
                super::card_ta::refusal(*ef, *sw, ta)
            );
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
                if pa_valid == Some(true) {
                    "VALID"
                } else {
                    "NOT VALID"
                }
            );
        }
        match aa {
            AaOutcome::Verified => {
                println!("active authentication: VALID (the chip holds the DG15 key)");
            }
            AaOutcome::Failed(why) => println!("active authentication: FAILED ({why})"),
            other => println!("active authentication: {other}"),
        }
        println!("{}", ca.line());
        println!("{}", super::card_ta::line(ta));
        println!("card: {verdict}");
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::exit::CHECK_FAILED)
    })
}

fn list(profiles: Option<&Path>, json: bool) -> anyhow::Result<ExitCode> {
    let registry = registry(profiles)?;
    #[cfg_attr(
        not(feature = "pcsc"),
        expect(
            unused_mut,
            reason = "PC/SC readers are added only with the pcsc feature"
        )
    )]
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

/// A secret (MRZ, CAN) from a file, or from standard input for `-`; never from argv.
fn read_secret(path: &Path) -> anyhow::Result<SecretString> {
    use std::io::Read as _;
    let mut text = zeroize::Zeroizing::new(String::new());
    if path == Path::new("-") {
        std::io::stdin()
            .take(4096)
            .read_to_string(&mut text)
            .context("reading the secret from standard input")?;
    } else {
        std::fs::File::open(path)
            .and_then(|f| f.take(4096).read_to_string(&mut text))
            .with_context(|| format!("reading {}", path.display()))?;
    }
    Ok(SecretString::new(
        text.trim_end_matches(['\r', '\n']).to_owned(),
    ))
}

/// A secret from an environment variable, when set and not empty.
fn secret_env(name: &str) -> Option<SecretString> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(SecretString::new)
}
