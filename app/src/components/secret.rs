//! A secret shown once, right after it was made (a webhook's signing secret, an API token):
//! the box says so, shows the value to copy, an optional line on how to use it, and a button
//! that puts it away for good.

use leptos::prelude::*;

#[component]
pub fn OnceSecret(
    /// The `id` of the box's heading (the box is a region named by it).
    heading_id: &'static str,
    title: &'static str,
    /// Why it must be copied now.
    warning: &'static str,
    /// How to use it, when there is something to say.
    #[prop(optional)]
    usage: Option<&'static str>,
    dismiss_label: &'static str,
    secret: String,
    /// Cleared by the button.
    shown: RwSignal<Option<String>>,
) -> impl IntoView {
    view! {
        <section class="notice warn secret-box" aria-labelledby=heading_id>
            <h2 id=heading_id>{title}</h2>
            <p>
                <strong>{warning}</strong>
            </p>
            <p>
                <code class="secret" data-testid="once-secret">
                    {secret}
                </code>
            </p>
            {usage.map(|u| view! { <p class="muted">{u}</p> })}
            <button type="button" class="secondary" on:click=move |_| shown.set(None)>
                {dismiss_label}
            </button>
        </section>
    }
}
