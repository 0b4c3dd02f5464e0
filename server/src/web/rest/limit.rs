//! The documented request rate of the REST API, per token (SPEC X-4): a token bucket of
//! [`BURST`] requests refilled at [`PER_SECOND`] a second. Over it, the answer is 429 with
//! `Retry-After`, before any work is done. The buckets live in this replica's memory, so with
//! several replicas the rate is per replica (stated in the README).

use super::problem::Problem;
use app::api::ssr::Caller;
use app::domain::ApiError;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::Instant;

/// Requests a token may make at once.
pub const BURST: f64 = 200.0;
/// Requests a second a token may make on average.
pub const PER_SECOND: f64 = 50.0;

struct Bucket {
    tokens: f64,
    at: Instant,
}

static BUCKETS: LazyLock<Mutex<HashMap<i64, Bucket>>> = LazyLock::new(Default::default);

/// Takes one request from the token's bucket; `Err(seconds)` to wait when it is empty.
fn take(token: i64, now: Instant) -> Result<(), u64> {
    let mut buckets = BUCKETS.lock().unwrap_or_else(|e| e.into_inner());
    if buckets.len() > 10_000 {
        // Forget buckets that are full again (idle tokens), so the map stays small.
        buckets
            .retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * PER_SECOND < BURST);
    }
    let b = buckets.entry(token).or_insert(Bucket {
        tokens: BURST,
        at: now,
    });
    b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * PER_SECOND).min(BURST);
    b.at = now;
    if b.tokens >= 1.0 {
        b.tokens -= 1.0;
        Ok(())
    } else {
        Err(((1.0 - b.tokens) / PER_SECOND).ceil().max(1.0) as u64)
    }
}

/// The layer: requests made with a token count against its bucket.
pub async fn per_token(req: Request, next: Next) -> Response {
    let token = req
        .extensions()
        .get::<Caller>()
        .and_then(|c| c.admin.as_ref())
        .and_then(|a| a.token);
    if let Some(token) = token
        && let Err(wait) = take(token, Instant::now())
    {
        return Problem::from(ApiError::TooManyRequests {
            retry_after_secs: wait,
        })
        .into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_token_gets_its_burst_then_the_rate() {
        let t0 = Instant::now();
        let token = -7; // no real token has a negative id
        for _ in 0..BURST as usize {
            assert!(take(token, t0).is_ok());
        }
        assert_eq!(take(token, t0), Err(1));
        // Another token is not affected.
        assert!(take(-8, t0).is_ok());
        // After a second, PER_SECOND more.
        let t1 = t0 + Duration::from_secs(1);
        for _ in 0..PER_SECOND as usize {
            assert!(take(token, t1).is_ok());
        }
        assert!(take(token, t1).is_err());
    }
}
