//! The documented request rate of the REST API, per token (SPEC X-4): a token bucket of four
//! seconds' worth of requests, refilled at the rate (`--api-rate`, default 50 a second). Over
//! it, the answer is 429 with `Retry-After`, before any work is done. The buckets live in this
//! replica's memory, so with several replicas the rate is per replica (stated in the README).

use super::problem::Problem;
use app::api::ssr::Caller;
use app::domain::ApiError;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::Instant;

/// Requests a second a token may make on average, unless configured.
pub const DEFAULT_PER_SECOND: u32 = 50;

static PER_SECOND: std::sync::OnceLock<f64> = std::sync::OnceLock::new();

/// Sets the rate (once, at start-up; later calls change nothing).
pub fn configure(per_second: u32) {
    let _ = PER_SECOND.set(f64::from(per_second.max(1)));
}

/// (burst, refill per second).
fn rate() -> (f64, f64) {
    let per_second = *PER_SECOND.get_or_init(|| f64::from(DEFAULT_PER_SECOND));
    (per_second * 4.0, per_second)
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

static BUCKETS: LazyLock<Mutex<HashMap<i64, Bucket>>> = LazyLock::new(Default::default);

/// Takes one request from the token's bucket; `Err(seconds)` to wait when it is empty.
fn take(token: i64, now: Instant) -> Result<(), u64> {
    let (burst, per_second) = rate();
    let mut buckets = BUCKETS.lock().unwrap_or_else(|e| e.into_inner());
    if buckets.len() > 10_000 {
        // Forget buckets that are full again (idle tokens), so the map stays small.
        buckets
            .retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * per_second < burst);
    }
    let b = buckets.entry(token).or_insert(Bucket {
        tokens: burst,
        at: now,
    });
    b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * per_second).min(burst);
    b.at = now;
    if b.tokens >= 1.0 {
        b.tokens -= 1.0;
        Ok(())
    } else {
        Err(((1.0 - b.tokens) / per_second).ceil().max(1.0) as u64)
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
        let (burst, per_second) = rate();
        let t0 = Instant::now();
        let token = -7; // no real token has a negative id
        for _ in 0..burst as usize {
            assert!(take(token, t0).is_ok());
        }
        assert_eq!(take(token, t0), Err(1));
        // Another token is not affected.
        assert!(take(-8, t0).is_ok());
        // After a second, PER_SECOND more.
        let t1 = t0 + Duration::from_secs(1);
        for _ in 0..per_second as usize {
            assert!(take(token, t1).is_ok());
        }
        assert!(take(token, t1).is_err());
    }
}
