//! The one retry policy for store calls: at most [`MAX_ATTEMPTS`] attempts per call; 429, 5xx,
//! time-outs and "try again" error bodies (9646 too many requests, 9603 internal error) are
//! retried with exponential back-off, honouring `Retry-After`; every 200 body is checked for an
//! `errorNumber` before it is believed.

use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use serde::Deserialize;
use std::time::Duration;

pub const MAX_ATTEMPTS: u32 = 4;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the store did not answer after {attempts} attempts ({last}); nothing was changed, try again later"
    )]
    Unavailable { attempts: u32, last: String },
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

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody {
    error_number: i64,
    #[serde(default)]
    error_message: String,
}

#[derive(Clone, Debug)]
pub struct Http {
    pub client: reqwest::Client,
    /// Longest wait a `Retry-After` may ask for.
    pub max_retry_wait: Duration,
    /// First back-off step when the store gives no `Retry-After` (doubles per attempt).
    pub backoff: Duration,
}

impl Http {
    pub fn new(timeout: Duration) -> Http {
        Http {
            client: reqwest::Client::builder()
                .timeout(timeout)
                .build()
                .expect("an HTTP client without TLS always builds"),
            max_retry_wait: Duration::from_secs(60),
            backoff: Duration::from_millis(250),
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.backoff * 2u32.pow(attempt - 1)
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
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    let text = res.text().await.unwrap_or_default();
                    match classify(status, text) {
                        Verdict::Body(text) => return Ok(text),
                        Verdict::Fail(e) => return Err(e),
                        Verdict::Retry(why) => {
                            last = why;
                            retry_after.unwrap_or(self.backoff(attempt))
                        }
                    }
                }
                Err(e) => {
                    last = if e.is_timeout() {
                        "timed out".into()
                    } else {
                        "connection failed".into()
                    };
                    self.backoff(attempt)
                }
            };
            if attempt < MAX_ATTEMPTS {
                tokio::time::sleep(wait.min(self.max_retry_wait)).await;
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

/// What one answer of the store means.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The body of a successful, error-free answer.
    Body(String),
    /// Worth another attempt; why (reported if every attempt fails).
    Retry(String),
    /// Final: another attempt would not change it.
    Fail(StoreError),
}

/// THE rules for one answer of a store: its status and body (checked for an `errorNumber`
/// even when the status is 200).
pub(crate) fn classify(status: StatusCode, text: String) -> Verdict {
    let error = serde_json::from_str::<ErrorBody>(&text).ok();
    match (status, error) {
        (_, Some(e)) if e.error_number == 9646 || e.error_number == 9603 => {
            Verdict::Retry(format!("error {}", e.error_number))
        }
        (_, Some(e)) if e.error_number == 9621 => Verdict::Fail(StoreError::TokenExpired),
        (_, Some(e)) if e.error_number == 9625 => Verdict::Fail(StoreError::TokenRevoked),
        (_, Some(e)) if e.error_number == 9709 => {
            Verdict::Fail(StoreError::NotEnoughLicenses(e.error_message))
        }
        (s, _) if s == StatusCode::TOO_MANY_REQUESTS || s.is_server_error() => {
            Verdict::Retry(format!("HTTP {}", s.as_u16()))
        }
        (s, Some(e)) if s == StatusCode::UNAUTHORIZED || s == StatusCode::FORBIDDEN => {
            Verdict::Fail(StoreError::Unauthorized(e.error_message))
        }
        (s, _) if s == StatusCode::UNAUTHORIZED || s == StatusCode::FORBIDDEN => {
            Verdict::Fail(StoreError::Unauthorized(format!("HTTP {}", s.as_u16())))
        }
        (_, Some(e)) => Verdict::Fail(StoreError::Refused {
            number: e.error_number,
            message: e.error_message,
        }),
        (s, None) if s.is_success() => Verdict::Body(text),
        (s, None) => Verdict::Fail(StoreError::Refused {
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
            prop::sample::select(vec![9646i64, 9603, 9621, 9625, 9709, 9600, 0, -1]),
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
                Verdict::Retry(why) => prop_assert!(!why.is_empty()),
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
                9646 | 9603 => prop_assert_eq!(verdict, Verdict::Retry(format!("error {number}"))),
                9621 => prop_assert_eq!(verdict, Verdict::Fail(StoreError::TokenExpired)),
                9625 => prop_assert_eq!(verdict, Verdict::Fail(StoreError::TokenRevoked)),
                9709 => prop_assert_eq!(verdict, Verdict::Fail(StoreError::NotEnoughLicenses(message))),
                _ => prop_assert!(!matches!(verdict, Verdict::Body(_))),
            }
        }
    }
}
