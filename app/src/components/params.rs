//! Route parameters.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// The `:id` of the current route as a number (0 when it is missing or not a number, which the
/// server answers with "not found"). Reactive: read it inside a resource's source.
pub fn param_id() -> impl Fn() -> i64 + Copy + Send + Sync + 'static {
    let params = use_params_map();
    move || {
        params
            .read()
            .get("id")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0)
    }
}
