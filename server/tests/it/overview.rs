//! Alerts (SPEC X-2) on SQLite and PostgreSQL: every rule raises its alert, never twice, closes
//! it when the condition is gone and reopens it when the condition returns; acknowledging and
//! snoozing are for the role that manages the area, audited; the top bar's count follows.

use crate::common::{Client, TestApp};
use licensedesk::overview::Alerts;
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::AnyPool;

const DAY: i64 = 86_400;

async fn exec(pool: &AnyPool, sql: &str) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn open_alerts(c: &Client) -> Vec<Value> {
    let (code, list) = c.call_json("alerts_list", &[("state", "all")]).await;
    assert_eq!(code, StatusCode::OK, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .filter(|a| a["closed_at"].is_null())
        .cloned()
        .collect()
}

fn find<'a>(alerts: &'a [Value], rule: &str) -> Vec<&'a Value> {
    alerts.iter().filter(|a| a["rule"] == rule).collect()
}

fn date(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .unwrap()
        .date()
        .to_string()
}

#[tokio::test]
async fn every_rule_raises_once_closes_and_reopens() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let pool = app.db().pool.clone();
    let alerts = Alerts::new(app.db().clone(), app.services.clock.clone());
    let now = app.clock.now_for_tests();

    // Store: a token expiring in 20 days, a revoked one, two failed syncs, an app running low.
    exec(&pool, &format!(
        "INSERT INTO store_connections (id, store, name, account_id, secret_enc, expires_at, last_updated_at, created_at) \
         VALUES (1, 'apple', 'Head office', 'loc-1', 'x', {}, {now}, {now}), \
                (2, 'microsoft', 'Branch', 'tenant-2', 'x', {}, {now}, {now})",
        now + 20 * DAY, now + 300 * DAY
    )).await;
    exec(
        &pool,
        "UPDATE store_connections SET state = 'revoked' WHERE id = 2",
    )
    .await;
    exec(&pool, &format!(
        "INSERT INTO store_sync_runs (connection_id, trigger, started_at, result, error) VALUES \
         (1, 'manual', {now}, 'failed', 'the store did not answer'), (1, 'manual', {now}, 'failed', 'the store did not answer')"
    )).await;
    exec(&pool, &format!(
        "INSERT INTO store_apps (id, connection_id, store, product_id, sku, name, name_key, publisher, platform, \
         total_count, used, last_synced_at, created_at) VALUES \
         (1, 1, 'apple', '111', 'STDQ', 'Field Notes', 'field notes', 'Contoso', 'iOS', 40, 37, {now}, {now}), \
         (2, 1, 'apple', '222', 'STDQ', 'Plenty', 'plenty', 'Contoso', 'iOS', 40, 10, {now}, {now})"
    )).await;
    // Licenses: an agreement ending in 45 days; a product installed on 2 computers, owned once.
    exec(&pool, &format!(
        "INSERT INTO agreements (kind, name, name_key, group_id, publisher, product, license_count, ends_on, created_at, updated_at) \
         SELECT 'other', 'CAD suite', 'cad suite', MIN(id), 'Autodesk', 'AutoCAD', 1, '{}', {now}, {now} FROM license_groups",
        date(now + 45 * DAY)
    )).await;
    for (i, name) in ["PC-1", "PC-2"].iter().enumerate() {
        exec(&pool, &format!(
            "INSERT INTO dir_devices (id, name, name_key, platform, created_at, updated_at) VALUES ({}, '{name}', '{}', 'windows', 0, 0)",
            i + 1, name.to_lowercase()
        )).await;
        exec(&pool, &format!(
            "INSERT INTO detected_software (device_id, publisher, product) VALUES ({}, 'Autodesk', 'AutoCAD')",
            i + 1
        )).await;
    }
    // Billing: a subscription renewing in 10 days, an overdue invoice, a card expiring soon.
    exec(&pool, &format!(
        "INSERT INTO billing_profiles (id, name, name_key, contact_name, address_line, city, postal_code, region, created_at, updated_at) \
         VALUES (1, 'Main', 'main', 'Ada', 'Dam 1', 'Amsterdam', '1012 JS', 'NL', {now}, {now})"
    )).await;
    exec(&pool, &format!(
        "INSERT INTO subscriptions (id, app_name, publisher, channel, pricing, frequency, unit_price_minor, currency, quantity, \
         term_start_on, renews_on, profile_id, portal_url, status, activated_at, created_at, updated_at) VALUES \
         (1, 'Sketchbook', 'Contoso', 'direct', 'per_license', 'monthly', 1000, 'EUR', 5, '{}', '{}', 1, 'https://x.example', 'active', {now}, {now}, {now})",
        date(now - 20 * DAY), date(now + 10 * DAY)
    )).await;
    exec(&pool, &format!(
        "INSERT INTO invoices (id, number, profile_id, period, issued_on, due_on, status, created_at) VALUES \
         (1, 'INV-1', 1, '2026-09', '2026-09-01', '{}', 'overdue', {now})",
        date(now - 15 * DAY)
    )).await;
    let soon = time::OffsetDateTime::from_unix_timestamp(now + 20 * DAY).unwrap();
    exec(&pool, &format!(
        "INSERT INTO payment_methods (profile_id, kind, card_brand, card_last4, card_exp_month, card_exp_year, created_at) \
         VALUES (1, 'card', 'visa', '4242', {}, {}, {now})",
        u8::from(soon.month()), soon.year()
    )).await;

    alerts.evaluate().await.unwrap();
    alerts.evaluate().await.unwrap(); // a second evaluation changes nothing
    let open = open_alerts(&grace).await;
    let rules = [
        ("token_expiring", "warning"),
        ("token_state", "critical"),
        ("sync_failing", "warning"),
        ("app_low", "warning"),
        ("agreement_ending", "info"),
        ("under_licensed", "warning"),
        ("subscription_renewing", "info"),
        ("invoice_overdue", "critical"),
        ("card_expiring", "warning"),
    ];
    for (rule, severity) in rules {
        let found = find(&open, rule);
        assert_eq!(found.len(), 1, "{rule}: {open:?}");
        assert_eq!(found[0]["severity"], severity, "{rule}");
        assert!(
            found[0]["link"].as_str().unwrap().starts_with('/'),
            "{rule}"
        );
    }
    assert_eq!(open.len(), rules.len(), "{open:?}");
    // Most severe first.
    assert_eq!(open[0]["severity"], "critical");
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM alerts")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, rules.len() as i64, "one row per condition");
    assert!(
        find(&open, "under_licensed")[0]["title"]
            .as_str()
            .unwrap()
            .contains("1 licenses missing")
    );
    let (_, count) = grace.call_json("alerts_count", &[]).await;
    assert_eq!(count["open"], 9);
    assert_eq!(count["critical"], 2);

    // Escalation: the token now expires in 5 days — the same alert, critical.
    exec(
        &pool,
        &format!(
            "UPDATE store_connections SET expires_at = {} WHERE id = 1",
            now + 5 * DAY
        ),
    )
    .await;
    alerts.evaluate().await.unwrap();
    let open = open_alerts(&grace).await;
    let token = find(&open, "token_expiring");
    assert_eq!(
        (token.len(), token[0]["severity"].as_str()),
        (1, Some("critical"))
    );

    // Acknowledge: by the role that manages the area, audited; it leaves the count.
    let token_id = token[0]["id"].as_i64().unwrap().to_string();
    let billing = app.admin_with_role(&grace, "bea", "billing_admin").await;
    let (code, _) = billing
        .call_json("alerts_acknowledge", &[("id", &token_id)])
        .await;
    assert_eq!(
        code,
        StatusCode::FORBIDDEN,
        "a billing admin does not handle store alerts"
    );
    let (code, body) = grace
        .call_json("alerts_acknowledge", &[("id", &token_id)])
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert!(
        app.audit_actions()
            .await
            .contains(&"alert.acknowledged".to_string())
    );
    let (_, count) = grace.call_json("alerts_count", &[]).await;
    assert_eq!(count["open"], 8);

    // Snooze: a bad date names the field; a good one hides it until then.
    let invoice_id = find(&open, "invoice_overdue")[0]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let (code, body) = billing
        .call_json("alerts_snooze", &[("id", &invoice_id), ("until", "soon")])
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["Invalid"]["field"], "until");
    let (code, body) = billing
        .call_json(
            "alerts_snooze",
            &[("id", &invoice_id), ("until", &date(now + 3 * DAY))],
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let (_, snoozed) = grace
        .call_json("alerts_list", &[("state", "snoozed")])
        .await;
    assert_eq!(snoozed.as_array().unwrap().len(), 1);
    let (_, count) = grace.call_json("alerts_count", &[]).await;
    assert_eq!(count["open"], 7);

    // The conditions go: every alert closes itself.
    exec(
        &pool,
        &format!(
            "UPDATE store_connections SET expires_at = {}, state = 'valid'",
            now + 300 * DAY
        ),
    )
    .await;
    exec(&pool, &format!(
        "INSERT INTO store_sync_runs (connection_id, trigger, started_at, result) VALUES (1, 'manual', {now}, 'succeeded')"
    )).await;
    exec(&pool, "UPDATE store_apps SET used = 1").await;
    exec(
        &pool,
        &format!(
            "UPDATE agreements SET ends_on = '{}', license_count = 5",
            date(now + 400 * DAY)
        ),
    )
    .await;
    exec(
        &pool,
        &format!(
            "UPDATE subscriptions SET renews_on = '{}'",
            date(now + 200 * DAY)
        ),
    )
    .await;
    exec(&pool, "UPDATE invoices SET status = 'paid'").await;
    exec(
        &pool,
        &format!(
            "UPDATE payment_methods SET card_exp_year = {}",
            soon.year() + 3
        ),
    )
    .await;
    let (_, closed) = alerts.evaluate().await.unwrap();
    assert_eq!(closed, 9);
    assert!(open_alerts(&grace).await.is_empty());
    let (_, count) = grace.call_json("alerts_count", &[]).await;
    assert_eq!(count["open"], 0);

    // A condition that returns reopens its alert (same row), as new: not acknowledged.
    exec(
        &pool,
        &format!(
            "UPDATE store_connections SET expires_at = {} WHERE id = 1",
            now + 3 * DAY
        ),
    )
    .await;
    exec(
        &pool,
        "UPDATE subscriptions SET status = 'disabled', disabled_reason = 'cancelled'",
    )
    .await;
    exec(
        &pool,
        &format!("UPDATE subscriptions SET disabled_at = {now}"),
    )
    .await;
    alerts.evaluate().await.unwrap();
    let open = open_alerts(&grace).await;
    let token = find(&open, "token_expiring");
    assert_eq!(token.len(), 1);
    assert_eq!(
        token[0]["id"].as_i64().unwrap().to_string(),
        token_id,
        "the same row"
    );
    assert!(token[0]["acknowledged_at"].is_null());
    assert_eq!(find(&open, "subscription_disabled").len(), 1);
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM alerts")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 10, "reopened, not duplicated");
}

/// Two evaluations at once (two servers) leave one alert per condition.
#[tokio::test]
async fn simultaneous_evaluations_never_duplicate() {
    let app = TestApp::spawn().await;
    let pool = app.db().pool.clone();
    let now = app.clock.now_for_tests();
    exec(&pool, &format!(
        "INSERT INTO store_connections (id, store, name, account_id, secret_enc, expires_at, last_updated_at, created_at) \
         VALUES (1, 'apple', 'Head office', 'loc-1', 'x', {}, {now}, {now})",
        now + 2 * DAY
    )).await;
    let a = Alerts::new(app.db().clone(), app.services.clock.clone());
    let b = a.clone();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..8 {
        let x = if i % 2 == 0 { a.clone() } else { b.clone() };
        set.spawn(async move { x.evaluate().await });
    }
    for r in set.join_all().await {
        r.unwrap();
    }
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM alerts")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 1);
}

/// The dashboard's figures add up from a known organisation: store licenses per connection,
/// the installation report's totals, spend this month (invoices) and next (active
/// subscriptions), open and overdue invoices, ISV licenses used and owned.
#[tokio::test]
async fn dashboard_figures_add_up() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let pool = app.db().pool.clone();
    let now = app.clock.now_for_tests();
    let today = time::OffsetDateTime::from_unix_timestamp(now).unwrap().date();
    let period = format!("{:04}-{:02}", today.year(), u8::from(today.month()));
    let next_month = (u8::from(today.month()) % 12) + 1;

    exec(&pool, &format!(
        "INSERT INTO store_connections (id, store, name, account_id, secret_enc, last_updated_at, created_at) \
         VALUES (1, 'apple', 'Head office', 'loc-1', 'x', {now}, {now})"
    )).await;
    exec(&pool, &format!(
        "INSERT INTO store_apps (connection_id, store, product_id, sku, name, name_key, publisher, platform, \
         total_count, used, outside_assigned, last_synced_at, created_at) VALUES \
         (1, 'apple', '1', 'STDQ', 'A', 'a', 'P', 'iOS', 40, 37, 0, {now}, {now}), \
         (1, 'apple', '2', 'STDQ', 'B', 'b', 'P', 'iOS', 40, 10, 2, {now}, {now}), \
         (1, 'apple', '3', 'STDQ', 'C', 'c', 'P', 'iOS', 5, 5, 0, {now}, {now}), \
         (1, 'apple', '4', 'STDQ', 'Free', 'free', 'P', 'iOS', {}, 3, 0, {now}, {now})",
        app::domain::store::UNLIMITED
    )).await;
    for (i, name) in ["PC-1", "PC-2"].iter().enumerate() {
        exec(&pool, &format!(
            "INSERT INTO dir_devices (id, name, name_key, platform, created_at, updated_at) VALUES ({}, '{name}', '{}', 'windows', 0, 0)",
            i + 1, name.to_lowercase()
        )).await;
        exec(&pool, &format!(
            "INSERT INTO detected_software (device_id, publisher, product) VALUES ({}, 'Autodesk', 'AutoCAD')",
            i + 1
        )).await;
    }
    exec(&pool, &format!(
        "INSERT INTO agreements (kind, name, name_key, group_id, publisher, product, license_count, created_at, updated_at) \
         SELECT 'other', 'CAD', 'cad', MIN(id), 'Autodesk', 'AutoCAD', 1, {now}, {now} FROM license_groups"
    )).await;
    exec(&pool, &format!(
        "INSERT INTO agreements (kind, name, name_key, group_id, publisher, product, license_count, created_at, updated_at) \
         SELECT 'other', 'Viewer', 'viewer', MIN(id), 'Contoso', 'Viewer', 3, {now}, {now} FROM license_groups"
    )).await;
    exec(&pool, &format!(
        "INSERT INTO billing_profiles (id, name, name_key, contact_name, address_line, city, postal_code, region, created_at, updated_at) \
         VALUES (1, 'Main', 'main', 'Ada', 'Dam 1', 'Amsterdam', '1012 JS', 'NL', {now}, {now})"
    )).await;
    exec(&pool, &format!(
        "INSERT INTO invoices (id, number, profile_id, period, issued_on, due_on, status, created_at) VALUES \
         (1, 'INV-1', 1, '{period}', '2026-01-01', '2026-01-31', 'open', {now}), \
         (2, 'INV-2', 1, '2020-01', '2020-01-01', '2020-01-31', 'overdue', {now})"
    )).await;
    exec(&pool, "INSERT INTO invoice_lines (invoice_id, kind, description, quantity, unit_price_minor, amount_minor, currency) VALUES \
         (1, 'charge', 'x', 1, 1000, 1000, 'EUR'), (1, 'charge', 'y', 1, 500, 500, 'USD'), \
         (2, 'charge', 'z', 1, 2000, 2000, 'EUR')").await;
    exec(&pool, &format!(
        "INSERT INTO subscriptions (app_name, publisher, channel, pricing, frequency, unit_price_minor, currency, quantity, \
         term_start_on, renews_on, profile_id, portal_url, status, activated_at, created_at, updated_at) VALUES \
         ('Seats', 'C', 'direct', 'per_license', 'monthly', 1000, 'EUR', 5, '2025-03-10', '2027-01-01', 1, 'https://x.example', 'active', {now}, {now}, {now}), \
         ('Yearly', 'C', 'direct', 'flat_rate', 'annual', 12000, 'USD', NULL, '2025-{next_month:02}-05', '2027-01-01', 1, 'https://x.example', 'active', {now}, {now}, {now}), \
         ('Other year', 'C', 'direct', 'flat_rate', 'annual', 99900, 'USD', NULL, '2025-{:02}-05', '2027-01-01', 1, 'https://x.example', 'active', {now}, {now}, {now})",
        next_month % 12 + 1
    )).await;
    exec(&pool, &format!(
        "INSERT INTO dir_users (id, display_name, display_key, sign_in_name, sign_in_key, search_text, created_at, updated_at) VALUES \
         (1, 'A', 'a', 'a@x.example', 'a@x.example', 'a', {now}, {now}), (2, 'B', 'b', 'b@x.example', 'b@x.example', 'b', {now}, {now})"
    )).await;
    exec(&pool, &format!(
        "INSERT INTO dir_groups (id, name, name_key, created_at, updated_at) VALUES (1, 'G', 'g', {now}, {now})"
    )).await;
    exec(&pool, "INSERT INTO dir_group_members (group_id, user_id) VALUES (1, 1), (1, 2)").await;
    exec(&pool, &format!(
        "INSERT INTO isv_apps (id, name, name_key, publisher, owned, install_url, vendor_contact, created_at, updated_at) \
         VALUES (1, 'Tool', 'tool', 'V', 10, 'https://x.example', 'v@x.example', {now}, {now})"
    )).await;
    exec(&pool, &format!(
        "INSERT INTO isv_assignments (app_id, user_id, created_at) VALUES (1, 1, {now})"
    )).await;
    exec(&pool, &format!(
        "INSERT INTO isv_assignments (app_id, group_id, created_at) VALUES (1, 1, {now})"
    )).await;

    let (code, f) = grace.call_json("dashboard_figures", &[]).await;
    assert_eq!(code, StatusCode::OK, "{f}");
    let store = &f["stores"][0];
    assert_eq!(
        (store["owned"].as_i64(), store["used"].as_i64(), store["available"].as_i64()),
        (Some(85), Some(52), Some(31)),
        "{store}"
    );
    assert_eq!((store["apps"].as_i64(), store["apps_exhausted"].as_i64()), (Some(4), Some(1)));
    assert_eq!(f["managed_computers"], 2);
    assert_eq!(f["products_under_licensed"], 1);
    assert_eq!(f["licenses_missing"], 1);
    assert_eq!(f["licenses_unused"], 3);
    assert_eq!(
        f["spend_this_month"],
        serde_json::json!([{"currency": "EUR", "minor": 1000}, {"currency": "USD", "minor": 500}])
    );
    assert_eq!(
        f["spend_next_month"],
        serde_json::json!([{"currency": "EUR", "minor": 5000}, {"currency": "USD", "minor": 12000}])
    );
    assert_eq!((f["invoices_open"].as_i64(), f["invoices_overdue"].as_i64()), (Some(1), Some(1)));
    assert_eq!(f["overdue_amount"], serde_json::json!([{"currency": "EUR", "minor": 2000}]));
    assert_eq!((f["isv_used"].as_i64(), f["isv_owned"].as_i64()), (Some(2), Some(10)));
}
