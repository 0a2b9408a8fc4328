//! The hand-over to the central bureau (issue 16, the station profile's `[bureau]`): a station
//! whose cards the bureau makes runs the capture steps only
//! ([`permitkit_station::pipeline::capture`]) and then hands the captures over — sealed to the
//! bureau and queued in the journal's outbox, which finishes the enrolment as `for-bureau`
//! ([`Journal::queue_for_bureau`]).
//!
//! The package format and its sealing belong to the bureau's crate, which sits beside this one
//! in the layers: the command line (`permitkit station serve`) gives the desk the hand-over as
//! this trait, as `enroll` uses it for `--submit-to`.

use permitkit_station::journal::Journal;
use permitkit_station::pipeline::Captured;

/// Why a hand-over failed (the enrolment stays in progress, its captures in the journal, and
/// can be resumed).
pub type HandoffError = Box<dyn std::error::Error + Send + Sync>;

/// Seals an enrolment's captures to the bureau and queues them in the journal's outbox.
pub trait BureauHandoff: std::fmt::Debug + Send + Sync {
    /// Seals `captured` and queues it in `journal` with
    /// [`Journal::queue_for_bureau`] (which ends the enrolment `for-bureau` and deletes its
    /// captures); returns the bureau's URL it is queued for.
    fn queue(&self, journal: &mut Journal, captured: &Captured) -> Result<String, HandoffError>;
}
