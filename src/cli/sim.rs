//! `permitkit sim serve`: the virtual chip behind the real pcscd through vsmartcard's vpcd —
//! one card kept in a state file (`--state`), or the cards of a card feeder folder
//! (`--feeder`), where `permitkit sim present` takes the card off the reader and puts another
//! on it (a blank card, a card of the tray by serial, or a drill card).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::Subcommand;

use permitkit_devices::card_feeder::{CardFeeder, FeederRequest};
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
        #[arg(long, conflicts_with = "feeder")]
        state: Option<PathBuf>,
        /// Card feeder folder: one state file per card (by chip serial); serves the card on the
        /// reader and swaps it when `sim present` asks.
        #[arg(long, value_name = "DIR")]
        feeder: Option<PathBuf>,
        /// Stop after this many vpcd connections (default: serve forever).
        #[arg(long)]
        sessions: Option<u64>,
    },
    /// Take the card off the feeder's reader and put another on it, or pull it out of the field
    /// after some APDUs (for `sim serve --feeder`).
    Present {
        /// The card feeder folder `sim serve --feeder` serves.
        #[arg(long, value_name = "DIR")]
        feeder: PathBuf,
        /// `blank` (a new blank card), `same` (the card last on the reader), `card:<serial>` (a
        /// card of the tray), a drill card (`blank-replacement`, `foreign`: half-written by
        /// another personalization, `issued`), or `pull-after:N` (the card leaves the field
        /// after N more APDUs).
        card: String,
    },
}

/// Runs a `sim` subcommand.
pub fn run(cmd: SimCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        SimCommand::Present { feeder, card } => {
            let what: FeederRequest = card.parse()?;
            CardFeeder::open(&feeder)?.request(&what)?;
            eprintln!("asked the reader of {} to present {what}", feeder.display());
            Ok(ExitCode::SUCCESS)
        }
        SimCommand::Serve {
            vpcd,
            vpcd_listen,
            state: state_path,
            feeder,
            sessions,
        } => {
            let mode = match (vpcd, vpcd_listen) {
                (Some(a), None) => Mode::Connect(vpcd::loopback_addr(&a)?),
                (None, Some(a)) => Mode::Listen(vpcd::loopback_addr(&a)?),
                _ => bail!("give --vpcd [HOST:PORT] or --vpcd-listen HOST:PORT"),
            };
            let registry = Registry::builtin()?;
            let config = CardConfig::from_profile(registry.chip("permitkit-virtual")?);
            if let Some(dir) = feeder {
                let feeder = CardFeeder::open(&dir)?;
                eprintln!(
                    "virtual card feeder {} serving vpcd, {mode:?}",
                    dir.display()
                );
                vpcd::serve_feeder(&feeder, config, mode, sessions)?;
                return Ok(ExitCode::SUCCESS);
            }
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
