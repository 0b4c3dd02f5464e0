//! `/devices` (SPEC D-3): the device list, exports, and the device and software imports.

use crate::api::directory::list_devices;
use crate::components::{Column, CsvImport, DataTable, Loaded, Pager, SearchBox, can};
use crate::domain::directory::{DeviceView, ListPage, Platform};
use crate::domain::{Permission, format_time};
use crate::i18n::{fill, use_texts};
use crate::pages::{Area, AreaTabs};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn DevicesPage() -> impl IntoView {
    let t = use_texts();
    let query = use_query_map();
    let imported = RwSignal::new(0);
    let devices = Resource::new(
        move || {
            let q = query.read();
            (
                q.get("q"),
                q.get("platform"),
                q.get("after"),
                imported.get(),
            )
        },
        |(q, platform, after, _)| list_devices(q, platform, after),
    );
    let platform_now = move || query.read().get("platform").unwrap_or_default();
    view! {
        <Title text=t.directory.devices />
        <AreaTabs area=Area::Directory current=2 />
        <div class="page-head">
            <h1>{t.directory.devices}</h1>
            <div class="page-actions">
                <a
                    class="button secondary"
                    href="/api/directory/export/devices.csv"
                    download="devices.csv"
                    rel="external"
                >
                    {t.common.export_csv}
                </a>
                <a
                    class="button secondary"
                    href="/api/directory/export/software.csv"
                    download="software.csv"
                    rel="external"
                >
                    {t.directory.export_software_csv}
                </a>
            </div>
        </div>
        <SearchBox label=t.directory.search_devices>
            <div class="field">
                <label for="f-platform">{t.directory.col_platform}</label>
                <select id="f-platform" name="platform">
                    <option value="" selected=move || platform_now().is_empty()>
                        {t.directory.all_platforms}
                    </option>
                    {Platform::ALL
                        .into_iter()
                        .map(|p| {
                            view! {
                                <option
                                    value=p.as_str()
                                    selected=move || platform_now() == p.as_str()
                                >
                                    {p.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
        </SearchBox>
        <Loaded resource=devices let:page>
            <DeviceList page=page />
        </Loaded>
        {can(Permission::ManageDirectory)
            .then(|| view! { <ImportDevicesPanel imported=imported /> })}
    }
}

#[component]
fn DeviceList(page: ListPage<DeviceView>) -> impl IntoView {
    let t = use_texts();
    let columns = vec![
        Column::new("name", t.common.col_name),
        Column::new("platform", t.directory.col_platform),
        Column::new("os", t.directory.col_os_version),
        Column::new("user", t.directory.col_primary_user),
        Column::new("join", t.directory.col_join_type),
        Column::new("check_in", t.directory.col_last_check_in),
    ];
    let count = page.items.len();
    let items = StoredValue::new(page.items);
    view! {
        <p class="count">{fill(t.directory.total_devices, page.total)}</p>
        <DataTable
            caption=t.directory.devices
            columns=columns
            row_count=Signal::stored(count)
            empty=t.directory.no_devices
        >
            {move || {
                items
                    .get_value()
                    .into_iter()
                    .map(|d| view! { <DeviceRow device=d /> })
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

#[component]
fn DeviceRow(device: DeviceView) -> impl IntoView {
    let t = use_texts();
    view! {
        <tr>
            <td>
                <a href=format!("/devices/{}", device.id)>{device.name.clone()}</a>
            </td>
            <td>{device.platform.label()}</td>
            <td>{device.os_version.clone()}</td>
            <td>
                {device
                    .primary_user
                    .clone()
                    .map(|(id, name)| view! { <a href=format!("/users/{id}")>{name}</a> })}
            </td>
            <td>{device.join_type.map(|j| j.label()).unwrap_or("—")}</td>
            <td class="time">
                {device
                    .last_check_in
                    .map(format_time)
                    .unwrap_or_else(|| t.common.never.to_string())}
            </td>
        </tr>
    }
}

#[component]
fn ImportDevicesPanel(imported: RwSignal<i32>) -> impl IntoView {
    let t = use_texts();
    view! {
        <section class="panel" aria-labelledby="import-devices-title">
            <h2 id="import-devices-title">{t.directory.import_devices_title}</h2>
            <p class="muted">{t.directory.import_devices_help}</p>
            <CsvImport
                kind="devices"
                url="/api/directory/import/devices".to_string()
                on_done=Callback::new(move |_| imported.update(|n| *n += 1))
            />
            <h3 class="spaced">{t.directory.import_software_title}</h3>
            <p class="muted">{t.directory.import_software_help}</p>
            <CsvImport
                kind="software"
                url="/api/directory/import/software".to_string()
                on_done=Callback::new(move |_| imported.update(|n| *n += 1))
            />
        </section>
    }
}
