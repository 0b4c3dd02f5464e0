//! What every REST handler reads from a request: who is calling (and may they), JSON bodies
//! whose mistakes become problems (never a 500), `If-Match`, `Idempotency-Key`, the page cursor;
//! and how a page is answered (`next` in the body, a `Link` header).

use super::problem::Problem;
use app::api::ssr::{Actor, Caller, check};
use app::domain::{ApiError, Permission};
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The caller of a REST request (its API token, resolved by the session middleware).
pub struct Api(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for Api {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .map(Api)
            .ok_or_else(|| Problem::from(ApiError::Unauthenticated))
    }
}

impl Api {
    /// THE authorisation rule (the same function the server functions use).
    pub fn allow(&self, permission: Permission) -> Result<Actor, Problem> {
        check(&self.0, permission).map_err(Problem::from)
    }
}

/// A JSON body. A missing or wrong content type is 415, broken JSON 400, JSON of the wrong
/// shape 422 — each a problem naming what was wrong.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Body(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(Problem::new(
                "unsupported-media-type",
                "Send the body as JSON with Content-Type: application/json.",
            )),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(Problem::new(
                "bad-request",
                format!("The body is not valid JSON: {}", e.body_text()),
            )),
            Err(JsonRejection::JsonDataError(e)) => Err(Problem::new(
                "validation",
                format!(
                    "The body does not have the expected fields: {}",
                    e.body_text()
                ),
            )),
            Err(JsonRejection::BytesRejection(_)) => Err(Problem::new(
                "payload-too-large",
                "The body is too large or could not be read.",
            )),
            Err(e) => Err(Problem::new("bad-request", e.body_text())),
        }
    }
}

/// The `If-Match` header, when sent (compared with the entity tag under the row's lock).
pub struct IfMatch(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.headers.get(header::IF_MATCH) {
            None => Ok(IfMatch(None)),
            Some(v) => v
                .to_str()
                .map(|s| IfMatch(Some(s.to_string())))
                .map_err(|_| Problem::new("bad-request", "If-Match must be text.")),
        }
    }
}

/// The `Idempotency-Key` header, when sent (the same request again answers the first result).
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.headers.get("idempotency-key") {
            None => Ok(IdempotencyKey(None)),
            Some(v) => v
                .to_str()
                .map(|s| IdempotencyKey(Some(s.to_string())))
                .map_err(|_| {
                    Problem::from(ApiError::invalid(
                        "Idempotency-Key",
                        "An idempotency key is 1 to 100 letters, digits, - or _.",
                    ))
                }),
        }
    }
}

/// `?cursor=`: where a list continues (the `next` of the previous page; opaque).
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CursorQuery {
    /// The `next` value of the previous page; omit for the first page.
    pub cursor: Option<String>,
}

/// One page of a list: the items, the cursor of the next page (absent on the last), the total.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Paged<T> {
    pub items: Vec<T>,
    /// Pass as `?cursor=` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// How many items the whole list (with the same filters) holds, where the list counts them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
}

impl<T> Paged<T> {
    /// A list the backend answers whole: one page, counted.
    pub fn whole(items: Vec<T>) -> Paged<T> {
        let total = Some(items.len() as i64);
        Paged {
            items,
            next: None,
            total,
        }
    }
}

impl<T> From<app::domain::directory::ListPage<T>> for Paged<T> {
    fn from(p: app::domain::directory::ListPage<T>) -> Paged<T> {
        Paged {
            items: p.items,
            next: p.next,
            total: Some(p.total),
        }
    }
}

/// Answers a page: `next` in the body, and a `Link: <…>; rel="next"` header with the same query
/// (filters kept) and the cursor replaced.
pub fn page<T: Serialize>(uri: &axum::http::Uri, page: Paged<T>) -> Response {
    let link = page.next.as_ref().map(|next| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
            if k != "cursor" {
                query.append_pair(&k, &v);
            }
        }
        query.append_pair("cursor", next);
        format!("<{}?{}>; rel=\"next\"", uri.path(), query.finish())
    });
    let mut res = axum::Json(page).into_response();
    if let Some(v) = link.and_then(|l| HeaderValue::from_str(&l).ok()) {
        res.headers_mut().insert(header::LINK, v);
    }
    res
}

/// Answers one resource with its entity tag.
pub fn tagged<T: Serialize>(tag_of: &impl Serialize, body: T) -> Response {
    let mut res = axum::Json(body).into_response();
    if let Ok(v) = HeaderValue::from_str(&crate::core::etag::of(tag_of)) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}

/// `201 Created` with `Location`.
pub fn created<T: Serialize>(location: String, body: T) -> Response {
    let mut res = (axum::http::StatusCode::CREATED, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}
