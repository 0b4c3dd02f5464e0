//! `/login` and `/setup`. Both forms post without JavaScript and show the server's errors.

use crate::api::{Setup, SignIn, current_admin, get_setup_status};
use crate::components::{ErrorView, Field, FormError, field_error};
use crate::i18n::use_texts;
use crate::pages::layout::HydrationMarker;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

#[component]
fn AuthCard(children: Children) -> impl IntoView {
    let t = use_texts();
    view! {
        <div class="auth-page">
            <div class="auth-card">
                <div class="brand auth-brand">
                    <span class="logo" aria-hidden="true">"LD"</span>
                    <span class="brand-name">{t.app_name}</span>
                </div>
                {children()}
            </div>
        </div>
        <HydrationMarker />
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let t = use_texts();
    let state = Resource::new(
        || (),
        |_| async { (get_setup_status().await, current_admin().await) },
    );
    let action = ServerAction::<SignIn>::new();
    let value = action.value();
    view! {
        <Title text=t.login_title />
        <AuthCard>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match state.await {
                        (Ok(s), _) if s.needs_setup => view! { <Redirect path="/setup" /> }.into_any(),
                        (_, Ok(Some(_))) => view! { <Redirect path="/" /> }.into_any(),
                        (Err(e), _) => view! { <ErrorView error=e /> }.into_any(),
                        (Ok(s), _) => view! {
                            <h1>{t.login_title}</h1>
                            <p class="muted">{t.login_intro} " " <strong>{s.org_name}</strong></p>
                            <ActionForm action=action attr:class="stack">
                                <Field label=t.username name="username" autocomplete="username" required=true autofocus=true error=field_error(value, "username") />
                                <Field label=t.password name="password" kind="password" autocomplete="current-password" required=true error=field_error(value, "password") />
                                <FormError value=value />
                                <button type="submit" class="primary" disabled=move || action.pending().get()>
                                    {t.sign_in}
                                </button>
                            </ActionForm>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </AuthCard>
    }
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let t = use_texts();
    let status = Resource::new(|| (), |_| get_setup_status());
    let action = ServerAction::<Setup>::new();
    let value = action.value();
    view! {
        <Title text=t.setup_title />
        <AuthCard>
            <h1>{t.setup_title}</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match status.await {
                        Err(e) => view! { <ErrorView error=e /> }.into_any(),
                        Ok(s) if !s.needs_setup => view! {
                            <p class="notice">{t.setup_closed}</p>
                            <a class="button primary" href="/login">{t.sign_in}</a>
                        }.into_any(),
                        Ok(_) => view! {
                            <p class="muted">{t.setup_intro}</p>
                            <ActionForm action=action attr:class="stack">
                                <Field label=t.org_name name="org_name" required=true autofocus=true error=field_error(value, "org_name") />
                                <Field label=t.display_name name="display_name" autocomplete="name" required=true error=field_error(value, "display_name") />
                                <Field label=t.username name="username" autocomplete="username" required=true error=field_error(value, "username") />
                                <Field label=t.password name="password" kind="password" autocomplete="new-password" required=true hint=t.password_hint error=field_error(value, "password") />
                                <Field label=t.password_confirm name="password_confirm" kind="password" autocomplete="new-password" required=true error=field_error(value, "password_confirm") />
                                <FormError value=value />
                                <button type="submit" class="primary" disabled=move || action.pending().get()>
                                    {t.create_admin}
                                </button>
                            </ActionForm>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </AuthCard>
    }
}
