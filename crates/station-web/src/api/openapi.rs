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

#[cfg(test)]
mod tests {
    use permitkit_station::cause::Cause;

    #[test]
    fn the_document_lists_every_failure_cause() {
        let doc: serde_json::Value = serde_json::from_str(include_str!("openapi.json")).unwrap();
        let listed: Vec<&str> = doc["components"]["schemas"]["Cause"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(serde_json::Value::as_str)
            .collect();
        let causes: Vec<&str> = Cause::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(listed, causes);
    }
}
