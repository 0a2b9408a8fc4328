//! Command-line interface: one file per command group under `src/cli/`.

use clap::{Parser, Subcommand};

/// Enrollment and chip personalization for biometric residence permits.
#[derive(Debug, Parser)]
#[command(name = "permitkit", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {}

/// Parses the command line, runs the command and maps the outcome to an exit code.
pub fn run() -> std::process::ExitCode {
    match Cli::parse().command {}
}
