//! The station thread: opens the [`Station`] (its device factory is not `Send`, so the station
//! lives and dies on this one thread) and runs the queued enrolments one at a time through
//! [`pipeline::enroll`] — or, for a station that hands its applications to the central bureau,
//! [`pipeline::capture`] and the [`BureauHandoff`] — publishing each event to the enrolment.
//! A resumed enrolment continues where the journal says it stopped, on the same card.

use std::{
    path::PathBuf,
    sync::{Arc, mpsc},
};

use permitkit_devices::card_feeder::{CardFeeder, Present};
use permitkit_devices::factory::{DeviceFactory, SelectorFactory};
use permitkit_model::profiles::Registry;
use permitkit_model::secret::SecretBytes;
use permitkit_station::cause::Cause;
use permitkit_station::finger_selection::MissingFinger;
use permitkit_station::pipeline::{
    self, CardDecision, CardReview, EnrolRequest, Event, Observer, PortraitReview, PreviewFrame,
    Station,
};

use super::handoff::BureauHandoff;
use super::restore::operator_file;
use super::screen_pad::{DeskFactory, SCREEN_TIMEOUT};
use crate::card_screen::CardSheet;
use crate::enrolment::{Enrolment, State};
use crate::error::ServeError;
use crate::photo_screen;

/// What the thread needs to open the station.
pub(super) struct Setup {
    pub registry: Registry,
    pub station: String,
    pub pki: PathBuf,
    pub journal: PathBuf,
    pub out: PathBuf,
    pub feeder: Option<PathBuf>,
    pub bureau: Option<Arc<dyn BureauHandoff>>,
    pub drill_card_pull_after: Option<u64>,
}

/// One enrolment to run.
pub(super) struct Job {
    pub enrolment: Arc<Enrolment>,
    /// The applicant file.
    pub applicant: PathBuf,
    /// The file is the server's own copy (in the spool folder), removed once the enrolment is
    /// finished; `false` for an enrolment `enroll` began on the operator's file.
    pub spooled: bool,
    pub operator: String,
    /// The journal id of the enrolment to continue.
    pub resume: Option<String>,
    /// The enrolment had reached the card: present the same card again.
    pub same_card: bool,
    /// Fingers declared missing, their exceptions approved.
    pub missing: Vec<MissingFinger>,
}

/// Removes a spooled applicant file and the operator file beside it.
pub(super) fn unspool(id: &str, applicant: &std::path::Path) {
    for path in [
        applicant.to_path_buf(),
        operator_file(applicant),
        crate::exceptions::file_beside(applicant),
    ] {
        if let Err(e) = std::fs::remove_file(&path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(enrolment = %id, "the applicant file was not removed: {e}");
        }
    }
}

/// Starts the station thread; returns once the station opened (or why it did not).
pub(super) fn start(setup: Setup) -> Result<mpsc::Sender<Job>, ServeError> {
    let (jobs, queue) = mpsc::channel::<Job>();
    let (ready, opened) = mpsc::channel::<Result<(), ServeError>>();
    std::thread::Builder::new()
        .name("station".into())
        .spawn(move || {
            let station = match open(&setup) {
                Ok(s) => s,
                Err(e) => {
                    let _ = ready.send(Err(e));
                    return;
                }
            };
            if ready.send(Ok(())).is_err() {
                return;
            }
            run(station, &setup, &queue);
        })
        .map_err(ServeError::Thread)?;
    opened.recv().map_err(|_| ServeError::ThreadGone)??;
    Ok(jobs)
}

fn factory(setup: &Setup, present: Present) -> Result<Box<dyn DeviceFactory>, ServeError> {
    let factory = SelectorFactory::new(setup.registry.clone())
        .with_card_pull_after(setup.drill_card_pull_after);
    Ok(match &setup.feeder {
        Some(dir) => {
            let feeder = CardFeeder::open(dir).map_err(|source| ServeError::CardFeeder {
                dir: dir.clone(),
                source,
            })?;
            Box::new(factory.with_card_feeder(feeder, present))
        }
        None => Box::new(factory),
    })
}

fn open(setup: &Setup) -> Result<Station, ServeError> {
    Station::open(
        setup.registry.clone(),
        &setup.station,
        &setup.pki,
        Some(&setup.journal),
        factory(setup, Present::Blank)?,
    )
    .map_err(|source| ServeError::Station {
        station: setup.station.clone(),
        source: Box::new(source),
    })
}

fn run(mut station: Station, setup: &Setup, queue: &mpsc::Receiver<Job>) {
    // The enrolment before: its portrait is shown until the next one begins.
    let mut previous: Option<Arc<Enrolment>> = None;
    while let Ok(job) = queue.recv() {
        if let Some(p) = previous.replace(Arc::clone(&job.enrolment)) {
            p.photo.forget_portrait();
        }
        let started = job
            .enrolment
            .transition(|s| (*s == State::Queued).then_some(State::Running { step: None }));
        if started.is_err() {
            continue; // abandoned while queued
        }
        // A fresh blank card for every new enrolment, as `enroll` takes one; the same card
        // again for one resumed after it reached the card, as `enroll --resume` presents it.
        let present = if job.same_card {
            Present::Same
        } else {
            Present::Blank
        };
        match factory(setup, present) {
            Ok(f) => {
                station.factory = Box::new(DeskFactory {
                    inner: f,
                    enrolment: Arc::clone(&job.enrolment),
                });
            }
            Err(e) => {
                tracing::error!(enrolment = %job.enrolment.id, "card feeder: {e}");
                job.enrolment.set_state(State::Failed {
                    step: pipeline::Step::Personalize,
                    error: e.to_string(),
                    cause: Some(Cause::CardReader),
                });
                continue;
            }
        }
        let state = run_one(&mut station, setup, &job);
        // The applicant file goes before the state is published as final.
        let finished = !matches!(state, State::Failed { .. });
        if finished && job.spooled {
            unspool(&job.enrolment.id, &job.applicant);
        }
        job.enrolment.set_state(state);
    }
}

/// The pipeline's observer for one enrolment: events to its log, the photo step's frames and
/// portrait to its photo screen (memory only), and — with the station profile's
/// `[web] photo_review` — each portrait taken to the operator to keep or retake, and with
/// `[web] review_before_card` the card, before it is written, to the operator to confirm.
struct DeskObserver<'a> {
    enrolment: &'a Enrolment,
    review: bool,
    review_card: bool,
}

impl Observer for DeskObserver<'_> {
    fn event(&mut self, event: &Event) {
        if let Event::StepStarted { step } = event {
            tracing::info!(enrolment = %self.enrolment.id, %step, "step started");
        }
        self.enrolment.push(event);
    }

    fn preview(&mut self, frame: &PreviewFrame<'_>) {
        match photo_screen::encode(frame) {
            Ok(jpeg) => self.enrolment.photo.show(jpeg, frame.needed),
            Err(e) => {
                tracing::warn!(enrolment = %self.enrolment.id, "preview frame not encoded: {e}")
            }
        }
    }

    fn portrait(&mut self, jpeg: &SecretBytes) {
        self.enrolment.photo.keep_portrait(jpeg);
        self.enrolment.touch();
    }

    fn review_portrait(&mut self, jpeg: &SecretBytes) -> PortraitReview {
        if !self.review {
            return PortraitReview::Keep;
        }
        let e = self.enrolment;
        e.photo.end_live();
        let decision = e.photo.await_review(jpeg, SCREEN_TIMEOUT, || e.touch());
        tracing::info!(enrolment = %e.id, ?decision, "portrait reviewed");
        e.touch();
        decision
    }

    fn review_card(&mut self, review: &CardReview<'_>) -> CardDecision {
        if !self.review_card {
            return CardDecision::NotAsked;
        }
        let e = self.enrolment;
        // The portrait shown is DG2's own.
        if let Some(jpeg) = review.portrait_jpeg() {
            e.photo.keep_portrait(&jpeg);
        }
        let decision = e
            .card
            .await_decision(CardSheet::of(review), SCREEN_TIMEOUT, || e.touch());
        let outcome = match &decision {
            CardDecision::Write { .. } => "write",
            CardDecision::Stop { .. } => "stop",
            _ => "undecided",
        };
        tracing::info!(enrolment = %e.id, outcome, "card reviewed");
        e.touch();
        decision
    }
}

/// Runs one enrolment to its end state.
fn run_one(station: &mut Station, setup: &Setup, job: &Job) -> State {
    let request = EnrolRequest {
        applicant: job.applicant.clone(),
        out: setup.out.clone(),
        operator: job.operator.clone(),
        missing_fingers: job.missing.clone(),
        lock: true,
        resume: job.resume.clone(),
    };
    let mut observer = DeskObserver {
        enrolment: &job.enrolment,
        review: station.profile.web.photo_review,
        review_card: station.profile.web.review_before_card,
    };
    let stopped = |e: pipeline::EnrolError| {
        tracing::warn!(enrolment = %job.enrolment.id, step = %e.step, "enrolment stopped");
        State::Failed {
            step: e.step,
            error: e.report(),
            cause: Some(e.source.cause()),
        }
    };
    if let Some(bureau) = &setup.bureau {
        let captured = match pipeline::capture(station, &request, &mut observer) {
            Ok(c) => c,
            Err(e) => return stopped(e),
        };
        return match bureau.queue(&mut station.journal, &captured) {
            Ok(url) => {
                tracing::info!(enrolment = %job.enrolment.id, bureau = %url, "queued for the bureau");
                State::ForBureau
            }
            Err(e) => {
                tracing::warn!(enrolment = %job.enrolment.id, "not queued for the bureau: {e}");
                State::Failed {
                    step: pipeline::Step::Signature,
                    error: format!("sealing the application for the bureau: {e}"),
                    cause: Some(Cause::Storage),
                }
            }
        };
    }
    match pipeline::enroll(station, &request, &mut observer) {
        Ok(summary) if summary.issued => State::Issued,
        Ok(_) => State::PersonalizedNotIssued,
        Err(e) => stopped(e),
    }
}
