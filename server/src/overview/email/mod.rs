//! Alert delivery by e-mail over SMTP: every alert opened (or reopened) is mailed once, as plain
//! text, to the configured recipients. Which server mails an alert is decided by one conditional
//! UPDATE of `alerts.emailed_at` (the same rule as the webhooks' `notified_at`), so several
//! servers never mail it twice. At most [`ATTEMPTS`] attempts per message, each bounded by
//! [`Mailer::timeout`] and logged in `alert_email_sends`. The SMTP password is stored only sealed
//! and is never returned, logged or audited.

use super::notify::Notifier;
use crate::core::clock::Clock;
use crate::core::error::internal;
use crate::db::Db;
use crate::secrets::SecretBox;
use app::api::email::{EmailSendView, EmailSettingsInput, EmailSettingsView};
use app::api::ssr::Actor;
use app::domain::ApiError;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration;

mod settings;

pub use settings::MAX_RECIPIENTS;
use settings::Smtp;

pub const ATTEMPTS: u32 = 3;

#[derive(Clone)]
pub struct Mailer {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub secrets: SecretBox,
    /// The first pause between attempts (doubles per attempt).
    pub backoff: Duration,
    /// The bound of one attempt (connect, talk, send).
    pub timeout: Duration,
    /// The portal's public address, to make alert links absolute.
    pub public_url: String,
}

/// The message's words for a failed attempt (never the password, never a stack trace).
fn describe_error(e: &lettre::transport::smtp::Error) -> String {
    if e.is_timeout() {
        return "the mail server did not answer in time".into();
    }
    if let Some(code) = e.status() {
        return format!("the mail server refused the message ({code})");
    }
    if e.is_tls() {
        return "the encrypted connection failed (check the security setting and port)".into();
    }
    "could not connect to the mail server".into()
}

fn utc(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .map(|t| format!("{} {:02}:{:02} UTC", t.date(), t.hour(), t.minute()))
        .unwrap_or_default()
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

impl Mailer {
    pub fn new(db: Db, clock: Arc<dyn Clock>, secrets: SecretBox) -> Mailer {
        Mailer {
            db,
            clock,
            secrets,
            backoff: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
            public_url: String::new(),
        }
    }

    /// The mailer that shares the webhook notifier's database, clock, key and public address.
    pub fn from_notifier(n: &Notifier) -> Mailer {
        let mut m = Mailer::new(n.db.clone(), n.clock.clone(), n.secrets.clone());
        m.backoff = n.backoff;
        m.public_url = n.public_url.clone();
        m
    }

    /// Sends one message to every recipient: at most [`ATTEMPTS`] attempts, each logged.
    async fn send(
        &self,
        smtp: &Smtp,
        alert_id: Option<i64>,
        event: &str,
        subject: &str,
        body: &str,
    ) -> Result<Vec<EmailSendView>, ApiError> {
        let mut builder = match smtp.security.as_str() {
            "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host),
            "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host),
            _ => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                &smtp.host,
            )),
        }
        .map_err(internal)?
        .port(smtp.port)
        .timeout(Some(self.timeout));
        if let (false, Some(password)) = (smtp.username.is_empty(), &smtp.password) {
            builder =
                builder.credentials(Credentials::new(smtp.username.clone(), password.clone()));
        }
        let transport = builder.build();
        let mut message = Message::builder()
            .from(smtp.from.clone())
            .subject(subject)
            .date(std::time::UNIX_EPOCH + Duration::from_secs(self.clock.now().max(0) as u64))
            .header(ContentType::TEXT_PLAIN);
        for r in &smtp.recipients {
            message = message.to(r.clone());
        }
        let message = message.body(body.to_string()).map_err(internal)?;
        let mut attempts = vec![];
        for attempt in 1..=ATTEMPTS {
            let error =
                match tokio::time::timeout(self.timeout, transport.send(message.clone())).await {
                    Ok(Ok(_)) => String::new(),
                    Ok(Err(e)) => describe_error(&e),
                    Err(_) => "the mail server did not answer in time".into(),
                };
            let delivered = error.is_empty();
            let at = self.clock.now();
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO alert_email_sends (alert_id, event, attempt, recipients, delivered, error, at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(alert_id)
            .bind(event)
            .bind(i64::from(attempt))
            .bind(smtp.recipients.len() as i64)
            .bind(i64::from(delivered))
            .bind(&error)
            .bind(at)
            .fetch_one(&self.db.pool)
            .await
            .map_err(internal)?;
            attempts.push(EmailSendView {
                id,
                event: event.into(),
                alert_id,
                attempt: i64::from(attempt),
                recipients: smtp.recipients.len() as i64,
                delivered,
                error,
                at,
            });
            if delivered {
                break;
            }
            if attempt < ATTEMPTS {
                tokio::time::sleep(self.backoff * 2u32.pow(attempt - 1)).await;
            }
        }
        Ok(attempts)
    }

    /// Sends a test message to every recipient now (also when delivery is switched off).
    pub async fn send_test(&self) -> Result<Vec<EmailSendView>, ApiError> {
        let smtp = self.smtp().await?.ok_or_else(|| {
            ApiError::Conflict("Save the e-mail settings before sending a test.".into())
        })?;
        let body = "A test from LicenseDesk: this address receives its alerts by e-mail.\n";
        self.send(&smtp, None, "test", "[LicenseDesk] Test message", body)
            .await
    }

    /// Mails every alert opened (or reopened) since it was last mailed, one message per alert.
    /// An alert is claimed before it is sent, so it is mailed once however many servers run;
    /// after a message that could not be delivered the rest wait for the next run. Answers how
    /// many alerts were mailed.
    pub async fn deliver_pending(&self) -> Result<usize, ApiError> {
        let smtp = self.smtp().await?.filter(|s| s.enabled);
        type Row = (i64, String, String, String, String, String, i64);
        let due: Vec<Row> = sqlx::query_as(
            "SELECT id, rule, area, severity, params, link, opened_at FROM alerts \
             WHERE closed_at IS NULL AND (emailed_at IS NULL OR emailed_at < opened_at) ORDER BY id",
        )
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        let mut sent = 0;
        for (id, rule, area, severity, params, link, opened_at) in due {
            let claimed = sqlx::query(
                "UPDATE alerts SET emailed_at = $1 WHERE id = $2 AND (emailed_at IS NULL OR emailed_at < opened_at)",
            )
            .bind(self.clock.now().max(opened_at))
            .bind(id)
            .execute(&self.db.pool)
            .await
            .map_err(internal)?
            .rows_affected();
            let Some(smtp) = smtp.as_ref().filter(|_| claimed > 0) else {
                continue;
            };
            let params = serde_json::from_str(&params).unwrap_or(serde_json::Value::Null);
            let title = super::alerts::describe(&rule, &params);
            let severity = capitalised(&severity);
            let subject = format!("[LicenseDesk] {severity}: {title}");
            let body = format!(
                "{severity} alert ({area}) in LicenseDesk.\n\n\
                 What:  {title}\n\
                 Since: {}\n\
                 Fix:   {}{link}\n\n\
                 You receive this because this address is a recipient of LicenseDesk's alert \
                 e-mail (Settings, Notifications).\n",
                utc(opened_at),
                self.public_url.trim_end_matches('/'),
            );
            let attempts = self
                .send(smtp, Some(id), "alert.opened", &subject, &body)
                .await?;
            if !attempts.iter().any(|a| a.delivered) {
                break;
            }
            sent += 1;
        }
        Ok(sent)
    }

    pub async fn log(&self, limit: i64) -> Result<Vec<EmailSendView>, ApiError> {
        type Row = (i64, String, Option<i64>, i64, i64, i64, String, i64);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, event, alert_id, attempt, recipients, delivered, error, at FROM alert_email_sends \
             ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        Ok(rows
            .into_iter()
            .map(
                |(id, event, alert_id, attempt, recipients, delivered, error, at)| EmailSendView {
                    id,
                    event,
                    alert_id,
                    attempt,
                    recipients,
                    delivered: delivered == 1,
                    error,
                    at,
                },
            )
            .collect())
    }
}

#[async_trait::async_trait]
impl app::api::email::EmailBackend for Mailer {
    async fn settings(&self) -> Result<EmailSettingsView, ApiError> {
        Mailer::settings(self).await
    }

    async fn save(&self, actor: &Actor, input: EmailSettingsInput) -> Result<(), ApiError> {
        Mailer::save(self, actor, input).await
    }

    async fn test(&self) -> Result<Vec<EmailSendView>, ApiError> {
        self.send_test().await
    }

    async fn log(&self) -> Result<Vec<EmailSendView>, ApiError> {
        Mailer::log(self, 50).await
    }
}
