//! Assign licenses: type a user or group name, pick from the results (several),
//! Assign.

use crate::api::billing::{AssignIsv, search_principals};
use crate::components::{FormError, MultiPicker, Pickable, PickedChips};
use crate::domain::billing::Principal;
use crate::i18n::{Texts, use_texts};
use leptos::prelude::*;

impl Pickable for Principal {
    type Key = (String, i64);
    fn key(&self) -> (String, i64) {
        (self.kind.clone(), self.id)
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn result_label(&self, _: &'static Texts) -> String {
        format!("{} — {}", self.name, self.detail)
    }
}

/// `user:12,group:3`: the picked principals as the form sends them.
fn principal_list(list: &[Principal]) -> String {
    list.iter()
        .map(|p| format!("{}:{}", p.kind, p.id))
        .collect::<Vec<_>>()
        .join(",")
}

#[component]
pub(super) fn AssignPanel(app_id: i64, action: ServerAction<AssignIsv>) -> impl IntoView {
    let t = use_texts();
    let picked = RwSignal::new(Vec::<Principal>::new());
    let value = action.value();
    view! {
        <MultiPicker
            title_id="assign-title"
            title=t.billing.assign_licenses
            input_id="principal-search"
            list_id="principal-results"
            label=t.billing.type_user_or_group
            search=search_principals
            picked=picked
            done=Signal::derive(move || matches!(value.get(), Some(Ok(_))))
        >
            <ActionForm action=action attr:class="stack">
                <input type="hidden" name="app_id" value=app_id />
                <input
                    type="hidden"
                    name="principals"
                    prop:value=move || principal_list(&picked.read())
                />
                <PickedChips picked=picked />
                <FormError value=value />
                <div class="form-actions">
                    <button type="submit" class="primary" disabled=move || picked.read().is_empty()>
                        {t.billing.assign}
                    </button>
                </div>
            </ActionForm>
        </MultiPicker>
    }
}
