//! Admin accounts: first-run setup, creating admins, roles, enabling and disabling, passwords.
//! "Not the last Global admin" is checked under row locks, so concurrent changes cannot both
//! pass it.

use super::auth;
use crate::core::audit::{self, Entry, Who, who_of};
use crate::core::error::internal;
use crate::core::sql::{execute_for, fetch_locked, set_column, unique_or};
use crate::db::Tx;
use crate::services::Services;
use app::api::ssr::{Actor, Caller, NewAdmin, SetupInput, SignedIn};
use app::domain::{AdminView, ApiError, Me, Role, SetupStatus, validate};
use serde_json::json;
use sqlx::AssertSqlSafe;

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
    /// The stored role; an unknown one is an internal error (never a weaker default).
    fn role(&self) -> Result<Role, ApiError> {
        self.role.parse().map_err(internal)
    }

    fn view(self) -> Result<AdminView, ApiError> {
        Ok(AdminView {
            role: self.role()?,
            id: self.id,
            username: self.username,
            display_name: self.display_name,
            enabled: self.enabled == 1,
            created_at: self.created_at,
            last_sign_in_at: self.last_sign_in_at,
        })
    }
}

const ADMIN_SELECT: &str = "SELECT id, username, display_name, role, enabled, created_at, \
     last_sign_in_at FROM admins";

fn last_global_admin(what: &str) -> ApiError {
    ApiError::Conflict(format!("This is the last Global admin; {what}."))
}

impl Services {
    async fn load_admin_locked(&self, tx: &mut Tx, id: i64) -> Result<AdminRow, ApiError> {
        fetch_locked(&self.db, tx, &format!("{ADMIN_SELECT} WHERE id = $1"), id).await
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
            .insert_admin(&mut tx, who, &username, &display_name, input.role, &hash)
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

    pub(super) async fn setup_state(&self) -> Result<SetupStatus, ApiError> {
        Ok(SetupStatus {
            needs_setup: self.admin_count().await.map_err(internal)? == 0,
            org_name: self.org_name().await.map_err(internal)?,
        })
    }

    /// First-run setup: the organization and its first Global admin, signed in at once.
    pub(super) async fn complete_setup(
        &self,
        caller: &Caller,
        input: SetupInput,
    ) -> Result<SignedIn, ApiError> {
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
        let who = Who::anonymous(caller, Some(username.clone()));
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

    pub(super) async fn me_of(&self, caller: &Caller) -> Result<Option<Me>, ApiError> {
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

    pub(super) async fn admins(&self) -> Result<Vec<AdminView>, ApiError> {
        let sql = format!("{ADMIN_SELECT} ORDER BY display_name, id");
        let rows = sqlx::query_as::<_, AdminRow>(AssertSqlSafe(sql))
            .fetch_all(&self.db.pool)
            .await
            .map_err(internal)?;
        rows.into_iter().map(AdminRow::view).collect()
    }

    pub(super) async fn set_role(
        &self,
        actor: &Actor,
        id: i64,
        role: Role,
    ) -> Result<(), ApiError> {
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let target = self.load_admin_locked(&mut tx, id).await?;
        let current = target.role()?;
        if current == role {
            return Ok(());
        }
        if current == Role::GlobalAdmin
            && target.enabled == 1
            && self.other_global_admins(&mut tx, id).await? == 0
        {
            return Err(last_global_admin("make another admin Global admin first"));
        }
        set_column(&mut tx, "admins", "role", role.as_str(), self.now(), id).await?;
        audit::record_and_commit(
            tx,
            self.now(),
            &who_of(actor),
            Entry::new("admin.role_changed")
                .target("admin", id, target.username.clone())
                .before(json!({"role": current.as_str()}))
                .after(json!({"role": role.as_str()})),
        )
        .await
    }

    pub(super) async fn set_enabled(
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
            && target.role()? == Role::GlobalAdmin
            && self.other_global_admins(&mut tx, id).await? == 0
        {
            return Err(last_global_admin("it cannot be disabled"));
        }
        set_column(
            &mut tx,
            "admins",
            "enabled",
            i64::from(enabled),
            self.now(),
            id,
        )
        .await?;
        if !enabled {
            execute_for(&mut tx, "DELETE FROM sessions WHERE admin_id = $1", id).await?;
        }
        audit::record_and_commit(
            tx,
            self.now(),
            &who_of(actor),
            Entry::new(if enabled {
                "admin.enabled"
            } else {
                "admin.disabled"
            })
            .target("admin", id, target.username.clone())
            .before(json!({"enabled": target.enabled == 1}))
            .after(json!({"enabled": enabled})),
        )
        .await
    }

    pub(super) async fn set_password(
        &self,
        actor: &Actor,
        id: i64,
        password: &str,
    ) -> Result<(), ApiError> {
        let password = validate::new_password(password, "password")?;
        let hash = auth::hash_password(password).await.map_err(internal)?;
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let target = self.load_admin_locked(&mut tx, id).await?;
        set_column(&mut tx, "admins", "password_hash", hash, self.now(), id).await?;
        // End the account's other sessions; the admin doing the reset stays signed in.
        sqlx::query("DELETE FROM sessions WHERE admin_id = $1 AND id_hash <> $2")
            .bind(id)
            .bind(actor.session_id.clone().unwrap_or_default())
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        audit::record_and_commit(
            tx,
            self.now(),
            &who_of(actor),
            Entry::new("admin.password_reset").target("admin", id, target.username.clone()),
        )
        .await
    }
}
