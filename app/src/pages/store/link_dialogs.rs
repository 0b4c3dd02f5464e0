//! Linking a store: upload an Apple location token (also to renew it), or enter a Microsoft
//! tenant's application credentials.

use crate::api::store::{LinkApple, LinkMicrosoft};
use crate::components::{ConfirmDialog, DialogActions, Field, FormError, field_error};
use crate::domain::store::LANGUAGES;
use crate::i18n::use_texts;
use leptos::prelude::*;

/// Reads the chosen token file into `into` (browser only).
#[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
fn read_file(input: NodeRef<leptos::html::Input>, into: RwSignal<String>) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;
        if let Some(file) = input.get().and_then(|i| i.files()).and_then(|f| f.get(0)) {
            let blob: &web_sys::Blob = file.unchecked_ref();
            let done = Closure::once(move |v: wasm_bindgen::JsValue| {
                into.set(v.as_string().unwrap_or_default());
            });
            let _ = blob.text().then(&done);
            done.forget();
        }
    }
}

#[component]
pub(super) fn AppleDialog(
    open: RwSignal<bool>,
    renewing: RwSignal<bool>,
    action: ServerAction<LinkApple>,
) -> impl IntoView {
    let t = use_texts();
    let file = NodeRef::<leptos::html::Input>::new();
    let content = RwSignal::new(String::new());
    let value = action.value();
    view! {
        <ConfirmDialog open=open title=Signal::stored(t.store.upload_token.to_string())>
            <ActionForm action=action attr:class="stack">
                <p class="muted">{t.store.token_help}</p>
                <div class="field">
                    <label for="f-token-file">{t.store.token_file}</label>
                    <input
                        id="f-token-file"
                        type="file"
                        accept=".vpptoken,text/plain"
                        node_ref=file
                        on:change=move |_| read_file(file, content)
                    />
                    {move || {
                        field_error(value, "token_file")
                            .get()
                            .map(|m| {
                                view! {
                                    <p class="field-error" role="alert">
                                        {m}
                                    </p>
                                }
                            })
                    }}
                </div>
                <input type="hidden" name="form[token_file]" prop:value=move || content.get() />
                <Field
                    label=t.store.token_name
                    name="form[name]"
                    required=true
                    hint=t.store.token_name_hint
                    error=field_error(value, "name")
                />
                <Field
                    label=t.store.apple_id
                    name="form[apple_id]"
                    kind="email"
                    required=true
                    error=field_error(value, "apple_id")
                />
                <div class="notice warn" role="note">
                    {t.store.one_product_warning}
                </div>
                {move || {
                    (!renewing.get())
                        .then(|| {
                            view! {
                                <label class="check">
                                    <input type="checkbox" name="form[confirmed]" value="true" />
                                    {t.store.confirm_no_switch}
                                </label>
                            }
                        })
                }}
                {move || {
                    field_error(value, "confirmed")
                        .get()
                        .map(|m| {
                            view! {
                                <p class="field-error" role="alert">
                                    {m}
                                </p>
                            }
                        })
                }}
                <FormError value=value />
                <DialogActions open=open>
                    <button
                        type="submit"
                        class="primary"
                        disabled=move || content.read().is_empty()
                    >
                        {t.store.upload}
                    </button>
                </DialogActions>
            </ActionForm>
        </ConfirmDialog>
    }
}

#[component]
pub(super) fn MicrosoftDialog(
    open: RwSignal<bool>,
    action: ServerAction<LinkMicrosoft>,
) -> impl IntoView {
    let t = use_texts();
    let value = action.value();
    view! {
        <ConfirmDialog open=open title=Signal::stored(t.store.link_ms.to_string())>
            <ActionForm action=action attr:class="stack">
                <Field
                    label=t.store.tenant
                    name="form[tenant_id]"
                    required=true
                    error=field_error(value, "tenant_id")
                />
                <Field
                    label=t.store.client_id
                    name="form[client_id]"
                    required=true
                    error=field_error(value, "client_id")
                />
                <Field
                    label=t.store.client_secret
                    name="form[client_secret]"
                    kind="password"
                    autocomplete="off"
                    required=true
                    error=field_error(value, "client_secret")
                />
                <div class="field">
                    <label for="f-language">{t.store.language}</label>
                    <select id="f-language" name="form[language]">
                        {LANGUAGES
                            .iter()
                            .map(|(code, name)| view! { <option value=*code>{*name}</option> })
                            .collect_view()}
                    </select>
                    <p class="hint">{t.store.language_note}</p>
                    {move || {
                        field_error(value, "language")
                            .get()
                            .map(|m| {
                                view! {
                                    <p class="field-error" role="alert">
                                        {m}
                                    </p>
                                }
                            })
                    }}
                </div>
                <label class="check">
                    <input type="checkbox" name="form[confirmed]" value="true" />
                    {t.store.confirm_no_switch}
                </label>
                {move || {
                    field_error(value, "confirmed")
                        .get()
                        .map(|m| {
                            view! {
                                <p class="field-error" role="alert">
                                    {m}
                                </p>
                            }
                        })
                }}
                <FormError value=value />
                <DialogActions open=open>
                    <button type="submit" class="primary">
                        {t.store.link}
                    </button>
                </DialogActions>
            </ActionForm>
        </ConfirmDialog>
    }
}
