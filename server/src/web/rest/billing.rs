//! `/api/v1/subscriptions`, `/billing-profiles`, `/invoices`, `/isv-apps` (SPEC B-1 … B-9 for
//! scripts): the billing backend's own methods behind the permissions the server functions
//! check. Profile roles, the lifecycle, proration and idempotency live in the backend.
//! The request bodies live in `billing/bodies.rs`.

mod bodies;

use super::extract::{Api, Body, IdempotencyKey, Paged, created, page};
use super::problem::{Problem, ProblemDetails, renamed};
use crate::web::AppState;
use app::api::billing::BillingBackend;
use app::domain::billing::{
    AdjustmentView, InvoiceDetail, InvoiceStatus, InvoiceView, IsvAppDetail, IsvAppView,
    ProfileView, SubscriptionView,
};
use app::domain::{ApiError, Permission};
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bodies::*;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_subscriptions, create_subscription))
        .routes(routes!(get_subscription))
        .routes(routes!(activate_subscription))
        .routes(routes!(change_quantity))
        .routes(routes!(change_profile))
        .routes(routes!(cancel_subscription))
        .routes(routes!(list_profiles, create_profile))
        .routes(routes!(get_profile, update_profile))
        .routes(routes!(add_payment_method))
        .routes(routes!(remove_payment_method))
        .routes(routes!(list_invoices))
        .routes(routes!(get_invoice))
        .routes(routes!(mark_invoice_paid))
        .routes(routes!(list_isv_apps))
        .routes(routes!(get_isv_app))
        .routes(routes!(assign_isv))
        .routes(routes!(unassign_isv))
}

/// The backend as the server functions see it (the trait, never an inherent shortcut).
fn billing(state: &AppState) -> &dyn BillingBackend {
    state.billing.as_ref()
}

async fn subscription(
    state: &AppState,
    actor: &app::api::ssr::Actor,
    id: i64,
) -> Result<Subscription, Problem> {
    Ok(billing(state).get_subscription(actor, id).await?.into())
}

/// List subscriptions (at most 500, as the Subscriptions page shows them).
#[utoipa::path(get, path = "/subscriptions", tag = "billing", params(SubscriptionQuery),
    responses((status = 200, body = Paged<SubscriptionView>), (status = 422, body = ProblemDetails)))]
async fn list_subscriptions(
    api: Api,
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<SubscriptionQuery>,
) -> Result<Response, Problem> {
    api.allow(Permission::Read)?;
    let list = billing(&state)
        .list_subscriptions(q.status.unwrap_or_default(), q.q.unwrap_or_default())
        .await
        .map_err(|e| match e {
            // The only thing the list refuses is an unknown status filter.
            ApiError::BadRequest(_) => ApiError::invalid(
                "status",
                "Status is pending_activation, active or disabled.",
            ),
            e => e,
        })?;
    Ok(page(&uri, Paged::whole(list)))
}

/// Record a subscription; it starts pending activation. Needs the Purchase role on the profile.
#[utoipa::path(post, path = "/subscriptions", tag = "billing", request_body = SubscriptionBody,
    responses((status = 201, body = Subscription, headers(("Location" = String))),
        (status = 403, body = ProblemDetails), (status = 409, body = ProblemDetails),
        (status = 422, body = ProblemDetails)))]
async fn create_subscription(
    api: Api,
    State(state): State<AppState>,
    Body(body): Body<SubscriptionBody>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageBilling)?;
    let id = billing(&state)
        .add_subscription(&actor, body.form())
        .await?;
    Ok(created(
        format!("/api/v1/subscriptions/{id}"),
        subscription(&state, &actor, id).await?,
    ))
}

/// Read a subscription with its quantity changes.
#[utoipa::path(get, path = "/subscriptions/{id}", tag = "billing", params(("id" = i64, Path)),
    responses((status = 200, body = Subscription), (status = 404, body = ProblemDetails)))]
async fn get_subscription(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::Read)?;
    Ok(axum::Json(subscription(&state, &actor, id).await?).into_response())
}

/// Record the activation done in the publisher's portal (pending → active; billing starts).
/// For an active subscription it only answers the portal address.
#[utoipa::path(post, path = "/subscriptions/{id}/activate", tag = "billing",
    params(("id" = i64, Path)),
    responses((status = 200, body = Activated), (status = 404, body = ProblemDetails),
        (status = 409, body = ProblemDetails)))]
async fn activate_subscription(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageBilling)?;
    let portal_url = billing(&state).activate(&actor, id).await?;
    Ok(axum::Json(Activated { portal_url }).into_response())
}

/// Change the license quantity (per-license subscriptions; charged or credited pro rata).
/// With an `Idempotency-Key`, a retry answers the first result and changes nothing more.
#[utoipa::path(post, path = "/subscriptions/{id}/quantity", tag = "billing",
    params(("id" = i64, Path),
        ("Idempotency-Key" = Option<String>, Header,
            description = "1 to 100 letters, digits, - or _; the same key again replays the first answer")),
    request_body = QuantityBody,
    responses((status = 200, body = AdjustmentView), (status = 404, body = ProblemDetails),
        (status = 409, body = ProblemDetails), (status = 422, body = ProblemDetails)))]
async fn change_quantity(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    IdempotencyKey(key): IdempotencyKey,
    Body(body): Body<QuantityBody>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageBilling)?;
    let adjustment = billing(&state)
        .change_quantity(&actor, id, body.text(), key)
        .await
        .map_err(|e| renamed(e, "idempotency_key", "Idempotency-Key"))?;
    Ok(axum::Json(adjustment).into_response())
}

/// Bill a subscription to another billing profile (Purchase role on both profiles).
#[utoipa::path(put, path = "/subscriptions/{id}/profile", tag = "billing",
    params(("id" = i64, Path)), request_body = ProfileBody,
    responses((status = 200, body = Subscription), (status = 404, body = ProblemDetails),
        (status = 409, body = ProblemDetails), (status = 422, body = ProblemDetails)))]
async fn change_profile(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Body(body): Body<ProfileBody>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageBilling)?;
    billing(&state)
        .change_profile(&actor, id, body.id()?)
        .await?;
    Ok(axum::Json(subscription(&state, &actor, id).await?).into_response())
}

/// Cancel a subscription. Disabled is final: it cannot be reactivated.
#[utoipa::path(post, path = "/subscriptions/{id}/cancel", tag = "billing",
    params(("id" = i64, Path),
        ("Idempotency-Key" = Option<String>, Header,
            description = "1 to 100 letters, digits, - or _; the same key again replays the first answer")),
    responses((status = 200, body = Subscription), (status = 404, body = ProblemDetails),
        (status = 409, body = ProblemDetails), (status = 422, body = ProblemDetails)))]
async fn cancel_subscription(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    IdempotencyKey(key): IdempotencyKey,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageBilling)?;
    billing(&state)
        .cancel(&actor, id, key)
        .await
        .map_err(|e| renamed(e, "idempotency_key", "Idempotency-Key"))?;
    Ok(axum::Json(subscription(&state, &actor, id).await?).into_response())
}

/// List billing profiles with their payment methods, roles and the caller's own role.
#[utoipa::path(get, path = "/billing-profiles", tag = "billing",
    responses((status = 200, body = Paged<ProfileView>), (status = 401, body = ProblemDetails)))]
async fn list_profiles(
    api: Api,
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::Read)?;
    let list = billing(&state).list_profiles(&actor).await?;
    Ok(page(&uri, Paged::whole(list)))
}

async fn profile_answer(
    state: &AppState,
    actor: &app::api::ssr::Actor,
    id: i64,
) -> Result<ProfileView, Problem> {
    let list = billing(state).list_profiles(actor).await?;
    list.into_iter()
        .find(|p| p.id == id)
        .ok_or_else(|| ApiError::NotFound.into())
}

/// Add a billing profile; the caller (the token's creator) becomes its owner.
#[utoipa::path(post, path = "/billing-profiles", tag = "billing", request_body = BillingProfileBody,
    responses((status = 201, body = ProfileView, headers(("Location" = String))),
        (status = 403, body = ProblemDetails), (status = 422, body = ProblemDetails)))]
async fn create_profile(
    api: Api,
    State(state): State<AppState>,
    Body(body): Body<BillingProfileBody>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageBilling)?;
    let id = billing(&state)
        .save_profile(&actor, body.form(None))
        .await?;
    Ok(created(
        format!("/api/v1/billing-profiles/{id}"),
        profile_answer(&state, &actor, id).await?,
    ))
}

/// Read a billing profile.
#[utoipa::path(get, path = "/billing-profiles/{id}", tag = "billing", params(("id" = i64, Path)),
    responses((status = 200, body = ProfileView), (status = 404, body = ProblemDetails)))]
async fn get_profile(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::Read)?;
    Ok(axum::Json(profile_answer(&state, &actor, id).await?).into_response())
}

/// Change a billing profile's name, contact or address (Change role on the profile).
#[utoipa::path(put, path = "/billing-profiles/{id}", tag = "billing", params(("id" = i64, Path)),
    request_body = BillingProfileBody,
    responses((status = 200, body = ProfileView), (status = 409, body = ProblemDetails),
        (status = 422, body = ProblemDetails)))]
async fn update_profile(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Body(body): Body<BillingProfileBody>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageBilling)?;
    billing(&state)
        .save_profile(&actor, body.form(Some(id)))
        .await?;
    Ok(axum::Json(profile_answer(&state, &actor, id).await?).into_response())
}

/// Add a payment method to a billing profile; answers the profile with its methods.
#[utoipa::path(post, path = "/billing-profiles/{id}/payment-methods", tag = "billing",
    params(("id" = i64, Path)), request_body = PaymentMethodBody,
    responses((status = 200, body = ProfileView), (status = 409, body = ProblemDetails),
        (status = 422, body = ProblemDetails)))]
async fn add_payment_method(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Body(body): Body<PaymentMethodBody>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageBilling)?;
    billing(&state)
        .add_payment_method(&actor, body.form(id))
        .await?;
    Ok(axum::Json(profile_answer(&state, &actor, id).await?).into_response())
}

/// Remove a payment method (refused for the last one of a profile that still pays).
#[utoipa::path(delete, path = "/payment-methods/{id}", tag = "billing", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ProblemDetails), (status = 409, body = ProblemDetails)))]
async fn remove_payment_method(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageBilling)?;
    billing(&state).remove_payment_method(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// List invoices, newest period first.
#[utoipa::path(get, path = "/invoices", tag = "billing", params(InvoiceQuery),
    responses((status = 200, body = Paged<InvoiceView>), (status = 400, body = ProblemDetails),
        (status = 422, body = ProblemDetails)))]
async fn list_invoices(
    api: Api,
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<InvoiceQuery>,
) -> Result<Response, Problem> {
    api.allow(Permission::Read)?;
    let status = q.status.unwrap_or_default().trim().to_string();
    if !status.is_empty() && status.parse::<InvoiceStatus>().is_err() {
        return Err(ApiError::invalid("status", "Status is open, paid or overdue.").into());
    }
    let list = billing(&state)
        .list_invoices(status, q.profile_id, q.cursor)
        .await?;
    Ok(page(&uri, list.into()))
}

/// Read an invoice with its lines and whom it is billed to.
#[utoipa::path(get, path = "/invoices/{id}", tag = "billing", params(("id" = i64, Path)),
    responses((status = 200, body = InvoiceDetail), (status = 404, body = ProblemDetails)))]
async fn get_invoice(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    api.allow(Permission::Read)?;
    Ok(axum::Json(billing(&state).get_invoice(id).await?).into_response())
}

/// Mark an invoice paid (Pay role on its profile).
#[utoipa::path(post, path = "/invoices/{id}/paid", tag = "billing",
    params(("id" = i64, Path),
        ("Idempotency-Key" = Option<String>, Header,
            description = "1 to 100 letters, digits, - or _; the same key again replays the first answer")),
    responses((status = 200, body = InvoiceDetail), (status = 404, body = ProblemDetails),
        (status = 409, body = ProblemDetails), (status = 422, body = ProblemDetails)))]
async fn mark_invoice_paid(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    IdempotencyKey(key): IdempotencyKey,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageBilling)?;
    billing(&state)
        .mark_paid(&actor, id, key)
        .await
        .map_err(|e| renamed(e, "idempotency_key", "Idempotency-Key"))?;
    Ok(axum::Json(billing(&state).get_invoice(id).await?).into_response())
}

/// List ISV apps with owned and assigned licenses.
#[utoipa::path(get, path = "/isv-apps", tag = "billing",
    responses((status = 200, body = Paged<IsvAppView>), (status = 401, body = ProblemDetails)))]
async fn list_isv_apps(
    api: Api,
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, Problem> {
    api.allow(Permission::Read)?;
    let list = billing(&state).list_isv_apps().await?;
    Ok(page(&uri, Paged::whole(list)))
}

/// Read an ISV app and its assignments.
#[utoipa::path(get, path = "/isv-apps/{id}", tag = "billing", params(("id" = i64, Path)),
    responses((status = 200, body = IsvAppDetail), (status = 404, body = ProblemDetails)))]
async fn get_isv_app(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    api.allow(Permission::Read)?;
    Ok(axum::Json(billing(&state).get_isv_app(id).await?).into_response())
}

/// Assign licenses of an ISV app to users and groups: all or none, refused (409) when the
/// owned quantity would be exceeded.
#[utoipa::path(post, path = "/isv-apps/{id}/assignments", tag = "billing",
    params(("id" = i64, Path)), request_body = AssignBody,
    responses((status = 200, body = Assigned), (status = 404, body = ProblemDetails),
        (status = 409, body = ProblemDetails), (status = 422, body = ProblemDetails)))]
async fn assign_isv(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Body(body): Body<AssignBody>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::AssignLicenses)?;
    let in_use = billing(&state)
        .assign(&actor, id, body.principals()?)
        .await?;
    Ok(axum::Json(Assigned { in_use }).into_response())
}

/// Remove one assignment of an ISV app (its id is in the app's `assignments`).
#[utoipa::path(delete, path = "/isv-apps/{id}/assignments/{assignment_id}", tag = "billing",
    params(("id" = i64, Path), ("assignment_id" = i64, Path)),
    responses((status = 204), (status = 404, body = ProblemDetails), (status = 409, body = ProblemDetails)))]
async fn unassign_isv(
    api: Api,
    State(state): State<AppState>,
    Path((id, assignment_id)): Path<(i64, i64)>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::AssignLicenses)?;
    billing(&state)
        .unassign(&actor, id, vec![assignment_id])
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
