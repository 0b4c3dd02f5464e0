//! Server functions. Each one is a public HTTP endpoint at `/api/<endpoint>`: it authenticates
//! and authorises through [`ssr::authorize`] (or is on the short public list in
//! [`PUBLIC_ENDPOINTS`]), calls the backend service, and maps the outcome to a status code.

use crate::domain::{AdminView, ApiError, AuditEntry, Me, Page, SetupStatus};
use leptos::prelude::*;

pub mod billing;
pub mod directory;
pub mod email;
pub mod licenses;
pub mod overview;
pub mod reclaim;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod store;
pub mod tokens;

/// Server functions that answer without a session. Everything else is refused for anonymous
/// callers by the router (deny by default) *and* by its own authorisation call.
pub const PUBLIC_ENDPOINTS: &[&str] =
    &["/api/setup_status", "/api/setup", "/api/sign_in", "/api/me"];

/// Is first-run setup still open? Public: the sign-in page needs it.
#[server(endpoint = "setup_status")]
pub async fn get_setup_status() -> Result<SetupStatus, ApiError> {
    use ssr::*;
    finish(backend()?.setup_status().await)
}

/// Creates the first Global admin; refused once any admin exists.
#[server(endpoint = "setup")]
pub async fn setup(
    org_name: String,
    username: String,
    display_name: String,
    password: String,
    password_confirm: String,
) -> Result<(), ApiError> {
    use ssr::*;
    let result = async {
        if password != password_confirm {
            return Err(ApiError::invalid(
                "password_confirm",
                "The two passwords differ.",
            ));
        }
        let input = SetupInput {
            org_name,
            username,
            display_name,
            password,
        };
        let signed_in = backend()?.setup(&caller()?, input).await?;
        set_cookie(&signed_in.set_cookie);
        leptos_axum::redirect("/");
        Ok(())
    }
    .await;
    finish(result)
}

/// Signs in with a sign-in name and password; starts a new session.
#[server(endpoint = "sign_in")]
pub async fn sign_in(username: String, password: String) -> Result<(), ApiError> {
    use ssr::*;
    let result = async {
        let signed_in = backend()?.sign_in(&caller()?, &username, &password).await?;
        set_cookie(&signed_in.set_cookie);
        leptos_axum::redirect("/");
        Ok(())
    }
    .await;
    finish(result)
}

/// Ends the current session.
#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), ApiError> {
    use ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::Read)?;
        let cleared = backend()?.sign_out(&actor).await?;
        set_cookie(&cleared);
        leptos_axum::redirect("/login");
        Ok(())
    }
    .await;
    finish(result)
}

/// The signed-in admin, or `None` when anonymous. Public: the shell decides where to go.
#[server(endpoint = "me")]
pub async fn current_admin() -> Result<Option<Me>, ApiError> {
    use ssr::*;
    finish(backend()?.me(&caller()?).await)
}

#[server(endpoint = "admins_list")]
pub async fn list_admins() -> Result<Vec<AdminView>, ApiError> {
    use ssr::*;
    let result = async {
        // Every role reads the admin accounts (SPEC D-4); only a Global admin changes them.
        authorize(crate::domain::Permission::Read)?;
        backend()?.list_admins().await
    }
    .await;
    finish(result)
}

#[server(endpoint = "admins_add")]
pub async fn add_admin(
    username: String,
    display_name: String,
    role: String,
    password: String,
) -> Result<(), ApiError> {
    use ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageAdmins)?;
        let input = NewAdmin::from_form(username, display_name, &role, password)?;
        backend()?.add_admin(&actor, input).await
    }
    .await;
    finish(result)
}

#[server(endpoint = "admins_change_role")]
pub async fn change_role(id: i64, role: String) -> Result<(), ApiError> {
    use ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageAdmins)?;
        backend()?.change_role(&actor, id, parse_role(&role)?).await
    }
    .await;
    finish(result)
}

#[server(endpoint = "admins_set_enabled")]
pub async fn set_admin_enabled(id: i64, enabled: bool) -> Result<(), ApiError> {
    use ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageAdmins)?;
        backend()?.set_admin_enabled(&actor, id, enabled).await
    }
    .await;
    finish(result)
}

#[server(endpoint = "admins_reset_password")]
pub async fn reset_password(id: i64, password: String) -> Result<(), ApiError> {
    use ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageAdmins)?;
        backend()?.reset_password(&actor, id, &password).await
    }
    .await;
    finish(result)
}

#[server(endpoint = "audit_list")]
pub async fn list_audit(
    actor: Option<String>,
    action: Option<String>,
    text: Option<String>,
    before_id: Option<i64>,
) -> Result<Page<AuditEntry>, ApiError> {
    use ssr::*;
    let result = async {
        authorize(crate::domain::Permission::Read)?;
        let filter = crate::domain::AuditFilter {
            actor,
            action,
            text,
            before_id,
        };
        backend()?.list_audit(filter).await
    }
    .await;
    finish(result)
}
