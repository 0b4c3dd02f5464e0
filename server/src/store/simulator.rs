//! The store simulator (`licensedesk store-simulator`): Apple's Apps and Books v2 API under
//! `/mdm/v2`, Apple's content metadata lookup on a second listener (another host, announced by
//! the service config as Apple announces it), and the Microsoft store inventory API under
//! `/V1`, from a seeded catalog, with the same fault switches as the licensing simulator
//! (429/503 with Retry-After, HTTP 200 with an error number such as 9646, slow answers) plus
//! expired (9621) and revoked (9625) tokens.
//!
//! It answers in Apple's documented shapes (the contract tests check its answers against
//! Apple's own examples in `tests/fixtures/apple/`): changes are asynchronous events whose
//! status (`GET /status?eventId=`) is PENDING at first and then COMPLETE or FAILED with
//! per-user failures (9709 no license left, 9609 unknown user), as Apple reports them.
//! Tests and the demo run it in-process; tests change its catalog through [`StoreSim`].

// Handlers answer `Response` errors directly; they are built once per refused request.
#![allow(clippy::result_large_err)]

use super::apple::{Asset, Assignment, ClientConfig, Limits, MdmInfo, VppUser};
use super::microsoft::{InventoryEntry, ProductKey};
use crate::licensing::{Faults, faulty};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

pub const LIMITS: Limits = Limits {
    max_assets: 25,
    max_users: 100,
    max_client_user_ids: 1000,
    max_serial_numbers: 1000,
};

#[derive(Clone, Debug)]
pub struct SimAsset {
    pub adam_id: String,
    pub pricing_param: String,
    pub name: String,
    pub publisher: String,
    pub product_type: String,
    pub platforms: Vec<String>,
    pub total: i64,
    pub device_assignable: bool,
}

#[derive(Clone, Debug)]
pub struct SimMsItem {
    pub key: ProductKey,
    pub title: String,
    pub publisher: String,
    pub license_type: String,
    pub seats: i64,
}

pub struct StoreSim {
    pub faults: Arc<Faults>,
    pub assets: RwLock<Vec<SimAsset>>,
    pub assignments: RwLock<Vec<Assignment>>,
    pub users: Mutex<HashMap<String, String>>,
    pub claims: Mutex<HashMap<String, MdmInfo>>,
    pub ms_items: RwLock<Vec<SimMsItem>>,
    pub ms_seats: Mutex<HashMap<(String, String), Vec<String>>>,
    /// Fault switches: every token answers 9621 (expired) or 9625 (revoked).
    pub tokens_expired: AtomicBool,
    pub tokens_revoked: AtomicBool,
    /// Users accept the program's invitation at once (`Associated`) instead of staying
    /// `Registered`.
    pub auto_accept: AtomicBool,
    pub page_size: usize,
    /// How many status reads of a new event answer PENDING before it completes.
    pub pending_polls: AtomicU32,
    /// Fault switch: the next N paged reads see the list change between pages (page 1 and
    /// later carry another `versionId` and repeat the previous page's last item).
    pub version_shifts: AtomicU32,
    /// Fault switch: the metadata lookup answers 503.
    pub lookup_down: AtomicBool,
    /// Metadata lookups answered, and how many carried the token as the `itvt` cookie.
    pub lookups: AtomicU64,
    pub lookups_with_cookie: AtomicU64,
    /// Where the metadata lookup listens (set by [`spawn`]); `None`: this listener serves it.
    pub lookup_url: Mutex<Option<String>>,
    events: AtomicU64,
    event_log: Mutex<HashMap<String, SimEvent>>,
}

/// A change accepted by the simulated Apple service, and how it ends.
#[derive(Clone, Debug)]
struct SimEvent {
    kind: &'static str,
    requested: i64,
    /// (error number, message, client user ids)
    failures: Vec<(i64, &'static str, Vec<String>)>,
    polls_left: u32,
}

const WORDS_A: &[&str] = &[
    "Pocket", "Swift", "Bright", "Clear", "Smart", "Daily", "Field", "Team", "Secure", "Rapid",
    "Quiet", "Open", "Simple", "Visual", "Mobile", "Cloud",
];
const WORDS_B: &[&str] = &[
    "Notes",
    "Planner",
    "Scanner",
    "Reader",
    "Sketch",
    "Forms",
    "Chat",
    "Maps",
    "Budget",
    "Timesheet",
    "Inspector",
    "Whiteboard",
    "Translate",
    "Keynote",
    "Checklist",
    "Vault",
];
const PUBLISHERS: &[&str] = &[
    "Fabrikam Software",
    "Contoso Apps",
    "Tailspin Studio",
    "Litware Inc.",
    "Adventure Works",
    "Wingtip Labs",
    "Proseware",
    "Northwind Mobile",
];

fn rng(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    *seed >> 33
}

impl StoreSim {
    /// A seeded catalog: `apps` Apple assets (about one in seven free and unlimited, one in 25 a
    /// book), `assignments` store-side assignments spread over them, and a Microsoft inventory
    /// of 60 products (one in six offline-licensed).
    pub fn seeded(apps: usize, assignments: usize) -> StoreSim {
        let mut seed = 0x5eed_u64;
        let mut assets = Vec::with_capacity(apps);
        for i in 0..apps {
            // Every name distinct: the 256 word pairs, then numbered editions.
            let pairs = WORDS_A.len() * WORDS_B.len();
            let a = WORDS_A[(i * 7) % WORDS_A.len()];
            let b = WORDS_B[(i / WORDS_A.len()) % WORDS_B.len()];
            let free = i % 7 == 3;
            let platforms = match rng(&mut seed) % 3 {
                0 => vec!["iOS".to_string()],
                1 => vec!["macOS".to_string()],
                _ => vec!["iOS".to_string(), "macOS".to_string()],
            };
            assets.push(SimAsset {
                adam_id: format!("{}", 361_000_000 + i as u64 * 7),
                pricing_param: "STDQ".into(),
                name: if i < pairs {
                    format!("{a} {b}")
                } else {
                    format!("{a} {b} {}", i / pairs + 1)
                },
                publisher: PUBLISHERS[rng(&mut seed) as usize % PUBLISHERS.len()].into(),
                product_type: if i % 25 == 24 { "Book" } else { "App" }.into(),
                platforms,
                total: if free {
                    app::domain::store::UNLIMITED
                } else {
                    5 + (rng(&mut seed) % 56) as i64
                },
                device_assignable: i % 2 == 0,
            });
        }
        let mut list = Vec::with_capacity(assignments);
        if !assets.is_empty() {
            let mut per_asset = vec![0i64; assets.len()];
            let mut i = 0usize;
            while list.len() < assignments {
                let idx = i % assets.len();
                i += 1;
                if per_asset[idx] >= assets[idx].total.min(1_000_000) {
                    if i > assignments * 4 + assets.len() {
                        break;
                    }
                    continue;
                }
                per_asset[idx] += 1;
                list.push(Assignment {
                    adam_id: assets[idx].adam_id.clone(),
                    pricing_param: assets[idx].pricing_param.clone(),
                    client_user_id: Some(format!("store-user-{}", list.len())),
                    serial_number: None,
                });
            }
        }
        let ms_items = (0..60)
            .map(|i| SimMsItem {
                key: ProductKey {
                    product_id: format!("9WZDNCRF{:04}", 1000 + i),
                    sku_id: "0016".into(),
                },
                title: format!(
                    "{} {} for Windows",
                    WORDS_A[(i * 5 + 3) % WORDS_A.len()],
                    WORDS_B[(i / WORDS_A.len() + i * 3) % WORDS_B.len()]
                ),
                publisher: PUBLISHERS[i % PUBLISHERS.len()].into(),
                license_type: if i % 6 == 5 { "Offline" } else { "Online" }.into(),
                seats: 10 + (i as i64 * 13) % 90,
            })
            .collect();
        StoreSim {
            faults: Arc::new(Faults::default()),
            assets: RwLock::new(assets),
            assignments: RwLock::new(list),
            users: Mutex::new(HashMap::new()),
            claims: Mutex::new(HashMap::new()),
            ms_items: RwLock::new(ms_items),
            ms_seats: Mutex::new(HashMap::new()),
            tokens_expired: AtomicBool::new(false),
            tokens_revoked: AtomicBool::new(false),
            auto_accept: AtomicBool::new(false),
            page_size: 1000,
            pending_polls: AtomicU32::new(1),
            version_shifts: AtomicU32::new(0),
            lookup_down: AtomicBool::new(false),
            lookups: AtomicU64::new(0),
            lookups_with_cookie: AtomicU64::new(0),
            lookup_url: Mutex::new(None),
            events: AtomicU64::new(0),
            event_log: Mutex::new(HashMap::new()),
        }
    }

    /// The default catalog: 300 apps, 2,500 store-side assignments.
    pub fn standard() -> StoreSim {
        StoreSim::seeded(300, 2_500)
    }

    /// Records an accepted change and answers Apple's event answer for it.
    fn event(
        &self,
        kind: &'static str,
        requested: usize,
        failures: Vec<(i64, &'static str, Vec<String>)>,
    ) -> Response {
        let id = format!(
            "{:08x}-sim-{}",
            rand::random::<u32>(),
            self.events.fetch_add(1, Ordering::SeqCst) + 1
        );
        self.event_log.lock().unwrap().insert(
            id.clone(),
            SimEvent {
                kind,
                requested: requested as i64,
                failures,
                polls_left: self.pending_polls.load(Ordering::SeqCst),
            },
        );
        Json(serde_json::json!({
            "eventId": id,
            "tokenExpirationDate": "2030-11-08T22:33:22+0000",
            "uId": "2049025000431439",
        }))
        .into_response()
    }

    fn assigned(&self, adam_id: &str) -> i64 {
        self.assignments
            .read()
            .unwrap()
            .iter()
            .filter(|a| a.adam_id == adam_id)
            .count() as i64
    }
}

/// The location identity of a token: stable for one organization, so renewals match.
pub fn location_uid(org_name: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in org_name.trim().to_lowercase().bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    format!("{}", h % 10_000_000_000)
}

fn apple_error(status: StatusCode, number: i64, message: &str) -> Response {
    (
        status,
        Json(serde_json::json!({"errorNumber": number, "errorMessage": message})),
    )
        .into_response()
}

struct Caller {
    token: String,
    org_name: String,
    expired: bool,
}

/// Checks the bearer token file (and the fault switches); `Err` is the answer to send.
fn authenticate(sim: &StoreSim, headers: &HeaderMap) -> Result<Caller, Response> {
    let raw = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
        .trim()
        .to_string();
    let parsed = base64::engine::general_purpose::STANDARD
        .decode(&raw)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok());
    let Some(json) = parsed else {
        return Err(apple_error(
            StatusCode::UNAUTHORIZED,
            9622,
            "Invalid authentication token",
        ));
    };
    let token = json["token"].as_str().unwrap_or("").to_string();
    if token.starts_with("invalid") {
        // Apple answers an invalid token so in places: HTTP 200 with the error number.
        return Err(apple_error(
            StatusCode::OK,
            9622,
            "Invalid authentication token",
        ));
    }
    let org_name = json["orgName"].as_str().unwrap_or("").to_string();
    let exp = json["expDate"]
        .as_str()
        .and_then(super::apple::parse_exp_date)
        .unwrap_or(0);
    if sim.tokens_revoked.load(Ordering::SeqCst) || token.starts_with("revoked") {
        return Err(apple_error(
            StatusCode::UNAUTHORIZED,
            9625,
            "The server has revoked the sToken.",
        ));
    }
    let expired = sim.tokens_expired.load(Ordering::SeqCst)
        || exp <= time::OffsetDateTime::now_utc().unix_timestamp();
    if expired {
        return Err(apple_error(
            StatusCode::UNAUTHORIZED,
            9621,
            "The token has expired.",
        ));
    }
    Ok(Caller {
        token,
        org_name,
        expired,
    })
}

async fn service_config(State(sim): State<Arc<StoreSim>>, headers: HeaderMap) -> Response {
    if let Some(r) = faulty(&sim.faults).await {
        return r;
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    let api = format!("http://{host}/mdm/v2");
    let lookup = sim
        .lookup_url
        .lock()
        .unwrap()
        .clone()
        .unwrap_or_else(|| format!("http://{host}{LOOKUP_PATH}"));
    // Apple's shape: error codes, limits, notification types and absolute URLs.
    Json(serde_json::json!({
        "errorCodes": [
            {"errorNumber": 9621, "errorMessage": "The token has expired."},
            {"errorNumber": 9625, "errorMessage": "The server has revoked the sToken."},
            {"errorNumber": 9646, "errorMessage": "There are too many recent requests. Try again momentarily."},
            {"errorNumber": 9709, "errorMessage": "There are not enough licenses for this app or book available to assign to the selected group."},
        ],
        "limits": LIMITS,
        "notificationTypes": ["ASSET_MANAGEMENT", "USER_MANAGEMENT", "USER_ASSOCIATED", "ASSET_COUNT"],
        "urls": {
            "clientConfig": format!("{api}/client/config"),
            "getAssets": format!("{api}/assets"),
            "getAssignments": format!("{api}/assignments"),
            "getUsers": format!("{api}/users"),
            "createUsers": format!("{api}/users/create"),
            "associateAssets": format!("{api}/assets/associate"),
            "disassociateAssets": format!("{api}/assets/disassociate"),
            "eventStatus": format!("{api}/status"),
            "contentMetadataLookup": lookup,
        }
    }))
    .into_response()
}

/// Where the metadata lookup answers, on its own host as Apple's does.
pub const LOOKUP_PATH: &str = "/WebObjects/MZStorePlatform.woa/wa/lookup";

fn client_config_of(sim: &StoreSim, caller: &Caller) -> ClientConfig {
    ClientConfig {
        location_name: format!("{} — Main location", caller.org_name),
        country_iso2a_code: "US".into(),
        default_platform: "enterprisestore".into(),
        u_id: location_uid(&caller.org_name),
        mdm_info: sim.claims.lock().unwrap().get(&caller.token).cloned(),
        token_expiration_date: String::new(),
    }
}

async fn get_client_config(State(sim): State<Arc<StoreSim>>, headers: HeaderMap) -> Response {
    if let Some(r) = faulty(&sim.faults).await {
        return r;
    }
    match authenticate(&sim, &headers) {
        Ok(c) => Json(client_config_of(&sim, &c)).into_response(),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClaimBody {
    mdm_info: MdmInfo,
}

async fn post_client_config(
    State(sim): State<Arc<StoreSim>>,
    headers: HeaderMap,
    Json(body): Json<ClaimBody>,
) -> Response {
    if let Some(r) = faulty(&sim.faults).await {
        return r;
    }
    match authenticate(&sim, &headers) {
        Ok(c) => {
            debug_assert!(!c.expired);
            sim.claims
                .lock()
                .unwrap()
                .insert(c.token.clone(), body.mdm_info.clone());
            // Apple's walkthrough answer: the claim echoed, without the location's fields.
            Json(serde_json::json!({
                "mdmInfo": body.mdm_info,
                "tokenExpirationDate": "2030-11-08T22:33:22+0000",
                "uId": location_uid(&c.org_name),
            }))
            .into_response()
        }
        Err(r) => r,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageQuery {
    #[serde(default)]
    page_index: usize,
}

fn page_of<T: serde::Serialize + Clone>(
    sim: &StoreSim,
    key: &str,
    items: &[T],
    index: usize,
    size: usize,
) -> Response {
    let start = (index * size).min(items.len());
    let end = (start + size).min(items.len());
    let mut page = items[start..end].to_vec();
    let shifted = shift_page(sim, index, start, items, &mut page);
    page_body(key, &page, index, items.len(), size, shifted)
}

/// The list-changes-while-read fault: from page 1 on, the previous page's last item appears
/// again at the start (as when an item was inserted before it) under another `versionId`.
fn shift_page<T: Clone>(
    sim: &StoreSim,
    index: usize,
    start: usize,
    items: &[T],
    page: &mut Vec<T>,
) -> bool {
    if index == 0 || start == 0 || sim.version_shifts.load(Ordering::SeqCst) == 0 {
        return false;
    }
    page.insert(0, items[start - 1].clone());
    if items.len() < start + page.len() {
        // The last page of this read: the change is over for the next read.
        let _ = sim
            .version_shifts
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
    }
    true
}

/// One page of `total` items (`page` holds this page's items only).
fn page_body<T: serde::Serialize>(
    key: &str,
    page: &[T],
    index: usize,
    total: usize,
    size: usize,
    shifted: bool,
) -> Response {
    let total_pages = total.div_ceil(size).max(1);
    let mut body = serde_json::json!({
        "currentPageIndex": index,
        "totalPages": total_pages,
        "size": page.len(),
        "tokenExpirationDate": "2030-11-08T22:33:22+0000",
        "uId": "2049025000431439",
        "versionId": if shifted { "70e8c740-514c-11eb-bb63-shifted" } else { "70e8c740-514c-11eb-bb63-a90b882fcd52" },
    });
    body[key] = serde_json::to_value(page).unwrap_or_default();
    if index + 1 < total_pages {
        body["nextPageIndex"] = (index + 1).into();
    }
    Json(body).into_response()
}

async fn assets(
    State(sim): State<Arc<StoreSim>>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    if let Some(r) = faulty(&sim.faults).await {
        return r;
    }
    if let Err(r) = authenticate(&sim, &headers) {
        return r;
    }
    // Only this page is built: its assets, and their assignment counts from one scan.
    let all = sim.assets.read().unwrap();
    let size = sim.page_size;
    let start = (q.page_index * size).min(all.len());
    let end = (start + size).min(all.len());
    let mut page = all[start..end].to_vec();
    let shifted = shift_page(&sim, q.page_index, start, &all, &mut page);
    let ids: std::collections::HashSet<&str> = page.iter().map(|a| a.adam_id.as_str()).collect();
    let mut assigned: HashMap<&str, i64> = HashMap::new();
    let assignments = sim.assignments.read().unwrap();
    for a in assignments.iter() {
        if let Some(id) = ids.get(a.adam_id.as_str()) {
            *assigned.entry(id).or_default() += 1;
        }
    }
    let list: Vec<Asset> = page
        .iter()
        .map(|a| {
            let used = assigned.get(a.adam_id.as_str()).copied().unwrap_or(0);
            Asset {
                adam_id: a.adam_id.clone(),
                pricing_param: a.pricing_param.clone(),
                product_type: a.product_type.clone(),
                assigned_count: used,
                available_count: (a.total - used).max(0),
                retired_count: 0,
                total_count: a.total,
                device_assignable: a.device_assignable,
                revocable: true,
                supported_platforms: a.platforms.clone(),
            }
        })
        .collect();
    page_body("assets", &list, q.page_index, all.len(), size, shifted)
}

async fn assignments(
    State(sim): State<Arc<StoreSim>>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    if let Some(r) = faulty(&sim.faults).await {
        return r;
    }
    if let Err(r) = authenticate(&sim, &headers) {
        return r;
    }
    let list = sim.assignments.read().unwrap();
    page_of(&sim, "assignments", &list, q.page_index, sim.page_size)
}

async fn users(
    State(sim): State<Arc<StoreSim>>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    if let Some(r) = faulty(&sim.faults).await {
        return r;
    }
    if let Err(r) = authenticate(&sim, &headers) {
        return r;
    }
    let mut list: Vec<VppUser> = sim
        .users
        .lock()
        .unwrap()
        .iter()
        .map(|(id, status)| VppUser {
            client_user_id: id.clone(),
            status: status.clone(),
        })
        .collect();
    list.sort_by(|a, b| a.client_user_id.cmp(&b.client_user_id));
    page_of(&sim, "users", &list, q.page_index, sim.page_size)
}

#[derive(Deserialize)]
struct LookupQuery {
    #[serde(default)]
    version: String,
    #[serde(default)]
    p: String,
    #[serde(default)]
    caller: String,
    #[serde(default)]
    platform: String,
    #[serde(default)]
    cc: String,
    #[serde(default)]
    id: String,
}

/// Apple's content metadata lookup (`?version=2&p=mdm-lockup&caller=MDM&platform=…&cc=…&id=…`):
/// names by asset id, in Apple's answer shape. A request with other parameters gets Apple's
/// empty answer (as for no access or unknown ids), so a connector that asks wrongly gets no
/// names — exactly what would happen against Apple.
async fn lookup(
    State(sim): State<Arc<StoreSim>>,
    headers: HeaderMap,
    Query(q): Query<LookupQuery>,
) -> Response {
    if sim.lookup_down.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "unavailable").into_response();
    }
    sim.lookups.fetch_add(1, Ordering::SeqCst);
    let cookie = headers
        .get(axum::http::header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if cookie
        .split(';')
        .any(|c| c.trim().starts_with("itvt=") && c.trim().len() > 5)
    {
        sim.lookups_with_cookie.fetch_add(1, Ordering::SeqCst);
    }
    let proper = q.version == "2"
        && q.p == "mdm-lockup"
        && q.caller == "MDM"
        && ["enterprisestore", "volumestore", "macappstore"].contains(&q.platform.as_str())
        && q.cc.len() == 2
        && q.cc == q.cc.to_lowercase();
    let wanted: std::collections::HashSet<&str> = if proper {
        q.id.split(',')
            .map(str::trim)
            .filter(|i| !i.is_empty())
            .collect()
    } else {
        Default::default()
    };
    let results: serde_json::Map<String, serde_json::Value> = sim
        .assets
        .read()
        .unwrap()
        .iter()
        .filter(|a| wanted.contains(a.adam_id.as_str()))
        .map(|a| {
            (
                a.adam_id.clone(),
                serde_json::json!({
                    "id": a.adam_id.parse::<u64>().unwrap_or_default(),
                    "name": a.name,
                    "nameRaw": a.name,
                    "artistName": a.publisher,
                    "bundleId": format!("com.example.{}", a.adam_id),
                    "kind": if a.platforms.iter().any(|p| p == "macOS") { "mac-software" } else { "iosSoftware" },
                    "deviceFamilies": ["iphone", "ipad"],
                    "artwork": [{"width": 128, "height": 128, "url": "https://example.invalid/128x128bb.png"}],
                    "offers": [{"version": {"display": "1.0", "externalId": 1}}],
                }),
            )
        })
        .collect();
    Json(serde_json::json!({
        "results": results,
        "version": 2,
        "isAuthenticated": false,
        "meta": {"language": {"tag": "en-us"}, "storefront": {"cc": q.cc.to_uppercase(), "id": "143441"}},
    }))
    .into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AssetRef {
    adam_id: String,
    pricing_param: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AssociateBody {
    assets: Vec<AssetRef>,
    #[serde(default)]
    client_user_ids: Vec<String>,
    #[serde(default)]
    serial_numbers: Vec<String>,
}

async fn associate_inner(
    sim: &StoreSim,
    headers: &HeaderMap,
    body: AssociateBody,
    remove: bool,
) -> Response {
    if let Some(r) = faulty(&sim.faults).await {
        return r;
    }
    if let Err(r) = authenticate(sim, headers) {
        return r;
    }
    // Request validation answers at once, with Apple's numbers (HTTP 400).
    if body.assets.is_empty() {
        return apple_error(
            StatusCode::BAD_REQUEST,
            9718,
            "This request doesn't contain an asset.",
        );
    }
    if body.client_user_ids.is_empty() && body.serial_numbers.is_empty() {
        return apple_error(
            StatusCode::BAD_REQUEST,
            9719,
            "Either clientUserIds or serialNumbers are required arguments.",
        );
    }
    for (over, number) in [
        (body.assets.len() > LIMITS.max_assets, 9700),
        (
            body.client_user_ids.len() > LIMITS.max_client_user_ids,
            9701,
        ),
        (body.serial_numbers.len() > LIMITS.max_serial_numbers, 9702),
    ] {
        if over {
            return apple_error(
                StatusCode::BAD_REQUEST,
                number,
                "request exceeds the service limits",
            );
        }
    }
    let unique: std::collections::HashSet<&String> = body.client_user_ids.iter().collect();
    if unique.len() != body.client_user_ids.len() {
        return apple_error(
            StatusCode::BAD_REQUEST,
            9704,
            "Duplicate clientUserIds found in request.",
        );
    }
    // The change itself is an event: users Apple cannot serve are reported by its status.
    let mut no_license = vec![];
    let mut unknown_user = vec![];
    for asset in &body.assets {
        let total = sim
            .assets
            .read()
            .unwrap()
            .iter()
            .find(|a| a.adam_id == asset.adam_id)
            .map(|a| a.total);
        let Some(total) = total else {
            return apple_error(StatusCode::BAD_REQUEST, 9602, "Invalid argument.");
        };
        let mut list = sim.assignments.write().unwrap();
        for user in &body.client_user_ids {
            let pos = list.iter().position(|a| {
                a.adam_id == asset.adam_id && a.client_user_id.as_deref() == Some(user)
            });
            match (remove, pos) {
                (true, Some(p)) => {
                    list.remove(p);
                }
                (false, None) => {
                    if !remove && !sim.users.lock().unwrap().contains_key(user) {
                        unknown_user.push(user.clone());
                        continue;
                    }
                    let used = list.iter().filter(|a| a.adam_id == asset.adam_id).count() as i64;
                    if used >= total {
                        no_license.push(user.clone());
                        continue;
                    }
                    list.push(Assignment {
                        adam_id: asset.adam_id.clone(),
                        pricing_param: asset.pricing_param.clone(),
                        client_user_id: Some(user.clone()),
                        serial_number: None,
                    });
                }
                _ => {}
            }
        }
    }
    let mut failures = vec![];
    if !no_license.is_empty() {
        failures.push((
            9709,
            "There are not enough licenses for this app or book available to assign to the selected group.",
            no_license,
        ));
    }
    if !unknown_user.is_empty() {
        failures.push((9609, "Unable to find the registered user.", unknown_user));
    }
    let kind = if remove { "DISASSOCIATE" } else { "ASSOCIATE" };
    sim.event(
        kind,
        body.assets.len() * (body.client_user_ids.len() + body.serial_numbers.len()),
        failures,
    )
}

async fn associate(
    State(sim): State<Arc<StoreSim>>,
    headers: HeaderMap,
    Json(body): Json<AssociateBody>,
) -> Response {
    associate_inner(&sim, &headers, body, false).await
}

async fn disassociate(
    State(sim): State<Arc<StoreSim>>,
    headers: HeaderMap,
    Json(body): Json<AssociateBody>,
) -> Response {
    associate_inner(&sim, &headers, body, true).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewUser {
    client_user_id: String,
}

#[derive(Deserialize)]
struct CreateUsers {
    users: Vec<NewUser>,
}

async fn create_users(
    State(sim): State<Arc<StoreSim>>,
    headers: HeaderMap,
    Json(body): Json<CreateUsers>,
) -> Response {
    if let Some(r) = faulty(&sim.faults).await {
        return r;
    }
    if let Err(r) = authenticate(&sim, &headers) {
        return r;
    }
    if body.users.len() > LIMITS.max_users {
        return apple_error(
            StatusCode::BAD_REQUEST,
            9714,
            "The number of users exceeds the maximum.",
        );
    }
    let status = if sim.auto_accept.load(Ordering::SeqCst) {
        "Associated"
    } else {
        "Registered"
    };
    let requested = body.users.len();
    {
        let mut users = sim.users.lock().unwrap();
        for u in body.users {
            users
                .entry(u.client_user_id)
                .or_insert_with(|| status.to_string());
        }
    }
    sim.event("CREATE", requested, vec![])
}

#[derive(Deserialize)]
struct StatusQuery {
    #[serde(rename = "eventId", default)]
    event_id: String,
}

/// `GET /status?eventId=`: PENDING for the first reads, then COMPLETE, or FAILED with the
/// users each error concerns (`errorInfo.clientUserIds`), as in Apple's examples.
async fn status(
    State(sim): State<Arc<StoreSim>>,
    headers: HeaderMap,
    Query(q): Query<StatusQuery>,
) -> Response {
    if let Some(r) = faulty(&sim.faults).await {
        return r;
    }
    if let Err(r) = authenticate(&sim, &headers) {
        return r;
    }
    let mut log = sim.event_log.lock().unwrap();
    let Some(event) = log.get_mut(&q.event_id) else {
        return apple_error(StatusCode::BAD_REQUEST, 9708, "EventId could not be found.");
    };
    let failed: i64 = event.failures.iter().map(|f| f.2.len() as i64).sum();
    let mut body = serde_json::json!({
        "eventType": event.kind,
        "numRequested": event.requested,
        "tokenExpirationDate": "2030-11-08T22:33:22+0000",
        "uId": "2049025000431439",
    });
    if event.polls_left > 0 {
        event.polls_left -= 1;
        body["eventStatus"] = "PENDING".into();
        body["numCompleted"] = (event.requested / 2).into();
    } else if event.failures.is_empty() {
        body["eventStatus"] = "COMPLETE".into();
        body["numCompleted"] = event.requested.into();
    } else {
        body["eventStatus"] = "FAILED".into();
        body["numCompleted"] = (event.requested - failed).max(0).into();
        body["failures"] = event
            .failures
            .iter()
            .map(|(n, m, users)| {
                serde_json::json!({"errorInfo": {"clientUserIds": users}, "errorNumber": n, "errorMessage": m})
            })
            .collect();
    }
    Json(body).into_response()
}

// --- Microsoft store inventory -----------------------------------------------------------------

fn ms_authenticate(headers: &HeaderMap) -> Result<(), Response> {
    let secret = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if secret.len() < 8 || secret.starts_with("wrong") {
        return Err((
            StatusCode::UNAUTHORIZED,
            Json(serde_json::json!({"code": "Unauthorized", "message": "The client secret is not valid for this tenant."})),
        )
            .into_response());
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InventoryQuery {
    #[serde(default)]
    license_types: Option<String>,
    #[serde(default)]
    max_results: Option<usize>,
    #[serde(default)]
    continuation_token: Option<String>,
}

async fn inventory(
    State(sim): State<Arc<StoreSim>>,
    headers: HeaderMap,
    Query(q): Query<InventoryQuery>,
) -> Response {
    if let Some(r) = faulty(&sim.faults).await {
        return r;
    }
    if let Err(r) = ms_authenticate(&headers) {
        return r;
    }
    let dutch = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|l| l.starts_with("nl"));
    let seats = sim.ms_seats.lock().unwrap().clone();
    let items: Vec<InventoryEntry> = sim
        .ms_items
        .read()
        .unwrap()
        .iter()
        .filter(|i| match q.license_types.as_deref() {
            Some(t) => t
                .split(',')
                .any(|t| t.eq_ignore_ascii_case(&i.license_type)),
            None => true,
        })
        .map(|i| {
            let used = seats
                .get(&(i.key.product_id.clone(), i.key.sku_id.clone()))
                .map_or(0, |v| v.len() as i64);
            InventoryEntry {
                product_key: i.key.clone(),
                license_type: i.license_type.clone(),
                seat_capacity: i.seats,
                available_seats: (i.seats - used).max(0),
                product_title: if dutch {
                    format!("{} (NL)", i.title)
                } else {
                    i.title.clone()
                },
                publisher_name: i.publisher.clone(),
                status: "Active".into(),
            }
        })
        .collect();
    let size = q.max_results.unwrap_or(100).clamp(1, 1000);
    let start: usize = q
        .continuation_token
        .as_deref()
        .and_then(|t| t.strip_prefix("ct-"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
        .min(items.len());
    let end = (start + size).min(items.len());
    let mut body = serde_json::json!({"inventoryEntries": &items[start..end]});
    if end < items.len() {
        body["continuationToken"] = format!("ct-{end}").into();
    }
    Json(body).into_response()
}

async fn seat(
    State(sim): State<Arc<StoreSim>>,
    headers: HeaderMap,
    method: axum::http::Method,
    Path((product, sku, user)): Path<(String, String, String)>,
) -> Response {
    if let Some(r) = faulty(&sim.faults).await {
        return r;
    }
    if let Err(r) = ms_authenticate(&headers) {
        return r;
    }
    let item = sim
        .ms_items
        .read()
        .unwrap()
        .iter()
        .find(|i| i.key.product_id == product && i.key.sku_id == sku)
        .cloned();
    let Some(item) = item else {
        return (StatusCode::NOT_FOUND, "unknown product").into_response();
    };
    if !item.license_type.eq_ignore_ascii_case("online") {
        return (StatusCode::CONFLICT, Json(serde_json::json!({"code": "OfflineLicensed", "message": "Seats cannot be assigned for an offline-licensed app."}))).into_response();
    }
    let mut seats = sim.ms_seats.lock().unwrap();
    let list = seats.entry((product, sku)).or_default();
    if method == axum::http::Method::DELETE {
        list.retain(|u| u != &user);
    } else if !list.contains(&user) {
        if list.len() as i64 >= item.seats {
            return (StatusCode::CONFLICT, Json(serde_json::json!({"code": "NoSeatsAvailable", "message": "No seats available."}))).into_response();
        }
        list.push(user);
    }
    StatusCode::OK.into_response()
}

/// The simulator's router (Apple under `/mdm/v2`, Microsoft under `/V1`).
pub fn router(sim: Arc<StoreSim>) -> axum::Router {
    axum::Router::new()
        .route("/mdm/v2/service/config", get(service_config))
        .route(
            "/mdm/v2/client/config",
            get(get_client_config).post(post_client_config),
        )
        .route("/mdm/v2/assets", get(assets))
        .route("/mdm/v2/assignments", get(assignments))
        .route("/mdm/v2/users", get(users))
        .route("/mdm/v2/users/create", post(create_users))
        .route("/mdm/v2/assets/associate", post(associate))
        .route("/mdm/v2/assets/disassociate", post(disassociate))
        .route("/mdm/v2/status", get(status))
        .route(LOOKUP_PATH, get(lookup))
        .route("/V1/Inventory", get(inventory))
        .route(
            "/V1/Inventory/{product}/{sku}/Seats/{user}",
            post(seat).delete(seat),
        )
        .with_state(sim)
}

/// Starts the simulator on `addr` (port 0 picks one); answers its base URL.
pub async fn spawn(addr: std::net::SocketAddr, sim: Arc<StoreSim>) -> std::io::Result<String> {
    // The metadata lookup on its own listener (Apple serves it from another host), announced
    // by the service config.
    let lookups = tokio::net::TcpListener::bind(std::net::SocketAddr::new(addr.ip(), 0)).await?;
    *sim.lookup_url.lock().unwrap() =
        Some(format!("http://{}{LOOKUP_PATH}", lookups.local_addr()?));
    let only_lookup = axum::Router::new()
        .route(LOOKUP_PATH, get(lookup))
        .with_state(sim.clone());
    tokio::spawn(async move {
        let _ = axum::serve(lookups, only_lookup).await;
    });
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, router(sim)).await;
    });
    Ok(format!("http://{local}"))
}

impl StoreSim {
    /// The Apple base URL of a simulator at `base`.
    pub fn apple_url(base: &str) -> String {
        format!("{base}/mdm/v2")
    }

    /// Test hook: how many store-side assignments an asset has.
    pub fn assigned_count(&self, adam_id: &str) -> i64 {
        self.assigned(adam_id)
    }
}
