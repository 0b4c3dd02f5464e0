//! Prices an administrator enters (store apps, agreements) and the per-app "few licenses left"
//! threshold the alert rule `app_low` reads. Each change is audited in its transaction.

use super::Reclaim;
use crate::core::audit::{self, Entry, who_of};
use crate::core::error::internal;
use crate::core::sql::fetch_locked;
use app::api::ssr::Actor;
use app::domain::reclaim::*;
use app::domain::{ApiError, Permission};
use serde_json::{Value, json};
use sqlx::AssertSqlSafe;

/// What can carry a price: its table, the permission that manages it, its audit names.
fn target(kind: &str) -> Result<(&'static str, Permission, &'static str, &'static str), ApiError> {
    match kind {
        "store_app" => Ok((
            "store_apps",
            Permission::ManageStore,
            "store_app",
            "store_app.price_set",
        )),
        "agreement" => Ok((
            "agreements",
            Permission::ManageAgreements,
            "agreement",
            "agreement.price_set",
        )),
        _ => Err(ApiError::invalid(
            "target",
            "A price can be set for a store app or an agreement.",
        )),
    }
}

fn price_json(p: &Option<Price>) -> Value {
    match p {
        Some(p) => {
            json!({"price": app::domain::billing::format_money(p.minor, &p.currency), "per": p.period.as_str()})
        }
        None => json!({"price": null}),
    }
}

/// A store app's price (minor, currency, period) and threshold (percent, count).
type PricingRow = (
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
);

#[derive(sqlx::FromRow)]
struct PriceRow {
    name: String,
    price_minor: Option<i64>,
    price_currency: Option<String>,
    price_period: Option<String>,
}

impl PriceRow {
    fn price(&self) -> Option<Price> {
        Some(Price {
            minor: self.price_minor?,
            currency: self.price_currency.clone()?,
            period: self.price_period.as_deref()?.parse().ok()?,
        })
    }
}

impl Reclaim {
    /// Sets (or, with an empty amount, removes) the price per license of a store app or an
    /// agreement.
    pub async fn set_price(
        &self,
        actor: &Actor,
        kind: &str,
        id: i64,
        amount: &str,
        currency: &str,
        period: &str,
    ) -> Result<(), ApiError> {
        let (table, permission, audit_kind, action) = target(kind)?;
        if !actor.admin.role.allows(permission) {
            return Err(ApiError::Forbidden);
        }
        let price = parse_price_form(amount, currency, period)?;
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let row: PriceRow = fetch_locked(
            &self.db,
            &mut tx,
            &format!(
                "SELECT name, price_minor, price_currency, price_period FROM {table} WHERE id = $1"
            ),
            id,
        )
        .await?;
        let before = row.price();
        sqlx::query(AssertSqlSafe(format!(
            "UPDATE {table} SET price_minor = $2, price_currency = $3, price_period = $4 WHERE id = $1"
        )))
        .bind(id)
        .bind(price.as_ref().map(|p| p.minor))
        .bind(price.as_ref().map(|p| p.currency.clone()))
        .bind(price.as_ref().map(|p| p.period.as_str().to_string()))
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        audit::record_and_commit(
            tx,
            self.clock.now(),
            &who_of(actor),
            Entry::new(action)
                .target(audit_kind, id, row.name)
                .before(price_json(&before))
                .after(price_json(&price)),
        )
        .await
    }

    /// A store app's price and threshold (`custom` when the threshold is not the default).
    pub async fn app_pricing(&self, app_id: i64) -> Result<AppPricing, ApiError> {
        let row: Option<PricingRow> = sqlx::query_as(
            "SELECT price_minor, price_currency, price_period, low_percent, low_count \
                 FROM store_apps WHERE id = $1",
        )
        .bind(app_id)
        .fetch_optional(&self.db.pool)
        .await
        .map_err(internal)?;
        let (minor, currency, period, percent, count) = row.ok_or(ApiError::NotFound)?;
        let default = LowThreshold::default();
        Ok(AppPricing {
            price: PriceRow {
                name: String::new(),
                price_minor: minor,
                price_currency: currency,
                price_period: period,
            }
            .price(),
            custom: percent.is_some() || count.is_some(),
            low: LowThreshold {
                percent: percent.unwrap_or(default.percent),
                count: count.unwrap_or(default.count),
            },
        })
    }

    /// Sets a store app's alert threshold; both fields empty go back to the defaults.
    pub async fn set_threshold(
        &self,
        actor: &Actor,
        app_id: i64,
        percent: &str,
        count: &str,
    ) -> Result<(), ApiError> {
        if !actor.admin.role.allows(Permission::ManageStore) {
            return Err(ApiError::Forbidden);
        }
        let low = if percent.trim().is_empty() && count.trim().is_empty() {
            None
        } else {
            Some(LowThreshold::parse(percent, count)?)
        };
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let (name, old_percent, old_count): (String, Option<i64>, Option<i64>) = fetch_locked(
            &self.db,
            &mut tx,
            "SELECT name, low_percent, low_count FROM store_apps WHERE id = $1",
            app_id,
        )
        .await?;
        sqlx::query("UPDATE store_apps SET low_percent = $2, low_count = $3 WHERE id = $1")
            .bind(app_id)
            .bind(low.map(|l| l.percent))
            .bind(low.map(|l| l.count))
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        audit::record_and_commit(
            tx,
            self.clock.now(),
            &who_of(actor),
            Entry::new("store_app.threshold_set")
                .target("store_app", app_id, name)
                .before(json!({"percent": old_percent, "count": old_count}))
                .after(json!({"percent": low.map(|l| l.percent), "count": low.map(|l| l.count)})),
        )
        .await
    }
}
