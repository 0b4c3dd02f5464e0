//! Licenses server functions (SPEC L-1, L-2, L-4, L-5). Reading needs `Permission::Read`;
//! changing needs `Permission::ManageAgreements` (License admin, Global admin).

use crate::domain::ApiError;
use crate::domain::directory::ListPage;
use crate::domain::licenses::{AgreementView, LicenseGroupView};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
pub use backend::*;

#[server(endpoint = "license_groups_list")]
pub async fn list_license_groups() -> Result<Vec<LicenseGroupView>, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::Read)?;
        licenses()?.list_groups().await
    }
    .await;
    finish(result)
}

#[server(endpoint = "license_groups_create")]
pub async fn create_license_group(group_name: String) -> Result<i64, ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageAgreements)?;
        licenses()?.create_group(&actor, group_name).await
    }
    .await;
    finish(result)
}

#[server(endpoint = "license_groups_rename")]
pub async fn rename_license_group(id: i64, group_name: String) -> Result<(), ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageAgreements)?;
        licenses()?.rename_group(&actor, id, group_name).await
    }
    .await;
    finish(result)
}

/// Deletes a license group; its agreements move to Unassigned agreements. Returns how many moved.
#[server(endpoint = "license_groups_delete")]
pub async fn delete_license_group(id: i64) -> Result<i64, ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageAgreements)?;
        licenses()?.delete_group(&actor, id).await
    }
    .await;
    finish(result)
}

#[server(endpoint = "agreements_list")]
pub async fn list_agreements(
    q: Option<String>,
    group_id: Option<i64>,
    after: Option<String>,
) -> Result<ListPage<AgreementView>, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::Read)?;
        licenses()?
            .list_agreements(q.unwrap_or_default(), group_id, after)
            .await
    }
    .await;
    finish(result)
}

/// Adds one volume licensing agreement with all the number sets entered (`firsts[i]` pairs with
/// `seconds[i]`).
#[server(endpoint = "agreements_add_volume")]
pub async fn add_volume_agreement(
    name: String,
    firsts: Vec<String>,
    seconds: Vec<String>,
    group: String,
    group_id: Option<i64>,
    new_group: Option<String>,
) -> Result<i64, ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageAgreements)?;
        let choice = crate::domain::licenses::GroupChoice::from_form(
            &group,
            group_id,
            new_group.as_deref(),
        )?;
        if firsts.len() != seconds.len() {
            return Err(ApiError::BadRequest(
                "Every number set needs two numbers.".into(),
            ));
        }
        let sets = firsts.into_iter().zip(seconds).collect();
        licenses()?.add_volume(&actor, name, sets, choice).await
    }
    .await;
    finish(result)
}

#[server(endpoint = "agreements_add_other")]
pub async fn add_other_agreement(
    form: crate::domain::licenses::OtherAgreementForm,
) -> Result<i64, ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageAgreements)?;
        let choice = crate::domain::licenses::GroupChoice::from_form(
            &form.group,
            form.group_id,
            form.new_group.as_deref(),
        )?;
        licenses()?.add_other(&actor, form, choice).await
    }
    .await;
    finish(result)
}

#[server(endpoint = "agreements_delete")]
pub async fn delete_agreement(id: i64) -> Result<(), ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageAgreements)?;
        licenses()?.delete_agreement(&actor, id).await
    }
    .await;
    finish(result)
}

/// Type-ahead over the software catalog's publishers (substring: "soft" finds Microsoft).
#[server(endpoint = "catalog_publishers")]
pub async fn catalog_publishers(q: String) -> Result<Vec<String>, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::Read)?;
        licenses()?.publishers(q).await
    }
    .await;
    finish(result)
}

/// Type-ahead over one publisher's product titles.
#[server(endpoint = "catalog_products")]
pub async fn catalog_products(publisher: String, q: String) -> Result<Vec<String>, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::Read)?;
        licenses()?.products(publisher, q).await
    }
    .await;
    finish(result)
}

/// License installation report: installations on managed computers vs licenses owned.
#[server(endpoint = "report_installation")]
pub async fn installation_report(
    scope: Option<String>,
) -> Result<crate::domain::licenses::InstallationReport, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::Read)?;
        let scope = crate::domain::licenses::SoftwareScope::parse(scope.as_deref().unwrap_or(""));
        licenses()?.installation_report(scope).await
    }
    .await;
    finish(result)
}

/// License purchase report for the selected license groups (comma-separated ids; none = all).
#[server(endpoint = "report_purchase")]
pub async fn purchase_report(
    groups: Option<String>,
    scope: Option<String>,
) -> Result<crate::domain::licenses::PurchaseReport, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::Read)?;
        let scope = crate::domain::licenses::SoftwareScope::parse(scope.as_deref().unwrap_or(""));
        let ids = groups
            .unwrap_or_default()
            .split(',')
            .filter_map(|g| g.trim().parse::<i64>().ok())
            .collect();
        licenses()?.purchase_report(ids, scope).await
    }
    .await;
    finish(result)
}

/// Refresh now: validates every number set and fetches entitlements from the licensing service.
#[server(endpoint = "licenses_refresh")]
pub async fn refresh_licenses() -> Result<crate::domain::licenses::RefreshReport, ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageAgreements)?;
        licenses()?.refresh(&actor).await
    }
    .await;
    finish(result)
}

#[server(endpoint = "licenses_refresh_status")]
pub async fn refresh_status() -> Result<crate::domain::licenses::RefreshStatus, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::Read)?;
        licenses()?.refresh_status().await
    }
    .await;
    finish(result)
}

#[cfg(feature = "ssr")]
mod backend {
    use crate::api::ssr::Actor;
    use crate::domain::ApiError;
    use crate::domain::directory::ListPage;
    use crate::domain::licenses::*;
    use leptos::prelude::*;
    use std::sync::Arc;

    #[async_trait::async_trait]
    pub trait LicensesBackend: Send + Sync + 'static {
        async fn list_groups(&self) -> Result<Vec<LicenseGroupView>, ApiError>;
        async fn create_group(&self, actor: &Actor, name: String) -> Result<i64, ApiError>;
        async fn rename_group(&self, actor: &Actor, id: i64, name: String) -> Result<(), ApiError>;
        async fn delete_group(&self, actor: &Actor, id: i64) -> Result<i64, ApiError>;
        async fn list_agreements(
            &self,
            q: String,
            group_id: Option<i64>,
            after: Option<String>,
        ) -> Result<ListPage<AgreementView>, ApiError>;
        async fn add_volume(
            &self,
            actor: &Actor,
            name: String,
            sets: Vec<(String, String)>,
            group: GroupChoice,
        ) -> Result<i64, ApiError>;
        async fn add_other(
            &self,
            actor: &Actor,
            input: OtherAgreementForm,
            group: GroupChoice,
        ) -> Result<i64, ApiError>;
        async fn delete_agreement(&self, actor: &Actor, id: i64) -> Result<(), ApiError>;
        async fn publishers(&self, q: String) -> Result<Vec<String>, ApiError>;
        async fn products(&self, publisher: String, q: String) -> Result<Vec<String>, ApiError>;
        async fn refresh(&self, actor: &Actor) -> Result<RefreshReport, ApiError>;
        async fn refresh_status(&self) -> Result<RefreshStatus, ApiError>;
        async fn installation_report(
            &self,
            scope: SoftwareScope,
        ) -> Result<InstallationReport, ApiError>;
        async fn purchase_report(
            &self,
            groups: Vec<i64>,
            scope: SoftwareScope,
        ) -> Result<PurchaseReport, ApiError>;
    }

    pub type SharedLicenses = Arc<dyn LicensesBackend>;

    pub fn licenses() -> Result<SharedLicenses, ApiError> {
        use_context::<SharedLicenses>().ok_or_else(|| ApiError::Internal {
            reference: "no-licenses".into(),
        })
    }
}
