//! `/api/v1` resources of the store area (SPEC X-4). See `directory.rs` for the pattern.

use crate::web::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
