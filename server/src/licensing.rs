//! The volume licensing service (SPEC L-3): its JSON protocol, the connector LicenseDesk uses,
//! and the simulator (`licensedesk simulator`) that serves it for the demo and the tests.
//!
//! Protocol (JSON over HTTP):
//! - `POST /vls/v1/validate` `{"sets":[{"first":"…","second":"…"}]}` →
//!   `{"results":[{"first":"…","second":"…","valid":true}]}`
//! - `POST /vls/v1/entitlements` `{"sets":[…]}` →
//!   `{"entitlements":[{"first":"…","second":"…","products":[{"publisher":"…","product":"…","quantity":250}]}]}`
//! - Errors: 429/503 with `Retry-After` (seconds), or HTTP 200 with `{"errorNumber":…,"errorMessage":"…"}`
//!   — so every body is checked. At most [`MAX_SETS_PER_CALL`] sets per call.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

pub const MAX_SETS_PER_CALL: usize = 500;
pub const MAX_ATTEMPTS: u32 = 4;

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SetRef {
    pub first: String,
    pub second: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct SetsBody {
    sets: Vec<SetRef>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Validation {
    pub first: String,
    pub second: String,
    pub valid: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Product {
    pub publisher: String,
    pub product: String,
    pub quantity: i64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Entitlement {
    pub first: String,
    pub second: String,
    pub products: Vec<Product>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ServiceError {
    error_number: i64,
    /// An error number without a message is an error all the same.
    #[serde(default)]
    error_message: String,
}

// ---------------------------------------------------------------------------------------------
// Connector
// ---------------------------------------------------------------------------------------------

#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    #[error("the licensing service is not configured (set --licensing-url)")]
    NotConfigured,
    #[error("the licensing service did not answer after {attempts} attempts ({last})")]
    Unavailable { attempts: u32, last: String },
    #[error("the licensing service refused the request: error {number}: {message}")]
    Refused { number: i64, message: String },
}

/// The answer to `validate`.
#[derive(Deserialize)]
struct ValidateAnswer {
    results: Vec<Validation>,
}

/// The answer to `entitlements`.
#[derive(Deserialize)]
struct EntitlementsAnswer {
    entitlements: Vec<Entitlement>,
}

/// What a 200 answer of the service means.
#[derive(Debug)]
enum Reply<T> {
    /// The answer asked for.
    Answer(T),
    /// A "try again" error (9646 too many requests, 9603 internal error): its number.
    Retry(i64),
}

/// Reads the body of a 200 answer (attempt `attempt`): an error body is a refusal or, for
/// 9646/9603, worth a retry; anything else must be the answer `T`.
fn read_reply<T: for<'de> Deserialize<'de>>(
    text: &str,
    attempt: u32,
) -> Result<Reply<T>, ConnectorError> {
    if let Ok(err) = serde_json::from_str::<ServiceError>(text) {
        if err.error_number == 9646 || err.error_number == 9603 {
            Ok(Reply::Retry(err.error_number))
        } else {
            Err(ConnectorError::Refused {
                number: err.error_number,
                message: err.error_message,
            })
        }
    } else {
        serde_json::from_str(text)
            .map(Reply::Answer)
            .map_err(|e| ConnectorError::Unavailable {
                attempts: attempt,
                last: format!("unreadable answer: {e}"),
            })
    }
}

#[derive(Clone)]
pub struct Connector {
    base: String,
    http: reqwest::Client,
    /// Longest wait a `Retry-After` may ask for (the tests keep it short).
    pub max_retry_wait: Duration,
}

impl Connector {
    pub fn new(base: &str, timeout: Duration) -> Connector {
        Connector {
            base: base.trim_end_matches('/').to_string(),
            http: reqwest::Client::builder()
                .timeout(timeout)
                .build()
                .expect("an HTTP client without TLS always builds"),
            max_retry_wait: Duration::from_secs(30),
        }
    }

    /// One call with at most [`MAX_ATTEMPTS`] attempts: 429/5xx/timeouts and error 9646-style
    /// "too many requests" bodies are retried with back-off, honouring `Retry-After`.
    async fn call<T: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        body: &SetsBody,
    ) -> Result<T, ConnectorError> {
        let mut last = String::new();
        for attempt in 1..=MAX_ATTEMPTS {
            let wait = match self
                .http
                .post(format!("{}{path}", self.base))
                .json(body)
                .send()
                .await
            {
                Ok(res) if res.status().is_success() => {
                    let text = res.text().await.unwrap_or_default();
                    match read_reply(&text, attempt)? {
                        Reply::Answer(answer) => return Ok(answer),
                        Reply::Retry(number) => {
                            last = format!("error {number}");
                            Some(Duration::from_millis(200 * 2u64.pow(attempt)))
                        }
                    }
                }
                Ok(res)
                    if res.status() == StatusCode::TOO_MANY_REQUESTS
                        || res.status().is_server_error() =>
                {
                    last = format!("HTTP {}", res.status().as_u16());
                    let retry_after = res
                        .headers()
                        .get(header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<u64>().ok())
                        .map(Duration::from_secs);
                    Some(retry_after.unwrap_or(Duration::from_millis(200 * 2u64.pow(attempt))))
                }
                Ok(res) => {
                    return Err(ConnectorError::Refused {
                        number: i64::from(res.status().as_u16()),
                        message: "unexpected HTTP status".into(),
                    });
                }
                Err(e) => {
                    last = if e.is_timeout() {
                        "timed out".into()
                    } else {
                        "connection failed".into()
                    };
                    Some(Duration::from_millis(200 * 2u64.pow(attempt)))
                }
            };
            if attempt < MAX_ATTEMPTS
                && let Some(wait) = wait
            {
                tokio::time::sleep(wait.min(self.max_retry_wait)).await;
            }
        }
        Err(ConnectorError::Unavailable {
            attempts: MAX_ATTEMPTS,
            last,
        })
    }

    pub async fn validate(&self, sets: &[SetRef]) -> Result<Vec<Validation>, ConnectorError> {
        let mut out = vec![];
        for chunk in sets.chunks(MAX_SETS_PER_CALL) {
            let a: ValidateAnswer = self
                .call(
                    "/vls/v1/validate",
                    &SetsBody {
                        sets: chunk.to_vec(),
                    },
                )
                .await?;
            out.extend(a.results);
        }
        Ok(out)
    }

    pub async fn entitlements(&self, sets: &[SetRef]) -> Result<Vec<Entitlement>, ConnectorError> {
        let mut out = vec![];
        for chunk in sets.chunks(MAX_SETS_PER_CALL) {
            let a: EntitlementsAnswer = self
                .call(
                    "/vls/v1/entitlements",
                    &SetsBody {
                        sets: chunk.to_vec(),
                    },
                )
                .await?;
            out.extend(a.entitlements);
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------------------
// Simulator
// ---------------------------------------------------------------------------------------------

/// Fault injection: the next `fail_next` calls answer `fail_status` (429/503 with Retry-After, or
/// 200 with error `fail_error`); every call waits `delay_ms` first.
#[derive(Default)]
pub struct Faults {
    pub fail_next: AtomicU32,
    pub fail_status: AtomicU32,
    pub fail_error: AtomicU32,
    pub retry_after_secs: AtomicU64,
    pub delay_ms: AtomicU64,
    /// From this (1-based) call on, answer HTTP 200 with `fail_error` (0: never). Lets a test
    /// fail the second call of a refresh deterministically.
    pub refuse_from_call: AtomicU32,
    pub calls: AtomicU32,
}

/// The simulated service's registry: a set is known (valid) unless its first number starts with
/// `9999` (no such agreement) or either number is shorter than 4 characters.
fn known(set: &SetRef) -> bool {
    !set.first.starts_with("9999") && set.first.len() >= 4 && set.second.len() >= 4
}

/// Seeded entitlements: one to three Microsoft products per agreement, quantities 25–500.
fn entitlement(set: &SetRef) -> Vec<Product> {
    const PRODUCTS: &[&str] = &[
        "Microsoft 365 Apps for enterprise",
        "Office Professional Plus 2021",
        "Visio Professional 2021",
        "Project Professional 2021",
        "Visual Studio Professional 2022",
        "Power BI Desktop",
    ];
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in set.first.bytes().chain(set.second.bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    let n = 1 + (h % 3) as usize;
    (0..n)
        .map(|i| Product {
            publisher: "Microsoft".into(),
            product: PRODUCTS[((h >> (8 * i)) as usize + i) % PRODUCTS.len()].into(),
            quantity: 25 + ((h >> (16 + i)) % 476) as i64,
        })
        .collect()
}

pub(crate) async fn faulty(faults: &Faults) -> Option<Response> {
    let call = faults.calls.fetch_add(1, Ordering::SeqCst) + 1;
    let refuse_from = faults.refuse_from_call.load(Ordering::SeqCst);
    if refuse_from > 0 && call >= refuse_from {
        let error = faults.fail_error.load(Ordering::SeqCst).max(9603);
        let body = serde_json::json!({"errorNumber": error, "errorMessage": "simulated refusal"});
        return Some((StatusCode::OK, Json(body)).into_response());
    }
    let delay = faults.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let left = faults.fail_next.load(Ordering::SeqCst);
    if left == 0 {
        return None;
    }
    faults.fail_next.store(left - 1, Ordering::SeqCst);
    let error = faults.fail_error.load(Ordering::SeqCst);
    if error > 0 {
        let body = serde_json::json!({"errorNumber": error, "errorMessage": "simulated fault"});
        return Some((StatusCode::OK, Json(body)).into_response());
    }
    let status = StatusCode::from_u16(faults.fail_status.load(Ordering::SeqCst) as u16)
        .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let mut headers = HeaderMap::new();
    headers.insert(
        header::RETRY_AFTER,
        faults.retry_after_secs.load(Ordering::SeqCst).into(),
    );
    Some((status, headers, "simulated outage").into_response())
}

async fn validate(State(faults): State<Arc<Faults>>, Json(body): Json<SetsBody>) -> Response {
    if let Some(r) = faulty(&faults).await {
        return r;
    }
    if body.sets.len() > MAX_SETS_PER_CALL {
        return (StatusCode::BAD_REQUEST, "too many sets").into_response();
    }
    let results: Vec<Validation> = body
        .sets
        .into_iter()
        .map(|s| Validation {
            valid: known(&s),
            first: s.first,
            second: s.second,
        })
        .collect();
    Json(serde_json::json!({ "results": results })).into_response()
}

async fn entitlements(State(faults): State<Arc<Faults>>, Json(body): Json<SetsBody>) -> Response {
    if let Some(r) = faulty(&faults).await {
        return r;
    }
    let list: Vec<Entitlement> = body
        .sets
        .into_iter()
        .filter(known)
        .map(|s| Entitlement {
            products: entitlement(&s),
            first: s.first,
            second: s.second,
        })
        .collect();
    Json(serde_json::json!({ "entitlements": list })).into_response()
}

/// The simulator's router (also used in-process by demo mode and the tests).
pub fn simulator(faults: Arc<Faults>) -> axum::Router {
    axum::Router::new()
        .route("/vls/v1/validate", post(validate))
        .route("/vls/v1/entitlements", post(entitlements))
        .with_state(faults)
}

/// Starts the simulator on `addr` (port 0 picks one) in the background; returns its base URL.
pub async fn spawn_simulator(
    addr: std::net::SocketAddr,
    faults: Arc<Faults>,
) -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, simulator(faults)).await;
    });
    Ok(format!("http://{local}"))
}

#[cfg(test)]
mod props {
    use super::*;
    use crate::core::arbitrary::{Shape, body, text};
    use proptest::prelude::*;
    use serde_json::Value;

    const SET: &[(&str, Shape)] = &[("first", Shape::Str), ("second", Shape::Str)];
    const VALIDATE: Shape = Shape::Obj(&[(
        "results",
        Shape::List(&Shape::Obj(&[
            ("first", Shape::Str),
            ("second", Shape::Str),
            ("valid", Shape::Bool),
        ])),
    )]);
    const ENTITLEMENTS: Shape = Shape::Obj(&[(
        "entitlements",
        Shape::List(&Shape::Obj(&[
            ("first", Shape::Str),
            ("second", Shape::Str),
            (
                "products",
                Shape::List(&Shape::Obj(&[
                    ("publisher", Shape::Str),
                    ("product", Shape::Str),
                    ("quantity", Shape::Int),
                ])),
            ),
        ])),
    )]);

    /// What `read_reply` may answer: the answer, a retry for 9646/9603, a refusal with the
    /// number, or an unreadable answer of this attempt.
    fn check<T: for<'de> Deserialize<'de>>(
        text: &str,
        attempt: u32,
    ) -> Result<Option<T>, TestCaseError> {
        match read_reply::<T>(text, attempt) {
            Ok(Reply::Answer(a)) => return Ok(Some(a)),
            Ok(Reply::Retry(n)) => prop_assert!(n == 9646 || n == 9603),
            Err(ConnectorError::Refused { number, .. }) => {
                prop_assert!(number != 9646 && number != 9603)
            }
            Err(ConnectorError::Unavailable { attempts, last }) => {
                prop_assert_eq!(attempts, attempt);
                prop_assert!(last.starts_with("unreadable answer"));
            }
            Err(other) => prop_assert!(false, "unexpected {other:?}"),
        }
        Ok(None)
    }

    /// A body that carries an error number (with a message, without one, or with other
    /// fields, even the expected answer's).
    fn error_body(answer: Shape) -> impl Strategy<Value = String> {
        let number = prop_oneof![
            prop::sample::select(vec![9646i64, 9603, 9600, 0]),
            any::<i64>()
        ];
        (
            number,
            prop::option::of(text()),
            crate::core::arbitrary::shaped(answer),
        )
            .prop_map(|(n, message, answer)| {
                let mut body = match answer {
                    Value::Object(o) => o,
                    _ => serde_json::Map::new(),
                };
                body.insert("errorNumber".into(), n.into());
                if let Some(m) = message {
                    body.insert("errorMessage".into(), m.into());
                }
                Value::Object(body).to_string()
            })
    }

    proptest! {
        // Nested JSON is heavier to make: fewer cases.
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Any 200 body of `validate` or `entitlements` is the answer, a retry, a refusal or
        /// an unreadable answer; never a panic.
        #[test]
        fn any_reply_is_an_answer_or_a_named_error(
            validate in body(VALIDATE),
            entitlements in body(ENTITLEMENTS),
            sets in body(Shape::Obj(&[("sets", Shape::List(&Shape::Obj(SET)))])),
            attempt in 1..=MAX_ATTEMPTS,
        ) {
            check::<ValidateAnswer>(&validate, attempt)?;
            check::<EntitlementsAnswer>(&entitlements, attempt)?;
            check::<ValidateAnswer>(&sets, attempt)?;
        }

        /// A 200 body with an error number is never taken for the answer, even when it also
        /// carries the answer's fields.
        #[test]
        fn error_numbers_are_never_believed(
            validate in error_body(VALIDATE),
            entitlements in error_body(ENTITLEMENTS),
            attempt in 1..=MAX_ATTEMPTS,
        ) {
            prop_assert!(check::<ValidateAnswer>(&validate, attempt)?.is_none(), "{}", validate);
            prop_assert!(check::<EntitlementsAnswer>(&entitlements, attempt)?.is_none(), "{}", entitlements);
        }
    }
}
