//! Alert e-mail (SPEC X-2) on SQLite and PostgreSQL, against an SMTP sink started by the test:
//! settings are checked field by field and saved audited without the password; Test mails every
//! recipient; each opened alert is mailed once (also when delivery runs twice), again after it
//! closed and reopened; a mail server that is down is logged as failed; other roles are refused.

use crate::common::{Client, TestApp};
use licensedesk::overview::Alerts;
use licensedesk::overview::email::Mailer;
use licensedesk::secrets::SecretBox;
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const KEY: [u8; 32] = [7; 32];

/// One message the sink accepted.
#[derive(Clone, Debug)]
struct Mail {
    from: String,
    to: Vec<String>,
    data: String,
}

type Inbox = Arc<Mutex<Vec<Mail>>>;

/// A tiny SMTP server on 127.0.0.1: just enough of RFC 5321 for a client without encryption or
/// authentication. Answers its port and what it received.
async fn sink() -> (u16, Inbox) {
    let inbox: Inbox = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let kept = inbox.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(session(socket, kept.clone()));
        }
    });
    (port, inbox)
}

async fn session(socket: tokio::net::TcpStream, inbox: Inbox) {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    let _ = write.write_all(b"220 sink ready\r\n").await;
    let (mut from, mut to) = (String::new(), vec![]);
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let command = line.trim_end().to_string();
        let verb = command
            .split([' ', ':'])
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let answer = match verb.as_str() {
            "EHLO" | "HELO" => "250 sink",
            "MAIL" => {
                from = command[10..].trim().to_string();
                "250 OK"
            }
            "RCPT" => {
                to.push(command[8..].trim().to_string());
                "250 OK"
            }
            "DATA" => {
                let _ = write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    if line.trim_end() == "." {
                        break;
                    }
                    data.push_str(&line);
                }
                inbox.lock().unwrap().push(Mail {
                    from: std::mem::take(&mut from),
                    to: std::mem::take(&mut to),
                    data,
                });
                "250 queued"
            }
            "RSET" | "NOOP" => "250 OK",
            "QUIT" => {
                let _ = write.write_all(b"221 bye\r\n").await;
                return;
            }
            _ => "502 not implemented",
        };
        if write
            .write_all(format!("{answer}\r\n").as_bytes())
            .await
            .is_err()
        {
            return;
        }
    }
}

/// A port where nothing listens.
async fn dead_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

async fn exec(app: &TestApp, sql: &str) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&app.db().pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn save(c: &Client, fields: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut form: Vec<(String, &str)> = vec![
        ("host".into(), "smtp.example.com"),
        ("port".into(), "587"),
        ("security".into(), "starttls"),
        ("username".into(), ""),
        ("password".into(), ""),
        ("from".into(), "LicenseDesk <ld@example.org>"),
        ("recipients".into(), "ops@example.org"),
        ("enabled".into(), "on"),
    ];
    for (k, v) in fields {
        form.retain(|(name, _)| name != k);
        form.push((k.to_string(), v));
    }
    let form: Vec<(String, &str)> = form
        .into_iter()
        .map(|(k, v)| (format!("form[{k}]"), v))
        .collect();
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    c.call_json("email_save", &pairs).await
}

/// The text of a message: quoted-printable soft line breaks undone.
fn text(mail: &Mail) -> String {
    mail.data.replace("=\r\n", "").replace("=\n", "")
}

#[tokio::test]
async fn alerts_are_mailed_once_per_opening_to_a_local_sink() {
    let app = TestApp::spawn_with(|state| {
        let mut notifier = licensedesk::overview::Notifier::new(
            state.services.db.clone(),
            state.services.clock.clone(),
            SecretBox::new(KEY),
        );
        notifier.backoff = Duration::from_millis(10);
        state.with_notifier(notifier)
    })
    .await;
    let grace = app.setup().await;
    let now = app.clock.now_for_tests();
    let (port, inbox) = sink().await;
    let port = port.to_string();

    // Other roles cannot see, change or test the settings.
    let reader = app.admin_with_role(&grace, "rita", "reader").await;
    for endpoint in ["email_settings", "email_test", "email_log"] {
        assert_eq!(
            reader.call(endpoint, &[]).await.0,
            StatusCode::FORBIDDEN,
            "{endpoint}"
        );
    }
    assert_eq!(save(&reader, &[]).await.0, StatusCode::FORBIDDEN);
    // Nothing stored yet: a test is refused with a reason.
    assert_eq!(grace.call("email_test", &[]).await.0, StatusCode::CONFLICT);

    // Every rule names its field.
    for (fields, field) in [
        (vec![("host", " ")], "host"),
        (vec![("port", "0")], "port"),
        (vec![("port", "smtp")], "port"),
        (vec![("security", "none")], "security"),
        (vec![("security", "ssl")], "security"),
        (vec![("from", "licensedesk")], "from"),
        (
            vec![("recipients", "ops@example.org, not an address")],
            "recipients",
        ),
        (vec![("recipients", "")], "recipients"),
        (vec![("username", "mailer")], "password"),
    ] {
        let (code, body) = save(&grace, &fields).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}: {body}");
        assert_eq!(body["Invalid"]["field"], field, "{fields:?}: {body}");
    }
    let (_, body) = save(&grace, &[("security", "none")]).await;
    assert!(
        body["Invalid"]["message"]
            .as_str()
            .unwrap()
            .contains("localhost"),
        "{body}"
    );
    let many: Vec<String> = (0..21).map(|i| format!("r{i}@example.org")).collect();
    let (_, body) = save(&grace, &[("recipients", &many.join("\n"))]).await;
    assert_eq!(body["Invalid"]["field"], "recipients", "{body}");

    // A password is stored sealed, kept when left blank, never returned, logged or audited.
    let (code, body) = save(
        &grace,
        &[("username", "mailer"), ("password", "pa55-w0rd-x")],
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let (code, view) = save(&grace, &[("username", "mailer")]).await;
    assert_eq!(code, StatusCode::OK, "{view}");
    let (code, view) = grace.call_json("email_settings", &[]).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(view["password_set"], true, "{view}");
    assert!(!view.to_string().contains("pa55-w0rd-x"));
    let stored: String =
        sqlx::query_scalar("SELECT password_enc FROM alert_email_settings WHERE id = 1")
            .fetch_one(&app.db().pool)
            .await
            .unwrap();
    assert!(!stored.contains("pa55-w0rd-x"));
    let audit: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT action, before_json, after_json FROM audit_log WHERE action = 'email.settings_saved'",
    )
    .fetch_all(&app.db().pool)
    .await
    .unwrap();
    assert_eq!(audit.len(), 2);
    assert!(!format!("{audit:?}").contains("pa55-w0rd-x"));

    // The local sink, without encryption (allowed for 127.0.0.1) and without a user name.
    let (code, body) = save(
        &grace,
        &[
            ("host", "127.0.0.1"),
            ("port", &port),
            ("security", "none"),
            (
                "recipients",
                "ops@example.org\nFinance <finance@example.org>",
            ),
        ],
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let (_, view) = grace.call_json("email_settings", &[]).await;
    assert_eq!(view["password_set"], false, "no user name, no password");
    assert_eq!(view["recipients"].as_array().unwrap().len(), 2);

    // The page shows the form with the stored values (never a password).
    let page = grace.get("/settings/notifications").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("f-email-security"),
        "the e-mail form is on the page"
    );
    assert!(html.contains("finance@example.org"));
    assert!(!html.contains("pa55-w0rd-x"));

    // Test: one message, to each recipient.
    let (code, attempts) = grace.call_json("email_test", &[]).await;
    assert_eq!(code, StatusCode::OK, "{attempts}");
    assert_eq!(attempts[0]["delivered"], true, "{attempts}");
    {
        let mail = inbox.lock().unwrap().clone();
        assert_eq!(mail.len(), 1);
        assert!(mail[0].from.contains("ld@example.org"), "{:?}", mail[0]);
        assert_eq!(mail[0].to.len(), 2, "{:?}", mail[0]);
        assert!(mail[0].to.iter().any(|t| t.contains("ops@example.org")));
        assert!(mail[0].to.iter().any(|t| t.contains("finance@example.org")));
        assert!(text(&mail[0]).contains("Subject: [LicenseDesk] Test message"));
    }

    // An overdue invoice raises an alert: mailed once, however often evaluation and delivery run.
    exec(&app, &format!(
        "INSERT INTO billing_profiles (id, name, name_key, contact_name, address_line, city, postal_code, region, created_at, updated_at) \
         VALUES (1, 'Main', 'main', 'Ada', 'Dam 1', 'Amsterdam', '1012 JS', 'NL', {now}, {now})"
    )).await;
    exec(&app, &format!(
        "INSERT INTO invoices (id, number, profile_id, period, issued_on, due_on, status, created_at) VALUES \
         (1, 'INV-1', 1, '2020-01', '2020-01-01', '2020-01-31', 'overdue', {now})"
    )).await;
    let alerts = Alerts::new(app.db().clone(), app.services.clock.clone());
    let mut mailer = Mailer::new(
        app.db().clone(),
        app.services.clock.clone(),
        SecretBox::new(KEY),
    );
    mailer.backoff = Duration::from_millis(10);
    mailer.public_url = "https://ld.example.org".into();
    alerts.evaluate().await.unwrap();
    assert_eq!(mailer.deliver_pending().await.unwrap(), 1);
    alerts.evaluate().await.unwrap();
    assert_eq!(mailer.deliver_pending().await.unwrap(), 0, "once");
    {
        let mail = inbox.lock().unwrap().clone();
        assert_eq!(mail.len(), 2);
        let body = text(&mail[1]);
        assert!(body.contains("Subject: [LicenseDesk] Critical:"), "{body}");
        assert!(body.contains("INV-1"), "{body}");
        assert!(body.contains("https://ld.example.org/"), "{body}");
    }

    // Closed, then back: mailed again.
    exec(&app, "UPDATE invoices SET status = 'paid'").await;
    alerts.evaluate().await.unwrap();
    app.clock.advance(60);
    exec(&app, "UPDATE invoices SET status = 'overdue'").await;
    alerts.evaluate().await.unwrap();
    assert_eq!(mailer.deliver_pending().await.unwrap(), 1);
    assert_eq!(mailer.deliver_pending().await.unwrap(), 0);
    assert_eq!(inbox.lock().unwrap().len(), 3);

    // The mail server is down: every attempt fails and is logged; nothing panics.
    let dead = dead_port().await.to_string();
    let (code, body) = save(
        &grace,
        &[("host", "localhost"), ("port", &dead), ("security", "none")],
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let (code, attempts) = grace.call_json("email_test", &[]).await;
    assert_eq!(code, StatusCode::OK, "{attempts}");
    let attempts = attempts.as_array().unwrap();
    assert_eq!(attempts.len(), 3, "{attempts:?}");
    assert!(
        attempts
            .iter()
            .all(|a| a["delivered"] == false && !a["error"].as_str().unwrap().is_empty())
    );
    exec(&app, "UPDATE invoices SET status = 'paid'").await;
    alerts.evaluate().await.unwrap();
    app.clock.advance(60);
    exec(&app, "UPDATE invoices SET status = 'overdue'").await;
    alerts.evaluate().await.unwrap();
    assert_eq!(mailer.deliver_pending().await.unwrap(), 0);
    let (code, log) = grace.call_json("email_log", &[]).await;
    assert_eq!(code, StatusCode::OK, "{log}");
    let log = log.as_array().unwrap();
    assert_eq!(log[0]["event"], "alert.opened", "newest first: {log:?}");
    assert_eq!(log[0]["delivered"], false);
    assert_eq!(
        log.iter().filter(|l| l["delivered"] == true).count(),
        3,
        "the test and two alert messages: {log:?}"
    );
    assert_eq!(inbox.lock().unwrap().len(), 3, "nothing more arrived");
    // Switched off: alerts are no longer mailed.
    save(
        &grace,
        &[
            ("host", "127.0.0.1"),
            ("port", &port),
            ("security", "none"),
            ("enabled", ""),
        ],
    )
    .await;
    exec(&app, "UPDATE invoices SET status = 'paid'").await;
    alerts.evaluate().await.unwrap();
    app.clock.advance(60);
    exec(&app, "UPDATE invoices SET status = 'overdue'").await;
    alerts.evaluate().await.unwrap();
    assert_eq!(mailer.deliver_pending().await.unwrap(), 0);
    assert_eq!(inbox.lock().unwrap().len(), 3);
}
