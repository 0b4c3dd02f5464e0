//! Pages, one module per area.

pub mod admins;
pub mod audit;
pub mod billing;
pub mod dashboard;
pub mod devices;
pub mod groups;
pub mod layout;
pub mod licenses;
pub mod login;
pub mod store;
pub mod users;

use crate::i18n::{Texts, use_texts};
use leptos::prelude::*;

/// The product areas and their sub-pages (SPEC §6 addresses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    Store,
    Licenses,
    Billing,
    Directory,
}

impl Area {
    pub fn pages(self, t: &'static Texts) -> Vec<(&'static str, &'static str)> {
        match self {
            Area::Store => vec![
                ("/store/connections", t.store_connections),
                ("/store/apps", t.store_apps),
                ("/store/sync-runs", t.store_sync_runs),
            ],
            Area::Licenses => vec![
                ("/licenses", t.licenses_overview),
                ("/licenses/agreements", t.licenses_agreements),
                ("/licenses/groups", t.licenses_groups),
                ("/licenses/reports", t.licenses_reports),
            ],
            Area::Billing => vec![
                ("/billing/subscriptions", t.billing_subscriptions),
                ("/billing/licenses", t.billing_licenses),
                ("/billing/profiles", t.billing_profiles),
                ("/billing/invoices", t.billing_invoices),
            ],
            Area::Directory => vec![
                ("/users", t.dir_users),
                ("/groups", t.dir_groups),
                ("/devices", t.dir_devices),
            ],
        }
    }

    /// One line about the area: what it holds, or (for areas not built yet) when it arrives.
    pub fn summary(self, t: &'static Texts) -> &'static str {
        match self {
            Area::Store => t.store_card,
            Area::Licenses => t.licenses_card,
            Area::Billing => t.billing_card,
            Area::Directory => t.directory_card,
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
    view! { <nav class="tabs" aria-label="Section">{tabs}</nav> }
}

/// Display name of a role in the current language.
pub fn role_label(t: &'static Texts, role: crate::domain::Role) -> &'static str {
    use crate::domain::Role;
    match role {
        Role::GlobalAdmin => t.role_global_admin,
        Role::LicenseAdmin => t.role_license_admin,
        Role::UserAdmin => t.role_user_admin,
        Role::BillingAdmin => t.role_billing_admin,
        Role::Reader => t.role_reader,
    }
}
