//! `permitkit`: the command-line front end. All logic lives in the library; this file only
//! parses arguments and reports errors (see `src/cli/`).
#![forbid(unsafe_code)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
