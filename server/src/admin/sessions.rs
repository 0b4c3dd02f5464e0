//! Sessions and sign-in: the cookie, timeouts (idle and absolute), throttling of failed
//! attempts per account and per address, sign-out. Only a token's SHA-256 is stored.

use super::auth;
use crate::core::audit::{self, Entry, Who, who_of};
use crate::core::error::internal;
use crate::db::Tx;
use crate::services::Services;
use app::api::ssr::{Actor, AuthedAdmin, Caller, SignedIn};
use app::domain::{ApiError, Role};

pub const SESSION_COOKIE: &str = "ld_session";

impl Services {
    fn cookie(&self, token: &str, max_age: time::Duration) -> String {
        cookie::Cookie::build((SESSION_COOKIE, token.to_string()))
            .http_only(true)
            .same_site(cookie::SameSite::Lax)
            .secure(self.sessions.secure_cookie)
            .path("/")
            .max_age(max_age)
            .build()
            .to_string()
    }

    pub fn session_cookie(&self, token: &str) -> String {
        self.cookie(token, time::Duration::seconds(self.sessions.max_secs))
    }

    pub fn clear_session_cookie(&self) -> String {
        self.cookie("", time::Duration::ZERO)
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
        // An account with a role this version does not know is not signed in at all.
        let Ok(role) = role.parse::<Role>() else {
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

    pub(super) async fn start_session(
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
        let mut wait = None;
        for (scope, limit) in [
            (account, auth::ACCOUNT_FAILURE_LIMIT),
            (address, auth::ADDRESS_FAILURE_LIMIT),
        ] {
            let failures = self.failures(scope, limit).await?;
            wait = wait.max(auth::throttle_wait(
                &failures,
                limit,
                auth::THROTTLE_WINDOW_SECS,
                now,
            ));
        }
        Ok(wait)
    }

    async fn record_alone(&self, who: &Who, entry: Entry<'_>) -> Result<(), ApiError> {
        let tx = self.db.begin_write().await.map_err(internal)?;
        audit::record_and_commit(tx, self.now(), who, entry).await
    }

    pub(super) async fn sign_in_with(
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
        let who = Who::anonymous(caller, Some(name.clone()));
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
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        match row {
            Some((id, _, 1)) if verified => {
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
                audit::record_and_commit(tx, now, &who, Entry::new("auth.sign_in")).await?;
                Ok(SignedIn {
                    set_cookie: self.session_cookie(&token),
                })
            }
            _ => {
                for scope in [account_scope, address_scope] {
                    sqlx::query("INSERT INTO sign_in_failures (scope, at) VALUES ($1, $2)")
                        .bind(scope)
                        .bind(now)
                        .execute(&mut *tx)
                        .await
                        .map_err(internal)?;
                }
                audit::record_and_commit(tx, now, &who, Entry::new("auth.sign_in_failed")).await?;
                Err(ApiError::SignInFailed)
            }
        }
    }

    pub(super) async fn end_session(&self, actor: &Actor) -> Result<String, ApiError> {
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        if let Some(id) = &actor.session_id {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(id.clone())
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
        }
        audit::record_and_commit(tx, self.now(), &who_of(actor), Entry::new("auth.sign_out"))
            .await?;
        Ok(self.clear_session_cookie())
    }
}
