//! `/api/v1/licenses/…` (SPEC L-1, L-2, L-4 … L-6 for scripts): agreements, license groups,
//! the software catalog, Refresh now and the reports. Each handler authorises as the matching
//! server function in `app::api::licenses` does and calls the same `LicensesBackend` method.

use super::extract::{Api, Body, Paged, created, page};
use super::problem::{Problem, ProblemDetails, renamed};
use crate::web::AppState;
use app::api::licenses::LicensesBackend;
use app::domain::licenses::{
    AgreementView, GroupChoice, InstallationReport, LicenseGroupView, OtherAgreementForm,
    PurchaseReport, RefreshReport, RefreshStatus, SoftwareScope,
};
use app::domain::{ApiError, Permission};
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_license_groups, create_license_group))
        .routes(routes!(
            get_license_group,
            rename_group,
            delete_license_group
        ))
        .routes(routes!(list_agreements))
        .routes(routes!(get_agreement, delete_agreement))
        .routes(routes!(add_volume))
        .routes(routes!(add_other))
        .routes(routes!(publishers))
        .routes(routes!(products))
        .routes(routes!(refresh_status, refresh))
        .routes(routes!(installation_report))
        .routes(routes!(purchase_report))
}

/// `?scope=`: strict here (the page's parser falls back to all software on anything else).
fn scope(raw: Option<&str>) -> Result<SoftwareScope, Problem> {
    match raw.map(str::trim).unwrap_or("") {
        "" | "all" => Ok(SoftwareScope::All),
        s @ ("microsoft" | "other") => Ok(SoftwareScope::parse(s)),
        _ => Err(ApiError::invalid("scope", "Scope is all, microsoft or other.").into()),
    }
}

fn group_view(list: Vec<LicenseGroupView>, id: i64) -> Result<LicenseGroupView, Problem> {
    Ok(list
        .into_iter()
        .find(|g| g.id == id)
        .ok_or(ApiError::NotFound)?)
}

/// List license groups (the built-in Unassigned agreements first).
#[utoipa::path(get, path = "/licenses/groups", tag = "licenses",
    responses((status = 200, body = Paged<LicenseGroupView>), (status = 401, body = ProblemDetails)))]
async fn list_license_groups(api: Api, State(state): State<AppState>) -> Result<Response, Problem> {
    api.allow(Permission::Read)?;
    let items = state.licenses.list_groups().await?;
    Ok(axum::Json(Paged::whole(items)).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"name": "Microsoft EA"}))]
pub struct GroupBody {
    /// 1 to 128 characters, not the built-in group's name.
    pub name: String,
}

/// Add a license group (at most 500).
#[utoipa::path(post, path = "/licenses/groups", tag = "licenses", request_body = GroupBody,
    responses((status = 201, body = LicenseGroupView, headers(("Location" = String))),
        (status = 409, body = ProblemDetails), (status = 422, body = ProblemDetails)))]
async fn create_license_group(
    api: Api,
    State(state): State<AppState>,
    Body(body): Body<GroupBody>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageAgreements)?;
    let id = state
        .licenses
        .create_group(&actor, body.name)
        .await
        .map_err(|e| renamed(e, "group_name", "name"))?;
    let group = group_view(state.licenses.list_groups().await?, id)?;
    Ok(created(format!("/api/v1/licenses/groups/{id}"), group))
}

/// Read a license group.
#[utoipa::path(get, path = "/licenses/groups/{id}", tag = "licenses", params(("id" = i64, Path)),
    responses((status = 200, body = LicenseGroupView), (status = 404, body = ProblemDetails)))]
async fn get_license_group(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    api.allow(Permission::Read)?;
    let group = group_view(state.licenses.list_groups().await?, id)?;
    Ok(axum::Json(group).into_response())
}

/// Rename a license group (not the built-in one).
#[utoipa::path(put, path = "/licenses/groups/{id}", tag = "licenses", params(("id" = i64, Path)),
    request_body = GroupBody,
    responses((status = 200, body = LicenseGroupView), (status = 404, body = ProblemDetails),
        (status = 409, body = ProblemDetails), (status = 422, body = ProblemDetails)))]
async fn rename_group(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Body(body): Body<GroupBody>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageAgreements)?;
    state
        .licenses
        .rename_group(&actor, id, body.name)
        .await
        .map_err(|e| renamed(e, "group_name", "name"))?;
    let group = group_view(state.licenses.list_groups().await?, id)?;
    Ok(axum::Json(group).into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupDeleted {
    /// Agreements moved to Unassigned agreements.
    pub moved: i64,
}

/// Delete a license group; its agreements move to Unassigned agreements.
#[utoipa::path(delete, path = "/licenses/groups/{id}", tag = "licenses", params(("id" = i64, Path)),
    responses((status = 200, body = GroupDeleted), (status = 404, body = ProblemDetails),
        (status = 409, body = ProblemDetails)))]
async fn delete_license_group(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageAgreements)?;
    let moved = state.licenses.delete_group(&actor, id).await?;
    Ok(axum::Json(GroupDeleted { moved }).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgreementQuery {
    /// Search in agreement names.
    q: Option<String>,
    /// Only this license group's agreements.
    #[param(value_type = Option<i64>)]
    group_id: Option<String>,
    cursor: Option<String>,
}

/// List agreements with their number sets.
#[utoipa::path(get, path = "/licenses/agreements", tag = "licenses", params(AgreementQuery),
    responses((status = 200, body = Paged<AgreementView>), (status = 422, body = ProblemDetails)))]
async fn list_agreements(
    api: Api,
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<AgreementQuery>,
) -> Result<Response, Problem> {
    api.allow(Permission::Read)?;
    // Read as text so that a bad id is a problem naming the parameter.
    let group_id = match q.group_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(v) => Some(
            v.parse::<i64>()
                .map_err(|_| ApiError::invalid("group_id", "group_id must be a whole number."))?,
        ),
    };
    let list = state
        .licenses
        .list_agreements(q.q.unwrap_or_default(), group_id, q.cursor)
        .await?;
    Ok(page(&uri, list.into()))
}

/// Read an agreement with its number sets.
#[utoipa::path(get, path = "/licenses/agreements/{id}", tag = "licenses", params(("id" = i64, Path)),
    responses((status = 200, body = AgreementView), (status = 404, body = ProblemDetails)))]
async fn get_agreement(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    api.allow(Permission::Read)?;
    Ok(axum::Json(state.licenses.agreement(id).await?).into_response())
}

/// Delete an agreement and its number sets.
#[utoipa::path(delete, path = "/licenses/agreements/{id}", tag = "licenses", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ProblemDetails)))]
async fn delete_agreement(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageAgreements)?;
    state.licenses.delete_agreement(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Where new agreements go (as on the page).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct GroupChoiceBody {
    /// `unassigned` (default), `existing` (with `group_id`) or `new` (with `new_group`).
    pub group: String,
    pub group_id: Option<i64>,
    pub new_group: Option<String>,
}

impl GroupChoiceBody {
    fn choice(&self) -> Result<GroupChoice, Problem> {
        GroupChoice::from_form(&self.group, self.group_id, self.new_group.as_deref())
            .map_err(|e| renamed(e, "group_name", "new_group"))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NumberSet {
    /// The agreement number.
    pub first: String,
    /// The authorization (or license) number.
    pub second: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"name": "Open Value 2026", "sets": [{"first": "V1234567", "second": "V1234567"}], "group": "unassigned"}))]
pub struct VolumeBody {
    pub name: String,
    pub sets: Vec<NumberSet>,
    #[serde(flatten)]
    pub group: GroupChoiceBody,
}

/// Add a volume licensing agreement with its number sets (validated by Refresh now).
#[utoipa::path(post, path = "/licenses/agreements/volume", tag = "licenses", request_body = VolumeBody,
    responses((status = 201, body = AgreementView, headers(("Location" = String))),
        (status = 409, body = ProblemDetails), (status = 422, body = ProblemDetails)))]
async fn add_volume(
    api: Api,
    State(state): State<AppState>,
    Body(body): Body<VolumeBody>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageAgreements)?;
    let choice = body.group.choice()?;
    let sets = body.sets.into_iter().map(|s| (s.first, s.second)).collect();
    let id = state
        .licenses
        .add_volume(&actor, body.name.clone(), sets, choice)
        .await
        .map_err(|e| renamed(e, "group_name", "new_group"))?;
    let view = state.licenses.agreement(id).await?;
    Ok(created(format!("/api/v1/licenses/agreements/{id}"), view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"name": "Visio retail", "publisher": "Microsoft", "product": "Visio Professional 2021",
    "license_count": 10, "starts_on": "2026-01-01", "ends_on": "2026-12-31", "details": "Contact: reseller"}))]
pub struct OtherBody {
    pub name: String,
    /// A publisher from the catalog (`/licenses/catalog/publishers`).
    pub publisher: String,
    /// One of the publisher's products (`/licenses/catalog/products`).
    pub product: String,
    pub license_count: i64,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub starts_on: String,
    /// `YYYY-MM-DD`, not before `starts_on`.
    #[serde(default)]
    pub ends_on: String,
    #[serde(default)]
    pub details: String,
    #[serde(flatten)]
    pub group: GroupChoiceBody,
}

/// Add an agreement for other software (a product from the catalog and its license count).
#[utoipa::path(post, path = "/licenses/agreements/other", tag = "licenses", request_body = OtherBody,
    responses((status = 201, body = AgreementView, headers(("Location" = String))),
        (status = 409, body = ProblemDetails), (status = 422, body = ProblemDetails)))]
async fn add_other(
    api: Api,
    State(state): State<AppState>,
    Body(body): Body<OtherBody>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageAgreements)?;
    let choice = body.group.choice()?;
    // The form's shape; the count travels as text and the backend checks its range.
    let form = OtherAgreementForm {
        name: body.name,
        publisher: body.publisher,
        product: body.product,
        license_count: body.license_count.to_string(),
        starts_on: body.starts_on,
        ends_on: body.ends_on,
        details: body.details,
        group: body.group.group,
        group_id: body.group.group_id,
        new_group: body.group.new_group,
    };
    let id = state
        .licenses
        .add_other(&actor, form, choice)
        .await
        .map_err(|e| renamed(e, "group_name", "new_group"))?;
    let view = state.licenses.agreement(id).await?;
    Ok(created(format!("/api/v1/licenses/agreements/{id}"), view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CatalogQuery {
    /// Part of the name ("soft" finds Microsoft).
    q: Option<String>,
}

/// Publishers in the software catalog (at most 20; an empty search finds none).
#[utoipa::path(get, path = "/licenses/catalog/publishers", tag = "licenses", params(CatalogQuery),
    responses((status = 200, body = Vec<String>)))]
async fn publishers(
    api: Api,
    State(state): State<AppState>,
    Query(q): Query<CatalogQuery>,
) -> Result<Response, Problem> {
    api.allow(Permission::Read)?;
    let list = state.licenses.publishers(q.q.unwrap_or_default()).await?;
    Ok(axum::Json(list).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductQuery {
    /// The publisher, exactly.
    publisher: Option<String>,
    /// Part of the product title.
    q: Option<String>,
}

/// One publisher's product titles in the software catalog.
#[utoipa::path(get, path = "/licenses/catalog/products", tag = "licenses", params(ProductQuery),
    responses((status = 200, body = Vec<String>)))]
async fn products(
    api: Api,
    State(state): State<AppState>,
    Query(q): Query<ProductQuery>,
) -> Result<Response, Problem> {
    api.allow(Permission::Read)?;
    let list = state
        .licenses
        .products(q.publisher.unwrap_or_default(), q.q.unwrap_or_default())
        .await?;
    Ok(axum::Json(list).into_response())
}

/// When agreements were last refreshed, and whether they changed since.
#[utoipa::path(get, path = "/licenses/refresh", tag = "licenses",
    responses((status = 200, body = RefreshStatus)))]
async fn refresh_status(api: Api, State(state): State<AppState>) -> Result<Response, Problem> {
    api.allow(Permission::Read)?;
    Ok(axum::Json(state.licenses.refresh_status().await?).into_response())
}

/// Refresh now: validates every number set and fetches entitlements. Nothing changes when the
/// licensing service fails (503) or is not configured (409).
#[utoipa::path(post, path = "/licenses/refresh", tag = "licenses",
    responses((status = 200, body = RefreshReport), (status = 409, body = ProblemDetails),
        (status = 503, body = ProblemDetails)))]
async fn refresh(api: Api, State(state): State<AppState>) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageAgreements)?;
    Ok(axum::Json(state.licenses.refresh(&actor).await?).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScopeQuery {
    /// `all` (default), `microsoft` or `other`.
    scope: Option<String>,
}

/// The license installation report: installations on managed computers vs licenses owned.
#[utoipa::path(get, path = "/licenses/reports/installation", tag = "licenses", params(ScopeQuery),
    responses((status = 200, body = InstallationReport), (status = 422, body = ProblemDetails)))]
async fn installation_report(
    api: Api,
    State(state): State<AppState>,
    Query(q): Query<ScopeQuery>,
) -> Result<Response, Problem> {
    api.allow(Permission::Read)?;
    let scope = scope(q.scope.as_deref())?;
    Ok(axum::Json(state.licenses.installation_report(scope).await?).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PurchaseQuery {
    /// License group ids, comma-separated; none means all groups.
    groups: Option<String>,
    /// `all` (default), `microsoft` or `other`.
    scope: Option<String>,
}

/// The license purchase report for the chosen license groups.
#[utoipa::path(get, path = "/licenses/reports/purchase", tag = "licenses", params(PurchaseQuery),
    responses((status = 200, body = PurchaseReport), (status = 422, body = ProblemDetails)))]
async fn purchase_report(
    api: Api,
    State(state): State<AppState>,
    Query(q): Query<PurchaseQuery>,
) -> Result<Response, Problem> {
    api.allow(Permission::Read)?;
    let scope = scope(q.scope.as_deref())?;
    // Strict, unlike the page: a script's typo must not silently widen the report.
    let groups = q
        .groups
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(|g| {
            g.parse::<i64>().map_err(|_| {
                ApiError::invalid("groups", "groups is a comma-separated list of group ids.")
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(axum::Json(state.licenses.purchase_report(groups, scope).await?).into_response())
}
