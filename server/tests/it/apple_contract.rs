//! Contract tests: the Apple connector against Apple's own documented example answers
//! (`tests/fixtures/apple/`, each file's source in its SOURCES.md — Apple's "Apps and Books for
//! Organizations" reference and walkthrough pages), served by a mock in place of Apple; and the
//! simulator's answers held to the same shapes, so the simulator cannot drift from Apple.

use licensedesk::store::apple::{AppleClient, MdmInfo};
use licensedesk::store::http::{Http, Sleeper, StoreError};
use licensedesk::store::simulator::{StoreSim, spawn};
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/apple/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn json(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap()
}

/// A mock of Apple answering every call with the documented example. The service config
/// announces the mock's own lookup address in place of Apple's lookup host.
async fn apple_mock() -> String {
    use axum::extract::{Query, State};
    use axum::routing::{get, post};
    use std::collections::HashMap;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let answer = |name: &'static str| {
        move || async move { ([("content-type", "application/json")], fixture(name)) }
    };
    let service =
        fixture("service_config.json").replace("https://uclient-api.itunes.apple.com", &base);
    let router = axum::Router::new()
        .route(
            "/mdm/v2/service/config",
            get(move || async move { ([("content-type", "application/json")], service) }),
        )
        .route(
            "/mdm/v2/client/config",
            get(answer("client_config_get.json"))
                .post(answer("client_config_post_walkthrough_response.json")),
        )
        .route("/mdm/v2/assets", get(answer("assets_get.json")))
        .route(
            "/mdm/v2/assignments",
            get(|Query(q): Query<HashMap<String, String>>| async move {
                let name = match q.get("pageIndex").map(String::as_str) {
                    Some("0") | None => "assignments_paged_page0_trimmed.json",
                    Some("1") => "assignments_paged_page1_trimmed.json",
                    _ => "assignments_paged_lastpage_trimmed.json",
                };
                ([("content-type", "application/json")], fixture(name))
            }),
        )
        .route("/mdm/v2/users", get(answer("users_get.json")))
        .route(
            "/mdm/v2/users/create",
            post(answer("users_create_response.json")),
        )
        .route(
            "/mdm/v2/assets/associate",
            post(answer("assets_associate_response.json")),
        )
        .route(
            "/mdm/v2/status",
            get(|Query(q): Query<HashMap<String, String>>| async move {
                let name = match q.get("eventId").map(String::as_str) {
                    Some("pending") => "status_pending.json",
                    Some("failed") => "status_failed_partial.json",
                    Some("all-failed") => "status_failed_all.json",
                    _ => "status_complete.json",
                };
                ([("content-type", "application/json")], fixture(name))
            }),
        )
        .route(
            "/WebObjects/MZStorePlatform.woa/wa/lookup",
            get(
                |State(seen): State<Arc<std::sync::Mutex<Vec<String>>>>,
                 headers: axum::http::HeaderMap,
                 Query(q): Query<HashMap<String, String>>| async move {
                    let mut keys: Vec<String> = q.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    keys.sort();
                    let cookie = headers
                        .get("cookie")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string();
                    seen.lock()
                        .unwrap()
                        .push(format!("{} | {cookie}", keys.join("&")));
                    let name = if q.get("id").is_some_and(|i| i.contains("361309726")) {
                        "content_metadata_lookup_pages_unauthenticated.json"
                    } else {
                        "content_metadata_lookup_empty.json"
                    };
                    ([("content-type", "application/json")], fixture(name))
                },
            ),
        )
        .with_state(Arc::new(std::sync::Mutex::new(Vec::<String>::new())));
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    base
}

fn client(base: &str, http: Http) -> AppleClient {
    AppleClient::new(http, &format!("{base}/mdm/v2"), "c1RPS0VO")
}

#[tokio::test]
async fn the_connector_reads_apples_documented_answers() {
    let base = apple_mock().await;
    let c = client(&base, Http::new(Duration::from_secs(5)));
    let noop = |_: u32, _: u32| {};

    // Service config: limits and the lookup address (on another host at Apple).
    let service = c.service_config().await.unwrap();
    assert_eq!(service.limits.max_client_user_ids, 1000);
    assert_eq!(service.limits.max_users, 100);
    let lookup = service.urls.content_metadata_lookup.clone().unwrap();
    assert!(
        lookup.ends_with("/WebObjects/MZStorePlatform.woa/wa/lookup"),
        "{lookup}"
    );
    // The walkthrough's partial config (limits and one URL) is read too; no lookup announced.
    let partial: licensedesk::store::apple::ServiceConfig =
        serde_json::from_str(&fixture("service_config_walkthrough_partial.json")).unwrap();
    assert!(partial.urls.content_metadata_lookup.is_none());

    // Client config: location, country, platform for the lookup, whose the token is.
    let config = c.client_config().await.unwrap();
    assert_eq!(config.location_name, "PS01");
    assert_eq!(config.country_iso2a_code, "US");
    assert_eq!(config.default_platform, "volumestore");
    assert_eq!(
        config.mdm_info.as_ref().map(|m| m.name.as_str()),
        Some("Apple Configurator 2")
    );

    // The claim's answer (the walkthrough's, without locationName or countryISO2ACode).
    let mine = MdmInfo {
        id: "522d5c43-44ca-4f7e-ba7a-53570cf60765".into(),
        name: "My MDM Server".into(),
        metadata: "1.0.0".into(),
    };
    assert_eq!(c.claim(&mine).await.unwrap(), Some(mine));

    // Assets: counts and platforms as Apple gives them.
    let assets = c.assets(&noop).await.unwrap();
    assert_eq!(assets.len(), 5);
    let pages = assets.iter().find(|a| a.adam_id == "361309726").unwrap();
    assert_eq!(
        (
            pages.total_count,
            pages.assigned_count,
            pages.available_count
        ),
        (15000, 5000, 10000)
    );
    assert_eq!(pages.supported_platforms, vec!["iOS".to_string()]);
    assert!(pages.device_assignable && pages.revocable);

    // Assignments over pages (0, 1, then the last without nextPageIndex); the trimmed example
    // repeats the same two device assignments on every page: each is kept once.
    let progress = std::sync::Mutex::new(vec![]);
    let assignments = c
        .assignments(&|p, t| progress.lock().unwrap().push((p, t)))
        .await
        .unwrap();
    assert_eq!(assignments.len(), 2);
    assert!(
        assignments
            .iter()
            .all(|a| a.serial_number.is_some() && a.client_user_id.is_none())
    );
    assert_eq!(
        *progress.lock().unwrap(),
        vec![(1, 353), (2, 353), (3, 353)]
    );

    // Users: statuses as Apple writes them.
    let users = c.users(&noop).await.unwrap();
    let statuses: Vec<(&str, &str)> = users
        .iter()
        .map(|u| (u.client_user_id.as_str(), u.status.as_str()))
        .collect();
    assert_eq!(
        statuses,
        vec![
            ("client-101", "Registered"),
            ("client-102", "Registered"),
            ("client-103", "Retired")
        ]
    );

    // Changes answer an event id; its status is PENDING, COMPLETE or FAILED with the users.
    let limits = service.limits.clone();
    let events = c
        .associate(&limits, "361309726", "STDQ", &["client-1".into()], false)
        .await
        .unwrap();
    assert_eq!(
        events,
        vec!["ed3edfc3-e617-465e-b309-a17925266e14".to_string()]
    );
    assert_eq!(
        c.create_users(&limits, &["client-1".into()])
            .await
            .unwrap()
            .len(),
        1
    );
    let pending = c.event_status("pending").await.unwrap();
    assert!(pending.is_pending());
    assert_eq!((pending.num_completed, pending.num_requested), (8, 16));
    let complete = c.event_status("complete").await.unwrap();
    assert_eq!(complete.event_status, "COMPLETE");
    assert!(!complete.is_pending() && complete.failures.is_empty());
    let failed = c.event_status("failed").await.unwrap();
    assert_eq!(failed.event_status, "FAILED");
    assert_eq!(failed.failures[0].error_number, 9609);
    assert_eq!(
        failed.failures[0].error_info.client_user_ids,
        vec!["client-4".to_string()]
    );
    let all = c.event_status("all-failed").await.unwrap();
    assert_eq!(all.failures[0].error_info.client_user_ids.len(), 2);

    // The metadata lookup: Apple's parameters, the token as the itvt cookie, names by id.
    let names = c
        .lookup(
            &lookup,
            &["361309726".into(), "1".into()],
            "US",
            "volumestore",
        )
        .await
        .unwrap();
    assert_eq!(names.len(), 1, "the unknown id is simply absent");
    let entry = &names["361309726"];
    assert_eq!(entry.name.as_deref(), Some("Pages"));
    assert_eq!(entry.artist_name.as_deref(), Some("Apple"));
    let empty = c.lookup(&lookup, &["42".into()], "us", "").await.unwrap();
    assert!(
        empty.is_empty(),
        "Apple's empty answer is no names, not an error"
    );

    // Error bodies from Apple's reference: numbers decide.
    let err: Value = json("error_9622_invalid_token_fleet_fixture.json");
    assert_eq!(err["errorNumber"], 9622);
}

/// The lookup request itself, as Apple documents it: `version=2`, `p=mdm-lockup`,
/// `caller=MDM`, `platform` from the client config, lower-case `cc`, `l`, `id`, and the token
/// as the `itvt` cookie, never an Authorization header.
#[tokio::test]
async fn the_lookup_is_asked_as_apple_documents_it() {
    let sim = Arc::new(StoreSim::seeded(5, 0));
    let base = spawn("127.0.0.1:0".parse().unwrap(), sim.clone())
        .await
        .unwrap();
    let token = licensedesk::store::apple::make_token("t", "Northwind", 4_000_000_000);
    let c = AppleClient::new(
        Http::new(Duration::from_secs(5)),
        &StoreSim::apple_url(&base),
        &token,
    );
    let service = c.service_config().await.unwrap();
    let lookup = service.urls.content_metadata_lookup.unwrap();
    assert!(
        !lookup.starts_with(&base),
        "the lookup is on another host: {lookup}"
    );
    let ids: Vec<String> = c
        .assets(&|_, _| {})
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.adam_id)
        .collect();
    let names = c
        .lookup(&lookup, &ids, "US", "enterprisestore")
        .await
        .unwrap();
    assert_eq!(names.len(), 5);
    assert_eq!(sim.lookups_with_cookie.load(Ordering::SeqCst), 1);
    // Asked any other way, the simulator (as Apple) names nothing.
    let wrong = c.lookup(&lookup, &ids, "US", "itunes").await.unwrap();
    assert!(wrong.is_empty());
}

/// Every key the simulator answers with exists in Apple's example at the same place, with a
/// value of the same JSON type (array items compared with the union of Apple's items).
fn same_shape(apple: &Value, sim: &Value, at: &str) {
    match (apple, sim) {
        (Value::Object(a), Value::Object(s)) => {
            for (k, v) in s {
                let Some(av) = a.get(k) else {
                    panic!("{at}.{k}: the simulator answers a key Apple's example does not have");
                };
                same_shape(av, v, &format!("{at}.{k}"));
            }
        }
        (Value::Array(a), Value::Array(s)) => {
            let union = match a.first() {
                Some(Value::Object(_)) => {
                    let mut m = serde_json::Map::new();
                    for item in a {
                        if let Value::Object(o) = item {
                            for (k, v) in o {
                                m.entry(k.clone()).or_insert_with(|| v.clone());
                            }
                        }
                    }
                    Some(Value::Object(m))
                }
                other => other.cloned(),
            };
            if let Some(union) = union {
                for (i, item) in s.iter().enumerate() {
                    same_shape(&union, item, &format!("{at}[{i}]"));
                }
            }
        }
        (_, Value::Null) | (Value::Null, _) => {}
        (a, s) => assert_eq!(
            std::mem::discriminant(a),
            std::mem::discriminant(s),
            "{at}: Apple's example has {a}, the simulator {s}"
        ),
    }
}

#[tokio::test]
async fn the_simulator_answers_in_apples_shapes() {
    let sim = Arc::new(StoreSim::seeded(30, 10));
    sim.auto_accept.store(true, Ordering::SeqCst);
    let base = spawn("127.0.0.1:0".parse().unwrap(), sim.clone())
        .await
        .unwrap();
    let api = StoreSim::apple_url(&base);
    let token = licensedesk::store::apple::make_token("t", "Northwind", 4_000_000_000);
    let http = reqwest::Client::new();
    let get = |path: String| {
        let (http, token) = (http.clone(), token.clone());
        async move {
            http.get(path)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let post = |path: String, body: Value| {
        let (http, token) = (http.clone(), token.clone());
        async move {
            http.post(path)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let service = get(format!("{api}/service/config")).await;
    same_shape(&json("service_config.json"), &service, "service/config");
    same_shape(
        &json("client_config_get.json"),
        &get(format!("{api}/client/config")).await,
        "client/config",
    );
    let claim = post(
        format!("{api}/client/config"),
        serde_json::json!({"mdmInfo": {"id": "x", "name": "LicenseDesk", "metadata": ""}}),
    )
    .await;
    same_shape(
        &json("client_config_post_walkthrough_response.json"),
        &claim,
        "POST client/config",
    );
    same_shape(
        &json("assets_get.json"),
        &get(format!("{api}/assets?pageIndex=0")).await,
        "assets",
    );
    same_shape(
        &json("assignments_get.json"),
        &get(format!("{api}/assignments?pageIndex=0")).await,
        "assignments",
    );
    let created = post(
        format!("{api}/users/create"),
        serde_json::json!({"users": [{"clientUserId": "c-1", "email": "c1@example.org"}]}),
    )
    .await;
    same_shape(
        &json("users_create_response.json"),
        &created,
        "users/create",
    );
    same_shape(
        &json("users_get.json"),
        &get(format!("{api}/users?pageIndex=0")).await,
        "users",
    );
    let adam = sim.assets.read().unwrap()[0].adam_id.clone();
    let event = post(
        format!("{api}/assets/associate"),
        serde_json::json!({"assets": [{"adamId": adam, "pricingParam": "STDQ"}], "clientUserIds": ["c-1", "nobody"]}),
    )
    .await;
    same_shape(
        &json("assets_associate_response.json"),
        &event,
        "assets/associate",
    );
    let id = event["eventId"].as_str().unwrap();
    let pending = get(format!("{api}/status?eventId={id}")).await;
    same_shape(&json("status_pending.json"), &pending, "status (pending)");
    assert_eq!(pending["eventStatus"], "PENDING");
    let failed = get(format!("{api}/status?eventId={id}")).await;
    same_shape(
        &json("status_failed_partial.json"),
        &failed,
        "status (failed)",
    );
    assert_eq!(failed["failures"][0]["errorNumber"], 9609, "{failed}");
    assert_eq!(
        failed["failures"][0]["errorInfo"]["clientUserIds"][0],
        "nobody"
    );
    let lookup = service["urls"]["contentMetadataLookup"].as_str().unwrap();
    let names = http
        .get(format!(
            "{lookup}?version=2&p=mdm-lockup&caller=MDM&platform=enterprisestore&cc=us&l=en&id={adam}"
        ))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    same_shape(
        &json("content_metadata_lookup_pages_unauthenticated.json")["results"]["361309726"],
        &names["results"][&adam],
        "lookup result",
    );
    for key in ["results", "version", "isAuthenticated", "meta"] {
        assert!(names.get(key).is_some(), "lookup answer lacks {key}");
    }
    // Errors: Apple's body shape.
    let invalid = licensedesk::store::apple::make_token("invalid-1", "Northwind", 4_000_000_000);
    let res = http
        .get(format!("{api}/assets"))
        .bearer_auth(invalid)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        200,
        "an invalid token answers 200 with 9622, as Apple does"
    );
    let body: Value = res.json().await.unwrap();
    same_shape(&json("error_9726_unsupported_method.json"), &body, "error");
    assert_eq!(body["errorNumber"], 9622);
}

/// A documented `Retry-After: 120` is waited for in full (an injected clock records the wait),
/// a longer one than the ceiling ends the call at once with a message that says how long, and
/// persistent 9646 backs off growing pauses.
#[tokio::test]
async fn retry_after_is_honoured_and_slow_down_backs_off() {
    let sim = Arc::new(StoreSim::seeded(5, 0));
    let base = spawn("127.0.0.1:0".parse().unwrap(), sim.clone())
        .await
        .unwrap();
    let token = licensedesk::store::apple::make_token("t", "Northwind", 4_000_000_000);
    let (sleeper, waits) = Sleeper::recording();
    let http = Http {
        sleeper,
        ..Http::new(Duration::from_secs(5))
    };
    let c = AppleClient::new(http, &StoreSim::apple_url(&base), &token);

    sim.faults.fail_status.store(503, Ordering::SeqCst);
    sim.faults.retry_after_secs.store(120, Ordering::SeqCst);
    sim.faults.fail_next.store(1, Ordering::SeqCst);
    c.client_config().await.unwrap();
    assert_eq!(*waits.lock().unwrap(), vec![Duration::from_secs(120)]);
    waits.lock().unwrap().clear();

    sim.faults.fail_status.store(429, Ordering::SeqCst);
    sim.faults.retry_after_secs.store(3600, Ordering::SeqCst);
    sim.faults.fail_next.store(1, Ordering::SeqCst);
    let err = c.client_config().await.unwrap_err();
    assert_eq!(
        err,
        StoreError::SlowDown {
            retry_after_secs: 3600
        }
    );
    assert!(
        err.to_string().contains("slow down") && err.to_string().contains("60 minutes"),
        "{err}"
    );
    assert!(
        waits.lock().unwrap().is_empty(),
        "no pause when the wait is too long"
    );

    // 9646 in a 200 without Retry-After: 5 s, 10 s, 20 s, then a message that says so.
    sim.faults.retry_after_secs.store(0, Ordering::SeqCst);
    sim.faults.fail_error.store(9646, Ordering::SeqCst);
    sim.faults.fail_next.store(10, Ordering::SeqCst);
    let err = c.client_config().await.unwrap_err();
    assert_eq!(
        *waits.lock().unwrap(),
        [5, 10, 20].map(Duration::from_secs).to_vec()
    );
    assert!(
        err.to_string().contains("Apple asked us to slow down"),
        "{err}"
    );
    sim.faults.fail_next.store(0, Ordering::SeqCst);
    sim.faults.fail_error.store(0, Ordering::SeqCst);
}
