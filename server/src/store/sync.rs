//! Sync (SPEC S-2): fetch everything from the store first (no transaction open), then apply it
//! in ONE write transaction that also finishes the run record — so a failed run changes nothing
//! but its own record. One run per connection at a time, also across server processes: a lease
//! row (`lease_owner`, `lease_until` on the connection) taken with a conditional UPDATE, renewed
//! while the run fetches, and checked again under the row lock before anything is written.

use super::Store;
use super::http::StoreError;
use crate::core::audit::{self, Entry, Who};
use crate::core::error::{BUSY, BUSY_ATTEMPTS, internal};
use app::domain::ApiError;
use app::domain::store::{Store as Store_, SyncResult};
use serde_json::json;
use sqlx::AssertSqlSafe;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A lease lasts this long unless renewed (the running process renews it twice a second, so a
/// crashed process on another machine frees it after this; on the same machine a restart frees
/// it at once, see [`owner_is_gone`]).
pub const LEASE_SECS: i64 = 30;

/// What a run that was cut off says in the history.
pub const INTERRUPTED: &str =
    "Interrupted: the server running this sync stopped before it finished; nothing was changed.";

/// This process as it names itself in sync leases: `host:pid:nonce`.
pub fn process_owner() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty() && !h.contains(':'))
        .unwrap_or_else(|| "unknown".into());
    format!(
        "{host}:{}:{:016x}",
        std::process::id(),
        rand::random::<u64>()
    )
}

/// Whether the lease owner `owner` is a process that no longer exists, as far as `me` can
/// tell: only owners on the same machine can be checked (an earlier process with the same pid,
/// e.g. a restarted container, or a pid that no longer runs). Owners elsewhere are alive until
/// their lease runs out.
pub fn owner_is_gone(owner: &str, me: &str) -> bool {
    let parts = |o: &str| -> Option<(String, u32, String)> {
        let mut it = o.splitn(3, ':');
        Some((
            it.next()?.to_string(),
            it.next()?.parse().ok()?,
            it.next()?.to_string(),
        ))
    };
    let (Some((host, pid, nonce)), Some((my_host, my_pid, my_nonce))) = (parts(owner), parts(me))
    else {
        return false;
    };
    if host != my_host || host == "unknown" {
        return false;
    }
    if pid == my_pid {
        return nonce != my_nonce;
    }
    let proc_fs = std::path::Path::new("/proc/self").exists();
    proc_fs && !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub product_id: String,
    pub sku: String,
    pub name: String,
    pub publisher: String,
    pub platform: String,
    pub total: i64,
    pub store_assigned: i64,
    pub device_assignable: bool,
    /// The name is a stand-in: the metadata lookup has not named the app yet.
    pub name_pending: bool,
}

#[derive(Default)]
pub struct Fetched {
    pub items: Vec<Item>,
    pub assignments: Vec<(String, String, String, String)>,
    pub users: Vec<(String, String)>,
    pub location: Option<(String, String)>,
    /// Every app's name was looked up (so `names_checked_at` moves on).
    pub names_checked: bool,
}

/// How often every app's name is looked up again (new and unnamed apps: every sync).
pub const NAMES_REFRESH_SECS: i64 = 7 * 86_400;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Counts {
    pub added: i64,
    pub updated: i64,
    pub retired: i64,
}

/// Why a run failed, and what that says about the connection.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub state: Option<&'static str>,
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Failure {
        let state = match e {
            StoreError::TokenExpired => Some("expired"),
            StoreError::TokenRevoked => Some("revoked"),
            _ => None,
        };
        Failure {
            message: e.to_string(),
            state,
        }
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Failure {
        Failure {
            message: e.to_string(),
            state: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    pub run_id: i64,
    pub result: Result<Counts, String>,
}

/// Apple's platform values, in Apple's spelling (`iOS`, `macOS`, `tvOS`, `visionOS`,
/// `watchOS`); a value Apple adds later is kept as Apple writes it.
fn platform_of(platforms: &[String]) -> String {
    let mut p: Vec<String> = platforms
        .iter()
        .map(|p| match p.trim().to_ascii_lowercase().as_str() {
            "ios" => "iOS".to_string(),
            "macos" | "osx" => "macOS".to_string(),
            "tvos" => "tvOS".to_string(),
            "visionos" | "xros" => "visionOS".to_string(),
            "watchos" => "watchOS".to_string(),
            _ => p.trim().to_string(),
        })
        .filter(|p| !p.is_empty())
        .collect();
    p.sort();
    p.dedup();
    p.join(", ")
}

impl Store {
    /// Closes runs whose process is gone: frees leases held by processes on this machine that
    /// no longer exist, then marks every run still "running" on a connection without a live
    /// lease as failed ("interrupted"), with an audit entry, in one transaction. Called at
    /// start-up, before each run and by the automatic-sync loop; answers how many runs it closed.
    pub async fn recover_interrupted(&self) -> Result<u64, ApiError> {
        let now = self.clock.now();
        let held: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, lease_owner FROM store_connections \
             WHERE lease_owner IS NOT NULL AND lease_until >= $1",
        )
        .bind(now)
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        let dead: Vec<(i64, String)> = held
            .into_iter()
            .filter(|(_, owner)| owner_is_gone(owner, &self.owner))
            .collect();
        // A read first: a sync that is running normally (live lease) must not make every poll
        // of the connections page take the write lock.
        let orphaned: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM store_sync_runs r JOIN store_connections c ON c.id = r.connection_id \
             WHERE r.result = 'running' AND (c.lease_until IS NULL OR c.lease_until < $1)",
        )
        .bind(now)
        .fetch_one(&self.db.pool)
        .await
        .map_err(internal)?;
        if dead.is_empty() && orphaned == 0 {
            return Ok(0);
        }
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        for (id, owner) in &dead {
            sqlx::query(
                "UPDATE store_connections SET lease_owner = NULL, lease_until = NULL \
                 WHERE id = $1 AND lease_owner = $2",
            )
            .bind(*id)
            .bind(owner.clone())
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        }
        let closed: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT r.id, r.connection_id FROM store_sync_runs r \
             JOIN store_connections c ON c.id = r.connection_id \
             WHERE r.result = 'running' AND (c.lease_until IS NULL OR c.lease_until < $1)",
        )
        .bind(now)
        .fetch_all(&mut *tx)
        .await
        .map_err(internal)?;
        for (run_id, connection_id) in &closed {
            sqlx::query(
                "UPDATE store_sync_runs SET result = $1, finished_at = $2, progress = '', error = $3 \
                 WHERE id = $4 AND result = 'running'",
            )
            .bind(SyncResult::Failed.as_str())
            .bind(now)
            .bind(INTERRUPTED)
            .bind(*run_id)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
            audit::record(
                &mut tx,
                now,
                &Who::system(),
                Entry {
                    target_type: Some("store_connection"),
                    target_id: Some(connection_id.to_string()),
                    after: Some(json!({"run": run_id, "result": "failed", "error": INTERRUPTED})),
                    ..Entry::new("store.sync_interrupted")
                },
            )
            .await?;
        }
        tx.commit().await.map_err(internal)?;
        if !closed.is_empty() {
            tracing::warn!(
                runs = closed.len(),
                "closed store sync runs whose server stopped"
            );
        }
        Ok(closed.len() as u64)
    }

    /// Takes the connection's sync lease; `false` when another run (any process) holds it.
    pub async fn acquire_lease(&self, connection_id: i64) -> Result<bool, ApiError> {
        let now = self.clock.now();
        let done = sqlx::query(
            "UPDATE store_connections SET lease_owner = $1, lease_until = $2 \
             WHERE id = $3 AND removed_at IS NULL AND (lease_until IS NULL OR lease_until < $4)",
        )
        .bind(&self.owner)
        .bind(now + LEASE_SECS)
        .bind(connection_id)
        .bind(now)
        .execute(&self.db.pool)
        .await
        .map_err(internal)?
        .rows_affected();
        Ok(done == 1)
    }

    async fn release_lease(&self, connection_id: i64) {
        let _ = sqlx::query(
            "UPDATE store_connections SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2",
        )
        .bind(connection_id)
        .bind(&self.owner)
        .execute(&self.db.pool)
        .await;
    }

    /// Takes the lease and records a running run; the caller must then [`Store::execute`] it.
    pub(crate) async fn begin_run(
        &self,
        connection_id: i64,
        trigger: &str,
        who: &Who,
    ) -> Result<i64, ApiError> {
        let (name, state, expires_at, removed): (String, String, Option<i64>, Option<i64>) =
            sqlx::query_as(
                "SELECT name, state, expires_at, removed_at FROM store_connections WHERE id = $1",
            )
            .bind(connection_id)
            .fetch_optional(&self.db.pool)
            .await
            .map_err(internal)?
            .ok_or(ApiError::NotFound)?;
        if removed.is_some() {
            return Err(ApiError::Conflict(format!(
                "{name} was removed; it no longer syncs."
            )));
        }
        let status =
            app::domain::store::ConnectionStatus::of(&state, expires_at, false, self.clock.now());
        if !status.can_sync() {
            return Err(ApiError::Conflict(format!(
                "{name} cannot sync: {}. Upload a renewed token first.",
                match status {
                    app::domain::store::ConnectionStatus::Revoked => "its token was revoked",
                    app::domain::store::ConnectionStatus::OtherProduct =>
                        "its token is used by another management product",
                    _ => "its token has expired",
                }
            )));
        }
        self.recover_interrupted().await?;
        if !self.acquire_lease(connection_id).await? {
            return Err(ApiError::Conflict(format!(
                "A sync of {name} is already running. Follow it on this page or in the sync history."
            )));
        }
        let started_by = who.actor_name.clone().unwrap_or_else(|| "system".into());
        let run_id: i64 = sqlx::query_scalar(
            "INSERT INTO store_sync_runs (connection_id, trigger, started_by, started_at, result, progress) \
             VALUES ($1, $2, $3, $4, $5, 'Starting') RETURNING id",
        )
        .bind(connection_id)
        .bind(trigger)
        .bind(&started_by)
        .bind(self.clock.now())
        .bind(SyncResult::Running.as_str())
        .fetch_one(&self.db.pool)
        .await
        .map_err(internal)?;
        Ok(run_id)
    }

    /// Runs a begun run to its end (fetch, apply, record) and releases the lease.
    pub async fn execute(
        self: &Arc<Self>,
        connection_id: i64,
        run_id: i64,
        who: Who,
    ) -> RunOutcome {
        let progress = Arc::new(Mutex::new(String::from("Connecting to the store")));
        let ticker = {
            let store = self.clone();
            let progress = progress.clone();
            tokio::spawn(async move {
                let mut last = String::new();
                loop {
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                    let now_text = progress.lock().unwrap().clone();
                    let now = store.clock.now();
                    let _ = sqlx::query("UPDATE store_connections SET lease_until = $1 WHERE id = $2 AND lease_owner = $3")
                        .bind(now + LEASE_SECS)
                        .bind(connection_id)
                        .bind(&store.owner)
                        .execute(&store.db.pool)
                        .await;
                    if now_text != last {
                        let _ = sqlx::query("UPDATE store_sync_runs SET progress = $1 WHERE id = $2 AND result = 'running'")
                            .bind(&now_text)
                            .bind(run_id)
                            .execute(&store.db.pool)
                            .await;
                        last = now_text;
                    }
                }
            })
        };
        let started = std::time::Instant::now();
        let fetched = self.fetch(connection_id, progress.clone()).await;
        ticker.abort();
        let fetch_ms = started.elapsed().as_millis();
        let result = match fetched {
            Ok(f) => {
                // A deadlock with a deployment (PostgreSQL breaks it) or a busy SQLite applies
                // the same fetched data again, a bounded number of times.
                let mut attempt = 1;
                loop {
                    match self.apply(connection_id, run_id, &f, &who).await {
                        Err(fail) if fail.message == BUSY && attempt < BUSY_ATTEMPTS => {
                            attempt += 1;
                            tracing::info!(connection_id, attempt, "store sync apply retried");
                            let pause = 20 + rand::random::<u64>() % 80;
                            tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
                        }
                        other => break other,
                    }
                }
            }
            Err(e) => Err(e),
        };
        tracing::info!(
            connection_id,
            run_id,
            fetch_ms,
            apply_ms = started.elapsed().as_millis() - fetch_ms,
            ok = result.is_ok(),
            "store sync finished"
        );
        match result {
            Ok(counts) => {
                // What deployments decided and the store does not know yet (invitations,
                // associations, reclaims, seats). Outside the lease: a failure here leaves
                // installs pending for the next run.
                if let Err(e) = self.deliver(connection_id).await {
                    tracing::warn!(connection_id, error = %e, "delivering to the store failed");
                }
                RunOutcome {
                    run_id,
                    result: Ok(counts),
                }
            }
            Err(failure) => {
                let now = self.clock.now();
                let _ = sqlx::query(
                    "UPDATE store_sync_runs SET result = $1, finished_at = $2, error = $3, progress = '' WHERE id = $4",
                )
                .bind(SyncResult::Failed.as_str())
                .bind(now)
                .bind(&failure.message)
                .bind(run_id)
                .execute(&self.db.pool)
                .await;
                if let Some(state) = failure.state {
                    let _ = sqlx::query("UPDATE store_connections SET state = $1 WHERE id = $2")
                        .bind(state)
                        .bind(connection_id)
                        .execute(&self.db.pool)
                        .await;
                }
                self.release_lease(connection_id).await;
                tracing::warn!(connection_id, run_id, error = %failure.message, "store sync failed");
                RunOutcome {
                    run_id,
                    result: Err(failure.message),
                }
            }
        }
    }

    /// Begins and executes a run, waiting for its end (the scheduler and the tests).
    pub async fn sync_and_wait(
        self: &Arc<Self>,
        connection_id: i64,
        trigger: &str,
        who: Who,
    ) -> Result<RunOutcome, ApiError> {
        let run_id = self.begin_run(connection_id, trigger, &who).await?;
        Ok(self.execute(connection_id, run_id, who).await)
    }

    async fn fetch(
        &self,
        connection_id: i64,
        progress: Arc<Mutex<String>>,
    ) -> Result<Fetched, Failure> {
        let conn = self.connection_secret(connection_id).await?;
        let say = |s: String| *progress.lock().unwrap() = s;
        let mut out = Fetched::default();
        match conn.store {
            Store_::Apple => {
                let client = self.apple_client(&conn.secret)?;
                let config = client.client_config().await?;
                if config
                    .mdm_info
                    .as_ref()
                    .is_some_and(|m| m.id != self.mdm_info().id)
                {
                    return Err(Failure {
                        message: format!(
                            "This token is now used by another management product ({}). A token must be used by one product only: download a new token and upload it here.",
                            config.mdm_info.map(|m| m.name).unwrap_or_default()
                        ),
                        state: Some("other_product"),
                    });
                }
                out.location = Some((
                    config.location_name.clone(),
                    config.country_iso2a_code.clone(),
                ));
                let service = client.service_config().await?;
                let p = progress.clone();
                let assets = client
                    .assets(&move |page, total| {
                        *p.lock().unwrap() =
                            format!("Reading purchased apps: page {page} of {total}")
                    })
                    .await?;
                let apps: Vec<_> = assets
                    .into_iter()
                    .filter(|a| a.product_type == "App")
                    .collect();
                // Names: the ones already known are kept; new and unnamed apps are looked up
                // every sync, all of them weekly. A lookup that fails never fails the sync.
                let (known, checked_at) = self.known_names(connection_id).await?;
                let refresh_all =
                    checked_at.is_none_or(|t| self.clock.now() - t >= NAMES_REFRESH_SECS);
                let wanted: Vec<String> = apps
                    .iter()
                    .filter(|a| refresh_all || !known.contains_key(&a.adam_id))
                    .map(|a| a.adam_id.clone())
                    .collect();
                let mut names = std::collections::HashMap::new();
                if !wanted.is_empty() {
                    say(format!("Reading names of {} apps", wanted.len()));
                    match service.urls.content_metadata_lookup.as_deref() {
                        Some(url) => match client
                            .lookup(
                                url,
                                &wanted,
                                &config.country_iso2a_code,
                                &config.default_platform,
                            )
                            .await
                        {
                            Ok(found) => {
                                names = found;
                                out.names_checked = refresh_all;
                            }
                            Err(e @ (StoreError::TokenExpired | StoreError::TokenRevoked)) => {
                                return Err(e.into());
                            }
                            Err(e) => tracing::warn!(
                                connection_id,
                                error = %e,
                                "app names not read; the next sync tries again"
                            ),
                        },
                        None => tracing::warn!(
                            connection_id,
                            "the service config announces no content metadata lookup; app names stay unknown"
                        ),
                    }
                }
                out.items = apps
                    .into_iter()
                    .map(|a| {
                        let (name, publisher, name_pending) = match names.get(&a.adam_id) {
                            Some(n) => (
                                n.name.clone().unwrap_or_default(),
                                n.artist_name.clone().unwrap_or_default(),
                                false,
                            ),
                            None => match known.get(&a.adam_id) {
                                Some((name, publisher)) => (name.clone(), publisher.clone(), false),
                                None => (format!("App {}", a.adam_id), String::new(), true),
                            },
                        };
                        Item {
                            name,
                            publisher,
                            name_pending,
                            platform: platform_of(&a.supported_platforms),
                            total: a.total_count,
                            // Apple's own counts win: what it reports as assigned, or as not
                            // available, is not free here (ARCHITECTURE.md, store availability).
                            store_assigned: a
                                .assigned_count
                                .max(a.total_count.saturating_sub(a.available_count))
                                .max(0),
                            device_assignable: a.device_assignable,
                            product_id: a.adam_id,
                            sku: a.pricing_param,
                        }
                    })
                    .collect();
                let p = progress.clone();
                let assignments = client
                    .assignments(&move |page, total| {
                        *p.lock().unwrap() = format!("Reading assignments: page {page} of {total}")
                    })
                    .await?;
                out.assignments = assignments
                    .into_iter()
                    .map(|a| {
                        (
                            a.adam_id,
                            a.pricing_param,
                            a.client_user_id.unwrap_or_default(),
                            a.serial_number.unwrap_or_default(),
                        )
                    })
                    .collect();
                let p = progress.clone();
                let users = client
                    .users(&move |page, total| {
                        *p.lock().unwrap() =
                            format!("Reading program users: page {page} of {total}")
                    })
                    .await?;
                out.users = users
                    .into_iter()
                    .map(|u| (u.client_user_id, u.status))
                    .collect();
            }
            Store_::Microsoft => {
                let client = self.microsoft_client(&conn)?;
                let p = progress.clone();
                let entries = client
                    .inventory(&move |page, _| {
                        *p.lock().unwrap() = format!("Reading the inventory: page {page}")
                    })
                    .await?;
                out.items = entries
                    .into_iter()
                    .map(|e| Item {
                        store_assigned: e.store_assigned(),
                        name: e.product_title,
                        publisher: e.publisher_name,
                        platform: "Windows".into(),
                        name_pending: false,
                        total: e.seat_capacity,
                        device_assignable: false,
                        product_id: e.product_key.product_id,
                        sku: e.product_key.sku_id,
                    })
                    .collect();
            }
        }
        say(format!("Saving {} apps", out.items.len()));
        Ok(out)
    }

    /// The names already known of a connection's apps (by asset id), and when every name was
    /// last looked up.
    async fn known_names(
        &self,
        connection_id: i64,
    ) -> Result<(HashMap<String, (String, String)>, Option<i64>), Failure> {
        let db_err = |e: sqlx::Error| Failure::from(internal(e));
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT product_id, name, publisher FROM store_apps WHERE connection_id = $1 AND name_pending = 0",
        )
        .bind(connection_id)
        .fetch_all(&self.db.pool)
        .await
        .map_err(db_err)?;
        let checked: Option<i64> =
            sqlx::query_scalar("SELECT names_checked_at FROM store_connections WHERE id = $1")
                .bind(connection_id)
                .fetch_one(&self.db.pool)
                .await
                .map_err(db_err)?;
        Ok((
            rows.into_iter().map(|(id, n, p)| (id, (n, p))).collect(),
            checked,
        ))
    }

    /// Applies a fetched catalog in one transaction, finishing the run record inside it.
    async fn apply(
        &self,
        connection_id: i64,
        run_id: i64,
        f: &Fetched,
        who: &Who,
    ) -> Result<Counts, Failure> {
        let now = self.clock.now();
        let mut tx = self
            .db
            .begin_write()
            .await
            .map_err(|e| Failure::from(internal(e)))?;
        let (owner, store, name): (Option<String>, String, String) =
            sqlx::query_as(AssertSqlSafe(format!(
                "SELECT lease_owner, store, name FROM store_connections WHERE id = $1{}",
                self.db.for_no_key_update()
            )))
            .bind(connection_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| Failure::from(internal(e)))?;
        if owner.as_deref() != Some(self.owner.as_str()) {
            return Err(Failure {
                message: "The sync lease was lost (the run took too long); nothing was changed."
                    .into(),
                state: None,
            });
        }
        #[derive(sqlx::FromRow)]
        struct Existing {
            id: i64,
            product_id: String,
            sku: String,
            name: String,
            publisher: String,
            platform: String,
            total_count: i64,
            store_assigned: i64,
            device_assignable: i64,
            retired: i64,
            name_pending: i64,
        }
        let existing: Vec<Existing> = sqlx::query_as(
            // THE lock order of a sync: the connection row (no key lock, so deployments'
            // foreign-key checks pass), then every app of the connection in id order, before
            // anything else — as a deployment locks its app before anything else.
            AssertSqlSafe(format!(
                "SELECT id, product_id, sku, name, publisher, platform, total_count, store_assigned, device_assignable, retired, name_pending \
                 FROM store_apps WHERE connection_id = $1 ORDER BY id{}",
                self.db.for_update()
            )),
        )
        .bind(connection_id)
        .fetch_all(&mut *tx)
        .await
        .map_err(|e| Failure::from(internal(e)))?;
        let mut by_key: HashMap<(String, String), Existing> = existing
            .into_iter()
            .map(|e| ((e.product_id.clone(), e.sku.clone()), e))
            .collect();
        let mut counts = Counts::default();
        let mut new_items = vec![];
        let db_err = |e: sqlx::Error| Failure::from(internal(e));
        for item in &f.items {
            match by_key.remove(&(item.product_id.clone(), item.sku.clone())) {
                Some(e) => {
                    let changed = e.name != item.name
                        || e.publisher != item.publisher
                        || e.platform != item.platform
                        || e.total_count != item.total
                        || e.store_assigned != item.store_assigned
                        || (e.device_assignable == 1) != item.device_assignable
                        || (e.name_pending == 1) != item.name_pending
                        || e.retired == 1;
                    if changed {
                        sqlx::query(
                            "UPDATE store_apps SET name = $1, name_key = $2, publisher = $3, platform = $4, total_count = $5, \
                             store_assigned = $6, device_assignable = $7, retired = 0, last_synced_at = $8, \
                             name_pending = $10 WHERE id = $9",
                        )
                        .bind(&item.name)
                        .bind(item.name.to_lowercase())
                        .bind(&item.publisher)
                        .bind(&item.platform)
                        .bind(item.total.max(0))
                        .bind(item.store_assigned)
                        .bind(i64::from(item.device_assignable))
                        .bind(now)
                        .bind(e.id)
                        .bind(i64::from(item.name_pending))
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                        counts.updated += 1;
                    }
                }
                None => new_items.push(item),
            }
        }
        for chunk in new_items.chunks(200) {
            let mut sql = String::from(
                "INSERT INTO store_apps (connection_id, store, product_id, sku, name, name_key, publisher, platform, \
                 total_count, store_assigned, device_assignable, last_synced_at, created_at, name_pending) VALUES ",
            );
            for i in 0..chunk.len() {
                let b = i * 12;
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "($1, $2, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7,
                    b + 8,
                    b + 9,
                    b + 10,
                    b + 11,
                    b + 12,
                    b + 13,
                    b + 14
                ));
            }
            let mut q = sqlx::query(AssertSqlSafe(sql))
                .bind(connection_id)
                .bind(&store);
            for item in chunk {
                q = q
                    .bind(&item.product_id)
                    .bind(&item.sku)
                    .bind(&item.name)
                    .bind(item.name.to_lowercase())
                    .bind(&item.publisher)
                    .bind(&item.platform)
                    .bind(item.total.max(0))
                    .bind(item.store_assigned)
                    .bind(i64::from(item.device_assignable))
                    .bind(now)
                    .bind(now)
                    .bind(i64::from(item.name_pending));
            }
            q.execute(&mut *tx).await.map_err(db_err)?;
            counts.added += chunk.len() as i64;
        }
        // Apps the store no longer reports: retired, never deleted (deployments keep them).
        for gone in by_key.values().filter(|e| e.retired == 0) {
            sqlx::query("UPDATE store_apps SET retired = 1, last_synced_at = $1 WHERE id = $2")
                .bind(now)
                .bind(gone.id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            counts.retired += 1;
        }
        sqlx::query(
            "UPDATE store_apps SET last_synced_at = $1 WHERE connection_id = $2 AND retired = 0",
        )
        .bind(now)
        .bind(connection_id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        sqlx::query("DELETE FROM store_assignments WHERE connection_id = $1")
            .bind(connection_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        for chunk in f.assignments.chunks(500) {
            let mut sql = String::from(
                "INSERT INTO store_assignments (connection_id, product_id, sku, client_user_id, serial_number) VALUES ",
            );
            for i in 0..chunk.len() {
                let b = i * 4;
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "($1, ${}, ${}, ${}, ${})",
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5
                ));
            }
            let mut q = sqlx::query(AssertSqlSafe(sql)).bind(connection_id);
            for (p, s, u, n) in chunk {
                q = q.bind(p).bind(s).bind(u).bind(n);
            }
            q.execute(&mut *tx).await.map_err(db_err)?;
        }
        self.record_user_statuses(&mut tx, connection_id, &f.users, now)
            .await
            .map_err(db_err)?;
        // Licenses assigned in the store but not to this portal's holders are not free. Apple
        // names every assignment's program user, so ours are counted exactly; Microsoft
        // reports only a seat count, in which every holder of ours is taken to have a seat.
        for sql in [
            "UPDATE store_apps SET outside_assigned = store_assigned - CASE WHEN store = 'apple' THEN ( \
               SELECT COUNT(*) FROM store_assignments sa \
               JOIN store_users su ON su.connection_id = sa.connection_id \
                 AND su.client_user_id = sa.client_user_id \
               JOIN store_licenses l ON l.user_id = su.user_id AND l.app_id = store_apps.id \
               WHERE sa.connection_id = store_apps.connection_id \
                 AND sa.product_id = store_apps.product_id AND sa.sku = store_apps.sku \
                 AND sa.client_user_id <> '') ELSE used END \
             WHERE connection_id = $1",
            "UPDATE store_apps SET outside_assigned = 0 WHERE connection_id = $1 AND outside_assigned < 0",
        ] {
            sqlx::query(sql)
                .bind(connection_id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        if f.names_checked {
            sqlx::query("UPDATE store_connections SET names_checked_at = $1 WHERE id = $2")
                .bind(now)
                .bind(connection_id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        let (location, country) = f.location.clone().unwrap_or_default();
        sqlx::query(
            "UPDATE store_connections SET last_synced_at = $1, location_name = CASE WHEN $2 = '' THEN location_name ELSE $2 END, \
             country = CASE WHEN $3 = '' THEN country ELSE $3 END WHERE id = $4",
        )
        .bind(now)
        .bind(&location)
        .bind(&country)
        .bind(connection_id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        // The run ends here: its record and the lease's release commit with the data, so a run
        // shown as finished never still holds the lease.
        sqlx::query(
            "UPDATE store_connections SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2",
        )
        .bind(connection_id)
        .bind(&self.owner)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        sqlx::query(
            "UPDATE store_sync_runs SET result = $1, finished_at = $2, added = $3, updated = $4, retired = $5, progress = '' WHERE id = $6",
        )
        .bind(SyncResult::Succeeded.as_str())
        .bind(now)
        .bind(counts.added)
        .bind(counts.updated)
        .bind(counts.retired)
        .bind(run_id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        audit::record(
            &mut tx,
            now,
            who,
            Entry::new("store.synced")
                .target("store_connection", connection_id, name)
                .after(json!({"run": run_id, "added": counts.added, "updated": counts.updated, "retired": counts.retired})),
        )
        .await
        .map_err(Failure::from)?;
        tx.commit().await.map_err(db_err)?;
        Ok(counts)
    }

    /// Starts the runs that are due (automatic sync); answers how many ran. Safe on several
    /// servers at once: the lease lets one of them run each connection.
    pub async fn run_due(self: &Arc<Self>) -> Result<usize, ApiError> {
        self.recover_interrupted().await?;
        if self.sync_interval_secs <= 0 {
            return Ok(0);
        }
        let now = self.clock.now();
        let due: Vec<i64> = sqlx::query_scalar(
            "SELECT c.id FROM store_connections c WHERE c.removed_at IS NULL AND c.auto_sync = 1 AND c.state = 'valid' \
             AND COALESCE((SELECT MAX(r.started_at) FROM store_sync_runs r WHERE r.connection_id = c.id), 0) + $1 <= $2 \
             ORDER BY c.id",
        )
        .bind(self.sync_interval_secs)
        .bind(now)
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        let mut ran = 0;
        for id in due {
            match self.sync_and_wait(id, "schedule", Who::system()).await {
                Ok(_) => ran += 1,
                Err(ApiError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(ran)
    }
}
