//! Directory HTTP endpoints that are not server functions: CSV import and export, and the
//! inventory endpoint through which an agent reports a device's detected software.

use super::{Answer, AppState, api_error as error, csv_download, too_large, upload_answer};
use crate::directory::csv_io::{Kind, MAX_IMPORT_BYTES};
use app::api::ssr::{Caller, check};
use app::domain::directory::software_item;
use app::domain::{ApiError, Permission};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;

/// `GET /api/directory/export/{users|groups|devices|software}.csv`
pub async fn export(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(file): Path<String>,
) -> Answer {
    check(&caller, Permission::Read).map_err(error)?;
    let kind = Kind::parse(&file).ok_or_else(|| error(ApiError::NotFound))?;
    let bytes = state.directory.export(kind).await.map_err(error)?;
    let mut response = csv_download(&format!("{}.csv", kind.name()), bytes);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `POST /api/directory/import/{users|groups|devices|software}` with the CSV file as the body.
pub async fn import(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(kind): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let actor = check(&caller, Permission::ManageDirectory).map_err(error)?;
    let kind = Kind::parse(&kind).ok_or_else(|| error(ApiError::NotFound))?;
    let body = match body {
        Ok(b) => b,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Err(too_large(format!(
                "The file is larger than {} MB. Split it into smaller files; nothing was imported.",
                MAX_IMPORT_BYTES / (1024 * 1024)
            )));
        }
        Err(rejection) => return Err(error(ApiError::BadRequest(rejection.body_text()))),
    };
    let result = state.directory.import(&actor, kind, &body).await;
    Ok(upload_answer(result, "imported"))
}

#[derive(Deserialize)]
pub struct SoftwareReport {
    pub software: Vec<SoftwareLine>,
}

#[derive(Deserialize)]
pub struct SoftwareLine {
    pub publisher: String,
    pub product: String,
    #[serde(default)]
    pub version: String,
}

/// `PUT /api/v1/devices/{name}/software` — an inventory agent reports the complete list of
/// software detected on a Windows device; the list replaces the previous one.
pub async fn report_software(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    body: Result<Json<SoftwareReport>, axum::extract::rejection::JsonRejection>,
) -> Answer {
    let actor = check(&caller, Permission::ManageDirectory).map_err(error)?;
    let Json(report) = body.map_err(|e| error(ApiError::BadRequest(e.body_text())))?;
    let mut items = vec![];
    for (i, line) in report.software.iter().enumerate() {
        match software_item(&line.publisher, &line.product, &line.version) {
            Ok(item) if !items.contains(&item) => items.push(item),
            Ok(_) => {}
            Err(ApiError::Invalid { field, message }) => {
                return Err(error(ApiError::invalid(
                    &format!("software[{i}].{field}"),
                    message,
                )));
            }
            Err(e) => return Err(error(e)),
        }
    }
    state
        .directory
        .report_software(&actor, &name, &items)
        .await
        .map_err(error)?;
    Ok((
        StatusCode::OK,
        Json(json!({"device": name, "items": items.len()})),
    )
        .into_response())
}
