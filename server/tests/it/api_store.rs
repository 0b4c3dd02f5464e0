//! The REST API of the store area through HTTP with API tokens (see `api.rs` for the
//! shared behaviour: tokens, problems, pages, the document).

use crate::store::{group, linked_app_with, store_app, used, users, wait_idle};
use licensedesk::store::simulator::StoreSim;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;

fn field(body: &Value) -> &str {
    body["field"].as_str().unwrap_or("")
}

#[tokio::test]
async fn connections_runs_apps_deployments_holders_and_installs() {
    let (app, _sim, _store) = store_app(StoreSim::seeded(20, 0)).await;
    let grace = app.setup().await;
    let app_id = linked_app_with(&app, &grace, 5).await;
    let api = grace.api_token("Deployer", "license_admin").await;

    // Connections: the list, one, unknown ones.
    let list = api.get("/store/connections").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.body["total"], 1);
    let conn = &list.body["items"][0];
    let conn_id = conn["id"].as_i64().unwrap();
    let conn_name = conn["name"].as_str().unwrap().to_string();
    assert_eq!(
        (conn["store"].as_str(), conn["status"].as_str()),
        (Some("Apple"), Some("Valid"))
    );
    let one = api.get(&format!("/store/connections/{conn_id}")).await;
    assert_eq!(
        (one.status, one.body["id"].as_i64()),
        (StatusCode::OK, Some(conn_id))
    );
    api.get("/store/connections/999999")
        .await
        .problem(404, "not-found");

    // Sync now answers at once with the run, which the history then lists.
    let started = api
        .post(&format!("/store/connections/{conn_id}/sync"), json!({}))
        .await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
    let run_id = started.body["run_id"].as_i64().unwrap();
    wait_idle(&app).await;
    // The sync brought back the store's own total; the rest counts on 5.
    sqlx::query("UPDATE store_apps SET total_count = 5 WHERE id = $1")
        .bind(app_id)
        .execute(&app.db().pool)
        .await
        .unwrap();
    let runs = api
        .get(&format!("/store/sync-runs?connection_id={conn_id}"))
        .await;
    assert_eq!(runs.status, StatusCode::OK, "{}", runs.body);
    assert_eq!(runs.body["items"][0]["id"].as_i64(), Some(run_id));
    assert_eq!(runs.body["items"][0]["result"], "succeeded");
    let bad = api.get("/store/sync-runs?cursor=abc").await;
    assert_eq!(field(bad.problem(422, "validation")), "cursor");
    api.post("/store/connections/999999/sync", json!({}))
        .await
        .problem(404, "not-found");

    // Automatic sync off, and back on.
    let off = api
        .put(
            &format!("/store/connections/{conn_id}/auto-sync"),
            json!({"auto_sync": false}),
        )
        .await;
    assert_eq!(off.status, StatusCode::NO_CONTENT, "{}", off.body);
    let one = api.get(&format!("/store/connections/{conn_id}")).await;
    assert_eq!(one.body["auto_sync"], false);
    api.put(
        &format!("/store/connections/{conn_id}/auto-sync"),
        json!({"auto_sync": "no"}),
    )
    .await
    .problem(422, "validation");

    // Apps, with the page's filters; bad filters name themselves.
    let apps = api.get("/store/apps?store=apple").await;
    assert_eq!(apps.status, StatusCode::OK, "{}", apps.body);
    assert!(apps.body["total"].as_i64().unwrap() >= 1);
    let listed = apps.body["items"].as_array().unwrap();
    assert!(listed.iter().any(|a| a["id"].as_i64() == Some(app_id)));
    for (query, name) in [
        ("store=google", "store"),
        ("state=gone", "state"),
        ("exhausted=maybe", "exhausted"),
    ] {
        let bad = api.get(&format!("/store/apps?{query}")).await;
        assert_eq!(field(bad.problem(422, "validation")), name, "{query}");
    }
    let exhausted = api.get("/store/apps?exhausted=true").await;
    assert_eq!(exhausted.body["total"], 0, "{}", exhausted.body);
    let detail = api.get(&format!("/store/apps/{app_id}")).await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.body);
    assert_eq!(detail.body["app"]["total"], 5);
    api.get("/store/apps/999999")
        .await
        .problem(404, "not-found");

    // Deploy to a group of 2 and a user: 3 licenses, holders listed.
    let people = users(&app, "Nurse", 8).await;
    let ward = group(&app, "Ward 7", &people[..2]).await;
    let deploy = |body: Value| {
        let api = &api;
        async move {
            api.post(&format!("/store/apps/{app_id}/deployments"), body)
                .await
        }
    };
    let done = deploy(json!({"intent": "required", "targets": [
        {"kind": "group", "id": ward}, {"kind": "user", "id": people[2]}]}))
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(
        (
            done.body["deployments"].as_i64(),
            done.body["granted"].as_i64()
        ),
        (Some(2), Some(3))
    );
    assert_eq!(used(&app, app_id).await, (3, 3));
    let holders = api.get(&format!("/store/apps/{app_id}/holders")).await;
    assert_eq!(holders.body["total"], 3, "{}", holders.body);
    let installs = api.get(&format!("/store/apps/{app_id}/installs")).await;
    assert_eq!(installs.status, StatusCode::OK, "{}", installs.body);
    assert!(installs.body["items"].is_array());
    let bad = api
        .get(&format!("/store/apps/{app_id}/installs?status=done"))
        .await;
    assert_eq!(field(bad.problem(422, "validation")), "status");
    let targets = api.get("/store/targets?q=nurse").await;
    assert_eq!(targets.body["total"].as_i64(), Some(8), "{}", targets.body);

    // Bad deployments name the field; too many users is refused as a whole.
    for (body, name) in [
        (
            json!({"intent": "install", "targets": [{"kind": "user", "id": people[3]}]}),
            "intent",
        ),
        (
            json!({"intent": "required", "targets": [{"kind": "tenant", "id": 1}]}),
            "targets",
        ),
        (json!({"intent": "required", "targets": []}), "targets"),
        (
            json!({"intent": "required", "targets": [{"kind": "user", "id": 999999}]}),
            "targets",
        ),
    ] {
        let bad = deploy(body.clone()).await;
        assert_eq!(field(bad.problem(422, "validation")), name, "{body}");
    }
    deploy(json!({})).await.problem(422, "validation");
    let everyone = group(&app, "Everyone", &people).await;
    let short =
        deploy(json!({"intent": "required", "targets": [{"kind": "group", "id": everyone}]})).await;
    let detail_text = short.problem(409, "conflict")["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(detail_text.contains("3 missing"), "{detail_text}");
    assert_eq!(
        used(&app, app_id).await,
        (3, 3),
        "nothing partially applied"
    );

    // Change the intent (Uninstall frees), then remove the deployment.
    let detail = api.get(&format!("/store/apps/{app_id}")).await;
    let group_dep = detail.body["deployments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["target_kind"] == "Group")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let changed = api
        .put(
            &format!("/store/deployments/{group_dep}"),
            json!({"intent": "uninstall"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(changed.body["freed"], 2);
    assert_eq!(used(&app, app_id).await, (1, 1));
    let bad = api
        .put(
            &format!("/store/deployments/{group_dep}"),
            json!({"intent": "later"}),
        )
        .await;
    assert_eq!(field(bad.problem(422, "validation")), "intent");
    let removed = api.delete(&format!("/store/deployments/{group_dep}")).await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    api.delete(&format!("/store/deployments/{group_dep}"))
        .await
        .problem(404, "not-found");
    let detail = api.get(&format!("/store/apps/{app_id}")).await;
    assert_eq!(detail.body["deployments"].as_array().unwrap().len(), 1);

    // Removing a connection needs its name repeated.
    let bad = api
        .delete(&format!("/store/connections/{conn_id}?confirmation=nope"))
        .await;
    assert_eq!(field(bad.problem(422, "validation")), "confirmation");
    let gone = api
        .delete(&format!(
            "/store/connections/{conn_id}?confirmation={}",
            url_escape(&conn_name)
        ))
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.body);
    assert_eq!(api.get("/store/connections").await.body["total"], 0);

    // What changed is audited under the token's name.
    let actor: String = sqlx::query_scalar(
        "SELECT actor_name FROM audit_log WHERE action = 'store.deployed' ORDER BY id LIMIT 1",
    )
    .fetch_one(&app.db().pool)
    .await
    .unwrap();
    assert_eq!(actor, "token:Deployer");
}

fn url_escape(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn a_reader_token_reads_the_store_and_changes_nothing() {
    let (app, _sim, _store) = store_app(StoreSim::seeded(20, 0)).await;
    let grace = app.setup().await;
    let app_id = linked_app_with(&app, &grace, 5).await;
    let people = users(&app, "Clerk", 1).await;
    let reader = grace.api_token("Monitoring", "reader").await;
    assert_eq!(reader.get("/store/apps").await.status, StatusCode::OK);
    assert_eq!(
        reader.get(&format!("/store/apps/{app_id}")).await.status,
        StatusCode::OK
    );
    let conn_id = reader.get("/store/connections").await.body["items"][0]["id"]
        .as_i64()
        .unwrap();
    reader
        .post(
            &format!("/store/apps/{app_id}/deployments"),
            json!({"intent": "required", "targets": [{"kind": "user", "id": people[0]}]}),
        )
        .await
        .problem(403, "forbidden");
    reader
        .post(&format!("/store/connections/{conn_id}/sync"), json!({}))
        .await
        .problem(403, "forbidden");
    reader
        .put(
            &format!("/store/connections/{conn_id}/auto-sync"),
            json!({"auto_sync": false}),
        )
        .await
        .problem(403, "forbidden");
    reader
        .delete("/store/deployments/1")
        .await
        .problem(403, "forbidden");
    reader
        .get("/store/targets?q=a")
        .await
        .problem(403, "forbidden");
    assert_eq!(used(&app, app_id).await, (0, 0));
}

#[tokio::test]
async fn concurrent_deploy_requests_never_oversell_an_app() {
    const N: usize = 4;
    let (app, _sim, _store) = store_app(StoreSim::seeded(20, 0)).await;
    let grace = app.setup().await;
    let app_id = linked_app_with(&app, &grace, N as i64).await;
    let people = users(&app, "Racer", 3 * N).await;
    let api = Arc::new(grace.api_token("Racers", "license_admin").await);
    let tasks: Vec<_> = people
        .into_iter()
        .map(|user| {
            let api = api.clone();
            tokio::spawn(async move {
                api.post(
                    &format!("/store/apps/{app_id}/deployments"),
                    json!({"intent": "required", "targets": [{"kind": "user", "id": user}]}),
                )
                .await
            })
        })
        .collect();
    let (mut granted, mut refused) = (0, 0);
    for t in tasks {
        let answer = t.await.unwrap();
        if answer.status == StatusCode::OK {
            assert_eq!(answer.body["granted"], 1, "{}", answer.body);
            granted += 1;
        } else {
            answer.problem(409, "conflict");
            refused += 1;
        }
    }
    assert_eq!((granted, refused), (N, 2 * N));
    assert_eq!(used(&app, app_id).await, (N as i64, N as i64));
    let detail = api.get(&format!("/store/apps/{app_id}")).await;
    assert_eq!(detail.body["app"]["used"], N as i64);
    assert_eq!(detail.body["holders"].as_array().unwrap().len(), N);
}
