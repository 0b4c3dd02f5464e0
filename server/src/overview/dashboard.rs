//! The dashboard's figures (SPEC X-1): one round of aggregate queries over the areas' tables,
//! each figure linking to the list behind it on the page.

use crate::core::clock::Clock;
use crate::core::error::internal;
use crate::db::Db;
use app::domain::ApiError;
use app::domain::billing::{Frequency, charged_in_period};
use app::domain::overview::{DashboardFigures, Money, StoreFigures};
use app::domain::store::UNLIMITED;
use std::collections::BTreeMap;
use std::sync::Arc;

fn money(map: BTreeMap<String, i64>) -> Vec<Money> {
    map.into_iter()
        .filter(|(_, minor)| *minor != 0)
        .map(|(currency, minor)| Money { currency, minor })
        .collect()
}

/// The first day of the month `months` after the one `d` is in.
fn month_start(d: time::Date, months: i32) -> time::Date {
    let index = d.year() * 12 + i32::from(u8::from(d.month())) - 1 + months;
    let month = time::Month::try_from(u8::try_from(index.rem_euclid(12) + 1).unwrap_or(1))
        .unwrap_or(time::Month::January);
    time::Date::from_calendar_date(index.div_euclid(12), month, 1).unwrap_or(d)
}

pub async fn figures(db: &Db, clock: &Arc<dyn Clock>) -> Result<DashboardFigures, ApiError> {
    let now = clock.now();
    let today = time::OffsetDateTime::from_unix_timestamp(now)
        .map_err(internal)?
        .date();
    let mut out = DashboardFigures::default();

    // Store: per live connection, the limited apps' licenses (unlimited apps never run out).
    type StoreRow = (i64, String, String, i64, i64, i64, i64, i64);
    let stores: Vec<StoreRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT c.id, c.store, c.name, \
         CAST(COALESCE(SUM(CASE WHEN a.total_count < {UNLIMITED} THEN a.total_count ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN a.total_count < {UNLIMITED} THEN a.used ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN a.total_count < {UNLIMITED} AND a.total_count > a.used + a.outside_assigned \
              THEN a.total_count - a.used - a.outside_assigned ELSE 0 END), 0) AS BIGINT), \
         COUNT(a.id), \
         CAST(COALESCE(SUM(CASE WHEN a.total_count < {UNLIMITED} AND a.total_count <= a.used + a.outside_assigned \
              THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM store_connections c LEFT JOIN store_apps a ON a.connection_id = c.id AND a.retired = 0 \
         WHERE c.removed_at IS NULL GROUP BY c.id, c.store, c.name ORDER BY c.id"
    )))
    .fetch_all(&db.pool)
    .await
    .map_err(internal)?;
    out.stores = stores
        .into_iter()
        .map(
            |(connection_id, store, name, owned, used, available, apps, apps_exhausted)| {
                StoreFigures {
                    connection_id,
                    store,
                    name,
                    owned,
                    used,
                    available,
                    apps,
                    apps_exhausted,
                }
            },
        )
        .collect();

    // Compliance: the installation report's totals.
    let licenses = crate::licenses::Licenses {
        db: db.clone(),
        clock: clock.clone(),
        licensing: None,
    };
    let report = licenses
        .build_installation_report(app::domain::licenses::SoftwareScope::All)
        .await?;
    out.managed_computers = report.managed_computers;
    out.licenses_missing = report.missing_total;
    out.licenses_unused = report.unused_total;
    out.products_under_licensed = report
        .lines
        .iter()
        .filter(|l| {
            matches!(
                l.status,
                app::domain::licenses::Compliance::UnderLicensed(_)
            )
        })
        .count() as i64;

    // Spend: this month's invoices; next month's charges of the active subscriptions.
    let this_month = month_start(today, 0);
    let period = format!(
        "{:04}-{:02}",
        this_month.year(),
        u8::from(this_month.month())
    );
    let invoiced: Vec<(String, i64)> = sqlx::query_as(
        "SELECT l.currency, CAST(SUM(l.amount_minor) AS BIGINT) FROM invoice_lines l \
         JOIN invoices i ON i.id = l.invoice_id WHERE i.period = $1 GROUP BY l.currency",
    )
    .bind(&period)
    .fetch_all(&db.pool)
    .await
    .map_err(internal)?;
    out.spend_this_month = money(invoiced.into_iter().collect());
    let next = month_start(today, 1);
    type SubRow = (String, String, i64, Option<i64>, String, String);
    let subs: Vec<SubRow> = sqlx::query_as(
        "SELECT frequency, pricing, unit_price_minor, quantity, currency, term_start_on FROM subscriptions \
         WHERE status = 'active'",
    )
    .fetch_all(&db.pool)
    .await
    .map_err(internal)?;
    let mut next_spend: BTreeMap<String, i64> = BTreeMap::new();
    for (frequency, _pricing, unit, quantity, currency, term_start) in subs {
        let frequency = if frequency == "annual" {
            Frequency::Annual
        } else {
            Frequency::Monthly
        };
        let Ok(start) = time::Date::parse(
            &term_start,
            time::macros::format_description!("[year]-[month]-[day]"),
        ) else {
            continue;
        };
        if charged_in_period(frequency, start, next) {
            *next_spend.entry(currency).or_default() += unit.saturating_mul(quantity.unwrap_or(1));
        }
    }
    out.spend_next_month = money(next_spend);

    // Invoices: open and overdue, and what is overdue.
    let (open, overdue): (i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(CASE WHEN status = 'open' THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN status = 'overdue' THEN 1 ELSE 0 END), 0) AS BIGINT) FROM invoices",
    )
    .fetch_one(&db.pool)
    .await
    .map_err(internal)?;
    out.invoices_open = open;
    out.invoices_overdue = overdue;
    let overdue_amount: Vec<(String, i64)> = sqlx::query_as(
        "SELECT l.currency, CAST(SUM(l.amount_minor) AS BIGINT) FROM invoice_lines l \
         JOIN invoices i ON i.id = l.invoice_id WHERE i.status = 'overdue' GROUP BY l.currency",
    )
    .fetch_all(&db.pool)
    .await
    .map_err(internal)?;
    out.overdue_amount = money(overdue_amount.into_iter().collect());

    // ISV licenses: owned, and used (direct and through groups, each user once per app).
    let (owned, used): (i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE((SELECT SUM(owned) FROM isv_apps), 0) AS BIGINT), \
         (SELECT COUNT(*) FROM (\
            SELECT app_id, user_id FROM isv_assignments WHERE user_id IS NOT NULL \
            UNION \
            SELECT a.app_id, m.user_id FROM isv_assignments a JOIN dir_group_members m ON m.group_id = a.group_id\
         ) t)",
    )
    .fetch_one(&db.pool)
    .await
    .map_err(internal)?;
    out.isv_owned = owned;
    out.isv_used = used;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::month_start;
    use time::macros::date;

    #[test]
    fn months_roll_over_years() {
        assert_eq!(month_start(date!(2026 - 11 - 27), 0), date!(2026 - 11 - 01));
        assert_eq!(month_start(date!(2026 - 12 - 31), 1), date!(2027 - 01 - 01));
        assert_eq!(
            month_start(date!(2026 - 01 - 15), -1),
            date!(2025 - 12 - 01)
        );
    }
}
