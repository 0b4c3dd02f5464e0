//! `/users/{id}` (SPEC D-1): one user, their groups and devices, edit, disable, delete.

use crate::api::directory::{DeleteUser, SaveUser, SetUserEnabled, get_user};
use crate::components::{
    ConfirmDialog, DialogActions, Field, FormError, Loaded, can, enabled_pill, field_error,
    param_id, toast_on_success,
};
use crate::domain::directory::{UserDetail, UserView};
use crate::domain::{Permission, format_time};
use crate::i18n::{fill, use_texts};
use crate::pages::{Area, AreaTabs};
use leptos::prelude::*;
use leptos_meta::Title;

/// The user page's actions and its delete dialog's open state.
#[derive(Clone, Copy)]
struct UserActions {
    save: ServerAction<SaveUser>,
    enable: ServerAction<SetUserEnabled>,
    delete: ServerAction<DeleteUser>,
    delete_open: RwSignal<bool>,
}

#[component]
pub fn UserPage() -> impl IntoView {
    let t = use_texts();
    let id = param_id();
    let actions = UserActions {
        save: ServerAction::new(),
        enable: ServerAction::new(),
        delete: ServerAction::new(),
        delete_open: RwSignal::new(false),
    };
    let user = Resource::new(
        move || {
            (
                id(),
                actions.save.version().get(),
                actions.enable.version().get(),
            )
        },
        |(id, _, _)| get_user(id),
    );
    toast_on_success(actions.save.value(), t.common.toast_saved);
    view! {
        <AreaTabs area=Area::Directory current=0 />
        <Loaded resource=user let:detail>
            <UserDetailView detail=detail actions=actions />
        </Loaded>
    }
}

#[component]
fn UserDetailView(detail: UserDetail, actions: UserActions) -> impl IntoView {
    let t = use_texts();
    let u = detail.user.clone();
    view! {
        <Title text=u.display_name.clone() />
        <p class="crumbs">
            <a href="/users">{t.directory.users}</a>
        </p>
        <div class="page-head">
            <h1>{u.display_name.clone()}</h1>
            {enabled_pill(u.enabled)}
        </div>
        <dl class="facts">
            <div>
                <dt>{t.directory.col_sign_in_name}</dt>
                <dd>{u.sign_in_name.clone()}</dd>
            </div>
            <div>
                <dt>{t.directory.col_department}</dt>
                <dd>
                    {if u.department.is_empty() { "—".to_string() } else { u.department.clone() }}
                </dd>
            </div>
            <div>
                <dt>{t.common.col_created}</dt>
                <dd>{format_time(u.created_at)}</dd>
            </div>
            <div>
                <dt>{t.directory.col_updated}</dt>
                <dd>{format_time(u.updated_at)}</dd>
            </div>
        </dl>
        <div class="two-col">
            <section class="panel">
                <h2>{fill(t.directory.user_groups, detail.groups.len())}</h2>
                {link_list(&detail.groups, "/groups", t.directory.user_no_groups)}
            </section>
            <section class="panel">
                <h2>{fill(t.directory.user_devices, detail.devices.len())}</h2>
                {link_list(&detail.devices, "/devices", t.directory.user_no_devices)}
            </section>
        </div>
        {can(Permission::ManageDirectory)
            .then(|| view! { <EditUserPanel user=u actions=actions /> })}
    }
}

/// Links to `{base}/{id}` for each (id, name), or `empty` when there are none.
fn link_list(items: &[(i64, String)], base: &'static str, empty: &'static str) -> AnyView {
    if items.is_empty() {
        view! { <p class="muted">{empty}</p> }.into_any()
    } else {
        view! {
            <ul class="links">
                {items
                    .iter()
                    .map(|(id, name)| {
                        view! {
                            <li>
                                <a href=format!("{base}/{id}")>{name.clone()}</a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any()
    }
}

#[component]
fn EditUserPanel(user: UserView, actions: UserActions) -> impl IntoView {
    let t = use_texts();
    let UserActions {
        save,
        enable,
        delete,
        delete_open,
    } = actions;
    let value = save.value();
    let u = user;
    let delete_message =
        StoredValue::new(fill(t.directory.confirm_delete_user_body, &u.display_name));
    view! {
        <section class="panel" aria-labelledby="edit-user-title">
            <h2 id="edit-user-title">{t.directory.edit_user}</h2>
            <ActionForm action=save attr:class="grid-form">
                <input type="hidden" name="id" value=u.id />
                <Field
                    label=t.common.display_name
                    name="display_name"
                    required=true
                    value=u.display_name.clone()
                    error=field_error(value, "display_name")
                />
                <Field
                    label=t.directory.col_sign_in_name
                    name="sign_in_name"
                    kind="email"
                    required=true
                    value=u.sign_in_name.clone()
                    error=field_error(value, "sign_in_name")
                />
                <Field
                    label=t.directory.col_department
                    name="department"
                    value=u.department.clone()
                    error=field_error(value, "department")
                />
                <FormError value=value />
                <div class="form-actions">
                    <button type="submit" class="primary">
                        {t.common.save}
                    </button>
                </div>
            </ActionForm>
            <div class="danger-zone">
                <ActionForm action=enable attr:class="inline">
                    <input type="hidden" name="id" value=u.id />
                    <input type="hidden" name="enabled" value=(!u.enabled).to_string() />
                    <button type="submit" class="secondary">
                        {if u.enabled { t.common.disable } else { t.common.enable }}
                    </button>
                </ActionForm>
                <button
                    type="button"
                    class="secondary danger-text"
                    on:click=move |_| delete_open.set(true)
                >
                    {t.common.delete}
                </button>
                <span class="muted">{t.directory.delete_user_hint}</span>
            </div>
            <FormError value=enable.value() />
            <FormError value=delete.value() />
        </section>
        <ConfirmDialog
            open=delete_open
            title=Signal::stored(t.directory.confirm_delete_user_title.to_string())
        >
            <ActionForm action=delete attr:class="stack">
                <input type="hidden" name="id" value=u.id />
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
