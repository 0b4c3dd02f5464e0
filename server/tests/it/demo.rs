//! Demo mode fills an empty database with the whole demo organization, on either backend, and
//! the same way every time (seeded), and leaves a database that already has admins alone.

use crate::common::TestApp;

async fn counts(app: &TestApp) -> Vec<i64> {
    let mut out = vec![];
    for table in [
        "admins",
        "dir_users",
        "dir_groups",
        "dir_devices",
        "detected_software",
        "agreements",
        "license_groups",
        "subscriptions",
        "billing_profiles",
        "invoices",
        "isv_assignments",
    ] {
        out.push(
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(&app.db().pool)
                .await
                .unwrap(),
        );
    }
    out
}

#[tokio::test]
async fn demo_organization_is_complete_and_deterministic() {
    let app = TestApp::spawn().await;
    assert!(licensedesk::demo::seed(&app.services).await.unwrap());
    let first = counts(&app).await;
    assert_eq!(first[0], 5, "one admin per role");
    assert_eq!(first[1], 540);
    assert_eq!(first[2], 40);
    assert_eq!(first[3], 720);
    assert!(
        first[4] > 2_000,
        "Windows devices report software: {}",
        first[4]
    );
    assert_eq!(first[5], 26, "agreements");
    assert!(first[6] >= 6, "license groups");
    assert_eq!(first[7], 7, "subscriptions");
    assert_eq!(first[8], 2, "billing profiles");
    assert!(
        first[9] >= 20,
        "about a year of invoices per profile: {}",
        first[9]
    );
    assert!(first[10] > 0, "ISV assignments");
    // Every subscription state is there, and the ISV apps never exceed what is owned.
    let states: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT status || COALESCE(':' || disabled_reason, '') FROM subscriptions ORDER BY 1",
    )
    .fetch_all(&app.db().pool)
    .await
    .unwrap();
    assert_eq!(
        states,
        [
            "active",
            "disabled:cancelled",
            "disabled:expired",
            "disabled:payment_overdue",
            "pending_activation"
        ]
    );
    // The catalog type-ahead finds both Microsoft publishers by substring.
    let admin = app.client();
    admin
        .sign_in("admin", licensedesk::demo::DEMO_PASSWORD)
        .await;
    let (_, publishers) = admin
        .call_json("catalog_publishers", &[("q", "soft")])
        .await;
    assert!(
        publishers.to_string().contains("\"Microsoft\"")
            && publishers.to_string().contains("Microsoft Research")
    );

    let (_, apps) = admin.call_json("isv_apps_list", &[]).await;
    let apps = apps.as_array().unwrap();
    assert_eq!(apps.len(), 3);
    for a in apps {
        assert!(a["assigned"].as_i64() <= a["owned"].as_i64(), "{a}");
    }

    // A second run does nothing; a second database gets the very same organization.
    assert!(!licensedesk::demo::seed(&app.services).await.unwrap());
    let other = TestApp::spawn().await;
    licensedesk::demo::seed(&other.services).await.unwrap();
    assert_eq!(counts(&other).await, first);
    let names = |app: &TestApp| {
        let pool = app.db().pool.clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT sign_in_name FROM dir_users ORDER BY id LIMIT 20",
            )
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(names(&app).await, names(&other).await);
}
