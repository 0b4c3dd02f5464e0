//! `/groups` (SPEC D-2): the group list, Add group and Import groups.

use crate::api::directory::{SaveGroup, list_groups};
use crate::components::{
    Column, CsvImport, DataTable, Field, FormError, Loaded, Pager, SearchBox, can, field_error,
};
use crate::domain::Permission;
use crate::domain::directory::{GroupView, ListPage};
use crate::i18n::{fill, use_texts};
use crate::pages::{Area, AreaTabs};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

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
    view! {
        <Title text=t.directory.groups />
        <AreaTabs area=Area::Directory current=1 />
        <div class="page-head">
            <h1>{t.directory.groups}</h1>
            <div class="page-actions">
                <a
                    class="button secondary"
                    href="/api/directory/export/groups.csv"
                    download="groups.csv"
                    rel="external"
                >
                    {t.common.export_csv}
                </a>
            </div>
        </div>
        <SearchBox label=t.directory.search_groups />
        <Loaded resource=groups let:page>
            <GroupList page=page />
        </Loaded>
        {can(Permission::ManageDirectory)
            .then(|| view! { <AddGroupPanels save=save imported=imported /> })}
    }
}

#[component]
fn GroupList(page: ListPage<GroupView>) -> impl IntoView {
    let t = use_texts();
    let columns = vec![
        Column::new("name", t.common.col_name),
        Column::new("description", t.common.col_description),
        Column::new("members", t.directory.col_members),
    ];
    let count = page.items.len();
    let rows = page
        .items
        .into_iter()
        .map(|g| {
            view! {
                <tr>
                    <td>
                        <a href=format!("/groups/{}", g.id)>{g.name.clone()}</a>
                    </td>
                    <td class="muted">{g.description.clone()}</td>
                    <td class="num">{g.member_count}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <p class="count">{fill(t.directory.total_groups, page.total)}</p>
        <DataTable
            caption=t.directory.groups
            columns=columns
            row_count=Signal::stored(count)
            empty=t.directory.no_groups
        >
            {rows.clone()}
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
fn AddGroupPanels(save: ServerAction<SaveGroup>, imported: RwSignal<i32>) -> impl IntoView {
    let t = use_texts();
    let value = save.value();
    view! {
        <section class="panel" aria-labelledby="add-group-title">
            <h2 id="add-group-title">{t.directory.add_group}</h2>
            <ActionForm action=save attr:class="grid-form">
                <Field
                    label=t.common.col_name
                    name="name"
                    required=true
                    error=field_error(value, "name")
                />
                <Field
                    label=t.common.col_description
                    name="description"
                    error=field_error(value, "description")
                />
                <FormError value=value />
                <div class="form-actions">
                    <button type="submit" class="primary">
                        {t.directory.add_group}
                    </button>
                </div>
            </ActionForm>
        </section>
        <section class="panel" aria-labelledby="import-groups-title">
            <h2 id="import-groups-title">{t.directory.import_groups_title}</h2>
            <p class="muted">{t.directory.import_groups_help}</p>
            <CsvImport
                kind="groups"
                url="/api/directory/import/groups".to_string()
                on_done=Callback::new(move |_| imported.update(|n| *n += 1))
            />
        </section>
    }
}
