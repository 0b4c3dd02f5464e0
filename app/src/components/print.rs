//! Printing the current page (invoices, reports); the print style sheet hides the chrome.

use leptos::prelude::*;

/// A button that opens the browser's print dialog (print or save as PDF).
#[component]
pub fn PrintButton(label: &'static str) -> impl IntoView {
    view! {
        <button
            type="button"
            class="secondary"
            on:click=move |_| {
                #[cfg(feature = "hydrate")]
                if let Some(w) = web_sys::window() {
                    let _ = w.print();
                }
            }
        >
            {label}
        </button>
    }
}
