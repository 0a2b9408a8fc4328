//! `permitkit enroll`: one command from an applicant file to an issued, verified card, on the
//! devices a station profile names (every device simulated with the default `simulated`
//! station).
//!
//! Progress goes to the terminal (stderr, progress bars on the long steps) and the summary to
//! stdout; `--json` prints one JSON event per line on stdout instead, ending with a `summary`
//! or an `error` event. Exit 0 when the card is issued, 1 otherwise — with the journal id to
//! resume with.
//!
//! Devices are opened by the station's device factory from the station profile's selectors
//! ([`SelectorFactory`]); the virtual chip's state file and the card fault drill are settings of
//! that factory.
//!
//! Fault drills (hidden options, for tests and operator training): `--drill-crash-after STEP`
//! aborts the process right after STEP is recorded done, as a power cut would;
//! `--drill-card-pull-after N` makes the virtual chip leave the field after N commands.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::ExitCode,
    time::Duration,
};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use permitkit_biometrics::FingerPosition;
use permitkit_devices::{card_reader::ReaderSelector, factory::SelectorFactory};
use permitkit_model::profiles::Registry;
use permitkit_station::pipeline::{
    self, EnrolError, EnrolRequest, Event, Observer, Station, Step, Summary,
};

/// `permitkit enroll` options.
#[derive(Debug, Args)]
pub struct EnrollArgs {
    /// Station profile: a station id (`profiles list`) or a station profile file.
    #[arg(long, default_value = "simulated", value_name = "ID|FILE")]
    station: String,
    /// Applicant file (TOML); not needed with --resume.
    #[arg(long, value_name = "FILE", required_unless_present = "resume")]
    applicant: Option<PathBuf>,
    /// ChipImage output folder (the files written to the chip, and the chip's keys).
    #[arg(long, value_name = "DIR", default_value = "chip-image")]
    out: PathBuf,
    /// PKI folder: ds.pem, ds-key.pem (the Document Signer) and csca.pem (`pki init`).
    #[arg(long, value_name = "DIR", default_value = "pki")]
    pki: PathBuf,
    /// Journal database (default: the station profile's `journal`).
    #[arg(long, value_name = "FILE")]
    journal: Option<PathBuf>,
    /// Extra profiles folder (one sub-folder per kind) overriding the built-ins.
    #[arg(long, value_name = "DIR")]
    profiles: Option<PathBuf>,
    /// State file of the virtual chip (`sim` card reader); default: beside the journal.
    #[arg(long, value_name = "FILE")]
    card_state: Option<PathBuf>,
    /// Operator id recorded in the journal (default: $USER).
    #[arg(long)]
    operator: Option<String>,
    /// A finger the applicant does not have or cannot present (repeatable), e.g. right-index.
    #[arg(long = "missing-finger", value_name = "FINGER")]
    missing_fingers: Vec<FingerPosition>,
    /// LOCK the chip after the verified read-back (irreversible: no more writes).
    #[arg(long)]
    lock: bool,
    /// Continue this enrolment (journal id) where it stopped.
    #[arg(long, value_name = "ID")]
    resume: Option<String>,
    /// One JSON event per line on stdout.
    #[arg(long)]
    json: bool,
    /// Fault drill: abort the process right after this step is recorded done.
    #[arg(long, hide = true, value_name = "STEP")]
    drill_crash_after: Option<Step>,
    /// Fault drill: the virtual chip leaves the field after this many commands.
    #[arg(long, hide = true, value_name = "N")]
    drill_card_pull_after: Option<u64>,
}

/// Runs `permitkit enroll`.
pub fn run(args: EnrollArgs) -> anyhow::Result<ExitCode> {
    let mut registry = Registry::builtin()?;
    if let Some(dir) = &args.profiles {
        registry = registry.with_dir(dir)?;
    }
    let station_id = station_id(&mut registry, &args.station)?;
    let journal = match &args.journal {
        Some(j) => j.clone(),
        None => PathBuf::from(&registry.station(&station_id)?.journal),
    };
    let virtual_chip = matches!(
        registry.station(&station_id)?.card_reader.selector.parse(),
        Ok(ReaderSelector::Sim)
    );
    let card_state = match &args.card_state {
        Some(p) => Some(p.clone()),
        None if virtual_chip => Some(journal.with_extension("virtual-card.json")),
        None => None,
    };
    check_pki(&args.pki)?;
    let factory = SelectorFactory::new(registry.clone())
        .with_card_state(card_state)
        .with_card_pull_after(args.drill_card_pull_after);
    let mut station = Station::open(
        registry,
        &station_id,
        &args.pki,
        Some(&journal),
        Box::new(factory),
    )?;
    let request = EnrolRequest {
        applicant: args.applicant.clone().unwrap_or_default(),
        out: args.out.clone(),
        operator: operator(args.operator.as_deref()),
        missing_fingers: args.missing_fingers.clone(),
        lock: args.lock,
        resume: args.resume.clone(),
    };
    let mut console = Console::new(args.json, args.drill_crash_after);
    Ok(enroll_on(&mut station, &request, &mut console))
}

/// Runs one enrolment with terminal (or JSON) output; the exit code says whether the card
/// was issued.
pub fn enroll_on(station: &mut Station, request: &EnrolRequest, console: &mut Console) -> ExitCode {
    match pipeline::enroll(station, request, console) {
        Ok(summary) => {
            console.summary(&summary, station.journal.path());
            ExitCode::SUCCESS
        }
        Err(e) => {
            console.error(&error_message(&e));
            ExitCode::from(super::exit::ERROR)
        }
    }
}

/// The step, every cause, and how to resume once the cause is fixed.
fn error_message(e: &EnrolError) -> String {
    match &e.id {
        Some(id) => format!(
            "{} (journal id {id}; fix the cause and run `permitkit enroll --resume {id}`)",
            e.report()
        ),
        None => e.report(),
    }
}

/// A station id: `arg` itself, or the id of the station file `arg` names.
fn station_id(registry: &mut Registry, arg: &str) -> anyhow::Result<String> {
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

fn check_pki(dir: &Path) -> anyhow::Result<()> {
    for file in ["ds.pem", "ds-key.pem", "csca.pem"] {
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
        println!(
            "Card issued: application {} (journal id {})",
            s.application, s.id
        );
        for t in &s.steps {
            let step = t.step.name();
            match t.millis {
                Some(millis) => println!("  {step:<12} {millis:>6} ms  {}", t.summary),
                None => println!("  {step:<12} {:>9}  {}", "earlier", t.summary),
            }
        }
        println!("  {:<12} {:>6} ms", "total", s.total_millis);
        println!("ChipImage: {}", s.out.display());
        println!("Journal:   {}", journal.display());
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
            } => {
                if let Some(bar) = self.bar.take() {
                    bar.finish_and_clear();
                }
                eprintln!("  ✓ {:<12} {millis:>6} ms  {summary}", step.name());
            }
            Event::StepFailed { step, error } => {
                if let Some(bar) = self.bar.take() {
                    bar.abandon();
                }
                eprintln!("  ✗ {:<12} {error}", step.name());
            }
            Event::Guidance { frame, message } => self.message(format!("frame {frame}: {message}")),
            Event::FrameGood {
                frame,
                streak,
                needed,
            } => self.message(format!("frame {frame}: hold still ({streak}/{needed})")),
            Event::PresentFinger { finger } => self.message(format!("present the {finger}")),
            Event::ChipProgress {
                message,
                done,
                total,
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
