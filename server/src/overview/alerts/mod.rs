//! Alerts: every rule is a query over the areas' tables that answers the conditions it finds,
//! each named by (rule, subject). [`Alerts::evaluate`] runs every rule and, in one transaction
//! that first locks the single `alert_evaluations` row (so evaluations on several servers run
//! one after another), raises an alert per new condition, reopens one whose condition returned,
//! updates severity and details, and closes the alerts whose condition is gone. UNIQUE (rule,
//! subject) keeps one row per condition whatever runs when.

use crate::core::audit::{self, Entry, who_of};
use crate::core::clock::Clock;
use crate::core::error::internal;
use crate::db::Db;
use app::api::ssr::Actor;
use app::domain::ApiError;
use app::domain::overview::{AlertArea, AlertCount, AlertState, AlertView, Severity};
use serde_json::{Value, json};
use sqlx::AssertSqlSafe;
use std::sync::Arc;

mod describe;
mod rules;

pub use describe::describe;
use describe::{date_of, date_text};

/// Days before a store token's expiry that it is reported (warning, then critical).
pub const TOKEN_WARN_DAYS: i64 = 30;
pub const TOKEN_CRITICAL_DAYS: i64 = 7;
/// Days before an agreement's end that it is reported (info, then warning).
pub const AGREEMENT_INFO_DAYS: i64 = 60;
pub const AGREEMENT_WARN_DAYS: i64 = 30;
/// Days before a subscription renews that it is reported; days a disabled one stays reported.
pub const RENEWAL_DAYS: i64 = 30;
pub const DISABLED_DAYS: i64 = 30;
/// Days before a card's expiry that it is reported.
pub const CARD_DAYS: i64 = 60;

/// One condition a rule found.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub rule: &'static str,
    pub subject: String,
    pub area: AlertArea,
    pub severity: Severity,
    pub params: Value,
    pub link: String,
}

#[derive(Clone)]
pub struct Alerts {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
}

const DAY: i64 = 86_400;

#[derive(sqlx::FromRow)]
struct AlertRow {
    id: i64,
    rule: String,
    area: String,
    severity: String,
    params: String,
    link: String,
    opened_at: i64,
    closed_at: Option<i64>,
    acknowledged_by: Option<String>,
    acknowledged_at: Option<i64>,
    snoozed_until: Option<i64>,
}

impl AlertRow {
    fn view(self, actor: &Actor) -> AlertView {
        let area = self.area.parse().unwrap_or(AlertArea::Store);
        let params: Value = serde_json::from_str(&self.params).unwrap_or(Value::Null);
        AlertView {
            id: self.id,
            title: describe(&self.rule, &params),
            rule: self.rule,
            severity: self.severity.parse().unwrap_or(Severity::Warning),
            can_handle: area.handled_by(actor.admin.role),
            area,
            link: self.link,
            opened_at: self.opened_at,
            closed_at: self.closed_at,
            acknowledged_by: self.acknowledged_by,
            acknowledged_at: self.acknowledged_at,
            snoozed_until: self.snoozed_until,
        }
    }
}

const ALERT_COLUMNS: &str = "id, rule, area, severity, params, link, opened_at, closed_at, \
     acknowledged_by, acknowledged_at, snoozed_until";

/// Severity as a number for ordering in SQL (critical first).
const SEVERITY_ORDER: &str =
    "CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END";

impl Alerts {
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> Alerts {
        Alerts { db, clock }
    }

    /// Runs every rule and brings the alerts in line with what it found (see the module
    /// comment). Answers (raised or reopened, closed).
    pub async fn evaluate(&self) -> Result<(u64, u64), ApiError> {
        let found = self.conditions().await?;
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let generation: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT generation FROM alert_evaluations WHERE id = 1{}",
            self.db.for_update()
        )))
        .fetch_one(&mut *tx)
        .await
        .map_err(internal)?;
        let generation = generation + 1;
        let mut raised = 0;
        for c in &found {
            let params = c.params.to_string();
            // New: insert. Seen again while open: severity and details follow. Closed and back:
            // reopened as new (opened now, acknowledgement and snooze cleared).
            let changed = sqlx::query(
                "INSERT INTO alerts (rule, subject, area, severity, params, link, opened_at, seen_in) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (rule, subject) DO UPDATE SET severity = excluded.severity, \
                 params = excluded.params, link = excluded.link, seen_in = excluded.seen_in, \
                 opened_at = CASE WHEN alerts.closed_at IS NULL THEN alerts.opened_at ELSE excluded.opened_at END, \
                 acknowledged_by = CASE WHEN alerts.closed_at IS NULL THEN alerts.acknowledged_by ELSE NULL END, \
                 acknowledged_at = CASE WHEN alerts.closed_at IS NULL THEN alerts.acknowledged_at ELSE NULL END, \
                 snoozed_until = CASE WHEN alerts.closed_at IS NULL THEN alerts.snoozed_until ELSE NULL END, \
                 closed_at = NULL",
            )
            .bind(c.rule)
            .bind(&c.subject)
            .bind(c.area.as_str())
            .bind(c.severity.as_str())
            .bind(&params)
            .bind(&c.link)
            .bind(now)
            .bind(generation)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
            raised += changed.rows_affected().min(1);
        }
        let closed = sqlx::query(
            "UPDATE alerts SET closed_at = $1 WHERE closed_at IS NULL AND seen_in <> $2",
        )
        .bind(now)
        .bind(generation)
        .execute(&mut *tx)
        .await
        .map_err(internal)?
        .rows_affected();
        sqlx::query("UPDATE alert_evaluations SET generation = $1, evaluated_at = $2 WHERE id = 1")
            .bind(generation)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        Ok((raised, closed))
    }

    pub async fn list(
        &self,
        actor: &Actor,
        state: &str,
        area: &str,
    ) -> Result<Vec<AlertView>, ApiError> {
        let state: AlertState = if state.is_empty() {
            AlertState::Open
        } else {
            state.parse().map_err(|_| {
                ApiError::invalid(
                    "state",
                    "Choose open, acknowledged, snoozed, closed or all.",
                )
            })?
        };
        let now = self.clock.now();
        let mut binds = crate::core::sql::Binds::default();
        let mut conds = vec![match state {
            AlertState::Open => {
                let p = binds.int(now);
                format!(
                    "closed_at IS NULL AND acknowledged_at IS NULL AND (snoozed_until IS NULL OR snoozed_until <= {p})"
                )
            }
            AlertState::Acknowledged => "closed_at IS NULL AND acknowledged_at IS NOT NULL".into(),
            AlertState::Snoozed => {
                let p = binds.int(now);
                format!("closed_at IS NULL AND acknowledged_at IS NULL AND snoozed_until > {p}")
            }
            AlertState::Closed => "closed_at IS NOT NULL".into(),
            AlertState::All => "1 = 1".into(),
        }];
        if !area.is_empty() {
            let area: AlertArea = area
                .parse()
                .map_err(|_| ApiError::invalid("area", "Choose store, licenses or billing."))?;
            conds.push(format!("area = {}", binds.text(area.as_str())));
        }
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE {} ORDER BY {SEVERITY_ORDER}, opened_at DESC, id DESC LIMIT 500",
            conds.join(" AND ")
        );
        let rows: Vec<AlertRow> = binds
            .query_as(sql)
            .fetch_all(&self.db.pool)
            .await
            .map_err(internal)?;
        Ok(rows.into_iter().map(|r| r.view(actor)).collect())
    }

    pub async fn count(&self) -> Result<AlertCount, ApiError> {
        let (open, critical): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN severity = 'critical' THEN 1 ELSE 0 END), 0) FROM alerts \
             WHERE closed_at IS NULL AND acknowledged_at IS NULL AND (snoozed_until IS NULL OR snoozed_until <= $1)",
        )
        .bind(self.clock.now())
        .fetch_one(&self.db.pool)
        .await
        .map_err(internal)?;
        Ok(AlertCount { open, critical })
    }

    /// The open alert `id` locked for a change by `actor`, who must manage its area.
    async fn open_for_change(
        &self,
        tx: &mut crate::db::Tx,
        actor: &Actor,
        id: i64,
    ) -> Result<AlertRow, ApiError> {
        let row: Option<AlertRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE id = $1{}",
            self.db.for_update()
        )))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(internal)?;
        let row = row.ok_or(ApiError::NotFound)?;
        let area: AlertArea = row.area.parse().unwrap_or(AlertArea::Store);
        if !area.handled_by(actor.admin.role) {
            return Err(ApiError::Forbidden);
        }
        if row.closed_at.is_some() {
            return Err(ApiError::Conflict(
                "This alert has closed itself: its condition is gone.".into(),
            ));
        }
        Ok(row)
    }

    pub async fn acknowledge(&self, actor: &Actor, id: i64) -> Result<(), ApiError> {
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let row = self.open_for_change(&mut tx, actor, id).await?;
        if row.acknowledged_at.is_some() {
            return Ok(());
        }
        sqlx::query("UPDATE alerts SET acknowledged_by = $1, acknowledged_at = $2 WHERE id = $3")
            .bind(&actor.admin.username)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        let params: Value = serde_json::from_str(&row.params).unwrap_or(Value::Null);
        audit::record_and_commit(
            tx,
            now,
            &who_of(actor),
            Entry::new("alert.acknowledged")
                .target("alert", id, describe(&row.rule, &params))
                .after(json!({"rule": row.rule})),
        )
        .await
    }

    pub async fn snooze(&self, actor: &Actor, id: i64, until: &str) -> Result<(), ApiError> {
        let now = self.clock.now();
        let until = until.trim();
        let until_ts = if until.is_empty() {
            None
        } else {
            let date = date_of(until)
                .ok_or_else(|| ApiError::invalid("until", "Enter a date such as 2026-12-31."))?;
            let ts = date.midnight().assume_utc().unix_timestamp();
            if ts <= now || ts > now + 366 * DAY {
                return Err(ApiError::invalid(
                    "until",
                    "Snooze until a date after today and at most a year ahead.",
                ));
            }
            Some(ts)
        };
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let row = self.open_for_change(&mut tx, actor, id).await?;
        sqlx::query("UPDATE alerts SET snoozed_until = $1 WHERE id = $2")
            .bind(until_ts)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        let params: Value = serde_json::from_str(&row.params).unwrap_or(Value::Null);
        audit::record_and_commit(
            tx,
            now,
            &who_of(actor),
            Entry::new("alert.snoozed")
                .target("alert", id, describe(&row.rule, &params))
                .before(json!({"snoozed_until": row.snoozed_until.map(date_text)}))
                .after(json!({"snoozed_until": until_ts.map(date_text)})),
        )
        .await
    }
}
