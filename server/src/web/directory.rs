//! Directory HTTP endpoints that are not server functions: CSV import and export, and the
//! inventory endpoint through which an agent reports a device's detected software.

use super::AppState;
use crate::directory::csv_io::{ImportError, Kind, MAX_IMPORT_BYTES};
use app::api::ssr::{Caller, check};
use app::domain::directory::software_item;
use app::domain::{ApiError, Permission};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Extension, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::api_error as error;

/// `GET /api/directory/export/{users|groups|devices|software}.csv`
pub async fn export(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(file): Path<String>,
) -> Response {
    if let Err(e) = check(&caller, Permission::Read) {
        return error(e);
    }
    let Some(kind) = Kind::parse(&file) else {
        return error(ApiError::NotFound);
    };
    match state.directory.export(kind).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}.csv\"", kind.name()),
                ),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => error(e),
    }
}

/// `POST /api/directory/import/{users|groups|devices|software}` with the CSV file as the body.
pub async fn import(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(kind): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let actor = match check(&caller, Permission::ManageDirectory) {
        Ok(a) => a,
        Err(e) => return error(e),
    };
    let Some(kind) = Kind::parse(&kind) else {
        return error(ApiError::NotFound);
    };
    let body = match body {
        Ok(b) => b,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                Json(json!({"message": format!(
                    "The file is larger than {} MB. Split it into smaller files; nothing was imported.",
                    MAX_IMPORT_BYTES / (1024 * 1024)
                )})),
            )
                .into_response();
        }
        Err(rejection) => return error(ApiError::BadRequest(rejection.body_text())),
    };
    match state.directory.import(&actor, kind, &body).await {
        Ok(report) => (StatusCode::OK, Json(json!(report))).into_response(),
        Err(ImportError::Invalid { errors, total }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({
                "message": format!("{total} problem(s) found; nothing was imported."),
                "total": total,
                "errors": errors,
            })),
        )
            .into_response(),
        Err(ImportError::Api(e)) => error(e),
    }
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
) -> Response {
    let actor = match check(&caller, Permission::ManageDirectory) {
        Ok(a) => a,
        Err(e) => return error(e),
    };
    let Json(report) = match body {
        Ok(b) => b,
        Err(e) => return error(ApiError::BadRequest(e.body_text())),
    };
    let mut items = vec![];
    for (i, line) in report.software.iter().enumerate() {
        match software_item(&line.publisher, &line.product, &line.version) {
            Ok(item) if !items.contains(&item) => items.push(item),
            Ok(_) => {}
            Err(ApiError::Invalid { field, message }) => {
                return error(ApiError::invalid(
                    &format!("software[{i}].{field}"),
                    message,
                ));
            }
            Err(e) => return error(e),
        }
    }
    match state.directory.report_software(&actor, &name, &items).await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({"device": name, "items": items.len()})),
        )
            .into_response(),
        Err(e) => error(e),
    }
}
