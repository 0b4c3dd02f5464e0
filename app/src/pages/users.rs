//! `/users` and `/users/{id}` (SPEC D-1).

use crate::api::directory::{DeleteUser, SaveUser, SetUserEnabled, get_user, list_users};
use crate::components::table::use_sort;
use crate::components::{
    Column, ConfirmDialog, CsvImport, DataTable, DialogActions, ErrorView, Field, FormError, Pager,
    field_error, use_toasts,
};
use crate::domain::directory::UserView;
use crate::domain::{Me, Permission, format_time};
use crate::i18n::{fill, use_texts};
use crate::pages::{Area, AreaTabs};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};

pub(crate) fn can_manage_directory() -> bool {
    use_context::<Me>().is_some_and(|me| me.role.allows(Permission::ManageDirectory))
}

/// A GET search form bound to `?q=` (works before hydration).
#[component]
pub fn SearchBox(
    #[prop(into)] label: String,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let t = use_texts();
    let query = use_query_map();
    view! {
        <Form method="GET" action="" attr:class="filters" attr:role="search">
            <div class="field grow">
                <label for="f-q">{label}</label>
                <input id="f-q" name="q" type="search" prop:value=move || query.read().get("q").unwrap_or_default() />
            </div>
            {children.map(|c| c())}
            <div class="form-actions">
                <button type="submit" class="primary">{t.search}</button>
            </div>
        </Form>
    }
}

pub(crate) fn status_pill(enabled: bool) -> AnyView {
    let t = use_texts();
    if enabled {
        view! { <span class="pill ok">{t.enabled}</span> }.into_any()
    } else {
        view! { <span class="pill off">{t.disabled}</span> }.into_any()
    }
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let t = use_texts();
    let query = use_query_map();
    let sort = use_sort("name");
    let save = ServerAction::<SaveUser>::new();
    let imported = RwSignal::new(0);
    let users = Resource::new(
        move || {
            let q = query.read();
            let (key, desc) = sort.get();
            (
                q.get("q"),
                key,
                desc,
                q.get("after"),
                save.version().get(),
                imported.get(),
            )
        },
        |(q, key, desc, after, _, _)| list_users(q, Some(key), Some(desc), after),
    );
    let columns = StoredValue::new(vec![
        Column::sortable("name", t.col_name),
        Column::sortable("sign_in_name", t.col_sign_in_name),
        Column::sortable("department", t.col_department),
        Column::new("status", t.col_status),
        Column::sortable("created", t.col_created),
    ]);
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            toasts.push(t.toast_user_added);
        }
    });
    let value = save.value();
    let manage = can_manage_directory();
    view! {
        <Title text=t.dir_users />
        <AreaTabs area=Area::Directory current=0 />
        <div class="page-head">
            <h1>{t.dir_users}</h1>
            <div class="page-actions">
                <a class="button secondary" href="/api/directory/export/users.csv" download="users.csv" rel="external">{t.export_csv}</a>
            </div>
        </div>
        <SearchBox label=t.search_users />
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match users.await {
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                    Ok(page) => {
                        let count = page.items.len();
                        let total = page.total;
                        let next = page.next.clone();
                        let items = StoredValue::new(page.items);
                        view! {
                            <p class="count">{fill(t.total_users, total)}</p>
                            <DataTable caption=t.dir_users columns=columns.get_value() sort=Signal::from(sort) row_count=Signal::stored(count) empty=t.no_users>
                                {move || items.get_value().into_iter().map(|u| view! { <UserRow user=u /> }).collect_view()}
                            </DataTable>
                            <Pager param="after" next=Signal::stored(next) first_label=t.page_first next_label=t.page_next />
                        }.into_any()
                    }
                }
            })}
        </Transition>
        {manage.then(|| view! {
            <section class="panel" aria-labelledby="add-user-title">
                <h2 id="add-user-title">{t.add_user}</h2>
                <ActionForm action=save attr:class="grid-form">
                    <Field label=t.display_name name="display_name" required=true error=field_error(value, "display_name") />
                    <Field label=t.col_sign_in_name name="sign_in_name" kind="email" required=true error=field_error(value, "sign_in_name") hint=t.sign_in_name_hint />
                    <Field label=t.col_department name="department" error=field_error(value, "department") />
                    <FormError value=value />
                    <div class="form-actions">
                        <button type="submit" class="primary">{t.add_user}</button>
                    </div>
                </ActionForm>
            </section>
            <section class="panel" aria-labelledby="import-users-title">
                <h2 id="import-users-title">{t.import_users_title}</h2>
                <p class="muted">{t.import_users_help}</p>
                <CsvImport kind="users" url="/api/directory/import/users".to_string() on_done=Callback::new(move |_| imported.update(|n| *n += 1)) />
            </section>
        })}
    }
}

#[component]
fn UserRow(user: UserView) -> impl IntoView {
    let href = format!("/users/{}", user.id);
    view! {
        <tr>
            <td><a href=href>{user.display_name.clone()}</a></td>
            <td>{user.sign_in_name.clone()}</td>
            <td>{user.department.clone()}</td>
            <td>{status_pill(user.enabled)}</td>
            <td class="time">{format_time(user.created_at)}</td>
        </tr>
    }
}

#[component]
pub fn UserPage() -> impl IntoView {
    let t = use_texts();
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let save = ServerAction::<SaveUser>::new();
    let enable = ServerAction::<SetUserEnabled>::new();
    let delete = ServerAction::<DeleteUser>::new();
    let user = Resource::new(
        move || (id(), save.version().get(), enable.version().get()),
        |(id, _, _)| get_user(id),
    );
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            toasts.push(t.toast_saved);
        }
    });
    let delete_open = RwSignal::new(false);
    let value = save.value();
    let manage = can_manage_directory();
    view! {
        <AreaTabs area=Area::Directory current=0 />
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match user.await {
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                    Ok(detail) => {
                        let u = detail.user.clone();
                        let delete_message = StoredValue::new(fill(t.confirm_delete_user_body, &u.display_name));
                        view! {
                            <Title text=u.display_name.clone() />
                            <p class="crumbs"><a href="/users">{t.dir_users}</a></p>
                            <div class="page-head">
                                <h1>{u.display_name.clone()}</h1>
                                {status_pill(u.enabled)}
                            </div>
                            <dl class="facts">
                                <div><dt>{t.col_sign_in_name}</dt><dd>{u.sign_in_name.clone()}</dd></div>
                                <div><dt>{t.col_department}</dt><dd>{if u.department.is_empty() { "—".to_string() } else { u.department.clone() }}</dd></div>
                                <div><dt>{t.col_created}</dt><dd>{format_time(u.created_at)}</dd></div>
                                <div><dt>{t.col_updated}</dt><dd>{format_time(u.updated_at)}</dd></div>
                            </dl>
                            <div class="two-col">
                                <section class="panel">
                                    <h2>{fill(t.user_groups, detail.groups.len())}</h2>
                                    {if detail.groups.is_empty() {
                                        view! { <p class="muted">{t.user_no_groups}</p> }.into_any()
                                    } else {
                                        view! { <ul class="links">{detail.groups.iter().map(|(gid, g)| view! { <li><a href=format!("/groups/{gid}")>{g.clone()}</a></li> }).collect_view()}</ul> }.into_any()
                                    }}
                                </section>
                                <section class="panel">
                                    <h2>{fill(t.user_devices, detail.devices.len())}</h2>
                                    {if detail.devices.is_empty() {
                                        view! { <p class="muted">{t.user_no_devices}</p> }.into_any()
                                    } else {
                                        view! { <ul class="links">{detail.devices.iter().map(|(did, d)| view! { <li><a href=format!("/devices/{did}")>{d.clone()}</a></li> }).collect_view()}</ul> }.into_any()
                                    }}
                                </section>
                            </div>
                            {manage.then(|| view! {
                                <section class="panel" aria-labelledby="edit-user-title">
                                    <h2 id="edit-user-title">{t.edit_user}</h2>
                                    <ActionForm action=save attr:class="grid-form">
                                        <input type="hidden" name="id" value=u.id />
                                        <Field label=t.display_name name="display_name" required=true value=u.display_name.clone() error=field_error(value, "display_name") />
                                        <Field label=t.col_sign_in_name name="sign_in_name" kind="email" required=true value=u.sign_in_name.clone() error=field_error(value, "sign_in_name") />
                                        <Field label=t.col_department name="department" value=u.department.clone() error=field_error(value, "department") />
                                        <FormError value=value />
                                        <div class="form-actions">
                                            <button type="submit" class="primary">{t.save}</button>
                                        </div>
                                    </ActionForm>
                                    <div class="danger-zone">
                                        <ActionForm action=enable attr:class="inline">
                                            <input type="hidden" name="id" value=u.id />
                                            <input type="hidden" name="enabled" value=(!u.enabled).to_string() />
                                            <button type="submit" class="secondary">{if u.enabled { t.disable } else { t.enable }}</button>
                                        </ActionForm>
                                        <button type="button" class="secondary danger-text" on:click=move |_| delete_open.set(true)>{t.delete}</button>
                                        <span class="muted">{t.delete_user_hint}</span>
                                    </div>
                                    <FormError value=enable.value() />
                                    <FormError value=delete.value() />
                                </section>
                                <ConfirmDialog open=delete_open title=Signal::stored(t.confirm_delete_user_title.to_string())>
                                    <ActionForm action=delete attr:class="stack">
                                        <input type="hidden" name="id" value=u.id />
                                        <p>{delete_message.get_value()}</p>
                                        <DialogActions open=delete_open>
                                            <button type="submit" class="danger">{t.delete}</button>
                                        </DialogActions>
                                    </ActionForm>
                                </ConfirmDialog>
                            })}
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
