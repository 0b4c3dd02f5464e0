//! `/store/sync-runs`: every sync run, newest first, with what it changed.

use super::{connection_title, result_label};
use crate::api::store::list_sync_runs;
use crate::components::{Column, DataTable, Loaded, Pager};
use crate::domain::directory::ListPage;
use crate::domain::format_time;
use crate::domain::store::{SyncResult, SyncRunView};
use crate::i18n::{fill, use_texts};
use crate::pages::{Area, AreaTabs};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SyncRunsPage() -> impl IntoView {
    let t = use_texts();
    let query = use_query_map();
    let runs = Resource::new(
        move || {
            query
                .read()
                .get("before")
                .and_then(|b| b.parse::<i64>().ok())
        },
        |before| list_sync_runs(None, before),
    );
    view! {
        <Title text=t.store.sync_runs />
        <AreaTabs area=Area::Store current=2 />
        <h1>{t.store.sync_runs}</h1>
        <p class="lead">{t.store.runs_intro}</p>
        <Loaded resource=runs let:page>
            <RunList page=page />
        </Loaded>
    }
}

#[component]
fn RunList(page: ListPage<SyncRunView>) -> impl IntoView {
    let t = use_texts();
    let count = page.items.len();
    let items = StoredValue::new(page.items);
    view! {
        <p class="count">{fill(t.store.total_runs, page.total)}</p>
        <DataTable
            caption=t.store.sync_runs
            columns=vec![
                Column::new("connection", t.store.connection),
                Column::new("started", t.store.started),
                Column::new("finished", t.store.finished),
                Column::new("trigger", t.store.trigger),
                Column::new("result", t.store.result),
                Column::new("added", t.store.added),
                Column::new("updated", t.store.updated),
                Column::new("retired", t.store.retired_count),
                Column::new("error", t.store.error),
            ]
            row_count=Signal::stored(count)
            empty=t.store.no_runs
        >
            {move || {
                items
                    .get_value()
                    .into_iter()
                    .map(|r| {
                        view! {
                            <tr>
                                <td>{connection_title(t, r.store, &r.connection_name)}</td>
                                <td>{format_time(r.started_at)}</td>
                                <td>
                                    {r.finished_at.map(format_time).unwrap_or_else(|| "—".into())}
                                </td>
                                <td>
                                    {format!(
                                        "{} ({})",
                                        match r.trigger.as_str() {
                                            "schedule" => t.store.trigger_schedule,
                                            "link" => t.store.trigger_link,
                                            _ => t.store.trigger_manual,
                                        },
                                        r.started_by,
                                    )}
                                </td>
                                <td>
                                    <span class=format!(
                                        "pill run-{}",
                                        r.result,
                                    )>{result_label(t, r.result)}</span>
                                </td>
                                <td class="num">{r.added}</td>
                                <td class="num">{r.updated}</td>
                                <td class="num">{r.retired}</td>
                                <td class="muted">
                                    {if r.result == SyncResult::Running {
                                        r.progress.clone()
                                    } else {
                                        r.error.clone()
                                    }}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()
            }}
        </DataTable>
        <Pager
            param="before"
            next=Signal::stored(page.next)
            first_label=t.common.page_first
            next_label=t.common.page_next
        />
    }
}
