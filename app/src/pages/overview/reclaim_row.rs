//! One row of `/reclaim`: the reason, the item (with Set price when it has none and the admin
//! manages it), the holder, since when, the cost, and Reclaim.

use super::reclaim::Confirm;
use crate::api::reclaim::SetLicensePrice;
use crate::domain::billing::format_money;
use crate::domain::overview::Money;
use crate::domain::reclaim::{ReclaimKind, ReclaimRow};
use crate::domain::{Permission, format_time};
use crate::i18n::{Texts, fill, use_texts};
use crate::pages::overview::pricing::PriceFields;
use leptos::prelude::*;

pub fn kind_label(t: &'static Texts, kind: ReclaimKind) -> &'static str {
    match kind {
        ReclaimKind::StoreDisabled => t.reclaim.kind_store_disabled,
        ReclaimKind::StoreInactive => t.reclaim.kind_store_inactive,
        ReclaimKind::StorePending => t.reclaim.kind_store_pending,
        ReclaimKind::IsvDisabled => t.reclaim.kind_isv_disabled,
        ReclaimKind::SaasUnassigned => t.reclaim.kind_saas_unassigned,
        ReclaimKind::AgreementUnused => t.reclaim.kind_agreement_unused,
    }
}

#[component]
pub(super) fn ReclaimRowView(
    row: ReclaimRow,
    selected: RwSignal<Vec<String>>,
    confirm: Confirm,
    price: ServerAction<SetLicensePrice>,
) -> impl IntoView {
    let t = use_texts();
    let key = row.key.clone();
    let check_id = format!("sel-{}", key.replace(':', "-"));
    let label = fill(t.reclaim.select_row, &row.item);
    let actionable = row.kind.actionable() && row.can_reclaim;
    let toggle = {
        let key = key.clone();
        move |_| {
            selected.update(|s| match s.iter().position(|k| *k == key) {
                Some(p) => {
                    s.remove(p);
                }
                None => s.push(key.clone()),
            })
        }
    };
    let is_checked = {
        let key = key.clone();
        move || selected.with(|s| s.contains(&key))
    };
    let since = match row.since {
        Some(s) => format_time(s)
            .split(' ')
            .next()
            .unwrap_or_default()
            .to_string(),
        None if row.kind == ReclaimKind::StoreInactive => t.reclaim.never.to_string(),
        None => "—".to_string(),
    };
    let cost = |m: &Option<Money>| match m {
        Some(m) => format_money(m.minor, &m.currency),
        None => t.reclaim.no_price.to_string(),
    };
    let (month, year) = (cost(&row.monthly), cost(&row.yearly));
    let priceable = match row.kind {
        ReclaimKind::AgreementUnused => Some(("agreement", Permission::ManageAgreements)),
        ReclaimKind::StoreDisabled | ReclaimKind::StoreInactive | ReclaimKind::StorePending => {
            Some(("store_app", Permission::ManageStore))
        }
        _ => None,
    }
    .filter(|(_, p)| crate::components::can(*p) && row.monthly.is_none());
    let item_id: i64 = row
        .key
        .split(':')
        .nth(1)
        .and_then(|i| i.parse().ok())
        .unwrap_or(0);
    let action_cell = if row.kind == ReclaimKind::AgreementUnused {
        view! { <span class="muted">{t.reclaim.not_here}</span> }.into_any()
    } else if actionable {
        let one = row.clone();
        view! {
            <button
                type="button"
                class="secondary small"
                on:click=move |_| {
                    confirm.rows.set(vec![one.clone()]);
                    confirm.open.set(true);
                }
            >
                {t.reclaim.reclaim}
            </button>
        }
        .into_any()
    } else {
        view! { <span class="muted">{t.reclaim.other_role}</span> }.into_any()
    };
    view! {
        <tr>
            <td>
                {actionable
                    .then(|| {
                        view! {
                            <input
                                type="checkbox"
                                id=check_id.clone()
                                aria-label=label.clone()
                                prop:checked=is_checked.clone()
                                on:change=toggle.clone()
                            />
                        }
                    })}
            </td>
            <td>{kind_label(t, row.kind)}</td>
            <td>
                <a href=row.item_link.clone()>{row.item.clone()}</a>
                {priceable
                    .map(|(target, _)| {
                        view! {
                            <PriceDetails
                                target=target
                                id=item_id
                                name=row.item.clone()
                                action=price
                            />
                        }
                    })}
            </td>
            <td>
                {(!row.holder.is_empty())
                    .then(|| view! { <a href=row.holder_link.clone()>{row.holder.clone()}</a> })}
            </td>
            <td class="time">{since}</td>
            <td class="num">{row.licenses}</td>
            <td class="num">{month}</td>
            <td class="num">{year}</td>
            <td>{action_cell}</td>
        </tr>
    }
}

/// "Set price" under an unpriced item: a disclosure with the price form (works without
/// JavaScript too: the form posts to the server function).
#[component]
fn PriceDetails(
    target: &'static str,
    id: i64,
    name: String,
    action: ServerAction<SetLicensePrice>,
) -> impl IntoView {
    let t = use_texts();
    view! {
        <details class="inline-details">
            <summary>{t.reclaim.set_price}</summary>
            <ActionForm
                action=action
                attr:class="stacked"
                attr:aria-label=fill(t.reclaim.price_dialog_title, name)
            >
                <PriceFields target=target id=id price=None action=action />
                <button type="submit" class="small">
                    {t.reclaim.price_save}
                </button>
            </ActionForm>
        </details>
    }
}
