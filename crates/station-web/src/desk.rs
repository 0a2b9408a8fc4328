//! The station's desk: one [`Station`] owned by one thread that runs the enrolments one at a
//! time, in the order they were accepted — the same [`pipeline::enroll`], journal and device
//! factory as `permitkit enroll` — and the index of the enrolments the server knows, which
//! makes creation idempotent (a retried request with the same application number and the same
//! body is the same enrolment; a different body under a known application or document number
//! is a conflict).
//!
//! The station thread publishes each [`Event`] to its [`Enrolment`], which fans it out to the
//! HTTP subscribers. A second journal connection serves reads (validation against the numbers
//! issued, the journal view) and abandons while the station thread writes.
//!
//! On the simulated station every new enrolment takes a fresh blank virtual card from the card
//! feeder, as `enroll` does, and a resumed one the same card again.
//!
//! The journal is the truth: when the server starts, the index is rebuilt from it
//! ([`restore`]) — each enrolment the server made, found by its applicant file in the spool
//! folder, with the state the journal gives it; an interrupted one is `failed` at the step it
//! stopped at and can be resumed ([`Desk::resume`], as `enroll --resume` does) — and the
//! applications accepted but not yet begun are queued again.
//!
//! A station profile with a `[bureau]` section hands its applications to the central bureau:
//! with a [`BureauHandoff`] the desk runs the capture steps only, and the handoff seals the
//! package into the journal's outbox (the enrolment ends `for-bureau`).

mod handoff;
mod restore;
mod screen_pad;
mod worker;

pub use handoff::{BureauHandoff, HandoffError};
pub use screen_pad::SCREEN_TIMEOUT;

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, MutexGuard, PoisonError, mpsc},
};

use permitkit_devices::card_reader::ReaderSelector;
use permitkit_model::profiles::{Registry, station::StationProfile};
use permitkit_station::applicant::{Applicant, Issuance, IssuedNumbers};
use permitkit_station::cause::Cause;
use permitkit_station::journal::{EnrolmentState, Journal, JournalError};
use permitkit_station::pipeline::Step;

use crate::applicant_json::{ApplicantJson, FieldError};
use crate::enrolment::{Enrolment, State};
use crate::error::ServeError;
use crate::exceptions::{ApproveError, FingerException};
use crate::tokens::ApiTokens;
use permitkit_biometrics::FingerPosition;
use permitkit_model::profiles::DocumentProfile;
use permitkit_station::finger_selection::SelectionRule;

/// What the desk opens.
#[derive(Debug, Clone)]
pub struct DeskConfig {
    /// Every profile, the station's included.
    pub registry: Registry,
    /// The station profile id.
    pub station: String,
    /// The PKI folder (`ds.pem`, `ds-key.pem`, `csca.pem`).
    pub pki: PathBuf,
    /// The journal (default: the station profile's).
    pub journal: Option<PathBuf>,
    /// The root of the enrolments' folders.
    pub out: PathBuf,
    /// The virtual card feeder's folder (simulated card reader; default `virtual-cards`
    /// beside the journal).
    pub card_feeder: Option<PathBuf>,
    /// The central bureau the station hands its applications to (the station profile's
    /// `[bureau]`), or `None` to personalize the cards here.
    pub bureau: Option<Arc<dyn BureauHandoff>>,
    /// Fault drill (training, tests): the virtual chip leaves the field after this many
    /// commands, as a card pulled in the middle of personalization does, for every enrolment
    /// this desk runs. Ignored for real readers.
    pub drill_card_pull_after: Option<u64>,
}

/// The outcome of a creation request.
#[derive(Debug, Clone)]
pub enum Created {
    /// A new enrolment, queued.
    New(Arc<Enrolment>),
    /// The same request again: the enrolment it made.
    Retry(Arc<Enrolment>),
}

/// Why a creation request was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CreateError {
    /// The data is not valid: every problem with its field.
    #[error("the applicant data is not valid")]
    Invalid(Vec<FieldError>),
    /// The application or document number is already taken by a different request.
    #[error("{0}")]
    Conflict(String),
    /// The journal could not be read.
    #[error("journal: {0}")]
    Journal(#[from] JournalError),
    /// The applicant file could not be kept for the station.
    #[error("keeping the applicant file: {0}")]
    Spool(#[source] std::io::Error),
    /// The station thread is gone.
    #[error("the station has stopped")]
    Stopped,
}

/// Why a resume was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResumeError {
    /// The enrolment is running, queued or finished: there is nothing to resume.
    #[error("enrolment {id} is {state}: it cannot be resumed")]
    State {
        /// Journal id.
        id: String,
        /// Its state.
        state: String,
    },
    /// The journal refused (no such enrolment, say).
    #[error("journal: {0}")]
    Journal(#[from] JournalError),
    /// The station thread is gone.
    #[error("the station has stopped")]
    Stopped,
    /// The new id could not be drawn.
    #[error("{0}")]
    Random(#[source] std::io::Error),
    /// The finger exceptions kept for it do not read.
    #[error("the finger exceptions kept for it do not read: {0}")]
    Exceptions(#[source] std::io::Error),
}

/// Why an abandon was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AbandonError {
    /// No enrolment by that id.
    #[error("no enrolment {0}")]
    NotFound(String),
    /// The reason is empty or too long.
    #[error("give the reason in 1 to 500 characters")]
    Reason,
    /// The enrolment cannot be abandoned in this state.
    #[error("the enrolment is {0}: it cannot be abandoned")]
    State(String),
    /// The journal refused.
    #[error("journal: {0}")]
    Journal(#[from] JournalError),
}

/// Why an approval of finger exceptions was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApprovalError {
    /// No enrolment by that id.
    #[error("no enrolment {0}")]
    NotFound(String),
    /// The enrolment is not waiting for an approval.
    #[error("the enrolment is {0}: it is not waiting for an approval")]
    State(String),
    /// The exceptions refused it.
    #[error(transparent)]
    Exception(#[from] ApproveError),
    /// The approval could not be kept.
    #[error("keeping the approval: {0}")]
    Spool(#[source] std::io::Error),
    /// The station thread is gone.
    #[error("the station has stopped")]
    Stopped,
}

/// The desk: shared by every request.
pub struct Desk {
    profile: StationProfile,
    registry: Registry,
    tokens: ApiTokens,
    spool: PathBuf,
    state: PathBuf,
    hands_to_bureau: bool,
    journal: Mutex<Journal>,
    index: Mutex<Index>,
    jobs: mpsc::Sender<worker::Job>,
    /// Enrolments whose finger exceptions wait for approval: their jobs, held back.
    pending: Mutex<HashMap<String, worker::Job>>,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk")
            .field("station", &self.profile.id)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Index {
    order: Vec<String>,
    by_id: HashMap<String, Arc<Enrolment>>,
    by_application: HashMap<String, Arc<Enrolment>>,
    by_document: HashMap<String, Arc<Enrolment>>,
}

impl Index {
    fn insert(&mut self, e: &Arc<Enrolment>) {
        self.order.push(e.id.clone());
        self.by_id.insert(e.id.clone(), Arc::clone(e));
        self.by_application
            .insert(e.application.clone(), Arc::clone(e));
        if !e.document_number.is_empty() {
            self.by_document
                .insert(e.document_number.clone(), Arc::clone(e));
        }
    }
}

impl Desk {
    /// Opens the station on its own thread and the journal for reads.
    pub fn open(config: DeskConfig) -> Result<Arc<Self>, ServeError> {
        let profile = config
            .registry
            .station(&config.station)
            .map_err(|e| ServeError::Station {
                station: config.station.clone(),
                source: Box::new(e.into()),
            })?
            .clone();
        let journal_path = config
            .journal
            .clone()
            .unwrap_or_else(|| PathBuf::from(&profile.journal));
        let beside = journal_path
            .parent()
            .unwrap_or_else(|| Path::new(""))
            .to_path_buf();
        let feeder = match profile.card_reader.selector.parse() {
            Ok(ReaderSelector::Sim) => Some(
                config
                    .card_feeder
                    .clone()
                    .unwrap_or_else(|| beside.join("virtual-cards")),
            ),
            _ => None,
        };
        let jobs = worker::start(worker::Setup {
            registry: config.registry.clone(),
            station: config.station.clone(),
            pki: config.pki.clone(),
            journal: journal_path.clone(),
            out: config.out.clone(),
            feeder,
            bureau: config.bureau.clone(),
            drill_card_pull_after: config.drill_card_pull_after,
        })?;
        let journal = Journal::open(&journal_path)?;
        let spool = beside.join("api-applications");
        let spool = std::path::absolute(&spool).unwrap_or(spool);
        let state = std::path::absolute(&beside).unwrap_or(beside);
        let desk = Arc::new(Self {
            tokens: ApiTokens::from_profile(&profile.web),
            spool,
            state,
            registry: config.registry,
            hands_to_bureau: config.bureau.is_some(),
            profile,
            journal: Mutex::new(journal),
            index: Mutex::new(Index::default()),
            jobs,
            pending: Mutex::new(HashMap::new()),
        });
        desk.restore()?;
        Ok(desk)
    }

    /// Whether the station hands its applications to the central bureau.
    pub fn hands_to_bureau(&self) -> bool {
        self.hands_to_bureau
    }

    /// The station's state folder: the journal's, where the server keeps what must survive a
    /// restart beside it (the spooled API applications, the sign-in limit).
    pub fn state_dir(&self) -> &Path {
        &self.state
    }

    /// The station profile.
    pub fn profile(&self) -> &StationProfile {
        &self.profile
    }

    /// The integration API's tokens.
    pub fn tokens(&self) -> &ApiTokens {
        &self.tokens
    }

    fn index(&self) -> MutexGuard<'_, Index> {
        self.index.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The read connection to the journal.
    pub fn journal(&self) -> MutexGuard<'_, Journal> {
        self.journal.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The enrolment `id`.
    pub fn enrolment(&self, id: &str) -> Option<Arc<Enrolment>> {
        self.index().by_id.get(id).cloned()
    }

    /// Validates `body` as the applicant file and queues it, or finds the enrolment the same
    /// request made before. `operator` is journaled as who asked.
    ///
    /// The body may declare fingers missing or unusable (`missing_fingers`, beside the
    /// applicant file's keys): the enrolment then waits for a supervisor's approval at the
    /// station ([`State::AwaitingApproval`]).
    pub fn create(&self, body: &[u8], operator: &str) -> Result<Created, CreateError> {
        let mut exceptions = Vec::new();
        let mut rest = None;
        if let Ok(serde_json::Value::Object(mut map)) = serde_json::from_slice(body)
            && let Some(declared) = map.remove("missing_fingers")
        {
            exceptions =
                crate::exceptions::from_json(declared, operator).map_err(CreateError::Invalid)?;
            rest = Some(serde_json::to_vec(&map).map_err(|e| {
                CreateError::Invalid(vec![FieldError::new("(body)", e.to_string())])
            })?);
        }
        let request =
            ApplicantJson::parse(rest.as_deref().unwrap_or(body)).map_err(CreateError::Invalid)?;
        self.enqueue(request, operator, false, exceptions)
    }

    /// [`Desk::create`] from an applicant file's text (the operator's "new from a file");
    /// `sign_on_screen`: the applicant signs on the screen rather than on the pad.
    pub fn create_from_file(
        &self,
        text: &str,
        operator: &str,
        sign_on_screen: bool,
    ) -> Result<Created, CreateError> {
        self.create_with_exceptions(text, operator, sign_on_screen, Vec::new())
    }

    /// [`Desk::create_from_file`] with fingers declared missing or unusable: the enrolment
    /// waits ([`State::AwaitingApproval`]) until a supervisor approves every exception
    /// ([`Desk::approve`]). The exceptions are checked against the document's selection rule.
    pub fn create_with_exceptions(
        &self,
        text: &str,
        operator: &str,
        sign_on_screen: bool,
        exceptions: Vec<FingerException>,
    ) -> Result<Created, CreateError> {
        let request = ApplicantJson::from_toml(text).map_err(CreateError::Invalid)?;
        self.enqueue(request, operator, sign_on_screen, exceptions)
    }

    /// The finger selection rule the station applies to `document` (its scanner's profile
    /// included), as the pipeline's fingers step computes it.
    pub fn finger_rule(&self, document: &DocumentProfile) -> SelectionRule {
        let scanner = self
            .profile
            .scanner
            .profile
            .as_deref()
            .and_then(|id| self.registry.scanner(id).ok());
        permitkit_station::pipeline::rule_for(document, scanner)
    }

    /// Records `supervisor`'s approval of the exceptions of `fingers` on enrolment `id`; once
    /// every exception is approved, the enrolment goes to the station's queue. Returns whether
    /// it did. The caller has checked that `supervisor` holds the supervisor role.
    pub fn approve(
        &self,
        id: &str,
        fingers: &[FingerPosition],
        supervisor: &str,
    ) -> Result<bool, ApprovalError> {
        let enrolment = self
            .enrolment(id)
            .ok_or_else(|| ApprovalError::NotFound(id.to_owned()))?;
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let state = enrolment.state();
        if state != State::AwaitingApproval || !pending.contains_key(id) {
            return Err(ApprovalError::State(state_name(&state).to_owned()));
        }
        let list = enrolment.exceptions.approve(fingers, supervisor)?;
        let file = crate::exceptions::file_beside(&self.spool.join(format!("{id}.toml")));
        crate::exceptions::save(&file, &list).map_err(ApprovalError::Spool)?;
        for f in fingers {
            tracing::info!(enrolment = %id, finger = %f, %supervisor, "finger exception approved");
        }
        if !enrolment.exceptions.all_approved() {
            return Ok(false);
        }
        let Some(mut job) = pending.remove(id) else {
            return Err(ApprovalError::State("queued".to_owned()));
        };
        job.missing = enrolment.exceptions.missing();
        enrolment.set_state(State::Queued);
        if self.jobs.send(job).is_err() {
            enrolment.set_state(State::Failed {
                step: Step::Applicant,
                error: ApprovalError::Stopped.to_string(),
                cause: None,
            });
            return Err(ApprovalError::Stopped);
        }
        tracing::info!(enrolment = %id, "every finger exception approved: queued");
        Ok(true)
    }

    /// Validates an applicant file's text without queueing it: the applicant as it will be
    /// issued (its MRZ exactly as printed).
    pub fn preview(&self, text: &str) -> Result<Applicant, CreateError> {
        let request = ApplicantJson::from_toml(text).map_err(CreateError::Invalid)?;
        self.validate(&request)
    }

    /// Every enrolment the server knows, oldest first.
    pub fn enrolments(&self) -> Vec<Arc<Enrolment>> {
        let index = self.index();
        index
            .order
            .iter()
            .filter_map(|id| index.by_id.get(id).cloned())
            .collect()
    }

    fn enqueue(
        &self,
        request: ApplicantJson,
        operator: &str,
        sign_on_screen: bool,
        exceptions: Vec<FingerException>,
    ) -> Result<Created, CreateError> {
        // The index is held from the look-up to the insertion, so two concurrent identical
        // requests make one enrolment.
        let mut index = self.index();
        let live = |e: &Arc<Enrolment>| !matches!(e.state(), State::Abandoned { .. });
        if let Some(known) = index
            .by_application
            .get(&request.application)
            .filter(|e| live(e))
        {
            // The same request declares the same exceptions (approvals aside).
            let same_exceptions = {
                let key = |l: &[FingerException]| {
                    l.iter()
                        .map(|e| (e.finger, e.cause.clone()))
                        .collect::<Vec<_>>()
                };
                key(&known.exceptions.list()) == key(&exceptions)
            };
            if known.body_sha256 == request.sha256 && same_exceptions {
                return Ok(Created::Retry(Arc::clone(known)));
            }
            return Err(CreateError::Conflict(format!(
                "application {} was created with different data (enrolment {})",
                request.application, known.id
            )));
        }
        if !request.document_number.is_empty()
            && let Some(known) = index
                .by_document
                .get(&request.document_number)
                .filter(|e| live(e))
        {
            return Err(CreateError::Conflict(format!(
                "the document number is already in enrolment {} (application {})",
                known.id, known.application
            )));
        }
        let applicant = self.validate(&request)?;
        if !exceptions.is_empty() {
            crate::exceptions::check(&self.finger_rule(&applicant.document_profile), &exceptions)
                .map_err(|e| {
                CreateError::Invalid(vec![FieldError::new("missing_fingers", e.to_string())])
            })?;
        }
        let id = new_id().map_err(CreateError::Spool)?;
        let path = self.spool.join(format!("{id}.toml"));
        match permitkit_model::private_file::create_dir(&self.spool) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                return Err(CreateError::Spool(e));
            }
            _ => {}
        }
        permitkit_model::private_file::write_new(&path, request.toml.as_bytes())
            .map_err(CreateError::Spool)?;
        // Who asked, for the journal, should the server stop before the station begins it.
        permitkit_model::private_file::write_new(
            &restore::operator_file(&path),
            operator.as_bytes(),
        )
        .map_err(CreateError::Spool)?;
        let awaiting = !exceptions.is_empty();
        if awaiting {
            crate::exceptions::save(&crate::exceptions::file_beside(&path), &exceptions)
                .map_err(CreateError::Spool)?;
        }
        let mut enrolment = Enrolment::new(
            id.clone(),
            request.application.clone(),
            request.document_number.clone(),
            request.sha256,
        )
        .signed_on_screen(sign_on_screen);
        enrolment.exceptions = crate::exceptions::Exceptions::new(exceptions);
        if awaiting {
            enrolment.set_state(State::AwaitingApproval);
        }
        let enrolment = Arc::new(enrolment);
        let job = worker::Job {
            enrolment: Arc::clone(&enrolment),
            applicant: path,
            spooled: true,
            operator: operator.to_owned(),
            resume: None,
            same_card: false,
            missing: Vec::new(),
        };
        if awaiting {
            self.hold(job);
            tracing::info!(enrolment = %enrolment.id, "enrolment awaits the approval of its finger exceptions");
        } else {
            self.jobs.send(job).map_err(|_| CreateError::Stopped)?;
            tracing::info!(enrolment = %enrolment.id, "enrolment queued");
        }
        index.insert(&enrolment);
        Ok(Created::New(enrolment))
    }

    /// Resumes the journal's interrupted enrolment `journal_id` where it stopped, with the same
    /// applicant file, as `enroll --resume` does: one the server knows (failed, or left
    /// interrupted by a restart) goes back to the queue under its own id; one that `enroll`
    /// left gets an id here. `operator` is journaled as who resumed it.
    pub fn resume(&self, journal_id: &str, operator: &str) -> Result<Arc<Enrolment>, ResumeError> {
        let record = self.journal().record(journal_id)?;
        if record.state != EnrolmentState::InProgress {
            return Err(ResumeError::State {
                id: journal_id.to_owned(),
                state: record.state.as_str().to_owned(),
            });
        }
        let mut index = self.index();
        let known = index
            .by_id
            .values()
            .find(|e| e.journal_id().as_deref() == Some(journal_id))
            .cloned();
        let enrolment = match known {
            Some(e) => {
                e.transition(|s| matches!(s, State::Failed { .. }).then_some(State::Queued))
                    .map_err(|found| ResumeError::State {
                        id: journal_id.to_owned(),
                        state: state_name(&found).to_owned(),
                    })?;
                e
            }
            None => {
                let id = new_id().map_err(ResumeError::Random)?;
                let e = Arc::new(Enrolment::restored(
                    id,
                    record.application.clone(),
                    String::new(),
                    restore::sha256_of(&record.applicant_sha256),
                    Some(record.id.clone()),
                    State::Queued,
                ));
                index.insert(&e);
                e
            }
        };
        let applicant = PathBuf::from(&record.applicant_file);
        let spooled = applicant.parent() == Some(self.spool.as_path());
        // The approved finger exceptions it began with, kept beside its applicant file.
        let missing = if spooled {
            crate::exceptions::load(&crate::exceptions::file_beside(&applicant))
                .map_err(ResumeError::Exceptions)?
                .iter()
                .filter(|e| e.approved_by.is_some())
                .map(FingerException::to_missing)
                .collect()
        } else {
            Vec::new()
        };
        // Past the signature the card was claimed: it is presented again; before, a blank one
        // (the card in the reader may be another enrolment's).
        let same_card = record
            .steps
            .iter()
            .any(|s| matches!(s.step, Step::ChipImage | Step::Personalize | Step::Verify));
        if let Err(e) = self
            .journal()
            .event(journal_id, "resume", &format!("by {operator}"))
        {
            enrolment.set_state(State::Failed {
                step: Step::Applicant,
                error: format!("the resume was not journaled: {e}"),
                cause: Some(Cause::Storage),
            });
            return Err(e.into());
        }
        let job = worker::Job {
            enrolment: Arc::clone(&enrolment),
            applicant,
            spooled,
            operator: operator.to_owned(),
            resume: Some(journal_id.to_owned()),
            same_card,
            missing,
        };
        if self.jobs.send(job).is_err() {
            enrolment.set_state(State::Failed {
                step: Step::Applicant,
                error: ResumeError::Stopped.to_string(),
                cause: None,
            });
            return Err(ResumeError::Stopped);
        }
        tracing::info!(enrolment = %enrolment.id, journal = %journal_id, "enrolment resumed");
        Ok(enrolment)
    }

    /// The enrolment the server runs or ran under journal id `journal_id`, if any.
    pub fn by_journal_id(&self, journal_id: &str) -> Option<Arc<Enrolment>> {
        self.index()
            .by_id
            .values()
            .find(|e| e.journal_id().as_deref() == Some(journal_id))
            .cloned()
    }

    /// The same checks as the pipeline's first step: the applicant file against today and the
    /// numbers issued, a document this station issues, no live enrolment of the application
    /// in the journal.
    fn validate(&self, request: &ApplicantJson) -> Result<Applicant, CreateError> {
        let journal = self.journal();
        let issued = IssuedNumbers::from_journal(&journal)?;
        let issuance = Issuance {
            issued: Some(&issued),
            ..Issuance::today()
        };
        let applicant =
            Applicant::parse_for("request", &request.toml, &self.registry, &issuance)
                .map_err(|e| CreateError::Invalid(vec![FieldError::new(e.field, e.reason)]))?;
        if !self
            .profile
            .documents
            .contains(&applicant.document_profile.id)
        {
            return Err(CreateError::Invalid(vec![FieldError::new(
                "document_profile",
                format!(
                    "station {} does not issue {} (it issues {})",
                    self.profile.id,
                    applicant.document_profile.id,
                    self.profile.documents.join(", ")
                ),
            )]));
        }
        let earlier = journal.list()?.into_iter().find(|r| {
            r.application == applicant.application && r.state != EnrolmentState::Abandoned
        });
        if let Some(r) = earlier {
            return Err(CreateError::Conflict(format!(
                "application {} is already in the journal as {} ({})",
                applicant.application,
                r.id,
                r.state.as_str()
            )));
        }
        Ok(applicant)
    }

    /// Abandons enrolment `id`: a queued one never runs; a failed one is abandoned in the
    /// journal (its captures and keys deleted). A running, issued or abandoned one is refused.
    pub fn abandon(&self, id: &str, operator: &str, reason: &str) -> Result<State, AbandonError> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(AbandonError::Reason);
        }
        let enrolment = self
            .enrolment(id)
            .ok_or_else(|| AbandonError::NotFound(id.to_owned()))?;
        let abandoned = State::Abandoned {
            reason: reason.to_owned(),
        };
        let queued = enrolment.transition(|s| {
            matches!(s, State::Queued | State::AwaitingApproval).then(|| abandoned.clone())
        });
        let found = match queued {
            Ok(()) => {
                self.pending
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&enrolment.id);
                self.unspool(&enrolment.id);
                tracing::info!(enrolment = %enrolment.id, "queued enrolment abandoned");
                return Ok(abandoned);
            }
            Err(found) => found,
        };
        let (State::Failed { .. }, Some(journal_id)) = (&found, enrolment.journal_id()) else {
            return Err(AbandonError::State(state_name(&found).to_owned()));
        };
        self.journal().abandon(&journal_id, operator, reason)?;
        enrolment.set_state(abandoned.clone());
        self.unspool(&enrolment.id);
        tracing::info!(enrolment = %enrolment.id, "enrolment abandoned");
        Ok(abandoned)
    }

    /// Abandons the journal's enrolment `journal_id` (one left by `enroll` or by this server),
    /// as `enroll --abandon` does.
    pub fn abandon_journal(
        &self,
        journal_id: &str,
        operator: &str,
        reason: &str,
    ) -> Result<(), AbandonError> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(AbandonError::Reason);
        }
        let ours = self
            .enrolments()
            .into_iter()
            .find(|e| e.journal_id().as_deref() == Some(journal_id));
        if let Some(e) = &ours
            && !matches!(e.state(), State::Failed { .. })
        {
            return Err(AbandonError::State(state_name(&e.state()).to_owned()));
        }
        self.journal().abandon(journal_id, operator, reason)?;
        if let Some(e) = ours {
            e.set_state(State::Abandoned {
                reason: reason.to_owned(),
            });
            self.unspool(&e.id);
        }
        tracing::info!(journal = %journal_id, "journal enrolment abandoned");
        Ok(())
    }

    /// Holds `job` back until its finger exceptions are approved.
    fn hold(&self, job: worker::Job) {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(job.enrolment.id.clone(), job);
    }

    fn unspool(&self, id: &str) {
        worker::unspool(id, &self.spool.join(format!("{id}.toml")));
    }
}

/// The state's name as the API writes it.
pub fn state_name(state: &State) -> &'static str {
    match state {
        State::Queued => "queued",
        State::AwaitingApproval => "awaiting-approval",
        State::Running { .. } => "running",
        State::Issued => "issued",
        State::PersonalizedNotIssued => "personalized-not-issued",
        State::ForBureau => "for-bureau",
        State::Failed { .. } => "failed",
        State::Abandoned { .. } => "abandoned",
    }
}

/// 128 random bits in hex.
fn new_id() -> std::io::Result<String> {
    let mut raw = [0u8; 16];
    permitkit_model::random::fill_random(&mut raw).map_err(std::io::Error::other)?;
    Ok(format!("e-{}", hex::encode(raw)))
}
