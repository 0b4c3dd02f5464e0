//! `/audit` — the append-only audit log with filters and keyset paging.

use crate::api::list_audit;
use crate::components::{Column, DataTable, ErrorView, Pager};
use crate::domain::{AuditFilter, describe_change, format_time};
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
    let columns = StoredValue::new(vec![
        Column::new("at", t.col_when),
        Column::new("actor", t.col_actor),
        Column::new("action", t.col_action),
        Column::new("target", t.col_target),
        Column::new("change", t.col_change),
        Column::new("client", t.col_client),
    ]);
    let value_of = move |key: &'static str| move || query.read().get(key).unwrap_or_default();
    view! {
        <Title text=t.audit_title />
        <h1>{t.audit_title}</h1>
        <p class="lead">{t.audit_intro}</p>
        <Form method="GET" action="" attr:class="filters" attr:role="search">
            <div class="field">
                <label for="f-actor">{t.filter_actor}</label>
                <input id="f-actor" name="actor" prop:value=value_of("actor") />
            </div>
            <div class="field">
                <label for="f-action">{t.filter_action}</label>
                <input id="f-action" name="action" placeholder="admin." prop:value=value_of("action") />
            </div>
            <div class="field">
                <label for="f-text">{t.filter_text}</label>
                <input id="f-text" name="text" type="search" prop:value=value_of("text") />
            </div>
            <div class="form-actions">
                <button type="submit" class="primary">{t.filter_apply}</button>
                <a class="button secondary" href="/audit">{t.filter_clear}</a>
            </div>
        </Form>
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match entries.await {
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                    Ok(page) => {
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
                                        <td>{e.actor.unwrap_or_else(|| t.system_actor.to_string())}</td>
                                        <td><code>{e.action}</code></td>
                                        <td>{e.target.unwrap_or_default()}</td>
                                        <td class="change">{change}</td>
                                        <td class="nowrap">{e.client_ip.unwrap_or_default()}</td>
                                    </tr>
                                }
                            })
                            .collect_view();
                        view! {
                            <DataTable
                                caption=t.audit_title
                                columns=columns.get_value()
                                row_count=Signal::stored(count)
                                empty=t.audit_empty
                            >
                                {rows.clone()}
                            </DataTable>
                            <Pager param="before" next=Signal::stored(next) first_label=t.page_newer next_label=t.page_older />
                        }
                        .into_any()
                    }
                }
            })}
        </Transition>
    }
}
