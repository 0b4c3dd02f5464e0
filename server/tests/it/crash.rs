//! Crash safety: the server is killed with SIGKILL in the middle of a store sync, a 100,000-row
//! users import and the billing job, then started again on the same database. After each kill
//! the database passes its integrity check (SQLite), holds all or nothing of the interrupted
//! operation, no sync run is left "running", and the next run of the operation succeeds.
//!
//! One round per operation in the test suite; `cargo xtask soak` runs more rounds
//! (`LICENSEDESK_CRASH_ROUNDS`), each killing at another moment.

use crate::common::{Client, PASSWORD, fresh_database_url, on_postgres};
use licensedesk::store::apple::make_token;
use licensedesk::store::simulator::{StoreSim, spawn};
use reqwest::StatusCode;
use sqlx::AnyPool;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn rounds() -> usize {
    std::env::var("LICENSEDESK_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

/// The release-like server binary on one database, started and killed at will.
struct Server {
    db_url: String,
    key_file: std::path::PathBuf,
    apple_url: String,
    base: String,
    child: Option<Child>,
}

impl Server {
    async fn new(dir: &std::path::Path, apple_url: String) -> Server {
        let db_url = if on_postgres() {
            fresh_database_url().await
        } else {
            format!("sqlite://{}", dir.join("ld.db").display())
        };
        let bin = env!("CARGO_BIN_EXE_licensedesk");
        let status = Command::new(bin)
            .args(["create-admin", "--database-url", &db_url])
            .args(["--username", "ops", "--display-name", "Ops"])
            .args(["--password", PASSWORD])
            .status()
            .unwrap();
        assert!(status.success());
        Server {
            db_url,
            key_file: dir.join("secret.key"),
            apple_url,
            base: String::new(),
            child: None,
        }
    }

    /// Starts the server and waits until `/healthz` answers.
    async fn start(&mut self) {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        self.base = format!("http://127.0.0.1:{port}");
        let child = Command::new(env!("CARGO_BIN_EXE_licensedesk"))
            .args(["serve", "--database-url", &self.db_url])
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--apple-store-url", &self.apple_url])
            .arg("--secret-key-file")
            .arg(&self.key_file)
            .env("LICENSEDESK_LOG", "error")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let http = reqwest::Client::new();
        for _ in 0..400 {
            if http
                .get(format!("{}/healthz", self.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the server did not start");
    }

    /// SIGKILL: no destructor, no flush, no goodbye.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    async fn signed_in(&self) -> Client {
        let c = Client {
            base: self.base.clone(),
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        };
        let (code, body) = c.sign_in("ops", PASSWORD).await;
        assert!(code.is_success() || code.is_redirection(), "{code} {body}");
        c
    }

    async fn pool(&self) -> AnyPool {
        sqlx::any::install_default_drivers();
        sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect(&self.db_url)
            .await
            .unwrap()
    }

    /// With the server stopped: the database file is sound.
    async fn check_integrity(&self) {
        if on_postgres() {
            return; // PostgreSQL's WAL replay is its own check
        }
        let pool = self.pool().await;
        let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_all(&pool)
            .await
            .unwrap();
        assert_eq!(rows, vec!["ok".to_string()], "integrity check");
        let fk: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pragma_foreign_key_check")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(fk, 0, "rows whose foreign keys point nowhere");
        pool.close().await;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn scalar(pool: &AnyPool, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Waits until `sql` (a count) reaches at least `want`; answers the last count.
async fn until(pool: &AnyPool, sql: &str, want: i64, within: Duration) -> i64 {
    let deadline = Instant::now() + within;
    loop {
        let n = scalar(pool, sql).await;
        if n >= want || Instant::now() > deadline {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A pause of 0..`max_ms` milliseconds, different in every round.
fn jitter(max_ms: u64) -> Duration {
    Duration::from_millis(rand::random::<u64>() % max_ms.max(1))
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ld-crash-{name}-{:016x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Assets in the simulated store; one in 25 is a book, so 19,200 are apps.
const ASSETS: usize = 20_000;
const APPS: usize = ASSETS - ASSETS / 25;
/// Apps bought between rounds.
const ADDED: usize = 1_000;

#[tokio::test]
async fn kill_9_during_a_store_sync_leaves_all_or_nothing() {
    let mut sim = StoreSim::seeded(ASSETS, 2_000);
    sim.page_size = 500;
    let sim = Arc::new(sim);
    let sim_base = spawn("127.0.0.1:0".parse().unwrap(), sim.clone())
        .await
        .unwrap();
    let dir = temp_dir("sync");
    let mut server = Server::new(&dir, StoreSim::apple_url(&sim_base)).await;
    // Link and sync once, uninterrupted: how long a sync takes here. The kills land from its
    // middle to just after its end, where the apply and its commit are.
    server.start().await;
    let ops = server.signed_in().await;
    let pool = server.pool().await;
    const SUCCEEDED: &str = "SELECT COUNT(*) FROM store_sync_runs WHERE result = 'succeeded'";
    let started = Instant::now();
    let file = make_token("crash-token", "Northwind Health", 4_000_000_000);
    let (code, body) = ops
        .call_json(
            "store_link_apple",
            &[
                ("form[name]", "Head office"),
                ("form[apple_id]", "it@northwind.example"),
                ("form[token_file]", &file),
                ("form[confirmed]", "true"),
            ],
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(
        until(&pool, SUCCEEDED, 1, Duration::from_secs(120)).await,
        1
    );
    let takes = started.elapsed();
    pool.close().await;
    server.kill();
    let mut all = APPS as i64;
    for round in 0..rounds() {
        // New purchases each round, so a sync that was applied shows (+ADDED apps).
        {
            let mut assets = sim.assets.write().unwrap();
            for i in 0..ADDED {
                let n = assets.len();
                assets.push(licensedesk::store::simulator::SimAsset {
                    adam_id: format!("{}", 900_000_000 + n),
                    pricing_param: "STDQ".into(),
                    name: format!("Round {round} app {i}"),
                    publisher: "Crash Test Ltd".into(),
                    product_type: "App".into(),
                    platforms: vec!["iOS".into()],
                    total: 10,
                    device_assignable: true,
                });
            }
            all += ADDED as i64;
        }
        server.start().await;
        let ops = server.signed_in().await;
        let pool = server.pool().await;
        let before = scalar(&pool, "SELECT COUNT(*) FROM store_apps").await;
        let id = scalar(&pool, "SELECT MIN(id) FROM store_connections").await;
        let (code, body) = ops
            .call_json("store_sync_now", &[("connection_id", &id.to_string())])
            .await;
        assert_eq!(code, StatusCode::OK, "{body}");
        // Kill once the run is under way, at a different moment each round.
        until(
            &pool,
            "SELECT COUNT(*) FROM store_sync_runs WHERE result = 'running'",
            1,
            Duration::from_secs(10),
        )
        .await;
        let window = takes.as_millis() as u64;
        tokio::time::sleep(Duration::from_millis(window / 5) + jitter(window * 8 / 10)).await;
        pool.close().await;
        server.kill();
        server.check_integrity().await;

        server.start().await;
        let pool = server.pool().await;
        let running = scalar(
            &pool,
            "SELECT COUNT(*) FROM store_sync_runs WHERE result = 'running'",
        )
        .await;
        assert_eq!(running, 0, "a dead run is shown as running");
        let apps = scalar(&pool, "SELECT COUNT(*) FROM store_apps").await;
        assert!(
            apps == before || apps == all,
            "round {round}: {apps} apps after the kill (before {before}, all {all})"
        );
        let broken = scalar(
            &pool,
            "SELECT COUNT(*) FROM store_apps a WHERE a.used <> \
             (SELECT COUNT(*) FROM store_licenses l WHERE l.app_id = a.id)",
        )
        .await;
        assert_eq!(broken, 0, "licenses used disagree with the ledger");
        // The next run succeeds and brings everything.
        let ops = server.signed_in().await;
        let succeeded = scalar(&pool, SUCCEEDED).await;
        let (code, body) = ops
            .call_json("store_sync_now", &[("connection_id", &id.to_string())])
            .await;
        assert_eq!(code, StatusCode::OK, "{body}");
        let done = until(&pool, SUCCEEDED, succeeded + 1, Duration::from_secs(120)).await;
        assert_eq!(
            done,
            succeeded + 1,
            "the sync after the kill did not succeed"
        );
        assert_eq!(scalar(&pool, "SELECT COUNT(*) FROM store_apps").await, all);
        println!(
            "sync round {round}: killed with {} apps stored ({}), next run succeeded",
            apps,
            if apps == before {
                "nothing applied"
            } else {
                "all applied"
            }
        );
        pool.close().await;
        server.kill();
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn kill_9_during_a_100k_users_import_leaves_all_or_nothing() {
    const ROWS: i64 = 100_000;
    let dir = temp_dir("import");
    let mut server = Server::new(&dir, "http://127.0.0.1:9/mdm/v2".into()).await;
    // How long one import takes here, uninterrupted: the kills land from its middle to just
    // after its end, where the swap and the commit are.
    server.start().await;
    let ops = server.signed_in().await;
    let mut csv = String::from("display_name,sign_in_name,department,enabled\n");
    for i in 0..ROWS {
        csv.push_str(&format!("Warm-up {i},w-{i}@example.org,Ops,true\n"));
    }
    let started = Instant::now();
    let res = ops
        .http
        .post(format!("{}/api/directory/import/users", ops.base))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let takes = started.elapsed();
    server.kill();
    for round in 0..rounds() {
        server.start().await;
        let ops = server.signed_in().await;
        let pool = server.pool().await;
        let before = scalar(&pool, "SELECT COUNT(*) FROM dir_users").await;
        let imports = scalar(
            &pool,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'users.imported'",
        )
        .await;
        // New users each round, so a completed import is visible as +ROWS.
        let mut csv = String::from("display_name,sign_in_name,department,enabled\n");
        for i in 0..ROWS {
            csv.push_str(&format!(
                "User {round}-{i},u{round}-{i}@example.org,Ops,true\n"
            ));
        }
        let body = csv.clone();
        let (http, base) = (ops.http.clone(), ops.base.clone());
        let upload = tokio::spawn(async move {
            http.post(format!("{base}/api/directory/import/users"))
                .header("content-type", "text/csv")
                .body(body)
                .send()
                .await
        });
        let window = takes.as_millis() as u64;
        tokio::time::sleep(Duration::from_millis(window / 2) + jitter(window * 6 / 10)).await;
        pool.close().await;
        server.kill();
        let _ = upload.await;
        server.check_integrity().await;

        server.start().await;
        let pool = server.pool().await;
        let after = scalar(&pool, "SELECT COUNT(*) FROM dir_users").await;
        let audited = scalar(
            &pool,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'users.imported'",
        )
        .await;
        assert!(
            (after == before && audited == imports)
                || (after == before + ROWS && audited == imports + 1),
            "round {round}: {after} users ({before} before), {audited} import entries ({imports} before)"
        );
        let completed = after == before + ROWS;
        if !completed {
            let ops = server.signed_in().await;
            let res = ops
                .http
                .post(format!("{}/api/directory/import/users", ops.base))
                .header("content-type", "text/csv")
                .body(csv)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(
                scalar(&pool, "SELECT COUNT(*) FROM dir_users").await,
                before + ROWS
            );
        }
        println!(
            "import round {round}: killed {}",
            if completed {
                "after the commit"
            } else {
                "before the commit; the next import succeeded"
            }
        );
        pool.close().await;
        server.kill();
    }
    let _ = std::fs::remove_dir_all(&dir);
}

const PROFILES: i64 = 400;

/// Profiles with one active monthly subscription each, activated two years ago: the billing
/// job at start-up writes 25 invoices per profile, one transaction each.
async fn seed_billing(pool: &AnyPool) {
    let now = time::OffsetDateTime::now_utc();
    // The day before the first of the month 24 months ago: all 25 months since are charged.
    let today = now.date();
    let start = time::Date::from_calendar_date(today.year() - 2, today.month(), 1).unwrap()
        - time::Duration::days(1);
    let start_s = start.to_string();
    let renews = (now.date() + time::Duration::days(20)).to_string();
    let t = start.midnight().assume_utc().unix_timestamp();
    let series = format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {PROFILES})"
    );
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO billing_profiles (name, name_key, contact_name, address_line, city, postal_code, \
         region, created_at, updated_at) {series} SELECT 'Profile ' || i, 'profile ' || i, 'Ada', \
         'Dam 1', 'Amsterdam', '1012 JS', 'NL', {t}, {t} FROM n"
    )))
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO subscriptions (app_name, publisher, channel, pricing, frequency, unit_price_minor, \
         currency, quantity, term_start_on, renews_on, profile_id, portal_url, status, activated_at, \
         created_at, updated_at) SELECT 'App ' || p.id, 'Contoso', 'direct', 'per_license', 'monthly', \
         1000, 'EUR', 5, '{start_s}', '{renews}', p.id, 'https://contoso.example', 'active', {t}, {t}, {t} \
         FROM billing_profiles p"
    )))
    .execute(pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn kill_9_during_the_billing_job_leaves_whole_invoices() {
    for round in 0..rounds() {
        let dir = temp_dir("billing");
        let mut server = Server::new(&dir, "http://127.0.0.1:9/mdm/v2".into()).await;
        let pool = server.pool().await;
        seed_billing(&pool).await;
        pool.close().await;
        // The job runs as the server starts: kill it part-way.
        server.start().await;
        let pool = server.pool().await;
        until(
            &pool,
            "SELECT COUNT(*) FROM invoices",
            1,
            Duration::from_secs(20),
        )
        .await;
        tokio::time::sleep(jitter(1_000)).await;
        pool.close().await;
        server.kill();
        server.check_integrity().await;
        let pool = server.pool().await;
        let at_kill = scalar(&pool, "SELECT COUNT(*) FROM invoices").await;
        let empty = scalar(
            &pool,
            "SELECT COUNT(*) FROM invoices i WHERE NOT EXISTS \
             (SELECT 1 FROM invoice_lines l WHERE l.invoice_id = i.id)",
        )
        .await;
        assert_eq!(empty, 0, "round {round}: invoices without their lines");
        pool.close().await;

        // The next run (at start-up) writes the rest, each invoice once.
        server.start().await;
        let pool = server.pool().await;
        let per_profile = 25;
        let all = until(
            &pool,
            "SELECT COUNT(*) FROM invoices",
            PROFILES * per_profile,
            Duration::from_secs(300),
        )
        .await;
        assert_eq!(all, PROFILES * per_profile, "invoices after the next run");
        let lines = scalar(&pool, "SELECT COUNT(*) FROM invoice_lines").await;
        let dupes = scalar(
            &pool,
            "SELECT COUNT(*) FROM (SELECT invoice_id, subscription_id FROM invoice_lines \
             GROUP BY invoice_id, subscription_id HAVING COUNT(*) > 1) d",
        )
        .await;
        assert_eq!(dupes, 0, "an invoice charges a subscription twice");
        assert_eq!(lines, all, "one line per invoice");
        println!(
            "billing round {round}: killed with {at_kill} of {all} invoices written; the next run wrote the rest"
        );
        pool.close().await;
        server.kill();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
