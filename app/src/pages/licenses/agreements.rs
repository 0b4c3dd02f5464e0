//! `/licenses/agreements`: every agreement, searchable, with its number sets or
//! product; delete.

use crate::api::licenses::{DeleteAgreement, list_agreements};
use crate::components::{
    Column, ConfirmDialog, DataTable, DialogActions, FormError, Loaded, Pager, RowDialog,
    SearchBox, can,
};
use crate::domain::directory::ListPage;
use crate::domain::licenses::{AgreementKind, AgreementView, SetStatus};
use crate::domain::{Permission, format_time};
use crate::i18n::{fill, use_texts};
use crate::pages::{Area, AreaTabs};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AgreementsPage() -> impl IntoView {
    let t = use_texts();
    let query = use_query_map();
    let delete = ServerAction::<DeleteAgreement>::new();
    let agreements = Resource::new(
        move || {
            let q = query.read();
            (
                q.get("q"),
                q.get("group_id").and_then(|g| g.parse::<i64>().ok()),
                q.get("after"),
                delete.version().get(),
            )
        },
        |(q, group, after, _)| list_agreements(q, group, after),
    );
    let dialog = RowDialog::new();
    let RowDialog { target, open } = dialog;
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            open.set(false);
        }
    });
    let manage = can(Permission::ManageAgreements);
    view! {
        <Title text=t.licenses.agreements />
        <AreaTabs area=Area::Licenses current=1 />
        <div class="page-head">
            <h1>{t.licenses.agreements}</h1>
            {manage
                .then(|| {
                    view! {
                        <div class="page-actions">
                            <a class="button primary" href="/licenses/agreements/new">
                                {t.licenses.add_agreements}
                            </a>
                        </div>
                    }
                })}
        </div>
        <SearchBox label=t.licenses.search_agreements />
        <FormError value=delete.value() />
        <Loaded resource=agreements let:page>
            <AgreementList page=page manage=manage dialog=dialog />
        </Loaded>
        <ConfirmDialog open=open title=Signal::stored(t.licenses.delete_agreement.to_string())>
            <ActionForm action=delete attr:class="stack">
                <input type="hidden" name="id" value=move || target.get().0 />
                <p>{move || fill(t.licenses.confirm_delete_agreement, target.get().1)}</p>
                <DialogActions open=open>
                    <button type="submit" class="danger">
                        {t.common.delete}
                    </button>
                </DialogActions>
            </ActionForm>
        </ConfirmDialog>
    }
}

#[component]
fn AgreementList(page: ListPage<AgreementView>, manage: bool, dialog: RowDialog) -> impl IntoView {
    let t = use_texts();
    let mut columns = vec![
        Column::new("name", t.common.col_name),
        Column::new("kind", t.common.col_kind),
        Column::new("group", t.licenses.col_license_group),
        Column::new("what", t.licenses.col_covers),
        Column::new("created", t.common.col_created),
    ];
    if manage {
        columns.push(Column::new("actions", t.common.col_actions));
    }
    let count = page.items.len();
    let items = StoredValue::new(page.items);
    view! {
        <p class="count">{fill(t.licenses.total_agreements, page.total)}</p>
        <DataTable
            caption=t.licenses.agreements
            columns=columns
            row_count=Signal::stored(count)
            empty=t.licenses.no_agreements
        >
            {move || {
                items
                    .get_value()
                    .into_iter()
                    .map(|a| view! { <AgreementRow agreement=a manage=manage dialog=dialog /> })
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

#[component]
fn AgreementRow(agreement: AgreementView, manage: bool, dialog: RowDialog) -> impl IntoView {
    let t = use_texts();
    let a = agreement;
    let id = a.id;
    let name = a.name.clone();
    view! {
        <tr>
            <td class="primary-text">{a.name.clone()}</td>
            <td>
                {match a.kind {
                    AgreementKind::Volume => t.licenses.kind_volume,
                    AgreementKind::Other => t.licenses.kind_other,
                }}
            </td>
            <td>
                <a href=format!(
                    "/licenses/agreements?group_id={}",
                    a.group_id,
                )>{a.group_name.clone()}</a>
            </td>
            <td>{covers(&a)}</td>
            <td class="time">{format_time(a.created_at)}</td>
            {manage
                .then(|| {
                    view! {
                        <td>
                            <button
                                type="button"
                                class="secondary small"
                                on:click=move |_| dialog.open_for(id, name.clone())
                            >
                                {t.common.delete}
                            </button>
                        </td>
                    }
                })}
        </tr>
    }
}

/// What an agreement covers: its number sets and their state, or the product and count.
fn covers(a: &AgreementView) -> AnyView {
    let t = use_texts();
    match a.kind {
        AgreementKind::Volume => {
            let sets = a
                .sets
                .iter()
                .map(|s| {
                    let (class, label) = match s.status {
                        SetStatus::Pending => ("pill", t.licenses.set_pending),
                        SetStatus::Valid => ("pill ok", t.licenses.set_valid),
                        SetStatus::Invalid => ("pill bad", t.licenses.set_invalid),
                    };
                    view! {
                        <li>
                            <code>{s.first_number.clone()}</code>
                            " · "
                            <code>{s.second_number.clone()}</code>
                            " "
                            <span class=class>{label}</span>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <span class="muted">{t.licenses.product_not_available}</span>
                <ul class="sets">{sets}</ul>
            }
            .into_any()
        }
        AgreementKind::Other => view! {
            <span>
                {format!(
                    "{} — {}",
                    a.publisher.clone().unwrap_or_default(),
                    a.product.clone().unwrap_or_default(),
                )}
            </span>
            <br />
            <span class="muted">
                {fill(t.licenses.n_licenses, a.license_count.unwrap_or(0))}
                {match (a.starts_on.clone(), a.ends_on.clone()) {
                    (None, None) => String::new(),
                    (s, e) => format!(" · {} – {}", s.unwrap_or_default(), e.unwrap_or_default()),
                }}
            </span>
        }
        .into_any(),
    }
}
