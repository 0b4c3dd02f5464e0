//! `/billing/subscriptions`: the products the organization subscribes to, filtered
//! by status, and Add subscription.

use super::add_subscription::AddSubscriptionPanel;
use super::{pricing_label, quantity_label, status_pill};
use crate::api::billing::{AddSubscription, list_subscriptions};
use crate::components::{Column, DataTable, Loaded, SearchBox, can, toast_on_success};
use crate::domain::Permission;
use crate::domain::billing::{SubscriptionView, format_money};
use crate::i18n::use_texts;
use crate::pages::{Area, AreaTabs};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SubscriptionsPage() -> impl IntoView {
    let t = use_texts();
    let query = use_query_map();
    let add = ServerAction::<AddSubscription>::new();
    let list = Resource::new(
        move || {
            (
                query.read().get("status"),
                query.read().get("q"),
                add.version().get(),
            )
        },
        |(status, q, _)| list_subscriptions(status, q),
    );
    let status_now = move || query.read().get("status").unwrap_or_default();
    toast_on_success(add.value(), t.billing.toast_subscription_added);
    view! {
        <Title text=t.billing.subscriptions />
        <AreaTabs area=Area::Billing current=0 />
        <h1>{t.billing.subscriptions}</h1>
        <p class="lead">{t.billing.subscriptions_intro}</p>
        <SearchBox label=t.billing.search_apps>
            <div class="field">
                <label for="f-status">{t.common.col_status}</label>
                <select id="f-status" name="status">
                    {[
                        ("", t.billing.all),
                        ("pending_activation", t.billing.pending_activation),
                        ("active", t.billing.active),
                        ("disabled", t.common.disabled),
                    ]
                        .into_iter()
                        .map(|(v, l)| {
                            view! {
                                <option value=v selected=move || status_now() == v>
                                    {l}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
        </SearchBox>
        <Loaded resource=list let:items>
            <SubscriptionTable items=items />
        </Loaded>
        {can(Permission::ManageBilling).then(|| view! { <AddSubscriptionPanel action=add /> })}
    }
}

#[component]
fn SubscriptionTable(items: Vec<SubscriptionView>) -> impl IntoView {
    let t = use_texts();
    let columns = vec![
        Column::new("app", t.billing.app),
        Column::new("publisher", t.common.col_publisher),
        Column::new("pricing", t.billing.pricing),
        Column::new("quantity", t.billing.quantity),
        Column::new("price", t.billing.price),
        Column::new("status", t.common.col_status),
        Column::new("renews", t.billing.renews_on),
        Column::new("profile", t.billing.billing_profile),
    ];
    let count = items.len();
    let items = StoredValue::new(items);
    view! {
        <DataTable
            caption=t.billing.subscriptions
            columns=columns
            row_count=Signal::stored(count)
            empty=t.billing.no_subscriptions
        >
            {move || {
                items
                    .get_value()
                    .into_iter()
                    .map(|s| {
                        view! {
                            <tr>
                                <td>
                                    <a href=format!(
                                        "/billing/subscriptions/{}",
                                        s.id,
                                    )>{s.app_name.clone()}</a>
                                </td>
                                <td>{s.publisher.clone()}</td>
                                <td>{pricing_label(t, &s)}</td>
                                <td class="num">{quantity_label(t, s.quantity)}</td>
                                <td class="num nowrap">
                                    {format_money(s.unit_price_minor, &s.currency)}
                                </td>
                                <td>{status_pill(t, s.status)}</td>
                                <td class="nowrap">{s.renews_on.clone()}</td>
                                <td>{s.profile_name.clone()}</td>
                            </tr>
                        }
                    })
                    .collect_view()
            }}
        </DataTable>
    }
}
