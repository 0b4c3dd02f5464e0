//! The REST API, `/api/v1` (SPEC X-4): JSON resources for scripts, authenticated by API tokens
//! (`Authorization: Bearer …`; the browser session never counts here, so there is nothing to
//! forge cross-site). Every handler authorises with `app::api::ssr::check` and calls the same
//! backend methods as the server functions — rules, audit entries and error meanings are theirs.
//! The router and the OpenAPI 3.1 document come from one definition (`utoipa-axum`'s `routes!`),
//! so a route cannot exist without its documentation or the other way round.
//!
//! - `problem`: errors as `application/problem+json` with stable codes.
//! - `extract`: the caller, JSON bodies, `If-Match` and `Idempotency-Key`, pages and `Link`.
//! - `directory`, `store`, `licenses`, `billing`, `overview`: the resources, one file per area.
//! - `docs`: the OpenAPI document and the embedded API reference page.
//! - `limit`: the request rate per token (429 with `Retry-After` over it).

pub mod docs;
pub mod extract;
pub mod limit;
pub mod problem;

mod billing;
mod directory;
mod licenses;
mod overview;
mod store;

use crate::web::AppState;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// Where the API lives.
pub const PREFIX: &str = "/api/v1";

/// Paths under [`PREFIX`] that answer without a token (the document itself).
pub const PUBLIC: &[&str] = &["/api/v1/openapi.json"];

#[derive(OpenApi)]
#[openapi(
    info(
        title = "LicenseDesk API",
        version = "1",
        description = "Everything an administrator does in LicenseDesk, for scripts. \
            Authenticate with an API token (Settings → API tokens) as `Authorization: Bearer <token>`; \
            the token's role decides what it may do, exactly as for a person with that role. \
            Lists are paged by cursor (`?cursor=`; the next page's address is in `next` and in the \
            `Link` header). Errors are `application/problem+json` (RFC 9457) with a stable `code`; \
            validation errors name the `field`. Changes of users and groups accept `If-Match` with \
            the `ETag` from a read, and answer 412 when it changed in between."
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "directory", description = "Users, groups and devices"),
        (name = "store", description = "Store connections, apps, deployments, license holders and installs"),
        (name = "licenses", description = "Agreements, number sets, license groups, Refresh now and the reports"),
        (name = "billing", description = "Subscriptions, billing profiles, invoices, ISV apps and their assignments"),
        (name = "overview", description = "Alerts and the audit log"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token created in Settings → API tokens."))
                    .build(),
            ),
        );
    }
}

/// The API's routes and its OpenAPI document, built together.
pub fn api() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let v1 = OpenApiRouter::new()
        .merge(directory::routes())
        .merge(store::routes())
        .merge(licenses::routes())
        .merge(billing::routes())
        .merge(overview::routes())
        .merge(docs::routes());
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest(PREFIX, v1)
        .split_for_parts()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// The files of this module and its submodules (relative path, text).
    fn sources() -> Vec<(String, String)> {
        fn walk(root: &std::path::Path, dir: &std::path::Path, out: &mut Vec<(String, String)>) {
            for entry in std::fs::read_dir(dir).unwrap().filter_map(|e| e.ok()) {
                let path = entry.path();
                if path.is_dir() {
                    walk(root, &path, out);
                } else if path.extension().is_some_and(|x| x == "rs") {
                    let name = path
                        .strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .to_string();
                    out.push((name, std::fs::read_to_string(&path).unwrap()));
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web/rest");
        let mut out = vec![];
        walk(&root, &root, &mut out);
        out.sort();
        out
    }

    /// Every route of the API is in the document and every documented operation is routed:
    /// handlers (uniquely named: the name is the operation id) are annotated
    /// (`#[utoipa::path]`) exactly when they are registered with
    /// `routes!`, nothing under `/api/v1` is added with a plain `.route` (which would bypass
    /// the document) but the not-found fallback, and the document holds one operation per
    /// annotated handler. (`tests/it/api.rs` then calls every documented operation.)
    #[test]
    fn the_router_and_the_document_list_the_same_operations() {
        let mut annotated = BTreeSet::new();
        let mut routed = BTreeSet::new();
        for (file, text) in sources() {
            if file == "mod.rs" {
                continue;
            }
            let mut rest = text.as_str();
            while let Some(i) = rest.find("#[utoipa::path(") {
                rest = &rest[i..];
                let f = rest.find("async fn ").expect("an annotated handler");
                let name: String = rest[f + 9..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                // The name is the operation's id in the document: unique across the API.
                assert!(
                    annotated.insert(name.clone()),
                    "two handlers are named {name}"
                );
                rest = &rest[f..];
            }
            let mut rest = text.as_str();
            while let Some(i) = rest.find("routes!(") {
                rest = &rest[i + 8..];
                let end = rest.find(')').unwrap();
                for path in rest[..end]
                    .split(',')
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                {
                    routed.insert(path.rsplit("::").next().unwrap_or(path).to_string());
                }
            }
            assert!(
                !text.contains(".route("),
                "{file} adds a route outside `routes!`, so it would be missing from the document"
            );
        }
        assert_eq!(annotated, routed);
        let web = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web/mod.rs"),
        )
        .unwrap();
        let plain: Vec<&str> = web.lines().filter(|l| l.contains("\"/api/v1")).collect();
        assert_eq!(
            plain,
            ["            \"/api/v1/{*rest}\","],
            "only the not-found fallback"
        );

        let (_, doc) = super::api();
        let operations: usize = doc
            .paths
            .paths
            .values()
            .map(|item| {
                [
                    item.get.is_some(),
                    item.put.is_some(),
                    item.post.is_some(),
                    item.delete.is_some(),
                    item.patch.is_some(),
                ]
                .into_iter()
                .filter(|x| *x)
                .count()
            })
            .sum();
        assert_eq!(operations, annotated.len());
        assert!(doc.paths.paths.keys().all(|p| p.starts_with(super::PREFIX)));
    }
}
