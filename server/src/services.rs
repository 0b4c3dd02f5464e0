//! The services behind the server functions: `app::api::ssr::Backend` implemented on the
//! database. Every rule about admins, sessions and sign-in lives here, once.

use crate::audit::{self, Entry, Who};
use crate::auth;
use crate::db::{Db, Tx};
use app::api::ssr::{Actor, AuthedAdmin, Backend, Caller, NewAdmin, SetupInput, SignedIn};
use app::domain::{
    AdminView, ApiError, AuditEntry, AuditFilter, Me, Page, Role, SetupStatus, validate,
};
use serde_json::json;
use sqlx::AssertSqlSafe;
use std::sync::Arc;

pub const SESSION_COOKIE: &str = "ld_session";

/// The clock, injected so that time-based rules can be tested.
pub trait Clock: Send + Sync + 'static {
    /// UNIX seconds, UTC.
    fn now(&self) -> i64;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        time::OffsetDateTime::now_utc().unix_timestamp()
    }
}

#[derive(Clone, Debug)]
pub struct SessionConfig {
    pub idle_secs: i64,
    pub max_secs: i64,
    /// Mark the cookie `Secure` (the portal is served over HTTPS).
    pub secure_cookie: bool,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            idle_secs: 30 * 60,
            max_secs: 12 * 3600,
            secure_cookie: false,
        }
    }
}

pub struct Services {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub sessions: SessionConfig,
}

/// Logs an unexpected failure with a reference and returns an error that shows only the reference.
pub fn internal(err: impl std::fmt::Display) -> ApiError {
    let reference = format!("{:08x}", rand::random::<u32>());
    tracing::error!(%reference, error = %err, "internal error");
    ApiError::Internal { reference }
}

/// Whether a database error is a UNIQUE constraint violation (on either backend).
fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(e) if e.is_unique_violation())
}

#[derive(sqlx::FromRow)]
struct AdminRow {
    id: i64,
    username: String,
    display_name: String,
    role: String,
    enabled: i64,
    created_at: i64,
    last_sign_in_at: Option<i64>,
}

impl AdminRow {
    fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Reader)
    }

    fn view(self) -> AdminView {
        AdminView {
            role: self.role(),
            id: self.id,
            username: self.username,
            display_name: self.display_name,
            enabled: self.enabled == 1,
            created_at: self.created_at,
            last_sign_in_at: self.last_sign_in_at,
        }
    }

    fn snapshot(&self) -> serde_json::Value {
        json!({"username": self.username, "display_name": self.display_name,
               "role": self.role, "enabled": self.enabled == 1})
    }
}

const ADMIN_COLUMNS: &str =
    "id, username, display_name, role, enabled, created_at, last_sign_in_at";

/// Maps a UNIQUE violation to `on_duplicate` (a message naming the field), anything else to an
/// internal error.
pub(crate) fn unique_or(
    on_duplicate: impl FnOnce() -> ApiError,
) -> impl FnOnce(sqlx::Error) -> ApiError {
    move |e| {
        if is_unique_violation(&e) {
            on_duplicate()
        } else {
            internal(e)
        }
    }
}

/// The audit identity of an authorised caller.
pub(crate) fn who_of(actor: &Actor) -> Who {
    Who {
        actor_id: Some(actor.admin.id),
        actor_name: Some(actor.admin.username.clone()),
        client_ip: Some(actor.client_ip.clone()),
        request_id: None,
    }
}

fn who_anonymous(caller: &Caller, name: Option<String>) -> Who {
    Who {
        actor_id: None,
        actor_name: name,
        client_ip: Some(caller.client_ip.clone()),
        request_id: Some(caller.request_id.clone()),
    }
}

impl Services {
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    pub fn session_cookie(&self, token: &str) -> String {
        cookie::Cookie::build((SESSION_COOKIE, token.to_string()))
            .http_only(true)
            .same_site(cookie::SameSite::Lax)
            .secure(self.sessions.secure_cookie)
            .path("/")
            .max_age(time::Duration::seconds(self.sessions.max_secs))
            .build()
            .to_string()
    }

    pub fn clear_session_cookie(&self) -> String {
        cookie::Cookie::build((SESSION_COOKIE, ""))
            .http_only(true)
            .same_site(cookie::SameSite::Lax)
            .secure(self.sessions.secure_cookie)
            .path("/")
            .max_age(time::Duration::ZERO)
            .build()
            .to_string()
    }

    /// Resolves a session cookie to its admin, enforcing idle and absolute timeouts.
    /// Returns the admin and the session's stored id (the token's hash).
    pub async fn resolve_session(
        &self,
        token: &str,
    ) -> Result<Option<(AuthedAdmin, String)>, sqlx::Error> {
        let hash = auth::token_hash(token);
        let row: Option<(i64, i64, i64, String, String)> = sqlx::query_as(
            "SELECT s.created_at, s.last_seen_at, a.id, a.username, a.role \
             FROM sessions s JOIN admins a ON a.id = s.admin_id \
             WHERE s.id_hash = $1 AND a.enabled = 1",
        )
        .bind(hash.clone())
        .fetch_optional(&self.db.pool)
        .await?;
        let Some((created_at, last_seen_at, id, username, role)) = row else {
            return Ok(None);
        };
        let now = self.now();
        if now - last_seen_at > self.sessions.idle_secs || now - created_at > self.sessions.max_secs
        {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(hash)
                .execute(&self.db.pool)
                .await?;
            return Ok(None);
        }
        if now - last_seen_at >= 60 {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
                .bind(now)
                .bind(hash.clone())
                .execute(&self.db.pool)
                .await?;
        }
        let Some(role) = Role::parse(&role) else {
            return Ok(None);
        };
        Ok(Some((AuthedAdmin { id, username, role }, hash)))
    }

    /// Deletes expired sessions and old sign-in failures (run periodically).
    pub async fn prune(&self) -> Result<(), sqlx::Error> {
        let now = self.now();
        sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2")
            .bind(now - self.sessions.idle_secs)
            .bind(now - self.sessions.max_secs)
            .execute(&self.db.pool)
            .await?;
        sqlx::query("DELETE FROM sign_in_failures WHERE at < $1")
            .bind(now - auth::THROTTLE_WINDOW_SECS)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    async fn start_session(
        &self,
        tx: &mut Tx,
        admin_id: i64,
        client_ip: &str,
    ) -> Result<String, sqlx::Error> {
        let token = auth::new_session_token();
        let now = self.now();
        sqlx::query(
            "INSERT INTO sessions (id_hash, admin_id, created_at, last_seen_at, client_ip) \
             VALUES ($1, $2, $3, $3, $4)",
        )
        .bind(auth::token_hash(&token))
        .bind(admin_id)
        .bind(now)
        .bind(client_ip.to_string())
        .execute(&mut **tx)
        .await?;
        Ok(token)
    }

    async fn failures(&self, scope: &str, limit: usize) -> Result<Vec<i64>, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT at FROM sign_in_failures WHERE scope = $1 AND at > $2 ORDER BY at DESC LIMIT $3",
        )
        .bind(scope.to_string())
        .bind(self.now() - auth::THROTTLE_WINDOW_SECS)
        .bind(limit as i64)
        .fetch_all(&self.db.pool)
        .await
    }

    async fn throttled(&self, account: &str, address: &str) -> Result<Option<u64>, sqlx::Error> {
        let now = self.now();
        let by_account = auth::throttle_wait(
            &self.failures(account, auth::ACCOUNT_FAILURE_LIMIT).await?,
            auth::ACCOUNT_FAILURE_LIMIT,
            auth::THROTTLE_WINDOW_SECS,
            now,
        );
        let by_address = auth::throttle_wait(
            &self.failures(address, auth::ADDRESS_FAILURE_LIMIT).await?,
            auth::ADDRESS_FAILURE_LIMIT,
            auth::THROTTLE_WINDOW_SECS,
            now,
        );
        Ok(by_account.max(by_address))
    }

    async fn load_admin_locked(&self, tx: &mut Tx, id: i64) -> Result<AdminRow, ApiError> {
        let sql = format!(
            "SELECT {ADMIN_COLUMNS} FROM admins WHERE id = $1{}",
            self.db.for_update()
        );
        sqlx::query_as::<_, AdminRow>(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(internal)?
            .ok_or(ApiError::NotFound)
    }

    /// Enabled Global admins other than `except`, counted under a row lock so that two
    /// concurrent demotions cannot both pass the "not the last one" check.
    async fn other_global_admins(&self, tx: &mut Tx, except: i64) -> Result<usize, ApiError> {
        let sql = format!(
            "SELECT id FROM admins WHERE role = 'global_admin' AND enabled = 1 AND id <> $1{}",
            self.db.for_update()
        );
        let ids: Vec<i64> = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(except)
            .fetch_all(&mut **tx)
            .await
            .map_err(internal)?;
        Ok(ids.len())
    }

    /// Creates an admin account (used by the UI, `create-admin` and demo mode).
    pub async fn create_admin(
        &self,
        who: &Who,
        input: NewAdmin,
        org_name_if_unset: Option<&str>,
    ) -> Result<i64, ApiError> {
        let username = validate::username(&input.username)?;
        let display_name = validate::display_name(&input.display_name)?;
        let role = Role::parse(&input.role)
            .ok_or_else(|| ApiError::invalid("role", "Choose one of the five roles."))?;
        let password = validate::new_password(&input.password, "password")?;
        let hash = auth::hash_password(password).await.map_err(internal)?;
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        if let Some(org) = org_name_if_unset {
            sqlx::query("INSERT INTO settings (key, value) VALUES ('org_name', $1) ON CONFLICT (key) DO NOTHING")
                .bind(validate::org_name(org)?)
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
        }
        let id = self
            .insert_admin(&mut tx, who, &username, &display_name, role, &hash)
            .await?;
        tx.commit().await.map_err(internal)?;
        Ok(id)
    }

    async fn insert_admin(
        &self,
        tx: &mut Tx,
        who: &Who,
        username: &str,
        display_name: &str,
        role: Role,
        hash: &str,
    ) -> Result<i64, ApiError> {
        let now = self.now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO admins (username, display_name, role, password_hash, enabled, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 1, $5, $5) RETURNING id",
        )
        .bind(username.to_string())
        .bind(display_name.to_string())
        .bind(role.as_str())
        .bind(hash.to_string())
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(unique_or(|| ApiError::invalid("username", "An admin with this sign-in name already exists.")))?;
        audit::record(
            tx,
            now,
            who,
            Entry::new("admin.created")
                .target("admin", id, username)
                .after(json!({"username": username, "display_name": display_name,
                              "role": role.as_str(), "enabled": true})),
        )
        .await?;
        Ok(id)
    }

    pub async fn admin_count(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT COUNT(*) FROM admins")
            .fetch_one(&self.db.pool)
            .await
    }

    async fn org_name(&self) -> Result<String, sqlx::Error> {
        Ok(
            sqlx::query_scalar::<_, String>("SELECT value FROM settings WHERE key = 'org_name'")
                .fetch_optional(&self.db.pool)
                .await?
                .unwrap_or_default(),
        )
    }

    async fn record_alone(&self, who: &Who, entry: Entry<'_>) -> Result<(), ApiError> {
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        audit::record(&mut tx, self.now(), who, entry).await?;
        tx.commit().await.map_err(internal)
    }
}

#[async_trait::async_trait]
impl Backend for Services {
    async fn setup_status(&self) -> Result<SetupStatus, ApiError> {
        Ok(SetupStatus {
            needs_setup: self.admin_count().await.map_err(internal)? == 0,
            org_name: self.org_name().await.map_err(internal)?,
        })
    }

    async fn setup(&self, caller: &Caller, input: SetupInput) -> Result<SignedIn, ApiError> {
        let org_name = validate::org_name(&input.org_name)?;
        let display_name = validate::display_name(&input.display_name)?;
        let username = validate::username(&input.username)?;
        let password = validate::new_password(&input.password, "password")?;
        let closed = || ApiError::Conflict("Setup is already complete. Sign in instead.".into());
        if self.admin_count().await.map_err(internal)? > 0 {
            return Err(closed());
        }
        let hash = auth::hash_password(password).await.map_err(internal)?;
        let now = self.now();
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM admins")
            .fetch_one(&mut *tx)
            .await
            .map_err(internal)?;
        if existing > 0 {
            return Err(closed());
        }
        // The primary key on this row makes a second, concurrent setup fail on PostgreSQL too.
        sqlx::query("INSERT INTO settings (key, value) VALUES ('setup_completed_at', $1)")
            .bind(now.to_string())
            .execute(&mut *tx)
            .await
            .map_err(unique_or(&closed))?;
        sqlx::query("INSERT INTO settings (key, value) VALUES ('org_name', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(org_name.clone())
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        let who = who_anonymous(caller, Some(username.clone()));
        let id = self
            .insert_admin(
                &mut tx,
                &who,
                &username,
                &display_name,
                Role::GlobalAdmin,
                &hash,
            )
            .await?;
        audit::record(
            &mut tx,
            now,
            &who,
            Entry::new("setup.completed").after(json!({"org_name": org_name})),
        )
        .await?;
        let token = self
            .start_session(&mut tx, id, &caller.client_ip)
            .await
            .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        Ok(SignedIn {
            set_cookie: self.session_cookie(&token),
        })
    }

    async fn sign_in(
        &self,
        caller: &Caller,
        username: &str,
        password: &str,
    ) -> Result<SignedIn, ApiError> {
        let name = username.trim().to_lowercase();
        if name.is_empty() {
            return Err(ApiError::invalid("username", "Enter your sign-in name."));
        }
        if password.is_empty() {
            return Err(ApiError::invalid("password", "Enter your password."));
        }
        let account_scope = format!("account:{name}");
        let address_scope = format!("ip:{}", caller.client_ip);
        let who = who_anonymous(caller, Some(name.clone()));
        if let Some(wait) = self
            .throttled(&account_scope, &address_scope)
            .await
            .map_err(internal)?
        {
            self.record_alone(&who, Entry::new("auth.sign_in_throttled"))
                .await?;
            return Err(ApiError::TooManyRequests {
                retry_after_secs: wait,
            });
        }
        let row: Option<(i64, String, i64)> =
            sqlx::query_as("SELECT id, password_hash, enabled FROM admins WHERE username = $1")
                .bind(name.clone())
                .fetch_optional(&self.db.pool)
                .await
                .map_err(internal)?;
        let verified =
            auth::verify_password(password.to_string(), row.as_ref().map(|r| r.1.clone())).await;
        let now = self.now();
        match row {
            Some((id, _, 1)) if verified => {
                let mut tx = self.db.begin_write().await.map_err(internal)?;
                sqlx::query("DELETE FROM sign_in_failures WHERE scope = $1")
                    .bind(account_scope)
                    .execute(&mut *tx)
                    .await
                    .map_err(internal)?;
                // A fresh session id at every sign-in; an earlier session of this browser ends.
                if let Some(old) = &caller.session_id {
                    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                        .bind(old.clone())
                        .execute(&mut *tx)
                        .await
                        .map_err(internal)?;
                }
                sqlx::query("UPDATE admins SET last_sign_in_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(internal)?;
                let token = self
                    .start_session(&mut tx, id, &caller.client_ip)
                    .await
                    .map_err(internal)?;
                let who = Who {
                    actor_id: Some(id),
                    ..who
                };
                audit::record(&mut tx, now, &who, Entry::new("auth.sign_in")).await?;
                tx.commit().await.map_err(internal)?;
                Ok(SignedIn {
                    set_cookie: self.session_cookie(&token),
                })
            }
            _ => {
                let mut tx = self.db.begin_write().await.map_err(internal)?;
                for scope in [account_scope, address_scope] {
                    sqlx::query("INSERT INTO sign_in_failures (scope, at) VALUES ($1, $2)")
                        .bind(scope)
                        .bind(now)
                        .execute(&mut *tx)
                        .await
                        .map_err(internal)?;
                }
                audit::record(&mut tx, now, &who, Entry::new("auth.sign_in_failed")).await?;
                tx.commit().await.map_err(internal)?;
                Err(ApiError::SignInFailed)
            }
        }
    }

    async fn sign_out(&self, actor: &Actor) -> Result<String, ApiError> {
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        if let Some(id) = &actor.session_id {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(id.clone())
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
        }
        audit::record(
            &mut tx,
            self.now(),
            &who_of(actor),
            Entry::new("auth.sign_out"),
        )
        .await?;
        tx.commit().await.map_err(internal)?;
        Ok(self.clear_session_cookie())
    }

    async fn me(&self, caller: &Caller) -> Result<Option<Me>, ApiError> {
        let Some(admin) = &caller.admin else {
            return Ok(None);
        };
        let display_name: String =
            sqlx::query_scalar("SELECT display_name FROM admins WHERE id = $1")
                .bind(admin.id)
                .fetch_one(&self.db.pool)
                .await
                .map_err(internal)?;
        Ok(Some(Me {
            id: admin.id,
            username: admin.username.clone(),
            display_name,
            role: admin.role,
            org_name: self.org_name().await.map_err(internal)?,
        }))
    }

    async fn list_admins(&self) -> Result<Vec<AdminView>, ApiError> {
        let sql = format!("SELECT {ADMIN_COLUMNS} FROM admins ORDER BY display_name, id");
        let rows = sqlx::query_as::<_, AdminRow>(AssertSqlSafe(sql))
            .fetch_all(&self.db.pool)
            .await
            .map_err(internal)?;
        Ok(rows.into_iter().map(AdminRow::view).collect())
    }

    async fn add_admin(&self, actor: &Actor, input: NewAdmin) -> Result<(), ApiError> {
        self.create_admin(&who_of(actor), input, None)
            .await
            .map(|_| ())
    }

    async fn change_role(&self, actor: &Actor, id: i64, role: &str) -> Result<(), ApiError> {
        let role = Role::parse(role)
            .ok_or_else(|| ApiError::invalid("role", "Choose one of the five roles."))?;
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let target = self.load_admin_locked(&mut tx, id).await?;
        if target.role() == role {
            return Ok(());
        }
        if target.role() == Role::GlobalAdmin
            && target.enabled == 1
            && self.other_global_admins(&mut tx, id).await? == 0
        {
            return Err(ApiError::Conflict(
                "This is the last Global admin; make another admin Global admin first.".into(),
            ));
        }
        sqlx::query("UPDATE admins SET role = $1, updated_at = $2 WHERE id = $3")
            .bind(role.as_str())
            .bind(self.now())
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        audit::record(
            &mut tx,
            self.now(),
            &who_of(actor),
            Entry::new("admin.role_changed")
                .target("admin", id, target.username.clone())
                .before(json!({"role": target.role}))
                .after(json!({"role": role.as_str()})),
        )
        .await?;
        tx.commit().await.map_err(internal)
    }

    async fn set_admin_enabled(
        &self,
        actor: &Actor,
        id: i64,
        enabled: bool,
    ) -> Result<(), ApiError> {
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let target = self.load_admin_locked(&mut tx, id).await?;
        if (target.enabled == 1) == enabled {
            return Ok(());
        }
        if !enabled
            && target.role() == Role::GlobalAdmin
            && self.other_global_admins(&mut tx, id).await? == 0
        {
            return Err(ApiError::Conflict(
                "This is the last Global admin; it cannot be disabled.".into(),
            ));
        }
        let before = target.snapshot();
        sqlx::query("UPDATE admins SET enabled = $1, updated_at = $2 WHERE id = $3")
            .bind(i64::from(enabled))
            .bind(self.now())
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        if !enabled {
            sqlx::query("DELETE FROM sessions WHERE admin_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
        }
        audit::record(
            &mut tx,
            self.now(),
            &who_of(actor),
            Entry::new(if enabled {
                "admin.enabled"
            } else {
                "admin.disabled"
            })
            .target("admin", id, target.username.clone())
            .before(json!({"enabled": before["enabled"]}))
            .after(json!({"enabled": enabled})),
        )
        .await?;
        tx.commit().await.map_err(internal)
    }

    async fn reset_password(&self, actor: &Actor, id: i64, password: &str) -> Result<(), ApiError> {
        let password = validate::new_password(password, "password")?;
        let hash = auth::hash_password(password).await.map_err(internal)?;
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let target = self.load_admin_locked(&mut tx, id).await?;
        sqlx::query("UPDATE admins SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(hash)
            .bind(self.now())
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        // End the account's other sessions; the admin doing the reset stays signed in.
        sqlx::query("DELETE FROM sessions WHERE admin_id = $1 AND id_hash <> $2")
            .bind(id)
            .bind(actor.session_id.clone().unwrap_or_default())
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        audit::record(
            &mut tx,
            self.now(),
            &who_of(actor),
            Entry::new("admin.password_reset").target("admin", id, target.username.clone()),
        )
        .await?;
        tx.commit().await.map_err(internal)
    }

    async fn list_audit(&self, filter: AuditFilter) -> Result<Page<AuditEntry>, ApiError> {
        const PAGE: i64 = 50;
        let mut sql = String::from(
            "SELECT id, at, actor_name, action, target_label, before_json, after_json, client_ip \
             FROM audit_log WHERE 1 = 1",
        );
        let mut binds: Vec<String> = vec![];
        let mut n = 0;
        let mut next = |binds: &mut Vec<String>, v: String| {
            binds.push(v);
            n += 1;
            format!("${n}")
        };
        if let Some(actor) = filter.actor.as_deref().filter(|s| !s.is_empty()) {
            let p = next(&mut binds, crate::directory::contains_pattern(actor));
            sql.push_str(&format!(" AND lower(actor_name) LIKE {p} ESCAPE '\\'"));
        }
        if let Some(action) = filter.action.as_deref().filter(|s| !s.is_empty()) {
            let pattern = crate::directory::contains_pattern(action);
            // A prefix match: drop the leading wildcard.
            let p = next(&mut binds, pattern[1..].to_string());
            sql.push_str(&format!(" AND lower(action) LIKE {p} ESCAPE '\\'"));
        }
        if let Some(text) = filter.text.as_deref().filter(|s| !s.is_empty()) {
            let p = next(&mut binds, crate::directory::contains_pattern(text));
            sql.push_str(&format!(
                " AND (lower(COALESCE(target_label, '')) LIKE {p} ESCAPE '\\' \
                 OR lower(COALESCE(before_json, '')) LIKE {p} ESCAPE '\\' \
                 OR lower(COALESCE(after_json, '')) LIKE {p} ESCAPE '\\')"
            ));
        }
        let before = filter.before_id.unwrap_or(i64::MAX);
        sql.push_str(&format!(
            " AND id < {} ORDER BY id DESC LIMIT {}",
            before,
            PAGE + 1
        ));
        let mut query = sqlx::query_as::<
            _,
            (
                i64,
                i64,
                Option<String>,
                String,
                Option<String>,
                Option<String>,
                Option<String>,
                Option<String>,
            ),
        >(AssertSqlSafe(sql));
        for b in binds {
            query = query.bind(b);
        }
        let mut rows = query.fetch_all(&self.db.pool).await.map_err(internal)?;
        let more = rows.len() as i64 > PAGE;
        rows.truncate(PAGE as usize);
        let next = if more { rows.last().map(|r| r.0) } else { None };
        Ok(Page {
            items: rows
                .into_iter()
                .map(
                    |(id, at, actor, action, target, before, after, client_ip)| AuditEntry {
                        id,
                        at,
                        actor,
                        action,
                        target,
                        before,
                        after,
                        client_ip,
                    },
                )
                .collect(),
            next,
        })
    }
}
