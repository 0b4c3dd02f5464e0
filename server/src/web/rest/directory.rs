//! `/api/v1/users`, `/groups`, `/devices` (SPEC D-1 … D-3 for scripts): the directory backend's
//! own methods behind `Permission::Read` / `ManageDirectory`, as the server functions call them.

mod bodies;

use super::extract::{Api, Body, IfMatch, Paged, created, page, tagged};
use super::problem::{Problem, ProblemDetails};
use crate::web::AppState;
use app::api::directory::DirectoryBackend;
use app::domain::directory::{DeviceView, GroupView, Platform, UserSort, UserView, software_item};
use app::domain::{ApiError, Permission};
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
pub use bodies::Named;
use bodies::*;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user, delete_user))
        .routes(routes!(set_user_enabled))
        .routes(routes!(list_groups, create_group))
        .routes(routes!(get_group, update_group, delete_group))
        .routes(routes!(add_members))
        .routes(routes!(remove_member))
        .routes(routes!(list_devices))
        .routes(routes!(get_device))
        .routes(routes!(report_software))
}

async fn user_answer(state: &AppState, id: i64) -> Result<(UserView, User), Problem> {
    let d = state.directory.get_user(id).await?;
    let view = d.user.clone();
    Ok((
        view,
        User {
            user: d.user,
            groups: named(d.groups),
            devices: named(d.devices),
        },
    ))
}

/// List users.
#[utoipa::path(get, path = "/users", tag = "directory", params(UserQuery),
    responses((status = 200, body = Paged<UserView>), (status = 401, body = ProblemDetails)))]
async fn list_users(
    api: Api,
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<UserQuery>,
) -> Result<Response, Problem> {
    api.allow(Permission::Read)?;
    let sort = UserSort::parse(q.sort.as_deref().unwrap_or(""));
    let list = state
        .directory
        .list_users(
            q.q.unwrap_or_default(),
            sort,
            q.desc.unwrap_or(false),
            q.cursor,
        )
        .await?;
    Ok(page(&uri, list.into()))
}

/// Add a user.
#[utoipa::path(post, path = "/users", tag = "directory", request_body = UserBody,
    responses((status = 201, body = User, headers(("Location" = String))),
        (status = 422, body = ProblemDetails), (status = 409, body = ProblemDetails)))]
async fn create_user(
    api: Api,
    State(state): State<AppState>,
    Body(body): Body<UserBody>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageDirectory)?;
    let id = state
        .directory
        .save_user(&actor, None, body.input(None))
        .await?;
    let (_, user) = user_answer(&state, id).await?;
    Ok(created(format!("/api/v1/users/{id}"), user))
}

/// Read a user (with an `ETag` for `If-Match`).
#[utoipa::path(get, path = "/users/{id}", tag = "directory", params(("id" = i64, Path)),
    responses((status = 200, body = User, headers(("ETag" = String))), (status = 404, body = ProblemDetails)))]
async fn get_user(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    api.allow(Permission::Read)?;
    let (view, user) = user_answer(&state, id).await?;
    Ok(tagged(&view, user))
}

/// Change a user's names and department. With `If-Match`, only while unchanged since read.
#[utoipa::path(put, path = "/users/{id}", tag = "directory", params(("id" = i64, Path),
        ("If-Match" = Option<String>, Header, description = "The ETag of the user as read")),
    request_body = UserBody,
    responses((status = 200, body = User), (status = 412, body = ProblemDetails),
        (status = 422, body = ProblemDetails), (status = 404, body = ProblemDetails)))]
async fn update_user(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    IfMatch(if_match): IfMatch,
    Body(body): Body<UserBody>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageDirectory)?;
    state
        .directory
        .save_user(&actor, Some(id), body.input(if_match))
        .await?;
    let (view, user) = user_answer(&state, id).await?;
    Ok(tagged(&view, user))
}

/// Delete a user (refused while they hold licenses: disable them instead).
#[utoipa::path(delete, path = "/users/{id}", tag = "directory", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ProblemDetails), (status = 409, body = ProblemDetails)))]
async fn delete_user(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageDirectory)?;
    state.directory.delete_user(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Enable or disable a user.
#[utoipa::path(put, path = "/users/{id}/enabled", tag = "directory", params(("id" = i64, Path)),
    request_body = EnabledBody,
    responses((status = 204), (status = 404, body = ProblemDetails)))]
async fn set_user_enabled(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Body(body): Body<EnabledBody>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageDirectory)?;
    state
        .directory
        .set_user_enabled(&actor, id, body.enabled)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// List groups.
#[utoipa::path(get, path = "/groups", tag = "directory", params(SearchQuery),
    responses((status = 200, body = Paged<GroupView>)))]
async fn list_groups(
    api: Api,
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<SearchQuery>,
) -> Result<Response, Problem> {
    api.allow(Permission::Read)?;
    let list = state
        .directory
        .list_groups(q.q.unwrap_or_default(), q.cursor)
        .await?;
    Ok(page(&uri, list.into()))
}

async fn group_answer(state: &AppState, id: i64) -> Result<Group, Problem> {
    let d = state.directory.get_group(id).await?;
    Ok(Group {
        group: d.group,
        members: d.members,
    })
}

/// Add a group.
#[utoipa::path(post, path = "/groups", tag = "directory", request_body = GroupBody,
    responses((status = 201, body = Group, headers(("Location" = String))), (status = 422, body = ProblemDetails)))]
async fn create_group(
    api: Api,
    State(state): State<AppState>,
    Body(body): Body<GroupBody>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageDirectory)?;
    let id = state
        .directory
        .save_group(&actor, None, body.name, body.description, None)
        .await?;
    Ok(created(
        format!("/api/v1/groups/{id}"),
        group_answer(&state, id).await?,
    ))
}

/// Read a group and its members.
#[utoipa::path(get, path = "/groups/{id}", tag = "directory", params(("id" = i64, Path)),
    responses((status = 200, body = Group), (status = 404, body = ProblemDetails)))]
async fn get_group(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    api.allow(Permission::Read)?;
    let group = group_answer(&state, id).await?;
    let tag = crate::directory::group_tag(&(
        group.group.id,
        group.group.name.clone(),
        group.group.description.clone(),
    ));
    Ok(tagged(&tag, group))
}

/// Rename a group or change its description.
#[utoipa::path(put, path = "/groups/{id}", tag = "directory", params(("id" = i64, Path),
        ("If-Match" = Option<String>, Header, description = "The ETag of the group as read")),
    request_body = GroupBody,
    responses((status = 200, body = Group), (status = 404, body = ProblemDetails), (status = 422, body = ProblemDetails)))]
async fn update_group(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    IfMatch(if_match): IfMatch,
    Body(body): Body<GroupBody>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageDirectory)?;
    state
        .directory
        .save_group(&actor, Some(id), body.name, body.description, if_match)
        .await?;
    let group = group_answer(&state, id).await?;
    let tag = crate::directory::group_tag(&(
        group.group.id,
        group.group.name.clone(),
        group.group.description.clone(),
    ));
    Ok(tagged(&tag, group))
}

/// Delete a group (its members lose what the group gave them, by the usual rules).
#[utoipa::path(delete, path = "/groups/{id}", tag = "directory", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ProblemDetails), (status = 409, body = ProblemDetails)))]
async fn delete_group(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageDirectory)?;
    state.directory.delete_group(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Add users to a group (all or nothing; refused when a license the group gives would run out).
#[utoipa::path(post, path = "/groups/{id}/members", tag = "directory", params(("id" = i64, Path)),
    request_body = MembersBody,
    responses((status = 200, body = Changed), (status = 404, body = ProblemDetails), (status = 409, body = ProblemDetails)))]
async fn add_members(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Body(body): Body<MembersBody>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageDirectory)?;
    let changed = state
        .directory
        .change_members(&actor, id, body.user_ids, true)
        .await?;
    Ok(axum::Json(Changed { changed }).into_response())
}

/// Remove a user from a group.
#[utoipa::path(delete, path = "/groups/{id}/members/{user_id}", tag = "directory",
    params(("id" = i64, Path), ("user_id" = i64, Path)),
    responses((status = 204), (status = 404, body = ProblemDetails)))]
async fn remove_member(
    api: Api,
    State(state): State<AppState>,
    Path((id, user_id)): Path<(i64, i64)>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageDirectory)?;
    state
        .directory
        .change_members(&actor, id, vec![user_id], false)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// List devices.
#[utoipa::path(get, path = "/devices", tag = "directory", params(DeviceQuery),
    responses((status = 200, body = Paged<DeviceView>), (status = 422, body = ProblemDetails)))]
async fn list_devices(
    api: Api,
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<DeviceQuery>,
) -> Result<Response, Problem> {
    api.allow(Permission::Read)?;
    let platform = match q.platform.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(p) => Some(Platform::parse(p).ok_or_else(|| {
            ApiError::invalid("platform", "Platform is windows, ios, macos or android.")
        })?),
    };
    let list = state
        .directory
        .list_devices(q.q.unwrap_or_default(), platform, q.cursor)
        .await?;
    Ok(page(&uri, list.into()))
}

/// Read a device.
#[utoipa::path(get, path = "/devices/{id}", tag = "directory", params(("id" = i64, Path)),
    responses((status = 200, body = Device), (status = 404, body = ProblemDetails)))]
async fn get_device(
    api: Api,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    api.allow(Permission::Read)?;
    let d = state.directory.get_device(id).await?;
    Ok(axum::Json(Device {
        device: d.device,
        software: d.software,
    })
    .into_response())
}

/// An inventory agent reports the complete list of software detected on a Windows device (by
/// its name); the list replaces the previous one and counts as a check-in.
#[utoipa::path(put, path = "/devices/{name}/software", tag = "directory",
    params(("name" = String, Path)), request_body = SoftwareReport,
    responses((status = 200, body = SoftwareReported), (status = 404, body = ProblemDetails),
        (status = 409, body = ProblemDetails), (status = 422, body = ProblemDetails)))]
async fn report_software(
    api: Api,
    State(state): State<AppState>,
    Path(name): Path<String>,
    Body(report): Body<SoftwareReport>,
) -> Result<Response, Problem> {
    let actor = api.allow(Permission::ManageDirectory)?;
    let mut items = vec![];
    for (i, line) in report.software.iter().enumerate() {
        match software_item(&line.publisher, &line.product, &line.version) {
            Ok(item) if !items.contains(&item) => items.push(item),
            Ok(_) => {}
            Err(ApiError::Invalid { field, message }) => {
                return Err(ApiError::invalid(&format!("software[{i}].{field}"), message).into());
            }
            Err(e) => return Err(e.into()),
        }
    }
    state
        .directory
        .report_software(&actor, &name, &items)
        .await?;
    Ok(axum::Json(SoftwareReported {
        device: name,
        items: items.len(),
    })
    .into_response())
}
