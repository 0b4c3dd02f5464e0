//! Store area (SPEC S-1 … S-7): store connections (link, renew, Sync now with live progress,
//! Configure sync, remove), volume-purchased apps with their counts, the app detail with
//! deployments, license holders and install status, and the sync history.

use crate::api::store::*;
use crate::components::{
    Column, ConfirmDialog, DataTable, DialogActions, ErrorView, Field, FormError, Pager,
    field_error, use_toasts,
};
use crate::domain::store::*;
use crate::domain::{Me, Permission, format_time};
use crate::i18n::{Texts, fill, use_texts};
use crate::pages::{Area, AreaTabs};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};

fn can_manage() -> bool {
    use_context::<Me>().is_some_and(|me| me.role.allows(Permission::ManageStore))
}

fn time_or_never(t: &'static Texts, at: Option<i64>) -> String {
    at.map(format_time)
        .unwrap_or_else(|| t.st_never.to_string())
}

fn status_text(t: &'static Texts, s: ConnectionStatus) -> &'static str {
    match s {
        ConnectionStatus::Valid => t.st_status_valid,
        ConnectionStatus::ExpiringSoon => t.st_status_expiring,
        ConnectionStatus::Expired => t.st_status_expired,
        ConnectionStatus::Revoked => t.st_status_revoked,
        ConnectionStatus::OtherProduct => t.st_status_other,
        ConnectionStatus::Removed => t.st_status_removed,
    }
}

fn status_class(s: ConnectionStatus) -> &'static str {
    match s {
        ConnectionStatus::Valid => "pill ok",
        ConnectionStatus::ExpiringSoon => "pill warn",
        _ => "pill bad",
    }
}

fn store_label(t: &'static Texts, s: Store) -> &'static str {
    match s {
        Store::Apple => t.st_apple,
        Store::Microsoft => t.st_microsoft,
    }
}

/// "Store — connection name", or only the store when the connection is named after it.
fn connection_title(t: &'static Texts, store: Store, name: &str) -> String {
    if name == store_label(t, store) || name == store.label() {
        name.to_string()
    } else {
        format!("{} — {name}", store_label(t, store))
    }
}

fn intent_label(t: &'static Texts, i: Intent) -> &'static str {
    match i {
        Intent::Required => t.st_required,
        Intent::Available => t.st_available_intent,
        Intent::Uninstall => t.st_uninstall,
    }
}

fn kind_label(t: &'static Texts, k: TargetKind) -> &'static str {
    match k {
        TargetKind::User => t.st_kind_user,
        TargetKind::Group => t.st_kind_group,
        TargetKind::Device => t.st_kind_device,
    }
}

fn result_label(t: &'static Texts, r: &str) -> &'static str {
    match r {
        "running" => t.st_running,
        "succeeded" => t.st_succeeded,
        _ => t.st_failed,
    }
}

fn invitation_label(t: &'static Texts, s: &str) -> &'static str {
    match s {
        "associated" => t.st_inv_accepted,
        "retired" => t.st_inv_retired,
        "" => "—",
        _ => t.st_inv_pending,
    }
}

fn install_label(t: &'static Texts, s: &str) -> &'static str {
    match s {
        "installed" => t.st_installed,
        "failed" => t.st_install_failed,
        "uninstalled" => t.st_uninstalled,
        _ => t.st_pending,
    }
}

fn count_text(t: &'static Texts, n: i64) -> String {
    if n >= UNLIMITED {
        t.st_unlimited.to_string()
    } else {
        n.to_string()
    }
}

/// Reads the chosen token file into `into` (browser only).
#[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
fn read_file(input: NodeRef<leptos::html::Input>, into: RwSignal<String>) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;
        if let Some(file) = input.get().and_then(|i| i.files()).and_then(|f| f.get(0)) {
            let blob: &web_sys::Blob = file.unchecked_ref();
            let done = Closure::once(move |v: wasm_bindgen::JsValue| {
                into.set(v.as_string().unwrap_or_default());
            });
            let _ = blob.text().then(&done);
            done.forget();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// /store/connections

#[component]
pub fn ConnectionsPage() -> impl IntoView {
    let t = use_texts();
    let link_apple_action = ServerAction::<LinkApple>::new();
    let link_ms = ServerAction::<LinkMicrosoft>::new();
    let sync = ServerAction::<SyncNow>::new();
    let configure = ServerAction::<ConfigureSync>::new();
    let remove = ServerAction::<RemoveConnection>::new();
    let tick = RwSignal::new(0_u32);
    let connections = Resource::new(
        move || {
            (
                link_apple_action.version().get(),
                link_ms.version().get(),
                sync.version().get(),
                configure.version().get(),
                remove.version().get(),
                tick.get(),
            )
        },
        |_| list_connections(),
    );
    // While a run is going, look again every second (the run records its progress).
    Effect::new(move |_| {
        let running = connections
            .get()
            .and_then(Result::ok)
            .is_some_and(|list| list.iter().any(|c| c.running.is_some()));
        let after_link = matches!(link_apple_action.value().get(), Some(Ok(_)))
            || matches!(link_ms.value().get(), Some(Ok(_)));
        if running || (after_link && tick.get_untracked() < 2) {
            set_timeout(
                move || tick.update(|n| *n += 1),
                std::time::Duration::from_millis(1000),
            );
        }
    });
    let apple_open = RwSignal::new(false);
    let ms_open = RwSignal::new(false);
    let renewing = RwSignal::new(false);
    let configure_open = RwSignal::new(false);
    let remove_open = RwSignal::new(false);
    let target = RwSignal::new((0_i64, String::new(), true));
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(_)) = link_apple_action.value().get() {
            apple_open.set(false);
            toasts.push(t.st_toast_linked.to_string());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = link_ms.value().get() {
            ms_open.set(false);
            toasts.push(t.st_toast_linked.to_string());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = sync.value().get() {
            toasts.push(t.st_toast_sync_started.to_string());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = configure.value().get() {
            configure_open.set(false);
            toasts.push(t.toast_saved.to_string());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = remove.value().get() {
            remove_open.set(false);
            toasts.push(t.st_toast_removed.to_string());
        }
    });
    let manage = can_manage();
    view! {
        <Title text=t.store_connections />
        <AreaTabs area=Area::Store current=0 />
        <h1>{t.store_connections}</h1>
        <p class="lead">{t.st_connections_intro}</p>
        <FormError value=sync.value() />
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match connections.await {
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                    Ok(list) => {
                        let has_apple = list.iter().any(|c| c.store == Store::Apple);
                        let has_ms = list.iter().any(|c| c.store == Store::Microsoft);
                        view! {
                            {list.into_iter().map(|c| view! {
                                <ConnectionPanel c=c manage=manage sync=sync target=target apple_open=apple_open renewing=renewing configure_open=configure_open remove_open=remove_open />
                            }).collect_view()}
                            {(manage && !has_apple).then(|| view! {
                                <section class="panel" aria-labelledby="link-apple-title">
                                    <h2 id="link-apple-title">{t.st_apple}</h2>
                                    <p class="muted">{t.st_apple_help}</p>
                                    <button type="button" class="primary" on:click=move |_| { renewing.set(false); apple_open.set(true); }>{t.st_upload_token}</button>
                                </section>
                            })}
                            {(manage && !has_ms).then(|| view! {
                                <section class="panel" aria-labelledby="link-ms-title">
                                    <h2 id="link-ms-title">{t.st_microsoft}</h2>
                                    <p class="muted">{t.st_ms_help}</p>
                                    <button type="button" class="secondary" on:click=move |_| ms_open.set(true)>{t.st_link_ms}</button>
                                </section>
                            })}
                        }.into_any()
                    }
                }
            })}
        </Transition>
        <AppleDialog open=apple_open renewing=renewing action=link_apple_action />
        <MicrosoftDialog open=ms_open action=link_ms />
        <ConfirmDialog open=configure_open title=Signal::stored(t.st_configure_sync.to_string())>
            <ActionForm action=configure attr:class="stack">
                <input type="hidden" name="connection_id" value=move || target.get().0 />
                <input type="hidden" name="auto_sync" value="false" />
                <label class="check">
                    <input type="checkbox" name="auto_sync" value="true" prop:checked=move || target.get().2 />
                    {t.st_auto_sync}
                </label>
                <p class="muted">{t.st_auto_sync_help}</p>
                <FormError value=configure.value() />
                <DialogActions open=configure_open><button type="submit" class="primary">{t.save}</button></DialogActions>
            </ActionForm>
        </ConfirmDialog>
        <ConfirmDialog open=remove_open title=Signal::stored(t.st_remove_connection.to_string())>
            <ActionForm action=remove attr:class="stack">
                <input type="hidden" name="connection_id" value=move || target.get().0 />
                <p>{move || fill(t.st_remove_body, target.get().1)}</p>
                <Field label=t.st_type_name name="confirmation" required=true error=field_error(remove.value(), "confirmation") />
                <FormError value=remove.value() />
                <DialogActions open=remove_open><button type="submit" class="danger">{t.st_remove}</button></DialogActions>
            </ActionForm>
        </ConfirmDialog>
    }
}

#[component]
#[allow(clippy::too_many_arguments)]
fn ConnectionPanel(
    c: ConnectionView,
    manage: bool,
    sync: ServerAction<SyncNow>,
    target: RwSignal<(i64, String, bool)>,
    apple_open: RwSignal<bool>,
    renewing: RwSignal<bool>,
    configure_open: RwSignal<bool>,
    remove_open: RwSignal<bool>,
) -> impl IntoView {
    let t = use_texts();
    let id = c.id;
    let title_id = format!("connection-{id}");
    let labelled = title_id.clone();
    let apple = c.store == Store::Apple;
    let name = StoredValue::new(c.name.clone());
    let auto = c.auto_sync;
    let can_sync = c.status.can_sync() && c.running.is_none();
    let language = LANGUAGES
        .iter()
        .find(|(code, _)| *code == c.language)
        .map(|(_, n)| n.to_string())
        .unwrap_or_else(|| c.language.clone());
    view! {
        <section class="panel connection" aria-labelledby=labelled>
            <div class="section-head">
                <h2 id=title_id>{connection_title(t, c.store, &c.name)}</h2>
                <span class=status_class(c.status)>{status_text(t, c.status)}</span>
            </div>
            <dl class="facts wrap">
                {apple.then(|| view! {
                    <div><dt>{t.st_organization}</dt><dd>{c.org_name.clone()}</dd></div>
                    <div><dt>{t.st_location}</dt><dd>{format!("{} ({})", c.location_name, c.country)}</dd></div>
                    <div><dt>{t.st_apple_id}</dt><dd>{c.account_login.clone()}</dd></div>
                    <div><dt>{t.st_expires}</dt><dd>{time_or_never(t, c.expires_at)}</dd></div>
                })}
                {(!apple).then(|| view! {
                    <div><dt>{t.st_tenant}</dt><dd><code>{c.account_id.clone()}</code></dd></div>
                    <div><dt>{t.st_language}</dt><dd>{language}</dd></div>
                })}
                <div><dt>{t.st_last_updated}</dt><dd>{format_time(c.last_updated_at)}</dd></div>
                <div><dt>{t.st_last_synced}</dt><dd>{time_or_never(t, c.last_synced_at)}</dd></div>
                <div><dt>{t.st_apps}</dt><dd><a href="/store/apps">{c.apps}</a></dd></div>
                <div><dt>{t.st_automatic}</dt><dd>{if auto { t.st_yes } else { t.st_no }}</dd></div>
            </dl>
            {(!apple).then(|| view! { <p class="muted">{t.st_language_note}</p> })}
            {c.running.clone().map(|r| view! {
                <div class="progress indeterminate" role="status">
                    <div class="bar"></div>
                    <span>{fill(t.st_sync_running, if r.progress.is_empty() { t.st_starting.to_string() } else { r.progress.clone() })}</span>
                </div>
            })}
            {c.last_run.clone().filter(|r| r.result != "running").map(|r| view! {
                <p class=if r.result == "failed" { "form-error" } else { "muted" }>
                    {fill(t.st_last_run, format!("{} · {}.", format_time(r.started_at), result_label(t, &r.result)))}
                    " "
                    {if r.result == "failed" { r.error.clone() } else { fill(t.st_run_counts, format!("{} / {} / {}", r.added, r.updated, r.retired)) }}
                    " " <a href="/store/sync-runs">{t.store_sync_runs}</a>
                </p>
            })}
            {manage.then(|| view! {
                <div class="form-actions">
                    <ActionForm action=sync>
                        <input type="hidden" name="connection_id" value=id />
                        <button type="submit" class="primary" disabled=!can_sync>{t.st_sync_now}</button>
                    </ActionForm>
                    {apple.then(|| view! {
                        <button type="button" class="secondary" on:click=move |_| { renewing.set(true); apple_open.set(true); }>{t.st_upload_token}</button>
                    })}
                    <button type="button" class="secondary" on:click=move |_| { target.set((id, name.get_value(), auto)); configure_open.set(true); }>{t.st_configure_sync}</button>
                    <button type="button" class="link danger small" on:click=move |_| { target.set((id, name.get_value(), auto)); remove_open.set(true); }>{t.st_remove_connection}</button>
                </div>
            })}
        </section>
    }
}

#[component]
fn AppleDialog(
    open: RwSignal<bool>,
    renewing: RwSignal<bool>,
    action: ServerAction<LinkApple>,
) -> impl IntoView {
    let t = use_texts();
    let file = NodeRef::<leptos::html::Input>::new();
    let content = RwSignal::new(String::new());
    let value = action.value();
    view! {
        <ConfirmDialog open=open title=Signal::stored(t.st_upload_token.to_string())>
            <ActionForm action=action attr:class="stack">
                <p class="muted">{t.st_token_help}</p>
                <div class="field">
                    <label for="f-token-file">{t.st_token_file}</label>
                    <input id="f-token-file" type="file" accept=".vpptoken,text/plain" node_ref=file on:change=move |_| read_file(file, content) />
                    {move || field_error(value, "token_file").get().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                </div>
                <input type="hidden" name="form[token_file]" prop:value=move || content.get() />
                <Field label=t.st_token_name name="form[name]" required=true hint=t.st_token_name_hint error=field_error(value, "name") />
                <Field label=t.st_apple_id name="form[apple_id]" kind="email" required=true error=field_error(value, "apple_id") />
                <div class="notice warn" role="note">{t.st_one_product_warning}</div>
                {move || (!renewing.get()).then(|| view! {
                    <label class="check">
                        <input type="checkbox" name="form[confirmed]" value="true" />
                        {t.st_confirm_no_switch}
                    </label>
                })}
                {move || field_error(value, "confirmed").get().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                <FormError value=value />
                <DialogActions open=open><button type="submit" class="primary" disabled=move || content.read().is_empty()>{t.st_upload}</button></DialogActions>
            </ActionForm>
        </ConfirmDialog>
    }
}

#[component]
fn MicrosoftDialog(open: RwSignal<bool>, action: ServerAction<LinkMicrosoft>) -> impl IntoView {
    let t = use_texts();
    let value = action.value();
    view! {
        <ConfirmDialog open=open title=Signal::stored(t.st_link_ms.to_string())>
            <ActionForm action=action attr:class="stack">
                <Field label=t.st_tenant name="form[tenant_id]" required=true error=field_error(value, "tenant_id") />
                <Field label=t.st_client_id name="form[client_id]" required=true error=field_error(value, "client_id") />
                <Field label=t.st_client_secret name="form[client_secret]" kind="password" autocomplete="off" required=true error=field_error(value, "client_secret") />
                <div class="field">
                    <label for="f-language">{t.st_language}</label>
                    <select id="f-language" name="form[language]">
                        {LANGUAGES.iter().map(|(code, name)| view! { <option value=*code>{*name}</option> }).collect_view()}
                    </select>
                    <p class="hint">{t.st_language_note}</p>
                    {move || field_error(value, "language").get().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                </div>
                <label class="check">
                    <input type="checkbox" name="form[confirmed]" value="true" />
                    {t.st_confirm_no_switch}
                </label>
                {move || field_error(value, "confirmed").get().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                <FormError value=value />
                <DialogActions open=open><button type="submit" class="primary">{t.st_link}</button></DialogActions>
            </ActionForm>
        </ConfirmDialog>
    }
}

// ---------------------------------------------------------------------------------------------
// /store/apps

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
    let selected = move |key: &'static str, v: &'static str| {
        move || query.read().get(key).unwrap_or_default() == v
    };
    view! {
        <Title text=t.store_apps />
        <AreaTabs area=Area::Store current=1 />
        <h1>{t.store_apps}</h1>
        <p class="lead">{t.st_apps_intro}</p>
        <Form method="GET" action="" attr:class="filters" attr:role="search">
            <div class="field">
                <label for="apps-q">{t.st_search_apps}</label>
                <input id="apps-q" type="search" name="q" prop:value=move || query.read().get("q").unwrap_or_default() />
            </div>
            <div class="field">
                <label for="apps-store">{t.st_store}</label>
                <select id="apps-store" name="store">
                    <option value="" selected=selected("store", "")>{t.st_all}</option>
                    <option value="apple" selected=selected("store", "apple")>{t.st_apple}</option>
                    <option value="microsoft" selected=selected("store", "microsoft")>{t.st_microsoft}</option>
                </select>
            </div>
            <div class="field">
                <label for="apps-platform">{t.st_platform}</label>
                <select id="apps-platform" name="platform">
                    <option value="" selected=selected("platform", "")>{t.st_all}</option>
                    <option value="ios" selected=selected("platform", "ios")>"iOS"</option>
                    <option value="macos" selected=selected("platform", "macos")>"macOS"</option>
                    <option value="windows" selected=selected("platform", "windows")>"Windows"</option>
                </select>
            </div>
            <div class="field">
                <label for="apps-state">{t.st_state}</label>
                <select id="apps-state" name="state">
                    <option value="active" selected=selected("state", "active")>{t.st_purchased}</option>
                    <option value="retired" selected=selected("state", "retired")>{t.st_retired}</option>
                    <option value="all" selected=selected("state", "all")>{t.st_all}</option>
                </select>
            </div>
            <label class="check">
                <input type="checkbox" name="exhausted" value="true" prop:checked=move || query.read().get("exhausted").is_some() />
                {t.st_none_left}
            </label>
            <button type="submit" class="secondary">{t.st_filter}</button>
        </Form>
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match apps.await {
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                    Ok(page) => {
                        let count = page.items.len();
                        let next = page.next.clone();
                        let total = page.total;
                        let items = StoredValue::new(page.items);
                        view! {
                            <p class="count">{fill(t.st_total_apps, total)}</p>
                            <DataTable caption=t.store_apps columns=vec![
                                Column::new("name", t.col_name), Column::new("publisher", t.st_publisher), Column::new("platform", t.st_platform),
                                Column::new("store", t.st_store), Column::new("total", t.st_total), Column::new("used", t.st_used),
                                Column::new("available", t.st_available), Column::new("synced", t.st_last_synced)]
                                row_count=Signal::stored(count) empty=t.st_no_apps>
                                {move || items.get_value().into_iter().map(|a| {
                                    let over = !a.unlimited() && a.used > a.total;
                                    view! {
                                        <tr class:retired=a.retired>
                                            <td><a href=format!("/store/apps/{}", a.id)>{a.name.clone()}</a>{a.retired.then(|| view! { " " <span class="pill">{t.st_retired}</span> })}</td>
                                            <td>{a.publisher.clone()}</td>
                                            <td>{a.platform.clone()}</td>
                                            <td>{store_label(t, a.store)}</td>
                                            <td class="num">{count_text(t, a.total)}</td>
                                            <td class="num">{a.used}</td>
                                            <td class="num" class:warn=over>{if a.unlimited() { t.st_unlimited.to_string() } else { a.available().to_string() }}</td>
                                            <td>{format_time(a.last_synced_at)}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </DataTable>
                            <Pager param="after" next=Signal::stored(next) first_label=t.page_first next_label=t.page_next />
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

// ---------------------------------------------------------------------------------------------
// /store/apps/{id}

#[component]
pub fn AppPage() -> impl IntoView {
    let t = use_texts();
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let deploy_action = ServerAction::<Deploy>::new();
    let change = ServerAction::<ChangeIntent>::new();
    let remove = ServerAction::<RemoveDeployment>::new();
    // Reload after a change that succeeded only: a refusal must leave the Deploy panel (its
    // picked targets and the message with the ways out) as it is.
    let changed = RwSignal::new(0_u32);
    let versions = move || changed.get();
    let detail = Resource::new(move || (id(), versions()), |(id, _)| get_app(id));
    let install_status = RwSignal::new(String::new());
    let install_q = RwSignal::new(String::new());
    let installs = Resource::new(
        move || (id(), install_status.get(), install_q.get(), versions()),
        |(id, s, q, _)| list_installs(id, Some(s), Some(q)),
    );
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(o)) = deploy_action.value().get() {
            changed.update(|n| *n += 1);
            toasts.push(fill(t.st_toast_deployed, o.granted));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(o)) = change.value().get() {
            changed.update(|n| *n += 1);
            toasts.push(fill(
                t.st_toast_changed,
                format!("{} / {}", o.granted, o.freed),
            ));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(o)) = remove.value().get() {
            changed.update(|n| *n += 1);
            toasts.push(fill(t.st_toast_removed_deployment, o.freed));
        }
    });
    let manage = can_manage();
    view! {
        <AreaTabs area=Area::Store current=1 />
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                    Ok(d) => {
                        let a = d.app.clone();
                        let app_id = a.id;
                        let deployments = StoredValue::new(d.deployments.clone());
                        let holders = StoredValue::new(d.holders.clone());
                        let dcount = d.deployments.len();
                        let hcount = d.holders.len();
                        let apple = a.store == Store::Apple;
                        let mut dcols = vec![Column::new("target", t.st_target), Column::new("kind", t.col_kind), Column::new("intent", t.st_intent), Column::new("users", t.st_users_reached), Column::new("changed", t.st_changed)];
                        if manage {
                            dcols.push(Column::new("actions", t.col_actions));
                        }
                        let mut hcols = vec![Column::new("name", t.col_name), Column::new("sign_in", t.st_sign_in), Column::new("granted", t.st_granted)];
                        if apple {
                            hcols.push(Column::new("invitation", t.st_invitation));
                        }
                        view! {
                            <Title text=a.name.clone() />
                            <p class="crumbs"><a href="/store/apps">{t.store_apps}</a></p>
                            <div class="page-head">
                                <h1>{a.name.clone()}</h1>
                                {a.retired.then(|| view! { <span class="pill bad">{t.st_retired}</span> })}
                            </div>
                            <dl class="facts wrap">
                                <div><dt>{t.st_publisher}</dt><dd>{a.publisher.clone()}</dd></div>
                                <div><dt>{t.st_platform}</dt><dd>{a.platform.clone()}</dd></div>
                                <div><dt>{t.st_store}</dt><dd>{connection_title(t, a.store, &d.connection_name)}</dd></div>
                                <div><dt>{t.st_total}</dt><dd>{count_text(t, a.total)}</dd></div>
                                <div><dt>{t.st_used}</dt><dd>{a.used}</dd></div>
                                <div><dt>{t.st_available}</dt><dd>{if a.unlimited() { t.st_unlimited.to_string() } else { a.available().to_string() }}</dd></div>
                                <div><dt>{t.st_assigned_in_store}</dt><dd>{d.store_assigned}</dd></div>
                                <div><dt>{t.st_last_synced}</dt><dd>{format_time(a.last_synced_at)}</dd></div>
                            </dl>
                            <p class="muted">{t.st_no_manual}</p>
                            {(manage && !a.retired).then(|| view! { <DeployPanel app_id=app_id action=deploy_action /> })}
                            <h2>{t.st_deployments}</h2>
                            <FormError value=change.value() />
                            <FormError value=remove.value() />
                            <DataTable caption=t.st_deployments columns=dcols row_count=Signal::stored(dcount) empty=t.st_no_deployments>
                                {move || deployments.get_value().into_iter().map(|dep| {
                                    let href = match dep.target_kind { TargetKind::User => format!("/users/{}", dep.target_id), TargetKind::Group => format!("/groups/{}", dep.target_id), TargetKind::Device => format!("/devices/{}", dep.target_id) };
                                    let did = dep.id;
                                    let current = dep.intent;
                                    let label = fill(t.st_change_intent_for, &dep.target_name);
                                    view! {
                                        <tr>
                                            <td><a href=href>{dep.target_name.clone()}</a></td>
                                            <td>{kind_label(t, dep.target_kind)}</td>
                                            <td>{intent_label(t, dep.intent)}</td>
                                            <td class="num">{dep.users}</td>
                                            <td>{format_time(dep.updated_at)}</td>
                                            {manage.then(|| view! {
                                                <td class="row-actions">
                                                    <ActionForm action=change attr:class="inline">
                                                        <input type="hidden" name="deployment_id" value=did />
                                                        <select name="intent" aria-label=label>
                                                            {[Intent::Required, Intent::Available, Intent::Uninstall].into_iter().map(|i| view! { <option value=i.code() selected=i == current>{intent_label(t, i)}</option> }).collect_view()}
                                                        </select>
                                                        <button type="submit" class="secondary small">{t.st_change_intent}</button>
                                                    </ActionForm>
                                                    <ActionForm action=remove attr:class="inline">
                                                        <input type="hidden" name="deployment_id" value=did />
                                                        <button type="submit" class="link danger small">{t.st_remove_deployment}</button>
                                                    </ActionForm>
                                                </td>
                                            })}
                                        </tr>
                                    }
                                }).collect_view()}
                            </DataTable>
                            <h2>{t.st_holders}</h2>
                            {apple.then(|| view! { <p class="muted">{t.st_invitation_help}</p> })}
                            <DataTable caption=t.st_holders columns=hcols row_count=Signal::stored(hcount) empty=t.st_no_holders>
                                {move || holders.get_value().into_iter().map(|h| view! {
                                    <tr>
                                        <td><a href=format!("/users/{}", h.user_id)>{h.display_name.clone()}</a></td>
                                        <td>{h.sign_in_name.clone()}</td>
                                        <td>{format_time(h.granted_at)}</td>
                                        {apple.then(|| view! { <td>{invitation_label(t, &h.invitation)}</td> })}
                                    </tr>
                                }).collect_view()}
                            </DataTable>
                        }.into_any()
                    }
                }
            })}
        </Transition>
        <h2>{t.st_install_status}</h2>
        <div class="filters">
            <div class="field">
                <label for="install-status">{t.st_status}</label>
                <select id="install-status" on:change=move |ev| install_status.set(event_target_value(&ev))>
                    <option value="">{t.st_all}</option>
                    {INSTALL_STATUSES.iter().map(|s| view! { <option value=*s>{install_label(t, s)}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="install-q">{t.st_search_user_device}</label>
                <input id="install-q" type="search" on:change=move |ev| install_q.set(event_target_value(&ev)) />
            </div>
        </div>
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match installs.await {
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                    Ok(list) => {
                        let count = list.len();
                        let rows = StoredValue::new(list);
                        view! {
                            <DataTable caption=t.st_install_status columns=vec![Column::new("user", t.st_kind_user), Column::new("device", t.st_kind_device), Column::new("status", t.st_status), Column::new("detail", t.st_detail), Column::new("changed", t.st_changed)] row_count=Signal::stored(count) empty=t.st_no_installs>
                                {move || rows.get_value().into_iter().map(|i| view! {
                                    <tr>
                                        <td>{i.user_name.clone()}</td>
                                        <td>{if i.device_name.is_empty() { t.st_no_device.to_string() } else { i.device_name.clone() }}</td>
                                        <td><span class=format!("pill install-{}", i.status)>{install_label(t, &i.status)}</span></td>
                                        <td class="muted">{i.detail.clone()}</td>
                                        <td>{format_time(i.updated_at)}</td>
                                    </tr>
                                }).collect_view()}
                            </DataTable>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// Deploy: find users, groups or devices, pick several, choose the intent, Deploy.
#[component]
fn DeployPanel(app_id: i64, action: ServerAction<Deploy>) -> impl IntoView {
    let t = use_texts();
    let text = RwSignal::new(String::new());
    let picked = RwSignal::new(Vec::<Target>::new());
    let results = Resource::new(
        move || text.get(),
        |q| async move {
            if q.trim().len() < 2 {
                Ok(vec![])
            } else {
                search_targets(q).await
            }
        },
    );
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            picked.set(vec![]);
            text.set(String::new());
        }
    });
    let value = action.value();
    let targets = move || {
        format_targets(
            &picked
                .read()
                .iter()
                .map(|p| (p.kind, p.id))
                .collect::<Vec<_>>(),
        )
    };
    view! {
        <section class="panel picker" aria-labelledby="deploy-title">
            <h2 id="deploy-title">{t.st_deploy}</h2>
            <div class="field">
                <label for="target-search">{t.st_find_targets}</label>
                <input id="target-search" type="search" autocomplete="off" role="combobox" aria-controls="target-results" aria-expanded=move || (!text.read().is_empty()).to_string()
                    prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev)) />
            </div>
            <ul id="target-results" class="results" role="listbox" aria-label=t.search_results>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let list = results.await.unwrap_or_default();
                        list.into_iter().map(|p| {
                            let label = format!("{} — {} · {}", p.name, kind_label(t, p.kind), p.detail);
                            let pick = p.clone();
                            view! {
                                <li role="option" aria-selected="false">
                                    <button type="button" class="result" on:click=move |_| {
                                        let pick = pick.clone();
                                        picked.update(|list| if !list.iter().any(|x| x.kind == pick.kind && x.id == pick.id) { list.push(pick) });
                                    }>{label}</button>
                                </li>
                            }
                        }).collect_view()
                    })}
                </Transition>
            </ul>
            <ActionForm action=action attr:class="stack">
                <input type="hidden" name="app_id" value=app_id />
                <input type="hidden" name="targets" prop:value=targets />
                <div class="chips" aria-live="polite">
                    <For each=move || picked.get() key=|p| (p.kind, p.id) let:p>
                        <span class="chip">
                            {format!("{} ({})", p.name, kind_label(t, p.kind))}
                            <button type="button" class="link" aria-label=fill(t.remove_from_selection, &p.name) on:click={
                                let (kind, id) = (p.kind, p.id);
                                move |_| picked.update(|list| list.retain(|x| !(x.kind == kind && x.id == id)))
                            }>"×"</button>
                        </span>
                    </For>
                </div>
                <div class="field">
                    <label for="deploy-intent">{t.st_intent}</label>
                    <select id="deploy-intent" name="intent">
                        <option value="required">{t.st_required}</option>
                        <option value="available">{t.st_available_intent}</option>
                        <option value="uninstall">{t.st_uninstall}</option>
                    </select>
                </div>
                {move || field_error(value, "targets").get().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                <FormError value=value />
                <div class="form-actions">
                    <button type="submit" class="primary" disabled=move || picked.read().is_empty()>{t.st_deploy}</button>
                </div>
            </ActionForm>
        </section>
    }
}

// ---------------------------------------------------------------------------------------------
// /store/sync-runs

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
        <Title text=t.store_sync_runs />
        <AreaTabs area=Area::Store current=2 />
        <h1>{t.store_sync_runs}</h1>
        <p class="lead">{t.st_runs_intro}</p>
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match runs.await {
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                    Ok(page) => {
                        let count = page.items.len();
                        let next = page.next.clone();
                        let items = StoredValue::new(page.items);
                        view! {
                            <p class="count">{fill(t.st_total_runs, page.total)}</p>
                            <DataTable caption=t.store_sync_runs columns=vec![
                                Column::new("connection", t.st_connection), Column::new("started", t.st_started), Column::new("finished", t.st_finished),
                                Column::new("trigger", t.st_trigger), Column::new("result", t.st_result), Column::new("added", t.st_added),
                                Column::new("updated", t.st_updated), Column::new("retired", t.st_retired_count), Column::new("error", t.st_error)]
                                row_count=Signal::stored(count) empty=t.st_no_runs>
                                {move || items.get_value().into_iter().map(|r| view! {
                                    <tr>
                                        <td>{connection_title(t, r.store, &r.connection_name)}</td>
                                        <td>{format_time(r.started_at)}</td>
                                        <td>{r.finished_at.map(format_time).unwrap_or_else(|| "—".into())}</td>
                                        <td>{format!("{} ({})", match r.trigger.as_str() { "schedule" => t.st_trigger_schedule, "link" => t.st_trigger_link, _ => t.st_trigger_manual }, r.started_by)}</td>
                                        <td><span class=format!("pill run-{}", r.result)>{result_label(t, &r.result)}</span></td>
                                        <td class="num">{r.added}</td>
                                        <td class="num">{r.updated}</td>
                                        <td class="num">{r.retired}</td>
                                        <td class="muted">{if r.result == "running" { r.progress.clone() } else { r.error.clone() }}</td>
                                    </tr>
                                }).collect_view()}
                            </DataTable>
                            <Pager param="before" next=Signal::stored(next) first_label=t.page_first next_label=t.page_next />
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
