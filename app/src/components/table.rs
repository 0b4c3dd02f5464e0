//! Data table: column headers with sort links (`?sort=<key>&dir=asc|desc`, so sorting works
//! before hydration), an empty state, and a keyset pager.

use crate::i18n::use_texts;
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_query_map};

#[derive(Clone, Copy)]
pub struct Column {
    pub key: &'static str,
    pub label: &'static str,
    pub sortable: bool,
}

impl Column {
    pub const fn new(key: &'static str, label: &'static str) -> Self {
        Column {
            key,
            label,
            sortable: false,
        }
    }

    pub const fn sortable(key: &'static str, label: &'static str) -> Self {
        Column {
            key,
            label,
            sortable: true,
        }
    }
}

/// The current sort from the query string: (column key, descending).
pub fn use_sort(default_key: &'static str) -> Memo<(String, bool)> {
    let query = use_query_map();
    Memo::new(move |_| {
        let q = query.read();
        let key = q.get("sort").unwrap_or_else(|| default_key.to_string());
        let desc = q.get("dir").as_deref() == Some("desc");
        (key, desc)
    })
}

/// The current path with some query parameters replaced (None removes one).
pub fn href_with(changes: &[(&str, Option<String>)]) -> String {
    let location = use_location();
    let query = use_query_map().get_untracked();
    let mut pairs: Vec<(String, String)> = query
        .into_iter()
        .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    for (k, v) in changes {
        if let Some(v) = v {
            pairs.push((k.to_string(), v.clone()));
        }
    }
    let qs: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect();
    let path = location.pathname.get_untracked();
    if qs.is_empty() {
        path
    } else {
        format!("{path}?{}", qs.join("&"))
    }
}

/// Percent-encodes a query value (everything but the unreserved characters).
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[component]
pub fn DataTable(
    /// Accessible caption (visually hidden).
    #[prop(into)]
    caption: String,
    columns: Vec<Column>,
    /// Current sort (key, descending); used for `aria-sort` and the header links.
    #[prop(into, optional)]
    sort: Option<Signal<(String, bool)>>,
    /// Number of rows, to show the empty state instead of an empty table.
    #[prop(into)]
    row_count: Signal<usize>,
    #[prop(into, optional)] empty: Option<String>,
    children: ChildrenFn,
) -> impl IntoView {
    let t = use_texts();
    let empty = empty.unwrap_or_else(|| t.common.table_empty.to_string());
    let headers = move || {
        columns
            .iter()
            .copied()
            .map(|col| {
                if !col.sortable {
                    return view! { <th scope="col">{col.label}</th> }.into_any();
                }
                let state = move || sort.map(|s| s.get()).filter(|(k, _)| k == col.key);
                let aria = move || match state() {
                    Some((_, true)) => "descending",
                    Some((_, false)) => "ascending",
                    None => "none",
                };
                let href = move || {
                    let next_desc = matches!(state(), Some((_, false)));
                    href_with(&[
                        ("sort", Some(col.key.to_string())),
                        (
                            "dir",
                            Some(if next_desc { "desc" } else { "asc" }.to_string()),
                        ),
                        ("before", None),
                        ("after", None),
                    ])
                };
                let arrow = move || match state() {
                    Some((_, true)) => " ↓",
                    Some((_, false)) => " ↑",
                    None => "",
                };
                view! {
                    <th scope="col" aria-sort=aria>
                        <a
                            class="sort"
                            href=href
                            title=format!("{} {}", t.common.sort_by, col.label)
                        >
                            {col.label}
                            {arrow}
                        </a>
                    </th>
                }
                .into_any()
            })
            .collect_view()
    };
    view! {
        <Show
            when=move || { row_count.get() > 0 }
            fallback=move || view! { <p class="empty-state">{empty.clone()}</p> }
        >
            <div class="table-wrap">
                <table class="data">
                    <caption class="visually-hidden">{caption.clone()}</caption>
                    <thead>
                        <tr>{headers()}</tr>
                    </thead>
                    <tbody>{children()}</tbody>
                </table>
            </div>
        </Show>
    }
}

/// Keyset pager: "first page" and "next page" links driven by a cursor query parameter.
#[component]
pub fn Pager(
    /// The cursor parameter name (e.g. `before`).
    param: &'static str,
    /// Cursor of the next page, if any.
    #[prop(into)]
    next: Signal<Option<String>>,
    #[prop(into)] first_label: String,
    #[prop(into)] next_label: String,
) -> impl IntoView {
    let query = use_query_map();
    let on_first = move || query.read().get(param).is_none();
    view! {
        <nav class="pager" aria-label="Pagination">
            <Show when=move || !on_first()>
                <a class="button secondary" href=move || href_with(&[(param, None)])>
                    {first_label.clone()}
                </a>
            </Show>
            {move || {
                next.get()
                    .map(|cursor| {
                        view! {
                            <a
                                class="button secondary"
                                rel="next"
                                href=href_with(&[(param, Some(cursor))])
                            >
                                {next_label.clone()}
                            </a>
                        }
                    })
            }}
        </nav>
    }
}
