//! `permitkit profiles …`: the profiles the toolkit knows, and a checker for profile folders.
//!
//! - `profiles list [--profiles DIR]`: every built-in profile (and DIR's), one line each —
//!   kind, id, name, origin — with the fields a profile marks as UNVERIFIED beneath it.
//! - `profiles check [DIR]`: loads the built-ins plus DIR and reports every problem as
//!   `file: field: reason`, including references between profiles (a station naming a document
//!   profile that does not exist). Exit 0 when clean, 2 when there are problems, 1 when DIR
//!   cannot be read.

use std::{path::PathBuf, process::ExitCode};

use clap::Subcommand;
use permitkit_model::profiles::{
    ProfileError, Registry,
    builtin::{Origin, ProfileEntry},
};

/// `permitkit profiles` subcommands.
#[derive(Debug, Subcommand)]
pub enum ProfilesCommand {
    /// List every profile: kind, id, name, origin, and the fields marked UNVERIFIED.
    List {
        /// Extra profiles folder (its files add to or override the built-ins).
        #[arg(long, value_name = "DIR")]
        profiles: Option<PathBuf>,
    },
    /// Check the built-in profiles plus DIR; print every problem as `file: field: reason`.
    Check {
        /// Profiles folder with one sub-folder per kind (documents/, stations/, …).
        dir: Option<PathBuf>,
    },
}

/// Runs `permitkit profiles …`.
pub fn run(c: ProfilesCommand) -> anyhow::Result<ExitCode> {
    match c {
        ProfilesCommand::List { profiles } => list(profiles),
        ProfilesCommand::Check { dir } => check(dir),
    }
}

fn load(dir: Option<&PathBuf>) -> anyhow::Result<(Registry, Vec<ProfileError>)> {
    let mut registry = Registry::builtin()?;
    let problems = match dir {
        Some(d) => registry.load_dir(d)?,
        None => Vec::new(),
    };
    Ok((registry, problems))
}

fn list(dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let (registry, problems) = load(dir.as_ref())?;
    let entries = registry.entries();
    let width = |f: fn(&ProfileEntry) -> usize| entries.iter().map(f).max().unwrap_or(0);
    let (wk, wi, wn) = (
        width(|e| e.kind.len()).max(4),
        width(|e| e.id.len()).max(2),
        width(|e| e.name.chars().count()).max(4),
    );
    println!("{:wk$}  {:wi$}  {:wn$}  ORIGIN", "KIND", "ID", "NAME");
    for e in &entries {
        let origin = match &e.origin {
            Origin::Builtin => "built-in".to_owned(),
            Origin::File(f) => f.clone(),
        };
        println!("{:wk$}  {:wi$}  {:wn$}  {origin}", e.kind, e.id, e.name);
        for u in &e.unverified {
            println!("{:wk$}  {:wi$}  UNVERIFIED: {u}", "", "");
        }
    }
    Ok(report(&problems))
}

fn check(dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let (registry, mut problems) = load(dir.as_ref())?;
    problems.extend(registry.check());
    if problems.is_empty() {
        println!("{} profiles, no problems", registry.entries().len());
    }
    Ok(report(&problems))
}

/// Prints every problem on its own line (`file: field: reason`); exit 2 when there are any.
fn report(problems: &[ProfileError]) -> ExitCode {
    for p in problems {
        println!("{p}");
    }
    if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "{} problem{}",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" }
        );
        ExitCode::from(super::exit::CHECK_FAILED)
    }
}
