//! The admin area (SPEC D-4 … D-6): first-run setup, sign-in and sessions, admin accounts and
//! their roles, the audit log page. `app::api::ssr::Backend` is implemented here on
//! [`Services`]; each method is one of the files below.
//!
//! - `auth`: Argon2id, session tokens, the throttle rule.
//! - `sessions`: the session cookie, timeouts, sign-in and sign-out.
//! - `accounts`: setup, admin accounts, roles ("not the last Global admin").
//! - `audit_log`: the audit log's filters and pages.
//! - `tokens`: API tokens for the REST API (create, list, revoke, resolve a bearer token).

mod accounts;
mod audit_log;
pub mod auth;
mod sessions;
pub mod tokens;

pub use sessions::SESSION_COOKIE;

use crate::core::audit::who_of;
use crate::services::Services;
use app::api::ssr::{Actor, Backend, Caller, NewAdmin, SetupInput, SignedIn};
use app::domain::tokens::{ApiTokenView, CreatedApiToken, NewApiToken};
use app::domain::{AdminView, ApiError, AuditEntry, AuditFilter, Me, Page, Role, SetupStatus};

#[async_trait::async_trait]
impl Backend for Services {
    async fn setup_status(&self) -> Result<SetupStatus, ApiError> {
        self.setup_state().await
    }

    async fn setup(&self, caller: &Caller, input: SetupInput) -> Result<SignedIn, ApiError> {
        self.complete_setup(caller, input).await
    }

    async fn sign_in(
        &self,
        caller: &Caller,
        username: &str,
        password: &str,
    ) -> Result<SignedIn, ApiError> {
        self.sign_in_with(caller, username, password).await
    }

    async fn sign_out(&self, actor: &Actor) -> Result<String, ApiError> {
        self.end_session(actor).await
    }

    async fn me(&self, caller: &Caller) -> Result<Option<Me>, ApiError> {
        self.me_of(caller).await
    }

    async fn list_admins(&self) -> Result<Vec<AdminView>, ApiError> {
        self.admins().await
    }

    async fn add_admin(&self, actor: &Actor, input: NewAdmin) -> Result<(), ApiError> {
        self.create_admin(&who_of(actor), input, None)
            .await
            .map(|_| ())
    }

    async fn change_role(&self, actor: &Actor, id: i64, role: Role) -> Result<(), ApiError> {
        self.set_role(actor, id, role).await
    }

    async fn set_admin_enabled(
        &self,
        actor: &Actor,
        id: i64,
        enabled: bool,
    ) -> Result<(), ApiError> {
        self.set_enabled(actor, id, enabled).await
    }

    async fn reset_password(&self, actor: &Actor, id: i64, password: &str) -> Result<(), ApiError> {
        self.set_password(actor, id, password).await
    }

    async fn list_audit(&self, filter: AuditFilter) -> Result<Page<AuditEntry>, ApiError> {
        self.audit_page(filter).await
    }

    async fn list_api_tokens(&self) -> Result<Vec<ApiTokenView>, ApiError> {
        self.api_tokens().await
    }

    async fn create_api_token(
        &self,
        actor: &Actor,
        input: NewApiToken,
    ) -> Result<CreatedApiToken, ApiError> {
        Services::create_api_token(self, actor, input).await
    }

    async fn revoke_api_token(&self, actor: &Actor, id: i64) -> Result<(), ApiError> {
        Services::revoke_api_token(self, actor, id).await
    }
}
