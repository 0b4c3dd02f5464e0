//! The API's own description: `GET /api/v1/openapi.json` (OpenAPI 3.1, generated from the
//! handlers and types) and `GET /api/docs`, a reference page drawn by Redoc from that document.
//! Redoc's standalone bundle comes from its npm package at build time (`cargo xtask site`, which
//! pins the version and checks the file's SHA-256) and is embedded with the other assets; the
//! page loads nothing from elsewhere.

use crate::web::AppState;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::OnceLock;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Where the reference page is.
pub const PAGE: &str = "/api/docs";

/// The document as served (written once, when the router is built).
static DOCUMENT: OnceLock<String> = OnceLock::new();

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(openapi_json))
}

/// Keeps the serialised document for [`openapi_json`].
pub fn publish(doc: &utoipa::openapi::OpenApi) {
    let _ = DOCUMENT.set(doc.to_pretty_json().unwrap_or_else(|_| "{}".into()));
}

/// This document (no token needed).
#[utoipa::path(get, path = "/openapi.json", tag = "meta", security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")))]
async fn openapi_json() -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        DOCUMENT.get().cloned().unwrap_or_else(|| "{}".into()),
    )
        .into_response()
}

/// `GET /api/docs`: the reference page. Its policy allows the bundle's styles and its search
/// worker (a `blob:` worker), nothing from elsewhere.
pub async fn page(State(state): State<AppState>) -> Response {
    let Some(script) = state.assets.api_reference() else {
        return (
            StatusCode::NOT_FOUND,
            "The API reference page was not built into this binary; the document is at /api/v1/openapi.json.",
        )
            .into_response();
    };
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">\
         <title>LicenseDesk API reference</title></head>\
         <body><redoc spec-url=\"/api/v1/openapi.json\" hide-hostname=\"true\" \
         native-scrollbars=\"true\"></redoc><script src=\"{script}\"></script></body></html>"
    );
    let mut res = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; font-src 'self' data:; worker-src blob:; connect-src 'self'; \
             object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
        ),
    );
    res
}
