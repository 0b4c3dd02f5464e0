//! Pages, one module per area.

pub mod billing;
pub mod dashboard;
pub mod directory;
pub mod layout;
pub mod licenses;
pub mod login;
pub mod overview;
pub mod settings;
pub mod store;

use crate::i18n::{Texts, use_texts};
use leptos::prelude::*;

/// The product areas and their sub-pages (SPEC §6 addresses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    Store,
    Licenses,
    Billing,
    Directory,
    Settings,
}

impl Area {
    pub fn pages(self, t: &'static Texts) -> Vec<(&'static str, &'static str)> {
        match self {
            Area::Store => vec![
                ("/store/connections", t.store.connections),
                ("/store/apps", t.store.purchased_apps),
                ("/store/sync-runs", t.store.sync_runs),
            ],
            Area::Licenses => vec![
                ("/licenses", t.licenses.overview),
                ("/licenses/agreements", t.licenses.agreements),
                ("/licenses/groups", t.licenses.groups),
                ("/licenses/reports", t.licenses.reports),
            ],
            Area::Billing => vec![
                ("/billing/subscriptions", t.billing.subscriptions),
                ("/billing/licenses", t.billing.licenses),
                ("/billing/profiles", t.billing.profiles),
                ("/billing/invoices", t.billing.invoices),
            ],
            Area::Directory => vec![
                ("/users", t.directory.users),
                ("/groups", t.directory.groups),
                ("/devices", t.directory.devices),
            ],
            Area::Settings => vec![
                ("/settings/admins", t.settings.admins),
                ("/settings/notifications", t.overview.notifications),
                ("/settings/api-tokens", t.tokens.title),
            ],
        }
    }

    /// One line about the area: what it holds, or (for areas not built yet) when it arrives.
    pub fn summary(self, t: &'static Texts) -> &'static str {
        match self {
            Area::Store => t.store.card,
            Area::Licenses => t.licenses.card,
            Area::Billing => t.billing.card,
            Area::Directory => t.directory.card,
            Area::Settings => t.overview.settings_card,
        }
    }
}

/// Tabs between the pages of one area.
#[component]
pub fn AreaTabs(area: Area, current: usize) -> impl IntoView {
    let t = use_texts();
    let tabs = area
        .pages(t)
        .into_iter()
        .enumerate()
        .map(|(i, (href, label))| {
            view! {
                <a href=href class="tab" aria-current=(i == current).then_some("page")>
                    {label}
                </a>
            }
        })
        .collect_view();
    view! {
        <nav class="tabs" aria-label="Section">
            {tabs}
        </nav>
    }
}

/// Display name of a role in the current language.
pub fn role_label(t: &'static Texts, role: crate::domain::Role) -> &'static str {
    use crate::domain::Role;
    match role {
        Role::GlobalAdmin => t.common.role_global_admin,
        Role::LicenseAdmin => t.common.role_license_admin,
        Role::UserAdmin => t.common.role_user_admin,
        Role::BillingAdmin => t.common.role_billing_admin,
        Role::Reader => t.common.role_reader,
    }
}
