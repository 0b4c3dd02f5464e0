//! An app's install status per user and device, filtered by status and by a user or
//! device name.

use super::install_label;
use crate::components::{Column, DataTable, Loaded};
use crate::domain::store::{InstallStatus, InstallView};
use crate::domain::{ApiError, format_time};
use crate::i18n::use_texts;
use leptos::prelude::*;

#[component]
pub(super) fn InstallStatusSection(
    installs: Resource<Result<Vec<InstallView>, ApiError>>,
    /// The chosen status ("" = all).
    status: RwSignal<String>,
    /// The user or device name searched for.
    q: RwSignal<String>,
) -> impl IntoView {
    let t = use_texts();
    view! {
        <h2>{t.store.install_status}</h2>
        <div class="filters">
            <div class="field">
                <label for="install-status">{t.store.status}</label>
                <select id="install-status" on:change=move |ev| status.set(event_target_value(&ev))>
                    <option value="">{t.store.all}</option>
                    {InstallStatus::ALL
                        .iter()
                        .map(|s| {
                            view! { <option value=s.as_str()>{install_label(t, *s)}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="install-q">{t.store.search_user_device}</label>
                <input
                    id="install-q"
                    type="search"
                    on:change=move |ev| q.set(event_target_value(&ev))
                />
            </div>
        </div>
        <Loaded resource=installs let:list>
            <InstallTable rows=list />
        </Loaded>
    }
}

#[component]
fn InstallTable(rows: Vec<InstallView>) -> impl IntoView {
    let t = use_texts();
    let count = rows.len();
    let rows = StoredValue::new(rows);
    view! {
        <DataTable
            caption=t.store.install_status
            columns=vec![
                Column::new("user", t.store.kind_user),
                Column::new("device", t.store.kind_device),
                Column::new("status", t.store.status),
                Column::new("detail", t.store.detail),
                Column::new("changed", t.store.changed),
            ]
            row_count=Signal::stored(count)
            empty=t.store.no_installs
        >
            {move || {
                rows.get_value()
                    .into_iter()
                    .map(|i| {
                        view! {
                            <tr>
                                <td>{i.user_name.clone()}</td>
                                <td>
                                    {if i.device_name.is_empty() {
                                        t.store.no_device.to_string()
                                    } else {
                                        i.device_name.clone()
                                    }}
                                </td>
                                <td>
                                    <span class=format!(
                                        "pill install-{}",
                                        i.status,
                                    )>{install_label(t, i.status)}</span>
                                </td>
                                <td class="muted">{i.detail.clone()}</td>
                                <td>{format_time(i.updated_at)}</td>
                            </tr>
                        }
                    })
                    .collect_view()
            }}
        </DataTable>
    }
}
