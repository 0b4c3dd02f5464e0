//! Unexpected failures become `ApiError::Internal { reference }`; the cause goes to the log with
//! that reference and never to the person. A database that is only busy — a deadlock broken by
//! PostgreSQL, a serialization failure, SQLite's write lock held past `busy_timeout` — is not a
//! fault: it becomes [`busy`] (503, try again; nothing was changed), and the operations that can
//! meet it run again a bounded number of times ([`retry_busy`]).

use app::domain::ApiError;
use std::future::Future;

/// What a caller is told when the database stayed busy.
pub const BUSY: &str =
    "The database was busy with another change, so nothing was changed. Try again in a moment.";

/// How often an operation is tried when the database is busy.
pub const BUSY_ATTEMPTS: u32 = 3;

pub fn busy() -> ApiError {
    ApiError::Unavailable(BUSY.into())
}

pub fn is_busy(err: &ApiError) -> bool {
    matches!(err, ApiError::Unavailable(m) if m == BUSY)
}

/// Whether a database error means "busy, try again" rather than a fault.
fn busy_cause(text: &str) -> bool {
    // PostgreSQL 40P01 and 40001; SQLite SQLITE_BUSY.
    text.contains("deadlock detected")
        || text.contains("could not serialize access")
        || text.contains("database is locked")
}

/// Logs an unexpected failure with a reference and returns an error that shows only the reference.
pub fn internal(err: impl std::fmt::Display) -> ApiError {
    let text = err.to_string();
    if busy_cause(&text) {
        tracing::warn!(error = %text, "database busy");
        return busy();
    }
    let reference = format!("{:08x}", rand::random::<u32>());
    tracing::error!(%reference, error = %text, "internal error");
    ApiError::Internal { reference }
}

/// Runs `op` (one whole transaction) again when the database was busy, at most
/// [`BUSY_ATTEMPTS`] times with a short random pause; any other outcome is returned at once.
pub async fn retry_busy<T, F, Fut>(mut op: F) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let mut attempt = 1;
    loop {
        match op().await {
            Err(e) if is_busy(&e) && attempt < BUSY_ATTEMPTS => {
                attempt += 1;
                let pause = 10 + rand::random::<u64>() % 40;
                tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_databases_are_not_internal_errors() {
        assert!(is_busy(&internal(
            "error returned from database: deadlock detected"
        )));
        assert!(is_busy(&internal("database is locked")));
        assert!(matches!(
            internal("no such column: x"),
            ApiError::Internal { .. }
        ));
    }

    #[tokio::test]
    async fn retries_are_bounded() {
        let mut calls = 0;
        let r: Result<(), ApiError> = retry_busy(|| {
            calls += 1;
            async { Err(busy()) }
        })
        .await;
        assert!(r.is_err_and(|e| is_busy(&e)));
        assert_eq!(calls, BUSY_ATTEMPTS);
    }
}
