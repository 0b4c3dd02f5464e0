//! Licenses HTTP endpoints that are not server functions: number-set CSV upload.

use super::AppState;
use crate::csv_util::ImportError;
use app::api::ssr::{Caller, check};
use app::domain::licenses::GroupChoice;
use app::domain::{ApiError, Permission};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Extension, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

/// A 5,000-set file is about 200 KB; 2 MB leaves room for long names.
pub const MAX_UPLOAD_BYTES: usize = 2 * 1024 * 1024;

#[derive(Deserialize)]
pub struct UploadParams {
    pub file_name: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub group_id: Option<i64>,
    #[serde(default)]
    pub new_group: Option<String>,
}

use super::api_error as error;

/// `POST /api/licenses/upload?file_name=…&name=…&group=unassigned|new|existing&…` with the
/// CSV file as the body.
pub async fn upload(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Result<Query<UploadParams>, axum::extract::rejection::QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let actor = match check(&caller, Permission::ManageAgreements) {
        Ok(a) => a,
        Err(e) => return error(e),
    };
    let Ok(Query(params)) = params else {
        return error(ApiError::BadRequest("file_name is required.".into()));
    };
    let body = match body {
        Ok(b) => b,
        Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                Json(json!({"message": "The file is larger than 2 MB; a number-set file holds at most 5,000 sets."})),
            )
                .into_response();
        }
        Err(r) => return error(ApiError::BadRequest(r.body_text())),
    };
    let group =
        match GroupChoice::from_form(&params.group, params.group_id, params.new_group.as_deref()) {
            Ok(g) => g,
            Err(e) => return error(e),
        };
    match state
        .licenses
        .upload_sets(
            &actor,
            &params.file_name,
            &body,
            params.name.as_deref(),
            group,
        )
        .await
    {
        Ok(report) => (StatusCode::OK, Json(json!(report))).into_response(),
        Err(ImportError::Invalid { errors, total }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({
                "message": format!("{total} problem(s) found; nothing was stored."),
                "total": total,
                "errors": errors,
            })),
        )
            .into_response(),
        Err(ImportError::Api(e)) => error(e),
    }
}

#[derive(Deserialize)]
pub struct ReportParams {
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub groups: String,
}

/// `GET /api/licenses/reports/{installation|purchase}.csv?scope=all|microsoft|other&groups=1,2`
pub async fn report_csv(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    axum::extract::Path(file): axum::extract::Path<String>,
    Query(params): Query<ReportParams>,
) -> Response {
    if let Err(e) = check(&caller, Permission::Read) {
        return error(e);
    }
    let scope = app::domain::licenses::SoftwareScope::parse(&params.scope);
    let groups = params
        .groups
        .split(',')
        .filter_map(|g| g.trim().parse::<i64>().ok())
        .collect();
    let result = match file.as_str() {
        "installation.csv" => state.licenses.installation_csv(scope).await,
        "purchase.csv" => state.licenses.purchase_csv(groups, scope).await,
        _ => Err(ApiError::NotFound),
    };
    match result {
        Ok(bytes) => (
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    "text/csv; charset=utf-8".to_string(),
                ),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"license-{file}\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => error(e),
    }
}
