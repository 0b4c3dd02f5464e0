//! `/users` (SPEC D-1): the user list, Add user and Import users.

use crate::api::directory::{SaveUser, list_users};
use crate::components::{
    Column, CsvImport, DataTable, Field, FormError, Loaded, Pager, SearchBox, can, enabled_pill,
    field_error, toast_on_success, use_sort,
};
use crate::domain::directory::{ListPage, UserView};
use crate::domain::{Permission, format_time};
use crate::i18n::{fill, use_texts};
use crate::pages::{Area, AreaTabs};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

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
    toast_on_success(save.value(), t.directory.toast_user_added);
    view! {
        <Title text=t.directory.users />
        <AreaTabs area=Area::Directory current=0 />
        <div class="page-head">
            <h1>{t.directory.users}</h1>
            <div class="page-actions">
                <a
                    class="button secondary"
                    href="/api/directory/export/users.csv"
                    download="users.csv"
                    rel="external"
                >
                    {t.common.export_csv}
                </a>
            </div>
        </div>
        <SearchBox label=t.directory.search_users />
        <Loaded resource=users let:page>
            <UserList page=page sort=sort />
        </Loaded>
        {can(Permission::ManageDirectory)
            .then(|| view! { <AddUserPanels save=save imported=imported /> })}
    }
}

#[component]
fn UserList(page: ListPage<UserView>, sort: Memo<(String, bool)>) -> impl IntoView {
    let t = use_texts();
    let columns = vec![
        Column::sortable("name", t.common.col_name),
        Column::sortable("sign_in_name", t.directory.col_sign_in_name),
        Column::sortable("department", t.directory.col_department),
        Column::new("status", t.common.col_status),
        Column::sortable("created", t.common.col_created),
    ];
    let count = page.items.len();
    let items = StoredValue::new(page.items);
    view! {
        <p class="count">{fill(t.directory.total_users, page.total)}</p>
        <DataTable
            caption=t.directory.users
            columns=columns
            sort=Signal::from(sort)
            row_count=Signal::stored(count)
            empty=t.directory.no_users
        >
            {move || {
                items.get_value().into_iter().map(|u| view! { <UserRow user=u /> }).collect_view()
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
fn UserRow(user: UserView) -> impl IntoView {
    let href = format!("/users/{}", user.id);
    view! {
        <tr>
            <td>
                <a href=href>{user.display_name.clone()}</a>
            </td>
            <td>{user.sign_in_name.clone()}</td>
            <td>{user.department.clone()}</td>
            <td>{enabled_pill(user.enabled)}</td>
            <td class="time">{format_time(user.created_at)}</td>
        </tr>
    }
}

#[component]
fn AddUserPanels(save: ServerAction<SaveUser>, imported: RwSignal<i32>) -> impl IntoView {
    let t = use_texts();
    let value = save.value();
    view! {
        <section class="panel" aria-labelledby="add-user-title">
            <h2 id="add-user-title">{t.directory.add_user}</h2>
            <ActionForm action=save attr:class="grid-form">
                <Field
                    label=t.common.display_name
                    name="display_name"
                    required=true
                    error=field_error(value, "display_name")
                />
                <Field
                    label=t.directory.col_sign_in_name
                    name="sign_in_name"
                    kind="email"
                    required=true
                    error=field_error(value, "sign_in_name")
                    hint=t.directory.sign_in_name_hint
                />
                <Field
                    label=t.directory.col_department
                    name="department"
                    error=field_error(value, "department")
                />
                <FormError value=value />
                <div class="form-actions">
                    <button type="submit" class="primary">
                        {t.directory.add_user}
                    </button>
                </div>
            </ActionForm>
        </section>
        <section class="panel" aria-labelledby="import-users-title">
            <h2 id="import-users-title">{t.directory.import_users_title}</h2>
            <p class="muted">{t.directory.import_users_help}</p>
            <CsvImport
                kind="users"
                url="/api/directory/import/users".to_string()
                on_done=Callback::new(move |_| imported.update(|n| *n += 1))
            />
        </section>
    }
}
