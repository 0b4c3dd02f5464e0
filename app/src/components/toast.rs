//! Toast notices: short confirmations in a polite live region.

use crate::domain::ApiError;
use crate::i18n::use_texts;
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Toasts(RwSignal<Vec<(u64, String)>>, StoredValue<u64>);

impl Toasts {
    pub fn push(&self, message: impl Into<String>) {
        let id = self.1.get_value() + 1;
        self.1.set_value(id);
        self.0.update(|list| list.push((id, message.into())));
        #[cfg(feature = "hydrate")]
        {
            let list = self.0;
            set_timeout(
                move || list.update(|l| l.retain(|(i, _)| *i != id)),
                std::time::Duration::from_secs(5),
            );
        }
    }
}

pub fn provide_toasts() -> Toasts {
    let toasts = Toasts(RwSignal::new(vec![]), StoredValue::new(0));
    provide_context(toasts);
    toasts
}

pub fn use_toasts() -> Toasts {
    use_context::<Toasts>().expect("Toaster is provided by the shell")
}

/// Pushes `message` whenever `value` (an action's result) turns into a success.
pub fn toast_on_success<T, V>(value: V, message: &'static str)
where
    T: 'static,
    V: With<Value = Option<Result<T, ApiError>>> + Copy + Send + Sync + 'static,
{
    let toasts = use_toasts();
    Effect::new(move |_| {
        if value.with(|v| matches!(v, Some(Ok(_)))) {
            toasts.push(message);
        }
    });
}

#[component]
pub fn Toaster() -> impl IntoView {
    let t = use_texts();
    let toasts = use_toasts();
    view! {
        <div class="toasts" role="status" aria-live="polite">
            <For each=move || toasts.0.get() key=|(id, _)| *id let:item>
                <div class="toast">
                    <span>{item.1.clone()}</span>
                    <button
                        type="button"
                        class="link"
                        aria-label=t.common.dismiss
                        on:click=move |_| toasts.0.update(|l| l.retain(|(i, _)| *i != item.0))
                    >
                        "×"
                    </button>
                </div>
            </For>
        </div>
    }
}
