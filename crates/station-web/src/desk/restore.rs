//! The desk's index rebuilt from the journal when the server starts: the journal is the truth.
//!
//! Each enrolment the server made has its applicant file in the spool folder, named by the
//! server's id (`<spool>/e-<hex>.toml`), and the journal records that path: so the journal's
//! records give back every enrolment the server knew — its id, application, idempotency key
//! (the SHA-256 of that applicant file, which the journal keeps) and state. An enrolment the
//! journal has in progress was interrupted by the stop: it is `failed` at the step it stopped
//! at, with the step's recorded error (or "interrupted"), and can be resumed or abandoned.
//!
//! A spooled file the journal does not know was accepted but not yet begun: it is queued again,
//! under its id, for the operator recorded beside it (`<id>.operator`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use permitkit_station::journal::{EnrolmentRecord, EnrolmentState, StepState};
use permitkit_station::pipeline::Step;

use super::{Desk, worker};
use crate::applicant_json::ApplicantJson;
use crate::enrolment::{Enrolment, State};
use crate::error::ServeError;

/// The file beside a spooled applicant file that says who asked for it.
pub(super) fn operator_file(applicant: &Path) -> PathBuf {
    applicant.with_extension("operator")
}

/// A hex SHA-256 as bytes (zeros when the journal's text is not one).
pub(super) fn sha256_of(hex_text: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    if hex::decode_to_slice(hex_text, &mut out).is_err() {
        out = [0u8; 32];
    }
    out
}

/// The server's id of a spooled applicant file `path` under `spool`, if it is one.
fn spooled_id(spool: &Path, path: &Path) -> Option<String> {
    if path.parent() != Some(spool) || path.extension().is_none_or(|e| e != "toml") {
        return None;
    }
    let stem = path.file_stem()?.to_str()?;
    let hex = stem.strip_prefix("e-")?;
    (hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| stem.to_owned())
}

/// The state an interrupted enrolment is shown in: failed at its last step.
fn interrupted(record: &EnrolmentRecord) -> State {
    let last = record.steps.last();
    let step = last.map_or(Step::Applicant, |s| s.step);
    let cause = last.and_then(|s| s.cause);
    let error = match last {
        Some(s) if s.state == StepState::Failed => s
            .error
            .clone()
            .unwrap_or_else(|| "failed (no error recorded)".to_owned()),
        Some(s) if s.state == StepState::Done => {
            "interrupted after this step: the station stopped".to_owned()
        }
        _ => "interrupted during this step: the station stopped".to_owned(),
    };
    State::Failed { step, error, cause }
}

impl Desk {
    /// Rebuilds the index from the journal and queues again what was accepted but not begun.
    pub(super) fn restore(&self) -> Result<(), ServeError> {
        let list = self.journal().list()?;
        let mut index = self.index();
        // Oldest first, as the index orders them.
        for brief in list.iter().rev() {
            let Some(id) = spooled_id(&self.spool, Path::new(&brief.applicant_file)) else {
                continue;
            };
            let state = match brief.state {
                EnrolmentState::InProgress => interrupted(&self.journal().record(&brief.id)?),
                EnrolmentState::Issued => State::Issued,
                EnrolmentState::Personalized => State::PersonalizedNotIssued,
                EnrolmentState::ForBureau => State::ForBureau,
                EnrolmentState::Abandoned => State::Abandoned {
                    reason: self.abandon_reason(&brief.id),
                },
            };
            // The document number, for the idempotency check, while the file is held.
            let document_number = std::fs::read_to_string(&brief.applicant_file)
                .ok()
                .and_then(|text| ApplicantJson::from_toml(&text).ok())
                .map(|a| a.document_number)
                .unwrap_or_default();
            let live = !matches!(state, State::Abandoned { .. });
            let e = Arc::new(Enrolment::restored(
                id,
                brief.application.clone(),
                document_number,
                sha256_of(&brief.applicant_sha256),
                Some(brief.id.clone()),
                state,
            ));
            if live || !index.by_application.contains_key(&e.application) {
                index.insert(&e);
            } else {
                index.order.push(e.id.clone());
                index.by_id.insert(e.id.clone(), e);
            }
        }
        let restored = index.by_id.len();
        let mut requeued = 0usize;
        for path in self.spooled_files() {
            let Some(id) = spooled_id(&self.spool, &path) else {
                continue;
            };
            if index.by_id.contains_key(&id) {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let Ok(request) = ApplicantJson::from_toml(&text) else {
                tracing::warn!(enrolment = %id, "a spooled applicant file does not read: left alone");
                continue;
            };
            let operator = std::fs::read_to_string(operator_file(&path))
                .map(|s| s.trim().to_owned())
                .ok()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "unknown".to_owned());
            let Ok(exceptions) = crate::exceptions::load(&crate::exceptions::file_beside(&path))
            else {
                tracing::warn!(enrolment = %id, "its finger exceptions do not read: left alone");
                continue;
            };
            let mut e = Enrolment::new(
                id,
                request.application,
                request.document_number,
                request.sha256,
            );
            e.exceptions = crate::exceptions::Exceptions::new(exceptions);
            let awaiting = !e.exceptions.all_approved();
            if awaiting {
                e.set_state(State::AwaitingApproval);
            }
            let e = Arc::new(e);
            let job = worker::Job {
                enrolment: Arc::clone(&e),
                applicant: path,
                spooled: true,
                operator,
                resume: None,
                same_card: false,
                missing: e.exceptions.missing(),
            };
            if awaiting {
                self.hold(job);
            } else if self.jobs.send(job).is_err() {
                return Err(ServeError::ThreadGone);
            }
            index.insert(&e);
            requeued += 1;
        }
        tracing::info!(restored, requeued, "enrolments restored from the journal");
        Ok(())
    }

    /// The spool folder's applicant files, oldest first.
    fn spooled_files(&self) -> Vec<PathBuf> {
        let Ok(dir) = std::fs::read_dir(&self.spool) else {
            return Vec::new();
        };
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = dir
            .flatten()
            .filter_map(|d| {
                let modified = d.metadata().and_then(|m| m.modified()).ok()?;
                Some((modified, d.path()))
            })
            .collect();
        files.sort();
        files.into_iter().map(|(_, p)| p).collect()
    }

    /// Why the journal's enrolment `id` was abandoned, as its `abandon` event says.
    fn abandon_reason(&self, id: &str) -> String {
        self.journal()
            .events(id)
            .ok()
            .and_then(|events| {
                events
                    .into_iter()
                    .rev()
                    .find(|(_, kind, _)| kind == "abandon")
                    .map(|(_, _, message)| {
                        message
                            .split_once(": ")
                            .map_or(message.clone(), |(_, reason)| reason.to_owned())
                    })
            })
            .unwrap_or_else(|| "abandoned".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_servers_own_spooled_files_name_an_enrolment() {
        let spool = Path::new("/var/station/api-applications");
        let id = format!("e-{}", "0a".repeat(16));
        assert_eq!(
            spooled_id(spool, &spool.join(format!("{id}.toml"))),
            Some(id.clone())
        );
        for other in [
            spool.join(format!("{id}.operator")),
            spool.join("e-12.toml"),
            spool.join(format!("x-{}.toml", "0a".repeat(16))),
            Path::new("/home/olena").join(format!("{id}.toml")),
        ] {
            assert_eq!(spooled_id(spool, &other), None, "{}", other.display());
        }
        assert_eq!(sha256_of("zz"), [0; 32]);
        assert_eq!(sha256_of(&"ff".repeat(32)), [0xff; 32]);
    }
}
