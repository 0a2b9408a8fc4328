//! # permitkit-bureau
//!
//! The central issuance bureau (issue 16): stations enrol applicants and send application
//! packages here; the bureau checks them with the station's own checks, signs the ChipImage
//! with its Document Signer, and queues a personalization job that one of many personalization
//! lines claims, writes, reads back, locks and reports — every card made exactly once.
//!
//! PostgreSQL is the system of record ([`db`], migrations in `crates/bureau/migrations/`):
//! - [`auth`]: requests signed with the P-256 key registered for a station or a line (method,
//!   path, time, nonce, body hash); stale, replayed or unregistered requests are refused.
//! - [`package`]: what a station sends; [`intake`] checks it and queues its job.
//! - [`server`]: the HTTP service (axum) and its Prometheus metrics; [`client`] the station side;
//!   [`outbox`] the station journal as an outbox: packages sealed and queued at enrolment,
//!   delivered with back-off, the bureau's status pulled back.
//! - [`queue`]: jobs claimed with `FOR UPDATE SKIP LOCKED` under a lease a crashed line loses;
//!   [`perso_journal`] the chip's personalization journal in the database, fenced by the lease;
//!   [`worker`] a personalization line, [`verify`] its independent check of each card; [`latency`] a contactless link's timing for virtual chips.
//! - [`status`]: queue depth, throughput per line, stuck jobs and the spoilt-card rate.
//! - [`throwaway`]: a throw-away PostgreSQL cluster for tests and demos; [`db_clock`] the time
//!   spent awaiting the database, for the load figures.
#![forbid(unsafe_code)]

pub mod auth;
pub mod checks;
pub mod client;
pub mod db;
pub mod db_clock;
pub mod error;
pub mod intake;
pub mod keys;
pub mod latency;
pub mod outbox;
pub mod package;
pub mod perso_journal;
pub mod queue;
pub mod refusal;
pub mod server;
pub mod status;
pub mod throwaway;
pub mod verify;
pub mod worker;

pub use error::BureauError;
