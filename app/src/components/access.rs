//! What the signed-in admin may do, for showing or hiding controls. The server checks every
//! call again (`api::ssr::authorize`); this only keeps the page from offering what would fail.

use crate::domain::{Me, Permission};
use leptos::prelude::*;

/// Whether the signed-in admin's role allows `permission` (false outside the signed-in frame).
pub fn can(permission: Permission) -> bool {
    use_context::<Me>().is_some_and(|me| me.role.allows(permission))
}
