//! Billing endpoints that are not server functions: the invoice download as CSV.

use super::{Answer, AppState, api_error as error, csv_download};
use app::api::ssr::{Caller, check};
use app::domain::{ApiError, Permission};
use axum::extract::{Extension, Path, State};

/// `GET /api/billing/invoices/{id}.csv` — one invoice's line items and totals per currency.
pub async fn invoice_csv(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(file): Path<String>,
) -> Answer {
    check(&caller, Permission::Read).map_err(error)?;
    let id = file
        .strip_suffix(".csv")
        .and_then(|id| id.parse::<i64>().ok())
        .ok_or_else(|| error(ApiError::NotFound))?;
    let (name, bytes) = state.billing.invoice_csv(id).await.map_err(error)?;
    Ok(csv_download(&name, bytes))
}
