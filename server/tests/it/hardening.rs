//! Defects found from outside the project (hostile text, bursts, malformed bodies, forged
//! headers), each reproduced here so that it cannot come back. Runs on SQLite and PostgreSQL.

use crate::common::{Client, PASSWORD, TestApp};
use reqwest::StatusCode;
use serde_json::Value;

const HOSTILE_NAME: &str = "</title><img src=x onerror=alert(1)>";

async fn add_user(c: &Client, name: &str, sign_in: &str) -> i64 {
    let (code, id) = c
        .call_json(
            "users_save",
            &[
                ("display_name", name),
                ("sign_in_name", sign_in),
                ("department", "Research"),
            ],
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{id}");
    id.as_i64().unwrap()
}

/// A display name written into the page title during server rendering must be escaped (it was
/// emitted raw into `<title>`, so the image's handler ran for every admin opening the page).
#[tokio::test]
async fn hostile_names_are_escaped_in_the_title() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let id = add_user(&grace, HOSTILE_NAME, "mallory@contoso.com").await;
    let res = grace.get(&format!("/users/{id}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(
        !html.contains("<img src=x"),
        "the name reached the HTML unescaped"
    );
    let title = html
        .split("<title>")
        .nth(1)
        .and_then(|t| t.split("</title>").next())
        .expect("a title");
    assert!(
        title.starts_with("&lt;/title&gt;&lt;img src=x onerror=alert(1)&gt;"),
        "{title}"
    );
}

/// 60 simultaneous wrong passwords for one account: the throttle decides before hashing, so at
/// most the account limit (5) are checked; the rest are refused with 429 and Retry-After.
#[tokio::test]
async fn simultaneous_sign_ins_are_counted_before_hashing() {
    let app = TestApp::spawn().await;
    app.setup().await;
    let mut attempts = tokio::task::JoinSet::new();
    for _ in 0..60 {
        let c = app.client();
        attempts.spawn(async move {
            let res = c
                .http
                .post(format!("{}/api/sign_in", c.base))
                .form(&[("username", "grace"), ("password", "wrong password")])
                .send()
                .await
                .unwrap();
            let retry = res.headers().contains_key("retry-after");
            (res.status(), retry)
        });
    }
    let results = attempts.join_all().await;
    let checked = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::UNAUTHORIZED)
        .count();
    assert!(checked <= 5, "{checked} attempts were checked");
    assert!(
        results
            .iter()
            .all(|(s, retry)| *s == StatusCode::UNAUTHORIZED
                || (*s == StatusCode::TOO_MANY_REQUESTS && *retry)
                || *s == StatusCode::SERVICE_UNAVAILABLE && *retry),
        "{results:?}"
    );
    let failed: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.sign_in_failed'")
            .fetch_one(&app.db().pool)
            .await
            .unwrap();
    assert_eq!(failed as usize, checked);
    // The right password is refused too while the account is throttled.
    let (status, _) = app.client().sign_in("grace", PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

/// Throttled attempts do not grow the append-only audit log without bound: one summary entry
/// per scope and window.
#[tokio::test]
async fn throttled_attempts_are_summarised_in_the_audit_log() {
    let app = TestApp::spawn().await;
    app.setup().await;
    let c = app.client();
    for _ in 0..40 {
        let (status, _) = c.sign_in("grace", "wrong").await;
        assert!(
            status == StatusCode::UNAUTHORIZED || status == StatusCode::TOO_MANY_REQUESTS,
            "{status}"
        );
    }
    let throttled: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'auth.sign_in_throttled'",
    )
    .fetch_one(&app.db().pool)
    .await
    .unwrap();
    assert!(
        (1..=2).contains(&throttled),
        "{throttled} throttle entries for 35 throttled attempts"
    );
    // After the window, a new summary may be written.
    app.clock.advance(16 * 60);
    let (status, _) = c.sign_in("grace", PASSWORD).await;
    assert!(status.is_success(), "{status}");
}

/// Malformed arguments to every server function are client errors (4xx), never 500; an
/// over-long body is 413.
#[tokio::test]
async fn malformed_bodies_never_answer_5xx() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let paths: Vec<(String, String)> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, method)| (path.to_string(), method.to_string()))
        .filter(|(path, _)| !path.ends_with("/sign_out"))
        .collect();
    let bodies: Vec<Vec<u8>> = vec![
        b"id=abc&group_id=x&app_id=-&profile_id=1.5&quantity=zz&enabled=maybe&add=perhaps".to_vec(),
        b"id=99999999999999999999999&assigned=%ZZ".to_vec(),
        b"".to_vec(),
        vec![b'i', b'd', b'=', 0xff, 0xfe, 0xfd],
        b"{\"id\": 1}".to_vec(),
        b"form[name]=1&form=2&=&&&".to_vec(),
    ];
    let mut seen = 0;
    for (path, method) in &paths {
        if method != "POST" {
            continue;
        }
        for body in &bodies {
            let res = grace
                .http
                .post(format!("{}{path}", app.base))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.clone())
                .send()
                .await
                .unwrap();
            let status = res.status();
            let text = res.text().await.unwrap();
            assert!(
                status.is_client_error() || status.is_success(),
                "{path} with {:?}: {status} {text}",
                String::from_utf8_lossy(body)
            );
            seen += 1;
        }
    }
    assert!(seen > 300, "{seen} requests");
    // Too long: 413 with a message, not 500.
    let big = format!("display_name={}", "x".repeat(3 * 1024 * 1024));
    let res = grace
        .http
        .post(format!("{}/api/users_save", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = res.json().await.unwrap();
    assert!(body.to_string().contains("too large"), "{body}");
}

/// CSV exports neutralise cells that a spreadsheet would run as a formula, and the import reads
/// them back to the exact text.
#[tokio::test]
async fn csv_exports_carry_no_formulas_and_round_trip() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let names = [
        "=HYPERLINK(\"http://evil.example\",\"x\")",
        "+1+1",
        "-2+3",
        "@SUM(A1)",
        "'=already quoted",
        "'quoted already",
    ];
    for (i, name) in names.iter().enumerate() {
        add_user(&grace, name, &format!("f{i}@contoso.com")).await;
    }
    let res = grace.get("/api/directory/export/users.csv").await;
    assert_eq!(res.status(), StatusCode::OK);
    let csv = res.text().await.unwrap();
    for line in csv.lines().skip(1) {
        let first = line.trim_start_matches('"');
        assert!(
            !first.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "a formula cell: {line}"
        );
    }
    // Import the export into a fresh portal: the same names, to the letter.
    let other = TestApp::spawn().await;
    let admin = other.setup().await;
    let res = admin
        .http
        .post(format!("{}/api/directory/import/users", admin.base))
        .header("content-type", "text/csv")
        .body(csv.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let mut stored: Vec<String> = sqlx::query_scalar("SELECT display_name FROM dir_users")
        .fetch_all(&other.db().pool)
        .await
        .unwrap();
    stored.sort();
    let mut expected: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(stored, expected);
    let again = admin.get("/api/directory/export/users.csv").await;
    assert_eq!(again.text().await.unwrap(), csv);
}

/// Security headers: a Content-Security-Policy whose nonce is the boot script's, a
/// Permissions-Policy, and no caching of signed-in pages or API answers.
#[tokio::test]
async fn pages_carry_csp_with_the_boot_scripts_nonce() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let res = grace.get("/users").await;
    assert_eq!(res.status(), StatusCode::OK);
    let headers = res.headers().clone();
    let html = res.text().await.unwrap();
    let csp = headers
        .get("content-security-policy")
        .expect("a CSP")
        .to_str()
        .unwrap()
        .to_string();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .expect("a nonce in the CSP");
    assert!(nonce.len() >= 16, "{csp}");
    assert!(csp.contains("object-src 'none'") && csp.contains("frame-ancestors 'none'"));
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the boot script carries the nonce"
    );
    // Every inline script carries it.
    for script in html.split("<script").skip(1) {
        let open = script.split('>').next().unwrap_or_default();
        if !open.contains("src=") {
            assert!(
                open.contains(nonce),
                "inline script without the nonce: {open}"
            );
        }
    }
    assert!(headers.contains_key("permissions-policy"));
    assert_eq!(headers.get("cache-control").unwrap(), "no-store");
    // A second page has a different nonce.
    let again = grace.get("/users").await;
    let csp2 = again.headers().get("content-security-policy").unwrap();
    assert_ne!(csp2.to_str().unwrap(), csp);
    // API answers are not cached either; hashed assets keep their long cache life elsewhere.
    let res = grace
        .http
        .post(format!("{}/api/users_list", app.base))
        .form(&[("sort", "name")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
    // No HSTS over plain HTTP.
    assert!(!headers.contains_key("strict-transport-security"));
}

/// The Reader role reads everything, admin accounts included (SPEC D-4), but changes nothing.
#[tokio::test]
async fn readers_list_admins_but_cannot_change_them() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let reader = app.admin_with_role(&grace, "rita", "reader").await;
    let (status, body) = reader.call_json("admins_list", &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body.as_array().map(Vec::len), Some(2));
    assert!(!body.to_string().contains("argon2"));
    let (status, _) = reader
        .call(
            "admins_add",
            &[
                ("username", "eve"),
                ("display_name", "Eve"),
                ("role", "global_admin"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let res = reader.get("/settings/admins").await;
    assert_eq!(res.status(), StatusCode::OK);
}

/// A number set identifies one agreement: the same set under a second agreement (by hand or
/// by CSV) is refused with the name of the agreement that has it, and nothing is stored — so
/// Refresh now can never count its entitlements twice.
#[tokio::test]
async fn a_number_set_belongs_to_one_agreement() {
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let volume = |name: &'static str, first: &'static str, second: &'static str| {
        let grace = &grace;
        async move {
            grace
                .call_json(
                    "agreements_add_volume",
                    &[
                        ("name", name),
                        ("firsts[0]", first),
                        ("seconds[0]", second),
                        ("group", "unassigned"),
                    ],
                )
                .await
        }
    };
    let (code, body) = volume("Open Value 2026", "8123456", "54123456").await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let (code, body) = volume("Select Plus", "8123456", "54123456").await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["Invalid"]["field"], "sets");
    assert!(
        body.to_string().contains("Open Value 2026"),
        "the message names the agreement: {body}"
    );
    // Another set of the same first number is fine.
    let (code, body) = volume("Select Plus", "8123456", "54123457").await;
    assert_eq!(code, StatusCode::OK, "{body}");
    // By CSV: refused as a whole, naming the agreement.
    let res = grace
        .http
        .post(format!("{}/api/licenses/upload", app.base))
        .query(&[("file_name", "sets.csv")])
        .body("1111111,2222222,Campus\n8123456,54123457,Campus\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(body.contains("Select Plus"), "{body}");
    let stored: Vec<(String, String)> =
        sqlx::query_as("SELECT first_number, second_number FROM agreement_number_sets ORDER BY id")
            .fetch_all(&app.db().pool)
            .await
            .unwrap();
    assert_eq!(
        stored,
        vec![
            ("8123456".to_string(), "54123456".to_string()),
            ("8123456".to_string(), "54123457".to_string())
        ]
    );
    let names: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM agreements")
        .fetch_one(&app.db().pool)
        .await
        .unwrap();
    assert_eq!(names, 2, "the CSV's agreement was not created");
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// 200 simultaneous sign-ins (each another account from another address, so no throttle
/// stops them) keep the server's memory within the documented bound — at most
/// `hashing_permits()` Argon2 computations of 19 MiB run at once — and `/healthz` keeps
/// answering quickly. Every answer is 401 or 429 with Retry-After, never 5xx. (Before the
/// bound, the same burst took the server from 30 MB to 3.9 GB; with the bound but fresh Argon2
/// memory per hash, to 420 MB.)
#[tokio::test]
async fn a_burst_of_sign_ins_stays_within_the_memory_bound() {
    if !std::path::Path::new("/proc/self/status").exists() {
        return; // memory is read from /proc
    }
    let dir = std::env::temp_dir().join(format!("ld-burst-{:016x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    let db_url = format!("sqlite://{}", dir.join("ld.db").display());
    let bin = env!("CARGO_BIN_EXE_licensedesk");
    let status = std::process::Command::new(bin)
        .args([
            "create-admin",
            "--database-url",
            &db_url,
            "--username",
            "ops",
        ])
        .args(["--display-name", "Ops", "--password", PASSWORD])
        .status()
        .unwrap();
    assert!(status.success());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = std::process::Command::new(bin)
        .args(["serve", "--database-url", &db_url, "--trust-proxy"])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("LICENSEDESK_LOG", "error")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let http = reqwest::Client::new();
    let mut up = false;
    for _ in 0..200 {
        if http
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(up, "the server did not start");
    let baseline = rss_kib(pid, "VmRSS:");

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let probe = {
        let (http, base, stop) = (http.clone(), base.clone(), stop.clone());
        tokio::spawn(async move {
            let mut worst = std::time::Duration::ZERO;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let t = std::time::Instant::now();
                let ok = http
                    .get(format!("{base}/healthz"))
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                assert!(ok, "/healthz failed during the burst");
                worst = worst.max(t.elapsed());
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            worst
        })
    };
    let mut burst = tokio::task::JoinSet::new();
    for i in 0..200u32 {
        let (http, base) = (http.clone(), base.clone());
        burst.spawn(async move {
            let res = http
                .post(format!("{base}/api/sign_in"))
                .header(
                    "x-forwarded-for",
                    format!("10.1.{}.{}", i / 250, i % 250 + 1),
                )
                .form(&[
                    ("username", format!("user{i}").as_str()),
                    ("password", "not the password"),
                ])
                .send()
                .await
                .unwrap();
            (res.status(), res.headers().contains_key("retry-after"))
        });
    }
    let answers = burst.join_all().await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let worst_health = probe.await.unwrap();
    let peak = rss_kib(pid, "VmHWM:");
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);

    let permits = licensedesk::admin::auth::hashing_permits() as u64;
    let bound = baseline + permits * 20 * 1024 + 64 * 1024;
    println!(
        "burst: baseline {} MiB, peak {} MiB, bound {} MiB ({permits} hashing slots), \
         slowest /healthz {:?}",
        baseline / 1024,
        peak / 1024,
        bound / 1024,
        worst_health
    );
    assert!(
        answers
            .iter()
            .all(|(s, retry)| *s == StatusCode::UNAUTHORIZED
                || (*s == StatusCode::TOO_MANY_REQUESTS && *retry)),
        "{answers:?}"
    );
    assert!(peak <= bound, "peak {peak} KiB over the bound {bound} KiB");
    assert!(
        worst_health < std::time::Duration::from_millis(1500),
        "/healthz took {worst_health:?}"
    );
}

/// A 100,000-row users import does not block short writes (SQLite has one writer): the rows
/// are staged without the write lock and applied by a few set-based statements, so sign-ins and
/// user saves made while it runs all succeed, and quickly. (Before, written row by row in one
/// transaction, it held the lock for 12–28 s and both answered 500 `database is locked`.)
/// Re-importing the file with changes updates exactly the changed users, all or nothing.
#[tokio::test]
async fn a_big_import_never_blocks_sign_ins_or_saves() {
    const ROWS: usize = 100_000;
    let app = TestApp::spawn().await;
    let grace = app.setup().await;
    let mut csv = String::from("display_name,sign_in_name,department,enabled\n");
    for i in 0..ROWS {
        csv.push_str(&format!(
            "User {i},user{i}@example.org,Dept {},true\n",
            i % 40
        ));
    }
    let import = |body: String| {
        let (http, base) = (grace.http.clone(), grace.base.clone());
        tokio::spawn(async move {
            let res = http
                .post(format!("{base}/api/directory/import/users"))
                .header("content-type", "text/csv")
                .body(body)
                .send()
                .await
                .unwrap();
            (
                res.status(),
                res.json::<Value>().await.unwrap_or(Value::Null),
            )
        })
    };
    // One probe: a correct sign-in and a user save, both must succeed; answers how long it took.
    let probes = std::sync::atomic::AtomicUsize::new(0);
    let probe_once = || {
        let (app, grace, probes) = (&app, &grace, &probes);
        async move {
            let n = probes.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let t = std::time::Instant::now();
            let (code, body) = app.client().sign_in("grace", PASSWORD).await;
            assert!(
                code.is_success() || code.is_redirection(),
                "sign-in during the import: {code} {body}"
            );
            add_user(
                grace,
                &format!("Probe {n}"),
                &format!("probe{n}@example.org"),
            )
            .await;
            t.elapsed()
        }
    };
    let mut quiet = std::time::Duration::ZERO;
    for _ in 0..3 {
        quiet = quiet.max(probe_once().await);
    }
    let probe = |import: tokio::task::JoinHandle<(StatusCode, Value)>| {
        let probe_once = &probe_once;
        async move {
            let started = std::time::Instant::now();
            let mut worst = std::time::Duration::ZERO;
            let mut n = 0;
            while !import.is_finished() {
                worst = worst.max(probe_once().await);
                n += 1;
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            let result = import.await.unwrap();
            (result, worst, n, started.elapsed())
        }
    };

    let ((code, report), worst, probes, took) = probe(import(csv.clone())).await;
    assert_eq!(code, StatusCode::OK, "{report}");
    assert_eq!(report["created"], ROWS);
    assert_eq!(report["updated"], 0);
    assert!(probes > 0, "the import finished before any probe ran");
    println!(
        "100k import in {took:?}: {probes} sign-in + save probes, slowest {worst:?} \
         (without an import: {quiet:?})"
    );
    // Every probe succeeded (above). The swap holds the write lock for 1–2.5 s in this debug
    // build on a quiet machine, below the 5-second busy timeout that turned waits into errors.
    // How long depends on the machine (a loaded CI runner took 6 s for a probe whose quiet time
    // was 1.35 s), so the bound is relative: no probe waited for the bulk of the import, as
    // every probe did when the whole import held the lock, and several finished while it ran.
    assert!(
        worst < quiet + took / 2,
        "a sign-in and save took {worst:?} during a {took:?} import ({quiet:?} without)"
    );
    assert!(
        probes >= 3,
        "only {probes} probes finished during a {took:?} import"
    );

    // The same file with every tenth user renamed: 100,000 matched, 10,000 changed.
    let changed = csv.replace("Dept 7,", "Dept Seven,");
    let ((code, report), _, _, _) = probe(import(changed)).await;
    assert_eq!(code, StatusCode::OK, "{report}");
    assert_eq!(report["created"], 0);
    assert_eq!(report["updated"], ROWS);
    let seven: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM dir_users WHERE department = 'Dept Seven'")
            .fetch_one(&app.db().pool)
            .await
            .unwrap();
    assert_eq!(seven, 2_500);
    // The search index follows the changed rows.
    let (code, found) = grace.call_json("users_list", &[("q", "dept seven")]).await;
    assert_eq!(code, StatusCode::OK, "{found}");
    assert!(found.to_string().contains("Dept Seven"), "{found}");
}
