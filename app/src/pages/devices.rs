//! `/devices` and `/devices/{id}` (SPEC D-3): devices and their detected software.

use crate::api::directory::{get_device, list_devices};
use crate::components::{Column, CsvImport, DataTable, ErrorView, Pager};
use crate::domain::directory::{DeviceView, Platform};
use crate::domain::format_time;
use crate::i18n::{fill, use_texts};
use crate::pages::users::{SearchBox, can_manage_directory};
use crate::pages::{Area, AreaTabs};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

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
    let columns = StoredValue::new(vec![
        Column::new("name", t.col_name),
        Column::new("platform", t.col_platform),
        Column::new("os", t.col_os_version),
        Column::new("user", t.col_primary_user),
        Column::new("join", t.col_join_type),
        Column::new("check_in", t.col_last_check_in),
    ]);
    let platform_now = move || query.read().get("platform").unwrap_or_default();
    let manage = can_manage_directory();
    view! {
        <Title text=t.dir_devices />
        <AreaTabs area=Area::Directory current=2 />
        <div class="page-head">
            <h1>{t.dir_devices}</h1>
            <div class="page-actions">
                <a class="button secondary" href="/api/directory/export/devices.csv" download="devices.csv" rel="external">{t.export_csv}</a>
                <a class="button secondary" href="/api/directory/export/software.csv" download="software.csv" rel="external">{t.export_software_csv}</a>
            </div>
        </div>
        <SearchBox label=t.search_devices>
            <div class="field">
                <label for="f-platform">{t.col_platform}</label>
                <select id="f-platform" name="platform">
                    <option value="" selected=move || platform_now().is_empty()>{t.all_platforms}</option>
                    {Platform::ALL.into_iter().map(|p| view! {
                        <option value=p.as_str() selected=move || platform_now() == p.as_str()>{p.label()}</option>
                    }).collect_view()}
                </select>
            </div>
        </SearchBox>
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match devices.await {
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                    Ok(page) => {
                        let count = page.items.len();
                        let total = page.total;
                        let next = page.next.clone();
                        let items = StoredValue::new(page.items);
                        view! {
                            <p class="count">{fill(t.total_devices, total)}</p>
                            <DataTable caption=t.dir_devices columns=columns.get_value() row_count=Signal::stored(count) empty=t.no_devices>
                                {move || items.get_value().into_iter().map(|d| view! { <DeviceRow device=d /> }).collect_view()}
                            </DataTable>
                            <Pager param="after" next=Signal::stored(next) first_label=t.page_first next_label=t.page_next />
                        }.into_any()
                    }
                }
            })}
        </Transition>
        {manage.then(|| view! {
            <section class="panel" aria-labelledby="import-devices-title">
                <h2 id="import-devices-title">{t.import_devices_title}</h2>
                <p class="muted">{t.import_devices_help}</p>
                <CsvImport kind="devices" url="/api/directory/import/devices".to_string() on_done=Callback::new(move |_| imported.update(|n| *n += 1)) />
                <h3 class="spaced">{t.import_software_title}</h3>
                <p class="muted">{t.import_software_help}</p>
                <CsvImport kind="software" url="/api/directory/import/software".to_string() on_done=Callback::new(move |_| imported.update(|n| *n += 1)) />
            </section>
        })}
    }
}

#[component]
fn DeviceRow(device: DeviceView) -> impl IntoView {
    let t = use_texts();
    view! {
        <tr>
            <td><a href=format!("/devices/{}", device.id)>{device.name.clone()}</a></td>
            <td>{device.platform.label()}</td>
            <td>{device.os_version.clone()}</td>
            <td>{device.primary_user.clone().map(|(id, name)| view! { <a href=format!("/users/{id}")>{name}</a> })}</td>
            <td>{device.join_type.map(|j| j.label()).unwrap_or("—")}</td>
            <td class="time">{device.last_check_in.map(format_time).unwrap_or_else(|| t.never.to_string())}</td>
        </tr>
    }
}

#[component]
pub fn DevicePage() -> impl IntoView {
    let t = use_texts();
    let params = use_params_map();
    let device = Resource::new(
        move || {
            params
                .read()
                .get("id")
                .and_then(|v| v.parse::<i64>().ok())
                .unwrap_or(0)
        },
        get_device,
    );
    view! {
        <AreaTabs area=Area::Directory current=2 />
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match device.await {
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                    Ok(detail) => {
                        let d = detail.device.clone();
                        let is_windows = d.platform == Platform::Windows;
                        let count = detail.software.len();
                        let rows = detail.software.iter().map(|s| view! {
                            <tr><td>{s.publisher.clone()}</td><td>{s.product.clone()}</td><td>{s.version.clone()}</td></tr>
                        }).collect_view();
                        view! {
                            <Title text=d.name.clone() />
                            <p class="crumbs"><a href="/devices">{t.dir_devices}</a></p>
                            <h1>{d.name.clone()}</h1>
                            <dl class="facts">
                                <div><dt>{t.col_platform}</dt><dd>{d.platform.label()}</dd></div>
                                <div><dt>{t.col_os_version}</dt><dd>{d.os_version.clone()}</dd></div>
                                <div><dt>{t.col_primary_user}</dt><dd>{d.primary_user.clone().map(|(id, name)| view! { <a href=format!("/users/{id}")>{name}</a> }.into_any()).unwrap_or_else(|| "—".into_any())}</dd></div>
                                <div><dt>{t.col_join_type}</dt><dd>{d.join_type.map(|j| j.label()).unwrap_or("—")}</dd></div>
                                <div><dt>{t.col_last_check_in}</dt><dd>{d.last_check_in.map(format_time).unwrap_or_else(|| t.never.to_string())}</dd></div>
                            </dl>
                            {if is_windows {
                                view! {
                                    <h2>{fill(t.detected_software, count)}</h2>
                                    <DataTable caption=t.detected_software_caption
                                        columns=vec![Column::new("publisher", t.col_publisher), Column::new("product", t.col_product), Column::new("version", t.col_version)]
                                        row_count=Signal::stored(count) empty=t.no_software>
                                        {rows.clone()}
                                    </DataTable>
                                }.into_any()
                            } else {
                                view! {
                                    <h2>{t.detected_software_caption}</h2>
                                    <p class="muted">{t.software_windows_only}</p>
                                }.into_any()
                            }}
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
