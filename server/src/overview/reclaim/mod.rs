//! Reclaim (SPEC X-3): what is paid for and not used, what it costs, and taking it back.
//!
//! Freeing goes through the areas' own code, in ONE transaction for the whole selection: store
//! licenses through `store::deploy::reconcile` (the reclaimed user is left out of the app's
//! reach, `store_reclaims`), ISV licenses through `Billing::reclaim_isv_tx` (the app's row lock
//! and count), seats through `Billing::set_quantity_tx` (Change license quantity, never below
//! what is assigned). Every item asked for must still be a candidate when the transaction
//! reads it again; otherwise nothing changes. Lock order as the directory hooks: ISV apps, then
//! store apps, then subscriptions, each in id order.

pub mod candidates;
pub mod prices;

use crate::billing::Billing;
use crate::core::audit::{self, Entry, who_of};
use crate::core::clock::Clock;
use crate::core::error::{internal, retry_busy};
use crate::db::{Db, Tx};
use crate::store::Store;
use app::api::ssr::Actor;
use app::domain::overview::Money;
use app::domain::reclaim::*;
use app::domain::{ApiError, Permission, Role};
use candidates::Candidate;
use serde_json::json;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

/// The page shows at most this many rows; the CSV export has them all.
pub const PAGE_ROWS: usize = 1000;
/// At most this many items in one reclaim.
pub const MAX_SELECTION: usize = 1000;

#[derive(Clone)]
pub struct Reclaim {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub billing: Arc<Billing>,
    pub store: Arc<Store>,
}

/// The permission that frees a kind.
pub fn permission(kind: ReclaimKind) -> Option<Permission> {
    match kind {
        ReclaimKind::StoreDisabled | ReclaimKind::StoreInactive | ReclaimKind::StorePending => {
            Some(Permission::ManageStore)
        }
        ReclaimKind::IsvDisabled => Some(Permission::AssignLicenses),
        ReclaimKind::SaasUnassigned => Some(Permission::ManageBilling),
        ReclaimKind::AgreementUnused => None,
    }
}

fn money(price: &Option<Price>, count: i64, yearly: bool) -> Option<Money> {
    price.as_ref().map(|p| Money {
        currency: p.currency.clone(),
        minor: if yearly {
            p.yearly(count)
        } else {
            p.monthly(count)
        },
    })
}

impl Reclaim {
    /// Every candidate, in page order: store, ISV, seats, agreements.
    pub async fn candidates(
        &self,
        tx: &mut Tx,
        inactive_days: i64,
        pending_days: i64,
    ) -> Result<Vec<Candidate>, ApiError> {
        let now = self.clock.now();
        let mut out = candidates::store(
            tx,
            now - inactive_days * 86_400,
            now - pending_days * 86_400,
        )
        .await?;
        out.extend(candidates::isv(tx).await?);
        out.extend(candidates::seats(tx).await?);
        out.extend(candidates::agreements(tx).await?);
        Ok(out)
    }

    /// The page: candidates (at most [`PAGE_ROWS`]), totals over all of them.
    pub async fn list(
        &self,
        role: Role,
        inactive_days: Option<i64>,
        pending_days: Option<i64>,
    ) -> Result<ReclaimList, ApiError> {
        let inactive_days = parse_days("inactive_days", inactive_days)?;
        let pending_days = parse_days("pending_days", pending_days)?;
        let mut tx = self.db.pool.begin().await.map_err(internal)?;
        let all = self
            .candidates(&mut tx, inactive_days, pending_days)
            .await?;
        tx.rollback().await.map_err(internal)?;
        let mut list = ReclaimList {
            inactive_days,
            pending_days,
            truncated: all.len() > PAGE_ROWS,
            total_items: all.len() as i64,
            ..Default::default()
        };
        for c in &all {
            if let Some(m) = money(&c.price, c.licenses, false) {
                add_money(&mut list.monthly_total, &m.currency, m.minor);
            }
            if let Some(m) = money(&c.price, c.licenses, true) {
                add_money(&mut list.yearly_total, &m.currency, m.minor);
            }
        }
        list.rows = all
            .into_iter()
            .take(PAGE_ROWS)
            .map(|c| row(c, role))
            .collect();
        Ok(list)
    }

    /// Frees the selected items (keys from the list) as one change; see the module comment.
    pub async fn reclaim(
        &self,
        actor: &Actor,
        keys: Vec<String>,
        inactive_days: Option<i64>,
        pending_days: Option<i64>,
    ) -> Result<ReclaimOutcome, ApiError> {
        let inactive_days = parse_days("inactive_days", inactive_days)?;
        let pending_days = parse_days("pending_days", pending_days)?;
        let keys: Vec<String> = keys
            .into_iter()
            .map(|k| k.trim().to_string())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        if keys.is_empty() {
            return Err(ApiError::invalid("keys", "Select what to reclaim."));
        }
        if keys.len() > MAX_SELECTION {
            return Err(ApiError::invalid(
                "keys",
                format!("Reclaim at most {MAX_SELECTION} items at once."),
            ));
        }
        let (outcome, store_apps) =
            retry_busy(|| self.reclaim_tx(actor, keys.clone(), inactive_days, pending_days))
                .await?;
        for app_id in store_apps {
            self.store.deliver_later(app_id);
        }
        Ok(outcome)
    }

    async fn reclaim_tx(
        &self,
        actor: &Actor,
        keys: Vec<String>,
        inactive_days: i64,
        pending_days: i64,
    ) -> Result<(ReclaimOutcome, Vec<i64>), ApiError> {
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let all = self
            .candidates(&mut tx, inactive_days, pending_days)
            .await?;
        let wanted: HashSet<&str> = keys.iter().map(String::as_str).collect();
        let chosen: Vec<Candidate> = all
            .into_iter()
            .filter(|c| wanted.contains(c.key().as_str()))
            .collect();
        if chosen.len() != wanted.len() {
            return Err(ApiError::Conflict(format!(
                "{} of the {} selected items are no longer reclaimable (someone changed them, or they were reclaimed already). Nothing was reclaimed: reload the list and try again.",
                wanted.len() - chosen.len(),
                wanted.len()
            )));
        }
        for c in &chosen {
            match permission(c.kind) {
                Some(p) if actor.admin.role.allows(p) => {}
                Some(_) => return Err(ApiError::Forbidden),
                None => {
                    return Err(ApiError::invalid(
                        "keys",
                        format!(
                            "\u{201c}{}\u{201d} is an agreement: it is not reclaimed here; do not renew it when it ends.",
                            c.item
                        ),
                    ));
                }
            }
        }
        let mut outcome = ReclaimOutcome::default();
        for c in &chosen {
            if let Some(m) = money(&c.price, c.licenses, false) {
                add_money(&mut outcome.monthly_saving, &m.currency, m.minor);
            }
        }
        let mut isv: BTreeMap<i64, Vec<&Candidate>> = BTreeMap::new();
        let mut store: BTreeMap<i64, Vec<&Candidate>> = BTreeMap::new();
        let mut seats: BTreeMap<i64, &Candidate> = BTreeMap::new();
        for c in &chosen {
            match c.kind {
                ReclaimKind::IsvDisabled => isv.entry(c.item_id).or_default().push(c),
                ReclaimKind::SaasUnassigned => {
                    seats.insert(c.item_id, c);
                }
                _ => store.entry(c.item_id).or_default().push(c),
            }
        }
        let now = self.clock.now();
        let who = who_of(actor);
        for (app_id, items) in &isv {
            let users: Vec<i64> = items.iter().map(|c| c.user_id).collect();
            let (name, freed) = self
                .billing
                .reclaim_isv_tx(&mut tx, *app_id, &users, ReclaimKind::IsvDisabled.as_str())
                .await?;
            outcome.isv_licenses += freed;
            audit::record(
                &mut tx,
                now,
                &who,
                Entry::new("isv_license.reclaimed")
                    .target("isv_app", app_id, name)
                    .after(json!({"users": holders(items), "freed": freed, "reason": "disabled"})),
            )
            .await?;
        }
        for (app_id, items) in &store {
            outcome.store_licenses += self.reclaim_store(&mut tx, *app_id, items, now).await?;
            audit::record(
                &mut tx,
                now,
                &who,
                Entry::new("store.license_reclaimed")
                    .target("store_app", app_id, items[0].item.clone())
                    .after(json!({
                        "users": holders(items),
                        "reasons": items.iter().map(|c| c.kind.as_str()).collect::<Vec<_>>(),
                        "freed": items.len(),
                    })),
            )
            .await?;
        }
        for (id, c) in &seats {
            let sub_quantity = c.licenses;
            let current: i64 =
                sqlx::query_scalar("SELECT quantity FROM subscriptions WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(internal)?;
            self.billing
                .set_quantity_tx(&mut tx, actor, *id, current - sub_quantity)
                .await?;
            outcome.seats += sub_quantity;
        }
        tx.commit().await.map_err(internal)?;
        Ok((outcome, store.keys().copied().collect()))
    }

    /// Leaves the users out of the app's reach and lets `reconcile` free their licenses.
    async fn reclaim_store(
        &self,
        tx: &mut Tx,
        app_id: i64,
        items: &[&Candidate],
        now: i64,
    ) -> Result<i64, ApiError> {
        // Lock the app's row before a row referencing it is written (see ARCHITECTURE.md).
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id FROM store_apps WHERE id = $1{}",
            self.db.for_update()
        )))
        .bind(app_id)
        .fetch_one(&mut **tx)
        .await
        .map_err(internal)?;
        for c in items {
            sqlx::query(
                "INSERT INTO store_reclaims (app_id, user_id, reason, reclaimed_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(app_id)
            .bind(c.user_id)
            .bind(c.kind.as_str())
            .bind(now)
            .execute(&mut **tx)
            .await
            .map_err(internal)?;
        }
        let delta = crate::store::deploy::reconcile(&self.db, tx, app_id, now).await?;
        if delta.freed != items.len() as i64 || delta.granted != 0 {
            return Err(ApiError::Conflict(
                "The licenses changed while they were being reclaimed. Nothing was reclaimed: reload the list and try again.".into(),
            ));
        }
        Ok(delta.freed)
    }

    /// The CSV export of every candidate (machine-readable: codes, plain decimals).
    pub async fn csv(
        &self,
        inactive_days: Option<i64>,
        pending_days: Option<i64>,
    ) -> Result<Vec<u8>, ApiError> {
        let inactive_days = parse_days("inactive_days", inactive_days)?;
        let pending_days = parse_days("pending_days", pending_days)?;
        let mut tx = self.db.pool.begin().await.map_err(internal)?;
        let all = self
            .candidates(&mut tx, inactive_days, pending_days)
            .await?;
        tx.rollback().await.map_err(internal)?;
        let mut out = csv::Writer::from_writer(vec![]);
        let header = [
            "kind",
            "key",
            "item",
            "holder",
            "since",
            "licenses",
            "currency",
            "per_month",
            "per_year",
        ];
        crate::csv_util::write_row(&mut out, header).map_err(internal)?;
        for c in all {
            let since = c
                .since
                .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
                .map(|t| t.date().to_string())
                .unwrap_or_default();
            let cost = |yearly: bool| {
                money(&c.price, c.licenses, yearly)
                    .map(|m| app::domain::billing::format_decimal(m.minor, &m.currency))
                    .unwrap_or_default()
            };
            let currency = c.price.as_ref().map(|p| p.currency.clone());
            crate::csv_util::write_row(
                &mut out,
                [
                    c.kind.as_str().to_string(),
                    c.key(),
                    c.item.clone(),
                    c.holder.clone(),
                    since,
                    c.licenses.to_string(),
                    currency.unwrap_or_default(),
                    cost(false),
                    cost(true),
                ],
            )
            .map_err(internal)?;
        }
        out.into_inner().map_err(internal)
    }
}

fn holders(items: &[&Candidate]) -> Vec<String> {
    items.iter().map(|c| c.holder.clone()).collect()
}

fn row(c: Candidate, role: Role) -> ReclaimRow {
    let holder_link = if c.user_id > 0 {
        format!("/users/{}", c.user_id)
    } else {
        String::new()
    };
    ReclaimRow {
        key: c.key(),
        kind: c.kind,
        item_link: c.item_link(),
        monthly: money(&c.price, c.licenses, false),
        yearly: money(&c.price, c.licenses, true),
        can_reclaim: permission(c.kind).is_some_and(|p| role.allows(p)),
        item: c.item,
        holder: c.holder,
        holder_link,
        since: c.since,
        licenses: c.licenses,
    }
}

/// The server-function backend (`app::api::reclaim`).
pub struct ReclaimService(pub Arc<Reclaim>);

#[async_trait::async_trait]
impl app::api::reclaim::ReclaimBackend for ReclaimService {
    async fn list(
        &self,
        actor: &Actor,
        inactive_days: Option<i64>,
        pending_days: Option<i64>,
    ) -> Result<ReclaimList, ApiError> {
        self.0
            .list(actor.admin.role, inactive_days, pending_days)
            .await
    }
    async fn reclaim(
        &self,
        actor: &Actor,
        keys: Vec<String>,
        inactive_days: Option<i64>,
        pending_days: Option<i64>,
    ) -> Result<ReclaimOutcome, ApiError> {
        self.0
            .reclaim(actor, keys, inactive_days, pending_days)
            .await
    }
    async fn set_price(
        &self,
        actor: &Actor,
        target: String,
        id: i64,
        amount: String,
        currency: String,
        period: String,
    ) -> Result<(), ApiError> {
        self.0
            .set_price(actor, &target, id, &amount, &currency, &period)
            .await
    }
    async fn app_pricing(&self, app_id: i64) -> Result<AppPricing, ApiError> {
        self.0.app_pricing(app_id).await
    }
    async fn set_threshold(
        &self,
        actor: &Actor,
        app_id: i64,
        percent: String,
        count: String,
    ) -> Result<(), ApiError> {
        self.0.set_threshold(actor, app_id, &percent, &count).await
    }
}
