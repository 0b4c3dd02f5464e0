//! Test harness: boots the real router on port 0 against a fresh database — SQLite by default,
//! PostgreSQL when `LICENSEDESK_TEST_DATABASE=postgres://…` names a server where databases may
//! be created. The clock is injected so timeouts and throttling can be tested without waiting.

#![allow(dead_code)]

use licensedesk::core::clock::Clock;
use licensedesk::db::Db;
use licensedesk::services::{Services, SessionConfig};
use licensedesk::web::assets::{Assets, Source};
use licensedesk::web::{AppState, router};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::{AssertSqlSafe, Connection};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

pub struct TestClock(AtomicI64);

impl TestClock {
    pub fn now_for_tests(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }

    pub fn set(&self, secs: i64) {
        self.0.store(secs, Ordering::SeqCst);
    }

    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

pub struct TestApp {
    pub base: String,
    pub services: Arc<Services>,
    pub clock: Arc<TestClock>,
}

pub const PASSWORD: &str = "correct horse battery";

pub async fn fresh_database_url() -> String {
    match std::env::var("LICENSEDESK_TEST_DATABASE") {
        Ok(admin_url) if admin_url.starts_with("postgres") => {
            sqlx::any::install_default_drivers();
            let name = format!("ld_test_{:016x}", rand::random::<u64>());
            let mut conn = sqlx::AnyConnection::connect(&admin_url)
                .await
                .expect("connect to the PostgreSQL test server");
            sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let mut url = url::Url::parse(&admin_url).unwrap();
            url.set_path(&format!("/{name}"));
            url.to_string()
        }
        _ => {
            let dir = std::env::temp_dir().join(format!("ld-test-{:016x}", rand::random::<u64>()));
            std::fs::create_dir_all(&dir).unwrap();
            format!("sqlite://{}", dir.join("test.db").display())
        }
    }
}

pub fn on_postgres() -> bool {
    std::env::var("LICENSEDESK_TEST_DATABASE").is_ok_and(|u| u.starts_with("postgres"))
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|state| state).await
    }

    /// Like `spawn`, with a chance to configure the app state (e.g. a licensing connector).
    pub async fn spawn_with(configure: impl FnOnce(AppState) -> AppState) -> TestApp {
        let url: licensedesk::config::DatabaseUrl = fresh_database_url().await.parse().unwrap();
        let db = licensedesk::open_database(&url)
            .await
            .expect("open and migrate");
        let clock = Arc::new(TestClock(AtomicI64::new(
            time::OffsetDateTime::now_utc().unix_timestamp(),
        )));
        let services = Arc::new(Services {
            db,
            clock: clock.clone(),
            sessions: SessionConfig::default(),
        });
        let empty = std::env::temp_dir().join("ld-test-empty-site");
        let state = configure(AppState::new(
            services.clone(),
            Assets::new(Source::Dir(empty)),
            false,
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(
                listener,
                router(state).into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        TestApp {
            base: format!("http://{addr}"),
            services,
            clock,
        }
    }

    /// The billing service on this app's database and clock (to run the scheduled job).
    pub fn billing(&self) -> licensedesk::billing::Billing {
        licensedesk::billing::Billing::new(self.services.db.clone(), self.clock.clone())
    }

    pub fn db(&self) -> &Db {
        &self.services.db
    }

    /// A browser-like client with its own cookie jar; redirects are not followed.
    pub fn client(&self) -> Client {
        Client {
            base: self.base.clone(),
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    /// Runs first-run setup and returns the signed-in Global admin's client.
    pub async fn setup(&self) -> Client {
        let c = self.client();
        let (status, body) = c
            .call(
                "setup",
                &[
                    ("org_name", "Northwind Health"),
                    ("username", "grace"),
                    ("display_name", "Grace Hopper"),
                    ("password", PASSWORD),
                    ("password_confirm", PASSWORD),
                ],
            )
            .await;
        assert!(
            status.is_success() || status.is_redirection(),
            "setup: {status} {body}"
        );
        c
    }

    /// Adds an admin with `role` (as `by`) and returns a client signed in as them.
    pub async fn admin_with_role(&self, by: &Client, username: &str, role: &str) -> Client {
        let (status, body) = by
            .call(
                "admins_add",
                &[
                    ("username", username),
                    ("display_name", username),
                    ("role", role),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "add admin: {body}");
        let c = self.client();
        let (status, body) = c.sign_in(username, PASSWORD).await;
        assert!(
            status.is_success() || status.is_redirection(),
            "{status} {body}"
        );
        c
    }

    pub async fn audit_actions(&self) -> Vec<String> {
        sqlx::query_scalar("SELECT action FROM audit_log ORDER BY id")
            .fetch_all(&self.db().pool)
            .await
            .unwrap()
    }
}

pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
}

impl Client {
    /// Calls a server function the way the hydrated app does (a fetch POST, form-encoded).
    pub async fn call(&self, endpoint: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        let res = self
            .http
            .post(format!("{}/api/{endpoint}", self.base))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.text().await.unwrap())
    }

    pub async fn call_json(&self, endpoint: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let (status, body) = self.call(endpoint, form).await;
        (
            status,
            serde_json::from_str(&body).unwrap_or(Value::String(body)),
        )
    }

    pub async fn sign_in(&self, username: &str, password: &str) -> (StatusCode, String) {
        self.call("sign_in", &[("username", username), ("password", password)])
            .await
    }

    /// Creates an API token (Settings → API tokens) with `role` and returns a REST client
    /// that sends it.
    pub async fn api_token(&self, name: &str, role: &str) -> Api {
        let (status, body) = self
            .call_json(
                "api_tokens_create",
                &[("name", name), ("role", role), ("expires_in_days", "")],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "create token: {body}");
        Api {
            base: self.base.clone(),
            token: body["secret"].as_str().unwrap().to_string(),
            http: reqwest::Client::new(),
        }
    }

    /// Loads a page the way a browser navigation does.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .header("accept", "text/html,application/xhtml+xml")
            .send()
            .await
            .unwrap()
    }
}

/// A script calling the REST API with a bearer token (no cookies).
pub struct Api {
    pub base: String,
    pub token: String,
    pub http: reqwest::Client,
}

/// A REST answer: status, headers and the JSON body (`Null` when there is none).
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// Asserts a problem+json answer with this status and code; returns the body.
    pub fn problem(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/problem+json"),
            "{}",
            self.body
        );
        assert_eq!(self.body["code"], code, "{}", self.body);
        assert_eq!(self.body["status"], status, "{}", self.body);
        assert!(self.body["request_id"].is_string(), "{}", self.body);
        &self.body
    }
}

impl Api {
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("/api/") {
            format!("{}{path}", self.base)
        } else {
            format!("{}/api/v1{path}", self.base)
        }
    }

    /// Sends a request with the token; `path` is under `/api/v1` unless it starts with `/api/`.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Answer {
        let res = req.bearer_auth(&self.token).send().await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        Answer {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(if text.is_empty() {
                Value::Null
            } else {
                Value::String(text)
            }),
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(self.http.get(self.url(path))).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(self.http.post(self.url(path)).json(&body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.send(self.http.put(self.url(path)).json(&body)).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.send(self.http.delete(self.url(path))).await
    }
}
