//! The SMTP settings: checked field by field, stored in one row (the password only sealed),
//! read back for the form (never with the password) and for sending.

use super::Mailer;
use crate::core::audit::{self, Entry, who_of};
use crate::core::error::internal;
use app::api::email::{EmailSettingsInput, EmailSettingsView};
use app::api::ssr::Actor;
use app::domain::ApiError;
use lettre::message::Mailbox;
use serde_json::json;

pub const MAX_RECIPIENTS: usize = 20;

/// Validated settings, ready to send with (the password opened).
#[derive(Clone, Debug)]
pub(super) struct Smtp {
    pub(super) host: String,
    pub(super) port: u16,
    pub(super) security: String,
    pub(super) username: String,
    pub(super) password: Option<String>,
    pub(super) from: Mailbox,
    pub(super) recipients: Vec<Mailbox>,
    pub(super) enabled: bool,
}

type SettingsRow = (
    String,
    i64,
    String,
    String,
    Option<String>,
    String,
    String,
    i64,
    i64,
);

/// `none` (no encryption) is for a relay on this machine only.
fn is_local(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost") || h == "127.0.0.1" || h == "::1"
}

/// Checks the form; answers the settings without the password (kept or replaced by the caller).
fn validate(input: &EmailSettingsInput) -> Result<Smtp, ApiError> {
    let host = input.host.trim().to_string();
    if host.is_empty()
        || host.len() > 253
        || host
            .chars()
            .any(|c| c.is_whitespace() || c == '/' || c == '@')
    {
        return Err(ApiError::invalid(
            "host",
            "Enter the mail server's host name, such as smtp.example.com.",
        ));
    }
    let port = input
        .port
        .trim()
        .parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| ApiError::invalid("port", "Enter a port from 1 to 65535, such as 587."))?;
    let security = input.security.trim().to_string();
    match security.as_str() {
        "starttls" | "tls" => {}
        "none" if is_local(&host) => {}
        "none" => {
            return Err(ApiError::invalid(
                "security",
                "Without encryption the password and the alerts would cross the network readable: \
                 choose STARTTLS or TLS, or use a relay on this machine (localhost, 127.0.0.1 or ::1).",
            ));
        }
        _ => {
            return Err(ApiError::invalid(
                "security",
                "Choose STARTTLS, TLS or none.",
            ));
        }
    }
    let username = input.username.trim().to_string();
    if username.chars().count() > 200 {
        return Err(ApiError::invalid(
            "username",
            "The user name is at most 200 characters.",
        ));
    }
    let from = input.from.trim().parse::<Mailbox>().map_err(|_| {
        ApiError::invalid(
            "from",
            "Enter the sender's e-mail address, such as licensedesk@example.com.",
        )
    })?;
    let mut recipients: Vec<Mailbox> = vec![];
    // One address per line, or several on a line separated by commas or semicolons (a whole
    // line that is one address may itself contain a comma in a quoted name).
    let parts =
        input
            .recipients
            .lines()
            .map(str::trim)
            .flat_map(|line| match line.parse::<Mailbox>() {
                Ok(_) => vec![line],
                Err(_) => line.split([',', ';']).map(str::trim).collect(),
            });
    for part in parts.filter(|p| !p.is_empty()) {
        let mailbox = part.parse::<Mailbox>().map_err(|_| {
            ApiError::invalid(
                "recipients",
                format!("\u{201c}{part}\u{201d} is not an e-mail address."),
            )
        })?;
        if !recipients
            .iter()
            .any(|r| r.email.to_string().to_lowercase() == mailbox.email.to_string().to_lowercase())
        {
            recipients.push(mailbox);
        }
    }
    if recipients.is_empty() {
        return Err(ApiError::invalid(
            "recipients",
            "Enter at least one recipient's e-mail address.",
        ));
    }
    if recipients.len() > MAX_RECIPIENTS {
        return Err(ApiError::invalid(
            "recipients",
            format!("Enter at most {MAX_RECIPIENTS} recipients (a mailing list counts as one)."),
        ));
    }
    Ok(Smtp {
        host,
        port,
        security,
        username,
        password: None,
        from,
        recipients,
        enabled: input.is_enabled(),
    })
}

impl Mailer {
    async fn row(&self) -> Result<Option<SettingsRow>, ApiError> {
        sqlx::query_as(
            "SELECT host, port, security, username, password_enc, from_address, recipients, enabled, updated_at \
             FROM alert_email_settings WHERE id = 1",
        )
        .fetch_optional(&self.db.pool)
        .await
        .map_err(internal)
    }

    /// The stored settings, checked again and with the password opened (`None`: not configured).
    pub(super) async fn smtp(&self) -> Result<Option<Smtp>, ApiError> {
        let Some((host, port, security, username, password, from, recipients, enabled, _)) =
            self.row().await?
        else {
            return Ok(None);
        };
        let input = EmailSettingsInput {
            host,
            port: port.to_string(),
            security,
            username,
            password: String::new(),
            from,
            recipients,
            enabled: (enabled == 1).then(|| "on".into()),
        };
        let mut smtp = validate(&input).map_err(internal)?;
        smtp.password = match password {
            Some(sealed) => Some(self.secrets.open(&sealed).map_err(internal)?),
            None => None,
        };
        Ok(Some(smtp))
    }

    pub async fn settings(&self) -> Result<EmailSettingsView, ApiError> {
        Ok(match self.row().await? {
            None => EmailSettingsView {
                port: 587,
                security: "starttls".into(),
                enabled: true,
                ..EmailSettingsView::default()
            },
            Some((host, port, security, username, password, from, recipients, enabled, at)) => {
                EmailSettingsView {
                    configured: true,
                    host,
                    port: u16::try_from(port).map_err(internal)?,
                    security,
                    username,
                    password_set: password.is_some(),
                    from,
                    recipients: recipients.lines().map(str::to_string).collect(),
                    enabled: enabled == 1,
                    updated_at: Some(at),
                }
            }
        })
    }

    /// Saves the settings (one row) with an audit entry that names what changed, never the
    /// password. A blank password keeps the stored one; without a user name none is kept.
    pub async fn save(&self, actor: &Actor, input: EmailSettingsInput) -> Result<(), ApiError> {
        let smtp = validate(&input)?;
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let before: Option<SettingsRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT host, port, security, username, password_enc, from_address, recipients, enabled, updated_at \
             FROM alert_email_settings WHERE id = 1{}",
            self.db.for_update()
        )))
        .fetch_optional(&mut *tx)
        .await
        .map_err(internal)?;
        let stored = before.as_ref().and_then(|b| b.4.clone());
        let typed = input.password.as_str();
        let (password_enc, password_changed) = if smtp.username.is_empty() {
            (None, stored.is_some())
        } else if typed.trim().is_empty() {
            if stored.is_none() {
                return Err(ApiError::invalid(
                    "password",
                    "Enter the password for this user name.",
                ));
            }
            (stored, false)
        } else {
            (Some(self.secrets.seal(typed)), true)
        };
        let recipients: Vec<String> = smtp.recipients.iter().map(|m| m.to_string()).collect();
        sqlx::query(
            "INSERT INTO alert_email_settings (id, host, port, security, username, password_enc, from_address, recipients, enabled, updated_at) \
             VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (id) DO UPDATE SET host = $1, port = $2, security = $3, username = $4, password_enc = $5, \
             from_address = $6, recipients = $7, enabled = $8, updated_at = $9",
        )
        .bind(&smtp.host)
        .bind(i64::from(smtp.port))
        .bind(&smtp.security)
        .bind(&smtp.username)
        .bind(password_enc)
        .bind(smtp.from.to_string())
        .bind(recipients.join("\n"))
        .bind(i64::from(smtp.enabled))
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        let view =
            |host: &str, port: i64, security: &str, user: &str, from: &str, to: &str, on: i64| {
                json!({"host": host, "port": port, "security": security, "username": user,
                   "from": from, "recipients": to.lines().collect::<Vec<_>>(), "enabled": on == 1})
            };
        let mut entry = Entry::new("email.settings_saved").target("email_settings", 1, "SMTP");
        if let Some((h, p, s, u, _, f, r, e, _)) = &before {
            entry = entry.before(view(h, *p, s, u, f, r, *e));
        }
        let mut after = view(
            &smtp.host,
            i64::from(smtp.port),
            &smtp.security,
            &smtp.username,
            &smtp.from.to_string(),
            &recipients.join("\n"),
            i64::from(smtp.enabled),
        );
        after["password_changed"] = json!(password_changed);
        audit::record_and_commit(tx, now, &who_of(actor), entry.after(after)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(host: &str, security: &str, recipients: &str) -> EmailSettingsInput {
        EmailSettingsInput {
            host: host.into(),
            port: "587".into(),
            security: security.into(),
            from: "LicenseDesk <ld@example.com>".into(),
            recipients: recipients.into(),
            enabled: Some("on".into()),
            ..EmailSettingsInput::default()
        }
    }

    fn field(r: Result<Smtp, ApiError>) -> String {
        match r {
            Err(ApiError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn settings_are_checked_field_by_field() {
        let ok = validate(&input(
            "smtp.example.com",
            "starttls",
            "a@x.org\nB <b@x.org>; a@X.org",
        ));
        assert_eq!(ok.unwrap().recipients.len(), 2, "duplicates dropped");
        assert_eq!(field(validate(&input(" ", "tls", "a@x.org"))), "host");
        assert_eq!(
            field(validate(&input("smtp.example.com", "none", "a@x.org"))),
            "security"
        );
        for local in ["localhost", "127.0.0.1", "::1", "[::1]"] {
            assert!(
                validate(&input(local, "none", "a@x.org")).is_ok(),
                "{local}"
            );
        }
        assert_eq!(field(validate(&input("h", "ssl", "a@x.org"))), "security");
        assert_eq!(
            field(validate(&input("h", "tls", "not an address"))),
            "recipients"
        );
        assert_eq!(field(validate(&input("h", "tls", ""))), "recipients");
        let many: Vec<String> = (0..21).map(|i| format!("r{i}@x.org")).collect();
        assert_eq!(
            field(validate(&input("h", "tls", &many.join(",")))),
            "recipients"
        );
        let mut bad = input("h", "tls", "a@x.org");
        bad.port = "0".into();
        assert_eq!(field(validate(&bad)), "port");
        bad.port = "70000".into();
        assert_eq!(field(validate(&bad)), "port");
        let mut bad = input("h", "tls", "a@x.org");
        bad.from = "nobody".into();
        assert_eq!(field(validate(&bad)), "from");
    }
}
