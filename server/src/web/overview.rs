//! Overview HTTP endpoints that are not server functions: the reclaim CSV export.

use super::{Answer, AppState, api_error as error, csv_download};
use app::api::ssr::{Caller, check};
use app::domain::{ApiError, Permission};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Query, State};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct ReclaimParams {
    #[serde(default)]
    pub inactive_days: Option<i64>,
    #[serde(default)]
    pub pending_days: Option<i64>,
}

/// `GET /api/reclaim/reclaimable.csv?inactive_days=30&pending_days=30`: every candidate (the
/// page shows at most 1,000), machine-readable whatever the language.
pub async fn reclaim_csv(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Result<Query<ReclaimParams>, QueryRejection>,
) -> Answer {
    check(&caller, Permission::Read).map_err(error)?;
    let Ok(Query(params)) = params else {
        return Err(error(ApiError::BadRequest(
            "inactive_days and pending_days are whole numbers of days.".into(),
        )));
    };
    let bytes = state
        .reclaim()
        .csv(params.inactive_days, params.pending_days)
        .await
        .map_err(error)?;
    Ok(csv_download("reclaimable-licenses.csv", bytes))
}
