//! Billing area (SPEC B-1 … B-9): subscriptions and their actions, ISV app licenses with the
//! Assign licenses panel, billing profiles with payment methods and roles, invoices.
//!
//! This module holds what the billing pages share: labels, pills and the select field.

mod add_subscription;
mod assign_panel;
mod invoice;
mod invoices;
mod isv_license;
mod isv_licenses;
mod profile_forms;
mod profiles;
mod subscription;
mod subscription_dialogs;
mod subscription_panels;
mod subscriptions;

pub use invoice::InvoicePage;
pub use invoices::InvoicesPage;
pub use isv_license::IsvLicensePage;
pub use isv_licenses::IsvLicensesPage;
pub use profiles::ProfilesPage;
pub use subscription::SubscriptionPage;
pub use subscriptions::SubscriptionsPage;

use crate::domain::billing::{
    Channel, DisabledReason, Frequency, InvoiceStatus, Pricing, ProfileRole, SubscriptionStatus,
    SubscriptionView, Total, format_money,
};
use crate::i18n::Texts;
use leptos::prelude::*;

/// A fresh idempotency key for one confirmed change (browser only; empty during SSR).
pub(super) fn new_key() -> String {
    #[cfg(feature = "hydrate")]
    {
        let r = (web_sys::js_sys::Math::random() * 1e15) as u64;
        let d = web_sys::js_sys::Date::now() as u64;
        format!("ui-{d:x}-{r:x}")
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}

pub(super) fn status_label(t: &'static Texts, s: SubscriptionStatus) -> String {
    match s {
        SubscriptionStatus::PendingActivation => t.billing.pending_activation.to_string(),
        SubscriptionStatus::Active => t.billing.active.to_string(),
        SubscriptionStatus::Disabled(r) => {
            format!("{} ({})", t.common.disabled, reason_label(t, r))
        }
    }
}

pub(super) fn reason_label(t: &'static Texts, r: DisabledReason) -> &'static str {
    match r {
        DisabledReason::Cancelled => t.billing.reason_cancelled,
        DisabledReason::Expired => t.billing.reason_expired,
        DisabledReason::PaymentOverdue => t.billing.reason_overdue,
    }
}

pub(super) fn status_pill(t: &'static Texts, s: SubscriptionStatus) -> impl IntoView {
    let class = match s {
        SubscriptionStatus::Active => "pill ok",
        SubscriptionStatus::PendingActivation => "pill warn",
        SubscriptionStatus::Disabled(_) => "pill bad",
    };
    view! { <span class=class>{status_label(t, s)}</span> }
}

pub(super) fn pricing_label(t: &'static Texts, s: &SubscriptionView) -> String {
    let model = match s.pricing {
        Pricing::FlatRate => t.billing.flat_rate,
        Pricing::PerLicense => t.billing.per_license,
    };
    let freq = match s.frequency {
        Frequency::Monthly => t.billing.monthly,
        Frequency::Annual => t.billing.annual,
    };
    format!("{model}, {freq}")
}

pub(super) fn quantity_label(t: &'static Texts, q: Option<i64>) -> String {
    q.map(|n| n.to_string())
        .unwrap_or_else(|| t.billing.unlimited.to_string())
}

pub(super) fn channel_label(t: &'static Texts, c: Channel) -> &'static str {
    match c {
        Channel::Direct => t.billing.channel_direct,
        Channel::Partner => t.billing.channel_partner,
        Channel::Proposal => t.billing.channel_proposal,
    }
}

pub(super) fn role_name(t: &'static Texts, r: ProfileRole) -> &'static str {
    match r {
        ProfileRole::Owner => t.billing.role_owner,
        ProfileRole::Contributor => t.billing.role_contributor,
        ProfileRole::Reader => t.billing.role_reader,
        ProfileRole::InvoiceManager => t.billing.role_invoice_manager,
    }
}

pub(super) fn invoice_pill(t: &'static Texts, status: InvoiceStatus) -> impl IntoView + use<> {
    let (class, label) = match status {
        InvoiceStatus::Paid => ("pill ok", t.billing.paid),
        InvoiceStatus::Overdue => ("pill bad", t.billing.overdue),
        InvoiceStatus::Open => ("pill warn", t.billing.open),
    };
    view! { <span class=class>{label}</span> }
}

pub(super) fn totals_text(totals: &[Total]) -> String {
    totals
        .iter()
        .map(|t| format_money(t.amount_minor, &t.currency))
        .collect::<Vec<_>>()
        .join(" · ")
}

pub(super) fn select_field(
    label: &'static str,
    name: &'static str,
    options: Vec<(String, String)>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let id = format!("f-{}", name.replace(['[', ']'], "-"));
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            <select id=id name=name>
                {options
                    .into_iter()
                    .map(|(v, l)| view! { <option value=v>{l}</option> })
                    .collect_view()}
            </select>
            {move || error.get().map(|m| view! { <p class="field-error">{m}</p> })}
        </div>
    }
}
