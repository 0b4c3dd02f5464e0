//! Refresh now against the simulated volume licensing service (SPEC L-3), including its faults,
//! on SQLite and PostgreSQL: a failed refresh changes nothing.

use crate::common::{Client, TestApp};
use licensedesk::licensing::{Connector, Faults, MAX_ATTEMPTS, spawn_simulator};
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

async fn app_with_simulator() -> (TestApp, Arc<Faults>) {
    let faults = Arc::new(Faults::default());
    faults.fail_status.store(503, Ordering::SeqCst);
    faults.retry_after_secs.store(1, Ordering::SeqCst);
    let url = spawn_simulator("127.0.0.1:0".parse().unwrap(), faults.clone())
        .await
        .unwrap();
    let app = TestApp::spawn_with(move |state| {
        let mut connector = Connector::new(&url, Duration::from_secs(5));
        connector.max_retry_wait = Duration::from_millis(20);
        state.with_licensing(connector)
    })
    .await;
    (app, faults)
}

async fn add_agreement(c: &Client, name: &str, sets: &[(&str, &str)]) {
    let mut form = vec![
        ("name".to_string(), name.to_string()),
        ("group".to_string(), "unassigned".to_string()),
    ];
    for (i, (a, b)) in sets.iter().enumerate() {
        form.push((format!("firsts[{i}]"), a.to_string()));
        form.push((format!("seconds[{i}]"), b.to_string()));
    }
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (code, body) = c.call_json("agreements_add_volume", &form).await;
    assert_eq!(code, StatusCode::OK, "{body}");
}

async fn statuses(c: &Client) -> Vec<String> {
    let (_, list) = c.call_json("agreements_list", &[]).await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| {
            a["sets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["status"].as_str().unwrap().to_string())
        })
        .collect()
}

async fn entitlements(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM agreement_entitlements")
        .fetch_one(&app.db().pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn refresh_validates_sets_and_counts_entitlements() {
    let (app, faults) = app_with_simulator().await;
    let grace = app.setup().await;
    add_agreement(
        &grace,
        "EA 2026",
        &[("V1234567", "V1234567"), ("99990001", "12345678")],
    )
    .await;
    let (_, status) = grace.call_json("licenses_refresh_status", &[]).await;
    assert_eq!(
        (status["stale"].as_bool(), status["refreshed_at"].clone()),
        (Some(true), Value::Null)
    );

    let (code, report) = grace.call_json("licenses_refresh", &[]).await;
    assert_eq!(code, StatusCode::OK, "{report}");
    assert_eq!(
        (
            report["sets"].as_i64(),
            report["valid"].as_i64(),
            report["invalid"].as_i64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(statuses(&grace).await, ["Valid", "Invalid"]);
    assert!(report["products"].as_i64().unwrap() >= 1);
    assert_eq!(
        faults.calls.load(Ordering::SeqCst),
        2,
        "one validate and one entitlements call"
    );

    // The entitlements count as licenses owned in the installation report.
    let (_, r) = grace.call_json("report_installation", &[]).await;
    let owned: i64 = r["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["owned"].as_i64().unwrap())
        .sum();
    assert!(owned >= 25, "{r}");

    // The purchase report lists the volume agreement's entitled products and quantities.
    let (_, p) = grace.call_json("report_purchase", &[]).await;
    let volume_lines: Vec<&Value> = p["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["agreement"] == "EA 2026")
        .collect();
    assert!(!volume_lines.is_empty());
    assert!(
        volume_lines
            .iter()
            .all(|l| l["publisher"] == "Microsoft" && l["licenses"].as_i64().unwrap() >= 25),
        "{p}"
    );

    let (_, status) = grace.call_json("licenses_refresh_status", &[]).await;
    assert_eq!(status["stale"], false);
    app.clock.advance(10);
    add_agreement(&grace, "Open 2026", &[("77777777", "E1234567")]).await;
    let (_, status) = grace.call_json("licenses_refresh_status", &[]).await;
    assert_eq!(
        status["stale"], true,
        "a change after the refresh makes the overview stale"
    );
    assert!(
        app.audit_actions()
            .await
            .iter()
            .any(|a| a == "licenses.refreshed")
    );
}

#[tokio::test]
async fn outages_are_retried_within_four_attempts() {
    let (app, faults) = app_with_simulator().await;
    let grace = app.setup().await;
    add_agreement(&grace, "EA", &[("V1234567", "V1234567")]).await;
    faults.fail_next.store(2, Ordering::SeqCst);
    let (code, body) = grace.call_json("licenses_refresh", &[]).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(
        faults.calls.load(Ordering::SeqCst),
        4,
        "two 503s, then validate and entitlements"
    );

    // "Too many requests" in a 200 body is retried too.
    faults.calls.store(0, Ordering::SeqCst);
    faults.fail_error.store(9646, Ordering::SeqCst);
    faults.fail_next.store(1, Ordering::SeqCst);
    let (code, _) = grace.call_json("licenses_refresh", &[]).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(faults.calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_failed_refresh_changes_nothing() {
    let (app, faults) = app_with_simulator().await;
    let grace = app.setup().await;
    add_agreement(&grace, "EA", &[("V1234567", "V1234567")]).await;

    // The service stays down: the refresh gives up after four attempts and says so.
    faults.fail_next.store(100, Ordering::SeqCst);
    let (code, body) = grace.call_json("licenses_refresh", &[]).await;
    assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(
        body["Unavailable"]
            .as_str()
            .unwrap()
            .contains("Nothing was changed"),
        "{body}"
    );
    assert_eq!(faults.calls.load(Ordering::SeqCst), MAX_ATTEMPTS);
    assert_eq!(statuses(&grace).await, ["Pending"]);
    assert_eq!(entitlements(&app).await, 0);

    // Validation succeeds but the entitlements call is refused (expired token, 9621):
    // still nothing is stored.
    faults.fail_next.store(0, Ordering::SeqCst);
    faults.calls.store(0, Ordering::SeqCst);
    faults.fail_error.store(9621, Ordering::SeqCst);
    faults.refuse_from_call.store(2, Ordering::SeqCst);
    let (code, body) = grace.call_json("licenses_refresh", &[]).await;
    assert!(body.to_string().contains("9621"), "{body}");
    assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(statuses(&grace).await, ["Pending"]);
    assert_eq!(entitlements(&app).await, 0);
    assert!(
        !app.audit_actions()
            .await
            .iter()
            .any(|a| a == "licenses.refreshed")
    );
}

#[tokio::test]
async fn without_a_licensing_service_refresh_explains_itself() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let (code, body) = grace.call_json("licenses_refresh", &[]).await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert!(body.to_string().contains("--licensing-url"));
    let reader = app.admin_with_role(&grace, "reader1", "reader").await;
    assert_eq!(
        reader.call("licenses_refresh", &[]).await.0,
        StatusCode::FORBIDDEN
    );
}
