//! Sessions and sign-in: the cookie, timeouts (idle and absolute), throttling of failed
//! attempts per account and per address, sign-out. Only a token's SHA-256 is stored.

use super::auth;
use crate::core::audit::{self, Entry, Who, who_of};
use crate::core::error::internal;
use crate::db::Tx;
use crate::services::Services;
use app::api::ssr::{Actor, AuthedAdmin, Caller, SignedIn};
use app::domain::{ApiError, Role};
use sqlx::AssertSqlSafe;

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
        Ok(Some((
            AuthedAdmin {
                id,
                username,
                role,
                token: None,
            },
            hash,
        )))
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
        sqlx::query(
            "DELETE FROM sign_in_scopes WHERE (throttle_logged_at IS NULL OR throttle_logged_at < $1) \
             AND NOT EXISTS (SELECT 1 FROM sign_in_failures f WHERE f.scope = sign_in_scopes.scope)",
        )
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

    /// The throttle decision for one attempt, taken under the scopes' row locks so that
    /// simultaneous attempts are decided one after another: either the attempt is refused
    /// (throttled; written to the audit log at most once per scope and window), or it is
    /// counted as a failure *before* the password is checked — a correct password takes the
    /// count back. Returns the ids of the failure rows written for this attempt.
    async fn admit_attempt(
        &self,
        who: &Who,
        scopes: [(&str, usize); 2],
    ) -> Result<Result<Vec<i64>, u64>, ApiError> {
        let now = self.now();
        let since = now - auth::THROTTLE_WINDOW_SECS;
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let mut wait: Option<u64> = None;
        let mut unlogged = vec![];
        // Always the account first, then the address: one lock order for every attempt.
        for (scope, limit) in scopes {
            sqlx::query(
                "INSERT INTO sign_in_scopes (scope) VALUES ($1) ON CONFLICT (scope) DO NOTHING",
            )
            .bind(scope.to_string())
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
            let logged_at: Option<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT throttle_logged_at FROM sign_in_scopes WHERE scope = $1{}",
                self.db.for_update()
            )))
            .bind(scope.to_string())
            .fetch_one(&mut *tx)
            .await
            .map_err(internal)?;
            let failures: Vec<i64> = sqlx::query_scalar(
                "SELECT at FROM sign_in_failures WHERE scope = $1 AND at > $2 \
                 ORDER BY at DESC LIMIT $3",
            )
            .bind(scope.to_string())
            .bind(since)
            .bind(limit as i64)
            .fetch_all(&mut *tx)
            .await
            .map_err(internal)?;
            if let Some(w) = auth::throttle_wait(&failures, limit, auth::THROTTLE_WINDOW_SECS, now)
            {
                wait = wait.max(Some(w));
                if logged_at.is_none_or(|at| at <= since) {
                    unlogged.push(scope.to_string());
                }
            }
        }
        if let Some(wait) = wait {
            if unlogged.is_empty() {
                tx.rollback().await.map_err(internal)?;
            } else {
                for scope in &unlogged {
                    sqlx::query(
                        "UPDATE sign_in_scopes SET throttle_logged_at = $1 WHERE scope = $2",
                    )
                    .bind(now)
                    .bind(scope.clone())
                    .execute(&mut *tx)
                    .await
                    .map_err(internal)?;
                }
                // One summary per scope and window; the attempts refused after it are not
                // written (an attacker cannot grow the append-only log this way).
                let entry = Entry {
                    after: Some(serde_json::json!({
                        "scopes": unlogged,
                        "retry_after_secs": wait,
                        "window_secs": auth::THROTTLE_WINDOW_SECS,
                    })),
                    ..Entry::new("auth.sign_in_throttled")
                };
                audit::record_and_commit(tx, now, who, entry).await?;
            }
            return Ok(Err(wait));
        }
        let mut ids = vec![];
        for (scope, _) in scopes {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO sign_in_failures (scope, at) VALUES ($1, $2) RETURNING id",
            )
            .bind(scope.to_string())
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(internal)?;
            ids.push(id);
        }
        tx.commit().await.map_err(internal)?;
        Ok(Ok(ids))
    }

    /// Takes back the failure rows of an attempt that was not checked after all.
    async fn withdraw_attempt(&self, ids: &[i64]) -> Result<(), ApiError> {
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        for id in ids {
            sqlx::query("DELETE FROM sign_in_failures WHERE id = $1")
                .bind(*id)
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
        }
        tx.commit().await.map_err(internal)
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
        let attempt = match self
            .admit_attempt(
                &who,
                [
                    (&account_scope, auth::ACCOUNT_FAILURE_LIMIT),
                    (&address_scope, auth::ADDRESS_FAILURE_LIMIT),
                ],
            )
            .await?
        {
            Ok(ids) => ids,
            Err(wait) => {
                return Err(ApiError::TooManyRequests {
                    retry_after_secs: wait,
                });
            }
        };
        let row: Option<(i64, String, i64)> =
            sqlx::query_as("SELECT id, password_hash, enabled FROM admins WHERE username = $1")
                .bind(name.clone())
                .fetch_optional(&self.db.pool)
                .await
                .map_err(internal)?;
        let verified =
            match auth::verify_password(password.to_string(), row.as_ref().map(|r| r.1.clone()))
                .await
            {
                Ok(verified) => verified,
                Err(auth::Busy) => {
                    // Not checked: the attempt does not count, and the caller comes back shortly.
                    self.withdraw_attempt(&attempt).await?;
                    tracing::warn!("sign-in refused: every password-hashing slot stayed busy");
                    return Err(ApiError::TooManyRequests {
                        retry_after_secs: 2,
                    });
                }
            };
        let now = self.now();
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        match row {
            Some((id, _, 1)) if verified => {
                // A correct password clears the account's failures and takes this attempt's
                // count back from the address.
                sqlx::query("DELETE FROM sign_in_failures WHERE scope = $1 OR id = $2")
                    .bind(account_scope)
                    .bind(attempt[1])
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
                // The failure was counted before the check; only the audit entry is left.
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
