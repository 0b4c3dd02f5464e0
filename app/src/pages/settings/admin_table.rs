//! The admin accounts table: one row per admin with Change role, Disable or Enable, and
//! Reset password. Sorted here (the list is short), by the `?sort=` of the page.

use super::admins::AdminActions;
use crate::components::{Column, DataTable, enabled_pill};
use crate::domain::{AdminView, Role, format_time};
use crate::i18n::use_texts;
use crate::pages::role_label;
use leptos::prelude::*;

pub(super) fn sort_admins(list: &mut [AdminView], key: &str, desc: bool) {
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

/// The admins, already sorted by `sort`.
#[component]
pub(super) fn AdminTable(
    list: Vec<AdminView>,
    sort: Memo<(String, bool)>,
    my_id: i64,
    actions: AdminActions,
    /// The viewer may change admins (Global admin); others read the list only.
    manage: bool,
) -> impl IntoView {
    let t = use_texts();
    let mut columns = vec![
        Column::sortable("name", t.common.col_name),
        Column::sortable("role", t.common.col_role),
        Column::sortable("status", t.common.col_status),
        Column::sortable("last_sign_in", t.settings.col_last_sign_in),
    ];
    if manage {
        columns.push(Column::new("actions", t.common.col_actions));
    }
    let count = list.len();
    let list = StoredValue::new(list);
    view! {
        <DataTable
            caption=t.settings.admins
            columns=columns
            sort=Signal::from(sort)
            row_count=Signal::stored(count)
        >
            <For each=move || list.get_value() key=|a| (a.id, a.role, a.enabled) let:admin>
                <AdminRow admin=admin my_id=my_id actions=actions manage=manage />
            </For>
        </DataTable>
    }
}

#[component]
pub(super) fn RoleSelect(#[prop(optional)] selected: Option<Role>, id: String) -> impl IntoView {
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
fn AdminRow(admin: AdminView, my_id: i64, actions: AdminActions, manage: bool) -> impl IntoView {
    let t = use_texts();
    let AdminActions {
        change,
        enable,
        target,
        disable_open,
        reset_open,
        ..
    } = actions;
    let id = admin.id;
    let name = admin.display_name.clone();
    let name2 = name.clone();
    let select_id = format!("role-{id}");
    view! {
        <tr data-admin=admin.username.clone()>
            <td class="nowrap">
                <span class="primary-text">{admin.display_name.clone()}</span>
                {(id == my_id)
                    .then(|| {
                        view! {
                            " "
                            <span class="muted">{t.settings.you}</span>
                        }
                    })}
                <span class="secondary-text">{admin.username.clone()}</span>
            </td>
            <td>
                {if manage {
                    view! {
                        <ActionForm action=change attr:class="inline">
                            <input type="hidden" name="id" value=id />
                            <label class="visually-hidden" for=select_id.clone()>
                                {t.settings.change_role}
                            </label>
                            <RoleSelect selected=admin.role id=select_id />
                            <button type="submit" class="secondary small">
                                {t.settings.change_role}
                            </button>
                        </ActionForm>
                    }
                        .into_any()
                } else {
                    role_label(t, admin.role).into_any()
                }}
            </td>
            <td>{enabled_pill(admin.enabled)}</td>
            <td class="time">
                {admin
                    .last_sign_in_at
                    .map(format_time)
                    .unwrap_or_else(|| t.common.never.to_string())}
            </td>
            {manage
                .then(move || {
                    view! {
                        <td class="actions">
                            {if admin.enabled {
                                view! {
                                    <button
                                        type="button"
                                        class="secondary small"
                                        on:click=move |_| {
                                            target.set((id, name.clone()));
                                            disable_open.set(true);
                                        }
                                    >
                                        {t.common.disable}
                                    </button>
                                }
                                    .into_any()
                            } else {
                                view! {
                                    <ActionForm action=enable attr:class="inline">
                                        <input type="hidden" name="id" value=id />
                                        <input type="hidden" name="enabled" value="true" />
                                        <button type="submit" class="secondary small">
                                            {t.common.enable}
                                        </button>
                                    </ActionForm>
                                }
                                    .into_any()
                            }}
                            <button
                                type="button"
                                class="secondary small"
                                on:click=move |_| {
                                    target.set((id, name2.clone()));
                                    reset_open.set(true);
                                }
                            >
                                {t.settings.reset_password}
                            </button>
                        </td>
                    }
                })}
        </tr>
    }
}
