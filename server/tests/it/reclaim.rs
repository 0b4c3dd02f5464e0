//! Reclaim (SPEC X-3) on SQLite and PostgreSQL: every kind is found with what it costs, freeing
//! goes through the areas' own rules (store licenses really freed and not re-granted by their
//! group deployment, ISV licenses no longer counted, seats lowered with Change license
//! quantity), all or nothing, audited, per-role; prices and the per-app alert threshold.

use crate::billing::{isv_app, profile, subscription};
use crate::common::*;
use crate::store::{deploy, group, linked_app_with, store_app, used, users};
use licensedesk::overview::Alerts;
use licensedesk::store::simulator::StoreSim;
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::BTreeSet;

const DAY: i64 = 86_400;

async fn exec(app: &TestApp, sql: String) {
    sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .execute(&app.db().pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&app.db().pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn list(c: &Client) -> Value {
    let (code, body) = c.call_json("reclaim_list", &[]).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    body
}

fn keys(list: &Value) -> BTreeSet<String> {
    list["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap().to_string())
        .collect()
}

fn money(list: &Value, field: &str) -> Vec<(String, i64)> {
    list[field]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["currency"].as_str().unwrap().to_string(),
                m["minor"].as_i64().unwrap(),
            )
        })
        .collect()
}

async fn reclaim(c: &Client, keys: &[String]) -> (StatusCode, Value) {
    c.call_json("reclaim_apply", &[("keys", &keys.join(","))])
        .await
}

/// The world of the test: a store app held by five users, an ISV app, a subscription with idle
/// seats, and an agreement for software installed nowhere.
struct World {
    app_id: i64,
    isv: String,
    sub: String,
    people: Vec<i64>,
    agreement: i64,
}

async fn world(app: &TestApp, grace: &Client) -> World {
    let now = app.clock.now_for_tests();
    let app_id = linked_app_with(app, grace, 10).await;
    let people = users(app, "Nurse", 6).await;
    let ward = group(app, "Ward", &people[..4]).await;
    assert_eq!(
        deploy(grace, app_id, "required", &format!("group:{ward}"))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        deploy(grace, app_id, "required", &format!("user:{}", people[4]))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(used(app, app_id).await, (5, 5));
    // p0 disabled; p1's only device silent for 40 days; p2's install pending for 40 days.
    exec(
        app,
        format!(
            "UPDATE dir_users SET enabled = 0 WHERE id IN ({}, {})",
            people[0], people[5]
        ),
    )
    .await;
    exec(app, format!(
        "INSERT INTO dir_devices (name, name_key, platform, primary_user_id, last_check_in, created_at, updated_at) \
         VALUES ('IPAD-1', 'ipad-1', 'ios', {}, {}, 0, 0)",
        people[1], now - 40 * DAY
    )).await;
    exec(app, format!(
        "UPDATE store_installs SET status = 'pending', updated_at = {} WHERE app_id = {app_id} AND user_id = {}",
        now - 40 * DAY, people[2]
    )).await;
    // A formula-looking name must reach the CSV export neutralised.
    exec(
        app,
        format!(
            "UPDATE dir_users SET display_name = '=2+3 Nurse' WHERE id = {}",
            people[2]
        ),
    )
    .await;

    // ISV: the ward's group (p0 disabled) plus p5 (disabled) directly.
    let isv = isv_app(grace, "Tailspin CRM", "6").await;
    for principal in [format!("group:{ward}"), format!("user:{}", people[5])] {
        let (code, body) = grace
            .call_json(
                "isv_assign",
                &[("app_id", &isv), ("principals", &principal)],
            )
            .await;
        assert_eq!(code, StatusCode::OK, "{body}");
    }

    // SaaS: 10 seats at USD 10.00 a month, 3 assigned.
    let profile = profile(grace, "Main").await;
    let today = time::OffsetDateTime::from_unix_timestamp(now)
        .unwrap()
        .date()
        .to_string();
    let (code, sub) = subscription(
        grace,
        &profile,
        "Sketchbook",
        "per_license",
        "monthly",
        "10.00",
        "10",
        &today,
        true,
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{sub}");
    let sub = sub.as_i64().unwrap().to_string();
    let (code, body) = grace
        .call_json("billing_subscription_activate", &[("id", &sub)])
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let (code, body) = grace
        .call_json(
            "billing_subscription_assigned",
            &[("id", &sub), ("assigned", "3")],
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");

    // Licenses: one managed computer with Visio; an agreement for AutoCAD (installed nowhere)
    // and one for Visio (installed).
    exec(app, "INSERT INTO dir_devices (id, name, name_key, platform, created_at, updated_at) VALUES (900, 'PC-1', 'pc-1', 'windows', 0, 0)".into()).await;
    exec(app, "INSERT INTO detected_software (device_id, publisher, product) VALUES (900, 'Microsoft', 'Visio')".into()).await;
    for (name, publisher, product) in [
        ("CAD", "Autodesk", "AutoCAD"),
        ("Diagrams", "Microsoft", "Visio"),
    ] {
        exec(app, format!(
            "INSERT INTO agreements (kind, name, name_key, group_id, publisher, product, license_count, created_at, updated_at) \
             SELECT 'other', '{name}', '{}', MIN(id), '{publisher}', '{product}', 2, 0, 0 FROM license_groups",
            name.to_lowercase()
        )).await;
    }
    let agreement = scalar(app, "SELECT id FROM agreements WHERE name = 'CAD'").await;
    World {
        app_id,
        isv,
        sub,
        people,
        agreement,
    }
}

#[tokio::test]
async fn every_kind_is_found_priced_and_reclaimed_all_or_nothing() {
    let (app, _sim, _store) = store_app(StoreSim::seeded(20, 0)).await;
    let grace = app.setup().await;
    let w = world(&app, &grace).await;
    let p = &w.people;
    let store_key = |u: i64| format!("store:{}:{u}", w.app_id);
    let isv_key = |u: i64| format!("isv:{}:{u}", w.isv);

    // Prices: EUR 12.00 a year per store license, EUR 120.00 a year per AutoCAD license.
    for (target, id, amount) in [
        ("store_app", w.app_id, "12"),
        ("agreement", w.agreement, "120.00"),
    ] {
        let (code, body) = grace
            .call_json(
                "reclaim_set_price",
                &[
                    ("target", target),
                    ("id", &id.to_string()),
                    ("amount", amount),
                    ("currency", "eur"),
                    ("period", "year"),
                ],
            )
            .await;
        assert_eq!(code, StatusCode::OK, "{body}");
    }
    let l = list(&grace).await;
    let expected: BTreeSet<String> = [
        store_key(p[0]),
        store_key(p[1]),
        store_key(p[2]),
        isv_key(p[0]),
        isv_key(p[5]),
        format!("saas:{}", w.sub),
        format!("agreement:{}", w.agreement),
    ]
    .into_iter()
    .collect();
    assert_eq!(keys(&l), expected, "{l}");
    let kind_of = |key: &str| {
        l["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == key)
            .unwrap()["kind"]
            .clone()
    };
    assert_eq!(kind_of(&store_key(p[0])), "store_disabled");
    assert_eq!(kind_of(&store_key(p[1])), "store_inactive");
    assert_eq!(kind_of(&store_key(p[2])), "store_pending");
    // Per month: 3 × EUR 1.00 + 2 × EUR 10.00; 7 idle seats × USD 10.00.
    assert_eq!(
        money(&l, "monthly_total"),
        vec![("EUR".into(), 2300), ("USD".into(), 7000)]
    );
    assert_eq!(
        money(&l, "yearly_total"),
        vec![("EUR".into(), 27600), ("USD".into(), 84000)]
    );

    let (code, totals) = grace.call_json("reclaim_totals", &[]).await;
    assert_eq!(
        (code, totals["items"].as_i64()),
        (StatusCode::OK, Some(7)),
        "{totals}"
    );
    assert_eq!(money(&totals, "monthly"), money(&l, "monthly_total"));

    // A Reader sees the list and may reclaim nothing; a Billing admin may not free store licenses.
    let reader = app.admin_with_role(&grace, "rita", "reader").await;
    let rl = list(&reader).await;
    assert!(
        rl["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["can_reclaim"] == false)
    );
    assert_eq!(
        reclaim(&reader, &[store_key(p[0])]).await.0,
        StatusCode::FORBIDDEN
    );
    let billing = app.admin_with_role(&grace, "bill", "billing_admin").await;
    let (code, body) = reclaim(&billing, &[format!("saas:{}", w.sub), store_key(p[0])]).await;
    assert_eq!(code, StatusCode::FORBIDDEN, "{body}");

    // All or nothing: one item that is not a candidate refuses the whole selection.
    let (code, body) = reclaim(&grace, &[store_key(p[0]), store_key(p[3])]).await;
    assert_eq!(code, StatusCode::CONFLICT, "{body}");
    let (code, body) = reclaim(&grace, &[format!("agreement:{}", w.agreement)]).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(used(&app, w.app_id).await, (5, 5));
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT quantity FROM subscriptions WHERE id = {}", w.sub)
        )
        .await,
        10
    );

    // Everything actionable at once.
    let all: Vec<String> = expected
        .iter()
        .filter(|k| !k.starts_with("agreement"))
        .cloned()
        .collect();
    let (code, out) = reclaim(&grace, &all).await;
    assert_eq!(code, StatusCode::OK, "{out}");
    assert_eq!(
        (
            out["store_licenses"].as_i64(),
            out["isv_licenses"].as_i64(),
            out["seats"].as_i64()
        ),
        (Some(3), Some(2), Some(7))
    );
    assert_eq!(
        money(&out, "monthly_saving"),
        vec![("EUR".into(), 300), ("USD".into(), 7000)]
    );
    assert_eq!(
        used(&app, w.app_id).await,
        (2, 2),
        "store licenses really freed"
    );
    let (_, isv) = grace.call_json("isv_app_get", &[("id", &w.isv)]).await;
    assert_eq!(isv["app"]["assigned"], 3, "{isv}");
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT quantity FROM subscriptions WHERE id = {}", w.sub)
        )
        .await,
        3
    );
    let actions = app.audit_actions().await;
    for action in [
        "store.license_reclaimed",
        "isv_license.reclaimed",
        "subscription.quantity_changed",
        "store_app.price_set",
        "agreement.price_set",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
    assert_eq!(
        keys(&list(&grace).await),
        [format!("agreement:{}", w.agreement)].into_iter().collect()
    );
    // Done already: the same selection again changes nothing.
    assert_eq!(reclaim(&grace, &all).await.0, StatusCode::CONFLICT);

    // The group deployment does not give the licenses back; a direct deployment does.
    let ward: i64 = scalar(&app, "SELECT id FROM dir_groups WHERE name = 'Ward'").await;
    assert_eq!(
        deploy(&grace, w.app_id, "available", &format!("group:{ward}"))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(used(&app, w.app_id).await, (2, 2));
    assert_eq!(
        deploy(&grace, w.app_id, "required", &format!("user:{}", p[1]))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(used(&app, w.app_id).await, (3, 3));
    // ISV: assigning p0 directly counts them again.
    let (code, body) = grace
        .call_json(
            "isv_assign",
            &[
                ("app_id", &w.isv),
                ("principals", &format!("user:{}", p[0])),
            ],
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM isv_reclaims").await, 1);
}

#[tokio::test]
async fn csv_export_prices_and_thresholds_are_validated_and_audited() {
    let (app, _sim, _store) = store_app(StoreSim::seeded(20, 0)).await;
    let grace = app.setup().await;
    let w = world(&app, &grace).await;

    let res = grace
        .get("/api/reclaim/reclaimable.csv?inactive_days=30")
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let csv = res.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "kind,key,item,holder,since,licenses,currency,per_month,per_year"
    );
    assert_eq!(lines.count(), 7, "{csv}");
    assert!(csv.contains("'=2+3 Nurse"), "formula neutralised: {csv}");
    assert!(csv.contains("saas_unassigned"), "{csv}");
    assert!(csv.contains(",USD,70.00,840.00"), "{csv}");
    let res = grace
        .get("/api/reclaim/reclaimable.csv?inactive_days=abc")
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let (code, body) = grace
        .call_json("reclaim_list", &[("inactive_days", "0")])
        .await;
    assert_eq!(
        (code, body["Invalid"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("inactive_days"))
    );
    // A longer limit: p1's device (40 days) is no longer "not checked in".
    let (_, l) = grace
        .call_json(
            "reclaim_list",
            &[("inactive_days", "60"), ("pending_days", "60")],
        )
        .await;
    assert_eq!(l["rows"].as_array().unwrap().len(), 5, "{l}");

    // Prices: each field named; the role that manages the thing; empty removes.
    let id = w.app_id.to_string();
    for (amount, currency, period, field) in [
        ("12", "XYZ", "year", "currency"),
        ("1.234", "EUR", "year", "price"),
        ("5", "EUR", "week", "period"),
        ("<b>", "EUR", "year", "price"),
    ] {
        let (code, body) = grace
            .call_json(
                "reclaim_set_price",
                &[
                    ("target", "store_app"),
                    ("id", &id),
                    ("amount", amount),
                    ("currency", currency),
                    ("period", period),
                ],
            )
            .await;
        assert_eq!(
            (code, body["Invalid"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{body}"
        );
    }
    let (code, _) = grace
        .call_json(
            "reclaim_set_price",
            &[
                ("target", "users"),
                ("id", &id),
                ("amount", "1"),
                ("currency", "EUR"),
                ("period", "year"),
            ],
        )
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    let (code, _) = grace
        .call_json(
            "reclaim_set_price",
            &[
                ("target", "store_app"),
                ("id", "999999"),
                ("amount", "1"),
                ("currency", "EUR"),
                ("period", "year"),
            ],
        )
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let licenses = app.admin_with_role(&grace, "lia", "license_admin").await;
    let (code, _) = licenses
        .call_json(
            "reclaim_set_price",
            &[
                ("target", "agreement"),
                ("id", &w.agreement.to_string()),
                ("amount", "3"),
                ("currency", "USD"),
                ("period", "month"),
            ],
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    let billing = app.admin_with_role(&grace, "bill", "billing_admin").await;
    let (code, _) = billing
        .call_json(
            "reclaim_set_price",
            &[
                ("target", "store_app"),
                ("id", &id),
                ("amount", "3"),
                ("currency", "USD"),
                ("period", "month"),
            ],
        )
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, p) = grace
        .call_json("reclaim_app_pricing", &[("app_id", &id)])
        .await;
    assert_eq!(
        (code, p["price"].clone(), p["custom"].clone()),
        (StatusCode::OK, Value::Null, Value::Bool(false))
    );

    // Threshold: 5 of 10 available is low by default (at most 5 left); not with 0 % or 2.
    let alerts = Alerts::new(app.db().clone(), app.services.clock.clone());
    let low = |app: &TestApp| {
        let pool = app.db().pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM alerts WHERE rule = 'app_low' AND closed_at IS NULL",
            )
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    alerts.evaluate().await.unwrap();
    assert_eq!(low(&app).await, 1);
    let (code, body) = grace
        .call_json(
            "reclaim_set_threshold",
            &[("app_id", &id), ("low_percent", "101"), ("low_count", "1")],
        )
        .await;
    assert_eq!(
        (code, body["Invalid"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("low_percent"))
    );
    let (code, _) = grace
        .call_json(
            "reclaim_set_threshold",
            &[("app_id", &id), ("low_percent", "0"), ("low_count", "2")],
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    alerts.evaluate().await.unwrap();
    assert_eq!(low(&app).await, 0, "closed under the app's own threshold");
    let (_, p) = grace
        .call_json("reclaim_app_pricing", &[("app_id", &id)])
        .await;
    assert_eq!(
        (p["low"]["count"].as_i64(), p["custom"].as_bool()),
        (Some(2), Some(true))
    );
    // Both empty: the defaults again, and the alert reopens.
    let (code, _) = grace
        .call_json(
            "reclaim_set_threshold",
            &[("app_id", &id), ("low_percent", ""), ("low_count", "")],
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    alerts.evaluate().await.unwrap();
    assert_eq!(low(&app).await, 1);
    assert_eq!(
        billing
            .call_json(
                "reclaim_set_threshold",
                &[("app_id", &id), ("low_percent", "1"), ("low_count", "1")]
            )
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let thresholds = app
        .audit_actions()
        .await
        .iter()
        .filter(|a| *a == "store_app.threshold_set")
        .count();
    assert_eq!(thresholds, 2);
}
