//! Alert e-mail server functions (SPEC X-2): the SMTP settings, the Test button and the send log.
//! Global admins only, like the webhooks (the settings hold a mail server's password; it is
//! never sent back, only whether one is stored).

use crate::domain::ApiError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub use backend::*;

/// The stored SMTP settings as the form shows them (defaults when none are stored yet).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailSettingsView {
    /// Settings have been saved at least once.
    pub configured: bool,
    pub host: String,
    pub port: u16,
    /// `starttls`, `tls` or `none`.
    pub security: String,
    pub username: String,
    /// A password is stored (the password itself never leaves the server).
    pub password_set: bool,
    pub from: String,
    pub recipients: Vec<String>,
    pub enabled: bool,
    pub updated_at: Option<i64>,
}

/// What the settings form sends (`form[host]`, …): the port and the checkbox as typed; the
/// server validates everything and names the field at fault.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailSettingsInput {
    pub host: String,
    pub port: String,
    pub security: String,
    #[serde(default)]
    pub username: String,
    /// Blank keeps the stored password.
    #[serde(default)]
    pub password: String,
    pub from: String,
    /// Addresses separated by new lines, commas or semicolons.
    pub recipients: String,
    /// The checkbox: present (`on`) when ticked.
    #[serde(default)]
    pub enabled: Option<String>,
}

impl EmailSettingsInput {
    pub fn is_enabled(&self) -> bool {
        self.enabled
            .as_deref()
            .is_some_and(|v| !v.is_empty() && v != "false")
    }
}

/// One send attempt in the e-mail log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailSendView {
    pub id: i64,
    /// `alert.opened` or `test`.
    pub event: String,
    pub alert_id: Option<i64>,
    pub attempt: i64,
    /// How many recipients the message was addressed to.
    pub recipients: i64,
    pub delivered: bool,
    pub error: String,
    pub at: i64,
}

/// The SMTP settings (Global admins).
#[server(endpoint = "email_settings")]
pub async fn get_email_settings() -> Result<EmailSettingsView, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::ManageAdmins)?;
        email()?.settings().await
    }
    .await;
    finish(result)
}

/// Saves the SMTP settings (audited, without the password); a blank password keeps the stored
/// one.
#[server(endpoint = "email_save")]
pub async fn save_email_settings(form: EmailSettingsInput) -> Result<(), ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageAdmins)?;
        email()?.save(&actor, form).await
    }
    .await;
    finish(result)
}

/// Sends a test message to every recipient now; answers its attempts (also in the log).
#[server(endpoint = "email_test")]
pub async fn test_email() -> Result<Vec<EmailSendView>, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::ManageAdmins)?;
        email()?.test().await
    }
    .await;
    finish(result)
}

/// The e-mail log, newest first (the last 50 attempts).
#[server(endpoint = "email_log")]
pub async fn email_log() -> Result<Vec<EmailSendView>, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::ManageAdmins)?;
        email()?.log().await
    }
    .await;
    finish(result)
}

#[cfg(feature = "ssr")]
mod backend {
    use super::*;
    use crate::api::ssr::Actor;
    use std::sync::Arc;

    #[async_trait::async_trait]
    pub trait EmailBackend: Send + Sync + 'static {
        async fn settings(&self) -> Result<EmailSettingsView, ApiError>;
        async fn save(&self, actor: &Actor, input: EmailSettingsInput) -> Result<(), ApiError>;
        async fn test(&self) -> Result<Vec<EmailSendView>, ApiError>;
        async fn log(&self) -> Result<Vec<EmailSendView>, ApiError>;
    }

    pub type SharedEmail = Arc<dyn EmailBackend>;

    pub fn email() -> Result<SharedEmail, ApiError> {
        use_context::<SharedEmail>().ok_or_else(|| ApiError::Internal {
            reference: "no-email".into(),
        })
    }
}
