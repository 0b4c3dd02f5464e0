//! Directory server functions (SPEC D-1 … D-3). Reading needs `Permission::Read`; changing needs
//! `Permission::ManageDirectory` (User admin, Global admin).

use crate::domain::ApiError;
use crate::domain::directory::{
    DeviceDetail, DeviceView, GroupDetail, GroupView, ListPage, UserDetail, UserView,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
pub use backend::*;

#[server(endpoint = "users_list")]
pub async fn list_users(
    q: Option<String>,
    sort: Option<String>,
    desc: Option<bool>,
    after: Option<String>,
) -> Result<ListPage<UserView>, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::Read)?;
        let sort = crate::domain::directory::UserSort::parse(sort.as_deref().unwrap_or(""));
        directory()?
            .list_users(q.unwrap_or_default(), sort, desc.unwrap_or(false), after)
            .await
    }
    .await;
    finish(result)
}

#[server(endpoint = "users_get")]
pub async fn get_user(id: i64) -> Result<UserDetail, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::Read)?;
        directory()?.get_user(id).await
    }
    .await;
    finish(result)
}

/// Creates (no `id`) or updates a user; returns the user's id.
#[server(endpoint = "users_save")]
pub async fn save_user(
    id: Option<i64>,
    display_name: String,
    sign_in_name: String,
    department: String,
) -> Result<i64, ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageDirectory)?;
        let input = UserInput {
            display_name,
            sign_in_name,
            department,
            enabled: true,
            if_match: None,
        };
        directory()?.save_user(&actor, id, input).await
    }
    .await;
    finish(result)
}

#[server(endpoint = "users_set_enabled")]
pub async fn set_user_enabled(id: i64, enabled: bool) -> Result<(), ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageDirectory)?;
        directory()?.set_user_enabled(&actor, id, enabled).await
    }
    .await;
    finish(result)
}

#[server(endpoint = "users_delete")]
pub async fn delete_user(id: i64) -> Result<(), ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageDirectory)?;
        directory()?.delete_user(&actor, id).await?;
        leptos_axum::redirect("/users");
        Ok(())
    }
    .await;
    finish(result)
}

/// Type-ahead: up to 10 enabled or disabled users matching `q` (name, sign-in name, department).
#[server(endpoint = "users_search")]
pub async fn search_users(q: String) -> Result<Vec<UserView>, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::Read)?;
        directory()?.search_users(q).await
    }
    .await;
    finish(result)
}

#[server(endpoint = "groups_list")]
pub async fn list_groups(
    q: Option<String>,
    after: Option<String>,
) -> Result<ListPage<GroupView>, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::Read)?;
        directory()?.list_groups(q.unwrap_or_default(), after).await
    }
    .await;
    finish(result)
}

#[server(endpoint = "groups_get")]
pub async fn get_group(id: i64) -> Result<GroupDetail, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::Read)?;
        directory()?.get_group(id).await
    }
    .await;
    finish(result)
}

#[server(endpoint = "groups_save")]
pub async fn save_group(
    id: Option<i64>,
    name: String,
    description: String,
) -> Result<i64, ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageDirectory)?;
        directory()?
            .save_group(&actor, id, name, description, None)
            .await
    }
    .await;
    finish(result)
}

#[server(endpoint = "groups_delete")]
pub async fn delete_group(id: i64) -> Result<(), ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageDirectory)?;
        directory()?.delete_group(&actor, id).await?;
        leptos_axum::redirect("/groups");
        Ok(())
    }
    .await;
    finish(result)
}

/// Adds or removes several members at once. `user_ids` is a comma-separated list of user ids.
#[server(endpoint = "groups_members")]
pub async fn change_members(group_id: i64, user_ids: String, add: bool) -> Result<usize, ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageDirectory)?;
        let ids = user_ids
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| {
                s.trim()
                    .parse::<i64>()
                    .map_err(|_| ApiError::invalid("user_ids", "Pick users from the list."))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if ids.is_empty() {
            return Err(ApiError::invalid("user_ids", "Pick at least one user."));
        }
        directory()?
            .change_members(&actor, group_id, ids, add)
            .await
    }
    .await;
    finish(result)
}

#[server(endpoint = "devices_list")]
pub async fn list_devices(
    q: Option<String>,
    platform: Option<String>,
    after: Option<String>,
) -> Result<ListPage<DeviceView>, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::Read)?;
        let platform = platform
            .filter(|p| !p.is_empty())
            .and_then(|p| crate::domain::directory::Platform::parse(&p));
        directory()?
            .list_devices(q.unwrap_or_default(), platform, after)
            .await
    }
    .await;
    finish(result)
}

#[server(endpoint = "devices_get")]
pub async fn get_device(id: i64) -> Result<DeviceDetail, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::Read)?;
        directory()?.get_device(id).await
    }
    .await;
    finish(result)
}

#[cfg(feature = "ssr")]
mod backend {
    use crate::api::ssr::Actor;
    use crate::domain::ApiError;
    use crate::domain::directory::*;
    use leptos::prelude::*;
    use std::sync::Arc;

    pub struct UserInput {
        pub display_name: String,
        pub sign_in_name: String,
        pub department: String,
        pub enabled: bool,
        /// An update only applies while the user still has this entity tag (REST `If-Match`).
        pub if_match: Option<String>,
    }

    /// The directory service, implemented by the server crate.
    #[async_trait::async_trait]
    pub trait DirectoryBackend: Send + Sync + 'static {
        async fn list_users(
            &self,
            q: String,
            sort: UserSort,
            desc: bool,
            after: Option<String>,
        ) -> Result<ListPage<UserView>, ApiError>;
        async fn get_user(&self, id: i64) -> Result<UserDetail, ApiError>;
        async fn save_user(
            &self,
            actor: &Actor,
            id: Option<i64>,
            input: UserInput,
        ) -> Result<i64, ApiError>;
        async fn set_user_enabled(
            &self,
            actor: &Actor,
            id: i64,
            enabled: bool,
        ) -> Result<(), ApiError>;
        async fn delete_user(&self, actor: &Actor, id: i64) -> Result<(), ApiError>;
        async fn search_users(&self, q: String) -> Result<Vec<UserView>, ApiError>;
        async fn list_groups(
            &self,
            q: String,
            after: Option<String>,
        ) -> Result<ListPage<GroupView>, ApiError>;
        async fn get_group(&self, id: i64) -> Result<GroupDetail, ApiError>;
        /// Creates (no `id`) or changes a group; a change with `if_match` (REST `If-Match`)
        /// only applies while the group's name and description still have that entity tag.
        async fn save_group(
            &self,
            actor: &Actor,
            id: Option<i64>,
            name: String,
            description: String,
            if_match: Option<String>,
        ) -> Result<i64, ApiError>;
        async fn delete_group(&self, actor: &Actor, id: i64) -> Result<(), ApiError>;
        async fn change_members(
            &self,
            actor: &Actor,
            group_id: i64,
            user_ids: Vec<i64>,
            add: bool,
        ) -> Result<usize, ApiError>;
        async fn list_devices(
            &self,
            q: String,
            platform: Option<Platform>,
            after: Option<String>,
        ) -> Result<ListPage<DeviceView>, ApiError>;
        async fn get_device(&self, id: i64) -> Result<DeviceDetail, ApiError>;
    }

    pub type SharedDirectory = Arc<dyn DirectoryBackend>;

    pub fn directory() -> Result<SharedDirectory, ApiError> {
        use_context::<SharedDirectory>().ok_or_else(|| ApiError::Internal {
            reference: "no-directory".into(),
        })
    }
}
