//! Unexpected failures become `ApiError::Internal { reference }`; the cause goes to the log with
//! that reference and never to the person.

use app::domain::ApiError;

/// Logs an unexpected failure with a reference and returns an error that shows only the reference.
pub fn internal(err: impl std::fmt::Display) -> ApiError {
    let reference = format!("{:08x}", rand::random::<u32>());
    tracing::error!(%reference, error = %err, "internal error");
    ApiError::Internal { reference }
}
