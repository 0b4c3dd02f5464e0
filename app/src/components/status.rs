//! 404 / 403 / 500 views; on the server they also set the response status.

use crate::domain::ApiError;
use crate::i18n::use_texts;
use leptos::prelude::*;
use leptos_router::components::Redirect;

fn set_status(_code: u16) {
    #[cfg(feature = "ssr")]
    crate::api::ssr::set_page_status(_code);
}

#[component]
pub fn NotFound() -> impl IntoView {
    set_status(404);
    let t = use_texts();
    view! {
        <section class="status-page">
            <h1>{t.shell.not_found_title}</h1>
            <p>{t.shell.not_found_body}</p>
            <a class="button" href="/">
                {t.shell.go_home}
            </a>
        </section>
    }
}

#[component]
pub fn Forbidden() -> impl IntoView {
    set_status(403);
    let t = use_texts();
    view! {
        <section class="status-page">
            <h1>{t.shell.forbidden_title}</h1>
            <p>{t.shell.forbidden_body}</p>
            <a class="button" href="/">
                {t.shell.go_home}
            </a>
        </section>
    }
}

/// Renders the right page for an error from a data load.
#[component]
pub fn ErrorView(error: ApiError) -> impl IntoView {
    let t = use_texts();
    match error {
        ApiError::Forbidden => view! { <Forbidden /> }.into_any(),
        ApiError::NotFound => view! { <NotFound /> }.into_any(),
        ApiError::Unauthenticated => view! { <Redirect path="/login" /> }.into_any(),
        other => {
            set_status(500);
            let reference = match &other {
                ApiError::Internal { reference } => reference.clone(),
                e => e.to_string(),
            };
            view! {
                <section class="status-page">
                    <h1>{t.shell.error_title}</h1>
                    <p>{t.shell.error_body}</p>
                    <p>
                        <code>{reference}</code>
                    </p>
                    <a class="button" href="/">
                        {t.shell.go_home}
                    </a>
                </section>
            }
            .into_any()
        }
    }
}
