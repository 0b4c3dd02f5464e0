//! Server-side half of the API: who is calling, the backend service trait the `server` crate
//! implements, and the one authorisation function.

use crate::domain::tokens::{ApiTokenView, CreatedApiToken, NewApiToken};
use crate::domain::{
    AdminView, ApiError, AuditEntry, AuditFilter, Me, Page, Permission, Role, SetupStatus,
};
use leptos::prelude::*;
use std::sync::Arc;

/// Who made the request. The server's session middleware puts one into every request's
/// extensions before any route runs.
#[derive(Clone, Debug)]
pub struct Caller {
    pub admin: Option<AuthedAdmin>,
    pub session_id: Option<String>,
    pub client_ip: String,
    pub request_id: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthedAdmin {
    /// The admin (for an API token: the admin who created it).
    pub id: i64,
    /// The sign-in name (for an API token: `token:<its name>`, as the audit log shows it).
    pub username: String,
    pub role: Role,
    /// The API token the request came with, when it did (REST API); `None` for a session.
    pub token: Option<i64>,
}

/// An authorised caller: the admin plus where the request came from (for the audit log).
#[derive(Clone, Debug)]
pub struct Actor {
    pub admin: AuthedAdmin,
    pub session_id: Option<String>,
    pub client_ip: String,
}

/// THE authorisation rule, shared by server functions and (later) REST endpoints.
pub fn check(caller: &Caller, permission: Permission) -> Result<Actor, ApiError> {
    let admin = caller.admin.clone().ok_or(ApiError::Unauthenticated)?;
    if !admin.role.allows(permission) {
        return Err(ApiError::Forbidden);
    }
    Ok(Actor {
        admin,
        session_id: caller.session_id.clone(),
        client_ip: caller.client_ip.clone(),
    })
}

/// Authorises the current server-function call.
pub fn authorize(permission: Permission) -> Result<Actor, ApiError> {
    check(&caller()?, permission)
}

/// The caller of the current request, from the request's extensions.
pub fn caller() -> Result<Caller, ApiError> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Caller>().cloned())
        .ok_or_else(|| ApiError::Internal {
            reference: "no-caller".into(),
        })
}

pub type SharedBackend = Arc<dyn Backend>;

pub fn backend() -> Result<SharedBackend, ApiError> {
    use_context::<SharedBackend>().ok_or_else(|| ApiError::Internal {
        reference: "no-backend".into(),
    })
}

/// Adds a `Set-Cookie` header to the server function's response.
pub fn set_cookie(value: &str) {
    if let (Some(opts), Ok(v)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(value),
    ) {
        opts.append_header(http::header::SET_COOKIE, v);
    }
}

/// Maps an error to its HTTP status (and `Retry-After`) for fetch calls. A plain HTML form post
/// (before hydration) is answered with a redirect back to the form instead, carrying the error.
pub fn finish<T>(result: Result<T, ApiError>) -> Result<T, ApiError> {
    if let Err(err) = &result {
        let form_post = use_context::<http::request::Parts>()
            .and_then(|p| {
                p.headers
                    .get(http::header::ACCEPT)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| v.contains("text/html"))
            })
            .unwrap_or(false);
        if let (false, Some(opts)) = (form_post, use_context::<leptos_axum::ResponseOptions>()) {
            if let Ok(code) = http::StatusCode::from_u16(err.status()) {
                opts.set_status(code);
            }
            match err {
                ApiError::TooManyRequests { retry_after_secs } => opts.insert_header(
                    http::header::RETRY_AFTER,
                    http::HeaderValue::from(*retry_after_secs),
                ),
                // A busy database or an outside service that did not answer: nothing was
                // changed, and the same request may succeed shortly.
                ApiError::Unavailable(_) => {
                    opts.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(5u64))
                }
                _ => {}
            }
        }
    }
    result
}

/// Sets the status of a page being rendered on the server (404, 403, 500 pages).
pub fn set_page_status(code: u16) {
    if let (Some(opts), Ok(code)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(code),
    ) {
        opts.set_status(code);
    }
}

/// The Content-Security-Policy of a rendered page: scripts only from the site itself or with
/// this response's nonce (the boot script and Leptos' resource scripts carry it), WebAssembly
/// allowed, nothing embedded or embedding. Sets the header and returns the nonce for the boot
/// script.
pub fn csp_nonce() -> Option<String> {
    let nonce = leptos::nonce::use_nonce()?.to_string();
    if let (Some(opts), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(&format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
             style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
             object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
        )),
    ) {
        opts.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
    Some(nonce)
}

/// Text for the document `<title>` as the server writes it. leptos_meta puts the title into
/// the HTML head without escaping, so markup in a name (a user's, an app's) would become
/// elements; the browser sets `document.title` as plain text and needs no escaping.
pub fn escape_title(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub struct SetupInput {
    pub org_name: String,
    pub username: String,
    pub display_name: String,
    pub password: String,
}

pub struct NewAdmin {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub password: String,
}

impl NewAdmin {
    /// Reads the Add admin form (and `create-admin`): the names are checked before the role, as
    /// the service checks the rest, so the first problem in the form is the one reported.
    pub fn from_form(
        username: String,
        display_name: String,
        role: &str,
        password: String,
    ) -> Result<NewAdmin, ApiError> {
        crate::domain::validate::username(&username)?;
        crate::domain::validate::display_name(&display_name)?;
        Ok(NewAdmin {
            role: parse_role(role)?,
            username,
            display_name,
            password,
        })
    }
}

/// A role chosen in a form; anything but the five roles is refused.
pub fn parse_role(role: &str) -> Result<Role, ApiError> {
    role.parse()
        .map_err(|_| ApiError::invalid("role", "Choose one of the five roles."))
}

/// A started session: the `Set-Cookie` value that carries it.
pub struct SignedIn {
    pub set_cookie: String,
}

/// The services behind the server functions, implemented by the `server` crate.
#[async_trait::async_trait]
pub trait Backend: Send + Sync + 'static {
    async fn setup_status(&self) -> Result<SetupStatus, ApiError>;
    async fn setup(&self, caller: &Caller, input: SetupInput) -> Result<SignedIn, ApiError>;
    async fn sign_in(
        &self,
        caller: &Caller,
        username: &str,
        password: &str,
    ) -> Result<SignedIn, ApiError>;
    /// Ends the session; returns the `Set-Cookie` value that clears the cookie.
    async fn sign_out(&self, actor: &Actor) -> Result<String, ApiError>;
    async fn me(&self, caller: &Caller) -> Result<Option<Me>, ApiError>;
    async fn list_admins(&self) -> Result<Vec<AdminView>, ApiError>;
    async fn add_admin(&self, actor: &Actor, input: NewAdmin) -> Result<(), ApiError>;
    async fn change_role(&self, actor: &Actor, id: i64, role: Role) -> Result<(), ApiError>;
    async fn set_admin_enabled(
        &self,
        actor: &Actor,
        id: i64,
        enabled: bool,
    ) -> Result<(), ApiError>;
    async fn reset_password(&self, actor: &Actor, id: i64, password: &str) -> Result<(), ApiError>;
    async fn list_audit(&self, filter: AuditFilter) -> Result<Page<AuditEntry>, ApiError>;
    async fn list_api_tokens(&self) -> Result<Vec<ApiTokenView>, ApiError>;
    async fn create_api_token(
        &self,
        actor: &Actor,
        input: NewApiToken,
    ) -> Result<CreatedApiToken, ApiError>;
    async fn revoke_api_token(&self, actor: &Actor, id: i64) -> Result<(), ApiError>;
}
