//! `/devices/{id}` (SPEC D-3): one device and, for Windows, its detected software.

use crate::api::directory::get_device;
use crate::components::{Column, DataTable, Loaded, param_id};
use crate::domain::directory::{DeviceDetail, Platform};
use crate::domain::format_time;
use crate::i18n::{fill, use_texts};
use crate::pages::{Area, AreaTabs};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn DevicePage() -> impl IntoView {
    let id = param_id();
    let device = Resource::new(id, get_device);
    view! {
        <AreaTabs area=Area::Directory current=2 />
        <Loaded resource=device let:detail>
            <DeviceDetailView detail=detail />
        </Loaded>
    }
}

#[component]
fn DeviceDetailView(detail: DeviceDetail) -> impl IntoView {
    let t = use_texts();
    let d = detail.device.clone();
    let is_windows = d.platform == Platform::Windows;
    let count = detail.software.len();
    let rows = detail
        .software
        .iter()
        .map(|s| {
            view! {
                <tr>
                    <td>{s.publisher.clone()}</td>
                    <td>{s.product.clone()}</td>
                    <td>{s.version.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <Title text=d.name.clone() />
        <p class="crumbs">
            <a href="/devices">{t.directory.devices}</a>
        </p>
        <h1>{d.name.clone()}</h1>
        <dl class="facts">
            <div>
                <dt>{t.directory.col_platform}</dt>
                <dd>{d.platform.label()}</dd>
            </div>
            <div>
                <dt>{t.directory.col_os_version}</dt>
                <dd>{d.os_version.clone()}</dd>
            </div>
            <div>
                <dt>{t.directory.col_primary_user}</dt>
                <dd>
                    {d
                        .primary_user
                        .clone()
                        .map(|(id, name)| {
                            view! { <a href=format!("/users/{id}")>{name}</a> }.into_any()
                        })
                        .unwrap_or_else(|| "—".into_any())}
                </dd>
            </div>
            <div>
                <dt>{t.directory.col_join_type}</dt>
                <dd>{d.join_type.map(|j| j.label()).unwrap_or("—")}</dd>
            </div>
            <div>
                <dt>{t.directory.col_last_check_in}</dt>
                <dd>
                    {d.last_check_in.map(format_time).unwrap_or_else(|| t.common.never.to_string())}
                </dd>
            </div>
        </dl>
        {if is_windows {
            view! {
                <h2>{fill(t.directory.detected_software, count)}</h2>
                <DataTable
                    caption=t.directory.detected_software_caption
                    columns=vec![
                        Column::new("publisher", t.common.col_publisher),
                        Column::new("product", t.common.col_product),
                        Column::new("version", t.directory.col_version),
                    ]
                    row_count=Signal::stored(count)
                    empty=t.directory.no_software
                >
                    {rows.clone()}
                </DataTable>
            }
                .into_any()
        } else {
            view! {
                <h2>{t.directory.detected_software_caption}</h2>
                <p class="muted">{t.directory.software_windows_only}</p>
            }
                .into_any()
        }}
    }
}
