//! `permitkit sim serve`: the virtual chip behind the real pcscd through vsmartcard's vpcd.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::Subcommand;

use permitkit_devices::sim_state;
use permitkit_devices::vpcd::{self, Mode};
use permitkit_model::profiles::Registry;
use permitkit_simulator::{Card, CardConfig};

/// `sim` subcommands.
#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Serve the virtual chip to pcscd through the vpcd driver (loopback only).
    Serve {
        /// Connect to vpcd listening at HOST:PORT (vpcd's default mode; 127.0.0.1:35963).
        #[arg(long, num_args = 0..=1, default_missing_value = "127.0.0.1:35963", value_name = "HOST:PORT")]
        vpcd: Option<String>,
        /// Listen at HOST:PORT for vpcd to connect (reader.conf `DEVICENAME host:port`).
        #[arg(long, value_name = "HOST:PORT", conflicts_with = "vpcd")]
        vpcd_listen: Option<String>,
        /// State file: loaded if present, saved after every change and when pcscd disconnects.
        #[arg(long)]
        state: Option<PathBuf>,
        /// Stop after this many vpcd connections (default: serve forever).
        #[arg(long)]
        sessions: Option<u64>,
    },
}

/// Runs a `sim` subcommand.
pub fn run(cmd: SimCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        SimCommand::Serve {
            vpcd,
            vpcd_listen,
            state: state_path,
            sessions,
        } => {
            let mode = match (vpcd, vpcd_listen) {
                (Some(a), None) => Mode::Connect(vpcd::loopback_addr(&a)?),
                (None, Some(a)) => Mode::Listen(vpcd::loopback_addr(&a)?),
                _ => bail!("give --vpcd [HOST:PORT] or --vpcd-listen HOST:PORT"),
            };
            let registry = Registry::builtin()?;
            let config = CardConfig::from_profile(registry.chip("permitkit-virtual")?);
            let mut card = match &state_path {
                Some(p) if p.exists() => sim_state::load(p, config)?,
                _ => Card::new(config),
            };
            eprintln!(
                "virtual chip ({}) serving vpcd, {:?}",
                if card.is_locked() {
                    "locked"
                } else {
                    "personalization phase"
                },
                mode
            );
            vpcd::serve(&mut card, mode, state_path.as_deref(), sessions)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
