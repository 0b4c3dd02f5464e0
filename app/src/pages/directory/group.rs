//! `/groups/{id}` (SPEC D-2): one group, its members (add with the picker, remove selected),
//! edit and delete.

use super::group_members::{MemberPicker, MemberTable};
use crate::api::directory::{ChangeMembers, DeleteGroup, SaveGroup, get_group};
use crate::components::{
    ConfirmDialog, DialogActions, Field, FormError, Loaded, can, field_error, join_ids, param_id,
    use_toasts,
};
use crate::domain::Permission;
use crate::domain::directory::{GroupDetail, GroupView};
use crate::i18n::{fill, use_texts};
use crate::pages::{Area, AreaTabs};
use leptos::prelude::*;
use leptos_meta::Title;

/// The group page's actions, the members ticked for removal and the dialogs' open states.
#[derive(Clone, Copy)]
struct GroupActions {
    members: ServerAction<ChangeMembers>,
    save: ServerAction<SaveGroup>,
    delete: ServerAction<DeleteGroup>,
    selected: RwSignal<Vec<i64>>,
    remove_open: RwSignal<bool>,
    delete_open: RwSignal<bool>,
}

#[component]
pub fn GroupPage() -> impl IntoView {
    let t = use_texts();
    let id = param_id();
    let actions = GroupActions {
        members: ServerAction::new(),
        save: ServerAction::new(),
        delete: ServerAction::new(),
        selected: RwSignal::new(vec![]),
        remove_open: RwSignal::new(false),
        delete_open: RwSignal::new(false),
    };
    let members = actions.members;
    let group = Resource::new(
        move || (id(), members.version().get(), actions.save.version().get()),
        |(id, _, _)| get_group(id),
    );
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(n)) = members.value().get() {
            let added = members
                .input()
                .get_untracked()
                .map(|i| i.add)
                .unwrap_or(true);
            toasts.push(fill(
                if added {
                    t.directory.toast_members_added
                } else {
                    t.directory.toast_members_removed
                },
                n,
            ));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = members.value().get() {
            actions.selected.set(vec![]);
            actions.remove_open.set(false);
        }
    });
    view! {
        <AreaTabs area=Area::Directory current=1 />
        <Loaded resource=group let:detail>
            <GroupDetailView detail=detail actions=actions />
        </Loaded>
    }
}

#[component]
fn GroupDetailView(detail: GroupDetail, actions: GroupActions) -> impl IntoView {
    let t = use_texts();
    let GroupActions {
        members,
        selected,
        remove_open,
        ..
    } = actions;
    let g = detail.group.clone();
    let gid = g.id;
    let manage = can(Permission::ManageDirectory);
    view! {
        <Title text=g.name.clone() />
        <p class="crumbs">
            <a href="/groups">{t.directory.groups}</a>
        </p>
        <div class="page-head">
            <h1>{g.name.clone()}</h1>
            <span class="pill">{fill(t.directory.member_count, g.member_count)}</span>
        </div>
        <p class="lead">{g.description.clone()}</p>
        {manage.then(|| view! { <MemberPicker group_id=gid action=members /> })}
        <div class="section-head">
            <h2>{t.directory.col_members}</h2>
            {manage
                .then(|| {
                    view! {
                        <button
                            type="button"
                            class="secondary"
                            disabled=move || selected.read().is_empty()
                            on:click=move |_| remove_open.set(true)
                        >
                            {move || fill(t.directory.remove_selected, selected.read().len())}
                        </button>
                    }
                })}
        </div>
        <MemberTable members=detail.members selected=selected manage=manage />
        {manage.then(|| view! { <EditGroupPanel group=g.clone() actions=actions /> })}
        <GroupDialogs group=g actions=actions />
    }
}

#[component]
fn EditGroupPanel(group: GroupView, actions: GroupActions) -> impl IntoView {
    let t = use_texts();
    let save = actions.save;
    let delete_open = actions.delete_open;
    let value = save.value();
    let g = group;
    view! {
        <section class="panel" aria-labelledby="edit-group-title">
            <h2 id="edit-group-title">{t.directory.edit_group}</h2>
            <ActionForm action=save attr:class="grid-form">
                <input type="hidden" name="id" value=g.id />
                <Field
                    label=t.common.col_name
                    name="name"
                    required=true
                    value=g.name.clone()
                    error=field_error(value, "name")
                />
                <Field
                    label=t.common.col_description
                    name="description"
                    value=g.description.clone()
                    error=field_error(value, "description")
                />
                <FormError value=value />
                <div class="form-actions">
                    <button type="submit" class="primary">
                        {t.common.save}
                    </button>
                    <button
                        type="button"
                        class="secondary danger-text"
                        on:click=move |_| delete_open.set(true)
                    >
                        {t.directory.delete_group}
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}

/// Remove the selected members; delete the group.
#[component]
fn GroupDialogs(group: GroupView, actions: GroupActions) -> impl IntoView {
    let t = use_texts();
    let GroupActions {
        members,
        delete,
        selected,
        remove_open,
        delete_open,
        ..
    } = actions;
    let gid = group.id;
    let delete_message = StoredValue::new(fill(t.directory.confirm_delete_group_body, &group.name));
    view! {
        <ConfirmDialog
            open=remove_open
            title=Signal::stored(t.directory.confirm_remove_members_title.to_string())
        >
            <ActionForm action=members attr:class="stack">
                <input type="hidden" name="group_id" value=gid />
                <input type="hidden" name="add" value="false" />
                <input
                    type="hidden"
                    name="user_ids"
                    value=move || join_ids(selected.read().iter().copied())
                />
                <p>
                    {move || fill(t.directory.confirm_remove_members_body, selected.read().len())}
                </p>
                <DialogActions open=remove_open>
                    <button type="submit" class="danger">
                        {t.common.remove}
                    </button>
                </DialogActions>
            </ActionForm>
        </ConfirmDialog>
        <ConfirmDialog open=delete_open title=Signal::stored(t.directory.delete_group.to_string())>
            <ActionForm action=delete attr:class="stack">
                <input type="hidden" name="id" value=gid />
                <p>{delete_message.get_value()}</p>
                <DialogActions open=delete_open>
                    <button type="submit" class="danger">
                        {t.common.delete}
                    </button>
                </DialogActions>
            </ActionForm>
        </ConfirmDialog>
    }
}
