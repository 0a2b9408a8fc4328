//! `permitkit mrz …`: check a machine-readable zone, write a name field (ICAO Doc 9303-3/-4/-5).
//!
//! `check` prints the holder's data on purpose: it is the operator's explicit request to read
//! an MRZ. Nothing here logs it.

use std::{io::Read, process::ExitCode};

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use permitkit_lds::mrz::{MAX_TEXT_BYTES, Mrz, MrzFormat, MrzName, Script};

/// MRZ commands.
#[derive(Debug, Subcommand)]
pub enum MrzCommand {
    /// Parse a TD1 or TD3 MRZ, verify every check digit and print its fields (exit 2 when the
    /// MRZ is invalid).
    Check {
        /// The MRZ: lines joined, or separated by newlines. Read from standard input when absent.
        text: Option<String>,
    },
    /// Transliterate a name and fit it to the MRZ name field.
    Name {
        /// Primary identifier (surname) as written in the VIZ.
        #[arg(long)]
        primary: String,
        /// Secondary identifier (given names) as written in the VIZ.
        #[arg(long, default_value = "")]
        secondary: String,
        /// Language rules for Cyrillic names (ICAO 9303-3 §6.B, or KMU 55 for ukrainian-kmu55).
        #[arg(long, value_enum, default_value_t = ScriptArg::Latin)]
        script: ScriptArg,
        /// Layout whose name field to fill (TD1: 30 characters, TD3: 39).
        #[arg(long, value_enum, default_value_t = FormatArg::Td1)]
        format: FormatArg,
    },
}

/// [`Script`] for the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ScriptArg {
    /// Latin letters only (diacritics per 9303-3 §6.A).
    Latin,
    /// Cyrillic, 9303-3 §6.B default values.
    Cyrillic,
    /// Russian (the §6.B default values).
    Russian,
    /// Ukrainian, 9303-3 §6.B exceptions.
    Ukrainian,
    /// Ukrainian, national rule of KMU resolution 55 (зг → ZGH).
    UkrainianKmu55,
    /// Belarusian, 9303-3 §6.B exceptions.
    Belarusian,
    /// Bulgarian, 9303-3 §6.B exceptions.
    Bulgarian,
    /// Serbian, 9303-3 §6.B exceptions.
    Serbian,
    /// Macedonian, 9303-3 §6.B exceptions.
    Macedonian,
}

impl From<ScriptArg> for Script {
    fn from(s: ScriptArg) -> Self {
        match s {
            ScriptArg::Latin => Script::Latin,
            ScriptArg::Cyrillic => Script::Cyrillic,
            ScriptArg::Russian => Script::Russian,
            ScriptArg::Ukrainian => Script::Ukrainian,
            ScriptArg::UkrainianKmu55 => Script::UkrainianKmu55,
            ScriptArg::Belarusian => Script::Belarusian,
            ScriptArg::Bulgarian => Script::Bulgarian,
            ScriptArg::Serbian => Script::Serbian,
            ScriptArg::Macedonian => Script::Macedonian,
        }
    }
}

/// [`MrzFormat`] for the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    /// Three lines of 30 characters (ID-1 cards, residence permits).
    Td1,
    /// Two lines of 44 characters (passports).
    Td3,
}

impl From<FormatArg> for MrzFormat {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Td1 => MrzFormat::Td1,
            FormatArg::Td3 => MrzFormat::Td3,
        }
    }
}

/// Runs one MRZ command.
pub fn run(command: MrzCommand) -> anyhow::Result<ExitCode> {
    match command {
        MrzCommand::Check { text } => check(text),
        MrzCommand::Name {
            primary,
            secondary,
            script,
            format,
        } => name(&primary, &secondary, script.into(), format.into()),
    }
}

fn check(text: Option<String>) -> anyhow::Result<ExitCode> {
    let text = match text {
        Some(t) => t,
        None => {
            let mut buf = String::new();
            let limit = u64::try_from(MAX_TEXT_BYTES + 1).unwrap_or(u64::MAX);
            std::io::stdin()
                .take(limit)
                .read_to_string(&mut buf)
                .context("reading the MRZ from standard input")?;
            buf
        }
    };
    let mrz = match Mrz::parse(&text) {
        Ok(m) => m,
        Err(e) => {
            println!("invalid MRZ: {e}");
            return Ok(ExitCode::from(super::exit::CHECK_FAILED));
        }
    };
    let code = |c: permitkit_lds::mrz::CountryCode| format!("{} ({})", c.as_str(), c.name());
    let or_none = |s: &str| {
        if s.is_empty() {
            "-".to_owned()
        } else {
            s.to_owned()
        }
    };
    println!("format:          {}", mrz.format());
    println!("document code:   {}", mrz.document_code());
    println!("issuing state:   {}", code(mrz.issuing_state()));
    println!("document number: {}", mrz.document_number());
    println!("date of birth:   {} (YYMMDD)", mrz.date_of_birth());
    println!("sex:             {}", mrz.sex());
    println!("date of expiry:  {} (YYMMDD)", mrz.date_of_expiry());
    println!("nationality:     {}", code(mrz.nationality()));
    println!("optional data:   {}", or_none(mrz.optional_data()));
    if mrz.format() == MrzFormat::Td1 {
        println!("optional data 2: {}", or_none(mrz.optional_data_2()));
    }
    println!(
        "name:            {}{}",
        mrz.name().to_dg11(),
        if mrz.name_possibly_truncated() {
            " (possibly truncated)"
        } else {
            ""
        }
    );
    println!("check digits:    all correct");
    Ok(ExitCode::SUCCESS)
}

fn name(
    primary: &str,
    secondary: &str,
    script: Script,
    format: MrzFormat,
) -> anyhow::Result<ExitCode> {
    let name = MrzName::new(primary, secondary, script)?;
    let field = name.to_field(format);
    println!("{format} name field: {}", field.as_str());
    println!(
        "truncated:         {}",
        if field.is_truncated() { "yes" } else { "no" }
    );
    println!("full name (DG11):  {}", name.to_dg11());
    Ok(ExitCode::SUCCESS)
}
