//! LicenseDesk's Leptos application: domain types, server functions, components and pages.
//! Compiled twice: with `ssr` into the server, with `hydrate` into the browser's WASM.

#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod domain;
pub mod i18n;
pub mod pages;

use components::{NotFound, provide_toasts};
use i18n::Lang;
use leptos::prelude::*;
use leptos_meta::{Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{ParentRoute, Route, Router, Routes},
    path,
};

/// The hashed asset paths the server found in its site directory.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug)]
pub struct AssetLinks {
    pub js: String,
    pub wasm: String,
    pub css: String,
}

/// The language of this request: chosen by the server, read back from `<html lang>` in the browser.
pub fn current_lang() -> Lang {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|p| p.extensions.get::<Lang>().copied())
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        #[cfg(feature = "hydrate")]
        {
            web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.document_element())
                .and_then(|e| e.get_attribute("lang"))
                .and_then(|code| Lang::from_code(&code))
                .unwrap_or_default()
        }
        #[cfg(not(feature = "hydrate"))]
        {
            Lang::default()
        }
    }
}

/// The HTML document around the app (server only).
#[cfg(feature = "ssr")]
pub fn shell(assets: AssetLinks) -> impl IntoView {
    use leptos_meta::MetaTags;
    let lang = current_lang();
    // The page's Content-Security-Policy allows this inline script by the response's nonce.
    let nonce = api::ssr::csp_nonce();
    // No `<`, `>` or `&` in this script: it is emitted as the text of a <script> element.
    let boot = format!(
        "import init, {{ hydrate }} from '{}';\ninit({{ module_or_path: '{}' }}).then(function () {{ hydrate(); }});",
        assets.js, assets.wasm
    );
    view! {
        <!DOCTYPE html>
        <html lang=lang.code()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <link rel="stylesheet" href=assets.css />
                <link rel="modulepreload" href=assets.js.clone() />
                <link
                    rel="preload"
                    href=assets.wasm.clone()
                    r#as="fetch"
                    r#type="application/wasm"
                    crossorigin=""
                />
                <script type="module" nonce=nonce>
                    {boot}
                </script>
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The document title. On the server it is escaped, because leptos_meta writes it into the
/// HTML head as it is (names in titles are people's input); the browser sets it as text.
fn page_title(page: &str, app_name: &str) -> String {
    let title = format!("{page} · {app_name}");
    #[cfg(feature = "ssr")]
    let title = api::ssr::escape_title(&title);
    title
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(current_lang());
    provide_toasts();
    let t = i18n::use_texts();
    view! {
        <Title formatter=move |page: String| page_title(&page, t.shell.app_name) />
        <Router>
            <Routes fallback=|| view! { <NotFound /> }>
                <Route path=path!("/login") view=pages::login::LoginPage ssr=SsrMode::Async />
                <Route path=path!("/setup") view=pages::login::SetupPage ssr=SsrMode::Async />
                <ParentRoute path=path!("") view=pages::layout::Layout ssr=SsrMode::Async>
                    <Route path=path!("") view=pages::dashboard::Dashboard />
                    <Route path=path!("/alerts") view=pages::overview::AlertsPage />
                    <Route path=path!("/reclaim") view=pages::overview::ReclaimPage />
                    <Route path=path!("/store/connections") view=pages::store::ConnectionsPage />
                    <Route path=path!("/store/apps") view=pages::store::AppsPage />
                    <Route path=path!("/store/apps/:id") view=pages::store::AppPage />
                    <Route path=path!("/store/sync-runs") view=pages::store::SyncRunsPage />
                    <Route path=path!("/licenses") view=pages::licenses::LicensesOverview />
                    <Route
                        path=path!("/licenses/agreements")
                        view=pages::licenses::AgreementsPage
                    />
                    <Route
                        path=path!("/licenses/agreements/new")
                        view=pages::licenses::NewAgreementPage
                    />
                    <Route path=path!("/licenses/groups") view=pages::licenses::LicenseGroupsPage />
                    <Route path=path!("/licenses/reports") view=pages::licenses::ReportsPage />
                    <Route
                        path=path!("/billing/subscriptions")
                        view=pages::billing::SubscriptionsPage
                    />
                    <Route
                        path=path!("/billing/subscriptions/:id")
                        view=pages::billing::SubscriptionPage
                    />
                    <Route path=path!("/billing/licenses") view=pages::billing::IsvLicensesPage />
                    <Route
                        path=path!("/billing/licenses/:id")
                        view=pages::billing::IsvLicensePage
                    />
                    <Route path=path!("/billing/profiles") view=pages::billing::ProfilesPage />
                    <Route path=path!("/billing/invoices") view=pages::billing::InvoicesPage />
                    <Route path=path!("/billing/invoices/:id") view=pages::billing::InvoicePage />
                    <Route path=path!("/users") view=pages::directory::UsersPage />
                    <Route path=path!("/users/:id") view=pages::directory::UserPage />
                    <Route path=path!("/groups") view=pages::directory::GroupsPage />
                    <Route path=path!("/groups/:id") view=pages::directory::GroupPage />
                    <Route path=path!("/devices") view=pages::directory::DevicesPage />
                    <Route path=path!("/devices/:id") view=pages::directory::DevicePage />
                    <Route path=path!("/settings/admins") view=pages::settings::AdminsPage />
                    <Route path=path!("/settings/api-tokens") view=pages::settings::ApiTokensPage />
                    <Route
                        path=path!("/settings/notifications")
                        view=pages::settings::NotificationsPage
                    />
                    <Route path=path!("/audit") view=pages::settings::AuditPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
