//! `/store/apps/{id}`: one app with its counts, Deploy, its deployments and
//! license holders, and the install status per user and device.

use super::deploy_panel::DeployPanel;
use super::deployments::{DeploymentTable, HolderTable};
use super::installs::InstallStatusSection;
use super::{connection_title, count_text};
use crate::api::store::{ChangeIntent, Deploy, RemoveDeployment, get_app, list_installs};
use crate::components::{FormError, Loaded, can, param_id, use_toasts};
use crate::domain::store::{Store, StoreAppDetail};
use crate::domain::{Permission, format_time};
use crate::i18n::{fill, use_texts};
use crate::pages::{Area, AreaTabs};
use leptos::prelude::*;
use leptos_meta::Title;

/// The app page's actions: deploy, change a deployment's intent, remove a deployment.
#[derive(Clone, Copy)]
pub(super) struct DeploymentActions {
    pub deploy: ServerAction<Deploy>,
    pub change: ServerAction<ChangeIntent>,
    pub remove: ServerAction<RemoveDeployment>,
}

#[component]
pub fn AppPage() -> impl IntoView {
    let t = use_texts();
    let id = param_id();
    let actions = DeploymentActions {
        deploy: ServerAction::new(),
        change: ServerAction::new(),
        remove: ServerAction::new(),
    };
    let DeploymentActions {
        deploy,
        change,
        remove,
    } = actions;
    // Reload after a change that succeeded only: a refusal must leave the Deploy panel (its
    // picked targets and the message with the ways out) as it is.
    let changed = RwSignal::new(0_u32);
    let versions = move || changed.get();
    let detail = Resource::new(move || (id(), versions()), |(id, _)| get_app(id));
    let install_status = RwSignal::new(String::new());
    let install_q = RwSignal::new(String::new());
    let installs = Resource::new(
        move || (id(), install_status.get(), install_q.get(), versions()),
        |(id, s, q, _)| list_installs(id, Some(s), Some(q)),
    );
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(o)) = deploy.value().get() {
            changed.update(|n| *n += 1);
            toasts.push(fill(t.store.toast_deployed, o.granted));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(o)) = change.value().get() {
            changed.update(|n| *n += 1);
            toasts.push(fill(
                t.store.toast_changed,
                format!("{} / {}", o.granted, o.freed),
            ));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(o)) = remove.value().get() {
            changed.update(|n| *n += 1);
            toasts.push(fill(t.store.toast_removed_deployment, o.freed));
        }
    });
    view! {
        <AreaTabs area=Area::Store current=1 />
        <Loaded resource=detail let:d>
            <AppDetailView detail=d actions=actions />
        </Loaded>
        <InstallStatusSection installs=installs status=install_status q=install_q />
        <crate::pages::overview::AppPricingPanel app_id=Signal::derive(id) />
    }
}

#[component]
fn AppDetailView(detail: StoreAppDetail, actions: DeploymentActions) -> impl IntoView {
    let t = use_texts();
    let manage = can(Permission::ManageStore);
    let d = detail;
    let a = d.app.clone();
    let apple = a.store == Store::Apple;
    view! {
        <Title text=a.name.clone() />
        <p class="crumbs">
            <a href="/store/apps">{t.store.purchased_apps}</a>
        </p>
        <div class="page-head">
            <h1>{a.name.clone()}</h1>
            {a.retired.then(|| view! { <span class="pill bad">{t.store.retired}</span> })}
        </div>
        <dl class="facts wrap">
            <div>
                <dt>{t.store.publisher}</dt>
                <dd>{a.publisher.clone()}</dd>
            </div>
            <div>
                <dt>{t.store.platform}</dt>
                <dd>{a.platform.clone()}</dd>
            </div>
            <div>
                <dt>{t.store.store}</dt>
                <dd>{connection_title(t, a.store, &d.connection_name)}</dd>
            </div>
            <div>
                <dt>{t.store.total}</dt>
                <dd>{count_text(t, a.total)}</dd>
            </div>
            <div>
                <dt>{t.store.used}</dt>
                <dd>{a.used}</dd>
            </div>
            <div>
                <dt>{t.store.available}</dt>
                <dd>
                    {if a.unlimited() {
                        t.store.unlimited.to_string()
                    } else {
                        a.available().to_string()
                    }}
                </dd>
            </div>
            <div>
                <dt>{t.store.assigned_in_store}</dt>
                <dd>{d.store_assigned}</dd>
            </div>
            <div>
                <dt>{t.store.assigned_outside}</dt>
                <dd>{a.outside}</dd>
            </div>
            <div>
                <dt>{t.store.last_synced}</dt>
                <dd>{format_time(a.last_synced_at)}</dd>
            </div>
        </dl>
        <p class="muted">{t.store.no_manual}</p>
        {(manage && !a.retired)
            .then(|| view! { <DeployPanel app_id=a.id action=actions.deploy /> })}
        <h2>{t.store.deployments}</h2>
        <FormError value=actions.change.value() />
        <FormError value=actions.remove.value() />
        <DeploymentTable deployments=d.deployments manage=manage actions=actions />
        <h2>{t.store.holders}</h2>
        {apple.then(|| view! { <p class="muted">{t.store.invitation_help}</p> })}
        <HolderTable holders=d.holders apple=apple />
    }
}
