//! Billing stories on SQLite and PostgreSQL: profiles and payment methods (regions, cards,
//! profile roles), the subscription lifecycle and its refusals, quantity changes with proration,
//! idempotency keys, the invoice job (idempotent, also run twice at once), overdue payments,
//! renewals and expiry, and ISV license assignment that never exceeds the owned quantity.

use crate::common::{Client, TestApp};
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

/// A billing profile in the United States with a valid card; returns its id.
pub(crate) async fn profile(c: &Client, name: &str) -> String {
    let (code, id) = c
        .call_json(
            "billing_profile_save",
            &[
                ("form[name]", name),
                ("form[contact_name]", "Pat Doe"),
                ("form[address_line]", "1 Main Street"),
                ("form[city]", "Seattle"),
                ("form[postal_code]", "98101"),
                ("form[region]", "US"),
            ],
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{id}");
    let id = id.as_i64().unwrap().to_string();
    let (code, body) = c
        .call_json(
            "billing_payment_method_add",
            &[
                ("form[profile_id]", &id),
                ("form[kind]", "card"),
                ("form[brand]", "Visa"),
                ("form[last4]", "4242"),
                ("form[exp_month]", "12"),
                ("form[exp_year]", "2031"),
            ],
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    id
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn subscription(
    c: &Client,
    profile: &str,
    app_name: &str,
    pricing: &str,
    frequency: &str,
    price: &str,
    quantity: &str,
    term_start: &str,
    auto_renew: bool,
) -> (StatusCode, Value) {
    let mut form = vec![
        ("form[app_name]", app_name),
        ("form[publisher]", "Fabrikam"),
        ("form[channel]", "direct"),
        ("form[pricing]", pricing),
        ("form[frequency]", frequency),
        ("form[price]", price),
        ("form[currency]", "USD"),
        ("form[quantity]", quantity),
        ("form[term_start_on]", term_start),
        ("form[profile_id]", profile),
        ("form[portal_url]", "https://portal.fabrikam.example/manage"),
    ];
    if auto_renew {
        form.push(("form[auto_renew]", "on"));
    }
    c.call_json("billing_subscription_add", &form).await
}

fn field(body: &Value) -> &str {
    body["Invalid"]["field"].as_str().unwrap_or("")
}

#[tokio::test]
async fn profiles_refuse_unsupported_regions_expired_cards_and_card_numbers() {
    let app = TestApp::spawn().await;
    app.clock.set(at(time::macros::date!(2026 - 11 - 23), 9));
    let grace = app.setup().await;
    let base = [
        ("form[name]", "Contoso EU"),
        ("form[contact_name]", "Pat Doe"),
        ("form[address_line]", "Damrak 1"),
        ("form[city]", "Amsterdam"),
        ("form[postal_code]", "1012 LG"),
    ];
    let mut form = base.to_vec();
    form.push(("form[region]", "Netherlands"));
    let (code, body) = grace.call_json("billing_profile_save", &form).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field(&body), "region");
    assert!(
        body["Invalid"]["message"]
            .as_str()
            .unwrap()
            .contains("Western Europe")
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM billing_profiles").await,
        0
    );
    // A card number typed into an address field is refused, not stored.
    let mut form = base.to_vec();
    form[2] = ("form[address_line]", "4111 1111 1111 1111");
    form.push(("form[region]", "WE"));
    let (code, body) = grace.call_json("billing_profile_save", &form).await;
    assert_eq!(
        (code, field(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "address_line")
    );
    let mut form = base.to_vec();
    form.push(("form[region]", "Western Europe"));
    let (code, id) = grace.call_json("billing_profile_save", &form).await;
    assert_eq!(code, StatusCode::OK, "{id}");
    let id = id.as_i64().unwrap().to_string();

    let card = |last4: &'static str, m: &'static str, y: &'static str| {
        vec![
            ("form[profile_id]", id.clone()),
            ("form[kind]", "card".to_string()),
            ("form[brand]", "Mastercard".to_string()),
            ("form[last4]", last4.to_string()),
            ("form[exp_month]", m.to_string()),
            ("form[exp_year]", y.to_string()),
        ]
    };
    for (form, expected) in [
        (card("4444", "10", "2026"), "exp_month"),
        (card("5555 5555 5555 4444", "10", "2030"), "last4"),
        (card("55554444", "10", "2030"), "last4"),
        (card("44a4", "10", "2030"), "last4"),
        (card("4444", "13", "2030"), "exp_month"),
    ] {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (code, body) = grace.call_json("billing_payment_method_add", &form).await;
        assert_eq!(
            (code, field(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, expected),
            "{body}"
        );
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payment_methods").await, 0);
    let form = card("4444", "11", "2026");
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (code, _) = grace.call_json("billing_payment_method_add", &form).await;
    assert_eq!(
        code,
        StatusCode::OK,
        "a card valid through this month is accepted"
    );
    // Only brand, last four and expiry are stored.
    let stored: (String, String, i64, i64) = sqlx::query_as(
        "SELECT card_brand, card_last4, card_exp_month, card_exp_year FROM payment_methods",
    )
    .fetch_one(&app.db().pool)
    .await
    .unwrap();
    assert_eq!(stored, ("Mastercard".into(), "4444".into(), 11, 2026));
    let (code, _) = grace
        .call_json(
            "billing_payment_method_add",
            &[("form[profile_id]", &id), ("form[kind]", "wire")],
        )
        .await;
    assert_eq!(code, StatusCode::OK);

    // Profile roles decide who may change, pay or buy (B-4).
    let bob = app.admin_with_role(&grace, "bob", "billing_admin").await;
    let mut form = base.to_vec();
    form.push(("form[region]", "FR"));
    let id_pair = ("form[id]", id.as_str());
    form.push(id_pair);
    let (code, body) = bob.call_json("billing_profile_save", &form).await;
    assert_eq!(code, StatusCode::CONFLICT, "{body}");
    assert!(
        body["Conflict"]
            .as_str()
            .unwrap()
            .contains("does not allow")
    );
    let (code, _) = grace
        .call_json(
            "billing_profile_role",
            &[
                ("profile_id", &id),
                ("username", "bob"),
                ("role", "contributor"),
            ],
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    let (code, body) = bob.call_json("billing_profile_save", &form).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    // A contributor cannot hand out roles; the only owner cannot be removed.
    let (code, _) = bob
        .call_json(
            "billing_profile_role",
            &[("profile_id", &id), ("username", "bob"), ("role", "owner")],
        )
        .await;
    assert_eq!(code, StatusCode::CONFLICT);
    let (code, body) = grace
        .call_json(
            "billing_profile_role",
            &[("profile_id", &id), ("username", "grace"), ("role", "")],
        )
        .await;
    assert_eq!(code, StatusCode::CONFLICT, "{body}");
    let reader = app.admin_with_role(&grace, "rita", "reader").await;
    let (code, _) = reader.call_json("billing_profile_save", &form).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, list) = reader.call_json("billing_profiles_list", &[]).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(list[0]["region"], "FR");
    assert_eq!(list[0]["payment_methods"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn subscription_lifecycle_quantities_and_idempotency() {
    let app = TestApp::spawn().await;
    app.clock.set(at(time::macros::date!(2026 - 11 - 11), 9));
    let grace = app.setup().await;
    let p = profile(&grace, "Headquarters").await;

    // Bad input names the field and stores nothing.
    for (pricing, price, quantity, start, expected) in [
        ("flat_rate", "99", "10", "2026-11-01", "quantity"),
        ("per_license", "1.234", "10", "2026-11-01", "price"),
        ("per_license", "8", "0", "2026-11-01", "quantity"),
        ("per_license", "8", "10", "11/01/2026", "term_start_on"),
        ("seats", "8", "10", "2026-11-01", "pricing"),
    ] {
        let (code, body) = subscription(
            &grace, &p, "Sign", pricing, "monthly", price, quantity, start, true,
        )
        .await;
        assert_eq!(
            (code, field(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, expected),
            "{body}"
        );
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM subscriptions").await, 0);

    let (code, seat) = subscription(
        &grace,
        &p,
        "Fabrikam Sign",
        "per_license",
        "monthly",
        "8.00",
        "10",
        "2026-11-11",
        true,
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{seat}");
    let seat = seat.as_i64().unwrap().to_string();
    let (code, flat) = subscription(
        &grace,
        &p,
        "Fabrikam Wiki",
        "flat_rate",
        "annual",
        "1200",
        "",
        "2026-11-11",
        true,
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{flat}");
    let flat = flat.as_i64().unwrap().to_string();
    let (_, detail) = grace
        .call_json("billing_subscription_get", &[("id", &flat)])
        .await;
    assert_eq!(
        detail["subscription"]["quantity"],
        Value::Null,
        "flat rate = Unlimited"
    );
    assert_eq!(detail["subscription"]["status"], "PendingActivation");

    // Manage in publisher's portal records the activation and returns the portal address.
    let (code, url) = grace
        .call_json("billing_subscription_activate", &[("id", &seat)])
        .await;
    assert_eq!(
        (code, url.as_str()),
        (
            StatusCode::OK,
            Some("https://portal.fabrikam.example/manage")
        )
    );
    let (code, _) = grace
        .call_json("billing_subscription_activate", &[("id", &seat)])
        .await;
    assert_eq!(code, StatusCode::OK, "opening the portal again is fine");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM subscription_adjustments").await,
        1
    );
    grace
        .call_json("billing_subscription_activate", &[("id", &flat)])
        .await;

    // Quantity: only per license, never below the assigned count.
    let (code, body) = grace
        .call_json(
            "billing_subscription_quantity",
            &[("id", &flat), ("quantity", "20")],
        )
        .await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert!(
        body["Conflict"].as_str().unwrap().contains("flat rate"),
        "{body}"
    );
    let (code, _) = grace
        .call_json(
            "billing_subscription_assigned",
            &[("id", &seat), ("assigned", "6")],
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    let (code, body) = grace
        .call_json(
            "billing_subscription_quantity",
            &[("id", &seat), ("quantity", "5")],
        )
        .await;
    assert_eq!(
        (code, field(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "quantity")
    );
    assert!(
        body["Invalid"]["message"]
            .as_str()
            .unwrap()
            .contains("6 licenses are assigned")
    );

    // The same idempotency key twice: one change, the same answer.
    let form = [
        ("id", seat.as_str()),
        ("quantity", "15"),
        ("idempotency_key", "k-qty-1"),
    ];
    let (code, first) = grace
        .call_json("billing_subscription_quantity", &form)
        .await;
    assert_eq!(code, StatusCode::OK, "{first}");
    let (code, again) = grace
        .call_json("billing_subscription_quantity", &form)
        .await;
    assert_eq!((code, &again), (StatusCode::OK, &first));
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM subscription_adjustments").await,
        3
    );
    // 5 more seats at 8.00 for 20 of 30 November days = 26.666… → 26.67.
    assert_eq!(first["amount_minor"], 2667);
    assert_eq!(
        (
            first["days_charged"].as_i64(),
            first["days_in_period"].as_i64()
        ),
        (Some(20), Some(30))
    );
    let (code, body) = grace
        .call_json(
            "billing_subscription_quantity",
            &[
                ("id", &seat),
                ("quantity", "16"),
                ("idempotency_key", "k-qty-1"),
            ],
        )
        .await;
    assert_eq!(
        (code, field(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key")
    );

    // Roles: readers and license admins cannot touch billing; a billing admin without a role on
    // the profile is refused by the profile.
    let reader = app.admin_with_role(&grace, "rita", "reader").await;
    let lic = app.admin_with_role(&grace, "lena", "license_admin").await;
    let bob = app.admin_with_role(&grace, "bob", "billing_admin").await;
    for c in [&reader, &lic] {
        let (code, _) = c
            .call_json("billing_subscription_cancel", &[("id", &seat)])
            .await;
        assert_eq!(code, StatusCode::FORBIDDEN);
    }
    let (code, body) = bob
        .call_json(
            "billing_subscription_quantity",
            &[("id", &seat), ("quantity", "20")],
        )
        .await;
    assert_eq!(code, StatusCode::CONFLICT, "{body}");

    // Edit the billing profile.
    let p2 = profile(&grace, "Branch office").await;
    let (code, _) = grace
        .call_json(
            "billing_subscription_profile",
            &[("id", &seat), ("profile_id", &p2)],
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    let (code, body) = grace
        .call_json(
            "billing_subscription_profile",
            &[("id", &seat), ("profile_id", &p2)],
        )
        .await;
    assert_eq!(
        (code, field(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "profile_id")
    );

    // Cancel with a key twice: one effect. Then disabled is final.
    let cancel = [("id", seat.as_str()), ("idempotency_key", "k-cancel-1")];
    assert_eq!(
        grace
            .call_json("billing_subscription_cancel", &cancel)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        grace
            .call_json("billing_subscription_cancel", &cancel)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'subscription.cancelled'"
        )
        .await,
        1
    );
    for (endpoint, extra) in [
        ("billing_subscription_cancel", None),
        ("billing_subscription_activate", None),
        ("billing_subscription_quantity", Some(("quantity", "20"))),
        (
            "billing_subscription_profile",
            Some(("profile_id", p.as_str())),
        ),
    ] {
        let mut form = vec![("id", seat.as_str())];
        form.extend(extra);
        let (code, body) = grace.call_json(endpoint, &form).await;
        assert_eq!(code, StatusCode::CONFLICT, "{endpoint}: {body}");
        assert!(
            body["Conflict"]
                .as_str()
                .unwrap()
                .contains("buy another subscription"),
            "{body}"
        );
    }
    let (_, detail) = grace
        .call_json("billing_subscription_get", &[("id", &seat)])
        .await;
    assert_eq!(
        detail["subscription"]["status"],
        json!({"Disabled": "Cancelled"})
    );
    assert_eq!(detail["subscription"]["quantity"], 15);
}

#[tokio::test]
async fn invoices_are_generated_once_with_proration_and_overdue_disables() {
    use time::macros::date;
    let app = TestApp::spawn().await;
    app.clock.set(at(date!(2026 - 03 - 10), 12));
    let grace = app.setup().await;
    let p = profile(&grace, "Headquarters").await;
    let (_, seat) = subscription(
        &grace,
        &p,
        "Fabrikam Sign",
        "per_license",
        "monthly",
        "10.00",
        "10",
        "2026-03-10",
        true,
    )
    .await;
    let seat = seat.as_i64().unwrap().to_string();
    let (_, short) = subscription(
        &grace,
        &p,
        "Fabrikam Poll",
        "per_license",
        "monthly",
        "2.00",
        "5",
        "2026-03-10",
        false,
    )
    .await;
    let short = short.as_i64().unwrap().to_string();
    grace
        .call_json("billing_subscription_activate", &[("id", &seat)])
        .await;
    grace
        .call_json("billing_subscription_activate", &[("id", &short)])
        .await;
    app.clock.set(at(date!(2026 - 03 - 20), 12));
    // Sessions end after 30 idle minutes: sign in again after moving the clock.
    grace.sign_in("grace", crate::common::PASSWORD).await;
    let (code, _) = grace
        .call_json(
            "billing_subscription_quantity",
            &[("id", &seat), ("quantity", "15")],
        )
        .await;
    assert_eq!(code, StatusCode::OK);

    let billing = app.billing();
    app.clock.set(at(date!(2026 - 04 - 01), 1));
    // Sessions end after 30 idle minutes: sign in again after moving the clock.
    grace.sign_in("grace", crate::common::PASSWORD).await;
    let report = billing.run_jobs().await.unwrap();
    assert_eq!(report.invoices_created, 1);
    assert_eq!(
        billing.run_jobs().await.unwrap().invoices_created,
        0,
        "a period is invoiced once"
    );
    let (_, list) = grace.call_json("billing_invoices_list", &[]).await;
    assert_eq!(list["total"], 1);
    let invoice = &list["items"][0];
    assert_eq!(invoice["period"], "2026-04");
    let id = invoice["id"].as_i64().unwrap().to_string();
    let (_, detail) = grace.call_json("billing_invoice_get", &[("id", &id)]).await;
    let amounts: Vec<i64> = detail["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["amount_minor"].as_i64().unwrap())
        .collect();
    // April charges (15 × 10.00, 5 × 2.00) and March's prorations: activation of Sign 22/31 of
    // 100.00, of Poll 22/31 of 10.00, and +5 seats from 20 March for 12/31 days.
    assert_eq!(amounts, vec![1000, 15000, 7097, 710, 1935]);
    assert_eq!(
        detail["invoice"]["totals"],
        json!([{"currency": "USD", "amount_minor": 25742}])
    );
    assert_eq!(detail["invoice"]["due_on"], "2026-05-01");

    // The CSV download lists the lines and the total.
    let csv = grace
        .http
        .get(format!("{}/api/billing/invoices/{id}.csv", grace.base))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    let text = csv.text().await.unwrap();
    assert!(text.starts_with("invoice,period,billing_profile"), "{text}");
    assert!(text.contains(",total,Total,,,257.42,USD"), "{text}");
    assert_eq!(
        app.client()
            .get(&format!("/api/billing/invoices/{id}.csv"))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );

    // Mark paid with a key twice → one effect; again without the key → already paid.
    let pay = [("id", id.as_str()), ("idempotency_key", "pay-april")];
    assert_eq!(
        grace.call_json("billing_invoice_mark_paid", &pay).await.0,
        StatusCode::OK
    );
    assert_eq!(
        grace.call_json("billing_invoice_mark_paid", &pay).await.0,
        StatusCode::OK
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'invoice.paid'"
        )
        .await,
        1
    );
    let (code, _) = grace
        .call_json("billing_invoice_mark_paid", &[("id", &id)])
        .await;
    assert_eq!(code, StatusCode::CONFLICT);

    // Renewal and expiry on 10 April: Sign renews, Poll (no auto-renew) expires.
    app.clock.set(at(date!(2026 - 04 - 10), 2));
    // Sessions end after 30 idle minutes: sign in again after moving the clock.
    grace.sign_in("grace", crate::common::PASSWORD).await;
    let report = billing.run_jobs().await.unwrap();
    assert_eq!((report.renewed, report.expired), (1, 1));
    let (_, poll) = grace
        .call_json("billing_subscription_get", &[("id", &short)])
        .await;
    assert_eq!(
        poll["subscription"]["status"],
        json!({"Disabled": "Expired"})
    );
    let (_, sign) = grace
        .call_json("billing_subscription_get", &[("id", &seat)])
        .await;
    assert_eq!(sign["subscription"]["renews_on"], "2026-05-10");

    // Two servers run the job at the same moment: still one invoice for May.
    app.clock.set(at(date!(2026 - 05 - 01), 0));
    // Sessions end after 30 idle minutes: sign in again after moving the clock.
    grace.sign_in("grace", crate::common::PASSWORD).await;
    let (one, two) = (app.billing(), app.billing());
    let (a, b) = tokio::join!(one.run_jobs(), two.run_jobs());
    assert_eq!(a.unwrap().invoices_created + b.unwrap().invoices_created, 1);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM invoices WHERE period = '2026-05'"
        )
        .await,
        1
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id WHERE i.period = '2026-05'").await,
        1,
        "only Sign's charge: Poll expired, prorations were invoiced in April"
    );

    // May's invoice (due 31 May) stays unpaid: overdue on 1 June, past the 14-day grace on 15 June.
    app.clock.set(at(date!(2026 - 06 - 01), 3));
    // Sessions end after 30 idle minutes: sign in again after moving the clock.
    grace.sign_in("grace", crate::common::PASSWORD).await;
    let report = billing.run_jobs().await.unwrap();
    assert_eq!(report.marked_overdue, 1);
    assert_eq!(report.disabled_overdue, 0);
    app.clock.set(at(date!(2026 - 06 - 16), 3));
    // Sessions end after 30 idle minutes: sign in again after moving the clock.
    grace.sign_in("grace", crate::common::PASSWORD).await;
    let report = billing.run_jobs().await.unwrap();
    assert_eq!(report.disabled_overdue, 1);
    let (_, sign) = grace
        .call_json("billing_subscription_get", &[("id", &seat)])
        .await;
    assert_eq!(
        sign["subscription"]["status"],
        json!({"Disabled": "PaymentOverdue"})
    );
    let (code, _) = grace
        .call_json("billing_subscription_activate", &[("id", &seat)])
        .await;
    assert_eq!(
        code,
        StatusCode::CONFLICT,
        "disabled for overdue payment cannot be reactivated"
    );
    let (_, overdue) = grace
        .call_json("billing_invoices_list", &[("status", "overdue")])
        .await;
    assert_eq!(overdue["total"], 1);
    // Newest period first; a forged cursor is refused.
    let (_, all) = grace.call_json("billing_invoices_list", &[]).await;
    let periods: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["period"].as_str().unwrap())
        .collect();
    assert_eq!(periods, vec!["2026-06", "2026-05", "2026-04"]);
    let (code, _) = grace
        .call_json("billing_invoices_list", &[("after", "drop table")])
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
}

async fn user(c: &Client, i: usize) -> i64 {
    let (code, id) = c
        .call_json(
            "users_save",
            &[
                ("display_name", &format!("User {i:03}")),
                ("sign_in_name", &format!("user{i:03}@contoso.com")),
                ("department", "Sales"),
            ],
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{id}");
    id.as_i64().unwrap()
}

pub(crate) async fn isv_app(c: &Client, name: &str, owned: &str) -> String {
    let (code, id) = c
        .call_json(
            "isv_app_add",
            &[
                ("form[name]", name),
                ("form[publisher]", "Tailspin"),
                ("form[owned]", owned),
                ("form[install_url]", "https://tailspin.example/install"),
                ("form[vendor_contact]", "sales@tailspin.example"),
            ],
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{id}");
    id.as_i64().unwrap().to_string()
}

#[tokio::test]
async fn isv_licenses_never_exceed_the_owned_quantity() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let mut users = vec![];
    for i in 0..5 {
        users.push(user(&grace, i).await);
    }
    let (_, gid) = grace
        .call_json("groups_save", &[("name", "Sales"), ("description", "")])
        .await;
    let gid = gid.as_i64().unwrap().to_string();
    let first3 = format!("{},{},{}", users[0], users[1], users[2]);
    grace
        .call_json(
            "groups_members",
            &[("group_id", &gid), ("user_ids", &first3), ("add", "true")],
        )
        .await;
    let app_id = isv_app(&grace, "Tailspin CRM", "4").await;

    let assign =
        |who: &'static str| vec![("app_id", app_id.clone()), ("principals", who.to_string())];
    let g = format!("group:{gid}");
    let (code, used) = grace
        .call_json("isv_assign", &[("app_id", &app_id), ("principals", &g)])
        .await;
    assert_eq!(
        (code, used),
        (StatusCode::OK, json!(3)),
        "a group consumes one license per member"
    );
    // Two more users need 2 licenses, only 1 is left: blocked as a whole, nothing assigned.
    let two = format!("user:{},user:{}", users[3], users[4]);
    let (code, body) = grace
        .call_json("isv_assign", &[("app_id", &app_id), ("principals", &two)])
        .await;
    assert_eq!(code, StatusCode::CONFLICT, "{body}");
    let message = body["Conflict"].as_str().unwrap();
    assert!(
        message.contains("1 missing") && message.contains("sales@tailspin.example"),
        "{message}"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM isv_assignments").await, 1);
    // A user already reached through the group takes no extra license.
    let u0 = format!("user:{}", users[0]);
    let (_, used) = grace
        .call_json("isv_assign", &[("app_id", &app_id), ("principals", &u0)])
        .await;
    assert_eq!(used, json!(3));
    let u3 = format!("user:{}", users[3]);
    let (_, used) = grace
        .call_json("isv_assign", &[("app_id", &app_id), ("principals", &u3)])
        .await;
    assert_eq!(used, json!(4));
    // Group membership: a new member of an assigned group would need a fifth license.
    let u4 = users[4].to_string();
    let (code, body) = grace
        .call_json(
            "groups_members",
            &[("group_id", &gid), ("user_ids", &u4), ("add", "true")],
        )
        .await;
    assert_eq!(code, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM dir_group_members").await,
        3
    );
    // A user who holds a license directly cannot be deleted.
    let (code, _) = grace
        .call_json("users_delete", &[("id", &users[3].to_string())])
        .await;
    assert_eq!(code, StatusCode::CONFLICT);
    // Unassign frees the license; then the member can join.
    let (_, detail) = grace.call_json("isv_app_get", &[("id", &app_id)]).await;
    let direct: Vec<String> = detail["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["principal_id"] == json!(users[3]) && a["kind"] == "user")
        .map(|a| a["id"].to_string())
        .collect();
    let (code, n) = grace
        .call_json(
            "isv_unassign",
            &[("app_id", &app_id), ("assignment_ids", &direct.join(","))],
        )
        .await;
    assert_eq!((code, n), (StatusCode::OK, json!(1)));
    let (code, _) = grace
        .call_json(
            "groups_members",
            &[("group_id", &gid), ("user_ids", &u4), ("add", "true")],
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    let (_, detail) = grace.call_json("isv_app_get", &[("id", &app_id)]).await;
    assert_eq!(detail["app"]["assigned"], 4);

    // Only Global, License and User admins may assign.
    let billing_admin = app.admin_with_role(&grace, "bill", "billing_admin").await;
    let form = assign("user:1");
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        billing_admin.call_json("isv_assign", &form).await.0,
        StatusCode::FORBIDDEN
    );
    let user_admin = app.admin_with_role(&grace, "uma", "user_admin").await;
    let (code, found) = user_admin
        .call_json("isv_principals", &[("q", "sal")])
        .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(found[0]["kind"], "group");
    assert!(
        app.audit_actions()
            .await
            .contains(&"isv_license.unassigned".to_string())
    );
}

#[tokio::test]
async fn concurrent_assignments_never_oversell() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let app_id = isv_app(&grace, "Tailspin Chat", "10").await;
    let mut users = vec![];
    for i in 0..30 {
        users.push(user(&grace, i).await);
    }
    let grace = std::sync::Arc::new(grace);
    let mut tasks = vec![];
    for u in users {
        let c = grace.clone();
        let app_id = app_id.clone();
        tasks.push(tokio::spawn(async move {
            let p = format!("user:{u}");
            c.call_json("isv_assign", &[("app_id", &app_id), ("principals", &p)])
                .await
                .0
        }));
    }
    let mut granted = 0;
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::OK => granted += 1,
            StatusCode::CONFLICT => refused += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((granted, refused), (10, 20));
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM isv_assignments").await,
        10
    );
}
