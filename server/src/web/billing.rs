//! Billing endpoints that are not server functions: the invoice download as CSV.

use super::AppState;
use super::api_error as error;
use app::api::ssr::{Caller, check};
use app::domain::{ApiError, Permission};
use axum::extract::{Extension, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// `GET /api/billing/invoices/{id}.csv` — one invoice's line items and totals per currency.
pub async fn invoice_csv(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(file): Path<String>,
) -> Response {
    if let Err(e) = check(&caller, Permission::Read) {
        return error(e);
    }
    let Some(id) = file
        .strip_suffix(".csv")
        .and_then(|id| id.parse::<i64>().ok())
    else {
        return error(ApiError::NotFound);
    };
    match state.billing.invoice_csv(id).await {
        Ok((name, bytes)) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => error(e),
    }
}
