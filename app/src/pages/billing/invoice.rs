//! `/billing/invoices/{id}`: one invoice to read and print, its CSV, Mark paid.

use super::{invoice_pill, new_key};
use crate::api::billing::{MarkPaid, get_invoice};
use crate::components::{
    Column, ConfirmDialog, DataTable, DialogActions, FormError, Loaded, PrintButton, can, param_id,
    use_toasts,
};
use crate::domain::Permission;
use crate::domain::billing::{
    InvoiceDetail, InvoiceLineView, InvoiceStatus, format_money, region_name,
};
use crate::i18n::{fill, use_texts};
use crate::pages::{Area, AreaTabs};
use leptos::prelude::*;
use leptos_meta::Title;

/// Mark paid: the action, its dialog's open state and the idempotency key.
#[derive(Clone, Copy)]
struct PayAction {
    pay: ServerAction<MarkPaid>,
    open: RwSignal<bool>,
    key: RwSignal<String>,
}

#[component]
pub fn InvoicePage() -> impl IntoView {
    let t = use_texts();
    let id = param_id();
    let pay = PayAction {
        pay: ServerAction::new(),
        open: RwSignal::new(false),
        key: RwSignal::new(String::new()),
    };
    let detail = Resource::new(
        move || (id(), pay.pay.version().get()),
        |(id, _)| get_invoice(id),
    );
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(())) = pay.pay.value().get() {
            pay.open.set(false);
            toasts.push(t.billing.toast_paid.to_string());
        }
    });
    view! {
        <AreaTabs area=Area::Billing current=3 />
        <Loaded resource=detail let:d>
            <InvoiceView detail=d pay=pay />
        </Loaded>
    }
}

#[component]
fn InvoiceView(detail: InvoiceDetail, pay: PayAction) -> impl IntoView {
    let t = use_texts();
    let d = detail;
    let inv = d.invoice.clone();
    let iid = inv.id;
    let paid = inv.status == InvoiceStatus::Paid;
    let pay_body = StoredValue::new(fill(t.billing.mark_paid_body, &inv.number));
    let PayAction { pay, open, key } = pay;
    view! {
        <Title text=inv.number.clone() />
        <p class="crumbs">
            <a href="/billing/invoices">{t.billing.invoices}</a>
        </p>
        <div class="page-head">
            <h1>{fill(t.billing.invoice_title, &inv.number)}</h1>
            <div class="page-actions">
                <a
                    class="button secondary"
                    href=format!("/api/billing/invoices/{iid}.csv")
                    download
                    rel="external"
                >
                    {t.billing.download_csv}
                </a>
                <PrintButton label=t.billing.print_pdf />
                {(can(Permission::ManageBilling) && !paid)
                    .then(|| {
                        view! {
                            <button
                                type="button"
                                class="primary"
                                on:click=move |_| {
                                    key.set(new_key());
                                    open.set(true);
                                }
                            >
                                {t.billing.mark_paid}
                            </button>
                        }
                    })}
            </div>
        </div>
        <InvoiceHead detail=d.clone() />
        <LineItems lines=d.lines />
        <dl class="totals">
            {inv
                .totals
                .iter()
                .map(|x| {
                    view! {
                        <div>
                            <dt>{fill(t.billing.total_in, &x.currency)}</dt>
                            <dd>{format_money(x.amount_minor, &x.currency)}</dd>
                        </div>
                    }
                })
                .collect_view()}
        </dl>
        <ConfirmDialog open=open title=Signal::stored(t.billing.mark_paid.to_string())>
            <ActionForm action=pay attr:class="stack">
                <input type="hidden" name="id" value=iid />
                <input type="hidden" name="idempotency_key" prop:value=move || key.get() />
                <p>{pay_body.get_value()}</p>
                <FormError value=pay.value() />
                <DialogActions open=open>
                    <button type="submit" class="primary">
                        {t.billing.mark_paid}
                    </button>
                </DialogActions>
            </ActionForm>
        </ConfirmDialog>
    }
}

#[component]
fn LineItems(lines: Vec<InvoiceLineView>) -> impl IntoView {
    let t = use_texts();
    let count = lines.len();
    let lines = StoredValue::new(lines);
    view! {
        <DataTable
            caption=t.billing.line_items
            columns=vec![
                Column::new("description", t.common.col_description),
                Column::new("quantity", t.billing.quantity),
                Column::new("unit", t.billing.unit_price),
                Column::new("amount", t.billing.amount),
            ]
            row_count=Signal::stored(count)
        >
            {move || {
                lines
                    .get_value()
                    .into_iter()
                    .map(|l| {
                        view! {
                            <tr>
                                <td>{l.description.clone()}</td>
                                <td class="num">{l.quantity}</td>
                                <td class="num nowrap">
                                    {format_money(l.unit_price_minor, &l.currency)}
                                </td>
                                <td class="num nowrap">
                                    {format_money(l.amount_minor, &l.currency)}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()
            }}
        </DataTable>
    }
}

/// From, bill to, and the invoice's dates and status.
#[component]
fn InvoiceHead(detail: InvoiceDetail) -> impl IntoView {
    let t = use_texts();
    let d = detail;
    let inv = d.invoice.clone();
    let b = d.bill_to.clone();
    view! {
        <div class="invoice-head">
            <div>
                <p class="muted">{t.billing.from}</p>
                <p>
                    <strong>{d.org_name.clone()}</strong>
                </p>
            </div>
            <div>
                <p class="muted">{t.billing.bill_to}</p>
                <p>
                    <strong>{b.name.clone()}</strong>
                    <br />
                    {b.contact_name.clone()}
                    <br />
                    {b.address_line.clone()}
                    <br />
                    {format!("{} {}", b.postal_code, b.city)}
                    <br />
                    {region_name(&b.region).unwrap_or("")}
                </p>
            </div>
            <dl class="facts">
                <div>
                    <dt>{t.billing.period}</dt>
                    <dd>{inv.period.clone()}</dd>
                </div>
                <div>
                    <dt>{t.billing.issued}</dt>
                    <dd>{inv.issued_on.clone()}</dd>
                </div>
                <div>
                    <dt>{t.billing.due}</dt>
                    <dd>{inv.due_on.clone()}</dd>
                </div>
                <div>
                    <dt>{t.common.col_status}</dt>
                    <dd>{invoice_pill(t, inv.status)}</dd>
                </div>
            </dl>
        </div>
    }
}
