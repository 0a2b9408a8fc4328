//! `permitkit enroll`: one command from an applicant file to an issued, verified card, on the
//! devices a station profile names (every device simulated with the default `simulated`
//! station).
//!
//! Progress goes to the terminal (stderr, progress bars on the long steps) and the summary to
//! stdout; `--json` prints one JSON event per line on stdout instead, ending with a `summary`
//! or an `error` event. Exit 0 when the card is issued, 1 otherwise — with the journal id to
//! resume with when the cause can be fixed. `--resume` of an issued or abandoned enrolment says
//! so and does nothing (exit 1).
//!
//! Each enrolment writes into its own folder `<--out>/<journal id>/`, never into another
//! enrolment's; it holds no biometrics and no keys (the ChipImage and the chip keys wait in the
//! journal, encrypted, until the card is verified).
//!
//! `--abandon ID --reason TEXT` gives up a stuck enrolment: its encrypted captures, ChipImage
//! and chip keys are deleted, the operator and the reason are journaled, and it can no longer
//! be resumed.
//!
//! Devices are opened by the station's device factory from the station profile's selectors
//! ([`SelectorFactory`]); the virtual chip's card feeder (or one state file), the card drills
//! and the card fault drill are settings of that factory.
//!
//! The card is LOCKED after its verified read-back: only a locked card is issued.
//! `--no-lock` (development chips) leaves it unlocked; the enrolment then ends "personalized,
//! not issued". On the simulated station every new enrolment takes a fresh blank virtual card
//! from the card feeder (`virtual-cards/` beside the journal, one state file per chip serial)
//! and `--resume` presents the same card again.
//!
//! Fault drills (hidden options, for tests and operator training): `--drill-crash-after STEP`
//! aborts the process right after STEP is recorded done, as a power cut would;
//! `--drill-card-pull-after N` makes the virtual chip leave the field after N commands;
//! `--drill-card blank-replacement|foreign|issued` has the feeder present a blank replacement
//! card, a card half-written by another personalization, or an issued card.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::ExitCode,
    time::Duration,
};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use permitkit_biometrics::FingerPosition;
use permitkit_devices::card_feeder::{CardDrill, CardFeeder, Present};
use permitkit_devices::{card_reader::ReaderSelector, factory::SelectorFactory};
use permitkit_model::profiles::Registry;
use permitkit_station::journal::{EnrolmentState, Journal, JournalError};
use permitkit_station::pipeline::{
    self, EnrolError, EnrolRequest, Event, Observer, Station, Step, Summary,
};

/// `permitkit enroll` options.
#[derive(Debug, Args)]
pub struct EnrollArgs {
    /// Station profile: a station id (`profiles list`) or a station profile file.
    #[arg(long, default_value = "simulated", value_name = "ID|FILE")]
    station: String,
    /// Applicant file (TOML); not needed with --resume or --abandon.
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present_any = ["resume", "abandon"]
    )]
    applicant: Option<PathBuf>,
    /// Output folder: each enrolment gets its own folder in it, named by its journal id, with
    /// the card's files that hold no biometrics and manifest.json (never the chip's keys).
    #[arg(long, value_name = "DIR", default_value = "enrolments")]
    out: PathBuf,
    /// PKI folder: ds.pem, ds-key.pem (the Document Signer) and csca.pem (`pki init`); not
    /// read when the application goes to the bureau (--submit-to, or a `[bureau]` section).
    #[arg(long, value_name = "DIR", default_value = "pki")]
    pki: PathBuf,
    /// Sign EF.SOD with a Document Signer key on a PKCS #11 token (instead of the station
    /// profile's `[document_signer]` or the `--pki` files), under its signing policy, every
    /// signature audited; `--pki` then needs only csca.pem.
    #[cfg(feature = "pkcs11")]
    #[command(flatten)]
    token: super::pki_token::TokenSignerArgs,
    /// Trust store for passive authentication of the cards issued, instead of the PKI folder's
    /// csca.pem: a folder or file of CSCA certificates, master lists, CRLs (repeatable).
    #[arg(long, value_name = "PATH")]
    trust: Vec<PathBuf>,
    /// Journal database (default: the station profile's `journal`).
    #[arg(long, value_name = "FILE")]
    journal: Option<PathBuf>,
    /// Extra profiles folder (one sub-folder per kind) overriding the built-ins.
    #[arg(long, value_name = "DIR")]
    profiles: Option<PathBuf>,
    /// One virtual chip (`sim` card reader) kept in this state file for every enrolment,
    /// instead of the card feeder.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["card_feeder", "drill_card"])]
    card_state: Option<PathBuf>,
    /// The simulated station's card feeder folder: a fresh blank virtual card for every new
    /// enrolment, the same card again with --resume (default: `virtual-cards` beside the
    /// journal).
    #[arg(long, value_name = "DIR")]
    card_feeder: Option<PathBuf>,
    /// Operator id recorded in the journal (default: $USER).
    #[arg(long)]
    operator: Option<String>,
    /// A finger the applicant does not have or cannot present (repeatable), e.g. right-index.
    #[arg(long = "missing-finger", value_name = "FINGER")]
    missing_fingers: Vec<FingerPosition>,
    /// Leave the chip unlocked after the verified read-back (development chips only): the card
    /// is then personalized, NOT issued. Without it the chip is LOCKED (irreversible).
    #[arg(long)]
    no_lock: bool,
    /// LOCK the chip after the verified read-back: the default, accepted for old scripts.
    #[arg(long, hide = true, conflicts_with = "no_lock")]
    lock: bool,
    /// Continue this enrolment (journal id, or `latest`) where it stopped.
    #[arg(long, value_name = "ID")]
    resume: Option<String>,
    /// Give up this stuck enrolment (journal id): its captures and keys are deleted and it can
    /// no longer be resumed. Needs --reason.
    #[arg(
        long,
        value_name = "ID",
        requires = "reason",
        conflicts_with_all = ["applicant", "resume"]
    )]
    abandon: Option<String>,
    /// Why the enrolment is abandoned (recorded in the journal with the operator).
    #[arg(long, value_name = "TEXT", requires = "abandon")]
    reason: Option<String>,
    /// Hand the application to the central bureau at URL (http://host:port) instead of
    /// personalizing a card here: the captures are sealed to the bureau and queued in the
    /// journal's outbox (`permitkit station sync` delivers what could not be sent at once).
    /// Default: the station profile's `[bureau] url`.
    #[arg(long, value_name = "URL")]
    submit_to: Option<String>,
    /// The station's P-256 key registered with the bureau (default: the profile's `[bureau]
    /// key`).
    #[arg(long, value_name = "FILE")]
    station_key: Option<PathBuf>,
    /// The bureau's key-agreement certificate packages are sealed to (default: the profile's
    /// `[bureau] certificate`).
    #[arg(long, value_name = "FILE")]
    bureau_certificate: Option<PathBuf>,
    /// One JSON event per line on stdout.
    #[arg(long)]
    json: bool,
    /// Fault drill: abort the process right after this step is recorded done.
    #[arg(long, hide = true, value_name = "STEP")]
    drill_crash_after: Option<Step>,
    /// Fault drill: the virtual chip leaves the field after this many commands.
    #[arg(long, hide = true, value_name = "N")]
    drill_card_pull_after: Option<u64>,
    /// Fault drill: the card the simulated station's feeder presents: blank-replacement,
    /// foreign (half-written by another personalization) or issued.
    #[arg(long, hide = true, value_name = "CARD")]
    drill_card: Option<CardDrill>,
}

/// Runs `permitkit enroll`.
pub fn run(mut args: EnrollArgs) -> anyhow::Result<ExitCode> {
    let mut registry = Registry::builtin()?;
    if let Some(dir) = &args.profiles {
        registry = registry.with_dir(dir)?;
    }
    let station_id = station_id(&mut registry, &args.station)?;
    let journal = match &args.journal {
        Some(j) => j.clone(),
        None => PathBuf::from(&registry.station(&station_id)?.journal),
    };
    // `latest` names the newest enrolment of the journal.
    for id in [&mut args.resume, &mut args.abandon].into_iter().flatten() {
        if id == "latest" {
            if !journal.is_file() {
                anyhow::bail!("no journal at {}: nothing to resume", journal.display());
            }
            let j = Journal::open(&journal)?;
            *id = super::journal::resolve_id(&j, id)?;
        }
    }
    if let Some(id) = &args.abandon {
        let reason = args.reason.as_deref().unwrap_or_default();
        return abandon(&journal, id, &operator(args.operator.as_deref()), reason);
    }
    let virtual_chip = matches!(
        registry.station(&station_id)?.card_reader.selector.parse(),
        Ok(ReaderSelector::Sim)
    );
    let profile = registry.station(&station_id)?.clone();
    let bureau = super::outbox::target(
        &profile,
        args.submit_to.as_deref(),
        args.station_key.as_deref(),
        args.bureau_certificate.as_deref(),
    )?;
    // An enrolment for the bureau signs nothing here: no Document Signer, no CSCA needed.
    #[cfg(feature = "pkcs11")]
    let token_signer = match &bureau {
        Some(_) => None,
        None => args
            .token
            .open(
                &profile.station_id,
                journal.parent().unwrap_or_else(|| Path::new("")),
            )?
            .map(permitkit_station::signer::StationSigner::Guarded),
    };
    #[cfg(not(feature = "pkcs11"))]
    let token_signer = None;
    let ds_files = token_signer.is_none() && profile.document_signer.is_none();
    if bureau.is_none() {
        check_pki(&args.pki, ds_files)?;
    }
    let factory =
        SelectorFactory::new(registry.clone()).with_card_pull_after(args.drill_card_pull_after);
    let factory = match (&args.card_state, virtual_chip) {
        (Some(path), _) => factory.with_card_state(Some(path.clone())),
        (None, true) => {
            let dir = args.card_feeder.clone().unwrap_or_else(|| {
                journal
                    .parent()
                    .unwrap_or_else(|| Path::new(""))
                    .join("virtual-cards")
            });
            let first = match (args.drill_card, &args.resume) {
                (Some(drill), _) => Present::Drill(drill),
                (None, Some(_)) => Present::Same,
                (None, None) => Present::Blank,
            };
            factory.with_card_feeder(CardFeeder::open(&dir)?, first)
        }
        (None, false) if args.drill_card.is_some() => anyhow::bail!(
            "--drill-card works on the simulated station's card feeder; with a PC/SC reader \
             present the card on the reader (for the virtual chip served through vpcd: \
             `permitkit sim present --feeder DIR CARD`)"
        ),
        (None, false) => factory,
    };
    let mut station = match &bureau {
        Some(_) => Station::open_for_bureau(
            registry,
            &station_id,
            &args.pki,
            Some(&journal),
            Box::new(factory),
        )?,
        None => Station::open_signed(
            registry,
            &station_id,
            &args.pki,
            Some(&journal),
            Box::new(factory),
            token_signer,
        )?,
    };
    if let Some(store) = super::pki_trust::load(&args.trust, &[])? {
        station.trust = store;
    }
    let request = EnrolRequest {
        applicant: args.applicant.clone().unwrap_or_default(),
        out: args.out.clone(),
        operator: operator(args.operator.as_deref()),
        missing_fingers: args.missing_fingers.iter().map(|&f| f.into()).collect(),
        lock: args.lock || !args.no_lock,
        resume: args.resume.clone(),
    };
    let mut console = Console::new(args.json, args.drill_crash_after);
    if let Some(bureau) = &bureau {
        return super::outbox::enroll(&mut station, &request, &mut console, bureau, args.json);
    }
    Ok(match enroll_on(&mut station, &request, &mut console) {
        Some(_) => ExitCode::SUCCESS,
        None => ExitCode::from(super::exit::ERROR),
    })
}

/// Runs one enrolment with terminal (or JSON) output; the summary of the issued card, or
/// `None` when the enrolment stopped (the error is shown).
pub fn enroll_on(
    station: &mut Station,
    request: &EnrolRequest,
    console: &mut Console,
) -> Option<Summary> {
    match pipeline::enroll(station, request, console) {
        Ok(summary) => {
            console.summary(&summary, station.journal.path());
            Some(summary)
        }
        Err(e) => {
            console.error(&error_message(&e));
            None
        }
    }
}

/// The step, every cause, and how to resume once the cause is fixed; for an enrolment that is
/// issued or abandoned, only that.
fn error_message(e: &EnrolError) -> String {
    match &e.id {
        Some(id) if e.resumable() => format!(
            "{} (journal id {id}; fix the cause and run `permitkit enroll --resume {id}`)",
            e.report()
        ),
        Some(id) if e.source.is_finished() => format!("enrolment {id} is {}", e.source),
        _ => e.report(),
    }
}

/// `enroll --abandon ID --reason TEXT`.
fn abandon(journal: &Path, id: &str, operator: &str, reason: &str) -> anyhow::Result<ExitCode> {
    let reason = reason.trim();
    if reason.is_empty() {
        anyhow::bail!("--reason is empty: say why enrolment {id} is abandoned");
    }
    if !journal.is_file() {
        anyhow::bail!("no journal at {} (give --journal FILE)", journal.display());
    }
    let mut journal = Journal::open(journal)?;
    match journal.abandon(id, operator, reason) {
        Ok(deleted) => {
            println!("Enrolment {id} abandoned by {operator}: {reason}");
            println!(
                "  {deleted} encrypted item(s) deleted (captures, ChipImage, chip keys); it can no \
                 longer be resumed"
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(JournalError::Finished {
            state: EnrolmentState::Issued,
            ..
        }) => {
            anyhow::bail!("enrolment {id} is issued: its card was verified, it cannot be abandoned")
        }
        Err(JournalError::Finished {
            state: EnrolmentState::Abandoned,
            ..
        }) => anyhow::bail!("enrolment {id} is already abandoned"),
        Err(e) => Err(e.into()),
    }
}

/// A station id: `arg` itself, or the id of the station file `arg` names.
pub(super) fn station_id(registry: &mut Registry, arg: &str) -> anyhow::Result<String> {
    let path = Path::new(arg);
    if arg.ends_with(".toml") || path.is_file() {
        return registry.add_station_file(path).map_err(|problems| {
            let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
            anyhow::anyhow!("station profile is not valid:\n  {}", lines.join("\n  "))
        });
    }
    registry.station(arg)?;
    Ok(arg.to_owned())
}

/// The `--pki` folder must hold the trusted csca.pem, and the Document Signer files when the
/// station signs with them (`ds_files`).
pub(super) fn check_pki(dir: &Path, ds_files: bool) -> anyhow::Result<()> {
    let needed: &[&str] = if ds_files {
        &["ds.pem", "ds-key.pem", "csca.pem"]
    } else {
        &["csca.pem"]
    };
    for file in needed.iter().copied() {
        if !dir.join(file).is_file() {
            anyhow::bail!(
                "{} has no {file}: point --pki at the Document Signer's folder, or create a TEST \
                 ONLY one with `permitkit pki init --out {}`",
                dir.display(),
                dir.display()
            );
        }
    }
    Ok(())
}

fn operator(given: Option<&str>) -> String {
    given
        .map(str::to_owned)
        .or_else(|| std::env::var("USER").ok())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "operator".into())
}

/// Shows events: progress bars and lines on the terminal, or JSON lines.
pub struct Console {
    json: bool,
    crash_after: Option<Step>,
    bar: Option<ProgressBar>,
    last_message: String,
}

impl Console {
    /// A console; `json` for JSON lines; `crash_after` arms the crash drill.
    pub fn new(json: bool, crash_after: Option<Step>) -> Self {
        Self {
            json,
            crash_after,
            bar: None,
            last_message: String::new(),
        }
    }

    fn line(&self, value: &serde_json::Value) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{value}");
        let _ = out.flush();
    }

    fn spinner(step: &str) -> ProgressBar {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix:<12} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_prefix(step.to_owned());
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    }

    /// Shows `m` on the step's spinner; without a terminal (the spinner is hidden), each new
    /// message becomes one line on stderr instead.
    fn message(&mut self, m: String) {
        // Frame numbers aside, is this new?
        let gist = match m.split_once(": ") {
            Some((frame, rest)) if frame.starts_with("frame ") => rest.to_owned(),
            _ => m.clone(),
        };
        if let Some(bar) = &self.bar {
            if bar.is_hidden() && self.last_message != gist {
                eprintln!("    {m}");
            }
            bar.set_message(m);
        }
        self.last_message = gist;
    }

    /// Prints the summary of an issued card.
    pub fn summary(&self, s: &Summary, journal: &Path) {
        if self.json {
            let mut v = serde_json::to_value(s).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("event".into(), "summary".into());
                o.insert("journal".into(), journal.display().to_string().into());
            }
            self.line(&v);
            return;
        }
        println!();
        if s.issued {
            println!(
                "Card issued: application {} (journal id {})",
                s.application, s.id
            );
        } else {
            println!(
                "Card personalized, NOT issued (not locked: --no-lock): application {} (journal \
                 id {})",
                s.application, s.id
            );
        }
        for t in &s.steps {
            let step = t.step.name();
            match t.millis {
                Some(millis) => println!("  {step:<12} {millis:>6} ms  {}", t.summary),
                None => println!("  {step:<12} {:>9}  {}", "earlier", t.summary),
            }
        }
        println!("  {:<12} {:>6} ms", "total", s.total_millis);
        println!("Folder:    {} (no biometrics, no keys)", s.out.display());
        println!("Journal:   {}", journal.display());
        println!(
            "CAN:       permitkit journal can {} --journal {} (to print on the card)",
            s.id,
            journal.display()
        );
    }

    /// Reports a failure.
    pub fn error(&self, message: &str) {
        if let Some(bar) = &self.bar {
            bar.abandon();
        }
        if self.json {
            self.line(&serde_json::json!({ "event": "error", "message": message }));
        } else {
            eprintln!("error: {message}");
        }
    }
}

impl Observer for Console {
    fn event(&mut self, event: &Event) {
        if self.json {
            self.line(&serde_json::to_value(event).unwrap_or_default());
        } else {
            self.show(event);
        }
        if let (Event::StepDone { step, .. }, Some(crash)) = (event, self.crash_after)
            && *step == crash
        {
            eprintln!("drill: crashing after step {step}");
            std::process::abort();
        }
    }
}

impl Console {
    fn show(&mut self, event: &Event) {
        match event {
            Event::Begin {
                id,
                application,
                resumed,
            } => {
                let verb = if *resumed { "Resuming" } else { "Enrolling" };
                eprintln!("{verb} application {application} (journal id {id})");
            }
            Event::StepStarted { step } => self.bar = Some(Self::spinner(step.name())),
            Event::StepSkipped { step, reason } => {
                eprintln!("  - {:<12} {reason}", step.name());
            }
            Event::StepDone {
                step,
                millis,
                summary,
                ..
            } => {
                if let Some(bar) = self.bar.take() {
                    bar.finish_and_clear();
                }
                eprintln!("  ✓ {:<12} {millis:>6} ms  {summary}", step.name());
            }
            Event::StepFailed { step, error, .. } => {
                if let Some(bar) = self.bar.take() {
                    bar.abandon();
                }
                eprintln!("  ✗ {:<12} {error}", step.name());
            }
            Event::Guidance { frame, message, .. } => {
                self.message(format!("frame {frame}: {message}"))
            }
            Event::FrameGood {
                frame,
                streak,
                needed,
            } => self.message(format!("frame {frame}: hold still ({streak}/{needed})")),
            Event::PresentFinger { finger } => self.message(format!("present the {finger}")),
            Event::FingerAttempt {
                finger,
                attempt,
                quality,
                passed,
                problem,
                ..
            } => {
                let verdict = match (quality, passed) {
                    (Some(q), true) => format!("quality {q}"),
                    (Some(q), false) => format!("quality {q}, below the threshold"),
                    (None, _) => "not captured".to_owned(),
                };
                let why = problem
                    .as_ref()
                    .map_or_else(String::new, |p| format!(" ({p})"));
                self.message(format!("{finger} attempt {attempt}: {verdict}{why}"));
            }
            Event::FingerAccepted {
                wanted,
                finger,
                quality,
                attempts,
                ..
            } => {
                let instead = if finger == wanted {
                    String::new()
                } else {
                    format!(" instead of the {wanted}")
                };
                self.message(format!(
                    "{finger} accepted{instead}: quality {quality} in {attempts} attempt(s)"
                ));
            }
            Event::FingerSkipped { finger, reason, .. } => {
                self.message(format!("{finger} skipped: {reason}"));
            }
            Event::ChipProgress {
                message,
                done,
                total,
                ..
            } => {
                if let Some(bar) = &self.bar {
                    if bar.length() != Some(*total) {
                        bar.set_style(
                            ProgressStyle::with_template(
                                "{spinner} {prefix:<12} [{bar:30}] {bytes}/{total_bytes} {wide_msg}",
                            )
                            .unwrap_or_else(|_| ProgressStyle::default_bar()),
                        );
                        bar.set_length(*total);
                    }
                    bar.set_position(*done);
                    bar.set_message(message.clone());
                }
            }
            _ => {}
        }
    }
}
