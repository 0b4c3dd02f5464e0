//! `/settings/notifications` — webhooks that receive the alerts (SPEC X-2). Only a Global admin
//! reads or changes them (they hold addresses and signing secrets; the server refuses others);
//! other roles see how the webhooks work and that the list is not theirs.

use crate::api::overview::{
    AddWebhook, RemoveWebhook, list_webhooks, test_webhook, webhook_deliveries,
};
use crate::components::{
    ConfirmDialog, DialogActions, Field, FormError, Loaded, OnceSecret, RowDialog, can,
    enabled_pill, field_error, toast_on_success, use_toasts,
};
use crate::domain::overview::{DeliveryView, WebhookView};
use crate::domain::{Permission, format_time};
use crate::i18n::{Texts, fill, use_texts};
use crate::pages::overview::fill_two;
use crate::pages::{Area, AreaTabs};
use leptos::html::Details;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let t = use_texts();
    let manage = can(Permission::ManageAdmins);
    view! {
        <Title text=t.overview.notifications />
        <AreaTabs area=Area::Settings current=1 />
        <h1>{t.overview.notifications}</h1>
        <p class="lead">{t.overview.notif_intro}</p>
        <section class="panel" aria-labelledby="webhook-how-title">
            <h2 id="webhook-how-title">{t.overview.notif_how_title}</h2>
            <p>{t.overview.notif_how}</p>
        </section>
        {if manage {
            view! { <Webhooks /> }.into_any()
        } else {
            view! {
                <p class="notice" role="note">
                    {t.overview.notif_read_only}
                </p>
            }
                .into_any()
        }}
        {manage.then(|| view! { <super::email::EmailPanel /> })}
    }
}

/// The outcome of a test, in a sentence: delivered (with the status), or the last error.
fn test_outcome(t: &'static Texts, name: &str, attempts: &[DeliveryView]) -> String {
    if let Some(ok) = attempts.iter().find(|d| d.delivered) {
        let status = ok
            .status_code
            .map(|c| c.to_string())
            .unwrap_or_else(|| "—".into());
        return fill_two(t.overview.test_ok, name, status);
    }
    match attempts.iter().max_by_key(|d| (d.attempt, d.at)) {
        Some(last) => fill_two(t.overview.test_failed, name, failure(last)),
        None => t.overview.test_none.to_string(),
    }
}

/// Why an attempt failed: its error, or else its HTTP status.
fn failure(d: &DeliveryView) -> String {
    match (d.error.is_empty(), d.status_code) {
        (false, _) => d.error.clone(),
        (true, Some(code)) => format!("HTTP {code}"),
        (true, None) => "—".into(),
    }
}

#[component]
fn Webhooks() -> impl IntoView {
    let t = use_texts();
    let add = ServerAction::<AddWebhook>::new();
    let remove = ServerAction::<RemoveWebhook>::new();
    let dialog = RowDialog::new();
    let hooks = Resource::new(
        move || (add.version().get(), remove.version().get()),
        |_| list_webhooks(),
    );
    toast_on_success(add.value(), t.overview.toast_webhook_added);
    toast_on_success(remove.value(), t.overview.toast_webhook_removed);
    // The new webhook's secret, shown once (until dismissed or the page is left).
    let secret = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(created)) = add.value().get() {
            secret.set(Some(created.secret));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = remove.value().get() {
            dialog.open.set(false);
        }
    });
    // Bumped after each test: the open delivery logs reload.
    let tested = RwSignal::new(0_u64);
    let add_value = add.value();
    let target = dialog.target;
    view! {
        {move || {
            secret
                .get()
                .map(|s| {
                    view! {
                        <OnceSecret
                            heading_id="secret-title"
                            title=t.overview.secret_title
                            warning=t.overview.secret_once
                            dismiss_label=t.overview.dismiss_secret
                            secret=s
                            shown=secret
                        />
                    }
                })
        }}
        <section aria-labelledby="webhooks-title">
            <h2 id="webhooks-title">{t.overview.webhooks}</h2>
            <FormError value=remove.value() />
            <Loaded resource=hooks let:list>
                <WebhookTable list=list dialog=dialog tested=tested />
            </Loaded>
        </section>
        <section class="panel" aria-labelledby="add-webhook-title">
            <h2 id="add-webhook-title">{t.overview.add_webhook}</h2>
            <ActionForm action=add attr:class="grid-form">
                <Field
                    label=t.overview.webhook_name
                    name="name"
                    required=true
                    autocomplete="off"
                    error=field_error(add_value, "name")
                />
                <Field
                    label=t.overview.webhook_url
                    name="url"
                    kind="url"
                    required=true
                    autocomplete="off"
                    hint=t.overview.webhook_url_hint
                    error=field_error(add_value, "url")
                />
                <FormError value=add_value />
                <div class="form-actions">
                    <button type="submit" class="primary">
                        {t.overview.add_webhook}
                    </button>
                </div>
            </ActionForm>
        </section>
        <ConfirmDialog
            open=dialog.open
            title=Signal::stored(t.overview.confirm_remove_title.to_string())
        >
            <ActionForm action=remove attr:class="stack">
                <input type="hidden" name="id" value=move || target.get().0 />
                <p>{move || fill(t.overview.confirm_remove_body, target.get().1)}</p>
                <DialogActions open=dialog.open>
                    <button type="submit" class="danger">
                        {t.overview.remove}
                    </button>
                </DialogActions>
            </ActionForm>
        </ConfirmDialog>
    }
}

#[component]
fn WebhookTable(list: Vec<WebhookView>, dialog: RowDialog, tested: RwSignal<u64>) -> impl IntoView {
    let t = use_texts();
    if list.is_empty() {
        return view! { <p class="empty-state">{t.overview.no_webhooks}</p> }.into_any();
    }
    let rows = list
        .into_iter()
        .map(|w| view! { <WebhookRow hook=w dialog=dialog tested=tested /> })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="data">
                <thead>
                    <tr>
                        <th scope="col">{t.overview.col_name}</th>
                        <th scope="col">{t.overview.col_url}</th>
                        <th scope="col">{t.overview.col_status}</th>
                        <th scope="col">{t.overview.col_added}</th>
                        <th scope="col">{t.overview.col_actions}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn WebhookRow(hook: WebhookView, dialog: RowDialog, tested: RwSignal<u64>) -> impl IntoView {
    let t = use_texts();
    let toasts = use_toasts();
    let id = hook.id;
    let name = hook.name.clone();
    let testing = RwSignal::new(false);
    let run_test = {
        let name = name.clone();
        move |_| {
            let name = name.clone();
            testing.set(true);
            leptos::task::spawn_local(async move {
                let message = match test_webhook(id).await {
                    Ok(attempts) => test_outcome(t, &name, &attempts),
                    Err(e) => e.to_string(),
                };
                toasts.push(message);
                testing.set(false);
                tested.update(|v| *v += 1);
            });
        }
    };
    let remove_name = name.clone();
    let log_open = RwSignal::new(false);
    let details = NodeRef::<Details>::new();
    view! {
        <tr>
            <td class="primary-text">{name}</td>
            <td class="change">{hook.url}</td>
            <td>{enabled_pill(hook.enabled)}</td>
            <td class="time">{format_time(hook.created_at)}</td>
            <td class="actions">
                <button
                    type="button"
                    class="secondary"
                    on:click=run_test
                    disabled=move || testing.get()
                    aria-busy=move || testing.get().then_some("true")
                >
                    {t.overview.test}
                </button>
                <button
                    type="button"
                    class="danger"
                    on:click=move |_| dialog.open_for(id, remove_name.clone())
                >
                    {t.overview.remove}
                </button>
            </td>
        </tr>
        <tr class="delivery-row">
            <td colspan="5">
                <details
                    node_ref=details
                    class="delivery-log"
                    on:toggle=move |_| {
                        log_open.set(details.get().is_some_and(|d| d.open()));
                    }
                >
                    <summary>{t.overview.delivery_log}</summary>
                    {move || log_open.get().then(|| view! { <DeliveryLog id=id tested=tested /> })}
                </details>
            </td>
        </tr>
    }
}

#[component]
fn DeliveryLog(id: i64, tested: RwSignal<u64>) -> impl IntoView {
    let attempts = Resource::new(move || tested.get(), move |_| webhook_deliveries(id));
    view! {
        <Loaded resource=attempts let:list>
            <DeliveryTable list=list />
        </Loaded>
    }
}

#[component]
fn DeliveryTable(list: Vec<DeliveryView>) -> impl IntoView {
    let t = use_texts();
    if list.is_empty() {
        return view! { <p class="muted">{t.overview.no_deliveries}</p> }.into_any();
    }
    let rows = list
        .into_iter()
        .map(|d| {
            let result = if d.delivered {
                view! { <span class="pill ok">{t.overview.delivered}</span> }.into_any()
            } else {
                view! { <span class="pill bad">{failure(&d)}</span> }.into_any()
            };
            view! {
                <tr>
                    <td class="time">{format_time(d.at)}</td>
                    <td>{d.event}</td>
                    <td class="num">{d.attempt}</td>
                    <td class="num">
                        {d.status_code.map(|c| c.to_string()).unwrap_or_else(|| "—".into())}
                    </td>
                    <td>{result}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="data compact">
            <thead>
                <tr>
                    <th scope="col">{t.overview.col_time}</th>
                    <th scope="col">{t.overview.col_event}</th>
                    <th scope="col">{t.overview.col_attempt}</th>
                    <th scope="col">{t.overview.col_http}</th>
                    <th scope="col">{t.overview.col_result}</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{EN, NL};

    fn attempt(
        attempt: i64,
        status_code: Option<i64>,
        error: &str,
        delivered: bool,
    ) -> DeliveryView {
        DeliveryView {
            id: attempt,
            event: "test".into(),
            alert_id: None,
            attempt,
            status_code,
            error: error.into(),
            delivered,
            at: 1_700_000_000 + attempt,
        }
    }

    #[test]
    fn test_outcomes() {
        let ok = [
            attempt(1, Some(500), "", false),
            attempt(2, Some(204), "", true),
        ];
        assert_eq!(
            test_outcome(&EN, "Chat", &ok),
            "Test delivered to Chat (HTTP 204)."
        );
        let failed = [
            attempt(1, None, "timeout", false),
            attempt(2, Some(502), "", false),
        ];
        assert_eq!(
            test_outcome(&EN, "Chat", &failed),
            "Test not delivered to Chat: HTTP 502"
        );
        assert_eq!(
            test_outcome(&NL, "Chat", &[attempt(1, None, "timeout", false)]),
            "Test niet bezorgd bij Chat: timeout"
        );
        assert_eq!(test_outcome(&EN, "Chat", &[]), EN.overview.test_none);
    }
}
