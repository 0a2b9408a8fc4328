//! # permitkit-station-web
//!
//! `permitkit station serve`: the enrollment station as a local web server (issue 14), over the
//! very same [`permitkit_station::pipeline::enroll`], journal and device code as
//! `permitkit enroll`.
//!
//! - [`desk`]: the station's one desk — its [`Station`](permitkit_station::pipeline::Station)
//!   owned by one thread that runs one enrolment at a time, the enrolments the server knows
//!   (rebuilt from the journal when it starts), idempotent creation, resume, the hand-over to
//!   the central bureau, the signature drawn on screen as the signature step's pad.
//! - [`enrolment`]: one enrolment as the server tracks it — its state and its event log, whose
//!   [`Event`](permitkit_station::pipeline::Event)s fan out to every subscriber.
//! - [`applicant_json`]: the applicant file's schema as JSON, validated exactly as the TOML
//!   file is, every problem a `{field, message}`.
//! - [`exceptions`]: fingers declared missing or unusable before the start, each waiting for
//!   a supervisor's approval; approved, they are the pipeline's declared missing fingers.
//! - [`photo_screen`]: the photo step as the operator sees it — the live preview with the
//!   face box, eye line and crop frame drawn over it, the portrait kept for DG2, the keep or
//!   retake of each portrait — in memory only.
//! - [`signature_upload`]: the signature drawn on screen as it arrives — a bounded PNG with
//!   enough ink to be a signature, every refusal typed.
//! - [`sign_in_limit`]: wrong passwords lock a login for a while, the count kept beside the
//!   journal across restarts.
//! - [`tokens`]: bearer tokens of the integration API (RFC 6750), kept as SHA-256 digests and
//!   compared in constant time.
//! - [`api`]: the integration API under `/api/v1`, described by `openapi.json` (OpenAPI 3.0).
//! - [`ui`]: the operator screens — sign-in, sessions, CSRF, start, applicant data with the
//!   MRZ preview, progress, done, journal — in Ukrainian or English.
//! - [`server`]: the router and the listener (loopback by default).
//! - [`error`]: the typed errors of starting the server.
//!
//! Nothing personal is logged: logs name journal ids, steps and states, never names, dates,
//! document numbers, tokens or biometric data.
#![forbid(unsafe_code)]

pub mod api;
pub mod applicant_json;
pub mod awaited;
pub mod card_screen;
pub mod desk;
pub mod enrolment;
pub mod error;
pub mod exceptions;
pub mod photo_screen;
pub mod server;
pub mod sign_in_limit;
pub mod signature_upload;
pub mod tokens;
pub mod ui;

pub use desk::{BureauHandoff, Desk, DeskConfig};
pub use error::ServeError;
pub use server::{Ready, router, serve};
