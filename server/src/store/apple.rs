//! Apple's Apps and Books for Organizations API v2 (SPEC §7): the content token file and the
//! client LicenseDesk uses. `/assets` carries ids and counts only: names come from the content
//! metadata lookup service whose URL `GET /service/config` announces (`urls.contentMetadataLookup`,
//! another host). Every answer is read leniently — only the fields used, each with a default, and
//! unknown fields ignored — because Apple's own examples omit fields its reference lists
//! (`tests/fixtures/apple/` holds them, with their sources).

use super::http::{Http, StoreError, parse_json};
use base64::Engine;
use serde::{Deserialize, Serialize};

/// The parsed `.vpptoken` file: base64 of `{"token","expDate","orgName"}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenFile {
    /// The whole file content, sent as the bearer credential.
    pub raw: String,
    pub token: String,
    pub org_name: String,
    pub expires_at: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenJson {
    token: String,
    exp_date: String,
    org_name: String,
}

/// Parses a token file's text. Errors are for the `token_file` field, in the admin's words.
pub fn parse_token(content: &str) -> Result<TokenFile, String> {
    let raw: String = content.split_whitespace().collect();
    if raw.is_empty() {
        return Err("Choose the token file (.vpptoken) you downloaded from Apple Business Manager or Apple School Manager.".into());
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&raw)
        .map_err(|_| "This is not a content token file: its content is not base64. Download the token again from Apple Business Manager (Settings › Apps and Books).".to_string())?;
    let json: TokenJson = serde_json::from_slice(&bytes).map_err(|_| {
        "This file is not a content token: it does not carry a token, expiry date and organization. Download the token again.".to_string()
    })?;
    if json.token.trim().is_empty() || json.org_name.trim().is_empty() {
        return Err(
            "The token file has no token or no organization name. Download the token again.".into(),
        );
    }
    let expires_at = parse_exp_date(&json.exp_date).ok_or_else(|| {
        format!(
            "The token's expiry date \"{}\" is not a date. Download the token again.",
            json.exp_date
        )
    })?;
    Ok(TokenFile {
        raw,
        token: json.token,
        org_name: json.org_name.trim().to_string(),
        expires_at,
    })
}

/// `2027-11-08T22:33:22+0000` (offset without colon), also accepting `+00:00` and `Z`.
pub fn parse_exp_date(s: &str) -> Option<i64> {
    let no_colon = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory][offset_minute]"
    );
    time::OffsetDateTime::parse(s, &no_colon)
        .or_else(|_| time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339))
        .ok()
        .map(|t| t.unix_timestamp())
}

/// Writes a token file's text (the simulator, the demo and the tests make tokens with it).
pub fn make_token(token: &str, org_name: &str, expires_at: i64) -> String {
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory][offset_minute]"
    );
    let exp = time::OffsetDateTime::from_unix_timestamp(expires_at)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .format(&fmt)
        .unwrap_or_default();
    let json = serde_json::json!({"token": token, "expDate": exp, "orgName": org_name});
    base64::engine::general_purpose::STANDARD.encode(json.to_string())
}

/// The service's limits per request; each field defaults to the value Apple documents.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Limits {
    pub max_assets: usize,
    pub max_users: usize,
    pub max_client_user_ids: usize,
    pub max_serial_numbers: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_assets: 25,
            max_users: 100,
            max_client_user_ids: 1000,
            max_serial_numbers: 1000,
        }
    }
}

/// The URLs `GET /service/config` announces that LicenseDesk uses.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ServiceUrls {
    /// Names and publishers of assets (another host than the API).
    pub content_metadata_lookup: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceConfig {
    pub limits: Limits,
    pub urls: ServiceUrls,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct MdmInfo {
    pub id: String,
    pub name: String,
    pub metadata: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ClientConfig {
    pub location_name: String,
    #[serde(rename = "countryISO2ACode")]
    pub country_iso2a_code: String,
    /// `volumestore` or `enterprisestore`: the `platform` for the metadata lookup.
    pub default_platform: String,
    pub u_id: String,
    pub mdm_info: Option<MdmInfo>,
    pub token_expiration_date: String,
}

/// The answer to a claim (`POST /client/config`): only whose it now is. Apple's walkthrough
/// example answers without `locationName` or `countryISO2ACode`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClaimAnswer {
    #[serde(default)]
    mdm_info: Option<MdmInfo>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Asset {
    pub adam_id: String,
    pub pricing_param: String,
    pub product_type: String,
    pub assigned_count: i64,
    pub available_count: i64,
    pub retired_count: i64,
    pub total_count: i64,
    pub device_assignable: bool,
    pub revocable: bool,
    pub supported_platforms: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Assignment {
    pub adam_id: String,
    pub pricing_param: String,
    /// A user's assignment has this; a device's has `serial_number` (Apple sends one of them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct VppUser {
    pub client_user_id: String,
    /// `Registered`, `Associated`, `Retired` (or the legacy `Deleted`).
    pub status: String,
}

/// What the metadata lookup tells about one asset (its answer carries much more).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LookupEntry {
    pub name: Option<String>,
    pub artist_name: Option<String>,
}

/// A list item's identity, to drop an item that a paged read saw twice.
pub trait Keyed {
    fn key(&self) -> String;
}

impl Keyed for Asset {
    fn key(&self) -> String {
        format!("{}\u{1f}{}", self.adam_id, self.pricing_param)
    }
}

impl Keyed for Assignment {
    fn key(&self) -> String {
        format!(
            "{}\u{1f}{}\u{1f}{}\u{1f}{}",
            self.adam_id,
            self.pricing_param,
            self.client_user_id.as_deref().unwrap_or(""),
            self.serial_number.as_deref().unwrap_or("")
        )
    }
}

impl Keyed for VppUser {
    fn key(&self) -> String {
        format!("{}\u{1f}{}", self.client_user_id, self.status)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page<T> {
    #[serde(
        alias = "assets",
        alias = "assignments",
        alias = "users",
        default = "Vec::new"
    )]
    items: Vec<T>,
    #[serde(default)]
    next_page_index: Option<u32>,
    #[serde(default)]
    total_pages: Option<u32>,
    #[serde(default)]
    version_id: Option<String>,
}

/// One page of a paged list: its items, the progress to report (this page, total pages), the
/// index of the next page (only ever forward, so the paging ends) and the list's version.
struct PageStep<T> {
    items: Vec<T>,
    progress: (u32, u32),
    next: Option<u32>,
    version: Option<String>,
}

/// Reads the answer for page `index` of a paged list.
fn read_page<T: for<'de> Deserialize<'de>>(
    text: &str,
    index: u32,
) -> Result<PageStep<T>, StoreError> {
    let page: Page<T> = parse_json(text)?;
    let done = index.saturating_add(1);
    Ok(PageStep {
        items: page.items,
        progress: (done, page.total_pages.unwrap_or(done)),
        next: page.next_page_index.filter(|next| *next > index),
        version: page.version_id,
    })
}

/// How often a paged read starts again when the list changed under it (`versionId` changed
/// between pages); after that the pages read are kept, with items seen twice dropped.
pub const PAGING_RESTARTS: u32 = 2;

/// The lookup service's answer: names and publishers by asset id. Entries whose id is not an
/// asset asked for are ignored; an empty map is a valid answer (no access, unknown ids).
#[derive(Deserialize)]
struct LookupAnswer {
    #[serde(default)]
    results: std::collections::HashMap<String, LookupEntry>,
}

/// The answer to a change (associate, disassociate, create users): the id of its event.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventAnswer {
    event_id: String,
}

/// `GET /status?eventId=`: how far Apple got with a change, and what failed, per user/device.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct EventStatus {
    /// `PENDING`, `COMPLETE` or `FAILED`.
    pub event_status: String,
    pub event_type: String,
    pub num_completed: i64,
    pub num_requested: i64,
    pub failures: Vec<EventFailure>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct EventFailure {
    pub error_number: i64,
    pub error_message: String,
    pub error_info: FailureInfo,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct FailureInfo {
    pub client_user_ids: Vec<String>,
    pub serial_numbers: Vec<String>,
}

impl EventStatus {
    pub fn is_pending(&self) -> bool {
        !matches!(self.event_status.as_str(), "COMPLETE" | "FAILED")
    }
}

/// Asset ids per metadata lookup call.
pub const LOOKUP_BATCH: usize = 100;

#[derive(Clone)]
pub struct AppleClient {
    pub http: Http,
    base: String,
    /// The token file content (bearer credential).
    token: String,
}

impl AppleClient {
    pub fn new(http: Http, base: &str, token_file: &str) -> AppleClient {
        AppleClient {
            http,
            base: base.trim_end_matches('/').to_string(),
            token: token_file.to_string(),
        }
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    pub async fn service_config(&self) -> Result<ServiceConfig, StoreError> {
        self.http
            .json(|| {
                self.http
                    .client
                    .get(format!("{}/service/config", self.base))
            })
            .await
    }

    pub async fn client_config(&self) -> Result<ClientConfig, StoreError> {
        self.http.json(|| self.get("/client/config")).await
    }

    /// Claims the token for this portal (`POST /client/config` with `mdmInfo`); answers whose
    /// the token now is, when Apple says.
    pub async fn claim(&self, mdm: &MdmInfo) -> Result<Option<MdmInfo>, StoreError> {
        let body = serde_json::json!({ "mdmInfo": mdm });
        let answer: ClaimAnswer = self
            .http
            .json(|| {
                self.http
                    .client
                    .post(format!("{}/client/config", self.base))
                    .bearer_auth(&self.token)
                    .json(&body)
            })
            .await?;
        Ok(answer.mdm_info)
    }

    /// Every page of a paged list, each item once; `progress` hears (page, total pages). Apple
    /// warns that a list can change while it is read (`versionId`, `totalPages`): the read starts
    /// again from the first page when the version changes, at most [`PAGING_RESTARTS`] times.
    async fn pages<T: for<'de> Deserialize<'de> + Keyed>(
        &self,
        path: &str,
        progress: &(dyn Fn(u32, u32) + Send + Sync),
    ) -> Result<Vec<T>, StoreError> {
        let mut restarts = 0;
        'read: loop {
            let mut out = vec![];
            let mut seen = std::collections::HashSet::new();
            let mut version: Option<String> = None;
            let mut index = 0u32;
            loop {
                let text = self
                    .http
                    .send(|| self.get(&format!("{path}?pageIndex={index}")))
                    .await?;
                let page = read_page::<T>(&text, index)?;
                match (&version, &page.version) {
                    (None, v) => version = v.clone(),
                    (Some(first), Some(now)) if first != now && restarts < PAGING_RESTARTS => {
                        restarts += 1;
                        tracing::info!(
                            path,
                            restarts,
                            "the list changed while it was read: reading it again"
                        );
                        continue 'read;
                    }
                    _ => {}
                }
                for item in page.items {
                    if seen.insert(item.key()) {
                        out.push(item);
                    }
                }
                progress(page.progress.0, page.progress.1);
                match page.next {
                    Some(next) => index = next,
                    None => return Ok(out),
                }
            }
        }
    }

    pub async fn assets(
        &self,
        progress: &(dyn Fn(u32, u32) + Send + Sync),
    ) -> Result<Vec<Asset>, StoreError> {
        self.pages("/assets", progress).await
    }

    pub async fn assignments(
        &self,
        progress: &(dyn Fn(u32, u32) + Send + Sync),
    ) -> Result<Vec<Assignment>, StoreError> {
        self.pages("/assignments", progress).await
    }

    /// Program users, one per `clientUserId`: Apple lists a user once per incarnation (retired
    /// and created again), so the living status wins (Associated, then Registered, then any).
    pub async fn users(
        &self,
        progress: &(dyn Fn(u32, u32) + Send + Sync),
    ) -> Result<Vec<VppUser>, StoreError> {
        let all: Vec<VppUser> = self.pages("/users", progress).await?;
        Ok(living_users(all))
    }

    /// Names and publishers of `adam_ids` from the content metadata lookup at `url` (announced
    /// by the service config), [`LOOKUP_BATCH`] ids per call: `version=2`, `p=mdm-lockup`,
    /// `caller=MDM`, the location's `platform` and country, and the token as the `itvt` cookie
    /// (which custom apps need). Ids the service does not name are simply absent.
    pub async fn lookup(
        &self,
        url: &str,
        adam_ids: &[String],
        country: &str,
        platform: &str,
    ) -> Result<std::collections::HashMap<String, LookupEntry>, StoreError> {
        let country = if country.trim().is_empty() {
            "us".to_string()
        } else {
            country.trim().to_lowercase()
        };
        let platform = if platform.trim().is_empty() {
            "enterprisestore"
        } else {
            platform.trim()
        };
        let mut out = std::collections::HashMap::new();
        for chunk in adam_ids.chunks(LOOKUP_BATCH) {
            let ids = chunk.join(",");
            let a: LookupAnswer = self
                .http
                .json(|| {
                    self.http
                        .client
                        .get(url)
                        .query(&[
                            ("version", "2"),
                            ("p", "mdm-lockup"),
                            ("caller", "MDM"),
                            ("platform", platform),
                            ("cc", country.as_str()),
                            ("l", "en"),
                            ("id", ids.as_str()),
                        ])
                        .header(reqwest::header::COOKIE, format!("itvt={}", self.token))
                })
                .await?;
            out.extend(a.results.into_iter().filter(|(id, e)| {
                chunk.contains(id) && e.name.as_deref().is_some_and(|n| !n.trim().is_empty())
            }));
        }
        Ok(out)
    }

    /// `GET /status?eventId=`: the state of a change Apple accepted.
    pub async fn event_status(&self, event_id: &str) -> Result<EventStatus, StoreError> {
        self.http
            .json(|| self.get("/status").query(&[("eventId", event_id)]))
            .await
    }

    /// Associates assets with users, never sending more ids per call than `limits` allow.
    pub async fn associate(
        &self,
        limits: &Limits,
        adam_id: &str,
        pricing_param: &str,
        client_user_ids: &[String],
        disassociate: bool,
    ) -> Result<Vec<String>, StoreError> {
        let path = if disassociate {
            "/assets/disassociate"
        } else {
            "/assets/associate"
        };
        let mut events = vec![];
        for chunk in client_user_ids.chunks(limits.max_client_user_ids.max(1)) {
            let body = serde_json::json!({
                "assets": [{"adamId": adam_id, "pricingParam": pricing_param}],
                "clientUserIds": chunk,
            });
            let e: EventAnswer = self
                .http
                .json(|| {
                    self.http
                        .client
                        .post(format!("{}{path}", self.base))
                        .bearer_auth(&self.token)
                        .json(&body)
                })
                .await?;
            events.push(e.event_id);
        }
        Ok(events)
    }

    /// `POST /users/create` for users not yet in the program (they get an invitation).
    pub async fn create_users(
        &self,
        limits: &Limits,
        client_user_ids: &[String],
    ) -> Result<Vec<String>, StoreError> {
        let mut events = vec![];
        for chunk in client_user_ids.chunks(limits.max_users.max(1)) {
            let users: Vec<_> = chunk
                .iter()
                .map(|id| serde_json::json!({"clientUserId": id}))
                .collect();
            let body = serde_json::json!({ "users": users });
            let e: EventAnswer = self
                .http
                .json(|| {
                    self.http
                        .client
                        .post(format!("{}/users/create", self.base))
                        .bearer_auth(&self.token)
                        .json(&body)
                })
                .await?;
            events.push(e.event_id);
        }
        Ok(events)
    }
}

/// One user per `clientUserId`, the living status winning (see [`AppleClient::users`]).
fn living_users(all: Vec<VppUser>) -> Vec<VppUser> {
    fn rank(status: &str) -> u8 {
        match status {
            "Associated" => 3,
            "Registered" => 2,
            "Retired" => 1,
            _ => 0,
        }
    }
    let mut best: std::collections::BTreeMap<String, VppUser> = Default::default();
    for u in all {
        match best.get(&u.client_user_id) {
            Some(b) if rank(&b.status) >= rank(&u.status) => {}
            _ => {
                best.insert(u.client_user_id.clone(), u);
            }
        }
    }
    best.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_files_round_trip_and_bad_files_are_explained() {
        let text = make_token("abc123", "Northwind Health", 1_826_000_000);
        let t = parse_token(&format!("{text}\n")).unwrap();
        assert_eq!(t.org_name, "Northwind Health");
        assert_eq!(t.token, "abc123");
        assert_eq!(t.expires_at, 1_826_000_000);
        assert_eq!(t.raw, text);
        assert!(
            parse_token("")
                .unwrap_err()
                .contains("Choose the token file")
        );
        assert!(parse_token("%%%").unwrap_err().contains("not base64"));
        let not_json = base64::engine::general_purpose::STANDARD.encode("hello");
        assert!(
            parse_token(&not_json)
                .unwrap_err()
                .contains("not a content token")
        );
        let bad_date = base64::engine::general_purpose::STANDARD
            .encode(r#"{"token":"x","expDate":"soon","orgName":"A"}"#);
        assert!(parse_token(&bad_date).unwrap_err().contains("\"soon\""));
    }

    #[test]
    fn apple_expiry_dates_have_no_colon_in_the_offset() {
        assert_eq!(
            parse_exp_date("2027-11-08T22:33:22+0000"),
            Some(1_825_713_202)
        );
        assert_eq!(
            parse_exp_date("2027-11-08T23:33:22+0100"),
            Some(1_825_713_202)
        );
        assert_eq!(parse_exp_date("2027-11-08T22:33:22Z"), Some(1_825_713_202));
        assert_eq!(parse_exp_date("8 Nov 2027"), None);
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use crate::core::arbitrary::{Shape, body, json, text};
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE};
    use proptest::prelude::*;
    use serde_json::{Map, Value};

    const LIMITS: Shape = Shape::Obj(&[
        ("maxAssets", Shape::Index),
        ("maxUsers", Shape::Index),
        ("maxClientUserIds", Shape::Index),
        ("maxSerialNumbers", Shape::Index),
    ]);
    const SERVICE_CONFIG: Shape = Shape::Obj(&[("limits", LIMITS), ("urls", Shape::Any)]);
    const MDM_INFO: Shape = Shape::Obj(&[
        ("id", Shape::Str),
        ("name", Shape::Str),
        ("metadata", Shape::Str),
    ]);
    const CLIENT_CONFIG: Shape = Shape::Obj(&[
        ("locationName", Shape::Str),
        ("countryISO2ACode", Shape::Str),
        ("uId", Shape::Str),
        ("mdmInfo", Shape::Opt(&MDM_INFO)),
        ("tokenExpirationDate", Shape::Str),
    ]);
    const ASSET: Shape = Shape::Obj(&[
        ("adamId", Shape::Str),
        ("pricingParam", Shape::Str),
        ("productType", Shape::Word(&["App", "Book"])),
        ("assignedCount", Shape::Int),
        ("availableCount", Shape::Int),
        ("retiredCount", Shape::Int),
        ("totalCount", Shape::Int),
        ("deviceAssignable", Shape::Bool),
        ("revocable", Shape::Bool),
        ("supportedPlatforms", Shape::List(&Shape::Str)),
    ]);
    const ASSIGNMENT: Shape = Shape::Obj(&[
        ("adamId", Shape::Str),
        ("pricingParam", Shape::Str),
        ("clientUserId", Shape::Opt(&Shape::Str)),
        ("serialNumber", Shape::Opt(&Shape::Str)),
    ]);
    const USER: Shape = Shape::Obj(&[
        ("clientUserId", Shape::Str),
        (
            "status",
            Shape::Word(&["Registered", "Associated", "Retired"]),
        ),
    ]);
    const ASSETS_PAGE: Shape = Shape::Obj(&[
        ("assets", Shape::List(&ASSET)),
        ("nextPageIndex", Shape::Opt(&Shape::Index)),
        ("totalPages", Shape::Opt(&Shape::Index)),
    ]);
    const ASSIGNMENTS_PAGE: Shape = Shape::Obj(&[
        ("assignments", Shape::List(&ASSIGNMENT)),
        ("nextPageIndex", Shape::Opt(&Shape::Index)),
        ("totalPages", Shape::Opt(&Shape::Index)),
    ]);
    const USERS_PAGE: Shape = Shape::Obj(&[
        ("users", Shape::List(&USER)),
        ("nextPageIndex", Shape::Opt(&Shape::Index)),
        ("totalPages", Shape::Opt(&Shape::Index)),
    ]);
    const LOOKUP_ANSWER: Shape = Shape::Obj(&[(
        "results",
        Shape::Map(&Shape::Obj(&[
            ("name", Shape::Str),
            ("artistName", Shape::Str),
        ])),
    )]);
    const EVENT_ANSWER: Shape = Shape::Obj(&[("eventId", Shape::Str)]);

    /// `parse_json` as the connector calls it: `T` or the one "unreadable answer" error.
    fn read<T: for<'de> Deserialize<'de>>(text: &str) -> Result<(), TestCaseError> {
        match parse_json::<T>(text) {
            Ok(_) => {}
            Err(StoreError::Unavailable { last, .. }) => {
                prop_assert!(last.starts_with("unreadable answer"))
            }
            Err(other) => prop_assert!(false, "unexpected {other:?}"),
        }
        Ok(())
    }

    /// One page read for page `index`: its progress and next index stay in range.
    fn page<T: for<'de> Deserialize<'de>>(text: &str, index: u32) -> Result<(), TestCaseError> {
        match read_page::<T>(text, index) {
            Ok(step) => {
                prop_assert!(step.progress.0 >= 1);
                prop_assert!(step.next.is_none_or(|next| next > index));
            }
            Err(StoreError::Unavailable { last, .. }) => {
                prop_assert!(last.starts_with("unreadable answer"))
            }
            Err(other) => prop_assert!(false, "unexpected {other:?}"),
        }
        Ok(())
    }

    fn index() -> impl Strategy<Value = u32> {
        prop_oneof![0u32..4, any::<u32>(), Just(u32::MAX - 1), Just(u32::MAX)]
    }

    /// Dates in Apple's format (any time from year 0 to 9999, at any offset) or near it: in
    /// and out of range, with every kind of offset.
    fn date_like() -> impl Strategy<Value = String> {
        let valid = (-62_167_219_200i64..=253_402_300_799, -1439i32..=1439).prop_map(|(t, m)| {
            let offset = time::UtcOffset::from_whole_seconds(m * 60).expect("within a day");
            let fmt = time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory][offset_minute]"
            );
            time::OffsetDateTime::from_unix_timestamp(t)
                .expect("in range")
                .to_offset(offset)
                .format(&fmt)
                .unwrap_or_default()
        });
        let year = prop_oneof![0i32..=9999, -10_000i32..=10_000, Just(9999), Just(-9999)];
        let offset = prop::sample::select(vec![
            "+0000", "+0000", "-0800", "+00:00", "Z", "+2359", "-2359", "+2600", "+05:3", "", " ",
        ]);
        let parts = (
            year,
            0u8..=13,
            0u8..=32,
            0u8..=25,
            0u8..=61,
            0u8..=61,
            offset,
        );
        prop_oneof![
            4 => valid,
            4 => parts.prop_map(|(y, mo, d, h, mi, s, off)| {
                format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{off}")
            }),
            1 => text(),
        ]
    }

    /// A token file's JSON: half of the time with its three fields as texts; otherwise each
    /// present or not, a text or any value; with unknown fields beside them.
    fn token_json() -> impl Strategy<Value = Value> {
        fn field(right: impl Strategy<Value = String> + 'static) -> BoxedStrategy<Option<Value>> {
            let right = right.prop_map(Value::String).boxed();
            prop_oneof![
                1 => right.clone().prop_map(Some),
                1 => prop::option::weighted(0.9, prop_oneof![6 => right, 1 => json()]),
            ]
            .boxed()
        }
        (
            field(text()),
            field(date_like()),
            field(text()),
            prop::collection::vec((text(), json()), 0..2),
        )
            .prop_map(|(token, exp, org, extra)| {
                let mut m: Map<String, Value> = extra.into_iter().collect();
                for (k, v) in [("token", token), ("expDate", exp), ("orgName", org)] {
                    if let Some(v) = v {
                        m.insert(k.into(), v);
                    }
                }
                Value::Object(m)
            })
    }

    /// A token file: base64 (several alphabets, wrapped or not) of token JSON or of any JSON
    /// or bytes.
    fn token_file() -> impl Strategy<Value = String> {
        let content = prop_oneof![
            6 => token_json().prop_map(|v| v.to_string().into_bytes()),
            1 => json().prop_map(|v| v.to_string().into_bytes()),
            1 => prop::collection::vec(any::<u8>(), 0..48),
        ];
        (content, 0..5u8).prop_map(|(bytes, style)| match style {
            0 | 1 => STANDARD.encode(&bytes),
            2 => {
                let b = STANDARD.encode(&bytes);
                let wrapped: Vec<String> = b
                    .as_bytes()
                    .chunks(20)
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect();
                format!("  {}\r\n", wrapped.join("\n"))
            }
            3 => URL_SAFE.encode(&bytes),
            _ => STANDARD_NO_PAD.encode(&bytes),
        })
    }

    /// The token parser's errors, each telling the admin what is wrong with the file.
    const TOKEN_ERRORS: [&str; 5] = [
        "Choose the token file",
        "This is not a content token file",
        "This file is not a content token",
        "The token file has no token",
        "The token's expiry date",
    ];

    fn check_token(content: &str) -> Result<(), TestCaseError> {
        match parse_token(content) {
            Ok(t) => {
                prop_assert!(!t.token.trim().is_empty());
                prop_assert!(!t.org_name.is_empty() && t.org_name.trim() == t.org_name);
                prop_assert!(!t.raw.contains(char::is_whitespace));
            }
            Err(e) => prop_assert!(
                TOKEN_ERRORS.iter().any(|p| e.starts_with(p)),
                "unnamed error {e:?}"
            ),
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any text is a token file or one of the named token-file errors, never a panic.
        #[test]
        fn any_text_is_a_token_or_a_named_error(content in prop_oneof![
            "\\PC{0,40}",
            "[A-Za-z0-9+/=\\s]{0,40}",
            ".{0,40}",
        ]) {
            check_token(&content)?;
        }

        /// Base64 of any JSON object with random fields is a token or a named error.
        #[test]
        fn any_base64_json_is_a_token_or_a_named_error(content in token_file()) {
            check_token(&content)?;
        }

        /// Dates near Apple's format parse to a time or to nothing, never a panic.
        #[test]
        fn expiry_dates_parse_or_are_refused(s in date_like()) {
            let _ = parse_exp_date(&s);
        }

        /// A token written by `make_token` parses back to the same token, organisation and
        /// expiry (any time from year 0 to 9999).
        #[test]
        fn made_tokens_parse_back(
            token in text().prop_filter("a token", |t| !t.trim().is_empty()),
            org in text().prop_filter("a name", |o| !o.trim().is_empty()),
            expires_at in -62_167_219_200i64..=253_402_300_799,
        ) {
            let file = make_token(&token, &org, expires_at);
            let t = parse_token(&file).map_err(TestCaseError::fail)?;
            prop_assert_eq!(t.token, token);
            prop_assert_eq!(t.org_name, org.trim());
            prop_assert_eq!(t.expires_at, expires_at);
            prop_assert_eq!(t.raw, file);
        }

    }

    proptest! {
        // Nested JSON is heavier to make: fewer cases.
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Service and client configuration answers are read or are an unreadable answer.
        #[test]
        fn config_answers_never_panic(
            service in body(SERVICE_CONFIG),
            client in body(CLIENT_CONFIG),
        ) {
            read::<ServiceConfig>(&service)?;
            read::<ClientConfig>(&client)?;
        }

        /// Pages of assets, assignments and users (for any page index, up to `u32::MAX`) are
        /// read with their progress and a next index only ever forward, or are unreadable.
        #[test]
        fn pages_never_panic_and_only_go_forward(
            assets in body(ASSETS_PAGE),
            assignments in body(ASSIGNMENTS_PAGE),
            users in body(USERS_PAGE),
            index in index(),
        ) {
            page::<Asset>(&assets, index)?;
            page::<Assignment>(&assignments, index)?;
            page::<VppUser>(&users, index)?;
        }

        /// Lookup and event answers are read or are an unreadable answer.
        #[test]
        fn lookup_and_event_answers_never_panic(
            lookup in body(LOOKUP_ANSWER),
            event in body(EVENT_ANSWER),
        ) {
            read::<LookupAnswer>(&lookup)?;
            read::<EventAnswer>(&event)?;
        }
    }
}
