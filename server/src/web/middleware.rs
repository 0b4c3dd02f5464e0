//! Middleware: request ids and tracing, security headers, CSRF protection, session resolution
//! and the deny-by-default guard in front of server functions.

use super::AppState;
use crate::admin::SESSION_COOKIE;
use app::api::ssr::Caller;
use app::domain::ApiError;
use app::i18n::Lang;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

pub const LANG_COOKIE: &str = "ld_lang";
static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Request id (generated, or kept from the proxy), a tracing span per request carrying it, and
/// the id echoed in the response.
pub fn observability(router: axum::Router) -> axum::Router {
    fn span(req: &Request) -> tracing::Span {
        let id = req
            .extensions()
            .get::<RequestId>()
            .and_then(|id| id.header_value().to_str().ok())
            .unwrap_or("-");
        tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
    }
    router
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panic_page))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(span as fn(&Request) -> tracing::Span))
        .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), MakeRequestUuid))
}

/// A panic in a handler becomes a logged error and a plain 500 page (never a dropped connection
/// or a stack trace in the response).
fn panic_page(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Something went wrong · LicenseDesk</title></head>\
         <body style=\"font-family:system-ui,sans-serif;text-align:center;margin-top:4rem\"><h1>Something went wrong</h1>\
         <p>The server could not complete the request. Try again; the error was logged.</p><p><a href=\"/\">Go to the dashboard</a></p></body></html>",
    )
        .into_response()
}

pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    res
}

/// Refuses cross-site state-changing requests. Browsers send `Sec-Fetch-Site` (and `Origin`) with
/// every POST, so a form or fetch from another site is recognised and refused; same-origin
/// requests and non-browser clients (which carry no ambient cookies) pass.
pub async fn csrf(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    if !same_origin(req.headers()) {
        tracing::warn!("refused a cross-site request");
        return (
            StatusCode::FORBIDDEN,
            "Cross-site request refused: submit the form from LicenseDesk itself.",
        )
            .into_response();
    }
    next.run(req).await
}

pub fn same_origin(headers: &HeaderMap) -> bool {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    match get("sec-fetch-site") {
        Some("same-origin") | Some("none") => return true,
        Some(_) => return false,
        None => {}
    }
    match (get("origin"), get("host")) {
        (None, _) => true,
        (Some("null"), _) => false,
        (Some(origin), Some(host)) => url::Url::parse(origin)
            .ok()
            .map(|u| {
                let origin_host = match u.port() {
                    Some(p) => format!("{}:{p}", u.host_str().unwrap_or_default()),
                    None => u.host_str().unwrap_or_default().to_string(),
                };
                origin_host.eq_ignore_ascii_case(host)
            })
            .unwrap_or(false),
        (Some(_), None) => false,
    }
}

fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn client_ip(req: &Request, trust_proxy: bool) -> String {
    if trust_proxy
        && let Some(first) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
    {
        return first.trim().to_string();
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

/// Resolves the session cookie and puts the [`Caller`] and the page language into the request.
pub async fn session(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or("-")
        .to_string();
    let mut caller = Caller {
        admin: None,
        session_id: None,
        client_ip: client_ip(&req, state.trust_proxy),
        request_id,
    };
    if let Some(token) = cookie_value(req.headers(), SESSION_COOKIE).filter(|t| !t.is_empty()) {
        match state.services.resolve_session(token).await {
            Ok(Some((admin, id))) => {
                caller.admin = Some(admin);
                caller.session_id = Some(id);
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!(error = %e, "session lookup failed");
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The database is not reachable.",
                )
                    .into_response();
            }
        }
    }
    let lang = cookie_value(req.headers(), LANG_COOKIE)
        .and_then(Lang::from_code)
        .unwrap_or_else(|| {
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .map(Lang::from_accept_language)
                .unwrap_or_default()
        });
    req.extensions_mut().insert(caller);
    req.extensions_mut().insert(lang);
    next.run(req).await
}

/// Deny by default: a server function that is not on the public list refuses anonymous callers
/// before its arguments are even read. Each function then checks the role itself.
pub async fn api_guard(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path.starts_with("/api/") && !app::api::PUBLIC_ENDPOINTS.contains(&path) {
        let anonymous = req
            .extensions()
            .get::<Caller>()
            .is_none_or(|c| c.admin.is_none());
        if anonymous {
            let body = serde_json::to_string(&ApiError::Unauthenticated).unwrap_or_default();
            return (
                StatusCode::UNAUTHORIZED,
                [(header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response();
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn csrf_rules() {
        assert!(same_origin(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(!same_origin(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(!same_origin(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(same_origin(&headers(&[
            ("origin", "http://127.0.0.1:3000"),
            ("host", "127.0.0.1:3000")
        ])));
        assert!(!same_origin(&headers(&[
            ("origin", "https://evil.example"),
            ("host", "127.0.0.1:3000")
        ])));
        assert!(!same_origin(&headers(&[
            ("origin", "null"),
            ("host", "127.0.0.1:3000")
        ])));
        // No browser headers at all: a script or curl, which carries no ambient cookies.
        assert!(same_origin(&headers(&[("host", "127.0.0.1:3000")])));
    }

    #[test]
    fn cookies() {
        let h = headers(&[("cookie", "a=1; ld_session=abc; ld_lang=nl")]);
        assert_eq!(cookie_value(&h, "ld_session"), Some("abc"));
        assert_eq!(cookie_value(&h, "ld_lang"), Some("nl"));
        assert_eq!(cookie_value(&h, "x"), None);
    }
}
