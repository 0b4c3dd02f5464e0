//! HTTP: the axum router, middleware, health endpoints and the Leptos integration.

pub mod assets;
pub mod billing;
pub mod directory;
pub mod licenses;
pub mod middleware;
pub mod overview;
pub mod rest;

use crate::services::Services;
use app::api::ssr::SharedBackend;
use assets::Assets;
use axum::Router;
use axum::extract::{FromRef, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub services: Arc<Services>,
    pub directory: Arc<crate::directory::DirectoryService>,
    pub licenses: Arc<crate::licenses::Licenses>,
    pub billing: Arc<crate::billing::Billing>,
    pub store: Arc<crate::store::Store>,
    pub alerts: Arc<crate::overview::Alerts>,
    pub notifier: Arc<crate::overview::Notifier>,
    pub leptos: LeptosOptions,
    pub assets: Arc<Assets>,
    pub trust_proxy: bool,
    /// How many reverse proxies stand in front (with `trust_proxy`); see
    /// `middleware::client_ip`.
    pub proxies: usize,
    /// The portal is reached over HTTPS (`--public-url https://…`): send HSTS.
    pub https: bool,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

impl AppState {
    pub fn new(services: Arc<Services>, assets: Assets, trust_proxy: bool) -> AppState {
        let leptos = LeptosOptions::builder()
            .output_name("licensedesk")
            .site_pkg_dir("pkg")
            .build();
        let directory = Arc::new(services.directory());
        let licenses = Arc::new(crate::licenses::Licenses {
            db: services.db.clone(),
            clock: services.clock.clone(),
            licensing: None,
        });
        let billing = Arc::new(crate::billing::Billing::new(
            services.db.clone(),
            services.clock.clone(),
        ));
        let store = Arc::new(crate::store::Store::new(
            services.db.clone(),
            services.clock.clone(),
            crate::secrets::SecretBox::new(crate::secrets::SecretBox::generate_key()),
        ));
        let alerts = Arc::new(crate::overview::Alerts::new(
            services.db.clone(),
            services.clock.clone(),
        ));
        let notifier = Arc::new(crate::overview::Notifier::new(
            services.db.clone(),
            services.clock.clone(),
            crate::secrets::SecretBox::new(crate::secrets::SecretBox::generate_key()),
        ));
        AppState {
            services,
            directory,
            licenses,
            billing,
            store,
            alerts,
            notifier,
            leptos,
            assets: Arc::new(assets),
            trust_proxy,
            proxies: 1,
            https: false,
        }
    }
}

impl AppState {
    /// The number of proxies whose `X-Forwarded-For` entries are trusted (0 without
    /// `--trust-proxy`).
    pub fn trusted_proxies(&self) -> usize {
        if self.trust_proxy { self.proxies } else { 0 }
    }

    /// Behind `proxies` reverse proxies (`--trusted-proxies`).
    pub fn with_proxies(mut self, proxies: usize) -> AppState {
        self.proxies = proxies.max(1);
        self
    }

    /// Served over HTTPS: answers carry Strict-Transport-Security.
    pub fn with_https(mut self, https: bool) -> AppState {
        self.https = https;
        self
    }

    /// Replaces the billing service (grace period and payment terms from configuration).
    pub fn with_billing(mut self, billing: crate::billing::Billing) -> AppState {
        self.billing = Arc::new(billing);
        self
    }

    /// Replaces the alert notifier (secret key and public address from configuration).
    pub fn with_notifier(mut self, notifier: crate::overview::Notifier) -> AppState {
        self.notifier = Arc::new(notifier);
        self
    }

    /// Replaces the store service (secret key, store URLs, sync interval from configuration).
    pub fn with_store(mut self, store: crate::store::Store) -> AppState {
        self.store = Arc::new(store);
        self
    }

    /// The reclaim service over this state's billing and store services.
    pub fn reclaim(&self) -> crate::overview::reclaim::Reclaim {
        crate::overview::reclaim::Reclaim {
            db: self.services.db.clone(),
            clock: self.services.clock.clone(),
            billing: self.billing.clone(),
            store: self.store.clone(),
        }
    }

    /// Uses `connector` for the volume licensing service (Refresh now).
    pub fn with_licensing(mut self, connector: crate::licensing::Connector) -> AppState {
        self.licenses = Arc::new(crate::licenses::Licenses {
            db: self.services.db.clone(),
            clock: self.services.clock.clone(),
            licensing: Some(connector),
        });
        self
    }
}

/// Builds the whole application router.
pub fn router(state: AppState) -> Router {
    let backend: SharedBackend = state.services.clone();
    let directory: app::api::directory::SharedDirectory = state.directory.clone();
    let licenses: app::api::licenses::SharedLicenses = state.licenses.clone();
    let billing: app::api::billing::SharedBilling = state.billing.clone();
    let store: app::api::store::SharedStore =
        Arc::new(crate::store::StoreService(state.store.clone()));
    let overview: app::api::overview::SharedOverview = Arc::new(crate::overview::Overview {
        alerts: (*state.alerts).clone(),
        notifier: (*state.notifier).clone(),
    });
    let reclaim: app::api::reclaim::SharedReclaim = Arc::new(
        crate::overview::reclaim::ReclaimService(Arc::new(state.reclaim())),
    );
    let email: app::api::email::SharedEmail = Arc::new(
        crate::overview::email::Mailer::from_notifier(&state.notifier),
    );
    let context = move || {
        provide_context(email.clone());
        provide_context(reclaim.clone());
        provide_context(store.clone());
        provide_context(overview.clone());
        provide_context(backend.clone());
        provide_context(directory.clone());
        provide_context(licenses.clone());
        provide_context(billing.clone());
    };
    let links = state.assets.links();
    let shell = move || app::shell(links.clone());
    let routes = generate_route_list(app::App);

    let fallback_context = context.clone();
    let fallback_shell = shell.clone();
    let fallback = move |req: axum::extract::Request| {
        let handler = leptos_axum::render_app_to_stream_with_context(
            fallback_context.clone(),
            fallback_shell.clone(),
        );
        async move { handler(req).await.into_response() }
    };

    let server_fn_context = context.clone();
    let server_fns = move |req: axum::extract::Request| {
        let ctx = server_fn_context.clone();
        async move {
            leptos_axum::handle_server_fns_with_context(ctx, req)
                .await
                .into_response()
        }
    };

    // The REST API and its document, from one definition; every error there a problem.
    let (api_v1, api_doc) = rest::api();
    rest::docs::publish(&api_doc);
    let api_v1 = api_v1
        .route(
            "/api/v1/{*rest}",
            axum::routing::any(rest::problem::not_found),
        )
        .layer(axum::middleware::from_fn(rest::limit::per_token))
        .layer(axum::middleware::from_fn(rest::problem::normalise));

    let router = Router::new()
        .merge(api_v1)
        .route(rest::docs::PAGE, get(rest::docs::page))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/lang/{code}", get(set_language))
        .route("/favicon.svg", get(assets::serve_favicon))
        .route("/pkg/{*path}", get(assets::serve_pkg))
        .route("/api/directory/export/{file}", get(directory::export))
        .route(
            "/api/directory/import/{kind}",
            axum::routing::post(directory::import).layer(axum::extract::DefaultBodyLimit::max(
                crate::directory::csv_io::MAX_IMPORT_BYTES,
            )),
        )
        .route(
            "/api/licenses/upload",
            axum::routing::post(licenses::upload).layer(axum::extract::DefaultBodyLimit::max(
                licenses::MAX_UPLOAD_BYTES,
            )),
        )
        .route("/api/licenses/reports/{file}", get(licenses::report_csv))
        .route("/api/billing/invoices/{file}", get(billing::invoice_csv))
        .route("/api/reclaim/reclaimable.csv", get(overview::reclaim_csv))
        .route("/api/{*fn_name}", get(server_fns.clone()).post(server_fns))
        .leptos_routes_with_context(&state, routes, context, shell)
        .fallback(fallback)
        .layer(axum::middleware::from_fn(middleware::api_guard))
        .layer(axum::middleware::from_fn(middleware::api_client_errors))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::session,
        ))
        .layer(axum::middleware::from_fn(middleware::csrf))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::security_headers,
        ))
        .with_state(state);
    middleware::observability(router)
}

/// An error from a plain axum endpoint, as JSON with the same shape server functions use.
pub(crate) fn api_error(e: app::domain::ApiError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        axum::Json(serde_json::json!({"message": e.to_string(), "error": e})),
    )
        .into_response()
}

/// What a plain endpoint answers: its response, or the error's (both are responses, so a
/// handler can use `?`).
pub(crate) type Answer = Result<Response, Response>;

/// A CSV file to download.
pub(crate) fn csv_download(file_name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The answer to a CSV upload: its report, or every problem found, when nothing was `kept`
/// ("imported", "stored").
pub(crate) fn upload_answer<T: serde::Serialize>(
    result: Result<T, crate::csv_util::ImportError>,
    kept: &str,
) -> Response {
    use crate::csv_util::ImportError;
    match result {
        Ok(report) => (StatusCode::OK, axum::Json(serde_json::json!(report))).into_response(),
        Err(ImportError::Invalid { errors, total }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(serde_json::json!({
                "message": format!("{total} problem(s) found; nothing was {kept}."),
                "total": total,
                "errors": errors,
            })),
        )
            .into_response(),
        Err(ImportError::Api(e)) => api_error(e),
    }
}

/// A `413 Payload Too Large` with a message saying what to do.
pub(crate) fn too_large(message: String) -> Response {
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        axum::Json(serde_json::json!({ "message": message })),
    )
        .into_response()
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.services.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// `GET /lang/{en|nl}`: remembers the language in a cookie and goes back.
async fn set_language(Path(code): Path<String>, headers: HeaderMap) -> Response {
    let Some(lang) = app::i18n::Lang::from_code(&code) else {
        return (StatusCode::NOT_FOUND, "unknown language").into_response();
    };
    // Only go back to a path on this site (never an open redirect).
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok())
        .map(|u| match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        })
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or_else(|| "/".to_string());
    let cookie = format!(
        "{}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        middleware::LANG_COOKIE,
        lang.code()
    );
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, back), (header::SET_COOKIE, cookie)],
    )
        .into_response()
}
