//! The station thread: opens the [`Station`] (its device factory is not `Send`, so the station
//! lives and dies on this one thread) and runs the queued enrolments one at a time through
//! [`pipeline::enroll`], publishing each event to the enrolment.

use std::{
    path::PathBuf,
    sync::{Arc, mpsc},
};

use permitkit_devices::card_feeder::{CardFeeder, Present};
use permitkit_devices::factory::{DeviceFactory, SelectorFactory};
use permitkit_model::profiles::Registry;
use permitkit_station::pipeline::{self, EnrolRequest, Event, Station};

use crate::enrolment::{Enrolment, State};
use crate::error::ServeError;

/// What the thread needs to open the station.
pub(super) struct Setup {
    pub registry: Registry,
    pub station: String,
    pub pki: PathBuf,
    pub journal: PathBuf,
    pub out: PathBuf,
    pub feeder: Option<PathBuf>,
}

/// One enrolment to run.
pub(super) struct Job {
    pub enrolment: Arc<Enrolment>,
    pub applicant: PathBuf,
    pub operator: String,
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
    let factory = SelectorFactory::new(setup.registry.clone());
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
    while let Ok(job) = queue.recv() {
        let started = job
            .enrolment
            .transition(|s| (*s == State::Queued).then_some(State::Running { step: None }));
        if started.is_err() {
            continue; // abandoned while queued
        }
        // A fresh blank card for every new enrolment, as `enroll` takes one.
        match factory(setup, Present::Blank) {
            Ok(f) => station.factory = f,
            Err(e) => {
                tracing::error!(enrolment = %job.enrolment.id, "card feeder: {e}");
                job.enrolment.set_state(State::Failed {
                    step: pipeline::Step::Personalize,
                    error: e.to_string(),
                });
                continue;
            }
        }
        let request = EnrolRequest {
            applicant: job.applicant.clone(),
            out: setup.out.clone(),
            operator: job.operator.clone(),
            missing_fingers: Vec::new(),
            lock: true,
            resume: None,
        };
        let enrolment = Arc::clone(&job.enrolment);
        let mut observer = |event: &Event| {
            if let Event::StepStarted { step } = event {
                tracing::info!(enrolment = %enrolment.id, %step, "step started");
            }
            enrolment.push(event);
        };
        let outcome = pipeline::enroll(&mut station, &request, &mut observer);
        let state = match outcome {
            Ok(summary) if summary.issued => State::Issued,
            Ok(_) => State::PersonalizedNotIssued,
            Err(e) => {
                tracing::warn!(enrolment = %job.enrolment.id, step = %e.step, "enrolment stopped");
                State::Failed {
                    step: e.step,
                    error: e.report(),
                }
            }
        };
        // The applicant file goes before the state is published as final.
        let finished = !matches!(state, State::Failed { .. });
        if finished && let Err(e) = std::fs::remove_file(&job.applicant) {
            tracing::warn!(enrolment = %job.enrolment.id, "the applicant file was not removed: {e}");
        }
        job.enrolment.set_state(state);
    }
}
