//! `permitkit journal …`: read the enrollment journal.
//!
//! - `journal list`: one line per enrolment, newest first — id, document, how it stands
//!   (`issued`, `abandoned`, or stuck: `failed` when its last step failed, `incomplete` when it
//!   stopped between steps), the step it stands at, operator, last change, and what the
//!   operator can do with a stuck one (`resume`, `abandon`).
//! - `journal show ID`: every step with its state, attempts, times and its recorded result (the
//!   step's typed result) or error, the event log, and the names of the encrypted items still
//!   held (never their content).
//! - `journal can ID`: the CAN of the card (printed on it; kept encrypted in the journal so the
//!   card can be opened later), on stdout.
//!
//! All take `--journal FILE` (default: the simulated station's `permitkit-journal.sqlite`);
//! `list` and `show` take `--json`.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    process::ExitCode,
    time::{Duration, SystemTime},
};

use anyhow::bail;
use clap::Subcommand;
use permitkit_station::journal::outbox::OutboxEntry;
use permitkit_station::journal::{EnrolmentRecord, EnrolmentState, Journal, StepRecord, StepState};
use permitkit_station::pipeline::{Step, card_access_number, timestamp};

/// `permitkit journal` subcommands.
#[derive(Debug, Subcommand)]
pub enum JournalCommand {
    /// List enrolments, newest first.
    List {
        /// Journal database.
        #[arg(long, value_name = "FILE", default_value = "permitkit-journal.sqlite")]
        journal: PathBuf,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Show one enrolment: steps, results, events.
    Show {
        /// Journal id (from `journal list` or `enroll`), or `latest` for the newest enrolment.
        id: String,
        /// Journal database.
        #[arg(long, value_name = "FILE", default_value = "permitkit-journal.sqlite")]
        journal: PathBuf,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Print the CAN of an enrolment's card (the number printed on the card).
    Can {
        /// Journal id (from `journal list` or `enroll`), or `latest` for the newest enrolment.
        id: String,
        /// Journal database.
        #[arg(long, value_name = "FILE", default_value = "permitkit-journal.sqlite")]
        journal: PathBuf,
    },
}

/// Runs `permitkit journal …`.
pub fn run(c: JournalCommand) -> anyhow::Result<ExitCode> {
    match c {
        JournalCommand::List { journal, json } => list(&open(&journal)?, json),
        JournalCommand::Show { id, journal, json } => {
            let journal = open(&journal)?;
            let id = resolve_id(&journal, &id)?;
            show(&journal, &id, json)
        }
        JournalCommand::Can { id, journal } => {
            let journal = open(&journal)?;
            let id = resolve_id(&journal, &id)?;
            can(&journal, &id)
        }
    }
}

/// A journal id as given, or the newest enrolment's for `latest`.
pub fn resolve_id(journal: &Journal, id: &str) -> anyhow::Result<String> {
    if id != "latest" {
        return Ok(id.to_owned());
    }
    match journal.list()?.into_iter().next() {
        Some(r) => Ok(r.id),
        None => bail!("the journal holds no enrolment yet"),
    }
}

fn can(journal: &Journal, id: &str) -> anyhow::Result<ExitCode> {
    let record = journal.record(id)?;
    match card_access_number(journal, id)? {
        Some(can) => {
            println!("{}", can.expose());
            Ok(ExitCode::SUCCESS)
        }
        None if record.state == EnrolmentState::Abandoned => {
            bail!("enrolment {id} is abandoned: its keys are deleted")
        }
        None => bail!("enrolment {id} has no CAN yet: its chip-image step is not done"),
    }
}

fn open(path: &Path) -> anyhow::Result<Journal> {
    if !path.is_file() {
        bail!("no journal at {} (give --journal FILE)", path.display());
    }
    Ok(Journal::open(path)?)
}

fn list(journal: &Journal, json: bool) -> anyhow::Result<ExitCode> {
    let mut records = Vec::new();
    for r in journal.list()? {
        records.push(journal.record(&r.id)?);
    }
    // Enrolments handed to the central bureau: their status is the outbox's.
    let outbox: HashMap<String, OutboxEntry> = journal
        .outbox()?
        .into_iter()
        .map(|e| (e.enrolment.clone(), e))
        .collect();
    let shown = |r: &EnrolmentRecord| {
        outbox
            .get(&r.id)
            .map_or_else(|| status(r), OutboxEntry::status)
    };
    if json {
        let mut values = Vec::new();
        for r in &records {
            let mut v = serde_json::to_value(r)?;
            if let Some(o) = v.as_object_mut() {
                o.insert("status".into(), shown(r).into());
                o.insert("actions".into(), actions(r).into());
                if let Some(e) = outbox.get(&r.id) {
                    o.insert("bureau".into(), serde_json::to_value(e)?);
                }
            }
            values.push(v);
        }
        println!("{}", serde_json::to_string_pretty(&values)?);
        return Ok(ExitCode::SUCCESS);
    }
    if records.is_empty() {
        println!("no enrolments in {}", journal.path().display());
        return Ok(ExitCode::SUCCESS);
    }
    let wid = records.iter().map(|r| r.id.len()).max().unwrap_or(2).max(2);
    let wdoc = records
        .iter()
        .map(|r| r.document_profile.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let wstate = records
        .iter()
        .map(|r| shown(r).len())
        .max()
        .unwrap_or(5)
        .max(5);
    println!(
        "{:wid$}  {:wdoc$}  {:wstate$}  {:22}  {:10}  {:19}  ACTIONS",
        "ID", "DOCUMENT", "STATE", "AT STEP", "OPERATOR", "UPDATED (UTC)"
    );
    for r in &records {
        let actions = actions(r);
        println!(
            "{:wid$}  {:wdoc$}  {:wstate$}  {:22}  {:10}  {:19}  {}",
            r.id,
            r.document_profile,
            shown(r),
            at_step(r),
            r.operator,
            time(r.updated_at),
            if actions.is_empty() {
                "-".to_owned()
            } else {
                actions.join(", ")
            }
        );
    }
    for e in outbox.values() {
        if let Some(reason) = &e.refusal {
            println!(
                "refused by the bureau: {} ({}): {reason}",
                e.application, e.enrolment
            );
        }
    }
    let queued = outbox.values().filter(|e| e.holds_package).count();
    if queued > 0 {
        println!("{queued} package(s) queued for the bureau: `permitkit station sync` sends them");
    }
    let stuck = records.iter().filter(|r| !actions(r).is_empty()).count();
    if stuck > 0 {
        println!();
        println!(
            "{stuck} stuck: `permitkit enroll --resume ID` continues one where it stopped; \
             `permitkit enroll --abandon ID --reason TEXT` gives it up (its captures and keys \
             are deleted)."
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn show(journal: &Journal, id: &str, json: bool) -> anyhow::Result<ExitCode> {
    let record = journal.record(id)?;
    let events = journal.events(id)?;
    if json {
        let events: Vec<_> = events
            .iter()
            .map(|(at, kind, message)| serde_json::json!({ "at": at, "kind": kind, "message": message }))
            .collect();
        let mut v = serde_json::to_value(&record)?;
        if let Some(o) = v.as_object_mut() {
            o.insert("events".into(), events.into());
            if let Some(e) = journal.outbox_entry(id)? {
                o.insert("bureau".into(), serde_json::to_value(e)?);
            }
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("enrolment    {}", record.id);
    println!("application  {}", record.application);
    println!("document     {}", record.document_profile);
    let bureau = journal.outbox_entry(id)?;
    println!(
        "state        {}",
        bureau
            .as_ref()
            .map_or_else(|| status(&record), OutboxEntry::status)
    );
    if let Some(e) = &bureau {
        println!(
            "bureau       {} ({} attempt(s){})",
            e.bureau,
            e.attempts,
            if e.holds_package {
                ", sealed package held"
            } else {
                ""
            }
        );
        if let Some(b) = &e.bureau_status {
            println!(
                "             at the bureau: {}, {} card(s) spoilt{}",
                b.state,
                b.spoilt_cards,
                b.card
                    .as_deref()
                    .map(|c| format!(", card {c}"))
                    .unwrap_or_default()
            );
        }
        if let Some(error) = &e.last_error {
            println!("             last try: {error}");
        }
        if let Some(reason) = &e.refusal {
            println!("             refused: {reason}");
        }
    }
    println!("station      {}", record.station);
    println!("operator     {}", record.operator);
    println!(
        "applicant    {} (SHA-256 {})",
        record.applicant_file, record.applicant_sha256
    );
    println!("folder       {}", record.out_dir);
    println!("created      {}", time(record.created_at));
    println!("updated      {}", time(record.updated_at));
    println!(
        "encrypted    {}",
        if record.blobs.is_empty() {
            "nothing held".to_owned()
        } else {
            record.blobs.join(", ")
        }
    );
    if !actions(&record).is_empty() {
        println!(
            "actions      resume (`permitkit enroll --resume {id}`) or abandon (`permitkit \
             enroll --abandon {id} --reason TEXT`)"
        );
    }
    println!();
    for step in Step::ALL {
        let name = step.name();
        match record.steps.iter().find(|s| s.step == step) {
            None => println!("{name:<12} not started"),
            Some(s) => {
                let finished = s.finished_at.map(time).unwrap_or_default();
                println!(
                    "{name:<12} {:<8} attempts {}  started {}  {finished}",
                    step_state(s.state),
                    s.attempts,
                    time(s.started_at)
                );
                if let Some(result) = &s.result {
                    let text = serde_json::to_string_pretty(result)?;
                    for line in text.lines() {
                        println!("             {line}");
                    }
                }
                if let Some(error) = &s.error {
                    println!("             error: {error}");
                }
            }
        }
    }
    println!();
    println!("events:");
    for (at, kind, message) in events {
        println!("  {}  {kind:<10} {message}", time(at));
    }
    Ok(ExitCode::SUCCESS)
}

/// How the enrolment stands: `issued`, `abandoned`, `personalized-not-issued`, or — stuck —
/// `failed` (its last step failed) or `incomplete` (it stopped between steps, or its step is
/// still running).
fn status(r: &EnrolmentRecord) -> &'static str {
    match r.state {
        EnrolmentState::Issued => "issued",
        EnrolmentState::Abandoned => "abandoned",
        EnrolmentState::Personalized => "personalized-not-issued",
        EnrolmentState::ForBureau => "for-bureau",
        EnrolmentState::InProgress
            if last_step(r).is_some_and(|s| s.state == StepState::Failed) =>
        {
            "failed"
        }
        EnrolmentState::InProgress => "incomplete",
    }
}

/// What the operator can do with the enrolment.
fn actions(r: &EnrolmentRecord) -> Vec<&'static str> {
    match r.state {
        EnrolmentState::InProgress => vec!["resume", "abandon"],
        _ => Vec::new(),
    }
}

/// The furthest step recorded.
fn last_step(r: &EnrolmentRecord) -> Option<&StepRecord> {
    Step::ALL
        .iter()
        .rev()
        .find_map(|step| r.steps.iter().find(|s| s.step == *step))
}

fn step_state(s: StepState) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The last step recorded and how it stands, e.g. `personalize (failed)`.
fn at_step(r: &EnrolmentRecord) -> String {
    last_step(r).map_or_else(
        || "-".to_owned(),
        |s| format!("{} ({})", s.step, step_state(s.state)),
    )
}

/// Seconds since the epoch as `YYYY-MM-DD hh:mm:ss` (UTC).
fn time(secs: i64) -> String {
    let t = SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).unwrap_or(0));
    let s = timestamp(t);
    match (
        s.get(0..4),
        s.get(4..6),
        s.get(6..8),
        s.get(8..10),
        s.get(10..12),
        s.get(12..14),
    ) {
        (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(se)) => {
            format!("{y}-{mo}-{d} {h}:{mi}:{se}")
        }
        _ => s,
    }
}
