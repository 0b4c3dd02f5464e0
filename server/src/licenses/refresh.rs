//! Refresh now (SPEC L-3): validate every number set and fetch the entitlements of the valid
//! ones from the licensing service, then store everything in one transaction. A failed call
//! changes nothing and says why.

use super::Licenses;
use crate::core::audit::{self, Entry, who_of};
use crate::core::error::internal;
use crate::licensing::{ConnectorError, SetRef};
use app::api::ssr::Actor;
use app::domain::ApiError;
use app::domain::licenses::{RefreshReport, RefreshStatus};
use serde_json::json;
use std::collections::{BTreeMap, HashMap, HashSet};

fn unavailable(e: ConnectorError) -> ApiError {
    match e {
        ConnectorError::NotConfigured => ApiError::Conflict(
            "No licensing service is configured (set --licensing-url); nothing was changed.".into(),
        ),
        other => ApiError::Unavailable(format!(
            "Refresh failed: {other}. Nothing was changed; try again later."
        )),
    }
}

impl Licenses {
    pub(crate) async fn refresh_now(&self, actor: &Actor) -> Result<RefreshReport, ApiError> {
        let connector = self
            .licensing
            .as_ref()
            .ok_or_else(|| unavailable(ConnectorError::NotConfigured))?;
        let rows: Vec<(i64, i64, String, String, Option<i64>)> = sqlx::query_as(
            "SELECT s.id, s.agreement_id, s.first_number, s.second_number, s.duplicate_of \
             FROM agreement_number_sets s \
             JOIN agreements a ON a.id = s.agreement_id WHERE a.kind = 'volume' ORDER BY s.id",
        )
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        let mut unique: Vec<SetRef> = vec![];
        let mut seen = HashSet::new();
        for (_, _, first, second, _) in &rows {
            let r = SetRef {
                first: first.clone(),
                second: second.clone(),
            };
            if seen.insert(r.clone()) {
                unique.push(r);
            }
        }
        // Both calls happen before anything is written.
        let validations = connector.validate(&unique).await.map_err(unavailable)?;
        let valid: HashSet<SetRef> = validations
            .iter()
            .filter(|v| v.valid)
            .map(|v| SetRef {
                first: v.first.clone(),
                second: v.second.clone(),
            })
            .collect();
        let valid_list: Vec<SetRef> = unique
            .iter()
            .filter(|s| valid.contains(s))
            .cloned()
            .collect();
        let entitlements = connector
            .entitlements(&valid_list)
            .await
            .map_err(unavailable)?;
        let by_set: HashMap<SetRef, Vec<crate::licensing::Product>> = entitlements
            .into_iter()
            .map(|e| {
                (
                    SetRef {
                        first: e.first,
                        second: e.second,
                    },
                    e.products,
                )
            })
            .collect();

        let now = self.clock.now();
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let mut per_agreement: BTreeMap<i64, BTreeMap<(String, String), i64>> = BTreeMap::new();
        let (mut n_valid, mut n_invalid) = (0, 0);
        for (set_id, agreement_id, first, second, duplicate_of) in &rows {
            let r = SetRef {
                first: first.clone(),
                second: second.clone(),
            };
            let ok = valid.contains(&r);
            if ok {
                n_valid += 1
            } else {
                n_invalid += 1
            }
            sqlx::query("UPDATE agreement_number_sets SET status = $1 WHERE id = $2")
                .bind(if ok { "valid" } else { "invalid" })
                .bind(*set_id)
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
            // A set stored twice before sets became unique counts once, for its oldest copy.
            let counted = duplicate_of.is_none().then(|| by_set.get(&r)).flatten();
            for p in counted.into_iter().flatten() {
                // The service's quantities are outside input: a sum saturates, never overflows.
                let sum = per_agreement
                    .entry(*agreement_id)
                    .or_default()
                    .entry((p.publisher.clone(), p.product.clone()))
                    .or_default();
                *sum = sum.saturating_add(p.quantity);
            }
        }
        sqlx::query("DELETE FROM agreement_entitlements")
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        let mut products = 0;
        for (agreement_id, items) in &per_agreement {
            for ((publisher, product), quantity) in items {
                sqlx::query(
                    "INSERT INTO agreement_entitlements (agreement_id, publisher, product, quantity) VALUES ($1, $2, $3, $4)",
                )
                .bind(*agreement_id)
                .bind(publisher.clone())
                .bind(product.clone())
                .bind(*quantity)
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
                products += 1;
            }
        }
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ('licenses_refreshed_at', $1) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(now.to_string())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        let report = RefreshReport {
            sets: rows.len() as i64,
            valid: n_valid,
            invalid: n_invalid,
            products,
        };
        audit::record_and_commit(
            tx,
            now,
            &who_of(actor),
            Entry::new("licenses.refreshed").after(json!({
                "sets": report.sets, "valid": report.valid, "invalid": report.invalid, "products": report.products
            })),
        )
        .await?;
        Ok(report)
    }

    pub(crate) async fn status(&self) -> Result<RefreshStatus, ApiError> {
        let refreshed_at: Option<i64> = sqlx::query_scalar::<_, String>(
            "SELECT value FROM settings WHERE key = 'licenses_refreshed_at'",
        )
        .fetch_optional(&self.db.pool)
        .await
        .map_err(internal)?
        .and_then(|v| v.parse().ok());
        let last_change: Option<i64> = sqlx::query_scalar("SELECT MAX(updated_at) FROM agreements")
            .fetch_one(&self.db.pool)
            .await
            .map_err(internal)?;
        let stale = match (refreshed_at, last_change) {
            (None, Some(_)) => true,
            (Some(r), Some(c)) => c > r,
            _ => false,
        };
        Ok(RefreshStatus {
            refreshed_at,
            stale,
            configured: self.licensing.is_some(),
        })
    }
}
