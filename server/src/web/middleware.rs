//! Middleware: request ids and tracing, security headers, CSRF protection, session resolution
//! and the deny-by-default guard in front of server functions.

use super::{AppState, rest};
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

/// The policy of pages that Leptos did not render (error pages, plain answers): no script at
/// all. Rendered pages carry their own, with the request's nonce (`app::api::ssr::csp_nonce`).
const FALLBACK_CSP: &str = "default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
     form-action 'self'";

/// Security headers on every answer: no sniffing or framing, a Content-Security-Policy, a
/// Permissions-Policy that turns off what the portal never uses, HSTS when served over HTTPS,
/// and `Cache-Control: no-store` on everything but the hashed assets (signed-in pages and API
/// answers must not stay in shared or browser caches).
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let cacheable = {
        let path = req.uri().path();
        path.starts_with("/pkg/") || path == "/favicon.svg"
    };
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert(
        "permissions-policy",
        HeaderValue::from_static(
            "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), \
             bluetooth=(), interest-cohort=()",
        ),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(FALLBACK_CSP),
        );
    }
    if state.https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    if !cacheable {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// The largest body a server function accepts (axum's default body limit).
pub const SERVER_FN_BODY_LIMIT: usize = 2 * 1024 * 1024;

fn too_large() -> Response {
    let error = ApiError::BadRequest(format!(
        "the request is too large (at most {} MB)",
        SERVER_FN_BODY_LIMIT / (1024 * 1024)
    ));
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_string(&error).unwrap_or_default(),
    )
        .into_response()
}

/// Client errors stay client errors. A server function whose arguments cannot be read fails
/// before its own code runs, and the server-function layer answers such failures with 500; here
/// the answer's status becomes the one its `ApiError` means (400 for arguments that do not
/// decode, 413 for a body over the limit). Real server faults (`ApiError::Internal`) keep 500.
pub async fn api_client_errors(req: Request, next: Next) -> Response {
    // The REST API answers its own errors as problems (`rest::problem::normalise`).
    if !req.uri().path().starts_with("/api/") || req.uri().path().starts_with(rest::PREFIX) {
        return next.run(req).await;
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let upload_route = {
        let path = req.uri().path();
        path.starts_with("/api/directory/import/") || path == "/api/licenses/upload"
    };
    if !upload_route && declared.is_some_and(|n| n > SERVER_FN_BODY_LIMIT) {
        return too_large();
    }
    let res = next.run(req).await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (parts.status, "").into_response();
    };
    match serde_json::from_slice::<ApiError>(&bytes) {
        Ok(ApiError::BadRequest(m)) if m.contains("length limit exceeded") => too_large(),
        Ok(err) if err.status() != 500 => {
            parts.status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST);
            Response::from_parts(parts, axum::body::Body::from(bytes))
        }
        _ => Response::from_parts(parts, axum::body::Body::from(bytes)),
    }
}

/// Refuses cross-site state-changing requests. Browsers send `Sec-Fetch-Site` (and `Origin`) with
/// every POST, so a form or fetch from another site is recognised and refused; same-origin
/// requests and non-browser clients (which carry no ambient cookies) pass.
pub async fn csrf(req: Request, next: Next) -> Response {
    // The REST API authenticates by bearer token only, which a browser never adds by itself.
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || req.uri().path().starts_with(rest::PREFIX)
    {
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

/// The client's address. Behind `trusted` reverse proxies (`--trust-proxy`), each proxy appends
/// the address it saw to `X-Forwarded-For`, so the client is the `trusted`-th entry from the
/// right; whatever stands left of it was written by the client and is ignored. A header with
/// fewer entries, or an entry that is not an IP address, falls back to the connection's peer.
fn client_ip(req: &Request, trusted_proxies: usize) -> String {
    let peer = || {
        req.extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".to_string())
    };
    if trusted_proxies == 0 {
        return peer();
    }
    let hops: Vec<String> = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|h| h.trim().to_string())
        .collect();
    forwarded_client(&hops, trusted_proxies).unwrap_or_else(peer)
}

fn forwarded_client(hops: &[String], trusted_proxies: usize) -> Option<String> {
    let hop = hops.len().checked_sub(trusted_proxies).map(|i| &hops[i])?;
    hop.parse::<std::net::IpAddr>()
        .ok()
        .map(|ip| ip.to_string())
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
        client_ip: client_ip(&req, state.trusted_proxies()),
        request_id,
    };
    if req.uri().path().starts_with(rest::PREFIX) {
        // The REST API: an API token or nobody. The session cookie never counts there, so a
        // page on another site cannot make a signed-in browser change anything through it.
        if let Some(value) = req.headers().get(header::AUTHORIZATION) {
            let refuse = |detail: &str, request_id: &str| {
                rest::problem::Problem::new("unauthenticated", detail)
                    .with_request_id(Some(request_id.to_string()))
                    .into_response()
            };
            let secret = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim);
            let Some(secret) = secret else {
                return refuse(
                    "Send the API token as Authorization: Bearer <token>.",
                    &caller.request_id,
                );
            };
            match state
                .services
                .resolve_api_token(secret, &caller.client_ip)
                .await
            {
                Ok(Ok(admin)) => caller.admin = Some(admin),
                Ok(Err(refused)) => return refuse(refused.message(), &caller.request_id),
                Err(e) => {
                    tracing::error!(error = %e, "API token lookup failed");
                    return rest::problem::Problem::new(
                        "unavailable",
                        "The database is not reachable.",
                    )
                    .with_request_id(Some(caller.request_id.clone()))
                    .into_response();
                }
            }
        }
    } else if let Some(token) =
        cookie_value(req.headers(), SESSION_COOKIE).filter(|t| !t.is_empty())
    {
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
    let anonymous = req
        .extensions()
        .get::<Caller>()
        .is_none_or(|c| c.admin.is_none());
    if path.starts_with(rest::PREFIX) {
        if !rest::PUBLIC.contains(&path) && anonymous {
            let request_id = req
                .extensions()
                .get::<Caller>()
                .map(|c| c.request_id.clone());
            return rest::problem::Problem::new(
                "unauthenticated",
                "Send an API token as Authorization: Bearer <token> (Settings → API tokens).",
            )
            .with_request_id(request_id)
            .into_response();
        }
    } else if path.starts_with("/api/")
        && path != rest::docs::PAGE
        && !app::api::PUBLIC_ENDPOINTS.contains(&path)
        && anonymous
    {
        let body = serde_json::to_string(&ApiError::Unauthenticated).unwrap_or_default();
        return (
            StatusCode::UNAUTHORIZED,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response();
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
    fn forwarded_for_takes_the_rightmost_untrusted_hop() {
        let hops =
            |s: &str| -> Vec<String> { s.split(',').map(|h| h.trim().to_string()).collect() };
        // The client wrote "1.2.3.4"; our one proxy appended the address it really saw.
        assert_eq!(
            forwarded_client(&hops("1.2.3.4, 203.0.113.7"), 1).as_deref(),
            Some("203.0.113.7")
        );
        // Two proxies: the second appended the first's address.
        assert_eq!(
            forwarded_client(&hops("6.6.6.6, 203.0.113.7, 10.0.0.2"), 2).as_deref(),
            Some("203.0.113.7")
        );
        assert_eq!(forwarded_client(&hops("203.0.113.7"), 2), None);
        assert_eq!(forwarded_client(&hops("not-an-ip"), 1), None);
        assert_eq!(
            forwarded_client(&hops("2001:db8::1"), 1).as_deref(),
            Some("2001:db8::1")
        );
    }

    #[test]
    fn cookies() {
        let h = headers(&[("cookie", "a=1; ld_session=abc; ld_lang=nl")]);
        assert_eq!(cookie_value(&h, "ld_session"), Some("abc"));
        assert_eq!(cookie_value(&h, "ld_lang"), Some("nl"));
        assert_eq!(cookie_value(&h, "x"), None);
    }
}
