//! The errors of opening the station behind the web server and of serving it.

use std::path::PathBuf;

/// Why `station serve` could not start or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The station (profiles, devices, journal, PKI) did not open.
    #[error("station {station}: {source}")]
    Station {
        /// Station profile id.
        station: String,
        /// The station's own error.
        #[source]
        source: Box<permitkit_station::Error>,
    },
    /// The journal did not open a second connection for reads.
    #[error("journal: {0}")]
    Journal(#[from] permitkit_station::journal::JournalError),
    /// The virtual card feeder's folder did not open.
    #[error("card feeder {dir}: {source}")]
    CardFeeder {
        /// Its folder.
        dir: PathBuf,
        /// Why.
        #[source]
        source: permitkit_simulator::SimError,
    },
    /// The station thread could not be started or ended before it said it was ready.
    #[error("station thread: {0}")]
    Thread(#[source] std::io::Error),
    /// The station thread ended before it said whether the station opened.
    #[error("the station thread ended while opening the station")]
    ThreadGone,
    /// The sign-in limit's file did not read back.
    #[error(transparent)]
    SignInLimit(#[from] crate::sign_in_limit::SignInLimitError),
    /// Binding or serving the socket failed.
    #[error("listening on {address}: {source}")]
    Listen {
        /// The address.
        address: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}
