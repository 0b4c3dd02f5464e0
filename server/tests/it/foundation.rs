//! Foundation stories, run on SQLite and (with LICENSEDESK_TEST_DATABASE) on PostgreSQL:
//! setup, sign-in, roles, sign-out, throttling, CSRF, deny-by-default server functions, the last
//! Global admin, sessions, the audit log.

use crate::common::{PASSWORD, TestApp};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn setup_sign_in_role_enforcement_sign_out() {
    let app = TestApp::spawn().await;
    let anon = app.client();
    let (_, status) = anon.call_json("setup_status", &[]).await;
    assert_eq!(status, json!({"needs_setup": true, "org_name": ""}));

    let grace = app.setup().await;
    let (code, me) = grace.call_json("me", &[]).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(me["username"], "grace");
    assert_eq!(me["role"], "GlobalAdmin");
    assert_eq!(me["org_name"], "Northwind Health");

    // Setup is closed now, for everyone.
    let (code, body) = app
        .client()
        .call_json(
            "setup",
            &[
                ("org_name", "Evil"),
                ("username", "mallory"),
                ("display_name", "Mallory"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(code, StatusCode::CONFLICT, "{body}");
    assert_eq!(app.services.admin_count().await.unwrap(), 1);

    // Each role gets exactly what D-4 gives it.
    let reader = app.admin_with_role(&grace, "rita", "reader").await;
    let licenses = app.admin_with_role(&grace, "lars", "license_admin").await;
    let billing = app.admin_with_role(&grace, "bea", "billing_admin").await;
    for (who, name) in [
        (&reader, "reader"),
        (&licenses, "license"),
        (&billing, "billing"),
    ] {
        // Every role reads the admin accounts (D-4: the Reader reads everything); only a
        // Global admin changes them.
        let (code, _) = who.call("admins_list", &[]).await;
        assert_eq!(code, StatusCode::OK, "{name} reads the admin list");
        let (code, _) = who
            .call(
                "admins_add",
                &[
                    ("username", "x1"),
                    ("display_name", "x"),
                    ("role", "global_admin"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(code, StatusCode::FORBIDDEN, "{name} must not add admins");
        let (code, _) = who.call("audit_list", &[]).await;
        assert_eq!(code, StatusCode::OK, "{name} may read the audit log");
    }
    let (code, list) = grace.call_json("admins_list", &[]).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 4);
    assert!(
        !list.to_string().contains("argon2"),
        "no password hash leaves the server"
    );

    // Pages: a Reader reads Settings without the controls that change admins; the Global admin
    // has them.
    let page = reader.get("/settings/admins").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(!page.text().await.unwrap().contains("add-admin-title"));
    let page = grace.get("/settings/admins").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("add-admin-title"));

    // Sign-out ends the session on the server.
    let (code, _) = reader.call("sign_out", &[]).await;
    assert!(code.is_success() || code.is_redirection());
    let (_, me) = reader.call_json("me", &[]).await;
    assert_eq!(me, json!(null));
    assert_eq!(
        reader.call("audit_list", &[]).await.0,
        StatusCode::UNAUTHORIZED
    );

    let actions = app.audit_actions().await;
    for expected in [
        "setup.completed",
        "admin.created",
        "auth.sign_in",
        "auth.sign_out",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "audit has {expected}: {actions:?}"
        );
    }
}

#[tokio::test]
async fn anonymous_pages_redirect_to_sign_in_and_unknown_pages_are_404() {
    let app = TestApp::spawn().await;
    app.setup().await;
    let anon = app.client();
    let res = anon.get("/settings/admins").await;
    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!(res.headers()["location"], "/login");
    assert_eq!(
        anon.get("/no/such/page").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(anon.get("/login").await.status(), StatusCode::OK);
    assert_eq!(anon.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(anon.get("/readyz").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn wrong_password_is_refused_and_recorded() {
    let app = TestApp::spawn().await;
    app.setup().await;
    let c = app.client();
    let (code, body) = c.sign_in("grace", "not the password").await;
    assert_eq!(code, StatusCode::UNAUTHORIZED);
    assert_eq!(body, "\"SignInFailed\"");
    // Unknown accounts get the very same answer.
    let (code, body) = c.sign_in("nobody", "not the password").await;
    assert_eq!(code, StatusCode::UNAUTHORIZED);
    assert_eq!(body, "\"SignInFailed\"");
    assert_eq!(c.call("audit_list", &[]).await.0, StatusCode::UNAUTHORIZED);
    let failed = app
        .audit_actions()
        .await
        .into_iter()
        .filter(|a| a == "auth.sign_in_failed")
        .count();
    assert_eq!(failed, 2);
}

#[tokio::test]
async fn sign_in_is_throttled_per_account_and_per_address() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    app.admin_with_role(&grace, "rita", "reader").await;
    let c = app.client();
    for _ in 0..5 {
        assert_eq!(
            c.sign_in("grace", "wrong").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    // The sixth attempt is refused before the password is even checked — also the right one.
    let res = c
        .http
        .post(format!("{}/api/sign_in", c.base))
        .form(&[("username", "grace"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "retry-after {retry}");
    // Another account from the same address is not locked by the account limit.
    assert!(!c.sign_in("rita", PASSWORD).await.0.is_client_error());
    assert!(
        app.audit_actions()
            .await
            .iter()
            .any(|a| a == "auth.sign_in_throttled")
    );

    // After the window the account may sign in again.
    app.clock.advance(15 * 60 + 1);
    assert!(!c.sign_in("grace", PASSWORD).await.0.is_client_error());

    // Per address: 20 failures across many account names lock the address.
    for i in 0..20 {
        assert_eq!(
            c.sign_in(&format!("guess{i}"), "wrong").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        c.sign_in("rita", PASSWORD).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let attempt = |headers: Vec<(&'static str, &'static str)>| {
        let mut req = grace
            .http
            .post(format!("{}/api/admins_add", grace.base))
            .form(&[
                ("username", "csrf1"),
                ("display_name", "x"),
                ("role", "global_admin"),
                ("password", PASSWORD),
            ]);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.send()
    };
    let res = attempt(vec![
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://evil.example"),
    ])
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = attempt(vec![("origin", "https://evil.example")])
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.services.admin_count().await.unwrap(),
        1,
        "nothing was created"
    );
    // The same request from the portal's own pages succeeds.
    let res = attempt(vec![("sec-fetch-site", "same-origin")])
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.services.admin_count().await.unwrap(), 2);
}

/// Every registered server function refuses anonymous callers, except the known public ones —
/// so a new server function cannot be added unprotected without this test noticing.
#[tokio::test]
async fn every_server_function_refuses_anonymous_callers() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let anon = app.client();
    let paths: Vec<(String, String)> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, method)| (path.to_string(), method.to_string()))
        .collect();
    assert!(paths.len() >= 11, "server functions found: {paths:?}");
    let mut public_seen = vec![];
    for (path, method) in &paths {
        let url = format!("{}{path}", app.base);
        let req = match method.as_str() {
            "GET" => anon.http.get(&url),
            _ => anon.http.post(&url).form(&[("id", "1")]),
        };
        let status = req.send().await.unwrap().status();
        if app::api::PUBLIC_ENDPOINTS.contains(&path.as_str()) {
            public_seen.push(path.clone());
            assert_ne!(status, StatusCode::UNAUTHORIZED, "public {path} answers");
        } else {
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} must refuse anonymous callers"
            );
        }
    }
    public_seen.sort();
    let mut expected: Vec<String> = app::api::PUBLIC_ENDPOINTS
        .iter()
        .map(|s| s.to_string())
        .collect();
    expected.sort();
    assert_eq!(public_seen, expected, "every public endpoint exists");
    // And signed in, the guard lets calls through to the function's own role check.
    assert_eq!(grace.call("admins_list", &[]).await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_last_global_admin_cannot_be_disabled_or_demoted() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let (_, me) = grace.call_json("me", &[]).await;
    let grace_id = me["id"].as_i64().unwrap().to_string();

    let (code, body) = grace
        .call_json(
            "admins_change_role",
            &[("id", &grace_id), ("role", "reader")],
        )
        .await;
    assert_eq!(code, StatusCode::CONFLICT, "{body}");
    let (code, _) = grace
        .call_json(
            "admins_set_enabled",
            &[("id", &grace_id), ("enabled", "false")],
        )
        .await;
    assert_eq!(code, StatusCode::CONFLICT);

    // With a second Global admin the first may step down; then the second is the last one.
    let alan = app.admin_with_role(&grace, "alan", "global_admin").await;
    let (_, alan_me) = alan.call_json("me", &[]).await;
    let alan_id = alan_me["id"].as_i64().unwrap().to_string();
    let (code, _) = alan
        .call(
            "admins_change_role",
            &[("id", &grace_id), ("role", "reader")],
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    let (code, _) = alan
        .call(
            "admins_set_enabled",
            &[("id", &alan_id), ("enabled", "false")],
        )
        .await;
    assert_eq!(code, StatusCode::CONFLICT);
    let globals: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM admins WHERE role = 'global_admin' AND enabled = 1",
    )
    .fetch_one(&app.db().pool)
    .await
    .unwrap();
    assert_eq!(globals, 1);
    // The role change took effect at once: grace is a Reader now (reads, cannot change).
    assert_eq!(grace.call("admins_list", &[]).await.0, StatusCode::OK);
    assert_eq!(
        grace
            .call(
                "admins_set_enabled",
                &[("id", &alan_id), ("enabled", "false")],
            )
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (_, audit) = alan
        .call_json("audit_list", &[("action", "admin.role_changed")])
        .await;
    let item = &audit["items"][0];
    assert_eq!(item["before"], r#"{"role":"global_admin"}"#);
    assert_eq!(item["after"], r#"{"role":"reader"}"#);
    assert_eq!(item["actor"], "alan");
}

#[tokio::test]
async fn concurrent_demotions_leave_one_global_admin() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let alan = app.admin_with_role(&grace, "alan", "global_admin").await;
    let grace_id = id_of(&grace).await;
    let alan_id = id_of(&alan).await;
    // Each demotes the other at the same moment: at most one may succeed.
    let demote_alan = [("id", alan_id.as_str()), ("role", "reader")];
    let demote_grace = [("id", grace_id.as_str()), ("role", "reader")];
    let (a, b) = tokio::join!(
        grace.call("admins_change_role", &demote_alan),
        alan.call("admins_change_role", &demote_grace),
    );
    let ok = [a.0, b.0].iter().filter(|s| **s == StatusCode::OK).count();
    assert!(ok <= 1, "both demotions succeeded: {a:?} {b:?}");
    let globals: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM admins WHERE role = 'global_admin' AND enabled = 1",
    )
    .fetch_one(&app.db().pool)
    .await
    .unwrap();
    assert!(globals >= 1);
}

async fn id_of(c: &crate::common::Client) -> String {
    let (_, me) = c.call_json("me", &[]).await;
    me["id"].as_i64().unwrap().to_string()
}

#[tokio::test]
async fn disabling_or_resetting_ends_the_admins_sessions() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let rita = app.admin_with_role(&grace, "rita", "reader").await;
    let (_, list) = grace.call_json("admins_list", &[]).await;
    let rita_id = list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == "rita")
        .unwrap()["id"]
        .to_string();
    assert_eq!(rita.call("audit_list", &[]).await.0, StatusCode::OK);
    assert_eq!(
        grace
            .call(
                "admins_set_enabled",
                &[("id", &rita_id), ("enabled", "false")]
            )
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        rita.call("audit_list", &[]).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        rita.sign_in("rita", PASSWORD).await.0,
        StatusCode::UNAUTHORIZED
    );

    assert_eq!(
        grace
            .call(
                "admins_set_enabled",
                &[("id", &rita_id), ("enabled", "true")]
            )
            .await
            .0,
        StatusCode::OK
    );
    assert!(!rita.sign_in("rita", PASSWORD).await.0.is_client_error());
    let (code, body) = grace
        .call_json(
            "admins_reset_password",
            &[("id", &rita_id), ("password", "short")],
        )
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["Invalid"]["field"], "password");
    let (code, _) = grace
        .call(
            "admins_reset_password",
            &[("id", &rita_id), ("password", "a brand new passphrase")],
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(
        rita.call("audit_list", &[]).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert!(
        !rita
            .sign_in("rita", "a brand new passphrase")
            .await
            .0
            .is_client_error()
    );
    // The admin who reset it stays signed in.
    assert_eq!(grace.call("admins_list", &[]).await.0, StatusCode::OK);
}

#[tokio::test]
async fn sessions_expire_when_idle_and_after_the_absolute_limit() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    app.clock.advance(29 * 60);
    assert_eq!(grace.call("admins_list", &[]).await.0, StatusCode::OK);
    app.clock.advance(31 * 60);
    assert_eq!(
        grace.call("admins_list", &[]).await.0,
        StatusCode::UNAUTHORIZED
    );

    // Active all day: still signed out once 12 hours have passed since sign-in.
    assert!(!grace.sign_in("grace", PASSWORD).await.0.is_client_error());
    for _ in 0..(12 * 3) {
        assert_eq!(grace.call("admins_list", &[]).await.0, StatusCode::OK);
        app.clock.advance(20 * 60);
    }
    app.clock.advance(1);
    assert_eq!(
        grace.call("admins_list", &[]).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn bad_admin_input_names_the_field_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let cases = [
        (("x", "Name", "reader", PASSWORD), "username"),
        (("has space", "Name", "reader", PASSWORD), "username"),
        (("valid.name", " ", "reader", PASSWORD), "display_name"),
        (("valid.name", "Name", "root", PASSWORD), "role"),
        (("valid.name", "Name", "reader", "short"), "password"),
        (("GRACE", "Name", "reader", PASSWORD), "username"), // duplicate, case-insensitive
    ];
    for ((username, display, role, password), field) in cases {
        let (code, body) = grace
            .call_json(
                "admins_add",
                &[
                    ("username", username),
                    ("display_name", display),
                    ("role", role),
                    ("password", password),
                ],
            )
            .await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{username}: {body}");
        assert_eq!(body["Invalid"]["field"], field, "{body}");
        assert!(!body.to_string().to_lowercase().contains("sql"), "{body}");
    }
    assert_eq!(app.services.admin_count().await.unwrap(), 1);
}

#[tokio::test]
async fn the_audit_log_is_append_only_in_the_database() {
    let app = TestApp::spawn().await;
    app.setup().await;
    let update = sqlx::query("UPDATE audit_log SET action = 'x'")
        .execute(&app.db().pool)
        .await;
    assert!(update.is_err(), "UPDATE must be refused");
    let delete = sqlx::query("DELETE FROM audit_log")
        .execute(&app.db().pool)
        .await;
    assert!(delete.is_err(), "DELETE must be refused");
    assert!(!app.audit_actions().await.is_empty());
}

#[tokio::test]
async fn audit_log_filters_and_pages() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    for i in 0..60 {
        let _ = app.client().sign_in(&format!("nobody{i}"), "wrong").await;
        app.clock.advance(60); // stay under the per-address limit
        if i % 15 == 14 {
            app.clock.advance(15 * 60);
        }
    }
    // Two simulated hours passed: sign in again.
    assert!(!grace.sign_in("grace", PASSWORD).await.0.is_client_error());
    let (_, first) = grace
        .call_json("audit_list", &[("action", "auth.sign_in_failed")])
        .await;
    let items = first["items"].as_array().unwrap();
    assert_eq!(items.len(), 50);
    assert!(items.iter().all(|i| i["action"] == "auth.sign_in_failed"));
    let next = first["next"].as_i64().unwrap().to_string();
    let (_, second) = grace
        .call_json(
            "audit_list",
            &[("action", "auth.sign_in_failed"), ("before_id", &next)],
        )
        .await;
    assert_eq!(second["items"].as_array().unwrap().len(), 10);
    assert_eq!(second["next"], json!(null));
    let (_, by_actor) = grace.call_json("audit_list", &[("actor", "nobody4")]).await;
    // nobody4, nobody40..nobody49
    assert_eq!(by_actor["items"].as_array().unwrap().len(), 11);
    // LIKE wildcards in the filter are taken literally.
    let (_, none) = grace.call_json("audit_list", &[("actor", "%")]).await;
    assert_eq!(none["items"].as_array().unwrap().len(), 0);
}
