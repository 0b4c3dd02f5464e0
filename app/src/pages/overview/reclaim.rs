//! `/reclaim` (SPEC X-3): what is paid for and not used, what it costs per month and per year,
//! and Reclaim per row or for a selection, each after a confirmation that states the saving.
//! The day limits are a GET form (`?inactive_days=&pending_days=`), so they work before
//! hydration and the CSV export link carries them.

use super::reclaim_row::ReclaimRowView;
use crate::api::reclaim::{ReclaimSelected, SetLicensePrice, list_reclaimable};
use crate::components::{
    Column, ConfirmDialog, DataTable, DialogActions, FormError, Loaded, toast_on_success,
    use_toasts,
};
use crate::domain::ApiError;
use crate::domain::billing::format_money;
use crate::domain::overview::Money;
use crate::domain::reclaim::{ReclaimList, ReclaimRow, ReclaimTotals, add_money};
use crate::i18n::{fill, use_texts};
use crate::pages::overview::fill_two;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// `EUR 12.00 + USD 3.00`, or `None` when nothing is priced.
pub fn money_list(money: &[Money]) -> Option<String> {
    (!money.is_empty()).then(|| {
        money
            .iter()
            .map(|m| format_money(m.minor, &m.currency))
            .collect::<Vec<_>>()
            .join(" + ")
    })
}

/// The saving of a set of rows: per month and per year, per currency.
fn saving(rows: &[ReclaimRow]) -> (Vec<Money>, Vec<Money>) {
    let (mut month, mut year) = (vec![], vec![]);
    for r in rows {
        if let Some(m) = &r.monthly {
            add_money(&mut month, &m.currency, m.minor);
        }
        if let Some(y) = &r.yearly {
            add_money(&mut year, &y.currency, y.minor);
        }
    }
    (month, year)
}

/// What the confirmation is about: the rows and whether the dialog is open.
#[derive(Clone, Copy)]
pub(super) struct Confirm {
    pub rows: RwSignal<Vec<ReclaimRow>>,
    pub open: RwSignal<bool>,
}

#[component]
pub fn ReclaimPage() -> impl IntoView {
    let t = use_texts();
    let query = use_query_map();
    let days = move |name: &str| {
        query
            .read()
            .get(name)
            .and_then(|d| d.trim().parse::<i64>().ok())
    };
    let action = ServerAction::<ReclaimSelected>::new();
    let price = ServerAction::<SetLicensePrice>::new();
    let list = Resource::new(
        move || {
            (
                days("inactive_days"),
                days("pending_days"),
                action.version().get(),
                price.version().get(),
            )
        },
        |(inactive, pending, _, _)| list_reclaimable(inactive, pending),
    );
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(o)) = action.value().get() {
            let mut text = t
                .reclaim
                .done
                .replacen("{}", &o.store_licenses.to_string(), 1)
                .replacen("{}", &o.isv_licenses.to_string(), 1)
                .replacen("{}", &o.seats.to_string(), 1);
            if let Some(m) = money_list(&o.monthly_saving) {
                text = format!("{text} {}", fill(t.reclaim.done_saving, m));
            }
            toasts.push(text);
        }
    });
    toast_on_success(price.value(), t.reclaim.price_saved);
    let confirm = Confirm {
        rows: RwSignal::new(vec![]),
        open: RwSignal::new(false),
    };
    view! {
        <Title text=t.reclaim.title />
        <h1>{t.reclaim.title}</h1>
        <p class="lead">{t.reclaim.intro}</p>
        <FormError value=action.value() />
        <FormError value=price.value() />
        <Loaded resource=list let:l>
            <ReclaimView list=l confirm=confirm price=price />
        </Loaded>
        <ReclaimDialog confirm=confirm action=action />
    }
}

#[component]
fn ReclaimView(
    list: ReclaimList,
    confirm: Confirm,
    price: ServerAction<SetLicensePrice>,
) -> impl IntoView {
    let t = use_texts();
    let (inactive, pending) = (list.inactive_days, list.pending_days);
    let export =
        format!("/api/reclaim/reclaimable.csv?inactive_days={inactive}&pending_days={pending}");
    let total = match (
        money_list(&list.monthly_total),
        money_list(&list.yearly_total),
    ) {
        (Some(m), Some(y)) => fill_two(t.reclaim.total, m, y),
        _ => t.reclaim.total_none.to_string(),
    };
    let rows = StoredValue::new(list.rows);
    let selected = RwSignal::new(Vec::<String>::new());
    let count = rows.with_value(Vec::len);
    let open_selection = move |_| {
        let keys = selected.get();
        confirm.rows.set(rows.with_value(|r| {
            r.iter()
                .filter(|row| keys.contains(&row.key))
                .cloned()
                .collect()
        }));
        confirm.open.set(true);
    };
    view! {
        <form method="get" action="/reclaim" class="filters">
            <fieldset class="inline-fields">
                <legend>{t.reclaim.days_legend}</legend>
                <label for="f-inactive-days">{t.reclaim.inactive_days}</label>
                <input
                    id="f-inactive-days"
                    type="number"
                    min="1"
                    max="365"
                    name="inactive_days"
                    value=inactive
                />
                <label for="f-pending-days">{t.reclaim.pending_days}</label>
                <input
                    id="f-pending-days"
                    type="number"
                    min="1"
                    max="365"
                    name="pending_days"
                    value=pending
                />
                <button type="submit" class="secondary">
                    {t.reclaim.apply}
                </button>
            </fieldset>
        </form>
        <div class="toolbar">
            <p class="reclaim-total">
                <strong>{total}</strong>
            </p>
            <a class="button secondary" href=export download>
                {t.reclaim.export_csv}
            </a>
            <button
                type="button"
                disabled=move || selected.with(Vec::is_empty)
                on:click=open_selection
            >
                {move || fill(t.reclaim.reclaim_selected, selected.with(Vec::len))}
            </button>
        </div>
        {list.truncated.then(|| view! { <p class="notice">{t.reclaim.truncated}</p> })}
        <DataTable
            caption=t.reclaim.caption
            columns=vec![
                Column::new("select", t.reclaim.col_select),
                Column::new("reason", t.reclaim.col_reason),
                Column::new("item", t.reclaim.col_item),
                Column::new("holder", t.reclaim.col_holder),
                Column::new("since", t.reclaim.col_since),
                Column::new("licenses", t.reclaim.col_licenses),
                Column::new("month", t.reclaim.col_month),
                Column::new("year", t.reclaim.col_year),
                Column::new("action", t.reclaim.col_action),
            ]
            row_count=Signal::stored(count)
            empty=t.reclaim.none
        >
            {move || {
                rows.get_value()
                    .into_iter()
                    .map(|r| {
                        view! {
                            <ReclaimRowView row=r selected=selected confirm=confirm price=price />
                        }
                    })
                    .collect_view()
            }}
        </DataTable>
    }
}

#[component]
fn ReclaimDialog(confirm: Confirm, action: ServerAction<ReclaimSelected>) -> impl IntoView {
    let t = use_texts();
    let query = use_query_map();
    let body = move || {
        let rows = confirm.rows.get();
        let question = match rows.as_slice() {
            [one] if !one.holder.is_empty() => fill(
                t.reclaim.confirm_one,
                format!("{} — {}", one.item, one.holder),
            ),
            [one] => fill(t.reclaim.confirm_one, &one.item),
            many => fill(t.reclaim.confirm_many, many.len()),
        };
        let (month, year) = saving(&rows);
        let saved = match (money_list(&month), money_list(&year)) {
            (Some(m), Some(y)) => fill_two(t.reclaim.confirm_saving, m, y),
            _ => t.reclaim.confirm_no_saving.to_string(),
        };
        view! {
            <p>{question}</p>
            <p class="saving">
                <strong>{saved}</strong>
            </p>
            <p class="muted">{t.reclaim.confirm_rule}</p>
        }
    };
    let submit = move |_| {
        let keys = confirm
            .rows
            .get_untracked()
            .into_iter()
            .map(|r| r.key)
            .collect::<Vec<_>>()
            .join(",");
        let days = |name: &str| {
            query
                .read_untracked()
                .get(name)
                .and_then(|d| d.trim().parse::<i64>().ok())
        };
        action.dispatch(ReclaimSelected {
            keys,
            inactive_days: days("inactive_days"),
            pending_days: days("pending_days"),
        });
        confirm.open.set(false);
    };
    view! {
        <ConfirmDialog open=confirm.open title=Signal::stored(t.reclaim.confirm_title.to_string())>
            {body}
            <DialogActions open=confirm.open>
                <button type="button" class="danger" on:click=submit>
                    {t.reclaim.reclaim}
                </button>
            </DialogActions>
        </ConfirmDialog>
    }
}

/// The reclaim totals as the dashboard loads them (created by the dashboard, see there).
pub type ReclaimTotalsResource = Resource<Result<ReclaimTotals, ApiError>>;

/// The dashboard's card: what is reclaimable and its monthly cost (a `<li>` of the figure cards).
#[component]
pub fn ReclaimCard(totals: ReclaimTotalsResource) -> impl IntoView {
    let t = use_texts();
    view! {
        <li class="card figure-card" aria-labelledby="fig-reclaim">
            <h3 id="fig-reclaim">{t.reclaim.dashboard_card}</h3>
            <Loaded resource=totals let:r>
                <dl class="figure-list">
                    <div>
                        <dt>{t.reclaim.dashboard_items}</dt>
                        <dd class="figure">{r.items}</dd>
                    </div>
                    <div>
                        <dt>{t.reclaim.col_month}</dt>
                        <dd class="figure">
                            {money_list(&r.monthly)
                                .unwrap_or_else(|| t.reclaim.dashboard_none.to_string())}
                        </dd>
                    </div>
                </dl>
            </Loaded>
            <a href="/reclaim">{t.reclaim.dashboard_card_link}</a>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::reclaim::ReclaimKind;

    #[test]
    fn savings_add_per_currency() {
        let row = |m: i64, c: &str| ReclaimRow {
            key: "store:1:2".into(),
            kind: ReclaimKind::StoreDisabled,
            item: "Pages".into(),
            item_link: "/store/apps/1".into(),
            holder: "Ada".into(),
            holder_link: "/users/2".into(),
            since: None,
            licenses: 1,
            monthly: Some(Money {
                currency: c.into(),
                minor: m,
            }),
            yearly: Some(Money {
                currency: c.into(),
                minor: m * 12,
            }),
            can_reclaim: true,
        };
        let (month, year) = saving(&[row(100, "EUR"), row(50, "USD"), row(25, "EUR")]);
        assert_eq!(money_list(&month).unwrap(), "EUR 1.25 + USD 0.50");
        assert_eq!(money_list(&year).unwrap(), "EUR 15.00 + USD 6.00");
        assert_eq!(money_list(&[]), None);
    }
}
