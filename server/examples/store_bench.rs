//! Store benchmark (SPEC S-2, S-6), printing its figures:
//!
//! 1. Sync: the store simulator serves 100,000 Apple assets and 100,000 assignments (pages of
//!    1,000 over loopback HTTP); the time of the first sync (all inserts, names looked up in
//!    batches of 500) and of a second one (nothing changed) — goal ≤ 10 s.
//! 2. Race: 10,000 assignment attempts for an app with 1,000 licenses, each a `store_deploy`
//!    request to a different user through the real router, 500 in flight at a time — goal:
//!    exactly 1,000 granted, 9,000 refused with 409, 0 errors, `used` = 1,000.
//!
//! `cargo xtask bench` runs it on SQLite and, when reachable, PostgreSQL.
//! Options: `--assets N`, `--attempts N`, `--licenses N`, `--in-flight N`, `--database-url URL`
//! (a PostgreSQL server where a fresh database may be created; default: a temporary SQLite file).

use licensedesk::core::audit::Who;
use licensedesk::core::clock::SystemClock;
use licensedesk::services::{Services, SessionConfig};
use licensedesk::store::Store;
use licensedesk::store::simulator::{StoreSim, spawn};
use licensedesk::web::assets::{Assets, Source};
use licensedesk::web::{AppState, router};
use sqlx::{AssertSqlSafe, Connection};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn num(name: &str, default: usize) -> usize {
    arg(name).and_then(|v| v.parse().ok()).unwrap_or(default)
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
    let assets = num("--assets", 100_000);
    let attempts = num("--attempts", 10_000);
    let licenses = num("--licenses", 1_000) as i64;
    let in_flight = num("--in-flight", 500);
    // The sync logs how long it fetched and applied.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LICENSEDESK_LOG")
                .unwrap_or_else(|_| "warn,licensedesk::store::sync=info".into()),
        )
        .init();
    let (url, backend) = database_url().await;
    println!("== Store benchmark on {backend} ==");
    let db =
        licensedesk::open_database(&url.parse().map_err(|e: String| anyhow::anyhow!(e))?).await?;

    // --- 1. Sync -------------------------------------------------------------------------------
    let mut sim = StoreSim::seeded(assets, assets);
    sim.page_size = 1000;
    let sim_base = spawn("127.0.0.1:0".parse()?, Arc::new(sim)).await?;
    let services = Arc::new(Services {
        db: db.clone(),
        clock: Arc::new(SystemClock),
        sessions: SessionConfig::default(),
    });
    let key = licensedesk::secrets::SecretBox::generate_key();
    let make_store = || {
        let mut store = Store::new(
            db.clone(),
            services.clock.clone(),
            licensedesk::secrets::SecretBox::new(key),
        );
        store.apple_url = StoreSim::apple_url(&sim_base);
        store
    };
    let store = make_store();
    let who = Who {
        actor_name: Some("bench".into()),
        ..Default::default()
    };
    let store = Arc::new(store);
    let token = licensedesk::store::apple::make_token(
        "bench-token",
        "Bench Org",
        time::OffsetDateTime::now_utc().unix_timestamp() + 365 * 86_400,
    );
    // Linking starts the first sync; measure from the click to the end of that run.
    let t = Instant::now();
    let conn_id = store
        .link_apple_tx(
            &who,
            app::domain::store::AppleLinkForm {
                name: "Bench".into(),
                apple_id: "bench@example.com".into(),
                token_file: token,
                confirmed: true,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    loop {
        let running: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM store_sync_runs WHERE result = 'running'")
                .fetch_one(&db.pool)
                .await?;
        if running == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let first = t.elapsed();
    let (result, added, error): (String, i64, String) =
        sqlx::query_as("SELECT result, added, error FROM store_sync_runs ORDER BY id DESC LIMIT 1")
            .fetch_one(&db.pool)
            .await?;
    anyhow::ensure!(result == "succeeded", "first sync failed: {error}");
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM store_assignments")
        .fetch_one(&db.pool)
        .await?;
    println!(
        "sync, first run:  {:>7.2} s  ({added} apps added, {stored} assignments stored; {assets} assets incl. books, goal ≤ 10 s)",
        first.as_secs_f64()
    );
    let t = Instant::now();
    let again = store
        .sync_and_wait(conn_id, "manual", who.clone())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let second = t.elapsed();
    let counts = again.result.map_err(|e| anyhow::anyhow!(e))?;
    println!(
        "sync, unchanged:  {:>7.2} s  (added {}, updated {}, retired {})",
        second.as_secs_f64(),
        counts.added,
        counts.updated,
        counts.retired
    );

    // --- 2. Race for the last licenses through the server --------------------------------------
    let app_id: i64 = sqlx::query_scalar(
        "SELECT id FROM store_apps WHERE total_count < 1000000 ORDER BY id LIMIT 1",
    )
    .fetch_one(&db.pool)
    .await?;
    sqlx::query("UPDATE store_apps SET total_count = $1 WHERE id = $2")
        .bind(licenses)
        .bind(app_id)
        .execute(&db.pool)
        .await?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut tx = db.pool.begin().await?;
    for chunk in (0..attempts).collect::<Vec<_>>().chunks(500) {
        let mut sql = String::from(
            "INSERT INTO dir_users (display_name, display_key, sign_in_name, sign_in_key, search_text, created_at, updated_at) VALUES ",
        );
        for (i, _) in chunk.iter().enumerate() {
            let b = i * 3;
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, {now}, {now})",
                b + 1,
                b + 1,
                b + 2,
                b + 2,
                b + 3
            ));
        }
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for n in chunk {
            let name = format!("racer {n:05}");
            let sign_in = format!("racer{n:05}@bench.example");
            q = q
                .bind(name.clone())
                .bind(sign_in.clone())
                .bind(format!("{name} {sign_in}"));
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    let user_ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM dir_users WHERE sign_in_key LIKE 'racer%' ORDER BY id")
            .fetch_all(&db.pool)
            .await?;
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
    // The server's store service shares the key, so deliveries after the grants reach the
    // simulated store as they would in production.
    let state = AppState::new(
        services.clone(),
        Assets::new(Source::Dir(std::env::temp_dir().join("ld-none"))),
        false,
    )
    .with_store(make_store());
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
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .pool_max_idle_per_host(in_flight)
        .build()?;
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
    let gate = Arc::new(tokio::sync::Semaphore::new(in_flight));
    let t = Instant::now();
    let mut tasks = Vec::with_capacity(user_ids.len());
    for user in user_ids {
        let client = client.clone();
        let base = base.clone();
        let gate = gate.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await.expect("semaphore open");
            let started = Instant::now();
            let status = client
                .post(format!("{base}/api/store_deploy"))
                .form(&[
                    ("app_id", app_id.to_string()),
                    ("intent", "required".to_string()),
                    ("targets", format!("user:{user}")),
                ])
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0);
            (status, started.elapsed())
        }));
    }
    let (mut granted, mut refused, mut errors) = (0, 0, 0);
    let mut latencies = vec![];
    for task in tasks {
        let (status, took) = task.await?;
        latencies.push(took.as_secs_f64() * 1000.0);
        match status {
            200 => granted += 1,
            409 => refused += 1,
            _ => errors += 1,
        }
    }
    let total = t.elapsed();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let p = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    let (used, holders): (i64, i64) = sqlx::query_as(
        "SELECT used, (SELECT COUNT(*) FROM store_licenses WHERE app_id = $1) FROM store_apps WHERE id = $1",
    )
    .bind(app_id)
    .fetch_one(&db.pool)
    .await?;
    println!(
        "race: {attempts} attempts for {licenses} licenses, {in_flight} in flight: granted {granted}, refused {refused}, errors {errors}; used {used}, holders {holders}; {:.2} s ({:.0} requests/s), latency p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms",
        total.as_secs_f64(),
        attempts as f64 / total.as_secs_f64(),
        p(0.5),
        p(0.95),
        p(0.99)
    );
    anyhow::ensure!(
        granted == licenses && used == licenses && holders == licenses && errors == 0,
        "oversold or failed: granted {granted}, used {used}, holders {holders}, errors {errors}"
    );
    Ok(())
}
