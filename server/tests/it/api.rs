//! The REST API (SPEC X-4) through HTTP with API tokens: tokens (shown once, revoked, expired,
//! creator disabled), role refusals, problems (RFC 9457) naming the field, `ETag`/`If-Match`,
//! cursor pages visiting every row once, the session cookie never counting, and the OpenAPI
//! document matching the served routes.

use crate::common::{Api, TestApp};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeSet;

async fn import_users(grace: &crate::common::Client, n: usize) {
    let mut csv = String::from("display_name,sign_in_name,department,enabled\n");
    for i in 0..n {
        csv.push_str(&format!(
            "User {i:03},user{i:03}@example.org,Dept {},true\n",
            i % 7
        ));
    }
    let res = grace
        .http
        .post(format!("{}/api/directory/import/users", grace.base))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_token_is_shown_once_acts_within_its_role_and_stops_when_revoked_or_expired() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let hr = grace.api_token("HR onboarding", "user_admin").await;
    assert!(hr.token.starts_with("ldt_") && hr.token.len() > 40);

    // The list shows the token, never its secret.
    let (status, list) = grace.call_json("api_tokens_list", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!list.to_string().contains(&hr.token));
    assert_eq!(list[0]["name"], "HR onboarding");
    assert_eq!(list[0]["hint"].as_str().unwrap(), &hr.token[..8]);
    let stored: String = sqlx::query_scalar("SELECT secret_hash FROM api_tokens")
        .fetch_one(&app.db().pool)
        .await
        .unwrap();
    assert_ne!(stored, hr.token, "only a hash is stored");

    // It works within its role, and what it changes is audited under its name.
    let created = hr
        .post(
            "/users",
            json!({"display_name": "Ada Lovelace", "sign_in_name": "ada@example.org", "department": "R&D"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(
        created.header("location"),
        Some(format!("/api/v1/users/{id}"))
    );
    let actor: String =
        sqlx::query_scalar("SELECT actor_name FROM audit_log WHERE action = 'user.created'")
            .fetch_one(&app.db().pool)
            .await
            .unwrap();
    assert_eq!(actor, "token:HR onboarding");
    let used: Option<i64> = sqlx::query_scalar("SELECT last_used_at FROM api_tokens")
        .fetch_one(&app.db().pool)
        .await
        .unwrap();
    assert_eq!(used, Some(app.clock.now_for_tests()));

    // A User admin token may not touch billing; a Reader token changes nothing.
    hr.get("/audit").await;
    let reader = grace.api_token("Monitoring", "reader").await;
    assert_eq!(reader.get("/users").await.status, StatusCode::OK);
    reader
        .post(
            "/users",
            json!({"display_name": "X", "sign_in_name": "x@example.org"}),
        )
        .await
        .problem(403, "forbidden");
    reader
        .delete(&format!("/users/{id}"))
        .await
        .problem(403, "forbidden");
    reader
        .put(&format!("/users/{id}/enabled"), json!({"enabled": false}))
        .await
        .problem(403, "forbidden");

    // Only a Global admin creates tokens.
    let people = app.admin_with_role(&grace, "people", "user_admin").await;
    let (status, _) = people
        .call_json(
            "api_tokens_create",
            &[
                ("name", "mine"),
                ("role", "reader"),
                ("expires_in_days", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Revoked: 401 at once, with the reason; revoking again changes nothing.
    let hr_id: String =
        sqlx::query_scalar("SELECT CAST(id AS TEXT) FROM api_tokens WHERE name = 'HR onboarding'")
            .fetch_one(&app.db().pool)
            .await
            .unwrap();
    for _ in 0..2 {
        let (status, body) = grace
            .call_json("api_tokens_revoke", &[("id", hr_id.as_str())])
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let refused = hr.get("/users").await;
    refused.problem(401, "unauthenticated");
    assert!(refused.body["detail"].as_str().unwrap().contains("revoked"));
    assert!(
        refused
            .header("www-authenticate")
            .unwrap()
            .starts_with("Bearer")
    );
    let revocations = app
        .audit_actions()
        .await
        .iter()
        .filter(|a| *a == "api_token.revoked")
        .count();
    assert_eq!(revocations, 1);

    // A token whose creator is disabled stops too.
    let people_token = {
        let (status, body) = grace
            .call_json(
                "api_tokens_create",
                &[
                    ("name", "Grace's"),
                    ("role", "reader"),
                    ("expires_in_days", ""),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        body["secret"].as_str().unwrap().to_string()
    };
    drop(people);
    let other = app.admin_with_role(&grace, "root2", "global_admin").await;
    let grace_id: String =
        sqlx::query_scalar("SELECT CAST(id AS TEXT) FROM admins WHERE username = 'grace'")
            .fetch_one(&app.db().pool)
            .await
            .unwrap();
    let (status, body) = other
        .call_json(
            "admins_set_enabled",
            &[("id", grace_id.as_str()), ("enabled", "false")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let graces = Api {
        base: hr.base.clone(),
        token: people_token,
        http: reqwest::Client::new(),
    };
    graces.get("/users").await.problem(401, "unauthenticated");

    // Expired: a 1-day token stops after a day.
    let (status, body) = other
        .call_json(
            "api_tokens_create",
            &[
                ("name", "Short"),
                ("role", "reader"),
                ("expires_in_days", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let short = Api {
        base: hr.base.clone(),
        token: body["secret"].as_str().unwrap().into(),
        http: reqwest::Client::new(),
    };
    assert_eq!(short.get("/users").await.status, StatusCode::OK);
    app.clock.advance(86_400);
    short.get("/users").await.problem(401, "unauthenticated");

    // Garbage in the header: 401, never 500.
    for value in [
        "Bearer",
        "Bearer ldt_nope",
        "Basic Z3JhY2U6eA==",
        "Bearer \u{7f}",
    ] {
        let res = reqwest::Client::new()
            .get(format!("{}/api/v1/users", hr.base))
            .header("authorization", value)
            .send()
            .await;
        if let Ok(res) = res {
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{value}");
        }
    }
}

#[tokio::test]
async fn the_session_cookie_does_not_reach_the_api_and_tokens_do_not_reach_pages() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let res = grace
        .http
        .get(format!("{}/api/v1/users", grace.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let res = grace
        .http
        .post(format!("{}/api/v1/users", grace.base))
        .json(&json!({"display_name": "X", "sign_in_name": "x@example.org"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let api = grace.api_token("Script", "global_admin").await;
    // Pages and server functions ignore the bearer token.
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/users", api.base))
        .header("accept", "text/html")
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    let res = api
        .send(api.http.post(api.url("/api/users_list")).form(&[("q", "")]))
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    // A cross-site POST with a token is fine: no cookie is involved.
    let res = api
        .send(
            api.http
                .post(api.url("/groups"))
                .header("origin", "https://evil.example")
                .header("sec-fetch-site", "cross-site")
                .json(&json!({"name": "Sales"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
}

#[tokio::test]
async fn client_mistakes_are_problems_that_name_the_field_and_change_nothing() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let api = grace.api_token("Script", "user_admin").await;
    let before = app.audit_actions().await.len();

    let p = api
        .post(
            "/users",
            json!({"display_name": "", "sign_in_name": "ada@example.org"}),
        )
        .await;
    let body = p.problem(422, "validation");
    assert_eq!(body["field"], "display_name");
    assert_eq!(body["type"], "/api/docs#problem-validation");

    let broken = api
        .send(
            api.http
                .post(api.url("/users"))
                .header("content-type", "application/json")
                .body("{\"display_name\": "),
        )
        .await;
    broken.problem(400, "bad-request");
    let wrong_type = api
        .send(api.http.post(api.url("/users")).body("display_name=x"))
        .await;
    wrong_type.problem(415, "unsupported-media-type");
    let wrong_shape = api.post("/users", json!({"display_name": 5})).await;
    wrong_shape.problem(422, "validation");
    api.get("/users/not-a-number")
        .await
        .problem(400, "bad-request");
    api.get("/users/999999").await.problem(404, "not-found");
    let nowhere = api.get("/nowhere").await;
    nowhere.problem(404, "not-found");
    assert!(
        nowhere.body["detail"]
            .as_str()
            .unwrap()
            .contains("no such resource")
    );
    api.send(api.http.patch(api.url("/users")))
        .await
        .problem(405, "method-not-allowed");
    api.get("/devices?platform=amiga")
        .await
        .problem(422, "validation");
    let huge = "x".repeat(3 * 1024 * 1024);
    let too_big = api
        .post(
            "/users",
            json!({"display_name": huge, "sign_in_name": "a@b.c"}),
        )
        .await;
    too_big.problem(413, "payload-too-large");
    let hostile = api
        .post(
            "/users",
            json!({"display_name": "<script>alert(1)</script>\u{0}", "sign_in_name": "=cmd|' /C calc'!A0"}),
        )
        .await;
    assert!(hostile.status.is_client_error(), "{}", hostile.body);
    assert_eq!(
        app.audit_actions().await.len(),
        before,
        "no failed request changed anything"
    );
}

#[tokio::test]
async fn if_match_refuses_a_change_based_on_an_old_read() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let a = grace.api_token("Script A", "user_admin").await;
    let b = grace.api_token("Script B", "user_admin").await;
    let created = a
        .post(
            "/users",
            json!({"display_name": "Ada", "sign_in_name": "ada@example.org"}),
        )
        .await;
    let id = created.body["id"].as_i64().unwrap();
    let read_a = a.get(&format!("/users/{id}")).await;
    let read_b = b.get(&format!("/users/{id}")).await;
    let tag = read_a.header("etag").unwrap();
    assert_eq!(read_b.header("etag").unwrap(), tag);
    async fn put(api: &Api, id: i64, tag: &str, name: &str) -> crate::common::Answer {
        api.send(
            api.http
                .put(api.url(&format!("/users/{id}")))
                .header("if-match", tag)
                .json(&json!({"display_name": name, "sign_in_name": "ada@example.org"})),
        )
        .await
    }
    let first = put(&a, id, &tag, "Ada Lovelace").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body["display_name"], "Ada Lovelace");
    let new_tag = first.header("etag").unwrap();
    assert_ne!(new_tag, tag);
    put(&b, id, &tag, "Ada Byron")
        .await
        .problem(412, "precondition-failed");
    let now = a.get(&format!("/users/{id}")).await;
    assert_eq!(
        now.body["display_name"], "Ada Lovelace",
        "B's stale write was refused"
    );
    assert_eq!(
        put(&b, id, &new_tag, "Ada Byron").await.status,
        StatusCode::OK
    );
    // Groups too: a rename based on an old read is refused.
    let group = a.post("/groups", json!({"name": "Sales"})).await;
    let gid = group.body["id"].as_i64().unwrap();
    let gtag = a
        .get(&format!("/groups/{gid}"))
        .await
        .header("etag")
        .unwrap();
    let rename = |api: &Api, tag: &str, name: &str| {
        api.http
            .put(api.url(&format!("/groups/{gid}")))
            .header("if-match", tag)
            .json(&json!({"name": name}))
    };
    let first = a.send(rename(&a, &gtag, "Sales EMEA")).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    b.send(rename(&b, &gtag, "Sales APAC"))
        .await
        .problem(412, "precondition-failed");
    assert_eq!(
        a.get(&format!("/groups/{gid}")).await.body["name"],
        "Sales EMEA"
    );

    // Without If-Match the last write wins, as in the UI.
    let plain = b
        .put(
            &format!("/users/{id}"),
            json!({"display_name": "Countess", "sign_in_name": "ada@example.org"}),
        )
        .await;
    assert_eq!(plain.status, StatusCode::OK);
}

#[tokio::test]
async fn pages_visit_every_row_exactly_once_following_next_and_link() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    import_users(&grace, 230).await;
    let api = grace.api_token("Export", "reader").await;
    for query in ["/users?sort=department&desc=true", "/users?q=dept%203"] {
        let mut seen = BTreeSet::new();
        let mut visits = 0;
        let mut next = Some(query.to_string());
        let mut total = None;
        while let Some(path) = next.take() {
            let page = api.get(&path).await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.body);
            total = page.body["total"].as_i64();
            for item in page.body["items"].as_array().unwrap() {
                visits += 1;
                seen.insert(item["id"].as_i64().unwrap());
            }
            match (
                page.body.get("next").and_then(Value::as_str),
                page.header("link"),
            ) {
                (Some(cursor), Some(link)) => {
                    assert!(link.contains("rel=\"next\""), "{link}");
                    let target = link
                        .trim_start_matches('<')
                        .split('>')
                        .next()
                        .unwrap()
                        .to_string();
                    assert!(target.contains("cursor="), "{target}");
                    let _ = cursor;
                    next = Some(target);
                }
                (None, None) => {}
                other => panic!("next and Link disagree: {other:?}"),
            }
        }
        assert_eq!(visits, seen.len(), "{query}: no row twice");
        assert_eq!(Some(seen.len() as i64), total, "{query}: every row once");
    }
    let bad = api.get("/users?cursor=forged").await;
    assert!(bad.status.is_client_error(), "{}", bad.body);
}

#[tokio::test]
async fn every_documented_operation_is_served_and_the_document_is_public() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let api = grace.api_token("Doc check", "global_admin").await;
    let doc: Value = reqwest::get(format!("{}/api/v1/openapi.json", api.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 15, "{}", paths.len());
    for (path, item) in paths {
        assert!(path.starts_with("/api/v1/"), "{path}");
        let concrete = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "1" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        for method in item.as_object().unwrap().keys() {
            let m = match method.as_str() {
                "get" => reqwest::Method::GET,
                "post" => reqwest::Method::POST,
                "put" => reqwest::Method::PUT,
                "delete" => reqwest::Method::DELETE,
                "patch" => reqwest::Method::PATCH,
                _ => continue,
            };
            let res = api
                .send(
                    api.http
                        .request(m, format!("{}{concrete}", api.base))
                        .json(&json!({})),
                )
                .await;
            assert_ne!(
                res.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
            assert!(
                !res.body["detail"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("no such resource"),
                "{method} {path} is documented but not served"
            );
            assert!(res.status.as_u16() < 500, "{method} {path}: {}", res.body);
        }
    }
    // The reference page answers (its script is only there in a built site).
    let page = reqwest::get(format!("{}/api/docs", api.base))
        .await
        .unwrap();
    assert!(
        [StatusCode::OK, StatusCode::NOT_FOUND].contains(&page.status()),
        "{}",
        page.status()
    );
}

#[tokio::test]
async fn a_burst_over_the_documented_rate_is_answered_429_with_retry_after() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let api = std::sync::Arc::new(grace.api_token("Busy script", "reader").await);
    const N: usize = 600;
    let started = std::time::Instant::now();
    let mut tasks = vec![];
    for _ in 0..N {
        let api = api.clone();
        tasks.push(tokio::spawn(async move {
            let res = api.get("/nowhere").await;
            (res.status, res.header("retry-after"))
        }));
    }
    let (mut served, mut limited) = (0, 0);
    for t in tasks {
        let (status, retry_after) = t.await.unwrap();
        match status.as_u16() {
            404 => served += 1,
            429 => {
                limited += 1;
                assert!(retry_after.unwrap().parse::<u64>().unwrap() >= 1);
            }
            other => panic!("unexpected {other}"),
        }
    }
    let secs = started.elapsed().as_secs_f64();
    // The bucket holds 200 and refills 50 a second.
    assert!(
        served as f64 <= 200.0 + 50.0 * secs + 1.0,
        "{served} served in {secs:.2}s"
    );
    assert_eq!(served + limited, N);
    if secs < 7.0 {
        assert!(limited > 0, "{served} served, none limited, in {secs:.2}s");
    }
    // Another token is not held back by this one.
    let other = grace.api_token("Quiet script", "reader").await;
    assert_eq!(other.get("/users").await.status, StatusCode::OK);
}
