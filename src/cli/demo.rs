//! `permitkit demo`: the whole enrollment on the simulated station, with nothing to prepare.
//!
//! Into one folder (default `./permitkit-demo`) it writes a TEST ONLY PKI, a fictitious
//! applicant (embedded in the binary, so the command runs from any directory), the journal and
//! the virtual chip's state, then runs `enroll` on the built-in `simulated` station (its
//! folder in `enrolments/<journal id>/`), locking the fresh virtual card so that it is issued.
//! Afterwards it prints the commands that inspect the result independently (`card read` with the
//! CAN from `journal can`, `journal show`). A folder from an earlier demo is reused (its journal
//! keeps every run); a non-empty folder that is not a demo folder is refused.

use std::{path::PathBuf, process::ExitCode};

use anyhow::{Context, bail};
use clap::Args;
use permitkit_devices::factory::SelectorFactory;
use permitkit_model::profiles::Registry;
use permitkit_pki::test_pki::{TestPki, TestPkiOptions};
use permitkit_station::pipeline::{EnrolRequest, Station};

use super::enroll::{Console, enroll_on};

/// The demo applicant: a fictitious foreign national applying for a temporary residence
/// permit (the same person as `testdata/applicants/temporary-foreign-national.toml`).
const APPLICANT: &str = include_str!("../../testdata/applicants/temporary-foreign-national.toml");

/// Marks a folder as written by `permitkit demo`.
const MARKER: &str = ".permitkit-demo";

/// `permitkit demo` options.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder for everything the demo writes.
    #[arg(long, value_name = "DIR", default_value = "permitkit-demo")]
    dir: PathBuf,
    /// One JSON event per line on stdout.
    #[arg(long)]
    json: bool,
}

/// Runs `permitkit demo`.
pub fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let dir = args.dir;
    let fresh = !dir.exists()
        || std::fs::read_dir(&dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .next()
            .is_none();
    if !fresh && !dir.join(MARKER).is_file() {
        bail!(
            "{} is not empty and was not made by `permitkit demo`; choose another --dir",
            dir.display()
        );
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(dir.join(MARKER), "written by `permitkit demo`\n")
        .with_context(|| format!("writing {}", dir.join(MARKER).display()))?;
    let pki = dir.join("pki");
    if !pki.join("ds.pem").is_file() {
        TestPki::generate(&TestPkiOptions::default())?
            .write_dir(&pki)
            .with_context(|| format!("writing {}", pki.display()))?;
    }
    let applicant = dir.join("applicant.toml");
    std::fs::write(&applicant, demo_applicant())
        .with_context(|| format!("writing {}", applicant.display()))?;
    let journal = dir.join("journal.sqlite");
    let card = dir.join("virtual-card.json");
    let out = dir.join("enrolments");
    // Each run issues a new card: start from a blank virtual chip.
    if card.exists() {
        std::fs::remove_file(&card).with_context(|| format!("removing {}", card.display()))?;
    }
    let registry = Registry::builtin()?;
    let factory = SelectorFactory::new(registry.clone()).with_card_state(Some(card));
    let mut station = Station::open(
        registry,
        "simulated",
        &pki,
        Some(&journal),
        Box::new(factory),
    )?;
    let request = EnrolRequest {
        applicant,
        out: out.clone(),
        operator: "demo".into(),
        missing_fingers: Vec::new(),
        // A fresh virtual card each run: locked, so the card is issued.
        lock: true,
        resume: None,
    };
    let mut console = Console::new(args.json, None);
    let Some(summary) = enroll_on(&mut station, &request, &mut console) else {
        return Ok(ExitCode::from(super::exit::ERROR));
    };
    if !args.json {
        let d = dir.display();
        let id = &summary.id;
        println!();
        println!(
            "Check the card independently (the CAN printed on the card is kept in the journal):"
        );
        println!(
            "  permitkit journal can {id} --journal {d}/journal.sqlite | permitkit card read --reader sim --state {d}/virtual-card.json --can-file - --csca {d}/pki/csca.pem --terminal {d}/pki/eac"
        );
        println!("  permitkit journal show {id} --journal {d}/journal.sqlite");
        println!("  permitkit journal list --journal {d}/journal.sqlite");
    }
    Ok(ExitCode::SUCCESS)
}

/// The demo applicant: its file leaves the dates to the station (issued today for the
/// profile's default term), and it is declared a replacement under its own number, since every
/// run issues the same demo document again in the same journal.
fn demo_applicant() -> String {
    APPLICANT.replace(
        "number = \"FT4211207\"",
        "number = \"FT4211207\"\nreplaces = \"FT4211207\"",
    )
}
