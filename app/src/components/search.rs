//! The list pages' search form.

use crate::i18n::use_texts;
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

/// A GET search form bound to `?q=` (works before hydration). `children` are extra filter
/// fields placed between the search field and the Search button.
#[component]
pub fn SearchBox(
    #[prop(into)] label: String,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let t = use_texts();
    let query = use_query_map();
    view! {
        <Form method="GET" action="" attr:class="filters" attr:role="search">
            <div class="field grow">
                <label for="f-q">{label}</label>
                <input
                    id="f-q"
                    name="q"
                    type="search"
                    prop:value=move || query.read().get("q").unwrap_or_default()
                />
            </div>
            {children.map(|c| c())}
            <div class="form-actions">
                <button type="submit" class="primary">
                    {t.common.search}
                </button>
            </div>
        </Form>
    }
}
