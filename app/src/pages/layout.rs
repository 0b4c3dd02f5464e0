//! The signed-in frame: top bar, navigation, content, toasts. Anonymous visitors go to /login.

use crate::api::{SignOut, current_admin};
use crate::components::{ErrorView, Toaster};
use crate::domain::{Me, Role};
use crate::i18n::use_texts;
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect};
use leptos_router::hooks::use_location;

#[component]
pub fn Layout() -> impl IntoView {
    let me = Resource::new(|| (), |_| current_admin());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(me)) => view! { <Frame me=me /> }.into_any(),
                    Ok(None) => view! { <Redirect path="/login" /> }.into_any(),
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Frame(me: Me) -> impl IntoView {
    let t = use_texts();
    let location = use_location();
    let sign_out = ServerAction::<SignOut>::new();
    let is_global = me.role == Role::GlobalAdmin;
    let mut items = vec![
        ("/", t.nav_dashboard, ""),
        ("/store/connections", t.nav_store, "/store"),
        ("/licenses", t.nav_licenses, "/licenses"),
        ("/billing/subscriptions", t.nav_billing, "/billing"),
        ("/users", t.nav_directory, "/users|/groups|/devices"),
    ];
    if is_global {
        items.push(("/settings/admins", t.nav_settings, "/settings"));
    }
    items.push(("/audit", t.nav_audit, "/audit"));
    let nav = items
        .into_iter()
        .map(|(href, label, prefixes)| {
            let current = move || {
                let path = location.pathname.get();
                let on = if prefixes.is_empty() {
                    path == "/"
                } else {
                    prefixes.split('|').any(|p| path.starts_with(p))
                };
                on.then_some("page")
            };
            view! {
                <li>
                    <a href=href aria-current=current>
                        {label}
                    </a>
                </li>
            }
        })
        .collect_view();
    let lang_href = format!("/lang/{}", crate::current_lang().other().code());
    let role = crate::pages::role_label(t, me.role);
    provide_context(me.clone());
    view! {
        <a class="skip" href="#content">{t.skip_to_content}</a>
        <header class="topbar">
            <a class="brand" href="/">
                <span class="logo" aria-hidden="true">"LD"</span>
                <span class="brand-name">{t.app_name}</span>
                <span class="org">{me.org_name.clone()}</span>
            </a>
            <div class="account">
                <a class="lang" href=lang_href rel="nofollow">{t.lang_switch}</a>
                <span class="who">
                    {t.signed_in_as} " " <strong data-testid="current-admin">{me.display_name.clone()}</strong>
                    <span class="role-badge">{role}</span>
                </span>
                <ActionForm action=sign_out attr:class="inline">
                    <button type="submit" class="secondary small">{t.sign_out}</button>
                </ActionForm>
            </div>
        </header>
        <div class="frame">
            <nav class="sidebar" aria-label=t.nav_label>
                <ul>{nav}</ul>
            </nav>
            <main id="content" class="content">
                <Outlet />
            </main>
        </div>
        <Toaster />
        <HydrationMarker />
    }
}

/// Sets `data-hydrated` on <body> once the WASM has taken over (tests wait for it).
#[component]
pub fn HydrationMarker() -> impl IntoView {
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(body) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.body())
        {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}
