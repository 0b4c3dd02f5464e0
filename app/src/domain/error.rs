//! The error every server function returns. Messages are safe to show; causes stay in the log.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ApiError {
    /// No valid session (HTTP 401).
    #[error("Please sign in.")]
    Unauthenticated,
    /// Wrong sign-in name or password, or a disabled account (HTTP 401). Deliberately vague.
    #[error("The sign-in name or password is not right.")]
    SignInFailed,
    /// Signed in, but the role does not allow this (HTTP 403).
    #[error("Your role does not allow this.")]
    Forbidden,
    /// One input field broke a rule (HTTP 422).
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// The thing asked for does not exist (HTTP 404).
    #[error("Not found.")]
    NotFound,
    /// The request conflicts with the current state (HTTP 409).
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts; try again after this many seconds (HTTP 429).
    #[error("Too many attempts. Try again in {retry_after_secs} seconds.")]
    TooManyRequests { retry_after_secs: u64 },
    /// Something failed on the server; the reference finds it in the log (HTTP 500).
    #[error("Something went wrong on the server (reference {reference}).")]
    Internal { reference: String },
    /// An outside service (store, licensing service) did not answer; nothing was changed (HTTP 503).
    #[error("{0}")]
    Unavailable(String),
    /// The request could not be understood (HTTP 400).
    #[error("The request was not understood: {0}")]
    BadRequest(String),
    /// The thing changed since the caller read it (`If-Match` did not match; HTTP 412).
    #[error("It was changed since you read it; read it again and repeat the change.")]
    PreconditionFailed,
}

impl ApiError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError::Invalid {
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// The message for a form field, if this error is about that field.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            ApiError::Invalid { field: f, message } if f == field => Some(message.clone()),
            _ => None,
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            ApiError::Unauthenticated | ApiError::SignInFailed => 401,
            ApiError::Forbidden => 403,
            ApiError::Invalid { .. } => 422,
            ApiError::NotFound => 404,
            ApiError::Conflict(_) => 409,
            ApiError::TooManyRequests { .. } => 429,
            ApiError::Internal { .. } => 500,
            ApiError::BadRequest(_) => 400,
            ApiError::PreconditionFailed => 412,
            ApiError::Unavailable(_) => 503,
        }
    }
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Arguments that do not decode or are missing, a body that is not UTF-8 or over
            // the limit: the caller's mistake (the answer becomes 400 or 413).
            ServerFnErrorErr::Args(m)
            | ServerFnErrorErr::Deserialization(m)
            | ServerFnErrorErr::MissingArg(m) => ApiError::BadRequest(m),
            ServerFnErrorErr::UnsupportedRequestMethod(m) => ApiError::BadRequest(m),
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => ApiError::Internal {
                reference: "network".into(),
            },
            _ => ApiError::Internal {
                reference: "server-fn".into(),
            },
        }
    }
}

/// A stored or sent text that is none of the values of its kind (e.g. an invoice status
/// `"lost"`). Reading such a row is an internal error, never a silent default.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind}: {value:?}")]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
}

impl UnknownValue {
    pub fn new(kind: &'static str, value: &str) -> UnknownValue {
        UnknownValue {
            kind,
            value: value.to_string(),
        }
    }
}
