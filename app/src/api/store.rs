//! Store server functions (SPEC S-1 … S-7). Reading needs `Permission::Read`; linking, syncing,
//! removing connections and deploying apps need `Permission::ManageStore` (Global and License
//! admins). The backend decides every license count (see `server/src/store/deploy.rs`).

use crate::domain::ApiError;
use crate::domain::directory::ListPage;
use crate::domain::store::*;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
pub use backend::*;

#[server(endpoint = "store_connections")]
pub async fn list_connections() -> Result<Vec<ConnectionView>, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::Read)?;
        store()?.list_connections().await
    }
    .await;
    finish(result)
}

/// Links the Apple location whose token file this is, or renews the linked location's token.
#[server(endpoint = "store_link_apple")]
pub async fn link_apple(form: AppleLinkForm) -> Result<i64, ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageStore)?;
        store()?.link_apple(&actor, form).await
    }
    .await;
    finish(result)
}

#[server(endpoint = "store_link_microsoft")]
pub async fn link_microsoft(form: MicrosoftLinkForm) -> Result<i64, ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageStore)?;
        store()?.link_microsoft(&actor, form).await
    }
    .await;
    finish(result)
}

/// Starts a sync of the connection now; answers the run's id at once (the page follows it).
#[server(endpoint = "store_sync_now")]
pub async fn sync_now(connection_id: i64) -> Result<i64, ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageStore)?;
        store()?.sync_now(&actor, connection_id).await
    }
    .await;
    finish(result)
}

/// Configure sync: automatic sync on or off for one connection.
#[server(endpoint = "store_configure_sync")]
pub async fn configure_sync(connection_id: i64, auto_sync: bool) -> Result<(), ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageStore)?;
        store()?
            .configure_sync(&actor, connection_id, auto_sync)
            .await
    }
    .await;
    finish(result)
}

/// Removes a connection; `confirmation` must repeat its name. History is kept.
#[server(endpoint = "store_remove_connection")]
pub async fn remove_connection(connection_id: i64, confirmation: String) -> Result<(), ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageStore)?;
        store()?
            .remove_connection(&actor, connection_id, confirmation)
            .await
    }
    .await;
    finish(result)
}

#[server(endpoint = "store_sync_runs")]
pub async fn list_sync_runs(
    connection_id: Option<i64>,
    before_id: Option<i64>,
) -> Result<ListPage<SyncRunView>, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::Read)?;
        store()?.list_runs(connection_id, before_id).await
    }
    .await;
    finish(result)
}

#[server(endpoint = "store_apps")]
pub async fn list_apps(
    filter: StoreAppFilter,
    after: Option<String>,
) -> Result<ListPage<StoreAppView>, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::Read)?;
        store()?.list_apps(filter, after).await
    }
    .await;
    finish(result)
}

#[server(endpoint = "store_app")]
pub async fn get_app(id: i64) -> Result<StoreAppDetail, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::Read)?;
        store()?.get_app(id).await
    }
    .await;
    finish(result)
}

#[server(endpoint = "store_installs")]
pub async fn list_installs(
    app_id: i64,
    status: Option<String>,
    q: Option<String>,
) -> Result<Vec<InstallView>, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::Read)?;
        store()?
            .list_installs(app_id, status.unwrap_or_default(), q.unwrap_or_default())
            .await
    }
    .await;
    finish(result)
}

#[server(endpoint = "store_targets")]
pub async fn search_targets(q: String) -> Result<Vec<Target>, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::ManageStore)?;
        store()?.search_targets(q).await
    }
    .await;
    finish(result)
}

/// Deploys an app to users, groups or devices. Blocked as a whole when licenses run short.
/// `targets` is a comma-separated list such as `group:3,user:12,device:40`.
#[server(endpoint = "store_deploy")]
pub async fn deploy(
    app_id: i64,
    intent: String,
    targets: String,
) -> Result<DeployOutcome, ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageStore)?;
        let form = DeployForm {
            app_id,
            intent,
            targets: parse_targets(&targets)?,
        };
        store()?.deploy(&actor, form).await
    }
    .await;
    finish(result)
}

#[server(endpoint = "store_change_intent")]
pub async fn change_intent(deployment_id: i64, intent: String) -> Result<DeployOutcome, ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageStore)?;
        store()?.change_intent(&actor, deployment_id, intent).await
    }
    .await;
    finish(result)
}

#[server(endpoint = "store_remove_deployment")]
pub async fn remove_deployment(deployment_id: i64) -> Result<DeployOutcome, ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageStore)?;
        store()?.remove_deployment(&actor, deployment_id).await
    }
    .await;
    finish(result)
}

#[cfg(feature = "ssr")]
mod backend {
    use super::*;
    use crate::api::ssr::Actor;
    use std::sync::Arc;

    #[async_trait::async_trait]
    pub trait StoreBackend: Send + Sync {
        async fn list_connections(&self) -> Result<Vec<ConnectionView>, ApiError>;
        async fn link_apple(&self, actor: &Actor, form: AppleLinkForm) -> Result<i64, ApiError>;
        async fn link_microsoft(
            &self,
            actor: &Actor,
            form: MicrosoftLinkForm,
        ) -> Result<i64, ApiError>;
        async fn sync_now(&self, actor: &Actor, connection_id: i64) -> Result<i64, ApiError>;
        async fn configure_sync(
            &self,
            actor: &Actor,
            connection_id: i64,
            auto_sync: bool,
        ) -> Result<(), ApiError>;
        async fn remove_connection(
            &self,
            actor: &Actor,
            connection_id: i64,
            confirmation: String,
        ) -> Result<(), ApiError>;
        async fn list_runs(
            &self,
            connection_id: Option<i64>,
            before_id: Option<i64>,
        ) -> Result<ListPage<SyncRunView>, ApiError>;
        async fn list_apps(
            &self,
            filter: StoreAppFilter,
            after: Option<String>,
        ) -> Result<ListPage<StoreAppView>, ApiError>;
        async fn get_app(&self, id: i64) -> Result<StoreAppDetail, ApiError>;
        async fn list_installs(
            &self,
            app_id: i64,
            status: String,
            q: String,
        ) -> Result<Vec<InstallView>, ApiError>;
        async fn search_targets(&self, q: String) -> Result<Vec<Target>, ApiError>;
        async fn deploy(&self, actor: &Actor, form: DeployForm) -> Result<DeployOutcome, ApiError>;
        async fn change_intent(
            &self,
            actor: &Actor,
            deployment_id: i64,
            intent: String,
        ) -> Result<DeployOutcome, ApiError>;
        async fn remove_deployment(
            &self,
            actor: &Actor,
            deployment_id: i64,
        ) -> Result<DeployOutcome, ApiError>;
    }

    pub type SharedStore = Arc<dyn StoreBackend>;

    pub fn store() -> Result<SharedStore, ApiError> {
        use_context::<SharedStore>().ok_or_else(|| ApiError::Internal {
            reference: "no-store".into(),
        })
    }
}
