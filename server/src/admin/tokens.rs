//! API tokens (SPEC X-4): created by a Global admin with a role their own covers, shown once,
//! stored as the secret's SHA-256, revocable, with the last use (time and address) kept. A token
//! acts for the admin who created it, within the token's role, and only while that admin is
//! enabled and still holds a role covering the token's. The audit log names it `token:<name>`.

use super::auth;
use crate::core::audit::{self, Entry, who_of};
use crate::core::error::internal;
use crate::core::sql::fetch_locked;
use crate::services::Services;
use app::api::ssr::{Actor, AuthedAdmin};
use app::domain::tokens::{ApiTokenView, CreatedApiToken, NewApiToken, TOKEN_PREFIX, expired};
use app::domain::{ApiError, Role};
use serde_json::json;

/// A token's last use is written at most this often (one small write a minute per busy token).
const LAST_USED_EVERY_SECS: i64 = 60;

/// Why a bearer token was not accepted (each answers 401; the reason goes to the client).
#[derive(Debug, PartialEq, Eq)]
pub enum TokenRefused {
    Unknown,
    Revoked,
    Expired,
    /// The creator was disabled, or no longer holds a role covering the token's.
    CreatorLacksRole,
}

impl TokenRefused {
    pub fn message(&self) -> &'static str {
        match self {
            TokenRefused::Unknown => "The API token is not valid.",
            TokenRefused::Revoked => "The API token was revoked.",
            TokenRefused::Expired => "The API token has expired.",
            TokenRefused::CreatorLacksRole => {
                "The admin who created this API token is disabled or no longer holds its role."
            }
        }
    }
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: i64,
    name: String,
    role: String,
    hint: String,
    created_by: String,
    created_at: i64,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
    last_used_at: Option<i64>,
    last_used_ip: Option<String>,
}

impl TokenRow {
    fn view(self, now: i64) -> Result<ApiTokenView, ApiError> {
        Ok(ApiTokenView {
            expired: expired(self.expires_at, now),
            role: self.role.parse().map_err(internal)?,
            id: self.id,
            name: self.name,
            hint: self.hint,
            created_by: self.created_by,
            created_at: self.created_at,
            expires_at: self.expires_at,
            revoked_at: self.revoked_at,
            last_used_at: self.last_used_at,
            last_used_ip: self.last_used_ip,
        })
    }
}

const TOKEN_SELECT: &str = "SELECT t.id, t.name, t.role, t.hint, a.username AS created_by, \
     t.created_at, t.expires_at, t.revoked_at, t.last_used_at, t.last_used_ip \
     FROM api_tokens t JOIN admins a ON a.id = t.created_by";

/// A new secret: the prefix and 256 random bits.
fn new_secret() -> String {
    format!("{TOKEN_PREFIX}{}", auth::new_session_token())
}

impl Services {
    /// Every token, newest first (revoked and expired ones too, so their history stays visible).
    pub async fn api_tokens(&self) -> Result<Vec<ApiTokenView>, ApiError> {
        let rows: Vec<TokenRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{TOKEN_SELECT} ORDER BY t.created_at DESC, t.id DESC"
        )))
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        let now = self.now();
        rows.into_iter().map(|r| r.view(now)).collect()
    }

    /// Creates a token. Its role may not be above the creator's; an API token cannot create
    /// tokens (that needs a person signed in).
    pub async fn create_api_token(
        &self,
        actor: &Actor,
        input: NewApiToken,
    ) -> Result<CreatedApiToken, ApiError> {
        if actor.admin.token.is_some() {
            return Err(ApiError::Forbidden);
        }
        if !actor.admin.role.covers(input.role) {
            return Err(ApiError::invalid(
                "role",
                "A token's role cannot be above your own.",
            ));
        }
        let now = self.now();
        let secret = new_secret();
        let hint: String = secret.chars().take(TOKEN_PREFIX.len() + 4).collect();
        let expires_at = input.expires_in_days.map(|d| now + d * 86_400);
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_tokens (name, role, secret_hash, hint, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(input.name.clone())
        .bind(input.role.as_str())
        .bind(auth::token_hash(&secret))
        .bind(hint.clone())
        .bind(actor.admin.id)
        .bind(now)
        .bind(expires_at)
        .fetch_one(&mut *tx)
        .await
        .map_err(internal)?;
        audit::record_and_commit(
            tx,
            now,
            &who_of(actor),
            Entry::new("api_token.created")
                .target("api_token", id, input.name.clone())
                .after(json!({
                    "role": input.role.as_str(),
                    "expires_at": expires_at,
                    "hint": hint,
                })),
        )
        .await?;
        Ok(CreatedApiToken {
            token: ApiTokenView {
                id,
                name: input.name,
                role: input.role,
                hint,
                created_by: actor.admin.username.clone(),
                created_at: now,
                expires_at,
                revoked_at: None,
                last_used_at: None,
                last_used_ip: None,
                expired: false,
            },
            secret,
        })
    }

    /// Revokes a token at once (every replica: the next request reads `revoked_at`). Revoking
    /// a revoked token changes nothing.
    pub async fn revoke_api_token(&self, actor: &Actor, id: i64) -> Result<(), ApiError> {
        if actor.admin.token.is_some() {
            return Err(ApiError::Forbidden);
        }
        let now = self.now();
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let (name, revoked_at): (String, Option<i64>) = fetch_locked(
            &self.db,
            &mut tx,
            "SELECT name, revoked_at FROM api_tokens WHERE id = $1",
            id,
        )
        .await?;
        if revoked_at.is_some() {
            return Ok(());
        }
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        audit::record_and_commit(
            tx,
            now,
            &who_of(actor),
            Entry::new("api_token.revoked").target("api_token", id, name),
        )
        .await
    }

    /// The admin a shell command acts as (`licensedesk create-api-token --admin …`): an
    /// enabled account, with its current role.
    pub async fn cli_actor(&self, username: &str) -> Result<Actor, ApiError> {
        let row: Option<(i64, String, String, i64)> =
            sqlx::query_as("SELECT id, username, role, enabled FROM admins WHERE username = $1")
                .bind(username.trim().to_lowercase())
                .fetch_optional(&self.db.pool)
                .await
                .map_err(internal)?;
        match row {
            Some((id, username, role, 1)) => Ok(Actor {
                admin: AuthedAdmin {
                    id,
                    username,
                    role: role.parse().map_err(internal)?,
                    token: None,
                },
                session_id: None,
                client_ip: "cli".into(),
            }),
            _ => Err(ApiError::invalid(
                "admin",
                "No enabled admin account has this sign-in name.",
            )),
        }
    }

    /// Resolves `Authorization: Bearer <secret>` to the identity it acts as, and notes the use.
    pub async fn resolve_api_token(
        &self,
        secret: &str,
        client_ip: &str,
    ) -> Result<Result<AuthedAdmin, TokenRefused>, sqlx::Error> {
        if !secret.starts_with(TOKEN_PREFIX) || secret.len() > 200 {
            return Ok(Err(TokenRefused::Unknown));
        }
        type Row = (
            i64,
            String,
            String,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            i64,
            String,
            i64,
        );
        let row: Option<Row> = sqlx::query_as(
            "SELECT t.id, t.name, t.role, t.expires_at, t.revoked_at, t.last_used_at, \
             a.id, a.role, a.enabled FROM api_tokens t JOIN admins a ON a.id = t.created_by \
             WHERE t.secret_hash = $1",
        )
        .bind(auth::token_hash(secret))
        .fetch_optional(&self.db.pool)
        .await?;
        let Some((
            id,
            name,
            role,
            expires_at,
            revoked_at,
            last_used_at,
            admin,
            admin_role,
            enabled,
        )) = row
        else {
            return Ok(Err(TokenRefused::Unknown));
        };
        let now = self.now();
        if revoked_at.is_some() {
            return Ok(Err(TokenRefused::Revoked));
        }
        if expired(expires_at, now) {
            return Ok(Err(TokenRefused::Expired));
        }
        let (Ok(role), Ok(admin_role)) = (role.parse::<Role>(), admin_role.parse::<Role>()) else {
            return Ok(Err(TokenRefused::Unknown));
        };
        if enabled != 1 || !admin_role.covers(role) {
            return Ok(Err(TokenRefused::CreatorLacksRole));
        }
        if last_used_at.is_none_or(|t| now - t >= LAST_USED_EVERY_SECS) {
            // Best effort: a busy database must not fail the request for this.
            if let Err(e) = sqlx::query(
                "UPDATE api_tokens SET last_used_at = $1, last_used_ip = $2 WHERE id = $3",
            )
            .bind(now)
            .bind(client_ip.to_string())
            .bind(id)
            .execute(&self.db.pool)
            .await
            {
                tracing::warn!(error = %e, token = id, "could not note an API token's use");
            }
        }
        Ok(Ok(AuthedAdmin {
            id: admin,
            username: format!("token:{name}"),
            role,
            token: Some(id),
        }))
    }
}
