//! The reclaim candidates (SPEC X-3): one query per kind over the areas' tables, read inside the
//! caller's transaction so a reclaim decides on exactly what it then changes.

use crate::core::error::internal;
use crate::db::Tx;
use app::domain::ApiError;
use app::domain::reclaim::{Price, PricePeriod, ReclaimKind};

/// One reclaimable item before it is shown (`ReclaimRow`) or acted on.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub kind: ReclaimKind,
    /// The store app, ISV app, subscription or agreement.
    pub item_id: i64,
    pub item: String,
    /// The holder (0 for seats and agreements).
    pub user_id: i64,
    pub holder: String,
    pub since: Option<i64>,
    pub licenses: i64,
    pub price: Option<Price>,
    /// For seats: the subscription's billing profile (its roles decide who may lower it).
    pub profile_id: i64,
}

impl Candidate {
    pub fn key(&self) -> String {
        match self.kind {
            ReclaimKind::StoreDisabled | ReclaimKind::StoreInactive | ReclaimKind::StorePending => {
                format!("store:{}:{}", self.item_id, self.user_id)
            }
            ReclaimKind::IsvDisabled => format!("isv:{}:{}", self.item_id, self.user_id),
            ReclaimKind::SaasUnassigned => format!("saas:{}", self.item_id),
            ReclaimKind::AgreementUnused => format!("agreement:{}", self.item_id),
        }
    }

    pub fn item_link(&self) -> String {
        match self.kind {
            ReclaimKind::StoreDisabled | ReclaimKind::StoreInactive | ReclaimKind::StorePending => {
                format!("/store/apps/{}", self.item_id)
            }
            ReclaimKind::IsvDisabled => format!("/billing/licenses/{}", self.item_id),
            ReclaimKind::SaasUnassigned => format!("/billing/subscriptions/{}", self.item_id),
            ReclaimKind::AgreementUnused => "/licenses/agreements".to_string(),
        }
    }
}

/// A price from its three nullable columns (all set, or none).
fn price(minor: Option<i64>, currency: Option<String>, period: Option<String>) -> Option<Price> {
    Some(Price {
        minor: minor?,
        currency: currency?,
        period: period?.parse().ok()?,
    })
}

type StoreRow = (
    i64,
    String,
    i64,
    String,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
);

/// A subscription: id, name, quantity, assigned, unit price, currency, frequency, profile.
type SeatRow = (i64, String, i64, i64, i64, String, String, i64);
/// An agreement: id, name, licenses, price (minor, currency, period).
type AgreementRow = (
    i64,
    String,
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
);

const STORE_COLUMNS: &str = "a.id, a.name, u.id, u.display_name";
const STORE_PRICE: &str = "a.price_minor, a.price_currency, a.price_period";

async fn store_rows(
    tx: &mut Tx,
    kind: ReclaimKind,
    sql: String,
    cutoff: Option<i64>,
) -> Result<Vec<Candidate>, ApiError> {
    let mut query = sqlx::query_as::<_, StoreRow>(sqlx::AssertSqlSafe(sql));
    if let Some(cutoff) = cutoff {
        query = query.bind(cutoff);
    }
    let rows = query.fetch_all(&mut **tx).await.map_err(internal)?;
    Ok(rows
        .into_iter()
        .map(
            |(app_id, app, user_id, holder, since, minor, currency, period)| Candidate {
                kind,
                item_id: app_id,
                item: app,
                user_id,
                holder,
                since: since.filter(|s| *s > 0),
                licenses: 1,
                price: price(minor, currency, period),
                profile_id: 0,
            },
        )
        .collect())
}

/// Store licenses held by disabled users, by users whose every device has been silent since
/// `inactive_before`, and whose install has been pending since before `pending_before`. A
/// license is listed once, under the first reason that applies (in that order).
pub async fn store(
    tx: &mut Tx,
    inactive_before: i64,
    pending_before: i64,
) -> Result<Vec<Candidate>, ApiError> {
    let from = "FROM store_licenses l JOIN store_apps a ON a.id = l.app_id \
                JOIN dir_users u ON u.id = l.user_id";
    let order = "ORDER BY a.name_key, a.id, u.display_key, u.id";
    let mut out = store_rows(
        tx,
        ReclaimKind::StoreDisabled,
        format!(
            "SELECT {STORE_COLUMNS}, CAST(NULL AS BIGINT), {STORE_PRICE} {from} \
             WHERE u.enabled = 0 {order}"
        ),
        None,
    )
    .await?;
    let seen = "(SELECT primary_user_id AS user_id, MAX(COALESCE(last_check_in, 0)) AS last_seen \
                FROM dir_devices WHERE primary_user_id IS NOT NULL GROUP BY primary_user_id)";
    out.extend(
        store_rows(
            tx,
            ReclaimKind::StoreInactive,
            format!(
                "SELECT {STORE_COLUMNS}, d.last_seen, {STORE_PRICE} {from} \
                 JOIN {seen} d ON d.user_id = u.id WHERE u.enabled = 1 AND d.last_seen < $1 {order}"
            ),
            Some(inactive_before),
        )
        .await?,
    );
    let mut pending = store_rows(
        tx,
        ReclaimKind::StorePending,
        format!(
            "SELECT {STORE_COLUMNS}, MIN(i.updated_at), {STORE_PRICE} {from} \
             JOIN store_installs i ON i.app_id = l.app_id AND i.user_id = l.user_id AND i.status = 'pending' \
             WHERE u.enabled = 1 AND NOT EXISTS (SELECT 1 FROM store_installs j \
               WHERE j.app_id = l.app_id AND j.user_id = l.user_id AND j.status = 'installed') \
             GROUP BY a.id, a.name, u.id, u.display_name, a.price_minor, a.price_currency, a.price_period, \
               a.name_key, u.display_key \
             HAVING MIN(i.updated_at) < $1 {order}"
        ),
        Some(pending_before),
    )
    .await?;
    let listed: std::collections::HashSet<(i64, i64)> =
        out.iter().map(|c| (c.item_id, c.user_id)).collect();
    pending.retain(|c| !listed.contains(&(c.item_id, c.user_id)));
    out.extend(pending);
    Ok(out)
}

/// ISV licenses reaching disabled users (directly or through a group).
pub async fn isv(tx: &mut Tx) -> Result<Vec<Candidate>, ApiError> {
    let rows: Vec<(i64, String, i64, String)> = sqlx::query_as(
        "SELECT a.id, a.name, u.id, u.display_name FROM isv_apps a JOIN (\
           SELECT app_id, user_id FROM isv_assignments WHERE user_id IS NOT NULL \
           UNION SELECT s.app_id, m.user_id FROM isv_assignments s \
             JOIN dir_group_members m ON m.group_id = s.group_id \
             WHERE m.user_id NOT IN (SELECT r.user_id FROM isv_reclaims r WHERE r.app_id = s.app_id)\
         ) h ON h.app_id = a.id JOIN dir_users u ON u.id = h.user_id \
         WHERE u.enabled = 0 ORDER BY a.name_key, a.id, u.display_key, u.id",
    )
    .fetch_all(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(rows
        .into_iter()
        .map(|(app_id, app, user_id, holder)| Candidate {
            kind: ReclaimKind::IsvDisabled,
            item_id: app_id,
            item: app,
            user_id,
            holder,
            since: None,
            licenses: 1,
            price: None,
            profile_id: 0,
        })
        .collect())
}

/// Seats of active per-license subscriptions above what is assigned. Change license quantity
/// never goes below one, so a subscription with nothing assigned keeps one seat (cancelling it
/// saves the rest).
pub async fn seats(tx: &mut Tx) -> Result<Vec<Candidate>, ApiError> {
    let rows: Vec<SeatRow> = sqlx::query_as(
        "SELECT id, app_name, quantity, assigned, unit_price_minor, currency, frequency, profile_id \
         FROM subscriptions WHERE status = 'active' AND pricing = 'per_license' \
         AND quantity > assigned AND quantity > 1 ORDER BY app_name, id",
    )
    .fetch_all(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, name, quantity, assigned, unit, currency, frequency, profile_id)| Candidate {
                kind: ReclaimKind::SaasUnassigned,
                item_id: id,
                item: name,
                user_id: 0,
                holder: String::new(),
                since: None,
                licenses: quantity - assigned.max(1),
                price: Some(Price {
                    minor: unit,
                    currency,
                    period: if frequency == "annual" {
                        PricePeriod::Year
                    } else {
                        PricePeriod::Month
                    },
                }),
                profile_id,
            },
        )
        .collect())
}

/// Agreements none of whose products is installed on a managed (Windows) computer — only when
/// there is at least one managed computer, or every agreement would look unused.
pub async fn agreements(tx: &mut Tx) -> Result<Vec<Candidate>, ApiError> {
    let managed: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM dir_devices WHERE platform = 'windows'")
            .fetch_one(&mut **tx)
            .await
            .map_err(internal)?;
    if managed == 0 {
        return Ok(vec![]);
    }
    let installed = "SELECT 1 FROM detected_software s JOIN dir_devices d ON d.id = s.device_id \
                     WHERE d.platform = 'windows'";
    let sql = format!(
        "SELECT g.id, g.name, COALESCE(g.license_count, 0), g.price_minor, g.price_currency, g.price_period \
         FROM agreements g WHERE g.kind = 'other' AND g.product IS NOT NULL \
           AND NOT EXISTS ({installed} AND s.publisher = g.publisher AND s.product = g.product) \
         UNION ALL \
         SELECT g.id, g.name, CAST((SELECT SUM(e.quantity) FROM agreement_entitlements e WHERE e.agreement_id = g.id) AS BIGINT), \
           g.price_minor, g.price_currency, g.price_period \
         FROM agreements g WHERE g.kind = 'volume' \
           AND EXISTS (SELECT 1 FROM agreement_entitlements e WHERE e.agreement_id = g.id) \
           AND NOT EXISTS (SELECT 1 FROM agreement_entitlements e WHERE e.agreement_id = g.id \
             AND EXISTS ({installed} AND s.publisher = e.publisher AND s.product = e.product)) \
         ORDER BY 2, 1"
    );
    let rows: Vec<AgreementRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut **tx)
        .await
        .map_err(internal)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, count, minor, currency, period)| Candidate {
            kind: ReclaimKind::AgreementUnused,
            item_id: id,
            item: name,
            user_id: 0,
            holder: String::new(),
            since: None,
            licenses: count,
            price: price(minor, currency, period),
            profile_id: 0,
        })
        .collect())
}
