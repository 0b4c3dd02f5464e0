//! `/groups` and `/groups/{id}` (SPEC D-2): groups, members, the type-ahead member picker.

use crate::api::directory::{
    ChangeMembers, DeleteGroup, SaveGroup, get_group, list_groups, search_users,
};
use crate::components::{
    Column, ConfirmDialog, CsvImport, DataTable, DialogActions, ErrorView, Field, FormError, Pager,
    field_error, use_toasts,
};
use crate::domain::directory::UserView;
use crate::i18n::{fill, use_texts};
use crate::pages::users::{SearchBox, can_manage_directory, status_pill};
use crate::pages::{Area, AreaTabs};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

fn join_ids(ids: impl Iterator<Item = i64>) -> String {
    ids.map(|i| i.to_string()).collect::<Vec<_>>().join(",")
}

#[component]
pub fn GroupsPage() -> impl IntoView {
    let t = use_texts();
    let query = use_query_map();
    let save = ServerAction::<SaveGroup>::new();
    let imported = RwSignal::new(0);
    let groups = Resource::new(
        move || {
            (
                query.read().get("q"),
                query.read().get("after"),
                save.version().get(),
                imported.get(),
            )
        },
        |(q, after, _, _)| list_groups(q, after),
    );
    let columns = StoredValue::new(vec![
        Column::new("name", t.col_name),
        Column::new("description", t.col_description),
        Column::new("members", t.col_members),
    ]);
    let value = save.value();
    let manage = can_manage_directory();
    view! {
        <Title text=t.dir_groups />
        <AreaTabs area=Area::Directory current=1 />
        <div class="page-head">
            <h1>{t.dir_groups}</h1>
            <div class="page-actions">
                <a class="button secondary" href="/api/directory/export/groups.csv" download="groups.csv" rel="external">{t.export_csv}</a>
            </div>
        </div>
        <SearchBox label=t.search_groups />
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match groups.await {
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                    Ok(page) => {
                        let count = page.items.len();
                        let total = page.total;
                        let next = page.next.clone();
                        let rows = page.items.into_iter().map(|g| view! {
                            <tr>
                                <td><a href=format!("/groups/{}", g.id)>{g.name.clone()}</a></td>
                                <td class="muted">{g.description.clone()}</td>
                                <td class="num">{g.member_count}</td>
                            </tr>
                        }).collect_view();
                        view! {
                            <p class="count">{fill(t.total_groups, total)}</p>
                            <DataTable caption=t.dir_groups columns=columns.get_value() row_count=Signal::stored(count) empty=t.no_groups>
                                {rows.clone()}
                            </DataTable>
                            <Pager param="after" next=Signal::stored(next) first_label=t.page_first next_label=t.page_next />
                        }.into_any()
                    }
                }
            })}
        </Transition>
        {manage.then(|| view! {
            <section class="panel" aria-labelledby="add-group-title">
                <h2 id="add-group-title">{t.add_group}</h2>
                <ActionForm action=save attr:class="grid-form">
                    <Field label=t.col_name name="name" required=true error=field_error(value, "name") />
                    <Field label=t.col_description name="description" error=field_error(value, "description") />
                    <FormError value=value />
                    <div class="form-actions"><button type="submit" class="primary">{t.add_group}</button></div>
                </ActionForm>
            </section>
            <section class="panel" aria-labelledby="import-groups-title">
                <h2 id="import-groups-title">{t.import_groups_title}</h2>
                <p class="muted">{t.import_groups_help}</p>
                <CsvImport kind="groups" url="/api/directory/import/groups".to_string() on_done=Callback::new(move |_| imported.update(|n| *n += 1)) />
            </section>
        })}
    }
}

#[component]
pub fn GroupPage() -> impl IntoView {
    let t = use_texts();
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let members = ServerAction::<ChangeMembers>::new();
    let save = ServerAction::<SaveGroup>::new();
    let delete = ServerAction::<DeleteGroup>::new();
    let group = Resource::new(
        move || (id(), members.version().get(), save.version().get()),
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
                    t.toast_members_added
                } else {
                    t.toast_members_removed
                },
                n,
            ));
        }
    });
    let selected = RwSignal::new(Vec::<i64>::new());
    let remove_open = RwSignal::new(false);
    let delete_open = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(_)) = members.value().get() {
            selected.set(vec![]);
            remove_open.set(false);
        }
    });
    let value = save.value();
    let manage = can_manage_directory();
    view! {
        <AreaTabs area=Area::Directory current=1 />
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match group.await {
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                    Ok(detail) => {
                        let g = detail.group.clone();
                        let gid = g.id;
                        let count = detail.members.len();
                        let member_list = StoredValue::new(detail.members.clone());
                        let delete_message = StoredValue::new(fill(t.confirm_delete_group_body, &g.name));
                        let mut columns = vec![
                            Column::new("name", t.col_name),
                            Column::new("sign_in_name", t.col_sign_in_name),
                            Column::new("department", t.col_department),
                            Column::new("status", t.col_status),
                        ];
                        if manage {
                            columns.insert(0, Column::new("select", t.col_select));
                        }
                        view! {
                            <Title text=g.name.clone() />
                            <p class="crumbs"><a href="/groups">{t.dir_groups}</a></p>
                            <div class="page-head">
                                <h1>{g.name.clone()}</h1>
                                <span class="pill">{fill(t.member_count, g.member_count)}</span>
                            </div>
                            <p class="lead">{g.description.clone()}</p>
                            {manage.then(|| view! {
                                <MemberPicker group_id=gid action=members />
                            })}
                            <div class="section-head">
                                <h2>{t.col_members}</h2>
                                {manage.then(|| view! {
                                    <button type="button" class="secondary" disabled=move || selected.read().is_empty() on:click=move |_| remove_open.set(true)>
                                        {move || fill(t.remove_selected, selected.read().len())}
                                    </button>
                                })}
                            </div>
                            <DataTable caption=t.col_members columns=columns row_count=Signal::stored(count) empty=t.no_members>
                                {move || member_list.get_value().into_iter().map(|u| view! { <MemberRow user=u selected=selected manage=manage /> }).collect_view()}
                            </DataTable>
                            {manage.then(|| view! {
                                <section class="panel" aria-labelledby="edit-group-title">
                                    <h2 id="edit-group-title">{t.edit_group}</h2>
                                    <ActionForm action=save attr:class="grid-form">
                                        <input type="hidden" name="id" value=gid />
                                        <Field label=t.col_name name="name" required=true value=g.name.clone() error=field_error(value, "name") />
                                        <Field label=t.col_description name="description" value=g.description.clone() error=field_error(value, "description") />
                                        <FormError value=value />
                                        <div class="form-actions">
                                            <button type="submit" class="primary">{t.save}</button>
                                            <button type="button" class="secondary danger-text" on:click=move |_| delete_open.set(true)>{t.delete_group}</button>
                                        </div>
                                    </ActionForm>
                                </section>
                            })}
                            <ConfirmDialog open=remove_open title=Signal::stored(t.confirm_remove_members_title.to_string())>
                                <ActionForm action=members attr:class="stack">
                                    <input type="hidden" name="group_id" value=gid />
                                    <input type="hidden" name="add" value="false" />
                                    <input type="hidden" name="user_ids" value=move || join_ids(selected.read().iter().copied()) />
                                    <p>{move || fill(t.confirm_remove_members_body, selected.read().len())}</p>
                                    <DialogActions open=remove_open>
                                        <button type="submit" class="danger">{t.remove}</button>
                                    </DialogActions>
                                </ActionForm>
                            </ConfirmDialog>
                            <ConfirmDialog open=delete_open title=Signal::stored(t.delete_group.to_string())>
                                <ActionForm action=delete attr:class="stack">
                                    <input type="hidden" name="id" value=gid />
                                    <p>{delete_message.get_value()}</p>
                                    <DialogActions open=delete_open>
                                        <button type="submit" class="danger">{t.delete}</button>
                                    </DialogActions>
                                </ActionForm>
                            </ConfirmDialog>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn MemberRow(user: UserView, selected: RwSignal<Vec<i64>>, manage: bool) -> impl IntoView {
    let t = use_texts();
    let id = user.id;
    let checked = move || selected.read().contains(&id);
    view! {
        <tr>
            {manage.then(|| view! {
                <td>
                    <input type="checkbox" aria-label=fill(t.select_user, &user.display_name) prop:checked=checked on:change=move |_| {
                        selected.update(|s| if let Some(p) = s.iter().position(|x| *x == id) { s.remove(p); } else { s.push(id); });
                    } />
                </td>
            })}
            <td><a href=format!("/users/{id}")>{user.display_name.clone()}</a></td>
            <td>{user.sign_in_name.clone()}</td>
            <td>{user.department.clone()}</td>
            <td>{status_pill(user.enabled)}</td>
        </tr>
    }
}

/// Type a name, pick people from the results (several), then add them all at once.
#[component]
fn MemberPicker(group_id: i64, action: ServerAction<ChangeMembers>) -> impl IntoView {
    let t = use_texts();
    let text = RwSignal::new(String::new());
    let picked = RwSignal::new(Vec::<UserView>::new());
    let results = Resource::new(
        move || text.get(),
        |q| async move {
            if q.trim().len() < 2 {
                Ok(vec![])
            } else {
                search_users(q).await
            }
        },
    );
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            picked.set(vec![]);
            text.set(String::new());
        }
    });
    let value = action.value();
    view! {
        <section class="panel picker" aria-labelledby="add-members-title">
            <h2 id="add-members-title">{t.add_members}</h2>
            <div class="field">
                <label for="member-search">{t.type_a_name}</label>
                <input id="member-search" type="search" autocomplete="off" role="combobox" aria-controls="member-results" aria-expanded=move || (!text.read().is_empty()).to_string()
                    prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev)) placeholder=t.type_a_name_placeholder />
            </div>
            <ul id="member-results" class="results" role="listbox" aria-label=t.search_results>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let list = results.await.unwrap_or_default();
                        list.into_iter().map(|u| {
                            let already = picked.read_untracked().iter().any(|p| p.id == u.id);
                            let label = format!("{} ({})", u.display_name, u.sign_in_name);
                            let user = u.clone();
                            view! {
                                <li role="option" aria-selected=already.to_string()>
                                    <button type="button" class="result" on:click=move |_| {
                                        let user = user.clone();
                                        picked.update(|p| if !p.iter().any(|x| x.id == user.id) { p.push(user) });
                                    }>{label}</button>
                                </li>
                            }
                        }).collect_view()
                    })}
                </Transition>
            </ul>
            <ActionForm action=action attr:class="stack">
                <input type="hidden" name="group_id" value=group_id />
                <input type="hidden" name="add" value="true" />
                <input type="hidden" name="user_ids" value=move || join_ids(picked.read().iter().map(|u| u.id)) />
                <div class="chips" aria-live="polite">
                    <For each=move || picked.get() key=|u| u.id let:u>
                        <span class="chip">
                            {u.display_name.clone()}
                            <button type="button" class="link" aria-label=fill(t.remove_from_selection, &u.display_name) on:click=move |_| picked.update(|p| p.retain(|x| x.id != u.id))>"×"</button>
                        </span>
                    </For>
                </div>
                <FormError value=value />
                <div class="form-actions">
                    <button type="submit" class="primary" disabled=move || picked.read().is_empty()>
                        {move || fill(t.add_n_members, picked.read().len())}
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}
