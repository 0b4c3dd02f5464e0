//! Reclaim server functions (SPEC X-3). Every role reads the list; freeing an item needs the
//! permission of its area (store: ManageStore, ISV: AssignLicenses, seats: ManageBilling plus the
//! Purchase role on the subscription's billing profile), checked by the backend for each item.
//! Prices: ManageStore for store apps, ManageAgreements for agreements.

use crate::domain::ApiError;
use crate::domain::reclaim::{AppPricing, ReclaimList, ReclaimOutcome, ReclaimTotals};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
pub use backend::*;

/// What is paid for and not used (at most 1,000 rows; totals over all), with the day limits
/// for "not checked in" and "pending" (default 30).
#[server(endpoint = "reclaim_list")]
pub async fn list_reclaimable(
    inactive_days: Option<i64>,
    pending_days: Option<i64>,
) -> Result<ReclaimList, ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::Read)?;
        reclaim()?.list(&actor, inactive_days, pending_days).await
    }
    .await;
    finish(result)
}

/// The dashboard's reclaim card: the number of items and the monthly cost (default limits).
#[server(endpoint = "reclaim_totals")]
pub async fn get_reclaim_totals() -> Result<ReclaimTotals, ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::Read)?;
        let list = reclaim()?.list(&actor, None, None).await?;
        Ok(ReclaimTotals {
            items: list.total_items,
            monthly: list.monthly_total,
        })
    }
    .await;
    finish(result)
}

/// Frees the selected items (keys from the list, comma-separated) as one change: all of them or
/// none.
#[server(endpoint = "reclaim_apply")]
pub async fn reclaim_selected(
    keys: String,
    inactive_days: Option<i64>,
    pending_days: Option<i64>,
) -> Result<ReclaimOutcome, ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::Read)?;
        reclaim()?
            .reclaim(
                &actor,
                keys.split(',')
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(str::to_string)
                    .collect(),
                inactive_days,
                pending_days,
            )
            .await
    }
    .await;
    finish(result)
}

/// Sets or (with an empty amount) removes the price per license of a store app (`store_app`)
/// or an agreement (`agreement`); `period` is `month` or `year`.
#[server(endpoint = "reclaim_set_price")]
pub async fn set_license_price(
    target: String,
    id: i64,
    amount: String,
    currency: String,
    period: String,
) -> Result<(), ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::Read)?;
        reclaim()?
            .set_price(&actor, target, id, amount, currency, period)
            .await
    }
    .await;
    finish(result)
}

/// A store app's price and "few licenses left" threshold.
#[server(endpoint = "reclaim_app_pricing")]
pub async fn get_app_pricing(app_id: i64) -> Result<AppPricing, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::Read)?;
        reclaim()?.app_pricing(app_id).await
    }
    .await;
    finish(result)
}

/// Sets a store app's alert threshold (percent of the total, and a count; the larger applies);
/// both empty restore the defaults (10 %, 5 licenses).
#[server(endpoint = "reclaim_set_threshold")]
pub async fn set_low_threshold(
    app_id: i64,
    low_percent: String,
    low_count: String,
) -> Result<(), ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageStore)?;
        reclaim()?
            .set_threshold(&actor, app_id, low_percent, low_count)
            .await
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
    pub trait ReclaimBackend: Send + Sync + 'static {
        async fn list(
            &self,
            actor: &Actor,
            inactive_days: Option<i64>,
            pending_days: Option<i64>,
        ) -> Result<ReclaimList, ApiError>;
        async fn reclaim(
            &self,
            actor: &Actor,
            keys: Vec<String>,
            inactive_days: Option<i64>,
            pending_days: Option<i64>,
        ) -> Result<ReclaimOutcome, ApiError>;
        async fn set_price(
            &self,
            actor: &Actor,
            target: String,
            id: i64,
            amount: String,
            currency: String,
            period: String,
        ) -> Result<(), ApiError>;
        async fn app_pricing(&self, app_id: i64) -> Result<AppPricing, ApiError>;
        async fn set_threshold(
            &self,
            actor: &Actor,
            app_id: i64,
            percent: String,
            count: String,
        ) -> Result<(), ApiError>;
    }

    pub type SharedReclaim = Arc<dyn ReclaimBackend>;

    pub fn reclaim() -> Result<SharedReclaim, ApiError> {
        use_context::<SharedReclaim>().ok_or_else(|| ApiError::Internal {
            reference: "no-reclaim".into(),
        })
    }
}
