//! Server functions of `/settings/api-tokens` (SPEC X-4): list, create (the secret is answered
//! once), revoke. Every role may see the list; only a Global admin changes it.

use crate::domain::ApiError;
use crate::domain::tokens::{ApiTokenView, CreatedApiToken};
use leptos::prelude::*;

#[server(endpoint = "api_tokens_list")]
pub async fn list_api_tokens() -> Result<Vec<ApiTokenView>, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::Read)?;
        backend()?.list_api_tokens().await
    }
    .await;
    finish(result)
}

#[server(endpoint = "api_tokens_create")]
pub async fn create_api_token(
    name: String,
    role: String,
    expires_in_days: String,
) -> Result<CreatedApiToken, ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageAdmins)?;
        let input = crate::domain::tokens::NewApiToken::parse(&name, &role, &expires_in_days)?;
        backend()?.create_api_token(&actor, input).await
    }
    .await;
    finish(result)
}

#[server(endpoint = "api_tokens_revoke")]
pub async fn revoke_api_token(id: i64) -> Result<(), ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageAdmins)?;
        backend()?.revoke_api_token(&actor, id).await
    }
    .await;
    finish(result)
}
