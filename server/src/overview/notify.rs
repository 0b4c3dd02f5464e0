//! Alert delivery by webhook: every alert opened (or reopened) is posted once, as JSON, to every
//! enabled webhook. Each request is signed: `X-LicenseDesk-Signature: sha256=<hex>` is the
//! HMAC-SHA256, keyed with the webhook's secret, of `<X-LicenseDesk-Timestamp>.<body>`, so a
//! receiver can check both origin and freshness. At most [`ATTEMPTS`] attempts per delivery,
//! with a growing pause; every attempt is logged. Which server sends an alert is decided by one
//! conditional UPDATE of `alerts.notified_at`, so several servers never send it twice.

use crate::core::audit::{self, Entry, who_of};
use crate::core::clock::Clock;
use crate::core::error::internal;
use crate::db::Db;
use crate::secrets::SecretBox;
use app::api::ssr::Actor;
use app::domain::ApiError;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::sync::Arc;
use std::time::Duration;

pub const ATTEMPTS: u32 = 3;

#[derive(Clone)]
pub struct Notifier {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub secrets: SecretBox,
    pub http: reqwest::Client,
    /// The first pause between attempts (doubles per attempt).
    pub backoff: Duration,
    /// The portal's public address, to make alert links absolute.
    pub public_url: String,
}

/// HMAC-SHA256 of `message` keyed with `key`, in hex.
fn hmac_hex(key: &[u8], message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// The signature header's value for `body` sent at `timestamp`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    format!(
        "sha256={}",
        hmac_hex(secret.as_bytes(), format!("{timestamp}.{body}").as_bytes())
    )
}

/// A webhook's address must be http(s) with a host; nothing else is ever called.
fn check_url(url: &str) -> Result<String, ApiError> {
    let parsed = url::Url::parse(url.trim()).map_err(|_| {
        ApiError::invalid(
            "url",
            "Enter the full address, such as https://hooks.example.com/ld.",
        )
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(ApiError::invalid(
            "url",
            "The address must start with https:// (or http://) and name a host.",
        ));
    }
    Ok(parsed.to_string())
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Attempt {
    pub status: Option<u16>,
    pub error: String,
    pub delivered: bool,
}

impl Notifier {
    pub fn new(db: Db, clock: Arc<dyn Clock>, secrets: SecretBox) -> Notifier {
        Notifier {
            db,
            clock,
            secrets,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("an HTTP client always builds"),
            backoff: Duration::from_secs(1),
            public_url: String::new(),
        }
    }

    /// Posts `payload` to one webhook: at most [`ATTEMPTS`] attempts (a 2xx ends them), each
    /// logged in `alert_deliveries`.
    async fn post(
        &self,
        webhook_id: i64,
        url: &str,
        secret: &str,
        alert_id: Option<i64>,
        event: &str,
        payload: &Value,
    ) -> Result<Vec<Attempt>, ApiError> {
        let body = payload.to_string();
        let mut attempts = vec![];
        for attempt in 1..=ATTEMPTS {
            let timestamp = self.clock.now();
            let sent = self
                .http
                .post(url)
                .header("content-type", "application/json")
                .header("x-licensedesk-event", event)
                .header("x-licensedesk-timestamp", timestamp.to_string())
                .header(
                    "x-licensedesk-signature",
                    signature(secret, timestamp, &body),
                )
                .body(body.clone())
                .send()
                .await;
            let a = match sent {
                Ok(res) if res.status().is_success() => Attempt {
                    status: Some(res.status().as_u16()),
                    error: String::new(),
                    delivered: true,
                },
                Ok(res) => Attempt {
                    status: Some(res.status().as_u16()),
                    error: format!("the receiver answered HTTP {}", res.status().as_u16()),
                    delivered: false,
                },
                Err(e) => Attempt {
                    status: None,
                    error: if e.is_timeout() {
                        "no answer within 10 seconds".into()
                    } else {
                        "could not connect".into()
                    },
                    delivered: false,
                },
            };
            sqlx::query(
                "INSERT INTO alert_deliveries (webhook_id, alert_id, event, attempt, status_code, error, delivered, at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(webhook_id)
            .bind(alert_id)
            .bind(event)
            .bind(i64::from(attempt))
            .bind(a.status.map(i64::from))
            .bind(&a.error)
            .bind(i64::from(a.delivered))
            .bind(self.clock.now())
            .execute(&self.db.pool)
            .await
            .map_err(internal)?;
            let done = a.delivered;
            attempts.push(a);
            if done {
                break;
            }
            if attempt < ATTEMPTS {
                tokio::time::sleep(self.backoff * 2u32.pow(attempt - 1)).await;
            }
        }
        Ok(attempts)
    }

    async fn webhooks(&self) -> Result<Vec<(i64, String, String)>, ApiError> {
        let rows: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT id, url, secret_enc FROM alert_webhooks WHERE enabled = 1 ORDER BY id",
        )
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        rows.into_iter()
            .map(|(id, url, sealed)| {
                let secret = self.secrets.open(&sealed).map_err(internal)?;
                Ok((id, url, secret))
            })
            .collect()
    }

    /// Sends every alert opened (or reopened) since it was last sent to every enabled webhook.
    /// Answers how many alerts were sent.
    pub async fn deliver_pending(&self) -> Result<usize, ApiError> {
        let hooks = self.webhooks().await?;
        type Row = (i64, String, String, String, String, String, i64);
        let due: Vec<Row> = sqlx::query_as(
            "SELECT id, rule, area, severity, params, link, opened_at FROM alerts \
             WHERE closed_at IS NULL AND (notified_at IS NULL OR notified_at < opened_at) ORDER BY id",
        )
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        let mut sent = 0;
        for (id, rule, area, severity, params, link, opened_at) in due {
            // Claim it: only the server whose update matched sends it.
            let claimed = sqlx::query(
                "UPDATE alerts SET notified_at = $1 WHERE id = $2 AND (notified_at IS NULL OR notified_at < opened_at)",
            )
            .bind(self.clock.now().max(opened_at))
            .bind(id)
            .execute(&self.db.pool)
            .await
            .map_err(internal)?
            .rows_affected();
            if claimed == 0 || hooks.is_empty() {
                continue;
            }
            let params: Value = serde_json::from_str(&params).unwrap_or(Value::Null);
            let payload = json!({
                "event": "alert.opened",
                "alert": {
                    "id": id,
                    "rule": rule,
                    "area": area,
                    "severity": severity,
                    "title": super::alerts::describe(&rule, &params),
                    "link": format!("{}{link}", self.public_url.trim_end_matches('/')),
                    "opened_at": opened_at,
                },
            });
            for (hook, url, secret) in &hooks {
                self.post(*hook, url, secret, Some(id), "alert.opened", &payload)
                    .await?;
            }
            sent += 1;
        }
        Ok(sent)
    }

    /// Adds a webhook; answers its id and the signing secret (shown once).
    pub async fn add(
        &self,
        actor: &Actor,
        name: &str,
        url: &str,
    ) -> Result<(i64, String), ApiError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ApiError::invalid(
                "name",
                "Enter a name of 1 to 100 characters.",
            ));
        }
        let url = check_url(url)?;
        let secret = hex::encode(rand::random::<[u8; 32]>());
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO alert_webhooks (name, url, secret_enc, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(name)
        .bind(&url)
        .bind(self.secrets.seal(&secret))
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(internal)?;
        audit::record_and_commit(
            tx,
            now,
            &who_of(actor),
            Entry::new("webhook.added")
                .target("webhook", id, name)
                .after(json!({"url": url})),
        )
        .await?;
        Ok((id, secret))
    }

    pub async fn remove(&self, actor: &Actor, id: i64) -> Result<(), ApiError> {
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let name: Option<String> =
            sqlx::query_scalar("SELECT name FROM alert_webhooks WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(internal)?;
        let name = name.ok_or(ApiError::NotFound)?;
        sqlx::query("DELETE FROM alert_webhooks WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        audit::record_and_commit(
            tx,
            now,
            &who_of(actor),
            Entry::new("webhook.removed").target("webhook", id, name),
        )
        .await
    }

    /// Sends a test event to one webhook now; answers the attempts.
    pub async fn test(&self, id: i64) -> Result<Vec<Attempt>, ApiError> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT url, secret_enc FROM alert_webhooks WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.db.pool)
                .await
                .map_err(internal)?;
        let (url, sealed) = row.ok_or(ApiError::NotFound)?;
        let secret = self.secrets.open(&sealed).map_err(internal)?;
        let payload = json!({"event": "test", "message": "A test from LicenseDesk: this webhook receives alerts."});
        self.post(id, &url, &secret, None, "test", &payload).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_of_timestamp_and_body() {
        // RFC 4231, test case 2.
        assert_eq!(
            hmac_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let sig = signature("Jefe", 0, "what do ya want for nothing?");
        assert_eq!(
            sig,
            format!(
                "sha256={}",
                hmac_hex(b"Jefe", b"0.what do ya want for nothing?")
            )
        );
        assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64, "{sig}");
        assert_ne!(sig, signature("Jefe", 1, "what do ya want for nothing?"));
        assert_ne!(sig, signature("Jeff", 0, "what do ya want for nothing?"));
    }

    #[test]
    fn only_http_addresses_with_a_host_are_webhooks() {
        assert!(check_url("https://hooks.example.com/x").is_ok());
        for bad in [
            "",
            "hooks.example.com",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "ftp://x.example/",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}
