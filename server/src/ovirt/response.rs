//! What handlers answer: the object (or list) as an XML document with the content type the SDK
//! insists on, and the `<action>` document DELETE and actions return.

use super::xml::El;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// An XML answer with the content type the SDK insists on.
pub fn xml_response(status: StatusCode, el: &El) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/xml;charset=UTF-8"),
        )],
        el.to_document(),
    )
        .into_response()
}

pub fn ok(el: El) -> Response {
    xml_response(StatusCode::OK, &el)
}

pub fn created(el: El) -> Response {
    xml_response(StatusCode::CREATED, &el)
}

/// What DELETE and actions answer: the SDK requires 200 (never 204) and an `<action>` root.
pub fn action_complete() -> Response {
    ok(El::new("action").text("status", "complete"))
}
