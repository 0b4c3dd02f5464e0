//! Billing area (SPEC B-1 … B-9): subscriptions and their actions, ISV app licenses with the
//! Assign licenses panel, billing profiles with payment methods and roles, invoices.

use crate::api::billing::*;
use crate::components::{
    Column, ConfirmDialog, DataTable, DialogActions, ErrorView, Field, FormError, Pager,
    field_error, use_toasts,
};
use crate::domain::billing::*;
use crate::domain::{Me, Permission};
use crate::i18n::{Texts, fill, use_texts};
use crate::pages::{Area, AreaTabs};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};

fn allowed(p: Permission) -> bool {
    use_context::<Me>().is_some_and(|me| me.role.allows(p))
}

fn param_id() -> impl Fn() -> i64 + Copy + Send + Sync + 'static {
    let params = use_params_map();
    move || {
        params
            .read()
            .get("id")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0)
    }
}

/// A fresh idempotency key for one confirmed change (browser only; empty during SSR).
fn new_key() -> String {
    #[cfg(feature = "hydrate")]
    {
        let r = (web_sys::js_sys::Math::random() * 1e15) as u64;
        let d = web_sys::js_sys::Date::now() as u64;
        format!("ui-{d:x}-{r:x}")
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}

fn status_label(t: &'static Texts, s: SubscriptionStatus) -> String {
    match s {
        SubscriptionStatus::PendingActivation => t.bl_pending_activation.to_string(),
        SubscriptionStatus::Active => t.bl_active.to_string(),
        SubscriptionStatus::Disabled(r) => format!("{} ({})", t.disabled, reason_label(t, r)),
    }
}

fn reason_label(t: &'static Texts, r: DisabledReason) -> &'static str {
    match r {
        DisabledReason::Cancelled => t.bl_reason_cancelled,
        DisabledReason::Expired => t.bl_reason_expired,
        DisabledReason::PaymentOverdue => t.bl_reason_overdue,
    }
}

fn status_pill(t: &'static Texts, s: SubscriptionStatus) -> impl IntoView {
    let class = match s {
        SubscriptionStatus::Active => "pill ok",
        SubscriptionStatus::PendingActivation => "pill warn",
        SubscriptionStatus::Disabled(_) => "pill bad",
    };
    view! { <span class=class>{status_label(t, s)}</span> }
}

fn pricing_label(t: &'static Texts, s: &SubscriptionView) -> String {
    let model = match s.pricing {
        Pricing::FlatRate => t.bl_flat_rate,
        Pricing::PerLicense => t.bl_per_license,
    };
    let freq = match s.frequency {
        Frequency::Monthly => t.bl_monthly,
        Frequency::Annual => t.bl_annual,
    };
    format!("{model}, {freq}")
}

fn quantity_label(t: &'static Texts, q: Option<i64>) -> String {
    q.map(|n| n.to_string())
        .unwrap_or_else(|| t.bl_unlimited.to_string())
}

fn channel_label(t: &'static Texts, c: Channel) -> &'static str {
    match c {
        Channel::Direct => t.bl_channel_direct,
        Channel::Partner => t.bl_channel_partner,
        Channel::Proposal => t.bl_channel_proposal,
    }
}

fn role_name(t: &'static Texts, r: ProfileRole) -> &'static str {
    match r {
        ProfileRole::Owner => t.bl_role_owner,
        ProfileRole::Contributor => t.bl_role_contributor,
        ProfileRole::Reader => t.bl_role_reader,
        ProfileRole::InvoiceManager => t.bl_role_invoice_manager,
    }
}

fn invoice_pill(t: &'static Texts, status: &str) -> impl IntoView + use<> {
    let (class, label) = match status {
        "paid" => ("pill ok", t.bl_paid),
        "overdue" => ("pill bad", t.bl_overdue),
        _ => ("pill warn", t.bl_open),
    };
    view! { <span class=class>{label}</span> }
}

fn join_ids(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

fn principal_list(list: &[Principal]) -> String {
    list.iter()
        .map(|p| format!("{}:{}", p.kind, p.id))
        .collect::<Vec<_>>()
        .join(",")
}

fn totals_text(totals: &[Total]) -> String {
    totals
        .iter()
        .map(|t| format_money(t.amount_minor, &t.currency))
        .collect::<Vec<_>>()
        .join(" · ")
}

fn select_field(
    label: &'static str,
    name: &'static str,
    options: Vec<(String, String)>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let id = format!("f-{}", name.replace(['[', ']'], "-"));
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            <select id=id name=name>
                {options.into_iter().map(|(v, l)| view! { <option value=v>{l}</option> }).collect_view()}
            </select>
            {move || error.get().map(|m| view! { <p class="field-error">{m}</p> })}
        </div>
    }
}

// ---------------------------------------------------------------------------------------------
// /billing/subscriptions

#[component]
pub fn SubscriptionsPage() -> impl IntoView {
    let t = use_texts();
    let query = use_query_map();
    let add = ServerAction::<AddSubscription>::new();
    let list = Resource::new(
        move || {
            (
                query.read().get("status"),
                query.read().get("q"),
                add.version().get(),
            )
        },
        |(status, q, _)| list_subscriptions(status, q),
    );
    let status_now = move || query.read().get("status").unwrap_or_default();
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(_)) = add.value().get() {
            toasts.push(t.bl_toast_subscription_added.to_string());
        }
    });
    let manage = allowed(Permission::ManageBilling);
    let columns = StoredValue::new(vec![
        Column::new("app", t.bl_app),
        Column::new("publisher", t.col_publisher),
        Column::new("pricing", t.bl_pricing),
        Column::new("quantity", t.bl_quantity),
        Column::new("price", t.bl_price),
        Column::new("status", t.col_status),
        Column::new("renews", t.bl_renews_on),
        Column::new("profile", t.bl_billing_profile),
    ]);
    view! {
        <Title text=t.billing_subscriptions />
        <AreaTabs area=Area::Billing current=0 />
        <h1>{t.billing_subscriptions}</h1>
        <p class="lead">{t.bl_subscriptions_intro}</p>
        <Form method="GET" action="" attr:class="filters" attr:role="search">
            <div class="field grow">
                <label for="f-q">{t.bl_search_apps}</label>
                <input id="f-q" name="q" type="search" prop:value=move || query.read().get("q").unwrap_or_default() />
            </div>
            <div class="field">
                <label for="f-status">{t.col_status}</label>
                <select id="f-status" name="status">
                    {[("", t.bl_all), ("pending_activation", t.bl_pending_activation), ("active", t.bl_active), ("disabled", t.disabled)].into_iter().map(|(v, l)| view! {
                        <option value=v selected=move || status_now() == v>{l}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="form-actions"><button type="submit" class="primary">{t.search}</button></div>
        </Form>
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                    Ok(items) => {
                        let count = items.len();
                        let items = StoredValue::new(items);
                        view! {
                            <DataTable caption=t.billing_subscriptions columns=columns.get_value() row_count=Signal::stored(count) empty=t.bl_no_subscriptions>
                                {move || items.get_value().into_iter().map(|s| view! {
                                    <tr>
                                        <td><a href=format!("/billing/subscriptions/{}", s.id)>{s.app_name.clone()}</a></td>
                                        <td>{s.publisher.clone()}</td>
                                        <td>{pricing_label(t, &s)}</td>
                                        <td class="num">{quantity_label(t, s.quantity)}</td>
                                        <td class="num nowrap">{format_money(s.unit_price_minor, &s.currency)}</td>
                                        <td>{status_pill(t, s.status)}</td>
                                        <td class="nowrap">{s.renews_on.clone()}</td>
                                        <td>{s.profile_name.clone()}</td>
                                    </tr>
                                }).collect_view()}
                            </DataTable>
                        }.into_any()
                    }
                }
            })}
        </Transition>
        {manage.then(|| view! { <AddSubscriptionPanel action=add /> })}
    }
}

#[component]
fn AddSubscriptionPanel(action: ServerAction<AddSubscription>) -> impl IntoView {
    let t = use_texts();
    let profiles = Resource::new(|| (), |_| list_profiles());
    let value = action.value();
    view! {
        <section class="panel" aria-labelledby="add-sub-title">
            <h2 id="add-sub-title">{t.bl_add_subscription}</h2>
            <p class="muted">{t.bl_add_subscription_help}</p>
            <ActionForm action=action attr:class="grid-form">
                <Field label=t.bl_app name="form[app_name]" required=true error=field_error(value, "app_name") />
                <Field label=t.col_publisher name="form[publisher]" required=true error=field_error(value, "publisher") />
                {select_field(t.bl_channel, "form[channel]", Channel::ALL.iter().map(|c| (c.as_str().to_string(), channel_label(t, *c).to_string())).collect(), field_error(value, "channel"))}
                {select_field(t.bl_pricing, "form[pricing]", vec![("per_license".into(), t.bl_per_license.into()), ("flat_rate".into(), t.bl_flat_rate.into())], field_error(value, "pricing"))}
                {select_field(t.bl_frequency, "form[frequency]", vec![("monthly".into(), t.bl_monthly.into()), ("annual".into(), t.bl_annual.into())], field_error(value, "frequency"))}
                <Field label=t.bl_price name="form[price]" required=true hint=t.bl_price_hint error=field_error(value, "price") />
                {select_field(t.bl_currency, "form[currency]", CURRENCIES.iter().map(|(c, _)| (c.to_string(), c.to_string())).collect(), field_error(value, "currency"))}
                <Field label=t.bl_quantity name="form[quantity]" hint=t.bl_quantity_hint error=field_error(value, "quantity") />
                <Field label=t.bl_term_start name="form[term_start_on]" kind="date" required=true error=field_error(value, "term_start_on") />
                <Field label=t.bl_portal_url name="form[portal_url]" kind="url" required=true error=field_error(value, "portal_url") />
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let list = profiles.await.unwrap_or_default();
                        let options = list.into_iter().filter(|p| p.my_role.is_some_and(|r| r.allows(ProfileAction::Purchase))).map(|p| (p.id.to_string(), p.name)).collect();
                        select_field(t.bl_billing_profile, "form[profile_id]", options, field_error(value, "profile_id"))
                    })}
                </Transition>
                <div class="field checkbox">
                    <label><input type="checkbox" name="form[auto_renew]" value="on" checked=true />" "{t.bl_auto_renew}</label>
                </div>
                <FormError value=value />
                <div class="form-actions"><button type="submit" class="primary">{t.bl_add_subscription}</button></div>
            </ActionForm>
        </section>
    }
}

// ---------------------------------------------------------------------------------------------
// /billing/subscriptions/{id}

#[component]
pub fn SubscriptionPage() -> impl IntoView {
    let t = use_texts();
    let id = param_id();
    let activate = ServerAction::<ActivateSubscription>::new();
    let quantity = ServerAction::<ChangeQuantity>::new();
    let profile = ServerAction::<ChangeSubscriptionProfile>::new();
    let cancel = ServerAction::<CancelSubscription>::new();
    let assigned = ServerAction::<RecordAssigned>::new();
    let detail = Resource::new(
        move || {
            (
                id(),
                activate.version().get(),
                quantity.version().get(),
                profile.version().get(),
                cancel.version().get(),
                assigned.version().get(),
            )
        },
        |(id, ..)| get_subscription(id),
    );
    let quantity_open = RwSignal::new(false);
    let profile_open = RwSignal::new(false);
    let cancel_open = RwSignal::new(false);
    let key = RwSignal::new(String::new());
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(a)) = quantity.value().get() {
            quantity_open.set(false);
            toasts.push(fill(t.bl_toast_quantity, a.new_quantity));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = profile.value().get() {
            profile_open.set(false);
            toasts.push(t.bl_toast_profile_changed.to_string());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = cancel.value().get() {
            cancel_open.set(false);
            toasts.push(t.bl_toast_cancelled.to_string());
        }
    });
    let open_with_key = move |s: RwSignal<bool>| {
        key.set(new_key());
        s.set(true);
    };
    let manage = allowed(Permission::ManageBilling);
    view! {
        <AreaTabs area=Area::Billing current=0 />
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                    Ok(d) => {
                        let s = d.subscription.clone();
                        let sid = s.id;
                        let disabled = s.status.is_disabled();
                        let profiles = StoredValue::new(d.profiles.clone());
                        let adjustments = d.adjustments.clone();
                        let adj_count = adjustments.len();
                        let currency = StoredValue::new(s.currency.clone());
                        let adjustments = StoredValue::new(adjustments);
                        let current_profile = s.profile_id;
                        let cancel_body = StoredValue::new(fill(t.bl_cancel_body, &s.app_name));
                        view! {
                            <Title text=s.app_name.clone() />
                            <p class="crumbs"><a href="/billing/subscriptions">{t.billing_subscriptions}</a></p>
                            <div class="page-head">
                                <h1>{s.app_name.clone()}</h1>
                                {status_pill(t, s.status)}
                            </div>
                            {match s.status {
                                SubscriptionStatus::Disabled(r) => view! {
                                    <div class="notice bad" role="note"><strong>{fill(t.bl_disabled_notice, reason_label(t, r))}</strong>" "{t.bl_disabled_final}</div>
                                }.into_any(),
                                SubscriptionStatus::PendingActivation => view! {
                                    <div class="notice" role="note">{t.bl_pending_notice}</div>
                                }.into_any(),
                                SubscriptionStatus::Active => ().into_any(),
                            }}
                            <dl class="facts wrap">
                                <div><dt>{t.col_publisher}</dt><dd>{s.publisher.clone()}</dd></div>
                                <div><dt>{t.bl_channel}</dt><dd>{channel_label(t, s.channel)}</dd></div>
                                <div><dt>{t.bl_pricing}</dt><dd>{pricing_label(t, &s)}</dd></div>
                                <div><dt>{t.bl_quantity}</dt><dd>{quantity_label(t, s.quantity)}</dd></div>
                                <div><dt>{t.bl_assigned}</dt><dd>{s.assigned}</dd></div>
                                <div><dt>{t.bl_price}</dt><dd>{format_money(s.unit_price_minor, &s.currency)}</dd></div>
                                <div><dt>{t.bl_period_cost}</dt><dd>{format_money(s.period_cost_minor(), &s.currency)}</dd></div>
                                <div><dt>{t.bl_term_start}</dt><dd>{s.term_start_on.clone()}</dd></div>
                                <div><dt>{t.bl_renews_on}</dt><dd>{s.renews_on.clone()}" "<span class="muted">{if s.auto_renew { t.bl_auto_renews } else { t.bl_no_renewal }}</span></dd></div>
                                <div>
                                    <dt>{t.bl_billing_profile}</dt>
                                    <dd>{s.profile_name.clone()}" "
                                        {(manage && !disabled).then(|| view! {
                                            <button type="button" class="link" aria-label=t.bl_edit_profile_label on:click=move |_| profile_open.set(true)>{t.bl_edit}</button>
                                        })}
                                    </dd>
                                </div>
                            </dl>
                            {(manage && !disabled).then(|| view! {
                                <section class="panel" aria-labelledby="actions-title">
                                    <h2 id="actions-title">{t.bl_settings_actions}</h2>
                                    <div class="form-actions">
                                        <a class="button primary" href=s.portal_url.clone() target="_blank" rel="noopener external" on:click=move |_| { activate.dispatch(ActivateSubscription { id: sid }); }>{t.bl_manage_in_portal}</a>
                                        <button type="button" class="secondary" on:click=move |_| open_with_key(quantity_open)>{t.bl_change_quantity}</button>
                                        <button type="button" class="secondary danger-text" on:click=move |_| open_with_key(cancel_open)>{t.bl_cancel_subscription}</button>
                                    </div>
                                    <FormError value=activate.value() />
                                </section>
                            })}
                            <section class="panel" aria-labelledby="where-title">
                                <h2 id="where-title">{t.bl_where_title}</h2>
                                <div class="two-col">
                                    <div><h3>{t.bl_where_here}</h3><ul>{t.bl_where_here_items.split('|').map(|i| view! { <li>{i}</li> }).collect_view()}</ul></div>
                                    <div><h3>{t.bl_where_portal}</h3><ul>{t.bl_where_portal_items.split('|').map(|i| view! { <li>{i}</li> }).collect_view()}</ul></div>
                                </div>
                            </section>
                            {(manage && !disabled).then(|| view! {
                                <section class="panel" aria-labelledby="assigned-title">
                                    <h2 id="assigned-title">{t.bl_record_assigned}</h2>
                                    <p class="muted">{t.bl_record_assigned_help}</p>
                                    <ActionForm action=assigned attr:class="grid-form">
                                        <input type="hidden" name="id" value=sid />
                                        <Field label=t.bl_assigned name="assigned" kind="number" value=s.assigned.to_string() error=field_error(assigned.value(), "assigned") />
                                        <FormError value=assigned.value() />
                                        <div class="form-actions"><button type="submit" class="secondary">{t.save}</button></div>
                                    </ActionForm>
                                </section>
                            })}
                            <h2>{t.bl_charges}</h2>
                            <DataTable caption=t.bl_charges columns=vec![Column::new("on", t.bl_effective_on), Column::new("change", t.bl_change), Column::new("days", t.bl_days), Column::new("amount", t.bl_amount), Column::new("invoice", t.bl_invoice)] row_count=Signal::stored(adj_count) empty=t.bl_no_charges>
                                {move || adjustments.get_value().into_iter().map(|a| view! {
                                    <tr>
                                        <td class="nowrap">{a.effective_on.clone()}</td>
                                        <td>{if a.old_quantity == 0 { t.bl_activation.to_string() } else { format!("{} → {}", a.old_quantity, a.new_quantity) }}</td>
                                        <td class="num">{format!("{} / {}", a.days_charged, a.days_in_period)}</td>
                                        <td class="num nowrap">{format_money(a.amount_minor, &currency.get_value())}</td>
                                        <td>{a.invoice_number.clone().unwrap_or_else(|| t.bl_next_invoice.to_string())}</td>
                                    </tr>
                                }).collect_view()}
                            </DataTable>
                            <ConfirmDialog open=quantity_open title=Signal::stored(t.bl_change_quantity.to_string())>
                                <ActionForm action=quantity attr:class="stack">
                                    <input type="hidden" name="id" value=sid />
                                    <input type="hidden" name="idempotency_key" prop:value=move || key.get() />
                                    <p class="muted">{t.bl_quantity_dialog_help}</p>
                                    <Field label=t.bl_new_quantity name="quantity" kind="number" value=s.quantity.map(|q| q.to_string()).unwrap_or_default() error=field_error(quantity.value(), "quantity") />
                                    <FormError value=quantity.value() />
                                    <DialogActions open=quantity_open><button type="submit" class="primary">{t.save}</button></DialogActions>
                                </ActionForm>
                            </ConfirmDialog>
                            <ConfirmDialog open=profile_open title=Signal::stored(t.bl_edit_profile_label.to_string())>
                                <ActionForm action=profile attr:class="stack">
                                    <input type="hidden" name="id" value=sid />
                                    <div class="field">
                                        <label for="f-profile-id">{t.bl_billing_profile}</label>
                                        <select id="f-profile-id" name="profile_id">
                                            {profiles.get_value().into_iter().map(|(pid, name)| view! { <option value=pid selected=pid == current_profile>{name}</option> }).collect_view()}
                                        </select>
                                        {move || field_error(profile.value(), "profile_id").get().map(|m| view! { <p class="field-error">{m}</p> })}
                                    </div>
                                    <FormError value=profile.value() />
                                    <DialogActions open=profile_open><button type="submit" class="primary">{t.save}</button></DialogActions>
                                </ActionForm>
                            </ConfirmDialog>
                            <ConfirmDialog open=cancel_open title=Signal::stored(t.bl_cancel_subscription.to_string())>
                                <ActionForm action=cancel attr:class="stack">
                                    <input type="hidden" name="id" value=sid />
                                    <input type="hidden" name="idempotency_key" prop:value=move || key.get() />
                                    <p>{cancel_body.get_value()}</p>
                                    <FormError value=cancel.value() />
                                    <DialogActions open=cancel_open><button type="submit" class="danger">{t.bl_cancel_subscription}</button></DialogActions>
                                </ActionForm>
                            </ConfirmDialog>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

// ---------------------------------------------------------------------------------------------
// /billing/licenses and /billing/licenses/{id}

#[component]
pub fn IsvLicensesPage() -> impl IntoView {
    let t = use_texts();
    let add = ServerAction::<AddIsvApp>::new();
    let apps = Resource::new(move || add.version().get(), |_| list_isv_apps());
    let value = add.value();
    view! {
        <Title text=t.billing_licenses />
        <AreaTabs area=Area::Billing current=1 />
        <h1>{t.billing_licenses}</h1>
        <p class="lead">{t.bl_isv_intro}</p>
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match apps.await {
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                    Ok(items) => {
                        let count = items.len();
                        let items = StoredValue::new(items);
                        view! {
                            <DataTable caption=t.billing_licenses columns=vec![Column::new("app", t.bl_app), Column::new("vendor", t.bl_vendor), Column::new("owned", t.bl_owned), Column::new("assigned", t.bl_assigned), Column::new("available", t.bl_available)] row_count=Signal::stored(count) empty=t.bl_no_isv>
                                {move || items.get_value().into_iter().map(|a| view! {
                                    <tr>
                                        <td><a href=format!("/billing/licenses/{}", a.id)>{a.name.clone()}</a></td>
                                        <td>{a.publisher.clone()}</td>
                                        <td class="num">{a.owned}</td>
                                        <td class="num">{a.assigned}</td>
                                        <td class="num">{a.available()}</td>
                                    </tr>
                                }).collect_view()}
                            </DataTable>
                        }.into_any()
                    }
                }
            })}
        </Transition>
        {allowed(Permission::ManageBilling).then(|| view! {
            <section class="panel" aria-labelledby="add-isv-title">
                <h2 id="add-isv-title">{t.bl_add_isv}</h2>
                <p class="muted">{t.bl_add_isv_help}</p>
                <ActionForm action=add attr:class="grid-form">
                    <Field label=t.bl_app name="form[name]" required=true error=field_error(value, "name") />
                    <Field label=t.bl_vendor name="form[publisher]" required=true error=field_error(value, "publisher") />
                    <Field label=t.bl_owned name="form[owned]" kind="number" required=true error=field_error(value, "owned") />
                    <Field label=t.bl_install_url name="form[install_url]" kind="url" required=true error=field_error(value, "install_url") />
                    <Field label=t.bl_vendor_contact name="form[vendor_contact]" required=true error=field_error(value, "vendor_contact") />
                    <FormError value=value />
                    <div class="form-actions"><button type="submit" class="primary">{t.bl_add_isv}</button></div>
                </ActionForm>
            </section>
        })}
    }
}

#[component]
pub fn IsvLicensePage() -> impl IntoView {
    let t = use_texts();
    let id = param_id();
    let assign = ServerAction::<AssignIsv>::new();
    let unassign = ServerAction::<UnassignIsv>::new();
    let detail = Resource::new(
        move || (id(), assign.version().get(), unassign.version().get()),
        |(id, ..)| get_isv_app(id),
    );
    let selected = RwSignal::new(Vec::<i64>::new());
    let unassign_open = RwSignal::new(false);
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(n)) = assign.value().get() {
            toasts.push(fill(t.bl_toast_assigned, n));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(n)) = unassign.value().get() {
            unassign_open.set(false);
            selected.set(vec![]);
            toasts.push(fill(t.bl_toast_unassigned, n));
        }
    });
    let may_assign = allowed(Permission::AssignLicenses);
    view! {
        <AreaTabs area=Area::Billing current=1 />
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                    Ok(d) => {
                        let a = d.app.clone();
                        let app_id = a.id;
                        let count = d.assignments.len();
                        let rows = StoredValue::new(d.assignments.clone());
                        let mut columns = vec![Column::new("name", t.col_name), Column::new("kind", t.col_kind), Column::new("detail", t.bl_detail), Column::new("licenses", t.bl_licenses_used)];
                        if may_assign {
                            columns.insert(0, Column::new("select", t.col_select));
                        }
                        view! {
                            <Title text=a.name.clone() />
                            <p class="crumbs"><a href="/billing/licenses">{t.billing_licenses}</a></p>
                            <div class="page-head">
                                <h1>{a.name.clone()}</h1>
                                <div class="page-actions">
                                    <a class="button secondary" href=a.install_url.clone() target="_blank" rel="noopener external">{t.bl_install_product}</a>
                                </div>
                            </div>
                            <dl class="facts">
                                <div><dt>{t.bl_vendor}</dt><dd>{a.publisher.clone()}</dd></div>
                                <div><dt>{t.bl_owned}</dt><dd>{a.owned}</dd></div>
                                <div><dt>{t.bl_assigned}</dt><dd>{a.assigned}</dd></div>
                                <div><dt>{t.bl_available}</dt><dd>{a.available()}</dd></div>
                            </dl>
                            <div class="notice" role="note">{fill(t.bl_vendor_manages, &a.vendor_contact)}</div>
                            {may_assign.then(|| view! { <AssignPanel app_id=app_id action=assign /> })}
                            <div class="section-head">
                                <h2>{t.bl_assignments}</h2>
                                {may_assign.then(|| view! {
                                    <button type="button" class="secondary" disabled=move || selected.read().is_empty() on:click=move |_| unassign_open.set(true)>{t.bl_unassign_licenses}</button>
                                })}
                            </div>
                            <DataTable caption=t.bl_assignments columns=columns row_count=Signal::stored(count) empty=t.bl_no_assignments>
                                {move || rows.get_value().into_iter().map(|r| {
                                    let rid = r.id;
                                    let checked = move || selected.read().contains(&rid);
                                    let href = if r.kind == "group" { format!("/groups/{}", r.principal_id) } else { format!("/users/{}", r.principal_id) };
                                    view! {
                                        <tr>
                                            {may_assign.then(|| view! {
                                                <td><input type="checkbox" aria-label=fill(t.select_user, &r.name) prop:checked=checked on:change=move |_| selected.update(|s| if let Some(p) = s.iter().position(|x| *x == rid) { s.remove(p); } else { s.push(rid); }) /></td>
                                            })}
                                            <td><a href=href>{r.name.clone()}</a></td>
                                            <td>{if r.kind == "group" { t.bl_group } else { t.bl_user }}</td>
                                            <td class="muted">{r.detail.clone()}</td>
                                            <td class="num">{r.licenses}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </DataTable>
                            <ConfirmDialog open=unassign_open title=Signal::stored(t.bl_unassign_licenses.to_string())>
                                <ActionForm action=unassign attr:class="stack">
                                    <input type="hidden" name="app_id" value=app_id />
                                    <input type="hidden" name="assignment_ids" prop:value=move || join_ids(&selected.read()) />
                                    <p>{move || fill(t.bl_unassign_body, selected.read().len())}</p>
                                    <FormError value=unassign.value() />
                                    <DialogActions open=unassign_open><button type="submit" class="danger">{t.bl_unassign}</button></DialogActions>
                                </ActionForm>
                            </ConfirmDialog>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// Assign licenses: type a user or group name, pick from the results (several), Assign.
#[component]
fn AssignPanel(app_id: i64, action: ServerAction<AssignIsv>) -> impl IntoView {
    let t = use_texts();
    let text = RwSignal::new(String::new());
    let picked = RwSignal::new(Vec::<Principal>::new());
    let results = Resource::new(
        move || text.get(),
        |q| async move {
            if q.trim().len() < 2 {
                Ok(vec![])
            } else {
                search_principals(q).await
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
    view! {
        <section class="panel picker" aria-labelledby="assign-title">
            <h2 id="assign-title">{t.bl_assign_licenses}</h2>
            <div class="field">
                <label for="principal-search">{t.bl_type_user_or_group}</label>
                <input id="principal-search" type="search" autocomplete="off" role="combobox" aria-controls="principal-results" aria-expanded=move || (!text.read().is_empty()).to_string()
                    prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev)) />
            </div>
            <ul id="principal-results" class="results" role="listbox" aria-label=t.search_results>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let list = results.await.unwrap_or_default();
                        list.into_iter().map(|p| {
                            let label = format!("{} — {}", p.name, p.detail);
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
                <input type="hidden" name="principals" prop:value=move || principal_list(&picked.read()) />
                <div class="chips" aria-live="polite">
                    <For each=move || picked.get() key=|p| (p.kind.clone(), p.id) let:p>
                        <span class="chip">
                            {p.name.clone()}
                            <button type="button" class="link" aria-label=fill(t.remove_from_selection, &p.name) on:click={
                                let (kind, id) = (p.kind.clone(), p.id);
                                move |_| picked.update(|list| list.retain(|x| !(x.kind == kind && x.id == id)))
                            }>"×"</button>
                        </span>
                    </For>
                </div>
                <FormError value=value />
                <div class="form-actions">
                    <button type="submit" class="primary" disabled=move || picked.read().is_empty()>{t.bl_assign}</button>
                </div>
            </ActionForm>
        </section>
    }
}

// ---------------------------------------------------------------------------------------------
// /billing/profiles

#[component]
pub fn ProfilesPage() -> impl IntoView {
    let t = use_texts();
    let save = ServerAction::<SaveProfile>::new();
    let add_method = ServerAction::<AddPaymentMethod>::new();
    let remove_method = ServerAction::<RemovePaymentMethod>::new();
    let role = ServerAction::<SetProfileRole>::new();
    let profiles = Resource::new(
        move || {
            (
                save.version().get(),
                add_method.version().get(),
                remove_method.version().get(),
                role.version().get(),
            )
        },
        |_| list_profiles(),
    );
    let method_open = RwSignal::new(false);
    let method_profile = RwSignal::new(0_i64);
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(_)) = add_method.value().get() {
            method_open.set(false);
            toasts.push(t.bl_toast_method_added.to_string());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            toasts.push(t.toast_saved.to_string());
        }
    });
    let manage = allowed(Permission::ManageBilling);
    let mvalue = add_method.value();
    view! {
        <Title text=t.billing_profiles />
        <AreaTabs area=Area::Billing current=2 />
        <h1>{t.billing_profiles}</h1>
        <p class="lead">{t.bl_profiles_intro}</p>
        <FormError value=remove_method.value() />
        <FormError value=role.value() />
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match profiles.await {
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="empty-state">{t.bl_no_profiles}</p> }.into_any(),
                    Ok(list) => list.into_iter().map(|p| {
                        let pid = p.id;
                        let may_change = manage && p.my_role.is_some_and(|r| r.allows(ProfileAction::Change));
                        let may_roles = manage && p.my_role.is_some_and(|r| r.allows(ProfileAction::ManageRoles));
                        let region = region_name(&p.region).unwrap_or("—").to_string();
                        let title_id = format!("profile-{pid}");
                        let labelled_by = title_id.clone();
                        view! {
                            <section class="panel" aria-labelledby=labelled_by>
                                <div class="section-head">
                                    <h2 id=title_id>{p.name.clone()}</h2>
                                    <span class="pill">{match p.my_role { Some(r) => fill(t.bl_your_role, role_name(t, r)), None => t.bl_no_role.to_string() }}</span>
                                </div>
                                <dl class="facts wrap">
                                    <div><dt>{t.bl_contact}</dt><dd>{p.contact_name.clone()}</dd></div>
                                    <div><dt>{t.bl_address}</dt><dd>{format!("{}, {} {}", p.address_line, p.postal_code, p.city)}</dd></div>
                                    <div><dt>{t.bl_region}</dt><dd>{region}</dd></div>
                                    <div><dt>{t.billing_subscriptions}</dt><dd>{p.subscription_count}</dd></div>
                                </dl>
                                <h3>{t.bl_payment_methods}</h3>
                                <ul class="plain">
                                    {p.payment_methods.iter().map(|m| {
                                        let mid = m.id;
                                        let text = match m.kind.as_str() {
                                            "card" => fill(&fill(&fill(t.bl_card_ending, m.brand.clone().unwrap_or_default()), m.last4.clone().unwrap_or_default()), format!("{:02}/{}", m.exp_month.unwrap_or(0), m.exp_year.unwrap_or(0))),
                                            _ => t.bl_wire.to_string(),
                                        };
                                        view! {
                                            <li>
                                                {text.clone()}
                                                {m.is_default.then(|| view! { " " <span class="pill">{t.bl_default}</span> })}
                                                {may_change.then(|| view! {
                                                    " "
                                                    <button type="button" class="link danger-text" aria-label=fill(t.bl_remove_method, &text) on:click=move |_| { remove_method.dispatch(RemovePaymentMethod { id: mid }); }>{t.remove}</button>
                                                })}
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                                {may_change.then(|| view! {
                                    <button type="button" class="secondary" on:click=move |_| { method_profile.set(pid); method_open.set(true); }>{t.bl_add_payment_method}</button>
                                })}
                                <h3>{t.bl_roles}</h3>
                                <ul class="plain">
                                    {p.roles.iter().map(|r| view! { <li>{r.username.clone()}" — "{role_name(t, r.role)}</li> }).collect_view()}
                                </ul>
                                {may_roles.then(|| view! {
                                    <ActionForm action=role attr:class="grid-form compact">
                                        <input type="hidden" name="profile_id" value=pid />
                                        <Field label=t.username name="username" error=field_error(role.value(), "username") />
                                        {select_field(t.col_role, "role", ProfileRole::ALL.iter().map(|r| (r.as_str().to_string(), role_name(t, *r).to_string())).chain([(String::new(), t.bl_no_role.to_string())]).collect(), field_error(role.value(), "role"))}
                                        <div class="form-actions"><button type="submit" class="secondary">{t.bl_set_role}</button></div>
                                    </ActionForm>
                                })}
                                {may_change.then(|| view! {
                                    <details class="edit">
                                        <summary>{t.bl_edit_profile}</summary>
                                        <ProfileFields action=save profile=Some(p.clone()) />
                                    </details>
                                })}
                            </section>
                        }
                    }).collect_view().into_any(),
                }
            })}
        </Transition>
        {manage.then(|| view! {
            <section class="panel" aria-labelledby="add-profile-title">
                <h2 id="add-profile-title">{t.bl_add_profile}</h2>
                <p class="muted">{t.bl_regions_note}</p>
                <ProfileFields action=save profile=None />
            </section>
        })}
        <ConfirmDialog open=method_open title=Signal::stored(t.bl_add_payment_method.to_string())>
            <ActionForm action=add_method attr:class="stack">
                <input type="hidden" name="form[profile_id]" prop:value=move || method_profile.get().to_string() />
                <fieldset class="group-choice">
                    <legend>{t.bl_method_kind}</legend>
                    <label><input type="radio" name="form[kind]" value="card" checked=true />" "{t.bl_credit_card}</label>
                    <label><input type="radio" name="form[kind]" value="wire" />" "{t.bl_wire}</label>
                </fieldset>
                {select_field(t.bl_card_brand, "form[brand]", CARD_BRANDS.iter().map(|b| (b.to_string(), b.to_string())).collect(), field_error(mvalue, "brand"))}
                <Field label=t.bl_last4 name="form[last4]" hint=t.bl_last4_hint error=field_error(mvalue, "last4") autocomplete="off" />
                <div class="two-col">
                    <Field label=t.bl_exp_month name="form[exp_month]" kind="number" error=field_error(mvalue, "exp_month") />
                    <Field label=t.bl_exp_year name="form[exp_year]" kind="number" error=field_error(mvalue, "exp_year") />
                </div>
                <FormError value=mvalue />
                <DialogActions open=method_open><button type="submit" class="primary">{t.bl_add_payment_method}</button></DialogActions>
            </ActionForm>
        </ConfirmDialog>
    }
}

#[component]
fn ProfileFields(action: ServerAction<SaveProfile>, profile: Option<ProfileView>) -> impl IntoView {
    let t = use_texts();
    let value = action.value();
    let p = profile.clone().unwrap_or(ProfileView {
        id: 0,
        name: String::new(),
        contact_name: String::new(),
        address_line: String::new(),
        city: String::new(),
        postal_code: String::new(),
        region: "US".into(),
        payment_methods: vec![],
        roles: vec![],
        subscription_count: 0,
        my_role: None,
    });
    let region = p.region.clone();
    view! {
        <ActionForm action=action attr:class="grid-form">
            {profile.as_ref().map(|p| view! { <input type="hidden" name="form[id]" value=p.id /> })}
            <Field label=t.bl_profile_name name="form[name]" required=true value=p.name.clone() error=field_error(value, "name") />
            <Field label=t.bl_contact name="form[contact_name]" required=true value=p.contact_name.clone() error=field_error(value, "contact_name") />
            <Field label=t.bl_street name="form[address_line]" required=true value=p.address_line.clone() error=field_error(value, "address_line") />
            <Field label=t.bl_city name="form[city]" required=true value=p.city.clone() error=field_error(value, "city") />
            <Field label=t.bl_postal_code name="form[postal_code]" required=true value=p.postal_code.clone() error=field_error(value, "postal_code") />
            <div class="field" class:has-error=move || field_error(value, "region").get().is_some()>
                <label for=format!("f-region-{}", p.id)>{t.bl_region}</label>
                <select id=format!("f-region-{}", p.id) name="form[region]">
                    {REGIONS.iter().map(|(code, name)| view! { <option value=*code selected=*code == region>{*name}</option> }).collect_view()}
                </select>
                {move || field_error(value, "region").get().map(|m| view! { <p class="field-error">{m}</p> })}
            </div>
            <FormError value=value />
            <div class="form-actions"><button type="submit" class="primary">{if profile.is_some() { t.save } else { t.bl_add_profile }}</button></div>
        </ActionForm>
    }
}

// ---------------------------------------------------------------------------------------------
// /billing/invoices and /billing/invoices/{id}

#[component]
pub fn InvoicesPage() -> impl IntoView {
    let t = use_texts();
    let query = use_query_map();
    let list = Resource::new(
        move || (query.read().get("status"), query.read().get("after")),
        |(status, after)| list_invoices(status, None, after),
    );
    let status_now = move || query.read().get("status").unwrap_or_default();
    view! {
        <Title text=t.billing_invoices />
        <AreaTabs area=Area::Billing current=3 />
        <h1>{t.billing_invoices}</h1>
        <p class="lead">{t.bl_invoices_intro}</p>
        <Form method="GET" action="" attr:class="filters">
            <div class="field">
                <label for="f-status">{t.col_status}</label>
                <select id="f-status" name="status">
                    {[("", t.bl_all), ("open", t.bl_open), ("overdue", t.bl_overdue), ("paid", t.bl_paid)].into_iter().map(|(v, l)| view! {
                        <option value=v selected=move || status_now() == v>{l}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="form-actions"><button type="submit" class="primary">{t.filter_apply}</button></div>
        </Form>
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                    Ok(page) => {
                        let count = page.items.len();
                        let total = page.total;
                        let next = page.next.clone();
                        let items = StoredValue::new(page.items);
                        view! {
                            <p class="count">{fill(t.bl_total_invoices, total)}</p>
                            <DataTable caption=t.billing_invoices columns=vec![Column::new("number", t.bl_invoice), Column::new("profile", t.bl_billing_profile), Column::new("period", t.bl_period), Column::new("issued", t.bl_issued), Column::new("due", t.bl_due), Column::new("total", t.bl_total), Column::new("status", t.col_status), Column::new("download", t.bl_download)] row_count=Signal::stored(count) empty=t.bl_no_invoices>
                                {move || items.get_value().into_iter().map(|i| view! {
                                    <tr>
                                        <td><a href=format!("/billing/invoices/{}", i.id)>{i.number.clone()}</a></td>
                                        <td>{i.profile_name.clone()}</td>
                                        <td class="nowrap">{i.period.clone()}</td>
                                        <td class="nowrap">{i.issued_on.clone()}</td>
                                        <td class="nowrap">{i.due_on.clone()}</td>
                                        <td class="num nowrap">{totals_text(&i.totals)}</td>
                                        <td>{invoice_pill(t, &i.status)}</td>
                                        <td><a href=format!("/api/billing/invoices/{}.csv", i.id) download rel="external" aria-label=fill(t.bl_download_csv_of, &i.number)>"CSV"</a></td>
                                    </tr>
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

#[component]
pub fn InvoicePage() -> impl IntoView {
    let t = use_texts();
    let id = param_id();
    let pay = ServerAction::<MarkPaid>::new();
    let detail = Resource::new(
        move || (id(), pay.version().get()),
        |(id, _)| get_invoice(id),
    );
    let pay_open = RwSignal::new(false);
    let key = RwSignal::new(String::new());
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(())) = pay.value().get() {
            pay_open.set(false);
            toasts.push(t.bl_toast_paid.to_string());
        }
    });
    let manage = allowed(Permission::ManageBilling);
    view! {
        <AreaTabs area=Area::Billing current=3 />
        <Transition fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(e) => view! { <ErrorView error=e /> }.into_any(),
                    Ok(d) => {
                        let inv = d.invoice.clone();
                        let iid = inv.id;
                        let paid = inv.status == "paid";
                        let count = d.lines.len();
                        let lines = StoredValue::new(d.lines.clone());
                        let b = d.bill_to.clone();
                        let pay_body = StoredValue::new(fill(t.bl_mark_paid_body, &inv.number));
                        view! {
                            <Title text=inv.number.clone() />
                            <p class="crumbs"><a href="/billing/invoices">{t.billing_invoices}</a></p>
                            <div class="page-head">
                                <h1>{fill(t.bl_invoice_title, &inv.number)}</h1>
                                <div class="page-actions">
                                    <a class="button secondary" href=format!("/api/billing/invoices/{iid}.csv") download rel="external">{t.bl_download_csv}</a>
                                    <button type="button" class="secondary" on:click=move |_| {
                                        #[cfg(feature = "hydrate")]
                                        if let Some(w) = web_sys::window() { let _ = w.print(); }
                                    }>{t.bl_print_pdf}</button>
                                    {(manage && !paid).then(|| view! {
                                        <button type="button" class="primary" on:click=move |_| { key.set(new_key()); pay_open.set(true); }>{t.bl_mark_paid}</button>
                                    })}
                                </div>
                            </div>
                            <div class="invoice-head">
                                <div>
                                    <p class="muted">{t.bl_from}</p>
                                    <p><strong>{d.org_name.clone()}</strong></p>
                                </div>
                                <div>
                                    <p class="muted">{t.bl_bill_to}</p>
                                    <p><strong>{b.name.clone()}</strong><br />{b.contact_name.clone()}<br />{b.address_line.clone()}<br />{format!("{} {}", b.postal_code, b.city)}<br />{region_name(&b.region).unwrap_or("")}</p>
                                </div>
                                <dl class="facts">
                                    <div><dt>{t.bl_period}</dt><dd>{inv.period.clone()}</dd></div>
                                    <div><dt>{t.bl_issued}</dt><dd>{inv.issued_on.clone()}</dd></div>
                                    <div><dt>{t.bl_due}</dt><dd>{inv.due_on.clone()}</dd></div>
                                    <div><dt>{t.col_status}</dt><dd>{invoice_pill(t, &inv.status)}</dd></div>
                                </dl>
                            </div>
                            <DataTable caption=t.bl_line_items columns=vec![Column::new("description", t.col_description), Column::new("quantity", t.bl_quantity), Column::new("unit", t.bl_unit_price), Column::new("amount", t.bl_amount)] row_count=Signal::stored(count)>
                                {move || lines.get_value().into_iter().map(|l| view! {
                                    <tr>
                                        <td>{l.description.clone()}</td>
                                        <td class="num">{l.quantity}</td>
                                        <td class="num nowrap">{format_money(l.unit_price_minor, &l.currency)}</td>
                                        <td class="num nowrap">{format_money(l.amount_minor, &l.currency)}</td>
                                    </tr>
                                }).collect_view()}
                            </DataTable>
                            <dl class="totals">
                                {inv.totals.iter().map(|x| view! { <div><dt>{fill(t.bl_total_in, &x.currency)}</dt><dd>{format_money(x.amount_minor, &x.currency)}</dd></div> }).collect_view()}
                            </dl>
                            <ConfirmDialog open=pay_open title=Signal::stored(t.bl_mark_paid.to_string())>
                                <ActionForm action=pay attr:class="stack">
                                    <input type="hidden" name="id" value=iid />
                                    <input type="hidden" name="idempotency_key" prop:value=move || key.get() />
                                    <p>{pay_body.get_value()}</p>
                                    <FormError value=pay.value() />
                                    <DialogActions open=pay_open><button type="submit" class="primary">{t.bl_mark_paid}</button></DialogActions>
                                </ActionForm>
                            </ConfirmDialog>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
