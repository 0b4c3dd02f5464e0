//! The one wrapper around a data load: "Loading…" while it loads, the 403/404/500 page (or the
//! sign-in redirect) when it fails, the caller's view of the value when it arrives.

use crate::components::ErrorView;
use crate::domain::ApiError;
use crate::i18n::use_texts;
use leptos::prelude::*;
use std::sync::Arc;

/// Renders `children` with the loaded value of `resource` (`<Loaded resource=r let:value>`).
///
/// Built on `<Transition>`, so a reload keeps the old content until the new one is there;
/// `suspense` uses `<Suspense>` instead. `quiet` shows nothing (not "Loading…") meanwhile.
/// The `let:` block runs inside the boundary: a signal read there directly (not in a child
/// component, whose body is untracked) renders the content again when it changes.
#[component]
pub fn Loaded<T, F, V>(
    resource: Resource<Result<T, ApiError>>,
    children: F,
    #[prop(optional)] quiet: bool,
    #[prop(optional)] suspense: bool,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    F: Fn(T) -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let t = use_texts();
    let children = Arc::new(children);
    let fallback = move || -> ViewFnOnce {
        if quiet {
            ViewFnOnce::from(|| ())
        } else {
            ViewFnOnce::from(move || view! { <p class="muted">{t.common.loading}</p> })
        }
    };
    let content = move || {
        let children = Arc::clone(&children);
        Suspend::new(async move {
            match resource.await {
                Err(e) => view! { <ErrorView error=e /> }.into_any(),
                Ok(value) => children(value).into_any(),
            }
        })
    };
    if suspense {
        view! { <Suspense fallback=fallback()>{content}</Suspense> }.into_any()
    } else {
        view! { <Transition fallback=fallback()>{content}</Transition> }.into_any()
    }
}
