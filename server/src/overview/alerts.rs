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
/// An app in use is low when at most this share of its licenses (or this many) is left.
pub const LOW_PERCENT: i64 = 10;
pub const LOW_LICENSES: i64 = 5;

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

fn date_text(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .map(|t| t.date().to_string())
        .unwrap_or_default()
}

fn date_of(text: &str) -> Option<time::Date> {
    time::Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

/// The sentence an alert shows, made from its rule and details when it is read.
pub fn describe(rule: &str, p: &Value) -> String {
    let s = |k: &str| p[k].as_str().unwrap_or("").to_string();
    let n = |k: &str| p[k].as_i64().unwrap_or(0);
    match rule {
        "token_expiring" if n("days") <= 0 => format!(
            "The store token of \u{201c}{}\u{201d} has expired ({}): upload a renewed token.",
            s("name"),
            s("date")
        ),
        "token_expiring" => format!(
            "The store token of \u{201c}{}\u{201d} expires in {} days ({}): upload a renewed token.",
            s("name"),
            n("days"),
            s("date")
        ),
        "token_state" => match s("state").as_str() {
            "revoked" => format!(
                "Apple revoked the token of \u{201c}{}\u{201d}: upload a new token.",
                s("name")
            ),
            "other_product" => format!(
                "Another management product has claimed the token of \u{201c}{}\u{201d}: upload a new token here.",
                s("name")
            ),
            _ => format!(
                "The store reports the token of \u{201c}{}\u{201d} as expired: upload a renewed token.",
                s("name")
            ),
        },
        "sync_failing" => format!(
            "The last two syncs of \u{201c}{}\u{201d} failed: {}",
            s("name"),
            s("error")
        ),
        "app_low" if n("available") <= 0 => format!(
            "\u{201c}{}\u{201d} has no license left ({} owned, all in use).",
            s("name"),
            n("total")
        ),
        "app_low" => format!(
            "\u{201c}{}\u{201d} has {} of {} licenses left.",
            s("name"),
            n("available"),
            n("total")
        ),
        "agreement_ending" => format!(
            "Agreement \u{201c}{}\u{201d} ends in {} days ({}).",
            s("name"),
            n("days"),
            s("date")
        ),
        "subscription_renewing" => format!(
            "\u{201c}{}\u{201d} renews in {} days ({}).",
            s("name"),
            n("days"),
            s("date")
        ),
        "subscription_disabled" => format!(
            "\u{201c}{}\u{201d} was disabled ({}) on {}.",
            s("name"),
            s("reason").replace('_', " "),
            s("date")
        ),
        "invoice_overdue" => format!(
            "Invoice {} (\u{201c}{}\u{201d}) is overdue: it was due on {}.",
            s("number"),
            s("profile"),
            s("date")
        ),
        "card_expiring" if n("days") < 0 => format!(
            "The card ending in {} on \u{201c}{}\u{201d} has expired ({}).",
            s("last4"),
            s("profile"),
            s("expires")
        ),
        "card_expiring" => format!(
            "The card ending in {} on \u{201c}{}\u{201d} expires at the end of {}.",
            s("last4"),
            s("profile"),
            s("expires")
        ),
        "under_licensed" => format!(
            "{} {} is under-licensed: {} installed, {} owned, {} licenses missing.",
            s("publisher"),
            s("product"),
            n("installed"),
            n("owned"),
            n("missing")
        ),
        other => other.replace('_', " "),
    }
}

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

    /// Every rule's conditions, now.
    pub async fn conditions(&self) -> Result<Vec<Condition>, ApiError> {
        let now = self.clock.now();
        let mut out = vec![];
        self.store_conditions(now, &mut out).await?;
        self.license_conditions(now, &mut out).await?;
        self.billing_conditions(now, &mut out).await?;
        Ok(out)
    }

    async fn store_conditions(&self, now: i64, out: &mut Vec<Condition>) -> Result<(), ApiError> {
        let conns: Vec<(i64, String, Option<i64>, String)> = sqlx::query_as(
            "SELECT id, name, expires_at, state FROM store_connections WHERE removed_at IS NULL ORDER BY id",
        )
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        for (id, name, expires_at, state) in conns {
            let link = "/store/connections".to_string();
            if state != "valid" {
                out.push(Condition {
                    rule: "token_state",
                    subject: format!("store_connection:{id}"),
                    area: AlertArea::Store,
                    severity: Severity::Critical,
                    params: json!({"name": name, "state": state}),
                    link: link.clone(),
                });
            } else if let Some(exp) = expires_at {
                let days = (exp - now).div_euclid(DAY);
                if exp - now <= TOKEN_WARN_DAYS * DAY {
                    out.push(Condition {
                        rule: "token_expiring",
                        subject: format!("store_connection:{id}"),
                        area: AlertArea::Store,
                        severity: if exp - now <= TOKEN_CRITICAL_DAYS * DAY {
                            Severity::Critical
                        } else {
                            Severity::Warning
                        },
                        params: json!({"name": name, "days": days.max(0), "date": date_text(exp)}),
                        link: link.clone(),
                    });
                }
            }
            // The last two runs failed.
            let last: Vec<(String, Option<String>)> = sqlx::query_as(
                "SELECT result, error FROM store_sync_runs WHERE connection_id = $1 AND result <> 'running' \
                 ORDER BY id DESC LIMIT 2",
            )
            .bind(id)
            .fetch_all(&self.db.pool)
            .await
            .map_err(internal)?;
            if last.len() == 2 && last.iter().all(|(r, _)| r == "failed") {
                out.push(Condition {
                    rule: "sync_failing",
                    subject: format!("store_connection:{id}"),
                    area: AlertArea::Store,
                    severity: Severity::Warning,
                    params: json!({"name": name, "error": last[0].1.clone().unwrap_or_default()}),
                    link: "/store/sync-runs".into(),
                });
            }
        }
        // Apps in use with few licenses left (unlimited apps never run low).
        let apps: Vec<(i64, String, i64, i64)> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT a.id, a.name, a.total_count, a.total_count - a.used - a.outside_assigned \
             FROM store_apps a JOIN store_connections c ON c.id = a.connection_id \
             WHERE c.removed_at IS NULL AND a.retired = 0 AND a.used > 0 AND a.total_count < {} \
             ORDER BY a.id",
            app::domain::store::UNLIMITED
        )))
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        for (id, name, total, available) in apps {
            let threshold = LOW_LICENSES.max((total * LOW_PERCENT).div_euclid(100));
            if available <= threshold {
                out.push(Condition {
                    rule: "app_low",
                    subject: format!("store_app:{id}"),
                    area: AlertArea::Store,
                    severity: if available <= 0 {
                        Severity::Critical
                    } else {
                        Severity::Warning
                    },
                    params: json!({"name": name, "available": available.max(0), "total": total}),
                    link: format!("/store/apps/{id}"),
                });
            }
        }
        Ok(())
    }

    async fn license_conditions(&self, now: i64, out: &mut Vec<Condition>) -> Result<(), ApiError> {
        let today = time::OffsetDateTime::from_unix_timestamp(now)
            .map_err(internal)?
            .date();
        let agreements: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT id, name, ends_on FROM agreements WHERE ends_on IS NOT NULL AND ends_on <> '' ORDER BY id",
        )
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        for (id, name, ends_on) in agreements {
            let Some(end) = date_of(&ends_on) else {
                continue;
            };
            let days = (end - today).whole_days();
            if (0..=AGREEMENT_INFO_DAYS).contains(&days) {
                out.push(Condition {
                    rule: "agreement_ending",
                    subject: format!("agreement:{id}"),
                    area: AlertArea::Licenses,
                    severity: if days <= AGREEMENT_WARN_DAYS {
                        Severity::Warning
                    } else {
                        Severity::Info
                    },
                    params: json!({"name": name, "days": days, "date": ends_on}),
                    link: "/licenses/agreements".into(),
                });
            }
        }
        // Products installed on more computers than there are licenses (the installation
        // report's rule, `app::domain::licenses::compliance`).
        let licenses = crate::licenses::Licenses {
            db: self.db.clone(),
            clock: self.clock.clone(),
            licensing: None,
        };
        let report = licenses
            .build_installation_report(app::domain::licenses::SoftwareScope::All)
            .await?;
        for line in report.lines {
            if let app::domain::licenses::Compliance::UnderLicensed(missing) = line.status {
                out.push(Condition {
                    rule: "under_licensed",
                    subject: format!(
                        "product:{}\u{1f}{}",
                        line.publisher.to_lowercase(),
                        line.product.to_lowercase()
                    ),
                    area: AlertArea::Licenses,
                    severity: Severity::Warning,
                    params: json!({"publisher": line.publisher, "product": line.product,
                                   "installed": line.installed, "owned": line.owned, "missing": missing}),
                    link: "/licenses/reports".into(),
                });
            }
        }
        Ok(())
    }

    async fn billing_conditions(&self, now: i64, out: &mut Vec<Condition>) -> Result<(), ApiError> {
        let today = time::OffsetDateTime::from_unix_timestamp(now)
            .map_err(internal)?
            .date();
        /// id, name, status, renews_on, disabled_reason, disabled_at
        type SubRow = (i64, String, String, String, Option<String>, Option<i64>);
        let subs: Vec<SubRow> =
            sqlx::query_as(
                "SELECT id, app_name, status, renews_on, disabled_reason, disabled_at FROM subscriptions ORDER BY id",
            )
            .fetch_all(&self.db.pool)
            .await
            .map_err(internal)?;
        for (id, name, status, renews_on, reason, disabled_at) in subs {
            let link = format!("/billing/subscriptions/{id}");
            if status == "disabled" {
                if let Some(at) = disabled_at
                    && now - at <= DISABLED_DAYS * DAY
                {
                    out.push(Condition {
                        rule: "subscription_disabled",
                        subject: format!("subscription:{id}"),
                        area: AlertArea::Billing,
                        severity: Severity::Warning,
                        params: json!({"name": name, "reason": reason.unwrap_or_default(), "date": date_text(at)}),
                        link,
                    });
                }
                continue;
            }
            if status != "active" {
                continue;
            }
            let Some(renews) = date_of(&renews_on) else {
                continue;
            };
            let days = (renews - today).whole_days();
            if (0..=RENEWAL_DAYS).contains(&days) {
                out.push(Condition {
                    rule: "subscription_renewing",
                    subject: format!("subscription:{id}"),
                    area: AlertArea::Billing,
                    severity: Severity::Info,
                    params: json!({"name": name, "days": days, "date": renews_on}),
                    link,
                });
            }
        }
        let overdue: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT i.id, i.number, p.name, i.due_on FROM invoices i JOIN billing_profiles p ON p.id = i.profile_id \
             WHERE i.status = 'overdue' ORDER BY i.id",
        )
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        for (id, number, profile, due_on) in overdue {
            out.push(Condition {
                rule: "invoice_overdue",
                subject: format!("invoice:{id}"),
                area: AlertArea::Billing,
                severity: Severity::Critical,
                params: json!({"number": number, "profile": profile, "date": due_on}),
                link: format!("/billing/invoices/{id}"),
            });
        }
        /// id, profile name, last four digits, expiry month and year
        type CardRow = (i64, String, Option<String>, Option<i64>, Option<i64>);
        let cards: Vec<CardRow> = sqlx::query_as(
            "SELECT m.id, p.name, m.card_last4, m.card_exp_month, m.card_exp_year FROM payment_methods m \
             JOIN billing_profiles p ON p.id = m.profile_id WHERE m.kind = 'card' ORDER BY m.id",
        )
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        for (id, profile, last4, month, year) in cards {
            let (Some(month), Some(year)) = (month, year) else {
                continue;
            };
            // A card is valid through the last day of its expiry month.
            let Ok(month_) = time::Month::try_from(u8::try_from(month).unwrap_or(0)) else {
                continue;
            };
            let Ok(first) =
                time::Date::from_calendar_date(i32::try_from(year).unwrap_or(0), month_, 1)
            else {
                continue;
            };
            let last_day =
                first + time::Duration::days(i64::from(first.month().length(first.year())) - 1);
            let days = (last_day - today).whole_days();
            if days <= CARD_DAYS {
                out.push(Condition {
                    rule: "card_expiring",
                    subject: format!("payment_method:{id}"),
                    area: AlertArea::Billing,
                    severity: if days < 0 {
                        Severity::Critical
                    } else {
                        Severity::Warning
                    },
                    params: json!({"profile": profile, "last4": last4.unwrap_or_default(),
                                   "expires": format!("{month:02}/{year}"), "days": days}),
                    link: "/billing/profiles".into(),
                });
            }
        }
        Ok(())
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
