//! The dashboard's charts (SPEC X-1) on SQLite and PostgreSQL, from a known organisation on a
//! fixed day (2026-11-15): invoice totals per month and profile (five profiles and "other", per
//! currency, only the last 12 months), used against owned per area, and the 90-day timeline
//! (only what falls within it, sorted by date). Every role reads them, as the figures; the
//! dashboard page renders them as SVG with a table.

use crate::common::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::AnyPool;

async fn exec(pool: &AnyPool, sql: &str) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// 2026-11-15 12:00 UTC.
const NOW: i64 = 1_794_744_000;
const DAY: i64 = 86_400;

async fn seed_billing(pool: &AnyPool) {
    for p in 1..=7 {
        exec(pool, &format!(
            "INSERT INTO billing_profiles (id, name, name_key, contact_name, address_line, city, postal_code, region, created_at, updated_at) \
             VALUES ({p}, 'P{p}', 'p{p}', 'Ada', 'Dam 1', 'Amsterdam', '1012 JS', 'NL', {NOW}, {NOW})"
        )).await;
        // This month: profile p invoices p × 100 EUR cents.
        exec(pool, &format!(
            "INSERT INTO invoices (id, number, profile_id, period, issued_on, due_on, status, created_at) \
             VALUES ({p}, 'INV-{p}', {p}, '2026-11', '2026-11-01', '2026-12-01', 'open', {NOW})"
        )).await;
        exec(pool, &format!(
            "INSERT INTO invoice_lines (invoice_id, kind, description, quantity, unit_price_minor, amount_minor, currency) \
             VALUES ({p}, 'charge', 'x', 1, {0}, {0}, 'EUR')", p * 100
        )).await;
    }
    exec(pool, &format!(
        "INSERT INTO invoices (id, number, profile_id, period, issued_on, due_on, status, created_at) VALUES \
         (8, 'INV-8', 1, '2026-10', '2026-10-01', '2026-11-01', 'paid', {NOW}), \
         (9, 'INV-9', 1, '2025-11', '2025-11-01', '2025-12-01', 'paid', {NOW}), \
         (10, 'INV-10', 2, '2025-12', '2025-12-01', '2026-01-01', 'paid', {NOW})"
    )).await;
    exec(pool, "INSERT INTO invoice_lines (invoice_id, kind, description, quantity, unit_price_minor, amount_minor, currency) VALUES \
         (8, 'charge', 'a', 1, 30, 30, 'EUR'), (8, 'proration', 'b', 1, 20, 20, 'EUR'), (8, 'charge', 'c', 1, 7, 7, 'USD'), \
         (9, 'charge', 'too old', 1, 999, 999, 'EUR'), (10, 'charge', 'first month', 1, 11, 11, 'EUR')").await;
    // Cards: ends this December (in), next February (its last day is beyond 90 days), expired.
    exec(pool, &format!(
        "INSERT INTO payment_methods (profile_id, kind, card_brand, card_last4, card_exp_month, card_exp_year, is_default, created_at) VALUES \
         (1, 'card', 'Visa', '4242', 12, 2026, 1, {NOW}), (2, 'card', 'Mastercard', '5454', 2, 2027, 1, {NOW}), \
         (3, 'card', 'Visa', '1111', 10, 2026, 1, {NOW}), (4, 'wire', NULL, NULL, NULL, NULL, 0, {NOW})"
    )).await;
    // Subscriptions: seats 3 of 5 and 10 of 10 (per license, active); flat rate and disabled
    // ones do not count. Renewal dates: +16 days (renews), +5 (ends), beyond, disabled.
    exec(pool, &format!(
        "INSERT INTO subscriptions (app_name, publisher, channel, pricing, frequency, unit_price_minor, currency, quantity, assigned, \
         term_start_on, renews_on, auto_renew, profile_id, portal_url, status, disabled_reason, activated_at, disabled_at, created_at, updated_at) VALUES \
         ('Seats A', 'C', 'direct', 'per_license', 'monthly', 1000, 'EUR', 5, 3, '2025-12-01', '2026-12-01', 1, 1, 'https://x.example', 'active', NULL, {NOW}, NULL, {NOW}, {NOW}), \
         ('Seats B', 'C', 'direct', 'per_license', 'monthly', 1000, 'EUR', 10, 10, '2025-11-20', '2026-11-20', 0, 1, 'https://x.example', 'active', NULL, {NOW}, NULL, {NOW}, {NOW}), \
         ('Flat', 'C', 'direct', 'flat_rate', 'annual', 12000, 'USD', NULL, 0, '2026-06-01', '2027-06-01', 1, 1, 'https://x.example', 'active', NULL, {NOW}, NULL, {NOW}, {NOW}), \
         ('Gone', 'C', 'direct', 'per_license', 'monthly', 1000, 'EUR', 50, 1, '2025-11-16', '2026-11-16', 1, 1, 'https://x.example', 'disabled', 'cancelled', {NOW}, {NOW}, {NOW}, {NOW})"
    )).await;
}

async fn seed_licenses(pool: &AnyPool) {
    for (id, name, platform) in [
        (1, "PC-1", "windows"),
        (2, "PC-2", "windows"),
        (3, "MAC-1", "macos"),
    ] {
        exec(pool, &format!(
            "INSERT INTO dir_devices (id, name, name_key, platform, created_at, updated_at) VALUES ({id}, '{name}', '{}', '{platform}', 0, 0)",
            name.to_lowercase()
        )).await;
        exec(pool, &format!(
            "INSERT INTO detected_software (device_id, publisher, product) VALUES ({id}, 'Autodesk', 'AutoCAD')"
        )).await;
    }
    exec(pool, "INSERT INTO detected_software (device_id, publisher, product) VALUES (1, 'Contoso', 'Viewer')").await;
    for (kind, name, publisher, count, ends) in [
        ("other", "CAD", "'Autodesk', 'AutoCAD'", "1", "'2026-11-15'"),
        (
            "other",
            "Viewer",
            "'Contoso', 'Viewer'",
            "3",
            "'2027-02-13'",
        ),
        ("volume", "EA", "NULL, NULL", "NULL", "'2027-02-14'"),
        ("volume", "Old", "NULL, NULL", "NULL", "'2026-11-14'"),
    ] {
        exec(pool, &format!(
            "INSERT INTO agreements (kind, name, name_key, group_id, publisher, product, license_count, ends_on, created_at, updated_at) \
             SELECT '{kind}', '{name}', '{}', MIN(id), {publisher}, {count}, {ends}, {NOW}, {NOW} FROM license_groups",
            name.to_lowercase()
        )).await;
    }
    exec(
        pool,
        "INSERT INTO agreement_entitlements (agreement_id, publisher, product, quantity) \
                SELECT id, 'Microsoft', 'Visio', 5 FROM agreements WHERE name = 'EA'",
    )
    .await;
}

async fn seed_store_and_isv(pool: &AnyPool) {
    // Apple (token in 9 days), Microsoft (in 200 days), a removed Apple connection (in 5 days).
    exec(pool, &format!(
        "INSERT INTO store_connections (id, store, name, account_id, secret_enc, expires_at, last_updated_at, created_at, removed_at) VALUES \
         (1, 'apple', 'Head office', 'loc-1', 'x', {}, {NOW}, {NOW}, NULL), \
         (2, 'microsoft', 'Tenant', 't-1', 'x', {}, {NOW}, {NOW}, NULL), \
         (3, 'apple', 'Old office', 'loc-0', 'x', {}, {NOW}, {NOW}, {NOW})",
        NOW + 9 * DAY, NOW + 200 * DAY, NOW + 5 * DAY
    )).await;
    exec(pool, &format!(
        "INSERT INTO store_apps (connection_id, store, product_id, sku, name, name_key, publisher, platform, \
         total_count, used, outside_assigned, retired, last_synced_at, created_at) VALUES \
         (1, 'apple', '1', 'STDQ', 'A', 'a', 'P', 'iOS', 40, 37, 0, 0, {NOW}, {NOW}), \
         (1, 'apple', '2', 'STDQ', 'B', 'b', 'P', 'iOS', 45, 15, 2, 0, {NOW}, {NOW}), \
         (1, 'apple', '3', 'STDQ', 'Free', 'free', 'P', 'iOS', {}, 3, 0, 0, {NOW}, {NOW}), \
         (1, 'apple', '4', 'STDQ', 'Retired', 'retired', 'P', 'iOS', 9, 9, 0, 1, {NOW}, {NOW}), \
         (2, 'microsoft', '5', '0016', 'M', 'm', 'P', 'Windows', 10, 4, 0, 0, {NOW}, {NOW}), \
         (3, 'apple', '6', 'STDQ', 'Gone', 'gone', 'P', 'iOS', 100, 100, 0, 0, {NOW}, {NOW})",
        app::domain::store::UNLIMITED
    )).await;
    exec(pool, &format!(
        "INSERT INTO dir_users (id, display_name, display_key, sign_in_name, sign_in_key, search_text, created_at, updated_at) VALUES \
         (1, 'A', 'a', 'a@x.example', 'a@x.example', 'a', {NOW}, {NOW}), (2, 'B', 'b', 'b@x.example', 'b@x.example', 'b', {NOW}, {NOW}), \
         (3, 'C', 'c', 'c@x.example', 'c@x.example', 'c', {NOW}, {NOW})"
    )).await;
    exec(pool, &format!("INSERT INTO dir_groups (id, name, name_key, created_at, updated_at) VALUES (1, 'G', 'g', {NOW}, {NOW})")).await;
    exec(
        pool,
        "INSERT INTO dir_group_members (group_id, user_id) VALUES (1, 1), (1, 2), (1, 3)",
    )
    .await;
    exec(pool, &format!(
        "INSERT INTO isv_apps (id, name, name_key, publisher, owned, install_url, vendor_contact, created_at, updated_at) \
         VALUES (1, 'Tool', 'tool', 'V', 10, 'https://x.example', 'v@x.example', {NOW}, {NOW})"
    )).await;
    exec(pool, &format!(
        "INSERT INTO isv_assignments (app_id, user_id, group_id, created_at) VALUES (1, 1, NULL, {NOW}), (1, NULL, 1, {NOW})"
    )).await;
    // User 3's license through the group was reclaimed: it no longer counts.
    exec(pool, &format!(
        "INSERT INTO isv_reclaims (app_id, user_id, reason, reclaimed_at) VALUES (1, 3, 'disabled', {NOW})"
    )).await;
}

fn usage(c: &Value, area: &str, store: &str) -> (i64, i64) {
    let bar = c["usage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["area"] == area && u["store"] == store)
        .unwrap_or_else(|| panic!("no {area} {store} bar in {c}"));
    (
        bar["used"].as_i64().unwrap(),
        bar["owned"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn charts_add_up_from_a_known_organisation() {
    let app = TestApp::spawn().await;
    app.clock.set(NOW);
    let grace = app.setup().await;
    let pool = app.db().pool.clone();
    seed_billing(&pool).await;
    seed_licenses(&pool).await;
    seed_store_and_isv(&pool).await;

    let (code, c) = grace.call_json("dashboard_charts", &[]).await;
    assert_eq!(code, StatusCode::OK, "{c}");
    assert_eq!(c["today"], "2026-11-15");
    assert_eq!(c["horizon_days"], 90);

    // Spend: 2025-12 … 2026-11; P7…P3 on their own, P2 and P1 as "other"; USD apart.
    let spend = c["spend"].as_array().unwrap();
    assert_eq!(spend.len(), 2, "{c}");
    let eur = &spend[0];
    assert_eq!(eur["currency"], "EUR");
    assert_eq!(eur["months"][0], "2025-12");
    assert_eq!(eur["months"][11], "2026-11");
    let at = |i: usize, v: i64| {
        let mut m = vec![0; 12];
        m[i] = v;
        m
    };
    let stacks: Vec<(Value, String, Vec<i64>)> = eur["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let minor = s["minor"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_i64().unwrap())
                .collect();
            (
                s["profile_id"].clone(),
                s["name"].as_str().unwrap().to_string(),
                minor,
            )
        })
        .collect();
    let mut other = vec![0; 12];
    other[0] = 11; // P2, 2025-12
    other[10] = 50; // P1, 2026-10 (two lines)
    other[11] = 300; // P2 + P1, 2026-11
    assert_eq!(
        stacks,
        vec![
            (json!(7), "P7".to_string(), at(11, 700)),
            (json!(6), "P6".to_string(), at(11, 600)),
            (json!(5), "P5".to_string(), at(11, 500)),
            (json!(4), "P4".to_string(), at(11, 400)),
            (json!(3), "P3".to_string(), at(11, 300)),
            (Value::Null, String::new(), other),
        ]
    );
    assert_eq!(spend[1]["currency"], "USD");
    assert_eq!(spend[1]["stacks"][0]["name"], "P1");
    assert_eq!(spend[1]["stacks"][0]["minor"], json!(at(10, 7)));

    // Used against owned.
    assert_eq!(usage(&c, "store", "apple"), (52, 85));
    assert_eq!(usage(&c, "store", "microsoft"), (4, 10));
    assert_eq!(usage(&c, "licenses", ""), (3, 9));
    assert_eq!(usage(&c, "isv", ""), (2, 10));
    assert_eq!(usage(&c, "saas", ""), (13, 15));
    // The licenses pair is the installation report's totals.
    let (code, report) = grace.call_json("report_installation", &[]).await;
    assert_eq!(code, StatusCode::OK, "{report}");
    assert_eq!(
        (
            report["installed_total"].as_i64(),
            report["owned_total"].as_i64()
        ),
        (Some(3), Some(9))
    );

    // The timeline: today … today + 90 days only, by date.
    let timeline: Vec<(String, i64, String, String)> = c["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["date"].as_str().unwrap().to_string(),
                e["days"].as_i64().unwrap(),
                e["kind"].as_str().unwrap().to_string(),
                e["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        ("2026-11-15", 0, "agreement", "CAD"),
        ("2026-11-20", 5, "subscription_end", "Seats B"),
        ("2026-11-24", 9, "token", "Head office"),
        ("2026-12-01", 16, "renewal", "Seats A"),
        (
            "2026-12-31",
            46,
            "card",
            "Visa \u{2022}\u{2022}\u{2022}\u{2022} 4242 (P1)",
        ),
        ("2027-02-13", 90, "agreement", "Viewer"),
    ];
    let expected: Vec<(String, i64, String, String)> = expected
        .iter()
        .map(|(d, n, k, name)| (d.to_string(), *n, k.to_string(), name.to_string()))
        .collect();
    assert_eq!(timeline, expected);
    assert!(
        c["timeline"][1]["link"]
            .as_str()
            .unwrap()
            .starts_with("/billing/subscriptions/")
    );

    // Every role reads the charts, like the figures (Read covers every area); anonymous not.
    let reader = app.admin_with_role(&grace, "rui", "reader").await;
    let (code, as_reader) = reader.call_json("dashboard_charts", &[]).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(as_reader, c);
    let (code, _) = app.client().call("dashboard_charts", &[]).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED);

    // The dashboard renders them: SVG named by its title and description, and the table.
    let page = grace.get("/").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    for needle in [
        r#"aria-labelledby="chart-spend-eur-title chart-spend-eur-desc""#,
        r#"<title id="chart-usage-title">"#,
        r#"<desc id="chart-timeline-desc">"#,
        "Show as table",
        "Visa \u{2022}\u{2022}\u{2022}\u{2022} 4242 (P1)",
        "EUR 7.00",
    ] {
        assert!(html.contains(needle), "{needle} not in the dashboard");
    }
}

/// An empty organisation: no series, zero bars, no events — and the page says so.
#[tokio::test]
async fn charts_of_an_empty_organisation() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let (code, c) = grace.call_json("dashboard_charts", &[]).await;
    assert_eq!(code, StatusCode::OK, "{c}");
    assert_eq!(c["spend"], json!([]));
    assert_eq!(c["timeline"], json!([]));
    let areas: Vec<&str> = c["usage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["area"].as_str().unwrap())
        .collect();
    assert_eq!(areas, ["licenses", "isv", "saas"]);
    let html = grace.get("/").await.text().await.unwrap();
    assert!(html.contains("No invoices in the last 12 months."));
    assert!(html.contains("Nothing ends or renews in the next 90 days."));
}
