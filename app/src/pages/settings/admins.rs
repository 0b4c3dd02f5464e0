//! `/settings/admins` — admin accounts and roles. Every role reads the list (SPEC D-4); only a
//! Global admin sees the controls that change it (the server enforces it).

use super::admin_table::{AdminTable, RoleSelect, sort_admins};
use crate::api::{AddAdmin, ChangeRole, ResetPassword, SetAdminEnabled, list_admins};
use crate::components::{
    ConfirmDialog, DialogActions, Field, FormError, Loaded, can, field_error, toast_on_success,
    use_sort, use_toasts,
};
use crate::domain::{Me, Permission, Role};
use crate::i18n::{fill, use_texts};
use crate::pages::{Area, AreaTabs};
use leptos::prelude::*;
use leptos_meta::Title;

/// The admins page's actions and its dialogs: which admin (id, name) and which dialog is open.
#[derive(Clone, Copy)]
pub(super) struct AdminActions {
    pub add: ServerAction<AddAdmin>,
    pub change: ServerAction<ChangeRole>,
    pub enable: ServerAction<SetAdminEnabled>,
    pub reset: ServerAction<ResetPassword>,
    pub target: RwSignal<(i64, String)>,
    pub disable_open: RwSignal<bool>,
    pub reset_open: RwSignal<bool>,
}

#[component]
pub fn AdminsPage() -> impl IntoView {
    let t = use_texts();
    let me = expect_context::<Me>();
    let actions = AdminActions {
        add: ServerAction::new(),
        change: ServerAction::new(),
        enable: ServerAction::new(),
        reset: ServerAction::new(),
        target: RwSignal::new((0, String::new())),
        disable_open: RwSignal::new(false),
        reset_open: RwSignal::new(false),
    };
    let AdminActions {
        add,
        change,
        enable,
        reset,
        disable_open,
        reset_open,
        ..
    } = actions;
    let admins = Resource::new(
        move || {
            (
                add.version().get(),
                change.version().get(),
                enable.version().get(),
                reset.version().get(),
            )
        },
        |_| list_admins(),
    );
    toast_on_success(add.value(), t.settings.toast_admin_added);
    toast_on_success(change.value(), t.settings.toast_role_changed);
    toast_on_success(reset.value(), t.settings.toast_password_reset);
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(())) = enable.value().get() {
            let enabled = enable.input().get_untracked().map(|i| i.enabled);
            toasts.push(if enabled == Some(true) {
                t.settings.toast_admin_enabled
            } else {
                t.settings.toast_admin_disabled
            });
        }
    });
    let sort = use_sort("name");
    Effect::new(move |_| {
        if let Some(Ok(())) = enable.value().get() {
            disable_open.set(false);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = reset.value().get() {
            reset_open.set(false);
        }
    });
    let my_id = me.id;
    let manage = can(Permission::ManageAdmins);
    view! {
        <Title text=t.settings.admins />
        <AreaTabs area=Area::Settings current=0 />
        <h1>{t.settings.admins}</h1>
        <p class="lead">{t.settings.admins_intro}</p>
        <FormError value=change.value() />
        <FormError value=enable.value() />
        <Loaded resource=admins let:list>
            {
                let mut list = list;
                let (key, desc) = sort.get();
                sort_admins(&mut list, &key, desc);
                // Read here, not in the table: a new sort re-renders the loaded list.
                view! {
                    <AdminTable list=list sort=sort my_id=my_id actions=actions manage=manage />
                }
            }
        </Loaded>
        {manage
            .then(|| {
                view! {
                    <AddAdminPanel add=add />
                    <AdminDialogs actions=actions />
                }
            })}
    }
}

#[component]
fn AddAdminPanel(add: ServerAction<AddAdmin>) -> impl IntoView {
    let t = use_texts();
    let add_value = add.value();
    view! {
        <section class="panel" aria-labelledby="add-admin-title">
            <h2 id="add-admin-title">{t.settings.add_admin}</h2>
            <ActionForm action=add attr:class="grid-form">
                <Field
                    label=t.common.display_name
                    name="display_name"
                    required=true
                    error=field_error(add_value, "display_name")
                />
                <Field
                    label=t.common.username
                    name="username"
                    required=true
                    autocomplete="off"
                    error=field_error(add_value, "username")
                />
                <div class="field">
                    <label for="new-admin-role">{t.common.col_role}</label>
                    <RoleSelect selected=Role::Reader id="new-admin-role".to_string() />
                </div>
                <Field
                    label=t.common.password
                    name="password"
                    kind="password"
                    autocomplete="new-password"
                    required=true
                    hint=t.common.password_hint
                    error=field_error(add_value, "password")
                />
                <FormError value=add_value />
                <div class="form-actions">
                    <button type="submit" class="primary">
                        {t.settings.add_admin}
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}

/// Disable (confirm) and Reset password, about the admin in `actions.target`.
#[component]
fn AdminDialogs(actions: AdminActions) -> impl IntoView {
    let t = use_texts();
    let AdminActions {
        enable,
        reset,
        target,
        disable_open,
        reset_open,
        ..
    } = actions;
    let reset_value = reset.value();
    view! {
        <ConfirmDialog
            open=disable_open
            title=Signal::stored(t.settings.confirm_disable_title.to_string())
        >
            <ActionForm action=enable attr:class="stack">
                <input type="hidden" name="id" value=move || target.get().0 />
                <input type="hidden" name="enabled" value="false" />
                <p>{move || fill(t.settings.confirm_disable_body, target.get().1)}</p>
                <DialogActions open=disable_open>
                    <button type="submit" class="danger">
                        {t.common.disable}
                    </button>
                </DialogActions>
            </ActionForm>
        </ConfirmDialog>

        <ConfirmDialog
            open=reset_open
            title=Signal::derive(move || {
                format!("{} — {}", t.settings.confirm_reset_title, target.get().1)
            })
        >
            <ActionForm action=reset attr:class="stack">
                <input type="hidden" name="id" value=move || target.get().0 />
                <Field
                    label=t.settings.new_password
                    name="password"
                    kind="password"
                    autocomplete="new-password"
                    required=true
                    hint=t.common.password_hint
                    error=field_error(reset_value, "password")
                />
                <FormError value=reset_value />
                <DialogActions open=reset_open>
                    <button type="submit" class="primary">
                        {t.settings.reset_password}
                    </button>
                </DialogActions>
            </ActionForm>
        </ConfirmDialog>
    }
}
