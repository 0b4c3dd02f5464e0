//! `/api/v1/store/…` (SPEC S-1 … S-7 for scripts): connections, sync runs, apps, deployments,
//! license holders and installs. Each handler authorises as the matching server function in
//! `app::api::store` does and calls the same `StoreBackend` method; license counts, intents and
//! targets are decided there (the deploy transaction), never here.

use super::extract::{Api, Body, Paged, page};
use super::problem::{Problem, ProblemDetails};
use crate::web::AppState;
use app::api::store::StoreBackend;
use app::domain::store::{
    ConnectionView, DeployForm, DeployOutcome, HolderView, InstallView, Store, StoreAppDetail,
    StoreAppFilter, StoreAppView, SyncRunView, Target,
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
        .routes(routes!(list_connections))
        .routes(routes!(get_connection, remove_connection))
        .routes(routes!(sync_now))
        .routes(routes!(configure_sync))
        .routes(routes!(list_sync_runs))
        .routes(routes!(list_apps))
        .routes(routes!(get_app))
        .routes(routes!(list_holders))
        .routes(routes!(list_installs))
        .routes(routes!(deploy))
        .routes(routes!(change_intent, remove_deployment))
        .routes(routes!(search_targets))
}

/// The same backend object the server functions get (see `web::mod`'s context).
fn backend(state: &AppState) -> crate::store::StoreService {
    crate::store::StoreService(state.store.clone())
}

/// An optional whole-number query parameter. Read as text so that a bad value is a problem
/// naming the parameter rather than the extractor's plain-text 400.
fn int_param(field: &str, raw: Option<&str>) -> Result<Option<i64>, Problem> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| {
            ApiError::invalid(field, format!("{field} must be a whole number.")).into()
        }),
    }
}

fn bool_param(field: &str, raw: Option<&str>) -> Result<bool, Problem> {
    match raw.map(str::trim) {
        None | Some("") | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(ApiError::invalid(field, format!("{field} is true or false.")).into()),
    }
}

/// List the linked store connections with their last and running sync.
#[utoipa::path(get, path = "/store/connections", tag = "store",
    responses((status = 200, body = Paged<ConnectionView>), (status = 401, body = ProblemDetails)))]
async fn list_connections(api: Api, State(state): State<AppState>) -> Result<Response, Problem> {
    api.allow(Permission::Read)?;
    let list = backend(&state).list_connections().await?;
    Ok(axum::Json(Paged::whole(list)).into_response())
}

/// Read one connection (removed connections are not found).
#[utoipa::path(get, path = "/store/connections/{id}", tag = "store", params(("id" = i64, Path)),
    responses((status = 200, body = ConnectionView), (status = 404, body = ProblemDetails)))]
async fn get_connection(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    api.allow(Permission::Read)?;
    // The backend reads connections only as the (short) list the page shows.
    let conn = backend(&state)
        .list_connections()
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or(ApiError::NotFound)?;
    Ok(axum::Json(conn).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RemoveQuery {
    /// The connection's name, repeated to confirm.
    confirmation: Option<String>,
}

/// Remove a connection (`?confirmation=` must repeat its name); its history is kept.
#[utoipa::path(delete, path = "/store/connections/{id}", tag = "store",
    params(("id" = i64, Path), RemoveQuery),
    responses((status = 204), (status = 404, body = ProblemDetails),
        (status = 409, body = ProblemDetails), (status = 422, body = ProblemDetails)))]
async fn remove_connection(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<RemoveQuery>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageStore)?;
    backend(&state)
        .remove_connection(&actor, id, q.confirmation.unwrap_or_default())
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A sync run that was started.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncStarted {
    pub run_id: i64,
    /// Where to follow the run.
    pub runs: String,
}

/// Sync now: starts a run in the background and answers at once (follow it in the sync runs).
#[utoipa::path(post, path = "/store/connections/{id}/sync", tag = "store", params(("id" = i64, Path)),
    responses((status = 202, body = SyncStarted), (status = 404, body = ProblemDetails),
        (status = 409, body = ProblemDetails)))]
async fn sync_now(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageStore)?;
    let run_id = backend(&state).sync_now(&actor, id).await?;
    let body = SyncStarted {
        run_id,
        runs: format!("/api/v1/store/sync-runs?connection_id={id}"),
    };
    Ok((StatusCode::ACCEPTED, axum::Json(body)).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"auto_sync": false}))]
pub struct AutoSyncBody {
    /// Sync automatically twice a day.
    pub auto_sync: bool,
}

/// Turn automatic sync on or off for a connection.
#[utoipa::path(put, path = "/store/connections/{id}/auto-sync", tag = "store",
    params(("id" = i64, Path)), request_body = AutoSyncBody,
    responses((status = 204), (status = 404, body = ProblemDetails), (status = 422, body = ProblemDetails)))]
async fn configure_sync(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Body(body): Body<AutoSyncBody>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageStore)?;
    backend(&state)
        .configure_sync(&actor, id, body.auto_sync)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunQuery {
    /// Only this connection's runs.
    #[param(value_type = Option<i64>)]
    connection_id: Option<String>,
    cursor: Option<String>,
}

/// List sync runs, newest first.
#[utoipa::path(get, path = "/store/sync-runs", tag = "store", params(RunQuery),
    responses((status = 200, body = Paged<SyncRunView>), (status = 422, body = ProblemDetails)))]
async fn list_sync_runs(
    api: Api,
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<RunQuery>,
) -> Result<Response, Problem> {
    api.allow(Permission::Read)?;
    let connection_id = int_param("connection_id", q.connection_id.as_deref())?;
    // The history's cursor is the last run's id (the backend's `before_id`).
    let before_id = int_param("cursor", q.cursor.as_deref())?;
    let list = backend(&state).list_runs(connection_id, before_id).await?;
    Ok(page(&uri, list.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AppQuery {
    /// Search in app name and publisher.
    q: Option<String>,
    /// `apple` or `microsoft`.
    store: Option<String>,
    /// Platform text, e.g. `iOS`.
    platform: Option<String>,
    /// `active` (default), `retired` or `all`.
    state: Option<String>,
    /// Only apps with no license left.
    #[param(value_type = Option<bool>)]
    exhausted: Option<String>,
    cursor: Option<String>,
}

/// List store apps with their license counts.
#[utoipa::path(get, path = "/store/apps", tag = "store", params(AppQuery),
    responses((status = 200, body = Paged<StoreAppView>), (status = 422, body = ProblemDetails)))]
async fn list_apps(
    api: Api,
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<AppQuery>,
) -> Result<Response, Problem> {
    api.allow(Permission::Read)?;
    let store = q.store.unwrap_or_default().trim().to_string();
    if !store.is_empty() && Store::parse(&store).is_none() {
        return Err(ApiError::invalid("store", "Store is apple or microsoft.").into());
    }
    let filter = StoreAppFilter {
        q: q.q.unwrap_or_default(),
        store,
        platform: q.platform.unwrap_or_default(),
        state: q.state.unwrap_or_default().trim().to_string(),
        exhausted: bool_param("exhausted", q.exhausted.as_deref())?,
    };
    let list = backend(&state).list_apps(filter, q.cursor).await?;
    Ok(page(&uri, list.into()))
}

/// Read a store app with its deployments and license holders.
#[utoipa::path(get, path = "/store/apps/{id}", tag = "store", params(("id" = i64, Path)),
    responses((status = 200, body = StoreAppDetail), (status = 404, body = ProblemDetails)))]
async fn get_app(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    api.allow(Permission::Read)?;
    Ok(axum::Json(backend(&state).get_app(id).await?).into_response())
}

/// List the users holding a license of the app.
#[utoipa::path(get, path = "/store/apps/{id}/holders", tag = "store", params(("id" = i64, Path)),
    responses((status = 200, body = Paged<HolderView>), (status = 404, body = ProblemDetails)))]
async fn list_holders(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    api.allow(Permission::Read)?;
    let detail = backend(&state).get_app(id).await?;
    Ok(axum::Json(Paged::whole(detail.holders)).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InstallQuery {
    /// `pending`, `installed`, `failed` or `uninstalled`.
    status: Option<String>,
    /// Search in user and device names.
    q: Option<String>,
}

/// List where the app stands on its holders' devices.
#[utoipa::path(get, path = "/store/apps/{id}/installs", tag = "store",
    params(("id" = i64, Path), InstallQuery),
    responses((status = 200, body = Paged<InstallView>), (status = 422, body = ProblemDetails)))]
async fn list_installs(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<InstallQuery>,
) -> Result<Response, Problem> {
    api.allow(Permission::Read)?;
    let list = backend(&state)
        .list_installs(
            id,
            q.status.unwrap_or_default().trim().to_string(),
            q.q.unwrap_or_default(),
        )
        .await?;
    Ok(axum::Json(Paged::whole(list)).into_response())
}

/// A user, group or device to deploy to.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TargetRef {
    /// `user`, `group` or `device`.
    pub kind: String,
    pub id: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"intent": "required", "targets": [{"kind": "group", "id": 3}, {"kind": "user", "id": 12}]}))]
pub struct DeployBody {
    /// `required`, `available` or `uninstall`.
    pub intent: String,
    pub targets: Vec<TargetRef>,
}

/// Deploy the app to users, groups or devices. All or nothing: refused as a whole (409) when
/// the licenses left do not cover every user it would reach.
#[utoipa::path(post, path = "/store/apps/{id}/deployments", tag = "store",
    params(("id" = i64, Path)), request_body = DeployBody,
    responses((status = 200, body = DeployOutcome), (status = 404, body = ProblemDetails),
        (status = 409, body = ProblemDetails), (status = 422, body = ProblemDetails)))]
async fn deploy(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Body(body): Body<DeployBody>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageStore)?;
    // Kinds are checked by the backend, which names the `targets` field.
    let form = DeployForm {
        app_id: id,
        intent: body.intent,
        targets: body.targets.into_iter().map(|t| (t.kind, t.id)).collect(),
    };
    Ok(axum::Json(backend(&state).deploy(&actor, form).await?).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"intent": "uninstall"}))]
pub struct IntentBody {
    /// `required`, `available` or `uninstall`.
    pub intent: String,
}

/// Change a deployment's intent (Uninstall frees its licenses; refused when licenses run short).
#[utoipa::path(put, path = "/store/deployments/{id}", tag = "store", params(("id" = i64, Path)),
    request_body = IntentBody,
    responses((status = 200, body = DeployOutcome), (status = 404, body = ProblemDetails),
        (status = 409, body = ProblemDetails), (status = 422, body = ProblemDetails)))]
async fn change_intent(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Body(body): Body<IntentBody>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageStore)?;
    let out = backend(&state)
        .change_intent(&actor, id, body.intent)
        .await?;
    Ok(axum::Json(out).into_response())
}

/// Remove a deployment; users it alone reached lose their license.
#[utoipa::path(delete, path = "/store/deployments/{id}", tag = "store", params(("id" = i64, Path)),
    responses((status = 200, body = DeployOutcome), (status = 404, body = ProblemDetails)))]
async fn remove_deployment(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageStore)?;
    let out = backend(&state).remove_deployment(&actor, id).await?;
    Ok(axum::Json(out).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TargetQuery {
    /// Search in user, group and device names.
    q: Option<String>,
}

/// Find users, groups and devices to deploy to (their ids for `targets`).
#[utoipa::path(get, path = "/store/targets", tag = "store", params(TargetQuery),
    responses((status = 200, body = Paged<Target>), (status = 403, body = ProblemDetails)))]
async fn search_targets(
    api: Api,
    State(state): State<AppState>,
    Query(q): Query<TargetQuery>,
) -> Result<Response, Problem> {
    // As the Deploy dialog's search: only for those who may deploy.
    api.allow(Permission::ManageStore)?;
    let list = backend(&state)
        .search_targets(q.q.unwrap_or_default())
        .await?;
    Ok(axum::Json(Paged::whole(list)).into_response())
}
