//! The Store area (SPEC S-1 … S-7): store connections, sync, purchased apps and deployments.
//!
//! - `http`: the one retry policy for store calls (≤ 4 attempts, Retry-After, error bodies).
//! - `apple`, `microsoft`: the connectors (token file, protocol shapes, paging, limits).
//! - `simulator`: both stores' APIs from a seeded catalog, with fault injection.
//! - `sync`: runs with a lease per connection; fetch first, then one transaction.
//! - `deploy`: deployments and THE license-counting rule (`deploy::reconcile`).
//! - `deliver`: invites program users and assigns what deployments decided in the store.

pub mod apple;
pub mod deliver;
pub mod deploy;
pub mod http;
pub mod microsoft;
pub mod simulator;
pub mod sync;

use crate::core::audit::{self, Entry, Who, who_of};
use crate::core::clock::Clock;
use crate::core::cursor::{Cursor, page};
use crate::core::error::{internal, retry_busy};
use crate::core::sql::{Binds, contains_pattern, execute_for, unique_or};
use crate::db::Db;
use crate::secrets::SecretBox;
use app::api::ssr::Actor;
use app::api::store::StoreBackend;
use app::domain::ApiError;
use app::domain::directory::ListPage;
use app::domain::store::*;
use apple::{AppleClient, MdmInfo};
use http::{Http, StoreError};
use microsoft::MicrosoftClient;
use serde_json::json;
use sqlx::AssertSqlSafe;
use std::sync::Arc;
use std::time::Duration;

/// Apple's production service.
pub const APPLE_URL: &str = "https://vpp.itunes.apple.com/mdm/v2";

pub struct Store {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub secrets: SecretBox,
    /// Base URL of Apple's API (`…/mdm/v2`).
    pub apple_url: String,
    /// Base URL of the Microsoft store inventory API; `None`: not configured.
    pub microsoft_url: Option<String>,
    pub http: Http,
    /// This process's lease identity.
    pub owner: String,
    /// Automatic sync interval; 0 disables it.
    pub sync_interval_secs: i64,
    /// The installation identity sent as `mdmInfo` when claiming a token.
    pub installation_id: String,
    /// Pauses between rounds of asking Apple how sent associations went (`GET /status`), while
    /// any is still PENDING; Apple documents no interval, so the pauses grow (1, 2, 4, 8 s) and
    /// what is still pending after them is asked again by the next delivery.
    pub event_poll_waits: Vec<Duration>,
    /// Connections with a background delivery running (value: run again when it ends).
    delivering: std::sync::Mutex<std::collections::HashMap<i64, bool>>,
}

impl Store {
    pub fn new(db: Db, clock: Arc<dyn Clock>, secrets: SecretBox) -> Store {
        Store {
            db,
            clock,
            installation_id: secrets.fingerprint(),
            secrets,
            apple_url: APPLE_URL.into(),
            microsoft_url: None,
            http: Http::new(Duration::from_secs(30)),
            owner: self::sync::process_owner(),
            sync_interval_secs: 12 * 3600,
            event_poll_waits: [1, 2, 4, 8].map(Duration::from_secs).to_vec(),
            delivering: Default::default(),
        }
    }

    pub fn mdm_info(&self) -> MdmInfo {
        MdmInfo {
            id: self.installation_id.clone(),
            name: "LicenseDesk".into(),
            metadata: String::new(),
        }
    }

    fn apple_client(&self, token_file: &str) -> Result<AppleClient, ApiError> {
        Ok(AppleClient::new(
            self.http.clone(),
            &self.apple_url,
            token_file,
        ))
    }

    fn microsoft_client(&self, conn: &ConnSecret) -> Result<MicrosoftClient, ApiError> {
        let base = self.microsoft_url.as_deref().ok_or_else(|| {
            ApiError::Unavailable(
                "The Microsoft store is not configured on this server (set --microsoft-store-url)."
                    .into(),
            )
        })?;
        Ok(MicrosoftClient::new(
            self.http.clone(),
            base,
            &conn.account_id,
            &conn.secret,
            &conn.language,
        ))
    }

    async fn connection_secret(&self, id: i64) -> Result<ConnSecret, ApiError> {
        let (store, account_id, language, secret_enc): (String, String, String, String) = sqlx::query_as(
            "SELECT store, account_id, language, secret_enc FROM store_connections WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await
        .map_err(internal)?
        .ok_or(ApiError::NotFound)?;
        let secret = self.secrets.open(&secret_enc).map_err(internal)?;
        Ok(ConnSecret {
            store: store.parse().map_err(internal)?,
            account_id,
            language,
            secret,
        })
    }

    async fn active_connection(
        &self,
        store: Store_,
    ) -> Result<Option<(i64, String, String, String)>, ApiError> {
        sqlx::query_as(
            "SELECT id, account_id, org_name, name FROM store_connections WHERE store = $1 AND removed_at IS NULL",
        )
        .bind(store.code())
        .fetch_optional(&self.db.pool)
        .await
        .map_err(internal)
    }

    /// Links an Apple location, or renews the linked one's token (same account only).
    pub async fn link_apple_tx(
        self: &Arc<Self>,
        who: &Who,
        form: AppleLinkForm,
    ) -> Result<i64, ApiError> {
        let name = form.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ApiError::invalid(
                "name",
                "Give the token a name of 1 to 100 characters, e.g. the location it belongs to.",
            ));
        }
        let apple_id = form.apple_id.trim();
        if !app::domain::validate::looks_like_email(apple_id) {
            return Err(ApiError::invalid(
                "apple_id",
                "Enter the Apple ID the token was downloaded with, e.g. it@example.com.",
            ));
        }
        let token =
            apple::parse_token(&form.token_file).map_err(|m| ApiError::invalid("token_file", m))?;
        let now = self.clock.now();
        if token.expires_at <= now {
            return Err(ApiError::invalid(
                "token_file",
                format!(
                    "This token expired on {}. Download a new token from Apple Business Manager and upload that.",
                    app::domain::format_time(token.expires_at)
                ),
            ));
        }
        let existing = self.active_connection(Store_::Apple).await?;
        if existing.is_none() && !form.confirmed {
            return Err(ApiError::invalid(
                "confirmed",
                "Confirm that you understand: once linked, this organization cannot switch to a different Apple account.",
            ));
        }
        let client = self.apple_client(&token.raw)?;
        let config = client.client_config().await.map_err(token_error)?;
        if let Some(m) = &config.mdm_info
            && m.id != self.installation_id
        {
            return Err(ApiError::Conflict(format!(
                "This token is already used by another management product ({}). One token must not be used by two products: \
                 download a separate token for LicenseDesk in Apple Business Manager, or move the location away from {} first.",
                m.name, m.name
            )));
        }
        let sealed = self.secrets.seal(&token.raw);
        if let Some((id, account_id, org, conn_name)) = existing {
            if account_id != config.u_id {
                return Err(ApiError::invalid(
                    "token_file",
                    format!(
                        "This token belongs to {} ({}), but LicenseDesk is linked to {org}. Once linked, the organization cannot switch to a \
                         different account: upload a renewed token of {org}, or remove the connection \"{conn_name}\" first.",
                        token.org_name, config.location_name
                    ),
                ));
            }
            client.claim(&self.mdm_info()).await.map_err(token_error)?;
            let mut tx = self.db.begin_write().await.map_err(internal)?;
            sqlx::query(
                "UPDATE store_connections SET secret_enc = $1, expires_at = $2, org_name = $3, location_name = $4, country = $5, \
                 account_login = $6, name = $7, state = 'valid', last_updated_at = $8 WHERE id = $9",
            )
            .bind(&sealed)
            .bind(token.expires_at)
            .bind(&token.org_name)
            .bind(&config.location_name)
            .bind(&config.country_iso2a_code)
            .bind(apple_id)
            .bind(name)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
            audit::record_and_commit(
                tx,
                now,
                who,
                Entry::new("store.token_renewed")
                    .target("store_connection", id, name.to_string())
                    .after(json!({"expires": app::domain::format_time(token.expires_at), "apple_id": apple_id})),
            )
            .await?;
            return Ok(id);
        }
        client.claim(&self.mdm_info()).await.map_err(token_error)?;
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO store_connections (store, name, account_id, account_login, org_name, location_name, country, secret_enc, \
             expires_at, last_updated_at, created_at) VALUES ('apple', $1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
        )
        .bind(name)
        .bind(&config.u_id)
        .bind(apple_id)
        .bind(&token.org_name)
        .bind(&config.location_name)
        .bind(&config.country_iso2a_code)
        .bind(&sealed)
        .bind(token.expires_at)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(unique_or(|| ApiError::Conflict("An Apple account is already linked.".into())))?;
        audit::record_and_commit(
            tx,
            now,
            who,
            Entry::new("store.linked")
                .target("store_connection", id, name.to_string())
                .after(json!({"store": "apple", "organization": token.org_name, "location": config.location_name, "apple_id": apple_id})),
        )
        .await?;
        self.first_sync(id, who.clone()).await;
        Ok(id)
    }

    pub async fn link_microsoft_tx(
        self: &Arc<Self>,
        who: &Who,
        form: MicrosoftLinkForm,
    ) -> Result<i64, ApiError> {
        let tenant = form.tenant_id.trim().to_lowercase();
        if !is_guid(&tenant) {
            return Err(ApiError::invalid(
                "tenant_id",
                "Enter the tenant id: a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47.",
            ));
        }
        let client_id = form.client_id.trim().to_lowercase();
        if !is_guid(&client_id) {
            return Err(ApiError::invalid(
                "client_id",
                "Enter the application (client) id: a GUID.",
            ));
        }
        if form.client_secret.trim().len() < 8 {
            return Err(ApiError::invalid(
                "client_secret",
                "Enter the client secret (at least 8 characters).",
            ));
        }
        let language = form.language.trim().to_lowercase();
        if !LANGUAGES.iter().any(|(code, _)| *code == language) {
            return Err(ApiError::invalid(
                "language",
                "Choose a display language from the list.",
            ));
        }
        let existing = self.active_connection(Store_::Microsoft).await?;
        if existing.is_none() && !form.confirmed {
            return Err(ApiError::invalid(
                "confirmed",
                "Confirm that you understand: once linked, this organization cannot switch to a different store account.",
            ));
        }
        if let Some((_, account_id, _, conn_name)) = &existing
            && *account_id != tenant
        {
            return Err(ApiError::invalid(
                "tenant_id",
                format!(
                    "LicenseDesk is linked to tenant {account_id}. Once linked, the organization cannot switch to a different account; remove \"{conn_name}\" first."
                ),
            ));
        }
        let conn = ConnSecret {
            store: Store_::Microsoft,
            account_id: tenant.clone(),
            language: language.clone(),
            secret: form.client_secret.trim().to_string(),
        };
        // Verify the credentials before anything is stored.
        self.microsoft_client(&conn)?
            .inventory(&|_, _| {})
            .await
            .map_err(|e| match e {
                StoreError::Unauthorized(m) => ApiError::invalid(
                    "client_secret",
                    format!("The store did not accept these credentials: {m}"),
                ),
                other => ApiError::Unavailable(other.to_string()),
            })?;
        let sealed = self.secrets.seal(&conn.secret);
        let now = self.clock.now();
        let who = who.clone();
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let id = if let Some((id, ..)) = existing {
            sqlx::query("UPDATE store_connections SET secret_enc = $1, account_login = $2, language = $3, state = 'valid', last_updated_at = $4 WHERE id = $5")
                .bind(&sealed)
                .bind(&client_id)
                .bind(&language)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
            audit::record(
                &mut tx,
                now,
                &who,
                Entry::new("store.credentials_renewed")
                    .target("store_connection", id, "Microsoft store for business")
                    .after(json!({"language": language})),
            )
            .await?;
            id
        } else {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO store_connections (store, name, account_id, account_login, org_name, language, secret_enc, last_updated_at, created_at) \
                 VALUES ('microsoft', 'Microsoft store for business', $1, $2, '', $3, $4, $5, $5) RETURNING id",
            )
            .bind(&tenant)
            .bind(&client_id)
            .bind(&language)
            .bind(&sealed)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(unique_or(|| ApiError::Conflict("A Microsoft store account is already linked.".into())))?;
            audit::record(
                &mut tx,
                now,
                &who,
                Entry::new("store.linked")
                    .target("store_connection", id, "Microsoft store for business")
                    .after(json!({"store": "microsoft", "tenant": tenant, "language": language})),
            )
            .await?;
            id
        };
        tx.commit().await.map_err(internal)?;
        self.first_sync(id, who).await;
        Ok(id)
    }

    /// Begins a run and lets it go on in the background; answers the run id.
    pub(crate) async fn start_sync(
        self: &Arc<Self>,
        id: i64,
        trigger: &str,
        who: Who,
    ) -> Result<i64, ApiError> {
        let run_id = self.begin_run(id, trigger, &who).await?;
        let store = self.clone();
        tokio::spawn(async move {
            store.execute(id, run_id, who).await;
        });
        Ok(run_id)
    }

    /// The first sync after linking; not starting it leaves the link in place (Sync now works).
    async fn first_sync(self: &Arc<Self>, id: i64, who: Who) {
        if let Err(e) = self.start_sync(id, "link", who).await {
            tracing::warn!(connection_id = id, error = %e, "first sync not started");
        }
    }

    async fn remove_tx(&self, who: &Who, id: i64, confirmation: String) -> Result<(), ApiError> {
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let (name, lease_until, removed): (String, Option<i64>, Option<i64>) =
            sqlx::query_as(AssertSqlSafe(format!(
                "SELECT name, lease_until, removed_at FROM store_connections WHERE id = $1{}",
                self.db.for_update()
            )))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?
            .ok_or(ApiError::NotFound)?;
        if removed.is_some() {
            return Err(ApiError::Conflict(format!("{name} was already removed.")));
        }
        if confirmation.trim() != name {
            return Err(ApiError::invalid(
                "confirmation",
                format!("Type the connection's name, {name}, to confirm."),
            ));
        }
        if lease_until.is_some_and(|t| t >= now) {
            return Err(ApiError::Conflict(format!(
                "A sync of {name} is running; remove the connection when it has finished."
            )));
        }
        sqlx::query("UPDATE store_connections SET removed_at = $1, auto_sync = 0 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        // Its apps can no longer be synced or deployed further: retired, kept with their history.
        execute_for(
            &mut tx,
            "UPDATE store_apps SET retired = 1 WHERE connection_id = $1",
            id,
        )
        .await?;
        audit::record_and_commit(
            tx,
            now,
            who,
            Entry::new("store.removed").target("store_connection", id, name),
        )
        .await
    }

    async fn configure_tx(&self, who: &Who, id: i64, auto_sync: bool) -> Result<(), ApiError> {
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let (name, before): (String, i64) = sqlx::query_as(
            "SELECT name, auto_sync FROM store_connections WHERE id = $1 AND removed_at IS NULL",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(internal)?
        .ok_or(ApiError::NotFound)?;
        sqlx::query("UPDATE store_connections SET auto_sync = $1 WHERE id = $2")
            .bind(i64::from(auto_sync))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        audit::record_and_commit(
            tx,
            now,
            who,
            Entry::new("store.sync_configured")
                .target("store_connection", id, name)
                .before(json!({"automatic": before == 1}))
                .after(json!({"automatic": auto_sync})),
        )
        .await
    }

    async fn runs(
        &self,
        connection_id: Option<i64>,
        before_id: Option<i64>,
    ) -> Result<ListPage<SyncRunView>, ApiError> {
        const PAGE: i64 = 50;
        // A run whose server is gone is never shown as running.
        self.recover_interrupted().await?;
        let rows: Vec<RunRow> = sqlx::query_as(AssertSqlSafe(format!(
            "{RUN_SELECT} WHERE ($1 = 0 OR r.connection_id = $1) AND ($2 = 0 OR r.id < $2) ORDER BY r.id DESC LIMIT {}",
            PAGE + 1
        )))
        .bind(connection_id.unwrap_or(0))
        .bind(before_id.unwrap_or(0))
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM store_sync_runs WHERE ($1 = 0 OR connection_id = $1)",
        )
        .bind(connection_id.unwrap_or(0))
        .fetch_one(&self.db.pool)
        .await
        .map_err(internal)?;
        // The history's cursor is the last run's id, which the page sends back as `before_id`.
        let (rows, next) = page(rows, PAGE, |r| r.id);
        Ok(ListPage {
            items: rows
                .into_iter()
                .map(RunRow::view)
                .collect::<Result<_, _>>()?,
            next: next.map(|id| id.to_string()),
            total,
        })
    }

    async fn connections(&self) -> Result<Vec<ConnectionView>, ApiError> {
        self.recover_interrupted().await?;
        #[derive(sqlx::FromRow)]
        struct Row {
            id: i64,
            store: String,
            name: String,
            account_id: String,
            account_login: String,
            org_name: String,
            location_name: String,
            country: String,
            language: String,
            expires_at: Option<i64>,
            state: String,
            auto_sync: i64,
            last_updated_at: i64,
            last_synced_at: Option<i64>,
            removed_at: Option<i64>,
            apps: i64,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT c.id, c.store, c.name, c.account_id, c.account_login, c.org_name, c.location_name, c.country, c.language, \
             c.expires_at, c.state, c.auto_sync, c.last_updated_at, c.last_synced_at, c.removed_at, \
             (SELECT COUNT(*) FROM store_apps a WHERE a.connection_id = c.id AND a.retired = 0) AS apps \
             FROM store_connections c WHERE c.removed_at IS NULL ORDER BY c.store",
        )
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        let now = self.clock.now();
        let mut out = vec![];
        for r in rows {
            let last: Option<RunRow> = sqlx::query_as(AssertSqlSafe(format!(
                "{RUN_SELECT} WHERE r.connection_id = $1 ORDER BY r.id DESC LIMIT 1"
            )))
            .bind(r.id)
            .fetch_optional(&self.db.pool)
            .await
            .map_err(internal)?;
            let last = last.map(RunRow::view).transpose()?;
            let running = last.clone().filter(|l| l.result == SyncResult::Running);
            out.push(ConnectionView {
                id: r.id,
                store: r.store.parse().map_err(internal)?,
                status: ConnectionStatus::of(&r.state, r.expires_at, r.removed_at.is_some(), now),
                name: r.name,
                account_id: r.account_id,
                account_login: r.account_login,
                org_name: r.org_name,
                location_name: r.location_name,
                country: r.country,
                language: r.language,
                expires_at: r.expires_at,
                auto_sync: r.auto_sync == 1,
                last_updated_at: r.last_updated_at,
                last_synced_at: r.last_synced_at,
                apps: r.apps,
                running,
                last_run: last,
            });
        }
        Ok(out)
    }

    async fn apps(
        &self,
        f: StoreAppFilter,
        after: Option<String>,
    ) -> Result<ListPage<StoreAppView>, ApiError> {
        const PAGE: i64 = 50;
        let (after_key, after_id) = match Cursor::decode(after.as_deref())? {
            Some(c) => c.into_text()?,
            None => (String::new(), 0),
        };
        let state = match f.state.as_str() {
            "" | "active" => 0,
            "retired" => 1,
            "all" => 2,
            _ => return Err(ApiError::invalid("state", "Choose active, retired or all.")),
        };
        let cond = "($1 = '' OR a.name_key LIKE $2 ESCAPE '\\' OR lower(a.publisher) LIKE $2 ESCAPE '\\') \
             AND ($3 = '' OR a.store = $3) AND ($4 = '' OR lower(a.platform) LIKE $5 ESCAPE '\\') \
             AND ($6 = 2 OR a.retired = $6) AND ($7 = 0 OR a.used + a.outside_assigned >= a.total_count)";
        let q = f.q.trim().to_lowercase();
        let platform = f.platform.trim().to_lowercase();
        let mut binds = Binds::default();
        binds.text(&q);
        binds.text(contains_pattern(&q));
        binds.text(f.store.trim());
        binds.text(&platform);
        binds.text(contains_pattern(&platform));
        binds.int(state);
        binds.int(i64::from(f.exhausted));
        let total: i64 = binds
            .query_scalar(format!("SELECT COUNT(*) FROM store_apps a WHERE {cond}"))
            .fetch_one(&self.db.pool)
            .await
            .map_err(internal)?;
        binds.int(after_id);
        binds.text(after_key);
        let rows: Vec<AppRow> = binds
            .query_as(format!(
                "{APP_SELECT} WHERE {cond} AND ($8 = 0 OR a.name_key > $9 OR (a.name_key = $9 AND a.id > $8)) \
                 ORDER BY a.name_key, a.id LIMIT {}",
                PAGE + 1
            ))
            .fetch_all(&self.db.pool)
            .await
            .map_err(internal)?;
        let (rows, next) = page(rows, PAGE, |r| Cursor::text(r.name.to_lowercase(), r.id));
        Ok(ListPage {
            items: rows
                .into_iter()
                .map(|r| r.view().map(|v| v.0))
                .collect::<Result<_, _>>()?,
            next: next.map(|c| c.encode()),
            total,
        })
    }

    async fn app_detail(&self, id: i64) -> Result<StoreAppDetail, ApiError> {
        let row: AppRow = sqlx::query_as(AssertSqlSafe(format!("{APP_SELECT} WHERE a.id = $1")))
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await
            .map_err(internal)?
            .ok_or(ApiError::NotFound)?;
        let (app, product_id, sku, store_assigned, device_assignable, connection_name) =
            row.view()?;
        let deployments: Vec<(i64, String, i64, String, i64, Option<String>)> = sqlx::query_as(
            "SELECT d.id, d.target_kind, d.target_id, d.intent, d.updated_at, \
             CASE d.target_kind WHEN 'user' THEN (SELECT display_name FROM dir_users WHERE id = d.target_id) \
               WHEN 'group' THEN (SELECT name FROM dir_groups WHERE id = d.target_id) \
               ELSE (SELECT name FROM dir_devices WHERE id = d.target_id) END \
             FROM store_deployments d WHERE d.app_id = $1 ORDER BY d.id",
        )
        .bind(id)
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        let mut views = vec![];
        for (did, kind, target_id, intent, updated_at, name) in deployments {
            let users: i64 = match kind.as_str() {
                "group" => {
                    sqlx::query_scalar("SELECT COUNT(*) FROM dir_group_members WHERE group_id = $1")
                        .bind(target_id)
                        .fetch_one(&self.db.pool)
                        .await
                        .map_err(internal)?
                }
                _ => 1,
            };
            views.push(DeploymentView {
                id: did,
                target_kind: TargetKind::parse(&kind)?,
                target_id,
                target_name: name.unwrap_or_else(|| "(deleted)".into()),
                intent: Intent::parse(&intent)?,
                users: if intent == "uninstall" { 0 } else { users },
                updated_at,
            });
        }
        let holders: Vec<(i64, String, String, i64, Option<String>)> = sqlx::query_as(
            "SELECT l.user_id, u.display_name, u.sign_in_name, l.granted_at, su.status FROM store_licenses l \
             JOIN dir_users u ON u.id = l.user_id JOIN store_apps a ON a.id = l.app_id \
             LEFT JOIN store_users su ON su.connection_id = a.connection_id AND su.user_id = l.user_id \
             WHERE l.app_id = $1 ORDER BY u.display_key LIMIT 1000",
        )
        .bind(id)
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        let apple = app.store == Store_::Apple;
        Ok(StoreAppDetail {
            app,
            product_id,
            sku,
            store_assigned,
            device_assignable,
            connection_name,
            deployments: views,
            holders: holders
                .into_iter()
                .map(
                    |(user_id, display_name, sign_in_name, granted_at, status)| HolderView {
                        user_id,
                        display_name,
                        sign_in_name,
                        granted_at,
                        invitation: if apple {
                            status.unwrap_or_else(|| "registered".into())
                        } else {
                            String::new()
                        },
                    },
                )
                .collect(),
        })
    }

    async fn installs(
        &self,
        app_id: i64,
        status: String,
        q: String,
    ) -> Result<Vec<InstallView>, ApiError> {
        if !status.is_empty() && status.parse::<InstallStatus>().is_err() {
            return Err(ApiError::invalid(
                "status",
                "Choose pending, installed, failed or uninstalled.",
            ));
        }
        let q = q.trim().to_lowercase();
        let rows: Vec<InstallRow> = sqlx::query_as(
            "SELECT i.user_id, u.display_name AS user_name, i.device_id, v.name AS device_name, i.status, i.detail, i.updated_at FROM store_installs i \
             JOIN dir_users u ON u.id = i.user_id LEFT JOIN dir_devices v ON v.id = i.device_id \
             WHERE i.app_id = $1 AND ($2 = '' OR i.status = $2) \
             AND ($3 = '' OR u.display_key LIKE $4 ESCAPE '\\' OR lower(COALESCE(v.name, '')) LIKE $4 ESCAPE '\\') \
             ORDER BY u.display_key, i.device_id LIMIT 1000",
        )
        .bind(app_id)
        .bind(&status)
        .bind(&q)
        .bind(contains_pattern(&q))
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        rows.into_iter()
            .map(|r| {
                let status: InstallStatus = r.status.parse().map_err(internal)?;
                Ok(InstallView {
                    user_id: r.user_id,
                    user_name: r.user_name,
                    device_id: r.device_id,
                    device_name: r.device_name.unwrap_or_default(),
                    status,
                    detail: r.detail,
                    updated_at: r.updated_at,
                })
            })
            .collect()
    }
}

/// `Store` the domain enum, renamed here because `Store` is this service.
use app::domain::store::Store as Store_;

#[derive(sqlx::FromRow)]
struct InstallRow {
    user_id: i64,
    user_name: String,
    device_id: i64,
    device_name: Option<String>,
    status: String,
    detail: String,
    updated_at: i64,
}

pub(crate) struct ConnSecret {
    store: Store_,
    account_id: String,
    language: String,
    secret: String,
}

fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && [8, 4, 4, 4, 12]
            .iter()
            .zip(&parts)
            .all(|(n, p)| p.len() == *n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A store error met while linking, in terms of the form's fields.
fn token_error(e: StoreError) -> ApiError {
    match e {
        StoreError::TokenExpired => ApiError::invalid(
            "token_file",
            "Apple reports that this token has expired. Download a new token and upload that.",
        ),
        StoreError::TokenRevoked => ApiError::invalid(
            "token_file",
            "Apple reports that this token was revoked. Download a new token and upload that.",
        ),
        StoreError::Unauthorized(_) => ApiError::invalid(
            "token_file",
            "Apple did not accept this token. Download the token again and upload that file unchanged.",
        ),
        other => ApiError::Unavailable(other.to_string()),
    }
}

const RUN_SELECT: &str = "SELECT r.id, r.connection_id, c.name AS connection_name, c.store, r.trigger, r.started_by, r.started_at, \
     r.finished_at, r.result, r.progress, r.added, r.updated, r.retired, r.error \
     FROM store_sync_runs r JOIN store_connections c ON c.id = r.connection_id";

#[derive(sqlx::FromRow)]
struct RunRow {
    id: i64,
    connection_id: i64,
    connection_name: String,
    store: String,
    trigger: String,
    started_by: String,
    started_at: i64,
    finished_at: Option<i64>,
    result: String,
    progress: String,
    added: i64,
    updated: i64,
    retired: i64,
    error: String,
}

impl RunRow {
    /// The run as the pages see it; a store or result this version does not know is an
    /// internal error.
    fn view(self) -> Result<SyncRunView, ApiError> {
        let result: SyncResult = self.result.parse().map_err(internal)?;
        Ok(SyncRunView {
            id: self.id,
            connection_id: self.connection_id,
            connection_name: self.connection_name,
            store: self.store.parse().map_err(internal)?,
            trigger: self.trigger,
            started_by: self.started_by,
            started_at: self.started_at,
            finished_at: self.finished_at,
            result,
            progress: self.progress,
            added: self.added,
            updated: self.updated,
            retired: self.retired,
            error: self.error,
        })
    }
}

const APP_SELECT: &str = "SELECT a.id, a.name, a.publisher, a.platform, a.store, a.total_count, a.used, a.outside_assigned, a.retired, a.last_synced_at, \
     a.product_id, a.sku, a.store_assigned, a.device_assignable, c.name AS connection_name \
     FROM store_apps a JOIN store_connections c ON c.id = a.connection_id";

#[derive(sqlx::FromRow)]
struct AppRow {
    id: i64,
    name: String,
    publisher: String,
    platform: String,
    store: String,
    total_count: i64,
    used: i64,
    outside_assigned: i64,
    retired: i64,
    last_synced_at: i64,
    product_id: String,
    sku: String,
    store_assigned: i64,
    device_assignable: i64,
    connection_name: String,
}

impl AppRow {
    fn view(self) -> Result<(StoreAppView, String, String, i64, bool, String), ApiError> {
        Ok((
            StoreAppView {
                id: self.id,
                name: self.name,
                publisher: self.publisher,
                platform: self.platform,
                store: self.store.parse().map_err(internal)?,
                total: self.total_count,
                used: self.used,
                outside: self.outside_assigned,
                retired: self.retired == 1,
                last_synced_at: self.last_synced_at,
            },
            self.product_id,
            self.sku,
            self.store_assigned,
            self.device_assignable == 1,
            self.connection_name,
        ))
    }
}

/// The service behind the server functions (an `Arc` so background runs can hold it).
pub struct StoreService(pub Arc<Store>);

#[async_trait::async_trait]
impl StoreBackend for StoreService {
    async fn list_connections(&self) -> Result<Vec<ConnectionView>, ApiError> {
        self.0.connections().await
    }
    async fn link_apple(&self, actor: &Actor, form: AppleLinkForm) -> Result<i64, ApiError> {
        self.0.link_apple_tx(&who_of(actor), form).await
    }
    async fn link_microsoft(
        &self,
        actor: &Actor,
        form: MicrosoftLinkForm,
    ) -> Result<i64, ApiError> {
        self.0.link_microsoft_tx(&who_of(actor), form).await
    }
    async fn sync_now(&self, actor: &Actor, connection_id: i64) -> Result<i64, ApiError> {
        self.0
            .start_sync(connection_id, "manual", who_of(actor))
            .await
    }
    async fn configure_sync(
        &self,
        actor: &Actor,
        connection_id: i64,
        auto_sync: bool,
    ) -> Result<(), ApiError> {
        self.0
            .configure_tx(&who_of(actor), connection_id, auto_sync)
            .await
    }
    async fn remove_connection(
        &self,
        actor: &Actor,
        connection_id: i64,
        confirmation: String,
    ) -> Result<(), ApiError> {
        self.0
            .remove_tx(&who_of(actor), connection_id, confirmation)
            .await
    }
    async fn list_runs(
        &self,
        connection_id: Option<i64>,
        before_id: Option<i64>,
    ) -> Result<ListPage<SyncRunView>, ApiError> {
        self.0.runs(connection_id, before_id).await
    }
    async fn list_apps(
        &self,
        filter: StoreAppFilter,
        after: Option<String>,
    ) -> Result<ListPage<StoreAppView>, ApiError> {
        self.0.apps(filter, after).await
    }
    async fn get_app(&self, id: i64) -> Result<StoreAppDetail, ApiError> {
        self.0.app_detail(id).await
    }
    async fn list_installs(
        &self,
        app_id: i64,
        status: String,
        q: String,
    ) -> Result<Vec<InstallView>, ApiError> {
        self.0.installs(app_id, status, q).await
    }
    async fn search_targets(&self, q: String) -> Result<Vec<Target>, ApiError> {
        self.0.targets(q).await
    }
    async fn deploy(&self, actor: &Actor, form: DeployForm) -> Result<DeployOutcome, ApiError> {
        let app_id = form.app_id;
        let who = who_of(actor);
        // A deadlock with a sync or another change (PostgreSQL breaks it) runs it again.
        let out = retry_busy(|| self.0.deploy_tx(&who, form.clone())).await?;
        if out.granted > 0 || out.freed > 0 {
            self.0.deliver_later(app_id);
        }
        Ok(out)
    }
    async fn change_intent(
        &self,
        actor: &Actor,
        deployment_id: i64,
        intent: String,
    ) -> Result<DeployOutcome, ApiError> {
        let who = who_of(actor);
        let (out, app_id) =
            retry_busy(|| self.0.change_intent_tx(&who, deployment_id, intent.clone())).await?;
        // Freed licenses are reclaimed in the store, new holders invited and assigned.
        self.0.deliver_later(app_id);
        Ok(out)
    }
    async fn remove_deployment(
        &self,
        actor: &Actor,
        deployment_id: i64,
    ) -> Result<DeployOutcome, ApiError> {
        let who = who_of(actor);
        let (out, app_id) = retry_busy(|| self.0.remove_deployment_tx(&who, deployment_id)).await?;
        self.0.deliver_later(app_id);
        Ok(out)
    }
}
