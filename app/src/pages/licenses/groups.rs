//! `/licenses/groups`: license groups with their agreement counts; create, rename,
//! delete (its agreements move to Unassigned agreements).

use crate::api::licenses::{
    CreateLicenseGroup, DeleteLicenseGroup, RenameLicenseGroup, list_license_groups,
};
use crate::components::{
    Column, ConfirmDialog, DataTable, DialogActions, Field, FormError, Loaded, RowDialog, can,
    field_error, use_toasts,
};
use crate::domain::Permission;
use crate::domain::licenses::LicenseGroupView;
use crate::i18n::{fill, use_texts};
use crate::pages::{Area, AreaTabs};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn LicenseGroupsPage() -> impl IntoView {
    let t = use_texts();
    let create = ServerAction::<CreateLicenseGroup>::new();
    let rename = ServerAction::<RenameLicenseGroup>::new();
    let delete = ServerAction::<DeleteLicenseGroup>::new();
    let groups = Resource::new(
        move || {
            (
                create.version().get(),
                rename.version().get(),
                delete.version().get(),
            )
        },
        |_| list_license_groups(),
    );
    let dialog = RowDialog::new();
    let RowDialog { target, open } = dialog;
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(moved)) = delete.value().get() {
            open.set(false);
            toasts.push(fill(t.licenses.toast_group_deleted, moved));
        }
    });
    let manage = can(Permission::ManageAgreements);
    let value = create.value();
    view! {
        <Title text=t.licenses.groups />
        <AreaTabs area=Area::Licenses current=2 />
        <h1>{t.licenses.groups}</h1>
        <p class="lead">{t.licenses.license_groups_intro}</p>
        <FormError value=rename.value() />
        <FormError value=delete.value() />
        <Loaded resource=groups let:list>
            <GroupTable groups=list manage=manage rename=rename dialog=dialog />
        </Loaded>
        {manage
            .then(|| {
                view! {
                    <section class="panel" aria-labelledby="create-group-title">
                        <h2 id="create-group-title">{t.licenses.create_license_group}</h2>
                        <ActionForm action=create attr:class="grid-form">
                            <Field
                                label=t.common.col_name
                                name="group_name"
                                required=true
                                error=field_error(value, "group_name")
                            />
                            <FormError value=value />
                            <div class="form-actions">
                                <button type="submit" class="primary">
                                    {t.licenses.create_license_group}
                                </button>
                            </div>
                        </ActionForm>
                    </section>
                }
            })}
        <ConfirmDialog open=open title=Signal::stored(t.licenses.delete_license_group.to_string())>
            <ActionForm action=delete attr:class="stack">
                <input type="hidden" name="id" value=move || target.get().0 />
                <p>{move || fill(t.licenses.confirm_delete_license_group, target.get().1)}</p>
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
fn GroupTable(
    groups: Vec<LicenseGroupView>,
    manage: bool,
    rename: ServerAction<RenameLicenseGroup>,
    dialog: RowDialog,
) -> impl IntoView {
    let t = use_texts();
    let count = groups.len();
    let items = StoredValue::new(groups);
    view! {
        <DataTable
            caption=t.licenses.groups
            columns=vec![
                Column::new("name", t.common.col_name),
                Column::new("count", t.licenses.col_agreements),
                Column::new("actions", t.common.col_actions),
            ]
            row_count=Signal::stored(count)
        >
            {move || {
                items
                    .get_value()
                    .into_iter()
                    .map(|g| view! { <GroupRow g=g manage=manage rename=rename dialog=dialog /> })
                    .collect_view()
            }}
        </DataTable>
    }
}

/// A license group with its count; managers rename or delete the groups they made.
#[component]
fn GroupRow(
    g: LicenseGroupView,
    manage: bool,
    rename: ServerAction<RenameLicenseGroup>,
    dialog: RowDialog,
) -> impl IntoView {
    let t = use_texts();
    let id = g.id;
    let name = g.name.clone();
    view! {
        <tr>
            <td>
                <a href=format!("/licenses/agreements?group_id={id}")>{g.name.clone()}</a>
                {g
                    .builtin
                    .then(|| {
                        view! {
                            " "
                            <span class="pill">{t.licenses.builtin}</span>
                        }
                    })}
            </td>
            <td class="num">{g.agreement_count}</td>
            <td class="actions">
                {(manage && !g.builtin)
                    .then(|| {
                        view! {
                            <ActionForm action=rename attr:class="inline">
                                <input type="hidden" name="id" value=id />
                                <label class="visually-hidden" for=format!("rename-{id}")>
                                    {t.licenses.edit_license_group}
                                </label>
                                <input
                                    id=format!("rename-{id}")
                                    name="group_name"
                                    value=g.name.clone()
                                    required
                                />
                                <button type="submit" class="secondary small">
                                    {t.licenses.edit_license_group}
                                </button>
                            </ActionForm>
                            <button
                                type="button"
                                class="secondary small"
                                on:click=move |_| dialog.open_for(id, name.clone())
                            >
                                {t.licenses.delete_license_group}
                            </button>
                        }
                    })}
            </td>
        </tr>
    }
}
