//! The type-ahead multi-picker: type at least two characters, pick several results (they become
//! chips), then submit them all at once. Used for group members, ISV license assignments and
//! store deployments; each caller names its ids and labels and supplies its own form.

use crate::domain::ApiError;
use crate::i18n::{Texts, fill, use_texts};
use leptos::prelude::*;
use serde::{Serialize, de::DeserializeOwned};
use std::future::Future;
use std::hash::Hash;

/// Something a [`MultiPicker`] can find and pick.
pub trait Pickable: Clone + Send + Sync + Serialize + DeserializeOwned + 'static {
    /// Identity: the same key is never picked twice.
    type Key: Clone + PartialEq + Eq + Hash + Send + Sync + 'static;
    fn key(&self) -> Self::Key;
    /// The name in the chip's remove button ("Remove {} from the selection").
    fn name(&self) -> &str;
    /// The text of a search result.
    fn result_label(&self, t: &'static Texts) -> String;
    /// The text of the chip once picked.
    fn chip_label(&self, _t: &'static Texts) -> String {
        self.name().to_string()
    }
}

/// The panel: heading, the search field (a combobox), the result list, then `children` — the
/// caller's form, which holds the hidden inputs, [`PickedChips`] and the submit button.
#[component]
pub fn MultiPicker<T, S, Fut>(
    /// Id of the panel's heading.
    title_id: &'static str,
    title: &'static str,
    /// Id of the search input; the result list is `list_id`.
    input_id: &'static str,
    list_id: &'static str,
    label: &'static str,
    #[prop(optional)] placeholder: Option<&'static str>,
    /// Results say `aria-selected="true"` when already picked (otherwise always "false").
    #[prop(optional)]
    mark_picked: bool,
    /// The server search, called with the typed text once it has two characters.
    search: S,
    picked: RwSignal<Vec<T>>,
    /// True once the form's last submission succeeded: the picks and the text are cleared.
    #[prop(into)]
    done: Signal<bool>,
    children: Children,
) -> impl IntoView
where
    T: Pickable,
    S: Fn(String) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Result<Vec<T>, ApiError>> + Send + 'static,
{
    let t = use_texts();
    let text = RwSignal::new(String::new());
    let results = Resource::new(
        move || text.get(),
        move |q| async move {
            if q.trim().len() < 2 {
                Ok(vec![])
            } else {
                search(q).await
            }
        },
    );
    Effect::new(move |_| {
        if done.get() {
            picked.set(vec![]);
            text.set(String::new());
        }
    });
    view! {
        <section class="panel picker" aria-labelledby=title_id>
            <h2 id=title_id>{title}</h2>
            <div class="field">
                <label for=input_id>{label}</label>
                <input
                    id=input_id
                    type="search"
                    autocomplete="off"
                    role="combobox"
                    aria-controls=list_id
                    aria-expanded=move || (!text.read().is_empty()).to_string()
                    prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))
                    placeholder=placeholder
                />
            </div>
            <ul id=list_id class="results" role="listbox" aria-label=t.common.search_results>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let list = results.await.unwrap_or_default();
                        list.into_iter()
                            .map(|item| {
                                let key = item.key();
                                let selected = mark_picked
                                    && picked.read_untracked().iter().any(|p| p.key() == key);
                                let label = item.result_label(t);
                                view! {
                                    <li role="option" aria-selected=selected.to_string()>
                                        <button
                                            type="button"
                                            class="result"
                                            on:click=move |_| pick(picked, item.clone())
                                        >
                                            {label}
                                        </button>
                                    </li>
                                }
                            })
                            .collect_view()
                    })}
                </Transition>
            </ul>
            {children()}
        </section>
    }
}

/// Adds `item` to the picks unless it is there already.
fn pick<T: Pickable>(picked: RwSignal<Vec<T>>, item: T) {
    picked.update(|list| {
        if !list.iter().any(|x| x.key() == item.key()) {
            list.push(item)
        }
    });
}

/// The picked items as chips, each with a button that takes it out again.
#[component]
pub fn PickedChips<T: Pickable>(picked: RwSignal<Vec<T>>) -> impl IntoView {
    let t = use_texts();
    view! {
        <div class="chips" aria-live="polite">
            <For each=move || picked.get() key=|p| p.key() let:p>
                <span class="chip">
                    {p.chip_label(t)}
                    <button
                        type="button"
                        class="link"
                        aria-label=fill(t.common.remove_from_selection, p.name())
                        on:click={
                            let key = p.key();
                            move |_| picked.update(|list| list.retain(|x| x.key() != key))
                        }
                    >
                        "×"
                    </button>
                </span>
            </For>
        </div>
    }
}
