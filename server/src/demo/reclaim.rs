//! The demo's reclaim examples (SPEC X-3), made after the store seed: prices on the store apps
//! in use and on the agreements, and one store license of each reclaimable kind — a holder who
//! was disabled, one whose devices have been silent for 45 days, one whose install has been
//! pending for 40 days — plus an agreement for software installed nowhere. The demo's ISV
//! group assignments and per-license subscriptions already hold disabled users and idle seats.

use crate::core::audit::{self, Entry};
use crate::core::clock::Clock;
use crate::db::Db;
use serde_json::json;
use std::sync::Arc;

const DAY: i64 = 86_400;

pub async fn seed(db: &Db, clock: &Arc<dyn Clock>) -> anyhow::Result<()> {
    let now = clock.now();
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "UPDATE store_apps SET price_minor = 1499, price_currency = 'EUR', price_period = 'year' WHERE used > 0",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE agreements SET price_minor = CASE kind WHEN 'volume' THEN 18000 ELSE 6000 END, \
         price_currency = 'EUR', price_period = 'year'",
    )
    .execute(&mut *tx)
    .await?;
    // Three enabled holders of the first store app in use, each made an example of one kind.
    let holders: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT l.app_id, l.user_id FROM store_licenses l JOIN dir_users u ON u.id = l.user_id \
         WHERE u.enabled = 1 ORDER BY l.app_id, l.user_id LIMIT 3",
    )
    .fetch_all(&mut *tx)
    .await?;
    if let [(_, disabled), (_, silent), (app_id, pending)] = holders[..] {
        sqlx::query("UPDATE dir_users SET enabled = 0, updated_at = $2 WHERE id = $1")
            .bind(disabled)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let moved =
            sqlx::query("UPDATE dir_devices SET last_check_in = $2 WHERE primary_user_id = $1")
                .bind(silent)
                .bind(now - 45 * DAY)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if moved == 0 {
            sqlx::query(
                "INSERT INTO dir_devices (name, name_key, platform, primary_user_id, last_check_in, created_at, updated_at) \
                 VALUES ('IPAD-SPARE-01', 'ipad-spare-01', 'ios', $1, $2, $2, $2)",
            )
            .bind(silent)
            .bind(now - 45 * DAY)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "UPDATE store_installs SET status = 'pending', detail = '', event_id = NULL, updated_at = $3 \
             WHERE app_id = $1 AND user_id = $2",
        )
        .bind(app_id)
        .bind(pending)
        .bind(now - 40 * DAY)
        .execute(&mut *tx)
        .await?;
    }
    // An agreement for software no managed computer has.
    sqlx::query(
        "INSERT INTO agreements (kind, name, name_key, group_id, publisher, product, license_count, \
         starts_on, ends_on, details, created_at, updated_at, price_minor, price_currency, price_period) \
         SELECT 'other', 'Legacy drafting seats', 'legacy drafting seats', MIN(id), 'Autodesk', 'AutoCAD LT 2019', 15, \
         '2024-01-01', '2027-12-31', 'Kept after the move to the CAD suite.', $1, $1, 9000, 'EUR', 'year' \
         FROM license_groups WHERE NOT EXISTS (SELECT 1 FROM agreements WHERE name_key = 'legacy drafting seats')",
    )
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        now,
        &super::who(),
        Entry::new("demo.reclaim_examples").after(json!({"examples": holders.len()})),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    tx.commit().await?;
    Ok(())
}
