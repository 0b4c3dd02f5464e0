//! Licenses HTTP endpoints that are not server functions: number-set CSV upload.

use super::{Answer, AppState, api_error as error, csv_download, too_large, upload_answer};
use app::api::ssr::{Caller, check};
use app::domain::licenses::GroupChoice;
use app::domain::{ApiError, Permission};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Extension, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

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

/// `POST /api/licenses/upload?file_name=…&name=…&group=unassigned|new|existing&…` with the
/// CSV file as the body.
pub async fn upload(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Result<Query<UploadParams>, axum::extract::rejection::QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let actor = check(&caller, Permission::ManageAgreements).map_err(error)?;
    let Ok(Query(params)) = params else {
        return Err(error(ApiError::BadRequest("file_name is required.".into())));
    };
    let body = match body {
        Ok(b) => b,
        Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Err(too_large(
                "The file is larger than 2 MB; a number-set file holds at most 5,000 sets.".into(),
            ));
        }
        Err(r) => return Err(error(ApiError::BadRequest(r.body_text()))),
    };
    let group = GroupChoice::from_form(&params.group, params.group_id, params.new_group.as_deref())
        .map_err(error)?;
    let result = state
        .licenses
        .upload_sets(
            &actor,
            &params.file_name,
            &body,
            params.name.as_deref(),
            group,
        )
        .await;
    Ok(upload_answer(result, "stored"))
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
) -> Answer {
    check(&caller, Permission::Read).map_err(error)?;
    let scope = app::domain::licenses::SoftwareScope::parse(&params.scope);
    let groups = params
        .groups
        .split(',')
        .filter_map(|g| g.trim().parse::<i64>().ok())
        .collect();
    let bytes = match file.as_str() {
        "installation.csv" => state.licenses.installation_csv(scope).await,
        "purchase.csv" => state.licenses.purchase_csv(groups, scope).await,
        _ => Err(ApiError::NotFound),
    }
    .map_err(error)?;
    Ok(csv_download(&format!("license-{file}"), bytes))
}
