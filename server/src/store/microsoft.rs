//! The Microsoft store for business inventory API (SPEC §7): `GET /V1/Inventory` with
//! `licenseTypes=online`, `maxResults` and `continuationToken`, and the seats of a product at
//! `/V1/Inventory/{productId}/{skuId}/Seats/{username}` (POST assigns, DELETE reclaims; 409 for
//! an offline-licensed app). The vendor retired the service in 2023; compatible stores (and
//! organisations' exported inventories behind one) keep the shape. The client secret is sent as
//! the bearer credential; the display language chooses the language of the product titles.

use super::http::{Http, StoreError, parse_json};
use serde::{Deserialize, Serialize};

pub const MAX_RESULTS: usize = 100;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "camelCase")]
pub struct ProductKey {
    pub product_id: String,
    pub sku_id: String,
}

/// One inventory entry. Microsoft documents `productKey`, `seatCapacity`, `availableSeats`,
/// `licenseType` (`Online`/`Offline`), `distributionPolicy`, `status` (`Active`/`Removed`) and
/// `lastModified`; the title and publisher are read when present (compatible stores send them),
/// else the product id stands in. Every field but the key has a default.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InventoryEntry {
    pub product_key: ProductKey,
    #[serde(default)]
    pub license_type: String,
    #[serde(default)]
    pub seat_capacity: i64,
    #[serde(default)]
    pub available_seats: i64,
    #[serde(default)]
    pub product_title: String,
    #[serde(default)]
    pub publisher_name: String,
    #[serde(default)]
    pub status: String,
}

impl InventoryEntry {
    /// Seats the store counts as assigned (capacity − available; the store's numbers are not
    /// trusted to be in range, so this saturates instead of overflowing).
    pub fn store_assigned(&self) -> i64 {
        self.seat_capacity.saturating_sub(self.available_seats)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InventoryPage {
    #[serde(default)]
    inventory_entries: Vec<InventoryEntry>,
    #[serde(default)]
    continuation_token: Option<String>,
}

/// Reads one inventory page: its online-licensed entries that are not removed (values compared
/// without case: Microsoft documents `Online` and `Removed`, compatible stores write them in
/// lower case), and the continuation token of the next page (none, or empty: the last page).
fn read_inventory_page(text: &str) -> Result<(Vec<InventoryEntry>, Option<String>), StoreError> {
    let page: InventoryPage = parse_json(text)?;
    let entries = page
        .inventory_entries
        .into_iter()
        .filter(|e| {
            e.license_type.eq_ignore_ascii_case("online")
                && !e.status.eq_ignore_ascii_case("removed")
        })
        .map(|mut e| {
            e.license_type = "online".into();
            if e.product_title.trim().is_empty() {
                e.product_title = e.product_key.product_id.clone();
            }
            e
        })
        .collect();
    Ok((entries, page.continuation_token.filter(|t| !t.is_empty())))
}

#[derive(Clone)]
pub struct MicrosoftClient {
    pub http: Http,
    base: String,
    tenant_id: String,
    secret: String,
    language: String,
}

impl MicrosoftClient {
    pub fn new(http: Http, base: &str, tenant_id: &str, secret: &str, language: &str) -> Self {
        MicrosoftClient {
            http,
            base: base.trim_end_matches('/').to_string(),
            tenant_id: tenant_id.to_string(),
            secret: secret.to_string(),
            language: language.to_string(),
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.secret)
            .header("x-tenant-id", &self.tenant_id)
            .header(reqwest::header::ACCEPT_LANGUAGE, &self.language)
    }

    /// Every online-licensed inventory entry, following continuation tokens.
    pub async fn inventory(
        &self,
        progress: &(dyn Fn(u32, u32) + Send + Sync),
    ) -> Result<Vec<InventoryEntry>, StoreError> {
        let mut out = vec![];
        let mut token: Option<String> = None;
        let mut page = 0;
        loop {
            let mut path = format!("/V1/Inventory?licenseTypes=online&maxResults={MAX_RESULTS}");
            if let Some(t) = &token {
                path.push_str("&continuationToken=");
                path.push_str(
                    &url::form_urlencoded::byte_serialize(t.as_bytes()).collect::<String>(),
                );
            }
            let text = self
                .http
                .send(|| self.request(reqwest::Method::GET, &path))
                .await?;
            let (entries, next) = read_inventory_page(&text)?;
            out.extend(entries);
            page += 1;
            progress(page, 0);
            match next {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        Ok(out)
    }

    /// Assigns (or with `reclaim`, takes back) a seat of a product for a user.
    pub async fn seat(
        &self,
        key: &ProductKey,
        username: &str,
        reclaim: bool,
    ) -> Result<(), StoreError> {
        let path = format!(
            "/V1/Inventory/{}/{}/Seats/{}",
            key.product_id,
            key.sku_id,
            url::form_urlencoded::byte_serialize(username.as_bytes()).collect::<String>()
        );
        let method = if reclaim {
            reqwest::Method::DELETE
        } else {
            reqwest::Method::POST
        };
        self.http
            .send(|| self.request(method.clone(), &path))
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use crate::core::arbitrary::{Shape, body};
    use proptest::prelude::*;

    const ENTRY: Shape = Shape::Obj(&[
        (
            "productKey",
            Shape::Obj(&[("productId", Shape::Str), ("skuId", Shape::Str)]),
        ),
        (
            "licenseType",
            Shape::Word(&["online", "offline", "Online", "Offline"]),
        ),
        ("seatCapacity", Shape::Int),
        ("availableSeats", Shape::Int),
        ("productTitle", Shape::Str),
        ("publisherName", Shape::Str),
        ("status", Shape::Str),
    ]);
    const PAGE: Shape = Shape::Obj(&[
        ("inventoryEntries", Shape::List(&ENTRY)),
        ("continuationToken", Shape::Opt(&Shape::Str)),
    ]);

    proptest! {
        // Nested JSON is heavier to make: fewer cases.
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Any inventory answer is online entries (whose assigned seats never overflow) and a
        /// non-empty continuation token, or an unreadable answer; never a panic.
        #[test]
        fn inventory_pages_never_panic(text in body(PAGE)) {
            match read_inventory_page(&text) {
                Ok((entries, token)) => {
                    for e in &entries {
                        prop_assert_eq!(e.license_type.as_str(), "online");
                        let _ = e.store_assigned();
                    }
                    prop_assert!(token.is_none_or(|t| !t.is_empty()));
                }
                Err(StoreError::Unavailable { last, .. }) => {
                    prop_assert!(last.starts_with("unreadable answer"))
                }
                Err(other) => prop_assert!(false, "unexpected {other:?}"),
            }
        }
    }
}

/// Microsoft published no example answers for this API, only field tables (the Store for
/// Business REST reference, `data-structures-windows-store-for-business.md`, removed from
/// MicrosoftDocs/windows-itpro-docs in 2023). This answer is BUILT from that table, not a vendor
/// example: capitalised values, no title or publisher, a removed entry.
#[cfg(test)]
mod documented_fields {
    use super::*;

    #[test]
    fn an_inventory_page_built_from_microsofts_field_table_is_read() {
        let text = r#"{
            "inventoryEntries": [
                {"productKey": {"productId": "9WZDNCRFJ3PZ", "skuId": "0016"}, "seatCapacity": 25,
                 "availableSeats": 20, "lastModified": "2015-07-13T14:02:25.6863382-07:00",
                 "licenseType": "Online", "distributionPolicy": "Open", "status": "Active"},
                {"productKey": {"productId": "9WZDNCRFHVJL", "skuId": "0010"}, "seatCapacity": 10,
                 "availableSeats": 10, "licenseType": "Offline", "distributionPolicy": "Restricted",
                 "status": "Active"},
                {"productKey": {"productId": "9NBLGGH4R32N", "skuId": "0010"}, "seatCapacity": 5,
                 "availableSeats": 5, "licenseType": "Online", "status": "Removed"}
            ],
            "continuationToken": "abc"
        }"#;
        let (entries, next) = read_inventory_page(text).unwrap();
        assert_eq!(next.as_deref(), Some("abc"));
        assert_eq!(entries.len(), 1, "online and not removed only");
        assert_eq!(entries[0].product_key.product_id, "9WZDNCRFJ3PZ");
        assert_eq!(entries[0].store_assigned(), 5);
        assert_eq!(
            entries[0].product_title, "9WZDNCRFJ3PZ",
            "the id stands in for a title"
        );
        let (last, next) = read_inventory_page(r#"{"inventoryEntries": []}"#).unwrap();
        assert!(last.is_empty() && next.is_none());
    }
}
