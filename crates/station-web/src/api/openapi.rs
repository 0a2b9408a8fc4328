//! `GET /api/v1/openapi.json`: the API described in OpenAPI 3.0.3, written by hand next to the
//! routes (`openapi.json` in this folder) and embedded in the binary.

use axum::{
    http::header,
    response::{IntoResponse, Response},
};

/// The OpenAPI document.
pub const DOCUMENT: &str = include_str!("openapi.json");

pub(super) async fn document() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT).into_response()
}
