//! Fault injection for the virtual chip: what a real card does on a bad day.
//!
//! Counters are in commands received by [`super::Card`] through its channel interface. A fault
//! fires once; the card pulled from the field stays away until [`super::Card::reinsert`].

use permitkit_iso7816::apdu::StatusWord;

/// Faults armed on a virtual chip.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    drop_after: Option<u64>,
    tear_at: Option<u64>,
    corrupt_response_at: Option<u64>,
    answer_status_at: Option<(u64, StatusWord)>,
    corrupt_next_write: bool,
    seen: u64,
    removed: bool,
}

/// What the card does with the next command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// The card is out of the field.
    Removed,
    /// Answer with this status without processing.
    Answer(StatusWord),
    /// Process, then flip one bit of the response.
    Corrupt,
    /// Process, then leave the field before answering (the command took effect, its answer is
    /// lost).
    Tear,
    /// Process normally.
    Process,
}

impl Faults {
    /// The card leaves the field after `n` more commands (they are processed normally).
    pub fn drop_after(&mut self, n: u64) {
        self.drop_after = Some(self.seen + n);
    }

    /// The `n`-th next command (1 = the next one) is processed — a write takes effect — but the
    /// card leaves the field before its answer goes out (a card torn away mid-command).
    pub fn tear_at(&mut self, n: u64) {
        self.tear_at = Some(self.seen + n);
    }

    /// The response to the `n`-th next command (1 = the next one) has one bit flipped.
    pub fn corrupt_response(&mut self, n: u64) {
        self.corrupt_response_at = Some(self.seen + n);
    }

    /// The `n`-th next command (1 = the next one) is answered with `sw` and not processed.
    pub fn answer_status(&mut self, n: u64, sw: StatusWord) {
        self.answer_status_at = Some((self.seen + n, sw));
    }

    /// The next UPDATE BINARY stores one flipped bit (a failing EEPROM write that still
    /// reports success).
    pub fn corrupt_next_write(&mut self) {
        self.corrupt_next_write = true;
    }

    /// True while the card is out of the field.
    pub fn is_removed(&self) -> bool {
        self.removed
    }

    pub(crate) fn reinsert(&mut self) {
        self.removed = false;
    }

    pub(crate) fn take_write_corruption(&mut self) -> bool {
        std::mem::take(&mut self.corrupt_next_write)
    }

    pub(crate) fn next(&mut self) -> Action {
        if self.removed {
            return Action::Removed;
        }
        if self.drop_after.is_some_and(|n| self.seen >= n) {
            self.drop_after = None;
            self.removed = true;
            return Action::Removed;
        }
        self.seen += 1;
        if self.tear_at == Some(self.seen) {
            self.tear_at = None;
            self.removed = true;
            return Action::Tear;
        }
        if let Some((n, sw)) = self.answer_status_at
            && n == self.seen
        {
            self.answer_status_at = None;
            return Action::Answer(sw);
        }
        if self.corrupt_response_at == Some(self.seen) {
            self.corrupt_response_at = None;
            return Action::Corrupt;
        }
        Action::Process
    }
}
