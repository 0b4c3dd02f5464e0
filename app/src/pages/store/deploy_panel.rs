//! Deploy: find users, groups or devices, pick several, choose the intent, Deploy.

use super::kind_label;
use crate::api::store::{Deploy, search_targets};
use crate::components::{FormError, MultiPicker, Pickable, PickedChips, field_error};
use crate::domain::store::{Target, TargetKind, format_targets};
use crate::i18n::{Texts, use_texts};
use leptos::prelude::*;

impl Pickable for Target {
    type Key = (TargetKind, i64);
    fn key(&self) -> (TargetKind, i64) {
        (self.kind, self.id)
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn result_label(&self, t: &'static Texts) -> String {
        format!(
            "{} — {} · {}",
            self.name,
            kind_label(t, self.kind),
            self.detail
        )
    }
    fn chip_label(&self, t: &'static Texts) -> String {
        format!("{} ({})", self.name, kind_label(t, self.kind))
    }
}

#[component]
pub(super) fn DeployPanel(app_id: i64, action: ServerAction<Deploy>) -> impl IntoView {
    let t = use_texts();
    let picked = RwSignal::new(Vec::<Target>::new());
    let value = action.value();
    let targets = move || {
        format_targets(
            &picked
                .read()
                .iter()
                .map(|p| (p.kind, p.id))
                .collect::<Vec<_>>(),
        )
    };
    view! {
        <MultiPicker
            title_id="deploy-title"
            title=t.store.deploy
            input_id="target-search"
            list_id="target-results"
            label=t.store.find_targets
            search=search_targets
            picked=picked
            done=Signal::derive(move || matches!(value.get(), Some(Ok(_))))
        >
            <ActionForm action=action attr:class="stack">
                <input type="hidden" name="app_id" value=app_id />
                <input type="hidden" name="targets" prop:value=targets />
                <PickedChips picked=picked />
                <div class="field">
                    <label for="deploy-intent">{t.store.intent}</label>
                    <select id="deploy-intent" name="intent">
                        <option value="required">{t.store.required}</option>
                        <option value="available">{t.store.available_intent}</option>
                        <option value="uninstall">{t.store.uninstall}</option>
                    </select>
                </div>
                {move || {
                    field_error(value, "targets")
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
                <div class="form-actions">
                    <button type="submit" class="primary" disabled=move || picked.read().is_empty()>
                        {t.store.deploy}
                    </button>
                </div>
            </ActionForm>
        </MultiPicker>
    }
}
