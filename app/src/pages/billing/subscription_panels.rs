//! The panels of the subscription page: settings and actions, where each thing is managed,
//! licenses assigned in the publisher's portal, and the charges table.

use super::subscription::SubscriptionActions;
use crate::api::billing::{ActivateSubscription, RecordAssigned};
use crate::components::{Column, DataTable, Field, FormError, field_error};
use crate::domain::billing::{AdjustmentView, SubscriptionView, format_money};
use crate::i18n::use_texts;
use leptos::prelude::*;

/// Manage in the publisher's portal (which activates a pending subscription), change the
/// quantity, cancel.
#[component]
pub(super) fn ActionsPanel(s: SubscriptionView, actions: SubscriptionActions) -> impl IntoView {
    let t = use_texts();
    let sid = s.id;
    let activate = actions.activate;
    view! {
        <section class="panel" aria-labelledby="actions-title">
            <h2 id="actions-title">{t.billing.settings_actions}</h2>
            <div class="form-actions">
                <a
                    class="button primary"
                    href=s.portal_url.clone()
                    target="_blank"
                    rel="noopener external"
                    on:click=move |_| {
                        activate.dispatch(ActivateSubscription { id: sid });
                    }
                >
                    {t.billing.manage_in_portal}
                </a>
                <button
                    type="button"
                    class="secondary"
                    on:click=move |_| actions.open_with_key(actions.quantity_open)
                >
                    {t.billing.change_quantity}
                </button>
                <button
                    type="button"
                    class="secondary danger-text"
                    on:click=move |_| actions.open_with_key(actions.cancel_open)
                >
                    {t.billing.cancel_subscription}
                </button>
            </div>
            <FormError value=activate.value() />
        </section>
    }
}

/// What is managed here and what in the publisher's portal.
#[component]
pub(super) fn WherePanel() -> impl IntoView {
    let t = use_texts();
    view! {
        <section class="panel" aria-labelledby="where-title">
            <h2 id="where-title">{t.billing.where_title}</h2>
            <div class="two-col">
                <div>
                    <h3>{t.billing.where_here}</h3>
                    <ul>
                        {t
                            .billing
                            .where_here_items
                            .split('|')
                            .map(|i| view! { <li>{i}</li> })
                            .collect_view()}
                    </ul>
                </div>
                <div>
                    <h3>{t.billing.where_portal}</h3>
                    <ul>
                        {t
                            .billing
                            .where_portal_items
                            .split('|')
                            .map(|i| view! { <li>{i}</li> })
                            .collect_view()}
                    </ul>
                </div>
            </div>
        </section>
    }
}

#[component]
pub(super) fn RecordAssignedPanel(
    s: SubscriptionView,
    action: ServerAction<RecordAssigned>,
) -> impl IntoView {
    let t = use_texts();
    view! {
        <section class="panel" aria-labelledby="assigned-title">
            <h2 id="assigned-title">{t.billing.record_assigned}</h2>
            <p class="muted">{t.billing.record_assigned_help}</p>
            <ActionForm action=action attr:class="grid-form">
                <input type="hidden" name="id" value=s.id />
                <Field
                    label=t.billing.assigned
                    name="assigned"
                    kind="number"
                    value=s.assigned.to_string()
                    error=field_error(action.value(), "assigned")
                />
                <FormError value=action.value() />
                <div class="form-actions">
                    <button type="submit" class="secondary">
                        {t.common.save}
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}

/// Activation and quantity changes with their prorated amounts and invoices.
#[component]
pub(super) fn ChargesTable(adjustments: Vec<AdjustmentView>, currency: String) -> impl IntoView {
    let t = use_texts();
    let count = adjustments.len();
    let adjustments = StoredValue::new(adjustments);
    let currency = StoredValue::new(currency);
    view! {
        <DataTable
            caption=t.billing.charges
            columns=vec![
                Column::new("on", t.billing.effective_on),
                Column::new("change", t.billing.change),
                Column::new("days", t.billing.days),
                Column::new("amount", t.billing.amount),
                Column::new("invoice", t.billing.invoice),
            ]
            row_count=Signal::stored(count)
            empty=t.billing.no_charges
        >
            {move || {
                adjustments
                    .get_value()
                    .into_iter()
                    .map(|a| {
                        view! {
                            <tr>
                                <td class="nowrap">{a.effective_on.clone()}</td>
                                <td>
                                    {if a.old_quantity == 0 {
                                        t.billing.activation.to_string()
                                    } else {
                                        format!("{} → {}", a.old_quantity, a.new_quantity)
                                    }}
                                </td>
                                <td class="num">
                                    {format!("{} / {}", a.days_charged, a.days_in_period)}
                                </td>
                                <td class="num nowrap">
                                    {format_money(a.amount_minor, &currency.get_value())}
                                </td>
                                <td>
                                    {a
                                        .invoice_number
                                        .clone()
                                        .unwrap_or_else(|| t.billing.next_invoice.to_string())}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()
            }}
        </DataTable>
    }
}
