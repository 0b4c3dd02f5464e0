//! Licenses stories on SQLite and PostgreSQL: number-set uploads (all or nothing), volume and
//! other-software agreements, license groups (limit, delete moves agreements), roles, audit.

use crate::common::{Client, TestApp};
use reqwest::StatusCode;
use serde_json::Value;

async fn upload(
    c: &Client,
    query: &[(&str, &str)],
    body: impl Into<reqwest::Body>,
) -> (StatusCode, Value) {
    let res = c
        .http
        .post(format!("{}/api/licenses/upload", c.base))
        .query(query)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(&app.db().pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn number_set_uploads_store_everything_or_nothing() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let bad_cases: Vec<(&str, Vec<u8>, u64, &str)> = vec![
        (
            "sets.csv",
            b"01-07001,01-07001,Office\n01-07002\n".to_vec(),
            2,
            "row",
        ),
        (
            "sets.csv",
            b"01-07001,01-07001,Office\n01-07002,99999999999999999,Office\n".to_vec(),
            2,
            "second_number",
        ),
        (
            "sets.csv",
            "01-07001,01-07001,Office\n\u{e9}1,2,Office\n"
                .as_bytes()
                .to_vec(),
            2,
            "file",
        ),
        (
            "sets.csv",
            b"01-07001,01-07001,Office<2026>\n".to_vec(),
            1,
            "name",
        ),
    ];
    for (file, body, line, field) in bad_cases {
        let (code, report) = upload(&grace, &[("file_name", file)], body).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{report}");
        assert_eq!(
            (
                report["errors"][0]["line"].as_u64().unwrap(),
                report["errors"][0]["field"].as_str().unwrap()
            ),
            (line, field),
            "{report}"
        );
    }
    let long_name = format!("{}.csv", "f".repeat(125));
    let (code, _) = upload(&grace, &[("file_name", &long_name)], "a,b,X\n").await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    let too_many: String = (0..5_001).map(|i| format!("A{i},L{i}\n")).collect();
    let (code, report) = upload(
        &grace,
        &[("file_name", "many.csv"), ("name", "EA")],
        too_many,
    )
    .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{report}");
    assert_eq!(
        count(&app, "agreements").await,
        0,
        "no invalid upload stored anything"
    );
    assert_eq!(count(&app, "agreement_number_sets").await, 0);

    // 5,000 sets in one file, into a new group named on the spot.
    let full: String = (0..5_000).map(|i| format!("A{i},L{i}\n")).collect();
    let (code, report) = upload(
        &grace,
        &[
            ("file_name", "ea.csv"),
            ("name", "Enterprise 2026"),
            ("group", "new"),
            ("new_group", "Microsoft EA"),
        ],
        full,
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{report}");
    assert_eq!(
        (report["agreements"].as_u64(), report["sets"].as_u64()),
        (Some(1), Some(5_000))
    );
    // Lines with names make agreements of those names; an existing name is refused by line.
    let (code, report) = upload(
        &grace,
        &[("file_name", "mixed.csv")],
        "01-07001, 01-07001, Office agreements\r\n02-1,02-2,Visio\r\n",
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{report}");
    assert_eq!(report["agreements"], 2);
    let (code, report) = upload(&grace, &[("file_name", "again.csv")], "9,9,Visio\n").await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(report["errors"][0]["field"], "name");
    let (_, list) = grace.call_json("agreements_list", &[]).await;
    assert_eq!(list["total"], 3);
    let ea = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "Enterprise 2026")
        .unwrap();
    assert_eq!(ea["group_name"], "Microsoft EA");
    assert_eq!(
        ea["publisher"],
        Value::Null,
        "a volume agreement has no product title"
    );
}

#[tokio::test]
async fn volume_agreement_by_hand_with_several_sets() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let form = [
        ("name", "Open Value 2026"),
        ("firsts[0]", "V1234567"),
        ("seconds[0]", "V1234567"),
        ("firsts[1]", "V7654321"),
        ("seconds[1]", "V7654321"),
        ("group", "unassigned"),
    ];
    let (code, id) = grace.call_json("agreements_add_volume", &form).await;
    assert_eq!(code, StatusCode::OK, "{id}");
    let (_, list) = grace.call_json("agreements_list", &[]).await;
    let a = &list["items"][0];
    assert_eq!(a["sets"].as_array().unwrap().len(), 2);
    assert_eq!(a["sets"][0]["status"], "Pending");
    assert_eq!(a["group_name"], "Unassigned agreements");
    // Same name again (any case) is refused, as are bad numbers; nothing is stored.
    let (code, body) = grace
        .call_json(
            "agreements_add_volume",
            &[
                ("name", "open value 2026"),
                ("firsts[0]", "1"),
                ("seconds[0]", "2"),
                ("group", "unassigned"),
            ],
        )
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["Invalid"]["field"], "name");
    let (code, body) = grace
        .call_json(
            "agreements_add_volume",
            &[
                ("name", "Other"),
                ("firsts[0]", "12345678901234567"),
                ("seconds[0]", "2"),
                ("group", "unassigned"),
            ],
        )
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["Invalid"]["field"], "sets.0.first");
    assert_eq!(count(&app, "agreements").await, 1);
}

#[tokio::test]
async fn other_software_agreements_choose_from_the_catalog() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let (_, publishers) = grace
        .call_json("catalog_publishers", &[("q", "soft")])
        .await;
    let publishers: Vec<&str> = publishers
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(
        publishers.contains(&"Microsoft") && publishers.contains(&"Microsoft Research"),
        "{publishers:?}"
    );
    let (_, products) = grace
        .call_json(
            "catalog_products",
            &[("publisher", "Microsoft"), ("q", "visio")],
        )
        .await;
    assert_eq!(products[0], "Visio Professional 2021");

    let base = |name: &'static str,
                count: &'static str,
                start: &'static str,
                end: &'static str,
                product: &'static str| {
        vec![
            ("form[name]", name),
            ("form[publisher]", "Microsoft"),
            ("form[product]", product),
            ("form[license_count]", count),
            ("form[starts_on]", start),
            ("form[ends_on]", end),
            ("form[details]", "Contact: reseller"),
            ("form[group]", "unassigned"),
        ]
    };
    for (form, field) in [
        (
            base("Visio retail", "0", "", "", "Visio Professional 2021"),
            "license_count",
        ),
        (
            base(
                "Visio retail",
                "10",
                "2026-05-01",
                "2026-04-30",
                "Visio Professional 2021",
            ),
            "ends_on",
        ),
        (
            base("Visio retail", "10", "", "", "Not A Real Product"),
            "product",
        ),
    ] {
        let (code, body) = grace.call_json("agreements_add_other", &form).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["Invalid"]["field"], field);
    }
    let (code, _) = grace
        .call_json(
            "agreements_add_other",
            &base(
                "Visio retail",
                "10",
                "2026-01-01",
                "2026-12-31",
                "Visio Professional 2021",
            ),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    let (_, list) = grace.call_json("agreements_list", &[("q", "visio")]).await;
    assert_eq!(list["items"][0]["license_count"], 10);
    assert_eq!(list["items"][0]["product"], "Visio Professional 2021");
}

#[tokio::test]
async fn license_groups_limit_rename_and_delete_moves_agreements() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let (code, gid) = grace
        .call_json("license_groups_create", &[("group_name", "Adobe")])
        .await;
    assert_eq!(code, StatusCode::OK);
    let gid = gid.as_i64().unwrap().to_string();
    for name in ["One", "Two"] {
        let (code, _) = grace
            .call_json(
                "agreements_add_volume",
                &[
                    ("name", name),
                    ("firsts[0]", name),
                    ("seconds[0]", "1"),
                    ("group", "existing"),
                    ("group_id", &gid),
                ],
            )
            .await;
        assert_eq!(code, StatusCode::OK);
    }
    assert_eq!(
        grace
            .call(
                "license_groups_rename",
                &[("id", &gid), ("group_name", "Adobe ETLA")]
            )
            .await
            .0,
        StatusCode::OK
    );
    let (code, body) = grace
        .call_json("license_groups_create", &[("group_name", "adobe etla")])
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (code, moved) = grace
        .call_json("license_groups_delete", &[("id", &gid)])
        .await;
    assert_eq!((code, moved.as_i64()), (StatusCode::OK, Some(2)));
    let (_, list) = grace.call_json("agreements_list", &[]).await;
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["group_name"] == "Unassigned agreements")
    );
    // The built-in group can be neither renamed nor deleted.
    let (_, groups) = grace.call_json("license_groups_list", &[]).await;
    let unassigned = groups[0]["id"].to_string();
    assert_eq!(groups[0]["builtin"], true);
    assert_eq!(
        grace
            .call("license_groups_delete", &[("id", &unassigned)])
            .await
            .0,
        StatusCode::CONFLICT
    );
    assert_eq!(
        grace
            .call(
                "license_groups_rename",
                &[("id", &unassigned), ("group_name", "X")]
            )
            .await
            .0,
        StatusCode::CONFLICT
    );

    // At most 500 groups, also when asked for concurrently.
    let now = app.clock.now_for_tests();
    for i in 0..498 {
        sqlx::query("INSERT INTO license_groups (name, name_key, builtin, created_at, updated_at) VALUES ($1, $2, 0, $3, $3)")
            .bind(format!("G{i}"))
            .bind(format!("g{i}"))
            .bind(now)
            .execute(&app.db().pool)
            .await
            .unwrap();
    }
    let (a, b, c) = tokio::join!(
        grace.call_json("license_groups_create", &[("group_name", "Last A")]),
        grace.call_json("license_groups_create", &[("group_name", "Last B")]),
        grace.call_json("license_groups_create", &[("group_name", "Last C")]),
    );
    let ok = [&a, &b, &c]
        .iter()
        .filter(|r| r.0 == StatusCode::OK)
        .count();
    assert_eq!(ok, 2, "{a:?} {b:?} {c:?}");
    let refused = [&a, &b, &c]
        .into_iter()
        .find(|r| r.0 != StatusCode::OK)
        .unwrap();
    assert_eq!(refused.0, StatusCode::CONFLICT);
    assert!(refused.1.to_string().contains("500"));
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM license_groups WHERE builtin = 0")
        .fetch_one(&app.db().pool)
        .await
        .unwrap();
    assert_eq!(total, 500);
}

#[tokio::test]
async fn only_license_and_global_admins_change_agreements() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    for (role, allowed) in [
        ("license_admin", true),
        ("user_admin", false),
        ("billing_admin", false),
        ("reader", false),
    ] {
        let c = app
            .admin_with_role(&grace, &format!("who-{role}"), role)
            .await;
        let (code, _) = c
            .call_json(
                "license_groups_create",
                &[("group_name", &format!("G {role}"))],
            )
            .await;
        assert_eq!(code == StatusCode::OK, allowed, "{role}");
        let (code, _) = upload(&c, &[("file_name", "x.csv")], format!("1,2,A {role}\n")).await;
        assert_eq!(code == StatusCode::OK, allowed, "{role} upload");
        assert_eq!(
            c.call("agreements_list", &[]).await.0,
            StatusCode::OK,
            "{role} reads"
        );
    }
    let actions = app.audit_actions().await;
    assert!(actions.iter().any(|a| a == "license_group.created"));
    assert!(actions.iter().any(|a| a == "agreement.created"));
}

#[tokio::test]
async fn installation_and_purchase_reports() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    // No managed computers: the report says so instead of showing an empty table.
    let (_, empty) = grace.call_json("report_installation", &[]).await;
    assert_eq!(empty["managed_computers"], 0);

    let post = |kind: &'static str, body: String| {
        let c = &grace;
        async move {
            c.http
                .post(format!("{}/api/directory/import/{kind}", c.base))
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let mut devices =
        String::from("name,platform,os_version,primary_user,join_type,last_check_in\n");
    let mut software = String::from("device,publisher,product,version\n");
    for i in 0..5 {
        devices.push_str(&format!("PC{i},windows,10.0,,domain_joined,\n"));
        software.push_str(&format!("PC{i},Adobe,Acrobat Pro,24\n"));
        if i < 2 {
            software.push_str(&format!("PC{i},Microsoft,Visio Professional 2021,16\n"));
            // The same product twice on one computer is one installation.
            software.push_str(&format!("PC{i},Microsoft,Visio Professional 2021,15\n"));
        }
    }
    devices.push_str("Phone1,ios,18,,,\n");
    assert_eq!(post("devices", devices).await, StatusCode::OK);
    assert_eq!(post("software", software).await, StatusCode::OK);
    let other =
        |name: &'static str, product: &'static str, count: &'static str, group: &'static str| {
            vec![
                ("form[name]", name),
                (
                    "form[publisher]",
                    if product == "Acrobat Pro" {
                        "Adobe"
                    } else {
                        "Microsoft"
                    },
                ),
                ("form[product]", product),
                ("form[license_count]", count),
                ("form[group]", "new"),
                ("form[new_group]", group),
            ]
        };
    assert_eq!(
        grace
            .call_json(
                "agreements_add_other",
                &other("Acrobat A", "Acrobat Pro", "2", "Adobe")
            )
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        grace
            .call_json(
                "agreements_add_other",
                &other("Visio", "Visio Professional 2021", "10", "Retail")
            )
            .await
            .0,
        StatusCode::OK
    );

    let (_, r) = grace.call_json("report_installation", &[]).await;
    assert_eq!(r["managed_computers"], 5, "phones report no software");
    let line = |product: &str| {
        r["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["product"] == product)
            .unwrap()
            .clone()
    };
    assert_eq!(line("Acrobat Pro")["installed"], 5);
    assert_eq!(
        line("Acrobat Pro")["status"],
        serde_json::json!({"UnderLicensed": 3})
    );
    assert_eq!(line("Visio Professional 2021")["installed"], 2);
    assert_eq!(
        line("Visio Professional 2021")["status"],
        serde_json::json!({"OverLicensed": 8})
    );
    assert_eq!(
        (r["missing_total"].as_i64(), r["unused_total"].as_i64()),
        (Some(3), Some(8))
    );
    let (_, ms) = grace
        .call_json("report_installation", &[("scope", "microsoft")])
        .await;
    assert_eq!(ms["lines"].as_array().unwrap().len(), 1);

    // Purchase report for the Retail group only: Acrobat is a coverage gap there.
    let (_, groups) = grace.call_json("license_groups_list", &[]).await;
    let retail = groups
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Retail")
        .unwrap()["id"]
        .to_string();
    let (_, p) = grace
        .call_json("report_purchase", &[("groups", &retail)])
        .await;
    assert_eq!(p["lines"].as_array().unwrap().len(), 1);
    assert_eq!(p["gaps"], serde_json::json!([["Adobe", "Acrobat Pro", 5]]));

    let csv = grace
        .get("/api/licenses/reports/installation.csv?scope=all")
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with("publisher,product,installed,licenses_owned,status,difference\n"));
    assert!(csv.contains("Adobe,Acrobat Pro,5,2,under-licensed,3"));
    let csv = grace
        .get(&format!(
            "/api/licenses/reports/purchase.csv?groups={retail}"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.contains("Retail,Visio,other,Microsoft,Visio Professional 2021,10"));
    assert!(csv.contains("gap,Adobe,Acrobat Pro,0 of 5 installed"));
}
