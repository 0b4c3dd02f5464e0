//! `/billing/licenses/{id}`: one ISV app, Assign licenses, and its assignments
//! (select several, Unassign licenses).

use super::assign_panel::AssignPanel;
use crate::api::billing::{AssignIsv, UnassignIsv, get_isv_app};
use crate::components::{
    Column, ConfirmDialog, DataTable, DialogActions, FormError, Loaded, can, join_ids, param_id,
    toggle_id, use_toasts,
};
use crate::domain::Permission;
use crate::domain::billing::{IsvAppDetail, IsvAssignmentView};
use crate::i18n::{fill, use_texts};
use crate::pages::{Area, AreaTabs};
use leptos::prelude::*;
use leptos_meta::Title;

/// The app page's actions, the assignments ticked for Unassign and its dialog's open state.
#[derive(Clone, Copy)]
struct IsvActions {
    assign: ServerAction<AssignIsv>,
    unassign: ServerAction<UnassignIsv>,
    selected: RwSignal<Vec<i64>>,
    unassign_open: RwSignal<bool>,
}

#[component]
pub fn IsvLicensePage() -> impl IntoView {
    let t = use_texts();
    let id = param_id();
    let actions = IsvActions {
        assign: ServerAction::new(),
        unassign: ServerAction::new(),
        selected: RwSignal::new(vec![]),
        unassign_open: RwSignal::new(false),
    };
    let IsvActions {
        assign,
        unassign,
        selected,
        unassign_open,
    } = actions;
    let detail = Resource::new(
        move || (id(), assign.version().get(), unassign.version().get()),
        |(id, ..)| get_isv_app(id),
    );
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(n)) = assign.value().get() {
            toasts.push(fill(t.billing.toast_assigned, n));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(n)) = unassign.value().get() {
            unassign_open.set(false);
            selected.set(vec![]);
            toasts.push(fill(t.billing.toast_unassigned, n));
        }
    });
    view! {
        <AreaTabs area=Area::Billing current=1 />
        <Loaded resource=detail let:d>
            <IsvAppDetailView detail=d actions=actions />
        </Loaded>
    }
}

#[component]
fn IsvAppDetailView(detail: IsvAppDetail, actions: IsvActions) -> impl IntoView {
    let t = use_texts();
    let IsvActions {
        assign,
        unassign,
        selected,
        unassign_open,
    } = actions;
    let may_assign = can(Permission::AssignLicenses);
    let a = detail.app;
    let app_id = a.id;
    view! {
        <Title text=a.name.clone() />
        <p class="crumbs">
            <a href="/billing/licenses">{t.billing.licenses}</a>
        </p>
        <div class="page-head">
            <h1>{a.name.clone()}</h1>
            <div class="page-actions">
                <a
                    class="button secondary"
                    href=a.install_url.clone()
                    target="_blank"
                    rel="noopener external"
                >
                    {t.billing.install_product}
                </a>
            </div>
        </div>
        <dl class="facts">
            <div>
                <dt>{t.billing.vendor}</dt>
                <dd>{a.publisher.clone()}</dd>
            </div>
            <div>
                <dt>{t.billing.owned}</dt>
                <dd>{a.owned}</dd>
            </div>
            <div>
                <dt>{t.billing.assigned}</dt>
                <dd>{a.assigned}</dd>
            </div>
            <div>
                <dt>{t.billing.available}</dt>
                <dd>{a.available()}</dd>
            </div>
        </dl>
        <div class="notice" role="note">
            {fill(t.billing.vendor_manages, &a.vendor_contact)}
        </div>
        {may_assign.then(|| view! { <AssignPanel app_id=app_id action=assign /> })}
        <div class="section-head">
            <h2>{t.billing.assignments}</h2>
            {may_assign
                .then(|| {
                    view! {
                        <button
                            type="button"
                            class="secondary"
                            disabled=move || selected.read().is_empty()
                            on:click=move |_| unassign_open.set(true)
                        >
                            {t.billing.unassign_licenses}
                        </button>
                    }
                })}
        </div>
        <AssignmentTable rows=detail.assignments selected=selected may_assign=may_assign />
        <ConfirmDialog
            open=unassign_open
            title=Signal::stored(t.billing.unassign_licenses.to_string())
        >
            <ActionForm action=unassign attr:class="stack">
                <input type="hidden" name="app_id" value=app_id />
                <input
                    type="hidden"
                    name="assignment_ids"
                    prop:value=move || join_ids(selected.read().iter().copied())
                />
                <p>{move || fill(t.billing.unassign_body, selected.read().len())}</p>
                <FormError value=unassign.value() />
                <DialogActions open=unassign_open>
                    <button type="submit" class="danger">
                        {t.billing.unassign}
                    </button>
                </DialogActions>
            </ActionForm>
        </ConfirmDialog>
    }
}

#[component]
fn AssignmentTable(
    rows: Vec<IsvAssignmentView>,
    selected: RwSignal<Vec<i64>>,
    may_assign: bool,
) -> impl IntoView {
    let t = use_texts();
    let count = rows.len();
    let rows = StoredValue::new(rows);
    let mut columns = vec![
        Column::new("name", t.common.col_name),
        Column::new("kind", t.common.col_kind),
        Column::new("detail", t.billing.detail),
        Column::new("licenses", t.billing.licenses_used),
    ];
    if may_assign {
        columns.insert(0, Column::new("select", t.common.col_select));
    }
    view! {
        <DataTable
            caption=t.billing.assignments
            columns=columns
            row_count=Signal::stored(count)
            empty=t.billing.no_assignments
        >
            {move || {
                rows.get_value()
                    .into_iter()
                    .map(|r| {
                        view! { <AssignmentRow r=r selected=selected may_assign=may_assign /> }
                    })
                    .collect_view()
            }}
        </DataTable>
    }
}

/// A user or group the app is assigned to, with the licenses it uses.
#[component]
fn AssignmentRow(
    r: IsvAssignmentView,
    selected: RwSignal<Vec<i64>>,
    may_assign: bool,
) -> impl IntoView {
    let t = use_texts();
    let rid = r.id;
    let checked = move || selected.read().contains(&rid);
    let href = if r.kind == "group" {
        format!("/groups/{}", r.principal_id)
    } else {
        format!("/users/{}", r.principal_id)
    };
    view! {
        <tr>
            {may_assign
                .then(|| {
                    view! {
                        <td>
                            <input
                                type="checkbox"
                                aria-label=fill(t.common.select_user, &r.name)
                                prop:checked=checked
                                on:change=move |_| toggle_id(selected, rid)
                            />
                        </td>
                    }
                })} <td>
                <a href=href>{r.name.clone()}</a>
            </td> <td>{if r.kind == "group" { t.billing.group } else { t.billing.user }}</td>
            <td class="muted">{r.detail.clone()}</td> <td class="num">{r.licenses}</td>
        </tr>
    }
}
