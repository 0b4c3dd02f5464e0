//! `/store/connections`: the linked store accounts with their state and live
//! sync progress, and linking the stores not linked yet.

use super::connection_dialogs::{ConfigureDialog, RemoveDialog};
use super::connection_panel::{ConnectionPanel, LinkPanels};
use super::link_dialogs::{AppleDialog, MicrosoftDialog};
use crate::api::store::{
    ConfigureSync, LinkApple, LinkMicrosoft, RemoveConnection, SyncNow, list_connections,
};
use crate::components::{FormError, Loaded, can, use_toasts};
use crate::domain::Permission;
use crate::domain::store::Store;
use crate::i18n::use_texts;
use crate::pages::{Area, AreaTabs};
use leptos::prelude::*;
use leptos_meta::Title;

/// The connections page's actions and dialog states. `target` is the connection the Configure
/// and Remove dialogs are about: (id, name, automatic sync on).
#[derive(Clone, Copy)]
pub(super) struct ConnectionActions {
    pub link_apple: ServerAction<LinkApple>,
    pub link_ms: ServerAction<LinkMicrosoft>,
    pub sync: ServerAction<SyncNow>,
    pub configure: ServerAction<ConfigureSync>,
    pub remove: ServerAction<RemoveConnection>,
    pub apple_open: RwSignal<bool>,
    pub ms_open: RwSignal<bool>,
    /// The Apple dialog uploads a new token for the linked location (no confirmation).
    pub renewing: RwSignal<bool>,
    pub configure_open: RwSignal<bool>,
    pub remove_open: RwSignal<bool>,
    pub target: RwSignal<(i64, String, bool)>,
}

impl ConnectionActions {
    fn new() -> Self {
        ConnectionActions {
            link_apple: ServerAction::new(),
            link_ms: ServerAction::new(),
            sync: ServerAction::new(),
            configure: ServerAction::new(),
            remove: ServerAction::new(),
            apple_open: RwSignal::new(false),
            ms_open: RwSignal::new(false),
            renewing: RwSignal::new(false),
            configure_open: RwSignal::new(false),
            remove_open: RwSignal::new(false),
            target: RwSignal::new((0, String::new(), true)),
        }
    }
}

#[component]
pub fn ConnectionsPage() -> impl IntoView {
    let t = use_texts();
    let a = ConnectionActions::new();
    let tick = RwSignal::new(0_u32);
    let connections = Resource::new(
        move || {
            (
                a.link_apple.version().get(),
                a.link_ms.version().get(),
                a.sync.version().get(),
                a.configure.version().get(),
                a.remove.version().get(),
                tick.get(),
            )
        },
        |_| list_connections(),
    );
    // While a run is going, look again every second (the run records its progress).
    Effect::new(move |_| {
        let running = connections
            .get()
            .and_then(Result::ok)
            .is_some_and(|list| list.iter().any(|c| c.running.is_some()));
        let after_link = matches!(a.link_apple.value().get(), Some(Ok(_)))
            || matches!(a.link_ms.value().get(), Some(Ok(_)));
        if running || (after_link && tick.get_untracked() < 2) {
            set_timeout(
                move || tick.update(|n| *n += 1),
                std::time::Duration::from_millis(1000),
            );
        }
    });
    toast_effects(a);
    let manage = can(Permission::ManageStore);
    view! {
        <Title text=t.store.connections />
        <AreaTabs area=Area::Store current=0 />
        <h1>{t.store.connections}</h1>
        <p class="lead">{t.store.connections_intro}</p>
        <FormError value=a.sync.value() />
        <Loaded resource=connections let:list>
            {
                let link_apple = manage && !list.iter().any(|c| c.store == Store::Apple);
                let link_ms = manage && !list.iter().any(|c| c.store == Store::Microsoft);
                // Offer to link a store only to managers, and only while it is not linked.
                view! {
                    {list
                        .into_iter()
                        .map(|c| view! { <ConnectionPanel c=c manage=manage actions=a /> })
                        .collect_view()}
                    <LinkPanels apple=link_apple ms=link_ms actions=a />
                }
            }
        </Loaded>
        <AppleDialog open=a.apple_open renewing=a.renewing action=a.link_apple />
        <MicrosoftDialog open=a.ms_open action=a.link_ms />
        <ConfigureDialog actions=a />
        <RemoveDialog actions=a />
    }
}

/// Closes the dialog of each change that succeeded and says so.
fn toast_effects(a: ConnectionActions) {
    let t = use_texts();
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(_)) = a.link_apple.value().get() {
            a.apple_open.set(false);
            toasts.push(t.store.toast_linked.to_string());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = a.link_ms.value().get() {
            a.ms_open.set(false);
            toasts.push(t.store.toast_linked.to_string());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = a.sync.value().get() {
            toasts.push(t.store.toast_sync_started.to_string());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = a.configure.value().get() {
            a.configure_open.set(false);
            toasts.push(t.common.toast_saved.to_string());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = a.remove.value().get() {
            a.remove_open.set(false);
            toasts.push(t.store.toast_removed.to_string());
        }
    });
}
