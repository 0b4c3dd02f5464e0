//! The form for other agreements: publisher and product from the software catalog
//! (type-ahead), number of licenses, dates, details and the license group.

use super::new_agreement::{GroupChoiceFields, GroupChoiceState};
use crate::api::licenses::{AddOtherAgreement, catalog_products, catalog_publishers};
use crate::components::{Field, FormError, field_error, toast_on_success};
use crate::domain::licenses::LicenseGroupView;
use crate::i18n::use_texts;
use leptos::prelude::*;

#[component]
pub(super) fn OtherForm(groups: Vec<LicenseGroupView>) -> impl IntoView {
    let t = use_texts();
    let action = ServerAction::<AddOtherAgreement>::new();
    let publisher = RwSignal::new(String::new());
    let product = RwSignal::new(String::new());
    let group = GroupChoiceState::new();
    let publishers = Resource::new(
        move || publisher.get(),
        |q| async move {
            if q.trim().len() < 2 {
                vec![]
            } else {
                catalog_publishers(q).await.unwrap_or_default()
            }
        },
    );
    let products = Resource::new(
        move || (publisher.get(), product.get()),
        |(p, q)| async move {
            if p.trim().is_empty() {
                vec![]
            } else {
                catalog_products(p, q).await.unwrap_or_default()
            }
        },
    );
    toast_on_success(action.value(), t.licenses.toast_agreement_added);
    let value = action.value();
    let err = move |f: &'static str| field_error(value, f);
    view! {
        <section class="panel" aria-labelledby="other-title">
            <h2 id="other-title">{t.licenses.kind_other_long}</h2>
            <p class="muted">{t.licenses.other_help}</p>
            <ActionForm action=action attr:class="grid-form">
                <Field
                    label=t.licenses.agreement_name
                    name="form[name]"
                    required=true
                    error=err("name")
                />
                <TypeAhead
                    id="publisher"
                    label=t.common.col_publisher
                    value=publisher
                    suggestions=publishers
                />
                <TypeAhead
                    id="product"
                    label=t.common.col_product
                    value=product
                    suggestions=products
                    disabled=Signal::derive(move || publisher.read().trim().is_empty())
                />
                <input type="hidden" name="form[publisher]" prop:value=move || publisher.get() />
                <input type="hidden" name="form[product]" prop:value=move || product.get() />
                {move || {
                    err("publisher")
                        .get()
                        .or_else(|| err("product").get())
                        .map(|m| view! { <p class="field-error wide">{m}</p> })
                }}
                <Field
                    label=t.licenses.number_of_licenses
                    name="form[license_count]"
                    kind="number"
                    required=true
                    error=err("license_count")
                />
                <Field
                    label=t.licenses.starts_on
                    name="form[starts_on]"
                    kind="date"
                    error=err("starts_on")
                />
                <Field
                    label=t.licenses.ends_on
                    name="form[ends_on]"
                    kind="date"
                    error=err("ends_on")
                />
                <div class="field wide">
                    <label for="f-details">{t.licenses.details}</label>
                    <textarea id="f-details" name="form[details]" rows="3"></textarea>
                </div>
                <div class="wide">
                    <GroupChoiceFields state=group groups=groups prefix="form" />
                </div>
                <FormError value=value />
                <div class="form-actions">
                    <button type="submit" class="primary">
                        {t.licenses.ok}
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}

/// A text field with suggestions from the server shown as buttons (keyboard reachable).
#[component]
fn TypeAhead(
    id: &'static str,
    #[prop(into)] label: String,
    value: RwSignal<String>,
    suggestions: Resource<Vec<String>>,
    #[prop(optional, into)] disabled: Option<Signal<bool>>,
) -> impl IntoView {
    let t = use_texts();
    let open = RwSignal::new(false);
    let disabled = disabled.unwrap_or_else(|| Signal::stored(false));
    view! {
        <div class="field typeahead">
            <label for=id>{label}</label>
            <input
                id=id
                type="search"
                autocomplete="off"
                role="combobox"
                aria-controls=format!("{id}-list")
                aria-expanded=move || open.get().to_string()
                disabled=move || disabled.get()
                prop:value=move || value.get()
                on:input=move |ev| {
                    value.set(event_target_value(&ev));
                    open.set(true);
                }
            />
            <Show when=move || open.get()>
                <ul
                    class="results"
                    id=format!("{id}-list")
                    role="listbox"
                    aria-label=t.common.search_results
                >
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            suggestions
                                .await
                                .into_iter()
                                .map(|s| {
                                    let pick = s.clone();
                                    view! {
                                        <li role="option">
                                            <button
                                                type="button"
                                                class="result"
                                                on:click=move |_| {
                                                    value.set(pick.clone());
                                                    open.set(false);
                                                }
                                            >
                                                {s}
                                            </button>
                                        </li>
                                    }
                                })
                                .collect_view()
                        })}
                    </Transition>
                </ul>
            </Show>
        </div>
    }
}
