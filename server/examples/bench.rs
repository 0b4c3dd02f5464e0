//! Directory list benchmark: loads 100,000 users, boots the real router on port 0, and measures
//! the server time (loopback HTTP round trip through authentication, the query and JSON) of the
//! first page, a deep page (page 1,000 of 2,000, reached by keyset cursor) and a search; then
//! the time to validate and store a 5,000-set number-set CSV.
//!
//! `cargo xtask bench` runs it on SQLite and, when reachable, PostgreSQL.
//! Options: `--users N`, `--samples N`, `--database-url URL` (a PostgreSQL server database where
//! a fresh database may be created; default: a temporary SQLite file).

use licensedesk::core::audit::Who;
use licensedesk::core::clock::SystemClock;
use licensedesk::services::{Services, SessionConfig};
use licensedesk::web::assets::{Assets, Source};
use licensedesk::web::{AppState, router};
use sqlx::{AssertSqlSafe, Connection};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

const FIRST: &[&str] = &[
    "Ada", "Alan", "Amara", "Anouk", "Bea", "Bram", "Carlos", "Chen", "Daan", "Elif", "Emma",
    "Farah", "Gabriel", "Grace", "Hana", "Hugo", "Ines", "Isaac", "Jasper", "Julia", "Kai", "Lars",
    "Lea", "Lucas", "Maya", "Noah", "Noor", "Olga", "Omar", "Priya", "Rafael", "Rita", "Sara",
    "Sofia", "Thijs", "Vera", "Wei", "Yara", "Yusuf", "Zoe",
];
const LAST: &[&str] = &[
    "Bakker", "Brouwer", "Chen", "Costa", "Dekker", "Demir", "Fischer", "Garcia", "Hendriks",
    "Jansen", "Kaya", "Kowalski", "Meijer", "Mulder", "Nguyen", "Okafor", "Peters", "Raman",
    "Rossi", "Smit", "Suzuki", "Visser", "Vos", "Willems", "Yilmaz", "Zhang",
];
const DEPARTMENTS: &[&str] = &[
    "Research & Development",
    "Clinical Operations",
    "Manufacturing",
    "Quality Assurance",
    "Sales",
    "Marketing",
    "Finance",
    "Human Resources",
    "Legal",
    "IT",
    "Supply Chain",
];

/// Form fields of a server-function call.
type Form = Vec<(&'static str, String)>;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

async fn database_url() -> (String, &'static str) {
    match arg("--database-url") {
        Some(admin) if admin.starts_with("postgres") => {
            sqlx::any::install_default_drivers();
            let name = format!("ld_bench_{:08x}", rand::random::<u32>());
            let mut conn = sqlx::AnyConnection::connect(&admin).await.expect("connect");
            sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("create database");
            let mut url = url::Url::parse(&admin).unwrap();
            url.set_path(&format!("/{name}"));
            (url.to_string(), "PostgreSQL")
        }
        _ => {
            let dir = std::env::temp_dir().join(format!("ld-bench-{:08x}", rand::random::<u32>()));
            std::fs::create_dir_all(&dir).unwrap();
            (
                format!("sqlite://{}", dir.join("bench.db").display()),
                "SQLite",
            )
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let users: usize = arg("--users")
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let samples: usize = arg("--samples").and_then(|v| v.parse().ok()).unwrap_or(300);
    let (url, backend) = database_url().await;
    let db = licensedesk::open_database(&url.parse().map_err(anyhow::Error::msg)?).await?;

    // Load the users in batches inside one transaction.
    let started = Instant::now();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut tx = db.begin_write().await?;
    const BATCH: usize = 500;
    for chunk in (0..users).collect::<Vec<_>>().chunks(BATCH) {
        let mut sql = String::from(
            "INSERT INTO dir_users (display_name, display_key, sign_in_name, sign_in_key, department, \
             enabled, search_text, created_at, updated_at) VALUES ",
        );
        let mut rows = vec![];
        for (n, i) in chunk.iter().enumerate() {
            let first = FIRST[i % FIRST.len()];
            let last = LAST[(i / FIRST.len()) % LAST.len()];
            let name = format!("{first} {last} {i:06}");
            let sign_in = format!(
                "{}.{}{i}@example.com",
                first.to_lowercase(),
                last.to_lowercase()
            );
            let dept = DEPARTMENTS[i % DEPARTMENTS.len()];
            let b = n * 7;
            sql.push_str(&format!(
                "{}(${}, ${}, ${}, ${}, ${}, 1, ${}, ${}, ${})",
                if n == 0 { "" } else { ", " },
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 7,
                b + 7
            ));
            rows.push((name, sign_in, dept, now - (users - i) as i64));
        }
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (name, sign_in, dept, created) in rows {
            let search = licensedesk::directory::search_text(&name, &sign_in, dept);
            q = q
                .bind(name.clone())
                .bind(name.to_lowercase())
                .bind(sign_in.clone())
                .bind(sign_in.to_lowercase())
                .bind(dept.to_string())
                .bind(search)
                .bind(created);
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    if backend == "PostgreSQL" {
        sqlx::query("ANALYZE").execute(&db.pool).await?;
    }
    let load = started.elapsed();

    let services = Arc::new(Services {
        db,
        clock: Arc::new(SystemClock),
        sessions: SessionConfig::default(),
    });
    services
        .create_admin(
            &Who::default(),
            app::api::ssr::NewAdmin {
                username: "bench".into(),
                display_name: "Bench".into(),
                role: app::domain::Role::GlobalAdmin,
                password: "benchmark password".into(),
            },
            Some("Bench"),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let state_pool = services.db.pool.clone();
    let state = AppState::new(
        services,
        Assets::new(Source::Dir(std::env::temp_dir().join("ld-none"))),
        false,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        axum::serve(
            listener,
            router(state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let base = format!("http://{addr}");
    let client = reqwest::Client::builder().cookie_store(true).build()?;
    let res = client
        .post(format!("{base}/api/sign_in"))
        .form(&[("username", "bench"), ("password", "benchmark password")])
        .send()
        .await?;
    anyhow::ensure!(
        res.status().is_success(),
        "sign-in failed: {}",
        res.status()
    );

    let list = |form: Vec<(&'static str, String)>| {
        let client = client.clone();
        let base = base.clone();
        async move {
            let t = Instant::now();
            let res = client
                .post(format!("{base}/api/users_list"))
                .form(&form)
                .send()
                .await
                .unwrap();
            assert!(res.status().is_success(), "{}", res.status());
            let body: serde_json::Value = res.json().await.unwrap();
            (t.elapsed().as_secs_f64() * 1000.0, body)
        }
    };

    // Reach page 1,000 by following cursors.
    let mut cursor: Option<String> = None;
    let deep_page = (users / 50 / 2).max(1);
    for _ in 1..deep_page {
        let mut form = vec![("sort", "name".to_string())];
        if let Some(c) = &cursor {
            form.push(("after", c.clone()));
        }
        let (_, body) = list(form).await;
        cursor = body["next"].as_str().map(str::to_string);
    }
    let deep_cursor = cursor.expect("a deep cursor");

    let cases: Vec<(String, Vec<(&'static str, String)>)> = vec![
        (
            "first page (sorted by name)".into(),
            vec![("sort", "name".into())],
        ),
        (
            format!("page {deep_page} (keyset cursor)"),
            vec![("sort", "name".into()), ("after", deep_cursor.clone())],
        ),
        (
            "search \"grace\" (substring)".into(),
            vec![("q", "grace".into())],
        ),
        (
            "search \"zz-no-match\"".into(),
            vec![("q", "zz-no-match".into())],
        ),
    ];
    println!(
        "\nLicenseDesk directory benchmark — {backend}, {users} users, {samples} samples per case"
    );
    println!(
        "load: {:.1} s ({:.0} users/s)\n",
        load.as_secs_f64(),
        users as f64 / load.as_secs_f64()
    );
    println!(
        "{:<34} {:>9} {:>9} {:>9} {:>8}",
        "case", "p50 ms", "p99 ms", "mean ms", "rows"
    );
    for (name, form) in cases {
        let mut times = vec![];
        let mut rows = 0;
        for _ in 0..samples {
            let (ms, body) = list(form.clone()).await;
            rows = body["items"].as_array().map(|a| a.len()).unwrap_or(0);
            times.push(ms);
        }
        times.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        println!(
            "{:<34} {:>9.2} {:>9.2} {:>9.2} {:>8}",
            name,
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            mean,
            rows
        );
    }

    // Number-set upload: a 5,000-set CSV validated and stored (SPEC L-2), a new agreement each time.
    let mut times = vec![];
    for round in 0..10 {
        let file: String = (0..5_000)
            .map(|i| format!("{round:02}-{i:05},E{round:02}{i:05},Bench agreement {round}\n"))
            .collect();
        let t = Instant::now();
        let res = client
            .post(format!("{base}/api/licenses/upload"))
            .query(&[("file_name", "sets.csv")])
            .body(file)
            .send()
            .await?;
        anyhow::ensure!(res.status().is_success(), "upload failed: {}", res.status());
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let upload_line = format!(
        "{:<34} {:>9.1} {:>9.1} (max of 10 uploads)",
        "5,000-set CSV validated + stored",
        percentile(&times, 0.5),
        times[times.len() - 1]
    );
    println!("\n{upload_line}");

    // 50,000 agreements (the ten uploads above made 10) and 700 devices with detected software.
    let pool = state_pool.clone();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut tx = pool.begin().await?;
    let group: i64 = sqlx::query_scalar("SELECT id FROM license_groups WHERE builtin = 1")
        .fetch_one(&mut *tx)
        .await?;
    let catalog = licensedesk::licenses::catalog::CATALOG;
    for chunk in (0..49_990usize).collect::<Vec<_>>().chunks(500) {
        let mut sql = String::from(
            "INSERT INTO agreements (kind, name, name_key, group_id, publisher, product, license_count, details, created_at, updated_at) VALUES ",
        );
        for (n, _) in chunk.iter().enumerate() {
            let b = n * 5;
            sql.push_str(&format!(
                "{}('other', ${}, ${}, ${}, ${}, ${}, 10, '', {now}, {now})",
                if n == 0 { "" } else { ", " },
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5
            ));
        }
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for i in chunk {
            let (publisher, product, _) = catalog[i % catalog.len()];
            let name = format!("Agreement {i:05} {product}");
            q = q
                .bind(name.clone())
                .bind(name.to_lowercase())
                .bind(group)
                .bind(publisher)
                .bind(product);
        }
        q.execute(&mut *tx).await?;
    }
    for d in 0..700i64 {
        let name = format!("BENCH-PC{d:04}");
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO dir_devices (name, name_key, platform, os_version, join_type, created_at, updated_at) \
             VALUES ($1, $2, 'windows', '10.0', 'domain_joined', $3, $3) RETURNING id",
        )
        .bind(name.clone())
        .bind(name.to_lowercase())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        for k in 0..12usize {
            let (publisher, product, version) = catalog[(d as usize * 7 + k * 3) % catalog.len()];
            sqlx::query("INSERT INTO detected_software (device_id, publisher, product, version) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
                .bind(id)
                .bind(publisher)
                .bind(product)
                .bind(version)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    if backend == "PostgreSQL" {
        sqlx::query("ANALYZE").execute(&pool).await?;
    }
    let call = |endpoint: &'static str, form: Vec<(&'static str, String)>| {
        let client = client.clone();
        let base = base.clone();
        async move {
            let t = Instant::now();
            let res = client
                .post(format!("{base}/api/{endpoint}"))
                .form(&form)
                .send()
                .await
                .unwrap();
            assert!(res.status().is_success(), "{endpoint}: {}", res.status());
            let body: serde_json::Value = res.json().await.unwrap();
            (t.elapsed().as_secs_f64() * 1000.0, body)
        }
    };
    let mut cursor: Option<String> = None;
    for _ in 1..500 {
        let mut form = vec![];
        if let Some(c) = &cursor {
            form.push(("after", c.clone()));
        }
        let (_, body) = call("agreements_list", form).await;
        cursor = body["next"].as_str().map(str::to_string);
    }
    let deep = cursor.expect("deep agreements cursor");
    println!("\n50,000 agreements, 700 managed computers ({backend})");
    println!(
        "{:<34} {:>9} {:>9} {:>9} {:>8}",
        "case", "p50 ms", "p99 ms", "mean ms", "rows"
    );
    let cases: Vec<(&str, &'static str, Form)> = vec![
        ("agreements, first page", "agreements_list", vec![]),
        (
            "agreements, page 500",
            "agreements_list",
            vec![("after", deep)],
        ),
        (
            "agreements, search \"visio\"",
            "agreements_list",
            vec![("q", "visio".into())],
        ),
        ("installation report (all)", "report_installation", vec![]),
    ];
    for (name, endpoint, form) in cases {
        let mut times = vec![];
        let mut rows = 0;
        for _ in 0..(samples / 3).max(20) {
            let (ms, body) = call(endpoint, form.clone()).await;
            rows = body["items"]
                .as_array()
                .or(body["lines"].as_array())
                .map(|a| a.len())
                .unwrap_or(0);
            times.push(ms);
        }
        times.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        println!(
            "{:<34} {:>9.2} {:>9.2} {:>9.2} {:>8}",
            name,
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            mean,
            rows
        );
    }
    dashboard(&client, &base, &pool, backend, (samples / 3).max(20)).await
}

/// Gives the benchmark's organisation something for every chart: one agreement in ten ends
/// within the next two years, and 20 billing profiles have a year of invoices (10 lines each).
async fn dashboard_data(pool: &sqlx::AnyPool, backend: &str) -> anyhow::Result<()> {
    let now = time::OffsetDateTime::now_utc();
    let today = now.date();
    let mut tx = pool.begin().await?;
    for d in 0..730i64 {
        let ends = app::domain::billing::format_date(today + time::Duration::days(d));
        sqlx::query(
            "UPDATE agreements SET ends_on = $1 WHERE id BETWEEN $2 AND $3 AND id % 10 = 0",
        )
        .bind(ends)
        .bind(d * 68 + 1)
        .bind(d * 68 + 68)
        .execute(&mut *tx)
        .await?;
    }
    let ts = now.unix_timestamp();
    for p in 1..=20i64 {
        let profile: i64 = sqlx::query_scalar(
            "INSERT INTO billing_profiles (name, name_key, contact_name, address_line, city, postal_code, region, \
             created_at, updated_at) VALUES ($1, $2, 'Bench', 'Dam 1', 'Amsterdam', '1012 JS', 'NL', $3, $3) RETURNING id",
        )
        .bind(format!("Profile {p:02}"))
        .bind(format!("profile {p:02}"))
        .bind(ts)
        .fetch_one(&mut *tx)
        .await?;
        for m in 0..12 {
            let month = app::domain::billing::shift_months(today, -m);
            let period = format!("{:04}-{:02}", month.year(), u8::from(month.month()));
            let invoice: i64 = sqlx::query_scalar(
                "INSERT INTO invoices (number, profile_id, period, issued_on, due_on, status, created_at) \
                 VALUES ($1, $2, $3, $4, $4, 'paid', $5) RETURNING id",
            )
            .bind(format!("B-{p:02}-{period}"))
            .bind(profile)
            .bind(&period)
            .bind(format!("{period}-01"))
            .bind(ts)
            .fetch_one(&mut *tx)
            .await?;
            for l in 0..10i64 {
                sqlx::query(
                    "INSERT INTO invoice_lines (invoice_id, kind, description, quantity, unit_price_minor, amount_minor, currency) \
                     VALUES ($1, 'charge', 'Seats', 1, $2, $2, 'EUR')",
                )
                .bind(invoice)
                .bind(1_000 * (p + l))
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    tx.commit().await?;
    if backend == "PostgreSQL" {
        sqlx::query("ANALYZE").execute(pool).await?;
    }
    Ok(())
}

/// The dashboard (its two server functions and the SSR page) beside the agreements page, same
/// data, same run (SPEC X-1: the dashboard must not be slower than the agreements page).
async fn dashboard(
    client: &reqwest::Client,
    base: &str,
    pool: &sqlx::AnyPool,
    backend: &str,
    samples: usize,
) -> anyhow::Result<()> {
    dashboard_data(pool, backend).await?;
    let cases: [(&str, &str, bool); 5] = [
        (
            "dashboard_figures (server fn)",
            "/api/dashboard_figures",
            true,
        ),
        (
            "dashboard_charts (server fn)",
            "/api/dashboard_charts",
            true,
        ),
        ("dashboard page / (SSR)", "/", false),
        ("agreements_list (server fn)", "/api/agreements_list", true),
        ("agreements page (SSR)", "/licenses/agreements", false),
    ];
    println!(
        "\nDashboard beside the agreements page ({backend}, 100,000-user data, {samples} samples)"
    );
    println!(
        "{:<34} {:>9} {:>9} {:>9} {:>9}",
        "case", "p50 ms", "p99 ms", "mean ms", "bytes"
    );
    for (name, path, post) in cases {
        let mut times = vec![];
        let mut bytes = 0;
        for _ in 0..samples {
            let t = Instant::now();
            let req = if post {
                client
                    .post(format!("{base}{path}"))
                    .form(&Vec::<(&str, &str)>::new())
            } else {
                client.get(format!("{base}{path}"))
            };
            let res = req.send().await?;
            anyhow::ensure!(res.status().is_success(), "{path}: {}", res.status());
            bytes = res.bytes().await?.len();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        println!(
            "{:<34} {:>9.2} {:>9.2} {:>9.2} {:>9}",
            name,
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            mean,
            bytes
        );
    }
    Ok(())
}
