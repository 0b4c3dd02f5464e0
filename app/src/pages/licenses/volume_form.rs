//! The volume agreement form: name, number sets (added and removed in place), the
//! license group; or the same as a CSV upload of number sets.

use super::new_agreement::{GroupChoiceFields, GroupChoiceState};
use crate::api::licenses::AddVolumeAgreement;
use crate::components::{CsvImport, FormError, field_error, urlencode, use_toasts};
use crate::domain::ApiError;
use crate::domain::licenses::LicenseGroupView;
use crate::i18n::{fill, use_texts};
use leptos::prelude::*;

#[component]
pub(super) fn VolumeForm(groups: Vec<LicenseGroupView>) -> impl IntoView {
    let t = use_texts();
    let action = ServerAction::<AddVolumeAgreement>::new();
    let rows = RwSignal::new(vec![0_u32]);
    let group = GroupChoiceState::new();
    let name = RwSignal::new(String::new());
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            toasts.push(t.licenses.toast_agreement_added);
            rows.set(vec![0]);
            name.set(String::new());
        }
    });
    let value = action.value();
    let upload_url = Signal::derive(move || {
        let choice = group.choice.get();
        let mut url = format!("/api/licenses/upload?group={choice}");
        if !name.get().trim().is_empty() {
            url.push_str(&format!("&name={}", urlencode(&name.get())));
        }
        match choice.as_str() {
            "new" => url.push_str(&format!("&new_group={}", urlencode(&group.new_group.get()))),
            "existing" => url.push_str(&format!("&group_id={}", group.group_id.get().unwrap_or(0))),
            _ => {}
        }
        url
    });
    view! {
        <section class="panel" aria-labelledby="volume-title">
            <h2 id="volume-title">{t.licenses.kind_volume_long}</h2>
            <p class="muted">{t.licenses.number_set_help}</p>
            <ul class="muted pairing">
                <li>{t.licenses.pairing_open_value}</li>
                <li>{t.licenses.pairing_open}</li>
                <li>{t.licenses.pairing_select}</li>
            </ul>
            <ActionForm action=action attr:class="stack">
                <div class="field">
                    <label for="f-name">{t.licenses.agreement_name}</label>
                    <input
                        id="f-name"
                        name="name"
                        required
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                        aria-describedby="f-name-hint"
                    />
                    <p class="hint" id="f-name-hint">
                        {t.licenses.agreement_name_hint}
                    </p>
                    {move || {
                        field_error(value, "name")
                            .get()
                            .map(|m| view! { <p class="field-error">{m}</p> })
                    }}
                </div>
                <NumberSets rows=rows action=action />
                <GroupChoiceFields state=group groups=groups.clone() prefix="" />
                {move || {
                    field_error(value, "group_name")
                        .get()
                        .map(|m| view! { <p class="field-error">{m}</p> })
                }}
                <FormError value=value />
                <div class="form-actions">
                    <button type="submit" class="primary">
                        {t.licenses.ok}
                    </button>
                </div>
            </ActionForm>
        </section>
        <section class="panel" aria-labelledby="upload-title">
            <h2 id="upload-title">{t.licenses.upload_csv}</h2>
            <p class="muted">{t.licenses.upload_csv_help}</p>
            <CsvImport
                kind="number-sets"
                url=upload_url
                label=t.licenses.number_set_file
                on_done=Callback::new(|_| ())
            />
            <p class="hint">{t.licenses.upload_uses_form}</p>
        </section>
    }
}

/// The number set rows (`firsts[i]`, `seconds[i]`), Add set, and the sets' error message.
/// `rows` holds a stable id per row, so removing one keeps the others' typed values.
#[component]
fn NumberSets(rows: RwSignal<Vec<u32>>, action: ServerAction<AddVolumeAgreement>) -> impl IntoView {
    let t = use_texts();
    let next_row = StoredValue::new(1_u32);
    let value = action.value();
    view! {
        <fieldset class="sets-fieldset">
            <legend>{t.licenses.number_sets}</legend>
            <For each=move || rows.get().into_iter().enumerate() key=|(_, r)| *r let:item>
                {
                    let (i, row) = item;
                    view! {
                        <div class="set-row">
                            <div class="field">
                                <label for=format!(
                                    "first-{row}",
                                )>{fill(t.licenses.first_number, i + 1)}</label>
                                <input
                                    id=format!("first-{row}")
                                    name=format!("firsts[{i}]")
                                    required
                                    maxlength="16"
                                />
                            </div>
                            <div class="field">
                                <label for=format!(
                                    "second-{row}",
                                )>{fill(t.licenses.second_number, i + 1)}</label>
                                <input
                                    id=format!("second-{row}")
                                    name=format!("seconds[{i}]")
                                    required
                                    maxlength="16"
                                />
                            </div>
                            <button
                                type="button"
                                class="secondary"
                                aria-label=fill(t.licenses.remove_set_n, i + 1)
                                disabled=move || rows.read().len() == 1
                                on:click=move |_| rows.update(|r| r.retain(|x| *x != row))
                            >
                                {t.licenses.remove_set}
                            </button>
                        </div>
                    }
                }
            </For>
            {move || {
                let v = value.get();
                v.and_then(|r| r.err())
                    .and_then(|e| match e {
                        ApiError::Invalid { field, message } if field.starts_with("sets") => {
                            Some(view! { <p class="field-error">{message}</p> })
                        }
                        _ => None,
                    })
            }}
            <button
                type="button"
                class="secondary"
                on:click=move |_| {
                    let n = next_row.get_value();
                    next_row.set_value(n + 1);
                    rows.update(|r| r.push(n));
                }
            >
                {t.licenses.add_set}
            </button>
        </fieldset>
    }
}
