//! `POST /api/v1/enrolments`: a new enrolment from applicant data (the applicant file's schema
//! as JSON), validated as `permitkit enroll` validates the file. 201 and the enrolment when
//! queued; 200 and the same enrolment for a retry of the same request; 409 when the
//! application or document number is taken by different data; 422 with the field errors.

use std::sync::Arc;

use axum::{
    Extension, Json,
    body::Bytes,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};

use super::{Client, error};
use crate::desk::{CreateError, Created, Desk};

pub(super) async fn create(
    State(desk): State<Arc<Desk>>,
    Extension(client): Extension<Client>,
    body: Bytes,
) -> Response {
    let operator = format!("api:{}", client.0);
    let outcome = tokio::task::spawn_blocking(move || desk.create(&body, &operator)).await;
    match outcome {
        Ok(Ok(Created::New(e))) => {
            let location = format!("/api/v1/enrolments/{}", e.id);
            (
                StatusCode::CREATED,
                [(header::LOCATION, location)],
                Json(e.snapshot()),
            )
                .into_response()
        }
        Ok(Ok(Created::Retry(e))) => (StatusCode::OK, Json(e.snapshot())).into_response(),
        Ok(Err(CreateError::Invalid(errors))) => {
            (StatusCode::UNPROCESSABLE_ENTITY, Json(errors)).into_response()
        }
        Ok(Err(CreateError::Conflict(m))) => error(StatusCode::CONFLICT, m),
        Ok(Err(e)) => {
            tracing::error!("creating an enrolment: {e}");
            error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
        }
        Err(e) => {
            tracing::error!("creating an enrolment: {e}");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the request did not finish",
            )
        }
    }
}
