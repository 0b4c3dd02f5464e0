//! Apple's Apps and Books for Organizations API v2 (SPEC §7): the content token file and the
//! client LicenseDesk uses. Asset names come from the store's lookup service (`/lookup?ids=`),
//! because `/assets` carries ids and counts only.

use super::http::{Http, StoreError};
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

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    pub max_assets: usize,
    pub max_users: usize,
    pub max_client_user_ids: usize,
    pub max_serial_numbers: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ServiceConfig {
    pub limits: Limits,
    #[serde(default)]
    pub urls: serde_json::Value,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct MdmInfo {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub metadata: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientConfig {
    pub location_name: String,
    #[serde(rename = "countryISO2ACode")]
    pub country_iso2a_code: String,
    pub u_id: String,
    #[serde(default)]
    pub mdm_info: Option<MdmInfo>,
    #[serde(default)]
    pub token_expiration_date: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
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

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Assignment {
    pub adam_id: String,
    pub pricing_param: String,
    #[serde(default)]
    pub client_user_id: Option<String>,
    #[serde(default)]
    pub serial_number: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VppUser {
    pub client_user_id: String,
    /// `Registered`, `Associated` or `Retired`.
    pub status: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LookupEntry {
    pub name: String,
    #[serde(rename = "artistName")]
    pub artist_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page<T> {
    #[serde(alias = "assets", alias = "assignments", alias = "users")]
    items: Vec<T>,
    #[serde(default)]
    next_page_index: Option<u32>,
    #[serde(default)]
    total_pages: Option<u32>,
}

/// Lookup ids per call.
pub const LOOKUP_BATCH: usize = 500;

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

    /// Claims the token for this portal (`POST /client/config` with `mdmInfo`).
    pub async fn claim(&self, mdm: &MdmInfo) -> Result<ClientConfig, StoreError> {
        let body = serde_json::json!({ "mdmInfo": mdm });
        self.http
            .json(|| {
                self.http
                    .client
                    .post(format!("{}/client/config", self.base))
                    .bearer_auth(&self.token)
                    .json(&body)
            })
            .await
    }

    /// Every page of a paged list; `progress` hears (page, total pages).
    async fn pages<T: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        progress: &(dyn Fn(u32, u32) + Send + Sync),
    ) -> Result<Vec<T>, StoreError> {
        let mut out = vec![];
        let mut index = 0u32;
        loop {
            let page: Page<T> = self
                .http
                .json(|| self.get(&format!("{path}?pageIndex={index}")))
                .await?;
            out.extend(page.items);
            progress(index + 1, page.total_pages.unwrap_or(index + 1));
            match page.next_page_index {
                Some(next) if next > index => index = next,
                _ => break,
            }
        }
        Ok(out)
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

    pub async fn users(
        &self,
        progress: &(dyn Fn(u32, u32) + Send + Sync),
    ) -> Result<Vec<VppUser>, StoreError> {
        self.pages("/users", progress).await
    }

    /// Names and publishers of `adam_ids`, [`LOOKUP_BATCH`] per call.
    pub async fn lookup(
        &self,
        adam_ids: &[String],
    ) -> Result<std::collections::HashMap<String, LookupEntry>, StoreError> {
        #[derive(Deserialize)]
        struct Answer {
            results: std::collections::HashMap<String, LookupEntry>,
        }
        let mut out = std::collections::HashMap::new();
        for chunk in adam_ids.chunks(LOOKUP_BATCH) {
            let ids = chunk.join(",");
            let a: Answer = self
                .http
                .json(|| self.get(&format!("/lookup?ids={ids}")))
                .await?;
            out.extend(a.results);
        }
        Ok(out)
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
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Event {
            event_id: String,
        }
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
            let e: Event = self
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
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Event {
            event_id: String,
        }
        let mut events = vec![];
        for chunk in client_user_ids.chunks(limits.max_users.max(1)) {
            let users: Vec<_> = chunk
                .iter()
                .map(|id| serde_json::json!({"clientUserId": id}))
                .collect();
            let body = serde_json::json!({ "users": users });
            let e: Event = self
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
