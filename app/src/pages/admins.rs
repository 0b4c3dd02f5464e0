//! `/settings/admins` — admin accounts and roles (Global admin only; the server enforces it).

use crate::api::{AddAdmin, ChangeRole, ResetPassword, SetAdminEnabled, list_admins};
use crate::components::table::use_sort;
use crate::components::{
    Column, ConfirmDialog, DataTable, DialogActions, ErrorView, Field, FormError, field_error,
    use_toasts,
};
use crate::domain::{AdminView, ApiError, Me, Role, format_time};
use crate::i18n::{fill, use_texts};
use crate::pages::role_label;
use leptos::prelude::*;
use leptos_meta::Title;

/// Pushes a toast whenever `value` turns into a success.
fn toast_on_success<T, V>(value: V, message: &'static str)
where
    T: 'static,
    V: With<Value = Option<Result<T, ApiError>>> + Copy + Send + Sync + 'static,
{
    let toasts = use_toasts();
    Effect::new(move |_| {
        if value.with(|v| matches!(v, Some(Ok(_)))) {
            toasts.push(message);
        }
    });
}

fn sort_admins(list: &mut [AdminView], key: &str, desc: bool) {
    list.sort_by(|a, b| {
        let ord = match key {
            "username" => a.username.cmp(&b.username),
            "role" => a.role.as_str().cmp(b.role.as_str()),
            "status" => a.enabled.cmp(&b.enabled),
            "last_sign_in" => a.last_sign_in_at.cmp(&b.last_sign_in_at),
            "created" => a.created_at.cmp(&b.created_at),
            _ => a
                .display_name
                .to_lowercase()
                .cmp(&b.display_name.to_lowercase()),
        };
        if desc { ord.reverse() } else { ord }
    });
}

#[component]
fn RoleSelect(#[prop(optional)] selected: Option<Role>, id: String) -> impl IntoView {
    let t = use_texts();
    let options = Role::ALL
        .into_iter()
        .map(|r| {
            view! {
                <option value=r.as_str() selected=Some(r) == selected>
                    {role_label(t, r)}
                </option>
            }
        })
        .collect_view();
    view! {
        <select name="role" id=id>
            {options}
        </select>
    }
}

#[component]
pub fn AdminsPage() -> impl IntoView {
    let t = use_texts();
    let me = expect_context::<Me>();
    let add = ServerAction::<AddAdmin>::new();
    let change = ServerAction::<ChangeRole>::new();
    let enable = ServerAction::<SetAdminEnabled>::new();
    let reset = ServerAction::<ResetPassword>::new();
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
    toast_on_success(add.value(), t.toast_admin_added);
    toast_on_success(change.value(), t.toast_role_changed);
    toast_on_success(reset.value(), t.toast_password_reset);
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(())) = enable.value().get() {
            let enabled = enable.input().get_untracked().map(|i| i.enabled);
            toasts.push(if enabled == Some(true) {
                t.toast_admin_enabled
            } else {
                t.toast_admin_disabled
            });
        }
    });

    let sort = use_sort("name");
    let disable_open = RwSignal::new(false);
    let reset_open = RwSignal::new(false);
    let target = RwSignal::new((0_i64, String::new()));
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

    let columns = StoredValue::new(vec![
        Column::sortable("name", t.col_name),
        Column::sortable("role", t.col_role),
        Column::sortable("status", t.col_status),
        Column::sortable("last_sign_in", t.col_last_sign_in),
        Column::new("actions", t.col_actions),
    ]);
    let add_value = add.value();
    let reset_value = reset.value();
    let my_id = me.id;

    view! {
        <Title text=t.settings_admins />
        <h1>{t.settings_admins}</h1>
        <p class="lead">{t.admins_intro}</p>
        <FormError value=change.value() />
        <FormError value=enable.value() />
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match admins.await {
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                    Ok(mut list) => {
                        let (key, desc) = sort.get();
                        sort_admins(&mut list, &key, desc);
                        let count = list.len();
                        let list = StoredValue::new(list);
                        view! {
                            <DataTable
                                caption=t.settings_admins
                                columns=columns.get_value()
                                sort=Signal::from(sort)
                                row_count=Signal::stored(count)
                            >
                                <For each=move || list.get_value() key=|a| (a.id, a.role, a.enabled) let:admin>
                                    <AdminRow admin=admin my_id=my_id change=change enable=enable target=target disable_open=disable_open reset_open=reset_open />
                                </For>
                            </DataTable>
                        }
                        .into_any()
                    }
                }
            })}
        </Transition>

        <section class="panel" aria-labelledby="add-admin-title">
            <h2 id="add-admin-title">{t.add_admin}</h2>
            <ActionForm action=add attr:class="grid-form">
                <Field label=t.display_name name="display_name" required=true error=field_error(add_value, "display_name") />
                <Field label=t.username name="username" required=true autocomplete="off" error=field_error(add_value, "username") />
                <div class="field">
                    <label for="new-admin-role">{t.col_role}</label>
                    <RoleSelect selected=Role::Reader id="new-admin-role".to_string() />
                </div>
                <Field label=t.password name="password" kind="password" autocomplete="new-password" required=true hint=t.password_hint error=field_error(add_value, "password") />
                <FormError value=add_value />
                <div class="form-actions">
                    <button type="submit" class="primary">{t.add_admin}</button>
                </div>
            </ActionForm>
        </section>

        <ConfirmDialog open=disable_open title=Signal::stored(t.confirm_disable_title.to_string())>
            <ActionForm action=enable attr:class="stack">
                <input type="hidden" name="id" value=move || target.get().0 />
                <input type="hidden" name="enabled" value="false" />
                <p>{move || fill(t.confirm_disable_body, target.get().1)}</p>
                <DialogActions open=disable_open>
                    <button type="submit" class="danger">{t.disable}</button>
                </DialogActions>
            </ActionForm>
        </ConfirmDialog>

        <ConfirmDialog open=reset_open title=Signal::derive(move || format!("{} — {}", t.confirm_reset_title, target.get().1))>
            <ActionForm action=reset attr:class="stack">
                <input type="hidden" name="id" value=move || target.get().0 />
                <Field label=t.new_password name="password" kind="password" autocomplete="new-password" required=true hint=t.password_hint error=field_error(reset_value, "password") />
                <FormError value=reset_value />
                <DialogActions open=reset_open>
                    <button type="submit" class="primary">{t.reset_password}</button>
                </DialogActions>
            </ActionForm>
        </ConfirmDialog>
    }
}

#[component]
fn AdminRow(
    admin: AdminView,
    my_id: i64,
    change: ServerAction<ChangeRole>,
    enable: ServerAction<SetAdminEnabled>,
    target: RwSignal<(i64, String)>,
    disable_open: RwSignal<bool>,
    reset_open: RwSignal<bool>,
) -> impl IntoView {
    let t = use_texts();
    let id = admin.id;
    let name = admin.display_name.clone();
    let name2 = name.clone();
    let select_id = format!("role-{id}");
    view! {
        <tr data-admin=admin.username.clone()>
            <td class="nowrap">
                <span class="primary-text">{admin.display_name.clone()}</span>
                {(id == my_id).then(|| view! { " " <span class="muted">{t.you}</span> })}
                <span class="secondary-text">{admin.username.clone()}</span>
            </td>
            <td>
                <ActionForm action=change attr:class="inline">
                    <input type="hidden" name="id" value=id />
                    <label class="visually-hidden" for=select_id.clone()>{t.change_role}</label>
                    <RoleSelect selected=admin.role id=select_id />
                    <button type="submit" class="secondary small">{t.change_role}</button>
                </ActionForm>
            </td>
            <td>
                {if admin.enabled {
                    view! { <span class="pill ok">{t.enabled}</span> }.into_any()
                } else {
                    view! { <span class="pill off">{t.disabled}</span> }.into_any()
                }}
            </td>
            <td class="time">{admin.last_sign_in_at.map(format_time).unwrap_or_else(|| t.never.to_string())}</td>
            <td class="actions">
                {if admin.enabled {
                    view! {
                        <button type="button" class="secondary small" on:click=move |_| {
                            target.set((id, name.clone()));
                            disable_open.set(true);
                        }>{t.disable}</button>
                    }.into_any()
                } else {
                    view! {
                        <ActionForm action=enable attr:class="inline">
                            <input type="hidden" name="id" value=id />
                            <input type="hidden" name="enabled" value="true" />
                            <button type="submit" class="secondary small">{t.enable}</button>
                        </ActionForm>
                    }.into_any()
                }}
                <button type="button" class="secondary small" on:click=move |_| {
                    target.set((id, name2.clone()));
                    reset_open.set(true);
                }>{t.reset_password}</button>
            </td>
        </tr>
    }
}
