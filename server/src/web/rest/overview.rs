//! `/api/v1/alerts` and `/api/v1/audit` (SPEC X-2, D-6 for scripts): monitoring reads the open
//! alerts and acknowledges them; auditors read the log. Same backend calls as the pages.

use super::extract::{Api, Body, Paged, page};
use super::problem::{Problem, ProblemDetails};
use crate::web::AppState;
use app::api::overview::OverviewBackend;
use app::api::ssr::Backend;
use app::domain::overview::AlertView;
use app::domain::{AuditEntry, AuditFilter, Permission};
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_alerts))
        .routes(routes!(acknowledge_alert))
        .routes(routes!(snooze_alert))
        .routes(routes!(list_audit))
}

fn overview(state: &AppState) -> crate::overview::Overview {
    crate::overview::Overview {
        alerts: (*state.alerts).clone(),
        notifier: (*state.notifier).clone(),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertQuery {
    /// `open` (default: needs action), `acknowledged`, `snoozed` or `closed`.
    state: Option<String>,
    /// `store`, `licenses` or `billing`.
    area: Option<String>,
}

/// The alerts, most severe first. One alert per condition, so the list is one page.
#[utoipa::path(get, path = "/alerts", tag = "overview", params(AlertQuery),
    responses((status = 200, body = Paged<AlertView>), (status = 422, body = ProblemDetails)))]
async fn list_alerts(
    api: Api,
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<AlertQuery>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::Read)?;
    let items = overview(&state)
        .list_alerts(
            &actor,
            q.state.unwrap_or_default(),
            q.area.unwrap_or_default(),
        )
        .await?;
    Ok(page(&uri, Paged::whole(items)))
}

/// Acknowledge an alert (who and when are kept; it stays until its condition is gone).
#[utoipa::path(post, path = "/alerts/{id}/acknowledge", tag = "overview",
    params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ProblemDetails), (status = 404, body = ProblemDetails)))]
async fn acknowledge_alert(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::Read)?;
    overview(&state).acknowledge(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"until": "2026-12-31"}))]
pub struct SnoozeBody {
    /// The day (YYYY-MM-DD, UTC) the alert comes back if its condition remains.
    pub until: String,
}

/// Snooze an alert until a date.
#[utoipa::path(post, path = "/alerts/{id}/snooze", tag = "overview",
    params(("id" = i64, Path)), request_body = SnoozeBody,
    responses((status = 204), (status = 404, body = ProblemDetails), (status = 422, body = ProblemDetails)))]
async fn snooze_alert(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Body(body): Body<SnoozeBody>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::Read)?;
    overview(&state).snooze(&actor, id, body.until).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Part of the actor's sign-in name (an API token is `token:<name>`).
    actor: Option<String>,
    /// Action prefix, e.g. `user.` or `subscription.quantity_changed`.
    action: Option<String>,
    /// Part of the target or the values before and after.
    text: Option<String>,
    cursor: Option<String>,
}

/// The audit log, newest first.
#[utoipa::path(get, path = "/audit", tag = "overview", params(AuditQuery),
    responses((status = 200, body = Paged<AuditEntry>), (status = 400, body = ProblemDetails)))]
async fn list_audit(
    api: Api,
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<AuditQuery>,
) -> Result<Response, Problem> {
    api.allow(Permission::Read)?;
    let before_id = match q.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(c.parse::<i64>().map_err(|_| {
            Problem::new("bad-request", "The cursor is not one this API gave out.")
        })?),
    };
    let p = state
        .services
        .list_audit(AuditFilter {
            actor: q.actor,
            action: q.action,
            text: q.text,
            before_id,
        })
        .await?;
    Ok(page(
        &uri,
        Paged {
            items: p.items,
            next: p.next.map(|n| n.to_string()),
            total: None,
        },
    ))
}
