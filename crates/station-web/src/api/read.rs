//! `GET /api/v1/enrolments/{id}`: the enrolment's state (`queued`, `running` with its step,
//! `issued`, `personalized-not-issued`, `failed` with the step and error, `abandoned`), its
//! journal id once recorded, and how many events it has.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};

use super::error;
use crate::desk::Desk;

pub(super) async fn read(State(desk): State<Arc<Desk>>, Path(id): Path<String>) -> Response {
    match desk.enrolment(&id) {
        Some(e) => Json(e.snapshot()).into_response(),
        None => error(StatusCode::NOT_FOUND, "no such enrolment"),
    }
}
