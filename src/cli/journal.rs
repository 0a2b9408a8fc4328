//! `permitkit journal …`: read the enrollment journal.
//!
//! - `journal list`: one line per enrolment, newest first — id, application, document, state,
//!   the step it stands at, operator, last change.
//! - `journal show ID`: every step with its state, attempts, times and its recorded result (the
//!   step's typed result) or error, the event log, and the names of the encrypted captures
//!   still held (never their content).
//!
//! Both take `--journal FILE` (default: the simulated station's `permitkit-journal.sqlite`)
//! and `--json`.

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
    time::{Duration, SystemTime},
};

use anyhow::bail;
use clap::Subcommand;
use permitkit_station::journal::{EnrolmentRecord, Journal, StepState};
use permitkit_station::pipeline::{Step, timestamp};

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
        /// Journal id (from `journal list` or `enroll`).
        id: String,
        /// Journal database.
        #[arg(long, value_name = "FILE", default_value = "permitkit-journal.sqlite")]
        journal: PathBuf,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `permitkit journal …`.
pub fn run(c: JournalCommand) -> anyhow::Result<ExitCode> {
    match c {
        JournalCommand::List { journal, json } => list(&open(&journal)?, json),
        JournalCommand::Show { id, journal, json } => show(&open(&journal)?, &id, json),
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
    if json {
        println!("{}", serde_json::to_string_pretty(&records)?);
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
    println!(
        "{:wid$}  {:wdoc$}  {:11}  {:22}  {:10}  UPDATED (UTC)",
        "ID", "DOCUMENT", "STATE", "AT STEP", "OPERATOR"
    );
    for r in &records {
        println!(
            "{:wid$}  {:wdoc$}  {:11}  {:22}  {:10}  {}",
            r.id,
            r.document_profile,
            state(r),
            at_step(r),
            r.operator,
            time(r.updated_at)
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
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("enrolment    {}", record.id);
    println!("application  {}", record.application);
    println!("document     {}", record.document_profile);
    println!("state        {}", state(&record));
    println!("station      {}", record.station);
    println!("operator     {}", record.operator);
    println!(
        "applicant    {} (SHA-256 {})",
        record.applicant_file, record.applicant_sha256
    );
    println!("chip image   {}", record.out_dir);
    println!("created      {}", time(record.created_at));
    println!("updated      {}", time(record.updated_at));
    println!(
        "captures     {}",
        if record.blobs.is_empty() {
            "none held".to_owned()
        } else {
            format!("{} (encrypted)", record.blobs.join(", "))
        }
    );
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

fn state(r: &EnrolmentRecord) -> String {
    serde_json::to_value(r.state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn step_state(s: StepState) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The last step recorded and how it stands, e.g. `personalize (failed)`.
fn at_step(r: &EnrolmentRecord) -> String {
    Step::ALL
        .iter()
        .rev()
        .find_map(|step| r.steps.iter().find(|s| s.step == *step))
        .map_or_else(
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
