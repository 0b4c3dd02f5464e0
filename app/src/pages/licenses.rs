//! Licenses area (SPEC L-1, L-2, L-4, L-5): agreements, adding them by hand or by CSV, license
//! groups. The overview says plainly what is not available yet (refresh, reports).

use crate::api::licenses::{
    AddOtherAgreement, AddVolumeAgreement, CreateLicenseGroup, DeleteAgreement, DeleteLicenseGroup,
    RenameLicenseGroup, catalog_products, catalog_publishers, list_agreements, list_license_groups,
};
use crate::components::{
    Column, ConfirmDialog, CsvImport, DataTable, DialogActions, ErrorView, Field, FormError, Pager,
    field_error, use_toasts,
};
use crate::domain::licenses::{AgreementKind, AgreementView, LicenseGroupView, SetStatus};
use crate::domain::{Me, Permission, format_time};
use crate::i18n::{fill, use_texts};
use crate::pages::users::SearchBox;
use crate::pages::{Area, AreaTabs};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

fn can_manage() -> bool {
    use_context::<Me>().is_some_and(|me| me.role.allows(Permission::ManageAgreements))
}

#[component]
pub fn LicensesOverview() -> impl IntoView {
    use crate::api::licenses::{RefreshLicenses, refresh_status};
    let t = use_texts();
    let refresh = ServerAction::<RefreshLicenses>::new();
    let groups = Resource::new(move || refresh.version().get(), |_| list_license_groups());
    let status = Resource::new(move || refresh.version().get(), |_| refresh_status());
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(r)) = refresh.value().get() {
            let text = [r.sets, r.valid, r.invalid, r.products]
                .into_iter()
                .fold(t.toast_refreshed.to_string(), |acc, n| fill(&acc, n));
            toasts.push(text);
        }
    });
    let manage = can_manage();
    view! {
        <Title text=t.licenses_overview />
        <AreaTabs area=Area::Licenses current=0 />
        <div class="page-head">
            <h1>{t.licenses_overview}</h1>
            {manage.then(|| view! {
                <ActionForm action=refresh attr:class="inline">
                    <button type="submit" class="primary" disabled=move || refresh.pending().get()>
                        {move || if refresh.pending().get() { t.refreshing } else { t.refresh_now }}
                    </button>
                </ActionForm>
            })}
        </div>
        <FormError value=refresh.value() />
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match status.await {
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                    Ok(s) => view! {
                        {(!s.configured).then(|| view! { <div class="notice" role="note">{t.licensing_not_configured}</div> })}
                        {s.stale.then(|| view! { <div class="notice" role="note">{t.licenses_may_differ}</div> })}
                        <p class="muted">{match s.refreshed_at {
                            Some(at) => fill(t.last_refreshed, format_time(at)),
                            None => t.never_refreshed.to_string(),
                        }}</p>
                    }.into_any(),
                }
            })}
        </Transition>
        <h2>{t.licenses_groups}</h2>
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match groups.await {
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                    Ok(list) => view! {
                        <ul class="cards">
                            {list.into_iter().map(|g| view! {
                                <li class="card">
                                    <h3><a href=format!("/licenses/agreements?group_id={}", g.id)>{g.name.clone()}</a></h3>
                                    <p class="muted">{fill(t.agreement_count, g.agreement_count)}</p>
                                </li>
                            }).collect_view()}
                        </ul>
                        <p><a class="button primary" href="/licenses/agreements/new">{t.add_agreements}</a></p>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
pub fn AgreementsPage() -> impl IntoView {
    let t = use_texts();
    let query = use_query_map();
    let delete = ServerAction::<DeleteAgreement>::new();
    let agreements = Resource::new(
        move || {
            let q = query.read();
            (
                q.get("q"),
                q.get("group_id").and_then(|g| g.parse::<i64>().ok()),
                q.get("after"),
                delete.version().get(),
            )
        },
        |(q, group, after, _)| list_agreements(q, group, after),
    );
    let target = RwSignal::new((0_i64, String::new()));
    let delete_open = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            delete_open.set(false);
        }
    });
    let manage = can_manage();
    let columns = StoredValue::new({
        let mut c = vec![
            Column::new("name", t.col_name),
            Column::new("kind", t.col_kind),
            Column::new("group", t.col_license_group),
            Column::new("what", t.col_covers),
            Column::new("created", t.col_created),
        ];
        if manage {
            c.push(Column::new("actions", t.col_actions));
        }
        c
    });
    view! {
        <Title text=t.licenses_agreements />
        <AreaTabs area=Area::Licenses current=1 />
        <div class="page-head">
            <h1>{t.licenses_agreements}</h1>
            {manage.then(|| view! { <div class="page-actions"><a class="button primary" href="/licenses/agreements/new">{t.add_agreements}</a></div> })}
        </div>
        <SearchBox label=t.search_agreements />
        <FormError value=delete.value() />
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match agreements.await {
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                    Ok(page) => {
                        let count = page.items.len();
                        let next = page.next.clone();
                        let total = page.total;
                        let items = StoredValue::new(page.items);
                        view! {
                            <p class="count">{fill(t.total_agreements, total)}</p>
                            <DataTable caption=t.licenses_agreements columns=columns.get_value() row_count=Signal::stored(count) empty=t.no_agreements>
                                {move || items.get_value().into_iter().map(|a| view! { <AgreementRow agreement=a manage=manage target=target open=delete_open /> }).collect_view()}
                            </DataTable>
                            <Pager param="after" next=Signal::stored(next) first_label=t.page_first next_label=t.page_next />
                        }.into_any()
                    }
                }
            })}
        </Transition>
        <ConfirmDialog open=delete_open title=Signal::stored(t.delete_agreement.to_string())>
            <ActionForm action=delete attr:class="stack">
                <input type="hidden" name="id" value=move || target.get().0 />
                <p>{move || fill(t.confirm_delete_agreement, target.get().1)}</p>
                <DialogActions open=delete_open>
                    <button type="submit" class="danger">{t.delete}</button>
                </DialogActions>
            </ActionForm>
        </ConfirmDialog>
    }
}

#[component]
fn AgreementRow(
    agreement: AgreementView,
    manage: bool,
    target: RwSignal<(i64, String)>,
    open: RwSignal<bool>,
) -> impl IntoView {
    let t = use_texts();
    let a = agreement;
    let covers = match a.kind {
        AgreementKind::Volume => {
            let sets = a.sets.iter().map(|s| {
                let (class, label) = match s.status {
                    SetStatus::Pending => ("pill", t.set_pending),
                    SetStatus::Valid => ("pill ok", t.set_valid),
                    SetStatus::Invalid => ("pill bad", t.set_invalid),
                };
                view! { <li><code>{s.first_number.clone()}</code>" · "<code>{s.second_number.clone()}</code>" "<span class=class>{label}</span></li> }
            }).collect_view();
            view! { <span class="muted">{t.product_not_available}</span><ul class="sets">{sets}</ul> }.into_any()
        }
        AgreementKind::Other => view! {
            <span>{format!("{} — {}", a.publisher.clone().unwrap_or_default(), a.product.clone().unwrap_or_default())}</span>
            <br />
            <span class="muted">{fill(t.n_licenses, a.license_count.unwrap_or(0))}
                {match (a.starts_on.clone(), a.ends_on.clone()) {
                    (None, None) => String::new(),
                    (s, e) => format!(" · {} – {}", s.unwrap_or_default(), e.unwrap_or_default()),
                }}
            </span>
        }.into_any(),
    };
    let id = a.id;
    let name = a.name.clone();
    view! {
        <tr>
            <td class="primary-text">{a.name.clone()}</td>
            <td>{match a.kind { AgreementKind::Volume => t.kind_volume, AgreementKind::Other => t.kind_other }}</td>
            <td><a href=format!("/licenses/agreements?group_id={}", a.group_id)>{a.group_name.clone()}</a></td>
            <td>{covers}</td>
            <td class="time">{format_time(a.created_at)}</td>
            {manage.then(|| view! {
                <td><button type="button" class="secondary small" on:click=move |_| { target.set((id, name.clone())); open.set(true); }>{t.delete}</button></td>
            })}
        </tr>
    }
}

/// Unassigned, a new group named on the spot, or an existing group (SPEC L-5).
#[component]
fn GroupChoiceFields(
    choice: RwSignal<String>,
    new_group: RwSignal<String>,
    group_id: RwSignal<Option<i64>>,
    groups: Vec<LicenseGroupView>,
    prefix: &'static str,
) -> impl IntoView {
    let t = use_texts();
    let name_of = move |n: &str| {
        if prefix.is_empty() {
            n.to_string()
        } else {
            format!("{prefix}[{n}]")
        }
    };
    let existing: Vec<LicenseGroupView> = groups.into_iter().filter(|g| !g.builtin).collect();
    if group_id.get_untracked().is_none() {
        group_id.set(existing.first().map(|g| g.id));
    }
    let has_existing = !existing.is_empty();
    let radio = move |value: &'static str, label: &'static str| {
        let id = format!("{prefix}-group-{value}");
        let for_id = id.clone();
        view! {
            <label class="radio" for=for_id>
                <input type="radio" id=id name=name_of("group") value=value prop:checked=move || choice.get() == value on:change=move |_| choice.set(value.to_string()) />
                {label}
            </label>
        }
    };
    view! {
        <fieldset class="group-choice">
            <legend>{t.put_agreements_in}</legend>
            {radio("unassigned", t.group_unassigned)}
            {radio("new", t.group_new)}
            <Show when=move || choice.get() == "new">
                <div class="field indent">
                    <label for=format!("{prefix}-new-group")>{t.new_group_name}</label>
                    <input id=format!("{prefix}-new-group") name=name_of("new_group") prop:value=move || new_group.get() on:input=move |ev| new_group.set(event_target_value(&ev)) />
                </div>
            </Show>
            {has_existing.then(|| radio("existing", t.group_existing))}
            <Show when=move || choice.get() == "existing">
                <div class="field indent">
                    <label for=format!("{prefix}-group-id")>{t.col_license_group}</label>
                    <select id=format!("{prefix}-group-id") name=name_of("group_id") on:change=move |ev| group_id.set(event_target_value(&ev).parse().ok())>
                        {existing.iter().map(|g| { let id = g.id; view! { <option value=id selected=move || group_id.get() == Some(id)>{g.name.clone()}</option> } }).collect_view()}
                    </select>
                </div>
            </Show>
        </fieldset>
    }
}

#[component]
pub fn NewAgreementPage() -> impl IntoView {
    let t = use_texts();
    let groups = Resource::new(|| (), |_| list_license_groups());
    let kind = RwSignal::new("volume");
    view! {
        <Title text=t.add_agreements />
        <AreaTabs area=Area::Licenses current=1 />
        <p class="crumbs"><a href="/licenses/agreements">{t.licenses_agreements}</a></p>
        <h1>{t.add_agreements}</h1>
        <div class="segmented" role="tablist">
            <button type="button" role="tab" aria-selected=move || (kind.get() == "volume").to_string() on:click=move |_| kind.set("volume")>{t.kind_volume_long}</button>
            <button type="button" role="tab" aria-selected=move || (kind.get() == "other").to_string() on:click=move |_| kind.set("other")>{t.kind_other_long}</button>
        </div>
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match groups.await {
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                    Ok(list) => {
                        let list2 = list.clone();
                        view! {
                            <Show when=move || kind.get() == "volume">
                                <VolumeForm groups=list.clone() />
                            </Show>
                            <Show when=move || kind.get() == "other">
                                <OtherForm groups=list2.clone() />
                            </Show>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn VolumeForm(groups: Vec<LicenseGroupView>) -> impl IntoView {
    let t = use_texts();
    let action = ServerAction::<AddVolumeAgreement>::new();
    let rows = RwSignal::new(vec![0_u32]);
    let next_row = StoredValue::new(1_u32);
    let choice = RwSignal::new("unassigned".to_string());
    let new_group = RwSignal::new(String::new());
    let group_id = RwSignal::new(None::<i64>);
    let name = RwSignal::new(String::new());
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            toasts.push(t.toast_agreement_added);
            rows.set(vec![0]);
            name.set(String::new());
        }
    });
    let value = action.value();
    let upload_url = Signal::derive(move || {
        let mut url = format!("/api/licenses/upload?group={}", choice.get());
        if !name.get().trim().is_empty() {
            url.push_str(&format!("&name={}", encode(&name.get())));
        }
        match choice.get().as_str() {
            "new" => url.push_str(&format!("&new_group={}", encode(&new_group.get()))),
            "existing" => url.push_str(&format!("&group_id={}", group_id.get().unwrap_or(0))),
            _ => {}
        }
        url
    });
    view! {
        <section class="panel" aria-labelledby="volume-title">
            <h2 id="volume-title">{t.kind_volume_long}</h2>
            <p class="muted">{t.number_set_help}</p>
            <ul class="muted pairing">
                <li>{t.pairing_open_value}</li>
                <li>{t.pairing_open}</li>
                <li>{t.pairing_select}</li>
            </ul>
            <ActionForm action=action attr:class="stack">
                <div class="field">
                    <label for="f-name">{t.agreement_name}</label>
                    <input id="f-name" name="name" required prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) aria-describedby="f-name-hint" />
                    <p class="hint" id="f-name-hint">{t.agreement_name_hint}</p>
                    {move || field_error(value, "name").get().map(|m| view! { <p class="field-error">{m}</p> })}
                </div>
                <fieldset class="sets-fieldset">
                    <legend>{t.number_sets}</legend>
                    <For each=move || rows.get().into_iter().enumerate() key=|(_, r)| *r let:item>
                        {
                            let (i, row) = item;
                            view! {
                                <div class="set-row">
                                    <div class="field">
                                        <label for=format!("first-{row}")>{fill(t.first_number, i + 1)}</label>
                                        <input id=format!("first-{row}") name=format!("firsts[{i}]") required maxlength="16" />
                                    </div>
                                    <div class="field">
                                        <label for=format!("second-{row}")>{fill(t.second_number, i + 1)}</label>
                                        <input id=format!("second-{row}") name=format!("seconds[{i}]") required maxlength="16" />
                                    </div>
                                    <button type="button" class="secondary" aria-label=fill(t.remove_set_n, i + 1) disabled=move || rows.read().len() == 1
                                        on:click=move |_| rows.update(|r| r.retain(|x| *x != row))>{t.remove_set}</button>
                                </div>
                            }
                        }
                    </For>
                    {move || {
                        let v = value.get();
                        v.and_then(|r| r.err()).and_then(|e| match e {
                            crate::domain::ApiError::Invalid { field, message } if field.starts_with("sets") => Some(view! { <p class="field-error">{message}</p> }),
                            _ => None,
                        })
                    }}
                    <button type="button" class="secondary" on:click=move |_| {
                        let n = next_row.get_value();
                        next_row.set_value(n + 1);
                        rows.update(|r| r.push(n));
                    }>{t.add_set}</button>
                </fieldset>
                <GroupChoiceFields choice=choice new_group=new_group group_id=group_id groups=groups.clone() prefix="" />
                {move || field_error(value, "group_name").get().map(|m| view! { <p class="field-error">{m}</p> })}
                <FormError value=value />
                <div class="form-actions"><button type="submit" class="primary">{t.ok}</button></div>
            </ActionForm>
        </section>
        <section class="panel" aria-labelledby="upload-title">
            <h2 id="upload-title">{t.upload_csv}</h2>
            <p class="muted">{t.upload_csv_help}</p>
            <CsvImport kind="number-sets" url=upload_url label=t.number_set_file on_done=Callback::new(|_| ()) />
            <p class="hint">{t.upload_uses_form}</p>
        </section>
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A text field with suggestions from the server shown as buttons (keyboard reachable).
#[component]
fn TypeAhead(
    id: &'static str,
    #[prop(into)] label: String,
    value: RwSignal<String>,
    suggestions: Resource<Vec<String>>,
    #[prop(optional, into)] disabled: Option<Signal<bool>>,
) -> impl IntoView {
    let t = use_texts();
    let open = RwSignal::new(false);
    let disabled = disabled.unwrap_or_else(|| Signal::stored(false));
    view! {
        <div class="field typeahead">
            <label for=id>{label}</label>
            <input id=id type="search" autocomplete="off" role="combobox" aria-controls=format!("{id}-list") aria-expanded=move || open.get().to_string()
                disabled=move || disabled.get() prop:value=move || value.get()
                on:input=move |ev| { value.set(event_target_value(&ev)); open.set(true); } />
            <Show when=move || open.get()>
                <ul class="results" id=format!("{id}-list") role="listbox" aria-label=t.search_results>
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            suggestions.await.into_iter().map(|s| {
                                let pick = s.clone();
                                view! { <li role="option"><button type="button" class="result" on:click=move |_| { value.set(pick.clone()); open.set(false); }>{s}</button></li> }
                            }).collect_view()
                        })}
                    </Transition>
                </ul>
            </Show>
        </div>
    }
}

#[component]
fn OtherForm(groups: Vec<LicenseGroupView>) -> impl IntoView {
    let t = use_texts();
    let action = ServerAction::<AddOtherAgreement>::new();
    let publisher = RwSignal::new(String::new());
    let product = RwSignal::new(String::new());
    let choice = RwSignal::new("unassigned".to_string());
    let new_group = RwSignal::new(String::new());
    let group_id = RwSignal::new(None::<i64>);
    let publishers = Resource::new(
        move || publisher.get(),
        |q| async move {
            if q.trim().len() < 2 {
                vec![]
            } else {
                catalog_publishers(q).await.unwrap_or_default()
            }
        },
    );
    let products = Resource::new(
        move || (publisher.get(), product.get()),
        |(p, q)| async move {
            if p.trim().is_empty() {
                vec![]
            } else {
                catalog_products(p, q).await.unwrap_or_default()
            }
        },
    );
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            toasts.push(t.toast_agreement_added);
        }
    });
    let value = action.value();
    let err = move |f: &'static str| field_error(value, f);
    view! {
        <section class="panel" aria-labelledby="other-title">
            <h2 id="other-title">{t.kind_other_long}</h2>
            <p class="muted">{t.other_help}</p>
            <ActionForm action=action attr:class="grid-form">
                <Field label=t.agreement_name name="form[name]" required=true error=err("name") />
                <TypeAhead id="publisher" label=t.col_publisher value=publisher suggestions=publishers />
                <TypeAhead id="product" label=t.col_product value=product suggestions=products disabled=Signal::derive(move || publisher.read().trim().is_empty()) />
                <input type="hidden" name="form[publisher]" prop:value=move || publisher.get() />
                <input type="hidden" name="form[product]" prop:value=move || product.get() />
                {move || err("publisher").get().or_else(|| err("product").get()).map(|m| view! { <p class="field-error wide">{m}</p> })}
                <Field label=t.number_of_licenses name="form[license_count]" kind="number" required=true error=err("license_count") />
                <Field label=t.starts_on name="form[starts_on]" kind="date" error=err("starts_on") />
                <Field label=t.ends_on name="form[ends_on]" kind="date" error=err("ends_on") />
                <div class="field wide">
                    <label for="f-details">{t.details}</label>
                    <textarea id="f-details" name="form[details]" rows="3"></textarea>
                </div>
                <div class="wide">
                    <GroupChoiceFields choice=choice new_group=new_group group_id=group_id groups=groups prefix="form" />
                </div>
                <FormError value=value />
                <div class="form-actions"><button type="submit" class="primary">{t.ok}</button></div>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn LicenseGroupsPage() -> impl IntoView {
    let t = use_texts();
    let create = ServerAction::<CreateLicenseGroup>::new();
    let rename = ServerAction::<RenameLicenseGroup>::new();
    let delete = ServerAction::<DeleteLicenseGroup>::new();
    let groups = Resource::new(
        move || {
            (
                create.version().get(),
                rename.version().get(),
                delete.version().get(),
            )
        },
        |_| list_license_groups(),
    );
    let target = RwSignal::new((0_i64, String::new()));
    let delete_open = RwSignal::new(false);
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(moved)) = delete.value().get() {
            delete_open.set(false);
            toasts.push(fill(t.toast_group_deleted, moved));
        }
    });
    let manage = can_manage();
    let value = create.value();
    view! {
        <Title text=t.licenses_groups />
        <AreaTabs area=Area::Licenses current=2 />
        <h1>{t.licenses_groups}</h1>
        <p class="lead">{t.license_groups_intro}</p>
        <FormError value=rename.value() />
        <FormError value=delete.value() />
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match groups.await {
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                    Ok(list) => {
                        let count = list.len();
                        let items = StoredValue::new(list);
                        view! {
                            <DataTable caption=t.licenses_groups columns=vec![Column::new("name", t.col_name), Column::new("count", t.col_agreements), Column::new("actions", t.col_actions)] row_count=Signal::stored(count)>
                                {move || items.get_value().into_iter().map(|g| {
                                    let id = g.id;
                                    let name = g.name.clone();
                                    view! {
                                        <tr>
                                            <td><a href=format!("/licenses/agreements?group_id={id}")>{g.name.clone()}</a>{g.builtin.then(|| view! { " " <span class="pill">{t.builtin}</span> })}</td>
                                            <td class="num">{g.agreement_count}</td>
                                            <td class="actions">
                                                {(manage && !g.builtin).then(|| view! {
                                                    <ActionForm action=rename attr:class="inline">
                                                        <input type="hidden" name="id" value=id />
                                                        <label class="visually-hidden" for=format!("rename-{id}")>{t.edit_license_group}</label>
                                                        <input id=format!("rename-{id}") name="group_name" value=g.name.clone() required />
                                                        <button type="submit" class="secondary small">{t.edit_license_group}</button>
                                                    </ActionForm>
                                                    <button type="button" class="secondary small" on:click=move |_| { target.set((id, name.clone())); delete_open.set(true); }>{t.delete_license_group}</button>
                                                })}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </DataTable>
                        }.into_any()
                    }
                }
            })}
        </Transition>
        {manage.then(|| view! {
            <section class="panel" aria-labelledby="create-group-title">
                <h2 id="create-group-title">{t.create_license_group}</h2>
                <ActionForm action=create attr:class="grid-form">
                    <Field label=t.col_name name="group_name" required=true error=field_error(value, "group_name") />
                    <FormError value=value />
                    <div class="form-actions"><button type="submit" class="primary">{t.create_license_group}</button></div>
                </ActionForm>
            </section>
        })}
        <ConfirmDialog open=delete_open title=Signal::stored(t.delete_license_group.to_string())>
            <ActionForm action=delete attr:class="stack">
                <input type="hidden" name="id" value=move || target.get().0 />
                <p>{move || fill(t.confirm_delete_license_group, target.get().1)}</p>
                <DialogActions open=delete_open>
                    <button type="submit" class="danger">{t.delete}</button>
                </DialogActions>
            </ActionForm>
        </ConfirmDialog>
    }
}

/// `/licenses/reports`: the license purchase report and the license installation report.
#[component]
pub fn ReportsPage() -> impl IntoView {
    use crate::api::licenses::{installation_report, purchase_report};
    use crate::domain::licenses::Compliance;
    let t = use_texts();
    let query = use_query_map();
    let which = Memo::new(move |_| {
        query
            .read()
            .get("report")
            .unwrap_or_else(|| "installation".into())
    });
    let scope = Memo::new(move |_| query.read().get("scope").unwrap_or_else(|| "all".into()));
    let chosen = Memo::new(move |_| {
        query
            .read()
            .get_all("group")
            .unwrap_or_default()
            .into_iter()
            .filter_map(|g| g.parse::<i64>().ok())
            .collect::<Vec<_>>()
    });
    let groups = Resource::new(|| (), |_| list_license_groups());
    let installation = Resource::new(move || scope.get(), |s| installation_report(Some(s)));
    let purchase = Resource::new(
        move || (chosen.get(), scope.get()),
        |(g, s)| {
            purchase_report(
                Some(
                    g.iter()
                        .map(|i| i.to_string())
                        .collect::<Vec<_>>()
                        .join(","),
                ),
                Some(s),
            )
        },
    );
    let csv_href = move || {
        let groups = chosen
            .get()
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        format!(
            "/api/licenses/reports/{}.csv?scope={}&groups={groups}",
            which.get(),
            scope.get()
        )
    };
    let tab = move |id: &'static str, label: &'static str| {
        view! {
            <a class="button" class:secondary=move || which.get() != id role="tab" aria-selected=move || (which.get() == id).to_string()
               href=move || format!("/licenses/reports?report={id}&scope={}", scope.get())>{label}</a>
        }
    };
    view! {
        <Title text=t.licenses_reports />
        <AreaTabs area=Area::Licenses current=3 />
        <div class="page-head">
            <h1>{t.licenses_reports}</h1>
            <div class="page-actions">
                <a class="button secondary" href=csv_href download rel="external">{t.export_csv}</a>
                <button type="button" class="secondary" on:click=move |_| {
                    #[cfg(feature = "hydrate")]
                    if let Some(w) = web_sys::window() { let _ = w.print(); }
                }>{t.print}</button>
            </div>
        </div>
        <div class="report-tabs" role="tablist">
            {tab("purchase", t.purchase_report)}
            {tab("installation", t.installation_report)}
        </div>
        <leptos_router::components::Form method="GET" action="" attr:class="filters">
            <input type="hidden" name="report" prop:value=move || which.get() />
            <div class="field">
                <label for="f-scope">{t.software_scope}</label>
                <select id="f-scope" name="scope">
                    <option value="all" selected=move || scope.get() == "all">{t.scope_all}</option>
                    <option value="microsoft" selected=move || scope.get() == "microsoft">{t.scope_microsoft}</option>
                    <option value="other" selected=move || scope.get() == "other">{t.scope_other}</option>
                </select>
            </div>
            <Show when=move || which.get() == "purchase">
                <fieldset class="group-filter">
                    <legend>{t.licenses_groups}</legend>
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            groups.await.unwrap_or_default().into_iter().map(|g| {
                                let id = g.id;
                                view! {
                                    <label class="check"><input type="checkbox" name="group" value=id prop:checked=move || chosen.get().contains(&id) />{g.name.clone()}</label>
                                }
                            }).collect_view()
                        })}
                    </Transition>
                    <p class="hint">{t.groups_none_means_all}</p>
                </fieldset>
            </Show>
            <div class="form-actions"><button type="submit" class="primary">{t.run_report}</button></div>
        </leptos_router::components::Form>
        <Show when=move || which.get() == "installation" fallback=move || view! {
            <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
                {move || Suspend::new(async move {
                    match purchase.await {
                        Err(e) => view! { <ErrorView error=e /> }.into_any(),
                        Ok(r) => {
                            let count = r.lines.len();
                            let gaps = r.gaps.len();
                            view! {
                                <h2>{t.purchase_report}</h2>
                                <DataTable caption=t.purchase_report columns=vec![Column::new("group", t.col_license_group), Column::new("agreement", t.agreement_name), Column::new("kind", t.col_kind), Column::new("product", t.col_product), Column::new("licenses", t.number_of_licenses)] row_count=Signal::stored(count) empty=t.no_agreements>
                                    {r.lines.iter().map(|l| view! {
                                        <tr>
                                            <td>{l.group_name.clone()}</td>
                                            <td>{l.agreement.clone()}</td>
                                            <td>{match l.kind { AgreementKind::Volume => t.kind_volume, AgreementKind::Other => t.kind_other }}</td>
                                            <td>{match (&l.publisher, &l.product) { (Some(p), Some(q)) => format!("{p} — {q}"), _ => t.not_available.to_string() }}</td>
                                            <td class="num">{l.licenses.map(|n| n.to_string()).unwrap_or_else(|| "—".into())}</td>
                                        </tr>
                                    }).collect_view()}
                                </DataTable>
                                <h2>{fill(t.coverage_gaps, gaps)}</h2>
                                <p class="muted">{t.coverage_gaps_help}</p>
                                <DataTable caption=t.coverage_gaps_caption columns=vec![Column::new("publisher", t.col_publisher), Column::new("product", t.col_product), Column::new("installed", t.col_installed)] row_count=Signal::stored(gaps) empty=t.no_gaps>
                                    {r.gaps.iter().map(|(p, q, n)| view! { <tr><td>{p.clone()}</td><td>{q.clone()}</td><td class="num">{*n}</td></tr> }).collect_view()}
                                </DataTable>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        }>
            <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
                {move || Suspend::new(async move {
                    match installation.await {
                        Err(e) => view! { <ErrorView error=e /> }.into_any(),
                        Ok(r) if r.managed_computers == 0 => view! {
                            <div class="notice" role="note">
                                <strong>{t.no_managed_computers_title}</strong>" "{t.no_managed_computers_body}
                                " "<a href="/devices">{t.dir_devices}</a>
                            </div>
                        }.into_any(),
                        Ok(r) => {
                            let count = r.lines.len();
                            let max = r.lines.iter().map(|l| l.installed.max(l.owned)).max().unwrap_or(1).max(1) as f64;
                            let mut top = r.lines.clone();
                            top.sort_by_key(|l| std::cmp::Reverse(l.installed));
                            top.truncate(12);
                            view! {
                                <h2>{t.installation_report}</h2>
                                <dl class="facts">
                                    <div><dt>{t.managed_computers}</dt><dd>{r.managed_computers}</dd></div>
                                    <div><dt>{t.col_installed}</dt><dd>{r.installed_total}</dd></div>
                                    <div><dt>{t.licenses_owned}</dt><dd>{r.owned_total}</dd></div>
                                    <div><dt>{t.licenses_missing}</dt><dd class="bad-text">{r.missing_total}</dd></div>
                                    <div><dt>{t.licenses_unused}</dt><dd>{r.unused_total}</dd></div>
                                </dl>
                                <figure class="chart" aria-label=t.chart_label>
                                    <figcaption>{t.chart_label}</figcaption>
                                    {top.iter().map(|l| view! {
                                        <div class="chart-row">
                                            <span class="chart-label">{l.product.clone()}</span>
                                            <span class="chart-bars">
                                                <span class="bar installed" style=format!("width: {:.1}%", l.installed as f64 / max * 100.0)>{l.installed}</span>
                                                <span class="bar owned" style=format!("width: {:.1}%", l.owned as f64 / max * 100.0)>{l.owned}</span>
                                            </span>
                                        </div>
                                    }).collect_view()}
                                    <p class="legend"><span class="swatch installed"></span>{t.col_installed}" "<span class="swatch owned"></span>{t.licenses_owned}</p>
                                </figure>
                                <p class="muted">{t.volume_not_counted}</p>
                                <DataTable caption=t.installation_report columns=vec![Column::new("publisher", t.col_publisher), Column::new("product", t.col_product), Column::new("installed", t.col_installed), Column::new("owned", t.licenses_owned), Column::new("status", t.col_status)] row_count=Signal::stored(count)>
                                    {r.lines.iter().map(|l| view! {
                                        <tr>
                                            <td>{l.publisher.clone()}</td>
                                            <td>{l.product.clone()}</td>
                                            <td class="num">{l.installed}</td>
                                            <td class="num">{l.owned}</td>
                                            <td>{match l.status {
                                                Compliance::Compliant => view! { <span class="pill ok">{t.compliant}</span> }.into_any(),
                                                Compliance::UnderLicensed(n) => view! { <span class="pill bad">{fill(t.under_licensed, n)}</span> }.into_any(),
                                                Compliance::OverLicensed(n) => view! { <span class="pill">{fill(t.over_licensed, n)}</span> }.into_any(),
                                            }}</td>
                                        </tr>
                                    }).collect_view()}
                                </DataTable>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </Show>
    }
}
