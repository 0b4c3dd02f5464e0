//! The connection dialogs: Configure sync (automatic sync on or off) and Remove connection
//! (confirmed by typing its name).

use super::connections::ConnectionActions;
use crate::components::{ConfirmDialog, DialogActions, Field, FormError, field_error};
use crate::i18n::{fill, use_texts};
use leptos::prelude::*;

#[component]
pub(super) fn ConfigureDialog(actions: ConnectionActions) -> impl IntoView {
    let t = use_texts();
    let ConnectionActions {
        configure,
        configure_open,
        target,
        ..
    } = actions;
    view! {
        <ConfirmDialog open=configure_open title=Signal::stored(t.store.configure_sync.to_string())>
            <ActionForm action=configure attr:class="stack">
                <input type="hidden" name="connection_id" value=move || target.get().0 />
                <input type="hidden" name="auto_sync" value="false" />
                <label class="check">
                    <input
                        type="checkbox"
                        name="auto_sync"
                        value="true"
                        prop:checked=move || target.get().2
                    />
                    {t.store.auto_sync}
                </label>
                <p class="muted">{t.store.auto_sync_help}</p>
                <FormError value=configure.value() />
                <DialogActions open=configure_open>
                    <button type="submit" class="primary">
                        {t.common.save}
                    </button>
                </DialogActions>
            </ActionForm>
        </ConfirmDialog>
    }
}

#[component]
pub(super) fn RemoveDialog(actions: ConnectionActions) -> impl IntoView {
    let t = use_texts();
    let ConnectionActions {
        remove,
        remove_open,
        target,
        ..
    } = actions;
    view! {
        <ConfirmDialog open=remove_open title=Signal::stored(t.store.remove_connection.to_string())>
            <ActionForm action=remove attr:class="stack">
                <input type="hidden" name="connection_id" value=move || target.get().0 />
                <p>{move || fill(t.store.remove_body, target.get().1)}</p>
                <Field
                    label=t.store.type_name
                    name="confirmation"
                    required=true
                    error=field_error(remove.value(), "confirmation")
                />
                <FormError value=remove.value() />
                <DialogActions open=remove_open>
                    <button type="submit" class="danger">
                        {t.store.remove}
                    </button>
                </DialogActions>
            </ActionForm>
        </ConfirmDialog>
    }
}
