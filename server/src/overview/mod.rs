//! The overview (SPEC X-2): alerts about what needs an administrator's action, read from every
//! area. Nothing in another area imports this module: the alert job reads their tables and the
//! licenses area's installation report.

pub mod alerts;
pub mod charts;
pub mod dashboard;
pub mod email;
pub mod notify;
pub mod reclaim;

pub use alerts::Alerts;
pub use notify::Notifier;

use crate::core::error::internal;
use app::api::ssr::Actor;
use app::domain::ApiError;
use app::domain::overview::*;

/// The overview's server-function backend: alerts, dashboard figures and webhooks.
#[derive(Clone)]
pub struct Overview {
    pub alerts: Alerts,
    pub notifier: Notifier,
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: i64,
    event: String,
    alert_id: Option<i64>,
    attempt: i64,
    status_code: Option<i64>,
    error: String,
    delivered: i64,
    at: i64,
}

impl From<DeliveryRow> for DeliveryView {
    fn from(r: DeliveryRow) -> DeliveryView {
        DeliveryView {
            id: r.id,
            event: r.event,
            alert_id: r.alert_id,
            attempt: r.attempt,
            status_code: r.status_code,
            error: r.error,
            delivered: r.delivered == 1,
            at: r.at,
        }
    }
}

impl Overview {
    async fn delivery_log(&self, id: i64, limit: i64) -> Result<Vec<DeliveryView>, ApiError> {
        let rows: Vec<DeliveryRow> = sqlx::query_as(
            "SELECT id, event, alert_id, attempt, status_code, error, delivered, at FROM alert_deliveries \
             WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(id)
        .bind(limit)
        .fetch_all(&self.alerts.db.pool)
        .await
        .map_err(internal)?;
        Ok(rows.into_iter().map(DeliveryView::from).collect())
    }
}

#[async_trait::async_trait]
impl app::api::overview::OverviewBackend for Overview {
    async fn list_alerts(
        &self,
        actor: &Actor,
        state: String,
        area: String,
    ) -> Result<Vec<AlertView>, ApiError> {
        self.alerts.list(actor, &state, &area).await
    }

    async fn count_alerts(&self) -> Result<AlertCount, ApiError> {
        self.alerts.count().await
    }

    async fn acknowledge(&self, actor: &Actor, id: i64) -> Result<(), ApiError> {
        self.alerts.acknowledge(actor, id).await
    }

    async fn snooze(&self, actor: &Actor, id: i64, until: String) -> Result<(), ApiError> {
        self.alerts.snooze(actor, id, &until).await
    }

    async fn figures(&self) -> Result<DashboardFigures, ApiError> {
        let mut figures = dashboard::figures(&self.alerts.db, &self.alerts.clock).await?;
        figures.alerts = self.alerts.count().await?;
        Ok(figures)
    }

    async fn charts(&self) -> Result<DashboardCharts, ApiError> {
        charts::charts(&self.alerts.db, &self.alerts.clock).await
    }

    async fn list_webhooks(&self) -> Result<Vec<WebhookView>, ApiError> {
        let rows: Vec<(i64, String, String, i64, i64)> = sqlx::query_as(
            "SELECT id, name, url, enabled, created_at FROM alert_webhooks ORDER BY id",
        )
        .fetch_all(&self.alerts.db.pool)
        .await
        .map_err(internal)?;
        Ok(rows
            .into_iter()
            .map(|(id, name, url, enabled, created_at)| WebhookView {
                id,
                name,
                url,
                enabled: enabled == 1,
                created_at,
            })
            .collect())
    }

    async fn add_webhook(
        &self,
        actor: &Actor,
        name: String,
        url: String,
    ) -> Result<NewWebhook, ApiError> {
        let (id, secret) = self.notifier.add(actor, &name, &url).await?;
        Ok(NewWebhook { id, secret })
    }

    async fn remove_webhook(&self, actor: &Actor, id: i64) -> Result<(), ApiError> {
        self.notifier.remove(actor, id).await
    }

    async fn test_webhook(&self, id: i64) -> Result<Vec<DeliveryView>, ApiError> {
        let attempts = self.notifier.test(id).await?.len() as i64;
        let mut log = self.delivery_log(id, attempts).await?;
        log.reverse();
        Ok(log)
    }

    async fn deliveries(&self, id: i64) -> Result<Vec<DeliveryView>, ApiError> {
        self.delivery_log(id, 100).await
    }
}
