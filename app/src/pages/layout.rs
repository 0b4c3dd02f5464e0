//! The signed-in frame: top bar, navigation, content, toasts. Anonymous visitors go to /login.

use crate::api::{SignOut, current_admin};
use crate::components::{Loaded, Toaster};
use crate::domain::Me;
use crate::i18n::use_texts;
use crate::pages::overview::{AlertsLink, provide_alerts_changed};
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect};
use leptos_router::hooks::use_location;

#[component]
pub fn Layout() -> impl IntoView {
    let me = Resource::new(|| (), |_| current_admin());
    view! {
        <Loaded resource=me suspense=true quiet=true let:me>
            {match me {
                Some(me) => view! { <Frame me=me /> }.into_any(),
                None => view! { <Redirect path="/login" /> }.into_any(),
            }}
        </Loaded>
    }
}

#[component]
fn Frame(me: Me) -> impl IntoView {
    let t = use_texts();
    let location = use_location();
    let sign_out = ServerAction::<SignOut>::new();
    let items = vec![
        ("/", t.shell.nav_dashboard, ""),
        ("/alerts", t.overview.alerts, "/alerts"),
        ("/reclaim", t.reclaim.title, "/reclaim"),
        ("/store/connections", t.shell.nav_store, "/store"),
        ("/licenses", t.shell.nav_licenses, "/licenses"),
        ("/billing/subscriptions", t.shell.nav_billing, "/billing"),
        ("/users", t.shell.nav_directory, "/users|/groups|/devices"),
        // Every role reads the settings (admin accounts); only a Global admin changes them.
        ("/settings/admins", t.shell.nav_settings, "/settings"),
        ("/audit", t.shell.nav_audit, "/audit"),
    ];
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
    provide_alerts_changed();
    view! {
        <a class="skip" href="#content">
            {t.shell.skip_to_content}
        </a>
        <header class="topbar">
            <a class="brand" href="/">
                <span class="logo" aria-hidden="true">
                    "LD"
                </span>
                <span class="brand-name">{t.shell.app_name}</span>
                <span class="org">{me.org_name.clone()}</span>
            </a>
            <div class="account">
                <AlertsLink />
                <a class="lang" href=lang_href rel="nofollow">
                    {t.shell.lang_switch}
                </a>
                <span class="who">
                    {t.shell.signed_in_as} " "
                    <strong data-testid="current-admin">{me.display_name.clone()}</strong>
                    <span class="role-badge">{role}</span>
                </span>
                <ActionForm action=sign_out attr:class="inline">
                    <button type="submit" class="secondary small">
                        {t.shell.sign_out}
                    </button>
                </ActionForm>
            </div>
        </header>
        <div class="frame">
            <nav class="sidebar" aria-label=t.shell.nav_label>
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
