//! `/billing/invoices`: invoices by status, each with its CSV.

use super::{invoice_pill, totals_text};
use crate::api::billing::list_invoices;
use crate::components::{Column, DataTable, Loaded, Pager};
use crate::domain::billing::InvoiceView;
use crate::domain::directory::ListPage;
use crate::i18n::{fill, use_texts};
use crate::pages::{Area, AreaTabs};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

#[component]
pub fn InvoicesPage() -> impl IntoView {
    let t = use_texts();
    let query = use_query_map();
    let list = Resource::new(
        move || (query.read().get("status"), query.read().get("after")),
        |(status, after)| list_invoices(status, None, after),
    );
    let status_now = move || query.read().get("status").unwrap_or_default();
    view! {
        <Title text=t.billing.invoices />
        <AreaTabs area=Area::Billing current=3 />
        <h1>{t.billing.invoices}</h1>
        <p class="lead">{t.billing.invoices_intro}</p>
        <Form method="GET" action="" attr:class="filters">
            <div class="field">
                <label for="f-status">{t.common.col_status}</label>
                <select id="f-status" name="status">
                    {[
                        ("", t.billing.all),
                        ("open", t.billing.open),
                        ("overdue", t.billing.overdue),
                        ("paid", t.billing.paid),
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
            <div class="form-actions">
                <button type="submit" class="primary">
                    {t.common.filter_apply}
                </button>
            </div>
        </Form>
        <Loaded resource=list let:page>
            <InvoiceList page=page />
        </Loaded>
    }
}

#[component]
fn InvoiceList(page: ListPage<InvoiceView>) -> impl IntoView {
    let t = use_texts();
    let count = page.items.len();
    let items = StoredValue::new(page.items);
    view! {
        <p class="count">{fill(t.billing.total_invoices, page.total)}</p>
        <DataTable
            caption=t.billing.invoices
            columns=vec![
                Column::new("number", t.billing.invoice),
                Column::new("profile", t.billing.billing_profile),
                Column::new("period", t.billing.period),
                Column::new("issued", t.billing.issued),
                Column::new("due", t.billing.due),
                Column::new("total", t.billing.total),
                Column::new("status", t.common.col_status),
                Column::new("download", t.billing.download),
            ]
            row_count=Signal::stored(count)
            empty=t.billing.no_invoices
        >
            {move || {
                items
                    .get_value()
                    .into_iter()
                    .map(|i| {
                        view! {
                            <tr>
                                <td>
                                    <a href=format!(
                                        "/billing/invoices/{}",
                                        i.id,
                                    )>{i.number.clone()}</a>
                                </td>
                                <td>{i.profile_name.clone()}</td>
                                <td class="nowrap">{i.period.clone()}</td>
                                <td class="nowrap">{i.issued_on.clone()}</td>
                                <td class="nowrap">{i.due_on.clone()}</td>
                                <td class="num nowrap">{totals_text(&i.totals)}</td>
                                <td>{invoice_pill(t, i.status)}</td>
                                <td>
                                    <a
                                        href=format!("/api/billing/invoices/{}.csv", i.id)
                                        download
                                        rel="external"
                                        aria-label=fill(t.billing.download_csv_of, &i.number)
                                    >
                                        "CSV"
                                    </a>
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()
            }}
        </DataTable>
        <Pager
            param="after"
            next=Signal::stored(page.next)
            first_label=t.common.page_first
            next_label=t.common.page_next
        />
    }
}
