//! Form fields that show the server's message for their field.

use crate::domain::ApiError;
use leptos::prelude::*;

/// Ids as one form value: `3,12,40`.
pub fn join_ids(ids: impl IntoIterator<Item = i64>) -> String {
    ids.into_iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Ticks or unticks `id` in a selection (the checkbox column of a table).
pub fn toggle_id(selected: RwSignal<Vec<i64>>, id: i64) {
    selected.update(|s| {
        if let Some(p) = s.iter().position(|x| *x == id) {
            s.remove(p);
        } else {
            s.push(id);
        }
    });
}

/// The server's message for `field` from an action's last result.
pub fn field_error<T, V>(value: V, field: &'static str) -> Signal<Option<String>>
where
    T: 'static,
    V: With<Value = Option<Result<T, ApiError>>> + Copy + Send + Sync + 'static,
{
    Signal::derive(move || {
        value.with(|v| match v {
            Some(Err(e)) => e.field_message(field),
            _ => None,
        })
    })
}

#[component]
pub fn Field(
    #[prop(into)] label: String,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(into, optional)] error: Option<Signal<Option<String>>>,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional, into)] value: Option<String>,
    #[prop(optional)] autofocus: bool,
) -> impl IntoView {
    let id = format!("f-{name}");
    let err_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let error = error.unwrap_or_else(|| Signal::derive(|| None));
    let has_hint = hint.is_some();
    let described = {
        let err_id = err_id.clone();
        let hint_id = hint_id.clone();
        move || {
            let mut ids = vec![];
            if has_hint {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(err_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            <input
                id=id.clone()
                name=name
                type=kind
                autocomplete=autocomplete
                required=required
                autofocus=autofocus
                value=value
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=described
            />
            {hint
                .map(|h| {
                    view! {
                        <p class="hint" id=hint_id.clone()>
                            {h}
                        </p>
                    }
                })}
            {move || {
                error
                    .get()
                    .map(|m| {
                        view! {
                            <p class="field-error" id=err_id.clone()>
                                {m}
                            </p>
                        }
                    })
            }}
        </div>
    }
}

/// Shows an action's error when it is not about one field (conflict, throttling, …).
#[component]
pub fn FormError<T, V>(value: V) -> impl IntoView
where
    T: 'static,
    V: With<Value = Option<Result<T, ApiError>>> + Copy + Send + Sync + 'static,
{
    move || {
        value.with(|v| match v {
            Some(Err(ApiError::Invalid { .. })) | None | Some(Ok(_)) => None,
            Some(Err(e)) => Some(view! {
                <p class="form-error" role="alert">
                    {e.to_string()}
                </p>
            }),
        })
    }
}
