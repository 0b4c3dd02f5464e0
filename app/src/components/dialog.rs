//! A modal confirmation dialog built on `<dialog>` (focus trapping and Escape come free).

use crate::i18n::use_texts;
use leptos::html::Dialog;
use leptos::prelude::*;

#[component]
pub fn ConfirmDialog(
    /// Open state; the dialog opens with `showModal()` when this turns true.
    open: RwSignal<bool>,
    #[prop(into)] title: Signal<String>,
    /// Body and the confirming form (usually an `ActionForm` whose submit button confirms).
    children: ChildrenFn,
) -> impl IntoView {
    let dialog = NodeRef::<Dialog>::new();
    Effect::new(move |_| {
        let want = open.get();
        if let Some(el) = dialog.get() {
            if want && !el.open() {
                let _ = el.show_modal();
            } else if !want && el.open() {
                el.close();
            }
        }
    });
    // One id per dialog (several dialogs share a page): derived from the title, so the server
    // and the browser compute the same one.
    let title_id = format!(
        "dialog-{}",
        title
            .get_untracked()
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect::<String>()
    );
    let labelled_by = title_id.clone();
    view! {
        <dialog
            node_ref=dialog
            class="dialog"
            aria-labelledby=labelled_by
            on:close=move |_| open.set(false)
        >
            <h2 id=title_id>{move || title.get()}</h2>
            {children()}
        </dialog>
    }
}

/// The dialog's action row: Cancel (closes) and the caller's confirming submit button.
#[component]
pub fn DialogActions(open: RwSignal<bool>, children: Children) -> impl IntoView {
    let t = use_texts();
    view! {
        <div class="dialog-actions">
            <button type="button" class="secondary" on:click=move |_| open.set(false)>
                {t.common.cancel}
            </button>
            {children()}
        </div>
    }
}

/// A confirmation about one row of a table: which row (id, name) and whether the dialog is open.
#[derive(Clone, Copy)]
pub struct RowDialog {
    pub target: RwSignal<(i64, String)>,
    pub open: RwSignal<bool>,
}

impl RowDialog {
    pub fn new() -> Self {
        RowDialog {
            target: RwSignal::new((0, String::new())),
            open: RwSignal::new(false),
        }
    }

    /// Opens the dialog about row `id`, called `name`.
    pub fn open_for(&self, id: i64, name: String) {
        self.target.set((id, name));
        self.open.set(true);
    }
}

impl Default for RowDialog {
    fn default() -> Self {
        Self::new()
    }
}
