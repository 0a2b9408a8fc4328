//! `POST /api/v1/enrolments/{id}/abandon` with `{"reason": "…"}`: a queued enrolment never
//! runs; a failed one is abandoned in the journal (captures, ChipImage and chip keys deleted,
//! the client and the reason journaled). A running, issued or already abandoned one: 409.

use std::sync::Arc;

use axum::{
    Extension, Json,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{Client, error};
use crate::applicant_json::FieldError;
use crate::desk::{AbandonError, Desk};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    reason: String,
}

pub(super) async fn abandon(
    State(desk): State<Arc<Desk>>,
    Extension(client): Extension<Client>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let reason = match serde_json::from_slice::<Body>(&body) {
        Ok(b) => b.reason,
        Err(e) => {
            let errors = vec![FieldError::new("reason", e.to_string())];
            return (StatusCode::UNPROCESSABLE_ENTITY, Json(errors)).into_response();
        }
    };
    let operator = format!("api:{}", client.0);
    let outcome =
        tokio::task::spawn_blocking(move || desk.abandon(&id, &operator, &reason).map(|_| id))
            .await;
    match outcome {
        Ok(Ok(id)) => Json(serde_json::json!({ "id": id, "state": "abandoned" })).into_response(),
        Ok(Err(AbandonError::NotFound(_))) => error(StatusCode::NOT_FOUND, "no such enrolment"),
        Ok(Err(AbandonError::Reason)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(vec![FieldError::new(
                "reason",
                AbandonError::Reason.to_string(),
            )]),
        )
            .into_response(),
        Ok(Err(e @ AbandonError::State(_))) => error(StatusCode::CONFLICT, e.to_string()),
        Ok(Err(e)) => {
            tracing::error!("abandoning an enrolment: {e}");
            error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
        }
        Err(e) => {
            tracing::error!("abandoning an enrolment: {e}");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the request did not finish",
            )
        }
    }
}
