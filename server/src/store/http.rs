//! The one retry policy for store calls: at most [`MAX_ATTEMPTS`] attempts per call. Every
//! answer is classified by its `errorNumber` first (Apple puts errors such as 9622 or 9646 in
//! HTTP 200 bodies) and by its HTTP status second. Transient failures (5xx, time-outs, 9603)
//! are retried with a short exponential back-off; "slow down" answers (429, 9646) with a longer
//! one that grows per attempt. A `Retry-After` is honoured exactly, up to
//! [`Http::max_retry_wait`]; a store that asks for a longer pause ends the call at once with
//! [`StoreError::SlowDown`], which says when to try again.

use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use serde::Deserialize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const MAX_ATTEMPTS: u32 = 4;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the store could not complete the request after {attempts} attempts ({last}); nothing was changed, try again later"
    )]
    Unavailable { attempts: u32, last: String },
    #[error(
        "the store asked us to slow down and to wait {} before the next request; nothing was changed, try again after that",
        wait_text(*retry_after_secs)
    )]
    SlowDown { retry_after_secs: u64 },
    #[error("the store token has expired: download a new token from the store and upload it here")]
    TokenExpired,
    #[error("the store token was revoked: download a new token from the store and upload it here")]
    TokenRevoked,
    #[error("the store did not accept the credentials ({0})")]
    Unauthorized(String),
    #[error("the store reports that there are not enough licenses ({0})")]
    NotEnoughLicenses(String),
    #[error("the store refused the request: error {number}: {message}")]
    Refused { number: i64, message: String },
}

/// "45 seconds", "2 minutes", "3 hours".
fn wait_text(secs: u64) -> String {
    match secs {
        0..=119 => format!("{secs} seconds"),
        120..=7199 => format!("{} minutes", secs.div_ceil(60)),
        _ => format!("{} hours", secs.div_ceil(3600)),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody {
    error_number: i64,
    #[serde(default)]
    error_message: String,
}

/// How the connectors pause between attempts: the real clock, or (in tests) a log of the pauses
/// asked for that returns at once — so a `Retry-After: 120` can be checked without waiting.
#[derive(Clone, Default)]
pub struct Sleeper(Option<Arc<Mutex<Vec<Duration>>>>);

impl Sleeper {
    /// A sleeper that records each pause instead of waiting, and the log it writes.
    pub fn recording() -> (Sleeper, Arc<Mutex<Vec<Duration>>>) {
        let log = Arc::new(Mutex::new(vec![]));
        (Sleeper(Some(log.clone())), log)
    }

    pub(crate) async fn sleep(&self, d: Duration) {
        match &self.0 {
            None => tokio::time::sleep(d).await,
            Some(log) => log.lock().expect("sleep log").push(d),
        }
    }
}

impl std::fmt::Debug for Sleeper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Sleeper(recording)"
        } else {
            "Sleeper(clock)"
        })
    }
}

#[derive(Clone, Debug)]
pub struct Http {
    pub client: reqwest::Client,
    /// Longest pause a `Retry-After` may ask for; a longer one ends the call with
    /// [`StoreError::SlowDown`] (5 minutes: a sync or delivery runs in the background).
    pub max_retry_wait: Duration,
    /// First back-off step after a transient failure without `Retry-After` (doubles per attempt).
    pub backoff: Duration,
    /// First back-off step after "slow down" (429, 9646) without `Retry-After` (doubles per
    /// attempt, as Apple asks for 9646).
    pub slow_down_backoff: Duration,
    pub sleeper: Sleeper,
}

impl Http {
    pub fn new(timeout: Duration) -> Http {
        Http {
            client: reqwest::Client::builder()
                .timeout(timeout)
                .build()
                .expect("an HTTP client without TLS always builds"),
            max_retry_wait: Duration::from_secs(300),
            backoff: Duration::from_millis(250),
            slow_down_backoff: Duration::from_secs(5),
            sleeper: Sleeper::default(),
        }
    }

    fn backoff(&self, kind: RetryKind, attempt: u32) -> Duration {
        let first = match kind {
            RetryKind::Transient => self.backoff,
            RetryKind::SlowDown => self.slow_down_backoff,
        };
        first.saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
    }

    /// Sends the request `make` builds (again for each attempt) and answers the body of the
    /// first successful, error-free answer.
    pub async fn send(
        &self,
        make: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<String, StoreError> {
        let mut last = String::new();
        for attempt in 1..=MAX_ATTEMPTS {
            let wait = match make().send().await {
                Ok(res) => {
                    let status = res.status();
                    let retry_after = res
                        .headers()
                        .get(RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok());
                    let text = res.text().await.unwrap_or_default();
                    match classify(status, text) {
                        Verdict::Body(text) => return Ok(text),
                        Verdict::Fail(e) => return Err(e),
                        Verdict::Retry(why, kind) => {
                            last = why;
                            match retry_after {
                                Some(secs) if Duration::from_secs(secs) > self.max_retry_wait => {
                                    return Err(StoreError::SlowDown {
                                        retry_after_secs: secs,
                                    });
                                }
                                Some(secs) => Duration::from_secs(secs),
                                None => self.backoff(kind, attempt),
                            }
                        }
                    }
                }
                Err(e) => {
                    last = if e.is_timeout() {
                        "timed out".into()
                    } else {
                        "connection failed".into()
                    };
                    self.backoff(RetryKind::Transient, attempt)
                }
            };
            if attempt < MAX_ATTEMPTS {
                self.sleeper.sleep(wait.min(self.max_retry_wait)).await;
            }
        }
        Err(StoreError::Unavailable {
            attempts: MAX_ATTEMPTS,
            last,
        })
    }

    /// `send` and parse the body as `T`.
    pub async fn json<T: for<'de> Deserialize<'de>>(
        &self,
        make: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<T, StoreError> {
        let text = self.send(make).await?;
        parse_json(&text)
    }
}

/// Why another attempt is worth it, which decides how long to wait without `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryKind {
    /// The store or the network failed for a moment (5xx, 9603, time-out).
    Transient,
    /// The store asked us to slow down (429, 9646).
    SlowDown,
}

/// What one answer of the store means.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The body of a successful, error-free answer.
    Body(String),
    /// Worth another attempt; why (reported if every attempt fails).
    Retry(String, RetryKind),
    /// Final: another attempt would not change it.
    Fail(StoreError),
}

/// Apple's error numbers that mean "this token is not accepted": 9601 login required, 9622
/// invalid authentication token (a v1 number Apple still answers, also with HTTP 200), 9722
/// invalid authorization header.
const TOKEN_NOT_ACCEPTED: [i64; 3] = [9601, 9622, 9722];

/// THE rules for one answer of a store: its `errorNumber` first, whatever the HTTP status
/// (Apple answers some errors with 200), then the status.
pub(crate) fn classify(status: StatusCode, text: String) -> Verdict {
    if let Ok(e) = serde_json::from_str::<ErrorBody>(&text) {
        return match e.error_number {
            9646 => Verdict::Retry(
                "Apple asked us to slow down (error 9646, too many requests)".into(),
                RetryKind::SlowDown,
            ),
            9603 => Verdict::Retry(
                "Apple reported an internal error (error 9603)".into(),
                RetryKind::Transient,
            ),
            9621 => Verdict::Fail(StoreError::TokenExpired),
            9625 => Verdict::Fail(StoreError::TokenRevoked),
            n if TOKEN_NOT_ACCEPTED.contains(&n) => {
                Verdict::Fail(StoreError::Unauthorized(format!(
                    "Apple did not accept this token: error {n}: {}",
                    e.error_message
                )))
            }
            9709 => Verdict::Fail(StoreError::NotEnoughLicenses(e.error_message)),
            number => Verdict::Fail(StoreError::Refused {
                number,
                message: e.error_message,
            }),
        };
    }
    match status {
        s if s == StatusCode::TOO_MANY_REQUESTS => Verdict::Retry(
            "HTTP 429: the store asked us to slow down".into(),
            RetryKind::SlowDown,
        ),
        s if s.is_server_error() => {
            Verdict::Retry(format!("HTTP {}", s.as_u16()), RetryKind::Transient)
        }
        s if s == StatusCode::UNAUTHORIZED || s == StatusCode::FORBIDDEN => {
            Verdict::Fail(StoreError::Unauthorized(format!("HTTP {}", s.as_u16())))
        }
        s if s.is_success() => Verdict::Body(text),
        s => Verdict::Fail(StoreError::Refused {
            number: i64::from(s.as_u16()),
            message: text.chars().take(200).collect(),
        }),
    }
}

/// An error-free body read as `T`; a body of another shape is an unreadable answer.
pub(crate) fn parse_json<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Unavailable {
        attempts: 1,
        last: format!("unreadable answer: {e}"),
    })
}

#[cfg(test)]
mod props {
    use super::*;
    use crate::core::arbitrary::{Shape, body, shaped};
    use proptest::prelude::*;

    const ERROR_BODY: Shape =
        Shape::Obj(&[("errorNumber", Shape::Int), ("errorMessage", Shape::Str)]);

    fn status() -> impl Strategy<Value = StatusCode> {
        prop_oneof![
            3 => prop::sample::select(vec![200u16, 201, 204, 301, 400, 401, 403, 404, 409, 429, 500, 503]),
            1 => 100u16..=999,
        ]
        .prop_map(|c| StatusCode::from_u16(c).expect("100..=999 is a status"))
    }

    /// An error body with one of the numbers the rules name, or any other.
    fn error_body() -> impl Strategy<Value = (i64, String, String)> {
        let number = prop_oneof![
            prop::sample::select(vec![
                9646i64, 9603, 9621, 9625, 9709, 9622, 9601, 9722, 9600, 0, -1
            ]),
            any::<i64>(),
        ];
        let extra = shaped(Shape::Obj(&[
            ("assets", Shape::Any),
            ("eventId", Shape::Str),
        ]));
        (number, crate::core::arbitrary::text(), extra).prop_map(|(n, m, extra)| {
            let mut body = extra;
            if let Some(o) = body.as_object_mut() {
                o.insert("errorNumber".into(), n.into());
                o.insert("errorMessage".into(), m.clone().into());
            } else {
                body = serde_json::json!({"errorNumber": n, "errorMessage": m});
            }
            (n, m, body.to_string())
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any status with any body is classified without a panic; only an error-free success
        /// is believed, unchanged, and a refusal quotes at most 200 characters of a non-JSON body.
        #[test]
        fn any_answer_is_classified(status in status(), text in body(ERROR_BODY)) {
            let error_body = serde_json::from_str::<ErrorBody>(&text).is_ok();
            match classify(status, text.clone()) {
                Verdict::Body(b) => {
                    prop_assert!(status.is_success() && !error_body);
                    prop_assert_eq!(b, text);
                }
                Verdict::Retry(why, _) => prop_assert!(!why.is_empty()),
                Verdict::Fail(e) => {
                    prop_assert!(!e.to_string().is_empty());
                    if let StoreError::Refused { message, .. } = e
                        && !error_body
                    {
                        prop_assert!(message.chars().count() <= 200);
                    }
                }
            }
        }

        /// An `errorNumber` body is never believed, whatever the status (also 200), and the
        /// numbers with a meaning (retry, token expired or revoked, not enough licenses) win.
        #[test]
        fn error_numbers_are_never_believed(status in status(), (number, message, text) in error_body()) {
            let verdict = classify(status, text);
            match number {
                9646 => prop_assert!(matches!(verdict, Verdict::Retry(_, RetryKind::SlowDown))),
                9603 => prop_assert!(matches!(verdict, Verdict::Retry(_, RetryKind::Transient))),
                9601 | 9622 | 9722 => prop_assert!(matches!(verdict, Verdict::Fail(StoreError::Unauthorized(_)))),
                9621 => prop_assert_eq!(verdict, Verdict::Fail(StoreError::TokenExpired)),
                9625 => prop_assert_eq!(verdict, Verdict::Fail(StoreError::TokenRevoked)),
                9709 => prop_assert_eq!(verdict, Verdict::Fail(StoreError::NotEnoughLicenses(message))),
                _ => prop_assert!(!matches!(verdict, Verdict::Body(_))),
            }
        }
    }
}

/// Apple's documented answers (Apps and Books for Organizations, "Service config" error codes
/// and the answers seen from Apple), classified as the connector must.
#[cfg(test)]
mod apple_errors {
    use super::*;

    fn body(n: i64, m: &str) -> String {
        serde_json::json!({"errorNumber": n, "errorMessage": m}).to_string()
    }

    #[test]
    fn error_numbers_decide_before_the_http_status() {
        // 9622 with HTTP 200 (Apple answers an invalid token so in places): not "try again".
        let v = classify(StatusCode::OK, body(9622, "Invalid authentication token"));
        assert!(
            matches!(&v, Verdict::Fail(StoreError::Unauthorized(m)) if m.contains("Apple did not accept this token")),
            "{v:?}"
        );
        // The same with 401, and 9722 with 401.
        for (n, s) in [(9622, 401), (9722, 401), (9601, 401)] {
            let v = classify(StatusCode::from_u16(s).unwrap(), body(n, "x"));
            assert!(
                matches!(v, Verdict::Fail(StoreError::Unauthorized(_))),
                "{n}"
            );
        }
        // Documented pairs: 9621 with 401, 9625 with 401, 9646 with 429, 9603 with 500.
        assert_eq!(
            classify(StatusCode::UNAUTHORIZED, body(9621, "expired")),
            Verdict::Fail(StoreError::TokenExpired)
        );
        assert_eq!(
            classify(StatusCode::UNAUTHORIZED, body(9625, "revoked")),
            Verdict::Fail(StoreError::TokenRevoked)
        );
        assert!(matches!(
            classify(StatusCode::TOO_MANY_REQUESTS, body(9646, "slow")),
            Verdict::Retry(_, RetryKind::SlowDown)
        ));
        assert!(matches!(
            classify(StatusCode::INTERNAL_SERVER_ERROR, body(9603, "internal")),
            Verdict::Retry(_, RetryKind::Transient)
        ));
        // A validation error with 500 is the request's fault: not retried.
        assert!(matches!(
            classify(
                StatusCode::INTERNAL_SERVER_ERROR,
                body(9700, "too many assets")
            ),
            Verdict::Fail(StoreError::Refused { number: 9700, .. })
        ));
        // Apple's 9726 example body (405).
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/apple/error_9726_unsupported_method.json"
        ))
        .unwrap();
        assert!(matches!(
            classify(StatusCode::METHOD_NOT_ALLOWED, text),
            Verdict::Fail(StoreError::Refused { number: 9726, .. })
        ));
    }

    #[test]
    fn slow_down_waits_grow_and_long_waits_are_named() {
        let http = Http::new(Duration::from_secs(1));
        assert_eq!(http.backoff(RetryKind::SlowDown, 1), Duration::from_secs(5));
        assert_eq!(
            http.backoff(RetryKind::SlowDown, 3),
            Duration::from_secs(20)
        );
        assert_eq!(
            http.backoff(RetryKind::Transient, 2),
            Duration::from_millis(500)
        );
        let e = StoreError::SlowDown {
            retry_after_secs: 3600,
        };
        assert!(e.to_string().contains("wait 60 minutes"), "{e}");
    }
}
