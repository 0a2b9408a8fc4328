//! The integration API, version 1 (`/api/v1`), for the migration service's information system:
//! create an enrolment from applicant data, read its state, stream its events (Server-Sent
//! Events, WHATWG HTML §9.2), abandon it. Described by the OpenAPI 3.0 document
//! `api/openapi.json`, served at [`OPENAPI_PATH`]; [`ROUTES`] lists what the router serves and
//! a test checks the two agree.
//!
//! Every route but the document needs `Authorization: Bearer <token>` (RFC 6750 §2.1) with a
//! token of the station profile; without one it answers 401 with `WWW-Authenticate: Bearer`
//! (RFC 6750 §3). Bodies are limited to [`MAX_BODY`] bytes (413 past it). Errors are JSON:
//! `{"error": "…"}`, or for invalid data (422) a list of `{"field", "message"}`.

mod abandon;
mod create;
mod openapi;
mod read;
mod stream;

use std::sync::Arc;

use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};

use crate::desk::Desk;

pub use stream::{Describe, sse_response, sse_response_described};

/// The largest request body accepted, bytes (an applicant file is a few hundred).
pub const MAX_BODY: usize = 64 * 1024;

/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";

/// Every route of the API: method and path as the OpenAPI document writes them.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/api/v1/openapi.json"),
    ("post", "/api/v1/enrolments"),
    ("get", "/api/v1/enrolments/{id}"),
    ("get", "/api/v1/enrolments/{id}/events"),
    ("post", "/api/v1/enrolments/{id}/abandon"),
];

/// The client a valid token names (journaled as the operator, `api:<name>`).
#[derive(Debug, Clone)]
pub struct Client(pub String);

/// The API's routes over `desk`.
pub fn router(desk: Arc<Desk>) -> Router {
    let guarded = Router::new()
        .route("/api/v1/enrolments", post(create::create))
        .route("/api/v1/enrolments/{id}", get(read::read))
        .route("/api/v1/enrolments/{id}/events", get(stream::events))
        .route("/api/v1/enrolments/{id}/abandon", post(abandon::abandon))
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&desk),
            authenticate,
        ));
    Router::new()
        .route(OPENAPI_PATH, get(openapi::document))
        .merge(guarded)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(desk)
}

/// `{"error": message}` with `status`.
pub fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

async fn authenticate(State(desk): State<Arc<Desk>>, mut request: Request, next: Next) -> Response {
    let client = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| desk.tokens().authenticate(v.as_bytes()))
        .map(str::to_owned);
    let Some(client) = client else {
        let mut response = error(StatusCode::UNAUTHORIZED, "a valid bearer token is needed");
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"permitkit\""),
        );
        return response;
    };
    request.extensions_mut().insert(Client(client));
    next.run(request).await
}
