//! `/audit` — the append-only audit log with filters and keyset paging.

use crate::api::list_audit;
use crate::components::{Column, DataTable, Loaded, Pager};
use crate::domain::{AuditEntry, AuditFilter, Page, describe_change, format_time};
use crate::i18n::use_texts;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let t = use_texts();
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        let q = query.read();
        AuditFilter {
            actor: non_empty(q.get("actor")),
            action: non_empty(q.get("action")),
            text: non_empty(q.get("text")),
            before_id: q.get("before").and_then(|v| v.parse().ok()),
        }
    });
    let entries = Resource::new(
        move || filter.get(),
        |f| list_audit(f.actor, f.action, f.text, f.before_id),
    );
    let value_of = move |key: &'static str| move || query.read().get(key).unwrap_or_default();
    view! {
        <Title text=t.settings.audit_title />
        <h1>{t.settings.audit_title}</h1>
        <p class="lead">{t.settings.audit_intro}</p>
        <Form method="GET" action="" attr:class="filters" attr:role="search">
            <div class="field">
                <label for="f-actor">{t.settings.filter_actor}</label>
                <input id="f-actor" name="actor" prop:value=value_of("actor") />
            </div>
            <div class="field">
                <label for="f-action">{t.settings.filter_action}</label>
                <input
                    id="f-action"
                    name="action"
                    placeholder="admin."
                    prop:value=value_of("action")
                />
            </div>
            <div class="field">
                <label for="f-text">{t.settings.filter_text}</label>
                <input id="f-text" name="text" type="search" prop:value=value_of("text") />
            </div>
            <div class="form-actions">
                <button type="submit" class="primary">
                    {t.common.filter_apply}
                </button>
                <a class="button secondary" href="/audit">
                    {t.settings.filter_clear}
                </a>
            </div>
        </Form>
        <Loaded resource=entries let:page>
            <AuditList page=page />
        </Loaded>
    }
}

#[component]
fn AuditList(page: Page<AuditEntry>) -> impl IntoView {
    let t = use_texts();
    let columns = vec![
        Column::new("at", t.settings.col_when),
        Column::new("actor", t.settings.col_actor),
        Column::new("action", t.settings.col_action),
        Column::new("target", t.settings.col_target),
        Column::new("change", t.settings.col_change),
        Column::new("client", t.settings.col_client),
    ];
    let count = page.items.len();
    let next = page.next.map(|n| n.to_string());
    let rows = page
        .items
        .into_iter()
        .map(|e| {
            let change = describe_change(e.before.as_deref(), e.after.as_deref());
            view! {
                <tr>
                    <td class="time">{format_time(e.at)}</td>
                    <td>{e.actor.unwrap_or_else(|| t.settings.system_actor.to_string())}</td>
                    <td>
                        <code>{e.action}</code>
                    </td>
                    <td>{e.target.unwrap_or_default()}</td>
                    <td class="change">{change}</td>
                    <td class="nowrap">{e.client_ip.unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable
            caption=t.settings.audit_title
            columns=columns
            row_count=Signal::stored(count)
            empty=t.settings.audit_empty
        >
            {rows.clone()}
        </DataTable>
        <Pager
            param="before"
            next=Signal::stored(next)
            first_label=t.settings.page_newer
            next_label=t.settings.page_older
        />
    }
}
