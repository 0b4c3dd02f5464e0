//! `/billing/subscriptions/{id}`: one subscription, its state, the charges,
//! and its actions (portal, quantity, billing profile, cancel, licenses assigned).

use super::subscription_dialogs::SubscriptionDialogs;
use super::subscription_panels::{ActionsPanel, ChargesTable, RecordAssignedPanel, WherePanel};
use super::{channel_label, new_key, pricing_label, quantity_label, reason_label, status_pill};
use crate::api::billing::{
    ActivateSubscription, CancelSubscription, ChangeQuantity, ChangeSubscriptionProfile,
    RecordAssigned, get_subscription,
};
use crate::components::{Loaded, can, param_id, use_toasts};
use crate::domain::Permission;
use crate::domain::billing::{
    SubscriptionDetail, SubscriptionStatus, SubscriptionView, format_money,
};
use crate::i18n::{fill, use_texts};
use crate::pages::{Area, AreaTabs};
use leptos::prelude::*;
use leptos_meta::Title;

/// The subscription page's actions, its dialogs' open states and the idempotency key of the
/// change being confirmed.
#[derive(Clone, Copy)]
pub(super) struct SubscriptionActions {
    pub activate: ServerAction<ActivateSubscription>,
    pub quantity: ServerAction<ChangeQuantity>,
    pub profile: ServerAction<ChangeSubscriptionProfile>,
    pub cancel: ServerAction<CancelSubscription>,
    pub assigned: ServerAction<RecordAssigned>,
    pub quantity_open: RwSignal<bool>,
    pub profile_open: RwSignal<bool>,
    pub cancel_open: RwSignal<bool>,
    pub key: RwSignal<String>,
}

impl SubscriptionActions {
    fn new() -> Self {
        SubscriptionActions {
            activate: ServerAction::new(),
            quantity: ServerAction::new(),
            profile: ServerAction::new(),
            cancel: ServerAction::new(),
            assigned: ServerAction::new(),
            quantity_open: RwSignal::new(false),
            profile_open: RwSignal::new(false),
            cancel_open: RwSignal::new(false),
            key: RwSignal::new(String::new()),
        }
    }

    /// Opens `dialog` with a fresh idempotency key, so a repeated submit is one change.
    pub fn open_with_key(&self, dialog: RwSignal<bool>) {
        self.key.set(new_key());
        dialog.set(true);
    }
}

#[component]
pub fn SubscriptionPage() -> impl IntoView {
    let t = use_texts();
    let id = param_id();
    let a = SubscriptionActions::new();
    let detail = Resource::new(
        move || {
            (
                id(),
                a.activate.version().get(),
                a.quantity.version().get(),
                a.profile.version().get(),
                a.cancel.version().get(),
                a.assigned.version().get(),
            )
        },
        |(id, ..)| get_subscription(id),
    );
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(r)) = a.quantity.value().get() {
            a.quantity_open.set(false);
            toasts.push(fill(t.billing.toast_quantity, r.new_quantity));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = a.profile.value().get() {
            a.profile_open.set(false);
            toasts.push(t.billing.toast_profile_changed.to_string());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = a.cancel.value().get() {
            a.cancel_open.set(false);
            toasts.push(t.billing.toast_cancelled.to_string());
        }
    });
    view! {
        <AreaTabs area=Area::Billing current=0 />
        <Loaded resource=detail let:d>
            <SubscriptionDetailView detail=d actions=a />
        </Loaded>
    }
}

#[component]
fn SubscriptionDetailView(
    detail: SubscriptionDetail,
    actions: SubscriptionActions,
) -> impl IntoView {
    let t = use_texts();
    let s = detail.subscription.clone();
    let editable = can(Permission::ManageBilling) && !s.status.is_disabled();
    view! {
        <Title text=s.app_name.clone() />
        <p class="crumbs">
            <a href="/billing/subscriptions">{t.billing.subscriptions}</a>
        </p>
        <div class="page-head">
            <h1>{s.app_name.clone()}</h1>
            {status_pill(t, s.status)}
        </div>
        {match s.status {
            SubscriptionStatus::Disabled(r) => {
                view! {
                    <div class="notice bad" role="note">
                        <strong>{fill(t.billing.disabled_notice, reason_label(t, r))}</strong>
                        " "
                        {t.billing.disabled_final}
                    </div>
                }
                    .into_any()
            }
            SubscriptionStatus::PendingActivation => {
                view! {
                    <div class="notice" role="note">
                        {t.billing.pending_notice}
                    </div>
                }
                    .into_any()
            }
            SubscriptionStatus::Active => ().into_any(),
        }}
        <SubscriptionFacts s=s.clone() editable=editable profile_open=actions.profile_open />
        {editable.then(|| view! { <ActionsPanel s=s.clone() actions=actions /> })}
        <WherePanel />
        {editable.then(|| view! { <RecordAssignedPanel s=s.clone() action=actions.assigned /> })}
        <h2>{t.billing.charges}</h2>
        <ChargesTable adjustments=detail.adjustments currency=s.currency.clone() />
        <SubscriptionDialogs s=s profiles=detail.profiles actions=actions />
    }
}

#[component]
fn SubscriptionFacts(
    s: SubscriptionView,
    /// Whether the billing profile may be changed here (the Edit button).
    editable: bool,
    profile_open: RwSignal<bool>,
) -> impl IntoView {
    let t = use_texts();
    view! {
        <dl class="facts wrap">
            <div>
                <dt>{t.common.col_publisher}</dt>
                <dd>{s.publisher.clone()}</dd>
            </div>
            <div>
                <dt>{t.billing.channel}</dt>
                <dd>{channel_label(t, s.channel)}</dd>
            </div>
            <div>
                <dt>{t.billing.pricing}</dt>
                <dd>{pricing_label(t, &s)}</dd>
            </div>
            <div>
                <dt>{t.billing.quantity}</dt>
                <dd>{quantity_label(t, s.quantity)}</dd>
            </div>
            <div>
                <dt>{t.billing.assigned}</dt>
                <dd>{s.assigned}</dd>
            </div>
            <div>
                <dt>{t.billing.price}</dt>
                <dd>{format_money(s.unit_price_minor, &s.currency)}</dd>
            </div>
            <div>
                <dt>{t.billing.period_cost}</dt>
                <dd>{format_money(s.period_cost_minor(), &s.currency)}</dd>
            </div>
            <div>
                <dt>{t.billing.term_start}</dt>
                <dd>{s.term_start_on.clone()}</dd>
            </div>
            <div>
                <dt>{t.billing.renews_on}</dt>
                <dd>
                    {s.renews_on.clone()}" "
                    <span class="muted">
                        {if s.auto_renew { t.billing.auto_renews } else { t.billing.no_renewal }}
                    </span>
                </dd>
            </div>
            <div>
                <dt>{t.billing.billing_profile}</dt>
                <dd>
                    {s.profile_name.clone()}" "
                    {editable
                        .then(|| {
                            view! {
                                <button
                                    type="button"
                                    class="link"
                                    aria-label=t.billing.edit_profile_label
                                    on:click=move |_| profile_open.set(true)
                                >
                                    {t.billing.edit}
                                </button>
                            }
                        })}
                </dd>
            </div>
        </dl>
    }
}
