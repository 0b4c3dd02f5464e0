//! Store area (SPEC S-1 … S-7) over real HTTP: the connectors against the store simulator with
//! every fault, linking and renewing tokens, sync reconciliation and failed runs, the sync lease
//! across two server processes, deployments (blocked as a whole, uninstall frees, group changes)
//! and the race for the last licenses. Runs on SQLite, and on PostgreSQL when
//! `LICENSEDESK_TEST_DATABASE` names a server.

use crate::common::*;
use licensedesk::store::Store;
use licensedesk::store::apple::{AppleClient, make_token};
use licensedesk::store::http::{Http, StoreError};
use licensedesk::store::microsoft::{MicrosoftClient, ProductKey};
use licensedesk::store::simulator::{StoreSim, spawn};
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

const ORG: &str = "Northwind Health";

fn fast_http(timeout: Duration) -> Http {
    Http {
        backoff: Duration::from_millis(10),
        max_retry_wait: Duration::from_secs(5),
        ..Http::new(timeout)
    }
}

fn year_from_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp() + 365 * 86_400
}

fn token(org: &str) -> String {
    make_token(
        &format!("tok-{:x}", rand::random::<u64>()),
        org,
        year_from_now(),
    )
}

async fn simulator(sim: StoreSim) -> (Arc<StoreSim>, String) {
    let sim = Arc::new(sim);
    let base = spawn("127.0.0.1:0".parse().unwrap(), sim.clone())
        .await
        .unwrap();
    (sim, base)
}

fn noop(_: u32, _: u32) {}

#[tokio::test]
async fn apple_connector_retries_within_the_bound_and_reports_every_fault() {
    let mut s = StoreSim::seeded(30, 40);
    s.page_size = 7;
    let (sim, base) = simulator(s).await;
    let file = token(ORG);
    let client = AppleClient::new(
        fast_http(Duration::from_secs(5)),
        &StoreSim::apple_url(&base),
        &file,
    );
    let calls = || sim.faults.calls.swap(0, Ordering::SeqCst);

    // Paging: 30 assets over 5 pages of 7.
    let assets = client.assets(&noop).await.unwrap();
    assert_eq!(assets.len(), 30);
    assert_eq!(calls(), 5, "one call per page");

    // 503 and 429 with Retry-After, then success.
    for status in [503u32, 429] {
        sim.faults.fail_status.store(status, Ordering::SeqCst);
        sim.faults.retry_after_secs.store(0, Ordering::SeqCst);
        sim.faults.fail_next.store(2, Ordering::SeqCst);
        let config = client.client_config().await.unwrap();
        assert_eq!(config.location_name, format!("{ORG} — Main location"));
        assert_eq!(calls(), 3, "two {status} answers, then the answer");
    }

    // HTTP 200 carrying error 9646 (too many requests) is not believed: retried.
    sim.faults.fail_error.store(9646, Ordering::SeqCst);
    sim.faults.fail_next.store(2, Ordering::SeqCst);
    client.client_config().await.unwrap();
    assert_eq!(calls(), 3);
    sim.faults.fail_error.store(0, Ordering::SeqCst);

    // The retry bound: a store that never recovers gets exactly 4 attempts.
    sim.faults.fail_status.store(503, Ordering::SeqCst);
    sim.faults.fail_next.store(100, Ordering::SeqCst);
    let err = client.client_config().await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Unavailable { attempts: 4, last } if last == "HTTP 503"),
        "{err:?}"
    );
    assert_eq!(calls(), 4, "never more than 4 attempts per call");
    sim.faults.fail_next.store(0, Ordering::SeqCst);

    // Retry-After is honoured (1 second asked for).
    sim.faults.retry_after_secs.store(1, Ordering::SeqCst);
    sim.faults.fail_next.store(1, Ordering::SeqCst);
    let started = Instant::now();
    client.client_config().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited as asked"
    );
    calls();

    // Expired and revoked tokens: no retry, a clear error.
    sim.tokens_expired.store(true, Ordering::SeqCst);
    assert_eq!(
        client.assets(&noop).await.unwrap_err(),
        StoreError::TokenExpired
    );
    assert_eq!(calls(), 1);
    sim.tokens_expired.store(false, Ordering::SeqCst);
    sim.tokens_revoked.store(true, Ordering::SeqCst);
    assert_eq!(
        client.assets(&noop).await.unwrap_err(),
        StoreError::TokenRevoked
    );
    assert_eq!(calls(), 1);
    sim.tokens_revoked.store(false, Ordering::SeqCst);

    // Slow answers: the time-out counts as a failed attempt, still at most 4.
    let impatient = AppleClient::new(
        fast_http(Duration::from_millis(150)),
        &StoreSim::apple_url(&base),
        &file,
    );
    sim.faults.delay_ms.store(400, Ordering::SeqCst);
    let err = impatient.client_config().await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Unavailable { attempts: 4, last } if last == "timed out"),
        "{err:?}"
    );
    assert_eq!(calls(), 4);
    sim.faults.delay_ms.store(0, Ordering::SeqCst);

    // Service-config limits are respected: 2,500 users go out as 3 calls of at most 1,000
    // (the simulator refuses a call over the limit), and creating 250 users as 3 calls of 100.
    let limits = client.service_config().await.unwrap().limits;
    assert_eq!(limits.max_client_user_ids, 1000);
    calls();
    let ids: Vec<String> = (0..250).map(|i| format!("u{i}")).collect();
    assert_eq!(client.create_users(&limits, &ids).await.unwrap().len(), 3);
    let paid = assets
        .iter()
        .find(|a| a.total_count > 2500 && a.total_count < app::domain::store::UNLIMITED);
    assert!(paid.is_none(), "seeded paid apps hold 5–60 licenses");
    let free = assets
        .iter()
        .find(|a| a.total_count == app::domain::store::UNLIMITED)
        .unwrap();
    let many: Vec<String> = (0..2500).map(|i| format!("u{i}")).collect();
    assert_eq!(client.create_users(&limits, &many).await.unwrap().len(), 25);
    calls();
    let events = client
        .associate(&limits, &free.adam_id, &free.pricing_param, &many, false)
        .await
        .unwrap();
    assert_eq!((events.len(), calls()), (3, 3));
    assert_eq!(
        sim.assigned_count(&free.adam_id),
        2500 + free.assigned_count
    );
    // Not enough licenses: as Apple does, the change is accepted as an event and its status
    // reports 9709 for the users beyond the licenses (after PENDING at first).
    let small = assets
        .iter()
        .find(|a| a.total_count < 100 && a.product_type == "App")
        .unwrap();
    let events = client
        .associate(
            &limits,
            &small.adam_id,
            &small.pricing_param,
            &many[..200],
            false,
        )
        .await
        .unwrap();
    let first = client.event_status(&events[0]).await.unwrap();
    assert!(first.is_pending(), "{first:?}");
    let status = client.event_status(&events[0]).await.unwrap();
    assert_eq!(status.event_status, "FAILED");
    assert_eq!(status.event_type, "ASSOCIATE");
    assert_eq!(status.failures.len(), 1);
    assert_eq!(status.failures[0].error_number, 9709);
    let free_licenses = (small.total_count - small.assigned_count) as usize;
    assert_eq!(
        status.failures[0].error_info.client_user_ids.len(),
        200 - free_licenses
    );
    assert_eq!(status.num_completed, free_licenses as i64);
    // An event Apple does not know: 9708, not retried.
    let err = client.event_status("no-such-event").await.unwrap_err();
    assert!(
        matches!(err, StoreError::Refused { number: 9708, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn microsoft_connector_pages_online_licenses_and_refuses_bad_credentials() {
    let (sim, base) = simulator(StoreSim::standard()).await;
    let http = fast_http(Duration::from_secs(5));
    let client = MicrosoftClient::new(http.clone(), &base, "tenant", "good-secret", "nl-nl");
    let pages = std::sync::Mutex::new(0);
    let items = client
        .inventory(&|p, _| *pages.lock().unwrap() = p)
        .await
        .unwrap();
    assert_eq!(items.len(), 50, "60 products, 10 of them offline-licensed");
    assert!(items.iter().all(|i| i.license_type == "online"));
    assert_eq!(
        *pages.lock().unwrap(),
        1,
        "50 online items fit one page of 100"
    );
    assert!(items[0].product_title.ends_with("(NL)"), "display language");
    sim.faults.fail_next.store(1, Ordering::SeqCst);
    sim.faults.retry_after_secs.store(0, Ordering::SeqCst);
    assert_eq!(client.inventory(&noop).await.unwrap().len(), 50);
    let wrong = MicrosoftClient::new(http.clone(), &base, "tenant", "wrong-secret", "en-us");
    assert!(matches!(
        wrong.inventory(&noop).await.unwrap_err(),
        StoreError::Unauthorized(_)
    ));
    let online = &items[0].product_key;
    client.seat(online, "ada@example.com", false).await.unwrap();
    let offline = ProductKey {
        product_id: "9WZDNCRF1005".into(),
        sku_id: "0016".into(),
    };
    let err = client
        .seat(&offline, "ada@example.com", false)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Refused { number: 409, .. }),
        "{err:?}"
    );
    client.seat(online, "ada@example.com", true).await.unwrap();
}

/// A test app whose store service talks to an in-process simulator.
pub(crate) async fn store_app(sim: StoreSim) -> (TestApp, Arc<StoreSim>, Arc<Store>) {
    let (sim, base) = simulator(sim).await;
    let mut holder = None;
    let app = TestApp::spawn_with(|state| {
        let mut store = Store::new(
            state.services.db.clone(),
            state.services.clock.clone(),
            licensedesk::secrets::SecretBox::new(licensedesk::secrets::SecretBox::generate_key()),
        );
        store.apple_url = StoreSim::apple_url(&base);
        store.microsoft_url = Some(base.clone());
        store.http = fast_http(Duration::from_secs(5));
        store.event_poll_waits = vec![Duration::from_millis(20); 6];
        let state = state.with_store(store);
        holder = Some(state.store.clone());
        state
    })
    .await;
    (app, sim, holder.unwrap())
}

pub(crate) async fn wait_idle(app: &TestApp) {
    for _ in 0..200 {
        let running: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM store_sync_runs WHERE result = 'running'")
                .fetch_one(&app.db().pool)
                .await
                .unwrap();
        if running == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("a sync did not finish");
}

fn invalid_field(body: &Value) -> &str {
    body["Invalid"]["field"].as_str().unwrap_or("")
}

async fn link(c: &Client, file: &str, confirmed: bool) -> (StatusCode, Value) {
    let mut form = vec![
        ("form[name]", "Head office"),
        ("form[apple_id]", "it@northwind.example"),
        ("form[token_file]", file),
    ];
    form.push(("form[confirmed]", if confirmed { "true" } else { "false" }));
    c.call_json("store_link_apple", &form).await
}

async fn app_rows(app: &TestApp) -> Vec<(String, String, i64, i64, i64)> {
    sqlx::query_as(
        "SELECT product_id, name, total_count, used, retired FROM store_apps ORDER BY product_id",
    )
    .fetch_all(&app.db().pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn linking_syncing_reconciling_and_failed_runs() {
    let (app, sim, _store) = store_app(StoreSim::seeded(40, 60)).await;
    let grace = app.setup().await;
    let file = token(ORG);

    // Bad input names the field and stores nothing.
    let (code, body) = link(&grace, &file, false).await;
    assert_eq!(
        (code, invalid_field(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "confirmed"),
        "{body}"
    );
    let (code, body) = link(&grace, "not a token", true).await;
    assert_eq!(
        (code, invalid_field(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "token_file"),
        "{body}"
    );
    let expired = make_token("t", ORG, 1_600_000_000);
    let (_, body) = link(&grace, &expired, true).await;
    assert!(body.to_string().contains("expired on 2020-09-13"), "{body}");
    let (_, body) = grace
        .call_json(
            "store_link_apple",
            &[
                ("form[name]", "X"),
                ("form[apple_id]", "not-an-email"),
                ("form[token_file]", &file),
                ("form[confirmed]", "true"),
            ],
        )
        .await;
    assert_eq!(invalid_field(&body), "apple_id");
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM store_connections")
        .fetch_one(&app.db().pool)
        .await
        .unwrap();
    assert_eq!(count, 0);
    // A Reader may look but not link.
    let reader = app.admin_with_role(&grace, "rita", "reader").await;
    assert_eq!(link(&reader, &file, true).await.0, StatusCode::FORBIDDEN);

    // Link: the first sync starts by itself and imports the apps (not the books).
    let (code, id) = link(&grace, &file, true).await;
    assert_eq!(code, StatusCode::OK, "{id}");
    let conn_id = id.as_i64().unwrap();
    wait_idle(&app).await;
    let apps = app_rows(&app).await;
    assert_eq!(apps.len(), 39, "40 assets, one of them a book");
    let stored: String = sqlx::query_scalar("SELECT secret_enc FROM store_connections")
        .fetch_one(&app.db().pool)
        .await
        .unwrap();
    assert!(
        stored.starts_with("v1:") && !stored.contains(&file),
        "the token is encrypted at rest"
    );
    assert!(
        sim.claims
            .lock()
            .unwrap()
            .values()
            .all(|m| m.name == "LicenseDesk"),
        "claimed via mdmInfo"
    );
    let (_, list) = grace.call_json("store_connections", &[]).await;
    assert_eq!(list[0]["org_name"], ORG);
    assert_eq!(list[0]["status"], "Valid");
    assert_eq!(list[0]["apps"], 39);

    // A token of another organization is refused; a renewed token of the same one keeps data.
    let (code, body) = link(&grace, &token("Fabrikam Clinics"), true).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.to_string().contains("cannot switch to a"), "{body}");
    let (code, again) = link(&grace, &token(ORG), false).await;
    assert_eq!(
        (code, again.as_i64()),
        (StatusCode::OK, Some(conn_id)),
        "renewal needs no new confirmation"
    );
    assert_eq!(app_rows(&app).await.len(), 39);

    // Reconcile: one app changes its total, one disappears, one is new.
    {
        let mut assets = sim.assets.write().unwrap();
        assets[0].total += 10;
        let gone = assets.remove(1);
        let mut new = gone.clone();
        new.adam_id = "999000111".into();
        new.name = "Brand New App".into();
        assets.push(new);
        sim.assignments
            .write()
            .unwrap()
            .retain(|a| a.adam_id != gone.adam_id);
    }
    let before = app_rows(&app).await;
    let (code, run) = grace
        .call_json("store_sync_now", &[("connection_id", &conn_id.to_string())])
        .await;
    assert_eq!(code, StatusCode::OK, "{run}");
    wait_idle(&app).await;
    let (_, runs) = grace.call_json("store_sync_runs", &[]).await;
    let last = &runs["items"][0];
    assert_eq!(last["result"], "succeeded", "{last}");
    assert_eq!(
        (
            last["added"].as_i64(),
            last["updated"].as_i64(),
            last["retired"].as_i64()
        ),
        (Some(1), Some(1), Some(1)),
        "{last}"
    );
    let after = app_rows(&app).await;
    assert_eq!(after.len(), 40, "retired apps are kept");
    assert_eq!(after.iter().filter(|a| a.4 == 1).count(), 1);
    assert!(after.iter().any(|a| a.1 == "Brand New App"));
    assert_ne!(before, after);

    // A failed run changes nothing and says why.
    {
        let mut assets = sim.assets.write().unwrap();
        assets[0].total += 5;
        assets.pop();
    }
    sim.faults.fail_status.store(503, Ordering::SeqCst);
    sim.faults.retry_after_secs.store(0, Ordering::SeqCst);
    sim.faults.refuse_from_call.store(0, Ordering::SeqCst);
    sim.faults.calls.store(0, Ordering::SeqCst);
    // The third call (the asset page after client config) fails for good.
    sim.faults.refuse_from_call.store(2, Ordering::SeqCst);
    sim.faults.fail_error.store(9603, Ordering::SeqCst);
    let snapshot = app_rows(&app).await;
    grace
        .call_json("store_sync_now", &[("connection_id", &conn_id.to_string())])
        .await;
    wait_idle(&app).await;
    assert_eq!(app_rows(&app).await, snapshot, "nothing changed");
    let (_, runs) = grace.call_json("store_sync_runs", &[]).await;
    let last = &runs["items"][0];
    assert_eq!(last["result"], "failed");
    assert!(
        last["error"].as_str().unwrap().contains("after 4 attempts"),
        "{last}"
    );
    sim.faults.refuse_from_call.store(0, Ordering::SeqCst);
    sim.faults.fail_error.store(0, Ordering::SeqCst);

    // A revoked token fails the run, marks the connection, and blocks Sync now.
    sim.tokens_revoked.store(true, Ordering::SeqCst);
    grace
        .call_json("store_sync_now", &[("connection_id", &conn_id.to_string())])
        .await;
    wait_idle(&app).await;
    let (_, list) = grace.call_json("store_connections", &[]).await;
    assert_eq!(list[0]["status"], "Revoked", "{list}");
    let (code, body) = grace
        .call_json("store_sync_now", &[("connection_id", &conn_id.to_string())])
        .await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert!(body.to_string().contains("revoked"), "{body}");
    sim.tokens_revoked.store(false, Ordering::SeqCst);
    // Renewing the token makes it valid again.
    assert_eq!(link(&grace, &token(ORG), false).await.0, StatusCode::OK);

    // Removing needs the typed name and keeps the history.
    let (code, body) = grace
        .call_json(
            "store_remove_connection",
            &[
                ("connection_id", &conn_id.to_string()),
                ("confirmation", "head office"),
            ],
        )
        .await;
    assert_eq!(
        (code, invalid_field(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "confirmation")
    );
    let (code, _) = grace
        .call_json(
            "store_remove_connection",
            &[
                ("connection_id", &conn_id.to_string()),
                ("confirmation", "Head office"),
            ],
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    let (_, list) = grace.call_json("store_connections", &[]).await;
    assert_eq!(list.as_array().unwrap().len(), 0);
    let (_, runs) = grace.call_json("store_sync_runs", &[]).await;
    assert!(runs["total"].as_i64().unwrap() >= 4, "history kept");
    let actions = app.audit_actions().await;
    for a in [
        "store.linked",
        "store.token_renewed",
        "store.synced",
        "store.removed",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} audited");
    }
}

/// Inserts `n` users and returns their ids.
pub(crate) async fn users(app: &TestApp, prefix: &str, n: usize) -> Vec<i64> {
    let mut ids = vec![];
    for i in 0..n {
        let name = format!("{prefix} {i:04}");
        let sign_in = format!("{prefix}{i:04}@northwind.example")
            .to_lowercase()
            .replace(' ', "");
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO dir_users (display_name, display_key, sign_in_name, sign_in_key, search_text, created_at, updated_at) \
             VALUES ($1, $2, $3, $3, $4, 0, 0) RETURNING id",
        )
        .bind(&name)
        .bind(name.to_lowercase())
        .bind(&sign_in)
        .bind(format!("{} {sign_in}", name.to_lowercase()))
        .fetch_one(&app.db().pool)
        .await
        .unwrap();
        ids.push(id);
    }
    ids
}

pub(crate) async fn group(app: &TestApp, name: &str, members: &[i64]) -> i64 {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO dir_groups (name, name_key, created_at, updated_at) VALUES ($1, $2, 0, 0) RETURNING id",
    )
    .bind(name)
    .bind(name.to_lowercase())
    .fetch_one(&app.db().pool)
    .await
    .unwrap();
    for m in members {
        sqlx::query("INSERT INTO dir_group_members (group_id, user_id) VALUES ($1, $2)")
            .bind(id)
            .bind(m)
            .execute(&app.db().pool)
            .await
            .unwrap();
    }
    id
}

/// Links the simulator and returns a paid app's id with its total set to `total`.
pub(crate) async fn linked_app_with(app: &TestApp, grace: &Client, total: i64) -> i64 {
    assert_eq!(link(grace, &token(ORG), true).await.0, StatusCode::OK);
    wait_idle(app).await;
    let id: i64 = sqlx::query_scalar(
        "SELECT id FROM store_apps WHERE total_count < 1000 AND retired = 0 ORDER BY id LIMIT 1",
    )
    .fetch_one(&app.db().pool)
    .await
    .unwrap();
    sqlx::query("UPDATE store_apps SET total_count = $1 WHERE id = $2")
        .bind(total)
        .bind(id)
        .execute(&app.db().pool)
        .await
        .unwrap();
    id
}

pub(crate) async fn used(app: &TestApp, app_id: i64) -> (i64, i64) {
    let used: i64 = sqlx::query_scalar("SELECT used FROM store_apps WHERE id = $1")
        .bind(app_id)
        .fetch_one(&app.db().pool)
        .await
        .unwrap();
    let holders: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM store_licenses WHERE app_id = $1")
        .bind(app_id)
        .fetch_one(&app.db().pool)
        .await
        .unwrap();
    (used, holders)
}

pub(crate) async fn deploy(
    c: &Client,
    app_id: i64,
    intent: &str,
    targets: &str,
) -> (StatusCode, Value) {
    c.call_json(
        "store_deploy",
        &[
            ("app_id", &app_id.to_string()),
            ("intent", intent),
            ("targets", targets),
        ],
    )
    .await
}

#[tokio::test]
async fn deployments_are_blocked_as_a_whole_and_follow_groups_and_uninstall() {
    let (app, _sim, _store) = store_app(StoreSim::seeded(20, 0)).await;
    let grace = app.setup().await;
    let app_id = linked_app_with(&app, &grace, 5).await;
    let people = users(&app, "Nurse", 9).await;
    let ward = group(&app, "Ward 7", &people[..7]).await;
    let small = group(&app, "Night shift", &people[..4]).await;

    // 7 users for 5 licenses: blocked as a whole, with the count and the three ways out.
    let (code, body) = deploy(&grace, app_id, "required", &format!("group:{ward}")).await;
    assert_eq!(code, StatusCode::CONFLICT, "{body}");
    let msg = body.to_string();
    assert!(msg.contains("2 missing"), "{msg}");
    assert!(
        msg.contains("remove the app from some devices")
            && msg.contains("narrow the deployment's scope")
            && msg.contains("buy 2 more in the store"),
        "{msg}"
    );
    assert_eq!(used(&app, app_id).await, (0, 0));
    let deployments: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM store_deployments")
        .fetch_one(&app.db().pool)
        .await
        .unwrap();
    assert_eq!(deployments, 0, "nothing partially applied");

    // Narrow the scope: the smaller group fits.
    let (code, body) = deploy(&grace, app_id, "required", &format!("group:{small}")).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["granted"], 4);
    assert_eq!(used(&app, app_id).await, (4, 4));
    // A user already reached through the group takes no second license.
    let (code, body) = deploy(&grace, app_id, "available", &format!("user:{}", people[0])).await;
    assert_eq!((code, body["granted"].as_i64()), (StatusCode::OK, Some(0)));
    // Intent is validated.
    let (code, body) = deploy(&grace, app_id, "install", &format!("user:{}", people[5])).await;
    assert_eq!(
        (code, invalid_field(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "intent")
    );

    // Group membership: a new member consumes; past the total the change is refused.
    let add = |ids: &[i64]| {
        let ids = ids
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        (ids, small)
    };
    let (ids, g) = add(&people[4..5]);
    let (code, body) = grace
        .call_json(
            "groups_members",
            &[
                ("group_id", &g.to_string()),
                ("user_ids", &ids),
                ("add", "true"),
            ],
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(used(&app, app_id).await, (5, 5));
    let (ids, g) = add(&people[5..6]);
    let (code, body) = grace
        .call_json(
            "groups_members",
            &[
                ("group_id", &g.to_string()),
                ("user_ids", &ids),
                ("add", "true"),
            ],
        )
        .await;
    assert_eq!(code, StatusCode::CONFLICT, "{body}");
    assert!(body.to_string().contains("1 missing"), "{body}");
    let members: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM dir_group_members WHERE group_id = $1")
            .bind(small)
            .fetch_one(&app.db().pool)
            .await
            .unwrap();
    assert_eq!(members, 5, "the member was not added");
    // A removed member frees their license (people[0] keeps one through the direct deployment).
    let (ids, g) = add(&people[1..2]);
    let (code, _) = grace
        .call_json(
            "groups_members",
            &[
                ("group_id", &g.to_string()),
                ("user_ids", &ids),
                ("add", "false"),
            ],
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(used(&app, app_id).await, (4, 4));
    // A holder cannot be deleted from the directory while holding the license.
    let (code, body) = grace
        .call_json("users_delete", &[("id", &people[2].to_string())])
        .await;
    assert_eq!(code, StatusCode::CONFLICT, "{body}");

    // Uninstall frees the licenses and marks the installs.
    let (_, detail) = grace
        .call_json("store_app", &[("id", &app_id.to_string())])
        .await;
    let group_deployment = detail["deployments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["target_kind"] == "Group")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    assert_eq!(detail["holders"].as_array().unwrap().len(), 4);
    assert_eq!(
        detail["holders"][0]["invitation"], "registered",
        "Apple users start invited"
    );
    let (code, body) = grace
        .call_json(
            "store_change_intent",
            &[
                ("deployment_id", &group_deployment.to_string()),
                ("intent", "uninstall"),
            ],
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["freed"], 3);
    assert_eq!(
        used(&app, app_id).await,
        (1, 1),
        "only the direct deployment is left"
    );
    let (_, installs) = grace
        .call_json(
            "store_installs",
            &[("app_id", &app_id.to_string()), ("status", "uninstalled")],
        )
        .await;
    // The member removed earlier (Nurse 0001) and the three the Uninstall freed.
    assert_eq!(installs.as_array().unwrap().len(), 4, "{installs}");
    let (code, body) = grace
        .call_json(
            "store_installs",
            &[("app_id", &app_id.to_string()), ("status", "gone")],
        )
        .await;
    assert_eq!(
        (code, invalid_field(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "status")
    );

    // Now the bigger group fits again? 7 users, 1 held by people[0]: needs 6 more, 4 free.
    let (code, body) = deploy(&grace, app_id, "required", &format!("group:{ward}")).await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert!(body.to_string().contains("2 missing"), "{body}");
    // Removing the last deployment frees everything; deleting a deployed group frees too.
    let (code, _) = grace
        .call_json(
            "store_remove_deployment",
            &[("deployment_id", &group_deployment.to_string())],
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    let (code, _) = deploy(&grace, app_id, "available", &format!("group:{small}")).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(used(&app, app_id).await.0, 4);
    let (code, body) = grace
        .call_json("groups_delete", &[("id", &small.to_string())])
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(used(&app, app_id).await, (1, 1));

    // A device deployment goes to the user who enrolled it; a device without one is refused.
    let device: i64 = sqlx::query_scalar(
        "INSERT INTO dir_devices (name, name_key, platform, primary_user_id, created_at, updated_at) VALUES ('IPAD-7', 'ipad-7', 'ios', $1, 0, 0) RETURNING id",
    )
    .bind(people[8])
    .fetch_one(&app.db().pool)
    .await
    .unwrap();
    let orphan: i64 = sqlx::query_scalar(
        "INSERT INTO dir_devices (name, name_key, platform, created_at, updated_at) VALUES ('IPAD-8', 'ipad-8', 'ios', 0, 0) RETURNING id",
    )
    .fetch_one(&app.db().pool)
    .await
    .unwrap();
    let (code, body) = deploy(&grace, app_id, "required", &format!("device:{orphan}")).await;
    assert_eq!(
        (code, invalid_field(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "targets"),
        "{body}"
    );
    let (code, _) = deploy(&grace, app_id, "required", &format!("device:{device}")).await;
    assert_eq!(code, StatusCode::OK);
    let (_, installs) = grace
        .call_json(
            "store_installs",
            &[("app_id", &app_id.to_string()), ("q", "ipad-7")],
        )
        .await;
    assert_eq!(installs[0]["device_name"], "IPAD-7", "{installs}");
    assert_eq!(installs[0]["status"], "pending");

    // Store apps cannot be added by hand: there is no endpoint for it, and License admins may
    // deploy while Readers may not.
    let reader = app.admin_with_role(&grace, "rita", "reader").await;
    assert_eq!(
        deploy(&reader, app_id, "required", &format!("user:{}", people[3]))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn concurrent_deployments_never_oversell_the_last_licenses() {
    let (app, _sim, _store) = store_app(StoreSim::seeded(20, 0)).await;
    let grace = app.setup().await;
    let app_id = linked_app_with(&app, &grace, 10).await;
    let people = users(&app, "Racer", 40).await;
    let grace = Arc::new(grace);
    let mut tasks = vec![];
    for user in people {
        let c = grace.clone();
        tasks.push(tokio::spawn(async move {
            deploy(&c, app_id, "required", &format!("user:{user}"))
                .await
                .0
        }));
    }
    let mut granted = 0;
    let mut refused = 0;
    let mut errors = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::OK => granted += 1,
            StatusCode::CONFLICT => refused += 1,
            _ => errors += 1,
        }
    }
    assert_eq!((granted, refused, errors), (10, 30, 0));
    assert_eq!(used(&app, app_id).await, (10, 10));
}

#[tokio::test]
async fn one_sync_per_connection_across_two_server_processes() {
    // Two real `licensedesk` processes on one database, sharing the secret key.
    let (sim, base) = simulator(StoreSim::seeded(30, 10)).await;
    let db_url = if on_postgres() {
        let admin = std::env::var("LICENSEDESK_TEST_DATABASE").unwrap();
        let name = format!("ld_test_{:016x}", rand::random::<u64>());
        sqlx::any::install_default_drivers();
        use sqlx::Connection;
        let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .unwrap();
        let mut u = url::Url::parse(&admin).unwrap();
        u.set_path(&format!("/{name}"));
        u.to_string()
    } else {
        let dir = std::env::temp_dir().join(format!("ld-lease-{:016x}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        format!("sqlite://{}", dir.join("ld.db").display())
    };
    let bin = env!("CARGO_BIN_EXE_licensedesk");
    let status = std::process::Command::new(bin)
        .args([
            "create-admin",
            "--database-url",
            &db_url,
            "--username",
            "ops",
            "--display-name",
            "Ops",
            "--password",
            PASSWORD,
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let key = "q3N2c0dVZ2x0b0R3c1F5R2d6b0dVZ2x0b0R3c1F5R2c=";
    let mut servers = vec![];
    let mut bases = vec![];
    for _ in 0..2 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new(bin)
            .args([
                "serve",
                "--database-url",
                &db_url,
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--apple-store-url",
                &StoreSim::apple_url(&base),
                "--secret-key",
                key,
            ])
            .env("LICENSEDESK_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        servers.push(KillOnDrop(child));
        bases.push(format!("http://127.0.0.1:{port}"));
    }
    let mut clients = vec![];
    for b in &bases {
        let c = Client {
            base: b.clone(),
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        };
        let mut ready = false;
        for _ in 0..100 {
            if reqwest::get(format!("{b}/healthz")).await.is_ok() {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "server at {b} did not start");
        let (code, body) = c.sign_in("ops", PASSWORD).await;
        assert!(code.is_success() || code.is_redirection(), "{body}");
        clients.push(c);
    }
    let (code, id) = link(&clients[0], &token(ORG), true).await;
    assert_eq!(code, StatusCode::OK, "{id}");
    let conn_id = id.as_i64().unwrap().to_string();
    // Let the first sync (started by linking) finish, then make the store slow.
    let mut idle = false;
    for _ in 0..200 {
        let (_, runs) = clients[1].call_json("store_sync_runs", &[]).await;
        if runs["items"][0]["result"] != "running" && runs["total"] == 1 {
            idle = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(idle);
    sim.faults.delay_ms.store(400, Ordering::SeqCst);
    let form = [("connection_id", conn_id.as_str())];
    let (a, b) = tokio::join!(
        clients[0].call_json("store_sync_now", &form),
        clients[1].call_json("store_sync_now", &form)
    );
    let mut codes = [a.0, b.0];
    codes.sort();
    assert_eq!(codes, [StatusCode::OK, StatusCode::CONFLICT], "{a:?} {b:?}");
    let refused = if a.0 == StatusCode::CONFLICT {
        &a.1
    } else {
        &b.1
    };
    assert!(refused.to_string().contains("already running"), "{refused}");
    // The process that did not run it sees the run going (shared database), then its end.
    let mut finished = false;
    for _ in 0..200 {
        let (_, runs) = clients[1].call_json("store_sync_runs", &[]).await;
        if runs["total"] == 2 && runs["items"][0]["result"] == "succeeded" {
            finished = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(finished, "the one run finished");
    // Once it is over, either process may run the next.
    sim.faults.delay_ms.store(0, Ordering::SeqCst);
    let (code, body) = clients[1].call_json("store_sync_now", &form).await;
    assert_eq!(code, StatusCode::OK, "{body}");
}

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn demo_store_links_syncs_deploys_and_delivers_within_the_licenses_owned() {
    let sim = StoreSim::standard();
    sim.auto_accept.store(true, Ordering::SeqCst);
    let (app, sim, store) = store_app(sim).await;
    licensedesk::demo::seed(&app.services).await.unwrap();
    licensedesk::demo::store::seed(&store).await.unwrap();
    let db = &app.db().pool;
    let connections: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM store_connections")
        .fetch_one(db)
        .await
        .unwrap();
    assert_eq!(connections, 2, "Apple and Microsoft");
    let (apps, over): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN used > total_count THEN 1 ELSE 0 END), 0) FROM store_apps",
    )
    .fetch_one(db)
    .await
    .unwrap();
    assert!(apps > 300, "{apps} apps");
    assert_eq!(over, 0, "no app over its total");
    let invariant: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM store_apps a WHERE a.used <> (SELECT COUNT(*) FROM store_licenses l WHERE l.app_id = a.id)",
    )
    .fetch_one(db)
    .await
    .unwrap();
    assert_eq!(invariant, 0, "used = holders for every app");
    let statuses: Vec<(String, i64)> = sqlx::query_as(
        "SELECT status, COUNT(*) FROM store_installs GROUP BY status ORDER BY status",
    )
    .fetch_all(db)
    .await
    .unwrap();
    assert!(
        statuses.iter().any(|(s, n)| s == "installed" && *n > 0),
        "{statuses:?}"
    );
    assert!(
        statuses.iter().any(|(s, _)| s == "uninstalled"),
        "{statuses:?}"
    );
    let associated: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM store_users WHERE status = 'associated' AND invited = 1",
    )
    .fetch_one(db)
    .await
    .unwrap();
    assert!(associated > 0, "holders were invited and accepted");
    // The simulated store now holds the associations the portal delivered.
    let delivered = sim
        .assignments
        .read()
        .unwrap()
        .iter()
        .filter(|a| {
            a.client_user_id
                .as_deref()
                .is_some_and(|u| u.starts_with("ld-"))
        })
        .count();
    assert!(delivered > 0);
    // Seeding again changes nothing.
    licensedesk::demo::store::seed(&store).await.unwrap();
    let again: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM store_connections")
        .fetch_one(db)
        .await
        .unwrap();
    assert_eq!(again, 2);
}

#[tokio::test]
async fn delivery_invites_assigns_and_reclaims_in_the_store() {
    let sim = StoreSim::seeded(20, 0);
    sim.auto_accept.store(true, Ordering::SeqCst);
    let (app, sim, store) = store_app(sim).await;
    let grace = app.setup().await;
    let app_id = linked_app_with(&app, &grace, 10).await;
    let adam: String = sqlx::query_scalar("SELECT product_id FROM store_apps WHERE id = $1")
        .bind(app_id)
        .fetch_one(&app.db().pool)
        .await
        .unwrap();
    let people = users(&app, "Medic", 3).await;
    for (i, p) in people.iter().enumerate() {
        sqlx::query(
            "INSERT INTO dir_devices (name, name_key, platform, primary_user_id, created_at, updated_at) VALUES ($1, $2, 'ios', $3, 0, 0)",
        )
        .bind(format!("IPHONE-{i}"))
        .bind(format!("iphone-{i}"))
        .bind(p)
        .execute(&app.db().pool)
        .await
        .unwrap();
    }
    let team = group(&app, "Medics", &people).await;
    let (code, _) = deploy(&grace, app_id, "required", &format!("group:{team}")).await;
    assert_eq!(code, StatusCode::OK);
    let conn: i64 = sqlx::query_scalar("SELECT id FROM store_connections")
        .fetch_one(&app.db().pool)
        .await
        .unwrap();
    // Delivery also runs in the background after the deployment; either way the end state is
    // the same, so run it here too and look at the result.
    store.deliver(conn).await.unwrap();
    settle(|| sim.assigned_count(&adam) == 3).await;
    assert_eq!(sim.assigned_count(&adam), 3, "associated in the store");
    assert_eq!(
        sim.users.lock().unwrap().len(),
        3,
        "invited as program users"
    );
    // The associations are in the store before the portal has read their outcome back: when
    // the background delivery holds the connection's lease, it records the installs, a moment
    // later on a busy machine.
    let mut installed = 0;
    for _ in 0..250 {
        let (_, installs) = grace
            .call_json(
                "store_installs",
                &[("app_id", &app_id.to_string()), ("status", "installed")],
            )
            .await;
        installed = installs.as_array().map_or(0, Vec::len);
        if installed == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    assert_eq!(installed, 3);
    let (_, detail) = grace
        .call_json("store_app", &[("id", &app_id.to_string())])
        .await;
    assert_eq!(detail["holders"][0]["invitation"], "associated");
    // Uninstall: the portal frees at once, the store gets the licenses back on delivery.
    let dep = detail["deployments"][0]["id"].as_i64().unwrap().to_string();
    let (code, _) = grace
        .call_json(
            "store_change_intent",
            &[("deployment_id", &dep), ("intent", "uninstall")],
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    store.deliver(conn).await.unwrap();
    settle(|| sim.assigned_count(&adam) == 0).await;
    assert_eq!(sim.assigned_count(&adam), 0, "reclaimed in the store");
    assert_eq!(used(&app, app_id).await, (0, 0));
    // Nothing left to do: deliveries settle to changing nothing (a background delivery started
    // by the intent change may still be finishing on a loaded machine).
    let mut last = None;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        match store.deliver(conn).await {
            Ok(report) if report == Default::default() => {
                last = None;
                break;
            }
            other => last = Some(format!("{other:?}")),
        }
    }
    assert_eq!(last, None, "delivery never settled");
}

async fn settle(done: impl Fn() -> bool) {
    for _ in 0..100 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn automatic_sync_runs_twice_a_day_unless_turned_off() {
    let (app, _sim, store) = store_app(StoreSim::seeded(10, 0)).await;
    let grace = app.setup().await;
    assert_eq!(link(&grace, &token(ORG), true).await.0, StatusCode::OK);
    wait_idle(&app).await;
    let conn: i64 = sqlx::query_scalar("SELECT id FROM store_connections")
        .fetch_one(&app.db().pool)
        .await
        .unwrap();
    assert_eq!(
        store.sync_interval_secs,
        12 * 3600,
        "twice a day by default"
    );
    assert_eq!(store.run_due().await.unwrap(), 0, "just synced");
    app.clock.advance(12 * 3600 + 1);
    assert_eq!(store.run_due().await.unwrap(), 1, "due after twelve hours");
    assert_eq!(store.run_due().await.unwrap(), 0);
    let trigger: String =
        sqlx::query_scalar("SELECT trigger FROM store_sync_runs ORDER BY id DESC LIMIT 1")
            .fetch_one(&app.db().pool)
            .await
            .unwrap();
    assert_eq!(trigger, "schedule");
    // Configure sync: automatic off.
    let grace = app.client();
    grace.sign_in("grace", PASSWORD).await;
    let (code, _) = grace
        .call_json(
            "store_configure_sync",
            &[("connection_id", &conn.to_string()), ("auto_sync", "false")],
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    app.clock.advance(24 * 3600);
    assert_eq!(store.run_due().await.unwrap(), 0, "automatic sync is off");
}

#[tokio::test]
async fn sync_now_while_a_run_is_going_is_refused_in_the_same_process_too() {
    let (app, sim, _store) = store_app(StoreSim::seeded(10, 0)).await;
    let grace = app.setup().await;
    let (_, id) = link(&grace, &token(ORG), true).await;
    wait_idle(&app).await;
    let form = [("connection_id", id.to_string())];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    sim.faults.delay_ms.store(300, Ordering::SeqCst);
    let (first, _) = grace.call_json("store_sync_now", &form).await;
    let (second, body) = grace.call_json("store_sync_now", &form).await;
    assert_eq!(
        (first, second),
        (StatusCode::OK, StatusCode::CONFLICT),
        "{body}"
    );
    assert!(body.to_string().contains("already running"));
    // The connection page shows the run going, with its progress.
    let (_, list) = grace.call_json("store_connections", &[]).await;
    assert_eq!(list[0]["running"]["result"], "running", "{list}");
    sim.faults.delay_ms.store(0, Ordering::SeqCst);
    wait_idle(&app).await;
    // Finished runs hold no lease: the next Sync now starts at once.
    let (code, _) = grace.call_json("store_sync_now", &form).await;
    assert_eq!(code, StatusCode::OK);
    wait_idle(&app).await;
}

/// A sync cut off by a killed server (its run left "running", its lease held by a process that
/// is gone) is closed as interrupted when the next server starts, and Sync now works at once —
/// not after the lease would have run out. A lease of a live process elsewhere is respected
/// until it runs out.
#[tokio::test]
async fn a_killed_sync_is_closed_as_interrupted_and_sync_now_works_at_once() {
    let (app, _sim, store) = store_app(StoreSim::seeded(10, 0)).await;
    let grace = app.setup().await;
    let (_, id) = link(&grace, &token(ORG), true).await;
    let id = id.as_i64().unwrap();
    wait_idle(&app).await;
    let now = app.clock.now_for_tests();
    let me = store.owner.clone();
    let host = me.split(':').next().unwrap().to_string();
    let kill = |owner: String| {
        let app = &app;
        async move {
            sqlx::query(
                "UPDATE store_connections SET lease_owner = $1, lease_until = $2 WHERE id = $3",
            )
            .bind(owner)
            .bind(now + 25)
            .bind(id)
            .execute(&app.db().pool)
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO store_sync_runs (connection_id, trigger, started_by, started_at, result, progress) \
                 VALUES ($1, 'manual', 'grace', $2, 'running', 'Reading assignments')",
            )
            .bind(id)
            .bind(now)
            .execute(&app.db().pool)
            .await
            .unwrap();
        }
    };
    let form = [("connection_id", id.to_string())];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();

    // A process of this machine that no longer exists (an earlier incarnation with our pid).
    let pid = std::process::id();
    kill(format!("{host}:{pid}:00000000deadbeef")).await;
    assert_eq!(store.recover_interrupted().await.unwrap(), 1);
    let (_, runs) = grace
        .call_json("store_sync_runs", &[("connection_id", &id.to_string())])
        .await;
    let latest = &runs["items"][0];
    assert_eq!(latest["result"], "failed", "{runs}");
    assert!(
        latest["error"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Interrupted"),
        "{latest}"
    );
    assert!(
        app.audit_actions()
            .await
            .contains(&"store.sync_interrupted".to_string())
    );
    let (code, body) = grace.call_json("store_sync_now", &form).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    wait_idle(&app).await;

    // A process on another machine: alive until its lease runs out, then closed the same way.
    kill("elsewhere:4242:0123456789abcdef".to_string()).await;
    assert_eq!(store.recover_interrupted().await.unwrap(), 0);
    let (code, _) = grace.call_json("store_sync_now", &form).await;
    assert_eq!(code, StatusCode::CONFLICT);
    app.clock.advance(26);
    let (_, list) = grace.call_json("store_connections", &[]).await;
    assert!(list[0]["running"].is_null(), "{list}");
    let (code, body) = grace.call_json("store_sync_now", &form).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    wait_idle(&app).await;
}

/// The simulator's first paid app, given `total` licenses: its (adamId, pricingParam).
fn paid_app_with_total(sim: &StoreSim, total: i64) -> (String, String) {
    let mut assets = sim.assets.write().unwrap();
    let a = assets
        .iter_mut()
        .find(|a| a.total < 1000 && a.product_type == "App")
        .unwrap();
    a.total = total;
    (a.adam_id.clone(), a.pricing_param.clone())
}

/// Licenses the store reports as assigned to people this portal does not hold them for (another
/// console, a previous product) are not free: total 15 with 8 assigned outside leaves 7, the app
/// page says so, and an eighth user is refused instead of being accepted and then refused by
/// the store (9709). Our own holders, once in the store, are not counted twice.
#[tokio::test]
async fn licenses_assigned_outside_the_portal_are_not_available() {
    let sim = StoreSim::seeded(20, 0);
    let (adam_id, pricing) = paid_app_with_total(&sim, 15);
    {
        let mut assignments = sim.assignments.write().unwrap();
        for i in 0..8 {
            assignments.push(licensedesk::store::apple::Assignment {
                adam_id: adam_id.clone(),
                pricing_param: pricing.clone(),
                client_user_id: Some(format!("other-console-{i}")),
                serial_number: None,
            });
        }
    }
    let (app, sim, _store) = store_app(sim).await;
    let grace = app.setup().await;
    assert_eq!(link(&grace, &token(ORG), true).await.0, StatusCode::OK);
    wait_idle(&app).await;
    let app_id: i64 = sqlx::query_scalar("SELECT id FROM store_apps WHERE product_id = $1")
        .bind(&adam_id)
        .fetch_one(&app.db().pool)
        .await
        .unwrap();
    let (_, detail) = grace
        .call_json("store_app", &[("id", &app_id.to_string())])
        .await;
    assert_eq!(detail["app"]["total"], 15, "{detail}");
    assert_eq!(detail["app"]["outside"], 8, "{detail}");
    assert_eq!(detail["store_assigned"], 8);
    let page = grace
        .get(&format!("/store/apps/{app_id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("assigned outside LicenseDesk"),
        "the page shows it"
    );

    let people = users(&app, "Tech", 8).await;
    let seven = group(&app, "Seven", &people[..7]).await;
    let (code, body) = deploy(&grace, app_id, "required", &format!("user:{}", people[7])).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let (code, body) = deploy(&grace, app_id, "required", &format!("group:{seven}")).await;
    assert_eq!(code, StatusCode::CONFLICT, "8 of 7 free: {body}");
    assert!(body.to_string().contains("1 missing"), "{body}");
    assert_eq!(used(&app, app_id).await, (1, 1));

    // Once our holder is in the store (delivered), a sync does not count it as outside.
    sqlx::query("UPDATE store_users SET status = 'associated'")
        .execute(&app.db().pool)
        .await
        .unwrap();
    let client_id: String = sqlx::query_scalar("SELECT client_user_id FROM store_users LIMIT 1")
        .fetch_one(&app.db().pool)
        .await
        .unwrap();
    sim.assignments
        .write()
        .unwrap()
        .push(licensedesk::store::apple::Assignment {
            adam_id: adam_id.clone(),
            pricing_param: pricing.clone(),
            client_user_id: Some(client_id),
            serial_number: None,
        });
    let form = [("connection_id", "1".to_string())];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (code, body) = grace.call_json("store_sync_now", &form).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    wait_idle(&app).await;
    let outside: i64 = sqlx::query_scalar("SELECT outside_assigned FROM store_apps WHERE id = $1")
        .bind(app_id)
        .fetch_one(&app.db().pool)
        .await
        .unwrap();
    assert_eq!(outside, 8);
    let small = group(&app, "Six", &people[..6]).await;
    let (code, body) = deploy(&grace, app_id, "required", &format!("group:{small}")).await;
    assert_eq!(code, StatusCode::OK, "6 of 6 free: {body}");
    assert_eq!(used(&app, app_id).await, (7, 7));
}

/// Deployments while a large sync applies (the sync locks its connection without blocking
/// foreign-key checks and all its apps in id order; a deadlock that still happens is retried as
/// a whole): no deployment and no sync fails, on either database, and no license is oversold.
#[tokio::test]
async fn deployments_during_a_large_sync_never_fail_or_deadlock() {
    let sim = StoreSim::seeded(3_000, 2_000);
    let (adam_id, _) = paid_app_with_total(&sim, 1_000);
    let (app, sim, _store) = store_app(sim).await;
    let grace = app.setup().await;
    assert_eq!(link(&grace, &token(ORG), true).await.0, StatusCode::OK);
    wait_idle(&app).await;
    let app_id: i64 = sqlx::query_scalar("SELECT id FROM store_apps WHERE product_id = $1")
        .bind(&adam_id)
        .fetch_one(&app.db().pool)
        .await
        .unwrap();
    let people = users(&app, "Shift", 40).await;
    let form = [("connection_id", "1".to_string())];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    for round in 0..2 {
        sim.faults.delay_ms.store(0, Ordering::SeqCst);
        let (code, body) = grace.call_json("store_sync_now", &form).await;
        assert_eq!(code, StatusCode::OK, "{body}");
        let mut deploys = vec![];
        for (i, user) in people.iter().enumerate().skip(round * 20).take(20) {
            let (code, body) = deploy(&grace, app_id, "required", &format!("user:{user}")).await;
            deploys.push((i, code, body));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        wait_idle(&app).await;
        for (i, code, body) in &deploys {
            assert_eq!(*code, StatusCode::OK, "deployment {i}: {body}");
        }
        let (_, runs) = grace.call_json("store_sync_runs", &[]).await;
        assert_eq!(runs["items"][0]["result"], "succeeded", "{runs}");
    }
    let (used, holders) = used(&app, app_id).await;
    assert_eq!((used, holders), (40, 40));
}

/// Sync and delivery through Apple's protocol as Apple documents it (the simulator answers in
/// Apple's shapes, see `apple_contract`): names from the announced metadata lookup (a failed
/// lookup never fails a sync, the names follow later), a list that changes while it is paged,
/// Apple's platform values, an invalid token answered with HTTP 200 + 9622 refused as such at
/// linking, and an association that Apple reports FAILED (9709, no license left) for some users
/// — shown as failed on the app page, never as installed.
#[tokio::test]
async fn sync_and_delivery_follow_apples_protocol() {
    let mut sim = StoreSim::seeded(20, 0);
    sim.page_size = 7;
    sim.auto_accept.store(true, Ordering::SeqCst);
    sim.assets.write().unwrap()[1].platforms = vec!["visionOS".into(), "watchOS".into()];
    let (app, sim, store) = store_app(sim).await;
    let grace = app.setup().await;

    // 9622 with HTTP 200: Apple did not accept the token (not "try again later").
    let invalid = make_token("invalid-token", ORG, year_from_now());
    let (code, body) = link(&grace, &invalid, true).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(invalid_field(&body), "token_file");
    assert!(
        body.to_string().contains("Apple did not accept this token"),
        "{body}"
    );

    // The first sync: the lookup service is down, the sync still succeeds; names follow later.
    sim.lookup_down.store(true, Ordering::SeqCst);
    assert_eq!(link(&grace, &token(ORG), true).await.0, StatusCode::OK);
    wait_idle(&app).await;
    let (_, runs) = grace
        .call_json("store_sync_runs", &[("connection_id", "1")])
        .await;
    assert_eq!(runs["items"][0]["result"], "succeeded", "{runs}");
    let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM store_apps WHERE name_pending = 1")
        .fetch_one(&app.db().pool)
        .await
        .unwrap();
    assert_eq!(pending, 20, "every app waits for its name");
    let conn: i64 = sqlx::query_scalar("SELECT id FROM store_connections")
        .fetch_one(&app.db().pool)
        .await
        .unwrap();
    let form = [("connection_id", conn.to_string())];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();

    // The next sync names them, asking the lookup with the token as the itvt cookie; and the
    // list changes while it is read (an asset seen on two pages): read again, no duplicate.
    sim.lookup_down.store(false, Ordering::SeqCst);
    sim.version_shifts.store(1, Ordering::SeqCst);
    let (code, body) = grace.call_json("store_sync_now", &form).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    wait_idle(&app).await;
    let (_, runs) = grace
        .call_json("store_sync_runs", &[("connection_id", &conn.to_string())])
        .await;
    assert_eq!(runs["items"][0]["result"], "succeeded", "{runs}");
    assert!(sim.lookups_with_cookie.load(Ordering::SeqCst) >= 1);
    assert_eq!(
        sim.version_shifts.load(Ordering::SeqCst),
        0,
        "the changed read happened"
    );
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT product_id, name, platform, name_pending FROM store_apps ORDER BY product_id",
    )
    .fetch_all(&app.db().pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 20);
    let sim_assets = sim.assets.read().unwrap().clone();
    for (id, name, _, pending) in &rows {
        let a = sim_assets.iter().find(|a| &a.adam_id == id).unwrap();
        assert_eq!((name, *pending), (&a.name, 0));
    }
    let vision = rows.iter().find(|r| r.0 == sim_assets[1].adam_id).unwrap();
    assert_eq!(
        vision.2, "visionOS, watchOS",
        "Apple's platform values are kept"
    );

    // Delivery: Apple accepts the association as an event and reports, by its status, that
    // two of three users got no license (someone else took the store's licenses meanwhile).
    let paid = sim_assets
        .iter()
        .find(|a| a.product_type == "App" && a.total < 100)
        .unwrap()
        .clone();
    let app_id: i64 = sqlx::query_scalar("SELECT id FROM store_apps WHERE product_id = $1")
        .bind(&paid.adam_id)
        .fetch_one(&app.db().pool)
        .await
        .unwrap();
    let people = users(&app, "Surgeon", 3).await;
    for (i, p) in people.iter().enumerate() {
        sqlx::query(
            "INSERT INTO dir_devices (name, name_key, platform, primary_user_id, created_at, updated_at) VALUES ($1, $2, 'ios', $3, 0, 0)",
        )
        .bind(format!("IPAD-{i}"))
        .bind(format!("ipad-{i}"))
        .bind(p)
        .execute(&app.db().pool)
        .await
        .unwrap();
    }
    {
        let mut list = sim.assignments.write().unwrap();
        for i in 0..paid.total - 1 {
            list.push(licensedesk::store::apple::Assignment {
                adam_id: paid.adam_id.clone(),
                pricing_param: paid.pricing_param.clone(),
                client_user_id: Some(format!("elsewhere-{i}")),
                serial_number: None,
            });
        }
    }
    let team = group(&app, "Surgeons", &people).await;
    let (code, body) = deploy(&grace, app_id, "required", &format!("group:{team}")).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    store.deliver(conn).await.unwrap();
    let installs = |status: &'static str| {
        let grace = &grace;
        async move {
            let (_, list) = grace
                .call_json(
                    "store_installs",
                    &[("app_id", &app_id.to_string()), ("status", status)],
                )
                .await;
            list.as_array().cloned().unwrap_or_default()
        }
    };
    let mut failed = installs("failed").await;
    for _ in 0..100 {
        if failed.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        failed = installs("failed").await;
    }
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(
        failed
            .iter()
            .all(|i| i["detail"].as_str().unwrap_or("").contains("error 9709")),
        "{failed:?}"
    );
    assert_eq!(installs("installed").await.len(), 1);
    assert_eq!(sim.assigned_count(&paid.adam_id), paid.total);
}
