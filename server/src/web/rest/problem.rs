//! Errors of the REST API as `application/problem+json` (RFC 9457). Every error kind has a
//! stable `code` (also the last segment of `type`, which points at its explanation in the API
//! reference); a validation error names its `field`; every problem carries the request id.

use app::domain::ApiError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem as answered (boxed: it travels in every handler's `Err`).
#[derive(Debug)]
pub struct Problem(Box<ProblemDetails>);

impl std::ops::Deref for Problem {
    type Target = ProblemDetails;

    fn deref(&self) -> &ProblemDetails {
        &self.0
    }
}

impl std::ops::DerefMut for Problem {
    fn deref_mut(&mut self) -> &mut ProblemDetails {
        &mut self.0
    }
}

/// One problem (RFC 9457 members, then LicenseDesk's extension members).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "type": "/api/docs#problem-validation",
    "title": "A field broke a rule",
    "status": 422,
    "detail": "Display name must be 1 to 100 characters long.",
    "code": "validation",
    "field": "display_name",
    "request_id": "4b1c6f0e-8d3e-4f5e-9a51-0c2d1c3b7a10"
}))]
pub struct ProblemDetails {
    /// A URI reference naming the kind of problem; its last segment is `code`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind (the same for every problem of that kind).
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time, for a person to read.
    pub detail: String,
    /// The stable error code: what a script should branch on.
    pub code: String,
    /// The input field that broke a rule (validation errors only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Seconds to wait before trying again (429 and 503 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// The request's id (also in the `x-request-id` header and the server log).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// The stable codes and titles, one per kind of error. Listed in the API reference.
pub const KINDS: &[(&str, u16, &str)] = &[
    ("unauthenticated", 401, "No valid API token"),
    ("forbidden", 403, "The token's role does not allow this"),
    ("not-found", 404, "Not found"),
    ("method-not-allowed", 405, "Method not allowed"),
    ("conflict", 409, "Conflicts with the current state"),
    ("precondition-failed", 412, "Changed since it was read"),
    ("precondition-required", 428, "If-Match is required"),
    ("payload-too-large", 413, "The body is too large"),
    ("unsupported-media-type", 415, "Send JSON"),
    ("validation", 422, "A field broke a rule"),
    ("rate-limited", 429, "Too many requests"),
    ("bad-request", 400, "The request was not understood"),
    ("internal", 500, "Something went wrong on the server"),
    (
        "unavailable",
        503,
        "A service did not answer; nothing was changed",
    ),
];

impl Problem {
    /// A problem of one of the [`KINDS`].
    pub fn new(code: &str, detail: impl Into<String>) -> Problem {
        let (status, title) = KINDS
            .iter()
            .find(|(c, _, _)| *c == code)
            .map(|(_, s, t)| (*s, *t))
            .unwrap_or((500, "Something went wrong on the server"));
        Problem(Box::new(ProblemDetails {
            kind: format!("/api/docs#problem-{code}"),
            title: title.to_string(),
            status,
            detail: detail.into(),
            code: code.to_string(),
            field: None,
            retry_after: None,
            request_id: None,
        }))
    }

    pub fn with_request_id(mut self, id: Option<String>) -> Problem {
        self.request_id = id;
        self
    }
}

impl From<ApiError> for Problem {
    fn from(e: ApiError) -> Problem {
        let detail = e.to_string();
        match e {
            ApiError::Unauthenticated | ApiError::SignInFailed => {
                Problem::new("unauthenticated", detail)
            }
            ApiError::Forbidden => Problem::new("forbidden", detail),
            ApiError::Invalid { field, message } => {
                let mut p = Problem::new("validation", message);
                p.field = Some(field);
                p
            }
            ApiError::NotFound => Problem::new("not-found", detail),
            ApiError::Conflict(m) => Problem::new("conflict", m),
            ApiError::TooManyRequests { retry_after_secs } => {
                let mut p = Problem::new("rate-limited", detail);
                p.retry_after = Some(retry_after_secs);
                p
            }
            ApiError::Internal { .. } => Problem::new("internal", detail),
            ApiError::Unavailable(m) => {
                let mut p = Problem::new("unavailable", m);
                p.retry_after = Some(5);
                p
            }
            ApiError::BadRequest(m) => Problem::new("bad-request", m),
            ApiError::PreconditionFailed => Problem::new("precondition-failed", detail),
        }
    }
}

/// A validation error about `from` as the problem about `to`: a backend rule names the field
/// as the page's form does, the API's body may call it otherwise.
pub fn renamed(e: ApiError, from: &str, to: &str) -> Problem {
    match e {
        ApiError::Invalid { field, message } if field == from => {
            ApiError::invalid(to, message).into()
        }
        e => e.into(),
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry_after = self.retry_after;
        let unauthenticated = status == StatusCode::UNAUTHORIZED;
        let body = serde_json::to_vec(&*self.0).unwrap_or_default();
        let mut res = (status, [(header::CONTENT_TYPE, PROBLEM_JSON)], body).into_response();
        if let Some(secs) = retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if unauthenticated {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"LicenseDesk API\""),
            );
        }
        res
    }
}

/// Every error answered under `/api/v1` is a problem carrying the request id: problems from the
/// handlers get the id added; anything else (axum's 404/405, a path parameter that is not a
/// number, a body over the limit) is turned into the problem of its status.
pub async fn normalise(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON));
    let (parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, 256 * 1024)
        .await
        .unwrap_or_default();
    let mut problem = if is_problem {
        match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(mut v) => {
                if let (Some(obj), Some(id)) = (v.as_object_mut(), request_id.clone()) {
                    obj.insert("request_id".into(), serde_json::Value::String(id));
                }
                let mut out = Response::from_parts(parts, axum::body::Body::from(v.to_string()));
                out.headers_mut().remove(header::CONTENT_LENGTH);
                return out;
            }
            Err(_) => Problem::new("internal", "The error could not be described."),
        }
    } else {
        let text = String::from_utf8_lossy(&bytes).trim().to_string();
        let code = match status.as_u16() {
            400 => "bad-request",
            401 => "unauthenticated",
            403 => "forbidden",
            404 => "not-found",
            405 => "method-not-allowed",
            413 => "payload-too-large",
            415 => "unsupported-media-type",
            422 => "validation",
            429 => "rate-limited",
            503 => "unavailable",
            _ => "internal",
        };
        let detail = if text.is_empty() || code == "internal" {
            status
                .canonical_reason()
                .unwrap_or("Something went wrong")
                .to_string()
        } else {
            text
        };
        let mut p = Problem::new(code, detail);
        p.status = status.as_u16();
        p
    };
    problem.request_id = request_id;
    let mut out = problem.into_response();
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(v) = parts.headers.get(&name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    out
}

/// Any path under `/api/v1` that is not an API resource.
pub async fn not_found() -> Problem {
    Problem::new(
        "not-found",
        "There is no such resource in this API; see /api/docs.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_kind_has_a_stable_code_and_its_status() {
        let cases = [
            (ApiError::Unauthenticated, "unauthenticated"),
            (ApiError::Forbidden, "forbidden"),
            (ApiError::invalid("name", "Name is required."), "validation"),
            (ApiError::NotFound, "not-found"),
            (ApiError::Conflict("taken".into()), "conflict"),
            (
                ApiError::TooManyRequests {
                    retry_after_secs: 3,
                },
                "rate-limited",
            ),
            (
                ApiError::Internal {
                    reference: "r1".into(),
                },
                "internal",
            ),
            (ApiError::Unavailable("store".into()), "unavailable"),
            (ApiError::BadRequest("json".into()), "bad-request"),
            (ApiError::PreconditionFailed, "precondition-failed"),
        ];
        for (e, code) in cases {
            let status = e.status();
            let p = Problem::from(e);
            assert_eq!(p.code, code);
            assert_eq!(p.status, status, "{code}");
            assert!(p.kind.ends_with(code));
            assert!(KINDS.iter().any(|(c, s, _)| *c == code && *s == status));
        }
        let v =
            serde_json::to_value(&*Problem::from(ApiError::invalid("name", "Too long."))).unwrap();
        assert_eq!(v["type"], "/api/docs#problem-validation");
        assert_eq!(v["field"], "name");
        assert_eq!(v["detail"], "Too long.");
        assert!(v.get("retry_after").is_none());
    }
}
