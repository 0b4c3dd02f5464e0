//! The REST API of the licenses area through HTTP with API tokens (see `api.rs` for the
//! shared behaviour: tokens, problems, pages, the document).

use crate::common::TestApp;
use licensedesk::licensing::{Connector, Faults, spawn_simulator};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

fn field(body: &Value) -> &str {
    body["field"].as_str().unwrap_or("")
}

#[tokio::test]
async fn license_groups_and_agreements_through_the_api() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let api = grace.api_token("Licensing", "license_admin").await;

    // License groups: the built-in one, a new one, bad names, rename.
    let groups = api.get("/licenses/groups").await;
    assert_eq!(groups.status, StatusCode::OK, "{}", groups.body);
    assert_eq!(groups.body["total"], 1);
    let builtin = groups.body["items"][0]["id"].as_i64().unwrap();
    let made = api
        .post("/licenses/groups", json!({"name": "Microsoft EA"}))
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let gid = made.body["id"].as_i64().unwrap();
    assert_eq!(
        made.header("location"),
        Some(format!("/api/v1/licenses/groups/{gid}"))
    );
    assert_eq!(made.body["builtin"], false);
    for name in ["", "Unassigned agreements"] {
        let bad = api.post("/licenses/groups", json!({ "name": name })).await;
        assert_eq!(field(bad.problem(422, "validation")), "name", "{name}");
    }
    api.post("/licenses/groups", json!({}))
        .await
        .problem(422, "validation");
    let renamed = api
        .put(&format!("/licenses/groups/{gid}"), json!({"name": "MS EA"}))
        .await;
    assert_eq!(
        (renamed.status, renamed.body["name"].as_str()),
        (StatusCode::OK, Some("MS EA"))
    );
    api.put(
        &format!("/licenses/groups/{builtin}"),
        json!({"name": "Mine"}),
    )
    .await
    .problem(409, "conflict");
    api.get("/licenses/groups/999999")
        .await
        .problem(404, "not-found");

    // A volume agreement into the group; what it answers is what a read answers.
    let volume = api
        .post(
            "/licenses/agreements/volume",
            json!({"name": "Open Value 2026", "group": "existing", "group_id": gid,
                "sets": [{"first": "V1234567", "second": "V1234567"}, {"first": "V7654321", "second": "V7654321"}]}),
        )
        .await;
    assert_eq!(volume.status, StatusCode::CREATED, "{}", volume.body);
    let vid = volume.body["id"].as_i64().unwrap();
    assert_eq!(volume.body["sets"].as_array().unwrap().len(), 2);
    assert_eq!(volume.body["group_name"], "MS EA");
    assert_eq!(
        (
            volume.body["kind"].as_str(),
            volume.body["sets"][0]["status"].as_str()
        ),
        (Some("Volume"), Some("Pending"))
    );
    let location = volume.header("location").unwrap();
    let read = api.get(&location).await;
    assert_eq!((read.status, &read.body), (StatusCode::OK, &volume.body));
    for (body, name) in [
        (
            json!({"name": "open value 2026", "sets": [{"first": "1", "second": "2"}]}),
            "name",
        ),
        (
            json!({"name": "Office<2026>", "sets": [{"first": "1", "second": "2"}]}),
            "name",
        ),
        (json!({"name": "Other", "sets": []}), "sets"),
        (
            json!({"name": "Other", "sets": [{"first": "12345678901234567", "second": "2"}]}),
            "sets.0.first",
        ),
        (
            json!({"name": "Other", "sets": [{"first": "1", "second": "2"}], "group": "new", "new_group": ""}),
            "new_group",
        ),
        (
            json!({"name": "Other", "sets": [{"first": "1", "second": "2"}], "group": "existing", "group_id": 999999}),
            "group_id",
        ),
        (
            json!({"name": "Other", "sets": [{"first": "1", "second": "2"}], "group": "elsewhere"}),
            "group",
        ),
    ] {
        let bad = api.post("/licenses/agreements/volume", body.clone()).await;
        assert_eq!(field(bad.problem(422, "validation")), name, "{body}");
    }
    api.post("/licenses/agreements/volume", json!({"sets": []}))
        .await
        .problem(422, "validation");

    // An other-software agreement from the catalog, into a new group.
    let publishers = api.get("/licenses/catalog/publishers?q=soft").await;
    assert!(
        publishers
            .body
            .as_array()
            .unwrap()
            .contains(&json!("Microsoft")),
        "{}",
        publishers.body
    );
    let products = api
        .get("/licenses/catalog/products?publisher=Microsoft&q=visio")
        .await;
    assert_eq!(products.body[0], "Visio Professional 2021");
    let visio = |count: i64, start: &str, end: &str, product: &str| {
        json!({"name": "Visio retail", "publisher": "Microsoft", "product": product, "license_count": count,
            "starts_on": start, "ends_on": end, "details": "Contact: reseller", "group": "new", "new_group": "Retail"})
    };
    for (body, name) in [
        (visio(0, "", "", "Visio Professional 2021"), "license_count"),
        (
            visio(10, "2026-05-01", "2026-04-30", "Visio Professional 2021"),
            "ends_on",
        ),
        (
            visio(10, "01/05/2026", "", "Visio Professional 2021"),
            "starts_on",
        ),
        (visio(10, "", "", "Not A Real Product"), "product"),
    ] {
        let bad = api.post("/licenses/agreements/other", body.clone()).await;
        assert_eq!(field(bad.problem(422, "validation")), name, "{body}");
    }
    let other = api
        .post(
            "/licenses/agreements/other",
            visio(10, "2026-01-01", "2026-12-31", "Visio Professional 2021"),
        )
        .await;
    assert_eq!(other.status, StatusCode::CREATED, "{}", other.body);
    assert_eq!(
        (
            other.body["license_count"].as_i64(),
            other.body["group_name"].as_str()
        ),
        (Some(10), Some("Retail"))
    );
    assert_eq!(other.body["ends_on"], "2026-12-31");
    let oid = other.body["id"].as_i64().unwrap();

    // The list and its filters.
    let all = api.get("/licenses/agreements").await;
    assert_eq!(all.body["total"], 2, "{}", all.body);
    let found = api.get("/licenses/agreements?q=VISIO").await;
    assert_eq!(
        (
            found.body["total"].as_i64(),
            found.body["items"][0]["id"].as_i64()
        ),
        (Some(1), Some(oid))
    );
    let in_group = api
        .get(&format!("/licenses/agreements?group_id={gid}"))
        .await;
    assert_eq!(
        in_group.body["items"][0]["id"].as_i64(),
        Some(vid),
        "{}",
        in_group.body
    );
    let bad = api.get("/licenses/agreements?group_id=ea").await;
    assert_eq!(field(bad.problem(422, "validation")), "group_id");

    // Deleting the group moves its agreement to Unassigned agreements; deleting an agreement.
    let deleted = api.delete(&format!("/licenses/groups/{gid}")).await;
    assert_eq!(
        (deleted.status, deleted.body["moved"].as_i64()),
        (StatusCode::OK, Some(1))
    );
    let moved = api.get(&format!("/licenses/agreements/{vid}")).await;
    assert_eq!(moved.body["group_id"].as_i64(), Some(builtin));
    let gone = api.delete(&format!("/licenses/agreements/{oid}")).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.body);
    api.delete(&format!("/licenses/agreements/{oid}"))
        .await
        .problem(404, "not-found");
    api.get(&format!("/licenses/agreements/{oid}"))
        .await
        .problem(404, "not-found");
    let actor: String =
        sqlx::query_scalar("SELECT actor_name FROM audit_log WHERE action = 'agreement.deleted'")
            .fetch_one(&app.db().pool)
            .await
            .unwrap();
    assert_eq!(actor, "token:Licensing");
}

#[tokio::test]
async fn a_reader_token_reads_agreements_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let admin = grace.api_token("Licensing", "license_admin").await;
    let made = admin
        .post(
            "/licenses/agreements/volume",
            json!({"name": "EA", "sets": [{"first": "V1", "second": "V1"}]}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let id = made.body["id"].as_i64().unwrap();
    let reader = grace.api_token("Monitoring", "reader").await;
    assert_eq!(reader.get("/licenses/agreements").await.body["total"], 1);
    assert_eq!(
        reader.get("/licenses/reports/installation").await.status,
        StatusCode::OK
    );
    reader
        .post("/licenses/groups", json!({"name": "Mine"}))
        .await
        .problem(403, "forbidden");
    reader
        .post(
            "/licenses/agreements/volume",
            json!({"name": "EA 2", "sets": [{"first": "V2", "second": "V2"}]}),
        )
        .await
        .problem(403, "forbidden");
    reader
        .delete(&format!("/licenses/agreements/{id}"))
        .await
        .problem(403, "forbidden");
    reader
        .post("/licenses/refresh", json!({}))
        .await
        .problem(403, "forbidden");
    assert_eq!(reader.get("/licenses/agreements").await.body["total"], 1);
}

#[tokio::test]
async fn concurrent_agreements_with_one_name_store_exactly_one() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let api = Arc::new(grace.api_token("Racers", "license_admin").await);
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            let api = api.clone();
            tokio::spawn(async move {
                api.post(
                    "/licenses/agreements/volume",
                    json!({"name": "Select Plus", "sets": [{"first": format!("S{i}"), "second": "1"}],
                        "group": "new", "new_group": format!("Race {i}")}),
                )
                .await
            })
        })
        .collect();
    let mut created = 0;
    for t in tasks {
        let answer = t.await.unwrap();
        if answer.status == StatusCode::CREATED {
            created += 1;
        } else {
            assert_eq!(field(answer.problem(422, "validation")), "name");
        }
    }
    assert_eq!(created, 1);
    let all = api.get("/licenses/agreements").await;
    assert_eq!(all.body["total"], 1);
    // The losers' new groups were not kept either (all or nothing).
    assert_eq!(api.get("/licenses/groups").await.body["total"], 2);
}

#[tokio::test]
async fn refresh_now_and_the_reports() {
    // Without a licensing service Refresh now is refused, and nothing changes.
    let bare = TestApp::spawn().await;
    let grace = bare.setup().await;
    let api = grace.api_token("Licensing", "license_admin").await;
    api.post("/licenses/refresh", json!({}))
        .await
        .problem(409, "conflict");
    assert_eq!(api.get("/licenses/refresh").await.body["configured"], false);
    drop(bare);

    let faults = Arc::new(Faults::default());
    let url = spawn_simulator("127.0.0.1:0".parse().unwrap(), faults)
        .await
        .unwrap();
    let app = TestApp::spawn_with(move |state| {
        state.with_licensing(Connector::new(&url, Duration::from_secs(5)))
    })
    .await;
    let grace = app.setup().await;
    let api = grace.api_token("Licensing", "license_admin").await;
    let made = api
        .post(
            "/licenses/agreements/volume",
            json!({"name": "EA 2026", "sets": [{"first": "V1234567", "second": "V1234567"}, {"first": "99990001", "second": "12345678"}]}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let status = api.get("/licenses/refresh").await;
    assert_eq!(
        (
            status.body["configured"].as_bool(),
            status.body["stale"].as_bool()
        ),
        (Some(true), Some(true))
    );
    let report = api.post("/licenses/refresh", json!({})).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    assert_eq!(
        (
            report.body["sets"].as_i64(),
            report.body["valid"].as_i64(),
            report.body["invalid"].as_i64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(api.get("/licenses/refresh").await.body["stale"], false);

    // The reports, as JSON: entitlements count as owned; the purchase report lists the agreement.
    let installation = api.get("/licenses/reports/installation").await;
    assert_eq!(installation.status, StatusCode::OK, "{}", installation.body);
    let owned: i64 = installation.body["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["owned"].as_i64().unwrap())
        .sum();
    assert_eq!(owned, installation.body["owned_total"].as_i64().unwrap());
    assert!(owned >= 1, "{}", installation.body);
    let purchase = api.get("/licenses/reports/purchase?scope=all").await;
    assert_eq!(purchase.status, StatusCode::OK, "{}", purchase.body);
    assert!(
        purchase.body["lines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["agreement"] == "EA 2026")
    );
    let groups = api.get("/licenses/groups").await;
    let unassigned = groups.body["items"][0]["id"].as_i64().unwrap();
    let chosen = api
        .get(&format!("/licenses/reports/purchase?groups={unassigned}"))
        .await;
    assert_eq!(chosen.body["lines"], purchase.body["lines"]);
    for (query, name) in [
        ("installation?scope=apple", "scope"),
        ("purchase?scope=everything", "scope"),
        ("purchase?groups=1,two", "groups"),
    ] {
        let bad = api.get(&format!("/licenses/reports/{query}")).await;
        assert_eq!(field(bad.problem(422, "validation")), name, "{query}");
    }
}
