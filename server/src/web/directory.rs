//! Directory HTTP endpoints that are not server functions: CSV import and export. (The
//! inventory endpoint through which an agent reports a device's software is in the REST API.)

use super::{Answer, AppState, api_error as error, csv_download, too_large, upload_answer};
use crate::directory::csv_io::{Kind, MAX_IMPORT_BYTES};
use app::api::ssr::{Caller, check};
use app::domain::{ApiError, Permission};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderValue, StatusCode, header};

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
