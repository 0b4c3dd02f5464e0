//! The dashboard's charts (SPEC X-1): invoice totals per month for the last 12 months (stacked
//! per billing profile, per currency), licenses used against owned per area, and what ends or
//! renews within 90 days. A few aggregate queries, no per-row work in the database's loop; like
//! the figures, every role reads them (`Permission::Read` covers every area).

use crate::core::clock::Clock;
use crate::core::error::internal;
use crate::db::Db;
use app::domain::ApiError;
use app::domain::billing::{format_date, shift_months};
use app::domain::overview::{
    DashboardCharts, SpendSeries, SpendStack, TimelineEvent, TimelineKind, UsageArea, UsageBar,
};
use app::domain::store::UNLIMITED;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Months the spend chart covers, the current one last.
pub const SPEND_MONTHS: i32 = 12;
/// Profiles shown as their own stack; the rest are summed as "other".
pub const TOP_PROFILES: usize = 5;
/// Days the timeline covers from today (today included).
pub const HORIZON_DAYS: i64 = 90;
/// At most this many events of one kind, and in all (the earliest): the timeline is a glance,
/// not a list, and keeps the dashboard light.
const EVENTS_PER_KIND: i64 = 60;
pub const TIMELINE_EVENTS: usize = 60;

const DAY: i64 = 86_400;

fn period(d: time::Date) -> String {
    format!("{:04}-{:02}", d.year(), u8::from(d.month()))
}

fn date_of(text: &str) -> Option<time::Date> {
    time::Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

/// UNIX seconds of the start (UTC) of `d`.
fn midnight(d: time::Date) -> i64 {
    d.midnight().assume_utc().unix_timestamp()
}

pub async fn charts(db: &Db, clock: &Arc<dyn Clock>) -> Result<DashboardCharts, ApiError> {
    let today = time::OffsetDateTime::from_unix_timestamp(clock.now())
        .map_err(internal)?
        .date();
    Ok(DashboardCharts {
        today: format_date(today),
        horizon_days: HORIZON_DAYS,
        spend: spend(db, today).await?,
        usage: usage(db).await?,
        timeline: timeline(db, today).await?,
    })
}

/// One row of the spend query: period, profile id, profile name, currency, amount.
type SpendRow = (String, i64, String, String, i64);

/// Invoice totals per month, profile and currency, folded into at most six stacks a currency.
async fn spend(db: &Db, today: time::Date) -> Result<Vec<SpendSeries>, ApiError> {
    let this_month = today.replace_day(1).map_err(internal)?;
    let months: Vec<String> = (0..SPEND_MONTHS)
        .map(|i| period(shift_months(this_month, i - (SPEND_MONTHS - 1))))
        .collect();
    let rows: Vec<SpendRow> = sqlx::query_as(
        "SELECT i.period, i.profile_id, p.name, l.currency, CAST(SUM(l.amount_minor) AS BIGINT) \
         FROM invoices i JOIN billing_profiles p ON p.id = i.profile_id \
         JOIN invoice_lines l ON l.invoice_id = i.id \
         WHERE i.period >= $1 AND i.period <= $2 \
         GROUP BY i.period, i.profile_id, p.name, l.currency",
    )
    .bind(&months[0])
    .bind(&months[months.len() - 1])
    .fetch_all(&db.pool)
    .await
    .map_err(internal)?;
    Ok(fold_spend(&months, rows))
}

/// Per currency: each profile's amounts per month, the five largest totals as their own stack
/// (ties by name), the rest summed as "other".
pub fn fold_spend(months: &[String], rows: Vec<SpendRow>) -> Vec<SpendSeries> {
    let mut per_currency: BTreeMap<String, BTreeMap<i64, SpendStack>> = BTreeMap::new();
    for (period, profile_id, name, currency, minor) in rows {
        let Some(index) = months.iter().position(|m| *m == period) else {
            continue;
        };
        let stack = per_currency
            .entry(currency)
            .or_default()
            .entry(profile_id)
            .or_insert_with(|| SpendStack {
                profile_id: Some(profile_id),
                name,
                minor: vec![0; months.len()],
            });
        stack.minor[index] += minor;
    }
    per_currency
        .into_iter()
        .map(|(currency, profiles)| {
            let total = |s: &SpendStack| s.minor.iter().sum::<i64>();
            let mut stacks: Vec<SpendStack> =
                profiles.into_values().filter(|s| total(s) != 0).collect();
            stacks.sort_by(|a, b| total(b).cmp(&total(a)).then_with(|| a.name.cmp(&b.name)));
            if stacks.len() > TOP_PROFILES {
                let mut other = SpendStack {
                    profile_id: None,
                    name: String::new(),
                    minor: vec![0; months.len()],
                };
                for s in stacks.drain(TOP_PROFILES..) {
                    for (sum, m) in other.minor.iter_mut().zip(s.minor) {
                        *sum += m;
                    }
                }
                stacks.push(other);
            }
            SpendSeries {
                currency,
                months: months.to_vec(),
                stacks,
            }
        })
        .filter(|s| !s.stacks.is_empty())
        .collect()
}

/// Used against owned: store licenses of limited apps per store kind, installations against
/// licenses owned (the installation report's totals), ISV licenses, per-license SaaS seats.
async fn usage(db: &Db) -> Result<Vec<UsageBar>, ApiError> {
    let stores: Vec<(String, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT c.store, \
         CAST(COALESCE(SUM(CASE WHEN a.total_count < {UNLIMITED} THEN a.used ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN a.total_count < {UNLIMITED} THEN a.total_count ELSE 0 END), 0) AS BIGINT) \
         FROM store_connections c JOIN store_apps a ON a.connection_id = c.id AND a.retired = 0 \
         WHERE c.removed_at IS NULL GROUP BY c.store ORDER BY c.store"
    )))
    .fetch_all(&db.pool)
    .await
    .map_err(internal)?;
    let mut out: Vec<UsageBar> = stores
        .into_iter()
        .map(|(store, used, owned)| UsageBar {
            area: UsageArea::Store,
            store,
            used,
            owned,
            link: "/store/apps".into(),
        })
        .collect();
    // Installed = the installation report's installed total (one per product and computer);
    // owned = other-software agreements plus the volume agreements' entitlements. ISV use is
    // `billing::isv::consumed` summed over apps (reclaimed group members do not count).
    type Totals = (i64, i64, i64, i64, i64, i64);
    let (installed, licensed, isv_used, isv_owned, seats_used, seats_owned): Totals =
        sqlx::query_as(
            "SELECT \
             (SELECT COUNT(*) FROM (SELECT DISTINCT s.device_id, s.publisher, s.product \
                FROM detected_software s JOIN dir_devices d ON d.id = s.device_id \
                WHERE d.platform = 'windows') t1), \
             CAST(COALESCE((SELECT SUM(license_count) FROM agreements WHERE kind = 'other'), 0) \
                + COALESCE((SELECT SUM(quantity) FROM agreement_entitlements), 0) AS BIGINT), \
             (SELECT COUNT(*) FROM (\
                SELECT app_id, user_id FROM isv_assignments WHERE user_id IS NOT NULL \
                UNION \
                SELECT a.app_id, m.user_id FROM isv_assignments a \
                JOIN dir_group_members m ON m.group_id = a.group_id \
                WHERE NOT EXISTS (SELECT 1 FROM isv_reclaims r WHERE r.app_id = a.app_id AND r.user_id = m.user_id)\
             ) t2), \
             CAST(COALESCE((SELECT SUM(owned) FROM isv_apps), 0) AS BIGINT), \
             CAST(COALESCE((SELECT SUM(assigned) FROM subscriptions \
                WHERE status = 'active' AND pricing = 'per_license'), 0) AS BIGINT), \
             CAST(COALESCE((SELECT SUM(quantity) FROM subscriptions \
                WHERE status = 'active' AND pricing = 'per_license'), 0) AS BIGINT)",
        )
        .fetch_one(&db.pool)
        .await
        .map_err(internal)?;
    for (area, used, owned, link) in [
        (
            UsageArea::Licenses,
            installed,
            licensed,
            "/licenses/reports",
        ),
        (UsageArea::Isv, isv_used, isv_owned, "/billing/licenses"),
        (
            UsageArea::Saas,
            seats_used,
            seats_owned,
            "/billing/subscriptions",
        ),
    ] {
        out.push(UsageBar {
            area,
            store: String::new(),
            used,
            owned,
            link: link.into(),
        });
    }
    Ok(out)
}

/// Card rows: id, profile name, brand, last four digits, expiry month and year.
type CardRow = (i64, String, Option<String>, Option<String>, i64, i64);

/// What ends or renews from today to `HORIZON_DAYS` days ahead, sorted by date, kind, name.
async fn timeline(db: &Db, today: time::Date) -> Result<Vec<TimelineEvent>, ApiError> {
    let last = today + time::Duration::days(HORIZON_DAYS);
    let (from, to) = (format_date(today), format_date(last));
    let mut out = vec![];
    let mut push = |date: time::Date, kind: TimelineKind, name: String, link: String| {
        let days = (date - today).whole_days();
        if (0..=HORIZON_DAYS).contains(&days) {
            out.push(TimelineEvent {
                date: format_date(date),
                days,
                kind,
                name,
                link,
            });
        }
    };

    let tokens: Vec<(String, i64)> = sqlx::query_as(
        "SELECT name, expires_at FROM store_connections WHERE removed_at IS NULL \
         AND expires_at >= $1 AND expires_at < $2 ORDER BY expires_at LIMIT $3",
    )
    .bind(midnight(today))
    .bind(midnight(last) + DAY)
    .bind(EVENTS_PER_KIND)
    .fetch_all(&db.pool)
    .await
    .map_err(internal)?;
    for (name, at) in tokens {
        if let Ok(t) = time::OffsetDateTime::from_unix_timestamp(at) {
            push(
                t.date(),
                TimelineKind::Token,
                name,
                "/store/connections".into(),
            );
        }
    }

    let agreements: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, ends_on FROM agreements WHERE ends_on >= $1 AND ends_on <= $2 \
         ORDER BY ends_on LIMIT $3",
    )
    .bind(&from)
    .bind(&to)
    .bind(EVENTS_PER_KIND)
    .fetch_all(&db.pool)
    .await
    .map_err(internal)?;
    for (name, ends_on) in agreements {
        if let Some(d) = date_of(&ends_on) {
            push(
                d,
                TimelineKind::Agreement,
                name,
                "/licenses/agreements".into(),
            );
        }
    }

    let subs: Vec<(i64, String, String, i64)> = sqlx::query_as(
        "SELECT id, app_name, renews_on, auto_renew FROM subscriptions WHERE status = 'active' \
         AND renews_on >= $1 AND renews_on <= $2 ORDER BY renews_on LIMIT $3",
    )
    .bind(&from)
    .bind(&to)
    .bind(EVENTS_PER_KIND)
    .fetch_all(&db.pool)
    .await
    .map_err(internal)?;
    for (id, name, renews_on, auto_renew) in subs {
        let kind = if auto_renew == 1 {
            TimelineKind::Renewal
        } else {
            TimelineKind::SubscriptionEnd
        };
        if let Some(d) = date_of(&renews_on) {
            push(d, kind, name, format!("/billing/subscriptions/{id}"));
        }
    }

    // A card is valid through the last day of its expiry month: the months from this one to
    // the horizon's, then the exact day is checked.
    let month_index = |d: time::Date| i64::from(d.year()) * 12 + i64::from(u8::from(d.month()));
    let cards: Vec<CardRow> = sqlx::query_as(
        "SELECT m.id, p.name, m.card_brand, m.card_last4, m.card_exp_month, m.card_exp_year \
         FROM payment_methods m JOIN billing_profiles p ON p.id = m.profile_id \
         WHERE m.kind = 'card' AND m.card_exp_year * 12 + m.card_exp_month >= $1 \
         AND m.card_exp_year * 12 + m.card_exp_month <= $2 ORDER BY m.id LIMIT $3",
    )
    .bind(month_index(today))
    .bind(month_index(last))
    .bind(EVENTS_PER_KIND)
    .fetch_all(&db.pool)
    .await
    .map_err(internal)?;
    for (_id, profile, brand, last4, month, year) in cards {
        let Some(last_day) = card_last_day(year, month) else {
            continue;
        };
        let card = match (brand, last4) {
            (Some(b), Some(l)) => format!("{b} \u{2022}\u{2022}\u{2022}\u{2022} {l}"),
            (None, Some(l)) => format!("\u{2022}\u{2022}\u{2022}\u{2022} {l}"),
            (Some(b), None) => b,
            (None, None) => String::new(),
        };
        let name = if card.is_empty() {
            profile
        } else {
            format!("{card} ({profile})")
        };
        push(
            last_day,
            TimelineKind::Card,
            name,
            "/billing/profiles".into(),
        );
    }

    let kind_order = |k: TimelineKind| TimelineKind::ALL.iter().position(|x| *x == k);
    out.sort_by(|a, b| {
        (&a.date, kind_order(a.kind), &a.name).cmp(&(&b.date, kind_order(b.kind), &b.name))
    });
    out.truncate(TIMELINE_EVENTS);
    Ok(out)
}

/// The last day of a card's expiry month.
fn card_last_day(year: i64, month: i64) -> Option<time::Date> {
    let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
    let year = i32::try_from(year).ok()?;
    let first = time::Date::from_calendar_date(year, month, 1).ok()?;
    Some(first + time::Duration::days(i64::from(month.length(year)) - 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn card_valid_through_the_end_of_its_month() {
        assert_eq!(card_last_day(2028, 2), Some(date!(2028 - 02 - 29)));
        assert_eq!(card_last_day(2026, 12), Some(date!(2026 - 12 - 31)));
        assert_eq!(card_last_day(2026, 13), None);
    }

    #[test]
    fn spend_keeps_five_profiles_and_sums_the_rest() {
        let months: Vec<String> = vec!["2026-10".into(), "2026-11".into()];
        let mut rows = vec![];
        for p in 1..=7i64 {
            rows.push(("2026-11".into(), p, format!("P{p}"), "EUR".into(), p * 100));
        }
        rows.push(("2026-10".into(), 1, "P1".into(), "EUR".into(), 50));
        rows.push(("2025-01".into(), 1, "P1".into(), "EUR".into(), 999)); // outside: ignored
        rows.push(("2026-10".into(), 2, "P2".into(), "USD".into(), 7));
        let series = fold_spend(&months, rows);
        assert_eq!(series.len(), 2);
        let eur = &series[0];
        assert_eq!(eur.currency, "EUR");
        let names: Vec<&str> = eur.stacks.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["P7", "P6", "P5", "P4", "P3", ""]);
        assert_eq!(eur.stacks[5].profile_id, None);
        assert_eq!(eur.stacks[5].minor, vec![50, 300]);
        assert_eq!(series[1].stacks[0].minor, vec![7, 0]);
    }
}
