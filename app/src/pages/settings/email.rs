//! The E-mail panel of `/settings/notifications` (SPEC X-2): the SMTP settings that mail new
//! alerts, a Test button that reports the outcome, and the recent send log. Global admins only
//! (mounted by the notifications page for them; the server refuses everyone else).

use crate::api::email::{EmailSendView, EmailSettingsView, SaveEmailSettings, email_log};
use crate::api::email::{get_email_settings, test_email};
use crate::components::{Field, FormError, Loaded, field_error, use_toasts};
use crate::domain::{ApiError, format_time};
use crate::i18n::{Texts, fill, use_texts};
use leptos::prelude::*;

#[component]
pub fn EmailPanel() -> impl IntoView {
    let t = use_texts();
    let toasts = use_toasts();
    let save = ServerAction::<SaveEmailSettings>::new();
    // Bumped after a successful save or a test: the settings and the log reload.
    let saved = RwSignal::new(0_u64);
    let tested = RwSignal::new(0_u64);
    Effect::new(move |_| {
        if let Some(Ok(())) = save.value().get() {
            toasts.push(t.email.toast_saved.to_string());
            saved.update(|v| *v += 1);
        }
    });
    let settings = Resource::new(move || saved.get(), |_| get_email_settings());
    let log = Resource::new(move || (saved.get(), tested.get()), |_| email_log());
    let testing = RwSignal::new(false);
    let run_test = move |_| {
        testing.set(true);
        leptos::task::spawn_local(async move {
            toasts.push(test_outcome(t, test_email().await));
            testing.set(false);
            tested.update(|v| *v += 1);
        });
    };
    view! {
        <section class="panel email-panel" aria-labelledby="email-title">
            <h2 id="email-title">{t.email.title}</h2>
            <p>{t.email.intro}</p>
            <Loaded resource=settings let:s>
                <EmailForm settings=s save=save />
            </Loaded>
            <div class="form-actions">
                <button
                    type="button"
                    class="secondary"
                    on:click=run_test
                    disabled=move || testing.get()
                    aria-busy=move || testing.get().then_some("true")
                >
                    {t.email.test}
                </button>
            </div>
            <h3>{t.email.log}</h3>
            <Loaded resource=log let:list>
                <SendTable list=list />
            </Loaded>
        </section>
    }
}

/// The Test button's outcome in a sentence: sent (to how many), or the last error.
fn test_outcome(t: &'static Texts, result: Result<Vec<EmailSendView>, ApiError>) -> String {
    match result {
        Err(e) => e.to_string(),
        Ok(attempts) => {
            if let Some(ok) = attempts.iter().find(|a| a.delivered) {
                fill(t.email.test_ok, ok.recipients)
            } else if let Some(last) = attempts.last() {
                fill(t.email.test_failed, &last.error)
            } else {
                t.email.test_none.to_string()
            }
        }
    }
}

#[component]
fn EmailForm(settings: EmailSettingsView, save: ServerAction<SaveEmailSettings>) -> impl IntoView {
    let t = use_texts();
    let value = save.value();
    let security_error = field_error(value, "security");
    let recipients_error = field_error(value, "recipients");
    let status = match settings.updated_at {
        Some(at) if settings.configured => fill(t.email.last_saved, format_time(at)),
        _ => t.email.not_configured.to_string(),
    };
    let password_hint = if settings.password_set {
        t.email.password_set
    } else {
        t.email.password_not_set
    };
    let current = settings.security.clone();
    let options = [
        ("starttls", t.email.security_starttls),
        ("tls", t.email.security_tls),
        ("none", t.email.security_none),
    ]
    .into_iter()
    .map(|(v, label)| {
        view! {
            <option value=v selected=current == v>
                {label}
            </option>
        }
    })
    .collect_view();
    view! {
        <p class="muted">{status}</p>
        <ActionForm action=save attr:class="grid-form">
            <Field
                label=t.email.host
                name="form[host]"
                required=true
                autocomplete="off"
                hint=t.email.host_hint
                value=settings.host.clone()
                error=field_error(value, "host")
            />
            <Field
                label=t.email.port
                name="form[port]"
                kind="number"
                required=true
                hint=t.email.port_hint
                value=settings.port.to_string()
                error=field_error(value, "port")
            />
            <div class="field" class:has-error=move || security_error.get().is_some()>
                <label for="f-email-security">{t.email.security}</label>
                <select id="f-email-security" name="form[security]">
                    {options}
                </select>
                <p class="hint">{t.email.security_hint}</p>
                {move || security_error.get().map(|m| view! { <p class="field-error">{m}</p> })}
            </div>
            <Field
                label=t.email.username
                name="form[username]"
                autocomplete="off"
                hint=t.email.username_hint
                value=settings.username.clone()
                error=field_error(value, "username")
            />
            <Field
                label=t.email.password
                name="form[password]"
                kind="password"
                autocomplete="new-password"
                hint=password_hint
                error=field_error(value, "password")
            />
            <Field
                label=t.email.from
                name="form[from]"
                required=true
                autocomplete="off"
                hint=t.email.from_hint
                value=settings.from.clone()
                error=field_error(value, "from")
            />
            <div class="field wide" class:has-error=move || recipients_error.get().is_some()>
                <label for="f-email-recipients">{t.email.recipients}</label>
                <textarea
                    id="f-email-recipients"
                    name="form[recipients]"
                    rows="3"
                    required=true
                    aria-invalid=move || recipients_error.get().is_some().then_some("true")
                >
                    {settings.recipients.join("\n")}
                </textarea>
                <p class="hint">{t.email.recipients_hint}</p>
                {move || recipients_error.get().map(|m| view! { <p class="field-error">{m}</p> })}
            </div>
            <div class="field checkbox wide">
                <label>
                    <input
                        type="checkbox"
                        name="form[enabled]"
                        value="on"
                        checked=settings.enabled
                    />
                    " "
                    {t.email.enabled}
                </label>
            </div>
            <FormError value=value />
            <div class="form-actions">
                <button type="submit" class="primary">
                    {t.email.save}
                </button>
            </div>
        </ActionForm>
    }
}

#[component]
fn SendTable(list: Vec<EmailSendView>) -> impl IntoView {
    let t = use_texts();
    if list.is_empty() {
        return view! { <p class="muted">{t.email.no_sends}</p> }.into_any();
    }
    let rows = list
        .into_iter()
        .map(|s| {
            let what = match s.alert_id {
                Some(id) if s.event != "test" => fill(t.email.event_alert, id),
                _ => t.email.event_test.to_string(),
            };
            let result = if s.delivered {
                view! { <span class="pill ok">{t.email.sent}</span> }.into_any()
            } else {
                view! { <span class="pill bad">{s.error.clone()}</span> }.into_any()
            };
            view! {
                <tr>
                    <td class="time">{format_time(s.at)}</td>
                    <td>{what}</td>
                    <td class="num">{s.attempt}</td>
                    <td class="num">{s.recipients}</td>
                    <td>{result}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="data compact">
            <thead>
                <tr>
                    <th scope="col">{t.email.col_time}</th>
                    <th scope="col">{t.email.col_what}</th>
                    <th scope="col">{t.email.col_attempt}</th>
                    <th scope="col">{t.email.col_recipients}</th>
                    <th scope="col">{t.email.col_result}</th>
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

    fn attempt(n: i64, delivered: bool, error: &str) -> EmailSendView {
        EmailSendView {
            id: n,
            event: "test".into(),
            alert_id: None,
            attempt: n,
            recipients: 2,
            delivered,
            error: error.into(),
            at: 1_700_000_000 + n,
        }
    }

    #[test]
    fn test_outcomes() {
        assert_eq!(
            test_outcome(&EN, Ok(vec![attempt(1, false, "x"), attempt(2, true, "")])),
            "Test message sent to 2 recipient(s)."
        );
        assert_eq!(
            test_outcome(&NL, Ok(vec![attempt(1, false, "no answer")])),
            "Testbericht niet verstuurd: no answer"
        );
        assert_eq!(test_outcome(&EN, Ok(vec![])), EN.email.test_none);
        assert_eq!(
            test_outcome(&EN, Err(ApiError::Forbidden)),
            ApiError::Forbidden.to_string()
        );
    }
}
