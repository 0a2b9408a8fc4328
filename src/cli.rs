//! Command-line interface: one file per command group under `src/cli/`.
//!
//! Exit codes ([`exit`]): 0 success, 1 error (bad input, device or I/O failure), 2 a
//! verification or quality decision that failed (the command ran, the answer is "no"), 64 a
//! usage error (the command line itself is wrong; sysexits.h `EX_USAGE`).
//!
//! Standard output is written through [`print_out`] (the `println!`/`print!` macros below
//! shadow the standard ones in every command module): when the reader of a pipe goes away
//! (`permitkit lds show … | head -1`) the rest of the output is dropped quietly and the command
//! still finishes what it was doing, so a closed pipe never interrupts an enrolment or panics.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Parser, Subcommand};

/// The exit codes README documents.
pub mod exit {
    /// The command did what was asked.
    pub const SUCCESS: u8 = 0;
    /// Bad input, a device or I/O failure, an enrolment that stopped.
    pub const ERROR: u8 = 1;
    /// A check ran and said no (quality, verification).
    pub const CHECK_FAILED: u8 = 2;
    /// The command line is wrong (sysexits.h `EX_USAGE`).
    pub const USAGE: u8 = 64;
}

/// Set once standard output's reader has gone away: later output is dropped.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes formatted output to standard output. A closed pipe drops this and all later output
/// quietly; any other write failure (a full disk behind a redirection) ends the program with
/// [`exit::ERROR`] and says why.
pub fn print_out(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    match out.write_fmt(args).and_then(|()| out.flush()) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
        }
        Err(e) => {
            eprintln!("error: writing standard output: {e}");
            std::process::exit(i32::from(exit::ERROR));
        }
    }
}

/// `println!` for the command modules: through [`print_out`].
macro_rules! println {
    () => {
        $crate::cli::print_out(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::print_out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

mod capture;
mod card;
mod card_ca;
mod card_ta;
mod demo;
mod devices;
mod enroll;
mod finger;
mod issuance;
mod journal;
mod lds;
mod lds_build;
mod lds_seal;
mod mrz;
mod outbox;
mod perso;
mod photo;
mod pki;
mod pki_audit;
mod pki_crl;
mod pki_csca;
mod pki_desk;
mod pki_ds;
mod pki_eac;
mod pki_lint;
mod pki_ml;
#[cfg(feature = "pkcs11")]
mod pki_token;
mod pki_trust;
mod profiles;
mod sim;
mod station;
mod wsq;

/// Enrollment and chip personalization for biometric residence permits.
#[derive(Debug, Parser)]
#[command(name = "permitkit", version, about)]
struct Cli {
    /// More log output (-v info, -vv debug). Secrets are never logged.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The whole enrollment on the simulated station, with nothing to prepare.
    Demo(demo::DemoArgs),
    /// Enrol an applicant: photo, fingers, signature, chip personalized, read back, verified.
    Enroll(Box<enroll::EnrollArgs>),
    /// The enrollment journal: list enrolments, show one.
    #[command(subcommand)]
    Journal(journal::JournalCommand),
    /// Devices attached (and simulated), with the hardware profile each matched.
    #[command(subcommand)]
    Devices(devices::DevicesCommand),
    /// Test PKI: a TEST ONLY CSCA and Document Signer.
    #[command(subcommand)]
    Pki(pki::PkiCommand),
    /// Logical Data Structure: build, verify and show ChipImages.
    #[command(subcommand)]
    Lds(lds::LdsCommand),
    /// Contactless chips: list readers, personalize, read.
    #[command(subcommand)]
    Card(card::CardCommand),
    /// The virtual chip: serve it to pcscd through vsmartcard's vpcd.
    #[command(subcommand)]
    Sim(sim::SimCommand),
    /// Machine-readable zones: check an MRZ, write a name field.
    Mrz {
        #[command(subcommand)]
        command: mrz::MrzCommand,
    },
    /// Fingerprints: synthetic prints, quality, WSQ.
    Finger(finger::FingerArgs),
    /// Portrait quality check and DG2 preparation.
    Photo(photo::PhotoArgs),
    /// Capture from a camera or scanner.
    Capture(capture::CaptureArgs),
    /// The central issuance bureau: serve it, register stations and lines, status.
    #[command(subcommand)]
    Issuance(issuance::IssuanceCommand),
    /// Personalization lines of the central bureau.
    #[command(subcommand)]
    Perso(perso::PersoCommand),
    /// Hardware, document and station profiles: list them, check a folder.
    #[command(subcommand)]
    Profiles(profiles::ProfilesCommand),
    /// The station as a local web server: the integration API (and operator screens).
    #[command(subcommand)]
    Station(station::StationCommand),
}

/// Parses the command line, runs the command and maps the outcome to an exit code.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::SUCCESS // --help, --version
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    init_tracing(cli.verbose);
    let outcome: anyhow::Result<ExitCode> = match cli.command {
        Command::Demo(a) => demo::run(a),
        Command::Enroll(a) => enroll::run(*a),
        Command::Journal(c) => journal::run(c),
        Command::Devices(c) => devices::run(c),
        Command::Pki(c) => pki::run(c),
        Command::Lds(c) => lds::run(c),
        Command::Card(c) => card::run(c),
        Command::Sim(c) => sim::run(c),
        Command::Mrz { command } => mrz::run(command),
        Command::Finger(a) => finger::run(a),
        Command::Photo(args) => photo::run(args),
        Command::Capture(args) => capture::run(args),
        Command::Profiles(c) => profiles::run(c),
        Command::Station(c) => station::run(c),
        Command::Issuance(c) => issuance::run(c),
        Command::Perso(c) => perso::run(c),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit::ERROR)
        }
    }
}

fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("PERMITKIT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
