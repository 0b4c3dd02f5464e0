//! Overview server functions (SPEC X-2): alerts. Every role reads them; acknowledging or
//! snoozing one needs the permission that manages its area (store, licenses, billing), checked
//! by the backend.

use crate::domain::ApiError;
use crate::domain::overview::{
    AlertCount, AlertView, DashboardCharts, DashboardFigures, DeliveryView, NewWebhook, WebhookView,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
pub use backend::*;

/// Alerts in one state (`open`, `acknowledged`, `snoozed`, `closed`, `all`), optionally of one
/// area, most severe and most recent first (at most 500).
#[server(endpoint = "alerts_list")]
pub async fn list_alerts(
    state: Option<String>,
    area: Option<String>,
) -> Result<Vec<AlertView>, ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::Read)?;
        overview()?
            .list_alerts(&actor, state.unwrap_or_default(), area.unwrap_or_default())
            .await
    }
    .await;
    finish(result)
}

/// The top bar's count of open alerts that need action.
#[server(endpoint = "alerts_count")]
pub async fn count_alerts() -> Result<AlertCount, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::Read)?;
        overview()?.count_alerts().await
    }
    .await;
    finish(result)
}

/// Acknowledges an open alert (who and when are kept, and audited).
#[server(endpoint = "alerts_acknowledge")]
pub async fn acknowledge_alert(id: i64) -> Result<(), ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::Read)?;
        overview()?.acknowledge(&actor, id).await
    }
    .await;
    finish(result)
}

/// Snoozes an open alert until the start of `until` (a date, `YYYY-MM-DD`, in the future and
/// at most a year ahead); an empty date ends the snooze.
#[server(endpoint = "alerts_snooze")]
pub async fn snooze_alert(id: i64, until: String) -> Result<(), ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::Read)?;
        overview()?.snooze(&actor, id, until).await
    }
    .await;
    finish(result)
}

/// The dashboard's figures (every role reads them).
#[server(endpoint = "dashboard_figures")]
pub async fn get_dashboard_figures() -> Result<DashboardFigures, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::Read)?;
        overview()?.figures().await
    }
    .await;
    finish(result)
}

/// The dashboard's charts: spend per month, licenses used vs owned, what ends or renews in the
/// next 90 days (every role reads them, like the figures).
#[server(endpoint = "dashboard_charts")]
pub async fn get_dashboard_charts() -> Result<DashboardCharts, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::Read)?;
        overview()?.charts().await
    }
    .await;
    finish(result)
}

/// The webhooks that receive alerts (Global admins: they hold addresses and secrets).
#[server(endpoint = "webhooks_list")]
pub async fn list_webhooks() -> Result<Vec<WebhookView>, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::ManageAdmins)?;
        overview()?.list_webhooks().await
    }
    .await;
    finish(result)
}

/// Adds a webhook; answers its signing secret, shown this once.
#[server(endpoint = "webhooks_add")]
pub async fn add_webhook(name: String, url: String) -> Result<NewWebhook, ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageAdmins)?;
        overview()?.add_webhook(&actor, name, url).await
    }
    .await;
    finish(result)
}

#[server(endpoint = "webhooks_remove")]
pub async fn remove_webhook(id: i64) -> Result<(), ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageAdmins)?;
        overview()?.remove_webhook(&actor, id).await
    }
    .await;
    finish(result)
}

/// Sends a test event to a webhook now; answers the attempts (also in its delivery log).
#[server(endpoint = "webhooks_test")]
pub async fn test_webhook(id: i64) -> Result<Vec<DeliveryView>, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::ManageAdmins)?;
        overview()?.test_webhook(id).await
    }
    .await;
    finish(result)
}

/// A webhook's delivery log, newest first (the last 100 attempts).
#[server(endpoint = "webhooks_deliveries")]
pub async fn webhook_deliveries(id: i64) -> Result<Vec<DeliveryView>, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::ManageAdmins)?;
        overview()?.deliveries(id).await
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
    pub trait OverviewBackend: Send + Sync + 'static {
        async fn list_alerts(
            &self,
            actor: &Actor,
            state: String,
            area: String,
        ) -> Result<Vec<AlertView>, ApiError>;
        async fn count_alerts(&self) -> Result<AlertCount, ApiError>;
        async fn acknowledge(&self, actor: &Actor, id: i64) -> Result<(), ApiError>;
        async fn snooze(&self, actor: &Actor, id: i64, until: String) -> Result<(), ApiError>;
        async fn figures(&self) -> Result<DashboardFigures, ApiError>;
        async fn charts(&self) -> Result<DashboardCharts, ApiError>;
        async fn list_webhooks(&self) -> Result<Vec<WebhookView>, ApiError>;
        async fn add_webhook(
            &self,
            actor: &Actor,
            name: String,
            url: String,
        ) -> Result<NewWebhook, ApiError>;
        async fn remove_webhook(&self, actor: &Actor, id: i64) -> Result<(), ApiError>;
        async fn test_webhook(&self, id: i64) -> Result<Vec<DeliveryView>, ApiError>;
        async fn deliveries(&self, id: i64) -> Result<Vec<DeliveryView>, ApiError>;
    }

    pub type SharedOverview = Arc<dyn OverviewBackend>;

    pub fn overview() -> Result<SharedOverview, ApiError> {
        use_context::<SharedOverview>().ok_or_else(|| ApiError::Internal {
            reference: "no-overview".into(),
        })
    }
}
