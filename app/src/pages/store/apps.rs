//! `/store/apps`: volume-purchased apps with total, used and available licenses,
//! filtered by store, platform, state and "none left".

use super::{count_text, store_label};
use crate::api::store::list_apps;
use crate::components::{Column, DataTable, Loaded, Pager};
use crate::domain::directory::ListPage;
use crate::domain::format_time;
use crate::domain::store::{StoreAppFilter, StoreAppView};
use crate::i18n::{fill, use_texts};
use crate::pages::{Area, AreaTabs};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AppsPage() -> impl IntoView {
    let t = use_texts();
    let query = use_query_map();
    let apps = Resource::new(
        move || {
            let q = query.read();
            (
                StoreAppFilter {
                    q: q.get("q").unwrap_or_default(),
                    store: q.get("store").unwrap_or_default(),
                    platform: q.get("platform").unwrap_or_default(),
                    state: q.get("state").unwrap_or_default(),
                    exhausted: q.get("exhausted").is_some_and(|v| v == "true"),
                },
                q.get("after"),
            )
        },
        |(f, after)| list_apps(f, after),
    );
    view! {
        <Title text=t.store.purchased_apps />
        <AreaTabs area=Area::Store current=1 />
        <h1>{t.store.purchased_apps}</h1>
        <p class="lead">{t.store.apps_intro}</p>
        <AppFilters />
        <Loaded resource=apps let:page>
            <AppList page=page />
        </Loaded>
    }
}

/// The filters, as a GET form (works before hydration).
#[component]
fn AppFilters() -> impl IntoView {
    let t = use_texts();
    let query = use_query_map();
    let selected = move |key: &'static str, v: &'static str| {
        move || query.read().get(key).unwrap_or_default() == v
    };
    view! {
        <Form method="GET" action="" attr:class="filters" attr:role="search">
            <div class="field">
                <label for="apps-q">{t.store.search_apps}</label>
                <input
                    id="apps-q"
                    type="search"
                    name="q"
                    prop:value=move || query.read().get("q").unwrap_or_default()
                />
            </div>
            <div class="field">
                <label for="apps-store">{t.store.store}</label>
                <select id="apps-store" name="store">
                    <option value="" selected=selected("store", "")>
                        {t.store.all}
                    </option>
                    <option value="apple" selected=selected("store", "apple")>
                        {t.store.apple}
                    </option>
                    <option value="microsoft" selected=selected("store", "microsoft")>
                        {t.store.microsoft}
                    </option>
                </select>
            </div>
            <div class="field">
                <label for="apps-platform">{t.store.platform}</label>
                <select id="apps-platform" name="platform">
                    <option value="" selected=selected("platform", "")>
                        {t.store.all}
                    </option>
                    <option value="ios" selected=selected("platform", "ios")>
                        "iOS"
                    </option>
                    <option value="macos" selected=selected("platform", "macos")>
                        "macOS"
                    </option>
                    <option value="windows" selected=selected("platform", "windows")>
                        "Windows"
                    </option>
                </select>
            </div>
            <div class="field">
                <label for="apps-state">{t.store.state}</label>
                <select id="apps-state" name="state">
                    <option value="active" selected=selected("state", "active")>
                        {t.store.purchased}
                    </option>
                    <option value="retired" selected=selected("state", "retired")>
                        {t.store.retired}
                    </option>
                    <option value="all" selected=selected("state", "all")>
                        {t.store.all}
                    </option>
                </select>
            </div>
            <label class="check">
                <input
                    type="checkbox"
                    name="exhausted"
                    value="true"
                    prop:checked=move || query.read().get("exhausted").is_some()
                />
                {t.store.none_left}
            </label>
            <button type="submit" class="secondary">
                {t.store.filter}
            </button>
        </Form>
    }
}

#[component]
fn AppList(page: ListPage<StoreAppView>) -> impl IntoView {
    let t = use_texts();
    let count = page.items.len();
    let items = StoredValue::new(page.items);
    view! {
        <p class="count">{fill(t.store.total_apps, page.total)}</p>
        <DataTable
            caption=t.store.purchased_apps
            columns=vec![
                Column::new("name", t.common.col_name),
                Column::new("publisher", t.store.publisher),
                Column::new("platform", t.store.platform),
                Column::new("store", t.store.store),
                Column::new("total", t.store.total),
                Column::new("used", t.store.used),
                Column::new("available", t.store.available),
                Column::new("synced", t.store.last_synced),
            ]
            row_count=Signal::stored(count)
            empty=t.store.no_apps
        >
            {move || {
                items
                    .get_value()
                    .into_iter()
                    .map(|a| {
                        let over = !a.unlimited() && a.used > a.total;
                        view! {
                            <tr class:retired=a.retired>
                                <td>
                                    <a href=format!("/store/apps/{}", a.id)>{a.name.clone()}</a>
                                    {a
                                        .retired
                                        .then(|| {
                                            view! {
                                                " "
                                                <span class="pill">{t.store.retired}</span>
                                            }
                                        })}
                                </td>
                                <td>{a.publisher.clone()}</td>
                                <td>{a.platform.clone()}</td>
                                <td>{store_label(t, a.store)}</td>
                                <td class="num">{count_text(t, a.total)}</td>
                                <td class="num">{a.used}</td>
                                <td class="num" class:warn=over>
                                    {if a.unlimited() {
                                        t.store.unlimited.to_string()
                                    } else {
                                        a.available().to_string()
                                    }}
                                </td>
                                <td>{format_time(a.last_synced_at)}</td>
                            </tr>
                        }
                    })
                    .collect_view()
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
