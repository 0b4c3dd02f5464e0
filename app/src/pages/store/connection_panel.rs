//! One store connection's panel (facts, sync progress, last run, actions) and the panels that
//! offer to link a store that is not linked yet.

use super::connections::ConnectionActions;
use super::{connection_title, result_label, status_class, status_text, time_or_never};
use crate::domain::format_time;
use crate::domain::store::{ConnectionView, LANGUAGES, Store, SyncResult};
use crate::i18n::{fill, use_texts};
use leptos::prelude::*;

#[component]
pub(super) fn ConnectionPanel(
    c: ConnectionView,
    manage: bool,
    actions: ConnectionActions,
) -> impl IntoView {
    let t = use_texts();
    let title_id = format!("connection-{}", c.id);
    let labelled = title_id.clone();
    view! {
        <section class="panel connection" aria-labelledby=labelled>
            <div class="section-head">
                <h2 id=title_id>{connection_title(t, c.store, &c.name)}</h2>
                <span class=status_class(c.status)>{status_text(t, c.status)}</span>
            </div>
            <ConnectionFacts c=c.clone() />
            {(c.store != Store::Apple)
                .then(|| view! { <p class="muted">{t.store.language_note}</p> })}
            {c
                .running
                .clone()
                .map(|r| {
                    view! {
                        <div class="progress indeterminate" role="status">
                            <div class="bar"></div>
                            <span>
                                {fill(
                                    t.store.sync_running,
                                    if r.progress.is_empty() {
                                        t.store.starting.to_string()
                                    } else {
                                        r.progress.clone()
                                    },
                                )}
                            </span>
                        </div>
                    }
                })}
            {c
                .last_run
                .clone()
                .filter(|r| r.result != SyncResult::Running)
                .map(|r| {
                    view! {
                        <p class=if r.result == SyncResult::Failed {
                            "form-error"
                        } else {
                            "muted"
                        }>
                            {fill(
                                t.store.last_run,
                                format!(
                                    "{} · {}.",
                                    format_time(r.started_at),
                                    result_label(t, r.result),
                                ),
                            )} " "
                            {if r.result == SyncResult::Failed {
                                r.error.clone()
                            } else {
                                fill(
                                    t.store.run_counts,
                                    format!("{} / {} / {}", r.added, r.updated, r.retired),
                                )
                            }} " " <a href="/store/sync-runs">{t.store.sync_runs}</a>
                        </p>
                    }
                })}
            {manage.then(|| view! { <ConnectionButtons c=c actions=actions /> })}
        </section>
    }
}

#[component]
fn ConnectionFacts(c: ConnectionView) -> impl IntoView {
    let t = use_texts();
    let apple = c.store == Store::Apple;
    let language = LANGUAGES
        .iter()
        .find(|(code, _)| *code == c.language)
        .map(|(_, n)| n.to_string())
        .unwrap_or_else(|| c.language.clone());
    view! {
        <dl class="facts wrap">
            {apple
                .then(|| {
                    view! {
                        <div>
                            <dt>{t.store.organization}</dt>
                            <dd>{c.org_name.clone()}</dd>
                        </div>
                        <div>
                            <dt>{t.store.location}</dt>
                            <dd>{format!("{} ({})", c.location_name, c.country)}</dd>
                        </div>
                        <div>
                            <dt>{t.store.apple_id}</dt>
                            <dd>{c.account_login.clone()}</dd>
                        </div>
                        <div>
                            <dt>{t.store.expires}</dt>
                            <dd>{time_or_never(t, c.expires_at)}</dd>
                        </div>
                    }
                })}
            {(!apple)
                .then(|| {
                    view! {
                        <div>
                            <dt>{t.store.tenant}</dt>
                            <dd>
                                <code>{c.account_id.clone()}</code>
                            </dd>
                        </div>
                        <div>
                            <dt>{t.store.language}</dt>
                            <dd>{language}</dd>
                        </div>
                    }
                })} <div>
                <dt>{t.store.last_updated}</dt>
                <dd>{format_time(c.last_updated_at)}</dd>
            </div> <div>
                <dt>{t.store.last_synced}</dt>
                <dd>{time_or_never(t, c.last_synced_at)}</dd>
            </div> <div>
                <dt>{t.store.apps}</dt>
                <dd>
                    <a href="/store/apps">{c.apps}</a>
                </dd>
            </div> <div>
                <dt>{t.store.automatic}</dt>
                <dd>{if c.auto_sync { t.store.yes } else { t.store.no }}</dd>
            </div>
        </dl>
    }
}

/// Sync now, Upload a token (Apple), Configure sync, Remove connection.
#[component]
fn ConnectionButtons(c: ConnectionView, actions: ConnectionActions) -> impl IntoView {
    let t = use_texts();
    let ConnectionActions {
        sync,
        apple_open,
        renewing,
        configure_open,
        remove_open,
        target,
        ..
    } = actions;
    let id = c.id;
    let name = StoredValue::new(c.name.clone());
    let auto = c.auto_sync;
    let can_sync = c.status.can_sync() && c.running.is_none();
    view! {
        <div class="form-actions">
            <ActionForm action=sync>
                <input type="hidden" name="connection_id" value=id />
                <button type="submit" class="primary" disabled=!can_sync>
                    {t.store.sync_now}
                </button>
            </ActionForm>
            {(c.store == Store::Apple)
                .then(|| {
                    view! {
                        <button
                            type="button"
                            class="secondary"
                            on:click=move |_| {
                                renewing.set(true);
                                apple_open.set(true);
                            }
                        >
                            {t.store.upload_token}
                        </button>
                    }
                })}
            <button
                type="button"
                class="secondary"
                on:click=move |_| {
                    target.set((id, name.get_value(), auto));
                    configure_open.set(true);
                }
            >
                {t.store.configure_sync}
            </button>
            <button
                type="button"
                class="link danger small"
                on:click=move |_| {
                    target.set((id, name.get_value(), auto));
                    remove_open.set(true);
                }
            >
                {t.store.remove_connection}
            </button>
        </div>
    }
}

/// Panels that start linking the Apple store (`apple`) and the Microsoft store (`ms`).
#[component]
pub(super) fn LinkPanels(apple: bool, ms: bool, actions: ConnectionActions) -> impl IntoView {
    let t = use_texts();
    let ConnectionActions {
        apple_open,
        ms_open,
        renewing,
        ..
    } = actions;
    view! {
        {apple
            .then(|| {
                view! {
                    <section class="panel" aria-labelledby="link-apple-title">
                        <h2 id="link-apple-title">{t.store.apple}</h2>
                        <p class="muted">{t.store.apple_help}</p>
                        <button
                            type="button"
                            class="primary"
                            on:click=move |_| {
                                renewing.set(false);
                                apple_open.set(true);
                            }
                        >
                            {t.store.upload_token}
                        </button>
                    </section>
                }
            })}
        {ms
            .then(|| {
                view! {
                    <section class="panel" aria-labelledby="link-ms-title">
                        <h2 id="link-ms-title">{t.store.microsoft}</h2>
                        <p class="muted">{t.store.ms_help}</p>
                        <button type="button" class="secondary" on:click=move |_| ms_open.set(true)>
                            {t.store.link_ms}
                        </button>
                    </section>
                }
            })}
    }
}
