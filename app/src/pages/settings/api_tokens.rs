//! `/settings/api-tokens` — tokens for the REST API (SPEC X-4). Every role sees the list (names,
//! roles, last use; never a secret); only a Global admin creates and revokes (the server
//! enforces it). A new token's secret is shown once, right after it is created.

use super::admin_table::RoleSelect;
use crate::api::tokens::{CreateApiToken, RevokeApiToken, list_api_tokens};
use crate::components::{
    ConfirmDialog, DialogActions, Field, FormError, Loaded, OnceSecret, RowDialog, can,
    field_error, toast_on_success,
};
use crate::domain::tokens::{ApiTokenView, TokenState};
use crate::domain::{Permission, Role, format_time};
use crate::i18n::{Texts, fill, use_texts};
use crate::pages::{Area, AreaTabs, role_label};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ApiTokensPage() -> impl IntoView {
    let t = use_texts();
    let manage = can(Permission::ManageAdmins);
    let create = ServerAction::<CreateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let dialog = RowDialog::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_api_tokens(),
    );
    toast_on_success(revoke.value(), t.tokens.toast_revoked);
    // The new token's secret, shown once (until dismissed or the page is left).
    let secret = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(created)) = create.value().get() {
            secret.set(Some(created.secret));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = revoke.value().get() {
            dialog.open.set(false);
        }
    });
    let target = dialog.target;
    view! {
        <Title text=t.tokens.title />
        <AreaTabs area=Area::Settings current=2 />
        <h1>{t.tokens.title}</h1>
        <p class="lead">{t.tokens.intro} " " <a href="/api/docs">{t.tokens.docs_link}</a></p>
        {(!manage)
            .then(|| {
                view! {
                    <p class="notice" role="note">
                        {t.tokens.read_only}
                    </p>
                }
            })}
        {move || {
            secret
                .get()
                .map(|s| {
                    view! {
                        <OnceSecret
                            heading_id="token-secret-title"
                            title=t.tokens.secret_title
                            warning=t.tokens.secret_once
                            usage=t.tokens.secret_use
                            dismiss_label=t.tokens.dismiss
                            secret=s
                            shown=secret
                        />
                    }
                })
        }}
        <section aria-labelledby="tokens-title">
            <h2 id="tokens-title">{t.tokens.list_title}</h2>
            <FormError value=revoke.value() />
            <Loaded resource=tokens let:list>
                <TokenTable list=list dialog=dialog manage=manage />
            </Loaded>
        </section>
        {manage
            .then(|| {
                view! {
                    <CreatePanel create=create />
                    <ConfirmDialog
                        open=dialog.open
                        title=Signal::stored(t.tokens.confirm_revoke_title.to_string())
                    >
                        <ActionForm action=revoke attr:class="stack">
                            <input type="hidden" name="id" value=move || target.get().0 />
                            <p>{move || fill(t.tokens.confirm_revoke_body, target.get().1)}</p>
                            <DialogActions open=dialog.open>
                                <button type="submit" class="danger">
                                    {t.tokens.revoke}
                                </button>
                            </DialogActions>
                        </ActionForm>
                    </ConfirmDialog>
                }
            })}
    }
}

fn state_pill(t: &'static Texts, state: TokenState) -> impl IntoView {
    let (class, text) = match state {
        TokenState::Active => ("pill ok", t.tokens.status_active),
        TokenState::Revoked => ("pill off", t.tokens.status_revoked),
        TokenState::Expired => ("pill warn", t.tokens.status_expired),
    };
    view! { <span class=class>{text}</span> }
}

#[component]
fn TokenTable(list: Vec<ApiTokenView>, dialog: RowDialog, manage: bool) -> impl IntoView {
    let t = use_texts();
    if list.is_empty() {
        return view! { <p class="empty-state">{t.tokens.none}</p> }.into_any();
    }
    let rows = list
        .into_iter()
        .map(|tok| {
            let state = tok.state();
            let (id, name) = (tok.id, tok.name.clone());
            let last_used = match (tok.last_used_at, tok.last_used_ip) {
                (Some(at), Some(ip)) => format!("{} {}", format_time(at), fill(t.tokens.from, ip)),
                (Some(at), None) => format_time(at),
                (None, _) => t.tokens.not_used.to_string(),
            };
            let action = (manage && state != TokenState::Revoked).then(|| {
                view! {
                    <button
                        type="button"
                        class="danger"
                        on:click=move |_| dialog.open_for(id, name.clone())
                    >
                        {t.tokens.revoke}
                    </button>
                }
            });
            view! {
                <tr>
                    <td class="primary-text">{tok.name}</td>
                    <td>{role_label(t, tok.role)}</td>
                    <td>
                        <code>{format!("{}…", tok.hint)}</code>
                    </td>
                    <td class="time">
                        {format_time(tok.created_at)} <br />
                        <span class="muted">{fill(t.tokens.by, tok.created_by)}</span>
                    </td>
                    <td class="time">
                        {tok.expires_at.map(format_time).unwrap_or_else(|| t.tokens.never.into())}
                    </td>
                    <td class="time">{last_used}</td>
                    <td>{state_pill(t, state)}</td>
                    {manage.then(|| view! { <td class="actions">{action}</td> })}
                </tr>
            }
        })
        .collect_view();
    // The table may scroll sideways on a narrow window: the scrolling box takes the keyboard
    // focus (there may be no button inside it to reach it with).
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label=t.tokens.caption>
            <table class="data">
                <caption class="visually-hidden">{t.tokens.caption}</caption>
                <thead>
                    <tr>
                        <th scope="col">{t.tokens.col_name}</th>
                        <th scope="col">{t.tokens.col_role}</th>
                        <th scope="col">{t.tokens.col_token}</th>
                        <th scope="col">{t.tokens.col_created}</th>
                        <th scope="col">{t.tokens.col_expires}</th>
                        <th scope="col">{t.tokens.col_last_used}</th>
                        <th scope="col">{t.tokens.col_status}</th>
                        {manage.then(|| view! { <th scope="col">{t.tokens.col_actions}</th> })}
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn CreatePanel(create: ServerAction<CreateApiToken>) -> impl IntoView {
    let t = use_texts();
    let value = create.value();
    toast_on_success(value, t.tokens.toast_created);
    view! {
        <section class="panel" aria-labelledby="create-token-title">
            <h2 id="create-token-title">{t.tokens.create_title}</h2>
            <ActionForm action=create attr:class="grid-form">
                <Field
                    label=t.tokens.name
                    name="name"
                    required=true
                    autocomplete="off"
                    hint=t.tokens.name_hint
                    error=field_error(value, "name")
                />
                <div class="field">
                    <label for="new-token-role">{t.tokens.role}</label>
                    <RoleSelect selected=Role::Reader id="new-token-role".to_string() />
                    {move || {
                        field_error(value, "role")
                            .get()
                            .map(|e| {
                                view! {
                                    <p class="field-error" role="alert">
                                        {e}
                                    </p>
                                }
                            })
                    }}
                </div>
                <Field
                    label=t.tokens.expires
                    name="expires_in_days"
                    kind="number"
                    hint=t.tokens.expires_hint
                    error=field_error(value, "expires_in_days")
                />
                <FormError value=value />
                <div class="form-actions">
                    <button type="submit" class="primary">
                        {t.tokens.create}
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}
