//! The REST API of the billing area through HTTP with API tokens (see `api.rs` for the
//! shared behaviour: tokens, problems, pages, the document): subscriptions through their
//! lifecycle with idempotent quantity changes and cancels, billing profiles, invoices and Mark
//! paid, ISV apps and their assignments, and concurrent assignments that never oversell.

use crate::billing::{isv_app, profile};
use crate::common::{Api, TestApp};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn at(date: time::Date, hour: u8) -> i64 {
    date.with_hms(hour, 0, 0)
        .unwrap()
        .assume_utc()
        .unix_timestamp()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&app.db().pool)
        .await
        .unwrap()
}

fn seat_body(profile_id: &str) -> Value {
    json!({
        "app_name": "Fabrikam Sign", "publisher": "Fabrikam", "channel": "direct",
        "pricing": "per_license", "frequency": "monthly", "price": "8.00", "currency": "USD",
        "quantity": 10, "term_start_on": "2026-11-11", "auto_renew": true,
        "profile_id": profile_id.parse::<i64>().unwrap(),
        "portal_url": "https://portal.fabrikam.example/manage"
    })
}

/// A POST with an `Idempotency-Key`.
async fn keyed(api: &Api, path: &str, key: &str, body: Value) -> crate::common::Answer {
    api.send(
        api.http
            .post(api.url(path))
            .header("idempotency-key", key)
            .json(&body),
    )
    .await
}

#[tokio::test]
async fn subscriptions_through_their_lifecycle_with_idempotent_changes() {
    let app = TestApp::spawn().await;
    app.clock.set(at(time::macros::date!(2026 - 11 - 11), 9));
    let grace = app.setup().await;
    let p = profile(&grace, "Headquarters").await;
    let p2 = profile(&grace, "Branch office").await;
    let api = grace.api_token("Procurement", "billing_admin").await;

    // Bad input is a problem naming the field, and nothing is stored.
    for (body, field) in [
        (json!({}), "app_name"),
        (
            {
                let mut b = seat_body(&p);
                b["pricing"] = json!("seats");
                b
            },
            "pricing",
        ),
        (
            {
                let mut b = seat_body(&p);
                b["price"] = json!("1.234");
                b
            },
            "price",
        ),
        (
            {
                let mut b = seat_body(&p);
                b.as_object_mut().unwrap().remove("profile_id");
                b
            },
            "profile_id",
        ),
    ] {
        let answer = api.post("/subscriptions", body).await;
        assert_eq!(answer.problem(422, "validation")["field"], field);
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM subscriptions").await, 0);

    let created = api.post("/subscriptions", seat_body(&p)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(
        created.header("location"),
        Some(format!("/api/v1/subscriptions/{id}"))
    );
    assert_eq!(created.body["status"], "PendingActivation");
    assert_eq!(created.body["quantity"], 10);
    assert_eq!(created.body["unit_price_minor"], 800);

    let list = api
        .get("/subscriptions?status=pending_activation&q=sign")
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.body["total"], 1);
    assert_eq!(list.body["items"][0]["id"], id);
    assert_eq!(
        api.get("/subscriptions?status=active").await.body["total"],
        0
    );
    let bad = api.get("/subscriptions?status=lost").await;
    assert_eq!(bad.problem(422, "validation")["field"], "status");

    // Manage in publisher's portal: activation answers the portal address.
    let activated = api
        .post(&format!("/subscriptions/{id}/activate"), json!({}))
        .await;
    assert_eq!(activated.status, StatusCode::OK, "{}", activated.body);
    assert_eq!(
        activated.body["portal_url"],
        "https://portal.fabrikam.example/manage"
    );
    let one = api.get(&format!("/subscriptions/{id}")).await;
    assert_eq!(one.body["status"], "Active");
    assert_eq!(one.body["adjustments"].as_array().unwrap().len(), 1);
    assert_eq!(one.body["profiles"].as_array().unwrap().len(), 2);

    // Quantity: the backend's rules answer as problems naming the field.
    let zero = api
        .post(
            &format!("/subscriptions/{id}/quantity"),
            json!({"quantity": 0}),
        )
        .await;
    assert_eq!(zero.problem(422, "validation")["field"], "quantity");
    let missing = api
        .post(&format!("/subscriptions/{id}/quantity"), json!({}))
        .await;
    assert_eq!(missing.problem(422, "validation")["field"], "quantity");

    // The same Idempotency-Key twice: the same answer, one change, one audit entry.
    let path = format!("/subscriptions/{id}/quantity");
    let first = keyed(&api, &path, "qty-1", json!({"quantity": 15})).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let again = keyed(&api, &path, "qty-1", json!({"quantity": 15})).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.body, first.body);
    // 5 more seats at 8.00 for 20 of 30 November days.
    assert_eq!(first.body["amount_minor"], 2667);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'subscription.quantity_changed'"
        )
        .await,
        1
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM subscription_adjustments").await,
        2
    );
    // The same key with another body is refused, naming the header; nothing changes.
    let reused = keyed(&api, &path, "qty-1", json!({"quantity": 16})).await;
    assert_eq!(
        reused.problem(422, "validation")["field"],
        "Idempotency-Key"
    );
    let bad_key = keyed(&api, &path, "not a key!", json!({"quantity": 16})).await;
    assert_eq!(
        bad_key.problem(422, "validation")["field"],
        "Idempotency-Key"
    );
    assert_eq!(
        api.get(&format!("/subscriptions/{id}")).await.body["quantity"],
        15
    );

    // A Reader token reads but changes nothing.
    let reader = grace.api_token("Monitoring", "reader").await;
    assert_eq!(reader.get("/subscriptions").await.status, StatusCode::OK);
    reader
        .post(&path, json!({"quantity": 20}))
        .await
        .problem(403, "forbidden");
    reader
        .post(&format!("/subscriptions/{id}/cancel"), json!({}))
        .await
        .problem(403, "forbidden");
    reader
        .post("/subscriptions", seat_body(&p))
        .await
        .problem(403, "forbidden");

    // Edit the billing profile.
    let profile_path = format!("/subscriptions/{id}/profile");
    let p2_id: i64 = p2.parse().unwrap();
    let moved = api.put(&profile_path, json!({"profile_id": p2_id})).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    assert_eq!(moved.body["profile_id"], p2_id);
    let same = api.put(&profile_path, json!({"profile_id": p2_id})).await;
    assert_eq!(same.problem(422, "validation")["field"], "profile_id");
    let none = api.put(&profile_path, json!({})).await;
    assert_eq!(none.problem(422, "validation")["field"], "profile_id");

    // Cancel with a key twice: one effect. Then disabled is final.
    let cancel = format!("/subscriptions/{id}/cancel");
    for _ in 0..2 {
        let answer = keyed(&api, &cancel, "cancel-1", json!({})).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        assert_eq!(answer.body["status"], json!({"Disabled": "Cancelled"}));
    }
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'subscription.cancelled'"
        )
        .await,
        1
    );
    let refused = api
        .post(&format!("/subscriptions/{id}/activate"), json!({}))
        .await;
    refused.problem(409, "conflict");
    api.post(&cancel, json!({})).await.problem(409, "conflict");
    api.get("/subscriptions/999999")
        .await
        .problem(404, "not-found");

    // Billing profiles with the caller's own role (the token acts for Grace, an owner).
    let profiles = reader.get("/billing-profiles").await;
    assert_eq!(profiles.status, StatusCode::OK, "{}", profiles.body);
    assert_eq!(profiles.body["total"], 2);
    assert_eq!(profiles.body["items"][0]["my_role"], "Owner");
    assert_eq!(
        profiles.body["items"][0]["payment_methods"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn invoices_are_listed_read_and_marked_paid_once() {
    use time::macros::date;
    let app = TestApp::spawn().await;
    app.clock.set(at(date!(2026 - 03 - 10), 12));
    let grace = app.setup().await;
    let p = profile(&grace, "Headquarters").await;
    let api = grace.api_token("Accounts", "billing_admin").await;
    let reader = grace.api_token("Monitoring", "reader").await;
    let mut body = seat_body(&p);
    body["term_start_on"] = json!("2026-03-10");
    let created = api.post("/subscriptions", body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_i64().unwrap();
    let activated = api
        .post(&format!("/subscriptions/{id}/activate"), json!({}))
        .await;
    assert_eq!(activated.status, StatusCode::OK, "{}", activated.body);
    app.clock.set(at(date!(2026 - 04 - 01), 1));
    assert_eq!(app.billing().run_jobs().await.unwrap().invoices_created, 1);

    let list = api
        .get(&format!("/invoices?status=open&profile_id={p}"))
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.body["total"], 1);
    assert!(list.header("link").is_none(), "one page");
    let invoice = list.body["items"][0].clone();
    assert_eq!(invoice["period"], "2026-04");
    assert_eq!(invoice["status"], "open");
    let iid = invoice["id"].as_i64().unwrap();
    assert_eq!(api.get("/invoices?status=paid").await.body["total"], 0);
    let bad = api.get("/invoices?status=lost").await;
    assert_eq!(bad.problem(422, "validation")["field"], "status");
    api.get("/invoices?cursor=drop%20table")
        .await
        .problem(400, "bad-request");

    let detail = api.get(&format!("/invoices/{iid}")).await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.body);
    assert_eq!(detail.body["invoice"]["number"], invoice["number"]);
    assert!(!detail.body["lines"].as_array().unwrap().is_empty());
    assert_eq!(detail.body["bill_to"]["name"], "Headquarters");

    // Mark paid: a Reader is refused; with a key twice, one effect and the same answer.
    let paid_path = format!("/invoices/{iid}/paid");
    reader
        .post(&paid_path, json!({}))
        .await
        .problem(403, "forbidden");
    let first = keyed(&api, &paid_path, "pay-april", json!({})).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body["invoice"]["status"], "paid");
    let again = keyed(&api, &paid_path, "pay-april", json!({})).await;
    assert_eq!((again.status, &again.body), (StatusCode::OK, &first.body));
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'invoice.paid'"
        )
        .await,
        1
    );
    // Without a key, paying again is a conflict, not a second payment.
    let status = api.post(&paid_path, json!({})).await.status;
    assert!(status.is_client_error(), "{status}");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'invoice.paid'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn billing_profiles_and_payment_methods_through_the_api() {
    let app = TestApp::spawn().await;
    app.clock.set(at(time::macros::date!(2026 - 11 - 23), 9));
    let grace = app.setup().await;
    let api = grace.api_token("Procurement", "billing_admin").await;
    let reader = grace.api_token("Monitoring", "reader").await;
    let address = json!({"name": "Contoso EU", "contact_name": "Pat Doe",
        "address_line": "Damrak 1", "city": "Amsterdam", "postal_code": "1012 LG"});

    let mut body = address.clone();
    body["region"] = json!("Netherlands");
    let refused = api.post("/billing-profiles", body).await;
    assert_eq!(refused.problem(422, "validation")["field"], "region");
    assert_eq!(
        api.post("/billing-profiles", json!({}))
            .await
            .problem(422, "validation")["field"],
        "name"
    );
    let mut body = address.clone();
    body["region"] = json!("Western Europe");
    reader
        .post("/billing-profiles", body.clone())
        .await
        .problem(403, "forbidden");
    let created = api.post("/billing-profiles", body.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(
        created.header("location"),
        Some(format!("/api/v1/billing-profiles/{id}"))
    );
    assert_eq!(created.body["region"], "WE");
    assert_eq!(created.body["my_role"], "Owner");

    body["city"] = json!("Rotterdam");
    let changed = api.put(&format!("/billing-profiles/{id}"), body).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(
        reader.get(&format!("/billing-profiles/{id}")).await.body["city"],
        "Rotterdam"
    );
    api.get("/billing-profiles/999999")
        .await
        .problem(404, "not-found");

    // Cards: only brand, last four and expiry; a full number or an expired card is refused.
    let methods = format!("/billing-profiles/{id}/payment-methods");
    for (card, field) in [
        (
            json!({"kind": "card", "brand": "Visa", "last4": "4111 1111 1111 1111", "exp_month": 12, "exp_year": 2031}),
            "last4",
        ),
        (
            json!({"kind": "card", "brand": "Visa", "last4": "4242", "exp_month": 10, "exp_year": 2026}),
            "exp_month",
        ),
        (json!({"kind": "cash"}), "kind"),
        (json!({}), "kind"),
    ] {
        let answer = api.post(&methods, card).await;
        assert_eq!(answer.problem(422, "validation")["field"], field);
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payment_methods").await, 0);
    let card = json!({"kind": "card", "brand": "visa", "last4": "4242", "exp_month": 11, "exp_year": 2026});
    let added = api.post(&methods, card).await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    let added = api.post(&methods, json!({"kind": "wire"})).await;
    let list = added.body["payment_methods"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{}", added.body);
    assert_eq!(list[0]["brand"], "Visa");
    let wire = list.iter().find(|m| m["kind"] == "wire").unwrap()["id"]
        .as_i64()
        .unwrap();
    reader
        .delete(&format!("/payment-methods/{wire}"))
        .await
        .problem(403, "forbidden");
    let removed = api.delete(&format!("/payment-methods/{wire}")).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.body);
    api.delete(&format!("/payment-methods/{wire}"))
        .await
        .problem(404, "not-found");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payment_methods").await, 1);
}

/// Adds `n` directory users through the API; returns their ids.
async fn users(api: &Api, n: usize) -> Vec<i64> {
    let mut ids = vec![];
    for i in 0..n {
        let created = api
            .post(
                "/users",
                json!({"display_name": format!("User {i:03}"), "sign_in_name": format!("user{i:03}@contoso.com")}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        ids.push(created.body["id"].as_i64().unwrap());
    }
    ids
}

#[tokio::test]
async fn isv_apps_are_assigned_and_unassigned_within_their_licenses() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let app_id: i64 = isv_app(&grace, "Tailspin CRM", "2").await.parse().unwrap();
    let admin = grace.api_token("Licensing", "global_admin").await;
    let people = users(&admin, 3).await;
    let group = admin
        .post("/groups", json!({"name": "Sales", "description": ""}))
        .await;
    assert_eq!(group.status, StatusCode::CREATED, "{}", group.body);
    let gid = group.body["id"].as_i64().unwrap();
    let added = admin
        .post(
            &format!("/groups/{gid}/members"),
            json!({"user_ids": [people[1], people[2]]}),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    let api = grace.api_token("Onboarding", "license_admin").await;

    let list = api.get("/isv-apps").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.body["total"], 1);
    assert_eq!(list.body["items"][0]["owned"], 2);

    let path = format!("/isv-apps/{app_id}/assignments");
    let empty = api.post(&path, json!({})).await;
    assert_eq!(empty.problem(422, "validation")["field"], "users");
    let ghost = api.post(&path, json!({"users": [999999]})).await;
    ghost.problem(422, "validation");
    let one = api.post(&path, json!({"users": [people[0]]})).await;
    assert_eq!(
        (one.status, &one.body),
        (StatusCode::OK, &json!({"in_use": 1}))
    );
    // The group needs two more licenses, one is left: refused as a whole.
    let short = api.post(&path, json!({"groups": [gid]})).await;
    assert!(
        short.problem(409, "conflict")["detail"]
            .as_str()
            .unwrap()
            .contains("1 missing"),
        "{}",
        short.body
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM isv_assignments").await, 1);

    // A Reader or a Billing admin may not assign.
    for role in ["reader", "billing_admin"] {
        let other = grace.api_token(role, role).await;
        other
            .post(&path, json!({"users": [people[1]]}))
            .await
            .problem(403, "forbidden");
    }

    // Unassign frees the license; then the group fits.
    let detail = api.get(&format!("/isv-apps/{app_id}")).await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.body);
    assert_eq!(detail.body["app"]["assigned"], 1);
    let aid = detail.body["assignments"][0]["id"].as_i64().unwrap();
    let removed = api.delete(&format!("{path}/{aid}")).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.body);
    api.delete(&format!("{path}/{aid}"))
        .await
        .problem(409, "conflict");
    let group_ok = api.post(&path, json!({"groups": [gid]})).await;
    assert_eq!(group_ok.body, json!({"in_use": 2}), "{}", group_ok.body);
    api.get("/isv-apps/999999").await.problem(404, "not-found");
}

#[tokio::test]
async fn concurrent_api_assignments_never_oversell() {
    const N: usize = 4;
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let app_id = isv_app(&grace, "Tailspin Chat", &N.to_string()).await;
    let admin = grace.api_token("Directory sync", "global_admin").await;
    let people = users(&admin, 3 * N).await;
    let api = std::sync::Arc::new(grace.api_token("Bulk assign", "license_admin").await);
    let mut tasks = vec![];
    for u in people {
        let api = api.clone();
        let path = format!("/isv-apps/{app_id}/assignments");
        tasks.push(tokio::spawn(async move {
            api.post(&path, json!({"users": [u]})).await
        }));
    }
    let (mut granted, mut refused) = (0, 0);
    for t in tasks {
        let answer = t.await.unwrap();
        match answer.status {
            StatusCode::OK => granted += 1,
            _ => {
                answer.problem(409, "conflict");
                refused += 1;
            }
        }
    }
    assert_eq!((granted, refused), (N, 2 * N));
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM isv_assignments").await,
        N as i64
    );
    let detail = api.get(&format!("/isv-apps/{app_id}")).await;
    assert_eq!(detail.body["app"]["assigned"], N as i64);
}

/// Collects the component names of every `$ref` in `v`.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v.as_str()) {
                    ("$ref", Some(r)) => {
                        out.push(r.trim_start_matches("#/components/schemas/").into())
                    }
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_describes_the_billing_operations_completely() {
    let app = TestApp::spawn().await;
    let doc: Value = reqwest::get(format!("{}/api/v1/openapi.json", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut operations = vec![];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op["tags"] == json!(["billing"]) {
                operations.push((format!("{method} {path}"), op.clone()));
            }
        }
    }
    assert_eq!(
        operations.len(),
        20,
        "{:?}",
        operations.iter().map(|o| &o.0).collect::<Vec<_>>()
    );
    // The changes that move money document the key that makes a retry safe.
    for (name, op) in &operations {
        let keyed = op["parameters"].as_array().is_some_and(|ps| {
            ps.iter()
                .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header")
        });
        let moves_money = ["/quantity", "/cancel", "/paid"]
            .iter()
            .any(|s| name.ends_with(s));
        assert_eq!(keyed, moves_money, "{name}");
    }
    // Every schema they refer to (and those refer to) is in the document.
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut todo = vec![];
    for (_, op) in &operations {
        refs(op, &mut todo);
    }
    let mut seen = std::collections::BTreeSet::new();
    while let Some(name) = todo.pop() {
        if seen.insert(name.clone()) {
            let schema = schemas.get(&name);
            assert!(schema.is_some(), "missing schema {name}");
            refs(schema.unwrap(), &mut todo);
        }
    }
    for name in [
        "SubscriptionView",
        "InvoiceDetail",
        "IsvAppDetail",
        "ProblemDetails",
    ] {
        assert!(seen.contains(name), "{name} in {seen:?}");
    }
}
