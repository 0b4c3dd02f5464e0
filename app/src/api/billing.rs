//! Billing server functions (SPEC B-1 … B-9). Reading needs `Permission::Read`; subscriptions,
//! profiles and invoices need `Permission::ManageBilling` plus, per billing profile, a profile
//! role that allows the action (checked by the backend); ISV license assignment needs
//! `Permission::AssignLicenses` (Global, License and User admins).
//!
//! Mutations that cost or move money (quantity change, cancel, mark paid) take an optional
//! `idempotency_key`: a retried request with the same key has exactly one effect.

use crate::domain::ApiError;
use crate::domain::billing::*;
use crate::domain::directory::ListPage;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
pub use backend::*;

#[server(endpoint = "billing_subscriptions_list")]
pub async fn list_subscriptions(
    status: Option<String>,
    q: Option<String>,
) -> Result<Vec<SubscriptionView>, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::Read)?;
        billing()?
            .list_subscriptions(status.unwrap_or_default(), q.unwrap_or_default())
            .await
    }
    .await;
    finish(result)
}

#[server(endpoint = "billing_subscription_get")]
pub async fn get_subscription(id: i64) -> Result<SubscriptionDetail, ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::Read)?;
        billing()?.get_subscription(&actor, id).await
    }
    .await;
    finish(result)
}

/// Records a subscription bought in a marketplace, through a partner or from a vendor proposal.
/// It starts pending activation.
#[server(endpoint = "billing_subscription_add")]
pub async fn add_subscription(form: NewSubscriptionForm) -> Result<i64, ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageBilling)?;
        billing()?.add_subscription(&actor, form).await
    }
    .await;
    finish(result)
}

/// "Manage in publisher's portal": records the activation done there (pending → active) and
/// returns the portal address to open. For an active subscription it only returns the address.
#[server(endpoint = "billing_subscription_activate")]
pub async fn activate_subscription(id: i64) -> Result<String, ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageBilling)?;
        billing()?.activate(&actor, id).await
    }
    .await;
    finish(result)
}

#[server(endpoint = "billing_subscription_quantity")]
pub async fn change_quantity(
    id: i64,
    quantity: String,
    idempotency_key: Option<String>,
) -> Result<AdjustmentView, ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageBilling)?;
        billing()?
            .change_quantity(&actor, id, quantity, idempotency_key)
            .await
    }
    .await;
    finish(result)
}

/// Records how many licenses the publisher's portal reports as assigned.
#[server(endpoint = "billing_subscription_assigned")]
pub async fn record_assigned(id: i64, assigned: String) -> Result<(), ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageBilling)?;
        billing()?.record_assigned(&actor, id, assigned).await
    }
    .await;
    finish(result)
}

#[server(endpoint = "billing_subscription_profile")]
pub async fn change_subscription_profile(id: i64, profile_id: i64) -> Result<(), ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageBilling)?;
        billing()?.change_profile(&actor, id, profile_id).await
    }
    .await;
    finish(result)
}

#[server(endpoint = "billing_subscription_cancel")]
pub async fn cancel_subscription(id: i64, idempotency_key: Option<String>) -> Result<(), ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageBilling)?;
        billing()?.cancel(&actor, id, idempotency_key).await
    }
    .await;
    finish(result)
}

#[server(endpoint = "billing_profiles_list")]
pub async fn list_profiles() -> Result<Vec<ProfileView>, ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::Read)?;
        billing()?.list_profiles(&actor).await
    }
    .await;
    finish(result)
}

/// Creates (no `id`) or edits a billing profile. The creator becomes its owner.
#[server(endpoint = "billing_profile_save")]
pub async fn save_profile(form: ProfileForm) -> Result<i64, ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageBilling)?;
        billing()?.save_profile(&actor, form).await
    }
    .await;
    finish(result)
}

#[server(endpoint = "billing_payment_method_add")]
pub async fn add_payment_method(form: PaymentMethodForm) -> Result<i64, ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageBilling)?;
        billing()?.add_payment_method(&actor, form).await
    }
    .await;
    finish(result)
}

#[server(endpoint = "billing_payment_method_remove")]
pub async fn remove_payment_method(id: i64) -> Result<(), ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageBilling)?;
        billing()?.remove_payment_method(&actor, id).await
    }
    .await;
    finish(result)
}

/// Gives an admin a role on a billing profile; an empty `role` takes it away.
#[server(endpoint = "billing_profile_role")]
pub async fn set_profile_role(
    profile_id: i64,
    username: String,
    role: String,
) -> Result<(), ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageBilling)?;
        billing()?
            .set_profile_role(&actor, profile_id, username, role)
            .await
    }
    .await;
    finish(result)
}

#[server(endpoint = "billing_invoices_list")]
pub async fn list_invoices(
    status: Option<String>,
    profile_id: Option<i64>,
    after: Option<String>,
) -> Result<ListPage<InvoiceView>, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::Read)?;
        billing()?
            .list_invoices(status.unwrap_or_default(), profile_id, after)
            .await
    }
    .await;
    finish(result)
}

#[server(endpoint = "billing_invoice_get")]
pub async fn get_invoice(id: i64) -> Result<InvoiceDetail, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::Read)?;
        billing()?.get_invoice(id).await
    }
    .await;
    finish(result)
}

#[server(endpoint = "billing_invoice_mark_paid")]
pub async fn mark_paid(id: i64, idempotency_key: Option<String>) -> Result<(), ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageBilling)?;
        billing()?.mark_paid(&actor, id, idempotency_key).await
    }
    .await;
    finish(result)
}

#[server(endpoint = "isv_apps_list")]
pub async fn list_isv_apps() -> Result<Vec<IsvAppView>, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::Read)?;
        billing()?.list_isv_apps().await
    }
    .await;
    finish(result)
}

#[server(endpoint = "isv_app_get")]
pub async fn get_isv_app(id: i64) -> Result<IsvAppDetail, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::Read)?;
        billing()?.get_isv_app(id).await
    }
    .await;
    finish(result)
}

/// Records an ISV app bought from a vendor, with the quantity the vendor states.
#[server(endpoint = "isv_app_add")]
pub async fn add_isv_app(form: IsvAppForm) -> Result<i64, ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::ManageBilling)?;
        billing()?.add_isv_app(&actor, form).await
    }
    .await;
    finish(result)
}

/// Users and groups whose name matches, for the Assign licenses panel.
#[server(endpoint = "isv_principals")]
pub async fn search_principals(q: String) -> Result<Vec<Principal>, ApiError> {
    use super::ssr::*;
    let result = async {
        authorize(crate::domain::Permission::AssignLicenses)?;
        billing()?.search_principals(q).await
    }
    .await;
    finish(result)
}

/// Assigns licenses to the principals `user:ID` / `group:ID` (comma-separated), all or none.
/// Returns how many licenses are in use afterwards.
#[server(endpoint = "isv_assign")]
pub async fn assign_isv(app_id: i64, principals: String) -> Result<i64, ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::AssignLicenses)?;
        let list = parse_principals(&principals)?;
        billing()?.assign(&actor, app_id, list).await
    }
    .await;
    finish(result)
}

/// Removes the assignments with these ids (comma-separated). Returns how many were removed.
#[server(endpoint = "isv_unassign")]
pub async fn unassign_isv(app_id: i64, assignment_ids: String) -> Result<i64, ApiError> {
    use super::ssr::*;
    let result = async {
        let actor = authorize(crate::domain::Permission::AssignLicenses)?;
        let ids: Result<Vec<i64>, _> = assignment_ids
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().parse::<i64>())
            .collect();
        let ids = ids.map_err(|_| {
            ApiError::invalid("assignment_ids", "Select the users and groups to unassign.")
        })?;
        billing()?.unassign(&actor, app_id, ids).await
    }
    .await;
    finish(result)
}

/// `user:12,group:3` → [("user", 12), ("group", 3)].
pub fn parse_principals(s: &str) -> Result<Vec<(String, i64)>, ApiError> {
    let bad = || {
        ApiError::invalid(
            "principals",
            "Pick at least one user or group from the results.",
        )
    };
    let mut out = vec![];
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (kind, id) = part.split_once(':').ok_or_else(bad)?;
        if kind != "user" && kind != "group" {
            return Err(bad());
        }
        out.push((kind.to_string(), id.parse().map_err(|_| bad())?));
    }
    if out.is_empty() {
        return Err(bad());
    }
    Ok(out)
}

#[cfg(feature = "ssr")]
mod backend {
    use crate::api::ssr::Actor;
    use crate::domain::ApiError;
    use crate::domain::billing::*;
    use crate::domain::directory::ListPage;
    use leptos::prelude::*;
    use std::sync::Arc;

    #[async_trait::async_trait]
    pub trait BillingBackend: Send + Sync + 'static {
        async fn list_subscriptions(
            &self,
            status: String,
            q: String,
        ) -> Result<Vec<SubscriptionView>, ApiError>;
        async fn get_subscription(
            &self,
            actor: &Actor,
            id: i64,
        ) -> Result<SubscriptionDetail, ApiError>;
        async fn add_subscription(
            &self,
            actor: &Actor,
            form: NewSubscriptionForm,
        ) -> Result<i64, ApiError>;
        async fn activate(&self, actor: &Actor, id: i64) -> Result<String, ApiError>;
        async fn change_quantity(
            &self,
            actor: &Actor,
            id: i64,
            quantity: String,
            key: Option<String>,
        ) -> Result<AdjustmentView, ApiError>;
        async fn record_assigned(
            &self,
            actor: &Actor,
            id: i64,
            assigned: String,
        ) -> Result<(), ApiError>;
        async fn change_profile(
            &self,
            actor: &Actor,
            id: i64,
            profile_id: i64,
        ) -> Result<(), ApiError>;
        async fn cancel(&self, actor: &Actor, id: i64, key: Option<String>)
        -> Result<(), ApiError>;
        async fn list_profiles(&self, actor: &Actor) -> Result<Vec<ProfileView>, ApiError>;
        async fn save_profile(&self, actor: &Actor, form: ProfileForm) -> Result<i64, ApiError>;
        async fn add_payment_method(
            &self,
            actor: &Actor,
            form: PaymentMethodForm,
        ) -> Result<i64, ApiError>;
        async fn remove_payment_method(&self, actor: &Actor, id: i64) -> Result<(), ApiError>;
        async fn set_profile_role(
            &self,
            actor: &Actor,
            profile_id: i64,
            username: String,
            role: String,
        ) -> Result<(), ApiError>;
        async fn list_invoices(
            &self,
            status: String,
            profile_id: Option<i64>,
            after: Option<String>,
        ) -> Result<ListPage<InvoiceView>, ApiError>;
        async fn get_invoice(&self, id: i64) -> Result<InvoiceDetail, ApiError>;
        async fn mark_paid(
            &self,
            actor: &Actor,
            id: i64,
            key: Option<String>,
        ) -> Result<(), ApiError>;
        async fn list_isv_apps(&self) -> Result<Vec<IsvAppView>, ApiError>;
        async fn get_isv_app(&self, id: i64) -> Result<IsvAppDetail, ApiError>;
        async fn add_isv_app(&self, actor: &Actor, form: IsvAppForm) -> Result<i64, ApiError>;
        async fn search_principals(&self, q: String) -> Result<Vec<Principal>, ApiError>;
        async fn assign(
            &self,
            actor: &Actor,
            app_id: i64,
            principals: Vec<(String, i64)>,
        ) -> Result<i64, ApiError>;
        async fn unassign(
            &self,
            actor: &Actor,
            app_id: i64,
            ids: Vec<i64>,
        ) -> Result<i64, ApiError>;
    }

    pub type SharedBilling = Arc<dyn BillingBackend>;

    pub fn billing() -> Result<SharedBilling, ApiError> {
        use_context::<SharedBilling>().ok_or_else(|| ApiError::Internal {
            reference: "no-billing".into(),
        })
    }
}
