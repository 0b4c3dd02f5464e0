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
                    let error = serde_json::from_str::<ErrorBody>(&text).ok();
                    match (status, error) {
                        (_, Some(e)) if e.error_number == 9646 || e.error_number == 9603 => {
                            last = format!("error {}", e.error_number);
                            retry_after.unwrap_or(self.backoff(attempt))
                        }
                        (_, Some(e)) if e.error_number == 9621 => {
                            return Err(StoreError::TokenExpired);
                        }
                        (_, Some(e)) if e.error_number == 9625 => {
                            return Err(StoreError::TokenRevoked);
                        }
                        (_, Some(e)) if e.error_number == 9709 => {
                            return Err(StoreError::NotEnoughLicenses(e.error_message));
                        }
                        (s, _) if s == StatusCode::TOO_MANY_REQUESTS || s.is_server_error() => {
                            last = format!("HTTP {}", s.as_u16());
                            retry_after.unwrap_or(self.backoff(attempt))
                        }
                        (s, Some(e))
                            if s == StatusCode::UNAUTHORIZED || s == StatusCode::FORBIDDEN =>
                        {
                            return Err(StoreError::Unauthorized(e.error_message));
                        }
                        (s, _) if s == StatusCode::UNAUTHORIZED || s == StatusCode::FORBIDDEN => {
                            return Err(StoreError::Unauthorized(format!("HTTP {}", s.as_u16())));
                        }
                        (s, Some(e)) => {
                            let _ = s;
                            return Err(StoreError::Refused {
                                number: e.error_number,
                                message: e.error_message,
                            });
                        }
                        (s, None) if s.is_success() => return Ok(text),
                        (s, None) => {
                            return Err(StoreError::Refused {
                                number: i64::from(s.as_u16()),
                                message: text.chars().take(200).collect(),
                            });
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
        serde_json::from_str(&text).map_err(|e| StoreError::Unavailable {
            attempts: 1,
            last: format!("unreadable answer: {e}"),
        })
    }
}
