//! `/login` and `/setup`. Both forms post without JavaScript and show the server's errors.

use crate::api::{Setup, SignIn, current_admin, get_setup_status};
use crate::components::{Field, FormError, Loaded, field_error};
use crate::domain::{ApiError, SetupStatus};
use crate::i18n::use_texts;
use crate::pages::layout::HydrationMarker;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use serde::{Deserialize, Serialize};

#[component]
fn AuthCard(children: Children) -> impl IntoView {
    let t = use_texts();
    view! {
        <div class="auth-page">
            <div class="auth-card">
                <div class="brand auth-brand">
                    <span class="logo" aria-hidden="true">
                        "LD"
                    </span>
                    <span class="brand-name">{t.shell.app_name}</span>
                </div>
                {children()}
            </div>
        </div>
        <HydrationMarker />
    }
}

/// What the sign-in page shows: the form, or a redirect when setup is still open or the
/// visitor is already signed in.
#[derive(Clone, Debug, Serialize, Deserialize)]
enum SignInState {
    NeedsSetup,
    SignedIn,
    Form(SetupStatus),
}

async fn sign_in_state() -> Result<SignInState, ApiError> {
    match (get_setup_status().await, current_admin().await) {
        (Ok(s), _) if s.needs_setup => Ok(SignInState::NeedsSetup),
        (_, Ok(Some(_))) => Ok(SignInState::SignedIn),
        (Err(e), _) => Err(e),
        (Ok(s), _) => Ok(SignInState::Form(s)),
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let t = use_texts();
    let state = Resource::new(|| (), |_| sign_in_state());
    let action = ServerAction::<SignIn>::new();
    let value = action.value();
    view! {
        <Title text=t.shell.login_title />
        <AuthCard>
            <Loaded resource=state suspense=true quiet=true let:state>
                {match state {
                    SignInState::NeedsSetup => view! { <Redirect path="/setup" /> }.into_any(),
                    SignInState::SignedIn => view! { <Redirect path="/" /> }.into_any(),
                    SignInState::Form(s) => {
                        view! {
                            <h1>{t.shell.login_title}</h1>
                            <p class="muted">
                                {t.shell.login_intro} " " <strong>{s.org_name}</strong>
                            </p>
                            <ActionForm action=action attr:class="stack">
                                <Field
                                    label=t.common.username
                                    name="username"
                                    autocomplete="username"
                                    required=true
                                    autofocus=true
                                    error=field_error(value, "username")
                                />
                                <Field
                                    label=t.common.password
                                    name="password"
                                    kind="password"
                                    autocomplete="current-password"
                                    required=true
                                    error=field_error(value, "password")
                                />
                                <FormError value=value />
                                <button
                                    type="submit"
                                    class="primary"
                                    disabled=move || action.pending().get()
                                >
                                    {t.shell.sign_in}
                                </button>
                            </ActionForm>
                        }
                            .into_any()
                    }
                }}
            </Loaded>
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
        <Title text=t.shell.setup_title />
        <AuthCard>
            <h1>{t.shell.setup_title}</h1>
            <Loaded resource=status suspense=true quiet=true let:s>
                {if !s.needs_setup {
                    view! {
                        <p class="notice">{t.shell.setup_closed}</p>
                        <a class="button primary" href="/login">
                            {t.shell.sign_in}
                        </a>
                    }
                        .into_any()
                } else {
                    view! {
                        <p class="muted">{t.shell.setup_intro}</p>
                        <ActionForm action=action attr:class="stack">
                            <Field
                                label=t.shell.org_name
                                name="org_name"
                                required=true
                                autofocus=true
                                error=field_error(value, "org_name")
                            />
                            <Field
                                label=t.common.display_name
                                name="display_name"
                                autocomplete="name"
                                required=true
                                error=field_error(value, "display_name")
                            />
                            <Field
                                label=t.common.username
                                name="username"
                                autocomplete="username"
                                required=true
                                error=field_error(value, "username")
                            />
                            <Field
                                label=t.common.password
                                name="password"
                                kind="password"
                                autocomplete="new-password"
                                required=true
                                hint=t.common.password_hint
                                error=field_error(value, "password")
                            />
                            <Field
                                label=t.shell.password_confirm
                                name="password_confirm"
                                kind="password"
                                autocomplete="new-password"
                                required=true
                                error=field_error(value, "password_confirm")
                            />
                            <FormError value=value />
                            <button
                                type="submit"
                                class="primary"
                                disabled=move || action.pending().get()
                            >
                                {t.shell.create_admin}
                            </button>
                        </ActionForm>
                    }
                        .into_any()
                }}
            </Loaded>
        </AuthCard>
    }
}
