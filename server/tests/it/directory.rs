//! Directory stories on SQLite and PostgreSQL: users, groups, devices, detected software, CSV
//! import (all or nothing) and export (round trip), roles, audit.

use crate::common::{Client, TestApp};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn import(c: &Client, kind: &str, body: impl Into<reqwest::Body>) -> (StatusCode, Value) {
    let res = c
        .http
        .post(format!("{}/api/directory/import/{kind}", c.base))
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn export(c: &Client, kind: &str) -> String {
    let res = c.get(&format!("/api/directory/export/{kind}.csv")).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.text().await.unwrap()
}

async fn count(app: &TestApp, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_one(&app.db().pool)
        .await
        .unwrap()
}

async fn add_user(c: &Client, name: &str, sign_in: &str, dept: &str) -> (StatusCode, Value) {
    c.call_json(
        "users_save",
        &[
            ("display_name", name),
            ("sign_in_name", sign_in),
            ("department", dept),
        ],
    )
    .await
}

#[tokio::test]
async fn users_rules_and_roles() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let (code, id) = add_user(&grace, "Ada Lovelace", "Ada@Contoso.com", "Research").await;
    assert_eq!(code, StatusCode::OK, "{id}");
    let id = id.as_i64().unwrap().to_string();

    // Bad input: each names its field; nothing is stored.
    let long = "x".repeat(129);
    for ((name, sign_in, dept), field) in [
        (("", "b@contoso.com", ""), "display_name"),
        ((long.as_str(), "b@contoso.com", ""), "display_name"),
        (("Bob", "bob", ""), "sign_in_name"),
        (("Bob", "bob@", ""), "sign_in_name"),
        (("Ada Again", "ada@contoso.COM", ""), "sign_in_name"), // duplicate, case-insensitive
    ] {
        let (code, body) = add_user(&grace, name, sign_in, dept).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{sign_in}: {body}");
        assert_eq!(body["Invalid"]["field"], field, "{body}");
    }
    assert_eq!(count(&app, "dir_users").await, 1);

    // Edit keeps the enabled state; disable and enable are their own, audited, actions.
    let (code, _) = grace
        .call_json(
            "users_save",
            &[
                ("id", &id),
                ("display_name", "Ada King"),
                ("sign_in_name", "ada@contoso.com"),
                ("department", "R&D"),
            ],
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(
        grace
            .call("users_set_enabled", &[("id", &id), ("enabled", "false")])
            .await
            .0,
        StatusCode::OK
    );
    let (_, detail) = grace.call_json("users_get", &[("id", &id)]).await;
    assert_eq!(detail["user"]["display_name"], "Ada King");
    assert_eq!(detail["user"]["enabled"], false);
    let (_, audit) = grace.call_json("audit_list", &[("action", "user.")]).await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["user.disabled", "user.updated", "user.created"]);
    let updated = &audit["items"][1];
    assert!(updated["before"].as_str().unwrap().contains("Ada Lovelace"));
    assert!(updated["after"].as_str().unwrap().contains("Ada King"));

    // Readers, License admins and Billing admins read but do not change the directory.
    for role in ["reader", "license_admin", "billing_admin"] {
        let c = app
            .admin_with_role(&grace, &format!("r-{role}"), role)
            .await;
        assert_eq!(
            c.call("users_list", &[]).await.0,
            StatusCode::OK,
            "{role} reads"
        );
        assert_eq!(
            add_user(&c, "Eve", "eve@contoso.com", "").await.0,
            StatusCode::FORBIDDEN,
            "{role}"
        );
        assert_eq!(
            c.call("users_delete", &[("id", &id)]).await.0,
            StatusCode::FORBIDDEN,
            "{role}"
        );
        let (code, _) = import(
            &c,
            "users",
            "display_name,sign_in_name,department,enabled\n",
        )
        .await;
        assert_eq!(code, StatusCode::FORBIDDEN, "{role} may not import");
    }
    // A User admin may.
    let ua = app.admin_with_role(&grace, "useradmin", "user_admin").await;
    assert_eq!(
        add_user(&ua, "Eve", "eve@contoso.com", "").await.0,
        StatusCode::OK
    );
    assert_eq!(
        ua.call("users_delete", &[("id", &id)]).await.0,
        StatusCode::OK
    );
    assert_eq!(count(&app, "dir_users").await, 1);
    assert_eq!(
        ua.call("users_get", &[("id", &id)]).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn keyset_pages_cover_every_user_once_in_order() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let mut csv = String::from("display_name,sign_in_name,department,enabled\n");
    for i in 0..130 {
        // Same display names in pairs, to exercise the id tie-breaker.
        csv.push_str(&format!(
            "Person {:03},p{i}@contoso.com,Dept {},true\n",
            i / 2,
            i % 7
        ));
    }
    let (code, report) = import(&grace, "users", csv).await;
    assert_eq!(code, StatusCode::OK, "{report}");
    assert_eq!(report["created"], 130);

    for (sort, desc) in [
        ("name", "false"),
        ("name", "true"),
        ("department", "false"),
        ("created", "true"),
    ] {
        let mut seen = vec![];
        let mut after: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut form = vec![("sort", sort), ("desc", desc)];
            if let Some(a) = &after {
                form.push(("after", a.as_str()));
            }
            let (code, page) = grace.call_json("users_list", &form).await;
            assert_eq!(code, StatusCode::OK, "{page}");
            assert_eq!(page["total"], 130);
            for item in page["items"].as_array().unwrap() {
                seen.push((
                    item["display_name"].as_str().unwrap().to_string(),
                    item["department"].as_str().unwrap().to_string(),
                    item["id"].as_i64().unwrap(),
                ));
            }
            pages += 1;
            match page["next"].as_str() {
                Some(n) => after = Some(n.to_string()),
                None => break,
            }
        }
        assert_eq!(pages, 3, "{sort}");
        let mut ids: Vec<i64> = seen.iter().map(|s| s.2).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 130, "{sort} {desc}: every user exactly once");
        if sort == "name" {
            let names: Vec<&String> = seen.iter().map(|s| &s.0).collect();
            let mut sorted = names.clone();
            sorted.sort();
            if desc == "true" {
                sorted.reverse();
            }
            assert_eq!(names, sorted);
        }
    }
    // A forged cursor is refused with a clear message, not a server error.
    let (code, _) = grace
        .call_json("users_list", &[("after", "not-a-cursor")])
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn search_finds_name_sign_in_and_department() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    add_user(&grace, "Ada Lovelace", "ada@contoso.com", "Research").await;
    add_user(&grace, "Alan Turing", "alan@contoso.com", "Cryptography").await;
    add_user(&grace, "Grace 100%", "grace@contoso.com", "Navy").await;
    for (q, expected) in [
        ("love", 1),
        ("CONTOSO", 3),
        ("crypt", 1),
        ("a", 3),
        ("%", 1),
        ("zzz", 0),
    ] {
        let (_, page) = grace.call_json("users_list", &[("q", q)]).await;
        assert_eq!(page["total"], expected, "q={q}");
        let (_, hits) = grace.call_json("users_search", &[("q", q)]).await;
        assert_eq!(
            hits.as_array().unwrap().len() as i64,
            expected,
            "type-ahead q={q}"
        );
    }
}

#[tokio::test]
async fn groups_members_and_effective_members() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let mut ids = vec![];
    for (n, s) in [
        ("Ada", "ada@x.com"),
        ("Alan", "alan@x.com"),
        ("Grace", "grace@x.com"),
    ] {
        ids.push(add_user(&grace, n, s, "").await.1.as_i64().unwrap());
    }
    let (code, gid) = grace
        .call_json(
            "groups_save",
            &[("name", "Developers"), ("description", "Builders")],
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    let gid = gid.as_i64().unwrap().to_string();
    let (code, body) = grace
        .call_json(
            "groups_save",
            &[("name", "developers"), ("description", "")],
        )
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["Invalid"]["field"], "name");
    let (code, _) = grace
        .call_json("groups_save", &[("name", " "), ("description", "")])
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);

    let all = format!("{},{},{}", ids[0], ids[1], ids[2]);
    let (code, n) = grace
        .call_json(
            "groups_members",
            &[("group_id", &gid), ("user_ids", &all), ("add", "true")],
        )
        .await;
    assert_eq!((code, n), (StatusCode::OK, json!(3)));
    // Adding again changes nothing; unknown users are refused as a whole.
    let (_, n) = grace
        .call_json(
            "groups_members",
            &[("group_id", &gid), ("user_ids", &all), ("add", "true")],
        )
        .await;
    assert_eq!(n, json!(0));
    let (code, _) = grace
        .call_json(
            "groups_members",
            &[("group_id", &gid), ("user_ids", "999999"), ("add", "true")],
        )
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    let one = ids[1].to_string();
    grace
        .call_json(
            "groups_members",
            &[("group_id", &gid), ("user_ids", &one), ("add", "false")],
        )
        .await;

    let (_, detail) = grace.call_json("groups_get", &[("id", &gid)]).await;
    assert_eq!(detail["group"]["member_count"], 2);
    let gid_num: i64 = gid.parse().unwrap();
    let directory = licensedesk::directory::Directory {
        db: app.db().clone(),
        clock: app.clock.clone(),
    };
    assert_eq!(
        directory.effective_member_ids(gid_num).await.unwrap(),
        vec![ids[0], ids[2]]
    );
    let (_, user) = grace
        .call_json("users_get", &[("id", &ids[0].to_string())])
        .await;
    assert_eq!(user["groups"], json!([[gid_num, "Developers"]]));
    let (_, list) = grace.call_json("groups_list", &[("q", "dev")]).await;
    assert_eq!(list["items"][0]["member_count"], 2);

    assert_eq!(
        grace.call("groups_delete", &[("id", &gid)]).await.0,
        StatusCode::OK
    );
    assert_eq!(count(&app, "dir_group_members").await, 0);
    let actions = app.audit_actions().await;
    for a in [
        "group.created",
        "group.members_added",
        "group.members_removed",
        "group.deleted",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a}");
    }
}

const USERS_CSV: &str = "display_name,sign_in_name,department,enabled\n\
    \"Lovelace, Ada\",ada@contoso.com,Research,true\n\
    Alan Turing,alan@contoso.com,Cryptography,false\n";
const GROUPS_CSV: &str = "name,description,members\nDevelopers,People who build,ada@contoso.com;alan@contoso.com\nEmpty,,\n";
const DEVICES_CSV: &str = "name,platform,os_version,primary_user,join_type,last_check_in\n\
    CP-W1,windows,10.0.26100,ada@contoso.com,domain_joined,2026-11-20T08:00:00Z\n\
    iPhone-Ada,ios,18.1,ada@contoso.com,,\n";
const SOFTWARE_CSV: &str = "device,publisher,product,version\n\
    CP-W1,Microsoft,Visio Professional 2021,16.0\n\
    CP-W1,Microsoft Research,Z3 Theorem Prover,4.13\n";

#[tokio::test]
async fn csv_import_is_all_or_nothing_with_line_numbered_errors() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let cases: Vec<(&str, Vec<u8>, u64, &str)> = vec![
        ("users", b"name,email\nAda,ada@x.com\n".to_vec(), 1, "header"),
        ("users", b"display_name,sign_in_name,department,enabled\nAda,ada@x.com,R,true\nBob,bob,R,true\n".to_vec(), 3, "sign_in_name"),
        ("users", b"display_name,sign_in_name,department,enabled\nAda,ada@x.com,R,true\nB\xe9,b@x.com,R,true\n".to_vec(), 3, "file"),
        ("users", b"display_name,sign_in_name,department,enabled\nAda,ada@x.com,R,true\nAda,ADA@x.com,R,true\n".to_vec(), 3, "sign_in_name"),
        ("users", b"display_name,sign_in_name,department,enabled\nAda,ada@x.com,R\n".to_vec(), 2, "row"),
        ("users", b"display_name,sign_in_name,department,enabled\n,ada@x.com,R,true\n".to_vec(), 2, "display_name"),
        ("groups", b"name,description,members\nDevs,,nobody@x.com\n".to_vec(), 2, "members"),
        ("devices", b"name,platform,os_version,primary_user,join_type,last_check_in\nPC1,beos,1,,,\n".to_vec(), 2, "platform"),
        ("devices", b"name,platform,os_version,primary_user,join_type,last_check_in\nPC1,ios,1,,domain_joined,\n".to_vec(), 2, "join_type"),
        ("software", b"device,publisher,product,version\nNOPE,Microsoft,Visio,1\n".to_vec(), 2, "device"),
    ];
    for (kind, body, line, field) in cases {
        let (code, report) = import(&grace, kind, body).await;
        assert_eq!(
            code,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{kind} {field}: {report}"
        );
        let first = &report["errors"][0];
        assert_eq!(
            (
                first["line"].as_u64().unwrap(),
                first["field"].as_str().unwrap()
            ),
            (line, field),
            "{report}"
        );
        assert!(
            report["message"]
                .as_str()
                .unwrap()
                .contains("nothing was imported")
        );
        assert!(!report.to_string().to_lowercase().contains("sql"));
    }
    assert_eq!(
        count(&app, "dir_users").await,
        0,
        "nothing from the good rows was stored"
    );

    // A 50 MB file is refused before it is read, with a clear message.
    let (code, body) = import(&grace, "users", vec![b'a'; 50 * 1024 * 1024]).await;
    assert_eq!(code, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body["message"].as_str().unwrap().contains("20 MB"));

    // Every problem of a file is reported, not only the first.
    let mut bad = String::from("display_name,sign_in_name,department,enabled\n");
    for i in 0..10 {
        bad.push_str(&format!("P{i},not-an-address-{i},D,true\n"));
    }
    let (_, report) = import(&grace, "users", bad).await;
    assert_eq!(report["total"], 10);
    assert_eq!(report["errors"][9]["line"], 11);
}

#[tokio::test]
async fn export_writes_what_import_reads() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    for (kind, csv) in [
        ("users", USERS_CSV),
        ("groups", GROUPS_CSV),
        ("devices", DEVICES_CSV),
        ("software", SOFTWARE_CSV),
    ] {
        let (code, report) = import(&grace, kind, csv).await;
        assert_eq!(code, StatusCode::OK, "{kind}: {report}");
    }
    let exported: Vec<String> = futures_collect(&grace).await;

    // Into a fresh portal: the same four files give the same four exports.
    let other = TestApp::spawn().await;
    let admin = other.setup().await;
    for (kind, csv) in ["users", "groups", "devices", "software"]
        .iter()
        .zip(&exported)
    {
        let (code, report) = import(&admin, kind, csv.clone()).await;
        assert_eq!(code, StatusCode::OK, "{kind}: {report}");
    }
    assert_eq!(futures_collect(&admin).await, exported);
    // Importing the same file twice updates instead of duplicating.
    let (_, report) = import(&admin, "users", exported[0].clone()).await;
    assert_eq!(
        (report["created"].as_u64(), report["updated"].as_u64()),
        (Some(0), Some(2))
    );
    assert!(exported[0].contains("\"Lovelace, Ada\",ada@contoso.com,Research,true"));
    assert!(exported[1].contains("Developers,People who build,ada@contoso.com;alan@contoso.com"));

    // The device page shows its detected software; a non-Windows device reports none.
    let (_, devices) = grace
        .call_json("devices_list", &[("platform", "windows")])
        .await;
    assert_eq!(devices["total"], 1);
    let id = devices["items"][0]["id"].to_string();
    let (_, device) = grace.call_json("devices_get", &[("id", &id)]).await;
    assert_eq!(device["device"]["join_type"], "DomainJoined");
    assert_eq!(device["software"].as_array().unwrap().len(), 2);
}

async fn futures_collect(c: &Client) -> Vec<String> {
    let mut out = vec![];
    for kind in ["users", "groups", "devices", "software"] {
        out.push(export(c, kind).await);
    }
    out
}

#[tokio::test]
async fn an_inventory_agent_reports_a_windows_devices_software() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    import(&grace, "users", USERS_CSV).await;
    import(&grace, "devices", DEVICES_CSV).await;
    let agent = grace.api_token("Inventory agent", "user_admin").await;
    let put = |device: &str, body: Value| {
        agent
            .http
            .put(agent.url(&format!("/devices/{device}/software")))
            .bearer_auth(&agent.token)
            .json(&body)
            .send()
    };
    let res = put(
        "cp-w1",
        json!({"software": [
            {"publisher": "Adobe", "product": "Acrobat Pro", "version": "24.5"},
            {"publisher": "Microsoft", "product": "Visio Professional 2021", "version": "16.0"}
        ]}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(count(&app, "detected_software").await, 2);
    let checked_in: Option<i64> =
        sqlx::query_scalar("SELECT last_check_in FROM dir_devices WHERE name = 'CP-W1'")
            .fetch_one(&app.db().pool)
            .await
            .unwrap();
    assert_eq!(
        checked_in,
        Some(app.clock.now_for_tests()),
        "a report is a check-in"
    );
    let res = put("iPhone-Ada", json!({"software": []})).await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let res = put(
        "CP-W1",
        json!({"software": [{"publisher": "", "product": "X"}]}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = put("nope", json!({"software": []})).await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        count(&app, "detected_software").await,
        2,
        "failed reports change nothing"
    );
    // Without a token — and with only the signed-in browser session — it is refused.
    for c in [&app.client(), &grace] {
        let res = c
            .http
            .put(format!("{}/api/v1/devices/CP-W1/software", c.base))
            .json(&json!({"software": []}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
}
