//! Small status labels shared by several pages.

use crate::i18n::use_texts;
use leptos::prelude::*;

/// "Enabled" / "Disabled" for a user or an admin account.
pub fn enabled_pill(enabled: bool) -> AnyView {
    let t = use_texts();
    if enabled {
        view! { <span class="pill ok">{t.common.enabled}</span> }.into_any()
    } else {
        view! { <span class="pill off">{t.common.disabled}</span> }.into_any()
    }
}
