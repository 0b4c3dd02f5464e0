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
    let today = time::OffsetDateTime::from_unix_timestamp(now)
        .unwrap()
        .date();
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
    exec(
        &pool,
        "INSERT INTO dir_group_members (group_id, user_id) VALUES (1, 1), (1, 2)",
    )
    .await;
    exec(&pool, &format!(
        "INSERT INTO isv_apps (id, name, name_key, publisher, owned, install_url, vendor_contact, created_at, updated_at) \
         VALUES (1, 'Tool', 'tool', 'V', 10, 'https://x.example', 'v@x.example', {now}, {now})"
    )).await;
    exec(
        &pool,
        &format!("INSERT INTO isv_assignments (app_id, user_id, created_at) VALUES (1, 1, {now})"),
    )
    .await;
    exec(
        &pool,
        &format!("INSERT INTO isv_assignments (app_id, group_id, created_at) VALUES (1, 1, {now})"),
    )
    .await;

    let (code, f) = grace.call_json("dashboard_figures", &[]).await;
    assert_eq!(code, StatusCode::OK, "{f}");
    let store = &f["stores"][0];
    assert_eq!(
        (
            store["owned"].as_i64(),
            store["used"].as_i64(),
            store["available"].as_i64()
        ),
        (Some(85), Some(52), Some(31)),
        "{store}"
    );
    assert_eq!(
        (store["apps"].as_i64(), store["apps_exhausted"].as_i64()),
        (Some(4), Some(1))
    );
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
    assert_eq!(
        (f["invoices_open"].as_i64(), f["invoices_overdue"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        f["overdue_amount"],
        serde_json::json!([{"currency": "EUR", "minor": 2000}])
    );
    assert_eq!(
        (f["isv_used"].as_i64(), f["isv_owned"].as_i64()),
        (Some(2), Some(10))
    );
}

/// A local receiver: records each request's headers and body; answers 503 to the first
/// `fail_first` requests, then 200.
async fn receiver(
    fail_first: usize,
) -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<(axum::http::HeaderMap, String)>>>,
) {
    use std::sync::{Arc, Mutex};
    let seen: Arc<Mutex<Vec<(axum::http::HeaderMap, String)>>> = Arc::default();
    let log = seen.clone();
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let log = log.clone();
            async move {
                let mut l = log.lock().unwrap();
                l.push((headers, body));
                if l.len() <= fail_first {
                    axum::http::StatusCode::SERVICE_UNAVAILABLE
                } else {
                    axum::http::StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, seen)
}

/// Webhooks: added by a Global admin (secret shown once, stored sealed), every opened alert
/// posted once, signed (HMAC-SHA256 of timestamp and body), retried with back-off after a
/// failed attempt, each attempt in the delivery log; a reopened alert is posted again; the Test
/// button reports its attempts; other roles cannot see or change webhooks.
#[tokio::test]
async fn webhooks_receive_each_opened_alert_once_signed_and_retried() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let pool = app.db().pool.clone();
    let now = app.clock.now_for_tests();
    let (url, seen) = receiver(1).await;

    let reader = app.admin_with_role(&grace, "rita", "reader").await;
    let (code, _) = reader.call_json("webhooks_list", &[]).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, body) = grace
        .call_json(
            "webhooks_add",
            &[("name", "Ops"), ("url", "file:///etc/passwd")],
        )
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["Invalid"]["field"], "url");
    let (code, added) = grace
        .call_json("webhooks_add", &[("name", "Ops"), ("url", &url)])
        .await;
    assert_eq!(code, StatusCode::OK, "{added}");
    let secret = added["secret"].as_str().unwrap().to_string();
    assert_eq!(secret.len(), 64, "{added}");
    let stored: String = sqlx::query_scalar("SELECT secret_enc FROM alert_webhooks")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(!stored.contains(&secret), "the secret is stored sealed");
    assert!(
        app.audit_actions()
            .await
            .contains(&"webhook.added".to_string())
    );

    // Two alerts open: each posted once, the first after one failed attempt.
    exec(&pool, &format!(
        "INSERT INTO store_connections (id, store, name, account_id, secret_enc, expires_at, last_updated_at, created_at) \
         VALUES (1, 'apple', 'Head office', 'loc-1', 'x', {}, {now}, {now})",
        now + 3 * DAY
    )).await;
    exec(&pool, &format!(
        "INSERT INTO billing_profiles (id, name, name_key, contact_name, address_line, city, postal_code, region, created_at, updated_at) \
         VALUES (1, 'Main', 'main', 'Ada', 'Dam 1', 'Amsterdam', '1012 JS', 'NL', {now}, {now})"
    )).await;
    exec(&pool, &format!(
        "INSERT INTO invoices (id, number, profile_id, period, issued_on, due_on, status, created_at) VALUES \
         (1, 'INV-1', 1, '2020-01', '2020-01-01', '2020-01-31', 'overdue', {now})"
    )).await;
    let alerts = Alerts::new(app.db().clone(), app.services.clock.clone());
    alerts.evaluate().await.unwrap();
    let mut notifier = licensedesk::overview::Notifier::new(
        app.db().clone(),
        app.services.clock.clone(),
        licensedesk::secrets::SecretBox::new(licensedesk::secrets::SecretBox::generate_key()),
    );
    // The test app's notifier holds the key that sealed the secret: use the same database,
    // re-adding through it keeps this test independent of the app's key.
    notifier.backoff = std::time::Duration::from_millis(10);
    notifier.public_url = "https://ld.example.org".into();
    sqlx::query("DELETE FROM alert_webhooks")
        .execute(&pool)
        .await
        .unwrap();
    let admin = licensedesk_actor();
    let (hook, secret) = notifier.add(&admin, "Ops", &url).await.unwrap();
    assert_eq!(notifier.deliver_pending().await.unwrap(), 2);
    assert_eq!(
        notifier.deliver_pending().await.unwrap(),
        0,
        "each alert once"
    );
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests.len(), 3, "one failed attempt, then two deliveries");
    for (headers, body) in &requests {
        let ts: i64 = headers["x-licensedesk-timestamp"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(
            headers["x-licensedesk-signature"].to_str().unwrap(),
            licensedesk::overview::notify::signature(&secret, ts, body)
        );
        let v: Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["event"], "alert.opened");
        assert!(
            v["alert"]["link"]
                .as_str()
                .unwrap()
                .starts_with("https://ld.example.org/")
        );
    }
    let log: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT attempt, delivered FROM alert_deliveries WHERE webhook_id = $1 ORDER BY id",
    )
    .bind(hook)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(log, vec![(1, 0), (2, 1), (1, 1)]);

    // Closed, then back: posted again.
    exec(&pool, "UPDATE invoices SET status = 'paid'").await;
    alerts.evaluate().await.unwrap();
    app.clock.advance(60);
    exec(&pool, "UPDATE invoices SET status = 'overdue'").await;
    alerts.evaluate().await.unwrap();
    assert_eq!(notifier.deliver_pending().await.unwrap(), 1);
    assert_eq!(seen.lock().unwrap().len(), 4);

    // Test: attempts reported; a receiver that is down is retried, then reported failed.
    let attempts = notifier.test(hook).await.unwrap();
    assert!(attempts[0].delivered);
    let (dead, _) = receiver(usize::MAX).await;
    let (down, _) = notifier.add(&admin, "Down", &dead).await.unwrap();
    let attempts = notifier.test(down).await.unwrap();
    assert_eq!(
        attempts.len(),
        licensedesk::overview::notify::ATTEMPTS as usize
    );
    assert!(
        attempts
            .iter()
            .all(|a| !a.delivered && a.status == Some(503))
    );
}

fn licensedesk_actor() -> app::api::ssr::Actor {
    app::api::ssr::Actor {
        admin: app::api::ssr::AuthedAdmin {
            id: 1,
            username: "grace".into(),
            role: app::domain::Role::GlobalAdmin,
            token: None,
        },
        session_id: None,
        client_ip: "127.0.0.1".into(),
    }
}
