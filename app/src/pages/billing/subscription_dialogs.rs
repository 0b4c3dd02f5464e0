//! The subscription page's dialogs: change quantity, change billing profile, cancel.

use super::subscription::SubscriptionActions;
use crate::components::{ConfirmDialog, DialogActions, Field, FormError, field_error};
use crate::domain::billing::SubscriptionView;
use crate::i18n::{fill, use_texts};
use leptos::prelude::*;

#[component]
pub(super) fn SubscriptionDialogs(
    s: SubscriptionView,
    /// The profiles the admin may buy with: (id, name).
    profiles: Vec<(i64, String)>,
    actions: SubscriptionActions,
) -> impl IntoView {
    let t = use_texts();
    let SubscriptionActions {
        quantity,
        profile,
        cancel,
        quantity_open,
        profile_open,
        cancel_open,
        key,
        ..
    } = actions;
    let sid = s.id;
    let current_profile = s.profile_id;
    let profiles = StoredValue::new(profiles);
    let cancel_body = StoredValue::new(fill(t.billing.cancel_body, &s.app_name));
    view! {
        <ConfirmDialog
            open=quantity_open
            title=Signal::stored(t.billing.change_quantity.to_string())
        >
            <ActionForm action=quantity attr:class="stack">
                <input type="hidden" name="id" value=sid />
                <input type="hidden" name="idempotency_key" prop:value=move || key.get() />
                <p class="muted">{t.billing.quantity_dialog_help}</p>
                <Field
                    label=t.billing.new_quantity
                    name="quantity"
                    kind="number"
                    value=s.quantity.map(|q| q.to_string()).unwrap_or_default()
                    error=field_error(quantity.value(), "quantity")
                />
                <FormError value=quantity.value() />
                <DialogActions open=quantity_open>
                    <button type="submit" class="primary">
                        {t.common.save}
                    </button>
                </DialogActions>
            </ActionForm>
        </ConfirmDialog>
        <ConfirmDialog
            open=profile_open
            title=Signal::stored(t.billing.edit_profile_label.to_string())
        >
            <ActionForm action=profile attr:class="stack">
                <input type="hidden" name="id" value=sid />
                <div class="field">
                    <label for="f-profile-id">{t.billing.billing_profile}</label>
                    <select id="f-profile-id" name="profile_id">
                        {profiles
                            .get_value()
                            .into_iter()
                            .map(|(pid, name)| {
                                view! {
                                    <option value=pid selected=pid == current_profile>
                                        {name}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    {move || {
                        field_error(profile.value(), "profile_id")
                            .get()
                            .map(|m| view! { <p class="field-error">{m}</p> })
                    }}
                </div>
                <FormError value=profile.value() />
                <DialogActions open=profile_open>
                    <button type="submit" class="primary">
                        {t.common.save}
                    </button>
                </DialogActions>
            </ActionForm>
        </ConfirmDialog>
        <ConfirmDialog
            open=cancel_open
            title=Signal::stored(t.billing.cancel_subscription.to_string())
        >
            <ActionForm action=cancel attr:class="stack">
                <input type="hidden" name="id" value=sid />
                <input type="hidden" name="idempotency_key" prop:value=move || key.get() />
                <p>{cancel_body.get_value()}</p>
                <FormError value=cancel.value() />
                <DialogActions open=cancel_open>
                    <button type="submit" class="danger">
                        {t.billing.cancel_subscription}
                    </button>
                </DialogActions>
            </ActionForm>
        </ConfirmDialog>
    }
}
